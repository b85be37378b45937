//! A synthetic x86_64 kernel for fast tests of the kernel layer and the analyses, without the
//! test bed: physical memory (kernel image, page tables, the module area, the direct map) with
//! `struct module` instances and the kernel's module-tracking lists, counters and taint table,
//! plus the matching vmlinux (ELF symbols and `gimli::write` DWARF) and VMCOREINFO.
//!
//! Every struct layout here is this file's own (literal offsets below, written into both the DWARF
//! and the memory); nothing is shared with the readers in `src/kernel`, so a reader that computes
//! an offset wrongly reads the wrong bytes and a test fails.
//!
//! Include with `#[path]` next to `synth_vmlinux.rs` (the crate root must name it
//! `synth_vmlinux`).
#![allow(dead_code)]

use crate::synth_vmlinux::*;
use gimli::constants::*;
use gimli::write::{Dwarf, LineProgram, Unit, UnitEntryId};
use gimli::{Encoding, Format};
use modcrash::addr::Pa;
use modcrash::dump::Dump;
use modcrash::memory::{FaultKind, MemFault, PhysMem};
use modcrash::symbols::Vmlinux;
use modcrash::synth::{self, Compression, ElfLayout, Page};
use std::collections::{BTreeMap, HashMap};

// ---- Address space -------------------------------------------------------------------------

pub const PAGE: u64 = 4096;
/// `__START_KERNEL_map`.
pub const START_KERNEL_MAP: u64 = 0xffff_ffff_8000_0000;
/// KERNELOFFSET: runtime minus link-time address of the image.
pub const KASLR: u64 = 0x1e00_0000;
/// NUMBER(phys_base): negative, as under KASLR when the image is loaded low.
pub const PHYS_BASE: i64 = -0x1e00_0000;
/// Link-time `_text` (physical 16 MiB) and `.data` (physical 32 MiB).
pub const TEXT: u64 = 0xffff_ffff_8100_0000;
pub const DATA: u64 = 0xffff_ffff_8200_0000;
const DATA_SIZE: u64 = 0x3000;
/// page_offset_base: a randomized direct-map base (CONFIG_RANDOMIZE_MEMORY).
pub const DIRECT_MAP: u64 = 0xffff_9a80_0000_0000;
/// Without a `page_offset_base` symbol the reader assumes the 4-level default.
pub const DIRECT_MAP_DEFAULT: u64 = 0xffff_8880_0000_0000;
pub const MODULES_VADDR: u64 = 0xffff_ffff_c000_0000;
/// Physical memory: 256 MiB.
pub const MAX_PFN: u64 = 0x1_0000;
/// kmalloc'd objects (direct map), then page tables and module pages.
const DM_POOL: u64 = 0x0400_0000;
const PT_POOL: u64 = 0x0c00_0000;
/// Page-table entry bits: present, writable, accessed, dirty; NX for data pages.
const PTE_TABLE: u64 = 0x63;
const PTE_NX: u64 = 1 << 63;

/// Link-time addresses of the kernel's variables.
pub const LINUX_BANNER: u64 = DATA;
pub const INIT_TOP_PGT: u64 = DATA + 0x1000;
pub const MODULES: u64 = DATA + 0x2000;
pub const UNLOADED_TAINTED_MODULES: u64 = DATA + 0x2010;
pub const DUP_FAILED_MODULES: u64 = DATA + 0x2020;
pub const TAINTED_MASK: u64 = DATA + 0x2030;
pub const PAGE_OFFSET_BASE: u64 = DATA + 0x2038;
pub const LAST_UNLOADED_MODULE: u64 = DATA + 0x2040;
const COUNTERS_AT: u64 = DATA + 0x2100;
pub const TAINT_FLAGS: u64 = DATA + 0x2200;
const TAINT_DESCS: u64 = DATA + 0x2400;
/// The printk ringbuffer (`prb` and what it points to), past `.data`: src/synth/printk.rs
/// writes it, placed here.
pub const PRINTK_RING: u64 = DATA + 0x10000;

/// The kallsyms tables ([`SynthKernel::add_kallsyms`]), past the printk ring.
pub const KALLSYMS_AT: u64 = DATA + 0x40000;

/// Runtime address of a link-time image address.
pub const fn rt(link: u64) -> u64 {
    link.wrapping_add(KASLR)
}

pub const BUILD_ID: [u8; 20] = [
    0x5e, 0x17, 0x0c, 0x4a, 0x91, 0x22, 0x6d, 0x3f, 0x08, 0xb4, 0x77, 0xe1, 0x2c, 0x90, 0x5a, 0x33,
    0xd8, 0x61, 0x0f, 0xa2,
];

pub fn build_id_hex() -> String {
    BUILD_ID.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- Struct layouts (this builder's own) ----------------------------------------------------

/// `struct module`, reduced to the members modcrash reads, at offsets of this builder's choosing.
#[derive(Debug)]
pub struct ModLayout {
    pub size: u64,
    pub state: u64,
    pub list: u64,
    /// `char name[56]`.
    pub name: u64,
    pub version: u64,
    pub srcversion: u64,
    pub syms: u64,
    pub num_syms: u64,
    pub gpl_syms: Option<u64>,
    pub num_gpl_syms: Option<u64>,
    pub kallsyms: u64,
    /// `mem[7]` (6.4+) or `core_layout` (before).
    pub regions: u64,
    /// `init_layout` (before 6.4).
    pub init_layout: Option<u64>,
    pub taints: u64,
    pub source_list: u64,
    pub target_list: u64,
    pub init: u64,
    pub exit: u64,
    pub refcnt: u64,
}

/// The 6.4+ shape: `struct module_memory mem[MOD_MEM_NUM_TYPES]`; exports in one table.
pub const MODULE_6_12: ModLayout = ModLayout {
    size: 0x280,
    state: 0,
    list: 8,
    name: 24,
    version: 80,
    srcversion: 88,
    syms: 96,
    num_syms: 104,
    gpl_syms: None,
    num_gpl_syms: None,
    kallsyms: 112,
    regions: 128,
    init_layout: None,
    taints: 0x240,
    source_list: 0x248,
    target_list: 0x258,
    init: 0x268,
    exit: 0x270,
    refcnt: 0x278,
};

/// The pre-6.4 shape: `struct module_layout core_layout, init_layout`; GPL exports apart.
pub const MODULE_6_1: ModLayout = ModLayout {
    size: 0x210,
    state: 0,
    list: 8,
    name: 24,
    version: 80,
    srcversion: 88,
    syms: 96,
    num_syms: 104,
    gpl_syms: Some(112),
    num_gpl_syms: Some(120),
    kallsyms: 128,
    regions: 0x100,
    init_layout: Some(0x150),
    taints: 0x1a0,
    source_list: 0x1a8,
    target_list: 0x1b8,
    init: 0x1c8,
    exit: 0x1d0,
    refcnt: 0x1d8,
};

/// `struct module_memory { void *base; unsigned int size; bool is_rox; ... }`, 7 of them.
const MOD_MEM_SIZE: u64 = 0x40;
const MOD_MEM_TYPES: u64 = 7;
/// `struct module_layout { void *base; unsigned int size, text_size, ro_size, ro_after_init_size; ... }`.
const MOD_LAYOUT_SIZE: u64 = 0x50;
/// `struct module_use { list_head source_list, target_list; struct module *source, *target; }`.
const USE_SIZE: u64 = 48;
/// `struct mod_unload_taint` and `struct mod_fail_load`: list @0, name[56] @16, then two 8-byte
/// fields @72 and @80.
const ENTRY_SIZE: u64 = 88;
/// `struct mod_kallsyms { Elf64_Sym *symtab @0; unsigned int num_symtab @8; char *strtab @16;
/// char *typetab @24; }`.
const KALLSYMS_SIZE: u64 = 32;
/// PREL32 `struct kernel_symbol { int value_offset, name_offset, namespace_offset; }`.
const KSYM_SIZE: u64 = 12;
/// `last_unloaded_module`: `{ char name[57]; char taints[23]; }` or `char [57]`.
const LAST_NAME: u64 = 57;
const LAST_TAINTS: u64 = 23;

// ---- What the kernel holds ----------------------------------------------------------------

pub const LIVE: i64 = 0;
pub const COMING: i64 = 1;
pub const GOING: i64 = 2;
pub const UNFORMED: i64 = 3;

/// `struct taint_flag` shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaintShape {
    /// 6.1: `{ char c_true, c_false; bool module; }`, 19 flags.
    V6_1,
    /// 6.11+: `{ char c_true, c_false; bool module; const char *desc; }`, 20 flags.
    V6_12,
    /// Without `module`: `{ char c_true, c_false; const char *desc; }`, 20 flags.
    NoModule,
}

/// The shape of `last_unloaded_module`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastShape {
    /// 5.19+: `struct { char name[57]; char taints[23]; }`.
    Struct,
    /// Before: `char [57]`.
    Array,
    Absent,
}

