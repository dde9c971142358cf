//! Deterministic fault injection: per-route rules that replace or delay the normal response.

use std::{
    collections::HashMap,
    fmt,
    str::FromStr,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::{Deserialize, Serialize};

/// One injected misbehaviour. Serialised externally tagged in snake_case, e.g.
/// `{"status":{"status":429,"headers":[["Retry-After","2"]],"body":"","content_type":"application/json"}}`
/// or `"reset"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Wait this long, then answer normally.
    Latency(Duration),
    /// Answer with this status, headers and body instead of the normal response.
    Status {
        /// HTTP status code.
        status: u16,
        /// Extra response headers.
        #[serde(default)]
        headers: Vec<(String, String)>,
        /// Response body.
        #[serde(default)]
        body: String,
        /// `Content-Type` of the body.
        #[serde(default = "default_json")]
        content_type: String,
    },
    /// Read the request, then close the connection without answering.
    Reset,
    /// A success (a 206 stays a 206, else a 200) whose declared `Content-Length` is larger than
    /// what is sent before the connection closes.
    CutBody {
        /// Bytes of the normal body actually sent.
        after_bytes: usize,
    },
    /// Never answer; the connection stays open until the server shuts down.
    Stall,
    /// SSE routes: send N events, then go silent (no keepalives) with the connection open.
    StallStream {
        /// Events sent before going silent.
        after_events: usize,
    },
    /// SSE routes: close the stream after N events.
    CloseStreamAfter {
        /// Events sent before the server closes.
        events: usize,
    },
    /// 200 with `content-type: application/json` and a body that is not JSON.
    MalformedJson,
    /// The normal body labelled with another content type.
    WrongContentType {
        /// The content type to send.
        content_type: String,
    },
    /// A 200 body of this many bytes, streamed.
    HugeBody {
        /// Total body size.
        bytes: u64,
    },
    /// SSE routes: one `data:` line of this size.
    OversizedEvent {
        /// Size of the data line.
        bytes: usize,
    },
}

fn default_json() -> String {
    "application/json".to_owned()
}

impl Fault {
    /// 429 with `Retry-After: <secs>`.
    pub fn too_many_requests_after_secs(secs: u64) -> Fault {
        Fault::status_with(429, vec![("Retry-After".into(), secs.to_string())])
    }
    /// 429 with `retry-after-ms: <ms>`.
    pub fn too_many_requests_after_ms(ms: u64) -> Fault {
        Fault::status_with(429, vec![("retry-after-ms".into(), ms.to_string())])
    }
    /// 429 with `Retry-After` given as an HTTP date.
    pub fn too_many_requests_at(http_date: &str) -> Fault {
        Fault::status_with(429, vec![("Retry-After".into(), http_date.to_owned())])
    }
    /// A bare status with a FastAPI-ish JSON body.
    pub fn status(status: u16) -> Fault {
        Fault::status_with(status, Vec::new())
    }
    fn status_with(status: u16, headers: Vec<(String, String)>) -> Fault {
        Fault::Status {
            status,
            headers,
            body: format!("{{\"detail\":\"mock fault {status}\"}}"),
            content_type: default_json(),
        }
    }
    /// The HTML page ingress-nginx sends on a gateway timeout.
    pub fn nginx_504() -> Fault {
        Fault::Status {
            status: 504,
            headers: Vec::new(),
            body: "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n".into(),
            content_type: "text/html".into(),
        }
    }
}

/// Which requests a rule applies to.
///
/// `/api/agent/...` and `/agent/...` are the same route for matching, as on the real server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// HTTP method, case-insensitive; `*` matches any.
    pub method: String,
    /// Exact path, or a prefix when it ends with `*`.
    pub path: String,
    /// The fault to inject.
    pub fault: Fault,
    /// How many times; `None` = always.
    #[serde(default)]
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule that always applies.
    pub fn new(method: &str, path: &str, fault: Fault) -> FaultRule {
        FaultRule {
            method: method.to_owned(),
            path: path.to_owned(),
            fault,
            times: None,
        }
    }
    /// Limit the rule to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> FaultRule {
        self.times = Some(n);
        self
    }
    fn matches(&self, method: &str, path: &str) -> bool {
        if self.method != "*" && !self.method.eq_ignore_ascii_case(method) {
            return false;
        }
        let want = normalize(&self.path);
        let got = normalize(path);
        match want.strip_suffix('*') {
            Some(prefix) => got.starts_with(prefix),
            None => got == want,
        }
    }
}

/// Both `/api/agent/x` and `/agent/x` reach the same handler on the real server.
pub(crate) fn normalize(path: &str) -> &str {
    match path.strip_prefix("/api") {
        Some(rest) if rest.starts_with("/agent") => rest,
        _ => path,
    }
}

/// Error parsing a fault rule from its command-line syntax.
#[derive(Debug, thiserror::Error)]
#[error("invalid fault rule {input:?}: {reason}")]
pub struct ParseFaultError {
    input: String,
    reason: String,
}

