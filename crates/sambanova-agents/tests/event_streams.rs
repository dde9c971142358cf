//! The one SSE connection under the three APIs, tried as a hostile or forgetful server would:
//! server hints of years are capped at the maximum backoff; the raw reader checks the content
//! type, watches for silence and drops replays exactly as the typed stream does; a replay of
//! 100,000 events already seen yields none of them again and loses none; a server that no
//! longer holds the last event id replays what it has, which is delivered.

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use sambanova_agents::sessions::{RawStreamOptions, SessionEvent, SessionsClient};
use sambanova_agents::{Error, RetryEvent, RetryPolicy};
use support::{SSE_HEAD, Then, deltas, scripted_server_then, session_event, turn_end};

const SID: &str = "31d0232d-0000-4000-8000-000000000000";
const MAX_BACKOFF: Duration = Duration::from_millis(20);

/// A client with short waits, recording every wait it announces.
fn quick_client(url: &str) -> (SessionsClient, Arc<Mutex<Vec<RetryEvent>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let seen = waits.clone();
    let client = SessionsClient::builder()
        .base_url(url)
        .retry(RetryPolicy::none())
        .reconnect_backoff(Duration::from_millis(1), MAX_BACKOFF)
        .max_reconnect_attempts(Some(3))
        .stall_timeout(Duration::from_millis(300))
        .on_retry(move |event| seen.lock().unwrap().push(event.clone()))
        .build()
        .unwrap();
    (client, waits)
}

fn stream_url(url: &str) -> String {
    format!("{url}/api/v1/sessions/{SID}/stream")
}

async fn ids_of_typed(
    mut events: impl Stream<Item = Result<SessionEvent, Error>> + Unpin,
) -> (Vec<String>, Option<Error>) {
    let mut ids = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => ids.push(event.id),
            Err(error) => return (ids, Some(error)),
        }
    }
    (ids, None)
}

async fn ids_of_raw(
    events: impl Stream<Item = Result<sambanova_agents::sse::Event, Error>>,
) -> (Vec<String>, Option<Error>) {
    futures_util::pin_mut!(events);
    let mut ids = Vec::new();
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => ids.push(event.id().to_owned()),
            Err(error) => return (ids, Some(error)),
        }
    }
    (ids, None)
}

fn sse(body: &str) -> (String, Then) {
    (format!("{SSE_HEAD}{body}"), Then::Close)
}

