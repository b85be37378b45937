#!/usr/bin/env bash
# run-tests.sh: the project's test command. Installs what it needs (as root), builds the real-dump
# test bed into the cache (warm: seconds; cold: see README), runs every test, fails if any
# real-dump test ran no case, then runs every fuzz target for a short fixed time.
set -euo pipefail
cd "$(dirname "$0")/.."
. testdata/lib.sh
export MODCRASH_REQUIRE_FIXTURES=1
bash testdata/gen.sh
log "tracker/: host unit tests, the kernel's checkpatch.pl, and a DKMS build + install on Debian's 6.1 headers"
make -s -C tracker/test/userspace check
checkpatch=$(checkpatch_pl)
# Fails on any checkpatch error or warning (--quiet: prints only those).
make -s -C tracker checkpatch CHECKPATCH="$checkpatch" CHECKPATCH_FLAGS=--quiet
echo "checkpatch: tracker/ sources have no errors or warnings"
bash testdata/dkms-check.sh
log "running cargo test --release"
export MODCRASH_CASE_LOG; MODCRASH_CASE_LOG=$(mktemp)
cargo test --release --no-fail-fast 2>&1 | tee "$MODCRASH_CASE_LOG.out"
# Every test that calls record_cases() must have logged a positive count.
fail=0
for t in $(grep -rhoE 'record_cases\("[a-z0-9_]+"' tests | sed 's/.*("//; s/"$//' | sort -u); do
	n=$(awk -v t="$t" '$1==t{s+=$2} END{print s+0}' "$MODCRASH_CASE_LOG")
	if [ "$n" -gt 0 ]; then echo "real-dump test $t: $n cases"
	else echo "FAIL: real-dump test $t ran no case"; fail=1; fi
done
total=$(awk '{s+=$2} END{print s+0}' "$MODCRASH_CASE_LOG")
echo "real-dump cases run in total: $total"
[ "$total" -gt 0 ] || fail=1
rm -f "$MODCRASH_CASE_LOG" "$MODCRASH_CASE_LOG.out"
log "fuzz targets, ${FUZZ_SECONDS:-20} s each (testdata/fuzz-smoke.sh)"
bash testdata/fuzz-smoke.sh || fail=1
exit $fail
