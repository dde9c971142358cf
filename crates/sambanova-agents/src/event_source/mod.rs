//! One SSE connection for the three APIs: the decoder, a stall watchdog armed lazily, and
//! reconnection — never (an agent run, which must not be sent twice), or on loss with the
//! resume id (Sessions) — with backoff and jitter, every server hint capped at the maximum
//! backoff, a cap set by the caller on the reconnections in a row and on their total time,
//! and de-duplication of replayed events in bounded memory ([`replay`]).
//!
//! The typed Sessions stream, the raw reader and the agent stream are thin layers over
//! [`EventSource`]: each gives it a way to open the stream ([`Connect`]) and an
//! [`EventMap`] from a decoded event to its own item.

pub(crate) mod open;
pub(crate) mod replay;
mod settings;

pub(crate) use open::{Opened, open_event_stream};
pub(crate) use settings::StreamSettings;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{Stream, StreamExt, ready};
use tokio::time::{Instant, Sleep};

use self::replay::{OrderKey, ReplayFilter};
use crate::Error;
use crate::error::StreamContext;
use crate::retry::RetryPolicy;
use crate::sse::feed::Feed;
use crate::sse::{DecodeError, Decoder, Event};
use crate::transport::{Attempts, ResponseMeta, RetryHook, transport_error};

/// Opens the stream, asking for the events after the given id; `true` for the first
/// connection (retried like any read), `false` for a reconnection (sent once: the stream's own
/// backoff paces reconnections).
pub(crate) type Connect =
    Arc<dyn Fn(Option<String>, bool) -> BoxFuture<'static, Result<Opened, Error>> + Send + Sync>;

/// Whether a lost stream is opened again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reconnect {
    /// Never: the stream ends with the connection (an agent run is never sent twice).
    Never,
    /// After a loss, a stall or the server closing it, resuming after the last event.
    OnLoss,
}

/// A decoded event as a layer sees it (its id, for de-duplication and resuming, is read
/// from the decoded event by the connection, the same for every layer).
pub(crate) struct Mapped<T> {
    pub item: T,
    /// Where the event stands in the server's order, when the layer can tell.
    pub order: Option<OrderKey>,
    /// A wait the server asked for before the next reconnection (a `reconnect` event).
    pub reconnect_after: Option<Duration>,
}

/// What a layer turns decoded events into.
pub(crate) trait EventMap: Send + Unpin + 'static {
    type Item: Send + 'static;
    fn map(&mut self, event: Event) -> Mapped<Self::Item>;
}

/// A reconnection in progress; the state comes back with the result. In a mutex only so that
/// the stream is `Sync` (the future is not); it is reached through `&mut`, never locked.
type Reconnecting =
    std::sync::Mutex<Pin<Box<dyn Future<Output = (Result<(), Error>, Box<State>)> + Send>>>;

/// The one SSE connection (see the module docs).
pub(crate) struct EventSource<M: EventMap> {
    state: Option<Box<State>>,
    map: M,
    reconnecting: Option<Reconnecting>,
    /// When the last byte arrived (keepalive comments count).
    last_data: Instant,
    /// Fires at the stall deadline; re-armed lazily, so a busy stream pays for no timer per
    /// chunk.
    stall: Option<Pin<Box<Sleep>>>,
    stall_timeout: Duration,
    /// When the stream's time is up, and its length ([`StreamSettings::max_duration`]): the
    /// stall timer fires at it too.
    ends_at: Option<(Instant, Duration)>,
}

struct State {
    connect: Connect,
    reconnect: Reconnect,
    settings: StreamSettings,
    operation: &'static str,
    on_retry: Option<RetryHook>,
    body: Option<open::Body>,
    decoder: Decoder,
    /// The body's bytes not decoded yet, fed to the decoder slice by slice (the one feed of
    /// every SSE reader, [`crate::sse::EventStream`]'s too).
    feed: Feed<Bytes>,
    decoded: VecDeque<Result<Event, DecodeError>>,
    replay: ReplayFilter,
    /// The id of the event being admitted (reused, so that an id costs no allocation).
    event_id: String,
    context: StreamContext,
    /// What came back with the last connection's answer.
    meta: Option<ResponseMeta>,
    /// The connections lost or refused since the last new event, within the caller's caps
    /// on their number and time (`None` while the stream delivers).
    reconnects: Option<Attempts>,
    /// How reconnections are paced and capped: the stream settings' backoff and caps.
    reconnect_policy: RetryPolicy,
    last_error: Option<Error>,
    server_hint: Option<Duration>,
    connected_once: bool,
    finished: bool,
}

