//! The agent stream client against the mock backend (loopback, no sleeps).

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::StreamExt;
use sambanova_agents::agent_stream::{
    AgentEvent, AgentEventStream, AgentModule, AgentRequest, AgentStreamClient, ChatRequest,
    StatusKind, ToolPhase, TurnText,
};
use sambanova_agents::{AuthFailure, Error};
use sambanova_agents_mock::{Fault, FaultRule, MockServer};
use support::agent_stream_client;

const LOGIN: &str = "/api/v1/auth/login";
const GUIDE_LOGIN: &str = "/api/v1/admin/auth/login";
const REFRESH: &str = "/api/v1/auth/refresh";
const STREAM: &str = "/agent/agent/stream";

/// Every item of a stream, errors included, until it ends.
async fn drain(events: &mut AgentEventStream) -> Vec<Result<AgentEvent, Error>> {
    let mut items = Vec::new();
    while let Some(item) = events.next().await {
        items.push(item);
    }
    items
}

async fn run(
    client: &AgentStreamClient,
    request: &AgentRequest,
) -> (Vec<AgentEvent>, AgentEventStream) {
    let mut events = client.stream(request).await.expect("the stream opens");
    let items = drain(&mut events).await;
    let events_only = items
        .into_iter()
        .map(|item| item.expect("no error in a normal run"))
        .collect();
    (events_only, events)
}

/// A short label per event, to compare whole sequences.
fn label(event: &AgentEvent) -> String {
    match event {
        AgentEvent::Status(status) => format!("status:{}", status.kind.as_str()),
        AgentEvent::Message(chunk) => format!("message:{}", chunk.content),
        AgentEvent::Tool(tool) => format!(
            "tool:{}:{}",
            match &tool.phase {
                ToolPhase::Start => "start",
                ToolPhase::End => "end",
                _ => "other",
            },
            tool.name.as_deref().unwrap_or("?")
        ),
        AgentEvent::Reasoning(reasoning) => format!("reasoning:{:?}", reasoning.phase),
        AgentEvent::ToolCallStart(call) => {
            format!("tool_call_start:{}", call.name.as_deref().unwrap_or("?"))
        }
        AgentEvent::ToolCallArgs(call) => {
            format!("tool_call_args:{}", call.args.as_deref().unwrap_or("?"))
        }
        AgentEvent::ToolCallEnd(_) => "tool_call_end".to_owned(),
        AgentEvent::ToolResult(result) => format!("tool_result:{}", result.text()),
        AgentEvent::ToolCallResult(result) => format!("tool_call_result:{}", result.text()),
        AgentEvent::ToolCalls(calls) => format!("tool_calls:{}", calls.calls.len()),
        AgentEvent::Interrupt(_) => "interrupt".to_owned(),
        AgentEvent::Warning(_) => "warning".to_owned(),
        AgentEvent::Error(_) => "error".to_owned(),
        AgentEvent::Unknown { event, .. } => format!("unknown:{event}"),
        _ => "new kind".to_owned(),
    }
}

#[tokio::test]
async fn login_with_demo_demo() {
    let server = MockServer::start().await.unwrap();
    let client = agent_stream_client(&server.url());
    assert!(client.access_token().is_none());
    let token = client.login().await.expect("demo/demo is accepted");
    assert!(token.expires_at().is_some(), "the mock's JWT carries exp");
    assert_eq!(client.access_token(), Some(token));
    assert_eq!(server.requests("POST", LOGIN), 1);
}

#[tokio::test]
async fn a_wrong_password_is_an_authentication_error() {
    let server = MockServer::start().await.unwrap();
    let client = AgentStreamClient::builder()
        .base_url(server.url())
        .credentials("demo", "wrong")
        .build()
        .unwrap();
    // The server's 403, in its own words (Chinese: "username or password is wrong").
    let error = client.login().await.unwrap_err();
    assert!(
        matches!(error, Error::Authentication { ref message, ref request_id, status, failure: AuthFailure::Rejected, attempts: 1 } if message == "用户名或密码有误" && request_id.is_some() && status.as_u16() == 403),
        "{error:?}"
    );
    let error = client.stream(&AgentRequest::new("hi")).await.unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error:?}");
    assert_eq!(server.requests("POST", STREAM), 0, "no run without a token");
    assert_eq!(
        server.requests("POST", GUIDE_LOGIN),
        0,
        "a refusal is not a missing path"
    );
}

