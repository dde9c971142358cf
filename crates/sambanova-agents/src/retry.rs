//! When to send a request again, and how long to wait first.
//!
//! Agent POSTs start expensive, non-idempotent jobs, and the real server answers 500 even for
//! some runs that completed. So the default policy retries only what cannot have reached the
//! agent: a connection that was never made, or a status by which the server (or its proxy)
//! says it did not handle the request (429, 502, 503, 504). Downloads are GETs and retry more
//! freely.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// A retry policy: which failures are retried, how often, and how long to wait.
///
/// ```
/// use std::time::Duration;
/// use sambanova_agents::RetryPolicy;
///
/// // Five attempts in all, also retrying a plain 500 (only if you know your calls are safe
/// // to repeat: the server may already have run the agent).
/// let policy = RetryPolicy::default()
///     .max_retries(4)
///     .initial_backoff(Duration::from_millis(200))
///     .retry_status(500);
/// assert_eq!(policy.get_max_retries(), 4);
/// assert_eq!(RetryPolicy::none().get_max_retries(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    // Shared: a policy is cloned into every call, and most never change it.
    statuses: std::sync::Arc<[u16]>,
    after_delivery: bool,
}

impl Default for RetryPolicy {
    /// The policy for agent calls: 2 retries, for connect failures and 429/502/503/504.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            statuses: [429, 502, 503, 504].into(),
            after_delivery: false,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The policy for idempotent GETs (downloads): 4 retries, also on 500, on connections
    /// reset or cut mid-body, and on timeouts.
    pub fn idempotent() -> Self {
        RetryPolicy {
            max_retries: 4,
            statuses: [429, 500, 502, 503, 504].into(),
            after_delivery: true,
            ..RetryPolicy::default()
        }
    }

    /// How many times a request may be sent again (0 disables retries).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The wait before the first retry; it doubles with each retry, with jitter.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest wait between two attempts computed by backoff.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` honoured; a server asking for more gets its error returned
    /// instead of a long silent wait.
    pub fn max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// Also retry on this HTTP status.
    pub fn retry_status(mut self, status: u16) -> Self {
        if !self.statuses.contains(&status) {
            let mut statuses = self.statuses.to_vec();
            statuses.push(status);
            self.statuses = statuses.into();
        }
        self
    }

    /// Also retry failures after the request may have reached the server (a reset, a body cut
    /// short, a timeout). Only safe for requests that can run twice.
    pub fn retry_after_delivery(mut self, allowed: bool) -> Self {
        self.after_delivery = allowed;
        self
    }

    /// The number of retries [`Self::max_retries`] set. Named as `std::process::Command`
    /// names its getters (`get_current_dir` for `current_dir`): the setter has the plain name.
    pub fn get_max_retries(&self) -> u32 {
        self.max_retries
    }

    pub(crate) fn retries_status(&self, status: StatusCode) -> bool {
        self.statuses.contains(&status.as_u16())
    }

    pub(crate) fn retries_after_delivery(&self) -> bool {
        self.after_delivery
    }

    /// The wait before retry number `retry` (1-based): exponential, with "equal jitter" so
    /// that many clients do not come back in step.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        self.backoff_from(self.initial_backoff, retry)
    }

    /// [`Self::backoff`], starting from `first` instead of the initial backoff (a server's
    /// hint, as an event stream's `retry:` field), never past the maximum backoff.
    pub(crate) fn backoff_from(&self, first: Duration, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(16);
        let full = first
            .min(self.max_backoff)
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        let half = full / 2;
        half + half.mul_f64(rand::random::<f64>())
    }

    /// The wait the server asked for, if it is within the policy's limit. `Ok(None)`: the
    /// server said nothing; `Err(asked)`: it asked for longer than the policy waits.
    pub(crate) fn server_wait(&self, headers: &HeaderMap) -> Result<Option<Duration>, Duration> {
        match retry_after(headers, SystemTime::now()) {
            Some(wait) if wait > self.max_retry_after => Err(wait),
            other => Ok(other),
        }
    }
}

/// The wait a response asks for: `retry-after-ms` (milliseconds), else `Retry-After` as
/// seconds or as an HTTP date (relative to `now`).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    };
    if let Some(millis) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && millis.is_finite()
        && millis >= 0.0
    {
        return Some(Duration::from_secs_f64(millis.min(1e12) / 1000.0));
    }
    let value = header("retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_in_seconds_date_and_milliseconds() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &later)]), now),
            Some(Duration::from_secs(30))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "-5")]), now),
            None
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(300));
        for _ in 0..100 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = policy.backoff(2);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
            let capped = policy.backoff(30);
            assert!(capped <= Duration::from_millis(300));
        }
    }

    #[test]
    fn backoff_from_a_hint_starts_there_and_never_passes_the_maximum() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(250))
            .max_backoff(Duration::from_secs(30));
        let wait = policy.backoff_from(Duration::from_secs(4), 1);
        assert!(wait >= Duration::from_secs(2) && wait <= Duration::from_secs(4));
        for hint in [Duration::from_secs(99_999_999_999), Duration::MAX] {
            for retry in [1, 2, 50] {
                assert!(policy.backoff_from(hint, retry) <= Duration::from_secs(30));
            }
        }
    }

    #[test]
    fn a_retry_after_beyond_the_limit_is_refused() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        assert_eq!(
            policy.server_wait(&headers(&[("retry-after", "11")])),
            Err(Duration::from_secs(11))
        );
        assert_eq!(
            policy.server_wait(&headers(&[("retry-after", "10")])),
            Ok(Some(Duration::from_secs(10)))
        );
    }
}
