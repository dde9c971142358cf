//! The client: configuration, login and token refresh, and opening a run's event stream.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderValue};
use reqwest::{RequestBuilder, Response, StatusCode};
use sambanova_agents_raw::agent_stream as raw;
use serde::Deserialize;
use serde_json::Value;

use super::request::{AgentRequest, ChatRequest};
use super::stream::AgentEventStream;
use super::token::{AccessToken, Password};
use crate::call::built;
use crate::client::checked_base_url;
use crate::dialect::{Dialect, unexpected};
use crate::event_source::{StreamSettings, open_event_stream};
use crate::sse::Decoder;
use crate::transport::{CallSettings, Connection, ResponseMeta, Transport, read_body, sensitive};
use crate::{Error, RetryPolicy};

/// The base URL when none is configured: a self-hosted backend's default address.
pub const DEFAULT_AGENT_STREAM_URL: &str = "http://localhost:8000";

/// The environment variable holding the agent stream's base URL (the server root, without
/// `/agent`).
pub const AGENT_STREAM_URL_ENV: &str = "SAMBANOVA_AGENT_STREAM_URL";

/// The environment variable holding the login's username.
pub const AGENT_STREAM_USERNAME_ENV: &str = "SAMBANOVA_AGENT_STREAM_USERNAME";

/// The environment variable holding the login's password.
pub const AGENT_STREAM_PASSWORD_ENV: &str = "SAMBANOVA_AGENT_STREAM_PASSWORD";

/// The environment variable holding an access token obtained elsewhere.
pub const AGENT_STREAM_TOKEN_ENV: &str = "SAMBANOVA_AGENT_STREAM_TOKEN";

/// Auth bodies (a token and a user) are small; anything bigger is not one.
const AUTH_BODY_LIMIT: usize = 1024 * 1024;

/// The login and refresh paths: the running server's first (a JSON login), then the guide's
/// (a form login), which the running server does not serve; tried when the first answers 404
/// without a message of its own.
struct AuthPaths {
    login: &'static str,
    login_body: LoginBody,
    refresh: &'static str,
}

/// How a login sends the credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoginBody {
    Json,
    Form,
}

const AUTH_PATHS: [AuthPaths; 2] = [
    AuthPaths {
        login: "/api/v1/auth/login",
        login_body: LoginBody::Json,
        refresh: "/api/v1/auth/refresh",
    },
    AuthPaths {
        login: "/api/v1/admin/auth/login",
        login_body: LoginBody::Form,
        refresh: "/api/v1/admin/auth/token/refresh",
    },
];

/// A client for the agent stream backend: logs in, keeps the access token fresh, and opens
/// runs as streams of typed [`AgentEvent`](crate::agent_stream::AgentEvent)s. Cheap to
/// clone: clones share the connection pool and the token.
///
/// Authentication, in the order used: a username and password (the client logs in when it
/// needs a token, renews it before it expires, and on a 401 renews it and resends once), or an
/// access token obtained elsewhere (used as is until it expires or the server refuses it; then
/// [`Error::Authentication`] says to log in again). The server has no API-key authentication.
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
    inner: Arc<Inner>,
}

struct Inner {
    /// The shared HTTP client and headers; the bearer token is added per request.
    transport: Transport,
    /// Builds the requests (never sends them: the transport does).
    raw: raw::Client,
    base_url: String,
    username: Option<String>,
    password: Option<Password>,
    captcha: Option<Captcha>,
    session: Mutex<Session>,
    /// One login or refresh at a time: the backend limits logins to 5 a minute.
    renewing: tokio::sync::Mutex<()>,
    /// Which [`AUTH_PATHS`] entry the server answered last.
    auth_paths: AtomicUsize,
    settings: Settings,
}

