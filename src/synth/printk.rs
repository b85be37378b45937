//! A synthetic printk ringbuffer (5.10+ lockless `printk_ringbuffer`) in a flat physical memory
//! image, for tests, fuzz seeds and benchmarks.
//!
//! Written from the kernel's algorithm (kernel/printk/printk_ringbuffer.c: `desc_reserve`,
//! `desc_push_tail`, `data_alloc`, `data_push_tail`, `get_next_lpos`, `prb_reserve`) and shares
//! nothing with the decoder in `crate::kernel::printk`: every field is placed at an explicit byte
//! offset from [`RingLayout`], and the VMCOREINFO text is written from the same numbers, so a
//! decoder that hard-codes an offset fails on [`RingLayout::shuffled`].
//!
//! Addresses: the image is physical memory from 0; everything lives in the kernel-image mapping
//! (virtual `0xffffffff80000000 + pa`, `NUMBER(phys_base)=0`), so no page tables are needed.

use super::bytes::Buf;
use super::{Page, Spec};
use std::collections::VecDeque;

/// `__START_KERNEL_map`: virtual address of physical 0 in the kernel-image mapping (phys_base 0).
pub const IMAGE_VA: u64 = 0xffff_ffff_8000_0000;
const ID_MASK: u64 = (1u64 << 62) - 1;
const FLAGS_SHIFT: u32 = 62;
const FAILED_LPOS: u64 = 0x1;
const EMPTY_LINE_LPOS: u64 = 0x3;

/// Descriptor states, as `enum desc_state` numbers them (the top two bits of `state_var`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynthState {
    Reserved = 0,
    Committed = 1,
    Finalized = 2,
    Reusable = 3,
}

/// Byte offsets of every field the writer places, and the matching VMCOREINFO keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingLayout {
    pub rb_size: u64,
    pub rb_desc_ring: u64,
    pub rb_text_data_ring: u64,
    pub rb_fail: u64,
    /// SIZE(prb_desc_ring).
    pub dr_size: u64,
    pub dr_count_bits: u64,
    pub dr_descs: u64,
    pub dr_infos: u64,
    pub dr_head_id: u64,
    pub dr_tail_id: u64,
    pub desc_size: u64,
    pub desc_state_var: u64,
    pub desc_lpos: u64,
    pub lpos_begin: u64,
    pub lpos_next: u64,
    pub info_size: u64,
    pub info_seq: u64,
    pub info_ts: u64,
    /// `u16 text_len`; `u8 facility` follows at +2 and the `flags:5, level:3` byte at +3.
    pub info_text_len: u64,
    pub info_caller_id: u64,
    pub info_dev_info: u64,
    pub dev_subsystem: u64,
    pub dev_subsystem_len: u64,
    pub dev_device: u64,
    pub dev_device_len: u64,
    pub dr_size_bits: u64,
    pub dr_data: u64,
    pub dr_head_lpos: u64,
    pub dr_tail_lpos: u64,
}

impl RingLayout {
    /// Linux 6.12 (Debian's 6.12.117 VMCOREINFO; 6.1 is the same but for a field the reader
    /// does not use).
    pub fn v6_12() -> RingLayout {
        RingLayout {
            rb_size: 88,
            rb_desc_ring: 0,
            rb_text_data_ring: 48,
            rb_fail: 80,
            dr_size: 48,
            dr_count_bits: 0,
            dr_descs: 8,
            dr_infos: 16,
            dr_head_id: 24,
            dr_tail_id: 32,
            desc_size: 24,
            desc_state_var: 0,
            desc_lpos: 8,
            lpos_begin: 0,
            lpos_next: 8,
            info_size: 88,
            info_seq: 0,
            info_ts: 8,
            info_text_len: 16,
            info_caller_id: 20,
            info_dev_info: 24,
            dev_subsystem: 0,
            dev_subsystem_len: 16,
            dev_device: 16,
            dev_device_len: 48,
            dr_size_bits: 0,
            dr_data: 8,
            dr_head_lpos: 16,
            dr_tail_lpos: 24,
        }
    }

