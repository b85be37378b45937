#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# modtrack guest workload, for a busybox guest (sh, insmod, rmmod, cp).
#
#   guest-workload.sh [MODDIR]
#
# MODDIR (default /modules) holds modtrack.ko and the test modules
# mt_test_a.ko, mt_test_b.ko, mt_test_c.ko built from test/modules/ for the
# guest's kernel.  The script loads modtrack first, runs a small workload
# and prints modtrack's debugfs files (and the kernel's own, where the
# kernel has them) between markers on stdout:
#
#   MODTRACK-WORKLOAD-BEGIN
#   MODTRACK-STATS-BEGIN ... MODTRACK-STATS-END
#   MODTRACK-UNLOADED-BEGIN ... MODTRACK-UNLOADED-END
#   MODTRACK-STATUS-BEGIN ... MODTRACK-STATUS-END
#   KERNEL-STATS-BEGIN ... KERNEL-STATS-END          (MODULE_STATS kernels)
#   KERNEL-UNLOADED-BEGIN ... KERNEL-UNLOADED-END    (tracking kernels)
#   MODTRACK-WORKLOAD-END errors=N
#
# Environment:
#   MODTRACK_SKIP_LOAD=1  modtrack is already loaded (e.g. from initramfs)
#   MODTRACK_CRASH=oops   end with an oops in mt_test_a's init (die notifier)
#   MODTRACK_CRASH=panic  end with echo c > /proc/sysrq-trigger (panic)
#
# Expected on Debian 6.12 with busybox insmod (which retries a failed
# finit_module() with init_module(), so every failing insmod is 2 loads),
# counting from modtrack's own load; T is the taint string of an
# out-of-tree unsigned module, "OE" on Debian's signed kernels:
#   unloaded_tainted:  mt_test_c (T) 1 / mt_test_b (T) 2 / mt_test_a (T) 3
#   stats:             Mods ever loaded 5 (modtrack, a x3, c)
#                      Mods failed on becoming 4, Mods failed on load 0
#                      Duplicate failed modules: mt_test_c 4 Becoming
# On 6.1 (no early duplicate check) the duplicates fail after allocation:
#                      Mods failed on becoming 0, Mods failed on load 4
#                      Duplicate failed modules: mt_test_c 4 Load
# On a kernel with MODULE_STATS/MODULE_UNLOAD_TAINT_TRACKING the kernel's
# own files count from boot: compare their changes, not their totals.

MODDIR=${1:-${MODDIR:-/modules}}
DBG=/sys/kernel/debug
TMP=${TMPDIR:-/tmp}
errors=0

say() { echo "$*"; }
err() { echo "MODTRACK-ERROR: $*"; errors=$((errors + 1)); }

# run CMD...: run it, report a failure, never stop the script
run() { "$@" || err "failed: $*"; }
# fails CMD...: the command is expected to fail
fails() { if "$@" 2>/dev/null; then err "unexpectedly succeeded: $*"; fi; }

show() {	# show TAG FILE
	echo "$1-BEGIN"
	cat "$2" 2>&1
	echo "$1-END"
}

say "MODTRACK-WORKLOAD-BEGIN"
grep -q " $DBG debugfs" /proc/mounts || mount -t debugfs debugfs "$DBG" ||
	err "cannot mount debugfs"

if [ "${MODTRACK_SKIP_LOAD:-0}" != 1 ]; then
	run insmod "$MODDIR/modtrack.ko"
fi
[ -r "$DBG/modtrack/stats" ] || err "no $DBG/modtrack/stats"

# 1. Three load/unload cycles of one tainted module: one entry, count 3.
for i in 1 2 3; do
	run insmod "$MODDIR/mt_test_a.ko"
	run rmmod mt_test_a
done

# 2. A failing init: free_module() runs, the module is recorded as
#    unloaded (twice with busybox insmod: finit_module, then init_module).
fails insmod "$MODDIR/mt_test_b.ko" fail_init=1

# 3. Duplicates.  A copy has another inode, so 6.5+ finit_module() does
#    not merge it with the first load (same-file loads wait and share the
#    result, and are counted nowhere).
cp "$MODDIR/mt_test_c.ko" "$TMP/mt_test_c_dup.ko" || err "cp failed"
insmod "$MODDIR/mt_test_c.ko" init_delay_ms=1500 &
first=$!
sleep 0.5
fails insmod "$TMP/mt_test_c_dup.ko"	# waits for the first, then fails
wait $first || err "slow insmod of mt_test_c failed"
fails insmod "$MODDIR/mt_test_c.ko"	# already live
run rmmod mt_test_c
rm -f "$TMP/mt_test_c_dup.ko"

show MODTRACK-STATS "$DBG/modtrack/stats"
show MODTRACK-UNLOADED "$DBG/modtrack/unloaded_tainted"
show MODTRACK-STATUS "$DBG/modtrack/status"
[ -r "$DBG/modules/stats" ] && show KERNEL-STATS "$DBG/modules/stats"
[ -r "$DBG/modules/unloaded_tainted" ] &&
	show KERNEL-UNLOADED "$DBG/modules/unloaded_tainted"

say "MODTRACK-WORKLOAD-END errors=$errors"

case "${MODTRACK_CRASH:-}" in
oops)
	# The oops kills insmod; dmesg then shows "Unloaded tainted modules:"
	# right after "Modules linked in:".
	insmod "$MODDIR/mt_test_a.ko" oops_init=1
	;;
panic)
	echo 1 > /proc/sys/kernel/sysrq
	echo c > /proc/sysrq-trigger
	;;
esac
exit $((errors != 0))
