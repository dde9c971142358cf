//! `Files::save` when the body is cut: it resumes with `Range` where the server serves byte
//! ranges, starts over where it does not (or answers the range with the whole file), refuses a
//! partial answer that is not the rest of the file, and leaves no partial file behind, not even
//! when the save is cancelled.

mod support;

use support::client;

use std::time::Duration;

use sambanova_agents::{Client, Error, RetryPolicy};
use sambanova_agents_mock::{Fault, FaultRule, MockServer, TEST_API_KEY};
use support::{Then, names_in, scripted_server, scripted_server_then};

const KEY: &str = "00000000-0000-4000-8000-000000000000";
const FILE: &str = "0123456789";

/// A 200 head for the whole file, with `extra` headers, announcing `FILE`'s length.
fn whole_head(extra: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n\
         content-disposition: attachment; filename=\"digits.txt\"\r\n\
         content-length: {}\r\n{extra}connection: close\r\n\r\n",
        FILE.len()
    )
}

/// The first answer of every case: the whole file offered with ranges, cut after 4 bytes.
fn cut_after_four() -> String {
    format!(
        "{}{}",
        whole_head("accept-ranges: bytes\r\netag: \"v1\"\r\n"),
        &FILE[..4]
    )
}

fn partial(content_range: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 206 Partial Content\r\ncontent-type: application/octet-stream\r\n\
         content-range: {content_range}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn header<'a>(request: &'a str, name: &str) -> Option<&'a str> {
    request.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// Saves `file-1` from a server answering `responses` in turn; gives back the one file saved
/// (checked to be alone in its directory: no partial file left) and the requests read.
async fn saved_from(responses: Vec<String>) -> (String, Vec<String>) {
    let (url, server) = scripted_server(responses).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = client(&url, KEY)
        .files()
        .save("file-1", dir.path())
        .await
        .expect("saved");
    assert_eq!(names_in(dir.path()), ["digits.txt"]);
    let text = std::fs::read_to_string(&saved.path).expect("read");
    (text, server.await.expect("server"))
}