    /// Every struct laid out differently from any real kernel (fields reordered, padding added),
    /// so only a reader that takes every offset from VMCOREINFO reads it.
    pub fn shuffled() -> RingLayout {
        RingLayout {
            rb_size: 120,
            rb_desc_ring: 56,
            rb_text_data_ring: 8,
            rb_fail: 0,
            dr_size: 48,
            dr_count_bits: 40,
            dr_descs: 16,
            dr_infos: 0,
            dr_head_id: 32,
            dr_tail_id: 8,
            desc_size: 40,
            desc_state_var: 24,
            desc_lpos: 0,
            lpos_begin: 8,
            lpos_next: 0,
            info_size: 120,
            info_seq: 16,
            info_ts: 0,
            info_text_len: 96,
            info_caller_id: 100,
            info_dev_info: 24,
            dev_subsystem: 48,
            dev_subsystem_len: 12,
            dev_device: 0,
            dev_device_len: 40,
            dr_size_bits: 24,
            dr_data: 16,
            dr_head_lpos: 0,
            dr_tail_lpos: 8,
        }
    }

    /// The VMCOREINFO lines `log_buf_vmcoreinfo_setup()` writes for this layout.
    fn vmcoreinfo(&self) -> String {
        let l = self;
        let mut s = String::new();
        let mut add = |k: &str, v: u64| s.push_str(&format!("{k}={v}\n"));
        add("SIZE(printk_ringbuffer)", l.rb_size);
        add("OFFSET(printk_ringbuffer.desc_ring)", l.rb_desc_ring);
        add(
            "OFFSET(printk_ringbuffer.text_data_ring)",
            l.rb_text_data_ring,
        );
        add("OFFSET(printk_ringbuffer.fail)", l.rb_fail);
        add("SIZE(prb_desc_ring)", l.dr_size);
        add("OFFSET(prb_desc_ring.count_bits)", l.dr_count_bits);
        add("OFFSET(prb_desc_ring.descs)", l.dr_descs);
        add("OFFSET(prb_desc_ring.infos)", l.dr_infos);
        add("OFFSET(prb_desc_ring.head_id)", l.dr_head_id);
        add("OFFSET(prb_desc_ring.tail_id)", l.dr_tail_id);
        add("SIZE(prb_desc)", l.desc_size);
        add("OFFSET(prb_desc.state_var)", l.desc_state_var);
        add("OFFSET(prb_desc.text_blk_lpos)", l.desc_lpos);
        add("SIZE(prb_data_blk_lpos)", 16);
        add("OFFSET(prb_data_blk_lpos.begin)", l.lpos_begin);
        add("OFFSET(prb_data_blk_lpos.next)", l.lpos_next);
        add("SIZE(printk_info)", l.info_size);
        add("OFFSET(printk_info.seq)", l.info_seq);
        add("OFFSET(printk_info.ts_nsec)", l.info_ts);
        add("OFFSET(printk_info.text_len)", l.info_text_len);
        add("OFFSET(printk_info.caller_id)", l.info_caller_id);
        add("OFFSET(printk_info.dev_info)", l.info_dev_info);
        add("SIZE(dev_printk_info)", 64);
        add("OFFSET(dev_printk_info.subsystem)", l.dev_subsystem);
        add("LENGTH(printk_info_subsystem)", l.dev_subsystem_len);
        add("OFFSET(dev_printk_info.device)", l.dev_device);
        add("LENGTH(printk_info_device)", l.dev_device_len);
        add("SIZE(prb_data_ring)", 32);
        add("OFFSET(prb_data_ring.size_bits)", l.dr_size_bits);
        add("OFFSET(prb_data_ring.data)", l.dr_data);
        add("OFFSET(prb_data_ring.head_lpos)", l.dr_head_lpos);
        add("OFFSET(prb_data_ring.tail_lpos)", l.dr_tail_lpos);
        add("SIZE(atomic_long_t)", 8);
        add("OFFSET(atomic_long_t.counter)", 0);
        s
    }
}

/// One record to write.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SynthRecord {
    pub text: Vec<u8>,
    pub ts_nsec: u64,
    pub level: u8,
    pub facility: u8,
    /// The 5-bit flags (LOG_NEWLINE 2, LOG_CONT 8).
    pub flags: u8,
    pub caller_id: u32,
    pub subsystem: Vec<u8>,
    pub device: Vec<u8>,
}