#[tokio::test]
async fn an_unknown_user_is_an_authentication_error_not_a_missing_path() {
    let server = MockServer::start().await.unwrap();
    let client = AgentStreamClient::builder()
        .base_url(server.url())
        .credentials("nobody", "demo")
        .build()
        .unwrap();
    let error = client.login().await.unwrap_err();
    assert!(
        matches!(error, Error::Authentication { ref message, failure: AuthFailure::Rejected, .. } if message == "用户名或密码有误"),
        "{error:?}"
    );
    assert_eq!(server.requests("POST", GUIDE_LOGIN), 0);
}

#[tokio::test]
async fn a_run_is_a_stream_of_typed_events_in_order() {
    let server = MockServer::start().await.unwrap();
    let client = agent_stream_client(&server.url());
    let (events, stream) = run(&client, &AgentRequest::new("hello there")).await;
    let labels: Vec<String> = events.iter().map(label).collect();
    assert_eq!(
        labels,
        [
            "status:processing",
            "status:sandbox_ready",
            "status:agent_start",
            "tool_call_start:bash",
            r#"tool_call_args:{"command": "echo hi"}"#,
            "tool_call_end",
            "tool_result:hi",
            "message:Echo: ",
            "message:hello there",
            "status:complete",
        ]
    );
    assert!(matches!(
        &events[0],
        AgentEvent::Status(s) if s.module.as_deref() == Some("general") && s.message.is_some()
    ));
    let AgentEvent::Status(ready) = &events[1] else {
        panic!("not a status: {:?}", events[1]);
    };
    assert_eq!(ready.kind, StatusKind::SandboxReady);
    assert!(stream.turn_ended());
    assert_eq!(stream.sandbox_id(), ready.sandbox_id.as_deref());
    assert!(stream.request_id().is_some());
    assert!(stream.interrupt().is_none());
    let thread = stream
        .thread_id()
        .expect("the server named the thread it created");
    assert_ne!(thread, "__default__");
}

