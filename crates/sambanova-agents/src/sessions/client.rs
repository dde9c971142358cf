//! [`SessionsClient`]: configuration, the typed operations, and how their answers become
//! types or errors.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::transport::Connection;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Request, StatusCode};
use sambanova_agents_raw::sessions as raw;
use sambanova_agents_raw::{Error as RawError, Execute, ExecuteFuture, ResponseValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::events::EventKind;
use super::stream::{SessionEventStream, StreamSettings, StreamTarget};
use super::types::{
    Message, PermissionMode, QueueStatus, Role, Sandbox, SandboxCreated, SandboxSpec, Session,
    SessionDetails,
};
use crate::Error;
use crate::auth::ApiKey;
use crate::client::{CallSlots, checked_base_url};
use crate::error::{ServerError, ValidationIssue};
use crate::outcome::{is_event_stream_content_type, unexpected};
use crate::retry::RetryPolicy;
use crate::transport::{
    CallExecutor, Effective, ResponseMeta, Transport, read_body, transport_error, with_request_id,
};

/// The environment variable that holds the Sessions server's URL.
pub const SESSIONS_URL_ENV: &str = "SAMBANOVA_SESSIONS_URL";

/// The environment variable that holds the Sessions server's API key (optional: the server's
/// authentication is off unless it was configured with keys).
pub const SESSIONS_API_KEY_ENV: &str = "SAMBANOVA_SESSIONS_API_KEY";

/// The URL used when none is given: a self-hosted server on this machine (there is no public
/// instance).
pub const DEFAULT_SESSIONS_URL: &str = "http://127.0.0.1:8080";

/// The prefix every route of the Sessions API carries.
const API_PREFIX: &str = "/api/v1";

/// Long enough never to cut a live stream: the stall watchdog watches streams instead.
pub(crate) const STREAM_BODY_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

/// A client for the sandbox Sessions API (a CIAB server). Cheap to clone: clones share one
/// connection pool.
///
/// The base URL is the server's **root** (`http://127.0.0.1:8080`); a URL that already ends
/// in `/api/v1` is accepted too, and the suffix dropped.
///
/// ```no_run
/// # async fn demo() -> Result<(), sambanova_agents::Error> {
/// use futures_util::StreamExt;
/// use sambanova_agents::sessions::{EventKind, SessionsClient};
///
/// let client = SessionsClient::from_env()?;
/// let sandbox_id = client.list_sandboxes().await?[0].id.clone();
/// let session = client.create_session(&sandbox_id).await?;
/// let mut turn = client.send_and_stream(&session.id, "List the files").await?;
/// while let Some(event) = turn.events.next().await {
///     if let EventKind::TextDelta(delta) = event?.kind {
///         print!("{}", delta.text);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SessionsClient {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Arc<Transport>,
    allow_insecure_http: bool,
    auth: SessionsAuth,
    /// For [`SessionsAuth::QueryToken`]: the key, sent as `?token=` on streams.
    stream_token: Option<String>,
    base_url: String,
    timeout: Duration,
    retry: Option<RetryPolicy>,
    max_response_bytes: usize,
    provisioning_timeout: Duration,
    stream: StreamSettings,
}

impl fmt::Debug for SessionsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionsClient")
            .field("base_url", &self.inner.base_url)
            .field("auth", &self.inner.auth)
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .field("stream", &self.inner.stream)
            .field("transport", &self.inner.transport)
            .finish()
    }
}

/// What [`SessionsClient::send_and_stream`] answers: the stored user message, and the turn's
/// events.
#[derive(Debug)]
#[non_exhaustive]
pub struct Turn {
    /// The user message as the server stored it.
    pub message: Message,
    /// The turn's events, ending after its last one (see [`SessionEventStream::until_turn_end`]).
    pub events: SessionEventStream,
}

impl SessionsClient {
    /// A client configured from the environment: the URL from `SAMBANOVA_SESSIONS_URL` (else
    /// [`DEFAULT_SESSIONS_URL`]), the key from `SAMBANOVA_SESSIONS_API_KEY` if set.
    pub fn from_env() -> Result<Self, Error> {
        SessionsClient::builder().from_env().build()
    }

    /// A client for the server at this URL, with no key and every default.
    ///
    /// ```
    /// let client = sambanova_agents::sessions::SessionsClient::new("http://127.0.0.1:8080/api/v1").unwrap();
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    /// ```
    pub fn new(base_url: impl Into<String>) -> Result<Self, Error> {
        SessionsClient::builder().base_url(base_url).build()
    }

