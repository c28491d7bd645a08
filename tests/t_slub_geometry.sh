#!/bin/sh
# SLUB geometry fidelity: tests/data/slabinfo-linux-6.18-2cpu.txt is the
# /proc/slabinfo of a real 2-CPU Linux 6.18 machine (SLUB, no slub_debug).
# For EVERY row, `kmemsim info --allocator slub --cpus 2 --size OBJSIZE`
# must print that row's objsize, objperslab and pagesperslab. slabinfo's
# objsize is s->size (after alignment), so it is the size to ask for; the
# named caches with HWCACHE_ALIGN, ctor or RCU (e.g. xfrm_dst: object 296,
# slab_size 320) are covered because their layout already is in s->size.
# Exceptions: none (all rows match; a new exception must be listed here
# with its reason).
. tests/lib.sh
DATA=tests/data/slabinfo-linux-6.18-2cpu.txt
rows=0 bad=0 sizes=""
while read -r name active num objsize per pages rest; do
	case "$name" in slabinfo|\#*) continue ;; esac
	rows=$((rows + 1))
	got=$($KMEMSIM info --allocator slub --cpus 2 --size "$objsize" 2>&1)
	if [ "$got" != "$objsize $per $pages" ]; then
		bad=$((bad + 1))
		echo "#   $name: objsize $objsize real '$per $pages', kmemsim '$got'"
	fi
done <"$DATA"
distinct=$(awk 'NR > 2 { print $4 }' "$DATA" | sort -u | wc -l)
if [ "$rows" -ge 200 ] && [ "$bad" -eq 0 ]; then
	ok "slub_geometry_matches_real_slabinfo ($rows rows, $distinct distinct sizes)"
else
	notok slub_geometry_matches_real_slabinfo "$bad of $rows rows differ"
fi

# The CPU count enters through min_objects = 4 * (fls(cpus) + 1):
# 64 CPUs -> 32 objects -> a 1024-byte cache needs order 3 (32 KiB / 1 KiB).
[ "$($KMEMSIM info --allocator slub --cpus 64 --size 1024)" = "1024 32 8" ] &&
	ok slub_geometry_cpus || notok slub_geometry_cpus "$($KMEMSIM info --allocator slub --cpus 64 --size 1024 2>&1)"
# --slub-max-order 0 caps every slab at one page: 1472 -> 2 per page, and an
# object bigger than a page falls back to get_order(size): 5000 -> order 1.
[ "$($KMEMSIM info --allocator slub --cpus 2 --slub-max-order 0 --size 1472)" = "1472 2 1" ] &&
[ "$($KMEMSIM info --allocator slub --cpus 2 --slub-max-order 0 --size 5000)" = "5000 1 2" ] &&
	ok slub_geometry_max_order || notok slub_geometry_max_order "max-order 0 geometry wrong"
# --slub-min-objects overrides the CPU-derived default: 4 objects of 1024 fit order 0.
[ "$($KMEMSIM info --allocator slub --cpus 2 --slub-min-objects 4 --size 1024)" = "1024 4 1" ] &&
	ok slub_geometry_min_objects || notok slub_geometry_min_objects "min-objects geometry wrong"
# Unaligned sizes round up to the word: 13 -> 16.
[ "$($KMEMSIM info --allocator slub --cpus 2 --size 13)" = "16 256 1" ] &&
	ok slub_geometry_word_align || notok slub_geometry_word_align "$($KMEMSIM info --allocator slub --size 13 2>&1)"

# End to end: replay the real trace (recorded on a Linux SLUB machine) with
# --no-merge so every cache keeps its name; every row of the resulting
# slabinfo that also appears in the real slabinfo must agree on objsize,
# objperslab and pagesperslab. Exception: task_struct, whose size depends on
# the CPU's FPU state (the trace machine's is 4240 bytes -> 4288, this
# machine's 5840 -> 5888); its trace size is checked against the trace.
if $KMEMSIM run --allocator slub --no-merge --trace tests/data/gcc-small.ftrace.xz --no-db --quiet --slabinfo \
	>"$TMP/si" 2>"$TMP/err"; then
	rows=0 bad=""
	while read -r name active num objsize per pages rest; do
		case "$name" in slabinfo|\#*) continue ;; esac
		real=$(awk -v n="$name" '$1 == n { print $4, $5, $6 }' "$DATA")
		[ -n "$real" ] || continue
		if [ "$name" = task_struct ]; then
			[ "$objsize $per $pages" = "4288 7 8" ] || bad="$bad task_struct($objsize $per $pages)"
			continue
		fi
		rows=$((rows + 1))
		[ "$real" = "$objsize $per $pages" ] || bad="$bad $name(sim $objsize $per $pages, real $real)"
	done <"$TMP/si"
	if [ "$rows" -ge 30 ] && [ -z "$bad" ]; then
		ok "slub_trace_caches_match_real_slabinfo ($rows caches)"
	else
		notok slub_trace_caches_match_real_slabinfo "$rows compared;$bad"
	fi
else
	notok slub_trace_caches_match_real_slabinfo "$(tail -n 3 "$TMP/err" | tr '\n' ' ')"
fi
