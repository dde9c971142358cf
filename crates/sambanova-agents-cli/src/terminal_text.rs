//! Text from a server or a user, made safe to show at a terminal.

use std::borrow::Cow;

/// Server text made safe for a terminal: control characters other than newlines and tabs
/// (escape sequences could move the cursor or retitle the window) and bidirectional controls
/// (they make text display in another order than it reads) are shown escaped; any other
/// text, Chinese included, is shown as it is.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    escaped(text, |c| is_unsafe(c) && c != '\n' && c != '\t')
}

/// [`terminal_safe`] for text that must stay on one line (an id in a command): newlines and
/// tabs are shown escaped too.
pub fn terminal_safe_word(text: &str) -> Cow<'_, str> {
    escaped(text, is_unsafe)
}

fn escaped(text: &str, shown_escaped: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&shown_escaped) {
        return Cow::Borrowed(text);
    }
    let mut clean = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if shown_escaped(c) {
            clean.extend(c.escape_unicode());
        } else {
            clean.push(c);
        }
    }
    Cow::Owned(clean)
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// The marks, embeddings, overrides and isolates of the Unicode bidirectional algorithm.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// Text on one line, cut to a readable length, without control characters (a server's text
/// must not move the cursor or recolour the terminal).
pub fn one_line(text: &str) -> String {
    const LIMIT: usize = 200;
    let flat = text
        .split_whitespace()
        .map(|word| word.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    match flat.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_from_the_server_are_shown_not_obeyed() {
        assert_eq!(terminal_safe("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(terminal_safe("用户名或密码有误"), "用户名或密码有误");
        assert_eq!(
            terminal_safe("a\u{1b}]0;owned\u{7}b"),
            "a\\u{1b}]0;owned\\u{7}b"
        );
        assert_eq!(terminal_safe("\r"), "\\u{d}");
        assert_eq!(terminal_safe("\u{202e}gnp.exe"), "\\u{202e}gnp.exe");
        assert_eq!(terminal_safe_word("a\tb\nc"), "a\\u{9}b\\u{a}c");
    }
}
