#!/bin/sh
# Replay of a real ftrace trace (tests/data/gcc-small.ftrace.xz) against
# every back end `kmemsim list` prints. The engine's counters must equal
# those of an independent awk pass over `xz -dc` of the same file
# (tests/replay-oracle.awk), which keeps its own live map (ptr -> bytes_req,
# pfn -> page) with the engine's rules: a free of NULL is free_null, of an
# unknown key free_unknown; an allocation of a key still live releases the
# old object first (not a free); peaks are taken after each allocation; a
# page allocation the kernel failed (pfn 0) is not replayed. It also applies
# sim/trace.c's rule 4, written independently: the traced kernel's own
# new-slab pages, kmalloc_large pages and slab metadata objects, and their
# frees, are set aside (counted, not replayed). These rules only match the
# engine if no simulated allocation fails, so failed_allocs and page_failed
# must be 0 (1G of modelled memory for a trace that peaks under 60 MiB).
. tests/lib.sh
TRACE=tests/data/gcc-small.ftrace.xz

xz -dc "$TRACE" >"$TMP/trace.txt" || { notok replay_decompress "xz -dc failed"; exit 0; }

awk -f tests/replay-oracle.awk "$TMP/trace.txt" "$TMP/trace.txt" >"$TMP/expect" ||
	{ notok replay_awk "awk pass failed"; exit 0; }

# The oracle itself must have seen the trace (guards against an awk that matches nothing).
if [ "$(key "$TMP/expect" allocs)" -gt 5000 ] && [ "$(key "$TMP/expect" page_allocs)" -gt 10000 ] &&
   [ "$(key "$TMP/expect" free_null)" -gt 0 ] && [ "$(key "$TMP/expect" trace_own_slab_pages)" -gt 0 ]; then
	ok replay_oracle_sane
else notok replay_oracle_sane "$(tr '\n' ' ' <"$TMP/expect")"; fi
# ... and its metadata count is the plain grep of the one metadata call site this trace holds.
n=$(grep -c 'call_site=alloc_slab_obj_exts+' "$TMP/trace.txt")
[ "$(key "$TMP/expect" trace_own_meta_allocs)" = "$n" ] && [ "$n" -gt 0 ] && ok replay_oracle_meta_grep ||
	notok replay_oracle_meta_grep "oracle $(key "$TMP/expect" trace_own_meta_allocs), grep $n"

backends=$($KMEMSIM list | awk '{print $1}')
[ -n "$backends" ] && ok replay_list || notok replay_list "kmemsim list printed nothing"
for b in $backends; do
	rm -f "$TMP/r.db"
	$KMEMSIM run --allocator "$b" --mem 1G --trace "$TRACE" --db "$TMP/r.db" \
		--check-every 997 --no-progress >"$TMP/out.$b" 2>"$TMP/err.$b"
	rc=$?
	if [ "$rc" != 0 ]; then
		notok "replay_$b" "exit $rc: $(tail -n 3 "$TMP/err.$b" | tr '\n' ' ')"
		continue
	fi
	bad=""
	for k in allocs frees free_unknown free_null peak_live_bytes peak_live_objects final_live_bytes page_allocs page_frees \
		 trace_own_slab_pages trace_own_slab_page_frees trace_own_large_kmalloc_pages \
		 trace_own_large_kmalloc_page_frees trace_own_meta_allocs trace_own_meta_frees trace_own_dup_kmallocs; do
		got=$(key "$TMP/out.$b" "$k"); want=$(key "$TMP/expect" "$k")
		[ "$got" = "$want" ] || bad="$bad $k=$got(want $want)"
	done
	for k in failed_allocs page_failed trace_malformed; do
		[ "$(key "$TMP/out.$b" "$k")" = 0 ] || bad="$bad $k=$(key "$TMP/out.$b" "$k")"
	done
	[ "$(key "$TMP/out.$b" trace_format)" = ftrace ] || bad="$bad format=$(key "$TMP/out.$b" trace_format)"
	[ "$(key "$TMP/out.$b" trace_lines)" = "$(wc -l <"$TMP/trace.txt" | tr -d ' ')" ] || bad="$bad trace_lines"
	[ -z "$bad" ] && ok "replay_$b" || notok "replay_$b" "$bad"
	id=$(key "$TMP/out.$b" run_id)
	st=$(sqlite3 "$TMP/r.db" "SELECT status FROM runs WHERE id = $id AND input = '$TRACE' AND allocator = '$b'" 2>&1)
	[ "$st" = ok ] && ok "replay_db_$b" || notok "replay_db_$b" "runs row: '$st'"