#[tokio::test]
async fn the_text_accumulator_joins_the_message_chunks() {
    let server = MockServer::start().await.unwrap();
    let client = agent_stream_client(&server.url());
    let (events, _) = run(&client, &AgentRequest::new("build me a bridge")).await;
    let mut answer = TurnText::new();
    answer.extend(&events);
    let chunks: String = events
        .iter()
        .filter_map(|event| match event {
            AgentEvent::Message(chunk) => Some(chunk.content.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(answer.text(), chunks);
    assert_eq!(answer.text(), "Echo: build me a bridge");
    assert_eq!(answer.chunks(), 2);
}

#[tokio::test]
async fn a_follow_up_reuses_the_thread_the_run_named() {
    let server = MockServer::start().await.unwrap();
    let client = agent_stream_client(&server.url());
    let (_, first) = run(
        &client,
        &AgentRequest::new("create hello.py").conversation("thread-42"),
    )
    .await;
    let thread = first
        .thread_id()
        .expect("the run names its thread")
        .to_owned();
    assert_eq!(thread, "thread-42");
    let (events, second) = run(&client, &AgentRequest::new("run it").thread_id(&thread)).await;
    assert_eq!(second.thread_id(), Some(thread.as_str()));
    assert!(
        events
            .iter()
            .all(|event| event.thread_id().is_none_or(|id| id == thread))
    );
    assert_eq!(server.requests("POST", LOGIN), 1, "one login for both runs");
}

#[tokio::test]
async fn an_interrupt_is_answered_with_interrupt_feedback() {
    let server = MockServer::start().await.unwrap();
    let client = agent_stream_client(&server.url());
    let request = AgentRequest::new("quantum batteries").module(AgentModule::Research);
    let (events, first) = run(&client, &request).await;
    let Some(AgentEvent::Interrupt(interrupt)) = events.last() else {
        panic!("the research run stops on a plan: {events:?}");
    };
    assert!(first.turn_ended(), "an interrupt ends the run");
    assert_eq!(first.interrupt(), Some(interrupt));
    assert!(
        interrupt
            .content
            .as_deref()
            .is_some_and(|plan| plan.contains("quantum batteries"))
    );
    let values: Vec<_> = interrupt
        .options
        .iter()
        .filter_map(|o| o.value.as_deref())
        .collect();
    assert_eq!(values, ["accepted", "edit_plan"]);

    let answer = AgentRequest::answer(interrupt, "accepted").module(AgentModule::Research);
    let (events, second) = run(&client, &answer).await;
    let mut text = TurnText::new();
    text.extend(&events);
    assert!(
        text.text()
            .starts_with("Continuing the research on quantum batteries (feedback: accepted)"),
        "{}",
        text.text()
    );
    assert!(matches!(events.last(), Some(AgentEvent::Status(s)) if s.kind == StatusKind::Complete));
    assert!(second.interrupt().is_none());
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_before_the_request() {
    // Tokens live 30 s; the client renews those expiring within its 60 s margin: every
    // token is "expiring" at once, with no waiting.
    let server = MockServer::builder()
        .token_ttl(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let client = agent_stream_client(&server.url());
    run(&client, &AgentRequest::new("one")).await;
    assert_eq!(server.requests("POST", LOGIN), 1);
    assert_eq!(server.requests("POST", REFRESH), 0);
    let first = client.access_token().unwrap();

    run(&client, &AgentRequest::new("two")).await;
    assert_eq!(
        server.requests("POST", REFRESH),
        1,
        "refreshed with the login's cookie"
    );
    assert_eq!(server.requests("POST", LOGIN), 1, "no second login");
    assert_eq!(
        server.requests("POST", STREAM),
        2,
        "no request was refused and resent"
    );
    let refreshed = client.access_token().unwrap();
    assert_ne!(refreshed, first);

    // The refresh spent the cookie: the next renewal is a new login.
    run(&client, &AgentRequest::new("three")).await;
    assert_eq!(server.requests("POST", REFRESH), 1, "a refresh works once");
    assert_eq!(server.requests("POST", LOGIN), 2, "logged in again");
    assert_eq!(server.requests("POST", STREAM), 3);
    assert_ne!(client.access_token().unwrap(), refreshed);
}

#[tokio::test]
async fn a_fresh_token_is_not_renewed() {
    let server = MockServer::start().await.unwrap();
    let client = agent_stream_client(&server.url());
    run(&client, &AgentRequest::new("one")).await;
    run(&client, &AgentRequest::new("two")).await;
    assert_eq!(server.requests("POST", LOGIN), 1);
    assert_eq!(server.requests("POST", REFRESH), 0);
}

#[tokio::test]
async fn a_401_renews_the_token_and_resends_once() {
    let server = MockServer::start().await.unwrap();
    server
        .faults()
        .add(FaultRule::new("POST", STREAM, Fault::status(401)).times(1));
    let client = agent_stream_client(&server.url());
    let (events, _) = run(&client, &AgentRequest::new("again")).await;
    assert!(matches!(events.last(), Some(AgentEvent::Status(s)) if s.kind == StatusKind::Complete));
    assert_eq!(server.requests("POST", STREAM), 2);
    assert_eq!(server.requests("POST", LOGIN), 1);
    assert_eq!(
        server.requests("POST", REFRESH),
        1,
        "renewed with the refresh cookie"
    );
}

#[tokio::test]
async fn a_401_with_an_expired_refresh_logs_in_again() {
    let server = MockServer::start().await.unwrap();
    server
        .faults()
        .add(FaultRule::new("POST", STREAM, Fault::status(401)).times(1));
    server
        .faults()
        .add(FaultRule::new("POST", REFRESH, Fault::status(401)).times(1));
    let client = agent_stream_client(&server.url());
    run(&client, &AgentRequest::new("again")).await;
    assert_eq!(server.requests("POST", STREAM), 2);
    assert_eq!(server.requests("POST", REFRESH), 1);
    assert_eq!(server.requests("POST", LOGIN), 2, "logged in again");
}

#[tokio::test]
async fn a_second_401_is_returned_not_retried() {
    let server = MockServer::start().await.unwrap();
    server
        .faults()
        .add(FaultRule::new("POST", STREAM, Fault::status(401)));
    let client = agent_stream_client(&server.url());
    let error = client.stream(&AgentRequest::new("x")).await.unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error:?}");
    assert_eq!(server.requests("POST", STREAM), 2, "sent once, resent once");
}

#[tokio::test]
async fn a_token_alone_works_until_refused() {
    let server = MockServer::start().await.unwrap();
    let token = agent_stream_client(&server.url()).login().await.unwrap();
    let client = AgentStreamClient::builder()
        .base_url(server.url())
        .access_token(token.expose_secret())
        .build()
        .unwrap();
    run(&client, &AgentRequest::new("with a stored token")).await;
    assert_eq!(
        server.requests("POST", LOGIN),
        1,
        "only the first client logged in"
    );

    server
        .faults()
        .add(FaultRule::new("POST", STREAM, Fault::status(401)).times(1));
    let error = client
        .stream(&AgentRequest::new("refused"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error:?}");
    assert_eq!(
        server.requests("POST", STREAM),
        2,
        "nothing to renew with: not resent"
    );
}

#[tokio::test]
async fn an_expired_token_alone_asks_for_a_login_before_sending() {
    let server = MockServer::start().await.unwrap();
    let client = AgentStreamClient::builder()
        .base_url(server.url())
        .access_token(EXPIRED_JWT)
        .build()
        .unwrap();
    let error = client.stream(&AgentRequest::new("hi")).await.unwrap_err();
    assert!(
        matches!(error, Error::Authentication { ref message, failure: AuthFailure::TokenExpired, .. } if message.contains("log in again")),
        "{error:?}"
    );
    assert_eq!(server.requests("POST", STREAM), 0);
}

#[tokio::test]
async fn the_servers_own_refusal_of_a_revoked_token_is_reported() {
    let server = MockServer::start().await.unwrap();
    let first = agent_stream_client(&server.url());
    let revoked = first.login().await.unwrap();
    // Another client's token: a refresh on `first` revokes it.
    let holder = AgentStreamClient::builder()
        .base_url(server.url())
        .access_token(revoked.expose_secret())
        .build()
        .unwrap();
    server
        .faults()
        .add(FaultRule::new("POST", STREAM, Fault::status(401)).times(1));
    run(&first, &AgentRequest::new("renews by refresh")).await;
    assert_eq!(server.requests("POST", REFRESH), 1);
    let error = holder.stream(&AgentRequest::new("hi")).await.unwrap_err();
    assert!(
        matches!(error, Error::Authentication { ref message, failure: AuthFailure::TokenExpired, .. } if message.contains("Token 已过期")),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_sixth_login_in_a_minute_is_rate_limited_with_the_servers_wait() {
    let server = MockServer::start().await.unwrap();
    let client = agent_stream_client(&server.url());
    for _ in 0..5 {
        client.login().await.unwrap();
    }
    let error = client.login().await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(after), request_id: Some(_), attempts: 1 } if (1..=60).contains(&after.as_secs())),
        "{error:?}"
    );
    assert_eq!(server.requests("POST", LOGIN), 6, "not retried");
}

#[tokio::test]
async fn a_rate_limited_login_is_not_retried() {
    let server = MockServer::start().await.unwrap();
    server.faults().add(FaultRule::new(
        "POST",
        LOGIN,
        Fault::too_many_requests_after_secs(60),
    ));
    let error = agent_stream_client(&server.url())
        .login()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(after), .. } if after == Duration::from_secs(60)),
        "{error:?}"
    );
    assert_eq!(server.requests("POST", LOGIN), 1);
}

#[tokio::test]
async fn debug_never_shows_the_password_or_the_token() {
    let server = MockServer::builder()
        .agent_stream_user("alice", "pw-hunter2")
        .start()
        .await
        .unwrap();
    let client = AgentStreamClient::builder()
        .base_url(server.url())
        .credentials("alice", "pw-hunter2")
        .header("x-team-secret", "team-hunter3")
        .build()
        .unwrap();
    let token = client.login().await.unwrap();
    let (_, events) = run(&client, &AgentRequest::new("hi")).await;
    for shown in [
        format!("{client:?}"),
        format!("{token:?}"),
        format!("{:?}", client.access_token()),
        format!("{events:?}"),
    ] {
        for secret in ["pw-hunter2", "team-hunter3", token.expose_secret()] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

#[tokio::test]
async fn a_stalled_stream_times_out_and_is_not_resent() {
    let server = MockServer::start().await.unwrap();
    server.faults().add(FaultRule::new(
        "POST",
        STREAM,
        Fault::StallStream { after_events: 2 },
    ));
    // Short, but long enough that a loaded machine does not fire it between the first events.
    let idle = Duration::from_secs(1);
    let client = AgentStreamClient::builder()
        .base_url(server.url())
        .credentials("demo", "demo")
        .stall_timeout(idle)
        .build()
        .unwrap();
    let mut events = client.stream(&AgentRequest::new("stall")).await.unwrap();
    let items = drain(&mut events).await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert!(items[..2].iter().all(Result::is_ok));
    assert!(
        matches!(items[2], Err(Error::Stalled { after, .. }) if after == idle),
        "{:?}",
        items[2]
    );
    assert_eq!(
        server.requests("POST", STREAM),
        1,
        "a run is never started twice"
    );
}

#[tokio::test]
async fn an_oversized_event_is_a_typed_error_and_the_run_goes_on() {
    let server = MockServer::start().await.unwrap();
    server.faults().add(FaultRule::new(
        "POST",
        STREAM,
        Fault::OversizedEvent { bytes: 256 * 1024 },
    ));
    let client = AgentStreamClient::builder()
        .base_url(server.url())
        .credentials("demo", "demo")
        .max_event_size(64 * 1024)
        .build()
        .unwrap();
    let mut events = client.stream(&AgentRequest::new("big")).await.unwrap();
    let items = drain(&mut events).await;
    assert!(
        matches!(items[0], Err(Error::ResponseTooLarge { limit, .. }) if limit == 64 * 1024),
        "{:?}",
        items[0]
    );
    assert!(items[1..].iter().all(Result::is_ok));
    assert!(events.turn_ended());
}

#[tokio::test]
async fn a_stream_cut_before_the_end_is_an_error() {
    let server = MockServer::start().await.unwrap();
    server.faults().add(FaultRule::new(
        "POST",
        STREAM,
        Fault::CloseStreamAfter { events: 4 },
    ));
    let client = agent_stream_client(&server.url());
    let mut events = client.stream(&AgentRequest::new("cut")).await.unwrap();
    let items = drain(&mut events).await;
    assert_eq!(items.len(), 5, "{items:?}");
    assert!(
        matches!(items[4], Err(Error::StreamEnded { .. })),
        "{:?}",
        items[4]
    );
    assert!(!events.turn_ended());
}

#[tokio::test]
async fn a_response_that_is_not_an_event_stream_is_unexpected() {
    let server = MockServer::start().await.unwrap();
    server.faults().add(FaultRule::new(
        "POST",
        STREAM,
        Fault::WrongContentType {
            content_type: "text/html".into(),
        },
    ));
    let error = agent_stream_client(&server.url())
        .stream(&AgentRequest::new("x"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::UnexpectedResponse { ref body, .. } if body.contains("event: status")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_gateway_error_is_retried_and_a_server_error_is_typed() {
    let server = MockServer::start().await.unwrap();
    server
        .faults()
        .add(FaultRule::new("POST", STREAM, Fault::status(503)).times(1));
    let client = AgentStreamClient::builder()
        .base_url(server.url())
        .credentials("demo", "demo")
        .retry(sambanova_agents::RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    run(&client, &AgentRequest::new("after a 503")).await;
    assert_eq!(server.requests("POST", STREAM), 2);

    server
        .faults()
        .add(FaultRule::new("POST", STREAM, Fault::status(500)).times(1));
    let error = client.stream(&AgentRequest::new("x")).await.unwrap_err();
    assert!(
        matches!(error, Error::Server(ref e) if e.http_status == 500),
        "{error:?}"
    );
    assert_eq!(
        server.requests("POST", STREAM),
        3,
        "a 500 may have run the agent: not resent"
    );
}

#[tokio::test]
async fn invalid_requests_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await.unwrap();
    let error = agent_stream_client(&server.url())
        .stream(&AgentRequest::new("x").max_step_num(11))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    assert_eq!(server.requests("POST", LOGIN), 0);
}

#[tokio::test]
async fn concurrent_first_runs_share_one_login() {
    let server = MockServer::start().await.unwrap();
    let client = agent_stream_client(&server.url());
    let requests = [
        AgentRequest::new("a"),
        AgentRequest::new("b"),
        AgentRequest::new("c"),
    ];
    let (a, b, c) = tokio::join!(
        run(&client, &requests[0]),
        run(&client, &requests[1]),
        run(&client, &requests[2]),
    );
    assert!([a.1, b.1, c.1].iter().all(AgentEventStream::turn_ended));
    assert_eq!(server.requests("POST", LOGIN), 1);
    assert_eq!(server.requests("POST", STREAM), 3);
}

#[tokio::test]
async fn a_refused_stored_token_falls_back_to_the_credentials() {
    let server = MockServer::start().await.unwrap();
    let client = AgentStreamClient::builder()
        .base_url(server.url())
        .access_token("a-token-the-server-never-issued")
        .credentials("demo", "demo")
        .build()
        .unwrap();
    run(&client, &AgentRequest::new("hi")).await;
    assert_eq!(
        server.requests("POST", STREAM),
        2,
        "refused once, resent once"
    );
    assert_eq!(server.requests("POST", LOGIN), 1);
    assert_ne!(
        client.access_token().unwrap().expose_secret(),
        "a-token-the-server-never-issued"
    );
}

/// The client and its streams go across tasks (a CLI spawns them; servers share clients).
#[test]
fn clients_futures_and_streams_are_send() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>() {}
    send_sync::<AgentStreamClient>();
    send_sync::<AgentRequest>();
    send_sync::<AgentEventStream>();
    let client = AgentStreamClient::builder()
        .access_token("t")
        .build()
        .unwrap();
    let request = AgentRequest::new("x");
    send(&client.stream(&request));
    send(&client.login());
}

/// Everything this test binary logged from the moment the first test asked, at TRACE, from
/// every crate but the test's own httpmock server (the SDK's spans, reqwest's and hyper's
/// records).
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        use tracing_subscriber::util::SubscriberInitExt;
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        // httpmock's server logs what it receives, cookies included: it is the test's server,
        // not the client under test.
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace,httpmock=off"))
            .with_ansi(false)
            .with_writer(move || SharedWriter(sink.clone()))
            .finish()
            .try_init()
            .expect("the only subscriber of this test binary");
        buffer
    })
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_password_token_or_refresh_cookie_reaches_the_logs() {
    let logs = logs();
    let server = MockServer::builder()
        .agent_stream_user("carol", "pw-canary-93b1c7")
        .token_ttl(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    // A 401 and an expiring token: the run goes through login, refresh and a resend.
    server
        .faults()
        .add(FaultRule::new("POST", STREAM, Fault::status(401)).times(1));
    let client = AgentStreamClient::builder()
        .base_url(server.url())
        .credentials("carol", "pw-canary-93b1c7")
        .build()
        .unwrap();
    let mut tokens = Vec::new();
    tokens.push(client.login().await.unwrap());
    run(&client, &AgentRequest::new("one")).await;
    tokens.extend(client.access_token());
    run(&client, &AgentRequest::new("two")).await;
    tokens.extend(client.access_token());
    assert!(
        server.requests("POST", REFRESH) >= 2,
        "the refresh path ran"
    );
    let wrong = AgentStreamClient::builder()
        .base_url(server.url())
        .credentials("carol", "pw-canary-wrong")
        .build()
        .unwrap();
    let refused = wrong.login().await.unwrap_err();

    let text =
        String::from_utf8_lossy(&logs.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    assert!(
        text.contains("new access token"),
        "the SDK's own records are captured"
    );
    let mut secrets = vec!["pw-canary-93b1c7".to_owned(), "pw-canary-wrong".to_owned()];
    secrets.extend(tokens.iter().map(|token| token.expose_secret().to_owned()));
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "the logs show {secret:?}");
        for shown in [
            format!("{refused:?}"),
            refused.to_string(),
            format!("{client:?}"),
        ] {
            assert!(!shown.contains(secret.as_str()), "{shown}");
        }
    }
    let leak = text
        .find("agents_backend_refresh_token=")
        .map(|i| text[i.saturating_sub(300)..(i + 100).min(text.len())].to_owned());
    assert!(leak.is_none(), "the logs show the refresh cookie: {leak:?}");
}

/// `{"alg":"HS256"}.{"exp":1}.sig`: a token that expired in 1970.
const EXPIRED_JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln";

const CHAT_EVENTS: &str = "event: message\ndata: {\"type\":\"chunk\",\"content\":\"Because.\",\"thread_id\":\"th-9\"}\n\n\
                           : keepalive\n\n\
                           event: status\ndata: {\"type\":\"complete\"}\n\n";

/// What goes on the wire, checked by a server that matches requests field by field: the JSON
/// login (with the captcha), the bearer token and no `X-API-Key`, and the chat's own body.
#[tokio::test]
async fn the_wire_format_of_login_and_chat() {
    use httpmock::Method::POST;
    let server = httpmock::MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(LOGIN)
                .header("content-type", "application/json")
                .json_body(serde_json::json!({"username": "dave", "password": "p&ss=word", "uuid": "cap-1", "captcha": "x7"}));
            then.status(200)
                .header("content-type", "application/json")
                .header("set-cookie", "agents_backend_refresh_token=r-1; HttpOnly; Path=/")
                .body(r#"{"code":200,"msg":"Request success","data":{"access_token":"tok-1","access_token_expire_time":"2099-01-01T00:00:00Z"}}"#);
        })
        .await;
    let chat = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/agent/chat/stream")
                .header("authorization", "Bearer tok-1")
                .header("content-type", "application/json")
                .header_missing("x-api-key")
                .json_body(serde_json::json!({
                    "thread_id": "th-9",
                    "messages": [{"role": "user", "content": "why?"}],
                    "enable_web_search": true,
                    "enable_clarification": true,
                    "interrupt_before_tools": ["crawl_tool"],
                }));
            then.status(200)
                .header("content-type", "text/event-stream; charset=utf-8")
                .body(CHAT_EVENTS);
        })
        .await;
    let client = AgentStreamClient::builder()
        .base_url(server.base_url())
        .credentials("dave", "p&ss=word")
        .captcha("cap-1", "x7")
        .build()
        .unwrap();
    let request = ChatRequest::new("why?")
        .thread_id("th-9")
        .web_search(true)
        .clarification(true)
        .interrupt_before_tool("crawl_tool");
    let mut events = client.chat_stream(&request).await.expect("the chat opens");
    let items = drain(&mut events).await;
    login.assert_async().await;
    chat.assert_async().await;
    let mut answer = TurnText::new();
    for item in &items {
        answer.push(item.as_ref().expect("no error"));
    }
    assert_eq!(answer.text(), "Because.");
    assert_eq!(events.thread_id(), Some("th-9"));
    assert!(events.turn_ended());
}

