// The stream event parsers' fuzz target body, shared by `fuzz/fuzz_targets/stream_events.rs`
// (libFuzzer) and `crates/sambanova-agents/tests/fuzz_smoke.rs` (stable CI). Included with
// `include!`, so no inner attributes or doc comments here.
//
// The input is decoded as an event stream; every event is read as a session event and as an
// agent stream event, and the whole input as one session `data:` line. Checked: no panic;
// a session event written back with `to_json` reads back to the same JSON (what the CLI's
// `--raw` output promises); the accumulators and predicates run on anything.

use sambanova_agents::agent_stream::{self, AgentEvent};
use sambanova_agents::sessions::{self, SessionEvent};
use sambanova_agents::sse::Decoder;

/// JSON equality, but numbers only to within a few ulps: serde_json (without its
/// `float_roundtrip` feature) may read a printed float back one ulp off.
pub fn json_close(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => {
                    x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
                }
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_close(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| json_close(x, y)))
        }
        _ => a == b,
    }
}

fn session_round_trip(event: &SessionEvent) {
    let json = event.to_json();
    let again = SessionEvent::from_json(&json.to_string());
    assert!(
        json_close(&again.to_json(), &json),
        "to_json does not read back: {event:?}\n{}\n{}",
        again.to_json(),
        json
    );
    assert_eq!(again.event_type(), event.event_type());
    assert_eq!(again.is_turn_end(), event.is_turn_end());
}

pub fn run(data: &[u8]) {
    let mut decoder = Decoder::with_max_event_size(64 * 1024);
    let mut items = Vec::new();
    decoder.feed(data, &mut items);
    decoder.finish(&mut items);

    let mut turn = sessions::TurnText::new();
    let mut answer = agent_stream::TurnText::new();
    for event in items.iter().filter_map(|item| item.as_ref().ok()) {
        let session = SessionEvent::from_sse(event);
        let _ = format!("{session:?}");
        turn.push(&session);
        session_round_trip(&session);

        let agent = AgentEvent::from_sse(event);
        let _ = format!("{agent:?}");
        let _ = (agent.thread_id(), agent.is_turn_end());
        if let Some(piece) = answer.push(&agent) {
            assert!(answer.text().ends_with(piece));
        }
    }
    let _ = (
        turn.text(),
        turn.streamed(),
        answer.text(),
        answer.chunks(),
    );

    let line = String::from_utf8_lossy(data);
    session_round_trip(&SessionEvent::from_json(&line));
}
