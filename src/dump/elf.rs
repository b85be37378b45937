//! ELF64 vmcore reader (/proc/vmcore copies, QEMU `dump-guest-memory` ELF, `makedumpfile -E`).
//!
//! PT_LOADs are indexed by `p_paddr` (p_vaddr is a direct-map address in /proc/vmcore and a copy
//! of p_paddr in QEMU dumps: never used). The header's `e_phoff` is honoured and `e_ehsize` is not
//! checked (QEMU 7.2 writes 8). Bytes between p_filesz and p_memsz were filtered out.

use super::error::DumpError;
use super::format::*;
use super::notes::{self, NoteSummary};
use super::source::{ByteSource, MemSource};
use super::vmcoreinfo::VmcoreInfo;
use super::{PageState, PhysRange};
use crate::memory::FaultKind;
use scroll::Pread;

/// One PT_LOAD.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    /// Its number in the program header table.
    pub index: u64,
    pub paddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub offset: u64,
}

impl Segment {
    fn end(&self) -> u64 {
        self.paddr + self.memsz
    }
}

/// PT_LOADs that overlap in physical address must agree on the bytes they both hold. A real
/// /proc/vmcore (and makedumpfile -E output made from one) has a kernel-text PT_LOAD (p_vaddr in
/// the kernel image) whose p_paddr range lies inside a RAM PT_LOAD by design: the same memory
/// twice, so no warning. Bytes that differ are named (both segments, the first physical address
/// that differs); reads there use the segment that starts later (see `ElfDump::find`). The
/// bytes compared are bounded by the file's length, whatever the headers claim.
const MAX_OVERLAP_PAIRS: u32 = 4096;

fn check_overlaps(src: &MemSource, segs: &[Segment], warnings: &mut Vec<String>) {
    let mut budget = src.len();
    // Pairs looked at: a hostile table of 65,535 segments over one range would be 2^31 pairs.
    let mut pairs = 0u32;
    for (i, a) in segs.iter().enumerate() {
        for b in segs[i + 1..].iter().take_while(|b| b.paddr < a.end()) {
            pairs += 1;
            if pairs > MAX_OVERLAP_PAIRS {
                warnings.push(format!(
                    "more than {MAX_OVERLAP_PAIRS} pairs of PT_LOADs overlap in physical address; the rest were not compared (reads use the segment that starts later)"
                ));
                return;
            }
            // Both hold file bytes for [lo, hi).
            let lo = b.paddr;
            let hi = (a.paddr + a.filesz).min(b.paddr + b.filesz);
            if lo >= hi {
                continue;
            }
            let len = hi - lo;
            if len > budget {
                warnings.push(format!(
                    "PT_LOAD {} and PT_LOAD {} overlap in physical address ({:#x}..{:#x}); not compared (more overlapping bytes than the file holds)",
                    a.index, b.index, lo, hi
                ));
                return;
            }
            budget -= len;
            if let Some(pa) = first_difference(src, a.offset + (lo - a.paddr), b.offset, len) {
                warnings.push(format!(
                    "PT_LOAD {} (physical {:#x}..{:#x}, file offset {:#x}) and PT_LOAD {} (physical {:#x}..{:#x}, file offset {:#x}) hold different bytes for the same memory, first at physical address {:#x}; reads there use PT_LOAD {}",
                    a.index, a.paddr, a.end(), a.offset, b.index, b.paddr, b.end(), b.offset,
                    lo + pa, b.index
                ));
            }
        }
    }
}

/// The first offset at which `len` bytes at file offsets `x` and `y` differ; bytes past the end
/// of the file are not compared (a truncation is reported on its own).
fn first_difference(src: &MemSource, x: u64, y: u64, len: u64) -> Option<u64> {
    const CHUNK: u64 = 1 << 20;
    let mut done = 0u64;
    while done < len {
        let n = CHUNK.min(len - done) as usize;
        let (Some(p), Some(q)) = (src.slice(x + done, n), src.slice(y + done, n)) else {
            return None;
        };
        if p != q {
            let k = p.iter().zip(q).position(|(a, b)| a != b).unwrap_or(0);
            return Some(done + k as u64);
        }
        done += n as u64;
    }
    None
}

pub struct ElfDump {
    src: MemSource,
    /// Sorted by `paddr`.
    pub(crate) segs: Vec<Segment>,
    pub(crate) e_flags: u32,
    pub(crate) e_machine: u16,
    pub(crate) vmcoreinfo: Option<VmcoreInfo>,
    pub(crate) notes: NoteSummary,
    pub(crate) warnings: Vec<String>,
}

