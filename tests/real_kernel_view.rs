//! The kernel view on every real dump of the test bed: modcrash's kernel-text output must equal the
//! guest kernel's own files (captured before the dump) byte for byte, on every scenario and dump
//! variant. Run optimised: `cargo test --release --test real_kernel_view`.

mod common;

use common::{assert_text_eq, fixtures, record_cases};
use modcrash::analysis::{self, Tracked};
use modcrash::dump::Dump;
use modcrash::kernel::Kernel;
use modcrash::output::kernel_text;
use modcrash::symbols::Vmlinux;

#[test]
fn kernel_text_equals_the_guests_own_files() {
    let mut cases = 0;
    let mut tracked_cases = 0;
    for f in fixtures() {
        let vm = Vmlinux::open(f.vmlinux()).unwrap_or_else(|e| panic!("{}: {e}", f.name()));
        let want_modules = f
            .expected("proc_modules")
            .expect("proc_modules is always captured");
        let want_tainted = f.expected("tainted").expect("tainted is always captured");
        let want_stats = f.expected("stats");
        let want_unloaded = f.expected("unloaded_tainted");
        for d in &f.manifest.dumps {
            let what = format!("{} / {}", f.name(), d.variant);
            let dump = Dump::open(f.dump(d)).unwrap_or_else(|e| panic!("{what}: {e}"));
            let k = Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, false)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let r = analysis::report(&k);
            assert!(r.warnings.is_empty(), "{what}: warnings {:?}", r.warnings);
            assert_eq!(
                r.identity.release.as_deref(),
                Some(f.manifest.release.as_str()),
                "{what}"
            );
            assert_eq!(
                r.identity.paging_levels,
                if f.manifest.pgtable_l5_enabled == 1 {
                    5
                } else {
                    4
                },
                "{what}"
            );
            assert_eq!(
                format!("{:#x}", r.identity.kaslr_offset.unwrap()),
                f.manifest.kerneloffset,
                "{what}"
            );
            assert_text_eq(
                &kernel_text::proc_modules(&r.modules),
                &want_modules,
                &format!("{what}: /proc/modules"),
            );
            let mask = r.taint.as_ref().expect("tainted_mask").mask;
            assert_text_eq(
                &kernel_text::tainted(mask),
                &want_tainted,
                &format!("{what}: tainted"),
            );
            match (&want_stats, &r.stats) {
                (Some(want), Tracked::Kernel(s)) => {
                    assert_text_eq(
                        &kernel_text::stats(s),
                        want,
                        &format!("{what}: modules/stats"),
                    );
                    tracked_cases += 1;
                }
                (None, Tracked::NotTracked { reason }) if !f.has_modtrack() => {
                    assert!(reason.contains("CONFIG_MODULE_STATS"), "{what}")
                }
                // modtrack stands in; its text is checked against its own files in real_modtrack.rs.
                (None, Tracked::Modtrack(_)) if f.has_modtrack() => {}
                (w, got) => panic!(
                    "{what}: guest stats file present={} but modcrash says {got:?}",
                    w.is_some()
                ),
            }
            match (&want_unloaded, &r.unloaded_tainted) {
                (Some(want), Tracked::Kernel(l)) => assert_text_eq(
                    &kernel_text::unloaded_tainted(l),
                    want,
                    &format!("{what}: unloaded_tainted"),
                ),
                (None, Tracked::NotTracked { reason }) if !f.has_modtrack() => {
                    assert!(
                        reason.contains("CONFIG_MODULE_UNLOAD_TAINT_TRACKING"),
                        "{what}"
                    )
                }
                (None, Tracked::Modtrack(_)) if f.has_modtrack() => {}
                (w, got) => panic!(
                    "{what}: guest unloaded_tainted present={} but modcrash says {got:?}",
                    w.is_some()
                ),
            }
            cases += 1;
        }
    }
    record_cases("kernel_text_equals_the_guests_own_files", cases);
    eprintln!("of which with the kernel's own tracking and stats: {tracked_cases}");
}

/// print_modules(): the `Modules linked in:` line lists exactly /proc/modules' modules with their
/// flags, and on tracking kernels the second line lists the unloaded tainted modules.
#[test]
fn print_modules_lines_agree_with_the_guest() {
    let mut cases = 0;
    for f in fixtures() {
        let vm = Vmlinux::open(f.vmlinux()).unwrap();
        let d = f.reference_dump().expect("qemu-elf dump");
        let dump = Dump::open(f.dump(d)).unwrap();
        let k = Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, false).unwrap();
        let r = analysis::report(&k);
        let text = kernel_text::oops_modules(&r);
        let mut lines = text.lines();
        let linked = lines.next().unwrap();
        // Built from the guest's /proc/modules: "name size refs deps state addr [(flags)]".
        let mut want = String::from("Modules linked in:");
        for l in f.expected("proc_modules").unwrap().lines() {
            let cols: Vec<&str> = l.split(' ').collect();
            want += &format!(" {}{}", cols[0], cols.get(6).copied().unwrap_or(""));
        }
        assert!(
            linked.starts_with(&want),
            "{}: {linked:?} vs {want:?}",
            f.name()
        );
        // The kernel's record (tracking kernels; it ends with [last unloaded: ...]), then
        // modtrack's from its die notifier (modtrack loaded), each built from the guest's own
        // debugfs file of that list.
        for (file, exact) in [
            ("unloaded_tainted", false),
            ("modtrack_unloaded_tainted", true),
        ] {
            let Some(u) = f.expected(file).filter(|u| !u.is_empty()) else {
                continue;
            };
            let mut want = String::from("Unloaded tainted modules:");
            for l in u.lines() {
                let (name, rest) = l.split_once(" (").unwrap();
                let (letters, count) = rest.split_once(") ").unwrap();
                want += &format!(" {name}({letters}):{count}");
            }
            let line = lines.next().unwrap_or_default();
            let ok = if exact {
                line == want
            } else {
                line.starts_with(&want)
            };
            assert!(ok, "{} ({file}): {line:?} vs {want:?}", f.name());
        }
        // An oopsed guest printed print_modules() itself: the first line must be identical,
        // including " [last unloaded: ...]" (the kernel appends it to the first line when the
        // kernel itself keeps no unloaded-tainted list). A bad-page guest printed it too, but
        // while modcrash_badpage was still loading (and before the second load), so not the
        // dump's state.
        let bad_pages = f.manifest.cmdline.contains("modcrash.badpage");
        if let Some(log) = f
            .expected("dmesg")
            .filter(|l| !bad_pages && l.contains("Modules linked in:"))
        {
            let printed = log
                .lines()
                .filter_map(|l| l.split_once("] ").map(|(_, t)| t))
                .find(|t| t.starts_with("Modules linked in:"))
                .unwrap();
            assert_eq!(linked, printed, "{}: print_modules first line", f.name());
        } else if !f.manifest.expected.contains_key("stress") {
            // The last module this workload unloads is modcrash_dual, or modcrash_badpage after
            // the bad-page step (the stress run goes on to reload modtrack itself, so it has no
            // such fixed answer).
            let last = if bad_pages {
                "modcrash_badpage"
            } else {
                "modcrash_dual"
            };
            assert!(
                text.contains(&format!(" [last unloaded: {last}(")),
                "{}: {text}",
                f.name()
            );
        }
        cases += 1;
    }
    record_cases("print_modules_lines_agree_with_the_guest", cases);
}
