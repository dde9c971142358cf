//! Pauses that outlive the process: a plan saved as a token by one client, resumed, revised
//! and approved by others that share nothing with it but the server (each a new `Client`,
//! as a second process would build).

use sambanova_agents::{AgentKind, Client, Plan, PlanToken, Upload};
use sambanova_agents_mock::MockServer;

mod support;

/// A client as a new process builds it.
fn new_process(mock: &MockServer) -> Client {
    support::agents_client(mock)
}

/// What a process saves when it stops at a plan.
fn saved(plan: &Plan) -> String {
    plan.token().expect("a plan from an agent call").to_json()
}

#[tokio::test]
async fn a_research_plan_is_revised_and_approved_from_other_processes() {
    let mock = MockServer::start().await.unwrap();
    let first = new_process(&mock)
        .deep_research()
        .interactive("AI accelerator market")
        .await
        .unwrap()
        .into_plan()
        .unwrap();
    let token = PlanToken::from_json(&saved(&first)).unwrap();
    assert_eq!(token.agent(), AgentKind::DeepResearch);
    assert_eq!(token.thread_id(), first.thread_id());

    let revised = new_process(&mock)
        .resume(&token)
        .unwrap()
        .revise("Add a section on power use")
        .await
        .unwrap()
        .into_plan()
        .unwrap();
    assert_eq!(revised.thread_id(), first.thread_id());
    assert_ne!(
        revised.text(),
        first.text(),
        "the plan follows the feedback"
    );

    let token = PlanToken::from_json(&saved(&revised)).unwrap();
    let report = new_process(&mock)
        .resume(&token)
        .unwrap()
        .approve()
        .await
        .unwrap()
        .into_completion()
        .unwrap();
    assert!(!report.text().is_empty());
    assert_eq!(report.thread_id.as_deref(), Some(first.thread_id()));
    // Plan, revise, approve: three requests, one per process.
    assert_eq!(
        mock.requests("POST", "/api/agent/deepresearch/interactive"),
        3
    );
}

#[tokio::test]
async fn a_data_science_hypothesis_keeps_its_files_across_processes() {
    let mock = MockServer::start().await.unwrap();
    let plan = new_process(&mock)
        .data_science()
        .interactive(
            [Upload::bytes(
                "sales.csv",
                "region,total\nEMEA,10\nAPAC,12\n",
            )],
            "Which region grows fastest?",
        )
        .await
        .unwrap()
        .into_plan()
        .unwrap();
    let token = PlanToken::from_json(&saved(&plan)).unwrap();
    let resumed = new_process(&mock).resume(&token).unwrap();
    assert_eq!(resumed.file_ids(), plan.file_ids());
    let report = resumed.approve().await.unwrap().into_html().unwrap();
    assert_eq!(report.thread_id.as_deref(), Some(plan.thread_id()));
}

