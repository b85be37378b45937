//! modcrash: read kernel module tracking from Linux crash dumps.
//!
//! Layers, each depending only on the ones above it in this list:
//! `dump` (file formats) -> `memory` (physical reads) -> `translate` (x86_64 virtual -> physical)
//! -> `symbols` (vmlinux ELF + DWARF) -> `kernel` (typed objects) -> `analysis` (plain data)
//! -> `output` (tables, JSON, kernel text).

pub mod addr;
pub mod dump;
pub mod memory;
pub mod symbols;
