//! kdump-compressed (diskdump) reader, generic over the byte source: a plain file or the
//! flattened-format index.
//!
//! Layout (block = `block_size` bytes): block 0 header, sub-header at block 1 (`sub_hdr_size`
//! blocks), then `bitmap_blocks` of bitmaps (first half: RAM, second half: dumpable), then one
//! 24-byte page descriptor per dumpable page, then page data. A dumpable PFN's descriptor number is
//! the count of dumpable bits below it ([`RankIndex`]).

use super::bitmap::{Bitmap, RankIndex};
use super::cache::{PageCache, DEFAULT_CACHE_PAGES};
use super::decompress::{decompress, Codec};
use super::error::DumpError;
use super::format::*;
use super::kdump_open as open;
use super::notes::NoteSummary;
use super::source::ByteSource;
use super::vmcoreinfo::VmcoreInfo;
use super::{PageState, PhysRange};
use crate::memory::FaultKind;
use scroll::Pread;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Largest accepted stored size of one page: LZO's worst case expansion is below this.
fn max_stored_size(block_size: u64) -> u64 {
    block_size * 2 + 1024
}
/// Caps on metadata blobs read whole.
pub(super) const MAX_VMCOREINFO: u64 = 16 << 20;
pub(super) const MAX_NOTES: u64 = 64 << 20;

/// Which signature the file had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    /// "KDUMP   " (makedumpfile, QEMU).
    Kdump,
    /// "DISKDUMP" (legacy diskdump; no kdump sub-header).
    Diskdump,
}

/// Parsed `new_utsname` (fields may be empty: QEMU fills only `machine`).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Utsname {
    pub sysname: String,
    pub nodename: String,
    pub release: String,
    pub version: String,
    pub machine: String,
    pub domainname: String,
}

fn parse_utsname(raw: &[u8; 390]) -> Utsname {
    let f = |i: usize| {
        let s = &raw[i * UTSNAME_FIELD_LEN..(i + 1) * UTSNAME_FIELD_LEN];
        let n = s.iter().position(|&b| b == 0).unwrap_or(s.len());
        String::from_utf8_lossy(&s[..n]).into_owned()
    };
    Utsname {
        sysname: f(0),
        nodename: f(1),
        release: f(2),
        version: f(3),
        machine: f(4),
        domainname: f(5),
    }
}

/// A page's bytes: borrowed from the mapping, or a decompressed copy.
pub enum PageBytes<'a> {
    Borrowed(&'a [u8]),
    Owned(Arc<[u8]>),
}

impl std::ops::Deref for PageBytes<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            PageBytes::Borrowed(b) => b,
            PageBytes::Owned(a) => a,
        }
    }
}

/// A failed page lookup: why, and the file offset involved if any.
pub type PageFault = (FaultKind, Option<u64>);

/// An open kdump-compressed file.
pub struct KdumpFile<S: ByteSource> {
    src: S,
    pub(crate) flavor: Flavor,
    pub(crate) header: DiskDumpHeader,
    pub(crate) sub: KdumpSubHeader,
    pub(crate) block_size: u64,
    pub(crate) max_mapnr: u64,
    ram: Bitmap,
    dumpable: RankIndex,
    /// The dumpable bitmap doubles as the RAM bitmap (legacy single-bitmap dumps).
    pub(crate) single_bitmap: bool,
    desc_base: u64,
    /// PFNs this file holds pages for: everything, or its part of a split dump.
    pub(crate) pfn_lo: u64,
    pub(crate) pfn_hi: u64,
    pub(crate) split: bool,
    pub(crate) vmcoreinfo: Option<VmcoreInfo>,
    pub(crate) notes: NoteSummary,
    pub(crate) warnings: Vec<String>,
    cache: PageCache,
    seen: AtomicU32,
}

