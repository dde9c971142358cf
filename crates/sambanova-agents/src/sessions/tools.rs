//! Tool calls assembled from a session's events.
//!
//! On the Sessions stream a tool call arrives in pieces: `tool_use_start` names the tool with an
//! empty `input` (`{}` and `streaming: true`), then `tool_input_delta` events carry the input as
//! `partial_json` text, keyed by the `index` of the agent's content block (which
//! `tool_use_start` does not repeat). `tool_use_complete` may close the call, but agents do not
//! always send it: a call is also complete once its joined input is one whole JSON value. Its
//! `tool_result` comes later, after any permission request. [`ToolCallTracker`] joins all of that.

use std::collections::VecDeque;

use serde_json::Value;

use super::events::{EventKind, SessionEvent};

/// The most input text kept for one call; past it the input is dropped (it stays `None`).
pub const MAX_TOOL_INPUT_BYTES: usize = 1024 * 1024;
/// The most calls remembered at once, open or waiting for a result; the oldest go first.
const MAX_TRACKED_CALLS: usize = 64;

/// A tool call whose input is complete.
///
/// ```
/// use sambanova_agents::sessions::{SessionEvent, ToolCallTracker, ToolEvent};
///
/// let mut tools = ToolCallTracker::new();
/// tools.push(&SessionEvent::from_json(r#"{"id":"1","event_type":"tool_use_start","data":{"id":"t","name":"Bash","input":{}}}"#));
/// tools.push(&SessionEvent::from_json(r#"{"id":"2","event_type":"tool_input_delta","data":{"index":1,"partial_json":"{\"command\":"}}"#));
/// // The agent closed the call before its input was valid JSON: kept as it came.
/// let done = tools.push(&SessionEvent::from_json(r#"{"id":"3","event_type":"tool_use_complete","data":{"id":"t"}}"#));
/// let Some(ToolEvent::Call(call)) = done.first() else { panic!("{done:?}") };
/// assert_eq!((call.input.as_ref(), call.raw_input.as_str()), (None, "{\"command\":"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ToolCall {
    /// The call's id, which its result names (`tool_use_id`).
    pub id: String,
    /// The tool, e.g. `Bash`.
    pub name: String,
    /// The parsed input; `None` when the pieces did not join into JSON (see `raw_input`).
    pub input: Option<Value>,
    /// The input as it arrived: the pieces joined, or the start event's input as JSON.
    pub raw_input: String,
}

/// A tool's output, with the call it answers when that call was seen on the stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ToolOutput {
    /// The id of the call it answers.
    pub tool_use_id: String,
    /// That call, if this stream saw it.
    pub call: Option<ToolCall>,
    /// The output as sent: usually a string, sometimes the agent's content blocks.
    pub content: Value,
    /// Whether the tool failed.
    pub is_error: bool,
}

