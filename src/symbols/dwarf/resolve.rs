//! DWARF DIE -> owned [`Type`], with bounded recursion and a node budget.

use gimli::{AttributeValue, Reader, Section, UnitOffset};

use super::{udata, DieRef, DwarfData, UnitSlot, R};
use crate::symbols::error::SymError;
use crate::symbols::types::{BitField, Composite, Encoding, EnumType, Member, Type, TypeRef};

/// Deepest nesting of embedded types we follow (the kernel needs < 20).
pub(crate) const MAX_DEPTH: usize = 64;
/// Most DIEs one resolution may visit (guards against exponential DAG expansion).
const NODE_BUDGET: usize = 500_000;

/// The attributes we care about, collected from one DIE.
#[derive(Default)]
pub(crate) struct Attrs {
    pub(crate) name: Option<&'static str>,
    pub(crate) byte_size: Option<u64>,
    pub(crate) ty: Option<AttributeValue<R>>,
    pub(crate) encoding: Option<u8>,
    pub(crate) declaration: bool,
    pub(crate) member_location: Option<AttributeValue<R>>,
    pub(crate) data_bit_offset: Option<u64>,
    pub(crate) bit_offset: Option<u64>,
    pub(crate) bit_size: Option<u64>,
    pub(crate) count: Option<AttributeValue<R>>,
    pub(crate) upper_bound: Option<AttributeValue<R>>,
    pub(crate) lower_bound: Option<AttributeValue<R>>,
    pub(crate) const_value: Option<i64>,
    pub(crate) location: Option<AttributeValue<R>>,
    pub(crate) origin: Option<AttributeValue<R>>,
}

pub(crate) fn collect_attrs(
    d: &DwarfData,
    entry: &gimli::DebuggingInformationEntry<'_, '_, R>,
) -> gimli::Result<Attrs> {
    let mut a = Attrs::default();
    let mut it = entry.attrs();
    while let Some(attr) = it.next()? {
        let v = attr.value();
        match attr.name() {
            gimli::DW_AT_name => a.name = d.attr_str(v),
            gimli::DW_AT_byte_size => a.byte_size = udata(v),
            gimli::DW_AT_type => a.ty = Some(v),
            gimli::DW_AT_encoding => {
                if let AttributeValue::Encoding(e) = v {
                    a.encoding = Some(e.0)
                }
            }
            gimli::DW_AT_declaration => a.declaration = matches!(v, AttributeValue::Flag(true)),
            gimli::DW_AT_data_member_location => a.member_location = Some(v),
            gimli::DW_AT_data_bit_offset => a.data_bit_offset = udata(v),
            gimli::DW_AT_bit_offset => a.bit_offset = udata(v),
            gimli::DW_AT_bit_size => a.bit_size = udata(v),
            gimli::DW_AT_count => a.count = Some(v),
            gimli::DW_AT_upper_bound => a.upper_bound = Some(v),
            gimli::DW_AT_lower_bound => a.lower_bound = Some(v),
            gimli::DW_AT_const_value => a.const_value = super::const_value(v),
            gimli::DW_AT_location => a.location = Some(v),
            gimli::DW_AT_specification | gimli::DW_AT_abstract_origin => a.origin = Some(v),
            _ => {}
        }
    }
    Ok(a)
}

struct Ctx {
    budget: usize,
}

impl DwarfData {
    /// Read one DIE's tag and attributes.
    pub(crate) fn die_attrs(&self, r: DieRef) -> Result<(gimli::DwTag, Attrs), SymError> {
        let slot = self.slot(r.unit)?;
        let ud = self.unit_data(r.unit)?;
        let off = self.global_offset(r);
        let e = |err| SymError::dwarf(&self.file, off, "a type DIE", err);
        let mut cursor = slot
            .header
            .entries_at_offset(&ud.abbrevs, UnitOffset(r.offset))
            .map_err(e)?;
        let Some((_, entry)) = cursor.next_dfs().map_err(e)? else {
            return Err(self.unexpected(off, "DIE", "an entry at this offset"));
        };
        let attrs = collect_attrs(self, entry).map_err(e)?;
        Ok((entry.tag(), attrs))
    }

    fn unexpected(&self, offset: u64, what: &str, expected: &str) -> SymError {
        SymError::UnexpectedDwarf {
            file: self.file.clone(),
            section: ".debug_info",
            offset,
            what: what.to_string(),
            expected: expected.to_string(),
        }
    }

    /// Resolve the type DIE `r` into an owned [`Type`].
    pub(crate) fn resolve_type(&self, r: DieRef, what: &str) -> Result<Type, SymError> {
        let mut ctx = Ctx {
            budget: NODE_BUDGET,
        };
        self.resolve_at(r, 0, what, &mut ctx)
    }

