// The stream event parsers' fuzz target body, shared by `fuzz/fuzz_targets/stream_events.rs`
// (libFuzzer) and `crates/sambanova-agents/tests/fuzz_smoke.rs` (stable CI). Included with
// `include!`, so no inner attributes or doc comments here.
//
// The input is decoded as an event stream; every event is read as a session event and as an
// agent stream event, and the whole input as one session `data:` line. Checked: no panic;
// a session event written back with `to_json` reads back to the same JSON (what the CLI's
// `--raw` output promises); the accumulators and predicates run on anything.

use sambanova_agents::agent_stream::{AgentEvent, AssistantText};
use sambanova_agents::sessions::{SessionEvent, TurnText};
use sambanova_agents::sse::Decoder;

fn session_round_trip(event: &SessionEvent) {
    let json = event.to_json();
    let again = SessionEvent::from_json(&json.to_string());
    assert_eq!(
        again.to_json(),
        json,
        "to_json does not read back: {event:?}"
    );
    assert_eq!(again.event_type(), event.event_type());
    assert_eq!(again.is_turn_end(), event.is_turn_end());
}

pub fn run(data: &[u8]) {
    let mut decoder = Decoder::with_max_event_size(64 * 1024);
    let mut items = Vec::new();
    decoder.feed(data, &mut items);
    decoder.finish(&mut items);

    let mut turn = TurnText::new();
    let mut answer = AssistantText::new();
    for event in items.iter().filter_map(|item| item.as_ref().ok()) {
        let session = SessionEvent::from_sse(event);
        let _ = format!("{session:?}");
        turn.push(&session);
        session_round_trip(&session);

        let agent = AgentEvent::from_sse(event);
        let _ = format!("{agent:?}");
        let _ = (agent.thread_id(), agent.is_terminal());
        if let Some(piece) = answer.push(&agent) {
            assert!(answer.text().ends_with(piece));
        }
    }
    let _ = (
        turn.as_str(),
        turn.streamed(),
        answer.text(),
        answer.chunks(),
    );

    let line = String::from_utf8_lossy(data);
    session_round_trip(&SessionEvent::from_json(&line));
}
