//! DWARF side of a vmlinux: a table of compile units (header + root `DW_AT_name`) read in order
//! only as far as a query needs (`table.rs`, one unit's header in `header.rs`), per-unit name
//! indexes built lazily, one unit at a time (`index.rs`; the pattern of addr2line's
//! `LazyResult`: a `OnceLock<Result<..>>` per unit), and DIE -> [`Type`] (`resolve.rs`).
//!
//! Nothing here walks all of `.debug_info` unless a caller's hint fails and it asks for the
//! fallback search, which then scans units one by one without keeping their indexes.
//!
//! [`Type`]: crate::symbols::Type
//!
//! Relocation sections (`.rela.debug_*`) are never applied: for an ET_EXEC vmlinux they are
//! leftovers of `--emit-relocs` and `.debug_info` is already relocated.

mod header;
mod index;
mod resolve;
mod table;

use std::sync::OnceLock;

use gimli::{AttributeValue, DebugInfoOffset, Reader, Section};

use super::elf::ElfInfo;
use super::error::SymError;

use header::Peek;
pub(crate) use index::{NamedKind, UnitData, Want};
use table::{Arange, UnitTable};
pub(crate) use table::{UnitSlot, UnitsNamed};

pub(crate) type R = gimli::EndianSlice<'static, gimli::RunTimeEndian>;
pub(crate) type Header = gimli::UnitHeader<R>;

/// A DIE: unit slot index plus offset within the unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct DieRef {
    pub(crate) unit: u32,
    pub(crate) offset: usize,
}

/// A unit parse failure, cached so later calls report the same thing.
#[derive(Clone, Debug)]
struct CachedErr {
    offset: u64,
    what: String,
    err: gimli::Error,
}

pub(crate) struct DwarfData {
    pub(crate) file: String,
    pub(crate) dwarf: gimli::Dwarf<R>,
    peek: Peek,
    units: UnitTable,
    aranges: OnceLock<Vec<Arange>>,
}

/// Does `unit_name` (a path such as "kernel/module/main.c" or "/build/x/kernel/module/main.c")
/// end with `hint` at a path-component boundary?
pub(crate) fn path_matches(unit_name: &str, hint: &str) -> bool {
    let hint = trim_dot_slash(hint);
    if hint.is_empty() {
        return false;
    }
    let unit_name = trim_dot_slash(unit_name);
    if unit_name == hint {
        return true;
    }
    unit_name.ends_with(hint) && unit_name.as_bytes()[unit_name.len() - hint.len() - 1] == b'/'
}

/// `s` without leading "./" components. Same as `trim_start_matches("./")`, without building a
/// substring searcher per call (this runs once per unit for every hinted lookup: 2,000+ units).
fn trim_dot_slash(mut s: &str) -> &str {
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s
}

pub(crate) fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

impl DwarfData {
    pub(crate) fn load(elf: &ElfInfo, file: Option<std::fs::File>) -> Result<DwarfData, SymError> {
        let endian = match elf.endian() {
            object::Endianness::Little => gimli::RunTimeEndian::Little,
            object::Endianness::Big => gimli::RunTimeEndian::Big,
        };
        let mut err = None;
        let dwarf = gimli::Dwarf::load(|id: gimli::SectionId| -> Result<R, SymError> {
            match elf.section_data(id.name()) {
                Ok(Some(d)) => Ok(gimli::EndianSlice::new(d, endian)),
                Ok(None) => {
                    if elf.has_section(&id.name().replacen(".debug_", ".zdebug_", 1)) {
                        err.get_or_insert(SymError::CompressedSection {
                            file: elf.file.clone(),
                            section: id.name().replacen(".debug_", ".zdebug_", 1),
                        });
                    }
                    Ok(gimli::EndianSlice::new(&[], endian))
                }
                Err(e) => Err(e),
            }
        })?;
        if let Some(e) = err {
            return Err(e);
        }
        let peek = match (file, elf.section_file_offset(".debug_info")) {
            (Some(f), Some(base)) => Peek::File(f, base),
            _ => Peek::Memory,
        };
        Ok(DwarfData {
            file: elf.file.clone(),
            dwarf,
            peek,
            units: UnitTable::new(),
            aranges: OnceLock::new(),
        })
    }