#[tokio::test]
async fn every_server_hint_is_capped_at_the_maximum_backoff() {
    let reconnect_event = session_event("e2", "reconnect", r#"{"after_ms":99999999999}"#, 2);
    let (url, _server) = scripted_server_then(vec![
        // SSE `retry:` of three years.
        sse(&format!("retry: 99999999999\n\n{}", deltas(1..2))),
        // A `reconnect` event asking for years.
        sse(&reconnect_event),
        // A 429 asking for a day.
        (
            "HTTP/1.1 429 Too Many Requests\r\nretry-after: 86400\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into(),
            Then::Close,
        ),
        sse(&format!("{}{}", deltas(3..4), turn_end(4))),
    ])
    .await;
    let (client, waits) = quick_client(&url);
    let (ids, error) = ids_of_typed(client.events(SID).until_turn_end()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids, ["e1", "e2", "e3", "e4"]);
    let waits = waits.lock().unwrap();
    assert_eq!(waits.len(), 3, "{waits:?}");
    for event in waits.iter() {
        assert!(event.wait <= MAX_BACKOFF, "{event:?}");
        assert_eq!(event.operation, "stream_events");
    }
    assert!(waits[2].reason.contains("429"), "{:?}", waits[2]);
}

#[tokio::test]
async fn a_server_that_replays_from_the_start_on_every_connection_is_read_once() {
    // Each connection replays everything so far, then two new events, then closes.
    let connections = |count: u32| {
        (1..=count)
            .map(|n| sse(&deltas(0..2 * n)))
            .collect::<Vec<_>>()
    };
    let expected: Vec<String> = (0..12).map(|n| format!("e{n}")).collect();

    let (url, _server) = scripted_server_then(connections(6)).await;
    let (client, _) = quick_client(&url);
    let (typed, error) = ids_of_typed(client.events(SID)).await;
    assert_eq!(typed, expected, "typed");
    assert!(
        matches!(error, Some(Error::ReconnectsExhausted { .. })),
        "{error:?}"
    );

    let (url, _server) = scripted_server_then(connections(6)).await;
    let (client, _) = quick_client(&url);
    let (raw, error) =
        ids_of_raw(client.raw_events(&stream_url(&url), RawStreamOptions::default())).await;
    assert_eq!(raw, expected, "raw");
    assert!(
        matches!(error, Some(Error::ReconnectsExhausted { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_raw_reader_refuses_what_is_not_an_event_stream_like_the_typed_stream() {
    let html = || {
        (
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 13\r\nconnection: close\r\n\r\n<p>hello</p>\n".to_owned(),
            Then::Close,
        )
    };
    let (url, _server) = scripted_server_then(vec![html(), html()]).await;
    let (client, _) = quick_client(&url);
    let (ids, typed) = ids_of_typed(client.events(SID)).await;
    assert!(ids.is_empty());
    let once = RawStreamOptions::default().reconnect(false);
    let (ids, raw) = ids_of_raw(client.raw_events(&stream_url(&url), once)).await;
    assert!(ids.is_empty());
    for error in [typed, raw] {
        assert!(
            matches!(&error, Some(Error::UnexpectedResponse { reason, body, .. })
                if reason.contains("event stream") && body.contains("hello")),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn the_raw_reader_watches_for_silence_like_the_typed_stream() {
    let silent = || (format!("{SSE_HEAD}{}", deltas(0..1)), Then::HoldOpen);
    // Without reconnection the raw reader ends with the stall.
    let (url, _server) = scripted_server_then(vec![silent()]).await;
    let (client, _) = quick_client(&url);
    let once = RawStreamOptions::default().reconnect(false);
    let (ids, error) = ids_of_raw(client.raw_events(&stream_url(&url), once)).await;
    assert_eq!(ids, ["e0"]);
    assert!(
        matches!(&error, Some(Error::Stalled { after, stream })
            if *after == Duration::from_millis(300)
                && stream.last_event_id.as_deref() == Some("e0")),
        "{error:?}"
    );
    // With it, both reconnect after each stall and give up with the stall as the reason.
    for raw in [false, true] {
        let (url, _server) = scripted_server_then((0..4).map(|_| silent()).collect()).await;
        let (client, waits) = quick_client(&url);
        let (ids, error) = if raw {
            ids_of_raw(client.raw_events(&stream_url(&url), RawStreamOptions::default())).await
        } else {
            ids_of_typed(client.events(SID)).await
        };
        assert_eq!(ids, ["e0"], "raw: {raw}");
        assert!(
            matches!(&error, Some(Error::ReconnectsExhausted { last, stream })
                if matches!(**last, Error::Stalled { .. }) && stream.reconnects == 3),
            "raw: {raw}: {error:?}"
        );
        assert_eq!(waits.lock().unwrap().len(), 3, "raw: {raw}");
    }
}

#[tokio::test]
async fn a_replay_of_100_000_events_already_seen_yields_no_duplicate_and_loses_nothing() {
    const SEEN: u32 = 100_000;
    let first = deltas(0..SEEN);
    let second = format!("{first}{}{}", deltas(SEEN..SEEN + 10), turn_end(SEEN + 10));
    let (url, _server) = scripted_server_then(vec![sse(&first), sse(&second)]).await;
    let (client, _) = quick_client(&url);
    let (ids, error) = ids_of_typed(client.events(SID).until_turn_end()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(ids.len(), SEEN as usize + 11);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "a duplicate");
    assert!(
        ids.iter().enumerate().all(|(n, id)| *id == format!("e{n}")),
        "out of order"
    );
}

#[tokio::test]
async fn a_server_that_lost_the_last_event_id_replays_what_it_has_and_that_is_delivered() {
    // The server's buffer moved on between the connections: it starts at e20 now.
    let (url, server) = scripted_server_then(vec![
        sse(&deltas(0..5)),
        sse(&format!("{}{}", deltas(20..23), turn_end(23))),
    ])
    .await;
    let (client, _) = quick_client(&url);
    let (ids, error) = ids_of_typed(client.events(SID).until_turn_end()).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        ids,
        ["e0", "e1", "e2", "e3", "e4", "e20", "e21", "e22", "e23"]
    );
    let requests = server.await.unwrap();
    assert!(requests[1].contains("last_event_id=e4"), "{}", requests[1]);
}
