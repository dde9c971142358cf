//! A session event stream end to end over loopback: server → HTTP → SSE decoder → typed
//! events, and what each stage costs.
//!
//! 1. Mock end to end (printed): a session on the in-process mock and the prompt `#long N`
//!    (`SESSION_STREAM_EVENTS`, default 100000 text deltas), read with the SDK
//!    (`SessionsClient::send_and_stream`) until the turn ends, timed from sending the
//!    message. The mock renders every event on the fly (JSON, a UUID, a lock, a broadcast,
//!    one HTTP chunk), so this is the mock's rate more than the client's. One more turn is
//!    read with plain `reqwest` and kept, chunk by chunk as received, for the stages below.
//! 2. Stages (criterion, elements = events), on those captured bytes:
//!    - `decode_only`: the chunks fed to a [`Decoder`], no I/O;
//!    - `decode_typed`: the same, each event also typed ([`SessionEvent::from_sse`]);
//!    - `http_bytes/*`: the bytes served pre-rendered by a minimal loopback server and read
//!      with `reqwest`, nothing decoded;
//!    - `http_decode/*`: HTTP bytes through [`EventStream`];
//!    - `http_typed/*`: HTTP → [`EventStream`] → [`SessionEvent::from_sse`], by hand;
//!    - `sdk_stream/*`: the SDK's own stream (`SessionsClient::events(..).until_turn_end()`:
//!      decoder, typed events, de-duplication by id, stall watchdog) from the same server.
//!
//!    Each HTTP stage runs on three targets: `multi_thread` (the server's framing, one HTTP
//!    chunk per event, read on a multi-thread runtime), `current_thread` (the same bytes
//!    read on a current-thread runtime) and `coalesced_64KiB` (the same events in 64 KiB
//!    HTTP chunks, multi-thread runtime). hyper hands a response body over one HTTP chunk at
//!    a time, from its connection task to the reader, so the cost per chunk shows here.
//!
//!    Shares of the SDK stream, per target: HTTP = `http_bytes`/`sdk_stream`, decoding =
//!    `decode_only`/`sdk_stream`, typing = (`decode_typed` − `decode_only`)/`sdk_stream`,
//!    the SDK stream's own bookkeeping = (`sdk_stream` − `http_typed`)/`sdk_stream`.
//!
//! Run: `cargo bench -p sambanova-agents --bench session_stream -- --sample-size 10`

#[path = "support/loopback.rs"]
mod loopback;

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::{Stream, StreamExt};
use sambanova_agents::sessions::{EventKind, SessionEvent, SessionsClient};
use sambanova_agents::sse::{Decoder, EventStream};
use sambanova_agents_mock::{DEMO_SANDBOX_ID, MockServer};
use serde_json::{Value, json};

const DEFAULT_EVENTS: usize = 100_000;

