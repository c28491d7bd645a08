#!/bin/sh
# make bench: speed figures of the release build, single core.
#  1. A 10^7-event synthetic workload driven from Lua (workloads/bench.lua)
#     against SLUB (buddy if SLUB is not registered), without a database
#     (engine + Lua + back end) and with the default database and sampling
#     (what a user's run costs).
#  2. Replay of tests/data/gcc-small.ftrace.xz against every back end.
# Each figure is the best of 3 runs. Lines: "bench: NAME: X M events/s".
cd "$(dirname "$0")/.." || exit 2
K=./kmemsim
[ -x "$K" ] || { echo "bench: build ./kmemsim first (make)"; exit 2; }
PIN=""
command -v taskset >/dev/null && PIN="taskset -c 0"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
EVENTS=${BENCH_EVENTS:-10000000}

now_ns() { date +%s%N; }
# best NAME CMD...: run CMD 3 times, print the best events/s (events from the summary)
best() {
	name=$1; shift
	bestt=""
	for i in 1 2 3; do
		rm -f "$TMP/b.db"
		t0=$(now_ns)
		$PIN "$@" >"$TMP/out" 2>"$TMP/err" || { echo "bench: $name: failed: $(head -c 300 "$TMP/err")"; return 1; }
		t1=$(now_ns)
		t=$((t1 - t0))
		if [ -z "$bestt" ] || [ "$t" -lt "$bestt" ]; then bestt=$t; fi
	done
	ev=$(sed -n 's/^events: //p' "$TMP/out")
	awk -v n="$name" -v e="$ev" -v t="$bestt" 'BEGIN {
		printf("bench: %s: %.1f M events/s (%d events in %.3f s)\n", n, e / (t / 1e9) / 1e6, e, t / 1e9) }'
}

if $K list | awk '{ print $1 }' | grep -qx slub; then be=slub; else
	be=buddy; echo "bench: slub is not registered; the Lua figure uses buddy"; fi
best "lua-synthetic-$be" $K run --allocator $be --no-db --no-progress workloads/bench.lua --set events=$EVENTS
best "lua-synthetic-$be-db" $K run --allocator $be --db "$TMP/b.db" --no-progress workloads/bench.lua --set events=$EVENTS
for b in $($K list | awk '{ print $1 }'); do
	best "replay-gcc-small-$b" $K run --allocator $b --no-db --no-progress --trace tests/data/gcc-small.ftrace.xz
done
