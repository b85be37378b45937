#!/usr/bin/env python3
"""`modcrash log` against drgn's get_dmesg() and crash's `log` on the same dumps.

Usage: python3 bench/log_bench.py [--runs N] [--crash-runs N] [--scenarios a,b] [--variants x,y]
                                  [--synthetic ELF] [--drgn PYTHON]

Each tool runs once untimed (warm page cache, and the correctness gate: its output must hold the
guest's expected/dmesg line for line, in order), then N timed runs; the tools alternate within a
round. Wall time is taken around fork/exec/wait, peak RSS is the child's ru_maxrss (wait4).
modcrash runs without a vmlinux and with the matching one; drgn and crash need the vmlinux.
--synthetic times modcrash alone on a dump written by `examples/printk_ring.rs`.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("MODCRASH_CACHE", Path.home() / ".cache/modcrash"))
DRGN_SCRIPT = """
import sys, drgn
from drgn.helpers.linux.printk import get_dmesg
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]], default=False)
sys.stdout.buffer.write(get_dmesg(prog))
"""


def run_rss(cmd):
    """Run with os.fork/execvp/wait4 to get this child's own peak RSS."""
    r, w = os.pipe()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(w, 1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(r)
        os.execvp(cmd[0], cmd)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 1 << 16)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    return os.waitstatus_to_exitcode(status), b"".join(chunks), wall, ru.ru_maxrss


def holds(out: bytes, expected: bytes) -> bool:
    lines = [l for l in out.split(b"\n")]
    exp = expected.rstrip(b"\n").split(b"\n")
    # crash prints other lines (bt warnings) before the log: start at the first expected line.
    try:
        i = lines.index(exp[0])
    except ValueError:
        return False
    return lines[i:i + len(exp)] == exp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--crash-runs", type=int, default=3)
    ap.add_argument("--scenarios", default="deb61-kaslr,deb612-kaslr,upstream-kaslr")
    ap.add_argument("--variants", default="qemu-elf,md-c-d31")
    ap.add_argument("--synthetic")
    ap.add_argument("--drgn", default=str(CACHE / "venv-drgn/bin/python"))
    ap.add_argument("--json")
    a = ap.parse_args()
    modcrash = str(ROOT / "target/release/modcrash")
    drgn_py = Path("/tmp") / f"modcrash-log-bench-drgn-{os.getpid()}.py"
    drgn_py.write_text(DRGN_SCRIPT)
    crash_cmds = Path("/tmp") / f"modcrash-log-bench-crash-{os.getpid()}"
    crash_cmds.write_text("log\nexit\n")
    results = []
    print(f"- date: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}, load average {os.getloadavg()}")

    jobs = []
    for s in a.scenarios.split(","):
        fdir = CACHE / "fixtures" / s
        m = json.loads((fdir / "manifest.json").read_text())
        expected = (fdir / m["expected"]["dmesg"]).read_bytes()
        vml = str(fdir / m["vmlinux"])
        for d in m["dumps"]:
            if d["variant"] not in a.variants.split(","):
                continue
            core = str(fdir / d["file"])
            tools = {
                "modcrash log": [modcrash, "log", core],
                "modcrash log +vmlinux": [modcrash, "log", core, vml],
                "drgn get_dmesg": [a.drgn, str(drgn_py), core, vml],
                "crash log": ["crash", "-s", vml, core, "-i", str(crash_cmds)],
            }
            jobs.append((f"{s} {d['variant']}", tools, expected))
    if a.synthetic:
        jobs.append(("synthetic 1 MiB ring", {"modcrash log": [modcrash, "log", a.synthetic]}, None))

    for name, tools, expected in jobs:
        ok = {}
        for t, cmd in tools.items():
            code, out, _, _ = run_rss(cmd)
            good = code in (0, 1) and (expected is None or holds(out, expected))
            ok[t] = good
        times = {t: [] for t in tools if ok[t]}
        rss = {t: 0 for t in tools}
        for i in range(a.runs):
            order = list(times)
            order = order[i % len(order):] + order[:i % len(order)] if order else order
            for t in order:
                if t == "crash log" and i >= a.crash_runs:
                    continue
                _, _, wall, maxrss = run_rss(tools[t])
                times[t].append(wall)
                rss[t] = max(rss[t], maxrss)
        for t in tools:
            if not ok[t]:
                row = (name, t, None, None, None)
                print(f"| {name} | {t} | fails (output does not hold the guest's dmesg, or exit status) | |")
            else:
                med = statistics.median(times[t])
                row = (name, t, med, max(times[t]), rss[t] / 1024)
                print(f"| {name} | {t} | {med * 1000:.0f} ms (max {max(times[t]) * 1000:.0f}) | {rss[t] / 1024:.0f} MiB |")
            results.append(row)
            sys.stdout.flush()
    print(f"- load average at end {os.getloadavg()}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    drgn_py.unlink()
    crash_cmds.unlink()


if __name__ == "__main__":
    main()
