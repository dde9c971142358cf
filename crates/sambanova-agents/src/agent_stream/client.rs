//! The client: configuration, login and token refresh, and opening a run's event stream.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderName, HeaderValue};
use reqwest::{RequestBuilder, Response, StatusCode};
use sambanova_agents_raw::agent_stream as raw;
use serde::Deserialize;

use super::request::AgentRequest;
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

/// The environment variable holding a machine-to-machine key (sent as `X-API-Key`).
pub const AGENT_STREAM_API_KEY_ENV: &str = "SAMBANOVA_AGENT_STREAM_API_KEY";

/// Auth bodies (a token and a user) are small; anything bigger is not one.
const AUTH_BODY_LIMIT: usize = 1024 * 1024;

/// The login and refresh paths: the guide's first, then the committed OpenAPI dump's, which
/// some deployments serve instead (tried when the first answers 404).
struct AuthPaths {
    login: &'static str,
    refresh: &'static str,
}

const AUTH_PATHS: [AuthPaths; 2] = [
    AuthPaths {
        login: "/api/v1/admin/auth/login",
        refresh: "/api/v1/admin/auth/token/refresh",
    },
    AuthPaths {
        login: "/api/v1/auth/login",
        refresh: "/api/v1/auth/refresh",
    },
];

/// A client for the agent stream backend: logs in, keeps the access token fresh, and opens
/// runs as streams of typed [`AgentEvent`](crate::agent_stream::AgentEvent)s. Cheap to
/// clone: clones share the connection pool and the token.
///
/// Authentication, in the order used: a username and password (the client logs in when it
/// needs a token, refreshes it before it expires, and on a 401 refreshes or logs in again and
/// resends once), an access token obtained elsewhere (used as is until the server refuses it),
/// or a machine-to-machine key sent as `X-API-Key`.
///
/// ```no_run
/// # async fn demo() -> Result<(), sambanova_agents::Error> {
/// use futures_util::StreamExt;
/// use sambanova_agents::agent_stream::{AgentEvent, AgentRequest, AgentStreamClient, AssistantText};
///
/// let client = AgentStreamClient::builder()
///     .base_url("https://agents.example.com")
///     .credentials("demo", "demo")
///     .build()?;
/// let mut events = client.stream(&AgentRequest::new("Create hello.py and run it")).await?;
/// let mut answer = AssistantText::new();
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
    has_api_key: bool,
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
    /// The cookies the login set (`fba_refresh_token=…`), as one sensitive `Cookie` value.
    cookies: Option<HeaderValue>,
}

