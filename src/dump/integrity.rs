//! What the dump's own headers say the file should hold, against what it holds: a file cut short
//! (an ELF PT_LOAD past the end, a kdump whose descriptor table or page data runs past the end, a
//! flattened stream without its end marker). Found at open time from the headers and a few
//! descriptor reads, so a report names it up front, whether or not it needed the missing pages.
//!
//! Cost: ELF, one pass over the PT_LOADs; kdump, a rank of the dumpable bitmap (bytes of the
//! file) and O(log n) descriptor reads; nothing follows a header's claim beyond the file's bytes.

use super::elf::Segment;
use super::format::PAGE_DESC_SIZE;
use super::kdump::KdumpFile;
use super::source::ByteSource;
use serde::Serialize;

/// A file that ends before the data its headers describe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Truncation {
    pub file: String,
    /// What the cut falls in: "PT_LOAD data", "page descriptor table", "page data", "flattened
    /// stream".
    pub part: &'static str,
    /// Bytes the file has (for a flattened file: of the kdump it reassembles to).
    pub file_len: u64,
    /// Bytes the headers say it should have, where known.
    pub expected_len: Option<u64>,
    /// Pages whose bytes are missing, where known (a kdump's references to its shared zero page
    /// are not among them: that page is at the start of the data).
    pub missing_pages: Option<u64>,
    /// The lowest physical address whose bytes are missing, rounded down to its page.
    pub first_missing_pa: Option<u64>,
}

impl Truncation {
    /// One line for people: what is cut, from where, how much, and what to do.
    pub fn message(&self) -> String {
        let mut s = format!(
            "{}: the file is truncated in its {}: it has {} bytes",
            self.file, self.part, self.file_len
        );
        if let Some(e) = self.expected_len {
            s += &format!(", its headers describe {e}");
        }
        if let Some(n) = self.missing_pages {
            s += &format!("; {n} pages are missing");
        }
        if let Some(pa) = self.first_missing_pa {
            s += &format!(", from physical address {pa:#x} on");
        }
        s += "; results that need those pages are partial (copy the dump again, or re-run the dump tool)";
        s
    }
}

/// ELF: every PT_LOAD's file bytes must be in the file.
pub(crate) fn elf(
    name: &str,
    segs: &[Segment],
    file_len: u64,
    page_size: u64,
) -> Option<Truncation> {
    let mut expected = 0u64;
    let mut pages = 0u64;
    let mut first: Option<u64> = None;
    for s in segs {
        let end = s.offset.saturating_add(s.filesz);
        expected = expected.max(end);
        if end <= file_len || s.filesz == 0 {
            continue;
        }
        // The first page that cannot be read whole, to the segment's end.
        let ps = page_size.max(1);
        let have = file_len.saturating_sub(s.offset).min(s.filesz);
        let pa = ((s.paddr + have) / ps * ps).max(s.paddr);
        pages = pages.saturating_add((s.paddr + s.filesz - pa).div_ceil(ps));
        first = Some(first.map_or(pa, |f| f.min(pa)));
    }
    first.map(|pa| Truncation {
        file: name.to_string(),
        part: "PT_LOAD data",
        file_len,
        expected_len: Some(expected),
        missing_pages: Some(pages),
        first_missing_pa: Some(pa),
    })
}

/// kdump: the descriptor table of the dumpable pages, then the data of each, must be in the
/// file. Both writers (makedumpfile, QEMU) put the page data right after the table, the shared
/// zero page first, then the pages in descriptor (pfn) order; so the missing pages are the last
/// descriptors, found by a backward scan that stops at the first page still in the file (zero-page
/// references, at the table's end, are skipped: their data is there). The scan reads only
/// descriptors that are in the file.
pub(crate) fn kdump<S: ByteSource>(k: &KdumpFile<S>) -> Option<Truncation> {
    let file_len = k.source().len();
    let n = k.dumpable_count();
    if n == 0 {
        return None;
    }
    let table = k.descriptor_table();
    let name = k.source().name().to_string();
    let truncation = |part, expected_len, first_idx: u64, missing: u64| Truncation {
        file: name.clone(),
        part,
        file_len,
        expected_len,
        missing_pages: Some(missing),
        first_missing_pa: k.pfn_of_index(first_idx).map(|pfn| pfn * k.block_size),
    };
    let table_end = table.saturating_add(n.saturating_mul(PAGE_DESC_SIZE));
    if table_end > file_len {
        let first = (file_len.saturating_sub(table) / PAGE_DESC_SIZE).min(n);
        return Some(truncation(
            "page descriptor table",
            Some(table_end),
            first,
            n - first,
        ));
    }
    let mut first = None;
    let mut missing = 0u64;
    let mut expected = 0u64;
    let mut i = n;
    const CHUNK: u64 = 4096;
    let mut buf = vec![0u8; (CHUNK * PAGE_DESC_SIZE) as usize];
    'scan: while i > 0 {
        let k0 = i.saturating_sub(CHUNK);
        let chunk = &mut buf[..((i - k0) * PAGE_DESC_SIZE) as usize];
        if k.source()
            .read_at(table + k0 * PAGE_DESC_SIZE, chunk)
            .is_err()
        {
            break;
        }
        for (j, d) in chunk
            .chunks_exact(PAGE_DESC_SIZE as usize)
            .enumerate()
            .rev()
        {
            let idx = k0 + j as u64;
            let (offset, size) = super::kdump::desc_extent(d);
            let held = k
                .source()
                .holds(table + idx * PAGE_DESC_SIZE, PAGE_DESC_SIZE);
            if held && offset == table_end {
                continue; // the shared zero page
            }
            let end = offset.saturating_add(size);
            if held && k.source().holds(offset, size) {
                break 'scan;
            }
            expected = expected.max(end);
            first = Some(idx);
            missing += 1;
        }
        i = k0;
    }
    first.map(|f| truncation("page data", Some(expected), f, missing))
}
