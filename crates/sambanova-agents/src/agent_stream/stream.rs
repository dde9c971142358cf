//! The events of one run: a thin layer over the one [`EventSource`], which never reconnects
//! (sending the run again would start a second one), typing each event and keeping what a
//! follow-up request needs.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::FusedStream;
use futures_util::{Stream, StreamExt};

use super::events::{AgentEvent, Interrupt};
use super::text::TurnText;
use crate::Error;
use crate::event_source::{EventMap, EventSource, Mapped, Opened, StreamSettings};
use crate::sse::Event;
use crate::transport::{Deadline, ResponseMeta};

/// Types each decoded event.
struct Typed;

impl EventMap for Typed {
    type Item = AgentEvent;

    fn map(&mut self, event: Event) -> Mapped<AgentEvent> {
        Mapped {
            item: AgentEvent::from_sse(&event),
            order: None,
            reconnect_after: None,
        }
    }
}

/// Where a run stood when [`AgentEventStream::wait`] returned.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RunWait {
    /// The run ended: its text.
    Ended {
        /// The run's text ([`TurnText`]).
        text: String,
    },
    /// The run stopped on an interrupt: answer it with
    /// [`AgentRequest::answer`](crate::agent_stream::AgentRequest::answer), from this process
    /// or another (it serialises).
    Paused(Interrupt),
}

/// The events of one agent run: a `Stream<Item = Result<AgentEvent, Error>>`.
///
/// It ends after the server's last event. The errors it can yield:
/// - [`Error::Stalled`]: nothing arrived for the silence limit (the stream then ends). The
///   run may still go on on the server; the request is never sent again, since that would
///   start a second run.
/// - [`Error::Connection`]: the connection broke (the stream then ends).
/// - [`Error::ResponseTooLarge`]: one event was larger than the limit; it is skipped and the
///   stream goes on.
/// - [`Error::StreamEnded`]: the server ended an agent stream before the run completed (no
///   `complete` status, `error` or `interrupt` came).
///
/// It also keeps what a follow-up request needs: [`Self::thread_id`], [`Self::sandbox_id`],
/// [`Self::interrupt`].
///
/// ```no_run
/// # async fn demo(client: sambanova_agents::agent_stream::AgentStreamClient) -> Result<(), sambanova_agents::Error> {
/// use futures_util::StreamExt;
/// use sambanova_agents::agent_stream::{AgentEvent, AgentRequest};
///
/// let mut events = client.stream(&AgentRequest::new("Create hello.py")).await?;
/// while let Some(event) = events.next().await {
///     if let AgentEvent::Message(chunk) = event? {
///         print!("{}", chunk.content);
///     }
/// }
/// let follow_up = AgentRequest::new("Run it").thread_id(events.thread_id().unwrap_or_default());
/// # let _ = follow_up;
/// # Ok(()) }
/// ```
pub struct AgentEventStream {
    source: EventSource<Typed>,
    thread_id: Option<String>,
    sandbox_id: Option<String>,
    interrupt: Option<Interrupt>,
    turn_ended: bool,
    /// The chat stream has no terminal event: the end of its body ends the turn.
    ends_with_body: bool,
    finished: bool,
}

impl AgentEventStream {
    pub(crate) fn new(opened: Opened, settings: StreamSettings, ends_with_body: bool) -> Self {
        AgentEventStream {
            source: EventSource::opened(
                opened,
                Typed,
                settings,
                "agent_stream",
                Some("agent run".into()),
            ),
            thread_id: None,
            sandbox_id: None,
            interrupt: None,
            turn_ended: false,
            ends_with_body,
            finished: false,
        }
    }

    /// The server's `X-Request-ID` for this run.
    pub fn request_id(&self) -> Option<&str> {
        self.source.context()?.request_id.as_deref()
    }