/// (c_true, c_false, module, desc) of each taint bit, as kernel/panic.c has them.
pub const TAINT_TABLE: [(char, char, bool, &str); 20] = [
    ('P', 'G', true, "PROPRIETARY_MODULE"),
    ('F', ' ', true, "FORCED_MODULE"),
    ('S', ' ', false, "CPU_OUT_OF_SPEC"),
    ('R', ' ', false, "FORCED_RMMOD"),
    ('M', ' ', false, "MACHINE_CHECK"),
    ('B', ' ', false, "BAD_PAGE"),
    ('U', ' ', false, "USER"),
    ('D', ' ', false, "DIE"),
    ('A', ' ', false, "OVERRIDDEN_ACPI_TABLE"),
    ('W', ' ', false, "WARN"),
    ('C', ' ', true, "CRAP"),
    ('I', ' ', false, "FIRMWARE_WORKAROUND"),
    ('O', ' ', true, "OOT_MODULE"),
    ('E', ' ', true, "UNSIGNED_MODULE"),
    ('L', ' ', false, "SOFTLOCKUP"),
    ('K', ' ', true, "LIVEPATCH"),
    ('X', ' ', true, "AUX"),
    ('T', ' ', true, "RANDSTRUCT"),
    ('N', ' ', true, "TEST"),
    ('J', ' ', true, "FWCTL"),
];

/// kernel/module/stats.c's counters in its declaration order, with their sizes (atomic_long_t
/// 8, atomic_t 4).
pub const COUNTERS: [(&str, u64); 11] = [
    ("total_mod_size", 8),
    ("total_text_size", 8),
    ("invalid_kread_bytes", 8),
    ("invalid_decompress_bytes", 8),
    ("invalid_becoming_bytes", 8),
    ("invalid_mod_bytes", 8),
    ("modcount", 4),
    ("failed_kreads", 4),
    ("failed_decompress", 4),
    ("failed_becoming", 4),
    ("failed_load_modules", 4),
];

/// Where modtrack's state is and how it can be found.
#[derive(Clone, Debug)]
pub struct ModtrackSpec {
    pub state: Vec<u8>,
    /// `modtrack_state` is in the module's kallsyms (CONFIG_KALLSYMS_ALL).
    pub in_kallsyms: bool,
    /// `modtrack_state` is exported.
    pub in_exports: bool,
    /// The kallsyms `st_size` (default: the state's length).
    pub st_size: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct ModuleSpec {
    pub name: String,
    /// Raw `enum module_state` value.
    pub state: i64,
    pub taints: u64,
    pub refcnt: i32,
    pub version: Option<String>,
    pub srcversion: Option<String>,
    /// MOD_TEXT, MOD_DATA, MOD_RODATA, MOD_RO_AFTER_INIT sizes (core_layout: their sum).
    pub core: [u32; 4],
    /// MOD_INIT_TEXT, MOD_INIT_DATA, MOD_INIT_RODATA sizes (init_layout: their sum).
    pub init: [u32; 3],
    pub has_init: bool,
    pub has_exit: bool,
    /// Indices (into [`Spec::modules`]) of the modules using this one, in `source_list` order.
    pub used_by: Vec<usize>,
    pub modtrack: Option<ModtrackSpec>,
}

impl ModuleSpec {
    pub fn new(name: &str) -> ModuleSpec {
        ModuleSpec {
            name: name.into(),
            state: LIVE,
            taints: 0,
            refcnt: 1,
            version: None,
            srcversion: None,
            core: [0x1000, 0x1000, 0, 0],
            init: [0; 3],
            has_init: true,
            has_exit: true,
            used_by: Vec::new(),
            modtrack: None,
        }
    }
}

/// A kernel to build.
#[derive(Clone, Debug)]
pub struct Spec {
    pub release: String,
    /// `struct module` shape: [`MODULE_6_12`] (mem[]) or [`MODULE_6_1`] (core_layout).
    pub mem_regions: bool,
    pub taint_shape: TaintShape,
    /// CONFIG_MODULE_UNLOAD_TAINT_TRACKING: `unloaded_tainted_modules` exists.
    pub tracking: bool,
    /// CONFIG_MODULE_STATS: the counters and `dup_failed_modules` exist.
    pub stats: bool,
    pub last_shape: LastShape,
    /// A `page_offset_base` symbol (else the reader assumes the default direct-map base).
    pub page_offset_base: bool,
    pub tainted_mask: u64,
    /// In `modules` list order (newest first, as the kernel adds them).
    pub modules: Vec<ModuleSpec>,
    /// `unloaded_tainted_modules`, in list order: (name, taints, count).
    pub unloaded: Vec<(String, u64, u64)>,
    /// Counter values by name (raw bits; absent ones are 0).
    pub counters: Vec<(&'static str, u64)>,
    /// `dup_failed_modules`, in list order: (name, count, dup_fail_mask).
    pub dup_failed: Vec<(String, u64, u64)>,
    /// `last_unloaded_module`: name and taints text.
    pub last_unloaded: (String, String),
    /// The kernel log, one record per line (level 6, a millisecond apart); the banner first.
    pub log: Vec<String>,
}

impl Spec {
    /// A 6.12-shaped kernel with nothing loaded and both tracking options on.
    pub fn v6_12() -> Spec {
        Spec {
            release: "6.12.0-synth".into(),
            mem_regions: true,
            taint_shape: TaintShape::V6_12,
            tracking: true,
            stats: true,
            last_shape: LastShape::Struct,
            page_offset_base: true,
            tainted_mask: 0,
            modules: Vec::new(),
            unloaded: Vec::new(),
            counters: Vec::new(),
            dup_failed: Vec::new(),
            last_unloaded: (String::new(), String::new()),
            log: vec![
                "Linux version 6.12.0-synth (synth@modcrash)".into(),
                "Command line: console=ttyS0".into(),
            ],
        }
    }