#[tokio::test]
async fn a_detached_plan_has_no_token_and_a_bad_token_sends_nothing() {
    let mock = MockServer::start().await.unwrap();
    assert!(Plan::detached("p", "t").token().is_none());
    let token: PlanToken =
        serde_json::from_str(r#"{"version":7,"agent":"deep_research","thread_id":"t","plan":"p"}"#)
            .unwrap();
    assert!(new_process(&mock).resume(&token).is_err());
    assert_eq!(
        mock.requests("POST", "/api/agent/deepresearch/interactive"),
        0
    );
}

#[tokio::test]
async fn an_agent_stream_interrupt_is_answered_from_another_process() {
    use futures_util::StreamExt;
    use sambanova_agents::agent_stream::{
        AgentEvent, AgentModule, AgentRequest, AgentStreamClient, Interrupt, TurnText,
    };

    let mock = MockServer::start().await.unwrap();
    let new_process = || {
        AgentStreamClient::builder()
            .base_url(mock.url())
            .credentials("demo", "demo")
            .build()
            .unwrap()
    };
    let request = AgentRequest::new("quantum batteries").module(AgentModule::Research);
    let mut first = new_process().stream(&request).await.unwrap();
    while let Some(event) = first.next().await {
        event.unwrap();
    }
    let saved = serde_json::to_string(first.interrupt().expect("the run stops on a plan")).unwrap();
    drop(first);

    let interrupt: Interrupt = serde_json::from_str(&saved).unwrap();
    let answer = AgentRequest::answer(&interrupt, "accepted").module(AgentModule::Research);
    let mut second = new_process().stream(&answer).await.unwrap();
    let mut text = TurnText::new();
    while let Some(event) = second.next().await {
        let event = event.unwrap();
        assert!(!matches!(event, AgentEvent::Interrupt(_)), "{event:?}");
        text.push(&event);
    }
    assert!(
        text.text()
            .starts_with("Continuing the research on quantum batteries (feedback: accepted)"),
        "{}",
        text.text()
    );
}

/// Sends `text` in a new session and stops at the first request the turn waits on, as a
/// process that exits there would; gives back the session and the saved request.
async fn stop_at_the_first_request(mock: &MockServer, text: &str) -> (String, String) {
    use futures_util::StreamExt;
    use sambanova_agents::sessions::{PendingRequest, SessionsClient};

    let client = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    let session = client
        .create_session(sambanova_agents_mock::DEMO_SANDBOX_ID)
        .await
        .unwrap();
    let mut turn = client.send_and_stream(&session.id, text).await.unwrap();
    while let Some(event) = turn.events.next().await {
        if let Some(pending) = PendingRequest::from_event(&session.id, &event.unwrap()) {
            return (session.id, pending.to_json());
        }
    }
    panic!("the turn asked nothing");
}

/// What a new process sees when it attaches to the session: the turn's text, to its end.
async fn attached_text(mock: &MockServer, session_id: &str) -> String {
    use futures_util::StreamExt;
    use sambanova_agents::sessions::{SessionsClient, TurnText};

    let client = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    let mut events = client.attach(session_id).await.unwrap();
    let mut text = TurnText::new();
    while let Some(event) = events.next().await {
        text.push(&event.unwrap());
    }
    text.text().to_owned()
}

#[tokio::test]
async fn a_tool_permission_is_answered_and_the_turn_followed_from_other_processes() {
    use sambanova_agents::sessions::{PendingKind, PendingRequest, SessionsClient};

    let mock = MockServer::start().await.unwrap();
    let (session_id, saved) = stop_at_the_first_request(&mock, "list #permission").await;
    let pending = PendingRequest::from_json(&saved).unwrap();
    assert_eq!(pending.kind(), PendingKind::Permission);
    assert_eq!(pending.tool_name(), Some("Bash"));
    let second = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    assert!(
        second
            .resume(&pending)
            .unwrap()
            .answer("yes")
            .await
            .is_err()
    );
    second.resume(&pending).unwrap().approve().await.unwrap();
    let text = attached_text(&mock, &session_id).await;
    assert!(text.contains("Done."), "{text}");
}

#[tokio::test]
async fn a_question_is_answered_from_another_process() {
    use sambanova_agents::sessions::{PendingKind, PendingRequest, SessionsClient};

    let mock = MockServer::start().await.unwrap();
    let (session_id, saved) = stop_at_the_first_request(&mock, "#question").await;
    let pending = PendingRequest::from_json(&saved).unwrap();
    assert_eq!(pending.kind(), PendingKind::Question);
    let second = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    assert!(second.resume(&pending).unwrap().approve().await.is_err());
    second
        .resume(&pending)
        .unwrap()
        .answer("blue")
        .await
        .unwrap();
    let text = attached_text(&mock, &session_id).await;
    assert!(text.contains("blue"), "{text}");
}

#[test]
fn a_pending_request_of_another_version_or_without_ids_is_refused() {
    use sambanova_agents::sessions::PendingRequest;

    for json in [
        r#"{"version":2,"session_id":"s","request_id":"r","kind":"permission"}"#,
        r#"{"version":1,"session_id":"","request_id":"r","kind":"permission"}"#,
        r#"{"version":1,"session_id":"s","request_id":"r","kind":"wish"}"#,
    ] {
        assert!(PendingRequest::from_json(json).is_err(), "{json}");
    }
}

#[tokio::test]
async fn wait_follows_a_turn_to_its_pause_then_to_its_end() {
    use std::time::{Duration, Instant};

    use sambanova_agents::sessions::{PendingKind, SessionsClient, TurnWait};

    let mock = MockServer::start().await.unwrap();
    let first = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    let session = first
        .create_session(sambanova_agents_mock::DEMO_SANDBOX_ID)
        .await
        .unwrap();
    // The first process sends and exits; the others wait.
    first
        .send_message(&session.id, "list #permission")
        .await
        .unwrap();
    let generous = || Instant::now() + Duration::from_secs(60);
    let second = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    let TurnWait::Paused(pending) = second.wait(&session.id, generous()).await.unwrap() else {
        panic!("the turn waits on the permission");
    };
    assert_eq!(pending.kind(), PendingKind::Permission);
    second.resume(&pending).unwrap().approve().await.unwrap();
    let third = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    // The answered request is replayed from the turn's start: it no longer stops the wait.
    let TurnWait::Ended { text, end } = third.wait(&session.id, generous()).await.unwrap() else {
        panic!("the turn ends");
    };
    assert!(text.contains("Done."), "{text}");
    assert!(end.is_some_and(|event| event.is_turn_end()));
}

#[tokio::test]
async fn a_deadline_already_passed_fails_as_a_timeout_without_following() {
    use std::time::Instant;

    use sambanova_agents::Error;
    use sambanova_agents::sessions::SessionsClient;

    let mock = MockServer::start().await.unwrap();
    let client = SessionsClient::builder()
        .base_url(mock.url())
        .build()
        .unwrap();
    let error = client
        .wait("31d0232d-0000-4000-8000-000000000000", Instant::now())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    let path = "/api/v1/sessions/31d0232d-0000-4000-8000-000000000000";
    assert_eq!(mock.requests("GET", path), 0);
    // What the wait would have asked first, counted once asked.
    let _ = client
        .get_session("31d0232d-0000-4000-8000-000000000000")
        .await;
    assert_eq!(mock.requests("GET", path), 1);
}

#[tokio::test]
async fn wait_follows_an_agent_run_to_its_interrupt_then_to_its_end() {
    use std::time::{Duration, Instant};

    use sambanova_agents::agent_stream::{AgentModule, AgentRequest, AgentStreamClient, RunWait};

    let mock = MockServer::start().await.unwrap();
    let client = AgentStreamClient::builder()
        .base_url(mock.url())
        .credentials("demo", "demo")
        .build()
        .unwrap();
    let generous = || Instant::now() + Duration::from_secs(60);
    let request = AgentRequest::new("quantum batteries").module(AgentModule::Research);
    let mut run = client.stream(&request).await.unwrap();
    let RunWait::Paused(interrupt) = run.wait(generous()).await.unwrap() else {
        panic!("the research run stops on its plan");
    };
    let answer = AgentRequest::answer(&interrupt, "accepted").module(AgentModule::Research);
    let mut run = client.stream(&answer).await.unwrap();
    let RunWait::Ended { text } = run.wait(generous()).await.unwrap() else {
        panic!("the run ends");
    };
    assert!(text.starts_with("Continuing the research"), "{text}");
}
