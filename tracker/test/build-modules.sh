#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build modtrack.ko and the test modules for one kernel and copy them to
# OUTDIR, for the test bed's guest image.  Runs on the host.
#
#   build-modules.sh KDIR OUTDIR
#
# KDIR: a kernel build tree or headers, e.g.
#   ~/.cache/modcrash/headers-6.12.117+deb12-cloud-amd64/usr/src/linux-headers-6.12.117+deb12-cloud-amd64
#   ~/.cache/modcrash/upstream-*/build
# Builds with -j1 (the build machine is shared); builds in a copy of the
# sources under OUTDIR/.build, so parallel builds for several kernels do
# not collide.  Also copies the guest scripts to OUTDIR.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 KDIR OUTDIR" >&2; exit 2; }
KDIR=$(cd "$1" && pwd)
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
B="$OUT/.build"
rm -rf "$B"
mkdir -p "$B/modtrack" "$B/testmods"
cp "$SRC"/Kbuild "$SRC"/*.c "$SRC"/*.h "$B/modtrack/"
cp "$HERE"/modules/Kbuild "$HERE"/modules/*.c "$HERE"/modules/*.h \
	"$B/testmods/"

for d in modtrack testmods; do
	make -j1 -C "$KDIR" M="$B/$d" modules > "$B/$d.log" 2>&1 || {
		cat "$B/$d.log" >&2
		exit 1
	}
	if grep -q -i "warning" "$B/$d.log"; then
		grep -i "warning" "$B/$d.log" >&2
		echo "$0: warnings building $d" >&2
		exit 1
	fi
	cp "$B/$d"/*.ko "$OUT/"
done
cp "$HERE/guest-workload.sh" "$HERE/stress.sh" "$OUT/"
rm -rf "$B"
ls "$OUT"
