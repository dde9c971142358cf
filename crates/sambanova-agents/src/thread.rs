//! Resuming a paused run: the plan's `approve()` / `revise()` send the thread id and
//! `resume=true` for the caller.

use crate::outcome::{AgentOutcome, Plan};
use crate::transport::CallOptions;
use crate::{Client, Error};

/// Which interactive agent a plan came from, and what it needs to be resumed.
#[derive(Clone)]
pub(crate) enum InteractiveAgent {
    Main,
    Coding { code: String },
    DeepResearch,
    Financial,
    DataScience,
}

/// What a [`Plan`] needs to continue its thread.
#[derive(Clone)]
pub(crate) struct Resumer {
    pub client: Client,
    pub options: CallOptions,
    pub agent: InteractiveAgent,
}

impl Resumer {
    async fn resume(&self, plan: &Plan, reply: &str) -> Result<AgentOutcome, Error> {
        let client = &self.client;
        let thread = plan.thread_id.as_str();
        match &self.agent {
            InteractiveAgent::Main => {
                client
                    .main_agent()
                    .options(self.options.clone())
                    .resume(thread, reply)
                    .await
            }
            InteractiveAgent::Coding { code } => {
                client
                    .coding()
                    .options(self.options.clone())
                    .resume(thread, code, reply)
                    .await
            }
            InteractiveAgent::DeepResearch => {
                client
                    .deep_research()
                    .options(self.options.clone())
                    .resume(thread, reply)
                    .await
            }
            InteractiveAgent::Financial => {
                client
                    .financial()
                    .options(self.options.clone())
                    .resume(thread, reply)
                    .await
            }
            InteractiveAgent::DataScience => {
                client
                    .data_science()
                    .options(self.options.clone())
                    .resume(thread, &plan.file_ids, reply)
                    .await
            }
        }
    }
}

impl Plan {
    /// Approves the plan: sends exactly `approve` on its thread, and returns what the agent
    /// did next (the report, or another plan).
    pub async fn approve(&self) -> Result<AgentOutcome, Error> {
        self.reply("approve").await
    }

    /// Sends feedback on the plan; the agent answers with a revised plan (deep research, data
    /// science) or goes on (see each agent's `resume`).
    pub async fn revise(&self, feedback: &str) -> Result<AgentOutcome, Error> {
        if feedback.trim().is_empty() {
            return Err(Error::invalid_input(
                "feedback is empty: say what to change, or approve()",
            ));
        }
        self.reply(feedback).await
    }

    /// Sends any reply on the plan's thread, as is.
    pub async fn reply(&self, text: &str) -> Result<AgentOutcome, Error> {
        match &self.resumer {
            Some(resumer) => resumer.resume(self, text).await,
            None => Err(Error::invalid_input(
                "this plan is not tied to a client: resume its thread with the agent's resume()",
            )),
        }
    }

    pub(crate) fn with_resumer(mut self, resumer: Resumer) -> Self {
        self.resumer = Some(resumer);
        self
    }
}
