/*
 * t_zone.c - the Mach zone allocator: geometry worked by hand from
 * zinit's rules, LIFO reuse, zone_map exhaustion as a recorded failure,
 * zone_gc giving chunks back, and a real trace on both page sources.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "testsim.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../sim/trace.h"
#include "../allocators/allocator.h"
#include "../sim/page.h"

static struct params P;

static struct sim *mk(uint64_t mem, uint64_t zone_map, bool mapped, unsigned check_every)
{
	testsim_params(&P, "zone", mem);
	P.zone_map_bytes = zone_map;
	P.check_every = check_every;
	P.backing = mapped ? BACKING_MAPPED : BACKING_DIRECT;
	return testsim_create(&P);
}

#define addr_of testsim_addr

struct row { const char *name; struct cache_info ci; bool seen; };
static void find_row(void *ctx, const struct cache_info *ci)
{
	struct row *r = ctx;
	if (!strcmp(ci->name, r->name)) {
		r->ci = *ci;
		r->seen = true;
	}
}

/*
 * Element sizes round up to a pointer (8) or the zone's alignment; the
 * chunk is the page count among 1, 2, 4 (at least the element's own)
 * with the least waste (chunk mod element):
 *   kalloc.16:   4096 % 16 = 0              -> 1 page, 256 elements
 *   kalloc.8192: needs 2 pages, 8192 % 8192 = 0 -> 2 pages, 1 element
 *   "obj-100" (100 -> 104): 4096 % 104 = 40, 8192 % 104 = 80,
 *                16384 % 104 = 56           -> 1 page, 39 elements
 *   "obj-96" (96): 4096 % 96 = 64, 8192 % 96 = 32, 16384 % 96 = 64
 *                                           -> 2 pages, 85 elements
 *   "obj-200/64" (200, align 64 -> 256): 0  -> 1 page, 16 elements
 *   "obj-3000" (3000): 1096, 2192, 1384     -> 1 page, 1 element
 */
static void t_geometry(void)
{
	struct sim *s = mk(64 * MIB, 12 * MIB, false, 1);
	sim_cache(s, "obj-100", 100, 8);
	sim_cache(s, "obj-96", 96, 8);
	sim_cache(s, "obj-200/64", 200, 64);
	sim_cache(s, "obj-3000", 3000, 8);
	struct { const char *name; uint32_t objsize, per, pages; } want[] = {
		{ "kalloc.16", 16, 256, 1 }, { "kalloc.8192", 8192, 1, 2 }, { "obj-100", 104, 39, 1 },
		{ "obj-96", 96, 85, 2 }, { "obj-200/64", 256, 16, 1 }, { "obj-3000", 3000, 1, 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		struct row r = { .name = want[i].name };
		s->a->ops->caches(s->a, find_row, &r);
		CHECK_MSG(r.seen, "no zone %s", want[i].name);
		CHECK_MSG(r.ci.objsize == want[i].objsize && r.ci.objperslab == want[i].per &&
			  r.ci.pagesperslab == want[i].pages, "%s: %u %u %u, want %u %u %u", want[i].name,
			  r.ci.objsize, r.ci.objperslab, r.ci.pagesperslab, want[i].objsize, want[i].per, want[i].pages);
	}
	/* kalloc picks the power of two at or above the request */
	uint64_t k = sim_alloc(s, 17, 0, 0, 0, 0);
	CHECK_EQ(s->a->alloc_bytes, 32);
	uint64_t l = sim_alloc(s, 8193, 0, 0, 0, 0);       /* kmem_alloc: 3 pages -> order 2 */
	CHECK_EQ(s->a->alloc_bytes, 32 + 16384);
	CHECK_EQ(s->pm->frames[kvm_va_to_pfn(s->kvm, addr_of(s, l))].owner, OWNER_LARGE);
	sim_free(s, k, 0);
	sim_free(s, l, 0);
	CHECK_EQ(s->a->alloc_bytes, 0);
	sim_destroy(s);
}

/* zfree pushes, zalloc pops: the last element freed is the next one out. */
static void t_lifo(void)
{
	struct sim *s = mk(64 * MIB, 12 * MIB, false, 1);
	uint64_t a = sim_alloc(s, 64, 0, 0, 0, 0), b = sim_alloc(s, 64, 0, 1, 0, 0);
	uint64_t va = addr_of(s, a), vb = addr_of(s, b);
	CHECK_EQ(vb - va, 64);                  /* a fresh chunk hands out ascending addresses */
	sim_free(s, a, 1);
	sim_free(s, b, 0);
	uint64_t c = sim_alloc(s, 60, 0, 0, 0, 0), d = sim_alloc(s, 33, 0, 1, 0, 0);
	CHECK_EQ(addr_of(s, c), vb);
	CHECK_EQ(addr_of(s, d), va);
	sim_destroy(s);
}

/*
 * zone_map of 1 MiB: 256 pages of chunks. Allocating 2 KiB elements
 * (kalloc.2048, 2 per page) fills it after 512; the 513th fails with
 * FAIL_SUBMAP_FULL, recorded and not an abort, although physical memory
 * is plentiful; kmem_alloc outside zone_map still works. After frees and
 * zone_gc the chunks go back and allocation works again.
 */
static void t_zone_map_exhaustion(void)
{
	struct sim *s = mk(256 * MIB, 1 * MIB, false, 1);
	uint64_t free0 = page_free_pages(s->pl);
	uint64_t keys[600];
	int n = 0;
	while (n < 600) {
		uint64_t k = sim_alloc(s, 2048, 0, 0, 0, 0);
		if (!k)
			break;
		keys[n++] = k;
	}
	CHECK_EQ(n, 512);
	CHECK_EQ(s->st.failed_allocs, 1);
	CHECK_EQ(s->st.failed_by[FAIL_SUBMAP_FULL], 1);
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 256);
	CHECK(page_free_pages(s->pl) > 10000);
	uint64_t big = sim_alloc(s, 100000, 0, 0, 0, 0);    /* kernel map, not zone_map */
	CHECK(big != 0);
	sim_free(s, big, 0);
	for (int i = 0; i < n; i++)
		sim_free(s, keys[i], 0);
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 256);       /* zfree keeps the chunks */
	sim_reclaim(s);                                     /* zone_gc */
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 0);
	CHECK_EQ(page_free_pages(s->pl), free0);
	CHECK(sim_alloc(s, 2048, 0, 0, 0, 0) != 0);
	sim_destroy(s);
}

