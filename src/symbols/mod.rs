//! vmlinux symbols and types: ELF symbol table, build-id, banner, and DWARF types resolved
//! lazily, one compile unit at a time.
//!
//! ```no_run
//! use modcrash::symbols::{Hint, Vmlinux};
//! let vm = Vmlinux::open("vmlinux")?;
//! let module = vm.find_struct("module", Hint::File("kernel/module/main.c"))?;
//! let taints = module.member_offset("taints")?;
//! let flags = vm.variable("taint_flags", Some("kernel/panic.c"))?;
//! let count = flags.ty.array_len();
//! # Ok::<(), modcrash::symbols::SymError>(())
//! ```
//!
//! Nothing is indexed up front. Unit headers and root DIE names are read in order as far as a
//! query needs (`dwarf/table.rs`); a unit's name index is built when a query needs that unit.
//! Callers pass hints (a source file, or a symbol) to say which unit to look in (`lookup.rs`,
//! and `variable.rs` for variables); without one, or when the hint's units lack the name, the
//! search falls back to scanning units in order, which is correct but slow on a large vmlinux.

pub mod btf;
mod dwarf;
mod elf;
mod error;
mod lookup;
pub mod name_index;
mod source;
mod types;
mod variable;

use std::path::Path;

use crate::addr::Va;
use dwarf::DwarfData;
use elf::ElfInfo;

pub use elf::{SymBinding, SymKind, Symbol};
pub use error::SymError;
pub use source::{SymbolSource, TypeSource};
pub use types::{
    BitField, Composite, Encoding, EnumType, Member, MemberInfo, Scalar, Type, TypeRef,
};

/// Which compile unit to look in first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint<'a> {
    /// No idea: search units in order (slow on a full vmlinux).
    Any,
    /// A source path or suffix of one: "kernel/module/main.c", "module/stats.c", "panic.c".
    File(&'a str),
    /// The unit defining this symbol: a function (via .debug_aranges) or a static (via the
    /// `STT_FILE` symbol preceding it).
    Symbol(&'a str),
    /// Like `File`, but never fall back to other units: a miss is reported at once. Use it to
    /// probe for something that may not exist in this kernel version (e.g. `MOD_TEXT`).
    Only(&'a str),
}

/// A variable: link-time address from the symbol table, type from DWARF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// The C name (a function-scope static `x` may be the ELF symbol `x.0`).
    pub name: String,
    /// The ELF symbol name, when a symbol was found.
    pub symbol: Option<String>,
    /// Link-time address (add the KASLR offset for the runtime one).
    pub addr: Va,
    /// `st_size` of the symbol, when there is one.
    pub sym_size: Option<u64>,
    pub binding: Option<SymBinding>,
    /// The compile unit the type came from (e.g. "kernel/module/tracking.c").
    pub unit: Option<String>,
    pub ty: Type,
    /// The array length in `ty` is an upper bound (the symbol's extent to the next symbol, when
    /// no debug info gives the declared length): a reader stops at the first entry that is not
    /// one.
    pub len_is_bound: bool,
}

/// Owned description of a resolved member path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    pub offset: u64,
    pub size: Option<u64>,
    pub bitfield: Option<BitField>,
    /// C spelling of the member type, e.g. "atomic_long_t".
    pub type_summary: String,
    /// Integer view (size, signedness), seeing through atomic wrappers.
    pub scalar: Option<Scalar>,
    pub ty: Type,
}

/// Where the vmlinux bytes live. Declared last in [`Vmlinux`] so it is dropped after every
/// field that borrows from it.
enum Backing {
    Map(#[allow(dead_code)] memmap2::Mmap),
    Bytes(#[allow(dead_code)] Box<[u8]>),
}

/// A vmlinux opened for symbol and type lookups.
pub struct Vmlinux {
    elf: ElfInfo,
    dwarf: DwarfData,
    _backing: Backing,
}

impl std::fmt::Debug for Vmlinux {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vmlinux")
            .field("file", &self.elf.file)
            .finish_non_exhaustive()
    }
}

impl Vmlinux {
    /// Map and parse a vmlinux file. Only headers are read here; symbols and DWARF are parsed
    /// on first use.
    pub fn open(path: impl AsRef<Path>) -> Result<Vmlinux, SymError> {
        let path = path.as_ref();
        let io = |source| SymError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        // SAFETY: the usual mmap caveat: the file must not be truncated or modified while mapped.
        // vmlinux files are read-only build artefacts.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        // Lookups hop around a large file; do not read ahead megabytes per fault.
        // let _ = map.advise(memmap2::Advice::Random);
        // SAFETY: the mapping is owned by `_backing` below, which outlives `elf` and `dwarf` (field
        // drop order) and never moves its bytes. No public method hands out a `'static` borrow:
        // every returned reference is tied to `&self`.
        let data: &'static [u8] = unsafe { std::slice::from_raw_parts(map.as_ptr(), map.len()) };
        Self::build(
            &path.display().to_string(),
            data,
            Backing::Map(map),
            Some(file),
        )
    }

    /// Parse a vmlinux held in memory (tests, or a file already read). `name` is used in messages.
    pub fn from_bytes(bytes: Vec<u8>, name: &str) -> Result<Vmlinux, SymError> {
        let boxed = bytes.into_boxed_slice();
        // SAFETY: as in `open`: the heap allocation is owned by `_backing`, is never mutated or
        // moved, and is dropped after the borrowing fields.
        let data: &'static [u8] =
            unsafe { std::slice::from_raw_parts(boxed.as_ptr(), boxed.len()) };
        Self::build(name, data, Backing::Bytes(boxed), None)
    }

