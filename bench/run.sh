#!/usr/bin/env bash
# bench/run.sh [bench.py options]: modcrash vs drgn vs crash on the test bed's real dumps.
# Builds modcrash (release), installs the peers if missing (crash from Debian, drgn from PyPI into
# $MODCRASH_CACHE/venv-drgn), waits until no kernel build or QEMU runs, then runs bench/bench.py,
# which prints a Markdown report. The dumps come from testdata/gen.sh (run it first).
# Env: RUNS, CRASH_RUNS, NO_CRASH=1, NO_DRGN=1, SCENARIOS, VARIANTS, SPARSE (see bench.py --help).
# Example (what docs/performance.md reports):
#   bench/run.sh --sparse deb61-kaslr --out docs/bench-latest.md
set -euo pipefail
cd "$(dirname "$0")/.."
. testdata/lib.sh
need_pkgs python3 python3-venv procps
[ "${NO_CRASH:-0}" = 1 ] || need_pkgs crash
if [ "${NO_DRGN:-0}" != 1 ] && ! "$MODCRASH_CACHE/venv-drgn/bin/python" -c 'import drgn' 2>/dev/null; then
	log "installing drgn into $MODCRASH_CACHE/venv-drgn"
	python3 -m venv "$MODCRASH_CACHE/venv-drgn"
	"$MODCRASH_CACHE/venv-drgn/bin/pip" install -q drgn >&2
fi
log "cargo build --release (modcrash and examples/sparse_rewrite)"
cargo build --release --bin modcrash --example sparse_rewrite >&2
exec python3 bench/bench.py "$@"
