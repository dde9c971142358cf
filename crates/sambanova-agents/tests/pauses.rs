//! Pauses that outlive the process: a plan saved as a token by one client, resumed, revised
//! and approved by others that share nothing with it but the server (each a new `Client`,
//! as a second process would build).

use sambanova_agents::{AgentKind, Client, Plan, PlanToken, Upload};
use sambanova_agents_mock::{MockServer, TEST_API_KEY};

/// A client as a new process builds it.
fn new_process(mock: &MockServer) -> Client {
    Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(mock.agents_url())
        .build()
        .expect("client builds")
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
