#!/bin/sh
# .kmt binary traces (sim/trace_kmt.c) and `kmemsim convert`:
#  - a converted trace replays to the same summary as its text, every key
#    but trace_format (which names the input's format: kmt): the real
#    trace (every back end, with and without --replay-own-slab), the real
#    perf recordings, every format fixture, a hand-made mtrace, a trace of
#    extreme values (times going backwards, 2^64-1 ns, CPU 65535, 2^32-1
#    bytes, order 31), with --replay-own-slab and --no-page-events;
#  - --lenient: the malformed count and message survive the conversion;
#    without it convert stops at the same FILE:LINE as a replay and leaves
#    no file;
#  - a truncated, corrupt, trailing-garbage or nonzero-flags file is exit 2
#    with "corrupt" or "truncated"; a newer version is refused by name; the
#    run row is marked failed;
#  - a .kmt is known by its magic: through xz, on standard input, named
#    .txt, given as SCRIPT.lua; converting twice (or a .kmt again) gives
#    the same bytes; it is far smaller than the text.
. tests/lib.sh
TRACE=tests/data/gcc-small.ftrace.xz
RUN="$KMEMSIM run --mem 1G --no-db --no-progress"
body() { grep -v -e '^trace_format:' "$1"; }

# same_replay NAME IN KMT ARGS...: text and .kmt replays agree
same_replay() {
	sr_name=$1 sr_in=$2 sr_kmt=$3; shift 3
	$RUN "$@" --trace "$sr_in" >"$TMP/text.out" 2>"$TMP/text.err"; rt=$?
	$RUN "$@" --trace "$sr_kmt" >"$TMP/kmt.out" 2>"$TMP/kmt.err"; rk=$?
	if [ $rt = 0 ] && [ $rk = 0 ] && [ "$(body "$TMP/text.out")" = "$(body "$TMP/kmt.out")" ] &&
	   [ "$(key "$TMP/kmt.out" trace_format)" = kmt ] && [ "$(key "$TMP/kmt.out" events)" -gt 0 ]; then
		ok "$sr_name"
	else notok "$sr_name" "rc $rt/$rk $(diff "$TMP/text.out" "$TMP/kmt.out" | head -6 | tr '\n' ' ') $(head -c 200 "$TMP/kmt.err")"; fi
}

# 1. The real trace, every back end, both rule-4 modes.
$KMEMSIM convert "$TRACE" "$TMP/gcc.kmt" >"$TMP/conv.out" 2>"$TMP/conv.err" || notok kmt_convert "$(cat "$TMP/conv.err")"
grep -q "gcc.kmt: 48467 records of ftrace (48479 lines)" "$TMP/conv.out" && ok kmt_convert_report ||
	notok kmt_convert_report "$(cat "$TMP/conv.out")"
for b in $($KMEMSIM list | awk '{ print $1 }'); do
	same_replay "kmt_gcc_$b" "$TRACE" "$TMP/gcc.kmt" --allocator "$b"
	same_replay "kmt_gcc_own_$b" "$TRACE" "$TMP/gcc.kmt" --allocator "$b" --replay-own-slab
done
same_replay kmt_gcc_no_page_events "$TRACE" "$TMP/gcc.kmt" --allocator slub --no-page-events
# ... and the set-aside counts are those of the text (not zero: the rule ran on the .kmt)
[ "$(key "$TMP/kmt.out" trace_own_slab_pages)" = 0 ] || notok kmt_gcc_no_page_events_pages "slab pages counted"
$RUN --allocator slub --trace "$TMP/gcc.kmt" >"$TMP/k.out" 2>&1
[ "$(key "$TMP/k.out" trace_own_slab_pages)" = 5 ] && [ "$(key "$TMP/k.out" trace_own_meta_allocs)" = 4 ] &&
	[ "$(key "$TMP/k.out" trace_lines)" = 48479 ] && ok kmt_gcc_rule4_counts ||
	notok kmt_gcc_rule4_counts "$(grep trace_ "$TMP/k.out" | tr '\n' ' ')"

