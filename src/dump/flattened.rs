//! The makedumpfile flattened format (`makedumpfile -F`, every QEMU `kdump-*` file).
//!
//! The file is a 4096-byte header followed by records `{ i64 BE offset, i64 BE size, data }` ending
//! with `{ -1, -1 }`; replaying the records at their offsets rebuilds the plain kdump file. One pass
//! over the record headers builds a sorted, non-overlapping index of (destination offset, length,
//! source offset); reads binary-search it. Nothing is copied. Later records win where records
//! overlap (that is what replaying them with `makedumpfile -R` does); gaps read as zeros.

use super::error::DumpError;
use super::format::*;
use super::source::{ByteSource, MemSource, OutOfRange};
use scroll::Pread;
use std::collections::BTreeMap;

/// One run of the virtual file stored contiguously in the real file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlatRecord {
    /// Offset in the rebuilt (virtual) file.
    pub dst: u64,
    pub len: u64,
    /// Offset of the data in the flattened file.
    pub src: u64,
}

/// Facts gathered while indexing, for `info`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct FlatStats {
    /// Data records in the stream.
    pub records: u64,
    /// Records after resolving overlaps.
    pub index_entries: u64,
    /// Whether records overlapped (later ones won).
    pub overlapping: bool,
    /// Whether the `{-1,-1}` end marker was found; false means the stream was cut short.
    pub end_marker: bool,
}

/// A flattened file seen as the plain file it encodes.
pub struct FlatSource {
    raw: MemSource,
    index: Vec<FlatRecord>,
    len: u64,
    stats: FlatStats,
}

/// Whether `bytes` start with the flattened-format header.
pub fn is_flattened(bytes: &[u8]) -> bool {
    bytes.len() >= 16 && &bytes[..12] == MAKEDUMPFILE_SIGNATURE && bytes[12..16] == [0; 4]
}

impl FlatSource {
    /// Index a flattened file in one pass over its record headers.
    pub fn new(raw: MemSource) -> Result<FlatSource, DumpError> {
        let name = raw.name().to_string();
        let bytes = raw.bytes();
        let flen = bytes.len() as u64;
        if flen < MDF_HEADER_SIZE {
            return Err(DumpError::truncated(
                &name,
                "the flattened-format header",
                MDF_HEADER_SIZE,
                flen,
            ));
        }
        let h: MakedumpfileHeader =
            bytes
                .pread_with(0, scroll::BE)
                .map_err(|e| DumpError::Corrupt {
                    path: name.clone(),
                    offset: 0,
                    what: "flattened header".into(),
                    expected: "a makedumpfile_header".into(),
                    hint: super::error::HINT_CORRUPT,
                    source: Some(Box::new(e)),
                })?;
        if h.type_ != TYPE_FLAT_HEADER {
            return Err(DumpError::corrupt(
                &name,
                16,
                format!("flattened header type {}", h.type_),
                format!("type {TYPE_FLAT_HEADER} (TYPE_FLAT_HEADER)"),
            ));
        }
        if h.version != VERSION_FLAT_HEADER {
            return Err(DumpError::Unsupported {
                path: name,
                what: format!("flattened format version {}", h.version),
                hint: "Reassemble the file with `makedumpfile -R out < file` and open `out`".into(),
            });
        }

        let mut recs: Vec<FlatRecord> = Vec::new();
        let mut stats = FlatStats::default();
        let mut pos = MDF_HEADER_SIZE;
        let mut sorted = true;
        let mut overlap = false;
        let mut max_end = 0u64;
        // Stops early when the stream is cut short (no end marker).
        while let Some(hdr_end) = pos.checked_add(MDF_DATA_HEADER_SIZE).filter(|&e| e <= flen) {
            let dh: MakedumpfileDataHeader =
                bytes
                    .pread_with(pos as usize, scroll::BE)
                    .map_err(|e| DumpError::Corrupt {
                        path: name.clone(),
                        offset: pos,
                        what: "flattened record header".into(),
                        expected: "16 bytes".into(),
                        hint: super::error::HINT_CORRUPT,
                        source: Some(Box::new(e)),
                    })?;
            if dh.offset == END_FLAG_FLAT_HEADER && dh.buf_size == END_FLAG_FLAT_HEADER {
                stats.end_marker = true;
                break;
            }
            if dh.offset < 0 || dh.buf_size < 0 {
                return Err(DumpError::corrupt(
                    &name,
                    pos,
                    format!(
                        "flattened record with offset {} and size {}",
                        dh.offset, dh.buf_size
                    ),
                    "non-negative offset and size (or -1,-1 as end marker)",
                ));
            }
            let (dst, size) = (dh.offset as u64, dh.buf_size as u64);
            if dst.checked_add(size).is_none() {
                return Err(DumpError::corrupt(
                    &name,
                    pos,
                    "flattened record end overflows",
                    "offset + size < 2^63",
                ));
            }
            // A record cut by the end of file keeps what is there.
            let avail = (flen - hdr_end).min(size);
            stats.records += 1;
            if avail > 0 {
                let r = FlatRecord {
                    dst,
                    len: avail,
                    src: hdr_end,
                };
                if let Some(last) = recs.last() {
                    if r.dst < last.dst {
                        sorted = false;
                    }
                }
                if r.dst < max_end {
                    overlap = true;
                }
                max_end = max_end.max(dst + avail);
                recs.push(r);
            }
            if avail < size {
                break;
            }
            pos = hdr_end + size;
        }
        // Overlap check needs sorted order; `overlap` above is only exact for sorted input.
        if !sorted {
            recs.sort_by_key(|r| r.dst);
            overlap = recs.windows(2).any(|w| w[0].dst + w[0].len > w[1].dst);
        }
        let index = if overlap {
            // Rebuild in stream order with later-wins semantics. Sorting above is stable, but the
            // stream order is needed: sort by src (src offsets increase along the stream).
            recs.sort_by_key(|r| r.src);
            resolve_overlaps(&recs)
        } else {
            recs
        };
        stats.overlapping = overlap;
        stats.index_entries = index.len() as u64;
        let len = index.last().map(|r| r.dst + r.len).unwrap_or(0);
        Ok(FlatSource {
            raw,
            index,
            len,
            stats,
        })
    }

