//! A mock of the SambaNova Agents server that behaves like the real one (not like its spec),
//! so clients, examples, tests and benchmarks run with no key and no network.
//!
//! What it serves, on one loopback port:
//! - the Agents API (all 11 operations) under both `/api/agent/...` and `/agent/...`
//!   ([`MockServer::agents_url`] is the base, like `https://chat.sambanova.ai/api`);
//! - the Sessions API under `/api/v1` (sandboxes and their start/stop/pause/resume, sessions,
//!   messages, interrupt, queue, permissions, questions, SSE streams), with a ready sandbox
//!   [`DEMO_SANDBOX_ID`]. The scripted agent answers every message with a realistic event sequence;
//!   special prompts: `#error` ends with `result_error` (no `session_completed`), `#crash` dies
//!   before replying, with no terminal event (its exit is stored as the reply), `#long N` streams
//!   N `text_delta`s (generated lazily), `#permission` asks before its tool runs and waits for the
//!   answer (denied: the turn stops with no terminal event), `#question` asks a question
//!   (`user_input_request`) and waits for the answer; the session reads `waiting_for_input` while
//!   it waits; `/help`, `/clear`, `/skills` are answered at once;
//! - the agent stream backend as the running server behaves: a JSON login at
//!   `POST /api/v1/auth/login` (user `demo`/`demo`), a refresh that works once, the
//!   `{code, msg, data, trace_id}` error envelope, `POST /agent/agent/stream` and
//!   `POST /agent/chat/stream` (each piece of text twice; `#tool`, `#ask`, `#error` prompts);
//! - admin routes for other processes: `POST /__mock/faults` (a JSON [`FaultRule`] or its
//!   command-line syntax as text), `GET`/`DELETE /__mock/faults`, `GET /__mock/requests`.
//!
//! # Pointing a client at it
//!
//! [`MockServer::start`] binds a free port on `127.0.0.1` and serves in the background until
//! the server is dropped. The Agents API's base URL is [`MockServer::agents_url`], with
//! [`TEST_API_KEY`] (any UUID-shaped key is accepted); the Sessions API and the agent stream
//! take [`MockServer::url`] (their paths carry their own prefixes), the Sessions API with no
//! key unless [`MockServerBuilder::sessions_api_key`] sets one, the agent stream with the user
//! `demo`/`demo`. The `sambanova-agents` crate's docs ("Testing") show each SDK client set up
//! this way.
//!
//! # Fault injection
//!
//! A [`FaultRule`] names a method (`*` for any), a path (exact, or a prefix when it ends with
//! `*`; `/api/agent/...` and `/agent/...` are one route) and a [`Fault`]: a status (429 with
//! `Retry-After`, 5xx, nginx's HTML 504), latency, a reset or stalled connection, a body cut
//! short, malformed or mislabelled, a huge body, and for event streams a stall, a close or an
//! oversized event after N events. Add rules with [`Faults::add`] on [`MockServer::faults`]
//! (or [`MockServerBuilder::fault`] before start); each applies to its next
//! [`times`](FaultRule::times) matching requests, or to every one. The first matching rule
//! wins. Every route of the three APIs can be targeted; the `/__mock/` routes cannot.
//! [`MockServer::requests`] counts the requests that reached a path, faulted or not.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sambanova_agents_mock::{Fault, FaultRule, MockServer, TEST_API_KEY};
//!
//! let mock = MockServer::start().await?;
//! let coding = "/api/agent/coding";
//! mock.faults()
//!     .add(FaultRule::new("POST", coding, Fault::too_many_requests_after_secs(1)).times(1));
//!
//! let http = reqwest::Client::new();
//! let call = || {
//!     http.post(format!("{}/agent/coding", mock.agents_url()))
//!         .bearer_auth(TEST_API_KEY)
//!         .json(&serde_json::json!({"code": "print(1)", "prompt": "Run it"}))
//!         .send()
//! };
//! let limited = call().await?;
//! assert_eq!(limited.status(), 429);
//! assert_eq!(limited.headers()["retry-after"], "1");
//! // The rule was for one request: the next is answered normally.
//! assert_eq!(call().await?.status(), 200);
//! assert_eq!(mock.requests("POST", coding), 2);
//! # Ok(()) }
//! ```

mod agent_stream;
mod agents;
pub mod cli;
mod faults;
mod server;
mod sessions;

pub use cli::{MockArgs, serve_foreground};
pub use faults::{Fault, FaultRule, Faults, ParseFaultError};
pub use server::{MockServer, MockServerBuilder};
pub use sessions::DEMO_SANDBOX_ID;

/// A UUID-shaped key that the mock's Agents API accepts (any UUID-shaped key is accepted, like the real server).
pub const TEST_API_KEY: &str = "00000000-0000-4000-8000-000000000000";
