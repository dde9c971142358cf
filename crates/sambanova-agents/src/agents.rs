//! The five agents, each plain (one call, one answer) and interactive (a thread that can
//! pause on a plan). Get a handle from the [`Client`](crate::Client).
//!
//! What `resume` really does differs per agent (read from the server's code, see
//! `docs/agents-server.md`): deep research and data science pause on a plan and act
//! on the reply; the main agent resumes its thread; coding and financial analysis keep no
//! memory between calls, so a resume is a fresh run that only echoes the thread id.

use sambanova_agents_raw::agents::types as raw;

use crate::AgentKind;
use crate::Error;
use crate::call::{Call, built, call_options, resumable};
use crate::outcome::AgentOutcome;

/// The main agent: answers with its own tools and hands work to the other agents (it
/// approves deep research plans by itself).
///
/// ```no_run
/// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
/// let answer = client.main_agent().run("Who won the 2022 World Cup?").await?.into_completion()?;
/// println!("{}", answer.text());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MainAgent {
    call: Call,
}
call_options!(MainAgent);

impl MainAgent {
    /// `POST /agent/mainagent`: one prompt, one answer.
    pub async fn run(&self, prompt: &str) -> Result<AgentOutcome, Error> {
        let body = raw::MainAgentRequest {
            prompt: prompt.to_owned(),
        };
        self.call
            .agent("mainagent", |raw| built(raw.mainagent_request(&body)))
            .await
    }

    /// `POST /agent/mainagent/interactive`: starts a thread (a fresh one: the server ignores
    /// a thread id unless resuming).
    pub async fn interactive(&self, prompt: &str) -> Result<AgentOutcome, Error> {
        self.send(None, prompt).await
    }

    /// Continues `thread_id` with `prompt` (`resume=true`). The server resumes the thread's
    /// pending interrupt with the prompt; on a thread whose run has finished it does not start
    /// a new turn.
    pub async fn resume(&self, thread_id: &str, prompt: &str) -> Result<AgentOutcome, Error> {
        self.send(Some(resumable(thread_id)?), prompt).await
    }

    async fn send(&self, thread_id: Option<String>, prompt: &str) -> Result<AgentOutcome, Error> {
        let body = raw::MainAgentInteractiveRequest {
            prompt: prompt.to_owned(),
            resume: thread_id.is_some(),
            thread_id,
        };
        let mut outcome = self
            .call
            .agent("mainagent_interactive", |raw| {
                built(raw.mainagent_interactive_request(&body))
            })
            .await?;
        self.call.attach(&mut outcome, AgentKind::Main, None);
        Ok(outcome)
    }
}

/// The coding agent: runs `code` in a sandbox (with up to three LLM-assisted fixes) and
/// answers with the step log; artifacts are the files the code wrote. It answers
/// `completed` even when the code fails: read the log.
///
/// ```no_run
/// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
/// let run = client.coding().run("print(sum(range(10)))", "Run this").await?.into_completion()?;
/// println!("{}\nartifacts: {:?}", run.text(), run.artifacts);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Coding {
    call: Call,
}
call_options!(Coding);

impl Coding {
    /// `POST /agent/coding`. The server requires `prompt` but does not use it.
    pub async fn run(&self, code: &str, prompt: &str) -> Result<AgentOutcome, Error> {
        let body = raw::CodingAgentRequest {
            code: code.to_owned(),
            prompt: prompt.to_owned(),
        };
        self.call
            .agent("coding", |raw| built(raw.coding_request(&body)))
            .await
    }

    /// `POST /agent/coding/interactive`, new thread.
    pub async fn interactive(&self, code: &str, prompt: &str) -> Result<AgentOutcome, Error> {
        self.send(None, code, prompt).await
    }

    /// `resume=true` on `thread_id`. The coding agent keeps no memory between calls: this
    /// runs `code` afresh and echoes the thread id.
    pub async fn resume(
        &self,
        thread_id: &str,
        code: &str,
        prompt: &str,
    ) -> Result<AgentOutcome, Error> {
        self.send(Some(resumable(thread_id)?), code, prompt).await
    }

