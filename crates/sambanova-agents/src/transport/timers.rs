//! The timers that keep each call's attempt time, lent out of a pool the transport keeps.
//!
//! A fresh `tokio` timer per call is registered in the runtime's timer wheel when first
//! polled and taken out again when dropped, each time under the runtime's one timer lock,
//! which the runtime's worker threads also take every time they park: with many calls in
//! flight, the line that lock lives on moves between cores twice per call. A timer reset to
//! a later deadline stays registered and moves without that lock (`tokio` re-files it when
//! its old deadline comes), so a call borrows a timer that an earlier call set, resets it,
//! and gives it back. The call's future holds a pointer to it, not the timer itself.

use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::runtime::{Handle, Id};
use tokio::time::{Instant, Sleep};

/// Enough for every call of a busy client (far more than 64 in flight) to find one.
const KEPT: usize = 256;

/// The timers no call holds, each with the runtime whose timer wheel it is registered in.
#[derive(Default)]
pub(crate) struct TimerPool(Mutex<Vec<(Id, Pin<Box<Sleep>>)>>);

impl std::fmt::Debug for TimerPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TimerPool")
    }
}

/// A timer lent to one call; it goes back to the pool when the call ends (or is dropped).
pub(crate) struct LentTimer<'p> {
    pool: &'p TimerPool,
    runtime: Id,
    /// Always there until the timer goes back.
    timer: Option<Pin<Box<Sleep>>>,
}

impl TimerPool {
    /// A timer that fires `after` from now, in the current runtime.
    ///
    /// # Panics
    /// Outside a `tokio` runtime, as `tokio::time::sleep` does.
    pub(crate) fn lend(&self, after: Duration) -> LentTimer<'_> {
        let runtime = Handle::current().id();
        let deadline = Instant::now() + after;
        // Stale timers are dropped once the pool is unlocked: each takes its runtime's timer
        // lock to leave the wheel.
        let mut stale = Vec::new();
        let kept = {
            let mut kept = self.lock();
            match kept.pop() {
                Some((owner, timer)) if !timer.is_elapsed() => {
                    if owner == runtime {
                        Some(timer)
                    } else {
                        // Another runtime's (a client shared between runtimes): left for it.
                        kept.push((owner, timer));
                        None
                    }
                }
                // Fired: the client sat idle for longer than a timeout, or its runtime shut
                // down (which fires every timer). The others kept are as old, or as dead.
                Some(fired) => {
                    stale = std::mem::take(&mut *kept);
                    stale.push(fired);
                    None
                }
                None => None,
            }
        };
        drop(stale);
        let timer = match kept {
            Some(mut timer) => {
                timer.as_mut().reset(deadline);
                timer
            }
            None => Box::pin(tokio::time::sleep_until(deadline)),
        };
        LentTimer {
            pool: self,
            runtime,
            timer: Some(timer),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(Id, Pin<Box<Sleep>>)>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl LentTimer<'_> {
    /// The timer, to poll.
    pub(crate) fn sleep(&mut self) -> Option<Pin<&mut Sleep>> {
        self.timer.as_mut().map(Pin::as_mut)
    }

    /// Sets the timer to fire at `deadline` instead.
    pub(crate) fn reset(&mut self, deadline: Instant) {
        if let Some(timer) = self.sleep() {
            timer.reset(deadline);
        }
    }
}

/// A kept timer still holds the waker of the task that last polled it, and so that task's
/// memory, until another call polls it or it fires (at most a timeout later). Waking that
/// task then is a spurious wake, which every future allows.
impl Drop for LentTimer<'_> {
    fn drop(&mut self) {
        let Some(timer) = self.timer.take() else {
            return;
        };
        if timer.is_elapsed() {
            return;
        }
        let mut kept = self.pool.lock();
        if kept.len() < KEPT {
            kept.push((self.runtime, timer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime")
    }

    fn kept(pool: &TimerPool) -> usize {
        pool.lock().len()
    }

    /// The address of the timer a call is lent, to tell one timer from another.
    fn address(timer: &mut LentTimer<'_>) -> usize {
        timer
            .sleep()
            .map_or(0, |sleep| &*sleep as *const Sleep as usize)
    }

    #[tokio::test]
    async fn a_timer_given_back_is_lent_again_reset_to_the_new_calls_time() {
        let pool = TimerPool::default();
        let mut first = pool.lend(Duration::from_secs(600));
        let first_address = address(&mut first);
        let _ = futures_util::poll!(first.sleep().expect("lent"));
        drop(first);
        assert_eq!(kept(&pool), 1);
        let started = Instant::now();
        let mut second = pool.lend(Duration::from_secs(3));
        assert_eq!(address(&mut second), first_address, "the same timer");
        assert_eq!(kept(&pool), 0);
        let deadline = second.sleep().expect("lent").deadline();
        assert!(deadline >= started + Duration::from_secs(3));
        assert!(deadline < started + Duration::from_secs(600));
    }

    #[tokio::test(start_paused = true)]
    async fn a_timer_that_fired_is_not_kept_nor_lent() {
        let pool = TimerPool::default();
        let mut fired = pool.lend(Duration::from_millis(10));
        fired.sleep().expect("lent").await;
        drop(fired);
        assert_eq!(kept(&pool), 0, "a fired timer is dropped");

        // Kept, then fired while kept (the client idle for longer than the timeout).
        let mut idle = [10, 11].map(|ms| pool.lend(Duration::from_millis(ms)));
        for timer in &mut idle {
            let _ = futures_util::poll!(timer.sleep().expect("lent"));
        }
        drop(idle);
        assert_eq!(kept(&pool), 2);
        tokio::time::advance(Duration::from_millis(20)).await;
        assert!(pool.lock().iter().all(|(_, timer)| timer.is_elapsed()));
        let started = Instant::now();
        let mut next = pool.lend(Duration::from_secs(1));
        assert_eq!(kept(&pool), 0, "every stale timer is dropped");
        assert!(next.sleep().expect("lent").deadline() >= started + Duration::from_secs(1));
    }

    #[test]
    fn another_runtimes_timer_is_not_lent_and_a_shut_down_runtimes_are_dropped() {
        let pool = TimerPool::default();
        let first = runtime();
        first.block_on(async {
            let mut timer = pool.lend(Duration::from_secs(600));
            let _ = futures_util::poll!(timer.sleep().expect("lent"));
        });
        assert_eq!(kept(&pool), 1);
        let second = runtime();
        second.block_on(async {
            let mut timer = pool.lend(Duration::from_secs(600));
            assert_eq!(kept(&pool), 1, "the first runtime's timer stays for it");
            let _ = futures_util::poll!(timer.sleep().expect("lent"));
            drop(timer);
            assert_eq!(kept(&pool), 2);
        });
        // A runtime that shuts down fires its timers: the pool keeps nothing of it.
        drop(second);
        let third = runtime();
        third.block_on(async {
            let _timer = pool.lend(Duration::from_secs(600));
            assert_eq!(
                kept(&pool),
                0,
                "the second runtime's timer, fired, and all below it"
            );
        });
    }
}
