//! Errors of the BTF reader: each names the kernel virtual address of the bytes at fault.

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BtfError {
    #[error("BTF at {at:#x}: {what}; the dump's BTF is damaged: pass the kernel's debug vmlinux instead")]
    Corrupt { at: u64, what: String },
    #[error("BTF at {at:#x}: type id {id} is not one of its {count} types; the dump's BTF is damaged: pass the kernel's debug vmlinux instead")]
    BadId { at: u64, id: u32, count: u32 },
    #[error("BTF at {at:#x}: type nesting deeper than {limit} while resolving {what}; the BTF is cyclic or damaged")]
    TooDeep { at: u64, limit: usize, what: String },
    #[error(
        "BTF at {at:#x}: resolving {what} needs more than {limit} type nodes; the BTF is damaged"
    )]
    TooLarge { at: u64, limit: usize, what: String },
    #[error("BTF at {at:#x}: no {kind} named {name}; this kernel does not have it (or pass its debug vmlinux)")]
    NotFound {
        at: u64,
        kind: &'static str,
        name: String,
    },
}
