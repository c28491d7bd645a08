/*
 * t_slub.c - the SLUB back end against known answers and independent
 * cross-checks:
 *  - geometry: rows of the real /proc/slabinfo of a 2-CPU Linux 6.18 box
 *    (tests/data/slabinfo-linux-6.18-2cpu.txt) through ops->info;
 *  - Linux's free semantics worked by hand: a local free is reused LIFO by
 *    the same CPU; a remote free lands on the slab, not on the freeing
 *    CPU; a full slab that gets a remote free goes to the freeing CPU's
 *    partial list; per-CPU partial lists drain to the node list, which
 *    keeps min_partial empty slabs and frees the rest;
 *  - merging on and off, with the alias rules of find_mergeable;
 *  - check() after every operation of a random run with cross-CPU frees,
 *    and check() catching planted corruption (so it is not vacuous);
 *  - 10^6 random operations with a shadow map of the address space proving
 *    that no two live objects overlap and that each object lies in slab
 *    pages of one cache (or kmalloc_large pages);
 *  - exhaustion on a small machine: failures recorded as FAIL_NOMEM, and
 *    after freeing and reclaim every page is back in the buddy allocator.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "shadow.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../allocators/allocator.h"
#include "../sim/page.h"

static struct params P;

static enum backing backing = BACKING_DIRECT;

static struct sim *mk(uint64_t mem, bool no_merge)
{
	params_init(&P);
	P.backing = backing;
	P.allocator = "slub";
	P.db = NULL;
	P.check_every = 0;
	P.progress = false;
	P.no_merge = no_merge;
	physmem_config_init(&P.mem, mem);
	char err[256];
	struct sim *s = sim_create(&P, err, sizeof(err));
	if (!s)
		printf("#   sim_create: %s\n", err);
	return s;
}

static bool ok_check(struct sim *s, const char *when, long op)
{
	char msg[512] = "";
	if (!s->a->ops->check(s->a, msg, sizeof(msg))) {
		CHECK_MSG(0, "check failed %s %ld: %s", when, op, msg);
		return false;
	}
	return true;
}

/* report() value by key */
struct kv { const char *key; double v; bool found; };
static void kv_fn(void *ctx, const char *key, double v)
{
	struct kv *kv = ctx;
	if (strcmp(kv->key, key) == 0) { kv->v = v; kv->found = true; }
}
static double rep(struct sim *s, const char *key)
{
	struct kv kv = { key, 0, false };
	s->a->ops->report(s->a, kv_fn, &kv);
	CHECK_MSG(kv.found, "report has no key %s", key);
	return kv.v;
}

static uint64_t pages_held(struct sim *s) { return kvm_stats(s->kvm)->pages_held; }

/* ---- geometry ---------------------------------------------------------- */

static void t_geometry_known_answers(void)
{
	const struct allocator_ops *ops = allocator_lookup("slub");
	CHECK(ops && ops->info);
	if (!ops || !ops->info)
		return;
	struct params p;
	params_init(&p);
	p.cpus = 2;
	/* objsize objperslab pagesperslab, copied from rows of
	 * tests/data/slabinfo-linux-6.18-2cpu.txt (real Linux 6.18, 2 CPUs) */
	static const struct { const char *row; uint32_t size; const char *want; } rows[] = {
		{ "kmalloc-8",          8,    "8 512 1" },
		{ "kmalloc-96",         96,   "96 42 1" },
		{ "kmalloc-1k",         1024, "1024 16 4" },
		{ "kmalloc-8k",         8192, "8192 4 8" },
		{ "btrfs_delayed_node", 312,  "312 13 1" },
		{ "btrfs_ordered_extent", 416, "416 19 2" },
		{ "UDPv6",              1472, "1472 22 8" },
		{ "TCPv6",              2496, "2496 13 8" },
		{ "MPTCPv6",            2112, "2112 15 8" },
	};
	char out[64];
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		CHECK(ops->info(&p, rows[i].size, out, sizeof(out)));
		CHECK_MSG(strcmp(out, rows[i].want) == 0, "%s: got '%s', slabinfo says '%s'",
			  rows[i].row, out, rows[i].want);
	}
	/* one CPU: min_objects = 4 * (fls(1) + 1) = 8 -> 1024 needs order 1 (8 KiB) */
	p.cpus = 1;
	CHECK(ops->info(&p, 1024, out, sizeof(out)));
	CHECK_MSG(strcmp(out, "1024 8 2") == 0, "1 CPU, 1024: got '%s'", out);
}

