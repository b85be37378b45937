//! The kernel's own type information (BTF, `__start_BTF`..`__stop_BTF` in a CONFIG_DEBUG_INFO_BTF
//! kernel), read from bytes into the same [`Type`] model the DWARF reader builds, so the kernel
//! layer resolves its layouts through either.
//!
//! The reader is written here rather than taken from a crate: btf-rs is LGPL-2.0-or-later (this
//! project is MIT OR Apache-2.0), and the permissive ones target BPF loading, not hostile input.
//! Parsing is one bounded pass that records where each type starts; names are indexed on first
//! lookup; a type is resolved on demand with a depth and a node budget (BTF from a corrupt dump
//! may be cyclic or exponentially nested). Every error names the address of the bad bytes.

mod error;
mod format;
mod resolve;

use std::sync::OnceLock;

use format::*;
use scroll::Pread;

pub use error::BtfError;

use super::name_index::{name_hash, NameIndex};
use super::Type;

/// The bound on BTF bytes accepted (Debian 6.12's vmlinux BTF is 5.6 MiB).
pub const MAX_BTF_BYTES: u64 = 64 << 20;

/// Parsed BTF: the bytes, where each type starts, and lazily built name indexes.
pub struct Btf {
    data: Vec<u8>,
    /// Address of `data[0]` (the kernel virtual address of `__start_BTF`), for messages.
    origin: u64,
    strs: std::ops::Range<usize>,
    /// `offsets[i]` is where type id `i + 1` starts in `data`.
    offsets: Vec<u32>,
    /// Item `i` is type id `i + 1`.
    names: OnceLock<NameIndex>,
    /// Every enumerator, in type order; indexed by name in `enum_names`.
    enumerators: OnceLock<(Vec<Enumerator>, NameIndex)>,
}

/// One enumerator: the enum's type id, its value, and where its name is.
#[derive(Clone, Copy, Debug)]
struct Enumerator {
    id: u32,
    value: i64,
    name_off: u32,
}

impl std::fmt::Debug for Btf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Btf")
            .field("origin", &format_args!("{:#x}", self.origin))
            .field("bytes", &self.data.len())
            .field("types", &self.offsets.len())
            .finish_non_exhaustive()
    }
}

/// C spellings of base types and the names GCC gives them in DWARF (and so pahole in BTF).
const GCC_NAMES: &[(&str, &str)] = &[
    ("unsigned long", "long unsigned int"),
    ("long", "long int"),
    ("unsigned", "unsigned int"),
    ("unsigned short", "short unsigned int"),
    ("short", "short int"),
    ("unsigned long long", "long long unsigned int"),
    ("long long", "long long int"),
];

/// A named type's kind, as lookups ask for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedKind {
    Struct,
    Union,
    Enum,
    /// A typedef, an integer or a float: what a bare name in C can be.
    Plain,
}

