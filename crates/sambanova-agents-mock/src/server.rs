//! Server start-up, the connection loop (needed to drop connections for [`Fault::Reset`]) and the
//! middleware applying faults and the headers every real response carries.

use std::{convert::Infallible, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Json, Router,
    body::Body,
    extract::{Request, State},
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tower::ServiceExt;

use crate::{
    agent_stream::{self, AgentStream},
    agents::{self, AgentState},
    faults::{Fault, FaultRule, Faults},
    sessions::{self, Sessions, SessionsConfig},
};

/// Settings of a mock server; see [`MockServer::builder`].
#[derive(Debug, Clone)]
pub struct MockServerBuilder {
    pub(crate) bind: SocketAddr,
    pub(crate) latency: Duration,
    pub(crate) keepalive_interval: Duration,
    pub(crate) replay_buffer: usize,
    pub(crate) sessions_api_key: Option<String>,
    pub(crate) agent_stream_user: (String, String),
    pub(crate) token_ttl: Duration,
    pub(crate) agent_delay: Duration,
    pub(crate) faults: Vec<FaultRule>,
}

impl Default for MockServerBuilder {
    fn default() -> Self {
        MockServerBuilder {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            latency: Duration::ZERO,
            keepalive_interval: Duration::from_secs(15),
            replay_buffer: 1024,
            sessions_api_key: None,
            agent_stream_user: ("demo".into(), "demo".into()),
            token_ttl: Duration::from_secs(30 * 60),
            agent_delay: Duration::ZERO,
            faults: Vec::new(),
        }
    }
}

impl MockServerBuilder {
    /// Address to listen on (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }
    /// Artificial latency on every agent call, to simulate long agent runs.
    pub fn latency(mut self, d: Duration) -> Self {
        self.latency = d;
        self
    }
    /// SSE `: keepalive` comment period (default 15 s, like the real server).
    pub fn keepalive_interval(mut self, d: Duration) -> Self {
        self.keepalive_interval = d;
        self
    }
    /// Per-sandbox ring buffer size (default 1024 events).
    pub fn replay_buffer(mut self, events: usize) -> Self {
        self.replay_buffer = events;
        self
    }
    /// Key required by the sessions API; `None` (default) means no auth.
    pub fn sessions_api_key(mut self, key: Option<String>) -> Self {
        self.sessions_api_key = key;
        self
    }
    /// Agent-stream login credentials (default `demo`/`demo`).
    pub fn agent_stream_user(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.agent_stream_user = (username.into(), password.into());
        self
    }
    /// Agent-stream access token lifetime (default 30 min).
    pub fn token_ttl(mut self, d: Duration) -> Self {
        self.token_ttl = d;
        self
    }
    /// Delay between scripted session events (default 0).
    pub fn agent_delay(mut self, d: Duration) -> Self {
        self.agent_delay = d;
        self
    }
    /// A fault rule installed from the start.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }
    /// Bind and serve in a background task.
    pub async fn start(self) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(self.bind).await?;
        let addr = listener.local_addr()?;
        let faults = Faults::default();
        for rule in &self.faults {
            faults.add(rule.clone());
        }
        let agents = Arc::new(AgentState::new(self.latency));
        let sessions = Sessions::new(SessionsConfig {
            keepalive: self.keepalive_interval,
            replay_buffer: self.replay_buffer.max(1),
            api_key: self.sessions_api_key.clone(),
            agent_delay: self.agent_delay,
        });
        let stream = AgentStream::new(self.agent_stream_user.clone(), self.token_ttl);
        let app = router(faults.clone(), agents.clone(), sessions, stream);
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, app, shutdown_rx));
        Ok(MockServer {
            addr,
            agent_stream_user: self.agent_stream_user.clone(),
            sessions_api_key: self.sessions_api_key.clone(),
            faults,
            agents,
            task,
            shutdown: shutdown_tx,
        })
    }
}

/// A running mock server on loopback. Dropping it shuts it down.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    agent_stream_user: (String, String),
    sessions_api_key: Option<String>,
    faults: Faults,
    agents: Arc<AgentState>,
    task: JoinHandle<()>,
    shutdown: watch::Sender<bool>,
}

