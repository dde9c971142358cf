//! The eleven SambaNova Agents operations, answered with the shapes the real server sends
//! (see `docs/agents-server.md`): validation (422) before auth (401), then the handler.

// The `Err` side of these helpers is the ready-to-send error response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{FromRequest, Multipart, Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value, json};

/// The characters Python's `urllib.parse.quote` leaves alone (`safe='/'`).
const PY_QUOTE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~')
    .remove(b'/');

/// A 1×1 PNG, the artifact produced when scripted code "saves a figure".
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

const GENERIC_ERROR: &str = "An internal error occurred";

#[derive(Debug)]
struct StoredFile {
    owner: String,
    name: String,
    bytes: Bytes,
}

#[derive(Debug, Clone)]
enum Thread {
    Main {
        result: String,
        artifacts: Vec<String>,
    },
    DeepResearch {
        topic: String,
        feedback: Vec<String>,
        report: Option<String>,
    },
    DataScience {
        round: usize,
    },
}

/// In-memory state shared by the agent handlers.
#[derive(Debug)]
pub(crate) struct AgentState {
    latency: Duration,
    files: Mutex<HashMap<String, StoredFile>>,
    // Keyed by thread id alone, not by API key: the real checkpointer does the same.
    threads: Mutex<HashMap<String, Thread>>,
}

impl AgentState {
    pub(crate) fn new(latency: Duration) -> AgentState {
        AgentState {
            latency,
            files: Mutex::default(),
            threads: Mutex::default(),
        }
    }

    pub(crate) fn put_file(&self, owner: &str, name: &str, bytes: Bytes) -> String {
        let id = new_id();
        let name = name.rsplit('/').next().unwrap_or(name).to_owned();
        lock(&self.files).insert(
            id.clone(),
            StoredFile {
                owner: owner.to_owned(),
                name,
                bytes,
            },
        );
        id
    }

    fn owns(&self, owner: &str, id: &str) -> bool {
        lock(&self.files).get(id).is_some_and(|f| f.owner == owner)
    }

    fn thread(&self, id: &str) -> Option<Thread> {
        lock(&self.threads).get(id).cloned()
    }

    fn set_thread(&self, id: &str, t: Thread) {
        lock(&self.threads).insert(id.to_owned(), t);
    }

    async fn work(&self) {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

type Shared = State<Arc<AgentState>>;

pub(crate) fn router(state: Arc<AgentState>) -> Router {
    Router::new()
        .route("/mainagent", post(mainagent))
        .route("/mainagent/interactive", post(mainagent_interactive))
        .route("/coding", post(coding))
        .route("/coding/interactive", post(coding_interactive))
        .route("/financialanalysis", post(financial))
        .route(
            "/financialanalysis/interactive",
            post(financial_interactive),
        )
        .route("/deepresearch", post(deepresearch))
        .route("/deepresearch/interactive", post(deepresearch_interactive))
        .route("/datascience", post(datascience))
        .route("/datascience/interactive", post(datascience_interactive))
        .route("/files/{file_id}", get(download))
        .with_state(state)
}

// ---------- validation and auth ----------

#[derive(Clone, Copy)]
enum Ty {
    Str,
    OptStr,
    Bool,
}

fn unprocessable(errors: Vec<Value>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "detail": errors })),
    )
        .into_response()
}

/// Pydantic lax-mode booleans.
fn lax_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Some(false),
            Some(1.0) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
            "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Validate a JSON body the way FastAPI + pydantic v2 do, returning the object with fields normalised.
