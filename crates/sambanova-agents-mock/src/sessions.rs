//! The sandbox Sessions API (CIAB) under `/api/v1`, reproducing the observed wire shapes
//! (see `docs/sessions-server.md`): placeholder sandbox ids, sessions answered at once
//! with the stored user message, a scripted agent publishing events, and SSE with replay.

use std::{
    collections::{HashMap, VecDeque},
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{Path, Query, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use bytes::Bytes;
use futures_util::stream;
use serde_json::{Value, json};
use tokio::sync::{broadcast, oneshot};

/// Id of the sandbox that exists, ready, from the start, so sessions can be created without provisioning.
pub const DEMO_SANDBOX_ID: &str = "5a4d0000-0000-4000-8000-00000000d3e0";

/// One published event: its id, which session it belongs to, and its SSE frame, built once.
#[derive(Debug)]
struct Event {
    id: String,
    session_id: Option<String>,
    frame: Bytes,
}

#[derive(Debug)]
struct Sandbox {
    json: Value,
    buffer: VecDeque<Arc<Event>>,
    tx: broadcast::Sender<Arc<Event>>,
    /// Set on a placeholder once the real sandbox exists: GET then answers 404.
    replaced_by: Option<String>,
}

#[derive(Debug)]
struct Session {
    json: Value,
    messages: Vec<Value>,
    running: Option<tokio::task::AbortHandle>,
    partial: Arc<Mutex<String>>,
    /// Permission requests the turn waits on, by request id: the answer goes to the turn.
    pending_permissions: HashMap<String, oneshot::Sender<bool>>,
    /// Questions the turn waits on, by request id.
    pending_questions: HashMap<String, oneshot::Sender<String>>,
}

/// How long a turn waits for a permission answer before the real server denies it.
const PERMISSION_WAIT: Duration = Duration::from_secs(300);
/// How long a turn waits for the answer to a question before the real server goes on without one.
const QUESTION_WAIT: Duration = Duration::from_secs(600);
/// The most tool calls one prompt's `#permission`s make.
const MAX_ASKED_CALLS: usize = 4;
/// What the real server gives the agent when a question got no answer in time.
const NO_ANSWER: &str = "(no answer)";

#[derive(Debug, Clone)]
pub(crate) struct SessionsConfig {
    pub keepalive: Duration,
    pub replay_buffer: usize,
    pub api_key: Option<String>,
    pub agent_delay: Duration,
}

#[derive(Debug)]
pub(crate) struct Sessions {
    cfg: SessionsConfig,
    sandboxes: Mutex<HashMap<String, Sandbox>>,
    sessions: Mutex<HashMap<String, Session>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn ciab_error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

fn session_not_found(sid: &str) -> Response {
    ciab_error(
        StatusCode::NOT_FOUND,
        "session_not_found",
        format!("session not found: {sid}"),
    )
}

fn sandbox_not_found(id: &str) -> Response {
    ciab_error(
        StatusCode::NOT_FOUND,
        "sandbox_not_found",
        format!("sandbox not found: {id}"),
    )
}

impl Sessions {
    pub(crate) fn new(cfg: SessionsConfig) -> Arc<Sessions> {
        let s = Arc::new(Sessions {
            cfg,
            sandboxes: Mutex::default(),
            sessions: Mutex::default(),
        });
        s.insert_sandbox(DEMO_SANDBOX_ID, "demo", "running");
        s
    }

    fn insert_sandbox(&self, id: &str, name: &str, state: &str) {
        let t = now();
        let json =
            json!({"id": id, "name": name, "state": state, "created_at": t, "updated_at": t});
        let (tx, _) = broadcast::channel(4096);
        lock(&self.sandboxes).insert(
            id.to_owned(),
            Sandbox {
                json,
                buffer: VecDeque::new(),
                tx,
                replaced_by: None,
            },
        );
    }

    /// Append to the sandbox's ring buffer and fan out to live streams.
    fn publish(&self, sandbox_id: &str, session_id: Option<&str>, event_type: &str, data: Value) {
        let id = new_id();
        let body = json!({"id": id, "sandbox_id": sandbox_id, "session_id": session_id,
            "event_type": event_type, "data": data, "timestamp": now()});
        let frame = Bytes::from(format!("id: {id}\nevent: {event_type}\ndata: {body}\n\n"));
        let event = Arc::new(Event {
            id,
            session_id: session_id.map(str::to_owned),
            frame,
        });
        let mut sandboxes = lock(&self.sandboxes);
        if let Some(sb) = sandboxes.get_mut(sandbox_id) {
            sb.buffer.push_back(event.clone());
            while sb.buffer.len() > self.cfg.replay_buffer {
                sb.buffer.pop_front();
            }
            let _ = sb.tx.send(event);
        }
    }

    /// Events sent on the sandbox's channel that some live stream has not read yet.
    fn backlog(&self, sandbox_id: &str) -> usize {
        lock(&self.sandboxes)
            .get(sandbox_id)
            .map_or(0, |sb| sb.tx.len())
    }

    fn set_session_state(&self, sid: &str, state: &str) {
        if let Some(s) = lock(&self.sessions).get_mut(sid) {
            s.json["state"] = json!(state);
            s.json["updated_at"] = json!(now());
        }
    }
}

type Shared = State<Arc<Sessions>>;

pub(crate) fn router(state: Arc<Sessions>) -> Router {
    Router::new()
        .route("/sandboxes", post(create_sandbox).get(list_sandboxes))
        .route("/sandboxes/{id}", get(get_sandbox).delete(delete_sandbox))
        .route("/sandboxes/{id}/stream", get(sandbox_stream))
        .route(
            "/sandboxes/{id}/start",
            post(|State(st): Shared, Path(id): Path<String>| {
                change_sandbox_state(st, id, "running")
            }),
        )
        .route(
            "/sandboxes/{id}/stop",
            post(|State(st): Shared, Path(id): Path<String>| {
                change_sandbox_state(st, id, "stopped")
            }),
        )
        .route(
            "/sandboxes/{id}/pause",
            post(|State(st): Shared, Path(id): Path<String>| {
                change_sandbox_state(st, id, "paused")
            }),
        )
        .route(
            "/sandboxes/{id}/resume",
            post(|State(st): Shared, Path(id): Path<String>| {
                change_sandbox_state(st, id, "running")
            }),
        )
        .route(
            "/sandboxes/{id}/sessions",
            post(create_session).get(list_sessions),
        )
        .route("/sessions/{sid}", get(get_session))
        .route("/sessions/{sid}/messages", post(send_message))
        .route("/sessions/{sid}/interrupt", post(interrupt))
        .route("/sessions/{sid}/queue", get(queue))
        .route("/sessions/{sid}/permissions", post(set_permissions))
        .route(
            "/sessions/{sid}/permissions/{rid}/respond",
            post(respond_permission),
        )
        .route(
            "/sessions/{sid}/user-input/{rid}/respond",
            post(respond_user_input),
        )
        .route("/sessions/{sid}/stream", get(session_stream))
        .layer(middleware::from_fn_with_state(state.clone(), auth))
        .with_state(state)
}

async fn auth(State(st): Shared, req: Request, next: Next) -> Response {
    let Some(key) = st.cfg.api_key.as_deref() else {
        return next.run(req).await;
    };
    let h = req.headers();
    let bearer = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let x_key = h.get("x-api-key").and_then(|v| v.to_str().ok());
    let token = req
        .uri()
        .query()
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| kv.strip_prefix("token="));
    if [bearer, x_key, token].contains(&Some(key)) {
        next.run(req).await
    } else {
        ciab_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "unauthorized: missing or invalid API key".into(),
        )
    }
}

async fn create_sandbox(State(st): Shared, body: Option<Json<Value>>) -> Response {
    let name = body
        .and_then(|Json(b)| b.get("name").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let placeholder = new_id();
    st.insert_sandbox(&placeholder, &name, "pending");
    let st2 = st.clone();
    let ph = placeholder.clone();
    // Provisioning runs in the background like the real runtime, but with no delay and a fixed event order.
    tokio::spawn(async move {
        for step in ["creating", "starting", "ready"] {
            st2.publish(&ph, None, "provisioning_step", json!({"step": step}));
        }
        let real = new_id();
        st2.insert_sandbox(&real, &name, "running");
        if let Some(sb) = lock(&st2.sandboxes).get_mut(&ph) {
            sb.json["state"] = json!("terminated");
        }
        st2.publish(
            &ph,
            None,
            "provisioning_complete",
            json!({"sandbox_id": real}),
        );
        if let Some(sb) = lock(&st2.sandboxes).get_mut(&ph) {
            sb.replaced_by = Some(real);
        }
    });
    (
        StatusCode::ACCEPTED,
        Json(json!({"sandbox_id": placeholder, "status": "provisioning"})),
    )
        .into_response()
}

async fn list_sandboxes(State(st): Shared) -> Json<Value> {
    let sbs = lock(&st.sandboxes);
    let mut list: Vec<Value> = sbs
        .values()
        .filter(|s| s.replaced_by.is_none())
        .map(|s| s.json.clone())
        .collect();
    list.sort_by(|a, b| a["created_at"].as_str().cmp(&b["created_at"].as_str()));
    Json(Value::Array(list))
}

async fn get_sandbox(State(st): Shared, Path(id): Path<String>) -> Response {
    match lock(&st.sandboxes).get(&id) {
        Some(sb) if sb.replaced_by.is_none() => Json(sb.json.clone()).into_response(),
        _ => sandbox_not_found(&id),
    }
}

async fn delete_sandbox(State(st): Shared, Path(id): Path<String>) -> Response {
    let has_sessions = lock(&st.sessions)
        .values()
        .any(|s| s.json["sandbox_id"] == id.as_str());
    if lock(&st.sandboxes).remove(&id).is_none() {
        return sandbox_not_found(&id);
    }
    if has_sessions {
        // The real server removes the sandbox, then fails on the sessions' foreign key.
        return ciab_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "database_error",
            "database error: FOREIGN KEY constraint failed".into(),
        );
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn create_session(
    State(st): Shared,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if lock(&st.sandboxes)
        .get(&id)
        .is_none_or(|s| s.replaced_by.is_some())
    {
        return sandbox_not_found(&id);
    }
    let t = now();
    let sid = new_id();
    let json = json!({"id": sid, "sandbox_id": id, "state": "active",
        "metadata": body.get("metadata").cloned().unwrap_or(json!({})), "created_at": t, "updated_at": t});
    lock(&st.sessions).insert(
        sid.clone(),
        Session {
            json: json.clone(),
            messages: Vec::new(),
            running: None,
            partial: Arc::default(),
            pending_permissions: HashMap::new(),
            pending_questions: HashMap::new(),
        },
    );
    st.publish(
        &id,
        Some(&sid),
        "session_created",
        json!({"session_id": sid}),
    );
    Json(json).into_response()
}

async fn list_sessions(State(st): Shared, Path(id): Path<String>) -> Json<Value> {
    let sessions = lock(&st.sessions);
    let mut list: Vec<Value> = sessions
        .values()
        .filter(|s| s.json["sandbox_id"] == id.as_str())
        .map(|s| s.json.clone())
        .collect();
    list.sort_by(|a, b| a["created_at"].as_str().cmp(&b["created_at"].as_str()));
    Json(Value::Array(list))
}

async fn get_session(State(st): Shared, Path(sid): Path<uuid::Uuid>) -> Response {
    let sid = sid.to_string();
    let sessions = lock(&st.sessions);
    let Some(s) = sessions.get(&sid) else {
        return session_not_found(&sid);
    };
    let mut json = s.json.clone();
    json["messages"] = Value::Array(s.messages.clone());
    Json(alphabetical(json)).into_response()
}

/// The real server emits this body's keys in alphabetical order. Sorted explicitly: serde_json
/// keeps insertion order instead when any crate in the build enables `preserve_order`.
fn alphabetical(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key, alphabetical(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(alphabetical).collect()),
        other => other,
    }
}

fn message(sid: &str, role: &str, text: &str) -> Value {
    json!({"id": new_id(), "session_id": sid, "role": role, "content": [{"type": "text", "text": text}], "timestamp": now()})
}

async fn send_message(
    State(st): Shared,
    Path(sid): Path<uuid::Uuid>,
    Json(body): Json<Value>,
) -> Response {
    let sid = sid.to_string();
    let text = match (
        body.get("message").and_then(Value::as_str),
        body.get("content").and_then(Value::as_array),
    ) {
        (Some(t), _) => t.to_owned(),
        (None, Some(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect(),
        _ => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Failed to deserialize the JSON body into the target type: missing field `message`",
            )
                .into_response();
        }
    };
    let (sandbox_id, user_msg) = {
        let mut sessions = lock(&st.sessions);
        let Some(s) = sessions.get_mut(&sid) else {
            return session_not_found(&sid);
        };
        let user = message(&sid, "user", &text);
        s.messages.push(user.clone());
        if ["/help", "/clear", "/skills"].contains(&text.trim()) {
            let reply = message(
                &sid,
                "assistant",
                "Available commands: /help, /clear, /skills",
            );
            s.messages.push(reply.clone());
            return Json(reply).into_response();
        }
        (
            s.json["sandbox_id"].as_str().unwrap_or_default().to_owned(),
            user,
        )
    };
    let partial = Arc::new(Mutex::new(String::new()));
    let task = tokio::spawn(run_turn(
        st.clone(),
        sandbox_id,
        sid.clone(),
        text,
        partial.clone(),
    ));
    if let Some(s) = lock(&st.sessions).get_mut(&sid) {
        s.running = Some(task.abort_handle());
        s.partial = partial;
    }
    Json(user_msg).into_response()
}

/// The scripted agent. Special prompts: `#error` ends with `result_error`, `#crash` dies before
/// replying with no terminal event, `#long N` streams N text deltas, `#question` asks a question
/// and waits for the answer, `#permission` asks before its tool runs (each `#permission` one
/// more call) and waits: allowed, the tool runs; denied, the turn stops there with no result and
/// no terminal event, as on the real server. A sandbox that is not running fails the turn with
/// an `error` event.
async fn run_turn(
    st: Arc<Sessions>,
    sb: String,
    sid: String,
    text: String,
    partial: Arc<Mutex<String>>,
) {
    let delay = st.cfg.agent_delay;
    let emit = |t: &str, d: Value| st.publish(&sb, Some(&sid), t, d);
    let pause = || async move {
        if delay.is_zero() {
            // Lets live streams drain the broadcast channel during long turns.
            tokio::task::yield_now().await
        } else {
            tokio::time::sleep(delay).await
        }
    };
    let finish = |content: &str| {
        if let Some(s) = lock(&st.sessions).get_mut(&sid) {
            s.messages.push(message(&sid, "assistant", content));
            s.running = None;
        }
    };
    let drain = || {
        emit("queue_updated", json!({"queue": [], "queue_length": 0}));
        st.set_session_state(&sid, "active");
    };
    st.set_session_state(&sid, "processing");
    emit(
        "queue_updated",
        json!({"queue": [{"id": new_id(), "prompt_text": text, "queued_at": now()}], "queue_length": 1}),
    );
    if let Some(state) = st.stopped_state(&sb) {
        let failure = format!("sandbox {sb} is not running (state: {state})");
        emit("error", json!({ "message": failure }));
        finish(&format!("Error: {failure}"));
        drain();
        return;
    }
    emit(
        "connected",
        json!({"cwd": "/workspace", "model": "mock-agent", "session_id": sid, "tools": ["Bash"]}),
    );
    if text.contains("#crash") {
        // The agent dies before saying anything: the real server then stores its exit code and
        // stderr as the reply, and sends no terminal event.
        finish("Agent exited with code 3.\nmock agent crashed");
        drain();
        return;
    }
    let say = |chunk: String| {
        lock(&partial).push_str(&chunk);
        emit("text_delta", json!({"text": chunk}));
    };
    let long = text
        .split_whitespace()
        .skip_while(|w| *w != "#long")
        .nth(1)
        .and_then(|n| n.parse::<u64>().ok());
    if let Some(n) = long {
        for i in 0..n {
            say(format!("{i} "));
            pause().await;
            // Backpressure for benchmarks: let slow readers catch up instead of losing events to
            // broadcast lag, but never wait forever on a reader that stopped reading.
            let mut waited = 0;
            while st.backlog(&sb) > 2048 && waited < 2000 {
                tokio::time::sleep(Duration::from_millis(1)).await;
                waited += 1;
            }
        }
    } else {
        say("Echo: ".into());
        pause().await;
        for w in text.split_whitespace() {
            say(format!("{w} "));
            pause().await;
        }
    }
    if text.contains("#question") {
        let answer = st.wait_for_answer(&sb, &sid).await;
        say(format!("You answered: {answer}. "));
        pause().await;
    }
    // One tool call, or one per `#permission` (at most a few), each asking before it runs.
    let asks = text.matches("#permission").count().min(MAX_ASKED_CALLS);
    for _ in 0..asks.max(1) {
        let tool_id = format!("toolu_{}", new_id().replace('-', ""));
        let tool_input = json!({"command": "echo done"});
        emit(
            "tool_use_start",
            json!({"id": tool_id, "input": {}, "name": "Bash", "streaming": true}),
        );
        emit(
            "tool_input_delta",
            json!({"index": 0, "partial_json": tool_input.to_string()}),
        );
        emit("tool_use_complete", json!({"id": tool_id}));
        if asks > 0 && !st.wait_for_permission(&sb, &sid, tool_input).await {
            // The real server stops reading the agent after a denial: no tool result, no
            // text, no terminal event; what was said so far is stored, and the queue drains.
            let said = lock(&partial).clone();
            finish(&said);
            drain();
            return;
        }
        emit(
            "tool_result",
            json!({"content": "done", "is_error": false, "tool_use_id": tool_id}),
        );
    }
    pause().await;
    say("Done.".into());
    let full = lock(&partial).clone();
    if text.contains("#error") {
        finish(&full);
        emit(
            "result_error",
            json!({"cost_usd": 0.0, "duration_ms": 1, "error_type": "error_during_execution", "message": "scripted error", "session_id": sid}),
        );
    } else {
        emit(
            "text_complete",
            json!({"cost_usd": 0.0, "duration_ms": 1, "num_turns": 1, "session_id": sid, "stop_reason": "end_turn", "text": full, "usage": {"input_tokens": 10, "output_tokens": 10}}),
        );
        finish(&full);
        emit(
            "session_completed",
            json!({"cost_usd": 0.0, "duration_ms": 1, "session_id": sid}),
        );
    }
    drain();
}

impl Sessions {
    /// The state of a sandbox that cannot run an agent (stopped or paused), if it is one.
    fn stopped_state(&self, sandbox_id: &str) -> Option<String> {
        let sandboxes = lock(&self.sandboxes);
        let state = sandboxes.get(sandbox_id)?.json["state"].as_str()?;
        ["stopped", "paused"]
            .contains(&state)
            .then(|| state.to_owned())
    }

    /// Asks for permission to run the tool and waits for the answer, with the session
    /// `waiting_for_input` meanwhile; no answer in time is a denial, as on the real server.
    /// The answer is published as `permission_response` before the turn goes on.
    async fn wait_for_permission(&self, sb: &str, sid: &str, tool_input: Value) -> bool {
        let request_id = new_id();
        let (answer, answered) = oneshot::channel();
        if let Some(s) = lock(&self.sessions).get_mut(sid) {
            s.pending_permissions.insert(request_id.clone(), answer);
        }
        // Waiting before the request is seen, so a client that reads the session right after
        // the event finds it waiting.
        self.set_session_state(sid, "waiting_for_input");
        self.publish(
            sb,
            Some(sid),
            "permission_request",
            json!({"request_id": request_id, "risk_level": "medium", "tool_input": tool_input, "tool_name": "Bash"}),
        );
        let approved = matches!(
            tokio::time::timeout(PERMISSION_WAIT, answered).await,
            Ok(Ok(true))
        );
        if let Some(s) = lock(&self.sessions).get_mut(sid) {
            s.pending_permissions.remove(&request_id);
        }
        self.set_session_state(sid, "processing");
        self.publish(
            sb,
            Some(sid),
            "permission_response",
            json!({"approved": approved, "request_id": request_id, "tool_name": "Bash"}),
        );
        approved
    }

    /// Asks the user a question (a `user_input_request` shaped like the agent's
    /// `AskUserQuestion` input) and waits for the answer, with the session
    /// `waiting_for_input` meanwhile; no answer in time gives the real server's placeholder.
    async fn wait_for_answer(&self, sb: &str, sid: &str) -> String {
        let request_id = new_id();
        let (answer, answered) = oneshot::channel();
        if let Some(s) = lock(&self.sessions).get_mut(sid) {
            s.pending_questions.insert(request_id.clone(), answer);
        }
        self.set_session_state(sid, "waiting_for_input");
        self.publish(
            sb,
            Some(sid),
            "user_input_request",
            json!({"request_id": request_id, "tool_use_id": request_id, "questions": [{
                "question": "Which file should I write?", "header": "File", "multiSelect": false,
                "options": [{"label": "hello.py", "description": "a Python script"},
                            {"label": "hello.rs", "description": "a Rust program"}]}]}),
        );
        let answer = match tokio::time::timeout(QUESTION_WAIT, answered).await {
            Ok(Ok(answer)) => answer,
            _ => NO_ANSWER.to_owned(),
        };
        if let Some(s) = lock(&self.sessions).get_mut(sid) {
            s.pending_questions.remove(&request_id);
        }
        self.set_session_state(sid, "processing");
        answer
    }
}

async fn interrupt(State(st): Shared, Path(sid): Path<uuid::Uuid>) -> Response {
    let sid = sid.to_string();
    let (running, sb, partial) = {
        let mut sessions = lock(&st.sessions);
        let Some(s) = sessions.get_mut(&sid) else {
            return session_not_found(&sid);
        };
        // The killed agent waits for nothing any more: answering now is a conflict.
        s.pending_permissions.clear();
        s.pending_questions.clear();
        (
            s.running.take(),
            s.json["sandbox_id"].as_str().unwrap_or_default().to_owned(),
            s.partial.clone(),
        )
    };
    if let Some(task) = running {
        task.abort();
        let text = lock(&partial).clone();
        if let Some(s) = lock(&st.sessions).get_mut(&sid) {
            s.messages.push(message(&sid, "assistant", &text));
        }
        st.publish(
            &sb,
            Some(&sid),
            "queue_updated",
            json!({"queue": [], "queue_length": 0}),
        );
        st.set_session_state(&sid, "active");
    }
    Json(json!({"status": "interrupted"})).into_response()
}

async fn queue(State(st): Shared, Path(sid): Path<uuid::Uuid>) -> Response {
    let sid = sid.to_string();
    match lock(&st.sessions).get(&sid) {
        Some(s) => {
            let n = usize::from(s.running.as_ref().is_some_and(|t| !t.is_finished()));
            Json(json!({"messages": [], "processing": n > 0, "queue_length": n})).into_response()
        }
        None => session_not_found(&sid),
    }
}

#[derive(serde::Deserialize)]
struct StreamQuery {
    last_event_id: Option<String>,
}

async fn session_stream(
    State(st): Shared,
    Path(sid): Path<uuid::Uuid>,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
) -> Response {
    let sid = sid.to_string();
    let sb = match lock(&st.sessions).get(&sid) {
        Some(s) => s.json["sandbox_id"].as_str().unwrap_or_default().to_owned(),
        None => return session_not_found(&sid),
    };
    sse(&st, &sb, Some(sid), resume_point(q, &headers))
}

async fn sandbox_stream(
    State(st): Shared,
    Path(id): Path<String>,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
) -> Response {
    if !lock(&st.sandboxes).contains_key(&id) {
        return sandbox_not_found(&id);
    }
    sse(&st, &id, None, resume_point(q, &headers))
}

/// `?last_event_id=` as on the real server; unlike it, the standard `Last-Event-ID` header too.
fn resume_point(q: StreamQuery, headers: &HeaderMap) -> Option<String> {
    q.last_event_id.or_else(|| {
        headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    })
}

fn sse(
    st: &Sessions,
    sandbox_id: &str,
    session: Option<String>,
    after: Option<String>,
) -> Response {
    let (replay, rx) = {
        let sbs = lock(&st.sandboxes);
        let Some(sb) = sbs.get(sandbox_id) else {
            return sandbox_not_found(sandbox_id);
        };
        let all: Vec<Arc<Event>> = sb.buffer.iter().cloned().collect();
        let start = after
            .and_then(|id| all.iter().position(|e| e.id == id))
            .map_or(0, |i| i + 1);
        (all[start..].to_vec(), sb.tx.subscribe())
    };
    let wanted = move |e: &Event| match (&session, &e.session_id) {
        (Some(want), Some(got)) => want == got,
        _ => true,
    };
    let replay: VecDeque<Arc<Event>> = replay.into_iter().filter(|e| wanted(e)).collect();
    let ka = st.cfg.keepalive;
    let ticker = tokio::time::interval_at(tokio::time::Instant::now() + ka, ka);
    let body = stream::unfold(
        (replay, rx, ticker, wanted),
        |(mut replay, mut rx, mut ticker, wanted)| async move {
            if let Some(e) = replay.pop_front() {
                return Some((
                    Ok::<_, Infallible>(e.frame.clone()),
                    (replay, rx, ticker, wanted),
                ));
            }
            loop {
                tokio::select! {
                    _ = ticker.tick() => return Some((Ok(Bytes::from_static(b": keepalive\n\n")), (replay, rx, ticker, wanted))),
                    r = rx.recv() => match r {
                        Ok(e) if wanted(&e) => return Some((Ok(e.frame.clone()), (replay, rx, ticker, wanted))),
                        Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        // The sandbox was deleted: keep the connection open like the real server, with keepalives.
                        Err(broadcast::error::RecvError::Closed) => {
                            ticker.tick().await;
                            return Some((Ok(Bytes::from_static(b": keepalive\n\n")), (replay, rx, ticker, wanted)));
                        }
                    },
                }
            }
        },
    );
    let mut res = axum::body::Body::from_stream(body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

async fn set_permissions(
    State(st): Shared,
    Path(sid): Path<uuid::Uuid>,
    Json(body): Json<Value>,
) -> Response {
    let sid = sid.to_string();
    if !lock(&st.sessions).contains_key(&sid) {
        return session_not_found(&sid);
    }
    let mode = body
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or("approve_all")
        .to_owned();
    Json(json!({"mode": mode, "status": "ok"})).into_response()
}

async fn respond_permission(
    State(st): Shared,
    Path((sid, rid)): Path<(uuid::Uuid, String)>,
    Json(body): Json<Value>,
) -> Response {
    let sid = sid.to_string();
    let Some(approved) = body.get("approved").and_then(Value::as_bool) else {
        return missing_field("approved");
    };
    let waiting = {
        let mut sessions = lock(&st.sessions);
        let Some(s) = sessions.get_mut(&sid) else {
            return session_not_found(&sid);
        };
        s.pending_permissions.remove(&rid)
    };
    let Some(waiting) = waiting else {
        return no_pending("permission", &rid);
    };
    // The turn may have been interrupted meanwhile; the real server answers ok all the same.
    let _ = waiting.send(approved);
    Json(json!({"approved": approved, "status": "ok"})).into_response()
}

/// The real server does not check the session here: an unknown request id is the only error.
async fn respond_user_input(
    State(st): Shared,
    Path((_sid, rid)): Path<(uuid::Uuid, String)>,
    Json(body): Json<Value>,
) -> Response {
    let Some(answer) = body.get("answer").and_then(Value::as_str) else {
        return missing_field("answer");
    };
    let waiting = lock(&st.sessions)
        .values_mut()
        .find_map(|s| s.pending_questions.remove(&rid));
    let Some(waiting) = waiting else {
        return no_pending("user input", &rid);
    };
    let _ = waiting.send(answer.to_owned());
    Json(json!({"status": "ok"})).into_response()
}

/// axum's own rejection of a body without a required field: plain text, 422.
fn missing_field(field: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        format!(
            "Failed to deserialize the JSON body into the target type: missing field `{field}`"
        ),
    )
        .into_response()
}

fn no_pending(kind: &str, rid: &str) -> Response {
    ciab_error(
        StatusCode::CONFLICT,
        "session_invalid_state",
        format!("session in invalid state: no pending {kind} request with id {rid}"),
    )
}

/// `POST /sandboxes/{id}/{start,stop,pause,resume}`: the state the action leads to, answered
/// as the real server does (`{"status": <state>}`).
async fn change_sandbox_state(st: Arc<Sessions>, id: String, state: &'static str) -> Response {
    match lock(&st.sandboxes).get_mut(&id) {
        Some(sb) if sb.replaced_by.is_none() => {
            sb.json["state"] = json!(state);
            sb.json["updated_at"] = json!(now());
            Json(json!({ "status": state })).into_response()
        }
        _ => sandbox_not_found(&id),
    }
}
