//! Sending one request: authentication, timeouts, retries, size limits and tracing, written
//! once for every operation (the generated client routes its requests here through
//! [`sambanova_agents_raw::Execute`], the hand-written operations call [`Transport::send`]).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Request, Response, StatusCode};
use sambanova_agents_raw::{Execute, ExecuteFuture, Executor};
use tracing::Instrument;

use crate::Error;
use crate::auth::ApiKey;
use crate::retry::RetryPolicy;

/// What a single call may change: its timeout and its retry policy.
///
/// ```
/// use std::time::Duration;
/// use sambanova_agents::{CallOptions, RetryPolicy};
///
/// let options = CallOptions::new()
///     .timeout(Duration::from_secs(1800))
///     .retry(RetryPolicy::none());
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: Option<RetryPolicy>,
}

impl CallOptions {
    /// No overrides: the client's settings apply.
    pub fn new() -> Self {
        CallOptions::default()
    }

    /// The total time for this call (connect, agent run, body), instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy for this call, instead of the client's.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }
}

/// What a request is sent with, once the client's and the call's settings are merged.
#[derive(Debug, Clone)]
pub(crate) struct Effective {
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// The largest body read into memory; `None` for streamed bodies (downloads).
    pub max_body: Option<usize>,
}

/// The status line and headers that matter, kept for classification (the generated client
/// drops them when a body does not parse).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResponseMeta {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
}

impl ResponseMeta {
    pub(crate) fn of(response: &Response) -> Self {
        let headers = response.headers();
        let text = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        ResponseMeta {
            status: response.status(),
            content_type: text(header::CONTENT_TYPE),
            request_id: text(header::HeaderName::from_static("x-request-id")),
            retry_after: crate::retry::retry_after(headers, std::time::SystemTime::now()),
        }
    }
}

/// The connection to one API: the HTTP client and what goes on every request.
pub(crate) struct Transport {
    pub http: reqwest::Client,
    pub api_key: Option<ApiKey>,
    pub headers: HeaderMap,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("api_key", &self.api_key)
            .field("headers", &RedactedHeaders(&self.headers))
            .finish_non_exhaustive()
    }
}

/// Shows header names only: a caller's extra headers may hold secrets too.
pub(crate) struct RedactedHeaders<'a>(pub &'a HeaderMap);

impl std::fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|name| (name.as_str(), "<redacted>")))
            .finish()
    }
}

impl Transport {
    /// Sends the request `build` makes, again as the policy allows (`build` is called once
    /// per attempt; `None` means the request cannot be repeated). Returns the response of the
    /// last attempt, whatever its status: the caller classifies it.
    pub(crate) async fn send(
        &self,
        operation: &'static str,
        mut build: impl FnMut() -> Option<Request>,
        effective: &Effective,
    ) -> Result<Response, Error> {
        let mut request = build().ok_or_else(|| Error::invalid_input("request cannot be built"))?;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            self.prepare(&mut request, effective.timeout);
            let span = tracing::info_span!(
                "sambanova.request",
                operation,
                method = %request.method(),
                path = request.url().path(),
                attempt,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let outcome = self.http.execute(request).instrument(span.clone()).await;
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            let wait = match &outcome {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    if let Some(id) = response
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                    {
                        span.record("request_id", id);
                    }
                    if !effective.retry.retries_status(response.status()) {
                        None
                    } else {
                        match effective.retry.server_wait(response.headers()) {
                            Ok(asked) => {
                                Some(asked.unwrap_or_else(|| effective.retry.backoff(attempt)))
                            }
                            // The server asked for a longer wait than the policy allows: give
                            // its answer back rather than stall the caller.
                            Err(_) => None,
                        }
                    }
                }
                Err(error) => {
                    let delivered = !error.is_connect();
                    if delivered && !effective.retry.retries_after_delivery() {
                        None
                    } else {
                        Some(effective.retry.backoff(attempt))
                    }
                }
            };
            // The next attempt's request is built only when there is one: most calls need
            // no copy at all.
            let next = match wait {
                Some(wait) if attempt <= effective.retry.max_retries_value() => {
                    build().map(|next| (wait, next))
                }
                _ => None,
            };
            match next {
                Some((wait, next)) => {
                    tracing::debug!(parent: &span, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                    request = next;
                }
                None => {
                    return outcome.map_err(|error| transport_error(error, effective.timeout));
                }
            }
        }
    }

