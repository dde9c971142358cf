//! What came back with an answer (`ResponseMeta`), and what a single call may set: its own
//! headers, timeout, retry policy and a deadline as an instant — on the agent calls, on the
//! Sessions builders and on the agent stream's. Served by httpmock, the mock servers and
//! scripted loopback servers.

mod support;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use sambanova_agents::agent_stream::{AgentRequest, AgentStreamClient, TurnText as AgentText};
use sambanova_agents::sessions::{PendingRequest, SandboxSpec, SessionEvent};
use sambanova_agents::{Error, ErrorKind, RetryPolicy};
use sambanova_agents_mock::{DEMO_SANDBOX_ID, Fault, FaultRule};
use support::{
    Then, agent_stream_client, agent_stream_client_builder, client, json_response, scripted_server,
    scripted_server_then, session_event, sessions_client, sessions_client_builder, turn_end,
};

const KEY: &str = "00000000-0000-4000-8000-000000000000";

const COMPLETED: &str = r#"{"status":"completed","result":"42","thread_id":null}"#;

#[tokio::test]
async fn an_outcome_carries_the_status_headers_request_id_and_attempts_of_its_answer() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/agent/mainagent");
            then.status(200)
                .header("content-type", "application/json")
                .header("x-request-id", "req-42")
                .header("x-ratelimit-remaining", "17")
                .body(COMPLETED);
        })
        .await;
    let outcome = client(&server.base_url(), KEY)
        .main_agent()
        .run("hello")
        .await
        .expect("a completed run");
    let meta = outcome.meta();
    assert_eq!(meta.status().as_u16(), 200);
    assert_eq!(meta.request_id(), Some("req-42"));
    assert_eq!(meta.attempts(), 1);
    assert_eq!(meta.headers()["x-ratelimit-remaining"], "17");
    assert!(meta.elapsed() > Duration::ZERO);
    let completion = outcome.into_completion().expect("completed");
    assert_eq!(completion.meta().request_id(), Some("req-42"));
}

#[tokio::test]
async fn a_retried_answer_counts_every_attempt() {
    let limited = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 0\r\ncontent-length: 0\r\n\r\n";
    let (url, server) = scripted_server(vec![limited.into(), json_response(COMPLETED)]).await;
    let outcome = client(&url, KEY)
        .main_agent()
        .run("hello")
        .await
        .expect("a completed run");
    assert_eq!(outcome.meta().attempts(), 2);
    assert_eq!(server.await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_header_set_for_a_call_reaches_the_wire() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/agent/mainagent").header("x-team", "research");
            then.status(200)
                .header("content-type", "application/json")
                .body(COMPLETED);
        })
        .await;
    client(&server.base_url(), KEY)
        .main_agent()
        .header("x-team", "research")
        .run("hello")
        .await
        .expect("the header matched");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_deadline_already_passed_fails_as_a_timeout_without_sending() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .header("content-type", "application/json")
                .body(COMPLETED);
        })
        .await;
    let error = client(&server.base_url(), KEY)
        .main_agent()
        .deadline_at(Instant::now())
        .run("hello")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert!(
        matches!(
            error,
            Error::Timeout {
                deadline: true,
                attempts: 0,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .ends_with("deadline of 0 s: nothing was sent"),
        "{error}"
    );
    mock.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_header_http_does_not_allow_fails_the_call_before_sending() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let error = client(&server.base_url(), KEY)
        .main_agent()
        .header("bad header", "x")
        .run("hello")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    mock.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_attempt_cut_short_by_the_deadline_names_the_deadline() {
    let (url, _server) = scripted_server_then(vec![(String::new(), Then::HoldOpen)]).await;
    let error = client(&url, KEY)
        .main_agent()
        .timeout(Duration::from_secs(600))
        .deadline(Duration::from_millis(50))
        .run("hello")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                deadline: true,
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .ends_with("the run may still be going on the server"),
        "{error}"
    );
}

// The Sessions API and the agent stream: every call is a builder.

/// A stored user message, stamped before the turn's events.
const USER_MESSAGE: &str = r#"{"id":"m1","session_id":"s","role":"user","content":[{"type":"text","text":"hi"}],"timestamp":"2026-11-22T11:00:00Z"}"#;

#[tokio::test]
async fn a_sessions_call_with_response_answers_its_status_request_id_and_attempts() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/sandboxes");
            then.status(200)
                .header("content-type", "application/json")
                .header("x-request-id", "req-7")
                .body("[]");
        })
        .await;
    let sessions = sessions_client(&server.base_url());
    let sandboxes = sessions
        .list_sandboxes()
        .with_response()
        .await
        .expect("a list");
    assert!(sandboxes.is_empty());
    assert_eq!(sandboxes.meta().status().as_u16(), 200);
    assert_eq!(sandboxes.meta().request_id(), Some("req-7"));
    assert_eq!(sandboxes.meta().attempts(), 1);
    let (list, meta) = sandboxes.into_parts();
    assert!(list.is_empty());
    assert_eq!(meta.request_id(), Some("req-7"));
}