impl ToolOutput {
    /// The output as text: a string as is, text blocks joined by newlines, anything else as
    /// JSON.
    ///
    /// ```
    /// use sambanova_agents::sessions::{SessionEvent, ToolCallTracker, ToolEvent};
    ///
    /// let mut tools = ToolCallTracker::new();
    /// let result = SessionEvent::from_json(r#"{"id":"e","event_type":"tool_result",
    ///     "data":{"tool_use_id":"t","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}"#);
    /// match tools.push(&result).pop() {
    ///     Some(ToolEvent::Output(output)) => assert_eq!(output.text(), "a\nb"),
    ///     other => panic!("{other:?}"),
    /// }
    /// ```
    pub fn text(&self) -> String {
        match &self.content {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            Value::Array(blocks) => blocks
                .iter()
                .map(|block| match block.get("text").and_then(Value::as_str) {
                    Some(text) => text.to_owned(),
                    None => block.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            other => other.to_string(),
        }
    }
}

/// What [`ToolCallTracker::push`] found complete.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ToolEvent {
    /// A call whose input is complete (it comes before its permission request and its result).
    Call(ToolCall),
    /// A tool's output.
    Output(ToolOutput),
}

/// A call whose input is still arriving.
#[derive(Debug)]
struct OpenCall {
    id: String,
    name: String,
    /// The content block index its pieces carry, once the first piece named it.
    index: Option<i64>,
    input: String,
    /// Pieces past [`MAX_TOOL_INPUT_BYTES`] were dropped.
    overflowed: bool,
    scan: JsonEnd,
}

impl OpenCall {
    fn complete(self) -> ToolCall {
        let (input, raw_input) = if self.overflowed {
            (None, self.input)
        } else if self.input.trim().is_empty() {
            // No piece came: the tool takes no input.
            (Some(Value::Object(Default::default())), "{}".to_owned())
        } else {
            (serde_json::from_str(&self.input).ok(), self.input)
        };
        ToolCall {
            id: self.id,
            name: self.name,
            input,
            raw_input,
        }
    }
}

/// Joins a session's tool calls from their pieces: feed it every event, in order, and it
/// answers each call once its input is complete, then each result with its call.
///
/// ```
/// use sambanova_agents::sessions::{SessionEvent, ToolCallTracker, ToolEvent};
///
/// let mut tools = ToolCallTracker::new();
/// let mut seen = Vec::new();
/// for line in [
///     r#"{"id":"1","event_type":"tool_use_start","data":{"id":"t1","name":"Bash","input":{},"streaming":true}}"#,
///     r#"{"id":"2","event_type":"tool_input_delta","data":{"index":1,"partial_json":"{\"command\":"}}"#,
///     r#"{"id":"3","event_type":"tool_input_delta","data":{"index":1,"partial_json":"\"ls\"}"}}"#,
///     r#"{"id":"4","event_type":"tool_result","data":{"tool_use_id":"t1","content":"a.txt","is_error":false}}"#,
/// ] {
///     seen.extend(tools.push(&SessionEvent::from_json(line)));
/// }
/// match &seen[..] {
///     [ToolEvent::Call(call), ToolEvent::Output(output)] => {
///         assert_eq!(call.name, "Bash");
///         assert_eq!(call.input.as_ref().unwrap()["command"], "ls");
///         assert_eq!(output.call.as_ref(), Some(call));
///         assert_eq!(output.text(), "a.txt");
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Default)]
pub struct ToolCallTracker {
    open: VecDeque<OpenCall>,
    /// Complete calls whose result has not come yet.
    awaiting: VecDeque<ToolCall>,
}

impl ToolCallTracker {
    /// Nothing yet.
    pub fn new() -> Self {
        ToolCallTracker::default()
    }

    /// Takes in one event; answers the calls and results it completed (usually none or one;
    /// a result for a call whose input never looked complete answers that call first).
    pub fn push(&mut self, event: &SessionEvent) -> Vec<ToolEvent> {
        match &event.kind {
            EventKind::ToolUseStart(start) => {
                self.start(&start.id, &start.name, start.input.as_ref())
            }
            EventKind::ToolInputDelta(delta) => self.piece(
                delta.index,
                delta.partial_json.as_deref().unwrap_or_default(),
            ),
            EventKind::ToolUseComplete(done) => self.close(&done.id).into_iter().collect(),
            EventKind::ToolResult(result) => {
                // A call whose input never looked complete is answered before its result.
                let mut events: Vec<ToolEvent> =
                    self.close(&result.tool_use_id).into_iter().collect();
                events.push(ToolEvent::Output(ToolOutput {
                    tool_use_id: result.tool_use_id.clone(),
                    call: self.take_awaiting(&result.tool_use_id),
                    content: result.content.clone().unwrap_or(Value::Null),
                    is_error: result.is_error.unwrap_or(false),
                }));
                events
            }
            _ => Vec::new(),
        }
    }

    /// Ends the stream: answers the calls still open, with the input that arrived.
    ///
    /// ```
    /// use sambanova_agents::sessions::{SessionEvent, ToolCallTracker};
    ///
    /// let mut tools = ToolCallTracker::new();
    /// tools.push(&SessionEvent::from_json(r#"{"id":"1","event_type":"tool_use_start","data":{"id":"t","name":"Bash","input":{}}}"#));
    /// tools.push(&SessionEvent::from_json(r#"{"id":"2","event_type":"tool_input_delta","data":{"index":0,"partial_json":"{\"cmd"}}"#));
    /// let open = tools.finish();
    /// assert_eq!(open[0].raw_input, "{\"cmd");
    /// assert_eq!(open[0].input, None);
    /// ```
    pub fn finish(&mut self) -> Vec<ToolCall> {
        self.open.drain(..).map(OpenCall::complete).collect()
    }

