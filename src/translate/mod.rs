//! Kernel virtual -> physical address translation, behind one interface per architecture.
//!
//! [`Arch`] is what the kernel layer reads through; [`X86_64`] is the one implementation today.
//! An architecture is set up from VMCOREINFO alone ([`X86_64::from_vmcoreinfo`]), so memory can be
//! read before (or without) any symbol source.

pub mod x86_64;

use crate::addr::{Pa, Va};
use crate::dump::vmcoreinfo::VmcoreInfoValueError;
use crate::memory::PhysMem;

pub use x86_64::{TranslateError, Translation, Walk, WalkStep, X86_64};

/// An architecture's address translation for one dump.
pub trait Arch: Send + Sync + std::fmt::Debug {
    /// "x86_64", as `uname -m` says it.
    fn name(&self) -> &'static str;
    /// The base page size, in bytes.
    fn page_size(&self) -> u64;
    /// Translate, taking the architecture's shortcuts (direct map, kernel image) where they apply.
    fn translate(&self, mem: &dyn PhysMem, va: Va) -> Result<(Pa, Translation), TranslateError>;
    /// A full page-table walk; returns the physical address, the page size and every entry visited.
    fn walk(&self, mem: &dyn PhysMem, va: Va) -> Result<(Pa, u64, Walk), TranslateError>;
    /// The base of the direct map (linear map), once known.
    fn direct_map_base(&self) -> Option<u64>;
    /// Record the direct map base read from the dump (randomized per boot on x86_64).
    fn set_direct_map_base(&mut self, base: u64);
    /// Paging levels in use (4 or 5 on x86_64).
    fn levels(&self) -> u8;
}

/// Why an architecture could not be set up from VMCOREINFO.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SetupError {
    #[error("VMCOREINFO lacks {key}, which is needed to {why}; the dump's VMCOREINFO note is incomplete (take the dump with kdump/makedumpfile, or QEMU's -device vmcoreinfo)")]
    MissingKey {
        key: &'static str,
        why: &'static str,
    },
    #[error("bad VMCOREINFO value: {0}")]
    BadValue(#[from] VmcoreInfoValueError),
}