fn validate_json(
    headers: &HeaderMap,
    body: &Bytes,
    fields: &[(&str, Ty, bool)],
) -> Result<Map<String, Value>, Response> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_json = ct.starts_with("application/json")
        || ct
            .split(';')
            .next()
            .is_some_and(|m| m.trim().ends_with("+json"));
    if body.is_empty() {
        return Err(unprocessable(vec![
            json!({"type":"missing","loc":["body"],"msg":"Field required","input":null}),
        ]));
    }
    if !is_json {
        let raw = String::from_utf8_lossy(body).into_owned();
        return Err(unprocessable(vec![json!({
            "type":"model_attributes_type","loc":["body"],
            "msg":"Input should be a valid dictionary or object to extract fields from","input":raw})]));
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            let pos = byte_offset(body, e.line(), e.column());
            return Err(unprocessable(vec![json!({
                "type":"json_invalid","loc":["body",pos],"msg":"JSON decode error","input":{},
                "ctx":{"error":"Expecting value"}})]));
        }
    };
    let Value::Object(mut obj) = value else {
        return Err(unprocessable(vec![json!({
            "type":"model_attributes_type","loc":["body"],
            "msg":"Input should be a valid dictionary or object to extract fields from","input":value})]));
    };
    let mut errors = Vec::new();
    for &(name, ty, required) in fields {
        match (obj.get(name), ty) {
            (None, _) if required => errors.push(json!({
                "type":"missing","loc":["body",name],"msg":"Field required","input":Value::Object(obj.clone())})),
            (None, _) => {}
            (Some(Value::String(_)), Ty::Str | Ty::OptStr) | (Some(Value::Null), Ty::OptStr) => {}
            (Some(v), Ty::Str | Ty::OptStr) => errors.push(json!({
                "type":"string_type","loc":["body",name],"msg":"Input should be a valid string","input":v})),
            (Some(v), Ty::Bool) => match lax_bool(v) {
                Some(b) => {
                    obj.insert(name.to_owned(), Value::Bool(b));
                }
                None if v.is_string() => errors.push(json!({
                    "type":"bool_parsing","loc":["body",name],
                    "msg":"Input should be a valid boolean, unable to interpret input","input":v})),
                None => errors.push(json!({
                    "type":"bool_type","loc":["body",name],"msg":"Input should be a valid boolean","input":v})),
            },
        }
    }
    if errors.is_empty() {
        Ok(obj)
    } else {
        Err(unprocessable(errors))
    }
}

fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in body.split(|b| *b == b'\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1);
        }
        offset += l.len() + 1;
    }
    offset
}

fn error_json(status: StatusCode, msg: &str) -> Response {
    (status, Json(json!({ "error": msg }))).into_response()
}

fn is_uuid_shaped(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// The real server's `_validate_api_key`: case-sensitive `Bearer ` prefix, UUID-shaped key, nothing else.
fn authenticate(headers: &HeaderMap) -> Result<String, Response> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(rest) = value.and_then(|v| v.strip_prefix("Bearer ")) else {
        return Err(error_json(
            StatusCode::UNAUTHORIZED,
            "Authorization header with Bearer token is required",
        ));
    };
    // Python's `replace("Bearer ", "")` removes every occurrence, not just the prefix.
    let key = rest.replace("Bearer ", "").trim().to_owned();
    if key.is_empty() || !is_uuid_shaped(&key) {
        return Err(error_json(StatusCode::UNAUTHORIZED, "Invalid API key"));
    }
    Ok(key)
}

fn str_field(obj: &Map<String, Value>, name: &str) -> String {
    obj.get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn opt_str(obj: &Map<String, Value>, name: &str) -> Option<String> {
    obj.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn flag(obj: &Map<String, Value>, name: &str) -> bool {
    obj.get(name).and_then(Value::as_bool).unwrap_or(false)
}

fn ok(body: Value) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}

fn internal(thread_id: Value) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"thread_id": thread_id, "status":"error", "error": GENERIC_ERROR})),
    )
        .into_response()
}

fn resume_needs_thread() -> Response {
    error_json(
        StatusCode::BAD_REQUEST,
        "thread_id is required when resume=true",
    )
}

/// Thread handling shared by main/coding/financial interactive: `Err` is the 400.
fn pick_thread(obj: &Map<String, Value>) -> Result<(String, bool), Response> {
    if !flag(obj, "resume") {
        return Ok((new_id(), false));
    }
    match opt_str(obj, "thread_id") {
        Some(t) if !t.is_empty() => Ok((t, true)),
        _ => Err(resume_needs_thread()),
    }
}

macro_rules! validated {
    ($headers:expr, $body:expr, $fields:expr) => {{
        let obj = match validate_json(&$headers, &$body, $fields) {
            Ok(o) => o,
            Err(r) => return r,
        };
        let key = match authenticate(&$headers) {
            Ok(k) => k,
            Err(r) => return r,
        };
        (obj, key)
    }};
}