impl<S: ByteSource> KdumpFile<S> {
    /// Parse and validate the headers; nothing proportional to the dump size is read.
    pub fn open(src: S) -> Result<KdumpFile<S>, DumpError> {
        let name = src.name().to_string();
        let mut warnings = Vec::new();
        let (header, flavor) = open::main_header(&src, &name, &mut warnings)?;
        let block_size = open::block_size(&header, &name)?;
        let (sub, sub_hdr_blocks) = open::sub_header(&src, &name, &header, flavor, block_size)?;
        let v = header.header_version;
        let max_mapnr = if v >= 6 && sub.max_mapnr_64 != 0 {
            sub.max_mapnr_64
        } else {
            header.max_mapnr as u64
        };
        let bm = open::bitmaps(
            &src,
            &name,
            &header,
            block_size,
            sub_hdr_blocks,
            max_mapnr,
            &mut warnings,
        )?;
        let split = flavor == Flavor::Kdump && v >= 2 && sub.split != 0;
        let (pfn_lo, pfn_hi) = if split {
            open::split_range(&name, &sub, v, block_size, max_mapnr)?
        } else {
            (0, max_mapnr)
        };
        let (vmcoreinfo, notes) = open::metadata(&src, &sub, v, &mut warnings);
        if header.status & DUMP_DH_COMPRESSED_INCOMPLETE != 0 {
            warnings.push(
                "the dump is incomplete (header status INCOMPLETE): pages written last are missing"
                    .into(),
            );
        }
        Ok(KdumpFile {
            src,
            flavor,
            header,
            sub,
            block_size,
            max_mapnr,
            ram: bm.ram,
            dumpable: RankIndex::new(bm.dumpable),
            single_bitmap: bm.single,
            desc_base: bm.end,
            pfn_lo,
            pfn_hi,
            split,
            vmcoreinfo,
            notes,
            warnings,
            cache: PageCache::new(DEFAULT_CACHE_PAGES),
            seen: AtomicU32::new(0),
        })
    }

    pub fn source(&self) -> &S {
        &self.src
    }

    pub fn incomplete(&self) -> bool {
        self.header.status & DUMP_DH_COMPRESSED_INCOMPLETE != 0
    }

    pub fn utsname(&self) -> Utsname {
        parse_utsname(&self.header.utsname)
    }

    /// Codecs met so far in page reads (and in [`Self::scan_descriptors`]).
    pub fn codecs_seen(&self) -> Vec<Codec> {
        let m = self.seen.load(Ordering::Relaxed);
        [
            Codec::Raw,
            Codec::Zlib,
            Codec::Lzo,
            Codec::Snappy,
            Codec::Zstd,
        ]
        .into_iter()
        .filter(|c| m & c.bit() != 0)
        .collect()
    }

    fn fault_missing(&self, off: u64) -> PageFault {
        let kind = if self.incomplete() {
            FaultKind::Incomplete
        } else {
            FaultKind::Truncated
        };
        (kind, self.src.file_offset(off).or(Some(off)))
    }

    /// Whether `pfn` is RAM / dumpable per the bitmaps (no descriptor access).
    pub fn state(&self, pfn: u64) -> Result<Option<PageState>, PageFault> {
        if pfn >= self.max_mapnr {
            return Ok(None);
        }
        let bad = |_| (FaultKind::Truncated, None);
        if self.dumpable.bitmap().get(&self.src, pfn).map_err(bad)? {
            return Ok(Some(PageState::Present));
        }
        if !self.single_bitmap && self.ram.get(&self.src, pfn).map_err(bad)? {
            return Ok(Some(PageState::Excluded));
        }
        Ok(None)
    }

    /// Descriptor of a dumpable page (`idx` = its number in this file).
    fn descriptor(&self, idx: u64) -> Result<(PageDesc, u64), PageFault> {
        let off = idx
            .checked_mul(PAGE_DESC_SIZE)
            .and_then(|o| o.checked_add(self.desc_base))
            .ok_or((FaultKind::Corrupt("page descriptor offset overflows"), None))?;
        let mut b = [0u8; PAGE_DESC_SIZE as usize];
        if !self.src.holds(off, PAGE_DESC_SIZE) {
            return Err(self.fault_missing(off));
        }
        self.src
            .read_at(off, &mut b)
            .map_err(|_| self.fault_missing(off))?;
        let d: PageDesc = b
            .pread_with(0, scroll::LE)
            .map_err(|_| (FaultKind::Corrupt("unreadable page descriptor"), Some(off)))?;
        Ok((d, off))
    }

