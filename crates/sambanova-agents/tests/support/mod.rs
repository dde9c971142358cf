//! What the SDK's tests share: loopback servers that write canned answers byte for byte
//! ([`servers`]), the Sessions server's event framing, and the clients the tests build.

#![allow(dead_code)] // Each test file uses the part it needs.

mod clients;
mod servers;

#[allow(unused_imports, reason = "each test file uses the part it needs")]
pub use clients::*;
#[allow(unused_imports, reason = "each test file uses the part it needs")]
pub use servers::*;

/// A `200` answer with `body` as JSON.
pub fn json_response(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

pub fn sse_response(events: &[(&str, &str, &str)]) -> String {
    let mut body = String::from(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n",
    );
    for (id, event_type, data) in events {
        let line = format!(
            r#"{{"id":"{id}","sandbox_id":"b","session_id":"s","event_type":"{event_type}","data":{data},"timestamp":"2026-11-22T12:22:11.{id_digits}Z"}}"#,
            id_digits = id.trim_start_matches('e'),
        );
        body.push_str(&format!("id: {id}\nevent: {event_type}\ndata: {line}\n\n"));
        body.push_str(": keepalive\n\n");
    }
    body
}

/// The head of a Sessions event stream answer.
pub const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";

/// One Sessions event as the server frames it: `id`, `event`, then the JSON envelope,
/// stamped `n` nanoseconds into a fixed second (so `n` orders the events).
pub fn session_event(id: &str, event_type: &str, data: &str, n: u32) -> String {
    format!(
        "id: {id}\nevent: {event_type}\ndata: {{\"id\":\"{id}\",\"sandbox_id\":\"b\",\"session_id\":\"s\",\"event_type\":\"{event_type}\",\"data\":{data},\"timestamp\":\"2026-11-22T12:00:00.{n:09}Z\"}}\n\n"
    )
}

/// `n` text deltas `e0`…, stamped in order.
pub fn deltas(range: std::ops::Range<u32>) -> String {
    let mut body = String::new();
    for n in range {
        body.push_str(&session_event(
            &format!("e{n}"),
            "text_delta",
            &format!("{{\"text\":\"{n} \"}}"),
            n,
        ));
    }
    body
}

/// The end of a turn: the queue drained.
pub fn turn_end(n: u32) -> String {
    session_event(
        &format!("e{n}"),
        "queue_updated",
        r#"{"queue":[],"queue_length":0}"#,
        n,
    )
}

/// Every name in `dir`, sorted.
pub fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The header names of a request `scripted_server` read, lowercased, in the order sent.
pub fn header_names(request: &str) -> Vec<String> {
    request
        .split("\r\n")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect()
}

/// A client of `mock`'s Agents API, as a new process would build it.
pub fn agents_client(mock: &sambanova_agents_mock::MockServer) -> sambanova_agents::Client {
    sambanova_agents::Client::builder()
        .api_key(sambanova_agents_mock::TEST_API_KEY)
        .base_url(mock.agents_url())
        .build()
        .expect("client builds")
}
