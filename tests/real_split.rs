//! Split dumps on the command line: each scenario's `makedumpfile -c -d 31` dump split again
//! with `makedumpfile --split` into three parts, given to the CLI in a shuffled order (the
//! vmlinux among them, or none): the JSON report equals the unsplit dump's, and
//! `--kernel-text proc-modules` is the guest's /proc/modules. Run optimised:
//! `cargo test --release --test real_split`.

mod common;

use common::{assert_text_eq, fixtures, modcrash, record_cases};
use std::ffi::OsStr;
use std::process::Command;

fn makedumpfile_present() -> bool {
    Command::new("makedumpfile").arg("-v").output().is_ok()
}

#[test]
fn split_parts_on_the_command_line_equal_the_whole_dump() {
    let fx = fixtures();
    if !fx.is_empty() && !makedumpfile_present() {
        // The test bed needs makedumpfile to exist at all, so this is a broken machine.
        panic!("makedumpfile is not installed (apt-get install makedumpfile)");
    }
    let mut cases = 0;
    for f in fx {
        let Some(d) = f.manifest.dumps.iter().find(|d| d.variant == "md-c-d31") else {
            continue;
        };
        let what = f.name().to_string();
        let whole = f.dump(d);
        let dir = tempfile::tempdir().unwrap();
        let parts: Vec<_> = (1..=3)
            .map(|i| dir.path().join(format!("part{i}")))
            .collect();
        let out = Command::new("makedumpfile")
            .args(["--split", "-c", "-d", "31"])
            .arg(&whole)
            .args(&parts)
            .output()
            .expect("makedumpfile");
        assert!(
            out.status.success(),
            "{what}: makedumpfile --split: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let vmlinux = f.vmlinux();
        let (code, want, err) =
            modcrash(&[whole.as_os_str(), vmlinux.as_os_str(), OsStr::new("--json")]);
        assert_eq!(code, 0, "{what}: whole dump: {err}");
        let (code, got, err) = modcrash(&[
            parts[2].as_os_str(),
            vmlinux.as_os_str(),
            parts[0].as_os_str(),
            parts[1].as_os_str(),
            OsStr::new("--json"),
        ]);
        assert_eq!(code, 0, "{what}: split dump: {err}");
        assert!(
            got == want,
            "{what}: the split dump's JSON differs from the whole dump's"
        );
        // No vmlinux: the parts alone (kallsyms and BTF read across them).
        let (code, text, err) = modcrash(&[
            parts[1].as_os_str(),
            parts[0].as_os_str(),
            parts[2].as_os_str(),
            OsStr::new("--kernel-text"),
            OsStr::new("proc-modules"),
        ]);
        assert_eq!(code, 0, "{what}: split dump without a vmlinux: {err}");
        assert_text_eq(
            &String::from_utf8_lossy(&text),
            &f.expected("proc_modules").unwrap(),
            &format!("{what}: split dump, /proc/modules"),
        );
        cases += 1;
    }
    record_cases("real_split", cases);
}
