//! `struct page` of a pfn, read from the dump through the vmemmap (x86_64 SPARSEMEM_VMEMMAP).
//!
//! The vmemmap base is the kernel's `vmemmap_base` variable (randomized per boot with
//! CONFIG_RANDOMIZE_MEMORY), checked against VMCOREINFO's `SYMBOL(vmemmap)` where the kernel
//! exports it (6.x kernel/vmcore_info.c); without either, the fixed base of
//! arch/x86/include/asm/pgtable_64_types.h (`__VMEMMAP_BASE_L4` 0xffffea0000000000,
//! `__VMEMMAP_BASE_L5` 0xffd4000000000000). The struct's size and fields come from the vmlinux
//! DWARF ([`PageLayout`]), checked against VMCOREINFO's `SIZE(page)` and `OFFSET(page.*)`; the
//! flags are decoded by [`flags::FlagsLayout`].

pub mod flags;

use crate::addr::{Pa, Va};
use crate::kernel::layout::{field, opt_field, Field};
use crate::kernel::{Kernel, ObjError};
use crate::symbols::{Hint, SymError, Type, TypeSource};
use crate::translate::{TranslateError, Translation};
use flags::{FlagsLayout, LayoutInputs};
use serde::Serialize;

const PAGE_SHIFT: u32 = 12;
const PAGE_ALLOC_C: &str = "mm/page_alloc.c";
/// arch/x86/include/asm/pgtable_64_types.h.
pub const VMEMMAP_BASE_L4: u64 = 0xffff_ea00_0000_0000;
pub const VMEMMAP_BASE_L5: u64 = 0xffd4_0000_0000_0000;
/// A `struct page` larger than this is not a real kernel's (64 bytes on x86_64, 80 with
/// KMSAN): the DWARF is damaged.
const MAX_STRUCT_PAGE: u64 = 512;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("cannot resolve struct page from the vmlinux DWARF: {0}")]
    Layout(#[source] SymError),
    #[error("{what} is {vmcoreinfo} in VMCOREINFO but {dwarf} in the vmlinux DWARF; the vmlinux is not the dump's kernel (use the matching debug vmlinux)")]
    Mismatch {
        what: String,
        vmcoreinfo: u64,
        dwarf: u64,
    },
    #[error("the vmlinux DWARF gives struct page a size of {0} bytes, which is not a kernel's; the debug info is damaged")]
    BadSize(u64),
    #[error("vmemmap_base in the dump is {dump:#x} but VMCOREINFO says SYMBOL(vmemmap)={vmcoreinfo:#x}; the dump is inconsistent (try another dump of the same crash)")]
    VmemmapMismatch { dump: u64, vmcoreinfo: u64 },
    #[error("cannot read vmemmap_base at {va}, the base of the struct page array: {source}")]
    VmemmapBase {
        va: Va,
        #[source]
        source: Box<ObjError>,
    },
    #[error("pfn {pfn:#x} is beyond max_pfn {max_pfn:#x}: this machine has no such page frame (pfns are hex, as the kernel prints them)")]
    BeyondMaxPfn { pfn: u64, max_pfn: u64 },
    #[error("cannot read the struct page of pfn {pfn:#x} at {va} (the vmemmap has no page there: a memory hole, or a page the dump left out): {source}")]
    Read {
        pfn: u64,
        va: Va,
        #[source]
        source: Box<ObjError>,
    },
    #[error("{addr:#x} is not a kernel address that can be translated: {source}")]
    Translate {
        addr: u64,
        #[source]
        source: Box<TranslateError>,
    },
}

fn hex<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:#x}"))
}

fn hex_opt<S: serde::Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => hex(v, s),
        None => s.serialize_none(),
    }
}

/// An unsigned field out of the struct's bytes (0 if the bytes are short).
fn uint(buf: &[u8], f: Field) -> u64 {
    let (o, n) = (f.offset as usize, (f.size as usize).min(8));
    let Some(b) = buf.get(o..o.saturating_add(n)) else {
        return 0;
    };
    let mut raw = [0u8; 8];
    raw[..n].copy_from_slice(b);
    u64::from_le_bytes(raw)
}

