//! The agent commands: `research`, `code`, `main`, `finance`, `datascience`.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use sambanova_agents::{AgentOutcome, Completion, Plan, Upload};
use serde_json::{Value, json};

use crate::approval::{self, Answer};
use crate::commands::with_spinner;
use crate::context::Context;
use crate::error::CliError;
use crate::prompt;
use crate::shell::shell_word;

/// Whether a plan is approved without asking (`--yes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Approve the plans as they come, at most this many.
    Automatic { max: u32 },
    /// Show the plan and read `approve` or feedback from stdin.
    Ask,
}

impl Approval {
    /// `--yes` → automatic, bounded by `--max-approvals`.
    pub fn from_flags(yes: bool, max_approvals: u32) -> Self {
        if yes {
            Approval::Automatic { max: max_approvals }
        } else {
            Approval::Ask
        }
    }
}

/// The agents whose threads can stop at a plan, as their commands are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Planner {
    Research,
    DataScience,
    Main,
}

impl Planner {
    /// The command, in the JSON document (`agent`) and in the commands that continue a thread.
    fn command(self) -> &'static str {
        match self {
            Planner::Research => "research",
            Planner::DataScience => "datascience",
            Planner::Main => "main",
        }
    }
}

/// The reply to a plan a thread stopped at, given on the command line of a later run
/// (`--thread ID --approve` or `--thread ID --feedback TEXT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `--approve`: sends exactly `approve`.
    Approve,
    /// `--feedback TEXT`.
    Feedback(String),
}

impl Reply {
    /// `--approve` or `--feedback TEXT` (clap lets through one of them at most); `None` when
    /// neither was given.
    pub fn from_flags(approve: bool, feedback: Option<String>) -> Option<Reply> {
        if approve {
            Some(Reply::Approve)
        } else {
            feedback.map(Reply::Feedback)
        }
    }

    /// What is sent on the thread, refused before any request when it is empty feedback.
    fn text(&self) -> Result<&str, CliError> {
        match self {
            Reply::Approve => Ok("approve"),
            Reply::Feedback(text) if text.trim().is_empty() => Err(CliError::Usage {
                message: "--feedback is empty: say what to change, or pass --approve".to_owned(),
            }),
            Reply::Feedback(text) => Ok(text),
        }
    }

    /// The spinner's message while the reply is answered.
    fn working<'a>(&self, working: &'a str) -> &'a str {
        match self {
            Reply::Approve => working,
            Reply::Feedback(_) => "revising the plan",
        }
    }
}

/// `research PROMPT [--yes] [--no-plan]`, or `research --thread ID --approve|--feedback TEXT`.
pub async fn research(
    ctx: &Context,
    prompt: Option<&str>,
    resumed: Option<(&str, Reply)>,
    approval: Approval,
    no_plan: bool,
) -> Result<(), CliError> {
    let agent = ctx.agents()?.deep_research();
    let working = "deep research: researching";
    let outcome = match (resumed, prompt) {
        (Some((thread, reply)), _) => {
            let outcome = with_spinner(
                &ctx.output,
                reply.working(working),
                agent.resume(thread, reply.text()?),
            )
            .await?;
            settle_plans(ctx, outcome, approval, Planner::Research, working).await?
        }
        (None, Some(prompt)) if no_plan => {
            with_spinner(&ctx.output, working, agent.run(prompt)).await?
        }
        (None, Some(prompt)) => {
            let planned = with_spinner(
                &ctx.output,
                "deep research: planning",
                agent.interactive(prompt),
            )
            .await?;
            settle_plans(ctx, planned, approval, Planner::Research, working).await?
        }
        (None, None) => return Err(nothing_to_do("research", "PROMPT")),
    };
    let report = outcome.into_completion()?;
    print_completion(ctx, &report, Value::String(report.result.clone()), false)
}

/// Neither a new run nor a thread to continue (clap refuses this first; kept for callers).
fn nothing_to_do(command: &str, what: &str) -> CliError {
    CliError::Usage {
        message: format!(
            "{command}: pass {what}, or --thread ID with --approve or --feedback TEXT"
        ),
    }
}

