//! x86_64 address translation for a kernel dump.
//!
//! Three ways, in this order:
//! - the direct map: `va - page_offset_base` (page_offset_base is randomized per boot with
//!   CONFIG_RANDOMIZE_MEMORY and read from the dump by the caller),
//! - the kernel image: `va - __START_KERNEL_map + phys_base` (phys_base from VMCOREINFO),
//! - anything else (modules, vmalloc): a 4- or 5-level page-table walk from `init_top_pgt`.
//!
//! A walk returns its entries ([`Walk`]), so an error can show exactly where it stopped and a
//! `vtop` view can print the path.

use super::{Arch, SetupError};
use crate::addr::{Pa, Va};
use crate::dump::vmcoreinfo::VmcoreInfo;
use crate::memory::{MemFault, PhysMem};
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

/// `__START_KERNEL_map` on x86_64.
pub const START_KERNEL_MAP: u64 = 0xffff_ffff_8000_0000;
/// KERNEL_IMAGE_SIZE with RANDOMIZE_BASE (1 GiB); modules start right after it.
pub const KERNEL_IMAGE_SIZE: u64 = 1 << 30;
const PTE_PRESENT: u64 = 1 << 0;
const PTE_PSE: u64 = 1 << 7;
const PTE_ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
const TLB_CAP: usize = 4096;

/// Default direct-map bases (without CONFIG_RANDOMIZE_MEMORY).
pub const PAGE_OFFSET_4L: u64 = 0xffff_8880_0000_0000;
pub const PAGE_OFFSET_5L: u64 = 0xff11_0000_0000_0000;

/// One page-table level visited by a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkStep {
    /// "pgd" (5-level only), "p4d", "pud", "pmd" or "pte" (Linux names; with 4 levels the top is pgd).
    pub level: &'static str,
    /// Physical address of the entry read.
    pub entry_pa: Pa,
    /// Index in its table.
    pub index: u16,
    /// The entry's raw value (sme_mask not yet cleared).
    pub entry: u64,
}

/// A complete or partial page walk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    pub va: Va,
    pub steps: Vec<WalkStep>,
}

impl fmt::Display for Walk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "walk of {}:", self.va)?;
        for s in &self.steps {
            write!(f, " {}[{}]@{}={:#x}", s.level, s.index, s.entry_pa, s.entry)?;
        }
        Ok(())
    }
}

/// How an address was translated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Translation {
    DirectMap,
    KernelImage,
    /// Through the page tables, with the page size (4 KiB, 2 MiB or 1 GiB) and the walk.
    PageTable {
        page_size: u64,
        walk: Walk,
    },
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TranslateError {
    #[error("virtual address {va} is not canonical for {levels}-level paging")]
    NonCanonical { va: Va, levels: u8 },
    #[error("virtual address {va} is not mapped ({walk}: entry not present)")]
    NotMapped { va: Va, walk: Walk },
    #[error("cannot read the page tables for {va} ({walk})")]
    PageTable {
        va: Va,
        walk: Walk,
        #[source]
        source: MemFault,
    },
}

impl TranslateError {
    pub fn va(&self) -> Va {
        match self {
            TranslateError::NonCanonical { va, .. }
            | TranslateError::NotMapped { va, .. }
            | TranslateError::PageTable { va, .. } => *va,
        }
    }
}

/// Translation parameters for one dump.
#[derive(Debug)]
pub struct X86_64 {
    /// NUMBER(phys_base) from VMCOREINFO: physical address where the kernel image was loaded,
    /// minus its link-time physical address (signed; may be "negative" under KASLR).
    pub phys_base: u64,
    /// Physical address of init_top_pgt (the kernel's top-level page table).
    pub top_pgt: Pa,
    /// 4 or 5.
    pub levels: u8,
    /// NUMBER(sme_mask): the memory-encryption bit, cleared from every entry.
    pub sme_mask: u64,
    /// The direct-map base, once known (read from `page_offset_base` in the dump).
    pub page_offset_base: Option<u64>,
    tlb: Mutex<HashMap<u64, (u64, u64)>>,
}

impl X86_64 {
    /// `init_top_pgt` is the runtime virtual address (VMCOREINFO's SYMBOL(init_top_pgt), or the
    /// vmlinux address plus KERNELOFFSET).
    pub fn new(phys_base: u64, init_top_pgt: Va, levels: u8, sme_mask: u64) -> X86_64 {
        X86_64 {
            phys_base,
            top_pgt: Pa(init_top_pgt
                .0
                .wrapping_sub(START_KERNEL_MAP)
                .wrapping_add(phys_base)),
            levels,
            sme_mask,
            page_offset_base: None,
            tlb: Mutex::new(HashMap::new()),
        }
    }

