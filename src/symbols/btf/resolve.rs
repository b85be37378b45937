//! BTF type ids -> the owned [`Type`] model. Embedded types (members, array elements, typedef
//! targets) are resolved recursively, pointer targets only spelled, qualifiers stripped: the
//! same shape the DWARF reader gives. A depth and a node budget bound a hostile type graph.

use super::format::*;
use super::{Btf, BtfError};
use crate::symbols::{BitField, Composite, Encoding, EnumType, Member, Type, TypeRef};

/// Nesting bound (the kernel's deepest real nesting is far below).
const MAX_DEPTH: usize = 64;
/// Type nodes built for one resolution (`struct page` is a few hundred).
const MAX_NODES: usize = 200_000;
/// Bound for C spellings of pointer targets.
const MAX_SPELL_DEPTH: usize = 16;

/// Marks a [`TypeRef`] as a BTF type id rather than a DWARF DIE.
pub(crate) const BTF_UNIT: u32 = u32::MAX;
/// Pointer size on the 64-bit kernels read (BTF does not record it).
const PTR_SIZE: u64 = 8;

struct Resolver<'a> {
    btf: &'a Btf,
    nodes: usize,
    what: &'a str,
}

impl Btf {
    /// Resolve type `id` (0 is void). `what` names the request in errors.
    pub fn resolve(&self, id: u32, what: &str) -> Result<Type, BtfError> {
        Resolver {
            btf: self,
            nodes: 0,
            what,
        }
        .ty(id, 0)
    }

    /// Resolve every type once (fuzzing, self-checks); the first error stops it.
    pub fn resolve_all(&self) -> Result<usize, BtfError> {
        for id in 1..=self.type_count() {
            self.resolve(id, "every type")?;
        }
        Ok(self.type_count() as usize)
    }

    /// The C spelling of type `id`, as a pointer's target is shown ("struct module", "char",
    /// "int (struct module *)").
    pub fn spell(&self, id: u32) -> String {
        self.spell_at(id, 0)
    }

    fn spell_at(&self, id: u32, depth: usize) -> String {
        if id == 0 {
            return "void".into();
        }
        if depth > MAX_SPELL_DEPTH {
            return "...".into();
        }
        let Ok((t, trailing)) = self.ty(id) else {
            return format!("<bad type {id}>");
        };
        let name = || self.name(t.name_off).unwrap_or("?").to_string();
        let named = |kw: &str| {
            let n = self.name(t.name_off).unwrap_or("");
            if n.is_empty() {
                format!("{kw} <anonymous>")
            } else {
                format!("{kw} {n}")
            }
        };
        match t.kind() {
            BTF_KIND_INT | BTF_KIND_FLOAT | BTF_KIND_TYPEDEF => name(),
            BTF_KIND_STRUCT => named("struct"),
            BTF_KIND_UNION => named("union"),
            BTF_KIND_ENUM | BTF_KIND_ENUM64 => named("enum"),
            BTF_KIND_FWD => named(if t.kind_flag() { "union" } else { "struct" }),
            BTF_KIND_PTR => {
                let inner = self.spell_at(t.size_or_type, depth + 1);
                match crate::symbols::types::function_parts(&inner) {
                    Some((ret, params)) => format!("{ret} (*){params}"),
                    None => format!("{inner} *"),
                }
            }
            BTF_KIND_ARRAY => match self.entry::<BtfArray>(trailing, 0, 12) {
                Ok(a) => format!("{} [{}]", self.spell_at(a.type_, depth + 1), a.nelems),
                Err(_) => "<bad array>".into(),
            },
            BTF_KIND_CONST | BTF_KIND_VOLATILE | BTF_KIND_RESTRICT | BTF_KIND_TYPE_TAG => {
                self.spell_at(t.size_or_type, depth + 1)
            }
            BTF_KIND_FUNC_PROTO => {
                let ret = self.spell_at(t.size_or_type, depth + 1);
                let params: Vec<String> = (0..t.vlen() as usize)
                    .map(|i| match self.entry::<BtfParam>(trailing, i, 8) {
                        // A trailing (0, 0) parameter is C's "...".
                        Ok(p) if p.type_ == 0 => "...".to_string(),
                        Ok(p) => self.spell_at(p.type_, depth + 1),
                        Err(_) => "?".into(),
                    })
                    .collect();
                if params.is_empty() {
                    format!("{ret} (void)")
                } else {
                    format!("{ret} ({})", params.join(", "))
                }
            }
            _ => name(),
        }
    }
}

