//! Configuring a [`SessionsClient`]: its server, its key and how the key is sent, and how its
//! calls and event streams wait.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sambanova_agents_raw::sessions as raw;

use super::auth::SessionsAuth;
use super::client::{API_PREFIX, Inner, SessionsClient};
use crate::Error;
use crate::auth::ApiKey;
use crate::client::checked_base_url;
use crate::event_source::StreamSettings;
use crate::retry::RetryPolicy;
use crate::transport::{Connection, Credential};

/// The environment variable that holds the Sessions server's URL.
pub const SESSIONS_URL_ENV: &str = "SAMBANOVA_SESSIONS_URL";

/// The environment variable that holds the Sessions server's API key (optional: the server's
/// authentication is off unless it was configured with keys).
pub const SESSIONS_API_KEY_ENV: &str = "SAMBANOVA_SESSIONS_API_KEY";

/// The URL used when none is given: a self-hosted server on this machine (there is no public
/// instance).
pub const DEFAULT_SESSIONS_URL: &str = "http://127.0.0.1:8080";

impl SessionsClient {
    /// A client configured from the environment: the URL from `SAMBANOVA_SESSIONS_URL` (else
    /// [`DEFAULT_SESSIONS_URL`]), the key from
    /// `SAMBANOVA_SESSIONS_API_KEY` if set.
    pub fn from_env() -> Result<Self, Error> {
        SessionsClient::builder().from_env().build()
    }

    /// A builder for every setting (one URL, every default: `builder().base_url(url).build()`).
    ///
    /// ```
    /// use sambanova_agents::sessions::SessionsClient;
    ///
    /// let client = SessionsClient::builder().base_url("http://127.0.0.1:8080/api/v1").build()?;
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), sambanova_agents::Error>(())
    /// ```
    pub fn builder() -> SessionsClientBuilder {
        SessionsClientBuilder::default()
    }
}

/// Builds a [`SessionsClient`].
///
/// ```
/// use std::time::Duration;
/// use sambanova_agents::sessions::SessionsClient;
///
/// let client = SessionsClient::builder()
///     .base_url("http://127.0.0.1:8080")
///     .api_key("ciab-key")
///     .timeout(Duration::from_secs(10))
///     .stall_timeout(Duration::from_secs(60))
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// ```
#[must_use]
pub struct SessionsClientBuilder {
    api_key: Option<String>,
    auth: SessionsAuth,
    base_url: Option<String>,
    connection: Connection,
    timeout: Duration,
    retry: Option<RetryPolicy>,
    max_response_bytes: usize,
    provisioning_timeout: Duration,
    stream: StreamSettings,
}

impl Default for SessionsClientBuilder {
    fn default() -> Self {
        SessionsClientBuilder {
            api_key: None,
            auth: SessionsAuth::Bearer,
            base_url: None,
            connection: Connection::default(),
            timeout: Duration::from_secs(30),
            retry: None,
            max_response_bytes: 64 * 1024 * 1024,
            provisioning_timeout: Duration::from_secs(300),
            stream: StreamSettings::default(),
        }
    }
}

impl fmt::Debug for SessionsClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionsClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("connection", &self.connection)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("provisioning_timeout", &self.provisioning_timeout)
            .field("stream", &self.stream)
            .finish()
    }
}

impl SessionsClientBuilder {
    crate::transport::connection_setters!();

    /// How the key is sent (default [`SessionsAuth::Bearer`]).
    pub fn auth(mut self, auth: SessionsAuth) -> Self {
        self.auth = auth;
        self
    }

    /// Takes the URL and key from the environment, where set (see
    /// [`SessionsClient::from_env`]).
    pub fn from_env(mut self) -> Self {
        let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(url) = set(SESSIONS_URL_ENV) {
            self.base_url = Some(url);
        }
        if let Some(key) = set(SESSIONS_API_KEY_ENV) {
            self.api_key = Some(key);
        }
        self
    }

    /// The API key, for a server configured with keys (sent as `Authorization: Bearer`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The server's root URL (default [`DEFAULT_SESSIONS_URL`]); a trailing `/api/v1` is
    /// dropped.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The total time for one request (default 30 s); for a stream, the time until the
    /// server answers (its body is watched by [`Self::stall_timeout`] instead).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The retry policy of every request. By default reads (and stream connections) use
    /// [`RetryPolicy::idempotent`], writes [`RetryPolicy::default`] (never repeated once the
    /// server may have seen them).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The largest JSON body read into memory (default 64 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// How long [`SessionsClient::create_sandbox_and_wait`] waits (default 5 min).
    pub fn provisioning_timeout(mut self, timeout: Duration) -> Self {
        self.provisioning_timeout = timeout;
        self
    }

