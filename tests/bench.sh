#!/bin/sh
# make bench: kmemsim's speed, measured side by side in one run, each figure
# printed with issue 13's goal for it and whether it is met.
#
#  Input. The real trace tests/data/gcc-small.ftrace.xz is decompressed once
#  (not timed). It is too short to time (48 k events), so the replays use
#  COPIES (default 20) copies of its events, one after the other: copy k's
#  timestamps k seconds later, its pointers (16 hex digits, hashed: the high
#  8 are zero) with k in the high 8 digits (NULL stays NULL), its pfns plus
#  k << 32, so every copy replays like the first, on live memory that grows
#  copy by copy (--mem 4G: no allocation fails). Made once with awk into a
#  temporary directory, then converted once to .kmt (not timed).
#  Per back end (kmemsim list):
#   - text replay: `kmemsim run --no-db --trace big.txt` (parser thread +
#     engine), events/s of wall time;
#   - binary replay: the same with the .kmt;
#   - engine only: tests/bench_replay.c, the same events parsed into memory
#     first, then fed to sim_event() (no parsing, no thread);
#   and the ratio binary replay / native, where native (once for all) is
#   the same events through glibc malloc/free, kept in the same hash table
#   by the same keys, pages as blocks of 4096 << order (tests/bench_replay.c).
#  Parser alone: kmemsim's parser on its thread with a stub engine, MB/s of
#  text, next to a memchr line split of the same bytes read the same way.
#  Lua: workloads/bench.lua (10^7 events, SLUB) without a database and with
#  the default one (samples every 1000 events).
#  Memory: peak RSS (/usr/bin/time -f %M) of a 14-event trace at --mem 1G and
#  64G (the difference per modelled GiB), and of a Lua workload holding N
#  live 64-byte objects against N = 0 (per live object).
# Figures are the median of 3 runs (min..max after it), wall clock; the
# machine's load (shown) slows them, so the CPU seconds (user + system, all
# threads) of a run are shown next to it. No CPU pinning.
# BENCH_KMEMSIM=path measures another kmemsim binary (figures it cannot
# produce are n/a); BENCH_COPIES and BENCH_EVENTS change the sizes.
cd "$(dirname "$0")/.." || exit 2
K=${BENCH_KMEMSIM:-./kmemsim}
B=build/bench_replay
[ -x "$K" ] || { echo "bench: build $K first (make)"; exit 2; }
[ -x "$B" ] || { echo "bench: build $B first (make build/bench_replay)"; exit 2; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
COPIES=${BENCH_COPIES:-20}
EVENTS=${BENCH_EVENTS:-10000000}
MEM=4G

echo "bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r)"
echo "bench: kmemsim $($K --version | awk '{ print $2 }') ($(git rev-parse --short HEAD 2>/dev/null || echo no git)$(git diff --quiet 2>/dev/null || echo ', modified')), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# timed CMD...: run CMD 3 times; "min median max cpu" seconds (wall clock;
# cpu: user + system seconds of the median run, every thread, when
# /usr/bin/time can tell); the last run's stdout in $TMP/out. Fails
# (status 1) if CMD fails.
TIME=""
[ -x /usr/bin/time ] && TIME="/usr/bin/time -f %U+%S -o $TMP/cpu"
timed() {
	: >"$TMP/times"
	for i in 1 2 3; do
		echo 0+0 >"$TMP/cpu"
		t0=$(date +%s%N)
		$TIME "$@" >"$TMP/out" 2>"$TMP/err" || return 1
		t1=$(date +%s%N)
		echo "$((t1 - t0)) $(tail -n 1 "$TMP/cpu")" >>"$TMP/times"
	done
	sort -n "$TMP/times" | awk '{ t[NR] = $1 / 1e9; split($2, c, "+"); cpu[NR] = c[1] + c[2] }
		END { printf "%.6f %.6f %.6f %.2f\n", t[1], t[2], t[3], cpu[2] }'
}
# line WHAT FIGURE GOAL MET: one result line
line() { printf 'bench: %-36s %-44s goal %s: %s\n' "$1" "$2" "$3" "$4"; }
# rate EVENTS "MIN MED MAX CPU": "X.XX M ev/s (A..B), C s CPU"
rate() { echo "$2" | awk -v e="$1" '{ printf "%.2f M ev/s (%.2f..%.2f), %.2f s CPU", e / $2 / 1e6, e / $3 / 1e6, e / $1 / 1e6, $4 }'; }
# met VALUE OP LIMIT: "met" / "not met" / "n/a"
met() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { if (v == "" || v == "n/a") { print "n/a"; exit }
	ok = op == ">=" ? v + 0 >= l + 0 : v + 0 <= l + 0; print ok ? "met" : "not met" }'; }

# ---- inputs (not timed) ----
xz -dc tests/data/gcc-small.ftrace.xz >"$TMP/gcc.txt" || { echo "bench: xz -dc failed"; exit 2; }
awk -v K="$COPIES" '
/^#/ { hdr[nh++] = $0; next }
{ ev[n++] = $0 }
END {
	for (i = 0; i < nh; i++) print hdr[i]
	hex8 = "[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]"
	for (k = 0; k < K; k++) {
		kh = sprintf("%08x", k)
		for (i = 0; i < n; i++) {
			l = ev[i]
			if (k) {
				out = ""
				while (match(l, "(ptr|page)=00000000" hex8)) {
					m = substr(l, RSTART, RLENGTH); eq = index(m, "=")
					out = out substr(l, 1, RSTART - 1) (substr(m, eq + 9) == "00000000" ? m : substr(m, 1, eq) kh substr(m, eq + 9))
					l = substr(l, RSTART + RLENGTH)
				}
				l = out l
				if (match(l, /pfn=0x[0-9a-f]+/)) {
					d = substr(l, RSTART + 6, RLENGTH - 6)
					while (length(d) < 8) d = "0" d
					l = substr(l, 1, RSTART + 5) sprintf("%x", k) d substr(l, RSTART + RLENGTH)
				}
				if (match(l, /[0-9]+\.[0-9]+: /)) {
					t = substr(l, RSTART, RLENGTH); dot = index(t, ".")
					l = substr(l, 1, RSTART - 1) (substr(t, 1, dot - 1) + k) substr(t, dot) substr(l, RSTART + RLENGTH)
				}
			}
			print l
		}
	}
}' "$TMP/gcc.txt" >"$TMP/big.txt"
BYTES=$(wc -c <"$TMP/big.txt" | tr -d ' ')
echo "bench: input: $COPIES copies of tests/data/gcc-small's events, $(wc -l <"$TMP/big.txt" | tr -d ' ') lines, $((BYTES / 1000000)) MB of text"
KMT=""
if $K convert "$TMP/big.txt" "$TMP/big.kmt" >/dev/null 2>&1; then
	KMT=$TMP/big.kmt
	echo "bench: .kmt of it: $(($(wc -c <"$KMT") / 1000000)) MB"
else echo "bench: $K cannot convert: binary replay n/a"; fi

# ---- per back end ----
INPUT=${KMT:-$TMP/big.txt}
nat=""
if $B native "$INPUT" >"$TMP/nat" 2>"$TMP/err"; then
	nat=$(awk '{ printf "%.2f", $2 / $3 / 1e6 }' "$TMP/nat")
	line "native glibc replay (every back end)" "$nat M ev/s" "-" "-"
else echo "bench: native replay failed: $(head -c 300 "$TMP/err")"; fi
BACKENDS=$($K list | awk '{ print $1 }')
for b in $BACKENDS; do
	t=$(timed $K run --allocator "$b" --mem $MEM --no-db --no-progress --trace "$TMP/big.txt") ||
		{ echo "bench: $b: text replay failed: $(head -c 300 "$TMP/err")"; continue; }
	ev=$(sed -n 's/^events: //p' "$TMP/out")
	fa=$(sed -n 's/^failed_allocs: //p' "$TMP/out")
	[ "$fa" = 0 ] || echo "bench: $b: $fa failed allocations (the figures still count every event)"
	text=$(echo "$t" | awk -v e="$ev" '{ printf "%.2f", e / $2 / 1e6 }')
	line "text replay, $b" "$(rate "$ev" "$t")" ">= 4 M ev/s" "$(met "$text" ">=" 4)"
	bin=n/a
	if [ -n "$KMT" ] && t=$(timed $K run --allocator "$b" --mem $MEM --no-db --no-progress --trace "$KMT"); then
		bin=$(echo "$t" | awk -v e="$ev" '{ printf "%.2f", e / $2 / 1e6 }')
		line "binary replay, $b" "$(rate "$ev" "$t")" "-" "-"
	fi
	if $B engine "$b" "$INPUT" $MEM >"$TMP/eng" 2>"$TMP/err"; then
		eng=$(awk '{ printf "%.2f", $2 / $3 / 1e6 }' "$TMP/eng")
		eval "eng_$b=$eng"
		line "engine only, $b" "$eng M ev/s" "-" "-"
	else echo "bench: $b: engine bench failed: $(head -c 300 "$TMP/err")"; fi
	ratio=$(awk -v a="$bin" -v n="$nat" 'BEGIN { if (a == "n/a" || n == "") print "n/a"; else printf "%.2f", a / n }')
	x=x; [ "$ratio" = n/a ] && x=""
	if [ "$b" = buddy ]; then
		line "binary replay / native, $b" "$ratio$x" "none (buddy maps whole pages)" "-"
	else
		line "binary replay / native, $b" "$ratio$x" ">= 1.0x" "$(met "$ratio" ">=" 1.0)"
	fi
done
if [ -n "${eng_slub:-}" ] && [ -n "${eng_slob:-}" ]; then
	r=$(awk -v a="$eng_slub" -v b="$eng_slob" 'BEGIN { printf "%.2f", a / b }')
	line "engine only, slub / slob" "${r}x (on this trace)" "<= 3x on every workload" "$(met "$r" "<=" 3)"
fi

# ---- the parser alone (this tree's, built into bench_replay) ----
if [ "$K" != ./kmemsim ]; then
	echo "bench: parse: n/a for $K (bench_replay holds this tree's parser)"
elif $B parse "$TMP/big.txt" >"$TMP/p" 2>"$TMP/err" && $B split "$TMP/big.txt" >"$TMP/s" 2>>"$TMP/err"; then
	mbs=$(awk '{ printf "%.0f", $2 / $4 / 1e6 }' "$TMP/p")
	line "parse (own thread, stub engine)" "$mbs MB/s ($(awk '{ printf "%.0f MB/s of CPU", $2 / $5 / 1e6 }' "$TMP/p"))" \
		">= 600 MB/s" "$(met "$mbs" ">=" 600)"
	line "memchr line split, same bytes" "$(awk '{ printf "%.0f MB/s (%.0f MB/s of CPU)", $2 / $4 / 1e6, $2 / $5 / 1e6 }' "$TMP/s")" "-" "-"
else echo "bench: parser bench failed: $(head -c 300 "$TMP/err")"; fi

# ---- Lua ----
if $K list | awk '{ print $1 }' | grep -qx slub; then lb=slub; else lb=buddy; fi
t=$(timed $K run --allocator $lb --no-db --no-progress workloads/bench.lua --set events="$EVENTS") &&
	ev=$(sed -n 's/^events: //p' "$TMP/out") && nodb=$(echo "$t" | awk -v e="$ev" '{ printf "%.2f", e / $2 / 1e6 }') &&
	line "Lua workload, $lb, no DB" "$(rate "$ev" "$t")" "-" "-"
t=$(timed sh -c "rm -f '$TMP/b.db'; exec $K run --allocator $lb --db '$TMP/b.db' --no-progress workloads/bench.lua --set events=$EVENTS") &&
	ev=$(sed -n 's/^events: //p' "$TMP/out") && db=$(echo "$t" | awk -v e="$ev" '{ printf "%.2f", e / $2 / 1e6 }') &&
	line "Lua workload, $lb, default DB" "$(rate "$ev" "$t")" "-" "-" &&
	r=$(awk -v a="$db" -v b="$nodb" 'BEGIN { printf "%.2f", a / b }') &&
	line "Lua with DB / without" "${r}x" ">= 0.6x" "$(met "$r" ">=" 0.6)"

# ---- memory ----
if [ -x /usr/bin/time ]; then
	# rss ARGS...: peak RSS in KiB of a run, median of 3
	rss() {
		for i in 1 2 3; do
			/usr/bin/time -f %M -o "$TMP/rss" "$@" >/dev/null 2>&1 || { echo fail; return 1; }
			cat "$TMP/rss"
		done | sort -n | sed -n 2p
	}
	r1=$(rss $K run --allocator slub --mem 1G --no-db --no-progress --trace tests/data/trace-current.txt)
	r64=$(rss $K run --allocator slub --mem 64G --no-db --no-progress --trace tests/data/trace-current.txt)
	per=$(awk -v a="$r1" -v b="$r64" 'BEGIN { printf "%.1f", (b - a) / 63 }')
	line "RSS per modelled GiB" "$per KiB ($r1 KiB at 1G, $r64 at 64G)" "<= 64 KiB (1 TiB < 64 MiB)" "$(met "$per" "<=" 64)"
	cat >"$TMP/live.lua" <<'EOF'
local sim = require "kmemsim"
local P = sim.declare("make bench: n live 64-byte objects", { n = { 0, "objects" } })
for i = 1, P.n do sim.alloc(64) end
EOF
	n=4000000
	l0=$(rss $K run --allocator slub --mem $MEM --no-db --no-progress "$TMP/live.lua" --set n=0)
	ln=$(rss $K run --allocator slub --mem $MEM --no-db --no-progress "$TMP/live.lua" --set n=$n)
	per=$(awk -v a="$l0" -v b="$ln" -v n="$n" 'BEGIN { printf "%.1f", (b - a) * 1024 / n }')
	line "RSS per live object (slub, 64 B)" "$per B ($n objects: $l0 -> $ln KiB)" "<= 32 B" "$(met "$per" "<=" 32)"
else echo "bench: /usr/bin/time missing: memory figures n/a"; fi
echo "bench: load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