    fn start(&mut self, id: &str, name: &str, input: Option<&Value>) -> Vec<ToolEvent> {
        // The agent streams one block at a time: a call that got no piece before the next
        // one started gets none (it takes no input), while calls with pieces stay open for
        // the pieces of their index.
        let mut events = Vec::new();
        while let Some(position) = self.open.iter().position(|call| call.index.is_none()) {
            if let Some(call) = self.open.remove(position) {
                let call = call.complete();
                events.push(self.announce(call));
            }
        }
        match input.filter(|input| !is_empty_input(input)) {
            // The input came whole with the start.
            Some(input) => {
                let call = ToolCall {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    input: Some(input.clone()),
                    raw_input: input.to_string(),
                };
                events.push(self.announce(call));
            }
            None => {
                if self.open.len() >= MAX_TRACKED_CALLS
                    && let Some(oldest) = self.open.pop_front()
                {
                    let call = oldest.complete();
                    events.push(self.announce(call));
                }
                self.open.push_back(OpenCall {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    index: None,
                    input: String::new(),
                    overflowed: false,
                    scan: JsonEnd::default(),
                });
            }
        }
        events
    }

    fn piece(&mut self, index: Option<i64>, piece: &str) -> Vec<ToolEvent> {
        // The call that already has this index, else the first that has none yet.
        let position = self
            .open
            .iter()
            .position(|call| call.index.is_some() && call.index == index)
            .or_else(|| self.open.iter().position(|call| call.index.is_none()));
        let Some(position) = position else {
            // A piece of no call this stream saw start.
            return Vec::new();
        };
        let call = &mut self.open[position];
        call.index = call.index.or(index);
        if call.overflowed || call.input.len() + piece.len() > MAX_TOOL_INPUT_BYTES {
            call.overflowed = true;
            return Vec::new();
        }
        call.input.push_str(piece);
        if !call.scan.feed(piece) {
            return Vec::new();
        }
        let Some(call) = self.open.remove(position) else {
            return Vec::new();
        };
        let call = call.complete();
        vec![self.announce(call)]
    }

    /// Closes the open call with this id, if there is one.
    fn close(&mut self, id: &str) -> Option<ToolEvent> {
        let position = self.open.iter().position(|call| call.id == id)?;
        let call = self.open.remove(position)?.complete();
        Some(self.announce(call))
    }

    /// Remembers a complete call until its result, and answers it.
    fn announce(&mut self, call: ToolCall) -> ToolEvent {
        if self.awaiting.len() >= MAX_TRACKED_CALLS {
            self.awaiting.pop_front();
        }
        self.awaiting.push_back(call.clone());
        ToolEvent::Call(call)
    }

    fn take_awaiting(&mut self, id: &str) -> Option<ToolCall> {
        let position = self.awaiting.iter().position(|call| call.id == id)?;
        self.awaiting.remove(position)
    }
}

/// Whether a start event's input says "none yet": the agent streams it instead.
fn is_empty_input(input: &Value) -> bool {
    match input {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::String(text) => text.is_empty(),
        _ => false,
    }
}

/// Finds where one JSON value ends in text fed piece by piece, in one pass: the depth of
/// brackets outside strings, and whether the scan is inside a string or an escape.
#[derive(Debug, Default)]
struct JsonEnd {
    depth: usize,
    started: bool,
    in_string: bool,
    escaped: bool,
}

