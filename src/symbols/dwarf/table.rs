//! The unit table: compile units' headers and root `DW_AT_name`s in .debug_info order, read
//! lazily and only as far as a query needs, and .debug_aranges, so a hint (a source path, a
//! function address, a .debug_info offset) finds its unit.
//!
//! Units are read in order, one header and root DIE at a time (about 18,000 instructions each,
//! most of it the root's abbreviation lookup), and kept. A path hint walks the units read so far
//! and reads on until it finds the first matching unit, so a lookup in `kernel/module/main.c`
//! reads the ~400 units up to it, not the 2,401 of Debian's 6.12 vmlinux. Lookups stop at the
//! first matching unit that has what they want, so the answer is the one a full table would
//! give; only a miss (the fallback search, an error message) reads every unit.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::index::UnitData;
use super::{path_matches, CachedErr, DwarfData, Header};
use crate::symbols::error::SymError;

pub(crate) struct UnitSlot {
    pub(crate) header: Header,
    /// .debug_info offset of the unit header.
    pub(crate) offset: u64,
    /// .debug_info offset one past the unit's end.
    pub(crate) end: u64,
    /// The root DIE's DW_AT_name (e.g. "kernel/module/main.c"), if any.
    pub(crate) name: Option<&'static str>,
    pub(super) parsed: OnceLock<Result<Arc<UnitData>, CachedErr>>,
}

/// Units in the first chunk of [`Slots`]; chunk `c` holds `FIRST_CHUNK << c`.
const FIRST_CHUNK: usize = 64;
/// Chunks in [`Slots`]: room for `FIRST_CHUNK * (2^CHUNKS - 1)` units, just under `u32::MAX`.
const CHUNKS: usize = 26;

/// Append-only storage whose elements never move, so a `&UnitSlot` stays valid while later
/// units are read (by one writer at a time, under [`UnitTable::scan`]). Reads take no lock.
struct Slots {
    chunks: [OnceLock<Box<[OnceLock<UnitSlot>]>>; CHUNKS],
    len: AtomicU32,
}

/// Chunk and index within it of element `i`.
fn locate(i: usize) -> (usize, usize) {
    let block = i / FIRST_CHUNK + 1;
    let c = (usize::BITS - 1 - block.leading_zeros()) as usize;
    (c, i - FIRST_CHUNK * ((1 << c) - 1))
}

impl Slots {
    fn new() -> Slots {
        Slots {
            chunks: std::array::from_fn(|_| OnceLock::new()),
            len: AtomicU32::new(0),
        }
    }

    fn len(&self) -> u32 {
        self.len.load(Ordering::Acquire)
    }

    fn get(&self, i: u32) -> Option<&UnitSlot> {
        if i >= self.len() {
            return None;
        }
        let (c, k) = locate(i as usize);
        self.chunks[c].get()?.get(k)?.get()
    }

    /// Append (the caller holds the scan lock, so there is one writer). `false` when full.
    fn push(&self, slot: UnitSlot) -> bool {
        let i = self.len();
        let (c, k) = locate(i as usize);
        let Some(chunk) = self.chunks.get(c) else {
            return false;
        };
        let chunk = chunk.get_or_init(|| (0..FIRST_CHUNK << c).map(|_| OnceLock::new()).collect());
        if chunk[k].set(slot).is_err() {
            return false;
        }
        self.len.store(i + 1, Ordering::Release);
        true
    }
}

/// Where the scan of unit headers stands.
enum Scan {
    /// The next unit starts at this .debug_info offset.
    At(usize),
    /// Every unit has been read.
    Done,
    /// The header at this point could not be read; units before it stay usable.
    Failed(CachedErr),
}

pub(crate) struct UnitTable {
    slots: Slots,
    scan: Mutex<Scan>,
}

