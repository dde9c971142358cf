//! The typed session event stream: a thin layer over the one [`EventSource`] that types each
//! event, skips the replay of earlier turns, and can end with the turn.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Stream, StreamExt};

use super::client::{SessionsClient, StreamTarget};
use super::events::{EventKind, SessionEvent};
use super::types::{Message, Role};
use crate::event_source::replay::OrderKey;
use crate::event_source::{EventMap, EventSource, Mapped, Reconnect};
use crate::sse::Event;
use crate::transport::{CallOptions, Response, ResponseMeta};
use crate::{CallBuilder, Error};

/// Types each decoded event.
struct Typed;

impl EventMap for Typed {
    type Item = SessionEvent;

    fn map(&mut self, event: Event) -> Mapped<SessionEvent> {
        let event = SessionEvent::from_sse(&event);
        let reconnect_after = match &event.kind {
            EventKind::Reconnect(reconnect) => reconnect.after_ms.map(Duration::from_millis),
            _ => None,
        };
        Mapped {
            order: event.timestamp.as_deref().and_then(OrderKey::parse),
            reconnect_after,
            item: event,
        }
    }
}

/// A live stream of [`SessionEvent`]s, as a [`futures_util::Stream`].
///
/// - **Resumes**: after the server closes it, the connection drops, or no byte arrives for
///   the stall timeout (keepalive comments count), it reconnects with exponential backoff
///   (with jitter, honouring the server's SSE `retry:`), asking for the events after the last
///   one seen (`?last_event_id=` and the `Last-Event-ID` header).
/// - **Once each**: the server replays its buffer on every connection; events already seen
///   are dropped (see below), so each event arrives once, in order.
/// - **Ends** when dropped, after a turn's end with [`Self::until_turn_end`], or with an
///   error reconnecting cannot fix (404, 401, …), or [`Error::ReconnectsExhausted`] after too
///   many failed reconnections in a row or too long spent reconnecting.
/// - An event larger than the limit is skipped, with a warning in the logs, and the stream
///   goes on.
///
/// # Each event once
///
/// The same rule holds for this stream, for [`SessionsClient::raw_events`] and for the agent
/// stream. Nothing is dropped on a connection that has not reconnected: an event without an
/// `id` field carries the last event id (as does one whose `id` holds U+0000), so events may
/// share one, and all are delivered. After a reconnection the stream catches up: an event is
/// known as delivered before only by an id it sets itself ([`crate::sse::Event::sets_id`]) or
/// by its `timestamp`, in memory that does not grow with the stream (the last
/// [`dedupe_window`](super::SessionsClientBuilder::dedupe_window) ids, the stream's first id,
/// the last id and stamp). What each server yields:
///
/// - one that resumes after the last event id: everything it sends;
/// - one that replays from the start, or part of what was delivered, however long, with or
///   without timestamps: everything after the last event delivered, nothing twice;
/// - one that no longer holds the last event (its buffer moved on): everything it holds (the
///   first event stamped later, or never delivered, ends the catch-up);
/// - events that set no id, during a replay recognised by an earlier id or stamp, are part of
///   it and dropped; before that they are delivered;
/// - a server without timestamps whose replay starts after the stream's first event and
///   before the oldest id of the window delivers those older events again.
///
/// ```no_run
/// # async fn demo(client: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
/// use futures_util::StreamExt;
///
/// let mut events = client.events("31d0232d-0000-4000-8000-000000000000").until_turn_end();
/// while let Some(event) = events.next().await {
///     let event = event?;
///     println!("{} {}", event.id, event.event_type());
/// }
/// # Ok(()) }
/// ```
#[must_use = "a stream does nothing unless polled"]
pub struct SessionEventStream {
    source: EventSource<Typed>,
    until_turn_end: bool,
    /// Events stamped before this are an earlier turn's replay.
    skip_before: Option<OrderKey>,
    finished: bool,
}

impl fmt::Debug for SessionEventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionEventStream")
            .field("stream", &self.source.context())
            .field("until_turn_end", &self.until_turn_end)
            .finish_non_exhaustive()
    }
}

impl SessionEventStream {
    /// A stream whose first connection is sent with `options` (a reconnection with their
    /// headers only).
    pub(super) fn new(
        client: &SessionsClient,
        target: StreamTarget,
        last_event_id: Option<String>,
        options: CallOptions,
    ) -> Self {
        let source = EventSource::new(
            client.connector(target.clone(), options),
            Typed,
            Reconnect::OnLoss,
            client.stream_settings().clone(),
            match target {
                StreamTarget::Session(_) => "stream_events",
                StreamTarget::Sandbox(_) => "stream_sandbox_events",
            },
            Some(target.to_string()),
            last_event_id,
            client.transport().on_retry.clone(),
        );
        SessionEventStream {
            source,
            until_turn_end: false,
            skip_before: None,
            finished: false,
        }
    }