    /// What came back with the run's answer: its status, headers, request id and attempts.
    /// Always there for a stream the client opened.
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::agent_stream::AgentStreamClient) -> Result<(), sambanova_agents::Error> {
    /// use sambanova_agents::agent_stream::AgentRequest;
    ///
    /// let events = client.stream(&AgentRequest::new("Create hello.py")).await?;
    /// if let Some(meta) = events.meta() {
    ///     println!("{} after {} attempt(s)", meta.status(), meta.attempts());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn meta(&self) -> Option<&ResponseMeta> {
        self.source.meta()
    }

    /// The thread the events named last: send it with the next request to continue the
    /// conversation.
    pub fn thread_id(&self) -> Option<&str> {
        self.thread_id.as_deref()
    }

    /// The sandbox the run used (from `sandbox_ready` or `complete`).
    pub fn sandbox_id(&self) -> Option<&str> {
        self.sandbox_id.as_deref()
    }

    /// The interrupt the run stopped on, if it did: answer it with
    /// [`AgentRequest::answer`](crate::agent_stream::AgentRequest::answer).
    pub fn interrupt(&self) -> Option<&Interrupt> {
        self.interrupt.as_ref()
    }

    /// Whether the turn is over: a `complete` status, an `error`, an `interrupt` or the
    /// model's stop arrived ([`AgentEvent::is_turn_end`]), or a chat stream's body ended (the
    /// chat stream has no terminal event).
    pub fn turn_ended(&self) -> bool {
        self.turn_ended
    }

    /// Follows the run until it ends or stops on an interrupt, at the latest until `deadline`:
    /// then [`Error::Timeout`] (the run may still go on on the server; it is never sent
    /// again). An error event or a broken stream is an error, as when reading the events.
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::agent_stream::AgentStreamClient) -> Result<(), sambanova_agents::Error> {
    /// use std::time::{Duration, Instant};
    /// use sambanova_agents::agent_stream::{AgentRequest, RunWait};
    ///
    /// let mut run = client.stream(&AgentRequest::new("Create hello.py")).await?;
    /// match run.wait(Instant::now() + Duration::from_secs(600)).await? {
    ///     RunWait::Ended { text } => println!("{text}"),
    ///     RunWait::Paused(interrupt) => println!("{}", serde_json::to_string(&interrupt).unwrap()),
    ///     _ => {}
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait(&mut self, deadline: std::time::Instant) -> Result<RunWait, Error> {
        let follow = async {
            let mut text = TurnText::new();
            while let Some(event) = self.next().await {
                text.push(&event?);
            }
            Ok(match self.interrupt.clone() {
                Some(interrupt) => RunWait::Paused(interrupt),
                None => RunWait::Ended {
                    text: text.text().to_owned(),
                },
            })
        };
        Deadline::at_instant(deadline).bound("wait", follow).await
    }

    fn observe(&mut self, event: &AgentEvent) {
        if let Some(id) = event.thread_id() {
            self.thread_id = Some(id.to_owned());
        }
        match event {
            AgentEvent::Status(status) => {
                if let Some(id) = &status.sandbox_id {
                    self.sandbox_id = Some(id.clone());
                }
            }
            AgentEvent::Interrupt(interrupt) => self.interrupt = Some(interrupt.clone()),
            _ => {}
        }
        self.turn_ended |= event.is_turn_end();
    }
}

impl Stream for AgentEventStream {
    type Item = Result<AgentEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.finished {
            return Poll::Ready(None);
        }
        let item = match futures_util::ready!(this.source.poll_next_unpin(cx)) {
            Some(Ok(event)) => {
                this.observe(&event);
                Some(Ok(event))
            }
            Some(Err(error @ Error::ResponseTooLarge { .. })) => Some(Err(error)),
            Some(Err(error)) => {
                this.finished = true;
                Some(Err(error))
            }
            None => {
                this.finished = true;
                this.turn_ended |= this.ends_with_body;
                (!this.turn_ended).then(|| {
                    Err(Error::StreamEnded {
                        stream: this.source.context().cloned().unwrap_or_default(),
                    })
                })
            }
        };
        if this.finished {
            this.source.end();
        }
        Poll::Ready(item)
    }
}

impl FusedStream for AgentEventStream {
    fn is_terminated(&self) -> bool {
        self.finished
    }
}

