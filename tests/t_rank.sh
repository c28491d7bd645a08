#!/bin/sh
# The ranking rule end to end (compare's table, index.html, the bar chart):
# a back end that failed allocations never ranks above one that served the
# whole workload, never is bold; failures show their reasons; undefined
# values print n/a; data from the database is escaped in index.html.
# Orders are recomputed here with sqlite3 from run_stats (an independent
# reader), failure counts from the trace itself with awk.
. tests/lib.sh
DB="$TMP/r.db"

# A hand-made glibc mtrace (a Python-JSON-like mix): 240 allocations of
# 12 sizes in turn, two of them above 16 KiB (NTA's largest node), every
# third allocation freeing the one before it.
awk 'BEGIN { print "= Start"; n = split("18 40 100 200 512 1000 3000 20000 64 40000 24 8000", sz, " ");
	for (i = 1; i <= 240; i++) { printf "+ 0x%x 0x%x\n", 16777216 + i * 65536, sz[(i - 1) % n + 1];
		if (i % 3 == 0) printf "- 0x%x\n", 16777216 + (i - 1) * 65536 }
	print "= End" }' >"$TMP/pj.mtrace"
# requests above 16384 bytes, from the trace (hex sizes converted here)
BIG=$(awk 'function hex(s,  v, i, c) { v = 0; s = tolower(substr(s, 3));
		for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
		return v }
	$1 == "+" && hex($3) > 16384 { n++ } END { print n + 0 }' "$TMP/pj.mtrace")

# rows of a compare table: "backend failures", in printed order
rows() { awk '$1 ~ /^[0-9]+$/ { f = $12; for (i = 13; i <= NF; i++) f = f " " $i; print $2 "|" f }' "$1"; }
# the order the rule gives, from run_stats: served (failed_allocs = 0 and
# page_failed = 0) first, then KEY ascending with NULL/absent last, then name
sql_order() {
	sqlite3 "$DB" "SELECT r.allocator FROM runs r
		LEFT JOIN run_stats f ON f.run_id = r.id AND f.key = 'failed_allocs'
		LEFT JOIN run_stats p ON p.run_id = r.id AND p.key = 'page_failed'
		LEFT JOIN run_stats m ON m.run_id = r.id AND m.key = '$2'
		WHERE r.study = '$1' AND r.status = 'ok'
		ORDER BY (f.value IS NOT NULL AND f.value = 0 AND p.value IS NOT NULL AND p.value = 0) DESC,
			m.value IS NULL, m.value, r.allocator, r.id" | tr '\n' ' '
}

if ! $KMEMSIM compare --trace "$TMP/pj.mtrace" --db "$DB" --study pj --out "$TMP/out" \
	>"$TMP/pj.out" 2>"$TMP/pj.err"; then
	notok rank_compare_runs "exit $?: $(tail -n 3 "$TMP/pj.err" | tr '\n' ' ')"
	exit 0
fi
ok rank_compare_runs

# Which runs failed, from run_stats; they must be the last rows.
failed=$(sqlite3 "$DB" "SELECT r.allocator FROM runs r JOIN run_stats s ON s.run_id = r.id
	WHERE r.study = 'pj' AND ((s.key = 'failed_allocs' AND s.value > 0) OR (s.key = 'page_failed' AND s.value > 0))
	GROUP BY r.id ORDER BY r.allocator" | tr '\n' ' ')
nb=$($KMEMSIM list | wc -l)
nfail=$(echo $failed | wc -w)
last=$(rows "$TMP/pj.out" | tail -n "$nfail" | cut -d'|' -f1 | sort | tr '\n' ' ')
served_rows=$(rows "$TMP/pj.out" | head -n $((nb - nfail)) | cut -d'|' -f2 | sort -u | tr '\n' ' ')
case "$failed" in *nta*) nta_fails=yes;; *) nta_fails=no;; esac
if [ "$(rows "$TMP/pj.out" | wc -l)" = "$nb" ] && [ $nta_fails = yes ] && [ "$last" = "$failed" ] &&
	[ "$served_rows" = "none " ]; then
	ok rank_failed_last