/* ---- hand-worked semantics ---------------------------------------------- */

static void t_local_and_remote_free(void)
{
	struct sim *s = mk(64 * MIB, false);
	if (!s) { CHECK(0); return; }
	struct allocator *a = s->a;
	const struct allocator_ops *o = a->ops;
	int c = o->cache_create(a, "t-1k", 1024, 8, 0);   /* 16 per order-2 slab */
	CHECK(c >= 1);
	uint64_t A[16];
	for (int i = 0; i < 16; i++)
		A[i] = o->alloc(a, c, 1024, 0, 0);
	for (int i = 1; i < 16; i++)
		CHECK_EQ(A[i], A[0] + (uint64_t)i * 1024);       /* one slab, in address order */
	CHECK_EQ(pages_held(s), 4);
	/* local free then alloc on the same CPU: LIFO reuse */
	o->free(a, c, A[5], 1024, 0);
	CHECK_EQ(o->alloc(a, c, 1024, 0, 0), A[5]);
	/* slab full: the next alloc on CPU 0 takes a new slab */
	uint64_t b0 = o->alloc(a, c, 1024, 0, 0);
	CHECK(b0 >= A[0] + 16 * 1024 || b0 + 16 * 1024 <= A[0]);
	CHECK_EQ(pages_held(s), 8);
	/* remote free into the full slab A: it goes to CPU 1's partial list */
	o->free(a, c, A[3], 1024, 1);
	CHECK_EQ(rep(s, "slub_cpu_partial_free"), 1);
	CHECK_EQ(rep(s, "slub_remote_frees"), 1);
	/* CPU 0 does not see it: its next object comes from slab B */
	uint64_t b1 = o->alloc(a, c, 1024, 0, 0);
	CHECK_EQ(b1, b0 + 1024);
	/* CPU 1 has no slab: it takes A from its partial list and gets A[3] */
	CHECK_EQ(o->alloc(a, c, 1024, 1, 0), A[3]);
	CHECK_EQ(rep(s, "slub_cpu_partial_alloc"), 1);
	/* a free from CPU 1 into CPU 0's active slab B stays on B: CPU 1 does
	 * not get it back, CPU 0 does once its own freelist runs dry */
	o->free(a, c, b1, 1024, 1);
	uint64_t got[16];
	int n = 0;
	for (; n < 14; n++)                 /* B has 14 never-used objects left */
		got[n] = o->alloc(a, c, 1024, 0, 0);
	for (int i = 0; i < 14; i++)
		CHECK(got[i] != b1);
	CHECK_EQ(o->alloc(a, c, 1024, 0, 0), b1);       /* refill from B's freelist */
	CHECK_EQ(rep(s, "slub_alloc_refill"), 1);
	CHECK(ok_check(s, "semantics", 0));
	sim_destroy(s);
}

/*
 * min_partial: 1024-byte objects, 16 per slab; cpu_partial 24 objects ->
 * cpu_partial_slabs = ceil(48 / 16) = 3; min_partial = max(5, ilog2(1024)/2).
 * CPU 0 fills 20 slabs (slab 20 stays its active slab). CPU 1 frees slab 1,
 * then slab 2, ... slab 19 completely. Each slab's first free puts it on
 * CPU 1's partial list; when the list already holds 3 it is drained to the
 * node first (at slabs 4, 7, 10, 13, 16, 19: 18 empty slabs drained). The
 * node keeps the first 5 and frees 13. Left: 5 on the node, slab 19 on
 * CPU 1's list, slab 20 active on CPU 0 = 7 slabs = 28 pages.
 */