#[tokio::test]
async fn a_header_set_on_a_sessions_call_reaches_the_wire() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/sessions/s/permissions/r-1/respond")
                .header("x-team", "research");
            then.status(200)
                .header("content-type", "application/json")
                .body("{}");
        })
        .await;
    let sessions = sessions_client(&server.base_url());
    let event = SessionEvent::from_json(
        r#"{"event_type":"permission_request","data":{"request_id":"r-1","tool_name":"Bash"}}"#,
    );
    let pending = PendingRequest::from_event("s", &event).expect("a permission request");
    sessions
        .resume(&pending)
        .expect("a valid request")
        .approve()
        .header("x-team", "research")
        .await
        .expect("the header matched");
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_sessions_call_past_its_deadline_fails_as_a_timeout_without_sending() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .header("content-type", "application/json")
                .body("[]");
        })
        .await;
    let sessions = sessions_client(&server.base_url());
    let error = sessions
        .list_sandboxes()
        .deadline_at(Instant::now())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    let spec = SandboxSpec::new("claude-code");
    let error = sessions
        .create_sandbox_and_wait(&spec)
        .deadline_at(Instant::now())
        .with_response()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    let error = sessions
        .send_and_stream("s", "hi")
        .deadline_at(Instant::now())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    mock.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_sessions_calls_retry_policy_is_its_own() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v1/sandboxes/b");
            then.status(503)
                .header("content-type", "application/json")
                .body(r#"{"detail":"busy"}"#);
        })
        .await;
    let sessions = sessions_client_builder(&server.base_url())
        .retry(
            RetryPolicy::default()
                .max_retries(2)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let error = sessions
        .get_sandbox("b")
        .retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{error:?}");
    mock.assert_calls_async(1).await;
    // The client's policy retries the same read.
    sessions.get_sandbox("b").await.unwrap_err();
    mock.assert_calls_async(4).await;
}

#[tokio::test]
async fn a_sessions_calls_timeout_is_its_own() {
    let mock = sambanova_agents_mock::MockServer::start().await.unwrap();
    mock.faults()
        .add(FaultRule::new("GET", "/api/v1/sandboxes", Fault::Stall));
    let sessions = sessions_client(&mock.url());
    let error = sessions
        .list_sandboxes()
        .timeout(Duration::from_millis(50))
        .retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    assert_eq!(mock.requests("GET", "/api/v1/sandboxes"), 1);
}

#[tokio::test]
async fn a_turn_shows_its_messages_answer_and_its_streams_opening() {
    let mock = sambanova_agents_mock::MockServer::start().await.unwrap();
    let sessions = sessions_client(&mock.url());
    let session = sessions.create_session(DEMO_SANDBOX_ID).await.unwrap();

    let turn = sessions.send_and_stream(&session.id, "hi").await.unwrap();
    let opening = turn.meta().expect("the stream connected");
    assert_eq!(opening.status().as_u16(), 200);
    assert!(opening.request_id().is_some());
    let content_type = opening.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );

    let mut turn = sessions
        .send_and_stream(&session.id, "again")
        .header("x-team", "research")
        .with_response()
        .await
        .unwrap();
    let message = turn.meta().clone();
    assert_eq!((message.status().as_u16(), message.attempts()), (200, 1));
    let stream = turn.events.meta().expect("the stream connected").clone();
    assert!(stream.request_id().is_some());
    assert_ne!(message.request_id(), stream.request_id(), "two answers");
    let mut text = sambanova_agents::sessions::TurnText::new();
    while let Some(event) = turn.events.next().await {
        text.push(&event.unwrap());
    }
    assert_eq!(text.text(), "Echo: again Done.");
}

