#!/usr/bin/env bash
# Build the test bed's upstream-configured kernel from Debian's linux-source-6.12 package.
# Output (cached, keyed by source version + config fragment + this script):
#   $MODCRASH_CACHE/upstream-<key>/{bzImage,vmlinux,build/}   build/ is the module build tree.
# Prints the output directory on stdout. A warm run returns at once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

SRCPKG=${UPSTREAM_SRCPKG:-linux-source-6.12}
SRCVER=${UPSTREAM_SRCVER:-6.12.117-1~deb12u1}
key=$( (echo "$SRCPKG=$SRCVER"; cat "$here/upstream/frag.config" "$0") | sha256sum | cut -c1-12)
OUTDIR=$MODCRASH_CACHE/upstream-$key
if [ -s "$OUTDIR/bzImage" ] && [ -s "$OUTDIR/vmlinux" ] && [ -f "$OUTDIR/.done" ]; then
	echo "$OUTDIR"; exit 0
fi
need_pkgs bc bison flex libelf-dev libssl-dev pahole xz-utils make gcc
deb=$(fetch_deb "$SRCPKG" "$SRCVER")
SRC=$MODCRASH_CACHE/src-$SRCPKG-$SRCVER
if [ ! -f "$SRC/.unpacked" ]; then
	log "unpacking $(basename "$deb")"
	rm -rf "$SRC" "$SRC.deb"; mkdir -p "$SRC" "$SRC.deb"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$SRC.deb" --wildcards './usr/src/linux-source-*.tar.xz'
	tar -xJf "$SRC.deb"/usr/src/linux-source-*.tar.xz -C "$SRC" --strip-components=1
	rm -rf "$SRC.deb"
	touch "$SRC/.unpacked"
fi
B=$OUTDIR/build
mkdir -p "$B"
log "configuring upstream kernel in $B"
make -s -C "$SRC" O="$B" ARCH=x86_64 tinyconfig >/dev/null
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$B" "$B/.config" "$here/upstream/frag.config" >/dev/null
make -s -C "$SRC" O="$B" ARCH=x86_64 olddefconfig >/dev/null
missing=""
while read -r line; do
	case $line in "#"*|"") continue;; esac
	grep -qx "$line" "$B/.config" || missing="$missing ${line%%=*}"
done < "$here/upstream/frag.config"
[ -z "$missing" ] || die "config options dropped by kconfig:$missing"
log "building upstream kernel (about 8 min on 2 cores)"
t0=$(date +%s)
make -s -C "$SRC" O="$B" ARCH=x86_64 -j"$(nproc)" all > "$OUTDIR/build.log" 2>&1 || { tail -40 "$OUTDIR/build.log" >&2; die "kernel build failed (log: $OUTDIR/build.log)"; }
echo "build_seconds=$(( $(date +%s) - t0 ))" > "$OUTDIR/build-time.txt"
cp "$B/arch/x86/boot/bzImage" "$OUTDIR/bzImage"
ln -sfn build/vmlinux "$OUTDIR/vmlinux"
touch "$OUTDIR/.done"
echo "$OUTDIR"
