//! Loaded modules: the `modules` list, as /proc/modules shows it.

use super::model::{LoadedModule, ModuleState, TaintFlagDef, Warning};
use super::read::{cstr, int, ptr, uint};
use super::taint::module_taint_letters;
use crate::addr::Va;
use crate::kernel::layout::{ModuleLayout, ModuleUseLayout, Regions};
use crate::kernel::{walk_list, Kernel};

/// More modules than any real system loads; a longer list is corrupt.
const MAX_MODULES: usize = 65_536;

pub fn loaded_modules(
    k: &Kernel<'_>,
    l: &ModuleLayout,
    flags: &[TaintFlagDef],
    warnings: &mut Vec<Warning>,
) -> Result<Vec<LoadedModule>, String> {
    let (head, _) = k
        .var("modules", Some("kernel/module/main.c"))
        .map_err(|e| e.to_string())?;
    let mem = k.mem();
    let walk = walk_list(&mem, head, "modules list", MAX_MODULES);
    if let Some(e) = &walk.error {
        warnings.push(Warning {
            context: "modules".into(),
            message: format!(
                "the module list walk stopped after {} modules: {e}",
                walk.nodes.len()
            ),
        });
    }
    let use_layout = l
        .source_list
        .and_then(|_| ModuleUseLayout::resolve(k.vmlinux).ok());
    let mut out = Vec::with_capacity(walk.nodes.len());
    for node in walk.nodes {
        let addr = Va(node.0.wrapping_sub(l.list));
        let buf = match mem.read_vec(addr, l.size as usize, "struct module") {
            Ok(b) => b,
            Err(e) => {
                warnings.push(Warning {
                    context: "modules".into(),
                    message: format!("module at {addr} skipped: {e}"),
                });
                continue;
            }
        };
        let state_raw = int(&buf, l.state);
        let state = match state_raw {
            s if s == l.state_live => ModuleState::Live,
            s if s == l.state_coming => ModuleState::Coming,
            s if s == l.state_going => ModuleState::Going,
            s if s == l.state_unformed => ModuleState::Unformed,
            s => ModuleState::Unknown(s),
        };
        let (size, base) = match l.regions {
            Regions::Mem {
                offset,
                stride,
                count,
                base,
                size,
                text_index,
            } => {
                let mut total = 0u32;
                for i in 0..count.min(16) {
                    let f = crate::kernel::layout::Field {
                        offset: offset + i * stride + size.offset,
                        ..size
                    };
                    total = total.wrapping_add(uint(&buf, f) as u32);
                }
                (
                    u64::from(total),
                    ptr(&buf, offset + text_index * stride + base),
                )
            }
            Regions::Layout {
                core,
                init,
                data,
                base,
                size,
            } => {
                let at = |o: u64| {
                    uint(
                        &buf,
                        crate::kernel::layout::Field {
                            offset: o + size.offset,
                            ..size
                        },
                    ) as u32
                };
                let mut total = at(core).wrapping_add(at(init));
                if let Some(d) = data {
                    total = total.wrapping_add(at(d));
                }
                (u64::from(total), ptr(&buf, core + base))
            }
        };
        let taints = uint(&buf, l.taints);
        let name = cstr(&buf, l.name);
        let strp = |o: Option<u64>, what: &str| -> Option<String> {
            let p = ptr(&buf, o?);
            mem.c_ptr_str(p, 256, what).ok().flatten()
        };
        let mut used_by = Vec::new();
        if let (Some(sl), Some(ul)) = (l.source_list, use_layout) {
            let w = walk_list(&mem, addr.wrapping_add(sl), "module source_list", 4096);
            for n in &w.nodes {
                let use_va = Va(n.0.wrapping_sub(ul.source_list));
                match mem
                    .u64(use_va.wrapping_add(ul.source), "module_use.source")
                    .and_then(|src| {
                        mem.c_array_str(
                            Va(src).wrapping_add(l.name.offset),
                            l.name.len as usize,
                            "module name",
                        )
                    }) {
                    Ok(n) => used_by.push(n),
                    Err(e) => warnings.push(Warning {
                        context: format!("module {name}"),
                        message: e.to_string(),
                    }),
                }
            }
            if let Some(e) = w.error {
                warnings.push(Warning {
                    context: format!("module {name}"),
                    message: e.to_string(),
                });
            }
        }
        out.push(LoadedModule {
            address: addr.0,
            state,
            size,
            refcount: l.refcnt.map(|f| int(&buf, f) - 1).unwrap_or(0),
            used_by,
            permanent: matches!((l.init, l.exit), (Some(i), Some(x)) if ptr(&buf, i) != 0 && ptr(&buf, x) == 0),
            base,
            taints,
            taint_letters: module_taint_letters(taints, flags),
            version: strp(l.version, "module version"),
            srcversion: strp(l.srcversion, "module srcversion"),
            name,
        });
    }
    Ok(out)
}
