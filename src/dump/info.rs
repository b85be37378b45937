//! `DumpInfo`: what `modcrash info VMCORE` shows about a dump file. Plain data.

use super::decompress::Codec;
use super::elf::ElfDump;
use super::format::*;
use super::kdump::{DescScan, KdumpFile, Utsname};
use super::notes::NoteSummary;
use super::source::ByteSource;
use super::vmcoreinfo::VmcoreInfo;
use super::{DumpFormat, PageState, PhysRange};

/// How many page descriptors `info` reads to report the codecs actually used.
pub const DESCRIPTOR_SCAN_LIMIT: u64 = 1 << 20;

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DumpInfo {
    pub files: Vec<String>,
    pub format: Option<DumpFormat>,
    /// kdump `header_version`.
    pub header_version: Option<i32>,
    /// Compressions the header declares (status bits).
    pub compression_declared: Vec<String>,
    /// Compressions found in page descriptors, with page counts.
    pub compression_seen: Vec<(String, u64)>,
    /// Descriptors examined for `compression_seen` (out of `pages_present`).
    pub descriptors_scanned: u64,
    /// Descriptors with offset 0: pages lost by an incomplete dump.
    pub pages_lost: u64,
    pub page_size: u64,
    pub dump_level: Option<i32>,
    /// Names of the header status bits set.
    pub status_flags: Vec<String>,
    pub incomplete: bool,
    pub pages_present: u64,
    pub pages_excluded: u64,
    /// Highest PFN + 1 the dump describes (max_mapnr, or end of the last PT_LOAD).
    pub max_pfn: u64,
    /// ELF e_machine (62 = x86_64).
    pub elf_machine: Option<u16>,
    /// PT_LOAD count (ELF).
    pub segments: Option<usize>,
    /// Split dumps: per-file PFN ranges.
    pub split_parts: Vec<(String, u64, u64)>,
    pub nr_cpus: Option<i32>,
    pub utsname: Option<Utsname>,
    /// Sub-header phys_base (garbage in QEMU kdump files under KASLR; prefer VMCOREINFO).
    pub subheader_phys_base: Option<String>,
    pub notes: Option<NoteSummary>,
    pub flattened: Option<super::flattened::FlatStats>,
    pub vmcoreinfo_present: bool,
    pub release: Option<String>,
    pub build_id: Option<String>,
    pub kerneloffset: Option<String>,
    pub phys_base: Option<String>,
    pub pgtable_l5_enabled: Option<i64>,
    pub crash_time: Option<i64>,
    pub warnings: Vec<String>,
    /// Files that end before the data their headers describe (also a warning each).
    pub truncation: Vec<super::Truncation>,
    /// Pages counted in the headers whose bytes are past the end of the file (not in
    /// `pages_present`).
    pub pages_missing: u64,
}

