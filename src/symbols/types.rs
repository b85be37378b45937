//! Owned type model resolved from DWARF, and member-path resolution over it.
//!
//! Embedded types (struct members, array elements, typedef targets) are resolved recursively;
//! pointer targets are not: a pointer keeps its target's name and a [`TypeRef`] the caller can
//! resolve on demand. That keeps self-referential types (`struct list_head *next`) finite.
//! `const`/`volatile`/`restrict`/`atomic` qualifiers are stripped.

use std::fmt;

use super::error::SymError;

/// An opaque handle to a type DIE in the vmlinux it came from; resolve with
/// [`Vmlinux::resolve_ref`](super::Vmlinux::resolve_ref).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TypeRef {
    pub(crate) unit: u32,
    pub(crate) offset: usize,
}

/// DW_AT_encoding of a base type, reduced to what readers need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Encoding {
    Signed,
    Unsigned,
    Bool,
    SignedChar,
    UnsignedChar,
    Float,
    Other(u8),
}

impl Encoding {
    pub fn is_signed(self) -> bool {
        matches!(self, Encoding::Signed | Encoding::SignedChar)
    }
}

/// A resolved type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    Void,
    Base {
        name: String,
        size: u64,
        encoding: Encoding,
    },
    Struct(Composite),
    Union(Composite),
    Enum(EnumType),
    Array {
        elem: Box<Type>,
        /// One entry per dimension, outermost first; `None` for a flexible/unknown bound.
        dims: Vec<Option<u64>>,
    },
    Pointer {
        size: u64,
        /// C spelling of the pointee, e.g. "struct module", "char", "void", "int (struct module *)".
        target: String,
        /// The pointee DIE (None for `void *`).
        target_ref: Option<TypeRef>,
    },
    Typedef {
        name: String,
        target: Box<Type>,
    },
    /// A function type (normally seen behind a pointer), summarised.
    Function {
        summary: String,
    },
    /// A struct/union/enum declared but not defined here (`struct foo;`).
    Incomplete {
        kind: &'static str,
        name: String,
    },
}

/// A struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composite {
    pub name: Option<String>,
    pub size: u64,
    pub members: Vec<Member>,
}

/// One member of a struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// None for an anonymous struct/union member.
    pub name: Option<String>,
    /// Byte offset from the start of the enclosing struct. For a bitfield, the byte holding its
    /// first bit.
    pub offset: u64,
    pub bitfield: Option<BitField>,
    pub ty: Type,
}

/// Bitfield placement, in bits from the start of the enclosing struct (little-endian bit
/// numbering, as DWARF 5 DW_AT_data_bit_offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitField {
    pub bit_offset: u64,
    pub bit_size: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumType {
    pub name: Option<String>,
    pub size: u64,
    pub signed: bool,
    pub enumerators: Vec<(String, i64)>,
}

/// An integer-like view of a type: see [`Type::scalar`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scalar {
    pub size: u64,
    pub signed: bool,
}

/// Result of resolving a member path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberInfo<'a> {
    /// Byte offset from the start of the outer type.
    pub offset: u64,
    /// Size in bytes (None for a flexible array or void).
    pub size: Option<u64>,
    /// Set when the final member is a bitfield (bit offset relative to the outer type).
    pub bitfield: Option<BitField>,
    pub ty: &'a Type,
}

impl MemberInfo<'_> {
    /// C spelling of the member's type, e.g. "atomic_t", "char [56]".
    pub fn type_summary(&self) -> String {
        self.ty.summary()
    }
}

impl Type {
    /// Strip typedefs (qualifiers are already stripped at resolution).
    pub fn strip_typedefs(&self) -> &Type {
        let mut t = self;
        while let Type::Typedef { target, .. } = t {
            t = target;
        }
        t
    }

    /// Size in bytes; None for void, functions, incomplete types and flexible arrays.
    pub fn size(&self) -> Option<u64> {
        match self {
            Type::Void | Type::Function { .. } | Type::Incomplete { .. } => None,
            Type::Base { size, .. } | Type::Pointer { size, .. } => Some(*size),
            Type::Struct(c) | Type::Union(c) => Some(c.size),
            Type::Enum(e) => Some(e.size),
            Type::Typedef { target, .. } => target.size(),
            Type::Array { elem, dims } => {
                let mut n = elem.size()?;
                for d in dims {
                    n = n.checked_mul((*d)?)?;
                }
                Some(n)
            }
        }
    }

    /// Number of elements of the outermost dimension of an array type (after typedefs).
    pub fn array_len(&self) -> Option<u64> {
        match self.strip_typedefs() {
            Type::Array { dims, .. } => dims.first().copied().flatten(),
            _ => None,
        }
    }

    /// The element type of an array after removing the outermost dimension.
    pub fn array_elem(&self) -> Option<Type> {
        match self.strip_typedefs() {
            Type::Array { elem, dims } if dims.len() > 1 => Some(Type::Array {
                elem: elem.clone(),
                dims: dims[1..].to_vec(),
            }),
            Type::Array { elem, .. } => Some((**elem).clone()),
            _ => None,
        }
    }

