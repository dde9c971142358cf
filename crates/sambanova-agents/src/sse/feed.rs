//! Feeding a decoder chunk by chunk, slice by slice: the one way the crate
//! drives a [`Decoder`] from a byte stream.

use std::collections::VecDeque;
use std::mem;

use memchr::memrchr2;

use super::{DecodeError, Decoder, Event};

/// Chunks are fed to the decoder in slices of about this size, cut at line
/// ends, so that the caller consumes (and frees) the events of one slice
/// before the next slice's are made: allocators recycle memory far better
/// that way than when a whole large chunk's events are alive at once. A slice
/// that starts with a longer line runs to the end of its chunk (see
/// [`next_slice_len`]); a line left unfinished by an earlier chunk is first
/// fed up to its end.
pub(crate) const FEED_SLICE_LEN: usize = 1024;

/// The chunk being decoded and how much of it the decoder has seen.
///
/// A byte-stream adapter [`push`](Self::push)es each chunk it receives, then
/// calls [`feed_next`](Self::feed_next) (or
/// [`feed_next_into_deque`](Self::feed_next_into_deque)) whenever its queue
/// of decoded events is empty, until the feed [is empty](Self::is_empty);
/// only then does it ask the byte stream for the next chunk.
#[derive(Debug)]
pub(crate) struct Feed<B> {
    chunk: Option<B>,
    /// How many bytes of `chunk` were fed to the decoder.
    fed: usize,
}

impl<B> Feed<B> {
    pub(crate) fn new() -> Self {
        Self {
            chunk: None,
            fed: 0,
        }
    }

    /// Whether every byte pushed was fed to the decoder.
    pub(crate) fn is_empty(&self) -> bool {
        self.chunk.is_none()
    }

    /// Drops the bytes not fed yet (the connection they came from is gone).
    pub(crate) fn clear(&mut self) {
        self.chunk = None;
        self.fed = 0;
    }
}

impl<B: AsRef<[u8]>> Feed<B> {
    /// Takes the next chunk of the stream. The previous one must have been
    /// fed to the end (else its unfed bytes would be lost).
    pub(crate) fn push(&mut self, chunk: B) {
        debug_assert!(self.is_empty(), "a chunk pushed before the last was fed");
        if !chunk.as_ref().is_empty() {
            self.chunk = Some(chunk);
            self.fed = 0;
        }
    }

    /// Feeds the decoder the next slice of the chunk, appending the events
    /// it completes to `out`. Answers `false`, feeding nothing, when the feed
    /// is empty.
    pub(crate) fn feed_next(
        &mut self,
        decoder: &mut Decoder,
        out: &mut Vec<Result<Event, DecodeError>>,
    ) -> bool {
        let Some(chunk) = &self.chunk else {
            return false;
        };
        let bytes = chunk.as_ref();
        let rest = bytes.get(self.fed..).unwrap_or_default();
        // A line left open by an earlier chunk is ended first, so that the
        // slice after it starts at a line start.
        let line_end_len = if decoder.continues_line() {
            decoder.feed_to_line_end(rest, out)
        } else {
            0
        };
        let rest = &rest[line_end_len..];
        let slice_len = next_slice_len(rest);
        if slice_len > 0 {
            decoder.feed(&rest[..slice_len], out);
        }
        self.fed += line_end_len + slice_len;
        if self.fed >= bytes.len() {
            self.clear();
        }
        true
    }

    /// [`feed_next`](Self::feed_next) for a queue of events that the caller
    /// pops from the front; `queue` should be empty, so that the events come
    /// out in stream order and the conversions to and from a `Vec` move
    /// nothing and keep the queue's allocation.
    pub(crate) fn feed_next_into_deque(
        &mut self,
        decoder: &mut Decoder,
        queue: &mut VecDeque<Result<Event, DecodeError>>,
    ) -> bool {
        let mut out = Vec::from(mem::take(queue));
        let fed = self.feed_next(decoder, &mut out);
        *queue = VecDeque::from(out);
        fed
    }
}

impl<B> Default for Feed<B> {
    fn default() -> Self {
        Self::new()
    }
}

