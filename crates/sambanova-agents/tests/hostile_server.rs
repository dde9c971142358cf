//! A server that means harm, or is badly broken: file names that try to leave the download
//! directory, bodies that never end, headers that never end, a body shorter than announced,
//! a body that stops halfway, an answer that never comes.
//! httpmock serves what it can; a raw `TcpListener` writes what no HTTP library would.

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use httpmock::Method::GET;
use sambanova_agents::{Client, Coding, Error, RetryPolicy};
use support::{names_in, raw_server, recording_server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY: &str = "00000000-0000-4000-8000-000000000000";
const FILE_BYTES: &[u8] = b"payload";
/// Only for the cases whose point is that the client gives up, and as the time an attempt
/// that is answered surely has; a guard, never asserted on.
const TIMEOUT: Duration = Duration::from_secs(2);

/// The tests' client, with this file's limits: a timeout and a bound on a response's size.
fn limited_client(base_url: &str) -> Client {
    support::client_builder(base_url, KEY)
        .timeout(TIMEOUT)
        .max_response_bytes(1024 * 1024)
        .build()
        .expect("client builds")
}

/// Serves one file whose `Content-Disposition` is `disposition`, saves it into a fresh
/// directory inside a fresh parent, and checks that the file landed in that directory and
/// nothing else appeared in either. Returns the saved file's name.
async fn save_with_disposition(disposition: &str) -> String {
    let server = httpmock::MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/agent/files/file-1");
            then.status(200)
                .header("content-type", "application/octet-stream")
                .header("content-disposition", disposition)
                .body(FILE_BYTES);
        })
        .await;
    let parent = tempfile::tempdir().expect("temp dir");
    let dir = parent.path().join("downloads");
    let saved = limited_client(&server.base_url())
        .files()
        .save("file-1", &dir)
        .await
        .unwrap_or_else(|error| panic!("{disposition:?}: {error}"));
    mock.assert_async().await;

    let canonical_dir = dir.canonicalize().expect("dir exists");
    let canonical_file = saved.path.canonicalize().expect("file exists");
    assert_eq!(
        canonical_file.parent(),
        Some(canonical_dir.as_path()),
        "{disposition:?} was saved as {}",
        saved.path.display()
    );
    assert_eq!(std::fs::read(&saved.path).expect("read"), FILE_BYTES);
    assert_eq!(
        names_in(parent.path()),
        vec!["downloads".to_owned()],
        "{disposition:?}: something appeared next to the download directory"
    );
    let inside = names_in(&dir);
    assert_eq!(inside.len(), 1, "{disposition:?}: {inside:?}");
    inside.into_iter().next().expect("one file")
}