fn status_names(status: u32) -> Vec<String> {
    let names = [
        (DUMP_DH_COMPRESSED_ZLIB, "compressed_zlib"),
        (DUMP_DH_COMPRESSED_LZO, "compressed_lzo"),
        (DUMP_DH_COMPRESSED_SNAPPY, "compressed_snappy"),
        (DUMP_DH_COMPRESSED_INCOMPLETE, "incomplete"),
        (DUMP_DH_EXCLUDED_VMEMMAP, "excluded_vmemmap"),
        (DUMP_DH_COMPRESSED_ZSTD, "compressed_zstd"),
    ];
    let mut v: Vec<String> = names
        .iter()
        .filter(|(b, _)| status & b != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    let unknown = status & !names.iter().fold(0, |a, (b, _)| a | b);
    if unknown != 0 {
        v.push(format!("unknown({unknown:#x})"));
    }
    v
}

fn declared(status: u32) -> Vec<String> {
    [
        (DUMP_DH_COMPRESSED_ZLIB, Codec::Zlib),
        (DUMP_DH_COMPRESSED_LZO, Codec::Lzo),
        (DUMP_DH_COMPRESSED_SNAPPY, Codec::Snappy),
        (DUMP_DH_COMPRESSED_ZSTD, Codec::Zstd),
    ]
    .iter()
    .filter(|(b, _)| status & b != 0)
    .map(|(_, c)| c.name().to_string())
    .collect()
}

impl DumpInfo {
    /// Record the dump's truncation: a warning each, and the missing pages moved from present
    /// to missing.
    pub(crate) fn add_truncation(&mut self, t: Vec<super::Truncation>) {
        for x in &t {
            let n = x.missing_pages.unwrap_or(0);
            self.pages_missing = self.pages_missing.saturating_add(n);
            self.pages_present = self.pages_present.saturating_sub(n);
            self.warnings.push(x.message());
        }
        self.truncation = t;
    }

    pub(crate) fn count_ranges(&mut self, ranges: impl Iterator<Item = PhysRange>) {
        let ps = self.page_size.max(1);
        for r in ranges {
            let pages = (r.end.0 - r.start.0).div_ceil(ps);
            match r.state {
                PageState::Present => self.pages_present = self.pages_present.saturating_add(pages),
                PageState::Excluded => {
                    self.pages_excluded = self.pages_excluded.saturating_add(pages)
                }
            }
        }
    }

    pub(crate) fn add_vmcoreinfo(&mut self, vi: Option<&VmcoreInfo>) {
        let Some(vi) = vi else { return };
        self.vmcoreinfo_present = true;
        self.release = vi.osrelease().map(str::to_string).or(self.release.take());
        self.build_id = vi.build_id().map(str::to_string);
        self.kerneloffset = vi
            .kernel_offset()
            .ok()
            .flatten()
            .map(crate::addr::hex_string);
        self.phys_base = vi
            .number("phys_base")
            .ok()
            .flatten()
            .map(|v| crate::addr::hex_string(v as u64));
        self.pgtable_l5_enabled = vi.number("pgtable_l5_enabled").ok().flatten();
        self.crash_time = vi.crash_time().ok().flatten();
    }

    pub(crate) fn from_elf(e: &ElfDump) -> DumpInfo {
        let mut i = DumpInfo {
            files: vec![e.name().to_string()],
            format: Some(DumpFormat::Elf),
            page_size: e.page_size(),
            incomplete: e.incomplete(),
            status_flags: if e.incomplete() {
                vec!["incomplete".into()]
            } else {
                vec![]
            },
            segments: Some(e.segs.len()),
            elf_machine: Some(e.e_machine),
            max_pfn: 0,
            notes: Some(e.notes.clone()),
            warnings: [e.warnings.clone(), e.overlap_warnings()].concat(),
            ..Default::default()
        };
        i.max_pfn = e
            .segs
            .iter()
            .map(|s| s.paddr + s.memsz)
            .max()
            .unwrap_or(0)
            .div_ceil(i.page_size);
        i.count_ranges(e.ranges());
        i.add_vmcoreinfo(e.vmcoreinfo.as_ref());
        i
    }

    pub(crate) fn from_kdump<S: ByteSource>(k: &KdumpFile<S>, format: DumpFormat) -> DumpInfo {
        let h = &k.header;
        let uts = k.utsname();
        let mut i = DumpInfo {
            files: vec![k.source().name().to_string()],
            format: Some(format),
            header_version: Some(h.header_version),
            compression_declared: declared(h.status),
            page_size: k.block_size,
            dump_level: (h.header_version >= 1 && k.flavor == super::kdump::Flavor::Kdump)
                .then_some(k.sub.dump_level),
            status_flags: status_names(h.status),
            incomplete: k.incomplete(),
            max_pfn: k.max_mapnr,
            nr_cpus: Some(h.nr_cpus),
            release: (!uts.release.is_empty()).then(|| uts.release.clone()),
            utsname: Some(uts),
            subheader_phys_base: (h.header_version >= 1)
                .then(|| crate::addr::hex_string(k.sub.phys_base)),
            notes: (h.header_version >= 4).then(|| k.notes.clone()),
            warnings: k.warnings.clone(),
            ..Default::default()
        };
        i.count_ranges(k.ranges());
        i.add_scan(&k.scan_descriptors(DESCRIPTOR_SCAN_LIMIT));
        i.add_vmcoreinfo(k.vmcoreinfo.as_ref());
        i
    }

    pub(crate) fn add_scan(&mut self, s: &DescScan) {
        self.descriptors_scanned += s.scanned;
        self.pages_lost += s.lost;
        for (c, n) in &s.per_codec {
            match self.compression_seen.iter_mut().find(|(name, _)| name == c) {
                Some(e) => e.1 += n,
                None => self.compression_seen.push((c.to_string(), *n)),
            }
        }
        if s.missing > 0 {
            self.warnings.push(format!(
                "{} page descriptors lie past the end of the file",
                s.missing
            ));
        }
        if s.bad > 0 {
            self.warnings.push(format!(
                "{} page descriptors have invalid compression flags",
                s.bad
            ));
        }
    }
}
