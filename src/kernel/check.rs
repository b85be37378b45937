//! Is this the dump's kernel? The symbol source's build-id and release against VMCOREINFO, and
//! the `linux_banner` bytes in the dump's memory against the image's. `--force` turns each
//! mismatch into a recorded warning.

use super::context::Kernel;
use super::error::KernelError;
use crate::dump::vmcoreinfo::VmcoreInfo;
use crate::symbols::SymbolSource;

pub(super) struct Checks {
    force: bool,
    forced: Vec<String>,
}

impl Checks {
    pub fn new(force: bool) -> Checks {
        Checks {
            force,
            forced: Vec::new(),
        }
    }

    pub fn into_forced(self) -> Vec<String> {
        self.forced
    }

    pub fn mismatch(
        &mut self,
        what: &'static str,
        dump: String,
        symbols: String,
    ) -> Result<(), KernelError> {
        if self.force {
            self.forced.push(format!(
                "{what} differs: dump {dump}, vmlinux {symbols} (--force)"
            ));
            Ok(())
        } else {
            Err(KernelError::Mismatch {
                what,
                dump,
                vmlinux: symbols,
            })
        }
    }

    /// BUILD-ID and OSRELEASE, where both sides have them.
    pub fn identity(
        &mut self,
        vi: &VmcoreInfo,
        syms: &dyn SymbolSource,
    ) -> Result<(), KernelError> {
        if let (Some(d), Some(v)) = (vi.build_id(), syms.build_id()) {
            // VMCOREINFO's BUILD-ID is the note's hex; compare case-insensitively.
            if !d.eq_ignore_ascii_case(&v) {
                self.mismatch("the build-id", d.to_string(), v)?;
            }
        }
        if let (Some(d), Ok(v)) = (vi.osrelease(), syms.release()) {
            if d != v {
                self.mismatch("the kernel release", d.to_string(), v)?;
            }
        }
        Ok(())
    }

    /// The strongest check: the banner in the dump's memory equals the symbol source's.
    pub fn banner(&mut self, k: &Kernel<'_>) -> Result<(), KernelError> {
        let Ok(want) = k.symbols().linux_banner() else {
            return Ok(());
        };
        let va = k.sym("linux_banner")?;
        let got = match k.mem().c_ptr_str(va.0, want.len() + 1, "linux_banner") {
            Ok(s) => s.unwrap_or_default(),
            // A filtered dump may lack the page: not evidence of a mismatch.
            Err(e) if e.is_excluded() => return Ok(()),
            // Unreadable or unterminated where the vmlinux puts the banner: another kernel.
            Err(e) => format!("(unreadable: {e})"),
        };
        if got.trim_end() != want.trim_end() {
            let (d, v) = (got.trim_end().to_string(), want.trim_end().to_string());
            if self.force {
                self.forced.push(format!(
                    "linux_banner differs: dump {d:?}, vmlinux {v:?} (--force)"
                ));
            } else {
                return Err(KernelError::Mismatch {
                    what: "linux_banner",
                    dump: d,
                    vmlinux: v,
                });
            }
        }
        Ok(())
    }
}
