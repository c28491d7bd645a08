#!/bin/sh
# Trace inputs read or refused, never ignored (sim/trace.c sections 1, 2, 5):
#  - perf script: tests/perf-from-ftrace turns tests/data/gcc-small into
#    `perf script` text; it replays to the same summary as the ftrace
#    original (all keys but trace_format, which names the format, and
#    trace_lines, which counts ftrace's 12 header lines perf does not print);
#    the converter's lines have the shape of real perf script output
#    (tests/data/perf-6.18-*.txt*, perf 6.1 on Linux 6.18), and a `perf
#    record -g` recording (call-chain lines) replays with nothing malformed;
#  - compressed: .gz and .zst (also without a suffix: magic bytes) replay
#    like the .xz; truncated ones and a missing decompressor are errors;
#  - a file with no kmem event (random text, non-kmem events only, empty) is
#    an error, --lenient too;
#  - a trace given as SCRIPT.lua, and a Lua script given as --trace, are
#    named as what they are; a Lua script still runs;
#  - a NUL byte in name= or gfp_flags= is refused at FILE:LINE.
. tests/lib.sh
TRACE=tests/data/gcc-small.ftrace.xz
RUN="$KMEMSIM run --allocator slub --mem 1G --no-db --no-progress"

xz -dc "$TRACE" >"$TMP/trace.txt" || { notok inputs_decompress "xz -dc failed"; exit 0; }
$RUN --trace "$TRACE" >"$TMP/xz.out" 2>"$TMP/xz.err" || notok inputs_xz "$(tr '\n' ' ' <"$TMP/xz.err")"
body() { grep -v -e '^trace_format:' -e '^trace_lines:' "$1"; }

# perf script
tests/perf-from-ftrace "$TMP/trace.txt" >"$TMP/trace.perf" || notok inputs_perf_convert "converter failed"
[ "$(wc -l <"$TMP/trace.perf")" = $(( $(wc -l <"$TMP/trace.txt") - 12 )) ] && ok inputs_perf_lines ||
	notok inputs_perf_lines "$(wc -l <"$TMP/trace.perf") lines"
$RUN --trace "$TMP/trace.perf" >"$TMP/perf.out" 2>"$TMP/perf.err"
rc=$?
if [ $rc = 0 ] && [ "$(key "$TMP/perf.out" trace_format)" = perf-script ] &&
   [ "$(key "$TMP/perf.out" trace_lines)" = "$(wc -l <"$TMP/trace.perf" | tr -d ' ')" ] &&
   [ "$(body "$TMP/perf.out")" = "$(body "$TMP/xz.out")" ] && [ "$(key "$TMP/perf.out" events)" -gt 40000 ]; then
	ok inputs_perf_same_summary
else notok inputs_perf_same_summary "rc=$rc $(diff "$TMP/perf.out" "$TMP/xz.out" | head -6 | tr '\n' ' ')"; fi

# The converter's lines look like real perf script lines: same prefix shape
# (COMM TID [CPU] SECS.USECS: kmem:EVENT:, names right-aligned to 21), same
# field keys per event, same forms of pointers, call sites and pages.
xz -dc tests/data/perf-6.18-ls-gzip.txt.xz >"$TMP/real.perf"
shape() {   # one line per event kind: its prefix pattern and field keys and forms
	awk '{
		ev = ""; for (i = 1; i <= NF; i++) if ($i ~ /^kmem:[a-z_]+:$/) { ev = $i; break }
		if (ev == "" || seen[ev]++) next
		pre = substr($0, 1, index($0, ev) + length(ev) - 1)
		ok = pre ~ /^ *[^ ].* +[0-9]+ \[[0-9][0-9][0-9]\] +[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]: +kmem:[a-z_]+:$/
		w = length(substr(pre, index(pre, "]") + 2))   # "%12s: %21s:", the time and name columns
		keys = ""
		for (j = i + 1; j <= NF; j++) {
			k = $j; sub(/=.*/, "", k); v = substr($j, length(k) + 2)
			if (k == "ptr" || k == "page") v = v ~ /^(0x[0-9a-f]+|\(nil\))$/ ? "P" : "bad:" v
			else if (k == "call_site") v = v ~ /^[A-Za-z0-9_.]+\+0x[0-9a-f]+$/ ? "S" : "bad:" v
			else if (k == "pfn") v = v ~ /^0x[0-9a-f]+$/ ? "X" : "bad:" v
			else v = ""
			keys = keys " " k v
		}
		print ev, ok, w, keys
	}' "$1" | sort
}
shape "$TMP/real.perf" >"$TMP/shape.real"
shape "$TMP/trace.perf" >"$TMP/shape.conv"
if [ "$(wc -l <"$TMP/shape.real")" -ge 6 ] && cmp -s "$TMP/shape.real" "$TMP/shape.conv"; then
	ok inputs_perf_shape
