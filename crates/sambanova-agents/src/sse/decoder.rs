//! The incremental byte-level decoder.

use std::borrow::Cow;
use std::fmt;
use std::mem;
use std::time::Duration;

use compact_str::CompactString;
use memchr::{memchr2, memrchr2};

use super::{DecodeError, Event, message_if_empty};

/// U+FEFF, which the UTF-8 decode step removes once at the very start of a
/// stream.
const BYTE_ORDER_MARK: char = '\u{FEFF}';

/// Below this length SIMD UTF-8 validation costs more than it saves.
const SIMD_VALIDATION_MIN_LEN: usize = 64;

/// Buffers grown past this by an unusually long line or event are released
/// afterwards instead of being kept for the rest of the stream.
const RETAINED_CAPACITY: usize = 256 * 1024;

/// An incremental `text/event-stream` decoder.
///
/// Feed it the body's bytes in chunks of any size, split anywhere (even inside
/// a line end or a multi-byte character); it appends every event completed by
/// the chunk to a caller-owned `Vec`, so that decoding allocates little beyond
/// the events' own strings. Decoding follows the WHATWG HTML
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
/// Memory is bounded: an event larger than the limit (its data so far, as
/// text, plus the bytes of its current line; or its data alone, where invalid
/// bytes grew into U+FFFD) is reported once as [`DecodeError::EventTooLarge`]
/// and skipped up to the next blank line. The `id` and `retry` fields read before
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
/// assert_eq!((event.event_type(), event.data()), ("message", "a\nb"));
/// assert_eq!(decoder.last_event_id(), "1");
/// assert_eq!(decoder.reconnection_time(), Some(Duration::from_millis(1500)));
/// assert_eq!(decoder.comments_seen(), 1);
/// ```
///
/// [spec]: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
#[derive(Clone)]
pub struct Decoder {
    max_event_size: usize,
    /// The bytes of a line that began in an earlier chunk and has not ended
    /// yet, unless it is a `data` line being streamed into `data`.
    partial_line: Vec<u8>,
    /// The `data` line that began in an earlier chunk and has not ended yet,
    /// if any: its value goes straight into `data` as it arrives, so a huge
    /// value is never held twice.
    streamed_line: Option<StreamedDataLine>,
    /// The first bytes (at most 3) of a character of the streamed `data` value
    /// that the next chunk completes.
    utf8_carry: Vec<u8>,
    /// The spec's data buffer without its final LF: the LF goes in before each
    /// value but the first, so the dispatched text is the buffer itself, moved
    /// out without a copy.
    data: String,
    /// Whether the event has a `data` field: `data` is empty for a single
    /// empty value, which still dispatches an event.
    has_data: bool,
    /// The last `event` field's value (`message` is substituted at dispatch).
    event_type: CompactString,
    /// The spec's "last event ID buffer", meaningful when `id_buffer_set`
    /// (an `id` field came since the last dispatch). Otherwise the buffer's
    /// value is `last_event_id`: it is moved there at dispatch, not copied.
    id_buffer: CompactString,
    id_buffer_set: bool,
    last_event_id: CompactString,
    reconnection_time: Option<Duration>,
    comments_seen: u64,
    at_stream_start: bool,
    /// The last line ended with CR, so an LF right after it belongs to it.
    after_cr: bool,
    mode: Mode,
}

