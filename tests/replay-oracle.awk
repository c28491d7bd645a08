# replay-oracle.awk - what kmemsim's engine should count for a kmem trace
# (ftrace text or perf script), computed without kmemsim, for the replay
# tests. Run it over the same file twice:  awk -f tests/replay-oracle.awk F F
# (add -v replay_own=1 for --replay-own-slab).
#
# Pass 1 decides, line by line, which page allocations are the traced
# kernel's own (sim/trace.c rule 4, written here independently from the
# rule's text): a new-slab page has __GFP_COMP, __GFP_NOWARN and
# __GFP_NORETRY and no flag outside what SLUB's allocate_slab() can pass
# (the reclaim bits, __GFP_HIGH, IO, FS, RETRY_MAYFAIL, MEMALLOC, NOMEMALLOC,
# NOLOCKDEP, HARDWALL, THISNODE, COMP, RECLAIMABLE, DMA, DMA32), and the next
# kmem event of its CPU is an allocation (other signature pages may come
# between, four at most); a kmalloc_large page (order >= 2, __GFP_COMP, no
# __GFP_HIGHMEM) is followed on its CPU by a kmalloc with bytes_req > 8192
# and bytes_alloc = 4096 << order, and a kmalloc with bytes_req > 8192 whose
# ptr and sizes equal those of the kmalloc just before it on its CPU is the
# second trace of the same kmalloc_large. Page events without a page (pfn 0) and
# events of other kinds are not events for this. (kmemsim gives up waiting after 65536 held events; the
# traces the tests use never wait that long.)
# Pass 2 replays with the engine's rules: a free of NULL is free_null, of an
# unknown key free_unknown; an allocation of a key still live releases the
# old object first (not a free); peaks are taken after each allocation; a
# page allocation the kernel failed (pfn 0) is not replayed. Set-aside pages
# and metadata objects (call sites alloc_slab_obj_exts, the sheaf
# allocators, init_kmem_cache_nodes; the kmem_cache_node cache) and their
# frees (by pfn, by ptr, or at SLUB's own free sites) are counted apart.
function event_of(    i, e) {
	for (i = 2; i <= NF; i++)
		if ($i ~ /^[a-z_]+:([a-z_0-9]+:)?$/ && $(i - 1) ~ /^[0-9]+\.[0-9]+:$/) {
			e = substr($i, 1, length($i) - 1)
			if (e ~ /:/) { if (e !~ /^kmem:/) return "other"; sub(/^kmem:/, "", e) }
			fidx = i
			return e ~ /^(kmalloc|kmalloc_node|kmem_cache_alloc|kmem_cache_alloc_node|kfree|kmem_cache_free|mm_page_alloc|mm_page_free|mm_page_free_batched)$/ ? e : "other"
		}
	return ""
}
function fields(    j, k) {
	delete f
	for (j = fidx + 1; j <= NF; j++) { k = index($j, "="); if (k) f[substr($j, 1, k - 1)] = substr($j, k + 1) }
}
function cpu_of() { match($0, / \[[0-9]+\] /); return substr($0, RSTART + 2, RLENGTH - 4) + 0 }
function isnull(p) { return p ~ /^(0x)?0+$/ || p == "(null)" || p == "(nil)" }
function func_of(site) { sub(/[+.].*/, "", site); return site }
# the gfp names as single flags (Linux 6.18 include/linux/gfp_types.h)
function expand(g,    n, t, i, out) {
	n = split(g, t, "|"); out = ""
	for (i = 1; i <= n; i++) out = out " " (t[i] in composite ? composite[t[i]] : t[i])
	return out " "
}
function slab_sig(g,    x, n, t, i) {
	x = expand(g)
	if (x !~ / __GFP_COMP / || x !~ / __GFP_NOWARN / || x !~ / __GFP_NORETRY /) return 0
	n = split(x, t, " ")
	for (i = 1; i <= n; i++) if (!(t[i] in allowed)) return 0
	return 1
}
BEGIN {
	composite["GFP_KERNEL"] = "__GFP_DIRECT_RECLAIM __GFP_KSWAPD_RECLAIM __GFP_IO __GFP_FS"
	composite["GFP_KERNEL_ACCOUNT"] = composite["GFP_KERNEL"] " __GFP_ACCOUNT"
	composite["GFP_NOFS"] = "__GFP_DIRECT_RECLAIM __GFP_KSWAPD_RECLAIM __GFP_IO"
	composite["GFP_NOIO"] = "__GFP_DIRECT_RECLAIM __GFP_KSWAPD_RECLAIM"
	composite["GFP_ATOMIC"] = "__GFP_HIGH __GFP_KSWAPD_RECLAIM"
	composite["GFP_NOWAIT"] = "__GFP_KSWAPD_RECLAIM __GFP_NOWARN"
	composite["GFP_USER"] = composite["GFP_KERNEL"] " __GFP_HARDWALL"
	composite["GFP_HIGHUSER"] = composite["GFP_USER"] " __GFP_HIGHMEM"
	composite["GFP_HIGHUSER_MOVABLE"] = composite["GFP_HIGHUSER"] " __GFP_MOVABLE __GFP_SKIP_KASAN"
	composite["GFP_DMA"] = "__GFP_DMA"; composite["GFP_DMA32"] = "__GFP_DMA32"
	composite["__GFP_RECLAIM"] = "__GFP_DIRECT_RECLAIM __GFP_KSWAPD_RECLAIM"
	n = split("__GFP_DIRECT_RECLAIM __GFP_KSWAPD_RECLAIM __GFP_HIGH __GFP_IO __GFP_FS __GFP_NOWARN " \
		  "__GFP_RETRY_MAYFAIL __GFP_NORETRY __GFP_MEMALLOC __GFP_NOMEMALLOC __GFP_NOLOCKDEP " \
		  "__GFP_HARDWALL __GFP_THISNODE __GFP_COMP __GFP_RECLAIMABLE __GFP_DMA __GFP_DMA32", a, " ")
	for (i = 1; i <= n; i++) allowed[a[i]] = 1
	n = split("alloc_slab_obj_exts alloc_empty_sheaf __alloc_empty_sheaf alloc_full_sheaf " \
		  "kmem_cache_prefill_sheaf init_kmem_cache_nodes", a, " ")
	for (i = 1; i <= n; i++) meta_alloc_site[a[i]] = 1
	n = split("__free_slab free_slab_obj_exts unaccount_slab free_empty_sheaf barn_shrink " \
		  "rcu_free_sheaf rcu_free_sheaf_nobarn kmem_cache_return_sheaf free_kmem_cache_nodes", a, " ")
	for (i = 1; i <= n; i++) meta_free_site[a[i]] = 1
}
/^[ \t]*#/ || /^[ \t]*$/ { next }
FNR == NR {                                   # pass 1: whose pages
	if (replay_own) next
	ev = event_of()
	if (ev == "" || ev == "other") next
	fields(); c = cpu_of()
	if (ev ~ /^mm_page/ && f["pfn"] ~ /^(0x)?0+$/) next   # no page: not an event here
	if (ev == "mm_page_alloc") {
		order = f["order"] + 0; g = expand(f["gfp_flags"])
		S = slab_sig(f["gfp_flags"]); L = order >= 2 && g ~ / __GFP_COMP / && g !~ / __GFP_HIGHMEM /
		if (S) {                              # the chain goes on: drop its non-signature pages
			m = split(chain[c], q, " "); chain[c] = ""; kept = 0
			for (j = 1; j <= m; j++) if (sig[q[j]]) { chain[c] = chain[c] " " q[j]; kept++ }
			if (kept == 4) sub(/^ [0-9]+/, "", chain[c])
		} else chain[c] = ""
		if (S || L) { chain[c] = chain[c] " " FNR; sig[FNR] = S; lg[FNR] = L; ord[FNR] = order }
		next
	}
	if (ev ~ /^(kmalloc|kmalloc_node|kmem_cache_alloc|kmem_cache_alloc_node)$/ && !isnull(f["ptr"])) {
		m = split(chain[c], q, " ")
		for (j = 1; j <= m; j++) {
			if (j == m && lg[q[j]] && ev ~ /^kmalloc/ && f["bytes_req"] + 0 > 8192 &&
			    f["bytes_alloc"] + 0 == 4096 * 2 ^ ord[q[j]]) own[q[j]] = "large"
			else if (sig[q[j]]) own[q[j]] = "slab"
		}
	}
	chain[c] = ""
	next
}
{                                             # pass 2: replay
	ev = event_of()
	if (ev == "") { print "awk: no event in line " FNR > "/dev/stderr"; exit 1 }
	if (ev == "other") next
	fields(); c = cpu_of()
	if (ev ~ /^mm_page/ && f["pfn"] ~ /^(0x)?0+$/) next
	null = isnull(f["ptr"]); site = func_of(f["call_site"])
	# the second trace of one large kmalloc: same ptr and sizes as the kmalloc just before on this CPU
	k = ev ~ /^kmalloc/ && !null ? f["ptr"] " " f["bytes_req"] " " f["bytes_alloc"] : ""
	dup = !replay_own && k != "" && f["bytes_req"] + 0 > 8192 && last[c] == k
	last[c] = k
	if (dup) { own_dup++; next }
	if (ev ~ /^(kmalloc|kmalloc_node|kmem_cache_alloc|kmem_cache_alloc_node)$/) {
		if (!replay_own && (site in meta_alloc_site || f["name"] == "kmem_cache_node")) {
			own_meta_allocs++; if (!null) meta[f["ptr"]] = 1; next
		}
		if (null) { alloc_null++; next }
		delete meta[f["ptr"]]
		allocs++
		if (f["ptr"] in live) { live_bytes -= live[f["ptr"]]; live_objs--; delete live[f["ptr"]] }
		live[f["ptr"]] = f["bytes_req"] + 0; live_bytes += f["bytes_req"]; live_objs++
		if (live_bytes > peak_bytes) peak_bytes = live_bytes
		if (live_objs > peak_objs) peak_objs = live_objs
	} else if (ev == "kfree" || ev == "kmem_cache_free") {
		if (!replay_own && !null && (f["ptr"] in meta)) { own_meta_frees++; delete meta[f["ptr"]]; next }
		if (!replay_own && (site in meta_free_site || f["name"] == "kmem_cache_node")) { own_meta_frees++; next }
		if (null) free_null++
		else if (f["ptr"] in live) { frees++; live_bytes -= live[f["ptr"]]; live_objs--; delete live[f["ptr"]] }
		else free_unknown++
	} else if (ev == "mm_page_alloc") {
		if (f["pfn"] ~ /^(0x)?0+$/) next
		if (own[FNR] == "slab") { own_slab++; ownpfn[f["pfn"]] = "slab"; next }
		if (own[FNR] == "large") { own_large++; ownpfn[f["pfn"]] = "large"; next }
		delete ownpfn[f["pfn"]]
		page_allocs++
		pages[f["pfn"]] = 1
	} else if (ev == "mm_page_free" || ev == "mm_page_free_batched") {
		if (f["pfn"] in ownpfn) {
			if (ownpfn[f["pfn"]] == "slab") own_slab_frees++; else own_large_frees++
			delete ownpfn[f["pfn"]]; next
		}
		if (f["pfn"] in pages) { page_frees++; delete pages[f["pfn"]] }
	}
}
END {
	printf "allocs: %d\nfrees: %d\nfree_unknown: %d\nfree_null: %d\nalloc_null: %d\n", allocs, frees, free_unknown, free_null, alloc_null
	printf "peak_live_bytes: %d\npeak_live_objects: %d\nfinal_live_bytes: %d\n", peak_bytes, peak_objs, live_bytes
	printf "page_allocs: %d\npage_frees: %d\n", page_allocs, page_frees
	printf "trace_own_slab_pages: %d\ntrace_own_slab_page_frees: %d\n", own_slab, own_slab_frees
	printf "trace_own_large_kmalloc_pages: %d\ntrace_own_large_kmalloc_page_frees: %d\n", own_large, own_large_frees
	printf "trace_own_meta_allocs: %d\ntrace_own_meta_frees: %d\n", own_meta_allocs, own_meta_frees
	printf "trace_own_dup_kmallocs: %d\n", own_dup
}
