//! Shared test-bed access for integration tests: enumerate every scenario x dump variant from the
//! generator's manifests (never a hand-picked file), read the guest's expected files, and compare
//! text against them.
#![allow(dead_code)]

use modcrash::addr::Pa;
use modcrash::memory::{FaultKind, MemFault, PhysMem};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The real binary on `args`: exit code, stdout as bytes, stderr as text.
pub fn modcrash(args: &[&std::ffi::OsStr]) -> (i32, Vec<u8>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modcrash"))
        .args(args)
        .output()
        .expect("run modcrash");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`modcrash`] with stdout as text too.
pub fn modcrash_text(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let (code, out, err) = modcrash(args);
    (code, String::from_utf8_lossy(&out).into_owned(), err)
}

/// A guest dmesg line without its `[    5.123456] ` timestamp.
pub fn dmesg_text(line: &str) -> &str {
    match line.strip_prefix('[').and_then(|l| l.split_once("] ")) {
        Some((_, t)) => t,
        None => line,
    }
}

/// A hex number as the kernel prints it, with or without `0x`.
pub fn hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).ok()
}

#[derive(Debug, Clone, Deserialize)]
pub struct DumpEntry {
    pub file: String,
    pub variant: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub scenario: String,
    pub kernel: String,
    pub release: String,
    pub vmlinux: String,
    pub kerneloffset: String,
    pub pgtable_l5_enabled: u8,
    pub build_id: Option<String>,
    pub tracking: bool,
    pub cmdline: String,
    pub dumps: Vec<DumpEntry>,
    pub expected: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Fixture {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Fixture {
    pub fn name(&self) -> &str {
        &self.manifest.scenario
    }
    pub fn vmlinux(&self) -> PathBuf {
        self.dir.join(&self.manifest.vmlinux)
    }
    pub fn dump(&self, d: &DumpEntry) -> PathBuf {
        self.dir.join(&d.file)
    }
    /// The guest's own file (uname, proc_modules, tainted, stats, unloaded_tainted), if it had one.
    pub fn expected(&self, name: &str) -> Option<String> {
        let rel = self.manifest.expected.get(name)?;
        Some(
            std::fs::read_to_string(self.dir.join(rel))
                .unwrap_or_else(|e| panic!("{}: {e}", self.dir.join(rel).display())),
        )
    }
    /// Whether the guest's kernel command line has `word` (the test bed's switches, `modcrash.*`).
    pub fn boot_word(&self, word: &str) -> bool {
        self.manifest.cmdline.split(' ').any(|w| w == word)
    }
    /// Whether the guest ran tracker/'s modtrack (its debugfs files were captured).
    pub fn has_modtrack(&self) -> bool {
        self.manifest.expected.contains_key("modtrack_stats")
    }
    /// The reference (unfiltered QEMU ELF) dump.
    pub fn reference_dump(&self) -> Option<&DumpEntry> {
        self.manifest.dumps.iter().find(|d| d.variant == "qemu-elf")
    }
}

pub fn fixtures_root() -> PathBuf {
    if let Some(p) = std::env::var_os("MODCRASH_FIXTURES") {
        return PathBuf::from(p);
    }
    let cache = std::env::var_os("MODCRASH_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(&std::env::var_os("HOME").unwrap_or_default()).join(".cache/modcrash")
        });
    cache.join("fixtures")
}

fn required() -> bool {
    std::env::var("MODCRASH_REQUIRE_FIXTURES")
        .map(|v| v == "1")
        .unwrap_or(false)
}

/// Every scenario with a manifest. With MODCRASH_REQUIRE_FIXTURES=1 an empty test bed fails the
/// test; otherwise it prints how to build one and returns nothing.
pub fn fixtures() -> Vec<Fixture> {
    let root = fixtures_root();
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&root) {
        for e in rd.flatten() {
            let m = e.path().join("manifest.json");
            if let Ok(text) = std::fs::read_to_string(&m) {
                let manifest: Manifest =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", m.display()));
                out.push(Fixture {
                    dir: e.path(),
                    manifest,
                });
            }
        }
    }
    out.sort_by(|a, b| a.manifest.scenario.cmp(&b.manifest.scenario));
    if out.is_empty() {
        if required() {
            panic!("MODCRASH_REQUIRE_FIXTURES=1 but no test-bed manifests under {}: run `bash testdata/gen.sh`", root.display());
        }
        eprintln!("note: no real-dump fixtures under {}; build them with `bash testdata/gen.sh` (about 10 min cold)", root.display());
    }
    out
}

/// Every scenario x dump variant.
pub fn cases() -> Vec<(Fixture, DumpEntry)> {
    fixtures()
        .into_iter()
        .flat_map(|f| {
            f.manifest
                .dumps
                .clone()
                .into_iter()
                .map(move |d| (f.clone(), d))
        })
        .collect()
}