impl MockServer {
    /// Start with the default settings on `127.0.0.1` and a free port.
    pub async fn start() -> std::io::Result<MockServer> {
        MockServerBuilder::default().start().await
    }
    /// Settings for a customised server.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::default()
    }
    /// Root URL, e.g. `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Agents API base URL (like `https://chat.sambanova.ai/api`).
    pub fn agents_url(&self) -> String {
        format!("{}/api", self.url())
    }
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The agent-stream user (name, password) its login accepts (default `demo`/`demo`).
    pub fn agent_stream_user(&self) -> (&str, &str) {
        (&self.agent_stream_user.0, &self.agent_stream_user.1)
    }
    /// The environment that points the `sambanova-agents` SDK clients and CLI of another
    /// process at this server, as `(name, value)` pairs: the Agents API's URL and key
    /// ([`TEST_API_KEY`](crate::TEST_API_KEY)), the Sessions API's URL (no key unless
    /// [`MockServerBuilder::sessions_api_key`] set one), and the agent stream's URL and user.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let mock = sambanova_agents_mock::MockServer::start().await?;
    /// let environment = mock.environment();
    /// assert!(environment.contains(&("SAMBANOVA_BASE_URL", mock.agents_url())));
    /// # Ok(()) }
    /// ```
    pub fn environment(&self) -> Vec<(&'static str, String)> {
        let (user, password) = self.agent_stream_user();
        let mut environment = vec![
            ("SAMBANOVA_BASE_URL", self.agents_url()),
            ("SAMBANOVA_API_KEY", crate::TEST_API_KEY.to_owned()),
            ("SAMBANOVA_SESSIONS_URL", self.url()),
        ];
        if let Some(key) = &self.sessions_api_key {
            environment.push(("SAMBANOVA_SESSIONS_API_KEY", key.clone()));
        }
        environment.extend([
            ("SAMBANOVA_AGENT_STREAM_URL", self.url()),
            ("SAMBANOVA_AGENT_STREAM_USERNAME", user.to_owned()),
            ("SAMBANOVA_AGENT_STREAM_PASSWORD", password.to_owned()),
        ]);
        environment
    }
    /// Fault injection handle.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }
    /// Requests that reached `method path`, counted before any fault applied.
    pub fn requests(&self, method: &str, path: &str) -> usize {
        self.faults.requests(method, path)
    }
    /// Store an artifact owned by `api_key`; returns its uuid4 file id.
    pub fn put_file(&self, api_key: &str, name: &str, bytes: impl Into<Bytes>) -> String {
        self.agents.put_file(api_key, name, bytes.into())
    }
    /// Stop serving and close all connections.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        self.task.abort();
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.task.abort();
    }
}

/// Marker put in request extensions so the fault middleware can ask the connection task to drop the socket.
#[derive(Clone)]
struct KillConnection(Arc<tokio::sync::Notify>);

/// A hand-written accept loop because `axum::serve` cannot drop one connection without answering.
async fn accept_loop(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r { Ok(c) => c, Err(_) => continue },
            _ = shutdown.changed() => return,
        };
        let app = app.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let kill = Arc::new(tokio::sync::Notify::new());
            let kill2 = kill.clone();
            let svc = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(KillConnection(kill2.clone()));
                    let app = app.clone();
                    async move {
                        Ok::<_, Infallible>(
                            app.oneshot(req.map(Body::new))
                                .await
                                .unwrap_or_else(|e| match e {}),
                        )
                    }
                },
            );
            let conn = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let serve = conn.serve_connection(TokioIo::new(stream), svc);
            // Dropping `serve` closes the socket without an answer: that is the Reset fault.
            tokio::select! {
                _ = serve => {}
                _ = kill.notified() => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

fn router(
    faults: Faults,
    agents: Arc<AgentState>,
    sessions: Arc<Sessions>,
    stream: Arc<AgentStream>,
) -> Router {
    let admin = Router::new()
        .route(
            "/__mock/faults",
            post(add_fault).delete(clear_faults).get(list_faults),
        )
        .route("/__mock/requests", get(list_requests))
        .with_state(faults.clone());
    Router::new()
        .nest("/api/agent", agents::router(agents.clone()))
        .nest("/agent", agents::router(agents))
        .nest("/api/v1", sessions::router(sessions))
        .merge(agent_stream::router(stream))
        .layer(middleware::from_fn_with_state(faults, apply_faults))
        .merge(admin)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(standard_headers))
}