const PROMPT: (&str, Ty, bool) = ("prompt", Ty::Str, true);
const THREAD: (&str, Ty, bool) = ("thread_id", Ty::OptStr, false);
const RESUME: (&str, Ty, bool) = ("resume", Ty::Bool, false);

// ---------- main agent ----------

fn main_answer(prompt: &str) -> String {
    format!(
        "Here is what I found about \"{prompt}\".\n\n1. I searched arXiv, Wikipedia and the web for relevant sources.\n2. I summarised the most relevant findings below.\n\n**Summary:** {prompt} is a topic with several well-documented aspects; the key points are covered above."
    )
}

async fn mainagent(State(st): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (obj, _key) = validated!(headers, body, &[PROMPT]);
    st.work().await;
    let thread_id = new_id();
    let result = main_answer(&str_field(&obj, "prompt"));
    st.set_thread(
        &thread_id,
        Thread::Main {
            result: result.clone(),
            artifacts: Vec::new(),
        },
    );
    ok(json!({"thread_id": thread_id, "status":"completed", "result": result, "artifacts": []}))
}

async fn mainagent_interactive(State(st): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (obj, _key) = validated!(headers, body, &[PROMPT, THREAD, RESUME]);
    let (thread_id, resume) = match pick_thread(&obj) {
        Ok(t) => t,
        Err(r) => return r,
    };
    st.work().await;
    if resume {
        // A finished thread re-emits its stored state: the new prompt is not processed.
        return match st.thread(&thread_id) {
            Some(Thread::Main { result, artifacts }) => ok(
                json!({"thread_id": thread_id, "status":"completed", "result": result, "artifacts": artifacts}),
            ),
            _ => internal(Value::String(thread_id)),
        };
    }
    let result = main_answer(&str_field(&obj, "prompt"));
    st.set_thread(
        &thread_id,
        Thread::Main {
            result: result.clone(),
            artifacts: Vec::new(),
        },
    );
    ok(json!({"thread_id": thread_id, "status":"completed", "result": result, "artifacts": []}))
}

// ---------- coding ----------

/// Text inside each `print(...)` call, quotes stripped: a stand-in for the sandbox's stdout.
fn fake_stdout(code: &str) -> String {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("print(") {
        rest = &rest[i + 6..];
        let end = rest.find(')').unwrap_or(rest.len());
        out.push(
            rest[..end]
                .trim()
                .trim_matches(|c| c == '"' || c == '\'')
                .to_owned(),
        );
        rest = &rest[end..];
    }
    out.join("\n")
}

/// File names passed to `savefig("...")`.
fn saved_figures(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("savefig(") {
        rest = &rest[i + 8..];
        let arg = rest.trim_start();
        if let Some(q) = arg.chars().next().filter(|c| *c == '"' || *c == '\'')
            && let Some(end) = arg[1..].find(q)
            && end > 0
        {
            names.push(arg[1..1 + end].to_owned());
        }
    }
    names
}

fn run_code(st: &AgentState, key: &str, code: &str, thread_id: String) -> Response {
    if code.contains("raise") || code.contains("1/0") || code.contains("1 / 0") {
        let result = "Code execution failed. Error from the sandbox:\n\nTraceback (most recent call last):\n  File \"main.py\", line 1, in <module>\nException: the code raised an error\n\nAttempted 3 fixes; the code still fails.";
        return ok(
            json!({"thread_id": thread_id, "status":"completed", "result": result, "artifacts": []}),
        );
    }
    let mut steps = vec![
        "Code patched successfully".to_owned(),
        format!(
            "Code executed successfully, result from the sandbox:\n\n {}",
            fake_stdout(code)
        ),
    ];
    let mut artifacts = Vec::new();
    for name in saved_figures(code) {
        let id = st.put_file(key, &name, Bytes::from_static(TINY_PNG));
        let shown = name.rsplit('/').next().unwrap_or(&name).to_owned();
        steps.push(format!("![{shown}](attachment:{id})"));
        artifacts.push(id);
    }
    ok(
        json!({"thread_id": thread_id, "status":"completed", "result": steps.join("\n\n"), "artifacts": artifacts}),
    )
}

