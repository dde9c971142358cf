//! Artifacts: download a file the agents produced, as a stream or straight to disk.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use crate::Error;
use crate::call::{Call, built, call_options};
use crate::dialect::Dialect;
use crate::filename::{content_disposition_file_name, sanitize_file_name};
use crate::transport::{read_body, transport_error};

/// Files: the artifacts of coding and main agent runs, and data science uploads. Files are
/// scoped to the API key that created them.
///
/// ```no_run
/// # async fn demo(client: sambanova_agents::Client) -> Result<(), sambanova_agents::Error> {
/// let saved = client.files().save("0d9c…", "downloads").await?;
/// println!("{} bytes in {}", saved.bytes, saved.path.display());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Files {
    call: Call,
}
call_options!(Files);

impl Files {
    /// `GET /agent/files/{file_id}` as a byte stream. Retries (before the body starts) follow
    /// the client's download policy.
    pub async fn download(&self, file_id: &str) -> Result<Download, Error> {
        if file_id.trim().is_empty() {
            return Err(Error::invalid_input("file id is empty"));
        }
        let client = &self.call.client;
        let settings = client.download_settings(&self.call.options);
        let transport = client.transport();
        let raw = client.raw();
        let (meta, response) = transport
            .send(
                "download_file",
                || built(raw.download_file_request(file_id)),
                &settings,
            )
            .await?;
        if !meta.status.is_success() {
            let limit = client.max_response_bytes();
            let body = read_body(response, limit, settings.timeout, "download_file", &meta).await?;
            return Err(Dialect::Agents.status_error(&meta, &body));
        }
        let headers = response.headers();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let suggested = header("content-disposition").and_then(content_disposition_file_name);
        Ok(Download {
            file_name: suggested.as_deref().and_then(sanitize_file_name),
            content_length: header("content-length").and_then(|v| v.parse().ok()),
            request_id: meta.request_id,
            attempts: meta.attempts,
            timeout: settings.timeout,
            max_in_memory: client.max_response_bytes(),
            body: Box::pin(response.bytes_stream()),
        })
    }

    /// Downloads `file_id` into `dir` (created if missing), streaming in constant memory.
    /// The name comes from the server's `Content-Disposition`, sanitised
    /// ([`crate::filename::sanitize_file_name`]; the file id when nothing usable is left);
    /// an existing file is never overwritten (` (1)`, ` (2)`, … are added). A body cut short
    /// is downloaded again as the download policy allows; a partial file is never left.
    pub async fn save(&self, file_id: &str, dir: impl AsRef<Path>) -> Result<SavedFile, Error> {
        self.save_with_progress(file_id, dir, |_, _| {}).await
    }

    /// [`Files::save`], calling `progress(bytes_so_far, total_if_known)` after each chunk.
    pub async fn save_with_progress(
        &self,
        file_id: &str,
        dir: impl AsRef<Path>,
        mut progress: impl FnMut(u64, Option<u64>),
    ) -> Result<SavedFile, Error> {
        let dir = dir.as_ref();
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|source| Error::Io {
                action: "creating directory",
                path: dir.to_path_buf(),
                source,
            })?;
        let policy = self.call.client.download_settings(&self.call.options).retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let download = self.download(file_id).await?;
            let name = download
                .file_name()
                .map(str::to_owned)
                .or_else(|| sanitize_file_name(file_id))
                .unwrap_or_else(|| "download".to_owned());
            let partial = dir.join(format!(".{name}.{:016x}.part", rand::random::<u64>()));
            match write_stream(download, &partial, &mut progress).await {
                Ok((bytes, request_id)) => {
                    let path = claim_unique(dir, &name).await?;
                    tokio::fs::rename(&partial, &path)
                        .await
                        .map_err(|source| Error::Io {
                            action: "renaming download",
                            path: path.clone(),
                            source,
                        })?;
                    return Ok(SavedFile {
                        path,
                        bytes,
                        request_id,
                    });
                }
                Err(error) => {
                    let _ = tokio::fs::remove_file(&partial).await;
                    let transient =
                        matches!(error, Error::Connection { .. } | Error::Timeout { .. });
                    if !(transient
                        && policy.retries_after_delivery()
                        && attempt <= policy.max_retries_value())
                    {
                        return Err(error);
                    }
                    tokio::time::sleep(policy.backoff(attempt)).await;
                }
            }
        }
    }
}

