//! [`SessionsClient`]: the client every Sessions operation goes through — its one request path
//! (built by the generated client, sent by the transport, read with the Sessions error
//! dialect) and the opening of its event streams.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Request;
use reqwest::header::{HeaderName, HeaderValue};
use sambanova_agents_raw::sessions as raw;
use serde::de::DeserializeOwned;

use super::auth::SessionsAuth;
use crate::Error;
use crate::dialect::{Dialect, unexpected};
use crate::event_source::{Connect, Opened, StreamSettings, open_event_stream};
use crate::retry::RetryPolicy;
use crate::transport::{
    CallOptions, CallSettings, Exchange, Response, Transport, is_json_content_type,
};

/// The prefix every route of the Sessions API carries.
pub(crate) const API_PREFIX: &str = "/api/v1";

/// A client for the sandbox Sessions API (a CIAB server). Cheap to clone: clones share one
/// connection pool.
///
/// The base URL is the server's **root** (`http://127.0.0.1:8080`); a URL that already ends
/// in `/api/v1` is accepted too, and the suffix dropped.
///
/// Reads (and the first connection of an event stream) are retried like idempotent GETs
/// ([`RetryPolicy::idempotent`]); writes only when the server cannot have seen them
/// ([`RetryPolicy::default`]); [`SessionsClientBuilder::retry`](super::SessionsClientBuilder::retry) sets one policy for all.
///
/// ```no_run
/// # async fn demo() -> Result<(), sambanova_agents::Error> {
/// use futures_util::StreamExt;
/// use sambanova_agents::sessions::{EventKind, SessionsClient};
///
/// let client = SessionsClient::from_env()?;
/// let sandbox_id = client.list_sandboxes().await?[0].id.clone();
/// let session = client.create_session(&sandbox_id).await?;
/// let mut turn = client.send_and_stream(&session.id, "List the files").await?;
/// while let Some(event) = turn.events.next().await {
///     if let EventKind::TextDelta(delta) = event?.kind {
///         print!("{}", delta.text);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SessionsClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub transport: Arc<Transport>,
    /// Builds the requests (never sends them: the transport does).
    pub raw: raw::Client,
    pub allow_insecure_http: bool,
    pub auth: SessionsAuth,
    /// For [`SessionsAuth::QueryToken`]: the key, sent as `?token=` on streams.
    pub stream_token: Option<String>,
    pub base_url: String,
    pub timeout: Duration,
    pub retry: Option<RetryPolicy>,
    pub max_response_bytes: usize,
    pub provisioning_timeout: Duration,
    pub stream: StreamSettings,
}

impl fmt::Debug for SessionsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionsClient")
            .field("base_url", &self.inner.base_url)
            .field("auth", &self.inner.auth)
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .field("stream", &self.inner.stream)
            .field("transport", &self.inner.transport)
            .finish()
    }
}

/// Whether an operation may be repeated (a read) or not (a write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Read,
    Write,
}

impl SessionsClient {
    /// The server's root URL (no trailing slash, no `/api/v1`).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// What a request is sent with: the client's settings, with the call's `options` over
    /// them.
    fn settings(&self, kind: Kind, options: &CallOptions) -> CallSettings {
        let retry = self.inner.retry.clone().unwrap_or_else(|| match kind {
            Kind::Read => RetryPolicy::idempotent(),
            Kind::Write => RetryPolicy::default(),
        });
        CallSettings::merged(
            options,
            self.inner.timeout,
            None,
            &retry,
            Some(self.inner.max_response_bytes),
        )
    }

    /// Sends one request (built by the generated client, again per attempt) with the call's
    /// `options`, and answers its successful exchange, or the error its status means.
    pub(crate) async fn call(
        &self,
        operation: &'static str,
        kind: Kind,
        options: &CallOptions,
        build: impl Fn(&raw::Client) -> Result<Request, Error>,
    ) -> Result<Exchange, Error> {
        let raw = &self.inner.raw;
        let exchange = self
            .inner
            .transport
            .exchange(operation, || build(raw), &self.settings(kind, options))
            .await?;
        if !exchange.meta.status.is_success() {
            return Err(Dialect::Sessions.status_error(&exchange.meta, &exchange.body));
        }
        Ok(exchange)
    }

