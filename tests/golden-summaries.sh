#!/bin/sh
# golden-summaries.sh - every number a refactoring must not change, written
# to files so two builds can be diffed.
#
#   tests/golden-summaries.sh DIR [OLD_DIR | OLD_SHA256SUMS]
#
# Runs $KMEMSIM (default ./kmemsim, the release build) on the real trace
# (tests/data/gcc-small.ftrace.xz) and on every workload in workloads/
# except bench.lua (a speed benchmark), each with its default parameters,
# against every back end of `kmemsim list`, with --backing direct and
# mapped, and writes into DIR:
#   NAME.sum   the full `kmemsim run --no-db` output (summary, the
#              workload's own prints, --slabinfo), then its stderr and
#              exit status;
#   NAME.db    the same run with a database (samples every 1000 events,
#              snapshots every 20000 as make demo): every row of every
#              table but the run's row (paths, times), as text (blobs as hex);
#   SHA256SUMS a checksum of each of those files.
# A few extra configurations exercise the page-table reserve and low
# watermark (exhaust on 64 MiB with --pt-reserve 16), 5-level tables,
# more CPUs and the invariant checkers (--check-every; a broken invariant
# aborts and shows as a changed exit status).
# With OLD_DIR, compare the two directories and exit 1 on any difference
# (printing the first lines of each differing file's diff); with a
# checksum file (a SHA256SUMS kept from an earlier run, such as
# tests/data/golden-cd0705b.sha256 for main before the page layer), compare
# the checksums and name the files that differ.
# The outputs are large (tens of MiB); keep them outside the repository,
# or keep only SHA256SUMS.
cd "$(dirname "$0")/.." || exit 2
KMEMSIM=${KMEMSIM:-./kmemsim}
[ $# -ge 1 ] || { echo "usage: $0 DIR [OLD_DIR | OLD_SHA256SUMS]" >&2; exit 2; }
DIR=$1
OLD=$2
mkdir -p "$DIR" || exit 2
rm -f "$DIR"/*.sum "$DIR"/*.db "$DIR"/SHA256SUMS
TMPD=$(mktemp -d); trap 'rm -rf "$TMPD"' EXIT

backends=$($KMEMSIM list | awk '{print $1}')
[ -n "$backends" ] || { echo "$0: $KMEMSIM list printed no back end" >&2; exit 2; }

# one NAME ARGS...: the summary run and the database run of one configuration
one() {
	name=$1; shift
	$KMEMSIM run --no-db --no-progress --slabinfo "$@" >"$DIR/$name.sum" 2>"$TMPD/err"
	rc=$?
	{ echo "--- stderr"; cat "$TMPD/err"; echo "--- exit $rc"; } >>"$DIR/$name.sum"
	rm -f "$TMPD/r.db"
	$KMEMSIM run --db "$TMPD/r.db" --no-progress --quiet --sample-every 1000 \
		--snapshot-every 20000 "$@" >/dev/null 2>"$TMPD/err"
	rc=$?
	{
		echo "--- exit $rc"
		for t in run_stats samples buddy frag extfrag caches cache_samples; do
			echo "--- $t"
			sqlite3 "$TMPD/r.db" "SELECT * FROM $t ORDER BY rowid" 2>&1
		done
		echo "--- snapshots"
		sqlite3 "$TMPD/r.db" "SELECT seq, label, time_ns, events, granule, nframes, used_granules,
			hex(owners), hex(bitmap) FROM snapshots ORDER BY seq" 2>&1
		echo "--- runs"
		sqlite3 "$TMPD/r.db" "SELECT allocator, seed, mem_bytes, cpus, status, message FROM runs" 2>&1
	} >"$DIR/$name.db"
}

inputs="gcc-small"
for w in workloads/*.lua; do
	n=$(basename "$w" .lua)
	[ "$n" = bench ] || inputs="$inputs $n"
done

for inp in $inputs; do
	if [ "$inp" = gcc-small ]; then args="--trace tests/data/gcc-small.ftrace.xz"; else args="workloads/$inp.lua"; fi
	for b in $backends; do
		for k in direct mapped; do
			# shellcheck disable=SC2086
			one "$inp.$b.$k" --allocator "$b" --backing "$k" $args
		done
	done
done
for b in $backends; do
	for k in direct mapped; do
		one "exhaust-64m-reserve.$b.$k" --allocator "$b" --backing "$k" --mem 64M --pt-reserve 16 \
			workloads/exhaust.lua
		one "gcc-small-5level.$b.$k" --allocator "$b" --backing "$k" --pt-levels 5 --cpus 4 \
			--check-every 997 --trace tests/data/gcc-small.ftrace.xz
	done
done

(cd "$DIR" && sha256sum -- *.sum *.db >SHA256SUMS)
echo "$(ls "$DIR"/*.sum | wc -l) configurations written to $DIR"

[ -n "$OLD" ] || exit 0
if [ -f "$OLD" ]; then
	if diff "$OLD" "$DIR/SHA256SUMS" >"$TMPD/sums"; then
		echo "identical: every checksum in $DIR/SHA256SUMS equals $OLD"
		exit 0
	fi
	echo "files whose checksum differs from $OLD:"
	awk '/^[<>]/ { print "  " $3 }' "$TMPD/sums" | sort -u
	exit 1
fi
bad=0
for f in "$DIR"/*.sum "$DIR"/*.db "$OLD"/*.sum "$OLD"/*.db; do
	n=$(basename "$f")
	if ! cmp -s "$DIR/$n" "$OLD/$n"; then
		case " $seen " in *" $n "*) continue;; esac
		seen="$seen $n"
		bad=$((bad + 1))
		echo "DIFFERS: $n"
		diff "$OLD/$n" "$DIR/$n" 2>&1 | head -n 10
	fi
done
if [ "$bad" -eq 0 ]; then
	echo "identical: every file in $DIR equals $OLD"
else
	echo "$bad files differ between $OLD and $DIR"
	exit 1
fi
