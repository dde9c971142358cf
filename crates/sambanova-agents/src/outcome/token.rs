//! A plan kept across processes: what resuming its thread needs, as a small serialisable
//! value.

use serde::{Deserialize, Serialize};

use super::types::{AgentKind, Plan};
use crate::Error;
use crate::kept::{self, VERSION};

/// A [`Plan`] as a value to keep: save it (JSON, a database row, a chat bot's state), and
/// resume its thread later from another process with
/// [`Client::resume`](crate::Client::resume), then approve or revise it.
///
/// It holds the agent, the thread id, the plan's text, the files a data science thread works
/// on and the code of a coding thread; no key, no client settings (the resuming client's
/// apply). Its JSON form is versioned (`"version": 1`); a token of another version is refused
/// with [`Error::InvalidInput`] rather than misread.
///
/// ```
/// use sambanova_agents::{AgentKind, PlanToken};
///
/// let saved = r#"{"version":1,"agent":"deep_research","thread_id":"t-1","plan":"1. Market size"}"#;
/// let token = PlanToken::from_json(saved)?;
/// assert_eq!((token.agent(), token.thread_id()), (AgentKind::DeepResearch, "t-1"));
/// assert_eq!(PlanToken::from_json(&token.to_json())?, token);
/// # Ok::<(), sambanova_agents::Error>(())
/// ```
///
/// Two processes, one stopping at the plan, one approving it:
///
/// ```no_run
/// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
/// use sambanova_agents::PlanToken;
///
/// // The first: plan, save the token, exit.
/// let plan = client.deep_research().interactive("Solid-state batteries").await?.into_plan()?;
/// let token = plan.token().expect("a plan from an agent call");
/// std::fs::write("plan.json", token.to_json()).expect("saved");
///
/// // The second, later, anywhere with a key: read it back and approve.
/// let token = PlanToken::from_json(&std::fs::read_to_string("plan.json").expect("read"))?;
/// let report = client.resume(&token)?.approve().await?.into_completion()?;
/// println!("{}", report.text());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanToken {
    version: u32,
    agent: AgentKind,
    thread_id: String,
    plan: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    file_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<String>,
}

impl PlanToken {
    /// The agent the plan came from.
    pub fn agent(&self) -> AgentKind {
        self.agent
    }

    /// The thread the plan waits on.
    pub fn thread_id(&self) -> &str {
        &self.thread_id
    }

    /// The plan's text, as the server sent it.
    pub fn plan(&self) -> &str {
        &self.plan
    }

    /// The token as one line of JSON.
    pub fn to_json(&self) -> String {
        kept::to_json(self)
    }

    /// A token read back from [`Self::to_json`] (or any serde form of it), checked: its
    /// version, a thread id, and the code a coding thread needs.
    pub fn from_json(json: &str) -> Result<PlanToken, Error> {
        kept::from_json::<PlanToken>(json, "a plan token")?.checked()
    }

    /// Refuses a token this SDK cannot resume.
    pub(crate) fn checked(self) -> Result<PlanToken, Error> {
        kept::check_version(self.version, "a plan token")?;
        if self.thread_id.trim().is_empty() {
            return Err(Error::invalid_input("the plan token has no thread id"));
        }
        if self.agent == AgentKind::Coding && self.code.is_none() {
            return Err(Error::invalid_input(
                "the coding plan token has no code: the coding agent resumes with it",
            ));
        }
        Ok(self)
    }

    /// The plan again, not yet tied to a client.
    pub(crate) fn to_plan(&self) -> Plan {
        let mut plan = Plan::detached(self.plan.clone(), self.thread_id.clone());
        plan.file_ids.clone_from(&self.file_ids);
        plan.agent = Some(self.agent);
        plan.code.clone_from(&self.code);
        plan
    }
}

impl Plan {
    /// The plan as a [`PlanToken`], to resume its thread from another process; `None` for a
    /// [detached](Self::detached) plan, which knows no agent.
    pub fn token(&self) -> Option<PlanToken> {
        Some(PlanToken {
            version: VERSION,
            agent: self.agent?,
            thread_id: self.thread_id.clone(),
            plan: self.text.clone(),
            file_ids: self.file_ids.clone(),
            code: self.code.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_of_another_version_or_without_what_resuming_needs_is_refused() {
        for (json, why) in [
            (
                r#"{"version":2,"agent":"main","thread_id":"t","plan":"p"}"#,
                "version 2",
            ),
            (
                r#"{"version":1,"agent":"main","thread_id":" ","plan":"p"}"#,
                "no thread id",
            ),
            (
                r#"{"version":1,"agent":"coding","thread_id":"t","plan":"p"}"#,
                "no code",
            ),
            (
                r#"{"version":1,"agent":"weather","thread_id":"t","plan":"p"}"#,
                "not a plan token",
            ),
            ("[]", "not a plan token"),
        ] {
            let error = PlanToken::from_json(json).expect_err(json);
            assert!(
                matches!(error, Error::InvalidInput { .. }) && error.to_string().contains(why),
                "{json}: {error}"
            );
        }
    }

    #[test]
    fn a_token_keeps_what_the_thread_needs_and_no_more() {
        let mut plan = Plan::detached("Hypothesis", "t-9");
        assert!(plan.token().is_none(), "a detached plan knows no agent");
        plan.agent = Some(AgentKind::DataScience);
        plan.file_ids = vec!["f-1".into()];
        plan.meta.request_id = Some("r-1".into());
        let token = plan.token().unwrap();
        assert_eq!(
            token.to_json(),
            r#"{"version":1,"agent":"data_science","thread_id":"t-9","plan":"Hypothesis","file_ids":["f-1"]}"#
        );
        let again = PlanToken::from_json(&token.to_json()).unwrap().to_plan();
        assert_eq!(
            (again.thread_id(), again.file_ids(), again.text()),
            ("t-9", &["f-1".to_owned()][..], "Hypothesis")
        );
    }
}
