#!/bin/sh
# The results store end to end (sim/results.c, DESIGN.md "Results database"):
#  - two `kmemsim compare` and a slow `kmemsim run` write one database at
#    once: another writer never waits 2 s for the lock meanwhile, every run
#    is ok, and every run's rows (all tables, run_id aside) equal those of
#    the same run made alone into its own database;
#  - a full disk (a small tmpfs): exit 1, the message, the row failed;
#  - SIGINT / SIGTERM during a Lua workload that never ends: exit 130 / 143,
#    the row interrupted, samples kept and consistent with the summary;
#  - stale `running` rows: this host's dead pid is abandoned by the next
#    run, a live pid ($$) and another host's rows stay running.
. tests/lib.sh
K="$KMEMSIM"
MNT="$TMP/full"
trap 'umount "$MNT" 2>/dev/null; rm -rf "$TMP"' EXIT
TABLES="samples run_stats buddy caches frag extfrag cache_samples snapshots"

# dump DB RUN: every row of the run, run_id dropped, blobs in hex, sorted
dump() {
	for t in $TABLES; do
		echo "== $t"
		sqlite3 -cmd ".mode quote" "$1" "SELECT * FROM $t WHERE run_id = $2" | sed 's/^[^,]*,//' | sort
	done
	sqlite3 "$1" "SELECT allocator, input, params, seed, mem_bytes, cpus FROM runs WHERE id = $2"
}
# counts DB RUN: rows per table, one line
counts() {
	for t in $TABLES; do printf '%s=%s ' $t "$(sqlite3 "$1" "SELECT count(*) FROM $t WHERE run_id = $2")"; done
}

# ---- concurrent writers: two compares and a slow run share one file
DB="$TMP/shared.db"
A="--sample-every 20 workloads/hostage.lua --set n=3000"
B="--sample-every 20 --trace tests/data/gcc-small.ftrace.xz"
S="--check-every 1 --sample-every 10 workloads/kernel-objects.lua --set n=6000"
$K compare --db "$DB" --study ca --no-plot $A >"$TMP/ca.out" 2>"$TMP/ca.err" &
pa=$!
$K compare --db "$DB" --study cb --no-plot $B >"$TMP/cb.out" 2>"$TMP/cb.err" &
pb=$!
$K run --allocator slab --db "$DB" --study slow --quiet --no-progress $S >"$TMP/slow.out" 2>"$TMP/slow.err" &
ps=$!
# While they run, another writer gets the lock within 2 s, every time: no
# process holds it while it simulates (flushes take milliseconds).
probes=0 locked=0
while kill -0 $ps 2>/dev/null; do
	probes=$((probes + 1))
	sqlite3 -cmd ".timeout 2000" "$DB" "BEGIN IMMEDIATE; COMMIT;" >/dev/null 2>&1 || locked=$((locked + 1))
	sleep 0.2
done
[ $probes -ge 3 ] && [ $locked = 0 ] && ok store_concurrent_lock_free ||
	notok store_concurrent_lock_free "$locked of $probes probes found the file locked for 2 s"
wait $pa; ra=$?
wait $pb; rb=$?
wait $ps; rs=$?
nb=$($K list | wc -l)
total=$(sqlite3 "$DB" "SELECT count(*) FROM runs" 2>&1)
notok_runs=$(sqlite3 "$DB" "SELECT id || ':' || allocator || ':' || status || ':' || coalesce(message, '') FROM runs WHERE status <> 'ok'" 2>&1)
if [ "$ra$rb$rs" = 000 ] && [ "$total" = $((2 * nb + 1)) ] && [ -z "$notok_runs" ]; then
	ok store_concurrent_all_ok
else
	notok store_concurrent_all_ok "exit $ra $rb $rs, $total runs (want $((2 * nb + 1))), not ok: $notok_runs;" \
		"$(cat "$TMP/ca.err" "$TMP/cb.err" "$TMP/slow.err" | grep -v 'done\|at a time' | head -n 5 | tr '\n' ' ')"
fi

# the same runs, one at a time, each into its own file (compare's children
# run with --quiet --no-progress --study S --db DB and the passed options)
bad=""
i=0
for id in $(sqlite3 "$DB" "SELECT id FROM runs ORDER BY id"); do
	i=$((i + 1))
	b=$(sqlite3 "$DB" "SELECT allocator FROM runs WHERE id = $id")
	case $(sqlite3 "$DB" "SELECT study FROM runs WHERE id = $id") in
	ca) opts=$A ;; cb) opts=$B ;; *) opts=$S ;;
	esac
	ref="$TMP/ref$i.db"
	if ! $K run --allocator "$b" --db "$ref" --quiet --no-progress $opts >/dev/null 2>"$TMP/ref.err"; then
		bad="$bad run $id ($b) alone failed: $(head -c 200 "$TMP/ref.err");"
		continue
	fi
	dump "$DB" "$id" >"$TMP/shared.dump"
	dump "$ref" 1 >"$TMP/ref.dump"
	if ! cmp -s "$TMP/shared.dump" "$TMP/ref.dump"; then
		bad="$bad run $id ($b): shared $(counts "$DB" "$id") alone $(counts "$ref" 1);"
	fi
