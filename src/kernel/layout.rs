//! Every kernel struct field modcrash reads, declared in one place and resolved once per kernel
//! through its type source ([`Layouts`], cached in the [`Kernel`]). Fields that differ between
//! kernel versions are optional, with the commit that changed them. To read a new field of a
//! struct, add it here and to the typed object in `src/kernel/objects/` that returns it.

use super::context::Kernel;
use super::error::ReadError;
use crate::symbols::{Hint, SymError, Type, TypeSource};
use std::sync::{Arc, OnceLock};

/// A member: its byte offset and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub offset: u64,
    pub size: u64,
    /// Integer signedness, seen through typedefs and atomic wrappers.
    pub signed: bool,
}

/// A member's offset, size and signedness.
pub(crate) fn field(ty: &Type, path: &str) -> Result<Field, SymError> {
    let m = ty.member(path)?;
    let scalar = m.ty.scalar();
    Ok(Field {
        offset: m.offset,
        size: m.size.or(scalar.map(|s| s.size)).unwrap_or(0),
        signed: scalar.map(|s| s.signed).unwrap_or(false),
    })
}

/// A member's [`Field`], or None when the struct has no such member (or it cannot be placed).
pub(crate) fn opt_field(ty: &Type, path: &str) -> Option<Field> {
    if ty.has_member(path) {
        field(ty, path).ok()
    } else {
        None
    }
}

/// A `char name[N]` member: offset and N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CharArray {
    pub offset: u64,
    pub len: u64,
}

fn char_array(ty: &Type, path: &str) -> Result<CharArray, SymError> {
    let m = ty.member(path)?;
    Ok(CharArray {
        offset: m.offset,
        len: m.size.unwrap_or(0).min(4096),
    })
}

/// Where a module's memory regions are described.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Regions {
    /// Before 6.4: `struct module_layout core_layout, init_layout` (and data_layout on some
    /// architectures), each `{ void *base; unsigned int size; ... }`.
    Layout {
        core: u64,
        init: u64,
        data: Option<u64>,
        base: u64,
        size: Field,
    },
    /// 6.4+ (commit ac3b43283923 "module: replace module_layout with module_memory"):
    /// `struct module_memory mem[MOD_MEM_NUM_TYPES]`, summed for /proc/modules, MOD_TEXT's base.
    Mem {
        offset: u64,
        stride: u64,
        count: u64,
        base: u64,
        size: Field,
        text_index: u64,
    },
}

#[derive(Clone, Debug)]
pub struct ModuleLayout {
    pub state: Field,
    pub list: u64,
    pub name: CharArray,
    pub taints: Field,
    pub refcnt: Option<Field>,
    pub version: Option<u64>,
    pub srcversion: Option<u64>,
    pub source_list: Option<u64>,
    pub init: Option<u64>,
    pub exit: Option<u64>,
    pub regions: Regions,
    /// `struct mod_kallsyms *kallsyms` (CONFIG_KALLSYMS): after init it points at
    /// `core_kallsyms`, the symbols kept for the module's lifetime.
    pub kallsyms: Option<u64>,
    /// `const struct kernel_symbol *syms` and `unsigned int num_syms`: the module's exports.
    pub syms: Option<u64>,
    pub num_syms: Option<Field>,
    /// `gpl_syms`/`num_gpl_syms`: EXPORT_SYMBOL_GPL exports (their own section up to 6.x; later
    /// kernels mark GPL-ness per symbol and keep one table).
    pub gpl_syms: Option<u64>,
    pub num_gpl_syms: Option<Field>,
    /// sizeof(struct module).
    pub size: u64,
    /// MODULE_STATE_* enumerators.
    pub state_live: i64,
    pub state_coming: i64,
    pub state_going: i64,
    pub state_unformed: i64,
}

/// `struct module_use { struct list_head source_list, target_list; struct module *source, *target; }`
#[derive(Clone, Copy, Debug)]
pub struct ModuleUseLayout {
    pub source_list: u64,
    pub source: u64,
}

/// `struct taint_flag`: `{ char c_true, c_false; bool module; }` in 6.1; `desc` added in 6.11
/// (commit 2d6b01b3bfa7 "panic: add taint_flag description"); `module` removed in 7.x.
#[derive(Clone, Copy, Debug)]
pub struct TaintFlagLayout {
    pub size: u64,
    pub c_true: u64,
    pub c_false: u64,
    pub module: Option<u64>,
    pub desc: Option<u64>,
}

/// kernel/module/internal.h `struct mod_unload_taint` (5.19+, CONFIG_MODULE_UNLOAD_TAINT_TRACKING).
#[derive(Clone, Copy, Debug)]
pub struct ModUnloadTaintLayout {
    pub list: u64,
    pub name: CharArray,
    pub taints: Field,
    pub count: Field,
}

