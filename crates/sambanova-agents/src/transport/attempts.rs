//! The one attempt loop's rule, for every kind of repeat in the three APIs: a request sent
//! again (the send loop), a download fetched again from where it was cut, an event stream
//! reconnected, a sandbox polled until it is listed. Each counts its attempts here, asks here
//! whether another may follow (the policy's retries, the deadline), and announces every wait
//! here before waiting it out.

use std::time::Duration;

use super::{Deadline, RetryEvent, RetryHook};
use crate::Error;
use crate::retry::RetryPolicy;

/// The attempts of one call (or one run of reconnections, or one poll).
#[derive(Debug)]
pub(crate) struct Attempts {
    operation: &'static str,
    /// What repeats, as a wait announces it.
    what: Repeat,
    deadline: Option<Deadline>,
    made: u32,
}

/// What an attempt loop repeats: the word each wait is logged with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// A request sent again.
    Retry,
    /// An event stream connected again.
    Reconnect,
    /// A listing read again until what it looks for is there.
    Poll,
}

impl Repeat {
    fn as_str(self) -> &'static str {
        match self {
            Repeat::Retry => "retrying",
            Repeat::Reconnect => "reconnecting",
            Repeat::Poll => "polling",
        }
    }
}

/// The time one attempt may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttemptTime {
    /// The attempt's own time: its timeout, or what the deadline leaves when that is less.
    pub time: Duration,
    /// What its expiry names: the timeout, or the deadline's total when the deadline is what
    /// cut the attempt short (see [`Expiry::of`]).
    pub expires: Duration,
    /// The time the deadline leaves, when there is one.
    pub remaining: Option<Duration>,
}

/// The time an attempt's timeout error names, and whether it is the call's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Expiry {
    pub after: Duration,
    pub deadline: bool,
}

impl Expiry {
    /// The expiry of an attempt that was given `after` of a call whose timeout is `timeout`:
    /// the deadline's, when that is what the attempt was given instead. A deadline as long as
    /// the timeout reads as the timeout (the same time, as the CLI's `--timeout` sets both).
    pub fn of(after: Duration, timeout: Duration) -> Self {
        Expiry {
            after,
            deadline: after != timeout,
        }
    }

    /// `error`, a timeout named as this expiry's.
    pub fn name(&self, error: Error) -> Error {
        error.named_by_deadline(self.deadline)
    }

    /// The error of `operation` running out of this time, after `attempts` attempts.
    pub fn error(&self, operation: &str, attempts: u32) -> Error {
        self.name(Error::timeout(self.after, operation, attempts))
    }
}

impl Attempts {
    /// No attempt made yet; `deadline` bounds them all, and every wait between them.
    pub fn new(operation: &'static str, what: Repeat, deadline: Option<Deadline>) -> Self {
        Attempts {
            operation,
            what,
            deadline,
            made: 0,
        }
    }

    /// The attempts made (or failures counted) so far.
    pub fn made(&self) -> u32 {
        self.made
    }

    /// Starts the next attempt and gives its time: `timeout`, or less when the deadline
    /// leaves less. A deadline already passed fails it as a timeout, before it is made.
    pub fn begin(&mut self, timeout: Duration) -> Result<AttemptTime, Error> {
        let remaining = match &self.deadline {
            Some(deadline) => Some(deadline.remaining(self.operation, self.made)?),
            None => None,
        };
        self.made += 1;
        Ok(match (remaining, &self.deadline) {
            (Some(remaining), Some(deadline)) if remaining < timeout => AttemptTime {
                time: remaining,
                expires: deadline.total,
                remaining: Some(remaining),
            },
            _ => AttemptTime {
                time: timeout,
                expires: timeout,
                remaining,
            },
        })
    }

    /// Counts a failure that was not an attempt of this loop's own (a stream's connection
    /// lost, a poll that did not find what it looks for).
    pub fn failed(&mut self) {
        self.made = self.made.saturating_add(1);
    }

