//! The real server's recorded answers (`tests/fixtures/agent-stream/`, byte for byte) replayed
//! through the SDK: the login and its token, the once-only refresh, errors before a stream,
//! and both streams' events.

use std::time::SystemTime;

use futures_util::StreamExt;
use httpmock::Method::POST;
use httpmock::MockServer;
use sambanova_agents::agent_stream::{
    AgentEvent, AgentEventStream, AgentModule, AgentRequest, AgentStreamClient, ChatRequest,
    MessageSource, StatusKind, TurnText,
};
use sambanova_agents::{AuthFailure, Error};

const LOGIN: &str = "/api/v1/auth/login";
const REFRESH: &str = "/api/v1/auth/refresh";
const AGENT: &str = "/agent/agent/stream";
const CHAT: &str = "/agent/chat/stream";
/// The scripted LLM's answer in every captured chat.
const SCRIPTED: &str = "This is a scripted answer from the offline fake LLM.\n\n## Summary\n\nNo external service was contacted.";

/// A recorded answer: status, headers (those a replay can repeat) and the body's bytes.
struct Capture {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn capture(name: &str) -> Capture {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/agent-stream");
    let head = std::fs::read_to_string(format!("{dir}/{name}.h")).unwrap();
    let body = std::fs::read(format!("{dir}/{name}.b")).unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .filter(|(name, _)| {
            // The replaying server frames the body itself.
            ![
                "content-length",
                "transfer-encoding",
                "connection",
                "date",
                "server",
            ]
            .contains(&name.to_ascii_lowercase().as_str())
        })
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    Capture {
        status,
        headers,
        body,
    }
}

/// `{"alg":"HS256","typ":"JWT"}.{"exp":4102444800,"sub":"1"}.sig`: a token valid until 2100.
const VALID_UNTIL_2100: &str =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjQxMDI0NDQ4MDAsInN1YiI6IjEifQ.c2ln";

/// The capture with its access token replaced by one valid until 2100: the recorded tokens
/// expire a day after the recording, and a renewal flow must not depend on today's date.
fn with_lasting_token(mut recorded: Capture) -> Capture {
    let mut body: serde_json::Value = serde_json::from_slice(&recorded.body).unwrap();
    body["data"]["access_token"] = VALID_UNTIL_2100.into();
    recorded.body = body.to_string().into_bytes();
    recorded
}

/// Answers `path` with the capture `name`, for requests `when` accepts.
async fn replay<'a>(
    server: &'a MockServer,
    path: &str,
    name: &str,
    when: impl FnOnce(httpmock::When) -> httpmock::When,
) -> httpmock::Mock<'a> {
    serve(server, path, capture(name), when).await
}

async fn serve<'a>(
    server: &'a MockServer,
    path: &str,
    recorded: Capture,
    when: impl FnOnce(httpmock::When) -> httpmock::When,
) -> httpmock::Mock<'a> {
    server
        .mock_async(|w, then| {
            when(w.method(POST).path(path));
            let mut then = then.status(recorded.status);
            for (name, value) in &recorded.headers {
                then = then.header(name, value);
            }
            then.body(recorded.body.clone());
        })
        .await
}

fn with_token(server: &MockServer) -> AgentStreamClient {
    AgentStreamClient::builder()
        .base_url(server.base_url())
        .access_token("captured-access-token")
        .build()
        .unwrap()
}

async fn drain(events: &mut AgentEventStream) -> Vec<AgentEvent> {
    let mut items = Vec::new();
    while let Some(item) = events.next().await {
        items.push(item.expect("a captured stream has no error item"));
    }
    items
}

async fn chat(name: &str, request: &ChatRequest) -> (Vec<AgentEvent>, AgentEventStream) {
    let server = MockServer::start_async().await;
    replay(&server, CHAT, name, |w| w).await;
    let mut events = with_token(&server).chat_stream(request).await.unwrap();
    let items = drain(&mut events).await;
    (items, events)
}

#[tokio::test]
async fn the_captured_login_gives_a_token_that_expires_with_its_jwt() {
    let server = MockServer::start_async().await;
    let login = replay(&server, LOGIN, "login", |w| {
        w.json_body(serde_json::json!({"username": "admin", "password": "123456"}))
    })
    .await;
    let client = AgentStreamClient::builder()
        .base_url(server.base_url())
        .credentials("admin", "123456")
        .build()
        .unwrap();
    let token = client.login().await.unwrap();
    login.assert_async().await;
    // The JWT's exp (1796200353.88), not the answer's naive "2026-12-02 16:32:33".
    let expiry = token
        .expires_at()
        .unwrap()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap();
    assert_eq!(expiry.as_secs(), 1_796_200_353);
    assert_eq!(client.access_token(), Some(token));
}

