//! The agent stream: `POST /agent/agent/stream` with JWT login, as a stream of typed events.

mod events;
mod request;
mod stream;
mod text;
mod token;

pub use events::{
    AgentEvent, Interrupt, InterruptOption, MessageChunk, Notice, Reasoning, ReasoningPhase,
    Status, StatusKind, ToolActivity, ToolCallArgs, ToolCallEnd, ToolCallStart, ToolPhase,
    ToolResult,
};
pub use request::{AgentModule, AgentRequest};
pub use stream::AgentEventStream;
pub use text::AssistantText;
pub use token::AccessToken;
