//! kdump-compressed writer. Offsets are those of `struct disk_dump_header` and
//! `struct kdump_sub_header` on x86_64 (makedumpfile diskdump_mod.h), written by hand.

use super::bytes::{notes_blob, set_bits, Buf};
use super::{Compression, Page, Spec};
use std::io::{self, Write};

fn compress(c: Compression, page: &[u8]) -> (Vec<u8>, u32) {
    // page_desc.flags values: ZLIB 0x1, LZO 0x2, SNAPPY 0x4, ZSTD 0x20.
    let (data, flag) = match c {
        Compression::None => return (page.to_vec(), 0),
        Compression::Zlib => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(page).expect("in-memory write");
            (e.finish().expect("in-memory write"), 0x1)
        }
        Compression::Lzo => (lzokay::compress::compress(page).expect("lzo compress"), 0x2),
        Compression::Snappy => (
            snap::raw::Encoder::new()
                .compress_vec(page)
                .expect("snappy"),
            0x4,
        ),
        Compression::Zstd => (zstd::bulk::compress(page, 1).expect("zstd"), 0x20),
    };
    // Like makedumpfile: keep the page raw when compression does not help.
    if data.len() >= page.len() {
        (page.to_vec(), 0)
    } else {
        (data, flag)
    }
}

fn status_bit(c: Compression) -> u32 {
    match c {
        Compression::None => 0,
        Compression::Zlib => 0x1,
        Compression::Lzo => 0x2,
        Compression::Snappy => 0x4,
        Compression::Zstd => 0x20,
    }
}

/// One kdump file holding all pages.
pub fn kdump(spec: &Spec) -> Vec<u8> {
    let mut v = Vec::new();
    write_part(spec, &mut v, None).expect("write to Vec");
    v
}

/// Stream a kdump file to `w` (bitmaps are generated chunk by chunk: a 1 TiB sparse dump needs no
/// 64 MiB buffer). Returns the bytes written.
pub fn write_kdump<W: Write>(spec: &Spec, w: &mut W) -> io::Result<u64> {
    write_part(spec, w, None)
}

/// `makedumpfile --split` into `n` files with about the same number of pages each.
pub fn kdump_split(spec: &Spec, n: usize) -> Vec<Vec<u8>> {
    let pfns: Vec<u64> = spec.pages.keys().copied().collect();
    let mut bounds = vec![0u64];
    for k in 1..n {
        let i = pfns.len() * k / n;
        let b = pfns.get(i).copied().unwrap_or(spec.max_pfn);
        bounds.push(b.max(*bounds.last().unwrap_or(&0)));
    }
    bounds.push(spec.max_pfn);
    bounds
        .windows(2)
        .map(|w| {
            let mut v = Vec::new();
            write_part(spec, &mut v, Some((w[0], w[1]))).expect("write to Vec");
            v
        })
        .collect()
}

fn runs(pfns: impl Iterator<Item = u64>) -> Vec<(u64, u64)> {
    let mut r: Vec<(u64, u64)> = Vec::new();
    for p in pfns {
        match r.last_mut() {
            Some(last) if last.1 == p => last.1 += 1,
            _ => r.push((p, p + 1)),
        }
    }
    r
}

