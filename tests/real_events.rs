//! Crash events parsed from every scenario's own `dmesg` (expected/dmesg, captured by the guest
//! before the dump). The oracle is the kernel's text itself, read here with plain string
//! splitting independent of the parser: every `BUG: Bad page state` line must give one event
//! with its pfn, process and reason (and the test module's own `freeing pfn` line before it
//! must name the same pfn), every die line (`...: 0000 [#N]`) one oops; the `Modules linked
//! in:` line rebuilt from the parse must equal the printed one, the taint letters and PID those
//! of the `CPU:` line.
//!
//! Fixtures: the shared test bed and the directories in MODCRASH_EXTRA_FIXTURES.

mod common;

use common::dmesg_text as text;

use modcrash::analysis::events::{
    dmesg_records, parse, Event, EventKind, LinkedModule, ModulesLinkedIn, UnloadedSource,
    UnloadedTaintedLine,
};

/// `...: XXXX [#N]...`: N, for a die line.
fn die_count(t: &str) -> Option<u32> {
    let i = t.find(" [#")?;
    let before = t.get(..i)?;
    let code = before.get(before.len().checked_sub(6)?..)?;
    if !code.starts_with(": ") || !code[2..].bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    t[i + 3..].split(']').next()?.parse().ok()
}

fn last_suffix(l: &LinkedModule) -> String {
    if l.flags.is_empty() {
        format!(" [last unloaded: {}]", l.name)
    } else {
        format!(" [last unloaded: {}({})]", l.name, l.flags)
    }
}

/// print_modules()'s line rebuilt from the parse; `[last unloaded:` only where the printed
/// line has it (kernels that track unloaded tainted modules print it after their list).
fn rebuilt(m: &ModulesLinkedIn, printed: &str) -> String {
    let mut s = String::from("Modules linked in:");
    for x in &m.modules {
        s += &format!(" {}", x.name);
        if !x.flags.is_empty() {
            s += &format!("({})", x.flags);
        }
    }
    if printed.contains("[last unloaded: ") {
        if let Some(l) = &m.last_unloaded {
            s += &last_suffix(l);
        }
    }
    s
}

fn rebuilt_unloaded(u: &UnloadedTaintedLine, m: Option<&ModulesLinkedIn>, printed: &str) -> String {
    let mut s = String::from("Unloaded tainted modules:");
    for x in &u.modules {
        s += &format!(" {}({}):{}", x.name, x.flags, x.count);
    }
    if printed.contains("[last unloaded: ") {
        if let Some(l) = m.and_then(|m| m.last_unloaded.as_ref()) {
            s += &last_suffix(l);
        }
    }
    s
}

/// The `Modules linked in:` line after `from` and the `Unloaded tainted modules:` lines right
/// after it, against the event.
fn check_modules(name: &str, tracking: bool, e: &Event, lines: &[&str], from: usize) {
    let (mi, mods) = next_line(lines, from, "Modules linked in:").unwrap();
    let m = e.modules.as_ref().unwrap();
    assert_eq!(rebuilt(m, mods), mods, "{name}");
    let printed: Vec<&str> = lines[mi + 1..]
        .iter()
        .take_while(|l| l.starts_with("Unloaded tainted modules:"))
        .copied()
        .collect();
    assert!(e.unloaded_tainted.len() >= printed.len(), "{name}");
    for (u, p) in e.unloaded_tainted.iter().zip(&printed) {
        assert_eq!(rebuilt_unloaded(u, Some(m), p), *p, "{name}");
        if !tracking {
            assert_ne!(
                u.source,
                UnloadedSource::Kernel,
                "{name}: this kernel does not track"
            );
        } else if p.contains("[last unloaded: ") {
            assert_eq!(u.source, UnloadedSource::Kernel, "{name}");
        }
    }
}

