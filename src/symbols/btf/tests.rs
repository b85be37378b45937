//! The reader on BTF written out word by word here (no layout shared with `format.rs`).

use super::*;
use crate::symbols::Type;

/// A BTF blob under construction: types as raw u32 words, strings as bytes.
struct Blob {
    types: Vec<u32>,
    strs: Vec<u8>,
}

impl Blob {
    fn new() -> Blob {
        Blob {
            types: Vec::new(),
            strs: vec![0],
        }
    }
    fn s(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return 0;
        }
        let off = self.strs.len() as u32;
        self.strs.extend_from_slice(name.as_bytes());
        self.strs.push(0);
        off
    }
    fn raw(&mut self, name: &str, kind: u32, vlen: u32, kflag: bool, st: u32, extra: &[u32]) {
        let n = self.s(name);
        let info = (kind << 24) | vlen | if kflag { 1 << 31 } else { 0 };
        self.types.extend_from_slice(&[n, info, st]);
        self.types.extend_from_slice(extra);
    }
    fn bytes(&self) -> Vec<u8> {
        let tl = self.types.len() as u32 * 4;
        let mut out = Vec::new();
        out.extend_from_slice(&0xeb9fu16.to_le_bytes());
        out.push(1);
        out.push(0);
        for w in [24u32, 0, tl, tl, self.strs.len() as u32] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        for w in &self.types {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&self.strs);
        out
    }
}

const ORIGIN: u64 = 0xffff_ffff_8243_8070;

/// 1 int, 2 unsigned long, 3 struct list_head, 4 ptr -> 3, 5 struct item, 6 typedef
/// atomic_long_t -> 7 struct { long counter }, 8 long, 9 enum pageflags, 10 char,
/// 11 array [2] of 12 array [3] of char, 13 const -> 1, 14 enum64 big.
fn sample() -> Blob {
    let mut b = Blob::new();
    b.raw("int", 1, 0, false, 4, &[(1 << 24) | 32]); // 1
    b.raw("unsigned long", 1, 0, false, 8, &[64]); // 2
    let next = b.s("next");
    let prev = b.s("prev");
    b.raw("list_head", 4, 2, false, 16, &[next, 4, 0, prev, 4, 64]); // 3
    b.raw("", 2, 0, false, 3, &[]); // 4: struct list_head *
    let list = b.s("list");
    let flags = b.s("flags");
    let bits = b.s("bits");
    let name = b.s("name");
    let count = b.s("count");
    b.raw(
        "item",
        4,
        5,
        true,
        48,
        &[
            list,
            3,
            0,
            flags,
            1,
            128 | (3 << 24),
            bits,
            13,
            131 | (5 << 24),
            name,
            11,
            160,
            count,
            6,
            256,
        ],
    ); // 5
    b.raw("atomic_long_t", 8, 0, false, 7, &[]); // 6
    let counter = b.s("counter");
    b.raw("", 4, 1, false, 8, &[counter, 8, 0]); // 7
    b.raw("long", 1, 0, false, 8, &[(1 << 24) | 64]); // 8
    let locked = b.s("PG_locked");
    let refd = b.s("PG_referenced");
    b.raw("pageflags", 6, 2, false, 4, &[locked, 0, refd, 2]); // 9
    b.raw("char", 1, 0, false, 1, &[(3 << 24) | 8]); // 10
    b.raw("", 3, 0, false, 0, &[12, 1, 2]); // 11
    b.raw("", 3, 0, false, 0, &[10, 1, 3]); // 12
    b.raw("", 10, 0, false, 1, &[]); // 13
    let big = b.s("BIG");
    b.raw("big", 19, 1, true, 8, &[big, 0, 0x8000_0000]); // 14
    b
}

#[test]
fn a_struct_resolves_with_offsets_bitfields_typedefs_and_arrays() {
    let btf = Btf::parse(sample().bytes(), ORIGIN).unwrap();
    assert_eq!(btf.type_count(), 14);
    let t = btf.find_struct("item").unwrap();
    assert_eq!(t.size(), Some(48));
    assert_eq!(t.member_offset("list").unwrap(), 0);
    assert_eq!(t.member_offset("list.prev").unwrap(), 8);
    let f = t.member("flags").unwrap();
    assert_eq!(
        (f.offset, f.bitfield.map(|b| (b.bit_offset, b.bit_size))),
        (16, Some((128, 3)))
    );
    let b = t.member("bits").unwrap();
    assert_eq!(
        b.bitfield.map(|b| (b.bit_offset, b.bit_size)),
        Some((131, 5))
    );
    let n = t.member("name").unwrap();
    assert_eq!((n.offset, n.size), (20, Some(6)));
    match n.ty {
        Type::Array { dims, .. } => assert_eq!(dims, &vec![Some(2), Some(3)]),
        other => panic!("name is {other:?}"),
    }
    let c = t.member("count").unwrap();
    assert_eq!(
        (c.offset, c.ty.scalar().map(|s| (s.size, s.signed))),
        (32, Some((8, true)))
    );
    let lh = btf.find_struct("list_head").unwrap();
    match &lh.member("next").unwrap().ty {
        Type::Pointer { target, size, .. } => {
            assert_eq!((target.as_str(), *size), ("struct list_head", 8))
        }
        other => panic!("next is {other:?}"),
    }
}

