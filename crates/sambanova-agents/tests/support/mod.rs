//! Loopback servers the SDK's tests share: a scripted server that writes canned answers byte
//! for byte, and the Sessions server's event framing.

#![allow(dead_code)] // Each test file uses the part it needs.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A loopback server that answers each connection with the next canned response and closes
/// it; gives back the requests it read.
pub async fn scripted_server(
    responses: Vec<String>,
) -> (String, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut requests = Vec::new();
        for response in responses {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let read = socket.read(&mut buffer).await.unwrap();
                if read == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..read]);
            }
            requests.push(String::from_utf8_lossy(&request).into_owned());
            socket.write_all(response.as_bytes()).await.unwrap();
            socket.shutdown().await.unwrap();
        }
        requests
    });
    (url, task)
}

/// A `200` answer with `body` as JSON.
pub fn json_response(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

pub fn sse_response(events: &[(&str, &str, &str)]) -> String {
    let mut body = String::from(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n",
    );
    for (id, event_type, data) in events {
        let line = format!(
            r#"{{"id":"{id}","sandbox_id":"b","session_id":"s","event_type":"{event_type}","data":{data},"timestamp":"2026-11-22T12:22:11.{id_digits}Z"}}"#,
            id_digits = id.trim_start_matches('e'),
        );
        body.push_str(&format!("id: {id}\nevent: {event_type}\ndata: {line}\n\n"));
        body.push_str(": keepalive\n\n");
    }
    body
}

/// What a scripted connection does after writing its answer.
pub enum Then {
    /// Closes the connection.
    Close,
    /// Keeps it open, silent, until the test ends.
    HoldOpen,
}

/// Like [`scripted_server`], each answer followed by what [`Then`] says.
pub async fn scripted_server_then(
    responses: Vec<(String, Then)>,
) -> (String, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut requests = Vec::new();
        for (response, then) in responses {
            let Ok((mut socket, _)) = listener.accept().await else {
                break;
            };
            requests.push(read_head(&mut socket).await);
            if socket.write_all(response.as_bytes()).await.is_err() {
                continue;
            }
            match then {
                Then::Close => {
                    let _ = socket.shutdown().await;
                }
                // Open, silent, until the test's runtime ends.
                Then::HoldOpen => {
                    tokio::spawn(async move {
                        let _open = socket;
                        std::future::pending::<()>().await;
                    });
                }
            }
        }
        requests
    });
    (url, task)
}

async fn read_head(socket: &mut tokio::net::TcpStream) -> String {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => request.extend_from_slice(&buffer[..read]),
        }
    }
    String::from_utf8_lossy(&request).into_owned()
}

/// The head of a Sessions event stream answer.
pub const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";

/// One Sessions event as the server frames it: `id`, `event`, then the JSON envelope,
/// stamped `n` nanoseconds into a fixed second (so `n` orders the events).
pub fn session_event(id: &str, event_type: &str, data: &str, n: u32) -> String {
    format!(
        "id: {id}\nevent: {event_type}\ndata: {{\"id\":\"{id}\",\"sandbox_id\":\"b\",\"session_id\":\"s\",\"event_type\":\"{event_type}\",\"data\":{data},\"timestamp\":\"2026-11-22T12:00:00.{n:09}Z\"}}\n\n"
    )
}

/// `n` text deltas `e0`…, stamped in order.
pub fn deltas(range: std::ops::Range<u32>) -> String {
    let mut body = String::new();
    for n in range {
        body.push_str(&session_event(
            &format!("e{n}"),
            "text_delta",
            &format!("{{\"text\":\"{n} \"}}"),
            n,
        ));
    }
    body
}

/// The end of a turn: the queue drained.
pub fn turn_end(n: u32) -> String {
    session_event(
        &format!("e{n}"),
        "queue_updated",
        r#"{"queue":[],"queue_length":0}"#,
        n,
    )
}

/// Every name in `dir`, sorted.
pub fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The header names of a request `scripted_server` read, lowercased, in the order sent.
pub fn header_names(request: &str) -> Vec<String> {
    request
        .split("\r\n")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect()
}

/// A client of `mock`'s Agents API, as a new process would build it.
pub fn agents_client(mock: &sambanova_agents_mock::MockServer) -> sambanova_agents::Client {
    sambanova_agents::Client::builder()
        .api_key(sambanova_agents_mock::TEST_API_KEY)
        .base_url(mock.agents_url())
        .build()
        .expect("client builds")
}
