//! The whole report: every analysis, each failure a warning rather than the end of the run.

use super::crash::crash_view;
use super::identity::identity;
use super::model::{Report, Tracked, UnloadTracking, Warning, WarningKind};
use super::triage::Triage;
use super::{modtrack, modules, taint, tracking};
use crate::kernel::Kernel;
use crate::symbols::Vmlinux;

/// 3: identity names its symbol and type sources (symbols_from, types_from, debug_source).
/// 2: the kernel log's summary, its crash events and the triage; warnings carry kind and address.
pub const SCHEMA_VERSION: u32 = 3;

/// The report with the dump's own VMCOREINFO for the log (see [`report_with`]).
pub fn report(k: &Kernel<'_>) -> Report {
    report_with(k, None)
}

/// The whole report; `vmlinux` (the one `k` reads types from, when it has one) fills in log
/// layout keys VMCOREINFO lacks.
pub fn report_with(k: &Kernel<'_>, vmlinux: Option<&Vmlinux>) -> Report {
    // The dump's own damage first: a file cut short is named whether or not a section below
    // needed the missing pages.
    let mut warnings: Vec<Warning> = k
        .phys()
        .known_gaps()
        .into_iter()
        .map(|g| Warning::new(WarningKind::Dump, "dump", g.message))
        .collect();
    warnings.extend(
        k.forced_mismatches
            .iter()
            .map(|m| Warning::new(WarningKind::Vmlinux, "vmlinux", m.clone())),
    );
    let taint_flags = taint::taint_flags(k, &mut warnings);
    let taint = taint::kernel_taint(k, &taint_flags, &mut warnings);
    let modules = modules::loaded_modules(k, &taint_flags, &mut warnings);
    let mut unloaded_tainted = tracking::unloaded_tainted(k, &taint_flags, &mut warnings);
    let mut stats = tracking::mod_stats(k, &mut warnings);
    let last_unloaded = tracking::last_unloaded(k, &mut warnings);
    for (kind, what, t) in [
        (
            WarningKind::UnloadedTainted,
            "unloaded tainted modules",
            unreadable(&unloaded_tainted),
        ),
        (WarningKind::Stats, "module stats", unreadable(&stats)),
    ] {
        if let Some(e) = t {
            warnings.push(Warning::new(kind, what, e));
        }
    }
    let mut mt_warnings = Vec::new();
    let modtrack = if k.module_layout().is_ok() {
        modtrack::read(k, &modules, &taint_flags, &mut mt_warnings)
    } else {
        None
    };
    warnings.extend(mt_warnings);
    // Where the kernel keeps nothing, modtrack's state stands in for it; where the kernel tracks
    // too, the kernel's stays in the main fields and modtrack's is in `modtrack`.
    let modtrack = match modtrack {
        Some(Ok(m)) => {
            if let Tracked::NotTracked { reason } = &unloaded_tainted {
                unloaded_tainted = match m.unload_tracking {
                    UnloadTracking::None => Tracked::NotTracked {
                        reason: format!("{reason}; modtrack is loaded but attached to no unload event (flags {:#x})", m.flags),
                    },
                    _ => Tracked::Modtrack(m.unloaded_tainted.clone()),
                };
            }
            if matches!(stats, Tracked::NotTracked { .. }) {
                stats = Tracked::Modtrack(m.stats.clone());
            }
            Some(m)
        }
        Some(Err(err)) => {
            let e = err.to_string();
            if matches!(unloaded_tainted, Tracked::NotTracked { .. }) {
                unloaded_tainted = Tracked::Unreadable { error: e.clone() };
            }
            if matches!(stats, Tracked::NotTracked { .. }) {
                stats = Tracked::Unreadable { error: e.clone() };
            }
            warnings.push(Warning::new(WarningKind::Modtrack, "modtrack", e).at(err.addr().0));
            None
        }
        None => None,
    };
    let mut r = Report {
        schema_version: SCHEMA_VERSION,
        identity: identity(k),
        taint,
        taint_flags,
        modules,
        unloaded_tainted,
        stats,
        last_unloaded,
        modtrack,
        log: super::crash::LogSummary::default(),
        events: Vec::new(),
        triage: Triage::default(),
        warnings: Vec::new(),
        kernel_log: None,
    };
    // The triage reads the modules and tracking lists of the report it belongs to.
    let view = crash_view(k, vmlinux, &r, &mut warnings);
    r.log = view.summary;
    r.events = view.events;
    r.triage = view.triage;
    r.kernel_log = view.log;
    r.warnings = warnings;
    r
}

fn unreadable<T>(t: &Tracked<T>) -> Option<String> {
    match t {
        Tracked::Unreadable { error } => Some(error.clone()),
        _ => None,
    }
}
