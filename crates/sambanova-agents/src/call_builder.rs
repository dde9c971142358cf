//! The per-call builder of the Sessions API and the agent stream: a call's options, set
//! after the call is named (`sessions.get_session(id).timeout(…).await`), and its answer
//! with or without what came back with it.

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use futures_util::TryFutureExt;
use futures_util::future::{BoxFuture, MapOk};

use crate::transport::{CallOptions, Response};
use crate::{Error, RetryPolicy};

/// The call itself, made with the options set on its builder.
type Call<'a, T> =
    Box<dyn FnOnce(CallOptions) -> BoxFuture<'a, Result<Response<T>, Error>> + Send + 'a>;

/// One call of the Sessions API or the agent stream, with the options it may set: await it
/// for the result, or call [`Self::with_response`] for the result and what came back with it
/// ([`Response`]). Nothing is sent, and nothing is checked, before it is awaited: an empty id
/// fails then, as [`Error::InvalidInput`].
///
/// The options (see [`CallOptions`]) apply to every request the call makes; a deadline
/// already passed fails the call with [`Error::Timeout`] before anything is sent.
///
/// ```no_run
/// # async fn demo(sessions: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
/// use std::time::{Duration, Instant};
/// use sambanova_agents::RetryPolicy;
///
/// let session = sessions.create_session("5a4d0000-0000-4000-8000-00000000d3e0").await?;
/// let details = sessions
///     .get_session(&session.id)
///     .timeout(Duration::from_secs(5))
///     .deadline_at(Instant::now() + Duration::from_secs(20))
///     .retry(RetryPolicy::none())
///     .header("x-team", "research")
///     .await?;
/// # let _ = details;
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing unless awaited"]
pub struct CallBuilder<'a, T> {
    options: CallOptions,
    call: Call<'a, T>,
}

/// A [`CallBuilder`] that answers its result with what came back with it: a [`Response`].
///
/// ```no_run
/// # async fn demo(sessions: sambanova_agents::sessions::SessionsClient) -> Result<(), sambanova_agents::Error> {
/// let sandboxes = sessions.list_sandboxes().with_response().await?;
/// println!("request {}", sandboxes.meta().request_id().unwrap_or("-"));
/// let (sandboxes, meta) = sandboxes.into_parts();
/// # let _ = (sandboxes, meta);
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing unless awaited"]
pub struct WithResponse<'a, T> {
    call: CallBuilder<'a, T>,
}

impl<'a, T: 'a> CallBuilder<'a, T> {
    /// A call that `call` makes with the options set on the builder.
    pub(crate) fn new<F, Fut>(call: F) -> Self
    where
        F: FnOnce(CallOptions) -> Fut + Send + 'a,
        Fut: Future<Output = Result<Response<T>, Error>> + Send + 'a,
    {
        CallBuilder {
            options: CallOptions::default(),
            call: Box::new(move |options| Box::pin(call(options))),
        }
    }

    /// Answers the result with what came back with it ([`Response`]).
    pub fn with_response(self) -> WithResponse<'a, T> {
        WithResponse { call: self }
    }

    fn send(self) -> BoxFuture<'a, Result<Response<T>, Error>> {
        (self.call)(self.options)
    }
}

impl<T> std::fmt::Debug for CallBuilder<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallBuilder")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<T> std::fmt::Debug for WithResponse<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithResponse")
            .field("options", &self.call.options)
            .finish_non_exhaustive()
    }
}

impl<'a, T: 'a> IntoFuture for CallBuilder<'a, T> {
    type Output = Result<T, Error>;
    type IntoFuture = MapOk<BoxFuture<'a, Result<Response<T>, Error>>, fn(Response<T>) -> T>;

    fn into_future(self) -> Self::IntoFuture {
        self.send()
            .map_ok(Response::into_inner as fn(Response<T>) -> T)
    }
}

impl<'a, T: 'a> IntoFuture for WithResponse<'a, T> {
    type Output = Result<Response<T>, Error>;
    type IntoFuture = BoxFuture<'a, Result<Response<T>, Error>>;

    fn into_future(self) -> Self::IntoFuture {
        self.call.send()
    }
}

/// The option setters of both builders, each delegating to [`CallOptions`]' own.
macro_rules! setters {
    ($builder:ident, $($options:ident).+) => {
        impl<'a, T: 'a> $builder<'a, T> {
            /// Replaces this call's options.
            pub fn options(mut self, options: CallOptions) -> Self {
                self.$($options).+ = options;
                self
            }

            /// The time each attempt of this call may take, instead of the client's; see
            /// [`CallOptions::timeout`].
            pub fn timeout(mut self, timeout: Duration) -> Self {
                self.$($options).+ = std::mem::take(&mut self.$($options).+).timeout(timeout);
                self
            }

            /// The instant this call ends by, every request, retry and wait included; one
            /// already passed fails it as [`Error::Timeout`] without sending. See
            /// [`CallOptions::deadline_at`].
            pub fn deadline_at(mut self, instant: Instant) -> Self {
                self.$($options).+ = std::mem::take(&mut self.$($options).+).deadline_at(instant);
                self
            }

            /// The retry policy of this call, instead of the client's; see
            /// [`CallOptions::retry`].
            pub fn retry(mut self, policy: RetryPolicy) -> Self {
                self.$($options).+ = std::mem::take(&mut self.$($options).+).retry(policy);
                self
            }

            /// A header on every request of this call; see [`CallOptions::header`].
            pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
                self.$($options).+ = std::mem::take(&mut self.$($options).+).header(name, value);
                self
            }
        }
    };
}

setters!(CallBuilder, options);
setters!(WithResponse, call.options);

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// A call's future can move to another task (`tokio::spawn`), in both forms, and so can
    /// the builder.
    #[test]
    fn a_calls_futures_are_send() {
        use crate::agent_stream::{AgentRequest, AgentStreamClient, ChatRequest};
        use crate::sessions::{PendingRequest, SandboxSpec, SessionsClient};

        let sessions = SessionsClient::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .expect("a valid URL");
        assert_send(&sessions.list_sandboxes());
        assert_send(&sessions.get_session("s").into_future());
        assert_send(&sessions.get_session("s").with_response().into_future());
        assert_send(&sessions.send_and_stream("s", "hi").into_future());
        assert_send(&sessions.attach("s").with_response().into_future());
        let spec = SandboxSpec::new("claude-code");
        assert_send(&sessions.create_sandbox_and_wait(&spec).into_future());
        let event = crate::sse::Event::new(
            "permission_request",
            r#"{"event_type":"permission_request","data":{"request_id":"r-1","tool_name":"Bash"}}"#,
            "e1",
        );
        let pending =
            PendingRequest::from_event("s", &crate::sessions::SessionEvent::from_sse(&event))
                .expect("a permission request");
        let resumed = sessions.resume(&pending).expect("a valid request");
        assert_send(&resumed.approve().into_future());

        let agents = AgentStreamClient::builder()
            .base_url("http://127.0.0.1:9")
            .access_token("t")
            .build()
            .expect("a valid client");
        let request = AgentRequest::new("hi");
        assert_send(&agents.stream(&request).into_future());
        let chat = ChatRequest::new("hi");
        assert_send(&agents.chat_stream(&chat).with_response().into_future());
    }

    /// Nothing is checked before the call is awaited: an empty id fails then.
    #[tokio::test]
    async fn an_empty_id_fails_when_the_call_is_awaited() {
        let sessions = crate::sessions::SessionsClient::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .expect("a valid URL");
        let call = sessions.get_session(" ").timeout(Duration::from_secs(1));
        let error = call.await.unwrap_err();
        assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    }
}
