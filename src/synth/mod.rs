//! Synthetic dump builder for tests (placeholder).