    /// A builder for every setting.
    pub fn builder() -> SessionsClientBuilder {
        SessionsClientBuilder::default()
    }

    /// The server's root URL (no trailing slash, no `/api/v1`).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Every sandbox.
    pub async fn list_sandboxes(&self) -> Result<Vec<Sandbox>, Error> {
        let effective = self.effective(true);
        let (client, slots) = self.raw(effective.clone(), None);
        settle(
            client.list_sandboxes(None, None, None).await,
            &slots,
            &effective,
        )
        .await
    }

    /// Starts provisioning a sandbox. The id in the answer may be a placeholder: prefer
    /// [`Self::create_sandbox_and_wait`], which finds the real one.
    pub async fn create_sandbox(&self, spec: &SandboxSpec) -> Result<SandboxCreated, Error> {
        let body: raw::types::SandboxSpec = convert(spec)?;
        let effective = self.effective(false);
        let (client, slots) = self.raw(effective.clone(), None);
        settle(client.create_sandbox(&body).await, &slots, &effective).await
    }

    /// Creates a sandbox and waits until it is provisioned, then answers it under its
    /// **real** id: the server's answer carries a placeholder id, so this reads the real one
    /// from the placeholder's `provisioning_complete` event, or else finds the sandbox by its
    /// name (a unique one is generated when the spec has none). Gives up after the
    /// provisioning timeout ([`SessionsClientBuilder::provisioning_timeout`]).
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
    /// use sambanova_agents::sessions::SandboxSpec;
    ///
    /// let sandbox = client.create_sandbox_and_wait(&SandboxSpec::new("claude-code")).await?;
    /// let session = client.create_session(&sandbox.id).await?;
    /// # let _ = session; Ok(()) }
    /// ```
    pub async fn create_sandbox_and_wait(&self, spec: &SandboxSpec) -> Result<Sandbox, Error> {
        let mut spec = spec.clone();
        let name = spec
            .name
            .get_or_insert_with(|| format!("sdk-{:016x}", rand::random::<u64>()))
            .clone();
        let created = self.create_sandbox(&spec).await?;
        let limit = self.inner.provisioning_timeout;
        tokio::time::timeout(limit, self.resolve_sandbox(&created.placeholder_id, &name))
            .await
            .map_err(|_| Error::Timeout { after: limit })?
    }

    async fn resolve_sandbox(&self, placeholder: &str, name: &str) -> Result<Sandbox, Error> {
        use futures_util::StreamExt;
        let mut events = self.sandbox_events(placeholder);
        while let Some(event) = events.next().await {
            let event = match event {
                Ok(event) => event,
                // The placeholder is gone already: the real sandbox is listed by now.
                Err(Error::NotFound { .. }) => break,
                Err(other) => return Err(other),
            };
            match event.kind {
                EventKind::ProvisioningComplete(done) => {
                    let id = done.sandbox_id.unwrap_or_else(|| placeholder.to_owned());
                    return self.get_sandbox(&id).await;
                }
                EventKind::ProvisioningFailed(failed) => {
                    return Err(Error::Stream {
                        message: format!(
                            "provisioning of sandbox {name:?} failed: {}",
                            failed.error.as_deref().unwrap_or("no reason given")
                        ),
                    });
                }
                _ => {}
            }
        }
        let mut attempt = 0;
        loop {
            let found = self
                .list_sandboxes()
                .await?
                .into_iter()
                .find(|sandbox| sandbox.name.as_deref() == Some(name));
            if let Some(sandbox) = found {
                return Ok(sandbox);
            }
            attempt += 1;
            tokio::time::sleep(self.inner.stream.backoff(attempt, None)).await;
        }
    }

    /// One sandbox.
    pub async fn get_sandbox(&self, id: &str) -> Result<Sandbox, Error> {
        let id = non_empty("sandbox id", id)?;
        let effective = self.effective(true);
        let (client, slots) = self.raw(effective.clone(), None);
        settle(client.get_sandbox(id).await, &slots, &effective).await
    }

    /// Deletes a sandbox. The server answers 500 (`database_error`) when it still has
    /// sessions, after removing the sandbox itself.
    pub async fn delete_sandbox(&self, id: &str) -> Result<(), Error> {
        let id = non_empty("sandbox id", id)?;
        let effective = self.effective(false);
        let (client, slots) = self.raw(effective.clone(), None);
        settle(client.delete_sandbox(id).await, &slots, &effective).await
    }

