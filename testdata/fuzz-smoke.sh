#!/usr/bin/env bash
# fuzz-smoke.sh [SECONDS]: every fuzz target of fuzz/ for a short fixed time (default 20 s each) on
# the stable toolchain (RUSTC_BOOTSTRAP=1, see fuzz/README.md), seeded from the synthetic dumps and
# the real log excerpts; fails if any target finds a crash, a timeout (5 s) or an out-of-memory
# input (2 GiB). What .ci/run uses to catch a regression; campaigns: docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. testdata/lib.sh
secs=${1:-${FUZZ_SECONDS:-20}}
need_pkgs g++
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
cargo run --release -q --example fuzz_seeds >/dev/null
mkdir -p fuzz/corpus/log_events fuzz/corpus/printk_ring
cp testdata/logs/*.dmesg fuzz/corpus/log_events/
log "building the fuzz targets"
cargo fuzz build >&2
fail=0
for t in $(cargo fuzz list); do
	if cargo fuzz run "$t" -- -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
		-print_final_stats=1 >"fuzz/$t.log" 2>&1; then
		echo "fuzz $t: $(grep -m1 '^Done' "fuzz/$t.log")"
	else
		echo "FAIL: fuzz $t found an input it cannot handle (fuzz/$t.log, fuzz/artifacts/$t/)"
		tail -n 30 "fuzz/$t.log"
		fail=1
	fi
done
exit $fail