/// kernel/module/stats.c `struct mod_fail_load` (6.4+, CONFIG_MODULE_STATS).
#[derive(Clone, Copy, Debug)]
pub struct ModFailLoadLayout {
    pub list: u64,
    pub name: CharArray,
    pub count: Field,
    pub dup_fail_mask: Field,
}

/// include/linux/module.h `struct mod_kallsyms { Elf_Sym *symtab; unsigned int num_symtab;
/// char *strtab; char *typetab; }` (typetab since 4.11, commit 1c7651f43777).
#[derive(Clone, Copy, Debug)]
pub struct ModKallsymsLayout {
    pub size: u64,
    pub symtab: u64,
    pub num_symtab: Field,
    pub strtab: u64,
    pub typetab: Option<u64>,
}

/// include/linux/export.h `struct kernel_symbol`: with CONFIG_HAVE_ARCH_PREL32_RELOCATIONS
/// (x86_64) `{ int value_offset, name_offset, namespace_offset; }`, each relative to its own
/// address (commit 7290d5809571); otherwise `{ unsigned long value; const char *name; ... }`.
#[derive(Clone, Copy, Debug)]
pub struct KernelSymbolLayout {
    pub size: u64,
    pub value: Field,
    pub name: Field,
    /// True for the PREL32 form: value/name are s32 offsets from the field's own address.
    pub prel32: bool,
}

/// `Elf64_Sym` (ELF ABI, not kernel-specific): st_name u32 @0, st_info u8 @4, st_other u8 @5,
/// st_shndx u16 @6, st_value u64 @8, st_size u64 @16.
pub const ELF64_SYM_SIZE: u64 = 24;

const MAIN_C: &str = "kernel/module/main.c";

impl ModuleLayout {
    pub fn resolve(vm: &dyn TypeSource) -> Result<ModuleLayout, SymError> {
        let hint = Hint::File(MAIN_C);
        let t = vm.find_struct("module", hint)?;
        let regions = if t.has_member("mem") {
            let mem = t.member("mem")?;
            let count = mem.ty.array_len().unwrap_or(0);
            let elem = mem
                .ty
                .array_elem()
                .ok_or_else(|| SymError::MemberNotFound {
                    ty: "struct module".into(),
                    path: "mem".into(),
                    why: "mem is not an array".into(),
                })?;
            let stride = elem.size().unwrap_or(0);
            Regions::Mem {
                offset: mem.offset,
                stride,
                count,
                base: elem.member_offset("base")?,
                size: field(&elem, "size")?,
                text_index: vm.enumerator("MOD_TEXT", hint).unwrap_or(0) as u64,
            }
        } else {
            let core = t.member("core_layout")?;
            let lt = core.ty.clone();
            Regions::Layout {
                core: core.offset,
                init: t.member_offset("init_layout")?,
                data: opt_field(&t, "data_layout").map(|f| f.offset),
                base: lt.member_offset("base")?,
                size: field(&lt, "size")?,
            }
        };
        let e = |n: &str| vm.enumerator(n, hint);
        Ok(ModuleLayout {
            state: field(&t, "state")?,
            list: t.member_offset("list")?,
            name: char_array(&t, "name")?,
            taints: field(&t, "taints")?,
            refcnt: opt_field(&t, "refcnt"),
            version: opt_field(&t, "version").map(|f| f.offset),
            srcversion: opt_field(&t, "srcversion").map(|f| f.offset),
            source_list: opt_field(&t, "source_list").map(|f| f.offset),
            init: opt_field(&t, "init").map(|f| f.offset),
            exit: opt_field(&t, "exit").map(|f| f.offset),
            regions,
            kallsyms: opt_field(&t, "kallsyms").map(|f| f.offset),
            syms: opt_field(&t, "syms").map(|f| f.offset),
            num_syms: opt_field(&t, "num_syms"),
            gpl_syms: opt_field(&t, "gpl_syms").map(|f| f.offset),
            num_gpl_syms: opt_field(&t, "num_gpl_syms"),
            size: t.size().unwrap_or(0),
            state_live: e("MODULE_STATE_LIVE")?,
            state_coming: e("MODULE_STATE_COMING")?,
            state_going: e("MODULE_STATE_GOING")?,
            state_unformed: e("MODULE_STATE_UNFORMED")?,
        })
    }
}

impl ModuleUseLayout {
    pub fn resolve(vm: &dyn TypeSource) -> Result<ModuleUseLayout, SymError> {
        let t = vm.find_struct("module_use", Hint::File(MAIN_C))?;
        Ok(ModuleUseLayout {
            source_list: t.member_offset("source_list")?,
            source: t.member_offset("source")?,
        })
    }
}

