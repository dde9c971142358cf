//! How an event stream waits, reconnects and remembers: set on the Sessions and agent stream
//! client builders.

use std::time::Duration;

use crate::retry::RetryPolicy;
use crate::sse::Decoder;
use crate::transport::{Attempts, Deadline, Repeat};

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
    /// The longest the stream may run, from its opening (`None`: as long as the caller reads
    /// it); past it, it ends with [`crate::Error::Timeout`].
    pub max_duration: Option<Duration>,
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
            max_duration: None,
        }
    }
}

impl StreamSettings {
    /// How reconnections are paced (from the server's hint if it gave one, doubling, with
    /// jitter, never past the maximum backoff) and how many may follow in a row.
    pub(crate) fn reconnect_policy(&self) -> RetryPolicy {
        RetryPolicy::default()
            .max_retries(self.max_reconnects.unwrap_or(u32::MAX))
            .initial_backoff(self.initial_backoff)
            .max_backoff(self.max_backoff)
    }

    /// A run of reconnections, from the first loss, within the cap on its time.
    pub(crate) fn reconnects(&self, operation: &'static str) -> Attempts {
        Attempts::new(
            operation,
            Repeat::Reconnect,
            self.max_reconnect_time.map(Deadline::after),
        )
    }
}
