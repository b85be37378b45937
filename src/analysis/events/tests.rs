//! Parser tests on real kernel output (testdata/logs/, see its README for where each excerpt
//! came from); expected values are copied from the excerpt's own lines.

use super::*;

fn log(name: &str) -> String {
    let p = format!("{}/testdata/logs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// One record per text, numbered from `first_seq`.
fn records<'a>(first_seq: u64, texts: impl IntoIterator<Item = &'a str>) -> Vec<LogLine<'a>> {
    texts
        .into_iter()
        .zip(first_seq..)
        .map(|(text, seq)| LogLine { seq, text })
        .collect()
}

/// Everything but `seqs`, for comparing parses of the same report cut into records differently.
fn without_seqs(mut e: Vec<Event>) -> Vec<Event> {
    for ev in &mut e {
        ev.seqs.clear();
    }
    e
}

#[test]
fn deb612_null_deref_oops() {
    let text = log("deb612-oops.dmesg");
    let recs = dmesg_records(&text);
    let ev = parse(&recs);
    assert_eq!(ev.len(), 1, "{ev:#?}");
    let e = &ev[0];
    assert_eq!(e.kind, EventKind::Oops);
    assert_eq!(
        e.headline,
        "BUG: kernel NULL pointer dereference, address: 0000000000000000"
    );
    assert_eq!(
        e.reason.as_deref(),
        Some("kernel NULL pointer dereference, address: 0000000000000000")
    );
    let o = e.oops.as_ref().unwrap();
    assert_eq!(o.fault_address, Some(0));
    let d = o.die.as_ref().unwrap();
    assert_eq!((d.what.as_str(), d.error_code, d.count), ("Oops", 0, 1));
    assert_eq!(d.flags, ["PREEMPT", "SMP", "NOPTI"]);
    assert_eq!((e.cpu, e.uid, e.pid), (Some(0), Some(0), Some(176)));
    assert_eq!(e.process.as_deref(), Some("insmod"));
    let t = e.taint.as_ref().unwrap();
    assert_eq!(t.letters, "PCOE");
    assert_eq!(t.release.as_deref(), Some("6.12.117+deb12-cloud-amd64"));
    assert_eq!(
        t.descriptions,
        [
            ("P", "PROPRIETARY_MODULE"),
            ("C", "CRAP"),
            ("O", "OOT_MODULE"),
            ("E", "UNSIGNED_MODULE")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(
        e.hardware.as_deref(),
        Some("QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014")
    );
    let rip = e.rip.as_ref().unwrap();
    assert_eq!(rip.cs, 0x10);
    assert_eq!(rip.frame.symbol.as_deref(), Some("mt_test_init"));
    assert_eq!(
        (rip.frame.offset, rip.frame.size),
        (Some(0x47), Some(0xff0))
    );
    assert_eq!(rip.frame.module.as_deref(), Some("mt_test_c"));
    // 21 frame lines between <TASK> and the user registers.
    assert_eq!(e.trace.len(), 21);
    assert_eq!(e.trace.iter().filter(|f| !f.reliable).count(), 14);
    assert_eq!(e.trace[0].symbol.as_deref(), Some("do_one_initcall"));
    assert_eq!(e.trace[3].address, Some(0xffffffffc03fd0de));
    assert!(!e.trace[3].reliable);
    assert_eq!(
        e.trace[20].symbol.as_deref(),
        Some("entry_SYSCALL_64_after_hwframe")
    );
    assert!(e.trace.iter().all(|f| f.stack.as_deref() == Some("TASK")));
    assert_eq!(e.trace_modules(), ["mt_test_c"]);
    let m = e.modules.as_ref().unwrap();
    let names: Vec<(&str, &str)> = m
        .modules
        .iter()
        .map(|m| (m.name.as_str(), m.flags.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("mt_test_c", "OE+"),
            ("modcrash_slow", "OE"),
            ("modcrash_prop", "POE"),
            ("modcrash_staging", "COE"),
            ("modcrash_stay", "OE"),
            ("crc7", ""),
            ("qemu_fw_cfg", ""),
            ("modtrack", "OE")
        ]
    );
    let l = m.last_unloaded.as_ref().unwrap();
    assert_eq!((l.name.as_str(), l.flags.as_str()), ("modcrash_dual", "CE"));
    // Debian 6.12 does not track: the line after a complete print_modules() is modtrack's.
    assert_eq!(e.unloaded_tainted.len(), 1);
    let u = &e.unloaded_tainted[0];
    assert_eq!(u.source, UnloadedSource::Modtrack);
    let items: Vec<(&str, &str, u64)> = u
        .modules
        .iter()
        .map(|m| (m.name.as_str(), m.flags.as_str(), m.count))
        .collect();
    assert_eq!(
        items,
        [
            ("modcrash_failmod", "OE", 2),
            ("modcrash_dual", "OE", 2),
            ("modcrash_prop", "POE", 2),
            ("modcrash_hello", "OE", 3)
        ]
    );
    assert!(e.complete);
    // Lines 5..70 of the excerpt (the four lines before the oops are not part of it), all of
    // them: the oops, its end marker and oops_end()'s register summary.
    assert_eq!(e.seqs, (4..recs.len() as u64).collect::<Vec<_>>());
}

#[test]
fn interleaved_records_do_not_break_a_report() {
    let text = log("deb612-oops.dmesg");
    let recs = dmesg_records(&text);
    let clean = parse(&recs);
    // Another CPU's records between every line of the report.
    let noise = [
        "virtio_net virtio0 enp0s3: renamed from eth0",
        " with a leading space",
        "EXT4-fs (vda): mounted filesystem",
        "",
    ];
    let mut mixed = Vec::new();
    for (i, r) in recs.iter().enumerate() {
        mixed.push(LogLine {
            seq: 2 * r.seq,
            text: r.text,
        });
        mixed.push(LogLine {
            seq: 2 * r.seq + 1,
            text: noise[i % noise.len()],
        });
    }
    let ev = parse(&mixed);
    assert_eq!(without_seqs(ev.clone()), without_seqs(clean.clone()));
    // Exactly the report's own records, none of the noise.
    let want: Vec<u64> = clean[0].seqs.iter().map(|s| 2 * s).collect();
    assert_eq!(ev[0].seqs, want);
}

#[test]
fn multi_line_records_give_the_same_report() {
    let text = log("deb612-oops.dmesg");
    let recs = dmesg_records(&text);
    let clean = parse(&recs);
    let joined: Vec<String> = recs
        .chunks(3)
        .map(|c| {
            let mut s = c.iter().map(|r| r.text).collect::<Vec<_>>().join("\n");
            s.push('\n');
            s
        })
        .collect();
    let grouped = records(100, joined.iter().map(String::as_str));
    let ev = parse(&grouped);
    assert_eq!(without_seqs(ev.clone()), without_seqs(clean));
    // Lines 4.. are in records 1.. (line 4 opens the second record of three lines).
    assert_eq!(
        ev[0].seqs,
        (101..100 + grouped.len() as u64).collect::<Vec<_>>()
    );
}

#[test]
fn truncated_reports_are_incomplete_not_lost() {
    let text = log("deb612-oops.dmesg");
    let recs = dmesg_records(&text);
    for cut in 5..recs.len() {
        let ev = parse(&recs[..cut]);
        assert_eq!(ev.len(), 1, "cut at {cut}");
        assert_eq!(ev[0].kind, EventKind::Oops);
        assert_eq!(ev[0].seqs.first(), Some(&4));
        // The end marker is the 59th line (index 58).
        assert_eq!(ev[0].complete, cut > 58, "cut at {cut}");
    }
}

#[test]
fn dmesg_prefixes() {
    let r = dmesg_records(
        "[    5.699613] BUG: x\n<4>[    1.000000][  T176] y\nplain\n[x] not a ts\n[    1.0] [drm] z\n[    1.0]\n[   11.1932571",
    );
    let t: Vec<&str> = r.iter().map(|r| r.text).collect();
    assert_eq!(
        t,
        [
            "BUG: x",
            "y",
            "plain",
            "[x] not a ts",
            "[drm] z",
            "",
            "[   11.1932571"
        ]
    );
    let r = dmesg_records("[ 1.0]  do_one_initcall+0x5b/0x320\n");
    assert_eq!(r[0].text, " do_one_initcall+0x5b/0x320");
}

/// print_modules()'s line rebuilt from the parse.
fn modules_line(m: &ModulesLinkedIn) -> String {
    let mut s = String::from("Modules linked in:");
    for x in &m.modules {
        s += &format!(" {}", x.name);
        if !x.flags.is_empty() {
            s += &format!("({})", x.flags);
        }
    }
    if let Some(l) = &m.last_unloaded {
        s += &format!(" [last unloaded: {}", l.name);
        if !l.flags.is_empty() {
            s += &format!("({})", l.flags);
        }
        s.push(']');
    }
    s
}

/// The two reports of the bad-page test module, as 6.1 and 6.12 print them.
fn check_badpage_reports(file: &str, pids: [u32; 2], frames: [usize; 2], uid: Option<u32>) {
    let text = log(file);
    let recs = dmesg_records(&text);
    let ev = parse(&recs);
    assert_eq!(ev.len(), 2, "{file}: {ev:#?}");
    let line = |prefix: &str, nth: usize| {
        recs.iter()
            .filter(|r| r.text.starts_with(prefix))
            .nth(nth)
            .map(|r| r.text)
            .unwrap()
    };
    for (i, e) in ev.iter().enumerate() {
        assert_eq!(e.kind, EventKind::BadPage);
        assert!(e.complete, "{file}: report {i} ends with </TASK>");
        assert_eq!(e.process.as_deref(), Some("insmod"));
        assert_eq!((e.cpu, e.uid, e.pid), (Some(0), uid, Some(pids[i])));
        // The test module's own line before the report names the pfn.
        let own = line("modcrash_badpage: freeing pfn 0x", i);
        let own_pfn = own["modcrash_badpage: freeing pfn 0x".len()..]
            .split(' ')
            .next()
            .unwrap();
        assert_eq!(e.pfn, u64::from_str_radix(own_pfn, 16).ok());
        let p = e.page.as_ref().unwrap();
        assert_eq!(p.pfn, e.pfn, "dump_page's pfn:%#lx equals the header's");
        assert_eq!((p.refcount, p.index), (Some(0), Some(0)));
        let f = p.flags.as_ref().unwrap();
        assert_eq!(f.raw, 0xfffffc0000000);
        assert!(f.names.is_empty());
        let fields: Vec<(&str, u64)> = f
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.value))
            .collect();
        assert_eq!(fields, [("node", 0), ("zone", 1), ("lastcpupid", 0x1fffff)]);
        assert_eq!(p.raw.len(), 2);
        assert_eq!(p.raw[0].split(' ').count(), 4);
        // Every dump_page line, from `page:` to `page dumped because:`, in order.
        assert!(p.lines[0].starts_with("page:"));
        assert!(p.lines.last().unwrap().starts_with("page dumped because: "));
        assert_eq!(
            modules_line(e.modules.as_ref().unwrap()),
            line("Modules linked in:", i)
        );
        assert!(
            e.unloaded_tainted.is_empty(),
            "no tracking, and modtrack prints only on oops/panic"
        );
        assert_eq!(e.trace.len(), frames[i]);
        assert_eq!(e.trace[0].symbol.as_deref(), Some("dump_stack_lvl"));
        assert!(e.trace[1]
            .symbol
            .as_deref()
            .unwrap()
            .starts_with("bad_page"));
        assert_eq!(e.trace_modules(), ["modcrash_badpage"]);
        let mc = e
            .trace
            .iter()
            .find(|f| f.symbol.as_deref() == Some("mc_init"))
            .unwrap();
        assert!(mc.reliable);
        assert_eq!(
            e.rip.as_ref().map(|r| r.cs),
            Some(0x33),
            "the user-mode registers"
        );
        // The module's line just before is not part of the report; the report's lines are.
        let own_seq = recs
            .iter()
            .filter(|r| r.text.starts_with("modcrash_badpage: freeing"))
            .nth(i)
            .unwrap()
            .seq;
        assert_eq!(e.seqs[0], own_seq + 1);
        assert_eq!(e.seqs.len() as u64, e.seqs.last().unwrap() - e.seqs[0] + 1);
    }
    let (a, b) = (&ev[0], &ev[1]);
    assert_eq!(a.reason.as_deref(), Some("non-NULL mapping"));
    let pa = a.page.as_ref().unwrap();
    assert_eq!(pa.mapcount, Some(0));
    assert_eq!(
        pa.mapping, None,
        "printed as (____ptrval____): %p before the hash key was ready"
    );
    assert_eq!(pa.invalid_mapping, Some(0xdead000000000400));
    assert_eq!(
        pa.mapping_info.as_deref(),
        Some("invalid mapping:dead000000000400")
    );
    assert_eq!(
        pa.raw[0],
        "000fffffc0000000 0000000000000000 dead000000000122 dead000000000400"
    );
    assert_eq!(b.reason.as_deref(), Some("nonzero mapcount"));
    let pb = b.page.as_ref().unwrap();
    assert_eq!((pb.mapcount, pb.mapping), (Some(1), Some(0)));
    assert_eq!(pb.invalid_mapping, None);
    // bad_page() adds TAINT_BAD_PAGE after printing: the first report lacks B, the second has it.
    assert_eq!(a.taint.as_ref().unwrap().letters, "PCOE");
    assert_eq!(b.taint.as_ref().unwrap().letters, "PBCOE");
    let last = |e: &Event| e.modules.as_ref().unwrap().last_unloaded.clone().unwrap();
    assert_eq!(last(a).name, "modcrash_dual");
    assert_eq!(
        (last(b).name.as_str(), last(b).flags.as_str()),
        ("modcrash_badpage", "OE")
    );
}

