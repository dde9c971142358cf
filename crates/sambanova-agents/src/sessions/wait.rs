//! Following a session's turn until it ends or pauses, within a deadline.

use std::time::Instant;

use futures_util::StreamExt;

use super::client::SessionsClient;
use super::events::{SessionEvent, TurnText};
use super::pending::PendingRequest;
use super::types::SessionState;
use crate::Error;
use crate::transport::Deadline;

/// Where a turn stood when [`SessionsClient::wait`] returned.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum TurnWait {
    /// The turn ended: its text, and the event that ended it (`session_completed`,
    /// `result_error`, `error`, an empty `queue_updated`; see
    /// [`SessionEvent::is_turn_end`]). `None` when the stream ended without one.
    Ended {
        /// The turn's text.
        text: String,
        /// The event that ended it.
        end: Option<Box<SessionEvent>>,
    },
    /// The turn waits on a tool permission or a question: answer it with
    /// [`SessionsClient::resume`], from this process or another.
    Paused(PendingRequest),
}

impl SessionsClient {
    /// Follows the session's turn (from its start, as [`Self::attach`] does) until it ends or
    /// waits on a permission or a question, at the latest until `deadline`: then
    /// [`Error::Timeout`], and the turn goes on on the server.
    ///
    /// A request is a pause while the session says it waits for input: one replayed from
    /// earlier in the turn and answered since does not stop the wait (in a turn that asked
    /// several times and waits again, the first request of the replay is the one reported).
    ///
    /// ```no_run
    /// # async fn demo(sessions: sambanova_agents::sessions::SessionsClient, sid: &str) -> Result<(), sambanova_agents::Error> {
    /// use std::time::{Duration, Instant};
    /// use sambanova_agents::sessions::TurnWait;
    ///
    /// match sessions.wait(sid, Instant::now() + Duration::from_secs(600)).await? {
    ///     TurnWait::Ended { text, .. } => println!("{text}"),
    ///     TurnWait::Paused(pending) => println!("waiting: {}", pending.to_json()),
    ///     _ => {}
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait(&self, session_id: &str, deadline: Instant) -> Result<TurnWait, Error> {
        Deadline::at_instant(deadline)
            .bound("wait", self.follow_turn(session_id))
            .await
    }

    async fn follow_turn(&self, session_id: &str) -> Result<TurnWait, Error> {
        let mut events = self.attach(session_id).await?;
        let mut text = TurnText::new();
        while let Some(event) = events.next().await {
            let event = event?;
            text.push(&event);
            if let Some(pending) = PendingRequest::from_event(session_id, &event)
                && self.waits_for_input(session_id).await?
            {
                return Ok(TurnWait::Paused(pending));
            }
            if event.is_turn_end() {
                return Ok(TurnWait::Ended {
                    text: text.text().to_owned(),
                    end: Some(Box::new(event)),
                });
            }
        }
        Ok(TurnWait::Ended {
            text: text.text().to_owned(),
            end: None,
        })
    }

    /// Whether the session waits for input now.
    async fn waits_for_input(&self, session_id: &str) -> Result<bool, Error> {
        let details = self.get_session(session_id).await?;
        Ok(details.session.state == SessionState::WaitingForInput)
    }
}