/// Text bytes of a typed event, so no stage can skip the work.
fn weight(event: &SessionEvent) -> usize {
    match &event.kind {
        EventKind::TextDelta(delta) => delta.text.len(),
        _ => event.event_type().len(),
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

/// The events of one `#long` turn on the mock, in the chunks they arrived in.
struct Capture {
    chunks: Vec<Bytes>,
    events: usize,
    session_id: String,
}

/// One `#long` turn read with plain `reqwest` and the decoder, its bytes kept.
async fn capture_turn(http: &reqwest::Client, mock: &MockServer, text_deltas: usize) -> Capture {
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
    let session_id = session["id"]
        .as_str()
        .expect("a session has an id")
        .to_owned();
    // Subscribed before sending, as a client must be.
    let stream = http
        .get(format!("{base}/sessions/{session_id}/stream"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("the mock streams the session");
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
            if event.event_type() == "session_completed" {
                break 'read;
            }
        }
    }
    Capture {
        chunks,
        events,
        session_id,
    }
}

/// One `#long` turn through the SDK, timed from sending the message to the turn's end.
async fn sdk_turn(client: &SessionsClient, text_deltas: usize) -> (usize, Duration) {
    let session = client
        .create_session(DEMO_SANDBOX_ID)
        .await
        .expect("the mock creates a session");
    let started = Instant::now();
    let turn = client
        .send_and_stream(&session.id, &format!("#long {text_deltas}"))
        .await
        .expect("the mock takes the message");
    let events = sdk_count(turn.events).await;
    (events, started.elapsed())
}

async fn sdk_count(
    events: impl Stream<Item = Result<SessionEvent, sambanova_agents::Error>>,
) -> usize {
    events
        .fold(0, |count, event| async move {
            black_box(weight(&event.expect("the stream does not fail")));
            count + 1
        })
        .await
}

fn decode_only(chunks: &[Bytes]) -> usize {
    let mut decoder = Decoder::new();
    let mut decoded = Vec::new();
    let mut events = 0;
    for chunk in chunks {
        decoder.feed(chunk, &mut decoded);
        for event in decoded.drain(..).flatten() {
            events += 1;
            black_box(event.data().len());
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
            black_box(weight(&SessionEvent::from_sse(&event)));
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
            black_box(event.expect("valid events").data().len());
            events + 1
        })
        .await
}

async fn http_typed(http: &reqwest::Client, url: &str) -> usize {
    EventStream::new(get(http, url).await)
        .fold(0, |events, event| async move {
            black_box(weight(&SessionEvent::from_sse(
                &event.expect("valid events"),
            )));
            events + 1
        })
        .await
}

fn per_second(events: usize, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64()
}

fn sessions_client(base_url: String) -> SessionsClient {
    SessionsClient::builder()
        .base_url(base_url)
        .build()
        .expect("a loopback URL is valid")
}

/// Where and how the HTTP stages run: a runtime, clients made for it (a pooled connection
/// belongs to the runtime that opened it), and a pre-rendered server.
struct Target<'a> {
    name: &'static str,
    runtime: &'a tokio::runtime::Runtime,
    http: reqwest::Client,
    sdk: SessionsClient,
    url: String,
    session_id: &'a str,
}

impl<'a> Target<'a> {
    fn new(
        name: &'static str,
        runtime: &'a tokio::runtime::Runtime,
        addr: std::net::SocketAddr,
        session_id: &'a str,
    ) -> Self {
        Target {
            name,
            runtime,
            http: reqwest::Client::new(),
            sdk: sessions_client(format!("http://{addr}")),
            url: format!("http://{addr}/api/v1/sessions/{session_id}/stream"),
            session_id,
        }
    }

    fn http_bytes(&self) -> usize {
        self.runtime.block_on(http_bytes(&self.http, &self.url))
    }

    fn http_decode(&self) -> usize {
        self.runtime.block_on(http_decode(&self.http, &self.url))
    }

    fn http_typed(&self) -> usize {
        self.runtime.block_on(http_typed(&self.http, &self.url))
    }

    fn sdk_stream(&self) -> usize {
        self.runtime
            .block_on(sdk_count(self.sdk.events(self.session_id).until_turn_end()))
    }
}

fn session_stream(c: &mut Criterion) {
    let runtime = runtime();
    let current_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let text_deltas = text_deltas();

    // The servers run on the multi-thread runtime's workers, whichever runtime reads.
    let (capture, per_event, coalesced) = runtime.block_on(async {
        let mock = MockServer::start().await.expect("the mock binds a loopback port");
        let client = sessions_client(mock.url());
        // A short turn first: connections are open and everything is warm.
        sdk_turn(&client, 1000).await;
        let mut rates = Vec::new();
        let mut events = 0;
        for _ in 0..3 {
            let (turn_events, elapsed) = sdk_turn(&client, text_deltas).await;
            rates.push(per_second(turn_events, elapsed));
            events = turn_events;
        }
        println!(
            "\nsession_stream/mock_end_to_end (SDK send_and_stream): {events} events per turn ({text_deltas} text deltas); events/s per turn: {rates:.0?}"
        );
        let capture = capture_turn(&reqwest::Client::new(), &mock, text_deltas).await;
        let sse: Vec<u8> = capture.chunks.concat();
        let per_event = loopback::serve_prerendered(loopback::chunked_body(&sse))
            .await
            .expect("the loopback server binds");
        let coalesced = loopback::serve_prerendered(loopback::coalesced_body(&sse, 64 * 1024))
            .await
            .expect("the loopback server binds");
        (capture, per_event, coalesced)
    });
    let events = capture.events;
    let chunks = &capture.chunks;
    let session_id = capture.session_id.as_str();
    println!(
        "session_stream/captured: {events} events, {} chunks, {} bytes",
        chunks.len(),
        chunks.iter().map(Bytes::len).sum::<usize>()
    );
    assert_eq!(
        decode_only(chunks),
        events,
        "the captured bytes hold every event"
    );
    let targets = [
        Target::new("multi_thread", &runtime, per_event, session_id),
        Target::new("current_thread", &current_thread, per_event, session_id),
        Target::new("coalesced_64KiB", &runtime, coalesced, session_id),
    ];
    for target in &targets {
        assert_eq!(target.http_typed(), events, "{}", target.name);
        assert_eq!(target.sdk_stream(), events, "{}", target.name);
    }

    let mut group = c.benchmark_group("session_stream");
    group.throughput(Throughput::Elements(events as u64));
    group.sample_size(10);
    group.bench_function("decode_only", |b| b.iter(|| decode_only(black_box(chunks))));
    group.bench_function("decode_typed", |b| {
        b.iter(|| decode_typed(black_box(chunks)))
    });
    for target in &targets {
        let name = target.name;
        group.bench_function(format!("http_bytes/{name}"), |b| {
            b.iter(|| target.http_bytes())
        });
        group.bench_function(format!("http_decode/{name}"), |b| {
            b.iter(|| target.http_decode())
        });
        group.bench_function(format!("http_typed/{name}"), |b| {
            b.iter(|| target.http_typed())
        });
        group.bench_function(format!("sdk_stream/{name}"), |b| {
            b.iter(|| target.sdk_stream())
        });
    }
    group.finish();

    for target in &targets {
        print_shares(target, chunks, events);
    }
}

fn rounds() -> usize {
    if measuring() { 5 } else { 1 }
}

/// The best of a few rounds of `run`, which must see every event.
fn best(events: usize, mut run: impl FnMut() -> usize) -> Duration {
    (0..rounds())
        .map(|_| {
            let started = Instant::now();
            assert_eq!(run(), events);
            started.elapsed()
        })
        .min()
        .expect("at least one round")
}

/// One timed loop of every stage, back to back, so the shares come from one run.
fn print_shares(target: &Target<'_>, chunks: &[Bytes], events: usize) {
    let decode = best(events, || decode_only(chunks));
    let decode_typed_time = best(events, || decode_typed(chunks));
    let bytes_time = best(events, || {
        target.http_bytes();
        events
    });
    let by_hand = best(events, || target.http_typed());
    let full = best(events, || target.sdk_stream());
    let share = |part: Duration| 100.0 * part.as_secs_f64() / full.as_secs_f64();
    println!(
        "\nsession_stream/shares/{}: {events} events, best of {} per stage",
        target.name,
        rounds()
    );
    println!(
        "  SDK stream (HTTP → decoder → typed → de-dup): {:.1} ms, {:.0} events/s",
        full.as_secs_f64() * 1e3,
        per_second(events, full)
    );
    println!(
        "  same by hand (reqwest → EventStream → from_sse): {:.1} ms, {:.0} events/s",
        by_hand.as_secs_f64() * 1e3,
        per_second(events, by_hand)
    );
    for (stage, time) in [
        ("HTTP bytes only", bytes_time),
        ("SSE decoding", decode),
        ("typing (serde)", decode_typed_time.saturating_sub(decode)),
        ("SDK stream's own", full.saturating_sub(by_hand)),
    ] {
        println!(
            "  {stage:<17} {:>8.1} ms  {:>5.1} %  ({:.0} events/s alone)",
            time.as_secs_f64() * 1e3,
            share(time),
            per_second(events, time)
        );
    }
}

criterion_group!(benches, session_stream);
criterion_main!(benches);
