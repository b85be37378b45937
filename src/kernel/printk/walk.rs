//! Walk the descriptor ring from its tail to its head and read every record it can.
//!
//! Each descriptor is checked the way the kernel's reader checks it (`desc_read()`,
//! `desc_read_finalized_seq()`, `get_data()`, `copy_data()` in kernel/printk/printk_ringbuffer.c),
//! and two more checks guard against text from another record: the info's `seq` must belong to
//! the descriptor's slot, and the data block must start with the descriptor's own id. Whatever
//! fails becomes a [`RingProblem`] naming the address and the records lost; the walk goes on.
//!
//! Bounds: the walk visits at most `2^count_bits` descriptors (checked against the text ring's
//! size by [`super::header::read_header`]); an unreadable page of descriptors is skipped in one
//! step; text copied out is capped at twice the text ring's size.

use super::header::RingHeader;
use super::layout::PrbLayout;
use super::state::{
    split_state_var, Block, BlockFault, DataRing, DescState, BLOCK_ID_SIZE, ID_MASK,
};
use crate::addr::Va;
use crate::kernel::paged::PagedReader;
use crate::kernel::{KernelMem, ObjError};

/// One record as the ring holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingRecord {
    pub id: u64,
    pub seq: u64,
    pub state: DescState,
    pub ts_nsec: u64,
    /// None when the layout of facility/flags/level is unknown.
    pub facility: Option<u8>,
    pub flags: Option<u8>,
    pub level: Option<u8>,
    /// Thread id, or 0x80000000 + CPU number outside task context.
    pub caller_id: u32,
    pub subsystem: Vec<u8>,
    pub device: Vec<u8>,
    /// `text_len` bytes of text (no trailing newline: the kernel strips it).
    pub text: Vec<u8>,
    /// The data block wrapped (its text was read from the start of the text ring).
    pub wrapped: bool,
}

/// Why one record could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Cause {
    #[error("its descriptor cannot be read: {0}")]
    DescUnreadable(ObjError),
    #[error("its descriptor at {va} holds id {found:#x} ({state}): overwritten or corrupt")]
    IdMismatch {
        va: Va,
        found: u64,
        state: DescState,
    },
    #[error("the writer had reserved it, but had not yet claimed its descriptor at {va}, when the kernel died")]
    NotClaimed { va: Va },
    #[error(
        "its descriptor at {va} is reusable: the kernel had freed it, its text may be overwritten"
    )]
    Reusable { va: Va },
    #[error("its printk_info cannot be read: {0}")]
    InfoUnreadable(ObjError),
    #[error("its printk_info at {va} has seq {seq}, which does not belong to descriptor slot {index}: corrupt")]
    SeqMismatch { va: Va, seq: u64, index: u64 },
    #[error("no text: {0}")]
    NoText(BlockFault),
    #[error("its text block {begin:#x}..{next:#x} is outside the live text {tail:#x}..{head:#x}: overwritten")]
    Overwritten {
        begin: u64,
        next: u64,
        tail: u64,
        head: u64,
    },
    #[error("its text_len {text_len} is larger than its {room}-byte data block: corrupt")]
    TextTooLong { text_len: u64, room: u64 },
    #[error("its text cannot be read: {0}")]
    TextUnreadable(ObjError),
    #[error(
        "the data block at {va} belongs to descriptor id {found:#x}: overwritten by a newer record"
    )]
    BlockIdMismatch { va: Va, found: u64 },
}

