//! The Sessions API against the mock (which behaves like the real CIAB server), and the event
//! stream's resumption against scripted loopback servers.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use sambanova_agents::Error;
use sambanova_agents::sessions::{
    EventKind, PermissionMode, Role, SandboxSpec, SandboxState, SessionEvent, SessionState,
    SessionsClient, TurnText,
};
use sambanova_agents_mock::{DEMO_SANDBOX_ID, Fault, FaultRule, MockServer};
use support::{scripted_server, sse_response};

async fn setup() -> (MockServer, SessionsClient) {
    let mock = MockServer::start().await.expect("mock starts");
    let client = support::sessions_client(&mock.url());
    (mock, client)
}

async fn collect(mut events: sambanova_agents::sessions::SessionEventStream) -> Vec<SessionEvent> {
    let mut all = Vec::new();
    while let Some(event) = events.next().await {
        all.push(event.expect("no stream error"));
    }
    all
}

fn types(events: &[SessionEvent]) -> Vec<&str> {
    events.iter().map(SessionEvent::event_type).collect()
}

#[tokio::test]
async fn sandboxes_are_created_under_their_real_id_listed_and_read() {
    let (_mock, client) = setup().await;

    let created = client
        .create_sandbox(&SandboxSpec::new("claude-code").name("raw-create"))
        .await
        .unwrap();
    assert_eq!(created.status, "provisioning");

    let sandbox = client
        .create_sandbox_and_wait(&SandboxSpec::new("claude-code").name("resolved"))
        .await
        .unwrap();
    assert_eq!(sandbox.name.as_deref(), Some("resolved"));
    assert_eq!(sandbox.state, SandboxState::Running);

    let listed = client.list_sandboxes().await.unwrap();
    assert!(listed.iter().any(|s| s.id == sandbox.id));
    assert!(listed.iter().any(|s| s.id == DEMO_SANDBOX_ID));
    let again = client.get_sandbox(&sandbox.id).await.unwrap();
    assert_eq!(again.id, sandbox.id);

    // Without a name, one is generated so the sandbox can be found.
    let unnamed = client
        .create_sandbox_and_wait(&SandboxSpec::new("claude-code"))
        .await
        .unwrap();
    assert!(unnamed.name.unwrap_or_default().starts_with("sdk-"));

    let session = client.create_session(&sandbox.id).await.unwrap();
    assert_eq!(session.sandbox_id, sandbox.id);
}

#[tokio::test]
async fn sessions_are_created_listed_read_messaged_and_interrupted() {
    let (_mock, client) = setup().await;
    let mut metadata = serde_json::Map::new();
    metadata.insert("purpose".into(), "sdk-test".into());
    let session = client
        .create_session_with_metadata(DEMO_SANDBOX_ID, metadata)
        .await
        .unwrap();
    assert_eq!(session.state, SessionState::Active);
    assert_eq!(session.metadata["purpose"], "sdk-test");

    let listed = client.list_sessions(DEMO_SANDBOX_ID).await.unwrap();
    assert!(listed.iter().any(|s| s.id == session.id));

    let sent = client
        .send_message(&session.id, "hello world")
        .await
        .unwrap();
    assert_eq!(sent.role, Role::User, "the server answers the user message");
    assert_eq!(sent.text(), "hello world");
    assert_eq!(sent.session_id, session.id);

    client.interrupt(&session.id).await.unwrap();
    // Interrupting an idle session is fine too.
    client.interrupt(&session.id).await.unwrap();

    let details = client.get_session(&session.id).await.unwrap();
    assert_eq!(details.session.id, session.id);
    assert_eq!(details.messages[0].id, sent.id);

    let queue = client.queue(&session.id).await.unwrap();
    assert_eq!(queue.queue_length, 0);

    let help = client.send_message(&session.id, "/help").await.unwrap();
    assert_eq!(help.role, Role::Assistant);
    let turn = client.send_and_stream(&session.id, "/help").await.unwrap();
    assert_eq!(turn.message.role, Role::Assistant);
    assert!(collect(turn.events).await.is_empty(), "no turn runs");
}

