//! Analyses: ask the kernel layer for typed objects, return plain data (with warnings). Never
//! print, never read raw memory.

pub mod crash;
pub mod events;
pub mod identity;
pub mod log;
pub mod model;
pub mod modtrack;
pub mod modules;
pub mod report;
pub mod taint;
pub mod tracking;
pub mod triage;

pub use model::*;
pub use report::{report, report_with};