/// Damage found in the ring, next to the records that could be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RingProblem {
    #[error("{}", lost_text(*.first_id, *.last_id, *.count, *.seqs, .cause))]
    Lost {
        first_id: u64,
        last_id: u64,
        count: u64,
        /// Sequence numbers of the first and last lost record, from the ids.
        seqs: (u64, u64),
        cause: Cause,
    },
    #[error("the newest record (seq {seq}, descriptor {va}) was still being written (reserved) when the kernel died: {}", if *.text_len > 0 { format!("{} bytes of text so far, possibly incomplete", .text_len) } else { "no text yet".to_string() })]
    Unfinished { seq: u64, va: Va, text_len: u64 },
    #[error("descriptor ids {tail_id:#x}..{head_id:#x} span more than the ring's {count} descriptors: tail_id or head_id is corrupt; read the {count} newest")]
    IdSpan {
        tail_id: u64,
        head_id: u64,
        count: u64,
    },
    #[error("the text ring's head/tail positions {tail:#x}..{head:#x} span more than its {size} bytes: corrupt; text positions are not checked against them")]
    LposSpan { tail: u64, head: u64, size: u64 },
    #[error("{count_bits} descriptor bits for a 2^{size_bits}-byte text ring: the kernel always uses 2^(size_bits-5) descriptors; the header may be corrupt")]
    Geometry { count_bits: u32, size_bits: u32 },
    #[error("record id {id:#x} has seq {seq}, the records before it suggested {expected}: the sequence jumps (corrupt info, or a ring re-initialised)")]
    SeqJump { id: u64, seq: u64, expected: u64 },
    #[error("stopped after copying {bytes} bytes of text (twice the text ring's size) at id {id:#x}: data blocks overlap, the ring is corrupt")]
    TextBudget { bytes: u64, id: u64 },
}

fn lost_text(first_id: u64, last_id: u64, count: u64, seqs: (u64, u64), cause: &Cause) -> String {
    if count == 1 {
        format!(
            "record seq {} (descriptor id {first_id:#x}) lost: {cause}",
            seqs.0
        )
    } else {
        format!(
            "{count} records lost, seq {}..{} (descriptor ids {first_id:#x}..{last_id:#x}); the first: {cause}",
            seqs.0, seqs.1
        )
    }
}

/// What a walk of the ring found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingLog {
    pub header: RingHeader,
    /// Readable records, oldest first (finalized, committed, and a reserved one last).
    pub records: Vec<RingRecord>,
    pub problems: Vec<RingProblem>,
    /// Records freed at the tail before the first readable one (the ring wrapped past them).
    pub freed_at_tail: u64,
}

/// Consecutive losses with the same kind of cause, merged into one problem.
struct Losses {
    runs: Vec<(u64, u64, u64, Cause)>,
}

impl Losses {
    fn add(&mut self, id: u64, n: u64, cause: Cause) {
        if let Some(last) = self.runs.last_mut() {
            if (last.1 + 1) & ID_MASK == id
                && std::mem::discriminant(&last.3) == std::mem::discriminant(&cause)
            {
                last.1 = (id + n - 1) & ID_MASK;
                last.2 += n;
                return;
            }
        }
        self.runs.push((id, (id + n - 1) & ID_MASK, n, cause));
    }
}

/// The `dev_printk_info` string: bytes up to the first NUL.
fn c_str(b: &[u8]) -> Vec<u8> {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    b[..end].to_vec()
}

fn le_u64(b: &[u8], off: u64) -> u64 {
    b.get(off as usize..off as usize + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0)
}
fn le_u32(b: &[u8], off: u64) -> u32 {
    b.get(off as usize..off as usize + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .unwrap_or(0)
}
fn le_u16(b: &[u8], off: u64) -> u16 {
    b.get(off as usize..off as usize + 2)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_le_bytes)
        .unwrap_or(0)
}
fn byte(b: &[u8], off: u64) -> u8 {
    b.get(off as usize).copied().unwrap_or(0)
}
fn slice(b: &[u8], off: u64, len: u64) -> &[u8] {
    b.get(off as usize..(off + len) as usize).unwrap_or(&[])
}

