//! ELF side of a vmlinux: section headers, the symbol table (with the `STT_FILE` each local
//! symbol belongs to), the GNU build-id note, and reads of initialised image bytes.
//!
//! Everything borrows from the file's bytes; the name index is built lazily on first lookup.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use object::elf;
use object::read::elf::{FileHeader, SectionHeader, Sym};
use object::Endianness;

use super::error::SymError;

type ElfHeader = elf::FileHeader64<Endianness>;
type ElfSection = elf::SectionHeader64<Endianness>;

/// A small, fast, non-cryptographic hasher (the FxHash multiply-rotate scheme) for symbol names.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().unwrap());
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;
pub(crate) type FxHashMap<K, V> = HashMap<K, V, FxBuild>;

/// What an ELF symbol names (`STT_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SymKind {
    NoType,
    Object,
    Func,
    Section,
    File,
    Common,
    Tls,
    Other(u8),
}

impl SymKind {
    fn from_st_type(t: u8) -> SymKind {
        match t {
            elf::STT_NOTYPE => SymKind::NoType,
            elf::STT_OBJECT => SymKind::Object,
            elf::STT_FUNC => SymKind::Func,
            elf::STT_SECTION => SymKind::Section,
            elf::STT_FILE => SymKind::File,
            elf::STT_COMMON => SymKind::Common,
            elf::STT_TLS => SymKind::Tls,
            o => SymKind::Other(o),
        }
    }
}

/// Symbol binding (`STB_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SymBinding {
    Local,
    Global,
    Weak,
    Other(u8),
}

impl SymBinding {
    fn from_st_bind(b: u8) -> SymBinding {
        match b {
            elf::STB_LOCAL => SymBinding::Local,
            elf::STB_GLOBAL => SymBinding::Global,
            elf::STB_WEAK => SymBinding::Weak,
            o => SymBinding::Other(o),
        }
    }
}

/// One ELF symbol. `file` is the `STT_FILE` name preceding a local symbol (a basename such as
/// "tracking.c"); globals have none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol<'a> {
    pub name: &'a str,
    /// Link-time address (`st_value`).
    pub addr: u64,
    pub size: u64,
    pub kind: SymKind,
    pub binding: SymBinding,
    /// `st_shndx` (0 = undefined, 0xfff1 = absolute).
    pub shndx: u16,
    pub file: Option<&'a str>,
}

/// The .symtab, zero-copy: the raw `Elf64_Sym` array and .strtab. On first lookup one pass
/// hashes every name's *base* (the bytes before its first '.', see [`name_hash`]) into a 16-bit
/// tag per symbol ([`NameIndex`]); a lookup scans the tags 32 at a time and compares names only
/// on a tag match. Because `x`, `x.0` and `x.constprop.0` share a tag, the same scan serves
/// exact and suffixed lookups. A local symbol's file is found by walking back to the nearest
/// `STT_FILE` entry (locals are grouped by file).
pub(crate) struct Symtab {
    endian: Endianness,
    syms: &'static [elf::Sym64<Endianness>],
    strings: object::read::StringTable<'static, &'static [u8]>,
    /// The raw .strtab (st_name offsets index it), for [`name_hash`].
    strtab: &'static [u8],
    index: OnceLock<NameIndex>,
}

/// A 16-bit tag of each symbol's [`name_hash`], in symtab order: 370 KB for the 6.12 vmlinux's
/// 190,000 symbols. Small on purpose: the array is written once (each fresh page of it is a page
/// fault) and scanned a dozen times per report with vector compares (a few tens of thousands of
/// instructions a scan); a tag matches about three other symbols by chance, each costing one
/// name comparison.
struct NameIndex {
    tags: Vec<u16>,
}

/// Tags tested at once by [`NameIndex::matches`].
const TAG_BLOCK: usize = 32;

fn tag(hash: u32) -> u16 {
    (hash ^ (hash >> 16)) as u16
}

