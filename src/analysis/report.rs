//! The whole report: every analysis, each failure a warning rather than the end of the run.

use super::identity::identity;
use super::model::{Report, Tracked, Warning};
use super::{modules, taint_read, tracking};
use crate::kernel::layout::ModuleLayout;
use crate::kernel::Kernel;

pub const SCHEMA_VERSION: u32 = 1;

pub fn report(k: &Kernel<'_>) -> Report {
    let mut warnings: Vec<Warning> = k
        .forced_mismatches
        .iter()
        .map(|m| Warning {
            context: "vmlinux".into(),
            message: m.clone(),
        })
        .collect();
    let taint_flags = taint_read::taint_flags(k).unwrap_or_else(|e| {
        warnings.push(Warning {
            context: "taint_flags".into(),
            message: e,
        });
        Vec::new()
    });
    let taint = taint_read::kernel_taint(k, &taint_flags, &mut warnings);
    let modules = match ModuleLayout::resolve(k.vmlinux) {
        Ok(l) => modules::loaded_modules(k, &l, &taint_flags, &mut warnings).unwrap_or_else(|e| {
            warnings.push(Warning {
                context: "modules".into(),
                message: e,
            });
            Vec::new()
        }),
        Err(e) => {
            warnings.push(Warning {
                context: "modules".into(),
                message: format!("struct module: {e}"),
            });
            Vec::new()
        }
    };
    let unloaded_tainted = tracking::unloaded_tainted(k, &taint_flags, &mut warnings);
    let stats = tracking::mod_stats(k, &mut warnings);
    let last_unloaded = tracking::last_unloaded(k, &mut warnings);
    for (what, t) in [
        ("unloaded tainted modules", unreadable(&unloaded_tainted)),
        ("module stats", unreadable(&stats)),
    ] {
        if let Some(e) = t {
            warnings.push(Warning {
                context: what.into(),
                message: e,
            });
        }
    }
    Report {
        schema_version: SCHEMA_VERSION,
        identity: identity(k),
        taint,
        taint_flags,
        modules,
        unloaded_tainted,
        stats,
        last_unloaded,
        warnings,
    }
}

fn unreadable<T>(t: &Tracked<T>) -> Option<String> {
    match t {
        Tracked::Unreadable { error } => Some(error.clone()),
        _ => None,
    }
}
