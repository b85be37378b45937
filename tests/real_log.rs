//! The kernel log read from every real dump of the test bed equals the guest's own `dmesg`
//! (captured by busybox before the dump) line for line, as a prefix: with no vmlinux, with the
//! matching vmlinux, and with a vmlinux of another kernel (which must be set aside with a warning).

mod common;

use common::{cases, fixtures, modcrash, record_cases, Fixture};
use modcrash::analysis::log::{read_log, Log};
use modcrash::dump::Dump;
use modcrash::output::dmesg;
use modcrash::symbols::Vmlinux;
use std::collections::HashMap;
use std::path::PathBuf;

/// Lines of `expected` must be the first lines of `got`. Returns the number compared.
fn assert_prefix(got: &[u8], expected: &[u8], what: &str) -> usize {
    let g: Vec<&[u8]> = got.split_inclusive(|&b| b == b'\n').collect();
    let e: Vec<&[u8]> = expected.split_inclusive(|&b| b == b'\n').collect();
    assert!(
        g.len() >= e.len(),
        "{what}: the dump's log has {} lines, the guest's dmesg {}",
        g.len(),
        e.len()
    );
    for (i, (a, b)) in g.iter().zip(&e).enumerate() {
        assert!(
            a == b,
            "{what}: line {}: expected {:?}\n  got {:?}",
            i + 1,
            String::from_utf8_lossy(b),
            String::from_utf8_lossy(a)
        );
    }
    e.len()
}

/// The guest's dmesg does not start with the kernel's boot banner: the ring had wrapped.
fn guest_log_wrapped(expected: &[u8]) -> bool {
    let first = expected.split(|&b| b == b'\n').next().unwrap_or_default();
    !String::from_utf8_lossy(first).contains("Linux version")
}

/// A vmlinux of another kernel release than `f`'s.
fn other_kernel<'a>(f: &Fixture, all: &'a [Fixture]) -> Option<&'a Fixture> {
    all.iter()
        .find(|o| o.manifest.release != f.manifest.release)
}

fn read(dump: &Dump, vm: Option<&Vmlinux>) -> Log {
    read_log(dump, dump.vmcoreinfo(), vm).expect("the log is readable")
}

#[test]
fn log_equals_the_guests_dmesg_on_every_dump_with_and_without_vmlinux() {
    let all = fixtures();
    let mut vmlinuxes: HashMap<PathBuf, Vmlinux> = HashMap::new();
    for f in &all {
        let p = f.vmlinux();
        if let std::collections::hash_map::Entry::Vacant(e) = vmlinuxes.entry(p) {
            let vm = Vmlinux::open(e.key()).expect("test-bed vmlinux opens");
            e.insert(vm);
        }
    }
    let (mut n_cases, mut n_lines, mut n_records, mut n_wrapped) = (0usize, 0usize, 0usize, 0);
    for (f, d) in cases() {
        let expected = std::fs::read(
            f.dir.join(
                f.manifest
                    .expected
                    .get("dmesg")
                    .expect("every scenario captures dmesg"),
            ),
        )
        .expect("expected/dmesg");
        let dump = Dump::open(f.dump(&d)).expect("dump opens");
        let what = format!("{} {}", f.name(), d.variant);

        let none = read(&dump, None);
        assert!(none.warnings.is_empty(), "{what}: {:?}", none.warnings);
        assert_eq!(none.layout_source, "vmcoreinfo");
        let text = dmesg::dmesg(&none, false);
        n_lines += assert_prefix(&text, &expected, &format!("{what}, no vmlinux"));
        n_records += none.records.len();
        n_cases += 1;
        // The records are the kernel's: consecutive sequence numbers, from 0 unless the ring
        // wrapped, which the guest's own dmesg shows (it then lacks the boot banner).
        let first = if guest_log_wrapped(&expected) {
            let first = none.first_seq.expect("a first seq");
            assert!(first > 0, "{what}: the guest's log wrapped");
            assert_eq!(none.overwritten, first, "{what}");
            assert!(
                none.notes
                    .iter()
                    .any(|n| n.contains(&format!("starts at record seq {first}"))),
                "{what}: {:?}",
                none.notes
            );
            n_wrapped += 1;
            first
        } else {
            assert_eq!(none.first_seq, Some(0), "{what}");
            0
        };
        for (i, r) in none.records.iter().enumerate() {
            assert_eq!(r.seq, first + i as u64, "{what}");
        }

        let vm = &vmlinuxes[&f.vmlinux()];
        let with = read(&dump, Some(vm));
        assert!(with.warnings.is_empty(), "{what}: {:?}", with.warnings);
        assert_eq!(with.printk_time_source, "vmlinux", "{what}");
        assert_eq!(
            with.printk_time, none.printk_time,
            "{what}: kallsyms and vmlinux agree"
        );
        assert_eq!(
            dmesg::dmesg(&with, false),
            text,
            "{what}: the same log with the matching vmlinux"
        );
        assert_eq!(
            with.records, none.records,
            "{what}: DWARF levels equal the derived ones"
        );
        n_cases += 1;

        if let Some(o) = other_kernel(&f, &all) {
            let wrong = read(&dump, Some(&vmlinuxes[&o.vmlinux()]));
            assert!(
                wrong
                    .warnings
                    .iter()
                    .any(|w| w.context == "vmlinux" && w.message.contains("not the dump's kernel")),
                "{what} with {}'s vmlinux: {:?}",
                o.name(),
                wrong.warnings
            );
            assert_eq!(
                dmesg::dmesg(&wrong, false),
                text,
                "{what}: the log with a mismatched vmlinux"
            );
            n_cases += 1;
        }
    }
    eprintln!("real_log: {n_lines} guest dmesg lines and {n_records} records compared; {n_wrapped} dumps of a wrapped ring");
    assert!(
        n_wrapped > 0,
        "the test bed has a scenario whose log wrapped (deb61-badpage-logwrap)"
    );
    record_cases("real_log", n_cases);
}