/// Record how many real-dump cases a test ran: printed, and appended to $MODCRASH_CASE_LOG so
/// `.ci/run` can fail when a real-dump test ran none. With fixtures required, zero is a failure.
pub fn record_cases(test: &str, n: usize) {
    eprintln!("real-dump cases run by {test}: {n}");
    if let Some(p) = std::env::var_os("MODCRASH_CASE_LOG") {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .expect("case log");
        writeln!(f, "{test} {n}").expect("case log write");
    }
    if required() {
        assert!(
            n > 0,
            "{test}: MODCRASH_REQUIRE_FIXTURES=1 but no real-dump case ran"
        );
    }
}

/// Compare text with the guest's file and show a line diff on mismatch.
pub fn assert_text_eq(actual: &str, expected: &str, what: &str) {
    if actual == expected {
        return;
    }
    let mut msg = format!("{what}: output differs from the guest's own text\n");
    let (a, e): (Vec<_>, Vec<_>) = (
        actual.split_inclusive('\n').collect(),
        expected.split_inclusive('\n').collect(),
    );
    for i in 0..a.len().max(e.len()) {
        let (x, y) = (a.get(i).copied(), e.get(i).copied());
        if x != y {
            msg += &format!(
                "  line {}: expected {:?}\n           actual   {:?}\n",
                i + 1,
                y,
                x
            );
        }
    }
    panic!("{msg}");
}

/// A real dump with faults injected: some pages excluded, some bytes overwritten.
pub struct Tampered<'a> {
    pub inner: &'a dyn PhysMem,
    pub excluded_pages: Vec<u64>,
    pub patches: std::collections::HashMap<u64, u8>,
}

impl<'a> Tampered<'a> {
    pub fn new(inner: &'a dyn PhysMem) -> Self {
        Tampered {
            inner,
            excluded_pages: Vec::new(),
            patches: Default::default(),
        }
    }
    /// Overwrite the 8 bytes at `pa` with `v` (little-endian).
    pub fn patch_u64(&mut self, pa: u64, v: u64) {
        for (i, b) in v.to_le_bytes().into_iter().enumerate() {
            self.patches.insert(pa + i as u64, b);
        }
    }
}

impl PhysMem for Tampered<'_> {
    fn read_phys(&self, pa: Pa, buf: &mut [u8]) -> Result<(), MemFault> {
        let (start, end) = (pa.0, pa.0 + buf.len() as u64);
        if let Some(&p) = self
            .excluded_pages
            .iter()
            .find(|&&p| start < p + 4096 && end > p)
        {
            return Err(MemFault {
                kind: FaultKind::Excluded,
                pa: Pa(p.max(start)),
                file_offset: None,
            });
        }
        self.inner.read_phys(pa, buf)?;
        for (&a, &v) in &self.patches {
            if a >= start && a < end {
                buf[(a - start) as usize] = v;
            }
        }
        Ok(())
    }
}

/// The documented JSON schema of `--json`, compiled.
pub fn report_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/report.schema.json"
    ))
    .expect("docs/report.schema.json");
    jsonschema::validator_for(&serde_json::from_str(&text).expect("schema is JSON"))
        .expect("schema compiles")
}

/// Every way `json` breaks the schema, with where.
pub fn schema_errors(v: &jsonschema::Validator, json: &serde_json::Value) -> Vec<String> {
    v.iter_errors(json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// [`fixtures`] plus the scenarios under each directory of `MODCRASH_EXTRA_FIXTURES`
/// (colon-separated; e.g. a test bed generated into its own directory), each scenario once.
pub fn fixtures_with_extra() -> Vec<Fixture> {
    let mut out = fixtures();
    let extra = std::env::var_os("MODCRASH_EXTRA_FIXTURES").unwrap_or_default();
    for root in std::env::split_paths(&extra) {
        let Ok(rd) = std::fs::read_dir(&root) else {
            eprintln!(
                "note: MODCRASH_EXTRA_FIXTURES: cannot read {}",
                root.display()
            );
            continue;
        };
        let mut found: Vec<Fixture> = Vec::new();
        for e in rd.flatten() {
            let m = e.path().join("manifest.json");
            if let Ok(text) = std::fs::read_to_string(&m) {
                let manifest: Manifest =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", m.display()));
                found.push(Fixture {
                    dir: e.path(),
                    manifest,
                });
            }
        }
        found.sort_by(|a, b| a.manifest.scenario.cmp(&b.manifest.scenario));
        for f in found {
            if !out.iter().any(|o| o.dir == f.dir) {
                out.push(f);
            }
        }
    }
    out
}
