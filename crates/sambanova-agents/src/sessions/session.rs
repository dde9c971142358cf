//! Sessions and their messages: create, list and read sessions, send messages, interrupt a
//! turn, read the queue, answer permission requests and questions, set the permission mode.

use reqwest::Request;
use sambanova_agents_raw::sessions as raw;
use sambanova_agents_raw::sessions::types as wire;
use serde_json::{Map, Value};

use super::client::{Kind, SessionsClient, non_empty};
use super::types::{Message, PermissionMode, QueueStatus, Session, SessionDetails};
use crate::call::built;
use crate::transport::{CallOptions, Response};
use crate::{CallBuilder, Error};

impl SessionsClient {
    /// Creates a session in a sandbox.
    pub fn create_session<'a>(&'a self, sandbox_id: &'a str) -> CallBuilder<'a, Session> {
        self.create_session_with_metadata(sandbox_id, Map::new())
    }

    /// Creates a session in a sandbox, with metadata stored alongside it.
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
    /// let mut metadata = serde_json::Map::new();
    /// metadata.insert("purpose".into(), "code-review".into());
    /// let session = client.create_session_with_metadata("5a4d0000-0000-4000-8000-00000000d3e0", metadata).await?;
    /// assert_eq!(session.metadata["purpose"], "code-review");
    /// # Ok(()) }
    /// ```
    pub fn create_session_with_metadata<'a>(
        &'a self,
        sandbox_id: &'a str,
        metadata: Map<String, Value>,
    ) -> CallBuilder<'a, Session> {
        CallBuilder::new(move |options| async move {
            let sandbox_id = non_empty("sandbox id", sandbox_id)?;
            let body = wire::CreateSessionRequest { metadata };
            self.fetch("create_session", Kind::Write, &options, |raw| {
                built(raw.create_session_request(sandbox_id, &body))
            })
            .await
        })
    }

    /// The sessions of a sandbox.
    pub fn list_sessions<'a>(&'a self, sandbox_id: &'a str) -> CallBuilder<'a, Vec<Session>> {
        CallBuilder::new(move |options| async move {
            let sandbox_id = non_empty("sandbox id", sandbox_id)?;
            self.fetch("list_sessions", Kind::Read, &options, |raw| {
                built(raw.list_sessions_request(sandbox_id))
            })
            .await
        })
    }

    /// A session with every stored message.
    pub fn get_session<'a>(&'a self, session_id: &'a str) -> CallBuilder<'a, SessionDetails> {
        CallBuilder::new(
            move |options| async move { self.session_details(session_id, &options).await },
        )
    }

    pub(super) async fn session_details(
        &self,
        session_id: &str,
        options: &CallOptions,
    ) -> Result<Response<SessionDetails>, Error> {
        let session_id = non_empty("session id", session_id)?;
        self.fetch("get_session", Kind::Read, options, |raw| {
            built(raw.get_session_request(session_id))
        })
        .await
    }

    /// Queues a message for the agent and answers the stored **user** message at once (the
    /// agent's reply arrives as events: see [`Self::events`] and [`Self::send_and_stream`]).
    /// A slash command the server handles itself (`/help`, `/clear`, `/skills`) is answered
    /// with the assistant's message instead.
    pub fn send_message<'a>(
        &'a self,
        session_id: &'a str,
        text: &'a str,
    ) -> CallBuilder<'a, Message> {
        CallBuilder::new(move |options| async move {
            self.post_message(session_id, text, &options).await
        })
    }

    pub(super) async fn post_message(
        &self,
        session_id: &str,
        text: &str,
        options: &CallOptions,
    ) -> Result<Response<Message>, Error> {
        let session_id = non_empty("session id", session_id)?;
        let body = wire::SendMessageRequest::SimpleMessage(wire::SimpleMessage {
            message: text.to_owned(),
        });
        self.fetch("send_message", Kind::Write, options, |raw| {
            built(raw.send_message_request(session_id, &body))
        })
        .await
    }

    /// Stops the running turn (the partial text is stored as the assistant's message). The
    /// server answers the same when nothing runs, and no event marks the interrupt: an empty
    /// `queue_updated` follows.
    pub fn interrupt<'a>(&'a self, session_id: &'a str) -> CallBuilder<'a, ()> {
        CallBuilder::new(move |options| async move {
            let session_id = non_empty("session id", session_id)?;
            self.done("interrupt_session", &options, |raw| {
                built(raw.interrupt_session_request(session_id))
            })
            .await
        })
    }

    /// The session's queue.
    pub fn queue<'a>(&'a self, session_id: &'a str) -> CallBuilder<'a, QueueStatus> {
        CallBuilder::new(move |options| async move {
            let session_id = non_empty("session id", session_id)?;
            self.fetch("get_queue", Kind::Read, &options, |raw| {
                built(raw.get_queue_request(session_id))
            })
            .await
        })
    }

    /// Answers a `permission_request`.
    pub fn respond_to_permission<'a>(
        &'a self,
        session_id: &'a str,
        request_id: &'a str,
        approved: bool,
    ) -> CallBuilder<'a, ()> {
        CallBuilder::new(move |options| async move {
            let session_id = non_empty("session id", session_id)?;
            let request_id = non_empty("request id", request_id)?;
            let body = wire::PermissionAnswer { approved };
            self.done("respond_to_permission", &options, |raw| {
                built(raw.respond_to_permission_request(session_id, request_id, &body))
            })
            .await
        })
    }

    /// Sets which tool calls need approval in a session (each then sends a
    /// `permission_request` to answer with [`Self::respond_to_permission`]).
    pub fn set_permission_mode<'a>(
        &'a self,
        session_id: &'a str,
        mode: &'a PermissionMode,
    ) -> CallBuilder<'a, ()> {
        CallBuilder::new(move |options| async move {
            let session_id = non_empty("session id", session_id)?;
            let body = wire::SetPermissionModeRequest {
                always_allow: Vec::new(),
                always_require_approval: Vec::new(),
                mode: wire_mode(mode)?,
            };
            self.done("set_permission_mode", &options, |raw| {
                built(raw.set_permission_mode_request(session_id, &body))
            })
            .await
        })
    }

    /// Answers a `user_input_request` (a question the agent asked).
    pub fn respond_to_user_input<'a>(
        &'a self,
        session_id: &'a str,
        request_id: &'a str,
        answer: &'a str,
    ) -> CallBuilder<'a, ()> {
        CallBuilder::new(move |options| async move {
            let session_id = non_empty("session id", session_id)?;
            let request_id = non_empty("request id", request_id)?;
            let body = wire::UserInputAnswer {
                answer: answer.to_owned(),
            };
            self.done("respond_to_user_input", &options, |raw| {
                built(raw.respond_to_user_input_request(session_id, request_id, &body))
            })
            .await
        })
    }

    /// A write whose answer says nothing the caller needs but its metadata.
    pub(super) async fn done(
        &self,
        operation: &'static str,
        options: &CallOptions,
        build: impl Fn(&raw::Client) -> Result<Request, Error>,
    ) -> Result<Response<()>, Error> {
        let exchange = self.call(operation, Kind::Write, options, build).await?;
        Ok(Response::new((), exchange.meta))
    }
}

/// The mode as the generated request spells it; a mode this SDK does not know cannot be
/// sent.
fn wire_mode(mode: &PermissionMode) -> Result<wire::PermissionMode, Error> {
    Ok(match mode {
        PermissionMode::AutoApprove => wire::PermissionMode::AutoApprove,
        PermissionMode::ApproveEdits => wire::PermissionMode::ApproveEdits,
        PermissionMode::ApproveAll => wire::PermissionMode::ApproveAll,
        PermissionMode::PlanOnly => wire::PermissionMode::PlanOnly,
        PermissionMode::Unrestricted => wire::PermissionMode::Unrestricted,
        other => {
            return Err(Error::invalid_input(format!(
                "unknown permission mode {other}: the server takes auto_approve, approve_edits, \
                 approve_all, plan_only or unrestricted"
            )));
        }
    })
}