/// Command-line syntax: `METHOD PATH KIND [key=value ...]`.
///
/// KIND is a status code (`429`, `502`, `504` = nginx HTML page) or one of `reset`, `stall`,
/// `malformed-json`, `latency`, `cut-body`, `huge-body`, `wrong-content-type`,
/// `stall-stream`, `close-stream`, `oversized-event`. Keys: `times=N`, `retry-after=SECS`,
/// `retry-after-ms=MS`, `ms=MS` (latency), `after=N` (bytes for cut-body, events for streams),
/// `bytes=N`, `content-type=TYPE`.
///
/// ```
/// use sambanova_agents_mock::{Fault, FaultRule};
/// let rule: FaultRule = "POST /api/agent/coding 429 times=2 retry-after=1".parse().unwrap();
/// assert_eq!(rule.times, Some(2));
/// assert_eq!(rule.fault, Fault::too_many_requests_after_secs(1));
/// ```
impl FromStr for FaultRule {
    type Err = ParseFaultError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| ParseFaultError {
            input: s.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = s.split_whitespace();
        let method = parts.next().ok_or_else(|| err("missing method"))?;
        let path = parts.next().ok_or_else(|| err("missing path"))?;
        let kind = parts.next().ok_or_else(|| err("missing fault kind"))?;
        let mut opts = HashMap::new();
        for p in parts {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| err("options must be key=value"))?;
            opts.insert(k.to_owned(), v.to_owned());
        }
        let num = |k: &str| -> Result<Option<u64>, ParseFaultError> {
            opts.get(k)
                .map(|v| {
                    v.parse::<u64>()
                        .map_err(|_| err(&format!("{k} must be a number")))
                })
                .transpose()
        };
        let need = |k: &str| -> Result<u64, ParseFaultError> {
            num(k)?.ok_or_else(|| err(&format!("{kind} needs {k}=")))
        };
        let fault = match kind {
            "reset" => Fault::Reset,
            "stall" => Fault::Stall,
            "malformed-json" => Fault::MalformedJson,
            "latency" => Fault::Latency(Duration::from_millis(need("ms")?)),
            "cut-body" => Fault::CutBody {
                after_bytes: need("after")? as usize,
            },
            "huge-body" => Fault::HugeBody {
                bytes: need("bytes")?,
            },
            "stall-stream" => Fault::StallStream {
                after_events: need("after")? as usize,
            },
            "close-stream" => Fault::CloseStreamAfter {
                events: need("after")? as usize,
            },
            "oversized-event" => Fault::OversizedEvent {
                bytes: need("bytes")? as usize,
            },
            "wrong-content-type" => Fault::WrongContentType {
                content_type: opts
                    .get("content-type")
                    .cloned()
                    .unwrap_or_else(|| "text/plain".into()),
            },
            code => {
                let status: u16 = code.parse().map_err(|_| err("unknown fault kind"))?;
                if !(100..=999).contains(&status) {
                    return Err(err("status out of range"));
                }
                if status == 504 && opts.is_empty() {
                    Fault::nginx_504()
                } else {
                    let mut headers = Vec::new();
                    if let Some(v) = opts.get("retry-after") {
                        headers.push(("Retry-After".to_owned(), v.clone()));
                    }
                    if let Some(v) = num("retry-after-ms")? {
                        headers.push(("retry-after-ms".to_owned(), v.to_string()));
                    }
                    if status == 504 {
                        match Fault::nginx_504() {
                            Fault::Status {
                                status,
                                body,
                                content_type,
                                ..
                            } => Fault::Status {
                                status,
                                headers,
                                body,
                                content_type,
                            },
                            other => other,
                        }
                    } else {
                        Fault::status_with(status, headers)
                    }
                }
            }
        };
        let times = num("times")?.map(|t| t as u32);
        Ok(FaultRule {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            fault,
            times,
        })
    }
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {:?}", self.method, self.path, self.fault)
    }
}

/// Shared, clonable fault-injection handle of one [`crate::MockServer`].
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<FaultRule>,
    counts: HashMap<(String, String), usize>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panicking test thread must not disable fault injection for the others.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// Add a rule; earlier rules win when several match.
    pub fn add(&self, rule: FaultRule) {
        self.lock().rules.push(rule);
    }
    /// Shorthand for [`Faults::add`] with [`FaultRule::new`].
    pub fn inject(&self, method: &str, path: &str, fault: Fault, times: Option<u32>) {
        self.add(FaultRule {
            times,
            ..FaultRule::new(method, path, fault)
        });
    }
    /// Remove every rule.
    pub fn clear(&self) {
        self.lock().rules.clear();
    }
    /// Current rules.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.lock().rules.clone()
    }
    /// Requests that reached `method path` (exact path as sent).
    pub fn requests(&self, method: &str, path: &str) -> usize {
        self.lock()
            .counts
            .get(&(method.to_ascii_uppercase(), path.to_owned()))
            .copied()
            .unwrap_or(0)
    }
    /// All request counts as `(method, path, count)`.
    pub fn all_requests(&self) -> Vec<(String, String, usize)> {
        let mut v: Vec<_> = self
            .lock()
            .counts
            .iter()
            .map(|((m, p), c)| (m.clone(), p.clone(), *c))
            .collect();
        v.sort();
        v
    }
    /// Count the request, then take the first matching rule (consuming one of its `times`).
    pub(crate) fn on_request(&self, method: &str, path: &str) -> Option<Fault> {
        let mut st = self.lock();
        *st.counts
            .entry((method.to_owned(), path.to_owned()))
            .or_default() += 1;
        let idx = st.rules.iter().position(|r| r.matches(method, path))?;
        let rule = &mut st.rules[idx];
        let fault = rule.fault.clone();
        if let Some(t) = rule.times.as_mut() {
            *t = t.saturating_sub(1);
            if *t == 0 {
                st.rules.remove(idx);
            }
        }
        Some(fault)
    }
}
