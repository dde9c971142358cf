//! Spinners and download bars on stderr, shown only to a human: never with
//! `--json` and never when stderr is redirected, so logs stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use sambanova_agents::HumanDuration;

/// Whether progress output should be drawn at all.
pub fn progress_enabled(json: bool) -> bool {
    // Log lines on the same stderr would tear the bars apart.
    !json && !crate::logging::is_on() && std::io::stderr().is_terminal()
}

/// A spinner with elapsed time for a long agent call; hidden when disabled.
pub fn spinner(enabled: bool, message: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    // The template is a constant, so failure here is a programming error
    // caught by the tests; fall back to the default style rather than panic.
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
        bar.set_style(human_times(style));
    }
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// A byte progress bar for a download of `total` bytes (unknown: spinner).
pub fn download_bar(enabled: bool, total: Option<u64>) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let Some(total) = total else {
        return spinner(true, "downloading");
    };
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
    {
        bar.set_style(human_times(style));
    }
    bar
}

/// `{elapsed}` and `{eta}` written as every other duration the CLI shows (`2 min 30 s`), in
/// whole seconds: a counter that ticks needs no fraction.
fn human_times(style: ProgressStyle) -> ProgressStyle {
    style
        .with_key(
            "elapsed",
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{}", whole_seconds(state.elapsed()));
            },
        )
        .with_key(
            "eta",
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{}", whole_seconds(state.eta()));
            },
        )
}

fn whole_seconds(duration: Duration) -> HumanDuration {
    HumanDuration(Duration::from_secs(duration.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_mode_never_draws_progress() {
        assert!(!progress_enabled(true));
    }

    #[test]
    fn disabled_bars_are_hidden() {
        assert!(spinner(false, "x").is_hidden());
        assert!(download_bar(false, Some(10)).is_hidden());
    }

    #[test]
    fn elapsed_time_reads_like_every_other_duration() {
        assert_eq!(
            whole_seconds(Duration::from_millis(150_900)).to_string(),
            "2 min 30 s"
        );
        assert_eq!(whole_seconds(Duration::from_millis(400)).to_string(), "0 s");
    }

    #[test]
    fn templates_are_valid() {
        assert!(ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").is_ok());
        assert!(
            ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
                .is_ok()
        );
    }
}
