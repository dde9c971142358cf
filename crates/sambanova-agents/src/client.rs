//! The client: configuration, from the environment or a builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Request, Url};
use sambanova_agents_raw::agents as raw;

use crate::auth::ApiKey;
use crate::retry::RetryPolicy;
use crate::transport::{
    CallDeadline, CallOptions, CallSettings, Connection, Credential, Exchange, Transport,
};
use crate::{Coding, DataScience, DeepResearch, Error, Files, Financial, MainAgent};

/// The SambaNova Agents API's public base URL (the spec's server).
pub const DEFAULT_BASE_URL: &str = "https://chat.sambanova.ai/api";

/// The environment variable that holds the API key.
pub const API_KEY_ENV: &str = "SAMBANOVA_API_KEY";

/// The environment variables that may hold the base URL, in order of preference (the second
/// is the spelling SambaNova's own Python SDK reads).
pub const BASE_URL_ENVS: [&str; 2] = ["SAMBANOVA_BASE_URL", "SAMBA_NOVA_BASE_URL"];

/// A client for the SambaNova Agents API. Cheap to clone: clones share one connection pool.
///
/// **Retries.** An agent call is a POST that starts an expensive run, and the real server
/// answers 500 even for some runs that completed, so by default ([`RetryPolicy::default`]) a
/// call is sent again only when the server cannot have run it: a connection that was never
/// made, or a 429, 502, 503 or 504. It is sent at most 3 times in all, waiting 0.25–0.5 s then
/// 0.5–1 s (exponential, with jitter, at most 30 s), or what the server's `Retry-After` asks
/// for up to 120 s (a longer wait is not made: the 429 is returned). Downloads retry more
/// ([`RetryPolicy::idempotent`]). Every retry calls the builder's
/// [`on_retry`](ClientBuilder::on_retry) hook and is logged at `INFO` under the tracing target
/// `sambanova_agents::retry`, with the fields `operation`, `attempt`, `wait_ms` and `reason`.
///
/// **Time.** [`ClientBuilder::timeout`] bounds each attempt (600 s by default: agents take
/// minutes); [`ClientBuilder::deadline`] (or [`CallOptions::deadline`](crate::CallOptions::deadline))
/// bounds the whole call, retries and waits included.
///
/// ```no_run
/// # async fn demo() -> Result<(), sambanova_agents::Error> {
/// use sambanova_agents::Client;
///
/// let client = Client::from_env()?;
/// let report = client.deep_research().run("The AI accelerator market in 2026").await?.into_completion()?;
/// println!("{}", report.text());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Arc<Transport>,
    /// Builds the requests (never sends them: the transport does).
    raw: raw::Client,
    base_url: String,
    timeout: Duration,
    deadline: Option<Duration>,
    retry: RetryPolicy,
    download_retry: RetryPolicy,
    max_response_bytes: usize,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .field("transport", &self.inner.transport)
            .finish()
    }
}

impl Client {
    /// A client configured from the environment: the key from `SAMBANOVA_API_KEY`, the base
    /// URL from `SAMBANOVA_BASE_URL` or `SAMBA_NOVA_BASE_URL` (else [`DEFAULT_BASE_URL`]).
    pub fn from_env() -> Result<Self, Error> {
        Client::builder().from_env().build()
    }

    /// A builder for every setting (a key, every default: `builder().api_key(key).build()`).
    ///
    /// ```
    /// let client = sambanova_agents::Client::builder()
    ///     .api_key("00000000-0000-4000-8000-000000000000")
    ///     .build()?;
    /// assert_eq!(client.base_url(), "https://chat.sambanova.ai/api");
    /// # Ok::<(), sambanova_agents::Error>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL operations are sent to (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The main agent (it routes to the others as it sees fit).
    pub fn main_agent(&self) -> MainAgent {
        MainAgent::new(self.clone())
    }

    /// The coding agent.
    pub fn coding(&self) -> Coding {
        Coding::new(self.clone())
    }

    /// The deep research agent.
    pub fn deep_research(&self) -> DeepResearch {
        DeepResearch::new(self.clone())
    }

    /// The financial analysis agent.
    pub fn financial(&self) -> Financial {
        Financial::new(self.clone())
    }

    /// The data science agent (uploads files, answers with an HTML report).
    pub fn data_science(&self) -> DataScience {
        DataScience::new(self.clone())
    }

    /// Artifacts: files the agents produced, and uploads.
    pub fn files(&self) -> Files {
        Files::new(self.clone())
    }

    pub(crate) fn transport(&self) -> &Arc<Transport> {
        &self.inner.transport
    }

    pub(crate) fn settings(&self, options: &CallOptions) -> CallSettings {
        CallSettings::merged(
            options,
            self.inner.timeout,
            self.inner.deadline.map(CallDeadline::After),
            &self.inner.retry,
            Some(self.inner.max_response_bytes),
        )
    }

    /// The largest body read into memory.
    pub(crate) fn max_response_bytes(&self) -> usize {
        self.inner.max_response_bytes
    }

    pub(crate) fn download_settings(&self, options: &CallOptions) -> CallSettings {
        CallSettings::merged(
            options,
            self.inner.timeout,
            self.inner.deadline.map(CallDeadline::After),
            &self.inner.download_retry,
            None,
        )
    }

