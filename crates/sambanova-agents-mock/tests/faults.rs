//! Fault injection from Rust, from the command-line syntax and over the admin HTTP route.

use std::time::Duration;

use reqwest::Client;
use sambanova_agents_mock::{Fault, FaultRule, MockServer, TEST_API_KEY};
use serde_json::{Value, json};

async fn call(mock: &MockServer, path: &str) -> reqwest::Result<reqwest::Response> {
    Client::new()
        .post(format!("{}{path}", mock.url()))
        .bearer_auth(TEST_API_KEY)
        .json(&json!({"prompt": "p", "code": "print(1)"}))
        .send()
        .await
}

#[tokio::test]
async fn status_fault_applies_n_times_and_counts_requests() {
    let mock = MockServer::start().await.unwrap();
    mock.faults().add(
        FaultRule::new(
            "POST",
            "/api/agent/coding",
            Fault::too_many_requests_after_secs(2),
        )
        .times(2),
    );
    // `/agent/coding` is the same route as `/api/agent/coding`.
    let r = call(&mock, "/agent/coding").await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    assert!(r.headers().contains_key("x-request-id"));
    assert_eq!(
        call(&mock, "/api/agent/coding").await.unwrap().status(),
        429
    );
    assert_eq!(
        call(&mock, "/api/agent/coding").await.unwrap().status(),
        200
    );
    assert_eq!(mock.requests("POST", "/api/agent/coding"), 2);
    assert_eq!(mock.requests("POST", "/agent/coding"), 1);
    assert_eq!(mock.requests("POST", "/api/agent/mainagent"), 0);
}

#[tokio::test]
async fn nginx_504_and_retry_after_ms() {
    let mock = MockServer::start().await.unwrap();
    mock.faults()
        .inject("POST", "/api/agent/*", Fault::nginx_504(), Some(1));
    mock.faults().inject(
        "POST",
        "/api/agent/*",
        Fault::too_many_requests_after_ms(150),
        Some(1),
    );
    let r = call(&mock, "/api/agent/mainagent").await.unwrap();
    assert_eq!(r.status(), 504);
    assert_eq!(r.headers()["content-type"], "text/html");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("<title>504 Gateway Time-out</title>")
    );
    let r = call(&mock, "/api/agent/mainagent").await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after-ms"], "150");
}

