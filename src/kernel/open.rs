//! Open once: a dump and its vmlinux from paths, and the [`Kernel`] over them. What the CLI, the
//! tests and the benches call.

use super::context::Kernel;
use super::error::KernelError;
use crate::dump::{Dump, DumpError, OpenOptions};
use crate::symbols::{SymError, Vmlinux};
use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, Default)]
pub struct TargetOptions {
    /// Read even if the vmlinux does not match the dump (each mismatch becomes a warning).
    pub force: bool,
    /// Read pages a filtered dump left out as zeros.
    pub zero_excluded: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Dump(#[from] DumpError),
    #[error(transparent)]
    Vmlinux(#[from] SymError),
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

/// A dump and the vmlinux that describes it.
pub struct Target {
    pub dump: Dump,
    /// Shared, so that many dumps of one kernel map its vmlinux once.
    pub vmlinux: Arc<Vmlinux>,
    pub options: TargetOptions,
}

impl Target {
    /// Open both files (the kernel view is set up by [`Target::kernel`]).
    pub fn open(
        vmcore: impl AsRef<Path>,
        vmlinux: impl AsRef<Path>,
        options: TargetOptions,
    ) -> Result<Target, OpenError> {
        // The dump first: it is the input a pipeline most often gets wrong, and the error should
        // name it even when the vmlinux is missing too.
        let dump = Target::dump_only(vmcore, &options)?;
        let vmlinux = Arc::new(Vmlinux::open(vmlinux)?);
        Ok(Target {
            dump,
            vmlinux,
            options,
        })
    }

    fn dump_only(vmcore: impl AsRef<Path>, options: &TargetOptions) -> Result<Dump, OpenError> {
        Ok(Dump::open_with(
            vmcore,
            OpenOptions {
                zero_excluded: options.zero_excluded,
            },
        )?)
    }

    /// Open a dump of the kernel whose vmlinux is already open.
    pub fn open_dump(
        vmcore: impl AsRef<Path>,
        vmlinux: Arc<Vmlinux>,
        options: TargetOptions,
    ) -> Result<Target, OpenError> {
        let dump = Target::dump_only(vmcore, &options)?;
        Ok(Target {
            dump,
            vmlinux,
            options,
        })
    }

    /// The kernel view: translation set up, the vmlinux checked against the dump.
    pub fn kernel(&self) -> Result<Kernel<'_>, KernelError> {
        Kernel::with_vmlinux(
            &self.dump,
            self.dump.vmcoreinfo(),
            &self.vmlinux,
            self.options.force,
        )
    }
}
