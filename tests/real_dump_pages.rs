//! Real dumps: every variant of every scenario found through the fixtures' manifest.json files is
//! compared page by page against the unfiltered QEMU ELF dump of the same boot.
//!
//! Fixtures root: `$MODCRASH_FIXTURES`, else `~/.cache/modcrash/fixtures`. Generate them with
//! `bash testdata/gen.sh`. With `MODCRASH_REQUIRE_FIXTURES=1` a missing fixture set fails the test.
//!
//! This decompresses ~70k pages per variant: run it optimised, e.g.
//! `cargo test --release --test real_dump_pages -- --nocapture` (debug builds work but are slow).

mod common;

use common::{fixtures, record_cases};
use modcrash::addr::Pa;
use modcrash::dump::{Dump, DumpFormat, PageState};
use modcrash::memory::{FaultKind, PhysMem};

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
    let mut total = 0u64;
    let mut cases = 0usize;
    for f in fixtures() {
        let scenario = f.name().to_string();
        let m = &f.manifest;
        let refd = f
            .reference_dump()
            .unwrap_or_else(|| panic!("{scenario}: no qemu-elf reference dump in the manifest"));
        let reference = Dump::open(f.dump(refd)).unwrap_or_else(|e| panic!("{scenario}: {e}"));
        for d in &m.dumps {
            let variant = d.variant.as_str();
            let path = f.dump(d);
            let label = format!("{scenario}/{variant}");
            let t = std::time::Instant::now();
            let dump = Dump::open(&path).unwrap_or_else(|e| panic!("{label}: {e}"));
            let open_time = t.elapsed();
            if let Some(f) = expected_format(variant) {
                assert_eq!(dump.format(), f, "{label}: format");
            }
            let info = dump.info();
            assert!(!info.incomplete, "{label}: flagged incomplete");
            assert_eq!(
                info.release.as_deref(),
                Some(m.release.as_str()),
                "{label}: release"
            );
            let want = u64::from_str_radix(m.kerneloffset.trim_start_matches("0x"), 16).ok();
            let got = info
                .kerneloffset
                .as_deref()
                .and_then(|k| u64::from_str_radix(k.trim_start_matches("0x"), 16).ok());
            assert_eq!(got, want, "{label}: KERNELOFFSET");
            assert_eq!(
                info.pgtable_l5_enabled,
                Some(i64::from(m.pgtable_l5_enabled)),
                "{label}: pgtable_l5_enabled"
            );
            if let Some(b) = &m.build_id {
                assert_eq!(
                    info.build_id.as_deref(),
                    Some(b.as_str()),
                    "{label}: build-id"
                );
            }
            cases += 1;
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
    record_cases("real_dumps_match_reference_elf", cases);
}
