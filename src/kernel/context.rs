//! The kernel behind a dump: VMCOREINFO + vmlinux + physical memory -> translated, typed reads.

use super::mem::{KernelMem, ObjError};
use crate::addr::Va;
use crate::dump::vmcoreinfo::{VmcoreInfo, VmcoreInfoValueError};
use crate::memory::PhysMem;
use crate::symbols::{SymError, Type, Vmlinux};
use crate::translate::x86_64::{PAGE_OFFSET_4L, PAGE_OFFSET_5L};
use crate::translate::X86_64;

#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("the dump has no VMCOREINFO, so the kernel's KASLR offset and page tables cannot be found; take the dump with QEMU's -device vmcoreinfo (and the guest's qemu_fw_cfg driver loaded), or with kdump/makedumpfile")]
    NoVmcoreinfo,
    #[error("VMCOREINFO lacks {key}, which is needed to {why}")]
    MissingKey {
        key: &'static str,
        why: &'static str,
    },
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

/// Everything needed to read typed kernel objects from the dump.
pub struct Kernel<'a> {
    pub vmlinux: &'a Vmlinux,
    pub vmcoreinfo: &'a VmcoreInfo,
    pub phys: &'a dyn PhysMem,
    pub xlat: X86_64,
    /// KERNELOFFSET: runtime address minus link-time address of kernel symbols.
    pub kaslr_offset: u64,
    pub levels: u8,
    /// Checks skipped because of --force, for the report's warnings.
    pub forced_mismatches: Vec<String>,
}

impl<'a> Kernel<'a> {
    /// Set up translation from VMCOREINFO and check that the vmlinux is the dump's kernel
    /// (BUILD-ID, OSRELEASE, and the linux_banner bytes in memory). `force` turns mismatches into
    /// recorded warnings.
    pub fn new(
        phys: &'a dyn PhysMem,
        vmcoreinfo: Option<&'a VmcoreInfo>,
        vmlinux: &'a Vmlinux,
        force: bool,
    ) -> Result<Kernel<'a>, KernelError> {
        let vi = vmcoreinfo
            .filter(|v| !v.is_empty())
            .ok_or(KernelError::NoVmcoreinfo)?;
        let mut forced = Vec::new();
        let mut mismatch =
            |what: &'static str, dump: String, vmlinux: String| -> Result<(), KernelError> {
                if force {
                    forced.push(format!(
                        "{what} differs: dump {dump}, vmlinux {vmlinux} (--force)"
                    ));
                    Ok(())
                } else {
                    Err(KernelError::Mismatch {
                        what,
                        dump,
                        vmlinux,
                    })
                }
            };
        if let (Some(d), Some(v)) = (vi.build_id(), vmlinux.build_id()) {
            // VMCOREINFO's BUILD-ID is the note's hex; compare case-insensitively.
            if !d.eq_ignore_ascii_case(&v) {
                mismatch("the build-id", d.to_string(), v)?;
            }
        }
        if let (Some(d), Ok(v)) = (vi.osrelease(), vmlinux.release()) {
            if d != v {
                mismatch("the kernel release", d.to_string(), v)?;
            }
        }
        let top_link = vmlinux.symbol_addr("init_top_pgt")?;
        let kaslr_offset = match vi.kernel_offset()? {
            Some(o) => o,
            None => match vi.symbol("init_top_pgt")? {
                Some(rt) => rt.wrapping_sub(top_link.0),
                None => 0,
            },
        };
        if let Some(rt) = vi.symbol("init_top_pgt")? {
            if rt != top_link.0.wrapping_add(kaslr_offset) {
                mismatch(
                    "init_top_pgt",
                    format!("{rt:#x}"),
                    format!("{:#x} + KASLR offset {kaslr_offset:#x}", top_link.0),
                )?;
            }
        }
        let xlat = X86_64::from_vmcoreinfo(vi, Some(top_link.wrapping_add(kaslr_offset)))?;
        let levels = xlat.levels;
        let mut k = Kernel {
            vmlinux,
            vmcoreinfo: vi,
            phys,
            xlat,
            kaslr_offset,
            levels,
            forced_mismatches: forced,
        };
        // The direct map base is randomized per boot (CONFIG_RANDOMIZE_MEMORY): read it.
        let pob = match vmlinux.symbol_addr("page_offset_base") {
            Ok(a) => k
                .mem()
                .u64(a.wrapping_add(kaslr_offset), "page_offset_base")?,
            Err(_) if levels == 5 => PAGE_OFFSET_5L,
            Err(_) => PAGE_OFFSET_4L,
        };
        k.xlat.page_offset_base = Some(pob);
        k.check_banner(force)?;
        Ok(k)
    }

    /// The strongest check: the banner in the dump's memory equals the vmlinux's.
    fn check_banner(&mut self, force: bool) -> Result<(), KernelError> {
        let Ok(want) = self.vmlinux.linux_banner() else {
            return Ok(());
        };
        let va = self
            .vmlinux
            .symbol_addr("linux_banner")?
            .wrapping_add(self.kaslr_offset);
        let got = match self.mem().c_ptr_str(va.0, want.len() + 1, "linux_banner") {
            Ok(s) => s.unwrap_or_default(),
            // A filtered dump may lack the page: not evidence of a mismatch.
            Err(e) if e.is_excluded() => return Ok(()),
            // Unreadable or unterminated where the vmlinux puts the banner: another kernel.
            Err(e) => format!("(unreadable: {e})"),
        };
        if got.trim_end() != want.trim_end() {
            let (d, v) = (got.trim_end().to_string(), want.trim_end().to_string());
            if force {
                self.forced_mismatches.push(format!(
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

    pub fn mem(&self) -> KernelMem<'_> {
        KernelMem::new(self.phys, &self.xlat)
    }

    /// Runtime address and type of a variable (`file` names the defining source for statics).
    pub fn var(&self, name: &str, file: Option<&str>) -> Result<(Va, Type), SymError> {
        let v = self.vmlinux.variable(name, file)?;
        Ok((v.addr.wrapping_add(self.kaslr_offset), v.ty))
    }

    /// Runtime address of a symbol.
    pub fn sym(&self, name: &str) -> Result<Va, SymError> {
        Ok(self
            .vmlinux
            .symbol_addr(name)?
            .wrapping_add(self.kaslr_offset))
    }
}