/// Read every record between the ring's tail and head.
pub fn walk(mem: &KernelMem<'_>, l: &PrbLayout, h: RingHeader) -> RingLog {
    let mut problems = Vec::new();
    let count = h.desc_count();
    let mask = count - 1;
    let data = DataRing {
        size_bits: h.size_bits,
    };
    if h.count_bits + super::header::AVG_BITS != h.size_bits {
        problems.push(RingProblem::Geometry {
            count_bits: h.count_bits,
            size_bits: h.size_bits,
        });
    }
    let mut span = h.head_id.wrapping_sub(h.tail_id) & ID_MASK;
    let mut first = h.tail_id;
    if span >= count {
        problems.push(RingProblem::IdSpan {
            tail_id: h.tail_id,
            head_id: h.head_id,
            count,
        });
        span = count - 1;
        first = h.head_id.wrapping_sub(span) & ID_MASK;
    }
    let lpos_ok = h.head_lpos.wrapping_sub(h.tail_lpos) <= data.size();
    if !lpos_ok {
        problems.push(RingProblem::LposSpan {
            tail: h.tail_lpos,
            head: h.head_lpos,
            size: data.size(),
        });
    }
    // DESC0_ID: the bootstrap descriptor prb_init() leaves at the tail (no record).
    let bootstrap = 0u64.wrapping_sub(count + 1) & ID_MASK;

    let mut descs = PagedReader::new(mem, "printk descriptor (struct prb_desc)");
    let mut infos = PagedReader::new(mem, "printk record info (struct printk_info)");
    let mut text_r = PagedReader::new(mem, "printk text data ring");
    let mut losses = Losses { runs: Vec::new() };
    let mut records: Vec<RingRecord> = Vec::new();
    let mut freed_at_tail = 0u64;
    let mut seq_delta: Option<u64> = None;
    let budget = data.size().saturating_mul(2);
    let mut copied = 0u64;
    let mut desc = vec![0u8; l.desc_size as usize];
    let mut info = vec![0u8; l.info_size as usize];

    let mut i = 0u64;
    while i <= span {
        let id = first.wrapping_add(i) & ID_MASK;
        let index = id & mask;
        let dva = h.descs.wrapping_add(index * l.desc_size);
        if let Err(e) = descs.read(dva, &mut desc) {
            // Skip every descriptor that lies wholly in the page that failed, in one step.
            let page = dva.0 & !0xfff;
            let mut n = 1u64;
            while i + n <= span && index + n < count {
                let va = dva.0.wrapping_add(n * l.desc_size);
                if va & !0xfff != page || va.wrapping_add(l.desc_size - 1) & !0xfff != page {
                    break;
                }
                n += 1;
            }
            losses.add(id, n, Cause::DescUnreadable(e));
            i += n;
            continue;
        }
        i += 1;
        let sv = le_u64(&desc, l.desc_state_var + l.atomic_counter);
        let (state, did) = split_state_var(sv);
        let begin = le_u64(&desc, l.desc_lpos + l.lpos_begin);
        let next = le_u64(&desc, l.desc_lpos + l.lpos_next);
        if did != id {
            let previous_occupant = did.wrapping_add(count) & ID_MASK == id || sv == 0;
            let cause = if id == h.head_id && previous_occupant {
                // desc_reserve() moves head_id first, then claims the descriptor (which holds
                // the id one ring back, or nothing on the ring's first pass).
                Cause::NotClaimed { va: dva }
            } else {
                Cause::IdMismatch {
                    va: dva,
                    found: did,
                    state,
                }
            };
            losses.add(id, 1, cause);
            continue;
        }
        if state == DescState::Reusable {
            if id == bootstrap {
                continue;
            }
            if records.is_empty() {
                // Descriptors become reusable in id order from the tail (data_push_tail() frees
                // blocks oldest first), so the unreadable ones before this one were freed too.
                freed_at_tail += 1 + losses.runs.iter().map(|r| r.2).sum::<u64>();
                losses.runs.clear();
            } else {
                losses.add(id, 1, Cause::Reusable { va: dva });
            }
            continue;
        }
        let iva = h.infos.wrapping_add(index * l.info_size);
        if let Err(e) = infos.read(iva, &mut info) {
            losses.add(id, 1, Cause::InfoUnreadable(e));
            continue;
        }
        let seq = le_u64(&info, l.info_seq);
        if seq & mask != index {
            losses.add(
                id,
                1,
                Cause::SeqMismatch {
                    va: iva,
                    seq,
                    index,
                },
            );
            continue;
        }
        // seq - id is the same for every record of a ring (ids count modulo 2^62). A reserved
        // descriptor's seq is set by prb_reserve() after its state: it may still be the previous
        // occupant's, one ring's worth lower.
        let delta_of = |seq: u64| seq.wrapping_sub(id) & ID_MASK;
        let seq = match seq_delta {
            Some(d) if state == DescState::Reserved && delta_of(seq.wrapping_add(count)) == d => {
                seq.wrapping_add(count)
            }
            _ => seq,
        };
        match seq_delta {
            None => seq_delta = Some(delta_of(seq)),
            Some(d) if delta_of(seq) != d => {
                problems.push(RingProblem::SeqJump {
                    id,
                    seq,
                    expected: id.wrapping_add(d) & ID_MASK,
                });
                seq_delta = Some(delta_of(seq));
            }
            Some(_) => {}
        }
        let text_len = u64::from(le_u16(&info, l.info_text_len));
        let lv = l.levels;
        let mut rec = RingRecord {
            id,
            seq,
            state,
            ts_nsec: le_u64(&info, l.info_ts_nsec),
            facility: lv.map(|v| byte(&info, v.facility)),
            flags: lv.map(|v| v.flags.get(byte(&info, v.flags.byte))),
            level: lv.map(|v| v.level.get(byte(&info, v.level.byte))),
            caller_id: le_u32(&info, l.info_caller_id),
            subsystem: c_str(slice(
                &info,
                l.info_dev_info + l.dev_subsystem,
                l.dev_subsystem_len,
            )),
            device: c_str(slice(
                &info,
                l.info_dev_info + l.dev_device,
                l.dev_device_len,
            )),
            text: Vec::new(),
            wrapped: false,
        };
        let text = read_text(&mut text_r, &h, &data, lpos_ok, id, begin, next, text_len);
        match text {
            Ok((t, wrapped)) => {
                copied += t.len() as u64;
                rec.text = t;
                rec.wrapped = wrapped;
            }
            Err(_) if state == DescState::Reserved => {}
            Err(cause) => {
                losses.add(id, 1, cause);
                continue;
            }
        }
        if state == DescState::Reserved {
            problems.push(RingProblem::Unfinished {
                seq,
                va: dva,
                text_len: rec.text.len() as u64,
            });
        }
        records.push(rec);
        if copied > budget {
            problems.push(RingProblem::TextBudget { bytes: copied, id });
            break;
        }
    }

    let delta = seq_delta.unwrap_or(count);
    for (first_id, last_id, n, cause) in losses.runs {
        problems.push(RingProblem::Lost {
            first_id,
            last_id,
            count: n,
            seqs: (
                first_id.wrapping_add(delta) & ID_MASK,
                last_id.wrapping_add(delta) & ID_MASK,
            ),
            cause,
        });
    }
    RingLog {
        header: h,
        records,
        problems,
        freed_at_tail,
    }
}