    fn prepare(&self, request: &mut Request, timeout: Duration) {
        let headers = request.headers_mut();
        for (name, value) in &self.headers {
            headers.insert(name, value.clone());
        }
        if let Some(key) = &self.api_key {
            headers.insert(header::AUTHORIZATION, key.bearer());
        }
        *request.timeout_mut() = Some(timeout);
    }
}

/// Maps a failed exchange to the SDK's error, telling whether the handler can have seen it.
pub(crate) fn transport_error(error: reqwest::Error, timeout: Duration) -> Error {
    let mut error = error;
    // A URL's query may carry a secret (`?token=` on event streams): errors show the path.
    if let Some(url) = error.url_mut() {
        url.set_query(None);
    }
    if error.is_timeout() {
        return Error::Timeout { after: timeout };
    }
    if let Some(limit) = body_limit_hit(&error) {
        return Error::ResponseTooLarge {
            limit: limit as u64,
            request_id: None,
        };
    }
    Error::Connection {
        message: describe(&error),
        maybe_delivered: !error.is_connect(),
    }
}

fn body_limit_hit(error: &reqwest::Error) -> Option<usize> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(limited) = current.downcast_ref::<BodyTooLarge>() {
            return Some(limited.0);
        }
        source = current.source();
    }
    None
}

/// The whole cause chain in one line (reqwest's own Display stops at the first level).
fn describe(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// The error a body yields past the limit.
#[derive(Debug)]
pub(crate) struct BodyTooLarge(pub usize);

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "response body larger than {} bytes", self.0)
    }
}

impl std::error::Error for BodyTooLarge {}

/// Caps the body of `response` at `limit` bytes: reading past it fails with [`BodyTooLarge`].
pub(crate) fn limit_body(response: Response, limit: usize) -> Response {
    use futures_util::StreamExt;
    match response.content_length() {
        // A declared length within the limit is all hyper will read: nothing to wrap.
        Some(length) if length <= limit as u64 => return response,
        // Declared too large: fail before reading a byte.
        Some(_) => {
            let (parts, _) = http::Response::from(response).into_parts();
            let failing =
                futures_util::stream::once(
                    async move { Err::<bytes::Bytes, _>(BodyTooLarge(limit)) },
                );
            return Response::from(http::Response::from_parts(
                parts,
                reqwest::Body::wrap_stream(failing),
            ));
        }
        None => {}
    }
    let (parts, body) = http::Response::from(response).into_parts();
    let mut seen = 0usize;
    let limited = http_body_util::BodyDataStream::new(body).map(move |chunk| {
        let chunk =
            chunk.map_err(|e| -> Box<dyn std::error::Error + Send + Sync> { Box::new(e) })?;
        seen = seen.saturating_add(chunk.len());
        if seen > limit {
            return Err(Box::new(BodyTooLarge(limit)) as Box<dyn std::error::Error + Send + Sync>);
        }
        Ok(chunk)
    });
    Response::from(http::Response::from_parts(
        parts,
        reqwest::Body::wrap_stream(limited),
    ))
}

