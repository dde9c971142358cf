//! The data science agent: multipart uploads, answered with an HTML report.
//!
//! progenitor cannot generate multipart operations (the spec pipeline lists them under
//! `x-manual-operations`), so these two are written here, on the same transport as the
//! generated ones.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use reqwest::multipart::{Form, Part};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::AgentKind;
use crate::Error;
use crate::call::{Call, call_options, resumable};
use crate::outcome::{AgentOutcome, Expect, classify_exchange};

/// A file to upload. Files are read into memory before sending, so that a retry can send
/// them again (the server's proxy caps request bodies at 30 MB anyway).
///
/// ```
/// use sambanova_agents::Upload;
///
/// let from_disk = Upload::path("data/sales.csv");
/// let in_memory = Upload::bytes("sales.csv", "region,total\nEMEA,10\n");
/// assert_eq!(in_memory.file_name(), "sales.csv");
/// # let _ = from_disk;
/// ```
#[derive(Debug, Clone)]
pub struct Upload {
    file_name: String,
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    Path(PathBuf),
    Bytes(Bytes),
}

impl Upload {
    /// A file on disk, read when the call is made; its name is the path's last component.
    pub fn path(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        let file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload".to_owned());
        Upload {
            file_name,
            source: Source::Path(path),
        }
    }

    /// Bytes in memory, sent under `file_name`.
    pub fn bytes(file_name: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        Upload {
            file_name: file_name.into(),
            source: Source::Bytes(bytes.into()),
        }
    }

    /// Everything `reader` yields, sent under `file_name`.
    pub async fn reader(
        file_name: impl Into<String>,
        mut reader: impl AsyncRead + Unpin,
    ) -> Result<Self, Error> {
        let file_name = file_name.into();
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .await
            .map_err(|source| Error::Io {
                action: "reading upload",
                path: PathBuf::from(&file_name),
                source,
            })?;
        Ok(Upload::bytes(file_name, bytes))
    }

    /// The name the server will see.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    async fn load(&self) -> Result<(String, Bytes), Error> {
        let bytes = match &self.source {
            Source::Bytes(bytes) => bytes.clone(),
            Source::Path(path) => tokio::fs::read(path)
                .await
                .map_err(|source| Error::Io {
                    action: "reading upload",
                    path: path.clone(),
                    source,
                })?
                .into(),
        };
        Ok((self.file_name.clone(), bytes))
    }
}

/// The data science agent: analyses uploaded data and answers with an HTML report
/// ([`AgentOutcome::Html`]); interactive runs first propose a hypothesis to approve.
///
/// ```no_run
/// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
/// use sambanova_agents::Upload;
///
/// let report = client
///     .data_science()
///     .run([Upload::path("sales.csv")], "Which region grows fastest?")
///     .await?
///     .into_html()?;
/// std::fs::write("report.html", report.to_document()).unwrap();
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DataScience {
    call: Call,
}
call_options!(DataScience);

impl DataScience {
    /// `POST /agent/datascience`: uploads `files` (at least one) and answers with the report.
    pub async fn run(
        &self,
        files: impl IntoIterator<Item = Upload>,
        prompt: &str,
    ) -> Result<AgentOutcome, Error> {
        let files = load_all(files).await?;
        let fields = vec![("prompt", prompt.to_owned())];
        self.post("datascience", "/agent/datascience", fields, files, None)
            .await
    }

    /// `POST /agent/datascience/interactive`: uploads `files` (at least one) and answers with
    /// a hypothesis to approve; the plan carries the uploaded files' ids.
    pub async fn interactive(
        &self,
        files: impl IntoIterator<Item = Upload>,
        prompt: &str,
    ) -> Result<AgentOutcome, Error> {
        let files = load_all(files).await?;
        let fields = vec![
            ("prompt", prompt.to_owned()),
            ("resume", "false".to_owned()),
        ];
        self.post(
            "datascience_interactive",
            "/agent/datascience/interactive",
            fields,
            files,
            None,
        )
        .await
    }