    async fn send(
        &self,
        thread_id: Option<String>,
        code: &str,
        prompt: &str,
    ) -> Result<AgentOutcome, Error> {
        let body = raw::CodingAgentInteractiveRequest {
            code: code.to_owned(),
            prompt: prompt.to_owned(),
            resume: thread_id.is_some(),
            thread_id,
        };
        let mut outcome = self
            .call
            .agent("coding_interactive", |raw| {
                built(raw.coding_interactive_request(&body))
            })
            .await?;
        // The request is sent: a plan keeps its code to run again on resume.
        self.call
            .attach(&mut outcome, AgentKind::Coding, Some(body.code));
        Ok(outcome)
    }
}

/// The deep research agent: plans sections, researches them on the web, writes a markdown
/// report.
///
/// ```no_run
/// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
/// use sambanova_agents::AgentOutcome;
///
/// let mut outcome = client.deep_research().interactive("The AI accelerator market").await?;
/// while let AgentOutcome::Interrupted(plan) = outcome {
///     println!("{}", plan.plain_text());
///     outcome = plan.approve().await?;
/// }
/// println!("{}", outcome.into_completion()?.text());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DeepResearch {
    call: Call,
}
call_options!(DeepResearch);

impl DeepResearch {
    /// `POST /agent/deepresearch`: plans, approves its own plan and researches, in one
    /// (long) call.
    pub async fn run(&self, prompt: &str) -> Result<AgentOutcome, Error> {
        let body = raw::DeepResearchRequest {
            prompt: prompt.to_owned(),
        };
        self.call
            .agent("deepresearch", |raw| built(raw.deepresearch_request(&body)))
            .await
    }

    /// `POST /agent/deepresearch/interactive`: answers with a plan to approve
    /// ([`AgentOutcome::Interrupted`]).
    pub async fn interactive(&self, prompt: &str) -> Result<AgentOutcome, Error> {
        self.send(None, prompt).await
    }

    /// Replies to the plan on `thread_id`: `approve` or `true` (any case, exactly, no spaces)
    /// runs the research and answers with the report; anything else is feedback and answers
    /// with a revised plan.
    pub async fn resume(&self, thread_id: &str, reply: &str) -> Result<AgentOutcome, Error> {
        self.send(Some(resumable(thread_id)?), reply).await
    }

    async fn send(&self, thread_id: Option<String>, prompt: &str) -> Result<AgentOutcome, Error> {
        let body = raw::DeepResearchInteractiveRequest {
            prompt: prompt.to_owned(),
            resume: thread_id.is_some(),
            thread_id,
        };
        let mut outcome = self
            .call
            .agent("deepresearch_interactive", |raw| {
                built(raw.deepresearch_interactive_request(&body))
            })
            .await?;
        self.call
            .attach(&mut outcome, AgentKind::DeepResearch, None);
        Ok(outcome)
    }
}

/// The financial analysis agent: its result is a JSON document in a string
/// ([`Completion::json`](crate::Completion::json)), with no artifacts.
///
/// ```no_run
/// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
/// let analysis = client.financial().run("Analyse NVDA").await?.into_completion()?;
/// println!("{:#}", analysis.json()?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Financial {
    call: Call,
}
call_options!(Financial);

impl Financial {
    /// `POST /agent/financialanalysis`.
    pub async fn run(&self, prompt: &str) -> Result<AgentOutcome, Error> {
        let body = raw::FinancialAnalysisRequest {
            prompt: prompt.to_owned(),
        };
        self.call
            .agent("financialanalysis", |raw| {
                built(raw.financialanalysis_request(&body))
            })
            .await
    }

    /// `POST /agent/financialanalysis/interactive`, new thread.
    pub async fn interactive(&self, prompt: &str) -> Result<AgentOutcome, Error> {
        self.send(None, prompt).await
    }

    /// `resume=true` on `thread_id`. The financial agent keeps no memory between calls: this
    /// is a fresh analysis of `prompt` that echoes the thread id.
    pub async fn resume(&self, thread_id: &str, prompt: &str) -> Result<AgentOutcome, Error> {
        self.send(Some(resumable(thread_id)?), prompt).await
    }

    async fn send(&self, thread_id: Option<String>, prompt: &str) -> Result<AgentOutcome, Error> {
        let body = raw::FinancialAnalysisInteractiveRequest {
            prompt: prompt.to_owned(),
            resume: thread_id.is_some(),
            thread_id,
        };
        let mut outcome = self
            .call
            .agent("financialanalysis_interactive", |raw| {
                built(raw.financialanalysis_interactive_request(&body))
            })
            .await?;
        self.call.attach(&mut outcome, AgentKind::Financial, None);
        Ok(outcome)
    }
}