/// A field sign-extended when the DWARF says it is signed (`atomic_t`).
fn int(buf: &[u8], f: Field) -> i64 {
    let v = uint(buf, f);
    let n = (f.size as u32).min(8);
    if f.signed && n > 0 && n < 8 {
        let shift = 64 - 8 * n;
        ((v << shift) as i64) >> shift
    } else {
        v as i64
    }
}

/// Where the compound order of a large folio is kept.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OrderField {
    /// 6.1..6.5: `unsigned char compound_order` in the first tail page (`page[1]`), at this
    /// offset in it (include/linux/mm.h compound_order()).
    TailByte { offset: u64 },
    /// 6.6+ (commit "mm: free up a word in the first tail page"): the low byte of the first
    /// tail page's flags, `folio->_flags_1 & 0xff` (folio_order()); offset of `_flags_1` in the
    /// folio.
    Flags1 { offset: u64 },
    /// Neither member exists: the order is not known.
    Unknown,
}

/// How `page_type` marks a typed page (buddy, offline, table, guard, slab, hugetlb...).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PageTypes {
    /// 4.18..6.11 (include/linux/page-flags.h PAGE_TYPE_BASE 0xf0000000): `page_type` starts
    /// as -1 and a type clears its bit; typed when `(int)page_type < PAGE_MAPCOUNT_RESERVE`
    /// (-128). (bit mask, name).
    ClearedBit(Vec<(u32, String)>),
    /// 6.12+ (commit "mm: support only one page_type per page"): the top byte is
    /// `enum pagetype` (PGTY_buddy = 0xf0, ...); typed when `page_type < PGTY_mapcount_underflow
    /// << 24` as a signed int. (value, name).
    TopByte(Vec<(u8, String)>),
}

impl PageTypes {
    /// The type of a page_type word, or None for an untyped page (the word is `_mapcount`).
    pub fn decode(&self, page_type: u32) -> Option<String> {
        match self {
            PageTypes::ClearedBit(t) => {
                if (page_type as i32) >= -128 {
                    return None;
                }
                let names: Vec<&str> = t
                    .iter()
                    .filter(|(bit, _)| page_type & (0xf000_0000 | bit) == 0xf000_0000)
                    .map(|(_, n)| n.as_str())
                    .collect();
                Some(if names.is_empty() {
                    "unknown".into()
                } else {
                    names.join("|")
                })
            }
            PageTypes::TopByte(t) => {
                if (page_type as i32) >= (0xff00_0000u32 as i32) {
                    return None;
                }
                let v = (page_type >> 24) as u8;
                Some(
                    t.iter()
                        .find(|(x, _)| *x == v)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_else(|| "unknown".into()),
                )
            }
        }
    }
}

/// `struct page` (include/linux/mm_types.h) as this kernel lays it out.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PageLayout {
    pub size: u64,
    #[serde(skip)]
    pub flags: Field,
    #[serde(skip)]
    pub refcount: Field,
    /// `_mapcount`, in a union with `page_type` (6.1 lists `_mapcount` first, 6.12
    /// `page_type`; same bytes).
    #[serde(skip)]
    pub mapcount: Field,
    #[serde(skip)]
    pub page_type: Option<Field>,
    #[serde(skip)]
    pub mapping: Field,
    #[serde(skip)]
    pub index: Field,
    #[serde(skip)]
    pub private: Field,
    /// Tail pages: `compound_head`, bit 0 set, in the word after `flags`.
    #[serde(skip)]
    pub compound_head: Field,
    /// CONFIG_MEMCG's `memcg_data`.
    #[serde(skip)]
    pub memcg_data: Option<Field>,
    pub order: OrderField,
    pub types: PageTypes,
}

