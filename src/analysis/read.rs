//! Small decoding helpers for analyses: fields out of a struct's bytes.

use crate::kernel::layout::{CharArray, Field};

/// An integer field out of a struct's bytes (little-endian), sign-extended when signed.
pub fn int(buf: &[u8], f: Field) -> i64 {
    let (o, n) = (f.offset as usize, (f.size as usize).min(8));
    let Some(b) = buf.get(o..o + n) else { return 0 };
    let mut raw = [0u8; 8];
    raw[..n].copy_from_slice(b);
    let v = u64::from_le_bytes(raw);
    if f.signed && n < 8 && n > 0 {
        let shift = 64 - 8 * n as u32;
        ((v << shift) as i64) >> shift
    } else {
        v as i64
    }
}

pub fn uint(buf: &[u8], f: Field) -> u64 {
    let (o, n) = (f.offset as usize, (f.size as usize).min(8));
    let Some(b) = buf.get(o..o + n) else { return 0 };
    let mut raw = [0u8; 8];
    raw[..n].copy_from_slice(b);
    u64::from_le_bytes(raw)
}

pub fn ptr(buf: &[u8], offset: u64) -> u64 {
    uint(
        buf,
        Field {
            offset,
            size: 8,
            signed: false,
        },
    )
}

pub fn cstr(buf: &[u8], a: CharArray) -> String {
    let (o, n) = (a.offset as usize, a.len as usize);
    let Some(b) = buf.get(o..o + n) else {
        return String::new();
    };
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}
