//! The research plan approval dialogue, kept apart from I/O so scripts,
//! tests and a terminal all drive it the same way.

use std::io::BufRead;

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

/// Reads the next non-blank answer line. `approve` (also `yes`/`y`, any
/// case) approves; anything else is feedback for the planner.
pub fn next_answer(input: &mut impl BufRead) -> std::io::Result<Answer> {
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(Answer::EndOfInput);
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        return Ok(match text.to_ascii_lowercase().as_str() {
            "approve" | "approved" | "yes" | "y" => Answer::Approve,
            _ => Answer::Feedback(text.to_owned()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
