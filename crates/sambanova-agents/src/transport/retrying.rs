//! The send loop: one attempt after another, as the retry policy allows and the call's
//! deadline leaves time for.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use reqwest::{Request, Response, StatusCode};
use tokio::time::{Instant, Sleep};
use tracing::Instrument;

use super::attempts::{AttemptTime, Attempts, Expiry, Repeat};
use super::timers::LentTimer;
use super::{
    Attempt, AttemptHooks, AttemptOutcome, CallDeadline, CallSettings, ResponseMeta, Transport,
    transport_error,
};
use crate::Error;
use crate::redact::Secrets;
use crate::retry::RetryPolicy;

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
    /// The attempt that failed (1 for the first); the next one is `attempt + 1`.
    pub attempt: u32,
    /// How long the client waits before the next attempt.
    pub wait: Duration,
    /// Why: the status (`429 Too Many Requests`) or the connection failure.
    pub reason: String,
    /// Whether the wait is the one the server asked for (`Retry-After`).
    pub server_asked: bool,
}

/// One attempt number, the one that failed, as in the `attempt` field:
/// `mainagent: attempt 1 failed: rate limited (429); retrying in 0.5 s`.
impl fmt::Display for RetryEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: attempt {} failed: {}; retrying in {:.1} s",
            self.operation,
            self.attempt,
            self.reason,
            self.wait.as_secs_f64(),
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

/// Why an attempt gave no answer.
pub(super) enum Failure {
    /// reqwest's: the connection (or the timeout of an HTTP client the caller brought).
    Http(reqwest::Error),
    /// The attempt's timer fired.
    TimedOut,
}

/// Why `outcome` may be worth another attempt, and the wait the server asked for (`Retry-After`),
/// or `None` to give this answer back.
fn retry_reason(
    policy: &RetryPolicy,
    outcome: &Result<Response, Failure>,
) -> Option<(String, Option<Duration>)> {
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
            Some((reason, asked))
        }
        Err(failure) => {
            let (delivered, reason) = match failure {
                Failure::TimedOut => (true, "the attempt timed out"),
                Failure::Http(error) if error.is_connect() => (false, "cannot connect"),
                Failure::Http(_) => (true, "the connection broke"),
            };
            if delivered && !policy.retries_after_delivery() {
                return None;
            }
            Some((reason.to_owned(), None))
        }
    }
}

/// Shows an attempt's outcome to the caller's hook.
fn tell(
    hook: &AttemptHooks,
    secrets: &Secrets,
    attempt: &Attempt,
    outcome: &Result<Response, Failure>,
) {
    let reason;
    let seen = match outcome {
        Ok(response) => AttemptOutcome::Answered(response),
        Err(Failure::TimedOut) => AttemptOutcome::Failed {
            reason: "the attempt timed out",
            timed_out: true,
        },
        Err(Failure::Http(error)) => {
            // The message names the URL, whose query may carry the key (`?token=`).
            reason = secrets.redact(&error.to_string()).into_owned();
            AttemptOutcome::Failed {
                reason: &reason,
                timed_out: error.is_timeout(),
            }
        }
    };
    hook.0.on_outcome(attempt, &seen);
}

/// `future`'s output, or `None` if `timer` (when there is one) fires first. The future is
/// borrowed: moved in, it would take its room twice in the future awaiting this.
pub(super) async fn before<F: Future>(
    mut timer: Option<Pin<&mut Sleep>>,
    mut future: Pin<&mut F>,
) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        match timer.as_mut() {
            Some(timer) => timer.as_mut().poll(cx).map(|()| None),
            None => Poll::Pending,
        }
    })
    .await
}

