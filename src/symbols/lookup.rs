//! Types and enumerators by name: which units a [`Hint`] names, the search over them (then over
//! the rest of the units, unless the hint is [`Hint::Only`]), and what a miss says it searched.

use std::sync::Arc;

use gimli::UnitOffset;

use super::dwarf::{basename, DieRef, NamedKind, UnitData, UnitsNamed, Want};
use super::{FieldInfo, Hint, SymBinding, SymError, SymKind, Type, TypeRef, Vmlinux};

/// The units a hint names, in .debug_info order.
pub(crate) enum HintUnits<'a> {
    /// A path: read from the unit table as far as the caller iterates.
    Named(UnitsNamed<'a>),
    /// Worked out up front ([`Hint::Symbol`]; empty for [`Hint::Any`]).
    Listed(std::vec::IntoIter<u32>),
}

impl Iterator for HintUnits<'_> {
    type Item = Result<u32, SymError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            HintUnits::Named(n) => n.next(),
            HintUnits::Listed(l) => l.next().map(Ok),
        }
    }
}

/// A search that found nothing: what it looked at, for the error message.
pub(crate) struct Searched(pub(crate) String);

impl Vmlinux {
    /// Number of compile units (reads every unit header).
    pub fn unit_count(&self) -> Result<usize, SymError> {
        Ok(self.dwarf.unit_count()? as usize)
    }

    /// Root DW_AT_name of each unit, in .debug_info order.
    pub fn unit_names(&self) -> Result<Vec<Option<&str>>, SymError> {
        Ok(self.dwarf.all_units()?.map(|u| u.name).collect())
    }

    /// Units to try first for a hint.
    pub(crate) fn hint_units<'a>(&'a self, hint: Hint<'a>) -> Result<HintUnits<'a>, SymError> {
        Ok(match hint {
            Hint::Any => HintUnits::Listed(Vec::new().into_iter()),
            Hint::File(p) | Hint::Only(p) => HintUnits::Named(self.dwarf.units_named(vec![p])),
            Hint::Symbol(name) => HintUnits::Listed(self.symbol_units(name)?.into_iter()),
        })
    }

    /// The units defining symbol `name`: a static's through its `STT_FILE`, a function's
    /// through .debug_aranges. Sorted, without duplicates.
    fn symbol_units(&self, name: &str) -> Result<Vec<u32>, SymError> {
        let mut out = Vec::new();
        for s in self.symbols(name)? {
            if s.shndx == object::elf::SHN_UNDEF {
                continue;
            }
            if let (SymBinding::Local, Some(f)) = (s.binding, s.file) {
                for u in self.dwarf.units_named(vec![basename(f)]) {
                    out.push(u?);
                }
            }
            if s.kind == SymKind::Func {
                out.extend(self.dwarf.unit_for_address(s.addr)?);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// All units in fallback order: those in the same directories as `first`, then the rest.
    /// Empty for [`Hint::Only`].
    pub(crate) fn fallback_order(
        &self,
        hint: Hint<'_>,
        first: &[u32],
    ) -> Result<Vec<u32>, SymError> {
        if let Hint::Only(_) = hint {
            return Ok(Vec::new());
        }
        let dirs: Vec<&str> = first
            .iter()
            .filter_map(|&u| self.dwarf.unit_name(u))
            .filter_map(|n| n.rsplit_once('/').map(|(d, _)| d))
            .collect();
        let mut near = Vec::new();
        let mut far = Vec::new();
        for (i, u) in self.dwarf.all_units()?.enumerate() {
            let i = i as u32;
            if first.contains(&i) {
                continue;
            }
            let in_dirs = u
                .name
                .and_then(|n| n.rsplit_once('/'))
                .is_some_and(|(d, _)| dirs.contains(&d));
            if in_dirs {
                near.push(i)
            } else {
                far.push(i)
            }
        }
        near.extend(far);
        Ok(near)
    }

    pub(crate) fn describe_hint(&self, hint: Hint<'_>, tried: &[u32], scanned: usize) -> String {
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

    /// The first unit, in search order, for which `hit` finds something: the hint's units, then
    /// the others in [`Vmlinux::fallback_order`] whose DIEs a quick scan says have `name` as
    /// `want` asks (so the fallback keeps no index of the units it passes).
    fn search_units<T>(
        &self,
        hint: Hint<'_>,
        name: &str,
        want: Want<'_>,
        mut hit: impl FnMut(u32, &UnitData) -> Result<Option<T>, SymError>,
    ) -> Result<Result<T, Searched>, SymError> {
        let mut first = Vec::new();
        for u in self.hint_units(hint)? {
            let u = u?;
            first.push(u);
            if let Some(t) = hit(u, &*self.dwarf.unit_data(u)?)? {
                return Ok(Ok(t));
            }
        }
        let order = self.fallback_order(hint, &first)?;
        for &u in &order {
            if self.dwarf.unit_has(u, name, want)? {
                if let Some(t) = hit(u, &*self.dwarf.unit_data(u)?)? {
                    return Ok(Ok(t));
                }
            }
        }
        Ok(Err(Searched(self.describe_hint(hint, &first, order.len()))))
    }

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

    /// The defining DIE of a type named `name` of one of `kinds` (the shallowest, if a unit has
    /// several).
    fn find_named_die(
        &self,
        name: &str,
        kinds: &[NamedKind],
        hint: Hint<'_>,
    ) -> Result<DieRef, SymError> {
        let want = Want::Named {
            kinds,
            allow_decl: false,
        };
        let pick = |u: u32, ud: &UnitData| -> Result<Option<DieRef>, SymError> {
            let o: Option<UnitOffset<usize>> = ud
                .named(name)
                .filter(|d| kinds.contains(&d.kind) && !d.declaration)
                .min_by_key(|d| d.depth)
                .map(|d| d.offset);
            Ok(o.map(|o| DieRef {
                unit: u,
                offset: o.0,
            }))
        };
        self.search_units(hint, name, want, pick)?
            .map_err(|Searched(searched)| SymError::TypeNotFound {
                file: self.elf.file.clone(),
                name: name.to_string(),
                searched,
            })
    }

    /// Value of an enumerator such as `MODULE_STATE_UNFORMED` or `MOD_TEXT`.
    pub fn enumerator(&self, name: &str, hint: Hint<'_>) -> Result<i64, SymError> {
        self.search_units(hint, name, Want::Enumerator, |_, ud| {
            Ok(ud.enumerators(name).next().map(|e| e.value))
        })?
        .map_err(|Searched(searched)| SymError::EnumeratorNotFound {
            file: self.elf.file.clone(),
            name: name.to_string(),
            searched,
        })
    }

    /// The enum type that declares an enumerator.
    pub fn enum_of(&self, enumerator: &str, hint: Hint<'_>) -> Result<Type, SymError> {
        let r = self
            .search_units(hint, enumerator, Want::Enumerator, |u, ud| {
                Ok(ud.enumerators(enumerator).next().map(|e| DieRef {
                    unit: u,
                    offset: e.enum_offset.0,
                }))
            })?
            .map_err(|Searched(searched)| SymError::EnumeratorNotFound {
                file: self.elf.file.clone(),
                name: enumerator.to_string(),
                searched,
            })?;
        self.dwarf
            .resolve_type(r, &format!("the enum of {enumerator}"))
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
        for u in self.dwarf.units_named(vec![path]) {
            let u = u?;
            let ud: Arc<UnitData> = self.dwarf.unit_data(u)?;
            out.push((
                self.dwarf.unit_name(u).unwrap_or("?").to_string(),
                ud.named_count(),
            ));
        }
        Ok(out)
    }
}
