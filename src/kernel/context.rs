//! The kernel behind a dump: VMCOREINFO + an architecture + a symbol and a type source over
//! physical memory -> translated, typed reads. Analyses see only this and the typed objects.

use super::error::KernelError;
use super::layout::Layouts;
use super::mem::KernelMem;
use crate::addr::Va;
use crate::dump::vmcoreinfo::VmcoreInfo;
use crate::memory::PhysMem;
use crate::symbols::{SymError, SymbolSource, Type, TypeSource, Vmlinux};
use crate::translate::x86_64::{PAGE_OFFSET_4L, PAGE_OFFSET_5L};
use crate::translate::{Arch, X86_64};

/// Everything needed to read typed kernel objects from the dump.
pub struct Kernel<'a> {
    pub vmcoreinfo: &'a VmcoreInfo,
    phys: &'a dyn PhysMem,
    arch: Box<dyn Arch>,
    syms: &'a dyn SymbolSource,
    types: &'a dyn TypeSource,
    /// KERNELOFFSET: runtime address minus link-time address of kernel symbols.
    pub kaslr_offset: u64,
    /// Checks skipped because of --force, for the report's warnings.
    pub forced_mismatches: Vec<String>,
    layouts: Layouts,
}

impl<'a> Kernel<'a> {
    /// Set up translation from VMCOREINFO and check that the symbols are the dump's kernel
    /// (BUILD-ID, OSRELEASE, and the linux_banner bytes in memory). `force` turns mismatches into
    /// recorded warnings.
    pub fn new(
        phys: &'a dyn PhysMem,
        vmcoreinfo: Option<&'a VmcoreInfo>,
        syms: &'a dyn SymbolSource,
        types: &'a dyn TypeSource,
        force: bool,
    ) -> Result<Kernel<'a>, KernelError> {
        let vi = vmcoreinfo
            .filter(|v| !v.is_empty())
            .ok_or(KernelError::NoVmcoreinfo)?;
        let mut checks = super::check::Checks::new(force);
        checks.identity(vi, syms)?;
        let top_link = syms.symbol_addr("init_top_pgt")?;
        let kaslr_offset = match vi.kernel_offset()? {
            Some(o) => o,
            None => match vi.symbol("init_top_pgt")? {
                Some(rt) => rt.wrapping_sub(top_link.0),
                None => 0,
            },
        };
        if let Some(rt) = vi.symbol("init_top_pgt")? {
            if rt != top_link.0.wrapping_add(kaslr_offset) {
                checks.mismatch(
                    "init_top_pgt",
                    format!("{rt:#x}"),
                    format!("{:#x} + KASLR offset {kaslr_offset:#x}", top_link.0),
                )?;
            }
        }
        let xlat = X86_64::from_vmcoreinfo(vi, Some(top_link.wrapping_add(kaslr_offset)))?;
        let mut k = Kernel {
            vmcoreinfo: vi,
            phys,
            arch: Box::new(xlat),
            syms,
            types,
            kaslr_offset,
            forced_mismatches: Vec::new(),
            layouts: Layouts::default(),
        };
        // The direct map base is randomized per boot (CONFIG_RANDOMIZE_MEMORY): read it.
        let pob = match k.sym("page_offset_base") {
            Ok(a) => k.mem().u64(a, "page_offset_base")?,
            Err(_) if k.arch.levels() == 5 => PAGE_OFFSET_5L,
            Err(_) => PAGE_OFFSET_4L,
        };
        k.arch.set_direct_map_base(pob);
        checks.banner(&k)?;
        k.forced_mismatches = checks.into_forced();
        Ok(k)
    }

    /// [`Kernel::new`] with a vmlinux as both symbol and type source (the debug-info path).
    pub fn with_vmlinux(
        phys: &'a dyn PhysMem,
        vmcoreinfo: Option<&'a VmcoreInfo>,
        vmlinux: &'a Vmlinux,
        force: bool,
    ) -> Result<Kernel<'a>, KernelError> {
        Kernel::new(phys, vmcoreinfo, vmlinux, vmlinux, force)
    }

    /// Reads of kernel virtual memory.
    pub fn mem(&self) -> KernelMem<'_> {
        KernelMem::new(self.phys, &*self.arch)
    }

    pub fn arch(&self) -> &dyn Arch {
        &*self.arch
    }

    pub fn phys(&self) -> &dyn PhysMem {
        self.phys
    }

    pub fn symbols(&self) -> &dyn SymbolSource {
        self.syms
    }

    pub fn types(&self) -> &dyn TypeSource {
        self.types
    }

    /// The struct layouts, each resolved on first use and kept for the report.
    pub fn layouts(&self) -> &Layouts {
        &self.layouts
    }

    /// Runtime address and type of a variable (`file` names the defining source for statics).
    pub fn var(&self, name: &str, file: Option<&str>) -> Result<(Va, Type), SymError> {
        let v = self.types.variable(name, file)?;
        Ok((v.addr.wrapping_add(self.kaslr_offset), v.ty))
    }

    /// Runtime address of a symbol.
    pub fn sym(&self, name: &str) -> Result<Va, SymError> {
        Ok(self.syms.symbol_addr(name)?.wrapping_add(self.kaslr_offset))
    }
}