/// The client's timeouts, renewal margin and retry policy, as its builder set them.
#[derive(Debug, Clone)]
struct Settings {
    timeout: Duration,
    stall_timeout: Duration,
    max_duration: Duration,
    refresh_margin: Duration,
    retry: RetryPolicy,
    max_event_size: usize,
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
struct Session {
    token: Option<AccessToken>,
    /// The cookies the login set (`agents_backend_refresh_token=…`), as one sensitive `Cookie`
    /// value, until a refresh spends them.
    cookies: Option<HeaderValue>,
}

/// A captcha's id and answer, for deployments that ask for one at login.
#[derive(Clone)]
struct Captcha {
    uuid: String,
    answer: Password,
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
    /// A builder for every setting.
    pub fn builder() -> AgentStreamClientBuilder {
        AgentStreamClientBuilder::default()
    }

    /// A client configured from the environment: the base URL from
    /// `SAMBANOVA_AGENT_STREAM_URL` (else [`DEFAULT_AGENT_STREAM_URL`]), and the credentials
    /// from `SAMBANOVA_AGENT_STREAM_USERNAME` and `SAMBANOVA_AGENT_STREAM_PASSWORD`, or
    /// `SAMBANOVA_AGENT_STREAM_TOKEN`.
    pub fn from_env() -> Result<Self, Error> {
        AgentStreamClient::builder().from_env().build()
    }

    /// The server root requests go to (no trailing slash).
    ///
    /// ```
    /// use sambanova_agents::agent_stream::AgentStreamClient;
    ///
    /// let client = AgentStreamClient::builder().token("t").build().unwrap();
    /// assert_eq!(client.base_url(), "http://localhost:8000");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The access token the client holds now, if any (to store it for a later process).
    pub fn access_token(&self) -> Option<AccessToken> {
        self.session().token.clone()
    }

    /// Logs in with the configured username and password now, and keeps the token (and the
    /// refresh cookie). [`Self::stream`] does this by itself when needed.
    ///
    /// The login is a JSON POST to `/api/v1/auth/login`; only if that path answers 404 without
    /// a message of its own is the guide's form login at `/api/v1/admin/auth/login` tried.
    ///
    /// Fails with [`Error::Authentication`] on a wrong password (the server's 403) or an
    /// unknown user (its 404), [`Error::RateLimited`] when the server limits logins (more than
    /// 5 a minute, with its `retry-after`), [`Error::Validation`] when it asks for fields the
    /// request lacks (a captcha), [`Error::Config`] without credentials.
    pub async fn login(&self) -> Result<AccessToken, Error> {
        let _turn = self.inner.renewing.lock().await;
        self.login_now().await
    }