impl Resolver<'_> {
    fn budget(&mut self) -> Result<(), BtfError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(BtfError::TooLarge {
                at: self.btf.origin,
                limit: MAX_NODES,
                what: self.what.to_string(),
            });
        }
        Ok(())
    }

    fn ty(&mut self, id: u32, depth: usize) -> Result<Type, BtfError> {
        if id == 0 {
            return Ok(Type::Void);
        }
        if depth > MAX_DEPTH {
            return Err(BtfError::TooDeep {
                at: self.btf.origin + self.btf.type_offset(id).unwrap_or(0) as u64,
                limit: MAX_DEPTH,
                what: self.what.to_string(),
            });
        }
        self.budget()?;
        let btf = self.btf;
        let (t, trailing) = btf.ty(id)?;
        let name = || -> Result<Option<String>, BtfError> {
            let n = btf.name(t.name_off)?;
            Ok((!n.is_empty()).then(|| n.to_string()))
        };
        Ok(match t.kind() {
            BTF_KIND_INT => {
                let bits: u32 = btf.entry(trailing, 0, 4)?;
                let enc = (bits >> 24) & 0xf;
                let encoding = if enc & BTF_INT_BOOL != 0 {
                    Encoding::Bool
                } else if enc & BTF_INT_CHAR != 0 {
                    if enc & BTF_INT_SIGNED != 0 {
                        Encoding::SignedChar
                    } else {
                        Encoding::UnsignedChar
                    }
                } else if enc & BTF_INT_SIGNED != 0 {
                    Encoding::Signed
                } else {
                    Encoding::Unsigned
                };
                Type::Base {
                    name: name()?.unwrap_or_default(),
                    size: u64::from(t.size_or_type),
                    encoding,
                }
            }
            BTF_KIND_FLOAT => Type::Base {
                name: name()?.unwrap_or_default(),
                size: u64::from(t.size_or_type),
                encoding: Encoding::Float,
            },
            BTF_KIND_PTR => Type::Pointer {
                size: PTR_SIZE,
                target: btf.spell(t.size_or_type),
                target_ref: (t.size_or_type != 0).then_some(TypeRef {
                    unit: BTF_UNIT,
                    offset: t.size_or_type as usize,
                }),
            },
            BTF_KIND_ARRAY => {
                // `T x[a][b]` is ARRAY(a) of ARRAY(b) of T: one dimension list, outermost first.
                let mut dims = Vec::new();
                let mut a: BtfArray = btf.entry(trailing, 0, 12)?;
                loop {
                    dims.push(Some(u64::from(a.nelems)));
                    let (inner, inner_trailing) = match a.type_ {
                        0 => break,
                        id => btf.ty(id)?,
                    };
                    if inner.kind() != BTF_KIND_ARRAY || dims.len() > MAX_DEPTH {
                        break;
                    }
                    self.budget()?;
                    a = btf.entry(inner_trailing, 0, 12)?;
                }
                Type::Array {
                    elem: Box::new(self.ty(a.type_, depth + 1)?),
                    dims,
                }
            }
            BTF_KIND_STRUCT | BTF_KIND_UNION => {
                let mut members = Vec::with_capacity(t.vlen() as usize);
                for i in 0..t.vlen() as usize {
                    let m: BtfMember = btf.entry(trailing, i, 12)?;
                    let (bit_offset, bit_size) = if t.kind_flag() {
                        (u64::from(m.offset & 0xff_ffff), u64::from(m.offset >> 24))
                    } else {
                        (u64::from(m.offset), 0)
                    };
                    let ty = self.ty(m.type_, depth + 1)?;
                    // Without the kind_flag a bitfield is an INT member with fewer bits than
                    // its size, or one not on a byte boundary.
                    let bit_size = match (bit_size, &ty) {
                        (0, _) if !t.kind_flag() => self.int_bits(m.type_, bit_offset)?,
                        (s, _) => s,
                    };
                    let mn = btf.name(m.name_off)?;
                    members.push(Member {
                        name: (!mn.is_empty()).then(|| mn.to_string()),
                        offset: bit_offset / 8,
                        bitfield: (bit_size != 0).then_some(BitField {
                            bit_offset,
                            bit_size,
                        }),
                        ty,
                    });
                }
                let c = Composite {
                    name: name()?,
                    size: u64::from(t.size_or_type),
                    members,
                };
                if t.kind() == BTF_KIND_STRUCT {
                    Type::Struct(c)
                } else {
                    Type::Union(c)
                }
            }
            BTF_KIND_ENUM | BTF_KIND_ENUM64 => {
                let enumerators = btf
                    .enum_values(t, trailing)?
                    .into_iter()
                    .map(|(off, v)| Ok((btf.name(off)?.to_string(), v)))
                    .collect::<Result<_, BtfError>>()?;
                Type::Enum(EnumType {
                    name: name()?,
                    size: u64::from(t.size_or_type),
                    signed: t.kind_flag(),
                    enumerators,
                })
            }
            BTF_KIND_FWD => Type::Incomplete {
                kind: if t.kind_flag() { "union" } else { "struct" },
                name: name()?.unwrap_or_default(),
            },
            BTF_KIND_TYPEDEF => Type::Typedef {
                name: name()?.unwrap_or_default(),
                target: Box::new(self.ty(t.size_or_type, depth + 1)?),
            },
            BTF_KIND_CONST | BTF_KIND_VOLATILE | BTF_KIND_RESTRICT | BTF_KIND_TYPE_TAG => {
                self.ty(t.size_or_type, depth + 1)?
            }
            BTF_KIND_FUNC_PROTO => Type::Function {
                summary: btf.spell(id),
            },
            kind => {
                return Err(BtfError::Corrupt {
                    at: btf.at(trailing - BTF_TYPE_SIZE),
                    what: format!(
                        "type {id} (kind {kind}) is used as a data type while resolving {}",
                        self.what
                    ),
                })
            }
        })
    }

    /// For a member without the kind_flag: its bit width if it is a bitfield, else 0.
    fn int_bits(&mut self, mut id: u32, bit_offset: u64) -> Result<u64, BtfError> {
        for _ in 0..MAX_DEPTH {
            let (t, trailing) = match id {
                0 => return Ok(0),
                id => self.btf.ty(id)?,
            };
            match t.kind() {
                BTF_KIND_TYPEDEF | BTF_KIND_CONST | BTF_KIND_VOLATILE | BTF_KIND_RESTRICT
                | BTF_KIND_TYPE_TAG => id = t.size_or_type,
                BTF_KIND_INT => {
                    let bits: u32 = self.btf.entry(trailing, 0, 4)?;
                    let nr = u64::from(bits & 0xff);
                    let whole = nr == u64::from(t.size_or_type) * 8;
                    return Ok(if whole && bit_offset.is_multiple_of(8) {
                        0
                    } else {
                        nr
                    });
                }
                _ => return Ok(0),
            }
        }
        Ok(0)
    }
}