    /// Resolve a DW_AT_type value (None = void).
    fn resolve_type_attr(
        &self,
        unit: u32,
        v: Option<AttributeValue<R>>,
        depth: usize,
        what: &str,
        ctx: &mut Ctx,
    ) -> Result<Type, SymError> {
        let Some(v) = v else { return Ok(Type::Void) };
        match self.die_ref(unit, v)? {
            Some(r) => self.resolve_at(r, depth + 1, what, ctx),
            None => Err(self.unexpected(
                self.slot(unit).map(|s| s.offset).unwrap_or(0),
                &format!("DW_AT_type of {what}"),
                "a reference to a DIE (DW_FORM_ref*)",
            )),
        }
    }

    pub(crate) fn type_ref_attr(
        &self,
        unit: u32,
        v: AttributeValue<R>,
    ) -> Result<DieRef, SymError> {
        self.die_ref(unit, v)?.ok_or_else(|| {
            self.unexpected(
                self.slot(unit).map(|s| s.offset).unwrap_or(0),
                "DW_AT_type",
                "a reference to a DIE (DW_FORM_ref*)",
            )
        })
    }

    fn resolve_at(
        &self,
        r: DieRef,
        depth: usize,
        what: &str,
        ctx: &mut Ctx,
    ) -> Result<Type, SymError> {
        let off = self.global_offset(r);
        if depth > MAX_DEPTH || ctx.budget == 0 {
            return Err(SymError::TooDeep {
                file: self.file.clone(),
                offset: off,
                limit: MAX_DEPTH,
                what: what.to_string(),
            });
        }
        ctx.budget -= 1;
        let slot = self.slot(r.unit)?;
        let ud = self.unit_data(r.unit)?;
        let gerr = |err| SymError::dwarf(&self.file, off, format!("type DIE for {what}"), err);
        let mut tree = slot
            .header
            .entries_tree(&ud.abbrevs, Some(UnitOffset(r.offset)))
            .map_err(gerr)?;
        let root = tree.root().map_err(gerr)?;
        let tag = root.entry().tag();
        let a = collect_attrs(self, root.entry()).map_err(gerr)?;
        match tag {
            gimli::DW_TAG_base_type => Ok(Type::Base {
                name: a.name.unwrap_or("<unnamed>").to_string(),
                size: a.byte_size.unwrap_or(0),
                encoding: match a.encoding.map(gimli::DwAte) {
                    Some(gimli::DW_ATE_signed) => Encoding::Signed,
                    Some(gimli::DW_ATE_unsigned) => Encoding::Unsigned,
                    Some(gimli::DW_ATE_boolean) => Encoding::Bool,
                    Some(gimli::DW_ATE_signed_char) => Encoding::SignedChar,
                    Some(gimli::DW_ATE_unsigned_char) => Encoding::UnsignedChar,
                    Some(gimli::DW_ATE_float) => Encoding::Float,
                    Some(o) => Encoding::Other(o.0),
                    None => Encoding::Other(0),
                },
            }),
            gimli::DW_TAG_unspecified_type => Ok(Type::Void),
            gimli::DW_TAG_structure_type | gimli::DW_TAG_class_type | gimli::DW_TAG_union_type => {
                let is_union = tag == gimli::DW_TAG_union_type;
                if a.declaration {
                    return Ok(Type::Incomplete {
                        kind: if is_union { "union" } else { "struct" },
                        name: a.name.unwrap_or("<anonymous>").to_string(),
                    });
                }
                let mut members = Vec::new();
                let mut children = root.children();
                while let Some(child) = children.next().map_err(gerr)? {
                    let e = child.entry();
                    if e.tag() != gimli::DW_TAG_member {
                        continue;
                    }
                    let moff = slot.offset + e.offset().0 as u64;
                    let m = collect_attrs(self, e).map_err(gerr)?;
                    let mname = m.name.map(str::to_string);
                    let mwhat = format!(
                        "{what}.{}",
                        mname.as_deref().unwrap_or("<anonymous>")
                    );
                    let ty = self.resolve_type_attr(r.unit, m.ty, depth, &mwhat, ctx)?;
                    let byte_loc = match m.member_location {
                        None => 0,
                        Some(v) => self
                            .member_location(slot, v)
                            .ok_or_else(|| self.unexpected(moff, &format!("member {mwhat}"), "a constant DW_AT_data_member_location"))?,
                    };
                    let bitfield = match m.bit_size {
                        None => None,
                        Some(bit_size) => {
                            let bad = || {
                                self.unexpected(
                                    moff,
                                    &format!("bitfield {mwhat}"),
                                    "bit offsets within the struct (DW_AT_bit_offset + DW_AT_bit_size within DW_AT_byte_size)",
                                )
                            };
                            let loc_bits = byte_loc.checked_mul(8).ok_or_else(bad)?;
                            let bit_offset = if let Some(dbo) = m.data_bit_offset {
                                dbo
                            } else if let Some(bo) = m.bit_offset {
                                // DWARF 2/3: bit_offset counts from the MSB of the storage unit.
                                let storage = m.byte_size.or_else(|| ty.size()).unwrap_or(0);
                                match self.dwarf.debug_info.reader().endian() {
                                    gimli::RunTimeEndian::Little => storage
                                        .checked_mul(8)
                                        .and_then(|s| s.checked_add(loc_bits))
                                        .and_then(|end| end.checked_sub(bo.checked_add(bit_size)?))
                                        .ok_or_else(bad)?,
                                    gimli::RunTimeEndian::Big => {
                                        loc_bits.checked_add(bo).ok_or_else(bad)?
                                    }
                                }
                            } else {
                                loc_bits
                            };
                            Some(BitField {
                                bit_offset,
                                bit_size,
                            })
                        }
                    };
                    members.push(Member {
                        name: mname,
                        offset: bitfield.map(|b| b.bit_offset / 8).unwrap_or(byte_loc),
                        bitfield,
                        ty,
                    });
                }
                let comp = Composite {
                    name: a.name.map(str::to_string),
                    size: a.byte_size.unwrap_or(0),
                    members,
                };
                Ok(if is_union {
                    Type::Union(comp)
                } else {
                    Type::Struct(comp)
                })
            }
            gimli::DW_TAG_enumeration_type => {
                if a.declaration {
                    return Ok(Type::Incomplete {
                        kind: "enum",
                        name: a.name.unwrap_or("<anonymous>").to_string(),
                    });
                }
                let mut enumerators = Vec::new();
                let mut children = root.children();
                while let Some(child) = children.next().map_err(gerr)? {
                    let e = child.entry();
                    if e.tag() != gimli::DW_TAG_enumerator {
                        continue;
                    }
                    let m = collect_attrs(self, e).map_err(gerr)?;
                    if let (Some(n), Some(v)) = (m.name, m.const_value) {
                        enumerators.push((n.to_string(), v));
                    }
                }
                let signed = match a.ty {
                    Some(_) => self
                        .resolve_type_attr(r.unit, a.ty, depth, what, ctx)?
                        .scalar()
                        .map(|s| s.signed)
                        .unwrap_or(false),
                    None => enumerators.iter().any(|(_, v)| *v < 0),
                };
                Ok(Type::Enum(EnumType {
                    name: a.name.map(str::to_string),
                    size: a.byte_size.unwrap_or(0),
                    signed,
                    enumerators,
                }))
            }
            gimli::DW_TAG_array_type => {
                let elem = self.resolve_type_attr(r.unit, a.ty, depth, what, ctx)?;
                let mut dims = Vec::new();
                let mut children = root.children();
                while let Some(child) = children.next().map_err(gerr)? {
                    let e = child.entry();
                    if e.tag() != gimli::DW_TAG_subrange_type {
                        continue;
                    }
                    let s = collect_attrs(self, e).map_err(gerr)?;
                    dims.push(subrange_count(&s));
                }
                if dims.is_empty() {
                    dims.push(None);
                }
                Ok(Type::Array {
                    elem: Box::new(elem),
                    dims,
                })
            }
            gimli::DW_TAG_pointer_type
            | gimli::DW_TAG_reference_type
            | gimli::DW_TAG_rvalue_reference_type => {
                let size = a
                    .byte_size
                    .unwrap_or(u64::from(slot.header.address_size()));
                let (target, target_ref) = match a.ty {
                    None => ("void".to_string(), None),
                    Some(v) => {
                        let tr = self.type_ref_attr(r.unit, v)?;
                        (self.type_name(tr, depth + 1)?, Some(tr))
                    }
                };
                Ok(Type::Pointer {
                    size,
                    target,
                    target_ref: target_ref.map(|t| TypeRef {
                        unit: t.unit,
                        offset: t.offset,
                    }),
                })
            }
            gimli::DW_TAG_typedef => Ok(Type::Typedef {
                name: a.name.unwrap_or("<unnamed>").to_string(),
                target: Box::new(self.resolve_type_attr(r.unit, a.ty, depth, what, ctx)?),
            }),
            gimli::DW_TAG_const_type
            | gimli::DW_TAG_volatile_type
            | gimli::DW_TAG_restrict_type
            | gimli::DW_TAG_atomic_type
            | gimli::DW_TAG_immutable_type
            | gimli::DW_TAG_packed_type => self.resolve_type_attr(r.unit, a.ty, depth, what, ctx),
            gimli::DW_TAG_subroutine_type => Ok(Type::Function {
                summary: self.type_name(r, depth)?,
            }),
            other => Err(self.unexpected(
                off,
                &format!("{other} used as the type of {what}"),
                "a type DIE (base, struct, union, enum, array, pointer, typedef, qualifier, subroutine)",
            )),
        }
    }