static void t_min_partial(void)
{
	struct sim *s = mk(64 * MIB, false);
	if (!s) { CHECK(0); return; }
	struct allocator *a = s->a;
	const struct allocator_ops *o = a->ops;
	int c = o->cache_create(a, "t-mp", 1024, 8, 0);
	uint64_t *obj = calloc(20 * 16, sizeof(*obj));
	for (int i = 0; i < 20 * 16; i++)
		obj[i] = o->alloc(a, c, 1024, 0, 0);
	CHECK_EQ(pages_held(s), 20 * 4);
	for (int i = 0; i < 19 * 16; i++) {
		o->free(a, c, obj[i], 1024, 1);
		if (!ok_check(s, "min_partial free", i))
			break;
	}
	CHECK_EQ(rep(s, "slub_cpu_partial_drain"), 6);
	CHECK_EQ(rep(s, "slub_slabs_freed"), 13);
	CHECK_EQ(pages_held(s), 7 * 4);
	/* the slabinfo row agrees */
	/* and kmem_cache_shrink frees every empty slab, keeps the live one */
	for (int i = 19 * 16; i < 20 * 16 - 1; i++)
		o->free(a, c, obj[i], 1024, 0);
	o->reclaim(a);
	CHECK_EQ(pages_held(s), 4);          /* slab 20 still holds obj[319] */
	o->free(a, c, obj[20 * 16 - 1], 1024, 0);
	o->reclaim(a);
	CHECK_EQ(pages_held(s), 0);
	CHECK(ok_check(s, "after shrink", 0));
	free(obj);
	sim_destroy(s);
}

/*
 * kmem_cache_shrink's order, worked by hand. 1024-byte objects, 16 per
 * slab, cpu_partial_slabs 3. CPU 0 fills slabs S1..S4 (S4 stays its CPU
 * slab). CPU 1 frees 3 objects of S1, 1 of S2, 5 of S3 (each full slab goes
 * to CPU 1's partial list: [S3 S2 S1]) and 1 of S4 (frozen on CPU 0: stays).
 * Shrink: S4 is deactivated to the node tail (it had remote frees), then
 * CPU 1's list drains: node = [S4 S3 S2 S1] with 1, 5, 1, 3 free. Linux
 * promotes by free count, reversing within a count: [S2 S4 S1 S3].
 * CPU 0's next alloc takes S2 (get_partial_node) and moves S4 then S1 to
 * its partial list (S1 on top): allocs return S2's object, then S1's last
 * freed object.
 */
static void t_shrink_order(void)
{
	struct sim *s = mk(64 * MIB, false);
	if (!s) { CHECK(0); return; }
	struct allocator *a = s->a;
	const struct allocator_ops *o = a->ops;
	int c = o->cache_create(a, "t-shrink", 1024, 8, 0);
	uint64_t v[64];
	for (int i = 0; i < 64; i++)
		v[i] = o->alloc(a, c, 1024, 0, 0);
	for (int k = 0; k < 4; k++)        /* slabs are contiguous in object order */
		CHECK_EQ(v[16 * k + 15], v[16 * k] + 15 * 1024);
	o->free(a, c, v[0], 1024, 1); o->free(a, c, v[1], 1024, 1); o->free(a, c, v[2], 1024, 1);
	o->free(a, c, v[16 + 7], 1024, 1);
	for (int i = 0; i < 5; i++)
		o->free(a, c, v[32 + i], 1024, 1);
	o->free(a, c, v[48 + 9], 1024, 1);
	CHECK_EQ(rep(s, "slub_cpu_partial_free"), 3);
	o->reclaim(a);
	CHECK(ok_check(s, "after shrink", 0));
	CHECK_EQ(o->alloc(a, c, 1024, 0, 0), v[16 + 7]);    /* S2 first */
	CHECK_EQ(o->alloc(a, c, 1024, 0, 0), v[2]);         /* then S1, LIFO */
	CHECK_EQ(rep(s, "slub_node_partial_alloc"), 1);
	CHECK_EQ(rep(s, "slub_cpu_partial_alloc"), 1);
	CHECK(ok_check(s, "after allocs", 0));
	sim_destroy(s);
}

