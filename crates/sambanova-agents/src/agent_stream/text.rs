//! The assistant's answer so far, assembled from the stream's message chunks.

use super::events::AgentEvent;

/// The full assistant text so far: feed it every event, read [`AssistantText::text`].
///
/// Only `message` chunks are answer text; reasoning, tool output and status are not.
///
/// ```
/// use sambanova_agents::agent_stream::{AgentEvent, AssistantText, MessageChunk};
///
/// let mut answer = AssistantText::new();
/// for piece in ["Hello", ", ", "world"] {
///     answer.push(&AgentEvent::Message(MessageChunk::new(piece, None)));
/// }
/// assert_eq!(answer.text(), "Hello, world");
/// assert_eq!(answer.chunks(), 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssistantText {
    text: String,
    chunks: usize,
}

impl AssistantText {
    /// An empty answer.
    pub fn new() -> Self {
        AssistantText::default()
    }

    /// Adds the event's text, if it is a message chunk; returns the piece added.
    pub fn push<'e>(&mut self, event: &'e AgentEvent) -> Option<&'e str> {
        match event {
            AgentEvent::Message(chunk) if chunk.kind == "chunk" => {
                self.text.push_str(&chunk.content);
                self.chunks += 1;
                Some(&chunk.content)
            }
            _ => None,
        }
    }

    /// The text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How many chunks made it.
    pub fn chunks(&self) -> usize {
        self.chunks
    }

    /// The text, consuming the accumulator.
    pub fn into_text(self) -> String {
        self.text
    }
}

impl<'e> Extend<&'e AgentEvent> for AssistantText {
    fn extend<I: IntoIterator<Item = &'e AgentEvent>>(&mut self, events: I) {
        for event in events {
            self.push(event);
        }
    }
}
