//! The kernel's own module tracking: `unloaded_tainted_modules` (5.19+,
//! CONFIG_MODULE_UNLOAD_TAINT_TRACKING; commits 99bd9956 and beef988c, tainted-only since
//! 47cc75aa), `last_unloaded_module`, and the CONFIG_MODULE_STATS counters and
//! `dup_failed_modules` (6.4+, commit df3e764d).

use super::model::{
    DupFailed, LastUnloaded, ModStats, TaintFlagDef, Tracked, UnloadedTainted, Warning,
};
use super::read::{cstr, int, uint};
use super::taint::module_taint_letters;
use crate::addr::Va;
use crate::kernel::layout::{Field, ModFailLoadLayout, ModUnloadTaintLayout};
use crate::kernel::{walk_list, Kernel};
use crate::symbols::SymError;

const MAX_ENTRIES: usize = 1 << 20;

pub const NO_TAINT_TRACKING: &str = "not tracked by this kernel: CONFIG_MODULE_UNLOAD_TAINT_TRACKING is off (it exists since 5.19); load tracker/ (modtrack) on such kernels to record unloaded tainted modules";
pub const NO_STATS: &str = "not tracked by this kernel: CONFIG_MODULE_STATS is off (it exists since 6.4); load tracker/ (modtrack) on such kernels to record module load statistics";

fn absent(e: &SymError) -> bool {
    matches!(
        e,
        SymError::SymbolNotFound { .. } | SymError::VariableNotFound { .. }
    )
}