/// The Sessions server (axum) answers unknown routes and wrong methods with empty bodies;
/// the Agents server (FastAPI) with `{"detail": ...}`.
fn is_sessions_path(uri: &axum::http::Uri) -> bool {
    uri.path().starts_with("/api/v1/")
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if is_sessions_path(&uri) {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({"detail": "Not Found"})),
    )
        .into_response()
}

async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    if is_sessions_path(&uri) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(serde_json::json!({"detail": "Method Not Allowed"})),
    )
        .into_response()
}

async fn add_fault(State(faults): State<Faults>, body: Bytes) -> Response {
    // Accept either the JSON form of a rule or the command-line syntax as plain text.
    let rule = serde_json::from_slice::<FaultRule>(&body)
        .map_err(|e| e.to_string())
        .or_else(|json_err| {
            std::str::from_utf8(&body)
                .map_err(|e| e.to_string())
                .and_then(|s| {
                    s.trim()
                        .parse::<FaultRule>()
                        .map_err(|e| format!("{json_err}; {e}"))
                })
        });
    match rule {
        Ok(rule) => {
            faults.add(rule.clone());
            (StatusCode::CREATED, Json(rule)).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": e})),
        )
            .into_response(),
    }
}

async fn clear_faults(State(faults): State<Faults>) -> StatusCode {
    faults.clear();
    StatusCode::NO_CONTENT
}

async fn list_faults(State(faults): State<Faults>) -> Json<Vec<FaultRule>> {
    Json(faults.rules())
}

async fn list_requests(State(faults): State<Faults>) -> Json<serde_json::Value> {
    let list: Vec<_> = faults
        .all_requests()
        .into_iter()
        .map(|(method, path, count)| serde_json::json!({"method": method, "path": path, "count": count}))
        .collect();
    Json(serde_json::Value::Array(list))
}

/// `X-Request-ID` and the security headers of the real server's middleware.
async fn standard_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let id = uuid::Uuid::new_v4().to_string();
    h.insert(
        HeaderName::from_static("x-request-id"),
        HeaderValue::from_str(&id).expect("uuid is a valid header"),
    );
    h.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    h.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(self), geolocation=()"),
    );
    res
}