impl NameIndex {
    fn build(strtab: &[u8], syms: &[elf::Sym64<Endianness>], endian: Endianness) -> NameIndex {
        let tags = syms
            .iter()
            .map(|s| tag(name_hash(strtab, s.st_name(endian) as usize)))
            .collect();
        NameIndex { tags }
    }

    /// Symbols whose tag is that of `hash`, in symtab order.
    fn matches(&self, hash: u32) -> Vec<usize> {
        let want = tag(hash);
        let mut out = Vec::new();
        let mut blocks = self.tags.chunks_exact(TAG_BLOCK);
        for (b, block) in blocks.by_ref().enumerate() {
            // The whole block without branches first (the compiler makes this vector
            // compares); walk only a block with a hit.
            if block
                .iter()
                .fold(0u16, |hit, &t| hit | u16::from(t == want))
                != 0
            {
                let at = b * TAG_BLOCK;
                out.extend((0..TAG_BLOCK).filter(|&j| block[j] == want).map(|j| at + j));
            }
        }
        let at = self.tags.len() - blocks.remainder().len();
        let tail = blocks.remainder().iter().enumerate();
        out.extend(tail.filter(|&(_, &t)| t == want).map(|(j, _)| at + j));
        out
    }
}

/// Bytes of a name that [`name_hash`] looks at.
const HASH_PREFIX: usize = 16;
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
const DOTS: u64 = ONES * b'.' as u64;

/// The bytes of `x` (eight bytes of a name, little-endian) before its first NUL or '.', and
/// whether it has one. Branch-free: the classic zero-byte test (exact for the lowest flagged
/// byte, which is the only one used), once for NUL and once for '.'.
#[inline]
fn cut_word(x: u64) -> (u64, bool) {
    let d = x ^ DOTS;
    let z = (x.wrapping_sub(ONES) & !x | d.wrapping_sub(ONES) & !d) & HIGHS;
    // Lowest flagged bit is bit 8k+7: keep bytes 0..k. No flag: keep all (0 - 1 = all ones).
    let keep = ((z & z.wrapping_neg()) >> 7).wrapping_sub(1);
    (x & keep, z != 0)
}

/// A cheap hash of a name's base: its first [`HASH_PREFIX`] bytes as they sit in .strtab, cut at
/// the first NUL or '.' (so "foo", "foo.0" and "foo.isra.0" hash alike). It needs no search for
/// the name's end, and no branch on it, so hashing all of the 6.12 vmlinux's names costs a few
/// dozen instructions per symbol, where a `memchr` per name was 15 to 20 % of a whole report.
/// Names longer than the prefix that share it share a chain; a lookup compares full names.
#[inline]
fn name_hash(strtab: &[u8], off: usize) -> u32 {
    match strtab
        .get(off..)
        .and_then(|b| b.first_chunk::<HASH_PREFIX>())
    {
        Some(b) => hash_words(b),
        None => name_hash_tail(strtab, off),
    }
}

/// [`name_hash`] of a name within [`HASH_PREFIX`] bytes of the end of .strtab: zero-padded.
#[cold]
fn name_hash_tail(strtab: &[u8], off: usize) -> u32 {
    let mut padded = [0u8; HASH_PREFIX];
    let tail = strtab.get(off..).unwrap_or(&[]);
    let n = tail.len().min(HASH_PREFIX);
    padded[..n].copy_from_slice(&tail[..n]);
    hash_words(&padded)
}

/// The hash of the first [`HASH_PREFIX`] bytes of a name.
#[inline]
fn hash_words(b: &[u8; HASH_PREFIX]) -> u32 {
    let (lo, ended) = cut_word(u64::from_le_bytes([
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
    ]));
    let (hi, _) = cut_word(u64::from_le_bytes([
        b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15],
    ]));
    // Bytes after the cut count as zero.
    let hi = hi & u64::from(!ended).wrapping_neg();
    let h = lo.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ hi.wrapping_mul(0xff51_afd7_ed55_8ccd);
    // Fold the high half down (the tag is taken from the low bits).
    (h ^ (h >> 32) ^ (h >> 47)) as u32
}

