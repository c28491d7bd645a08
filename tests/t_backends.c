/*
 * t_backends.c - properties every registered back end must have, checked
 * by the test itself rather than by the back end:
 *
 *  - invariants: the back end's check() holds after every operation of a
 *    small random run with named caches and cross-CPU frees;
 *  - no overlap: over 10^6 operations, a shadow map of the simulated
 *    address space (one bit per byte, per page) proves that no two live
 *    objects share a byte, that every object lies in frames the page
 *    allocator has handed out to a back end (frame owner), and that objects of 8 bytes or more are
 *    8-byte aligned (every kernel allocator guarantees ARCH_KMALLOC_MINALIGN);
 *  - accounting: a->alloc_bytes >= the live requested bytes the test
 *    sums itself, and returns to 0 when everything is freed;
 *  - exhaustion: on a small machine, allocations fail, the failures are
 *    recorded with a reason (never an abort), and after freeing everything
 *    and reclaiming, every page the back end took is back in the buddy
 *    allocator (NTA with --nta-release).
 *
 * Back ends are taken from the registry, so a new one is tested as soon as
 * it is registered.
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

static struct sim *mk(const char *alloc, uint64_t mem)
{
	params_init(&P);
	P.allocator = alloc;
	P.check_every = 0;      /* the test calls check() itself */
	P.progress = false;
	P.nta_release = true;
	P.zone_map_bytes = mem / 2;   /* zone_map's own limit is t_zone's subject */
	physmem_config_init(&P.mem, mem);
	char err[256];
	struct sim *s = sim_create(&P, err, sizeof(err));
	if (!s)
		printf("#   sim_create(%s): %s\n", alloc, err);
	return s;
}

/* Frames an object may live in: handed to a back end, and not free,
 * a page table or a reserve (kvm marks every frame of a block). */
static bool object_frame(unsigned owner)
{
	return owner == OWNER_BUDDY_OBJ || owner == OWNER_SLAB || owner == OWNER_LARGE;
}

/* --- a random workload ------------------------------------------------ */

struct live { uint64_t key, addr; uint32_t size; };

static uint32_t pick_size(struct rng *r)
{
	uint64_t u = rng_below(r, 100);
	if (u < 70) return 1 + (uint32_t)rng_below(r, 256);
	if (u < 92) return 1 + (uint32_t)rng_below(r, 2048);
	if (u < 99) return 1 + (uint32_t)rng_below(r, 8192);
	return 1 + (uint32_t)rng_below(r, 65536);
}

static bool run_check(struct sim *s, const char *when, long op)
{
	char msg[512] = "";
	if (!s->a->ops->check(s->a, msg, sizeof(msg))) {
		CHECK_MSG(0, "%s: check failed %s %ld: %s", s->a->ops->name, when, op, msg);
		return false;
	}
	char bmsg[256] = "";
	if (!page_check(s->pl, bmsg, sizeof(bmsg))) {
		CHECK_MSG(0, "%s: buddy check failed %s %ld: %s", s->a->ops->name, when, op, bmsg);
		return false;
	}
	return true;
}

/*
 * ops operations (alloc 55%, free 45%) over at most maxlive objects;
 * check_every: run check() every N operations (1 = always).
 */