/* kmalloc size classes and kmalloc_large */
static struct cache_info rows_seen[64];
static int nrows;
static void row_fn(void *ctx, const struct cache_info *ci)
{
	(void)ctx;
	if (nrows < 64) {
		rows_seen[nrows] = *ci;
		rows_seen[nrows].name = NULL;
		nrows++;
	}
}

static void t_kmalloc_classes(void)
{
	struct sim *s = mk(64 * MIB, false);
	if (!s) { CHECK(0); return; }
	struct allocator *a = s->a;
	const struct allocator_ops *o = a->ops;
	/* request -> the kmalloc class (kmalloc_index) */
	static const uint32_t req[] =  { 1, 8, 9, 33, 65, 97, 129, 193, 257, 1025, 4097, 8192 };
	static const uint32_t cls[] =  { 8, 8, 16, 64, 96, 128, 192, 256, 512, 2048, 8192, 8192 };
	uint64_t before = a->alloc_bytes;
	for (size_t i = 0; i < ARRAY_SIZE(req); i++) {
		uint64_t va = o->alloc(a, 0, req[i], 0, 0);
		CHECK(va != 0);
		CHECK_MSG(a->alloc_bytes - before == cls[i], "kmalloc(%u): charged %llu, want %u", req[i],
			  (unsigned long long)(a->alloc_bytes - before), cls[i]);
		CHECK_EQ(va % (cls[i] & -cls[i]), 0);      /* power-of-two classes aligned to size */
		before = a->alloc_bytes;
	}
	/* larger than 8 KiB: whole pages, OWNER_LARGE */
	uint64_t held = pages_held(s);
	uint64_t big = o->alloc(a, 0, 10000, 1, 0);
	CHECK(big != 0 && big % PAGE_SIZE == 0);
	CHECK_EQ(a->alloc_bytes - before, 16384);
	CHECK_EQ(pages_held(s) - held, 4);
	CHECK_EQ(s->pm->frames[kvm_va_to_pfn(s->kvm, big)].owner, OWNER_LARGE);
	CHECK(ok_check(s, "kmalloc", 0));
	o->free(a, 0, big, 10000, 0);
	CHECK_EQ(pages_held(s), held);
	/* 13 kmalloc rows in slabinfo order, kmalloc-1k geometry as in Linux */
	nrows = 0;
	o->caches(a, row_fn, NULL);
	CHECK_EQ(nrows, 13);
	CHECK_EQ(rows_seen[9].objsize, 1024);
	CHECK_EQ(rows_seen[9].objperslab, 16);
	CHECK_EQ(rows_seen[9].pagesperslab, 4);
	CHECK_EQ(rows_seen[0].active_objs, 2);     /* kmalloc(1), kmalloc(8) */
	CHECK_EQ(rows_seen[0].num_objs, 512);
	CHECK_EQ(rows_seen[0].num_slabs, 1);
	/* too big for the page allocator: FAIL_TOO_BIG */
	CHECK_EQ(o->alloc(a, 0, 64u << 20, 0, 0), 0);
	CHECK_EQ(a->last_fail, FAIL_TOO_BIG);
	sim_destroy(s);
}

/* kmalloc(GFP_DMA) uses dma-kmalloc-N, whose slabs come from ZONE_DMA;
 * slab pages of a normal cache never do, whatever the request says. */
