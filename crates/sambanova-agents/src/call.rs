//! One agent call: the client and per-call settings every agent handle carries, the exchange
//! through the transport, and the resume a plan keeps to continue its thread.

use std::sync::Arc;

use reqwest::Request;

use crate::outcome::{AgentKind, AgentOutcome, Expect, Plan, PlanToken, Resume, classify_exchange};
use crate::transport::{CallOptions, CallSettings};
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

    pub(crate) fn settings(&self) -> CallSettings {
        self.client.settings(&self.options)
    }

    /// Sends one agent request (built by the generated client, again per attempt) and
    /// classifies its answer.
    pub(crate) async fn agent(
        &self,
        operation: &'static str,
        build: impl FnMut(&sambanova_agents_raw::agents::Client) -> Result<Request, Error>,
    ) -> Result<AgentOutcome, Error> {
        let exchange = self
            .client
            .exchange(operation, build, &self.settings())
            .await?;
        classify_exchange(Expect::Json, exchange)
    }

    /// Lets a plan from `agent` resume its thread with these settings (in place: an outcome
    /// is large, and most are not plans). A coding plan keeps `code`, which its thread runs
    /// again on resume.
    pub(crate) fn attach(
        &self,
        outcome: &mut AgentOutcome,
        agent: AgentKind,
        code: Option<String>,
    ) {
        if let AgentOutcome::Interrupted(plan) = outcome {
            plan.agent = Some(agent);
            plan.code = code;
            self.attach_plan(plan);
        }
    }

    /// Lets `plan` resume its thread with these settings, as the agent it names.
    fn attach_plan(&self, plan: &mut Plan) {
        let call = self.clone();
        let resume: Resume = Arc::new(move |plan, reply| {
            let call = call.clone();
            let agent = plan.agent;
            let code = plan.code.clone().unwrap_or_default();
            let thread = plan.thread_id.clone();
            let file_ids = plan.file_ids.clone();
            Box::pin(async move {
                let client = &call.client;
                let options = call.options.clone();
                match agent {
                    Some(AgentKind::Main) => {
                        client
                            .main_agent()
                            .options(options)
                            .resume(&thread, &reply)
                            .await
                    }
                    Some(AgentKind::Coding) => {
                        client
                            .coding()
                            .options(options)
                            .resume(&thread, &code, &reply)
                            .await
                    }
                    Some(AgentKind::DeepResearch) => {
                        client
                            .deep_research()
                            .options(options)
                            .resume(&thread, &reply)
                            .await
                    }
                    Some(AgentKind::Financial) => {
                        client
                            .financial()
                            .options(options)
                            .resume(&thread, &reply)
                            .await
                    }
                    Some(AgentKind::DataScience) => {
                        client
                            .data_science()
                            .options(options)
                            .resume(&thread, &file_ids, &reply)
                            .await
                    }
                    None => Err(Error::invalid_input(
                        "this plan names no agent: resume its thread with the agent's resume()",
                    )),
                }
            })
        });
        plan.resume = Some(resume);
    }
}

impl Client {
    /// The plan a [`PlanToken`] keeps, tied to this client, so that it can be approved or
    /// revised from any process (the client's timeout, deadline, retry policy and key
    /// apply). Refuses a token this SDK cannot resume (another version, no thread id).
    ///
    /// ```no_run
    /// # async fn demo(client: sambanova_agents::Client, saved: &str) -> Result<(), sambanova_agents::Error> {
    /// use sambanova_agents::PlanToken;
    ///
    /// let token = PlanToken::from_json(saved)?;
    /// let next = client.resume(&token)?.revise("Focus on Europe").await?;
    /// # let _ = next;
    /// # Ok(()) }
    /// ```
    pub fn resume(&self, token: &PlanToken) -> Result<Plan, Error> {
        let mut plan = token.clone().checked()?.to_plan();
        Call::new(self.clone()).attach_plan(&mut plan);
        Ok(plan)
    }
}

/// The thread to resume, refused when empty.
pub(crate) fn resumable(thread_id: &str) -> Result<String, Error> {
    if thread_id.trim().is_empty() {
        return Err(Error::invalid_input(
            "thread_id is empty: resume needs the thread to continue",
        ));
    }
    Ok(thread_id.to_owned())
}

/// The request a generated builder made, or the error saying why it could not.
pub(crate) fn built<E: std::fmt::Debug>(
    result: Result<Request, sambanova_agents_raw::Error<E>>,
) -> Result<Request, Error> {
    result.map_err(|error| Error::invalid_input(format!("cannot build the request: {error}")))
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

            /// The time each attempt of a call made with this handle may take (default:
            /// the client's); see [`CallOptions::timeout`](crate::CallOptions::timeout).
            pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
                self.call.options = self.call.options.timeout(timeout);
                self
            }

            /// The deadline of each call made with this handle, retries and the waits
            /// between them included (default: the client's); see
            /// [`CallOptions::deadline`](crate::CallOptions::deadline).
            pub fn deadline(mut self, deadline: std::time::Duration) -> Self {
                self.call.options = self.call.options.deadline(deadline);
                self
            }

            /// The deadline of each call made with this handle, as an instant: the call
            /// ends by then, retries and waits included; one already passed fails as a
            /// timeout without sending. See
            /// [`CallOptions::deadline_at`](crate::CallOptions::deadline_at).
            pub fn deadline_at(mut self, instant: std::time::Instant) -> Self {
                self.call.options = self.call.options.deadline_at(instant);
                self
            }

            /// A header on each call made with this handle; see
            /// [`CallOptions::header`](crate::CallOptions::header).
            pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
                self.call.options = self.call.options.header(name, value);
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

#[cfg(test)]
mod tests {
    use crate::Client;

    /// An agent call's future is what a caller's task holds (and `tokio::spawn` allocates) for
    /// every call in flight, so it should hold only what the call still needs: the send loop
    /// keeps only the next request and the wait across a backoff, its attempt hands the
    /// request to reqwest before awaiting, and the attempt's timer is a pointer to one lent by
    /// the transport's pool. The bound leaves room for a compiler's layout to move, not for
    /// the answer or a second request to come back into the future.
    #[test]
    fn an_agent_calls_future_holds_no_request_or_answer_it_does_not_need() {
        let client = Client::builder()
            .api_key("00000000-0000-4000-8000-000000000000")
            .build()
            .expect("a valid key builds a client");
        let coding = client.coding();
        let call = coding.interactive("print(1)", "run it");
        assert!(
            std::mem::size_of_val(&call) <= 1_300,
            "the coding call's future is {} bytes",
            std::mem::size_of_val(&call)
        );
        let main = client.main_agent();
        let call = main.interactive("hello");
        assert!(
            std::mem::size_of_val(&call) <= 1_300,
            "the main agent call's future is {} bytes",
            std::mem::size_of_val(&call)
        );
    }
}