impl JsonEnd {
    /// Scans one more piece; true once the value that began is closed.
    fn feed(&mut self, piece: &str) -> bool {
        for byte in piece.bytes() {
            if self.in_string {
                match byte {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    self.started = true;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.started && self.depth == 0 {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, data: Value) -> SessionEvent {
        SessionEvent::from_json(
            &serde_json::json!({"id": "e", "event_type": event_type, "data": data}).to_string(),
        )
    }

    fn start(id: &str) -> SessionEvent {
        event(
            "tool_use_start",
            serde_json::json!({"id": id, "name": "Bash", "input": {}, "streaming": true}),
        )
    }

    fn piece(index: i64, text: &str) -> SessionEvent {
        event(
            "tool_input_delta",
            serde_json::json!({"index": index, "partial_json": text}),
        )
    }

    fn calls(events: Vec<ToolEvent>) -> Vec<ToolCall> {
        events
            .into_iter()
            .map(|event| match event {
                ToolEvent::Call(call) => call,
                other => panic!("a call, not {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_call_is_complete_when_its_pieces_close_the_json_without_tool_use_complete() {
        let mut tools = ToolCallTracker::new();
        assert!(tools.push(&start("t")).is_empty());
        assert!(tools.push(&piece(1, "{\"command\": \"echo")).is_empty());
        assert!(
            tools.push(&piece(1, " }{[\\\" \"")).is_empty(),
            "brackets in strings"
        );
        let done = calls(tools.push(&piece(1, ", \"n\": [1, {}]}")));
        assert_eq!(done.len(), 1);
        assert_eq!(
            done[0].input,
            Some(serde_json::json!({"command": "echo }{[\" ", "n": [1, {}]}))
        );
        // Announced once: the closing event adds nothing.
        assert!(
            tools
                .push(&event("tool_use_complete", serde_json::json!({"id": "t"})))
                .is_empty()
        );
        assert!(tools.finish().is_empty());
    }

    #[test]
    fn tool_use_complete_closes_an_input_that_never_looked_complete() {
        let mut tools = ToolCallTracker::new();
        tools.push(&start("t"));
        tools.push(&piece(0, "{\"a\":"));
        let done = calls(tools.push(&event("tool_use_complete", serde_json::json!({"id": "t"}))));
        assert_eq!(done[0].input, None);
        assert_eq!(done[0].raw_input, "{\"a\":");
    }

    #[test]
    fn pieces_follow_their_index_when_calls_overlap() {
        let mut tools = ToolCallTracker::new();
        tools.push(&start("first"));
        tools.push(&piece(1, "{\"x\":"));
        // The first call has pieces: it stays open beside the second.
        assert!(tools.push(&start("second")).is_empty());
        let second = calls(tools.push(&piece(2, "{\"y\":2}")));
        assert_eq!(second[0].id, "second");
        assert_eq!(second[0].input, Some(serde_json::json!({"y": 2})));
        let first = calls(tools.push(&piece(1, "1}")));
        assert_eq!(first[0].id, "first");
        assert_eq!(first[0].input, Some(serde_json::json!({"x": 1})));
    }

    #[test]
    fn a_call_that_got_no_piece_before_the_next_start_takes_no_input() {
        let mut tools = ToolCallTracker::new();
        tools.push(&start("none"));
        let flushed = calls(tools.push(&start("next")));
        assert_eq!(flushed[0].id, "none");
        assert_eq!(flushed[0].input, Some(serde_json::json!({})));
        assert_eq!(calls(tools.push(&piece(5, "{}")))[0].id, "next");
    }

    #[test]
    fn an_input_sent_whole_with_the_start_is_a_call_at_once() {
        let mut tools = ToolCallTracker::new();
        let done = calls(tools.push(&event(
            "tool_use_start",
            serde_json::json!({"id": "t", "name": "Read", "input": {"path": "a"}}),
        )));
        assert_eq!(done[0].input, Some(serde_json::json!({"path": "a"})));
        assert_eq!(done[0].raw_input, r#"{"path":"a"}"#);
    }

    #[test]
    fn a_result_comes_with_its_call_and_closes_a_call_still_open() {
        let mut tools = ToolCallTracker::new();
        tools.push(&start("t"));
        tools.push(&piece(0, "{\"a\":1"));
        let events = tools.push(&event(
            "tool_result",
            serde_json::json!({"tool_use_id": "t", "content": "ok", "is_error": true}),
        ));
        match &events[..] {
            [ToolEvent::Call(call), ToolEvent::Output(output)] => {
                assert_eq!(output.call.as_ref(), Some(call));
                assert!(output.is_error);
                assert_eq!(output.text(), "ok");
            }
            other => panic!("{other:?}"),
        }
        // A result for a call this stream never saw still comes, without its call.
        match &tools.push(&event(
            "tool_result",
            serde_json::json!({"tool_use_id": "x"}),
        ))[..]
        {
            [ToolEvent::Output(output)] => {
                assert_eq!(output.call, None);
                assert_eq!(output.text(), "");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hostile_pieces_are_bounded() {
        let mut tools = ToolCallTracker::new();
        // A piece of no call is dropped.
        assert!(tools.push(&piece(0, "{}")).is_empty());
        tools.push(&start("t"));
        tools.push(&piece(0, "["));
        let chunk = "1,".repeat(1024);
        for _ in 0..(MAX_TOOL_INPUT_BYTES / chunk.len() + 2) {
            assert!(tools.push(&piece(0, &chunk)).is_empty());
        }
        let open = tools.finish();
        assert!(open[0].raw_input.len() <= MAX_TOOL_INPUT_BYTES);
        assert_eq!(
            open[0].input, None,
            "a cut input is not passed off as whole"
        );
        // Unclosed brackets never underflow; many starts stay bounded.
        for n in 0..(MAX_TRACKED_CALLS * 3) {
            tools.push(&start(&n.to_string()));
            tools.push(&piece(0, "]]]"));
        }
        assert!(tools.open.len() <= MAX_TRACKED_CALLS);
        assert!(tools.awaiting.len() <= MAX_TRACKED_CALLS);
    }
}
