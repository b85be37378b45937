# Shared helpers for the test-bed scripts (sourced, not run).
MODCRASH_CACHE=${MODCRASH_CACHE:-$HOME/.cache/modcrash}
mkdir -p "$MODCRASH_CACHE"
MODCRASH_CACHE=$(cd "$MODCRASH_CACHE" && pwd)

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# need_pkgs PKG...: install missing Debian packages (as root), or say which are missing.
need_pkgs() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing host packages:$missing (apt-get install them, or run as root)"
	log "installing:$missing"
	if [ ! -f "$MODCRASH_CACHE/.apt-updated" ] || [ -n "$(find "$MODCRASH_CACHE/.apt-updated" -mmin +720)" ]; then
		apt-get update >&2 && touch "$MODCRASH_CACHE/.apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing >&2
}

# fetch_deb PKG [VERSION]: download a .deb into the cache (never installs it); prints its path.
# A pinned VERSION that the archive no longer has falls back to the current candidate, with a warning.
fetch_deb() {
	local pkg=$1 ver=${2:-} f d=$MODCRASH_CACHE/debs
	mkdir -p "$d"
	if [ -n "$ver" ]; then
		f=$(ls "$d/${pkg}_${ver/:/%3a}_"*.deb 2>/dev/null | head -1 || true)
	else
		f=$(ls "$d/${pkg}_"*.deb 2>/dev/null | sort -V | tail -1 || true)
	fi
	if [ -z "$f" ]; then
		log "apt-get download $pkg${ver:+=$ver}"
		if ! (cd "$d" && apt-get download "$pkg${ver:+=$ver}" >&2 2>/dev/null); then
			[ -n "$ver" ] || die "apt-get download $pkg failed"
			log "WARNING: $pkg=$ver is gone from the archive; using the current candidate"
			(cd "$d" && apt-get download "$pkg" >&2) || die "apt-get download $pkg failed"
		fi
		f=$(ls "$d/${pkg}_"*.deb | sort -V | tail -1)
	fi
	echo "$f"
}

# checkpatch_pl: prints the path of the kernel's scripts/checkpatch.pl, with the spelling.txt and
# const_structs.checkpatch it reads beside it. Debian's linux-headers and linux-kbuild packages do not
# ship it; the kernel source testdata/build-upstream-kernel.sh unpacks (same package and version,
# same defaults) does. Without that tree, the three files alone are taken from the same linux-source
# package (fetch_deb; about a minute to decompress, once) into $MODCRASH_CACHE/checkpatch-*.
checkpatch_pl() {
	local pkg=${UPSTREAM_SRCPKG:-linux-source-6.12} ver=${UPSTREAM_SRCVER:-6.12.117-1~deb12u1}
	local src=$MODCRASH_CACHE/src-$pkg-$ver d=$MODCRASH_CACHE/checkpatch-$pkg-$ver deb
	need_pkgs perl xz-utils
	if [ -f "$src/.unpacked" ] && [ -f "$src/scripts/checkpatch.pl" ]; then
		echo "$src/scripts/checkpatch.pl"; return 0
	fi
	if [ ! -f "$d/.ok" ]; then
		deb=$(fetch_deb "$pkg" "$ver")
		log "extracting scripts/checkpatch.pl from $(basename "$deb")"
		rm -rf "$d"; mkdir -p "$d"
		dpkg-deb --fsys-tarfile "$deb" | tar -x -O --wildcards './usr/src/linux-source-*.tar.xz' |
			tar -xJ -C "$d" --strip-components=2 --wildcards --no-wildcards-match-slash \
				'linux-source-*/scripts/checkpatch.pl' 'linux-source-*/scripts/spelling.txt' \
				'linux-source-*/scripts/const_structs.checkpatch' \
			|| die "could not extract scripts/checkpatch.pl from $deb"
		[ -f "$d/checkpatch.pl" ] || die "$deb has no scripts/checkpatch.pl"
		touch "$d/.ok"
	fi
	echo "$d/checkpatch.pl"
}