    /// A 6.1-shaped kernel (Debian's 6.1: neither tracking option).
    pub fn v6_1() -> Spec {
        Spec {
            release: "6.1.0-synth".into(),
            mem_regions: false,
            taint_shape: TaintShape::V6_1,
            tracking: false,
            stats: false,
            ..Spec::v6_12()
        }
    }

    pub fn layout(&self) -> &'static ModLayout {
        if self.mem_regions {
            &MODULE_6_12
        } else {
            &MODULE_6_1
        }
    }

    pub fn banner(&self) -> String {
        format!(
            "Linux version {} (synth@modcrash) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC\n",
            self.release
        )
    }

    fn nr_taint_flags(&self) -> usize {
        match self.taint_shape {
            TaintShape::V6_1 => 19,
            _ => 20,
        }
    }
}

// ---- Physical memory ------------------------------------------------------------------------

/// Physical memory as 4 KiB pages; RAM pages that are not present read as excluded (as a
/// filtered dump has them), addresses past [`MAX_PFN`] as not in the dump.
#[derive(Clone, Debug, Default)]
pub struct PageMem {
    pub pages: BTreeMap<u64, Vec<u8>>,
}

impl PageMem {
    fn page(&mut self, pfn: u64) -> &mut Vec<u8> {
        assert!(pfn < MAX_PFN, "synthetic kernel: pfn {pfn:#x} past MAX_PFN");
        self.pages
            .entry(pfn)
            .or_insert_with(|| vec![0; PAGE as usize])
    }

    pub fn write(&mut self, pa: u64, bytes: &[u8]) {
        let mut done = 0usize;
        while done < bytes.len() {
            let at = pa + done as u64;
            let off = (at % PAGE) as usize;
            let n = (PAGE as usize - off).min(bytes.len() - done);
            self.page(at / PAGE)[off..off + n].copy_from_slice(&bytes[done..done + n]);
            done += n;
        }
    }

    pub fn read(&self, pa: u64, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        self.read_phys(Pa(pa), &mut out).expect("synthetic read");
        out
    }
}

impl PhysMem for PageMem {
    fn read_phys(&self, pa: Pa, buf: &mut [u8]) -> Result<(), MemFault> {
        let mut done = 0usize;
        while done < buf.len() {
            let at = pa.0.wrapping_add(done as u64);
            let fault = |kind| MemFault {
                kind,
                pa: Pa(at),
                file_offset: None,
            };
            if at / PAGE >= MAX_PFN {
                return Err(fault(FaultKind::NotInDump));
            }
            let page = self
                .pages
                .get(&(at / PAGE))
                .ok_or(fault(FaultKind::Excluded))?;
            let off = (at % PAGE) as usize;
            let n = (PAGE as usize - off).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&page[off..off + n]);
            done += n;
        }
        Ok(())
    }
}

/// Little-endian field writes into an object's bytes.
struct Obj(Vec<u8>);

impl Obj {
    fn new(size: u64) -> Obj {
        Obj(vec![0; size as usize])
    }
    fn put(&mut self, off: u64, b: &[u8]) {
        self.0[off as usize..off as usize + b.len()].copy_from_slice(b);
    }
    fn u64(&mut self, off: u64, v: u64) {
        self.put(off, &v.to_le_bytes())
    }
    fn u32(&mut self, off: u64, v: u32) {
        self.put(off, &v.to_le_bytes())
    }
    fn str(&mut self, off: u64, s: &str) {
        self.put(off, s.as_bytes())
    }
}

// ---- The kernel -----------------------------------------------------------------------------

/// One built module: where its `struct module`, text and state are.
#[derive(Clone, Debug)]
pub struct BuiltModule {
    pub addr: u64,
    pub base: u64,
    pub state_addr: Option<u64>,
    /// Its `struct mod_kallsyms`, if it has one.
    pub kallsyms: Option<u64>,
}

/// A built kernel: memory, the vmlinux and VMCOREINFO, and where things were put (for tests
/// that damage them).
pub struct SynthKernel {
    pub spec: Spec,
    pub mem: PageMem,
    /// Module-area pages as this builder mapped them: virtual page -> physical page.
    mapped: HashMap<u64, u64>,
    next_pt: u64,
    next_dm: u64,
    pub modules: Vec<BuiltModule>,
    /// `list_head`s on the `modules` list, in order.
    module_nodes: Vec<u64>,
    /// Entry addresses of `unloaded_tainted_modules` and `dup_failed_modules`.
    pub unloaded: Vec<u64>,
    pub dup_failed: Vec<u64>,
    pub vmcoreinfo: String,
    vmlinux: Vec<u8>,
}

impl SynthKernel {
    pub fn build(spec: &Spec) -> SynthKernel {
        let mut k = SynthKernel {
            spec: spec.clone(),
            mem: PageMem::default(),
            mapped: HashMap::new(),
            next_pt: PT_POOL,
            next_dm: DM_POOL,
            modules: Vec::new(),
            module_nodes: Vec::new(),
            unloaded: Vec::new(),
            dup_failed: Vec::new(),
            vmcoreinfo: String::new(),
            vmlinux: Vec::new(),
        };
        // The image's .data, all present (init_top_pgt starts empty).
        k.write(rt(DATA), &vec![0; DATA_SIZE as usize]);
        k.write_str(rt(LINUX_BANNER), &spec.banner());
        if spec.page_offset_base {
            k.write_u64(rt(PAGE_OFFSET_BASE), DIRECT_MAP);
        }
        k.taint_flags();
        k.write_u64(rt(TAINTED_MASK), spec.tainted_mask);
        k.modules_list();
        if spec.tracking {
            let entries = spec.unloaded.clone();
            k.unloaded = k.entry_list(rt(UNLOADED_TAINTED_MODULES), &entries);
        }
        if spec.stats {
            for (i, &(name, size)) in COUNTERS.iter().enumerate() {
                let v = spec
                    .counters
                    .iter()
                    .find(|c| c.0 == name)
                    .map_or(0, |c| c.1);
                let at = rt(COUNTERS_AT) + 8 * i as u64;
                k.write(at, &v.to_le_bytes()[..size as usize]);
            }
            let entries = spec.dup_failed.clone();
            k.dup_failed = k.entry_list(rt(DUP_FAILED_MODULES), &entries);
        }
        let (name, taints) = &spec.last_unloaded;
        match spec.last_shape {
            LastShape::Struct => {
                k.write_str(rt(LAST_UNLOADED_MODULE), name);
                k.write_str(rt(LAST_UNLOADED_MODULE) + LAST_NAME, taints);
            }
            LastShape::Array => k.write_str(rt(LAST_UNLOADED_MODULE), name),
            LastShape::Absent => {}
        }
        let ring = k.printk_ring();
        k.vmcoreinfo = format!(
            "OSRELEASE={}\nBUILD-ID={}\nPAGESIZE=4096\nSYMBOL(init_top_pgt)={:x}\n\
             NUMBER(phys_base)={PHYS_BASE}\nNUMBER(pgtable_l5_enabled)=0\nKERNELOFFSET={KASLR:x}\n\
             CRASHTIME=1700000000\n{ring}",
            spec.release,
            build_id_hex(),
            rt(INIT_TOP_PGT)
        );
        k.vmlinux = vmlinux_image(spec);
        k
    }

