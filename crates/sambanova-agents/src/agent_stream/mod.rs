//! The agent stream: `POST /agent/agent/stream` with JWT login, as a stream of typed events.

mod client;
mod events;
mod request;
mod stream;
mod text;
mod token;

pub use client::{
    AGENT_STREAM_API_KEY_ENV, AGENT_STREAM_PASSWORD_ENV, AGENT_STREAM_TOKEN_ENV,
    AGENT_STREAM_URL_ENV, AGENT_STREAM_USERNAME_ENV, AgentStreamClient, AgentStreamClientBuilder,
    DEFAULT_AGENT_STREAM_URL,
};
pub use events::{
    AgentEvent, Interrupt, InterruptOption, MessageChunk, Notice, Reasoning, ReasoningPhase,
    Status, StatusKind, ToolActivity, ToolCallArgs, ToolCallEnd, ToolCallStart, ToolPhase,
    ToolResult,
};
pub use request::{AgentModule, AgentRequest};
pub use stream::AgentEventStream;
pub use text::AssistantText;
pub use token::AccessToken;