impl Btf {
    /// Parse `data` (BTF read from `origin`). Checks the header and walks the type section
    /// once; a type whose trailing data would run past the section is an error.
    pub fn parse(data: Vec<u8>, origin: u64) -> Result<Btf, BtfError> {
        let corrupt = |at: usize, what: String| BtfError::Corrupt {
            at: origin.wrapping_add(at as u64),
            what,
        };
        let h: BtfHeader = data.pread_with(0, scroll::LE).map_err(|_| {
            corrupt(
                0,
                format!("{} bytes, shorter than a BTF header", data.len()),
            )
        })?;
        if h.magic != BTF_MAGIC {
            return Err(corrupt(
                0,
                format!("magic {:#06x}, expected {BTF_MAGIC:#06x}", h.magic),
            ));
        }
        if h.version != BTF_VERSION {
            return Err(corrupt(2, format!("version {}, expected 1", h.version)));
        }
        let section = |off: u32, len: u32, what: &str| {
            let start = (h.hdr_len as usize)
                .checked_add(off as usize)
                .filter(|&s| s >= BTF_HEADER_SIZE && (h.hdr_len as usize) >= BTF_HEADER_SIZE);
            let end = start.and_then(|s| s.checked_add(len as usize));
            match (start, end) {
                (Some(s), Some(e)) if e <= data.len() => Ok(s..e),
                _ => Err(corrupt(
                    4,
                    format!(
                        "the {what} section (header length {}, offset {off}, length {len}) is not inside the {} bytes",
                        h.hdr_len,
                        data.len()
                    ),
                )),
            }
        };
        let types = section(h.type_off, h.type_len, "type")?;
        let strs = section(h.str_off, h.str_len, "string")?;
        let mut offsets = Vec::with_capacity(types.len() / BTF_TYPE_SIZE / 4);
        let mut pos = types.start;
        while pos < types.end {
            let t: BtfType = data[..types.end].pread_with(pos, scroll::LE).map_err(|_| {
                corrupt(
                    pos,
                    format!(
                        "type {} is cut off by the end of the type section",
                        offsets.len() + 1
                    ),
                )
            })?;
            let trailing = trailing_len(t.kind(), t.vlen()).ok_or_else(|| {
                corrupt(
                    pos,
                    format!("type {} has unknown kind {}", offsets.len() + 1, t.kind()),
                )
            })?;
            let next = pos + BTF_TYPE_SIZE + trailing;
            if next > types.end {
                return Err(corrupt(
                    pos,
                    format!(
                        "type {} (kind {}, {} entries) runs {} bytes past the end of the type section",
                        offsets.len() + 1,
                        t.kind(),
                        t.vlen(),
                        next - types.end
                    ),
                ));
            }
            offsets.push(pos as u32);
            pos = next;
        }
        Ok(Btf {
            data,
            origin,
            strs,
            offsets,
            names: OnceLock::new(),
            enumerators: OnceLock::new(),
        })
    }

    /// Where the BTF was read from.
    pub fn origin(&self) -> u64 {
        self.origin
    }

    /// Number of types (ids run from 1 to this).
    pub fn type_count(&self) -> u32 {
        self.offsets.len() as u32
    }

    /// Where type `id`'s `struct btf_type` starts, in bytes from [`Btf::origin`].
    pub fn type_offset(&self, id: u32) -> Option<usize> {
        let i = id.checked_sub(1)?;
        self.offsets.get(i as usize).map(|&o| o as usize)
    }

    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    fn at(&self, pos: usize) -> u64 {
        self.origin.wrapping_add(pos as u64)
    }

    /// The header of type `id` and where its trailing data starts.
    fn ty(&self, id: u32) -> Result<(BtfType, usize), BtfError> {
        let pos = id
            .checked_sub(1)
            .and_then(|i| self.offsets.get(i as usize))
            .ok_or(BtfError::BadId {
                at: self.origin,
                id,
                count: self.type_count(),
            })? as &u32;
        let pos = *pos as usize;
        // In bounds: parse() checked every type and its trailing data.
        let t: BtfType = self
            .data
            .pread_with(pos, scroll::LE)
            .map_err(|_| BtfError::BadId {
                at: self.origin,
                id,
                count: self.type_count(),
            })?;
        Ok((t, pos + BTF_TYPE_SIZE))
    }

    /// Entry `i` of type `id`'s trailing data (checked in bounds by parse()).
    fn entry<T>(&self, trailing: usize, i: usize, size: usize) -> Result<T, BtfError>
    where
        T: for<'a> scroll::ctx::TryFromCtx<'a, scroll::Endian, Error = scroll::Error>,
    {
        self.data
            .pread_with(trailing + i * size, scroll::LE)
            .map_err(|_| BtfError::Corrupt {
                at: self.at(trailing + i * size),
                what: "a type's entry is cut off".into(),
            })
    }

    /// The string at `off` in the string section; "" for 0.
    fn name(&self, off: u32) -> Result<&str, BtfError> {
        let bytes = &self.data[self.strs.clone()];
        let s = bytes.get(off as usize..).ok_or(BtfError::Corrupt {
            at: self.at(self.strs.start),
            what: format!(
                "a name offset {off} is past the {}-byte string section",
                bytes.len()
            ),
        })?;
        let end = s.iter().position(|&b| b == 0).ok_or(BtfError::Corrupt {
            at: self.at(self.strs.start + off as usize),
            what: "a name runs to the end of the string section without a NUL".into(),
        })?;
        std::str::from_utf8(&s[..end]).map_err(|_| BtfError::Corrupt {
            at: self.at(self.strs.start + off as usize),
            what: "a name is not UTF-8".into(),
        })
    }