else notok inputs_perf_shape "$(diff "$TMP/shape.real" "$TMP/shape.conv" | head -4 | tr '\n' ' ')"; fi

$RUN --trace tests/data/perf-6.18-callchain.txt >"$TMP/cc.out" 2>&1
rc=$?
if [ $rc = 0 ] && [ "$(key "$TMP/cc.out" trace_malformed)" = 0 ] && [ "$(key "$TMP/cc.out" trace_format)" = perf-script ] &&
   [ "$(key "$TMP/cc.out" events)" = "$(grep -c 'kmem:k' tests/data/perf-6.18-callchain.txt)" ]; then
	ok inputs_perf_callchain
else notok inputs_perf_callchain "rc=$rc $(tr '\n' ' ' <"$TMP/cc.out" | head -c 300)"; fi

# compressed input: told by magic bytes, the same summary as the .xz
gzip -c "$TMP/trace.txt" >"$TMP/t.gz"
zstd -q -c "$TMP/trace.txt" >"$TMP/t.zst" 2>/dev/null || notok inputs_zstd_tool "zstd failed"
cp "$TMP/t.gz" "$TMP/gz-noext"; cp "$TMP/t.zst" "$TMP/zst-noext"; cp "$TRACE" "$TMP/xz-noext"
for f in t.gz t.zst gz-noext zst-noext xz-noext; do
	$RUN --trace "$TMP/$f" >"$TMP/$f.out" 2>"$TMP/$f.err"
	rc=$?
	if [ $rc = 0 ] && [ "$(cat "$TMP/$f.out")" = "$(cat "$TMP/xz.out")" ]; then ok "inputs_$f"
	else notok "inputs_$f" "rc=$rc $(tr '\n' ' ' <"$TMP/$f.err" | head -c 200) $(diff "$TMP/$f.out" "$TMP/xz.out" | head -4 | tr '\n' ' ')"; fi