done
# the oracle must have seen rows (a dump of nothing equals a dump of nothing)
rows=$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM samples) || ' ' || (SELECT count(*) FROM buddy) || ' ' ||
	(SELECT count(DISTINCT run_id) FROM samples) || ' ' || (SELECT count(DISTINCT run_id) FROM caches)")
set -- $rows
if [ -z "$bad" ] && [ "$i" = $((2 * nb + 1)) ] && [ "$1" -gt 1000 ] && [ "$2" -gt 10000 ] &&
   [ "$3" = "$i" ] && [ "$4" -ge 2 ]; then
	ok store_concurrent_rows_equal_alone
else
	notok store_concurrent_rows_equal_alone "$i runs, rows $rows;$bad"
fi

# ---- a full disk
mkdir -p "$MNT"
if mount -t tmpfs -o size=1m tmpfs "$MNT" 2>/dev/null; then
	$K run --allocator slub --db "$MNT/f.db" --no-progress --quiet --sample-every 10 \
		workloads/bench.lua --set events=300000 >/dev/null 2>"$TMP/full.err"
	rc=$?
	st=$(sqlite3 "$MNT/f.db" "SELECT status || ': ' || message FROM runs" 2>&1)
	if [ "$rc" = 1 ] && grep -q "^kmemsim: $MNT/f.db: database or disk is full: the run's results are incomplete\$" "$TMP/full.err" &&
	   [ "$st" = "failed: database or disk is full: the run's results are incomplete" ]; then
		ok store_disk_full
	else
		notok store_disk_full "exit $rc, row '$st', stderr $(head -c 300 "$TMP/full.err" | tr '\n' ' ')"
	fi
	umount "$MNT"
else
	ok "store_disk_full # skip: cannot mount tmpfs"
fi

# ---- signals: a workload that never ends
cat >"$TMP/forever.lua" <<'LUA'
local sim = require "kmemsim"
local i = 0
while true do
	i = i + 1
	local h = sim.alloc(32 + i % 2000, { lifetime = 1e5 })
	if i % 100 == 0 then sim.advance(1e4) end
end
LUA
# sig NAME SIGNAL STATUS: run it in the background, signal it once its row
# is `running` and it has written rows, check the exit status and the row
sig() {
	name=$1 signal=$2 want=$3
	db="$TMP/$name.db"
	# a background job of a script starts with SIGINT ignored: undo that
	env --default-signal=INT $K run --allocator slub --db "$db" --no-progress --quiet --sample-every 500 \
		"$TMP/forever.lua" >/dev/null 2>"$TMP/$name.err" &
	pid=$!
	n=0
	until [ "$(sqlite3 "$db" "SELECT count(*) FROM runs r, samples s WHERE r.status = 'running' AND s.run_id = r.id" 2>/dev/null)" -gt 0 ] 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 600 ] && break
		sleep 0.1
	done
	kill -s "$signal" $pid
	wait $pid
	rc=$?
	row=$(sqlite3 "$db" "SELECT status || ': ' || message FROM runs")
	smp=$(sqlite3 "$db" "SELECT count(*) FROM samples")
	# the summary and the last sample are the same event boundary
	same=$(sqlite3 "$db" "SELECT (SELECT max(events) FROM samples) = (SELECT value FROM run_stats WHERE key = 'events')
		AND (SELECT value FROM run_stats WHERE key = 'events') > 0")
	case $row in "interrupted: interrupted by SIG$signal at event "*) rowok=1 ;; *) rowok=0 ;; esac
	if [ "$rc" = "$want" ] && [ $rowok = 1 ] && [ "$smp" -gt 0 ] && [ "$same" = 1 ] &&
	   grep -q "interrupted by SIG$signal.*partial results kept" "$TMP/$name.err"; then
		ok "$name"
	else
		notok "$name" "exit $rc (want $want), row '$row', $smp samples, consistent=$same, stderr $(head -c 200 "$TMP/$name.err")"
	fi
}
if env --default-signal=INT true 2>/dev/null; then
	sig store_sigint INT 130
else
	ok "store_sigint # skip: env --default-signal is missing (coreutils < 8.31)"
fi
sig store_sigterm TERM 143

# ---- stale running rows
DB="$TMP/stale.db"
$K run --allocator buddy --db "$DB" --no-progress --quiet workloads/hostage.lua --set n=100 >/dev/null 2>&1
sh -c 'exit 0' &
dead=$!
wait $dead
host=$(hostname)
sqlite3 "$DB" "INSERT INTO runs (allocator, status, host, pid) VALUES ('dead', 'running', '$host', $dead),
	('live', 'running', '$host', $$), ('elsewhere', 'running', 'not-$host', $dead)"
$K run --allocator buddy --db "$DB" --no-progress --quiet workloads/hostage.lua --set n=100 >/dev/null 2>&1
got=$(sqlite3 "$DB" "SELECT allocator || '=' || status FROM runs ORDER BY id" | tr '\n' ' ')
if [ "$got" = "buddy=ok dead=abandoned live=running elsewhere=running buddy=ok " ]; then
	ok store_stale_running
else
	notok store_stale_running "$got"
fi
