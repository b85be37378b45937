//! Snapshots of every output format on one fixed report (real dumps change with every boot; their
//! output is checked against the guest's own files in real_kernel_view.rs instead).

mod common;

use modcrash::analysis::*;
use modcrash::output::{self, kernel_text, table};

/// The crash part of the report: the events of a real upstream bad-page log excerpt
/// (testdata/logs/upstream-badpage.dmesg), the triage over the fixed report's modules, and
/// pages that could not be read (a struct page needs a dump).
fn with_crash(mut r: Report) -> Report {
    let text = include_str!("../testdata/logs/upstream-badpage.dmesg");
    let records = events::dmesg_records(text);
    r.events = events::parse(&records);
    r.log = LogSummary {
        layout_source: Some("vmcoreinfo"),
        records: records.len() as u64,
        first_seq: Some(0),
        next_seq: Some(records.len() as u64),
        printk_time: Some(false),
        ..Default::default()
    };
    r.triage = triage::triage(&r, &r.events, |pfn| {
        Err(format!("pfn {pfn:#x}: excluded from the dump"))
    });
    r
}

fn report() -> Report {
    with_crash(base_report())
}

fn base_report() -> Report {
    let flag = |bit, c, module| TaintFlagDef {
        bit,
        c_true: c,
        c_false: ' ',
        module: Some(module),
        desc: None,
    };
    let m = |name: &str, taints, letters: &str, state| LoadedModule {
        name: name.into(),
        address: 0xffffffffc0400040,
        state,
        size: 12288,
        refcount: 1,
        used_by: vec!["user_mod".into()],
        permanent: false,
        base: 0xffffffffc03df000,
        taints,
        taint_letters: letters.into(),
        version: Some("1.2.3".into()),
        srcversion: None,
    };
    Report {
        schema_version: modcrash::analysis::report::SCHEMA_VERSION,
        identity: Identity {
            release: Some("6.12.117".into()),
            build_id: Some("0123456789abcdef0123456789abcdef01234567".into()),
            kaslr_offset: Some(0x31600000),
            paging_levels: 5,
            page_offset_base: Some(0xff11000000000000),
            crash_time: Some(1764201600),
            symbols_from: "vmlinux".into(),
            types_from: "dwarf".into(),
            debug_source: "vmlinux /usr/lib/debug/boot/vmlinux-6.12.117".into(),
        },
        taint: Some(KernelTaint {
            mask: 0x1401 | (1 << 28),
            bits: vec![
                TaintBit {
                    bit: 0,
                    letter: Some('P'),
                    desc: Some("PROPRIETARY_MODULE".into()),
                },
                TaintBit {
                    bit: 10,
                    letter: Some('C'),
                    desc: None,
                },
                TaintBit {
                    bit: 12,
                    letter: Some('O'),
                    desc: None,
                },
                TaintBit {
                    bit: 28,
                    letter: None,
                    desc: None,
                },
            ],
            letters: "PCO#28".into(),
        }),
        taint_flags: vec![flag(0, 'P', true), flag(10, 'C', true), flag(12, 'O', true)],
        modules: vec![
            m("modcrash_slow", 0x1000, "O", ModuleState::Coming),
            m("crc7", 0, "", ModuleState::Live),
            m("odd", 0, "", ModuleState::Unknown(7)),
        ],
        unloaded_tainted: Tracked::Modtrack(vec![
            UnloadedTainted {
                name: "modcrash_dual".into(),
                taints: 0x400,
                taint_letters: "C".into(),
                count: 1,
            },
            UnloadedTainted {
                name: "modcrash_hello".into(),
                taints: 0x1000,
                taint_letters: "O".into(),
                count: 3,
            },
        ]),
        stats: Tracked::Kernel(ModStats {
            modcount: 12,
            failed_becoming: 14,
            total_mod_size: 241664,
            total_text_size: 94208,
            invalid_becoming_bytes: 824320,
            dup_failed: vec![DupFailed {
                name: "modcrash_slow".into(),
                count: 14,
                dup_fail_mask: 1,
            }],
            ..Default::default()
        }),
        last_unloaded: Some(LastUnloaded {
            name: "modcrash_dual".into(),
            taints: Some("(C)".into()),
        }),
        modtrack: Some(ModtrackReport {
            state_address: 0xffffffffc04e8060,
            module_address: 0xffffffffc04f0800,
            found_via: "kallsyms".into(),
            layout_version: 1,
            release: "6.12.117".into(),
            seq: 7,
            update_in_progress: true,
            flags: 0x6af,
            flag_names: [
                "READY",
                "UNLOAD_TP",
                "LIVE_NOTIFIER",
                "LOAD_PROBES",
                "DUP_EMULATED",
                "KREAD_PROBES",
                "DIE_NOTIFIER",
                "PANIC_NOTIFIER",
            ]
            .map(String::from)
            .to_vec(),
            unload_tracking: UnloadTracking::Exact,
            unloaded_tainted: vec![
                UnloadedTainted {
                    name: "modcrash_dual".into(),
                    taints: 0x400,
                    taint_letters: "C".into(),
                    count: 1,
                },
                UnloadedTainted {
                    name: "modcrash_hello".into(),
                    taints: 0x1000,
                    taint_letters: "O".into(),
                    count: 3,
                },
            ],
            unloaded_dropped: 3,
            unloaded_capacity: 256,
            stats: ModStats {
                modcount: 13,
                failed_load_modules: 2,
                total_mod_size: 262144,
                total_text_size: 98304,
                invalid_mod_bytes: 131072,
                dup_failed: vec![DupFailed {
                    name: "modcrash_slow".into(),
                    count: 2,
                    dup_fail_mask: 2,
                }],
                unavailable: vec![
                    "failed_decompress".into(),
                    "invalid_decompress_bytes".into(),
                ],
                ..Default::default()
            },
            dup_failed_dropped: 0,
            dup_failed_capacity: 128,
            untracked_loads: 1,
            probe_missed: 0,
        }),
        warnings: vec![Warning::new(
            WarningKind::Modules,
            "modules",
            "module at 0xffffffffc0400040 skipped: excluded",
        )
        .at(0xffffffffc0400040)],
        log: LogSummary::default(),
        events: Vec::new(),
        triage: Default::default(),
        kernel_log: None,
    }
}

