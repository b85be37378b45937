//! The kernel layer's errors: setting up a kernel view ([`KernelError`]) and reading typed
//! objects ([`ReadError`]; a memory fault alone is an [`ObjError`]).

use super::mem::ObjError;
use crate::dump::vmcoreinfo::VmcoreInfoValueError;
use crate::symbols::SymError;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("the dump has no VMCOREINFO, so the kernel's KASLR offset and page tables cannot be found; take the dump with QEMU's -device vmcoreinfo (and the guest's qemu_fw_cfg driver loaded), or with kdump/makedumpfile")]
    NoVmcoreinfo,
    #[error("bad VMCOREINFO value: {0}")]
    BadValue(#[from] VmcoreInfoValueError),
    #[error(transparent)]
    Setup(#[from] crate::translate::SetupError),
    #[error("the vmlinux does not match the dump: {what} is {dump} in the dump but {vmlinux} in the vmlinux; use the vmlinux of the kernel that crashed (or --force to read anyway)")]
    Mismatch {
        what: &'static str,
        dump: String,
        vmlinux: String,
    },
    #[error("vmlinux: {0}")]
    Sym(#[from] SymError),
    #[error(transparent)]
    Obj(#[from] ObjError),
}

/// Why a typed object could not be read: its memory, its layout, or its shape.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Obj(#[from] ObjError),
    /// A symbol or type the object needs is missing or unusable (shared: layouts are resolved once).
    #[error(transparent)]
    Sym(Arc<SymError>),
    /// The symbol source describes the object in a way this reader cannot use.
    #[error("{what}: {problem}")]
    Shape { what: String, problem: String },
}

impl From<SymError> for ReadError {
    fn from(e: SymError) -> ReadError {
        ReadError::Sym(Arc::new(e))
    }
}

impl ReadError {
    /// The symbol is not there at all: the kernel was built without the feature.
    pub fn is_absent(&self) -> bool {
        matches!(
            self,
            ReadError::Sym(e) if matches!(**e, SymError::SymbolNotFound { .. } | SymError::VariableNotFound { .. })
        )
    }

    pub fn is_excluded(&self) -> bool {
        matches!(self, ReadError::Obj(e) if e.is_excluded())
    }
}
