//! Throughput of our SSE decoder against `sse-stream` and `eventsource-stream`
//! on the same input, in the same run.
//!
//! Input: a synthetic agent event stream, mostly small `text_delta` events,
//! a 64 KiB `tool_result` every 1000 events and a `: keepalive` comment every
//! 100, cut into 1 KiB, 16 KiB and random-size (1 B to 32 KiB) chunks. Its size
//! is `SSE_BENCH_MB` megabytes (default 32; the figure is 200).
//! Every decoder is driven to the end and every event's data is consumed.
//!
//! A second group decodes one 8 MiB data line fed in 8 KiB chunks; as
//! `eventsource-stream` is quadratic there, it is only timed on smaller lines
//! (up to 2 MiB), enough to show its scaling.
//!
//! Run: `cargo bench -p sambanova-agents --bench sse_decoder -- --sample-size 10`
//!
//! With `SSE_BENCH_ROUNDS=N` set, criterion is skipped: our decoder (`feed`
//! and `EventStream`) and `sse-stream` take turns decoding the agent stream,
//! N rounds per chunking, and the medians and the median per-round ratio are
//! printed. `eventsource-stream`, an order of magnitude slower, is left out.

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};
use futures::executor::block_on;
use futures::{StreamExt, stream};
use sambanova_agents::sse::{Decoder, EventStream};

const DEFAULT_INPUT_MB: usize = 32;
const TOOL_RESULT_EVERY: usize = 1000;
const KEEPALIVE_EVERY: usize = 100;
const TOOL_RESULT_LEN: usize = 64 * 1024;

/// A small deterministic generator (64-bit LCG), so every run decodes the same bytes.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "the", "agent", "reads", "file", "and", "writes", "a", "summary", "of", "its", "findings",
    "café", "naïve", "résumé", "→", "✓", "数据", "🙂", "ok",
];

fn agent_stream(target_len: usize) -> (Bytes, usize) {
    let mut rng = Lcg(0x5EED);
    let mut out = String::with_capacity(target_len + TOOL_RESULT_LEN);
    let mut events = 0;
    while out.len() < target_len {
        events += 1;
        if events % KEEPALIVE_EVERY == 0 {
            out.push_str(": keepalive\n\n");
        }
        if events % TOOL_RESULT_EVERY == 0 {
            out.push_str("event: tool_result\ndata: {\"type\":\"tool_result\",\"content\":\"");
            let start = out.len();
            while out.len() - start < TOOL_RESULT_LEN {
                out.push_str(WORDS[rng.below(WORDS.len())]);
                out.push(' ');
            }
            out.push_str(&format!("\"}}\nid: {events}\n\n"));
        } else {
            let word = WORDS[rng.below(WORDS.len())];
            out.push_str(&format!(
                "event: text_delta\ndata: {{\"type\":\"text_delta\",\"delta\":\"{word} \"}}\nid: {events}\n\n"
            ));
        }
    }
    (Bytes::from(out), events)
}

fn fixed_chunks(input: &Bytes, size: usize) -> Vec<Bytes> {
    (0..input.len())
        .step_by(size)
        .map(|start| input.slice(start..(start + size).min(input.len())))
        .collect()
}

fn random_chunks(input: &Bytes, max: usize) -> Vec<Bytes> {
    let mut rng = Lcg(42);
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < input.len() {
        let end = (start + 1 + rng.below(max)).min(input.len());
        chunks.push(input.slice(start..end));
        start = end;
    }
    chunks
}

fn byte_stream(chunks: &[Bytes]) -> impl futures::Stream<Item = Result<Bytes, Infallible>> + '_ {
    stream::iter(chunks.iter().cloned().map(Ok::<Bytes, Infallible>))
}

/// Each returns (events, total data bytes), so no decoder can skip work.
fn ours_feed(chunks: &[Bytes]) -> (usize, usize) {
    let mut decoder = Decoder::new();
    let mut decoded = Vec::new();
    let (mut events, mut data_len) = (0, 0);
    for chunk in chunks {
        decoder.feed(chunk, &mut decoded);
        for event in decoded.drain(..).flatten() {
            events += 1;
            data_len += black_box(event).data().len();
        }
    }
    decoder.finish(&mut decoded);
    (events, data_len)
}

fn ours_stream(chunks: &[Bytes]) -> (usize, usize) {
    block_on(EventStream::new(byte_stream(chunks)).fold(
        (0, 0),
        |(events, data_len), item| async move {
            match item {
                Ok(event) => (events + 1, data_len + black_box(event).data().len()),
                Err(_) => (events, data_len),
            }
        },
    ))
}

fn sse_stream(chunks: &[Bytes]) -> (usize, usize) {
    block_on(sse_stream::SseByteStream::new(byte_stream(chunks)).fold(
        (0, 0),
        |(events, data_len), item| async move {
            match item {
                Ok(event) => (
                    events + 1,
                    data_len + black_box(event).data.map_or(0, |data| data.len()),
                ),
                Err(_) => (events, data_len),
            }
        },
    ))
}