#[test]
fn table_output() {
    insta::assert_snapshot!("table", table::render(&report()));
}

#[test]
fn json_output_validates_and_is_stable() {
    let text = output::json(&report());
    let v = common::report_schema();
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let errs = common::schema_errors(&v, &j);
    assert!(errs.is_empty(), "{errs:#?}");
    insta::assert_snapshot!("json", text);
}

#[test]
fn not_tracked_json_validates() {
    let mut r = report();
    r.unloaded_tainted = Tracked::NotTracked {
        reason: "off".into(),
    };
    r.stats = Tracked::Unreadable {
        error: "excluded".into(),
    };
    r.taint = None;
    r.last_unloaded = Some(LastUnloaded {
        name: "old".into(),
        taints: None,
    });
    let v = common::report_schema();
    let j: serde_json::Value = serde_json::from_str(&output::json(&r)).unwrap();
    assert!(v.is_valid(&j));
    // And a wrong document does not validate: the schema is not vacuous.
    let mut bad = j.clone();
    bad["modules"][0]["base"] = serde_json::json!(12345);
    assert!(!v.is_valid(&bad));
    // The modtrack object is checked too.
    let mut bad = serde_json::from_str::<serde_json::Value>(&output::json(&report())).unwrap();
    assert!(v.is_valid(&bad));
    bad["modtrack"]["unload_tracking"] = serde_json::json!("sometimes");
    assert!(!v.is_valid(&bad));
}

#[test]
fn kernel_text_outputs() {
    let r = report();
    let s = r.stats.data().unwrap();
    let u = r.unloaded_tainted.data().unwrap();
    let m = r.modtrack.as_ref().unwrap();
    insta::assert_snapshot!(
        "kernel_text",
        format!(
            "--- stats\n{}--- unloaded_tainted\n{}--- modtrack stats\n{}--- modtrack unloaded_tainted\n{}--- proc_modules\n{}--- print_modules\n{}",
            kernel_text::stats(s),
            kernel_text::unloaded_tainted(u),
            kernel_text::stats(&m.stats),
            kernel_text::unloaded_tainted(&m.unloaded_tainted),
            kernel_text::proc_modules(&r.modules),
            kernel_text::print_modules(&r.modules, Some(u), r.last_unloaded.as_ref())
        )
    );
}
