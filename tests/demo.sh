#!/bin/sh
# demo.sh (make demo) - the standard study: every back end on the real
# trace in tests/data and on each workload in workloads/, into a fresh
# results.db, then every figure into plots/out/ with plots/out/index.html.
#
# Each input is one `kmemsim compare` (all back ends in parallel, one
# child per CPU) labelled demo-NAME, workloads with their own default
# parameters (bench.lua, a speed benchmark, is left to make bench). The
# whole study takes well under five minutes on two cores; an input whose
# runs take more than 240 s is stopped and counted as failed.
# Exit status: 0 when every run succeeded, 1 when some failed (the report
# is written all the same, from the runs that finished).
cd "$(dirname "$0")/.." || exit 2
KMEMSIM=${KMEMSIM:-./kmemsim}
DB=${DEMO_DB:-results.db}
OUT=${DEMO_OUT:-plots/out}
start=$(date +%s)
say() { printf 'demo [%3ds] %s\n' $(( $(date +%s) - start )) "$*"; }

for f in "$DB" "$DB-wal" "$DB-shm"; do
	[ -e "$f" ] && mv -f "$f" "$f.old"
done
mkdir -p "$OUT" && rm -f "$OUT"/*.png "$OUT"/*.svg "$OUT"/*.tsv "$OUT"/index.html

backends=$($KMEMSIM list | awk '{print $1}' | tr '\n' ' ')
say "back ends: $backends"
failed=0

# compare NAME INPUT-ARGS...: one input, every back end
compare() {
	name=$1; shift
	say "$name: running every back end"
	if ! timeout 240 $KMEMSIM compare --db "$DB" --study "demo-$name" --no-plot \
		--snapshot-every 20000 "$@" >"$OUT/compare-$name.txt" 2>"$OUT/compare-$name.err"; then
		failed=$((failed + 1))
		say "$name: some runs FAILED: $(grep -i 'failed' "$OUT/compare-$name.err" | head -3 | tr '\n' ' ')"
	fi
	# rank backend run peak final jw1 jw2 jw3 jw4 int_frag pt_pages failures...
	# (values as printed: an undefined one stays "n/a")
	awk '$1 ~ /^[0-9]+$/ { f = $12; for (i = 13; i <= NF; i++) f = f " " $i
		printf "    %s. %-6s peak footprint %9s MiB  J&W#4 %8s  failures %s\n", $1, $2, $4, $9, f }' \
		"$OUT/compare-$name.txt"
}

compare gcc-small --trace tests/data/gcc-small.ftrace.xz

for w in workloads/*.lua; do
	[ -e "$w" ] || continue
	name=$(basename "$w" .lua)
	case "$name" in
	bench) say "bench: skipped (a speed benchmark: make bench)"; continue ;;
	esac
	compare "$name" "$w"
done

say "drawing figures into $OUT"
if ! $KMEMSIM plot --db "$DB" --out "$OUT" 2>"$OUT/plot.err"; then
	failed=$((failed + 1))
	say "plot: $(tail -n 3 "$OUT/plot.err" | tr '\n' ' ')"
fi
# Stable names for the two figures the README shows: every back end's
# footprint on the real trace, and SLUB's page bitmap on the hostage
# workload (run ids depend on which child started first).
readme() {   # readme STUDY ALLOCATOR KIND NAME
	id=$(sqlite3 "$DB" "SELECT id FROM runs WHERE study='$1' AND allocator='$2' AND status='ok' LIMIT 1" 2>/dev/null)
	for ext in png svg; do
		[ -n "$id" ] && [ -e "$OUT/run${id}_$3.$ext" ] && cp "$OUT/run${id}_$3.$ext" "$OUT/$4.$ext"
	done
}
for ext in png svg; do
	[ -e "$OUT/grp0_footprint.$ext" ] && cp "$OUT/grp0_footprint.$ext" "$OUT/readme-footprint.$ext"
done
readme demo-hostage slub bitmap readme-bitmap
n=$(ls "$OUT"/*.png 2>/dev/null | wc -l)
say "done: $n figures, report $OUT/index.html, database $DB"
[ $failed -eq 0 ] || { say "$failed inputs had failed runs (see $OUT/compare-*.err)"; exit 1; }
exit 0
