//! The one error type of the SDK, with the kinds a caller branches on.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde::Deserialize;

/// Everything that can go wrong in a call, as kinds a caller can branch on.
///
/// Every kind that comes from an HTTP response carries the server's `X-Request-ID`
/// ([`Error::request_id`]), which is what SambaNova support asks for. No variant ever holds the
/// API key or a bearer token.
///
/// ```
/// use sambanova_agents::Error;
///
/// fn advice(error: &Error) -> &'static str {
///     match error {
///         Error::Authentication { .. } => "set SAMBANOVA_API_KEY",
///         Error::RateLimited { .. } => "slow down",
///         Error::Timeout { .. } => "raise the timeout: agents take minutes",
///         _ => "see the message",
///     }
/// }
/// # let _ = advice;
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be configured (no API key, a malformed base URL, the key about to
    /// be sent over plain HTTP, …).
    #[error("configuration error: {message}")]
    Config {
        /// What is wrong and what to do about it.
        message: String,
    },

    /// The caller passed something the SDK cannot send (an unreadable upload, an empty id, …).
    #[error("invalid input: {message}")]
    InvalidInput {
        /// What is wrong.
        message: String,
    },

    /// 401 or 403: the server refused the credentials (an API key, a token, a password).
    #[error(
        "authentication failed ({}): {message}{}{}",
        status.as_u16(),
        AttemptsSuffix(*attempts),
        RequestIdSuffix(request_id)
    )]
    Authentication {
        /// 401 (no or bad credentials) or 403 (refused: a wrong password, a key without access).
        status: StatusCode,
        /// Which refusal it is: what to do next differs (renew a token, log in, fix the key).
        failure: AuthFailure,
        /// The server's message, e.g. `Invalid API key`.
        message: String,
        /// The server's `X-Request-ID`.
        request_id: Option<String>,
        /// How many times the request was sent: more than 1 when it followed retries.
        attempts: u32,
    },

    /// 400: the server rejected the request (e.g. `thread_id is required when resume=true`).
    #[error(
        "bad request (400): {message}{}{}",
        AttemptsSuffix(*attempts),
        RequestIdSuffix(request_id)
    )]
    BadRequest {
        /// The server's message.
        message: String,
        /// The server's `X-Request-ID`.
        request_id: Option<String>,
        /// How many times the request was sent: more than 1 when it followed retries.
        attempts: u32,
    },

    /// 404: no such file (or a file another key owns: the server does not tell them apart).
    #[error(
        "not found (404): {message}{}{}",
        AttemptsSuffix(*attempts),
        RequestIdSuffix(request_id)
    )]
    NotFound {
        /// The server's message.
        message: String,
        /// The server's `X-Request-ID`.
        request_id: Option<String>,
        /// How many times the request was sent: more than 1 when it followed retries.
        attempts: u32,
    },

    /// 409: the request conflicts with the resource's state (e.g. the Sessions API's
    /// `session_invalid_state`: no pending permission request with that id).
    #[error(
        "conflict (409): {message}{}{}",
        AttemptsSuffix(*attempts),
        RequestIdSuffix(request_id)
    )]
    Conflict {
        /// The server's message (with its error code, when it sent one).
        message: String,
        /// The server's `X-Request-ID`.
        request_id: Option<String>,
        /// How many times the request was sent: more than 1 when it followed retries.
        attempts: u32,
    },

    /// 413: the request (an upload, a prompt) is larger than the server accepts.
    #[error(
        "request too large (413): {message}{}{}",
        AttemptsSuffix(*attempts),
        RequestIdSuffix(request_id)
    )]
    RequestTooLarge {
        /// The server's message.
        message: String,
        /// The server's `X-Request-ID`.
        request_id: Option<String>,
        /// How many times the request was sent: more than 1 when it followed retries.
        attempts: u32,
    },

    /// 422: the request body failed validation (FastAPI's `detail` list).
    #[error(
        "validation failed (422): {}{}{}",
        ValidationSummary(detail),
        AttemptsSuffix(*attempts),
        RequestIdSuffix(request_id)
    )]
    Validation {
        /// One entry per invalid field.
        detail: Vec<ValidationIssue>,
        /// The server's `X-Request-ID`.
        request_id: Option<String>,
        /// How many times the request was sent: more than 1 when it followed retries.
        attempts: u32,
    },

    /// 429: too many requests, after the retries the policy allowed.
    #[error(
        "rate limited (429){}{}{}",
        RetryAfterSuffix(retry_after),
        AttemptsSuffix(*attempts),
        RequestIdSuffix(request_id)
    )]
    RateLimited {
        /// How long the server asked to wait, when it said.
        retry_after: Option<Duration>,
        /// The server's `X-Request-ID`.
        request_id: Option<String>,
        /// How many times the request was sent: more than 1 when it followed retries.
        attempts: u32,
    },

    /// The server or the agent failed: a 5xx (a 500 with `status: "completed"` too, since the
    /// real server uses it for runs it could not extract a result from), or a 200 whose body
    /// says `status: "error"`.
    #[error("{0}")]
    Server(Box<ServerError>),

    /// A response that is none of the documented shapes (wrong content type, a body that does
    /// not parse, an undocumented status). Keeps what arrived, for a bug report.
    #[error(
        "unexpected response ({status}, {}): {}{}{}",
        content_type.as_deref().unwrap_or("no content type"),
        reason,
        AttemptsSuffix(*attempts),
        RequestIdSuffix(request_id)
    )]
    UnexpectedResponse {
        /// The HTTP status.
        status: StatusCode,
        /// The `Content-Type`, if any.
        content_type: Option<String>,
        /// Why it was not understood.
        reason: String,
        /// The body (at most [`Error::KEPT_BODY_BYTES`] of it), lossily decoded.
        body: String,
        /// The server's `X-Request-ID`.
        request_id: Option<String>,
        /// How many times the request was sent: more than 1 when it followed retries.
        attempts: u32,
    },

    /// A completed run's result does not have the shape asked for: [`Completion::parse`] into
    /// a type whose fields the result does not fit, or a result that is not JSON at all (the
    /// financial agent answers `Error: <reason>` text when its pipeline fails). The HTTP answer
    /// itself was fine; [`Error::UnexpectedResponse`] is for answers that are not.
    ///
    /// [`Completion::parse`]: crate::Completion::parse
    ///
    /// ```
    /// use sambanova_agents::{Completion, ErrorKind};
    ///
    /// let done = Completion::from_result(r#"{"ticker": "X", "risk": {"beta": "high"}}"#);
    /// let error = done.financial_report().unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::Decode);
    /// # let _ = error;
    /// ```
    #[error(
        "the result does not decode into {target}: {}{message}{}",
        PathPrefix(path),
        RequestIdSuffix(request_id)
    )]
    Decode {
        /// The type asked for, as [`std::any::type_name`] names it.
        target: &'static str,
        /// Where in the result decoding stopped, as a serde path (`risk.beta`,
        /// `stock_price_data[2].close`); empty when the failure is at the top (a result that
        /// is not JSON, or not an object).
        path: String,
        /// What did not fit, as serde says it (`invalid type: string "high", expected f64 at
        /// line 3 column 18`), or why the result is not JSON at all.
        message: String,
        /// The result (at most [`Error::KEPT_BODY_BYTES`] of it), for a bug report.
        body: String,
        /// The server's `X-Request-ID` of the answer that carried the result.
        request_id: Option<String>,
    },

    /// The response body was larger than the client's limit; the rest was not read.
    #[error(
        "response body larger than the {limit}-byte limit{}{}",
        AttemptsSuffix(*attempts),
        RequestIdSuffix(request_id)
    )]
    ResponseTooLarge {
        /// The limit in bytes.
        limit: u64,
        /// The server's `X-Request-ID`.
        request_id: Option<String>,
        /// How many times the request was sent: more than 1 when it followed retries.
        attempts: u32,
    },

    /// The call's deadline passed (its timeout covers every attempt and every wait between
    /// them). An agent POST that timed out may still be running on the server; it is never sent
    /// again automatically.
    #[error(
        "{operation} {}{}{}",
        Expired { after: *after, deadline: *deadline },
        AttemptsSuffix(*attempts),
        TimeoutHint { operation, deadline: *deadline, attempts: *attempts }
    )]
    Timeout {
        /// The time that ran out: an attempt's timeout, or the call's deadline.
        after: Duration,
        /// What timed out: the operation (`deepresearch_interactive`, `create_session`, …),
        /// `connecting the event stream`, `provisioning the sandbox`.
        operation: String,
        /// How many times the request was sent: more than 1 when it followed retries, 0 when
        /// the deadline had passed before anything was sent.
        attempts: u32,
        /// Whether it was the call's deadline that passed (a longer timeout would not have
        /// helped), not one attempt's timeout.
        deadline: bool,
    },

    /// The connection failed or broke (refused, reset, TLS, a body cut short).
    #[error("connection error: {message}{}", AttemptsSuffix(*attempts))]
    Connection {
        /// What happened, without the URL's secrets (there are none in URLs here).
        message: String,
        /// Whether the request can have reached the server's handler.
        maybe_delivered: bool,
        /// How many times the request was sent: more than 1 when it followed retries.
        attempts: u32,
    },

    /// A local file could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What the SDK was doing (`reading`, `writing`, …).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// An event stream went silent: not a byte (not even a keepalive) for `after`. A Sessions
    /// stream reconnects after a stall and yields this only inside
    /// [`Error::ReconnectsExhausted`]; an agent stream, which is never sent again, ends with it.
    #[error("the event stream stalled: no data for {}{stream}", HumanDuration(*after))]
    Stalled {
        /// The silence limit that passed.
        after: Duration,
        /// Which stream, and how far it got.
        stream: StreamContext,
    },

    /// The server ended an agent run's stream before the run was over (no `complete` status,
    /// `error` or interrupt came). The run is not sent again: it may still be going on.
    #[error("the event stream ended before the run completed{stream}")]
    StreamEnded {
        /// Which stream, and how far it got.
        stream: StreamContext,
    },

    /// A Sessions event stream gave up reconnecting: the configured number of reconnections in
    /// a row, or the configured total reconnect time, passed without a new event.
    #[error("the event stream gave up reconnecting{stream}: {last}")]
    ReconnectsExhausted {
        /// Which stream, and how far it got (`reconnects` counts the attempts).
        stream: StreamContext,
        /// The last failure, the reason the stream was reconnecting.
        last: Box<Error>,
    },

    /// A sandbox failed to provision (its `provisioning_failed` event).
    #[error("provisioning of sandbox {sandbox:?} failed: {message}")]
    ProvisioningFailed {
        /// The sandbox, by the name the SDK created it with.
        sandbox: String,
        /// The server's reason.
        message: String,
    },
}

