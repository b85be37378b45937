#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# modtrack stress test, for a busybox guest.
#
#   stress.sh [MODDIR]
#
# MODDIR (default /modules) holds modtrack.ko, mt_test_a.ko, mt_test_b.ko.
#   1. loads modtrack (unless already loaded)
#   2. CYCLES (1000) insmod/rmmod cycles of mt_test_a; its unloaded_tainted
#      count must grow by exactly CYCLES
#   3. ROUNDS (20) rounds of LOADERS (8) concurrent loads of mt_test_b
#      from LOADERS different files (so that finit_module() does not merge
#      them); init sleeps, so the others wait for the first and fail.
#      Every round exactly one load wins; the duplicate counters must grow
#   4. rmmod modtrack and insmod it again (fresh state); no kprobe left
#      after rmmod; RELOADS (50) reloads keep no kernel memory (slab,
#      vmalloc, percpu in /proc/meminfo, against a plain module)
#   5. the kernel log must have no BUG, WARNING, Oops, ... since step 1
#      (a start marker goes to /dev/kmsg; if it wraps away, the whole
#      log is checked)
# Prints "MODTRACK-STRESS-RESULT: N passed, N failed" last; exits non-zero
# on any failure.

MODDIR=${1:-${MODDIR:-/modules}}
CYCLES=${CYCLES:-1000}
LOADERS=${LOADERS:-8}
ROUNDS=${ROUNDS:-20}
DBG=/sys/kernel/debug
TMP=${TMPDIR:-/tmp}
passed=0
failed=0

pass() { echo "MODTRACK-STRESS: PASS $*"; passed=$((passed + 1)); }
fail() { echo "MODTRACK-STRESS: FAIL $*"; failed=$((failed + 1)); }

# unloaded_count NAME: count of the first (newest) entry for NAME, or 0
unloaded_count() {
	awk -v n="$1" '$1 == n { print $3; found = 1; exit }
		END { if (!found) print 0 }' "$DBG/modtrack/unloaded_tainted"
}

# dup_count NAME: How-many-times of NAME in the duplicate table, or 0
dup_count() {
	awk -v n="$1" 'dup && $1 == n { print $2; found = 1; exit }
		/^Duplicate failed modules:/ { dup = 1 }
		END { if (!found) print 0 }' "$DBG/modtrack/stats"
}

# stat VALUE-LABEL: the number after the label in modtrack/stats
stat() {
	awk -F '\t' -v l="$1" '{ sub(/^ +/, "", $1) } $1 == l { print $2 }' \
		"$DBG/modtrack/stats"
}

grep -q " $DBG debugfs" /proc/mounts || mount -t debugfs debugfs "$DBG"
echo "MODTRACK-STRESS-BEGIN"
# From here on the kernel log must stay clean (it is not cleared).
echo "modtrack-stress: start" > /dev/kmsg

if [ ! -d "$DBG/modtrack" ]; then
	insmod "$MODDIR/modtrack.ko" || fail "insmod modtrack"
fi

# 2. load/unload cycles
before=$(unloaded_count mt_test_a)
loaded_before=$(stat "Mods ever loaded")
i=0
bad=0
while [ $i -lt "$CYCLES" ]; do
	insmod "$MODDIR/mt_test_a.ko" || bad=$((bad + 1))
	rmmod mt_test_a || bad=$((bad + 1))
	i=$((i + 1))
done
after=$(unloaded_count mt_test_a)
loaded_after=$(stat "Mods ever loaded")
if [ "$bad" = 0 ] && [ $((after - before)) = "$CYCLES" ] &&
   [ $((loaded_after - loaded_before)) = "$CYCLES" ]; then
	pass "$CYCLES cycles: unloaded count $before -> $after"
else
	fail "$CYCLES cycles: $bad errors, unloaded count $before -> $after, loaded $loaded_before -> $loaded_after"
fi

# 3. concurrent duplicate loaders
k=1
while [ $k -le "$LOADERS" ]; do
	cp "$MODDIR/mt_test_b.ko" "$TMP/mt_dup_$k.ko"
	k=$((k + 1))
done
dup_before=$(dup_count mt_test_b)
r=0
bad=0
while [ $r -lt "$ROUNDS" ]; do
	k=1
	while [ $k -le "$LOADERS" ]; do
		insmod "$TMP/mt_dup_$k.ko" init_delay_ms=100 2>/dev/null &
		k=$((k + 1))
	done
	wait
	rmmod mt_test_b || bad=$((bad + 1))	# exactly one won
	r=$((r + 1))
