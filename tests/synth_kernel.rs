//! The analyses on a synthetic kernel, without the test bed: memory, page tables, `struct
//! module`s, the tracking lists, counters and modtrack's state built by
//! tests/common/synth_kernel.rs (its own layouts, written into its own DWARF), rendered by
//! src/synth's dump writers and read back through the public API. Every expected value below is
//! what the builder was told to put there.

mod common;
#[path = "common/modtrack_state.rs"]
mod modtrack_state;
#[path = "common/synth_kernel.rs"]
mod synth_kernel;
#[path = "common/synth_vmlinux.rs"]
mod synth_vmlinux;

use modcrash::analysis::{report, LoadedModule, ModuleState, Report, Tracked, UnloadTracking};
use modcrash::kernel::{Kernel, KernelError};
use modcrash::memory::PhysMem;
use modcrash::output::{self, kernel_text};
use modcrash::synth::Compression;
use modtrack_state::State;
use synth_kernel::*;

const P: u64 = 1;
const W: u64 = 1 << 9;
const C: u64 = 1 << 10;
const O: u64 = 1 << 12;
const E: u64 = 1 << 13;

// ---- The kernels ----------------------------------------------------------------------------

/// Loaded modules, newest first: a going one, a coming one, two users of `synth_prop`, a
/// permanent one and an unformed one.
fn modules() -> Vec<ModuleSpec> {
    let mut going = ModuleSpec::new("synth_going");
    going.state = GOING;
    going.taints = O;
    going.core = [0x2000, 0x1000, 0x1000, 0];
    let mut user_b = ModuleSpec::new("synth_user_b");
    user_b.state = COMING;
    user_b.taints = C;
    user_b.core = [0x1000, 0x1000, 0, 0];
    user_b.init = [0x1000, 0x1000, 0];
    let mut user_a = ModuleSpec::new("synth_user_a");
    user_a.core = [0x3000, 0x1000, 0x1000, 0x1000];
    user_a.version = Some("0.9".into());
    let mut prop = ModuleSpec::new("synth_prop");
    prop.taints = P | W | O | E; // W is not a per-module flag
    prop.core = [0x4000, 0x2000, 0x1000, 0];
    prop.refcnt = 3;
    prop.used_by = vec![1, 2];
    prop.version = Some("1.2.3".into());
    prop.srcversion = Some("5E7B9D0F1A2C3E4D5F60718".into());
    let mut perm = ModuleSpec::new("synth_perm");
    perm.has_exit = false;
    let mut unformed = ModuleSpec::new("synth_unformed");
    unformed.state = UNFORMED;
    vec![going, user_b, user_a, prop, perm, unformed]
}

const COUNTER_VALUES: [(&str, u64); 11] = [
    ("modcount", 12),
    ("failed_kreads", 1),
    ("failed_decompress", 0),
    ("failed_becoming", 2),
    ("failed_load_modules", 3),
    ("total_mod_size", 393216),
    ("total_text_size", 131072),
    ("invalid_kread_bytes", 4096),
    ("invalid_decompress_bytes", 0),
    ("invalid_becoming_bytes", 200),
    ("invalid_mod_bytes", 12288),
];

const TAINTED: u64 = P | W | C | O | E | (1 << 25);

/// An upstream-configured 6.12: both tracking options on.
fn upstream() -> Spec {
    Spec {
        tainted_mask: TAINTED,
        modules: modules(),
        unloaded: vec![
            ("synth_old_oot".into(), O | E, 3),
            ("synth_old_prop".into(), P | W, 1),
            ("synth_old_crap".into(), C, 2),
        ],
        counters: COUNTER_VALUES.to_vec(),
        dup_failed: vec![("synth_slow".into(), 14, 1), ("synth_dup".into(), 2, 3)],
        last_unloaded: ("synth_last".into(), "(OE)".into()),
        ..Spec::v6_12()
    }
}

/// modtrack's state: three unloads, one duplicate, the 6.1 flags (no decompress probe).
fn modtrack_state() -> State {
    let mut s = State::new();
    s.unloaded("mt_hello", O | E, 3);
    s.unloaded("mt_prop", P | O | W, 2);
    s.unloaded("mt_crap", C, 1);
    s.dupfail("mt_slow", 7, 2);
    for (i, v) in [14u64, 1, 0, 2, 3, 454656, 114688, 4096, 0, 100, 8192]
        .iter()
        .enumerate()
    {
        s.put64(152 + 8 * i, *v);
    }
    s
}

fn modtrack_module(in_kallsyms: bool, in_exports: bool) -> ModuleSpec {
    let mut m = ModuleSpec::new("modtrack");
    m.taints = O | E;
    m.core = [0x3000, 0xa000, 0x1000, 0x1000];
    m.modtrack = Some(ModtrackSpec {
        state: modtrack_state().b,
        in_kallsyms,
        in_exports,
        st_size: None,
    });
    m
}

/// Debian's 6.1: no tracking options, modtrack loaded (oldest, so last on the list).
fn stock() -> Spec {
    let mut s = Spec {
        tainted_mask: TAINTED,
        modules: modules(),
        last_unloaded: ("synth_last".into(), "(OE)".into()),
        ..Spec::v6_1()
    };
    s.modules.push(modtrack_module(true, true));
    s
}

// ---- Running it -----------------------------------------------------------------------------

