#!/bin/sh
# t_sweep.sh - kmemsim sweep on local processes, merge and export.
#  - a 3 x 3 x 3 spec (back ends x memory sizes x seeds): --dry-run lists
#    27 runs in the spec's order; bad specs are refused with SPEC:LINE;
#  - `sweep -j 2` stopped by SIGTERM: exit 143, its running children marked
#    interrupted by their own handlers, no row left running; run again it
#    does only what is left and ends with exactly 27 runs, all ok, one per
#    configuration (the interrupted rows superseded);
#  - each run's row: git_commit as `kmemsim --version` says, input_hash
#    equal to `b2sum -l 256`, a command line that, run again, gives the same
#    numbers and the same configuration hash; the hash ignores the order of
#    --set options and changes with a seed;
#  - the views: run_summary's columns equal run_stats; study_ranking's order
#    recomputed here from the summary values (served first, mean peak);
#  - export: CSV read back with python's csv module (27 rows, named
#    columns, values equal to the database) and JSON with its json module;
#  - merge: copies 27 runs, skips them all the second time with the same
#    numbers, --refuse-dups fails and leaves OUT byte for byte unchanged, a
#    bad input after a good one leaves OUT unchanged and a new OUT unmade.
. tests/lib.sh
command -v sqlite3 >/dev/null 2>&1 || { echo "ok sweep # SKIP sqlite3 not installed"; exit 0; }
S=$TMP/t.sweep
cat >"$S" <<'EOF'
# three back ends, three memory sizes, three seeds: 27 runs
study = sweeptest
workload = workloads/phases.lua
allocator = slub, slab, nta
mem = 16M, 32M, 64M
seed = 1..3
set.ramp = 60000         # big enough that a run takes a moment
set.peak_size = 3000
set.plateau = 60000
EOF
DB=$TMP/r.db
sql() { sqlite3 "$DB" "$1"; }

# ---- the plan ----
$KMEMSIM sweep "$S" --db "$DB" --dry-run >"$TMP/dry" 2>"$TMP/dry.err"
check dry_run_27 test "$(wc -l <"$TMP/dry")" = 27
check dry_run_order sh -c "sed -n 2p '$TMP/dry' | grep -q -- '--allocator slub --mem 16M --seed 2 ' &&
	sed -n 27p '$TMP/dry' | grep -q -- '--allocator nta --mem 64M --seed 3 '"
check dry_run_all_todo test "$(cut -f2 "$TMP/dry" | sort -u)" = todo
check dry_run_distinct_hashes test "$(cut -f3 "$TMP/dry" | sort -u | wc -l)" = 27
check dry_run_runs_nothing test "$(sql "SELECT count(*) FROM runs")" = 0

bad() {   # bad NAME EXPECTED-MESSAGE-PART SPEC-TEXT
	printf '%s\n' "$3" >"$TMP/bad.sweep"
	$KMEMSIM sweep "$TMP/bad.sweep" --db "$TMP/bad.db" --dry-run >/dev/null 2>"$TMP/bad.err"
	rc=$?
	if [ $rc = 2 ] && grep -q -- "$2" "$TMP/bad.err"; then ok "$1"; else notok "$1" "rc $rc: $(cat "$TMP/bad.err")"; fi
}
bad spec_no_input "no input" "allocator = slub"
bad spec_unknown_allocator "bad.sweep:2: allocator: no back end 'slubb'" "workload = workloads/phases.lua
allocator = slubb"
bad spec_bad_range "bad.sweep:2: seed: a range is FROM..TO" "workload = workloads/phases.lua
seed = 1..x"
bad spec_syntax "bad.sweep:1: expected" "allocator slub"
bad spec_twice "bad.sweep:3: mem given twice" "workload = workloads/phases.lua
mem = 16M
mem = 32M"
bad spec_db_not_axis "bad.sweep:2: db is not an axis" "workload = workloads/phases.lua
db = x.db"
bad spec_flag_value "a flag is on or off" "workload = workloads/phases.lua
flag.no-merge = yes"
# an option run refuses: the run is named, nothing runs
bad spec_run_refuses "run 1 of 2 refused" "workload = workloads/phases.lua
mem = 16M, 1K"
check spec_refused_runs_nothing test ! -e "$TMP/bad.db"

# ---- interrupted, then resumed ----
$KMEMSIM sweep "$S" --db "$DB" -j 2 >"$TMP/s1.out" 2>"$TMP/s1.err" &
sp=$!
for i in $(seq 600); do
	n=$(sql "SELECT count(*) FROM runs WHERE status = 'ok'" 2>/dev/null)
	[ "${n:-0}" -ge 4 ] && break
	sleep 0.1
