//! modtrack (tracker/) on real dumps: modcrash reads `modtrack_state` without modtrack's debug
//! info, and its modtrack kernel-text output equals modtrack's own debugfs files (captured in the
//! guest before the dump) byte for byte, on every scenario that ran modtrack and every dump
//! variant. Where the kernel tracks too (the upstream test kernel), modtrack's view is compared
//! with the kernel's own files. Faults injected into the state give warnings, never panics.
//! Run optimised: `cargo test --release --test real_modtrack`.

mod common;

use common::{assert_text_eq, fixtures, record_cases, Fixture, Tampered};
use modcrash::addr::Va;
use modcrash::analysis::{self, Report, Tracked};
use modcrash::dump::Dump;
use modcrash::kernel::Kernel;
use modcrash::memory::PhysMem;
use modcrash::output::kernel_text;
use modcrash::symbols::Vmlinux;
use std::collections::{BTreeMap, HashMap};

fn modtrack_fixtures() -> Vec<Fixture> {
    fixtures()
        .into_iter()
        .filter(|f| f.has_modtrack())
        .collect()
}

/// Counters tracker/README.md documents as exact on 6.12 (its table's "6.12" column: every one),
/// by their debugfs labels, plus the derived lines, which are exact when their inputs are.
const EXACT_ON_6_12: [&str; 12] = [
    "Mods ever loaded",
    "Mods failed on kread",
    "Mods failed on decompress",
    "Mods failed on becoming",
    "Mods failed on load",
    "Total module size",
    "Total mod text size",
    "Failed kread bytes",
    "Failed decompress bytes",
    "Failed becoming bytes",
    "Failed kmod bytes",
    "Virtual mem wasted bytes",
];

/// "label -> value" of a debugfs stats text's counter lines, and its duplicate-table rows.
fn parse_stats(text: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let mut counters = BTreeMap::new();
    let mut dups = Vec::new();
    let mut in_dups = false;
    for l in text.lines() {
        if l == "Duplicate failed modules:" {
            in_dups = true;
        } else if in_dups {
            dups.push(l.split('\t').map(str::trim).collect::<Vec<_>>().join(" | "));
        } else if let Some((k, v)) = l.split_once('\t') {
            counters.insert(k.trim().to_string(), v.to_string());
        }
    }
    (counters, dups)
}

fn report_of(
    f: &Fixture,
    dump: &dyn PhysMem,
    vmcoreinfo: Option<&modcrash::dump::vmcoreinfo::VmcoreInfo>,
    vm: &Vmlinux,
) -> Report {
    let k = Kernel::with_vmlinux(dump, vmcoreinfo, vm, false)
        .unwrap_or_else(|e| panic!("{}: {e}", f.name()));
    analysis::report(&k)
}

#[test]
fn modtrack_text_equals_modtracks_own_files() {
    let mut cases = 0;
    let mut both = 0;
    for f in modtrack_fixtures() {
        let vm = Vmlinux::open(f.vmlinux()).unwrap_or_else(|e| panic!("{}: {e}", f.name()));
        let want_stats = f.expected("modtrack_stats").unwrap();
        let want_unloaded = f
            .expected("modtrack_unloaded_tainted")
            .expect("modtrack_unloaded_tainted is captured with modtrack_stats");
        for d in &f.manifest.dumps {
            let what = format!("{} / {}", f.name(), d.variant);
            let dump = Dump::open(f.dump(d)).unwrap_or_else(|e| panic!("{what}: {e}"));
            let r = report_of(&f, &dump, dump.vmcoreinfo(), &vm);
            assert!(r.warnings.is_empty(), "{what}: warnings {:?}", r.warnings);
            let m = r
                .modtrack
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: modtrack is loaded but not reported"));
            assert_eq!(m.layout_version, 1, "{what}");
            assert_eq!(m.release, f.manifest.release, "{what}");
            assert!(!m.update_in_progress, "{what}");
            assert_text_eq(
                &kernel_text::stats(&m.stats),
                &want_stats,
                &format!("{what}: modtrack/stats"),
            );
            assert_text_eq(
                &kernel_text::unloaded_tainted(&m.unloaded_tainted),
                &want_unloaded,
                &format!("{what}: modtrack/unloaded_tainted"),
            );
            if f.manifest.tracking {
                // The kernel keeps its own: it stays the main source.
                assert!(
                    matches!(r.unloaded_tainted, Tracked::Kernel(_)),
                    "{what}: {:?}",
                    r.unloaded_tainted
                );
                assert!(
                    matches!(r.stats, Tracked::Kernel(_)),
                    "{what}: {:?}",
                    r.stats
                );
                both += 1;
            } else {
                // Debian: modtrack stands in for the kernel's missing tracking, with the same data.
                assert_eq!(
                    r.unloaded_tainted,
                    Tracked::Modtrack(m.unloaded_tainted.clone()),
                    "{what}"
                );
                assert_eq!(r.stats, Tracked::Modtrack(m.stats.clone()), "{what}");
            }
            cases += 1;
        }
    }
    record_cases("modtrack_text_equals_modtracks_own_files", cases);
    eprintln!("of which on a kernel that tracks too: {both}");
}