    /// Sends the request `build` makes with the generated client (once per attempt) and reads
    /// the whole answer. Not an `async fn`: the transport's future is the whole of it, with no
    /// second copy of these arguments around it (every agent call's future holds this one).
    pub(crate) fn exchange<'a>(
        &'a self,
        operation: &'static str,
        mut build: impl FnMut(&raw::Client) -> Result<Request, Error> + 'a,
        settings: &'a CallSettings,
    ) -> impl Future<Output = Result<Exchange, Error>> + 'a {
        let raw = &self.inner.raw;
        self.inner
            .transport
            .exchange(operation, move || build(raw), settings)
    }

    /// The generated client, to build requests with.
    pub(crate) fn raw(&self) -> &raw::Client {
        &self.inner.raw
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base_url)
    }
}

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use sambanova_agents::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .api_key("00000000-0000-4000-8000-000000000000")
///     .base_url("http://127.0.0.1:8080/api")
///     .timeout(Duration::from_secs(1800))
///     .retry(RetryPolicy::default().max_retries(4))
///     .user_agent("my-app/1.0")
///     .header("x-team", "research")
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080/api");
/// ```
#[must_use]
pub struct ClientBuilder {
    api_key: Option<String>,
    base_url: Option<String>,
    connection: Connection,
    timeout: Duration,
    deadline: Option<Duration>,
    retry: RetryPolicy,
    download_retry: RetryPolicy,
    max_response_bytes: usize,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: None,
            connection: Connection::default(),
            timeout: Duration::from_secs(600),
            deadline: None,
            retry: RetryPolicy::default(),
            download_retry: RetryPolicy::idempotent(),
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("connection", &self.connection)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .field("download_retry", &self.download_retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

impl ClientBuilder {
    crate::transport::connection_setters!();

    /// Takes the key and base URL from the environment, where set (see [`Client::from_env`]).
    pub fn from_env(mut self) -> Self {
        if let Ok(key) = std::env::var(API_KEY_ENV) {
            self.api_key = Some(key);
        }
        if let Some(url) = BASE_URL_ENVS
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        {
            self.base_url = Some(url);
        }
        self
    }

    /// The API key (a UUID-shaped SambaNova key).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The base URL, e.g. `https://chat.sambanova.ai/api` or a mock's.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The time one attempt of a call may take: connect, agent run, body (default 600 s:
    /// agents take minutes). A retry gets the same time again; see [`Self::deadline`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The deadline of a whole call: every attempt and every wait between attempts (default:
    /// none beyond the attempts' [`Self::timeout`]). A retry that could not finish before it
    /// is not made; the last answer (a 429 asking for a long wait, say) is returned instead.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The retry policy of agent calls (default [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The retry policy of downloads (default [`RetryPolicy::idempotent`]).
    pub fn download_retry(mut self, policy: RetryPolicy) -> Self {
        self.download_retry = policy;
        self
    }

    /// The largest body read into memory (default 64 MiB): agent answers, and
    /// [`Download::bytes`](crate::Download::bytes). Streamed downloads ([`Files::save`](crate::Files::save),
    /// the [`Download`](crate::Download) stream) have no limit.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let api_key = match self.api_key {
            Some(key) => ApiKey::new(key)?,
            None => {
                return Err(Error::config(format!(
                    "no API key: set {API_KEY_ENV} or pass one to the builder"
                )));
            }
        };
        let base_url = self.base_url.unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let base_url = checked_base_url(&base_url, self.connection.allow_insecure_http)?;
        let (transport, raw) = self.connection.open(
            Credential::Bearer(api_key),
            &base_url,
            raw::Client::new_with_client,
        )?;
        Ok(Client {
            inner: Arc::new(Inner {
                transport: Arc::new(transport),
                raw,
                base_url,
                timeout: self.timeout,
                deadline: self.deadline,
                retry: self.retry,
                download_retry: self.download_retry,
                max_response_bytes: self.max_response_bytes,
            }),
        })
    }
}

/// Parses a base URL and refuses plain HTTP to anything but loopback, unless allowed.
pub(crate) fn checked_base_url(url: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let parsed = Url::parse(url.trim())
        .map_err(|error| Error::config(format!("invalid base URL {url:?}: {error}")))?;
    match parsed.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&parsed) => {}
        "http" => {
            return Err(Error::config(format!(
                "refusing to send the API key over plain http:// to {}: use https, or allow it explicitly (allow_insecure_http)",
                parsed.host_str().unwrap_or("?")
            )));
        }
        other => {
            return Err(Error::config(format!(
                "unsupported URL scheme {other:?} in base URL: use https"
            )));
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::config(format!("base URL {url:?} has no host")));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::config(
            "the base URL must not carry credentials: pass the key to the builder",
        ));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        assert!(checked_base_url("http://127.0.0.1:9/api", false).is_ok());
        assert!(checked_base_url("http://[::1]:9/api", false).is_ok());
        assert!(checked_base_url("http://localhost:9/api", false).is_ok());
        let refused = checked_base_url("http://example.com/api", false).unwrap_err();
        assert!(refused.to_string().contains("plain http"), "{refused}");
        assert!(checked_base_url("http://example.com/api", true).is_ok());
        assert!(checked_base_url("ftp://example.com", true).is_err());
        assert!(checked_base_url("https://user:pw@example.com", false).is_err());
        assert_eq!(
            checked_base_url("https://chat.sambanova.ai/api/", false).unwrap(),
            "https://chat.sambanova.ai/api"
        );
    }

    #[test]
    fn debug_never_shows_the_key_or_header_values() {
        let key = "11111111-2222-4333-8444-555555555555";
        let builder = Client::builder().api_key(key).header("x-secret", "hunter2");
        let shown = format!("{builder:?}");
        assert!(
            !shown.contains(key) && !shown.contains("hunter2"),
            "{shown}"
        );
        let client = builder.build().unwrap();
        let shown = format!("{client:?}");
        assert!(
            !shown.contains(key) && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn a_missing_key_is_a_config_error() {
        let error = Client::builder().build().unwrap_err();
        assert!(matches!(error, Error::Config { .. }));
        assert!(error.to_string().contains(API_KEY_ENV));
    }
}
