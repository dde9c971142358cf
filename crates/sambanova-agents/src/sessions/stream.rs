//! The session event stream: resumes after a dropped or stalled connection, drops the
//! duplicates the server's replay produces, and can end with the turn.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Stream, StreamExt, ready};
use sambanova_agents_raw::ByteStream;
use tokio::time::{Instant, Sleep};

use super::client::SessionsClient;
use super::events::{EventKind, SessionEvent};
use crate::Error;
use crate::retry::RetryPolicy;
use crate::sse::{DecodeError, Decoder, Event};
use crate::transport::transport_error;

/// How a client's event streams behave (set on [`super::SessionsClientBuilder`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamSettings {
    pub stall_timeout: Duration,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub max_reconnects: Option<u32>,
    pub dedupe_window: usize,
    pub max_event_size: usize,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            // Three of the server's 15 s keepalive periods.
            stall_timeout: Duration::from_secs(45),
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            max_reconnects: Some(10),
            dedupe_window: 8192,
            max_event_size: Decoder::DEFAULT_MAX_EVENT_SIZE,
        }
    }
}

impl StreamSettings {
    /// The wait before reconnection attempt `attempt` (1-based): from the server's hint
    /// (SSE `retry:` or a `reconnect` event) if it gave one, doubling, with jitter.
    pub(crate) fn backoff(&self, attempt: u32, server_hint: Option<Duration>) -> Duration {
        let initial = server_hint.unwrap_or(self.initial_backoff);
        RetryPolicy::default()
            .initial_backoff(initial)
            .max_backoff(self.max_backoff.max(initial))
            .backoff(attempt)
    }
}

/// What a stream follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StreamTarget {
    Session(String),
    Sandbox(String),
}

/// A reconnection in progress; the state comes back with the result.
type Reconnecting = Pin<Box<dyn Future<Output = (Result<(), Error>, Box<State>)> + Send>>;

/// A live stream of [`SessionEvent`]s, as a [`futures_util::Stream`].
///
/// - **Resumes**: after the server closes it, the connection drops, or no byte arrives for
///   the stall timeout (keepalive comments count), it reconnects with exponential backoff
///   (with jitter, honouring the server's SSE `retry:`), asking for the events after the last
///   one seen (`?last_event_id=` and the `Last-Event-ID` header).
/// - **Once each**: the server replays its buffer on every connection; events already seen
///   (by id, within a bounded window) are dropped, so each event arrives once, in order.
/// - **Ends** when dropped, after a turn's end with [`Self::until_turn_end`], or with an
///   error reconnecting cannot fix (404, 401, …, or too many failed reconnections in a row).
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
    state: Option<Box<State>>,
    reconnecting: Option<Reconnecting>,
    until_turn_end: bool,
    stall_timeout: Duration,
    /// When the last byte arrived (keepalive comments count).
    last_data: Instant,
    /// Fires at the stall deadline; re-armed lazily, so a busy stream pays for no timer
    /// per chunk.
    stall: Option<Pin<Box<Sleep>>>,
}

impl fmt::Debug for SessionEventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("SessionEventStream");
        if let Some(state) = &self.state {
            debug
                .field("target", &state.target)
                .field("last_event_id", &state.last_event_id)
                .field("reconnects", &state.reconnects);
        }
        debug
            .field("until_turn_end", &self.until_turn_end)
            .field("stall_timeout", &self.stall_timeout)
            .finish_non_exhaustive()
    }
}

impl SessionEventStream {
    pub(crate) fn new(
        client: SessionsClient,
        target: StreamTarget,
        last_event_id: Option<String>,
    ) -> Self {
        let settings = client.stream_settings().clone();
        let stall_timeout = settings.stall_timeout;
        let decoder = Decoder::with_max_event_size(settings.max_event_size);
        let mut seen = RecentIds::new(settings.dedupe_window);
        if let Some(id) = &last_event_id {
            seen.insert(id);
        }
        SessionEventStream {
            state: Some(Box::new(State {
                client,
                target,
                settings,
                body: None,
                decoder,
                decoded: VecDeque::new(),
                scratch: Vec::new(),
                last_event_id,
                seen,
                failures: 0,
                last_error: None,
                skip_before: None,
                server_hint: None,
                connected_once: false,
                reconnects: 0,
                finished: false,
            })),
            reconnecting: None,
            until_turn_end: false,
            stall_timeout,
            last_data: Instant::now(),
            stall: None,
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
    /// as a [`Message`](super::Message)'s): the server replays its buffer, earlier turns
    /// included, on every new connection. A timestamp that does not parse skips nothing.
    pub fn since(mut self, timestamp: &str) -> Self {
        self.skip_before(timestamp);
        self
    }

    /// How long this stream may go without a byte before it reconnects (default: the
    /// client's [`stall_timeout`](super::SessionsClientBuilder::stall_timeout)).
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.stall_timeout = timeout;
        self
    }

    /// The id of the last event seen (to resume later with
    /// [`SessionsClient::events_after`]); `None` before the first, or while reconnecting.
    pub fn last_event_id(&self) -> Option<&str> {
        self.state.as_ref()?.last_event_id.as_deref()
    }

    /// How many times the stream reconnected so far (0 while reconnecting).
    pub fn reconnects(&self) -> u64 {
        self.state.as_ref().map_or(0, |state| state.reconnects)
    }

    /// Connects now rather than at the first poll, so that events published from now on
    /// are not missed.
    pub(crate) async fn connect(&mut self) -> Result<(), Error> {
        if let Some(state) = self.state.as_mut()
            && state.body.is_none()
        {
            state.reconnect().await?;
        }
        Ok(())
    }

    /// Ends the stream before its first event.
    pub(crate) fn end(&mut self) {
        if let Some(state) = self.state.as_mut() {
            state.finished = true;
            state.body = None;
        }
    }

    /// Skips the events stamped before `timestamp` (the replay of earlier turns).
    pub(crate) fn skip_before(&mut self, timestamp: &str) {
        if let Some(state) = self.state.as_mut() {
            state.skip_before = TimeKey::parse(timestamp);
        }
    }
}

impl Stream for SessionEventStream {
    type Item = Result<SessionEvent, Error>;