# 2. Other real recordings and the format fixtures, in every mode.
cat >"$TMP/hand.mtrace" <<'EOF'
= Start
@ ./prog:[0x4005d6] + 0x1000010 0x20
@ ./prog:[0x4005e1] + 0x1000040 0x400
@ ./prog:(main+0x20)[0x4005f0] < 0x1000010
@ ./prog:(main+0x20)[0x4005f0] > 0x1000500 0x80
- 0x1000040
! 0x1000500 0xffffffff
+ 0x1000600 0
- 0x1000700
= End
EOF
# extreme values: t0 is the largest time, later lines go back to 0 (clamped);
# CPU 65535; a failed page allocation; order 31; migratetype at both ends
cat >"$TMP/extreme.txt" <<'EOF'
  a-1 [000] .... 18446744073.709551615: kmalloc: call_site=f+0x1/0x2 ptr=ffffffffffffffff bytes_req=4294967295 bytes_alloc=4294967295 gfp_flags=GFP_KERNEL
  a-1 [001] .... 5.000000: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000001 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_DMA
  a-1 [065535] .... 7.5: kfree: call_site=f+0x1/0x2 ptr=0000000000000001
  a-1 [000] .... 0.000000001: mm_page_alloc: page=(null) pfn=0 order=0 migratetype=-2147483648 gfp_flags=GFP_KERNEL
  a-1 [000] .... 3.0: mm_page_alloc: page=ffffea0000000040 pfn=0xfffffffffffff order=31 migratetype=2147483647 gfp_flags=0x1
  a-1 [000] .... 3.0: mm_page_free: page=ffffea0000000040 pfn=0xfffffffffffff order=31
  a-1 [000] .... 3.1: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000002 bytes_req=0 bytes_alloc=0 gfp_flags=
  a-1 [000] .... 3.2: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000003 name=x bytes_req=0 bytes_alloc=8 gfp_flags=GFP_KERNEL
EOF
xz -dc tests/data/perf-6.18-ip.txt.xz >"$TMP/perf-ip.txt"
for f in tests/data/perf-6.18-ip.txt.xz tests/data/perf-6.18-ls-gzip.txt.xz tests/data/perf-6.18-callchain.txt \
	 tests/data/trace-current.txt tests/data/trace-old.txt tests/data/trace-cmd.txt \
	 tests/data/trace-mtrace.mtrace "$TMP/hand.mtrace" "$TMP/extreme.txt"; do
	n=$(basename "$f" | sed 's/[.].*//; s/-/_/g')
	if ! $KMEMSIM convert "$f" "$TMP/$n.kmt" >/dev/null 2>"$TMP/c.err"; then
		notok "kmt_$n" "convert: $(cat "$TMP/c.err")"; continue
	fi
	same_replay "kmt_$n" "$f" "$TMP/$n.kmt" --allocator slub
	same_replay "kmt_${n}_own" "$f" "$TMP/$n.kmt" --allocator slub --replay-own-slab
	same_replay "kmt_${n}_no_page_events" "$f" "$TMP/$n.kmt" --allocator buddy --no-page-events
done
# the hand-made mtrace by hand: + + > + allocate, < - free, - of an unknown block, ! is other
$RUN --allocator slub --trace "$TMP/hand.kmt" >"$TMP/h.out" 2>&1
[ "$(key "$TMP/h.out" allocs)" = 4 ] && [ "$(key "$TMP/h.out" frees)" = 2 ] && [ "$(key "$TMP/h.out" free_unknown)" = 1 ] &&
	[ "$(key "$TMP/h.out" trace_other_events)" = 1 ] && [ "$(key "$TMP/h.out" final_live_bytes)" = 128 ] &&
	ok kmt_hand_mtrace_counts || notok kmt_hand_mtrace_counts "$(tr '\n' ' ' <"$TMP/h.out" | head -c 300)"

# 3. --lenient: counts and message kept; without it, the same FILE:LINE and no file.
{ head -n 20 tests/data/trace-current.txt; echo "  a-1 [000] .... 2699.3204: kmalloc: call_site=f ptr=zz bytes_req=8"
  echo "some words"; tail -n +21 tests/data/trace-current.txt; } >"$TMP/bad.txt"