impl TaintFlagLayout {
    pub fn resolve(elem: &Type) -> Result<TaintFlagLayout, SymError> {
        Ok(TaintFlagLayout {
            size: elem.size().unwrap_or(0),
            c_true: elem.member_offset("c_true")?,
            c_false: elem.member_offset("c_false")?,
            module: opt_field(elem, "module").map(|f| f.offset),
            desc: opt_field(elem, "desc").map(|f| f.offset),
        })
    }
}

impl ModUnloadTaintLayout {
    pub fn resolve(vm: &dyn TypeSource) -> Result<ModUnloadTaintLayout, SymError> {
        let t = vm.find_struct("mod_unload_taint", Hint::File("kernel/module/tracking.c"))?;
        Ok(ModUnloadTaintLayout {
            list: t.member_offset("list")?,
            name: char_array(&t, "name")?,
            taints: field(&t, "taints")?,
            count: field(&t, "count")?,
        })
    }
}

impl ModFailLoadLayout {
    pub fn resolve(vm: &dyn TypeSource) -> Result<ModFailLoadLayout, SymError> {
        let t = vm.find_struct("mod_fail_load", Hint::File("kernel/module/stats.c"))?;
        Ok(ModFailLoadLayout {
            list: t.member_offset("list")?,
            name: char_array(&t, "name")?,
            count: field(&t, "count")?,
            dup_fail_mask: field(&t, "dup_fail_mask")?,
        })
    }
}

impl ModKallsymsLayout {
    pub fn resolve(vm: &dyn TypeSource) -> Result<ModKallsymsLayout, SymError> {
        let t = vm.find_struct("mod_kallsyms", Hint::File("kernel/module/kallsyms.c"))?;
        Ok(ModKallsymsLayout {
            size: t.size().unwrap_or(0),
            symtab: t.member_offset("symtab")?,
            num_symtab: field(&t, "num_symtab")?,
            strtab: t.member_offset("strtab")?,
            typetab: opt_field(&t, "typetab").map(|f| f.offset),
        })
    }
}

impl KernelSymbolLayout {
    pub fn resolve(vm: &dyn TypeSource) -> Result<KernelSymbolLayout, SymError> {
        let t = vm.find_struct("kernel_symbol", Hint::File(MAIN_C))?;
        let prel32 = t.has_member("value_offset");
        let (value, name) = if prel32 {
            ("value_offset", "name_offset")
        } else {
            ("value", "name")
        };
        Ok(KernelSymbolLayout {
            size: t.size().unwrap_or(0),
            value: field(&t, value)?,
            name: field(&t, name)?,
            prel32,
        })
    }
}

type Cell<T> = OnceLock<Result<T, Arc<SymError>>>;

/// The layouts of one kernel, each resolved on first use.
#[derive(Default)]
pub struct Layouts {
    module: Cell<ModuleLayout>,
    module_use: Cell<ModuleUseLayout>,
    unload_taint: Cell<ModUnloadTaintLayout>,
    fail_load: Cell<ModFailLoadLayout>,
    kallsyms: Cell<ModKallsymsLayout>,
    kernel_symbol: Cell<KernelSymbolLayout>,
}

fn cached<T>(
    cell: &Cell<T>,
    resolve: impl FnOnce() -> Result<T, SymError>,
) -> Result<&T, ReadError> {
    cell.get_or_init(|| resolve().map_err(Arc::new))
        .as_ref()
        .map_err(|e| ReadError::Sym(e.clone()))
}

impl Kernel<'_> {
    pub fn module_layout(&self) -> Result<&ModuleLayout, ReadError> {
        cached(&self.layouts().module, || {
            ModuleLayout::resolve(self.types())
        })
    }
    pub fn module_use_layout(&self) -> Result<&ModuleUseLayout, ReadError> {
        cached(&self.layouts().module_use, || {
            ModuleUseLayout::resolve(self.types())
        })
    }
    pub fn unload_taint_layout(&self) -> Result<&ModUnloadTaintLayout, ReadError> {
        cached(&self.layouts().unload_taint, || {
            ModUnloadTaintLayout::resolve(self.types())
        })
    }
    pub fn fail_load_layout(&self) -> Result<&ModFailLoadLayout, ReadError> {
        cached(&self.layouts().fail_load, || {
            ModFailLoadLayout::resolve(self.types())
        })
    }
    pub fn mod_kallsyms_layout(&self) -> Result<&ModKallsymsLayout, ReadError> {
        cached(&self.layouts().kallsyms, || {
            ModKallsymsLayout::resolve(self.types())
        })
    }
    pub fn kernel_symbol_layout(&self) -> Result<&KernelSymbolLayout, ReadError> {
        cached(&self.layouts().kernel_symbol, || {
            KernelSymbolLayout::resolve(self.types())
        })
    }
}
