//! Every dialogue of the CLI reads its answers here: one line reader (a prompt on stderr, a
//! line of stdin) and one option picker (numbered options; a typed number picks one).
//!
//! The reading itself is plain [`BufRead`] work ([`Dialogue`]), so tests drive it with bytes;
//! [`on_stdin`] runs it over stdin on a thread of its own. A runtime's blocking pool (or
//! `block_in_place`) would hold the runtime, and a Ctrl-C, until a line came; a thread of its
//! own is left behind when the command ends.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;

use crate::error::CliError;

/// A prompt shown, then lines read: stdin and stderr in the binary, bytes in tests.
pub struct Dialogue<R, W> {
    input: R,
    shown: W,
}

impl<R: BufRead, W: Write> Dialogue<R, W> {
    /// A dialogue reading `input`, showing its prompts on `shown`.
    pub fn new(input: R, shown: W) -> Self {
        Dialogue { input, shown }
    }

    /// Shows `prompt` (as it is: a prompt that ends a line says so), then reads one line;
    /// the line without its line ending, `None` at the end of input.
    pub fn line(&mut self, prompt: &str) -> io::Result<Option<String>> {
        self.show(prompt);
        self.next_line()
    }

    /// Shows `prompt` once, then reads up to the first line with text in it: that text,
    /// trimmed, or `None` when input ends first.
    pub fn answer(&mut self, prompt: &str) -> io::Result<Option<String>> {
        self.show(prompt);
        while let Some(line) = self.next_line()? {
            let text = line.trim();
            if !text.is_empty() {
                return Ok(Some(text.to_owned()));
            }
        }
        Ok(None)
    }

    fn show(&mut self, prompt: &str) {
        if prompt.is_empty() {
            return;
        }
        // Nobody to show it to is no reason not to read the answer.
        let _ = self.shown.write_all(prompt.as_bytes());
        let _ = self.shown.flush();
    }

    fn next_line(&mut self) -> io::Result<Option<String>> {
        let mut line = String::new();
        if self.input.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
    }
}

/// The dialogue of the terminal: stdin, prompts on stderr.
pub type Terminal = Dialogue<io::StdinLock<'static>, io::Stderr>;

/// Runs `dialogue` over stdin (prompts on stderr) on a thread of its own, so that a Ctrl-C
/// still ends the command while it waits, and the runtime's threads go on serving (the
/// embedded mock among them). `None` when the thread ended without an answer.
pub async fn on_stdin<T: Send + 'static>(
    dialogue: impl FnOnce(&mut Terminal) -> io::Result<T> + Send + 'static,
) -> io::Result<Option<T>> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut terminal = Dialogue::new(io::stdin().lock(), io::stderr());
        let _ = answer.send(dialogue(&mut terminal));
    });
    match answered.await {
        Ok(read) => read.map(Some),
        Err(_) => Ok(None),
    }
}

/// [`Dialogue::line`] on stdin: `prompt` on stderr, one line of stdin, `None` at the end of
/// input.
pub async fn line(prompt: impl Into<String>) -> io::Result<Option<String>> {
    let prompt = prompt.into();
    Ok(on_stdin(move |terminal| terminal.line(&prompt))
        .await?
        .flatten())
}

/// [`Dialogue::answer`] on stdin: `prompt` on stderr once, the first line of stdin with text,
/// trimmed; `None` at the end of input.
pub async fn answer(prompt: impl Into<String>) -> io::Result<Option<String>> {
    let prompt = prompt.into();
    Ok(on_stdin(move |terminal| terminal.answer(&prompt))
        .await?
        .flatten())
}

/// [`answer`], its prompt shown only at a terminal (a script piping answers needs none: what
/// it is answering already says what to type); a failed read is the CLI's error.
pub async fn answer_at_terminal(asking: &str) -> Result<Option<String>, CliError> {
    let asking = if io::stdin().is_terminal() {
        asking
    } else {
        ""
    };
    answer(asking).await.map_err(|source| CliError::Input {
        path: PathBuf::from("<stdin>"),
        source,
    })
}

