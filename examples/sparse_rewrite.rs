//! Re-write a real kdump as one whose bitmaps span 1 TiB (or `--span-tib N`) of physical address
//! space: the same pages at the same PFNs, the same VMCOREINFO, zlib-compressed, with every PFN
//! past the original max_mapnr a zero bit. Used by `bench/bench.py --sparse` to show that
//! modcrash's full report does not grow with the address space a dump describes.
//!
//! `cargo run --release --example sparse_rewrite -- IN.kdump OUT.kdump [--span-tib N]`

use modcrash::addr::Pa;
use modcrash::dump::{Dump, PageState};
use modcrash::synth::{self, Compression, Page, Spec};
use std::time::Instant;

/// Largest write(2). The page cache keeps a file in folios about as large as the writes that
/// filled it, and recent kernels map a whole folio on a fault: a file written in 1 MiB writes shows
/// about 7 MB more RSS in a reader than the same bytes written in 64 KiB writes (measured on
/// Linux 6.18), for identical work. Small writes keep the copy comparable to makedumpfile's output.
const WRITE_CHUNK: usize = 64 << 10;

struct Chunked(std::fs::File);

impl std::io::Write for Chunked {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(&buf[..buf.len().min(WRITE_CHUNK)])
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut span_tib = 1u64;
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--span-tib" {
            span_tib = it
                .next()
                .and_then(|v| v.parse().ok())
                .expect("--span-tib N");
        } else {
            files.push(a.clone());
        }
    }
    let [input, output] = files.as_slice() else {
        eprintln!("usage: sparse_rewrite IN OUT [--span-tib N]");
        std::process::exit(2);
    };
    let t = Instant::now();
    let d = Dump::open(input).unwrap_or_else(|e| panic!("open {input}: {e}"));
    let ps = d.page_size();
    let max_pfn = (span_tib << 40) / ps;
    let mut spec = Spec::new(ps as u32, max_pfn);
    spec.compression = Compression::Zlib;
    let vi = d.vmcoreinfo().expect("the input has no VMCOREINFO");
    let text: String = vi
        .entries()
        .iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    spec.release = vi.osrelease().unwrap_or("").to_string();
    spec.vmcoreinfo = Some(text);
    let mut buf = vec![0u8; ps as usize];
    for r in d.ranges() {
        let (a, b) = (r.start.0 / ps, r.end.0.div_ceil(ps));
        assert!(b <= max_pfn, "the input reaches past the requested span");
        match spec.ram.last_mut() {
            Some(last) if last.1 == a => last.1 = b,
            _ => spec.ram.push((a, b)),
        }
        if r.state == PageState::Present {
            for pfn in a..b {
                match d.read(Pa(pfn * ps), &mut buf) {
                    Ok(()) => {
                        spec.pages.insert(pfn, Page::Data(buf.clone()));
                    }
                    Err(e) => eprintln!("skipping pfn {pfn:#x}: {e}"),
                }
            }
        }
    }
    let in_info = d.info();
    let n = spec.pages.len();
    let f = std::fs::File::create(output).unwrap_or_else(|e| panic!("create {output}: {e}"));
    let mut w = std::io::BufWriter::with_capacity(WRITE_CHUNK, Chunked(f));
    let size = synth::write_kdump(&spec, &mut w).expect("write");
    std::io::Write::flush(&mut w).expect("flush");
    println!(
        "{input}: max_pfn {:#x}, {n} present pages -> {output}: max_pfn {max_pfn:#x} ({span_tib} TiB), \
         {} MiB, in {:?}",
        in_info.max_pfn,
        size >> 20,
        t.elapsed()
    );
}