else
	notok rank_failed_last "failed in run_stats: '$failed', last rows: '$last', served rows' failures: '$served_rows'"
fi
# NTA has the smallest peak footprint of all: only the rule keeps it below.
min_fp=$(sqlite3 "$DB" "SELECT r.allocator FROM runs r JOIN run_stats s ON s.run_id = r.id
	WHERE r.study = 'pj' AND s.key = 'peak_footprint_bytes' ORDER BY s.value LIMIT 1")
first=$(rows "$TMP/pj.out" | head -n 1 | cut -d'|' -f1)
[ "$min_fp" = nta ] && [ "$first" != nta ] && ok rank_not_flattered \
	|| notok rank_not_flattered "smallest footprint $min_fp, ranked first $first"

# The failures column: NTA's "N too_big", N = requests above 16 KiB in the trace.
nta_f=$(rows "$TMP/pj.out" | sed -n 's/^nta|//p')
db_big=$(sqlite3 "$DB" "SELECT printf('%d', s.value) FROM runs r JOIN run_stats s ON s.run_id = r.id
	WHERE r.study = 'pj' AND r.allocator = 'nta' AND s.key = 'failed_too_big'")
[ "$BIG" -gt 0 ] && [ "$nta_f" = "$BIG too_big" ] && [ "$db_big" = "$BIG" ] && ok rank_failures_reasons \
	|| notok rank_failures_reasons "table '$nta_f', trace $BIG big requests, run_stats $db_big"

# The whole order, for the default metric and for --rank-by jw1, equals
# the one sqlite3 computes; the two orders differ (the option acts).
want_peak=$(sql_order pj peak_footprint_bytes)
got_peak=$(rows "$TMP/pj.out" | cut -d'|' -f1 | tr '\n' ' ')
$KMEMSIM compare --trace "$TMP/pj.mtrace" --db "$DB" --study pj1 --rank-by jw1 --no-plot >"$TMP/jw1.out" 2>/dev/null
want_jw1=$(sql_order pj1 jw1_mean_overhead)
got_jw1=$(rows "$TMP/jw1.out" | cut -d'|' -f1 | tr '\n' ' ')
if [ "$got_peak" = "$want_peak" ] && [ "$got_jw1" = "$want_jw1" ] && [ "$got_jw1" != "$got_peak" ]; then
	ok rank_by_metric
else
	notok rank_by_metric "peak: got '$got_peak' want '$want_peak'; jw1: got '$got_jw1' want '$want_jw1'"
fi
# --rank-by=final, and a metric the table footnote names
$KMEMSIM compare --trace "$TMP/pj.mtrace" --db "$DB" --study pjf --rank-by=final --no-plot >"$TMP/fin.out" 2>/dev/null
[ "$(rows "$TMP/fin.out" | cut -d'|' -f1 | tr '\n' ' ')" = "$(sql_order pjf final_footprint_bytes)" ] &&
	grep -q 'final footprint' "$TMP/fin.out" && ok rank_by_final \
	|| notok rank_by_final "$(rows "$TMP/fin.out" | tr '\n' ' ') vs $(sql_order pjf final_footprint_bytes)"

# --allocators runs only those back ends; an unknown name is refused
# (exit 2, the valid names listed) and runs nothing.
$KMEMSIM compare --trace "$TMP/pj.mtrace" --db "$DB" --study sub --allocators slub,nta --no-plot >"$TMP/sub.out" 2>/dev/null
ran=$(sqlite3 "$DB" "SELECT group_concat(allocator, ',') FROM (SELECT allocator FROM runs WHERE study = 'sub' ORDER BY allocator)")
[ "$ran" = "nta,slub" ] && [ "$(rows "$TMP/sub.out" | cut -d'|' -f1 | tr '\n' ' ')" = "slub nta " ] \
	&& ok rank_allocators || notok rank_allocators "ran '$ran': $(rows "$TMP/sub.out" | tr '\n' ' ')"
before=$(sqlite3 "$DB" "SELECT count(*) FROM runs")
$KMEMSIM compare --trace "$TMP/pj.mtrace" --db "$DB" --study bad --allocators slub,slib --no-plot >/dev/null 2>"$TMP/bad.err"; a=$?
$KMEMSIM compare --trace "$TMP/pj.mtrace" --db "$DB" --study bad --rank-by jw9 --no-plot >/dev/null 2>"$TMP/bad2.err"; b=$?
after=$(sqlite3 "$DB" "SELECT count(*) FROM runs")
if [ $a = 2 ] && [ $b = 2 ] && [ "$before" = "$after" ] && grep -q "slib" "$TMP/bad.err" &&
	grep -q "buddy, zone, slab, slub, slob, nta" "$TMP/bad.err" && grep -q "int_frag" "$TMP/bad2.err"; then
	ok rank_bad_names
else
	notok rank_bad_names "exit $a and $b, runs $before -> $after: $(cat "$TMP/bad.err" "$TMP/bad2.err" | tr '\n' ' ')"
fi

# The bar chart's rows are in the table's order.
bars=$(awk -F'\t' '!/^#/ { printf "%s ", $1 }' "$TMP/out/pj/grp0_bars.tsv")
[ "$bars" = "$got_peak" ] && ok rank_bars_order || notok rank_bars_order "bars '$bars', table '$got_peak'"

# A workload NTA cannot serve at all (every request above 16 KiB): its
# J&W measures are undefined. The table and index.html say n/a, the bars
# file writes NaN (never 0), the study label and the input's name come out
# escaped, and the overview bolds slub, never nta.
LBL='<script>alert(1)</script>'
BIGF="$TMP/x<i>&'q'.mtrace"
printf '= Start\n+ 0x1000000 0x8000\n+ 0x1100000 0x9000\n- 0x1000000\n+ 0x1200000 0x10000\n= End\n' >"$BIGF"
$KMEMSIM compare --trace "$BIGF" --db "$DB" --study "$LBL" --allocators nta,slub --out "$TMP/big" \
	>"$TMP/big.out" 2>"$TMP/big.err"
ntarow=$(awk '$2 == "nta"' "$TMP/big.out")
jw3=$(echo "$ntarow" | awk '{ print $8 }')
dbjw3=$(sqlite3 "$DB" "SELECT count(*) FROM runs r JOIN run_stats s ON s.run_id = r.id
	WHERE r.study = '$LBL' AND r.allocator = 'nta' AND s.key = 'jw3_overhead_at_max_footprint' AND s.value IS NOT NULL")
[ "$jw3" = "n/a" ] && [ "$dbjw3" = 0 ] && echo "$ntarow" | grep -q '3 too_big$' && ok rank_table_na \
	|| notok rank_table_na "nta row '$ntarow', defined jw3 rows in db: $dbjw3"
# compare writes into the study's own folder, its label made a safe name
BIGD=$(ls -d "$TMP/big"/*/ | head -n 1)
bt="$BIGD/grp0_bars.tsv"
nta_bar=$(awk -F'\t' '$1 == "nta" { print $3 "|" $4 "|" $6 "|" $9 }' "$bt")
slub_bar=$(awk -F'\t' '$1 == "slub" { print $9 }' "$bt")
[ "$nta_bar" = "NaN|NaN|NaN|0" ] && [ "$slub_bar" = 1 ] && ok rank_bars_missing \
	|| notok rank_bars_missing "nta '$nta_bar' (jw3|jw4|int_frag|served), slub served '$slub_bar'"
H="$BIGD/index.html"
# overview_bold FILE: the back ends whose overview cell is bold, and (after
# a '|') those whose cell is marked failed, from the header's order
overview_bold() {
	ov=$(sed -n '/<h2>Overview<\/h2>/,/<\/table>/p' "$1")
	hdr=$(echo "$ov" | grep '<th>input</th>' | sed 's/<\/th>/\n/g' | sed -n 's/.*<th>//p' | tail -n +2)
	echo "$ov" | grep '^<tr><td>' | head -n 1 | sed 's/<\/td>/\n/g' | tail -n +2 >"$TMP/cells"
	b="" f="" i=0
	for n in $hdr; do
		i=$((i + 1))
		sed -n "${i}p" "$TMP/cells" | grep -q '<b>' && b="$b$n "
		sed -n "${i}p" "$TMP/cells" | grep -q 'class="failed"' && f="$f$n "
	done
	echo "$b|$f"
}
# the pj study: bold is exactly the first served back end (sqlite3's
# order), failed cells exactly the runs that failed
want_first=$(echo "$want_peak" | cut -d' ' -f1)
ob=$(overview_bold "$TMP/out/pj/index.html")
fcells=$(echo "${ob#*|}" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/^ //')
[ "${ob%%|*}" = "$want_first " ] && [ "$fcells" = "$failed" ] && ok rank_overview_bold \
	|| notok rank_overview_bold "bold|failed '$ob', want bold $want_first, failed '$failed'"
ob=$(overview_bold "$H")
sed -n '/<h2>Overview<\/h2>/,/<\/table>/p' "$H" | grep '^<tr><td>' >"$TMP/ovrow"
[ "$ob" = "slub |nta " ] && grep -q 'n/a' "$TMP/ovrow" && grep -q 'failed: 3 too_big' "$TMP/ovrow" \
	&& ok rank_overview_na || notok rank_overview_na "bold|failed '$ob': $(cat "$TMP/ovrow")"
# no bold anywhere in a failed cell or row of either page
if cat "$TMP/out/pj/index.html" "$H" | grep -q 'class="failed"><b>' ||
	cat "$TMP/out/pj/index.html" "$H" | grep '<tr class="failed">' | grep -q '<b>'; then
	notok rank_failed_never_bold "$(cat "$TMP/out/pj/index.html" "$H" | grep 'failed' | grep '<b>' | head -2)"
else
	ok rank_failed_never_bold
fi
if grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$H" && ! grep -q '<script' "$H" &&
	grep -q 'x&lt;i&gt;&amp;&#39;q&#39;' "$H" && ! grep -q "x<i>" "$H"; then
	ok rank_html_escaped
else
	notok rank_html_escaped "$(grep -n 'script\|x<i\|x&lt;' "$H" | head -3 | tr '\n' ' ')"
fi
grep -q '<td>n/a</td>' "$H" && ok rank_html_na || notok rank_html_na "no n/a cell in the group table"
[ -s "$BIGD/grp0_bars.png" ] && [ -s "$BIGD/grp0_bars.svg" ] && ok rank_bars_drawn \
	|| notok rank_bars_drawn "$(tail -n 3 "$BIGD/gnuplot.log" 2>/dev/null | tr '\n' ' ')"

# Every option is in the help texts.
$KMEMSIM compare --help >"$TMP/ch.txt"; c=$?
$KMEMSIM plot --help >"$TMP/ph.txt"; p=$?
miss=""
for o in --trace --allocators --rank-by --db --study --out --no-plot --help; do
	grep -q -- "$o" "$TMP/ch.txt" || miss="$miss compare$o"; done
for o in --db --run --study --out --rank-by --help; do
	grep -q -- "$o" "$TMP/ph.txt" || miss="$miss plot$o"; done
for m in peak final jw1 jw2 jw3 jw4 int_frag; do
	grep -q -- "$m" "$TMP/ch.txt" || miss="$miss compare:$m"; done
[ $c = 0 ] && [ $p = 0 ] && [ -z "$miss" ] && ok rank_help || notok rank_help "exit $c $p, missing:$miss"
