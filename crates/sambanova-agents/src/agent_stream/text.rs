//! The assistant's answer so far, assembled from the stream's message chunks.

use super::events::{AgentEvent, MessageChunk, MessageSource};

/// The full assistant text so far: feed it every event, read [`TurnText::text`].
///
/// Only message pieces are answer text; reasoning, tool output and status are not. The chat
/// stream sends each piece twice, as `message` and as `message_chunk` with the same `id` and
/// `content`, one right after the other: the second of such a pair is its twin and is not
/// counted again. A piece repeated under the *same* event name is new text (a model may well
/// write "\n\n" twice), and so is a piece whose twin never comes.
///
/// ```
/// use sambanova_agents::agent_stream::{AgentEvent, TurnText, MessageChunk};
///
/// let mut answer = TurnText::new();
/// for piece in ["Hello", ", ", "world"] {
///     answer.push(&AgentEvent::Message(MessageChunk::new(piece, None)));
/// }
/// assert_eq!(answer.text(), "Hello, world");
/// assert_eq!(answer.chunks(), 3);
/// ```
///
/// The chat stream's pairs count once:
///
/// ```
/// use sambanova_agents::agent_stream::{AgentEvent, TurnText};
/// use sambanova_agents::sse::Event;
///
/// let mut answer = TurnText::new();
/// for name in ["message", "message_chunk"] {
///     let event = Event::new(name, r#"{"id":"m1","content":"Hi"}"#, "");
///     answer.push(&AgentEvent::from_sse(&event));
/// }
/// assert_eq!(answer.text(), "Hi");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnText {
    text: String,
    chunks: usize,
    /// The last piece counted, while its twin may still come: (event, message id, text).
    awaiting_twin: Option<(MessageSource, Option<String>, String)>,
}

impl TurnText {
    /// An empty answer.
    pub fn new() -> Self {
        TurnText::default()
    }

    /// Takes in one event; returns the text it added, if any: the event's text when it is a
    /// new piece of the answer (events other than message pieces, and a chat piece's twin,
    /// add none).
    ///
    /// ```
    /// use sambanova_agents::agent_stream::{AgentEvent, MessageChunk, Notice, TurnText};
    ///
    /// let mut answer = TurnText::new();
    /// let piece = AgentEvent::Message(MessageChunk::new("Hi", None));
    /// assert_eq!(answer.push(&piece), Some("Hi"));
    /// assert_eq!(answer.push(&AgentEvent::Warning(Notice::default())), None);
    /// assert_eq!(answer.text(), "Hi");
    /// ```
    pub fn push<'e>(&mut self, event: &'e AgentEvent) -> Option<&'e str> {
        let AgentEvent::Message(chunk) = event else {
            return None;
        };
        if chunk.kind != "chunk" || chunk.content.is_empty() {
            return None;
        }
        if self.is_twin(chunk) {
            self.awaiting_twin = None;
            return None;
        }
        self.awaiting_twin = Some((chunk.source, chunk.id.clone(), chunk.content.clone()));
        self.text.push_str(&chunk.content);
        self.chunks += 1;
        Some(&chunk.content)
    }

    fn is_twin(&self, chunk: &MessageChunk) -> bool {
        self.awaiting_twin
            .as_ref()
            .is_some_and(|(source, id, content)| {
                *source != chunk.source && *id == chunk.id && *content == chunk.content
            })
    }

    /// The text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How many pieces made it (twins not counted).
    pub fn chunks(&self) -> usize {
        self.chunks
    }

    /// The text, consuming the accumulator.
    pub fn into_text(self) -> String {
        self.text
    }
}

impl<'e> Extend<&'e AgentEvent> for TurnText {
    fn extend<I: IntoIterator<Item = &'e AgentEvent>>(&mut self, events: I) {
        for event in events {
            self.push(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::Event;

    fn piece(name: &str, id: &str, content: &str) -> AgentEvent {
        let data = serde_json::json!({"id": id, "content": content}).to_string();
        AgentEvent::from_sse(&Event::new(name, &data, ""))
    }

    #[test]
    fn twins_count_once_and_repeats_under_one_name_count_twice() {
        let mut answer = TurnText::new();
        let events = [
            piece("message", "m", "a"),
            piece("message_chunk", "m", "a"),
            piece("message", "m", "a"),
            piece("message_chunk", "m", "a"),
            // Only one name: every piece is text.
            piece("message_chunk", "n", "b"),
            piece("message_chunk", "n", "b"),
            // Same text, other message: not a twin.
            piece("message", "o", "c"),
            piece("message_chunk", "p", "c"),
        ];
        answer.extend(&events);
        assert_eq!(answer.text(), "aabbcc");
        assert_eq!(answer.chunks(), 6);
    }

    #[test]
    fn pieces_without_text_add_nothing() {
        let mut answer = TurnText::new();
        assert_eq!(answer.push(&piece("message_chunk", "m", "")), None);
        assert_eq!(answer.chunks(), 0);
    }
}
