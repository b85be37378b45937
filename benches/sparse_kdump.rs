//! A sparse kdump spanning 1 TiB of physical address space (4 KiB pages: 2^28 PFNs, two 32 MiB
//! bitmaps), with RAM only at the bottom, the middle and the top. Measures open time, the cost of
//! the first descriptor lookups (the rank index is built lazily, block by block), steady-state
//! reads, `info()`, and peak RSS.
//!
//! `cargo bench --bench sparse_kdump`

use modcrash::addr::Pa;
use modcrash::dump::Dump;
use modcrash::memory::PhysMem;
use modcrash::synth::{self, page_pattern, Compression, Page, Spec};
use std::time::Instant;

fn status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

fn rss() -> String {
    format!(
        "VmRSS {} (anon {}, file-backed mmap {}), VmHWM {}",
        status("VmRSS:"),
        status("RssAnon:"),
        status("RssFile:"),
        status("VmHWM:")
    )
}

fn main() {
    let tib_pfns: u64 = (1u64 << 40) / 4096;
    let mut spec = Spec::new(4096, tib_pfns);
    spec.compression = Compression::Zlib;
    spec.vmcoreinfo = Some(synth::sample_vmcoreinfo());
    let mid = tib_pfns / 2;
    spec.ram = vec![
        (0, 0x1000),
        (mid, mid + 0x100),
        (tib_pfns - 0x1000, tib_pfns),
    ];
    for &(a, b) in &spec.ram.clone() {
        for pfn in (a..b).step_by(3) {
            spec.pages.insert(pfn, Page::Data(page_pattern(pfn, 4096)));
        }
    }
    let present: Vec<u64> = spec.pages.keys().copied().collect();

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sparse-1tib.kdump");
    let t = Instant::now();
    {
        let f = std::fs::File::create(&path).expect("create");
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        synth::write_kdump(&spec, &mut w).expect("write");
        std::io::Write::flush(&mut w).expect("flush");
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "wrote {} ({} MiB, {} present pages, {} PFNs) in {:?}",
        path.display(),
        size >> 20,
        present.len(),
        tib_pfns,
        t.elapsed()
    );
    drop(spec);
    // Reset the peak-RSS counter so VmHWM covers only the reader.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    println!("before open: {} (peak reset: {reset})", rss());

    let t = Instant::now();
    let d = Dump::open(&path).expect("open");
    let open = t.elapsed();
    println!("open:                         {open:?}");

    let mut buf = vec![0u8; 4096];
    let t = Instant::now();
    d.read_phys(Pa(present[1] * 4096), &mut buf)
        .expect("low read");
    println!("first read, low PFN:          {:?}", t.elapsed());
    let top = *present.last().unwrap_or(&0);
    let t = Instant::now();
    d.read_phys(Pa(top * 4096), &mut buf).expect("top read");
    println!(
        "first read, top PFN:          {:?} (builds the rank index over the 32 MiB bitmap)",
        t.elapsed()
    );
    assert_eq!(buf, page_pattern(top, 4096));
    println!("after first reads: {}", rss());

    // Steady state: pseudo-random present pages, cache mostly missing (64-page cache).
    let mut x = 0x2545f4914f6cdd1du64;
    let n = 200_000;
    let t = Instant::now();
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let pfn = present[(x % present.len() as u64) as usize];
        d.read_phys(Pa(pfn * 4096 + 8), &mut buf[..64])
            .expect("read");
    }
    let el = t.elapsed();
    println!(
        "random 64-byte reads:         {n} in {el:?} ({:?} each)",
        el / n
    );
    // Absent / excluded lookups are bitmap-only.
    let t = Instant::now();
    let mut faults = 0;
    for i in 0..n as u64 {
        if d.read_phys(Pa((0x1000 + i * 977) % tib_pfns * 4096), &mut buf[..8])
            .is_err()
        {
            faults += 1;
        }
    }
    println!(
        "absent-page reads:            {n} in {:?} ({faults} faults)",
        t.elapsed()
    );

    let t = Instant::now();
    let info = d.info();
    println!(
        "info():                       {:?} (present {}, excluded {}, max pfn {:#x})",
        t.elapsed(),
        info.pages_present,
        info.pages_excluded,
        info.max_pfn
    );
    println!("after info(): {}", rss());
    if open.as_millis() >= 1000 {
        eprintln!("FAIL: open took {open:?}, must stay well under a second");
        std::process::exit(1);
    }
}
