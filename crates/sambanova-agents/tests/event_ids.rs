//! Every event once, through every reader (the typed Sessions stream, the raw reader and the
//! agent stream), on loopback servers: events that share an inherited id are all delivered
//! (WHATWG SSE: an event without `id` carries the last one; an `id` with U+0000 is ignored;
//! `id` with no value resets it); an event cut by a dropped connection is never delivered
//! half; after a reconnection, a replay from the start is dropped however long and without
//! stamps, and a server that lost the last id has what it holds delivered.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use sambanova_agents::agent_stream::{AgentEvent, AgentRequest, AgentStreamClient};
use sambanova_agents::sessions::{RawStreamOptions, SessionsClient};
use sambanova_agents::{Error, RetryPolicy};
use support::{SSE_HEAD, Then, scripted_server_then};

const SID: &str = "31d0232d-0000-4000-8000-000000000000";

/// A Sessions event as a server without stamps frames it: `id` only when given, the JSON
/// envelope without an id or a timestamp.
fn framed(id: Option<&str>, event_type: &str, data: &str) -> String {
    let id_line = id.map_or_else(String::new, |id| format!("id: {id}\n"));
    format!(
        "{id_line}event: {event_type}\ndata: {{\"event_type\":\"{event_type}\",\"data\":{data}}}\n\n"
    )
}

/// `e{n}` text deltas without stamps, each setting its id.
fn unstamped(range: std::ops::Range<u32>) -> String {
    range
        .map(|n| {
            framed(
                Some(&format!("e{n}")),
                "text_delta",
                &format!("{{\"text\":\"{n} \"}}"),
            )
        })
        .collect()
}

/// The end of a turn, setting no id.
fn turn_end() -> String {
    framed(None, "queue_updated", r#"{"queue":[],"queue_length":0}"#)
}

fn sse(body: &str) -> (String, Then) {
    (format!("{SSE_HEAD}{body}"), Then::Close)
}

/// The tests' Sessions client, sending each request once and reconnecting at most twice.
fn reconnecting_twice(url: &str) -> SessionsClient {
    support::sessions_client_builder(url)
        .retry(RetryPolicy::none())
        .max_reconnect_attempts(Some(2))
        .stall_timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// (event type, id) of every event the typed stream delivers, and the error it ended with.
async fn typed(url: &str) -> (Vec<(String, String)>, Option<Error>) {
    let mut events = reconnecting_twice(url).events(SID).until_turn_end();
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => seen.push((event.event_type().to_owned(), event.id)),
            Err(error) => return (seen, Some(error)),
        }
    }
    (seen, None)
}

/// The same through the raw reader, which reconnects until the server is gone.
async fn raw(url: &str) -> (Vec<(String, String)>, Option<Error>) {
    let stream_url = format!("{url}/api/v1/sessions/{SID}/stream");
    let events = reconnecting_twice(url).raw_events(&stream_url, RawStreamOptions::default());
    futures_util::pin_mut!(events);
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => seen.push((event.event_type().to_owned(), event.id().to_owned())),
            Err(error) => return (seen, Some(error)),
        }
    }
    (seen, None)
}

/// Both Sessions readers on a server answering `connections` in turn; (event type, id) of
/// what each delivered, the raw reader's up to the turn's end.
async fn both_readers(connections: &[String]) -> [Vec<(String, String)>; 2] {
    let script = || connections.iter().map(|body| sse(body)).collect::<Vec<_>>();
    let (url, _server) = scripted_server_then(script()).await;
    let (typed, error) = typed(&url).await;
    assert!(error.is_none(), "typed: {error:?}");
    let (url, _server) = scripted_server_then(script()).await;
    let (mut raw, error) = raw(&url).await;
    assert!(
        matches!(error, Some(Error::ReconnectsExhausted { .. })),
        "raw: {error:?}"
    );
    // The raw reader knows no turns: it reads on until the server is gone.
    if let Some(end) = raw
        .iter()
        .position(|(kind, _)| kind == "queue_updated" || kind == "error")
    {
        raw.truncate(end + 1);
    }
    [typed, raw]
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(kind, id)| ((*kind).to_owned(), (*id).to_owned()))
        .collect()
}

