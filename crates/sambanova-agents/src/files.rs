//! Artifacts: download a file the agents produced, as a stream or straight to disk.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_RANGES, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, ETAG, HeaderMap, HeaderName,
    HeaderValue, IF_RANGE, LAST_MODIFIED, RANGE,
};
use tokio::io::AsyncWriteExt;

use crate::Error;
use crate::call::{Call, built, call_options};
use crate::dialect::Dialect;
use crate::filename::{content_disposition_file_name, sanitize_file_name};
use crate::transport::{Attempts, CallDeadline, CallSettings, Opening, Repeat, transport_error};

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
        let settings = self.call.client.download_settings(&self.call.options);
        self.fetch(file_id, &settings, None).await
    }

    /// One download request, asking for the rest of a cut file when `resume` says where it
    /// was cut; any answer but a success is the server's error.
    async fn fetch(
        &self,
        file_id: &str,
        settings: &CallSettings,
        resume: Option<&Resume>,
    ) -> Result<Download, Error> {
        if file_id.trim().is_empty() {
            return Err(Error::invalid_input("file id is empty"));
        }
        let client = &self.call.client;
        let transport = client.transport();
        let raw = client.raw();
        let mut opening = transport
            .open(
                "download_file",
                || {
                    let mut request = built(raw.download_file_request(file_id))?;
                    if let Some(resume) = resume {
                        resume.ask(request.headers_mut());
                    }
                    Ok(request)
                },
                settings,
            )
            .await?;
        if !opening.meta.status.is_success() {
            let (meta, body) = opening.head(client.max_response_bytes()).await;
            return Err(Dialect::Agents.status_error(&meta, &body));
        }
        // The attempt's time covers the body too, as the caller reads it.
        let ends = Box::pin(tokio::time::sleep_until(opening.attempt_ends()));
        let Opening { meta, response, .. } = opening;
        let headers = meta.headers();
        let header = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        let suggested = header(CONTENT_DISPOSITION).and_then(content_disposition_file_name);
        // If-Range may carry only a strong validator: a weak ETag is never sent back.
        let validator = header(ETAG)
            .filter(|tag| tag.starts_with('"'))
            .or_else(|| header(LAST_MODIFIED))
            .map(str::to_owned);
        Ok(Download {
            file_name: suggested.as_deref().and_then(sanitize_file_name),
            content_length: header(CONTENT_LENGTH).and_then(parse_digits),
            request_id: meta.request_id.clone(),
            attempts: meta.attempts,
            partial: meta.status == StatusCode::PARTIAL_CONTENT,
            accepts_byte_ranges: header(ACCEPT_RANGES).is_some_and(|units| {
                units
                    .split(',')
                    .any(|unit| unit.trim().eq_ignore_ascii_case("bytes"))
            }),
            validator,
            content_range: header(CONTENT_RANGE).map(str::to_owned),
            timeout: settings.timeout,
            ends,
            timed_out: false,
            max_in_memory: client.max_response_bytes(),
            body: Box::pin(response.bytes_stream()),
        })
    }

    /// Downloads `file_id` into `dir` (created if missing), streaming in constant memory.
    /// The name comes from the server's `Content-Disposition`, sanitised
    /// ([`crate::filename::sanitize_file_name`]; the file id when nothing usable is left);
    /// an existing file is never overwritten (` (1)`, ` (2)`, … are added).
    ///
    /// A body cut short is fetched again as the download policy allows, within the client's
    /// deadline: from where it was cut (`Range`, with `If-Range`) when the server said it
    /// serves byte ranges, else from the start. A partial answer that is not exactly the rest
    /// of the same file is an [`Error::UnexpectedResponse`]. No partial file is left behind:
    /// not on an error, and not when the returned future is dropped (a cancelled task, a
    /// `select!` that chose another branch, Ctrl-C).
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
        let settings = self.call.client.download_settings(&self.call.options);
        let policy = &settings.retry;
        let mut attempts = Attempts::new(
            "download_file",
            Repeat::Retry,
            settings.deadline.map(CallDeadline::start),
        );
        let mut partial: Option<PartialFile> = None;
        loop {
            // Every attempt and every wait fits in the one deadline of the whole save.
            let time = attempts.begin(settings.timeout)?;
            let mut this = settings.clone();
            this.timeout = time.time;
            if let Some(remaining) = time.remaining {
                this.deadline = Some(CallDeadline::After(remaining));
            }
            let resume = partial.as_ref().and_then(PartialFile::resume);
            let download = match self.fetch(file_id, &this, resume.as_ref()).await {
                Ok(download) => download,
                // The file changed size under us: start over (a new attempt, so bounded).
                Err(error)
                    if resume.is_some()
                        && error.status() == Some(StatusCode::RANGE_NOT_SATISFIABLE)
                        && attempts.allows(policy, Duration::ZERO) =>
                {
                    partial = None;
                    continue;
                }
                Err(error) => return Err(error),
            };
            let file = match (resume, partial.take()) {
                (Some(resume), Some(file)) if download.partial => {
                    resume.check(&download)?;
                    file
                }
                (_, _) if download.partial => {
                    return Err(unexpected(
                        &download,
                        "a partial answer (206) to a whole-file request",
                    ));
                }
                // The whole file, from the start: the server ignored the range, or the file
                // changed (If-Range), or this is the first attempt. Any partial file goes.
                _ => {
                    let name = download
                        .file_name()
                        .map(str::to_owned)
                        .or_else(|| sanitize_file_name(file_id))
                        .unwrap_or_else(|| "download".to_owned());
                    PartialFile::create(dir, name, &download)?
                }
            };
            let file = partial.insert(file);
            match file.append(download, &mut progress).await {
                Ok(request_id) => {
                    let Some(file) = partial.take() else {
                        unreachable!("inserted above");
                    };
                    return file.finish(dir, request_id).await;
                }
                Err(error) => {
                    let transient =
                        matches!(error, Error::Connection { .. } | Error::Timeout { .. });
                    let wait = attempts.backoff(policy);
                    if !(transient
                        && policy.retries_after_delivery()
                        && attempts.allows(policy, wait))
                    {
                        return Err(error);
                    }
                    let reason = format!("the download broke ({error})");
                    let hook = self.call.client.transport().on_retry.as_ref();
                    attempts
                        .pause(hook, attempts.event(reason, wait, false))
                        .await;
                }
            }
        }
    }
}