fn report_on(mem: &dyn PhysMem, vmcoreinfo: &str, k: &SynthKernel) -> Report {
    let vi = modcrash::dump::vmcoreinfo::VmcoreInfo::parse(vmcoreinfo.as_bytes());
    let vm = k.vmlinux();
    let kernel = Kernel::with_vmlinux(mem, Some(&vi), &vm, false).expect("kernel view");
    report(&kernel)
}

/// The report through a kdump file written by src/synth.
fn run(k: &SynthKernel) -> Report {
    let dump = k.kdump(Compression::None);
    let vm = k.vmlinux();
    let kernel = Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, false).expect("kernel view");
    report(&kernel)
}

/// The report straight from the builder's pages (no dump file: for big or many kernels).
fn run_mem(k: &SynthKernel) -> Report {
    report_on(&k.mem, &k.vmcoreinfo, k)
}

fn names(r: &Report) -> Vec<&str> {
    r.modules.iter().map(|m| m.name.as_str()).collect()
}

fn module<'a>(r: &'a Report, name: &str) -> &'a LoadedModule {
    r.modules.iter().find(|m| m.name == name).unwrap()
}

fn warnings(r: &Report) -> Vec<String> {
    r.warnings
        .iter()
        .map(|w| format!("{}: {}", w.context, w.message))
        .collect()
}

fn assert_schema(r: &Report) {
    let v: serde_json::Value = serde_json::from_str(&output::json(r)).unwrap();
    let errors = common::schema_errors(&common::report_schema(), &v);
    assert!(errors.is_empty(), "{errors:#?}");
}

const PROC_MODULES: &str = "\
synth_going 16384 0 - Unloading 0xffffffffc0100000 (O-)
synth_user_b 16384 0 - Loading 0xffffffffc0200000 (C+)
synth_user_a 24576 0 - Live 0xffffffffc0300000
synth_prop 28672 2 synth_user_b,synth_user_a, Live 0xffffffffc0400000 (POE)
synth_perm 8192 0 [permanent], Live 0xffffffffc0500000
";

const STATS: &str = concat!(
    "         Mods ever loaded\t12\n",
    "     Mods failed on kread\t1\n",
    "Mods failed on decompress\t0\n",
    "  Mods failed on becoming\t2\n",
    "      Mods failed on load\t3\n",
    "        Total module size\t393216\n",
    "      Total mod text size\t131072\n",
    "       Failed kread bytes\t4096\n",
    "  Failed decompress bytes\t0\n",
    "    Failed becoming bytes\t200\n",
    "        Failed kmod bytes\t12288\n",
    " Virtual mem wasted bytes\t16584\n",
    "         Average mod size\t32768\n",
    "    Average mod text size\t10923\n",
    "     Avg fail kread bytes\t4096\n",
    "  Avg fail becoming bytes\t100\n",
    "  Average fail load bytes\t4096\n",
    "Duplicate failed modules:\n",
    "              Module-name\t How-many-times\t                   Reason\n",
    "               synth_slow\t             14\t                 Becoming\n",
    "                synth_dup\t              2\t          Becoming & Load\n",
);

// ---- A whole kernel -------------------------------------------------------------------------