done
kill -TERM $sp
wait $sp
rc=$?
check interrupted_exit_143 test $rc = 143
check interrupted_says_resume grep -q "run it again to resume" "$TMP/s1.err"
nok=$(sql "SELECT count(*) FROM runs WHERE status = 'ok'")
check interrupted_partial test "$nok" -ge 4 -a "$nok" -lt 27
check interrupted_children_marked test "$(sql "SELECT count(*) FROM runs WHERE status = 'interrupted'
	AND message LIKE 'interrupted by SIGTERM%'")" -ge 1
check interrupted_none_running test "$(sql "SELECT count(*) FROM runs WHERE status IN ('running', 'abandoned')")" = 0
$KMEMSIM sweep "$S" --db "$DB" -j 2 >"$TMP/s2.out" 2>"$TMP/s2.err"
rc=$?
check resumed_exit_0 test $rc = 0
check resumed_skips_done grep -q "27 runs, $nok already ok" "$TMP/s2.err"
check resumed_progress grep -q "27/27 done\|$((27 - nok))/$((27 - nok)) done, 0 failed" "$TMP/s2.err"
check resumed_27_runs test "$(sql "SELECT count(*) || ' ' || sum(status = 'ok') || ' ' || count(DISTINCT config_hash) FROM runs")" = "27 27 27"
check resumed_rows_of_27_runs_only test "$(sql "SELECT count(DISTINCT run_id) FROM run_stats")" = 27
check resumed_nothing_left sh -c "$KMEMSIM sweep '$S' --db '$DB' -j 2 2>&1 | grep -q '27 already ok in .*, 0 to run'"

# ---- what each run records ----
ver=$($KMEMSIM --version)
commit=$(sql "SELECT DISTINCT git_commit FROM runs")
check git_commit_recorded sh -c "echo '$ver' | grep -q '($commit)' && test -n '$commit' && test '$commit' != unknown"
if git rev-parse --git-dir >/dev/null 2>&1; then
	c=${commit%-dirty}
	check git_commit_names_a_commit git cat-file -e "${c##*-g}^{commit}"
fi
check input_hash_is_b2sum test "$(sql "SELECT DISTINCT input_hash FROM runs")" = "$(b2sum -l 256 workloads/phases.lua | cut -d' ' -f1)"
id=$(sql "SELECT id FROM runs WHERE allocator = 'slab' AND mem_bytes = 33554432 AND seed = 2")
cmd=$(sql "SELECT cmdline FROM runs WHERE id = $id")
check cmdline_names_run sh -c "echo \"\$1\" | grep -q -- ' run --allocator slab --mem 32M --seed 2 --set ramp=60000'" - "$cmd"
eval "$cmd --db '$TMP/again.db'" >/dev/null 2>&1
again=$(sqlite3 "$TMP/again.db" "ATTACH '$DB' AS o; SELECT (SELECT count(*) FROM (SELECT key, value FROM run_stats
	EXCEPT SELECT key, value FROM o.run_stats WHERE run_id = $id)) || ' ' || (SELECT count(*) FROM run_stats) ||
	' ' || ((SELECT config_hash FROM runs) = (SELECT config_hash FROM o.runs WHERE id = $id))")
check cmdline_reruns_same_numbers test "$again" != "" -a "${again%% *}" = 0 -a "${again##* }" = 1
h() { $KMEMSIM run --allocator slub --db "$TMP/h.db" --study hs --quiet workloads/phases.lua --set ramp=100 --set peak_size=10 \
	--set plateau=100 "$@" >/dev/null 2>&1; sqlite3 "$TMP/h.db" "SELECT config_hash FROM runs ORDER BY id DESC LIMIT 1"; }
h1=$(h --set peaks=2 --set mu=4)
h2=$(h --set mu=4 --set peaks=2)
h3=$(h --set mu=4 --set peaks=2 --seed 7)
h4=$(h --set mu=4 --set peaks=2 --quiet --no-progress --study other)
check config_hash_set_order test -n "$h1" -a "$h1" = "$h2"
check config_hash_seed test "$h1" != "$h3"
check config_hash_not_output test "$h1" = "$h4"

# ---- views ----
check run_summary_equals_run_stats test "$(sql "SELECT count(*) FROM run_summary v JOIN run_stats s ON s.run_id = v.run_id
	AND s.key = 'peak_footprint_bytes' WHERE v.peak_footprint_bytes IS NOT s.value")/$(sql "SELECT count(*) FROM run_summary")" = 0/27
