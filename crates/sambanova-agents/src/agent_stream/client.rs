//! [`AgentStreamClient`]: the client, and opening a run's event stream on the one core (the
//! login and the token's renewal are in `auth`, the configuration in `builder`).

use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{self, HeaderValue};
use sambanova_agents_raw::agent_stream as raw;

use super::request::{AgentRequest, ChatRequest};
use super::stream::AgentEventStream;
use super::token::{AccessToken, Password};
use crate::call::built;
use crate::dialect::Dialect;
use crate::event_source::{StreamSettings, open_event_stream};
use crate::sse::Decoder;
use crate::transport::{CallDeadline, CallOptions, Response, Transport};
use crate::{CallBuilder, Error, RetryPolicy};

/// A client for the agent stream backend: logs in, keeps the access token fresh, and opens
/// runs as streams of typed [`AgentEvent`](crate::agent_stream::AgentEvent)s. Cheap to
/// clone: clones share the connection pool and the token.
///
/// Authentication, in the order used: a username and password (the client logs in when it
/// needs a token, renews it before it expires, and on a 401 renews it and resends once), or an
/// access token obtained elsewhere (used as is until it expires or the server refuses it; then
/// [`Error::Authentication`] says to log in again). The server has no API-key authentication.
/// [`Error::auth_failure`] tells the refusals apart: a wrong password or unknown user
/// ([`AuthFailure::Rejected`](crate::AuthFailure::Rejected)), a token the server calls invalid
/// (`TokenInvalid`), or one it calls expired or that could not be renewed (`TokenExpired`).
///
/// Renewing: the login's refresh cookie buys one new access token (the server spends it and
/// revokes the previous token); every renewal after that is a new login with the stored
/// credentials.
///
/// ```no_run
/// # async fn demo() -> Result<(), sambanova_agents::Error> {
/// use futures_util::StreamExt;
/// use sambanova_agents::agent_stream::{AgentEvent, AgentRequest, AgentStreamClient, TurnText};
///
/// let client = AgentStreamClient::builder()
///     .base_url("https://agents.example.com")
///     .credentials("demo", "demo")
///     .build()?;
/// let mut events = client.stream(&AgentRequest::new("Create hello.py and run it")).await?;
/// let mut answer = TurnText::new();
/// while let Some(event) = events.next().await {
///     let event = event?;
///     answer.push(&event);
///     if let AgentEvent::Tool(tool) = &event {
///         eprintln!("tool {:?}: {:?}", tool.name, tool.phase);
///     }
/// }
/// println!("{}", answer.text());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AgentStreamClient {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    /// The shared HTTP client and headers; the bearer token is added per request.
    pub(super) transport: Transport,
    /// Builds the requests (never sends them: the transport does).
    pub(super) raw: raw::Client,
    pub(super) base_url: String,
    pub(super) username: Option<String>,
    pub(super) password: Option<Password>,
    pub(super) captcha: Option<Captcha>,
    pub(super) session: Mutex<Session>,
    /// One login or refresh at a time: the backend limits logins to 5 a minute.
    pub(super) renewing: tokio::sync::Mutex<()>,
    /// Which [`AUTH_PATHS`](super::auth) entry the server answered last.
    pub(super) auth_paths: AtomicUsize,
    pub(super) settings: Settings,
}

/// The client's timeouts, renewal margin and retry policy, as its builder set them.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub(super) timeout: Duration,
    pub(super) stall_timeout: Duration,
    pub(super) max_duration: Duration,
    pub(super) refresh_margin: Duration,
    pub(super) retry: RetryPolicy,
    pub(super) max_event_size: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(60),
            // Tools can run for minutes in silence.
            stall_timeout: Duration::from_secs(300),
            max_duration: Duration::from_secs(2 * 60 * 60),
            refresh_margin: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            max_event_size: Decoder::DEFAULT_MAX_EVENT_SIZE,
        }
    }
}

#[derive(Default)]
pub(super) struct Session {
    pub(super) token: Option<AccessToken>,
    /// The cookies the login set (`agents_backend_refresh_token=…`), as one sensitive `Cookie`
    /// value, until a refresh spends them.
    pub(super) cookies: Option<HeaderValue>,
}

/// A captcha's id and answer, for deployments that ask for one at login.
#[derive(Clone)]
pub(super) struct Captcha {
    pub(super) uuid: String,
    pub(super) answer: Password,
}

impl fmt::Debug for AgentStreamClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("AgentStreamClient")
            .field("base_url", &inner.base_url)
            .field("username", &inner.username)
            .field("password", &inner.password.as_ref().map(|_| "<redacted>"))
            .field("captcha", &inner.captcha.as_ref().map(|c| &c.uuid))
            .field("transport", &inner.transport)
            .field("settings", &inner.settings)
            .finish_non_exhaustive()
    }
}

impl AgentStreamClient {
    /// The server root requests go to (no trailing slash).
    ///
    /// ```
    /// use sambanova_agents::agent_stream::AgentStreamClient;
    ///
    /// let client = AgentStreamClient::builder().access_token("t").build().unwrap();
    /// assert_eq!(client.base_url(), "http://localhost:8000");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The access token the client holds now, if any (to store it for a later process).
    pub fn access_token(&self) -> Option<AccessToken> {
        self.session().token.clone()
    }