/// On a kernel with its own tracking and stats (the upstream test kernel, 6.12), modtrack's list
/// equals the kernel's file byte for byte, and every counter README.md calls exact on 6.12 equals
/// the kernel's (modtrack is loaded first, before any other module, so "since modtrack was
/// loaded" is since boot for modules).
#[test]
fn modtrack_agrees_with_the_kernels_own_tracking() {
    let mut cases = 0;
    for f in modtrack_fixtures()
        .into_iter()
        .filter(|f| f.manifest.tracking)
    {
        let kernel_unloaded = f
            .expected("unloaded_tainted")
            .expect("tracking kernel: unloaded_tainted");
        let kernel_stats = f.expected("stats").expect("tracking kernel: stats");
        assert!(
            f.manifest.release.starts_with("6.12"),
            "{}: exactness is documented for 6.12 only",
            f.name()
        );
        // The guest's files first: modtrack's own debugfs against the kernel's.
        let mt_unloaded = f.expected("modtrack_unloaded_tainted").unwrap();
        let mt_stats = f.expected("modtrack_stats").unwrap();
        assert_text_eq(
            &mt_unloaded,
            &kernel_unloaded,
            &format!(
                "{}: guest's modtrack/unloaded_tainted vs kernel's",
                f.name()
            ),
        );
        let ((kc, kd), (mc, md)) = (parse_stats(&kernel_stats), parse_stats(&mt_stats));
        let mut diffs = Vec::new();
        for label in EXACT_ON_6_12 {
            if kc.get(label) != mc.get(label) {
                diffs.push(format!(
                    "{label}: kernel {:?}, modtrack {:?}",
                    kc.get(label),
                    mc.get(label)
                ));
            }
        }
        if kd != md {
            diffs.push(format!("duplicate table: kernel {kd:?}, modtrack {md:?}"));
        }
        assert!(
            diffs.is_empty(),
            "{}: modtrack's exact counters differ from the kernel's:\n  {}",
            f.name(),
            diffs.join("\n  ")
        );
        // And what modcrash reads from the dump, kernel's and modtrack's side by side.
        let vm = Vmlinux::open(f.vmlinux()).unwrap();
        for d in &f.manifest.dumps {
            let what = format!("{} / {}", f.name(), d.variant);
            let dump = Dump::open(f.dump(d)).unwrap();
            let r = report_of(&f, &dump, dump.vmcoreinfo(), &vm);
            let m = r.modtrack.as_ref().unwrap();
            let (Tracked::Kernel(ku), Tracked::Kernel(ks)) = (&r.unloaded_tainted, &r.stats) else {
                panic!("{what}: the kernel's own tracking was not read")
            };
            assert_text_eq(
                &kernel_text::unloaded_tainted(&m.unloaded_tainted),
                &kernel_text::unloaded_tainted(ku),
                &format!("{what}: modtrack's list vs the kernel's"),
            );
            assert_text_eq(
                &kernel_text::stats(&m.stats),
                &kernel_text::stats(ks),
                &format!("{what}: modtrack's stats vs the kernel's"),
            );
            cases += 1;
        }
    }
    record_cases("modtrack_agrees_with_the_kernels_own_tracking", cases);
}

/// Physical address of a state byte (module memory is vmalloc'd: translate each one).
fn pa_of(dump: &Dump, vm: &Vmlinux, va: u64) -> u64 {
    let k = Kernel::with_vmlinux(dump, dump.vmcoreinfo(), vm, false).unwrap();
    k.arch().translate(dump, Va(va)).unwrap().0 .0
}