#[test]
fn deb61_bad_page_reports() {
    check_badpage_reports("deb61-badpage.dmesg", [126, 128], [14, 13], None);
    let text = log("deb61-badpage.dmesg");
    let ev = parse(&dmesg_records(&text));
    // 6.1 prints the struct page address (%p) on the first line.
    assert_eq!(
        ev[0].page.as_ref().unwrap().address.as_deref(),
        Some("(____ptrval____)")
    );
    assert!(ev[0].taint.as_ref().unwrap().descriptions.is_empty());
}

#[test]
fn deb612_bad_page_reports() {
    check_badpage_reports("deb612-badpage.dmesg", [180, 182], [20, 21], Some(0));
    let text = log("deb612-badpage.dmesg");
    let ev = parse(&dmesg_records(&text));
    assert_eq!(ev[0].page.as_ref().unwrap().address, None);
    let d = &ev[1].taint.as_ref().unwrap().descriptions;
    assert_eq!(d[1], ("B".to_string(), "BAD_PAGE".to_string()));
    let unreliable = ev[0]
        .trace
        .iter()
        .find(|f| f.symbol.as_deref() == Some("__pfx_mc_init"))
        .unwrap();
    assert!(!unreliable.reliable);
    assert_eq!(unreliable.module.as_deref(), Some("modcrash_badpage"));
}