impl ElfDump {
    pub fn open(src: MemSource) -> Result<ElfDump, DumpError> {
        let name = src.name().to_string();
        let data = src.bytes();
        let flen = data.len() as u64;
        if data.len() < ELF64_EHDR_SIZE {
            return Err(DumpError::truncated(
                &name,
                "the ELF header",
                ELF64_EHDR_SIZE as u64,
                flen,
            ));
        }
        if data[4] == 1 {
            return Err(DumpError::Unsupported {
                path: name,
                what: "a 32-bit ELF core".into(),
                hint: "modcrash reads 64-bit (x86_64) dumps only.".into(),
            });
        }
        if data[4] != 2 {
            return Err(DumpError::corrupt(
                &name,
                4,
                format!("ELF class {}", data[4]),
                "2 (ELFCLASS64)",
            ));
        }
        let endian = match data[5] {
            1 => scroll::LE,
            2 => scroll::BE,
            d => {
                return Err(DumpError::corrupt(
                    &name,
                    5,
                    format!("ELF data encoding {d}"),
                    "1 (little) or 2 (big endian)",
                ))
            }
        };
        let hdr: Elf64Ehdr = data.pread_with(0, endian).map_err(|e| DumpError::Corrupt {
            path: name.clone(),
            offset: 0,
            what: "ELF header".into(),
            expected: "an Elf64_Ehdr".into(),
            hint: super::error::HINT_CORRUPT,
            source: Some(Box::new(e)),
        })?;
        if hdr.e_type != ET_CORE {
            let what = match hdr.e_type {
                ET_EXEC | ET_DYN => "an ELF executable (a vmlinux?), not a core dump",
                ET_REL => "an ELF relocatable object (a kernel module?), not a core dump",
                _ => "an ELF file that is not a core dump",
            };
            return Err(DumpError::UnknownFormat {
                path: name,
                looks_like: format!("{what} (e_type {})", hdr.e_type),
                hint: "Pass the vmcore, not the kernel image".into(),
            });
        }
        let phoff = hdr.e_phoff;
        let mut phnum = hdr.e_phnum as u64;
        if hdr.e_phnum == PN_XNUM {
            // Real count in section 0's sh_info (offset 44 in Elf64_Shdr).
            let sh_info: Option<u32> = hdr.e_shoff.checked_add(44).and_then(|o| {
                data.pread_with::<u32>(usize::try_from(o).ok()?, endian)
                    .ok()
            });
            phnum = sh_info.ok_or_else(|| {
                DumpError::corrupt(
                    &name,
                    hdr.e_shoff,
                    "e_phnum is PN_XNUM but section 0 is missing",
                    "a section header at e_shoff",
                )
            })? as u64;
        }
        if phnum > 0 && hdr.e_phentsize as usize != ELF64_PHDR_SIZE {
            return Err(DumpError::corrupt(
                &name,
                54,
                format!("e_phentsize {}", hdr.e_phentsize),
                "56",
            ));
        }
        let table_end = phnum
            .checked_mul(ELF64_PHDR_SIZE as u64)
            .and_then(|n| n.checked_add(phoff));
        match table_end {
            Some(e) if e <= flen => {}
            _ => {
                return Err(DumpError::truncated(
                    &name,
                    format!("the program header table (e_phoff {phoff:#x}, {phnum} entries)"),
                    table_end.unwrap_or(u64::MAX),
                    flen,
                ))
            }
        }
        let phdrs = (0..phnum).filter_map(|i| {
            let o = (phoff + i * ELF64_PHDR_SIZE as u64) as usize;
            data.pread_with::<Elf64Phdr>(o, endian)
                .ok()
                .map(|p| (i, o as u64, p))
        });
        let mut segs = Vec::new();
        let mut note_sum = NoteSummary::default();
        let mut vmcoreinfo = None;
        let mut warnings = Vec::new();
        for (i, ph_off, ph) in phdrs {
            let (off, filesz, memsz) = (ph.p_offset, ph.p_filesz, ph.p_memsz);
            match ph.p_type {
                PT_LOAD => {
                    let paddr = ph.p_paddr;
                    if filesz > memsz {
                        return Err(DumpError::corrupt(
                            &name,
                            ph_off,
                            format!("PT_LOAD {i} with p_filesz {filesz:#x} > p_memsz {memsz:#x}"),
                            "p_filesz <= p_memsz",
                        ));
                    }
                    if off.checked_add(filesz).is_none() || paddr.checked_add(memsz).is_none() {
                        return Err(DumpError::corrupt(
                            &name,
                            ph_off,
                            format!("PT_LOAD {i} (offset {off:#x}, paddr {paddr:#x}, memsz {memsz:#x}) overflows"),
                            "ranges below 2^64",
                        ));
                    }
                    if memsz > 0 {
                        segs.push(Segment {
                            index: i,
                            paddr,
                            filesz,
                            memsz,
                            offset: off,
                        });
                    }
                }
                PT_NOTE => {
                    let end = off.saturating_add(filesz).min(flen);
                    if off.saturating_add(filesz) > flen {
                        warnings.push(format!(
                            "PT_NOTE at offset {off:#x} runs past the end of the file"
                        ));
                    }
                    let blob = data
                        .get(off.min(flen) as usize..end as usize)
                        .unwrap_or(&[]);
                    let (s, vi) = notes::summarize(blob);
                    if !s.well_formed {
                        warnings.push(format!(
                            "ELF notes at offset {off:#x} are malformed after {} notes",
                            s.total
                        ));
                    }
                    note_sum.total += s.total;
                    note_sum.prstatus += s.prstatus;
                    note_sum.qemu += s.qemu;
                    note_sum.vmcoreinfo_note |= s.vmcoreinfo_note;
                    note_sum.well_formed =
                        s.well_formed && (note_sum.well_formed || note_sum.total == s.total);
                    if vmcoreinfo.is_none() {
                        vmcoreinfo = vi;
                    }
                }
                _ => {}
            }
        }
        segs.sort_by_key(|s| (s.paddr, s.index));
        let e_flags = hdr.e_flags;
        if e_flags & ELF_DUMP_INCOMPLETE != 0 {
            warnings.push("the dump is incomplete (ELF e_flags bit 0): data past the end of the file is missing".into());
        }
        Ok(ElfDump {
            e_machine: hdr.e_machine,
            src,
            segs,
            e_flags,
            vmcoreinfo,
            notes: note_sum,
            warnings,
        })
    }