    /// Opens a run: `POST /agent/agent/stream`, then the run's events as they come.
    ///
    /// Returns once the server answered: an HTTP error is returned here, not as the stream's
    /// first item. A token that expires within the refresh margin is renewed first; a 401 makes
    /// the client renew it and send the request once more (the server refused it, so the agent
    /// did not run). Nothing else is ever sent twice once it may have reached the server: that
    /// would start a second run.
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
    pub async fn stream(&self, request: &AgentRequest) -> Result<AgentEventStream, Error> {
        self.run(RunBody::Agent(request.to_wire()?)).await
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
    pub async fn chat_stream(&self, request: &ChatRequest) -> Result<AgentEventStream, Error> {
        self.run(RunBody::Chat(request.to_wire()?)).await
    }

    async fn run(&self, body: RunBody) -> Result<AgentEventStream, Error> {
        let token = self.usable_token().await?;
        match self.open(&body, token.as_ref()).await {
            Err(refused @ Error::Authentication { .. }) => {
                tracing::debug!(request_id = ?refused.request_id(), "token refused; renewing it to resend once");
                match self.renew_after_refusal(token.as_ref()).await? {
                    Some(renewed) => self.open(&body, Some(&renewed)).await,
                    None => Err(refused),
                }
            }
            other => other,
        }
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        // The session holds plain values: a panic elsewhere cannot leave it half-written.
        self.inner
            .session
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The token, if it does not expire within the refresh margin.
    fn fresh_token(&self) -> Option<AccessToken> {
        let margin = self.inner.settings.refresh_margin;
        self.session()
            .token
            .clone()
            .filter(|token| !token.expires_within(margin, SystemTime::now()))
    }

    /// The token to send: the current one while fresh, else a renewed one.
    async fn usable_token(&self) -> Result<Option<AccessToken>, Error> {
        if let Some(token) = self.fresh_token() {
            return Ok(Some(token));
        }
        let _turn = self.inner.renewing.lock().await;
        // Another task may have renewed it while this one waited.
        if let Some(token) = self.fresh_token() {
            return Ok(Some(token));
        }
        let current = self.session().token.clone();
        match self.renew().await {
            Ok(Some(token)) => return Ok(Some(token)),
            Ok(None) => {}
            // Renewing ahead of time failed; a token that has not expired yet still serves.
            Err(error) => match current {
                Some(token) if !token.expires_within(Duration::ZERO, SystemTime::now()) => {
                    tracing::debug!(%error, "early token renewal failed; using the current one");
                    return Ok(Some(token));
                }
                _ => return Err(error),
            },
        }
        // Nothing to renew with: a token about to expire may still be accepted, one past its
        // expiry would only be refused.
        match current {
            Some(token) if token.expires_within(Duration::ZERO, SystemTime::now()) => {
                return Err(login_needed(None));
            }
            Some(token) => return Ok(Some(token)),
            None => {}
        }
        Err(no_credentials())
    }

    /// After the server refused `refused`: a new token, or `None` if there is no way to get
    /// one.
    async fn renew_after_refusal(
        &self,
        refused: Option<&AccessToken>,
    ) -> Result<Option<AccessToken>, Error> {
        let _turn = self.inner.renewing.lock().await;
        let current = self.session().token.clone();
        if current.is_some() && current.as_ref() != refused {
            return Ok(current);
        }
        self.renew().await
    }

    /// Refreshes with the login's cookie (once: the server spends it), else logs in again;
    /// `None` if neither is possible (the caller has the server's refusal to report). The
    /// caller holds `renewing`.
    async fn renew(&self) -> Result<Option<AccessToken>, Error> {
        // Taken, not copied: whatever the answer, a refresh token that reached the server is
        // spent, and sending it again would only be refused.
        let cookies = self.session().cookies.take();
        if let Some(cookies) = cookies {
            match self.refresh_now(&cookies).await {
                Ok(token) => return Ok(Some(token)),
                // A refresh token expires too; the password does not.
                Err(error) if self.inner.password.is_some() => {
                    tracing::debug!(%error, "token refresh failed; logging in again");
                }
                Err(error) => return Err(login_needed(Some(&error))),
            }
        }
        if self.inner.password.is_some() {
            return self.login_now().await.map(Some);
        }
        Ok(None)
    }

    async fn login_now(&self) -> Result<AccessToken, Error> {
        let (Some(username), Some(password)) = (&self.inner.username, &self.inner.password) else {
            return Err(Error::config(format!(
                "no username and password to log in with: set {AGENT_STREAM_USERNAME_ENV} and \
                 {AGENT_STREAM_PASSWORD_ENV}, or pass them to the builder"
            )));
        };
        let mut fields = vec![
            ("username", username.as_str()),
            ("password", password.0.as_str()),
        ];
        if let Some(captcha) = &self.inner.captcha {
            fields.extend([
                ("uuid", captcha.uuid.as_str()),
                ("captcha", captcha.answer.0.as_str()),
            ]);
        }
        let json: serde_json::Map<String, Value> = fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), Value::from(*value)))
            .collect();
        self.auth_exchange(AuthOperation::Login, |request, body| match body {
            LoginBody::Json => request.json(&json),
            LoginBody::Form => request.form(&fields),
        })
        .await
    }

    async fn refresh_now(&self, cookies: &HeaderValue) -> Result<AccessToken, Error> {
        self.auth_exchange(AuthOperation::Refresh, |request, _| {
            request.header(header::COOKIE, cookies.clone())
        })
        .await
    }

