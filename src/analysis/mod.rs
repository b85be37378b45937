//! Analyses: read kernel objects, return plain data (with warnings). Never print.

pub mod identity;
pub mod log;
pub mod model;
pub mod modtrack;
pub mod modules;
mod read;
pub mod report;
pub mod taint;
pub mod taint_read;
pub mod tracking;

pub use model::*;
pub use report::report;
