#!/usr/bin/env bash
# dkms-check.sh: build and install tracker/ (modtrack) with DKMS against Debian's 6.1 headers, as an
# administrator would, then check the installed module's vermagic and remove it again. Needs root
# (DKMS writes /usr/src, /var/lib/dkms and /lib/modules). The kernel itself is not installed: its
# /lib/modules directory gets only the `build` link to the unpacked headers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
KVER=${KVER:-6.1.0-56-cloud-amd64}
KHDR=$MODCRASH_CACHE/headers-$KVER/usr/src/linux-headers-$KVER
[ -f "$KHDR/.ok" ] || die "headers for $KVER are not unpacked yet: run testdata/gen.sh first"
need_pkgs dkms kmod
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$here/../tracker/dkms.conf")
src=/usr/src/modtrack-$ver
created_modules_dir=0
cleanup() {
	dkms remove "modtrack/$ver" --all >/dev/null 2>&1 || true
	rm -rf "$src"
	if [ "$created_modules_dir" = 1 ]; then rm -rf "/lib/modules/$KVER"; fi
}
trap cleanup EXIT
cleanup
cp -r "$here/../tracker" "$src"
rm -rf "$src/test"
if [ ! -d "/lib/modules/$KVER" ]; then
	mkdir -p "/lib/modules/$KVER"
	created_modules_dir=1
fi
ln -sfn "$KHDR" "/lib/modules/$KVER/build"
dkms add "modtrack/$ver" >/dev/null
dkms build "modtrack/$ver" -k "$KVER" >/dev/null
dkms install "modtrack/$ver" -k "$KVER" >/dev/null
dkms status "modtrack/$ver" -k "$KVER" | grep -q installed || die "dkms status does not say installed"
ko=$(find "/lib/modules/$KVER/updates" -name 'modtrack.ko*' | head -1)
[ -n "$ko" ] || die "dkms install left no modtrack.ko under /lib/modules/$KVER/updates"
vermagic=$(modinfo -F vermagic "$ko")
case $vermagic in "$KVER "*) ;; *) die "installed $ko has vermagic '$vermagic', expected $KVER";; esac
echo "dkms: modtrack $ver built and installed for $KVER ($ko, vermagic $vermagic)"