    /// Opens a run: `POST /agent/agent/stream`, then the run's events as they come.
    ///
    /// Returns once the server answered: an HTTP error is returned here, not as the stream's
    /// first item. A token that expires within the refresh margin is renewed first; a 401 makes
    /// the client renew it and send the request once more (the server refused it, so the agent
    /// did not run). Nothing else is ever sent twice once it may have reached the server: that
    /// would start a second run.
    ///
    /// The call's options ([`CallBuilder`]) apply to the run's request; a deadline bounds the
    /// login too, when one comes first. With [`CallBuilder::with_response`] the stream comes
    /// with its answer's metadata (also at [`AgentEventStream::meta`]).
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::agent_stream::AgentStreamClient) -> Result<(), sambanova_agents::Error> {
    /// use futures_util::StreamExt;
    /// use sambanova_agents::agent_stream::{AgentModule, AgentRequest};
    ///
    /// let request = AgentRequest::new("The AI chip market").module(AgentModule::Research);
    /// let mut events = client.stream(&request).await?;
    /// while let Some(event) = events.next().await {
    ///     event?;
    /// }
    /// if let Some(interrupt) = events.interrupt() {
    ///     let answer = AgentRequest::answer(interrupt, "accepted");
    ///     let mut report = client.stream(&answer).await?;
    ///     while let Some(event) = report.next().await {
    ///         println!("{:?}", event?);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream<'a>(&'a self, request: &'a AgentRequest) -> CallBuilder<'a, AgentEventStream> {
        CallBuilder::new(move |options| async move {
            let body = request.to_wire()?;
            self.run(RunBody::Agent(body), options).await
        })
    }

    /// Chats without a sandbox: `POST /agent/chat/stream`, for questions, explanations and
    /// web research rather than running code. The same guarantees as [`Self::stream`], with
    /// the chat's own body and events: each piece of text arrives twice (as `message` and
    /// `message_chunk`; [`TurnText`](crate::agent_stream::TurnText) counts it once),
    /// each tool result twice (`tool_result`, then `tool_call_result`), and no terminal event
    /// comes: the end of the body ends the turn. The server names the thread it created in
    /// every event ([`AgentEventStream::thread_id`]): send it back to continue.
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::agent_stream::AgentStreamClient) -> Result<(), sambanova_agents::Error> {
    /// use futures_util::StreamExt;
    /// use sambanova_agents::agent_stream::{TurnText, ChatRequest};
    ///
    /// let mut events = client.chat_stream(&ChatRequest::new("What does `?` do in Rust?")).await?;
    /// let mut answer = TurnText::new();
    /// while let Some(event) = events.next().await {
    ///     answer.push(&event?);
    /// }
    /// println!("{}", answer.text());
    /// if let Some(interrupt) = events.interrupt() {
    ///     let reply = sambanova_agents::agent_stream::ChatRequest::answer(interrupt, "accepted");
    ///     client.chat_stream(&reply).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn chat_stream<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> CallBuilder<'a, AgentEventStream> {
        CallBuilder::new(move |options| async move {
            let body = request.to_wire()?;
            self.run(RunBody::Chat(body), options).await
        })
    }

    /// Opens a run with the call's `options`; their deadline bounds the login too, when one
    /// is needed first.
    async fn run(
        &self,
        body: RunBody,
        options: CallOptions,
    ) -> Result<Response<AgentEventStream>, Error> {
        let run = async {
            let token = self.usable_token().await?;
            match self.open(&body, token.as_ref(), &options).await {
                Err(refused @ Error::Authentication { .. }) => {
                    tracing::debug!(request_id = ?refused.request_id(), "token refused; renewing it to resend once");
                    match self.renew_after_refusal(token.as_ref()).await? {
                        Some(renewed) => self.open(&body, Some(&renewed), &options).await,
                        None => Err(refused),
                    }
                }
                other => other,
            }
        };
        match options.deadline.map(CallDeadline::start) {
            Some(deadline) => deadline.bound(body.operation(), run).await,
            None => run.await,
        }
    }

    /// Sends the run request once with `token`, and reads the answer's head.
    async fn open(
        &self,
        body: &RunBody,
        token: Option<&AccessToken>,
        options: &CallOptions,
    ) -> Result<Response<AgentEventStream>, Error> {
        let settings = &self.inner.settings;
        let raw = &self.inner.raw;
        let operation = body.operation();
        let mut request = match body {
            RunBody::Agent(body) => built(raw.agent_stream_request(body))?,
            RunBody::Chat(body) => built(raw.chat_stream_request(body))?,
        };
        if let Some(token) = token {
            request
                .headers_mut()
                .insert(header::AUTHORIZATION, token.key().bearer());
        }
        // Copied only for a retry the policy allows: one the server cannot have run.
        let build = || {
            request
                .try_clone()
                .ok_or_else(|| Error::invalid_input("the request cannot be copied"))
        };
        let opened = open_event_stream(
            &self.inner.transport,
            operation,
            build,
            settings.retry.clone(),
            settings.timeout,
            options,
            Dialect::AgentStream,
        )
        .await?;
        let meta = opened.meta.clone();
        let events = AgentEventStream::new(
            opened,
            StreamSettings {
                stall_timeout: settings.stall_timeout,
                max_event_size: settings.max_event_size,
                // The run's events arrive within it.
                max_duration: Some(settings.max_duration),
                ..StreamSettings::default()
            },
            matches!(body, RunBody::Chat(_)),
        );
        Ok(Response::new(events, meta))
    }
}

/// The two run endpoints and their bodies: with a sandbox, or chat only.
#[derive(Debug)]
pub(super) enum RunBody {
    Agent(raw::types::AgentStreamRequest),
    Chat(raw::types::ChatStreamRequest),
}

impl RunBody {
    fn operation(&self) -> &'static str {
        match self {
            RunBody::Agent(_) => "agent_stream",
            RunBody::Chat(_) => "chat_stream",
        }
    }
}
