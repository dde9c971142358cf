//! The API key never shows: not in TRACE logs (the SDK's, reqwest's, hyper's), not in any
//! error's `Debug` or `Display`, not in the `Debug` of any public type that holds it.
//!
//! Every test here uses the same distinctive keys and writes its logs into one buffer, which
//! each test searches when it is done; a leak from any call fails the test that made it.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::StreamExt;
use sambanova_agents::agent_stream::{AgentRequest, AgentStreamClient};
use sambanova_agents::sessions::SessionsClient;
use sambanova_agents::{
    AgentOutcome, ApiKey, CallOptions, Client, ClientBuilder, Error, RetryPolicy, Upload,
};
use sambanova_agents_mock::{DEMO_SANDBOX_ID, Fault, FaultRule, MockServer};

mod support;

/// UUID-shaped, so the mock accepts it.
const KEY: &str = "5ec7e7ab-cafe-4bad-beef-00c0ffee1ea5";
/// Not UUID-shaped, so the mock answers 401.
const REFUSED_KEY: &str = "sk-canary-do-not-print-7f3a9c";
/// An extra header the caller marks as a secret.
const HEADER_SECRET: &str = "hdr-canary-4d2e8b1f";
/// The agent stream's login password.
const PASSWORD: &str = "pw-canary-91c4e2d7a0";
const SECRETS: [&str; 4] = [KEY, REFUSED_KEY, HEADER_SECRET, PASSWORD];

/// Everything any test logged, at TRACE, from every crate (`log` records included).
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        use tracing_subscriber::util::SubscriberInitExt;
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
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

/// Fails if any secret, alone or as a bearer token, is in `text`.
fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "{what} shows a secret {secret:?}:\n{text}"
        );
    }
    // A key cut at an odd place (say, a truncated header dump) still gives its start away.
    for secret in SECRETS {
        assert!(
            !text.contains(&secret[..12]),
            "{what} shows part of {secret:?}"
        );
    }
}

fn assert_logs_clean() {
    let text = logged();
    // The capture sees the SDK's spans and the HTTP stack's TRACE lines (hyper-util's, and
    // reqwest's through `log`), or it would prove nothing.
    for expected in ["sambanova.request", "hyper_util::client", "reqwest::"] {
        assert!(
            text.contains(expected),
            "no {expected:?} in the log:\n{text}"
        );
    }
    assert_no_secret("the TRACE log", &text);
}

fn logged() -> String {
    let logs = logs()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    String::from_utf8_lossy(&logs).into_owned()
}

/// The tests' client, sending a secret header as well as the key.
fn builder(base_url: &str, key: &str) -> ClientBuilder {
    support::client_builder(base_url, key).header("x-team-secret", HEADER_SECRET)
}

fn show<T: std::fmt::Debug>(what: &str, value: &T) {
    assert_no_secret(what, &format!("{value:?}"));
    assert_no_secret(what, &format!("{value:#?}"));
}

fn show_outcome(what: &str, outcome: &Result<AgentOutcome, Error>) {
    show(what, outcome);
    if let Err(error) = outcome {
        show_error(what, error);
    }
}

fn show_error(what: &str, error: &Error) {
    assert_no_secret(what, &error.to_string());
    show(what, error);
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        assert_no_secret(what, &cause.to_string());
        source = cause.source();
    }
}

#[tokio::test]
async fn successful_calls_log_no_secret() {
    logs();
    let mock = MockServer::start().await.expect("mock starts");
    let client = builder(&mock.agents_url(), KEY)
        .build()
        .expect("client builds");
    show("Client", &client);

    let coding = client.coding();
    show("Coding", &coding);
    let run = coding
        .interactive("import matplotlib\nplt.savefig('x.png')", "Run this")
        .await;
    show_outcome("coding", &run);
    let done = run
        .expect("coding completes")
        .into_completion()
        .expect("done");

    let plan = client.deep_research().interactive("Batteries").await;
    show_outcome("deep research plan", &plan);
    let report = plan
        .expect("a plan")
        .into_plan()
        .expect("plan")
        .approve()
        .await;
    show_outcome("deep research report", &report);

    show_outcome("main", &client.main_agent().run("2+2?").await);
    show_outcome("financial", &client.financial().run("NVDA").await);
    let upload = Upload::bytes("sales.csv", b"month,sales\n1,10\n2,12\n".to_vec());
    show(
        "data science",
        &client
            .data_science()
            .run(vec![upload], "Find the trend")
            .await,
    );

    let files = client.files();
    show("Files", &files);
    for id in &done.artifacts {
        let download = files.download(id).await.expect("download");
        show("Download", &download);
        let dir = tempfile::tempdir().expect("temp dir");
        let saved = files.save(id, dir.path()).await.expect("saved");
        show("SavedFile", &saved);
    }
    assert_logs_clean();
}

