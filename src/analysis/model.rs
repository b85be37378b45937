//! What the analyses find, as plain data. Output formats it; nothing here prints.

use serde::{Serialize, Serializer};

pub use super::crash::LogSummary;
pub use super::events::Event;
pub use super::log::Log;
pub use super::triage::Triage;

pub use crate::kernel::modtrack::UnloadTracking;
pub use crate::kernel::objects::module::ModuleState;
pub use crate::kernel::objects::taint::TaintFlag as TaintFlagDef;

/// Serialize a u64 address as a `0x…` hex string.
pub fn hex<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#x}"))
}

pub fn hex_opt<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&format!("{v:#x}")),
        None => s.serialize_none(),
    }
}

/// Which kernel the dump is of.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Identity {
    pub release: Option<String>,
    pub build_id: Option<String>,
    #[serde(serialize_with = "hex_opt")]
    pub kaslr_offset: Option<u64>,
    pub paging_levels: u8,
    #[serde(serialize_with = "hex_opt")]
    pub page_offset_base: Option<u64>,
    /// CRASHTIME from VMCOREINFO (seconds since the epoch), absent for a dump of a live guest.
    pub crash_time: Option<i64>,
    /// Where symbols came from: "vmlinux" (its ELF symbol table) or "kallsyms" (the dump's).
    pub symbols_from: String,
    /// Where types came from: "dwarf" (the vmlinux's debug info) or "btf" (the dump's).
    pub types_from: String,
    /// The symbol source named: the vmlinux's path, or the dump's tables and their addresses.
    pub debug_source: String,
}

/// A taint bit that is set.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TaintBit {
    pub bit: u32,
    /// None for a bit beyond the dump's taint_flags[] (vendor bits): printed by number.
    pub letter: Option<char>,
    pub desc: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct KernelTaint {
    /// tainted_mask, as /proc/sys/kernel/tainted prints it (decimal there).
    pub mask: u64,
    pub bits: Vec<TaintBit>,
    /// The kernel's print_tainted() string: "Tainted: P        W  O" style is version dependent,
    /// so this is just the set letters in bit order, unknown bits as `#N`.
    pub letters: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LoadedModule {
    pub name: String,
    #[serde(serialize_with = "hex")]
    pub address: u64,
    pub state: ModuleState,
    /// /proc/modules size: the sum of the module's memory regions.
    pub size: u64,
    /// refcnt - 1 (MODULE_REF_BASE), as /proc/modules prints it.
    pub refcount: i64,
    /// Modules using this one (source_list), /proc/modules' 4th column.
    pub used_by: Vec<String>,
    /// Has an init but no exit function: "[permanent]".
    pub permanent: bool,
    #[serde(serialize_with = "hex")]
    pub base: u64,
    pub taints: u64,
    /// Taint letters by the kernel's per-version module rule (module_flags_taint()).
    pub taint_letters: String,
    pub version: Option<String>,
    pub srcversion: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UnloadedTainted {
    pub name: String,
    pub taints: u64,
    pub taint_letters: String,
    pub count: u64,
}

/// The kernel's CONFIG_MODULE_STATS counters (kernel/module/stats.c).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ModStats {
    pub modcount: u64,
    pub failed_kreads: u64,
    pub failed_decompress: u64,
    pub failed_becoming: u64,
    pub failed_load_modules: u64,
    pub total_mod_size: u64,
    pub total_text_size: u64,
    pub invalid_kread_bytes: u64,
    pub invalid_decompress_bytes: u64,
    pub invalid_becoming_bytes: u64,
    pub invalid_mod_bytes: u64,
    /// Newest first, as the kernel lists them.
    pub dup_failed: Vec<DupFailed>,
    /// Counters (by the names above) and `dup_failed` that the source did not collect: printed
    /// as the source prints them (0 for modtrack), but they are not measurements. Always empty
    /// for the kernel's own stats.
    pub unavailable: Vec<String>,
}

impl ModStats {
    /// The counters by their kernel/module/stats.c names, in the kernel's order: the one list of
    /// them (readers fill them by name, writers print them by name).
    pub fn counters_mut(&mut self) -> [(&'static str, &mut u64); 11] {
        [
            ("modcount", &mut self.modcount),
            ("failed_kreads", &mut self.failed_kreads),
            ("failed_decompress", &mut self.failed_decompress),
            ("failed_becoming", &mut self.failed_becoming),
            ("failed_load_modules", &mut self.failed_load_modules),
            ("total_mod_size", &mut self.total_mod_size),
            ("total_text_size", &mut self.total_text_size),
            ("invalid_kread_bytes", &mut self.invalid_kread_bytes),
            (
                "invalid_decompress_bytes",
                &mut self.invalid_decompress_bytes,
            ),
            ("invalid_becoming_bytes", &mut self.invalid_becoming_bytes),
            ("invalid_mod_bytes", &mut self.invalid_mod_bytes),
        ]
    }

    /// "Virtual mem wasted bytes": every byte read for a load that failed.
    pub fn wasted_bytes(&self) -> u64 {
        self.invalid_kread_bytes
            .wrapping_add(self.invalid_decompress_bytes)
            .wrapping_add(self.invalid_becoming_bytes)
            .wrapping_add(self.invalid_mod_bytes)
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DupFailed {
    pub name: String,
    pub count: u64,
    pub dup_fail_mask: u64,
}

impl DupFailed {
    /// The kernel's mod_fail_to_str(): bit 0 = FAIL_DUP_MOD_BECOMING, bit 1 = FAIL_DUP_MOD_LOAD.
    pub fn reason(&self) -> &'static str {
        match (self.dup_fail_mask & 1 != 0, self.dup_fail_mask & 2 != 0) {
            (true, true) => "Becoming & Load",
            (true, false) => "Becoming",
            (false, true) => "Load",
            (false, false) => "Bug-on-stats",
        }
    }
}

/// `last_unloaded_module`: a struct {name, taints} since 5.19 (taints holds "(OE)"), a bare
/// char array before.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LastUnloaded {
    pub name: String,
    /// The formatted flags string, e.g. "(OE)"; None for the old shape.
    pub taints: Option<String>,
}

/// Where a fact came from, or why it is missing.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "source", content = "data", rename_all = "snake_case")]
pub enum Tracked<T> {
    /// The kernel's own structure.
    Kernel(T),
    /// The modtrack tracker module's state.
    Modtrack(T),
    /// This kernel does not keep it: names the config option that is off.
    NotTracked { reason: String },
    /// It exists but could not be read (e.g. its page is excluded from the dump).
    Unreadable { error: String },
}

impl<T> Tracked<T> {
    pub fn data(&self) -> Option<&T> {
        match self {
            Tracked::Kernel(t) | Tracked::Modtrack(t) => Some(t),
            _ => None,
        }
    }
}

/// The state of the modtrack tracker module (tracker/), read from its `modtrack_state` object.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ModtrackReport {
    /// Address of `modtrack_state`.
    #[serde(serialize_with = "hex")]
    pub state_address: u64,
    /// Address of modtrack's `struct module`.
    #[serde(serialize_with = "hex")]
    pub module_address: u64,
    /// How the state was found: "kallsyms" (mod->kallsyms), "exports" (mod->syms) or "scan".
    pub found_via: String,
    pub layout_version: u32,
    /// `uname -r` of the kernel modtrack was loaded into.
    pub release: String,
    pub seq: u64,
    /// `seq` was odd: a CPU stopped inside a list change. The lists are walked from their heads,
    /// which is always well formed, but one count may be about to change.
    pub update_in_progress: bool,
    pub flags: u32,
    /// Names of the set `flags` bits (LAYOUT.md section 6).
    pub flag_names: Vec<String>,
    pub unload_tracking: UnloadTracking,
    /// modtrack's unloaded tainted modules, newest first, letters as modtrack prints them.
    pub unloaded_tainted: Vec<UnloadedTainted>,
    /// Unloads not recorded because the pool was full.
    pub unloaded_dropped: u64,
    pub unloaded_capacity: u32,
    /// modtrack's counters and duplicate table; `unavailable` names what it did not collect.
    pub stats: ModStats,
    /// Duplicate failures not recorded because the pool was full.
    pub dup_failed_dropped: u64,
    pub dup_failed_capacity: u32,
    /// Loads modtrack could not classify (its table of loads in flight was full).
    pub untracked_loads: u64,
    /// Sum of its probes' misses at the last update.
    pub probe_missed: u64,
}

/// Which part of the report a warning is about.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A vmlinux check skipped with --force.
    Vmlinux,
    TaintFlags,
    Taint,
    Modules,
    UnloadedTainted,
    Stats,
    DupFailed,
    LastUnloaded,
    Modtrack,
    /// The kernel log (printk ringbuffer).
    Log,
    /// The dump file itself (cut short: data its headers describe is not in it).
    Dump,
}

