//! Checks of the test bed itself (not of modcrash): the bad-page, wrapped-log and panic scenarios
//! of testdata/gen.sh really hold what the log and event tests compare against.
//!
//! - modcrash.badpage: every `modcrash_badpage: freeing pfn 0x... with defect ...` line that
//!   testdata/modules/badpage.c printed is followed, in the guest's own dmesg, by the page
//!   allocator's `BUG: Bad page state in process insmod  pfn:...` report for that same pfn, with
//!   the defect's reason, the pfn again in dump_page()'s line, and the module in `Modules linked
//!   in:` as still loading; both defects, one event each.
//! - modcrash.logflood: the ring wrapped (the log no longer starts with the boot's first record).
//! - modcrash.panic: the console's oracle of the panic ends the way panic() ends.

mod common;

use common::{dmesg_text as text, fixtures, hex, record_cases};

/// The module's own line: (pfn, defect).
fn oracle_line(t: &str) -> Option<(u64, &str)> {
    let rest = t.strip_prefix("modcrash_badpage: freeing pfn ")?;
    let (pfn, rest) = rest.split_once(" with defect ")?;
    let defect = rest.split(' ').next()?;
    Some((hex(pfn)?, defect))
}

#[test]
fn every_bad_page_the_module_freed_has_the_kernels_report() {
    let mut cases = 0;
    for f in fixtures()
        .into_iter()
        .filter(|f| f.boot_word("modcrash.badpage"))
    {
        let log = f
            .expected("dmesg")
            .unwrap_or_else(|| panic!("{}: no dmesg captured", f.name()));
        let lines: Vec<&str> = log.lines().map(text).collect();
        let mut defects = Vec::new();
        for (i, t) in lines.iter().enumerate() {
            let Some((pfn, defect)) = oracle_line(t) else {
                continue;
            };
            let what = format!("{}: pfn {pfn:#x} ({defect})", f.name());
            // The report follows the module's line (other records may come between).
            let start = i + lines[i..]
                .iter()
                .position(|t| t.starts_with("BUG: Bad page state in process "))
                .unwrap_or_else(|| {
                    panic!("{what}: no BUG: Bad page state after the module's line")
                });
            let bug = lines[start];
            let (process, pfn_text) = bug["BUG: Bad page state in process ".len()..]
                .split_once("  pfn:")
                .unwrap_or_else(|| panic!("{what}: {bug:?}"));
            assert_eq!(process, "insmod", "{what}: {bug:?}");
            assert_eq!(hex(pfn_text), Some(pfn), "{what}: {bug:?}");
            // The report runs to the next BUG line (or the module's next line).
            let end = lines[start + 1..]
                .iter()
                .position(|t| t.starts_with("BUG:") || oracle_line(t).is_some())
                .map_or(lines.len(), |n| start + 1 + n);
            let report = &lines[start..end];
            let want_reason = match defect {
                "mapping" => "non-NULL mapping",
                "mapcount" => "nonzero mapcount",
                other => panic!("{what}: unknown defect {other:?}"),
            };
            assert!(
                report
                    .iter()
                    .any(|t| *t == format!("page dumped because: {want_reason}")),
                "{what}: no 'page dumped because: {want_reason}' in\n{}",
                report.join("\n")
            );
            let page = report
                .iter()
                // "page: refcount:..." (6.12), "page:(____ptrval____) refcount:..." (6.1)
                .find(|t| t.starts_with("page:") && t.contains(" refcount:"))
                .unwrap_or_else(|| panic!("{what}: no dump_page line in\n{}", report.join("\n")));
            assert!(
                page.split(' ')
                    .any(|w| w.strip_prefix("pfn:").and_then(hex) == Some(pfn)),
                "{what}: {page:?}"
            );
            if defect == "mapping" {
                assert!(page.contains(" mapping:"), "{what}: {page:?}");
            }
            let modules = report
                .iter()
                .find(|t| t.starts_with("Modules linked in:"))
                .unwrap_or_else(|| {
                    panic!("{what}: no Modules linked in: in\n{}", report.join("\n"))
                });
            assert!(
                modules
                    .split(' ')
                    .any(|w| w.starts_with("modcrash_badpage(") && w.contains('+')),
                "{what}: the module is not listed as loading: {modules:?}"
            );
            assert!(
                report.iter().any(|t| t.contains("[modcrash_badpage]")),
                "{what}: no call trace frame in the module:\n{}",
                report.join("\n")
            );
            defects.push(defect.to_string());
            cases += 1;
        }
        assert_eq!(
            defects,
            ["mapping", "mapcount"],
            "{}: the module's events",
            f.name()
        );
    }
    record_cases("real_badpage_bed", cases);
}

/// Without the flood every guest's log starts with the kernel's banner; with it, it does not.
#[test]
fn the_flooded_log_wrapped_and_the_others_did_not() {
    let mut cases = 0;
    for f in fixtures() {
        let Some(log) = f.expected("dmesg") else {
            continue;
        };
        let first = log.lines().next().map(text).unwrap_or_default();
        let banner = first.starts_with("Linux version ");
        if f.boot_word("modcrash.logflood") {
            assert!(!banner, "{}: the ring did not wrap: {first:?}", f.name());
            assert!(
                log.lines()
                    .any(|l| text(l).starts_with("modcrash logflood line 2999 ")),
                "{}: the flood's last line is missing",
                f.name()
            );
        } else {
            assert!(banner, "{}: log starts with {first:?}", f.name());
        }
        cases += 1;
    }
    record_cases("the_flooded_log_wrapped_and_the_others_did_not", cases);
}

#[test]
fn the_panic_scenario_ends_with_the_panic() {
    let mut cases = 0;
    for f in fixtures()
        .into_iter()
        .filter(|f| f.boot_word("modcrash.panic"))
    {
        let panic_log = f
            .expected("panic")
            .unwrap_or_else(|| panic!("{}: no expected/panic", f.name()));
        let lines: Vec<&str> = panic_log.lines().map(text).collect();
        assert!(
            lines.contains(&"Kernel panic - not syncing: sysrq triggered crash"),
            "{}:\n{panic_log}",
            f.name()
        );
        assert!(
            lines
                .last()
                .is_some_and(|l| l.starts_with("---[ end Kernel panic - not syncing: ")),
            "{}:\n{panic_log}",
            f.name()
        );
        // The oracle was captured before the panic.
        let dmesg = f.expected("dmesg").expect("dmesg");
        assert!(!dmesg.contains("Kernel panic"), "{}", f.name());
        cases += 1;
    }
    record_cases("the_panic_scenario_ends_with_the_panic", cases);
}