/// How much of `rest` to feed next: up to the last line end in the next
/// [`FEED_SLICE_LEN`] bytes, or all of it when a longer line starts the
/// slice (searching for that line's end here would scan its bytes twice, as
/// the decoder scans them too).
fn next_slice_len(rest: &[u8]) -> usize {
    if rest.len() <= FEED_SLICE_LEN {
        return rest.len();
    }
    memrchr2(b'\n', b'\r', &rest[..FEED_SLICE_LEN]).map_or(rest.len(), |last_end| last_end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(decoded: impl IntoIterator<Item = Result<Event, DecodeError>>) -> Vec<String> {
        decoded
            .into_iter()
            .map(|event| event.expect("a small event").into_data())
            .collect()
    }

    #[test]
    fn slices_end_at_line_ends_and_a_long_first_line_takes_the_rest() {
        let short = "data: x\n\n".repeat(FEED_SLICE_LEN);
        let bytes = short.as_bytes();
        let first = next_slice_len(bytes);
        assert!(first <= FEED_SLICE_LEN && bytes[first - 1] == b'\n');
        let long = format!("data: {}\n\n", "y".repeat(2 * FEED_SLICE_LEN));
        assert_eq!(next_slice_len(long.as_bytes()), long.len());
        assert_eq!(next_slice_len(b"data: z"), 7);
    }

    #[test]
    fn feeds_every_byte_in_order_then_is_empty() {
        let text = "data: a\n\n".repeat(1000) + "data: end";
        let mut feed = Feed::new();
        let mut decoder = Decoder::new();
        let mut queue = VecDeque::new();
        let mut decoded = Vec::new();
        assert!(!feed.feed_next_into_deque(&mut decoder, &mut queue));
        feed.push(bytes::Bytes::from(text));
        let mut slices = 0;
        while feed.feed_next_into_deque(&mut decoder, &mut queue) {
            slices += 1;
            decoded.extend(queue.drain(..));
        }
        assert!(feed.is_empty() && slices > 1);
        feed.push(bytes::Bytes::from_static(b"\n\n"));
        assert!(feed.feed_next_into_deque(&mut decoder, &mut queue));
        decoded.extend(queue.drain(..));
        let mut expected = vec!["a".to_owned(); 1000];
        expected.push("end".to_owned());
        assert_eq!(data(decoded), expected);
    }

    #[test]
    fn a_line_left_open_is_ended_first_and_the_rest_still_sliced() {
        let mut feed = Feed::new();
        let mut decoder = Decoder::new();
        let mut out = Vec::new();
        let long = "x".repeat(3 * FEED_SLICE_LEN);
        feed.push(bytes::Bytes::from(format!("data: {long}")));
        assert!(feed.feed_next(&mut decoder, &mut out) && feed.is_empty());
        assert!(out.is_empty() && decoder.continues_line());
        let small = "data: a\n\n".repeat(FEED_SLICE_LEN);
        let end_of_long = "y".repeat(2 * FEED_SLICE_LEN);
        feed.push(bytes::Bytes::from(format!("{end_of_long}\r\n\r\n{small}")));
        assert!(feed.feed_next(&mut decoder, &mut out));
        // The long event, then one slice of small ones, not the whole chunk.
        assert!(!feed.is_empty() && out.len() > 1 && out.len() <= FEED_SLICE_LEN / 9 + 1);
        while feed.feed_next(&mut decoder, &mut out) {}
        let decoded = data(out);
        assert_eq!(decoded.len(), 1 + FEED_SLICE_LEN);
        assert_eq!(decoded[0], long + &end_of_long);
        assert!(decoded[1..].iter().all(|data| data == "a"));
    }

    #[test]
    fn an_empty_chunk_leaves_the_feed_empty() {
        let mut feed = Feed::new();
        feed.push(&b""[..]);
        assert!(feed.is_empty());
        let mut out = Vec::new();
        assert!(!feed.feed_next(&mut Decoder::new(), &mut out));
        feed.push(&b"data: a\n\n"[..]);
        feed.clear();
        assert!(feed.is_empty());
    }
}
