#!/bin/sh
# t_layers.sh - who may include whom: calls go down only.
#
# Reads the `#include "..."` lines of sim/*.[ch] and allocators/*.[ch] and
# fails on
#   - a file missing from the layer table below (a new file must be placed);
#   - a file including a file of a higher layer, unless the pair is a known
#     exception listed below;
#   - a frame allocator's internals (sim/page_*.h) included outside the
#     page layer, except by the lecture's free-standing buddy (sim/api.c);
#   - a back end touching physical memory or the page allocator other than
#     through sim/page.h's front door: frame records (`struct frame`,
#     `->frames`), the buddy's state (`struct buddy`, `->buddy`, buddy_*()),
#     physmem_set_owner;
#   - a known exception that no longer occurs (remove it from the list).
# It prints the known exceptions, the back ends that include sim/engine.h
# first among them, so the list stays in sight until it is empty.
# Self-tests at the end run the same checker on small trees that break
# each rule and expect it to fail.
. tests/lib.sh

# The layers, bottom first. One line per file (path without .c/.h) or per
# prefix (ending in * or /): RANK PATTERN  # what it is. A file may include
# files of its own rank or below. The order follows the design's data flow
# (trace -> engine -> back end -> kvm -> pgtable -> page layer; the engine
# feeds metrics, metrics write results; study/plot read results; main on
# top), so metrics and results sit below the engine that calls them.
LAYERS='
0  sim/base            # page geometry, GFP flags, failure reasons, x-helpers
0  sim/rng             # the seeded generator: a utility any layer may draw from
0  sim/hash            # BLAKE2b: input and configuration hashes
1  sim/physmem         # page layer: frames, zones, reserved ranges
1  sim/page            # page layer: the front door (page.h)
1  sim/page_*          # page layer: frame allocators (page_buddy.c, ...)
2  sim/params          # the run configuration (holds physmem_config)
3  sim/pgtable         # x86-64 page tables, pages from the page layer
4  sim/vmem            # virtual range allocator (arenas)
5  sim/kvm             # page source: direct map, kernel map, submaps
6  allocators/         # back ends, allocator.h, registry.c
7  sim/results         # SQLite store
8  sim/metrics         # samples and derived measures, fed by the engine
9  sim/objtab          # the engine object table
9  sim/engine          # simulated time, events, objects; drives the back end
10 sim/trace*          # trace replay (an event source; trace_*.c its parts)
10 sim/luaw            # Lua workloads (an event source)
10 sim/api             # the C API the Lua FFI binds (api.c, api.h)
10 sim/kmemsim_api     # its FFI header
11 sim/runs            # every read of results.db (and the snapshot decoder)
12 sim/compare         # compare: process pool, the ranking rule
12 sim/plot            # figures (gnuplot)
12 sim/report          # index.html
12 sim/sweep           # sweep: a study from a spec file, local processes, Slurm, parallel
12 sim/merge           # merge and export of results databases
13 sim/main            # the command line
'

# Known exceptions: FILE INCLUDED  # why. Each is removed by the
# narrow-environment step (back ends get an environment: page source,
# options, time, report sink; metrics get sample records), which must then
# delete the line here.
EXCEPTIONS='
allocators/buddy.c sim/engine.h   # removed by the narrow-environment step
allocators/nta.c sim/engine.h     # removed by the narrow-environment step
allocators/slab.c sim/engine.h    # removed by the narrow-environment step
allocators/slob.c sim/engine.h    # removed by the narrow-environment step
allocators/slub.c sim/engine.h    # removed by the narrow-environment step
allocators/zone.c sim/engine.h    # removed by the narrow-environment step
sim/metrics.c sim/engine.h        # metrics reading struct sim: removed by the narrow-environment step
'

