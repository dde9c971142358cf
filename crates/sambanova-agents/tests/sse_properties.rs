//! Property tests: chunking never changes the result, the decoder agrees with a
//! plain transcription of the spec, and generated events round-trip.

use futures::executor::block_on;
use futures::{StreamExt, stream};
use proptest::collection::vec;
use proptest::prelude::*;
use sambanova_agents::sse::{DecodeError, Decoder, Event, EventStream, StreamError};

/// The decoding harness and the spec's plain transcription, shared with the fuzz target
/// (whose input layout and `run` are not used here).
#[allow(dead_code)]
mod model {
    include!("../../../fuzz/targets/sse_decoder.rs");
}

use model::{Outcome, reference as reference_decode};

fn decode_chunks<'a>(max: usize, chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    model::decode(max, chunks).0
}

/// Cuts `input` at the given points (taken modulo its length, sorted).
fn chunks_at<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        chunks.push(&input[start..cut]);
        start = cut;
    }
    chunks.push(&input[start..]);
    chunks
}

/// Bytes that look like an event stream: field names, separators, all three
/// line ends, BOMs, NULs, digits and broken or split UTF-8.
fn stream_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(&b"data"[..]),
        Just(&b"data: "[..]),
        Just(&b"event:"[..]),
        Just(&b"id: "[..]),
        Just(&b"retry:"[..]),
        Just(&b":"[..]),
        Just(&b" "[..]),
        Just(&b"\n"[..]),
        Just(&b"\r"[..]),
        Just(&b"\r\n"[..]),
        Just(&b"\n\n"[..]),
        Just(&b"\xEF\xBB\xBF"[..]),
        Just(&b"\xEF\xBB"[..]),
        Just(&b"\0"[..]),
        Just(&b"42"[..]),
        Just(&b"x"[..]),
        Just(&b"\xC3\xA9"[..]),
        Just(&b"\xF0\x9F\x98\x80"[..]),
        Just(&b"\xF0\x9F"[..]),
        Just(&b"\xFF"[..]),
    ];
    vec(token, 0..60).prop_map(|tokens| tokens.concat())
}

fn any_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![stream_like_bytes(), vec(any::<u8>(), 0..200)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn one_chunk_matches_the_spec_transcription(input in any_input()) {
        prop_assert_eq!(decode_chunks(usize::MAX, [&input[..]]), reference_decode(&input));
    }

    #[test]
    fn every_two_chunk_split_decodes_like_one_chunk(input in any_input(), max in prop_oneof![Just(usize::MAX), 0..40usize]) {
        let whole = decode_chunks(max, [&input[..]]);
        for split in 0..=input.len() {
            let (head, tail) = input.split_at(split);
            prop_assert_eq!(&decode_chunks(max, [head, tail]), &whole, "split at {}", split);
        }
    }

    #[test]
    fn random_chunkings_decode_like_one_chunk(
        input in any_input(),
        cuts in vec(any::<usize>(), 0..20),
        max in prop_oneof![Just(usize::MAX), 0..40usize],
    ) {
        let whole = decode_chunks(max, [&input[..]]);
        for event in whole.items.iter().flatten() {
            prop_assert!(event.data().len() <= max, "{} bytes of data", event.data().len());
        }
        prop_assert_eq!(decode_chunks(max, chunks_at(&input, &cuts)), whole);
    }

    #[test]
    fn byte_by_byte_decodes_like_one_chunk(input in any_input()) {
        let whole = decode_chunks(usize::MAX, [&input[..]]);
        prop_assert_eq!(decode_chunks(usize::MAX, input.chunks(1)), whole);
    }

    #[test]
    fn generated_events_round_trip(
        events in vec(generated_event(), 0..12),
        bom in any::<bool>(),
        line_ends in vec(prop_oneof![Just("\n"), Just("\r"), Just("\r\n")], 1..8),
        cuts in vec(any::<usize>(), 0..12),
    ) {
        let (wire, expected) = encode(&events, bom, &line_ends);
        let outcome = decode_chunks(Decoder::DEFAULT_MAX_EVENT_SIZE, chunks_at(wire.as_bytes(), &cuts));
        let decoded: Vec<Event> = outcome.items.into_iter().collect::<Result<_, _>>()
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(decoded, expected);
    }
}