$KMEMSIM convert --lenient "$TMP/bad.txt" "$TMP/bad.kmt" >/dev/null 2>"$TMP/cl.err"
rc=$?
$RUN --allocator slub --lenient --trace "$TMP/bad.txt" >"$TMP/lt.out" 2>"$TMP/lt.err"
$RUN --allocator slub --lenient --trace "$TMP/bad.kmt" >"$TMP/lk.out" 2>"$TMP/lk.err"
why() { sed -n 's/^kmemsim: [^:]*: \(.* malformed lines skipped .*\)/\1/p' "$1"; }
if [ $rc = 0 ] && [ "$(key "$TMP/lk.out" trace_malformed)" = 2 ] && [ "$(body "$TMP/lt.out")" = "$(body "$TMP/lk.out")" ] &&
   [ -n "$(why "$TMP/lt.err")" ] && [ "$(why "$TMP/lt.err")" = "$(why "$TMP/lk.err")" ] && [ "$(why "$TMP/cl.err")" = "$(why "$TMP/lt.err")" ]; then
	ok kmt_lenient
else notok kmt_lenient "rc=$rc $(diff "$TMP/lt.out" "$TMP/lk.out" | head -4 | tr '\n' ' ') '$(why "$TMP/lt.err")' '$(why "$TMP/lk.err")'"; fi
$KMEMSIM convert "$TMP/bad.txt" "$TMP/bad2.kmt" >/dev/null 2>"$TMP/cs.err"
rc=$?
$RUN --allocator slub --trace "$TMP/bad.txt" >/dev/null 2>"$TMP/rs.err"
if [ $rc = 2 ] && [ ! -e "$TMP/bad2.kmt" ] && grep -q "^kmemsim: $TMP/bad.txt:21: ptr is not a pointer: 'zz'" "$TMP/cs.err" &&
   [ "$(cat "$TMP/cs.err")" = "$(cat "$TMP/rs.err")" ]; then ok kmt_convert_malformed
else notok kmt_convert_malformed "rc=$rc $(cat "$TMP/cs.err") / $(cat "$TMP/rs.err")"; fi
printf 'nothing\nto see\n' >"$TMP/none.txt"
$KMEMSIM convert "$TMP/none.txt" "$TMP/none.kmt" >/dev/null 2>"$TMP/n.err"
[ $? = 2 ] && [ ! -e "$TMP/none.kmt" ] && grep -q "none.txt: no kmem events recognised" "$TMP/n.err" &&
	ok kmt_convert_no_events || notok kmt_convert_no_events "$(cat "$TMP/n.err")"
cp "$TMP/gcc.kmt" "$TMP/keep.kmt"
$KMEMSIM convert "$TMP/gcc.kmt" "$TMP/gcc.kmt" >/dev/null 2>"$TMP/same.err"
[ $? = 2 ] && grep -q "gcc.kmt: convert would overwrite its input" "$TMP/same.err" && cmp -s "$TMP/gcc.kmt" "$TMP/keep.kmt" &&
	ok kmt_convert_same_file || notok kmt_convert_same_file "$(cat "$TMP/same.err")"
$KMEMSIM convert "$TMP/none.txt" /nonexistent/dir/x.kmt >/dev/null 2>"$TMP/w.err"
[ $? = 2 ] && grep -q "/nonexistent/dir/x.kmt: cannot create" "$TMP/w.err" && ok kmt_convert_cannot_create ||
	notok kmt_convert_cannot_create "$(cat "$TMP/w.err")"