#[test]
fn enumerators_and_declared_spellings_are_found() {
    let btf = Btf::parse(sample().bytes(), ORIGIN).unwrap();
    assert_eq!(btf.enumerator("PG_referenced").unwrap(), 2);
    assert_eq!(btf.enumerator("BIG").unwrap(), i64::MIN);
    match btf.enum_of("PG_locked").unwrap() {
        Type::Enum(e) => {
            assert_eq!(e.name.as_deref(), Some("pageflags"));
            // The enumerators by name, as the page-flag decoder reads them.
            assert!(e
                .enumerators
                .iter()
                .any(|(n, v)| n == "PG_referenced" && *v == 2));
            assert!(e.enumerators.iter().any(|(n, _)| n == "PG_locked"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(btf.type_named("unsigned long").unwrap().size(), Some(8));
    assert_eq!(
        btf.type_named("atomic_long_t")
            .unwrap()
            .scalar()
            .map(|s| s.size),
        Some(8)
    );
    assert_eq!(btf.type_named("struct list_head").unwrap().size(), Some(16));
    let e = btf.type_named("struct nothere").unwrap_err().to_string();
    assert!(
        e.contains("0xffffffff82438070") && e.contains("nothere"),
        "{e}"
    );
    assert_eq!(btf.resolve_all().unwrap(), 14);
}

#[test]
fn damaged_btf_is_an_error_naming_the_address() {
    let good = sample().bytes();
    let mut bad = good.clone();
    bad[0] = 0;
    let e = Btf::parse(bad, ORIGIN).unwrap_err().to_string();
    assert!(
        e.contains("magic") && e.contains("0xffffffff82438070"),
        "{e}"
    );
    // A string section claimed past the end.
    let mut bad = good.clone();
    bad[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Btf::parse(bad, ORIGIN)
        .unwrap_err()
        .to_string()
        .contains("string section"));
    // A struct claiming 65535 members in a short section.
    let mut b = Blob::new();
    b.raw("huge", 4, 0xffff, false, 8, &[]);
    let e = Btf::parse(b.bytes(), ORIGIN).unwrap_err().to_string();
    assert!(
        e.contains("past the end of the type section") && e.contains("0xffffffff82438088"),
        "{e}"
    );
    // Truncated anywhere: never a panic.
    for cut in 0..good.len() {
        if let Ok(btf) = Btf::parse(good[..cut].to_vec(), ORIGIN) {
            let _ = btf.resolve_all();
        }
    }
}

#[test]
fn cycles_and_blowups_are_bounded() {
    // typedef a -> typedef b -> typedef a.
    let mut b = Blob::new();
    b.raw("a", 8, 0, false, 2, &[]);
    b.raw("b", 8, 0, false, 1, &[]);
    let btf = Btf::parse(b.bytes(), ORIGIN).unwrap();
    assert!(matches!(btf.type_named("a"), Err(BtfError::TooDeep { .. })));
    // A struct that contains itself.
    let mut b = Blob::new();
    let m = b.s("me");
    b.raw("loop", 4, 1, false, 8, &[m, 1, 0]);
    let btf = Btf::parse(b.bytes(), ORIGIN).unwrap();
    assert!(matches!(
        btf.find_struct("loop"),
        Err(BtfError::TooDeep { .. })
    ));
    // 40 levels of structs, each with 2 members of the next: 2^40 nodes unless bounded.
    let mut b = Blob::new();
    let x = b.s("x");
    let y = b.s("y");
    for i in 1..=40u32 {
        let next = if i == 40 { 0 } else { i + 1 };
        b.raw(&format!("s{i}"), 4, 2, false, 8, &[x, next, 0, y, next, 0]);
    }
    let btf = Btf::parse(b.bytes(), ORIGIN).unwrap();
    assert!(matches!(
        btf.find_struct("s1"),
        Err(BtfError::TooLarge { .. })
    ));
    // An id past the table.
    let mut b = Blob::new();
    b.raw("p", 8, 0, false, 99, &[]);
    let btf = Btf::parse(b.bytes(), ORIGIN).unwrap();
    assert!(btf
        .type_named("p")
        .unwrap_err()
        .to_string()
        .contains("type id 99"));
}