/// `code [--file PATH] [--prompt TEXT] [--thread ID]`: code from the file or stdin.
pub async fn code(
    ctx: &Context,
    file: Option<&Path>,
    prompt: Option<&str>,
    thread: Option<&str>,
) -> Result<(), CliError> {
    let code = read_code(file)?;
    // The server requires a prompt but does not use it; any text does.
    let prompt = prompt.unwrap_or("Run this code");
    let agent = ctx.agents()?.coding();
    let outcome = match thread {
        Some(thread) => {
            with_spinner(
                &ctx.output,
                "coding agent",
                agent.resume(thread, &code, prompt),
            )
            .await?
        }
        None => with_spinner(&ctx.output, "coding agent", agent.run(&code, prompt)).await?,
    };
    let run = outcome.into_completion()?;
    print_completion(ctx, &run, Value::String(run.result.clone()), true)
}

/// `main PROMPT [--thread ID]`: a new thread (so it can be continued), or a resumed one; a
/// resumed thread's reply is PROMPT, or `--approve`/`--feedback TEXT` for a plan it stopped at.
pub async fn main_agent(
    ctx: &Context,
    prompt: Option<&str>,
    thread: Option<&str>,
    reply: Option<Reply>,
) -> Result<(), CliError> {
    let agent = ctx.agents()?.main_agent();
    let outcome = match (thread, reply, prompt) {
        (Some(thread), Some(reply), _) => {
            with_spinner(
                &ctx.output,
                "main agent",
                agent.resume(thread, reply.text()?),
            )
            .await?
        }
        (Some(thread), None, Some(prompt)) => {
            with_spinner(&ctx.output, "main agent", agent.resume(thread, prompt)).await?
        }
        (None, _, Some(prompt)) => {
            with_spinner(&ctx.output, "main agent", agent.interactive(prompt)).await?
        }
        _ => return Err(nothing_to_do("main", "PROMPT")),
    };
    let outcome = settle_plans(ctx, outcome, Approval::Ask, Planner::Main, "main agent").await?;
    let answer = outcome.into_completion()?;
    print_completion(ctx, &answer, Value::String(answer.result.clone()), true)
}

/// `finance PROMPT`: the result is a JSON document, pretty-printed for a human.
pub async fn finance(ctx: &Context, prompt: &str) -> Result<(), CliError> {
    let outcome = with_spinner(
        &ctx.output,
        "financial analysis",
        ctx.agents()?.financial().run(prompt),
    )
    .await?;
    let analysis = outcome.into_completion()?;
    let parsed = analysis.json()?;
    if ctx.output.is_json() {
        return print_completion(ctx, &analysis, parsed, false);
    }
    let pretty = serde_json::to_string_pretty(&parsed)
        .map_err(|error| CliError::Io(std::io::Error::other(error)))?;
    ctx.output.text(&pretty)?;
    Ok(())
}

/// The data science run: new (files and a question), or a thread continued with its files'
/// ids and a reply to its plan.
pub enum DataScienceRun<'a> {
    /// `--file PATH… PROMPT`.
    New {
        files: &'a [PathBuf],
        prompt: &'a str,
    },
    /// `--thread ID --file-id FID… --approve|--feedback TEXT`.
    Resumed {
        thread: &'a str,
        file_ids: &'a [String],
        reply: Reply,
    },
}

/// `datascience --file PATH… PROMPT [--yes]` (or a thread continued): uploads, approves the
/// hypothesis, saves the HTML report in the current directory and says where.
pub async fn datascience(
    ctx: &Context,
    run: DataScienceRun<'_>,
    approval: Approval,
) -> Result<(), CliError> {
    let agent = ctx.agents()?.data_science();
    let working = "data science: analysing";
    let planned = match run {
        DataScienceRun::New { files, prompt } => {
            let uploads: Vec<Upload> = files.iter().map(Upload::path).collect();
            with_spinner(
                &ctx.output,
                "data science: uploading and planning",
                agent.interactive(uploads, prompt),
            )
            .await?
        }
        DataScienceRun::Resumed {
            thread,
            file_ids,
            reply,
        } => {
            with_spinner(
                &ctx.output,
                reply.working(working),
                agent.resume(thread, file_ids, reply.text()?),
            )
            .await?
        }
    };
    let outcome = settle_plans(ctx, planned, approval, Planner::DataScience, working).await?;
    let report = outcome.into_html()?;
    let document = report.to_document();
    let path = save_new_file(Path::new("."), "datascience-report", "html", &document)?;
    let shown = std::path::absolute(&path).unwrap_or(path);
    ctx.output.result(
        &format!("report saved to {}", shown.display()),
        &json!({
            "status": "completed",
            "report_path": shown,
            "bytes": document.len(),
            "thread_id": report.thread_id,
            "request_id": report.request_id,
        }),
    )?;
    Ok(())
}