done

# The plain text replays the same as the .xz.
$KMEMSIM run --allocator buddy --mem 1G --trace "$TMP/trace.txt" --no-db --no-progress >"$TMP/plain" 2>&1
if [ "$(grep -v -e '^trace_' -e '^run_id' "$TMP/plain")" = "$(grep -v -e '^trace_' -e '^run_id' "$TMP/out.buddy")" ]; then
	ok replay_plain_equals_xz
else notok replay_plain_equals_xz "$(diff "$TMP/plain" "$TMP/out.buddy" | head -5 | tr '\n' ' ')"; fi

# A malformed line stops the run: exit 2, "FILE:LINE: reason", run marked failed.
L=$(awk 'NR >= 1234 && /bytes_req=/ { print NR; exit }' "$TMP/trace.txt")
awk -v L="$L" 'NR == L { sub(/bytes_req=[0-9]+/, "bytes_req=12x4") } { print }' "$TMP/trace.txt" >"$TMP/bad.txt"
[ "$(grep -c 'bytes_req=12x4' "$TMP/bad.txt")" = 1 ] || notok replay_malformed_fixture "line $L not changed"
rm -f "$TMP/b.db"
$KMEMSIM run --allocator buddy --trace "$TMP/bad.txt" --db "$TMP/b.db" --no-progress >"$TMP/bad.out" 2>"$TMP/bad.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "^kmemsim: $TMP/bad.txt:$L: bytes_req is not a number" "$TMP/bad.err"; then
	ok replay_malformed_exit2
else notok replay_malformed_exit2 "rc=$rc $(head -c 300 "$TMP/bad.err")"; fi
st=$(sqlite3 "$TMP/b.db" "SELECT status FROM runs" 2>&1)
[ "$st" = failed ] && ok replay_malformed_run_failed || notok replay_malformed_run_failed "status '$st'"
# ... and with --lenient it is counted and the rest replays.
$KMEMSIM run --allocator buddy --mem 1G --trace "$TMP/bad.txt" --no-db --lenient --no-progress >"$TMP/len.out" 2>"$TMP/len.err"
rc=$?
if [ "$rc" = 0 ] && [ "$(key "$TMP/len.out" trace_malformed)" = 1 ] &&
   [ "$(key "$TMP/len.out" events)" = $(( $(key "$TMP/out.buddy" events) - 1 )) ]; then
	ok replay_lenient
else notok replay_lenient "rc=$rc malformed=$(key "$TMP/len.out" trace_malformed) events=$(key "$TMP/len.out" events)"; fi

# A truncated .xz is an error of xz, not a short replay.
head -c 150000 "$TRACE" >"$TMP/cut.xz"
$KMEMSIM run --allocator buddy --trace "$TMP/cut.xz" --no-db --no-progress >"$TMP/cut.out" 2>"$TMP/cut.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "^kmemsim: $TMP/cut.xz: xz: " "$TMP/cut.err"; then
	ok replay_truncated_xz
else notok replay_truncated_xz "rc=$rc $(tr '\n' ' ' <"$TMP/cut.err" | head -c 300)"; fi
# A corrupt one (bytes flipped in the middle) too.
{ head -c 100000 "$TRACE"; printf 'kmemsimkmemsimkmemsim'; tail -c +100022 "$TRACE"; } >"$TMP/bad.xz"
$KMEMSIM run --allocator buddy --trace "$TMP/bad.xz" --no-db --no-progress >"$TMP/badxz.out" 2>"$TMP/badxz.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "^kmemsim: $TMP/bad.xz: xz: " "$TMP/badxz.err"; then
	ok replay_corrupt_xz
else notok replay_corrupt_xz "rc=$rc $(tr '\n' ' ' <"$TMP/badxz.err" | head -c 300)"; fi
