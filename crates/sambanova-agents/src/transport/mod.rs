//! Sending one request, for the three APIs alike: authentication, the call's deadline,
//! retries, size limits, tracing and the secrets to keep out of errors. Generated code builds
//! the requests (`sambanova_agents_raw`'s `*_request` methods); this module sends them and
//! hands back the status, headers and body ([`Exchange`]) or the open response (streams,
//! downloads). Each API then reads an error status with its own [`crate::dialect`].

mod attempts;
mod connection;
mod deadline;
mod hook;
mod response;
mod retrying;
mod timers;

pub(crate) use attempts::{Attempts, Expiry, Repeat};
pub(crate) use connection::{Connection, Credential, connection_setters, sensitive};
pub(crate) use deadline::Deadline;
pub(crate) use hook::AttemptHooks;
pub use hook::{Attempt, AttemptHook, AttemptOutcome};
pub(crate) use response::{
    Exchange, is_event_stream_content_type, is_json_content_type, is_media_type, media_type,
    read_body, transport_error,
};
pub use response::{Response, ResponseMeta};
pub use retrying::RetryEvent;
pub(crate) use retrying::RetryHook;
use retrying::before;
pub(crate) use timers::TimerPool;

use std::time::Duration;

use reqwest::Request;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::Error;
use crate::auth::ApiKey;
use crate::redact::Secrets;
use crate::retry::RetryPolicy;

/// The headers hyper adds to a request as it sends it: `Host` and `Content-Length`.
const SENDER_HEADERS: usize = 2;

/// What a single call may change: its timeout, its deadline, its retry policy and extra
/// headers.
///
/// ```
/// use std::time::{Duration, Instant};
/// use sambanova_agents::{CallOptions, RetryPolicy};
///
/// let options = CallOptions::new()
///     .timeout(Duration::from_secs(1800))
///     .deadline_at(Instant::now() + Duration::from_secs(3600))
///     .retry(RetryPolicy::none())
///     .header("x-team", "research");
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) deadline: Option<CallDeadline>,
    pub(crate) retry: Option<RetryPolicy>,
    /// Headers for this call only; their values never print.
    pub(crate) headers: Option<Box<CallHeaders>>,
}

/// A call's deadline, as the caller set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallDeadline {
    /// This long from the call's start.
    After(Duration),
    /// At this instant.
    At(std::time::Instant),
}

impl CallDeadline {
    /// The deadline of a call starting now.
    pub(crate) fn start(self) -> Deadline {
        match self {
            CallDeadline::After(total) => Deadline::after(total),
            CallDeadline::At(instant) => Deadline::at_instant(instant),
        }
    }
}

impl CallOptions {
    /// No overrides: the client's settings apply.
    pub fn new() -> Self {
        CallOptions::default()
    }

    /// The time each attempt of this call may take (connect, agent run, body), instead of
    /// the client's. Retries get the same time again; [`Self::deadline`] bounds them all.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The deadline of this call, instead of the client's: the total time of every attempt
    /// and of every wait between attempts. A retry that could not finish before it is not
    /// made (the last answer, a 429 say, is returned instead), and an attempt under way when
    /// it passes ends with [`Error::Timeout`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(CallDeadline::After(deadline));
        self
    }

    /// [`Self::deadline`], as an instant: the call ends by `instant`, however long it
    /// waited to start. One already passed fails the call with [`Error::Timeout`] without
    /// sending anything.
    pub fn deadline_at(mut self, instant: std::time::Instant) -> Self {
        self.deadline = Some(CallDeadline::At(instant));
        self
    }

    /// The retry policy for this call, instead of the client's.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// A header for this call only, added to (or replacing) the client's. Its value is
    /// treated as sensitive: it never prints. A name or value HTTP does not allow fails the
    /// call with [`Error::InvalidInput`] before anything is sent.
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        let (name, value) = (name.as_ref(), value.as_ref());
        let own = self.headers.get_or_insert_with(Box::default);
        match (HeaderName::from_bytes(name.as_bytes()), sensitive(value)) {
            (Ok(name), Ok(value)) => own.headers.push((name, value)),
            _ => {
                own.invalid
                    .get_or_insert_with(|| format!("{name:?} is not a header HTTP allows"));
            }
        }
        self
    }
}

/// What a request is sent with, once the client's and the call's settings are merged.
#[derive(Debug, Clone)]
pub(crate) struct CallSettings {
    /// The time of one attempt.
    pub timeout: Duration,
    /// The time of the whole call: every attempt and every wait (`None`: no bound but the
    /// attempts' own).
    pub deadline: Option<CallDeadline>,
    pub retry: RetryPolicy,
    /// The largest body read into memory; `None` for bodies that are streamed (downloads,
    /// event streams).
    pub max_body: Option<usize>,
    /// The call's own headers, on every attempt (boxed: most calls have none, and every
    /// call's future holds its settings).
    pub headers: Option<Box<CallHeaders>>,
}