    /// VMCOREINFO PAGESIZE when it is sane, else 4096.
    pub fn page_size(&self) -> u64 {
        self.vmcoreinfo
            .as_ref()
            .and_then(|v| v.page_size().ok().flatten())
            .filter(|p| p.is_power_of_two() && (512..=65536).contains(p))
            .unwrap_or(4096)
    }

    /// Overlapping PT_LOADs that disagree (see `check_overlaps`). Compares bytes, so it runs for
    /// `info`, not at every open.
    pub fn overlap_warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        check_overlaps(&self.src, &self.segs, &mut w);
        w
    }

    /// PT_LOAD data past the end of the file.
    pub fn truncation(&self) -> Option<super::Truncation> {
        super::integrity::elf(self.name(), &self.segs, self.file_len(), self.page_size())
    }

    pub fn incomplete(&self) -> bool {
        self.e_flags & ELF_DUMP_INCOMPLETE != 0
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segs
    }

    fn find(&self, pa: u64) -> Option<&Segment> {
        let i = self.segs.partition_point(|s| s.paddr <= pa);
        // Overlaps are rare; look back a little for a segment that contains `pa`.
        self.segs[..i].iter().rev().take(8).find(|s| pa < s.end())
    }

    /// Read `buf.len()` bytes at physical `pa`. Returns the fault and the address of the first
    /// byte that could not be read.
    pub fn read(
        &self,
        pa: u64,
        buf: &mut [u8],
        zero_excluded: bool,
    ) -> Result<(), (FaultKind, u64, Option<u64>)> {
        let mut done = 0usize;
        while done < buf.len() {
            let a = pa
                .checked_add(done as u64)
                .ok_or((FaultKind::NotInDump, pa, None))?;
            let Some(seg) = self.find(a) else {
                return Err((FaultKind::NotInDump, a, None));
            };
            let rel = a - seg.paddr;
            let want = (buf.len() - done) as u64;
            let out = &mut buf[done..];
            if rel < seg.filesz {
                let n = want.min(seg.filesz - rel);
                let off = seg.offset + rel;
                match self.src.slice(off, n as usize) {
                    Some(s) => out[..n as usize].copy_from_slice(s),
                    None => {
                        // Copy what exists, then report where it stops.
                        let avail = self.src.len().saturating_sub(off).min(n);
                        if avail > 0 {
                            if let Some(s) = self.src.slice(off, avail as usize) {
                                out[..avail as usize].copy_from_slice(s);
                            }
                        }
                        let kind = if self.incomplete() {
                            FaultKind::Incomplete
                        } else {
                            FaultKind::Truncated
                        };
                        return Err((kind, a + avail, Some(off + avail)));
                    }
                }
                done += n as usize;
            } else {
                let n = want.min(seg.memsz - rel);
                if !zero_excluded {
                    return Err((FaultKind::Excluded, a, None));
                }
                out[..n as usize].fill(0);
                done += n as usize;
            }
        }
        Ok(())
    }

    /// Sorted, coalesced ranges, each with the state a read there meets: between every
    /// segment's start, end of file bytes and end, the segment [`ElfDump::find`] picks, so
    /// overlapping segments (a kernel-text PT_LOAD over RAM) count once.
    pub fn ranges(&self) -> impl Iterator<Item = PhysRange> + '_ {
        let mut cuts: Vec<u64> = self
            .segs
            .iter()
            .flat_map(|s| [s.paddr, s.paddr + s.filesz, s.end()])
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut out: Vec<PhysRange> = Vec::new();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let Some(seg) = self.find(a) else { continue };
            let state = if a - seg.paddr < seg.filesz {
                PageState::Present
            } else {
                PageState::Excluded
            };
            match out.last_mut() {
                Some(l) if l.end.0 == a && l.state == state => l.end = crate::addr::Pa(b),
                _ => out.push(PhysRange {
                    start: crate::addr::Pa(a),
                    end: crate::addr::Pa(b),
                    state,
                }),
            }
        }
        out.into_iter()
    }

    pub fn file_len(&self) -> u64 {
        self.src.len()
    }

    pub fn name(&self) -> &str {
        self.src.name()
    }
}
