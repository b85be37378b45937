//! A loaded module's own symbols: its kallsyms (`mod->kallsyms`, the `Elf64_Sym` table kept for
//! the module's lifetime) and its exports (`mod->syms`, `mod->gpl_syms`). Needs no debug info
//! of the module: only `struct module`, `struct mod_kallsyms` and `struct kernel_symbol`.

use crate::addr::Va;
use crate::kernel::bytes::decode_int;
use crate::kernel::error::ReadError;
use crate::kernel::layout::{Field, ModuleLayout, ELF64_SYM_SIZE};
use crate::kernel::Kernel;

/// Bounds on what is read to find a symbol.
const MAX_SYMTAB: u64 = 1_000_000;
const MAX_EXPORTS: u64 = 100_000;
/// `Elf64_Sym` entries read per chunk: bounded memory, and one bad page costs one chunk.
const SYMTAB_CHUNK: u64 = 4096;

/// A module symbol found by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModuleSymbol {
    pub addr: Va,
    /// `st_size` (kallsyms only; exports carry no size).
    pub size: Option<u64>,
    /// "kallsyms" or "exports".
    pub via: &'static str,
}

fn shape(what: &str, problem: impl Into<String>) -> ReadError {
    ReadError::Shape {
        what: what.into(),
        problem: problem.into(),
    }
}

impl Kernel<'_> {
    /// `name` in the kallsyms of the module at `module`, among symbols whose `st_size` `fits`.
    pub fn module_kallsyms_lookup(
        &self,
        module: Va,
        l: &ModuleLayout,
        name: &str,
        fits: impl Fn(u64) -> bool,
    ) -> Result<Option<ModuleSymbol>, ReadError> {
        let Some(off) = l.kallsyms else {
            return Err(shape(
                "struct module",
                "has no kallsyms member (CONFIG_KALLSYMS off)",
            ));
        };
        let kl = self.mod_kallsyms_layout()?;
        let mem = self.mem();
        let p = mem.u64(module.wrapping_add(off), "module.kallsyms")?;
        if p == 0 {
            return Err(shape("module.kallsyms", "is NULL"));
        }
        let ks = mem.read_struct(Va(p), kl.size.max(32), "struct mod_kallsyms")?;
        let (symtab, strtab) = (ks.ptr(kl.symtab), ks.ptr(kl.strtab));
        let n = ks.uint(kl.num_symtab);
        if n > MAX_SYMTAB {
            return Err(shape(
                &format!("mod_kallsyms at {p:#x}"),
                format!("num_symtab {n} is implausible (more than {MAX_SYMTAB})"),
            ));
        }
        let want = format!("{name}\0");
        let mut i = 0;
        while i < n {
            let m = SYMTAB_CHUNK.min(n - i);
            let tab = mem.read_vec(
                Va(symtab).wrapping_add(i * ELF64_SYM_SIZE),
                (m * ELF64_SYM_SIZE) as usize,
                "module symtab",
            )?;
            for s in tab.chunks_exact(ELF64_SYM_SIZE as usize) {
                // Elf64_Sym: st_name u32 @0, st_value u64 @8, st_size u64 @16.
                let st_name = decode_int(&s[0..4], false) as u64;
                let st_value = decode_int(&s[8..16], false) as u64;
                let st_size = decode_int(&s[16..24], false) as u64;
                if st_name == 0 || !fits(st_size) {
                    continue;
                }
                let at = Va(strtab).wrapping_add(st_name);
                if mem
                    .read_vec(at, want.len(), "module strtab")
                    .is_ok_and(|b| b == want.as_bytes())
                {
                    return Ok(Some(ModuleSymbol {
                        addr: Va(st_value),
                        size: Some(st_size),
                        via: "kallsyms",
                    }));
                }
            }
            i += m;
        }
        Ok(None)
    }

    /// `name` among the exports of the module at `module` (EXPORT_SYMBOL_GPL: `mod->gpl_syms`
    /// where the kernel keeps GPL exports apart, then `mod->syms`).
    pub fn module_export_lookup(
        &self,
        module: Va,
        l: &ModuleLayout,
        name: &str,
    ) -> Result<Option<ModuleSymbol>, ReadError> {
        let tables: Vec<_> = [
            (l.gpl_syms, l.num_gpl_syms, "gpl_syms"),
            (l.syms, l.num_syms, "syms"),
        ]
        .into_iter()
        .filter_map(|(p, n, what)| Some((p?, n?, what)))
        .collect();
        if tables.is_empty() {
            return Err(shape("struct module", "has no syms/num_syms"));
        }
        let sl = self.kernel_symbol_layout()?;
        if sl.size == 0 {
            return Err(shape("struct kernel_symbol", "has no size"));
        }
        let mem = self.mem();
        let want = format!("{name}\0");
        for (syms, num, what) in tables {
            let base = mem.u64(module.wrapping_add(syms), what)?;
            let n = mem.int(module.wrapping_add(num.offset), num.size, false, what)? as u64;
            if n > MAX_EXPORTS {
                return Err(shape(
                    &format!("module.{what}"),
                    format!("{n} exports is implausible"),
                ));
            }
            if n == 0 || base == 0 {
                continue;
            }
            for i in 0..n {
                let e = mem.read_struct(
                    Va(base).wrapping_add(i * sl.size),
                    sl.size,
                    "module exports",
                )?;
                let get = |f: Field| -> u64 {
                    if sl.prel32 {
                        // PREL32: a signed offset from the field's own address.
                        let v = e.int(Field { signed: true, ..f });
                        e.at(f.offset).0.wrapping_add(v as u64)
                    } else {
                        e.uint(f)
                    }
                };
                if mem
                    .read_vec(Va(get(sl.name)), want.len(), "export name")
                    .is_ok_and(|b| b == want.as_bytes())
                {
                    return Ok(Some(ModuleSymbol {
                        addr: Va(get(sl.value)),
                        size: None,
                        via: "exports",
                    }));
                }
            }
        }
        Ok(None)
    }
}