#[tokio::test]
async fn the_captured_refresh_is_used_once_then_the_client_logs_in_again() {
    let server = MockServer::start_async().await;
    let login = serve(&server, LOGIN, with_lasting_token(capture("login")), |w| w).await;
    let cookie = capture("login")
        .headers
        .iter()
        .find(|(name, _)| name == "set-cookie")
        .map(|(_, value)| value.split(';').next().unwrap().to_owned())
        .unwrap();
    let refreshed = with_lasting_token(capture("refresh"));
    let refresh = serve(&server, REFRESH, refreshed, |w| w.header("cookie", &cookie)).await;
    // Every run is refused as the revoked token was: each forces a renewal.
    let refused = replay(&server, AGENT, "old_token_after_refresh", |w| w).await;
    let client = AgentStreamClient::builder()
        .base_url(server.base_url())
        .credentials("admin", "123456")
        .build()
        .unwrap();
    client.login().await.unwrap();
    let error = client.stream(&AgentRequest::new("hi")).await.unwrap_err();
    assert!(
        matches!(error, Error::Authentication { ref message, failure: AuthFailure::TokenExpired, .. } if message.contains("Token 已过期")),
        "{error:?}"
    );
    refresh.assert_calls_async(1).await;
    login.assert_calls_async(1).await;
    refused.assert_calls_async(2).await;
    // The cookie is spent: the next renewal is a login, not a second refresh.
    client
        .stream(&AgentRequest::new("again"))
        .await
        .unwrap_err();
    refresh.assert_calls_async(1).await;
    login.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_refused_refresh_falls_back_to_a_login() {
    let server = MockServer::start_async().await;
    let login = serve(&server, LOGIN, with_lasting_token(capture("login")), |w| w).await;
    let refresh = replay(&server, REFRESH, "refresh_again", |w| w).await;
    replay(&server, AGENT, "old_token_after_refresh", |w| w).await;
    let client = AgentStreamClient::builder()
        .base_url(server.base_url())
        .credentials("admin", "123456")
        .build()
        .unwrap();
    client.login().await.unwrap();
    client.stream(&AgentRequest::new("hi")).await.unwrap_err();
    refresh.assert_calls_async(1).await;
    login.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_refused_token_alone_reports_the_servers_words() {
    let server = MockServer::start_async().await;
    replay(&server, AGENT, "chat_badtoken", |w| w).await;
    let error = with_token(&server)
        .stream(&AgentRequest::new("hi"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Authentication { ref message, ref request_id, failure: AuthFailure::TokenInvalid, .. } if message == "Token 无效" && request_id.is_some()),
        "{error:?}"
    );
}

#[tokio::test]
async fn errors_before_a_stream_come_from_the_call() {
    let server = MockServer::start_async().await;
    replay(&server, AGENT, "agent_501", |w| {
        w.json_body_includes(r#"{"module":"ppt"}"#)
    })
    .await;
    let error = with_token(&server)
        .stream(&AgentRequest::new("slides").module(AgentModule::Ppt))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not yet implemented"), "{error}");
    assert_eq!(error.request_id(), Some("95765dc2ca4e40a2b84edb4604ba3a44"));

    let server = MockServer::start_async().await;
    replay(&server, CHAT, "chat_noauth", |w| w).await;
    let error = with_token(&server)
        .chat_stream(&ChatRequest::new("hi"))
        .await
        .unwrap_err();
    assert_eq!(
        error.auth_failure(),
        Some(AuthFailure::Missing),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_captured_chat_counts_each_piece_once_and_names_its_thread() {
    let (events, stream) = chat("chat_stream", &ChatRequest::new("hi")).await;
    let mut answer = TurnText::new();
    answer.extend(&events);
    assert_eq!(answer.text(), SCRIPTED);
    assert_eq!(answer.chunks(), 2);
    let twins = events
        .iter()
        .filter(|e| matches!(e, AgentEvent::Message(m) if m.source == MessageSource::MessageChunk && !m.content.is_empty()))
        .count();
    assert_eq!(twins, 2, "the server did send each piece twice");
    assert_eq!(
        stream.thread_id(),
        Some("d806acf8-a96b-4c81-add1-f4e2f21e956f")
    );
    assert!(stream.turn_ended(), "the model's stop ends a chat turn");
    assert!(stream.interrupt().is_none());
}

#[tokio::test]
async fn a_captured_chat_tool_call_is_whole_and_its_result_comes_twice() {
    let (events, _) = chat("chat_stream_tool", &ChatRequest::new("read it")).await;
    let start = events.iter().find_map(|e| match e {
        AgentEvent::ToolCallStart(s) => Some(s),
        _ => None,
    });
    let start = start.expect("a tool_call_start");
    assert_eq!(
        (start.id.as_deref(), start.name.as_deref()),
        (Some("call_55db3b509cb2"), Some("crawl_tool"))
    );
    let args: String = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::ToolCallArgs(a) => a.args.clone(),
            _ => None,
        })
        .collect();
    let args: serde_json::Value = serde_json::from_str(&args).unwrap();
    let calls = events
        .iter()
        .find_map(|e| match e {
            AgentEvent::ToolCalls(c) => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(calls.calls[0].args, args, "the delta and tool_calls agree");
    let results: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            AgentEvent::ToolResult(r) | AgentEvent::ToolCallResult(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0].call_id(), Some("call_55db3b509cb2"));
    assert!(results[0].text().contains("PDF files cannot be crawled"));
    let mut answer = TurnText::new();
    answer.extend(&events);
    assert_eq!(answer.text(), SCRIPTED);
}

#[tokio::test]
async fn a_captured_chat_interrupt_is_answered_on_its_thread() {
    let (events, stream) = chat("chat_stream_hitl", &ChatRequest::new("plan it")).await;
    assert!(matches!(events.last(), Some(AgentEvent::Interrupt(_))));
    let interrupt = stream.interrupt().expect("kept for the answer");
    let values: Vec<_> = interrupt
        .options
        .iter()
        .filter_map(|o| o.value.as_deref())
        .collect();
    assert_eq!(values, ["accepted", "feedback"]);
    assert_eq!(interrupt.context.questions, ["Proceed with plan A?"]);
    assert_eq!(
        interrupt.context.allowed_decisions,
        ["approve", "edit", "reject"]
    );
    assert_eq!(stream.thread_id(), Some("hitl-1"));
    let answer = ChatRequest::answer(interrupt, "accepted");
    assert_eq!(
        (answer.get_thread_id(), answer.get_interrupt_feedback()),
        (Some("hitl-1"), Some("accepted"))
    );
    // The server's answer to it asks again.
    let (events, resumed) = chat("chat_stream_resume", &answer).await;
    assert!(matches!(events.last(), Some(AgentEvent::Interrupt(_))));
    assert_ne!(resumed.interrupt().unwrap().id, interrupt.id);
}

#[tokio::test]
async fn a_captured_failed_chat_is_an_error_event_with_its_thread() {
    let (events, stream) = chat("chat_stream_unpatched", &ChatRequest::new("hi")).await;
    let [AgentEvent::Error(notice)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(
        notice.message.as_deref(),
        Some("Error during graph execution")
    );
    assert_eq!(
        stream.thread_id(),
        Some("9af3791f-c055-4f5a-8b04-4f97a422b456")
    );
    assert!(stream.turn_ended());
}

#[tokio::test]
async fn a_captured_agent_run_without_a_sandbox_ends_with_its_error() {
    for (name, module) in [
        ("agent_stream", "general"),
        ("agent_stream_research", "research"),
    ] {
        let server = MockServer::start_async().await;
        replay(&server, AGENT, name, |w| w).await;
        let mut stream = with_token(&server)
            .stream(&AgentRequest::new("hi"))
            .await
            .unwrap();
        let events = drain(&mut stream).await;
        let [AgentEvent::Status(status), AgentEvent::Error(error)] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(status.kind, StatusKind::Processing);
        assert_eq!(status.module.as_deref(), Some(module));
        assert_eq!(error.kind.as_deref(), Some("sandbox_error"));
        assert!(
            error
                .message
                .as_deref()
                .is_some_and(|m| m.starts_with("Failed to create sandbox"))
        );
        assert!(stream.turn_ended());
        assert_eq!(stream.request_id().map(str::len), Some(32));
    }
}

#[test]
fn every_fixture_pairs_headers_and_body() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/agent-stream");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "h") {
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            let recorded = capture(&name);
            assert!((200..600).contains(&recorded.status), "{name}");
            assert!(
                recorded.headers.iter().any(|(n, _)| n == "x-request-id"),
                "{name}: every answer carries x-request-id"
            );
            count += 1;
        }
    }
    assert_eq!(count, 21);
}