/// Where an event stream was when it failed: enough to resume it, or to report it.
///
/// ```
/// use sambanova_agents::StreamContext;
///
/// let context = StreamContext::default();
/// assert_eq!(context.to_string(), "");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamContext {
    /// What the stream follows: `session <id>`, `sandbox <id>`, a URL path, `agent run`.
    pub target: Option<String>,
    /// The id of the last event delivered (resume after it).
    pub last_event_id: Option<String>,
    /// How many times the stream reconnected (or tried to).
    pub reconnects: u64,
    /// The `X-Request-ID` of the stream's last connection.
    pub request_id: Option<String>,
}

impl fmt::Display for StreamContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(target) = &self.target {
            parts.push(target.clone());
        }
        if let Some(id) = &self.last_event_id {
            parts.push(format!("last event {id}"));
        }
        if self.reconnects > 0 {
            parts.push(format!("{} reconnections", self.reconnects));
        }
        if let Some(id) = &self.request_id {
            parts.push(format!("request id {id}"));
        }
        if parts.is_empty() {
            return Ok(());
        }
        write!(f, " ({})", parts.join(", "))
    }
}

/// What to do about a timeout, by what timed out.
struct TimeoutHint<'a> {
    operation: &'a str,
    deadline: bool,
    attempts: u32,
}