const CODE: (&str, Ty, bool) = ("code", Ty::Str, true);

async fn coding(State(st): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (obj, key) = validated!(headers, body, &[PROMPT, CODE]);
    st.work().await;
    run_code(&st, &key, &str_field(&obj, "code"), new_id())
}

async fn coding_interactive(State(st): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (obj, key) = validated!(headers, body, &[PROMPT, CODE, THREAD, RESUME]);
    let (thread_id, _) = match pick_thread(&obj) {
        Ok(t) => t,
        Err(r) => return r,
    };
    st.work().await;
    run_code(&st, &key, &str_field(&obj, "code"), thread_id)
}

// ---------- financial ----------

fn ticker_of(prompt: &str) -> String {
    prompt
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| (1..=5).contains(&w.len()) && w.chars().all(|c| c.is_ascii_uppercase()))
        .unwrap_or("AAPL")
        .to_owned()
}

/// The real server's `FinancialAnalysisResult` model, every section filled, serialized as the
/// server does (pretty-printed, nulls left out; figures as text where the model says `str`).
fn financial_report(prompt: &str) -> String {
    let t = ticker_of(prompt);
    let competitor = |ticker: &str, name: &str, cap: &str| {
        json!({
            "ticker": ticker, "name": name, "market_cap": cap, "pe_ratio": "34.2",
            "ps_ratio": "12.1", "ebitda_margins": "0.52", "profit_margins": "0.36",
            "revenue_growth": "0.15", "earnings_growth": "0.11", "short_ratio": "1.9",
            "industry": "Software - Infrastructure", "sector": "Technology"
        })
    };
    let doc = json!({
        "ticker": t,
        "company_name": format!("{t} Inc."),
        "competitor": {
            "competitor_tickers": ["MSFT", "GOOGL"],
            "competitor_details": [
                competitor("MSFT", "Microsoft Corporation", "3.1T"),
                competitor("GOOGL", "Alphabet Inc.", "2.2T"),
            ]
        },
        "fundamental": {
            "company_name": format!("{t} Inc."),
            "sector": "Technology",
            "industry": "Consumer Electronics",
            "market_cap": "2.95T",
            "pe_ratio": "28.4",
            "forward_pe": "25.1",
            "peg_ratio": "2.3",
            "ps_ratio": "7.6",
            "price_to_book": "45.2",
            "dividend_yield": "0.0051",
            "beta": "1.21",
            "year_high": "199.62",
            "year_low": "164.08",
            "analyst_recommendation": "buy",
            "target_price": "210.0",
            "earnings_per_share": "6.42",
            "profit_margins": "0.26",
            "operating_margins": "0.30",
            "ebitda_margins": "0.33",
            "short_ratio": "1.4",
            "current_ratio": "0.99",
            "debt_to_equity": "151.9",
            "return_on_equity": "1.47",
            "return_on_assets": "0.22",
            "revenue_growth": "0.05",
            "net_income_growth": "0.08",
            "free_cash_flow": "99.6B",
            "quarterly_fundamentals": [
                {"date": "2026-03-31", "total_revenue": "90.8B", "net_income": "23.6B"},
                {"date": "2025-12-31", "total_revenue": "119.6B"}
            ],
            "advanced_fundamentals": {"enterprise_value": "3.0T", "book_value": "4.38"},
            "dividend_history": [{"date": "2026-02-09", "dividend": 0.24}]
        },
        "risk": {
            "beta": 1.21,
            "sharpe_ratio": "1.05",
            "value_at_risk_95": "-0.027",
            "max_drawdown": "-0.18",
            "volatility": "0.24",
            "daily_returns": [
                {"date": "2026-05-01", "daily_return": 0.004},
                {"date": "2026-05-02", "daily_return": "-0.011"}
            ]
        },
        "stock_price_data": [
            {"date": "2026-05-01", "open": 180.1, "high": 182.3, "low": 179.4, "close": 181.9, "volume": 51234000.0},
            {"date": "2026-05-08", "open": "181.9", "high": "184.0", "low": "180.7", "close": "183.2", "volume": "48812000"}
        ],
        "news": {"news_items": [{"title": format!("{t} reports quarterly results"), "link": "https://example.com/news/1"}],
                 "news_summary": format!("Recent coverage of {t} focuses on earnings.")},
        "comprehensive_summary": format!("Analysis requested: {prompt}. {t} shows moderate risk and stable fundamentals."),
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

async fn financial(State(st): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (obj, _key) = validated!(headers, body, &[PROMPT]);
    st.work().await;
    ok(
        json!({"thread_id": new_id(), "status":"completed", "result": financial_report(&str_field(&obj, "prompt"))}),
    )
}

async fn financial_interactive(State(st): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (obj, _key) = validated!(headers, body, &[PROMPT, THREAD, RESUME]);
    let (thread_id, _) = match pick_thread(&obj) {
        Ok(t) => t,
        Err(r) => return r,
    };
    st.work().await;
    ok(
        json!({"thread_id": thread_id, "status":"completed", "result": financial_report(&str_field(&obj, "prompt"))}),
    )
}

// ---------- deep research ----------

fn research_plan(topic: &str, feedback: &[String]) -> String {
    let mut sections = vec![
        format!("Introduction - Overview of {topic} and why it matters"),
        format!("Background - History and key concepts behind {topic}"),
        format!("Current State - Recent developments and evidence on {topic}"),
    ];
    for f in feedback {
        sections.push(format!("Requested Focus - Addresses the feedback: {f}"));
    }
    sections.push(format!("Conclusion - Summary of findings on {topic}"));
    let mut text =
        "Please <b>provide feedback</b> on the following plan or <b>type 'approve'.</b>".to_owned();
    for (i, s) in sections.iter().enumerate() {
        text.push_str(&format!("\n<b>Section {}:</b> {s}", i + 1));
    }
    text
}

fn research_report(topic: &str) -> String {
    format!(
        "# {topic}\n\n## Introduction\n\nThis report examines {topic}.\n\n## Background\n\nKey concepts and history.\n\n## Current State\n\nRecent developments, with sources.\n\n## Conclusion\n\n{topic} remains an active area.\n\n### Sources\n- https://example.com/source-1\n"
    )
}

async fn deepresearch(State(st): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (obj, _key) = validated!(headers, body, &[PROMPT]);
    st.work().await;
    ok(
        json!({"thread_id": new_id(), "status":"completed", "result": research_report(&str_field(&obj, "prompt"))}),
    )
}

async fn deepresearch_interactive(State(st): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let (obj, _key) = validated!(headers, body, &[PROMPT, THREAD, RESUME]);
    let prompt = str_field(&obj, "prompt");
    st.work().await;
    if !flag(&obj, "resume") {
        let thread_id = new_id();
        let plan = research_plan(&prompt, &[]);
        st.set_thread(
            &thread_id,
            Thread::DeepResearch {
                topic: prompt,
                feedback: Vec::new(),
                report: None,
            },
        );
        return ok(json!({"thread_id": thread_id, "status":"interrupted", "result": plan}));
    }
    // No null check on the real server: the 500 carries `"thread_id": null`.
    let Some(thread_id) = opt_str(&obj, "thread_id") else {
        return internal(Value::Null);
    };
    let Some(Thread::DeepResearch {
        topic,
        mut feedback,
        report,
    }) = st.thread(&thread_id)
    else {
        return internal(Value::String(thread_id));
    };
    if let Some(report) = report {
        return ok(json!({"thread_id": thread_id, "status":"completed", "result": report}));
    }
    let lower = prompt.to_lowercase();
    if lower == "approve" || lower == "true" {
        let report = research_report(&topic);
        st.set_thread(
            &thread_id,
            Thread::DeepResearch {
                topic,
                feedback,
                report: Some(report.clone()),
            },
        );
        return ok(json!({"thread_id": thread_id, "status":"completed", "result": report}));
    }
    feedback.push(prompt);
    let plan = research_plan(&topic, &feedback);
    st.set_thread(
        &thread_id,
        Thread::DeepResearch {
            topic,
            feedback,
            report: None,
        },
    );
    ok(json!({"thread_id": thread_id, "status":"interrupted", "result": plan}))
}

// ---------- data science ----------

#[derive(Default)]
struct Form {
    fields: HashMap<String, String>,
    files: Vec<(String, Bytes)>,
}

async fn read_form(req: Request) -> Form {
    let mut form = Form::default();
    // A body that is not multipart leaves every field missing, which FastAPI reports as 422 `missing`.
    let Ok(mut mp) = Multipart::from_request(req, &()).await else {
        return form;
    };
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                if let Ok(bytes) = field.bytes().await
                    && name == "files"
                {
                    form.files.push((file_name, bytes));
                }
            }
            None => {
                if let Ok(text) = field.text().await {
                    form.fields.insert(name, text);
                }
            }
        }
    }
    form
}

