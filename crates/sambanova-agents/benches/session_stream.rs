//! A session event stream end to end over loopback: server → HTTP → SSE decoder → typed
//! events, and what each stage costs.
//!
//! 1. Mock end to end (printed): a session on the in-process mock, the prompt `#long N`
//!    (`SESSION_STREAM_EVENTS`, default 200000 text deltas), its stream read through
//!    [`EventStream`] and typed until `session_completed`, timed from sending the message.
//!    The mock renders every event on the fly, so this is the mock's rate more than the
//!    client's; the bytes it sent, as received chunk by chunk, are kept for the stages below.
//! 2. Stages (criterion, elements = events), on those captured bytes:
//!    - `decode_only`: the chunks fed to a [`Decoder`], no I/O;
//!    - `decode_typed`: the same, each event also typed;
//!    - `http_bytes`: the bytes served pre-rendered (one HTTP chunk per event, like the real
//!      server) by a minimal loopback server and read with `reqwest`, nothing decoded;
//!    - `http_decode`: HTTP bytes through [`EventStream`];
//!    - `http_typed`: the whole client pipeline, HTTP → decoder → typed events.
//!
//!    Shares of the full pipeline: HTTP = `http_bytes`/`http_typed`, decoding =
//!    `decode_only`/`http_typed`, typing = (`decode_typed` − `decode_only`)/`http_typed`.
//!
//! Typed events: until the SDK's sessions module lands, the stage parses each `data:` into
//! the generated `StreamEvent` and a `text_delta`'s payload into `TextDeltaData`, which is
//! the work a typed layer does.
//!
//! Run: `cargo bench -p sambanova-agents --bench session_stream -- --sample-size 10`

#[path = "support/loopback.rs"]
mod loopback;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::{Stream, StreamExt};
use sambanova_agents::sse::{Decoder, Event, EventStream};
use sambanova_agents_mock::{DEMO_SANDBOX_ID, MockServer};
use sambanova_agents_raw::sessions::types::{StreamEvent, TextDeltaData};
use serde_json::{Value, json};

const DEFAULT_EVENTS: usize = 200_000;

/// A typed session event, as a typed layer would hand it out.
enum Typed {
    TextDelta(TextDeltaData),
    Other(StreamEvent),
}

fn typed(event: &Event) -> Typed {
    let envelope: StreamEvent =
        serde_json::from_str(&event.data).expect("the server sends StreamEvent JSON");
    if envelope.event_type == "text_delta" {
        Typed::TextDelta(serde_json::from_value(envelope.data).expect("text_delta data has a text"))
    } else {
        Typed::Other(envelope)
    }
}

/// Text bytes of a typed event, so no stage can skip the work.
fn weight(typed: &Typed) -> usize {
    match typed {
        Typed::TextDelta(delta) => delta.text.len(),
        Typed::Other(event) => event.event_type.len(),
    }
}

/// `cargo bench` passes `--bench`; `cargo test --benches` only needs the targets to run.
fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

fn text_deltas() -> usize {
    if !measuring() {
        return 1000;
    }
    std::env::var("SESSION_STREAM_EVENTS")
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|&value| value > 0)
        .unwrap_or(DEFAULT_EVENTS)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// Events and the chunks they arrived in, from one `#long` turn on the mock.
struct Capture {
    chunks: Vec<Bytes>,
    events: usize,
    elapsed: Duration,
}