impl fmt::Display for TimeoutHint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const AGENTS: [&str; 5] = [
            "mainagent",
            "coding",
            "deepresearch",
            "financialanalysis",
            "datascience",
        ];
        let agent = AGENTS.iter().any(|agent| self.operation.starts_with(agent));
        match (self.deadline, self.attempts) {
            (true, 0) => f.write_str(": nothing was sent"),
            // The server does not stop a run its client left: it may finish it still.
            (true, _) if agent => f.write_str(": the run may still be going on the server"),
            (true, _) => f.write_str(": the server may still act on the request"),
            (false, _) if agent => {
                f.write_str(": agent calls take minutes; raise the timeout if needed")
            }
            (false, _) => Ok(()),
        }
    }
}

/// `timed out after 1.5 s`, or `ran past its deadline of 1 h`.
struct Expired {
    after: Duration,
    deadline: bool,
}

impl fmt::Display for Expired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.deadline {
            write!(f, "ran past its deadline of {}", HumanDuration(self.after))
        } else {
            write!(f, "timed out after {}", HumanDuration(self.after))
        }
    }
}

/// What kind of failure an [`Error`] is, as a small `Copy` value to branch on or count.
///
/// ```
/// use sambanova_agents::{Error, ErrorKind};
///
/// fn worth_a_page(error: &Error) -> bool {
///     matches!(error.kind(), ErrorKind::Server | ErrorKind::ReconnectsExhausted)
/// }
/// # let _ = worth_a_page;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)] // Each kind is its `Error` variant, documented there.
pub enum ErrorKind {
    Config,
    InvalidInput,
    Authentication,
    BadRequest,
    NotFound,
    Conflict,
    RequestTooLarge,
    Validation,
    RateLimited,
    Server,
    UnexpectedResponse,
    Decode,
    ResponseTooLarge,
    Timeout,
    Connection,
    Io,
    Stalled,
    StreamEnded,
    ReconnectsExhausted,
    ProvisioningFailed,
}