/// An expired token is refreshed before the run, with the cookie the login set.
#[tokio::test]
async fn the_refresh_sends_back_the_login_cookie() {
    use httpmock::Method::POST;
    let server = httpmock::MockServer::start_async().await;
    let login = server
        .mock_async(|when, then| {
            when.method(POST).path(LOGIN);
            then.status(200)
                .header("content-type", "application/json")
                .header(
                    "set-cookie",
                    "agents_backend_refresh_token=r-1; HttpOnly; Path=/",
                )
                .body(format!(r#"{{"data":{{"access_token":"{EXPIRED_JWT}"}}}}"#));
        })
        .await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(REFRESH)
                .header("cookie", "agents_backend_refresh_token=r-1");
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"code":200,"data":{"access_token":"tok-2"}}"#);
        })
        .await;
    let run = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(STREAM)
                .header("authorization", "Bearer tok-2");
            then.status(200)
                .header("content-type", "text/event-stream")
                .body(CHAT_EVENTS);
        })
        .await;
    let client = AgentStreamClient::builder()
        .base_url(server.base_url())
        .credentials("demo", "demo")
        .build()
        .unwrap();
    let token = client.login().await.unwrap();
    assert!(
        token
            .expires_at()
            .is_some_and(|at| at < std::time::SystemTime::now())
    );
    let mut events = client
        .stream(&AgentRequest::new("hi"))
        .await
        .expect("opens with tok-2");
    assert!(drain(&mut events).await.iter().all(Result::is_ok));
    login.assert_async().await;
    refresh.assert_async().await;
    run.assert_async().await;
}