/// [`name_hash`] of a name given without its NUL.
fn name_hash_str(name: &[u8]) -> u32 {
    let mut b = [0u8; HASH_PREFIX + 1];
    let n = name.len().min(HASH_PREFIX);
    b[..n].copy_from_slice(&name[..n]);
    name_hash(&b, 0)
}

/// Strip GCC's `.N` / `.isra.N` / `.constprop.N` style suffixes: "foo.3" -> "foo".
pub(crate) fn base_name(name: &str) -> Option<&str> {
    let dot = name.find('.')?;
    if dot == 0 {
        return None;
    }
    let rest = &name[dot + 1..];
    let ok = rest
        .split('.')
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    ok.then(|| &name[..dot])
}

impl Symtab {
    fn name_bytes(&self, i: usize) -> &'static [u8] {
        self.syms[i].name(self.endian, self.strings).unwrap_or(b"")
    }

    fn index(&self) -> &NameIndex {
        self.index
            .get_or_init(|| NameIndex::build(self.strtab, self.syms, self.endian))
    }

    /// The `STT_FILE` name governing local symbol `i`.
    fn file_of(&self, i: usize) -> Option<&'static str> {
        (0..i)
            .rev()
            .find(|&j| self.syms[j].st_type() == elf::STT_FILE)
            .and_then(|j| std::str::from_utf8(self.name_bytes(j)).ok())
    }

    fn to_symbol(&self, i: usize, with_file: bool) -> Option<Symbol<'_>> {
        let s = &self.syms[i];
        let e = self.endian;
        let kind = SymKind::from_st_type(s.st_type());
        let binding = SymBinding::from_st_bind(s.st_bind());
        Some(Symbol {
            name: std::str::from_utf8(self.name_bytes(i)).ok()?,
            addr: s.st_value(e),
            size: s.st_size(e),
            kind,
            binding,
            shndx: s.st_shndx(e),
            file: if with_file && binding == SymBinding::Local && kind != SymKind::File {
                self.file_of(i)
            } else {
                None
            },
        })
    }

    fn indexable(&self, i: usize) -> bool {
        let t = self.syms[i].st_type();
        t != elf::STT_FILE && t != elf::STT_SECTION
    }

    /// All symbols named exactly `name`, in symtab order (FILE and SECTION entries excluded).
    pub(crate) fn lookup(&self, name: &str) -> Vec<Symbol<'_>> {
        if name.is_empty() {
            return Vec::new();
        }
        let want = name_hash_str(name.as_bytes());
        self.index()
            .matches(want)
            .into_iter()
            .filter(|&i| self.indexable(i) && self.name_bytes(i) == name.as_bytes())
            .filter_map(|i| self.to_symbol(i, true))
            .collect()
    }

    /// All symbols named `name.SUFFIX` (function-scope statics such as `x.0`, GCC's
    /// `.constprop.0` ...), in symtab order. They share `name`'s hash, so this is the same scan
    /// as [`Symtab::lookup`].
    pub(crate) fn lookup_suffixed(&self, name: &str) -> Vec<Symbol<'_>> {
        let want = name.as_bytes();
        // A base name has no '.': "a.b" is never the base of anything.
        if want.is_empty() || want.contains(&b'.') {
            return Vec::new();
        }
        self.index()
            .matches(name_hash_str(want))
            .into_iter()
            .filter(|&i| {
                let n = self.name_bytes(i);
                n.len() > want.len() + 1
                    && n.starts_with(want)
                    && n[want.len()] == b'.'
                    && self.indexable(i)
            })
            .filter_map(|i| self.to_symbol(i, true))
            .filter(|s| base_name(s.name) == Some(name))
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.syms.len()
    }

    /// All symbols in order, locals with their file.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Symbol<'_>> + '_ {
        let mut cur_file: Option<&str> = None;
        (0..self.syms.len()).filter_map(move |i| {
            let mut s = self.to_symbol(i, false)?;
            if s.kind == SymKind::File {
                cur_file = Some(s.name);
            } else if s.binding == SymBinding::Local {
                s.file = cur_file;
            }
            Some(s)
        })
    }
}

