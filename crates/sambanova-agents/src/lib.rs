//! The Rust SDK for the SambaNova Agents API.
//!
//! - [`Client`]: configuration from the environment or a builder; timeouts (5 s connect,
//!   600 s per agent call), retries that never repeat an agent run the server has seen,
//!   an API key that never prints.
//! - The agents: [`MainAgent`], [`Coding`], [`DeepResearch`], [`Financial`],
//!   [`DataScience`], each plain and interactive; every call answers an [`AgentOutcome`]
//!   (completed, a [`Plan`] to approve or revise, an HTML report) or an [`Error`].
//! - Typed results ([`reports`]): [`Completion::financial_report`] (every section of the
//!   server's model), [`Completion::research_report`] (sections and sources from the deep
//!   research markdown), [`Completion::parse`] into a type of your own; a result that does not
//!   fit is an [`Error::Decode`] with the serde path where it stopped.
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
//! # Testing
//!
//! Tests and examples need no key and no network: the `sambanova-agents-mock` crate serves
//! the Agents API, the Sessions API and the agent stream on one loopback port, and behaves like
//! the real servers (their quirks included), not like their specs. Add it as a dev-dependency:
//!
//! ```toml
//! [dev-dependencies]
//! sambanova-agents-mock = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! `MockServer::start()` binds a free port on `127.0.0.1`; dropping the server stops it. Point
//! each client at it:
//!
//! | client | base URL | credentials |
//! | --- | --- | --- |
//! | [`Client`] | `mock.agents_url()` (`http://127.0.0.1:PORT/api`) | `TEST_API_KEY` (any UUID-shaped key) |
//! | [`sessions::SessionsClient`] | `mock.url()` (the paths carry `/api/v1`) | none, unless set with `MockServerBuilder::sessions_api_key` |
//! | [`agent_stream::AgentStreamClient`] | `mock.url()` | user `demo`, password `demo` |
//!
//! The Sessions side has a running sandbox, `DEMO_SANDBOX_ID`, whose scripted agent answers
//! every message with the real event sequence (text, one `Bash` tool call, the result);
//! `#permission` in a message makes it ask before the tool runs and wait for the answer,
//! `#question` makes it ask a question and wait, `#error`, `#crash` and `#long N` end a turn the
//! other ways a real one ends (see the mock crate's docs). `MockServer::builder()` sets
//! latency, the agent's pace, the keepalive period, token lifetimes and a Sessions key.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use futures_util::StreamExt;
//! use sambanova_agents::Client;
//! use sambanova_agents::sessions::{SessionsClient, TurnText};
//! use sambanova_agents_mock::{DEMO_SANDBOX_ID, MockServer, TEST_API_KEY};
//!
//! let mock = MockServer::start().await?;
//!
//! let client = Client::builder().api_key(TEST_API_KEY).base_url(mock.agents_url()).build()?;
//! let answer = client.main_agent().run("What is an RDU?").await?.into_completion()?;
//! assert!(answer.text().contains("What is an RDU?"));
//!
//! let sessions = SessionsClient::builder().base_url(mock.url()).build()?;
//! let session = sessions.create_session(DEMO_SANDBOX_ID).await?;
//! let mut turn = sessions.send_and_stream(&session.id, "hi").await?;
//! let mut text = TurnText::new();
//! while let Some(event) = turn.events.next().await {
//!     text.push(&event?);
//! }
//! assert_eq!(text.text(), "Echo: hi Done.");
//! # Ok(()) }
//! ```
//!
//! ## Fault injection
//!
//! `mock.faults().add(FaultRule::new(method, path, fault))` makes the mock misbehave on the
//! requests a rule matches, `.times(n)` for the next `n` of them only (without it, for every
//! one). A rule matches a method (`*` for any) and a path: exact, or a prefix when it ends with
//! `*` (`/api/v1/sessions/*`); `/api/agent/…` and `/agent/…` are one route, as on the real
//! server. When several rules match, the earliest added wins. `mock.requests(method, path)`
//! counts the requests that reached a path (exact, as sent), faulted or not. Other processes
//! (a CLI under test, another language) add rules with `POST /__mock/faults` (the JSON of a
//! [`FaultRule`](https://docs.rs/sambanova-agents-mock/latest/sambanova_agents_mock/struct.FaultRule.html),
//! or the text syntax below) and read the counts at `GET /__mock/requests`.
//!
//! Faults can target every route of the three APIs (not the `/__mock/` ones):
//!
//! | API | paths |
//! | --- | --- |
//! | Agents | `/api/agent/mainagent`, `/coding`, `/deepresearch`, `/financialanalysis`, `/datascience` (each also `…/interactive`), `/api/agent/files/{file_id}` |
//! | Sessions | `/api/v1/sandboxes`, `/api/v1/sandboxes/{id}` (and its `/stream`, `/start`, `/stop`, `/pause`, `/resume`, `/sessions`), `/api/v1/sessions/{id}` (and its `/messages`, `/stream`, `/interrupt`, `/queue`, `/permissions`, `/permissions/{request_id}/respond`, `/user-input/{request_id}/respond`) |
//! | agent stream | `/api/v1/auth/login`, `/api/v1/auth/refresh`, `/agent/agent/stream`, `/agent/chat/stream` |
//!
//! The faults (`Fault`), with their text syntax (`METHOD PATH KIND [key=value …]`, e.g.
//! `"POST /api/agent/coding 429 times=2 retry-after=1".parse::<FaultRule>()`):
//!
//! | fault | text | what the client gets |
//! | --- | --- | --- |
//! | `Fault::status(503)`, `Status { status, headers, body, content_type }` | `503` | that status and a JSON `{"detail": …}` body instead of the answer |
//! | `Fault::too_many_requests_after_secs(s)`, `_after_ms(ms)`, `_at(http_date)` | `429 retry-after=S`, `429 retry-after-ms=MS` | a 429 that says when to come back |
//! | `Fault::nginx_504()` | `504` | the HTML page ingress-nginx sends on a gateway timeout |
//! | `Latency(duration)` | `latency ms=MS` | the normal answer, that much later |
//! | `Reset` | `reset` | the request is read, then the connection closes without an answer |
//! | `Stall` | `stall` | no answer ever, the connection open |
//! | `CutBody { after_bytes }` | `cut-body after=N` | a 200 whose body stops after N bytes, short of its `Content-Length` |
//! | `MalformedJson` | `malformed-json` | a 200 `application/json` body that is not JSON |
//! | `WrongContentType { content_type }` | `wrong-content-type content-type=T` | the normal body, labelled `T` |
//! | `HugeBody { bytes }` | `huge-body bytes=N` | a 200 body of N bytes, streamed |
//! | `StallStream { after_events }` | `stall-stream after=N` | event streams: N events, then silence (no keepalives), the connection open |
//! | `CloseStreamAfter { events }` | `close-stream after=N` | event streams: the server closes after N events |
//! | `OversizedEvent { bytes }` | `oversized-event bytes=N` | event streams: one `data:` line of N bytes first |
//!
//! The last three change only `text/event-stream` answers; others pass as they are.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU32, Ordering};
//!
//! use sambanova_agents::{Client, ErrorKind};
//! use sambanova_agents_mock::{Fault, FaultRule, MockServer, TEST_API_KEY};
//!
//! let mock = MockServer::start().await?;
//! let retries = Arc::new(AtomicU32::new(0));
//! let counted = retries.clone();
//! let client = Client::builder()
//!     .api_key(TEST_API_KEY)
//!     .base_url(mock.agents_url())
//!     .on_retry(move |_| {
//!         counted.fetch_add(1, Ordering::Relaxed);
//!     })
//!     .build()?;
//!
//! // One 429, then the normal answer: the default policy retries it.
//! let path = "/api/agent/mainagent";
//! mock.faults().add(FaultRule::new("POST", path, Fault::too_many_requests_after_ms(10)).times(1));
//! client.main_agent().run("What is an RDU?").await?.into_completion()?;
//! assert_eq!(retries.load(Ordering::Relaxed), 1);
//! assert_eq!(mock.requests("POST", path), 2);
//!
//! // A 500 is not: the agent may have run.
//! mock.faults().add("POST /api/agent/* 500 times=1".parse()?);
//! let error = client.main_agent().run("What is an RDU?").await.unwrap_err();
//! assert_eq!((error.kind(), error.is_retryable()), (ErrorKind::Server, false));
//! assert_eq!(mock.requests("POST", path), 3);
//! # Ok(()) }
//! ```
//!
//! The crate's examples (`examples/`) run this way too, each as a test of `cargo test`: the
//! concurrency, error handling, permissions, tool call and tracing ones show the recipes above
//! at length.
//!
//! # Per-call options and deadlines
//!
//! Every call can set its own timeout (per attempt), deadline, retry policy and headers: on an
//! agent handle (`client.financial().timeout(..)`), and on the builder every Sessions and agent
//! stream call returns ([`CallBuilder`]), which is sent when awaited. Deadlines are instants,
//! so one bounds a whole batch; a call made after it passed fails as [`Error::Timeout`]
//! without sending, and one that runs past it says so.
//!
//! ```no_run
//! # async fn demo(client: sambanova_agents::Client, sessions: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
//! use std::time::{Duration, Instant};
//!
//! let by = Instant::now() + Duration::from_secs(3600);
//! for company in ["NVIDIA", "AMD"] {
//!     let report = client
//!         .financial()
//!         .deadline_at(by)
//!         .run(&format!("Analyse {company}"))
//!         .await?
//!         .into_completion()?
//!         .financial_report()?;
//!     println!("{}: {}", report.company_name, report.comprehensive_summary);
//! }
//! let sandboxes = sessions.list_sandboxes().deadline_at(by).with_response().await?;
//! println!("{} sandboxes, request {:?}", sandboxes.len(), sandboxes.meta().request_id());
//! # Ok(()) }
//! ```
//!
//! # Typed results
//!
//! A completion's result is text; [`Completion::parse`] reads it into your own type, and
//! [`Completion::financial_report`] and [`Completion::research_report`] into the
//! [`reports`] the real server's agents write. A result of another shape is an
//! [`Error::Decode`] naming where it did not fit.
//!
//! # What came back, and every attempt
//!
//! Every answer carries a [`ResponseMeta`]: its status, headers, `X-Request-ID`, how many
//! attempts it took and how long. An agent outcome gives it with [`AgentOutcome::meta`].
//!
//! Every attempt of every call (agent calls, Sessions calls, event stream connections,
//! downloads, the agent stream's login) passes one seam, an [`AttemptHook`] registered with
//! `on_attempt` on any client builder: it sees the request before it is sent and the answer or
//! failure after, with the attempt's number. [`ClientBuilder::on_retry`] sees each wait
//! between attempts (a [`RetryEvent`]).
//!
//! The same is logged with [`tracing`](https://docs.rs/tracing), nothing unless a subscriber
//! is installed:
//!
//! | what | target / name | level | fields |
//! | --- | --- | --- | --- |
//! | each attempt, a span | `sambanova.request` | INFO | `operation`, `method`, `path`, `attempt` (1 for the first), and once answered `status`, `request_id`, `latency_ms` |
//! | its end, an event in that span | `sambanova_agents::transport::retrying` | INFO | `answered`: `status`, `latency_ms`; `timed out`: `latency_ms`; `failed`: `latency_ms`, `error` |
//! | each wait before another attempt | `sambanova_agents::retry` | INFO | `operation`, `attempt` (the one that failed), `wait_ms`, `reason`; the message says `retrying`, `reconnecting` (a stream) or `polling` (a sandbox being provisioned) |
//!
//! A plain `tracing_subscriber::fmt().init()` shows all three; request ids and errors never
//! show a secret the client holds.
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
//! | `http2` | HTTP/2, offered by TLS ALPN. Off by default: every API here is JSON or server-sent events, which HTTP/1.1 carries as well, and `h2` is a large build. Without it the SDK's own client speaks HTTP/1.1 only, even when another crate turns on reqwest's `http2` |
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
//! Why aws-lc-rs by default and not ring, which builds in a fraction of the time: aws-lc-rs is
//! reqwest's own default, so an application that already uses reqwest builds one provider, not
//! two. And a build with both of rustls's provider features on leaves rustls unable to pick one
//! by itself: every crate in it that calls `rustls::ClientConfig::builder()` without installing
//! a provider first would then panic. Choosing ring stays yours, with `rustls-no-provider`.
//!
//! Without any of the three, the SDK builds without TLS: it reaches `http://` servers only
//! (the mock, a local Sessions server), or pass a `reqwest::Client` of your own with
//! [`ClientBuilder::http_client`]. The runtime is tokio; the SDK asks only for its `fs`, `io-util`, `sync` and
//! `time` features and never starts a runtime of its own.

