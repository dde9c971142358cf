//! Server-sent events decoder (placeholder).