    /// Set up from VMCOREINFO alone: NUMBER(phys_base), SYMBOL(init_top_pgt) (or `init_top_pgt`
    /// when the caller knows it from a symbol source: it wins), NUMBER(pgtable_l5_enabled) and
    /// NUMBER(sme_mask) (both optional, as in arch/x86/kernel/machine_kexec_64.c). The direct map
    /// base is left unknown: addresses in it are then translated by the page walk.
    pub fn from_vmcoreinfo(
        vi: &VmcoreInfo,
        init_top_pgt: Option<Va>,
    ) -> Result<X86_64, SetupError> {
        let phys_base = vi.number("phys_base")?.ok_or(SetupError::MissingKey {
            key: "NUMBER(phys_base)",
            why: "translate kernel-image addresses",
        })? as u64;
        let top = match init_top_pgt {
            Some(t) => t,
            None => Va(vi.symbol("init_top_pgt")?.ok_or(SetupError::MissingKey {
                key: "SYMBOL(init_top_pgt)",
                why: "find the kernel's page tables",
            })?),
        };
        let levels = if vi.number("pgtable_l5_enabled")?.unwrap_or(0) != 0 {
            5
        } else {
            4
        };
        let sme_mask = vi.number("sme_mask")?.unwrap_or(0) as u64;
        Ok(X86_64::new(phys_base, top, levels, sme_mask))
    }

    /// The size of the direct map region checked by the shortcut: 64 TiB (4-level) or 32 PiB.
    fn direct_map_size(&self) -> u64 {
        if self.levels == 5 {
            1 << 55
        } else {
            1 << 46
        }
    }

    pub fn is_canonical(&self, va: Va) -> bool {
        let bits = if self.levels == 5 { 57 } else { 48 };
        let top = (va.0 as i64) >> (bits - 1);
        top == 0 || top == -1
    }

    /// Physical address of a kernel-image virtual address (no memory access).
    pub fn kernel_image_pa(&self, va: Va) -> Option<Pa> {
        if va.0 >= START_KERNEL_MAP && va.0 < START_KERNEL_MAP + KERNEL_IMAGE_SIZE {
            Some(Pa(va.0 - START_KERNEL_MAP).wrapping_add(self.phys_base))
        } else {
            None
        }
    }

    /// Translate, taking the direct-map and kernel-image shortcuts where they apply.
    pub fn translate(
        &self,
        mem: &dyn PhysMem,
        va: Va,
    ) -> Result<(Pa, Translation), TranslateError> {
        if let Some(pob) = self.page_offset_base {
            if va.0 >= pob && va.0 - pob < self.direct_map_size() {
                return Ok((Pa(va.0 - pob), Translation::DirectMap));
            }
        }
        if let Some(pa) = self.kernel_image_pa(va) {
            return Ok((pa, Translation::KernelImage));
        }
        let page = va.0 & !0xfff;
        if let Some(&(base, size)) = self
            .tlb
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&page)
        {
            let walk = Walk {
                va,
                steps: Vec::new(),
            };
            return Ok((
                Pa(base + (va.0 & (size - 1) & 0xfff)),
                Translation::PageTable {
                    page_size: size,
                    walk,
                },
            ));
        }
        let (pa, size, walk) = self.walk(mem, va)?;
        let mut tlb = self.tlb.lock().unwrap_or_else(|e| e.into_inner());
        if tlb.len() >= TLB_CAP {
            tlb.clear();
        }
        tlb.insert(page, (pa.0 & !0xfff, size));
        Ok((
            pa,
            Translation::PageTable {
                page_size: size,
                walk,
            },
        ))
    }

    /// A full page-table walk from `init_top_pgt`; returns the physical address, the page size
    /// and every entry visited.
    pub fn walk(&self, mem: &dyn PhysMem, va: Va) -> Result<(Pa, u64, Walk), TranslateError> {
        if !self.is_canonical(va) {
            return Err(TranslateError::NonCanonical {
                va,
                levels: self.levels,
            });
        }
        let names: &[(&'static str, u32)] = if self.levels == 5 {
            &[
                ("pgd", 48),
                ("p4d", 39),
                ("pud", 30),
                ("pmd", 21),
                ("pte", 12),
            ]
        } else {
            &[("pgd", 39), ("pud", 30), ("pmd", 21), ("pte", 12)]
        };
        let mut walk = Walk {
            va,
            steps: Vec::with_capacity(names.len()),
        };
        let mut table = self.top_pgt.0;
        for &(level, shift) in names {
            let index = ((va.0 >> shift) & 0x1ff) as u16;
            let entry_pa = Pa(table + u64::from(index) * 8);
            let mut b = [0u8; 8];
            if let Err(source) = mem.read_phys(entry_pa, &mut b) {
                return Err(TranslateError::PageTable { va, walk, source });
            }
            let entry = u64::from_le_bytes(b);
            walk.steps.push(WalkStep {
                level,
                entry_pa,
                index,
                entry,
            });
            let e = entry & !self.sme_mask;
            if e & PTE_PRESENT == 0 {
                return Err(TranslateError::NotMapped { va, walk });
            }
            let large = match (level, e & PTE_PSE != 0) {
                ("pud", true) => Some(1u64 << 30),
                ("pmd", true) => Some(1u64 << 21),
                _ => None,
            };
            if let Some(size) = large {
                let base = e & PTE_ADDR_MASK & !(size - 1);
                return Ok((Pa(base | (va.0 & (size - 1))), size, walk));
            }
            table = e & PTE_ADDR_MASK;
            if level == "pte" {
                return Ok((Pa(table | (va.0 & 0xfff)), 4096, walk));
            }
        }
        unreachable!("the pte level always returns")
    }
}