#[tokio::test]
async fn a_session_stream_shows_its_opening_answer_once_connected() {
    let body = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx-request-id: req-s\r\nconnection: close\r\n\r\n{}{}",
        session_event("e1", "text_delta", r#"{"text":"a"}"#, 1),
        turn_end(2)
    );
    let (url, server) = scripted_server(vec![body]).await;
    let sessions = sessions_client(&url);
    let mut events = sessions.events("s").until_turn_end();
    assert!(events.meta().is_none(), "not connected yet");
    events.next().await.expect("an event").expect("no error");
    let meta = events.meta().expect("connected");
    assert_eq!(meta.request_id(), Some("req-s"));
    assert_eq!(meta.attempts(), 1);
    assert_eq!(server.await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_header_set_on_send_and_stream_reaches_both_of_its_requests() {
    let stream = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n{}{}",
        session_event("e1", "text_delta", r#"{"text":"a"}"#, 1),
        turn_end(2)
    );
    let (url, server) = scripted_server(vec![stream, json_response(USER_MESSAGE)]).await;
    let sessions = sessions_client(&url);
    let mut turn = sessions
        .send_and_stream("s", "hi")
        .header("x-team", "research")
        .await
        .unwrap();
    while let Some(event) = turn.events.next().await {
        event.unwrap();
    }
    let requests = server.await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[0].starts_with("GET /api/v1/sessions/s/stream"),
        "{}",
        requests[0]
    );
    assert!(
        requests[1].starts_with("POST /api/v1/sessions/s/messages"),
        "{}",
        requests[1]
    );
    for request in &requests {
        assert!(
            request.to_ascii_lowercase().contains("x-team: research"),
            "{request}"
        );
    }
}

const RUN_EVENTS: &str = "event: message\ndata: {\"type\":\"chunk\",\"content\":\"Hi.\"}\n\nevent: status\ndata: {\"type\":\"complete\"}\n\n";

fn agent_stream_of(base_url: &str) -> AgentStreamClient {
    agent_stream_client_builder(base_url)
        .access_token("tok-1")
        .build()
        .expect("client builds")
}

#[tokio::test]
async fn the_agent_stream_takes_a_calls_header_and_shows_its_answer() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/agent/agent/stream")
                .header("x-team", "research");
            then.status(200)
                .header("content-type", "text/event-stream")
                .header("x-request-id", "run-1")
                .body(RUN_EVENTS);
        })
        .await;
    let client = agent_stream_of(&server.base_url());
    let request = AgentRequest::new("hi");
    let mut events = client
        .stream(&request)
        .header("x-team", "research")
        .with_response()
        .await
        .expect("the run opens");
    assert_eq!(events.meta().status().as_u16(), 200);
    assert_eq!(events.meta().request_id(), Some("run-1"));
    assert_eq!(events.meta().attempts(), 1);
    let mut answer = AgentText::new();
    while let Some(event) = events.next().await {
        answer.push(&event.unwrap());
    }
    assert_eq!(answer.text(), "Hi.");
    let (events, _) = events.into_parts();
    assert_eq!(events.meta().and_then(|m| m.request_id()), Some("run-1"));
    mock.assert_calls_async(1).await;

    // Plain `.await` answers the stream, which shows the same.
    let events = client
        .stream(&request)
        .header("x-team", "research")
        .await
        .unwrap();
    assert_eq!(events.meta().map(|m| m.status().as_u16()), Some(200));
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn an_agent_stream_past_its_deadline_sends_nothing_not_even_a_login() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .header("content-type", "text/event-stream")
                .body(RUN_EVENTS);
        })
        .await;
    let client = agent_stream_client(&server.base_url());
    let request = AgentRequest::new("hi");
    let error = client
        .stream(&request)
        .deadline_at(Instant::now())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
    mock.assert_calls_async(0).await;
}

#[tokio::test]
async fn the_agent_streams_retry_policy_and_timeout_are_the_calls() {
    let limited = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 0\r\ncontent-length: 0\r\n\r\n";
    let (url, server) = scripted_server(vec![limited.into()]).await;
    let client = agent_stream_client_builder(&url)
        .access_token("tok-1")
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let request = AgentRequest::new("hi");
    let error = client
        .stream(&request)
        .retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited, "{error:?}");
    assert_eq!(server.await.unwrap().len(), 1, "one attempt");

    let mock = sambanova_agents_mock::MockServer::start().await.unwrap();
    mock.faults()
        .add(FaultRule::new("POST", "/agent/agent/stream", Fault::Stall));
    let client = agent_stream_of(&mock.url());
    let error = client
        .stream(&request)
        .timeout(Duration::from_millis(50))
        .retry(RetryPolicy::none())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout, "{error:?}");
}
