//! modtrack (tracker/): the state the kernel layer found and decoded, as report data, with its
//! taint letters checked against the kernel's own rule.

use super::model::{
    DupFailed, LoadedModule, ModStats, ModtrackReport, TaintFlagDef, UnloadedTainted, Warning,
    WarningKind,
};
use super::taint::module_taint_letters;
use crate::addr::Va;
use crate::kernel::modtrack::{self, DecodeError, ModtrackError, ModtrackState, MODULE_NAME};
use crate::kernel::Kernel;

/// Read modtrack's state, if the module is loaded. `None`: no module named `modtrack`. `Err`:
/// it is loaded but its state could not be used (the error names the address and the problem).
/// `kernel_flags` is the dump's taint_flags[]: letters that differ from modtrack's are reported.
pub fn read(
    k: &Kernel<'_>,
    modules: &[LoadedModule],
    kernel_flags: &[TaintFlagDef],
    warnings: &mut Vec<Warning>,
) -> Option<Result<ModtrackReport, ModtrackError>> {
    let m = modules.iter().find(|m| m.name == MODULE_NAME)?;
    let found = match k.modtrack_state(Va(m.address)) {
        Ok(f) => f,
        Err(e) => return Some(Err(e)),
    };
    let at = |w: String| {
        Warning::new(WarningKind::Modtrack, "modtrack", found.note(&w)).at(found.addr.0)
    };
    let mut r = report(&found.state);
    r.state_address = found.addr.0;
    r.module_address = found.module.0;
    r.found_via = found.via.into();
    warnings.extend(
        found
            .warnings
            .iter()
            .map(|w| Warning::new(WarningKind::Modtrack, "modtrack", w.clone()).at(found.addr.0)),
    );
    if !kernel_flags.is_empty() {
        for e in &r.unloaded_tainted {
            let kernel = module_taint_letters(e.taints, kernel_flags);
            if kernel != e.taint_letters {
                warnings.push(at(format!(
                    "{}: modtrack's taint letters {:?} differ from the kernel's rule {kernel:?} for taints {:#x}",
                    e.name, e.taint_letters, e.taints
                )));
            }
        }
    }
    Some(Ok(r))
}

/// The report's view of a decoded state (addresses and `found_via` left for the caller).
pub fn report(s: &ModtrackState) -> ModtrackReport {
    let mut stats = ModStats::default();
    for (name, slot) in stats.counters_mut() {
        if let Some(c) = s.counters.iter().find(|c| c.name == name) {
            *slot = c.value;
        }
    }
    stats.unavailable = s
        .counters
        .iter()
        .filter(|c| !c.collected)
        .map(|c| c.name.to_string())
        .collect();
    if !s.dup_failed_collected {
        stats.unavailable.push("dup_failed".into());
    }
    stats.dup_failed = s
        .dup_failed
        .iter()
        .map(|d| DupFailed {
            name: d.name.clone(),
            count: d.count,
            dup_fail_mask: d.reasons,
        })
        .collect();
    ModtrackReport {
        state_address: 0,
        module_address: 0,
        found_via: String::new(),
        layout_version: s.layout_version,
        release: s.release.clone(),
        seq: s.seq,
        update_in_progress: s.update_in_progress,
        flags: s.flags,
        flag_names: s.flag_names.iter().map(|n| n.to_string()).collect(),
        unload_tracking: s.unload_tracking,
        unloaded_tainted: s
            .unloaded
            .iter()
            .map(|u| UnloadedTainted {
                name: u.name.clone(),
                taints: u.taints,
                taint_letters: u.taint_letters.clone(),
                count: u.count,
            })
            .collect(),
        unloaded_dropped: s.unloaded_dropped,
        unloaded_capacity: s.unloaded_capacity,
        stats,
        dup_failed_dropped: s.dup_failed_dropped,
        dup_failed_capacity: s.dup_failed_capacity,
        untracked_loads: s.untracked_loads,
        probe_missed: s.probe_missed,
    }
}

/// Decode a state blob straight into report data (tests, fuzzing).
pub fn decode_report(bytes: &[u8]) -> Result<(ModtrackReport, Vec<String>), DecodeError> {
    modtrack::decode(bytes).map(|(s, w)| (report(&s), w))
}
