//! Loopback servers written in the tests, for what the mock does not do: each reads a request
//! and writes raw bytes, a connection on a thread of its own.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

/// One request a server read: its head (request line and headers) and its body.
pub struct Request {
    pub head: String,
    pub body: Vec<u8>,
}

impl Request {
    /// The request line (`POST /path HTTP/1.1`).
    pub fn line(&self) -> &str {
        self.head.lines().next().unwrap_or_default()
    }

    /// The path of the request line.
    pub fn path(&self) -> &str {
        self.line().split(' ').nth(1).unwrap_or_default()
    }

    /// The body as text.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What a connection does once a request is answered.
pub enum Next {
    /// Reads the next request on it.
    Another,
    /// Closes it.
    Close,
    /// Waits for the client to close it (a stream the server never ends).
    UntilClientLeaves,
}

/// Serves loopback connections until the test ends: reads each request (its body by
/// `Content-Length`) and lets `answer` write the reply. Returns the base URL.
pub fn serve(answer: impl Fn(&Request, &mut TcpStream) -> Next + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let answer = std::sync::Arc::new(answer);
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(mut socket) = socket else { return };
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(socket.try_clone().expect("clones"));
                while let Some(request) = read_request(&mut reader) {
                    match answer(&request, &mut socket) {
                        Next::Another => continue,
                        Next::Close => return,
                        Next::UntilClientLeaves => {
                            let mut rest = Vec::new();
                            let _ = reader.read_to_end(&mut rest);
                            return;
                        }
                    }
                }
            });
        }
    });
    url
}

/// One request's head and body, or `None` once the client closed the connection.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request { head, body })
}

/// A server that answers every request with `response` and closes the connection.
pub fn serve_always(response: impl Into<Vec<u8>>) -> String {
    let response = response.into();
    serve(move |_, socket| {
        let _ = socket.write_all(&response);
        Next::Close
    })
}

/// A server that answers a request with `answer` (a head, perhaps part of a body), says so on
/// the returned receiver, then holds the connection open, silent, until the returned sender
/// is dropped or a minute has passed.
pub fn serve_then_hold(answer: impl Into<Vec<u8>>) -> (String, Receiver<()>, Sender<()>) {
    let answer = answer.into();
    let (sent_tx, sent_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let held = Mutex::new((sent_tx, done_rx));
    let url = serve(move |_, socket| {
        if socket.write_all(&answer).is_err() {
            return Next::Close;
        }
        let _ = socket.flush();
        let held = held.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = held.0.send(());
        let _ = held.1.recv_timeout(Duration::from_secs(60));
        Next::Close
    });
    (url, sent_rx, done_tx)
}

/// The base URL of a loopback port nothing listens on: bound, then released.
pub fn refusing_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let address = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{address}")
}
