//! Every response shape in `docs/agents-server.md`, including the ugly ones, served verbatim by
//! httpmock: the SDK must decide from the status and content type first, then the body.

use std::time::Duration;

use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use sambanova_agents::{AgentOutcome, AgentStatus, Client, Error, RetryPolicy};

mod support;

const KEY: &str = "00000000-0000-4000-8000-000000000000";

async fn respond<'a>(
    server: &'a MockServer,
    status: u16,
    content_type: &str,
    body: &str,
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST).path("/agent/deepresearch/interactive");
            then.status(status)
                .header("content-type", content_type)
                .header("x-request-id", "req-42")
                .body(body);
        })
        .await
}

async fn call(server: &MockServer) -> Result<AgentOutcome, Error> {
    support::client(&server.base_url(), KEY)
        .deep_research()
        .interactive("x")
        .await
}

#[tokio::test]
async fn sends_the_key_as_bearer_and_the_resume_fields() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/agent/deepresearch/interactive")
                .header("authorization", format!("Bearer {KEY}"))
                .json_body(
                    serde_json::json!({"prompt": "approve", "resume": true, "thread_id": "t-1"}),
                );
            then.status(200)
                .header("content-type", "application/json")
                .body(r#"{"thread_id":"t-1","status":"completed","result":"report"}"#);
        })
        .await;
    let done = support::client(&server.base_url(), KEY)
        .deep_research()
        .resume("t-1", "approve")
        .await
        .unwrap();
    assert_eq!(done.into_completion().unwrap().text(), "report");
    mock.assert_async().await;
}

#[tokio::test]
async fn missing_artifacts_null_thread_and_unknown_fields_are_fine() {
    let server = MockServer::start_async().await;
    let _mock = respond(
        &server,
        200,
        "application/json",
        r#"{"status":"completed","result":"ok","thread_id":null,"new_field":{"x":1}}"#,
    )
    .await;
    let done = call(&server).await.unwrap().into_completion().unwrap();
    assert!(done.artifacts.is_empty() && done.thread_id.is_none());
    assert_eq!(done.request_id.as_deref(), Some("req-42"));
}

#[tokio::test]
async fn an_unknown_status_is_kept() {
    let server = MockServer::start_async().await;
    let _mock = respond(
        &server,
        200,
        "application/json",
        r#"{"status":"queued","thread_id":"t"}"#,
    )
    .await;
    let outcome = call(&server).await.unwrap();
    assert!(
        matches!(outcome, AgentOutcome::Unrecognized(ref u) if u.status == AgentStatus::Unknown("queued".into()))
    );
}

#[tokio::test]
async fn a_result_that_is_not_a_string_is_kept_as_json_text() {
    let server = MockServer::start_async().await;
    let _mock = respond(
        &server,
        200,
        "application/json",
        r#"{"status":"completed","result":{"a":[1,2]}}"#,
    )
    .await;
    let done = call(&server).await.unwrap().into_completion().unwrap();
    assert_eq!(done.text(), r#"{"a":[1,2]}"#);
}

#[tokio::test]
async fn a_500_with_status_completed_is_a_failure_with_its_message() {
    let server = MockServer::start_async().await;
    let mock = respond(&server,
        500,
        "application/json",
        r#"{"thread_id":"t","status":"completed","result":"Unable to extract results from the agent"}"#,
    )
    .await;
    let error = call(&server).await.unwrap_err();
    let Error::Server(failure) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(failure.agent_status, Some(AgentStatus::Completed));
    assert_eq!(failure.message, "Unable to extract results from the agent");
    assert_eq!(failure.thread_id.as_deref(), Some("t"));
    assert_eq!(error.request_id(), Some("req-42"));
    assert_eq!(
        mock.calls_async().await,
        1,
        "a 500 is never retried: the agent may have run"
    );
}

#[tokio::test]
async fn a_plain_text_500_from_starlette() {
    let server = MockServer::start_async().await;
    let mock = respond(
        &server,
        500,
        "text/plain; charset=utf-8",
        "Internal Server Error",
    )
    .await;
    let error = call(&server).await.unwrap_err();
    assert!(
        matches!(error, Error::Server(ref e) if e.message == "Internal Server Error" && e.agent_status.is_none()),
        "{error:?}"
    );
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn an_html_502_from_a_proxy_is_retried_then_reported() {
    let server = MockServer::start_async().await;
    let mock = respond(
        &server,
        502,
        "text/html",
        "<html><head><title>502 Bad Gateway</title></head></html>",
    )
    .await;
    let error = call(&server).await.unwrap_err();
    assert!(
        matches!(error, Error::Server(ref e) if e.http_status == 502 && e.message == "502 Bad Gateway"),
        "{error:?}"
    );
    assert_eq!(
        mock.calls_async().await,
        3,
        "the default policy retries a 502 twice"
    );
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_as_told() {
    let server = MockServer::start_async().await;
    let limited = server
        .mock_async(|when, then| {
            when.method(POST).path("/agent/financialanalysis");
            then.status(429).header("retry-after", "0").body("");
        })
        .await;
    let error = support::client(&server.base_url(), KEY)
        .financial()
        .run("x")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::ZERO),
        "{error:?}"
    );
    assert_eq!(limited.calls_async().await, 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_policy_is_returned_not_waited() {
    let server = MockServer::start_async().await;
    let limited = server
        .mock_async(|when, then| {
            when.method(POST).path("/agent/financialanalysis");
            then.status(429).header("retry-after", "3600");
        })
        .await;
    let error = support::client(&server.base_url(), KEY)
        .financial()
        .run("x")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(3600))
    );
    assert_eq!(limited.calls_async().await, 1);
}

#[tokio::test]
async fn retries_can_be_disabled_per_call() {
    let server = MockServer::start_async().await;
    let mock = respond(&server, 503, "application/json", r#"{"detail":"busy"}"#).await;
    let error = support::client(&server.base_url(), KEY)
        .deep_research()
        .retry(RetryPolicy::none())
        .interactive("x")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Server(ref e) if e.http_status == 503));
    assert_eq!(mock.calls_async().await, 1);
}

