//! Answering what a followed session turn asks: tool permission requests and questions.
//! At a terminal the user is asked; in scripts `--approve-tools`/`--deny-tools` decide, and
//! without them the command stops (exit 7) rather than leave the turn waiting unseen. The
//! dialogue is kept apart from I/O so tests drive it with plain text.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::time::Duration;

use sambanova_agents::Error as SdkError;
use sambanova_agents::sessions::{EventKind, SessionEvent, SessionState, SessionsClient};

use crate::cli::ToolAnswerArgs;
use crate::error::CliError;
use crate::output::Output;
use crate::prompt::{self, Numbering, Picker};
use crate::session_view::{Question, questions};
use crate::shell::shell_word;
use crate::terminal_text::one_line;

/// Who answers the turn's permission requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// The user, at the terminal.
    Ask,
    /// `--approve-tools`.
    ApproveAll,
    /// `--deny-tools`.
    DenyAll,
    /// Nobody: stdin is not a terminal and no flag was given.
    Nobody,
}

impl Policy {
    /// Who answers a `send`: nobody without `--follow` (`None`), where the flags are a usage
    /// error.
    pub fn for_follow(args: ToolAnswerArgs, follow: bool) -> Result<Option<Policy>, CliError> {
        Policy::when(args, follow, "--follow")
    }

    /// Who answers a `stream`: nobody without `--turn` (`None`), where the flags are a usage
    /// error.
    pub fn for_stream(args: ToolAnswerArgs, turn: bool) -> Result<Option<Policy>, CliError> {
        Policy::when(args, turn, "--turn")
    }

    /// Who answers an `attach`: it always follows the turn.
    pub fn for_attach(args: ToolAnswerArgs) -> Policy {
        Policy::from_args(args)
    }

    fn when(args: ToolAnswerArgs, following: bool, flag: &str) -> Result<Option<Policy>, CliError> {
        if following {
            return Ok(Some(Policy::from_args(args)));
        }
        if args.approve_tools || args.deny_tools {
            return Err(CliError::Usage {
                message: format!(
                    "--approve-tools and --deny-tools answer a followed turn: add {flag}"
                ),
            });
        }
        Ok(None)
    }

    /// The policy for these flags, asking only when stdin is a terminal.
    fn from_args(args: ToolAnswerArgs) -> Policy {
        if args.approve_tools {
            Policy::ApproveAll
        } else if args.deny_tools {
            Policy::DenyAll
        } else if std::io::stdin().is_terminal() {
            Policy::Ask
        } else {
            Policy::Nobody
        }
    }
}

/// One answer typed to "allow this tool?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Run it this time.
    Allow,
    /// Do not run it.
    Deny,
    /// Run it, and every later call of the same tool in this turn.
    AlwaysAllow,
}

/// Reads a typed choice: `y`/`yes`/`allow`, `n`/`no`/`deny`, `a`/`always` (any case).
pub fn parse_choice(line: &str) -> Option<Choice> {
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "allow" => Some(Choice::Allow),
        "n" | "no" | "deny" => Some(Choice::Deny),
        "a" | "always" => Some(Choice::AlwaysAllow),
        _ => None,
    }
}

/// The answer meant by a typed line: an option's number picks that option's label.
pub fn answer_for(line: &str, question: &Question) -> String {
    Picker::labelled(&question.options).pick(line.trim())
}

/// How many times a replayed request is checked for still waiting, and how far apart: the
/// real server marks the session waiting just after it sends the request.
const PENDING_CHECKS: u32 = 5;
const PENDING_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// Whether the stream may show requests that were answered before it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requests {
    /// Every request is this turn's, seen live (`send --follow`).
    Live,
    /// The stream starts with the server's replay (`stream --turn`): a request is answered
    /// only while the session still waits for input.
    MaybeReplayed,
}

/// Answers a followed turn's requests through the SDK.
pub struct Answers {
    client: SessionsClient,
    session_id: String,
    policy: Policy,
    requests: Requests,
    output: Output,
    /// Tools the user allowed for the rest of the turn.
    always_allowed: HashSet<String>,
}

impl Answers {
    /// Answers for this session's turn.
    pub fn new(
        client: SessionsClient,
        session_id: &str,
        policy: Policy,
        requests: Requests,
        output: Output,
    ) -> Self {
        Answers {
            client,
            session_id: session_id.to_owned(),
            policy,
            requests,
            output,
            always_allowed: HashSet::new(),
        }
    }

    /// Answers the event if it asks something; other events pass.
    pub async fn answer(&mut self, event: &SessionEvent) -> Result<(), CliError> {
        let asks = matches!(
            event.kind,
            EventKind::PermissionRequest(_) | EventKind::UserInputRequest(_)
        );
        if asks && self.requests == Requests::MaybeReplayed && !self.session_waits().await? {
            // Answered before this stream saw it (or the server gave up waiting).
            return Ok(());
        }
        match &event.kind {
            EventKind::PermissionRequest(request) if request.request_id.trim().is_empty() => {
                self.output
                    .note("the permission request has no id to answer; the server decides alone");
                Ok(())
            }
            EventKind::PermissionRequest(request) => {
                let tool = one_line(request.tool_name.as_deref().unwrap_or("a tool"));
                let approved = self.decide(&tool, &request.request_id).await?;
                self.send(
                    &request.request_id,
                    self.client.respond_to_permission(
                        &self.session_id,
                        &request.request_id,
                        approved,
                    ),
                )
                .await
            }
            EventKind::UserInputRequest(request) if request.request_id.trim().is_empty() => {
                // The agent asked without an id to answer: the server goes on by itself.
                self.output
                    .note("the question has no request id to answer; the agent goes on");
                Ok(())
            }
            EventKind::UserInputRequest(request) => {
                let request_id = request.request_id.as_str();
                if self.policy != Policy::Ask {
                    return Err(CliError::AnswerNeeded {
                        message: format!(
                            "the agent asks a question (request {}) and stdin is not a terminal; answer it with `sambanova-agents sessions answer {} {} TEXT`",
                            one_line(request_id),
                            shell_word(&self.session_id),
                            shell_word(request_id)
                        ),
                    });
                }
                let asked = request
                    .questions
                    .as_ref()
                    .map(questions)
                    .unwrap_or_default();
                if self.output.is_json() {
                    // The question is in the JSON on stdout; the person answering reads stderr.
                    for question in &asked {
                        self.output
                            .note(&format!("[question] {}", one_line(&question.text)));
                        for option in Picker::labelled(&question.options).lines(Numbering::Dot) {
                            self.output.note(&option);
                        }
                    }
                }
                let answer = ask_answers(&asked).await?;
                self.send(
                    request_id,
                    self.client
                        .respond_to_user_input(&self.session_id, request_id, &answer),
                )
                .await
            }
            _ => Ok(()),
        }
    }

