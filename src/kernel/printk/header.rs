//! The ringbuffer's own fields: `*prb`, its descriptor ring and its text data ring.

use super::error::PrintkError;
use super::layout::PrbLayout;
use super::state::ID_MASK;
use crate::addr::Va;
use crate::kernel::KernelMem;

/// `LOG_BUF_LEN_MAX` (kernel/printk/printk.c): no kernel has a larger text data ring.
pub const MAX_SIZE_BITS: u32 = 31;
/// `PRB_AVGBITS`: the kernel sizes the descriptor ring as data size >> 5.
pub const AVG_BITS: u32 = 5;

/// What `struct printk_ringbuffer` says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingHeader {
    /// Address of the `printk_ringbuffer` (the value of `prb`).
    pub rb: Va,
    /// `prb` points at `printk_rb_static` (false: `log_buf_len=` moved the log to a larger,
    /// allocated ring; None: unknown).
    pub is_static: Option<bool>,
    pub count_bits: u32,
    pub descs: Va,
    pub infos: Va,
    pub head_id: u64,
    pub tail_id: u64,
    pub size_bits: u32,
    pub data: Va,
    pub head_lpos: u64,
    pub tail_lpos: u64,
    /// `fail`: reservations that failed (records the kernel dropped as it wrote them).
    pub fail: Option<u64>,
}

impl RingHeader {
    pub fn desc_count(&self) -> u64 {
        1u64 << self.count_bits
    }
    pub fn data_size(&self) -> u64 {
        1u64 << self.size_bits
    }
}

/// Read `prb` and the ring it points to, checking every size against what a kernel can have.
pub fn read_header(mem: &KernelMem<'_>, l: &PrbLayout) -> Result<RingHeader, PrintkError> {
    let rb = Va(mem.u64(l.prb_sym, "prb").map_err(PrintkError::Header)?);
    let raw = mem
        .read_vec(rb, l.rb_size as usize, "struct printk_ringbuffer")
        .map_err(PrintkError::Header)?;
    // The layout checked that every field lies inside SIZE(printk_ringbuffer); a miss reads 0.
    let u32_at = |off: u64| -> u32 {
        raw.get(off as usize..off as usize + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .unwrap_or(0)
    };
    let u64_at = |off: u64| -> u64 {
        raw.get(off as usize..off as usize + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
            .unwrap_or(0)
    };
    let (dr, tr, a) = (l.rb_desc_ring, l.rb_text_data_ring, l.atomic_counter);
    let h = RingHeader {
        rb,
        is_static: l.static_rb.map(|s| s == rb),
        count_bits: u32_at(dr + l.dr_count_bits),
        descs: Va(u64_at(dr + l.dr_descs)),
        infos: Va(u64_at(dr + l.dr_infos)),
        head_id: u64_at(dr + l.dr_head_id + a) & ID_MASK,
        tail_id: u64_at(dr + l.dr_tail_id + a) & ID_MASK,
        size_bits: u32_at(tr + l.data_size_bits),
        data: Va(u64_at(tr + l.data_data)),
        head_lpos: u64_at(tr + l.data_head_lpos + a),
        tail_lpos: u64_at(tr + l.data_tail_lpos + a),
        fail: l.rb_fail.map(|f| u64_at(f + a)),
    };
    let corrupt = |field, value: u64, why| PrintkError::CorruptHeader {
        va: rb,
        field,
        value,
        why,
    };
    if !(AVG_BITS + 1..=MAX_SIZE_BITS).contains(&h.size_bits) {
        return Err(corrupt(
            "text_data_ring.size_bits",
            h.size_bits.into(),
            "a kernel's text ring is 64 bytes to 2 GiB (LOG_BUF_LEN_MAX)",
        ));
    }
    if h.count_bits == 0 || h.count_bits > h.size_bits - AVG_BITS {
        return Err(corrupt(
            "desc_ring.count_bits",
            h.count_bits.into(),
            "more descriptors than the kernel gives a text ring of this size (size >> 5)",
        ));
    }
    for (field, va) in [
        ("desc_ring.descs", h.descs),
        ("desc_ring.infos", h.infos),
        ("text_data_ring.data", h.data),
    ] {
        if va.0 < 0xff00_0000_0000_0000 {
            return Err(corrupt(field, va.0, "not a kernel address"));
        }
    }
    Ok(h)
}