# study_ranking recomputed: per memory size, mean peak over seeds, served first
python3 - "$DB" >"$TMP/rank.out" 2>&1 <<'EOF'
import sqlite3, sys, collections
db = sqlite3.connect(sys.argv[1])
runs = db.execute("SELECT r.allocator, r.mem_bytes, s.value, (SELECT value FROM run_stats WHERE run_id = r.id AND key = 'failed_allocs'), r.status FROM runs r JOIN run_stats s ON s.run_id = r.id AND s.key = 'peak_footprint_bytes'").fetchall()
g = collections.defaultdict(list)
for a, m, v, f, st in runs:
    g[(m, a)].append((v, f == 0 and st == 'ok'))
mine = {}
for m in sorted({k[0] for k in g}):
    b = [(not all(s for _, s in g[(m, a)]), sum(v for v, _ in g[(m, a)]) / len(g[(m, a)]), a) for (mm, a) in g if mm == m]
    mine[m] = [a for _, _, a in sorted(b)]
view = collections.defaultdict(list)
for cfg, a in db.execute("SELECT config, allocator FROM study_ranking ORDER BY config, rank"):
    m = int([w for w in cfg.split() if w.startswith('mem=')][0][4:])
    view[m].append(a)
print("same" if dict(view) == mine and len(mine) == 3 else "differ: %s vs %s" % (dict(view), mine))
EOF
check study_ranking_rule grep -q '^same$' "$TMP/rank.out"

# ---- export ----
$KMEMSIM export --format csv --db "$DB" --study sweeptest >"$TMP/e.csv" 2>"$TMP/e.err"
python3 - "$TMP/e.csv" "$DB" >"$TMP/csv.out" 2>&1 <<'EOF'
import csv, sqlite3, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
db = sqlite3.connect(sys.argv[2])
want = dict(db.execute("SELECT run_id, value FROM run_stats WHERE key = 'peak_footprint_bytes'"))
ok = len(rows) == 27 and all(float(r['peak_footprint_bytes']) == want[int(r['run_id'])] for r in rows)
ok = ok and {r['allocator'] for r in rows} == {'slub', 'slab', 'nta'} and {r['set.ramp'] for r in rows} == {'60000'}
ok = ok and {r['mem'] for r in rows} == {'16777216', '33554432', '67108864'} and all(r['message'] == '' for r in rows)
ok = ok and all(float(r['jw3_overhead_at_max_footprint']) == db.execute("SELECT value FROM run_stats WHERE run_id = ? AND key = 'jw3_overhead_at_max_footprint'", (int(r['run_id']),)).fetchone()[0] for r in rows)
print("csv ok" if ok else "csv wrong: %d rows, %s" % (len(rows), rows[:1]))
EOF
check export_csv_pandas_style grep -q '^csv ok$' "$TMP/csv.out"
$KMEMSIM export --format json --db "$DB" >"$TMP/e.json" 2>/dev/null
check export_json python3 -c "import json,sys; r=json.load(open('$TMP/e.json')); sys.exit(not (len(r) == 27 + 0 and all(x['message'] is None and isinstance(x['peak_footprint_bytes'], (int, float)) and x['allocator'] in ('slub', 'slab', 'nta') for x in r)))"
check export_study_filter test "$($KMEMSIM export --format csv --db "$DB" --study nosuch | wc -l)" = 0
check export_bad_format sh -c "$KMEMSIM export --format xml --db '$DB'; test \$? = 2"

