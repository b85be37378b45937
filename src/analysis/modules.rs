//! Loaded modules: the `modules` list, as /proc/modules shows it.

use super::model::{LoadedModule, TaintFlagDef, Warning, WarningKind};
use super::taint::module_taint_letters;
use crate::kernel::error::ReadError;
use crate::kernel::Kernel;

pub fn loaded_modules(
    k: &Kernel<'_>,
    flags: &[TaintFlagDef],
    warnings: &mut Vec<Warning>,
) -> Vec<LoadedModule> {
    let list = match k.modules() {
        Ok(l) => l,
        Err(e) => {
            let message = match &e {
                // The layout of struct module itself (the variable's error says its own name).
                ReadError::Sym(_) if k.module_layout().is_err() => format!("struct module: {e}"),
                _ => e.to_string(),
            };
            warnings.push(Warning::new(WarningKind::Modules, "modules", message));
            return Vec::new();
        }
    };
    if let Some(e) = &list.stopped {
        // At the node the walk stopped at (the fault's address), as the kernel's tracking lists do.
        warnings.push(
            Warning::new(
                WarningKind::Modules,
                "modules",
                format!(
                    "the module list walk stopped after {} modules: {e}",
                    list.walked
                ),
            )
            .at(e.va().0),
        );
    }
    let mut out = Vec::with_capacity(list.entries.len());
    for (at, m) in list.entries {
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                warnings.push(
                    Warning::new(
                        WarningKind::Modules,
                        "modules",
                        format!("module at {at} skipped: {e}"),
                    )
                    .at(at.0),
                );
                continue;
            }
        };
        for e in &m.used_by_faults {
            warnings.push(
                Warning::new(
                    WarningKind::Modules,
                    format!("module {}", m.name),
                    e.to_string(),
                )
                .at(e.va().0),
            );
        }
        out.push(LoadedModule {
            address: m.addr.0,
            state: m.state,
            size: m.size,
            refcount: m.refcount,
            used_by: m.used_by,
            permanent: m.permanent,
            base: m.base,
            taints: m.taints,
            taint_letters: module_taint_letters(m.taints, flags),
            version: m.version,
            srcversion: m.srcversion,
            name: m.name,
        });
    }
    out
}