    /// Creates a session in a sandbox.
    pub async fn create_session(&self, sandbox_id: &str) -> Result<Session, Error> {
        self.create_session_with_metadata(sandbox_id, Map::new())
            .await
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
    pub async fn create_session_with_metadata(
        &self,
        sandbox_id: &str,
        metadata: Map<String, Value>,
    ) -> Result<Session, Error> {
        let sandbox_id = non_empty("sandbox id", sandbox_id)?;
        let body = raw::types::CreateSessionRequest { metadata };
        let effective = self.effective(false);
        let (client, slots) = self.raw(effective.clone(), None);
        settle(
            client.create_session(sandbox_id, &body).await,
            &slots,
            &effective,
        )
        .await
    }

    /// The sessions of a sandbox.
    pub async fn list_sessions(&self, sandbox_id: &str) -> Result<Vec<Session>, Error> {
        let sandbox_id = non_empty("sandbox id", sandbox_id)?;
        let effective = self.effective(true);
        let (client, slots) = self.raw(effective.clone(), None);
        settle(client.list_sessions(sandbox_id).await, &slots, &effective).await
    }

    /// A session with every stored message.
    pub async fn get_session(&self, session_id: &str) -> Result<SessionDetails, Error> {
        let session_id = non_empty("session id", session_id)?;
        let effective = self.effective(true);
        let (client, slots) = self.raw(effective.clone(), None);
        settle(client.get_session(session_id).await, &slots, &effective).await
    }

    /// Queues a message for the agent and answers the stored **user** message at once (the
    /// agent's reply arrives as events: see [`Self::events`] and [`Self::send_and_stream`]).
    /// A slash command the server handles itself (`/help`, `/clear`, `/skills`) is answered
    /// with the assistant's message instead.
    pub async fn send_message(&self, session_id: &str, text: &str) -> Result<Message, Error> {
        let session_id = non_empty("session id", session_id)?;
        let body = raw::types::SendMessageRequest::SimpleMessage(raw::types::SimpleMessage {
            message: text.to_owned(),
        });
        let effective = self.effective(false);
        let (client, slots) = self.raw(effective.clone(), None);
        settle(
            client.send_message(session_id, &body).await,
            &slots,
            &effective,
        )
        .await
    }

    /// Stops the running turn (the partial text is stored as the assistant's message). The
    /// server answers the same when nothing runs, and no event marks the interrupt: an empty
    /// `queue_updated` follows.
    pub async fn interrupt(&self, session_id: &str) -> Result<(), Error> {
        let session_id = non_empty("session id", session_id)?;
        let effective = self.effective(false);
        let (client, slots) = self.raw(effective.clone(), None);
        let _: Value = settle(
            client.interrupt_session(session_id).await,
            &slots,
            &effective,
        )
        .await?;
        Ok(())
    }

    /// The session's queue.
    pub async fn queue(&self, session_id: &str) -> Result<QueueStatus, Error> {
        let session_id = non_empty("session id", session_id)?;
        let effective = self.effective(true);
        let (client, slots) = self.raw(effective.clone(), None);
        settle(client.get_queue(session_id).await, &slots, &effective).await
    }

    /// Answers a `permission_request`.
    pub async fn respond_to_permission(
        &self,
        session_id: &str,
        request_id: &str,
        approved: bool,
    ) -> Result<(), Error> {
        let session_id = non_empty("session id", session_id)?;
        let request_id = non_empty("request id", request_id)?;
        let body = raw::types::PermissionAnswer { approved };
        let effective = self.effective(false);
        let (client, slots) = self.raw(effective.clone(), None);
        let _: Value = settle(
            client
                .respond_to_permission(session_id, request_id, &body)
                .await,
            &slots,
            &effective,
        )
        .await?;
        Ok(())
    }

    /// Sets which tool calls need approval in a session (each then sends a
    /// `permission_request` to answer with [`Self::respond_to_permission`]).
    pub async fn set_permission_mode(
        &self,
        session_id: &str,
        mode: &PermissionMode,
    ) -> Result<(), Error> {
        let session_id = non_empty("session id", session_id)?;
        let body: raw::types::SetPermissionModeRequest =
            convert(&serde_json::json!({ "mode": mode }))?;
        let effective = self.effective(false);
        let (client, slots) = self.raw(effective.clone(), None);
        let _: Value = settle(
            client.set_permission_mode(session_id, &body).await,
            &slots,
            &effective,
        )
        .await?;
        Ok(())
    }

    /// Answers a `user_input_request` (a question the agent asked).
    pub async fn respond_to_user_input(
        &self,
        session_id: &str,
        request_id: &str,
        answer: &str,
    ) -> Result<(), Error> {
        let session_id = non_empty("session id", session_id)?;
        let request_id = non_empty("request id", request_id)?;
        let body = raw::types::UserInputAnswer {
            answer: answer.to_owned(),
        };
        let effective = self.effective(false);
        let (client, slots) = self.raw(effective.clone(), None);
        let _: Value = settle(
            client
                .respond_to_user_input(session_id, request_id, &body)
                .await,
            &slots,
            &effective,
        )
        .await?;
        Ok(())
    }

    /// The session's live events, from the start of the server's buffer (the server replays
    /// it to every new stream), resuming across dropped connections, each event once. Runs
    /// until dropped, or until the end of a turn with [`SessionEventStream::until_turn_end`].
    pub fn events(&self, session_id: &str) -> SessionEventStream {
        SessionEventStream::new(
            self.clone(),
            StreamTarget::Session(session_id.to_owned()),
            None,
        )
    }

    /// The events of the session's turn in progress, or of its last turn if it is idle
    /// (from its last user message on), ending with the turn: what a caller who opens a
    /// session "now" wants to see, without the replay of earlier turns.
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
    /// use futures_util::StreamExt;
    ///
    /// let mut turn = client.turn_events("31d0232d-0000-4000-8000-000000000000").await?;
    /// while let Some(event) = turn.next().await {
    ///     println!("{}", event?.event_type());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn turn_events(&self, session_id: &str) -> Result<SessionEventStream, Error> {
        let details = self.get_session(session_id).await?;
        let started = details
            .messages
            .iter()
            .rev()
            .find(|message| message.role == Role::User)
            .map(|message| message.timestamp.clone());
        let events = self.events(session_id).until_turn_end();
        Ok(match started {
            Some(timestamp) => events.since(&timestamp),
            None => events,
        })
    }

