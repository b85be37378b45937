#!/usr/bin/env bash
# demo.sh [SCENARIO]: make (or reuse) one real dump of the test bed and run modcrash on it.
# Default: upstream-kaslr, the kernel with the upstream tracking and stats (cold: about 10 min,
# mostly the kernel build; warm: seconds). deb61-kaslr is quicker cold (about 2 min).
set -euo pipefail
cd "$(dirname "$0")/.."
. testdata/lib.sh
S=${1:-upstream-kaslr}
F=${MODCRASH_FIXTURES:-$MODCRASH_CACHE/fixtures}/$S
bash testdata/gen.sh "$S"
cargo build --release --quiet
set -x
./target/release/modcrash "$F/vmcore.md-c-d31.kdump" "$F/vmlinux" || true
{ set +x; } 2>/dev/null
if [ -f "$F/expected/stats" ]; then
	echo "--- diff of modcrash --kernel-text stats against the guest's own debugfs file:"
	./target/release/modcrash "$F/vmcore.md-c-d31.kdump" "$F/vmlinux" --kernel-text stats | diff - "$F/expected/stats" && echo "(identical)"
fi
