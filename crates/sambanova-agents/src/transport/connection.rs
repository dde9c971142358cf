//! The connection settings every client builder shares, turned into a [`Transport`] in one
//! place.

use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};

use super::{RetryHook, Transport};
use crate::Error;
use crate::auth::ApiKey;
use crate::redact::Secrets;

/// Follows redirects on the same origin only (a server may redirect, e.g., for a trailing
/// slash). reqwest drops `Authorization` on a redirect to another host, but it would carry
/// the caller's extra headers, which the SDK treats as secrets, and the request itself to a
/// server the caller never chose; so such a redirect is answered as it came.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > 10 {
            attempt.error("more than 10 redirects")
        } else {
            attempt.follow()
        }
    })
}

/// The most extra headers a client sends on every request: far more than any use needs, and
/// below what servers accept in one request (hyper's server reads at most 100).
const MAX_EXTRA_HEADERS: usize = 64;

/// A header value that never prints.
pub(crate) fn sensitive(value: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| Error::config("a header value contains characters HTTP does not allow"))?;
    value.set_sensitive(true);
    Ok(value)
}

/// How a client's key goes on its requests.
pub(crate) enum Credential {
    /// No key (the agent stream logs in and sends its own token).
    None,
    /// `Authorization: Bearer <key>` (the Agents API; Sessions by default).
    Bearer(ApiKey),
    /// `x-api-key: <key>` (Sessions servers that ask for it).
    ApiKeyHeader(ApiKey),
}

/// The connection settings every client's builder shares (the Agents, Sessions and agent
/// stream clients), turned into a [`Transport`] in one place.
#[derive(Clone)]
pub(crate) struct Connection {
    pub connect_timeout: Duration,
    pub user_agent: String,
    pub headers: Vec<(String, String)>,
    pub http: Option<reqwest::Client>,
    pub allow_insecure_http: bool,
    pub on_retry: Option<RetryHook>,
    pub on_attempt: Option<super::AttemptHooks>,
}

impl Default for Connection {
    fn default() -> Self {
        Connection {
            connect_timeout: Duration::from_secs(5),
            user_agent: concat!("sambanova-agents-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            headers: Vec::new(),
            http: None,
            allow_insecure_http: false,
            on_retry: None,
            on_attempt: None,
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("connect_timeout", &self.connect_timeout)
            .field("user_agent", &self.user_agent)
            .field(
                "headers",
                &self
                    .headers
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("own_http_client", &self.http.is_some())
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("on_retry", &self.on_retry.is_some())
            .field("on_attempt", &self.on_attempt.is_some())
            .finish()
    }
}

impl Connection {
    /// What every client builder opens: the [`Transport`] (see [`Self::transport`]) and the
    /// generated raw client at `base_url` over the transport's HTTP client, which builds the
    /// requests the transport sends. `raw` is the generated client's `new_with_client`.
    pub(crate) fn open<R>(
        self,
        credential: Credential,
        base_url: &str,
        raw: fn(&str, reqwest::Client) -> R,
    ) -> Result<(Transport, R), Error> {
        let transport = self.transport(credential)?;
        let raw = raw(base_url, transport.http.clone());
        Ok((transport, raw))
    }

    /// Checks the headers and builds the HTTP client (unless the caller brought one).
    ///
    /// What every request carries (the user agent, the caller's extra headers, the key) goes
    /// into the HTTP client the SDK builds, as its default headers: reqwest adds them to each
    /// request as it sends it, with code every request runs anyway. A client the caller
    /// brought has defaults of its own, so the transport adds them to each request instead
    /// (`Transport::prepare`). Either way a header the request itself sets wins.
    pub(crate) fn transport(self, credential: Credential) -> Result<Transport, Error> {
        if self.headers.len() > MAX_EXTRA_HEADERS {
            return Err(Error::config(format!(
                "{} extra headers: at most {MAX_EXTRA_HEADERS} go on a request",
                self.headers.len()
            )));
        }
        let mut headers = HeaderMap::new();
        let secrets = Secrets::default();
        for (name, value) in &self.headers {
            secrets.add(value);
            let name = header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::config(format!("{name:?} is not a valid header name")))?;
            headers.insert(name, sensitive(value)?);
        }
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| Error::config("the user agent holds characters HTTP does not allow"))?;
        headers.insert(header::USER_AGENT, user_agent);
        let api_key = match credential {
            Credential::None => None,
            Credential::Bearer(key) => {
                headers.insert(header::AUTHORIZATION, key.bearer());
                Some(key)
            }
            Credential::ApiKeyHeader(key) => {
                headers.insert(
                    header::HeaderName::from_static("x-api-key"),
                    sensitive(key.expose_secret())?,
                );
                Some(key)
            }
        };
        if let Some(key) = &api_key {
            secrets.add(key.expose_secret());
        }
        let headers_on_client = self.http.is_none();
        let http = match self.http {
            Some(http) => http,
            None => {
                tls_backend_ready()?;
                // The TLS backend is reqwest's default for the features this crate was built
                // with: rustls, or native-tls when that is on (it wins over rustls).
                let builder = reqwest::Client::builder()
                    .default_headers(headers.clone())
                    .connect_timeout(self.connect_timeout)
                    .redirect(redirect_policy())
                    .referer(false);
                http_versions(builder).build().map_err(|error| {
                    Error::config(format!("cannot build the HTTP client: {error}"))
                })?
            }
        };
        Ok(Transport {
            http,
            api_key,
            headers,
            headers_on_client,
            secrets,
            on_retry: self.on_retry,
            on_attempt: self.on_attempt,
            timers: super::TimerPool::default(),
        })
    }
}

/// Without the `http2` feature, HTTP/1.1 only, even when another crate in the build turns on
/// reqwest's h2. reqwest's own retry layer then has nothing to do (it retries HTTP/2 refusals
/// only; the SDK's policy does the retrying), yet by default it copies every request (headers,
/// URL and body) before sending it, for the retry that cannot come: it is turned off.
#[cfg(not(feature = "http2"))]
fn http_versions(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    builder
        .http1_only()
        .retry(reqwest::retry::never().max_retries_per_request(0))
}

/// With the `http2` feature, the versions TLS negotiates, and reqwest's retry of the requests
/// an HTTP/2 server refused or sent away unanswered (`REFUSED_STREAM`, `GOAWAY`).
#[cfg(feature = "http2")]
fn http_versions(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    builder
}

/// With `rustls-no-provider` as the only TLS backend, reqwest panics while building a client
/// if no rustls crypto provider is installed; this says so as an error instead.
#[cfg(all(
    feature = "rustls-no-provider",
    not(feature = "rustls"),
    not(feature = "native-tls")
))]
fn tls_backend_ready() -> Result<(), Error> {
    match rustls::crypto::CryptoProvider::get_default() {
        Some(_) => Ok(()),
        None => Err(Error::config(
            "no rustls crypto provider is installed: with the `rustls-no-provider` feature, call \
             `rustls::crypto::CryptoProvider::install_default` (for example with ring's provider) \
             before building a client, or pass your own `reqwest::Client` to `http_client`",
        )),
    }
}

