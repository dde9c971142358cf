//! What the SDK costs on top of plain `reqwest`, for one agent call and for 64 at once.
//!
//! Both sides send the same coding-interactive request
//! (`POST /api/agent/coding/interactive`, the same JSON body and bearer key) to the same
//! in-process mock, which has no artificial latency (its builder default). The SDK side is
//! `client.coding().interactive(code, prompt)` (typed body, executor, retry policy,
//! classification into an `AgentOutcome`); the plain side is one `reqwest::Client` POST whose
//! answer is parsed into a `serde_json::Value`, so both do comparable work. A third side,
//! `plain+timeout`, is the plain POST with a reqwest per-request timeout of the SDK's 600 s, the
//! way a plain client bounds a call: the SDK keeps the attempt's time with one timer of its
//! own instead, and this side shows what reqwest's way costs.
//!
//! - `agent_call/sequential`: criterion's means and medians of one call.
//! - Percentiles: `AGENT_CALL_SAMPLES` (default 5000) calls per side, the sides interleaved
//!   call by call so all see the same machine load; p50, p90, p99, ratios.
//! - Throughput: `AGENT_CALL_BATCH` (default 5000) calls, 64 in flight on one client
//!   (`buffer_unordered(64)`), `AGENT_CALL_ROUNDS` (default 9) rounds alternating the sides
//!   (short rounds, many of them: the median resists the load of a shared machine);
//!   the median round of each side, and the ratios.
//!
//! - Own process (`AGENT_CALL_MOCK=process`): the mock runs in its own process (the
//!   `sambanova-agents-mock` binary beside this benchmark: build it first with
//!   `cargo build --release -p sambanova-agents-mock`), so this process's CPU time
//!   (`getrusage`) is the client's alone. `AGENT_CALL_ROUNDS` rounds take turns over four
//!   sides, each `AGENT_CALL_BATCH` calls, sequentially and then 64 in flight: the SDK, plain
//!   `reqwest`, plain `reqwest` with the SDK's per-request timeout, and a control (plain
//!   `reqwest` again, on a second client of its own). It prints the median round's client
//!   CPU per call and throughput of each side, and the median per-round ratios. The control
//!   runs the same code as plain: its ratio is what noise alone scores in this run.
//! - One side alone (`AGENT_CALL_MOCK=process AGENT_CALL_ONLY=sdk`, or `plain`,
//!   `plain+timeout`): `AGENT_CALL_BATCH` calls (after a warm-up), `AGENT_CALL_IN_FLIGHT` at a
//!   time (default 1), and nothing else, for a profiler: run it under
//!   `valgrind --tool=callgrind` with two batch sizes, and the difference of the totals
//!   divided by the difference of the batches is the instructions one call costs, whatever the
//!   machine's load (within 1–2 %: the runtime's threads poll and park differently from run
//!   to run). With `--toggle-collect='agent_call::Contenders::call::*'` only the calls'
//!   futures count, on the calling thread, steadier still (within 0.3 %).
//!
//! Run: `cargo bench -p sambanova-agents --bench agent_call -- --sample-size 20`, and
//! `AGENT_CALL_MOCK=process cargo bench -p sambanova-agents --bench agent_call -- own_process`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use futures::{StreamExt, stream};
use sambanova_agents::{AgentOutcome, Client};
use sambanova_agents_mock::{MockServer, TEST_API_KEY};
use serde_json::{Value, json};

const CODE: &str = "print('hello from the benchmark')";
const PROMPT: &str = "Run this";
const CONCURRENCY: usize = 64;
/// The SDK client's default total timeout per call.
const SDK_TIMEOUT: Duration = Duration::from_secs(600);

