//! The agent stream backend (`docs/agent-stream-server.md`): JWT-like login with
//! a refresh cookie, and `POST /agent/agent/stream` answering a finite SSE stream.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Form, Json, Router,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

#[derive(Debug)]
pub(crate) struct AgentStream {
    user: (String, String),
    ttl: Duration,
    /// Issued access tokens and their expiry; a token is valid only while listed and unexpired.
    tokens: Mutex<HashMap<String, chrono::DateTime<chrono::Utc>>>,
    refresh: Mutex<HashSet<String>>,
    /// Research threads waiting for plan feedback.
    pending_plans: Mutex<HashMap<String, String>>,
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

impl AgentStream {
    pub(crate) fn new(user: (String, String), ttl: Duration) -> Arc<AgentStream> {
        Arc::new(AgentStream {
            user,
            ttl,
            tokens: Mutex::default(),
            refresh: Mutex::default(),
            pending_plans: Mutex::default(),
        })
    }

    fn issue(&self) -> (String, String) {
        let exp = chrono::Utc::now()
            + chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::MAX);
        let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = b64url(json!({"sub": self.user.0, "exp": exp.timestamp(), "session_uuid": uuid::Uuid::new_v4()}).to_string().as_bytes());
        let sig = b64url(uuid::Uuid::new_v4().as_bytes());
        let token = format!("{header}.{payload}.{sig}");
        lock(&self.tokens).insert(token.clone(), exp);
        (
            token,
            exp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
    }

    fn login_body(&self) -> Response {
        let (token, exp) = self.issue();
        let refresh = uuid::Uuid::new_v4().to_string();
        lock(&self.refresh).insert(refresh.clone());
        let body = json!({"code": 200, "msg": "Success", "data": {
            "access_token": token, "access_token_expire_time": exp, "session_uuid": uuid::Uuid::new_v4(),
            "user": {"id": 1, "username": self.user.0, "nickname": self.user.0, "email": null, "is_superuser": false}}});
        let mut res = Json(body).into_response();
        let cookie = format!("fba_refresh_token={refresh}; HttpOnly; Path=/; SameSite=Lax");
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().insert(header::SET_COOKIE, v);
        }
        res
    }

    fn authorised(&self, headers: &HeaderMap) -> bool {
        if headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|k| !k.trim().is_empty())
        {
            return true;
        }
        let Some(token) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        lock(&self.tokens)
            .get(token)
            .is_some_and(|exp| *exp > chrono::Utc::now())
    }
}

fn unauthorized(msg: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"code": 401, "msg": msg, "data": null})),
    )
        .into_response()
}

type Shared = State<Arc<AgentStream>>;

/// Routes at the server root: the login/refresh paths of both the guide and the committed spec.
pub(crate) fn router(state: Arc<AgentStream>) -> Router {
    Router::new()
        .route("/api/v1/admin/auth/login", post(login))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/admin/auth/token/refresh", post(refresh))
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/agent/agent/stream", post(agent_stream))
        .with_state(state)
}

#[derive(serde::Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

async fn login(State(st): Shared, Form(f): Form<LoginForm>) -> Response {
    if (f.username.as_str(), f.password.as_str()) != (st.user.0.as_str(), st.user.1.as_str()) {
        return unauthorized("Incorrect username or password");
    }
    st.login_body()
}

async fn refresh(State(st): Shared, headers: HeaderMap) -> Response {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            kv.trim()
                .strip_prefix("fba_refresh_token=")
                .map(str::to_owned)
        });
    match cookie {
        Some(c) if lock(&st.refresh).contains(&c) => {
            let (token, exp) = st.issue();
            Json(json!({"code": 200, "msg": "Success", "data": {"access_token": token, "access_token_expire_time": exp}}))
                .into_response()
        }
        _ => unauthorized("Refresh Token has expired, please log in again"),
    }
}

fn frame(event: &str, data: Value) -> Bytes {
    Bytes::from(format!("event: {event}\ndata: {data}\n\n"))
}

async fn agent_stream(State(st): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let req: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"detail": [{"type": "json_invalid", "loc": ["body"], "msg": "JSON decode error", "input": {}}]})))
                .into_response();
        }
    };
    if !st.authorised(&headers) {
        return unauthorized("Token is invalid or has expired");
    }
    let thread_id = req["thread_id"]
        .as_str()
        .unwrap_or("__default__")
        .to_owned();
    let module = req["module"].as_str().unwrap_or("general").to_owned();
    let prompt = req["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned();
    let feedback = req["interrupt_feedback"].as_str().map(str::to_owned);
    let auto = req["auto_accepted_plan"].as_bool().unwrap_or(false);
    let sandbox_id = format!("sbx-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let mut events = vec![
        frame("status", json!({"type": "processing"})),
        frame(
            "status",
            json!({"type": "sandbox_ready", "sandbox_id": sandbox_id}),
        ),
        frame("status", json!({"type": "agent_start"})),
    ];
    let chunk = |text: &str| {
        frame(
            "message",
            json!({"type": "chunk", "content": text, "thread_id": thread_id}),
        )
    };
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
        events.push(frame("reasoning_start", json!({"thread_id": thread_id})));
        events.push(frame(
            "reasoning_message_start",
            json!({"thread_id": thread_id}),
        ));
        events.push(frame(
            "reasoning_message_content",
            json!({"content": "Thinking about the request.", "thread_id": thread_id}),
        ));
        events.push(frame(
            "reasoning_message_end",
            json!({"thread_id": thread_id}),
        ));
        events.push(frame("reasoning_end", json!({"thread_id": thread_id})));
        let call = format!("call_{}", uuid::Uuid::new_v4().simple());
        events.push(frame("tool", json!({"type": "start", "name": "bash"})));
        events.push(frame(
            "tool_call_start",
            json!({"id": call, "name": "bash", "thread_id": thread_id}),
        ));
        events.push(frame(
            "tool_call_args",
            json!({"id": call, "args": "{\"command\":\"echo hi\"}", "thread_id": thread_id}),
        ));
        events.push(frame(
            "tool_call_end",
            json!({"id": call, "thread_id": thread_id}),
        ));
        events.push(frame(
            "tool_result",
            json!({"id": call, "content": "hi", "thread_id": thread_id}),
        ));
        events.push(frame("tool", json!({"type": "end", "name": "bash"})));
        events.push(chunk("Echo: "));
        events.push(chunk(&prompt));
    }
    events.push(frame(
        "status",
        json!({"type": "complete", "sandbox_id": sandbox_id}),
    ));
    sse(events)
}

fn sse(events: Vec<Bytes>) -> Response {
    let body = Body::from_stream(futures_util::stream::iter(
        events.into_iter().map(Ok::<_, std::convert::Infallible>),
    ));
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}
