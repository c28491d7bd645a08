#!/bin/sh
# kmemsim plot and compare, end to end: a replay of the real trace into a
# fresh database, figures drawn from it, and the figures' data files
# checked against the database with sqlite3 (an independent reader).
. tests/lib.sh
TRACE=tests/data/gcc-small.ftrace.xz
DB="$TMP/r.db"
OUT="$TMP/out"

if ! $KMEMSIM run --allocator buddy --trace $TRACE --db "$DB" --sample-every 500 \
	--snapshot-every 20000 --quiet >"$TMP/run.log" 2>&1; then
	notok plot_replay "$(tail -n 3 "$TMP/run.log" | tr '\n' ' ')"
	exit 0
fi
ok plot_replay
RUN=$(sqlite3 "$DB" "SELECT max(id) FROM runs")

check plot_runs $KMEMSIM plot --db "$DB" --out "$OUT"

# Every figure exists as PNG and PDF, and as SVG for the vector kinds,
# and is not trivial: a PNG of a column's width (3.5 in at 200 dpi, 700
# px, IHDR bytes 16-19) or a page's (1432 px), a PDF, an SVG with a plot.
figs_ok=1 why=""
for f in grp0_footprint grp0_frag grp0_bars grp0_thp grp0_unusable grp0_buddy grp0_caches run${RUN}_bitmap; do
	png="$OUT/$f.png" pdf="$OUT/$f.pdf" svg="$OUT/$f.svg"
	if [ ! -s "$png" ] || [ "$(wc -c <"$png")" -lt 10000 ]; then figs_ok=0 why="$why $f.png missing/small"; continue; fi
	[ "$(od -An -tx1 -j1 -N3 "$png" | tr -d ' \n')" = "504e47" ] || { figs_ok=0 why="$why $f.png not PNG"; }
	wpx=$(od -An -tu1 -j16 -N4 "$png" | awk '{print $1*16777216+$2*65536+$3*256+$4}')
	[ "$wpx" = 700 ] || [ "$wpx" = 1432 ] || { figs_ok=0 why="$why $f.png width $wpx"; }
	[ "$(head -c 5 "$pdf" 2>/dev/null)" = "%PDF-" ] || { figs_ok=0 why="$why $f.pdf"; }
	case $f in *footprint|*bars|*thp|*frag|*caches)
		case $f in *frag) ;; *) grep -q '<svg' "$svg" 2>/dev/null && grep -q '<path' "$svg" || { figs_ok=0 why="$why $f.svg"; } ;; esac ;;
	*) [ ! -e "$svg" ] || { figs_ok=0 why="$why $f.svg (an image kind: PNG and PDF only)"; } ;;
	esac
done
[ $figs_ok = 1 ] && ok plot_figures_exist || notok plot_figures_exist "$why"
grep -q "run${RUN}_bitmap.png" "$OUT/index.html" && grep -q "<table>" "$OUT/index.html" \
	&& ok plot_index_html || notok plot_index_html "index.html lacks the figures or the table"

# The footprint figure's data file against the samples table: events and
# F (MiB with 6 decimals, so rounding recovers the byte count) row by row.
sqlite3 -separator ' ' "$DB" "SELECT events, footprint, requested FROM samples WHERE run_id=$RUN ORDER BY seq" >"$TMP/db.txt"
awk -F'\t' '!/^#/ { printf "%s %.0f %.0f\n", $2, $5 * 1048576, $3 * 1048576 }' "$OUT/run${RUN}_ts.tsv" >"$TMP/tsv.txt"
if [ -s "$TMP/db.txt" ] && [ "$(wc -l <"$TMP/db.txt")" -gt 50 ] && cmp -s "$TMP/db.txt" "$TMP/tsv.txt"; then
	ok plot_data_matches_db
else
	notok plot_data_matches_db "$(diff "$TMP/db.txt" "$TMP/tsv.txt" | head -3 | tr '\n' ' ')"
fi

# The bar chart's peak footprint is the run's peak_footprint_bytes.
want=$(sqlite3 "$DB" "SELECT printf('%.3f', value / 1048576.0) FROM run_stats WHERE run_id=$RUN AND key='peak_footprint_bytes'")
got=$(awk -F'\t' '!/^#/ { printf "%.3f", $2 }' "$OUT/grp0_bars.tsv")
[ -n "$want" ] && [ "$want" = "$got" ] && ok plot_bars_match_db || notok plot_bars_match_db "bars $got, db $want"

