#!/usr/bin/env python3
"""oracle.py ORACLE_LOG OUTDIR: decode the guest's base64 sections (written on ttyS1 between
MODCRASH-B64-BEGIN/END markers) into OUTDIR/expected/<name>, byte for byte. Fails unless the
log ends with MODCRASH-DONE and holds uname, proc_modules and tainted."""
import base64
import os
import sys

log, out = sys.argv[1], os.path.join(sys.argv[2], "expected")
os.makedirs(out, exist_ok=True)
lines = open(log, "rb").read().replace(b"\r", b"").decode("ascii", "replace").split("\n")
name, buf, found, done = None, [], [], False
for line in lines:
    if line.startswith("MODCRASH-B64-BEGIN "):
        name, buf = line.split(" ", 1)[1].strip(), []
    elif line.startswith("MODCRASH-B64-END ") and name:
        with open(os.path.join(out, name), "wb") as f:
            f.write(base64.b64decode("".join(buf)))
        found.append(name)
        name = None
    elif line.strip() == "MODCRASH-DONE":
        done = True
    elif name is not None:
        buf.append(line.strip())
missing = {"uname", "proc_modules", "tainted"} - set(found)
if not done or missing:
    sys.exit(f"oracle log {log} incomplete: done={done} missing={sorted(missing)}")
print(" ".join(found))
