#!/bin/sh
# Every figure kind drawn from a small database, and the honesty rules of
# the figures: a run that ended early is drawn (its line ends, marked, its
# key says how it ended), an undefined metric is "n/a" (never 0), `plot`
# removes only its own stale files, a pick (--kind, --format, --snapshot)
# leaves index.html alone.
#
# The database: hostage.lua (4000 objects) on a 16 MiB machine, SLUB and
# NTA; then edited with sqlite3 as a crash would leave it: NTA's run
# "failed" after half its samples with its J&W #4 gone, and SLUB's J&W #3
# undefined (NULL). A second study (sw: phases.lua on SLUB at 16 and 32
# MiB) gives the sweep figure a swept parameter.
. tests/lib.sh
DB="$TMP/f.db"
OUT="$TMP/o"

if ! $KMEMSIM compare workloads/hostage.lua --set n=4000 --allocators slub,nta --mem 16M --sample-every 200 \
	--snapshot-every 1000 --db "$DB" --study f --no-plot >"$TMP/c.log" 2>&1; then
	notok figs_database "$(tail -n 3 "$TMP/c.log" | tr '\n' ' ')"
	exit 0
fi
for m in 16M 32M; do
	$KMEMSIM run --allocator slub workloads/phases.lua --set ramp=500 --set peak_size=100 --set plateau=500 \
		--mem $m --db "$DB" --study sw --quiet >/dev/null 2>&1 || notok figs_database "sweep study run failed"
done
SLUB=$(sqlite3 "$DB" "SELECT id FROM runs WHERE allocator='slub' AND study='f'")
NTA=$(sqlite3 "$DB" "SELECT id FROM runs WHERE allocator='nta'")
HALF=$(sqlite3 "$DB" "SELECT max(seq) / 2 FROM samples WHERE run_id=$NTA")
sqlite3 "$DB" "UPDATE runs SET status='failed', message='stopped by the test' WHERE id=$NTA;
	DELETE FROM samples WHERE run_id=$NTA AND seq > $HALF; DELETE FROM frag WHERE run_id=$NTA AND seq > $HALF;
	DELETE FROM buddy WHERE run_id=$NTA AND seq > $HALF; DELETE FROM extfrag WHERE run_id=$NTA AND seq > $HALF;
	DELETE FROM snapshots WHERE run_id=$NTA AND events > (SELECT max(events) FROM samples WHERE run_id=$NTA);
	DELETE FROM run_stats WHERE run_id=$NTA AND key='jw4_max_footprint_over_max_live';
	UPDATE run_stats SET value=NULL WHERE run_id=$SLUB AND key='jw3_overhead_at_max_footprint'"
ok figs_database

if $KMEMSIM plot --db "$DB" --out "$OUT" >"$TMP/p.log" 2>&1; then ok figs_plot; else notok figs_plot "$(tail -n 3 "$TMP/p.log" | tr '\n' ' ')"; fi