    pub fn stats(&self) -> &FlatStats {
        &self.stats
    }

    pub fn index(&self) -> &[FlatRecord] {
        &self.index
    }

    /// First index entry that ends after `off`.
    fn first_after(&self, off: u64) -> usize {
        self.index.partition_point(|r| r.dst + r.len <= off)
    }
}

/// Apply records in stream order, later ones overwriting earlier ones; returns sorted, disjoint runs.
fn resolve_overlaps(recs_in_stream_order: &[FlatRecord]) -> Vec<FlatRecord> {
    // start -> (end, src)
    let mut map: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for r in recs_in_stream_order {
        let (s, e) = (r.dst, r.dst + r.len);
        // Collect the existing runs that intersect [s, e).
        let mut hit: Vec<(u64, u64, u64)> = Vec::new();
        if let Some((&ps, &(pe, psrc))) = map.range(..s).next_back() {
            if pe > s {
                hit.push((ps, pe, psrc));
            }
        }
        for (&ps, &(pe, psrc)) in map.range(s..e) {
            hit.push((ps, pe, psrc));
        }
        for (ps, pe, psrc) in hit {
            map.remove(&ps);
            if ps < s {
                map.insert(ps, (s, psrc));
            }
            if pe > e {
                map.insert(e, (pe, psrc + (e - ps)));
            }
        }
        map.insert(s, (e, r.src));
    }
    map.into_iter()
        .map(|(s, (e, src))| FlatRecord {
            dst: s,
            len: e - s,
            src,
        })
        .collect()
}