#[test]
fn a_damaged_modtrack_state_gives_warnings_naming_the_address() {
    let mut cases = 0;
    for f in modtrack_fixtures() {
        let vm = Vmlinux::open(f.vmlinux()).unwrap();
        let dump = Dump::open(f.dump(f.reference_dump().unwrap())).unwrap();
        let clean = report_of(&f, &dump, dump.vmcoreinfo(), &vm);
        let m = clean.modtrack.as_ref().expect("modtrack");
        let state = m.state_address;
        let addr = format!("{state:#x}");
        let patch = |at: u64, bytes: &[u8]| -> HashMap<u64, u8> {
            bytes
                .iter()
                .enumerate()
                .map(|(i, &b)| (pa_of(&dump, &vm, state + at + i as u64), b))
                .collect()
        };
        let run = |excluded_pages: Vec<u64>, patches: HashMap<u64, u8>| -> Report {
            let t = Tampered {
                inner: &dump,
                excluded_pages,
                patches,
            };
            report_of(&f, &t, dump.vmcoreinfo(), &vm)
        };
        let modtrack_warnings = |r: &Report| -> Vec<String> {
            r.warnings
                .iter()
                .filter(|w| w.context == "modtrack")
                .map(|w| w.message.clone())
                .collect()
        };

        // Unusable states: no modtrack report, one warning naming the address and the problem,
        // and (where modtrack stood in for the kernel) the main fields say unreadable.
        let header_page = pa_of(&dump, &vm, state) & !0xfff;
        for (what, r) in [
            ("bad magic", run(vec![], patch(0, b"XODTRACK"))),
            (
                "layout version 7",
                run(vec![], patch(8, &7u32.to_le_bytes())),
            ),
            (
                "inconsistent sizes",
                run(vec![], patch(12, &40000u32.to_le_bytes())),
            ),
            ("excluded", run(vec![header_page], HashMap::new())),
        ] {
            let w = modtrack_warnings(&r);
            assert!(r.modtrack.is_none(), "{} {what}", f.name());
            assert_eq!(w.len(), 1, "{} {what}: {w:?}", f.name());
            assert!(
                w[0].contains(&addr) && w[0].contains(what),
                "{} {what}: {}",
                f.name(),
                w[0]
            );
            if !f.manifest.tracking {
                assert!(
                    matches!(&r.unloaded_tainted, Tracked::Unreadable { error } if error.contains(what)),
                    "{}: {:?}",
                    f.name(),
                    r.unloaded_tainted
                );
                assert!(
                    matches!(&r.stats, Tracked::Unreadable { error } if error.contains(what)),
                    "{}: {:?}",
                    f.name(),
                    r.stats
                );
            } else {
                assert!(matches!(r.stats, Tracked::Kernel(_)), "{}", f.name());
            }
            cases += 1;
        }

        // A damaged list: the state is used, the walk stops with a warning.
        let r = run(vec![], patch(256, &5000u32.to_le_bytes()));
        let w = modtrack_warnings(&r);
        assert!(
            r.modtrack.as_ref().unwrap().unloaded_tainted.is_empty(),
            "{}",
            f.name()
        );
        assert!(
            w.iter()
                .any(|w| w.contains(&addr) && w.contains("out of range")),
            "{}: {w:?}",
            f.name()
        );
        // An odd seq: reported, the lists read in full.
        let seq = m.seq | 1;
        let r = run(vec![], patch(32, &seq.to_le_bytes()));
        assert!(r.modtrack.as_ref().unwrap().update_in_progress);
        assert_eq!(
            r.modtrack.as_ref().unwrap().unloaded_tainted,
            m.unloaded_tainted
        );
        assert!(
            modtrack_warnings(&r)
                .iter()
                .any(|w| w.contains("update in progress")),
            "{}",
            f.name()
        );
        cases += 2;

        // Without mod->kallsyms (as on a kernel without KALLSYMS_ALL, where a data symbol is
        // not kept), the exported symbol is found instead, with the same result.
        let l = modcrash::kernel::layout::ModuleLayout::resolve(&vm).unwrap();
        let ks = m.module_address + l.kallsyms.expect("struct module.kallsyms");
        let r = run(
            vec![],
            (0..8).map(|i| (pa_of(&dump, &vm, ks + i), 0u8)).collect(),
        );
        let e = r
            .modtrack
            .as_ref()
            .unwrap_or_else(|| panic!("{}: {:?}", f.name(), r.warnings));
        assert_eq!(e.found_via, "exports", "{}", f.name());
        assert_eq!(
            (e.state_address, &e.stats, &e.unloaded_tainted),
            (state, &m.stats, &m.unloaded_tainted),
            "{}",
            f.name()
        );
        cases += 1;

        // A whole page of unused pool (the duplicate pool's tail, past its used entries) that a
        // filter dropped as all-zero reads as zeros: same result, no warning. (The state's last
        // page is shared with other module data, so take the one before it.)
        let page = ((state + 33712) & !0xfff) - 4096;
        if page >= state + 23472 + 80 * m.stats.dup_failed.len() as u64 {
            let r = run(vec![pa_of(&dump, &vm, page)], HashMap::new());
            assert!(
                modtrack_warnings(&r).is_empty(),
                "{}: {:?}",
                f.name(),
                r.warnings
            );
            assert_eq!(
                r.modtrack.as_ref().map(|m| &m.stats),
                Some(&m.stats),
                "{}: {:?}",
                f.name(),
                r.warnings
            );
            cases += 1;
        }
    }
    record_cases(
        "a_damaged_modtrack_state_gives_warnings_naming_the_address",
        cases,
    );
}
