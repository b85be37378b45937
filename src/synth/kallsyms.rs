//! Kallsyms tables laid out as scripts/kallsyms emits them (6.1+ names with one- or two-byte
//! lengths, one token per byte, base-relative `kallsyms_offsets`), in a small kernel image
//! whose VMCOREINFO names them: the fuzz target's template. The encoding is written from the
//! format (kernel/kallsyms.c), not from the decoder in `src/kernel/kallsyms.rs`.

use super::printk::{ImageMem, IMAGE_VA};
use crate::dump::vmcoreinfo::VmcoreInfo;
use crate::kernel::kallsyms::{self, KallsymsTable};
use crate::kernel::KernelMem;
use crate::translate::X86_64;

/// Where the tables sit in the image (physical address = offset from `IMAGE_VA`).
const NUM_SYMS: u64 = 0x1000;
const NAMES: u64 = 0x1008;

/// An image holding kallsyms tables for `symbols` (name, type letter, address), and its
/// VMCOREINFO. `init_top_pgt` must be one of the symbols (it selects the address scheme).
pub fn image(symbols: &[(&str, char, u64)]) -> (Vec<u8>, String) {
    let mut mem = vec![0u8; NAMES as usize];
    mem[NUM_SYMS as usize..NUM_SYMS as usize + 4]
        .copy_from_slice(&(symbols.len() as u32).to_le_bytes());
    for (name, kind, _) in symbols {
        let mut entry = vec![*kind as u8];
        entry.extend_from_slice(name.as_bytes());
        // Each byte is the token of the same number (a table of 256 one-character tokens).
        let len = entry.len();
        if len < 0x80 {
            mem.push(len as u8);
        } else {
            mem.push((len & 0x7f) as u8 | 0x80);
            mem.push((len >> 7) as u8);
        }
        mem.extend_from_slice(&entry);
    }
    let pad = |mem: &mut Vec<u8>| mem.resize(mem.len().next_multiple_of(8), 0);
    pad(&mut mem);
    let token_table = mem.len() as u64;
    let mut index = Vec::new();
    for t in 0..=255u8 {
        index.push((mem.len() as u64 - token_table) as u16);
        if t != 0 {
            mem.push(t);
        }
        mem.push(0);
    }
    pad(&mut mem);
    let token_index = mem.len() as u64;
    for i in index {
        mem.extend_from_slice(&i.to_le_bytes());
    }
    pad(&mut mem);
    let offsets = mem.len() as u64;
    for (_, _, addr) in symbols {
        mem.extend_from_slice(&((addr - IMAGE_VA) as u32).to_le_bytes());
    }
    pad(&mut mem);
    let relative_base = mem.len() as u64;
    mem.extend_from_slice(&IMAGE_VA.to_le_bytes());
    mem.resize(mem.len().next_multiple_of(4096), 0);
    let top = symbols
        .iter()
        .find(|s| s.0 == "init_top_pgt")
        .map_or(0, |s| s.2);
    let va = |pa: u64| IMAGE_VA + pa;
    let vi = format!(
        "OSRELEASE=6.12.0-synth\nPAGESIZE=4096\nSYMBOL(init_top_pgt)={top:x}\nNUMBER(phys_base)=0\n\
NUMBER(pgtable_l5_enabled)=0\nKERNELOFFSET=0\nSYMBOL(kallsyms_names)={:x}\nSYMBOL(kallsyms_num_syms)={:x}\n\
SYMBOL(kallsyms_token_table)={:x}\nSYMBOL(kallsyms_token_index)={:x}\nSYMBOL(kallsyms_offsets)={:x}\n\
SYMBOL(kallsyms_relative_base)={:x}\n",
        va(NAMES),
        va(NUM_SYMS),
        va(token_table),
        va(token_index),
        va(offsets),
        va(relative_base),
    );
    (mem, vi)
}

/// The template's symbols: sorted by address, a duplicate static, a name that needs a two-byte
/// length, and the symbols the path without a vmlinux looks up.
pub fn template_symbols() -> Vec<(String, char, u64)> {
    let mut v: Vec<(String, char, u64)> = [
        ("_stext", 'T', 0x100000),
        ("same_static", 't', 0x100040),
        ("same_static", 't', 0x100080),
        ("init_top_pgt", 'D', 0x200000),
        ("__start_BTF", 'R', 0x300000),
        ("__stop_BTF", 'R', 0x340000),
        ("modules", 'd', 0x400000),
        ("linux_banner", 'R', 0x400100),
        ("page_offset_base", 'D', 0x400200),
    ]
    .iter()
    .map(|&(n, k, a)| (n.to_string(), k, IMAGE_VA + a))
    .collect();
    v.push(("l".repeat(200), 't', IMAGE_VA + 0x400300));
    for i in 0..24u64 {
        v.push((format!("fuzz_sym_{i}"), 'b', IMAGE_VA + 0x500000 + i * 0x10));
    }
    v
}