/// ELF-level view of the vmlinux.
pub(crate) struct ElfInfo {
    pub(crate) file: String,
    data: &'static [u8],
    endian: Endianness,
    pub(crate) e_type: u16,
    sections: &'static [ElfSection],
    shstrtab: object::read::StringTable<'static, &'static [u8]>,
    symtab: OnceLock<Result<Symtab, String>>,
}

impl ElfInfo {
    /// Parse the ELF header and section table. `data` must outlive the returned value (the owner
    /// guarantees this; see `Vmlinux`).
    pub(crate) fn parse(file: &str, data: &'static [u8]) -> Result<ElfInfo, SymError> {
        let elf_err = |what, source| SymError::Elf {
            file: file.to_string(),
            what,
            source,
        };
        let header = ElfHeader::parse(data).map_err(|e| elf_err("ELF header", e))?;
        let endian = header.endian().map_err(|e| elf_err("ELF header", e))?;
        let table = header
            .sections(endian, data)
            .map_err(|e| elf_err("section headers", e))?;
        let shstrtab = table
            .strings(
                endian,
                data,
                object::SectionIndex(header.shstrndx(endian, data).unwrap_or(0) as usize),
            )
            .unwrap_or_default();
        let sections: &'static [ElfSection] = table.iter().as_slice();
        Ok(ElfInfo {
            file: file.to_string(),
            data,
            endian,
            e_type: header.e_type(endian),
            sections,
            shstrtab,
            symtab: OnceLock::new(),
        })
    }

    pub(crate) fn endian(&self) -> Endianness {
        self.endian
    }

