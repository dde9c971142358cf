//! What an agent call produced ([`AgentOutcome`]), and how an answer becomes one
//! ([`classify()`]).

mod classify;
mod types;

pub(crate) use classify::classify_exchange;
pub use classify::{Expect, classify};
pub(crate) use types::Resume;
pub use types::{AgentOutcome, AgentStatus, Completion, HtmlReport, Plan, Unrecognized};
