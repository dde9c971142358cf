//! The sandbox Sessions API (a CIAB server): sandboxes, sessions, messages and live session
//! event streams.
//!
//! [`SessionsClient`] wraps the generated client with the SDK's transport (authentication,
//! timeouts, retries, tracing), typed resources that keep unknown values, typed errors, and an
//! event stream built for the server as it really behaves:
//!
//! - `POST /sandboxes` answers a placeholder id: [`SessionsClient::create_sandbox_and_wait`]
//!   resolves the real one;
//! - sending a message answers the stored *user* message at once; the reply comes as events
//!   ([`SessionsClient::send_and_stream`]);
//! - every stream connection replays the server's buffer, the `Last-Event-ID` header is
//!   ignored and keepalives are comments: [`SessionEventStream`] resumes with
//!   `?last_event_id=`, drops duplicates (a replay of any length), and reconnects when the
//!   stream stalls;
//! - no single event ends every turn: [`SessionEvent::is_turn_end`] knows them all.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sambanova_agents::Error> {
//! use futures_util::StreamExt;
//! use sambanova_agents::sessions::{SandboxSpec, SessionsClient, TurnText};
//!
//! let client = SessionsClient::builder().base_url("http://127.0.0.1:8080").build()?;
//! let sandbox = client.create_sandbox_and_wait(&SandboxSpec::new("claude-code")).await?;
//! let session = client.create_session(&sandbox.id).await?;
//! let mut turn = client.send_and_stream(&session.id, "Write hello.py").await?;
//! let mut text = TurnText::new();
//! while let Some(event) = turn.events.next().await {
//!     text.push(&event?);
//! }
//! println!("{}", text.text());
//! # Ok(()) }
//! ```

mod auth;
mod builder;
mod client;
mod events;
mod pending;
mod raw;
mod sandboxes;
mod session;
mod stream;
mod tools;
mod types;
mod wait;

pub use auth::SessionsAuth;
pub use builder::{
    DEFAULT_SESSIONS_URL, SESSIONS_API_KEY_ENV, SESSIONS_URL_ENV, SessionsClientBuilder,
};
pub use client::SessionsClient;
pub use events::{EventKind, SessionEvent, TurnText, data};
pub use pending::{PendingKind, PendingRequest, Resumed};
pub use raw::RawStreamOptions;
pub use stream::{SessionEventStream, Turn};
pub use tools::{MAX_TOOL_INPUT_BYTES, ToolCall, ToolCallTracker, ToolEvent, ToolOutput};
pub use types::{
    ContentBlock, Message, PermissionMode, QueueStatus, Role, Sandbox, SandboxCreated, SandboxSpec,
    SandboxState, Session, SessionDetails, SessionState,
};
pub use wait::TurnWait;
