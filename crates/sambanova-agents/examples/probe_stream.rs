//! Memory probe: consumes one long session event stream with the SDK
//! (`SessionsClient::events(..).until_turn_end()`: HTTP → SSE decoder → typed events) and
//! reports the peak resident memory of this process. Run it with 100k and with 1M events:
//! the peak must not grow with the stream's length.
//!
//! Sources (`--source`):
//! - `generated` (default): a minimal loopback server in this process renders the mock's
//!   events while it writes them, in constant memory, so the figure is the client's;
//! - `mock`: the in-process mock and its `#long N` prompt. The mock itself keeps the turn's
//!   whole text (for `text_complete` and the stored message), so its share of this
//!   process's memory grows with N: use it to check the client against the real event
//!   sequence, not for the memory figure.
//!
//! ```text
//! cargo run --release -p sambanova-agents --example probe_stream -- --events 1000000
//! /usr/bin/time -v target/release/examples/probe_stream --events 100000
//! ```

#[path = "../benches/support/loopback.rs"]
mod loopback;

use std::time::Instant;

use futures::StreamExt;
use sambanova_agents::sessions::{EventKind, SessionEventStream, SessionsClient};
use sambanova_agents_mock::{DEMO_SANDBOX_ID, MockServer};

#[derive(Clone, Copy, PartialEq)]
enum Source {
    Generated,
    Mock,
}

struct Args {
    events: u64,
    source: Source,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        events: 1_000_000,
        source: Source::Generated,
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        match (flag.as_str(), value.as_str()) {
            ("--events", count) => {
                args.events = count
                    .parse()
                    .map_err(|_| format!("--events takes a number, not {count:?}"))?;
            }
            ("--source", "generated") => args.source = Source::Generated,
            ("--source", "mock") => args.source = Source::Mock,
            (flag, _) => {
                return Err(format!(
                    "unknown argument {flag} {value:?} (--events N, --source generated|mock)"
                ));
            }
        }
    }
    Ok(args)
}

/// Peak resident set size of this process so far (`VmHWM`), in KiB; Linux only.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The turn's events through the SDK; for the mock, after sending the `#long` message
/// (the mock stays alive as long as the returned handle).
async fn open(
    args: &Args,
) -> Result<(SessionEventStream, Option<MockServer>), Box<dyn std::error::Error>> {
    if args.source == Source::Generated {
        let session_id = "00000000-0000-4000-8000-5e5510000000";
        let addr = loopback::serve_generated(args.events, session_id.into()).await?;
        let client = SessionsClient::builder()
            .base_url(format!("http://{addr}"))
            .build()?;
        return Ok((client.events(session_id).until_turn_end(), None));
    }
    let mock = MockServer::start().await?;
    let client = SessionsClient::builder().base_url(mock.url()).build()?;
    let session = client.create_session(DEMO_SANDBOX_ID).await?;
    let turn = client
        .send_and_stream(&session.id, &format!("#long {}", args.events))
        .await?;
    Ok((turn.events, Some(mock)))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    probe(&parse_args()?).await
}

/// Consumes the stream `args` describe, fails unless every event came, prints the figures.
async fn probe(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let rss_before = peak_rss_kib();
    let started = Instant::now();
    let (mut events, _mock) = open(args).await?;
    let (mut total, mut text_deltas, mut text_bytes) = (0u64, 0u64, 0usize);
    let mut completed = false;
    while let Some(event) = events.next().await {
        let event = event?;
        total += 1;
        match &event.kind {
            EventKind::TextDelta(delta) => {
                text_deltas += 1;
                text_bytes += delta.text.len();
            }
            EventKind::SessionCompleted(_) => completed = true,
            _ => {}
        }
    }
    let elapsed = started.elapsed();
    // The mock adds a closing "Done." delta of its own.
    if !completed || text_deltas < args.events {
        return Err(format!(
            "the stream ended early: {text_deltas} of {} text deltas",
            args.events
        )
        .into());
    }
    println!(
        "{total} events ({text_deltas} text deltas, {text_bytes} text bytes) in {:.2} s: {:.0} events/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    match (rss_before, peak_rss_kib()) {
        (Some(before), Some(peak)) => println!(
            "peak RSS: {:.1} MiB before the stream, {:.1} MiB at the end",
            before as f64 / 1024.0,
            peak as f64 / 1024.0
        ),
        _ => println!("peak RSS: not available on this platform (use /usr/bin/time -v)"),
    }
    Ok(())
}

#[cfg(test)]
#[tokio::test]
async fn both_sources_deliver_every_event() -> Result<(), Box<dyn std::error::Error>> {
    for source in [Source::Generated, Source::Mock] {
        probe(&Args {
            events: 1000,
            source,
        })
        .await?;
    }
    Ok(())
}
