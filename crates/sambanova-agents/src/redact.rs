//! The secrets a client holds (API keys, tokens, passwords, secret header values), kept out of
//! the server text that becomes an [`Error`](crate::Error) or a log line: a server that echoes
//! a key back in a 401 body must not make the SDK print it.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

/// What replaces a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// A shared, growing set of secrets (a login adds its token). Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct Secrets(Arc<RwLock<Vec<Box<str>>>>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

impl Secrets {
    /// Remembers `secret` (blank ones are ignored: they would match everywhere).
    pub(crate) fn add(&self, secret: &str) {
        let secret = secret.trim();
        if secret.is_empty() {
            return;
        }
        let mut secrets = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !secrets.iter().any(|known| &**known == secret) {
            secrets.push(secret.into());
        }
    }

    /// `text` with every secret replaced by `<redacted>`.
    pub(crate) fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let secrets = self
            .0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut text = Cow::Borrowed(text);
        for secret in secrets.iter() {
            if text.contains(&**secret) {
                text = Cow::Owned(text.replace(&**secret, REDACTED));
            }
        }
        text
    }

    /// [`Self::redact`], owned.
    pub(crate) fn redacted(&self, text: String) -> String {
        match self.redact(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(clean) => clean,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_replaced_wherever_it_stands() {
        let secrets = Secrets::default();
        secrets.add("sk-123");
        secrets.add("  ");
        secrets.add("hunter2");
        assert_eq!(
            secrets.redact("Invalid API key: sk-123 (hunter2, sk-123)"),
            "Invalid API key: <redacted> (<redacted>, <redacted>)"
        );
        assert!(matches!(secrets.redact("nothing here"), Cow::Borrowed(_)));
    }
}