impl fmt::Debug for AgentEventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgentEventStream")
            .field("stream", &self.source.context())
            .field("thread_id", &self.thread_id)
            .field("sandbox_id", &self.sandbox_id)
            .field("turn_ended", &self.turn_ended)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;
    use crate::event_source::open::Body;

    fn body(chunks: Vec<&'static str>, then_stall: bool) -> Body {
        let items = futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, reqwest::Error>(Bytes::from_static(c.as_bytes()))),
        );
        if then_stall {
            Box::pin(items.chain(futures_util::stream::pending()))
        } else {
            Box::pin(items)
        }
    }

    fn open(body: Body) -> AgentEventStream {
        open_with_idle(body, Duration::from_secs(5))
    }

    fn open_with_idle(body: Body, idle: Duration) -> AgentEventStream {
        AgentEventStream::new(
            Opened {
                body,
                meta: ResponseMeta::detached(
                    reqwest::StatusCode::OK,
                    Some("text/event-stream"),
                    Some("req-1"),
                ),
            },
            StreamSettings {
                stall_timeout: idle,
                max_event_size: 1024,
                ..StreamSettings::default()
            },
            false,
        )
    }

    #[tokio::test]
    async fn a_silent_stream_times_out_once_then_ends() {
        let idle = Duration::from_millis(50);
        let mut events = open_with_idle(
            body(
                vec!["event: status\ndata: {\"type\":\"processing\"}\n\n"],
                true,
            ),
            idle,
        );
        assert!(matches!(
            events.next().await,
            Some(Ok(AgentEvent::Status(_)))
        ));
        assert!(matches!(
            events.next().await,
            Some(Err(Error::Stalled { after, .. })) if after == idle
        ));
        assert!(events.next().await.is_none());
        assert!(events.is_terminated());
    }

    /// The run's whole time (`max_duration`) ends a stream that is not silent for long
    /// enough to stall: a timeout naming that time, then the end.
    #[tokio::test]
    async fn a_run_past_its_longest_time_ends_with_a_timeout() {
        let longest = Duration::from_millis(20);
        let mut events = AgentEventStream::new(
            Opened {
                body: body(
                    vec!["event: status\ndata: {\"type\":\"processing\"}\n\n"],
                    true,
                ),
                meta: ResponseMeta::detached(reqwest::StatusCode::OK, None, None),
            },
            StreamSettings {
                stall_timeout: Duration::from_secs(3600),
                max_duration: Some(longest),
                ..StreamSettings::default()
            },
            false,
        );
        assert!(matches!(
            events.next().await,
            Some(Ok(AgentEvent::Status(_)))
        ));
        assert!(matches!(
            events.next().await,
            Some(Err(Error::Timeout { after, .. })) if after == longest
        ));
        assert!(events.next().await.is_none());
    }

    #[tokio::test]
    async fn an_early_end_is_an_error_and_ids_are_kept() {
        let mut events = open(body(
            vec![
                "event: message\ndata: {\"type\":\"chunk\",\"content\":\"a\",\"thread_id\":\"t1\"}\n\n",
                "event: status\ndata: {\"type\":\"sandbox_ready\",\"sandbox_id\":\"s1\"}\n\n",
            ],
            false,
        ));
        assert!(matches!(events.next().await, Some(Ok(_))));
        assert!(matches!(events.next().await, Some(Ok(_))));
        assert!(matches!(
            events.next().await,
            Some(Err(Error::StreamEnded { .. }))
        ));
        assert!(events.next().await.is_none());
        assert_eq!(events.thread_id(), Some("t1"));
        assert_eq!(events.sandbox_id(), Some("s1"));
    }

    #[tokio::test]
    async fn a_chat_turn_ends_with_its_body_and_an_agent_run_does_not() {
        let chunks = vec!["event: tool_result\ndata: {\"thread_id\":\"t\",\"content\":\"4\"}\n\n"];
        for chat in [true, false] {
            let mut events = AgentEventStream::new(
                Opened {
                    body: body(chunks.clone(), false),
                    meta: ResponseMeta::detached(reqwest::StatusCode::OK, None, None),
                },
                StreamSettings::default(),
                chat,
            );
            assert!(matches!(events.next().await, Some(Ok(_))));
            let last = events.next().await;
            if chat {
                assert!(last.is_none(), "{last:?}");
            } else {
                assert!(
                    matches!(last, Some(Err(Error::StreamEnded { .. }))),
                    "{last:?}"
                );
            }
            assert_eq!(events.turn_ended(), chat);
            assert!(events.next().await.is_none());
        }
    }

    #[tokio::test]
    async fn an_oversized_event_is_skipped_with_an_error() {
        let big: &'static str =
            Box::leak(format!("data: {}\n\n", "x".repeat(2048)).into_boxed_str());
        let mut events = open(body(
            vec![big, "event: status\ndata: {\"type\":\"complete\"}\n\n"],
            false,
        ));
        assert!(matches!(
            events.next().await,
            Some(Err(Error::ResponseTooLarge { limit: 1024, .. }))
        ));
        assert!(matches!(
            events.next().await,
            Some(Ok(AgentEvent::Status(_)))
        ));
        assert!(events.turn_ended());
        assert!(events.next().await.is_none());
    }
}