impl SynthRecord {
    /// A kernel-facility record (facility 0) with a newline, at `level`.
    pub fn line(text: &str, ts_nsec: u64, level: u8) -> SynthRecord {
        SynthRecord {
            text: text.as_bytes().to_vec(),
            ts_nsec,
            level,
            flags: 2,
            caller_id: 1,
            ..Default::default()
        }
    }
}

/// Where a written record ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    pub id: u64,
    pub seq: u64,
    pub begin: u64,
    pub next: u64,
    /// The data block wrapped: its text is at the start of the data ring.
    pub wrapped: bool,
}

/// A ring being written, and the memory it lives in.
pub struct SynthRing {
    pub layout: RingLayout,
    pub count_bits: u32,
    pub size_bits: u32,
    mem: Buf,
    /// Physical addresses of the `prb` pointer variable, the ringbuffer and its arrays.
    pub prb_var_pa: u64,
    pub rb_pa: u64,
    pub descs_pa: u64,
    pub infos_pa: u64,
    pub data_pa: u64,
    head_id: u64,
    tail_id: u64,
    head_lpos: u64,
    tail_lpos: u64,
    /// Live data blocks, oldest first: (id, begin, next).
    blocks: VecDeque<(u64, u64, u64)>,
    /// The newest descriptor, still committed (not yet finalized by the next reservation).
    pending_final: Option<u64>,
    pub fail: u64,
    /// Virtual address of the image's byte 0 (its pointers are written as `image_va + pa`).
    pub image_va: u64,
}

fn page_up(x: u64) -> u64 {
    x.div_ceil(4096) * 4096
}

impl SynthRing {
    /// An empty ring as `prb_init()` leaves it: `2^count_bits` descriptors, `2^size_bits` bytes
    /// of text data.
    pub fn new(layout: RingLayout, count_bits: u32, size_bits: u32) -> SynthRing {
        SynthRing::at_va(layout, count_bits, size_bits, IMAGE_VA)
    }

    /// Like [`SynthRing::new`], for an image that will be placed at virtual address `image_va`
    /// (copied into a bigger synthetic kernel's memory): every pointer it holds is
    /// `image_va + pa`.
    pub fn at_va(layout: RingLayout, count_bits: u32, size_bits: u32, image_va: u64) -> SynthRing {
        let count = 1u64 << count_bits;
        let prb_var_pa = 0x1000;
        let rb_pa = 0x1040;
        let descs_pa = 0x2000;
        let infos_pa = page_up(descs_pa + count * layout.desc_size);
        let data_pa = page_up(infos_pa + count * layout.info_size);
        let end = page_up(data_pa + (1u64 << size_bits));
        let mut r = SynthRing {
            layout,
            count_bits,
            size_bits,
            mem: Buf::default(),
            prb_var_pa,
            rb_pa,
            descs_pa,
            infos_pa,
            data_pa,
            // DESC0_ID: DESC_ID(-(count + 1)); BLK0_LPOS: -(size).
            head_id: (0u64.wrapping_sub(count + 1)) & ID_MASK,
            tail_id: (0u64.wrapping_sub(count + 1)) & ID_MASK,
            head_lpos: 0u64.wrapping_sub(1u64 << size_bits),
            tail_lpos: 0u64.wrapping_sub(1u64 << size_bits),
            blocks: VecDeque::new(),
            pending_final: None,
            fail: 0,
            image_va,
        };
        r.mem.pad_to(end as usize);
        // The bootstrap descriptor (the last one) is reusable with DESC0_ID and FAILED_LPOS;
        // infos[0].seq = -count so the first reservation makes it 0.
        let last = count - 1;
        let d0 = r.head_id;
        r.write_desc(last, d0, SynthState::Reusable, FAILED_LPOS, FAILED_LPOS);
        let seq0 = (infos_pa + r.layout.info_seq) as usize;
        r.mem.u64(seq0, 0u64.wrapping_sub(count));
        r.write_header();
        r
    }

    fn count(&self) -> u64 {
        1u64 << self.count_bits
    }
    fn data_size(&self) -> u64 {
        1u64 << self.size_bits
    }