#[test]
fn log_command_on_every_scenario() {
    let all = fixtures();
    let mut n = 0;
    for f in &all {
        let Some(d) = f.reference_dump() else {
            continue;
        };
        let expected = std::fs::read(f.dir.join(&f.manifest.expected["dmesg"])).unwrap();
        let vmcore = f.dump(d);
        let (code, out, err) = modcrash(&["log".as_ref(), vmcore.as_os_str()]);
        assert_eq!(code, 0, "{}: {err}", f.name());
        assert_prefix(&out, &expected, f.name());

        let vml = f.vmlinux();
        let (code, out2, err2) = modcrash(&["log".as_ref(), vmcore.as_os_str(), vml.as_os_str()]);
        // stderr: nothing, or for a wrapped ring the note saying where the log starts.
        if guest_log_wrapped(&expected) {
            assert!(
                err.starts_with("modcrash: note: the log starts at record seq ")
                    && err.lines().count() == 1,
                "{}: {err}",
                f.name()
            );
        } else {
            assert_eq!(err, "", "{}", f.name());
        }
        assert_eq!((code, err2.as_str()), (0, err.as_str()), "{}", f.name());
        assert_eq!(out2, out);

        if let Some(o) = other_kernel(f, &all) {
            let ov = o.vmlinux();
            let (code, out3, err) = modcrash(&["log".as_ref(), vmcore.as_os_str(), ov.as_os_str()]);
            assert_eq!(code, 1, "{}: a warning for the wrong vmlinux", f.name());
            assert!(
                err.contains("warning") && err.contains("not the dump's kernel"),
                "{err}"
            );
            assert_eq!(out3, out, "{}: the log still prints", f.name());
        }

        // --raw: every line is "<N>" + the default line's [time] + "[caller]" + text.
        let (code, raw, _) = modcrash(&["log".as_ref(), "--raw".as_ref(), vmcore.as_os_str()]);
        assert_eq!(code, 0);
        let raw = String::from_utf8_lossy(&raw).into_owned();
        // Whether this kernel printed timestamps (the upstream test kernel has no PRINTK_TIME).
        let timed = expected.starts_with(b"[");
        let plain = String::from_utf8_lossy(&out).into_owned();
        assert_eq!(raw.lines().count(), plain.lines().count());
        for (r, p) in raw.lines().zip(plain.lines()) {
            let rest = r
                .strip_prefix('<')
                .and_then(|s| s.split_once('>'))
                .map(|(n, rest)| {
                    assert!(n.parse::<u32>().is_ok(), "{r}");
                    rest
                })
                .unwrap_or_else(|| panic!("{}: raw line without <N>: {r}", f.name()));
            // rest = [time] + "[caller] " + text; plain = [time] + " " + text (or text).
            let t = if timed { 14 } else { 0 };
            assert_eq!(&rest[..t], &p[..t], "{r}");
            let (caller, text) = rest[t..]
                .strip_prefix('[')
                .and_then(|s| s.split_once("] "))
                .unwrap_or_else(|| panic!("{}: raw line without caller: {r}", f.name()));
            assert!(caller.trim().starts_with(['T', 'C']), "{r}");
            assert_eq!(text, if t > 0 { &p[t + 1..] } else { p }, "{r}");
        }

        // --json: JSON Lines, one record each, whose texts rebuild the default output.
        let (code, json, _) = modcrash(&["log".as_ref(), "--json".as_ref(), vmcore.as_os_str()]);
        assert_eq!(code, 0);
        let json = String::from_utf8(json).unwrap();
        let mut prev = None;
        let mut lines = 0;
        for l in json.lines() {
            let v: serde_json::Value = serde_json::from_str(l).expect("each line is JSON");
            let seq = v["seq"].as_u64().unwrap();
            assert!(prev.is_none_or(|p| seq == p + 1));
            prev = Some(seq);
            assert!(v["level"].as_u64().unwrap() <= 7);
            assert!(v["caller"].as_str().unwrap().starts_with(['T', 'C']));
            assert!(
                matches!(v["state"].as_str(), Some("finalized" | "committed")),
                "{l}"
            );
            lines += v["text"].as_str().unwrap().split('\n').count();
        }
        assert_eq!(lines, plain.lines().count(), "{}", f.name());
        n += 1;
    }
    record_cases("real_log_cli", n);
}