    /// The kernel's kallsyms tables for `syms` (name, type letter, link-time address), written
    /// at [`KALLSYMS_AT`] and named in VMCOREINFO as a 6.1+ kernel does. Encoded here from
    /// scripts/kallsyms.c's description, sharing nothing with the reader: each token is one
    /// byte (token `t` expands to the character `t`), offsets are relative to
    /// `kallsyms_relative_base` (the lowest address), names longer than 127 bytes take the
    /// two-byte length.
    pub fn add_kallsyms(&mut self, syms: &[(&str, char, u64)]) {
        let mut sorted: Vec<(String, char, u64)> = syms
            .iter()
            .map(|&(n, t, a)| (n.to_string(), t, rt(a)))
            .collect();
        sorted.sort_by_key(|s| s.2);
        let base = sorted.first().map_or(rt(TEXT), |s| s.2);
        let mut names = Vec::new();
        for (n, t, _) in &sorted {
            let entry: Vec<u8> = std::iter::once(*t as u8).chain(n.bytes()).collect();
            if entry.len() > 127 {
                names.push((entry.len() & 0x7f) as u8 | 0x80);
                names.push((entry.len() >> 7) as u8);
            } else {
                names.push(entry.len() as u8);
            }
            names.extend_from_slice(&entry);
        }
        let offsets: Vec<u8> = sorted
            .iter()
            .flat_map(|s| ((s.2 - base) as u32).to_le_bytes())
            .collect();
        let table: Vec<u8> = (0..=255u8).flat_map(|t| [t, 0]).collect();
        let index: Vec<u8> = (0..256u16).flat_map(|t| (2 * t).to_le_bytes()).collect();
        let at = |off: u64| rt(KALLSYMS_AT) + off;
        let (num, rel, tt, ti, offs, nm) = (0, 8, 0x100, 0x400, 0x1000, 0x8000);
        self.write(at(num), &(sorted.len() as u32).to_le_bytes());
        self.write_u64(at(rel), base);
        self.write(at(tt), &table);
        self.write(at(ti), &index);
        self.write(at(offs), &offsets);
        self.write(at(nm), &names);
        for (key, off) in [
            ("kallsyms_num_syms", num),
            ("kallsyms_relative_base", rel),
            ("kallsyms_token_table", tt),
            ("kallsyms_token_index", ti),
            ("kallsyms_offsets", offs),
            ("kallsyms_names", nm),
        ] {
            self.vmcoreinfo += &format!("SYMBOL({key})={:x}\n", at(off));
        }
    }

    /// The variables of the image as kallsyms lists them (name, type, link-time address).
    pub fn image_symbols(&self) -> Vec<(&'static str, char, u64)> {
        vec![
            ("linux_banner", 'D', LINUX_BANNER),
            ("init_top_pgt", 'D', INIT_TOP_PGT),
            ("modules", 'D', MODULES),
            ("unloaded_tainted_modules", 'd', UNLOADED_TAINTED_MODULES),
            ("dup_failed_modules", 'd', DUP_FAILED_MODULES),
            ("tainted_mask", 'D', TAINTED_MASK),
            ("page_offset_base", 'D', PAGE_OFFSET_BASE),
            ("last_unloaded_module", 'b', LAST_UNLOADED_MODULE),
            ("taint_flags", 'D', TAINT_FLAGS),
            ("_stext", 'T', TEXT),
        ]
    }

    /// The log of the spec in a printk ring at [`PRINTK_RING`]; returns the ring's VMCOREINFO.
    fn printk_ring(&mut self) -> String {
        use modcrash::synth::printk::{RingLayout, SynthRecord, SynthRing};
        let mut ring = SynthRing::at_va(RingLayout::v6_12(), 7, 12, rt(PRINTK_RING));
        for (i, line) in self.spec.log.clone().iter().enumerate() {
            ring.push(&SynthRecord::line(line, 1_000_000 * i as u64, 6));
        }
        let image = ring.memory().to_vec();
        self.write(rt(PRINTK_RING), &image);
        ring.ring_vmcoreinfo()
    }

    // -- addresses and writes --

    /// The physical address behind `va` as this builder placed it (None: not mapped).
    pub fn pa_of(&self, va: u64) -> Option<u64> {
        if (START_KERNEL_MAP..MODULES_VADDR).contains(&va) {
            return Some((va - START_KERNEL_MAP).wrapping_add(PHYS_BASE as u64));
        }
        let dm = if self.spec.page_offset_base {
            DIRECT_MAP
        } else {
            DIRECT_MAP_DEFAULT
        };
        if va >= dm && va - dm < MAX_PFN * PAGE {
            return Some(va - dm);
        }
        self.mapped
            .get(&(va & !(PAGE - 1)))
            .map(|pa| pa + (va & (PAGE - 1)))
    }

    /// Write at a runtime virtual address; module-area pages are mapped on first write.
    pub fn write(&mut self, va: u64, bytes: &[u8]) {
        let mut done = 0usize;
        while done < bytes.len() {
            let at = va + done as u64;
            let n = ((PAGE - at % PAGE) as usize).min(bytes.len() - done);
            if at >= MODULES_VADDR && !self.mapped.contains_key(&(at & !(PAGE - 1))) {
                self.map_page(at & !(PAGE - 1));
            }
            let pa = self
                .pa_of(at)
                .expect("synthetic write to an unmapped address");
            self.mem.write(pa, &bytes[done..done + n]);
            done += n;
        }
    }

    pub fn write_u64(&mut self, va: u64, v: u64) {
        self.write(va, &v.to_le_bytes())
    }

    /// A NUL-terminated string.
    pub fn write_str(&mut self, va: u64, s: &str) {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        self.write(va, &b)
    }

    pub fn read_u64(&self, va: u64) -> u64 {
        let pa = self.pa_of(va).expect("mapped");
        u64::from_le_bytes(self.mem.read(pa, 8).try_into().unwrap())
    }

    /// Drop the page under `va` from the dump (as a dump filter excludes it).
    pub fn exclude(&mut self, va: u64) {
        let pa = self.pa_of(va).expect("mapped");
        assert!(self.mem.pages.remove(&(pa / PAGE)).is_some());
    }