#[tokio::test]
async fn failed_calls_log_no_secret() {
    logs();
    let mock = MockServer::start().await.expect("mock starts");
    let url = mock.agents_url();

    // 401 from the server's own check, and from a fault.
    let refused = builder(&url, REFUSED_KEY).build().expect("builds");
    show("Client", &refused);
    let outcome = refused.main_agent().run("hi").await;
    assert!(
        matches!(outcome, Err(Error::Authentication { .. })),
        "{outcome:?}"
    );
    show_outcome("401", &outcome);
    let client = builder(&url, KEY).build().expect("client builds");
    let faults = mock.faults();
    faults.add(FaultRule::new("POST", "/api/agent/mainagent", Fault::status(401)).times(1));
    show_outcome("401 fault", &client.main_agent().run("hi").await);

    // 500, retried 503, 429 that persists, malformed JSON, reset.
    faults.add(FaultRule::new("POST", "/api/agent/financialanalysis", Fault::status(500)).times(1));
    show_outcome("500", &client.financial().run("x").await);
    faults.add(FaultRule::new("POST", "/api/agent/financialanalysis", Fault::status(503)).times(3));
    show_outcome("503", &client.financial().run("x").await);
    faults.add(
        FaultRule::new(
            "POST",
            "/api/agent/financialanalysis",
            Fault::too_many_requests_after_ms(1),
        )
        .times(3),
    );
    show_outcome("429", &client.financial().run("x").await);
    faults
        .add(FaultRule::new("POST", "/api/agent/financialanalysis", Fault::MalformedJson).times(1));
    show_outcome("malformed", &client.financial().run("x").await);
    faults.add(FaultRule::new("POST", "/api/agent/financialanalysis", Fault::Reset).times(1));
    show_outcome("reset", &client.financial().run("x").await);

    // A timeout.
    faults.add(FaultRule::new("POST", "/api/agent/mainagent", Fault::Stall).times(1));
    let options = CallOptions::new().timeout(Duration::from_millis(300));
    show("CallOptions", &options);
    let outcome = client.main_agent().options(options).run("x").await;
    assert!(matches!(outcome, Err(Error::Timeout { .. })), "{outcome:?}");
    show_outcome("timeout", &outcome);

    // A missing file, a download cut short.
    match client
        .files()
        .download("00000000-0000-4000-8000-00000000dead")
        .await
    {
        Err(error) => show_error("404", &error),
        Ok(download) => panic!("a missing file downloaded: {download:?}"),
    }

    // Nothing listening.
    let nowhere = builder(&format!("{}/api", support::refusing_url()), KEY)
        .build()
        .expect("builds");
    show_outcome("refused", &nowhere.main_agent().run("x").await);

    assert_logs_clean();
}

