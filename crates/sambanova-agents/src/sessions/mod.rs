//! The sandbox Sessions API: sandboxes, sessions, messages and live session event streams.