# The kinds, from --help; for each, the title this database must give.
$KMEMSIM plot --help >"$TMP/help.txt"
KINDS=$(awk '/^kinds/ { f = 1; next } f && NF == 0 { f = 0 } f { print $1 }' "$TMP/help.txt" | tr '\n' ' ')
title() {
	case $1 in
	bars) echo "Back ends ranked: hostage" ;;
	footprint) echo "Footprint and live bytes: hostage" ;;
	thp) echo "Order 9 (2 MiB blocks), zone DMA: hostage" ;;
	frag) echo "Overhead over time: hostage" ;;
	unusable) echo "Unusable free space index per order, zone DMA: hostage" ;;
	fragindex) echo "Fragmentation index per order, zone DMA: hostage" ;;
	hugefree) echo "Free 2 MiB frames: hostage" ;;
	memmap) echo "Physical memory over time: hostage" ;;
	buddy) echo "Free blocks per order: hostage" ;;
	caches) echo "Caches at peak footprint: hostage" ;;
	bitmap) echo "Page bitmap: hostage, slub" ;;
	sweep) echo "peak footprint (MiB) against mem: phases" ;;
	*) echo "?" ;;
	esac
}
svgtext() { printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g'; }
# base name of the PNG the manifest lists with title T
base_of() { awk -F'\t' -v t="$1" '$2 == "figure" && $3 == t && $1 ~ /\.png$/ { sub(/\.png$/, "", $1); print $1; exit }' "$2/manifest.tsv"; }

# Every kind: gnuplot exited 0 (manifest status ok) and wrote a PNG and a
# PDF under the title the kind must have; where the kind draws SVG by
# default, the SVG holds the title's text; the others are drawn again
# with --format svg and checked the same way.
n=0 bad="" nosvg=""
for k in $KINDS; do
	n=$((n + 1))
	t=$(title "$k")
	b=$(base_of "$t" "$OUT")
	if [ -z "$b" ]; then bad="$bad $k:no-figure-titled-'$t'"; continue; fi
	for ext in png pdf; do
		st=$(awk -F'\t' -v f="$b.$ext" '$1 == f { print $4 }' "$OUT/manifest.tsv")
		[ "$st" = ok ] && [ -s "$OUT/$b.$ext" ] && [ "$(wc -c <"$OUT/$b.$ext")" -gt 2000 ] || bad="$bad $k:$ext"
	done
	[ "$(od -An -tx1 -j1 -N3 "$OUT/$b.png" | tr -d ' \n')" = "504e47" ] || bad="$bad $k:png-magic"
	[ "$(head -c 5 "$OUT/$b.pdf")" = "%PDF-" ] || bad="$bad $k:pdf-magic"
	if [ -e "$OUT/$b.svg" ]; then
		grep -qF "$(svgtext "$t")" "$OUT/$b.svg" || bad="$bad $k:svg-title"
	else
		nosvg="$nosvg${nosvg:+,}$k"
	fi
done
[ $n -ge 11 ] && [ -z "$bad" ] && ok figs_every_kind || notok figs_every_kind "$n kinds ($KINDS):$bad"
$KMEMSIM plot --db "$DB" --out "$TMP/s" --kind "$nosvg" --format svg >"$TMP/s.log" 2>&1; rc=$?
bad=""
for k in $(echo "$nosvg" | tr ',' ' '); do
	t=$(title "$k")
	b=$(awk -F'\t' -v t="$t" '$3 == t && $1 ~ /\.svg$/ { sub(/\.svg$/, "", $1); print $1; exit }' "$TMP/s/manifest.tsv")
	[ -n "$b" ] && grep -qF "$(svgtext "$t")" "$TMP/s/$b.svg" || bad="$bad $k"
done
[ $rc = 0 ] && [ -n "$nosvg" ] && [ -z "$bad" ] && [ ! -e "$TMP/s/index.html" ] && ok figs_svg_titles \
	|| notok figs_svg_titles "exit $rc, kinds without SVG '$nosvg', titles missing:$bad"

# n/a, never 0: the bar chart's data has NaN where run_stats is NULL or
# absent, and its SVG draws one "n/a" label per NaN in the four panels
# (peak, jw3, jw4, then failures or mean internal fragmentation).
BT="$OUT/grp0_bars.tsv"
slub_jw3=$(awk -F'\t' '$1 == "slub" { print $3 }' "$BT")
nta_row=$(awk -F'\t' '$1 == "nta" { print $4 "|" $9 }' "$BT")
order=$(awk -F'\t' '!/^#/ { printf "%s ", $1 }' "$BT")
if grep -q 'failed allocations' "$OUT/grp0_bars.svg"; then c4=8; else c4=6; fi
nan=$(awk -F'\t' -v c4=$c4 '!/^#/ { n += ($2 == "NaN") + ($3 == "NaN") + ($4 == "NaN") + ($c4 == "NaN") } END { print n + 0 }' "$BT")
na=$(grep -o '>n/a<' "$OUT/grp0_bars.svg" | wc -l)
if [ "$slub_jw3" = NaN ] && [ "$nta_row" = "NaN|0" ] && [ "$order" = "slub nta " ] && [ "$nan" -ge 2 ] && [ "$na" = "$nan" ]; then
	ok figs_na_not_zero
else
	notok figs_na_not_zero "slub jw3 '$slub_jw3', nta jw4|served '$nta_row', order '$order', $nan NaN, $na n/a labels"
fi
H="$OUT/index.html"
row_slub=$(grep '<td>slub</td>' "$H" | head -n 1)
row_nta=$(grep '<td>nta</td>' "$H" | head -n 1)
echo "$row_slub" | grep -q '<td>n/a</td>' && echo "$row_nta" | grep -q 'class="failed"' &&
	echo "$row_nta" | grep -q 'failed (stopped by the test)' && ok figs_report_na \
	|| notok figs_report_na "slub: $row_slub; nta: $row_nta"

# The run that ended early is drawn: its series ends at its last sample,
# grp0_ends.tsv marks that point with its status, its key says "failed".
last=$(sqlite3 "$DB" "SELECT events FROM samples WHERE run_id=$NTA ORDER BY seq DESC LIMIT 1")
end_row=$(awk -F'\t' '!/^#/ { print $1 "|" $7 }' "$OUT/grp0_ends.tsv")
rows=$(grep -vc '^#' "$OUT/run${NTA}_ts.tsv")
[ "$end_row" = "$last|failed" ] && [ "$rows" = $((HALF + 1)) ] && grep -qF 'nta (failed)' "$OUT/grp0_footprint.svg" \
	&& ok figs_ended_early_drawn || notok figs_ended_early_drawn "ends '$end_row' (want $last|failed), $rows rows (want $((HALF + 1)))"

# The numbers behind the pictures: each memory-map row (a snapshot) counts
# every frame of the 16 MiB machine once; the bitmap's used granules per
# page sum to the snapshot's used_granules (the run's last labelled one).
frames=$(awk -F'\t' '!/^#/ { s = 0; for (i = 3; i <= NF; i++) s += $i; print s }' "$OUT/grp0_memmap.tsv" | sort -u | tr '\n' ' ')
used=$(awk -F'\t' '!/^#/ { s += $2 } END { print s + 0 }' "$OUT/run${SLUB}_bitmap.tsv")
dbused=$(sqlite3 "$DB" "SELECT used_granules FROM snapshots WHERE run_id=$SLUB AND label IS NOT NULL ORDER BY seq DESC LIMIT 1")
[ "$frames" = "4096 " ] && [ "$used" = "$dbused" ] && ok figs_data_match_db \
	|| notok figs_data_match_db "memory-map row sums '$frames' (want 4096), bitmap used $used, db $dbused"

# A pick redraws only what it is asked and leaves index.html and the other
# files alone; --snapshot chooses the bitmap's snapshot; an unknown label
# or kind is refused.
sum=$(cksum <"$H")
$KMEMSIM plot --db "$DB" --out "$OUT" --kind bitmap --run "$SLUB" --snapshot peak --format svg >"$TMP/k.log" 2>&1; a=$?
$KMEMSIM plot --db "$DB" --out "$OUT" --kind bitmap --snapshot 'no such label' >"$TMP/n.log" 2>&1; b=$?
$KMEMSIM plot --db "$DB" --out "$OUT" --kind nosuch >"$TMP/k2.log" 2>&1; c=$?
if [ $a = 0 ] && [ $b = 1 ] && [ $c = 2 ] && [ "$(cksum <"$H")" = "$sum" ] && grep -q 'no such label' "$TMP/n.log" &&
	grep -q '>peak<' "$OUT/run${SLUB}_bitmap.svg" && [ -s "$OUT/grp0_memmap.png" ] &&
	grep -q "^grp0_memmap.png	" "$OUT/manifest.tsv" && grep -q "^run${SLUB}_bitmap.svg	" "$OUT/manifest.tsv"; then
	ok figs_pick
else
	notok figs_pick "exit $a $b $c: $(cat "$TMP/k.log" "$TMP/n.log" "$TMP/k2.log" | tr '\n' ' ')"
fi

# A new full plot removes the files the last one wrote (here: the NTA
# run's, now left out) and nothing else.
echo mine >"$OUT/mine.txt"
$KMEMSIM plot --db "$DB" --out "$OUT" --run "$SLUB" >"$TMP/r.log" 2>&1; a=$?
if [ $a = 0 ] && [ -s "$OUT/mine.txt" ] && [ ! -e "$OUT/run${NTA}_bitmap.png" ] && [ ! -e "$OUT/run${NTA}_ts.tsv" ] &&
	[ ! -e "$OUT/run${SLUB}_bitmap.svg" ] && [ -s "$OUT/run${SLUB}_bitmap.png" ] && [ -s "$H" ] &&
	! grep -q "run${NTA}_" "$OUT/manifest.tsv" && ! ls -a "$OUT" | grep -q '\.bin$'; then
	ok figs_stale_removed
else
	notok figs_stale_removed "exit $a: $(ls "$OUT" | tr '\n' ' ')"
fi

# --help names every kind and format; a bad format is refused.
$KMEMSIM plot --db "$DB" --out "$OUT" --format jpeg >/dev/null 2>&1; a=$?
miss=""
for w in footprint frag bars unusable fragindex thp hugefree memmap bitmap buddy caches sweep png pdf svg --kind --format --snapshot; do
	grep -q -- "$w" "$TMP/help.txt" || miss="$miss $w"
done
[ $a = 2 ] && [ -z "$miss" ] && ok figs_help || notok figs_help "exit $a, missing:$miss"
