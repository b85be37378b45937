//! A synthetic vmlinux for tests: DWARF written with `gimli::write` (a few helpers over its
//! entry API) and a small ELF64 writer for the image, its symbol table and build-id note. Shares
//! no code or layouts with the reader in `src/symbols`. Used by tests/symbols_synth.rs and
//! tests/synth_kernel.rs (included by `#[path]`).
#![allow(dead_code)]

use gimli::write::{
    Address, AttributeValue as AV, Dwarf, EndianVec, Expression, Sections, Unit, UnitEntryId,
    UnitId,
};
use gimli::{constants::*, LittleEndian};

// ---- DWARF ---------------------------------------------------------------------------------

/// Adds entries to one unit of a [`Dwarf`].
pub struct B<'a> {
    pub dwarf: &'a mut Dwarf,
    pub unit: UnitId,
}

impl B<'_> {
    pub fn u(&mut self) -> &mut Unit {
        self.dwarf.units.get_mut(self.unit)
    }
    pub fn add(&mut self, parent: UnitEntryId, tag: DwTag, attrs: Vec<(DwAt, AV)>) -> UnitEntryId {
        let id = self.u().add(parent, tag);
        for (a, v) in attrs {
            self.u().get_mut(id).set(a, v);
        }
        id
    }
    pub fn root(&mut self) -> UnitEntryId {
        self.u().root()
    }
    pub fn strp(&mut self, s: &str) -> AV {
        AV::StringRef(self.dwarf.strings.add(s))
    }
    /// Name the unit (its source path) with DW_FORM_strp.
    pub fn name_unit(&mut self, path: &str) {
        let root = self.root();
        let n = self.strp(path);
        self.u().get_mut(root).set(DW_AT_name, n);
    }
    pub fn base(&mut self, name: &str, size: u64, enc: DwAte) -> UnitEntryId {
        let root = self.root();
        let n = self.strp(name);
        self.add(
            root,
            DW_TAG_base_type,
            vec![
                (DW_AT_name, n),
                (DW_AT_byte_size, AV::Udata(size)),
                (DW_AT_encoding, AV::Encoding(enc)),
            ],
        )
    }
    pub fn member(
        &mut self,
        parent: UnitEntryId,
        name: Option<&str>,
        ty: UnitEntryId,
        off: u64,
    ) -> UnitEntryId {
        let mut attrs = vec![
            (DW_AT_type, AV::UnitRef(ty)),
            (DW_AT_data_member_location, AV::Udata(off)),
        ];
        if let Some(n) = name {
            let n = self.strp(n);
            attrs.insert(0, (DW_AT_name, n));
        }
        self.add(parent, DW_TAG_member, attrs)
    }
    /// `struct NAME` (anonymous when `name` is None) of `size` bytes, members added later.
    pub fn structure(&mut self, name: Option<&str>, size: u64) -> UnitEntryId {
        let root = self.root();
        let mut attrs = vec![(DW_AT_byte_size, AV::Udata(size))];
        if let Some(n) = name {
            let n = self.strp(n);
            attrs.insert(0, (DW_AT_name, n));
        }
        self.add(root, DW_TAG_structure_type, attrs)
    }
    /// `struct NAME;`: declared, not defined in this unit.
    pub fn declared_struct(&mut self, name: &str) -> UnitEntryId {
        let root = self.root();
        let n = self.strp(name);
        self.add(
            root,
            DW_TAG_structure_type,
            vec![(DW_AT_name, n), (DW_AT_declaration, AV::FlagPresent)],
        )
    }
    /// A struct with `(name, type, offset)` members.
    pub fn struct_with(
        &mut self,
        name: Option<&str>,
        size: u64,
        members: &[(&str, UnitEntryId, u64)],
    ) -> UnitEntryId {
        let s = self.structure(name, size);
        for &(m, ty, off) in members {
            self.member(s, Some(m), ty, off);
        }
        s
    }
    /// `TARGET *` (`void *` for None).
    pub fn pointer(&mut self, target: Option<UnitEntryId>) -> UnitEntryId {
        let root = self.root();
        let mut attrs = vec![(DW_AT_byte_size, AV::Udata(8))];
        if let Some(t) = target {
            attrs.push((DW_AT_type, AV::UnitRef(t)));
        }
        self.add(root, DW_TAG_pointer_type, attrs)
    }
    pub fn const_of(&mut self, ty: UnitEntryId) -> UnitEntryId {
        let root = self.root();
        self.add(root, DW_TAG_const_type, vec![(DW_AT_type, AV::UnitRef(ty))])
    }
    pub fn typedef(&mut self, name: &str, ty: UnitEntryId) -> UnitEntryId {
        let root = self.root();
        let n = self.strp(name);
        self.add(
            root,
            DW_TAG_typedef,
            vec![(DW_AT_name, n), (DW_AT_type, AV::UnitRef(ty))],
        )
    }
    /// `ELEM [count]`, bounded with DW_AT_count.
    pub fn array(&mut self, elem: UnitEntryId, count: u64) -> UnitEntryId {
        let root = self.root();
        let a = self.add(
            root,
            DW_TAG_array_type,
            vec![(DW_AT_type, AV::UnitRef(elem))],
        );
        self.add(
            a,
            DW_TAG_subrange_type,
            vec![(DW_AT_count, AV::Udata(count))],
        );
        a
    }
    /// `enum NAME : UNDERLYING { ... }` of `size` bytes.
    pub fn enumeration(
        &mut self,
        name: &str,
        size: u64,
        underlying: UnitEntryId,
        values: &[(&str, i64)],
    ) -> UnitEntryId {
        let root = self.root();
        let n = self.strp(name);
        let e = self.add(
            root,
            DW_TAG_enumeration_type,
            vec![
                (DW_AT_name, n),
                (DW_AT_byte_size, AV::Udata(size)),
                (DW_AT_type, AV::UnitRef(underlying)),
            ],
        );
        for &(name, v) in values {
            let n = self.strp(name);
            self.add(
                e,
                DW_TAG_enumerator,
                vec![(DW_AT_name, n), (DW_AT_const_value, AV::Sdata(v))],
            );
        }
        e
    }
    /// A function type returning `ret` (void for None), taking no arguments.
    pub fn function(&mut self, ret: Option<UnitEntryId>) -> UnitEntryId {
        let root = self.root();
        let mut attrs = vec![(DW_AT_prototyped, AV::FlagPresent)];
        if let Some(r) = ret {
            attrs.push((DW_AT_type, AV::UnitRef(r)));
        }
        self.add(root, DW_TAG_subroutine_type, attrs)
    }
    pub fn list_head(&mut self) -> UnitEntryId {
        let lh = self.structure(Some("list_head"), 16);
        let p = self.pointer(Some(lh));
        self.member(lh, Some("next"), p, 0);
        self.member(lh, Some("prev"), p, 8);
        lh
    }
    /// A variable with a DW_OP_addr location (the link-time address).
    pub fn static_var(
        &mut self,
        parent: UnitEntryId,
        name: &str,
        ty: AV,
        addr: u64,
        external: bool,
    ) -> UnitEntryId {
        let n = self.strp(name);
        let mut e = Expression::new();
        e.op_addr(Address::Constant(addr));
        let mut attrs = vec![
            (DW_AT_name, n),
            (DW_AT_type, ty),
            (DW_AT_location, AV::Exprloc(e)),
        ];
        if external {
            attrs.push((DW_AT_external, AV::FlagPresent));
        }
        self.add(parent, DW_TAG_variable, attrs)
    }
    /// [`B::static_var`] at the unit's top level with a type of this unit.
    pub fn var(&mut self, name: &str, ty: UnitEntryId, addr: u64, external: bool) -> UnitEntryId {
        let root = self.root();
        self.static_var(root, name, AV::UnitRef(ty), addr, external)
    }
}