/// Every other TLS configuration builds a client as it is (without a TLS backend, `https`
/// URLs fail when a request is sent).
#[cfg(not(all(
    feature = "rustls-no-provider",
    not(feature = "rustls"),
    not(feature = "native-tls")
)))]
fn tls_backend_ready() -> Result<(), Error> {
    Ok(())
}

/// The builder methods for [`Connection`], shared by every client builder (which keeps its
/// settings in a `connection` field).
macro_rules! connection_setters {
    () => {
        /// How long to wait for a connection (default 5 s). Ignored with
        /// [`Self::http_client`].
        pub fn connect_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.connection.connect_timeout = timeout;
            self
        }

        /// The `User-Agent` sent with every request.
        pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
            self.connection.user_agent = user_agent.into();
            self
        }

        /// An extra header sent with every request (its value is treated as a secret). At most
        /// 64: more make `build` fail with [`Error::Config`](crate::Error::Config).
        pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.connection.headers.push((name.into(), value.into()));
            self
        }

        /// Your own `reqwest::Client` (proxies, certificates, …). Its own timeouts apply as
        /// well as the SDK's, except its overall `timeout` on event streams and downloads:
        /// there the SDK's time for the request replaces it (reqwest keeps one per request).
        /// Each request carries the key, the user agent and the extra headers as with the
        /// SDK's own client, and your client's default headers too (the SDK's win where both
        /// name the same header).
        pub fn http_client(mut self, client: reqwest::Client) -> Self {
            self.connection.http = Some(client);
            self
        }

        /// Called before every retry, with what failed and how long the client waits (the
        /// same fields are logged under the `sambanova_agents::retry` tracing target).
        pub fn on_retry(
            mut self,
            hook: impl Fn(&$crate::RetryEvent) + Send + Sync + 'static,
        ) -> Self {
            self.connection.on_retry =
                Some($crate::transport::RetryHook(std::sync::Arc::new(hook)));
            self
        }

        /// Sees every attempt of every call, its request before it is sent and its answer
        /// or failure after: the one seam for tracing, auditing or recording; see
        /// [`AttemptHook`]($crate::AttemptHook).
        pub fn on_attempt(mut self, hook: impl $crate::AttemptHook) -> Self {
            self.connection.on_attempt =
                Some($crate::transport::AttemptHooks(std::sync::Arc::new(hook)));
            self
        }

        /// Allows sending credentials over plain `http://` to a host that is not loopback.
        /// Off by default: anyone on the path could read them.
        pub fn allow_insecure_http(mut self, allowed: bool) -> Self {
            self.connection.allow_insecure_http = allowed;
            self
        }
    };
}
pub(crate) use connection_setters;

#[cfg(test)]
mod tests {
    use super::*;

    fn with_headers(count: usize) -> Result<Transport, Error> {
        Connection {
            headers: (0..count)
                .map(|n| (format!("x-extra-{n}"), "value".to_owned()))
                .collect(),
            ..Connection::default()
        }
        .transport(Credential::None)
    }

    #[test]
    fn extra_headers_are_checked_when_the_client_is_built() {
        assert_eq!(
            with_headers(MAX_EXTRA_HEADERS)
                .expect("64 extra headers are allowed")
                .headers
                .len(),
            MAX_EXTRA_HEADERS + 1,
            "the extra headers and the user agent"
        );
        let Err(Error::Config { message }) = with_headers(MAX_EXTRA_HEADERS + 1) else {
            panic!("65 extra headers are refused");
        };
        assert!(message.contains("at most 64"), "{message}");
        let bad_name = Connection {
            headers: vec![("bad name".into(), "value".into())],
            ..Connection::default()
        }
        .transport(Credential::None);
        assert!(matches!(bad_name, Err(Error::Config { .. })));
    }
}
