//! One module per concept; each command is an async function over a [`Context`](crate::context::Context).

pub mod agent_stream;
pub mod agents;
pub mod files;
pub mod raw_stream;
pub mod sandboxes;
pub mod sessions;

use std::future::Future;

use crate::output::Output;

/// Runs `work` under a spinner with elapsed time (drawn only to a terminal), cleared after.
pub async fn with_spinner<T>(output: &Output, message: &str, work: impl Future<Output = T>) -> T {
    let spinner = output.spinner(message);
    let result = work.await;
    spinner.finish_and_clear();
    result
}
