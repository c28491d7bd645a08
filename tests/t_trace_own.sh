#!/bin/sh
# Rule 4 of sim/trace.c: the traced kernel's own slab pages, kmalloc_large
# pages (and their second kmalloc trace) and slab metadata objects are set
# aside, not replayed, unless --replay-own-slab.
#  1. A hand-made Linux 6.x ftrace trace with every case, counts worked by
#     hand below; with --replay-own-slab everything is replayed.
#  2. Real `perf script` recordings on Linux 6.18 (perf 6.1), checked against
#     the independent awk oracle (tests/replay-oracle.awk) in both modes:
#       perf-6.18-ls-gzip: perf record -e 'kmem:kmalloc,kmem:kfree,
#         kmem:kmem_cache_alloc,kmem:kmem_cache_free,kmem:mm_page_alloc,
#         kmem:mm_page_free' -- sh -c 'ls -R /usr/share/doc | gzip >/dev/null'
#         (first 8300 lines): 20 new-slab pages, 16 slabobj_ext vectors;
#       perf-6.18-ip: perf record -e 'kmem:kmalloc,kmem:kfree,
#         kmem:mm_page_alloc,kmem:mm_page_free' -- sh -c 'ip -s link; ip addr;
#         ss -a; ...' (first 2200 lines): 7 kmalloc_large of 32 KiB netlink
#         skbs, each traced twice, their pages freed; 4 vectors.
#     perf prints raw pointers: in the first fixture each of the 3 objects
#     that decided a new-slab page (16 were decided by a vector, 1 was in a chain)
#     lies inside that page, 16 of 16 in the whole recording (checked when
#     the fixture was made; the rule itself does not use addresses).
#  3. The counts are stored with the run (run_stats) and the option with its
#     params.
. tests/lib.sh