done
dup_after=$(dup_count mt_test_b)
rm -f "$TMP"/mt_dup_*.ko
# Each loser fails at least once (busybox insmod then retries with
# init_module(), which fails again unless the winner is gone by then).
if [ "$bad" = 0 ] &&
   [ $((dup_after - dup_before)) -ge $((ROUNDS * (LOADERS - 1))) ]; then
	pass "$ROUNDS x $LOADERS loaders: duplicates $dup_before -> $dup_after"
else
	fail "$ROUNDS x $LOADERS loaders: $bad rmmod errors, duplicates $dup_before -> $dup_after"
fi

echo "MODTRACK-STRESS-STATUS-BEGIN"
cat "$DBG/modtrack/status"
cat "$DBG/modtrack/stats"
echo "MODTRACK-STRESS-STATUS-END"
if grep -q "^untracked_loads: 0$" "$DBG/modtrack/status" &&
   grep -q "^probe_missed: 0$" "$DBG/modtrack/status"; then
	pass "no untracked loads, no missed probes"
else
	fail "untracked loads or missed probes (see status)"
fi

# 4. clean unload and reload: no probe left behind, no memory kept.
# The guest registers no kprobes of its own, so debugfs kprobes/list
# holds modtrack's probes only.  Memory: kernel allocations that a
# module's load/unload can leave behind (slab, vmalloc incl. module
# memory, percpu) after RELOADS reloads, against the same number of
# loads/unloads of a plain test module.
KPLIST=$DBG/kprobes/list
nprobes() { if [ -r "$KPLIST" ]; then grep -c . "$KPLIST"; else echo -1; fi; }
kmem() {
	sleep 2	# RCU callbacks and the init-free work run first
	awk '/^(Slab|VmallocUsed|Percpu):/ { s += $2 } END { print s }' \
		/proc/meminfo
}
probes_loaded=$(nprobes)
if rmmod modtrack && [ ! -d "$DBG/modtrack" ] &&
   insmod "$MODDIR/modtrack.ko" && [ -r "$DBG/modtrack/stats" ]; then
	pass "modtrack unload/reload"
else
	fail "modtrack unload/reload"
fi
insmod "$MODDIR/mt_test_a.ko" && rmmod mt_test_a
[ "$(unloaded_count mt_test_a)" = 1 ] && pass "fresh state after reload" ||
	fail "fresh state after reload"
rmmod modtrack
probes_unloaded=$(nprobes)
if [ "$probes_loaded" -gt 0 ] && [ "$probes_unloaded" = 0 ]; then
	pass "probes: $probes_loaded registered while loaded, 0 after rmmod"
else
	fail "probes: $probes_loaded registered while loaded, $probes_unloaded after rmmod"
	cat "$KPLIST"
fi
RELOADS=${RELOADS:-50}
reload_loop() {	# reload_loop MODULE-FILE MODULE-NAME
	j=0
	while [ $j -lt "$RELOADS" ]; do
		insmod "$1" && rmmod "$2" || bad=$((bad + 1))
		j=$((j + 1))
	done
}
bad=0
base0=$(kmem); reload_loop "$MODDIR/mt_test_a.ko" mt_test_a; base1=$(kmem)
mt0=$(kmem); reload_loop "$MODDIR/modtrack.ko" modtrack; mt1=$(kmem)
base=$((base1 - base0))
grow=$((mt1 - mt0))
# A leak of one kretprobe's instances (64) or of the module's memory
# per reload would be well over 4 kB a reload.
if [ "$bad" = 0 ] && [ "$grow" -le $((base + RELOADS * 4)) ]; then
	pass "$RELOADS reloads: kernel memory $mt0 -> $mt1 kB (plain module: $base0 -> $base1 kB)"
else
	fail "$RELOADS reloads: $bad errors, kernel memory $mt0 -> $mt1 kB (plain module: $base0 -> $base1 kB)"
fi
insmod "$MODDIR/modtrack.ko" || fail "insmod modtrack after the reloads"
# That the measure sees a module's memory at all: modtrack loaded.
echo "MODTRACK-STRESS: kernel memory with modtrack loaded again: $(kmem) kB"

# 5. kernel log
# the log after the start marker, or all of it if the marker wrapped away
since_start() {
	dmesg | awk '/modtrack-stress: start/ { n = 0; found = 1; next }
		{ line[n++] = $0 }
		END { for (i = 0; i < n; i++) print line[i] }'
}
if since_start |
   grep -E -e "BUG|WARNING|Oops|Call Trace|general protection" \
	-e "list_(add|del) corruption|blocked for more than|kmemleak" \
	-e "refcount_t|use-after-free|KASAN|UBSAN|lockdep|circular locking"; then
	fail "kernel log has errors (above)"
else
	pass "kernel log clean"
fi

echo "MODTRACK-STRESS-RESULT: $passed passed, $failed failed"
exit $((failed != 0))
