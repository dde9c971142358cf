//! Errors and retries: what the default policy retries by itself (shown by `on_retry`), what it
//! gives back, and how to branch on `Error::kind()` and `Error::is_retryable()`.
//!
//! Each step makes the embedded mock misbehave once, on `POST /api/agent/mainagent`:
//! 1. two 503s: both retried, the call succeeds;
//! 2. a 429 asking for 30 s, on a call with a 2 s deadline: the retry could not finish in
//!    time, so the 429 comes back at once instead of after 30 s;
//! 3. a 500: not retried (the agent may have run), and not retryable;
//! 4. no answer at all, on a call with a 200 ms timeout: a timeout.
//!
//! `cargo run -p sambanova-agents --example errors_and_retries`

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sambanova_agents::{CallOptions, Client, Error, ErrorKind, HumanDuration, RetryEvent};
use sambanova_agents_mock::{Fault, FaultRule, MockServer, TEST_API_KEY};

const AGENT_PATH: &str = "/api/agent/mainagent";

/// What one step did: the call's answer, and the retries made on the way.
struct Step {
    name: &'static str,
    result: Result<String, Error>,
    retries: Vec<RetryEvent>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockServer::start().await?;
    for step in run(&mock).await? {
        println!("{} ({} retries)", step.name, step.retries.len());
        match &step.result {
            Ok(answer) => println!("  ok: {answer}"),
            Err(error) => println!("  {error}\n  -> {}", advice(error)),
        }
    }
    Ok(())
}

/// What to do about an error, decided on its kind: the SDK has already made the retries its
/// policy allows, so a retryable error here means "later", not "now".
fn advice(error: &Error) -> String {
    if let Error::RateLimited {
        retry_after: Some(wait),
        ..
    } = error
    {
        return format!("rate limited: try again in {}", HumanDuration(*wait));
    }
    match error.kind() {
        ErrorKind::RateLimited => "rate limited: try again later".into(),
        ErrorKind::Server if error.is_retryable() => {
            "a proxy failed before the agent ran: safe to send again".into()
        }
        ErrorKind::Server => format!(
            "the agent failed and may have run: check before sending again (request id {})",
            error.request_id().unwrap_or("none")
        ),
        ErrorKind::Authentication => "check SAMBANOVA_API_KEY".into(),
        ErrorKind::Timeout => "no answer in time: raise the timeout or the deadline".into(),
        ErrorKind::Connection => "cannot reach the server: check the network".into(),
        _ => "see the message".into(),
    }
}

async fn run(mock: &MockServer) -> Result<Vec<Step>, Error> {
    let retries = Arc::new(Mutex::new(Vec::new()));
    let seen = retries.clone();
    let client = Client::builder()
        .api_key(TEST_API_KEY)
        .base_url(mock.agents_url())
        .on_retry(move |event| {
            eprintln!(
                "  retry: attempt {} failed ({}), waiting {:.0?}",
                event.attempt, event.reason, event.wait
            );
            seen.lock().unwrap().push(event.clone());
        })
        .build()?;

    let steps = [
        ("two 503s", Fault::status(503), 2, CallOptions::new()),
        (
            "a 429 asking for 30 s, with a 2 s deadline",
            Fault::too_many_requests_after_secs(30),
            1,
            CallOptions::new().deadline(Duration::from_secs(2)),
        ),
        ("a 500", Fault::status(500), 1, CallOptions::new()),
        (
            "no answer, with a 200 ms timeout",
            Fault::Stall,
            1,
            CallOptions::new().timeout(Duration::from_millis(200)),
        ),
    ];
    let mut done = Vec::new();
    for (name, fault, times, options) in steps {
        mock.faults()
            .add(FaultRule::new("POST", AGENT_PATH, fault).times(times));
        let result = match client
            .main_agent()
            .options(options)
            .run("What is an RDU?")
            .await
        {
            Ok(outcome) => outcome.into_completion().map(|done| done.text().to_owned()),
            Err(error) => Err(error),
        };
        let retries = std::mem::take(&mut *retries.lock().unwrap());
        done.push(Step {
            name,
            result,
            retries,
        });
    }
    Ok(done)
}

#[cfg(test)]
#[tokio::test]
async fn each_failure_is_retried_or_returned_as_its_kind() {
    let mock = MockServer::start().await.unwrap();
    let steps = run(&mock).await.unwrap();
    let [unavailable, rate_limited, failed, stalled] = &steps[..] else {
        panic!("four steps");
    };

    assert!(unavailable.result.is_ok());
    let attempts: Vec<u32> = unavailable
        .retries
        .iter()
        .map(|retry| retry.attempt)
        .collect();
    assert_eq!(attempts, [1, 2]);
    assert!(
        unavailable.retries[0].reason.contains("503"),
        "{}",
        unavailable.retries[0].reason
    );

    let error = rate_limited.result.as_ref().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert!(error.is_retryable());
    assert!(rate_limited.retries.is_empty(), "no wait past the deadline");
    assert_eq!(advice(error), "rate limited: try again in 30 s");

    let error = failed.result.as_ref().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Server);
    assert!(!error.is_retryable() && failed.retries.is_empty());

    let error = stalled.result.as_ref().unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(
        stalled.retries.is_empty(),
        "a request that may have reached the agent is not sent again"
    );
    assert_eq!(mock.requests("POST", AGENT_PATH), 3 + 1 + 1 + 1);
}
