//! Any server-sent events URL, event by event exactly as the server framed it, for debugging a
//! stream (`sambanova-agents sessions stream --raw`): the typed
//! [`SessionEventStream`](super::SessionEventStream) retypes events, which hides what
//! arrived. A thin layer over the same [`EventSource`] as the typed stream.

use std::sync::Arc;

use futures_util::Stream;
use reqwest::header::ACCEPT;
use serde::Deserialize;

use super::client::{SessionsClient, non_empty};
use crate::Error;
use crate::client::checked_base_url;
use crate::dialect::Dialect;
use crate::event_source::replay::OrderKey;
use crate::event_source::{Connect, EventMap, EventSource, Mapped, Reconnect, open_event_stream};
use crate::sse::Event;
use crate::transport::CallOptions;

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

/// Keeps each event as framed; its stamp (a Sessions event's `timestamp`), when its data
/// has one, places it for de-duplication.
struct AsFramed;

impl EventMap for AsFramed {
    type Item = Event;

    fn map(&mut self, event: Event) -> Mapped<Event> {
        #[derive(Deserialize)]
        struct Stamped<'a> {
            #[serde(borrow)]
            timestamp: Option<std::borrow::Cow<'a, str>>,
        }
        let order = serde_json::from_str::<Stamped>(event.data())
            .ok()
            .and_then(|stamped| stamped.timestamp)
            .and_then(|stamp| OrderKey::parse(&stamp));
        Mapped {
            order,
            reconnect_after: None,
            item: event,
        }
    }
}

impl SessionsClient {
    /// The URL of a session's event stream on this client's server, as
    /// [`Self::events`] opens it (without the resume id or a stream token), e.g. to read it
    /// with [`Self::raw_events`].
    ///
    /// ```
    /// use sambanova_agents::sessions::SessionsClient;
    ///
    /// let client = SessionsClient::builder().base_url("http://127.0.0.1:8080").build().unwrap();
    /// assert_eq!(
    ///     client.events_url("a/b").unwrap(),
    ///     "http://127.0.0.1:8080/api/v1/sessions/a%2Fb/stream"
    /// );
    /// let rooted = SessionsClient::builder().base_url("http://127.0.0.1:8080/api/v1/").build().unwrap();
    /// assert_eq!(
    ///     rooted.events_url("abc").unwrap(),
    ///     "http://127.0.0.1:8080/api/v1/sessions/abc/stream"
    /// );
    /// assert!(client.events_url("").is_err());
    /// ```
    pub fn events_url(&self, session_id: &str) -> Result<String, Error> {
        let id = non_empty("session id", session_id)?;
        let request = crate::call::built(self.inner.raw.stream_events_request(id, None, None))?;
        Ok(request.url().to_string())
    }

    /// The events of any SSE `url` as decoded, with this client's key, headers and
    /// timeouts: each [`Event`]'s `id` is the stream's last event id at that event. The same
    /// connection as [`Self::events`]: the answer must be `text/event-stream`, a silent
    /// stream is dropped after the stall timeout (and reconnected, or ends with
    /// [`Error::Stalled`] without reconnection), and a reconnection's replay of events
    /// already delivered is dropped (by the rule of
    /// [`SessionEventStream`](super::SessionEventStream#each-event-once)). An oversized event is an [`Error::ResponseTooLarge`]
    /// item and the stream goes on; an error status ends it.
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
        let target = reqwest::Url::parse(url)
            .map(|parsed| parsed.path().to_owned())
            .unwrap_or_default();
        let client = self.clone();
        let url = url.to_owned();
        let resume_with_query = options.resume_with_query;
        let connect: Connect = Arc::new(move |last_event_id: Option<String>, first: bool| {
            let client = client.clone();
            let url = url.clone();
            Box::pin(async move {
                checked_base_url(&url, client.plain_http_allowed())?;
                let http = client.transport().http.clone();
                let build = || {
                    let mut request = http.get(&url).header(ACCEPT, "text/event-stream");
                    if let Some(id) = last_event_id.as_deref() {
                        request = request.header("last-event-id", id);
                        if resume_with_query {
                            request = request.query(&[("last_event_id", id)]);
                        }
                    }
                    request.build().map_err(|error| {
                        Error::invalid_input(format!("cannot build the request: {error}"))
                    })
                };
                open_event_stream(
                    client.transport(),
                    "raw_events",
                    build,
                    client.stream_retry(first),
                    client.timeout(),
                    &CallOptions::default(),
                    Dialect::Sessions,
                )
                .await
            })
        });
        let reconnect = if options.reconnect {
            Reconnect::OnLoss
        } else {
            Reconnect::Never
        };
        EventSource::new(
            connect,
            AsFramed,
            reconnect,
            self.stream_settings().clone(),
            "raw_events",
            Some(target),
            None,
            self.transport().on_retry.clone(),
        )
    }
}