    fn section_name(&self, s: &ElfSection) -> &'static [u8] {
        s.name(self.endian, self.shstrtab).unwrap_or(b"")
    }

    pub(crate) fn find_section(&self, name: &str) -> Option<&'static ElfSection> {
        self.sections
            .iter()
            .find(|s| self.section_name(s) == name.as_bytes())
    }

    /// File offset of a section's bytes (for `pread`).
    pub(crate) fn section_file_offset(&self, name: &str) -> Option<u64> {
        let s = self.find_section(name)?;
        (s.sh_type(self.endian) != elf::SHT_NOBITS).then(|| s.sh_offset(self.endian))
    }

    pub(crate) fn has_section(&self, name: &str) -> bool {
        self.find_section(name).is_some()
    }

    /// Bytes of a section by name; `Ok(None)` if absent. Compressed sections are an error.
    pub(crate) fn section_data(&self, name: &str) -> Result<Option<&'static [u8]>, SymError> {
        let Some(s) = self.find_section(name) else {
            return Ok(None);
        };
        if s.sh_flags(self.endian) & u64::from(elf::SHF_COMPRESSED) != 0 {
            return Err(SymError::CompressedSection {
                file: self.file.clone(),
                section: name.to_string(),
            });
        }
        if s.sh_type(self.endian) == elf::SHT_NOBITS {
            return Ok(Some(&[]));
        }
        let d = s.data(self.endian, self.data).map_err(|e| SymError::Elf {
            file: self.file.clone(),
            what: "section data out of file bounds",
            source: e,
        })?;
        Ok(Some(d))
    }

    /// The parsed symbol table (parsed once, on first use).
    pub(crate) fn symtab(&self) -> Result<&Symtab, SymError> {
        let r = self.symtab.get_or_init(|| self.parse_symtab());
        r.as_ref().map_err(|what| SymError::BadElf {
            file: self.file.clone(),
            what: what.clone(),
            todo: "use an unstripped vmlinux (the -dbg package's, or the build tree's)",
        })
    }

    fn parse_symtab(&self) -> Result<Symtab, String> {
        let table = object::read::elf::SectionTable::<ElfHeader, &'static [u8]>::new(
            self.sections,
            self.shstrtab,
        );
        let st = table
            .symbols(self.endian, self.data, elf::SHT_SYMTAB)
            .map_err(|e| format!(".symtab unreadable: {e}"))?;
        if st.is_empty() {
            return Err("no .symtab section (stripped file)".to_string());
        }
        let strtab = table
            .section(st.string_section())
            .and_then(|s| s.data(self.endian, self.data))
            .map_err(|e| format!(".strtab unreadable: {e}"))?;
        Ok(Symtab {
            endian: self.endian,
            syms: st.symbols(),
            strings: st.strings(),
            strtab,
            index: OnceLock::new(),
        })
    }

    /// The GNU build-id (lower-case hex), from `.note.gnu.build-id` or any SHT_NOTE section.
    pub(crate) fn build_id(&self) -> Option<String> {
        let mut candidates: Vec<&ElfSection> = self
            .sections
            .iter()
            .filter(|s| s.sh_type(self.endian) == elf::SHT_NOTE)
            .collect();
        // Prefer the conventionally named section.
        candidates.sort_by_key(|s| self.section_name(s) != b".note.gnu.build-id");
        for s in candidates {
            let Ok(Some(mut notes)) = s.notes(self.endian, self.data) else {
                continue;
            };
            while let Ok(Some(note)) = notes.next() {
                if note.name() == elf::ELF_NOTE_GNU
                    && note.n_type(self.endian) == elf::NT_GNU_BUILD_ID
                {
                    return Some(note.desc().iter().map(|b| format!("{b:02x}")).collect());
                }
            }
        }
        None
    }

    /// Initialised bytes of the image at link-time address `addr` (from a file-backed SHF_ALLOC
    /// section).
    pub(crate) fn bytes_at(
        &self,
        addr: u64,
        len: u64,
        what: &str,
    ) -> Result<&'static [u8], SymError> {
        // The whole range must lie in one section: a shorter slice means it runs past its end.
        self.bytes_from(addr, len)
            .filter(|d| d.len() as u64 == len)
            .ok_or_else(|| SymError::NotInImage {
                file: self.file.clone(),
                addr,
                len,
                what: what.to_string(),
            })
    }

    /// Bytes from `addr` up to the end of its section (for NUL-terminated strings).
    pub(crate) fn bytes_from(&self, addr: u64, max: u64) -> Option<&'static [u8]> {
        let e = self.endian;
        for s in self.sections {
            if s.sh_flags(e) & u64::from(elf::SHF_ALLOC) == 0 || s.sh_type(e) == elf::SHT_NOBITS {
                continue;
            }
            let start = s.sh_addr(e);
            let size = s.sh_size(e);
            if addr < start || addr >= start.saturating_add(size) {
                continue;
            }
            let d = s.data(e, self.data).ok()?;
            let off = (addr - start) as usize;
            let end = d.len().min(off.saturating_add(max as usize));
            return d.get(off..end);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::base_name;

    #[test]
    fn base_names() {
        assert_eq!(base_name("foo.0"), Some("foo"));
        assert_eq!(base_name("__already_done.12"), Some("__already_done"));
        assert_eq!(base_name("load_module.constprop.0"), Some("load_module"));
        assert_eq!(base_name("foo"), None);
        assert_eq!(base_name(".L0"), None);
        assert_eq!(base_name("a."), None);
    }
}

#[cfg(test)]
mod hash_tests {
    use super::{name_hash, name_hash_str, HASH_PREFIX};

    #[test]
    fn strtab_and_str_hashes_agree() {
        let long = "a_name_longer_than_the_hashed_prefix_of_16_bytes";
        assert!(long.len() > HASH_PREFIX);
        let mut strtab = vec![0u8];
        let mut offs = Vec::new();
        for n in [
            "modules",
            "exactly_16_bytes",
            "exactly_24_bytes_long_xx",
            "x",
            long,
            "tainted_mask",
        ] {
            offs.push((strtab.len(), n));
            strtab.extend_from_slice(n.as_bytes());
            strtab.push(0);
        }
        // Tail-merged names point into the middle of a longer one.
        let (o, _) = offs[4];
        offs.push((o + 2, &long[2..]));
        let (o, _) = offs[5];
        offs.push((o + 8, "mask"));
        for (off, n) in offs {
            assert_eq!(name_hash(&strtab, off), name_hash_str(n.as_bytes()), "{n}");
        }
        // The bytes after a name's NUL do not matter; the name's own bytes do.
        assert_ne!(name_hash_str(b"modules"), name_hash_str(b"module"));
        assert_eq!(name_hash(&strtab, strtab.len() + 5), name_hash_str(b""));
    }

