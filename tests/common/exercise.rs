//! Use an opened dump in every way with bounded work: info, ranges, reads of the first pages,
//! odd and huge addresses. Shared by the corruption tests (tests/corruption.rs) and the fuzz
//! targets (fuzz/fuzz_targets/, which include this file by path).
#![allow(dead_code)]

use modcrash::addr::Pa;
use modcrash::dump::Dump;
use modcrash::memory::PhysMem;

pub fn exercise(d: &Dump) {
    let _ = d.vmcoreinfo();
    let info = d.info();
    let _ = modcrash::output::info::render(&info);
    let _ = d.ranges().take(100_000).count();
    let ps = d.page_size();
    let mut buf = vec![0u8; ps as usize + 17];
    for pfn in (0..0x120u64).chain([0xffff_ffff, u64::MAX / ps]) {
        let _ = d.read_phys(Pa(pfn.saturating_mul(ps)), &mut buf[..ps as usize]);
    }
    let _ = d.read_phys(Pa(0x10 * ps + 9), &mut buf);
    let _ = d.read_phys(Pa(u64::MAX - 3), &mut buf[..8]);
}

/// Open `data` as a dump after forcing its first bytes to `magic` (so a fuzzer reaches the parser
/// behind that signature), then [`exercise`] it. Never panics on any input.
pub fn fuzz_one(magic: &[u8], data: &[u8]) {
    let mut v = data.to_vec();
    let n = magic.len().min(v.len());
    v[..n].copy_from_slice(&magic[..n]);
    if let Ok(d) = Dump::from_bytes("fuzz", v) {
        exercise(&d);
    }
}