# layers_check ROOT EXCEPTIONS: print "known: ..." and "VIOLATION: ..."
# lines for the tree at ROOT; exit 1 on any violation.
layers_check() {
	root=$1 exc=$2
	(
		cd "$root" || exit 2
		files=$(ls sim/*.c sim/*.h allocators/*.c allocators/*.h 2>/dev/null)
		# every file once (so unplaced files without includes are found too)
		for f in $files; do printf 'FILE %s\n' "$f"; done
		# FILE:LINE:#include "x"
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' $files /dev/null |
			sed 's/^\([^:]*\):\([0-9]*\):.*"\(.*\)".*/INC \1 \2 \3/'
		# back ends reaching below the front door
		grep -nE 'struct (frame|buddy)\b|->frames\b|->buddy\b|\bbuddy_[a-z_]+\(|physmem_set_owner' \
			allocators/*.c allocators/*.h /dev/null |
			sed 's/^\([^:]*\):\([0-9]*\):[[:space:]]*\(.*\)/BELOW \1 \2 \3/'
	) | awk -v layers="$LAYERS" -v exc="$exc" '
	function norm(p,   n, i, a, out, k) {
		n = split(p, a, "/"); k = 0
		for (i = 1; i <= n; i++) {
			if (a[i] == "" || a[i] == ".") continue
			if (a[i] == "..") { if (k > 0) k--; continue }
			out[++k] = a[i]
		}
		p = ""
		for (i = 1; i <= k; i++) p = p (i > 1 ? "/" : "") out[i]
		return p
	}
	function rank(f,   key, i) {
		key = f; sub(/\.[ch]$/, "", key)
		if (key in exact) return exact[key]
		for (i = 1; i <= npre; i++)
			if (substr(key, 1, length(pre[i])) == pre[i]) return prerank[i]
		return -1
	}
	BEGIN {
		n = split(layers, L, "\n")
		for (i = 1; i <= n; i++) {
			sub(/#.*/, "", L[i])
			if (split(L[i], w, " ") < 2) continue
			if (w[2] ~ /[*\/]$/) { p = w[2]; sub(/\*$/, "", p); pre[++npre] = p; prerank[npre] = w[1] + 0 }
			else exact[w[2]] = w[1] + 0
		}
		n = split(exc, E, "\n")
		for (i = 1; i <= n; i++) {
			sub(/#.*/, "", E[i])
			if (split(E[i], w, " ") < 2) continue
			known[w[1] " " w[2]] = 1; nknown++
		}
		bad = 0
	}
	$1 == "FILE" {
		if (rank($2) < 0) { print "VIOLATION: " $2 " is in no layer: add it to the table in tests/t_layers.sh"; bad++ }
		next
	}
	$1 == "INC" {
		f = $2; line = $3; dir = f; sub(/\/[^\/]*$/, "", dir)
		p = norm(dir "/" $4)
		rf = rank(f); rp = rank(p)
		if (rp < 0) { print "VIOLATION: " f ":" line ": includes " p ", which is in no layer"; bad++; next }
		if (p ~ /^sim\/page_/ && f !~ /^sim\/page/ && f != "sim/api.c") {
			print "VIOLATION: " f ":" line ": includes " p ", a frame allocator'"'"'s internals: use sim/page.h"
			bad++; next
		}
		if (rf >= 0 && rp > rf) {
			if ((f " " p) in known) { seen[f " " p] = 1; print "known: " f " includes " p " (layer " rf " includes " rp ")"; next }
			print "VIOLATION: " f ":" line ": includes " p " (layer " rf " includes layer " rp ": calls go down only)"
			bad++
		}
		next
	}
	$1 == "BELOW" {
		f = $2; line = $3; $1 = $2 = $3 = ""; sub(/^ +/, "")
		print "VIOLATION: " f ":" line ": a back end below the page layer'"'"'s front door: " $0
		bad++; next
	}
	END {
		for (k in known) if (!(k in seen)) { print "VIOLATION: stale exception \"" k "\": it no longer occurs, remove it"; bad++ }
		exit bad ? 1 : 0
	}'
}

# ---- the tree itself ----
layers_check . "$EXCEPTIONS" >"$TMP/layers" 2>&1
rc=$?
echo "# known exceptions (back ends including the engine first), removed by the narrow-environment step:"
grep '^known: allocators/.*sim/engine.h' "$TMP/layers" | sed 's/^/#   /'
grep '^known: ' "$TMP/layers" | grep -v '^known: allocators/.*sim/engine.h' | sed 's/^/#   /'
if [ "$rc" -eq 0 ] && ! grep -q VIOLATION "$TMP/layers"; then
	ok layers_calls_go_down