/// 6.1 include/linux/page-flags.h: PG_buddy 0x80, PG_offline 0x100, PG_table 0x200,
/// PG_guard 0x400.
const CLEARED_BIT_TYPES: [(u32, &str); 4] = [
    (0x80, "buddy"),
    (0x100, "offline"),
    (0x200, "table"),
    (0x400, "guard"),
];
/// 6.12 include/linux/page-flags.h enum pagetype.
const TOP_BYTE_TYPES: [(u8, &str); 8] = [
    (0xf0, "buddy"),
    (0xf1, "offline"),
    (0xf2, "table"),
    (0xf3, "guard"),
    (0xf4, "hugetlb"),
    (0xf5, "slab"),
    (0xf6, "zsmalloc"),
    (0xf7, "unaccepted"),
];

impl PageLayout {
    /// Resolve from the DWARF. `buddy_mapcount` is VMCOREINFO's
    /// `NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)` when present: it tells the page_type scheme apart
    /// (~0x80 before 6.12, 0xf0 << 24 from 6.12) when the DWARF has no `enum pagetype`.
    pub fn resolve(
        vm: &dyn TypeSource,
        buddy_mapcount: Option<i64>,
        release: Option<&str>,
    ) -> Result<PageLayout, SymError> {
        let hint = Hint::File(PAGE_ALLOC_C);
        let t = vm.find_struct("page", hint)?;
        let size = t.size().unwrap_or(0);
        let order = if let Some(f) = opt_field(&t, "compound_order") {
            OrderField::TailByte { offset: f.offset }
        } else {
            match vm.find_struct("folio", hint) {
                Ok(folio) => match opt_field(&folio, "_flags_1") {
                    Some(f) => OrderField::Flags1 { offset: f.offset },
                    None => OrderField::Unknown,
                },
                Err(_) => OrderField::Unknown,
            }
        };
        let types = match vm.enum_of("PGTY_buddy", Hint::Only("mm/debug.c")) {
            Ok(Type::Enum(e)) => PageTypes::TopByte(
                e.enumerators
                    .iter()
                    .filter(|(n, v)| n != "PGTY_mapcount_underflow" && (0..=0xff).contains(v))
                    .map(|(n, v)| (*v as u8, n.trim_start_matches("PGTY_").to_string()))
                    .collect(),
            ),
            _ => {
                let top = match buddy_mapcount {
                    Some(v) => (v as u32) == 0xf000_0000,
                    // No VMCOREINFO value: 6.12 and later use the top byte.
                    None => release
                        .and_then(|r| release_at_least(r, 6, 12))
                        .unwrap_or(false),
                };
                if top {
                    PageTypes::TopByte(
                        TOP_BYTE_TYPES
                            .iter()
                            .map(|(v, n)| (*v, n.to_string()))
                            .collect(),
                    )
                } else {
                    PageTypes::ClearedBit(
                        CLEARED_BIT_TYPES
                            .iter()
                            .map(|(v, n)| (*v, n.to_string()))
                            .collect(),
                    )
                }
            }
        };
        Ok(PageLayout {
            size,
            flags: field(&t, "flags")?,
            refcount: field(&t, "_refcount")?,
            mapcount: field(&t, "_mapcount")?,
            page_type: opt_field(&t, "page_type"),
            mapping: field(&t, "mapping")?,
            index: field(&t, "index")?,
            private: field(&t, "private")?,
            compound_head: field(&t, "compound_head")?,
            memcg_data: opt_field(&t, "memcg_data"),
            order,
            types,
        })
    }
}

fn release_at_least(release: &str, major: u32, minor: u32) -> Option<bool> {
    let mut it = release.split(|c: char| !c.is_ascii_digit());
    let a: u32 = it.next()?.parse().ok()?;
    let b: u32 = it.next()?.parse().ok()?;
    Some((a, b) >= (major, minor))
}