    /// The struct or union behind typedefs, if any.
    pub fn composite(&self) -> Option<&Composite> {
        match self.strip_typedefs() {
            Type::Struct(c) | Type::Union(c) => Some(c),
            _ => None,
        }
    }

    /// Integer-like view: base types, enums, pointers (unsigned), and single-member wrapper
    /// structs such as `atomic_t { int counter; }`, `atomic_long_t`, `atomic64_t { s64 counter; }`
    /// and `refcount_t`, seen through.
    pub fn scalar(&self) -> Option<Scalar> {
        self.scalar_depth(0)
    }

    fn scalar_depth(&self, depth: usize) -> Option<Scalar> {
        if depth > 16 {
            return None;
        }
        match self.strip_typedefs() {
            Type::Base { size, encoding, .. } => Some(Scalar {
                size: *size,
                signed: encoding.is_signed(),
            }),
            Type::Enum(e) => Some(Scalar {
                size: e.size,
                signed: e.signed,
            }),
            Type::Pointer { size, .. } => Some(Scalar {
                size: *size,
                signed: false,
            }),
            Type::Struct(c) if c.members.len() == 1 && c.members[0].offset == 0 => {
                let m = &c.members[0];
                if m.bitfield.is_some() {
                    return None;
                }
                let s = m.ty.scalar_depth(depth + 1)?;
                (s.size == c.size).then_some(s)
            }
            _ => None,
        }
    }

    /// C spelling, e.g. "struct module", "unsigned long", "char [56]", "struct list_head *".
    pub fn summary(&self) -> String {
        match self {
            Type::Void => "void".into(),
            Type::Base { name, .. } => name.clone(),
            Type::Struct(c) => format!("struct {}", c.name.as_deref().unwrap_or("<anonymous>")),
            Type::Union(c) => format!("union {}", c.name.as_deref().unwrap_or("<anonymous>")),
            Type::Enum(e) => format!("enum {}", e.name.as_deref().unwrap_or("<anonymous>")),
            Type::Array { elem, dims } => {
                let mut s = elem.summary();
                s.push(' ');
                for d in dims {
                    match d {
                        Some(n) => s.push_str(&format!("[{n}]")),
                        None => s.push_str("[]"),
                    }
                }
                s
            }
            Type::Pointer { target, .. } => match function_parts(target) {
                // "int (struct module *)" -> "int (*)(struct module *)"
                Some((ret, params)) => format!("{ret} (*){params}"),
                None => format!("{target} *"),
            },
            Type::Typedef { name, .. } => name.clone(),
            Type::Function { summary } => summary.clone(),
            Type::Incomplete { kind, name } => format!("{kind} {name}"),
        }
    }