#[test]
fn upstream_kernel_report() {
    let k = SynthKernel::build(&upstream());
    let r = run(&k);
    assert!(r.warnings.is_empty(), "{:#?}", warnings(&r));
    assert_schema(&r);

    let id = &r.identity;
    assert_eq!(id.release.as_deref(), Some("6.12.0-synth"));
    assert_eq!(id.build_id.as_deref(), Some(build_id_hex().as_str()));
    assert_eq!(id.kaslr_offset, Some(0x1e00_0000));
    assert_eq!(id.paging_levels, 4);
    assert_eq!(id.page_offset_base, Some(0xffff_9a80_0000_0000));
    assert_eq!(id.crash_time, Some(1_700_000_000));

    // Kernel taint: the dump's own letters, the unknown bit by number.
    let t = r.taint.as_ref().unwrap();
    assert_eq!(t.mask, 0x200_3601);
    assert_eq!(t.letters, "PWCOE#25");
    let bits: Vec<_> = t
        .bits
        .iter()
        .map(|b| (b.bit, b.letter, b.desc.as_deref()))
        .collect();
    assert_eq!(
        bits,
        [
            (0, Some('P'), Some("PROPRIETARY_MODULE")),
            (9, Some('W'), Some("WARN")),
            (10, Some('C'), Some("CRAP")),
            (12, Some('O'), Some("OOT_MODULE")),
            (13, Some('E'), Some("UNSIGNED_MODULE")),
            (25, None, None),
        ]
    );
    assert_eq!(kernel_text::tainted(t.mask), "33568257\n");
    assert_eq!(r.taint_flags.len(), 20);
    assert_eq!(
        r.taint_flags.iter().map(|f| f.c_true).collect::<String>(),
        "PFSRMBUDAWCIOELKXTNJ"
    );
    assert_eq!(r.taint_flags[0].c_false, 'G');
    assert_eq!(r.taint_flags[19].desc.as_deref(), Some("FWCTL"));

    // Loaded modules, the unformed one included.
    assert_eq!(
        names(&r),
        [
            "synth_going",
            "synth_user_b",
            "synth_user_a",
            "synth_prop",
            "synth_perm",
            "synth_unformed"
        ]
    );
    let states: Vec<_> = r.modules.iter().map(|m| m.state).collect();
    use ModuleState::*;
    assert_eq!(states, [Going, Coming, Live, Live, Live, Unformed]);
    for (m, b) in r.modules.iter().zip(&k.modules) {
        assert_eq!((m.address, m.base), (b.addr, b.base), "{}", m.name);
    }
    let prop = module(&r, "synth_prop");
    assert_eq!(prop.size, 0x7000);
    assert_eq!(prop.refcount, 2);
    assert_eq!(prop.used_by, ["synth_user_b", "synth_user_a"]);
    assert_eq!(prop.taints, P | W | O | E);
    assert_eq!(prop.taint_letters, "POE");
    assert_eq!(prop.version.as_deref(), Some("1.2.3"));
    assert_eq!(prop.srcversion.as_deref(), Some("5E7B9D0F1A2C3E4D5F60718"));
    assert!(!prop.permanent);
    let a = module(&r, "synth_user_a");
    assert_eq!(
        (a.version.as_deref(), a.srcversion.as_deref()),
        (Some("0.9"), None)
    );
    assert!(module(&r, "synth_perm").permanent);
    // The coming module's init regions count.
    assert_eq!(module(&r, "synth_user_b").size, 0x4000);
    assert_eq!(kernel_text::proc_modules(&r.modules), PROC_MODULES);

    // Unloaded tainted modules, by the kernel's per-module rule.
    let Tracked::Kernel(u) = &r.unloaded_tainted else {
        panic!("{:?}", r.unloaded_tainted)
    };
    assert_eq!(
        kernel_text::unloaded_tainted(u),
        "synth_old_oot (OE) 3\nsynth_old_prop (P) 1\nsynth_old_crap (C) 2\n"
    );
    assert_eq!(u[1].taints, P | W);

    // Stats and duplicates.
    let Tracked::Kernel(s) = &r.stats else {
        panic!("{:?}", r.stats)
    };
    assert!(s.unavailable.is_empty());
    assert_eq!(s.dup_failed.len(), 2);
    assert_eq!(
        (
            s.dup_failed[1].name.as_str(),
            s.dup_failed[1].count,
            s.dup_failed[1].dup_fail_mask
        ),
        ("synth_dup", 2, 3)
    );
    assert_eq!(kernel_text::stats(s), STATS);

    let last = r.last_unloaded.as_ref().unwrap();
    assert_eq!(
        (last.name.as_str(), last.taints.as_deref()),
        ("synth_last", Some("(OE)"))
    );
    assert!(r.modtrack.is_none());
    assert_eq!(
        kernel_text::print_modules(&r.modules, Some(u), Some(last)),
        "Modules linked in: synth_going(O-) synth_user_b(C+) synth_user_a synth_prop(POE) synth_perm\n\
         Unloaded tainted modules: synth_old_oot(OE):3 synth_old_prop(P):1 synth_old_crap(C):2 \
         [last unloaded: synth_last(OE)]\n"
    );
}

#[test]
fn every_dump_format_gives_the_same_report() {
    let k = SynthKernel::build(&upstream());
    let want = output::json(&run_mem(&k));
    let vm = k.vmlinux();
    for (what, dump) in [
        ("kdump zlib", k.kdump(Compression::Zlib)),
        ("kdump zstd", k.kdump(Compression::Zstd)),
        ("ELF", k.elf()),
    ] {
        let kernel = Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, false).unwrap();
        assert_eq!(output::json(&report(&kernel)), want, "{what}");
    }
}

#[test]
fn pre_6_4_core_layout_shape() {
    let spec = Spec {
        mem_regions: false,
        ..upstream()
    };
    let k = SynthKernel::build(&spec);
    let r = run(&k);
    assert!(r.warnings.is_empty(), "{:#?}", warnings(&r));
    // core_layout.size + init_layout.size: the same sums as mem[] above.
    assert_eq!(kernel_text::proc_modules(&r.modules), PROC_MODULES);
    assert_eq!(module(&r, "synth_user_b").size, 0x4000);
    assert_eq!(
        module(&r, "synth_prop").used_by,
        ["synth_user_b", "synth_user_a"]
    );
}

#[test]
fn taint_flag_shapes() {
    // 6.1: { c_true, c_false, module }, 19 flags, no desc: names from modcrash's own table.
    let k = SynthKernel::build(&Spec {
        taint_shape: TaintShape::V6_1,
        ..upstream()
    });
    let r = run(&k);
    assert!(r.warnings.is_empty(), "{:#?}", warnings(&r));
    assert_eq!(r.taint_flags.len(), 19);
    assert!(r.taint_flags.iter().all(|f| f.desc.is_none()));
    assert_eq!(r.taint_flags[10].module, Some(true));
    assert_eq!(r.taint_flags[9].module, Some(false));
    let t = r.taint.as_ref().unwrap();
    assert_eq!(t.bits[2].desc.as_deref(), Some("CRAP"));
    assert_eq!(module(&r, "synth_prop").taint_letters, "POE");

    // 6.11+: the desc strings are read from the dump.
    let mut k = SynthKernel::build(&upstream());
    let desc = k.read_u64(rt(TAINT_FLAGS) + 9 * 16 + 8);
    k.write(desc, b"Warn");
    let r = run(&k);
    assert_eq!(
        r.taint.as_ref().unwrap().bits[1].desc.as_deref(),
        Some("Warn")
    );
    assert_eq!(r.taint_flags[0].module, Some(true));

    // Without `module`: every set bit the table knows is a module's letter.
    let k = SynthKernel::build(&Spec {
        taint_shape: TaintShape::NoModule,
        ..upstream()
    });
    let r = run(&k);
    assert!(r.warnings.is_empty(), "{:#?}", warnings(&r));
    assert!(r.taint_flags.iter().all(|f| f.module.is_none()));
    assert_eq!(module(&r, "synth_prop").taint_letters, "PWOE");
    let Tracked::Kernel(u) = &r.unloaded_tainted else {
        panic!()
    };
    assert_eq!(u[1].taint_letters, "PW");
}

