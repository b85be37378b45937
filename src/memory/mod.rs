//! Physical memory as the layers above see it: a read interface over whatever dump format is open.
//!
//! Every failed read is a [`MemFault`]: small, `Copy`, and it keeps the physical address, the file
//! offset when one is known, and why the bytes are not there.

use crate::addr::Pa;
use std::fmt;

/// Why bytes at a physical address could not be produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// No RAM at this address in the dump (no PT_LOAD / not in the RAM bitmap / outside every split file).
    NotInDump,
    /// RAM that the dump tool filtered out (makedumpfile dump level, or ELF bytes past p_filesz).
    Excluded,
    /// The dump was cut short before this page was written (incomplete flag, zero descriptor offset).
    Incomplete,
    /// The file ends before the data its headers point at.
    Truncated,
    /// The page's metadata or data is inconsistent (bad size, decompression failure, ...).
    Corrupt(&'static str),
}

/// A failed physical read. Carries the address asked for and, where known, the dump file offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub struct MemFault {
    pub kind: FaultKind,
    pub pa: Pa,
    pub file_offset: Option<u64>,
}

impl fmt::Display for MemFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FaultKind::NotInDump => write!(f, "physical address {} is not in the dump (no RAM recorded there)", self.pa)?,
            FaultKind::Excluded => write!(
                f,
                "physical address {} was excluded from the dump by its filter (dump level); re-take the dump with a lower -d, or pass --zero-excluded",
                self.pa
            )?,
            FaultKind::Incomplete => write!(f, "physical address {} was never written: the dump is incomplete", self.pa)?,
            FaultKind::Truncated => write!(f, "physical address {}: the dump file is truncated", self.pa)?,
            FaultKind::Corrupt(why) => write!(f, "physical address {}: corrupt dump data ({why})", self.pa)?,
        }
        if let Some(off) = self.file_offset {
            write!(f, " [file offset {off:#x}]")?;
        }
        Ok(())
    }
}

/// Read access to a dump's physical memory.
pub trait PhysMem: Send + Sync {
    /// Fill `buf` with the bytes at `pa..pa+buf.len()`. The range may cross page boundaries.
    fn read_phys(&self, pa: Pa, buf: &mut [u8]) -> Result<(), MemFault>;

    /// What the source knows to be missing without reading a page (a dump file that ends before
    /// the data its headers describe), one entry each. Default: nothing known.
    fn known_gaps(&self) -> Vec<KnownGap> {
        Vec::new()
    }
}

/// Memory a source knows is missing: what and from where, for people, and the lowest physical
/// address concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownGap {
    pub message: String,
    pub pa: Option<Pa>,
}