#[test]
fn upstream_bad_page_with_the_kernels_unloaded_list() {
    let text = log("upstream-badpage.dmesg");
    let recs = dmesg_records(&text);
    let ev = parse(&recs);
    assert_eq!(ev.len(), 2, "{ev:#?}");
    let printed = |nth: usize| {
        recs.iter()
            .filter(|r| r.text.starts_with("Unloaded tainted modules:"))
            .nth(nth)
            .unwrap()
            .text
    };
    for (i, e) in ev.iter().enumerate() {
        assert_eq!(e.kind, EventKind::BadPage);
        assert!(e.complete);
        assert_eq!(e.pfn, Some([0xae2, 0xc02][i]));
        let f = e.page.as_ref().unwrap().flags.as_ref().unwrap();
        // No NUMA and no NUMA balancing: the only field printed is the zone.
        assert_eq!((f.raw, f.names.len()), (0, 0));
        assert_eq!(
            f.fields,
            [FlagField {
                name: "zone".into(),
                value: 0
            }]
        );
        // The kernel tracks: its line is printed inside print_modules(), which ends it with
        // `[last unloaded: ...]`; the modules line itself has none.
        assert_eq!(e.unloaded_tainted.len(), 1);
        let u = &e.unloaded_tainted[0];
        assert_eq!(u.source, UnloadedSource::Kernel);
        let mut rebuilt = String::from("Unloaded tainted modules:");
        for m in &u.modules {
            rebuilt += &format!(" {}({}):{}", m.name, m.flags, m.count);
        }
        let l = e.modules.as_ref().unwrap().last_unloaded.as_ref().unwrap();
        rebuilt += &format!(" [last unloaded: {}({})]", l.name, l.flags);
        assert_eq!(rebuilt, printed(i));
        assert_eq!(e.hardware, None);
        assert_eq!(e.trace.len(), 12);
        assert!(e.trace.iter().all(|f| !f.reliable));
        assert_eq!(e.trace_modules(), ["modcrash_badpage"]);
        assert_eq!(
            e.taint.as_ref().unwrap().release.as_deref(),
            Some("6.12.117")
        );
    }
    assert_eq!(ev[0].unloaded_tainted[0].modules.len(), 5);
    assert_eq!(
        ev[1].unloaded_tainted[0].modules[0].name,
        "modcrash_badpage"
    );
    assert_eq!(ev[1].taint.as_ref().unwrap().letters, "PBCO");
}