/// A record's text: `text_len` bytes after the block id, checked as `get_data()`/`copy_data()`
/// check it, plus the block's own id.
#[allow(clippy::too_many_arguments)]
fn read_text(
    r: &mut PagedReader<'_, '_>,
    h: &RingHeader,
    data: &DataRing,
    lpos_ok: bool,
    id: u64,
    begin: u64,
    next: u64,
    text_len: u64,
) -> Result<(Vec<u8>, bool), Cause> {
    let (index, size, wrapped) = match data.locate(begin, next) {
        Ok(Block::EmptyLine) => return Ok((Vec::new(), false)),
        Ok(Block::Data {
            index,
            size,
            wrapped,
        }) => (index, size, wrapped),
        Err(f) => return Err(Cause::NoText(f)),
    };
    if lpos_ok && !data.is_live(begin, next, h.tail_lpos, h.head_lpos) {
        return Err(Cause::Overwritten {
            begin,
            next,
            tail: h.tail_lpos,
            head: h.head_lpos,
        });
    }
    let room = size - BLOCK_ID_SIZE;
    if text_len > room {
        return Err(Cause::TextTooLong { text_len, room });
    }
    let bva = h.data.wrapping_add(index);
    let found = r.u64_at(bva).map_err(Cause::TextUnreadable)?;
    if found != id {
        return Err(Cause::BlockIdMismatch { va: bva, found });
    }
    let mut t = vec![0u8; text_len as usize];
    r.read(bva.wrapping_add(BLOCK_ID_SIZE), &mut t)
        .map_err(Cause::TextUnreadable)?;
    Ok((t, wrapped))
}
