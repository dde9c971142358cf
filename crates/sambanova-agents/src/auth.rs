//! The API key: kept out of every `Debug`, `Display`, error and log line.

use std::fmt;

use reqwest::header::HeaderValue;

use crate::Error;

/// A SambaNova API key (or any bearer token). It prints as `<redacted>` and is sent as a
/// sensitive header value, which HTTP libraries and `tracing` do not print either.
///
/// ```
/// use sambanova_agents::ApiKey;
///
/// let key = ApiKey::new("00000000-0000-4000-8000-000000000000").unwrap();
/// assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
/// assert!(ApiKey::new("line\nbreak").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey {
    bearer: HeaderValue,
    secret: String,
}

impl ApiKey {
    /// Wraps a key. Fails if it is empty or holds characters an HTTP header cannot carry (the
    /// error does not repeat the key).
    pub fn new(key: impl Into<String>) -> Result<Self, Error> {
        let secret: String = key.into().trim().to_owned();
        if secret.is_empty() {
            return Err(Error::config("the API key is empty"));
        }
        let mut bearer = HeaderValue::from_str(&format!("Bearer {secret}")).map_err(|_| {
            Error::config("the API key holds characters an HTTP header cannot carry")
        })?;
        bearer.set_sensitive(true);
        Ok(ApiKey { bearer, secret })
    }

    /// The key itself, for the rare caller that must hand it on (a login form, say).
    pub fn expose_secret(&self) -> &str {
        &self.secret
    }

    /// The `Authorization` header value, marked sensitive.
    pub(crate) fn bearer(&self) -> HeaderValue {
        self.bearer.clone()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}