/// The non-empty DWARF sections of `dwarf`, by section name.
pub fn dwarf_sections(dwarf: &mut Dwarf) -> Vec<(&'static str, Vec<u8>)> {
    let mut sections = Sections::new(EndianVec::new(LittleEndian));
    dwarf.write(&mut sections).expect("gimli::write");
    let mut out = Vec::new();
    sections
        .for_each(|id, data| {
            if !data.slice().is_empty() {
                out.push((id.name(), data.slice().to_vec()));
            }
            Ok::<(), gimli::write::Error>(())
        })
        .expect("gimli::write sections");
    out
}

// ---- ELF -------------------------------------------------------------------------------------

pub struct Sec {
    pub name: &'static str,
    pub sh_type: u32,
    pub flags: u64,
    pub addr: u64,
    pub data: Vec<u8>,
    pub link: u32,
    pub info: u32,
    pub entsize: u64,
}

pub fn sec(name: &'static str, sh_type: u32, flags: u64, addr: u64, data: Vec<u8>) -> Sec {
    Sec {
        name,
        sh_type,
        flags,
        addr,
        data,
        link: 0,
        info: 0,
        entsize: 0,
    }
}

pub const SHT_PROGBITS: u32 = 1;
pub const SHT_SYMTAB: u32 = 2;
pub const SHT_STRTAB: u32 = 3;
pub const SHT_NOTE: u32 = 7;
pub const SHF_WRITE: u64 = 1;
pub const SHF_ALLOC: u64 = 2;
pub const SHF_EXEC: u64 = 4;

