#!/usr/bin/env python3
"""vmcoreinfo.py ELF: print the VMCOREINFO note of an ELF core (program headers found by e_phoff).
The test bed's own copy, used only to key and describe fixtures; modcrash has its own reader."""
import struct
import sys

with open(sys.argv[1], "rb") as f:
    head = f.read(1 << 20)
    (phoff,) = struct.unpack_from("<Q", head, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", head, phoff + i * phentsize)
        if p_type != 4:  # PT_NOTE
            continue
        f.seek(p_offset)
        notes, pos = f.read(p_filesz), 0
        while pos + 12 <= len(notes):
            namesz, descsz, _ = struct.unpack_from("<III", notes, pos)
            pos += 12
            name = notes[pos:pos + namesz].rstrip(b"\0")
            pos += (namesz + 3) & ~3
            desc = notes[pos:pos + descsz]
            pos += (descsz + 3) & ~3
            if name == b"VMCOREINFO":
                sys.stdout.write(desc.rstrip(b"\0").decode())
                sys.exit(0)
sys.exit(1)