#[tokio::test]
async fn relative_traversal_stays_inside() {
    assert_eq!(
        save_with_disposition(r#"attachment; filename="../x""#).await,
        "x"
    );
    assert_eq!(
        save_with_disposition(r#"attachment; filename="..%2F..%2F..%2Fx""#).await,
        "x"
    );
}

#[tokio::test]
async fn absolute_paths_stay_inside() {
    // A writable place outside the download directory: a bug would really write there.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let outside = elsewhere.path().join("escaped.txt");
    let disposition = format!(r#"attachment; filename="{}""#, outside.display());
    let name = save_with_disposition(&disposition).await;
    assert!(!outside.exists(), "{} was written", outside.display());
    assert_eq!(
        Some(name.as_str()),
        outside.file_name().and_then(|n| n.to_str())
    );
    assert_eq!(
        save_with_disposition(r#"attachment; filename="/etc/x""#).await,
        "x"
    );
}

#[tokio::test]
async fn windows_paths_stay_inside() {
    // Backslashes arrive percent-encoded (a quoted string would take `\x` as an escape).
    assert_eq!(
        save_with_disposition(r#"attachment; filename="C:%5Cx""#).await,
        "x"
    );
    assert_eq!(
        save_with_disposition(r#"attachment; filename="..%5C..%5Cx""#).await,
        "x"
    );
    assert_eq!(
        save_with_disposition(r#"attachment; filename="C:\x""#).await,
        "C_x"
    );
    assert_eq!(
        save_with_disposition(r#"attachment; filename="%5C%5Cserver%5Cshare%5Cx""#).await,
        "x"
    );
}

#[tokio::test]
async fn nul_and_control_characters_are_dropped() {
    assert_eq!(
        save_with_disposition(r#"attachment; filename="a%00b%07c%1B[31md%0A%0D.txt""#).await,
        "abc[31md.txt"
    );
    // Bidirectional overrides would make `gnp.exe` display as `exe.png`.
    assert_eq!(
        save_with_disposition(r#"attachment; filename="%E2%80%AEgnp.exe""#).await,
        "gnp.exe"
    );
}

#[tokio::test]
async fn a_ten_thousand_character_name_is_shortened() {
    let long = "n".repeat(10_000);
    let name = save_with_disposition(&format!(r#"attachment; filename="{long}.csv""#)).await;
    assert!(
        name.len() <= sambanova_agents::filename::MAX_FILE_NAME_BYTES,
        "{}",
        name.len()
    );
    assert!(name.ends_with(".csv"), "{name}");
}

#[tokio::test]
async fn rfc5987_traversal_stays_inside() {
    assert_eq!(
        save_with_disposition("attachment; filename*=UTF-8''..%2F..%2Fx").await,
        "x"
    );
    // `filename*` wins over `filename`, and is sanitised just the same.
    assert_eq!(
        save_with_disposition(r#"attachment; filename="ok.txt"; filename*=UTF-8''%2Fetc%2Fx"#)
            .await,
        "x"
    );
}

#[tokio::test]
async fn a_name_with_nothing_usable_falls_back_to_the_file_id() {
    assert_eq!(
        save_with_disposition(r#"attachment; filename="..""#).await,
        "file-1"
    );
    assert_eq!(
        save_with_disposition(r#"attachment; filename="%00%01/""#).await,
        "file-1"
    );
}

/// Regression (fuzz: content_disposition): Windows reserves `COM¹`-`COM³` and `LPT¹`-`LPT³`
/// like `COM1`; they used to pass through unchanged.
#[tokio::test]
async fn windows_device_names_with_superscript_digits_are_defused() {
    assert_eq!(
        save_with_disposition("attachment; filename*=UTF-8''COM%C2%B9.txt").await,
        "_COM¹.txt"
    );
    assert_eq!(
        save_with_disposition(r#"attachment; filename="lpt%C2%B3""#).await,
        "_lpt³"
    );
    assert_eq!(
        save_with_disposition(r#"attachment; filename="NUL.tar.gz""#).await,
        "_NUL.tar.gz"
    );
}

// ---- raw servers ----

#[tokio::test]
async fn an_endless_chunked_body_is_response_too_large_and_reading_stops() {
    let written = Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    let (url, _) = raw_server(move |mut stream| {
        let counter = counter.clone();
        async move {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
            // Ends when the client hangs up.
            while stream.write_all(chunk.as_bytes()).await.is_ok() {
                counter.fetch_add(0x10000, Ordering::SeqCst);
            }
        }
    })
    .await;
    match limited_client(&url).coding().run("print(1)", "run").await {
        Err(Error::ResponseTooLarge { limit, .. }) => assert_eq!(limit, 1024 * 1024),
        other => panic!("expected response too large, got {other:?}"),
    }
    // What was sent before the client stopped reading: the limit plus what socket buffers
    // hold, nowhere near "forever".
    assert!(
        written.load(Ordering::SeqCst) < 64 * 1024 * 1024,
        "{} bytes sent",
        written.load(Ordering::SeqCst)
    );
}

#[tokio::test]
async fn an_endless_body_until_close_is_response_too_large() {
    let (url, _) = raw_server(|mut stream| async move {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b' '; 0x10000];
        while stream.write_all(&chunk).await.is_ok() {}
    })
    .await;
    match limited_client(&url).coding().run("print(1)", "run").await {
        Err(Error::ResponseTooLarge { limit, .. }) => assert_eq!(limit, 1024 * 1024),
        other => panic!("expected response too large, got {other:?}"),
    }
}

#[tokio::test]
async fn a_huge_declared_length_is_refused_before_reading() {
    let (url, _) = raw_server(|mut stream| async move {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000000000\r\n\r\n{";
        let _ = stream.write_all(head.as_bytes()).await;
        // Then nothing: a client that waited for the body would hang until its timeout.
        let mut sink = [0u8; 1];
        let _ = stream.read(&mut sink).await;
    })
    .await;
    match limited_client(&url).coding().run("print(1)", "run").await {
        Err(Error::ResponseTooLarge { limit, .. }) => assert_eq!(limit, 1024 * 1024),
        other => panic!("expected response too large, got {other:?}"),
    }
}

#[tokio::test]
async fn an_endless_header_section_is_a_typed_error() {
    let (url, _) = raw_server(|mut stream| async move {
        if stream.write_all(b"HTTP/1.1 200 OK\r\n").await.is_err() {
            return;
        }
        let mut n = 0u64;
        loop {
            n += 1;
            let line = format!("x-filler-{n}: {}\r\n", "a".repeat(64));
            if stream.write_all(line.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await;
    let outcome = tokio::time::timeout(
        TIMEOUT * 10,
        limited_client(&url).coding().run("print(1)", "run"),
    )
    .await
    .expect("the client gave up by itself");
    match outcome {
        // hyper's limit on the response head ("message head is too large").
        Err(Error::Connection {
            maybe_delivered, ..
        }) => assert!(maybe_delivered),
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_endless_header_line_is_a_typed_error() {
    let (url, _) = raw_server(|mut stream| async move {
        if stream
            .write_all(b"HTTP/1.1 200 OK\r\nx-long: ")
            .await
            .is_err()
        {
            return;
        }
        let filler = vec![b'a'; 0x10000];
        while stream.write_all(&filler).await.is_ok() {}
    })
    .await;
    let outcome = tokio::time::timeout(
        TIMEOUT * 10,
        limited_client(&url).files().download("file-1"),
    )
    .await
    .expect("the client gave up by itself");
    match outcome {
        // hyper's limit on the response head ("message head is too large").
        Err(Error::Connection {
            maybe_delivered, ..
        }) => assert!(maybe_delivered),
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_body_shorter_than_its_length_leaves_no_file_behind() {
    let (url, connections) = raw_server(|mut stream| async move {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-disposition: attachment; filename=\"data.csv\"\r\ncontent-length: 1000\r\n\r\nonly ten b";
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
    let parent = tempfile::tempdir().expect("temp dir");
    let dir: PathBuf = parent.path().join("downloads");
    match limited_client(&url).files().save("file-1", &dir).await {
        Err(Error::Connection {
            maybe_delivered, ..
        }) => assert!(maybe_delivered),
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert_eq!(
        names_in(&dir),
        Vec::<String>::new(),
        "a partial file was left"
    );
    assert_eq!(names_in(parent.path()), vec!["downloads".to_owned()]);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        5,
        "the idempotent policy downloads again 4 times"
    );
}

/// A coding call, set up by `configure`, against a server that answers with a head and half
/// its body, then holds the connection open, silent. Returns the call's error and how many
/// connections the server answered.
async fn coding_against_half_a_body(configure: impl FnOnce(Coding) -> Coding) -> (Error, u64) {
    let (url, connections) = raw_server(|mut stream| async move {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 40\r\n\r\n{\"status\": \"completed\",";
        let _ = stream.write_all(head.as_bytes()).await;
        std::future::pending::<()>().await;
        drop(stream);
    })
    .await;
    let error = configure(limited_client(&url).coding())
        .interactive("print(1)", "run it")
        .await
        .unwrap_err();
    (error, connections.load(Ordering::SeqCst))
}

#[tokio::test]
async fn a_body_that_stops_halfway_times_out_within_the_attempts_time_and_is_not_asked_again() {
    let attempt = Duration::from_millis(300);
    let (error, connections) = coding_against_half_a_body(|coding| coding.timeout(attempt)).await;
    match error {
        Error::Timeout {
            after,
            attempts,
            ref operation,
        } => {
            assert_eq!(after, attempt, "the attempt's time, body included");
            assert_eq!(attempts, 1);
            assert_eq!(operation, "coding_interactive");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(connections, 1, "a run is not sent twice");
}

#[tokio::test]
async fn a_body_that_stops_halfway_ends_at_the_calls_deadline_when_that_comes_first() {
    let deadline = Duration::from_millis(300);
    let (error, connections) = coding_against_half_a_body(|coding| {
        coding.timeout(Duration::from_secs(600)).deadline(deadline)
    })
    .await;
    assert!(
        matches!(error, Error::Timeout { after, attempts: 1, .. } if after == deadline),
        "{error:?}"
    );
    assert_eq!(connections, 1);
}

#[tokio::test]
async fn an_attempt_that_times_out_is_retried_when_the_policy_allows_with_its_own_full_time() {
    let seen = Arc::new(AtomicU64::new(0));
    let connection = seen.clone();
    let (url, connections) = raw_server(move |mut stream| {
        let first = connection.fetch_add(1, Ordering::SeqCst) == 0;
        async move {
            if first {
                // Silent, open: the first attempt can only time out.
                std::future::pending::<()>().await;
            }
            let body = r#"{"status": "completed", "result": "done"}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    })
    .await;
    let reasons = Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = reasons.clone();
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&url)
        .on_retry(move |event| heard.lock().unwrap().push(event.reason.clone()))
        .build()
        .expect("client builds");
    // Generous: the second attempt must answer within it however loaded the machine is.
    let outcome = client
        .coding()
        .timeout(TIMEOUT)
        .retry(RetryPolicy::idempotent().initial_backoff(Duration::from_millis(1)))
        .interactive("print(1)", "run it")
        .await
        .expect("the second attempt, given its own time, gets the answer");
    let completion = outcome.into_completion().expect("a completed run");
    assert_eq!(completion.text(), "done");
    assert_eq!(connections.load(Ordering::SeqCst), 2);
    assert_eq!(
        *reasons.lock().unwrap(),
        vec!["the attempt timed out".to_owned()]
    );
}

#[tokio::test]
async fn a_redirect_to_another_server_does_not_take_the_key_or_secret_headers_along() {
    let (elsewhere, seen) = recording_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".to_owned(),
    )
    .await;
    let (server, _) = recording_server(format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {elsewhere}/steal\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    ))
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(format!("{server}/api"))
        .header("x-team-secret", "team-canary-5b1")
        .download_retry(RetryPolicy::none())
        .build()
        .expect("client builds");
    let outcome = client.files().download("file-1").await;
    let heads = seen
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    for head in &heads {
        let lower = head.to_ascii_lowercase();
        assert!(
            !lower.contains(KEY),
            "the key went to another server:\n{head}"
        );
        assert!(
            !lower.contains("team-canary-5b1"),
            "a secret header went to another server:\n{head}"
        );
    }
    assert!(
        heads.is_empty(),
        "the request was sent elsewhere: {heads:?}"
    );
    match outcome {
        Err(error) => assert_eq!(error.status().map(|s| s.as_u16()), Some(307), "{error:?}"),
        Ok(download) => panic!("a cross-origin redirect was followed: {download:?}"),
    }
}

#[tokio::test]
async fn a_redirect_on_the_same_server_is_followed() {
    let server = httpmock::MockServer::start_async().await;
    let moved = server
        .mock_async(|when, then| {
            when.method(GET).path("/agent/files/file-1");
            then.status(307)
                .header("location", server.url("/agent/files/file-1/"));
        })
        .await;
    let target = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/agent/files/file-1/")
                .header("authorization", format!("Bearer {KEY}"));
            then.status(200).body(FILE_BYTES);
        })
        .await;
    let download = limited_client(&server.base_url())
        .files()
        .download("file-1")
        .await
        .expect("followed");
    assert_eq!(&download.bytes().await.expect("body")[..], FILE_BYTES);
    moved.assert_async().await;
    target.assert_async().await;
}
