//! The fault matrix: every failure the mock can inject, against an agent call (a POST that
//! must never be replayed once the server has seen it) and a download (a GET that is retried).
//!
//! Each test is one cell: it asserts the typed outcome and how many requests reached the
//! server. Retries wait 1 ms (the policies' backoff and the faults' `Retry-After: 0` or
//! `retry-after-ms: 1`); only the timeout cells wait, for the 500 ms that is their point.

use std::time::{Duration, SystemTime};

use sambanova_agents::{AgentOutcome, Client, Error, RetryPolicy};
use sambanova_agents_mock::{Fault, FaultRule, MockServer, TEST_API_KEY};

mod support;

const CODING: &str = "/api/agent/coding/interactive";
const FILE_BYTES: &[u8] = b"col_a,col_b\n1,2\n3,4\n";
/// Long enough for any loopback exchange, short enough for a test.
const TIMEOUT: Duration = Duration::from_millis(500);

fn agent_policy() -> RetryPolicy {
    RetryPolicy::default().initial_backoff(Duration::from_millis(1))
}

fn download_policy() -> RetryPolicy {
    RetryPolicy::idempotent().initial_backoff(Duration::from_millis(1))
}

async fn setup() -> (MockServer, Client) {
    let mock = MockServer::start().await.expect("mock starts");
    let client = support::client(&mock.agents_url(), TEST_API_KEY);
    (mock, client)
}

fn fault(mock: &MockServer, method: &str, path: &str, fault: Fault, times: Option<u32>) {
    let rule = FaultRule::new(method, path, fault);
    mock.faults().add(match times {
        Some(n) => rule.times(n),
        None => rule,
    });
}

async fn coding(client: &Client) -> Result<AgentOutcome, Error> {
    client
        .coding()
        .interactive("print('hello')", "Run this")
        .await
}

fn coding_requests(mock: &MockServer) -> usize {
    mock.requests("POST", CODING)
}

/// A file on the mock and the path its download is counted under.
fn stored_file(mock: &MockServer) -> (String, String) {
    let id = mock.put_file(TEST_API_KEY, "data.csv", FILE_BYTES.to_vec());
    let path = format!("/api/agent/files/{id}");
    (id, path)
}

fn assert_completed(outcome: Result<AgentOutcome, Error>) {
    match outcome {
        Ok(AgentOutcome::Completed(done)) => assert!(!done.text().is_empty()),
        other => panic!("expected a completed run, got {other:?}"),
    }
}

fn assert_server_error(outcome: Result<AgentOutcome, Error>, status: u16) {
    match outcome {
        Err(Error::Server(error)) => assert_eq!(error.http_status.as_u16(), status, "{error}"),
        other => panic!("expected a {status} server error, got {other:?}"),
    }
}

// ---- agent calls (POST /agent/coding/interactive) ----

