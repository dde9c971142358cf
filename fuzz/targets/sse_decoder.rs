// The SSE decoder fuzz target's body, shared by `fuzz/fuzz_targets/sse_decoder.rs` (libFuzzer)
// and `crates/sambanova-agents/tests/fuzz_smoke.rs` (stable CI). Included with `include!`, so
// no inner attributes or doc comments here.
//
// Input layout: byte 0 picks the event size limit, byte 1 the number of cuts, the next bytes
// the chunk lengths; the rest is the stream. Checked: no panic; one chunk, the chosen chunks
// and byte-by-byte feeding agree exactly; without a limit, a plain transcription of the spec
// agrees; every event and error respects the limit and the field invariants; a reconnection
// after `finish` decodes a fresh event and keeps the last event id.

use std::time::Duration;

use sambanova_agents::sse::{DecodeError, Decoder, Event};

/// Everything observable after decoding a whole stream.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    pub items: Vec<Result<Event, DecodeError>>,
    pub last_event_id: String,
    pub reconnection_time: Option<Duration>,
    pub comments_seen: u64,
}

const LIMITS: [usize; 4] = [Decoder::DEFAULT_MAX_EVENT_SIZE, 0, 16, 300];

/// Splits the fuzzer's bytes into (limit, chunks of the stream, the whole stream).
pub fn layout(data: &[u8]) -> (usize, Vec<&[u8]>, &[u8]) {
    let limit = LIMITS[usize::from(data.first().copied().unwrap_or(0)) % LIMITS.len()];
    let cuts = usize::from(data.get(1).copied().unwrap_or(0) % 16);
    let header_end = (2 + cuts).min(data.len());
    let lengths = data.get(2..header_end).unwrap_or(&[]);
    let stream = &data[header_end..];
    let mut chunks = Vec::with_capacity(lengths.len() + 1);
    let mut start = 0;
    for &length in lengths {
        let end = (start + usize::from(length)).min(stream.len());
        chunks.push(&stream[start..end]);
        start = end;
    }
    chunks.push(&stream[start..]);
    (limit, chunks, stream)
}

pub fn decode<'a>(limit: usize, chunks: impl IntoIterator<Item = &'a [u8]>) -> (Outcome, Decoder) {
    let mut decoder = Decoder::with_max_event_size(limit);
    let mut items = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk, &mut items);
    }
    decoder.finish(&mut items);
    let outcome = Outcome {
        items,
        last_event_id: decoder.last_event_id().to_owned(),
        reconnection_time: decoder.reconnection_time(),
        comments_seen: decoder.comments_seen(),
    };
    (outcome, decoder)
}

/// The spec, transcribed for clarity rather than speed (no size limit).
pub fn reference(input: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(input);
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut line));
            }
            '\n' => lines.push(std::mem::take(&mut line)),
            c => line.push(c),
        }
    }
    // The unterminated last line is never interpreted.
    let mut outcome = Outcome {
        items: Vec::new(),
        last_event_id: String::new(),
        reconnection_time: None,
        comments_seen: 0,
    };
    let (mut data, mut event_type, mut id_buffer) = (String::new(), String::new(), String::new());
    for line in lines {
        if line.is_empty() {
            outcome.last_event_id = id_buffer.clone();
            if data.is_empty() {
                event_type.clear();
                continue;
            }
            data.pop();
            let event = if event_type.is_empty() {
                "message".to_owned()
            } else {
                std::mem::take(&mut event_type)
            };
            outcome.items.push(Ok(Event::new(
                &event,
                std::mem::take(&mut data),
                &outcome.last_event_id,
            )));
            continue;
        }
        if line.starts_with(':') {
            outcome.comments_seen += 1;
            continue;
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match name {
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "event" => event_type = value.to_owned(),
            "id" if !value.contains('\0') => id_buffer = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                let millis = value.bytes().fold(0u64, |n, digit| {
                    n.saturating_mul(10).saturating_add(u64::from(digit - b'0'))
                });
                outcome.reconnection_time = Some(Duration::from_millis(millis));
            }
            _ => {}
        }
    }
    outcome
}

pub fn run(data: &[u8]) {
    let (limit, chunks, stream) = layout(data);

    let (whole, mut decoder) = decode(limit, [stream]);
    let (chunked, _) = decode(limit, chunks.iter().copied());
    assert_eq!(whole, chunked, "chunking changed the result");
    let (bytewise, _) = decode(limit, stream.chunks(1));
    assert_eq!(whole, bytewise, "byte-by-byte feeding changed the result");
    // The limit counts decoded text, where an invalid byte becomes a 3-byte U+FFFD.
    if limit >= String::from_utf8_lossy(stream).len() {
        assert_eq!(
            whole,
            reference(stream),
            "the decoder disagrees with the spec"
        );
    }

    for item in &whole.items {
        match item {
            Ok(event) => {
                assert!(event.data().len() <= limit, "an event beyond the limit");
                assert!(!event.event_type().is_empty(), "an event without a type");
                assert!(!event.event_type().contains(['\r', '\n']), "a line end in a type");
                assert!(!event.data().contains('\r'), "a CR in data");
                assert!(!event.id().contains(['\r', '\n', '\0']), "a bad id");
            }
            Err(DecodeError::EventTooLarge { limit: reported }) => {
                assert_eq!(*reported, limit, "the error names another limit");
            }
            Err(other) => panic!("an error the decoder does not document: {other:?}"),
        }
    }
    assert!(!whole.last_event_id.contains(['\r', '\n', '\0']));

    // A reconnection: the decoder is reusable and keeps the last event id.
    let mut after = Vec::new();
    decoder.feed(b"data: again\n\n", &mut after);
    if limit >= "data: again".len() {
        let expected = Event::new("message", "again", &whole.last_event_id);
        assert_eq!(after, vec![Ok(expected)], "no clean restart after finish");
    } else {
        assert_eq!(after, vec![Err(DecodeError::EventTooLarge { limit })]);
    }
}
