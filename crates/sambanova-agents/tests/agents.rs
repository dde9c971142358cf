//! Every agent operation against the mock server, which behaves like the real one.

mod support;

use sambanova_agents::{AgentOutcome, AgentStatus, Client, Error, Upload};
use sambanova_agents_mock::{MockServer, TEST_API_KEY};

async fn setup() -> (MockServer, Client) {
    let mock = MockServer::start().await.expect("mock starts");
    let client = support::agents_client(&mock);
    (mock, client)
}

#[tokio::test]
async fn deep_research_plan_revise_approve_report() {
    let (mock, client) = setup().await;
    let plan = client
        .deep_research()
        .interactive("AI accelerator market")
        .await
        .unwrap()
        .into_plan()
        .unwrap();
    assert!(
        plan.plain_text().contains("type 'approve'"),
        "{}",
        plan.text()
    );
    assert_eq!(plan.thread_id().len(), 36);

    let revised = plan
        .revise("Add a section on power use")
        .await
        .unwrap()
        .into_plan()
        .unwrap();
    assert_eq!(revised.thread_id(), plan.thread_id());
    assert_ne!(revised.text(), plan.text());

    let report = revised.approve().await.unwrap().into_completion().unwrap();
    assert!(
        report.text().starts_with('#'),
        "markdown report: {}",
        report.text()
    );
    assert_eq!(report.thread_id.as_deref(), Some(plan.thread_id()));
    assert!(report.request_id.is_some());
    assert_eq!(
        mock.requests("POST", "/api/agent/deepresearch/interactive"),
        3
    );
}

#[tokio::test]
async fn deep_research_fire_and_forget() {
    let (_mock, client) = setup().await;
    let report = client
        .deep_research()
        .run("Solid-state batteries")
        .await
        .unwrap()
        .into_completion()
        .unwrap();
    assert!(!report.text().is_empty());
    assert!(
        report.artifacts.is_empty(),
        "deep research has no artifacts field"
    );
}

#[tokio::test]
async fn main_agent_plain_and_interactive() {
    let (_mock, client) = setup().await;
    let answer = client
        .main_agent()
        .run("What is 2+2?")
        .await
        .unwrap()
        .into_completion()
        .unwrap();
    assert!(!answer.text().is_empty());
    let first = client.main_agent().interactive("Hello").await.unwrap();
    let thread = first.thread_id().expect("a thread").to_owned();
    let again = client
        .main_agent()
        .resume(&thread, "And again")
        .await
        .unwrap();
    assert_eq!(again.thread_id(), Some(thread.as_str()));
}

#[tokio::test]
async fn coding_artifacts_download_and_save() {
    let (_mock, client) = setup().await;
    let run = client
        .coding()
        .run(
            "import matplotlib\nplt.savefig('../sine wave.png')\nprint('done')",
            "plot",
        )
        .await
        .unwrap()
        .into_completion()
        .unwrap();
    assert_eq!(run.artifacts.len(), 1, "{}", run.text());
    let download = client.files().download(&run.artifacts[0]).await.unwrap();
    assert_eq!(download.file_name(), Some("sine wave.png"));
    let bytes = download.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));

    let dir = tempfile::tempdir().unwrap();
    let saved = client
        .files()
        .save(&run.artifacts[0], dir.path())
        .await
        .unwrap();
    assert_eq!(saved.path, dir.path().join("sine wave.png"));
    assert_eq!(saved.bytes, bytes.len() as u64);
    let again = client
        .files()
        .save(&run.artifacts[0], dir.path())
        .await
        .unwrap();
    assert_eq!(
        again.path,
        dir.path().join("sine wave (1).png"),
        "never overwrites"
    );
}

#[tokio::test]
async fn coding_interactive_completes_even_when_code_fails() {
    let (_mock, client) = setup().await;
    let outcome = client.coding().interactive("1/0", "run it").await.unwrap();
    let done = outcome.into_completion().unwrap();
    assert!(done.text().contains("Traceback"));
    let thread = done.thread_id.clone().unwrap();
    let resumed = client
        .coding()
        .resume(&thread, "print('x')", "again")
        .await
        .unwrap();
    assert_eq!(
        resumed.thread_id(),
        Some(thread.as_str()),
        "the thread id is echoed"
    );
}

#[tokio::test]
async fn financial_result_is_json_in_a_string() {
    let (_mock, client) = setup().await;
    let analysis = client
        .financial()
        .run("Analyse NVDA")
        .await
        .unwrap()
        .into_completion()
        .unwrap();
    assert!(analysis.json().unwrap().is_object());
    let interactive = client
        .financial()
        .interactive("Analyse AMD")
        .await
        .unwrap()
        .into_completion()
        .unwrap();
    assert!(interactive.thread_id.is_some());
}