impl Arch for X86_64 {
    fn name(&self) -> &'static str {
        "x86_64"
    }
    fn page_size(&self) -> u64 {
        4096
    }
    fn translate(&self, mem: &dyn PhysMem, va: Va) -> Result<(Pa, Translation), TranslateError> {
        X86_64::translate(self, mem, va)
    }
    fn walk(&self, mem: &dyn PhysMem, va: Va) -> Result<(Pa, u64, Walk), TranslateError> {
        X86_64::walk(self, mem, va)
    }
    fn direct_map_base(&self) -> Option<u64> {
        self.page_offset_base
    }
    fn set_direct_map_base(&mut self, base: u64) {
        self.page_offset_base = Some(base);
    }
    fn levels(&self) -> u8 {
        self.levels
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::FaultKind;
    use std::collections::BTreeMap;

    /// A sparse physical memory made of 4 KiB pages, for building page tables by hand.
    #[derive(Default)]
    struct Pages(BTreeMap<u64, Vec<u8>>);
    impl Pages {
        fn put_u64(&mut self, pa: u64, v: u64) {
            let page = self.0.entry(pa & !0xfff).or_insert_with(|| vec![0; 4096]);
            let o = (pa & 0xfff) as usize;
            page[o..o + 8].copy_from_slice(&v.to_le_bytes());
        }
    }
    impl PhysMem for Pages {
        fn read_phys(&self, pa: Pa, buf: &mut [u8]) -> Result<(), MemFault> {
            let page = self.0.get(&(pa.0 & !0xfff)).ok_or(MemFault {
                kind: FaultKind::NotInDump,
                pa,
                file_offset: None,
            })?;
            let o = (pa.0 & 0xfff) as usize;
            buf.copy_from_slice(&page[o..o + buf.len()]);
            Ok(())
        }
    }

    const TOP_VA: u64 = START_KERNEL_MAP + 0x10_0000; // top table at pa 0x100000 + phys_base
    const PB: u64 = 0x20_0000;

    fn idx(va: u64, shift: u32) -> u64 {
        (va >> shift) & 0x1ff
    }

    #[test]
    fn four_level_walk_4k_2m_1g() {
        let mut m = Pages::default();
        let top = 0x10_0000 + PB;
        let va4k: u64 = 0xffff_ffff_c012_3456;
        // pgd -> pud table at 0x500000 -> pmd table at 0x501000 -> pte table at 0x502000 -> page 0x5000
        m.put_u64(top + idx(va4k, 39) * 8, 0x50_0000 | 0x63 | 0x8000_0000_0000);
        m.put_u64(0x50_0000 + idx(va4k, 30) * 8, 0x50_1000 | 0x63);
        m.put_u64(0x50_1000 + idx(va4k, 21) * 8, 0x50_2000 | 0x63);
        m.put_u64(0x50_2000 + idx(va4k, 12) * 8, 0x5000 | 0x63);
        let x = X86_64::new(PB, Va(TOP_VA), 4, 0x8000_0000_0000);
        let (pa, size, walk) = x.walk(&m, Va(va4k)).unwrap();
        assert_eq!((pa, size), (Pa(0x5456), 4096));
        assert_eq!(walk.steps.len(), 4);
        assert_eq!(walk.steps[3].level, "pte");

        // 2 MiB page at pmd level
        let va2m: u64 = 0xffff_c900_0034_5678;
        m.put_u64(top + idx(va2m, 39) * 8, 0x51_0000 | 0x63);
        m.put_u64(0x51_0000 + idx(va2m, 30) * 8, 0x51_1000 | 0x63);
        m.put_u64(0x51_1000 + idx(va2m, 21) * 8, 0x4000_0000 | 0xe3);
        let (pa, size, _) = x.walk(&m, Va(va2m)).unwrap();
        assert_eq!((pa, size), (Pa(0x4000_0000 + (va2m & 0x1f_ffff)), 2 << 20));

        // 1 GiB page at pud level
        let va1g: u64 = 0xffff_8880_4123_4567;
        m.put_u64(top + idx(va1g, 39) * 8, 0x52_0000 | 0x63);
        m.put_u64(0x52_0000 + idx(va1g, 30) * 8, 0x8000_0000 | 0xe3);
        let (pa, size, walk) = x.walk(&m, Va(va1g)).unwrap();
        assert_eq!(
            (pa, size),
            (Pa(0x8000_0000 + (va1g & 0x3fff_ffff)), 1 << 30)
        );
        assert_eq!(walk.steps.len(), 2);
    }

    #[test]
    fn five_level_walk_and_errors() {
        let mut m = Pages::default();
        let top = 0x10_0000 + PB;
        let va: u64 = 0xff11_0000_0123_4567;
        m.put_u64(top + idx(va, 48) * 8, 0x40_0000 | 0x63);
        m.put_u64(0x40_0000 + idx(va, 39) * 8, 0x40_1000 | 0x63);
        m.put_u64(0x40_1000 + idx(va, 30) * 8, 0x40_2000 | 0x63);
        m.put_u64(0x40_2000 + idx(va, 21) * 8, 0x40_3000 | 0x63);
        m.put_u64(0x40_3000 + idx(va, 12) * 8, 0x7000 | 0x63);
        let x = X86_64::new(PB, Va(TOP_VA), 5, 0);
        let (pa, _, walk) = x.walk(&m, Va(va)).unwrap();
        assert_eq!(pa, Pa(0x7567));
        assert_eq!(
            walk.steps.iter().map(|s| s.level).collect::<Vec<_>>(),
            ["pgd", "p4d", "pud", "pmd", "pte"]
        );

        // not present at the pte level: the error keeps the walk
        let other = va + 0x1000;
        match x.walk(&m, Va(other)) {
            Err(TranslateError::NotMapped { walk, .. }) => assert_eq!(walk.steps.len(), 5),
            r => panic!("unexpected {r:?}"),
        }
        // a table page missing from the dump
        m.put_u64(0x40_3000 + idx(other, 12) * 8, 0x8000 | 0x63);
        m.put_u64(0x40_2000 + idx(va + (1 << 21), 21) * 8, 0xdead_0000 | 0x63);
        match x.walk(&m, Va(va + (1 << 21))) {
            Err(TranslateError::PageTable { source, walk, .. }) => {
                assert_eq!(source.kind, FaultKind::NotInDump);
                assert_eq!(walk.steps.len(), 4);
            }
            r => panic!("unexpected {r:?}"),
        }
        // non-canonical for 4 levels, canonical for 5
        let x4 = X86_64::new(PB, Va(TOP_VA), 4, 0);
        assert!(matches!(
            x4.walk(&m, Va(va)),
            Err(TranslateError::NonCanonical { .. })
        ));
    }

    #[test]
    fn shortcuts() {
        let m = Pages::default();
        let mut x = X86_64::new(PB, Va(TOP_VA), 4, 0);
        x.page_offset_base = Some(PAGE_OFFSET_4L);
        assert_eq!(
            x.translate(&m, Va(PAGE_OFFSET_4L + 0x1234)).unwrap(),
            (Pa(0x1234), Translation::DirectMap)
        );
        assert_eq!(
            x.translate(&m, Va(START_KERNEL_MAP + 0x100_0000)).unwrap(),
            (Pa(0x100_0000 + PB), Translation::KernelImage)
        );
        // KASLR can make phys_base "negative": the arithmetic wraps
        let x = X86_64::new((-0x2000_0000i64) as u64, Va(TOP_VA), 4, 0);
        assert_eq!(
            x.kernel_image_pa(Va(START_KERNEL_MAP + 0x3000_0000)),
            Some(Pa(0x1000_0000))
        );
    }
}