/// Reads a whole body, within `limit` bytes.
pub(crate) async fn read_body(
    response: Response,
    limit: usize,
    timeout: Duration,
    request_id: Option<&str>,
) -> Result<bytes::Bytes, Error> {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|error| with_request_id(transport_error(error, timeout), request_id))?;
        if body.len() + chunk.len() > limit {
            return Err(Error::ResponseTooLarge {
                limit: limit as u64,
                request_id: request_id.map(str::to_owned),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}

pub(crate) fn with_request_id(error: Error, id: Option<&str>) -> Error {
    match error {
        Error::ResponseTooLarge {
            limit,
            request_id: None,
        } => Error::ResponseTooLarge {
            limit,
            request_id: id.map(str::to_owned),
        },
        other => other,
    }
}

/// The executor of one generated call: sends through the [`Transport`] and keeps the
/// response's status and headers for the classifier.
pub(crate) struct CallExecutor {
    pub transport: Arc<Transport>,
    pub effective: Effective,
    pub meta: Arc<Mutex<Option<ResponseMeta>>>,
    pub failure: Arc<Mutex<Option<Error>>>,
}

impl CallExecutor {
    pub(crate) fn executor(self) -> Executor {
        Executor::new(self)
    }
}

impl Execute for CallExecutor {
    fn execute<'a>(
        &'a self,
        _client: &'a reqwest::Client,
        request: Request,
        operation_id: &'static str,
    ) -> ExecuteFuture<'a> {
        Box::pin(async move {
            let template = request.try_clone();
            let mut first = Some(request);
            let build = move || {
                first
                    .take()
                    .or_else(|| template.as_ref().and_then(Request::try_clone))
            };
            match self
                .transport
                .send(operation_id, build, &self.effective)
                .await
            {
                Ok(response) => {
                    let meta = ResponseMeta::of(&response);
                    if let Ok(mut slot) = self.meta.lock() {
                        *slot = Some(meta);
                    }
                    Ok(match self.effective.max_body {
                        Some(limit) => limit_body(response, limit),
                        None => response,
                    })
                }
                Err(error) => {
                    if let Ok(mut slot) = self.failure.lock() {
                        *slot = Some(error);
                    }
                    // The generated client wants a response or a `reqwest::Error`; the SDK's
                    // own error is in `failure`, which the caller reads first. A local
                    // stand-in response carries the call to that point.
                    Ok(stand_in_response())
                }
            }
        })
    }
}

/// An empty 502 that never left this process (see [`CallExecutor`]).
fn stand_in_response() -> Response {
    let mut response = http::Response::new(reqwest::Body::from(Vec::new()));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    Response::from(response)
}

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

/// A header value that never prints.
pub(crate) fn sensitive(value: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| Error::config("a header value contains characters HTTP does not allow"))?;
    value.set_sensitive(true);
    Ok(value)
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
}

impl Default for Connection {
    fn default() -> Self {
        Connection {
            connect_timeout: Duration::from_secs(5),
            user_agent: concat!("sambanova-agents-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            headers: Vec::new(),
            http: None,
            allow_insecure_http: false,
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
            .finish()
    }
}

impl Connection {
    /// Checks the headers and builds the HTTP client (unless the caller brought one).
    pub(crate) fn transport(self, api_key: Option<ApiKey>) -> Result<Transport, Error> {
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::config(format!("{name:?} is not a valid header name")))?;
            headers.insert(name, sensitive(value)?);
        }
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| Error::config("the user agent holds characters HTTP does not allow"))?;
        headers.insert(header::USER_AGENT, user_agent);
        let http = match self.http {
            Some(http) => http,
            None => {
                tls_backend_ready()?;
                // The TLS backend is reqwest's default for the features this crate was built
                // with: rustls, or native-tls when that is on (it wins over rustls).
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .redirect(redirect_policy())
                    .referer(false)
                    .build()
                    .map_err(|error| {
                        Error::config(format!("cannot build the HTTP client: {error}"))
                    })?
            }
        };
        Ok(Transport {
            http,
            api_key,
            headers,
        })
    }
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

        /// An extra header sent with every request (its value is treated as a secret).
        pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.connection.headers.push((name.into(), value.into()));
            self
        }

        /// Your own `reqwest::Client` (proxies, certificates, …). Its own timeouts apply as
        /// well as the SDK's.
        pub fn http_client(mut self, client: reqwest::Client) -> Self {
            self.connection.http = Some(client);
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
