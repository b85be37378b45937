//! Synthetic dump files for tests, fuzz seeds and benchmarks.
//!
//! Written independently of the readers in [`crate::dump`]: no shared structs, constants or layout
//! code. Every field is placed by an explicit byte offset taken from the C definitions
//! (makedumpfile's `diskdump_mod.h`, `makedumpfile.h`, the ELF spec), so a layout mistake in a
//! reader makes the round-trip tests fail instead of cancelling out.

pub mod bytes;
mod elf;
mod flat;
pub mod kallsyms;
mod kdump;
pub mod printk;
#[cfg(test)]
mod tests;

pub use elf::{elf, ElfLayout};
pub use flat::{flatten, FlattenOpts};
pub use kdump::{kdump, kdump_split, write_kdump};

use std::collections::BTreeMap;

/// What one dumpable page holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    /// The page's bytes (exactly `page_size` long).
    Data(Vec<u8>),
    /// Dumpable, but never written: the dump was cut short (zero descriptor / ELF truncated).
    Lost,
}

/// Per-page compression of kdump files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Compression {
    None,
    Zlib,
    Lzo,
    Snappy,
    Zstd,
}

impl Compression {
    pub const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Zlib,
        Compression::Lzo,
        Compression::Snappy,
        Compression::Zstd,
    ];
}

/// A dump to synthesise. RAM PFNs that are not in `pages` are excluded (filtered) pages.
#[derive(Clone, Debug)]
pub struct Spec {
    pub page_size: u32,
    /// max_mapnr: PFNs `[0, max_pfn)` are described by the bitmaps.
    pub max_pfn: u64,
    /// RAM as sorted, disjoint PFN ranges `[start, end)`.
    pub ram: Vec<(u64, u64)>,
    /// Dumpable pages by PFN (each must lie in `ram`).
    pub pages: BTreeMap<u64, Page>,
    pub vmcoreinfo: Option<String>,
    /// NT_PRSTATUS notes to write.
    pub prstatus_notes: usize,
    pub compression: Compression,
    pub dump_level: i32,
    /// kdump: header status INCOMPLETE. ELF: e_flags bit 0, and the file ends at the first lost page.
    pub incomplete: bool,
    /// kdump: all-zero pages share one descriptor-referenced zero page (as makedumpfile does).
    pub share_zero_page: bool,
    /// kdump header_version (1..=6).
    pub header_version: i32,
    /// utsname release ("" like QEMU).
    pub release: String,
}

impl Spec {
    /// A spec with no pages.
    pub fn new(page_size: u32, max_pfn: u64) -> Spec {
        Spec {
            page_size,
            max_pfn,
            ram: Vec::new(),
            pages: BTreeMap::new(),
            vmcoreinfo: None,
            prstatus_notes: 1,
            compression: Compression::None,
            dump_level: 31,
            incomplete: false,
            share_zero_page: true,
            header_version: 6,
            release: "6.1.0-synth".into(),
        }
    }

    /// A small, varied dump: three RAM ranges with present, excluded, zero and incompressible
    /// pages, plus a VMCOREINFO. PFNs: RAM 0x0..0x20, 0x40..0x58, 0x100..0x108; max_pfn 0x110.
    pub fn sample(page_size: u32, compression: Compression) -> Spec {
        let mut s = Spec::new(page_size, 0x110);
        s.ram = vec![(0, 0x20), (0x40, 0x58), (0x100, 0x108)];
        s.compression = compression;
        for &(a, b) in &s.ram.clone() {
            for pfn in a..b {
                let page = match pfn % 7 {
                    3 => continue, // excluded
                    5 => Page::Data(vec![0; page_size as usize]),
                    6 => Page::Data(noise_page(pfn, page_size)),
                    _ => Page::Data(page_pattern(pfn, page_size)),
                };
                s.pages.insert(pfn, page);
            }
        }
        // A leading excluded run in a RAM range (ELF needs a filesz-0 PT_LOAD for it).
        s.pages.remove(&0x40);
        s.pages.remove(&0x41);
        s.vmcoreinfo = Some(sample_vmcoreinfo());
        s
    }

    /// Whether `pfn` is RAM.
    pub fn is_ram(&self, pfn: u64) -> bool {
        self.ram.iter().any(|&(a, b)| (a..b).contains(&pfn))
    }
}

/// VMCOREINFO text used by [`Spec::sample`].
pub fn sample_vmcoreinfo() -> String {
    "OSRELEASE=6.1.0-synth\nBUILD-ID=0123456789abcdef0123456789abcdef01234567\nPAGESIZE=4096\n\
SYMBOL(init_top_pgt)=ffffffff82a0c000\nNUMBER(phys_base)=-694157312\nNUMBER(pgtable_l5_enabled)=0\n\
KERNELOFFSET=2e000000\nCRASHTIME=1700000000\n"
        .to_string()
}

/// Deterministic, compressible page content that differs per PFN.
pub fn page_pattern(pfn: u64, page_size: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(page_size as usize);
    let tag = format!("pfn {pfn:#x} ");
    while v.len() < page_size as usize {
        v.extend_from_slice(tag.as_bytes());
        v.push((v.len() / 64) as u8);
    }
    v.truncate(page_size as usize);
    v
}

/// Deterministic incompressible page content (forces the "stored raw" path).
pub fn noise_page(pfn: u64, page_size: u32) -> Vec<u8> {
    let mut x = pfn.wrapping_mul(0x9e3779b97f4a7c15) | 1;
    (0..page_size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}
