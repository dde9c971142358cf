//! The fuzz targets of `fuzz/` on stable Rust, for CI: each target's body runs over its
//! committed seeds and a few thousand generated inputs (plain bytes, and seeds with bytes
//! changed, inserted or removed), so a regression in the SDK's parsers fails `cargo test`
//! without cargo-fuzz or nightly. The bodies are the same files the fuzzers include.

use std::path::PathBuf;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

mod sse_decoder {
    include!("../../../fuzz/targets/sse_decoder.rs");
}

mod agent_response {
    include!("../../../fuzz/targets/agent_response.rs");
}

mod content_disposition {
    include!("../../../fuzz/targets/content_disposition.rs");
}

mod stream_events {
    include!("../../../fuzz/targets/stream_events.rs");
}

/// Generated inputs per target, on top of the seeds.
const CASES: u32 = 3000;

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
        .iter()
        .map(|path| std::fs::read(path).expect("seed readable"))
        .collect()
}

/// A seed with a few random edits: what a coverage-guided fuzzer tries first.
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let edit = (any::<u8>(), any::<usize>(), any::<u8>());
    (
        proptest::sample::select(seeds),
        proptest::collection::vec(edit, 1..8),
    )
        .prop_map(|(mut input, edits)| {
            for (kind, at, byte) in edits {
                let at = at % (input.len() + 1);
                match kind % 3 {
                    0 if at < input.len() => input[at] = byte,
                    1 => input.insert(at, byte),
                    _ if at < input.len() => {
                        input.remove(at);
                    }
                    _ => input.push(byte),
                }
            }
            input
        })
}

fn smoke(target: &str, run: fn(&[u8])) {
    let seeds = seeds(target);
    for seed in &seeds {
        run(seed);
    }
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let inputs = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        mutated(seeds),
    ];
    TestRunner::new(config)
        .run(&inputs, |input| {
            run(&input);
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{target}: {failure}"));
}

#[test]
fn sse_decoder_target() {
    smoke("sse_decoder", sse_decoder::run);
}

#[test]
fn agent_response_target() {
    smoke("agent_response", agent_response::run);
}

#[test]
fn content_disposition_target() {
    smoke("content_disposition", content_disposition::run);
}

#[test]
fn stream_events_target() {
    smoke("stream_events", stream_events::run);
}

/// Regression (fuzz: sse_decoder): an unfinished `data` line whose invalid bytes grow past
/// the limit once replaced by U+FFFD was an error when fed byte by byte, but not in one chunk.
#[test]
fn regression_a_size_error_does_not_depend_on_the_chunking() {
    use sambanova_agents::sse::{DecodeError, Decoder};

    let stream: &[u8] = b"data:\xff\xff\xff";
    let decode = |chunks: &mut dyn Iterator<Item = &[u8]>| {
        let mut decoder = Decoder::with_max_event_size(8);
        let mut items = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut items);
        }
        decoder.finish(&mut items);
        items
    };
    let whole = decode(&mut std::iter::once(stream));
    assert_eq!(whole, vec![Err(DecodeError::EventTooLarge { limit: 8 })]);
    assert_eq!(decode(&mut stream.chunks(1)), whole);
    assert_eq!(decode(&mut stream.chunks(3)), whole);
    sse_decoder::run(&[
        2, 0, b'd', b'a', b't', b'a', b':', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
}

/// Regression (fuzz: content_disposition): shortening a long name could end it on a Unicode
/// space (here U+2001), which sanitising again would have removed: the result was not stable.
#[test]
fn regression_a_shortened_name_does_not_end_with_unicode_whitespace() {
    use sambanova_agents::filename::{MAX_FILE_NAME_BYTES, sanitize_file_name};

    // The cut keeps MAX_FILE_NAME_BYTES - ".txt".len() bytes: up to and with the U+2001.
    let name = format!("{}\u{2001}tail.txt", "a".repeat(MAX_FILE_NAME_BYTES - 7));
    let safe = sanitize_file_name(&name).expect("a usable name");
    assert!(!safe.contains('\u{2001}'), "{safe:?}");
    assert_eq!(sanitize_file_name(&safe).as_deref(), Some(safe.as_str()));
    content_disposition::run(name.as_bytes());
}

/// Regression (fuzz: stream_events): a large float in an event's data reads back one ulp off
/// after `to_json` (serde_json without `float_roundtrip`); everything else reads back exactly.
#[test]
fn regression_an_event_with_a_large_float_reads_back_within_an_ulp() {
    use sambanova_agents::sessions::SessionEvent;

    let line = r#"{"id":"e7","event_type":"text_complete","data":9.777777777717779e+19}"#;
    let event = SessionEvent::from_json(line);
    let json = event.to_json();
    let again = SessionEvent::from_json(&json.to_string()).to_json();
    assert!(
        stream_events::json_close(&again, &json),
        "{again} vs {json}"
    );
    assert_eq!(again["id"], "e7");
    assert_eq!(again["event_type"], "text_complete");
    stream_events::run(line.as_bytes());
}
