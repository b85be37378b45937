//! Analyses: read kernel objects, return plain data (with warnings). Never print.

pub mod model;
pub mod taint;

pub use model::*;