#![warn(missing_docs)]
// One exception, the SSE decoder's SIMD line scan, allowed where it is and checked against
// its portable twin.
#![deny(unsafe_code)]

pub mod agent_stream;
mod agents;
mod auth;
mod call;
mod call_builder;
mod client;
mod datascience;
mod dialect;
mod error;
mod event_source;
// Public, undocumented: the fuzz targets (`fuzz/`, run by the `fuzz_smoke` test) and the
// hostile-server tests reach the parsers directly; callers get safe names from `Files::save`.
#[doc(hidden)]
pub mod filename;
mod files;
mod kept;
mod outcome;
mod redact;
pub mod reports;
mod retry;
pub mod sessions;
pub mod sse;
mod transport;
mod wire_enum;

pub use agents::{Coding, DeepResearch, Financial, MainAgent};
// Public, undocumented: the secrets test checks that a key never prints; callers pass keys
// as strings to the builders.
#[doc(hidden)]
pub use auth::ApiKey;
pub use call_builder::{CallBuilder, WithResponse};
pub use client::{API_KEY_ENV, BASE_URL_ENVS, Client, ClientBuilder, DEFAULT_BASE_URL};
pub use datascience::{DataScience, Upload};
pub use error::{
    AuthFailure, Error, ErrorKind, HumanDuration, ServerError, StreamContext, ValidationIssue,
};
pub use files::{Download, Files, SavedFile};
pub use outcome::{
    AgentKind, AgentOutcome, AgentStatus, Completion, HtmlReport, Plan, PlanToken, Unrecognized,
};
// Public, undocumented: the fuzz targets (`fuzz/`, run by the `fuzz_smoke` test) and the CLI's
// error tests classify answers without a server; callers get outcomes from the agents.
#[doc(hidden)]
pub use outcome::{Expect, classify};
// Public, undocumented: the CLI redacts its own log lines with the SDK's rule; the clients
// redact what they hold by themselves.
#[doc(hidden)]
pub use redact::Secrets;
/// The HTTP client the SDK is built on, re-exported: [`Error::status`] answers its
/// `StatusCode`, and every client builder's `http_client` takes its `Client`.
pub use reqwest;
pub use retry::RetryPolicy;
pub use transport::{
    Attempt, AttemptHook, AttemptOutcome, CallOptions, Response, ResponseMeta, RetryEvent,
};

/// The README's examples, compiled as doctests so that they cannot drift from the API.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
