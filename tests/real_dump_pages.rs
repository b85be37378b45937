//! Real dumps: every variant of every scenario found through the fixtures' manifest.json files is
//! compared page by page against the unfiltered QEMU ELF dump of the same boot.
//!
//! Fixtures root: `$MODCRASH_FIXTURES`, else `~/.cache/modcrash/fixtures`. Generate them with
//! `bash testdata/gen.sh`. With `MODCRASH_REQUIRE_FIXTURES=1` a missing fixture set fails the test.
//!
//! This decompresses ~70k pages per variant: run it optimised, e.g.
//! `cargo test --release --test real_dump_pages -- --nocapture` (debug builds work but are slow).

use modcrash::addr::Pa;
use modcrash::dump::{Dump, DumpFormat, PageState};
use modcrash::memory::{FaultKind, PhysMem};
use std::path::{Path, PathBuf};

fn fixtures_root() -> PathBuf {
    if let Some(p) = std::env::var_os("MODCRASH_FIXTURES") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cache/modcrash/fixtures")
}

fn manifests(root: &Path) -> Vec<(PathBuf, serde_json::Value)> {
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir(root) else {
        return v;
    };
    let mut dirs: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    dirs.sort();
    for d in dirs {
        let m = d.join("manifest.json");
        if let Ok(text) = std::fs::read_to_string(&m) {
            let j: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: bad JSON: {e}", m.display()));
            v.push((d, j));
        }
    }
    v
}

fn expected_format(variant: &str) -> Option<DumpFormat> {
    Some(match variant {
        "qemu-elf" | "md-E-d31" => DumpFormat::Elf,
        v if v.ends_with("-flat") => DumpFormat::FlattenedKdump,
        v if v.starts_with("md-") || v == "qemu-kdump-zlib" => DumpFormat::Kdump,
        _ => return None,
    })
}

#[derive(Default, Debug)]
struct Counts {
    compared: u64,
    excluded_checked: u64,
    /// Present in the variant but not readable in the reference.
    not_in_reference: u64,
    /// Reference pages missing from the variant (below its max PFN) that read as Excluded.
    ref_missing_excluded: u64,
}

fn compare(variant: &Dump, reference: &Dump, label: &str) -> Counts {
    let ps = variant.page_size();
    assert_eq!(ps, reference.page_size(), "{label}: page size");
    let mut c = Counts::default();
    let (mut a, mut b) = (vec![0u8; ps as usize], vec![0u8; ps as usize]);
    for r in variant.ranges() {
        let mut pa = r.start.0 / ps * ps;
        while pa < r.end.0 {
            match r.state {
                PageState::Present => {
                    variant.read_phys(Pa(pa), &mut a).unwrap_or_else(|e| {
                        panic!("{label}: present page {pa:#x} unreadable: {e}")
                    });
                    match reference.read_phys(Pa(pa), &mut b) {
                        Ok(()) => {
                            assert!(
                                a == b,
                                "{label}: page {pa:#x} differs from the reference ELF"
                            );
                            c.compared += 1;
                        }
                        Err(_) => c.not_in_reference += 1,
                    }
                }
                PageState::Excluded => {
                    let e = variant
                        .read_phys(Pa(pa), &mut a)
                        .expect_err(&format!("{label}: excluded page {pa:#x} read as data"));
                    assert_eq!(e.kind, FaultKind::Excluded, "{label}: page {pa:#x}: {e}");
                    c.excluded_checked += 1;
                }
            }
            pa += ps;
        }
    }
    // The other direction: RAM the reference has but the variant did not keep must read as
    // Excluded from the variant (not zeros, not "not in dump").
    let max_pfn = variant.info().max_pfn;
    let mut kept = vec![false; max_pfn.min(1 << 26) as usize];
    for r in variant.present_ranges() {
        for pfn in r.start.0 / ps..r.end.0.div_ceil(ps) {
            if let Some(k) = kept.get_mut(pfn as usize) {
                *k = true;
            }
        }
    }
    for r in reference.present_ranges() {
        for pfn in r.start.0 / ps..r.end.0.div_ceil(ps) {
            if pfn >= kept.len() as u64 || kept[pfn as usize] {
                continue;
            }
            let e = variant.read_phys(Pa(pfn * ps), &mut a).expect_err(&format!(
                "{label}: page {pfn:#x} readable but not in present ranges"
            ));
            assert_eq!(
                e.kind,
                FaultKind::Excluded,
                "{label}: reference page {pfn:#x}: {e}"
            );
            c.ref_missing_excluded += 1;
        }
    }
    c
}