/// Names of an enum's enumerators by value, `prefix` removed; the first of each value below
/// `end` (aliases are declared after the end marker).
fn enum_names(ty: &Type, prefix: &str, end: &str) -> Vec<(u32, String)> {
    let Type::Enum(e) = ty.strip_typedefs() else {
        return Vec::new();
    };
    let limit = e
        .enumerators
        .iter()
        .find(|(n, _)| n == end)
        .map(|(_, v)| *v)
        .unwrap_or(64);
    let mut out: Vec<(u32, String)> = Vec::new();
    for (n, v) in &e.enumerators {
        if *v < 0 || *v >= limit || out.iter().any(|(b, _)| *b as i64 == *v) {
            continue;
        }
        out.push((*v as u32, n.trim_start_matches(prefix).to_string()));
    }
    out
}

/// What a struct page says.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Page {
    pub pfn: u64,
    /// The struct page's address (in the vmemmap).
    #[serde(serialize_with = "hex")]
    pub address: u64,
    #[serde(serialize_with = "hex")]
    pub flags: u64,
    /// `%pGp` style: `0x..(name|...|node=N|zone=Z|lastcpupid=0x..)`.
    pub flags_text: String,
    /// The set flag bits, named by `enum pageflags`, in bit order.
    pub flag_names: Vec<String>,
    /// Flag bits with no enumerator.
    #[serde(serialize_with = "hex")]
    pub unnamed_flags: u64,
    pub node: Option<u64>,
    pub zone: Option<u64>,
    pub zone_name: Option<String>,
    pub section: Option<u64>,
    pub last_cpupid: Option<u64>,
    /// `_refcount`.
    pub refcount: i64,
    /// `_mapcount` as stored (-1 for an unmapped page).
    pub mapcount_raw: i64,
    /// `_mapcount + 1`, for a page without a type.
    pub mapcount: Option<i64>,
    /// The page's type, when `page_type` holds one.
    pub page_type: Option<String>,
    #[serde(serialize_with = "hex")]
    pub page_type_raw: u64,
    #[serde(serialize_with = "hex")]
    pub mapping: u64,
    #[serde(serialize_with = "hex")]
    pub index: u64,
    #[serde(serialize_with = "hex")]
    pub private: u64,
    pub compound: Compound,
    #[serde(serialize_with = "hex_opt")]
    pub memcg_data: Option<u64>,
    /// The struct's 8-byte words, as dump_page()'s `raw:` lines show them.
    pub raw: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Compound {
    /// Not part of a large folio.
    Single,
    /// PG_head: the first page of a folio of 2^order pages.
    Head { order: Option<u32> },
    /// `compound_head` has bit 0 set: a tail page of the folio at `head`.
    Tail {
        #[serde(serialize_with = "hex")]
        head: u64,
        head_pfn: Option<u64>,
        order: Option<u32>,
    },
}

/// What an address given to `modcrash page` turned out to be.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Located {
    Pfn,
    /// An address in the vmemmap: `offset` bytes into the struct page of the pfn.
    StructPage {
        offset: u64,
    },
    /// A kernel virtual address, translated to a physical one.
    Virtual {
        #[serde(serialize_with = "hex")]
        pa: u64,
        how: String,
    },
}

/// Reads struct pages of one dump.
pub struct Pages<'k, 'a> {
    k: &'k Kernel<'a>,
    pub layout: PageLayout,
    pub flags: FlagsLayout,
    pub vmemmap: u64,
    /// Where `vmemmap` came from.
    pub vmemmap_source: &'static str,
    /// `max_pfn` from the dump, when readable.
    pub max_pfn: Option<u64>,
    pg_head: Option<u32>,
}