    /// Resolve a member path such as `"list.next"`, `"mem[1].size"` or `"counter"`.
    ///
    /// Names inside anonymous struct/union members are found as if they were direct members
    /// (their offsets are added). A `[n]` suffix indexes an array member.
    pub fn member(&self, path: &str) -> Result<MemberInfo<'_>, SymError> {
        let err = |why: String| SymError::MemberNotFound {
            ty: self.summary(),
            path: path.to_string(),
            why,
        };
        if path.is_empty() {
            return Err(err("empty member path".into()));
        }
        let mut cur: &Type = self;
        let mut offset = 0u64;
        let mut bitfield: Option<BitField> = None;
        for seg in path.split('.') {
            let (name, indexes) =
                parse_segment(seg).ok_or_else(|| err(format!("bad segment {seg:?}")))?;
            let comp = cur.composite().ok_or_else(|| {
                err(format!(
                    "{:?} is applied to {}, which is not a struct or union",
                    name,
                    cur.summary()
                ))
            })?;
            let (m, m_off) = find_member(comp, name, 0)
                .ok_or_else(|| err(format!("{} has no member {name:?}", cur.summary())))?;
            let overflow = || err("offsets overflow (corrupt debug info)".into());
            // Offset of the member's direct parent, relative to the outer type.
            let parent = offset.checked_add(m_off - m.offset).ok_or_else(overflow)?;
            bitfield = match m.bitfield {
                None => None,
                Some(b) => Some(BitField {
                    bit_offset: parent
                        .checked_mul(8)
                        .and_then(|p| p.checked_add(b.bit_offset))
                        .ok_or_else(overflow)?,
                    bit_size: b.bit_size,
                }),
            };
            offset = offset.checked_add(m_off).ok_or_else(overflow)?;
            cur = &m.ty;
            for idx in indexes {
                let Type::Array { elem, dims } = cur.strip_typedefs() else {
                    return Err(err(format!("{name} is {}, not an array", cur.summary())));
                };
                if dims.len() != 1 {
                    return Err(err(
                        "indexing multi-dimensional arrays is not supported".into()
                    ));
                }
                if let Some(n) = dims[0] {
                    if idx >= n {
                        return Err(err(format!(
                            "index {idx} out of bounds for {}",
                            cur.summary()
                        )));
                    }
                }
                let esz = elem
                    .size()
                    .ok_or_else(|| err(format!("element of {} has no size", cur.summary())))?;
                offset = idx
                    .checked_mul(esz)
                    .and_then(|d| offset.checked_add(d))
                    .ok_or_else(|| err("offsets overflow".into()))?;
                cur = elem;
                bitfield = None;
            }
        }
        Ok(MemberInfo {
            offset,
            size: cur.size(),
            bitfield,
            ty: cur,
        })
    }

    /// Byte offset of a member path (see [`Type::member`]).
    pub fn member_offset(&self, path: &str) -> Result<u64, SymError> {
        self.member(path).map(|m| m.offset)
    }

    /// Does the member path exist? (For probing kernel versions: `has_member("mem")`.)
    pub fn has_member(&self, path: &str) -> bool {
        self.member(path).is_ok()
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

/// Split a function spelling "ret (params)" into ("ret", "(params)").
pub(crate) fn function_parts(s: &str) -> Option<(&str, &str)> {
    if !s.ends_with(')') {
        return None;
    }
    let i = s.find(" (")?;
    Some((&s[..i], &s[i + 1..]))
}

/// "mem[1][2]" -> ("mem", [1, 2]).
fn parse_segment(seg: &str) -> Option<(&str, Vec<u64>)> {
    let (name, mut rest) = match seg.find('[') {
        Some(i) => (&seg[..i], &seg[i..]),
        None => (seg, ""),
    };
    if name.is_empty() {
        return None;
    }
    let mut idx = Vec::new();
    while !rest.is_empty() {
        let close = rest.find(']')?;
        if !rest.starts_with('[') {
            return None;
        }
        idx.push(rest[1..close].trim().parse().ok()?);
        rest = &rest[close + 1..];
    }
    Some((name, idx))
}

/// Find a member by name, looking through anonymous struct/union members. Returns the member
/// and its offset from the start of `comp`.
fn find_member<'a>(comp: &'a Composite, name: &str, depth: usize) -> Option<(&'a Member, u64)> {
    if depth > 32 {
        return None;
    }
    if let Some(m) = comp
        .members
        .iter()
        .find(|m| m.name.as_deref() == Some(name))
    {
        return Some((m, m.offset));
    }
    for m in comp.members.iter().filter(|m| m.name.is_none()) {
        if let Some(inner) = m.ty.composite() {
            if let Some((found, off)) = find_member(inner, name, depth + 1) {
                return Some((found, m.offset.checked_add(off)?));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int() -> Type {
        Type::Base {
            name: "int".into(),
            size: 4,
            encoding: Encoding::Signed,
        }
    }
    fn member(name: Option<&str>, offset: u64, ty: Type) -> Member {
        Member {
            name: name.map(Into::into),
            offset,
            bitfield: None,
            ty,
        }
    }

    #[test]
    fn anonymous_members_and_indexes() {
        let inner = Type::Struct(Composite {
            name: Some("inner".into()),
            size: 8,
            members: vec![member(Some("a"), 0, int()), member(Some("b"), 4, int())],
        });
        let anon = Type::Union(Composite {
            name: None,
            size: 16,
            members: vec![
                member(Some("x"), 0, int()),
                member(
                    Some("arr"),
                    0,
                    Type::Array {
                        elem: Box::new(inner.clone()),
                        dims: vec![Some(2)],
                    },
                ),
            ],
        });
        let outer = Type::Struct(Composite {
            name: Some("outer".into()),
            size: 24,
            members: vec![member(Some("head"), 0, int()), member(None, 8, anon)],
        });
        assert_eq!(outer.member_offset("x").unwrap(), 8);
        assert_eq!(outer.member_offset("arr[1].b").unwrap(), 8 + 8 + 4);
        assert_eq!(outer.member("arr").unwrap().size, Some(16));
        assert_eq!(
            outer.member("arr").unwrap().type_summary(),
            "struct inner [2]"
        );
        assert!(outer.member("arr[2]").is_err());
        assert!(outer.member("nope").is_err());
        assert!(outer.member("head.x").is_err());
        let atomic = Type::Typedef {
            name: "atomic_t".into(),
            target: Box::new(Type::Struct(Composite {
                name: None,
                size: 4,
                members: vec![member(Some("counter"), 0, int())],
            })),
        };
        assert_eq!(
            atomic.scalar(),
            Some(Scalar {
                size: 4,
                signed: true
            })
        );
    }

    #[test]
    fn segments() {
        assert_eq!(parse_segment("mem[1][2]"), Some(("mem", vec![1, 2])));
        assert_eq!(parse_segment("name"), Some(("name", vec![])));
        assert_eq!(parse_segment("[1]"), None);
        assert_eq!(parse_segment("a[x]"), None);
    }
}