    /// The bytes of the string at `off` (without its NUL), if it is in the string section.
    fn name_bytes(&self, off: u32) -> Option<&[u8]> {
        let s = self.data[self.strs.clone()].get(off as usize..)?;
        Some(&s[..s.iter().position(|&b| b == 0)?])
    }

    /// Build the index of type names now (it is built on first lookup otherwise).
    pub fn index_names(&self) {
        self.names();
    }

    /// Build the index of enumerators now (it is built on first lookup otherwise).
    pub fn index_enumerators(&self) {
        self.enumerator_index();
    }

    fn names(&self) -> &NameIndex {
        self.names.get_or_init(|| {
            let mut ix = NameIndex::with_capacity(self.offsets.len());
            for id in 1..=self.type_count() {
                let named = self.ty(id).ok().filter(|(t, _)| {
                    t.name_off != 0
                        && matches!(
                            t.kind(),
                            BTF_KIND_STRUCT
                                | BTF_KIND_UNION
                                | BTF_KIND_ENUM
                                | BTF_KIND_ENUM64
                                | BTF_KIND_FWD
                                | BTF_KIND_TYPEDEF
                                | BTF_KIND_INT
                                | BTF_KIND_FLOAT
                        )
                });
                match named.and_then(|(t, _)| self.name_bytes(t.name_off)) {
                    Some(n) => ix.push(name_hash(n)),
                    None => ix.push_unnamed(),
                }
            }
            ix.finish();
            ix
        })
    }