    fn alloc_pt(&mut self) -> u64 {
        let pa = self.next_pt;
        self.next_pt += PAGE;
        self.mem.write(pa, &[0; PAGE as usize]);
        pa
    }

    /// Map one module-area page through the 4-level tables under init_top_pgt.
    fn map_page(&mut self, va: u64) {
        let mut table = self.pa_of(rt(INIT_TOP_PGT)).expect("image");
        for shift in [39u32, 30, 21] {
            let at = table + ((va >> shift) & 0x1ff) * 8;
            let e = u64::from_le_bytes(self.mem.read(at, 8).try_into().unwrap());
            table = if e & 1 != 0 {
                e & 0x000f_ffff_ffff_f000
            } else {
                let t = self.alloc_pt();
                self.mem.write(at, &(t | PTE_TABLE).to_le_bytes());
                t
            };
        }
        let page = self.alloc_pt();
        let at = table + ((va >> 12) & 0x1ff) * 8;
        self.mem
            .write(at, &(page | PTE_TABLE | PTE_NX).to_le_bytes());
        self.mapped.insert(va, page);
    }

    /// kmalloc: `len` bytes in the direct map, 64-byte aligned.
    pub fn kmalloc(&mut self, len: u64) -> u64 {
        let pa = self.next_dm;
        self.next_dm = (pa + len).next_multiple_of(64);
        let base = if self.spec.page_offset_base {
            DIRECT_MAP
        } else {
            DIRECT_MAP_DEFAULT
        };
        base + pa
    }

    /// Link `nodes` (addresses of `list_head`s) into the list at `head`, in order.
    pub fn link_list(&mut self, head: u64, nodes: &[u64]) {
        let mut prev = head;
        for &n in nodes {
            self.write_u64(prev, n);
            self.write_u64(n + 8, prev);
            prev = n;
        }
        self.write_u64(prev, head);
        self.write_u64(head + 8, prev);
    }

    // -- the kernel's objects --

    fn taint_flags(&mut self) {
        let shape = self.spec.taint_shape;
        let n = self.spec.nr_taint_flags();
        let mut desc_at = rt(TAINT_DESCS);
        for (i, &(t, f, module, desc)) in TAINT_TABLE.iter().take(n).enumerate() {
            let (size, desc_off) = match shape {
                TaintShape::V6_1 => (3, None),
                TaintShape::V6_12 => (16, Some(8)),
                TaintShape::NoModule => (16, Some(8)),
            };
            let mut o = Obj::new(size);
            o.put(0, &[t as u8, f as u8]);
            if shape != TaintShape::NoModule {
                o.put(2, &[module as u8]);
            }
            if let Some(off) = desc_off {
                o.u64(off, desc_at);
                self.write_str(desc_at, desc);
                desc_at += desc.len() as u64 + 1;
            }
            self.write(rt(TAINT_FLAGS) + i as u64 * size, &o.0);
        }
    }

    /// `mod_unload_taint` / `mod_fail_load` entries (same shape here), linked at `head`.
    fn entry_list(&mut self, head: u64, entries: &[(String, u64, u64)]) -> Vec<u64> {
        let mut at = Vec::new();
        for (i, (name, a, b)) in entries.iter().enumerate() {
            // Each from its own slab page (allocated at different times), so one excluded page
            // costs one entry.
            self.next_dm = self.next_dm.next_multiple_of(PAGE) + 0x100 * (i as u64 % 8);
            let va = self.kmalloc(ENTRY_SIZE);
            let mut o = Obj::new(ENTRY_SIZE);
            o.str(16, name);
            o.u64(72, *a);
            o.u64(80, *b);
            self.write(va, &o.0);
            at.push(va);
        }
        self.link_list(head, &at);
        at
    }