    fn write_header(&mut self) {
        let l = self.layout.clone();
        self.mem
            .u64(self.prb_var_pa as usize, self.image_va + self.rb_pa);
        let dr = (self.rb_pa + l.rb_desc_ring) as usize;
        self.mem.u32(dr + l.dr_count_bits as usize, self.count_bits);
        self.mem
            .u64(dr + l.dr_descs as usize, self.image_va + self.descs_pa);
        self.mem
            .u64(dr + l.dr_infos as usize, self.image_va + self.infos_pa);
        self.mem.u64(dr + l.dr_head_id as usize, self.head_id);
        self.mem.u64(dr + l.dr_tail_id as usize, self.tail_id);
        let tr = (self.rb_pa + l.rb_text_data_ring) as usize;
        self.mem.u32(tr + l.dr_size_bits as usize, self.size_bits);
        self.mem
            .u64(tr + l.dr_data as usize, self.image_va + self.data_pa);
        self.mem.u64(tr + l.dr_head_lpos as usize, self.head_lpos);
        self.mem.u64(tr + l.dr_tail_lpos as usize, self.tail_lpos);
        self.mem.u64((self.rb_pa + l.rb_fail) as usize, self.fail);
    }

    /// Physical address of descriptor `index`.
    pub fn desc_pa(&self, index: u64) -> u64 {
        self.descs_pa + index * self.layout.desc_size
    }
    /// Physical address of `printk_info` `index`.
    pub fn info_pa(&self, index: u64) -> u64 {
        self.infos_pa + index * self.layout.info_size
    }
    /// Physical address of data ring byte `index`.
    pub fn data_byte_pa(&self, index: u64) -> u64 {
        self.data_pa + index
    }

    fn write_desc(&mut self, index: u64, id: u64, state: SynthState, begin: u64, next: u64) {
        let l = &self.layout;
        let d = self.desc_pa(index) as usize;
        let (sv, lb, ln) = (
            d + l.desc_state_var as usize,
            d + (l.desc_lpos + l.lpos_begin) as usize,
            d + (l.desc_lpos + l.lpos_next) as usize,
        );
        self.mem
            .u64(sv, ((state as u64) << FLAGS_SHIFT) | (id & ID_MASK));
        self.mem.u64(lb, begin);
        self.mem.u64(ln, next);
    }

    /// Change a descriptor's state (keeping its id).
    pub fn set_state(&mut self, id: u64, state: SynthState) {
        let index = id & (self.count() - 1);
        let sv = (self.desc_pa(index) + self.layout.desc_state_var) as usize;
        self.mem
            .u64(sv, ((state as u64) << FLAGS_SHIFT) | (id & ID_MASK));
        if self.pending_final == Some(id) {
            self.pending_final = None;
        }
    }

    fn state_of(&self, id: u64) -> (u64, u64) {
        let index = id & (self.count() - 1);
        let sv = (self.desc_pa(index) + self.layout.desc_state_var) as usize;
        let v = u64::from_le_bytes(self.mem.0[sv..sv + 8].try_into().unwrap_or_default());
        (v >> FLAGS_SHIFT, v & ID_MASK)
    }

    /// `data_push_tail`: free the oldest data block, making its descriptor reusable.
    fn push_data_tail(&mut self) {
        if let Some((id, _begin, next)) = self.blocks.pop_front() {
            let (state, cur) = self.state_of(id);
            if cur == id && state != SynthState::Reusable as u64 {
                self.set_state(id, SynthState::Reusable);
            }
            self.tail_lpos = next;
        }
    }

    /// `desc_push_tail`: retire the oldest descriptor (freeing its data first).
    fn push_desc_tail(&mut self) {
        let id = self.tail_id;
        while self.blocks.front().is_some_and(|&(bid, _, _)| {
            (id.wrapping_sub(bid) & ID_MASK) < (1u64 << 61) // bid <= id
        }) {
            self.push_data_tail();
        }
        let (_, cur) = self.state_of(id);
        if cur == id {
            self.set_state(id, SynthState::Reusable);
        }
        self.tail_id = (id + 1) & ID_MASK;
    }