/// Why the server refused the credentials, as far as its answer tells: what to do next differs
/// (renew an expired token, log in again, fix a key).
///
/// ```
/// use sambanova_agents::{AuthFailure, Error};
///
/// fn next_step(error: &Error) -> &'static str {
///     match error.auth_failure() {
///         Some(AuthFailure::TokenExpired) => "refresh the token, or log in again",
///         Some(AuthFailure::TokenInvalid) => "log in again",
///         Some(AuthFailure::Missing) => "configure the credentials",
///         Some(AuthFailure::Rejected) => "check the key or the password",
///         Some(_) => "ask for access",
///         None => "not an authentication error",
///     }
/// }
/// # let _ = next_step;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthFailure {
    /// No credentials reached the server (e.g. `Authorization header with Bearer token is
    /// required`, `Not authenticated`).
    Missing,
    /// The credentials are wrong: an invalid API key, a wrong password, an unknown user.
    Rejected,
    /// The access token is not valid (a bad signature, garbage): renewing the same token will
    /// not help; a new login does.
    TokenInvalid,
    /// The access token (or the refresh token) has expired, or a refresh revoked it: refresh
    /// it once, or log in again.
    TokenExpired,
    /// 403: the credentials are good but not allowed this.
    Forbidden,
}

impl AuthFailure {
    /// What the server's refusal says, from its status and message (English or Chinese, as the
    /// agent-stream backend answers: `Token 无效` is an invalid token, `Token 已过期` an expired
    /// one).
    pub(crate) fn read(status: StatusCode, message: &str) -> Self {
        let message = message.to_lowercase();
        let says = |words: &[&str]| words.iter().any(|word| message.contains(word));
        if says(&["expired", "过期"]) {
            AuthFailure::TokenExpired
        } else if says(&["token"]) && says(&["invalid", "无效", "malformed", "signature"]) {
            AuthFailure::TokenInvalid
        } else if says(&["required", "not authenticated", "requires authentication"])
            || (says(&["missing"]) && !says(&["invalid"]))
        {
            AuthFailure::Missing
        } else if status == StatusCode::FORBIDDEN {
            AuthFailure::Forbidden
        } else {
            AuthFailure::Rejected
        }
    }
}