else
	notok layers_calls_go_down "$(grep VIOLATION "$TMP/layers" | head -n 8 | tr '\n' '|')"
fi
n=$(grep -c '^known: ' "$TMP/layers")
[ "$n" -eq "$(printf '%s\n' "$EXCEPTIONS" | grep -c '^[a-z]')" ] && ok layers_exceptions_all_seen ||
	notok layers_exceptions_all_seen "$n known exceptions seen"

# ---- self-tests: each rule, broken once in a small tree, must fail ----
mini() {   # mini NAME: a clean two-layer tree in $TMP/NAME
	d=$TMP/$1; mkdir -p "$d/sim" "$d/allocators"
	printf '#include "base.h"\n' >"$d/sim/physmem.h"
	printf '#include "physmem.h"\n#include "page_buddy.h"\n' >"$d/sim/page.c"
	printf '#include "page.h"\n' >"$d/sim/page_buddy.h"
	printf '#include "physmem.h"\n' >"$d/sim/page.h"
	printf '/* base */\n' >"$d/sim/base.h"
	printf '#include "page.h"\n#include "pgtable.h"\n' >"$d/sim/kvm.c"
	printf '#include "page.h"\n' >"$d/sim/pgtable.h"
	printf '#include "../sim/kvm.h"\n#include "../sim/page.h"\nstatic int x;\n' >"$d/allocators/foo.c"
	printf '#include "page.h"\n' >"$d/sim/kvm.h"
	echo "$d"
}
expect_fail() {   # expect_fail NAME WHAT DIR EXCEPTIONS
	if layers_check "$3" "$4" >"$TMP/self" 2>&1; then
		notok "layers_self_$1" "the checker accepted $2"
	elif grep -q "$2" "$TMP/self"; then
		ok "layers_self_$1"
	else
		notok "layers_self_$1" "failed, but not on $2: $(head -n 3 "$TMP/self" | tr '\n' '|')"
	fi
}
d=$(mini clean)
if layers_check "$d" "" >"$TMP/self" 2>&1; then ok layers_self_clean_tree_passes; else
	notok layers_self_clean_tree_passes "$(tr '\n' '|' <"$TMP/self")"; fi
d=$(mini up); printf '#include "kvm.h"\n' >>"$d/sim/pgtable.h"
expect_fail upward "sim/pgtable.h:2: includes sim/kvm.h" "$d" ""
d=$(mini engine); printf '#include "../sim/engine.h"\n' >>"$d/allocators/foo.c"; printf '/* e */\n' >"$d/sim/engine.h"
expect_fail backend_engine "allocators/foo.c:4: includes sim/engine.h" "$d" ""
if layers_check "$d" "allocators/foo.c sim/engine.h" >"$TMP/self" 2>&1 && grep -q '^known: allocators/foo.c' "$TMP/self"; then
	ok layers_self_listed_exception_passes; else notok layers_self_listed_exception_passes "$(tr '\n' '|' <"$TMP/self")"; fi
d=$(mini stale)
expect_fail stale_exception "stale exception" "$d" "allocators/foo.c sim/engine.h"
d=$(mini unplaced); printf '/* new */\n' >"$d/sim/newthing.c"
expect_fail unplaced "sim/newthing.c is in no layer" "$d" ""
d=$(mini internals); printf '#include "page_buddy.h"\n' >>"$d/sim/kvm.c"
expect_fail internals "a frame allocator's internals" "$d" ""
d=$(mini frames); printf 'void f(struct sim *s) { s->pm->frames[1].next = 2; }\n' >>"$d/allocators/foo.c"
expect_fail frames "allocators/foo.c:4: a back end below" "$d" ""
d=$(mini buddycall); printf 'uint64_t g(void) { return buddy_free_pages(b); }\n' >>"$d/allocators/foo.c"
expect_fail buddy_call "allocators/foo.c:4: a back end below" "$d" ""