impl<M: EventMap> EventSource<M> {
    /// A stream that connects at its first poll (or at [`Self::connect`]).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        connect: Connect,
        map: M,
        reconnect: Reconnect,
        settings: StreamSettings,
        operation: &'static str,
        target: Option<String>,
        last_event_id: Option<String>,
        on_retry: Option<RetryHook>,
    ) -> Self {
        let decoder = Decoder::with_max_event_size(settings.max_event_size);
        let replay = ReplayFilter::new(settings.dedupe_window, last_event_id.as_deref());
        let stall_timeout = settings.stall_timeout;
        let reconnect_policy = settings.reconnect_policy();
        let ends_at = settings.max_duration.and_then(|length| {
            let at = Instant::now().checked_add(length)?;
            Some((at, length))
        });
        EventSource {
            state: Some(Box::new(State {
                connect,
                reconnect,
                settings,
                operation,
                on_retry,
                body: None,
                decoder,
                feed: Feed::new(),
                decoded: VecDeque::new(),
                replay,
                event_id: String::new(),
                context: StreamContext {
                    target,
                    last_event_id,
                    reconnects: 0,
                    request_id: None,
                },
                meta: None,
                reconnects: None,
                reconnect_policy,
                last_error: None,
                server_hint: None,
                connected_once: false,
                finished: false,
            })),
            map,
            reconnecting: None,
            last_data: Instant::now(),
            stall: None,
            stall_timeout,
            ends_at,
        }
    }

    /// A stream over a body that is already open (the agent stream's answer).
    pub(crate) fn opened(
        opened: Opened,
        map: M,
        settings: StreamSettings,
        operation: &'static str,
        target: Option<String>,
    ) -> Self {
        let connect: Connect = Arc::new(|_, _| {
            Box::pin(async { Err(Error::invalid_input("this stream cannot be opened again")) })
        });
        let mut source = EventSource::new(
            connect,
            map,
            Reconnect::Never,
            settings,
            operation,
            target,
            None,
            None,
        );
        if let Some(state) = source.state.as_mut() {
            state.connected(opened);
        }
        source
    }

    /// Connects now rather than at the first poll, so that events published from now on are
    /// not missed.
    pub(crate) async fn connect(&mut self) -> Result<(), Error> {
        if let Some(state) = self.state.as_mut()
            && state.body.is_none()
            && !state.finished
        {
            state.reconnect().await?;
            self.last_data = Instant::now();
        }
        Ok(())
    }

    /// Ends the stream (its connection is closed).
    pub(crate) fn end(&mut self) {
        if let Some(state) = self.state.as_mut() {
            state.finished = true;
            state.body = None;
            state.feed.clear();
            state.decoded.clear();
        }
        self.reconnecting = None;
    }

    /// Where the stream is: its target, last event id, reconnections and request id.
    pub(crate) fn context(&self) -> Option<&StreamContext> {
        self.state.as_ref().map(|state| &state.context)
    }

    /// What came back with the last connection's answer; `None` before the stream connected
    /// (and while it reconnects).
    pub(crate) fn meta(&self) -> Option<&ResponseMeta> {
        self.state.as_ref()?.meta.as_ref()
    }

    /// Changes the silence limit.
    pub(crate) fn set_stall_timeout(&mut self, timeout: Duration) {
        self.stall_timeout = timeout;
        if let Some(state) = self.state.as_mut() {
            state.settings.stall_timeout = timeout;
        }
    }
}

impl<M: EventMap> Stream for EventSource<M> {
    type Item = Result<M::Item, Error>;