    /// Write a record and leave it in `state` (the previous committed one is finalized, as
    /// `prb_reserve` does). Returns where it went, or None if the text can never fit (the
    /// kernel then stores a FAILED_LPOS descriptor and counts the failure; so does this).
    pub fn push_with_state(&mut self, rec: &SynthRecord, state: SynthState) -> Written {
        let count = self.count();
        let size = self.data_size();
        let id = (self.head_id + 1) & ID_MASK;
        if let Some(prev) = self.pending_final.take() {
            let (s, cur) = self.state_of(prev);
            if cur == prev && s == SynthState::Committed as u64 {
                self.set_state(prev, SynthState::Finalized);
            }
        }
        // desc_reserve: the id one wrap back must be the tail, which is pushed.
        if (id.wrapping_sub(count) & ID_MASK) == self.tail_id {
            self.push_desc_tail();
        }
        self.head_id = id;
        let index = id & (count - 1);

        // data_alloc
        let text_len = rec.text.len() as u64;
        let blk = (text_len + 8).div_ceil(8) * 8;
        let (begin, next, wrapped) = if text_len == 0 {
            (EMPTY_LINE_LPOS, EMPTY_LINE_LPOS, false)
        } else if blk > size - 8 {
            self.fail += 1;
            (FAILED_LPOS, FAILED_LPOS, false)
        } else {
            let begin = self.head_lpos;
            let mut next = begin.wrapping_add(blk);
            let wrapped = (begin >> self.size_bits) != (next >> self.size_bits);
            if wrapped {
                // get_next_lpos: the block restarts at the next wrap's start.
                next = (next & !(size - 1)).wrapping_add(blk);
            }
            while next.wrapping_sub(self.tail_lpos) > size {
                self.push_data_tail();
            }
            self.head_lpos = next;
            self.blocks.push_back((id, begin, next));
            (begin, next, wrapped)
        };
        if begin & 1 == 0 {
            let at = self.data_pa + (begin & (size - 1));
            self.mem.u64(at as usize, id);
            let text_at = if wrapped {
                self.mem.u64(self.data_pa as usize, id);
                self.data_pa + 8
            } else {
                at + 8
            };
            self.mem.at(text_at as usize, &rec.text);
        }

        // prb_reserve: seq is the index the first time, then grows by the ring's size.
        let l = self.layout.clone();
        let info = self.info_pa(index);
        let seq_at = (info + l.info_seq) as usize;
        let old = u64::from_le_bytes(
            self.mem.0[seq_at..seq_at + 8]
                .try_into()
                .unwrap_or_default(),
        );
        let seq = if old == 0 && index != 0 {
            index
        } else {
            old.wrapping_add(count)
        };
        self.mem.at(info as usize, &vec![0u8; l.info_size as usize]);
        self.mem.u64(seq_at, seq);
        self.mem.u64((info + l.info_ts) as usize, rec.ts_nsec);
        self.mem
            .u16((info + l.info_text_len) as usize, rec.text.len() as u16);
        self.mem
            .at((info + l.info_text_len + 2) as usize, &[rec.facility]);
        self.mem.at(
            (info + l.info_text_len + 3) as usize,
            &[(rec.flags & 0x1f) | (rec.level << 5)],
        );
        self.mem
            .u32((info + l.info_caller_id) as usize, rec.caller_id);
        let dev = info + l.info_dev_info;
        let sub = &rec.subsystem[..rec.subsystem.len().min(l.dev_subsystem_len as usize - 1)];
        let devn = &rec.device[..rec.device.len().min(l.dev_device_len as usize - 1)];
        self.mem.at((dev + l.dev_subsystem) as usize, sub);
        self.mem.at((dev + l.dev_device) as usize, devn);

        self.write_desc(index, id, state, begin, next);
        if state == SynthState::Committed {
            self.pending_final = Some(id);
        }
        self.write_header();
        Written {
            id,
            seq,
            begin,
            next,
            wrapped,
        }
    }

    /// Write a record, finalized.
    pub fn push(&mut self, rec: &SynthRecord) -> Written {
        self.push_with_state(rec, SynthState::Finalized)
    }

    /// The VMCOREINFO a kernel with this ring would export (with x86_64 translation keys).
    pub fn vmcoreinfo(&self) -> String {
        format!(
            "OSRELEASE=6.12.0-synth\nPAGESIZE=4096\nSYMBOL(init_top_pgt)={:x}\nNUMBER(phys_base)=0\n\
NUMBER(pgtable_l5_enabled)=0\nKERNELOFFSET=0\n{}",
            IMAGE_VA,
            self.ring_vmcoreinfo()
        )
    }

