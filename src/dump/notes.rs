//! ELF note parsing (PT_NOTE segments of ELF vmcores, and the notes blob of kdump files).

use super::format::NT_PRSTATUS;
use super::vmcoreinfo::VmcoreInfo;

/// One note. `name` has its trailing NULs removed.
#[derive(Clone, Copy, Debug)]
pub struct Note<'a> {
    pub name: &'a [u8],
    pub n_type: u32,
    pub desc: &'a [u8],
}

/// Iterate the 4-byte aligned notes in `data`; stops at the first malformed note. Returns the
/// notes and whether the whole blob parsed cleanly.
pub fn parse_notes(data: &[u8]) -> (Vec<Note<'_>>, bool) {
    let mut out = Vec::new();
    let mut pos = 0usize;
    let rd = |p: usize| -> Option<u32> {
        Some(u32::from_le_bytes(
            data.get(p..p.checked_add(4)?)?.try_into().ok()?,
        ))
    };
    let align4 = |n: usize| n.checked_add(3).map(|v| v & !3);
    while pos < data.len() {
        let (Some(namesz), Some(descsz), Some(n_type)) = (rd(pos), rd(pos + 4), rd(pos + 8)) else {
            // Trailing zero padding is normal.
            return (out, data[pos..].iter().all(|&b| b == 0));
        };
        if namesz == 0 && descsz == 0 && n_type == 0 {
            return (out, data[pos..].iter().all(|&b| b == 0));
        }
        let name_start = pos + 12;
        let Some(desc_start) = align4(namesz as usize).and_then(|n| name_start.checked_add(n))
        else {
            return (out, false);
        };
        let Some(next) = align4(descsz as usize).and_then(|n| desc_start.checked_add(n)) else {
            return (out, false);
        };
        let (Some(name), Some(desc)) = (
            data.get(name_start..name_start + namesz as usize),
            data.get(desc_start..desc_start + descsz as usize),
        ) else {
            return (out, false);
        };
        let name_len = name
            .iter()
            .rposition(|&b| b != 0)
            .map(|i| i + 1)
            .unwrap_or(0);
        out.push(Note {
            name: &name[..name_len],
            n_type,
            desc,
        });
        pos = next.min(data.len());
    }
    (out, true)
}

/// What the notes say, for `info` and for finding VMCOREINFO.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct NoteSummary {
    pub total: usize,
    pub prstatus: usize,
    /// QEMU's per-CPU "QEMU" notes (CPU state).
    pub qemu: usize,
    pub vmcoreinfo_note: bool,
    /// False when a note header was malformed and parsing stopped.
    pub well_formed: bool,
}

/// Summarise notes and return the VMCOREINFO note's text, if any.
pub fn summarize(data: &[u8]) -> (NoteSummary, Option<VmcoreInfo>) {
    let (notes, ok) = parse_notes(data);
    let mut s = NoteSummary {
        total: notes.len(),
        well_formed: ok,
        ..Default::default()
    };
    let mut vi = None;
    for n in &notes {
        match (n.name, n.n_type) {
            (b"CORE", NT_PRSTATUS) => s.prstatus += 1,
            (b"QEMU", _) => s.qemu += 1,
            (b"VMCOREINFO", _) => {
                s.vmcoreinfo_note = true;
                let v = VmcoreInfo::parse(n.desc);
                if !v.is_empty() {
                    vi = Some(v);
                }
            }
            _ => {}
        }
    }
    (s, vi)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Notes are built by the independent test-input builder.
    use crate::synth::bytes::note;

    #[test]
    fn finds_vmcoreinfo_and_counts() {
        let mut b = note("CORE", 1, &[0; 336]);
        b.extend(note("CORE", 1, &[0; 336]));
        b.extend(note("QEMU", 0, &[0; 100]));
        b.extend(note("VMCOREINFO", 0, b"OSRELEASE=6.1\nPAGESIZE=4096\n"));
        b.extend([0u8; 8]);
        let (s, vi) = summarize(&b);
        assert_eq!(
            (s.total, s.prstatus, s.qemu, s.well_formed),
            (4, 2, 1, true)
        );
        assert_eq!(vi.unwrap().osrelease(), Some("6.1"));
        // Cut in the middle: no panic, not well formed.
        let (s, _) = summarize(&b[..b.len() - 20]);
        assert!(!s.well_formed);
    }
}
