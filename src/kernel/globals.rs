//! The C types of the kernel globals modcrash reads, declared once for the path without a
//! vmlinux. Kernel BTF describes types but no global variables (pahole emits VAR only for
//! per-CPU data), so where DWARF would say what `tainted_mask` is, this table says it, as the
//! kernel source declares it; the named types themselves (`struct list_head`, `atomic_long_t`,
//! `struct taint_flag`) are resolved through the dump's BTF, so their sizes and members are the
//! kernel's own.
//!
//! An array whose length is a compile-time constant BTF cannot give (TAINT_FLAGS_COUNT, NR_CPUS,
//! MAX_NUMNODES) is sized by its symbol's extent in kallsyms (the distance to the next symbol, an
//! upper bound), and is marked so: its reader validates entries (taint_flags[]) or another bound
//! is applied (see [`Decl`]). Never a guess at a constant.

/// How a global's type is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decl {
    /// A type by its C spelling, looked up in BTF.
    Named(&'static str),
    /// `ELEM name[N]` with N not in BTF: N is the symbol's extent / sizeof(ELEM), an upper bound.
    ArrayToExtent(&'static str),
    /// `struct T *name[N]`, N from the extent.
    PtrArrayToExtent(&'static str),
    /// `unsigned long __per_cpu_offset[NR_CPUS]`: N is the extent / 8, capped by NR_CPUS
    /// rounded up to a multiple of 64, which BTF gives as the bits of `struct cpumask`
    /// (`DECLARE_BITMAP(bits, NR_CPUS)`); the two agree on every distro config (NR_CPUS a
    /// multiple of 64, the array followed by the next symbol).
    PerCpuOffset,
    /// kernel/module/main.c `last_unloaded_module`: `struct { char name[MODULE_NAME_LEN + 1];
    /// char taints[MODULE_FLAGS_BUF_SIZE]; }` (6.1+), or `char [MODULE_NAME_LEN + 1]` before
    /// (told apart by the extent); MODULE_NAME_LEN is the size of `struct module.name` in BTF.
    LastUnloadedModule,
}

/// Every global the kernel layer reads by name, with its declaration.
pub const GLOBALS: &[(&str, Decl)] = &[
    // kernel/module/main.c: LIST_HEAD(modules)
    ("modules", Decl::Named("struct list_head")),
    // kernel/module/tracking.c (5.19+): static LIST_HEAD(unloaded_tainted_modules)
    ("unloaded_tainted_modules", Decl::Named("struct list_head")),
    // kernel/module/stats.c (6.4+): static LIST_HEAD(dup_failed_modules)
    ("dup_failed_modules", Decl::Named("struct list_head")),
    // kernel/panic.c: unsigned long tainted_mask
    ("tainted_mask", Decl::Named("unsigned long")),
    // kernel/panic.c: const struct taint_flag taint_flags[TAINT_FLAGS_COUNT]
    ("taint_flags", Decl::ArrayToExtent("struct taint_flag")),
    ("last_unloaded_module", Decl::LastUnloadedModule),
    // kernel/module/stats.c (6.4+): the counters, atomic_long_t and atomic_t.
    ("total_mod_size", Decl::Named("atomic_long_t")),
    ("total_text_size", Decl::Named("atomic_long_t")),
    ("invalid_kread_bytes", Decl::Named("atomic_long_t")),
    ("invalid_decompress_bytes", Decl::Named("atomic_long_t")),
    ("invalid_becoming_bytes", Decl::Named("atomic_long_t")),
    ("invalid_mod_bytes", Decl::Named("atomic_long_t")),
    ("modcount", Decl::Named("atomic_t")),
    ("failed_kreads", Decl::Named("atomic_t")),
    ("failed_decompress", Decl::Named("atomic_t")),
    ("failed_becoming", Decl::Named("atomic_t")),
    ("failed_load_modules", Decl::Named("atomic_t")),
    // arch/x86/mm/numa.c: struct pglist_data *node_data[MAX_NUMNODES] (VMCOREINFO's
    // LENGTH(node_data) is used first).
    ("node_data", Decl::PtrArrayToExtent("struct pglist_data")),
    // arch/x86/kernel/setup_percpu.c: unsigned long __per_cpu_offset[NR_CPUS]
    ("__per_cpu_offset", Decl::PerCpuOffset),
];

/// The declaration of `name`, if modcrash reads it.
pub fn declaration(name: &str) -> Option<Decl> {
    GLOBALS.iter().find(|(n, _)| *n == name).map(|&(_, d)| d)
}