# 1. The hand-made trace. Two CPUs; times 1 us apart.
#  l1  CPU0 kmalloc A 100                      workload
#  l2  CPU0 page 0x1000 order 1, SLUB's higher-order first try (IO|FS,
#      NOWARN|NORETRY|COMP|NOMEMALLOC, reclaim cleared)
#  l3  CPU0 kmem_cache_alloc B foo 64          decides l2: slab page
#  l4  CPU1 page 0x2000 order 0, GFP_KERNEL|RECLAIMABLE|NOWARN|NORETRY|COMP
#  l5  CPU0 kfree A                            (held behind l4, in order)
#  l6  CPU1 page 0x2100 order 0, GFP_NOWAIT|NORETRY|COMP|THISNODE: the chain
#  l7  CPU1 kmalloc M1 from alloc_slab_obj_exts  metadata; decides l4, l6: slab pages
#  l8  CPU1 kmem_cache_alloc C dentry 192      workload
#  l9  CPU0 page 0x3000, readahead (HIGHMEM|MOVABLE...)   workload page
#  l10 CPU0 kmalloc D 200                      workload (l9 is no slab page)
#  l11 CPU0 page 0x4000 order 2, GFP_KERNEL|COMP (no NORETRY: not a slab page)
#  l12 CPU0 kmalloc E 12000/16384 from __kmalloc_noprof  decides l11: kmalloc_large page
#  l13 CPU0 kmalloc E 12000/16384 from seq_read_iter      its second trace: set aside
#  l14 CPU1 page 0x5000, GFP_KERNEL|NOWARN|NORETRY|COMP (signature)
#  l15 CPU1 kfree C                            not an allocation: l14 is replayed
#  l16 CPU0 kfree E                            workload
#  l17 CPU0 page free 0x4000 order 2           kmalloc_large page free
#  l18 CPU1 kfree M1 from __free_slab          metadata free (by ptr)
#  l19 CPU1 page free 0x2100                   slab page free
#  l20 CPU0 kfree M9 from __free_slab          metadata free (by call site; M9 unseen)
#  l21 CPU0 page free 0x3000                   workload
#  l22 CPU0 page free 0x5000                   workload
#  l23 CPU1 kmem_cache_alloc N kmem_cache_node metadata
#  l24 CPU1 kmem_cache_free N kmem_cache_node  metadata free
#  l25 CPU0 kmalloc S 264/512 from alloc_empty_sheaf  metadata
#  l26 CPU0 kfree S from barn_shrink           metadata free
#  l27 CPU1 page 0x6000, signature, last line: nothing follows, replayed
# Set aside: slab pages 0x1000 0x2000 0x2100 = 3 (1 freed, l19); kmalloc_large
# page 0x4000 = 1 (freed, l17); 1 second trace (l13); metadata M1 N S = 3,
# frees M1 M9 N S = 4. Replayed: allocs A B C D E = 5, frees A C E = 3,
# pages 0x3000 0x5000 0x6000 = 3, page frees 0x3000 0x5000 = 2: 13 events.
# R: A 100, +B 164, -A 64, +C 256, +D 456, +E 12456 (peak, 4 objects),
# -C 12264, -E 264: final 264 in B and D. Time: l27 - l1 = 26 us.
# With --replay-own-slab: pages 3 + 3 + 1 = 7 (page_allocs up by exactly the
# 4 set-aside pages), allocs 5 + 1 + 3 = 9 (E's second trace is then a
# realloc of a live key), page frees 2 + 2, 27 events.
cat >"$TMP/own.txt" <<'EOF'
# tracer: nop
#
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
            bash-10      [000] .....   100.000001: kmalloc: call_site=load_elf_phdrs+0x49/0xc0 ptr=000000000000a000 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL node=-1 accounted=false
            bash-10      [000] .....   100.000002: mm_page_alloc: page=00000000deadb001 pfn=0x1000 order=1 migratetype=0 gfp_flags=__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC
            bash-10      [000] .....   100.000003: kmem_cache_alloc: call_site=foo_alloc+0x1f/0x90 ptr=000000000000b000 name=foo bytes_req=64 bytes_alloc=64 gfp_flags=GFP_KERNEL node=-1 accounted=false
             cc1-11      [001] .....   100.000004: mm_page_alloc: page=00000000deadb002 pfn=0x2000 order=0 migratetype=2 gfp_flags=GFP_KERNEL|__GFP_RECLAIMABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP
            bash-10      [000] .....   100.000005: kfree: call_site=load_elf_binary+0x12d7/0x18a0 ptr=000000000000a000
             cc1-11      [001] .....   100.000006: mm_page_alloc: page=00000000deadb003 pfn=0x2100 order=0 migratetype=0 gfp_flags=GFP_NOWAIT|__GFP_NORETRY|__GFP_COMP|__GFP_THISNODE
             cc1-11      [001] .....   100.000007: kmalloc: call_site=alloc_slab_obj_exts+0x58/0x110 ptr=000000000000e001 bytes_req=112 bytes_alloc=128 gfp_flags=GFP_KERNEL|__GFP_ZERO|__GFP_COMP node=0 accounted=false
             cc1-11      [001] .....   100.000008: kmem_cache_alloc: call_site=__d_alloc+0x2d/0x230 ptr=000000000000c000 name=dentry bytes_req=192 bytes_alloc=192 gfp_flags=GFP_KERNEL node=-1 accounted=true
            bash-10      [000] .....   100.000009: mm_page_alloc: page=00000000deadb004 pfn=0x3000 order=0 migratetype=1 gfp_flags=GFP_NOFS|__GFP_HIGHMEM|__GFP_MOVABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_HARDWALL
            bash-10      [000] .....   100.000010: kmalloc: call_site=ext4_find_extent+0x30c/0x350 [ext4] ptr=000000000000d000 bytes_req=200 bytes_alloc=256 gfp_flags=GFP_NOFS node=-1 accounted=false
            bash-10      [000] .....   100.000011: mm_page_alloc: page=00000000deadb005 pfn=0x4000 order=2 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_COMP
            bash-10      [000] .....   100.000012: kmalloc: call_site=__kmalloc_noprof+0x2b5/0x4a0 ptr=000000000000f000 bytes_req=12000 bytes_alloc=16384 gfp_flags=GFP_KERNEL node=-1 accounted=false
            bash-10      [000] .....   100.000013: kmalloc: call_site=seq_read_iter+0x38e/0x4b0 ptr=000000000000f000 bytes_req=12000 bytes_alloc=16384 gfp_flags=GFP_KERNEL node=-1 accounted=false
             cc1-11      [001] .....   100.000014: mm_page_alloc: page=00000000deadb006 pfn=0x5000 order=0 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP
             cc1-11      [001] .....   100.000015: kfree: call_site=d_free+0x12/0x40 ptr=000000000000c000
            bash-10      [000] .....   100.000016: kfree: call_site=seq_release+0x1a/0x40 ptr=000000000000f000
            bash-10      [000] .....   100.000017: mm_page_free: page=00000000deadb005 pfn=0x4000 order=2
             cc1-11      [001] ..s1.   100.000018: kfree: call_site=__free_slab+0x87/0xf0 ptr=000000000000e001
             cc1-11      [001] ..s1.   100.000019: mm_page_free: page=00000000deadb003 pfn=0x2100 order=0
            bash-10      [000] ..s1.   100.000020: kfree: call_site=__free_slab+0x87/0xf0 ptr=000000000000e009
            bash-10      [000] .....   100.000021: mm_page_free: page=00000000deadb004 pfn=0x3000 order=0
            bash-10      [000] .....   100.000022: mm_page_free: page=00000000deadb006 pfn=0x5000 order=0
             cc1-11      [001] .....   100.000023: kmem_cache_alloc: call_site=init_kmem_cache_nodes+0x5a/0x120 ptr=000000000000a100 name=kmem_cache_node bytes_req=64 bytes_alloc=64 gfp_flags=GFP_KERNEL node=0 accounted=false
             cc1-11      [001] .....   100.000024: kmem_cache_free: call_site=free_kmem_cache_nodes+0x40/0x80 ptr=000000000000a100 name=kmem_cache_node
            bash-10      [000] .....   100.000025: kmalloc: call_site=alloc_empty_sheaf+0x2a/0x60 ptr=000000000000a200 bytes_req=264 bytes_alloc=512 gfp_flags=GFP_KERNEL|__GFP_ZERO node=-1 accounted=false
            bash-10      [000] .....   100.000026: kfree: call_site=barn_shrink+0x5b/0x100 ptr=000000000000a200
             cc1-11      [001] .....   100.000027: mm_page_alloc: page=00000000deadb007 pfn=0x6000 order=0 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP
