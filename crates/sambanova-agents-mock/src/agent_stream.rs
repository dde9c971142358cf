//! The agent stream backend, as the running server behaves (not as its guide says; `docs/agent-stream-server.md`): a JSON
//! login at `/api/v1/auth/login` with a refresh cookie that works once, the
//! `{code, msg, data, trace_id}` envelope on every JSON error, `POST /agent/agent/stream` and
//! `POST /agent/chat/stream` with their own bodies and events. No keep-alives.
//!
//! Scripted turns, by what the last user message contains:
//! - agent stream: `#sandbox_error` fails like a server with no sandbox provider (`status
//!   processing`, `error sandbox_error`, end); module `research` without `auto_accepted_plan`
//!   ends with an `interrupt` (a plan), answered by `interrupt_feedback` on the same thread;
//!   anything else runs one tool and ends with `status complete`. A thread keeps its sandbox.
//! - chat stream: every piece of text twice (`message`, `message_chunk`), no terminal event;
//!   `#tool` makes a tool call first, `#ask` ends with an `interrupt` (options and
//!   `context.questions`), `#error` sends only `error {thread_id, error}`. Answering the
//!   interrupt with `accepted` interrupts again, as the server does (a bug of its own); any
//!   other feedback finishes the turn.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Serialize;
use serde_json::{Value, json};

/// Logins allowed per minute, over all users and results (the server's limit per address).
const LOGINS_PER_MINUTE: usize = 5;
/// What the server says to a wrong password (403) and to an unknown user (404).
const WRONG_CREDENTIALS: &str = "用户名或密码有误";
const TOKEN_INVALID: &str = "Token 无效";
const TOKEN_EXPIRED: &str = "Token 已过期";
const REFRESH_SPENT: &str = "Refresh Token 已过期，请重新登录";
const REFRESH_COOKIE: &str = "agents_backend_refresh_token";

#[derive(Debug)]
pub(crate) struct AgentStream {
    user: (String, String),
    ttl: Duration,
    state: Mutex<AuthState>,
    /// Research threads waiting for plan feedback: thread → topic.
    pending_plans: Mutex<HashMap<String, String>>,
    /// Chat threads waiting for an answer to an interrupt: thread → question.
    pending_questions: Mutex<HashMap<String, String>>,
    /// The sandbox of each agent thread, reused by its next run.
    sandboxes: Mutex<HashMap<String, String>>,
}

