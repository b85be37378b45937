//! The one error type of the symbols layer.
//!
//! Every variant names the file, and where it makes sense the section and offset, what was
//! expected, and what the user can do about it. Underlying errors are kept as `#[source]`.

use std::path::PathBuf;

/// Errors from reading a vmlinux's ELF symbols and DWARF types.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SymError {
    /// The file could not be opened or mapped.
    #[error(
        "{path}: cannot open or map the vmlinux: {source}; check the path and its permissions"
    )]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The ELF headers could not be parsed.
    #[error(
        "{file}: not a readable 64-bit ELF file ({what}): {source}; pass the uncompressed vmlinux \
         with debug info (e.g. /usr/lib/debug/boot/vmlinux-* from the -dbg package), not a vmlinuz"
    )]
    Elf {
        file: String,
        what: &'static str,
        #[source]
        source: object::read::Error,
    },

    /// Something about the ELF file is unusable for us (not a parse error as such).
    #[error("{file}: {what}; {todo}")]
    BadElf {
        file: String,
        what: String,
        todo: &'static str,
    },

    /// A section we need is absent.
    #[error("{file}: section {section} is missing ({why}); {todo}")]
    MissingSection {
        file: String,
        section: String,
        why: &'static str,
        todo: &'static str,
    },

    /// A debug section is compressed (SHF_COMPRESSED or .zdebug), which this reader does not inflate.
    #[error(
        "{file}: section {section} is compressed; decompress the vmlinux first \
         (objcopy --decompress-debug-sections vmlinux vmlinux.plain)"
    )]
    CompressedSection { file: String, section: String },

    /// gimli reported malformed or unsupported DWARF.
    #[error(
        "{file}: {section}+{offset:#x}: malformed or unsupported DWARF while reading {what}: {source}; \
         the vmlinux may be truncated or from an unsupported toolchain"
    )]
    Dwarf {
        file: String,
        section: &'static str,
        offset: u64,
        what: String,
        #[source]
        source: gimli::Error,
    },

    /// DWARF parsed, but did not have the shape we expected.
    #[error("{file}: {section}+{offset:#x}: {what}: expected {expected}")]
    UnexpectedDwarf {
        file: String,
        section: &'static str,
        offset: u64,
        what: String,
        expected: String,
    },

    /// Nesting deeper than the bound (malformed or cyclic DWARF).
    #[error(
        "{file}: .debug_info+{offset:#x}: type nesting deeper than {limit} while resolving {what}; \
         the DWARF is probably cyclic or corrupt"
    )]
    TooDeep {
        file: String,
        offset: u64,
        limit: usize,
        what: String,
    },

    /// No ELF symbol with that name.
    #[error("{file}: no symbol {name:?}{detail}; check the kernel config enables it and that this is the matching vmlinux")]
    SymbolNotFound {
        file: String,
        name: String,
        detail: String,
    },

    /// Several symbols match and no hint tells them apart.
    #[error("{file}: symbol {name:?} is ambiguous: {candidates}; pass the source file as a hint")]
    AmbiguousSymbol {
        file: String,
        name: String,
        candidates: String,
    },

    /// A named type could not be found in the searched units.
    #[error("{file}: no definition of {name} found (searched {searched}); pass a hint naming a source file that uses the type")]
    TypeNotFound {
        file: String,
        name: String,
        searched: String,
    },

    /// The DWARF variable entry for a symbol could not be found.
    #[error("{file}: no DWARF variable entry for {name:?} (searched {searched}); is the vmlinux built with CONFIG_DEBUG_INFO?")]
    VariableNotFound {
        file: String,
        name: String,
        searched: String,
    },

    /// An enumerator could not be found.
    #[error("{file}: no enumerator {name} found (searched {searched}); pass a hint naming a source file that uses the enum")]
    EnumeratorNotFound {
        file: String,
        name: String,
        searched: String,
    },

    /// No compile unit matches a source-file hint.
    #[error("{file}: no compile unit named like {hint:?} in .debug_info; check the spelling (e.g. \"kernel/module/main.c\")")]
    UnitNotFound { file: String, hint: String },

    /// A member path did not resolve against a type.
    #[error("no member {path:?} in {ty} ({why})")]
    MemberNotFound {
        ty: String,
        path: String,
        why: String,
    },

    /// The dump's BTF is unusable for a lookup (damaged, or lacks the type).
    #[error(transparent)]
    Btf(super::btf::BtfError),

    /// BTF describes no global variables (only per-CPU ones), so each global read without a
    /// vmlinux has its C type declared in src/kernel/globals.rs.
    #[error("{source_name}: no declared type for the global {name:?} (BTF describes types, not global variables); declare it in src/kernel/globals.rs, or pass the kernel's debug vmlinux")]
    NoDeclaration { source_name: String, name: String },

    /// Reading initialised bytes of the image at a link-time address failed.
    #[error("{file}: no file-backed section holds {len} bytes at {addr:#x} ({what}); the data is not initialised in the image")]
    NotInImage {
        file: String,
        addr: u64,
        len: u64,
        what: String,
    },
}

/// Errors of the dump's own kallsyms + BTF as a symbol and type source.
impl From<super::btf::BtfError> for SymError {
    fn from(e: super::btf::BtfError) -> SymError {
        SymError::Btf(e)
    }
}

impl SymError {
    pub(crate) fn dwarf(
        file: &str,
        offset: u64,
        what: impl Into<String>,
        source: gimli::Error,
    ) -> SymError {
        SymError::Dwarf {
            file: file.to_string(),
            section: ".debug_info",
            offset,
            what: what.into(),
            source,
        }
    }
}