impl Error {
    /// How many bytes of an unexpected body an error keeps.
    pub const KEPT_BODY_BYTES: usize = 4096;

    /// The kind of this error.
    ///
    /// ```
    /// use sambanova_agents::{Error, ErrorKind};
    ///
    /// # let error = sambanova_agents::classify(
    /// #     sambanova_agents::Expect::Json, 429, None, None, b"",
    /// # ).unwrap_err();
    /// // `error`: an agent call answered 429.
    /// assert_eq!(error.kind(), ErrorKind::RateLimited);
    /// assert!(error.is_retryable());
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config { .. } => ErrorKind::Config,
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
            Error::Authentication { .. } => ErrorKind::Authentication,
            Error::BadRequest { .. } => ErrorKind::BadRequest,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Conflict { .. } => ErrorKind::Conflict,
            Error::RequestTooLarge { .. } => ErrorKind::RequestTooLarge,
            Error::Validation { .. } => ErrorKind::Validation,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Server(_) => ErrorKind::Server,
            Error::UnexpectedResponse { .. } => ErrorKind::UnexpectedResponse,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::ResponseTooLarge { .. } => ErrorKind::ResponseTooLarge,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Connection { .. } => ErrorKind::Connection,
            Error::Io { .. } => ErrorKind::Io,
            Error::Stalled { .. } => ErrorKind::Stalled,
            Error::StreamEnded { .. } => ErrorKind::StreamEnded,
            Error::ReconnectsExhausted { .. } => ErrorKind::ReconnectsExhausted,
            Error::ProvisioningFailed { .. } => ErrorKind::ProvisioningFailed,
        }
    }

    /// Whether sending the same request again may succeed and cannot run an agent twice: what
    /// the default [`RetryPolicy`](crate::RetryPolicy) retries by itself (a connection never
    /// made; 429, 502, 503, 504). An error you see has already had its retries.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } => true,
            Error::Server(server) => matches!(server.http_status.as_u16(), 502..=504),
            Error::Connection {
                maybe_delivered, ..
            } => !maybe_delivered,
            _ => false,
        }
    }

    /// Whether time ran out: a call's timeout or deadline, or an event stream's silence limit.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::Stalled { .. })
    }

    /// Whether the connection could not be made or broke.
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Connection { .. })
    }

    /// The server's `X-Request-ID`, for every kind that came from a response.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Authentication { request_id, .. }
            | Error::BadRequest { request_id, .. }
            | Error::NotFound { request_id, .. }
            | Error::Conflict { request_id, .. }
            | Error::RequestTooLarge { request_id, .. }
            | Error::Validation { request_id, .. }
            | Error::RateLimited { request_id, .. }
            | Error::UnexpectedResponse { request_id, .. }
            | Error::Decode { request_id, .. }
            | Error::ResponseTooLarge { request_id, .. } => request_id.as_deref(),
            Error::Server(server) => server.request_id.as_deref(),
            Error::Stalled { stream, .. }
            | Error::StreamEnded { stream }
            | Error::ReconnectsExhausted { stream, .. } => stream.request_id.as_deref(),
            _ => None,
        }
    }

    /// How many times the request was sent, for every kind that came from sending one: more
    /// than 1 when the error followed retries (the attempts the [`RetryPolicy`](crate::RetryPolicy)
    /// allowed, or fewer when the call's deadline left no time for another). `0` for a
    /// deadline that passed before the first attempt.
    ///
    /// ```
    /// use sambanova_agents::Error;
    ///
    /// fn report(error: &Error) {
    ///     match error.attempts() {
    ///         Some(attempts) if attempts > 1 => eprintln!("{error} (after {attempts} attempts)"),
    ///         _ => eprintln!("{error}"),
    ///     }
    /// }
    /// # let _ = report;
    /// ```
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Error::Authentication { attempts, .. }
            | Error::BadRequest { attempts, .. }
            | Error::NotFound { attempts, .. }
            | Error::Conflict { attempts, .. }
            | Error::RequestTooLarge { attempts, .. }
            | Error::Validation { attempts, .. }
            | Error::RateLimited { attempts, .. }
            | Error::UnexpectedResponse { attempts, .. }
            | Error::ResponseTooLarge { attempts, .. }
            | Error::Timeout { attempts, .. }
            | Error::Connection { attempts, .. } => Some(*attempts),
            Error::Server(server) => Some(server.attempts),
            _ => None,
        }
    }

    /// Why the credentials were refused, for an [`Error::Authentication`].
    pub fn auth_failure(&self) -> Option<AuthFailure> {
        match self {
            Error::Authentication { failure, .. } => Some(*failure),
            _ => None,
        }
    }

    /// The HTTP status, for every kind that came from a response with one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Authentication { status, .. } => Some(*status),
            Error::RequestTooLarge { .. } => Some(StatusCode::PAYLOAD_TOO_LARGE),
            Error::BadRequest { .. } => Some(StatusCode::BAD_REQUEST),
            Error::NotFound { .. } => Some(StatusCode::NOT_FOUND),
            Error::Conflict { .. } => Some(StatusCode::CONFLICT),
            Error::Validation { .. } => Some(StatusCode::UNPROCESSABLE_ENTITY),
            Error::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::Server(server) => Some(server.http_status),
            Error::UnexpectedResponse { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }

    /// `operation` ran out of `after`, having sent its request `attempts` times.
    pub(crate) fn timeout(after: Duration, operation: impl Into<String>, attempts: u32) -> Self {
        Error::Timeout {
            after,
            operation: operation.into(),
            attempts,
            deadline: false,
        }
    }

    /// `operation`'s deadline of `total` passed, having sent its request `attempts` times.
    pub(crate) fn deadline(total: Duration, operation: impl Into<String>, attempts: u32) -> Self {
        Error::Timeout {
            after: total,
            operation: operation.into(),
            attempts,
            deadline: true,
        }
    }

    /// This error, a timeout named as the deadline's when `deadline` says the deadline is
    /// what ran out.
    pub(crate) fn named_by_deadline(self, deadline: bool) -> Self {
        match self {
            Error::Timeout {
                after,
                operation,
                attempts,
                ..
            } if deadline => Error::deadline(after, operation, attempts),
            other => other,
        }
    }

    pub(crate) fn invalid_input(message: impl Into<String>) -> Self {
        Error::InvalidInput {
            message: message.into(),
        }
    }
}