#[derive(Debug, Default)]
struct AuthState {
    /// Live access tokens: token → (expiry, login session).
    tokens: HashMap<String, (chrono::DateTime<chrono::Utc>, String)>,
    /// Tokens revoked by a refresh: refused as expired, as the server does.
    revoked: HashSet<String>,
    /// Unspent refresh tokens: token → login session.
    refresh: HashMap<String, String>,
    /// When the recent logins happened, for the rate limit.
    logins: VecDeque<Instant>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Unpadded base64url; hand-written because it is a dozen lines and only shapes mock tokens.
fn b64url(input: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for c in input.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..=c.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn hex_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The server's JSON error: `{code, msg, data, trace_id}` (the JWT checks leave `trace_id` out).
fn envelope(status: StatusCode, msg: &str, data: Value, traced: bool) -> Response {
    let mut body = json!({"code": status.as_u16(), "msg": msg, "data": data});
    if traced {
        body["trace_id"] = json!(hex_id());
    }
    (status, Json(body)).into_response()
}

/// A 422 as the server words it: the first error in `msg`, all of them in `data.errors`.
fn invalid(errors: Vec<Value>) -> Response {
    let first = errors.first().cloned().unwrap_or(Value::Null);
    let field = first["loc"]
        .as_array()
        .and_then(|loc| loc.last())
        .map(|last| last.as_str().map_or(last.to_string(), str::to_owned))
        .unwrap_or_default();
    let msg = format!(
        "请求参数非法: {field} {}，输入：{}",
        first["msg"].as_str().unwrap_or_default(),
        match &first["input"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    );
    envelope(
        StatusCode::UNPROCESSABLE_ENTITY,
        &msg,
        json!({ "errors": errors }),
        true,
    )
}

fn json_invalid() -> Response {
    envelope(
        StatusCode::UNPROCESSABLE_ENTITY,
        "请求参数非法: json解析失败",
        json!({"errors": [{"type": "json_invalid", "loc": ["body", 0], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Expecting value"}}]}),
        true,
    )
}

fn not_found() -> Response {
    envelope(StatusCode::NOT_FOUND, "Not Found", Value::Null, true)
}

/// Why a bearer token is refused.
enum Refusal {
    Missing,
    Invalid,
    Expired,
}

impl Refusal {
    fn response(self) -> Response {
        match self {
            Refusal::Missing => {
                let mut res = envelope(
                    StatusCode::UNAUTHORIZED,
                    "Not authenticated",
                    Value::Null,
                    true,
                );
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                res
            }
            Refusal::Invalid => {
                envelope(StatusCode::UNAUTHORIZED, TOKEN_INVALID, Value::Null, false)
            }
            Refusal::Expired => {
                envelope(StatusCode::UNAUTHORIZED, TOKEN_EXPIRED, Value::Null, false)
            }
        }
    }
}

impl AgentStream {
    pub(crate) fn new(user: (String, String), ttl: Duration) -> Arc<AgentStream> {
        Arc::new(AgentStream {
            user,
            ttl,
            state: Mutex::default(),
            pending_plans: Mutex::default(),
            pending_questions: Mutex::default(),
            sandboxes: Mutex::default(),
        })
    }

    /// A new access token for `session`: an unsigned-looking JWT whose `exp` is the expiry.
    fn issue(&self, state: &mut AuthState, session: &str) -> (String, String) {
        let exp = chrono::Utc::now()
            + chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::MAX);
        let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = b64url(
            json!({"session_uuid": session, "exp": exp.timestamp(), "sub": "1"})
                .to_string()
                .as_bytes(),
        );
        let sig = b64url(uuid::Uuid::new_v4().as_bytes());
        let token = format!("{header}.{payload}.{sig}");
        state
            .tokens
            .insert(token.clone(), (exp, session.to_owned()));
        // The server's naive local time; here the zone is UTC, but a client must not rely on it.
        (token, exp.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let value = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(Refusal::Missing)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(Refusal::Missing)?;
        let state = lock(&self.state);
        if state.revoked.contains(token) {
            return Err(Refusal::Expired);
        }
        match state.tokens.get(token) {
            Some((exp, _)) if *exp > chrono::Utc::now() => Ok(()),
            Some(_) => Err(Refusal::Expired),
            None => Err(Refusal::Invalid),
        }
    }
}

type Shared = State<Arc<AgentStream>>;

/// Routes at the server root. The guide's auth paths answer 404, as on the running server.
pub(crate) fn router(state: Arc<AgentStream>) -> Router {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/admin/auth/login", post(guide_path))
        .route("/api/v1/admin/auth/token/refresh", post(guide_path))
        .route("/agent/agent/stream", post(agent_stream))
        .route("/agent/chat/stream", post(chat_stream))
        .with_state(state)
}

async fn guide_path() -> Response {
    not_found()
}

async fn login(State(st): Shared, body: Bytes) -> Response {
    {
        let mut state = lock(&st.state);
        let now = Instant::now();
        while state
            .logins
            .front()
            .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(60))
        {
            state.logins.pop_front();
        }
        if state.logins.len() >= LOGINS_PER_MINUTE {
            let wait = state.logins.front().map_or(60, |first| {
                60u64.saturating_sub(now.duration_since(*first).as_secs())
            });
            let mut res = envelope(
                StatusCode::TOO_MANY_REQUESTS,
                "请求过于频繁，请稍后重试",
                Value::Null,
                true,
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
            return res;
        }
        state.logins.push_back(now);
    }
    let request = match serde_json::from_slice::<Value>(&body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(other) => {
            return invalid(vec![
                json!({"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": other}),
            ]);
        }
        // A form body: the server quotes it back, as bytes.
        Err(_) => {
            return invalid(vec![
                json!({"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": String::from_utf8_lossy(&body)}),
            ]);
        }
    };
    let missing: Vec<Value> = ["username", "password"]
        .into_iter()
        .filter(|field| !request[field].is_string())
        .map(|field| json!({"type": "missing", "loc": ["body", field], "msg": "Field required", "input": request}))
        .collect();
    if !missing.is_empty() {
        return invalid(missing);
    }
    let (username, password) = (
        request["username"].as_str().unwrap_or_default(),
        request["password"].as_str().unwrap_or_default(),
    );
    if username != st.user.0 {
        return envelope(StatusCode::NOT_FOUND, WRONG_CREDENTIALS, Value::Null, true);
    }
    if password != st.user.1 {
        return envelope(StatusCode::FORBIDDEN, WRONG_CREDENTIALS, Value::Null, true);
    }
    let session = uuid::Uuid::new_v4().to_string();
    let refresh_token = format!("refresh.{}", hex_id());
    let (token, expire_time) = {
        let mut state = lock(&st.state);
        state.refresh.insert(refresh_token.clone(), session.clone());
        st.issue(&mut state, &session)
    };
    let body = json!({"code": 200, "msg": "Request success", "data": {
        "access_token": token, "access_token_expire_time": expire_time, "session_uuid": session,
        "password_expire_days_remaining": null,
        "user": {"id": 1, "username": st.user.0, "nickname": "用户88888", "email": null, "is_superuser": false}}});
    let mut res = Json(body).into_response();
    let cookie =
        format!("{REFRESH_COOKIE}={refresh_token}; HttpOnly; Max-Age=604800; Path=/; SameSite=lax");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// Spends the refresh token: a new access token on a new session, the old session's tokens
/// revoked, and no new cookie.
async fn refresh(State(st): Shared, headers: HeaderMap) -> Response {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            kv.trim()
                .strip_prefix(REFRESH_COOKIE)
                .and_then(|rest| rest.strip_prefix('='))
                .map(str::to_owned)
        });
    let Some(cookie) = cookie else {
        return envelope(StatusCode::BAD_REQUEST, REFRESH_SPENT, Value::Null, true);
    };
    let mut state = lock(&st.state);
    let Some(old_session) = state.refresh.remove(&cookie) else {
        drop(state);
        let mut res = envelope(StatusCode::UNAUTHORIZED, REFRESH_SPENT, Value::Null, true);
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return res;
    };
    let revoked: Vec<String> = state
        .tokens
        .iter()
        .filter(|(_, (_, session))| *session == old_session)
        .map(|(token, _)| token.clone())
        .collect();
    for token in revoked {
        state.tokens.remove(&token);
        state.revoked.insert(token);
    }
    let session = uuid::Uuid::new_v4().to_string();
    let (token, expire_time) = st.issue(&mut state, &session);
    Json(json!({"code": 200, "msg": "Request success", "data": {
        "access_token": token, "access_token_expire_time": expire_time, "session_uuid": session}}))
    .into_response()
}

/// The request body as JSON, or the server's 422 for it. Auth is checked first, as on the
/// server (a bad body without a token is 401).
fn parse_run(st: &AgentStream, headers: &HeaderMap, body: &[u8]) -> Result<Value, Box<Response>> {
    st.check(headers)
        .map_err(|refusal| Box::new(refusal.response()))?;
    let request = match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return Err(Box::new(json_invalid())),
    };
    let mut errors = Vec::new();
    if !request["messages"].is_array() {
        errors.push(json!({"type": "list_type", "loc": ["body", "messages"], "msg": "Input should be a valid list", "input": request["messages"]}));
    }
    for (field, max) in [
        ("max_plan_iterations", 10),
        ("max_step_num", 10),
        ("max_search_results", 20),
    ] {
        if let Some(n) = request[field].as_i64() {
            if n > max {
                errors.push(json!({"type": "less_than_equal", "loc": ["body", field], "msg": format!("Input should be less than or equal to {max}"), "input": n, "ctx": {"le": max}}));
            } else if n < 1 {
                errors.push(json!({"type": "greater_than_equal", "loc": ["body", field], "msg": "Input should be greater than or equal to 1", "input": n, "ctx": {"ge": 1}}));
            }
        }
    }
    if !errors.is_empty() {
        return Err(Box::new(invalid(errors)));
    }
    Ok(request)
}

/// The thread of a run: the one asked for, or a new UUID for `__default__`.
fn thread_of(request: &Value) -> String {
    match request["thread_id"].as_str() {
        Some(id) if !id.is_empty() && id != "__default__" => id.to_owned(),
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

fn last_user_message(request: &Value) -> String {
    request["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Python's `json.dumps` layout (`", "` and `": "`, raw UTF-8), which the server's events use.
struct PythonJson;

impl serde_json::ser::Formatter for PythonJson {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }
}

fn python_json(value: &Value) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonJson);
    // Serializing a `Value` into a Vec cannot fail, and gives UTF-8.
    let _ = value.serialize(&mut serializer);
    String::from_utf8_lossy(&out).into_owned()
}

fn frame(event: &str, data: Value) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {}\n\n", python_json(&data)))
}

/// One HTTP chunk per event, as the server sends them.
fn sse(events: Vec<Bytes>) -> Response {
    let body = Body::from_stream(futures_util::stream::iter(
        events.into_iter().map(Ok::<_, std::convert::Infallible>),
    ));
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}

async fn agent_stream(State(st): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let req = match parse_run(&st, &headers, &body) {
        Ok(req) => req,
        Err(res) => return *res,
    };
    let module = req["module"].as_str().unwrap_or("general").to_owned();
    match module.as_str() {
        "general" | "research" => {}
        "podcast" | "ppt" | "prose" => {
            return envelope(
                StatusCode::NOT_IMPLEMENTED,
                &format!(
                    "Module '{module}' is not yet implemented. Available modules: ['general', 'research']"
                ),
                Value::Null,
                true,
            );
        }
        _ => {
            return invalid(vec![
                json!({"type": "enum", "loc": ["body", "module"], "msg": "Input should be 'general', 'research', 'podcast', 'ppt' or 'prose'", "input": req["module"], "ctx": {"expected": "'general', 'research', 'podcast', 'ppt' or 'prose'"}}),
            ]);
        }
    }
    let thread_id = thread_of(&req);
    let prompt = last_user_message(&req);
    let mut events = vec![frame(
        "status",
        json!({"type": "processing", "message": format!("Processing with {module} module..."), "module": module}),
    )];
    if prompt.contains("#sandbox_error") {
        events.push(frame("error", json!({"type": "sandbox_error", "message": "Failed to create sandbox: Sandbox creation failed: no sandbox provider is reachable"})));
        return sse(events);
    }
    let sandbox_id = lock(&st.sandboxes)
        .entry(thread_id.clone())
        .or_insert_with(|| format!("sbx-{}", &hex_id()[..12]))
        .clone();
    events.push(frame(
        "status",
        json!({"type": "sandbox_ready", "sandbox_id": sandbox_id}),
    ));
    events.push(frame("status", json!({"type": "agent_start"})));
    let chunk = |text: &str| {
        frame(
            "message",
            json!({"type": "chunk", "content": text, "thread_id": thread_id}),
        )
    };
    let feedback = req["interrupt_feedback"].as_str().map(str::to_owned);
    let auto = req["auto_accepted_plan"].as_bool().unwrap_or(false);
    let pending = lock(&st.pending_plans).remove(&thread_id);
    if let (Some(topic), Some(fb)) = (&pending, &feedback) {
        events.push(chunk(&format!(
            "Continuing the research on {topic} (feedback: {fb}).\n"
        )));
        events.push(chunk("## Report\n\nFindings go here."));
    } else if module == "research" && !auto {
        let plan = format!("Plan for \"{prompt}\":\n1. Background\n2. Analysis\n3. Conclusion");
        lock(&st.pending_plans).insert(thread_id.clone(), prompt.clone());
        events.push(chunk("I drafted a research plan."));
        events.push(frame("interrupt", json!({"thread_id": thread_id, "content": plan, "options": [{"text": "Start research", "value": "accepted"}, {"text": "Edit plan", "value": "edit_plan"}]})));
        return sse(events);
    } else {
        let call = format!("call_{}", &hex_id()[..12]);
        events.push(frame(
            "tool_call_start",
            json!({"id": call, "name": "bash", "thread_id": thread_id}),
        ));
        events.push(frame(
            "tool_call_args",
            json!({"id": call, "args": "{\"command\": \"echo hi\"}", "thread_id": thread_id}),
        ));
        events.push(frame(
            "tool_call_end",
            json!({"id": call, "thread_id": thread_id}),
        ));
        events.push(frame(
            "tool_result",
            json!({"id": call, "content": "hi", "thread_id": thread_id}),
        ));
        events.push(chunk("Echo: "));
        events.push(chunk(&prompt));
    }
    events.push(frame(
        "status",
        json!({"type": "complete", "sandbox_id": sandbox_id}),
    ));
    sse(events)
}

/// The chat stream's message events: a shared header of the model message, then its pieces.
struct ChatMessage<'a> {
    thread_id: &'a str,
    id: String,
    checkpoint: String,
    node: &'static str,
    step: u64,
}

impl<'a> ChatMessage<'a> {
    fn new(thread_id: &'a str, checkpoint: &str, node: &'static str, step: u64) -> Self {
        ChatMessage {
            thread_id,
            id: format!("lc_run--{}", uuid::Uuid::new_v4()),
            checkpoint: checkpoint.to_owned(),
            node,
            step,
        }
    }

    fn data(&self) -> Value {
        json!({"thread_id": self.thread_id, "agent": "base", "id": self.id, "role": "assistant",
            "checkpoint_ns": self.checkpoint, "langgraph_node": self.node,
            "langgraph_path": ["__pregel_pull", self.node], "langgraph_step": self.step})
    }

    fn with(&self, key: &str, value: Value) -> Value {
        let mut data = self.data();
        data[key] = value;
        data
    }

    /// An answer: an empty opening chunk, each piece as `message` and again as
    /// `message_chunk`, the `stop` chunk and an empty closing chunk.
    fn answer(&self, pieces: &[&str], events: &mut Vec<Bytes>) {
        events.push(frame("message_chunk", self.data()));
        for piece in pieces {
            let data = self.with("content", json!(piece));
            events.push(frame("message", data.clone()));
            events.push(frame("message_chunk", data));
        }
        events.push(frame(
            "message_chunk",
            self.with("finish_reason", json!("stop")),
        ));
        events.push(frame("message_chunk", self.data()));
    }

    /// A tool call and its result (`tool_result`, then the same as `tool_call_result`).
    fn tool_call(&self, name: &str, args: Value, result: &str, events: &mut Vec<Bytes>) {
        let call = format!("call_{}", &hex_id()[..12]);
        let args_text = python_json(&args);
        events.push(frame("message_chunk", self.data()));
        events.push(frame("tool_call_start", json!({"toolCallId": call, "toolCallName": name, "thread_id": self.thread_id, "parentMessageId": self.id})));
        events.push(frame(
            "tool_call_args",
            json!({"toolCallId": call, "delta": args_text}),
        ));
        events.push(frame("tool_call_end", json!({"toolCallId": call})));
        let escaped = args_text
            .replace('{', "&#123;")
            .replace('}', "&#125;")
            .replace('[', "&#91;")
            .replace(']', "&#93;");
        let mut calls = self.with(
            "tool_calls",
            json!([{"name": name, "args": args, "id": call, "type": "tool_call"}]),
        );
        calls["tool_call_chunks"] = json!([{"name": name, "args": escaped, "id": call, "index": 0, "type": "tool_call_chunk"}]);
        events.push(frame("tool_calls", calls));
        events.push(frame(
            "message_chunk",
            self.with("finish_reason", json!("tool_calls")),
        ));
        events.push(frame("message_chunk", self.data()));
        let result = json!({"thread_id": self.thread_id, "agent": "base", "id": uuid::Uuid::new_v4(), "role": "assistant",
            "checkpoint_ns": self.checkpoint, "langgraph_node": "tools", "langgraph_path": ["__pregel_push", 0, false],
            "langgraph_step": self.step + 3, "content": result, "tool_call_id": call, "toolCallId": call});
        events.push(frame("tool_result", result.clone()));
        events.push(frame("tool_call_result", result));
    }
}

const SCRIPTED: [&str; 2] = [
    "This is a scripted answer from the mock agent stream.\n\n## Summary",
    "\n\nNo external service was contacted.",
];

async fn chat_stream(State(st): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let req = match parse_run(&st, &headers, &body) {
        Ok(req) => req,
        Err(res) => return *res,
    };
    let thread_id = thread_of(&req);
    let prompt = last_user_message(&req);
    let mut events = Vec::new();
    if prompt.contains("#error") {
        events.push(frame(
            "error",
            json!({"thread_id": thread_id, "error": "Error during graph execution"}),
        ));
        return sse(events);
    }
    let checkpoint = format!("base:{}", uuid::Uuid::new_v4());
    let feedback = req["interrupt_feedback"].as_str().map(str::to_owned);
    let pending = lock(&st.pending_questions).remove(&thread_id);
    let question = match (pending, feedback) {
        // The server's loop: accepting runs the agent again, which asks again.
        (Some(question), Some(feedback)) if feedback == "accepted" => Some(question),
        (Some(_), Some(feedback)) => {
            let answer = format!("Going ahead with your answer: {feedback}.");
            ChatMessage::new(&thread_id, &checkpoint, "model", 3).answer(&[&answer], &mut events);
            return sse(events);
        }
        _ if prompt.contains("#ask") => {
            let question = "Proceed with plan A?".to_owned();
            let asking = ChatMessage::new(&thread_id, &checkpoint, "model", 3);
            asking.tool_call(
                "request_human_input",
                json!({"questions": [question]}),
                &format!(
                    "[HITL_REQUEST]{}",
                    python_json(&json!({"questions": [question]}))
                ),
                &mut events,
            );
            Some(question)
        }
        _ => None,
    };
    if prompt.contains("#tool") {
        ChatMessage::new(&thread_id, &checkpoint, "model", 3).tool_call(
            "crawl_tool",
            json!({"url": "https://example.invalid/report.pdf"}),
            "{\"url\": \"https://example.invalid/report.pdf\", \"error\": \"PDF files cannot be crawled directly.\", \"crawled_content\": null, \"is_pdf\": true}",
            &mut events,
        );
    }
    ChatMessage::new(&thread_id, &checkpoint, "model", 9).answer(&SCRIPTED, &mut events);
    if let Some(question) = question {
        lock(&st.pending_questions).insert(thread_id.clone(), question.clone());
        events.push(frame("interrupt", json!({"id": format!("interrupt-{}", &hex_id()[..8]), "thread_id": thread_id,
            "role": "assistant", "finish_reason": "interrupt",
            "options": [{"text": "Accept", "value": "accepted"}, {"text": "Provide feedback", "value": "feedback"}],
            "content": "The agent needs your input on the following:",
            "context": {"questions": [question], "allowed_decisions": ["approve", "edit", "reject"],
                "context": {"message_count": 5}, "prompt": "The agent needs your input on the following:"}})));
    }
    sse(events)
}
