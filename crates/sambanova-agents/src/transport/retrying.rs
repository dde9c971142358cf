//! The send loop: one attempt after another, as the retry policy allows and the call's
//! deadline leaves time for.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Request, Response, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;

use super::{CallSettings, Deadline, ResponseMeta, Transport, transport_error};
use crate::Error;

/// A retry about to happen, as the `on_retry` hook of every client builder sees it (and as the
/// `sambanova_agents::retry` tracing target logs it, at `INFO`, with the same fields).
///
/// ```
/// use sambanova_agents::Client;
///
/// let client = Client::builder()
///     .api_key("00000000-0000-4000-8000-000000000000")
///     .on_retry(|event| eprintln!("{event}"))
///     .build()
///     .unwrap();
/// # let _ = client;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryEvent {
    /// The operation (`deepresearch_interactive`, `stream_events`, …).
    pub operation: &'static str,
    /// The attempt that failed (1 for the first).
    pub attempt: u32,
    /// How long the client waits before the next attempt.
    pub wait: Duration,
    /// Why: the status (`429 Too Many Requests`) or the connection failure.
    pub reason: String,
    /// Whether the wait is the one the server asked for (`Retry-After`).
    pub server_asked: bool,
}

impl fmt::Display for RetryEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}; retrying in {:.1} s (attempt {})",
            self.operation,
            self.reason,
            self.wait.as_secs_f64(),
            self.attempt + 1
        )
    }
}

impl RetryEvent {
    /// Tells the caller's hook and the `sambanova_agents::retry` log (`what`: `retrying`,
    /// `reconnecting`): every wait of every API is announced here.
    pub(crate) fn announce(&self, hook: Option<&RetryHook>, what: &'static str) {
        tracing::info!(
            target: "sambanova_agents::retry",
            operation = self.operation,
            attempt = self.attempt,
            wait_ms = self.wait.as_millis() as u64,
            reason = %self.reason,
            "{what}"
        );
        if let Some(hook) = hook {
            (hook.0)(self);
        }
    }
}

/// The caller's retry hook.
#[derive(Clone)]
pub(crate) struct RetryHook(pub Arc<dyn Fn(&RetryEvent) + Send + Sync>);

impl fmt::Debug for RetryHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RetryHook")
    }
}

/// The next attempt's wait and why, or `None` to give this answer back.
fn retry_wait(
    call: &CallSettings,
    attempt: u32,
    outcome: &Result<Response, reqwest::Error>,
) -> Option<(Duration, String, bool)> {
    let policy = &call.retry;
    match outcome {
        Ok(response) => {
            let status = response.status();
            if !policy.retries_status(status) {
                return None;
            }
            // A server asking for a longer wait than the policy allows gets its answer back
            // rather than a stalled caller.
            let asked = policy.server_wait(response.headers()).ok()?;
            let reason = match status {
                StatusCode::TOO_MANY_REQUESTS => "rate limited (429)".to_owned(),
                other => format!("the server answered {}", other.as_u16()),
            };
            Some(match asked {
                Some(wait) => (wait, reason, true),
                None => (policy.backoff(attempt), reason, false),
            })
        }
        Err(error) => {
            let delivered = !error.is_connect();
            if delivered && !policy.retries_after_delivery() {
                return None;
            }
            let reason = if delivered {
                "the connection broke"
            } else {
                "cannot connect"
            };
            Some((policy.backoff(attempt), reason.to_owned(), false))
        }
    }
}

impl Transport {
    /// Sends the request `build` makes, again as the policy allows and the deadline leaves
    /// time for (`build` runs once per attempt, so a request is copied only for a retry).
    /// Returns the response of the last attempt, whatever its status, and its metadata.
    pub(crate) async fn send(
        &self,
        operation: &'static str,
        mut build: impl FnMut() -> Result<Request, Error>,
        call: &CallSettings,
    ) -> Result<(ResponseMeta, Response), Error> {
        let deadline = call.deadline.map(Deadline::after);
        let mut request = build()?;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            // Each attempt has its own time, never past the call's deadline.
            let mut timeout = call.timeout;
            let mut expires = call.timeout;
            if let Some(deadline) = deadline {
                let remaining = deadline.remaining(operation, attempt - 1)?;
                if remaining < timeout {
                    timeout = remaining;
                    expires = deadline.total;
                }
            }
            self.prepare(&mut request, timeout);
            let span = tracing::info_span!(
                "sambanova.request",
                operation,
                method = %request.method(),
                path = request.url().path(),
                attempt,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            // The answer lives in this block only: what waits for the next attempt below is
            // the next request and the wait, not this answer too (every call's future, and the
            // task a caller spawns for it, is that much smaller).
            let (next, event) = {
                let outcome = self.attempt(request, &span).await;
                let in_time = |wait: Duration| deadline.is_none_or(|deadline| deadline.fits(wait));
                let next = match retry_wait(call, attempt, &outcome) {
                    Some((wait, reason, server_asked))
                        if attempt <= call.retry.max_retries_value() && in_time(wait) =>
                    {
                        // Boxed: the next request waits out the backoff in the heap, so the
                        // future of every call (most never retry) has no room for it.
                        build()
                            .ok()
                            .map(|next| (Box::new(next), wait, reason, server_asked))
                    }
                    _ => None,
                };
                let Some((next, wait, reason, server_asked)) = next else {
                    return match outcome {
                        Ok(response) => Ok((
                            ResponseMeta::of(&response, &self.secrets, attempt),
                            response,
                        )),
                        Err(error) => Err(transport_error(error, expires, operation, attempt)),
                    };
                };
                let event = RetryEvent {
                    operation,
                    attempt,
                    wait,
                    reason,
                    server_asked,
                };
                (next, event)
            };
            span.in_scope(|| event.announce(self.on_retry.as_ref(), "retrying"));
            tokio::time::sleep(event.wait).await;
            request = *next;
        }
    }

    /// One attempt, in its `sambanova.request` span when a subscriber wants it. Not an
    /// `async fn`: the request is handed to reqwest before the first await, so no future
    /// holds it while it is sent.
    fn attempt<'a>(
        &'a self,
        request: Request,
        span: &'a tracing::Span,
    ) -> impl Future<Output = Result<Response, reqwest::Error>> + 'a {
        let pending = self.http.execute(request);
        async move {
            // Without a subscriber the span is disabled: the request is not instrumented, and
            // no clock read, header lookup or redaction is made for it (this runs once per call).
            if span.is_disabled() {
                return pending.await;
            }
            let started = Instant::now();
            let outcome = pending.instrument(span.clone()).await;
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            if let Ok(response) = &outcome {
                span.record("status", response.status().as_u16());
                if let Some(id) = response
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                {
                    // Redacted: a hostile server can echo a key as its request id.
                    span.record("request_id", &*self.secrets.redact(id));
                }
            }
            outcome
        }
    }
}
