//! The `sessions stream --raw` line format: one JSON object per SSE event,
//! `{"event": …, "data": …, "id": …}`, for debugging any SSE server.

/// Renders one SSE event as a single JSON line (no trailing newline).
///
/// `last_event_id` is the stream's last event id at this event (an event
/// without an `id:` field inherits it), `""` when none was ever sent.
/// `data` stays a string, exactly as received, so nothing is reinterpreted.
pub fn raw_event_line(event: &str, data: &str, last_event_id: &str) -> String {
    serde_json::json!({ "event": event, "data": data, "id": last_event_id }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_is_one_json_object_with_the_three_fields() {
        let line = raw_event_line("message", "{\"a\":1}\nsecond line", "");
        assert!(!line.contains('\n'), "must stay on one line: {line}");
        let doc: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(doc["event"], "message");
        assert_eq!(doc["data"], "{\"a\":1}\nsecond line");
        assert_eq!(doc["id"], "");
    }

    #[test]
    fn id_is_carried_through() {
        let doc: serde_json::Value =
            serde_json::from_str(&raw_event_line("turn_end", "", "42")).unwrap();
        assert_eq!(doc["id"], "42");
    }
}
