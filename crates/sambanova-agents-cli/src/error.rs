//! One error type for the whole CLI, mapped to documented exit codes so
//! scripts can tell a bad key from a dead server, and rendered as one line
//! that says what happened and what to do.

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

use sambanova_agents::AuthFailure;
use sambanova_agents::Error as SdkError;

/// Everything that can make a command fail.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The arguments make no sense together (found after parsing).
    #[error("{message}")]
    Usage {
        /// What is wrong and what to pass instead.
        message: String,
    },
    /// No API key anywhere: nothing can be sent.
    #[error(
        "no API key: set SAMBANOVA_API_KEY or pass --api-key (or try --mock; for a local server \
         that outlives one command, run `sambanova-agents mock`, which prints its key and the \
         exports to use)"
    )]
    MissingKey,
    /// An input file named on the command line could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Input {
        /// The file (or `<stdin>`).
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An SDK call failed; shown with advice for its kind and the server it went to.
    #[error("{}", Advised(.error, .service))]
    Api {
        /// What went wrong.
        error: SdkError,
        /// Which server the call went to (the advice differs).
        service: Service,
    },
    /// A session turn ended with an error event.
    #[error("the agent's turn failed: {message}")]
    TurnFailed {
        /// What the agent or server said.
        message: String,
    },
    /// A followed session turn ended with no result: no terminal event came before the
    /// queue drained.
    #[error("the turn ended without a result: {why}")]
    TurnWithoutResult {
        /// What is known of why (a crash report, a denied tool).
        why: String,
    },
    /// A followed turn waits for an answer nobody here can give.
    #[error("{message}")]
    AnswerNeeded {
        /// What waits, and how to answer it.
        message: String,
    },
    /// Ctrl-C interrupted the followed turn.
    #[error("the turn was interrupted (Ctrl-C)")]
    Interrupted,
    /// Ctrl-C stopped a download; its partial file is removed.
    #[error("the download was interrupted (Ctrl-C); nothing was saved")]
    DownloadInterrupted,
    /// A plan was never answered: input ended first. The run stopped at the plan, which
    /// waits on its thread for `--thread ID --approve` or `--feedback TEXT`.
    #[error(
        "{agent} stopped at a plan: input ended before it was answered; the plan waits on thread \
         {thread_id} (continue it with --thread and --approve or --feedback TEXT, or pass --yes)"
    )]
    NotApproved {
        /// The agent, as its command is named (`research`, `datascience`, `main`).
        agent: &'static str,
        /// The thread the plan waits on, terminal-safe.
        thread_id: String,
    },
    /// `--yes` approved as many plans as `--max-approvals` allows, and the server answered
    /// with yet another.
    #[error(
        "{agent} stopped: {approved} plans approved automatically and the server answered with \
         another (shown above); answer it with --thread and --approve or --feedback TEXT, or \
         raise --max-approvals (thread {thread_id})"
    )]
    TooManyPlans {
        /// The agent, as its command is named.
        agent: &'static str,
        /// How many plans were approved.
        approved: u32,
        /// The thread the last plan is on, terminal-safe.
        thread_id: String,
    },
    /// The agent stream's run stopped on a question nobody answered (input ended, or the
    /// number of answers allowed was reached).
    #[error("the agent is waiting for an answer: {message}")]
    Unanswered {
        /// Why no answer was sent, and how to continue.
        message: String,
    },
    /// The embedded mock server could not start.
    #[cfg(feature = "mock")]
    #[error("cannot start the embedded mock server: {0}")]
    Mock(std::io::Error),
    /// Storing or loading the agent-stream token failed.
    #[error(transparent)]
    Token(#[from] crate::token::TokenError),
    /// Local I/O failed (writing a report, writing stdout).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The server an SDK call went to: each has its own credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The SambaNova Agents API.
    Agents,
    /// A Sessions server.
    Sessions,
    /// An agent-stream backend.
    AgentStream,
}

impl From<SdkError> for CliError {
    fn from(error: SdkError) -> Self {
        CliError::Api {
            error,
            service: Service::Agents,
        }
    }
}

impl CliError {
    /// Attributes an SDK error to `service`, for the right advice.
    pub fn attributed_to(self, service: Service) -> Self {
        match self {
            CliError::Api { error, .. } => CliError::Api { error, service },
            other => other,
        }
    }

