//! Any server-sent events URL, event by event exactly as the server framed it, for debugging a
//! stream (`sambanova-agents sessions stream --raw`): the typed
//! [`SessionEventStream`](super::SessionEventStream) drops duplicates and retypes events, which
//! hides what arrived.

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use reqwest::header::ACCEPT;

use super::client::{STREAM_BODY_TIMEOUT, SessionsClient, error_from_body};
use crate::Error;
use crate::client::checked_base_url;
use crate::retry::RetryPolicy;
use crate::sse::{DecodeError, Decoder, Event, EventStream, StreamError};
use crate::transport::{Effective, ResponseMeta, read_body, transport_error};

/// How a raw stream reconnects.
///
/// ```
/// use sambanova_agents::sessions::RawStreamOptions;
///
/// let debug_once = RawStreamOptions::default().reconnect(false);
/// # let _ = debug_once;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStreamOptions {
    reconnect: bool,
    resume_with_query: bool,
}

impl Default for RawStreamOptions {
    /// Reconnects after the server ends the stream, with the `Last-Event-ID` header only.
    fn default() -> Self {
        RawStreamOptions {
            reconnect: true,
            resume_with_query: false,
        }
    }
}

impl RawStreamOptions {
    /// Whether to reconnect when the server ends the stream or the connection drops
    /// (default yes). Without, the stream ends when the server ends it.
    pub fn reconnect(mut self, reconnect: bool) -> Self {
        self.reconnect = reconnect;
        self
    }

    /// Also send the last event id as `?last_event_id=`, which is all the Sessions server
    /// reads (default no: the standard header only).
    pub fn resume_with_query(mut self, resume: bool) -> Self {
        self.resume_with_query = resume;
        self
    }
}

impl SessionsClient {
    /// The events of any SSE `url` as decoded, with this client's key, headers and
    /// timeouts: each [`Event`]'s `id` is the stream's last event id at that event. An
    /// oversized event is an [`Error::ResponseTooLarge`] item and the stream goes on; an error
    /// status ends it.
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
    /// use futures_util::StreamExt;
    /// use sambanova_agents::sessions::RawStreamOptions;
    ///
    /// let events = client.raw_events("http://127.0.0.1:8080/api/v1/sessions/x/stream", RawStreamOptions::default());
    /// futures_util::pin_mut!(events);
    /// while let Some(event) = events.next().await {
    ///     let event = event?;
    ///     println!("{} {} {}", event.id(), event.event_type(), event.data());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn raw_events(
        &self,
        url: &str,
        options: RawStreamOptions,
    ) -> impl Stream<Item = Result<Event, Error>> + Send + 'static {
        let state = Raw {
            client: self.clone(),
            url: url.to_owned(),
            options,
            decoder: Some(Decoder::with_max_event_size(
                self.stream_settings().max_event_size,
            )),
            events: None,
            connected_once: false,
            failures: 0,
            done: false,
        };
        futures_util::stream::unfold(state, |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        })
    }
}

type Body = BoxStream<'static, reqwest::Result<Bytes>>;

struct Raw {
    client: SessionsClient,
    url: String,
    options: RawStreamOptions,
    /// Kept across connections: it holds the last event id and the server's `retry:`.
    decoder: Option<Decoder>,
    events: Option<EventStream<Body>>,
    connected_once: bool,
    failures: u32,
    done: bool,
}

