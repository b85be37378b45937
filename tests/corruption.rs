//! Damaged input: truncate every synthetic dump at many offsets and corrupt bytes in its headers,
//! bitmaps, descriptors, notes and record headers. Opening may fail (with an error); nothing may
//! panic, and everything an opened dump offers (reads, ranges, info) must terminate quickly.

use modcrash::dump::Dump;
use modcrash::synth::{self, Compression, ElfLayout, FlattenOpts, Page, Spec};
use std::time::{Duration, Instant};

#[path = "common/exercise.rs"]
mod exercise;
use exercise::exercise;

fn try_open(label: &str, bytes: Vec<u8>) {
    let t = Instant::now();
    if let Ok(d) = Dump::from_bytes(label.to_string(), bytes) {
        exercise(&d);
    }
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "{label}: took {:?}",
        t.elapsed()
    );
}

/// Offsets to damage: every byte of `regions`, plus a spread over the whole file.
fn targets(len: usize, regions: &[(usize, usize)], spread: usize) -> Vec<usize> {
    let mut v: Vec<usize> = regions.iter().flat_map(|&(a, b)| a..b.min(len)).collect();
    let step = (len / spread).max(1);
    v.extend((0..len).step_by(step));
    v.sort_unstable();
    v.dedup();
    v
}

fn damage(name: &str, good: &[u8], regions: &[(usize, usize)]) {
    // Sanity: the undamaged file opens.
    Dump::from_bytes(name.to_string(), good.to_vec()).unwrap_or_else(|e| panic!("{name}: {e}"));
    // Truncation.
    for cut in targets(good.len(), regions, 300) {
        try_open(&format!("{name} cut at {cut}"), good[..cut].to_vec());
    }
    // Byte corruption with a few patterns.
    for off in targets(good.len(), regions, 300) {
        for pat in [0xffu8, 0x00, 0x01] {
            let mut b = good.to_vec();
            b[off] = if pat == 0x01 { b[off] ^ 0x01 } else { pat };
            if b != good {
                try_open(&format!("{name} byte {off} = {pat:#x}"), b);
            }
        }
    }
}

fn u32_at(b: &[u8], o: usize) -> usize {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as usize
}

fn kdump_regions(f: &[u8], bs: usize) -> Vec<(usize, usize)> {
    let sub = u32_at(f, 432);
    let bm = u32_at(f, 436);
    let bitmaps = (1 + sub) * bs;
    let descs = bitmaps + bm * bs;
    vec![
        (0, 464),                                            // disk_dump_header
        (bs, bs + 104),                                      // kdump_sub_header
        (bitmaps, bitmaps + 64),                             // RAM bitmap start
        (bitmaps + bm * bs / 2, bitmaps + bm * bs / 2 + 64), // dumpable bitmap start
        (descs, descs + 24 * 12),                            // first page descriptors
    ]
}

fn small_spec(c: Compression) -> Spec {
    let mut s = Spec::sample(4096, c);
    s.pages.insert(0x12, Page::Lost);
    s.incomplete = true;
    s
}

#[test]
fn kdump_damaged() {
    for c in Compression::ALL {
        let f = synth::kdump(&small_spec(c));
        let r = kdump_regions(&f, 4096);
        damage(&format!("kdump-{c:?}"), &f, &r);
    }
}

#[test]
fn flattened_damaged() {
    let plain = synth::kdump(&small_spec(Compression::Zlib));
    let f = synth::flatten(
        &plain,
        FlattenOpts {
            record: 3000,
            ..Default::default()
        },
    );
    // Flattened header, the first record headers, and the rebuilt header inside record 1.
    let mut r = vec![
        (0, 40),
        (4096, 4096 + 16 + 600),
        (4096 + 16 + 3000, 4096 + 32 + 3000),
    ];
    r.push((f.len() - 40, f.len()));
    damage("flat", &f, &r);
}

#[test]
fn elf_damaged() {
    for layout in [ElfLayout::Qemu, ElfLayout::Kernel] {
        let mut spec = Spec::sample(4096, Compression::None);
        spec.ram.truncate(2);
        spec.pages.retain(|&p, _| p < 0x60);
        let f = synth::elf(&spec, layout);
        let phoff = if layout == ElfLayout::Qemu { 192 } else { 64 };
        let phnum = u16::from_le_bytes([f[56], f[57]]) as usize;
        let notes = u64::from_le_bytes(f[phoff + 8..phoff + 16].try_into().unwrap()) as usize;
        let r = vec![(0, 64), (phoff, phoff + phnum * 56), (notes, notes + 96)];
        damage(&format!("elf-{layout:?}"), &f, &r);
    }
}

#[test]
fn split_part_damaged() {
    let parts = synth::kdump_split(&Spec::sample(4096, Compression::Snappy), 2);
    let r = kdump_regions(&parts[1], 4096);
    for off in targets(parts[1].len(), &r, 100) {
        let mut b = parts[1].clone();
        b[off] ^= 0xff;
        let srcs = vec![
            modcrash::dump::source::MemSource::from_vec("p0", parts[0].clone()),
            modcrash::dump::source::MemSource::from_vec("p1", b),
        ];
        if let Ok(d) = Dump::split_from_sources(srcs, Default::default()) {
            exercise(&d);
        }
    }
}

#[test]
fn garbage_inputs() {
    let mut x = 7u64;
    for len in [0usize, 1, 7, 8, 16, 63, 64, 465, 4096, 5000, 20000] {
        for prefix in [
            &b"KDUMP   "[..],
            b"DISKDUMP",
            b"\x7fELF\x02\x01\x01",
            b"makedumpfile\0\0\0\0",
            b"",
        ] {
            let mut v: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let n = prefix.len().min(v.len());
            v[..n].copy_from_slice(&prefix[..n]);
            try_open("garbage", v);
        }
    }
}

/// A flattened stream can describe a file far bigger than itself: records at any offset, gaps
/// read as zeros. One whose header claims 2^32 pages and 1 GiB of bitmaps it has no records for
/// (a 12 KB file describing 2 GiB) is refused at open, in no time, instead of every bitmap walk
/// (the truncation check, ranges, info) following the claim.
#[test]
fn a_flattened_stream_cannot_claim_bitmaps_it_lacks() {
    let plain = synth::kdump(&small_spec(Compression::Zlib));
    let bs = u32_at(&plain, 428);
    let mut head = plain[..2 * bs].to_vec();
    head[436..440].copy_from_slice(&(1u32 << 18).to_le_bytes()); // bitmap_blocks: 1 GiB
    head[440..444].copy_from_slice(&u32::MAX.to_le_bytes()); // max_mapnr
    if u32_at(&head, 8) >= 6 {
        head[bs + 96..bs + 104].copy_from_slice(&(u32::MAX as u64).to_le_bytes());
    }
    let mut f = vec![0u8; 4096];
    f[..12].copy_from_slice(b"makedumpfile");
    f[16..24].copy_from_slice(&1i64.to_be_bytes());
    f[24..32].copy_from_slice(&1i64.to_be_bytes());
    for (dst, data) in [(0i64, &head[..]), (2i64 << 30, &[0u8; 16][..])] {
        f.extend_from_slice(&dst.to_be_bytes());
        f.extend_from_slice(&(data.len() as i64).to_be_bytes());
        f.extend_from_slice(data);
    }
    f.extend_from_slice(&(-1i64).to_be_bytes());
    f.extend_from_slice(&(-1i64).to_be_bytes());
    let t = Instant::now();
    let e = Dump::from_bytes("claims.flat", f).expect_err("bitmaps without records");
    assert!(e.to_string().contains("page bitmaps"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
}
