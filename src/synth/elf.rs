//! ELF64 core writer (x86_64, little-endian). Offsets from the ELF spec: Elf64_Ehdr 64 bytes,
//! Elf64_Phdr 56 bytes.

use super::bytes::{notes_blob, Buf};
use super::{Page, Spec};

/// Where the headers go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfLayout {
    /// /proc/vmcore / makedumpfile: phdrs at 64, e_ehsize 64, p_vaddr = direct-map address.
    Kernel,
    /// QEMU 7.2 `dump-guest-memory`: two section headers at 64, phdrs at 192, e_ehsize 8,
    /// p_vaddr == p_paddr.
    Qemu,
}

struct Load {
    paddr: u64,
    data: Vec<u8>,
    memsz: u64,
    /// Byte in `data` where the first lost page starts, if any.
    lost_at: Option<usize>,
}

/// Write an ELF vmcore. Like `makedumpfile -E`, excluded pages become the tail of a PT_LOAD
/// (p_memsz > p_filesz); an excluded run at the start of a RAM range gets a PT_LOAD with
/// p_filesz 0. With `spec.incomplete`, e_flags bit 0 is set and the file ends where the first
/// lost page's data would start.
pub fn elf(spec: &Spec, layout: ElfLayout) -> Vec<u8> {
    let ps = spec.page_size as u64;
    let mut loads: Vec<Load> = Vec::new();
    for &(a, b) in &spec.ram {
        let mut pfn = a;
        while pfn < b {
            let mut l = Load {
                paddr: pfn * ps,
                data: Vec::new(),
                memsz: 0,
                lost_at: None,
            };
            while pfn < b {
                match spec.pages.get(&pfn) {
                    Some(Page::Data(d)) => l.data.extend_from_slice(d),
                    Some(Page::Lost) => {
                        l.lost_at.get_or_insert(l.data.len());
                        l.data.extend(std::iter::repeat_n(0u8, ps as usize));
                    }
                    None => break,
                }
                pfn += 1;
            }
            while pfn < b && !spec.pages.contains_key(&pfn) {
                pfn += 1;
            }
            l.memsz = pfn * ps - l.paddr;
            loads.push(l);
        }
    }

    let notes = notes_blob(spec.prstatus_notes, spec.vmcoreinfo.as_deref());
    let phnum = 1 + loads.len();
    let (phoff, ehsize, shoff, shnum) = match layout {
        ElfLayout::Kernel => (64usize, 64u16, 0u64, 0u16),
        ElfLayout::Qemu => (192, 8, 64, 2),
    };
    let notes_off = phoff + phnum * 56;
    let mut data_off = (notes_off + notes.len()).div_ceil(ps as usize) * ps as usize;

    let mut f = Buf::default();
    f.at(0, &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]); // ELFCLASS64, ELFDATA2LSB, EV_CURRENT
    f.u16(16, 4); // e_type ET_CORE
    f.u16(18, 62); // e_machine EM_X86_64
    f.u32(20, 1); // e_version
    f.u64(24, 0); // e_entry
    f.u64(32, phoff as u64); // e_phoff
    f.u64(40, shoff); // e_shoff
    f.u32(48, if spec.incomplete { 1 } else { 0 }); // e_flags
    f.u16(52, ehsize); // e_ehsize
    f.u16(54, 56); // e_phentsize
    f.u16(56, phnum as u16); // e_phnum
    f.u16(58, if shnum > 0 { 64 } else { 0 }); // e_shentsize
    f.u16(60, shnum); // e_shnum
    f.u16(62, 0); // e_shstrndx
    if layout == ElfLayout::Qemu {
        // Two section headers like QEMU's (a null one and one whose sh_info carries phnum).
        f.at(64, &[0u8; 128]);
        f.u32(64 + 64 + 4, 4); // sh_type SHT_NOTE-ish filler
    }

    let phdr = |f: &mut Buf,
                i: usize,
                p_type: u32,
                off: u64,
                vaddr: u64,
                paddr: u64,
                filesz: u64,
                memsz: u64| {
        let o = phoff + i * 56;
        f.u32(o, p_type);
        f.u32(o + 4, if p_type == 1 { 7 } else { 0 }); // p_flags RWX for loads
        f.u64(o + 8, off);
        f.u64(o + 16, vaddr);
        f.u64(o + 24, paddr);
        f.u64(o + 32, filesz);
        f.u64(o + 40, memsz);
        f.u64(o + 48, 0); // p_align
    };
    phdr(
        &mut f,
        0,
        4,
        notes_off as u64,
        0,
        0,
        notes.len() as u64,
        notes.len() as u64,
    );
    f.at(notes_off, &notes);

    let mut cut: Option<usize> = None;
    for (i, l) in loads.iter().enumerate() {
        let vaddr = match layout {
            ElfLayout::Qemu => l.paddr,
            ElfLayout::Kernel => 0xffff_8880_0000_0000u64.wrapping_add(l.paddr),
        };
        phdr(
            &mut f,
            1 + i,
            1,
            data_off as u64,
            vaddr,
            l.paddr,
            l.data.len() as u64,
            l.memsz,
        );
        if let (Some(at), None) = (l.lost_at, cut) {
            cut = Some(data_off + at);
        }
        f.at(data_off, &l.data);
        data_off += l.data.len();
    }
    f.pad_to(data_off);
    let mut out = f.0;
    if spec.incomplete {
        if let Some(c) = cut {
            out.truncate(c);
        }
    }
    out
}