    /// Like [`Self::events`], starting after the event `last_event_id` (the server replays
    /// its whole buffer if it no longer holds that event; the duplicates are dropped).
    pub fn events_after(&self, session_id: &str, last_event_id: &str) -> SessionEventStream {
        SessionEventStream::new(
            self.clone(),
            StreamTarget::Session(session_id.to_owned()),
            Some(last_event_id.to_owned()),
        )
    }

    /// Every event of a sandbox (provisioning, state changes and all its sessions').
    pub fn sandbox_events(&self, sandbox_id: &str) -> SessionEventStream {
        SessionEventStream::new(
            self.clone(),
            StreamTarget::Sandbox(sandbox_id.to_owned()),
            None,
        )
    }

    /// Sends a message and streams that turn's events, ending after its last one. The stream
    /// is connected before the message is sent, so no event is missed, and the replay of
    /// earlier turns is skipped (by timestamp: the events of this turn are stamped after the
    /// stored message). A slash command the server answers itself (`/help`) runs no turn:
    /// its stream is empty. If a turn is already running, the stream ends with that turn: the
    /// server's events do not say which message a turn answers.
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::sessions::SessionsClient, session_id: &str) -> Result<(), sambanova_agents::Error> {
    /// use futures_util::StreamExt;
    /// use sambanova_agents::sessions::TurnText;
    ///
    /// let mut turn = client.send_and_stream(session_id, "Summarise README.md").await?;
    /// let mut text = TurnText::new();
    /// while let Some(event) = turn.events.next().await {
    ///     text.push(&event?);
    /// }
    /// println!("{}", text.as_str());
    /// # Ok(()) }
    /// ```
    pub async fn send_and_stream(&self, session_id: &str, text: &str) -> Result<Turn, Error> {
        let mut events = self.events(session_id).until_turn_end();
        events.connect().await?;
        let message = self.send_message(session_id, text).await?;
        if message.role == Role::User {
            events.skip_before(&message.timestamp);
        } else {
            // A slash command the server answered itself: no turn runs, no event follows.
            events.end();
        }
        Ok(Turn { message, events })
    }

    pub(crate) fn stream_settings(&self) -> &StreamSettings {
        &self.inner.stream
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// How long to wait for a response's headers.
    pub(crate) fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Whether plain `http://` may be used for a URL that is not loopback: without a key
    /// there is nothing to leak.
    pub(crate) fn plain_http_allowed(&self) -> bool {
        self.inner.transport.api_key.is_none() || self.inner.allow_insecure_http
    }

    /// Opens one event stream connection; answers once the server has sent its headers. A
    /// first connection is retried like any read; a reconnection is sent once, since the
    /// stream's own backoff paces reconnections.
    pub(crate) async fn open_stream(
        &self,
        target: &StreamTarget,
        last_event_id: Option<&str>,
        first: bool,
    ) -> Result<sambanova_agents_raw::ByteStream, Error> {
        let retry = if first {
            self.inner
                .retry
                .clone()
                .unwrap_or_else(RetryPolicy::idempotent)
        } else {
            RetryPolicy::none()
        };
        let effective = Effective {
            timeout: STREAM_BODY_TIMEOUT,
            retry,
            max_body: None,
        };
        let (client, slots) = self.raw(effective.clone(), last_event_id);
        let opening = async {
            Ok::<_, Error>(match target {
                StreamTarget::Session(id) => {
                    client
                        .stream_events(
                            non_empty("session id", id)?,
                            last_event_id,
                            self.inner.stream_token.as_deref(),
                        )
                        .await
                }
                StreamTarget::Sandbox(id) => {
                    client
                        .stream_sandbox_events(
                            non_empty("sandbox id", id)?,
                            last_event_id,
                            self.inner.stream_token.as_deref(),
                        )
                        .await
                }
            })
        };
        let result = tokio::time::timeout(self.inner.timeout, opening)
            .await
            .map_err(|_| Error::Timeout {
                after: self.inner.timeout,
            })??;
        if let Some(failure) = slots.take_failure() {
            return Err(failure);
        }
        let meta = slots.take_meta();
        match result {
            Ok(stream) => {
                if let Some(meta) = &meta
                    && !is_event_stream_content_type(meta.content_type.as_deref())
                {
                    return Err(unexpected(
                        meta,
                        b"",
                        "the content type is not text/event-stream",
                    ));
                }
                Ok(stream.into_inner())
            }
            Err(error) => Err(classify_raw_error::<Value>(error, meta, &effective)
                .await
                .err()
                .unwrap_or_else(|| Error::Stream {
                    message: "the stream answered an error status with a success body".into(),
                })),
        }
    }

    fn effective(&self, idempotent: bool) -> Effective {
        let retry = self.inner.retry.clone().unwrap_or_else(|| {
            if idempotent {
                RetryPolicy::idempotent()
            } else {
                RetryPolicy::default()
            }
        });
        Effective {
            timeout: self.inner.timeout,
            retry,
            max_body: Some(self.inner.max_response_bytes),
        }
    }

    /// A generated client for one call, routed through the transport (with a
    /// `Last-Event-ID` header on stream requests that resume).
    fn raw(&self, effective: Effective, last_event_id: Option<&str>) -> (raw::Client, CallSlots) {
        let slots = CallSlots::default();
        let call = CallExecutor {
            transport: self.inner.transport.clone(),
            effective,
            meta: slots.meta.clone(),
            failure: slots.failure.clone(),
        };
        let last_event_id = last_event_id.and_then(|id| HeaderValue::from_str(id).ok());
        let executor = match last_event_id {
            Some(last_event_id) => sambanova_agents_raw::Executor::new(Resuming {
                call,
                last_event_id,
            }),
            None => call.executor(),
        };
        let client = raw::Client::new_with_client(
            &self.inner.base_url,
            self.inner.transport.http.clone(),
            executor,
        );
        (client, slots)
    }
}

/// Adds the standard `Last-Event-ID` header to a stream request (the real server reads only
/// the `last_event_id` query parameter, which the generated client sends; proxies and other
/// servers read the header).
struct Resuming {
    call: CallExecutor,
    last_event_id: HeaderValue,
}

impl Execute for Resuming {
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        mut request: Request,
        operation_id: &'static str,
    ) -> ExecuteFuture<'a> {
        request.headers_mut().insert(
            HeaderName::from_static("last-event-id"),
            self.last_event_id.clone(),
        );
        self.call.execute(client, request, operation_id)
    }
}

