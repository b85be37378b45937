//! The kernel's own module tracking: unloaded tainted modules, the last unloaded module, and the
//! CONFIG_MODULE_STATS counters and duplicate failed loads.

use super::model::{
    DupFailed, LastUnloaded, ModStats, TaintFlagDef, Tracked, UnloadedTainted, Warning, WarningKind,
};
use super::taint::module_taint_letters;
use crate::kernel::Kernel;

pub const NO_TAINT_TRACKING: &str = "not tracked by this kernel: CONFIG_MODULE_UNLOAD_TAINT_TRACKING is off (it exists since 5.19); load tracker/ (modtrack) on such kernels to record unloaded tainted modules";
pub const NO_STATS: &str = "not tracked by this kernel: CONFIG_MODULE_STATS is off (it exists since 6.4); load tracker/ (modtrack) on such kernels to record module load statistics";

pub fn unloaded_tainted(
    k: &Kernel<'_>,
    flags: &[TaintFlagDef],
    warnings: &mut Vec<Warning>,
) -> Tracked<Vec<UnloadedTainted>> {
    let list = match k.unloaded_tainted_modules() {
        Ok(l) => l,
        Err(e) if e.is_absent() => {
            return Tracked::NotTracked {
                reason: NO_TAINT_TRACKING.into(),
            }
        }
        Err(e) => {
            return Tracked::Unreadable {
                error: e.to_string(),
            }
        }
    };
    let warn =
        |m: String| Warning::new(WarningKind::UnloadedTainted, "unloaded tainted modules", m);
    let mut out = Vec::new();
    for (at, e) in list.entries {
        match e {
            Ok(e) => out.push(UnloadedTainted {
                taint_letters: module_taint_letters(e.taints, flags),
                name: e.name,
                taints: e.taints,
                count: e.count,
            }),
            Err(e) => warnings.push(warn(e.to_string()).at(at.0)),
        }
    }
    if let Some(e) = list.stopped {
        if list.walked == 0 && out.is_empty() {
            return Tracked::Unreadable {
                error: e.to_string(),
            };
        }
        warnings.push(
            warn(format!(
                "list walk stopped after {} entries: {e}",
                list.walked
            ))
            .at(e.va().0),
        );
    }
    Tracked::Kernel(out)
}

pub fn last_unloaded(k: &Kernel<'_>, warnings: &mut Vec<Warning>) -> Option<LastUnloaded> {
    match k.last_unloaded_module() {
        Ok(l) => l.map(|l| LastUnloaded {
            name: l.name,
            taints: l.taints,
        }),
        Err(e) => {
            warnings.push(Warning::new(
                WarningKind::LastUnloaded,
                "last unloaded module",
                e.to_string(),
            ));
            None
        }
    }
}

pub fn mod_stats(k: &Kernel<'_>, warnings: &mut Vec<Warning>) -> Tracked<ModStats> {
    let dup = k.dup_failed_modules();
    if let Err(e) = &dup {
        if e.is_absent() {
            return Tracked::NotTracked {
                reason: NO_STATS.into(),
            };
        }
    }
    let mut s = ModStats::default();
    let mut errors = Vec::new();
    for (name, slot) in s.counters_mut() {
        match k.stats_counter(name) {
            Ok(v) => *slot = v,
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.len() == s.counters_mut().len() {
        return Tracked::Unreadable {
            error: errors.join("; "),
        };
    }
    for e in errors {
        warnings.push(Warning::new(WarningKind::Stats, "module stats", e));
    }
    let warn = |m: String| Warning::new(WarningKind::DupFailed, "duplicate failed modules", m);
    match dup {
        Ok(list) => {
            for (at, e) in list.entries {
                match e {
                    Ok(e) => s.dup_failed.push(DupFailed {
                        name: e.name,
                        count: e.count,
                        dup_fail_mask: e.dup_fail_mask,
                    }),
                    Err(e) => warnings.push(warn(e.to_string()).at(at.0)),
                }
            }
            if let Some(e) = list.stopped {
                warnings.push(
                    warn(format!(
                        "list walk stopped after {} entries: {e}",
                        list.walked
                    ))
                    .at(e.va().0),
                );
            }
        }
        Err(e) => warnings.push(warn(e.to_string())),
    }
    Tracked::Kernel(s)
}
