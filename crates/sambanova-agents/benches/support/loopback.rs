//! Minimal loopback HTTP/1.1 servers for the benchmarks and memory probes.
//!
//! They answer every request with a session event stream that costs them next to nothing
//! per event, so what is measured is the client: the mock renders each event on the fly
//! (JSON, a UUID, a lock, a broadcast), which caps it well below the client's rate.
//! Framing is the real server's: `transfer-encoding: chunked`, one HTTP chunk per event.
//! Connections are kept alive; requests are read up to their blank line (GETs, no body).

// Shared by benches and probes through `#[path]`; each uses a part.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n";

/// The sandbox the generated events claim to come from (the mock's demo sandbox).
pub const SANDBOX_ID: &str = "5a4d0000-0000-4000-8000-00000000d3e0";

/// Splits an SSE body into its events (each ends with a blank line, LF only as on the
/// real server) and renders them as chunked HTTP body, one chunk per event.
pub fn chunked_body(sse: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(sse.len() + sse.len() / 16);
    let mut rest = sse;
    while !rest.is_empty() {
        let end = memchr::memmem::find(rest, b"\n\n").map_or(rest.len(), |at| at + 2);
        push_chunk(&mut out, &rest[..end]);
        rest = &rest[end..];
    }
    out.extend_from_slice(b"0\r\n\r\n");
    Bytes::from(out)
}

/// Renders an SSE body as chunked HTTP body in chunks of `size` bytes, whatever the event
/// boundaries: what a server that buffers its writes would send.
pub fn coalesced_body(sse: &[u8], size: usize) -> Bytes {
    let mut out = Vec::with_capacity(sse.len() + sse.len() / size.max(1) * 8 + 8);
    for chunk in sse.chunks(size.max(1)) {
        push_chunk(&mut out, chunk);
    }
    out.extend_from_slice(b"0\r\n\r\n");
    Bytes::from(out)
}

fn push_chunk(out: &mut Vec<u8>, frame: &[u8]) {
    out.extend_from_slice(format!("{:x}\r\n", frame.len()).as_bytes());
    out.extend_from_slice(frame);
    out.extend_from_slice(b"\r\n");
}

/// Serves `body` (already chunk-framed, see [`chunked_body`]) to every request.
pub async fn serve_prerendered(body: Bytes) -> std::io::Result<SocketAddr> {
    serve(Stream::Prerendered(body)).await
}

/// Serves a fresh stream of `text_deltas` `text_delta` events, then `text_complete` and
/// `session_completed`, to every request, rendering them while writing: memory stays flat
/// whatever the length. Event shapes are the mock's (and the real server's).
pub async fn serve_generated(text_deltas: u64, session_id: String) -> std::io::Result<SocketAddr> {
    serve(Stream::Generated {
        text_deltas,
        session_id,
    })
    .await
}

/// What every request is answered with.
enum Stream {
    Prerendered(Bytes),
    Generated {
        text_deltas: u64,
        session_id: String,
    },
}

impl Stream {
    async fn write(&self, socket: &mut TcpStream) -> std::io::Result<()> {
        socket.write_all(HEAD).await?;
        let (text_deltas, session_id) = match self {
            Stream::Prerendered(body) => return socket.write_all(body).await,
            Stream::Generated {
                text_deltas,
                session_id,
            } => (*text_deltas, session_id),
        };
        let mut buffer = Vec::with_capacity(128 * 1024);
        for index in 0..text_deltas {
            let data = format!(r#"{{"text":"{index} "}}"#);
            push_chunk(
                &mut buffer,
                frame(index, session_id, "text_delta", &data).as_bytes(),
            );
            if buffer.len() >= 64 * 1024 {
                socket.write_all(&buffer).await?;
                buffer.clear();
            }
        }
        // The real text_complete repeats the whole text; a stand-in keeps this server flat.
        let complete = format!(
            r#"{{"cost_usd":0.0,"duration_ms":1,"num_turns":1,"session_id":"{session_id}","stop_reason":"end_turn","text":"(generated)","usage":{{"input_tokens":10,"output_tokens":10}}}}"#
        );
        let completed =
            format!(r#"{{"cost_usd":0.0,"duration_ms":1,"session_id":"{session_id}"}}"#);
        push_chunk(
            &mut buffer,
            frame(text_deltas, session_id, "text_complete", &complete).as_bytes(),
        );
        push_chunk(
            &mut buffer,
            frame(text_deltas + 1, session_id, "session_completed", &completed).as_bytes(),
        );
        buffer.extend_from_slice(b"0\r\n\r\n");
        socket.write_all(&buffer).await
    }
}

fn frame(index: u64, session_id: &str, event_type: &str, data: &str) -> String {
    let id = format!("00000000-0000-4000-8000-{index:012x}");
    format!(
        "id: {id}\nevent: {event_type}\ndata: {{\"id\":\"{id}\",\"sandbox_id\":\"{SANDBOX_ID}\",\"session_id\":\"{session_id}\",\"event_type\":\"{event_type}\",\"data\":{data},\"timestamp\":\"2026-11-23T12:00:00.000000000Z\"}}\n\n"
    )
}

async fn serve(stream: Stream) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let stream = Arc::new(stream);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(connection(socket, stream.clone()));
        }
    });
    Ok(addr)
}

/// Answers request after request on one connection, until the client closes it.
async fn connection(mut socket: TcpStream, stream: Arc<Stream>) {
    let _ = socket.set_nodelay(true);
    while read_request_head(&mut socket).await {
        if stream.write(&mut socket).await.is_err() {
            return;
        }
    }
}

/// Reads one request head; `false` when the client closed the connection.
async fn read_request_head(socket: &mut TcpStream) -> bool {
    let mut head = Vec::with_capacity(1024);
    let mut byte = [0u8; 512];
    loop {
        match socket.read(&mut byte).await {
            Ok(0) | Err(_) => return false,
            Ok(read) => head.extend_from_slice(&byte[..read]),
        }
        if memchr::memmem::find(&head, b"\r\n\r\n").is_some() {
            return true;
        }
        if head.len() > 64 * 1024 {
            return false;
        }
    }
}
