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
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use sambanova_agents_mock::{Fault, FaultRule, MockServer, TEST_API_KEY};
//! let mock = MockServer::start().await?;
//! mock.faults().add(FaultRule::new("POST", "/api/agent/coding", Fault::too_many_requests_after_secs(1)).times(1));
//! println!("agents base: {} key: {TEST_API_KEY}", mock.agents_url());
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