/// Where the mock runs.
enum Mock {
    InProcess {
        _server: MockServer,
    },
    /// The mock binary, killed when dropped. It also exits when its stdin closes, which it
    /// does however this process ends (killed, it runs no `Drop`).
    Process {
        child: std::process::Child,
        _stdin: std::process::ChildStdin,
    },
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Mock::Process { child, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Mock {
    /// Starts the mock in its own process and answers it with its Agents base URL.
    fn process() -> (Mock, String) {
        use std::io::BufRead;
        let exe = std::env::current_exe().expect("the benchmark knows its path");
        let binary = exe
            .parent()
            .and_then(|deps| deps.parent())
            .map(|dir| dir.join("sambanova-agents-mock"))
            .filter(|path| path.exists())
            .expect("build the mock first: cargo build --release -p sambanova-agents-mock");
        let mut child = std::process::Command::new(binary)
            .args(["--bind", "127.0.0.1:0", "--until-stdin-closes"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the mock binary starts");
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let url = std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .take(10)
            .find_map(|line| {
                line.strip_prefix("agents API base URL: ")
                    .map(str::to_owned)
            })
            .expect("the mock prints its Agents URL");
        (
            Mock::Process {
                child,
                _stdin: stdin,
            },
            url,
        )
    }
}

/// The two clients under comparison, aimed at one mock.
struct Contenders {
    // Kept alive for the clients; dropping it stops the server.
    _mock: Mock,
    sdk: Client,
    plain: reqwest::Client,
    /// A second plain client, for the control side: its own pool and connections.
    control: reqwest::Client,
    plain_url: String,
    plain_body: Value,
}

impl Contenders {
    async fn start() -> Contenders {
        let mock = MockServer::start()
            .await
            .expect("the mock binds a loopback port");
        let url = mock.agents_url();
        Contenders::aimed_at(Mock::InProcess { _server: mock }, url)
    }

    fn aimed_at(mock: Mock, agents_url: String) -> Contenders {
        let sdk = Client::builder()
            .api_key(TEST_API_KEY)
            .base_url(&agents_url)
            .build()
            .expect("a loopback base URL and a UUID key are valid");
        let plain = || {
            reqwest::Client::builder()
                .build()
                .expect("a default reqwest client builds")
        };
        Contenders {
            plain_url: format!("{agents_url}/agent/coding/interactive"),
            plain_body: json!({"code": CODE, "prompt": PROMPT, "resume": false}),
            _mock: mock,
            sdk,
            plain: plain(),
            control: plain(),
        }
    }

    async fn sdk_call(&self) -> usize {
        let outcome = self
            .sdk
            .coding()
            .interactive(CODE, PROMPT)
            .await
            .expect("the mock answers a valid coding call");
        match outcome {
            AgentOutcome::Completed(completion) => completion.text().len(),
            other => panic!("the mock completes coding calls, got {other:?}"),
        }
    }

    async fn plain_call(&self) -> usize {
        self.plain_call_with(&self.plain, None).await
    }

    /// Plain `reqwest` with a per-request timeout of the SDK's 600 s (never reached): reqwest
    /// then keeps the timeout in the request's extensions, boxes a timer and boxes the body
    /// again to watch it, per request.
    async fn plain_call_with_timeout(&self) -> usize {
        self.plain_call_with(&self.plain, Some(SDK_TIMEOUT)).await
    }

    /// The plain call again, on the second client: the same code as the plain side.
    async fn control_call(&self) -> usize {
        self.plain_call_with(&self.control, None).await
    }

    async fn plain_call_with(&self, client: &reqwest::Client, timeout: Option<Duration>) -> usize {
        let mut request = client
            .post(&self.plain_url)
            .bearer_auth(TEST_API_KEY)
            .json(&self.plain_body);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        let response = request.send().await.expect("the mock is reachable");
        assert!(response.status().is_success(), "{}", response.status());
        let value: Value = response.json().await.expect("the mock answers JSON");
        value["result"].as_str().map_or(0, str::len)
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// `cargo bench` passes `--bench`; without it (`cargo test --benches`) the targets only
/// need to prove they run, so the hand-rolled loops shrink.
fn measuring() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// `default` under `cargo bench`, `quick` otherwise; the environment overrides both.
fn setting(name: &str, default: usize, quick: usize) -> usize {
    if !measuring() {
        return quick;
    }
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|&value| value > 0)
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// Whether this run measures the mock in its own process (and nothing else).
fn own_process_mode() -> bool {
    std::env::var("AGENT_CALL_MOCK").as_deref() == Ok("process")
}

fn sequential(c: &mut Criterion) {
    if own_process_mode() {
        return;
    }
    let runtime = runtime();
    let contenders = runtime.block_on(Contenders::start());
    // The same answer on both sides, or the comparison is meaningless.
    let (sdk_len, plain_len) =
        runtime.block_on(async { (contenders.sdk_call().await, contenders.plain_call().await) });
    assert_eq!(sdk_len, plain_len, "both sides read the same result");

    let mut group = c.benchmark_group("agent_call/sequential");
    group.bench_function("sdk", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(contenders.sdk_call().await) })
    });
    group.bench_function("plain_reqwest", |b| {
        b.to_async(&runtime)
            .iter(|| async { black_box(contenders.plain_call().await) })
    });
    group.finish();
}

/// The sides compared by the hand-rolled loops, in the order they are printed (the
/// in-process loops take the first three; the own-process rounds add the control).
const SIDES: [&str; 4] = ["sdk", "plain", "plain+timeout", "control"];
/// How many of [`SIDES`] the in-process loops compare.
const IN_PROCESS_SIDES: usize = 3;

impl Contenders {
    async fn call(&self, side: usize) -> usize {
        match side {
            0 => self.sdk_call().await,
            1 => self.plain_call().await,
            2 => self.plain_call_with_timeout().await,
            _ => self.control_call().await,
        }
    }
}

fn latency_percentiles(_: &mut Criterion) {
    if own_process_mode() {
        return;
    }
    let runtime = runtime();
    let samples = setting("AGENT_CALL_SAMPLES", 5000, 8);
    let mut timings = runtime.block_on(async {
        let contenders = Contenders::start().await;
        for _ in 0..samples.min(500) {
            for side in 0..IN_PROCESS_SIDES {
                black_box(contenders.call(side).await);
            }
        }
        let mut timings: Vec<Vec<Duration>> = (0..IN_PROCESS_SIDES)
            .map(|_| Vec::with_capacity(samples))
            .collect();
        for _ in 0..samples {
            for (side, timing) in timings.iter_mut().enumerate() {
                let started = Instant::now();
                black_box(contenders.call(side).await);
                timing.push(started.elapsed());
            }
        }
        timings
    });
    for timing in &mut timings {
        timing.sort_unstable();
    }
    println!("\nagent_call/percentiles: {samples} sequential calls per side, interleaved");
    println!(
        "{:<6} {:>10} {:>10} {:>18} {:>10} {:>20}",
        "", "sdk µs", "plain µs", "plain+timeout µs", "sdk/plain", "sdk/(plain+timeout)"
    );
    for (label, fraction) in [("p50", 0.50), ("p90", 0.90), ("p99", 0.99)] {
        let [sdk, plain, timed] =
            [0, 1, 2].map(|side| micros(percentile(&timings[side], fraction)));
        println!(
            "{label:<6} {sdk:>10.1} {plain:>10.1} {timed:>18.1} {:>10.3} {:>20.3}",
            sdk / plain,
            sdk / timed
        );
    }
}

async fn batch<F, Fut>(calls: usize, call: F) -> f64
where
    F: Fn() -> Fut,
    Fut: Future<Output = usize>,
{
    let started = Instant::now();
    let done = stream::iter(0..calls)
        .map(|_| call())
        .buffer_unordered(CONCURRENCY)
        .fold(0usize, |done, _| async move { done + 1 })
        .await;
    assert_eq!(done, calls);
    calls as f64 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn concurrent_throughput(_: &mut Criterion) {
    if own_process_mode() {
        return;
    }
    let runtime = runtime();
    let calls = setting("AGENT_CALL_BATCH", 5000, 64);
    let rounds = setting("AGENT_CALL_ROUNDS", 9, 1);
    let rates = runtime.block_on(async {
        let contenders = Contenders::start().await;
        // Warm-up: every pool opens its 64 connections.
        for side in 0..IN_PROCESS_SIDES {
            batch(CONCURRENCY * 4, || contenders.call(side)).await;
        }
        let mut rates = vec![Vec::new(); IN_PROCESS_SIDES];
        for _ in 0..rounds {
            for (side, rate) in rates.iter_mut().enumerate() {
                rate.push(batch(calls, || contenders.call(side)).await);
            }
        }
        rates
    });
    println!(
        "\nagent_call/throughput: {calls} calls, {CONCURRENCY} in flight, {rounds} rounds per side, alternating"
    );
    for (side, rate) in SIDES.iter().zip(&rates) {
        println!("  {side:<14} rounds (calls/s): {rate:.0?}");
    }
    let [sdk, plain, timed] = [0, 1, 2].map(|side| median(rates[side].clone()));
    println!(
        "  median calls/s: sdk {sdk:.0}, plain {plain:.0}, plain+timeout {timed:.0}; sdk/plain {:.3}, sdk/(plain+timeout) {:.3}",
        sdk / plain,
        sdk / timed
    );
}

/// This process's CPU time (user and system), which is the client's when the mock runs in its
/// own process.
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes one `rusage` into the zeroed value it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// One round of `calls` calls of one side, `in_flight` at a time: (calls/s, CPU µs per call).
async fn measured_round(
    contenders: &Contenders,
    side: usize,
    calls: usize,
    in_flight: usize,
) -> (f64, f64) {
    let cpu = cpu_time();
    let started = Instant::now();
    let done = stream::iter(0..calls)
        .map(|_| contenders.call(side))
        .buffer_unordered(in_flight)
        .fold(0usize, |done, _| async move { done + 1 })
        .await;
    assert_eq!(done, calls);
    let wall = started.elapsed().as_secs_f64();
    let cpu = (cpu_time() - cpu).as_secs_f64();
    (calls as f64 / wall, cpu * 1e6 / calls as f64)
}

fn own_process(_: &mut Criterion) {
    if !own_process_mode() {
        return;
    }
    let runtime = runtime();
    let calls = setting("AGENT_CALL_BATCH", 2000, 64);
    let rounds = setting("AGENT_CALL_ROUNDS", 21, 1);
    let (mock, url) = Mock::process();
    let contenders = Contenders::aimed_at(mock, url);
    if let Ok(only) = std::env::var("AGENT_CALL_ONLY") {
        return one_side(&runtime, &contenders, &only, calls);
    }
    let sides = SIDES.len();
    for (label, in_flight) in [("sequential", 1), ("64 in flight", CONCURRENCY)] {
        let results = runtime.block_on(async {
            for side in 0..sides {
                measured_round(&contenders, side, CONCURRENCY * 4, in_flight).await;
            }
            // Each round runs every side, in turns, the first side moving on by one each
            // round: no side always inherits another's warm (or cold) runtime, pool and mock.
            let mut results = vec![Vec::new(); sides];
            for round in 0..rounds {
                for turn in 0..sides {
                    let side = (round + turn) % sides;
                    results[side].push(measured_round(&contenders, side, calls, in_flight).await);
                }
            }
            results
        });
        // The median over the rounds of one side's figure against another's in the same round.
        let ratio = |side: usize, base: usize, figure: fn(&(f64, f64)) -> f64| {
            median(
                (0..rounds)
                    .map(|round| figure(&results[side][round]) / figure(&results[base][round]))
                    .collect(),
            )
        };
        let rate = |r: &(f64, f64)| r.0;
        let cpu = |r: &(f64, f64)| r.1;
        println!(
            "\nagent_call/own_process {label}: {calls} calls x {rounds} rounds per side, in turns (the first side moving on each round); mock in its own process"
        );
        for (side, name) in SIDES.iter().enumerate() {
            println!(
                "  {name:<14} {:>6.0} calls/s, {:>6.1} µs client CPU per call",
                median(results[side].iter().map(rate).collect()),
                median(results[side].iter().map(cpu).collect()),
            );
        }
        println!(
            "  median per-round ratios: CPU per call sdk/plain {:.3}, throughput sdk/plain {:.3}",
            ratio(0, 1, cpu),
            ratio(0, 1, rate)
        );
        // How far one round's control strays: what a single round, rather than the median,
        // could be trusted to.
        let spread = (0..rounds).map(|round| cpu(&results[3][round]) / cpu(&results[1][round]));
        let (low, high) = spread.fold((f64::MAX, f64::MIN), |(low, high), r| {
            (low.min(r), high.max(r))
        });
        println!(
            "  sdk/(plain+timeout): CPU {:.3}, throughput {:.3}; control/plain (the noise): CPU {:.3} ({low:.2}–{high:.2} in single rounds), throughput {:.3}",
            ratio(0, 2, cpu),
            ratio(0, 2, rate),
            ratio(3, 1, cpu),
            ratio(3, 1, rate)
        );
    }
}

/// One side alone (`AGENT_CALL_ONLY`), for a profiler: a warm-up, then `calls` calls.
fn one_side(runtime: &tokio::runtime::Runtime, contenders: &Contenders, only: &str, calls: usize) {
    let side = SIDES
        .iter()
        .position(|name| *name == only)
        .unwrap_or_else(|| panic!("AGENT_CALL_ONLY is one of {SIDES:?}, not {only:?}"));
    let in_flight = setting("AGENT_CALL_IN_FLIGHT", 1, 1);
    let (rate, cpu) = runtime.block_on(async {
        measured_round(contenders, side, CONCURRENCY * 4, in_flight).await;
        measured_round(contenders, side, calls, in_flight).await
    });
    println!(
        "\nagent_call/own_process {only} alone: {calls} calls, {in_flight} in flight: {rate:.0} calls/s, {cpu:.1} µs client CPU per call"
    );
}

criterion_group!(
    benches,
    sequential,
    latency_percentiles,
    concurrent_throughput,
    own_process
);
criterion_main!(benches);