/// One option a dialogue offers by number.
pub trait Choice {
    /// The option as listed after its number, safe to show at a terminal.
    fn shown(&self) -> String;

    /// What picking the option answers; `None` when it has nothing to send (the typed text is
    /// then the answer).
    fn answer(&self) -> Option<String>;

    /// Whether a typed answer names the option (other than by its number).
    fn named_by(&self, _typed: &str) -> bool {
        false
    }
}

impl<C: Choice + ?Sized> Choice for &C {
    fn shown(&self) -> String {
        (**self).shown()
    }

    fn answer(&self) -> Option<String> {
        (**self).answer()
    }

    fn named_by(&self, typed: &str) -> bool {
        (**self).named_by(typed)
    }
}

/// An option offered as `label (description)`, or as its label alone: the agent wants the
/// label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labelled<'a>(pub &'a str);

impl Labelled<'_> {
    /// The label, without the ` (description)`.
    pub fn label(&self) -> &str {
        let option = self.0;
        option
            .strip_suffix(')')
            .and_then(|rest| rest.rsplit_once(" ("))
            .map_or(option, |(label, _)| label)
    }
}

impl Choice for Labelled<'_> {
    fn shown(&self) -> String {
        crate::terminal_text::one_line(self.0)
    }

    fn answer(&self) -> Option<String> {
        Some(self.label().to_owned())
    }
}

/// How a listed option's number is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbering {
    /// `1. option`
    Dot,
    /// `1) option`
    Parenthesis,
}

/// Options offered by number: listed numbered from 1, and a typed answer mapped to the option
/// it picks.
pub struct Picker<C> {
    options: Vec<C>,
}

impl<C: Choice> Picker<C> {
    /// A picker of these options, numbered in this order.
    pub fn new(options: impl IntoIterator<Item = C>) -> Self {
        Picker {
            options: options.into_iter().collect(),
        }
    }

    /// The options, one line each, indented: `  1. shown` (or `  1) shown`).
    pub fn lines(&self, numbering: Numbering) -> impl Iterator<Item = String> + '_ {
        let mark = match numbering {
            Numbering::Dot => '.',
            Numbering::Parenthesis => ')',
        };
        self.options
            .iter()
            .enumerate()
            .map(move |(index, option)| format!("  {}{mark} {}", index + 1, option.shown()))
    }

    /// The answer `typed` stands for: an option's number picks its answer, then a text that
    /// names an option picks that one's; any other text (an out-of-range number too) is the
    /// answer as typed.
    pub fn pick(&self, typed: &str) -> String {
        if let Ok(number) = typed.parse::<usize>()
            && let Some(option) = number.checked_sub(1).and_then(|i| self.options.get(i))
            && let Some(answer) = option.answer()
        {
            return answer;
        }
        self.options
            .iter()
            .find(|option| option.named_by(typed))
            .and_then(Choice::answer)
            .unwrap_or_else(|| typed.to_owned())
    }
}