#[tokio::test]
async fn a_key_echoed_as_the_request_id_shows_nowhere() {
    logs();
    let body = format!(r#"{{"error":"Invalid API key: {KEY}"}}"#);
    let refusal = format!(
        "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nx-request-id: {KEY}\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    // A 503 first: the retry's log line shows the request's span, request id included.
    let unavailable = format!(
        "HTTP/1.1 503 Service Unavailable\r\nx-request-id: {KEY}\r\ncontent-length: 0\r\n\
         connection: close\r\n\r\n"
    );
    let (url, _server) =
        support::scripted_server(vec![unavailable, refusal.clone(), refusal]).await;
    let outcome = builder(&url, KEY)
        .build()
        .expect("client builds")
        .main_agent()
        .run("hi")
        .await;
    let Err(error) = &outcome else {
        panic!("a 401 is an error: {outcome:?}");
    };
    assert_eq!(error.request_id(), Some("<redacted>"));
    show_outcome("401 echoing the key as its request id", &outcome);
    match builder(&url, KEY)
        .build()
        .expect("client builds")
        .files()
        .download("file-1")
        .await
    {
        Err(error) => show_error("a download's 401", &error),
        Ok(download) => panic!("a 401 downloaded: {download:?}"),
    }
    assert!(
        logged().contains("request_id=\"<redacted>\""),
        "{}",
        logged()
    );
    assert_logs_clean();
}

#[test]
fn configuration_types_and_errors_show_no_secret() {
    show("ApiKey", &ApiKey::new(KEY).expect("key"));
    show("RetryPolicy", &RetryPolicy::default());
    show(
        "CallOptions",
        &CallOptions::new().retry(RetryPolicy::none()),
    );
    let builder = builder("https://chat.sambanova.ai/api", KEY);
    show("ClientBuilder", &builder);
    show("Client", &builder.build().expect("builds"));

    // Errors about the key or the URL do not repeat the key.
    let with_newline = format!("{KEY}\nX-Injected: 1");
    show_error(
        "a key with a line break",
        &ApiKey::new(with_newline.as_str()).expect_err("refused"),
    );
    show_error(
        "a key with a line break, in the builder",
        &Client::builder()
            .api_key(with_newline)
            .build()
            .expect_err("refused"),
    );
    show_error(
        "plain http to a remote host",
        &Client::builder()
            .api_key(KEY)
            .base_url("http://api.example.com/api")
            .build()
            .expect_err("refused"),
    );
    show_error(
        "credentials in the URL",
        &Client::builder()
            .api_key(KEY)
            .base_url(format!("https://user:{REFUSED_KEY}@api.example.com/api"))
            .build()
            .expect_err("refused"),
    );
    show_error(
        "a header value HTTP cannot carry",
        &Client::builder()
            .api_key(KEY)
            .header("x-team-secret", format!("{HEADER_SECRET}\n"))
            .build()
            .expect_err("refused"),
    );
}

#[tokio::test]
async fn session_and_agent_stream_clients_log_no_secret() {
    logs();
    let mock = MockServer::builder()
        .sessions_api_key(Some(KEY.to_owned()))
        .agent_stream_user("alice", PASSWORD)
        .start()
        .await
        .expect("mock starts");

    // Sessions: the key as bearer, a refused key, a turn streamed to its end.
    let refused = SessionsClient::builder()
        .base_url(mock.url())
        .api_key(REFUSED_KEY)
        .build()
        .expect("builds");
    match refused.list_sandboxes().await {
        Err(error) => show_error("sessions 401", &error),
        Ok(list) => panic!("a refused key listed sandboxes: {list:?}"),
    }
    let sessions_builder = SessionsClient::builder()
        .base_url(mock.url())
        .api_key(KEY)
        .header("x-team-secret", HEADER_SECRET);
    show("SessionsClientBuilder", &sessions_builder);
    let sessions = sessions_builder.build().expect("builds");
    show("SessionsClient", &sessions);
    let session = sessions
        .create_session(DEMO_SANDBOX_ID)
        .await
        .expect("session");
    let mut turn = sessions
        .send_and_stream(&session.id, "hi")
        .await
        .expect("turn");
    show("SessionEventStream", &turn.events);
    while let Some(event) = turn.events.next().await {
        show("session event", &event);
    }

    // Agent stream: login with the password, a run, a wrong password, an API key.
    let agent_builder = AgentStreamClient::builder()
        .base_url(mock.url())
        .credentials("alice", PASSWORD)
        .header("x-team-secret", HEADER_SECRET);
    let agent = agent_builder.build().expect("builds");
    show("AgentStreamClient", &agent);
    let token = agent.login().await.expect("login");
    show("AccessToken", &token);
    let mut events = agent
        .stream(&AgentRequest::new("hello"))
        .await
        .expect("stream");
    while let Some(event) = events.next().await {
        show("agent event", &event);
    }
    show("AgentEventStream", &events);
    let wrong = AgentStreamClient::builder()
        .base_url(mock.url())
        .credentials("alice", REFUSED_KEY)
        .build()
        .expect("builds");
    match wrong.login().await {
        Err(error) => show_error("agent stream refused login", &error),
        Ok(_) => panic!("a wrong password logged in"),
    }
    let stored = AgentStreamClient::builder()
        .base_url(mock.url())
        .access_token(token.expose_secret())
        .build()
        .expect("builds");
    show("AgentStreamClient with a stored token", &stored);
    let mut events = stored
        .stream(&AgentRequest::new("stored"))
        .await
        .expect("stream");
    while let Some(event) = events.next().await {
        show("agent event", &event);
    }

    assert_logs_clean();
    let issued = token.expose_secret();
    assert!(!logged().contains(issued), "the access token was logged");
    for shown in [
        format!("{agent:?}"),
        format!("{token:?}"),
        format!("{events:?}"),
    ] {
        assert!(!shown.contains(issued), "{shown}");
    }
}