fn non_empty<'a>(what: &str, value: &'a str) -> Result<&'a str, Error> {
    if value.trim().is_empty() {
        Err(Error::invalid_input(format!("the {what} is empty")))
    } else {
        Ok(value)
    }
}

fn convert<T: Serialize, U: DeserializeOwned>(value: &T) -> Result<U, Error> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|error| Error::invalid_input(format!("cannot encode the request: {error}")))
}

/// Turns what the generated client returned into `T` (parsed with the SDK's own types, which
/// keep unknown states) or the SDK's error.
async fn settle<R: Serialize, T: DeserializeOwned>(
    result: Result<ResponseValue<R>, RawError<raw::types::CiabError>>,
    slots: &CallSlots,
    effective: &Effective,
) -> Result<T, Error> {
    if let Some(failure) = slots.take_failure() {
        return Err(failure);
    }
    let meta = slots.take_meta();
    match result {
        Ok(value) => {
            let Some(meta) = meta else {
                return Err(Error::invalid_input("the request was not sent"));
            };
            let value = serde_json::to_value(value.into_inner())
                .map_err(|error| unexpected(&meta, b"", &error.to_string()))?;
            serde_json::from_value(value).map_err(|error| {
                unexpected(&meta, b"", &format!("the body does not parse: {error}"))
            })
        }
        Err(error) => classify_raw_error(error, meta, effective).await,
    }
}