static void t_kmalloc_dma(void)
{
	struct sim *s = mk(64 * MIB, false);
	if (!s) { CHECK(0); return; }
	struct allocator *a = s->a;
	const struct allocator_ops *o = a->ops;
	uint64_t before = a->alloc_bytes;
	uint64_t d = o->alloc(a, 0, 100, 0, GFP_DMA);
	CHECK(d != 0);
	CHECK_EQ(a->alloc_bytes - before, 128);
	CHECK_EQ(s->pm->frames[kvm_va_to_pfn(s->kvm, d)].zone, ZONE_DMA);
	uint64_t n = o->alloc(a, 0, 100, 0, 0);
	CHECK(n != 0 && (n >> PAGE_SHIFT) != (d >> PAGE_SHIFT));      /* another cache */
	CHECK(s->pm->frames[kvm_va_to_pfn(s->kvm, n)].zone != ZONE_DMA);
	uint64_t n2 = o->alloc(a, 0, 100, 1, GFP_DMA32);                /* stripped */
	CHECK(s->pm->frames[kvm_va_to_pfn(s->kvm, n2)].zone != ZONE_DMA);
	nrows = 0;
	o->caches(a, row_fn, NULL);
	CHECK_EQ(nrows, 14);                                            /* + dma-kmalloc-128 */
	CHECK_EQ(rows_seen[13].objsize, 128);
	CHECK_EQ(rows_seen[13].active_objs, 1);
	CHECK(ok_check(s, "dma", 0));
	o->free(a, 0, d, 100, 1);
	o->free(a, 0, n, 100, 1);
	o->free(a, 0, n2, 100, 1);
	o->reclaim(a);
	CHECK_EQ(pages_held(s), 0);
	sim_destroy(s);
}

/*
 * Independent cross-check with real data: tests/data/gcc-small.ftrace.xz
 * was recorded on a Linux SLUB machine; each kmalloc event carries the
 * request and what the kernel charged (bytes_alloc). kmemsim must charge
 * the same for every distinct pair.
 */
