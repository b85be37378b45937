//! A struct's bytes as read from the dump, decoded through declared fields: the one place that
//! turns little-endian bytes into integers, pointers and bounded C strings. A field outside the
//! bytes reads as 0 (or ""): layouts are checked when resolved, so that only happens for a
//! struct read short on purpose.

use super::layout::{CharArray, Field};
use crate::addr::Va;

/// Sign- or zero-extend the low `size` bytes (1..=8) of a little-endian integer.
pub fn decode_int(bytes: &[u8], signed: bool) -> i64 {
    let n = bytes.len().min(8);
    let mut raw = [0u8; 8];
    raw[..n].copy_from_slice(&bytes[..n]);
    let v = u64::from_le_bytes(raw);
    if signed && n < 8 && n > 0 {
        let shift = 64 - 8 * n as u32;
        ((v << shift) as i64) >> shift
    } else {
        v as i64
    }
}

/// The bytes up to the first NUL (or all of them), as text; non-UTF-8 bytes are replaced.
pub fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The bytes of one object and the address they were read from.
#[derive(Clone, Debug)]
pub struct StructBytes {
    pub va: Va,
    pub bytes: Vec<u8>,
}

impl StructBytes {
    fn slice(&self, offset: u64, size: u64) -> Option<&[u8]> {
        let o = usize::try_from(offset).ok()?;
        let n = usize::try_from(size.min(8)).ok()?;
        self.bytes.get(o..o.checked_add(n)?)
    }

    /// An integer field, sign-extended when the type is signed.
    pub fn int(&self, f: Field) -> i64 {
        self.slice(f.offset, f.size)
            .map(|b| decode_int(b, f.signed))
            .unwrap_or(0)
    }

    /// An integer field's bits, unsigned.
    pub fn uint(&self, f: Field) -> u64 {
        self.slice(f.offset, f.size)
            .map(|b| decode_int(b, false) as u64)
            .unwrap_or(0)
    }

    /// A pointer (8 bytes) at `offset`.
    pub fn ptr(&self, offset: u64) -> u64 {
        self.slice(offset, 8)
            .map(|b| decode_int(b, false) as u64)
            .unwrap_or(0)
    }

    /// One byte at `offset`.
    pub fn byte(&self, offset: u64) -> u8 {
        self.slice(offset, 1).map(|b| b[0]).unwrap_or(0)
    }

    /// A `char name[N]` member: the bytes up to the first NUL or N.
    pub fn chars(&self, a: CharArray) -> String {
        let (Ok(o), Ok(n)) = (usize::try_from(a.offset), usize::try_from(a.len)) else {
            return String::new();
        };
        match o.checked_add(n).and_then(|end| self.bytes.get(o..end)) {
            Some(b) => c_string(b),
            None => String::new(),
        }
    }

    /// The address of a member.
    pub fn at(&self, offset: u64) -> Va {
        self.va.wrapping_add(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_strings_and_out_of_range_fields() {
        let s = StructBytes {
            va: Va(0x1000),
            bytes: vec![0xff, 0xff, 0xff, 0xff, b'a', b'b', 0, b'c'],
        };
        let f = |offset, size, signed| Field {
            offset,
            size,
            signed,
        };
        assert_eq!(s.int(f(0, 4, true)), -1);
        assert_eq!(s.uint(f(0, 4, true)), 0xffff_ffff);
        assert_eq!(s.int(f(0, 2, false)), 0xffff);
        assert_eq!(s.chars(CharArray { offset: 4, len: 4 }), "ab");
        assert_eq!(s.chars(CharArray { offset: 7, len: 1 }), "c");
        assert_eq!(s.int(f(6, 4, false)), 0);
        assert_eq!(s.chars(CharArray { offset: 6, len: 99 }), "");
        assert_eq!(s.ptr(u64::MAX), 0);
        assert_eq!(s.at(4), Va(0x1004));
    }
}