    /// The ring's own VMCOREINFO lines: `SYMBOL(prb)` and the layout's keys.
    pub fn ring_vmcoreinfo(&self) -> String {
        format!(
            "SYMBOL(prb)={:x}\n{}",
            self.image_va + self.prb_var_pa,
            self.layout.vmcoreinfo()
        )
    }

    /// The physical memory image (from address 0).
    pub fn memory(&self) -> &[u8] {
        &self.mem.0
    }

    /// Mutable access to the image, for damage tests.
    pub fn memory_mut(&mut self) -> &mut Vec<u8> {
        &mut self.mem.0
    }

    /// A dump spec holding the image as RAM, with this ring's VMCOREINFO.
    pub fn spec(&self) -> Spec {
        let pages = self.mem.0.len().div_ceil(4096) as u64;
        let mut s = Spec::new(4096, pages);
        s.ram = vec![(0, pages)];
        for pfn in 0..pages {
            let a = (pfn * 4096) as usize;
            let mut p = self.mem.0[a..(a + 4096).min(self.mem.0.len())].to_vec();
            p.resize(4096, 0);
            s.pages.insert(pfn, Page::Data(p));
        }
        s.vmcoreinfo = Some(self.vmcoreinfo());
        s.release = "6.12.0-synth".into();
        s
    }
}

/// A ring of `size_bits` bytes of text filled with varied kernel-like lines until it has wrapped
/// `wraps` times (a full ring: the benchmark's "full 1 MiB ringbuffer" is `filled(20, 2)`).
pub fn filled(size_bits: u32, wraps: u32) -> (SynthRing, Vec<(Written, SynthRecord)>) {
    let mut r = SynthRing::new(RingLayout::v6_12(), size_bits - 5, size_bits);
    let mut out = Vec::new();
    let target = (1u64 << size_bits) * (wraps as u64 + 1);
    let mut written = 0u64;
    let mut i = 0u64;
    while written < target {
        let text = match i % 5 {
            0 => format!("pci 0000:00:{:02x}.0: [8086:1237] type 00 class 0x060000 conventional PCI endpoint", i % 32),
            1 => format!("usb {}-1: new high-speed USB device number {} using xhci_hcd", i % 4, i % 100),
            2 => "Call Trace:\n <TASK>\n dump_stack_lvl+0x5d/0x80\n </TASK>".to_string(),
            3 => format!("modcrash_test: line {i}"),
            _ => format!("EXT4-fs (vda1): mounted filesystem {i:08x}-0000 r/w with ordered data mode. Quota mode: none."),
        };
        let rec = SynthRecord {
            text: text.into_bytes(),
            ts_nsec: 1_000_000 + i * 12_345,
            level: (i % 8) as u8,
            facility: if i.is_multiple_of(11) { 1 } else { 0 },
            flags: 2,
            caller_id: if i.is_multiple_of(3) {
                0x8000_0000 | (i % 2) as u32
            } else {
                (i % 500) as u32
            },
            subsystem: if i.is_multiple_of(5) {
                b"pci".to_vec()
            } else {
                Vec::new()
            },
            device: if i.is_multiple_of(5) {
                b"+pci:0000:00:01.0".to_vec()
            } else {
                Vec::new()
            },
        };
        written += (rec.text.len() as u64 + 8).div_ceil(8) * 8;
        let w = r.push(&rec);
        out.push((w, rec));
        i += 1;
    }
    (r, out)
}

/// Physical memory over a flat image (from address 0), with some pages excluded: what the
/// decoder's tests and the fuzz target read a synthetic ring through.
pub struct ImageMem {
    pub bytes: Vec<u8>,
    /// Page numbers that read as excluded by the dump's filter.
    pub excluded: Vec<u64>,
}