#[tokio::test]
async fn data_science_report_and_hypothesis_loop() {
    let (_mock, client) = setup().await;
    let csv = "region,total\nEMEA,10\nAPAC,12\n";
    let report = client
        .data_science()
        .run(
            [Upload::bytes("sales.csv", csv)],
            "Which region grows fastest?",
        )
        .await
        .unwrap()
        .into_html()
        .unwrap();
    assert!(report.html().contains('<'));
    assert!(report.to_document().starts_with("<!DOCTYPE html>"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sales.csv");
    std::fs::write(&path, csv).unwrap();
    let plan = client
        .data_science()
        .interactive([Upload::path(&path)], "Which region grows fastest?")
        .await
        .unwrap()
        .into_plan()
        .unwrap();
    assert_eq!(plan.file_ids().len(), 1);
    let revised = plan
        .revise("Focus on APAC")
        .await
        .unwrap()
        .into_plan()
        .unwrap();
    assert_eq!(revised.file_ids(), plan.file_ids());
    let report = revised.approve().await.unwrap().into_html().unwrap();
    assert_eq!(report.thread_id.as_deref(), Some(plan.thread_id()));
}

#[tokio::test]
async fn data_science_from_a_reader() {
    let (_mock, client) = setup().await;
    let upload = Upload::reader("r.csv", &b"a,b\n1,2\n"[..]).await.unwrap();
    let outcome = client
        .data_science()
        .run([upload], "describe")
        .await
        .unwrap();
    assert!(matches!(outcome, AgentOutcome::Html(_)));
}

#[tokio::test]
async fn data_science_without_files_is_refused_locally() {
    let (mock, client) = setup().await;
    let error = client
        .data_science()
        .run(Vec::new(), "describe")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }));
    assert_eq!(mock.requests("POST", "/api/agent/datascience"), 0);
    let error = client
        .data_science()
        .interactive(Vec::new(), "describe")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    assert_eq!(
        mock.requests("POST", "/api/agent/datascience/interactive"),
        0
    );
}

#[tokio::test]
async fn unknown_file_is_not_found_with_request_id() {
    let (_mock, client) = setup().await;
    let error = client
        .files()
        .download("00000000-0000-4000-8000-0000000000ff")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::NotFound { ref message, .. } if message == "File not found or access denied"),
        "{error}"
    );
    assert!(error.request_id().is_some());
}

#[tokio::test]
async fn a_key_that_is_not_uuid_shaped_is_an_authentication_error() {
    let (mock, _) = setup().await;
    let client = Client::builder()
        .api_key("not-a-uuid")
        .base_url(mock.agents_url())
        .build()
        .unwrap();
    let error = client.deep_research().run("x").await.unwrap_err();
    assert!(
        matches!(error, Error::Authentication { ref message, .. } if message == "Invalid API key"),
        "{error}"
    );
    assert!(!error.to_string().contains("not-a-uuid"));
}

#[tokio::test]
async fn resume_of_an_unknown_thread_is_a_server_error() {
    let (_mock, client) = setup().await;
    let error = client
        .deep_research()
        .resume("00000000-0000-4000-8000-00000000dead", "approve")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Server(ref e) if e.http_status == 500 && e.agent_status == Some(AgentStatus::Error)),
        "{error}"
    );
}

#[tokio::test]
async fn an_empty_thread_id_is_refused_locally() {
    let (_mock, client) = setup().await;
    let error = client.main_agent().resume("  ", "x").await.unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }));
}

/// An agent request carries what the call needs and nothing more: no `api-version` (the
/// generator adds one to every request; no server reads it, and it cost a header map's
/// growth per call).
#[tokio::test]
async fn an_agent_request_sends_exactly_its_headers() {
    let answer = support::json_response(r#"{"status": "completed", "result": "done"}"#);
    let (url, server) = support::scripted_server(vec![answer]).await;
    let client = Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(&url)
        .build()
        .expect("client builds");
    let outcome = client.coding().interactive("print(1)", "run it").await;
    assert!(
        matches!(outcome, Ok(AgentOutcome::Completed(_))),
        "{outcome:?}"
    );
    let requests = server.await.expect("the server ran");
    let mut names = support::header_names(&requests[0]);
    names.sort();
    assert_eq!(
        names,
        [
            "accept",
            "authorization",
            "content-length",
            "content-type",
            "host",
            "user-agent"
        ]
    );
}

/// A caller's own `reqwest::Client` gets what the SDK's own client carries (the key, the user
/// agent, the extra headers), added per request, with its own default headers too; a client
/// the SDK builds carries the same extra header. The values are the ones configured.
#[tokio::test]
async fn a_callers_own_http_client_sends_the_same_headers() {
    let answer = support::json_response(r#"{"status": "completed", "result": "done"}"#);
    let mut callers_defaults = reqwest::header::HeaderMap::new();
    callers_defaults.insert("x-from-caller", "yes".parse().expect("a header value"));
    let own = reqwest::Client::builder()
        .default_headers(callers_defaults)
        .build()
        .expect("a reqwest client builds");
    for http in [Some(own), None] {
        let (url, server) = support::scripted_server(vec![answer.clone()]).await;
        let mut builder = Client::builder()
            .api_key(TEST_API_KEY)
            .base_url(&url)
            .user_agent("their-app/2")
            .header("x-team", "blue");
        let callers = http.is_some();
        if let Some(http) = http {
            builder = builder.http_client(http);
        }
        let client = builder.build().expect("client builds");
        let outcome = client.coding().interactive("print(1)", "run it").await;
        assert!(
            matches!(outcome, Ok(AgentOutcome::Completed(_))),
            "{outcome:?}"
        );
        let requests = server.await.expect("the server ran");
        let request = requests[0].to_ascii_lowercase();
        let mut names = support::header_names(&request);
        names.sort();
        let mut expected = vec![
            "accept",
            "authorization",
            "content-length",
            "content-type",
            "host",
            "user-agent",
            "x-team",
        ];
        if callers {
            expected.push("x-from-caller");
        }
        expected.sort();
        assert_eq!(names, expected, "own client: {callers}");
        for line in [
            format!("authorization: bearer {TEST_API_KEY}"),
            "user-agent: their-app/2".to_owned(),
            "x-team: blue".to_owned(),
        ] {
            assert!(request.contains(&line), "{line} in {request}");
        }
    }
}
