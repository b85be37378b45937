//! DWARF side of a vmlinux: a cheap table of compile units (header + root `DW_AT_name`), built
//! once on first use, and per-unit name indexes built lazily, one unit at a time (the pattern of
//! addr2line's `LazyResult`: a `OnceLock<Result<..>>` per unit).
//!
//! Nothing here walks all of `.debug_info` unless a caller's hint fails and it asks for the
//! fallback search, which then scans units one by one without keeping their indexes.
//!
//! Relocation sections (`.rela.debug_*`) are never applied: for an ET_EXEC vmlinux they are
//! leftovers of `--emit-relocs` and `.debug_info` is already relocated.

use std::sync::{Arc, OnceLock};

use gimli::{AttributeValue, DebugInfoOffset, Reader, Section, UnitOffset};

use super::elf::{ElfInfo, FxBuild, FxHashMap};
use super::error::SymError;

pub(crate) type R = gimli::EndianSlice<'static, gimli::RunTimeEndian>;
pub(crate) type Header = gimli::UnitHeader<R>;

/// A DIE: unit slot index plus offset within the unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct DieRef {
    pub(crate) unit: u32,
    pub(crate) offset: usize,
}

/// Tags we index by name inside a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NamedKind {
    Struct,
    Union,
    Enum,
    Typedef,
    Base,
    Variable,
}

impl NamedKind {
    fn from_tag(tag: gimli::DwTag) -> Option<NamedKind> {
        Some(match tag {
            gimli::DW_TAG_structure_type | gimli::DW_TAG_class_type => NamedKind::Struct,
            gimli::DW_TAG_union_type => NamedKind::Union,
            gimli::DW_TAG_enumeration_type => NamedKind::Enum,
            gimli::DW_TAG_typedef => NamedKind::Typedef,
            gimli::DW_TAG_base_type => NamedKind::Base,
            gimli::DW_TAG_variable => NamedKind::Variable,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct NamedDie {
    pub(crate) offset: UnitOffset<usize>,
    pub(crate) kind: NamedKind,
    pub(crate) declaration: bool,
    /// Depth below the unit root (1 = file scope).
    pub(crate) depth: u32,
    next: u32,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Enumerator {
    pub(crate) value: i64,
    /// The enclosing DW_TAG_enumeration_type.
    pub(crate) enum_offset: UnitOffset<usize>,
    next: u32,
}

const NONE: u32 = u32::MAX;

/// What the fallback scan looks for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Want<'a> {
    Named {
        kinds: &'a [NamedKind],
        allow_decl: bool,
    },
    Enumerator,
}

/// The per-unit name index.
pub(crate) struct UnitData {
    pub(crate) abbrevs: Arc<gimli::Abbreviations>,
    names: FxHashMap<&'static [u8], u32>,
    dies: Vec<NamedDie>,
    enum_names: FxHashMap<&'static [u8], u32>,
    enumerators: Vec<Enumerator>,
}

impl UnitData {
    pub(crate) fn named(&self, name: &str) -> impl Iterator<Item = &NamedDie> + '_ {
        let mut cur = self.names.get(name.as_bytes()).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            if cur == NONE {
                return None;
            }
            let d = &self.dies[cur as usize];
            cur = d.next;
            Some(d)
        })
    }

    pub(crate) fn enumerators(&self, name: &str) -> impl Iterator<Item = &Enumerator> + '_ {
        let mut cur = self
            .enum_names
            .get(name.as_bytes())
            .copied()
            .unwrap_or(NONE);
        std::iter::from_fn(move || {
            if cur == NONE {
                return None;
            }
            let d = &self.enumerators[cur as usize];
            cur = d.next;
            Some(d)
        })
    }

    pub(crate) fn named_count(&self) -> usize {
        self.dies.len()
    }
}

/// A unit parse failure, cached so later calls report the same thing.
#[derive(Clone, Debug)]
struct CachedErr {
    offset: u64,
    what: String,
    err: gimli::Error,
}

pub(crate) struct UnitSlot {
    pub(crate) header: Header,
    /// .debug_info offset of the unit header.
    pub(crate) offset: u64,
    /// .debug_info offset one past the unit's end.
    pub(crate) end: u64,
    /// The root DIE's DW_AT_name (e.g. "kernel/module/main.c"), if any.
    pub(crate) name: Option<&'static str>,
    parsed: OnceLock<Result<Arc<UnitData>, CachedErr>>,
}

