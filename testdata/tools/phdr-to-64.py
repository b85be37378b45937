#!/usr/bin/env python3
"""phdr-to-64.py ELF: rewrite a QEMU >= 7.2 dump-guest-memory ELF core in place so that
makedumpfile 1.7 can read it. QEMU puts the program headers at e_phoff (192, after a small
section table) and writes e_ehsize = 8; makedumpfile assumes they follow the 64-byte ELF header.
The program header table is moved to offset 64 and the section table dropped. The loads are
untouched, so modcrash's byte-for-byte page comparison against the original still holds."""
import struct
import sys

with open(sys.argv[1], "r+b") as f:
    ehdr = bytearray(f.read(64))
    if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2 or ehdr[5] != 1:
        sys.exit("not a little-endian ELF64 file")
    (phoff,) = struct.unpack_from("<Q", ehdr, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", ehdr, 0x36)
    if phoff == 64:
        sys.exit(0)
    f.seek(phoff)
    table = f.read(phentsize * phnum)
    data_start = min(struct.unpack_from("<Q", table, i * phentsize + 8)[0] for i in range(phnum))
    if 64 + len(table) > data_start:
        sys.exit("no room to move the program headers to offset 64")
    struct.pack_into("<QQ", ehdr, 0x20, 64, 0)      # e_phoff, e_shoff
    struct.pack_into("<H", ehdr, 0x34, 64)          # e_ehsize
    struct.pack_into("<HHH", ehdr, 0x3A, 0, 0, 0)   # e_shentsize, e_shnum, e_shstrndx
    f.seek(0)
    f.write(ehdr)
    f.write(table)
