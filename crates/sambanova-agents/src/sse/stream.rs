//! The [`Stream`] adapter over a byte stream.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::feed::Feed;
use super::{DecodeError, Decoder, Event};
use futures_util::Stream;
use futures_util::stream::{FusedStream, TryStream};

/// Why an [`EventStream`] yielded an error instead of an event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError<E> {
    /// The bytes could not be decoded into an event; later events are still
    /// decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The underlying byte stream failed; its error is the source.
    #[error("reading the event stream failed")]
    Transport(#[source] E),
}

/// Decodes a stream of byte chunks (`Result<B, E>` items with `B: AsRef<[u8]>`,
/// such as `reqwest::Response::bytes_stream()`) into server-sent [`Event`]s.
///
/// Decode and transport errors are yielded as items and the stream goes on: a
/// [`DecodeError`] only affects its own event, and after a transport error the
/// next poll asks the byte stream again (most end right after an error). When
/// the byte stream ends, an unfinished event is discarded and the stream ends.
///
/// ```
/// use futures::{StreamExt, executor::block_on, stream};
/// use sambanova_agents::sse::EventStream;
///
/// let chunks = stream::iter([
///     Ok::<_, std::io::Error>(&b"event: text_delta\ndata: Hel"[..]),
///     Ok(&b"lo\n\n"[..]),
/// ]);
/// let events: Vec<_> = block_on(EventStream::new(chunks).collect());
/// let event = events[0].as_ref().expect("a valid event");
/// assert_eq!((event.event_type(), event.data()), ("text_delta", "Hello"));
/// ```
pub struct EventStream<S: TryStream> {
    // Boxed so that the adapter is `Unpin` whatever the byte stream is.
    bytes: Pin<Box<S>>,
    decoder: Decoder,
    /// The chunk being decoded, fed to the decoder slice by slice.
    feed: Feed<S::Ok>,
    /// What the decoder made of the last slice fed, handed out from the
    /// front; reused to avoid an allocation per slice.
    ready: VecDeque<Result<Event, DecodeError>>,
    bytes_ended: bool,
}

impl<S: TryStream> EventStream<S> {
    /// Decodes `bytes` with a [default](Decoder::new) decoder.
    pub fn new(bytes: S) -> Self {
        Self::with_decoder(bytes, Decoder::new())
    }

    /// Decodes `bytes` with `decoder`, e.g. one with another size limit or the
    /// one left by a previous connection (after [`Decoder::finish`]), to keep
    /// its last event id.
    pub fn with_decoder(bytes: S, decoder: Decoder) -> Self {
        Self {
            bytes: Box::pin(bytes),
            decoder,
            feed: Feed::new(),
            ready: VecDeque::new(),
            bytes_ended: false,
        }
    }

    /// The decoder, for its [last event id](Decoder::last_event_id),
    /// [reconnection time](Decoder::reconnection_time) and
    /// [comment count](Decoder::comments_seen).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Gives the decoder back, to resume with it on a new connection.
    pub fn into_decoder(self) -> Decoder {
        self.decoder
    }
}

// No field is ever pinned (the byte stream is boxed, chunks are plain values),
// so the adapter can move freely whatever its type parameters.
impl<S: TryStream> Unpin for EventStream<S> {}

impl<S> Stream for EventStream<S>
where
    S: TryStream,
    S::Ok: AsRef<[u8]>,
{
    type Item = Result<Event, StreamError<S::Error>>;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // Most polls find an event decoded already: that path stays small,
        // and the loop that feeds the decoder is out of line.
        match this.ready.pop_front() {
            Some(decoded) => Poll::Ready(Some(decoded.map_err(StreamError::Decode))),
            None => this.poll_decode(cx),
        }
    }
}

impl<S> EventStream<S>
where
    S: TryStream,
    S::Ok: AsRef<[u8]>,
{
    /// Feeds the decoder until it has an event for the caller or the byte
    /// stream has nothing more to give now.
    #[inline(never)]
    fn poll_decode(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Event, StreamError<S::Error>>>> {
        let this = self;
        loop {
            if let Some(decoded) = this.ready.pop_front() {
                return Poll::Ready(Some(decoded.map_err(StreamError::Decode)));
            }
            if this
                .feed
                .feed_next_into_deque(&mut this.decoder, &mut this.ready)
            {
                continue;
            }
            if this.bytes_ended {
                return Poll::Ready(None);
            }
            match ready!(this.bytes.as_mut().try_poll_next(cx)) {
                Some(Ok(chunk)) => this.feed.push(chunk),
                Some(Err(error)) => {
                    return Poll::Ready(Some(Err(StreamError::Transport(error))));
                }
                None => {
                    let mut out = Vec::from(std::mem::take(&mut this.ready));
                    this.decoder.finish(&mut out);
                    this.ready = VecDeque::from(out);
                    this.bytes_ended = true;
                }
            }
        }
    }
}

impl<S> FusedStream for EventStream<S>
where
    S: TryStream,
    S::Ok: AsRef<[u8]>,
{
    fn is_terminated(&self) -> bool {
        self.bytes_ended && self.ready.is_empty()
    }
}

impl<S: TryStream> fmt::Debug for EventStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("decoder", &self.decoder)
            .field("ready_events", &self.ready.len())
            .field("bytes_ended", &self.bytes_ended)
            .finish_non_exhaustive()
    }
}