pub(crate) struct UnitTable {
    pub(crate) units: Vec<UnitSlot>,
}

#[derive(Clone, Copy, Debug)]
struct Arange {
    start: u64,
    end: u64,
    unit_offset: u64,
}

/// How to read a few bytes of .debug_info without touching the mapping.
pub(crate) enum Peek {
    /// `pread` from the file; the u64 is .debug_info's file offset.
    File(std::fs::File, u64),
    /// The bytes are in memory anyway: copy from the slice.
    Memory,
}

impl Peek {
    /// Fill `buf` with .debug_info bytes at `off` (fewer at the section end). `None` on I/O error.
    fn read(&self, info: &[u8], off: usize, buf: &mut [u8]) -> Option<usize> {
        let want = buf.len().min(info.len().checked_sub(off)?);
        match self {
            Peek::Memory => {
                buf[..want].copy_from_slice(&info[off..off + want]);
                Some(want)
            }
            Peek::File(f, base) => {
                use std::os::unix::fs::FileExt;
                f.read_exact_at(&mut buf[..want], base.checked_add(off as u64)?)
                    .ok()?;
                Some(want)
            }
        }
    }
}

pub(crate) struct DwarfData {
    pub(crate) file: String,
    pub(crate) dwarf: gimli::Dwarf<R>,
    peek: Peek,
    table: OnceLock<Result<UnitTable, CachedErr>>,
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
            table: OnceLock::new(),
            aranges: OnceLock::new(),
        })
    }

    pub(crate) fn has_debug_info(&self) -> bool {
        !self.dwarf.debug_info.reader().is_empty()
    }

    fn err(&self, e: &CachedErr) -> SymError {
        SymError::dwarf(&self.file, e.offset, e.what.clone(), e.err)
    }

    /// The unit table, built on first use by reading every unit header and root DIE.
    pub(crate) fn table(&self) -> Result<&UnitTable, SymError> {
        self.table
            .get_or_init(|| self.build_table())
            .as_ref()
            .map_err(|e| self.err(e))
    }

    fn build_table(&self) -> Result<UnitTable, CachedErr> {
        if let Some(t) = self.build_table_peek() {
            return Ok(t);
        }
        self.build_table_gimli()
    }

    /// The unit table built from small copies of each unit's first bytes (`pread` when the file
    /// is mapped), so the table build does not fault in one page of .debug_info per unit (those
    /// faults, and unmapping the pages they map, were most of the time on a 2,000-unit
    /// vmlinux). Headers are parsed here and handed to gimli as `UnitHeader::new`. Returns
    /// `None` on anything unusual (unit types other than compile/partial, DWARF < 2 or > 5,
    /// short reads): the caller then uses gimli's iterator.
    fn build_table_peek(&self) -> Option<UnitTable> {
        use gimli::{Format, Reader as _};
        let info = self.dwarf.debug_info.reader().slice();
        let endian = self.dwarf.debug_info.reader().endian();
        let mut units = Vec::new();
        let mut off = 0usize;
        let mut buf = [0u8; 192];
        while off < info.len() {
            let n = self.peek.read(info, off, &mut buf)?;
            let b = gimli::EndianSlice::new(&buf[..n], endian);
            let mut r = b;
            let len32 = r.read_u32().ok()?;
            let (format, unit_length, len_size) = match len32 {
                0xffff_ffff => (
                    Format::Dwarf64,
                    usize::try_from(r.read_u64().ok()?).ok()?,
                    12,
                ),
                l if l >= 0xffff_fff0 => return None,
                l => (Format::Dwarf32, l as usize, 4),
            };
            let end = off.checked_add(len_size)?.checked_add(unit_length)?;
            if end > info.len() {
                return None;
            }
            let version = r.read_u16().ok()?;
            let (unit_type, address_size, abbrev) = match version {
                5 => {
                    let ut = gimli::DwUt(r.read_u8().ok()?);
                    let asz = r.read_u8().ok()?;
                    let ab = r.read_offset(format).ok()?;
                    let ut = match ut {
                        gimli::DW_UT_compile => gimli::UnitType::Compilation,
                        gimli::DW_UT_partial => gimli::UnitType::Partial,
                        _ => return None,
                    };
                    (ut, asz, ab)
                }
                2..=4 => {
                    let ab = r.read_offset(format).ok()?;
                    let asz = r.read_u8().ok()?;
                    (gimli::UnitType::Compilation, asz, ab)
                }
                _ => return None,
            };
            let header_size = n - r.len();
            let encoding = gimli::Encoding {
                format,
                version,
                address_size,
            };
            let entries = gimli::EndianSlice::new(info.get(off + header_size..end)?, endian);
            let header = gimli::UnitHeader::new(
                encoding,
                unit_length,
                unit_type,
                gimli::DebugAbbrevOffset(abbrev),
                DebugInfoOffset(off).into(),
                entries,
            );
            if header.header_size() != header_size {
                return None;
            }
            let name = match self.root_name_fast(&header, r, off + header_size) {
                Some(n) => n,
                None => self.root_name(&header).ok().flatten(),
            };
            units.push(UnitSlot {
                header,
                offset: off as u64,
                end: end as u64,
                name,
                parsed: OnceLock::new(),
            });
            off = end;
        }
        Some(UnitTable { units })
    }

    /// Compare the table in use with one built by gimli's unit iterator and its full root-DIE
    /// parse (test support: the fast paths must agree with gimli exactly).
    pub(crate) fn check_table_against_gimli(&self) -> Result<usize, String> {
        let fast = self.table().map_err(|e| e.to_string())?;
        let slow = self
            .build_table_gimli()
            .map_err(|e| format!("{:?}", e.err))?;
        if fast.units.len() != slow.units.len() {
            return Err(format!(
                "{} units vs gimli's {}",
                fast.units.len(),
                slow.units.len()
            ));
        }
        for (a, b) in fast.units.iter().zip(&slow.units) {
            let slow_name = {
                let abbrevs = b
                    .header
                    .abbreviations(&self.dwarf.debug_abbrev)
                    .map_err(|e| e.to_string())?;
                let mut c = b.header.entries(&abbrevs);
                let (_, root) = c.next_dfs().map_err(|e| e.to_string())?.ok_or("no root")?;
                root.attr_value(gimli::DW_AT_name)
                    .map_err(|e| e.to_string())?
                    .and_then(|v| self.attr_str(v))
            };
            if a.header != b.header || a.offset != b.offset || a.end != b.end || a.name != slow_name
            {
                return Err(format!(
                    "unit at {:#x}: ({:?}, {:?}) vs gimli ({:?}, {:?})",
                    b.offset, a.name, a.header, slow_name, b.header
                ));
            }
        }
        Ok(fast.units.len())
    }

    fn build_table_gimli(&self) -> Result<UnitTable, CachedErr> {
        let mut units = Vec::new();
        let mut iter = self.dwarf.units();
        let mut at = 0u64;
        loop {
            let header = match iter.next() {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(err) => {
                    return Err(CachedErr {
                        offset: at,
                        what: "a compile unit header".into(),
                        err,
                    })
                }
            };
            let offset = header
                .offset()
                .as_debug_info_offset()
                .map(|o| o.0 as u64)
                .unwrap_or(at);
            let end = offset + header.length_including_self() as u64;
            at = end;
            // A unit whose root cannot be read is still listed (without a name), so a single
            // bad unit does not hide all the others.
            let name = self.root_name(&header).ok().flatten();
            units.push(UnitSlot {
                header,
                offset,
                end,
                name,
                parsed: OnceLock::new(),
            });
        }
        Ok(UnitTable { units })
    }

    /// Read only the root DIE's DW_AT_name: the fast path scans the raw abbreviation table for
    /// the root's code without building gimli's `Abbreviations` (which allocates per entry and
    /// dominated the table build), then skips root attributes by form. Anything unusual falls
    /// back to gimli's full parse.
    fn root_name(&self, header: &Header) -> gimli::Result<Option<&'static str>> {
        let die_at = header.offset().as_debug_info_offset().map(|o| o.0);
        if let (Ok(die), Some(at)) = (
            header.range_from(UnitOffset(header.header_size())..),
            die_at,
        ) {
            if let Some(name) = self.root_name_fast(header, die, at + header.header_size()) {
                return Ok(name);
            }
        }
        let abbrevs = header.abbreviations(&self.dwarf.debug_abbrev)?;
        let mut raw = header.entries_raw(&abbrevs, None)?;
        let Some(abbrev) = raw.read_abbreviation()? else {
            return Ok(None);
        };
        for spec in abbrev.attributes() {
            let attr = raw.read_attribute(*spec)?;
            if attr.name() == gimli::DW_AT_name {
                return Ok(self.attr_str(attr.value()));
            }
        }
        Ok(None)
    }

    /// `None` = could not decide, use the slow path; `Some(None)` = no name.
    ///
    /// `die` holds the bytes of the root DIE (from the mapping, or a copy read with `pread`);
    /// `die_at` is its .debug_info offset, used to return inline names from the mapping.
    fn root_name_fast(
        &self,
        header: &Header,
        mut die: gimli::EndianSlice<'_, gimli::RunTimeEndian>,
        die_at: usize,
    ) -> Option<Option<&'static str>> {
        let encoding = header.encoding();
        let die_start = die.slice().as_ptr() as usize;
        let code = die.read_uleb128().ok()?;
        if code == 0 {
            return Some(None);
        }
        // Find the abbreviation with that code: a raw byte scan (most LEB128s here are one
        // byte), positioned at the root's attribute list on success.
        let abbrev_all = self.dwarf.debug_abbrev.reader().slice();
        let mut p = header.debug_abbrev_offset().0;
        loop {
            let c = raw_uleb(abbrev_all, &mut p)?;
            if c == 0 {
                return None; // not found: let gimli report it
            }
            let _tag = raw_uleb(abbrev_all, &mut p)?;
            p += 1; // DW_CHILDREN_*
            if c == code {
                break;
            }
            loop {
                let at = raw_uleb(abbrev_all, &mut p)?;
                let form = raw_uleb(abbrev_all, &mut p)?;
                if form == u64::from(gimli::DW_FORM_implicit_const.0) {
                    raw_uleb(abbrev_all, &mut p)?; // SLEB128: same length rules
                }
                if at == 0 && form == 0 {
                    break;
                }
            }
        }
        let mut ab = gimli::EndianSlice::new(abbrev_all.get(p..)?, die.endian());
        // Walk the root's attributes.
        loop {
            let at = ab.read_uleb128().ok()?;
            let mut form = gimli::DwForm(ab.read_uleb128_u16().ok()?);
            if form == gimli::DW_FORM_implicit_const {
                ab.read_sleb128().ok()?;
            }
            if at == 0 && form.0 == 0 {
                return Some(None);
            }
            while form == gimli::DW_FORM_indirect {
                form = gimli::DwForm(die.read_uleb128_u16().ok()?);
            }
            if at == u64::from(gimli::DW_AT_name.0) {
                let v = match form {
                    gimli::DW_FORM_string => {
                        let pos = die.slice().as_ptr() as usize - die_start;
                        let len = die.read_null_terminated_slice().ok()?.len();
                        let info = self.dwarf.debug_info.reader().slice();
                        let at = die_at.checked_add(pos)?;
                        AttributeValue::String(gimli::EndianSlice::new(
                            info.get(at..at.checked_add(len)?)?,
                            die.endian(),
                        ))
                    }
                    gimli::DW_FORM_strp => AttributeValue::DebugStrRef(gimli::DebugStrOffset(
                        die.read_offset(encoding.format).ok()?,
                    )),
                    gimli::DW_FORM_line_strp => AttributeValue::DebugLineStrRef(
                        gimli::DebugLineStrOffset(die.read_offset(encoding.format).ok()?),
                    ),
                    _ => return None,
                };
                return Some(self.attr_str(v));
            }
            skip_form(&mut die, form, encoding)?;
        }
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

    /// Slot index of the unit containing .debug_info offset `off`.
    pub(crate) fn unit_containing(&self, off: u64) -> Result<Option<u32>, SymError> {
        let t = self.table()?;
        let i = t.units.partition_point(|u| u.offset <= off);
        if i == 0 {
            return Ok(None);
        }
        let u = &t.units[i - 1];
        Ok((off < u.end).then_some((i - 1) as u32))
    }

    /// Units whose root name matches `hint` (path suffix at a component boundary).
    pub(crate) fn units_by_path(&self, hint: &str) -> Result<Vec<u32>, SymError> {
        let t = self.table()?;
        Ok(t.units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.name.is_some_and(|n| path_matches(n, hint)))
            .map(|(i, _)| i as u32)
            .collect())
    }

    /// The unit whose .debug_aranges range covers `addr` (functions; GCC does not list data).
    pub(crate) fn unit_for_address(&self, addr: u64) -> Result<Option<u32>, SymError> {
        let ar = self.aranges.get_or_init(|| self.build_aranges());
        let i = ar.partition_point(|a| a.start <= addr);
        // Ranges may overlap (rare); look back a little.
        for a in ar[..i].iter().rev().take(8) {
            if addr >= a.start && addr < a.end {
                return self.unit_containing(a.unit_offset);
            }
        }
        Ok(None)
    }

    fn build_aranges(&self) -> Vec<Arange> {
        let mut out = Vec::new();
        let mut headers = self.dwarf.debug_aranges.headers();
        while let Ok(Some(h)) = headers.next() {
            let unit_offset = h.debug_info_offset().0 as u64;
            let mut entries = h.entries();
            while let Ok(Some(e)) = entries.next() {
                let r = e.range();
                if r.end > r.begin {
                    out.push(Arange {
                        start: r.begin,
                        end: r.end,
                        unit_offset,
                    });
                }
            }
        }
        out.sort_by_key(|a| a.start);
        out
    }

    pub(crate) fn slot(&self, unit: u32) -> Result<&UnitSlot, SymError> {
        self.table()?
            .units
            .get(unit as usize)
            .ok_or_else(|| SymError::UnexpectedDwarf {
                file: self.file.clone(),
                section: ".debug_info",
                offset: 0,
                what: format!("unit slot {unit}"),
                expected: "an existing unit".into(),
            })
    }

    /// The name index of one unit, built on first use and kept.
    pub(crate) fn unit_data(&self, unit: u32) -> Result<Arc<UnitData>, SymError> {
        let slot = self.slot(unit)?;
        slot.parsed
            .get_or_init(|| self.index_unit(slot).map(Arc::new))
            .clone()
            .map_err(|e| self.err(&e))
    }

    /// Walk one unit's DIEs (attributes of uninteresting DIEs are skipped, not decoded) and
    /// index named types, variables and enumerators.
    fn index_unit(&self, slot: &UnitSlot) -> Result<UnitData, CachedErr> {
        let header = &slot.header;
        // Builds the error only when called (this runs per DIE on the hot path).
        let wrap = |offset: u64, what: &'static str| {
            move |err| CachedErr {
                offset,
                what: what.to_string(),
                err,
            }
        };
        let abbrevs = Arc::new(
            header
                .abbreviations(&self.dwarf.debug_abbrev)
                .map_err(wrap(slot.offset, "the unit's abbreviations"))?,
        );
        let mut names: FxHashMap<&'static [u8], u32> = FxHashMap::with_hasher(FxBuild::default());
        let mut dies: Vec<NamedDie> = Vec::new();
        let mut enum_names: FxHashMap<&'static [u8], u32> = FxHashMap::default();
        let mut enumerators: Vec<Enumerator> = Vec::new();
        // Variables named through DW_AT_specification / DW_AT_abstract_origin.
        let mut pending: Vec<(UnitOffset<usize>, NamedDie)> = Vec::new();
        let mut cur_enum: Option<(UnitOffset<usize>, isize)> = None;

        let mut raw = header
            .entries_raw(&abbrevs, None)
            .map_err(wrap(slot.offset, "the unit's entries"))?;
        while !raw.is_empty() {
            let depth = raw.next_depth();
            let offset = raw.next_offset();
            let die_off = slot.offset + offset.0 as u64;
            let abbrev = match raw.read_abbreviation() {
                Ok(Some(a)) => a,
                Ok(None) => continue,
                Err(e) => return Err(wrap(die_off, "a DIE's abbreviation code")(e)),
            };
            let tag = abbrev.tag();
            let kind = NamedKind::from_tag(tag);
            if kind.is_none() && tag != gimli::DW_TAG_enumerator {
                raw.skip_attributes(abbrev.attributes())
                    .map_err(wrap(die_off, "a DIE's attributes"))?;
                continue;
            }
            let mut name: Option<&'static [u8]> = None;
            let mut declaration = false;
            let mut origin: Option<UnitOffset<usize>> = None;
            let mut value: Option<i64> = None;
            for spec in abbrev.attributes() {
                let attr = raw
                    .read_attribute(*spec)
                    .map_err(wrap(die_off, "a DIE's attributes"))?;
                match attr.name() {
                    gimli::DW_AT_name => name = self.attr_bytes(attr.value()),
                    gimli::DW_AT_declaration => {
                        declaration = matches!(attr.value(), AttributeValue::Flag(true))
                    }
                    gimli::DW_AT_specification | gimli::DW_AT_abstract_origin => {
                        if let AttributeValue::UnitRef(o) = attr.value() {
                            origin = Some(o);
                        }
                    }
                    gimli::DW_AT_const_value => value = const_value(attr.value()),
                    _ => {}
                }
            }
            if tag == gimli::DW_TAG_enumerator {
                if let (Some(n), Some(v), Some((eo, ed))) = (name, value, cur_enum) {
                    if ed + 1 == depth {
                        let idx = enumerators.len() as u32;
                        let next = enum_names.insert(n, idx).unwrap_or(NONE);
                        enumerators.push(Enumerator {
                            value: v,
                            enum_offset: eo,
                            next,
                        });
                    }
                }
                continue;
            }
            let kind = kind.expect("checked above");
            if kind == NamedKind::Enum {
                cur_enum = Some((offset, depth));
            }
            let die = NamedDie {
                offset,
                kind,
                declaration,
                depth: depth.max(0) as u32,
                next: NONE,
            };
            match (name, origin) {
                (Some(n), _) if !n.is_empty() => {
                    let idx = dies.len() as u32;
                    let next = names.insert(n, idx).unwrap_or(NONE);
                    dies.push(NamedDie { next, ..die });
                }
                (None, Some(o)) if kind == NamedKind::Variable => pending.push((o, die)),
                _ => {}
            }
        }
        // Name the specification/origin-linked variables after their declarations.
        for (origin, die) in pending {
            let Ok(mut cursor) = header.entries_at_offset(&abbrevs, origin) else {
                continue;
            };
            let Ok(Some((_, entry))) = cursor.next_dfs() else {
                continue;
            };
            let Ok(Some(v)) = entry.attr_value(gimli::DW_AT_name) else {
                continue;
            };
            if let Some(n) = self.attr_bytes(v) {
                let idx = dies.len() as u32;
                let next = names.insert(n, idx).unwrap_or(NONE);
                dies.push(NamedDie { next, ..die });
            }
        }
        Ok(UnitData {
            abbrevs,
            names,
            dies,
            enum_names,
            enumerators,
        })
    }

    /// Scan a unit without keeping an index: does it have a DIE named `name` that `want`
    /// accepts? Used by the fallback search, so a miss costs no memory.
    pub(crate) fn unit_has(&self, unit: u32, name: &str, want: Want<'_>) -> Result<bool, SymError> {
        let slot = self.slot(unit)?;
        // If this unit is already indexed, use the index.
        if let Some(Ok(ud)) = slot.parsed.get() {
            return Ok(match want {
                Want::Enumerator => ud.enumerators(name).next().is_some(),
                Want::Named { kinds, allow_decl } => ud
                    .named(name)
                    .any(|d| kinds.contains(&d.kind) && (allow_decl || !d.declaration)),
            });
        }
        let header = &slot.header;
        // Builds the error only when called (this runs per DIE on the hot path).
        let map =
            |offset: u64, what: &'static str| move |e| SymError::dwarf(&self.file, offset, what, e);
        let abbrevs = header
            .abbreviations(&self.dwarf.debug_abbrev)
            .map_err(map(slot.offset, "the unit's abbreviations"))?;
        let mut raw = header
            .entries_raw(&abbrevs, None)
            .map_err(map(slot.offset, "the unit's entries"))?;
        let wanted_name = name.as_bytes();
        while !raw.is_empty() {
            let die_off = slot.offset + raw.next_offset().0 as u64;
            let Some(abbrev) = raw
                .read_abbreviation()
                .map_err(map(die_off, "a DIE's abbreviation code"))?
            else {
                continue;
            };
            let (interesting, allow_decl) = match want {
                Want::Enumerator => (abbrev.tag() == gimli::DW_TAG_enumerator, true),
                Want::Named { kinds, allow_decl } => (
                    NamedKind::from_tag(abbrev.tag()).is_some_and(|k| kinds.contains(&k)),
                    allow_decl,
                ),
            };
            if !interesting {
                raw.skip_attributes(abbrev.attributes())
                    .map_err(map(die_off, "a DIE's attributes"))?;
                continue;
            }
            let mut hit = false;
            let mut decl = false;
            for spec in abbrev.attributes() {
                let attr = raw
                    .read_attribute(*spec)
                    .map_err(map(die_off, "a DIE's attributes"))?;
                match attr.name() {
                    gimli::DW_AT_name => hit = self.attr_bytes(attr.value()) == Some(wanted_name),
                    gimli::DW_AT_declaration => {
                        decl = matches!(attr.value(), AttributeValue::Flag(true))
                    }
                    _ => {}
                }
            }
            if hit && (allow_decl || !decl) {
                return Ok(true);
            }
        }
        Ok(false)
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

/// Read a LEB128 from `b` at `*p` (value meaningful for unsigned; for signed only the length
/// matters to callers). `None` past the end or on overlong input.
#[inline]
fn raw_uleb(b: &[u8], p: &mut usize) -> Option<u64> {
    let first = *b.get(*p)?;
    *p += 1;
    if first < 0x80 {
        return Some(u64::from(first));
    }
    let mut v = u64::from(first & 0x7f);
    let mut shift = 7;
    loop {
        let byte = *b.get(*p)?;
        *p += 1;
        if shift < 64 {
            v |= u64::from(byte & 0x7f) << shift;
        } else if shift > 70 {
            return None;
        }
        if byte < 0x80 {
            return Some(v);
        }
        shift += 7;
    }
}

/// Skip one attribute value of `form`. `None` for forms we do not know.
#[allow(non_upper_case_globals)]
fn skip_form(
    r: &mut gimli::EndianSlice<'_, gimli::RunTimeEndian>,
    form: gimli::DwForm,
    enc: gimli::Encoding,
) -> Option<()> {
    use gimli::constants::*;
    let n: usize = match form {
        DW_FORM_flag_present | DW_FORM_implicit_const => 0,
        DW_FORM_data1 | DW_FORM_ref1 | DW_FORM_flag | DW_FORM_strx1 | DW_FORM_addrx1 => 1,
        DW_FORM_data2 | DW_FORM_ref2 | DW_FORM_strx2 | DW_FORM_addrx2 => 2,
        DW_FORM_strx3 | DW_FORM_addrx3 => 3,
        DW_FORM_data4 | DW_FORM_ref4 | DW_FORM_ref_sup4 | DW_FORM_strx4 | DW_FORM_addrx4 => 4,
        DW_FORM_data8 | DW_FORM_ref8 | DW_FORM_ref_sig8 | DW_FORM_ref_sup8 => 8,
        DW_FORM_data16 => 16,
        DW_FORM_addr => usize::from(enc.address_size),
        DW_FORM_strp | DW_FORM_line_strp | DW_FORM_sec_offset | DW_FORM_strp_sup
        | DW_FORM_GNU_ref_alt | DW_FORM_GNU_strp_alt => usize::from(enc.format.word_size()),
        DW_FORM_ref_addr => {
            if enc.version <= 2 {
                usize::from(enc.address_size)
            } else {
                usize::from(enc.format.word_size())
            }
        }
        DW_FORM_udata
        | DW_FORM_ref_udata
        | DW_FORM_strx
        | DW_FORM_addrx
        | DW_FORM_loclistx
        | DW_FORM_rnglistx
        | DW_FORM_GNU_addr_index
        | DW_FORM_GNU_str_index => {
            r.read_uleb128().ok()?;
            0
        }
        DW_FORM_sdata => {
            r.read_sleb128().ok()?;
            0
        }
        DW_FORM_string => {
            r.read_null_terminated_slice().ok()?;
            0
        }
        DW_FORM_block1 => usize::from(r.read_u8().ok()?),
        DW_FORM_block2 => usize::from(r.read_u16().ok()?),
        DW_FORM_block4 => r.read_u32().ok()? as usize,
        DW_FORM_block | DW_FORM_exprloc => r.read_uleb128().ok()? as usize,
        _ => return None,
    };
    r.skip(n).ok()
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
