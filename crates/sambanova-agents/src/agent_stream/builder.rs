//! Configuring an [`AgentStreamClient`]: its server, its credentials, its timeouts.

use std::fmt;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sambanova_agents_raw::agent_stream as raw;

use super::client::{AgentStreamClient, Captcha, Inner, Session, Settings};
use super::token::{AccessToken, Password};
use crate::client::checked_base_url;
use crate::transport::{Connection, Credential};
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
}

pub(super) fn no_credentials() -> Error {
    Error::config(format!(
        "no agent-stream credentials: set {AGENT_STREAM_USERNAME_ENV} and \
         {AGENT_STREAM_PASSWORD_ENV}, or {AGENT_STREAM_TOKEN_ENV}, or pass them to the builder"
    ))
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
    /// starts with it and logs in when it expires or is refused. The client's
    /// [`access_token`](AgentStreamClient::access_token) answers the one in use.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
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
    /// let insecure = AgentStreamClient::builder().base_url("http://example.com").access_token("t").build();
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
        let (transport, raw) =
            self.connection
                .open(Credential::None, &base_url, raw::Client::new_with_client)?;
        if let Some(token) = &token {
            transport.secrets.add(token.expose_secret());
        }
        if let Some(password) = &self.password {
            transport.secrets.add(&password.0);
        }
        if let Some(captcha) = &self.captcha {
            transport.secrets.add(&captcha.answer.0);
        }
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
                .access_token("tok-secret")
                .captcha("c-1", "captcha-secret")
        );
        for secret in ["hunter2", "tok-secret", "captcha-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
