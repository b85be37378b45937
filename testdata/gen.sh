#!/usr/bin/env bash
# gen.sh [SCENARIO...]: build the modcrash test bed: real kernels booted under QEMU (TCG), a module
# workload, the guest's own view as the oracle, and dumps in every format modcrash reads.
# Output: $MODCRASH_FIXTURES (default $MODCRASH_CACHE/fixtures, $MODCRASH_CACHE default
# ~/.cache/modcrash)/<scenario>/{manifest.json, vmcore.*, expected/*, vmlinux, console.log}.
# Everything is cached, keyed by its inputs; a warm re-run takes seconds. FORCE=1 redoes scenarios.
# See testdata/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
FIXTURES=${MODCRASH_FIXTURES:-$MODCRASH_CACHE/fixtures}
mkdir -p "$FIXTURES"
FORCE=${FORCE:-0}
MEM=${MEM:-256M}
T0=$(date +%s)
# A generator that fails half-way must not leave a daemonized QEMU behind.
QEMU_PID=""
trap '[ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null; true' EXIT

# name | kernel | extra cmdline | QEMU -cpu
# The command line is "console=ttyS0 panic=-1 loglevel=4 EXTRA", less the panic= or loglevel= that
# EXTRA sets itself. loglevel=5 puts warnings and default-level records (a bad-page report's
# dump_page lines, Modules linked in, the call trace) on the console too.
SCENARIO_TABLE="
deb61-nokaslr|debian:6.1.0-56-cloud-amd64:6.1.192-2|nokaslr|
deb61-kaslr|debian:6.1.0-56-cloud-amd64:6.1.192-2||
deb61-modtrack|debian:6.1.0-56-cloud-amd64:6.1.192-2|modcrash.modtrack|
deb61-badpage|debian:6.1.0-56-cloud-amd64:6.1.192-2|loglevel=5 init_on_free=1 modcrash.modtrack modcrash.badpage|
deb61-badpage-logwrap|debian:6.1.0-56-cloud-amd64:6.1.192-2|loglevel=5 init_on_free=1 printk.devkmsg=on modcrash.modtrack modcrash.logflood modcrash.badpage|
deb612-kaslr|debian:6.12.117+deb12-cloud-amd64:6.12.117-1~deb12u1||
deb612-modtrack|debian:6.12.117+deb12-cloud-amd64:6.12.117-1~deb12u1|modcrash.modtrack|
deb612-stress|debian:6.12.117+deb12-cloud-amd64:6.12.117-1~deb12u1|modcrash.modtrack modcrash.stress|
deb612-oops|debian:6.12.117+deb12-cloud-amd64:6.12.117-1~deb12u1|modcrash.modtrack modcrash.oops|
deb612-badpage|debian:6.12.117+deb12-cloud-amd64:6.12.117-1~deb12u1|loglevel=5 init_on_free=1 modcrash.modtrack modcrash.badpage|
deb612-badpage-panic|debian:6.12.117+deb12-cloud-amd64:6.12.117-1~deb12u1|loglevel=5 init_on_free=1 panic=0 modcrash.modtrack modcrash.badpage modcrash.panic|
upstream-kaslr|upstream|qemu_fw_cfg.ioport=12@0x510:0:1:4|
upstream-la57|upstream|qemu_fw_cfg.ioport=12@0x510:0:1:4|qemu64,+la57
upstream-modtrack|upstream|qemu_fw_cfg.ioport=12@0x510:0:1:4 modcrash.modtrack|
upstream-badpage|upstream|qemu_fw_cfg.ioport=12@0x510:0:1:4 loglevel=5 init_on_free=1 modcrash.badpage|"
all_scenarios() { echo "$SCENARIO_TABLE" | awk -F'|' 'NF>1{print $1}'; }
SCENARIOS=${*:-$(all_scenarios)}