#[tokio::test]
async fn a_cut_download_resumes_from_where_it_was_cut() {
    let (url, server) =
        scripted_server(vec![cut_after_four(), partial("bytes 4-9/10", &FILE[4..])]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut seen = Vec::new();
    let saved = client(&url, KEY)
        .files()
        .save_with_progress("file-1", dir.path(), |done, total| seen.push((done, total)))
        .await
        .expect("saved");
    assert_eq!(std::fs::read_to_string(&saved.path).expect("read"), FILE);
    assert_eq!(saved.bytes, 10);
    assert_eq!(names_in(dir.path()), ["digits.txt"]);
    assert_eq!(seen.last(), Some(&(10, Some(10))));

    let requests = server.await.expect("server");
    assert_eq!(requests.len(), 2, "one GET, then one for the rest");
    assert_eq!(header(&requests[0], "range"), None);
    assert_eq!(header(&requests[1], "range"), Some("bytes=4-"));
    assert_eq!(header(&requests[1], "if-range"), Some("\"v1\""));
}

#[tokio::test]
async fn if_range_falls_back_to_last_modified_and_never_sends_a_weak_etag() {
    let first = format!(
        "{}{}",
        whole_head(
            "accept-ranges: bytes\r\netag: W/\"weak\"\r\nlast-modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n"
        ),
        &FILE[..4]
    );
    let (text, requests) = saved_from(vec![first, partial("bytes 4-9/10", &FILE[4..])]).await;
    assert_eq!(text, FILE);
    assert_eq!(
        header(&requests[1], "if-range"),
        Some("Tue, 01 Dec 2026 10:00:00 GMT")
    );
}

#[tokio::test]
async fn without_accept_ranges_a_cut_download_starts_over() {
    let first = format!("{}{}", whole_head(""), &FILE[..4]);
    let second = format!("{}{FILE}", whole_head(""));
    let (text, requests) = saved_from(vec![first, second]).await;
    assert_eq!(text, FILE);
    assert_eq!(header(&requests[1], "range"), None);
}

#[tokio::test]
async fn a_whole_file_answering_the_range_replaces_what_was_written() {
    // The file changed (If-Range no longer matches): the server sends all of the new one.
    let changed = "abcdefghij";
    let second = format!(
        "{}{changed}",
        whole_head("accept-ranges: bytes\r\netag: \"v2\"\r\n")
    );
    let (text, requests) = saved_from(vec![cut_after_four(), second]).await;
    assert_eq!(text, changed);
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn a_partial_answer_that_is_not_the_rest_of_the_file_is_refused() {
    for (what, answer) in [
        ("wrong start", partial("bytes 0-9/10", FILE)),
        ("another total", partial("bytes 4-10/11", "4567890")),
        ("a shorter range", partial("bytes 4-7/10", "4567")),
        ("an unknown total", partial("bytes 4-9/*", &FILE[4..])),
        (
            "no Content-Range",
            partial("", &FILE[4..]).replace("content-range: \r\n", ""),
        ),
        ("a sign in a number", partial("bytes +4-9/10", &FILE[4..])),
        (
            "a range that carries the key",
            partial(&format!("bytes 4-9/10 {KEY}"), &FILE[4..]),
        ),
        (
            "a length that is not the range's",
            partial("bytes 4-9/10", &FILE[4..]).replace("content-length: 6", "content-length: 5"),
        ),
    ] {
        let (url, _server) = scripted_server(vec![cut_after_four(), answer]).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let error = client(&url, KEY)
            .files()
            .save("file-1", dir.path())
            .await
            .expect_err(what);
        assert!(
            matches!(&error, Error::UnexpectedResponse { status, .. } if status.as_u16() == 206),
            "{what}: {error:?}"
        );
        // The server's header is never quoted: only what was parsed from it.
        assert!(!error.to_string().contains(KEY), "{what}: {error}");
        assert!(
            names_in(dir.path()).is_empty(),
            "{what}: {:?}",
            names_in(dir.path())
        );
    }
}

#[tokio::test]
async fn a_range_the_server_cannot_satisfy_starts_over() {
    let refused = "HTTP/1.1 416 Range Not Satisfiable\r\ncontent-range: bytes */10\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned();
    let whole = format!("{}{FILE}", whole_head("accept-ranges: bytes\r\n"));
    let (text, requests) = saved_from(vec![cut_after_four(), refused, whole]).await;
    assert_eq!(text, FILE);
    assert_eq!(header(&requests[2], "range"), None);
}

#[tokio::test]
async fn the_mock_resumes_a_download_cut_again_and_again() {
    let mock = MockServer::start().await.expect("mock");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let id = mock.put_file(TEST_API_KEY, "data.bin", bytes.clone());
    let path = format!("/api/agent/files/{id}");
    // The first answer and the next two resumes are each cut after 30,000 bytes.
    mock.faults().add(
        FaultRule::new(
            "GET",
            &path,
            Fault::CutBody {
                after_bytes: 30_000,
            },
        )
        .times(3),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = client(&mock.agents_url(), TEST_API_KEY)
        .files()
        .save(&id, dir.path())
        .await
        .expect("saved");
    assert_eq!(std::fs::read(&saved.path).expect("read"), bytes);
    assert_eq!(names_in(dir.path()), ["data.bin"]);
    assert_eq!(mock.requests("GET", &path), 4, "one GET and three resumes");
}

#[tokio::test]
async fn dropping_the_save_removes_the_partial_file() {
    // Four bytes of ten, then silence: the save waits on the body until it is cancelled.
    let (url, _server) = scripted_server_then(vec![(cut_after_four(), Then::HoldOpen)]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let files = client(&url, KEY).files();
    let target = dir.path().to_path_buf();
    let save = tokio::spawn(async move { files.save("file-1", &target).await });

    // Bounded: the partial file holds the four bytes long before this runs out.
    let mut written = false;
    for _ in 0..2_000 {
        written = std::fs::read_dir(dir.path()).expect("dir").any(|entry| {
            let entry = entry.expect("entry");
            entry.file_name().to_string_lossy().ends_with(".part")
                && entry.metadata().is_ok_and(|meta| meta.len() == 4)
        });
        if written {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        written,
        "the partial file was written: {:?}",
        names_in(dir.path())
    );

    save.abort();
    assert!(save.await.expect_err("cancelled").is_cancelled());
    assert!(
        names_in(dir.path()).is_empty(),
        "{:?}",
        names_in(dir.path())
    );
}

#[tokio::test]
async fn the_deadline_bounds_every_attempt_of_a_save() {
    // Every answer is cut, and the server never serves ranges: without the one deadline for
    // the whole save, each attempt would get the whole time again.
    let cut = format!("{}{}", whole_head(""), &FILE[..4]);
    let (url, server) = scripted_server(vec![cut; 5]).await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&url)
        .deadline(Duration::from_millis(1))
        .download_retry(RetryPolicy::idempotent().initial_backoff(Duration::from_secs(60)))
        .build()
        .expect("client builds");
    let dir = tempfile::tempdir().expect("tempdir");
    let error = client
        .files()
        .save("file-1", dir.path())
        .await
        .expect_err("cut");
    assert!(
        matches!(error, Error::Connection { .. } | Error::Timeout { .. }),
        "{error:?}"
    );
    assert!(names_in(dir.path()).is_empty());
    server.abort();
}