/// Shows each plan and approves or revises it until the agent answers with something else;
/// a plan left unanswered (input ended, or `--max-approvals` reached) stops the run there,
/// saying how to continue it ([`stop_at_plan`]).
async fn settle_plans(
    ctx: &Context,
    mut outcome: AgentOutcome,
    approval: Approval,
    planner: Planner,
    working: &str,
) -> Result<AgentOutcome, CliError> {
    let mut approved = 0;
    loop {
        let AgentOutcome::Interrupted(plan) = outcome else {
            return Ok(outcome);
        };
        ctx.output.note(&format!(
            "{}\n",
            crate::terminal_text::terminal_safe(plan.plain_text().trim_end())
        ));
        let thread_id = || crate::terminal_text::terminal_safe(plan.thread_id()).into_owned();
        let answer = match approval {
            Approval::Automatic { max } if approved >= max => {
                stop_at_plan(ctx, planner, &plan)?;
                return Err(CliError::TooManyPlans {
                    agent: planner.command(),
                    approved,
                    thread_id: thread_id(),
                });
            }
            Approval::Automatic { .. } => {
                approved += 1;
                ctx.output.note("plan approved (--yes)");
                Answer::Approve
            }
            Approval::Ask => ask_for_answer().await?,
        };
        outcome = match answer {
            Answer::Approve => with_spinner(&ctx.output, working, plan.approve()).await?,
            Answer::Feedback(feedback) => {
                with_spinner(&ctx.output, "revising the plan", plan.revise(&feedback)).await?
            }
            Answer::EndOfInput => {
                stop_at_plan(ctx, planner, &plan)?;
                return Err(CliError::NotApproved {
                    agent: planner.command(),
                    thread_id: thread_id(),
                });
            }
        };
    }
}

/// The run stops at `plan`, which waits on its thread: with `--json`, the one document on
/// stdout (`status` `interrupted`, the agent, the thread, the plan as plain text, and for data
/// science the file ids a continuation needs); else, on stderr, the thread and the two commands
/// that continue it, each argument one shell word.
fn stop_at_plan(ctx: &Context, planner: Planner, plan: &Plan) -> Result<(), CliError> {
    if ctx.output.is_json() {
        let mut document = json!({
            "status": "interrupted",
            "agent": planner.command(),
            "thread_id": plan.thread_id(),
            "plan": plan.plain_text(),
            "request_id": plan.request_id(),
        });
        if planner == Planner::DataScience {
            document["file_ids"] = json!(plan.file_ids());
        }
        ctx.output.json_document(&document)?;
        return Ok(());
    }
    ctx.output.note(&continuation_hint(
        planner,
        plan.thread_id(),
        plan.file_ids(),
        ctx.base_url(),
        ctx.is_mock(),
    ));
    Ok(())
}

/// What to run to continue a thread stopped at a plan: the thread, then one command that
/// approves the plan and one that revises it, each argument one shell word (the ids are the
/// server's). `base_url` is the `--base-url` of this run, which the commands repeat.
fn continuation_hint(
    planner: Planner,
    thread: &str,
    file_ids: &[String],
    base_url: Option<&str>,
    mock: bool,
) -> String {
    let mut command = String::from("sambanova-agents");
    if let Some(url) = base_url {
        command.push_str(&format!(" --base-url {}", shell_word(url)));
    }
    command.push_str(&format!(
        " {} --thread {}",
        planner.command(),
        shell_word(thread)
    ));
    if planner == Planner::DataScience {
        for id in file_ids {
            command.push_str(&format!(" --file-id {}", shell_word(id)));
        }
    }
    let mut hint = format!(
        "stopped at the plan of thread {}; continue it with\n  {command} --approve\n  {command} --feedback {}",
        shell_word(thread),
        shell_word("WHAT TO CHANGE"),
    );
    if mock {
        hint.push_str(
            "\n(the thread is on the embedded mock, gone with this process: to continue threads \
             across processes, run `sambanova-agents mock` and point the commands at it)",
        );
    }
    hint
}