#[test]
fn a_kernel_without_tracking_says_so() {
    let spec = Spec {
        modules: modules(),
        last_shape: LastShape::Array,
        last_unloaded: ("synth_last".into(), String::new()),
        page_offset_base: false,
        ..Spec::v6_1()
    };
    let k = SynthKernel::build(&spec);
    let r = run(&k);
    assert!(r.warnings.is_empty(), "{:#?}", warnings(&r));
    assert_schema(&r);
    assert_eq!(r.identity.page_offset_base, Some(0xffff_8880_0000_0000));
    let reason = |t: &Tracked<_>| match t {
        Tracked::NotTracked { reason } => reason.clone(),
        _ => panic!("tracked"),
    };
    assert!(
        reason(&r.unloaded_tainted).contains("CONFIG_MODULE_UNLOAD_TAINT_TRACKING is off"),
        "{:?}",
        r.unloaded_tainted
    );
    let Tracked::NotTracked { reason: stats } = &r.stats else {
        panic!()
    };
    assert!(stats.contains("CONFIG_MODULE_STATS is off"), "{stats}");
    let last = r.last_unloaded.as_ref().unwrap();
    assert_eq!(
        (last.name.as_str(), last.taints.as_deref()),
        ("synth_last", None)
    );
    assert_eq!(r.taint.as_ref().unwrap().mask, 0);
    assert_eq!(kernel_text::proc_modules(&r.modules), PROC_MODULES);
}

#[test]
fn empty_lists_are_recorded_as_empty() {
    let k = SynthKernel::build(&Spec::v6_12());
    let r = run(&k);
    assert!(r.warnings.is_empty(), "{:#?}", warnings(&r));
    assert!(r.modules.is_empty());
    assert_eq!(r.unloaded_tainted, Tracked::Kernel(Vec::new()));
    let Tracked::Kernel(s) = &r.stats else {
        panic!()
    };
    assert!(s.dup_failed.is_empty());
    assert_eq!(s.modcount, 0);
    assert_eq!(r.last_unloaded.as_ref().unwrap().name, "");
}

#[test]
fn counters_keep_their_types() {
    // atomic_t is printed with %u, atomic_long_t with %lu.
    let mut spec = upstream();
    spec.counters = vec![
        ("modcount", 0xffff_fffe),
        ("total_mod_size", 0x1_0000_0000_0000),
        ("failed_becoming", 0x8000_0000),
    ];
    let k = SynthKernel::build(&spec);
    let r = run(&k);
    let Tracked::Kernel(s) = &r.stats else {
        panic!()
    };
    assert_eq!(s.modcount, 4_294_967_294);
    assert_eq!(s.total_mod_size, 281_474_976_710_656);
    assert_eq!(s.failed_becoming, 2_147_483_648);
    let text = kernel_text::stats(s);
    assert!(
        text.starts_with("         Mods ever loaded\t4294967294\n"),
        "{text}"
    );
    assert!(
        text.contains("        Total module size\t281474976710656\n"),
        "{text}"
    );
}

// ---- modtrack -------------------------------------------------------------------------------

fn assert_modtrack_stands_in(r: &Report, k: &SynthKernel, via: &str) {
    let mt = r.modtrack.as_ref().expect("modtrack state");
    let b = k.modules.last().unwrap();
    assert_eq!(mt.found_via, via);
    assert_eq!(mt.state_address, b.state_addr.unwrap());
    assert_eq!(mt.module_address, b.addr);
    assert_eq!(mt.release, "6.1.0-56-cloud-amd64");
    assert_eq!((mt.seq, mt.flags), (10, 0x6af));
    assert_eq!(mt.unload_tracking, UnloadTracking::Exact);
    assert_eq!(mt.unloaded_capacity, 256);
    let Tracked::Modtrack(u) = &r.unloaded_tainted else {
        panic!("{:?}", r.unloaded_tainted)
    };
    assert_eq!(
        kernel_text::unloaded_tainted(u),
        "mt_crap (C) 1\nmt_prop (PO) 2\nmt_hello (OE) 3\n"
    );
    let Tracked::Modtrack(s) = &r.stats else {
        panic!("{:?}", r.stats)
    };
    assert_eq!(
        (s.modcount, s.total_mod_size, s.invalid_mod_bytes),
        (14, 454656, 8192)
    );
    assert_eq!(
        s.unavailable,
        ["failed_decompress", "invalid_decompress_bytes"]
    );
    assert_eq!(s.dup_failed.len(), 1);
    assert_eq!(
        (s.dup_failed[0].name.as_str(), s.dup_failed[0].reason()),
        ("mt_slow", "Load")
    );
}

