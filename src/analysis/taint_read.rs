//! The kernel's taint: `tainted_mask` decoded with the dump's own `taint_flags[]`.

use super::model::{KernelTaint, TaintFlagDef, Warning};
use super::taint::decode_kernel_taint;
use crate::kernel::layout::TaintFlagLayout;
use crate::kernel::Kernel;

const PANIC_C: &str = "kernel/panic.c";

/// Read `taint_flags[]` (letters, per-module flag, description where the kernel has them).
pub fn taint_flags(k: &Kernel<'_>) -> Result<Vec<TaintFlagDef>, String> {
    let (va, ty) = k
        .var("taint_flags", Some(PANIC_C))
        .map_err(|e| e.to_string())?;
    let count = ty.array_len().ok_or("taint_flags is not an array")?.min(64);
    let elem = ty.array_elem().ok_or("taint_flags has no element type")?;
    let l = TaintFlagLayout::resolve(&elem).map_err(|e| e.to_string())?;
    let mem = k.mem();
    let buf = mem
        .read_vec(va, (l.size * count) as usize, "taint_flags[]")
        .map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count {
        let e = &buf[(i * l.size) as usize..((i + 1) * l.size) as usize];
        let desc = match l.desc {
            Some(o) => {
                let p = super::read::ptr(e, o);
                mem.c_ptr_str(p, 256, "taint_flag.desc").ok().flatten()
            }
            None => None,
        };
        out.push(TaintFlagDef {
            bit: i as u32,
            c_true: e[l.c_true as usize] as char,
            c_false: e[l.c_false as usize] as char,
            module: l.module.map(|o| e[o as usize] != 0),
            desc,
        });
    }
    Ok(out)
}

pub fn kernel_taint(
    k: &Kernel<'_>,
    flags: &[TaintFlagDef],
    warnings: &mut Vec<Warning>,
) -> Option<KernelTaint> {
    let r = k
        .var("tainted_mask", Some(PANIC_C))
        .map_err(|e| e.to_string())
        .and_then(|(va, _)| k.mem().u64(va, "tainted_mask").map_err(|e| e.to_string()));
    match r {
        Ok(mask) => Some(decode_kernel_taint(mask, flags)),
        Err(e) => {
            warnings.push(Warning {
                context: "taint".into(),
                message: e,
            });
            None
        }
    }
}