    #[test]
    fn words_are_cut_at_the_first_nul_or_dot() {
        let w = |b: &[u8; 8]| u64::from_le_bytes(*b);
        assert_eq!(super::cut_word(w(b"abcdefgh")), (w(b"abcdefgh"), false));
        assert_eq!(
            super::cut_word(w(b"abc\0efgh")),
            (w(b"abc\0\0\0\0\0"), true)
        );
        assert_eq!(
            super::cut_word(w(b"ab.d\0fgh")),
            (w(b"ab\0\0\0\0\0\0"), true)
        );
        assert_eq!(super::cut_word(w(b".bcdefgh")), (0, true));
        assert_eq!(super::cut_word(w(b"abcdefg.")), (w(b"abcdefg\0"), true));
        // A byte just above NUL or '.' is not a cut (the borrow of the test is exact below).
        assert_eq!(
            super::cut_word(w(b"\x01/\x01/abcd")),
            (w(b"\x01/\x01/abcd"), false)
        );
    }

    #[test]
    fn suffixed_names_share_their_base_hash() {
        let strtab = b"\0counter.0\0load_module.constprop.0\0a_long_base_name_of_more_than_24.1\0x";
        let at = |n: &[u8]| strtab.windows(n.len()).position(|w| w == n).unwrap();
        assert_eq!(
            name_hash(strtab, at(b"counter.0")),
            name_hash_str(b"counter")
        );
        assert_eq!(name_hash_str(b"counter.0"), name_hash_str(b"counter"));
        assert_eq!(
            name_hash(strtab, at(b"load_module.")),
            name_hash_str(b"load_module")
        );
        assert_eq!(
            name_hash(strtab, at(b"a_long")),
            name_hash_str(b"a_long_base_name_of_more_than_24")
        );
        // The last name runs to the end of .strtab without a NUL.
        assert_eq!(name_hash(strtab, strtab.len() - 1), name_hash_str(b"x"));
        assert_ne!(name_hash_str(b"counter"), name_hash_str(b"counte"));
    }

    #[test]
    fn index_matches_in_symtab_order() {
        use object::{Endianness as E, U16, U32, U64};
        let e = E::Little;
        // Enough names for several blocks of tags.
        let mut names = vec!["", "foo", "bar", "foo.1", "foo.isra.0", "baz"];
        names.extend(std::iter::repeat_n("filler", 70));
        names.push("foo");
        let mut strtab = vec![0u8];
        let syms: Vec<_> = names
            .iter()
            .map(|n| {
                let off = strtab.len() as u32;
                strtab.extend_from_slice(n.as_bytes());
                strtab.push(0);
                object::elf::Sym64 {
                    st_name: U32::new(e, off),
                    st_info: 0,
                    st_other: 0,
                    st_shndx: U16::new(e, 1),
                    st_value: U64::new(e, 0),
                    st_size: U64::new(e, 0),
                }
            })
            .collect();
        let ix = super::NameIndex::build(&strtab, &syms, e);
        let found = |n: &str| -> Vec<usize> {
            ix.matches(name_hash_str(n.as_bytes()))
                .into_iter()
                .filter(|&i| names[i].split('.').next() == Some(n))
                .collect()
        };
        assert_eq!(found("foo"), [1, 3, 4, names.len() - 1]);
        assert_eq!(found("bar"), [2]);
        assert_eq!(found("filler").len(), 70);
        assert_eq!(found("nothing"), Vec::<usize>::new());
    }
}