static void workload(const char *name, long ops, unsigned maxlive, long check_every, uint64_t seed)
{
	struct sim *s = mk(name, 512 * MIB);
	CHECK(s != NULL);
	if (!s)
		return;
	struct rng r;
	rng_seed(&r, seed);
	int caches[4] = {
		sim_cache(s, "t-obj-24", 24, 8), sim_cache(s, "t-obj-200", 200, 8),
		sim_cache(s, "t-obj-1000", 1000, 64), sim_cache(s, "t-obj-72", 72, 8),
	};
	uint32_t csize[4] = { 24, 200, 1000, 72 };
	struct live *live = calloc(maxlive, sizeof(*live));
	unsigned nlive = 0;
	struct shadow sh = { 0 };
	uint64_t live_req = 0, failed_other = 0;
	bool good = true;
	for (long op = 0; op < ops && good; op++) {
		unsigned cpu = (unsigned)rng_below(&r, P.cpus);
		if (nlive < maxlive && (nlive == 0 || rng_below(&r, 100) < 55)) {
			int ci = (int)rng_below(&r, 6) - 2;     /* -2..-1: kmalloc, 0..3: cache */
			int cache = ci < 0 ? 0 : caches[ci];
			if (cache < 0)
				cache = 0;
			uint32_t size = cache ? csize[ci] : pick_size(&r);
			uint64_t key = sim_alloc(s, size, cache, cpu, 0, 0);
			if (!key) {
				if (s->a->last_fail != FAIL_TOO_BIG)
					failed_other++;
				continue;
			}
			struct obj *o = objtab_lookup(&s->objs, key);
			uint64_t va = o->addr;
			if (size >= 8 && va % 8) {
				CHECK_MSG(0, "%s: op %ld: %u-byte object at %#llx is not 8-byte aligned",
					  name, op, size, (unsigned long long)va);
				good = false;
			}
			uint32_t pfn = kvm_va_to_pfn(s->kvm, va), lpfn = kvm_va_to_pfn(s->kvm, va + size - 1);
			if (pfn == PFN_NONE || lpfn == PFN_NONE ||
			    !object_frame(s->pm->frames[pfn].owner) ||
			    !object_frame(s->pm->frames[lpfn].owner)) {
				CHECK_MSG(0, "%s: op %ld: object %#llx+%u is not in frames the page allocator handed out",
					  name, op, (unsigned long long)va, size);
				good = false;
			}
			if (!shadow_mark(&sh, va, size, true)) {
				CHECK_MSG(0, "%s: op %ld: object %#llx+%u overlaps a live object",
					  name, op, (unsigned long long)va, size);
				good = false;
			}
			live[nlive++] = (struct live){ key, va, size };
			live_req += size;
		} else {
			unsigned i = (unsigned)rng_below(&r, nlive);
			struct live l = live[i];
			live[i] = live[--nlive];
			shadow_mark(&sh, l.addr, l.size, false);
			sim_free(s, l.key, cpu);        /* often not the allocating CPU */
			live_req -= l.size;
		}
		if (s->st.live_bytes != live_req) {
			CHECK_MSG(0, "%s: op %ld: engine live bytes %llu, test counts %llu", name, op,
				  (unsigned long long)s->st.live_bytes, (unsigned long long)live_req);
			good = false;
		}
		if (s->a->alloc_bytes < live_req) {
			CHECK_MSG(0, "%s: op %ld: alloc_bytes %llu < requested live bytes %llu", name, op,
				  (unsigned long long)s->a->alloc_bytes, (unsigned long long)live_req);
			good = false;
		}
		if (op % check_every == 0 && !run_check(s, "after op", op))
			good = false;
	}
	CHECK_MSG(failed_other == 0, "%s: %llu allocations failed on a 512 MiB machine",
		  name, (unsigned long long)failed_other);
	while (nlive && good) {
		struct live l = live[--nlive];
		sim_free(s, l.key, (unsigned)rng_below(&r, P.cpus));
	}
	sim_reclaim(s);
	if (good) {
		run_check(s, "after freeing everything", ops);
		CHECK_MSG(s->a->alloc_bytes == 0, "%s: alloc_bytes %llu after freeing everything",
			  name, (unsigned long long)s->a->alloc_bytes);
	}
	free(sh.slot);
	free(live);
	sim_destroy(s);
}

static void t_invariants_every_op(void)
{
	for (int i = 0; allocator_registry[i]; i++)
		workload(allocator_registry[i]->name, 20000, 500, 1, 11 + (uint64_t)i);
}