impl fmt::Debug for AgentStreamClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("AgentStreamClient")
            .field("base_url", &inner.base_url)
            .field("username", &inner.username)
            .field("password", &inner.password.as_ref().map(|_| "<redacted>"))
            .field("has_api_key", &inner.has_api_key)
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
    /// from `SAMBANOVA_AGENT_STREAM_USERNAME` and `SAMBANOVA_AGENT_STREAM_PASSWORD`,
    /// `SAMBANOVA_AGENT_STREAM_TOKEN` or `SAMBANOVA_AGENT_STREAM_API_KEY`.
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
    /// Fails with [`Error::Authentication`] on wrong credentials, [`Error::RateLimited`] when
    /// the server limits logins (5 a minute), [`Error::Config`] without credentials.
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
        self.run(Endpoint::Agent, request).await
    }

    /// Chats without a sandbox: `POST /agent/chat/stream`, for questions, explanations and
    /// web research rather than running code. The same request, events and guarantees as
    /// [`Self::stream`].
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::agent_stream::AgentStreamClient) -> Result<(), sambanova_agents::Error> {
    /// use futures_util::StreamExt;
    /// use sambanova_agents::agent_stream::{AgentRequest, AssistantText};
    ///
    /// let mut events = client.chat_stream(&AgentRequest::new("What does `?` do in Rust?")).await?;
    /// let mut answer = AssistantText::new();
    /// while let Some(event) = events.next().await {
    ///     answer.push(&event?);
    /// }
    /// println!("{}", answer.text());
    /// # Ok(()) }
    /// ```
    pub async fn chat_stream(&self, request: &AgentRequest) -> Result<AgentEventStream, Error> {
        self.run(Endpoint::Chat, request).await
    }

    async fn run(
        &self,
        endpoint: Endpoint,
        request: &AgentRequest,
    ) -> Result<AgentEventStream, Error> {
        let body = request.to_wire()?;
        let token = self.usable_token().await?;
        match self.open(endpoint, &body, token.as_ref()).await {
            Err(refused @ Error::Authentication { .. }) => {
                tracing::debug!(request_id = ?refused.request_id(), "token refused; renewing it to resend once");
                match self.renew_after_refusal(token.as_ref()).await? {
                    Some(renewed) => self.open(endpoint, &body, Some(&renewed)).await,
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

    /// The token to send: the current one while fresh, else a renewed one. `None` when the
    /// client authenticates with `X-API-Key` alone.
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
        // Nothing to renew with: a token about to expire may still be accepted.
        if current.is_some() || self.inner.has_api_key {
            return Ok(current);
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

    /// Refreshes with the login's cookie, else logs in; `None` if neither is possible. The
    /// caller holds `renewing`.
    async fn renew(&self) -> Result<Option<AccessToken>, Error> {
        let cookies = self.session().cookies.clone();
        if let Some(cookies) = cookies {
            match self.refresh_now(&cookies).await {
                Ok(token) => return Ok(Some(token)),
                // A refresh token expires too; the password does not.
                Err(error) if self.inner.password.is_some() => {
                    tracing::debug!(%error, "token refresh failed; logging in again");
                }
                Err(error) => return Err(error),
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
        let form = [
            ("username", username.as_str()),
            ("password", password.0.as_str()),
        ];
        self.auth_exchange("login", |paths| paths.login, |request| request.form(&form))
            .await
    }

    async fn refresh_now(&self, cookies: &HeaderValue) -> Result<AccessToken, Error> {
        self.auth_exchange(
            "refresh_token",
            |paths| paths.refresh,
            |request| request.header(header::COOKIE, cookies.clone()),
        )
        .await
    }

    /// One login or refresh: tries the known auth paths from the one that worked last, keeps
    /// the token and any cookie the server sets.
    async fn auth_exchange(
        &self,
        operation: &'static str,
        path_of: fn(&AuthPaths) -> &'static str,
        decorate: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<AccessToken, Error> {
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
            let url = format!("{}{}", self.inner.base_url, path_of(&AUTH_PATHS[index]));
            let build = || {
                decorate(http.post(&url).header(header::ACCEPT, "application/json"))
                    .build()
                    .map_err(|error| {
                        Error::invalid_input(format!("cannot build the request: {error}"))
                    })
            };
            let response = self.inner.transport.send(operation, build, &call).await?;
            let meta = self.inner.transport.meta(&response);
            let cookies = set_cookies(&response);
            let body = read_body(response, AUTH_BODY_LIMIT, call.timeout, operation, &meta).await?;
            if meta.status == StatusCode::NOT_FOUND && tried < AUTH_PATHS.len() {
                index = (index + 1) % AUTH_PATHS.len();
                continue;
            }
            if !meta.status.is_success() {
                return Err(Dialect::AgentStream.status_error(&meta, &body));
            }
            self.inner.auth_paths.store(index, Ordering::Relaxed);
            let token = token_of(&meta, &body)?;
            self.inner.transport.secrets.add(token.expose_secret());
            tracing::debug!(
                operation,
                path = path_of(&AUTH_PATHS[index]),
                expires_at = ?token.expires_at(),
                "new access token"
            );
            let mut session = self.session();
            session.token = Some(token.clone());
            if cookies.is_some() {
                session.cookies = cookies;
            }
            return Ok(token);
        }
    }

    /// Sends the run request once with `token`, and reads the answer's head.
    async fn open(
        &self,
        endpoint: Endpoint,
        body: &raw::types::AgentStreamRequest,
        token: Option<&AccessToken>,
    ) -> Result<AgentEventStream, Error> {
        let settings = &self.inner.settings;
        let raw = &self.inner.raw;
        let (operation, build) = match endpoint {
            Endpoint::Agent => ("agent_stream", raw.agent_stream_request(body)),
            Endpoint::Chat => ("chat_stream", raw.chat_stream_request(body)),
        };
        let mut request = built(build)?;
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
        ))
    }
}

/// The two run endpoints: with a sandbox, or chat only.
#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Agent,
    Chat,
}

fn no_credentials() -> Error {
    Error::config(format!(
        "no agent-stream credentials: set {AGENT_STREAM_USERNAME_ENV} and \
         {AGENT_STREAM_PASSWORD_ENV}, {AGENT_STREAM_TOKEN_ENV} or {AGENT_STREAM_API_KEY_ENV}, \
         or pass them to the builder"
    ))
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
    api_key: Option<String>,
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
            .field("api_key", &redacted(self.api_key.is_some()))
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
        if let Some(key) = var(AGENT_STREAM_API_KEY_ENV) {
            self.api_key = Some(key);
        }
        self
    }

    /// The server root (default [`DEFAULT_AGENT_STREAM_URL`]); the client adds `/agent/…`
    /// and `/api/v1/…`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The username and password to log in with (a form POST to the backend's login).
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

    /// A machine-to-machine key, sent as `X-API-Key` on every request.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
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
        if self.username.is_none() && self.token.is_none() && self.api_key.is_none() {
            return Err(no_credentials());
        }
        let base_url = self
            .base_url
            .unwrap_or_else(|| DEFAULT_AGENT_STREAM_URL.to_owned());
        let base_url = checked_base_url(&base_url, self.connection.allow_insecure_http)?;
        let token = self.token.map(AccessToken::new).transpose()?;
        let mut transport = self.connection.transport(None)?;
        if let Some(key) = &self.api_key {
            transport.secrets.add(key);
            transport
                .headers
                .insert(HeaderName::from_static("x-api-key"), sensitive(key.trim())?);
        }
        if let Some(token) = &token {
            transport.secrets.add(token.expose_secret());
        }
        if let Some(password) = &self.password {
            transport.secrets.add(&password.0);
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
                has_api_key: self.api_key.is_some(),
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
                .api_key("key-secret")
        );
        for secret in ["hunter2", "tok-secret", "key-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
