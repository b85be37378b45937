//! The steps of opening a kdump-compressed file, each validating one part of the headers
//! (`KdumpFile::open` in kdump.rs runs them in order). Nothing here reads more than the headers,
//! the metadata blobs (bounded) and the bitmap extents.

use super::bitmap::Bitmap;
use super::error::DumpError;
use super::format::*;
use super::kdump::{Flavor, MAX_NOTES, MAX_VMCOREINFO};
use super::notes::{self, NoteSummary};
use super::source::{read_vec, ByteSource};
use super::vmcoreinfo::VmcoreInfo;
use scroll::Pread;

/// The disk_dump_header: signature and version checked.
pub(super) fn main_header<S: ByteSource>(
    src: &S,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<(DiskDumpHeader, Flavor), DumpError> {
    let flen = src.len();
    let mut hb = [0u8; DISK_DUMP_HEADER_SIZE];
    src.read_at(0, &mut hb).map_err(|_| {
        DumpError::truncated(name, "the kdump header", DISK_DUMP_HEADER_SIZE as u64, flen)
    })?;
    let header: DiskDumpHeader = hb
        .pread_with(0, scroll::LE)
        .map_err(|e| DumpError::Corrupt {
            path: name.to_string(),
            offset: 0,
            what: "kdump header".into(),
            expected: "a disk_dump_header".into(),
            hint: super::error::HINT_CORRUPT,
            source: Some(Box::new(e)),
        })?;
    let flavor = match &header.signature {
        s if s == KDUMP_SIGNATURE => Flavor::Kdump,
        s if s == DISKDUMP_SIGNATURE => Flavor::Diskdump,
        s => {
            return Err(DumpError::corrupt(
                name,
                0,
                format!("signature {:?}", String::from_utf8_lossy(s)),
                "\"KDUMP   \" or \"DISKDUMP\"",
            ))
        }
    };
    if header.header_version < 0 {
        return Err(DumpError::corrupt(
            name,
            8,
            format!("header_version {}", header.header_version),
            "0..=6",
        ));
    }
    if header.header_version > 6 {
        warnings.push(format!(
            "header_version {} is newer than 6; reading it as version 6",
            header.header_version
        ));
    }
    Ok((header, flavor))
}

/// The block (page) size: a power of two from 512 to 64 KiB; a byte-swapped one means a
/// big-endian dump.
pub(super) fn block_size(header: &DiskDumpHeader, name: &str) -> Result<u64, DumpError> {
    let bs = header.block_size;
    if !(512..=65536).contains(&bs) || (bs as u32).count_ones() != 1 {
        if bs.swap_bytes() > 0 && (bs.swap_bytes() as u32).is_power_of_two() {
            return Err(DumpError::Unsupported {
                path: name.to_string(),
                what: "a big-endian kdump file".into(),
                hint: "Open it on a host of the dumped machine's byte order".into(),
            });
        }
        return Err(DumpError::corrupt(
            name,
            428,
            format!("block_size {bs}"),
            "a power of two between 512 and 65536 (the page size)",
        ));
    }
    Ok(bs as u64)
}

/// The kdump sub-header (only the fields its version defines) and its size in blocks.
pub(super) fn sub_header<S: ByteSource>(
    src: &S,
    name: &str,
    header: &DiskDumpHeader,
    flavor: Flavor,
    block_size: u64,
) -> Result<(KdumpSubHeader, u64), DumpError> {
    if header.sub_hdr_size < 0 {
        return Err(DumpError::corrupt(
            name,
            432,
            format!("sub_hdr_size {}", header.sub_hdr_size),
            "a non-negative block count",
        ));
    }
    let sub_hdr_blocks = header.sub_hdr_size as u64;
    let mut sub = KdumpSubHeader::default();
    if flavor == Flavor::Kdump && header.header_version >= 1 {
        let want = sub_header_len_for_version(header.header_version.min(6)) as u64;
        let have = want.min(sub_hdr_blocks * block_size);
        let mut sb = [0u8; KDUMP_SUB_HEADER_SIZE];
        src.read_at(block_size, &mut sb[..have as usize])
            .map_err(|_| {
                DumpError::truncated(name, "the kdump sub-header", block_size + have, src.len())
            })?;
        sub = sb.pread_with(0, scroll::LE).unwrap_or_default();
    }
    Ok((sub, sub_hdr_blocks))
}

/// Where the two bitmaps are (or the one, in a legacy partial diskdump).
pub(super) struct Bitmaps {
    pub ram: Bitmap,
    pub dumpable: Bitmap,
    pub single: bool,
    /// End of the bitmaps: the page descriptors start here.
    pub end: u64,
}

pub(super) fn bitmaps<S: ByteSource>(
    src: &S,
    name: &str,
    header: &DiskDumpHeader,
    block_size: u64,
    sub_hdr_blocks: u64,
    max_mapnr: u64,
    warnings: &mut Vec<String>,
) -> Result<Bitmaps, DumpError> {
    let off = (1 + sub_hdr_blocks)
        .checked_mul(block_size)
        .ok_or_else(|| {
            DumpError::corrupt(name, 432, "sub_hdr_size overflows", "a sane block count")
        })?;
    let len = (header.bitmap_blocks as u64)
        .checked_mul(block_size)
        .ok_or_else(|| {
            DumpError::corrupt(name, 436, "bitmap size overflows", "a sane block count")
        })?;
    let end = off + len; // both < 2^32 * 2^16 each: no overflow
    if end > src.len() {
        return Err(DumpError::truncated(
            name,
            "the page bitmaps",
            end,
            src.len(),
        ));
    }
    // Every writer writes the bitmaps whole. A flattened stream can describe a file far bigger
    // than itself (records at any offset, gaps read as zeros): bitmaps in a gap would make every
    // walk over them follow the header's claim instead of the file's bytes.
    if !src.recorded(off, len) {
        return Err(DumpError::corrupt(
            name,
            off,
            format!("page bitmaps at {off:#x}..{end:#x} that are not all in the file (a flattened stream without the records for them)"),
            "bitmaps written in full",
        ));
    }
    let at = |off| Bitmap {
        off,
        nbits: max_mapnr,
    };
    if max_mapnr <= (len / 2) * 8 && header.bitmap_blocks >= 2 {
        return Ok(Bitmaps {
            ram: at(off),
            dumpable: at(off + len / 2),
            single: false,
            end,
        });
    }
    if max_mapnr <= len * 8 {
        warnings.push("only one bitmap (legacy partial diskdump): RAM and dumpable pages are not distinguished".into());
        return Ok(Bitmaps {
            ram: at(off),
            dumpable: at(off),
            single: true,
            end,
        });
    }
    Err(DumpError::corrupt(
        name,
        436,
        format!(
            "bitmap_blocks {} ({} bytes per bitmap) for max_mapnr {max_mapnr}",
            header.bitmap_blocks,
            len / 2
        ),
        format!("bitmaps of at least {} bytes each", max_mapnr.div_ceil(8)),
    ))
}

/// The PFN range of one part of a split dump.
pub(super) fn split_range(
    name: &str,
    sub: &KdumpSubHeader,
    version: i32,
    block_size: u64,
    max_mapnr: u64,
) -> Result<(u64, u64), DumpError> {
    let (s, e) = if version >= 6 {
        (sub.start_pfn_64, sub.end_pfn_64)
    } else {
        (sub.start_pfn, sub.end_pfn)
    };
    if s > e || e > max_mapnr {
        return Err(DumpError::corrupt(
            name,
            block_size + if version >= 6 { 80 } else { 16 },
            format!("split range start_pfn {s:#x} end_pfn {e:#x}"),
            format!("start <= end <= max_mapnr ({max_mapnr:#x})"),
        ));
    }
    Ok((s, e))
}

/// VMCOREINFO and the ELF notes: optional, never fatal (a problem is a warning).
pub(super) fn metadata<S: ByteSource>(
    src: &S,
    sub: &KdumpSubHeader,
    version: i32,
    warnings: &mut Vec<String>,
) -> (Option<VmcoreInfo>, NoteSummary) {
    let mut vmcoreinfo = None;
    if version >= 3 && sub.size_vmcoreinfo > 0 {
        match read_vec(
            src,
            sub.offset_vmcoreinfo,
            sub.size_vmcoreinfo,
            MAX_VMCOREINFO,
        ) {
            Ok(b) => {
                let vi = VmcoreInfo::parse(&b);
                if !vi.is_empty() {
                    vmcoreinfo = Some(vi);
                }
            }
            Err(_) => warnings.push(format!(
                "VMCOREINFO at offset {:#x} size {:#x} is outside the file",
                sub.offset_vmcoreinfo, sub.size_vmcoreinfo
            )),
        }
    }
    let mut notes = NoteSummary::default();
    if version >= 4 && sub.size_note > 0 {
        match read_vec(src, sub.offset_note, sub.size_note, MAX_NOTES) {
            Ok(b) => {
                let (s, vi) = notes::summarize(&b);
                if !s.well_formed {
                    warnings.push(format!(
                        "ELF notes at offset {:#x} are malformed after {} notes",
                        sub.offset_note, s.total
                    ));
                }
                notes = s;
                if vmcoreinfo.is_none() {
                    vmcoreinfo = vi;
                }
            }
            Err(_) => warnings.push(format!(
                "ELF notes at offset {:#x} size {:#x} are outside the file",
                sub.offset_note, sub.size_note
            )),
        }
    }
    (vmcoreinfo, notes)
}
