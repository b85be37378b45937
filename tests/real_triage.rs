//! The report's crash part on the real dumps of the test bed, through the binary's JSON: the
//! bad-page events equal the reports in the guest's own dmesg (and the pfn and defect the test
//! module, testdata/modules/badpage.c, printed before it freed the page), the triage names that
//! module as the first suspect with the call trace as evidence, the pages read back from the dump
//! agree with what the kernel printed, the panic of the panic scenario is the one the console
//! showed, on a kernel that tracks the last report's own `Unloaded tainted modules:` line equals
//! the list read from the dump, and `--kernel-text dmesg` is `modcrash log`'s text.

mod common;

use common::{cases, dmesg_text as text, hex, modcrash, record_cases};
use serde_json::Value;

/// The test module's own lines in the guest's dmesg: (pfn, the reason the kernel will give).
fn module_lines(dmesg: &str) -> Vec<(u64, &'static str)> {
    dmesg
        .lines()
        .map(text)
        .filter_map(|t| {
            let rest = t.strip_prefix("modcrash_badpage: freeing pfn ")?;
            let (pfn, rest) = rest.split_once(" with defect ")?;
            let reason = match rest.split(' ').next()? {
                "mapping" => "non-NULL mapping",
                "mapcount" => "nonzero mapcount",
                other => panic!("unknown defect {other:?}"),
            };
            Some((hex(pfn)?, reason))
        })
        .collect()
}

