//! One table from HTTP status to `Error`, the same on all three APIs: each server's own error
//! body (its dialect) for every status the issue lists, served by httpmock, through a real call
//! of each client. The message, the request id and the kind must come out alike.

use std::time::Duration;

use httpmock::MockServer;
use sambanova_agents::agent_stream::{AgentRequest, AgentStreamClient};
use sambanova_agents::sessions::SessionsClient;
use sambanova_agents::{AuthFailure, Client, Error, RetryPolicy};

/// The kind every API must answer for a status.
fn kind(status: u16, error: &Error) -> bool {
    match status {
        400 => matches!(error, Error::BadRequest { .. }),
        401 => matches!(
            error,
            Error::Authentication { status: s, failure: AuthFailure::Rejected, .. } if s.as_u16() == status
        ),
        403 => matches!(
            error,
            Error::Authentication { status: s, failure: AuthFailure::Forbidden, .. } if s.as_u16() == status
        ),
        404 => matches!(error, Error::NotFound { .. }),
        409 => matches!(error, Error::Conflict { .. }),
        413 => matches!(error, Error::RequestTooLarge { .. }),
        422 => matches!(error, Error::Validation { detail, .. } if !detail.is_empty()),
        429 => matches!(
            error,
            Error::RateLimited { retry_after: Some(wait), .. } if *wait == Duration::from_secs(7)
        ),
        500 | 502 | 503 => {
            matches!(error, Error::Server(server) if server.http_status.as_u16() == status)
        }
        _ => false,
    }
}

const STATUSES: [u16; 11] = [400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503];

/// Each server's error body for `status`, saying "the reason".
fn body(api: &str, status: u16) -> String {
    match (api, status) {
        ("agents", 422) => {
            r#"{"detail":[{"type":"missing","loc":["body","prompt"],"msg":"the reason"}]}"#.into()
        }
        ("agents", _) => r#"{"error":"the reason"}"#.into(),
        ("sessions", _) => r#"{"error":{"code":"some_code","message":"the reason"}}"#.into(),
        ("agent-stream", 422) => r#"{"code":422,"msg":"invalid","data":{"errors":[{"type":"missing","loc":["body","messages"],"msg":"the reason"}]},"trace_id":"t"}"#.into(),
        ("agent-stream", _) => {
            format!(r#"{{"code":{status},"msg":"the reason","data":null,"trace_id":"t"}}"#)
        }
        _ => unreachable!(),
    }
}

async fn serve<'a>(server: &'a MockServer, api: &str, status: u16) -> httpmock::Mock<'a> {
    let body = body(api, status);
    server
        .mock_async(move |when, then| {
            when.any_request();
            then.status(status)
                .header("content-type", "application/json")
                .header("x-request-id", "req-7")
                .header("retry-after", "7")
                .body(body);
        })
        .await
}

fn check(api: &str, status: u16, error: &Error) {
    assert!(kind(status, error), "{api} {status}: {error:?}");
    assert_eq!(
        error.status().map(|s| s.as_u16()),
        Some(status),
        "{api}: {error:?}"
    );
    assert_eq!(
        error.request_id(),
        Some("req-7"),
        "{api} {status}: {error:?}"
    );
    if status != 429 {
        assert!(
            error.to_string().contains("the reason"),
            "{api} {status}: {error}"
        );
    }
}

#[tokio::test]
async fn the_agents_api_maps_every_status_by_the_one_table() {
    for status in STATUSES {
        let server = MockServer::start_async().await;
        let mock = serve(&server, "agents", status).await;
        let client = Client::builder()
            .api_key("00000000-0000-4000-8000-000000000000")
            .base_url(server.base_url())
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let error = client.main_agent().run("x").await.unwrap_err();
        check("agents", status, &error);
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn the_sessions_api_maps_every_status_by_the_one_table() {
    for status in STATUSES {
        let server = MockServer::start_async().await;
        let mock = serve(&server, "sessions", status).await;
        let client = SessionsClient::builder()
            .base_url(server.base_url())
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let error = client
            .get_session("31d0232d-0000-4000-8000-000000000000")
            .await
            .unwrap_err();
        check("sessions", status, &error);
        if status != 422 && status != 429 {
            assert!(error.to_string().contains("some_code"), "{error}");
        }
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn the_agent_stream_maps_every_status_by_the_one_table() {
    for status in STATUSES {
        let server = MockServer::start_async().await;
        let mock = serve(&server, "agent-stream", status).await;
        let client = AgentStreamClient::builder()
            .base_url(server.base_url())
            .access_token("a-token-from-elsewhere")
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        let error = client.stream(&AgentRequest::new("x")).await.unwrap_err();
        check("agent-stream", status, &error);
        mock.assert_calls_async(1).await;
    }
}