async fn mock_turn(http: &reqwest::Client, mock: &MockServer, text_deltas: usize) -> Capture {
    let base = format!("{}/api/v1", mock.url());
    let session: Value = http
        .post(format!("{base}/sandboxes/{DEMO_SANDBOX_ID}/sessions"))
        .json(&json!({}))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the mock creates a session")
        .json()
        .await
        .expect("a session is JSON");
    let session_id = session["id"].as_str().expect("a session has an id");
    // Subscribed before sending, as a client must be.
    let stream = http
        .get(format!("{base}/sessions/{session_id}/stream"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the mock streams the session");
    let started = Instant::now();
    http.post(format!("{base}/sessions/{session_id}/messages"))
        .json(&json!({"message": format!("#long {text_deltas}")}))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the mock takes the message");
    let mut chunks = Vec::new();
    let mut events = 0;
    let mut decoder = Decoder::new();
    let mut decoded = Vec::new();
    let mut bytes = stream.bytes_stream();
    'read: while let Some(chunk) = bytes.next().await {
        let chunk = chunk.expect("the mock's stream does not fail");
        decoder.feed(&chunk, &mut decoded);
        chunks.push(chunk);
        for event in decoded.drain(..) {
            let event = event.expect("mock events are small");
            events += 1;
            black_box(weight(&typed(&event)));
            if event.event == "session_completed" {
                break 'read;
            }
        }
    }
    Capture {
        chunks,
        events,
        elapsed: started.elapsed(),
    }
}

fn decode_only(chunks: &[Bytes]) -> usize {
    let mut decoder = Decoder::new();
    let mut decoded = Vec::new();
    let mut events = 0;
    for chunk in chunks {
        decoder.feed(chunk, &mut decoded);
        for event in decoded.drain(..).flatten() {
            events += 1;
            black_box(event.data.len());
        }
    }
    events
}

fn decode_typed(chunks: &[Bytes]) -> usize {
    let mut decoder = Decoder::new();
    let mut decoded = Vec::new();
    let mut events = 0;
    for chunk in chunks {
        decoder.feed(chunk, &mut decoded);
        for event in decoded.drain(..).flatten() {
            events += 1;
            black_box(weight(&typed(&event)));
        }
    }
    events
}

async fn get(
    http: &reqwest::Client,
    url: &str,
) -> impl Stream<Item = reqwest::Result<Bytes>> + use<> {
    http.get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the loopback server answers")
        .bytes_stream()
}

async fn http_bytes(http: &reqwest::Client, url: &str) -> usize {
    get(http, url)
        .await
        .fold(0, |total, chunk| async move {
            total + chunk.expect("loopback does not fail").len()
        })
        .await
}

async fn http_decode(http: &reqwest::Client, url: &str) -> usize {
    EventStream::new(get(http, url).await)
        .fold(0, |events, event| async move {
            black_box(event.expect("valid events").data.len());
            events + 1
        })
        .await
}

async fn http_typed(http: &reqwest::Client, url: &str) -> usize {
    EventStream::new(get(http, url).await)
        .fold(0, |events, event| async move {
            black_box(weight(&typed(&event.expect("valid events"))));
            events + 1
        })
        .await
}

fn per_second(events: usize, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64()
}

fn session_stream(c: &mut Criterion) {
    let runtime = runtime();
    let text_deltas = text_deltas();
    let http = reqwest::Client::new();

    let (capture, url) = runtime.block_on(async {
        let mock = MockServer::start().await.expect("the mock binds a loopback port");
        // A short turn first: connections and the mock's first session are warm.
        mock_turn(&http, &mock, 1000).await;
        let mut rates = Vec::new();
        let mut capture = None;
        for _ in 0..3 {
            let turn = mock_turn(&http, &mock, text_deltas).await;
            rates.push(per_second(turn.events, turn.elapsed));
            capture = Some(turn);
        }
        let capture = capture.expect("three turns ran");
        println!(
            "\nsession_stream/mock_end_to_end: {} events per turn ({} text deltas), {} chunks; events/s per turn: {:.0?}",
            capture.events,
            text_deltas,
            capture.chunks.len(),
            rates
        );
        let sse: Vec<u8> = capture.chunks.concat();
        let addr = loopback::serve_prerendered(loopback::chunked_body(&sse))
            .await
            .expect("the loopback server binds");
        (capture, format!("http://{addr}/api/v1/sessions/captured/stream"))
    });
    let events = capture.events;
    let chunks = &capture.chunks;
    assert_eq!(
        decode_only(chunks),
        events,
        "the captured bytes hold every event"
    );
    assert_eq!(runtime.block_on(http_typed(&http, &url)), events);

    let mut group = c.benchmark_group("session_stream");
    group.throughput(Throughput::Elements(events as u64));
    group.sample_size(10);
    group.bench_function("decode_only", |b| b.iter(|| decode_only(black_box(chunks))));
    group.bench_function("decode_typed", |b| {
        b.iter(|| decode_typed(black_box(chunks)))
    });
    group.bench_function("http_bytes", |b| {
        b.to_async(&runtime).iter(|| http_bytes(&http, &url))
    });
    group.bench_function("http_decode", |b| {
        b.to_async(&runtime).iter(|| http_decode(&http, &url))
    });
    group.bench_function("http_typed", |b| {
        b.to_async(&runtime).iter(|| http_typed(&http, &url))
    });
    group.finish();

    stage_shares(&runtime, &http, &url, chunks, events);
}

/// One timed loop of every stage, in one place, so the shares come from one run.
fn stage_shares(
    runtime: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    url: &str,
    chunks: &[Bytes],
    events: usize,
) {
    let rounds = if measuring() { 5 } else { 1 };
    let best = |mut run: Box<dyn FnMut() -> usize + '_>| {
        (0..rounds)
            .map(|_| {
                let started = Instant::now();
                assert_eq!(run(), events);
                started.elapsed()
            })
            .min()
            .expect("at least one round")
    };
    let decode = best(Box::new(|| decode_only(chunks)));
    let decode_typed_time = best(Box::new(|| decode_typed(chunks)));
    let bytes_time = best(Box::new(|| {
        runtime.block_on(http_bytes(http, url));
        events
    }));
    let full = best(Box::new(|| runtime.block_on(http_typed(http, url))));
    let share = |part: Duration| 100.0 * part.as_secs_f64() / full.as_secs_f64();
    let typing = decode_typed_time.saturating_sub(decode);
    println!("\nsession_stream/shares: {events} events, best of {rounds} rounds per stage");
    println!(
        "  full pipeline (HTTP → decoder → typed): {:.1} ms, {:.0} events/s",
        full.as_secs_f64() * 1e3,
        per_second(events, full)
    );
    for (stage, time) in [
        ("HTTP bytes only", bytes_time),
        ("SSE decoding", decode),
        ("typing (serde)", typing),
    ] {
        println!(
            "  {stage:<16} {:>8.1} ms  {:>5.1} %  ({:.0} events/s alone)",
            time.as_secs_f64() * 1e3,
            share(time),
            per_second(events, time)
        );
    }
}

criterion_group!(benches, session_stream);
criterion_main!(benches);
