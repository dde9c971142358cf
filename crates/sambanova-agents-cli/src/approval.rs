//! The research plan approval dialogue, kept apart from I/O so scripts,
//! tests and a terminal all drive it the same way: the answer line is read by
//! [`crate::prompt`], and read here.

/// One answer to "approve this plan?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Go ahead with the plan.
    Approve,
    /// Revise the plan with this feedback.
    Feedback(String),
    /// Input ended: stop without approving.
    EndOfInput,
}

/// What the next answer line says ([`Dialogue::answer`](crate::prompt::Dialogue::answer): the
/// first non-blank line, trimmed; `None` when input ended). `approve` (also `yes`/`y`, any
/// case) approves; anything else is feedback for the planner.
pub fn answer_of(line: Option<String>) -> Answer {
    let Some(text) = line else {
        return Answer::EndOfInput;
    };
    match text.to_ascii_lowercase().as_str() {
        "approve" | "approved" | "yes" | "y" => Answer::Approve,
        _ => Answer::Feedback(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt::Dialogue;

    /// The next answer of a script, read as the terminal's is.
    fn next_answer(input: &mut &[u8]) -> std::io::Result<Answer> {
        Dialogue::new(input, std::io::sink())
            .answer("")
            .map(answer_of)
    }

    #[test]
    fn scripted_feedback_then_approval() {
        let mut input = &b"make it shorter\n\napprove\n"[..];
        assert_eq!(
            next_answer(&mut input).unwrap(),
            Answer::Feedback("make it shorter".into())
        );
        assert_eq!(next_answer(&mut input).unwrap(), Answer::Approve);
        assert_eq!(next_answer(&mut input).unwrap(), Answer::EndOfInput);
    }

    #[test]
    fn eof_without_approval_is_distinct() {
        let mut input = &b"  \n"[..];
        assert_eq!(next_answer(&mut input).unwrap(), Answer::EndOfInput);
    }
}