EOF

# check_keys NAME FILE "key=value ..."
check_keys() {
	n=$1 f=$2 bad=""
	for kv in $3; do
		k=${kv%%=*} v=${kv#*=}
		[ "$(key "$f" "$k")" = "$v" ] || bad="$bad $k=$(key "$f" "$k")(want $v)"
	done
	[ -z "$bad" ] && ok "$n" || notok "$n" "$bad"
}

rm -f "$TMP/own.db"
$KMEMSIM run --allocator slub --trace "$TMP/own.txt" --db "$TMP/own.db" --check-every 1 --no-progress \
	>"$TMP/own.out" 2>"$TMP/own.err"
rc=$?
[ $rc = 0 ] && ok own_handmade_runs || notok own_handmade_runs "rc=$rc $(tr '\n' ' ' <"$TMP/own.err")"
check_keys own_handmade_counts "$TMP/own.out" "trace_lines=31 trace_other_events=0 trace_malformed=0
	trace_own_slab_pages=3 trace_own_slab_page_frees=1 trace_own_large_kmalloc_pages=1
	trace_own_large_kmalloc_page_frees=1 trace_own_dup_kmallocs=1 trace_own_meta_allocs=3 trace_own_meta_frees=4
	events=13 allocs=5 frees=3 free_unknown=0 free_null=0 realloc_live=0 page_allocs=3 page_frees=2
	page_free_unknown=0 peak_live_bytes=12456 peak_live_objects=4 final_live_bytes=264 final_live_objects=2
	sim_time_ns=26000 failed_allocs=0"

$KMEMSIM run --allocator slub --trace "$TMP/own.txt" --replay-own-slab --db "$TMP/own.db" --check-every 1 \
	--no-progress >"$TMP/all.out" 2>"$TMP/all.err"
rc=$?
[ $rc = 0 ] && ok own_replay_all_runs || notok own_replay_all_runs "rc=$rc $(tr '\n' ' ' <"$TMP/all.err")"
check_keys own_replay_all_counts "$TMP/all.out" "trace_own_slab_pages=0 trace_own_slab_page_frees=0
	trace_own_large_kmalloc_pages=0 trace_own_large_kmalloc_page_frees=0 trace_own_dup_kmallocs=0
	trace_own_meta_allocs=0 trace_own_meta_frees=0 events=27 allocs=9 realloc_live=1 page_allocs=7
	page_frees=4 page_free_unknown=0 sim_time_ns=26000"
# page_allocs higher by exactly the set-aside pages
a=$(key "$TMP/own.out" page_allocs) b=$(key "$TMP/all.out" page_allocs)
s=$(( $(key "$TMP/own.out" trace_own_slab_pages) + $(key "$TMP/own.out" trace_own_large_kmalloc_pages) ))
[ "$b" = $((a + s)) ] && ok own_replay_all_pages || notok own_replay_all_pages "$a + $s != $b"

# The oracle agrees on the hand-made trace too, in both modes.
for m in 0 1; do
	awk -v replay_own=$m -f tests/replay-oracle.awk "$TMP/own.txt" "$TMP/own.txt" >"$TMP/oracle.$m"
	[ $m = 0 ] && out="$TMP/own.out" || out="$TMP/all.out"
	bad=""
	while IFS=': ' read -r k v; do
		[ "$(key "$out" "$k")" = "$v" ] || bad="$bad $k=$(key "$out" "$k")(oracle $v)"
	done <"$TMP/oracle.$m"
	[ -z "$bad" ] && ok "own_handmade_oracle_$m" || notok "own_handmade_oracle_$m" "$bad"
done

# 3. Stored with the run: the counts in run_stats, the option in params.
q() { sqlite3 "$TMP/own.db" "$1" 2>&1; }
[ "$(q "SELECT value FROM run_stats WHERE run_id = 1 AND key = 'trace_own_slab_pages'")" = 3.0 ] &&
[ "$(q "SELECT value FROM run_stats WHERE run_id = 1 AND key = 'trace_own_meta_frees'")" = 4.0 ] &&
[ "$(q "SELECT value FROM run_stats WHERE run_id = 2 AND key = 'trace_own_slab_pages'")" = 0.0 ] &&
[ "$(q "SELECT value FROM run_stats WHERE run_id = 1 AND key = 'trace_lines'")" = 31.0 ] &&
q "SELECT params FROM runs WHERE id = 1" | grep -q ' replay_own_slab=0 ' &&
q "SELECT params FROM runs WHERE id = 2" | grep -q ' replay_own_slab=1 ' &&
	ok own_stored || notok own_stored "$(q "SELECT run_id, key, value FROM run_stats WHERE key LIKE 'trace_%'" | tr '\n' ' ')"

# The perf script form of the hand-made trace replays alike.
tests/perf-from-ftrace "$TMP/own.txt" >"$TMP/own.perf"
$KMEMSIM run --allocator slub --trace "$TMP/own.perf" --no-db --no-progress >"$TMP/ownp.out" 2>&1
if [ "$(key "$TMP/ownp.out" trace_format)" = perf-script ] &&
   [ "$(grep -v -e '^trace_format' -e '^trace_lines' "$TMP/ownp.out")" = \
     "$(grep -v -e '^trace_format' -e '^trace_lines' -e '^run_id' "$TMP/own.out")" ]; then
	ok own_handmade_perf
else notok own_handmade_perf "$(diff "$TMP/ownp.out" "$TMP/own.out" | head -6 | tr '\n' ' ')"; fi

# 2. Real perf recordings: kmemsim = oracle, in both modes, for every key the
# oracle prints; the oracle found what the comment above says.
for t in ls-gzip ip; do
	xz -dc "tests/data/perf-6.18-$t.txt.xz" >"$TMP/$t.txt" || { notok "own_perf_$t" "xz -dc failed"; continue; }
	for m in 0 1; do
		opt=""; [ $m = 1 ] && opt=--replay-own-slab
		awk -v replay_own=$m -f tests/replay-oracle.awk "$TMP/$t.txt" "$TMP/$t.txt" >"$TMP/$t.exp.$m"
		$KMEMSIM run --allocator buddy --mem 1G --trace "tests/data/perf-6.18-$t.txt.xz" $opt --no-db \
			--no-progress >"$TMP/$t.out.$m" 2>&1
		bad=""
		while IFS=': ' read -r k v; do
			[ "$(key "$TMP/$t.out.$m" "$k")" = "$v" ] || bad="$bad $k=$(key "$TMP/$t.out.$m" "$k")(oracle $v)"
		done <"$TMP/$t.exp.$m"
		for k in failed_allocs page_failed trace_malformed; do
			[ "$(key "$TMP/$t.out.$m" "$k")" = 0 ] || bad="$bad $k=$(key "$TMP/$t.out.$m" "$k")"
		done
		[ "$(key "$TMP/$t.out.$m" trace_format)" = perf-script ] || bad="$bad format"
		[ -z "$bad" ] && ok "own_perf_${t}_$m" || notok "own_perf_${t}_$m" "$bad"
	done
done
check_keys own_perf_ls_gzip_found "$TMP/ls-gzip.exp.0" "trace_own_slab_pages=20 trace_own_meta_allocs=16"
check_keys own_perf_ip_found "$TMP/ip.exp.0" "trace_own_large_kmalloc_pages=7
	trace_own_large_kmalloc_page_frees=7 trace_own_dup_kmallocs=7 trace_own_meta_allocs=4"
# independent of both: grep counts of the second traces and of the vectors
n=$(grep -c 'kmem:kmalloc: call_site=__kmalloc_node_track_caller_noprof+0x4e9 .*bytes_req=32768' "$TMP/ip.txt")
[ "$n" = 7 ] && ok own_perf_ip_grep || notok own_perf_ip_grep "grep: $n inner traces of 32 KiB kmallocs"
n=$(grep -c 'call_site=alloc_slab_obj_exts+' "$TMP/ls-gzip.txt")
[ "$n" = 16 ] && ok own_perf_ls_gzip_grep || notok own_perf_ls_gzip_grep "grep: $n vectors"
