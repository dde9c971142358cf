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
            assert!(!text.contains("event: text_delta"), "it died first: {text}");
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

/// A live stream read frame by frame, kept open between checks.
struct Frames {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    text: String,
}

impl Frames {
    async fn open(c: &Client, base: &str) -> Frames {
        let res = c.get(format!("{base}/stream")).send().await.unwrap();
        Frames {
            body: Box::pin(res.bytes_stream()),
            text: String::new(),
        }
    }

    /// Reads until a whole frame of this event type arrived; answers its JSON envelope.
    async fn until_event(&mut self, event_type: &str) -> Value {
        let marker = format!("event: {event_type}\n");
        loop {
            // Only whole frames: the last piece may still be arriving.
            let whole = self.text.rsplit_once("\n\n").map_or("", |(whole, _)| whole);
            if let Some(frame) = whole.split("\n\n").find(|f| f.contains(&marker)) {
                let data = frame
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap();
                return serde_json::from_str(data).unwrap();
            }
            let chunk = self.body.next().await.expect("stream ended early").unwrap();
            self.text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Reads until the queue drained (the end of every turn).
    async fn until_idle(&mut self) {
        while !self.text.contains("\"queue_length\":0") {
            let chunk = self.body.next().await.expect("stream ended early").unwrap();
            self.text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    fn kinds(&self) -> Vec<&str> {
        self.text
            .lines()
            .filter_map(|l| l.strip_prefix("event: "))
            .collect()
    }
}

async fn session_state(c: &Client, base: &str) -> Value {
    let s: Value = c.get(base).send().await.unwrap().json().await.unwrap();
    s["state"].clone()
}

#[tokio::test]
async fn a_permission_request_waits_for_its_answer_and_allowed_runs_the_tool() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let sid = new_session(&mock).await;
    let base = format!("{}/api/v1/sessions/{sid}", mock.url());
    let mut frames = Frames::open(&c, &base).await;
    c.post(format!("{base}/messages"))
        .json(&json!({"message": "#permission ls"}))
        .send()
        .await
        .unwrap();
    let request = frames.until_event("permission_request").await;
    let rid = request["data"]["request_id"].as_str().unwrap().to_owned();
    assert_eq!(request["data"]["tool_name"], "Bash");
    assert_eq!(
        request["data"]["tool_input"],
        json!({"command": "echo done"})
    );
    assert_eq!(session_state(&c, &base).await, "waiting_for_input");
    // Nothing ran yet: the tool waits for the answer.
    assert!(
        !frames.text.contains("event: tool_result"),
        "{}",
        frames.text
    );

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
    let response = frames.until_event("permission_response").await;
    assert_eq!(
        response["data"],
        json!({"approved": true, "request_id": rid, "tool_name": "Bash"})
    );
    frames.until_idle().await;
    let kinds = frames.kinds();
    let at = |k: &str| {
        kinds
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("{k} in {kinds:?}"))
    };
    assert!(at("tool_use_complete") < at("permission_request"));
    assert!(at("permission_request") < at("permission_response"));
    assert!(at("permission_response") < at("tool_result"));
    assert!(at("tool_result") < at("session_completed"));
    assert_eq!(session_state(&c, &base).await, "active");

    // Answered once: a second answer conflicts.
    let r = c
        .post(format!("{base}/permissions/{rid}/respond"))
        .json(&json!({"approved": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
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
async fn a_denied_tool_never_runs_and_the_turn_ends_without_a_terminal_event() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let sid = new_session(&mock).await;
    let base = format!("{}/api/v1/sessions/{sid}", mock.url());
    let mut frames = Frames::open(&c, &base).await;
    c.post(format!("{base}/messages"))
        .json(&json!({"message": "#permission please"}))
        .send()
        .await
        .unwrap();
    let rid = frames.until_event("permission_request").await["data"]["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = c
        .post(format!("{base}/permissions/{rid}/respond"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "an answer needs `approved`");
    let r: Value = c
        .post(format!("{base}/permissions/{rid}/respond"))
        .json(&json!({"approved": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, json!({"approved": false, "status": "ok"}));
    frames.until_idle().await;
    assert_eq!(
        frames.until_event("permission_response").await["data"]["approved"],
        false
    );
    for absent in [
        "tool_result",
        "text_complete",
        "session_completed",
        "result_error",
    ] {
        assert!(
            !frames.kinds().contains(&absent),
            "{absent}: {:?}",
            frames.kinds()
        );
    }
    let s: Value = c.get(&base).send().await.unwrap().json().await.unwrap();
    assert_eq!(s["state"], "active");
    assert_eq!(s["messages"][1]["role"], "assistant");
    assert_eq!(
        s["messages"][1]["content"][0]["text"],
        "Echo: #permission please "
    );
}

#[tokio::test]
async fn each_permission_tag_is_one_more_call_that_asks() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let sid = new_session(&mock).await;
    let base = format!("{}/api/v1/sessions/{sid}", mock.url());
    let mut frames = Frames::open(&c, &base).await;
    c.post(format!("{base}/messages"))
        .json(&json!({"message": "#permission #permission"}))
        .send()
        .await
        .unwrap();
    for _ in 0..2 {
        let asked = frames.until_event("permission_request").await;
        let rid = asked["data"]["request_id"].as_str().unwrap().to_owned();
        c.post(format!("{base}/permissions/{rid}/respond"))
            .json(&json!({"approved": true}))
            .send()
            .await
            .unwrap();
        // The next request is only looked for after this one's answer.
        frames.until_event("permission_response").await;
        frames.text = frames
            .text
            .replace("event: permission_request\n", "event: seen\n");
        frames.text = frames
            .text
            .replace("event: permission_response\n", "event: seen\n");
    }
    frames.until_idle().await;
    let results = frames.text.matches("event: tool_result").count();
    assert_eq!(results, 2, "{}", frames.text);
    assert!(frames.text.contains("event: session_completed"));
}

#[tokio::test]
async fn a_question_waits_for_its_answer_and_the_agent_gets_it() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let sid = new_session(&mock).await;
    let base = format!("{}/api/v1/sessions/{sid}", mock.url());
    let mut frames = Frames::open(&c, &base).await;
    c.post(format!("{base}/messages"))
        .json(&json!({"message": "#question"}))
        .send()
        .await
        .unwrap();
    let request = frames.until_event("user_input_request").await;
    let rid = request["data"]["request_id"].as_str().unwrap().to_owned();
    assert_eq!(
        request["data"]["questions"][0]["question"],
        "Which file should I write?"
    );
    assert_eq!(session_state(&c, &base).await, "waiting_for_input");
    assert!(!frames.text.contains("event: tool_use_start"));
    let user_input = format!("{base}/user-input/{rid}/respond");
    let r = c.post(&user_input).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let r: Value = c
        .post(&user_input)
        .json(&json!({"answer": "hello.py"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, json!({"status": "ok"}));
    frames.until_idle().await;
    assert!(
        frames.text.contains("You answered: hello.py."),
        "{}",
        frames.text
    );
    assert!(frames.kinds().contains(&"session_completed"));
    let again = c
        .post(&user_input)
        .json(&json!({"answer": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("no pending user input request")
    );
}

#[tokio::test]
async fn an_interrupt_while_waiting_ends_the_wait() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let sid = new_session(&mock).await;
    let base = format!("{}/api/v1/sessions/{sid}", mock.url());
    let mut frames = Frames::open(&c, &base).await;
    c.post(format!("{base}/messages"))
        .json(&json!({"message": "#permission"}))
        .send()
        .await
        .unwrap();
    let rid = frames.until_event("permission_request").await["data"]["request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    c.post(format!("{base}/interrupt")).send().await.unwrap();
    frames.until_idle().await;
    assert_eq!(session_state(&c, &base).await, "active");
    let r = c
        .post(format!("{base}/permissions/{rid}/respond"))
        .json(&json!({"approved": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn sandbox_lifecycle_routes_change_its_state_and_a_stopped_sandbox_fails_turns() {
    let mock = MockServer::start().await.unwrap();
    let c = Client::new();
    let sandbox = format!("{}/api/v1/sandboxes/{DEMO_SANDBOX_ID}", mock.url());
    let sid = new_session(&mock).await;
    let base = format!("{}/api/v1/sessions/{sid}", mock.url());
    for (action, state) in [
        ("stop", "stopped"),
        ("start", "running"),
        ("pause", "paused"),
        ("resume", "running"),
        ("stop", "stopped"),
    ] {
        let r: Value = c
            .post(format!("{sandbox}/{action}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r, json!({ "status": state }), "{action}");
        let got: Value = c.get(&sandbox).send().await.unwrap().json().await.unwrap();
        assert_eq!(got["state"], state, "{action}");
    }
    let mut frames = Frames::open(&c, &base).await;
    c.post(format!("{base}/messages"))
        .json(&json!({"message": "hello"}))
        .send()
        .await
        .unwrap();
    let error = frames.until_event("error").await;
    assert!(
        error["data"]["message"]
            .as_str()
            .unwrap()
            .contains("not running"),
        "{error}"
    );
    frames.until_idle().await;
    assert!(!frames.kinds().contains(&"session_completed"));
    let r = c
        .post(format!(
            "{}/api/v1/sandboxes/6f1c0000-0000-4000-8000-000000000009/start",
            mock.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "sandbox_not_found"
    );
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
