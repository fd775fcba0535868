//! End-to-end test crate; the scenarios live in `e2e/`.