#[tokio::test]
async fn a_turn_streams_typed_events_in_order_and_ends_with_it() {
    let (_mock, client) = setup().await;
    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();

    let turn = client
        .send_and_stream(&session.id, "hello world")
        .await
        .unwrap();
    assert_eq!(turn.message.role, Role::User);
    let events = collect(turn.events).await;
    assert_eq!(
        types(&events),
        [
            "queue_updated",
            "connected",
            "text_delta",
            "text_delta",
            "text_delta",
            "tool_use_start",
            "tool_input_delta",
            "tool_use_complete",
            "tool_result",
            "text_delta",
            "text_complete",
            "session_completed",
        ]
    );
    for event in &events {
        assert_eq!(event.session_id.as_deref(), Some(session.id.as_str()));
        assert_eq!(event.sandbox_id.as_deref(), Some(DEMO_SANDBOX_ID));
        assert!(event.timestamp.is_some() && !event.id.is_empty());
    }
    assert!(matches!(&events[0].kind, EventKind::QueueUpdated(q) if q.queue_length == 1));
    assert!(matches!(&events[5].kind, EventKind::ToolUseStart(t) if t.name == "Bash"));
    let mut text = TurnText::new();
    text.extend(&events);
    assert_eq!(text.streamed(), "Echo: hello world Done.");
    assert_eq!(text.text(), "Echo: hello world Done.");

    // The next turn does not replay the first one.
    let second = collect(
        client
            .send_and_stream(&session.id, "again")
            .await
            .unwrap()
            .events,
    )
    .await;
    assert_eq!(second[0].event_type(), "queue_updated");
    assert_eq!(second.last().unwrap().event_type(), "session_completed");
    let first_ids: HashSet<_> = events.iter().map(|e| e.id.as_str()).collect();
    assert!(second.iter().all(|e| !first_ids.contains(e.id.as_str())));
}

#[tokio::test]
async fn an_error_result_ends_the_turn_and_a_crash_ends_with_the_empty_queue() {
    let (_mock, client) = setup().await;
    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();

    let failed = collect(
        client
            .send_and_stream(&session.id, "please #error")
            .await
            .unwrap()
            .events,
    )
    .await;
    let last = failed.last().unwrap();
    assert!(
        matches!(&last.kind, EventKind::ResultError(e) if e.message.as_deref() == Some("scripted error")),
        "{last:?}"
    );
    assert!(!types(&failed).contains(&"session_completed"));

    let crashed = collect(
        client
            .send_and_stream(&session.id, "please #crash")
            .await
            .unwrap()
            .events,
    )
    .await;
    assert!(
        matches!(&crashed.last().unwrap().kind, EventKind::QueueUpdated(q) if q.queue_length == 0)
    );
    assert!(!types(&crashed).contains(&"session_completed"));
}

#[tokio::test]
async fn a_long_turn_survives_three_server_closes_with_every_event_once_in_order() {
    let (mock, client) = setup().await;
    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();
    let path = format!("/api/v1/sessions/{}/stream", session.id);
    mock.faults()
        .add(FaultRule::new("GET", &path, Fault::CloseStreamAfter { events: 100 }).times(3));

    let turn = client
        .send_and_stream(&session.id, "#long 1000")
        .await
        .unwrap();
    let mut events = turn.events;
    let mut all = Vec::new();
    while let Some(event) = events.next().await {
        all.push(event.unwrap());
    }
    assert_eq!(events.reconnects(), 3);
    assert_eq!(mock.requests("GET", &path), 4);

    let ids: HashSet<_> = all.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), all.len(), "no duplicates");
    let deltas: Vec<String> = all
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TextDelta(d) => Some(d.text.clone()),
            _ => None,
        })
        .collect();
    let expected: Vec<String> = (0..1000)
        .map(|i| format!("{i} "))
        .chain(["Done.".to_owned()])
        .collect();
    assert_eq!(deltas, expected, "every delta once, in order");
    // queue_updated, connected, 1000 + 1 deltas, 4 tool events, text_complete, session_completed
    assert_eq!(all.len(), 1009);
    assert_eq!(all.last().unwrap().event_type(), "session_completed");
}

