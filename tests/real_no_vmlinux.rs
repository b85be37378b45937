//! Without a vmlinux: on every scenario and dump variant, the report read through the dump's own
//! kallsyms and BTF equals the report read through the debug vmlinux (all but the fields that
//! name the sources), and its kernel texts are the guest's own files byte for byte. Run
//! optimised: `cargo test --release --test real_no_vmlinux`.

mod common;

use common::{assert_text_eq, fixtures, modcrash, record_cases};
use modcrash::analysis::{self, Tracked};
use modcrash::kernel::open::{DebugInfo, DebugSearch};
use modcrash::kernel::{Target, TargetOptions};
use modcrash::output::{self, kernel_text};

/// A search that finds nothing: the dump must describe itself.
fn nowhere() -> DebugSearch {
    DebugSearch {
        dirs: Vec::new(),
        system: false,
    }
}

fn without_sources(json: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(json).expect("report JSON");
    let id = v["identity"].as_object_mut().expect("identity");
    for k in ["symbols_from", "types_from", "debug_source"] {
        assert!(id.remove(k).is_some(), "identity.{k} missing");
    }
    v
}

#[test]
fn the_report_from_kallsyms_and_btf_equals_the_report_from_the_vmlinux() {
    let mut cases = 0;
    let mut texts = 0;
    for f in fixtures() {
        let vm = std::sync::Arc::new(modcrash::symbols::Vmlinux::open(f.vmlinux()).unwrap());
        let want_modules = f.expected("proc_modules").unwrap();
        let want_tainted = f.expected("tainted").unwrap();
        for d in &f.manifest.dumps {
            let what = format!("{} / {}", f.name(), d.variant);
            let opts = TargetOptions::default();
            let alone = Target::open_auto(f.dump(d), &nowhere(), opts)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(matches!(alone.debug, DebugInfo::Dump(_)), "{what}");
            let k = alone.kernel().unwrap_or_else(|e| panic!("{what}: {e}"));
            let r = analysis::report(&k);
            assert!(r.warnings.is_empty(), "{what}: warnings {:?}", r.warnings);
            assert_eq!(
                (
                    r.identity.symbols_from.as_str(),
                    r.identity.types_from.as_str()
                ),
                ("kallsyms", "btf"),
                "{what}"
            );
            let with = Target::open_dump(f.dump(d), vm.clone(), opts).unwrap();
            let kv = with.kernel().unwrap();
            let rv = analysis::report_with(&kv, with.vmlinux());
            assert_eq!(
                (
                    rv.identity.symbols_from.as_str(),
                    rv.identity.types_from.as_str()
                ),
                ("vmlinux", "dwarf"),
                "{what}"
            );
            let (a, b) = (
                without_sources(&output::json(&r)),
                without_sources(&output::json(&rv)),
            );
            if a != b {
                let (a, b) = (
                    serde_json::to_string_pretty(&a).unwrap(),
                    serde_json::to_string_pretty(&b).unwrap(),
                );
                assert_text_eq(
                    &a,
                    &b,
                    &format!("{what}: JSON without a vmlinux vs with it"),
                );
            }
            // The guest's own files, on this path too.
            assert_text_eq(
                &kernel_text::proc_modules(&r.modules),
                &want_modules,
                &format!("{what}: /proc/modules"),
            );
            assert_text_eq(
                &kernel_text::tainted(r.taint.as_ref().expect("tainted_mask").mask),
                &want_tainted,
                &format!("{what}: tainted"),
            );
            texts += 2;
            if let (Some(want), Tracked::Kernel(s)) = (f.expected("stats"), &r.stats) {
                assert_text_eq(&kernel_text::stats(s), &want, &format!("{what}: stats"));
                texts += 1;
            }
            if let (Some(want), Tracked::Kernel(l)) =
                (f.expected("unloaded_tainted"), &r.unloaded_tainted)
            {
                assert_text_eq(
                    &kernel_text::unloaded_tainted(l),
                    &want,
                    &format!("{what}: unloaded_tainted"),
                );
                texts += 1;
            }
            if f.manifest.tracking {
                assert!(matches!(r.stats, Tracked::Kernel(_)), "{what}");
                assert!(matches!(r.unloaded_tainted, Tracked::Kernel(_)), "{what}");
            }
            if let (Some(ws), Some(wu)) = (
                f.expected("modtrack_stats"),
                f.expected("modtrack_unloaded_tainted"),
            ) {
                let m = r
                    .modtrack
                    .as_ref()
                    .unwrap_or_else(|| panic!("{what}: no modtrack"));
                assert_text_eq(
                    &kernel_text::stats(&m.stats),
                    &ws,
                    &format!("{what}: modtrack/stats"),
                );
                assert_text_eq(
                    &kernel_text::unloaded_tainted(&m.unloaded_tainted),
                    &wu,
                    &format!("{what}: modtrack/unloaded_tainted"),
                );
                texts += 2;
            }
            cases += 1;
        }
    }
    record_cases(
        "the_report_from_kallsyms_and_btf_equals_the_report_from_the_vmlinux",
        cases,
    );
    eprintln!("kernel texts compared with the guest's files: {texts}");
}

