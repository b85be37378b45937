#!/usr/bin/env python3
"""manifest.py SCENARIO_DIR KEY=VALUE...: write SCENARIO_DIR/manifest.json describing the
scenario, its dumps (variant, file, size, sha256) and the guest's expected files."""
import hashlib
import json
import os
import sys

d = sys.argv[1]
meta = dict(a.split("=", 1) for a in sys.argv[2:])
VARIANTS = {  # file name -> variant id, in the order tests report them
    "vmcore.elf": "qemu-elf",
    "vmcore.qemu-kdump-zlib.flat": "qemu-kdump-zlib-flat",
    "vmcore.qemu-kdump-zlib.kdump": "qemu-kdump-zlib",
    "vmcore.md-c-d31.kdump": "md-c-d31",
    "vmcore.md-l-d31.kdump": "md-l-d31",
    "vmcore.md-d31.kdump": "md-d31",
    "vmcore.md-c-d0.kdump": "md-c-d0",
    "vmcore.md-c-d31.flat": "md-c-d31-flat",
    "vmcore.md-E-d31.elf": "md-E-d31",
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


vmcoreinfo = {}
vi = os.path.join(d, "vmcoreinfo.txt")
if os.path.exists(vi):
    for line in open(vi):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            vmcoreinfo[k] = v
dumps = []
for f, variant in VARIANTS.items():
    p = os.path.join(d, f)
    if os.path.exists(p):
        dumps.append({"file": f, "variant": variant, "size": os.path.getsize(p), "sha256": sha256(p)})
expected = sorted(os.listdir(os.path.join(d, "expected")))
manifest = {
    "scenario": meta["scenario"],
    "kernel": meta["kernel"],
    "release": open(os.path.join(d, "expected", "uname")).read().strip(),
    "vmlinux": "vmlinux",
    "kerneloffset": "0x" + vmcoreinfo.get("KERNELOFFSET", "0"),
    "pgtable_l5_enabled": int(vmcoreinfo.get("NUMBER(pgtable_l5_enabled)", "0")),
    "build_id": vmcoreinfo.get("BUILD-ID"),
    "tracking": meta.get("tracking") == "1",
    "cmdline": meta.get("cmdline", ""),
    "qemu_cpu": meta.get("cpu", ""),
    "dumps": dumps,
    "expected": {name: "expected/" + name for name in expected},
}
with open(os.path.join(d, "manifest.json.tmp"), "w") as f:
    json.dump(manifest, f, indent=1)
    f.write("\n")
os.replace(os.path.join(d, "manifest.json.tmp"), os.path.join(d, "manifest.json"))