    /// Ends the stream after the event that ends a turn ([`SessionEvent::is_turn_end`]:
    /// `session_completed`, `result_error`, `session_failed`, `error`, or an empty
    /// `queue_updated`, the only sign after a crash or an interrupt).
    pub fn until_turn_end(mut self) -> Self {
        self.until_turn_end = true;
        self
    }

    /// Skips the events stamped before `timestamp` (an RFC 3339 time from the server, such
    /// as a [`Message`]'s): the server replays its buffer, earlier turns included, on every
    /// new connection. A timestamp that does not parse skips nothing.
    pub fn since(mut self, timestamp: &str) -> Self {
        self.skip_before(timestamp);
        self
    }

    /// The silence limit of this stream: how long it may go without a byte before it
    /// reconnects (default: the client's
    /// [`stall_timeout`](super::SessionsClientBuilder::stall_timeout)).
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.source.set_stall_timeout(timeout);
        self
    }

    /// The id of the last event delivered (to resume later with
    /// [`SessionsClient::events_after`]); `None` before the first.
    pub fn last_event_id(&self) -> Option<&str> {
        self.source.context()?.last_event_id.as_deref()
    }

    /// What came back with the answer of the stream's last connection (status, headers,
    /// request id, attempts); `None` before it connected, and while it reconnects.
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
    /// use futures_util::StreamExt;
    ///
    /// let mut events = client.events("31d0232d-0000-4000-8000-000000000000");
    /// let first = events.next().await;
    /// if let Some(meta) = events.meta() {
    ///     println!("stream {}", meta.request_id().unwrap_or("-"));
    /// }
    /// # let _ = first; Ok(()) }
    /// ```
    pub fn meta(&self) -> Option<&ResponseMeta> {
        self.source.meta()
    }

    /// How many times the stream reconnected so far.
    pub fn reconnects(&self) -> u64 {
        self.source
            .context()
            .map_or(0, |context| context.reconnects)
    }

    /// Connects now rather than at the first poll, so that events published from now on
    /// are not missed.
    pub(crate) async fn connect(&mut self) -> Result<(), Error> {
        self.source.connect().await
    }

    /// Ends the stream before its first event.
    pub(crate) fn end(&mut self) {
        self.finished = true;
        self.source.end();
    }

    /// Skips the events stamped before `timestamp` (the replay of earlier turns).
    pub(crate) fn skip_before(&mut self, timestamp: &str) {
        self.skip_before = OrderKey::parse(timestamp);
    }
}

impl Stream for SessionEventStream {
    type Item = Result<SessionEvent, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            let event = match futures_util::ready!(this.source.poll_next_unpin(cx)) {
                Some(Ok(event)) => event,
                // A turn goes on past one event too large to read: a caller's `event?`
                // must not end it.
                Some(Err(error @ Error::ResponseTooLarge { .. })) => {
                    tracing::warn!(%error, "skipped an event of the session stream");
                    continue;
                }
                other => return Poll::Ready(other),
            };
            if let Some(cutoff) = &this.skip_before {
                match event.timestamp.as_deref().and_then(OrderKey::parse) {
                    Some(stamp) if stamp < *cutoff => continue,
                    // Events come in order: from the first one at or after the cutoff on,
                    // none is older.
                    _ => this.skip_before = None,
                }
            }
            if this.until_turn_end && event.is_turn_end() {
                this.end();
            }
            return Poll::Ready(Some(Ok(event)));
        }
    }
}

/// What [`SessionsClient::send_and_stream`] answers: the stored user message, and the turn's
/// events.
#[derive(Debug)]
#[non_exhaustive]
pub struct Turn {
    /// The user message as the server stored it.
    pub message: Message,
    /// The turn's events, ending after its last one (see [`SessionEventStream::until_turn_end`]).
    pub events: SessionEventStream,
}

impl Turn {
    /// What came back with the turn's event stream when it opened (the message's own answer
    /// is the call's, with [`with_response`](crate::CallBuilder::with_response)); see
    /// [`SessionEventStream::meta`].
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::sessions::SessionsClient, session_id: &str) -> Result<(), sambanova_agents::Error> {
    /// let turn = client.send_and_stream(session_id, "hi").with_response().await?;
    /// println!("message: request {:?}", turn.meta().request_id());
    /// println!("stream: request {:?}", turn.events.meta().and_then(|meta| meta.request_id()));
    /// # Ok(()) }
    /// ```
    pub fn meta(&self) -> Option<&ResponseMeta> {
        self.events.meta()
    }
}