impl<'a> Picker<Labelled<'a>> {
    /// Options offered as `label (description)`: picking one answers its label.
    pub fn labelled(options: &'a [String]) -> Self {
        Picker::new(options.iter().map(|option| Labelled(option)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terminal_text::terminal_safe;

    fn labelled() -> Vec<String> {
        vec!["hello.py (a Python script)".into(), "hello.rs".into()]
    }

    #[test]
    fn a_number_picks_its_option() {
        let options = labelled();
        let picker = Picker::labelled(&options);
        assert_eq!(picker.pick("1"), "hello.py");
        assert_eq!(picker.pick("2"), "hello.rs");
    }

    #[test]
    fn a_number_out_of_range_is_text() {
        let options = labelled();
        let picker = Picker::labelled(&options);
        assert_eq!(picker.pick("3"), "3");
        assert_eq!(picker.pick("0"), "0");
        assert_eq!(picker.pick("-1"), "-1");
    }

    #[test]
    fn other_text_is_the_answer_as_typed() {
        let options = labelled();
        let picker = Picker::labelled(&options);
        assert_eq!(picker.pick("my own.txt"), "my own.txt");
        // Without a way to name them, an option's label is text like any other.
        assert_eq!(picker.pick("hello.rs"), "hello.rs");
        assert_eq!(picker.pick("HELLO.RS"), "HELLO.RS");
    }

    #[test]
    fn the_label_is_what_comes_before_the_description() {
        assert_eq!(Labelled("a.py (Python)").label(), "a.py");
        assert_eq!(Labelled("b.rs").label(), "b.rs");
        assert_eq!(Labelled("f (x) (the f)").label(), "f (x)");
        assert_eq!(Labelled("(only)").label(), "(only)");
        assert_eq!(Labelled("half (open").label(), "half (open");
    }

    struct Named(&'static str, Option<&'static str>);

    impl Choice for Named {
        fn shown(&self) -> String {
            format!("{} [{}]", terminal_safe(self.0), self.1.unwrap_or(""))
        }

        fn answer(&self) -> Option<String> {
            self.1.map(str::to_owned)
        }

        fn named_by(&self, typed: &str) -> bool {
            self.0.eq_ignore_ascii_case(typed)
        }
    }

    #[test]
    fn a_named_option_is_picked_by_name_and_one_without_an_answer_is_not() {
        let picker = Picker::new([Named("Go", Some("accepted")), Named("Stop", None)]);
        assert_eq!(picker.pick("go"), "accepted");
        assert_eq!(picker.pick("1"), "accepted");
        assert_eq!(picker.pick("2"), "2");
        assert_eq!(picker.pick("stop"), "stop");
    }

    #[test]
    fn options_are_listed_numbered_from_one() {
        let options = vec!["a.py (Python)".into(), "two\nlines".into()];
        let listed: Vec<_> = Picker::labelled(&options).lines(Numbering::Dot).collect();
        assert_eq!(listed, ["  1. a.py (Python)", "  2. two lines"]);
        let picker = Picker::new([Named("Go\u{1b}[2J", Some("accepted"))]);
        let listed: Vec<_> = picker.lines(Numbering::Parenthesis).collect();
        assert_eq!(listed, ["  1) Go\\u{1b}[2J [accepted]"]);
    }

    #[test]
    fn a_line_is_read_after_its_prompt_without_its_ending() {
        let mut shown = Vec::new();
        let mut dialogue = Dialogue::new(&b"y\r\n\nlast"[..], &mut shown);
        assert_eq!(dialogue.line("allow? ").unwrap().as_deref(), Some("y"));
        assert_eq!(dialogue.line("allow? ").unwrap().as_deref(), Some(""));
        assert_eq!(dialogue.line("allow? ").unwrap().as_deref(), Some("last"));
        assert_eq!(dialogue.line("allow? ").unwrap(), None);
        assert_eq!(shown, b"allow? allow? allow? allow? ");
    }

    #[test]
    fn an_answer_skips_blank_lines_and_is_trimmed() {
        let mut shown = Vec::new();
        let mut dialogue = Dialogue::new(&b"\n   \n  go on \nnext\n"[..], &mut shown);
        assert_eq!(dialogue.answer("say:\n").unwrap().as_deref(), Some("go on"));
        assert_eq!(dialogue.answer("").unwrap().as_deref(), Some("next"));
        assert_eq!(dialogue.answer("").unwrap(), None);
        assert_eq!(shown, b"say:\n");
    }

    #[test]
    fn input_that_ends_before_any_text_has_no_answer() {
        let mut dialogue = Dialogue::new(&b" \n\n"[..], io::sink());
        assert_eq!(dialogue.answer("").unwrap(), None);
    }
}
