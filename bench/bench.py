#!/usr/bin/env python3
"""bench.py: modcrash against drgn and crash on the test bed's real dumps.

For every selected scenario and dump variant, each tool runs once untimed (warm page cache),
then N timed runs, with the tools ALTERNATING inside each round (the order rotates from round
to round). A run counts only if the tool's output lists the known module `modcrash_stay`: a
fast failure is not a fast run. A tool that fails its warm-up on a dump is reported as failing,
with the first line of its error, and not run again on that dump.

Wall time is measured around fork+exec+wait; peak RSS is ru_maxrss of the child (wait4).

Prints a Markdown report on stdout (and writes it to --out). See bench/run.sh for the wrapper
that builds modcrash and installs the peers.
"""
import argparse
import datetime
import json
import os
import platform
import select
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.environ.get("MODCRASH_CACHE", os.path.expanduser("~/.cache/modcrash"))
MARKER = "modcrash_stay"  # loaded in every scenario of the test bed
DEFAULT_SCENARIOS = "deb61-kaslr,deb612-kaslr,upstream-kaslr"
DEFAULT_VARIANTS = "qemu-elf,qemu-kdump-zlib-flat,md-c-d31,md-l-d31,md-c-d31-flat,md-E-d31"
TOOLS = ("modcrash", "drgn", "crash")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _cpu_ticks(pid):
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def busy(sample=1.0):
    """cc1 / qemu-system processes that are using CPU (the test bed's kernel build and QEMU
    boots): {name: count}. A process asleep in the sample (e.g. a QEMU left waiting) does not
    disturb a measurement and is not counted."""
    pids = {}
    for name in ("cc1", "qemu-system"):
        r = subprocess.run(["pgrep", name], capture_output=True, text=True)
        for pid in r.stdout.split():
            pids[pid] = name
    if not pids:
        return {}
    before = {p: _cpu_ticks(p) for p in pids}
    time.sleep(sample)
    n = {}
    hz = os.sysconf("SC_CLK_TCK")
    for p, name in pids.items():
        a, b = before[p], _cpu_ticks(p)
        if a is not None and b is not None and (b - a) / hz > 0.02 * sample:
            n[name] = n.get(name, 0) + 1
    return n


def wait_idle(limit):
    t0 = time.time()
    while True:
        b = busy()
        if not b:
            return
        if time.time() - t0 > limit:
            sys.exit(f"bench: still busy after {limit} s: {b}; not measuring")
        log(f"waiting for {b} to finish before measuring")
        time.sleep(30)


def run_measured(cmd, timeout):
    """Fork/exec with os.wait4 so peak RSS is the child's own (and its reaped descendants')."""
    r, w = os.pipe()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(r)
            fd = os.open(os.devnull, os.O_RDONLY)
            os.dup2(fd, 0)
            os.dup2(w, 1)
            os.dup2(w, 2)
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    os.close(w)
    chunks = []
    deadline = t0 + timeout
    killed = False
    while True:
        left = deadline - time.perf_counter()
        if left <= 0 and not killed:
            os.kill(pid, 9)
            killed = True
        ready, _, _ = select.select([r], [], [], max(left, 0.1) if not killed else 1)
        if ready:
            b = os.read(r, 1 << 16)
            if not b:
                break
            chunks.append(b)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    os.close(r)
    rc = os.waitstatus_to_exitcode(status)
    out = b"".join(chunks).decode(errors="replace")
    if killed:
        out += "\n(timeout)"
    return wall, ru.ru_maxrss, rc, out


def first_error(tool, rc, out):
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    keys = {"modcrash": ("error", "Error"),
            "drgn": ("drgn_report:", "Error", "error"),
            "crash": ("crash:",)}[tool]
    for l in lines:
        if any(l.startswith(k) or k in l for k in keys):
            return l.removeprefix("drgn_report: ")[:160]
    if lines:
        return lines[-1][:160]
    return f"exit status {rc}, no output"