impl<'k, 'a> Pages<'k, 'a> {
    pub fn new(k: &'k Kernel<'a>) -> Result<Pages<'k, 'a>, PageError> {
        let vm = k.types();
        let vi = k.vmcoreinfo;
        let num = |n: &str| vi.number(n).ok().flatten();
        let layout = PageLayout::resolve(vm, num("PAGE_BUDDY_MAPCOUNT_VALUE"), vi.osrelease())
            .map_err(PageError::Layout)?;
        if layout.size == 0 || layout.size > MAX_STRUCT_PAGE || layout.size % 8 != 0 {
            return Err(PageError::BadSize(layout.size));
        }
        // VMCOREINFO's own view of the struct (kernel/vmcore_info.c, crash_core.c in 6.1).
        let checks = [
            ("SIZE(page)", vi.size("page").ok().flatten(), layout.size),
            (
                "OFFSET(page.flags)",
                vi.offset("page.flags").ok().flatten(),
                layout.flags.offset,
            ),
            (
                "OFFSET(page._refcount)",
                vi.offset("page._refcount").ok().flatten(),
                layout.refcount.offset,
            ),
            (
                "OFFSET(page.mapping)",
                vi.offset("page.mapping").ok().flatten(),
                layout.mapping.offset,
            ),
            (
                "OFFSET(page._mapcount)",
                vi.offset("page._mapcount").ok().flatten(),
                layout.mapcount.offset,
            ),
            (
                "OFFSET(page.private)",
                vi.offset("page.private").ok().flatten(),
                layout.private.offset,
            ),
            (
                "OFFSET(page.compound_head)",
                vi.offset("page.compound_head").ok().flatten(),
                layout.compound_head.offset,
            ),
        ];
        for (what, v, d) in checks {
            if let Some(v) = v {
                if v != d {
                    return Err(PageError::Mismatch {
                        what: what.into(),
                        vmcoreinfo: v,
                        dwarf: d,
                    });
                }
            }
        }
        let flags = flags_layout(k).map_err(PageError::Layout)?;
        let pg_head = flags
            .names
            .iter()
            .find(|(_, n)| n == "head")
            .map(|(b, _)| *b);
        let vi_vmemmap = vi.symbol("vmemmap").ok().flatten();
        let (vmemmap, vmemmap_source) = match k.sym("vmemmap_base") {
            Ok(va) => {
                let v = k
                    .mem()
                    .u64(va, "vmemmap_base")
                    .map_err(|e| PageError::VmemmapBase {
                        va,
                        source: Box::new(e),
                    })?;
                if let Some(x) = vi_vmemmap.filter(|x| *x != v) {
                    return Err(PageError::VmemmapMismatch {
                        dump: v,
                        vmcoreinfo: x,
                    });
                }
                (v, "vmemmap_base")
            }
            Err(_) => match vi_vmemmap {
                Some(v) => (v, "VMCOREINFO SYMBOL(vmemmap)"),
                None if k.arch().levels() == 5 => (VMEMMAP_BASE_L5, "__VMEMMAP_BASE_L5"),
                None => (VMEMMAP_BASE_L4, "__VMEMMAP_BASE_L4"),
            },
        };
        let max_pfn = k
            .sym("max_pfn")
            .ok()
            .and_then(|va| k.mem().u64(va, "max_pfn").ok());
        Ok(Pages {
            k,
            layout,
            flags,
            vmemmap,
            vmemmap_source,
            max_pfn,
            pg_head,
        })
    }

    /// The address of a pfn's struct page (`vmemmap + pfn`).
    pub fn struct_page(&self, pfn: u64) -> Result<Va, PageError> {
        if let Some(max) = self.max_pfn {
            if pfn >= max {
                return Err(PageError::BeyondMaxPfn { pfn, max_pfn: max });
            }
        }
        let off = pfn
            .checked_mul(self.layout.size)
            .ok_or(PageError::BeyondMaxPfn {
                pfn,
                max_pfn: self.max_pfn.unwrap_or(0),
            })?;
        Ok(Va(self.vmemmap.wrapping_add(off)))
    }

    /// The pfn of a struct page address (None outside the vmemmap).
    pub fn pfn_of_struct_page(&self, addr: u64) -> Option<(u64, u64)> {
        let off = addr.checked_sub(self.vmemmap)?;
        let pfn = off / self.layout.size;
        if self.max_pfn.is_some_and(|m| pfn >= m) || pfn >= 1u64 << (52 - PAGE_SHIFT) {
            return None;
        }
        Some((pfn, off % self.layout.size))
    }