    // A poll loop rather than one boxed future per event: events already decoded and chunks
    // already arrived are handed out without allocating; only a reconnection is an `async`
    // step.
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(reconnecting) = this.reconnecting.as_mut() {
                let reconnecting = reconnecting
                    .get_mut()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
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
            if state.finished && state.decoded.is_empty() {
                return Poll::Ready(None);
            }
            if let Some(decoded) = state.decoded.pop_front() {
                match decoded {
                    Ok(event) => {
                        state.event_id.clear();
                        state.event_id.push_str(event.id());
                        let sets_id = event.sets_id();
                        let mapped = this.map.map(event);
                        if let Some(item) = state.admit(sets_id, mapped) {
                            return Poll::Ready(Some(Ok(item)));
                        }
                    }
                    Err(DecodeError::EventTooLarge { limit }) => {
                        return Poll::Ready(Some(Err(Error::ResponseTooLarge {
                            limit: limit as u64,
                            request_id: state.context.request_id.clone(),
                            attempts: 1,
                        })));
                    }
                }
                continue;
            }
            if state.finished {
                return Poll::Ready(None);
            }
            // The next slice of what arrived, before asking the body for more: an error or
            // the end of the body comes after every byte received before it.
            if state
                .feed
                .feed_next_into_deque(&mut state.decoder, &mut state.decoded)
            {
                continue;
            }
            let Some(body) = state.body.as_mut() else {
                if let Some(state) = this.state.take() {
                    this.reconnecting =
                        Some(std::sync::Mutex::new(Box::pin(state.reconnect_owned())));
                }
                continue;
            };
            match body.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    this.last_data = Instant::now();
                    state.feed.push(chunk);
                }
                Poll::Ready(Some(Err(error))) => {
                    let error = transport_error(error, this.stall_timeout, state.operation, 1);
                    if let Some(error) = state.lost(Some(error)) {
                        return Poll::Ready(Some(Err(error)));
                    }
                }
                Poll::Ready(None) => {
                    if let Some(error) = state.lost(None) {
                        return Poll::Ready(Some(Err(error)));
                    }
                }
                Poll::Pending => {
                    let stall_at = this.last_data + this.stall_timeout;
                    let deadline = this.ends_at.map_or(stall_at, |(end, _)| end.min(stall_at));
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
                    if let Some((end, length)) = this.ends_at
                        && end <= Instant::now()
                    {
                        // Over for good: the stream's whole time is spent.
                        state.lost(None);
                        state.finished = true;
                        return Poll::Ready(Some(Err(Error::timeout(length, state.operation, 1))));
                    }
                    let stalled = Error::Stalled {
                        after: this.stall_timeout,
                        stream: state.context.clone(),
                    };
                    if let Some(error) = state.lost(Some(stalled)) {
                        return Poll::Ready(Some(Err(error)));
                    }
                }
            }
        }
    }
}

impl State {
    /// The stream reads `opened` from now on.
    fn connected(&mut self, opened: Opened) {
        self.context.request_id = opened.meta.request_id.clone();
        self.meta = Some(opened.meta);
        self.body = Some(opened.body);
        self.connected_once = true;
    }

    async fn reconnect_owned(mut self: Box<Self>) -> (Result<(), Error>, Box<Self>) {
        let result = self.reconnect().await;
        (result, self)
    }

    /// The item to hand out, or `None` for a replayed duplicate; the event's id is in
    /// `event_id`.
    fn admit<T>(&mut self, sets_id: bool, mapped: Mapped<T>) -> Option<T> {
        if !self
            .replay
            .admit(&self.event_id, sets_id, mapped.order.as_ref())
        {
            return None;
        }
        // The stream resumes from the SSE last event id, which an empty `id` field clears.
        if self.context.last_event_id.as_deref() != Some(self.event_id.as_str()) {
            self.context.last_event_id = Some(self.event_id.clone()).filter(|id| !id.is_empty());
        }
        self.reconnects = None;
        self.last_error = None;
        if mapped.reconnect_after.is_some() {
            self.server_hint = mapped.reconnect_after;
        }
        Some(mapped.item)
    }