# The heat map's free-block counts are the buddy table's: the first
# sample's row of each zone in grp0_buddy.tsv (run, zone, events, then
# orders 0..max) against sqlite3.
zone=$(awk -F'\t' '!/^#/ { print $2; exit }' "$OUT/grp0_buddy.tsv")
sqlite3 "$DB" "SELECT group_concat(free_blocks, ' ') FROM (SELECT free_blocks FROM buddy WHERE run_id=$RUN AND zone='$zone' AND seq=0 ORDER BY ord)" >"$TMP/b.db"
awk -F'\t' -v z="$zone" '!/^#/ && $2 == z { s = $4; for (i = 5; i <= NF; i++) s = s " " $i; print s; exit }' "$OUT/grp0_buddy.tsv" >"$TMP/b.tsv"
[ -s "$TMP/b.db" ] && cmp -s "$TMP/b.db" "$TMP/b.tsv" && ok plot_buddy_matches_db \
	|| notok plot_buddy_matches_db "zone '$zone': $(cat "$TMP/b.db") vs $(cat "$TMP/b.tsv")"

# Bad input: no database is usage error 2, an unknown run is 1.
$KMEMSIM plot --db "$TMP/none.db" --out "$OUT" >/dev/null 2>&1; a=$?
$KMEMSIM plot --db "$DB" --run 999999 --out "$OUT" >/dev/null 2>&1; b=$?
[ $a = 2 ] && [ $b = 1 ] && ok plot_bad_input || notok plot_bad_input "exit $a and $b"

# compare: every registered back end on one input (the lecture's small
# workload when present, else the trace), in one study, ranked: those
# without failures (last column "none") first, then by peak footprint
# (ascending), exit 0; its figures in the study's own folder, --out/t.
NB=$($KMEMSIM list | wc -l)
if [ -e workloads/buddy-slides.lua ]; then INPUT=workloads/buddy-slides.lua; else INPUT="--trace $TRACE"; fi
if $KMEMSIM compare $INPUT --db "$TMP/c.db" --study t --out "$TMP/cout" >"$TMP/cmp.out" 2>"$TMP/cmp.err"; then
	rows=$(awk '$1 ~ /^[0-9]+$/' "$TMP/cmp.out" | wc -l)
	sorted=$(awk '$1 ~ /^[0-9]+$/ { print ($NF == "none" ? 0 : 1), $4 }' "$TMP/cmp.out" | sort -k1,1n -k2,2g -c 2>&1 && echo yes)
	nruns=$(sqlite3 "$TMP/c.db" "SELECT count(*) FROM runs WHERE study='t' AND status='ok'")
	# each row's run id and peak footprint agree with run_stats
	agree=yes
	for line in $(awk '$1 ~ /^[0-9]+$/ { print $3 ":" $4 }' "$TMP/cmp.out"); do
		id=${line%%:*} fp=${line#*:}
		db=$(sqlite3 "$TMP/c.db" "SELECT printf('%.3f', value / 1048576.0) FROM run_stats WHERE run_id=$id AND key='peak_footprint_bytes'")
		[ "$db" = "$fp" ] || agree="run $id: table $fp, db $db"
	done
	if [ "$rows" = "$NB" ] && [ "$nruns" = "$NB" ] && [ "$sorted" = yes ] && [ "$agree" = yes ] && [ -s "$TMP/cout/t/grp0_bars.png" ]; then
		ok compare_all_backends
	else
		notok compare_all_backends "$rows rows, $nruns runs, $NB back ends, sorted=$sorted, agree=$agree"
	fi
else
	notok compare_all_backends "exit $?: $(grep -i fail "$TMP/cmp.err" | tr '\n' ' ')"
fi
# A second study into the same --out goes to its own folder: the first
# study's index.html and figures are untouched.
sum_t=$(cat "$TMP/cout/t/index.html" "$TMP/cout/t/grp0_bars.png" 2>/dev/null | cksum)
$KMEMSIM compare $INPUT --allocators slub,slab --db "$TMP/c.db" --study u --out "$TMP/cout" >/dev/null 2>"$TMP/cmp2.err"
if [ -s "$TMP/cout/u/index.html" ] && [ -s "$TMP/cout/u/grp0_bars.png" ] &&
	[ "$(cat "$TMP/cout/t/index.html" "$TMP/cout/t/grp0_bars.png" | cksum)" = "$sum_t" ] &&
	! grep -q 'study t<' "$TMP/cout/u/index.html" && [ ! -e "$TMP/cout/index.html" ]; then
	ok compare_own_folder
else
	notok compare_own_folder "$(ls "$TMP/cout" "$TMP/cout/u" 2>&1 | tr '\n' ' ')"
fi
# A failing input: every run fails, compare says so with a non-zero exit.
if $KMEMSIM compare --trace "$TMP/none.trace" --db "$TMP/c.db" --no-plot >/dev/null 2>&1; then
	notok compare_failure_exit "exit 0 for a missing trace"
else
	ok compare_failure_exit
fi
