//! Sessions API and its SSE streams.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Client;
use sambanova_agents_mock::{DEMO_SANDBOX_ID, MockServer};
use serde_json::{Value, json};

/// Reads an SSE body until `done` holds for the text received so far.
async fn read_until(res: reqwest::Response, done: impl Fn(&str) -> bool) -> String {
    let mut body = res.bytes_stream();
    let mut text = String::new();
    while !done(&text) {
        let chunk = body.next().await.expect("stream ended early").unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    text
}

async fn new_session(mock: &MockServer) -> String {
    let res = Client::new()
        .post(format!(
            "{}/api/v1/sandboxes/{DEMO_SANDBOX_ID}/sessions",
            mock.url()
        ))
        .json(&json!({"metadata": {"purpose": "test"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["state"], "active");
    assert_eq!(b["metadata"]["purpose"], "test");
    b["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn message_turn_streams_scripted_events_and_stores_messages() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let sid = new_session(&mock).await;
    let base = format!("{}/api/v1/sessions/{sid}", mock.url());
    let stream = c.get(format!("{base}/stream")).send().await.unwrap();
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(stream.headers()["cache-control"], "no-cache");
    let user: Value = c
        .post(format!("{base}/messages"))
        .json(&json!({"message": "hello world"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["role"], "user");
    assert_eq!(
        user["content"],
        json!([{"type": "text", "text": "hello world"}])
    );
    let text = read_until(stream, |t| t.contains("\"queue_length\":0")).await;
    let kinds: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    let expected_order = [
        "session_created",
        "queue_updated",
        "connected",
        "text_delta",
        "tool_use_start",
        "tool_input_delta",
        "tool_use_complete",
        "tool_result",
        "text_complete",
        "session_completed",
        "queue_updated",
    ];
    let mut it = kinds.iter();
    for k in expected_order {
        assert!(
            it.any(|x| *x == k),
            "{k} missing or out of order in {kinds:?}"
        );
    }
    assert!(!text.contains("retry:") && !text.contains('\r'));
    let s: Value = c.get(&base).send().await.unwrap().json().await.unwrap();
    let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(s["messages"].as_array().unwrap().len(), 2);
    assert_eq!(s["messages"][1]["role"], "assistant");
    assert_eq!(s["state"], "active");
}

#[tokio::test]
async fn sse_frame_is_byte_exact() {
    let mock = MockServer::start().await.unwrap();
    let sid = new_session(&mock).await;
    let res = Client::new()
        .get(format!("{}/api/v1/sessions/{sid}/stream", mock.url()))
        .send()
        .await
        .unwrap();
    let text = read_until(res, |t| t.ends_with("\n\n")).await;
    let mut lines = text.split('\n');
    let id = lines
        .next()
        .unwrap()
        .strip_prefix("id: ")
        .unwrap()
        .to_owned();
    assert_eq!(lines.next().unwrap(), "event: session_created");
    let data: Value =
        serde_json::from_str(lines.next().unwrap().strip_prefix("data: ").unwrap()).unwrap();
    assert_eq!(
        (lines.next(), lines.next(), lines.next()),
        (Some(""), Some(""), None)
    );
    assert_eq!(data["id"], id.as_str());
    assert_eq!(data["session_id"], sid.as_str());
    assert_eq!(data["sandbox_id"], DEMO_SANDBOX_ID);
    assert_eq!(data["event_type"], "session_created");
    assert_eq!(
        text,
        format!("id: {id}\nevent: session_created\ndata: {data}\n\n")
    );
}

#[tokio::test]
async fn keepalive_comment_is_sent() {
    let mock = MockServer::builder()
        .keepalive_interval(Duration::from_millis(50))
        .start()
        .await
        .unwrap();
    let sid = new_session(&mock).await;
    let res = Client::new()
        .get(format!("{}/api/v1/sessions/{sid}/stream", mock.url()))
        .send()
        .await
        .unwrap();
    let text = read_until(res, |t| t.contains(": keepalive\n\n")).await;
    assert!(text.ends_with(": keepalive\n\n"));
}

#[tokio::test]
async fn replay_and_resume_by_query_and_header() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let sid = new_session(&mock).await;
    let base = format!("{}/api/v1/sessions/{sid}", mock.url());
    c.post(format!("{base}/messages"))
        .json(&json!({"message": "one"}))
        .send()
        .await
        .unwrap();
    let full = read_until(c.get(format!("{base}/stream")).send().await.unwrap(), |t| {
        t.contains("\"queue_length\":0")
    })
    .await;
    let ids: Vec<&str> = full
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .collect();
    assert!(ids.len() > 5);
    let after = ids[2];
    let by_query = read_until(
        c.get(format!("{base}/stream?last_event_id={after}"))
            .send()
            .await
            .unwrap(),
        |t| t.contains("\"queue_length\":0"),
    )
    .await;
    let first = by_query
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap();
    assert_eq!(first, ids[3]);
    let by_header = read_until(
        c.get(format!("{base}/stream"))
            .header("Last-Event-ID", after)
            .send()
            .await
            .unwrap(),
        |t| t.contains("\"queue_length\":0"),
    )
    .await;
    assert_eq!(by_header, by_query);
    let unknown = read_until(
        c.get(format!("{base}/stream?last_event_id=nope"))
            .send()
            .await
            .unwrap(),
        |t| t.contains("\"queue_length\":0"),
    )
    .await;
    assert_eq!(unknown, full);
}

#[tokio::test]
async fn error_and_crash_prompts_have_no_session_completed() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    for (prompt, terminal) in [
        ("#error please", Some("result_error")),
        ("#crash now", None),
    ] {
        let sid = new_session(&mock).await;
        let base = format!("{}/api/v1/sessions/{sid}", mock.url());
        c.post(format!("{base}/messages"))
            .json(&json!({"role": "user", "content": [{"type": "text", "text": prompt}]}))
            .send()
            .await
            .unwrap();
        let text = read_until(c.get(format!("{base}/stream")).send().await.unwrap(), |t| {
            t.contains("\"queue_length\":0")
        })
        .await;
        assert!(!text.contains("event: session_completed"));
        if let Some(t) = terminal {
            assert!(text.contains(&format!("event: {t}")));
        }
        let s: Value = c.get(&base).send().await.unwrap().json().await.unwrap();
        if prompt.starts_with("#crash") {
            assert!(
                s["messages"][1]["content"][0]["text"]
                    .as_str()
                    .unwrap()
                    .starts_with("Agent exited with code 3.\n")
            );
        }
    }
}

#[tokio::test]
async fn interrupt_stops_a_turn_and_is_ok_when_idle() {
    let mock = MockServer::builder()
        .agent_delay(Duration::from_secs(3600))
        .start()
        .await
        .unwrap();
    let c = Client::new();
    let sid = new_session(&mock).await;
    let base = format!("{}/api/v1/sessions/{sid}", mock.url());
    let stream = c.get(format!("{base}/stream")).send().await.unwrap();
    c.post(format!("{base}/messages"))
        .json(&json!({"message": "long task"}))
        .send()
        .await
        .unwrap();
    let mut body = stream.bytes_stream();
    let mut text = String::new();
    while !text.contains("event: text_delta") {
        text.push_str(std::str::from_utf8(&body.next().await.unwrap().unwrap()).unwrap());
    }
    let q: Value = c
        .get(format!("{base}/queue"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q["processing"], true);
    let r: Value = c
        .post(format!("{base}/interrupt"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, json!({"status": "interrupted"}));
    while !text.contains("\"queue_length\":0") {
        text.push_str(std::str::from_utf8(&body.next().await.unwrap().unwrap()).unwrap());
    }
    assert!(!text.contains("session_completed") && !text.contains("text_complete"));
    let s: Value = c.get(&base).send().await.unwrap().json().await.unwrap();
    assert_eq!(s["messages"][1]["content"][0]["text"], "Echo: ");
    let r = c.post(format!("{base}/interrupt")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn error_codes_and_help() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let missing = "6f1c0000-0000-4000-8000-000000000001";
    let r = c
        .get(format!("{}/api/v1/sessions/{missing}", mock.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "session_not_found"
    );
    let r = c
        .get(format!("{}/api/v1/sessions/not-a-uuid", mock.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().starts_with("Invalid URL"));
    let r = c
        .post(format!(
            "{}/api/v1/sandboxes/{DEMO_SANDBOX_ID}/sessions",
            mock.url()
        ))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let sid = new_session(&mock).await;
    let r: Value = c
        .post(format!("{}/api/v1/sessions/{sid}/messages", mock.url()))
        .json(&json!({"message": "/help"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["role"], "assistant");
    let secured = MockServer::builder()
        .sessions_api_key(Some("k".into()))
        .start()
        .await
        .unwrap();
    let url = format!("{}/api/v1/sandboxes", secured.url());
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "unauthorized"
    );
    assert_eq!(
        c.get(&url).bearer_auth("k").send().await.unwrap().status(),
        200
    );
    assert_eq!(
        c.get(&url)
            .header("X-API-Key", "k")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(format!("{url}?token=k"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn sandbox_placeholder_is_replaced_by_the_real_id() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let r = c
        .post(format!("{}/api/v1/sandboxes", mock.url()))
        .json(&json!({"name": "box-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["status"], "provisioning");
    let ph = b["sandbox_id"].as_str().unwrap().to_owned();
    let text = read_until(
        c.get(format!("{}/api/v1/sandboxes/{ph}/stream", mock.url()))
            .send()
            .await
            .unwrap(),
        |t| t.contains("provisioning_complete") && t.ends_with("\n\n"),
    )
    .await;
    let data: Value = serde_json::from_str(
        text.lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .next_back()
            .unwrap(),
    )
    .unwrap();
    let real = data["data"]["sandbox_id"].as_str().unwrap().to_owned();
    assert_ne!(real, ph);
    assert_eq!(
        c.get(format!("{}/api/v1/sandboxes/{ph}", mock.url()))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let list: Value = c
        .get(format!("{}/api/v1/sandboxes", mock.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "box-1" && s["id"] == real.as_str())
    );
    let r = c
        .post(format!("{}/api/v1/sandboxes/{real}/sessions", mock.url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn permission_request_and_response() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let sid = new_session(&mock).await;
    let base = format!("{}/api/v1/sessions/{sid}", mock.url());
    c.post(format!("{base}/messages"))
        .json(&json!({"message": "#permission ls"}))
        .send()
        .await
        .unwrap();
    let text = read_until(c.get(format!("{base}/stream")).send().await.unwrap(), |t| {
        t.contains("\"queue_length\":0")
    })
    .await;
    let frame = text
        .split("\n\n")
        .find(|f| f.contains("event: permission_request"))
        .unwrap();
    let data: Value = serde_json::from_str(
        frame
            .lines()
            .nth(2)
            .unwrap()
            .strip_prefix("data: ")
            .unwrap(),
    )
    .unwrap();
    let rid = data["data"]["request_id"].as_str().unwrap();
    let r = c
        .post(format!("{base}/permissions/nope/respond"))
        .json(&json!({"approved": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "session_invalid_state"
    );
    let r: Value = c
        .post(format!("{base}/permissions/{rid}/respond"))
        .json(&json!({"approved": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, json!({"approved": true, "status": "ok"}));
    let r: Value = c
        .post(format!("{base}/permissions"))
        .json(&json!({"mode": "approve_all"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, json!({"mode": "approve_all", "status": "ok"}));
}

#[tokio::test]
async fn unknown_routes_have_empty_bodies_like_axum() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let r = c
        .get(format!("{}/api/v1/nothing", mock.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().await.unwrap(), "");
    let r = c
        .put(format!("{}/api/v1/sandboxes", mock.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.text().await.unwrap(), "");
}