    /// Whether the session waits for input now.
    async fn session_waits(&self) -> Result<bool, CliError> {
        for check in 1..=PENDING_CHECKS {
            let state = self
                .client
                .get_session(&self.session_id)
                .await?
                .session
                .state;
            match state {
                SessionState::WaitingForInput => return Ok(true),
                SessionState::Processing if check < PENDING_CHECKS => {
                    tokio::time::sleep(PENDING_CHECK_INTERVAL).await;
                }
                _ => return Ok(false),
            }
        }
        Ok(false)
    }

    async fn decide(&mut self, tool: &str, request_id: &str) -> Result<bool, CliError> {
        match self.policy {
            Policy::ApproveAll => {
                self.output
                    .note(&format!("allowing {tool} (--approve-tools)"));
                Ok(true)
            }
            Policy::DenyAll => {
                self.output.note(&format!("denying {tool} (--deny-tools)"));
                Ok(false)
            }
            Policy::Nobody => Err(CliError::AnswerNeeded {
                message: format!(
                    "{tool} waits for permission (request {}) and stdin is not a terminal; pass --approve-tools or --deny-tools, or answer with `sambanova-agents sessions respond {} {} allow|deny`",
                    one_line(request_id),
                    shell_word(&self.session_id),
                    shell_word(request_id)
                ),
            }),
            Policy::Ask if self.always_allowed.contains(tool) => {
                self.output
                    .note(&format!("allowing {tool} (always, for this turn)"));
                Ok(true)
            }
            Policy::Ask => {
                let asking = format!("allow {tool}? [y]es, [n]o, [a]lways this turn: ");
                loop {
                    let Some(line) = prompt::line(asking.clone()).await? else {
                        return Err(CliError::AnswerNeeded {
                            message: format!(
                                "input ended before {tool} was allowed or denied (request {request_id})"
                            ),
                        });
                    };
                    match parse_choice(&line) {
                        Some(Choice::Allow) => return Ok(true),
                        Some(Choice::Deny) => return Ok(false),
                        Some(Choice::AlwaysAllow) => {
                            self.always_allowed.insert(tool.to_owned());
                            return Ok(true);
                        }
                        None => continue,
                    }
                }
            }
        }
    }

    /// Sends an answer; one that comes too late (answered elsewhere, or the server gave up
    /// waiting) is said, and the turn goes on.
    async fn send(
        &self,
        request_id: &str,
        call: impl IntoFuture<Output = Result<(), SdkError>>,
    ) -> Result<(), CliError> {
        match call.await {
            Ok(()) => Ok(()),
            Err(SdkError::Conflict { .. }) => {
                self.output.note(&format!(
                    "request {request_id} was already answered or has expired"
                ));
                Ok(())
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// Asks each question at the terminal; several answers are sent as `question: answer` lines.
async fn ask_answers(asked: &[Question]) -> Result<String, CliError> {
    let ended = || CliError::AnswerNeeded {
        message: "input ended before the agent's question was answered".to_owned(),
    };
    if asked.is_empty() {
        let line = prompt::line("answer: ").await?.ok_or_else(ended)?;
        return Ok(line.trim().to_owned());
    }
    let mut answers = Vec::new();
    for question in asked {
        let asking = if question.options.is_empty() {
            "answer: ".to_owned()
        } else {
            format!("answer (1-{} or text): ", question.options.len())
        };
        let line = prompt::line(asking).await?.ok_or_else(ended)?;
        answers.push((question, answer_for(&line, question)));
    }
    Ok(match &answers[..] {
        [(_, only)] => only.clone(),
        all => all
            .iter()
            .map(|(question, answer)| format!("{}: {answer}", question.text))
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_read_in_any_case_and_others_are_refused() {
        assert_eq!(parse_choice(" Y\n"), Some(Choice::Allow));
        assert_eq!(parse_choice("deny"), Some(Choice::Deny));
        assert_eq!(parse_choice("A"), Some(Choice::AlwaysAllow));
        assert_eq!(parse_choice("maybe"), None);
        assert_eq!(parse_choice(""), None);
    }

    #[test]
    fn a_number_picks_an_options_label_and_text_is_kept() {
        let question = Question {
            text: "Which file?".into(),
            options: vec!["hello.py (a Python script)".into(), "hello.rs".into()],
        };
        assert_eq!(answer_for("1\n", &question), "hello.py");
        assert_eq!(answer_for("2", &question), "hello.rs");
        assert_eq!(answer_for("3", &question), "3");
        assert_eq!(answer_for("0", &question), "0");
        assert_eq!(answer_for(" my own.txt ", &question), "my own.txt");
    }
}
