//! The two interfaces the kernel layer resolves names through: where symbols are
//! ([`SymbolSource`]) and what types look like ([`TypeSource`]). A debug vmlinux (ELF symbols +
//! DWARF) provides both today; the kernel's own kallsyms and BTF, or a host debugger's tables,
//! can stand in without the kernel layer or the analyses changing.

use super::{Hint, SymError, Type, Variable, Vmlinux};
use crate::addr::Va;

/// Symbol addresses and the identity of the kernel they describe.
pub trait SymbolSource: Send + Sync {
    /// What the symbols come from, for messages: "vmlinux build/vmlinux-6.1".
    fn describe(&self) -> String;
    /// Which kind of source: "vmlinux" (ELF symbols) or "kallsyms" (the dump's own).
    fn kind(&self) -> &'static str;
    /// Link-time address of a symbol (add the KASLR offset for the runtime one).
    fn symbol_addr(&self, name: &str) -> Result<Va, SymError>;
    /// The kernel's GNU build-id, hex, when the source knows it.
    fn build_id(&self) -> Option<String>;
    /// `uname -r` of the kernel the symbols are of.
    fn release(&self) -> Result<String, SymError>;
    /// The `linux_banner` string the kernel image holds.
    fn linux_banner(&self) -> Result<String, SymError>;
}

/// Types of structs, enumerators and variables.
pub trait TypeSource: Send + Sync {
    /// Which kind of source: "dwarf" (the vmlinux's debug info) or "btf" (the dump's own).
    fn kind(&self) -> &'static str;
    /// `struct NAME`, resolved (members, sizes, nested types).
    fn find_struct(&self, name: &str, hint: Hint<'_>) -> Result<Type, SymError>;
    /// The value of an enumerator (`MODULE_STATE_LIVE`).
    fn enumerator(&self, name: &str, hint: Hint<'_>) -> Result<i64, SymError>;
    /// The enum type that defines an enumerator (`PG_locked` -> `enum pageflags`).
    fn enum_of(&self, enumerator: &str, hint: Hint<'_>) -> Result<Type, SymError>;
    /// A data object: its link-time address and its type. `file` names the defining source and
    /// selects among same-named statics.
    fn variable(&self, name: &str, file: Option<&str>) -> Result<Variable, SymError>;
}

impl SymbolSource for Vmlinux {
    fn describe(&self) -> String {
        format!("vmlinux {}", self.file_name())
    }
    fn kind(&self) -> &'static str {
        "vmlinux"
    }
    fn symbol_addr(&self, name: &str) -> Result<Va, SymError> {
        Vmlinux::symbol_addr(self, name)
    }
    fn build_id(&self) -> Option<String> {
        Vmlinux::build_id(self)
    }
    fn release(&self) -> Result<String, SymError> {
        Vmlinux::release(self)
    }
    fn linux_banner(&self) -> Result<String, SymError> {
        Vmlinux::linux_banner(self)
    }
}

impl TypeSource for Vmlinux {
    fn kind(&self) -> &'static str {
        "dwarf"
    }
    fn find_struct(&self, name: &str, hint: Hint<'_>) -> Result<Type, SymError> {
        Vmlinux::find_struct(self, name, hint)
    }
    fn enumerator(&self, name: &str, hint: Hint<'_>) -> Result<i64, SymError> {
        Vmlinux::enumerator(self, name, hint)
    }
    fn enum_of(&self, enumerator: &str, hint: Hint<'_>) -> Result<Type, SymError> {
        Vmlinux::enum_of(self, enumerator, hint)
    }
    fn variable(&self, name: &str, file: Option<&str>) -> Result<Variable, SymError> {
        Vmlinux::variable(self, name, file)
    }
}
