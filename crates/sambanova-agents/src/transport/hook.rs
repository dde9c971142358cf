//! The one seam on every attempt of the three APIs: where an application sees each request as
//! it goes out (and may add to it) and each answer or failure as it comes back, with the
//! attempt's number. Agent calls, Sessions calls, event stream connections, downloads and
//! the agent stream's login all pass through it, once per attempt.

use std::sync::Arc;

/// One attempt, as an [`AttemptHook`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// The operation (`deepresearch_interactive`, `create_session`, `stream_events`, …).
    pub operation: &'static str,
    /// Which attempt this is: 1 for the first, 2 for the first retry, …
    pub number: u32,
}

/// How an attempt ended, as an [`AttemptHook`] sees it.
#[derive(Debug)]
#[non_exhaustive]
pub enum AttemptOutcome<'a> {
    /// The server answered: its head (the body is read afterwards, by the SDK or the caller).
    Answered(&'a reqwest::Response),
    /// No answer: the connection failed or broke, or the attempt ran out of time.
    Failed {
        /// What went wrong, in words.
        reason: &'a str,
        /// Whether it ran out of time.
        timed_out: bool,
    },
}

/// Sees every attempt of every call a client makes: register one with `on_attempt` on any
/// client builder ([`ClientBuilder::on_attempt`](crate::ClientBuilder::on_attempt), the
/// Sessions and agent stream builders alike). Both methods run on the task making the call:
/// keep them quick.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use sambanova_agents::{Attempt, AttemptHook, AttemptOutcome, Client};
///
/// #[derive(Default)]
/// struct Audit(AtomicU32);
///
/// impl AttemptHook for Audit {
///     fn on_request(&self, attempt: &Attempt, request: &mut sambanova_agents::reqwest::Request) {
///         self.0.fetch_add(1, Ordering::Relaxed);
///         request.headers_mut().insert("x-attempt", attempt.number.into());
///     }
///
///     fn on_outcome(&self, attempt: &Attempt, outcome: &AttemptOutcome<'_>) {
///         if let AttemptOutcome::Answered(response) = outcome {
///             eprintln!("{} #{}: {}", attempt.operation, attempt.number, response.status());
///         }
///     }
/// }
///
/// let client = Client::builder()
///     .api_key("00000000-0000-4000-8000-000000000000")
///     .on_attempt(Audit::default())
///     .build()
///     .unwrap();
/// # let _ = client;
/// ```
pub trait AttemptHook: Send + Sync + 'static {
    /// Before the attempt is sent. `request` is the request as the SDK built it; the
    /// client's own headers (the key, the user agent, extra headers) are added by the HTTP
    /// client as it sends, so they are not in it.
    fn on_request(&self, attempt: &Attempt, request: &mut reqwest::Request) {
        let _ = (attempt, request);
    }

    /// When the attempt has an answer's head, or failed.
    fn on_outcome(&self, attempt: &Attempt, outcome: &AttemptOutcome<'_>) {
        let _ = (attempt, outcome);
    }
}

/// The caller's attempt hook, shared by the clients a builder makes.
#[derive(Clone)]
pub(crate) struct AttemptHooks(pub Arc<dyn AttemptHook>);

impl std::fmt::Debug for AttemptHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AttemptHook")
    }
}