    /// The documented exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit_status())
    }

    /// [`Self::exit_code`] as a number, for a JSON error document.
    pub fn exit_status(&self) -> u8 {
        match self {
            CliError::Io(_) => 1,
            #[cfg(feature = "mock")]
            CliError::Mock(_) => 1,
            CliError::Usage { .. } | CliError::Input { .. } => 2,
            CliError::MissingKey | CliError::Token(crate::token::TokenError::NotLoggedIn) => 3,
            CliError::Token(_) => 1,
            CliError::Api { error, .. } => sdk_exit_code(error),
            CliError::TurnFailed { .. } | CliError::TurnWithoutResult { .. } => 4,
            CliError::NotApproved { .. }
            | CliError::TooManyPlans { .. }
            | CliError::Unanswered { .. } => 6,
            CliError::AnswerNeeded { .. } => 7,
            CliError::Interrupted | CliError::DownloadInterrupted => 130,
        }
    }

    /// Whether this is stdout closing under us (`… | head`): not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Io(error) if error.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

fn sdk_exit_code(error: &SdkError) -> u8 {
    match error {
        SdkError::Authentication { .. } => 3,
        SdkError::Config { .. } | SdkError::InvalidInput { .. } => 2,
        // Reading an upload is a bad argument; failing to write a download is local.
        SdkError::Io { action, .. } if action.starts_with("reading") => 2,
        SdkError::Io { .. } => 1,
        // A stream that went silent or could not be kept is lost like a connection.
        SdkError::Connection { .. }
        | SdkError::Timeout { .. }
        | SdkError::Stalled { .. }
        | SdkError::ReconnectsExhausted { .. } => 5,
        // An answer the CLI cannot read, whether the HTTP answer or the result inside it, is
        // the server's failure like any other.
        SdkError::UnexpectedResponse { .. } | SdkError::Decode { .. } => 4,
        _ => 4,
    }
}

/// What the user can do about an SDK error, when there is something to say.
fn advice(error: &SdkError, service: Service) -> Option<&'static str> {
    Some(match error {
        SdkError::Authentication { .. } => match service {
            Service::Agents => "set SAMBANOVA_API_KEY or pass --api-key",
            Service::Sessions => "set SAMBANOVA_SESSIONS_API_KEY or pass --api-key",
            Service::AgentStream => match error.auth_failure() {
                Some(AuthFailure::Rejected) => {
                    "check the username and the password, and run `sambanova-agents login` again"
                }
                Some(AuthFailure::TokenExpired) => {
                    "the token has expired and could not be renewed: run `sambanova-agents login` again, or set SAMBANOVA_AGENT_STREAM_USERNAME and SAMBANOVA_AGENT_STREAM_PASSWORD"
                }
                _ => {
                    "run `sambanova-agents login` again, or set SAMBANOVA_AGENT_STREAM_USERNAME and SAMBANOVA_AGENT_STREAM_PASSWORD"
                }
            },
        },
        SdkError::NotFound { .. } => match service {
            Service::Agents => "check the id (files belong to the API key that created them)",
            Service::Sessions => "check the session or sandbox id",
            Service::AgentStream => "check --base-url",
        },
        SdkError::RateLimited { .. } => "wait a moment and try again",
        // 501: the agent stream's modules that are not implemented; trying again cannot help.
        SdkError::Server(error) if error.http_status.as_u16() == 501 => {
            "the server does not implement this (for agent, choose another --module)"
        }
        // Only what the SDK would retry (a proxy's 502-504, after its retries) is worth
        // sending again; the server may have acted on any other failed request (run the
        // agent, made the session), and it says nothing better for being repeated.
        SdkError::Server(_) if error.is_retryable() => {
            "the server is unavailable for now: try again later"
        }
        SdkError::Server(_) => {
            "it was not sent again, since the server may have acted on it; quote the request id to report it"
        }
        SdkError::UnexpectedResponse { .. } => {
            "check that --base-url points at the SambaNova Agents API"
        }
        SdkError::Timeout { .. } => "pass --timeout SECONDS",
        SdkError::Connection { .. } => "check --base-url and your connection",
        _ => return None,
    })
}

/// An SDK error as one line: the SDK's message, the advice, then the request id (which the
/// SDK appends itself; moved last so the advice reads with the message).
struct Advised<'a>(&'a SdkError, &'a Service);

