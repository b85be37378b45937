//! Dump files -> physical memory. Knows nothing about kernels.

pub mod vmcoreinfo;
