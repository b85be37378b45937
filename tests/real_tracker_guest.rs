//! What the guests say about tracker/'s modtrack itself: the stress scenario passes its own checks
//! and leaves no BUG, WARNING or Oops in the kernel log; no modtrack guest logs one either.

mod common;

use common::{fixtures, record_cases};

const BAD: [&str; 6] = [
    "BUG:",
    "WARNING:",
    "Oops",
    "general protection fault",
    "Call Trace:",
    "kmemleak",
];

#[test]
fn stress_scenario_passes_and_the_kernel_log_is_clean() {
    let mut cases = 0;
    for f in fixtures() {
        let Some(stress) = f.expected("stress") else {
            continue;
        };
        let result = stress
            .lines()
            .find(|l| l.starts_with("MODTRACK-STRESS-RESULT:"))
            .unwrap_or_else(|| panic!("{}: no result line:\n{stress}", f.name()));
        assert!(
            result.ends_with(" 0 failed"),
            "{}: {result}\n{stress}",
            f.name()
        );
        assert!(stress.contains("exit=0"), "{}:\n{stress}", f.name());
        cases += 1;
    }
    record_cases("stress_scenario_passes_and_the_kernel_log_is_clean", cases);
}

fn oopsed(f: &common::Fixture) -> bool {
    f.manifest.cmdline.contains("modcrash.oops")
}

/// Guests that break the kernel on purpose (an oops, bad pages): their logs hold BUG lines.
fn faulted(f: &common::Fixture) -> bool {
    oopsed(f) || f.manifest.cmdline.contains("modcrash.badpage")
}

/// On an oops, modtrack puts its unloaded tainted modules into the kernel log the way
/// print_modules() does upstream; the line must equal what modcrash reads from the dump.
#[test]
fn oops_log_has_modtracks_unloaded_tainted_line() {
    use modcrash::{analysis, dump::Dump, kernel::Kernel, output::kernel_text, symbols::Vmlinux};
    let mut cases = 0;
    for f in fixtures().into_iter().filter(oopsed) {
        let log = f.expected("dmesg").expect("dmesg");
        assert!(log.contains("Oops"), "{}: the guest did not oops", f.name());
        let vm = Vmlinux::open(f.vmlinux()).unwrap();
        let dump = Dump::open(f.dump(f.reference_dump().unwrap())).unwrap();
        let r =
            analysis::report(&Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, false).unwrap());
        let list = r
            .unloaded_tainted
            .data()
            .expect("unloaded tainted modules (from modtrack)");
        let want = kernel_text::print_modules(&r.modules, Some(list), None);
        let want = want
            .lines()
            .nth(1)
            .expect("an Unloaded tainted modules: line");
        // dmesg prefixes each record with a timestamp: "[    5.123456] text".
        let found = log
            .lines()
            .map(|l| l.split_once("] ").map(|(_, t)| t).unwrap_or(l))
            .any(|t| t == want);
        assert!(found, "{}: no {want:?} in the oops log:\n{log}", f.name());
        cases += 1;
    }
    record_cases("oops_log_has_modtracks_unloaded_tainted_line", cases);
}

#[test]
fn modtrack_guests_log_no_bug_warning_or_oops() {
    let mut cases = 0;
    for f in fixtures()
        .into_iter()
        .filter(|f| f.expected("modtrack_stats").is_some() && !faulted(f))
    {
        let log = f
            .expected("dmesg")
            .unwrap_or_else(|| panic!("{}: no dmesg captured", f.name()));
        for line in log.lines() {
            assert!(
                !BAD.iter().any(|b| line.contains(b)),
                "{}: kernel log has {line:?}",
                f.name()
            );
        }
        cases += 1;
    }
    record_cases("modtrack_guests_log_no_bug_warning_or_oops", cases);
}
