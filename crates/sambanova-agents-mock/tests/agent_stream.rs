//! Agent stream: login, refresh, expiry and the SSE events including the research interrupt.

use std::time::Duration;

use reqwest::Client;
use sambanova_agents_mock::MockServer;
use serde_json::{Value, json};

async fn login(mock: &MockServer, c: &Client) -> (String, String) {
    let r = c
        .post(format!("{}/api/v1/admin/auth/login", mock.url()))
        .form(&[("username", "demo"), ("password", "demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly"));
    let b: Value = r.json().await.unwrap();
    assert_eq!(
        (b["code"].clone(), b["msg"].clone()),
        (json!(200), json!("Success"))
    );
    let token = b["data"]["access_token"].as_str().unwrap().to_owned();
    assert_eq!(token.split('.').count(), 3);
    assert!(
        b["data"]["access_token_expire_time"].is_string() && b["data"]["session_uuid"].is_string()
    );
    (token, cookie.split(';').next().unwrap().to_owned())
}

fn events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|f| !f.is_empty())
        .map(|f| {
            let mut lines = f.lines();
            let name = lines
                .next()
                .unwrap()
                .strip_prefix("event: ")
                .unwrap()
                .to_owned();
            let data = serde_json::from_str(lines.next().unwrap().strip_prefix("data: ").unwrap())
                .unwrap();
            (name, data)
        })
        .collect()
}

async fn stream(mock: &MockServer, c: &Client, token: &str, body: Value) -> reqwest::Response {
    c.post(format!("{}/agent/agent/stream", mock.url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn login_refresh_and_bad_credentials() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (_, cookie) = login(&mock, &c).await;
    let r = c
        .post(format!("{}/api/v1/auth/login", mock.url()))
        .form(&[("username", "demo"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(format!("{}/api/v1/admin/auth/token/refresh", mock.url()))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert!(b["data"]["access_token"].is_string());
    let r = c
        .post(format!("{}/api/v1/auth/refresh", mock.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn expired_and_invalid_tokens_are_rejected() {
    let mock = MockServer::builder()
        .token_ttl(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let c = Client::new();
    let (token, _) = login(&mock, &c).await;
    let body = json!({"messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(stream(&mock, &c, &token, body.clone()).await.status(), 401);
    assert_eq!(stream(&mock, &c, "a.b.c", body.clone()).await.status(), 401);
    let r = c
        .post(format!("{}/agent/agent/stream", mock.url()))
        .header("X-API-Key", "key")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn general_stream_has_status_tool_reasoning_and_message_events() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (token, _) = login(&mock, &c).await;
    let r = stream(
        &mock,
        &c,
        &token,
        json!({"module": "general", "messages": [{"role": "user", "content": "hello"}]}),
    )
    .await;
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let ev = events(&r.text().await.unwrap());
    assert_eq!(ev[0], ("status".into(), json!({"type": "processing"})));
    assert_eq!(ev[1].1["type"], "sandbox_ready");
    let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
    for n in [
        "reasoning_start",
        "tool",
        "tool_call_start",
        "tool_call_args",
        "tool_call_end",
        "tool_result",
        "message",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    let msg = ev.iter().find(|(n, _)| n == "message").unwrap();
    assert_eq!(msg.1["thread_id"], "__default__");
    assert_eq!(ev.last().unwrap().1["type"], "complete");
}

#[tokio::test]
async fn research_interrupt_then_feedback_continues() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (token, _) = login(&mock, &c).await;
    let body = json!({"module": "research", "thread_id": "t1", "auto_accepted_plan": false, "messages": [{"role": "user", "content": "batteries"}]});
    let ev = events(&stream(&mock, &c, &token, body).await.text().await.unwrap());
    let (name, data) = ev.last().unwrap();
    assert_eq!(name, "interrupt");
    assert_eq!(data["thread_id"], "t1");
    assert!(data["content"].as_str().unwrap().contains("batteries"));
    let body = json!({"module": "research", "thread_id": "t1", "interrupt_feedback": "accepted", "messages": [{"role": "user", "content": "go"}]});
    let ev = events(&stream(&mock, &c, &token, body).await.text().await.unwrap());
    assert!(ev.iter().all(|(n, _)| n != "interrupt"));
    assert_eq!(ev.last().unwrap().1["type"], "complete");
}