    /// A PFN, a struct page address, or a kernel virtual address, to the pfn it names: a value
    /// below 2^63 is a pfn, one above an address.
    pub fn locate(&self, addr: u64) -> Result<(u64, Located), PageError> {
        // A pfn is below 2^40 (52-bit physical addresses); kernel addresses have the top bit set.
        if addr < 1u64 << 63 {
            return Ok((addr, Located::Pfn));
        }
        if let Some((pfn, offset)) = self.pfn_of_struct_page(addr) {
            return Ok((pfn, Located::StructPage { offset }));
        }
        let (pa, how) = self
            .k
            .arch()
            .translate(self.k.phys(), Va(addr))
            .map_err(|e| PageError::Translate {
                addr,
                source: Box::new(e),
            })?;
        let how = match how {
            Translation::DirectMap => "direct map".to_string(),
            Translation::KernelImage => "kernel image".to_string(),
            Translation::PageTable { page_size, .. } => {
                format!("page tables, {} KiB page", page_size / 1024)
            }
        };
        Ok((pa.0 >> PAGE_SHIFT, Located::Virtual { pa: pa.0, how }))
    }

    /// The pfn of a physical address.
    pub fn pfn_of(pa: Pa) -> u64 {
        pa.0 >> PAGE_SHIFT
    }

    /// Read vmemmap bytes through the page tables. Not through the translation's direct-map
    /// shortcut: with CONFIG_RANDOMIZE_MEMORY the vmemmap can lie within the span the
    /// shortcut takes for the direct map (seen on upstream-la57: vmemmap_base
    /// 0xff93015e80000000 inside page_offset_base + 2^55).
    fn read_vmemmap(&self, va: Va, len: usize, what: &str) -> Result<Vec<u8>, ObjError> {
        let mut buf = vec![0u8; len];
        self.k.mem().read_walked(va, &mut buf, what)?;
        Ok(buf)
    }

    fn read_raw(&self, pfn: u64) -> Result<(Va, Vec<u8>), PageError> {
        let va = self.struct_page(pfn)?;
        let buf = self
            .read_vmemmap(va, self.layout.size as usize, "struct page")
            .map_err(|e| PageError::Read {
                pfn,
                va,
                source: Box::new(e),
            })?;
        Ok((va, buf))
    }

    /// Read and decode the struct page of `pfn`.
    pub fn read(&self, pfn: u64) -> Result<Page, PageError> {
        let (va, buf) = self.read_raw(pfn)?;
        let l = &self.layout;
        let uint = |f: Field| uint(&buf, f);
        let int = |f: Field| int(&buf, f);
        let flags = uint(l.flags);
        let (flag_names, unnamed) = self.flags.flag_names(flags);
        let field = |r: flags::BitRange| r.get(flags);
        let zone = field(self.flags.zone);
        let page_type_raw = l.page_type.map(uint).unwrap_or(uint(l.mapcount)) as u32;
        let page_type = l.types.decode(page_type_raw);
        let mapcount_raw = int(l.mapcount);
        let head_word = uint(l.compound_head);
        let is_head = self
            .pg_head
            .is_some_and(|b| b < 64 && flags & (1u64 << b) != 0);
        let compound = if head_word & 1 == 1 {
            let head = head_word - 1;
            let head_pfn = self
                .pfn_of_struct_page(head)
                .filter(|(_, off)| *off == 0)
                .map(|(p, _)| p);
            Compound::Tail {
                head,
                head_pfn,
                order: head_pfn.and_then(|p| self.order_of_head(p)),
            }
        } else if is_head {
            Compound::Head {
                order: self.order_of_head(pfn),
            }
        } else {
            Compound::Single
        };
        Ok(Page {
            pfn,
            address: va.0,
            flags,
            flags_text: self.flags.format(flags),
            flag_names,
            unnamed_flags: unnamed,
            node: field(self.flags.node),
            zone,
            zone_name: zone.and_then(|z| self.flags.zone_name(z).map(str::to_string)),
            section: field(self.flags.section),
            last_cpupid: field(self.flags.last_cpupid),
            refcount: int(l.refcount),
            mapcount_raw,
            mapcount: page_type.is_none().then_some(mapcount_raw + 1),
            page_type,
            page_type_raw: page_type_raw as u64,
            mapping: uint(l.mapping),
            index: uint(l.index),
            private: uint(l.private),
            compound,
            memcg_data: l.memcg_data.map(uint),
            raw: buf
                .chunks(8)
                .map(|w| {
                    let mut b = [0u8; 8];
                    b[..w.len()].copy_from_slice(w);
                    format!("{:016x}", u64::from_le_bytes(b))
                })
                .collect(),
        })
    }

