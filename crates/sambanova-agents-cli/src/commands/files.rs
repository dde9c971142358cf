//! `files get ID [--output DIR]`: downloads an artifact with a progress bar.

use std::path::Path;

use indicatif::ProgressBar;
use serde_json::json;

use crate::context::Context;
use crate::error::CliError;
use crate::progress;

/// Saves file `id` into `dir` (the current directory by default) and says where.
pub async fn get(ctx: &Context, id: &str, dir: Option<&Path>) -> Result<(), CliError> {
    let dir = dir.unwrap_or(Path::new("."));
    let enabled = ctx.output.shows_progress();
    // The size is known only once the response arrives, so the bar is made on first progress.
    let mut bar: Option<ProgressBar> = None;
    let files = ctx.agents()?.files();
    let save = files.save_with_progress(id, dir, |done, total| {
        bar.get_or_insert_with(|| progress::download_bar(enabled, total))
            .set_position(done);
    });
    let saved = tokio::select! {
        // Ctrl-C first: its handler is installed when first polled, before any byte is saved.
        biased;
        _ = tokio::signal::ctrl_c() => None,
        saved = save => Some(saved),
    };
    // The save is dropped by now: its partial file is removed with it.
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let saved = saved.ok_or(CliError::DownloadInterrupted)??;
    let shown = std::path::absolute(&saved.path).unwrap_or(saved.path);
    ctx.output.result(
        &format!("saved {} ({} bytes)", shown.display(), saved.bytes),
        &json!({
            "path": shown,
            "bytes": saved.bytes,
            "request_id": saved.request_id,
        }),
    )?;
    Ok(())
}
