#!/usr/bin/env bash
# build-modules.sh KHDR OUTDIR: build the test-bed modules (testdata/modules/*.c) against a kernel
# build or headers tree. Writes OUTDIR/*.ko; modcrash_dual comes in two variants,
# OUTDIR/dual-oot/modcrash_dual.ko and OUTDIR/dual-intree/modcrash_dual.ko.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
KHDR=$1 OUTDIR=$2
mkdir -p "$OUTDIR"
S=$OUTDIR/src
build() {  # build DIR "obj-m lines" sources...
	local d=$S/$1 kb=$2; shift 2
	mkdir -p "$d"
	for f in "$@" mc_module.h; do cmp -s "$here/modules/$f" "$d/$f" || cp "$here/modules/$f" "$d/$f"; done
	printf '%s\n' "$kb" > "$d/Kbuild"
	make -C "$KHDR" M="$d" modules > "$d/build.log" 2>&1 || { cat "$d/build.log" >&2; die "module build failed in $d"; }
	if grep -q 'warning:' "$d/build.log"; then cat "$d/build.log" >&2; die "module build warnings in $d"; fi
}
main_kb=""
MAIN="hello prop staging stay failmod slow badpage"
for m in $MAIN; do
	main_kb="$main_kb
obj-m += modcrash_$m.o
modcrash_$m-y := $m.o"
done
build main "$main_kb" hello.c prop.c staging.c stay.c failmod.c slow.c badpage.c
build dual-oot "obj-m += modcrash_dual.o
modcrash_dual-y := dual_oot.o" dual_oot.c
build dual-intree "obj-m += modcrash_dual.o
modcrash_dual-y := dual_intree.o" dual_intree.c
# Exactly this list: OUTDIR is shared by checkouts of different versions (gen.sh copies every
# OUTDIR/*.ko into the initramfs), so a module another version built must not linger.
rm -f "$OUTDIR"/modcrash_*.ko
for m in $MAIN; do cp "$S/main/modcrash_$m.ko" "$OUTDIR/"; done
mkdir -p "$OUTDIR/dual-oot" "$OUTDIR/dual-intree"
cp "$S/dual-oot/modcrash_dual.ko" "$OUTDIR/dual-oot/"
cp "$S/dual-intree/modcrash_dual.ko" "$OUTDIR/dual-intree/"