/// The headers a call sets for itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CallHeaders {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// A header that could not be sent: the call fails before sending.
    pub invalid: Option<String>,
}

impl CallSettings {
    /// Settings with no deadline and no headers of the call's own.
    pub(crate) fn new(timeout: Duration, retry: RetryPolicy, max_body: Option<usize>) -> Self {
        CallSettings {
            timeout,
            deadline: None,
            retry,
            max_body,
            headers: None,
        }
    }

    /// The client's `timeout`, `deadline` and `retry`, with what the call's `options` set
    /// over them.
    pub(crate) fn merged(
        options: &CallOptions,
        timeout: Duration,
        deadline: Option<CallDeadline>,
        retry: &RetryPolicy,
        max_body: Option<usize>,
    ) -> Self {
        CallSettings {
            timeout: options.timeout.unwrap_or(timeout),
            deadline: options.deadline.or(deadline),
            retry: options.retry.clone().unwrap_or_else(|| retry.clone()),
            max_body,
            headers: options.headers.clone(),
        }
    }
}

/// An answer whose body is the caller's to read ([`Transport::open`]).
pub(crate) struct Opening<'t> {
    pub meta: ResponseMeta,
    pub response: reqwest::Response,
    /// The last attempt's timer, still set: it bounds reading the head of a refused answer.
    timer: timers::LentTimer<'t>,
}

impl Opening<'_> {
    /// When the last attempt's time is up: a body the caller reads must have arrived by then.
    pub(crate) fn attempt_ends(&mut self) -> tokio::time::Instant {
        self.timer
            .sleep()
            .map_or_else(tokio::time::Instant::now, |timer| timer.deadline())
    }

    /// The answer's metadata and the first `limit` bytes of its body, within what is left of
    /// the last attempt's time: for the error of an answer that is not what was asked for
    /// (what a broken or slow body holds beyond that is lost, not waited for).
    pub(crate) async fn head(self, limit: usize) -> (ResponseMeta, Vec<u8>) {
        use futures_util::StreamExt;
        let Opening {
            meta,
            response,
            mut timer,
        } = self;
        let mut head = Vec::new();
        let mut body = response.bytes_stream();
        let read = std::pin::pin!(async {
            while head.len() < limit {
                match body.next().await {
                    Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                    _ => break,
                }
            }
        });
        let _ = before(timer.sleep(), read).await;
        head.truncate(limit);
        (meta, head)
    }
}

/// The connection to one API: the HTTP client and what goes on every request.
pub(crate) struct Transport {
    pub http: reqwest::Client,
    /// The key this client holds, however it is sent.
    pub api_key: Option<ApiKey>,
    /// What every request carries: the user agent, the caller's extra headers, the key.
    pub headers: HeaderMap,
    /// Whether `headers` are the HTTP client's defaults (a client the SDK built), which
    /// reqwest adds as it sends; otherwise `prepare` adds them to each request.
    pub headers_on_client: bool,
    /// Every secret this client holds, to redact from server text.
    pub secrets: Secrets,
    pub on_retry: Option<RetryHook>,
    /// The caller's hook on every attempt.
    pub on_attempt: Option<AttemptHooks>,
    /// The attempt timers of the calls that read a whole answer ([`Self::exchange`]).
    pub timers: TimerPool,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("api_key", &self.api_key)
            .field("headers", &RedactedHeaders(&self.headers))
            .finish_non_exhaustive()
    }
}

/// Shows header names only: a caller's extra headers may hold secrets too.
pub(crate) struct RedactedHeaders<'a>(pub &'a HeaderMap);

impl std::fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|name| (name.as_str(), "<redacted>")))
            .finish()
    }
}

impl Transport {
    /// Sends the request `build` makes and reads the whole body, within the call's limit and
    /// within the last attempt's time, which covers its body. Any status comes back: the
    /// caller reads it with its API's dialect.
    pub(crate) async fn exchange(
        &self,
        operation: &'static str,
        build: impl FnMut() -> Result<Request, Error>,
        call: &CallSettings,
    ) -> Result<Exchange, Error> {
        let mut timer = self.timers.lend(call.timeout);
        let (meta, response, expires) = self.send(operation, build, call, &mut timer).await?;
        let limit = call.max_body.unwrap_or(usize::MAX);
        let body = {
            let read = std::pin::pin!(read_body(response, limit, expires, operation, &meta));
            before(timer.sleep(), read).await
        };
        let expiry = Expiry::of(expires, call.timeout);
        match body {
            Some(body) => Ok(Exchange {
                body: body.map_err(|error| expiry.name(error))?,
                meta,
            }),
            None => Err(expiry.error(operation, meta.attempts)),
        }
    }