fn missing_form(names: &[&str]) -> Response {
    unprocessable(
        names
            .iter()
            .map(|n| json!({"type":"missing","loc":["body",n],"msg":"Field required","input":null}))
            .collect(),
    )
}

fn html(body: String) -> Response {
    let mut res = body.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn ds_report(prompt: &str, files: &[(String, usize)]) -> String {
    let items: String = files
        .iter()
        .map(|(n, size)| format!("<li><code>{}</code> ({size} bytes)</li>\n", escape_html(n)))
        .collect();
    format!(
        "<h1>Data Science Report</h1>\n<p>Question: {}</p>\n<h2>Datasets</h2>\n<ul>\n{items}</ul>\n<h2>Findings</h2>\n<p>The hypothesis was tested on the uploaded data; the main effect is significant.</p>\n<p><img alt=\"chart\" src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==\" /></p>",
        escape_html(prompt)
    )
}

fn hypothesis(prompt: &str, round: usize) -> String {
    format!(
        "Please <b>provide feedback</b> on the following plan or approve it.\n\n**Hypothesis {round}:** The data answers \"{prompt}\": the target variable depends on the main numeric features.\n\n**Plan:**\n1. Clean and describe the data.\n2. Test the hypothesis with a regression.\n3. Visualise the results."
    )
}

fn parse_form_bool(s: &str) -> Option<bool> {
    lax_bool(&Value::String(s.to_owned()))
}

async fn datascience(State(st): Shared, req: Request) -> Response {
    let headers = req.headers().clone();
    let form = read_form(req).await;
    let mut missing = Vec::new();
    if !form.fields.contains_key("prompt") {
        missing.push("prompt");
    }
    if form.files.is_empty() {
        missing.push("files");
    }
    if !missing.is_empty() {
        return missing_form(&missing);
    }
    let key = match authenticate(&headers) {
        Ok(k) => k,
        Err(r) => return r,
    };
    st.work().await;
    let sizes: Vec<_> = form
        .files
        .iter()
        .map(|(n, b)| (n.clone(), b.len()))
        .collect();
    for (name, bytes) in form.files {
        st.put_file(&key, &name, bytes);
    }
    html(ds_report(&form.fields["prompt"], &sizes))
}

async fn datascience_interactive(State(st): Shared, req: Request) -> Response {
    let headers = req.headers().clone();
    let form = read_form(req).await;
    let Some(prompt) = form.fields.get("prompt").cloned() else {
        return missing_form(&["prompt"]);
    };
    let resume = match form.fields.get("resume") {
        None => false,
        Some(v) => match parse_form_bool(v) {
            Some(b) => b,
            None => {
                return unprocessable(vec![json!({"type":"bool_parsing","loc":["body","resume"],
                    "msg":"Input should be a valid boolean, unable to interpret input","input":v})]);
            }
        },
    };
    let key = match authenticate(&headers) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let sent_thread = form
        .fields
        .get("thread_id")
        .cloned()
        .filter(|t| !t.is_empty());
    // Errors inside the real handler's try: 500, with thread_id only when the form sent one.
    let fail = || {
        let mut body = json!({"status":"error","error":GENERIC_ERROR});
        if let Some(t) = &sent_thread {
            body["thread_id"] = Value::String(t.clone());
        }
        (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
    };
    st.work().await;
    if !resume {
        if form.files.is_empty() {
            return fail();
        }
        let file_ids: Vec<String> = form
            .files
            .into_iter()
            .map(|(n, b)| st.put_file(&key, &n, b))
            .collect();
        let thread_id = new_id();
        st.set_thread(&thread_id, Thread::DataScience { round: 1 });
        return ok(
            json!({"thread_id": thread_id, "file_ids": file_ids, "status":"interrupted", "result": hypothesis(&prompt, 1)}),
        );
    }
    let (Some(thread_id), Some(ids_json)) = (sent_thread.clone(), form.fields.get("file_ids_json"))
    else {
        return fail();
    };
    let Ok(file_ids) = serde_json::from_str::<Vec<String>>(ids_json) else {
        return fail();
    };
    if !file_ids.iter().all(|id| st.owns(&key, id)) {
        return fail();
    }
    let Some(Thread::DataScience { round }) = st.thread(&thread_id) else {
        return fail();
    };
    let verdict = prompt.trim().to_lowercase();
    if ["approve", "ok", "looks great", "yes", "lgtm"].contains(&verdict.as_str()) {
        let files = lock(&st.files);
        let sizes: Vec<_> = file_ids
            .iter()
            .filter_map(|id| files.get(id))
            .map(|f| (f.name.clone(), f.bytes.len()))
            .collect();
        drop(files);
        return html(ds_report(&prompt, &sizes));
    }
    st.set_thread(&thread_id, Thread::DataScience { round: round + 1 });
    ok(
        json!({"thread_id": thread_id, "file_ids": file_ids, "status":"interrupted", "result": hypothesis(&prompt, round + 1)}),
    )
}

// ---------- files ----------

/// The file, whole or the one byte range asked for, as a static file server sends it
/// (`Accept-Ranges`, a strong `ETag`, `If-Range`, 206 with `Content-Range`, 416 past the
/// end). The real server sends the whole body every time (see `docs/agents-server.md`); the
/// mock serves ranges so that a client's resume of a cut download can be tested against it.
async fn download(State(st): Shared, headers: HeaderMap, Path(file_id): Path<String>) -> Response {
    let key = match authenticate(&headers) {
        Ok(k) => k,
        Err(r) => return r,
    };
    let files = lock(&st.files);
    let Some(file) = files
        .get(&file_id)
        .filter(|f| f.owner == key && !f.bytes.is_empty())
    else {
        return error_json(StatusCode::NOT_FOUND, "File not found or access denied");
    };
    let quoted = utf8_percent_encode(&file.name, PY_QUOTE).to_string();
    let disposition = format!("attachment; filename=\"{quoted}\"");
    let length = file.bytes.len();
    // Stored bytes never change under an id, so the id and size are a strong validator.
    let etag = format!("\"{file_id}-{length}\"");
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let same_file = text(header::IF_RANGE).is_none_or(|validator| validator == etag);
    let range = text(header::RANGE)
        .filter(|_| same_file)
        .and_then(|range| byte_range(range, length));
    let (mut res, sent) = match range {
        None => (file.bytes.clone().into_response(), length),
        Some(Ok((first, last))) => {
            let mut res = file.bytes.slice(first..=last).into_response();
            *res.status_mut() = StatusCode::PARTIAL_CONTENT;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {first}-{last}/{length}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            (res, last - first + 1)
        }
        Some(Err(())) => {
            let mut res = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{length}")) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return res;
        }
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(sent));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    res
}

/// The one range `bytes=FIRST-LAST`, `bytes=FIRST-` or `bytes=-SUFFIX` of a body of `length`
/// bytes, inclusive: `Err` when it starts past the end (416); `None` for anything else
/// (several ranges, another unit, nonsense), which is served whole, as RFC 9110 allows.
fn byte_range(value: &str, length: usize) -> Option<Result<(usize, usize), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    let (first, last) = spec.split_once('-')?;
    // No byte of an empty body can be asked for (and `length - 1` below needs one).
    if length == 0 {
        return Some(Err(()));
    }
    let number = |text: &str| -> Option<usize> {
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let (first, last) = match (first, last) {
        ("", suffix) => {
            let suffix = number(suffix)?;
            if suffix == 0 {
                return Some(Err(()));
            }
            (length.saturating_sub(suffix), length - 1)
        }
        (first, "") => (number(first)?, length - 1),
        (first, last) => (number(first)?, number(last)?.min(length - 1)),
    };
    if first >= length {
        return Some(Err(()));
    }
    (first <= last).then_some(Ok((first, last)))
}