/// The CLI with no vmlinux: the table names the dump's tables as the symbol source; a vmlinux
/// in a --debug-dir is used by build-id without being named, another kernel's is skipped with a
/// note.
#[test]
fn the_cli_finds_the_vmlinux_by_build_id_or_reads_the_dump_alone() {
    let fx = fixtures();
    let Some(a) = fx.iter().find(|f| f.name() == "deb61-kaslr") else {
        record_cases(
            "the_cli_finds_the_vmlinux_by_build_id_or_reads_the_dump_alone",
            0,
        );
        return;
    };
    let b = fx
        .iter()
        .find(|f| f.manifest.release != a.manifest.release)
        .expect("a second kernel");
    let dump = a.dump(a.reference_dump().unwrap());
    let empty = tempfile::tempdir().unwrap();
    let dir_arg = |d: &std::path::Path| format!("--debug-dir={}", d.display());
    // Alone.
    let (code, out, err) = modcrash(&[dump.as_os_str(), dir_arg(empty.path()).as_ref()]);
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Symbols   the dump's kallsyms ("), "{out}");
    // A debug directory holding the dump's vmlinux under its build-id and another kernel's
    // under the dump's release name.
    let dir = tempfile::tempdir().unwrap();
    let bid = a
        .manifest
        .build_id
        .clone()
        .expect("build-id")
        .to_ascii_lowercase();
    let tree = dir.path().join(".build-id").join(&bid[..2]);
    std::fs::create_dir_all(&tree).unwrap();
    std::os::unix::fs::symlink(a.vmlinux(), tree.join(format!("{}.debug", &bid[2..]))).unwrap();
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other.path().join("boot")).unwrap();
    std::os::unix::fs::symlink(
        b.vmlinux(),
        other
            .path()
            .join("boot")
            .join(format!("vmlinux-{}", a.manifest.release)),
    )
    .unwrap();
    let (code, out, err) = modcrash(&[
        dump.as_os_str(),
        dir_arg(other.path()).as_ref(),
        dir_arg(dir.path()).as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(j["identity"]["symbols_from"], "vmlinux", "{err}");
    assert!(
        err.contains("skipped")
            && err.contains(&b.manifest.build_id.clone().unwrap().to_ascii_lowercase()),
        "{err}"
    );
    assert!(err.contains("using ") && err.contains(&bid), "{err}");
    // Only the other kernel's: skipped, and the dump alone is read.
    let (code, out, err) = modcrash(&[
        dump.as_os_str(),
        dir_arg(other.path()).as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(j["identity"]["symbols_from"], "kallsyms");
    assert!(err.contains("skipped"), "{err}");
    // The other subcommands take the vmlinux as optional too.
    let (code, out, err) = modcrash(&[
        "vtop".as_ref(),
        dump.as_os_str(),
        "0xffffffff81000000".as_ref(),
        dir_arg(empty.path()).as_ref(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.is_empty());
    record_cases(
        "the_cli_finds_the_vmlinux_by_build_id_or_reads_the_dump_alone",
        1,
    );
}

/// The dump's BTF and kallsyms damaged in place (a real dump, bytes overwritten): each gives an
/// error naming the address, or a report whose warnings name it; never a panic, hang or a
/// header-sized allocation.
#[test]
fn damaged_btf_or_kallsyms_is_an_error_naming_the_address() {
    use modcrash::kernel::dumpsyms::DumpSymbols;
    use modcrash::kernel::Kernel;
    use modcrash::symbols::btf::NamedKind;
    let mut cases = 0;
    for f in fixtures()
        .into_iter()
        .filter(|f| matches!(f.name(), "deb61-kaslr" | "deb612-kaslr" | "upstream-kaslr"))
    {
        let dump = modcrash::dump::Dump::open(f.dump(f.reference_dump().unwrap())).unwrap();
        let vi = dump.vmcoreinfo().unwrap();
        let good = DumpSymbols::read(&dump, vi).unwrap();
        let k = Kernel::new(&dump, Some(vi), &good, &good, false).unwrap();
        let pa = |va: u64| {
            k.arch()
                .translate(k.phys(), modcrash::addr::Va(va))
                .unwrap_or_else(|e| panic!("{}: {va:#x}: {e}", f.name()))
                .0
                 .0
        };
        let u64_at = |va: u64| k.mem().u64(modcrash::addr::Va(va), "test").unwrap();
        let btf_at = good.btf().origin();
        let num = vi.symbol("kallsyms_num_syms").unwrap().unwrap();
        let base = vi.symbol("kallsyms_relative_base").unwrap();
        let list_head = good.btf().named("list_head", NamedKind::Struct)[0];
        let list_head_at = btf_at + good.btf().type_offset(list_head).unwrap() as u64;
        // The first member's type word: 12 bytes of btf_type, then name_off, type.
        let member_type_at = list_head_at + 12 + 4;
        let mut patches: Vec<(&str, u64, u64, String)> = vec![
            (
                "BTF magic",
                btf_at,
                u64_at(btf_at) & !0xffff,
                format!("{btf_at:#x}"),
            ),
            (
                "BTF string section length",
                btf_at + 16,
                (u64_at(btf_at + 16) & 0xffff_ffff) | (0xffff_fff0 << 32),
                "string section".into(),
            ),
            (
                "kallsyms_num_syms",
                num,
                (u64_at(num) & !0xffff_ffff) | 0xffff_ffff,
                format!("{num:#x}"),
            ),
            (
                "struct list_head contains itself",
                member_type_at,
                (u64_at(member_type_at) & !0xffff_ffff) | u64::from(list_head),
                format!("{list_head_at:#x}"),
            ),
        ];
        if let Some(b) = base {
            patches.push((
                "kallsyms_relative_base",
                b,
                u64_at(b) ^ 0x1000_0000,
                "no address scheme".into(),
            ));
        }
        for (what, va, v, want) in patches {
            let mut t = common::Tampered::new(&dump);
            t.patch_u64(pa(va), v);
            let msg = match DumpSymbols::read(&t, vi) {
                Err(e) => {
                    let mut m = e.to_string();
                    let mut s = std::error::Error::source(&e);
                    while let Some(x) = s {
                        if !m.contains(&x.to_string()) {
                            m += &format!(": {x}");
                        }
                        s = x.source();
                    }
                    m
                }
                // Damage the open does not touch surfaces where the type is used.
                Ok(d) => {
                    let k = Kernel::new(&t, Some(vi), &d, &d, false)
                        .unwrap_or_else(|e| panic!("{}: {what}: {e}", f.name()));
                    let r = modcrash::analysis::report(&k);
                    r.warnings
                        .iter()
                        .map(|w| w.message.clone())
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            };
            assert!(msg.contains(&want), "{}: {what}: {msg}", f.name());
            eprintln!("{}: {what}: {}", f.name(), msg.lines().next().unwrap_or(""));
            cases += 1;
        }
    }
    record_cases(
        "damaged_btf_or_kallsyms_is_an_error_naming_the_address",
        cases,
    );
}