    /// One login or refresh: tries the known auth paths from the one that worked last, keeps
    /// the token, and keeps the cookies a login sets (a refresh sets none: the old ones are
    /// spent).
    async fn auth_exchange(
        &self,
        operation: AuthOperation,
        decorate: impl Fn(RequestBuilder, LoginBody) -> RequestBuilder,
    ) -> Result<AccessToken, Error> {
        let path_of = |paths: &AuthPaths| match operation {
            AuthOperation::Login => paths.login,
            AuthOperation::Refresh => paths.refresh,
        };
        let call = CallSettings {
            timeout: self.inner.settings.timeout,
            deadline: None,
            retry: RetryPolicy::none(),
            max_body: Some(AUTH_BODY_LIMIT),
        };
        let http = &self.inner.transport.http;
        let mut index = self.inner.auth_paths.load(Ordering::Relaxed) % AUTH_PATHS.len();
        let mut tried = 0;
        loop {
            tried += 1;
            let paths = &AUTH_PATHS[index];
            let url = format!("{}{}", self.inner.base_url, path_of(paths));
            let build = || {
                decorate(
                    http.post(&url).header(header::ACCEPT, "application/json"),
                    paths.login_body,
                )
                .build()
                .map_err(|error| Error::invalid_input(format!("cannot build the request: {error}")))
            };
            let operation_name = operation.name();
            let response = self
                .inner
                .transport
                .send(operation_name, build, &call)
                .await?;
            let meta = self.inner.transport.meta(&response);
            let cookies = set_cookies(&response);
            let body = read_body(
                response,
                AUTH_BODY_LIMIT,
                call.timeout,
                operation_name,
                &meta,
            )
            .await?;
            let path_is_missing = meta.status == StatusCode::NOT_FOUND
                && says_not_found(Dialect::AgentStream.read(&meta, &body).message.as_deref());
            if path_is_missing && tried < AUTH_PATHS.len() {
                index = (index + 1) % AUTH_PATHS.len();
                continue;
            }
            if !meta.status.is_success() {
                let error = Dialect::AgentStream.status_error(&meta, &body);
                return Err(match (operation, error) {
                    // The login's own refusal of an unknown user: a 404 that says so, unlike a
                    // missing path's "Not Found" (a wrong password is a 403, which the dialect
                    // maps to an authentication error already).
                    (
                        AuthOperation::Login,
                        Error::NotFound {
                            message,
                            request_id,
                        },
                    ) if !path_is_missing => Error::Authentication {
                        status: meta.status,
                        message,
                        request_id,
                    },
                    (_, error) => error,
                });
            }
            self.inner.auth_paths.store(index, Ordering::Relaxed);
            let token = token_of(&meta, &body)?;
            self.inner.transport.secrets.add(token.expose_secret());
            tracing::debug!(
                operation = operation.name(),
                path = path_of(&AUTH_PATHS[index]),
                expires_at = ?token.expires_at(),
                "new access token"
            );
            let mut session = self.session();
            session.token = Some(token.clone());
            // A deployment that does hand out a new refresh cookie on refresh may use it again.
            if operation == AuthOperation::Login || cookies.is_some() {
                session.cookies = cookies;
            }
            return Ok(token);
        }
    }

    /// Sends the run request once with `token`, and reads the answer's head.
    async fn open(
        &self,
        body: &RunBody,
        token: Option<&AccessToken>,
    ) -> Result<AgentEventStream, Error> {
        let settings = &self.inner.settings;
        let raw = &self.inner.raw;
        let (operation, mut request) = match body {
            RunBody::Agent(body) => ("agent_stream", built(raw.agent_stream_request(body))?),
            RunBody::Chat(body) => ("chat_stream", built(raw.chat_stream_request(body))?),
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
            // Covers the whole body: the run's events arrive within it.
            settings.max_duration,
            Dialect::AgentStream,
        )
        .await?;
        Ok(AgentEventStream::new(
            opened,
            StreamSettings {
                stall_timeout: settings.stall_timeout,
                max_event_size: settings.max_event_size,
                ..StreamSettings::default()
            },
            matches!(body, RunBody::Chat(_)),
        ))
    }
}