/// The first line at or after `from` that starts with `prefix`.
fn next_line<'a>(lines: &[&'a str], from: usize, prefix: &str) -> Option<(usize, &'a str)> {
    lines
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, l)| l.starts_with(prefix))
        .map(|(i, l)| (i, *l))
}

#[test]
fn every_report_in_every_guest_log() {
    let mut checked = 0;
    for f in common::fixtures_with_extra() {
        let Some(dmesg) = f.expected("dmesg") else {
            continue;
        };
        let name = f.name().to_string();
        let lines: Vec<&str> = dmesg.lines().map(text).collect();
        let events: Vec<Event> = parse(&dmesg_records(&dmesg));
        let release = &f.manifest.release;

        // Bad page reports.
        let bad: Vec<&Event> = events
            .iter()
            .filter(|e| e.kind == EventKind::BadPage)
            .collect();
        let headers: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].starts_with("BUG: Bad page state in process "))
            .collect();
        assert_eq!(
            bad.len(),
            headers.len(),
            "{name}: one event per bad page report"
        );
        for (e, &h) in bad.iter().zip(&headers) {
            let (process, pfn) = lines[h]["BUG: Bad page state in process ".len()..]
                .rsplit_once("  pfn:")
                .unwrap();
            let pfn = u64::from_str_radix(pfn, 16).unwrap();
            assert_eq!(e.seqs[0], h as u64, "{name}: report starts at its header");
            assert_eq!(e.process.as_deref(), Some(process), "{name}");
            assert_eq!(e.pfn, Some(pfn), "{name}");
            if let Some(own) = lines[h - 1].strip_prefix("modcrash_badpage: freeing pfn 0x") {
                let own = u64::from_str_radix(own.split(' ').next().unwrap(), 16).unwrap();
                assert_eq!(e.pfn, Some(own), "{name}: the test module's pfn");
            }
            let (_, reason) = next_line(&lines, h, "page dumped because: ").unwrap();
            assert_eq!(
                e.reason.as_deref(),
                reason.strip_prefix("page dumped because: "),
                "{name}"
            );
            check_modules(&name, f.manifest.tracking, e, &lines, h);
            let (c, cpu) = next_line(&lines, h, "CPU: ").unwrap();
            let pid: u32 = cpu
                .split_once(" PID: ")
                .unwrap()
                .1
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(e.pid, Some(pid), "{name}");
            let letters: String = cpu
                .split_once("Tainted: ")
                .map(|(_, t)| t.split(release.as_str()).next().unwrap().replace(' ', ""))
                .unwrap_or_default();
            assert_eq!(e.taint.as_ref().unwrap().letters, letters, "{name}");
            assert!(
                e.seqs.contains(&(c as u64)),
                "{name}: the CPU line is in the report"
            );
            assert!(e.complete, "{name}");
            checked += 1;
        }

        // Oopses: one per die line, in order, with its counter.
        let oops: Vec<&Event> = events
            .iter()
            .filter(|e| e.kind == EventKind::Oops)
            .collect();
        let dies: Vec<u32> = lines.iter().filter_map(|l| die_count(l)).collect();
        assert_eq!(oops.len(), dies.len(), "{name}: one event per oops");
        for (e, n) in oops.iter().zip(&dies) {
            let d = e.oops.as_ref().unwrap().die.as_ref().unwrap();
            assert_eq!(d.count, *n, "{name}");
            if e.modules.is_some() {
                check_modules(&name, f.manifest.tracking, e, &lines, e.seqs[0] as usize);
            }
            checked += 1;
        }

        // Warnings and panics: one per header line.
        for (kind, prefix) in [
            (EventKind::Warning, "WARNING: CPU: "),
            (EventKind::Panic, "Kernel panic - not syncing: "),
        ] {
            let want = lines.iter().filter(|l| l.starts_with(prefix)).count();
            let got = events.iter().filter(|e| e.kind == kind).count();
            assert_eq!(got, want, "{name}: {prefix}");
            checked += got;
        }
    }
    common::record_cases("real_events", checked);
}