    pub(crate) fn has_debug_info(&self) -> bool {
        !self.dwarf.debug_info.reader().is_empty()
    }

    fn err(&self, e: &CachedErr) -> SymError {
        SymError::dwarf(&self.file, e.offset, e.what.clone(), e.err)
    }

    /// A string attribute's bytes (zero-copy), as UTF-8.
    pub(crate) fn attr_str(&self, v: AttributeValue<R>) -> Option<&'static str> {
        std::str::from_utf8(self.attr_bytes(v)?).ok()
    }

    pub(crate) fn attr_bytes(&self, v: AttributeValue<R>) -> Option<&'static [u8]> {
        let s = match v {
            AttributeValue::String(s) => s,
            AttributeValue::DebugStrRef(o) => self.dwarf.debug_str.get_str(o).ok()?,
            AttributeValue::DebugLineStrRef(o) => self.dwarf.debug_line_str.get_str(o).ok()?,
            _ => return None,
        };
        Some(s.slice())
    }

    /// Convert a reference attribute to a DieRef (unit-local or .debug_info-global).
    pub(crate) fn die_ref(
        &self,
        unit: u32,
        v: AttributeValue<R>,
    ) -> Result<Option<DieRef>, SymError> {
        Ok(match v {
            AttributeValue::UnitRef(o) => Some(DieRef { unit, offset: o.0 }),
            AttributeValue::DebugInfoRef(DebugInfoOffset(o)) => {
                let Some(u) = self.unit_containing(o as u64)? else {
                    return Ok(None);
                };
                let slot = self.slot(u)?;
                Some(DieRef {
                    unit: u,
                    offset: (o as u64 - slot.offset) as usize,
                })
            }
            _ => None,
        })
    }

    /// .debug_info offset of a DIE (for messages).
    pub(crate) fn global_offset(&self, d: DieRef) -> u64 {
        self.slot(d.unit)
            .map(|s| s.offset + d.offset as u64)
            .unwrap_or(d.offset as u64)
    }

    pub(crate) fn unit_name(&self, unit: u32) -> Option<&'static str> {
        self.slot(unit).ok().and_then(|s| s.name)
    }

    /// The DW_OP_addr operand of a simple location expression.
    pub(crate) fn location_addr(&self, slot: &UnitSlot, v: AttributeValue<R>) -> Option<u64> {
        let AttributeValue::Exprloc(expr) = v else {
            return None;
        };
        let mut ops = expr.operations(slot.header.encoding());
        match ops.next() {
            Ok(Some(gimli::Operation::Address { address })) => Some(address),
            _ => None,
        }
    }
}

/// DW_AT_const_value of an enumerator. Fixed-size data forms are zero-extended (GCC uses
/// DW_FORM_sdata for negative values).
pub(crate) fn const_value(v: AttributeValue<R>) -> Option<i64> {
    Some(match v {
        AttributeValue::Data1(x) => x as i64,
        AttributeValue::Data2(x) => x as i64,
        AttributeValue::Data4(x) => x as i64,
        AttributeValue::Data8(x) => x as i64,
        AttributeValue::Sdata(x) => x,
        AttributeValue::Udata(x) => x as i64,
        _ => return None,
    })
}

/// A constant attribute as u64 (sizes, counts, offsets).
pub(crate) fn udata(v: AttributeValue<R>) -> Option<u64> {
    match v {
        AttributeValue::Sdata(x) if x < 0 => None,
        other => other.udata_value(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_suffix_matching() {
        assert!(path_matches("kernel/module/main.c", "kernel/module/main.c"));
        assert!(path_matches("kernel/module/main.c", "module/main.c"));
        assert!(path_matches("kernel/module/main.c", "main.c"));
        assert!(path_matches(
            "/build/linux/kernel/module/main.c",
            "kernel/module/main.c"
        ));
        assert!(path_matches("./kernel/panic.c", "kernel/panic.c"));
        assert!(!path_matches("kernel/module/domain.c", "main.c"));
        assert!(!path_matches("kernel/module/main.c", ""));
        assert_eq!(basename("kernel/module/tracking.c"), "tracking.c");
        assert_eq!(basename("tracking.c"), "tracking.c");
    }
}