    /// The bytes of page `pfn` (which must be within this file's PFN range).
    pub fn page(&self, pfn: u64) -> Result<PageBytes<'_>, PageFault> {
        match self.state(pfn)? {
            None => return Err((FaultKind::NotInDump, None)),
            Some(PageState::Excluded) => return Err((FaultKind::Excluded, None)),
            Some(PageState::Present) => {}
        }
        if pfn < self.pfn_lo || pfn >= self.pfn_hi {
            return Err((FaultKind::NotInDump, None));
        }
        if let Some(p) = self.cache.get(pfn) {
            return Ok(PageBytes::Owned(p));
        }
        let bad = |_| (FaultKind::Truncated, None);
        let idx = self.dumpable.rank(&self.src, pfn).map_err(bad)?
            - self.dumpable.rank(&self.src, self.pfn_lo).map_err(bad)?;
        let (d, doff) = self.descriptor(idx)?;
        let fo = |o: u64| self.src.file_offset(o).or(Some(o));
        if d.offset == 0 {
            // Descriptors never written (the dump stopped early) are zero.
            return Err((FaultKind::Incomplete, fo(doff)));
        }
        if d.offset < 0 {
            return Err((FaultKind::Corrupt("negative page data offset"), fo(doff)));
        }
        let (off, size) = (d.offset as u64, d.size as u64);
        if size == 0 || size > max_stored_size(self.block_size) {
            return Err((
                FaultKind::Corrupt("page descriptor size out of range"),
                fo(doff),
            ));
        }
        let codec = Codec::from_flags(d.flags).map_err(|w| (FaultKind::Corrupt(w), fo(doff)))?;
        self.seen.fetch_or(codec.bit(), Ordering::Relaxed);
        let bs = self.block_size as usize;
        if !self.src.holds(off, size) {
            return Err(self.fault_missing(off));
        }
        if codec == Codec::Raw {
            if size != self.block_size {
                return Err((
                    FaultKind::Corrupt("uncompressed page size is not the block size"),
                    fo(off),
                ));
            }
            if let Some(s) = self.src.slice(off, bs) {
                return Ok(PageBytes::Borrowed(s));
            }
        }
        let mut out = vec![0u8; bs];
        let mut tmp;
        let data: &[u8] = match self.src.slice(off, size as usize) {
            Some(s) => s,
            None => {
                tmp = vec![0u8; size as usize];
                self.src
                    .read_at(off, &mut tmp)
                    .map_err(|_| self.fault_missing(off))?;
                &tmp
            }
        };
        decompress(codec, data, &mut out).map_err(|w| (FaultKind::Corrupt(w), fo(off)))?;
        let arc: Arc<[u8]> = Arc::from(out);
        self.cache.insert(pfn, arc.clone());
        Ok(PageBytes::Owned(arc))
    }

    /// Dumpable pages in this file (bits set in the second bitmap within its PFN range).
    pub fn dumpable_count(&self) -> u64 {
        let r = |b| self.dumpable.rank(&self.src, b).unwrap_or(0);
        r(self.pfn_hi).saturating_sub(r(self.pfn_lo))
    }

    /// File offset of the page descriptor table (right after the bitmaps).
    pub(crate) fn descriptor_table(&self) -> u64 {
        self.desc_base
    }

    /// The pfn of the `idx`-th dumpable page of this file (the bit of that rank in the dumpable
    /// bitmap), by bisection over ranks: O(log max_mapnr) rank queries.
    pub(crate) fn pfn_of_index(&self, idx: u64) -> Option<u64> {
        let rank = |b: u64| self.dumpable.rank(&self.src, b).ok();
        let base = rank(self.pfn_lo)?;
        let want = base.checked_add(idx)?;
        // The smallest pfn p with rank(p + 1) > want.
        let (mut lo, mut hi) = (self.pfn_lo, self.pfn_hi);
        if rank(hi)? <= want {
            return None;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if rank(mid + 1)? > want {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Some(lo)
    }

    /// Read up to `max` descriptors and count codecs, zero offsets (lost pages) and bad entries.
    pub fn scan_descriptors(&self, max: u64) -> DescScan {
        let n = self.dumpable_count();
        let mut s = DescScan {
            scanned: n.min(max),
            total: n,
            ..Default::default()
        };
        let mut buf = vec![0u8; 4096 * PAGE_DESC_SIZE as usize];
        let mut i = 0u64;
        while i < s.scanned {
            let k = (s.scanned - i).min(4096);
            let off = self.desc_base + i * PAGE_DESC_SIZE;
            let chunk = &mut buf[..(k * PAGE_DESC_SIZE) as usize];
            if self.src.read_at(off, chunk).is_err() {
                s.missing += s.scanned - i;
                break;
            }
            for d in chunk.chunks_exact(PAGE_DESC_SIZE as usize) {
                let d: PageDesc = d.pread_with(0, scroll::LE).unwrap_or_default();
                if d.offset == 0 {
                    s.lost += 1;
                    continue;
                }
                match Codec::from_flags(d.flags) {
                    Ok(c) => {
                        self.seen.fetch_or(c.bit(), Ordering::Relaxed);
                        *s.per_codec.entry(c.name()).or_default() += 1;
                    }
                    Err(_) => s.bad += 1,
                }
            }
            i += k;
        }
        s
    }

    /// RAM ranges of this file's PFN range, present or excluded, coalesced.
    pub fn ranges(&self) -> KdumpRanges<'_, S> {
        KdumpRanges {
            f: self,
            next_byte: self.pfn_lo / 8,
            end_byte: self.pfn_hi.div_ceil(8),
            out: VecDeque::new(),
            cur: None,
            done: false,
        }
    }

    pub fn rank_index_bytes(&self) -> usize {
        self.dumpable.index_bytes()
    }
}

