//! Snapshot tests live in `tests/tests/`.