/// A problem that did not stop the report.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Warning {
    /// What part of the report the warning is about.
    pub kind: WarningKind,
    /// The kernel address it concerns, where there is one.
    #[serde(serialize_with = "hex_opt")]
    pub address: Option<u64>,
    pub context: String,
    pub message: String,
}

impl Warning {
    pub fn new(
        kind: WarningKind,
        context: impl Into<String>,
        message: impl Into<String>,
    ) -> Warning {
        Warning {
            kind,
            address: None,
            context: context.into(),
            message: message.into(),
        }
    }

    pub fn at(self, address: u64) -> Warning {
        Warning {
            address: Some(address),
            ..self
        }
    }
}

/// Everything `modcrash VMCORE VMLINUX` reports.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub identity: Identity,
    pub taint: Option<KernelTaint>,
    pub taint_flags: Vec<TaintFlagDef>,
    pub modules: Vec<LoadedModule>,
    pub unloaded_tainted: Tracked<Vec<UnloadedTainted>>,
    pub stats: Tracked<ModStats>,
    pub last_unloaded: Option<LastUnloaded>,
    /// The modtrack module's own state, when it is loaded (whether or not the kernel tracks too).
    pub modtrack: Option<ModtrackReport>,
    /// The kernel log read from the dump: its source and completeness.
    pub log: LogSummary,
    /// The crash reports of the log, oldest first.
    pub events: Vec<Event>,
    /// What happened and which modules are the suspects.
    pub triage: Triage,
    pub warnings: Vec<Warning>,
    /// The log's records (for `--kernel-text dmesg`); not in the JSON, which `modcrash log --json` has.
    #[serde(skip)]
    pub kernel_log: Option<Log>,
}
