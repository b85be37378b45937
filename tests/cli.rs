//! The real binary: exit codes, --help, JSON against the documented schema, `info` on every dump
//! variant, and the Debian kernels' "not tracked" explanation.

mod common;

use common::{fixtures, modcrash_text as modcrash, record_cases};

#[test]
fn help_snapshot() {
    let (code, out, _) = modcrash(&["--help".as_ref()]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("help", out);
}

#[test]
fn usage_errors_exit_2() {
    // No dump at all (a dump alone is a valid call: the vmlinux is found or not needed).
    let (code, _, err) = modcrash(&[]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = modcrash(&["vtop".as_ref()]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = modcrash(&["--no-such-flag".as_ref()]);
    assert_eq!(code, 2);
}

#[test]
fn unreadable_inputs_exit_3_with_the_path() {
    let (code, _, err) = modcrash(&[
        "/nonexistent/vmcore".as_ref(),
        "/nonexistent/vmlinux".as_ref(),
    ]);
    assert_eq!(code, 3);
    assert!(err.contains("/nonexistent/vmcore"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("vmcore.gz");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]).unwrap();
    let (code, _, err) = modcrash(&["info".as_ref(), gz.as_os_str()]);
    assert_eq!(code, 3);
    assert!(err.to_lowercase().contains("gzip"), "{err}");
}

#[test]
fn json_report_validates_against_the_schema_on_every_scenario() {
    let v = common::report_schema();
    let mut cases = 0;
    for f in fixtures() {
        for d in f.manifest.dumps.iter().filter(|d| {
            matches!(
                d.variant.as_str(),
                "qemu-elf" | "md-c-d31" | "qemu-kdump-zlib-flat"
            )
        }) {
            let (code, out, err) = modcrash(&[
                f.dump(d).as_os_str(),
                f.vmlinux().as_os_str(),
                "--json".as_ref(),
            ]);
            assert_eq!(code, 0, "{} {}: {err}", f.name(), d.variant);
            let j: serde_json::Value = serde_json::from_str(&out).expect("JSON");
            let errors = common::schema_errors(&v, &j);
            assert!(errors.is_empty(), "{} {}: {errors:#?}", f.name(), d.variant);
            assert_eq!(j["identity"]["release"], f.manifest.release.as_str());
            let want_source = if f.manifest.tracking {
                "kernel"
            } else if f.has_modtrack() {
                "modtrack"
            } else {
                "not_tracked"
            };
            assert_eq!(
                j["modtrack"].is_object(),
                f.has_modtrack(),
                "{} {}",
                f.name(),
                d.variant
            );
            assert_eq!(j["unloaded_tainted"]["source"], want_source, "{}", f.name());
            assert_eq!(j["stats"]["source"], want_source, "{}", f.name());
            cases += 1;
        }
    }
    record_cases(
        "json_report_validates_against_the_schema_on_every_scenario",
        cases,
    );
}

#[test]
fn stock_kernels_explain_what_is_missing_with_exit_0() {
    let mut cases = 0;
    for f in fixtures()
        .into_iter()
        .filter(|f| !f.manifest.tracking && !f.has_modtrack())
    {
        let d = f.reference_dump().unwrap();
        let (code, out, err) = modcrash(&[f.dump(d).as_os_str(), f.vmlinux().as_os_str()]);
        assert_eq!(code, 0, "{}: {err}", f.name());
        assert!(
            out.contains("CONFIG_MODULE_UNLOAD_TAINT_TRACKING is off"),
            "{out}"
        );
        assert!(out.contains("CONFIG_MODULE_STATS is off"), "{out}");
        assert!(out.contains("tracker/"), "{out}");
        // Asking for a file the kernel does not keep is an error that says why.
        let (code, _, err) = modcrash(&[
            f.dump(d).as_os_str(),
            f.vmlinux().as_os_str(),
            "--kernel-text".as_ref(),
            "stats".as_ref(),
        ]);
        assert_eq!(code, 3);
        assert!(err.contains("CONFIG_MODULE_STATS"), "{err}");
        cases += 1;
    }
    record_cases("stock_kernels_explain_what_is_missing_with_exit_0", cases);
}

#[test]
fn mismatched_vmlinux_exits_3() {
    let fx = fixtures();
    let mut cases = 0;
    if let (Some(a), Some(b)) = (
        fx.first(),
        fx.iter()
            .find(|b| b.manifest.build_id != fx[0].manifest.build_id),
    ) {
        let d = a.reference_dump().unwrap();
        let (code, _, err) = modcrash(&[a.dump(d).as_os_str(), b.vmlinux().as_os_str()]);
        assert_eq!(code, 3, "{err}");
        assert!(err.contains("does not match"), "{err}");
        let (code, _, err) = modcrash(&[
            a.dump(d).as_os_str(),
            b.vmlinux().as_os_str(),
            "--force".as_ref(),
        ]);
        assert_ne!(code, 3, "--force must read anyway: {err}");
        cases += 1;
    }
    record_cases("mismatched_vmlinux_exits_3", cases);
}

#[test]
fn info_describes_every_variant() {
    let mut cases = 0;
    for f in fixtures() {
        for d in &f.manifest.dumps {
            let (code, out, err) =
                modcrash(&["info".as_ref(), f.dump(d).as_os_str(), "--json".as_ref()]);
            assert!(code == 0 || code == 1, "{} {}: {err}", f.name(), d.variant);
            let j: serde_json::Value = serde_json::from_str(&out).expect("JSON");
            assert_eq!(
                j["release"],
                f.manifest.release.as_str(),
                "{} {}",
                f.name(),
                d.variant
            );
            let off = j["kerneloffset"]
                .as_str()
                .map(|s| format!("0x{}", s.trim_start_matches("0x")));
            assert_eq!(
                off.as_deref(),
                Some(f.manifest.kerneloffset.as_str()),
                "{} {}",
                f.name(),
                d.variant
            );
            let (code, text, _) = modcrash(&["info".as_ref(), f.dump(d).as_os_str()]);
            assert!(code == 0 || code == 1);
            assert!(text.contains(&f.manifest.release), "{text}");
            cases += 1;
        }
    }
    record_cases("info_describes_every_variant", cases);
}

/// `vtop` shows the page walk for a module address, with as many levels as the dump's paging.
#[test]
fn vtop_walks_module_addresses() {
    let mut cases = 0;
    for f in fixtures() {
        let d = f.reference_dump().unwrap();
        let modules = f.expected("proc_modules").unwrap();
        let base = modules
            .lines()
            .next()
            .unwrap()
            .split(' ')
            .nth(5)
            .unwrap()
            .to_string();
        let (code, out, err) = modcrash(&[
            "vtop".as_ref(),
            f.dump(d).as_os_str(),
            f.vmlinux().as_os_str(),
            base.as_ref(),
        ]);
        assert_eq!(code, 0, "{}: {err}", f.name());
        assert!(out.contains("via page tables"), "{}: {out}", f.name());
        let levels = out
            .lines()
            .filter(|l| {
                l.trim_start().starts_with(|c: char| c.is_ascii_lowercase()) && l.contains("] at ")
            })
            .count();
        assert_eq!(
            levels,
            if f.manifest.pgtable_l5_enabled == 1 {
                5
            } else {
                4
            },
            "{}: {out}",
            f.name()
        );
        cases += 1;
    }
    record_cases("vtop_walks_module_addresses", cases);
}

#[test]
fn completions_complete_subcommands_in_a_real_bash() {
    let (code, script, err) = modcrash(&["completions".as_ref(), "bash".as_ref()]);
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("modcrash.bash");
    std::fs::write(&path, &script).unwrap();
    // What bash's programmable completion does on `modcrash in<TAB>` and `modcrash --js<TAB>`.
    let ask = |words: &str| -> String {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
                 COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; _modcrash modcrash; \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                path.display()
            ))
            .output()
            .expect("bash");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let sub = ask("modcrash in");
    assert!(sub.lines().any(|l| l == "info"), "{sub}");
    let flag = ask("modcrash --js");
    assert!(flag.lines().any(|l| l == "--json"), "{flag}");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = modcrash(&["completions".as_ref(), shell.as_ref()]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains("manpage") && out.contains("vtop"), "{shell}");
    }
}

#[test]
fn manpage_names_every_subcommand_and_option() {
    let (code, man, err) = modcrash(&["manpage".as_ref()]);
    assert_eq!(code, 0, "{err}");
    assert!(man.contains(".TH modcrash 1"), "{man}");
    for word in [
        "info",
        "log",
        "vtop",
        "page",
        "completions",
        "\\-\\-debug\\-dir",
        "\\-\\-kernel\\-text",
    ] {
        assert!(man.contains(word), "{word} missing from the manual page");
    }
}

#[test]
fn schema_flag_prints_the_documented_schema() {
    let (code, out, err) = modcrash(&["--schema".as_ref()]);
    assert_eq!(code, 0, "{err}");
    let file = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/report.schema.json"
    ))
    .unwrap();
    assert_eq!(out, file);
    let v: serde_json::Value = serde_json::from_str(&out).expect("the schema is JSON");
    assert!(v.get("properties").is_some());
}