    // Written as a poll loop rather than one boxed future per event: events already decoded
    // and chunks already arrived are handed out without allocating; only a reconnection is
    // an `async` step.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(reconnecting) = this.reconnecting.as_mut() {
                let (result, mut state) = ready!(reconnecting.as_mut().poll(cx));
                this.reconnecting = None;
                this.last_data = Instant::now();
                this.stall = None;
                if let Err(error) = result {
                    state.finished = true;
                    this.state = Some(state);
                    return Poll::Ready(Some(Err(error)));
                }
                this.state = Some(state);
            }
            let Some(state) = this.state.as_mut() else {
                return Poll::Ready(None);
            };
            if state.finished {
                return Poll::Ready(None);
            }
            if let Some(decoded) = state.decoded.pop_front() {
                if let Some(event) = state.accept(decoded) {
                    if this.until_turn_end && event.is_turn_end() {
                        state.finished = true;
                        state.body = None;
                    }
                    return Poll::Ready(Some(Ok(event)));
                }
                continue;
            }
            let Some(body) = state.body.as_mut() else {
                if let Some(state) = this.state.take() {
                    this.reconnecting = Some(Box::pin(state.reconnect_owned()));
                }
                continue;
            };
            match body.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    this.last_data = Instant::now();
                    state.feed(&chunk);
                }
                Poll::Ready(Some(Err(error))) => {
                    state.lost(transport_error(error, this.stall_timeout));
                }
                Poll::Ready(None) => state.lost(Error::Connection {
                    message: "the server closed the event stream".into(),
                    maybe_delivered: true,
                }),
                Poll::Pending => {
                    let deadline = this.last_data + this.stall_timeout;
                    let stall = this
                        .stall
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                    ready!(stall.as_mut().poll(cx));
                    if deadline > Instant::now() {
                        // Data came after the timer was set: wait for the new deadline.
                        stall.as_mut().reset(deadline);
                        continue;
                    }
                    this.stall = None;
                    state.lost(Error::Stream {
                        message: format!("no data for {:?}", this.stall_timeout),
                    });
                }
            }
        }
    }
}

struct State {
    client: SessionsClient,
    target: StreamTarget,
    settings: StreamSettings,
    body: Option<ByteStream>,
    decoder: Decoder,
    decoded: VecDeque<Result<Event, DecodeError>>,
    /// Reused for every chunk's decoded events.
    scratch: Vec<Result<Event, DecodeError>>,
    last_event_id: Option<String>,
    seen: RecentIds,
    /// Connections lost or refused since the last new event.
    failures: u32,
    last_error: Option<Error>,
    skip_before: Option<TimeKey>,
    /// The delay a `reconnect` event asked for.
    server_hint: Option<Duration>,
    connected_once: bool,
    reconnects: u64,
    finished: bool,
}

impl State {
    async fn reconnect_owned(mut self: Box<Self>) -> (Result<(), Error>, Box<Self>) {
        let result = self.reconnect().await;
        (result, self)
    }

    fn feed(&mut self, chunk: &[u8]) {
        let mut out = std::mem::take(&mut self.scratch);
        self.decoder.feed(chunk, &mut out);
        self.decoded.extend(out.drain(..));
        self.scratch = out;
    }

