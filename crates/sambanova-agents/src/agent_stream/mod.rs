//! The agent stream: `POST /agent/agent/stream` (an agent with a sandbox) and
//! `POST /agent/chat/stream` (chat) of the agents backend, a self-hosted FastAPI server, with
//! JWT login, as streams of typed events.
//!
//! - [`AgentStreamClient`]: configuration from the environment or a builder; logs in with a
//!   username and password (or uses a stored token), renews the access token before it
//!   expires (a refresh once, then a new login), and on a 401 renews it and sends the request
//!   once more.
//! - [`AgentRequest`]: the conversation and the run's settings; `thread_id` continues a
//!   conversation and reuses its sandbox. [`ChatRequest`]: the chat's own body.
//! - [`AgentEventStream`]: a `Stream<Item = Result<AgentEvent, Error>>` with a stall
//!   watchdog, which keeps the thread id, sandbox id and interrupt a follow-up needs.
//! - [`AgentEvent`]: status, message chunks, tools, reasoning, tool calls, warnings, errors,
//!   interrupts, and [`AgentEvent::Unknown`] for anything else: the server's vocabulary grows.
//!   The server replaces the thread id `__default__` with one it generates and names it in
//!   the events: [`AgentEventStream::thread_id`] reports it.
//! - [`TurnText`]: the assistant's answer so far (the chat stream's doubled text once).
//!
//! ```no_run
//! # async fn demo() -> Result<(), sambanova_agents::Error> {
//! use futures_util::StreamExt;
//! use sambanova_agents::agent_stream::{AgentEvent, AgentRequest, AgentStreamClient, TurnText};
//!
//! // SAMBANOVA_AGENT_STREAM_URL, SAMBANOVA_AGENT_STREAM_USERNAME/_PASSWORD (or _TOKEN)
//! let client = AgentStreamClient::from_env()?;
//! let mut events = client.stream(&AgentRequest::new("Create hello.py that prints Hello World")).await?;
//! let mut answer = TurnText::new();
//! while let Some(event) = events.next().await {
//!     let event = event?;
//!     if let Some(piece) = answer.push(&event) {
//!         print!("{piece}");
//!     }
//! }
//! // Same thread, same sandbox: hello.py is still there.
//! let thread = events.thread_id().unwrap_or_default().to_owned();
//! let mut next = client.stream(&AgentRequest::new("Run hello.py").conversation(thread)).await?;
//! while let Some(event) = next.next().await {
//!     if let AgentEvent::ToolResult(result) = event? {
//!         println!("{}", result.text());
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # What is never done twice
//!
//! A run request is a POST that starts the agent: once it may have reached the server it is
//! never sent again by the SDK, with one exception, a 401 (the server refused it before running
//! anything). A stream that stalls past the silence limit ends with [`Error::Stalled`], one
//! that ends before the run is over with [`Error::StreamEnded`]; the endpoint cannot be
//! resumed, so the SDK does not reconnect either.
//!
//! [`Error::Stalled`]: crate::Error::Stalled
//! [`Error::StreamEnded`]: crate::Error::StreamEnded

mod auth;
mod builder;
mod client;
mod events;
mod request;
mod stream;
mod text;
mod token;

pub use builder::{
    AGENT_STREAM_PASSWORD_ENV, AGENT_STREAM_TOKEN_ENV, AGENT_STREAM_URL_ENV,
    AGENT_STREAM_USERNAME_ENV, AgentStreamClientBuilder, DEFAULT_AGENT_STREAM_URL,
};
pub use client::AgentStreamClient;
pub use events::{
    AgentEvent, Interrupt, InterruptContext, InterruptOption, MessageChunk, MessageSource, Notice,
    Reasoning, ReasoningPhase, Status, StatusKind, ToolActivity, ToolCall, ToolCallArgs,
    ToolCallEnd, ToolCallStart, ToolCalls, ToolPhase, ToolResult,
};
pub use request::{AgentModule, AgentRequest, ChatRequest};
pub use stream::{AgentEventStream, RunWait};
pub use text::TurnText;
pub use token::AccessToken;