/// A real ring damaged in the dump: a page of descriptors and a page of text excluded, and a
/// page of descriptors overwritten with random bytes. The log reads what it can, warns about what
/// was lost (naming the address), and never shows a record with another record's text.
#[test]
fn damaged_real_ring_gives_partial_results_and_warnings() {
    use modcrash::kernel::printk::{header::read_header, PrbLayout};
    use modcrash::kernel::KernelMem;
    use modcrash::translate::X86_64;
    let mut n = 0;
    for f in fixtures() {
        let Some(d) = f.reference_dump() else {
            continue;
        };
        let dump = Dump::open(f.dump(d)).unwrap();
        let vi = dump.vmcoreinfo().unwrap();
        let arch = X86_64::from_vmcoreinfo(vi, None).unwrap();
        let layout = PrbLayout::resolve(vi, None).unwrap();
        let h = read_header(&KernelMem::new(&dump, &arch), &layout).unwrap();
        let pa = |va: modcrash::addr::Va| arch.translate(&dump, va).unwrap().0 .0;
        let good = read(&dump, None);
        let by_seq: HashMap<u64, &[u8]> = good
            .records
            .iter()
            .map(|r| (r.seq, r.text.as_slice()))
            .collect();
        let used = good.records.len() as u64;

        // Pages in the middle of what the log uses.
        // The descriptor of a record three quarters in (its index is its seq modulo the ring,
        // which need not be its position when the ring wrapped).
        let index = good.records[(used * 3 / 4) as usize].seq & (h.desc_count() - 1);
        let desc_page = pa(h.descs.wrapping_add(index * layout.desc_size)) & !0xfff;
        let text_page = pa(h.data.wrapping_add(4096)) & !0xfff;
        let mut t = common::Tampered::new(&dump);
        t.excluded_pages = vec![desc_page, text_page];
        let bad = read_log(&t, Some(vi), None).unwrap();
        assert!(
            !bad.records.is_empty() && bad.records.len() < good.records.len(),
            "{}",
            f.name()
        );
        for r in &bad.records {
            assert_eq!(
                Some(&r.text[..]),
                by_seq.get(&r.seq).copied(),
                "{} seq {}",
                f.name(),
                r.seq
            );
        }
        let msgs: Vec<&str> = bad.warnings.iter().map(|w| w.message.as_str()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("descriptor cannot be read")
                && m.contains(&format!("{desc_page:#x}"))),
            "{}: {msgs:?}",
            f.name()
        );
        assert!(
            msgs.iter().any(
                |m| m.contains("text cannot be read") && m.contains(&format!("{text_page:#x}"))
            ),
            "{}: {msgs:?}",
            f.name()
        );
        assert_eq!(
            bad.records.len() as u64 + bad.lost,
            used,
            "{}: every record read or counted lost",
            f.name()
        );

        // Random bytes over a page of descriptors.
        let mut t = common::Tampered::new(&dump);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..512 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t.patch_u64(desc_page + i * 8, x);
        }
        let bad = read_log(&t, Some(vi), None).unwrap();
        assert!(!bad.warnings.is_empty(), "{}", f.name());
        for r in &bad.records {
            assert_eq!(
                Some(&r.text[..]),
                by_seq.get(&r.seq).copied(),
                "{} seq {}",
                f.name(),
                r.seq
            );
        }
        n += 1;
    }
    record_cases("real_log_damage", n);
}
