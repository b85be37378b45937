//! The kernel log, read from the 5.10+ lockless printk ringbuffer (`prb`,
//! kernel/printk/printk_ringbuffer.c) in a dump.
//!
//! - [`layout`]: every offset, from VMCOREINFO (no vmlinux needed) or DWARF.
//! - [`header`]: `*prb`: the descriptor ring and the text data ring, sizes checked.
//! - [`state`]: descriptor states and data-block positions.
//! - [`walk`]: the records from tail to head, with what was lost and why.
//!
//! The pre-5.10 `log_buf` (variable-length `struct printk_log` records, 3.5 to 5.9) is not read:
//! [`PrintkError::PreLockless`] says so.

pub mod error;
pub mod header;
pub mod layout;
pub mod state;
#[cfg(test)]
mod tests;
pub mod walk;

pub use error::PrintkError;
pub use header::RingHeader;
pub use layout::{DwarfSource, PrbLayout};
pub use state::DescState;
pub use walk::{Cause, RingLog, RingProblem, RingRecord};

use crate::kernel::KernelMem;

/// Read the whole log: the ring's header, then every record between its tail and head.
/// Fails only when the ring itself cannot be found or its header is unreadable or implausible;
/// damage inside the ring is reported in [`RingLog::problems`].
pub fn read_log(mem: &KernelMem<'_>, layout: &PrbLayout) -> Result<RingLog, PrintkError> {
    let h = header::read_header(mem, layout)?;
    Ok(walk::walk(mem, layout, h))
}