async fn ask_for_answer() -> Result<Answer, CliError> {
    // The plan's own text already says what to type.
    let line = prompt::answer_at_terminal(
        "Type \"approve\" to go ahead, or feedback to revise the plan:\n",
    )
    .await?;
    Ok(approval::answer_of(line))
}

/// Prints a finished run: its text (or `result` in the JSON document), then, for a human,
/// how to continue the thread and fetch the artifacts.
fn print_completion(
    ctx: &Context,
    done: &Completion,
    result: Value,
    continuable: bool,
) -> Result<(), CliError> {
    ctx.output.result(
        &done.result,
        &json!({
            "status": "completed",
            "result": result,
            "thread_id": done.thread_id,
            "artifacts": done.artifacts,
            "request_id": done.request_id,
        }),
    )?;
    if ctx.output.is_json() {
        return Ok(());
    }
    if continuable && let Some(thread) = &done.thread_id {
        let thread = shell_word(thread);
        ctx.output.note(&format!(
            "thread {thread} (continue with --thread {thread})"
        ));
    }
    for artifact in &done.artifacts {
        let artifact = shell_word(artifact);
        ctx.output.note(&format!(
            "artifact {artifact}: sambanova-agents files get {artifact}"
        ));
    }
    Ok(())
}

fn read_code(file: Option<&Path>) -> Result<String, CliError> {
    let (code, origin) = match file {
        Some(path) => {
            let code = std::fs::read_to_string(path).map_err(|source| CliError::Input {
                path: path.to_owned(),
                source,
            })?;
            (code, path.display().to_string())
        }
        None => {
            if std::io::stdin().is_terminal() {
                return Err(CliError::Usage {
                    message: "no code: pass --file PATH or pipe the code on stdin".to_owned(),
                });
            }
            let mut code = String::new();
            std::io::stdin()
                .read_to_string(&mut code)
                .map_err(|source| CliError::Input {
                    path: PathBuf::from("<stdin>"),
                    source,
                })?;
            (code, "stdin".to_owned())
        }
    };
    if code.trim().is_empty() {
        return Err(CliError::Usage {
            message: format!("no code: {origin} is empty"),
        });
    }
    Ok(code)
}

/// Writes `contents` to `dir/stem.ext`, or `dir/stem (n).ext` when taken: never overwrites.
fn save_new_file(dir: &Path, stem: &str, ext: &str, contents: &str) -> Result<PathBuf, CliError> {
    use std::io::Write;
    for n in 0..10_000u32 {
        let path = if n == 0 {
            dir.join(format!("{stem}.{ext}"))
        } else {
            dir.join(format!("{stem} ({n}).{ext}"))
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                return match file.write_all(contents.as_bytes()) {
                    Ok(()) => Ok(path),
                    Err(error) => Err(writing(&path, error)),
                };
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(writing(&path, error)),
        }
    }
    Err(CliError::Io(std::io::Error::other(format!(
        "{} already holds 10000 files named like {stem}.{ext}",
        dir.display()
    ))))
}

fn writing(path: &Path, error: std::io::Error) -> CliError {
    CliError::Io(std::io::Error::new(
        error.kind(),
        format!("writing {}: {error}", path.display()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_reports_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let first = save_new_file(dir.path(), "r", "html", "one").unwrap();
        let second = save_new_file(dir.path(), "r", "html", "two").unwrap();
        assert_eq!(first, dir.path().join("r.html"));
        assert_eq!(second, dir.path().join("r (1).html"));
        assert_eq!(std::fs::read_to_string(first).unwrap(), "one");
        assert_eq!(std::fs::read_to_string(second).unwrap(), "two");
    }
}