/// A failed generated call: an error status, a body the generated types refused (parsed
/// again with the SDK's types when the status is a success), or a transport failure.
async fn classify_raw_error<T: DeserializeOwned>(
    error: RawError<raw::types::CiabError>,
    meta: Option<ResponseMeta>,
    effective: &Effective,
) -> Result<T, Error> {
    let Some(meta) = meta else {
        return Err(match error {
            RawError::InvalidRequest(message) | RawError::Custom(message) => {
                Error::invalid_input(message)
            }
            RawError::CommunicationError(error) => transport_error(error, effective.timeout),
            _ => Error::invalid_input("the request was not sent"),
        });
    };
    let body = match error {
        RawError::ErrorResponse(value) => serde_json::to_vec(&value.into_inner())
            .unwrap_or_default()
            .into(),
        RawError::InvalidResponsePayload(bytes, _) => bytes,
        RawError::UnexpectedResponse(response) => {
            read_body(
                response,
                effective.max_body.unwrap_or(Error::KEPT_BODY_BYTES),
                effective.timeout,
                meta.request_id.as_deref(),
            )
            .await?
        }
        RawError::CommunicationError(error)
        | RawError::ResponseBodyError(error)
        | RawError::InvalidUpgrade(error) => {
            return Err(with_request_id(
                transport_error(error, effective.timeout),
                meta.request_id.as_deref(),
            ));
        }
        RawError::InvalidRequest(message) | RawError::Custom(message) => {
            return Err(Error::invalid_input(message));
        }
    };
    if meta.status.is_success() {
        return serde_json::from_slice(&body).map_err(|error| {
            unexpected(&meta, &body, &format!("the body does not parse: {error}"))
        });
    }
    Err(error_from_body(&meta, &body))
}

#[derive(serde::Deserialize)]
struct CiabError {
    error: CiabErrorBody,
}

#[derive(serde::Deserialize)]
struct CiabErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The SDK's error for an error status: the server's own errors are JSON
/// (`{"error":{"code","message"}}`), the HTTP framework's are plain text, an unknown route is
/// an empty 404.
pub(crate) fn error_from_body(meta: &ResponseMeta, body: &[u8]) -> Error {
    let ciab = serde_json::from_slice::<CiabError>(body)
        .ok()
        .map(|e| e.error);
    let text = String::from_utf8_lossy(body).trim().to_owned();
    let message = match &ciab {
        Some(error) if error.code.is_empty() => error.message.clone(),
        Some(error) => format!("{} ({})", error.message, error.code),
        None => text.chars().take(Error::KEPT_BODY_BYTES).collect(),
    };
    let request_id = meta.request_id.clone();
    match meta.status {
        StatusCode::UNAUTHORIZED => Error::Authentication {
            message,
            request_id,
        },
        StatusCode::NOT_FOUND if body.is_empty() => Error::NotFound {
            message: "no such route: the base URL must be the Sessions server's root".into(),
            request_id,
        },
        StatusCode::NOT_FOUND => Error::NotFound {
            message,
            request_id,
        },
        StatusCode::BAD_REQUEST => Error::BadRequest {
            message,
            request_id,
        },
        StatusCode::CONFLICT => Error::Conflict {
            message,
            request_id,
        },
        StatusCode::UNPROCESSABLE_ENTITY => Error::Validation {
            detail: vec![ValidationIssue {
                loc: vec![Value::String("body".into())],
                msg: message,
                kind: ciab.map(|e| e.code).unwrap_or_default(),
                input: None,
            }],
            request_id,
        },
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
            retry_after: meta.retry_after,
            request_id,
        },
        status if status.is_server_error() => Error::Server(Box::new(ServerError {
            http_status: status,
            agent_status: None,
            message,
            thread_id: None,
            details: ciab.map(|e| Value::String(e.code)),
            content_type: meta.content_type.clone(),
            request_id,
        })),
        _ => unexpected(meta, body, "an undocumented status"),
    }
}

