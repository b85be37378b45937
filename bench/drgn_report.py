#!/usr/bin/env python3
"""The peer side of bench/bench.py: modcrash's full report, done with drgn as far as drgn can.

Usage: python3 drgn_report.py VMCORE VMLINUX

Identity (release, build-id note, KASLR offset), tainted_mask decoded with the dump's own
taint_flags[], every loaded module (name, taints, state, size, refcount, base, version),
last_unloaded_module, unloaded_tainted_modules and the MODULE_STATS counters plus
dup_failed_modules where the kernel has them. Prints plain text; exit 1 if the dump or the
module list cannot be read (the first line of stderr is the error).
"""
import sys

import drgn
from drgn import FaultError, ObjectNotFoundError
from drgn.helpers.linux.list import list_for_each_entry


def opt(fn, default=None):
    try:
        return fn()
    except (LookupError, FaultError, ObjectNotFoundError, AttributeError, ValueError) as e:
        return default if default is not None else f"<{type(e).__name__}: {e}>"


def cstr(obj):
    return obj.string_().decode(errors="replace")


def main():
    vmcore, vmlinux = sys.argv[1], sys.argv[2]
    prog = drgn.Program()
    prog.set_core_dump(vmcore)
    prog.load_debug_info([vmlinux], default=False)

    # Identity.
    release = opt(lambda: cstr(prog["init_uts_ns"].name.release))
    print(f"release {release}")
    info = opt(lambda: prog["vmcoreinfo_data"].string_().decode(errors="replace"), "")
    kv = dict(l.split("=", 1) for l in info.splitlines() if "=" in l)
    print(f"build_id {kv.get('BUILD-ID', '?')}")
    print(f"kerneloffset {kv.get('KERNELOFFSET', '?')}")
    print(f"l5 {opt(lambda: int(prog['__pgtable_l5_enabled']), 0)}")
    print(f"page_offset_base {opt(lambda: hex(int(prog['page_offset_base'])))}")

    # Taint.
    mask = int(prog["tainted_mask"])
    flags = opt(lambda: prog["taint_flags"], None)
    letters = []
    if flags is not None and not isinstance(flags, str):
        letters = [chr(int(flags[i].c_true)) for i in range(len(flags))]

    def decode(bits):
        if not letters:
            return hex(bits)
        return "".join(c for i, c in enumerate(letters) if bits >> i & 1) or "-"

    print(f"tainted_mask {mask:#x} {decode(mask)}")

    # Loaded modules (newest first, like /proc/modules).
    n = 0
    for mod in list_for_each_entry("struct module", prog["modules"].address_of_(), "list"):
        name = cstr(mod.name)
        taints = int(mod.taints)
        tl = decode(taints)
        state = mod.state.format_(type_name=False)
        if opt(lambda: mod.mem, None) is not None and not isinstance(opt(lambda: mod.mem, None), str):
            size = sum(int(mod.mem[i].size) for i in range(len(mod.mem)))  # 6.4+
            base = int(mod.mem[0].base)
        else:
            size = int(mod.core_layout.size) + opt(lambda: int(mod.init_layout.size), 0)
            base = int(mod.core_layout.base)
        refs = opt(lambda: int(mod.refcnt.counter) - 1)
        version = opt(lambda: cstr(mod.version) if mod.version else "", "")
        print(f"module {name} {tl} {state} {size} {refs} {base:#x} {version}")
        n += 1
    print(f"modules {n}")

    last = opt(lambda: cstr(prog["last_unloaded_module"].name)
               if prog["last_unloaded_module"].type_.kind == drgn.TypeKind.STRUCT
               else cstr(prog["last_unloaded_module"]))
    print(f"last_unloaded {last}")

    # CONFIG_MODULE_UNLOAD_TAINT_TRACKING (5.19+).
    try:
        head = prog["unloaded_tainted_modules"]
    except KeyError:
        print("unloaded_tainted_modules: not in this kernel")
    else:
        for e in list_for_each_entry("struct mod_unload_taint", head.address_of_(), "list"):
            count = e.count.counter if e.count.type_.kind == drgn.TypeKind.STRUCT else e.count
            print(f"unloaded {cstr(e.name)} {decode(int(e.taints))} {int(count)}")

    # CONFIG_MODULE_STATS (6.4+).
    try:
        head = prog["dup_failed_modules"]
    except KeyError:
        print("module stats: not in this kernel")
    else:
        for var in ("modcount", "failed_kreads", "failed_decompress", "failed_becoming",
                    "failed_load_modules", "total_mod_size", "total_text_size",
                    "invalid_kread_bytes", "invalid_decompress_bytes",
                    "invalid_becoming_bytes", "invalid_mod_bytes"):
            print(f"stat {var} {opt(lambda: int(prog[var].counter))}")
        for e in list_for_each_entry("struct mod_fail_load", head.address_of_(), "list"):
            print(f"dup_failed {cstr(e.name)} {int(e.count.counter)} {int(e.dup_fail_mask):#x}")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report the first line, exit non-zero
        print(f"drgn_report: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
              file=sys.stderr)
        sys.exit(1)
