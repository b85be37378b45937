//! Per-unit name index: named types, variables and enumerators of one unit, built on first use;
//! and the index-free scan the fallback search uses.

use std::sync::Arc;

use gimli::{AttributeValue, UnitOffset};

use super::{const_value, CachedErr, DwarfData, UnitSlot};
use crate::symbols::elf::{FxBuild, FxHashMap};
use crate::symbols::error::SymError;

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

/// The attributes [`DwarfData::index_unit`] reads from a DIE it indexes; it skips the others.
const INDEXED_ATTRS: [gimli::DwAt; 5] = [
    gimli::DW_AT_name,
    gimli::DW_AT_declaration,
    gimli::DW_AT_specification,
    gimli::DW_AT_abstract_origin,
    gimli::DW_AT_const_value,
];

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

impl DwarfData {
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
                if !INDEXED_ATTRS.contains(&spec.name()) {
                    // Skipping by form is cheaper than decoding a value we would drop.
                    raw.skip_attributes(std::slice::from_ref(spec))
                        .map_err(wrap(die_off, "a DIE's attributes"))?;
                    continue;
                }
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
}