    fn modules_list(&mut self) {
        let l = self.spec.layout();
        let specs = self.spec.modules.clone();
        // Addresses first: users point at each other.
        for i in 0..specs.len() {
            let base = MODULES_VADDR + 0x10_0000 * (i as u64 + 1);
            // In the module's data, straddling a page boundary (see `struct_page_tail`).
            let addr = base + 0x8e00;
            self.modules.push(BuiltModule {
                addr,
                base,
                state_addr: None,
                kallsyms: None,
            });
        }
        // module_use entries on a slab page of their own.
        self.next_dm = self.next_dm.next_multiple_of(PAGE);
        let mut target_lists: Vec<Vec<u64>> = vec![Vec::new(); specs.len()];
        for (i, m) in specs.iter().enumerate() {
            let (addr, base) = (self.modules[i].addr, self.modules[i].base);
            let mut cursor = (addr + l.size).next_multiple_of(64);
            let mut alloc = |len: u64, align: u64| {
                let at = cursor.next_multiple_of(align);
                cursor = at + len;
                at
            };
            let mut o = Obj::new(l.size);
            o.u32(l.state, m.state as u32);
            o.str(l.name, &m.name);
            o.u64(l.taints, m.taints);
            o.u32(l.refcnt, m.refcnt as u32);
            let mut strings = Vec::new();
            for (off, s) in [(l.version, &m.version), (l.srcversion, &m.srcversion)] {
                if let Some(s) = s {
                    let at = alloc(s.len() as u64 + 1, 8);
                    o.u64(off, at);
                    strings.push((at, s.clone()));
                }
            }
            match l.init_layout {
                None => {
                    // mem[MOD_TEXT, MOD_DATA (holding the struct module), MOD_RODATA,
                    // MOD_RO_AFTER_INIT, MOD_INIT_TEXT, MOD_INIT_DATA, MOD_INIT_RODATA]
                    let sizes = [
                        m.core[0], m.core[1], m.core[2], m.core[3], m.init[0], m.init[1], m.init[2],
                    ];
                    let at = [0, 0x8000, 0x2_0000, 0x3_0000, 0x8_0000, 0x9_0000, 0xa_0000];
                    for (t, &size) in sizes.iter().enumerate() {
                        let e = l.regions + t as u64 * MOD_MEM_SIZE;
                        if size != 0 {
                            o.u64(e, base + at[t]);
                        }
                        o.u32(e + 8, size);
                    }
                }
                Some(i) => {
                    let core: u32 = m.core.iter().sum();
                    let init: u32 = m.init.iter().sum();
                    let c = l.regions;
                    o.u64(c, base);
                    o.u32(c + 8, core);
                    o.u32(c + 12, m.core[0]);
                    o.u32(c + 16, m.core[0] + m.core[2]);
                    o.u32(c + 20, m.core[0] + m.core[2] + m.core[3]);
                    if init != 0 {
                        o.u64(i, base + 0x8_0000);
                    }
                    o.u32(i + 8, init);
                    o.u32(i + 12, m.init[0]);
                }
            }
            if m.has_init {
                o.u64(l.init, base + 0x8_0000);
            }
            if m.has_exit {
                o.u64(l.exit, base + 0x40);
            }
            // Users: one module_use each, on this module's source_list and the user's target_list.
            let mut uses = Vec::new();
            for &u in &m.used_by {
                let va = self.kmalloc(USE_SIZE);
                let mut e = Obj::new(USE_SIZE);
                e.u64(32, self.modules[u].addr);
                e.u64(40, addr);
                self.write(va, &e.0);
                uses.push(va);
                target_lists[u].push(va + 16);
            }
            let mut deferred: Vec<(u64, Vec<u8>)> = Vec::new();
            if let Some(mt) = &m.modtrack {
                let state = (alloc(mt.state.len() as u64 + PAGE, PAGE)) + 0x40;
                deferred.push((state, mt.state.clone()));
                self.modules[i].state_addr = Some(state);
                let st_size = mt.st_size.unwrap_or(mt.state.len() as u64);
                // kallsyms: a NULL symbol, a function, a 4-byte lock, a prefix of the name
                // (exact match needed), then the state (if kept).
                let mut syms: Vec<(&str, u64, u64, u8)> = vec![
                    ("modtrack_init", base + 0x8_0000, 0x90, 0x12),
                    (
                        "modtrack_state_lock",
                        state + mt.state.len() as u64,
                        4,
                        0x11,
                    ),
                    ("modtrack_stat", base + 0x100, 0x40, 0x12),
                ];
                if mt.in_kallsyms {
                    syms.push(("modtrack_state", state, st_size, 0x11));
                }
                let mut strtab = vec![0u8];
                let mut symtab = vec![0u8; 24];
                let mut typetab = vec![0u8];
                for &(name, value, size, info) in &syms {
                    let mut e = Obj::new(24);
                    e.u32(0, strtab.len() as u32);
                    e.put(4, &[info, 0]);
                    e.put(6, &2u16.to_le_bytes());
                    e.u64(8, value);
                    e.u64(16, size);
                    symtab.extend_from_slice(&e.0);
                    strtab.extend_from_slice(name.as_bytes());
                    strtab.push(0);
                    typetab.push(if info & 0xf == 2 { b't' } else { b'd' });
                }
                let (sym_at, str_at, ty_at) = (
                    alloc(symtab.len() as u64, 8),
                    alloc(strtab.len() as u64, 1),
                    alloc(typetab.len() as u64, 1),
                );
                let ks = alloc(KALLSYMS_SIZE, 8);
                let mut kso = Obj::new(KALLSYMS_SIZE);
                kso.u64(0, sym_at);
                kso.u32(8, syms.len() as u32 + 1);
                kso.u64(16, str_at);
                kso.u64(24, ty_at);
                deferred.extend([
                    (sym_at, symtab),
                    (str_at, strtab),
                    (ty_at, typetab),
                    (ks, kso.0),
                ]);
                o.u64(l.kallsyms, ks);
                self.modules[i].kallsyms = Some(ks);
                // Exports: PREL32 kernel_symbols. On the 6.1 shape EXPORT_SYMBOL_GPL goes to
                // gpl_syms; on 6.12 everything is in syms.
                let mut plain = vec![("modtrack_version", base + 0x200)];
                let mut gpl = Vec::new();
                if mt.in_exports {
                    if l.gpl_syms.is_some() {
                        gpl.push(("modtrack_state", state));
                    } else {
                        plain.push(("modtrack_state", state));
                    }
                }
                for (tab, off, num) in [
                    (plain, Some(l.syms), Some(l.num_syms)),
                    (gpl, l.gpl_syms, l.num_gpl_syms),
                ] {
                    let (Some(off), Some(num)) = (off, num) else {
                        continue;
                    };
                    if tab.is_empty() {
                        continue;
                    }
                    let at = alloc(KSYM_SIZE * tab.len() as u64, 4);
                    let mut t = Obj::new(KSYM_SIZE * tab.len() as u64);
                    for (j, (name, value)) in tab.iter().enumerate() {
                        let e = at + j as u64 * KSYM_SIZE;
                        let name_at = alloc(name.len() as u64 + 1, 1);
                        deferred.push((name_at, format!("{name}\0").into_bytes()));
                        let rel = |to: u64, from: u64| (to.wrapping_sub(from) as i64 as i32) as u32;
                        t.u32(j as u64 * KSYM_SIZE, rel(*value, e));
                        t.u32(j as u64 * KSYM_SIZE + 4, rel(name_at, e + 4));
                    }
                    deferred.push((at, t.0));
                    o.u64(off, at);
                    o.u32(num, tab.len() as u32);
                }
            }
            self.write(addr, &o.0);
            for (at, s) in strings {
                self.write_str(at, &s);
            }
            for (at, b) in deferred {
                self.write(at, &b);
            }
            self.link_list(addr + l.source_list, &uses);
        }
        for (i, t) in target_lists.iter().enumerate() {
            let head = self.modules[i].addr + l.target_list;
            self.link_list(head, t);
        }
        self.module_nodes = self.modules.iter().map(|m| m.addr + l.list).collect();
        let nodes = self.module_nodes.clone();
        self.link_list(rt(MODULES), &nodes);
    }

    /// Append `n` minimal live modules ("bulk00000", ...) after the others, in the direct map
    /// (for list-length tests; a real module area holds far fewer).
    pub fn append_bulk_modules(&mut self, n: usize) {
        let l = self.spec.layout();
        for i in 0..n {
            let addr = self.kmalloc(l.size);
            let mut o = Obj::new(l.size);
            o.str(l.name, &format!("bulk{i:05}"));
            o.u32(l.refcnt, 1);
            o.u64(l.source_list, addr + l.source_list);
            o.u64(l.source_list + 8, addr + l.source_list);
            self.write(addr, &o.0);
            self.module_nodes.push(addr + l.list);
        }
        let nodes = self.module_nodes.clone();
        self.link_list(rt(MODULES), &nodes);
    }

    /// The `list_head` of module `i` on the `modules` list.
    pub fn module_node(&self, i: usize) -> u64 {
        self.modules[i].addr + self.spec.layout().list
    }

    /// The second page of module `i`'s `struct module` (the first holds its list_head).
    pub fn struct_page_tail(&self, i: usize) -> u64 {
        (self.modules[i].addr + PAGE) & !(PAGE - 1)
    }

    // -- outputs --

    fn dump_spec(&self) -> synth::Spec {
        let mut s = synth::Spec::new(PAGE as u32, MAX_PFN);
        s.ram = vec![(0, MAX_PFN)];
        s.pages = self
            .mem
            .pages
            .iter()
            .map(|(&pfn, p)| (pfn, Page::Data(p.clone())))
            .collect();
        s.vmcoreinfo = Some(self.vmcoreinfo.clone());
        s.release = self.spec.release.clone();
        s
    }

    /// The memory as a kdump-compressed file (src/synth's writer), opened.
    pub fn kdump(&self, compression: Compression) -> Dump {
        let mut s = self.dump_spec();
        s.compression = compression;
        Dump::from_bytes("synthetic kdump", synth::kdump(&s)).expect("synthetic kdump opens")
    }

    /// The memory as an ELF vmcore (`makedumpfile -E` layout), opened.
    pub fn elf(&self) -> Dump {
        Dump::from_bytes(
            "synthetic ELF",
            synth::elf(&self.dump_spec(), ElfLayout::Kernel),
        )
        .expect("synthetic ELF opens")
    }

