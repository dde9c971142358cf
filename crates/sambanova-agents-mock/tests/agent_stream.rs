//! The agent-stream backend answers like the recorded exchanges of the real server (the SDK's
//! fixtures): login, the once-only refresh, the error envelope, and both streams' events.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::Client;
use sambanova_agents_mock::MockServer;
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../sambanova-agents/tests/fixtures/agent-stream/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|f| !f.trim().is_empty())
        .map(|f| {
            let mut lines = f.lines();
            let name = lines.next().unwrap().strip_prefix("event: ").unwrap();
            let data = lines.next().unwrap().strip_prefix("data: ").unwrap();
            assert!(lines.next().is_none(), "one data line: {f}");
            (name.to_owned(), serde_json::from_str(data).unwrap())
        })
        .collect()
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

async fn login(mock: &MockServer, c: &Client) -> (String, String) {
    let r = c
        .post(format!("{}/api/v1/auth/login", mock.url()))
        .json(&json!({"username": "demo", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("agents_backend_refresh_token=") && cookie.contains("HttpOnly"));
    let b: Value = r.json().await.unwrap();
    let captured: Value = serde_json::from_str(&fixture("login.b")).unwrap();
    assert_eq!(keys(&b), keys(&captured));
    assert_eq!(keys(&b["data"]), keys(&captured["data"]));
    assert_eq!(b["msg"], "Request success");
    let token = b["data"]["access_token"].as_str().unwrap().to_owned();
    assert_eq!(token.split('.').count(), 3);
    (token, cookie.split(';').next().unwrap().to_owned())
}

async fn post(
    mock: &MockServer,
    c: &Client,
    path: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    c.post(format!("{}{path}", mock.url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn envelope(r: reqwest::Response, status: u16) -> Value {
    assert_eq!(r.status(), status);
    assert!(r.headers().contains_key("x-request-id"));
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["code"], status);
    assert!(b["msg"].is_string(), "{b}");
    b
}

#[tokio::test]
async fn login_takes_json_at_the_real_path_and_refuses_like_the_server() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    login(&mock, &c).await;
    let url = format!("{}/api/v1/auth/login", mock.url());
    let form = c
        .post(&url)
        .form(&[("username", "demo"), ("password", "demo")])
        .send()
        .await
        .unwrap();
    let b = envelope(form, 422).await;
    let captured: Value = serde_json::from_str(&fixture("login_form.b")).unwrap();
    assert_eq!(keys(&b), keys(&captured));
    assert_eq!(
        b["data"]["errors"][0]["type"],
        captured["data"]["errors"][0]["type"]
    );
    let guide = c
        .post(format!("{}/api/v1/admin/auth/login", mock.url()))
        .form(&[("username", "demo"), ("password", "demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(envelope(guide, 404).await["msg"], "Not Found");
    let wrong = c
        .post(&url)
        .json(&json!({"username": "demo", "password": "nope"}))
        .send()
        .await
        .unwrap();
    let wrong = envelope(wrong, 403).await;
    let unknown = c
        .post(&url)
        .json(&json!({"username": "nobody", "password": "demo"}))
        .send()
        .await
        .unwrap();
    let unknown = envelope(unknown, 404).await;
    assert_eq!(wrong["msg"], unknown["msg"]);
    assert_ne!(unknown["msg"], "Not Found");
    // Five logins a minute, whatever the user or the result (these were four, the guide's
    // path does not count): the sixth is limited.
    login(&mock, &c).await;
    let limited = c
        .post(&url)
        .json(&json!({"username": "demo", "password": "demo"}))
        .send()
        .await
        .unwrap();
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    envelope(limited, 429).await;
}

#[tokio::test]
async fn a_refresh_works_once_and_revokes_the_previous_token() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (old, cookie) = login(&mock, &c).await;
    let url = format!("{}/api/v1/auth/refresh", mock.url());
    let r = c.post(&url).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(!r.headers().contains_key("set-cookie"));
    let b: Value = r.json().await.unwrap();
    let captured: Value = serde_json::from_str(&fixture("refresh.b")).unwrap();
    assert_eq!(keys(&b["data"]), keys(&captured["data"]));
    let new = b["data"]["access_token"].as_str().unwrap().to_owned();
    let again = c.post(&url).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(again.headers()["www-authenticate"], "Bearer");
    envelope(again, 401).await;
    envelope(c.post(&url).send().await.unwrap(), 400).await;
    let body = json!({"messages": [{"role": "user", "content": "hi"}]});
    let revoked = envelope(
        post(&mock, &c, "/agent/chat/stream", &old, body.clone()).await,
        401,
    )
    .await;
    assert_eq!(revoked["msg"], "Token 已过期");
    assert!(revoked.get("trace_id").is_none());
    assert_eq!(
        post(&mock, &c, "/agent/chat/stream", &new, body)
            .await
            .status(),
        200
    );
    let guide = c
        .post(format!("{}/api/v1/admin/auth/token/refresh", mock.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    envelope(guide, 404).await;
}

#[tokio::test]
async fn tokens_are_told_apart_and_checked_before_the_body() {
    let mock = MockServer::builder()
        .token_ttl(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let c = Client::new();
    let (expired, _) = login(&mock, &c).await;
    let body = json!({"messages": [{"role": "user", "content": "hi"}]});
    let r = post(&mock, &c, "/agent/agent/stream", &expired, body.clone()).await;
    assert_eq!(envelope(r, 401).await["msg"], "Token 已过期");
    let r = post(
        &mock,
        &c,
        "/agent/agent/stream",
        "a.b.c",
        json!("not a body"),
    )
    .await;
    assert_eq!(envelope(r, 401).await["msg"], "Token 无效");
    let none = c
        .post(format!("{}/agent/chat/stream", mock.url()))
        .header("x-api-key", "key")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    assert_eq!(envelope(none, 401).await["msg"], "Not authenticated");
}

#[tokio::test]
async fn bad_bodies_and_unimplemented_modules_fail_before_any_stream() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (token, _) = login(&mock, &c).await;
    let r = post(
        &mock,
        &c,
        "/agent/chat/stream",
        &token,
        json!({"messages": "nope", "max_step_num": 99}),
    )
    .await;
    let b = envelope(r, 422).await;
    let captured: Value = serde_json::from_str(&fixture("chat_422.b")).unwrap();
    let types = |v: &Value| -> Vec<Value> {
        v["data"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].clone())
            .collect()
    };
    assert_eq!(types(&b), types(&captured));
    assert!(b["trace_id"].is_string());
    let bad_json = c
        .post(format!("{}/agent/chat/stream", mock.url()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"messages\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(
        envelope(bad_json, 422).await["data"]["errors"][0]["type"],
        "json_invalid"
    );
    let messages = json!([{"role": "user", "content": "hi"}]);
    for module in ["podcast", "ppt", "prose"] {
        let r = post(
            &mock,
            &c,
            "/agent/agent/stream",
            &token,
            json!({"module": module, "messages": messages}),
        )
        .await;
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let b = envelope(r, 501).await;
        assert!(
            b["msg"].as_str().unwrap().contains("not yet implemented"),
            "{b}"
        );
    }
    let r = post(
        &mock,
        &c,
        "/agent/agent/stream",
        &token,
        json!({"module": "nope", "messages": messages}),
    )
    .await;
    assert_eq!(envelope(r, 422).await["data"]["errors"][0]["type"], "enum");
}

async fn chat(mock: &MockServer, c: &Client, token: &str, body: Value) -> Vec<(String, Value)> {
    let r = post(mock, c, "/agent/chat/stream", token, body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    assert!(
        !text.contains("\n:") && !text.starts_with(':'),
        "no keep-alive comments"
    );
    assert!(!text.contains("\nid:") && !text.contains("\nretry:"));
    events(&text)
}

fn captured_events(name: &str) -> Vec<(String, Value)> {
    events(&fixture(name))
}

#[tokio::test]
async fn a_chat_sends_each_piece_twice_and_names_its_new_thread() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (token, _) = login(&mock, &c).await;
    let ev = chat(
        &mock,
        &c,
        &token,
        json!({"messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    let captured = captured_events("chat_stream.b");
    assert_eq!(names(&ev), names(&captured));
    let thread = ev[0].1["thread_id"].as_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&thread).is_ok(), "{thread}");
    assert!(ev.iter().all(|(_, d)| d["thread_id"] == thread.as_str()));
    for ((_, ours), (_, theirs)) in ev.iter().zip(&captured) {
        assert_eq!(keys(ours), keys(theirs));
    }
    let (message, chunk) = (&ev[1].1, &ev[2].1);
    assert_eq!(
        (&message["id"], &message["content"]),
        (&chunk["id"], &chunk["content"])
    );
    // The same thread continues when asked for.
    let next = chat(
        &mock,
        &c,
        &token,
        json!({"thread_id": thread, "messages": [{"role": "user", "content": "more"}]}),
    )
    .await;
    assert_eq!(next[0].1["thread_id"], thread.as_str());
}

#[tokio::test]
async fn a_chat_tool_call_comes_with_its_result_twice() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (token, _) = login(&mock, &c).await;
    let ev = chat(
        &mock,
        &c,
        &token,
        json!({"messages": [{"role": "user", "content": "read it #tool"}]}),
    )
    .await;
    let captured = captured_events("chat_stream_tool.b");
    assert_eq!(names(&ev), names(&captured));
    for ((_, ours), (_, theirs)) in ev.iter().zip(&captured) {
        assert_eq!(keys(ours), keys(theirs));
    }
    let results: Vec<&Value> = ev
        .iter()
        .filter(|(n, _)| n == "tool_result" || n == "tool_call_result")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0], results[1]);
    let args = ev.iter().find(|(n, _)| n == "tool_call_args").unwrap();
    let calls = ev.iter().find(|(n, _)| n == "tool_calls").unwrap();
    let parsed: Value = serde_json::from_str(args.1["delta"].as_str().unwrap()).unwrap();
    assert_eq!(parsed, calls.1["tool_calls"][0]["args"]);
    assert!(
        calls.1["tool_call_chunks"][0]["args"]
            .as_str()
            .unwrap()
            .starts_with("&#123;")
    );
}

#[tokio::test]
async fn a_chat_interrupt_is_answered_on_its_thread() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (token, _) = login(&mock, &c).await;
    let ev = chat(
        &mock,
        &c,
        &token,
        json!({"thread_id": "hitl-1", "messages": [{"role": "user", "content": "plan it #ask"}]}),
    )
    .await;
    assert_eq!(names(&ev), names(&captured_events("chat_stream_hitl.b")));
    let (_, interrupt) = ev.last().unwrap();
    let hitl = captured_events("chat_stream_hitl.b");
    let captured = &hitl.last().unwrap().1;
    assert_eq!(keys(interrupt), keys(captured));
    assert_eq!(keys(&interrupt["context"]), keys(&captured["context"]));
    assert_eq!(interrupt["options"], captured["options"]);
    assert_eq!(interrupt["context"]["questions"][0], "Proceed with plan A?");
    // Accepting asks again, as the server does.
    let accepted = json!({"thread_id": "hitl-1", "interrupt_feedback": "accepted", "messages": [{"role": "user", "content": "accepted"}]});
    let ev = chat(&mock, &c, &token, accepted).await;
    assert_eq!(names(&ev), names(&captured_events("chat_stream_resume.b")));
    // Any other answer finishes the turn.
    let answered = json!({"thread_id": "hitl-1", "interrupt_feedback": "plan B", "messages": [{"role": "user", "content": "plan B"}]});
    let ev = chat(&mock, &c, &token, answered).await;
    assert!(ev.iter().all(|(n, _)| n != "interrupt"));
    assert!(
        ev.iter()
            .any(|(_, d)| d["content"].as_str().is_some_and(|t| t.contains("plan B")))
    );
}

#[tokio::test]
async fn a_failed_chat_sends_only_its_error() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (token, _) = login(&mock, &c).await;
    let ev = chat(
        &mock,
        &c,
        &token,
        json!({"messages": [{"role": "user", "content": "#error"}]}),
    )
    .await;
    let captured = captured_events("chat_stream_unpatched.b");
    assert_eq!(names(&ev), names(&captured));
    assert_eq!(keys(&ev[0].1), keys(&captured[0].1));
}

async fn agent(mock: &MockServer, c: &Client, token: &str, body: Value) -> Vec<(String, Value)> {
    let r = post(mock, c, "/agent/agent/stream", token, body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/event-stream; charset=utf-8"
    );
    events(&r.text().await.unwrap())
}

#[tokio::test]
async fn the_agent_stream_fails_like_a_server_without_sandboxes() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (token, _) = login(&mock, &c).await;
    let ev = agent(
        &mock,
        &c,
        &token,
        json!({"module": "general", "messages": [{"role": "user", "content": "#sandbox_error"}]}),
    )
    .await;
    let captured = captured_events("agent_stream.b");
    assert_eq!(names(&ev), names(&captured));
    assert_eq!(ev[0].1, captured[0].1);
    assert_eq!(ev[1].1["type"], "sandbox_error");
}

#[tokio::test]
async fn an_agent_run_completes_and_its_thread_keeps_its_sandbox() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (token, _) = login(&mock, &c).await;
    let ev = agent(
        &mock,
        &c,
        &token,
        json!({"messages": [{"role": "user", "content": "hello"}]}),
    )
    .await;
    assert_eq!(ev[0].1["type"], "processing");
    for n in [
        "tool_call_start",
        "tool_call_args",
        "tool_call_end",
        "tool_result",
        "message",
    ] {
        assert!(names(&ev).contains(&n), "{n}");
    }
    let msg = &ev.iter().find(|(n, _)| n == "message").unwrap().1;
    let thread = msg["thread_id"].as_str().unwrap().to_owned();
    assert_ne!(thread, "__default__");
    let (_, last) = ev.last().unwrap();
    assert_eq!(last["type"], "complete");
    let sandbox = last["sandbox_id"].clone();
    let again = agent(
        &mock,
        &c,
        &token,
        json!({"thread_id": thread, "messages": [{"role": "user", "content": "again"}]}),
    )
    .await;
    assert_eq!(again.last().unwrap().1["sandbox_id"], sandbox);
}

#[tokio::test]
async fn research_interrupt_then_feedback_continues() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let (token, _) = login(&mock, &c).await;
    let body = json!({"module": "research", "thread_id": "t1", "auto_accepted_plan": false, "messages": [{"role": "user", "content": "batteries"}]});
    let ev = agent(&mock, &c, &token, body).await;
    let (name, data) = ev.last().unwrap();
    assert_eq!(name, "interrupt");
    assert_eq!(data["thread_id"], "t1");
    assert!(data["content"].as_str().unwrap().contains("batteries"));
    let body = json!({"module": "research", "thread_id": "t1", "interrupt_feedback": "accepted", "messages": [{"role": "user", "content": "go"}]});
    let ev = agent(&mock, &c, &token, body).await;
    assert!(ev.iter().all(|(n, _)| n != "interrupt"));
    assert_eq!(ev.last().unwrap().1["type"], "complete");
}
