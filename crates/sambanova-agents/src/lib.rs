//! The Rust SDK for the SambaNova Agents API.
//!
//! - [`Client`]: configuration from the environment or a builder; timeouts (5 s connect,
//!   600 s per agent call), retries that never repeat an agent run the server has seen,
//!   an API key that never prints.
//! - The agents: [`MainAgent`], [`Coding`], [`DeepResearch`], [`Financial`],
//!   [`DataScience`], each plain and interactive; every call answers an [`AgentOutcome`]
//!   (completed, a [`Plan`] to approve or revise, an HTML report) or an [`Error`].
//! - [`Files`]: artifacts as a stream, or saved to disk under a sanitised name.
//! - [`sse`]: a conformant, fast server-sent events decoder.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sambanova_agents::Error> {
//! use sambanova_agents::{AgentOutcome, Client};
//!
//! let client = Client::from_env()?;
//! let mut outcome = client.deep_research().interactive("The AI accelerator market").await?;
//! while let AgentOutcome::Interrupted(plan) = outcome {
//!     println!("{}", plan.plain_text());
//!     outcome = plan.approve().await?;
//! }
//! println!("{}", outcome.into_completion()?.text());
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! The TLS backend, and HTTP/2, are chosen with features, passed through to reqwest:
//!
//! | feature | what |
//! | --- | --- |
//! | `rustls` (default) | TLS: rustls with its default crypto provider (aws-lc-rs) and the platform's certificate verifier |
//! | `native-tls` | TLS: the platform's library (OpenSSL, Secure Transport, SChannel); it wins when `rustls` is on too |
//! | `rustls-no-provider` | TLS: rustls with a crypto provider you install (ring, a FIPS build, …) |
//! | `http2` | HTTP/2, offered by TLS ALPN. Off by default: every API here is JSON or server-sent events, which HTTP/1.1 carries as well, and `h2` is a large build |
//!
//! ```toml
//! [dependencies]
//! # the default: rustls
//! sambanova-agents = "0.1"
//! # or the platform's TLS
//! sambanova-agents = { version = "0.1", default-features = false, features = ["native-tls"] }
//! # or your own rustls crypto provider
//! sambanova-agents = { version = "0.1", default-features = false, features = ["rustls-no-provider"] }
//! ```
//!
//! With `rustls-no-provider` alone, install the provider before building a client; until one
//! is, building a client fails with an [`Error`] that says so, not a panic:
//!
//! ```ignore
//! rustls::crypto::ring::default_provider().install_default().expect("installed once");
//! let client = sambanova_agents::Client::from_env()?;
//! ```
//!
//! Without any of the three, the SDK builds without TLS: it reaches `http://` servers only
//! (the mock, a local Sessions server), or pass a `reqwest::Client` of your own with
//! [`ClientBuilder::http_client`]. The runtime is tokio; the SDK asks only for its `fs`, `io-util`, `sync` and
//! `time` features and never starts a runtime of its own.

#![warn(missing_docs)]

pub mod agent_stream;
mod agents;
mod auth;
mod call;
mod client;
mod datascience;
mod dialect;
mod error;
mod event_source;
pub mod filename;
mod files;
pub mod outcome;
mod redact;
mod retry;
pub mod sessions;
pub mod sse;
mod transport;

pub use agents::{Coding, DeepResearch, Financial, MainAgent};
pub use auth::ApiKey;
pub use client::{API_KEY_ENV, BASE_URL_ENVS, Client, ClientBuilder, DEFAULT_BASE_URL};
pub use datascience::{DataScience, Upload};
pub use error::{Error, ErrorKind, ServerError, StreamContext, ValidationIssue};
pub use files::{Download, Files, SavedFile};
pub use outcome::{AgentOutcome, AgentStatus, Completion, HtmlReport, Plan, Unrecognized};
/// The HTTP client the SDK is built on, re-exported: [`Error::status`] answers its
/// `StatusCode`, and every client builder's `http_client` takes its `Client`.
pub use reqwest;
pub use retry::RetryPolicy;
pub use transport::{CallOptions, RetryEvent};

/// The README's examples, compiled as doctests so that they cannot drift from the API.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