#[derive(Debug, Clone, Copy)]
struct StreamedDataLine {
    /// The line's length so far, in bytes received (`data:` included).
    line_len: usize,
    /// The data buffer's length before this line, for the size limit.
    data_len_before: usize,
    /// The value received so far is empty, so a space may still be the one
    /// after the colon, which is not part of the value.
    space_pending: bool,
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
    /// event's data so far (values and the LFs between them) and its current
    /// line (field name included, line terminator excluded).
    ///
    /// ```
    /// use sambanova_agents::sse::{DecodeError, Decoder};
    ///
    /// let mut decoder = Decoder::with_max_event_size(16);
    /// let mut events = Vec::new();
    /// decoder.feed(b"data: far too long for the limit\n\ndata: ok\n\n", &mut events);
    /// assert_eq!(events[0], Err(DecodeError::EventTooLarge { limit: 16 }));
    /// assert_eq!(events[1].as_ref().map(|e| e.data()), Ok("ok"));
    /// ```
    pub fn with_max_event_size(max: usize) -> Self {
        Self {
            max_event_size: max,
            partial_line: Vec::new(),
            streamed_line: None,
            utf8_carry: Vec::new(),
            data: String::new(),
            has_data: false,
            event_type: CompactString::default(),
            id_buffer: CompactString::default(),
            id_buffer_set: false,
            last_event_id: CompactString::default(),
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
    ///
    /// With chunks of many kilobytes, feeding them in slices of about 1 KiB
    /// cut after line ends, and consuming each slice's events before feeding
    /// the next, is faster: the allocator recycles the strings of consumed
    /// events. [`EventStream`](super::EventStream) does so.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<Result<Event, DecodeError>>) {
        let mut rest = chunk;
        if self.after_cr {
            match rest.first() {
                None => return,
                Some(b'\n') => rest = &rest[1..],
                Some(_) => {}
            }
            self.after_cr = false;
        }
        // A line begun in an earlier chunk (perhaps inside a character) is
        // completed on its own; a chunk that starts a line, as the feed's
        // slices mostly do, is validated in one pass from its first byte.
        if !self.partial_line.is_empty() || self.streamed_line.is_some() {
            let Some(first_end) = find_line_end(rest) else {
                if !rest.is_empty() {
                    self.extend_line(rest, out);
                }
                return;
            };
            self.end_line(&rest[..first_end], out);
            rest = self.skip_line_end(rest, first_end);
        }
        // The lines wholly inside the chunk are validated as UTF-8 in one pass.
        let complete_len = memrchr2(b'\n', b'\r', rest).map_or(0, |last_end| last_end + 1);
        let (complete, unfinished) = rest.split_at(complete_len);
        match validate_utf8(complete) {
            Some(text) => self.decode_valid_lines(text, out),
            None => self.decode_lines(complete, out),
        }
        if !unfinished.is_empty() {
            // It starts the chunk (whose leading LF, if any, was taken above)
            // or follows a line end, and is no LF (memrchr2 would have found
            // it), so it does not complete a CRLF.
            self.after_cr = false;
            self.extend_line(unfinished, out);
        }
    }

    /// Whether a line begun in an earlier chunk is still unfinished.
    pub(crate) fn continues_line(&self) -> bool {
        !self.partial_line.is_empty() || self.streamed_line.is_some()
    }

    /// Feeds `chunk` up to the end of the unfinished line (its terminator
    /// included), or all of it if the line does not end there, and answers
    /// how many bytes that was. The [`Feed`](super::feed::Feed) uses it so
    /// that the rest of the chunk is sliced from a line start, without a
    /// search over a long line's bytes for a place to cut.
    pub(crate) fn feed_to_line_end(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<Result<Event, DecodeError>>,
    ) -> usize {
        if self.after_cr || !self.continues_line() {
            // Not in a line: nothing is pending, any cut will do.
            self.feed(chunk, out);
            return chunk.len();
        }
        let Some(end) = find_line_end(chunk) else {
            self.extend_line(chunk, out);
            return chunk.len();
        };
        self.end_line(&chunk[..end], out);
        chunk.len() - self.skip_line_end(chunk, end).len()
    }

    /// Decodes complete lines of unchecked bytes.
    fn decode_lines(&mut self, mut rest: &[u8], out: &mut Vec<Result<Event, DecodeError>>) {
        while let Some(line_end) = find_line_end(rest) {
            self.end_line(&rest[..line_end], out);
            rest = self.skip_line_end(rest, line_end);
        }
    }

    /// Decodes complete lines of valid UTF-8, sparing each its own validation.
    fn decode_valid_lines(&mut self, mut rest: &str, out: &mut Vec<Result<Event, DecodeError>>) {
        while let Some(line_end) = find_line_end(rest.as_bytes()) {
            // CR and LF are ASCII, so these slices are on character boundaries.
            let (line, terminator_and_after) = rest.split_at(line_end);
            self.end_valid_line(line, out);
            let after = &terminator_and_after[1..];
            rest = if terminator_and_after.starts_with('\r') {
                match after.as_bytes().first() {
                    Some(b'\n') => &after[1..],
                    Some(_) => after,
                    None => {
                        self.after_cr = true;
                        after
                    }
                }
            } else {
                after
            };
        }
    }

    /// What follows the line end at `rest[line_end]`, an LF after a CR
    /// included; a CR ending `rest` may be followed by an LF in the next chunk.
    fn skip_line_end<'a>(&mut self, rest: &'a [u8], line_end: usize) -> &'a [u8] {
        let after = &rest[line_end + 1..];
        if rest[line_end] != b'\r' {
            return after;
        }
        match after.first() {
            Some(b'\n') => &after[1..],
            Some(_) => after,
            None => {
                self.after_cr = true;
                after
            }
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
        self.clear_line();
        self.clear_data();
        self.event_type.clear();
        self.id_buffer_set = false;
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
        if self.pending_size() + bytes.len() > self.max_event_size {
            self.reject_event(true, out);
            return;
        }
        if let Some(streamed) = &mut self.streamed_line {
            streamed.line_len += bytes.len();
            self.append_data_bytes(bytes);
            if self.data.len() > self.max_event_size {
                self.reject_event(true, out);
            }
            return;
        }
        let starts_data_line = if self.partial_line.is_empty() && bytes.starts_with(b"data:") {
            // A `data` line starting here goes straight into `data`: a long
            // value is not copied into `partial_line` first.
            self.start_streaming_data_line(bytes);
            true
        } else {
            self.partial_line.extend_from_slice(bytes);
            if self.partial_line.starts_with(b"data:") {
                let line = mem::take(&mut self.partial_line);
                self.start_streaming_data_line(&line);
                self.partial_line = line;
                self.partial_line.clear();
                true
            } else {
                false
            }
        };
        if starts_data_line {
            // As for the streamed bytes below: the decoded text may outgrow the bytes, and
            // the verdict must not depend on where the chunks were cut.
            if self.data.len() > self.max_event_size {
                self.reject_event(true, out);
            }
        }
    }