    /// The policy's backoff before the next attempt.
    pub fn backoff(&self, policy: &RetryPolicy) -> Duration {
        policy.backoff(self.made.max(1))
    }

    /// Whether another attempt may follow, after waiting `wait`: the policy's retries are not
    /// used up, and the deadline leaves time for the wait.
    pub fn allows(&self, policy: &RetryPolicy, wait: Duration) -> bool {
        self.made <= policy.get_max_retries()
            && self.deadline.is_none_or(|deadline| deadline.fits(wait))
    }

    /// The wait before the next attempt, as the hook and the log see it.
    pub fn event(&self, reason: String, wait: Duration, server_asked: bool) -> RetryEvent {
        RetryEvent {
            operation: self.operation,
            attempt: self.made,
            wait,
            reason,
            server_asked,
        }
    }

    /// Tells the caller's hook (when one is given) and the `sambanova_agents::retry` log of
    /// the wait.
    pub fn announce(&self, hook: Option<&RetryHook>, event: &RetryEvent) {
        event.announce(hook, self.what.as_str());
    }

    /// [`Self::announce`]s the wait, then waits it out.
    pub async fn pause(&self, hook: Option<&RetryHook>, event: RetryEvent) {
        self.announce(hook, &event);
        tokio::time::sleep(event.wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_deadline_already_passed_fails_before_the_first_attempt() {
        let mut attempts =
            Attempts::new("op", Repeat::Retry, Some(Deadline::after(Duration::ZERO)));
        let error = attempts.begin(Duration::from_secs(1)).unwrap_err();
        assert!(
            matches!(error, Error::Timeout { attempts: 0, .. }),
            "{error:?}"
        );
        assert_eq!(attempts.made(), 0);
    }

    #[tokio::test]
    async fn an_attempt_gets_what_the_deadline_leaves_and_names_the_deadline() {
        let mut attempts = Attempts::new(
            "op",
            Repeat::Retry,
            Some(Deadline::after(Duration::from_secs(60))),
        );
        let time = attempts.begin(Duration::from_secs(600)).unwrap();
        assert!(time.time <= Duration::from_secs(60));
        assert_eq!(
            Expiry::of(time.expires, Duration::from_secs(600)),
            Expiry {
                after: Duration::from_secs(60),
                deadline: true
            }
        );
        let mut unbounded = Attempts::new("op", Repeat::Retry, None);
        let time = unbounded.begin(Duration::from_secs(5)).unwrap();
        assert_eq!(
            (
                time.time,
                Expiry::of(time.expires, Duration::from_secs(5)).deadline,
                time.remaining
            ),
            (Duration::from_secs(5), false, None)
        );
        // A deadline as long as the timeout, cutting the attempt short, reads as the timeout.
        let mut equal = Attempts::new(
            "op",
            Repeat::Retry,
            Some(Deadline::after(Duration::from_secs(5))),
        );
        let time = equal.begin(Duration::from_secs(5)).unwrap();
        assert!(!Expiry::of(time.expires, Duration::from_secs(5)).deadline);
    }

    #[tokio::test]
    async fn retries_stop_at_the_policy_and_at_the_deadline() {
        let policy = RetryPolicy::default().max_retries(2);
        let mut attempts = Attempts::new("op", Repeat::Retry, None);
        for _ in 0..2 {
            attempts.begin(Duration::from_secs(1)).unwrap();
            assert!(attempts.allows(&policy, Duration::ZERO));
        }
        attempts.begin(Duration::from_secs(1)).unwrap();
        assert!(!attempts.allows(&policy, Duration::ZERO));

        let mut bounded = Attempts::new(
            "op",
            Repeat::Retry,
            Some(Deadline::after(Duration::from_secs(60))),
        );
        bounded.begin(Duration::from_secs(1)).unwrap();
        assert!(bounded.allows(&policy, Duration::from_secs(1)));
        assert!(!bounded.allows(&policy, Duration::from_secs(61)));
    }
}