/// How a [`SessionsClient`] sends its key: the server accepts all three.
///
/// ```
/// use sambanova_agents::sessions::{SessionsAuth, SessionsClient};
///
/// let client = SessionsClient::builder()
///     .base_url("http://127.0.0.1:8080")
///     .api_key("secret")
///     .auth(SessionsAuth::ApiKeyHeader)
///     .build()
///     .unwrap();
/// assert!(!format!("{client:?}").contains("secret"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SessionsAuth {
    /// `Authorization: Bearer <key>` on every request.
    #[default]
    Bearer,
    /// `X-API-Key: <key>` on every request.
    ApiKeyHeader,
    /// `Authorization: Bearer <key>`, and on event streams also `?token=<key>`, for proxies
    /// in front of the server that only pass the query on (as browsers' `EventSource`
    /// needs). The key is then in the URL: it is never logged or put in errors by this SDK,
    /// but a proxy's access log may keep it.
    QueryToken,
}

/// Builds a [`SessionsClient`].
///
/// ```
/// use std::time::Duration;
/// use sambanova_agents::sessions::SessionsClient;
///
/// let client = SessionsClient::builder()
///     .base_url("http://127.0.0.1:8080")
///     .api_key("ciab-key")
///     .timeout(Duration::from_secs(10))
///     .stall_timeout(Duration::from_secs(60))
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// ```
#[must_use]
pub struct SessionsClientBuilder {
    api_key: Option<String>,
    auth: SessionsAuth,
    base_url: Option<String>,
    connection: Connection,
    timeout: Duration,
    retry: Option<RetryPolicy>,
    max_response_bytes: usize,
    provisioning_timeout: Duration,
    stream: StreamSettings,
}

impl Default for SessionsClientBuilder {
    fn default() -> Self {
        SessionsClientBuilder {
            api_key: None,
            auth: SessionsAuth::Bearer,
            base_url: None,
            connection: Connection::default(),
            timeout: Duration::from_secs(30),
            retry: None,
            max_response_bytes: 64 * 1024 * 1024,
            provisioning_timeout: Duration::from_secs(300),
            stream: StreamSettings::default(),
        }
    }
}

impl fmt::Debug for SessionsClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionsClientBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("connection", &self.connection)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("provisioning_timeout", &self.provisioning_timeout)
            .field("stream", &self.stream)
            .finish()
    }
}

impl SessionsClientBuilder {
    crate::transport::connection_setters!();

    /// How the key is sent (default [`SessionsAuth::Bearer`]).
    pub fn auth(mut self, auth: SessionsAuth) -> Self {
        self.auth = auth;
        self
    }

    /// Takes the URL and key from the environment, where set (see
    /// [`SessionsClient::from_env`]).
    pub fn from_env(mut self) -> Self {
        let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(url) = set(SESSIONS_URL_ENV) {
            self.base_url = Some(url);
        }
        if let Some(key) = set(SESSIONS_API_KEY_ENV) {
            self.api_key = Some(key);
        }
        self
    }

    /// The API key, for a server configured with keys (sent as `Authorization: Bearer`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The server's root URL (default [`DEFAULT_SESSIONS_URL`]); a trailing `/api/v1` is
    /// dropped.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The total time for one request (default 30 s); for a stream, the time until the
    /// server answers (its body is watched by [`Self::stall_timeout`] instead).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The retry policy of every request. By default reads (and stream connections) use
    /// [`RetryPolicy::idempotent`], writes [`RetryPolicy::default`] (never repeated once the
    /// server may have seen them).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The largest JSON body read into memory (default 64 MiB).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// How long [`SessionsClient::create_sandbox_and_wait`] waits (default 5 min).
    pub fn provisioning_timeout(mut self, timeout: Duration) -> Self {
        self.provisioning_timeout = timeout;
        self
    }