fn eventsource_stream(chunks: &[Bytes]) -> (usize, usize) {
    block_on(
        eventsource_stream::EventStream::new(byte_stream(chunks)).fold(
            (0, 0),
            |(events, data_len), item| async move {
                match item {
                    Ok(event) => (events + 1, data_len + black_box(event).data.len()),
                    Err(_) => (events, data_len),
                }
            },
        ),
    )
}

type Contender = (&'static str, fn(&[Bytes]) -> (usize, usize));

const CONTENDERS: [Contender; 4] = [
    ("ours_feed", ours_feed),
    ("ours_stream", ours_stream),
    ("sse_stream", sse_stream),
    ("eventsource_stream", eventsource_stream),
];

fn input_mb() -> usize {
    std::env::var("SSE_BENCH_MB")
        .ok()
        .and_then(|mb| mb.parse().ok())
        .filter(|&mb| mb > 0)
        .unwrap_or(DEFAULT_INPUT_MB)
}

/// The three ways of cutting the stream: 1 KiB, 16 KiB and random
/// (1 B to 32 KiB) chunks.
fn chunkings(input: &Bytes) -> [(&'static str, Vec<Bytes>); 3] {
    [
        ("1KiB", fixed_chunks(input, 1024)),
        ("16KiB", fixed_chunks(input, 16 * 1024)),
        ("random", random_chunks(input, 32 * 1024)),
    ]
}

fn agent_stream_throughput(c: &mut Criterion) {
    let (input, events) = agent_stream(input_mb() * 1_000_000);
    let chunkings = chunkings(&input);
    let expected = ours_feed(&chunkings[0].1);
    assert_eq!(expected.0, events, "every generated event decodes");
    for (chunking, chunks) in &chunkings {
        for (name, decode) in CONTENDERS {
            assert_eq!(decode(chunks), expected, "{name} on {chunking} chunks");
        }
        let mut group = c.benchmark_group(format!("agent_stream/{chunking}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.sample_size(10);
        for (name, decode) in CONTENDERS {
            group.bench_function(name, |b| b.iter(|| decode(black_box(chunks))));
        }
        group.finish();
    }
}

fn long_line(c: &mut Criterion) {
    let mut group = c.benchmark_group("long_line_8KiB_chunks");
    group.sample_size(10);
    for kib in [512, 1024, 2048, 4096, 8192] {
        let mut line = String::with_capacity(kib * 1024 + 16);
        line.push_str("data: ");
        line.extend(std::iter::repeat_n('x', kib * 1024 - "data: ".len()));
        line.push_str("\n\n");
        let input = Bytes::from(line);
        let chunks = fixed_chunks(&input, 8 * 1024);
        group.throughput(Throughput::Bytes(input.len() as u64));
        for (name, decode) in CONTENDERS {
            // Quadratic: 8 MiB would take minutes per sample.
            if name == "eventsource_stream" && kib > 2048 {
                continue;
            }
            assert_eq!(decode(&chunks).0, 1, "{name} decodes the long line");
            group.bench_with_input(
                BenchmarkId::new(name, format!("{kib}KiB")),
                &chunks,
                |b, chunks| b.iter(|| decode(black_box(chunks))),
            );
        }
    }
    group.finish();
}

/// Contenders taking turns, round after round, on the same chunks: on a
/// shared machine whose speed drifts, ratios within a round are far steadier
/// than ratios of criterion runs made minutes apart.
fn interleaved_rounds(rounds: usize) {
    let (input, _) = agent_stream(input_mb() * 1_000_000);
    let mib = input.len() as f64 / (1024.0 * 1024.0);
    let [ours_feed, ours_stream, sse_stream, _] = CONTENDERS;
    let contenders = [ours_feed, ours_stream, sse_stream];
    for (chunking, chunks) in chunkings(&input) {
        let expected = ours_feed.1(&chunks);
        let mut speeds = vec![Vec::new(); contenders.len()];
        let mut ratios = Vec::new();
        for round in 0..rounds {
            let mut round_speeds = [0.0; 3];
            for turn in 0..contenders.len() {
                let index = (round + turn) % contenders.len();
                let (name, decode) = contenders[index];
                let started = std::time::Instant::now();
                let decoded = black_box(decode(black_box(&chunks)));
                round_speeds[index] = mib / started.elapsed().as_secs_f64();
                assert_eq!(decoded, expected, "{name} on {chunking} chunks");
                speeds[index].push(round_speeds[index]);
            }
            ratios.push(round_speeds[1] / round_speeds[2]);
        }
        let median = |values: &mut Vec<f64>| {
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        let mut line = format!("{chunking:>6}:");
        for ((name, _), speeds) in contenders.iter().zip(&mut speeds) {
            line += &format!(" {name} {:.0} MiB/s", median(speeds));
        }
        println!(
            "{line}; ours_stream / sse_stream median of {rounds} rounds: {:.3}",
            median(&mut ratios)
        );
    }
}

criterion_group!(benches, agent_stream_throughput, long_line);

fn main() {
    match std::env::var("SSE_BENCH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .filter(|&rounds| rounds > 0)
    {
        Some(rounds) => interleaved_rounds(rounds),
        None => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
