//! A call's deadline: the one rule for how much time is left and whether a wait still fits,
//! for the send loop's retries, a download's resumes and a caller's `wait` alike.

use std::time::Duration;

use tokio::time::Instant;

use crate::Error;

/// What stands for "never": far enough to outlast any caller, near enough to add to a clock.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// When a call's time is up, and the total it was given (what its timeout error names).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Instant,
    pub total: Duration,
}

impl Deadline {
    /// A deadline `total` from now (one too far to represent is as good as none: about a
    /// century from now).
    pub fn after(total: Duration) -> Self {
        let now = Instant::now();
        Deadline {
            at: now.checked_add(total).unwrap_or_else(|| now + FAR_FUTURE),
            total,
        }
    }

    /// A deadline at a caller's `instant`; its total is the time left now.
    pub fn at_instant(instant: std::time::Instant) -> Self {
        let at = Instant::from_std(instant);
        Deadline {
            at,
            total: at.saturating_duration_since(Instant::now()),
        }
    }

    /// `work`, bounded by the deadline: one already passed fails as a timeout without
    /// starting it; one that passes while it runs ends it with a timeout.
    pub async fn bound<T>(
        &self,
        operation: &str,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        self.remaining(operation, 0)?;
        tokio::time::timeout_at(self.at, work)
            .await
            .map_err(|_| Error::deadline(self.total, operation, 1))?
    }

    /// The time left for the next attempt, or the call's timeout when none is (`attempts`:
    /// those already made).
    pub fn remaining(&self, operation: &str, attempts: u32) -> Result<Duration, Error> {
        let remaining = self.at.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Error::deadline(self.total, operation, attempts));
        }
        Ok(remaining)
    }

    /// Whether an attempt could still start after waiting `wait`.
    pub fn fits(&self, wait: Duration) -> bool {
        Instant::now() + wait < self.at
    }
}