#[test]
fn unloaded_line_attribution() {
    let mk = |lines: &[&str]| {
        parse(&records(0, lines.iter().copied()))
            .remove(0)
            .unloaded_tainted
            .iter()
            .map(|u| u.source)
            .collect::<Vec<_>>()
    };
    let head = "BUG: Bad page state in process x  pfn:1";
    // A kernel that tracks, with modtrack loaded too: the kernel's line (with the last
    // unloaded module), then modtrack's after print_modules() (an oops: its die notifier).
    assert_eq!(
        mk(&[
            head,
            "Modules linked in: a(O)",
            "Unloaded tainted modules: b(O):1 [last unloaded: b(O)]",
            "Unloaded tainted modules: b(O):1",
        ]),
        [UnloadedSource::Kernel, UnloadedSource::Modtrack]
    );
    // No module unloaded by rmmod (only failed loads): no `[last unloaded:` to place it.
    assert_eq!(
        mk(&[
            head,
            "Modules linked in: a(O)",
            "Unloaded tainted modules: b(O):1"
        ]),
        [UnloadedSource::KernelOrModtrack]
    );
    // Two such lines: print_modules() prints first.
    assert_eq!(
        mk(&[
            head,
            "Modules linked in: a(O)",
            "Unloaded tainted modules: b(O):1",
            "Unloaded tainted modules: b(O):1",
        ]),
        [UnloadedSource::Kernel, UnloadedSource::Modtrack]
    );
    // A panic prints no modules line: only modtrack's notifier prints the list.
    let p = parse(&records(
        0,
        [
            "Kernel panic - not syncing: x",
            "Unloaded tainted modules: b(O):1",
        ],
    ));
    assert_eq!(p[0].unloaded_tainted[0].source, UnloadedSource::Modtrack);
}

#[test]
fn a_full_list_continues_in_the_next_record() {
    // tracker/modtrack_print.c starts a new record before the line reaches 896 bytes; the
    // continuation starts with " name(...)".
    let mut first = String::from("Unloaded tainted modules:");
    let mut n = 0;
    while first.len() + " modcrash_module_00(OE):1".len() < 896 {
        first += &format!(" modcrash_module_{n:02}(OE):1");
        n += 1;
    }
    // The item that did not fit.
    let second = format!(" modcrash_module_{n:02}(OE):2");
    let short = "Unloaded tainted modules: a(O):1";
    let recs = records(0, ["Kernel panic - not syncing: x", &first, &second]);
    let e = &parse(&recs)[0];
    assert_eq!(e.unloaded_tainted[0].modules.len(), n + 1);
    assert_eq!(e.unloaded_tainted[0].modules[n].count, 2);
    assert_eq!(e.seqs, [0, 1, 2]);
    // After a short line, the same text is not a continuation.
    let recs = records(0, ["Kernel panic - not syncing: x", short, &second]);
    let e = &parse(&recs)[0];
    assert_eq!(e.unloaded_tainted[0].modules.len(), 1);
    assert_eq!(e.seqs, [0, 1]);
}
