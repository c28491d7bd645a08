#!/bin/sh
# measure-trace.sh TRACE.ftrace[.xz] - the distributions kernel-objects.lua
# carries: per named cache (kmem_cache_alloc name=) and for kmalloc,
#   share of all allocations, requested sizes (value count), and lifetimes
#   (free time - alloc time of the same ptr) in power-of-two microsecond
#   bins, plus how many objects were still live at the end of the trace.
# Output is Lua table text, ready to paste into the script's data.
# Method: one awk pass; an alloc records (time, cache, size) under its ptr;
# a free of a known ptr adds free - alloc to the cache's lifetime bins
# (bin b holds [2^b, 2^(b+1)) us; b = 0 also holds < 1 us). Frees of ptrs
# never seen allocated (the trace starts mid-stream) are ignored. Caches
# with fewer than MIN allocations are left out (they go to "other").
f=${1:?usage: measure-trace.sh TRACE [MIN]}
min=${2:-100}
case "$f" in *.xz) cat="xz -dc";; *) cat=cat;; esac
$cat "$f" | awk -v min="$min" '
function field(name,   i) { for (i = 5; i <= NF; i++) if (index($i, name "=") == 1) return substr($i, length(name) + 2); return "" }
/kmem_cache_alloc:|kmalloc:|kmem_cache_free:|kfree:/ {
	t = $4; sub(":", "", t); t = t * 1e6
	ev = $5
	ptr = field("ptr")
	if (ev == "kmem_cache_alloc:" || ev == "kmalloc:") {
		c = (ev == "kmalloc:") ? "kmalloc" : field("name")
		sz = field("bytes_req") + 0
		if (ptr ~ /^0+$/) next
		born[ptr] = t; cache[ptr] = c
		n[c]++; total++
		sizes[c, sz]++
		if (!((c, "x") in seen)) { seen[c, "x"] = 1; order[++nc] = c }
	} else {
		if (!(ptr in born)) next
		c = cache[ptr]; life = t - born[ptr]
		b = 0; while (2 ^ (b + 1) <= life) b++
		bins[c, b]++; freed[c]++
		delete born[ptr]; delete cache[ptr]
	}
}
END {
	printf("-- %d allocations measured\n", total)
	for (i = 1; i <= nc; i++) {
		c = order[i]
		if (n[c] < min) continue
		printf("\t{ name = \"%s\", count = %d, live_at_end = %d,\n\t  sizes = {", c, n[c], n[c] - freed[c])
		for (k in sizes) { split(k, p, SUBSEP); if (p[1] == c) printf(" {%d, %d},", p[2], sizes[k]) }
		printf(" },\n\t  life_us_log2 = {")
		for (b = 0; b < 40; b++) if ((c, b) in bins) printf(" {%d, %d},", b, bins[c, b])
		printf(" } },\n")
	}
}'
