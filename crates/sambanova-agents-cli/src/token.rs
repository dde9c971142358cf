//! Storage of the agent-stream token.
//!
//! The token lives in `<config dir>/sambanova-agents/token` with 0600
//! permissions so other local users cannot read it; it is never printed.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Why a token could not be stored or loaded.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No per-user config directory could be determined.
    #[error("cannot find the user's config directory; pass --token-file")]
    NoConfigDir,
    /// The token given was empty.
    #[error("the token is empty")]
    Empty,
    /// No stored token and no `--token-file`.
    #[error("not logged in: run `sambanova-agents login` or pass --token-file")]
    NotLoggedIn,
    /// Reading or writing the token file failed.
    #[error("token file {path}: {source}")]
    Io {
        /// The file involved (a path, never the token).
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// Where `login` stores the token by default.
pub fn default_token_path() -> Result<PathBuf, TokenError> {
    dirs::config_dir()
        .map(|dir| dir.join("sambanova-agents").join("token"))
        .ok_or(TokenError::NoConfigDir)
}

/// Reads a token from `reader`, trimming the trailing newline a shell adds.
pub fn read_token(mut reader: impl Read) -> Result<String, TokenError> {
    let mut raw = String::new();
    reader
        .read_to_string(&mut raw)
        .map_err(|source| TokenError::Io {
            path: PathBuf::from("<stdin>"),
            source,
        })?;
    let token = raw.trim().to_owned();
    if token.is_empty() {
        return Err(TokenError::Empty);
    }
    Ok(token)
}

/// Writes `token` to `path` with 0600 permissions, creating parent dirs.
pub fn store_token(path: &Path, token: &str) -> Result<(), TokenError> {
    let io_err = |source| TokenError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_err)?;
    // `mode` only applies on creation; an older file keeps its bits otherwise.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io_err)?;
    }
    file.write_all(token.as_bytes()).map_err(io_err)?;
    file.write_all(b"\n").map_err(io_err)
}

/// Loads the token from `override_path`, else from the default location.
pub fn load_token(override_path: Option<&Path>) -> Result<String, TokenError> {
    let path = match override_path {
        Some(path) => path.to_owned(),
        None => default_token_path()?,
    };
    match fs::File::open(&path) {
        Ok(file) => read_token(file),
        Err(err) if err.kind() == io::ErrorKind::NotFound && override_path.is_none() => {
            Err(TokenError::NotLoggedIn)
        }
        Err(source) => Err(TokenError::Io { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_token_round_trips_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("token");
        store_token(&path, "tok-123").unwrap();
        assert_eq!(load_token(Some(&path)).unwrap(), "tok-123");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn empty_token_is_rejected() {
        assert!(matches!(read_token(&b"\n  \n"[..]), Err(TokenError::Empty)));
    }

    #[test]
    fn missing_override_file_names_the_path() {
        let err = load_token(Some(Path::new("/nonexistent/tok"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/tok"));
    }
}