/* zone_gc frees only chunks whose elements are all free. */
static void t_gc_partial(void)
{
	struct sim *s = mk(64 * MIB, 12 * MIB, false, 1);
	uint64_t keys[64];
	for (int i = 0; i < 64; i++)
		keys[i] = sim_alloc(s, 1024, 0, 0, 0, 0);         /* kalloc.1024: 4 per page, 16 pages */
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 16);
	for (int i = 0; i < 64; i++)
		if (i % 8)                                        /* keep one in each pair of pages */
			sim_free(s, keys[i], 0);
	sim_reclaim(s);
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 8);           /* pages with a survivor stay */
	sim_destroy(s);
}

/* The real trace, every invariant checked after every event, both page sources. */
static void t_replay_checked(void)
{
	testsim_params(&P, "zone", 256 * MIB);
	P.zone_map_bytes = 12 * MIB;
	testsim_replay_checked(&P);
}

/* A random run with cross-CPU frees and mapped backing, checked per op. */
static void t_random_mapped(void)
{
	struct sim *s = mk(128 * MIB, 64 * MIB, true, 1);
	struct rng r;
	rng_seed(&r, 77);
	int c1 = sim_cache(s, "t-obj-56", 56, 8);
	uint64_t keys[2000] = { 0 };
	for (int i = 0; i < 30000; i++) {
		int j = (int)rng_below(&r, 2000);
		if (keys[j]) {
			sim_free(s, keys[j], (unsigned)rng_below(&r, 2));
			keys[j] = 0;
		} else {
			bool named = rng_below(&r, 3) == 0;
			keys[j] = sim_alloc(s, named ? 56 : 1 + (uint32_t)rng_below(&r, 12000), named ? c1 : 0,
					    (unsigned)rng_below(&r, 2), 0, 0);
		}
		if (i % 5000 == 0)
			sim_reclaim(s);
	}
	CHECK_EQ(s->st.failed_allocs, 0);
	CHECK(s->st.checks >= 30000);
	sim_destroy(s);
}

int main(void)
{
	RUN(t_geometry);
	RUN(t_lifo);
	RUN(t_zone_map_exhaustion);
	RUN(t_gc_partial);
	RUN(t_replay_checked);
	RUN(t_random_mapped);
	return check_done();
}