impl UnitTable {
    pub(super) fn new() -> UnitTable {
        UnitTable {
            slots: Slots::new(),
            scan: Mutex::new(Scan::At(0)),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Arange {
    start: u64,
    end: u64,
    unit_offset: u64,
}

/// The units whose root name matches one of a few paths, in .debug_info order, read as the
/// iteration goes (see the module comment).
pub(crate) struct UnitsNamed<'a> {
    dwarf: &'a DwarfData,
    paths: Vec<&'a str>,
    next: u32,
    done: bool,
}

impl Iterator for UnitsNamed<'_> {
    type Item = Result<u32, SymError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let i = self.next;
            match self.dwarf.slot_if_any(i) {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(None) => self.done = true,
                Ok(Some(s)) => {
                    self.next += 1;
                    let hit = s
                        .name
                        .is_some_and(|n| self.paths.iter().any(|p| path_matches(n, p)));
                    if hit {
                        return Some(Ok(i));
                    }
                }
            }
        }
        None
    }
}

impl DwarfData {
    /// Read units until `enough` holds for the slots read so far, or there are no more.
    fn read_units_until(&self, enough: impl Fn(&Slots) -> bool) -> Result<(), SymError> {
        if enough(&self.units.slots) {
            return Ok(());
        }
        let mut scan = self.units.scan.lock().unwrap_or_else(|e| e.into_inner());
        while !enough(&self.units.slots) {
            let off = match &*scan {
                Scan::At(off) => *off,
                Scan::Done => break,
                Scan::Failed(e) => return Err(self.err(e)),
            };
            *scan = match self.read_unit(off) {
                Ok(None) => Scan::Done,
                Ok(Some(slot)) => {
                    let end = slot.end as usize;
                    if end <= off || !self.units.slots.push(slot) {
                        Scan::Failed(CachedErr {
                            offset: off as u64,
                            what: "a compile unit header (no progress, or too many units)".into(),
                            err: gimli::Error::OffsetOutOfBounds,
                        })
                    } else {
                        Scan::At(end)
                    }
                }
                Err(e) => Scan::Failed(e),
            };
        }
        Ok(())
    }

    /// Unit `unit`, reading units up to it if needed; `Ok(None)` if there are fewer units.
    pub(crate) fn slot_if_any(&self, unit: u32) -> Result<Option<&UnitSlot>, SymError> {
        self.read_units_until(|s| s.len() > unit)?;
        Ok(self.units.slots.get(unit))
    }

    /// Unit `unit`, which must exist (indexes come from the table).
    pub(crate) fn slot(&self, unit: u32) -> Result<&UnitSlot, SymError> {
        self.slot_if_any(unit)?
            .ok_or_else(|| SymError::UnexpectedDwarf {
                file: self.file.clone(),
                section: ".debug_info",
                offset: 0,
                what: format!("unit slot {unit}"),
                expected: "an existing unit".into(),
            })
    }

    /// Every unit (reads them all): the count.
    pub(crate) fn unit_count(&self) -> Result<u32, SymError> {
        self.read_units_until(|_| false)?;
        Ok(self.units.slots.len())
    }