#[tokio::test]
async fn a_stalled_server_times_out_and_is_not_asked_again() {
    let server = MockServer::start_async().await;
    let slow = server
        .mock_async(|when, then| {
            when.method(POST).path("/agent/coding");
            then.status(200).delay(Duration::from_secs(30)).body("{}");
        })
        .await;
    let error = support::client(&server.base_url(), KEY)
        .coding()
        .timeout(Duration::from_millis(300))
        .run("print(1)", "run")
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Timeout { after, .. } if after == Duration::from_millis(300)),
        "{error:?}"
    );
    assert_eq!(slow.calls_async().await, 1);
}

#[tokio::test]
async fn an_html_200_on_a_json_operation_is_unexpected_and_kept() {
    let server = MockServer::start_async().await;
    let _mock = respond(&server, 200, "text/html", "<html>captive portal</html>").await;
    let error = call(&server).await.unwrap_err();
    assert!(
        matches!(error, Error::UnexpectedResponse { ref body, ref content_type, .. }
        if body.contains("captive portal") && content_type.as_deref() == Some("text/html")),
        "{error:?}"
    );
}

#[tokio::test]
async fn one_content_type_rule_whether_or_not_the_body_fits_the_schema() {
    // `application/x-ndjson` names no JSON document: a 200 carrying it is unexpected, both
    // when the generated client parsed the body into its type and when the SDK read it.
    for body in [
        r#"{"thread_id":"t-1","status":"completed","result":"report"}"#,
        r#"{"thread_id":"t-1","status":"completed","result":"report","artifacts":7}"#,
    ] {
        let server = MockServer::start_async().await;
        let _mock = respond(&server, 200, "application/x-ndjson", body).await;
        let error = call(&server).await.unwrap_err();
        assert!(
            matches!(error, Error::UnexpectedResponse { ref content_type, .. }
            if content_type.as_deref() == Some("application/x-ndjson")),
            "{body}: {error:?}"
        );
    }
}

#[tokio::test]
async fn validation_errors_list_the_fields() {
    let server = MockServer::start_async().await;
    let _mock = respond(&server,
        422,
        "application/json",
        r#"{"detail":[{"type":"string_type","loc":["body","prompt"],"msg":"Input should be a valid string","input":123}]}"#,
    )
    .await;
    let error = call(&server).await.unwrap_err();
    let Error::Validation { detail, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(detail[0].location(), "body.prompt");
    assert_eq!(detail[0].input, Some(serde_json::json!(123)));
}

#[tokio::test]
async fn a_hostile_download_name_stays_inside_the_directory() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/agent/files/f1");
            then.status(200)
                .header("content-type", "application/octet-stream")
                .header(
                    "content-disposition",
                    r#"attachment; filename="..%2F..%2Fevil%00.sh""#,
                )
                .body("#!/bin/sh\n");
        })
        .await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("inner");
    let saved = support::client(&server.base_url(), KEY)
        .files()
        .save("f1", &target)
        .await
        .unwrap();
    assert_eq!(saved.path, target.join("evil.sh"));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only `inner` in the parent"
    );
}

#[tokio::test]
async fn a_download_cut_short_leaves_no_file() {
    // Every connection: promise 1000 bytes, send 10, hang up.
    let (url, _) = support::recording_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 1000\r\ncontent-disposition: attachment; filename=\"a.bin\"\r\n\r\n0123456789",
    )
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(url)
        .download_retry(
            RetryPolicy::idempotent()
                .max_retries(1)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let error = client.files().save("f", dir.path()).await.unwrap_err();
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial file left"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    let client = Client::builder()
        .api_key(KEY)
        .base_url(support::refusing_url())
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    let error = client.main_agent().run("x").await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Connection {
                maybe_delivered: false,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_download_read_into_memory_respects_the_size_limit() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/agent/files/big");
            then.status(200)
                .header("content-type", "application/octet-stream")
                .header("x-request-id", "req-big")
                .body(vec![b'x'; 100]);
        })
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .max_response_bytes(64)
        .build()
        .unwrap();
    let download = client.files().download("big").await.unwrap();
    let error = download.bytes().await.unwrap_err();
    assert!(
        matches!(error, Error::ResponseTooLarge { limit: 64, ref request_id, attempts: 1 } if request_id.as_deref() == Some("req-big")),
        "{error:?}"
    );
    // Streaming to disk has no such limit.
    let dir = tempfile::tempdir().unwrap();
    let saved = client.files().save("big", dir.path()).await.unwrap();
    assert_eq!(saved.bytes, 100);
}