#[tokio::test]
async fn a_stalled_stream_is_reconnected_and_the_turn_completes() {
    let (mock, client) = setup().await;
    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();
    let path = format!("/api/v1/sessions/{}/stream", session.id);
    mock.faults()
        .add(FaultRule::new("GET", &path, Fault::StallStream { after_events: 5 }).times(1));

    let turn = client
        .send_and_stream(&session.id, "#long 50")
        .await
        .unwrap();
    let mut events = turn.events.stall_timeout(Duration::from_millis(300));
    let mut all = Vec::new();
    while let Some(event) = events.next().await {
        all.push(event.unwrap());
    }
    // At least the stalled connection was replaced (a loaded machine may add a reconnection,
    // which must not change what the consumer sees).
    assert!(events.reconnects() >= 1);
    assert!(mock.requests("GET", &path) >= 2);
    let ids: HashSet<_> = all.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), all.len());
    assert_eq!(all.len(), 59);
    assert_eq!(all.last().unwrap().event_type(), "session_completed");
}

#[tokio::test]
async fn resumes_with_the_last_id_drops_replayed_duplicates_and_keeps_unknown_types() {
    let e1 = ("e1", "text_delta", r#"{"text":"hi"}"#);
    let e2 = ("e2", "brand_new_type", r#"{"x":1}"#);
    let e3 = ("e3", "queue_updated", r#"{"queue":[],"queue_length":0}"#);
    // Like the real server with an id it no longer holds: the whole buffer again.
    let (url, server) =
        scripted_server(vec![sse_response(&[e1, e2]), sse_response(&[e1, e2, e3])]).await;
    let client = support::sessions_client(&url);
    let sid = "31d0232d-0000-4000-8000-000000000000";

    let events = collect(client.events(sid).until_turn_end()).await;
    assert_eq!(
        events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["e1", "e2", "e3"]
    );
    match &events[1].kind {
        EventKind::Unknown { event, data } => {
            assert_eq!(event, "brand_new_type");
            assert_eq!(data["x"], 1);
        }
        other => panic!("{other:?}"),
    }

    let requests = server.await.unwrap();
    assert!(!requests[0].contains("last_event_id"), "{}", requests[0]);
    assert!(
        requests[1].contains(&format!(
            "GET /api/v1/sessions/{sid}/stream?last_event_id=e2"
        )),
        "{}",
        requests[1]
    );
    assert!(
        requests[1]
            .to_ascii_lowercase()
            .contains("last-event-id: e2"),
        "{}",
        requests[1]
    );
}

#[tokio::test]
async fn the_stream_content_type_is_matched_as_a_media_type() {
    let e1 = ("e1", "text_delta", r#"{"text":"hi"}"#);
    let sid = "31d0232d-0000-4000-8000-000000000000";
    // Media types are case-insensitive and may carry parameters.
    let shouting = sse_response(&[e1]).replace(
        "content-type: text/event-stream",
        "content-type: TEXT/Event-Stream; charset=utf-8",
    );
    let (url, _server) = scripted_server(vec![shouting]).await;
    let first = support::sessions_client(&url)
        .events(sid)
        .next()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.id, "e1");

    // A type that merely starts like one is another type.
    let other = sse_response(&[e1]).replace(
        "content-type: text/event-stream",
        "content-type: text/event-streams",
    );
    let (url, _server) = scripted_server(vec![other]).await;
    let first = support::sessions_client(&url)
        .events(sid)
        .next()
        .await
        .unwrap();
    assert!(
        matches!(first, Err(Error::UnexpectedResponse { ref content_type, .. })
        if content_type.as_deref() == Some("text/event-streams")),
        "{first:?}"
    );
}

#[tokio::test]
async fn errors_are_typed_with_the_server_code() {
    let (_mock, client) = setup().await;
    let missing = "00000000-0000-4000-8000-0000000000aa";

    let error = client.get_session(missing).await.unwrap_err();
    assert!(
        matches!(&error, Error::NotFound { message, .. } if message.contains("session_not_found") && message.contains(missing)),
        "{error}"
    );
    let error = client.get_sandbox("nope").await.unwrap_err();
    assert!(error.to_string().contains("sandbox_not_found"), "{error}");

    let mut stream = client.events(missing);
    let first = stream.next().await.unwrap().unwrap_err();
    assert!(matches!(first, Error::NotFound { .. }), "{first}");
    assert!(
        stream.next().await.is_none(),
        "the stream ends after a fatal error"
    );

    let error = client.get_session("not-a-uuid").await.unwrap_err();
    assert!(
        matches!(&error, Error::BadRequest { message, .. } if message.contains("sid")),
        "{error}"
    );

    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();
    let error = client
        .respond_to_permission(&session.id, "nope", true)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Conflict { message, .. } if message.contains("session_invalid_state")),
        "{error}"
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(409));
}

#[tokio::test]
async fn a_wrong_key_is_an_authentication_error_and_the_key_never_prints() {
    let key = "ciab-secret-key-1234";
    let mock = MockServer::builder()
        .sessions_api_key(Some(key.to_owned()))
        .start()
        .await
        .unwrap();

    let wrong = SessionsClient::builder()
        .base_url(mock.url())
        .api_key("not-the-key")
        .build()
        .unwrap();
    let error = wrong.list_sandboxes().await.unwrap_err();
    assert!(
        matches!(&error, Error::Authentication { message, .. } if message.contains("unauthorized")),
        "{error}"
    );
    let no_key = support::sessions_client(&mock.url());
    assert!(matches!(
        no_key.list_sandboxes().await,
        Err(Error::Authentication { .. })
    ));

    let builder = SessionsClient::builder()
        .base_url(mock.url())
        .api_key(key)
        .header("x-extra", "hunter2");
    let shown = format!("{builder:?}");
    assert!(
        !shown.contains(key) && !shown.contains("hunter2"),
        "{shown}"
    );
    let right = builder.build().unwrap();
    let shown = format!("{right:?}");
    assert!(
        !shown.contains(key) && !shown.contains("hunter2"),
        "{shown}"
    );
    assert!(!format!("{:?}", right.events("x")).contains(key));

    let session = right.create_session(DEMO_SANDBOX_ID).await.unwrap();
    let events = collect(
        right
            .send_and_stream(&session.id, "hi")
            .await
            .unwrap()
            .events,
    )
    .await;
    assert_eq!(events.last().unwrap().event_type(), "session_completed");
}

#[tokio::test]
async fn an_oversized_event_is_skipped_and_the_stream_goes_on() {
    let mock = MockServer::start().await.unwrap();
    let client = SessionsClient::builder()
        .base_url(mock.url())
        .max_event_size(1024)
        .build()
        .unwrap();
    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();
    let path = format!("/api/v1/sessions/{}/stream", session.id);
    mock.faults()
        .add(FaultRule::new("GET", &path, Fault::OversizedEvent { bytes: 4096 }).times(1));

    let events = collect(
        client
            .send_and_stream(&session.id, "hi")
            .await
            .unwrap()
            .events,
    )
    .await;
    assert_eq!(events.len(), 11);
    assert!(
        events
            .iter()
            .all(|e| !matches!(e.kind, EventKind::Unknown { .. }))
    );
    assert_eq!(events.last().unwrap().event_type(), "session_completed");
    let line = serde_json::to_string(&events[0]).unwrap();
    assert!(line.contains(r#""event_type":"queue_updated""#), "{line}");
}

#[tokio::test]
async fn a_server_that_goes_away_ends_the_stream_after_the_allowed_reconnections() {
    let e1 = ("e1", "text_delta", r#"{"text":"hi"}"#);
    let (url, server) = scripted_server(vec![sse_response(&[e1])]).await;
    let client = SessionsClient::builder()
        .base_url(&url)
        .retry(sambanova_agents::RetryPolicy::none())
        .reconnect_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .max_reconnect_attempts(Some(2))
        .build()
        .unwrap();
    let sid = "31d0232d-0000-4000-8000-000000000000";
    let mut events = client.events(sid);
    let first = events.next().await.unwrap().unwrap();
    assert_eq!(first.id, "e1");
    server.await.unwrap();

    let error = events.next().await.unwrap().unwrap_err();
    assert!(
        matches!(&error, Error::ReconnectsExhausted { last, stream }
            if matches!(**last, Error::Connection { .. })
                && stream.reconnects == 2
                && stream.last_event_id.as_deref() == Some("e1")),
        "{error}"
    );
    assert!(events.next().await.is_none());
    assert_eq!(events.reconnects(), 2);
    assert_eq!(events.last_event_id(), Some("e1"));

    // A stream that never connected fails at once, like any call.
    let error = client.events(sid).next().await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Connection { .. }), "{error}");
}

#[tokio::test]
async fn a_permission_request_is_typed_and_answered() {
    let (_mock, client) = setup().await;
    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();
    client
        .set_permission_mode(&session.id, &PermissionMode::ApproveAll)
        .await
        .unwrap();

    let mut events = client
        .send_and_stream(&session.id, "list #permission")
        .await
        .unwrap()
        .events;
    // The turn waits for the answer: it is given as soon as the request arrives.
    let mut request_id = None;
    let mut seen = Vec::new();
    while let Some(event) = events.next().await {
        let event = event.unwrap();
        if let EventKind::PermissionRequest(request) = &event.kind {
            assert_eq!(request.tool_name.as_deref(), Some("Bash"));
            assert_eq!(
                client.get_session(&session.id).await.unwrap().session.state,
                SessionState::WaitingForInput
            );
            client
                .respond_to_permission(&session.id, &request.request_id, true)
                .await
                .unwrap();
            request_id = Some(request.request_id.clone());
        }
        seen.push(event);
    }
    let request_id = request_id.expect("a permission_request");
    let kinds = types(&seen);
    let at = |kind: &str| {
        kinds
            .iter()
            .position(|k| *k == kind)
            .unwrap_or_else(|| panic!("{kind} in {kinds:?}"))
    };
    assert!(at("permission_response") < at("tool_result"), "{kinds:?}");
    assert!(at("tool_result") < at("session_completed"), "{kinds:?}");
    // Answered once: a second answer conflicts.
    let again = client
        .respond_to_permission(&session.id, &request_id, true)
        .await
        .unwrap_err();
    assert!(matches!(again, Error::Conflict { .. }), "{again}");
}

#[tokio::test]
async fn a_placeholder_already_gone_is_resolved_by_name() {
    let (mock, client) = setup().await;
    // The placeholder's stream answers 404, as on the real server once it was replaced.
    mock.faults().add(
        FaultRule::new(
            "GET",
            "/api/v1/sandboxes/*",
            Fault::Status {
                status: 404,
                headers: Vec::new(),
                body: r#"{"error":{"code":"sandbox_not_found","message":"sandbox not found"}}"#
                    .into(),
                content_type: "application/json".into(),
            },
        )
        .times(1),
    );
    let sandbox = client
        .create_sandbox_and_wait(&SandboxSpec::new("claude-code").name("found-by-name"))
        .await
        .unwrap();
    assert_eq!(sandbox.name.as_deref(), Some("found-by-name"));
    assert!(
        mock.requests("GET", "/api/v1/sandboxes") >= 1,
        "found by listing"
    );
    assert!(client.get_sandbox(&sandbox.id).await.is_ok());
}

#[tokio::test]
async fn attach_shows_the_last_turn_not_the_first_of_the_replay() {
    let (_mock, client) = setup().await;
    let session = client.create_session(DEMO_SANDBOX_ID).await.unwrap();
    for text in ["first turn", "second turn"] {
        let turn = client.send_and_stream(&session.id, text).await.unwrap();
        collect(turn.events).await;
    }

    let replayed = collect(client.attach(&session.id).await.unwrap()).await;
    let mut text = TurnText::new();
    text.extend(&replayed);
    assert_eq!(
        text.streamed(),
        "Echo: second turn Done.",
        "{:?}",
        types(&replayed)
    );
    assert_eq!(replayed.last().unwrap().event_type(), "session_completed");
}

/// A Sessions request carries what the call needs and nothing more: no `api-version` (the
/// generator adds one to every request; no server reads it).
#[tokio::test]
async fn a_sessions_request_sends_exactly_its_headers() {
    let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]";
    let (url, server) = scripted_server(vec![answer.to_owned()]).await;
    let client = SessionsClient::builder()
        .base_url(&url)
        .api_key("a-sessions-key")
        .build()
        .expect("client builds");
    let sandboxes = client.list_sandboxes().await.expect("an empty list");
    assert!(sandboxes.is_empty());
    let requests = server.await.expect("the server ran");
    let mut names = support::header_names(&requests[0]);
    names.sort();
    assert_eq!(names, ["accept", "authorization", "host", "user-agent"]);
}