impl Raw {
    async fn next(&mut self) -> Option<Result<Event, Error>> {
        loop {
            if self.done {
                return None;
            }
            let Some(events) = self.events.as_mut() else {
                match self.connect().await {
                    Ok(events) => {
                        self.events = Some(events);
                        self.connected_once = true;
                    }
                    Err(error) => {
                        self.failures += 1;
                        if !self.may_reconnect() || !reconnecting_may_help(&error) {
                            self.done = true;
                            return Some(Err(error));
                        }
                        tokio::time::sleep(self.backoff()).await;
                    }
                }
                continue;
            };
            let ended = match events.next().await {
                Some(Ok(event)) => {
                    self.failures = 0;
                    return Some(Ok(event));
                }
                Some(Err(StreamError::Decode(DecodeError::EventTooLarge { limit }))) => {
                    return Some(Err(Error::ResponseTooLarge {
                        limit: limit as u64,
                        request_id: None,
                    }));
                }
                Some(Err(StreamError::Transport(error))) => {
                    Some(transport_error(error, STREAM_BODY_TIMEOUT))
                }
                None => None,
            };
            if let Some(events) = self.events.take() {
                let mut decoder = events.into_decoder();
                // An event cut short by the end of the connection is not dispatched.
                decoder.finish(&mut Vec::new());
                self.decoder = Some(decoder);
            }
            if !self.options.reconnect {
                self.done = true;
                return ended.map(Err);
            }
            self.failures += 1;
            if !self.may_reconnect() {
                self.done = true;
                return Some(Err(ended.unwrap_or_else(|| Error::Stream {
                    message: "the server kept closing the stream".into(),
                })));
            }
            tokio::time::sleep(self.backoff()).await;
        }
    }

    fn may_reconnect(&self) -> bool {
        let limit = self.client.stream_settings().max_reconnects;
        self.options.reconnect
            && self.connected_once
            && limit.is_none_or(|max| self.failures <= max)
    }

    /// The wait before reconnecting: the server's `retry:` if it sent one, doubling.
    fn backoff(&self) -> std::time::Duration {
        let hint = self.decoder.as_ref().and_then(Decoder::reconnection_time);
        self.client
            .stream_settings()
            .backoff(self.failures.max(1), hint)
    }

    async fn connect(&mut self) -> Result<EventStream<Body>, Error> {
        checked_base_url(&self.url, self.client.plain_http_allowed())?;
        let last_event_id = self
            .decoder
            .as_ref()
            .map(|decoder| decoder.last_event_id().to_owned())
            .unwrap_or_default();
        let http = self.client.transport().http.clone();
        let url = self.url.clone();
        let resume_with_query = self.options.resume_with_query;
        let build = move || {
            let mut request = http.get(&url).header(ACCEPT, "text/event-stream");
            if !last_event_id.is_empty() {
                request = request.header("last-event-id", last_event_id.as_str());
                if resume_with_query {
                    request = request.query(&[("last_event_id", last_event_id.as_str())]);
                }
            }
            request.build().ok()
        };
        let effective = Effective {
            // The stream has no end: the headers are waited for below, the body forever.
            timeout: STREAM_BODY_TIMEOUT,
            retry: if self.connected_once {
                RetryPolicy::none()
            } else {
                RetryPolicy::idempotent()
            },
            max_body: None,
        };
        let header_wait = self.client.timeout();
        let sending = self
            .client
            .transport()
            .send("raw_events", build, &effective);
        let response = tokio::time::timeout(header_wait, sending)
            .await
            .map_err(|_| Error::Timeout { after: header_wait })??;
        let meta = ResponseMeta::of(&response);
        if !meta.status.is_success() {
            let body = read_body(
                response,
                Error::KEPT_BODY_BYTES,
                header_wait,
                meta.request_id.as_deref(),
            )
            .await
            .unwrap_or_default();
            return Err(error_from_body(&meta, &body));
        }
        let decoder = self.decoder.take().unwrap_or_default();
        Ok(EventStream::with_decoder(
            response.bytes_stream().boxed(),
            decoder,
        ))
    }
}

/// Whether asking again can help: not after an error status (401, 404, …) or bad settings.
fn reconnecting_may_help(error: &Error) -> bool {
    matches!(
        error,
        Error::Connection { .. } | Error::Timeout { .. } | Error::RateLimited { .. }
    ) || matches!(error, Error::Server(server) if server.http_status.is_server_error())
}
