//! The SambaNova Agents SDK.

pub mod sse;