#[test]
fn modtrack_found_through_kallsyms() {
    let k = SynthKernel::build(&stock());
    let r = run(&k);
    assert!(r.warnings.is_empty(), "{:#?}", warnings(&r));
    assert_schema(&r);
    assert_modtrack_stands_in(&r, &k, "kallsyms");
    let m = module(&r, "modtrack");
    assert_eq!((m.taint_letters.as_str(), m.size), ("OE", 0xf000));
    assert!(kernel_text::proc_modules(&r.modules)
        .ends_with("modtrack 61440 0 - Live 0xffffffffc0700000 (OE)\n"));
}

#[test]
fn modtrack_found_through_exports() {
    // 6.1 (EXPORT_SYMBOL_GPL in gpl_syms) and 6.12 (one table), kallsyms without data symbols.
    for mem_regions in [false, true] {
        let mut spec = stock();
        spec.mem_regions = mem_regions;
        *spec.modules.last_mut().unwrap() = modtrack_module(false, true);
        let k = SynthKernel::build(&spec);
        let r = run(&k);
        assert!(r.warnings.is_empty(), "{mem_regions}: {:#?}", warnings(&r));
        assert_modtrack_stands_in(&r, &k, "exports");
    }
    // A NULL kallsyms pointer: the exports still find it.
    let mut k = SynthKernel::build(&stock());
    let m = k.modules.last().unwrap().addr;
    k.write_u64(m + MODULE_6_1.kallsyms, 0);
    let r = run(&k);
    assert!(r.warnings.is_empty(), "{:#?}", warnings(&r));
    assert_modtrack_stands_in(&r, &k, "exports");
}

#[test]
fn modtrack_beside_the_kernels_own_tracking() {
    let mut spec = upstream();
    spec.modules.push(modtrack_module(true, false));
    let k = SynthKernel::build(&spec);
    let r = run(&k);
    assert!(r.warnings.is_empty(), "{:#?}", warnings(&r));
    // The kernel's lists stay the answer; modtrack's are beside them.
    let Tracked::Kernel(u) = &r.unloaded_tainted else {
        panic!()
    };
    assert_eq!(u[0].name, "synth_old_oot");
    let Tracked::Kernel(s) = &r.stats else {
        panic!()
    };
    assert_eq!(s.modcount, 12);
    let mt = r.modtrack.as_ref().unwrap();
    assert_eq!(mt.unloaded_tainted[0].name, "mt_crap");
    assert_eq!(mt.stats.modcount, 14);
}

#[test]
fn modtrack_not_found_is_a_warning() {
    let mut spec = stock();
    *spec.modules.last_mut().unwrap() = modtrack_module(false, false);
    let k = SynthKernel::build(&spec);
    let r = run(&k);
    let m = k.modules.last().unwrap().addr;
    assert!(r.modtrack.is_none());
    let w = warnings(&r);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(
        w[0],
        format!("modtrack: module modtrack at {m:#x}: symbol modtrack_state found neither in its kallsyms nor in its exports")
    );
    assert!(matches!(r.unloaded_tainted, Tracked::Unreadable { .. }));
    assert_eq!(r.modules.len(), 7);
}

#[test]
fn modtrack_bad_magic_gives_partial_results() {
    let mut k = SynthKernel::build(&stock());
    let st = k.modules.last().unwrap().state_addr.unwrap();
    let m = k.modules.last().unwrap().addr;
    k.write(st, b"MODTRACX");
    let r = run(&k);
    assert!(r.modtrack.is_none());
    let want = format!(
        "modtrack_state at {st:#x} (module modtrack at {m:#x}, via kallsyms): bad magic \"MODTRACX\" (want \"MODTRACK\")"
    );
    assert_eq!(warnings(&r), [format!("modtrack: {want}")]);
    assert_eq!(
        r.unloaded_tainted,
        Tracked::Unreadable {
            error: want.clone()
        }
    );
    assert!(matches!(&r.stats, Tracked::Unreadable { error } if *error == want));
    // Everything else is still there.
    assert_eq!(r.modules.len(), 7);
    assert_eq!(r.taint.as_ref().unwrap().mask, TAINTED);
    assert_schema(&r);
}

#[test]
fn modtrack_symbol_size_must_match() {
    let mut spec = stock();
    let mut m = modtrack_module(true, true);
    m.modtrack.as_mut().unwrap().st_size = Some(4096);
    *spec.modules.last_mut().unwrap() = m;
    let r = run(&SynthKernel::build(&spec));
    assert!(r.modtrack.is_none());
    assert!(
        warnings(&r)[0]
            .ends_with("via kallsyms): state_size 33712 differs from the symbol's size 4096"),
        "{:#?}",
        warnings(&r)
    );
}

#[test]
fn modtrack_excluded_pages() {
    // An all-zero page of the pools, left out by the dump filter, reads as zeros.
    let mut k = SynthKernel::build(&stock());
    let st = k.modules.last().unwrap().state_addr.unwrap();
    k.exclude(st + 6 * 4096);
    let r = run(&k);
    assert!(r.warnings.is_empty(), "{:#?}", warnings(&r));
    assert_modtrack_stands_in(&r, &k, "kallsyms");
    // The header page is needed: a warning naming the address.
    let mut k = SynthKernel::build(&stock());
    k.exclude(st);
    let r = run(&k);
    assert!(r.modtrack.is_none());
    let w = &warnings(&r)[0];
    assert!(
        w.contains(&format!("modtrack_state at {st:#x}")) && w.contains("excluded"),
        "{w}"
    );
}