#[test]
fn real_dumps_match_reference_elf() {
    let root = fixtures_root();
    let ms = manifests(&root);
    if ms.is_empty() {
        let msg = format!(
            "no fixtures under {} (no */manifest.json). Generate them with `bash testdata/gen.sh` \
             or point MODCRASH_FIXTURES at them.",
            root.display()
        );
        if std::env::var("MODCRASH_REQUIRE_FIXTURES").as_deref() == Ok("1") {
            panic!("MODCRASH_REQUIRE_FIXTURES=1: {msg}");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    }
    let mut total = 0u64;
    for (dir, m) in ms {
        let scenario = m["scenario"].as_str().unwrap_or("?").to_string();
        let dumps = m["dumps"].as_array().cloned().unwrap_or_default();
        let Some(refd) = dumps.iter().find(|d| d["variant"] == "qemu-elf") else {
            eprintln!("{scenario}: no qemu-elf reference dump in the manifest; skipped");
            continue;
        };
        let ref_path = dir.join(refd["file"].as_str().expect("file"));
        let reference = Dump::open(&ref_path).unwrap_or_else(|e| panic!("{scenario}: {e}"));
        for d in &dumps {
            let variant = d["variant"].as_str().expect("variant");
            let path = dir.join(d["file"].as_str().expect("file"));
            let label = format!("{scenario}/{variant}");
            let t = std::time::Instant::now();
            let dump = Dump::open(&path).unwrap_or_else(|e| panic!("{label}: {e}"));
            let open_time = t.elapsed();
            if let Some(f) = expected_format(variant) {
                assert_eq!(dump.format(), f, "{label}: format");
            }
            let info = dump.info();
            assert!(!info.incomplete, "{label}: flagged incomplete");
            if let Some(rel) = m["release"].as_str() {
                assert_eq!(info.release.as_deref(), Some(rel), "{label}: release");
            }
            if let Some(ko) = m["kerneloffset"].as_str() {
                let want = u64::from_str_radix(ko.trim_start_matches("0x"), 16).ok();
                let got = info
                    .kerneloffset
                    .as_deref()
                    .and_then(|k| u64::from_str_radix(k.trim_start_matches("0x"), 16).ok());
                assert_eq!(got, want, "{label}: KERNELOFFSET");
            }
            if let Some(l5) = m["pgtable_l5_enabled"].as_i64() {
                assert_eq!(
                    info.pgtable_l5_enabled,
                    Some(l5),
                    "{label}: pgtable_l5_enabled"
                );
            }
            if let Some(b) = m["build_id"].as_str() {
                assert_eq!(info.build_id.as_deref(), Some(b), "{label}: build-id");
            }
            if variant == "qemu-elf" {
                continue; // the reference itself: metadata checked above
            }
            let t = std::time::Instant::now();
            let c = compare(&dump, &reference, &label);
            println!(
                "{label}: {} pages compared byte for byte, {} excluded pages read as Excluded, \
                 {} reference pages absent from the variant read as Excluded, \
                 {} present pages not in the reference (open {:?}, compare {:?})",
                c.compared,
                c.excluded_checked,
                c.ref_missing_excluded,
                c.not_in_reference,
                open_time,
                t.elapsed()
            );
            assert!(
                c.compared > 1000,
                "{label}: only {} pages compared",
                c.compared
            );
            if variant.contains("d31") {
                assert!(
                    c.excluded_checked > 0,
                    "{label}: a -d 31 dump with no excluded pages"
                );
            }
            total += c.compared;
        }
    }
    println!("total: {total} pages compared");
}
