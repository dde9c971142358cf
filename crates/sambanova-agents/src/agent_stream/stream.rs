//! The events of one run, as a [`Stream`], with an idle watchdog.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::FusedStream;
use tokio::time::{Instant, Sleep};

use super::events::{AgentEvent, Interrupt};
use crate::Error;
use crate::sse::{DecodeError, Decoder, EventStream, StreamError};
use crate::transport::transport_error;

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

/// The events of one agent run: a `Stream<Item = Result<AgentEvent, Error>>`.
///
/// It ends after the server's last event. The errors it can yield:
/// - [`Error::Timeout`]: nothing arrived for the idle timeout (the stream then ends). The run
///   may still go on on the server; the request is never sent again, since that would start a
///   second run.
/// - [`Error::Connection`]: the connection broke (the stream then ends).
/// - [`Error::ResponseTooLarge`]: one event was larger than the limit; it is skipped and the
///   stream goes on.
/// - [`Error::Stream`]: the server ended the stream before the run completed (no `complete`
///   status, `error` or `interrupt` came).
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
    /// Dropped as soon as the stream finishes, closing the connection.
    events: Option<EventStream<Watchdog>>,
    request_id: Option<String>,
    thread_id: Option<String>,
    sandbox_id: Option<String>,
    interrupt: Option<Interrupt>,
    run_ended: bool,
    finished: bool,
    idle_timeout: Duration,
    max_duration: Duration,
}

impl AgentEventStream {
    pub(crate) fn new(
        body: Body,
        request_id: Option<String>,
        idle_timeout: Duration,
        max_duration: Duration,
        max_event_size: usize,
    ) -> Self {
        let watchdog = Watchdog {
            body,
            idle: idle_timeout,
            timer: Box::pin(tokio::time::sleep(idle_timeout)),
            fired: false,
        };
        AgentEventStream {
            events: Some(EventStream::with_decoder(
                watchdog,
                Decoder::with_max_event_size(max_event_size),
            )),
            request_id,
            thread_id: None,
            sandbox_id: None,
            interrupt: None,
            run_ended: false,
            finished: false,
            idle_timeout,
            max_duration,
        }
    }

    /// The server's `X-Request-ID` for this run.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
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

    /// Whether a `complete` status, an `error` or an `interrupt` arrived: the run is over.
    pub fn run_ended(&self) -> bool {
        self.run_ended
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
        self.run_ended |= event.is_terminal();
    }
}

impl Stream for AgentEventStream {
    type Item = Result<AgentEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(events) = this.events.as_mut() else {
            return Poll::Ready(None);
        };
        let item = match Pin::new(events).poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        let item = match item {
            Some(Ok(sse)) => {
                let event = AgentEvent::from_sse(&sse);
                this.observe(&event);
                Some(Ok(event))
            }
            Some(Err(StreamError::Decode(DecodeError::EventTooLarge { limit }))) => {
                Some(Err(Error::ResponseTooLarge {
                    limit: limit as u64,
                    request_id: this.request_id.clone(),
                }))
            }
            Some(Err(StreamError::Transport(BodyError::Idle))) => {
                this.finished = true;
                Some(Err(Error::Timeout {
                    after: this.idle_timeout,
                }))
            }
            Some(Err(StreamError::Transport(BodyError::Http(error)))) => {
                this.finished = true;
                Some(Err(transport_error(error, this.max_duration)))
            }
            None => {
                this.finished = true;
                (!this.run_ended).then(|| {
                    Err(Error::Stream {
                        message: "the server ended the stream before the run completed (no \
                                  `complete` status, error or interrupt)"
                            .to_owned(),
                    })
                })
            }
        };
        if this.finished {
            this.events = None;
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
            .field("request_id", &self.request_id)
            .field("thread_id", &self.thread_id)
            .field("sandbox_id", &self.sandbox_id)
            .field("run_ended", &self.run_ended)
            .field("finished", &self.finished)
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

/// Why the body yielded no bytes.
#[derive(Debug)]
enum BodyError {
    Http(reqwest::Error),
    /// Nothing arrived for the idle timeout.
    Idle,
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Http(error) => write!(f, "{error}"),
            BodyError::Idle => f.write_str("no data within the idle timeout"),
        }
    }
}

/// The response body, failing with [`BodyError::Idle`] once nothing (not even a keep-alive
/// comment) arrived for `idle`, then ending.
struct Watchdog {
    body: Body,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    fired: bool,
}

impl Stream for Watchdog {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.fired {
            return Poll::Ready(None);
        }
        match this.body.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                this.timer.as_mut().reset(Instant::now() + this.idle);
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(BodyError::Http(error)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.fired = true;
                    Poll::Ready(Some(Err(BodyError::Idle)))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

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
            body,
            Some("req-1".into()),
            idle,
            Duration::from_secs(60),
            1024,
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
            Some(Err(Error::Timeout { after })) if after == idle
        ));
        assert!(events.next().await.is_none());
        assert!(events.is_terminated());
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
            Some(Err(Error::Stream { .. }))
        ));
        assert!(events.next().await.is_none());
        assert_eq!(events.thread_id(), Some("t1"));
        assert_eq!(events.sandbox_id(), Some("s1"));
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
        assert!(events.run_ended());
        assert!(events.next().await.is_none());
    }
}