    /// The order of the folio whose head page is `pfn` (its first tail page holds it).
    fn order_of_head(&self, pfn: u64) -> Option<u32> {
        let va = self.struct_page(pfn).ok()?;
        let tail = va.wrapping_add(self.layout.size);
        let at = match self.layout.order {
            OrderField::TailByte { offset } => tail.wrapping_add(offset),
            // The low byte of folio->_flags_1 (little-endian).
            OrderField::Flags1 { offset } => va.wrapping_add(offset),
            OrderField::Unknown => return None,
        };
        let b = self.read_vmemmap(at, 1, "the folio order").ok()?;
        Some(b[0] as u32)
    }
}

/// The flags layout of this kernel (see [`flags`] for how each input is found).
fn flags_layout(k: &Kernel<'_>) -> Result<FlagsLayout, SymError> {
    let vm = k.types();
    let hint = Hint::File(PAGE_ALLOC_C);
    let pageflags = vm.enum_of("PG_locked", hint)?;
    let names = enum_names(&pageflags, "PG_", "__NR_PAGEFLAGS");
    let nr_pageflags = vm.enumerator("__NR_PAGEFLAGS", hint)?.clamp(0, 64) as u32;
    let zones = vm.enum_of("__MAX_NR_ZONES", hint)?;
    let zone_names: Vec<String> = enum_names(&zones, "ZONE_", "__MAX_NR_ZONES")
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    let max_nr_zones = vm.enumerator("__MAX_NR_ZONES", hint)?.clamp(0, 64) as u32;
    // MAX_NUMNODES = 1 << NODES_SHIFT: VMCOREINFO LENGTH(node_data), or node_data[]'s length.
    let max_numnodes = match k.vmcoreinfo.length("node_data").ok().flatten() {
        Some(n) => Some(n),
        None => k
            .var("node_data", Some("arch/x86/mm/numa.c"))
            .ok()
            .and_then(|(_, t)| t.array_len()),
    };
    let nodes_shift = max_numnodes.map(order_base_2).unwrap_or(0);
    // CONFIG_NUMA_BALANCING: kernel/sched/fair.c task_numa_fault().
    let numa_balancing = k.symbols().symbol_addr("task_numa_fault").is_ok();
    let nr_cpus = if numa_balancing {
        k.var("__per_cpu_offset", Some("arch/x86/kernel/setup_percpu.c"))
            .ok()
            .and_then(|(_, t)| t.array_len())
    } else {
        None
    };
    let lru_gen = vm
        .find_struct("lruvec", Hint::File("mm/vmscan.c"))
        .map(|t| t.has_member("lrugen"))
        .unwrap_or(false);
    Ok(FlagsLayout::compute(
        LayoutInputs {
            nr_pageflags,
            max_nr_zones,
            nodes_shift,
            nr_cpus,
            lru_gen,
        },
        names,
        zone_names,
    ))
}

fn order_base_2(n: u64) -> u32 {
    if n <= 1 {
        0
    } else {
        64 - (n - 1).leading_zeros()
    }
}