fn write_part<W: Write>(spec: &Spec, w: &mut W, split: Option<(u64, u64)>) -> io::Result<u64> {
    let bs = spec.page_size as usize;
    let v = spec.header_version;
    assert!((1..=6).contains(&v), "header_version 1..=6");
    assert!(
        v >= 6 || spec.max_pfn <= u32::MAX as u64,
        "max_pfn needs header_version 6"
    );
    let (lo, hi) = split.unwrap_or((0, spec.max_pfn));
    let mine: Vec<(u64, &Page)> = spec.pages.range(lo..hi).map(|(&p, pg)| (p, pg)).collect();

    // Metadata blobs in the sub-header blocks.
    let vi = if v >= 3 {
        spec.vmcoreinfo.clone().unwrap_or_default()
    } else {
        String::new()
    };
    let notes = if v >= 4 {
        notes_blob(spec.prstatus_notes, spec.vmcoreinfo.as_deref())
    } else {
        Vec::new()
    };
    let sub_len = 104;
    let off_vi = bs + sub_len;
    let off_note = off_vi + vi.len();
    let sub_hdr_size = (sub_len + vi.len() + notes.len()).div_ceil(bs).max(1);
    let half = (spec.max_pfn.div_ceil(8) as usize).div_ceil(bs) * bs;
    let bitmap_blocks = 2 * half / bs;
    let desc_off = (1 + sub_hdr_size + bitmap_blocks) * bs;
    let data_off = desc_off + mine.len() * 24;

    // Page data and descriptors.
    let zero = vec![0u8; bs];
    let any_zero = spec.share_zero_page
        && mine
            .iter()
            .any(|(_, p)| matches!(p, Page::Data(d) if *d == zero));
    let mut cur = data_off + if any_zero { bs } else { 0 };
    let mut descs = Vec::with_capacity(mine.len() * 24);
    let mut data = Vec::new();
    for (_, page) in &mine {
        let mut d = [0u8; 24];
        match page {
            Page::Lost => {} // never written: all-zero descriptor
            Page::Data(bytes) => {
                assert_eq!(bytes.len(), bs, "page size");
                let (off, size, flags) = if any_zero && *bytes == zero {
                    (data_off, bs, 0)
                } else {
                    let (c, flags) = compress(spec.compression, bytes);
                    let off = cur;
                    cur += c.len();
                    let n = c.len();
                    data.extend_from_slice(&c);
                    (off, n, flags)
                };
                d[0..8].copy_from_slice(&(off as i64).to_le_bytes()); // offset
                d[8..12].copy_from_slice(&(size as u32).to_le_bytes()); // size
                d[12..16].copy_from_slice(&flags.to_le_bytes()); // flags
                d[16..24].copy_from_slice(&0u64.to_le_bytes()); // page_flags
            }
        }
        descs.extend_from_slice(&d);
    }

    // Block 0: disk_dump_header.
    let mut h = Buf::default();
    h.at(0, b"KDUMP   ");
    h.u32(8, v as u32);
    for (i, f) in [
        "Linux",
        "synth",
        spec.release.as_str(),
        "#1 SMP",
        "x86_64",
        "(none)",
    ]
    .iter()
    .enumerate()
    {
        h.at(12 + i * 65, f.as_bytes());
    }
    h.u64(408, 1_700_000_000); // tv_sec
    h.u64(416, 0); // tv_usec
    h.u32(
        424,
        status_bit(spec.compression) | if spec.incomplete { 0x8 } else { 0 },
    );
    h.u32(428, bs as u32);
    h.u32(432, sub_hdr_size as u32);
    h.u32(436, bitmap_blocks as u32);
    h.u32(440, spec.max_pfn.min(u32::MAX as u64) as u32);
    h.u32(444, spec.pages.len() as u32); // total_ram_blocks
    h.u32(448, 0); // device_blocks
    h.u32(452, 0); // written_blocks
    h.u32(456, 0); // current_cpu
    h.u32(460, spec.prstatus_notes.max(1) as u32); // nr_cpus
    h.pad_to(bs);

    // Sub-header, only the fields this version defines.
    let s = bs;
    h.u64(s, 0xffff_ffff_d6a0_0000); // phys_base
    h.u32(s + 8, spec.dump_level as u32);
    if v >= 2 {
        h.u32(s + 12, split.is_some() as u32);
        h.u64(s + 16, lo); // start_pfn (32-bit era, kept for v<6)
        h.u64(s + 24, hi); // end_pfn
    }
    if v >= 3 && !vi.is_empty() {
        h.u64(s + 32, off_vi as u64);
        h.u64(s + 40, vi.len() as u64);
        h.at(off_vi, vi.as_bytes());
    }
    if v >= 4 && !notes.is_empty() {
        h.u64(s + 48, off_note as u64);
        h.u64(s + 56, notes.len() as u64);
        h.at(off_note, &notes);
    }
    if v >= 6 {
        h.u64(s + 80, lo); // start_pfn_64
        h.u64(s + 88, hi); // end_pfn_64
        h.u64(s + 96, spec.max_pfn); // max_mapnr_64
    }
    h.pad_to((1 + sub_hdr_size) * bs);
    w.write_all(&h.0)?;
    let mut written = h.len() as u64;

    // Bitmaps: RAM (all RAM, even in split parts), then dumpable (this part's pages only).
    let dump_runs = runs(mine.iter().map(|(p, _)| *p));
    for rs in [&spec.ram, &dump_runs] {
        const CHUNK: usize = 1 << 20;
        let mut pos = 0usize;
        let mut chunk = vec![0u8; CHUNK];
        while pos < half {
            let n = CHUNK.min(half - pos);
            let c = &mut chunk[..n];
            c.fill(0);
            let base = pos as u64 * 8;
            for &(a, b) in rs.iter() {
                let b = b.min(spec.max_pfn);
                if b > base && a < base + n as u64 * 8 {
                    set_bits(c, base, a, b);
                }
            }
            w.write_all(c)?;
            pos += n;
        }
        written += half as u64;
    }

    w.write_all(&descs)?;
    if any_zero {
        w.write_all(&zero)?;
    }
    w.write_all(&data)?;
    written += (descs.len() + if any_zero { bs } else { 0 } + data.len()) as u64;
    Ok(written)
}