async fn apply_faults(State(faults): State<Faults>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let Some(fault) = faults.on_request(&method, &path) else {
        return next.run(req).await;
    };
    match fault {
        Fault::Latency(d) => {
            tokio::time::sleep(d).await;
            next.run(req).await
        }
        Fault::Status {
            status,
            headers,
            body,
            content_type,
        } => {
            let mut res = Response::new(Body::from(body));
            *res.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            set_content_type(&mut res, &content_type);
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
                    res.headers_mut().append(k, v);
                }
            }
            res
        }
        Fault::Reset => {
            // Read the whole request first, so the client is not just failing to send.
            let kill = req.extensions().get::<KillConnection>().cloned();
            let _ = axum::body::to_bytes(req.into_body(), usize::MAX).await;
            if let Some(KillConnection(k)) = kill {
                k.notify_one();
            }
            std::future::pending().await
        }
        Fault::Stall => std::future::pending().await,
        Fault::MalformedJson => {
            let mut res = Response::new(Body::from("{\"thread_id\": \"truncated"));
            set_content_type(&mut res, "application/json");
            res
        }
        Fault::WrongContentType { content_type } => {
            let mut res = next.run(req).await;
            set_content_type(&mut res, &content_type);
            res
        }
        Fault::CutBody { after_bytes } => {
            let res = next.run(req).await;
            let (mut parts, body) = res.into_parts();
            let full = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let declared = full.len().max(after_bytes + 1);
            let sent = full.slice(..after_bytes.min(full.len()));
            // A 206 stays one: a cut range is how a resumed download breaks again.
            if !parts.status.is_success() {
                parts.status = StatusCode::OK;
            }
            parts
                .headers
                .insert(header::CONTENT_LENGTH, HeaderValue::from(declared));
            // Yielding once lets hyper flush the head and partial body; the error then makes it
            // abort the connection, so the client sees a short body rather than nothing.
            let cut = stream::once(async {
                tokio::task::yield_now().await;
                Err::<Bytes, _>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "cut body",
                ))
            });
            let body = stream::iter([Ok(sent)]).chain(cut);
            Response::from_parts(parts, Body::from_stream(body))
        }
        Fault::HugeBody { bytes } => {
            const CHUNK: u64 = 64 * 1024;
            let chunk = Bytes::from(vec![b'x'; CHUNK as usize]);
            let body = stream::unfold(bytes, move |left| {
                let chunk = chunk.clone();
                async move {
                    (left > 0).then(|| {
                        let n = left.min(CHUNK);
                        (Ok::<_, Infallible>(chunk.slice(..n as usize)), left - n)
                    })
                }
            });
            let mut res = Response::new(Body::from_stream(body));
            res.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
            set_content_type(&mut res, "application/json");
            res
        }
        // Stream faults only make sense on SSE routes; elsewhere they leave the response alone.
        fault @ (Fault::StallStream { .. }
        | Fault::CloseStreamAfter { .. }
        | Fault::OversizedEvent { .. }) => {
            let res = next.run(req).await;
            let is_sse = res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
            if is_sse { sse_fault(res, fault) } else { res }
        }
    }
}

/// Rewrites an SSE body. Every event is one chunk on these routes, and comment chunks
/// (`: keepalive`) do not count as events.
fn sse_fault(res: Response, fault: Fault) -> Response {
    let (parts, body) = res.into_parts();
    let events = body.into_data_stream();
    let body = match fault {
        Fault::CloseStreamAfter { events: n } => {
            let s = stream::unfold((events, 0usize), move |(mut ev, sent)| async move {
                if sent >= n {
                    return None;
                }
                let chunk = ev.next().await?.ok()?;
                let sent = sent + usize::from(!chunk.starts_with(b":"));
                Some((Ok::<_, Infallible>(chunk), (ev, sent)))
            });
            Body::from_stream(s)
        }
        Fault::StallStream { after_events: n } => {
            let s = stream::unfold((events, 0usize), move |(mut ev, sent)| async move {
                if sent >= n {
                    // Silent but open: no more events, no keepalives.
                    return std::future::pending().await;
                }
                let chunk = ev.next().await?.ok()?;
                let sent = sent + usize::from(!chunk.starts_with(b":"));
                Some((Ok::<_, Infallible>(chunk), (ev, sent)))
            });
            Body::from_stream(s)
        }
        Fault::OversizedEvent { bytes } => {
            const CHUNK: usize = 64 * 1024;
            let filler = Bytes::from(vec![b'x'; CHUNK]);
            let head = stream::iter([Bytes::from_static(b"event: oversized\ndata: ")]);
            let data = stream::unfold(bytes, move |left| {
                let filler = filler.clone();
                async move {
                    (left > 0).then(|| {
                        let n = left.min(CHUNK);
                        (filler.slice(..n), left - n)
                    })
                }
            });
            let tail = stream::iter([Bytes::from_static(b"\n\n")]);
            let rest = events.filter_map(|c| async move { c.ok() });
            Body::from_stream(
                head.chain(data)
                    .chain(tail)
                    .chain(rest)
                    .map(Ok::<_, Infallible>),
            )
        }
        _ => Body::from_stream(events),
    };
    Response::from_parts(parts, body)
}

fn set_content_type(res: &mut Response, ct: &str) {
    if let Ok(v) = HeaderValue::try_from(ct) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
}