pub const STT_NOTYPE: u8 = 0;
pub const STT_OBJECT: u8 = 1;
pub const STT_FUNC: u8 = 2;
pub const STT_FILE: u8 = 4;
pub const STB_LOCAL: u8 = 0;
pub const STB_GLOBAL: u8 = 1;
pub const SHN_ABS: u16 = 0xfff1;

/// (name, value, size, type, bind, shndx). Locals must come before globals.
pub type SymDef<'a> = (&'a str, u64, u64, u8, u8, u16);

/// A GNU build-id note (`NT_GNU_BUILD_ID`).
pub fn build_id_note(id: &[u8]) -> Vec<u8> {
    let mut note = Vec::new();
    note.extend_from_slice(&4u32.to_le_bytes());
    note.extend_from_slice(&(id.len() as u32).to_le_bytes());
    note.extend_from_slice(&3u32.to_le_bytes());
    note.extend_from_slice(b"GNU\0");
    note.extend_from_slice(id);
    note
}

/// An ET_EXEC x86_64 ELF with `secs` (section indices from 1, in order), then .symtab,
/// .strtab and .shstrtab. No program headers: the reader needs none.
pub fn write_elf(mut secs: Vec<Sec>, syms: &[SymDef<'_>], entry: u64) -> Vec<u8> {
    // .symtab + .strtab
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; 24];
    let first_global = syms.iter().position(|s| s.4 != 0).unwrap_or(syms.len()) as u32 + 1;
    for &(name, value, size, ty, bind, shndx) in syms {
        let off = strtab.len() as u32;
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
        symtab.extend_from_slice(&off.to_le_bytes());
        symtab.push((bind << 4) | ty);
        symtab.push(0);
        symtab.extend_from_slice(&shndx.to_le_bytes());
        symtab.extend_from_slice(&value.to_le_bytes());
        symtab.extend_from_slice(&size.to_le_bytes());
    }
    let symtab_idx = secs.len() as u32 + 1;
    let mut st = sec(".symtab", SHT_SYMTAB, 0, 0, symtab);
    st.link = symtab_idx + 1;
    st.info = first_global;
    st.entsize = 24;
    secs.push(st);
    secs.push(sec(".strtab", SHT_STRTAB, 0, 0, strtab));
    // .shstrtab
    let mut shstr = vec![0u8];
    let mut name_offs = Vec::new();
    for s in &secs {
        name_offs.push(shstr.len() as u32);
        shstr.extend_from_slice(s.name.as_bytes());
        shstr.push(0);
    }
    name_offs.push(shstr.len() as u32);
    shstr.extend_from_slice(b".shstrtab\0");
    secs.push(sec(".shstrtab", SHT_STRTAB, 0, 0, shstr));

    let mut out = vec![0u8; 64];
    let mut offs = Vec::new();
    for s in &secs {
        while !out.len().is_multiple_of(8) {
            out.push(0);
        }
        offs.push(out.len() as u64);
        out.extend_from_slice(&s.data);
    }
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
    let shoff = out.len() as u64;
    out.extend_from_slice(&[0u8; 64]); // null section header
    for (i, s) in secs.iter().enumerate() {
        let mut h = Vec::with_capacity(64);
        h.extend_from_slice(&name_offs[i].to_le_bytes());
        h.extend_from_slice(&s.sh_type.to_le_bytes());
        h.extend_from_slice(&s.flags.to_le_bytes());
        h.extend_from_slice(&s.addr.to_le_bytes());
        h.extend_from_slice(&offs[i].to_le_bytes());
        h.extend_from_slice(&(s.data.len() as u64).to_le_bytes());
        h.extend_from_slice(&s.link.to_le_bytes());
        h.extend_from_slice(&s.info.to_le_bytes());
        h.extend_from_slice(&8u64.to_le_bytes());
        h.extend_from_slice(&s.entsize.to_le_bytes());
        out.extend_from_slice(&h);
    }
    let shnum = secs.len() as u16 + 1;
    let e = &mut out[..64];
    e[..4].copy_from_slice(b"\x7fELF");
    e[4] = 2; // ELFCLASS64
    e[5] = 1; // little endian
    e[6] = 1; // EV_CURRENT
    e[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    e[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    e[20..24].copy_from_slice(&1u32.to_le_bytes());
    e[24..32].copy_from_slice(&entry.to_le_bytes());
    e[40..48].copy_from_slice(&shoff.to_le_bytes());
    e[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    e[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    e[58..60].copy_from_slice(&64u16.to_le_bytes()); // e_shentsize
    e[60..62].copy_from_slice(&shnum.to_le_bytes());
    e[62..64].copy_from_slice(&(shnum - 1).to_le_bytes()); // .shstrtab is last
    out
}
