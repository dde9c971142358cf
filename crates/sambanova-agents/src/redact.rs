//! The secrets a client holds (API keys, tokens, passwords, secret header values), kept out of
//! the server text that becomes an [`Error`](crate::Error) or a log line: a server that echoes
//! a key back in a 401 body must not make the SDK print it.

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

/// What replaces a secret.
pub(crate) const REDACTED: &str = "<redacted>";

/// A shared, growing set of secrets (a login adds its token), and the one rule that keeps
/// them out of text: every occurrence of each is replaced by `<redacted>`. Clones share the
/// set, so a secret added to one is redacted by all; it prints as `Secrets(<redacted>)`.
///
/// The SDK redacts what its clients hold from the errors they make; the CLI redacts its own
/// log lines with the same rule (why this is reachable, undocumented, from outside):
///
/// ```
/// use sambanova_agents::Secrets;
///
/// let secrets = Secrets::default();
/// secrets.add("sk-canary-7f3a");
/// assert_eq!(
///     secrets.redact("401: Invalid API key: sk-canary-7f3a"),
///     "401: Invalid API key: <redacted>"
/// );
/// assert_eq!(format!("{secrets:?}"), "Secrets(<redacted>)");
/// ```
#[derive(Clone, Default)]
pub struct Secrets(Arc<RwLock<Vec<Box<str>>>>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

impl Secrets {
    /// Remembers `secret`, trimmed (blank ones are ignored: they would match everywhere).
    pub fn add(&self, secret: &str) {
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
            // Longest first: a secret that contains another is replaced whole, not in part.
            secrets.sort_by_key(|known| std::cmp::Reverse(known.len()));
        }
    }

    /// `text` with every secret replaced by `<redacted>` (borrowed when it holds none).
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
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

    #[test]
    fn a_secret_that_holds_another_is_replaced_whole() {
        let secrets = Secrets::default();
        secrets.add("tok");
        secrets.add("token-with-tail");
        assert_eq!(
            secrets.redact("token-with-tail and tok"),
            "<redacted> and <redacted>"
        );
    }
}