    /// How long an event stream may go without a byte (keepalive comments count) before it
    /// is dropped and reconnected (default 45 s: three of the server's 15 s keepalives).
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.stream.stall_timeout = timeout;
        self
    }

    /// The wait before the first reconnection of an event stream (default 250 ms, or the
    /// server's SSE `retry:` when it sends one), doubling with each failed attempt (with
    /// jitter) up to `max` (default 30 s).
    pub fn reconnect_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.stream.initial_backoff = initial;
        self.stream.max_backoff = max;
        self
    }

    /// How many reconnections in a row an event stream attempts without receiving an event
    /// before it gives up with the last error (default 10; `None`: forever).
    pub fn max_reconnect_attempts(mut self, attempts: Option<u32>) -> Self {
        self.stream.max_reconnects = attempts;
        self
    }

    /// How many recent event ids a stream remembers to drop replayed duplicates (default
    /// 8192; keep it above the server's replay buffer size).
    pub fn dedupe_window(mut self, ids: usize) -> Self {
        self.stream.dedupe_window = ids.max(1);
        self
    }

    /// The largest event a stream accepts (default 8 MiB); a larger one is skipped, with a
    /// warning in the logs, and the stream goes on.
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.stream.max_event_size = bytes;
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<SessionsClient, Error> {
        let api_key = self.api_key.map(ApiKey::new).transpose()?;
        let url = self
            .base_url
            .unwrap_or_else(|| DEFAULT_SESSIONS_URL.to_owned());
        // Without a key there is nothing to leak over plain HTTP.
        let base_url = checked_base_url(
            &url,
            self.connection.allow_insecure_http || api_key.is_none(),
        )?;
        let base_url = base_url
            .strip_suffix(API_PREFIX)
            .unwrap_or(&base_url)
            .trim_end_matches('/')
            .to_owned();
        let allow_insecure_http = self.connection.allow_insecure_http;
        let stream_token = match (&self.auth, &api_key) {
            (SessionsAuth::QueryToken, Some(key)) => Some(key.expose_secret().to_owned()),
            _ => None,
        };
        let transport = match (&self.auth, api_key) {
            (SessionsAuth::ApiKeyHeader, Some(key)) => {
                let mut transport = self.connection.transport(None)?;
                transport.headers.insert(
                    reqwest::header::HeaderName::from_static("x-api-key"),
                    crate::transport::sensitive(key.expose_secret())?,
                );
                transport
            }
            (_, api_key) => self.connection.transport(api_key)?,
        };
        Ok(SessionsClient {
            inner: Arc::new(Inner {
                transport: Arc::new(transport),
                allow_insecure_http,
                auth: self.auth,
                stream_token,
                base_url,
                timeout: self.timeout,
                retry: self.retry,
                max_response_bytes: self.max_response_bytes,
                provisioning_timeout: self.provisioning_timeout,
                stream: self.stream,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_is_the_root_with_or_without_the_prefix() {
        for url in [
            "http://127.0.0.1:9/api/v1",
            "http://127.0.0.1:9/api/v1/",
            "http://127.0.0.1:9",
        ] {
            assert_eq!(
                SessionsClient::new(url).unwrap().base_url(),
                "http://127.0.0.1:9"
            );
        }
    }

    #[test]
    fn plain_http_elsewhere_only_without_a_key_or_when_allowed() {
        assert!(SessionsClient::new("http://ciab.internal:8080").is_ok());
        let refused = SessionsClient::builder()
            .base_url("http://ciab.internal:8080")
            .api_key("k")
            .build()
            .unwrap_err();
        assert!(matches!(refused, Error::Config { .. }), "{refused}");
        assert!(
            SessionsClient::builder()
                .base_url("http://ciab.internal:8080")
                .api_key("k")
                .allow_insecure_http(true)
                .build()
                .is_ok()
        );
    }

    fn meta(status: u16) -> ResponseMeta {
        ResponseMeta {
            status: StatusCode::from_u16(status).unwrap(),
            content_type: None,
            request_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn errors_keep_the_code_and_plain_text() {
        let conflict = error_from_body(
            &meta(409),
            br#"{"error":{"code":"session_invalid_state","message":"session in invalid state: no pending permission request with id nope"}}"#,
        );
        assert!(
            matches!(conflict, Error::Conflict { ref message, .. } if message.contains("session_invalid_state"))
        );
        let bad = error_from_body(&meta(400), b"Invalid URL: Cannot parse `sid`");
        assert!(
            matches!(bad, Error::BadRequest { ref message, .. } if message.starts_with("Invalid URL"))
        );
        let invalid = error_from_body(&meta(422), b"Failed to deserialize the JSON body");
        assert!(matches!(invalid, Error::Validation { .. }));
        assert!(invalid.to_string().contains("Failed to deserialize"));
        let server = error_from_body(
            &meta(500),
            br#"{"error":{"code":"database_error","message":"database error: FOREIGN KEY constraint failed"}}"#,
        );
        assert!(matches!(server, Error::Server(ref s) if s.message.contains("database_error")));
        let route = error_from_body(&meta(404), b"");
        assert!(route.to_string().contains("root"), "{route}");
        let media = error_from_body(
            &meta(415),
            b"Expected request with `Content-Type: application/json`",
        );
        assert!(matches!(media, Error::UnexpectedResponse { .. }));
    }
}