#[tokio::test]
async fn reset_gives_a_connection_error_and_is_counted() {
    let mock = MockServer::start().await.unwrap();
    mock.faults()
        .add(FaultRule::new("POST", "/api/agent/coding", Fault::Reset).times(1));
    let err = call(&mock, "/api/agent/coding").await.unwrap_err();
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert_eq!(mock.requests("POST", "/api/agent/coding"), 1);
    assert_eq!(
        call(&mock, "/api/agent/coding").await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn cut_body_fails_while_reading() {
    let mock = MockServer::start().await.unwrap();
    mock.faults().add(FaultRule::new(
        "POST",
        "/api/agent/mainagent",
        Fault::CutBody { after_bytes: 10 },
    ));
    let r = call(&mock, "/api/agent/mainagent").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.is_err());
}

#[tokio::test]
async fn stall_never_answers() {
    let mock = MockServer::start().await.unwrap();
    mock.faults()
        .add(FaultRule::new("POST", "/api/agent/mainagent", Fault::Stall));
    let err = Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
        .post(format!("{}/agent/mainagent", mock.agents_url()))
        .json(&json!({"prompt": "p"}))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
}

#[tokio::test]
async fn malformed_wrong_type_and_huge_bodies() {
    let mock = MockServer::start().await.unwrap();
    let f = mock.faults();
    f.inject(
        "POST",
        "/api/agent/mainagent",
        Fault::MalformedJson,
        Some(1),
    );
    f.inject(
        "POST",
        "/api/agent/mainagent",
        Fault::WrongContentType {
            content_type: "text/plain".into(),
        },
        Some(1),
    );
    f.inject(
        "POST",
        "/api/agent/mainagent",
        Fault::HugeBody { bytes: 3_000_000 },
        Some(1),
    );
    let r = call(&mock, "/api/agent/mainagent").await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(serde_json::from_slice::<Value>(&r.bytes().await.unwrap()).is_err());
    let r = call(&mock, "/api/agent/mainagent").await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/plain");
    assert!(serde_json::from_slice::<Value>(&r.bytes().await.unwrap()).is_ok());
    let r = call(&mock, "/api/agent/mainagent").await.unwrap();
    assert_eq!(r.bytes().await.unwrap().len(), 3_000_000);
}

#[tokio::test]
async fn latency_fault_then_normal_response() {
    let mock = MockServer::start().await.unwrap();
    mock.faults().inject(
        "POST",
        "/api/agent/mainagent",
        Fault::Latency(Duration::from_millis(20)),
        None,
    );
    assert_eq!(
        call(&mock, "/api/agent/mainagent").await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn admin_http_route_drives_faults() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let admin = format!("{}/__mock/faults", mock.url());
    let r = c
        .post(&admin)
        .json(&json!({"method": "POST", "path": "/api/agent/coding", "fault": {"status": {"status": 502}}, "times": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = c
        .post(&admin)
        .body("POST /api/agent/mainagent 503 times=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = c.post(&admin).body("garbage").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        call(&mock, "/api/agent/coding").await.unwrap().status(),
        502
    );
    let rules: Value = c.get(&admin).send().await.unwrap().json().await.unwrap();
    assert_eq!(rules.as_array().unwrap().len(), 1);
    assert_eq!(c.delete(&admin).send().await.unwrap().status(), 204);
    assert_eq!(
        call(&mock, "/api/agent/mainagent").await.unwrap().status(),
        200
    );
    let counts: Value = c
        .get(format!("{}/__mock/requests", mock.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        counts
            .as_array()
            .unwrap()
            .contains(&json!({"method": "POST", "path": "/api/agent/coding", "count": 1}))
    );
}

#[test]
fn cli_syntax_parses_into_the_same_faults() {
    let r: FaultRule = "post /api/agent/coding 429 times=2 retry-after=1"
        .parse()
        .unwrap();
    assert_eq!((r.method.as_str(), r.times), ("POST", Some(2)));
    assert_eq!(r.fault, Fault::too_many_requests_after_secs(1));
    let r: FaultRule = "GET /api/v1/* stall-stream after=3".parse().unwrap();
    assert_eq!(r.fault, Fault::StallStream { after_events: 3 });
    let r: FaultRule = "POST /x 504".parse().unwrap();
    assert_eq!(r.fault, Fault::nginx_504());
    assert_eq!(
        "POST /x latency ms=5".parse::<FaultRule>().unwrap().fault,
        Fault::Latency(Duration::from_millis(5))
    );
    for bad in [
        "",
        "POST",
        "POST /x",
        "POST /x bogus",
        "POST /x latency",
        "POST /x 429 times=z",
        "POST /x 429 k",
    ] {
        assert!(bad.parse::<FaultRule>().is_err(), "{bad}");
    }
    let json = serde_json::to_string(&FaultRule::new("POST", "/x", Fault::Reset)).unwrap();
    assert_eq!(
        serde_json::from_str::<FaultRule>(&json).unwrap().fault,
        Fault::Reset
    );
}

mod sse {
    use futures_util::StreamExt;
    use reqwest::Client;
    use sambanova_agents_mock::{DEMO_SANDBOX_ID, Fault, FaultRule, MockServer};
    use serde_json::json;

    async fn stream_url(mock: &MockServer) -> String {
        let s: serde_json::Value = Client::new()
            .post(format!(
                "{}/api/v1/sandboxes/{DEMO_SANDBOX_ID}/sessions",
                mock.url()
            ))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sid = s["id"].as_str().unwrap();
        Client::new()
            .post(format!("{}/api/v1/sessions/{sid}/messages", mock.url()))
            .json(&json!({"message": "a b c"}))
            .send()
            .await
            .unwrap();
        format!("/api/v1/sessions/{sid}/stream")
    }

    #[tokio::test]
    async fn close_stream_after_n_events() {
        let mock = MockServer::start().await.unwrap();
        let path = stream_url(&mock).await;
        mock.faults().add(FaultRule::new(
            "GET",
            &path,
            Fault::CloseStreamAfter { events: 2 },
        ));
        let text = Client::new()
            .get(format!("{}{path}", mock.url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(text.matches("\nevent: ").count(), 2);
    }

    #[tokio::test]
    async fn stall_stream_keeps_connection_silent() {
        let mock = MockServer::builder()
            .keepalive_interval(std::time::Duration::from_millis(20))
            .start()
            .await
            .unwrap();
        let path = stream_url(&mock).await;
        mock.faults().add(FaultRule::new(
            "GET",
            &path,
            Fault::StallStream { after_events: 1 },
        ));
        let res = Client::builder()
            .read_timeout(std::time::Duration::from_millis(300))
            .build()
            .unwrap()
            .get(format!("{}{path}", mock.url()))
            .send()
            .await
            .unwrap();
        let mut body = res.bytes_stream();
        let first = body.next().await.unwrap().unwrap();
        assert!(first.starts_with(b"id: "));
        // No keepalive arrives even though the interval is short: the read times out.
        assert!(body.next().await.unwrap().unwrap_err().is_timeout());
    }

    #[tokio::test]
    async fn oversized_event_is_one_data_line() {
        let mock = MockServer::start().await.unwrap();
        let path = stream_url(&mock).await;
        mock.faults()
            .add(FaultRule::new("GET", &path, Fault::OversizedEvent { bytes: 200_000 }).times(1));
        let res = Client::new()
            .get(format!("{}{path}", mock.url()))
            .send()
            .await
            .unwrap();
        let mut body = res.bytes_stream();
        let mut buf = Vec::new();
        while !buf.windows(2).any(|w| w == b"\n\n") {
            buf.extend_from_slice(&body.next().await.unwrap().unwrap());
        }
        let text = String::from_utf8(buf).unwrap();
        let first = text.split("\n\n").next().unwrap();
        assert_eq!(first.len(), "event: oversized\ndata: ".len() + 200_000);
    }
}