#[tokio::test]
async fn a_failed_early_refresh_falls_back_to_the_still_valid_token() {
    let server = MockServer::builder()
        .token_ttl(Duration::from_secs(30))
        .start()
        .await
        .unwrap();
    let client = agent_stream_client(&server.url());
    let token = client.login().await.unwrap();
    // Within the 60 s margin but valid for 30 s: renewal is attempted, and both ways fail.
    server
        .faults()
        .add(FaultRule::new("POST", REFRESH, Fault::status(502)).times(1));
    server
        .faults()
        .add(FaultRule::new("POST", LOGIN, Fault::status(502)).times(1));
    run(&client, &AgentRequest::new("still fine")).await;
    assert_eq!(server.requests("POST", REFRESH), 1);
    assert_eq!(server.requests("POST", LOGIN), 2);
    assert_eq!(client.access_token(), Some(token), "the old token served");
}

/// The guide's form login, for deployments that follow the guide: tried only when the JSON
/// path is missing (404 "Not Found"), then remembered.
#[tokio::test]
async fn the_guide_form_login_is_tried_when_the_json_path_is_missing() {
    use httpmock::Method::POST;
    let server = httpmock::MockServer::start_async().await;
    let missing = server
        .mock_async(|when, then| {
            when.method(POST).path(LOGIN);
            then.status(404)
                .header("content-type", "application/json")
                .body(r#"{"code":404,"msg":"Not Found","data":null,"trace_id":"t-1"}"#);
        })
        .await;
    let guide = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(GUIDE_LOGIN)
                .form_urlencoded_tuple("username", "demo")
                .form_urlencoded_tuple("password", "demo");
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"code":200,"data":{"access_token":"tok-g"}}"#);
        })
        .await;
    let client = AgentStreamClient::builder()
        .base_url(server.base_url())
        .credentials("demo", "demo")
        .build()
        .unwrap();
    assert_eq!(client.login().await.unwrap().expose_secret(), "tok-g");
    client.login().await.expect("and is remembered");
    missing.assert_calls_async(1).await;
    guide.assert_calls_async(2).await;
}