// ---- Damage ---------------------------------------------------------------------------------

/// Everything but the modules is still in the report.
fn assert_rest_intact(r: &Report) {
    let Tracked::Kernel(u) = &r.unloaded_tainted else {
        panic!("{:?}", r.unloaded_tainted)
    };
    assert_eq!(u.len(), 3);
    let Tracked::Kernel(s) = &r.stats else {
        panic!()
    };
    assert_eq!(kernel_text::stats(s), STATS);
    assert_eq!(r.taint.as_ref().unwrap().mask, TAINTED);
}

fn assert_rest_of_modules_intact(r: &Report) {
    assert_eq!(kernel_text::proc_modules(&r.modules), PROC_MODULES);
}

fn module_warning(r: &Report) -> String {
    let w = warnings(r);
    assert_eq!(w.len(), 1, "{w:#?}");
    w[0].clone()
}

#[test]
fn a_bad_prev_pointer_stops_the_module_walk() {
    let mut k = SynthKernel::build(&upstream());
    let n2 = k.module_node(2);
    k.write_u64(n2 + 8, 0xffff_ffff_c0de_0000);
    let r = run(&k);
    assert_eq!(names(&r), ["synth_going", "synth_user_b"]);
    assert_eq!(
        module_warning(&r),
        format!(
            "modules: the module list walk stopped after 2 modules: modules list at {n2:#x}: prev pointer is 0xffffffffc0de0000, expected {:#x} (the node before it)",
            k.module_node(1)
        )
    );
    assert_rest_intact(&r);
}

#[test]
fn a_cycle_that_misses_the_head_is_caught() {
    // going -> user_b -> going: consistent prev pointers on the way, never back to the head.
    let mut k = SynthKernel::build(&upstream());
    let (n0, n1) = (k.module_node(0), k.module_node(1));
    k.write_u64(n1, n0);
    let r = run(&k);
    assert_eq!(names(&r), ["synth_going", "synth_user_b"]);
    assert_eq!(
        module_warning(&r),
        format!(
            "modules: the module list walk stopped after 2 modules: modules list at {n0:#x}: cycle: the list returns to {n0:#x} without reaching its head {:#x}",
            rt(MODULES)
        )
    );
    assert_rest_intact(&r);
}

#[test]
fn a_null_next_pointer_stops_the_module_walk() {
    let mut k = SynthKernel::build(&upstream());
    let n2 = k.module_node(2);
    k.write_u64(n2, 0);
    let r = run(&k);
    assert_eq!(names(&r), ["synth_going", "synth_user_b", "synth_user_a"]);
    assert_eq!(
        module_warning(&r),
        format!("modules: the module list walk stopped after 3 modules: modules list at {n2:#x}: NULL next pointer")
    );
    assert_rest_intact(&r);
}

#[test]
fn an_over_long_module_list_is_cut() {
    let mut k = SynthKernel::build(&upstream());
    k.append_bulk_modules(65_536 - 6 + 1);
    let r = run_mem(&k);
    assert_eq!(r.modules.len(), 65_536);
    assert_eq!(r.modules[65_535].name, "bulk65529");
    let w = module_warning(&r);
    assert!(
        w.starts_with(
            "modules: the module list walk stopped after 65536 modules: modules list at "
        ) && w.ends_with(": more than 65536 entries; stopped (corrupt list?)"),
        "{w}"
    );
    assert_rest_intact(&r);
}

#[test]
fn an_over_long_users_list_is_cut() {
    // 4097 users of synth_prop, each a module_use naming synth_user_a.
    let mut k = SynthKernel::build(&upstream());
    let (prop, user) = (k.modules[3].addr, k.modules[2].addr);
    let head = prop + MODULE_6_12.source_list;
    let mut uses = Vec::new();
    for _ in 0..4097 {
        let u = k.kmalloc(48);
        k.write(u, &[0; 48]);
        k.write_u64(u + 32, user);
        k.write_u64(u + 40, prop);
        uses.push(u);
    }
    k.link_list(head, &uses);
    let r = run(&k);
    let m = module(&r, "synth_prop");
    assert_eq!(m.used_by.len(), 4096);
    assert!(m.used_by.iter().all(|u| u == "synth_user_a"));
    assert_eq!(
        module_warning(&r),
        format!(
            "module synth_prop: module source_list at {:#x}: more than 4096 entries; stopped (corrupt list?)",
            uses[4096]
        )
    );
    assert_eq!(r.warnings[0].address, Some(uses[4096]));
    assert_eq!(names(&r).len(), 6);
}