fn ids(range: std::ops::Range<u32>) -> Vec<(String, String)> {
    range
        .map(|n| ("text_delta".to_owned(), format!("e{n}")))
        .collect()
}

/// The WHATWG rules in one stream: inherited ids, an id with U+0000 (ignored), `id` with no
/// value (resets it), events after the reset.
fn whatwg_body() -> String {
    [
        framed(Some("a1"), "text_delta", r#"{"text":"Listing "}"#),
        framed(
            None,
            "tool_use_start",
            r#"{"id":"t1","name":"Bash","input":{}}"#,
        ),
        format!(
            "id: b\0x\n{}",
            framed(
                None,
                "tool_result",
                r#"{"content":"ok","is_error":false,"tool_use_id":"t1"}"#
            )
        ),
        format!("id\n{}", framed(None, "text_delta", r#"{"text":"reset"}"#)),
        framed(None, "text_delta", r#"{"text":"after the reset"}"#),
        // A runtime failure: the turn's end.
        framed(None, "error", r#"{"message":"boom"}"#),
    ]
    .concat()
}

#[tokio::test]
async fn events_sharing_an_inherited_id_are_all_delivered_by_the_sessions_readers() {
    let expected = pairs(&[
        ("text_delta", "a1"),
        ("tool_use_start", "a1"),
        ("tool_result", "a1"),
        ("text_delta", ""),
        ("text_delta", ""),
        ("error", ""),
    ]);
    for (reader, seen) in ["typed", "raw"]
        .iter()
        .zip(both_readers(&[whatwg_body()]).await)
    {
        assert_eq!(seen, expected, "{reader}");
    }
}

#[tokio::test]
async fn an_event_cut_by_a_dropped_connection_is_delivered_once_whole_after_the_reconnection() {
    let cut = format!(
        "{}id: e2\nevent: text_delta\ndata: {{\"event_type\":\"text_de",
        unstamped(0..2)
    );
    // The server resumes after e1 (as the Last-Event-ID asks), or replays from the start.
    for second in [
        format!("{}{}", unstamped(2..4), turn_end()),
        format!("{}{}", unstamped(0..4), turn_end()),
    ] {
        let mut expected = ids(0..4);
        expected.push(("queue_updated".to_owned(), "e3".to_owned()));
        for (reader, seen) in ["typed", "raw"]
            .iter()
            .zip(both_readers(&[cut.clone(), second]).await)
        {
            assert_eq!(seen, expected, "{reader}");
        }
    }
}

#[tokio::test]
async fn a_replay_from_the_start_of_100_000_events_without_stamps_is_read_once() {
    // The first connection delivers 60,000 events, far more than the id window; the second
    // replays everything from the start and goes on to 100,000.
    const FIRST: u32 = 60_000;
    const ALL: u32 = 100_000;
    let connections = [
        unstamped(0..FIRST),
        format!("{}{}", unstamped(0..ALL), turn_end()),
    ];
    let mut expected = ids(0..ALL);
    expected.push(("queue_updated".to_owned(), format!("e{}", ALL - 1)));
    for (reader, seen) in ["typed", "raw"]
        .iter()
        .zip(both_readers(&connections).await)
    {
        assert_eq!(seen.len(), expected.len(), "{reader}: duplicates or losses");
        assert!(seen == expected, "{reader}: not each event once, in order");
    }
}

#[tokio::test]
async fn a_server_that_lost_the_last_id_without_stamps_has_what_it_holds_delivered() {
    // Its buffer moved on between the connections: it starts at e20 now.
    let connections = [
        unstamped(0..5),
        format!("{}{}", unstamped(20..23), turn_end()),
    ];
    let mut expected = ids(0..5);
    expected.extend(ids(20..23));
    expected.push(("queue_updated".to_owned(), "e22".to_owned()));
    for (reader, seen) in ["typed", "raw"]
        .iter()
        .zip(both_readers(&connections).await)
    {
        assert_eq!(seen, expected, "{reader}");
    }
}

#[tokio::test]
async fn a_partial_replay_of_recent_events_yields_only_what_follows_the_last_one() {
    let connections = [
        unstamped(0..10),
        format!("{}{}", unstamped(6..12), turn_end()),
    ];
    let mut expected = ids(0..12);
    expected.push(("queue_updated".to_owned(), "e11".to_owned()));
    for (reader, seen) in ["typed", "raw"]
        .iter()
        .zip(both_readers(&connections).await)
    {
        assert_eq!(seen, expected, "{reader}");
    }
}

/// A long-lived token (expires in 2100), so no login is needed.
const TOKEN: &str =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6IjEifQ.c2ln";

fn agent_client(url: &str) -> AgentStreamClient {
    AgentStreamClient::builder()
        .base_url(url)
        .access_token(TOKEN)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// An agent-stream event's type, as the server named it.
fn agent_label(event: &AgentEvent) -> &'static str {
    match event {
        AgentEvent::Message(_) => "message_chunk",
        AgentEvent::ToolCallStart(_) => "tool_call_start",
        AgentEvent::ToolResult(_) => "tool_result",
        AgentEvent::Error(_) => "error",
        _ => "other",
    }
}

#[tokio::test]
async fn events_sharing_an_inherited_id_are_all_delivered_by_the_agent_stream() {
    // Only the text carries ids, as on a server that numbers message chunks.
    let body = [
        "id: m1\nevent: message_chunk\ndata: {\"id\":\"m1\",\"content\":\"Hi\"}\n\n",
        "event: tool_call_start\ndata: {\"toolCallId\":\"c1\",\"toolCallName\":\"crawl\"}\n\n",
        "id: m\0x\nevent: tool_result\ndata: {\"content\":\"ok\",\"tool_call_id\":\"c1\"}\n\n",
        "id: m1\nevent: message_chunk\ndata: {\"id\":\"m1\",\"content\":\" again\"}\n\n",
        "id\nevent: tool_call_start\ndata: {\"toolCallId\":\"c2\",\"toolCallName\":\"crawl\"}\n\n",
        "event: error\ndata: {\"error\":\"Error during graph execution\"}\n\n",
    ]
    .concat();
    let (url, server) = scripted_server_then(vec![sse(&body)]).await;
    let mut events = agent_client(&url)
        .stream(&AgentRequest::new("go"))
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        seen.push(agent_label(&event.unwrap()));
    }
    assert_eq!(
        seen,
        [
            "message_chunk",
            "tool_call_start",
            "tool_result",
            "message_chunk",
            "tool_call_start",
            "error"
        ]
    );
    assert_eq!(server.await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_agent_stream_cut_inside_an_event_ends_without_it_and_is_never_sent_again() {
    let body = concat!(
        "id: m1\nevent: message_chunk\ndata: {\"id\":\"m1\",\"content\":\"Hi\"}\n\n",
        "event: tool_result\ndata: {\"content\":\"o",
    );
    // One answer: a second request would find the server gone and end in a connection error.
    let (url, server) = scripted_server_then(vec![sse(body)]).await;
    let mut events = agent_client(&url)
        .stream(&AgentRequest::new("go"))
        .await
        .unwrap();
    let mut items = Vec::new();
    while let Some(item) = events.next().await {
        items.push(item);
    }
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(matches!(&items[0], Ok(AgentEvent::Message(_))), "{items:?}");
    assert!(
        matches!(&items[1], Err(Error::StreamEnded { .. })),
        "{items:?}"
    );
    assert_eq!(server.await.unwrap().len(), 1);
}