/// After the guide's form login (with the captcha), the refresh goes to the guide's path too,
/// with the cookie that login set.
#[tokio::test]
async fn after_the_guide_login_the_refresh_uses_the_guide_path() {
    use httpmock::Method::POST;
    let server = httpmock::MockServer::start_async().await;
    let missing = server
        .mock_async(|when, then| {
            when.method(POST).path_matches("^/api/v1/auth/");
            then.status(404)
                .header("content-type", "application/json")
                .body(r#"{"detail":"Not Found"}"#);
        })
        .await;
    let guide = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(GUIDE_LOGIN)
                .header("content-type", "application/x-www-form-urlencoded")
                .form_urlencoded_tuple("username", "demo")
                .form_urlencoded_tuple("password", "demo")
                .form_urlencoded_tuple("uuid", "cap-1")
                .form_urlencoded_tuple("captcha", "x7");
            then.status(200)
                .header("content-type", "application/json")
                .header("set-cookie", "fba_refresh_token=r-g; HttpOnly; Path=/")
                .body(format!(r#"{{"data":{{"access_token":"{EXPIRED_JWT}"}}}}"#));
        })
        .await;
    let refresh = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v1/admin/auth/token/refresh")
                .header("cookie", "fba_refresh_token=r-g");
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"access_token":"tok-g2","token_type":"bearer","expires_in":1800}"#);
        })
        .await;
    let run = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(STREAM)
                .header("authorization", "Bearer tok-g2");
            then.status(200)
                .header("content-type", "text/event-stream")
                .body(CHAT_EVENTS);
        })
        .await;
    let client = AgentStreamClient::builder()
        .base_url(server.base_url())
        .credentials("demo", "demo")
        .captcha("cap-1", "x7")
        .build()
        .unwrap();
    client.login().await.expect("the guide's login answers");
    let mut events = client
        .stream(&AgentRequest::new("hi"))
        .await
        .expect("opens with the refreshed token");
    assert!(drain(&mut events).await.iter().all(Result::is_ok));
    missing.assert_calls_async(1).await;
    guide.assert_calls_async(1).await;
    refresh.assert_calls_async(1).await;
    run.assert_async().await;
    assert_eq!(
        client.access_token().map(|t| t.expose_secret().to_owned()),
        Some("tok-g2".to_owned())
    );
}