need_pkgs qemu-system-x86 busybox-static cpio makedumpfile python3 gcc-12 make xz-utils pahole \
	bc bison flex libelf-dev libssl-dev kmod
readelf -l /bin/busybox 2>/dev/null | grep -q INTERP && die "/bin/busybox is not static (install busybox-static)"

# ---------------------------------------------------------------- kernels
# kit_debian KVER PKGVER: vmlinuz, debug vmlinux, two in-tree modules and private headers
# (apt-get download + dpkg-deb -x; kernel packages are never installed). Sets KIT_* variables.
kit_debian() {
	local kver=$1 pkgver=$2 k=$MODCRASH_CACHE/debian-$1
	mkdir -p "$k"
	if [ ! -f "$k/.ok" ]; then
		local img; img=$(fetch_deb "linux-image-$kver-unsigned" "$pkgver")
		local tmp=$k/tmp; rm -rf "$tmp"; mkdir -p "$tmp" "$k/modules"
		dpkg-deb --fsys-tarfile "$img" | tar -x -C "$tmp" --wildcards \
			"./boot/vmlinuz-*" "./boot/config-*" "*/drivers/firmware/qemu_fw_cfg.ko*" "*/lib/crc7.ko*"
		local m; for m in $(find "$tmp" -name '*.ko*'); do
			case $m in
			*.ko.xz)  xz -dc "$m" > "$k/modules/$(basename "$m" .xz)";;
			*.ko.zst) zstd -dqc "$m" > "$k/modules/$(basename "$m" .zst)";;
			*)        cp "$m" "$k/modules/";;
			esac
		done
		mv "$tmp"/boot/vmlinuz-* "$k/vmlinuz"; mv "$tmp"/boot/config-* "$k/config"
		rm -rf "$tmp"; touch "$k/.ok"
	fi
	local vml=$MODCRASH_CACHE/vmlinux-$kver
	if [ ! -s "$vml" ]; then
		local dbg; dbg=$(fetch_deb "linux-image-$kver-dbg" "$pkgver")
		log "extracting vmlinux-$kver from $(basename "$dbg") (xz: about 35 s)"
		dpkg-deb --fsys-tarfile "$dbg" | tar -x -O "./usr/lib/debug/boot/vmlinux-$kver" > "$vml.part.$$"
		mv "$vml.part.$$" "$vml"
	fi
	local hroot=$MODCRASH_CACHE/headers-$kver hdr=$MODCRASH_CACHE/headers-$kver/usr/src/linux-headers-$kver
	if [ ! -f "$hdr/.ok" ]; then
		local hdeb; hdeb=$(fetch_deb "linux-headers-$kver" "$pkgver")
		local deps; deps=$(dpkg-deb -f "$hdeb" Depends | tr ',|' '\n\n' | sed 's/^ *//; s/[ (].*//' |
			grep -E '^linux-(headers-.*-common|kbuild-)' | sort -u)
		rm -rf "$hroot"; mkdir -p "$hroot"
		local d; for d in "$hdeb" $(for p in $deps; do fetch_deb "$p" "$pkgver"; done); do
			dpkg-deb -x "$d" "$hroot"
		done
		sed -i "s|include /usr/src/|include $hroot/usr/src/|" "$hdr/Makefile"
		touch "$hdr/.ok"
	fi
	KIT_VMLINUZ=$k/vmlinuz KIT_VMLINUX=$vml KIT_KHDR=$hdr KIT_INTREE=$k/modules KIT_TRACKING=0
	KIT_ID="debian-$kver-$pkgver"
}

kit_upstream() {
	local o; o=$(bash "$here/build-upstream-kernel.sh")
	KIT_VMLINUZ=$o/bzImage KIT_VMLINUX=$o/vmlinux KIT_KHDR=$o/build KIT_INTREE=$o/intree KIT_TRACKING=1
	mkdir -p "$KIT_INTREE"
	cp "$o/build/lib/crc7.ko" "$KIT_INTREE/"
	KIT_ID="upstream-$(basename "$o")"
}