/// An event to send: type, data lines, id, and keep-alive comments before it.
#[derive(Debug, Clone)]
struct Generated {
    event: Option<String>,
    data: Vec<String>,
    id: Option<String>,
    comments: usize,
}

fn field_text() -> impl Strategy<Value = String> {
    // Any characters but line ends; NUL is excluded later where it matters.
    "[^\r\n]{0,12}"
}

fn generated_event() -> impl Strategy<Value = Generated> {
    (
        proptest::option::of("[^\r\n\0]{1,10}"),
        vec(field_text(), 1..4),
        proptest::option::of("[^\r\n\0]{0,8}"),
        0..3usize,
    )
        .prop_map(|(event, data, id, comments)| Generated {
            event,
            data,
            id,
            comments,
        })
}

/// The wire form of `events`, cycling through `line_ends`, and what a client
/// must decode from it.
fn encode(events: &[Generated], bom: bool, line_ends: &[&str]) -> (String, Vec<Event>) {
    let mut ends = line_ends.iter().cycle();
    let mut wire = String::new();
    let mut line = |wire: &mut String, text: &str| {
        let mut end = ends.next().copied().unwrap_or("\n");
        // CR, then an empty line ended by LF, would read as one CRLF.
        if text.is_empty() && end == "\n" && wire.ends_with('\r') {
            end = "\r\n";
        }
        wire.push_str(text);
        wire.push_str(end);
    };
    if bom {
        wire.push('\u{FEFF}');
    }
    let mut expected = Vec::new();
    let mut last_id = String::new();
    for generated in events {
        for _ in 0..generated.comments {
            line(&mut wire, ": keepalive");
        }
        if let Some(event) = &generated.event {
            line(&mut wire, &format!("event: {event}"));
        }
        for data in &generated.data {
            line(&mut wire, &format!("data: {data}"));
        }
        if let Some(id) = &generated.id {
            line(&mut wire, &format!("id: {id}"));
            last_id.clone_from(id);
        }
        line(&mut wire, "");
        expected.push(Event::new(
            generated.event.as_deref().unwrap_or("message"),
            generated.data.join("\n"),
            &last_id,
        ));
    }
    (wire, expected)
}

/// Longer stream-like inputs, so that chunks span several of the slices the
/// stream adapter feeds to its decoder.
fn long_stream_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    vec(stream_like_bytes(), 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn stream_adapter_decodes_like_the_decoder(
        input in long_stream_like_bytes(),
        cuts in vec(any::<usize>(), 0..6),
        max in prop_oneof![Just(Decoder::DEFAULT_MAX_EVENT_SIZE), 0..400usize],
    ) {
        let expected = decode_chunks(max, [&input[..]]);
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            chunks_at(&input, &cuts).into_iter().map(|chunk| Ok(chunk.to_vec())).collect();
        let mut events = EventStream::with_decoder(stream::iter(chunks), Decoder::with_max_event_size(max));
        let items: Vec<Result<Event, DecodeError>> = block_on((&mut events).collect::<Vec<_>>())
            .into_iter()
            .map(|item| match item {
                Ok(event) => Ok(event),
                Err(StreamError::Decode(error)) => Err(error),
                Err(error) => panic!("no transport error was sent: {error}"),
            })
            .collect();
        prop_assert_eq!(items, expected.items);
        prop_assert_eq!(events.decoder().last_event_id(), expected.last_event_id.as_str());
        prop_assert_eq!(events.decoder().comments_seen(), expected.comments_seen);
    }
}