static void t_million_ops_no_overlap(void)
{
	for (int i = 0; allocator_registry[i]; i++)
		workload(allocator_registry[i]->name, 1000000, 20000, 100000, 101 + (uint64_t)i);
}

/* Fill a 32 MiB machine until allocations fail, then free all and reclaim. */
static void t_exhaustion_recorded_and_recovered(void)
{
	for (int i = 0; allocator_registry[i]; i++) {
		const char *name = allocator_registry[i]->name;
		struct sim *s = mk(name, 32 * MIB);
		CHECK(s != NULL);
		if (!s)
			continue;
		uint64_t free0 = page_free_pages(s->pl);
		struct rng r;
		rng_seed(&r, 5);
		enum { MAXK = 1 << 20 };
		uint64_t *keys = malloc(MAXK * sizeof(*keys));
		unsigned n = 0;
		int cache = sim_cache(s, "t-exhaust-192", 192, 8);
		while (n < MAXK && s->st.failed_allocs < 64) {
			uint32_t size = rng_below(&r, 2) ? 1 + (uint32_t)rng_below(&r, 4000) : 192;
			uint64_t key = sim_alloc(s, size, size == 192 && cache > 0 ? cache : 0,
						 (unsigned)rng_below(&r, P.cpus), 0, 0);
			if (key)
				keys[n++] = key;
		}
		CHECK_MSG(s->st.failed_allocs >= 64, "%s: no allocation failed on 32 MiB", name);
		uint64_t reasons = 0;
		for (int f = 0; f < FAIL_NREASONS; f++)
			reasons += s->st.failed_by[f];
		CHECK_MSG(reasons == s->st.failed_allocs, "%s: failures by reason %llu != failed %llu", name,
			  (unsigned long long)reasons, (unsigned long long)s->st.failed_allocs);
		run_check(s, "at exhaustion", (long)n);
		for (unsigned j = 0; j < n; j++)
			sim_free(s, keys[j], (unsigned)rng_below(&r, P.cpus));
		sim_reclaim(s);
		run_check(s, "after recovery", (long)n);
		CHECK_MSG(kvm_stats(s->kvm)->pages_held == 0, "%s: %llu pages still held after free all + reclaim",
			  name, (unsigned long long)kvm_stats(s->kvm)->pages_held);
		CHECK_MSG(page_free_pages(s->pl) == free0,
			  "%s: buddy free pages %llu, at start %llu", name,
			  (unsigned long long)page_free_pages(s->pl), (unsigned long long)free0);
		/* and the machine is usable again */
		CHECK_MSG(sim_alloc(s, 100, 0, 0, 0, 0) != 0, "%s: cannot allocate after recovery", name);
		free(keys);
		sim_destroy(s);
	}
}

/* The shadow map itself must catch overlaps, or every test above is vacuous. */
static void t_shadow_catches_overlap(void)
{
	struct shadow sh = { 0 };
	CHECK(shadow_mark(&sh, 0x1000ff0, 40, true));      /* crosses a page */
	CHECK(!shadow_mark(&sh, 0x1001010, 8, true));      /* last 8 bytes of it */
	CHECK(shadow_mark(&sh, 0x1001018, 8, true));       /* just after: fine */
	CHECK(!shadow_mark(&sh, 0x1000fe8, 9, true));      /* one byte into it */
	CHECK(shadow_mark(&sh, 0x1000ff0, 40, false));
	CHECK(!shadow_mark(&sh, 0x1000ff0, 40, false));    /* double free */
	for (uint64_t p = 1; p < 5000; p++)   /* growth keeps contents (page 0 is never used) */
		CHECK(shadow_mark(&sh, p << 12, 1, true));
	CHECK(!shadow_mark(&sh, 17ull << 12, 1, true));
	free(sh.slot);
}

int main(void)
{
	RUN(t_shadow_catches_overlap);
	RUN(t_invariants_every_op);
	RUN(t_million_ops_no_overlap);
	RUN(t_exhaustion_recorded_and_recovered);
	return check_done();
}
