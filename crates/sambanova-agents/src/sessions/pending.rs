//! A session turn waiting on a tool permission or a question, kept across processes.

use serde::{Deserialize, Serialize};

use super::client::SessionsClient;
use super::events::{EventKind, SessionEvent};
use crate::kept::{self, VERSION};
use crate::{CallBuilder, Error};

/// What a turn waits on, as a value to keep: a tool permission or a question, with the
/// session and request ids that answer it. Save it (serde, e.g. [`Self::to_json`]) when a
/// turn pauses, and answer it later from any process with
/// [`SessionsClient::resume`].
///
/// ```
/// use sambanova_agents::sessions::{PendingRequest, SessionEvent};
///
/// let event = SessionEvent::from_sse(&sambanova_agents::sse::Event::new(
///     "permission_request",
///     r#"{"event_type":"permission_request","data":{"request_id":"r-1","tool_name":"Bash"}}"#,
///     "e1",
/// ));
/// let pending = PendingRequest::from_event("31d0232d-0000-4000-8000-000000000000", &event)
///     .expect("a permission request");
/// assert_eq!((pending.request_id(), pending.tool_name()), ("r-1", Some("Bash")));
/// assert_eq!(PendingRequest::from_json(&pending.to_json())?, pending);
/// # Ok::<(), sambanova_agents::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    version: u32,
    session_id: String,
    request_id: String,
    kind: PendingKind,
    /// The tool waiting to run (a permission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool_name: Option<String>,
}

/// What a [`PendingRequest`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PendingKind {
    /// A tool call waits for approval (`permission_request`).
    Permission,
    /// The agent asks a question (`user_input_request`).
    Question,
}

impl PendingRequest {
    /// The request an event of session `session_id` asks the user to answer, if it is a
    /// `permission_request` or a `user_input_request` (both carry the `request_id` that
    /// answers them: one without it is decoded as [`EventKind::Unknown`]) whose id is not
    /// empty.
    pub fn from_event(session_id: &str, event: &SessionEvent) -> Option<PendingRequest> {
        let (kind, request_id, tool_name) = match &event.kind {
            EventKind::PermissionRequest(request) => (
                PendingKind::Permission,
                request.request_id.clone(),
                request.tool_name.clone(),
            ),
            EventKind::UserInputRequest(request) => {
                (PendingKind::Question, request.request_id.clone(), None)
            }
            _ => return None,
        };
        Some(PendingRequest {
            version: VERSION,
            session_id: session_id.to_owned(),
            request_id,
            kind,
            tool_name,
        })
        .filter(|pending| !pending.request_id.is_empty() && !session_id.is_empty())
    }

    /// The session whose turn waits.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// The id to answer with.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// A permission or a question.
    pub fn kind(&self) -> PendingKind {
        self.kind
    }

    /// The tool waiting to run, for a permission.
    pub fn tool_name(&self) -> Option<&str> {
        self.tool_name.as_deref()
    }

    /// The request as one line of JSON.
    pub fn to_json(&self) -> String {
        kept::to_json(self)
    }

    /// A request read back from [`Self::to_json`], checked (its version, its ids).
    pub fn from_json(json: &str) -> Result<PendingRequest, Error> {
        kept::from_json::<PendingRequest>(json, "a pending request")?.checked()
    }

    fn checked(self) -> Result<PendingRequest, Error> {
        kept::check_version(self.version, "a pending request")?;
        if self.session_id.trim().is_empty() || self.request_id.trim().is_empty() {
            return Err(Error::invalid_input(
                "the pending request has no session or request id",
            ));
        }
        Ok(self)
    }
}

/// A [`PendingRequest`] tied to a client, to answer ([`SessionsClient::resume`]).
#[derive(Debug)]
#[must_use = "answer it with approve(), deny() or answer()"]
pub struct Resumed<'a> {
    client: &'a SessionsClient,
    pending: PendingRequest,
}

impl Resumed<'_> {
    /// Lets the tool run (a permission).
    pub fn approve(&self) -> CallBuilder<'_, ()> {
        self.permit(true)
    }

    /// Refuses the tool (a permission): the turn goes on without it.
    pub fn deny(&self) -> CallBuilder<'_, ()> {
        self.permit(false)
    }

    /// Answers the question.
    pub fn answer<'a>(&'a self, text: &'a str) -> CallBuilder<'a, ()> {
        CallBuilder::new(move |options| async move {
            if self.pending.kind != PendingKind::Question {
                return Err(Error::invalid_input(
                    "this request is a tool permission: approve() or deny() it",
                ));
            }
            self.client
                .respond_to_user_input(&self.pending.session_id, &self.pending.request_id, text)
                .options(options)
                .with_response()
                .await
        })
    }

    fn permit(&self, approved: bool) -> CallBuilder<'_, ()> {
        CallBuilder::new(move |options| async move {
            if self.pending.kind != PendingKind::Permission {
                return Err(Error::invalid_input(
                    "this request is a question: answer() it",
                ));
            }
            self.client
                .respond_to_permission(&self.pending.session_id, &self.pending.request_id, approved)
                .options(options)
                .with_response()
                .await
        })
    }
}

impl SessionsClient {
    /// A [`PendingRequest`] (saved by this or another process) tied to this client, to
    /// approve, deny or answer. Refuses one this SDK cannot read (another version, no ids).
    ///
    /// ```no_run
    /// # async fn demo(sessions: sambanova_agents::sessions::SessionsClient, saved: &str) -> Result<(), sambanova_agents::Error> {
    /// use sambanova_agents::sessions::PendingRequest;
    ///
    /// let pending = PendingRequest::from_json(saved)?;
    /// sessions.resume(&pending)?.approve().await?;
    /// # Ok(()) }
    /// ```
    pub fn resume(&self, pending: &PendingRequest) -> Result<Resumed<'_>, Error> {
        Ok(Resumed {
            client: self,
            pending: pending.clone().checked()?,
        })
    }
}