# 4. Damaged files.
size=$(wc -c <"$TMP/gcc.kmt")
# patch FILE OFFSET BYTE-OCTAL: one byte changed in a copy
patch() { cp "$TMP/gcc.kmt" "$2"; printf "\\$3" | dd of="$2" bs=1 seek="$1" conv=notrunc 2>/dev/null; }
head -c $((size / 2)) "$TMP/gcc.kmt" >"$TMP/cut.kmt"
head -c $((size - 3)) "$TMP/gcc.kmt" >"$TMP/cut-end.kmt"
head -c 10 "$TMP/gcc.kmt" >"$TMP/cut-head.kmt"
patch $((size / 3)) "$TMP/flip.kmt" 377
patch 8 "$TMP/v2.kmt" 002
patch 12 "$TMP/flags.kmt" 001
patch 18 "$TMP/len.kmt" 377   # the first block's length: 16 MiB and more
{ cat "$TMP/gcc.kmt"; printf 'x'; } >"$TMP/tail.kmt"
for c in "cut:truncated .kmt file" "cut-end:truncated .kmt file" "cut-head:truncated .kmt file" \
	 "flip:corrupt .kmt file: check mismatch" "flags:corrupt .kmt file: version 1, flags 0x1" \
	 "len:corrupt .kmt file: bad block length" "tail:corrupt .kmt file: bytes after the end record" \
	 "v2:.kmt version 2 is newer than this kmemsim reads (version 1)"; do
	f=${c%%:*} want=${c#*:}
	$RUN --allocator slub --trace "$TMP/$f.kmt" >/dev/null 2>"$TMP/$f.err"
	rc=$?
	[ $rc = 2 ] && grep -q "^kmemsim: $TMP/$f.kmt: $want" "$TMP/$f.err" && ok "kmt_damaged_$f" ||
		notok "kmt_damaged_$f" "rc=$rc $(tr '\n' ' ' <"$TMP/$f.err" | head -c 300)"
done
rm -f "$TMP/d.db"
$KMEMSIM run --allocator slub --trace "$TMP/cut.kmt" --db "$TMP/d.db" --no-progress >"$TMP/d.out" 2>&1
st=$(sqlite3 "$TMP/d.db" "SELECT status FROM runs" 2>&1)
[ "$st" = failed ] && [ "$(key "$TMP/d.out" events)" -gt 1000 ] && ok kmt_damaged_run_failed ||
	notok kmt_damaged_run_failed "status '$st', events $(key "$TMP/d.out" events)"

# 5. Known by magic, wherever it comes from; deterministic; small.
xz -c "$TMP/gcc.kmt" >"$TMP/gcc.kmt.xz"
cp "$TMP/gcc.kmt" "$TMP/gcc-kmt.txt"
$RUN --allocator slub --trace "$TMP/gcc.kmt" >"$TMP/a.out" 2>&1
for f in gcc.kmt.xz gcc-kmt.txt; do
	$RUN --allocator slub --trace "$TMP/$f" >"$TMP/b.out" 2>&1
	cmp -s "$TMP/a.out" "$TMP/b.out" && ok "kmt_magic_$f" || notok "kmt_magic_$f" "$(diff "$TMP/a.out" "$TMP/b.out" | head -4 | tr '\n' ' ')"
done
$RUN --allocator slub --trace - <"$TMP/gcc.kmt" >"$TMP/b.out" 2>&1
cmp -s "$TMP/a.out" "$TMP/b.out" && ok kmt_magic_stdin || notok kmt_magic_stdin "$(diff "$TMP/a.out" "$TMP/b.out" | head -4 | tr '\n' ' ')"
cp "$TMP/gcc.kmt" "$TMP/gcc.lua"
$RUN --allocator slub "$TMP/gcc.lua" >/dev/null 2>"$TMP/l.err"
[ $? = 2 ] && grep -q "looks like a kmem trace, not a Lua script" "$TMP/l.err" && ok kmt_as_script ||
	notok kmt_as_script "$(cat "$TMP/l.err")"
$KMEMSIM convert "$TRACE" "$TMP/again.kmt" >/dev/null 2>&1
$KMEMSIM convert "$TMP/gcc.kmt.xz" "$TMP/again2.kmt" >/dev/null 2>&1
cmp -s "$TMP/gcc.kmt" "$TMP/again.kmt" && cmp -s "$TMP/gcc.kmt" "$TMP/again2.kmt" && ok kmt_deterministic ||
	notok kmt_deterministic "conversions differ"
text=$(xz -dc "$TRACE" | wc -c)
[ $((size * 8)) -lt "$text" ] && ok kmt_small || notok kmt_small "$size bytes for $text of text"