    fn build(
        name: &str,
        data: &'static [u8],
        backing: Backing,
        file: Option<std::fs::File>,
    ) -> Result<Vmlinux, SymError> {
        let elf = ElfInfo::parse(name, data)?;
        if elf.e_type == object::elf::ET_REL
            && (elf.has_section(".rela.debug_info") || elf.has_section(".rel.debug_info"))
        {
            return Err(SymError::BadElf {
                file: name.to_string(),
                what: "relocatable object (ET_REL) whose debug info needs relocations applied".into(),
                todo: "this reader handles a linked vmlinux (ET_EXEC) only; pass the vmlinux, not a .ko",
            });
        }
        let dwarf = DwarfData::load(&elf, file)?;
        Ok(Vmlinux {
            elf,
            dwarf,
            _backing: backing,
        })
    }

    /// The path or name given at open.
    pub fn file_name(&self) -> &str {
        &self.elf.file
    }

    /// Whether the file is memory-mapped (as opposed to held in a heap buffer).
    pub fn is_mapped(&self) -> bool {
        matches!(self._backing, Backing::Map(_))
    }

    /// Does the file carry DWARF (.debug_info)?
    pub fn has_debug_info(&self) -> bool {
        self.dwarf.has_debug_info()
    }

    // ---- ELF symbols ------------------------------------------------------------------------

    /// Every symbol named exactly `name` (globals and locals; a local carries its `STT_FILE`).
    pub fn symbols(&self, name: &str) -> Result<Vec<Symbol<'_>>, SymError> {
        Ok(self.elf.symtab()?.lookup(name))
    }

    /// Every symbol named `name.SUFFIX` (GCC's names for function-scope statics, `.constprop.0` ...).
    pub fn symbols_suffixed(&self, name: &str) -> Result<Vec<Symbol<'_>>, SymError> {
        Ok(self.elf.symtab()?.lookup_suffixed(name))
    }

    /// Number of .symtab entries.
    pub fn symbol_count(&self) -> Result<usize, SymError> {
        Ok(self.elf.symtab()?.len())
    }

    /// All symbols in .symtab order.
    pub fn all_symbols(&self) -> Result<impl Iterator<Item = Symbol<'_>> + '_, SymError> {
        Ok(self.elf.symtab()?.iter())
    }

    /// The one defined symbol named `name`; a global is preferred over same-named locals.
    pub fn symbol(&self, name: &str) -> Result<Symbol<'_>, SymError> {
        let all: Vec<_> = self
            .symbols(name)?
            .into_iter()
            .filter(|s| s.shndx != object::elf::SHN_UNDEF)
            .collect();
        let globals: Vec<_> = all
            .iter()
            .filter(|s| s.binding != SymBinding::Local)
            .copied()
            .collect();
        let pick = if globals.len() == 1 { globals } else { all };
        match pick.as_slice() {
            [one] => Ok(*one),
            [] => Err(SymError::SymbolNotFound {
                file: self.elf.file.clone(),
                name: name.to_string(),
                detail: String::new(),
            }),
            many => Err(SymError::AmbiguousSymbol {
                file: self.elf.file.clone(),
                name: name.to_string(),
                candidates: describe(many),
            }),
        }
    }

    /// Link-time address of the unique symbol `name`.
    pub fn symbol_addr(&self, name: &str) -> Result<Va, SymError> {
        Ok(Va(self.symbol(name)?.addr))
    }

    /// `_stext` (link-time), the anchor for computing the KASLR offset.
    pub fn stext(&self) -> Result<Va, SymError> {
        self.symbol_addr("_stext")
    }

    /// `_text` (link-time).
    pub fn text(&self) -> Result<Va, SymError> {
        self.symbol_addr("_text")
    }

    /// The GNU build-id as lower-case hex, if the file has one.
    pub fn build_id(&self) -> Option<String> {
        self.elf.build_id()
    }

    /// Initialised bytes of the image at a link-time address (from the file, not a dump).
    pub fn image_bytes(&self, addr: Va, len: u64) -> Result<&[u8], SymError> {
        self.elf.bytes_at(addr.0, len, "image bytes")
    }

    /// The initial `linux_banner` string ("Linux version 6.1.0-56-cloud-amd64 (...) ...\n").
    pub fn linux_banner(&self) -> Result<String, SymError> {
        let sym = self.symbol("linux_banner")?;
        let max = if sym.size > 0 { sym.size } else { 1024 };
        let bytes = self
            .elf
            .bytes_from(sym.addr, max)
            .ok_or_else(|| SymError::NotInImage {
                file: self.elf.file.clone(),
                addr: sym.addr,
                len: max,
                what: "linux_banner".into(),
            })?;
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Ok(String::from_utf8_lossy(&bytes[..end]).into_owned())
    }

    /// The kernel release from `linux_banner` ("6.1.0-56-cloud-amd64").
    pub fn release(&self) -> Result<String, SymError> {
        let banner = self.linux_banner()?;
        release_of_banner(&banner)
            .map(str::to_string)
            .ok_or_else(|| SymError::BadElf {
                file: self.elf.file.clone(),
                what: format!("linux_banner does not start with \"Linux version \": {banner:?}"),
                todo: "check this is a Linux vmlinux",
            })
    }
}

/// The release in a `linux_banner` ("Linux version 6.1.0-56-cloud-amd64 (...)" -> the second
/// word), for every symbol source.
pub fn release_of_banner(banner: &str) -> Option<&str> {
    banner
        .strip_prefix("Linux version ")
        .and_then(|r| r.split_whitespace().next())
}

fn describe(syms: &[Symbol<'_>]) -> String {
    syms.iter()
        .map(|s| {
            format!(
                "{}@{:#x} ({:?}{})",
                s.name,
                s.addr,
                s.binding,
                s.file.map(|f| format!(", {f}")).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
