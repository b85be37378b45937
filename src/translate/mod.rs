//! Kernel virtual -> physical address translation.

pub mod x86_64;

pub use x86_64::{TranslateError, Translation, Walk, WalkStep, X86_64};
