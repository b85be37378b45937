//! Descriptor state words and data-block positions (kernel/printk/printk_ringbuffer.h and .c).
//!
//! `state_var`: the top two bits are the state, the rest the descriptor id (`DESC_FLAGS_SHIFT` =
//! BITS_PER_LONG - 2). Logical positions (`lpos`) count bytes since boot: the index in the data
//! ring is `lpos & (size - 1)`, the wrap count `lpos >> size_bits`. Odd positions mean "no data":
//! `EMPTY_LINE_LPOS` (0x3) an empty line, `FAILED_LPOS` (0x1) text the kernel could not store.

use serde::Serialize;

/// Bits of `state_var` holding the descriptor id (64-bit kernel).
pub const ID_MASK: u64 = (1u64 << 62) - 1;
const STATE_SHIFT: u32 = 62;
pub const FAILED_LPOS: u64 = 0x1;
pub const EMPTY_LINE_LPOS: u64 = 0x3;
/// `sizeof(prb_data_block.id)`: the block id in front of every data block.
pub const BLOCK_ID_SIZE: u64 = 8;

/// `enum desc_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DescState {
    /// A writer reserved it and was still writing.
    Reserved,
    /// Written, but a continuation may still be appended (the newest record).
    Committed,
    /// Written and closed.
    Finalized,
    /// Freed: its data may already be overwritten.
    Reusable,
}

impl DescState {
    pub fn name(self) -> &'static str {
        match self {
            DescState::Reserved => "reserved",
            DescState::Committed => "committed",
            DescState::Finalized => "finalized",
            DescState::Reusable => "reusable",
        }
    }
}

impl std::fmt::Display for DescState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Split `state_var` into its state and descriptor id.
pub fn split_state_var(sv: u64) -> (DescState, u64) {
    let state = match sv >> STATE_SHIFT {
        0 => DescState::Reserved,
        1 => DescState::Committed,
        2 => DescState::Finalized,
        _ => DescState::Reusable,
    };
    (state, sv & ID_MASK)
}

/// Where a record's text is, from its `text_blk_lpos`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// An empty line: no data block (`EMPTY_LINE_LPOS`).
    EmptyLine,
    /// A data block at ring index `index`, `size` bytes including the 8-byte block id.
    /// `wrapped`: the block's `begin` is in the previous wrap, so the data is at the ring's start.
    Data {
        index: u64,
        size: u64,
        wrapped: bool,
    },
}

/// Why `text_blk_lpos` does not describe readable data (`get_data()`'s failure cases).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockFault {
    #[error("the kernel could not store this record's text (FAILED_LPOS: it did not fit)")]
    Failed,
    #[error("no data block (lpos {begin:#x}..{next:#x}: data-less, not an empty line)")]
    Dataless { begin: u64, next: u64 },
    #[error(
        "illegal block position {begin:#x}..{next:#x} (neither in one wrap nor one wrap apart)"
    )]
    Illegal { begin: u64, next: u64 },
    #[error("block position {begin:#x}..{next:#x} is not 8-byte aligned")]
    Misaligned { begin: u64, next: u64 },
    #[error("block {begin:#x}..{next:#x} is {size} bytes, smaller than its 8-byte id")]
    TooSmall { begin: u64, next: u64, size: u64 },
}

/// The data ring's geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataRing {
    pub size_bits: u32,
}

impl DataRing {
    pub fn size(&self) -> u64 {
        1u64 << self.size_bits
    }
    pub fn index(&self, lpos: u64) -> u64 {
        lpos & (self.size() - 1)
    }
    fn wraps(&self, lpos: u64) -> u64 {
        lpos >> self.size_bits
    }

    /// `get_data()`: where the block `begin..next` keeps its data.
    pub fn locate(&self, begin: u64, next: u64) -> Result<Block, BlockFault> {
        if begin & 1 == 1 && next & 1 == 1 {
            return match (begin, next) {
                (EMPTY_LINE_LPOS, EMPTY_LINE_LPOS) => Ok(Block::EmptyLine),
                (FAILED_LPOS, FAILED_LPOS) => Err(BlockFault::Failed),
                _ => Err(BlockFault::Dataless { begin, next }),
            };
        }
        let (index, size, wrapped) = if self.wraps(begin) == self.wraps(next) && begin < next {
            (self.index(begin), next - begin, false)
        } else if self.wraps(begin.wrapping_add(self.size())) == self.wraps(next) {
            (0, self.index(next), true)
        } else {
            return Err(BlockFault::Illegal { begin, next });
        };
        if !begin.is_multiple_of(BLOCK_ID_SIZE) || !next.is_multiple_of(BLOCK_ID_SIZE) {
            return Err(BlockFault::Misaligned { begin, next });
        }
        if size < BLOCK_ID_SIZE {
            return Err(BlockFault::TooSmall { begin, next, size });
        }
        Ok(Block::Data {
            index,
            size,
            wrapped,
        })
    }

    /// Is `begin..next` inside the live data `tail..head` (all logical positions)?
    pub fn is_live(&self, begin: u64, next: u64, tail: u64, head: u64) -> bool {
        let span = head.wrapping_sub(tail);
        let b = begin.wrapping_sub(tail);
        let n = next.wrapping_sub(tail);
        b <= span && n <= span && b < n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_ids() {
        assert_eq!(split_state_var(5), (DescState::Reserved, 5));
        assert_eq!(split_state_var((1 << 62) | 7), (DescState::Committed, 7));
        assert_eq!(
            split_state_var((2 << 62) | ID_MASK),
            (DescState::Finalized, ID_MASK)
        );
        assert_eq!(split_state_var(3 << 62), (DescState::Reusable, 0));
    }

    #[test]
    fn block_positions() {
        let r = DataRing { size_bits: 12 };
        assert_eq!(
            r.locate(0x1010, 0x1030),
            Ok(Block::Data {
                index: 0x10,
                size: 0x20,
                wrapped: false
            })
        );
        // begin in wrap 1, next in wrap 2: the data restarts at index 0.
        assert_eq!(
            r.locate(0x1ff0, 0x2020),
            Ok(Block::Data {
                index: 0,
                size: 0x20,
                wrapped: true
            })
        );
        // A block that ends exactly at the wrap is stored at the start (get_next_lpos).
        assert_eq!(
            r.locate(0x1fe0, 0x2020),
            Ok(Block::Data {
                index: 0,
                size: 0x20,
                wrapped: true
            })
        );
        assert_eq!(r.locate(3, 3), Ok(Block::EmptyLine));
        assert_eq!(r.locate(1, 1), Err(BlockFault::Failed));
        assert!(matches!(
            r.locate(0x1000, 0x4000),
            Err(BlockFault::Illegal { .. })
        ));
        assert!(matches!(
            r.locate(0x1004, 0x1010),
            Err(BlockFault::Misaligned { .. })
        ));
        assert!(matches!(
            r.locate(0x1ff8, 0x2000),
            Err(BlockFault::TooSmall { .. })
        ));
        // Positions near u64::MAX (BLK0_LPOS is -size) do not overflow.
        let top = 0u64.wrapping_sub(0x1000);
        assert_eq!(
            r.locate(top, top + 0x10),
            Ok(Block::Data {
                index: 0,
                size: 0x10,
                wrapped: false
            })
        );
        assert!(r.is_live(top, top + 0x10, top, top + 0x10));
        assert!(!r.is_live(top - 0x10, top, top, top + 0x10));
    }
}
