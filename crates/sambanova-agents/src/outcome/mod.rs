//! What an agent call produced ([`AgentOutcome`]), and how an answer becomes one
//! ([`classify()`]). Private: the types are re-exported at the crate root, their one path.

mod classify;
mod token;
mod types;

pub(crate) use classify::classify_exchange;
pub use classify::{Expect, classify};
pub use token::PlanToken;
pub(crate) use types::Resume;
pub use types::{AgentKind, AgentOutcome, AgentStatus, Completion, HtmlReport, Plan, Unrecognized};