/// The two run endpoints and their bodies: with a sandbox, or chat only.
#[derive(Debug)]
enum RunBody {
    Agent(raw::types::AgentStreamRequest),
    Chat(raw::types::ChatStreamRequest),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthOperation {
    Login,
    Refresh,
}

impl AuthOperation {
    fn name(self) -> &'static str {
        match self {
            AuthOperation::Login => "login",
            AuthOperation::Refresh => "refresh_token",
        }
    }
}

/// Whether a 404 is about the path (FastAPI's "Not Found", or nothing said) rather than the
/// user.
fn says_not_found(message: Option<&str>) -> bool {
    message.is_none_or(|msg| msg.trim().is_empty() || msg.eq_ignore_ascii_case("not found"))
}

fn no_credentials() -> Error {
    Error::config(format!(
        "no agent-stream credentials: set {AGENT_STREAM_USERNAME_ENV} and \
         {AGENT_STREAM_PASSWORD_ENV}, or {AGENT_STREAM_TOKEN_ENV}, or pass them to the builder"
    ))
}

/// The token can no longer be renewed: a refresh works once, and there is no password to log
/// in again with.
fn login_needed(refresh_failure: Option<&Error>) -> Error {
    let why = match refresh_failure {
        Some(error) => format!("the refresh was refused ({error})"),
        None => "it has expired, and its refresh token is spent or was never given".to_owned(),
    };
    Error::Authentication {
        status: StatusCode::UNAUTHORIZED,
        message: format!(
            "the access token cannot be renewed: {why}; log in again with a username and \
             password"
        ),
        request_id: refresh_failure.and_then(|error| error.request_id().map(str::to_owned)),
    }
}

/// The `name=value` pairs of the response's `Set-Cookie`s, as one sensitive `Cookie` value.
fn set_cookies(response: &Response) -> Option<HeaderValue> {
    let pairs: Vec<&str> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|cookie| cookie.split(';').next())
        .map(str::trim)
        .filter(|pair| {
            pair.split_once('=')
                .is_some_and(|(name, _)| !name.is_empty())
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    sensitive(&pairs.join("; ")).ok()
}

/// The token in a login or refresh answer: `{"data": {"access_token", …}}` per the backend,
/// or `{"access_token", …}` as FastAPI's OAuth2 examples answer.
fn token_of(meta: &ResponseMeta, body: &[u8]) -> Result<AccessToken, Error> {
    #[derive(Deserialize, Default)]
    struct Fields {
        #[serde(default)]
        access_token: Option<String>,
        #[serde(default)]
        access_token_expire_time: Option<String>,
        #[serde(default)]
        expires_in: Option<f64>,
    }
    #[derive(Deserialize)]
    struct Reply {
        #[serde(default)]
        data: Option<Fields>,
        #[serde(flatten)]
        top: Fields,
    }
    let reply: Reply = serde_json::from_slice(body).map_err(|error| {
        unexpected(
            meta,
            body,
            &format!("the token answer does not parse: {error}"),
        )
    })?;
    let fields = match reply.data {
        Some(data) if data.access_token.is_some() => data,
        _ => reply.top,
    };
    let Some(token) = fields.access_token else {
        return Err(unexpected(meta, body, "the answer has no access_token"));
    };
    AccessToken::new(token)
        .map(|token| {
            token.with_fallback_expiry(
                fields.access_token_expire_time.as_deref(),
                fields.expires_in,
                SystemTime::now(),
            )
        })
        .map_err(|_| unexpected(meta, b"", "the access_token is not usable in a header"))
}

/// Builds an [`AgentStreamClient`].
///
/// ```
/// use std::time::Duration;
/// use sambanova_agents::agent_stream::AgentStreamClient;
///
/// let client = AgentStreamClient::builder()
///     .base_url("http://127.0.0.1:8000")
///     .credentials("demo", "s3cret")
///     .stall_timeout(Duration::from_secs(120))
///     .refresh_margin(Duration::from_secs(120))
///     .build()
///     .unwrap();
/// assert!(!format!("{client:?}").contains("s3cret"));
/// ```
#[must_use]
#[derive(Default)]
pub struct AgentStreamClientBuilder {
    base_url: Option<String>,
    username: Option<String>,
    password: Option<Password>,
    token: Option<String>,
    captcha: Option<Captcha>,
    connection: Connection,
    settings: Settings,
}

impl fmt::Debug for AgentStreamClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |set: bool| set.then_some("<redacted>");
        f.debug_struct("AgentStreamClientBuilder")
            .field("base_url", &self.base_url)
            .field("username", &self.username)
            .field("password", &redacted(self.password.is_some()))
            .field("token", &redacted(self.token.is_some()))
            .field("captcha", &redacted(self.captcha.is_some()))
            .field("settings", &self.settings)
            .field("connection", &self.connection)
            .finish()
    }
}

