//! makedumpfile flattened-format writer: a 4096-byte header ("makedumpfile", type 1, version 1,
//! big-endian) and records `{ i64 BE offset, i64 BE size, data }` ending with `{ -1, -1 }`.

/// How to cut a plain file into records.
#[derive(Clone, Copy, Debug)]
pub struct FlattenOpts {
    /// Bytes per record (QEMU and makedumpfile write variable sizes; any positive value works).
    pub record: usize,
    /// Emit records in reverse order.
    pub reverse: bool,
    /// First emit a record of 0xAA bytes over the start, later overwritten by the real data.
    pub overwritten_garbage: bool,
    /// Leave all-zero records out (they read back as holes); the last record is always kept.
    pub skip_zero_records: bool,
    /// Write the `{-1,-1}` end marker.
    pub end_marker: bool,
}

impl Default for FlattenOpts {
    fn default() -> Self {
        FlattenOpts {
            record: 4096,
            reverse: false,
            overwritten_garbage: false,
            skip_zero_records: false,
            end_marker: true,
        }
    }
}

fn record(out: &mut Vec<u8>, off: i64, data: &[u8]) {
    out.extend_from_slice(&off.to_be_bytes());
    out.extend_from_slice(&(data.len() as i64).to_be_bytes());
    out.extend_from_slice(data);
}

/// Flatten `plain` (any file) into the makedumpfile flattened format.
pub fn flatten(plain: &[u8], o: FlattenOpts) -> Vec<u8> {
    let mut out = vec![0u8; 4096];
    out[..12].copy_from_slice(b"makedumpfile");
    out[16..24].copy_from_slice(&1i64.to_be_bytes()); // type: TYPE_FLAT_HEADER
    out[24..32].copy_from_slice(&1i64.to_be_bytes()); // version: VERSION_FLAT_HEADER
    if o.overwritten_garbage {
        record(&mut out, 0, &vec![0xaa; plain.len().min(700)]);
    }
    let rec = o.record.max(1);
    let mut chunks: Vec<(usize, &[u8])> = plain
        .chunks(rec)
        .enumerate()
        .map(|(i, c)| (i * rec, c))
        .collect();
    if o.reverse {
        chunks.reverse();
    }
    let last = plain.len().saturating_sub(1) / rec * rec;
    for (off, c) in chunks {
        // The last record always stays, so the rebuilt file keeps its length.
        if o.skip_zero_records && off != last && c.iter().all(|&b| b == 0) {
            continue;
        }
        record(&mut out, off as i64, c);
    }
    if o.end_marker {
        record_end(&mut out);
    }
    out
}

fn record_end(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i64).to_be_bytes());
    out.extend_from_slice(&(-1i64).to_be_bytes());
}
