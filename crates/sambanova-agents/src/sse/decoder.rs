//! The incremental byte-level decoder.

use std::fmt;
use std::mem;
use std::time::Duration;

use memchr::{memchr, memchr2_iter};

use super::{DecodeError, Event};

/// The UTF-8 encoding of U+FEFF, which the UTF-8 decode step removes once at the
/// very start of a stream.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Data at least this long is handed over to the event as is (the buffer is
/// given away) rather than copied out, so large tool results cost no copy.
const HAND_OVER_DATA_LEN: usize = 16 * 1024;

/// Buffers grown past this by an unusually long line or event are released
/// afterwards instead of being kept for the rest of the stream.
const RETAINED_CAPACITY: usize = 256 * 1024;

/// An incremental `text/event-stream` decoder.
///
/// Feed it the body's bytes in chunks of any size, split anywhere (even inside
/// a line end or a multi-byte character); it appends every event completed by
/// the chunk to a caller-owned `Vec`, so a long-lived stream allocates nothing
/// per chunk. Decoding follows the WHATWG HTML
/// [event stream interpretation][spec] rules:
///
/// - lines end with CR, LF or CRLF; a CR ends its line at once, and an LF
///   right after it (even in the next chunk) is skipped;
/// - a UTF-8 byte-order mark is removed at the start of the stream only;
/// - a line starting with `:` is a comment (counted by
///   [`comments_seen`](Self::comments_seen), handy for keep-alive watchdogs);
/// - `name: value` lines set fields (one space after the colon is removed; a
///   line without a colon is a field name with an empty value): `data` values
///   are joined with LF, `event` sets the event type (`message` when empty),
///   `id` sets the last event id unless it contains NUL, `retry` sets the
///   reconnection time if it is only ASCII digits; other fields are ignored;
/// - a blank line dispatches the event, unless it has no data (which still
///   makes its `id` the last event id);
/// - bytes that are not valid UTF-8 become U+FFFD and decoding goes on.
///
/// Memory is bounded: an event (its data so far plus the current line) larger
/// than the limit is reported once as [`DecodeError::EventTooLarge`] and
/// skipped up to the next blank line. The `id` and `retry` fields read before
/// the limit was crossed keep their effect; the skipped event's blank line
/// makes its `id` the last event id, as for an event without data.
///
/// ```
/// use sambanova_agents::sse::Decoder;
/// use std::time::Duration;
///
/// let mut decoder = Decoder::new();
/// let mut events = Vec::new();
/// decoder.feed(b": keepalive\r\nretry: 1500\r\nid: 1\r\ndata: a\r", &mut events);
/// decoder.feed(b"\ndata: b\r\n\r\n", &mut events);
/// let event = events.pop().expect("one event").expect("within the size limit");
/// assert_eq!((event.event.as_str(), event.data.as_str()), ("message", "a\nb"));
/// assert_eq!(decoder.last_event_id(), "1");
/// assert_eq!(decoder.reconnection_time(), Some(Duration::from_millis(1500)));
/// assert_eq!(decoder.comments_seen(), 1);
/// ```
///
/// [spec]: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
#[derive(Clone)]
pub struct Decoder {
    max_event_size: usize,
    /// The bytes of a line that began in an earlier chunk and has not ended yet.
    partial_line: Vec<u8>,
    /// The data buffer of the spec, kept as bytes: LF is ASCII, so decoding the
    /// joined lines once at dispatch gives the same text as decoding each line.
    data: Vec<u8>,
    event_type: String,
    /// The spec's "last event ID buffer": set by `id` fields, published to
    /// `last_event_id` at each dispatch.
    id_buffer: String,
    last_event_id: String,
    reconnection_time: Option<Duration>,
    comments_seen: u64,
    at_stream_start: bool,
    /// The last line ended with CR, so an LF right after it belongs to it.
    after_cr: bool,
    mode: Mode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Decoding,
    /// Skipping an oversized event up to its blank line.
    DiscardingEvent {
        /// The current line already has bytes, so it cannot be the blank line.
        line_has_bytes: bool,
    },
}

impl Decoder {
    /// The default [maximum event size](Self::with_max_event_size): 8 MiB.
    pub const DEFAULT_MAX_EVENT_SIZE: usize = 8 * 1024 * 1024;

    /// A decoder for a new stream, with the
    /// [default maximum event size](Self::DEFAULT_MAX_EVENT_SIZE).
    pub fn new() -> Self {
        Self::with_max_event_size(Self::DEFAULT_MAX_EVENT_SIZE)
    }