impl crate::memory::PhysMem for ImageMem {
    fn read_phys(
        &self,
        pa: crate::addr::Pa,
        buf: &mut [u8],
    ) -> Result<(), crate::memory::MemFault> {
        use crate::memory::{FaultKind, MemFault};
        let fault = |kind, at: u64| MemFault {
            kind,
            pa: crate::addr::Pa(at),
            file_offset: None,
        };
        let end =
            pa.0.checked_add(buf.len() as u64)
                .ok_or(fault(FaultKind::NotInDump, pa.0))?;
        for &p in &self.excluded {
            let page = p.saturating_mul(4096);
            if pa.0 < page.saturating_add(4096) && end > page {
                return Err(fault(FaultKind::Excluded, page.max(pa.0)));
            }
        }
        match self.bytes.get(pa.0 as usize..end as usize) {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(fault(FaultKind::NotInDump, pa.0)),
        }
    }
}

/// A small ring for fuzzing: 32 descriptors, 1 KiB of text, wrapped several times, with a
/// committed record at the head.
pub fn fuzz_template() -> SynthRing {
    let mut r = SynthRing::new(RingLayout::v6_12(), 5, 10);
    for i in 0..70u64 {
        let mut rec = SynthRecord::line(
            &format!("fuzz {i} {}", "q".repeat((i % 17) as usize)),
            i,
            (i % 8) as u8,
        );
        if i % 9 == 0 {
            rec.text.clear();
        }
        if i % 4 == 0 {
            rec.subsystem = b"pci".to_vec();
            rec.device = b"+pci:0000:00:01.0".to_vec();
        }
        let state = if i == 69 {
            SynthState::Committed
        } else {
            SynthState::Finalized
        };
        r.push_with_state(&rec, state);
    }
    r
}

/// Decode a ring built from fuzz bytes, and format it every way. Never panics on any input.
///
/// `data[0]` picks how the bytes become memory: 0, the bytes are the image after the ring's
/// header page (the header's pointers kept, so the walk runs over arbitrary descriptors, infos
/// and text); 1, the template ring with `data[3..]` written at the offset in `data[1..3]`;
/// 2, the template with `(u16 offset, u8 value)` patches; 3, the template with `data[1..]`
/// appended to its VMCOREINFO (overriding layout keys). `data[1]`'s low bits also exclude
/// pages in modes 0 and 2.
pub fn fuzz_ring(data: &[u8]) {
    static TEMPLATE: std::sync::OnceLock<(Vec<u8>, String)> = std::sync::OnceLock::new();
    let (image, vi) = TEMPLATE.get_or_init(|| {
        let r = fuzz_template();
        (r.memory().to_vec(), r.vmcoreinfo())
    });
    let mut vi_text = vi.clone();
    let mut bytes = image.clone();
    let mut excluded = Vec::new();
    let mode = data.first().copied().unwrap_or(0) % 4;
    let rest = data.get(1..).unwrap_or(&[]);
    match mode {
        0 => {
            let keep = 0x2000usize;
            bytes.truncate(keep);
            bytes.extend_from_slice(rest);
            if let Some(&m) = rest.first() {
                excluded.extend((0..8u64).filter(|b| m & (1 << b) != 0).map(|b| 2 + b));
            }
        }
        1 => {
            let off = rest
                .get(..2)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
                .unwrap_or(0);
            for (i, &b) in rest.get(2..).unwrap_or(&[]).iter().enumerate() {
                if let Some(x) = bytes.get_mut(off + i) {
                    *x = b;
                }
            }
        }
        2 => {
            if let Some(&m) = rest.first() {
                excluded.extend((0..3u64).filter(|b| m & (1 << b) != 0).map(|b| 2 + b * 2));
            }
            for p in rest.get(1..).unwrap_or(&[]).chunks_exact(3) {
                let off = usize::from(u16::from_le_bytes([p[0], p[1]]));
                if let Some(x) = bytes.get_mut(off) {
                    *x = p[2];
                }
            }
        }
        _ => {
            vi_text.push_str(&String::from_utf8_lossy(rest));
        }
    }
    let mem = ImageMem { bytes, excluded };
    let vi = crate::dump::vmcoreinfo::VmcoreInfo::parse(vi_text.as_bytes());
    if let Ok(log) = crate::analysis::log::read_log(&mem, Some(&vi), None) {
        let _ = crate::output::dmesg::dmesg(&log, false);
        let _ = crate::output::dmesg::dmesg(&log, true);
        let _ = crate::output::dmesg::json_lines(&log);
        assert!(
            log.records.len() <= 32,
            "never more records than descriptors"
        );
    }
}