#[test]
fn an_excluded_page_under_one_module() {
    // The page holding the second half of synth_user_a's struct module: that module is skipped.
    let mut k = SynthKernel::build(&upstream());
    let tail = k.struct_page_tail(2);
    let pa = k.pa_of(tail).unwrap();
    k.exclude(tail);
    let r = run(&k);
    assert_eq!(
        names(&r),
        [
            "synth_going",
            "synth_user_b",
            "synth_prop",
            "synth_perm",
            "synth_unformed"
        ]
    );
    let a = k.modules[2].addr;
    assert_eq!(
        module_warning(&r),
        format!(
            "modules: module at {a:#x} skipped: reading struct module at {tail:#x} (physical {pa:#x}): physical address {pa:#x} was excluded from the dump by its filter (dump level); re-take the dump with a lower -d, or pass --zero-excluded"
        )
    );
    assert_eq!(r.warnings[0].address, Some(a));
    // Its name is on the first page, so synth_prop's list of users is whole.
    assert_eq!(
        module(&r, "synth_prop").used_by,
        ["synth_user_b", "synth_user_a"]
    );
    assert_rest_intact(&r);

    // The page holding its list_head: the walk itself stops there.
    let mut k = SynthKernel::build(&upstream());
    let n2 = k.module_node(2);
    let pa = k.pa_of(n2 + 8).unwrap();
    k.exclude(n2);
    let r = run(&k);
    assert_eq!(names(&r), ["synth_going", "synth_user_b"]);
    let w = module_warning(&r);
    assert!(
        w.starts_with(&format!(
            "modules: the module list walk stopped after 2 modules: reading modules list: list_head.prev at {:#x} (physical {pa:#x}): physical address {pa:#x} was excluded",
            n2 + 8
        )),
        "{w}"
    );
    assert_rest_intact(&r);
}

#[test]
fn excluded_tracking_entries() {
    // The first entry's page: nothing of the list can be read.
    let mut k = SynthKernel::build(&upstream());
    let e0 = k.unloaded[0];
    k.exclude(e0);
    let r = run(&k);
    let Tracked::Unreadable { error } = &r.unloaded_tainted else {
        panic!("{:?}", r.unloaded_tainted)
    };
    assert!(
        error.starts_with(&format!(
            "reading unloaded_tainted_modules: list_head.prev at {:#x}",
            e0 + 8
        )) && error.contains("excluded"),
        "{error}"
    );
    assert_eq!(warnings(&r), [format!("unloaded tainted modules: {error}")]);
    assert_rest_of_modules_intact(&r);
    // The second entry's page: the first entry and a warning naming the address.
    let mut k = SynthKernel::build(&upstream());
    let e1 = k.unloaded[1];
    let pa = k.pa_of(e1 + 8).unwrap();
    k.exclude(e1);
    let r = run(&k);
    let Tracked::Kernel(u) = &r.unloaded_tainted else {
        panic!("{:?}", r.unloaded_tainted)
    };
    assert_eq!(kernel_text::unloaded_tainted(u), "synth_old_oot (OE) 3\n");
    assert_eq!(
        warnings(&r),
        [format!(
            "unloaded tainted modules: list walk stopped after 1 entries: reading unloaded_tainted_modules: list_head.prev at {:#x} (physical {pa:#x}): physical address {pa:#x} was excluded from the dump by its filter (dump level); re-take the dump with a lower -d, or pass --zero-excluded",
            e1 + 8
        )]
    );
    assert_eq!(r.warnings[0].address, Some(e1 + 8));
    assert_rest_of_modules_intact(&r);
    // A damaged duplicate list keeps the counters.
    let mut k = SynthKernel::build(&upstream());
    let d1 = k.dup_failed[1];
    k.write_u64(d1 + 8, 0x1234);
    let r = run(&k);
    let Tracked::Kernel(s) = &r.stats else {
        panic!()
    };
    assert_eq!(s.modcount, 12);
    assert_eq!(s.dup_failed.len(), 1);
    assert_eq!(
        warnings(&r),
        [format!(
            "duplicate failed modules: list walk stopped after 1 entries: dup_failed_modules at {d1:#x}: prev pointer is 0x1234, expected {:#x} (the node before it)",
            k.dup_failed[0]
        )]
    );
    assert_eq!(r.warnings[0].address, Some(d1));
}

#[test]
fn random_damage_never_panics() {
    // Overwrite words of the module structs, the list heads and entries, the taint table,
    // counters and modtrack's header and kallsyms with odd values; every report finishes.
    let spec = || {
        let mut s = upstream();
        s.modules.push(modtrack_module(true, true));
        s
    };
    let base = SynthKernel::build(&spec());
    let mut targets: Vec<u64> = Vec::new();
    for m in &base.modules {
        targets.extend((0..MODULE_6_12.size).step_by(8).map(|o| m.addr + o));
    }
    for e in base.unloaded.iter().chain(&base.dup_failed) {
        targets.extend((0..88).step_by(8).map(|o| e + o));
    }
    for v in [
        MODULES,
        UNLOADED_TAINTED_MODULES,
        DUP_FAILED_MODULES,
        TAINTED_MASK,
    ] {
        targets.extend([rt(v), rt(v) + 8]);
    }
    targets.extend((0..20 * 16).step_by(8).map(|o| rt(TAINT_FLAGS) + o));
    let st = base.modules.last().unwrap().state_addr.unwrap();
    targets.extend((0..304).step_by(8).map(|o| st + o));
    let kallsyms = base.modules.last().unwrap().kallsyms.unwrap();
    targets.extend((0..32).step_by(8).map(|o| kallsyms + o));
    let symtab = base.read_u64(kallsyms);
    targets.extend((0..5 * 24).step_by(8).map(|o| symtab + o));
    let values = [
        0,
        1,
        0xffff_ffff,
        u64::MAX,
        0x8000_0000_0000_0000,
        0xffff_ffff_c000_0000,
        0x0000_7fff_ffff_f000,
        rt(MODULES),
        base.module_node(1),
        base.module_node(4),
        base.modules[1].addr,
        base.unloaded[0],
        st,
    ];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    // SYNTH_DAMAGE_ITERS raises the count for a longer local run.
    let iters: usize = std::env::var("SYNTH_DAMAGE_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    for _ in 0..iters {
        let mut k = SynthKernel::build(&spec());
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = targets[(x % targets.len() as u64) as usize];
            let v = values[((x >> 32) % values.len() as u64) as usize];
            k.write_u64(at, v);
        }
        let r = run_mem(&k);
        assert!(r.modules.len() <= 7);
    }
}