    /// A decoder that rejects events larger than `max` bytes, counting the
    /// event's data buffer (values plus their LF separators) and its current
    /// line (field name included, line terminator excluded).
    ///
    /// ```
    /// use sambanova_agents::sse::{DecodeError, Decoder};
    ///
    /// let mut decoder = Decoder::with_max_event_size(16);
    /// let mut events = Vec::new();
    /// decoder.feed(b"data: far too long for the limit\n\ndata: ok\n\n", &mut events);
    /// assert_eq!(events[0], Err(DecodeError::EventTooLarge { limit: 16 }));
    /// assert_eq!(events[1].as_ref().map(|e| e.data.as_str()), Ok("ok"));
    /// ```
    pub fn with_max_event_size(max: usize) -> Self {
        Self {
            max_event_size: max,
            partial_line: Vec::new(),
            data: Vec::new(),
            event_type: String::new(),
            id_buffer: String::new(),
            last_event_id: String::new(),
            reconnection_time: None,
            comments_seen: 0,
            at_stream_start: true,
            after_cr: false,
            mode: Mode::Decoding,
        }
    }

    /// Decodes the next `chunk` of the stream, appending every event it
    /// completes (and every size error) to `out`, in stream order.
    ///
    /// Bytes of an unfinished line or event are kept for the next call; each
    /// byte is examined once, so feeding is linear in the input size however
    /// the stream is chunked.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<Result<Event, DecodeError>>) {
        let mut line_start = 0;
        for line_end in memchr2_iter(b'\n', b'\r', chunk) {
            let terminator = chunk[line_end];
            if mem::take(&mut self.after_cr) && line_end == line_start && terminator == b'\n' {
                line_start = line_end + 1;
                continue;
            }
            self.after_cr = terminator == b'\r';
            self.end_line(&chunk[line_start..line_end], out);
            line_start = line_end + 1;
        }
        let unfinished = &chunk[line_start..];
        if !unfinished.is_empty() {
            // It holds no line end, so it does not start with the LF of a CRLF.
            self.after_cr = false;
            self.extend_line(unfinished, out);
        }
    }

    /// Ends the stream: an unfinished event is discarded, as the spec requires,
    /// and the decoder is ready for a new stream (a reconnection).
    ///
    /// The [last event id](Self::last_event_id), the
    /// [reconnection time](Self::reconnection_time) and the
    /// [comment count](Self::comments_seen) are kept, and the next stream's
    /// events carry the last event id until it sends an `id` field (as browsers
    /// do, so that a resumed stream keeps its position). Nothing is appended to
    /// `out` today; the parameter leaves room to report end-of-stream
    /// conditions without an API change.
    pub fn finish(&mut self, out: &mut Vec<Result<Event, DecodeError>>) {
        let _ = out;
        self.partial_line.clear();
        release_if_grown(&mut self.partial_line);
        self.data.clear();
        release_if_grown(&mut self.data);
        self.event_type.clear();
        self.id_buffer.clone_from(&self.last_event_id);
        self.at_stream_start = true;
        self.after_cr = false;
        self.mode = Mode::Decoding;
    }

    /// The last event id: the `id` of the most recently dispatched event (or
    /// data-less event block), `""` if there was none. Send it back as
    /// `Last-Event-ID` when reconnecting.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection time asked for by the last valid `retry` field, if any.
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.reconnection_time
    }

    /// How many comment lines (such as `: keepalive`) were read, over the
    /// decoder's whole life.
    pub fn comments_seen(&self) -> u64 {
        self.comments_seen
    }

    /// The maximum event size this decoder accepts, in bytes.
    pub fn max_event_size(&self) -> usize {
        self.max_event_size
    }

    /// Appends bytes of a line whose end is in a later chunk.
    fn extend_line(&mut self, bytes: &[u8], out: &mut Vec<Result<Event, DecodeError>>) {
        if let Mode::DiscardingEvent { .. } = self.mode {
            self.mode = Mode::DiscardingEvent {
                line_has_bytes: true,
            };
            return;
        }
        let pending_size = self.data.len() + self.partial_line.len() + bytes.len();
        if pending_size > self.max_event_size {
            self.reject_event(true, out);
            return;
        }
        self.partial_line.extend_from_slice(bytes);
    }

    /// Ends the current line, whose last bytes are `tail`.
    fn end_line(&mut self, tail: &[u8], out: &mut Vec<Result<Event, DecodeError>>) {
        if let Mode::DiscardingEvent { line_has_bytes } = self.mode {
            if !line_has_bytes && tail.is_empty() {
                self.mode = Mode::Decoding;
                self.end_discarded_event();
            } else {
                self.mode = Mode::DiscardingEvent {
                    line_has_bytes: false,
                };
            }
            return;
        }
        let line_len = self.partial_line.len() + tail.len();
        if self.data.len() + line_len > self.max_event_size {
            self.reject_event(false, out);
            return;
        }
        if self.partial_line.is_empty() {
            self.interpret_line(tail, out);
        } else {
            let mut line = mem::take(&mut self.partial_line);
            line.extend_from_slice(tail);
            self.interpret_line(&line, out);
            line.clear();
            release_if_grown(&mut line);
            self.partial_line = line;
        }
    }

    /// Applies one complete line (without its terminator) to the event.
    fn interpret_line(&mut self, line: &[u8], out: &mut Vec<Result<Event, DecodeError>>) {
        let line = if mem::take(&mut self.at_stream_start) {
            line.strip_prefix(BYTE_ORDER_MARK).unwrap_or(line)
        } else {
            line
        };
        let Some(&first_byte) = line.first() else {
            self.dispatch(out);
            return;
        };
        if first_byte == b':' {
            self.comments_seen += 1;
            return;
        }
        let (name, value) = match memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
            }
            b"event" => {
                self.event_type.clear();
                self.event_type.push_str(&String::from_utf8_lossy(value));
            }
            b"id" if memchr(0, value).is_none() => {
                self.id_buffer.clear();
                self.id_buffer.push_str(&String::from_utf8_lossy(value));
            }
            b"retry" => {
                if let Some(millis) = parse_ascii_digits(value) {
                    self.reconnection_time = Some(Duration::from_millis(millis));
                }
            }
            // Unknown fields, and `id` values containing NUL, are ignored.
            _ => {}
        }
    }

    /// The blank-line step of the spec: publish the id, then dispatch the
    /// event if it has data.
    fn dispatch(&mut self, out: &mut Vec<Result<Event, DecodeError>>) {
        if self.last_event_id != self.id_buffer {
            self.last_event_id.clone_from(&self.id_buffer);
        }
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        // Every data line appended an LF; the spec removes the final one.
        self.data.pop();
        let data = self.take_data();
        let event = if self.event_type.is_empty() {
            String::from("message")
        } else {
            mem::take(&mut self.event_type)
        };
        out.push(Ok(Event {
            event,
            data,
            id: self.last_event_id.clone(),
        }));
    }

    /// Empties the data buffer into a `String`, replacing invalid UTF-8.
    fn take_data(&mut self) -> String {
        if self.data.len() >= HAND_OVER_DATA_LEN {
            return match String::from_utf8(mem::take(&mut self.data)) {
                Ok(text) => text,
                Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
            };
        }
        let text = match std::str::from_utf8(&self.data) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(&self.data).into_owned(),
        };
        self.data.clear();
        text
    }

    /// Reports the current event as too large and starts skipping it.
    fn reject_event(&mut self, line_has_bytes: bool, out: &mut Vec<Result<Event, DecodeError>>) {
        out.push(Err(DecodeError::EventTooLarge {
            limit: self.max_event_size,
        }));
        self.data.clear();
        release_if_grown(&mut self.data);
        self.partial_line.clear();
        release_if_grown(&mut self.partial_line);
        self.event_type.clear();
        self.at_stream_start = false;
        self.mode = Mode::DiscardingEvent { line_has_bytes };
    }

    /// The blank line of a discarded event: like an event without data.
    fn end_discarded_event(&mut self) {
        if self.last_event_id != self.id_buffer {
            self.last_event_id.clone_from(&self.id_buffer);
        }
        self.event_type.clear();
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Decoder {
    // The buffers can hold megabytes; show their sizes, not their bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("max_event_size", &self.max_event_size)
            .field("pending_line_len", &self.partial_line.len())
            .field("pending_data_len", &self.data.len())
            .field("event_type", &self.event_type)
            .field("last_event_id", &self.last_event_id)
            .field("reconnection_time", &self.reconnection_time)
            .field("comments_seen", &self.comments_seen)
            .field("discarding_event", &(self.mode != Mode::Decoding))
            .finish_non_exhaustive()
    }
}

/// A `retry` value: one or more ASCII digits, read in base ten. Values past
/// `u64::MAX` milliseconds saturate (that is already 584 million years).
fn parse_ascii_digits(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0u64, |millis, digit| {
        millis
            .saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    }))
}

/// Drops a buffer's allocation if a rare huge line or event grew it.
fn release_if_grown<T>(buffer: &mut Vec<T>) {
    if buffer.capacity() > RETAINED_CAPACITY {
        *buffer = Vec::new();
    }
}
