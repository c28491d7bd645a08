#!/bin/sh
# demo.sh (make demo) - a small, telling study: every back end on the
# real trace in tests/data and on four workloads, on machines small
# enough (16 and 32 MiB) that fragmentation shows, into a fresh
# results.db; then every figure kind into plots/out/ with index.html.
#
#   gcc-small          the real trace (the kernel's own machine size)
#   hostage            long-lived objects pinning pages (SLUB's bitmap)
#   phases             J&W's ramp, peaks and plateau, seeds 1-3 (means and
#                      95% confidence intervals in the bar chart)
#   nta-fragmentation  NTA's own test on 16 MiB (NTA's 4094 pages)
#   exhaust            fill memory until allocations fail, free, recover:
#                      16 and 32 MiB, one study, two groups titled by --mem
#
# Each input is one `kmemsim compare` (all back ends in parallel, one
# child per CPU); snapshots and samples are spaced for about 40 pictures
# and 200 samples a run. The whole demo takes well under a minute on two
# cores and writes under 20 MB into plots/out. The three README figures
# are copied to stable names (found by their titles in manifest.tsv):
#   readme-footprint   F and R of every back end on the real trace
#   readme-bitmap      NTA's page picture on NTA's test, 16 MiB
#   readme-unusable    the unusable index per order after exhaustion, 32 MiB
# Exit status: 0 when every run succeeded, 1 when some failed (the report
# is written all the same, from the runs that ended).
cd "$(dirname "$0")/.." || exit 2
KMEMSIM=${KMEMSIM:-./kmemsim}
DB=${DEMO_DB:-results.db}
OUT=${DEMO_OUT:-plots/out}
start=$(date +%s)
say() { printf 'demo [%3ds] %s\n' $(( $(date +%s) - start )) "$*"; }

for f in "$DB" "$DB-wal" "$DB-shm"; do
	[ -e "$f" ] && mv -f "$f" "$f.old"
done
# plot removes the files its manifest lists; files of the demo's older
# layouts (before the manifest) go here, once
mkdir -p "$OUT" && [ -e "$OUT/manifest.tsv" ] || rm -f "$OUT"/grp*_* "$OUT"/run*_* "$OUT"/readme-* "$OUT"/index.html
rm -f "$OUT"/compare-*.txt "$OUT"/compare-*.err

backends=$($KMEMSIM list | awk '{print $1}' | tr '\n' ' ')
say "back ends: $backends"
failed=0

# compare STUDY NAME INPUT-ARGS...: one input, every back end
compare() {
	study=$1 name=$2; shift 2
	say "$name: running every back end"
	if ! timeout 120 $KMEMSIM compare --db "$DB" --study "demo-$study" --no-plot "$@" \
		>"$OUT/compare-$name.txt" 2>"$OUT/compare-$name.err"; then
		failed=$((failed + 1))
		say "$name: some runs FAILED: $(grep -i 'failed' "$OUT/compare-$name.err" | head -3 | tr '\n' ' ')"
	fi
	# rank backend run peak final jw1 jw2 jw3 jw4 int_frag pt_pages failures...
	# (values as printed: an undefined one stays "n/a")
	awk '$1 ~ /^[0-9]+$/ { f = $12; for (i = 13; i <= NF; i++) f = f " " $i
		printf "    %s. %-6s peak footprint %9s MiB  J&W#4 %8s  failures %s\n", $1, $2, $4, $9, f }' \
		"$OUT/compare-$name.txt"
}

compare gcc-small gcc-small --trace tests/data/gcc-small.ftrace.xz --sample-every 250 --snapshot-every 1500
compare hostage hostage workloads/hostage.lua --mem 32M --sample-every 150 --snapshot-every 1000
for seed in 1 2 3; do
	compare phases phases-seed$seed workloads/phases.lua --mem 32M --seed $seed --snapshot-every 5000
done
compare nta-fragmentation nta-fragmentation workloads/nta-fragmentation.lua --mem 16M \
	--sample-every 50 --snapshot-every 400
for mem in 16M 32M; do
	compare exhaust exhaust-$mem workloads/exhaust.lua --mem $mem --sample-every 150 --snapshot-every 1000
done

say "drawing figures into $OUT"
if ! $KMEMSIM plot --db "$DB" --out "$OUT" 2>"$OUT/plot.err"; then
	failed=$((failed + 1))
	say "plot: $(tail -n 3 "$OUT/plot.err" | tr '\n' ' ')"
fi

# Stable names for the README's figures: the file whose manifest title is
# exactly TITLE, copied as PNG and PDF.
readme() {   # readme NAME TITLE
	base=$(awk -F'\t' -v t="$2" '$2 == "figure" && $3 == t && $1 ~ /\.png$/ { sub(/\.png$/, "", $1); print $1; exit }' \
		"$OUT/manifest.tsv")
	if [ -z "$base" ]; then
		say "README figure '$2' not drawn"
		failed=$((failed + 1))
		return
	fi
	for ext in png pdf; do
		cp "$OUT/$base.$ext" "$OUT/$1.$ext"
	done
}
readme readme-footprint "Footprint and live bytes: gcc-small"
readme readme-bitmap "Page bitmap: nta-fragmentation, nta"
readme readme-unusable "Unusable free space index per order, zone DMA32: exhaust, mem 32 MiB"

# the issue's bound: a demo whose figures outgrow 20 MB has gone wrong
mb=$(du -sm "$OUT" | cut -f1)
if [ "$mb" -ge 20 ]; then
	say "$OUT holds $mb MB, more than the 20 MB a demo may write"
	failed=$((failed + 1))
fi
n=$(ls "$OUT"/*.png 2>/dev/null | wc -l)
kinds=$(awk -F'\t' '$2 == "figure" { n = $1; sub(/\.[a-z]+$/, "", n); sub(/^[a-z]+[0-9]+_/, "", n); print n }' \
	"$OUT/manifest.tsv" | sort -u | tr '\n' ' ')
say "done: $n PNG figures ($(du -sh "$OUT" | cut -f1) in $OUT), kinds: $kinds"
say "report $OUT/index.html, database $DB"
[ $failed -eq 0 ] || { say "$failed inputs had failed runs (see $OUT/compare-*.err)"; exit 1; }
exit 0
