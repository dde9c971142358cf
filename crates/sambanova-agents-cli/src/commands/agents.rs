//! The agent commands: `research`, `code`, `main`, `finance`, `datascience`.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use sambanova_agents::{AgentOutcome, Completion, Upload};
use serde_json::{Value, json};

use crate::approval::{self, Answer};
use crate::commands::with_spinner;
use crate::context::Context;
use crate::error::CliError;
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

/// `research PROMPT [--yes] [--no-plan]`.
pub async fn research(
    ctx: &Context,
    prompt: &str,
    approval: Approval,
    no_plan: bool,
) -> Result<(), CliError> {
    let agent = ctx.agents()?.deep_research();
    let outcome = if no_plan {
        with_spinner(&ctx.output, "deep research: researching", agent.run(prompt)).await?
    } else {
        let planned = with_spinner(
            &ctx.output,
            "deep research: planning",
            agent.interactive(prompt),
        )
        .await?;
        settle_plans(ctx, planned, approval, "deep research: researching").await?
    };
    let report = outcome.into_completion()?;
    print_completion(ctx, &report, Value::String(report.result.clone()), false)
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

/// `main PROMPT [--thread ID]`: a new thread (so it can be continued), or a resumed one.
pub async fn main_agent(ctx: &Context, prompt: &str, thread: Option<&str>) -> Result<(), CliError> {
    let agent = ctx.agents()?.main_agent();
    let outcome = match thread {
        Some(thread) => {
            with_spinner(&ctx.output, "main agent", agent.resume(thread, prompt)).await?
        }
        None => with_spinner(&ctx.output, "main agent", agent.interactive(prompt)).await?,
    };
    let outcome = settle_plans(ctx, outcome, Approval::Ask, "main agent").await?;
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

/// `datascience --file PATH… PROMPT [--yes]`: uploads, approves the hypothesis, saves the
/// HTML report in the current directory and says where.
pub async fn datascience(
    ctx: &Context,
    files: &[PathBuf],
    prompt: &str,
    approval: Approval,
) -> Result<(), CliError> {
    let uploads: Vec<Upload> = files.iter().map(Upload::path).collect();
    let planned = with_spinner(
        &ctx.output,
        "data science: uploading and planning",
        ctx.agents()?.data_science().interactive(uploads, prompt),
    )
    .await?;
    let outcome = settle_plans(ctx, planned, approval, "data science: analysing").await?;
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

/// Shows each plan and approves or revises it until the agent answers with something else.
async fn settle_plans(
    ctx: &Context,
    mut outcome: AgentOutcome,
    approval: Approval,
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
        let answer = match approval {
            Approval::Automatic { max } if approved >= max => {
                return Err(CliError::TooManyPlans {
                    approved,
                    thread_id: crate::terminal_text::terminal_safe(plan.thread_id()).into_owned(),
                });
            }
            Approval::Automatic { .. } => {
                approved += 1;
                ctx.output.note("plan approved (--yes)");
                Answer::Approve
            }
            Approval::Ask => ask_for_answer(ctx)?,
        };
        outcome = match answer {
            Answer::Approve => with_spinner(&ctx.output, working, plan.approve()).await?,
            Answer::Feedback(feedback) => {
                with_spinner(&ctx.output, "revising the plan", plan.revise(&feedback)).await?
            }
            Answer::EndOfInput => return Err(CliError::NotApproved),
        };
    }
}

fn ask_for_answer(ctx: &Context) -> Result<Answer, CliError> {
    // A script piping answers needs no prompt; the plan's own text already says what to type.
    if std::io::stdin().is_terminal() {
        ctx.output
            .note("Type \"approve\" to go ahead, or feedback to revise the plan:");
    }
    // Reading stdin blocks; let the runtime move other tasks (the embedded mock) off this thread.
    let answer =
        tokio::task::block_in_place(|| approval::next_answer(&mut std::io::stdin().lock()));
    answer.map_err(|source| CliError::Input {
        path: PathBuf::from("<stdin>"),
        source,
    })
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