done
# truncated: the decompressor's exit status makes it an error, not a short replay
head -c 100000 "$TMP/t.gz" >"$TMP/cut.gz"
head -c 100000 "$TMP/t.zst" >"$TMP/cut.zst"
for f in cut.gz:gzip cut.zst:zstd; do
	n=${f%%:*} prog=${f#*:}
	$RUN --trace "$TMP/$n" >/dev/null 2>"$TMP/$n.err"
	rc=$?
	if [ $rc = 2 ] && grep -q "^kmemsim: $TMP/$n: $prog: exit status [0-9]* (truncated or corrupt \.${n#cut.} file)" "$TMP/$n.err"; then
		ok "inputs_truncated_${n#cut.}"
	else notok "inputs_truncated_${n#cut.}" "rc=$rc $(tr '\n' ' ' <"$TMP/$n.err" | head -c 300)"; fi
done
# a plain file named .gz is handed to gzip, which says what is wrong
cp tests/data/trace-current.txt "$TMP/plain.gz"
$RUN --trace "$TMP/plain.gz" >/dev/null 2>"$TMP/plain.err"
rc=$?
[ $rc = 2 ] && grep -q "^kmemsim: $TMP/plain.gz: gzip: exit status" "$TMP/plain.err" && ok inputs_gz_name_not_gzip ||
	notok inputs_gz_name_not_gzip "rc=$rc $(tr '\n' ' ' <"$TMP/plain.err" | head -c 300)"
# no decompressor: the message names the package
K=$(cd "$(dirname "$KMEMSIM")" && pwd)/$(basename "$KMEMSIM")
PATH=/nonexistent "$K" run --trace "$TMP/t.zst" --no-db --no-progress >/dev/null 2>"$TMP/nozstd.err"
rc=$?
[ $rc = 2 ] && grep -q "^kmemsim: $TMP/t.zst: zstd: cannot run \`zstd -dc\` (install zstd)" "$TMP/nozstd.err" &&
	ok inputs_no_zstd || notok inputs_no_zstd "rc=$rc $(tr '\n' ' ' <"$TMP/nozstd.err" | head -c 300)"

# no kmem events: an error, with or without --lenient
head -c 6000 /dev/urandom | od -An -tx1 -w40 >"$TMP/random.txt"
printf '' >"$TMP/empty.txt"
grep -v -e kmalloc -e kfree -e kmem_cache -e mm_page tests/data/trace-current.txt >"$TMP/nokmem.txt"
[ "$(grep -c 'sched_switch' "$TMP/nokmem.txt")" = 1 ] || notok inputs_nokmem_fixture "no sched_switch line"
for f in random empty nokmem; do
	for l in "" --lenient; do
		$RUN --trace "$TMP/$f.txt" $l >/dev/null 2>"$TMP/$f.err"
		rc=$?
		if [ $rc = 2 ] && grep -q "^kmemsim: $TMP/$f.txt: no kmem events recognised; formats read: ftrace, trace-cmd, perf script, glibc mtrace" "$TMP/$f.err"; then
			ok "inputs_no_events_$f${l:+_lenient}"
		else notok "inputs_no_events_$f${l:+_lenient}" "rc=$rc $(tr '\n' ' ' <"$TMP/$f.err" | head -c 300)"; fi
	done
done
# ... and its run row is marked failed
$KMEMSIM run --trace "$TMP/random.txt" --db "$TMP/r.db" --no-progress >/dev/null 2>&1
st=$(sqlite3 "$TMP/r.db" "SELECT status FROM runs" 2>&1)
[ "$st" = failed ] && ok inputs_no_events_run_failed || notok inputs_no_events_run_failed "status '$st'"
# a bad line in the middle of a real trace is still FILE:LINE, not "no events"
printf '%s\n' "just some words" | cat tests/data/trace-current.txt - tests/data/trace-current.txt >"$TMP/mid.txt"
$RUN --trace "$TMP/mid.txt" >/dev/null 2>"$TMP/mid.err"
rc=$?
[ $rc = 2 ] && grep -q "^kmemsim: $TMP/mid.txt:29: not a trace line" "$TMP/mid.err" && ok inputs_bad_line_in_trace ||
	notok inputs_bad_line_in_trace "rc=$rc $(tr '\n' ' ' <"$TMP/mid.err")"

# inputs named as what they are
cp tests/data/trace-current.txt "$TMP/trace.lua"
cp "$TRACE" "$TMP/gcc.lua"
cp tests/data/trace-mtrace.mtrace "$TMP/m.lua"
for f in trace.lua gcc.lua m.lua; do
	$RUN "$TMP/$f" >/dev/null 2>"$TMP/$f.err"
	rc=$?
	[ $rc = 2 ] && grep -q "^kmemsim: $TMP/$f looks like a kmem trace, not a Lua script: use --trace $TMP/$f" "$TMP/$f.err" &&
		ok "inputs_trace_as_script_$f" || notok "inputs_trace_as_script_$f" "rc=$rc $(tr '\n' ' ' <"$TMP/$f.err")"
done
cat >"$TMP/w.lua" <<'LUA'
# LuaJIT skips a first line starting with '#'
-- a workload that allocates one object
local sim = require("kmemsim")
sim.alloc(64)
LUA
cp "$TMP/w.lua" "$TMP/w.trace"
$RUN --trace "$TMP/w.trace" >/dev/null 2>"$TMP/w.err"
rc=$?
[ $rc = 2 ] && grep -q "^kmemsim: $TMP/w.trace looks like a Lua script, not a kmem trace: run it as \`kmemsim run $TMP/w.trace\`" "$TMP/w.err" &&
	ok inputs_script_as_trace || notok inputs_script_as_trace "rc=$rc $(tr '\n' ' ' <"$TMP/w.err")"
$RUN --trace workloads/hostage.lua >/dev/null 2>"$TMP/h.err"
[ $? = 2 ] && grep -q "looks like a Lua script" "$TMP/h.err" && ok inputs_workload_as_trace ||
	notok inputs_workload_as_trace "$(tr '\n' ' ' <"$TMP/h.err")"
$RUN "$TMP/w.lua" >"$TMP/w.out" 2>"$TMP/w.err"
rc=$?
[ $rc = 0 ] && [ "$(key "$TMP/w.out" allocs)" = 1 ] && ok inputs_lua_still_runs ||
	notok inputs_lua_still_runs "rc=$rc $(tr '\n' ' ' <"$TMP/w.err" | head -c 300)"

# NUL bytes: refused at FILE:LINE, never merged or cut
{ head -n 13 tests/data/trace-current.txt
  printf '            bash-3314    [000] .....  2699.320375: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000100 name=names_cache\000x bytes_req=4096 bytes_alloc=4096 gfp_flags=GFP_KERNEL node=-1 accounted=false\n'
} >"$TMP/nul-name.txt"
{ head -n 13 tests/data/trace-current.txt
  printf '            bash-3314    [000] .....  2699.320375: mm_page_alloc: page=0000000000000001 pfn=0x77 order=0 migratetype=0 gfp_flags=GFP_KERNEL\000|__GFP_DMA\n'
} >"$TMP/nul-gfp.txt"
for f in nul-name nul-gfp; do
	$RUN --trace "$TMP/$f.txt" >/dev/null 2>"$TMP/$f.err"
	rc=$?
	[ $rc = 2 ] && grep -q "^kmemsim: $TMP/$f.txt:14: NUL byte at column [0-9]*" "$TMP/$f.err" && ok "inputs_$f" ||
		notok "inputs_$f" "rc=$rc $(tr '\n' ' ' <"$TMP/$f.err")"
done
