//! One agent call through the generated client: from its result to an [`AgentOutcome`].

use sambanova_agents_raw::agents::types as raw;
use sambanova_agents_raw::{Error as RawError, ResponseValue};

use crate::client::CallSlots;
use crate::outcome::{
    AgentOutcome, Expect, WireReply, classify_bytes, decide, is_json_content_type, unexpected,
};
use crate::thread::{InteractiveAgent, Resumer};
use crate::transport::{CallOptions, Effective, read_body, transport_error, with_request_id};
use crate::{Client, Error};

/// The client and per-call settings every agent handle carries.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub client: Client,
    pub options: CallOptions,
}

impl Call {
    pub(crate) fn new(client: Client) -> Self {
        Call {
            client,
            options: CallOptions::default(),
        }
    }

    pub(crate) fn effective(&self) -> Effective {
        self.client.effective(&self.options)
    }

    /// Lets a plan from `agent` resume its thread with these settings.
    pub(crate) fn attach(&self, outcome: AgentOutcome, agent: InteractiveAgent) -> AgentOutcome {
        match outcome {
            AgentOutcome::Interrupted(plan) => {
                AgentOutcome::Interrupted(plan.with_resumer(Resumer {
                    client: self.client.clone(),
                    options: self.options.clone(),
                    agent,
                }))
            }
            other => other,
        }
    }
}

/// Turns what the generated client returned into the SDK's outcome, with the status and
/// headers the executor kept (the generated error drops them when a body does not parse).
pub(crate) async fn settle<T: Into<WireReply>>(
    result: Result<ResponseValue<T>, RawError<raw::AgentErrorResponse>>,
    slots: &CallSlots,
    effective: &Effective,
) -> Result<AgentOutcome, Error> {
    if let Some(failure) = slots.take_failure() {
        return Err(failure);
    }
    let Some(meta) = slots.take_meta() else {
        return Err(match result {
            Err(RawError::InvalidRequest(message) | RawError::Custom(message)) => {
                Error::invalid_input(message)
            }
            Err(RawError::CommunicationError(error)) => transport_error(error, effective.timeout),
            _ => Error::invalid_input("the request was not sent"),
        });
    };
    let limit = effective.max_body.unwrap_or(usize::MAX);
    match result {
        Ok(value) => {
            if !is_json_content_type(meta.content_type.as_deref()) {
                return Err(unexpected(&meta, b"", "the content type is not JSON"));
            }
            decide(&meta, value.into_inner().into(), b"")
        }
        Err(RawError::ErrorResponse(value)) => decide(&meta, value.into_inner().into(), b""),
        Err(RawError::InvalidResponsePayload(bytes, _)) => {
            classify_bytes(Expect::Json, &meta, &bytes)
        }
        Err(RawError::UnexpectedResponse(response)) => {
            let body = read_body(
                response,
                limit,
                effective.timeout,
                meta.request_id.as_deref(),
            )
            .await?;
            classify_bytes(Expect::Json, &meta, &body)
        }
        Err(
            RawError::CommunicationError(error)
            | RawError::ResponseBodyError(error)
            | RawError::InvalidUpgrade(error),
        ) => Err(with_request_id(
            transport_error(error, effective.timeout),
            meta.request_id.as_deref(),
        )),
        Err(RawError::InvalidRequest(message) | RawError::Custom(message)) => {
            Err(Error::invalid_input(message))
        }
    }
}

/// Per-call settings for an agent handle.
macro_rules! call_options {
    ($agent:ident) => {
        impl $agent {
            pub(crate) fn new(client: $crate::Client) -> Self {
                $agent {
                    call: $crate::call::Call::new(client),
                }
            }

            /// Replaces this handle's per-call settings.
            pub fn options(mut self, options: $crate::CallOptions) -> Self {
                self.call.options = options;
                self
            }

            /// The total time for calls made with this handle (default: the client's).
            pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.call.options = self.call.options.timeout(timeout);
                self
            }

            /// The retry policy for calls made with this handle (default: the client's).
            pub fn retry(mut self, policy: $crate::RetryPolicy) -> Self {
                self.call.options = self.call.options.retry(policy);
                self
            }
        }
    };
}
pub(crate) use call_options;
