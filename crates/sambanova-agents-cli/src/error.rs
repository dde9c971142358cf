//! One error type for the whole CLI, mapped to documented exit codes so
//! scripts can tell a bad key from a dead server.

use std::process::ExitCode;

/// Everything that can make a command fail.
#[expect(
    dead_code,
    reason = "Auth/Server/Network/NotApproved are produced once the SDK calls land"
)]
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command exists in the grammar but its SDK support has not landed.
    #[error("`{command}` is not available in this build yet: the SDK does not provide it")]
    NotAvailable {
        /// The command that was asked for.
        command: &'static str,
    },
    /// The server rejected the credentials.
    #[error("authentication failed ({status}): set SAMBANOVA_API_KEY or pass --api-key")]
    Auth {
        /// HTTP status (401 or 403).
        status: u16,
    },
    /// The server or agent reported a failure.
    #[error("server error: {message}")]
    Server {
        /// What the server said.
        message: String,
    },
    /// The server could not be reached.
    #[error("network error: {message}; check --base-url and your connection")]
    Network {
        /// What went wrong.
        message: String,
    },
    /// The research plan was never approved.
    #[error(
        "research stopped: input ended before the plan was approved (type \"approve\" or pass --yes)"
    )]
    NotApproved,
    /// Storing or loading the agent-stream token failed.
    #[error(transparent)]
    Token(#[from] crate::token::TokenError),
    /// Local I/O failed (reading a file, writing stdout).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl CliError {
    /// The documented exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            CliError::NotAvailable { .. } | CliError::Io(_) => 1,
            CliError::Auth { .. } | CliError::Token(crate::token::TokenError::NotLoggedIn) => 3,
            CliError::Token(_) => 1,
            CliError::Server { .. } => 4,
            CliError::Network { .. } => 5,
            CliError::NotApproved => 6,
        })
    }
}