impl AgentStreamClientBuilder {
    crate::transport::connection_setters!();

    /// Takes the base URL and credentials from the environment, where set (see
    /// [`AgentStreamClient::from_env`]).
    pub fn from_env(mut self) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(url) = var(AGENT_STREAM_URL_ENV) {
            self.base_url = Some(url);
        }
        if let Some(username) = var(AGENT_STREAM_USERNAME_ENV) {
            self.username = Some(username);
        }
        if let Some(password) = var(AGENT_STREAM_PASSWORD_ENV) {
            self.password = Some(Password(password));
        }
        if let Some(token) = var(AGENT_STREAM_TOKEN_ENV) {
            self.token = Some(token);
        }
        self
    }

    /// The server root (default [`DEFAULT_AGENT_STREAM_URL`]); the client adds `/agent/…`
    /// and `/api/v1/…`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The username and password to log in with (a JSON POST to the backend's login).
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(Password(password.into()));
        self
    }

    /// An access token obtained elsewhere (a stored login). With credentials too, the client
    /// starts with it and logs in when it expires or is refused.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// A captcha for deployments that turn it on: the `uuid` of the captcha fetched from
    /// `GET /api/v1/auth/captcha` and the user's answer, sent with the next login. A captcha
    /// answers one login: a later automatic login needs a new one.
    pub fn captcha(mut self, uuid: impl Into<String>, answer: impl Into<String>) -> Self {
        self.captcha = Some(Captcha {
            uuid: uuid.into(),
            answer: Password(answer.into()),
        });
        self
    }

    /// How long to wait for the server's answer to a login or to a run request, up to its
    /// status and headers (default 60 s): the same setting as the other clients' `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The silence limit of a run's stream: a run that sends nothing (not even a keep-alive)
    /// for this long ends with [`Error::Stalled`] (default 300 s: tools can run for minutes in
    /// silence). The same setting as the Sessions client's.
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.settings.stall_timeout = timeout;
        self
    }

    /// The longest a run's stream may last in all (default 2 h).
    pub fn max_duration(mut self, duration: Duration) -> Self {
        self.settings.max_duration = duration;
        self
    }

    /// Renew the access token when it expires within this margin (default 60 s), so that a
    /// request never leaves with a token about to lapse.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.settings.refresh_margin = margin;
        self
    }

    /// The retry policy of run requests (default [`RetryPolicy::default`]: only failures by
    /// which the request cannot have started a run). Logins are not retried: the server
    /// limits them.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.settings.retry = policy;
        self
    }

    /// The largest event accepted, in bytes (default 8 MiB); a larger one is skipped with
    /// [`Error::ResponseTooLarge`].
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.settings.max_event_size = bytes;
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// ```
    /// use sambanova_agents::{Error, agent_stream::AgentStreamClient};
    ///
    /// let missing = AgentStreamClient::builder().build().unwrap_err();
    /// assert!(matches!(missing, Error::Config { .. }));
    /// let insecure = AgentStreamClient::builder().base_url("http://example.com").token("t").build();
    /// assert!(matches!(insecure, Err(Error::Config { .. })));
    /// ```
    pub fn build(self) -> Result<AgentStreamClient, Error> {
        if self.username.is_some() != self.password.is_some() {
            return Err(Error::config(
                "a username needs a password and a password a username",
            ));
        }
        if self.username.is_none() && self.token.is_none() {
            return Err(no_credentials());
        }
        let base_url = self
            .base_url
            .unwrap_or_else(|| DEFAULT_AGENT_STREAM_URL.to_owned());
        let base_url = checked_base_url(&base_url, self.connection.allow_insecure_http)?;
        let token = self.token.map(AccessToken::new).transpose()?;
        let transport = self.connection.transport(None)?;
        if let Some(token) = &token {
            transport.secrets.add(token.expose_secret());
        }
        if let Some(password) = &self.password {
            transport.secrets.add(&password.0);
        }
        if let Some(captcha) = &self.captcha {
            transport.secrets.add(&captcha.answer.0);
        }
        let raw = raw::Client::new_with_client(
            &base_url,
            transport.http.clone(),
            sambanova_agents_raw::Executor::plain(),
        );
        Ok(AgentStreamClient {
            inner: Arc::new(Inner {
                transport,
                raw,
                base_url,
                username: self.username,
                password: self.password,
                captcha: self.captcha,
                session: Mutex::new(Session {
                    token,
                    cookies: None,
                }),
                renewing: tokio::sync::Mutex::new(()),
                auth_paths: AtomicUsize::new(0),
                settings: self.settings,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(status: u16) -> ResponseMeta {
        ResponseMeta::detached(
            StatusCode::from_u16(status).unwrap(),
            Some("application/json"),
            Some("rid"),
        )
    }

    fn status_error(meta: &ResponseMeta, body: &[u8]) -> Error {
        Dialect::AgentStream.status_error(meta, body)
    }

    #[test]
    fn error_bodies_of_both_shapes_are_understood() {
        let refused = status_error(
            &meta(401),
            br#"{"code":401,"msg":"Incorrect username or password","data":null}"#,
        );
        assert!(
            matches!(refused, Error::Authentication { ref message, .. } if message == "Incorrect username or password")
        );
        let invalid = status_error(
            &meta(422),
            br#"{"detail":[{"type":"missing","loc":["body","messages"],"msg":"Field required"}]}"#,
        );
        assert!(
            matches!(invalid, Error::Validation { ref detail, .. } if detail[0].location() == "body.messages")
        );
        let proxy = status_error(&meta(502), b"<html>bad gateway</html>");
        assert!(matches!(proxy, Error::Server(ref e) if e.request_id.as_deref() == Some("rid")));
        let odd = status_error(&meta(418), b"");
        assert!(matches!(odd, Error::UnexpectedResponse { .. }));
    }

    #[test]
    fn tokens_in_either_answer_shape() {
        let nested = token_of(
            &meta(200),
            br#"{"code":200,"data":{"access_token":"abc","access_token_expire_time":"2030-01-01T00:00:00Z"}}"#,
        )
        .unwrap();
        assert_eq!(nested.expose_secret(), "abc");
        assert!(nested.expires_at().is_some());
        let flat = token_of(
            &meta(200),
            br#"{"access_token":"xyz","token_type":"bearer","expires_in":1800}"#,
        )
        .unwrap();
        assert_eq!(flat.expose_secret(), "xyz");
        assert!(flat.expires_at().is_some());
        assert!(matches!(
            token_of(&meta(200), br#"{"data":null}"#),
            Err(Error::UnexpectedResponse { .. })
        ));
        assert!(matches!(
            token_of(&meta(200), b"not json"),
            Err(Error::UnexpectedResponse { .. })
        ));
    }

    #[test]
    fn the_builder_checks_its_credentials() {
        let half = AgentStreamClient::builder().credentials("u", "p");
        assert!(half.build().is_ok());
        let mut only_user = AgentStreamClient::builder();
        only_user.username = Some("u".into());
        assert!(matches!(only_user.build(), Err(Error::Config { .. })));
        let shown = format!(
            "{:?}",
            AgentStreamClient::builder()
                .credentials("u", "hunter2")
                .token("tok-secret")
                .captcha("c-1", "captcha-secret")
        );
        for secret in ["hunter2", "tok-secret", "captcha-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