    /// The silence limit of an event stream: how long it may go without a byte (keepalive
    /// comments count) before it is dropped and reconnected (default 45 s: three of the
    /// server's 15 s keepalives).
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.stream.stall_timeout = timeout;
        self
    }

    /// The wait before the first reconnection of an event stream (default 250 ms, or the
    /// server's hint: SSE `retry:`, a `reconnect` event's `after_ms`, a 429's `Retry-After`),
    /// doubling with each failed attempt (with jitter) up to `max` (default 30 s). Every
    /// wait, the server's hints included, is capped at `max`.
    pub fn reconnect_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.stream.initial_backoff = initial;
        self.stream.max_backoff = max;
        self
    }

    /// How many reconnections in a row an event stream attempts without receiving an event
    /// before it gives up with [`Error::ReconnectsExhausted`] (default 10; `None`: no limit).
    pub fn max_reconnect_attempts(mut self, attempts: Option<u32>) -> Self {
        self.stream.max_reconnects = attempts;
        self
    }

    /// How long an event stream keeps reconnecting in a row without receiving an event before
    /// it gives up with [`Error::ReconnectsExhausted`] (default 10 min; `None`: no limit).
    pub fn max_reconnect_time(mut self, limit: Option<Duration>) -> Self {
        self.stream.max_reconnect_time = limit;
        self
    }

    /// How many recent event ids a stream remembers, to recognise a reconnection's replay of
    /// events already delivered (default 8192). Replays of any length are dropped whatever
    /// this is (by timestamp, or from the stream's first id on); see
    /// [`SessionEventStream`](super::SessionEventStream#each-event-once).
    pub fn dedupe_window(mut self, ids: usize) -> Self {
        self.stream.dedupe_window = ids.max(1);
        self
    }

    /// The largest event a stream accepts (default 8 MiB); a larger one is skipped and the
    /// stream goes on (the typed stream logs a warning, the raw reader yields an
    /// [`Error::ResponseTooLarge`] item).
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.stream.max_event_size = bytes;
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<SessionsClient, Error> {
        let api_key = self.api_key.map(ApiKey::new).transpose()?;
        let url = self
            .base_url
            .unwrap_or_else(|| DEFAULT_SESSIONS_URL.to_owned());
        // Without a key there is nothing to leak over plain HTTP.
        let base_url = checked_base_url(
            &url,
            self.connection.allow_insecure_http || api_key.is_none(),
        )?;
        let base_url = base_url
            .strip_suffix(API_PREFIX)
            .unwrap_or(&base_url)
            .trim_end_matches('/')
            .to_owned();
        let allow_insecure_http = self.connection.allow_insecure_http;
        let stream_token = match (&self.auth, &api_key) {
            (SessionsAuth::QueryToken, Some(key)) => Some(key.expose_secret().to_owned()),
            _ => None,
        };
        let credential = match (&self.auth, api_key) {
            (SessionsAuth::ApiKeyHeader, Some(key)) => Credential::ApiKeyHeader(key),
            (_, Some(key)) => Credential::Bearer(key),
            (_, None) => Credential::None,
        };
        let (transport, raw) =
            self.connection
                .open(credential, &base_url, raw::Client::new_with_client)?;
        Ok(SessionsClient {
            inner: Arc::new(Inner {
                transport: Arc::new(transport),
                raw,
                allow_insecure_http,
                auth: self.auth,
                stream_token,
                base_url,
                timeout: self.timeout,
                retry: self.retry,
                max_response_bytes: self.max_response_bytes,
                provisioning_timeout: self.provisioning_timeout,
                stream: self.stream,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::SessionsClient;

    #[test]
    fn the_base_url_is_the_root_with_or_without_the_prefix() {
        for url in [
            "http://127.0.0.1:9/api/v1",
            "http://127.0.0.1:9/api/v1/",
            "http://127.0.0.1:9",
        ] {
            assert_eq!(
                SessionsClient::builder()
                    .base_url(url)
                    .build()
                    .unwrap()
                    .base_url(),
                "http://127.0.0.1:9"
            );
        }
    }

    #[test]
    fn plain_http_elsewhere_only_without_a_key_or_when_allowed() {
        assert!(
            SessionsClient::builder()
                .base_url("http://ciab.internal:8080")
                .build()
                .is_ok()
        );
        let refused = SessionsClient::builder()
            .base_url("http://ciab.internal:8080")
            .api_key("k")
            .build()
            .unwrap_err();
        assert!(matches!(refused, Error::Config { .. }), "{refused}");
        assert!(
            SessionsClient::builder()
                .base_url("http://ciab.internal:8080")
                .api_key("k")
                .allow_insecure_http(true)
                .build()
                .is_ok()
        );
    }
}
