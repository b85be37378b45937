//! The symbols layer against real vmlinux files, checked against `gdb ptype /o` facts recorded in
//! ../shared/reference/kernel-facts.md.
//!
//! Files are looked up in `$MODCRASH_FIXTURES` (default `~/.cache/modcrash`). When a file is
//! absent the test prints a skip line, unless `MODCRASH_REQUIRE_FIXTURES=1`, which turns absence
//! into a failure.

use std::path::{Path, PathBuf};

use modcrash::symbols::{Hint, Scalar, SymBinding, SymError, Type, Vmlinux};

fn fixtures_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MODCRASH_FIXTURES") {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    Path::new(&home).join(".cache/modcrash")
}

fn require() -> bool {
    std::env::var("MODCRASH_REQUIRE_FIXTURES").is_ok_and(|v| v == "1")
}

fn missing(what: &str, looked: &Path) -> Option<Vmlinux> {
    if require() {
        panic!(
            "MODCRASH_REQUIRE_FIXTURES=1 but {what} is absent (looked for {})",
            looked.display()
        );
    }
    eprintln!(
        "SKIP: {what} not found at {} (set MODCRASH_REQUIRE_FIXTURES=1 to fail instead)",
        looked.display()
    );
    None
}

fn open_named(file: &str) -> Option<Vmlinux> {
    let p = fixtures_dir().join(file);
    if !p.exists() {
        return missing(file, &p);
    }
    Some(Vmlinux::open(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

fn vm61() -> Option<Vmlinux> {
    open_named("vmlinux-6.1.0-56-cloud-amd64")
}

fn vm612() -> Option<Vmlinux> {
    open_named("vmlinux-6.12.117+deb12-cloud-amd64")
}

/// The newest `upstream-*/vmlinux`.
fn vm_upstream() -> Option<Vmlinux> {
    let dir = fixtures_dir();
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("upstream-"))
        .map(|e| e.path().join("vmlinux"))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    found.sort();
    match found.pop() {
        Some((_, p)) => Some(Vmlinux::open(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))),
        None => missing(
            "upstream test kernel vmlinux",
            &dir.join("upstream-*/vmlinux"),
        ),
    }
}

fn off(t: &Type, path: &str) -> u64 {
    t.member_offset(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn debian_61_identity() {
    let Some(vm) = vm61() else { return };
    assert_eq!(vm.release().unwrap(), "6.1.0-56-cloud-amd64");
    assert_eq!(
        vm.build_id().as_deref(),
        Some("3b43fad5034874490492495d552c0af6a5fab235")
    );
    assert_eq!(vm.stext().unwrap().0, 0xffff_ffff_8100_0000);
    assert_eq!(vm.unit_count().unwrap(), 2172);
    assert_eq!(
        vm.debug_check_unit_table(),
        Ok(2172),
        "fast unit table agrees with gimli"
    );
}

#[test]
fn debian_61_struct_module() {
    let Some(vm) = vm61() else { return };
    let m = vm
        .find_struct("module", Hint::File("kernel/module/main.c"))
        .unwrap();
    assert_eq!(m.size(), Some(896));
    assert_eq!(off(&m, "state"), 0);
    assert_eq!(off(&m, "list"), 8);
    assert_eq!(off(&m, "name"), 24);
    assert_eq!(m.member("name").unwrap().ty.array_len(), Some(56));
    assert_eq!(off(&m, "version"), 184);
    assert_eq!(off(&m, "srcversion"), 192);
    assert_eq!(off(&m, "sig_ok"), 297);
    assert_eq!(off(&m, "core_layout"), 320);
    assert_eq!(off(&m, "init_layout"), 400);
    assert_eq!(off(&m, "core_layout.size"), 328);
    assert_eq!(off(&m, "taints"), 504);
    assert_eq!(off(&m, "kallsyms"), 544);
    assert_eq!(off(&m, "refcnt"), 856);
    let refcnt = m.member("refcnt").unwrap();
    assert_eq!(refcnt.type_summary(), "atomic_t");
    assert_eq!(
        refcnt.ty.scalar(),
        Some(Scalar {
            size: 4,
            signed: true
        })
    );
    assert!(!m.has_member("mem"), "6.1 has core_layout, not mem[]");
    // Same answer when the unit is found through a function symbol (.debug_aranges).
    let m2 = vm
        .find_struct("module", Hint::Symbol("load_module"))
        .unwrap();
    assert_eq!(m2.size(), Some(896));
}

#[test]
fn debian_61_taint_flags_and_globals() {
    let Some(vm) = vm61() else { return };
    let tf = vm
        .find_struct("taint_flag", Hint::File("kernel/panic.c"))
        .unwrap();
    assert_eq!(tf.size(), Some(3));
    let names: Vec<_> = tf
        .composite()
        .unwrap()
        .members
        .iter()
        .map(|m| m.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["c_true", "c_false", "module"]);
    let v = vm.variable("taint_flags", Some("kernel/panic.c")).unwrap();
    assert_eq!(v.ty.array_len(), Some(19));
    assert_eq!(v.ty.size(), Some(57));
    assert_eq!(
        v.addr.0, 0xffff_ffff_8200_f0a0,
        "link-time address (the kaslr dump has it at +0x2e000000)"
    );
    let tm = vm.variable("tainted_mask", Some("kernel/panic.c")).unwrap();
    assert_eq!(
        tm.ty.scalar(),
        Some(Scalar {
            size: 8,
            signed: false
        })
    );
    let mods = vm
        .variable("modules", Some("kernel/module/main.c"))
        .unwrap();
    assert_eq!(mods.ty.summary(), "struct list_head");
    assert_eq!(mods.addr.0, 0xffff_ffff_82b2_7160);
    assert_eq!(mods.binding, Some(SymBinding::Global));
    assert_eq!(
        vm.enumerator("MODULE_STATE_UNFORMED", Hint::File("kernel/module/main.c"))
            .unwrap(),
        3
    );
    assert_eq!(
        vm.enumerator("MODULE_STATE_LIVE", Hint::File("kernel/module/main.c"))
            .unwrap(),
        0
    );
    // 6.4+ only: probing with Hint::Only answers quickly and negatively.
    assert!(matches!(
        vm.enumerator("MOD_TEXT", Hint::Only("kernel/module/main.c")),
        Err(SymError::EnumeratorNotFound { .. })
    ));
    // Not configured on Debian: fails fast with SymbolNotFound.
    assert!(matches!(
        vm.variable("unloaded_tainted_modules", Some("kernel/module/tracking.c")),
        Err(SymError::SymbolNotFound { .. })
    ));
}

#[test]
fn debian_61_static_struct_variable() {
    let Some(vm) = vm61() else { return };
    // static struct { char name[MODULE_NAME_LEN + 1]; char taints[MODULE_FLAGS_BUF_SIZE]; }
    let v = vm
        .variable("last_unloaded_module", Some("kernel/module/main.c"))
        .unwrap();
    assert_eq!(v.binding, Some(SymBinding::Local));
    assert_eq!(v.ty.member("name").unwrap().ty.array_len(), Some(57));
    assert_eq!(v.ty.member("taints").unwrap().ty.array_len(), Some(23));
    assert_eq!(v.ty.member_offset("taints").unwrap(), 57);
}

#[test]
fn debian_612_struct_module() {
    let Some(vm) = vm612() else { return };
    assert_eq!(vm.release().unwrap(), "6.12.117+deb12-cloud-amd64");
    assert!(vm.debug_check_unit_table().is_ok());
    let m = vm
        .find_struct("module", Hint::File("kernel/module/main.c"))
        .unwrap();
    assert_eq!(m.size(), Some(1280));
    assert_eq!(off(&m, "state"), 0);
    assert_eq!(off(&m, "name"), 24);
    assert_eq!(off(&m, "taints"), 848);
    assert_eq!(off(&m, "kallsyms"), 888);
    assert_eq!(off(&m, "refcnt"), 1208);
    let mem = m.member("mem").unwrap();
    assert_eq!(mem.offset, 320);
    assert_eq!(mem.ty.array_len(), Some(7));
    assert_eq!(mem.ty.array_elem().unwrap().size(), Some(72));
    assert_eq!(off(&m, "mem[1].size"), 320 + 72 + 8);
    assert!(!m.has_member("core_layout"));
    let mt = vm
        .enumerator("MOD_TEXT", Hint::File("kernel/module/main.c"))
        .unwrap();
    let n = vm
        .enumerator("MOD_MEM_NUM_TYPES", Hint::File("kernel/module/main.c"))
        .unwrap();
    assert_eq!((mt, n), (0, 7));
    let tf = vm
        .find_struct("taint_flag", Hint::File("kernel/panic.c"))
        .unwrap();
    assert!(tf.has_member("desc"));
    assert!(tf.has_member("module"));
    let v = vm.variable("taint_flags", Some("kernel/panic.c")).unwrap();
    assert_eq!(v.ty.array_len(), Some(19));
}

#[test]
fn upstream_tracking_and_stats() {
    let Some(vm) = vm_upstream() else { return };
    let v = vm
        .variable("unloaded_tainted_modules", Some("kernel/module/tracking.c"))
        .unwrap();
    assert_eq!(v.ty.summary(), "struct list_head");
    assert_eq!(v.binding, Some(SymBinding::Local));
    assert!(v
        .unit
        .as_deref()
        .unwrap()
        .ends_with("kernel/module/tracking.c"));
    let t = vm
        .find_struct("mod_unload_taint", Hint::File("kernel/module/tracking.c"))
        .unwrap();
    let names: Vec<_> = t
        .composite()
        .unwrap()
        .members
        .iter()
        .map(|m| m.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["list", "name", "taints", "count"]);
    assert_eq!(t.member("name").unwrap().ty.array_len(), Some(56));
    assert_eq!(
        (
            off(&t, "list"),
            off(&t, "name"),
            off(&t, "taints"),
            off(&t, "count")
        ),
        (0, 16, 72, 80)
    );
    assert_eq!(
        t.member("count").unwrap().ty.scalar(),
        Some(Scalar {
            size: 8,
            signed: false
        })
    );

    let d = vm
        .variable("dup_failed_modules", Some("kernel/module/stats.c"))
        .unwrap();
    assert_eq!(d.ty.summary(), "struct list_head");
    let f = vm
        .find_struct("mod_fail_load", Hint::File("kernel/module/stats.c"))
        .unwrap();
    let names: Vec<_> = f
        .composite()
        .unwrap()
        .members
        .iter()
        .map(|m| m.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["list", "name", "count", "dup_fail_mask"]);
    let count = f.member("count").unwrap();
    assert_eq!(count.type_summary(), "atomic_long_t");
    assert_eq!(count.size, Some(8));
    assert_eq!(count.ty.scalar().map(|s| s.size), Some(8));

    let fb = vm
        .variable("failed_becoming", Some("kernel/module/stats.c"))
        .unwrap();
    assert_eq!(fb.ty.summary(), "atomic_t");
    assert_eq!(
        fb.ty.scalar(),
        Some(Scalar {
            size: 4,
            signed: true
        })
    );
    assert_eq!(fb.binding, Some(SymBinding::Local));
    assert_eq!(
        vm.enumerator("FAIL_DUP_MOD_LOAD", Hint::File("kernel/module/stats.c"))
            .unwrap(),
        1
    );
}
