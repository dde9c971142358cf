//! How an event stream waits, reconnects and remembers: set on the Sessions and agent stream
//! client builders.

use std::time::Duration;

use crate::retry::RetryPolicy;
use crate::sse::Decoder;

/// The settings of one event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamSettings {
    /// The silence limit: how long the stream may go without a byte (keepalive comments
    /// count).
    pub stall_timeout: Duration,
    pub initial_backoff: Duration,
    /// The longest wait between two reconnections, server hints included.
    pub max_backoff: Duration,
    /// Reconnections in a row without a new event before giving up (`None`: no limit).
    pub max_reconnects: Option<u32>,
    /// Time spent reconnecting in a row without a new event before giving up (`None`: no
    /// limit).
    pub max_reconnect_time: Option<Duration>,
    pub dedupe_window: usize,
    pub max_event_size: usize,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            // Three of the Sessions server's 15 s keepalive periods.
            stall_timeout: Duration::from_secs(45),
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            max_reconnects: Some(10),
            max_reconnect_time: Some(Duration::from_secs(600)),
            dedupe_window: 8192,
            max_event_size: Decoder::DEFAULT_MAX_EVENT_SIZE,
        }
    }
}

impl StreamSettings {
    /// The wait before reconnection attempt `attempt` (1-based): from the server's hint if it
    /// gave one, doubling, with jitter, never past the maximum backoff.
    pub(crate) fn backoff(&self, attempt: u32, server_hint: Option<Duration>) -> Duration {
        let initial = server_hint
            .unwrap_or(self.initial_backoff)
            .min(self.max_backoff);
        RetryPolicy::default()
            .initial_backoff(initial)
            .max_backoff(self.max_backoff)
            .backoff(attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_from_the_server_hint_and_never_passes_the_maximum() {
        let settings = StreamSettings::default();
        let wait = settings.backoff(1, Some(Duration::from_secs(4)));
        assert!(wait >= Duration::from_secs(2) && wait <= Duration::from_secs(4));
        for hint in [Duration::from_secs(99_999_999_999), Duration::MAX] {
            for attempt in [1, 2, 50] {
                assert!(settings.backoff(attempt, Some(hint)) <= settings.max_backoff);
            }
        }
    }
}
