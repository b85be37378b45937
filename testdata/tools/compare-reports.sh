#!/usr/bin/env bash
# compare-reports.sh OLD_BIN NEW_BIN [OUTDIR]: run two modcrash binaries on every dump of the test
# bed (with its vmlinux) and compare their output byte for byte: the JSON report, the table and
# every --kernel-text file, plus the exit code. Used to show that a refactor changed no report.
# Prints one line per difference and a summary; exits 1 if anything differs.
# CORE=1 compares what both report versions carry when NEW_BIN writes report schema 2 and OLD_BIN
# schema 1: the JSON without schema 2's additions (schema_version, log, events, triage, the
# warnings' kind and address; jq -S on both sides), the table from its "Kernel" line on (schema 2
# puts the triage above it); --kernel-text files and exit codes as they are.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
old=$1 new=$2 out=${3:-$(mktemp -d)}
mkdir -p "$out"
FIXTURES=${MODCRASH_FIXTURES:-$MODCRASH_CACHE/fixtures}
runs=0 diffs=0
# core MODE FILE: FILE (output + "rc=N" line) cut to what report schemas 1 and 2 share.
core() {
	local body rc
	body=$(sed '$d' "$2") rc=$(tail -n 1 "$2")
	case "$1" in
	--json) body=$(printf '%s\n' "$body" | jq -S 'del(.schema_version, .log, .events, .triage)
		| .warnings |= map(del(.kind, .address))' 2>&1) ;;
	"") body=$(printf '%s\n' "$body" | sed -n '/^Kernel    /,$p') ;;
	esac
	printf '%s\n%s\n' "$body" "$rc" > "$2"
}
for m in "$FIXTURES"/*/manifest.json; do
	d=$(dirname "$m")
	for f in $(python3 -c 'import json,sys; [print(x["file"]) for x in json.load(open(sys.argv[1]))["dumps"]]' "$m"); do
		for mode in --json "" "--kernel-text stats" "--kernel-text unloaded-tainted" \
			"--kernel-text proc-modules" "--kernel-text tainted" "--kernel-text print-modules" \
			"--kernel-text modtrack-stats" "--kernel-text modtrack-unloaded-tainted"; do
			tag=$(basename "$d").$f.$(echo "${mode:-table}" | tr -c 'a-z0-9\n' '_')
			"$old" "$d/$f" "$d/vmlinux" $mode > "$out/$tag.old" 2>&1; echo "rc=$?" >> "$out/$tag.old"
			"$new" "$d/$f" "$d/vmlinux" $mode > "$out/$tag.new" 2>&1; echo "rc=$?" >> "$out/$tag.new"
			if [ "${CORE:-0}" = 1 ]; then core "$mode" "$out/$tag.old"; core "$mode" "$out/$tag.new"; fi
			runs=$((runs + 1))
			if ! cmp -s "$out/$tag.old" "$out/$tag.new"; then
				diffs=$((diffs + 1)); echo "DIFFERS: $(basename "$d")/$f ${mode:-table}"
			fi
		done
	done
done
echo "compared $runs outputs (old $old, new $new): $diffs differ; outputs in $out"
[ "$runs" -gt 0 ] && [ "$diffs" -eq 0 ]