    /// The size of the event so far, for the limit: its data before the
    /// current line, plus the bytes of the current line received so far.
    fn pending_size(&self) -> usize {
        match &self.streamed_line {
            Some(streamed) => streamed.data_len_before + streamed.line_len,
            None => self.data.len() + self.partial_line.len(),
        }
    }

    /// Starts the unfinished `data` line whose bytes so far are `line`: its
    /// value goes into `data`, and the rest of it will be streamed there as
    /// it arrives.
    fn start_streaming_data_line(&mut self, line: &[u8]) {
        // The line starts with `data:`, so it has no byte-order mark to remove.
        self.at_stream_start = false;
        let data_len_before = self.data.len();
        if mem::replace(&mut self.has_data, true) {
            self.data.push('\n');
        }
        self.streamed_line = Some(StreamedDataLine {
            line_len: line.len(),
            data_len_before,
            space_pending: true,
        });
        self.append_data_bytes(&line[b"data:".len()..]);
    }

    /// Appends the next bytes of a streamed `data` value to `data`, decoding
    /// them as `String::from_utf8_lossy` would decode the whole value: a
    /// character split across chunks is carried over, not replaced.
    fn append_data_bytes(&mut self, mut bytes: &[u8]) {
        if let Some(streamed) = &mut self.streamed_line
            && streamed.space_pending
            && let Some(&first) = bytes.first()
        {
            streamed.space_pending = false;
            if first == b' ' {
                bytes = &bytes[1..];
            }
        }
        // Complete a carried character byte by byte (at most 3 bytes).
        let mut completed = 0;
        while !self.utf8_carry.is_empty()
            && let Some(&next) = bytes.get(completed)
        {
            self.utf8_carry.push(next);
            match std::str::from_utf8(&self.utf8_carry) {
                Ok(character) => {
                    self.data.push_str(character);
                    self.utf8_carry.clear();
                    completed += 1;
                }
                Err(incomplete) if incomplete.error_len().is_none() => completed += 1,
                Err(_) => {
                    // The carried bytes were a valid start that `next` does
                    // not continue: they are one invalid sequence, and `next`
                    // is decoded afresh.
                    self.data.push(char::REPLACEMENT_CHARACTER);
                    self.utf8_carry.clear();
                }
            }
        }
        bytes = &bytes[completed..];
        loop {
            // The `compat` flavour says where the first error is, still with SIMD:
            // a chunk usually ends inside a character.
            match simdutf8::compat::from_utf8(bytes) {
                Ok(text) => {
                    self.data.push_str(text);
                    return;
                }
                Err(error) => {
                    let (valid, after_valid) = bytes.split_at(error.valid_up_to());
                    self.data.push_str(&decode_utf8_lossy(valid));
                    match error.error_len() {
                        Some(invalid_len) => {
                            self.data.push(char::REPLACEMENT_CHARACTER);
                            bytes = &after_valid[invalid_len..];
                        }
                        None => {
                            self.utf8_carry.extend_from_slice(after_valid);
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Ends the current line, whose last bytes are `tail`.
    fn end_line(&mut self, tail: &[u8], out: &mut Vec<Result<Event, DecodeError>>) {
        if self.streamed_line.is_some() {
            self.end_streamed_line(tail, out);
            return;
        }
        if !self.admit_line(self.partial_line.len() + tail.len(), out) {
            return;
        }
        if self.partial_line.is_empty() {
            self.interpret_line(&decode_utf8_lossy(tail), out);
        } else {
            let mut line = mem::take(&mut self.partial_line);
            line.extend_from_slice(tail);
            self.interpret_line(&decode_utf8_lossy(&line), out);
            line.clear();
            release_if_grown(&mut line);
            self.partial_line = line;
        }
    }

    /// Ends a streamed `data` line, whose last bytes are `tail`.
    fn end_streamed_line(&mut self, tail: &[u8], out: &mut Vec<Result<Event, DecodeError>>) {
        if self.pending_size() + tail.len() > self.max_event_size {
            self.reject_event(false, out);
            return;
        }
        self.append_data_bytes(tail);
        if !self.utf8_carry.is_empty() {
            // A character cut short by the line end is one invalid sequence.
            self.data.push(char::REPLACEMENT_CHARACTER);
            self.utf8_carry.clear();
        }
        self.streamed_line = None;
        if self.data.len() > self.max_event_size {
            self.reject_event(false, out);
        }
    }

    /// Ends a line that is wholly in the current chunk and valid UTF-8.
    fn end_valid_line(&mut self, line: &str, out: &mut Vec<Result<Event, DecodeError>>) {
        if self.admit_line(line.len(), out) {
            self.interpret_line(line, out);
        }
    }

    /// Whether a complete line of `line_len` bytes is to be interpreted: not
    /// when an oversized event is being skipped, nor when it makes its event
    /// oversized.
    fn admit_line(&mut self, line_len: usize, out: &mut Vec<Result<Event, DecodeError>>) -> bool {
        if let Mode::DiscardingEvent { line_has_bytes } = self.mode {
            if !line_has_bytes && line_len == 0 {
                self.mode = Mode::Decoding;
                self.end_discarded_event();
            } else {
                self.mode = Mode::DiscardingEvent {
                    line_has_bytes: false,
                };
            }
            return false;
        }
        if self.data.len() + line_len > self.max_event_size {
            self.reject_event(false, out);
            return false;
        }
        true
    }

    /// Applies one complete line (without its terminator) to the event.
    #[inline(always)]
    fn interpret_line(&mut self, line: &str, out: &mut Vec<Result<Event, DecodeError>>) {
        // Read before it is written: most lines are not the stream's first.
        let line = if self.at_stream_start {
            self.at_stream_start = false;
            line.strip_prefix(BYTE_ORDER_MARK).unwrap_or(line)
        } else {
            line
        };
        let Some(&first_byte) = line.as_bytes().first() else {
            self.dispatch(out);
            return;
        };
        if first_byte == b':' {
            self.comments_seen += 1;
            return;
        }
        // The fields agent streams use, recognised without a search for the colon.
        let bytes = line.as_bytes();
        if bytes.first_chunk() == Some(b"data:") {
            self.push_data(strip_one_space(&line[5..]), out);
        } else if bytes.first_chunk() == Some(b"event:") {
            self.set_event_type(strip_one_space(&line[6..]));
        } else if bytes.first_chunk() == Some(b"id:") {
            self.set_id(strip_one_space(&line[3..]));
        } else {
            self.interpret_field(line, out);
        }
    }

    /// Any field line: split at the first colon, then as in `interpret_line`.
    fn interpret_field(&mut self, line: &str, out: &mut Vec<Result<Event, DecodeError>>) {
        // ':' is ASCII, so these slices are on character boundaries.
        let (name, value) = match line.bytes().position(|byte| byte == b':') {
            Some(colon) => (&line[..colon], strip_one_space(&line[colon + 1..])),
            None => (line, ""),
        };
        match name {
            "data" => self.push_data(value, out),
            "event" => self.set_event_type(value),
            "id" => self.set_id(value),
            "retry" => {
                if let Some(millis) = parse_ascii_digits(value.as_bytes()) {
                    self.reconnection_time = Some(Duration::from_millis(millis));
                }
            }
            _ => {}
        }
    }

    #[inline]
    fn push_data(&mut self, value: &str, out: &mut Vec<Result<Event, DecodeError>>) {
        if mem::replace(&mut self.has_data, true) {
            self.data.push('\n');
            self.data.push_str(value);
        } else {
            // An exact allocation; growing an empty buffer takes a slower path.
            self.data = value.to_owned();
        }
        // Replacing invalid bytes can make the text longer than the bytes.
        if self.data.len() > self.max_event_size {
            self.reject_event(false, out);
        }
    }

    #[inline(always)]
    fn set_event_type(&mut self, value: &str) {
        self.event_type = CompactString::from(value);
    }

    #[inline(always)]
    fn set_id(&mut self, value: &str) {
        // An id containing NUL is ignored.
        // Ids are short: a plain loop beats starting a `memchr` search.
        if !value.bytes().any(|byte| byte == 0) {
            self.id_buffer = CompactString::from(value);
            self.id_buffer_set = true;
        }
    }

    /// The blank-line step of the spec: publish the id, then dispatch the
    /// event if it has data.
    fn dispatch(&mut self, out: &mut Vec<Result<Event, DecodeError>>) {
        let sets_id = self.publish_last_event_id();
        if !mem::take(&mut self.has_data) {
            self.event_type.clear();
            return;
        }
        // The event is pushed empty and then filled in its slot: built whole
        // and pushed, it is assembled on the stack and copied, and the copy's
        // wide loads stall on the assembly's narrow stores.
        out.push(Ok(Event::EMPTY));
        if let Some(Ok(event)) = out.last_mut() {
            event.event_type = message_if_empty(mem::take(&mut self.event_type));
            event.data = mem::take(&mut self.data);
            event.id = self.last_event_id.clone();
            event.sets_id = sets_id;
        }
    }

    fn clear_line(&mut self) {
        self.partial_line.clear();
        release_if_grown(&mut self.partial_line);
        self.streamed_line = None;
        self.utf8_carry.clear();
    }

    fn clear_data(&mut self) {
        self.data.clear();
        self.has_data = false;
        if self.data.capacity() > RETAINED_CAPACITY {
            self.data = String::new();
        }
    }

    /// Reports the current event as too large and starts skipping it.
    fn reject_event(&mut self, line_has_bytes: bool, out: &mut Vec<Result<Event, DecodeError>>) {
        out.push(Err(DecodeError::EventTooLarge {
            limit: self.max_event_size,
        }));
        self.clear_data();
        self.clear_line();
        self.event_type.clear();
        self.at_stream_start = false;
        self.mode = Mode::DiscardingEvent { line_has_bytes };
    }

    /// The first step of dispatch: the last event ID buffer becomes the last
    /// event id. Answers whether the event set it.
    fn publish_last_event_id(&mut self) -> bool {
        let set = mem::take(&mut self.id_buffer_set);
        if set {
            self.last_event_id = mem::take(&mut self.id_buffer);
        }
        set
    }

    /// The blank line of a discarded event: like an event without data.
    fn end_discarded_event(&mut self) {
        self.publish_last_event_id();
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

/// A field value without the one space that may follow the colon.
fn strip_one_space(value: &str) -> &str {
    value.strip_prefix(' ').unwrap_or(value)
}

/// `bytes` as text if they are valid UTF-8. Long runs are checked with SIMD
/// (`simdutf8`), several times faster than `std` on non-ASCII text.
fn validate_utf8(bytes: &[u8]) -> Option<&str> {
    if bytes.len() >= SIMD_VALIDATION_MIN_LEN {
        simdutf8::basic::from_utf8(bytes).ok()
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

/// `bytes` as text, with U+FFFD for invalid UTF-8. Lines are decoded one by
/// one, which gives the same text as decoding the whole stream: CR and LF are
/// ASCII, so no character or invalid sequence spans two lines.
fn decode_utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match validate_utf8(bytes) {
        Some(text) => Cow::Borrowed(text),
        None => String::from_utf8_lossy(bytes),
    }
}

/// The index of the first CR or LF in `bytes`.
///
/// Most lines are short: their first bytes are scanned sixteen at a time in
/// plain code, which beats the fixed cost of starting a `memchr2` search; the
/// rest of a longer line is left to `memchr2`.
fn find_line_end(bytes: &[u8]) -> Option<usize> {
    const BLOCK_SCANNED_LEN: usize = 64;
    let head = &bytes[..bytes.len().min(BLOCK_SCANNED_LEN)];
    let (blocks, rest) = head.as_chunks::<16>();
    for (index, block) in blocks.iter().enumerate() {
        let line_ends = line_end_bits(block);
        if line_ends != 0 {
            return Some(index * 16 + line_ends.trailing_zeros() as usize);
        }
    }
    if let Some(end) = rest.iter().position(|&byte| byte == b'\n' || byte == b'\r') {
        return Some(blocks.len() * 16 + end);
    }
    let tail = bytes.get(BLOCK_SCANNED_LEN..)?;
    memchr2(b'\n', b'\r', tail).map(|end| BLOCK_SCANNED_LEN + end)
}

/// Bit `i` is set where `block[i]` is CR or LF.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[allow(unsafe_code)] // Four SSE2 intrinsics; `line_end_bits_portable` is its tested twin.
fn line_end_bits(block: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: the build enables SSE2 (every x86-64 processor has it), and the
    // unaligned load reads exactly the 16 bytes of `block`.
    let bits = unsafe {
        let bytes = _mm_loadu_si128(block.as_ptr().cast());
        let line_ends = _mm_or_si128(
            _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\n' as i8)),
            _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\r' as i8)),
        );
        _mm_movemask_epi8(line_ends)
    };
    // One bit per byte, in the low 16 bits: never negative.
    bits as u32
}

/// Bit `i` is set where `block[i]` is CR or LF.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn line_end_bits(block: &[u8; 16]) -> u32 {
    line_end_bits_portable(block)
}

/// [`line_end_bits`] in plain code, eight bytes at a time.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
fn line_end_bits_portable(block: &[u8; 16]) -> u32 {
    let (words, _) = block.as_chunks::<8>();
    let mut bits = 0;
    for (index, word) in words.iter().enumerate() {
        let word = u64::from_le_bytes(*word);
        let line_ends = zero_bytes(word ^ u64::from_ne_bytes([b'\n'; 8]))
            | zero_bytes(word ^ u64::from_ne_bytes([b'\r'; 8]));
        // Gathers the high bit of byte `k` into bit `k` (the products of the
        // shifted bits land on distinct powers of two, so nothing carries).
        let gathered = ((line_ends >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32;
        bits |= gathered << (8 * index);
    }
    bits
}

/// The high bit of each zero byte of `word` is set, and no other bit.
fn zero_bytes(word: u64) -> u64 {
    const LOW_SEVEN_BITS: u64 = u64::from_ne_bytes([0x7F; 8]);
    // Adding 0x7F to the low seven bits sets the high bit of each byte whose
    // low bits are not all zero, and carries into no other byte.
    !(((word & LOW_SEVEN_BITS) + LOW_SEVEN_BITS) | word | LOW_SEVEN_BITS)
}

/// Drops a buffer's allocation if a rare huge line or event grew it.
fn release_if_grown<T>(buffer: &mut Vec<T>) {
    if buffer.capacity() > RETAINED_CAPACITY {
        *buffer = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte value at every position, and every pair of CR and LF.
    #[test]
    fn line_end_bits_mark_exactly_the_cr_and_lf_bytes() {
        let mut blocks = Vec::new();
        for byte in 0..=u8::MAX {
            for position in 0..16 {
                let mut block = [b'x'; 16];
                block[position] = byte;
                blocks.push(block);
                let mut block = [byte; 16];
                block[position] = b'\n';
                blocks.push(block);
            }
        }
        for first in 0..16 {
            for second in 0..16 {
                let mut block = [0x80; 16];
                block[first] = b'\r';
                block[second] = b'\n';
                blocks.push(block);
            }
        }
        for block in blocks {
            let expected = block
                .iter()
                .enumerate()
                .filter(|&(_, &byte)| byte == b'\n' || byte == b'\r')
                .fold(0u32, |bits, (index, _)| bits | 1 << index);
            assert_eq!(line_end_bits(&block), expected, "{block:?}");
            assert_eq!(line_end_bits_portable(&block), expected, "{block:?}");
        }
    }

    #[test]
    fn find_line_end_finds_the_first_cr_or_lf_at_any_offset() {
        for len in 0..200 {
            for end in 0..=len {
                let mut bytes = vec![b'a'; len];
                if end < len {
                    bytes[end] = if end % 2 == 0 { b'\n' } else { b'\r' };
                    bytes
                        .iter_mut()
                        .skip(end + 1)
                        .step_by(3)
                        .for_each(|byte| *byte = b'\n');
                }
                assert_eq!(
                    find_line_end(&bytes),
                    (end < len).then_some(end),
                    "{len} {end}"
                );
            }
        }
    }
}