/// The hidden file (`.NAME.<random>.part`, beside where the file goes) a download is written
/// to until it is whole. Dropped before [`PartialFile::finish`], on an error or because the
/// save was cancelled, it is removed: no partial file is ever left behind.
struct PartialFile {
    path: PathBuf,
    file: tokio::fs::File,
    name: String,
    written: u64,
    /// The whole file's size, when the first answer said it.
    total: Option<u64>,
    /// Set when that answer said the server serves byte ranges of it, with the validator
    /// to send back.
    ranges: Option<Option<String>>,
    kept: bool,
}

impl PartialFile {
    /// Creates the file for `download`, the answer that starts the file from its first byte.
    fn create(dir: &Path, name: String, download: &Download) -> Result<Self, Error> {
        let path = dir.join(format!(".{name}.{:016x}.part", rand::random::<u64>()));
        // Created synchronously, so the file exists exactly when its guard does: a blocking
        // open left running by a cancelled future could create it after the guard is gone.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| Error::Io {
                action: "creating",
                path: path.clone(),
                source,
            })?;
        let total = download.content_length;
        Ok(PartialFile {
            path,
            file: tokio::fs::File::from_std(file),
            name,
            written: 0,
            total,
            ranges: (download.accepts_byte_ranges && total.is_some())
                .then(|| download.validator.clone()),
            kept: false,
        })
    }

    /// Where to ask the rest of the file from, if the server serves ranges and some of it
    /// is here.
    fn resume(&self) -> Option<Resume> {
        let validator = self.ranges.clone()?;
        let total = self.total?;
        (self.written > 0 && self.written < total).then_some(Resume {
            from: self.written,
            total,
            validator,
        })
    }

    fn io_error(&self, action: &'static str) -> impl FnOnce(std::io::Error) -> Error {
        let path = self.path.clone();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// Appends `download`'s body; the file must then be exactly the size first announced.
    async fn append(
        &mut self,
        mut download: Download,
        progress: &mut impl FnMut(u64, Option<u64>),
    ) -> Result<Option<String>, Error> {
        while let Some(chunk) = download.next().await {
            let chunk = chunk?;
            if self
                .total
                .is_some_and(|total| self.written + chunk.len() as u64 > total)
            {
                return Err(unexpected(
                    &download,
                    "more bytes than the file's announced size",
                ));
            }
            self.file
                .write_all(&chunk)
                .await
                .map_err(self.io_error("writing"))?;
            self.written += chunk.len() as u64;
            progress(self.written, self.total);
        }
        if let Some(expected) = self.total
            && expected != self.written
        {
            return Err(Error::Connection {
                message: format!(
                    "the download ended after {} of {expected} bytes",
                    self.written
                ),
                maybe_delivered: true,
                attempts: download.attempts,
            });
        }
        Ok(download.request_id)
    }

    /// Syncs the file and gives it its name in `dir`.
    async fn finish(mut self, dir: &Path, request_id: Option<String>) -> Result<SavedFile, Error> {
        self.file.flush().await.map_err(self.io_error("writing"))?;
        self.file
            .sync_all()
            .await
            .map_err(self.io_error("syncing"))?;
        // From here on nothing awaits, so a cancelled save cannot stop between claiming the
        // name and renaming into it (that would leave an empty file of that name).
        let path = claim_unique(dir, &self.name)?;
        if let Err(source) = std::fs::rename(&self.path, &path) {
            let _ = std::fs::remove_file(&path);
            return Err(Error::Io {
                action: "renaming download",
                path,
                source,
            });
        }
        self.kept = true;
        Ok(SavedFile {
            path,
            bytes: self.written,
            request_id,
        })
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The rest of a cut file, asked for with `Range` (and `If-Range`, so that a file that
/// changed comes whole instead).
struct Resume {
    from: u64,
    total: u64,
    validator: Option<String>,
}

impl Resume {
    fn ask(&self, headers: &mut HeaderMap) {
        if let Ok(range) = HeaderValue::from_str(&format!("bytes={}-", self.from)) {
            headers.insert(RANGE, range);
        }
        if let Some(validator) = self
            .validator
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(IF_RANGE, validator);
        }
    }

    /// Whether the partial answer is exactly the rest of the same file: `Content-Range`
    /// `bytes FROM-(TOTAL-1)/TOTAL`, and a `Content-Length` (if any) to match.
    fn check(&self, download: &Download) -> Result<(), Error> {
        let expected = (self.from, self.total - 1, self.total);
        let range = download
            .content_range
            .as_deref()
            .and_then(parse_content_range);
        if range != Some(expected) {
            return Err(unexpected(
                download,
                &format!(
                    "a partial answer whose Content-Range ({}) is not the rest of the file (bytes {}-{}/{})",
                    // What was parsed, never the header itself: it is the server's text.
                    range.map_or_else(
                        || "missing or malformed".to_owned(),
                        |(first, last, total)| format!("bytes {first}-{last}/{total}")
                    ),
                    expected.0,
                    expected.1,
                    expected.2
                ),
            ));
        }
        if download
            .content_length
            .is_some_and(|length| length != self.total - self.from)
        {
            return Err(unexpected(
                download,
                "a partial answer whose Content-Length does not match its Content-Range",
            ));
        }
        Ok(())
    }
}

/// `bytes FIRST-LAST/COMPLETE` (digits only; a `*` length or any other form is `None`).
fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let (unit, range) = value.trim().split_once(' ')?;
    if !unit.eq_ignore_ascii_case("bytes") {
        return None;
    }
    let (span, complete) = range.split_once('/')?;
    let (first, last) = span.split_once('-')?;
    let (first, last, complete) = (
        parse_digits(first)?,
        parse_digits(last)?,
        parse_digits(complete)?,
    );
    (first <= last && last < complete).then_some((first, last, complete))
}

/// A decimal number of ASCII digits and nothing else (`u64::from_str` would take `+5`).
fn parse_digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn unexpected(download: &Download, reason: &str) -> Error {
    Error::UnexpectedResponse {
        status: if download.partial {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        },
        content_type: None,
        reason: reason.to_owned(),
        body: String::new(),
        request_id: download.request_id.clone(),
        attempts: download.attempts,
    }
}

/// Reserves `dir/name`, or `dir/name (n).ext` if taken, by creating it empty (exclusive
/// create: no race with another writer, no following a planted symlink).
fn claim_unique(dir: &Path, name: &str) -> Result<PathBuf, Error> {
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
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
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
    /// A 206: a range of the file, not all of it.
    partial: bool,
    accepts_byte_ranges: bool,
    /// A strong `ETag`, else `Last-Modified`: what `If-Range` sends back.
    validator: Option<String>,
    content_range: Option<String>,
    timeout: std::time::Duration,
    /// When the attempt's time is up: the body must have arrived by then.
    ends: Pin<Box<tokio::time::Sleep>>,
    /// The attempt's time ran out: the download is over.
    timed_out: bool,
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
        if self.timed_out {
            return Poll::Ready(None);
        }
        // What has arrived is handed out first; the time runs out only on a wait.
        if let Poll::Ready(item) = self.body.poll_next_unpin(cx) {
            return Poll::Ready(item.map(|chunk| {
                chunk.map_err(|error| transport_error(error, timeout, "download_file", attempts))
            }));
        }
        ready!(self.ends.as_mut().poll(cx));
        self.timed_out = true;
        Poll::Ready(Some(Err(Error::timeout(
            timeout,
            "download_file",
            attempts,
        ))))
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