impl ByteSource for FlatSource {
    fn name(&self) -> &str {
        self.raw.name()
    }
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), OutOfRange> {
        let end = off
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.len)
            .ok_or(OutOfRange { len: self.len })?;
        let mut i = self.first_after(off);
        let mut cur = off;
        while cur < end {
            let Some(r) = self.index.get(i) else {
                buf[(cur - off) as usize..].fill(0);
                break;
            };
            if r.dst > cur {
                // Gap: `makedumpfile -R` leaves holes, which read as zeros.
                let gap_end = r.dst.min(end);
                buf[(cur - off) as usize..(gap_end - off) as usize].fill(0);
                cur = gap_end;
                continue;
            }
            let take_end = (r.dst + r.len).min(end);
            let src = r.src + (cur - r.dst);
            let n = (take_end - cur) as usize;
            let dst = &mut buf[(cur - off) as usize..(cur - off) as usize + n];
            self.raw.read_at(src, dst)?;
            cur = take_end;
            i += 1;
        }
        Ok(())
    }
    fn slice(&self, off: u64, len: usize) -> Option<&[u8]> {
        let r = self.index.get(self.first_after(off))?;
        if r.dst <= off && off + len as u64 <= r.dst + r.len {
            self.raw.slice(r.src + (off - r.dst), len)
        } else {
            None
        }
    }
    fn file_offset(&self, off: u64) -> Option<u64> {
        let r = self.index.get(self.first_after(off))?;
        (r.dst <= off).then(|| r.src + (off - r.dst))
    }
    /// In a whole stream (end marker present) gaps are holes `makedumpfile -R` leaves as zeros;
    /// in a stream cut short they are bytes that never arrived.
    fn holds(&self, off: u64, len: u64) -> bool {
        if self.stats.end_marker {
            return off.checked_add(len).is_some_and(|e| e <= self.len);
        }
        self.recorded(off, len)
    }
    fn recorded(&self, off: u64, len: u64) -> bool {
        let Some(end) = off.checked_add(len).filter(|&e| e <= self.len) else {
            return false;
        };
        let mut cur = off;
        let mut i = self.first_after(off);
        while cur < end {
            match self.index.get(i) {
                Some(r) if r.dst <= cur => cur = r.dst + r.len,
                _ => return false,
            }
            i += 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(records: &[(i64, &[u8])], end: bool) -> Vec<u8> {
        let mut v = vec![0u8; 4096];
        v[..12].copy_from_slice(b"makedumpfile");
        v[16..24].copy_from_slice(&1i64.to_be_bytes());
        v[24..32].copy_from_slice(&1i64.to_be_bytes());
        for (off, data) in records {
            v.extend_from_slice(&off.to_be_bytes());
            v.extend_from_slice(&(data.len() as i64).to_be_bytes());
            v.extend_from_slice(data);
        }
        if end {
            v.extend_from_slice(&(-1i64).to_be_bytes());
            v.extend_from_slice(&(-1i64).to_be_bytes());
        }
        v
    }

    fn read(s: &FlatSource, off: u64, n: usize) -> Vec<u8> {
        let mut b = vec![0xeeu8; n];
        s.read_at(off, &mut b).unwrap();
        b
    }

    #[test]
    fn gaps_order_and_overlap() {
        let f = flat(&[(10, b"klmno"), (0, b"abc"), (2, b"XY"), (12, b"Z")], true);
        let s = FlatSource::new(MemSource::from_vec("f", f)).unwrap();
        assert!(s.stats().end_marker);
        assert!(s.stats().overlapping);
        assert_eq!(s.len(), 15);
        assert_eq!(read(&s, 0, 15), b"abXY\0\0\0\0\0\0klZno".to_vec());
        assert!(s.read_at(14, &mut [0u8; 2]).is_err());
    }

    #[test]
    fn cut_short() {
        let mut f = flat(&[(0, b"abcdef")], false);
        f.truncate(f.len() - 2);
        let s = FlatSource::new(MemSource::from_vec("f", f)).unwrap();
        assert!(!s.stats().end_marker);
        assert_eq!(s.len(), 4);
        assert_eq!(read(&s, 0, 4), b"abcd".to_vec());
    }

    #[test]
    fn negative_record_is_error() {
        let f = flat(&[(-5, b"abc")], true);
        assert!(FlatSource::new(MemSource::from_vec("f", f)).is_err());
    }
}