def ok(tool, rc, out):
    if MARKER not in out:
        return False
    if tool == "modcrash":
        return rc in (0, 1)  # 1 = report produced with warnings
    if tool == "drgn":
        return rc == 0
    return True  # crash exits 0 or 1 depending on its last command; the module list is what counts


def tool_cmd(tool, args, dump, vmlinux):
    if tool == "modcrash":
        # --no-vmlinux: the dump's own kallsyms and BTF (drgn still gets the vmlinux: it has no
        # BTF loader).
        return [args.modcrash, dump] if args.no_vmlinux else [args.modcrash, dump, vmlinux]
    if tool == "drgn":
        return [args.drgn_python, os.path.join(HERE, "drgn_report.py"), dump, vmlinux]
    return [args.crash, "-s", vmlinux, dump, "-i", os.path.join(HERE, "crash_cmds")]


def stats(samples):
    walls = [s[0] for s in samples]
    rss = [s[1] for s in samples]
    return {"n": len(samples), "median": statistics.median(walls), "min": min(walls),
            "max": max(walls), "rss_kib": max(rss), "rss_med_kib": statistics.median(rss)}


def bench_dump(args, tools, dump, vmlinux):
    """Results per tool: {"ok": stats} or {"fail": msg, "wall": s, "rss_kib": n}."""
    res = {}
    runs = {"modcrash": args.runs, "drgn": args.runs, "crash": args.crash_runs}
    live = []
    for t in tools:  # untimed warm-up, also the correctness gate
        wall, rss, rc, out = run_measured(tool_cmd(t, args, dump, vmlinux), args.timeout)
        if ok(t, rc, out):
            live.append(t)
            res[t] = {"samples": []}
        else:
            res[t] = {"fail": first_error(t, rc, out), "wall": wall, "rss_kib": rss}
            log(f"  {t}: fails: {res[t]['fail']}")
    rounds = max([runs[t] for t in live] or [0])
    for i in range(rounds):
        if not live:
            break
        order = live[i % len(live):] + live[:i % len(live)]
        for t in order:
            if len(res[t]["samples"]) >= runs[t]:
                continue
            wall, rss, rc, out = run_measured(tool_cmd(t, args, dump, vmlinux), args.timeout)
            if not ok(t, rc, out):  # flaky: record as failure rather than as a fast run
                res[t] = {"fail": "after a good warm-up: " + first_error(t, rc, out),
                          "wall": wall, "rss_kib": rss}
                live.remove(t)
                break
            res[t]["samples"].append((wall, rss))
    for t in tools:
        if "samples" in res[t]:
            res[t] = {"ok": stats(res[t]["samples"])}
            s = res[t]["ok"]
            log(f"  {t}: median {s['median']:.3f} s, peak {s['rss_kib'] / 1024:.0f} MiB")
    return res


