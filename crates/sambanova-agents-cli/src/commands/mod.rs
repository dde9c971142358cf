//! One module per concept; each command is an async function over a [`Context`](crate::context::Context).

pub mod agent_stream;
pub mod agents;
pub mod files;
pub mod raw_stream;
pub mod sandboxes;
pub mod sessions;

use crate::cli::SessionsCommand;
use crate::context::Context;
use crate::error::CliError;
use crate::output::Output;

/// Runs one `sessions` subcommand: `stream --raw`, `stream --once` and a stream of any URL
/// read raw SSE ([`raw_stream`]); everything else is typed ([`sessions`]).
pub async fn sessions_command(ctx: &Context, command: SessionsCommand) -> Result<(), CliError> {
    match command {
        SessionsCommand::Stream {
            sid,
            turn,
            raw,
            once,
            answers,
        } if raw || once || raw_stream::is_url(&sid) => {
            raw_stream::stream(ctx, &sid, turn, raw, once, answers).await
        }
        other => sessions::run(ctx, other).await,
    }
}

/// Runs `work` under a spinner with elapsed time (drawn only to a terminal), cleared after.
pub async fn with_spinner<T>(
    output: &Output,
    message: &str,
    work: impl IntoFuture<Output = T>,
) -> T {
    let spinner = output.spinner(message);
    let result = work.await;
    spinner.finish_and_clear();
    result
}