async fn write_stream(
    mut download: Download,
    path: &Path,
    progress: &mut impl FnMut(u64, Option<u64>),
) -> Result<(u64, Option<String>), Error> {
    let io = |action: &'static str| {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    };
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await
        .map_err(io("creating"))?;
    let total = download.content_length;
    let mut written = 0u64;
    while let Some(chunk) = download.next().await {
        let chunk = chunk?;
        file.write_all(&chunk).await.map_err(io("writing"))?;
        written += chunk.len() as u64;
        progress(written, total);
    }
    if let Some(expected) = total
        && expected != written
    {
        return Err(Error::Connection {
            message: format!("the download ended after {written} of {expected} bytes"),
            maybe_delivered: true,
            attempts: download.attempts,
        });
    }
    file.flush().await.map_err(io("writing"))?;
    file.sync_all().await.map_err(io("syncing"))?;
    Ok((written, download.request_id))
}

/// Reserves `dir/name`, or `dir/name (n).ext` if taken, by creating it empty (exclusive
/// create: no race with another writer, no following a planted symlink).
async fn claim_unique(dir: &Path, name: &str) -> Result<PathBuf, Error> {
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 => (&name[..dot], &name[dot..]),
        _ => (name, ""),
    };
    for n in 0..10_000u32 {
        let candidate = if n == 0 {
            dir.join(name)
        } else {
            dir.join(format!("{stem} ({n}){extension}"))
        };
        match tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
            .await
        {
            Ok(_) => return Ok(candidate),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(Error::Io {
                    action: "creating",
                    path: candidate,
                    source,
                });
            }
        }
    }
    Err(Error::invalid_input(format!(
        "{} already holds 10000 files named like {name:?}",
        dir.display()
    )))
}

/// A file being downloaded: a stream of chunks, with what the headers said.
pub struct Download {
    file_name: Option<String>,
    content_length: Option<u64>,
    request_id: Option<String>,
    /// How many times the request was sent: errors of the body report it.
    attempts: u32,
    timeout: std::time::Duration,
    max_in_memory: usize,
    body: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("file_name", &self.file_name)
            .field("content_length", &self.content_length)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// The server's file name, sanitised (see [`crate::filename`]); `None` if it sent none
    /// or nothing usable was left.
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The size the server announced.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The server's `X-Request-ID`.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The whole file in memory, for small files: a file larger than the client's
    /// [`max_response_bytes`](crate::ClientBuilder::max_response_bytes) (64 MiB by default) is
    /// an [`Error::ResponseTooLarge`]. [`Files::save`] streams to disk in constant memory.
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        let limit = self.max_in_memory;
        let attempts = self.attempts;
        let too_large = |request_id: &Option<String>| Error::ResponseTooLarge {
            limit: limit as u64,
            request_id: request_id.clone(),
            attempts,
        };
        if self
            .content_length
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large(&self.request_id));
        }
        let mut all = Vec::with_capacity(self.content_length.unwrap_or(0) as usize);
        while let Some(chunk) = self.next().await {
            let chunk = chunk?;
            if all.len() + chunk.len() > limit {
                return Err(too_large(&self.request_id));
            }
            all.extend_from_slice(&chunk);
        }
        Ok(all.into())
    }
}

impl Stream for Download {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let (timeout, attempts) = (self.timeout, self.attempts);
        self.body.poll_next_unpin(cx).map(|item| {
            item.map(|chunk| {
                chunk.map_err(|error| transport_error(error, timeout, "download_file", attempts))
            })
        })
    }
}

/// Where [`Files::save`] put a file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SavedFile {
    /// The file written (inside the directory given).
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The server's `X-Request-ID`.
    pub request_id: Option<String>,
}
