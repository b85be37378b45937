//! Output: formats analysis data. Never reads memory.

pub mod kernel_text;
