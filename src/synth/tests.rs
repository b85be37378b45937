//! Checks of the builder itself, by reading fields back at their C offsets.

use super::*;

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}

#[test]
fn kdump_header_fields() {
    let s = Spec::sample(4096, Compression::Zlib);
    let f = kdump(&s);
    assert_eq!(&f[..8], b"KDUMP   ");
    assert_eq!(u32_at(&f, 8), 6);
    assert_eq!(&f[12 + 130..12 + 130 + 11], b"6.1.0-synth");
    assert_eq!(u32_at(&f, 424), 1); // status: zlib
    assert_eq!(u32_at(&f, 428), 4096);
    let sub_hdr_size = u32_at(&f, 432) as usize;
    let bitmap_blocks = u32_at(&f, 436) as usize;
    assert_eq!(bitmap_blocks, 2);
    assert_eq!(u32_at(&f, 440), 0x110);
    assert_eq!(u64_at(&f, 4096 + 96), 0x110); // max_mapnr_64
    let vi_off = u64_at(&f, 4096 + 32) as usize;
    let vi_len = u64_at(&f, 4096 + 40) as usize;
    assert!(std::str::from_utf8(&f[vi_off..vi_off + vi_len])
        .unwrap()
        .starts_with("OSRELEASE="));
    // RAM bitmap: pfn 0 set, 0x20 clear, 0x40 set; dumpable: 0x40 clear (leading excluded), 3 clear.
    let bm = (1 + sub_hdr_size) * 4096;
    assert_eq!(f[bm] & 1, 1);
    assert_eq!(f[bm + 4] & 1, 0);
    assert_eq!(f[bm + 8] & 1, 1);
    let bm2 = bm + 4096;
    assert_eq!(f[bm2 + 8] & 1, 0);
    assert_eq!(f[bm2] & 0b1000, 0);
    // First descriptor (pfn 0) points at data after the descriptor table.
    let desc = (1 + sub_hdr_size + bitmap_blocks) * 4096;
    let n = s.pages.len();
    assert!(u64_at(&f, desc) as usize >= desc + n * 24);
}

#[test]
fn flatten_replays_to_plain() {
    let plain: Vec<u8> = (0..20000u32).map(|i| (i % 251) as u8).collect();
    for o in [
        FlattenOpts::default(),
        FlattenOpts {
            record: 777,
            reverse: true,
            overwritten_garbage: true,
            ..Default::default()
        },
    ] {
        let f = flatten(&plain, o);
        assert_eq!(&f[..12], b"makedumpfile");
        // Replay.
        let mut out = vec![0u8; 0];
        let mut pos = 4096;
        loop {
            let off = i64::from_be_bytes(f[pos..pos + 8].try_into().unwrap());
            let size = i64::from_be_bytes(f[pos + 8..pos + 16].try_into().unwrap());
            if off == -1 && size == -1 {
                break;
            }
            let (off, size) = (off as usize, size as usize);
            if out.len() < off + size {
                out.resize(off + size, 0);
            }
            out[off..off + size].copy_from_slice(&f[pos + 16..pos + 16 + size]);
            pos += 16 + size;
        }
        assert_eq!(out, plain);
    }
}

#[test]
fn elf_layouts() {
    let s = Spec::sample(4096, Compression::None);
    let q = elf(&s, ElfLayout::Qemu);
    assert_eq!(u64_at(&q, 32), 192);
    assert_eq!(u16::from_le_bytes([q[52], q[53]]), 8);
    // PT_LOAD 1 (first load): p_vaddr == p_paddr.
    let ph = 192 + 56;
    assert_eq!(u32_at(&q, ph), 1);
    assert_eq!(u64_at(&q, ph + 16), u64_at(&q, ph + 24));
    let k = elf(&s, ElfLayout::Kernel);
    assert_eq!(u64_at(&k, 32), 64);
    // The PT_LOAD for the 0x40 range starts with an excluded run: filesz 0.
    let loads: Vec<(u64, u64, u64)> = (0..u16::from_le_bytes([k[56], k[57]]) as usize)
        .map(|i| 64 + i * 56)
        .filter(|&o| u32_at(&k, o) == 1)
        .map(|o| (u64_at(&k, o + 24), u64_at(&k, o + 32), u64_at(&k, o + 40)))
        .collect();
    assert!(loads.contains(&(0x40 * 4096, 0, 3 * 4096)), "{loads:x?}"); // 0x40, 0x41 removed, 0x42 % 7 == 3
    assert!(loads.iter().any(|&(_, f, m)| m > f && f > 0));
}

#[test]
fn split_parts_cover_everything() {
    let s = Spec::sample(4096, Compression::Lzo);
    let parts = kdump_split(&s, 3);
    assert_eq!(parts.len(), 3);
    let mut expect = 0;
    for p in &parts {
        assert_eq!(u32_at(p, 4096 + 12), 1);
        assert_eq!(u64_at(p, 4096 + 80), expect);
        expect = u64_at(p, 4096 + 88);
    }
    assert_eq!(expect, 0x110);
}
