#!/bin/sh
# Every workload in workloads/ against every registered back end, with
# small parameters and invariant checks, each checked for what it is about.
. tests/lib.sh
K="$KMEMSIM"
backends=$($K list | awk '{ print $1 }')
[ -n "$backends" ] || { notok workloads_list "kmemsim list printed nothing"; exit 0; }
db="$TMP/w.db"
# run NAME BACKEND MEM SCRIPT [--set ...]: output in $TMP/NAME-BACKEND.out
run() {
	n=$1 b=$2 m=$3 w=$4; shift 4
	$K run --allocator "$b" --mem "$m" --db "$db" --check-every 1 --no-progress "workloads/$w.lua" "$@" \
		>"$TMP/$n-$b.out" 2>"$TMP/$n-$b.err"
}
fail() { notok "$1" "$(cat "$TMP/$2.err" "$TMP/$2.out" | head -n 8 | tr '\n' ' ') $3"; }

for b in $backends; do
	# the lecture's table, exactly; the back end gets the same requests
	if run slides $b 32M buddy-slides --quiet && diff -u tests/data/buddy_slides.expected "$TMP/slides-$b.out" >"$TMP/d"; then
		ok "buddy_slides_$b"
	else
		fail "buddy_slides_$b" "slides-$b" "$(head -c 300 "$TMP/d" | tr '\n' '|')"
	fi

	# NTA's test: four failures, each no larger than its round's maximum,
	# a snapshot at each
	if run nta $b 16M nta-fragmentation; then
		bad=$(awk '/^nta_failure:/ { n++; if ($3 != n || $6 == "none" || $7 + 0 > $5 + 0 || $7 + 0 < 1) print "bad:" $0 }
			END { if (n != 4) print "rounds " n }' "$TMP/nta-$b.out")
		run_id=$(key "$TMP/nta-$b.out" run_id)
		snaps=$(sqlite3 "$db" "select count(*) from snapshots where run_id = $run_id and label like 'failure %'")
		rec=$(sqlite3 "$db" "select group_concat(v, ' ') from (select cast(value as integer) as v from run_stats where run_id = $run_id and key like 'script_failed_size_%' order by key)")
		printed=$(awk '/^nta_failure:/ { printf("%s%s", s, $7); s = " " }' "$TMP/nta-$b.out")
		if [ -z "$bad" ] && [ "$snaps" = 4 ] && [ "$(key "$TMP/nta-$b.out" failed_allocs)" -ge 4 ] && [ "$rec" = "$printed" ]; then
			ok "nta_fragmentation_$b"
		else
			fail "nta_fragmentation_$b" "nta-$b" "$bad snapshots=$snaps recorded=$rec printed=$printed"
		fi
	else
		fail "nta_fragmentation_$b" "nta-$b"
	fi

	# exhaustion: failures recorded, then every allocation after the free
	# and reclaim succeeds; buddy and SLUB give pages back, so their
	# footprint falls (NTA and zone may keep pages by design)
	if run exhaust $b 16M exhaust --set again=500; then
		f=$(key "$TMP/exhaust-$b.out" failed_allocs)
		full=$(sed -n 's/^exhaust_filled: .*footprint \([0-9]*\),.*/\1/p' "$TMP/exhaust-$b.out")
		empty=$(sed -n 's/^exhaust_freed: footprint \([0-9]*\) .*/\1/p' "$TMP/exhaust-$b.out")
		if [ "$f" -ge 64 ] && grep -q "^exhaust_recovered: 500 of 500" "$TMP/exhaust-$b.out" &&
		   [ -n "$full" ] && [ -n "$empty" ] && { [ "$empty" -lt "$full" ] || { [ "$b" != buddy ] && [ "$b" != slub ]; }; }; then
			ok "exhaust_$b"
		else
			fail "exhaust_$b" "exhaust-$b" "failed=$f full=$full empty=$empty"
		fi
	else
		fail "exhaust_$b" "exhaust-$b"
	fi

	# network packets: every delivered packet's two objects freed on the
	# other CPU; nothing left live
	if run net $b 32M net-packets --set packets=3000 --set pps=100000; then
		set -- $(sed -n 's/^net_packets: \([0-9]*\) packets, \([0-9]*\) dropped, \([0-9]*\) cross_cpu_frees/\1 \2 \3/p' "$TMP/net-$b.out")
		if [ $# = 3 ] && [ "$3" -gt 0 ] && [ "$3" = $((2 * ($1 - $2))) ] &&
		   [ "$(key "$TMP/net-$b.out" final_live_objects)" = 0 ] && [ "$(key "$TMP/net-$b.out" frees)" -ge "$3" ]; then
			ok "net_packets_$b"
		else
			fail "net_packets_$b" "net-$b" "got: $*"
		fi
	else
		fail "net_packets_$b" "net-$b"
	fi

	# hostage pages: 1 object in 8 kept. A page-per-object allocator
	# (buddy) gives back 7/8 of its footprint; every slab-like allocator
	# keeps more than half of it, pinned by the survivors.
	if run hostage $b 32M hostage --set n=4000; then
		set -- $(sed -n 's/^hostage_ratio: \([0-9.]*\) footprint kept, \([0-9.]*\) of bytes live/\1 \2/p' "$TMP/hostage-$b.out")
		if [ $# = 2 ] && [ "$2" = 0.1250 ] && if [ "$b" = buddy ]; then awk -v r="$1" 'BEGIN { exit !(r <= 0.2) }'
			else awk -v r="$1" 'BEGIN { exit !(r > 0.5) }'; fi; then
			ok "hostage_$b"
		else
			fail "hostage_$b" "hostage-$b" "ratios: $*"
		fi
	else
		fail "hostage_$b" "hostage-$b"
	fi

	# kernel objects: the measured mix allocates, lifetimes free most of it
	if run kobj $b 32M kernel-objects --set n=3000; then
		a=$(key "$TMP/kobj-$b.out" allocs); fr=$(key "$TMP/kobj-$b.out" frees); live=$(key "$TMP/kobj-$b.out" final_live_objects)
		long=$(sed -n 's/^kernel_objects: [0-9]* allocations, \([0-9]*\) long-lived.*/\1/p' "$TMP/kobj-$b.out")
		fa=$(key "$TMP/kobj-$b.out" failed_allocs)
		if [ "$a" = 3000 ] && [ "$fa" = 0 ] && [ "$live" = "$long" ] && [ $((fr + live)) = 3000 ] && [ "$fr" -gt 2000 ]; then
			ok "kernel_objects_$b"
		else
			fail "kernel_objects_$b" "kobj-$b" "allocs=$a frees=$fr live=$live long=$long failed=$fa"
		fi
	else
		fail "kernel_objects_$b" "kobj-$b"
	fi

	# phases: the plateau replaces objects one for one, so the live count
	# after it equals the count after the ramp
	if run phases $b 32M phases --set ramp=1500 --set peaks=2 --set peak_size=800 --set plateau=2000; then
		r=$(awk '$1 == "phase" && $2 == "ramp" { print $4 }' "$TMP/phases-$b.out")
		p=$(awk '$1 == "phase" && $2 == "plateau" { print $4 }' "$TMP/phases-$b.out")
		fa=$(key "$TMP/phases-$b.out" failed_allocs)
		if [ -n "$r" ] && [ "$r" = "$p" ] && [ "$fa" = 0 ] && [ "$r" -gt 1000 ]; then
			ok "phases_$b"
		else
			fail "phases_$b" "phases-$b" "ramp=$r plateau=$p failed=$fa"
		fi
	else
		fail "phases_$b" "phases-$b"
	fi
done
# every run's row is ok
bad=$(sqlite3 "$db" "select count(*) from runs where status != 'ok'")
[ "$bad" = 0 ] && ok workloads_runs_ok || notok workloads_runs_ok "$bad runs not ok"