pub fn unloaded_tainted(
    k: &Kernel<'_>,
    flags: &[TaintFlagDef],
    warnings: &mut Vec<Warning>,
) -> Tracked<Vec<UnloadedTainted>> {
    let head = match k.var("unloaded_tainted_modules", Some("kernel/module/tracking.c")) {
        Ok((va, _)) => va,
        Err(e) if absent(&e) => {
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
    let l = match ModUnloadTaintLayout::resolve(k.vmlinux) {
        Ok(l) => l,
        Err(e) => {
            return Tracked::Unreadable {
                error: e.to_string(),
            }
        }
    };
    let mem = k.mem();
    let walk = walk_list(&mem, head, "unloaded_tainted_modules", MAX_ENTRIES);
    let size = (l.count.offset + l.count.size)
        .max(l.taints.offset + l.taints.size)
        .max(l.name.offset + l.name.len);
    let mut out = Vec::new();
    for node in &walk.nodes {
        let at = Va(node.0.wrapping_sub(l.list));
        match mem.read_vec(at, size as usize, "struct mod_unload_taint") {
            Ok(b) => {
                let taints = uint(&b, l.taints);
                out.push(UnloadedTainted {
                    name: cstr(&b, l.name),
                    taints,
                    taint_letters: module_taint_letters(taints, flags),
                    count: uint(&b, l.count),
                });
            }
            Err(e) => warnings.push(Warning {
                context: "unloaded tainted modules".into(),
                message: e.to_string(),
            }),
        }
    }
    if let Some(e) = walk.error {
        if walk.nodes.is_empty() && out.is_empty() {
            return Tracked::Unreadable {
                error: e.to_string(),
            };
        }
        warnings.push(Warning {
            context: "unloaded tainted modules".into(),
            message: format!("list walk stopped after {} entries: {e}", walk.nodes.len()),
        });
    }
    Tracked::Kernel(out)
}

/// `last_unloaded_module`: `struct { char name[]; char taints[]; }` since 5.19 (commit
/// 6f1dae1d84d6 "module: show the last unloaded module's taint flag"), a plain char array before.
pub fn last_unloaded(k: &Kernel<'_>, warnings: &mut Vec<Warning>) -> Option<LastUnloaded> {
    let (va, ty) = k
        .var("last_unloaded_module", Some("kernel/module/main.c"))
        .ok()?;
    let mem = k.mem();
    let read = |off: u64, len: u64, what: &str| {
        mem.c_array_str(va.wrapping_add(off), len.min(256) as usize, what)
    };
    let r = if ty.composite().is_some() {
        let name = ty.member("name").map(|m| (m.offset, m.size.unwrap_or(0)));
        let taints = ty.member("taints").map(|m| (m.offset, m.size.unwrap_or(0)));
        match (name, taints) {
            (Ok((no, nl)), Ok((to, tl))) => {
                read(no, nl, "last_unloaded_module.name").and_then(|n| {
                    Ok(LastUnloaded {
                        name: n,
                        taints: Some(read(to, tl, "last_unloaded_module.taints")?),
                    })
                })
            }
            _ => return None,
        }
    } else {
        read(0, ty.size().unwrap_or(0), "last_unloaded_module").map(|n| LastUnloaded {
            name: n,
            taints: None,
        })
    };
    match r {
        Ok(l) => Some(l),
        Err(e) => {
            warnings.push(Warning {
                context: "last unloaded module".into(),
                message: e.to_string(),
            });
            None
        }
    }
}

/// Read a counter whose C type (atomic_t, atomic_long_t, atomic64_t...) comes from DWARF.
fn counter(k: &Kernel<'_>, name: &str) -> Result<u64, String> {
    let (va, ty) = k
        .var(name, Some("kernel/module/stats.c"))
        .map_err(|e| e.to_string())?;
    let s = ty
        .scalar()
        .ok_or_else(|| format!("{name}: type {} is not an integer", ty.summary()))?;
    let v = k
        .mem()
        .int(va, s.size, s.signed, name)
        .map_err(|e| e.to_string())?;
    // The kernel prints atomic_t with %u and atomic_long_t with %lu: keep the bits unsigned.
    Ok(if s.size < 8 {
        (v as u64) & ((1u64 << (s.size * 8)) - 1)
    } else {
        v as u64
    })
}

pub fn mod_stats(k: &Kernel<'_>, warnings: &mut Vec<Warning>) -> Tracked<ModStats> {
    match k.var("dup_failed_modules", Some("kernel/module/stats.c")) {
        Err(e) if absent(&e) => {
            return Tracked::NotTracked {
                reason: NO_STATS.into(),
            }
        }
        Err(e) => {
            return Tracked::Unreadable {
                error: e.to_string(),
            }
        }
        Ok(_) => {}
    }
    let mut s = ModStats::default();
    let fields: [(&str, &mut u64); 11] = [
        ("modcount", &mut s.modcount),
        ("failed_kreads", &mut s.failed_kreads),
        ("failed_decompress", &mut s.failed_decompress),
        ("failed_becoming", &mut s.failed_becoming),
        ("failed_load_modules", &mut s.failed_load_modules),
        ("total_mod_size", &mut s.total_mod_size),
        ("total_text_size", &mut s.total_text_size),
        ("invalid_kread_bytes", &mut s.invalid_kread_bytes),
        ("invalid_decompress_bytes", &mut s.invalid_decompress_bytes),
        ("invalid_becoming_bytes", &mut s.invalid_becoming_bytes),
        ("invalid_mod_bytes", &mut s.invalid_mod_bytes),
    ];
    let mut errors = Vec::new();
    for (name, slot) in fields {
        match counter(k, name) {
            Ok(v) => *slot = v,
            Err(e) => errors.push(e),
        }
    }
    if errors.len() == 11 {
        return Tracked::Unreadable {
            error: errors.join("; "),
        };
    }
    for e in errors {
        warnings.push(Warning {
            context: "module stats".into(),
            message: e,
        });
    }
    match dup_failed(k) {
        Ok((list, warn)) => {
            s.dup_failed = list;
            if let Some(w) = warn {
                warnings.push(Warning {
                    context: "duplicate failed modules".into(),
                    message: w,
                });
            }
        }
        Err(e) => warnings.push(Warning {
            context: "duplicate failed modules".into(),
            message: e,
        }),
    }
    Tracked::Kernel(s)
}

fn dup_failed(k: &Kernel<'_>) -> Result<(Vec<DupFailed>, Option<String>), String> {
    let (head, _) = k
        .var("dup_failed_modules", Some("kernel/module/stats.c"))
        .map_err(|e| e.to_string())?;
    let l = ModFailLoadLayout::resolve(k.vmlinux).map_err(|e| e.to_string())?;
    let mem = k.mem();
    let walk = walk_list(&mem, head, "dup_failed_modules", MAX_ENTRIES);
    let size = [
        l.name.offset + l.name.len,
        l.count.offset + l.count.size,
        l.dup_fail_mask.offset + l.dup_fail_mask.size,
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    let mut out = Vec::new();
    for node in &walk.nodes {
        let at = Va(node.0.wrapping_sub(l.list));
        let b = mem
            .read_vec(at, size as usize, "struct mod_fail_load")
            .map_err(|e| e.to_string())?;
        out.push(DupFailed {
            name: cstr(&b, l.name),
            count: int(
                &b,
                Field {
                    signed: false,
                    ..l.count
                },
            ) as u64,
            dup_fail_mask: uint(&b, l.dup_fail_mask),
        });
    }
    Ok((
        out,
        walk.error
            .map(|e| format!("list walk stopped after {} entries: {e}", walk.nodes.len())),
    ))
}