    /// Replies to the hypothesis on `thread_id` (the server needs the ids of the files the
    /// thread works on, [`Plan::file_ids`](crate::Plan::file_ids)). The server has a model
    /// classify the reply: approval ("approve", "ok", "looks great") answers with the HTML
    /// report, anything else with a revised hypothesis.
    pub async fn resume(
        &self,
        thread_id: &str,
        file_ids: &[String],
        reply: &str,
    ) -> Result<AgentOutcome, Error> {
        let thread_id = resumable(thread_id)?;
        let thread_id = thread_id.as_str();
        // The server reads a JSON array *inside a string field*, not repeated fields.
        let file_ids_json = serde_json::to_string(file_ids)
            .map_err(|error| Error::invalid_input(format!("file ids: {error}")))?;
        let fields = vec![
            ("prompt", reply.to_owned()),
            ("resume", "true".to_owned()),
            ("thread_id", thread_id.to_owned()),
            ("file_ids_json", file_ids_json),
        ];
        self.post(
            "datascience_interactive",
            "/agent/datascience/interactive",
            fields,
            Vec::new(),
            Some((thread_id, file_ids)),
        )
        .await
    }

    async fn post(
        &self,
        operation: &'static str,
        path: &str,
        fields: Vec<(&'static str, String)>,
        files: Vec<(String, Bytes)>,
        resumed: Option<(&str, &[String])>,
    ) -> Result<AgentOutcome, Error> {
        let client = &self.call.client;
        let url = client.url(path);
        let http = client.transport().http.clone();
        let build = || {
            let mut form = Form::new();
            for (name, value) in &fields {
                form = form.text(*name, value.clone());
            }
            for (file_name, bytes) in &files {
                let part = Part::stream_with_length(bytes.clone(), bytes.len() as u64)
                    .file_name(file_name.clone())
                    .mime_str(mime_for(file_name))
                    .map_err(|error| Error::invalid_input(format!("{file_name}: {error}")))?;
                form = form.part("files", part);
            }
            http.post(&url)
                .header(reqwest::header::ACCEPT, "application/json, text/html")
                .multipart(form)
                .build()
                .map_err(|error| Error::invalid_input(format!("cannot build the request: {error}")))
        };
        let exchange = client
            .transport()
            .exchange(operation, build, &self.call.settings())
            .await?;
        let outcome = classify_exchange(Expect::JsonOrHtml, exchange)?;
        let mut outcome = match (outcome, resumed) {
            (AgentOutcome::Html(mut report), Some((thread_id, _))) => {
                report.thread_id = Some(thread_id.to_owned());
                AgentOutcome::Html(report)
            }
            // A revised hypothesis may not repeat the file ids; the thread still needs them.
            (AgentOutcome::Interrupted(mut plan), Some((_, file_ids)))
                if plan.file_ids.is_empty() =>
            {
                plan.file_ids = file_ids.to_vec();
                AgentOutcome::Interrupted(plan)
            }
            (other, _) => other,
        };
        self.call.attach(&mut outcome, AgentKind::DataScience, None);
        Ok(outcome)
    }
}

/// Reads every upload: at least one, as both of the agent's operations require.
async fn load_all(files: impl IntoIterator<Item = Upload>) -> Result<Vec<(String, Bytes)>, Error> {
    let mut loaded = Vec::new();
    for file in files {
        loaded.push(file.load().await?);
    }
    if loaded.is_empty() {
        return Err(Error::invalid_input(
            "the data science agent needs at least one file",
        ));
    }
    Ok(loaded)
}

fn mime_for(file_name: &str) -> &'static str {
    let extension = file_name
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match extension.as_str() {
        "csv" => "text/csv",
        "json" => "application/json",
        "txt" => "text/plain",
        "tsv" => "text/tab-separated-values",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xls" => "application/vnd.ms-excel",
        _ => "application/octet-stream",
    }
}