/// Data offset and stored size of a raw page descriptor (offset 0 and negative offsets read as 0).
pub(crate) fn desc_extent(raw: &[u8]) -> (u64, u64) {
    let d: PageDesc = raw.pread_with(0, scroll::LE).unwrap_or_default();
    (d.offset.max(0) as u64, d.size as u64)
}

/// Codec statistics from the descriptor table.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DescScan {
    pub total: u64,
    pub scanned: u64,
    pub per_codec: std::collections::BTreeMap<&'static str, u64>,
    /// Descriptors with offset 0 (never written: incomplete dump).
    pub lost: u64,
    /// Descriptors past the end of the file.
    pub missing: u64,
    /// Descriptors with invalid flags.
    pub bad: u64,
}

/// Iterator over coalesced [`PhysRange`]s of a kdump file, reading both bitmaps 4 KiB at a time.
pub struct KdumpRanges<'a, S: ByteSource> {
    f: &'a KdumpFile<S>,
    next_byte: u64,
    end_byte: u64,
    out: VecDeque<PhysRange>,
    /// Current run: (start pfn, end pfn, state).
    cur: Option<(u64, u64, PageState)>,
    done: bool,
}

impl<S: ByteSource> KdumpRanges<'_, S> {
    fn push(&mut self, pfn: u64, n: u64, st: Option<PageState>) {
        match (&mut self.cur, st) {
            (Some((_, e, s)), Some(st)) if *e == pfn && *s == st => *e += n,
            (cur, st) => {
                if let Some((s, e, state)) = cur.take() {
                    let bs = self.f.block_size;
                    self.out.push_back(PhysRange {
                        start: crate::addr::Pa(s * bs),
                        end: crate::addr::Pa(e * bs),
                        state,
                    });
                }
                *cur = st.map(|st| (pfn, pfn + n, st));
            }
        }
    }

    fn fill(&mut self) {
        const CHUNK: usize = 4096;
        let mut b1 = [0u8; CHUNK];
        let mut b2 = [0u8; CHUNK];
        let n = ((self.end_byte - self.next_byte) as usize).min(CHUNK);
        let f = self.f;
        let ok = f
            .dumpable
            .bitmap()
            .read_bytes(&f.src, self.next_byte, &mut b2[..n])
            .is_ok()
            && (f.single_bitmap
                || f.ram
                    .read_bytes(&f.src, self.next_byte, &mut b1[..n])
                    .is_ok());
        if !ok {
            self.done = true;
            return;
        }
        for i in 0..n {
            let byte = self.next_byte + i as u64;
            let pfn0 = byte * 8;
            let (mut r, mut d) = (b1[i], b2[i]);
            // Mask PFNs outside [lo, hi).
            let (lo, hi) = (f.pfn_lo, f.pfn_hi);
            if pfn0 < lo {
                let m = 0xffu8 << (lo - pfn0);
                r &= m;
                d &= m;
            }
            if pfn0 + 8 > hi {
                let m = ((1u16 << (hi - pfn0)) - 1) as u8;
                r &= m;
                d &= m;
            }
            if f.single_bitmap {
                r = 0;
            }
            if d == 0xff {
                self.push(pfn0, 8, Some(PageState::Present));
            } else if d == 0 && r == 0 {
                self.push(pfn0, 8, None);
            } else if d == 0 && r == 0xff {
                self.push(pfn0, 8, Some(PageState::Excluded));
            } else {
                for bit in 0..8 {
                    let st = if d & (1 << bit) != 0 {
                        Some(PageState::Present)
                    } else if r & (1 << bit) != 0 {
                        Some(PageState::Excluded)
                    } else {
                        None
                    };
                    self.push(pfn0 + bit, 1, st);
                }
            }
        }
        self.next_byte += n as u64;
    }
}

impl<S: ByteSource> Iterator for KdumpRanges<'_, S> {
    type Item = PhysRange;
    fn next(&mut self) -> Option<PhysRange> {
        loop {
            if let Some(r) = self.out.pop_front() {
                return Some(r);
            }
            if self.done || self.next_byte >= self.end_byte {
                if self.cur.is_some() {
                    let pfn = self.cur.map(|c| c.1).unwrap_or(0);
                    self.push(pfn, 0, None);
                    continue;
                }
                return None;
            }
            self.fill();
        }
    }
}