#[test]
fn bad_page_events_and_suspects_equal_the_guests_log() {
    let mut n = 0;
    let mut n_badpage = 0;
    let mut n_tracking = 0;
    for (f, d) in cases() {
        let what = format!("{} {}", f.name(), d.variant);
        let vmcore = f.dump(&d);
        let vmlinux = f.vmlinux();
        let (code, json, _) =
            modcrash(&[vmcore.as_os_str(), vmlinux.as_os_str(), "--json".as_ref()]);
        assert!(code == 0 || code == 1, "{what}: exit {code}");
        let r: Value = serde_json::from_slice(&json).expect("JSON report");
        let dmesg = f.expected("dmesg").expect("every scenario captures dmesg");
        let events = r["events"].as_array().unwrap();
        let bad: Vec<&Value> = events.iter().filter(|e| e["kind"] == "bad_page").collect();

        // As many bad-page events as the guest's dmesg has reports (the panic scenario's
        // panic came after the guest printed its dmesg, bad pages before).
        let guest_reports = dmesg
            .lines()
            .filter(|l| text(l).starts_with("BUG: Bad page state in process "))
            .count();
        assert_eq!(bad.len(), guest_reports, "{what}");
        assert_eq!(r["log"]["error"], Value::Null, "{what}");

        let want = module_lines(&dmesg);
        if f.boot_word("modcrash.badpage") {
            assert_eq!(want.len(), 2, "{what}: both defects in the guest's log");
        }
        let got: Vec<(u64, &str)> = bad
            .iter()
            .map(|e| (e["pfn"].as_u64().unwrap(), e["reason"].as_str().unwrap()))
            .collect();
        assert_eq!(got, want, "{what}: (pfn, reason) of each bad-page event");
        for e in &bad {
            let pfn = e["pfn"].as_u64().unwrap();
            assert_eq!(e["process"], "insmod", "{what}");
            assert_eq!(e["page"]["pfn"].as_u64(), Some(pfn), "{what}");
            assert!(
                e["modules"]["modules"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["name"] == "modcrash_badpage"
                        && m["flags"].as_str().unwrap().contains('+')),
                "{what}: the module as loading in Modules linked in: {}",
                e["modules"]
            );
            assert!(
                e["trace"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|fr| fr["module"] == "modcrash_badpage"),
                "{what}: a call trace frame in the module"
            );
        }

        // On a kernel that tracks, the last report's own `Unloaded tainted modules:` line (nothing
        // was unloaded after it) equals modcrash's reading of the kernel's list in the dump.
        if f.manifest.tracking {
            if let Some(last) = bad.last() {
                let line = last["unloaded_tainted"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["source"] == "kernel")
                    .unwrap_or_else(|| panic!("{what}: the kernel's line in {last}"));
                let printed: Vec<(&str, &str, u64)> = line["modules"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| {
                        let (n, fl) = (m["name"].as_str(), m["flags"].as_str());
                        (n.unwrap(), fl.unwrap(), m["count"].as_u64().unwrap())
                    })
                    .collect();
                assert_eq!(r["unloaded_tainted"]["source"], "kernel", "{what}");
                let in_dump: Vec<(&str, &str, u64)> = r["unloaded_tainted"]["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| {
                        let (n, t) = (u["name"].as_str(), u["taint_letters"].as_str());
                        (n.unwrap(), t.unwrap(), u["count"].as_u64().unwrap())
                    })
                    .collect();
                assert_eq!(printed, in_dump, "{what}");
                assert!(!printed.is_empty(), "{what}");
                n_tracking += 1;
            }
        }

        let triage = &r["triage"];
        if !want.is_empty() {
            let first = &triage["suspects"][0];
            assert_eq!(first["module"], "modcrash_badpage", "{what}: {first}");
            let kinds: Vec<&str> = first["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["kind"].as_str().unwrap())
                .collect();
            assert!(kinds.contains(&"in_call_trace"), "{what}: {kinds:?}");
            assert!(kinds.contains(&"loading_at_event"), "{what}: {kinds:?}");
            // The pages as the dump holds them: one per report, read, flags as printed.
            let pages = triage["pages"].as_array().unwrap();
            assert_eq!(pages.len(), want.len(), "{what}");
            for (p, (pfn, _)) in pages.iter().zip(&want) {
                assert_eq!(p["pfn"].as_u64(), Some(*pfn), "{what}");
                assert_eq!(p["page"]["pfn"].as_u64(), Some(*pfn), "{what}: {p}");
                assert_eq!(p["flags_agree"], true, "{what}: {p}");
                assert_ne!(p["mapping_agrees"], false, "{what}: {p}");
            }
            n_badpage += 1;
        }

        // The taints that matter, against the guest's /proc/sys/kernel/tainted.
        let mask: u64 = f
            .expected("tainted")
            .expect("tainted")
            .trim()
            .parse()
            .unwrap();
        let bits: Vec<u64> = triage["taints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["bit"].as_u64().unwrap())
            .collect();
        for bit in [5u64, 9] {
            assert_eq!(
                bits.contains(&bit),
                mask >> bit & 1 == 1,
                "{what}: taint bit {bit} (guest mask {mask:#x})"
            );
        }

        // The panic the console showed (captured after the guest's dmesg).
        if f.boot_word("modcrash.panic") {
            let console = f.expected("panic").expect("expected/panic");
            let msg = console
                .lines()
                .map(text)
                .find_map(|t| t.strip_prefix("Kernel panic - not syncing: "))
                .expect("the console's panic line");
            assert_eq!(triage["panic"].as_str(), Some(msg), "{what}");
            assert_eq!(events.last().unwrap()["kind"], "panic", "{what}");
        } else {
            assert_eq!(triage["panic"], Value::Null, "{what}");
        }
        n += 1;
    }
    assert!(n_badpage > 0, "the test bed has bad-page scenarios");
    assert!(
        n_tracking > 0,
        "the test bed has a bad-page scenario on a tracking kernel"
    );
    eprintln!("real_triage: {n} dumps, {n_badpage} with the test module's bad pages, {n_tracking} of a tracking kernel's report against its list");
    record_cases("real_triage", n);
}

#[test]
fn kernel_text_dmesg_is_the_log() {
    let mut n = 0;
    for f in common::fixtures() {
        let Some(d) = f.reference_dump() else {
            continue;
        };
        let vmcore = f.dump(d);
        let vmlinux = f.vmlinux();
        let (code, text, _) = modcrash(&[
            vmcore.as_os_str(),
            vmlinux.as_os_str(),
            "--kernel-text".as_ref(),
            "dmesg".as_ref(),
        ]);
        assert!(code == 0 || code == 1, "{}: exit {code}", f.name());
        let (_, log, _) = modcrash(&["log".as_ref(), vmcore.as_os_str(), vmlinux.as_os_str()]);
        assert_eq!(text, log, "{}", f.name());
        let guest = f.expected("dmesg").unwrap();
        assert!(
            text.starts_with(guest.as_bytes()),
            "{}: the guest's dmesg is the log's start",
            f.name()
        );
        n += 1;
    }
    record_cases("real_triage_dmesg", n);
}