    pub fn vmlinux_bytes(&self) -> &[u8] {
        &self.vmlinux
    }

    pub fn vmlinux(&self) -> Vmlinux {
        Vmlinux::from_bytes(self.vmlinux.clone(), "synthetic vmlinux").expect("synthetic vmlinux")
    }
}

// ---- The vmlinux ----------------------------------------------------------------------------

fn vmlinux_image(spec: &Spec) -> Vec<u8> {
    let mut data = vec![0u8; DATA_SIZE as usize];
    let banner = spec.banner();
    data[..banner.len()].copy_from_slice(banner.as_bytes());
    let mut secs = vec![
        sec(
            ".text",
            SHT_PROGBITS,
            SHF_ALLOC | SHF_EXEC,
            TEXT,
            vec![0xcc; 0x1000],
        ), // 1
        sec(".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, DATA, data), // 2
        sec(
            ".note.gnu.build-id",
            SHT_NOTE,
            SHF_ALLOC,
            0,
            build_id_note(&BUILD_ID),
        ), // 3
    ];
    for (name, bytes) in dwarf(spec) {
        secs.push(sec(name, SHT_PROGBITS, 0, 0, bytes));
    }
    let obj = |name, addr, size, bind| (name, addr, size, STT_OBJECT, bind, 2u16);
    let file = |name| (name, 0, 0, STT_FILE, STB_LOCAL, SHN_ABS);
    let mut syms: Vec<SymDef<'_>> = Vec::new();
    // Statics, each after its file's STT_FILE symbol.
    syms.push(file("main.c"));
    if spec.last_shape != LastShape::Absent {
        syms.push(obj(
            "last_unloaded_module",
            LAST_UNLOADED_MODULE,
            80,
            STB_LOCAL,
        ));
    }
    syms.push(file("panic.c"));
    syms.push(obj("tainted_mask", TAINTED_MASK, 8, STB_LOCAL));
    if spec.stats {
        syms.push(file("stats.c"));
        syms.push(obj("dup_failed_modules", DUP_FAILED_MODULES, 16, STB_LOCAL));
    }
    syms.push(("_text", TEXT, 0, STT_NOTYPE, STB_GLOBAL, 1));
    syms.push(("_stext", TEXT, 0, STT_NOTYPE, STB_GLOBAL, 1));
    syms.push(obj("init_top_pgt", INIT_TOP_PGT, PAGE, STB_GLOBAL));
    syms.push(obj(
        "linux_banner",
        LINUX_BANNER,
        banner.len() as u64 + 1,
        STB_GLOBAL,
    ));
    if spec.page_offset_base {
        syms.push(obj("page_offset_base", PAGE_OFFSET_BASE, 8, STB_GLOBAL));
    }
    syms.push(obj("modules", MODULES, 16, STB_GLOBAL));
    let flag_size = if spec.taint_shape == TaintShape::V6_1 {
        3
    } else {
        16
    };
    syms.push(obj(
        "taint_flags",
        TAINT_FLAGS,
        flag_size * spec.nr_taint_flags() as u64,
        STB_GLOBAL,
    ));
    if spec.tracking {
        syms.push(obj(
            "unloaded_tainted_modules",
            UNLOADED_TAINTED_MODULES,
            16,
            STB_GLOBAL,
        ));
    }
    if spec.stats {
        for (i, &(name, size)) in COUNTERS.iter().enumerate() {
            syms.push(obj(name, COUNTERS_AT + 8 * i as u64, size, STB_GLOBAL));
        }
    }
    write_elf(secs, &syms, TEXT)
}

/// Base types every unit declares for itself.
struct Bases {
    int: UnitEntryId,
    uint: UnitEntryId,
    ulong: UnitEntryId,
    long_long: UnitEntryId,
    ulong_long: UnitEntryId,
    ch: UnitEntryId,
    boolean: UnitEntryId,
    list_head: UnitEntryId,
}

fn bases(b: &mut B<'_>) -> Bases {
    Bases {
        int: b.base("int", 4, DW_ATE_signed),
        uint: b.base("unsigned int", 4, DW_ATE_unsigned),
        ulong: b.base("long unsigned int", 8, DW_ATE_unsigned),
        long_long: b.base("long long int", 8, DW_ATE_signed),
        ulong_long: b.base("long long unsigned int", 8, DW_ATE_unsigned),
        ch: b.base("char", 1, DW_ATE_signed_char),
        boolean: b.base("_Bool", 1, DW_ATE_boolean),
        list_head: b.list_head(),
    }
}

fn dwarf(spec: &Spec) -> Vec<(&'static str, Vec<u8>)> {
    let enc = Encoding {
        format: Format::Dwarf32,
        version: 5,
        address_size: 8,
    };
    let mut dwarf = Dwarf::new();
    let unit = |dwarf: &mut Dwarf, path: &str, f: &mut dyn FnMut(&mut B<'_>, &Bases)| {
        let id = dwarf.units.add(Unit::new(enc, LineProgram::none()));
        let mut b = B { dwarf, unit: id };
        b.name_unit(path);
        let t = bases(&mut b);
        f(&mut b, &t);
    };
    unit(&mut dwarf, "kernel/module/main.c", &mut |b, t| {
        module_types(b, t, spec)
    });
    unit(&mut dwarf, "kernel/module/kallsyms.c", &mut |b, t| {
        let esym = b.struct_with(
            Some("elf64_sym"),
            24,
            &[
                ("st_name", t.uint, 0),
                ("st_value", t.ulong_long, 8),
                ("st_size", t.ulong_long, 16),
            ],
        );
        let esym_t = b.typedef("Elf64_Sym", esym);
        let sym_p = b.pointer(Some(esym_t));
        let str_p = b.pointer(Some(t.ch));
        b.struct_with(
            Some("mod_kallsyms"),
            KALLSYMS_SIZE,
            &[
                ("symtab", sym_p, 0),
                ("num_symtab", t.uint, 8),
                ("strtab", str_p, 16),
                ("typetab", str_p, 24),
            ],
        );
    });
    unit(&mut dwarf, "kernel/panic.c", &mut |b, t| {
        let cch = b.const_of(t.ch);
        let cstr = b.pointer(Some(cch));
        let tf = match spec.taint_shape {
            TaintShape::V6_1 => b.struct_with(
                Some("taint_flag"),
                3,
                &[
                    ("c_true", t.ch, 0),
                    ("c_false", t.ch, 1),
                    ("module", t.boolean, 2),
                ],
            ),
            TaintShape::V6_12 => b.struct_with(
                Some("taint_flag"),
                16,
                &[
                    ("c_true", t.ch, 0),
                    ("c_false", t.ch, 1),
                    ("module", t.boolean, 2),
                    ("desc", cstr, 8),
                ],
            ),
            TaintShape::NoModule => b.struct_with(
                Some("taint_flag"),
                16,
                &[("c_true", t.ch, 0), ("c_false", t.ch, 1), ("desc", cstr, 8)],
            ),
        };
        let ctf = b.const_of(tf);
        let arr = b.array(ctf, spec.nr_taint_flags() as u64);
        b.var("taint_flags", arr, TAINT_FLAGS, true);
        b.var("tainted_mask", t.ulong, TAINTED_MASK, false);
    });
    if spec.tracking {
        unit(&mut dwarf, "kernel/module/tracking.c", &mut |b, t| {
            let name = b.array(t.ch, 56);
            let u64_t = b.typedef("u64", t.ulong_long);
            b.struct_with(
                Some("mod_unload_taint"),
                ENTRY_SIZE,
                &[
                    ("list", t.list_head, 0),
                    ("name", name, 16),
                    ("taints", t.ulong, 72),
                    ("count", u64_t, 80),
                ],
            );
            b.var(
                "unloaded_tainted_modules",
                t.list_head,
                UNLOADED_TAINTED_MODULES,
                true,
            );
        });
    }
    if spec.stats {
        unit(&mut dwarf, "kernel/module/stats.c", &mut |b, t| {
            let a = b.struct_with(None, 4, &[("counter", t.int, 0)]);
            let atomic_t = b.typedef("atomic_t", a);
            let s64 = b.typedef("s64", t.long_long);
            let a64 = b.struct_with(None, 8, &[("counter", s64, 0)]);
            let atomic64_t = b.typedef("atomic64_t", a64);
            let atomic_long_t = b.typedef("atomic_long_t", atomic64_t);
            let name = b.array(t.ch, 56);
            b.struct_with(
                Some("mod_fail_load"),
                ENTRY_SIZE,
                &[
                    ("list", t.list_head, 0),
                    ("name", name, 16),
                    ("count", atomic_long_t, 72),
                    ("dup_fail_mask", t.ulong, 80),
                ],
            );
            for (i, &(c, size)) in COUNTERS.iter().enumerate() {
                let ty = if size == 8 { atomic_long_t } else { atomic_t };
                b.var(c, ty, COUNTERS_AT + 8 * i as u64, true);
            }
            b.var("dup_failed_modules", t.list_head, DUP_FAILED_MODULES, false);
        });
    }
    dwarf_sections(&mut dwarf)
}

/// kernel/module/main.c's types: struct module (either shape), module_use, kernel_symbol, the
/// enums, `modules` and `last_unloaded_module`.
fn module_types(b: &mut B<'_>, t: &Bases, spec: &Spec) {
    let l = spec.layout();
    let state = b.enumeration(
        "module_state",
        4,
        t.uint,
        &[
            ("MODULE_STATE_LIVE", LIVE),
            ("MODULE_STATE_COMING", COMING),
            ("MODULE_STATE_GOING", GOING),
            ("MODULE_STATE_UNFORMED", UNFORMED),
        ],
    );
    let a = b.struct_with(None, 4, &[("counter", t.int, 0)]);
    let atomic_t = b.typedef("atomic_t", a);
    let ksym = b.struct_with(
        Some("kernel_symbol"),
        KSYM_SIZE,
        &[
            ("value_offset", t.int, 0),
            ("name_offset", t.int, 4),
            ("namespace_offset", t.int, 8),
        ],
    );
    let cksym = b.const_of(ksym);
    let ksym_p = b.pointer(Some(cksym));
    let mk = b.declared_struct("mod_kallsyms");
    let mk_p = b.pointer(Some(mk));
    let cch = b.const_of(t.ch);
    let cstr = b.pointer(Some(cch));
    let void_p = b.pointer(None);
    let name = b.array(t.ch, 56);
    let init_f = b.function(Some(t.int));
    let init_p = b.pointer(Some(init_f));
    let exit_f = b.function(None);
    let exit_p = b.pointer(Some(exit_f));
    let module = b.structure(Some("module"), l.size);
    let module_p = b.pointer(Some(module));
    let mut members = vec![
        ("state", state, l.state),
        ("list", t.list_head, l.list),
        ("name", name, l.name),
        ("version", cstr, l.version),
        ("srcversion", cstr, l.srcversion),
        ("syms", ksym_p, l.syms),
        ("num_syms", t.uint, l.num_syms),
        ("kallsyms", mk_p, l.kallsyms),
        ("taints", t.ulong, l.taints),
        ("source_list", t.list_head, l.source_list),
        ("target_list", t.list_head, l.target_list),
        ("init", init_p, l.init),
        ("exit", exit_p, l.exit),
        ("refcnt", atomic_t, l.refcnt),
    ];
    if let (Some(g), Some(n)) = (l.gpl_syms, l.num_gpl_syms) {
        members.push(("gpl_syms", ksym_p, g));
        members.push(("num_gpl_syms", t.uint, n));
    }
    if let Some(init) = l.init_layout {
        let ml = b.struct_with(
            Some("module_layout"),
            MOD_LAYOUT_SIZE,
            &[
                ("base", void_p, 0),
                ("size", t.uint, 8),
                ("text_size", t.uint, 12),
                ("ro_size", t.uint, 16),
                ("ro_after_init_size", t.uint, 20),
            ],
        );
        members.push(("core_layout", ml, l.regions));
        members.push(("init_layout", ml, init));
    } else {
        b.enumeration(
            "mod_mem_type",
            4,
            t.uint,
            &[
                ("MOD_TEXT", 0),
                ("MOD_DATA", 1),
                ("MOD_RODATA", 2),
                ("MOD_RO_AFTER_INIT", 3),
                ("MOD_INIT_TEXT", 4),
                ("MOD_INIT_DATA", 5),
                ("MOD_INIT_RODATA", 6),
                ("MOD_MEM_NUM_TYPES", 7),
                ("MOD_INVALID", -1),
            ],
        );
        let mm = b.struct_with(
            Some("module_memory"),
            MOD_MEM_SIZE,
            &[
                ("base", void_p, 0),
                ("size", t.uint, 8),
                ("is_rox", t.boolean, 12),
            ],
        );
        let arr = b.array(mm, MOD_MEM_TYPES);
        members.push(("mem", arr, l.regions));
    }
    for (n, ty, off) in members {
        b.member(module, Some(n), ty, off);
    }
    b.struct_with(
        Some("module_use"),
        USE_SIZE,
        &[
            ("source_list", t.list_head, 0),
            ("target_list", t.list_head, 16),
            ("source", module_p, 32),
            ("target", module_p, 40),
        ],
    );
    b.var("modules", t.list_head, MODULES, true);
    match spec.last_shape {
        LastShape::Struct => {
            let n = b.array(t.ch, LAST_NAME);
            let tt = b.array(t.ch, LAST_TAINTS);
            let s = b.struct_with(
                None,
                LAST_NAME + LAST_TAINTS,
                &[("name", n, 0), ("taints", tt, LAST_NAME)],
            );
            b.var("last_unloaded_module", s, LAST_UNLOADED_MODULE, false);
        }
        LastShape::Array => {
            let n = b.array(t.ch, LAST_NAME);
            b.var("last_unloaded_module", n, LAST_UNLOADED_MODULE, false);
        }
        LastShape::Absent => {}
    }
}
