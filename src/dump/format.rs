//! Raw on-disk structures, with the C names of makedumpfile's `diskdump_mod.h` / `makedumpfile.h`.
//! Only layout lives here; validation is done by the readers.

use scroll::{Pread, SizeWith};

/// `KDUMP   ` (makedumpfile, QEMU) and the legacy `DISKDUMP` signature.
pub const KDUMP_SIGNATURE: &[u8; 8] = b"KDUMP   ";
pub const DISKDUMP_SIGNATURE: &[u8; 8] = b"DISKDUMP";
/// Flattened format signature (NUL padded to 16 bytes).
pub const MAKEDUMPFILE_SIGNATURE: &[u8; 12] = b"makedumpfile";
/// Size of the flattened format's leading header (`MAX_SIZE_MDF_HEADER`).
pub const MDF_HEADER_SIZE: u64 = 4096;
pub const TYPE_FLAT_HEADER: i64 = 1;
pub const VERSION_FLAT_HEADER: i64 = 1;
pub const END_FLAG_FLAT_HEADER: i64 = -1;

/// `disk_dump_header.status` and `page_desc.flags` bits.
pub const DUMP_DH_COMPRESSED_ZLIB: u32 = 0x1;
pub const DUMP_DH_COMPRESSED_LZO: u32 = 0x2;
pub const DUMP_DH_COMPRESSED_SNAPPY: u32 = 0x4;
pub const DUMP_DH_COMPRESSED_INCOMPLETE: u32 = 0x8;
pub const DUMP_DH_EXCLUDED_VMEMMAP: u32 = 0x10;
pub const DUMP_DH_COMPRESSED_ZSTD: u32 = 0x20;
pub const DUMP_DH_COMPRESSED_MASK: u32 = DUMP_DH_COMPRESSED_ZLIB
    | DUMP_DH_COMPRESSED_LZO
    | DUMP_DH_COMPRESSED_SNAPPY
    | DUMP_DH_COMPRESSED_ZSTD;

/// `struct new_utsname`: six 65-byte fields.
pub const UTSNAME_FIELD_LEN: usize = 65;

/// `struct disk_dump_header` for a 64-bit target (timeval aligned to 8).
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct DiskDumpHeader {
    pub signature: [u8; 8],
    pub header_version: i32,
    /// sysname, nodename, release, version, machine, domainname.
    pub utsname: [u8; 390],
    pub _pad: [u8; 6],
    pub timestamp_sec: i64,
    pub timestamp_usec: i64,
    pub status: u32,
    pub block_size: i32,
    pub sub_hdr_size: i32,
    pub bitmap_blocks: u32,
    pub max_mapnr: u32,
    pub total_ram_blocks: u32,
    pub device_blocks: u32,
    pub written_blocks: u32,
    pub current_cpu: u32,
    pub nr_cpus: i32,
}
pub const DISK_DUMP_HEADER_SIZE: usize = 464;

/// `struct kdump_sub_header` (64-bit). Fields past what `header_version` defines are read as zero.
#[derive(Clone, Copy, Debug, Default, Pread, SizeWith)]
#[repr(C)]
pub struct KdumpSubHeader {
    pub phys_base: u64,
    pub dump_level: i32,
    pub split: i32,
    pub start_pfn: u64,
    pub end_pfn: u64,
    pub offset_vmcoreinfo: u64,
    pub size_vmcoreinfo: u64,
    pub offset_note: u64,
    pub size_note: u64,
    pub offset_eraseinfo: u64,
    pub size_eraseinfo: u64,
    pub start_pfn_64: u64,
    pub end_pfn_64: u64,
    pub max_mapnr_64: u64,
}
pub const KDUMP_SUB_HEADER_SIZE: usize = 104;

/// Bytes of the sub-header defined by each header version (index = version).
pub fn sub_header_len_for_version(version: i32) -> usize {
    match version {
        i32::MIN..=0 => 0,
        1 => 12,
        2 => 32,
        3 => 48,
        4 => 64,
        5 => 80,
        _ => KDUMP_SUB_HEADER_SIZE,
    }
}

/// `struct page_desc`.
#[derive(Clone, Copy, Debug, Default, Pread, SizeWith)]
#[repr(C)]
pub struct PageDesc {
    /// Byte offset of the page data in the file.
    pub offset: i64,
    /// Stored (possibly compressed) size.
    pub size: u32,
    pub flags: u32,
    pub page_flags: u64,
}
pub const PAGE_DESC_SIZE: u64 = 24;

/// `struct makedumpfile_header` (big-endian on disk).
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct MakedumpfileHeader {
    pub signature: [u8; 16],
    pub type_: i64,
    pub version: i64,
}

/// `struct makedumpfile_data_header` (big-endian on disk), followed by `buf_size` bytes.
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct MakedumpfileDataHeader {
    pub offset: i64,
    pub buf_size: i64,
}
pub const MDF_DATA_HEADER_SIZE: u64 = 16;

/// ELF `e_flags` bit makedumpfile sets on an incomplete ELF dump.
pub const ELF_DUMP_INCOMPLETE: u32 = 0x1;
/// `NT_PRSTATUS`.
pub const NT_PRSTATUS: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;
    use scroll::ctx::SizeWith;

    #[test]
    fn sizes_match_c() {
        assert_eq!(
            DiskDumpHeader::size_with(&scroll::LE),
            DISK_DUMP_HEADER_SIZE
        );
        assert_eq!(
            KdumpSubHeader::size_with(&scroll::LE),
            KDUMP_SUB_HEADER_SIZE
        );
        assert_eq!(PageDesc::size_with(&scroll::LE) as u64, PAGE_DESC_SIZE);
        assert_eq!(MakedumpfileHeader::size_with(&scroll::BE), 32);
    }
}

/// `Elf64_Ehdr` (read with the byte order from `e_ident[EI_DATA]`).
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct Elf64Ehdr {
    pub e_ident: [u8; 16],
    pub e_type: u16,
    pub e_machine: u16,
    pub e_version: u32,
    pub e_entry: u64,
    pub e_phoff: u64,
    pub e_shoff: u64,
    pub e_flags: u32,
    /// Not validated: QEMU 7.2 writes 8.
    pub e_ehsize: u16,
    pub e_phentsize: u16,
    pub e_phnum: u16,
    pub e_shentsize: u16,
    pub e_shnum: u16,
    pub e_shstrndx: u16,
}
pub const ELF64_EHDR_SIZE: usize = 64;

/// `Elf64_Phdr`.
#[derive(Clone, Copy, Debug, Pread, SizeWith)]
#[repr(C)]
pub struct Elf64Phdr {
    pub p_type: u32,
    pub p_flags: u32,
    pub p_offset: u64,
    pub p_vaddr: u64,
    pub p_paddr: u64,
    pub p_filesz: u64,
    pub p_memsz: u64,
    pub p_align: u64,
}
pub const ELF64_PHDR_SIZE: usize = 56;
/// `Elf64_Shdr` size, for the PN_XNUM case.
pub const ELF64_SHDR_SIZE: usize = 64;
pub const ET_REL: u16 = 1;
pub const ET_EXEC: u16 = 2;
pub const ET_DYN: u16 = 3;
pub const ET_CORE: u16 = 4;
pub const PT_LOAD: u32 = 1;
pub const PT_NOTE: u32 = 4;
pub const PN_XNUM: u16 = 0xffff;