impl Transport {
    /// Sends the request `build` makes, again as the policy allows and the deadline leaves
    /// time for (`build` runs once per attempt, so a request is copied only for a retry).
    /// Returns the response of the last attempt, whatever its status, its metadata, and the
    /// time the last attempt was given, which a timeout reading its body names.
    ///
    /// Each attempt's time is kept by `timer`, lent by the transport's pool for the whole call:
    /// set to the call's timeout from its start, reset for each later attempt, and raced by
    /// the caller against the answer's body too. reqwest's own per-request timeout would cost a
    /// map in the request's extensions, a boxed timer and the body boxed again to watch it, and
    /// a fresh timer takes the runtime's timer lock twice (see `timers`).
    pub(super) async fn send(
        &self,
        operation: &'static str,
        mut build: impl FnMut() -> Result<Request, Error>,
        call: &CallSettings,
        timer: &mut LentTimer<'_>,
    ) -> Result<(ResponseMeta, Response, Duration), Error> {
        if let Some(invalid) = call.headers.as_ref().and_then(|own| own.invalid.as_ref()) {
            return Err(Error::invalid_input(invalid.clone()));
        }
        let deadline = call.deadline.map(CallDeadline::start);
        let mut attempts = Attempts::new(operation, Repeat::Retry, deadline);
        let started = Instant::now();
        let mut request = build()?;
        loop {
            // Each attempt has its own time, never past the call's deadline.
            let AttemptTime { time, expires, .. } = attempts.begin(call.timeout)?;
            let attempt = attempts.made();
            self.prepare(&mut request, call);
            // The timer comes set to the call's timeout, from its start: the first attempt's,
            // unless the deadline leaves it less.
            if attempt > 1 || time < call.timeout {
                timer.reset(Instant::now() + time);
            }
            let timer = timer.sleep();
            // Without a subscriber there is no span at all: with tracing's `log` feature (which
            // any crate in the build can turn on) a span no subscriber wants still hands its
            // fields to `log`, on every attempt. The retry lines below still reach `log`.
            let span = if tracing::dispatcher::has_been_set() {
                tracing::info_span!(
                    "sambanova.request",
                    operation,
                    method = %request.method(),
                    path = request.url().path(),
                    attempt,
                    status = tracing::field::Empty,
                    request_id = tracing::field::Empty,
                    latency_ms = tracing::field::Empty,
                )
            } else {
                tracing::Span::none()
            };
            // The answer lives in this block only: what waits for the next attempt below is
            // the next request and the wait, not this answer too (every call's future, and the
            // task a caller spawns for it, is that much smaller).
            let seen = Attempt {
                operation,
                number: attempt,
            };
            if let Some(hook) = &self.on_attempt {
                hook.0.on_request(&seen, &mut request);
            }
            let (next, event) = {
                let outcome = self.attempt(request, &span, timer).await;
                if let Some(hook) = &self.on_attempt {
                    tell(hook, &self.secrets, &seen, &outcome);
                }
                let next = retry_reason(&call.retry, &outcome).and_then(|(reason, asked)| {
                    let wait = asked.unwrap_or_else(|| attempts.backoff(&call.retry));
                    if !attempts.allows(&call.retry, wait) {
                        return None;
                    }
                    // Boxed: the next request waits out the backoff in the heap, so the
                    // future of every call (most never retry) has no room for it.
                    let next = Box::new(build().ok()?);
                    Some((next, attempts.event(reason, wait, asked.is_some())))
                });
                let Some((next, event)) = next else {
                    let expiry = Expiry::of(expires, call.timeout);
                    return match outcome {
                        Ok(mut response) => Ok((
                            ResponseMeta::of(
                                &mut response,
                                &self.secrets,
                                attempt,
                                started.elapsed(),
                            ),
                            response,
                            expires,
                        )),
                        Err(Failure::Http(error)) => {
                            Err(expiry.name(transport_error(error, expires, operation, attempt)))
                        }
                        Err(Failure::TimedOut) => Err(expiry.error(operation, attempt)),
                    };
                };
                (next, event)
            };
            span.in_scope(|| attempts.announce(self.on_retry.as_ref(), &event));
            tokio::time::sleep(event.wait).await;
            request = *next;
        }
    }

    /// One attempt, in its `sambanova.request` span when a subscriber wants it, within `timer`
    /// when there is one. Not an `async fn`: the request is handed to reqwest before the first
    /// await, so no future holds it while it is sent.
    fn attempt<'a>(
        &'a self,
        request: Request,
        span: &'a tracing::Span,
        timer: Option<Pin<&'a mut Sleep>>,
    ) -> impl Future<Output = Result<Response, Failure>> + 'a {
        let mut pending = self.http.execute(request);
        let answer = |outcome: Option<Result<Response, reqwest::Error>>| match outcome {
            Some(outcome) => outcome.map_err(Failure::Http),
            None => Err(Failure::TimedOut),
        };
        async move {
            // Without a subscriber the span is disabled: the request is not instrumented, and
            // no clock read, header lookup or redaction is made for it (this runs once per call).
            if span.is_disabled() {
                return answer(before(timer, Pin::new(&mut pending)).await);
            }
            let started = Instant::now();
            let mut pending = pending.instrument(span.clone());
            let outcome = answer(before(timer, Pin::new(&mut pending)).await);
            let latency_ms = started.elapsed().as_millis() as u64;
            span.record("latency_ms", latency_ms);
            match &outcome {
                Ok(response) => {
                    let status = response.status().as_u16();
                    span.record("status", status);
                    if let Some(id) = response
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                    {
                        // Redacted: a hostile server can echo a key as its request id.
                        span.record("request_id", &*self.secrets.redact(id));
                    }
                    // The attempt's end as an event, so a plain `fmt()` subscriber shows it.
                    tracing::info!(parent: span, status, latency_ms, "answered");
                }
                Err(Failure::TimedOut) => {
                    tracing::info!(parent: span, latency_ms, "timed out");
                }
                Err(Failure::Http(error)) => {
                    let error = self.secrets.redact(&error.to_string()).into_owned();
                    tracing::info!(parent: span, latency_ms, %error, "failed");
                }
            }
            outcome
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_event_shows_the_one_attempt_number_it_carries() {
        let event = RetryEvent {
            operation: "mainagent",
            attempt: 1,
            wait: Duration::from_millis(500),
            reason: "rate limited (429)".into(),
            server_asked: false,
        };
        assert_eq!(
            event.to_string(),
            "mainagent: attempt 1 failed: rate limited (429); retrying in 0.5 s"
        );
    }
}