/// A failure reported by the server or the agent (see [`Error::Server`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ServerError {
    /// The HTTP status (500 in most cases; 502/503/504 from a proxy).
    pub http_status: StatusCode,
    /// The body's `status` (`error`, or `completed` on the real server's "unable to extract"
    /// 500s), when the body is the agent's JSON.
    pub agent_status: Option<crate::AgentStatus>,
    /// The body's `error`, or its `result` when that is all it says, or the first line of a
    /// non-JSON body.
    pub message: String,
    /// The thread the failure belongs to, when the body names one.
    pub thread_id: Option<String>,
    /// The body's `details`, when present.
    pub details: Option<serde_json::Value>,
    /// The `Content-Type` of the response.
    pub content_type: Option<String>,
    /// The server's `X-Request-ID`.
    pub request_id: Option<String>,
    /// How many times the request was sent: more than 1 when it followed retries.
    pub attempts: u32,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server error ({})", self.http_status.as_u16())?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(thread_id) = &self.thread_id {
            write!(f, " (thread {thread_id})")?;
        }
        write!(
            f,
            "{}{}",
            AttemptsSuffix(self.attempts),
            RequestIdSuffix(&self.request_id)
        )
    }
}

/// One entry of a 422's `detail` list (pydantic v2 shape).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ValidationIssue {
    /// Where: e.g. `["body", "prompt"]`.
    #[serde(default)]
    pub loc: Vec<serde_json::Value>,
    /// What, e.g. `Field required`.
    #[serde(default)]
    pub msg: String,
    /// The error type, e.g. `missing`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// The offending input, as the server echoed it.
    #[serde(default)]
    pub input: Option<serde_json::Value>,
}