    /// An event to hand out, or `None` for a duplicate or a skipped one.
    fn accept(&mut self, decoded: Result<Event, DecodeError>) -> Option<SessionEvent> {
        let raw = match decoded {
            Ok(raw) => raw,
            Err(error) => {
                tracing::warn!(%error, "skipped an event of the session stream");
                return None;
            }
        };
        let event = SessionEvent::from_sse(&raw);
        if !event.id.is_empty() {
            if !self.seen.insert(&event.id) {
                return None;
            }
            self.last_event_id = Some(event.id.clone());
        }
        self.failures = 0;
        self.last_error = None;
        if let EventKind::Reconnect(reconnect) = &event.kind {
            self.server_hint = reconnect.after_ms.map(Duration::from_millis);
        }
        if let Some(cutoff) = &self.skip_before {
            match event.timestamp.as_deref().and_then(TimeKey::parse) {
                Some(stamp) if stamp < *cutoff => return None,
                // Events come in order: from the first one at or after the cutoff on,
                // none is older.
                _ => self.skip_before = None,
            }
        }
        Some(event)
    }

    fn lost(&mut self, error: Error) {
        tracing::debug!(%error, target = ?self.target, "session stream lost; reconnecting");
        self.body = None;
        let mut rest = Vec::new();
        self.decoder.finish(&mut rest);
        self.decoded.extend(rest);
        self.failures = self.failures.saturating_add(1);
        self.last_error = Some(error);
    }

    /// Connects (again), waiting first if this is a reconnection. A stream that never
    /// connected fails at once (after the transport's retries), like any call; one that was
    /// connected keeps trying, up to the limit of reconnections in a row.
    async fn reconnect(&mut self) -> Result<(), Error> {
        loop {
            if self.connected_once {
                if let Some(max) = self.settings.max_reconnects
                    && self.failures > max
                {
                    return Err(self.last_error.take().unwrap_or_else(|| Error::Stream {
                        message: format!("gave up after {max} reconnections in a row"),
                    }));
                }
                let hint = self.server_hint.or(self.decoder.reconnection_time());
                let mut wait = self.settings.backoff(self.failures.max(1), hint);
                if let Some(Error::RateLimited {
                    retry_after: Some(asked),
                    ..
                }) = &self.last_error
                {
                    wait = wait.max(*asked);
                }
                tokio::time::sleep(wait).await;
                self.reconnects += 1;
            }
            match self
                .client
                .open_stream(
                    &self.target,
                    self.last_event_id.as_deref(),
                    !self.connected_once,
                )
                .await
            {
                Ok(body) => {
                    self.body = Some(body);
                    self.connected_once = true;
                    return Ok(());
                }
                Err(error) if self.connected_once && reconnecting_may_help(&error) => {
                    tracing::debug!(%error, "cannot reconnect the session stream yet");
                    self.failures = self.failures.saturating_add(1);
                    self.last_error = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
    }
}

fn reconnecting_may_help(error: &Error) -> bool {
    match error {
        Error::Connection { .. }
        | Error::Timeout { .. }
        | Error::Stream { .. }
        | Error::RateLimited { .. } => true,
        Error::Server(server) => server.http_status.is_server_error(),
        _ => false,
    }
}

/// The last `capacity` ids seen, to drop replayed events in bounded memory.
struct RecentIds {
    set: HashSet<Arc<str>>,
    order: VecDeque<Arc<str>>,
    capacity: usize,
}

impl RecentIds {
    fn new(capacity: usize) -> Self {
        RecentIds {
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Whether `id` is new (it is remembered from now on).
    fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() >= self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        let id: Arc<str> = Arc::from(id);
        self.set.insert(id.clone());
        self.order.push_back(id);
        true
    }
}

/// An RFC 3339 UTC timestamp, comparable whatever its number of fraction digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TimeKey {
    seconds: String,
    nanos: u32,
}

impl TimeKey {
    fn parse(text: &str) -> Option<TimeKey> {
        let text = text
            .strip_suffix('Z')
            .or_else(|| text.strip_suffix("+00:00"))?;
        let (seconds, fraction) = text.split_once('.').unwrap_or((text, ""));
        if seconds.len() != 19
            || fraction.len() > 9
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let nanos = format!("{fraction:0<9}").parse().ok()?;
        Some(TimeKey {
            seconds: seconds.to_owned(),
            nanos,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_compare_whatever_their_precision() {
        let a = TimeKey::parse("2026-11-22T12:22:11.5Z").unwrap();
        let b = TimeKey::parse("2026-11-22T12:22:11.458468676Z").unwrap();
        let c = TimeKey::parse("2026-11-22T12:22:12Z").unwrap();
        assert!(b < a && a < c);
        assert!(TimeKey::parse("yesterday").is_none());
    }

    #[test]
    fn recent_ids_forget_the_oldest() {
        let mut ids = RecentIds::new(2);
        assert!(ids.insert("a") && ids.insert("b"));
        assert!(!ids.insert("a"));
        assert!(ids.insert("c"));
        assert!(ids.insert("a"), "a fell out of the window");
        assert!(!ids.insert("c"));
    }

    #[test]
    fn backoff_starts_from_the_server_hint() {
        let settings = StreamSettings::default();
        let wait = settings.backoff(1, Some(Duration::from_secs(4)));
        assert!(wait >= Duration::from_secs(2) && wait <= Duration::from_secs(4));
    }
}
