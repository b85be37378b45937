//! Kernel virtual -> physical address translation.

pub mod x86_64;

pub use x86_64::{Translation, TranslateError, Walk, WalkStep, X86_64};