impl fmt::Display for Advised<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let error = self.0;
        let full = error.to_string();
        let request_id = error.request_id();
        let suffix = request_id.map(|id| format!(" [request id {id}]"));
        let message = suffix
            .as_deref()
            .and_then(|suffix| full.strip_suffix(suffix))
            .unwrap_or(&full);
        // Messages can quote server text with newlines; the error stays on one line, and an
        // escape sequence in it is shown, not obeyed.
        let message = message.split_whitespace().collect::<Vec<_>>().join(" ");
        f.write_str(&crate::terminal_text::terminal_safe(&message))?;
        if let Some(advice) = advice(error, *self.1) {
            write!(f, "; {advice}")?;
        }
        if let Some(id) = request_id {
            write!(
                f,
                " (request id {})",
                crate::terminal_text::terminal_safe_word(id)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classified(status: u16, body: &str, request_id: Option<&str>) -> SdkError {
        sambanova_agents::classify(
            sambanova_agents::Expect::Json,
            status,
            Some("application/json"),
            request_id,
            body.as_bytes(),
        )
        .expect_err("an error status")
    }

    #[test]
    fn authentication_says_what_to_do_and_ends_with_the_request_id() {
        let error = CliError::from(classified(
            401,
            r#"{"error":"Invalid API key"}"#,
            Some("r-1"),
        ));
        assert_eq!(
            error.to_string(),
            "authentication failed (401): Invalid API key; set SAMBANOVA_API_KEY or pass --api-key (request id r-1)"
        );
        assert_eq!(error.exit_code(), ExitCode::from(3));
    }

    #[test]
    fn server_failures_exit_4_and_stay_on_one_line() {
        let error = CliError::from(classified(
            500,
            r#"{"status":"error","error":"boom\nsecond line"}"#,
            None,
        ));
        assert!(!error.to_string().contains('\n'), "{error}");
        assert_eq!(error.exit_code(), ExitCode::from(4));
    }

    #[test]
    fn only_a_retryable_server_failure_says_try_again() {
        let failed = CliError::from(classified(
            500,
            r#"{"status":"error","error":"An internal error occurred"}"#,
            Some("r-5"),
        ));
        let line = failed.to_string();
        assert!(!line.contains("try again"), "{line}");
        assert!(line.contains("not sent again"), "{line}");
        assert!(line.ends_with("(request id r-5)"), "{line}");

        let gateway = CliError::from(classified(503, r#"{"detail":"unavailable"}"#, None));
        assert!(gateway.to_string().contains("try again later"), "{gateway}");
        assert_eq!(gateway.exit_code(), ExitCode::from(4));
    }

    #[test]
    fn a_result_that_does_not_decode_exits_4_like_an_unexpected_answer() {
        let done = sambanova_agents::Completion::from_result("Error: no ticker");
        let error = CliError::from(done.financial_report().expect_err("not a report"));
        assert_eq!(error.exit_code(), ExitCode::from(4));
        let unexpected = CliError::from(done.json().expect_err("not JSON"));
        assert_eq!(unexpected.exit_code(), error.exit_code());
        assert!(error.to_string().contains("no ticker"), "{error}");
    }

    #[test]
    fn a_servers_escape_sequence_is_shown_not_obeyed() {
        let error = CliError::from(classified(
            500,
            r#"{"status":"error","error":"\u001b]0;pwned\u0007 用户名或密码有误"}"#,
            None,
        ));
        let line = error.to_string();
        assert!(
            !line.contains('\u{1b}') && !line.contains('\u{7}'),
            "{line:?}"
        );
        assert!(
            line.contains("\\u{1b}]0;pwned\\u{7} 用户名或密码有误"),
            "{line}"
        );
    }

    #[test]
    fn a_request_id_with_escape_sequences_is_shown_escaped_on_the_one_line() {
        let error = CliError::from(classified(
            401,
            r#"{"error":"Invalid API key"}"#,
            Some("r-1\u{1b}]0;owned\u{7}\nfake: line"),
        ));
        let line = error.to_string();
        assert!(
            line.ends_with("(request id r-1\\u{1b}]0;owned\\u{7}\\u{a}fake: line)"),
            "{line}"
        );
    }

    #[test]
    fn not_found_exits_4_with_advice() {
        let error = CliError::from(classified(404, r#"{"error":"File not found"}"#, None));
        assert!(error.to_string().contains("check the id"), "{error}");
        assert_eq!(error.exit_code(), ExitCode::from(4));
    }

    #[test]
    fn local_kinds_have_their_own_codes() {
        assert_eq!(CliError::MissingKey.exit_code(), ExitCode::from(3));
        let not_approved = CliError::NotApproved {
            agent: "research",
            thread_id: "t-1".into(),
        };
        assert_eq!(not_approved.exit_code(), ExitCode::from(6));
        let waiting = CliError::AnswerNeeded {
            message: "x".into(),
        };
        assert_eq!(waiting.exit_code(), ExitCode::from(7));
        assert_eq!(CliError::Interrupted.exit_code(), ExitCode::from(130));
        let crashed = CliError::TurnWithoutResult { why: "x".into() };
        assert_eq!(crashed.exit_code(), ExitCode::from(4));
        assert!(
            crashed
                .to_string()
                .starts_with("the turn ended without a result")
        );
        let input = CliError::Input {
            path: "x".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        };
        assert_eq!(input.exit_code(), ExitCode::from(2));
        let pipe = CliError::Io(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(pipe.is_broken_pipe());
    }
}