impl SessionsClient {
    /// The session's live events, from the start of the server's buffer (the server replays
    /// it to every new stream), resuming across dropped connections, each event once. Runs
    /// until dropped, or until the end of a turn with [`SessionEventStream::until_turn_end`].
    pub fn events(&self, session_id: &str) -> SessionEventStream {
        SessionEventStream::new(
            self,
            StreamTarget::Session(session_id.to_owned()),
            None,
            CallOptions::default(),
        )
    }

    /// Re-attaches to a session: the events of its turn in progress from the turn's start
    /// (what it has said already, then live), or of its last turn if it is idle (from its
    /// last user message on), ending with the turn; without the replay of earlier turns.
    /// Dropping the stream detaches and leaves the turn running: another process can attach
    /// to the turn another started. Built on the replay-safe stream: each event once, across
    /// reconnections.
    ///
    /// The call's options apply to the session read and to the stream's connections (a
    /// reconnection takes their headers only); the stream connects when first polled, after
    /// the call, so the call's deadline does not bound it. With
    /// [`with_response`](CallBuilder::with_response), the metadata is the session read's; the
    /// stream's own is [`SessionEventStream::meta`].
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
    /// use futures_util::StreamExt;
    ///
    /// let mut turn = client.attach("31d0232d-0000-4000-8000-000000000000").await?;
    /// while let Some(event) = turn.next().await {
    ///     println!("{}", event?.event_type());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn attach<'a>(&'a self, session_id: &'a str) -> CallBuilder<'a, SessionEventStream> {
        CallBuilder::new(move |options| async move {
            let (details, meta) = self
                .session_details(session_id, &options)
                .await?
                .into_parts();
            let started = details
                .messages
                .iter()
                .rev()
                .find(|message| message.role == Role::User)
                .map(|message| message.timestamp.clone());
            // The stream connects when first polled, after this call: its timeout, retry
            // policy and headers apply, not the call's deadline.
            let stream_options = CallOptions {
                deadline: None,
                ..options
            };
            let events = SessionEventStream::new(
                self,
                StreamTarget::Session(session_id.to_owned()),
                None,
                stream_options,
            )
            .until_turn_end();
            let events = match started {
                Some(timestamp) => events.since(&timestamp),
                None => events,
            };
            Ok(Response::new(events, meta))
        })
    }

    /// Like [`Self::events`], starting after the event `last_event_id` (the server replays
    /// its whole buffer if it no longer holds that event; the duplicates are dropped).
    pub fn events_after(&self, session_id: &str, last_event_id: &str) -> SessionEventStream {
        SessionEventStream::new(
            self,
            StreamTarget::Session(session_id.to_owned()),
            Some(last_event_id.to_owned()),
            CallOptions::default(),
        )
    }

    /// Every event of a sandbox (provisioning, state changes and all its sessions').
    pub fn sandbox_events(&self, sandbox_id: &str) -> SessionEventStream {
        SessionEventStream::new(
            self,
            StreamTarget::Sandbox(sandbox_id.to_owned()),
            None,
            CallOptions::default(),
        )
    }

    /// Sends a message and streams that turn's events, ending after its last one. The stream
    /// is connected before the message is sent, so no event is missed, and the replay of
    /// earlier turns is skipped (by timestamp: the events of this turn are stamped after the
    /// stored message). A slash command the server answers itself (`/help`) runs no turn:
    /// its stream is empty. If a turn is already running, the stream ends with that turn: the
    /// server's events do not say which message a turn answers.
    ///
    /// The call's options apply to both of its requests, the stream's connection and the
    /// message (a reconnection of the stream takes their headers only). With
    /// [`with_response`](CallBuilder::with_response), the metadata is the message's; the
    /// stream's is [`Turn::meta`].
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::sessions::SessionsClient, session_id: &str) -> Result<(), sambanova_agents::Error> {
    /// use futures_util::StreamExt;
    /// use sambanova_agents::sessions::TurnText;
    ///
    /// let mut turn = client.send_and_stream(session_id, "Summarise README.md").await?;
    /// let mut text = TurnText::new();
    /// while let Some(event) = turn.events.next().await {
    ///     text.push(&event?);
    /// }
    /// println!("{}", text.text());
    /// # Ok(()) }
    /// ```
    pub fn send_and_stream<'a>(
        &'a self,
        session_id: &'a str,
        text: &'a str,
    ) -> CallBuilder<'a, Turn> {
        CallBuilder::new(move |options| async move {
            let mut events = SessionEventStream::new(
                self,
                StreamTarget::Session(session_id.to_owned()),
                None,
                options.clone(),
            )
            .until_turn_end();
            events.connect().await?;
            let (message, meta) = self
                .post_message(session_id, text, &options)
                .await?
                .into_parts();
            if message.role == Role::User {
                events.skip_before(&message.timestamp);
            } else {
                // A slash command the server answered itself: no turn runs, no event follows.
                events.end();
            }
            Ok(Response::new(Turn { message, events }, meta))
        })
    }
}
