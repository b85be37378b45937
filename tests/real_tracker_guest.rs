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

#[test]
fn modtrack_guests_log_no_bug_warning_or_oops() {
    let mut cases = 0;
    for f in fixtures()
        .into_iter()
        .filter(|f| f.expected("modtrack_stats").is_some())
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