    /// The ids of the types named `name` (of the kinds [`Btf::names`] indexes), in id order.
    fn ids_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = u32> + 'a {
        self.names()
            .find(name.as_bytes(), move |i| {
                self.ty(i + 1)
                    .ok()
                    .and_then(|(t, _)| self.name_bytes(t.name_off))
                    == Some(name.as_bytes())
            })
            .map(|i| i + 1)
    }

    fn enumerator_index(&self) -> &(Vec<Enumerator>, NameIndex) {
        self.enumerators.get_or_init(|| {
            let mut all = Vec::new();
            for id in 1..=self.type_count() {
                let Ok((t, trailing)) = self.ty(id) else {
                    continue;
                };
                let Ok(values) = self.enum_values(t, trailing) else {
                    continue;
                };
                all.extend(values.into_iter().map(|(name_off, value)| Enumerator {
                    id,
                    value,
                    name_off,
                }));
            }
            let mut ix = NameIndex::with_capacity(all.len());
            for e in &all {
                match self.name_bytes(e.name_off) {
                    Some(n) => ix.push(name_hash(n)),
                    None => ix.push_unnamed(),
                }
            }
            ix.finish();
            (all, ix)
        })
    }

    /// The first enumerator named `name`, in type order.
    fn find_enumerator(&self, name: &str) -> Option<Enumerator> {
        let (all, ix) = self.enumerator_index();
        ix.first(name.as_bytes(), |i| {
            self.name_bytes(all[i as usize].name_off) == Some(name.as_bytes())
        })
        .map(|i| all[i as usize])
    }

    /// The enumerators of an ENUM or ENUM64 (empty for other kinds).
    fn enum_values(&self, t: BtfType, trailing: usize) -> Result<Vec<(u32, i64)>, BtfError> {
        let n = t.vlen() as usize;
        let mut out = Vec::new();
        match t.kind() {
            BTF_KIND_ENUM => {
                for i in 0..n {
                    let e: BtfEnum = self.entry(trailing, i, 8)?;
                    // The kind_flag marks a signed enum (pahole 1.24+); unsigned otherwise.
                    let v = if t.kind_flag() {
                        i64::from(e.val as i32)
                    } else {
                        i64::from(e.val)
                    };
                    out.push((e.name_off, v));
                }
            }
            BTF_KIND_ENUM64 => {
                for i in 0..n {
                    let e: BtfEnum64 = self.entry(trailing, i, 12)?;
                    let v = (u64::from(e.val_hi32) << 32 | u64::from(e.val_lo32)) as i64;
                    out.push((e.name_off, v));
                }
            }
            _ => {}
        }
        Ok(out)
    }

    /// Ids of the types named `name` of `kind`, complete definitions first (a FWD last).
    pub fn named(&self, name: &str, kind: NamedKind) -> Vec<u32> {
        let mut full = Vec::new();
        let mut fwd = Vec::new();
        for id in self.ids_named(name) {
            let Ok((t, _)) = self.ty(id) else { continue };
            match (kind, t.kind()) {
                (NamedKind::Struct, BTF_KIND_STRUCT)
                | (NamedKind::Union, BTF_KIND_UNION)
                | (NamedKind::Enum, BTF_KIND_ENUM | BTF_KIND_ENUM64)
                | (NamedKind::Plain, BTF_KIND_TYPEDEF | BTF_KIND_INT | BTF_KIND_FLOAT) => {
                    full.push(id)
                }
                (NamedKind::Struct, BTF_KIND_FWD) if !t.kind_flag() => fwd.push(id),
                (NamedKind::Union, BTF_KIND_FWD) if t.kind_flag() => fwd.push(id),
                _ => {}
            }
        }
        full.extend(fwd);
        full
    }

    /// `struct NAME` resolved. When several differ (BTF keeps a struct defined differently in
    /// two places twice), the first complete one is taken.
    pub fn find_struct(&self, name: &str) -> Result<Type, BtfError> {
        let id = self.first(name, NamedKind::Struct, "struct")?;
        self.resolve(id, &format!("struct {name}"))
    }

    fn first(&self, name: &str, kind: NamedKind, what: &'static str) -> Result<u32, BtfError> {
        self.named(name, kind)
            .first()
            .copied()
            .ok_or_else(|| BtfError::NotFound {
                at: self.origin,
                kind: what,
                name: name.to_string(),
            })
    }

    /// A type spelled as C declares it: `struct list_head`, `union x`, `enum y`, or a bare
    /// typedef or base type name (`atomic_long_t`, `unsigned long`).
    pub fn type_named(&self, spelling: &str) -> Result<Type, BtfError> {
        let (kind, name, what) = if let Some(n) = spelling.strip_prefix("struct ") {
            (NamedKind::Struct, n, "struct")
        } else if let Some(n) = spelling.strip_prefix("union ") {
            (NamedKind::Union, n, "union")
        } else if let Some(n) = spelling.strip_prefix("enum ") {
            (NamedKind::Enum, n, "enum")
        } else {
            (NamedKind::Plain, spelling, "type")
        };
        let id = match self.first(name, kind, what) {
            Err(e) if kind == NamedKind::Plain => {
                // pahole keeps GCC's DWARF names of base types ("long unsigned int").
                let gcc = GCC_NAMES.iter().find(|(c, _)| *c == name).ok_or(e)?.1;
                self.first(gcc, kind, what)?
            }
            r => r?,
        };
        self.resolve(id, spelling)
    }

    /// The value of an enumerator.
    pub fn enumerator(&self, name: &str) -> Result<i64, BtfError> {
        self.find_enumerator(name)
            .map(|e| e.value)
            .ok_or_else(|| BtfError::NotFound {
                at: self.origin,
                kind: "enumerator",
                name: name.to_string(),
            })
    }

    /// The enum type that defines an enumerator.
    pub fn enum_of(&self, enumerator: &str) -> Result<Type, BtfError> {
        let id = self
            .find_enumerator(enumerator)
            .ok_or_else(|| BtfError::NotFound {
                at: self.origin,
                kind: "enumerator",
                name: enumerator.to_string(),
            })?
            .id;
        self.resolve(id, &format!("the enum of {enumerator}"))
    }
}

#[cfg(test)]
mod tests;
