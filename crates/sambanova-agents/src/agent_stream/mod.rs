//! The agent stream: `POST /agent/agent/stream` with JWT login, as a stream of typed events.
