//! The kernel log read from every real dump of the test bed equals the guest's own `dmesg`
//! (captured by busybox before the dump) line for line, as a prefix: with no vmlinux, with the
//! matching vmlinux, and with a vmlinux of another kernel (which must be set aside with a warning).

mod common;

use common::{cases, fixtures, record_cases, Fixture};
use modcrash::analysis::log::{read_log, Log};
use modcrash::dump::Dump;
use modcrash::output::dmesg;
use modcrash::symbols::Vmlinux;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

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
        if !vmlinuxes.contains_key(&p) {
            let vm = Vmlinux::open(&p).expect("test-bed vmlinux opens");
            vmlinuxes.insert(p, vm);
        }
    }
    let (mut n_cases, mut n_lines, mut n_records) = (0usize, 0usize, 0usize);
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
        // The records are the kernel's: consecutive sequence numbers, from 0 (nothing wrapped).
        assert_eq!(none.first_seq, Some(0), "{what}");
        for (i, r) in none.records.iter().enumerate() {
            assert_eq!(r.seq, i as u64, "{what}");
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
    eprintln!("real_log: {n_lines} guest dmesg lines and {n_records} records compared");
    record_cases("real_log", n_cases);
}

fn modcrash(args: &[&std::ffi::OsStr]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_modcrash"))
        .args(args)
        .output()
        .expect("run modcrash");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
        let (code, out2, err) = modcrash(&["log".as_ref(), vmcore.as_os_str(), vml.as_os_str()]);
        assert_eq!((code, err.as_str()), (0, ""), "{}", f.name());
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
        let timed = expected.starts_with(b"[    0.000000] ");
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