def version(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unavailable"


def machine(args, tools):
    cpu = "?"
    try:
        for l in open("/proc/cpuinfo"):
            if l.startswith("model name"):
                cpu = l.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for l in open("/proc/meminfo"):
            if l.startswith("MemTotal"):
                mem = f"{int(l.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    v = {"modcrash": version([args.modcrash, "--version"])}
    if "drgn" in tools:
        v["drgn"] = version([args.drgn_python, "-c",
                             "import drgn; print('drgn', drgn.__version__, "
                             "'libkdumpfile' if drgn._with_libkdumpfile else 'no libkdumpfile')"])
    if "crash" in tools:
        v["crash"] = version([args.crash, "--version"]) or "crash"
        if not v["crash"].startswith("crash"):
            v["crash"] = "crash " + v["crash"]
    git = version(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    return [
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {os.cpu_count()} CPUs ({cpu}), {mem} RAM, Linux {platform.release()}",
        "- load average (1/5/15 min) at start: " + " / ".join(f"{x:.2f}" for x in os.getloadavg()),
        f"- tools: {'; '.join(f'{k}: {x}' for k, x in v.items())} (modcrash at {git})",
        f"- runs: {args.runs} per dump for modcrash and drgn, {args.crash_runs} for crash, "
        f"after one untimed warm-up each; tools alternate within each round",
    ]


def fmt_t(x):
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def cell(r):
    if r is None:
        return "–", "–"
    if "fail" in r:
        return f"fails ({fmt_t(r['wall'])}): `{r['fail'].replace('|', '/')}`", "–"
    s = r["ok"]
    noisy = " (noisy)" if s["max"] > 3 * s["median"] else ""
    return (f"**{fmt_t(s['median'])}** ({fmt_t(s['min'])}–{fmt_t(s['max'])}){noisy}",
            f"{s['rss_kib'] / 1024:.0f} MiB")


def ratio(a, b, key):
    if not a or not b or "ok" not in a or "ok" not in b:
        return "–"
    return f"{a['ok'][key] / b['ok'][key]:.1f}×"


def table(tools, rows):
    head = ["dump (size)"]
    for t in tools:
        head += [f"{t} wall: median (min–max)", f"{t} peak RSS"]
    for p in tools[1:]:
        head += [f"{p}/modcrash wall", f"{p}/modcrash RSS"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, res in rows:
        c = [label]
        for t in tools:
            c += list(cell(res.get(t)))
        for p in tools[1:]:
            c += [ratio(res.get(p), res.get("modcrash"), "median"),
                  ratio(res.get(p), res.get("modcrash"), "rss_kib")]
        out.append("| " + " | ".join(c) + " |")
    return out


def human(n):
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 5)),
                    help="timed runs of modcrash and drgn per dump (default 5; env RUNS)")
    ap.add_argument("--crash-runs", type=int, default=int(os.environ.get("CRASH_RUNS", 3)),
                    help="timed runs of crash per dump (default 3; env CRASH_RUNS)")
    ap.add_argument("--no-crash", action="store_true", default=os.environ.get("NO_CRASH") == "1",
                    help="skip crash (slow: ~10-20 s a run); env NO_CRASH=1")
    ap.add_argument("--no-drgn", action="store_true", default=os.environ.get("NO_DRGN") == "1")
    ap.add_argument("--no-vmlinux", action="store_true", default=os.environ.get("NO_VMLINUX") == "1",
                    help="modcrash reads the dump alone (kallsyms + BTF); drgn and crash get the vmlinux")
    ap.add_argument("--scenarios", default=os.environ.get("SCENARIOS", DEFAULT_SCENARIOS),
                    help=f"comma-separated (default {DEFAULT_SCENARIOS}; env SCENARIOS)")
    ap.add_argument("--variants", default=os.environ.get("VARIANTS", DEFAULT_VARIANTS),
                    help=f"comma-separated dump variants (default {DEFAULT_VARIANTS}; env VARIANTS)")
    ap.add_argument("--sparse", default=os.environ.get("SPARSE", ""),
                    help="scenario whose md-c-d31 kdump is also re-written to span 1 TiB "
                         "(examples/sparse_rewrite.rs) and benchmarked; '' = none")
    ap.add_argument("--fixtures", default=os.path.join(CACHE, "fixtures"))
    ap.add_argument("--modcrash", default=os.path.join(ROOT, "target/release/modcrash"))
    ap.add_argument("--drgn-python", default=os.path.join(CACHE, "venv-drgn/bin/python"))
    ap.add_argument("--crash", default=shutil.which("crash") or "crash")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--wait-idle", type=float, default=2400,
                    help="wait up to this many seconds for cc1/qemu-system to finish (0: don't check)")
    ap.add_argument("--out", help="also write the Markdown report here")
    ap.add_argument("--json", help="also write raw results as JSON here")
    args = ap.parse_args()

    tools = [t for t in TOOLS if not (t == "crash" and args.no_crash)
             and not (t == "drgn" and args.no_drgn)]
    variants = [v for v in args.variants.split(",") if v]
    if args.wait_idle > 0:
        wait_idle(args.wait_idle)

    md = ["# modcrash vs drgn vs crash", ""] + machine(args, tools) + [
        f"- command: `{' '.join(['bench/run.sh'] + sys.argv[1:])}`", ""]
    raw = {}
    verdict = []
    for sc in [s for s in args.scenarios.split(",") if s]:
        d = os.path.join(args.fixtures, sc)
        try:
            man = json.load(open(os.path.join(d, "manifest.json")))
        except OSError as e:
            log(f"{sc}: no manifest ({e}); skipped")
            continue
        vmlinux = os.path.join(d, man.get("vmlinux", "vmlinux"))
        vm_size = os.path.getsize(vmlinux)
        by_variant = {x["variant"]: x for x in man["dumps"]}
        rows = []
        dumps = [(v, os.path.join(d, by_variant[v]["file"])) for v in variants if v in by_variant]
        if args.sparse == sc and "md-c-d31" in by_variant:
            sp = os.path.join(CACHE, "bench", f"{sc}.md-c-d31.sparse-1tib.kdump")
            src = os.path.join(d, by_variant["md-c-d31"]["file"])
            ex = os.path.join(ROOT, "target/release/examples/sparse_rewrite")
            if not os.path.exists(sp) or os.path.getmtime(sp) < max(os.path.getmtime(src),
                                                                    os.path.getmtime(ex)):
                os.makedirs(os.path.dirname(sp), exist_ok=True)
                subprocess.run([ex, src, sp], check=True, stdout=sys.stderr)
            dumps.append(("md-c-d31 re-written to span 1 TiB", sp))
        for v, path in dumps:
            if args.wait_idle > 0 and busy():
                wait_idle(args.wait_idle)
            size = os.path.getsize(path)
            want = by_variant.get(v, {}).get("size")
            t0 = time.time()
            while want is not None and want != size:  # the test bed is rewriting the scenario
                if time.time() - t0 > max(args.wait_idle, 60):
                    sys.exit(f"bench: {path} is {size} bytes, its manifest says {want}")
                log(f"{path}: {size} bytes, manifest says {want}: waiting for testdata/gen.sh")
                time.sleep(30)
                try:
                    man = json.load(open(os.path.join(d, "manifest.json")))
                    by_variant = {x["variant"]: x for x in man["dumps"]}
                    want = by_variant.get(v, {}).get("size")
                    size = os.path.getsize(path)
                except (OSError, ValueError):
                    pass
            if args.wait_idle > 0 and busy():
                wait_idle(args.wait_idle)
            log(f"{sc} {v} ({human(size)})")
            res = bench_dump(args, tools, path, vmlinux)
            raw[f"{sc}/{v}"] = {"file": path, "size": size, "results": res}
            rows.append((f"{v} ({human(size)})", res))
            m, g = res.get("modcrash"), res.get("drgn")
            if sc.startswith("deb6") and m and g and "ok" in m and "ok" in g:
                verdict.append((sc, v, g["ok"]["median"] / m["ok"]["median"],
                                g["ok"]["rss_kib"] / m["ok"]["rss_kib"]))
        md += [f"## {sc}: {man.get('release', '?')} (vmlinux {human(vm_size)})", ""]
        md += table(tools, rows) + [""]
    if verdict:
        w = min(v[2] for v in verdict)
        r = min(v[3] for v in verdict)
        met = w >= 10 and r >= 5
        md += ["## Target: modcrash ≤ 1/10 of drgn's wall time and ≤ 1/5 of its peak RSS (6.1, 6.12)",
               "",
               f"Over the {len(verdict)} Debian dumps drgn can open, the smallest ratios are "
               f"{w:.1f}× (wall, median) and {r:.1f}× (peak RSS): target "
               f"{'met' if met else 'NOT met'}.", ""]
    md += ["load average (1/5/15 min) at the end: " + " / ".join(f"{x:.2f}" for x in os.getloadavg()), ""]
    text = "\n".join(md)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(raw, f, indent=1)


if __name__ == "__main__":
    main()
