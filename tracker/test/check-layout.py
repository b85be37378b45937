#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check modtrack_state in a built modtrack.ko against LAYOUT.md.

    check-layout.py path/to/modtrack.ko [--dump]

Reads the ELF symbol table, finds modtrack_state, and parses the object
the way a dump reader does: magic, version, sizes, then the named field
table.  It checks that the field table agrees with the fixed offsets in
LAYOUT.md and that the state holds no relocations (no pointers), so its
bytes in memory are the bytes in the file until the module runs.
Only the standard library is used.  Exit status 0 when all checks pass.
"""
import struct
import sys

# LAYOUT.md, layout version 1: (scope, name) -> (offset, size)
EXPECTED = {
    (0, "magic"): (0, 8), (0, "layout_version"): (8, 4),
    (0, "header_size"): (12, 4), (0, "state_size"): (16, 4),
    (0, "field_size"): (20, 4), (0, "nr_fields"): (24, 4),
    (0, "fields_offset"): (28, 4), (0, "seq"): (32, 8),
    (0, "flags"): (40, 4), (0, "linux_version_code"): (44, 4),
    (0, "release"): (48, 64), (0, "nr_taint_flags"): (112, 4),
    (0, "taint_module_mask"): (116, 4), (0, "taint_letters"): (120, 32),
    (0, "modcount"): (152, 8), (0, "failed_kreads"): (160, 8),
    (0, "failed_decompress"): (168, 8), (0, "failed_becoming"): (176, 8),
    (0, "failed_load_modules"): (184, 8), (0, "total_mod_size"): (192, 8),
    (0, "total_text_size"): (200, 8), (0, "invalid_kread_bytes"): (208, 8),
    (0, "invalid_decompress_bytes"): (216, 8),
    (0, "invalid_becoming_bytes"): (224, 8),
    (0, "invalid_mod_bytes"): (232, 8), (0, "untracked_loads"): (240, 8),
    (0, "probe_missed"): (248, 8),
    (0, "unloaded.head"): (256, 4), (0, "unloaded.nr_used"): (260, 4),
    (0, "unloaded.cap"): (264, 4), (0, "unloaded.entry_size"): (268, 4),
    (0, "unloaded.dropped"): (272, 8),
    (0, "dupfail.head"): (280, 4), (0, "dupfail.nr_used"): (284, 4),
    (0, "dupfail.cap"): (288, 4), (0, "dupfail.entry_size"): (292, 4),
    (0, "dupfail.dropped"): (296, 8),
    (0, "fields"): (304, 56 * 48), (0, "unloaded_pool"): (2992, 256 * 80),
    (0, "dupfail_pool"): (23472, 128 * 80),
    (1, "name"): (0, 56), (1, "taints"): (56, 8), (1, "count"): (64, 8),
    (1, "next"): (72, 4),
    (2, "name"): (0, 56), (2, "count"): (56, 8), (2, "reasons"): (64, 8),
    (2, "next"): (72, 4),
}


def sections(elf):
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3a)
    secs = []
    for i in range(shnum):
        (name, typ, flags, addr, off, size, link, info, align,
         entsize) = struct.unpack_from("<IIQQQQIIQQ", elf,
                                       shoff + i * shentsize)
        secs.append(dict(name=name, type=typ, off=off, size=size,
                         link=link, info=info, entsize=entsize))
    strtab = secs[shstrndx]
    for s in secs:
        end = elf.index(b"\0", strtab["off"] + s["name"])
        s["name"] = elf[strtab["off"] + s["name"]:end].decode()
    return secs


def main():
    path = sys.argv[1]
    elf = open(path, "rb").read()
    if elf[:4] != b"\x7fELF" or elf[4] != 2:
        sys.exit("not a 64-bit ELF file")
    secs = sections(elf)
    symtab = next(s for s in secs if s["type"] == 2)
    strtab = secs[symtab["link"]]
    sym = None
    for i in range(symtab["size"] // 24):
        st_name, st_info, st_other, st_shndx, st_value, st_size = \
            struct.unpack_from("<IBBHQQ", elf, symtab["off"] + i * 24)
        end = elf.index(b"\0", strtab["off"] + st_name)
        if elf[strtab["off"] + st_name:end] == b"modtrack_state":
            sym = (st_shndx, st_value, st_size, st_info >> 4)
    if not sym:
        sys.exit("no modtrack_state symbol")
    shndx, value, size, bind = sym
    sec = secs[shndx]
    base = sec["off"] + value
    st = elf[base:base + size]
    errors = []

    def check(cond, msg):
        if not cond:
            errors.append(msg)

    check(bind == 1, "modtrack_state is not a global symbol")
    check(sec["name"] == ".data", f"modtrack_state in {sec['name']}")
    check(st[:8] == b"MODTRACK", f"magic {st[:8]!r}")
    (version, header_size, state_size, field_size, nr_fields,
     fields_offset) = struct.unpack_from("<6I", st, 8)
    check(version == 1, f"layout_version {version}")
    check(state_size == size == 33712, f"state_size {state_size} {size}")
    check(header_size == 2992, f"header_size {header_size}")
    check(field_size == 48 and fields_offset == 304,
          f"field table {field_size} @{fields_offset}")
    seen = {}
    for i in range(nr_fields):
        off = fields_offset + i * field_size
        name = st[off:off + 32].split(b"\0")[0].decode()
        scope, typ, foff, fsize = struct.unpack_from("<HHII", st, off + 32)
        seen[(scope, name)] = (foff, fsize)
    check(seen == EXPECTED,
          "field table differs: " +
          str({k: (seen.get(k), EXPECTED.get(k))
               for k in set(seen) | set(EXPECTED)
               if seen.get(k) != EXPECTED.get(k)}))
    nr_taint, mask = struct.unpack_from("<II", st, 112)
    letters = st[120:152].split(b"\0")[0].decode()
    check(letters.startswith("PFSRMBUDAWCIOELKXTN"), f"letters {letters}")
    check(mask == 0x7B403, f"taint_module_mask {mask:#x}")
    head, nr_used, cap, esize = struct.unpack_from("<4I", st, 256)
    check((head, nr_used, cap, esize) == (0xFFFFFFFF, 0, 256, 80),
          f"unloaded list {head:#x} {nr_used} {cap} {esize}")
    head, nr_used, cap, esize = struct.unpack_from("<4I", st, 280)
    check((head, nr_used, cap, esize) == (0xFFFFFFFF, 0, 128, 80),
          f"dupfail list {head:#x} {nr_used} {cap} {esize}")
    # No relocation may point into the state: it holds no pointers.
    for s in secs:
        if s["type"] == 4 and secs[s["info"]]["name"] == ".data":
            for i in range(s["size"] // 24):
                r_off, = struct.unpack_from("<Q", elf, s["off"] + i * 24)
                if value <= r_off < value + size:
                    errors.append(f"relocation at state+{r_off - value}")
    if "--dump" in sys.argv:
        for (scope, name), (foff, fsize) in sorted(
                seen.items(), key=lambda kv: (kv[0][0], kv[1][0])):
            print(f"{scope} {foff:6d} {fsize:6d} {name}")
        print(f"nr_taint_flags {nr_taint} letters {letters} mask {mask:#x}")
    for e in errors:
        print("FAIL:", e)
    print(f"check-layout {path}: {'FAIL' if errors else 'OK'}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