#[tokio::test]
async fn agent_connection_refused_is_retried_then_a_connection_error_never_delivered() {
    let client = support::client(&format!("{}/api", support::refusing_url()), TEST_API_KEY);
    match coding(&client).await {
        Err(Error::Connection {
            maybe_delivered,
            attempts,
            ..
        }) => {
            assert!(!maybe_delivered);
            assert_eq!(attempts, 3, "2 retries + the first attempt");
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wait_past_the_deadline_is_not_made_and_the_error_counts_one_attempt() {
    let (mock, client) = setup().await;
    fault(
        &mock,
        "POST",
        CODING,
        Fault::too_many_requests_after_secs(100),
        None,
    );
    let error = client
        .coding()
        .deadline(Duration::from_secs(30))
        .interactive("print('hello')", "Run this")
        .await
        .expect_err("rate limited");
    assert!(
        matches!(
            error,
            Error::RateLimited { retry_after: Some(wait), attempts: 1, .. }
                if wait == Duration::from_secs(100)
        ),
        "{error:?}"
    );
    assert_eq!(coding_requests(&mock), 1);
}

#[tokio::test]
async fn agent_reset_before_the_response_is_not_replayed() {
    let (mock, client) = setup().await;
    fault(&mock, "POST", CODING, Fault::Reset, Some(1));
    match coding(&client).await {
        Err(Error::Connection {
            maybe_delivered, ..
        }) => assert!(maybe_delivered),
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert_eq!(coding_requests(&mock), 1);
}

#[tokio::test]
async fn agent_body_cut_midway_is_a_connection_error_not_replayed() {
    let (mock, client) = setup().await;
    fault(
        &mock,
        "POST",
        CODING,
        Fault::CutBody { after_bytes: 10 },
        Some(1),
    );
    match coding(&client).await {
        Err(Error::Connection {
            maybe_delivered, ..
        }) => assert!(maybe_delivered),
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert_eq!(coding_requests(&mock), 1);
}

#[tokio::test]
async fn agent_429_with_retry_after_seconds_is_retried_then_succeeds() {
    let (mock, client) = setup().await;
    fault(
        &mock,
        "POST",
        CODING,
        Fault::too_many_requests_after_secs(0),
        Some(1),
    );
    assert_completed(coding(&client).await);
    assert_eq!(coding_requests(&mock), 2);
}

#[tokio::test]
async fn agent_429_with_a_past_http_date_is_retried_at_once() {
    let (mock, client) = setup().await;
    let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(3600));
    fault(
        &mock,
        "POST",
        CODING,
        Fault::too_many_requests_at(&past),
        Some(2),
    );
    assert_completed(coding(&client).await);
    assert_eq!(coding_requests(&mock), 3);
}

#[tokio::test]
async fn agent_429_with_retry_after_ms_is_retried_then_succeeds() {
    let (mock, client) = setup().await;
    fault(
        &mock,
        "POST",
        CODING,
        Fault::too_many_requests_after_ms(1),
        Some(1),
    );
    assert_completed(coding(&client).await);
    assert_eq!(coding_requests(&mock), 2);
}

#[tokio::test]
async fn agent_429_that_persists_is_rate_limited_after_the_retries() {
    let (mock, client) = setup().await;
    fault(
        &mock,
        "POST",
        CODING,
        Fault::too_many_requests_after_ms(1),
        None,
    );
    let error = coding(&client).await.expect_err("rate limited");
    assert!(
        matches!(
            error,
            Error::RateLimited { retry_after: Some(wait), request_id: Some(_), attempts: 3 }
                if wait == Duration::from_millis(1)
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("(3 attempts)"), "{error}");
    assert_eq!(error.attempts(), Some(3), "the error counts every attempt");
    assert_eq!(coding_requests(&mock), 3, "2 retries + the first attempt");
}

#[tokio::test]
async fn agent_429_asking_for_longer_than_the_policy_waits_is_returned_at_once() {
    let (mock, client) = setup().await;
    fault(
        &mock,
        "POST",
        CODING,
        Fault::too_many_requests_after_secs(3600),
        None,
    );
    match coding(&client).await {
        Err(Error::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(3600)));
        }
        other => panic!("expected rate limited, got {other:?}"),
    }
    assert_eq!(coding_requests(&mock), 1);
}

#[tokio::test]
async fn agent_500_is_a_server_error_never_replayed() {
    let (mock, client) = setup().await;
    fault(&mock, "POST", CODING, Fault::status(500), None);
    assert_server_error(coding(&client).await, 500);
    assert_eq!(coding_requests(&mock), 1);
}

#[tokio::test]
async fn agent_502_is_retried_then_succeeds() {
    let (mock, client) = setup().await;
    fault(&mock, "POST", CODING, Fault::status(502), Some(1));
    assert_completed(coding(&client).await);
    assert_eq!(coding_requests(&mock), 2);
}

#[tokio::test]
async fn agent_502_that_persists_is_a_server_error_after_the_retries() {
    let (mock, client) = setup().await;
    fault(&mock, "POST", CODING, Fault::status(502), None);
    assert_server_error(coding(&client).await, 502);
    assert_eq!(coding_requests(&mock), 3);
}

#[tokio::test]
async fn agent_503_is_retried_then_succeeds() {
    let (mock, client) = setup().await;
    fault(&mock, "POST", CODING, Fault::status(503), Some(2));
    assert_completed(coding(&client).await);
    assert_eq!(coding_requests(&mock), 3);
}

#[tokio::test]
async fn agent_503_that_persists_is_a_server_error_after_the_retries() {
    let (mock, client) = setup().await;
    fault(&mock, "POST", CODING, Fault::status(503), None);
    assert_server_error(coding(&client).await, 503);
    assert_eq!(coding_requests(&mock), 3);
}

#[tokio::test]
async fn agent_504_html_page_is_retried_then_succeeds() {
    let (mock, client) = setup().await;
    fault(&mock, "POST", CODING, Fault::nginx_504(), Some(1));
    assert_completed(coding(&client).await);
    assert_eq!(coding_requests(&mock), 2);
}

#[tokio::test]
async fn agent_504_html_page_that_persists_is_a_server_error_with_its_title() {
    let (mock, client) = setup().await;
    fault(&mock, "POST", CODING, Fault::nginx_504(), None);
    match coding(&client).await {
        Err(Error::Server(error)) => {
            assert_eq!(error.http_status.as_u16(), 504);
            assert_eq!(error.message, "504 Gateway Time-out");
            assert_eq!(error.content_type.as_deref(), Some("text/html"));
            assert_eq!(error.attempts, 3, "the error counts every attempt");
        }
        other => panic!("expected a 504 server error, got {other:?}"),
    }
    assert_eq!(coding_requests(&mock), 3);
}

#[tokio::test]
async fn agent_stalled_response_times_out_and_is_not_replayed() {
    let (mock, client) = setup().await;
    fault(&mock, "POST", CODING, Fault::Stall, None);
    let outcome = client
        .coding()
        .timeout(TIMEOUT)
        .interactive("print('hello')", "Run this")
        .await;
    match outcome {
        Err(Error::Timeout {
            after, attempts, ..
        }) => {
            assert_eq!(after, TIMEOUT);
            assert_eq!(attempts, 1);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(coding_requests(&mock), 1);
}

#[tokio::test]
async fn agent_malformed_json_is_an_unexpected_response_keeping_the_body() {
    let (mock, client) = setup().await;
    fault(&mock, "POST", CODING, Fault::MalformedJson, None);
    match coding(&client).await {
        Err(Error::UnexpectedResponse {
            status,
            body,
            request_id,
            ..
        }) => {
            assert_eq!(status.as_u16(), 200);
            assert!(body.contains("truncated"), "{body}");
            assert!(request_id.is_some());
        }
        other => panic!("expected an unexpected response, got {other:?}"),
    }
    assert_eq!(coding_requests(&mock), 1);
}

#[tokio::test]
async fn agent_wrong_content_type_is_an_unexpected_response() {
    let (mock, client) = setup().await;
    fault(
        &mock,
        "POST",
        CODING,
        Fault::WrongContentType {
            content_type: "text/plain".into(),
        },
        None,
    );
    match coding(&client).await {
        Err(Error::UnexpectedResponse { content_type, .. }) => {
            assert_eq!(content_type.as_deref(), Some("text/plain"));
        }
        other => panic!("expected an unexpected response, got {other:?}"),
    }
    assert_eq!(coding_requests(&mock), 1);
}

#[tokio::test]
async fn agent_oversized_body_is_response_too_large() {
    let mock = MockServer::start().await.expect("mock starts");
    let client = Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(mock.agents_url())
        .retry(agent_policy())
        .max_response_bytes(64 * 1024)
        .build()
        .expect("client builds");
    fault(
        &mock,
        "POST",
        CODING,
        Fault::HugeBody {
            bytes: 10 * 1024 * 1024,
        },
        None,
    );
    match coding(&client).await {
        Err(Error::ResponseTooLarge {
            limit,
            request_id,
            attempts,
        }) => {
            assert_eq!(limit, 64 * 1024);
            assert_eq!(attempts, 1);
            assert!(request_id.is_some(), "the request id is kept");
        }
        other => panic!("expected response too large, got {other:?}"),
    }
    assert_eq!(coding_requests(&mock), 1);
}

// ---- downloads (GET /agent/files/{id}) ----

#[tokio::test]
async fn download_connection_refused_is_retried_then_a_connection_error() {
    let client = support::client(&format!("{}/api", support::refusing_url()), TEST_API_KEY);
    match client
        .files()
        .download("0d9c7a4e-0000-4000-8000-000000000000")
        .await
    {
        Err(Error::Connection {
            maybe_delivered, ..
        }) => assert!(!maybe_delivered),
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[tokio::test]
async fn download_reset_is_retried_then_succeeds() {
    let (mock, client) = setup().await;
    let (id, path) = stored_file(&mock);
    fault(&mock, "GET", &path, Fault::Reset, Some(2));
    let bytes = client
        .files()
        .download(&id)
        .await
        .expect("download after retries")
        .bytes()
        .await
        .expect("body");
    assert_eq!(&bytes[..], FILE_BYTES);
    assert_eq!(mock.requests("GET", &path), 3);
}

#[tokio::test]
async fn download_reset_that_persists_is_a_connection_error_after_every_retry() {
    let (mock, client) = setup().await;
    let (id, path) = stored_file(&mock);
    fault(&mock, "GET", &path, Fault::Reset, None);
    match client.files().download(&id).await {
        Err(Error::Connection {
            maybe_delivered,
            attempts,
            ..
        }) => {
            assert!(maybe_delivered);
            assert_eq!(attempts, 5, "the error counts every attempt");
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert_eq!(
        mock.requests("GET", &path),
        5,
        "4 retries + the first attempt"
    );
}

#[tokio::test]
async fn download_stream_cut_midway_is_a_connection_error() {
    let (mock, client) = setup().await;
    let (id, path) = stored_file(&mock);
    fault(
        &mock,
        "GET",
        &path,
        Fault::CutBody { after_bytes: 5 },
        Some(1),
    );
    let download = client.files().download(&id).await.expect("headers arrive");
    match download.bytes().await {
        Err(Error::Connection {
            maybe_delivered, ..
        }) => assert!(maybe_delivered),
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert_eq!(mock.requests("GET", &path), 1);
}

#[tokio::test]
async fn download_save_cut_midway_is_downloaded_again_leaving_one_whole_file() {
    let (mock, client) = setup().await;
    let (id, path) = stored_file(&mock);
    fault(
        &mock,
        "GET",
        &path,
        Fault::CutBody { after_bytes: 5 },
        Some(1),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = client.files().save(&id, dir.path()).await.expect("saved");
    assert_eq!(saved.bytes, FILE_BYTES.len() as u64);
    assert_eq!(std::fs::read(&saved.path).expect("read"), FILE_BYTES);
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("data.csv")]);
    assert_eq!(mock.requests("GET", &path), 2);
}

#[tokio::test]
async fn download_429_with_retry_after_seconds_is_retried() {
    let (mock, client) = setup().await;
    let (id, path) = stored_file(&mock);
    fault(
        &mock,
        "GET",
        &path,
        Fault::too_many_requests_after_secs(0),
        Some(2),
    );
    let bytes = client.files().download(&id).await.expect("download");
    assert_eq!(&bytes.bytes().await.expect("body")[..], FILE_BYTES);
    assert_eq!(mock.requests("GET", &path), 3);
}

#[tokio::test]
async fn download_429_with_a_past_http_date_is_retried() {
    let (mock, client) = setup().await;
    let (id, path) = stored_file(&mock);
    let past = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));
    fault(
        &mock,
        "GET",
        &path,
        Fault::too_many_requests_at(&past),
        Some(1),
    );
    client.files().download(&id).await.expect("download");
    assert_eq!(mock.requests("GET", &path), 2);
}

#[tokio::test]
async fn download_429_with_retry_after_ms_that_persists_is_rate_limited() {
    let (mock, client) = setup().await;
    let (id, path) = stored_file(&mock);
    fault(
        &mock,
        "GET",
        &path,
        Fault::too_many_requests_after_ms(1),
        None,
    );
    match client.files().download(&id).await {
        Err(Error::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_millis(1)));
        }
        other => panic!("expected rate limited, got {other:?}"),
    }
    assert_eq!(mock.requests("GET", &path), 5);
}

async fn download_status_is_retried_then_succeeds(status_fault: Fault) {
    let (mock, client) = setup().await;
    let (id, path) = stored_file(&mock);
    fault(&mock, "GET", &path, status_fault, Some(3));
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = client.files().save(&id, dir.path()).await.expect("saved");
    assert_eq!(std::fs::read(&saved.path).expect("read"), FILE_BYTES);
    assert_eq!(mock.requests("GET", &path), 4);
}

#[tokio::test]
async fn download_500_is_retried_then_succeeds() {
    download_status_is_retried_then_succeeds(Fault::status(500)).await;
}

#[tokio::test]
async fn download_502_is_retried_then_succeeds() {
    download_status_is_retried_then_succeeds(Fault::status(502)).await;
}

#[tokio::test]
async fn download_503_is_retried_then_succeeds() {
    download_status_is_retried_then_succeeds(Fault::status(503)).await;
}

#[tokio::test]
async fn download_504_html_page_is_retried_then_succeeds() {
    download_status_is_retried_then_succeeds(Fault::nginx_504()).await;
}

#[tokio::test]
async fn download_5xx_that_persists_is_a_server_error_after_every_retry() {
    for status_fault in [
        Fault::status(500),
        Fault::status(502),
        Fault::status(503),
        Fault::nginx_504(),
    ] {
        let (mock, client) = setup().await;
        let (id, path) = stored_file(&mock);
        let status = match &status_fault {
            Fault::Status { status, .. } => *status,
            _ => unreachable!("status faults only"),
        };
        fault(&mock, "GET", &path, status_fault, None);
        match client.files().download(&id).await {
            Err(Error::Server(error)) => assert_eq!(error.http_status.as_u16(), status),
            other => panic!("expected a {status} server error, got {other:?}"),
        }
        assert_eq!(mock.requests("GET", &path), 5, "{status}");
    }
}

#[tokio::test]
async fn download_stalled_response_times_out_and_is_retried() {
    let (mock, client) = setup().await;
    let (id, path) = stored_file(&mock);
    fault(&mock, "GET", &path, Fault::Stall, Some(1));
    let download = client
        .files()
        .timeout(TIMEOUT)
        .download(&id)
        .await
        .expect("the second attempt answers");
    assert_eq!(&download.bytes().await.expect("body")[..], FILE_BYTES);
    assert_eq!(mock.requests("GET", &path), 2);
}

#[tokio::test]
async fn download_stalled_every_time_is_a_timeout() {
    let (mock, client) = setup().await;
    let (id, path) = stored_file(&mock);
    fault(&mock, "GET", &path, Fault::Stall, None);
    let outcome = client
        .files()
        .timeout(TIMEOUT)
        .retry(download_policy().max_retries(1))
        .download(&id)
        .await;
    match outcome {
        Err(Error::Timeout { after, .. }) => assert_eq!(after, TIMEOUT),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(mock.requests("GET", &path), 2);
}

// ---- session event streams (GET /api/v1/sessions/{sid}/stream, resumable) ----

mod session_stream {
    use std::collections::HashSet;
    use std::time::Duration;

    use futures_util::StreamExt;
    use sambanova_agents::sessions::{EventKind, SessionEvent, SessionsClient};
    use sambanova_agents::{Error, RetryPolicy};
    use sambanova_agents_mock::{DEMO_SANDBOX_ID, Fault, FaultRule, MockServer};

    /// A session and the paths of its stream and its messages.
    async fn session(client: &SessionsClient) -> (String, String, String) {
        let session = client
            .create_session(DEMO_SANDBOX_ID)
            .await
            .expect("session");
        let stream = format!("/api/v1/sessions/{}/stream", session.id);
        let messages = format!("/api/v1/sessions/{}/messages", session.id);
        (session.id, stream, messages)
    }

    /// Runs a `#long n` turn to its end, asserting every event came once and every delta in
    /// order; returns the stream's reconnection count.
    async fn long_turn_arrives_whole(client: &SessionsClient, session_id: &str, n: usize) -> u64 {
        let mut events = client
            .send_and_stream(session_id, &format!("#long {n}"))
            .await
            .expect("turn starts")
            .events;
        let mut all: Vec<SessionEvent> = Vec::new();
        while let Some(event) = events.next().await {
            all.push(event.expect("no stream error"));
        }
        let ids: HashSet<_> = all.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids.len(), all.len(), "an event was repeated");
        let deltas: Vec<String> = all
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::TextDelta(delta) => Some(delta.text.clone()),
                _ => None,
            })
            .collect();
        let expected: Vec<String> = (0..n)
            .map(|i| format!("{i} "))
            .chain(["Done.".to_owned()])
            .collect();
        assert_eq!(deltas, expected, "an event was lost or reordered");
        assert_eq!(
            all.last().map(SessionEvent::event_type),
            Some("session_completed")
        );
        events.reconnects()
    }

    #[tokio::test]
    async fn closed_after_each_of_the_first_events_resumes_losing_and_repeating_nothing() {
        for after in [1, 2, 3, 5, 8] {
            let mock = MockServer::start().await.expect("mock starts");
            let client = super::support::sessions_client(&mock.url());
            let (id, stream, _) = session(&client).await;
            mock.faults().add(
                FaultRule::new("GET", &stream, Fault::CloseStreamAfter { events: after }).times(4),
            );
            let reconnects = long_turn_arrives_whole(&client, &id, 30).await;
            assert_eq!(reconnects, 4, "closed after {after}");
            assert_eq!(mock.requests("GET", &stream), 5, "closed after {after}");
        }
    }

    #[tokio::test]
    async fn a_stalled_stream_is_replaced_by_the_watchdog() {
        let mock = MockServer::start().await.expect("mock starts");
        let client = SessionsClient::builder()
            .base_url(mock.url())
            .reconnect_backoff(Duration::from_millis(1), Duration::from_millis(5))
            .stall_timeout(Duration::from_millis(300))
            .build()
            .expect("client builds");
        let (id, stream, _) = session(&client).await;
        mock.faults()
            .add(FaultRule::new("GET", &stream, Fault::StallStream { after_events: 3 }).times(1));
        let reconnects = long_turn_arrives_whole(&client, &id, 20).await;
        assert!(reconnects >= 1);
        assert!(mock.requests("GET", &stream) >= 2);
    }

    #[tokio::test]
    async fn an_oversized_event_is_dropped_and_the_turn_goes_on() {
        let mock = MockServer::start().await.expect("mock starts");
        let client = SessionsClient::builder()
            .base_url(mock.url())
            .max_event_size(16 * 1024)
            .build()
            .expect("client builds");
        let (id, stream, _) = session(&client).await;
        mock.faults().add(
            FaultRule::new(
                "GET",
                &stream,
                Fault::OversizedEvent {
                    bytes: 4 * 1024 * 1024,
                },
            )
            .times(1),
        );
        let reconnects = long_turn_arrives_whole(&client, &id, 10).await;
        assert_eq!(reconnects, 0);
        assert_eq!(mock.requests("GET", &stream), 1);
    }

    #[tokio::test]
    async fn a_stream_connection_answered_503_is_retried() {
        let mock = MockServer::start().await.expect("mock starts");
        let client = SessionsClient::builder()
            .base_url(mock.url())
            .retry(RetryPolicy::idempotent().initial_backoff(Duration::from_millis(1)))
            .build()
            .expect("client builds");
        let (id, stream, _) = session(&client).await;
        mock.faults()
            .add(FaultRule::new("GET", &stream, Fault::status(503)).times(2));
        long_turn_arrives_whole(&client, &id, 5).await;
        assert_eq!(mock.requests("GET", &stream), 3);
    }

    #[tokio::test]
    async fn a_message_reset_before_the_answer_is_not_sent_again() {
        let mock = MockServer::start().await.expect("mock starts");
        let client = super::support::sessions_client(&mock.url());
        let (id, _, messages) = session(&client).await;
        mock.faults()
            .add(FaultRule::new("POST", &messages, Fault::Reset).times(1));
        match client.send_message(&id, "hello").await {
            Err(Error::Connection {
                maybe_delivered, ..
            }) => assert!(maybe_delivered),
            other => panic!("expected a connection error, got {other:?}"),
        }
        assert_eq!(mock.requests("POST", &messages), 1);
    }

    #[tokio::test]
    async fn a_message_answered_500_is_not_sent_again_and_503_is() {
        let mock = MockServer::start().await.expect("mock starts");
        let client = SessionsClient::builder()
            .base_url(mock.url())
            .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
            .build()
            .expect("client builds");
        let (id, _, messages) = session(&client).await;
        mock.faults()
            .add(FaultRule::new("POST", &messages, Fault::status(500)).times(1));
        match client.send_message(&id, "hello").await {
            Err(Error::Server(error)) => assert_eq!(error.http_status.as_u16(), 500),
            other => panic!("expected a server error, got {other:?}"),
        }
        assert_eq!(mock.requests("POST", &messages), 1);
        mock.faults()
            .add(FaultRule::new("POST", &messages, Fault::status(503)).times(1));
        client.send_message(&id, "hello").await.expect("sent");
        assert_eq!(mock.requests("POST", &messages), 3);
    }

    #[tokio::test]
    async fn a_stalled_message_times_out_and_is_not_sent_again() {
        let mock = MockServer::start().await.expect("mock starts");
        let client = SessionsClient::builder()
            .base_url(mock.url())
            .timeout(super::TIMEOUT)
            .build()
            .expect("client builds");
        let (id, _, messages) = session(&client).await;
        mock.faults()
            .add(FaultRule::new("POST", &messages, Fault::Stall).times(1));
        match client.send_message(&id, "hello").await {
            Err(Error::Timeout { after, .. }) => assert_eq!(after, super::TIMEOUT),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert_eq!(mock.requests("POST", &messages), 1);
    }
}

// ---- the agent stream (POST /agent/agent/stream: a run, never resent) ----

mod agent_stream {
    use std::time::Duration;

    use futures_util::StreamExt;
    use sambanova_agents::agent_stream::{AgentEvent, AgentRequest, AgentStreamClient};
    use sambanova_agents::{Error, RetryPolicy};
    use sambanova_agents_mock::{Fault, FaultRule, MockServer};

    const STREAM: &str = "/agent/agent/stream";

    /// The tests' agent-stream client, with a stall watchdog and a limit on an event's size.
    fn watched_client(mock: &MockServer) -> AgentStreamClient {
        super::support::agent_stream_client_builder(&mock.url())
            .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
            .stall_timeout(Duration::from_millis(300))
            .max_event_size(16 * 1024)
            .build()
            .expect("client builds")
    }

    async fn items(client: &AgentStreamClient) -> Result<Vec<Result<AgentEvent, Error>>, Error> {
        let mut events = client.stream(&AgentRequest::new("hello")).await?;
        let mut all = Vec::new();
        while let Some(item) = events.next().await {
            all.push(item);
        }
        Ok(all)
    }

    #[tokio::test]
    async fn a_normal_run_ends_with_a_terminal_event() {
        let mock = MockServer::start().await.expect("mock starts");
        let all = items(&watched_client(&mock)).await.expect("stream opens");
        assert!(all.iter().all(Result::is_ok), "{all:?}");
        assert!(
            all.last()
                .and_then(|item| item.as_ref().ok())
                .is_some_and(AgentEvent::is_turn_end)
        );
        assert_eq!(mock.requests("POST", STREAM), 1);
    }

    #[tokio::test]
    async fn closed_after_n_events_is_a_stream_error_and_the_run_is_not_resent() {
        for after in [0, 1, 3] {
            let mock = MockServer::start().await.expect("mock starts");
            mock.faults().add(FaultRule::new(
                "POST",
                STREAM,
                Fault::CloseStreamAfter { events: after },
            ));
            let all = items(&watched_client(&mock)).await.expect("stream opens");
            assert_eq!(all.len(), after + 1, "closed after {after}: {all:?}");
            assert!(all[..after].iter().all(Result::is_ok));
            assert!(
                matches!(all[after], Err(Error::StreamEnded { .. })),
                "closed after {after}: {:?}",
                all[after]
            );
            assert_eq!(mock.requests("POST", STREAM), 1, "closed after {after}");
        }
    }

    #[tokio::test]
    async fn a_stalled_stream_is_stalled_and_the_run_is_not_resent() {
        let mock = MockServer::start().await.expect("mock starts");
        mock.faults().add(FaultRule::new(
            "POST",
            STREAM,
            Fault::StallStream { after_events: 1 },
        ));
        let all = items(&watched_client(&mock)).await.expect("stream opens");
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(matches!(all[1], Err(Error::Stalled { .. })), "{:?}", all[1]);
        assert_eq!(mock.requests("POST", STREAM), 1);
    }

    #[tokio::test]
    async fn an_oversized_event_is_response_too_large_then_the_run_goes_on() {
        let mock = MockServer::start().await.expect("mock starts");
        mock.faults().add(FaultRule::new(
            "POST",
            STREAM,
            Fault::OversizedEvent {
                bytes: 4 * 1024 * 1024,
            },
        ));
        let all = items(&watched_client(&mock)).await.expect("stream opens");
        assert!(
            matches!(all[0], Err(Error::ResponseTooLarge { limit, .. }) if limit == 16 * 1024),
            "{:?}",
            all[0]
        );
        assert!(all[1..].iter().all(Result::is_ok), "{all:?}");
        assert_eq!(mock.requests("POST", STREAM), 1);
    }

    #[tokio::test]
    async fn a_reset_run_request_is_not_resent() {
        let mock = MockServer::start().await.expect("mock starts");
        mock.faults()
            .add(FaultRule::new("POST", STREAM, Fault::Reset).times(1));
        match items(&watched_client(&mock)).await {
            Err(Error::Connection {
                maybe_delivered, ..
            }) => assert!(maybe_delivered),
            other => panic!("expected a connection error, got {other:?}"),
        }
        assert_eq!(mock.requests("POST", STREAM), 1);
    }

    #[tokio::test]
    async fn a_502_run_request_is_retried_and_a_500_is_not() {
        let mock = MockServer::start().await.expect("mock starts");
        let client = watched_client(&mock);
        mock.faults()
            .add(FaultRule::new("POST", STREAM, Fault::status(502)).times(2));
        items(&client).await.expect("third attempt runs");
        assert_eq!(mock.requests("POST", STREAM), 3);
        mock.faults()
            .add(FaultRule::new("POST", STREAM, Fault::status(500)).times(1));
        match items(&client).await {
            Err(Error::Server(error)) => assert_eq!(error.http_status.as_u16(), 500),
            other => panic!("expected a server error, got {other:?}"),
        }
        assert_eq!(mock.requests("POST", STREAM), 4);
    }

    #[tokio::test]
    async fn a_run_request_that_never_answers_times_out_and_is_not_resent() {
        let mock = MockServer::start().await.expect("mock starts");
        let client = AgentStreamClient::builder()
            .base_url(mock.url())
            .credentials("demo", "demo")
            .timeout(super::TIMEOUT)
            .build()
            .expect("client builds");
        mock.faults()
            .add(FaultRule::new("POST", STREAM, Fault::Stall));
        match items(&client).await {
            Err(Error::Timeout { .. }) => {}
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert_eq!(mock.requests("POST", STREAM), 1);
    }
}