static void t_kmalloc_matches_real_trace(void)
{
	FILE *f = popen("xz -dc tests/data/gcc-small.ftrace.xz", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	struct sim *s = mk(64 * MIB, false);
	if (!s) { CHECK(0); pclose(f); return; }
	static char line[1024];
	unsigned pairs = 0, events = 0;
	uint32_t seen_req[512], seen_alloc[512];
	while (fgets(line, sizeof(line), f)) {
		char *k = strstr(line, " kmalloc: ");
		char *r = k ? strstr(k, " bytes_req=") : NULL;
		unsigned req, got;
		if (!r || sscanf(r, " bytes_req=%u bytes_alloc=%u", &req, &got) != 2)
			continue;
		events++;
		unsigned i;
		for (i = 0; i < pairs; i++)
			if (seen_req[i] == req)
				break;
		if (i < pairs) {
			CHECK_MSG(seen_alloc[i] == got, "trace charges %u and %u for %u", seen_alloc[i], got, req);
			continue;
		}
		if (pairs == ARRAY_SIZE(seen_req))
			continue;
		seen_req[pairs] = req;
		seen_alloc[pairs++] = got;
		uint64_t before = s->a->alloc_bytes;
		uint64_t va = s->a->ops->alloc(s->a, 0, req, 0, 0);
		CHECK(va != 0);
		CHECK_MSG(s->a->alloc_bytes - before == got, "kmalloc(%u): Linux charged %u, kmemsim %llu", req, got,
			  (unsigned long long)(s->a->alloc_bytes - before));
		s->a->ops->free(s->a, 0, va, req, 0);
	}
	pclose(f);
	CHECK_MSG(events > 200 && pairs > 10, "only %u kmalloc events, %u sizes read from the trace", events, pairs);
	printf("#   %u kmalloc events, %u distinct request sizes, all charged as Linux did\n", events, pairs);
	sim_destroy(s);
}

/* ---- merging ------------------------------------------------------------ */

static void t_merge_on_off(void)
{
	for (int nm = 0; nm < 2; nm++) {
		struct sim *s = mk(64 * MIB, nm == 1);
		if (!s) { CHECK(0); return; }
		struct allocator *a = s->a;
		const struct allocator_ops *o = a->ops;
		int ca = o->cache_create(a, "a", 100, 8, 0);   /* size 104 */
		int cb = o->cache_create(a, "b", 104, 8, 0);   /* 104: alias of a */
		int cc = o->cache_create(a, "c", 97, 8, 0);    /* 104: alias of a */
		int cd = o->cache_create(a, "d", 96, 8, 0);    /* 96: 104 - 96 = 8 wastes a word: new */
		int ce = o->cache_create(a, "e", 100, 64, 0);  /* 128 with align 64: new */
		int cf = o->cache_create(a, "f", 120, 8, 0);   /* 120: 128 - 120 = 8: new */
		int cg = o->cache_create(a, "g", 121, 8, 0);   /* 128: alias of e */
		int ch = o->cache_create(a, "h", 64, 8, 0);    /* kmalloc-64 is never a target: new */
		int ci = o->cache_create(a, "i", 24, 16, 0);   /* 32, align 16 */
		int cj = o->cache_create(a, "j", 32, 32, 0);   /* 32 needs align 32: 32 & 31 == 0: alias of i */
		CHECK(ca >= 1 && cd >= 1 && ce >= 1 && cf >= 1 && ch >= 1 && ci >= 1);
		if (nm == 0) {
			CHECK_EQ(cb, ca); CHECK_EQ(cc, ca); CHECK_EQ(cg, ce); CHECK_EQ(cj, ci);
			CHECK(cd != ca && ce != ca && cf != ce && ch != ca);
			CHECK_EQ(rep(s, "slub_merges"), 4);
			/* aliases share slabs: b's object follows a's */
			uint64_t x = o->alloc(a, ca, 100, 0, 0), y = o->alloc(a, cb, 104, 0, 0);
			CHECK_EQ(y, x + 104);
			o->free(a, cb, x, 100, 0);
			o->free(a, ca, y, 104, 0);
		} else {
			int ids[] = { ca, cb, cc, cd, ce, cf, cg, ch, ci, cj };
			for (int i = 0; i < 10; i++)
				for (int j = 0; j < i; j++)
					CHECK(ids[i] != ids[j]);
			CHECK_EQ(rep(s, "slub_merges"), 0);
		}
		CHECK(ok_check(s, "merge", nm));
		sim_destroy(s);
	}
}

/* ---- the checker catches corruption -------------------------------------- */

static void t_check_catches(void)
{
	struct sim *s = mk(64 * MIB, false);
	if (!s) { CHECK(0); return; }
	struct allocator *a = s->a;
	const struct allocator_ops *o = a->ops;
	uint64_t v1 = o->alloc(a, 0, 200, 0, 0), v2 = o->alloc(a, 0, 200, 0, 0);
	(void)v2;
	char msg[512];
	CHECK(o->check(a, msg, sizeof(msg)));
	a->alloc_bytes += 8;                               /* accounting */
	CHECK(!o->check(a, msg, sizeof(msg)));
	a->alloc_bytes -= 8;
	struct frame *f = &s->pm->frames[kvm_va_to_pfn(s->kvm, v1)];
	uint32_t keep = f->next;
	f->next = keep + 7;                                /* page -> slab link */
	CHECK(!o->check(a, msg, sizeof(msg)));
	f->next = keep;
	uint8_t owner = f->owner;
	f->owner = OWNER_PAGE;
	CHECK(!o->check(a, msg, sizeof(msg)));
	f->owner = owner;
	CHECK(o->check(a, msg, sizeof(msg)));
	sim_destroy(s);
}

/* ---- random runs ---------------------------------------------------------- */

struct live { uint64_t key, addr; uint32_t size; int cache; };

static uint32_t pick_size(struct rng *r)
{
	uint64_t u = rng_below(r, 100);
	if (u < 60) return 1 + (uint32_t)rng_below(r, 128);
	if (u < 90) return 1 + (uint32_t)rng_below(r, 1024);
	if (u < 99) return 1 + (uint32_t)rng_below(r, 8192);
	return 8193 + (uint32_t)rng_below(r, 40000);
}

/*
 * ops random operations; check() every check_every; the shadow map proves
 * no overlap; each object must lie in OWNER_SLAB frames of one owner id
 * per (sim cache, kmalloc class) -- or in OWNER_LARGE frames for > 8 KiB.
 */
static void random_run(long ops, unsigned maxlive, long check_every, uint64_t seed)
{
	struct sim *s = mk(512 * MIB, false);
	if (!s) { CHECK(0); return; }
	struct rng r;
	rng_seed(&r, seed);
	static const uint32_t csize[4] = { 24, 200, 1000, 72 };
	int caches[4];
	caches[0] = sim_cache(s, "t-24", 24, 8);
	caches[1] = sim_cache(s, "t-200", 200, 8);
	caches[2] = sim_cache(s, "t-1000", 1000, 64);
	caches[3] = sim_cache(s, "t-72", 72, 8);
	int64_t owner_of[4 + 14];            /* sim cache 0..3, kmalloc classes */
	for (size_t i = 0; i < ARRAY_SIZE(owner_of); i++)
		owner_of[i] = -1;
	static const uint32_t kcls[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192 };
	struct live *live = calloc(maxlive, sizeof(*live));
	unsigned nlive = 0;
	struct shadow sh = { 0 };
	bool good = true;
	uint64_t cross = 0;
	for (long op = 0; op < ops && good; op++) {
		unsigned cpu = (unsigned)rng_below(&r, P.cpus);
		if (nlive < maxlive && (nlive == 0 || rng_below(&r, 100) < 55)) {
			int k = (int)rng_below(&r, 7) - 3;        /* -3..-1 kmalloc, 0..3 cache */
			int cache = k < 0 ? 0 : caches[k];
			uint32_t size = k < 0 ? pick_size(&r) : csize[k];
			uint64_t key = sim_alloc(s, size, cache, cpu, 0, 0);
			if (!key) {
				CHECK_MSG(0, "op %ld: alloc of %u failed on 512 MiB", op, size);
				good = false;
				break;
			}
			uint64_t va = objtab_lookup(&s->objs, key)->addr;
			uint32_t pfn = kvm_va_to_pfn(s->kvm, va), lpfn = kvm_va_to_pfn(s->kvm, va + size - 1);
			const struct frame *f = &s->pm->frames[pfn], *lf = &s->pm->frames[lpfn];
			if (size > 8192) {
				if (f->owner != OWNER_LARGE || va % PAGE_SIZE) {
					CHECK_MSG(0, "op %ld: large object %#llx not page-aligned in large pages", op, (unsigned long long)va);
					good = false;
				}
			} else {
				int slot = k >= 0 ? k : 4;
				if (k < 0)
					while (kcls[slot - 4] < size)
						slot++;
				if (f->owner != OWNER_SLAB || lf->owner != OWNER_SLAB || f->owner_id != lf->owner_id ||
				    f->next != lf->next ||
				    (owner_of[slot] >= 0 && owner_of[slot] != f->owner_id)) {
					CHECK_MSG(0, "op %ld: object %#llx+%u not inside one slab of its cache", op,
						  (unsigned long long)va, size);
					good = false;
				}
				owner_of[slot] = f->owner_id;
				if (va % 8) {
					CHECK_MSG(0, "op %ld: object %#llx not 8-byte aligned", op, (unsigned long long)va);
					good = false;
				}
			}
			if (!shadow_mark(&sh, va, size, true)) {
				CHECK_MSG(0, "op %ld: object %#llx+%u overlaps a live object", op, (unsigned long long)va, size);
				good = false;
			}
			live[nlive++] = (struct live){ key, va, size, cache };
		} else {
			unsigned i = (unsigned)rng_below(&r, nlive);
			struct live l = live[i];
			live[i] = live[--nlive];
			shadow_mark(&sh, l.addr, l.size, false);
			if (objtab_lookup(&s->objs, l.key)->cpu != cpu)
				cross++;
			sim_free(s, l.key, cpu);
		}
		if (op % check_every == 0 && !ok_check(s, "after op", op))
			good = false;
		if (op % 50000 == 49999)
			sim_reclaim(s);
	}
	CHECK_EQ(s->st.allocs + s->st.frees, (uint64_t)ops);     /* the run was not cut short */
	CHECK_MSG(cross > (uint64_t)ops / 10, "only %llu cross-CPU frees", (unsigned long long)cross);
	printf("#   %ld ops: %llu cross-CPU frees, %llu slabs allocated, %llu freed, peak %llu pages\n", ops,
	       (unsigned long long)cross, (unsigned long long)rep(s, "slub_slabs_allocated"),
	       (unsigned long long)rep(s, "slub_slabs_freed"), (unsigned long long)kvm_stats(s->kvm)->peak_pages_held);
	CHECK(rep(s, "slub_remote_frees") > 0 && rep(s, "slub_cpu_partial_free") > 0);
	CHECK(rep(s, "slub_node_partial_alloc") > 0 && rep(s, "slub_cpu_partial_alloc") > 0);
	while (nlive && good) {
		struct live l = live[--nlive];
		sim_free(s, l.key, (unsigned)rng_below(&r, P.cpus));
	}
	sim_reclaim(s);
	if (good) {
		ok_check(s, "after freeing everything", ops);
		CHECK_EQ(s->a->alloc_bytes, 0);
		CHECK_EQ(pages_held(s), 0);
	}
	free(sh.slot);
	free(live);
	sim_destroy(s);
}

static void t_check_every_op(void) { random_run(30000, 600, 1, 7); }

/* The same with the mapped kernel map (order-0 frames behind each slab):
 * the page -> slab link must hold for every page of a slab. */
static void t_check_every_op_mapped(void)
{
	backing = BACKING_MAPPED;
	random_run(20000, 600, 1, 9);
	backing = BACKING_DIRECT;
}
static void t_million_ops_shadow(void) { random_run(1000000, 20000, 100000, 8); }

/* ---- exhaustion ------------------------------------------------------------ */

static void t_exhaustion(void)
{
	struct sim *s = mk(32 * MIB, false);
	if (!s) { CHECK(0); return; }
	uint64_t free0 = page_free_pages(s->pl);
	int cache = sim_cache(s, "t-ex-700", 700, 8);
	struct rng r;
	rng_seed(&r, 3);
	enum { MAXK = 1 << 19 };
	uint64_t *keys = malloc(MAXK * sizeof(*keys));
	unsigned n = 0;
	while (n < MAXK && s->st.failed_allocs < 100) {
		unsigned k = (unsigned)rng_below(&r, 3);
		uint32_t size = k == 0 ? 700 : k == 1 ? 1 + (uint32_t)rng_below(&r, 8192) : 9000;
		uint64_t key = sim_alloc(s, size, k == 0 ? cache : 0, (unsigned)rng_below(&r, 2), 0, 0);
		if (key)
			keys[n++] = key;
		else
			CHECK_EQ(s->a->last_fail, FAIL_NOMEM);
	}
	CHECK_EQ(s->st.failed_allocs, 100);
	CHECK_EQ(s->st.failed_by[FAIL_NOMEM], 100);
	ok_check(s, "at exhaustion", n);
	for (unsigned j = 0; j < n; j++) {
		sim_free(s, keys[j], (unsigned)rng_below(&r, 2));
		if (j % 997 == 0 && !ok_check(s, "freeing", j))
			break;
	}
	CHECK(pages_held(s) > 0);          /* min_partial and CPU slabs keep some */
	sim_reclaim(s);
	ok_check(s, "after reclaim", n);
	CHECK_EQ(pages_held(s), 0);
	CHECK_EQ(page_free_pages(s->pl), free0);
	CHECK(sim_alloc(s, 100, 0, 0, 0, 0) != 0);
	free(keys);
	sim_destroy(s);
}

int main(void)
{
	RUN(t_geometry_known_answers);
	RUN(t_local_and_remote_free);
	RUN(t_min_partial);
	RUN(t_shrink_order);
	RUN(t_kmalloc_classes);
	RUN(t_kmalloc_matches_real_trace);
	RUN(t_kmalloc_dma);
	RUN(t_merge_on_off);
	RUN(t_check_catches);
	RUN(t_check_every_op);
	RUN(t_check_every_op_mapped);
	RUN(t_million_ops_shadow);
	RUN(t_exhaustion);
	return check_done();
}