impl ValidationIssue {
    /// The location joined with dots: `body.prompt`.
    pub fn location(&self) -> String {
        self.loc
            .iter()
            .map(|part| match part {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    }
}

struct RequestIdSuffix<'a>(&'a Option<String>);

impl fmt::Display for RequestIdSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(id) => write!(f, " [request id {id}]"),
            None => Ok(()),
        }
    }
}

/// ` (3 attempts)`, for an error that followed retries.
struct AttemptsSuffix(u32);

impl fmt::Display for AttemptsSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 | 1 => Ok(()),
            attempts => write!(f, " ({attempts} attempts)"),
        }
    }
}

/// `at risk.beta: `, for a decode failure below the top of the document.
struct PathPrefix<'a>(&'a str);

impl fmt::Display for PathPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            "" | "." => Ok(()),
            path => write!(f, "at {path}: "),
        }
    }
}

/// A duration as a person reads it: `250 ms`, `1.5 s`, `2 min 30 s`, `1 h 5 min`.
///
/// Every duration the SDK shows in a message (a timeout, a stall, a `Retry-After`) goes
/// through it, and the CLI uses it too; `Debug` on a [`Duration`] prints `1.5s` or
/// `1500000000ns`-like forms, which are not for people.
///
/// Below a second it shows milliseconds (microseconds below one), below a minute seconds with
/// up to three decimals, below an hour minutes and whole seconds, then hours, minutes and
/// whole seconds; a zero part is left out.
///
/// ```
/// use std::time::Duration;
/// use sambanova_agents::HumanDuration;
///
/// let shown = |d: Duration| HumanDuration(d).to_string();
/// assert_eq!(shown(Duration::from_millis(1500)), "1.5 s");
/// assert_eq!(shown(Duration::from_secs(150)), "2 min 30 s");
/// assert_eq!(shown(Duration::from_secs(600)), "10 min");
/// assert_eq!(shown(Duration::from_secs(3900)), "1 h 5 min");
/// assert_eq!(shown(Duration::from_millis(250)), "250 ms");
/// assert_eq!(shown(Duration::ZERO), "0 s");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(pub Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let duration = self.0;
        if duration.is_zero() {
            return f.write_str("0 s");
        }
        if duration < Duration::from_millis(1) {
            // A few hundred nanoseconds still read as "1 µs", never as "0".
            let micros = duration.as_nanos().div_ceil(1000);
            return write!(f, "{micros} µs");
        }
        if duration < Duration::from_secs(1) {
            return write!(f, "{} ms", Decimals(duration.as_micros(), 3));
        }
        if duration < Duration::from_secs(60) {
            return write!(f, "{} s", Decimals(duration.as_millis(), 3));
        }
        // Past a minute the fraction of a second says nothing: round to whole seconds.
        let total = (duration.as_millis() + 500) / 1000;
        let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
        let mut parts = Vec::with_capacity(3);
        if hours > 0 {
            parts.push(format!("{hours} h"));
        }
        if minutes > 0 {
            parts.push(format!("{minutes} min"));
        }
        if seconds > 0 {
            parts.push(format!("{seconds} s"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// `value / 10^places`, with the fraction's trailing zeros (and a bare point) left out.
struct Decimals(u128, u32);

impl fmt::Display for Decimals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scale = 10u128.pow(self.1);
        let (whole, fraction) = (self.0 / scale, self.0 % scale);
        write!(f, "{whole}")?;
        if fraction > 0 {
            let digits = format!("{fraction:0width$}", width = self.1 as usize);
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        Ok(())
    }
}

struct RetryAfterSuffix<'a>(&'a Option<Duration>);

impl fmt::Display for RetryAfterSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(after) => write!(f, ": retry after {}", HumanDuration(*after)),
            None => Ok(()),
        }
    }
}

struct ValidationSummary<'a>(&'a [ValidationIssue]);

