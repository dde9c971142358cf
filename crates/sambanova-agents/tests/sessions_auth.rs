//! The three ways the Sessions server accepts a key, on the wire.

use futures_util::StreamExt;
use httpmock::Method::GET;
use httpmock::MockServer;
use sambanova_agents::sessions::{SessionsAuth, SessionsClient};

mod support;

const KEY: &str = "sessions-key-0123456789";

#[tokio::test]
async fn bearer_by_default_and_x_api_key_on_request() {
    let server = MockServer::start_async().await;
    let bearer = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/sandboxes/sb/sessions")
                .header("authorization", format!("Bearer {KEY}"));
            then.status(200)
                .header("content-type", "application/json")
                .body("[]");
        })
        .await;
    support::sessions_client_builder(&server.base_url())
        .api_key(KEY)
        .auth(SessionsAuth::Bearer)
        .build()
        .unwrap()
        .list_sessions("sb")
        .await
        .unwrap();
    bearer.assert_async().await;

    let server = MockServer::start_async().await;
    let header = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/sandboxes/sb/sessions")
                .header("x-api-key", KEY)
                .header_missing("authorization");
            then.status(200)
                .header("content-type", "application/json")
                .body("[]");
        })
        .await;
    support::sessions_client_builder(&server.base_url())
        .api_key(KEY)
        .auth(SessionsAuth::ApiKeyHeader)
        .build()
        .unwrap()
        .list_sessions("sb")
        .await
        .unwrap();
    header.assert_async().await;
}

#[tokio::test]
async fn query_token_on_event_streams() {
    let server = MockServer::start_async().await;
    let stream = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v1/sessions/s1/stream")
                .query_param("token", KEY);
            then.status(200)
                .header("content-type", "text/event-stream")
                .body("id: e1\nevent: text_delta\ndata: {\"id\":\"e1\",\"session_id\":\"s1\",\"event_type\":\"text_delta\",\"data\":{\"text\":\"hi\"},\"timestamp\":\"2026-11-22T12:22:11Z\"}\n\n");
        })
        .await;
    let client = support::sessions_client_builder(&server.base_url())
        .api_key(KEY)
        .auth(SessionsAuth::QueryToken)
        .build()
        .unwrap();
    let mut events = client.events("s1");
    let first = events.next().await.unwrap().unwrap();
    assert_eq!(first.id, "e1");
    assert!(stream.calls_async().await >= 1);
}

#[tokio::test]
async fn a_failed_stream_never_shows_the_query_token() {
    let client = SessionsClient::builder()
        .base_url(support::refusing_url())
        .api_key(KEY)
        .auth(SessionsAuth::QueryToken)
        .retry(sambanova_agents::RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.events("s1").next().await.unwrap().unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(KEY), "{shown}");
}