#[test]
fn a_name_that_fills_its_array() {
    // char name[56] without a NUL: all 56 bytes, in the list and in a user's entry.
    let long = "m".repeat(56);
    let mut spec = upstream();
    spec.modules[2].name = long.clone();
    let r = run(&SynthKernel::build(&spec));
    assert!(r.warnings.is_empty(), "{:#?}", warnings(&r));
    assert_eq!(r.modules[2].name, long);
    assert_eq!(
        module(&r, "synth_prop").used_by,
        ["synth_user_b", long.as_str()]
    );
}

// ---- The vmlinux check ----------------------------------------------------------------------

#[test]
fn a_different_kernels_banner_is_refused() {
    let mut k = SynthKernel::build(&upstream());
    let banner = upstream().banner().replace("#1 SMP", "#2 SMP");
    k.write_str(rt(LINUX_BANNER), &banner);
    let dump = k.kdump(Compression::None);
    let vm = k.vmlinux();
    let e = Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, false)
        .err()
        .expect("refused");
    assert!(
        matches!(
            e,
            KernelError::Mismatch {
                what: "linux_banner",
                ..
            }
        ),
        "{e}"
    );
    let kernel = Kernel::with_vmlinux(&dump, dump.vmcoreinfo(), &vm, true).unwrap();
    let r = report(&kernel);
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0].message.starts_with("linux_banner differs"),
        "{:?}",
        r.warnings
    );
    assert_eq!(r.modules.len(), 6);
}

// ---- The kernel log and the triage ------------------------------------------------------------

/// A bad-page report in the kernel's own format (6.12's mm/page_alloc.c bad_page() and
/// mm/debug.c dump_page()) naming a module that is still loading.
const BAD_PAGE_REPORT: [&str; 14] = [
    "BUG: Bad page state in process insmod  pfn:00ae2",
    "page: refcount:0 mapcount:0 mapping:(____ptrval____) index:0x0 pfn:0xae2",
    "invalid mapping:dead000000000400",
    "flags: 0x0(zone=0)",
    "page dumped because: non-NULL mapping",
    "Modules linked in: synth_user_b(C+) synth_user_a synth_prop(PWOE)",
    "Unloaded tainted modules: synth_old_oot(OE):3 [last unloaded: synth_last(OE)]",
    "CPU: 0 UID: 0 PID: 69 Comm: insmod Tainted: P        WC OE      6.12.0-synth #1",
    "Call Trace:",
    " <TASK>",
    " ? bad_page+0xcc/0xeb",
    " ? user_b_init+0xd3/0x1000 [synth_user_b]",
    " ? do_one_initcall+0x73/0x13c",
    " </TASK>",
];

#[test]
fn the_log_and_its_bad_page_report_name_the_suspect() {
    use modcrash::analysis::events::EventKind;
    use modcrash::analysis::triage::EvidenceKind;
    let mut spec = upstream();
    spec.log
        .extend(BAD_PAGE_REPORT.iter().map(|l| l.to_string()));
    let k = SynthKernel::build(&spec);
    let r = run(&k);
    assert_schema(&r);
    // Every record, from the banner on.
    assert_eq!(r.log.error, None);
    assert_eq!(r.log.records, 2 + BAD_PAGE_REPORT.len() as u64);
    assert_eq!((r.log.first_seq, r.log.lost), (Some(0), 0));
    let log = r.kernel_log.as_ref().expect("log");
    assert_eq!(log.records[2].text, BAD_PAGE_REPORT[0].as_bytes());
    // One event, spanning the report's records.
    assert_eq!(r.events.len(), 1, "{:#?}", r.events);
    let e = &r.events[0];
    assert_eq!(e.kind, EventKind::BadPage);
    assert_eq!(e.pfn, Some(0xae2));
    assert_eq!(e.reason.as_deref(), Some("non-NULL mapping"));
    assert_eq!(e.seqs.first(), Some(&2));
    // The module being loaded, in the call trace and still MODULE_STATE_COMING in the dump, first.
    let s = &r.triage.suspects[0];
    assert_eq!(s.module, "synth_user_b");
    let kinds: Vec<EvidenceKind> = s.evidence.iter().map(|e| e.kind).collect();
    for want in [
        EvidenceKind::InCallTrace,
        EvidenceKind::LoadingAtEvent,
        EvidenceKind::ComingInDump,
    ] {
        assert!(kinds.contains(&want), "{want:?} not in {kinds:?}");
    }
    // The unloaded modules of the report and the dump are suspects too.
    let names: Vec<&str> = r
        .triage
        .suspects
        .iter()
        .map(|s| s.module.as_str())
        .collect();
    assert!(names.contains(&"synth_old_oot"), "{names:?}");
    assert!(names.contains(&"synth_last"), "{names:?}");
    // The synthetic kernel has no vmemmap: the page is reported unreadable, not guessed.
    assert_eq!(r.triage.pages.len(), 1);
    assert!(r.triage.pages[0].page.is_none());
    assert!(r.triage.pages[0].error.is_some());
}