impl fmt::Display for ValidationSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("the server gave no details");
        }
        for (index, issue) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", issue.location(), issue.msg)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        let cases = [
            (Duration::from_nanos(1), "1 µs"),
            (Duration::from_micros(250), "250 µs"),
            (Duration::from_millis(1), "1 ms"),
            (Duration::from_micros(1500), "1.5 ms"),
            (Duration::from_millis(999), "999 ms"),
            (Duration::from_secs(1), "1 s"),
            (Duration::from_millis(1500), "1.5 s"),
            (Duration::from_millis(1250), "1.25 s"),
            (Duration::from_nanos(1_500_000_000), "1.5 s"),
            (Duration::from_secs(59), "59 s"),
            (Duration::from_secs(60), "1 min"),
            (Duration::from_secs(150), "2 min 30 s"),
            (Duration::from_millis(150_400), "2 min 30 s"),
            (Duration::from_millis(59_999_600), "16 h 40 min"),
            (Duration::from_secs(3600), "1 h"),
            (Duration::from_secs(3605), "1 h 5 s"),
            (Duration::from_secs(1800), "30 min"),
        ];
        for (duration, shown) in cases {
            assert_eq!(HumanDuration(duration).to_string(), shown, "{duration:?}");
        }
    }

    #[test]
    fn a_timeout_and_a_stall_print_their_durations_humanly() {
        let timeout = Error::timeout(Duration::from_millis(1500), "create_session", 1);
        assert_eq!(timeout.to_string(), "create_session timed out after 1.5 s");
        let agent = Error::timeout(Duration::from_secs(150), "deepresearch", 2);
        assert_eq!(
            agent.to_string(),
            "deepresearch timed out after 2 min 30 s (2 attempts): agent calls take minutes; \
             raise the timeout if needed"
        );
        let deadline = Error::deadline(Duration::from_secs(3600), "deepresearch", 2);
        assert_eq!(
            deadline.to_string(),
            "deepresearch ran past its deadline of 1 h (2 attempts): the run may still be going \
             on the server"
        );
        let unsent = Error::deadline(Duration::from_secs(60), "create_session", 0);
        assert_eq!(
            unsent.to_string(),
            "create_session ran past its deadline of 1 min: nothing was sent"
        );
        let stalled = Error::Stalled {
            after: Duration::from_secs(90),
            stream: StreamContext::default(),
        };
        assert_eq!(
            stalled.to_string(),
            "the event stream stalled: no data for 1 min 30 s"
        );
        let limited = Error::RateLimited {
            retry_after: Some(Duration::from_secs(120)),
            request_id: None,
            attempts: 3,
        };
        assert_eq!(
            limited.to_string(),
            "rate limited (429): retry after 2 min (3 attempts)"
        );
    }

    #[test]
    fn each_servers_refusals_are_told_apart() {
        let unauthorized = StatusCode::UNAUTHORIZED;
        let cases = [
            // The Agents API.
            (
                unauthorized,
                "Authorization header with Bearer token is required",
                AuthFailure::Missing,
            ),
            (unauthorized, "Invalid API key", AuthFailure::Rejected),
            // The Sessions server.
            (
                unauthorized,
                "unauthorized: missing or invalid API key",
                AuthFailure::Rejected,
            ),
            // The agent-stream backend, in its own words.
            (unauthorized, "Not authenticated", AuthFailure::Missing),
            (unauthorized, "Token 无效", AuthFailure::TokenInvalid),
            (unauthorized, "Token 已过期", AuthFailure::TokenExpired),
            (
                unauthorized,
                "Refresh Token 已过期，请重新登录",
                AuthFailure::TokenExpired,
            ),
            (unauthorized, "token invalid", AuthFailure::TokenInvalid),
            (unauthorized, "Token expired", AuthFailure::TokenExpired),
            (StatusCode::FORBIDDEN, "Forbidden", AuthFailure::Forbidden),
            (unauthorized, "", AuthFailure::Rejected),
        ];
        for (status, message, failure) in cases {
            assert_eq!(AuthFailure::read(status, message), failure, "{message:?}");
        }
    }
}
