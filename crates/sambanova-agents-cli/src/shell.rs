//! Suggested follow-up commands: an id the server chose, pasted into a command line the CLI
//! prints, must stay one shell word and run nothing (an artifact id `x; rm -rf ~ #` is not a
//! command), and must not drive the terminal it is shown on.

use crate::terminal_text::terminal_safe_word;

/// `text` as one word of a POSIX shell command line, terminal-safe: left bare when every
/// character means itself to a shell, else in single quotes (a `'` inside written `'\''`).
/// A control or bidirectional character (a newline too) is shown escaped first, so what is
/// printed stays on its line and is never obeyed by the terminal.
pub fn shell_word(text: &str) -> String {
    let shown = terminal_safe_word(text);
    if !shown.is_empty() && shown.chars().all(means_itself) {
        return shown.into_owned();
    }
    format!("'{}'", shown.replace('\'', r"'\''"))
}

/// Characters no POSIX shell gives a meaning to anywhere in a word (`~`, `#` and `=` do at
/// the start of one; globs, quotes, `$`, `;`, `&`, `|`, spaces and the rest everywhere).
fn means_itself(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '@' | '%' | '+' | ',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_ids_stay_bare() {
        for id in [
            "5b0c6b7e-2c1a-4c3e-9a57-0c6c2f8e6d11",
            "t-1",
            "sess_01HZY",
            "a.b:c@d",
        ] {
            assert_eq!(shell_word(id), id);
        }
    }

    #[test]
    fn anything_a_shell_would_read_is_quoted() {
        assert_eq!(
            shell_word("5b0c6b7e; touch /tmp/x #"),
            "'5b0c6b7e; touch /tmp/x #'"
        );
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$(id)"), "'$(id)'");
        assert_eq!(shell_word("~root"), "'~root'");
        assert_eq!(shell_word("a\nb"), r"'a\u{a}b'");
    }

    #[test]
    fn control_characters_are_shown_escaped_inside_the_quotes() {
        assert_eq!(shell_word("a\u{1b}]0;x\u{7}"), r"'a\u{1b}]0;x\u{7}'");
    }
}
