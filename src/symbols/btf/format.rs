//! Raw BTF structures, with the C names of the kernel's `include/uapi/linux/btf.h`
//! (Documentation/bpf/btf.rst). Only layout lives here; validation is done by the reader.

use scroll::{Pread, SizeWith};

pub const BTF_MAGIC: u16 = 0xeb9f;
pub const BTF_VERSION: u8 = 1;

/// `struct btf_header`. The type and string sections are at `hdr_len + type_off` and
/// `hdr_len + str_off`.
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct BtfHeader {
    pub magic: u16,
    pub version: u8,
    pub flags: u8,
    pub hdr_len: u32,
    pub type_off: u32,
    pub type_len: u32,
    pub str_off: u32,
    pub str_len: u32,
}

pub const BTF_HEADER_SIZE: usize = 24;

/// `struct btf_type`: `size_or_type` is `size` for INT, ENUM, STRUCT, UNION, DATASEC, FLOAT,
/// ENUM64 and `type` for the others.
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct BtfType {
    pub name_off: u32,
    /// bits 0-15 vlen, 24-28 kind, 31 kind_flag.
    pub info: u32,
    pub size_or_type: u32,
}

pub const BTF_TYPE_SIZE: usize = 12;

impl BtfType {
    pub fn kind(&self) -> u32 {
        (self.info >> 24) & 0x1f
    }
    pub fn vlen(&self) -> u32 {
        self.info & 0xffff
    }
    pub fn kind_flag(&self) -> bool {
        self.info >> 31 != 0
    }
}

pub const BTF_KIND_INT: u32 = 1;
pub const BTF_KIND_PTR: u32 = 2;
pub const BTF_KIND_ARRAY: u32 = 3;
pub const BTF_KIND_STRUCT: u32 = 4;
pub const BTF_KIND_UNION: u32 = 5;
pub const BTF_KIND_ENUM: u32 = 6;
pub const BTF_KIND_FWD: u32 = 7;
pub const BTF_KIND_TYPEDEF: u32 = 8;
pub const BTF_KIND_VOLATILE: u32 = 9;
pub const BTF_KIND_CONST: u32 = 10;
pub const BTF_KIND_RESTRICT: u32 = 11;
pub const BTF_KIND_FUNC: u32 = 12;
pub const BTF_KIND_FUNC_PROTO: u32 = 13;
pub const BTF_KIND_VAR: u32 = 14;
pub const BTF_KIND_DATASEC: u32 = 15;
pub const BTF_KIND_FLOAT: u32 = 16;
pub const BTF_KIND_DECL_TAG: u32 = 17;
pub const BTF_KIND_TYPE_TAG: u32 = 18;
pub const BTF_KIND_ENUM64: u32 = 19;

/// The INT kind's trailing u32: encoding in bits 24-27, bit offset 16-23, bits 0-7.
pub const BTF_INT_SIGNED: u32 = 1 << 0;
pub const BTF_INT_CHAR: u32 = 1 << 1;
pub const BTF_INT_BOOL: u32 = 1 << 2;

/// `struct btf_array`, after an ARRAY type.
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct BtfArray {
    pub type_: u32,
    pub index_type: u32,
    pub nelems: u32,
}

/// `struct btf_member`, `vlen` of them after a STRUCT or UNION. With the kind_flag set, `offset`
/// is `bitfield_size << 24 | bit_offset`; without, it is the bit offset.
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct BtfMember {
    pub name_off: u32,
    pub type_: u32,
    pub offset: u32,
}

/// `struct btf_enum`, `vlen` of them after an ENUM (the kind_flag says signed).
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct BtfEnum {
    pub name_off: u32,
    pub val: u32,
}

/// `struct btf_enum64`, `vlen` of them after an ENUM64 (6.0+, commit 6089fb325cf7).
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct BtfEnum64 {
    pub name_off: u32,
    pub val_lo32: u32,
    pub val_hi32: u32,
}

/// `struct btf_param`, `vlen` of them after a FUNC_PROTO.
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct BtfParam {
    pub name_off: u32,
    pub type_: u32,
}

/// Bytes that follow a `struct btf_type` of `kind` with `vlen` entries.
pub fn trailing_len(kind: u32, vlen: u32) -> Option<usize> {
    let v = vlen as usize;
    Some(match kind {
        BTF_KIND_INT => 4,
        BTF_KIND_ARRAY => 12,
        BTF_KIND_STRUCT | BTF_KIND_UNION => 12 * v,
        BTF_KIND_ENUM => 8 * v,
        BTF_KIND_FUNC_PROTO => 8 * v,
        BTF_KIND_VAR => 4,
        BTF_KIND_DATASEC => 12 * v,
        BTF_KIND_DECL_TAG => 4,
        BTF_KIND_ENUM64 => 12 * v,
        BTF_KIND_PTR | BTF_KIND_FWD | BTF_KIND_TYPEDEF | BTF_KIND_VOLATILE | BTF_KIND_CONST
        | BTF_KIND_RESTRICT | BTF_KIND_FUNC | BTF_KIND_FLOAT | BTF_KIND_TYPE_TAG => 0,
        _ => return None,
    })
}
