//! Real dumps cut short, as a copy that stopped early leaves them: the truncation is named up
//! front (`Dump::truncation`, `modcrash info`, the report's first line, exit 1) even when the
//! report needed none of the missing pages. The oracle is the uncut dump: every page it holds is
//! read from the cut copy, which must give the same bytes or a Truncated fault, and the first
//! faulting page and the number of them must be what the truncation says. Cut just before its
//! end, the dump still gives the guest's own `/proc/modules`, with the truncation named (exit 1).

mod common;

use common::{fixtures, modcrash_text as modcrash, record_cases, Fixture};
use modcrash::addr::Pa;
use modcrash::dump::{Dump, PageState};
use modcrash::memory::{FaultKind, PhysMem};
use std::path::{Path, PathBuf};

/// The variants cut in every scenario (small files), and the big QEMU ELF in one.
const VARIANTS: [&str; 4] = ["md-c-d31", "md-c-d31-flat", "md-E-d31", "qemu-kdump-zlib"];
const ELF_SCENARIO: &str = "upstream-kaslr";

fn cut_copy(src: &Path, len: u64, dir: &Path) -> PathBuf {
    use std::io::{Read, Write};
    let dst = dir.join(src.file_name().unwrap());
    let mut r = std::fs::File::open(src).unwrap().take(len);
    let mut w = std::fs::File::create(&dst).unwrap();
    std::io::copy(&mut r, &mut w).unwrap();
    w.flush().unwrap();
    dst
}

/// Pages of the uncut dump that the cut one cannot give: (lowest physical address, count).
fn missing_pages(full: &Dump, cut: &Dump, what: &str) -> (Option<u64>, u64) {
    let ps = full.page_size();
    let (mut a, mut b) = (vec![0u8; ps as usize], vec![0u8; ps as usize]);
    let (mut first, mut n) = (None, 0u64);
    for r in full.ranges().filter(|r| r.state == PageState::Present) {
        let mut pa = r.start.0;
        while pa < r.end.0 {
            full.read_phys(Pa(pa), &mut a).unwrap();
            match cut.read_phys(Pa(pa), &mut b) {
                Ok(()) => assert!(a == b, "{what}: page at {pa:#x} differs"),
                Err(e) if e.kind == FaultKind::Truncated => {
                    first = Some(first.map_or(pa, |f: u64| f.min(pa)));
                    n += 1;
                }
                Err(e) => panic!("{what}: page at {pa:#x}: {e}"),
            }
            pa += ps;
        }
    }
    (first, n)
}

/// Checks the cut copy `cut_path` of `file` (which it leaves in place); returns the report's exit.
fn check(f: &Fixture, file: &Path, cut_path: &Path, what: &str) -> i32 {
    let full = Dump::open(file).unwrap();
    assert!(full.truncation().is_empty(), "{what}: the whole file");
    let cut = Dump::open(cut_path).unwrap_or_else(|e| panic!("{what}: cut copy: {e}"));
    let t = cut.truncation();
    assert_eq!(t.len(), 1, "{what}: {t:#?}");
    let (first, n) = missing_pages(&full, &cut, what);
    assert!(n > 0, "{what}: the cut loses pages");
    assert_eq!(t[0].first_missing_pa, first, "{what}: {t:#?}");
    assert_eq!(t[0].missing_pages, Some(n), "{what}: {t:#?}");

    // info: the pages moved from present to missing, exit 1.
    let (fi, ci) = (full.info(), cut.info());
    assert_eq!(ci.pages_missing, n, "{what}");
    assert_eq!(ci.pages_present + n, fi.pages_present, "{what}");
    let (code, text, _) = modcrash(&["info".as_ref(), cut_path.as_os_str()]);
    assert_eq!(code, 1, "{what}: info exit");
    assert!(
        text.contains(&format!("pages missing:      {n} ")),
        "{what}:\n{text}"
    );

    // The report: the damage on its first line, exit 1, a warning of kind "dump" in JSON; or,
    // when the kernel's own pages are among the missing ones, no report (exit 3) and the
    // truncation named before the read that failed.
    let vmlinux = f.vmlinux();
    let (code, text, err) = modcrash(&[cut_path.as_os_str(), vmlinux.as_os_str()]);
    let from = format!("from physical address {:#x} on", first.unwrap());
    match code {
        1 => {
            let line = text.lines().next().unwrap_or("");
            assert!(line.starts_with("DUMP DAMAGED: "), "{what}: {line}");
            assert!(line.contains(&from), "{what}: {line}");
            let args = [cut_path.as_os_str(), vmlinux.as_os_str(), "--json".as_ref()];
            let v: serde_json::Value = serde_json::from_str(&modcrash(&args).1).expect("JSON");
            assert_eq!(v["warnings"][0]["kind"], "dump", "{what}");
        }
        3 => {
            let first_line = err.lines().next().unwrap_or("");
            assert!(
                first_line.contains("the file is truncated"),
                "{what}: {err}"
            );
            assert!(first_line.contains(&from), "{what}: {err}");
            assert!(
                err.contains("truncated [file offset"),
                "{what}: the failed read: {err}"
            );
        }
        c => panic!("{what}: report exit {c}: {err}"),
    }
    code
}

#[test]
fn a_cut_dump_says_so_up_front() {
    let dir = std::env::temp_dir().join(format!("modcrash-cut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut n, mut no_kernel) = (0, 0);
    for f in fixtures() {
        for d in &f.manifest.dumps {
            let big = d.variant == "qemu-elf" && f.name() == ELF_SCENARIO;
            if !VARIANTS.contains(&d.variant.as_str()) && !big {
                continue;
            }
            let file = f.dump(d);
            let what = format!("{} {}", f.name(), d.variant);
            // At 60 %, and a few pages short of the end (the highest pages only: the report
            // itself is whole, and must still say the file is not).
            let cut = cut_copy(&file, d.size * 6 / 10, &dir);
            if check(&f, &file, &cut, &format!("{what} at 60 %")) == 3 {
                no_kernel += 1;
            }
            let cut = cut_copy(&file, d.size - 3 * 4096 - 100, &dir);
            let code = check(&f, &file, &cut, &format!("{what} at the end"));
            assert_eq!(code, 1, "{what}: the report of a dump cut at its very end");
            // The module list is still the guest's when its pages survived the cut.
            let vmlinux = f.vmlinux();
            let args = [
                cut.as_os_str(),
                vmlinux.as_os_str(),
                "--kernel-text".as_ref(),
            ];
            let (code, text, err) = modcrash(&[args[0], args[1], args[2], "proc-modules".as_ref()]);
            assert_eq!(code, 1, "{what}: {err}");
            assert!(err.contains("the file is truncated"), "{what}: {err}");
            assert_eq!(
                text,
                f.expected("proc_modules").unwrap(),
                "{what}: /proc/modules"
            );
            std::fs::remove_file(&cut).unwrap();
            n += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("real_truncation: {n} dumps cut twice; at 60 %, {no_kernel} lost pages the kernel view needs (exit 3), the rest gave a report (exit 1)");
    record_cases("real_truncation", n);
}