    /// Every unit, in .debug_info order (reads them all).
    pub(crate) fn all_units(&self) -> Result<impl Iterator<Item = &UnitSlot> + '_, SymError> {
        let n = self.unit_count()?;
        Ok((0..n).filter_map(|i| self.units.slots.get(i)))
    }

    /// Slot index of the unit containing .debug_info offset `off` (reads units up to it).
    pub(crate) fn unit_containing(&self, off: u64) -> Result<Option<u32>, SymError> {
        self.read_units_until(|s| {
            s.len()
                .checked_sub(1)
                .and_then(|last| s.get(last))
                .is_some_and(|u| u.end > off)
        })?;
        let slots = &self.units.slots;
        // First unit starting after `off` (units are in offset order).
        let (mut lo, mut hi) = (0u32, slots.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if slots.get(mid).is_some_and(|u| u.offset <= off) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let Some(i) = lo.checked_sub(1) else {
            return Ok(None);
        };
        Ok(slots.get(i).filter(|u| off < u.end).map(|_| i))
    }

    /// Units whose root name matches one of `paths` (a path suffix at a component boundary),
    /// read as far as the caller iterates.
    pub(crate) fn units_named<'a>(&'a self, paths: Vec<&'a str>) -> UnitsNamed<'a> {
        UnitsNamed {
            dwarf: self,
            paths,
            next: 0,
            done: false,
        }
    }

    /// The unit whose .debug_aranges range covers `addr` (functions; GCC does not list data).
    pub(crate) fn unit_for_address(&self, addr: u64) -> Result<Option<u32>, SymError> {
        let ar = self.aranges.get_or_init(|| self.build_aranges());
        let i = ar.partition_point(|a| a.start <= addr);
        // Ranges may overlap (rare); look back a little.
        for a in ar[..i].iter().rev().take(8) {
            if addr >= a.start && addr < a.end {
                return self.unit_containing(a.unit_offset);
            }
        }
        Ok(None)
    }

    fn build_aranges(&self) -> Vec<Arange> {
        let mut out = Vec::new();
        let mut headers = self.dwarf.debug_aranges.headers();
        while let Ok(Some(h)) = headers.next() {
            let unit_offset = h.debug_info_offset().0 as u64;
            let mut entries = h.entries();
            while let Ok(Some(e)) = entries.next() {
                let r = e.range();
                if r.end > r.begin {
                    out.push(Arange {
                        start: r.begin,
                        end: r.end,
                        unit_offset,
                    });
                }
            }
        }
        out.sort_by_key(|a| a.start);
        out
    }

    /// Compare the table with one built by gimli's unit iterator and its full root-DIE parse
    /// (test support: the fast paths must agree with gimli exactly).
    pub(crate) fn check_table_against_gimli(&self) -> Result<usize, String> {
        let fast: Vec<&UnitSlot> = self.all_units().map_err(|e| e.to_string())?.collect();
        let mut slow = Vec::new();
        let mut iter = self.dwarf.units();
        while let Some(h) = iter.next().map_err(|e| format!("{e:?}"))? {
            slow.push(h);
        }
        if fast.len() != slow.len() {
            return Err(format!("{} units vs gimli's {}", fast.len(), slow.len()));
        }
        for (a, h) in fast.iter().zip(&slow) {
            let offset = h.offset().as_debug_info_offset().map_or(0, |o| o.0 as u64);
            let end = offset + h.length_including_self() as u64;
            let slow_name = {
                let abbrevs = h
                    .abbreviations(&self.dwarf.debug_abbrev)
                    .map_err(|e| e.to_string())?;
                let mut c = h.entries(&abbrevs);
                let (_, root) = c.next_dfs().map_err(|e| e.to_string())?.ok_or("no root")?;
                root.attr_value(gimli::DW_AT_name)
                    .map_err(|e| e.to_string())?
                    .and_then(|v| self.attr_str(v))
            };
            if a.header != *h || a.offset != offset || a.end != end || a.name != slow_name {
                return Err(format!(
                    "unit at {offset:#x}: ({:?}, {:?}) vs gimli ({slow_name:?}, {h:?})",
                    a.name, a.header
                ));
            }
        }
        Ok(fast.len())
    }
}

#[cfg(test)]
mod tests {
    use super::{locate, FIRST_CHUNK};

    #[test]
    fn chunks_tile_the_index_space() {
        let mut want = (0, 0);
        for i in 0..FIRST_CHUNK * 40 {
            assert_eq!(locate(i), want, "{i}");
            want.1 += 1;
            if want.1 == FIRST_CHUNK << want.0 {
                want = (want.0 + 1, 0);
            }
        }
        // The last index the table can hold is in the last chunk.
        let (c, k) = locate(FIRST_CHUNK * ((1 << super::CHUNKS) - 1) - 1);
        assert_eq!(c, super::CHUNKS - 1);
        assert!(k < FIRST_CHUNK << c);
    }
}
