//! Loopback servers written in the tests, for what no HTTP library would send: each reads a
//! request and writes raw bytes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

/// A server that reads each request head (and its body, by `Content-Length`) and hands the
/// connection to `answer`. Returns the base URL (with `/api`) and how many connections were
/// answered.
pub async fn raw_server<F, Fut>(answer: F) -> (String, Arc<AtomicU64>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let connections = Arc::new(AtomicU64::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            if read_request(&mut stream).await.is_some() {
                tokio::spawn(answer(stream));
            }
        }
    });
    (format!("http://{address}/api"), connections)
}

/// Reads a request's head and its body (by `Content-Length`); `None` when the client left
/// first.
async fn read_request(stream: &mut TcpStream) -> Option<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length = text
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.ok()?;
    Some(())
}

/// A server that answers every connection with `response` and closes it, and records the
/// request heads it read.
pub async fn recording_server(response: impl Into<Vec<u8>>) -> (String, Arc<Mutex<Vec<String>>>) {
    let response = response.into();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let heads = Arc::new(Mutex::new(Vec::new()));
    let recorded = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let head = read_head(&mut stream).await;
            recorded
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(head);
            let _ = stream.write_all(&response).await;
            let _ = stream.shutdown().await;
        }
    });
    (format!("http://{address}"), heads)
}

/// The base URL of a loopback port nothing listens on: bound, then released.
pub fn refusing_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{address}")
}