/// Decode kallsyms built from fuzz bytes and look names up. Never panics on any input.
///
/// `data[0]` picks how the bytes become the tables: 0, they replace the names table (from
/// `kallsyms_names` on, so the token table and offsets follow wherever the bytes say); 1, the
/// template with `data[3..]` written at the offset in `data[1..3]`; 2, the template with
/// `(u16 offset, u8 value)` patches; 3, the template with `data[1..]` appended to its
/// VMCOREINFO (overriding the table addresses and the count's location).
pub fn fuzz_kallsyms(data: &[u8]) {
    static TEMPLATE: std::sync::OnceLock<(Vec<u8>, String)> = std::sync::OnceLock::new();
    let (image0, vi0) = TEMPLATE.get_or_init(|| {
        let syms = template_symbols();
        let refs: Vec<(&str, char, u64)> =
            syms.iter().map(|(n, k, a)| (n.as_str(), *k, *a)).collect();
        image(&refs)
    });
    let mut bytes = image0.clone();
    let mut vi_text = vi0.clone();
    let rest = data.get(1..).unwrap_or(&[]);
    match data.first().copied().unwrap_or(0) % 4 {
        0 => {
            bytes.truncate(NAMES as usize);
            bytes.extend_from_slice(rest);
        }
        1 => {
            let off = rest
                .get(..2)
                .map_or(0, |b| usize::from(u16::from_le_bytes([b[0], b[1]])));
            for (i, &b) in rest.get(2..).unwrap_or(&[]).iter().enumerate() {
                if let Some(x) = bytes.get_mut(off + i) {
                    *x = b;
                }
            }
        }
        2 => {
            for p in rest.chunks_exact(3) {
                let off = usize::from(u16::from_le_bytes([p[0], p[1]]));
                if let Some(x) = bytes.get_mut(off) {
                    *x = p[2];
                }
            }
        }
        _ => vi_text.push_str(&String::from_utf8_lossy(rest)),
    }
    let mem = ImageMem {
        bytes,
        excluded: Vec::new(),
    };
    let vi = VmcoreInfo::parse(vi_text.as_bytes());
    let Ok(arch) = X86_64::from_vmcoreinfo(&vi, None) else {
        return;
    };
    let km = KernelMem::new(&mem, &arch);
    if let Ok(t) = KallsymsTable::read(&km, &vi) {
        for name in ["init_top_pgt", "same_static", "__start_BTF", "nothere", ""] {
            for s in t.get(name) {
                let _ = t.extent(s.addr);
            }
        }
        let _ = t.extent(0);
        let _ = t.extent(u64::MAX);
    }
    let _ = kallsyms::lookup(
        &km,
        &vi,
        &["__start_BTF", "modules"],
        ("init_top_pgt", IMAGE_VA + 0x200000),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The template decodes to exactly its symbols: the fuzz target starts from a table the
    /// decoder reads right.
    #[test]
    fn the_template_decodes_to_its_symbols() {
        let syms = template_symbols();
        let refs: Vec<(&str, char, u64)> =
            syms.iter().map(|(n, k, a)| (n.as_str(), *k, *a)).collect();
        let (bytes, vi) = image(&refs);
        let mem = ImageMem {
            bytes,
            excluded: Vec::new(),
        };
        let vi = VmcoreInfo::parse(vi.as_bytes());
        let arch = X86_64::from_vmcoreinfo(&vi, None).unwrap();
        let km = KernelMem::new(&mem, &arch);
        let t = KallsymsTable::read(&km, &vi).unwrap();
        assert_eq!(t.len(), syms.len());
        for (name, kind, addr) in &syms {
            let got = t.get(name);
            assert!(
                got.iter().any(|s| s.addr == *addr && s.kind == *kind as u8),
                "{name}: {got:?}"
            );
        }
        assert_eq!(t.get("same_static").len(), 2);
        assert_eq!(t.extent(IMAGE_VA + 0x100000), Some(0x40));
        assert_eq!(t.extent(IMAGE_VA + 0x300000), Some(0x40000));
        let found = kallsyms::lookup(
            &km,
            &vi,
            &["__start_BTF", "nothere"],
            ("init_top_pgt", IMAGE_VA + 0x200000),
        )
        .unwrap();
        assert_eq!(found, vec![Some(IMAGE_VA + 0x300000), None]);
        // Every mode of the fuzz entry point on a few inputs, the empty one included.
        for d in [
            &[][..],
            &[0],
            &[0, 0xff, 0xff],
            &[1, 8, 0x10, 0xff],
            &[2, 8, 0x10, 0x81],
            &[3, b'x'],
        ] {
            fuzz_kallsyms(d);
        }
    }

    /// Fuzz findings, each the input as the fuzzer wrote it (docs/fuzzing.md).
    #[test]
    fn fuzz_findings_are_handled() {
        // 2026-12-04: a name of short tokens filling the buffer to within a slot of its end,
        // then a long token: the room left was computed as a negative number.
        fuzz_kallsyms(include_bytes!(
            "../../testdata/fuzz-findings/kallsyms-long-token-past-the-name-buffer"
        ));
    }
}