    /// [`Self::call`], its JSON body read into `T`, with the answer's metadata.
    pub(crate) async fn fetch<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        kind: Kind,
        options: &CallOptions,
        build: impl Fn(&raw::Client) -> Result<Request, Error>,
    ) -> Result<Response<T>, Error> {
        let Exchange { meta, body } = self.call(operation, kind, options, build).await?;
        if !is_json_content_type(meta.content_type()) {
            return Err(unexpected(&meta, &body, "the content type is not JSON"));
        }
        match serde_json::from_slice(&body) {
            Ok(value) => Ok(Response::new(value, meta)),
            Err(error) => Err(unexpected(
                &meta,
                &body,
                &format!("the body does not parse: {error}"),
            )),
        }
    }

    pub(crate) fn stream_settings(&self) -> &StreamSettings {
        &self.inner.stream
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// How long to wait for a response's headers.
    pub(crate) fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Whether plain `http://` may be used for a URL that is not loopback: without a key
    /// there is nothing to leak.
    pub(crate) fn plain_http_allowed(&self) -> bool {
        self.inner.transport.api_key.is_none() || self.inner.allow_insecure_http
    }

    /// The retry policy of a stream connection: the first like any read, a reconnection
    /// once (the stream's own backoff paces reconnections).
    pub(crate) fn stream_retry(&self, first: bool) -> RetryPolicy {
        if first {
            self.inner
                .retry
                .clone()
                .unwrap_or_else(RetryPolicy::idempotent)
        } else {
            RetryPolicy::none()
        }
    }

    /// How a stream of `target` opens (again): the generated request, with the resume id as
    /// `?last_event_id=` (all the server reads) and as `Last-Event-ID` (for proxies and other
    /// servers). The first connection is sent with the call's `options`; a reconnection,
    /// later and paced by the stream itself, with their headers only.
    pub(crate) fn connector(&self, target: StreamTarget, options: CallOptions) -> Connect {
        let client = self.clone();
        let reconnection = CallOptions {
            headers: options.headers.clone(),
            ..CallOptions::default()
        };
        Arc::new(move |last_event_id: Option<String>, first: bool| {
            let client = client.clone();
            let target = target.clone();
            let options = if first { &options } else { &reconnection }.clone();
            Box::pin(async move {
                client
                    .open_stream(&target, last_event_id, first, &options)
                    .await
            })
        })
    }

    async fn open_stream(
        &self,
        target: &StreamTarget,
        last_event_id: Option<String>,
        first: bool,
        options: &CallOptions,
    ) -> Result<Opened, Error> {
        let inner = &self.inner;
        let token = inner.stream_token.as_deref();
        let resume = last_event_id.as_deref();
        let header = resume.and_then(|id| HeaderValue::from_str(id).ok());
        let (operation, id) = match target {
            StreamTarget::Session(id) => ("stream_events", non_empty("session id", id)?),
            StreamTarget::Sandbox(id) => ("stream_sandbox_events", non_empty("sandbox id", id)?),
        };
        let build = || {
            let built = match target {
                StreamTarget::Session(_) => inner.raw.stream_events_request(id, resume, token),
                StreamTarget::Sandbox(_) => {
                    inner.raw.stream_sandbox_events_request(id, resume, token)
                }
            };
            let mut request = crate::call::built(built)?;
            if let Some(header) = &header {
                request
                    .headers_mut()
                    .insert(HeaderName::from_static("last-event-id"), header.clone());
            }
            Ok(request)
        };
        open_event_stream(
            &inner.transport,
            operation,
            build,
            self.stream_retry(first),
            inner.timeout,
            options,
            Dialect::Sessions,
        )
        .await
    }
}

/// What a stream follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StreamTarget {
    Session(String),
    Sandbox(String),
}

impl fmt::Display for StreamTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamTarget::Session(id) => write!(f, "session {id}"),
            StreamTarget::Sandbox(id) => write!(f, "sandbox {id}"),
        }
    }
}

/// `value`, refused when blank.
pub(crate) fn non_empty<'a>(what: &str, value: &'a str) -> Result<&'a str, Error> {
    if value.trim().is_empty() {
        Err(Error::invalid_input(format!("the {what} is empty")))
    } else {
        Ok(value)
    }
}