    /// Sends the request `build` makes and waits for the answer's head, each attempt within
    /// the call's timeout; the body is the caller's to read, bounded by nothing the transport
    /// sets (an event stream's is as long as the caller keeps it: its stall watchdog watches
    /// it).
    pub(crate) async fn open(
        &self,
        operation: &'static str,
        build: impl FnMut() -> Result<Request, Error>,
        call: &CallSettings,
    ) -> Result<Opening<'_>, Error> {
        let mut timer = self.timers.lend(call.timeout);
        let (meta, response, _) = self.send(operation, build, call, &mut timer).await?;
        Ok(Opening {
            meta,
            response,
            timer,
        })
    }

    /// Makes room for what every request carries and for the two headers hyper adds as it
    /// sends, in this map and so in the copy reqwest sends (a copy keeps the room); adds what
    /// every request carries when the HTTP client does not (the caller's own client). A full
    /// map grows on the connection's thread instead, and reallocating there what this thread
    /// allocated makes the two threads contend for the allocator's lock on every call.
    fn prepare(&self, request: &mut Request, call: &CallSettings) {
        let headers = request.headers_mut();
        let own: &[_] = call.headers.as_ref().map_or(&[], |own| &own.headers);
        headers.reserve(self.headers.len() + own.len() + SENDER_HEADERS);
        for (name, value) in own {
            headers.insert(name, value.clone());
        }
        if self.headers_on_client {
            return;
        }
        // As reqwest adds a client's defaults: a header the request sets itself wins.
        for (name, value) in &self.headers {
            if let header::Entry::Vacant(entry) = headers.entry(name) {
                entry.insert(value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A prepared request has room for what every request carries (added by reqwest, from the
    /// client's defaults, when the SDK built the client) and for the headers hyper adds as it
    /// sends it, and so has the copy reqwest sends (a full map grows on the connection's
    /// thread: see `prepare`). With the caller's own client, `prepare` adds them itself. The
    /// requests carry what the generated builders put there (`accept`, `content-type`, a
    /// header parameter such as the agent stream's `cookie`) or less.
    #[test]
    fn a_prepared_request_has_room_for_the_headers_hyper_adds() {
        let extra: (String, String) = ("x-team".into(), "blue".into());
        for (headers, own_client) in [
            (Vec::new(), false),
            (vec![extra.clone()], false),
            (vec![extra], true),
        ] {
            let key = ApiKey::new("00000000-0000-4000-8000-000000000000").expect("a UUID key");
            let transport = Connection {
                headers,
                http: own_client.then(reqwest::Client::new),
                ..Connection::default()
            }
            .transport(Credential::Bearer(key))
            .expect("a valid connection");
            assert_eq!(transport.headers_on_client, !own_client);
            let generated = [
                (header::ACCEPT, "application/json"),
                (header::CONTENT_TYPE, "application/json"),
                (header::COOKIE, "fba_refresh_token=t"),
            ];
            for set in 0..=generated.len() {
                let mut builder = transport.http.post("http://127.0.0.1:9/agent/coding");
                for (name, value) in &generated[..set] {
                    builder = builder.header(name, *value);
                }
                let mut request = builder.build().expect("a valid request");
                transport.prepare(
                    &mut request,
                    &CallSettings::new(Duration::from_secs(1), RetryPolicy::none(), None),
                );
                let sent = request.headers().clone();
                let to_come = transport
                    .headers
                    .keys()
                    .filter(|name| !sent.contains_key(*name))
                    .count();
                if own_client {
                    assert_eq!(
                        to_come, 0,
                        "prepare adds them to the caller's client's requests"
                    );
                }
                assert!(
                    sent.capacity() >= sent.len() + to_come + SENDER_HEADERS,
                    "{} headers and {to_come} to come, room for {}",
                    sent.len(),
                    sent.capacity()
                );
            }
        }
    }

    /// With the caller's own client, `prepare` adds what every request carries but leaves a
    /// header the request set itself (the agent stream's login token), as reqwest does with a
    /// client's defaults on the SDK's own client.
    #[test]
    fn a_header_the_request_sets_itself_wins() {
        let key = ApiKey::new("00000000-0000-4000-8000-000000000000").expect("a UUID key");
        let transport = Connection {
            headers: vec![("authorization".into(), "Bearer extra".into())],
            http: Some(reqwest::Client::new()),
            ..Connection::default()
        }
        .transport(Credential::Bearer(key))
        .expect("a valid connection");
        let mut request = transport
            .http
            .post("http://127.0.0.1:9/agent/stream")
            .header(header::AUTHORIZATION, "Bearer token")
            .build()
            .expect("a valid request");
        transport.prepare(
            &mut request,
            &CallSettings::new(Duration::from_secs(1), RetryPolicy::none(), None),
        );
        let headers = request.headers();
        assert_eq!(headers[header::AUTHORIZATION], "Bearer token");
        assert_eq!(headers.get_all(header::AUTHORIZATION).iter().count(), 1);
        assert!(headers.contains_key(header::USER_AGENT));
    }
}
