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
//! Nothing is indexed up front. The unit table (every unit header and root DIE name, a few ms)
//! is built on the first DWARF query; a unit's name index is built when a query needs that unit.
//! Callers pass hints (a source file, or a symbol) to say which unit to look in; without one, or
//! when the hint's unit lacks the name, the search falls back to scanning units in order, which
//! is correct but slow on a large vmlinux.

mod dwarf;
mod elf;
mod error;

mod source;
mod types;

use std::path::Path;
use std::sync::Arc;

use gimli::UnitOffset;

use crate::addr::Va;
use dwarf::{basename, DieRef, DwarfData, NamedKind, UnitData, Want};
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
        banner
            .strip_prefix("Linux version ")
            .and_then(|r| r.split_whitespace().next())
            .map(str::to_string)
            .ok_or_else(|| SymError::BadElf {
                file: self.elf.file.clone(),
                what: format!("linux_banner does not start with \"Linux version \": {banner:?}"),
                todo: "check this is a Linux vmlinux",
            })
    }

    // ---- DWARF units -------------------------------------------------------------------------

    /// Number of compile units (builds the unit table).
    pub fn unit_count(&self) -> Result<usize, SymError> {
        Ok(self.dwarf.table()?.units.len())
    }

    /// Root DW_AT_name of each unit, in .debug_info order.
    pub fn unit_names(&self) -> Result<Vec<Option<&str>>, SymError> {
        Ok(self.dwarf.table()?.units.iter().map(|u| u.name).collect())
    }

    /// Units to try first for a hint.
    fn hint_units(&self, hint: Hint<'_>) -> Result<Vec<u32>, SymError> {
        match hint {
            Hint::Any => Ok(Vec::new()),
            Hint::File(p) | Hint::Only(p) => self.dwarf.units_by_path(p),
            Hint::Symbol(name) => {
                let mut out = Vec::new();
                for s in self.symbols(name)? {
                    if s.shndx == object::elf::SHN_UNDEF {
                        continue;
                    }
                    if let (SymBinding::Local, Some(f)) = (s.binding, s.file) {
                        out.extend(self.dwarf.units_by_path(basename(f))?);
                    }
                    if s.kind == SymKind::Func {
                        out.extend(self.dwarf.unit_for_address(s.addr)?);
                    }
                }
                out.sort_unstable();
                out.dedup();
                Ok(out)
            }
        }
    }

    /// All units in fallback order: those in the same directories as `first`, then the rest.
    /// Empty for [`Hint::Only`].
    fn fallback_order(&self, hint: Hint<'_>, first: &[u32]) -> Result<Vec<u32>, SymError> {
        if let Hint::Only(_) = hint {
            return Ok(Vec::new());
        }
        let t = self.dwarf.table()?;
        let dirs: Vec<&str> = first
            .iter()
            .filter_map(|&u| t.units.get(u as usize).and_then(|s| s.name))
            .filter_map(|n| n.rsplit_once('/').map(|(d, _)| d))
            .collect();
        let in_dirs = |u: &dwarf::UnitSlot| {
            u.name
                .and_then(|n| n.rsplit_once('/'))
                .is_some_and(|(d, _)| dirs.contains(&d))
        };
        let mut near = Vec::new();
        let mut far = Vec::new();
        for (i, u) in t.units.iter().enumerate() {
            let i = i as u32;
            if first.contains(&i) {
                continue;
            }
            if in_dirs(u) {
                near.push(i)
            } else {
                far.push(i)
            }
        }
        near.extend(far);
        Ok(near)
    }

    fn describe_hint(&self, hint: Hint<'_>, tried: &[u32], scanned: usize) -> String {
        let names: Vec<&str> = tried
            .iter()
            .take(4)
            .map(|&u| self.dwarf.unit_name(u).unwrap_or("<unnamed unit>"))
            .collect();
        format!(
            "hint {hint:?} -> units [{}]{}, then {scanned} other units",
            names.join(", "),
            if tried.len() > 4 { ", ..." } else { "" }
        )
    }

    // ---- Types ---------------------------------------------------------------------------------

    /// Find and resolve a named type: "struct module", "union foo", "enum module_state", or a
    /// typedef/base name ("atomic_t", "unsigned int"). A bare name with no keyword that is not a
    /// typedef or base type is also tried as a struct.
    pub fn find_type(&self, spec: &str, hint: Hint<'_>) -> Result<Type, SymError> {
        let (kinds, name): (&[NamedKind], &str) = if let Some(n) = spec.strip_prefix("struct ") {
            (&[NamedKind::Struct], n.trim())
        } else if let Some(n) = spec.strip_prefix("union ") {
            (&[NamedKind::Union], n.trim())
        } else if let Some(n) = spec.strip_prefix("enum ") {
            (&[NamedKind::Enum], n.trim())
        } else {
            (&[NamedKind::Typedef, NamedKind::Base], spec.trim())
        };
        let r = self.find_named_die(name, kinds, hint)?;
        self.dwarf.resolve_type(r, spec)
    }

    /// `struct NAME` (NAME without the keyword).
    pub fn find_struct(&self, name: &str, hint: Hint<'_>) -> Result<Type, SymError> {
        let r = self.find_named_die(name, &[NamedKind::Struct], hint)?;
        self.dwarf.resolve_type(r, &format!("struct {name}"))
    }

    /// Size in bytes of a named type (see [`Vmlinux::find_type`] for the spelling).
    pub fn sizeof(&self, spec: &str, hint: Hint<'_>) -> Result<u64, SymError> {
        let t = self.find_type(spec, hint)?;
        t.size().ok_or_else(|| SymError::MemberNotFound {
            ty: t.summary(),
            path: String::new(),
            why: "the type has no size (incomplete, void or flexible)".into(),
        })
    }

    /// Offset of a member path within a named type: `member_offset("struct module", "mem[1].size", ..)`.
    pub fn member_offset(&self, spec: &str, path: &str, hint: Hint<'_>) -> Result<u64, SymError> {
        self.find_type(spec, hint)?.member_offset(path)
    }

    /// Offset, size and type of a member path within a named type.
    pub fn member_info(
        &self,
        spec: &str,
        path: &str,
        hint: Hint<'_>,
    ) -> Result<FieldInfo, SymError> {
        let t = self.find_type(spec, hint)?;
        let m = t.member(path)?;
        Ok(FieldInfo {
            offset: m.offset,
            size: m.size,
            bitfield: m.bitfield,
            type_summary: m.ty.summary(),
            scalar: m.ty.scalar(),
            ty: m.ty.clone(),
        })
    }

    /// Resolve a pointer target handle.
    pub fn resolve_ref(&self, r: TypeRef) -> Result<Type, SymError> {
        self.dwarf.resolve_type(
            DieRef {
                unit: r.unit,
                offset: r.offset,
            },
            "a pointer target",
        )
    }

    fn find_named_die(
        &self,
        name: &str,
        kinds: &[NamedKind],
        hint: Hint<'_>,
    ) -> Result<DieRef, SymError> {
        let pick = |ud: &UnitData| -> Option<UnitOffset<usize>> {
            ud.named(name)
                .filter(|d| kinds.contains(&d.kind) && !d.declaration)
                .min_by_key(|d| d.depth)
                .map(|d| d.offset)
        };
        let first = self.hint_units(hint)?;
        for &u in &first {
            if let Some(o) = pick(&*self.dwarf.unit_data(u)?) {
                return Ok(DieRef {
                    unit: u,
                    offset: o.0,
                });
            }
        }
        let order = self.fallback_order(hint, &first)?;
        let want = Want::Named {
            kinds,
            allow_decl: false,
        };
        for &u in &order {
            if self.dwarf.unit_has(u, name, want)? {
                if let Some(o) = pick(&*self.dwarf.unit_data(u)?) {
                    return Ok(DieRef {
                        unit: u,
                        offset: o.0,
                    });
                }
            }
        }
        Err(SymError::TypeNotFound {
            file: self.elf.file.clone(),
            name: name.to_string(),
            searched: self.describe_hint(hint, &first, order.len()),
        })
    }

    /// Value of an enumerator such as `MODULE_STATE_UNFORMED` or `MOD_TEXT`.
    pub fn enumerator(&self, name: &str, hint: Hint<'_>) -> Result<i64, SymError> {
        let first = self.hint_units(hint)?;
        for &u in &first {
            if let Some(e) = self.dwarf.unit_data(u)?.enumerators(name).next() {
                return Ok(e.value);
            }
        }
        let order = self.fallback_order(hint, &first)?;
        for &u in &order {
            if self.dwarf.unit_has(u, name, Want::Enumerator)? {
                if let Some(e) = self.dwarf.unit_data(u)?.enumerators(name).next() {
                    return Ok(e.value);
                }
            }
        }
        Err(SymError::EnumeratorNotFound {
            file: self.elf.file.clone(),
            name: name.to_string(),
            searched: self.describe_hint(hint, &first, order.len()),
        })
    }

    /// The enum type that declares an enumerator.
    pub fn enum_of(&self, enumerator: &str, hint: Hint<'_>) -> Result<Type, SymError> {
        let first = self.hint_units(hint)?;
        let order = self.fallback_order(hint, &first)?;
        for (i, &u) in first.iter().chain(order.iter()).enumerate() {
            if i >= first.len() && !self.dwarf.unit_has(u, enumerator, Want::Enumerator)? {
                continue;
            }
            if let Some(e) = self.dwarf.unit_data(u)?.enumerators(enumerator).next() {
                let r = DieRef {
                    unit: u,
                    offset: e.enum_offset.0,
                };
                return self
                    .dwarf
                    .resolve_type(r, &format!("the enum of {enumerator}"));
            }
        }
        Err(SymError::EnumeratorNotFound {
            file: self.elf.file.clone(),
            name: enumerator.to_string(),
            searched: self.describe_hint(hint, &first, order.len()),
        })
    }

    // ---- Variables -----------------------------------------------------------------------------

    /// A variable's link-time address and type. `file_hint` is the defining source file (a path
    /// suffix such as "kernel/module/tracking.c" or a basename); it selects among same-named
    /// statics and says which unit holds the DWARF. Without it, a static's own `STT_FILE` is used;
    /// a global without a hint falls back to scanning units.
    pub fn variable(&self, name: &str, file_hint: Option<&str>) -> Result<Variable, SymError> {
        let st = self.elf.symtab()?;
        let is_data = |s: &Symbol<'_>| {
            s.shndx != object::elf::SHN_UNDEF
                && matches!(
                    s.kind,
                    SymKind::Object | SymKind::NoType | SymKind::Common | SymKind::Tls
                )
        };
        let mut syms: Vec<Symbol<'_>> = st.lookup(name).into_iter().filter(is_data).collect();
        if syms.is_empty() {
            syms = st
                .lookup_suffixed(name)
                .into_iter()
                .filter(is_data)
                .collect();
        }
        if let Some(h) = file_hint {
            let base = basename(h);
            let local_match: Vec<_> = syms
                .iter()
                .filter(|s| s.binding == SymBinding::Local && s.file == Some(base))
                .copied()
                .collect();
            if !local_match.is_empty() {
                syms = local_match;
            } else {
                syms.retain(|s| s.binding != SymBinding::Local);
            }
        }
        syms.sort_by_key(|s| s.addr);
        syms.dedup_by_key(|s| s.addr);
        if syms.is_empty() {
            // Without an address there is nothing to read; fail fast rather than scan DWARF.
            return Err(SymError::SymbolNotFound {
                file: self.elf.file.clone(),
                name: name.to_string(),
                detail: match file_hint {
                    Some(h) => format!(" (data symbol, defined in {h})"),
                    None => " (data symbol)".into(),
                },
            });
        }
        let sym = match syms.as_slice() {
            [] => None,
            [one] => Some(*one),
            many => {
                // Same-named statics in files with the same basename: let DWARF decide below.
                if file_hint.is_none() || !many.iter().all(|s| s.binding == SymBinding::Local) {
                    return Err(SymError::AmbiguousSymbol {
                        file: self.elf.file.clone(),
                        name: name.to_string(),
                        candidates: describe(many),
                    });
                }
                None
            }
        };
        let addrs: Vec<u64> = match sym {
            Some(s) => vec![s.addr],
            None => syms.iter().map(|s| s.addr).collect(),
        };

        // Units to look in: the hint's, else those named by the statics' STT_FILE entries.
        let mut first: Vec<u32> = Vec::new();
        if let Some(h) = file_hint {
            first.extend(self.dwarf.units_by_path(h)?);
        }
        if first.is_empty() {
            for s in &syms {
                if let (SymBinding::Local, Some(f)) = (s.binding, s.file) {
                    first.extend(self.dwarf.units_by_path(f)?);
                }
            }
        }
        first.sort_unstable();
        first.dedup();

        let mut best: Option<(u8, u32, DieRef, Option<u64>)> = None;
        // Exact (address-matched) hits in different units, to detect real ambiguity.
        let mut exact: Vec<(u32, u64)> = Vec::new();
        type Best = Option<(u8, u32, DieRef, Option<u64>)>;
        let consider =
            |u: u32, best: &mut Best, exact: &mut Vec<(u32, u64)>| -> Result<(), SymError> {
                let ud = self.dwarf.unit_data(u)?;
                for d in ud.named(name).filter(|d| d.kind == NamedKind::Variable) {
                    let r = DieRef {
                        unit: u,
                        offset: d.offset.0,
                    };
                    let Some((score, loc)) = self.score_variable_die(r, &addrs)? else {
                        continue;
                    };
                    if score == 3 {
                        if let Some(l) = loc {
                            if !exact.iter().any(|e| e.1 == l) {
                                exact.push((u, l));
                            }
                        }
                    }
                    if best.as_ref().is_none_or(|b| score > b.0) {
                        *best = Some((score, u, r, loc));
                    }
                }
                Ok(())
            };
        for &u in &first {
            consider(u, &mut best, &mut exact)?;
            // With one candidate address, the first exact hit settles it.
            if addrs.len() == 1 && best.as_ref().is_some_and(|b| b.0 >= 3) {
                break;
            }
        }
        if exact.len() > 1 {
            return Err(SymError::AmbiguousSymbol {
                file: self.elf.file.clone(),
                name: name.to_string(),
                candidates: exact
                    .iter()
                    .map(|(u, a)| format!("{a:#x} in {}", self.dwarf.unit_name(*u).unwrap_or("?")))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let mut scanned = 0;
        if best.is_none() {
            let hint = file_hint.map(Hint::File).unwrap_or(Hint::Any);
            let order = self.fallback_order(hint, &first)?;
            scanned = order.len();
            let want = Want::Named {
                kinds: &[NamedKind::Variable],
                allow_decl: true,
            };
            for &u in &order {
                if self.dwarf.unit_has(u, name, want)? {
                    consider(u, &mut best, &mut exact)?;
                    if best.as_ref().is_some_and(|b| b.0 >= 2 || addrs.is_empty()) {
                        break;
                    }
                }
            }
        }
        let Some((score, unit, die, loc)) = best else {
            if syms.is_empty() {
                return Err(SymError::SymbolNotFound {
                    file: self.elf.file.clone(),
                    name: name.to_string(),
                    detail: " and no DWARF variable with that name".into(),
                });
            }
            return Err(SymError::VariableNotFound {
                file: self.elf.file.clone(),
                name: name.to_string(),
                searched: self.describe_hint(
                    file_hint.map(Hint::File).unwrap_or(Hint::Any),
                    &first,
                    scanned,
                ),
            });
        };
        let sym = sym.or_else(|| loc.and_then(|a| syms.iter().find(|s| s.addr == a).copied()));
        let addr = match (sym, loc) {
            (Some(s), _) => s.addr,
            (None, Some(a)) => a,
            (None, None) => {
                return Err(SymError::SymbolNotFound {
                    file: self.elf.file.clone(),
                    name: name.to_string(),
                    detail: format!(
                        " (DWARF in {} has no address for it: score {score})",
                        self.dwarf.unit_name(unit).unwrap_or("?")
                    ),
                })
            }
        };
        let ty = self.variable_type(die, name)?;
        Ok(Variable {
            name: name.to_string(),
            symbol: sym.map(|s| s.name.to_string()),
            addr: Va(addr),
            sym_size: sym.map(|s| s.size),
            binding: sym.map(|s| s.binding),
            unit: self.dwarf.unit_name(unit).map(str::to_string),
            ty,
        })
    }

    /// Score a DW_TAG_variable: 3 = its DW_OP_addr is one of `addrs`, 2 = a definition with some
    /// other/no location while we have no address to check, 1 = a declaration with a type.
    /// Returns the location address, if any.
    fn score_variable_die(
        &self,
        r: DieRef,
        addrs: &[u64],
    ) -> Result<Option<(u8, Option<u64>)>, SymError> {
        let slot = self.dwarf.slot(r.unit)?;
        let (_, a) = self.dwarf.die_attrs(r)?;
        let loc = a.location.and_then(|v| self.dwarf.location_addr(slot, v));
        Ok(Some(match loc {
            Some(l) if addrs.contains(&l) => (3, Some(l)),
            Some(_) if !addrs.is_empty() => return Ok(None),
            Some(l) => (2, Some(l)),
            None => (1, None),
        }))
    }

    /// The type of a variable DIE, following DW_AT_specification / DW_AT_abstract_origin.
    fn variable_type(&self, mut r: DieRef, name: &str) -> Result<Type, SymError> {
        for _ in 0..8 {
            let (_, a) = self.dwarf.die_attrs(r)?;
            if let Some(t) = a.ty {
                let tr = self.dwarf.type_ref_attr(r.unit, t)?;
                return self.dwarf.resolve_type(tr, name);
            }
            match a.origin {
                Some(o) => match self.dwarf.die_ref(r.unit, o)? {
                    Some(next) => r = next,
                    None => break,
                },
                None => break,
            }
        }
        Err(SymError::UnexpectedDwarf {
            file: self.elf.file.clone(),
            section: ".debug_info",
            offset: self.dwarf.global_offset(r),
            what: format!("variable {name}"),
            expected: "a DW_AT_type (directly or through DW_AT_specification)".into(),
        })
    }

    /// Test support: check the fast unit table (pread headers, raw abbreviation scan) against
    /// gimli's own iterator and root-DIE parse. Returns the unit count.
    #[doc(hidden)]
    pub fn debug_check_unit_table(&self) -> Result<usize, String> {
        self.dwarf.check_table_against_gimli()
    }

    /// Diagnostics: how many named DIEs a unit's index holds (forces that unit's index).
    #[doc(hidden)]
    pub fn debug_unit_index_size(&self, path: &str) -> Result<Vec<(String, usize)>, SymError> {
        let mut out = Vec::new();
        for u in self.dwarf.units_by_path(path)? {
            let ud: Arc<UnitData> = self.dwarf.unit_data(u)?;
            out.push((
                self.dwarf.unit_name(u).unwrap_or("?").to_string(),
                ud.named_count(),
            ));
        }
        Ok(out)
    }
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
