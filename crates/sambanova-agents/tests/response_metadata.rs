//! What came back with an answer (`ResponseMeta`), and what a single call may set: its own
//! headers and a deadline as an instant. Served by httpmock and scripted loopback servers.

mod support;

use std::time::{Duration, Instant};

use httpmock::MockServer;
use sambanova_agents::{Error, ErrorKind};
use support::{Then, client, json_response, scripted_server, scripted_server_then};

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
