//! The tracing event that ends each attempt, as a plain `fmt()` subscriber shows it. Alone in
//! its test binary: tracing caches which callsites a subscriber wants, and a test running the
//! same calls on another thread without one would hide them from this one.

mod support;

use std::sync::{Arc, Mutex};

use support::{client, json_response, scripted_server};

const KEY: &str = "00000000-0000-4000-8000-000000000000";

/// A writer a test reads back: what a `fmt()` subscriber printed.
#[derive(Clone, Default)]
struct Printed(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Printed {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_plain_fmt_subscriber_shows_the_end_of_each_attempt() {
    let (url, server) = scripted_server(vec![json_response(
        r#"{"status":"completed","result":"42","thread_id":null}"#,
    )])
    .await;
    let printed = Printed::default();
    let writer = printed.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    client(&url, KEY)
        .main_agent()
        .run("hello")
        .await
        .expect("completed");
    server.await.unwrap();
    let text = String::from_utf8(printed.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|line| line.contains("answered"))
        .unwrap_or_else(|| panic!("no attempt end in {text:?}"));
    assert!(line.contains("sambanova.request"), "{line}");
    assert!(
        line.contains("operation=\"mainagent\"") || line.contains("operation=mainagent"),
        "{line}"
    );
    assert!(line.contains("status=200"), "{line}");
}
