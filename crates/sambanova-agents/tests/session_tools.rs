//! Tool calls assembled from a live session stream, and the session's last assistant message:
//! against the mock (which waits for permission answers like the real server), and against a
//! loopback server that streams a tool call the way the real server relays the agent's (input
//! in pieces keyed by content block index, no `tool_use_complete`).

use futures_util::StreamExt;
use sambanova_agents::sessions::{EventKind, SessionsClient, ToolCallTracker, ToolEvent};
use sambanova_agents_mock::{DEMO_SANDBOX_ID, MockServer};
use serde_json::json;
use support::Then;

mod support;

/// The tool events of one turn, answering its permission request with `approve`.
async fn tool_events_of(
    client: &SessionsClient,
    session_id: &str,
    approve: bool,
) -> Vec<ToolEvent> {
    let mut turn = client
        .send_and_stream(session_id, "list #permission")
        .await
        .expect("turn starts");
    let mut tools = ToolCallTracker::new();
    let mut seen = Vec::new();
    while let Some(event) = turn.events.next().await {
        let event = event.expect("no stream error");
        if let EventKind::PermissionRequest(request) = &event.kind {
            // The call is whole before anyone is asked about it.
            assert!(
                matches!(seen.last(), Some(ToolEvent::Call(call)) if call.name == "Bash"),
                "{seen:?}"
            );
            client
                .respond_to_permission(session_id, &request.request_id, approve)
                .await
                .expect("answered");
        }
        seen.extend(tools.push(&event));
    }
    assert!(tools.finish().is_empty(), "no call left open");
    seen
}

#[tokio::test]
async fn an_approved_call_comes_whole_then_its_output() {
    let mock = MockServer::start().await.expect("mock starts");
    let client = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();

    let seen = tool_events_of(&client, &session.id, true).await;
    match &seen[..] {
        [ToolEvent::Call(call), ToolEvent::Output(output)] => {
            assert_eq!(call.input, Some(json!({"command": "echo done"})));
            assert_eq!(output.call.as_ref(), Some(call));
            assert_eq!(output.text(), "done");
            assert!(!output.is_error);
        }
        other => panic!("{other:?}"),
    }
    let details = client.get_session(&session.id).await.unwrap();
    assert_eq!(
        details.last_assistant_message().expect("a reply").text(),
        "Echo: list #permission Done."
    );
}

#[tokio::test]
async fn a_denied_call_has_no_output_and_the_reply_is_what_was_said_before() {
    let mock = MockServer::start().await.expect("mock starts");
    let client = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();
    let before = client.get_session(&session.id).await.unwrap();
    assert!(before.last_assistant_message().is_none());

    let seen = tool_events_of(&client, &session.id, false).await;
    assert!(
        matches!(&seen[..], [ToolEvent::Call(call)] if call.name == "Bash"),
        "{seen:?}"
    );
    let details = client.get_session(&session.id).await.unwrap();
    assert_eq!(
        details.last_assistant_message().expect("a reply").text(),
        "Echo: list #permission "
    );
}

/// Serves one stream connection with these events, then holds it open (the real server never
/// ends a stream).
async fn stream_server(events: Vec<serde_json::Value>) -> String {
    let mut answer = String::from(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n",
    );
    for event in events {
        answer.push_str(&format!(
            "id: {}\nevent: {}\ndata: {event}\n\n",
            event["id"].as_str().unwrap(),
            event["event_type"].as_str().unwrap()
        ));
    }
    let (url, server) = support::scripted_server_then(vec![(answer, Then::HoldOpen)]).await;
    tokio::spawn(async move {
        let requests = server.await.unwrap();
        assert!(
            requests.iter().all(|request| request.ends_with("\r\n\r\n")),
            "the request ended early"
        );
    });
    url
}

#[tokio::test]
async fn a_call_relayed_like_the_real_server_is_joined_by_index_without_tool_use_complete() {
    let sid = "31d0232d-0000-4000-8000-000000000001";
    let event = |n: u32, event_type: &str, data: serde_json::Value| {
        json!({"id": format!("e{n}"), "sandbox_id": "b", "session_id": sid,
            "event_type": event_type, "data": data, "timestamp": "2026-11-22T12:22:11Z"})
    };
    let url = stream_server(vec![
        event(
            1,
            "connected",
            json!({"session_id": "c", "tools": ["Bash"]}),
        ),
        event(2, "text_delta", json!({"text": "Let me look."})),
        event(
            3,
            "tool_use_start",
            json!({"id": "toolu_1", "input": {}, "name": "Bash", "streaming": true}),
        ),
        event(
            4,
            "tool_input_delta",
            json!({"index": 1, "partial_json": ""}),
        ),
        event(
            5,
            "tool_input_delta",
            json!({"index": 1, "partial_json": "{\"command\": \"ls -la"}),
        ),
        event(
            6,
            "tool_input_delta",
            json!({"index": 1, "partial_json": " /tmp\", \"description\": \"List {files}\"}"}),
        ),
        event(
            7,
            "permission_request",
            json!({"request_id": "r1", "risk_level": "high", "tool_name": "Bash",
                "tool_input": {"command": "ls -la /tmp", "description": "List {files}"}}),
        ),
        event(
            8,
            "permission_response",
            json!({"approved": true, "request_id": "r1", "tool_name": "Bash"}),
        ),
        event(
            9,
            "tool_result",
            json!({"content": "total 0", "is_error": false, "tool_use_id": "toolu_1"}),
        ),
        event(
            10,
            "session_completed",
            json!({"cost_usd": 0.0, "duration_ms": 1, "session_id": "c"}),
        ),
    ])
    .await;
    let client = SessionsClient::builder().base_url(url).build().unwrap();
    let mut events = client.events(sid).until_turn_end();
    let mut tools = ToolCallTracker::new();
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        let event = event.expect("no stream error");
        let before_permission = matches!(event.kind, EventKind::PermissionRequest(_));
        seen.extend(tools.push(&event));
        if before_permission {
            assert_eq!(seen.len(), 1, "the call is whole when permission is asked");
        }
    }
    match &seen[..] {
        [ToolEvent::Call(call), ToolEvent::Output(output)] => {
            assert_eq!(call.id, "toolu_1");
            assert_eq!(
                call.input,
                Some(json!({"command": "ls -la /tmp", "description": "List {files}"}))
            );
            assert_eq!(output.text(), "total 0");
        }
        other => panic!("{other:?}"),
    }
}