    /// The connection is gone (`error`, or `None` when the server closed it). Answers the
    /// error to yield now, if the stream ends with it.
    fn lost(&mut self, error: Option<Error>) -> Option<Error> {
        self.body = None;
        self.feed.clear();
        let mut rest = Vec::new();
        self.decoder.finish(&mut rest);
        self.decoded.extend(rest);
        if self.reconnect == Reconnect::Never {
            self.finished = true;
            return error;
        }
        let error = error.unwrap_or_else(|| Error::Connection {
            message: "the server closed the event stream".into(),
            maybe_delivered: true,
            attempts: 1,
        });
        tracing::debug!(%error, target = ?self.context.target, "event stream lost; reconnecting");
        self.reconnects().failed();
        self.last_error = Some(error);
        None
    }

    /// The run of reconnections under way, started at the first loss since the last event.
    fn reconnects(&mut self) -> &mut Attempts {
        let (operation, settings) = (self.operation, &self.settings);
        self.reconnects
            .get_or_insert_with(|| settings.reconnects(operation))
    }

    fn give_up(&mut self) -> Error {
        let last = self.last_error.take().unwrap_or_else(|| Error::Connection {
            message: "the event stream was lost".into(),
            maybe_delivered: true,
            attempts: 1,
        });
        Error::ReconnectsExhausted {
            stream: self.context.clone(),
            last: Box::new(last),
        }
    }

    /// Connects (again), waiting first if this is a reconnection. A stream that never
    /// connected fails at once (after the transport's retries), like any call; one that was
    /// connected keeps trying, within the caps on reconnections in a row and their time.
    async fn reconnect(&mut self) -> Result<(), Error> {
        loop {
            if self.connected_once {
                let wait = self.reconnect_wait();
                let reason = self
                    .last_error
                    .as_ref()
                    .map_or_else(|| "the stream was lost".to_owned(), ToString::to_string);
                // Shared handles, cloned once per reconnection: the run borrows the state.
                let (policy, hook) = (self.reconnect_policy.clone(), self.on_retry.clone());
                let reconnects = self.reconnects();
                if !reconnects.allows(&policy, wait) {
                    return Err(self.give_up());
                }
                let event = reconnects.event(reason, wait, false);
                reconnects.pause(hook.as_ref(), event).await;
                self.context.reconnects += 1;
            }
            let resume_after = self.context.last_event_id.clone();
            match (self.connect)(resume_after, !self.connected_once).await {
                Ok(opened) => {
                    if self.connected_once {
                        self.replay.reconnected();
                    }
                    self.connected(opened);
                    return Ok(());
                }
                Err(error) if self.connected_once && reconnecting_may_help(&error) => {
                    tracing::debug!(%error, "cannot reconnect the event stream yet");
                    self.reconnects().failed();
                    self.last_error = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The wait before the next reconnection: from the server's hint (SSE `retry:`, a
    /// `reconnect` event, a 429's `Retry-After`) or the backoff, never past the maximum
    /// backoff: a hostile hint of years must not put the stream to sleep.
    fn reconnect_wait(&self) -> Duration {
        let settings = &self.settings;
        let hint = self
            .server_hint
            .or(self.decoder.reconnection_time())
            .map(|hint| hint.min(settings.max_backoff));
        let failures = self.reconnects.as_ref().map_or(1, |run| run.made().max(1));
        let policy = &self.reconnect_policy;
        let mut wait = match hint {
            Some(hint) => policy.backoff_from(hint, failures),
            None => policy.backoff(failures),
        };
        if let Some(Error::RateLimited {
            retry_after: Some(asked),
            ..
        }) = &self.last_error
        {
            wait = wait.max((*asked).min(settings.max_backoff));
        }
        wait.min(settings.max_backoff)
    }
}

/// Whether asking again can help: not after an error status (401, 404, …) or bad settings.
fn reconnecting_may_help(error: &Error) -> bool {
    match error {
        Error::Connection { .. }
        | Error::Timeout { .. }
        | Error::Stalled { .. }
        | Error::RateLimited { .. } => true,
        Error::Server(server) => server.http_status.is_server_error(),
        _ => false,
    }
}