# kit_for KERNELSPEC: sets KIT_* and builds the test modules and the initramfs for that kernel
# (once per run: the table lists scenarios grouped by kernel).
KIT_FOR=""
kit_for() {
	[ "$KIT_FOR" = "$1" ] && return 0
	case $1 in
	debian:*) IFS=: read -r _ kver pkgver <<<"$1"; kit_debian "$kver" "$pkgver";;
	upstream) kit_upstream;;
	*) die "unknown kernel spec $1";;
	esac
	KIT_MODS=$MODCRASH_CACHE/modules-$KIT_ID
	bash "$here/build-modules.sh" "$KIT_KHDR" "$KIT_MODS"
	# tracker/: modtrack.ko, its test modules and guest scripts, keyed by tracker/'s contents
	local tstamp; tstamp=$(cd "$here/../tracker" && find . -type f ! -path './test/userspace/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
	KIT_MODTRACK=$KIT_MODS/modtrack-$tstamp
	if [ ! -f "$KIT_MODTRACK/.ok" ]; then
		rm -rf "$KIT_MODTRACK"
		sh "$here/../tracker/test/build-modules.sh" "$KIT_KHDR" "$KIT_MODTRACK" >/dev/null
		touch "$KIT_MODTRACK/.ok"
	fi
	# initramfs: busybox-static + applet links (never a busybox -> busybox self-link), modules, /init
	local ird; ird=$(mktemp -d "$MODCRASH_CACHE/initramfs.XXXXXX")
	mkdir -p "$ird"/{bin,proc,sys,dev,tmp,modules}
	cp /bin/busybox "$ird/bin/busybox"
	local a; for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$ird/bin/$a"; done
	cp "$KIT_INTREE"/*.ko "$KIT_MODS"/*.ko "$ird/modules/"
	cp -r "$KIT_MODS/dual-oot" "$KIT_MODS/dual-intree" "$ird/modules/"
	cp -r "$KIT_MODTRACK" "$ird/modules/modtrack"
	cp "$here/guest/init" "$ird/init"
	[ "$(id -u)" = 0 ] && mknod -m 600 "$ird/dev/console" c 5 1
	# Reproducible: fixed mtimes, no inode/device numbers, no gzip timestamp. The scenario keys
	# depend on these bytes, so a warm re-run regenerates nothing.
	find "$ird" -exec touch -h -d @0 {} +
	(cd "$ird" && find . -print0 | sort -z | cpio --null -o -H newc --reproducible --owner 0:0 --quiet | gzip -9n) > "$ird.cpio.gz"
	# Named by content, so that generators run from two checkouts never overwrite each other's.
	KIT_INITRD=$MODCRASH_CACHE/initramfs-$KIT_ID-$(sha256sum < "$ird.cpio.gz" | cut -c1-16).cpio.gz
	mv "$ird.cpio.gz" "$KIT_INITRD"
	rm -rf "$ird"
	# what a scenario's cache key depends on
	KIT_KEY=$( (echo "$KIT_ID"; sha256sum "$KIT_VMLINUZ" "$KIT_INITRD" | cut -d' ' -f1) | sha256sum | cut -c1-16)
	KIT_FOR=$1
}

# ---------------------------------------------------------------- scenarios
run_scenario() {
	local name=$1 kspec=$2 extra=$3 cpu=$4 D=$FIXTURES/$1
	kit_for "$kspec"
	local key; key=$( (echo "$name|$kspec|$extra|$cpu|$MEM|$KIT_KEY"; cat "$here"/tools/*.py "$0") | sha256sum | cut -c1-16)
	if [ "$FORCE" != 1 ] && [ -f "$D/manifest.json" ] && [ "$(cat "$D/key" 2>/dev/null)" = "$key" ]; then
		log "[$name] cached"; return 0
	fi
	rm -rf "$D"; mkdir -p "$D"
	local append="console=ttyS0" try
	case " $extra " in *" panic="*) ;; *) append="$append panic=-1";; esac
	case " $extra " in *" loglevel="*) ;; *) append="$append loglevel=4";; esac
	append="$append $extra"
	for try in 1 2 3; do
		boot_and_dump "$name" "$D" "$append" "$cpu"
		# KASLR may pick offset 0 (seen in about 1 boot in 3): retry so KASLR scenarios really move.
		case " $extra " in *" nokaslr "*) break;; esac
		grep -qx 'KERNELOFFSET=0' "$D/vmcoreinfo.txt" || break
		log "[$name] KASLR picked KERNELOFFSET=0; booting again"
	done
	post_process "$name" "$D"
	ln -sfn "$KIT_VMLINUX" "$D/vmlinux"
	python3 "$here/tools/manifest.py" "$D" scenario="$name" kernel="$kspec" tracking="$KIT_TRACKING" \
		cmdline="$append" cpu="$cpu"
	echo "$key" > "$D/key"
	log "[$name] done"
}

boot_and_dump() {
	local name=$1 D=$2 append=$3 cpu=$4
	rm -f "$D"/vmcore.* "$D"/*.log
	local sockdir; sockdir=$(mktemp -d)   # unix socket paths are limited to 107 bytes
	local sock=$sockdir/qmp.sock
	local cpuargs=(); [ -n "$cpu" ] && cpuargs=(-cpu "$cpu")
	log "[$name] booting $(basename "$KIT_VMLINUZ") (TCG, $MEM${cpu:+, cpu $cpu})"
	local t0; t0=$(date +%s.%N)
	qemu-system-x86_64 -accel tcg "${cpuargs[@]}" -m "$MEM" -smp 1 -display none -no-reboot \
		-kernel "$KIT_VMLINUZ" -initrd "$KIT_INITRD" -append "$append" -device vmcoreinfo \
		-serial "file:$D/console.log" -serial "file:$D/oracle.log" -monitor none \
		-qmp "unix:$sock,server=on,wait=off" -pidfile "$sockdir/qemu.pid" -daemonize
	local qpid; qpid=$(cat "$sockdir/qemu.pid") i=0
	QEMU_PID=$qpid
	until grep -q MODCRASH-DONE "$D/oracle.log" 2>/dev/null && grep -q MODCRASH-READY "$D/console.log"; do
		if ! kill -0 "$qpid" 2>/dev/null; then tail -30 "$D/console.log" >&2; die "[$name] QEMU exited before the guest was ready"; fi
		i=$((i + 1)); if [ $i -gt 6000 ]; then kill "$qpid"; tail -30 "$D/console.log" >&2; die "[$name] guest not ready after 600 s"; fi
		sleep 0.1
	done
	since() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
	echo "boot_to_ready_s=$(since)" > "$D/timings.txt"
	case " $append " in *" modcrash.panic "*)
		# The guest panics after the oracle (panic=0: it then spins): dump once panic() is done.
		i=0
		until grep -qF -- '---[ end Kernel panic - not syncing' "$D/console.log"; do
			if ! kill -0 "$qpid" 2>/dev/null; then tail -30 "$D/console.log" >&2; die "[$name] QEMU exited before the guest panicked"; fi
			i=$((i + 1)); if [ $i -gt 600 ]; then kill "$qpid"; tail -30 "$D/console.log" >&2; die "[$name] no end of a kernel panic on the console 60 s after the oracle"; fi
			sleep 0.1
		done
		echo "boot_to_panic_s=$(since)" >> "$D/timings.txt";;
	esac
	local caps; caps=$(python3 "$here/tools/qmp.py" "$sock" '{"execute":"query-dump-guest-memory-capability"}' '{"execute":"stop"}')
	caps=${caps%%$'\n'*}
	python3 "$here/tools/qmp.py" "$sock" \
		"{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,\"protocol\":\"file:$D/vmcore.elf\",\"format\":\"elf\"}}" >/dev/null \
		|| die "[$name] QMP ELF dump failed"
	case $caps in *'"kdump-zlib"'*)
		python3 "$here/tools/qmp.py" "$sock" \
			"{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false,\"protocol\":\"file:$D/vmcore.qemu-kdump-zlib.flat\",\"format\":\"kdump-zlib\"}}" >/dev/null \
			|| die "[$name] QMP kdump-zlib dump failed";;
	esac
	echo "boot_to_dump_s=$(since)" >> "$D/timings.txt"
	python3 "$here/tools/qmp.py" "$sock" '{"execute":"quit"}' >/dev/null || true
	for i in $(seq 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.1; done
	kill "$qpid" 2>/dev/null || true
	QEMU_PID=""
	rm -rf "$sockdir"
	chmod 0644 "$D"/vmcore.* "$D"/*.log
	python3 "$here/tools/vmcoreinfo.py" "$D/vmcore.elf" > "$D/vmcoreinfo.txt" || die "[$name] no VMCOREINFO note in the ELF dump"
}

post_process() {
	local name=$1 D=$2
	python3 "$here/tools/oracle.py" "$D/oracle.log" "$D" >/dev/null
	# A panic happens after expected/dmesg was captured: its oracle is the kernel's lines on the
	# console after the guest's MODCRASH-READY (panic() raises the console loglevel, so all of its
	# records are there), in dmesg's "[    9.123456] text" form.
	if grep -qF -- '---[ end Kernel panic - not syncing' "$D/console.log"; then
		sed -n '/^MODCRASH-READY/,$p' "$D/console.log" | tr -d '\r' | grep -E '^\[ *[0-9]+\.[0-9]{6}\] ' > "$D/expected/panic" \
			|| die "[$name] no kernel lines after MODCRASH-READY in console.log"
	fi
	local fix=$D/phdr64.elf
	cp --sparse=always "$D/vmcore.elf" "$fix"
	python3 "$here/tools/phdr-to-64.py" "$fix"
	md() {  # md OUT makedumpfile-args...
		local out=$1; shift
		if [ "$1" = -F ]; then makedumpfile "$@" "$fix" > "$out" 2>>"$D/makedumpfile.log"
		else makedumpfile "$@" "$fix" "$out" >>"$D/makedumpfile.log" 2>&1; fi || die "[$name] makedumpfile $* failed (see $D/makedumpfile.log)"
	}
	md "$D/vmcore.md-c-d31.kdump" -c -d 31
	md "$D/vmcore.md-l-d31.kdump" -l -d 31
	md "$D/vmcore.md-d31.kdump" -d 31
	md "$D/vmcore.md-c-d0.kdump" -c -d 0
	md "$D/vmcore.md-c-d31.flat" -F -c -d 31
	md "$D/vmcore.md-E-d31.elf" -E -d 31
	if [ -f "$D/vmcore.qemu-kdump-zlib.flat" ]; then
		makedumpfile -R "$D/vmcore.qemu-kdump-zlib.kdump" < "$D/vmcore.qemu-kdump-zlib.flat" >>"$D/makedumpfile.log" 2>&1 \
			|| die "[$name] makedumpfile -R failed"
	fi
	rm -f "$fix"
	chmod 0644 "$D"/vmcore.*
}

for s in $SCENARIOS; do
	row=$(echo "$SCENARIO_TABLE" | awk -F'|' -v s="$s" '$1==s')
	[ -n "$row" ] || die "unknown scenario $s (known: $(all_scenarios | tr '\n' ' '))"
	IFS='|' read -r n kspec extra cpu <<<"$row"
	run_scenario "$n" "$kspec" "$extra" "$cpu"
done
log "test bed ready in $FIXTURES ($(( $(date +%s) - T0 )) s)"