# ---- merge ----
M=$TMP/m.db
$KMEMSIM merge "$M" "$DB" >"$TMP/m1.out" 2>&1
check merge_copies grep -q '27 runs copied from 1 files; 0 duplicates' "$TMP/m1.out"
check merge_renumbers_keeps_study test "$(sqlite3 "$M" "SELECT count(*) || ' ' || min(id) || ' ' || max(id) || ' ' || group_concat(DISTINCT study) FROM runs")" = "27 1 27 sweeptest"
check merge_every_table test "$(sqlite3 "$M" "SELECT count(*) FROM samples")" = "$(sql "SELECT count(*) FROM samples")"
$KMEMSIM merge "$M" "$DB" >"$TMP/m2.out" 2>&1
check merge_skips_dups grep -q '0 runs copied from 1 files; 27 duplicates skipped (0 with other numbers)' "$TMP/m2.out"
before=$(b2sum "$M")
$KMEMSIM merge --refuse-dups "$M" "$DB" >"$TMP/m3.out" 2>&1
rc=$?
check merge_refuse_dups test $rc = 1 -a "$(b2sum "$M")" = "$before"
head -c 4096 /dev/urandom >"$TMP/junk.db"
$KMEMSIM merge "$M" "$TMP/h.db" "$TMP/junk.db" >"$TMP/m4.out" 2>&1
rc=$?
check merge_failure_leaves_out test $rc = 1 -a "$(b2sum "$M")" = "$before"
check merge_failure_says grep -q 'is unchanged' "$TMP/m4.out"
$KMEMSIM merge "$TMP/new.db" "$DB" "$TMP/junk.db" >/dev/null 2>&1
check merge_failure_no_new_out sh -c "! ls '$TMP'/new.db* 2>/dev/null | grep -q ."
# h.db: four runs, three of one configuration (--set order, output options)
$KMEMSIM merge "$M" "$TMP/h.db" >"$TMP/m5.out" 2>&1
check merge_dups_within_input grep -q '2 runs copied from 1 files; 2 duplicates skipped (0 with other numbers)' "$TMP/m5.out"
check merge_adds_other_study test "$(sqlite3 "$M" "SELECT count(*) || ' ' || count(DISTINCT study) FROM runs")" = "29 2"

# ---- emit ----
$KMEMSIM sweep "$S" --db "$TMP/e.db" --emit parallel --out "$TMP/par" >"$TMP/par.out" 2>&1
check emit_parallel_jobs test "$(wc -l <"$TMP/par/jobs.txt")" = 27
check emit_parallel_commands sh -c "grep -q '^submit: cd .* && parallel --jobs' '$TMP/par.out' && grep -q '^merge: .* merge ' '$TMP/par.out'"
check emit_own_db_each test "$(grep -o -- '--db [^ ]*' "$TMP/par/jobs.txt" | sort -u | wc -l)" = 27
$KMEMSIM sweep "$S" --db "$DB" --emit slurm --out "$TMP/sl" >"$TMP/sl.out" 2>&1
check emit_nothing_left grep -q 'nothing to run' "$TMP/sl.out"
# the job list through real GNU parallel, merged: the local sweep's numbers
if command -v parallel >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
	parallel --will-cite --jobs 2 --joblog "$TMP/par/joblog" <"$TMP/par/jobs.txt" >/dev/null 2>&1
	check parallel_ran test "$(awk 'NR > 1 && $7 == 0' "$TMP/par/joblog" | wc -l)" = 27
	$KMEMSIM merge "$TMP/par.db" "$TMP/par/db/"*.db >"$TMP/pm.out" 2>&1
	d=$(sqlite3 "$DB" "ATTACH '$TMP/par.db' AS p; SELECT (SELECT count(*) FROM (
		SELECT r.params, s.key, s.value FROM main.runs r JOIN main.run_stats s ON s.run_id = r.id
		EXCEPT SELECT r.params, s.key, s.value FROM p.runs r JOIN p.run_stats s ON s.run_id = r.id))
		+ (SELECT count(*) FROM p.runs WHERE status = 'ok')")
	check parallel_merged_same_numbers test "$d" = 27
else
	echo "ok parallel # SKIP GNU parallel not installed (apt-get install parallel)"
fi

# ---- the sweep figure: peak footprint against mem, a line per back end ----
$KMEMSIM plot --db "$DB" --study sweeptest --kind sweep --out "$TMP/fig" >"$TMP/fig.log" 2>&1
tsv=$(ls "$TMP/fig/"sweep*.tsv 2>/dev/null | head -n 1)
check sweep_figure_drawn sh -c "ls '$TMP/fig/'sweep*.png '$TMP/fig/'sweep*.pdf >/dev/null 2>&1 &&
	grep -q 'peak footprint (MiB) against mem: phases' '$TMP/fig/manifest.tsv'"
want=$(sql "SELECT avg(s.value) / 1048576.0 FROM runs r JOIN run_stats s ON s.run_id = r.id AND s.key = 'peak_footprint_bytes'
	WHERE r.allocator = 'slab' AND r.mem_bytes = 33554432")
got=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "slab_mean") c = i } $1 == 32 { print $c }' "$tsv")
check sweep_figure_mean_over_seeds awk -v a="$want" -v b="$got" 'BEGIN { exit !(b != "" && (a - b < 1e-6 && b - a < 1e-6)) }'