    fn member_location(&self, slot: &UnitSlot, v: AttributeValue<R>) -> Option<u64> {
        if let AttributeValue::Exprloc(expr) = v {
            // DWARF 2 style: DW_OP_plus_uconst N (or DW_OP_constu N).
            let mut ops = expr.operations(slot.header.encoding());
            return match ops.next().ok()?? {
                gimli::Operation::PlusConstant { value } => Some(value),
                gimli::Operation::UnsignedConstant { value } => Some(value),
                _ => None,
            };
        }
        udata(v)
    }

    /// C spelling of a type DIE without resolving members (for pointer targets).
    pub(crate) fn type_name(&self, r: DieRef, depth: usize) -> Result<String, SymError> {
        if depth > MAX_DEPTH {
            return Err(SymError::TooDeep {
                file: self.file.clone(),
                offset: self.global_offset(r),
                limit: MAX_DEPTH,
                what: "a type name".into(),
            });
        }
        let (tag, a) = self.die_attrs(r)?;
        let inner = |v: Option<AttributeValue<R>>| -> Result<String, SymError> {
            match v {
                None => Ok("void".into()),
                Some(v) => {
                    let t = self.type_ref_attr(r.unit, v)?;
                    self.type_name(t, depth + 1)
                }
            }
        };
        let named = |kw: &str| format!("{kw} {}", a.name.unwrap_or("<anonymous>"));
        Ok(match tag {
            gimli::DW_TAG_base_type | gimli::DW_TAG_typedef => a.name.unwrap_or("<unnamed>").into(),
            gimli::DW_TAG_unspecified_type => a.name.unwrap_or("void").into(),
            gimli::DW_TAG_structure_type | gimli::DW_TAG_class_type => named("struct"),
            gimli::DW_TAG_union_type => named("union"),
            gimli::DW_TAG_enumeration_type => named("enum"),
            gimli::DW_TAG_pointer_type | gimli::DW_TAG_reference_type => {
                let t = inner(a.ty)?;
                format!("{t} *")
            }
            gimli::DW_TAG_const_type => format!("const {}", inner(a.ty)?),
            gimli::DW_TAG_volatile_type => format!("volatile {}", inner(a.ty)?),
            gimli::DW_TAG_restrict_type
            | gimli::DW_TAG_atomic_type
            | gimli::DW_TAG_immutable_type
            | gimli::DW_TAG_packed_type => inner(a.ty)?,
            gimli::DW_TAG_array_type => format!("{} []", inner(a.ty)?),
            gimli::DW_TAG_subroutine_type => {
                let ret = inner(a.ty)?;
                let mut params = Vec::new();
                let slot = self.slot(r.unit)?;
                let ud = self.unit_data(r.unit)?;
                let off = self.global_offset(r);
                let gerr = |err| SymError::dwarf(&self.file, off, "a subroutine type", err);
                let mut tree = slot
                    .header
                    .entries_tree(&ud.abbrevs, Some(UnitOffset(r.offset)))
                    .map_err(gerr)?;
                let root = tree.root().map_err(gerr)?;
                let mut children = root.children();
                while let Some(child) = children.next().map_err(gerr)? {
                    match child.entry().tag() {
                        gimli::DW_TAG_formal_parameter => {
                            let p = collect_attrs(self, child.entry()).map_err(gerr)?;
                            params.push(inner(p.ty)?);
                        }
                        gimli::DW_TAG_unspecified_parameters => params.push("...".into()),
                        _ => {}
                    }
                }
                if params.is_empty() {
                    params.push("void".into());
                }
                format!("{ret} ({})", params.join(", "))
            }
            other => format!("<{other}>"),
        })
    }
}

/// Element count of a DW_TAG_subrange_type; None when flexible or not a constant.
fn subrange_count(s: &Attrs) -> Option<u64> {
    if let Some(c) = s.count {
        return udata(c);
    }
    let ub = s.upper_bound?;
    let lb = s.lower_bound.and_then(udata).unwrap_or(0);
    let ub: i128 = match ub {
        AttributeValue::Sdata(x) => x as i128,
        // Small fixed-size forms hold unsigned bounds (char name[201] has upper bound 0xc8);
        // only a 64-bit all-ones value is read as -1.
        AttributeValue::Data1(x) => x as i128,
        AttributeValue::Data2(x) => x as i128,
        AttributeValue::Data4(x) => x as i128,
        AttributeValue::Data8(x) => x as i64 as i128,
        AttributeValue::Udata(x) => x as i128,
        _ => return None,
    };
    // `T x[0]` is encoded as upper bound -1.
    let n = ub - lb as i128 + 1;
    (n >= 0).then_some(n as u64)
}
