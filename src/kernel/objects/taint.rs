//! The kernel's taint: `taint_flags[]` (letters, per-module rule, description) and `tainted_mask`.

use crate::kernel::error::ReadError;
use crate::kernel::layout::TaintFlagLayout;
use crate::kernel::Kernel;
use serde::Serialize;

const PANIC_C: &str = "kernel/panic.c";
/// TAINT_FLAGS_COUNT is 19 in 6.1 and 20 in 6.12; a longer array is not a taint_flags[].
const MAX_TAINT_FLAGS: u64 = 64;
const MAX_DESC: usize = 256;

/// One entry of the kernel's `taint_flags[]`, as the dump has it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TaintFlag {
    pub bit: u32,
    pub c_true: char,
    pub c_false: char,
    /// Whether the flag is shown per module (6.1..6.x `module` member; absent in 7.x: every bit).
    pub module: Option<bool>,
    /// `desc` member (6.11+).
    pub desc: Option<String>,
}

impl Kernel<'_> {
    /// `taint_flags[]`, read from the dump (so vendor kernels' extra bits get their own letters).
    pub fn taint_flags(&self) -> Result<Vec<TaintFlag>, ReadError> {
        let v = self.types().variable("taint_flags", Some(PANIC_C))?;
        let (va, ty) = (v.addr.wrapping_add(self.kaslr_offset), v.ty);
        let shape = |problem: &str| ReadError::Shape {
            what: "taint_flags".into(),
            problem: problem.into(),
        };
        let count = ty
            .array_len()
            .ok_or_else(|| shape("is not an array"))?
            .min(MAX_TAINT_FLAGS);
        let elem = ty
            .array_elem()
            .ok_or_else(|| shape("has no element type"))?;
        let l = TaintFlagLayout::resolve(&elem)?;
        let mem = self.mem();
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count {
            let e = mem.read_struct(va.wrapping_add(i * l.size), l.size, "taint_flags[]")?;
            // Sized by the symbol's extent (no debug info): the padding after the last entry
            // is not an entry. Every kernel's letters are upper case.
            if v.len_is_bound && !e.byte(l.c_true).is_ascii_uppercase() {
                break;
            }
            let desc = l
                .desc
                .and_then(|o| mem.c_ptr_str(e.ptr(o), MAX_DESC, "taint_flag.desc").ok())
                .flatten();
            out.push(TaintFlag {
                bit: i as u32,
                c_true: e.byte(l.c_true) as char,
                c_false: e.byte(l.c_false) as char,
                module: l.module.map(|o| e.byte(o) != 0),
                desc,
            });
        }
        Ok(out)
    }

    /// `tainted_mask`, as /proc/sys/kernel/tainted prints it.
    pub fn tainted_mask(&self) -> Result<u64, ReadError> {
        let (va, _) = self.var("tainted_mask", Some(PANIC_C))?;
        Ok(self.mem().u64(va, "tainted_mask")?)
    }
}
