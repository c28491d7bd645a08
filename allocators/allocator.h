/*
 * allocator.h - the interface every object back end implements.
 *
 * A back end is one file in allocators/ that exposes a single
 * `const struct allocator_ops NAME_ops` and one line in registry.c.
 *
 * Contract
 *  - create() builds the back end on top of sim's page source (sim->kvm);
 *    it embeds `struct allocator` as its first member and returns it.
 *  - Cache ids: 0 is the generic kmalloc family; cache_create() returns an
 *    id >= 1 for a named cache (a kmem_cache, a zone, a size class) or -1
 *    if it cannot be made. A back end may alias two names to one id
 *    (SLUB merging), unless flags has CACHE_NO_MERGE; back ends that never
 *    merge ignore flags.
 *  - alloc() returns the object's (virtual) address, never 0 on success.
 *    On failure it returns 0 and sets a->last_fail to the reason: a failed
 *    allocation is a recorded result, never an abort.
 *  - free() receives the cache, address and the size that was requested,
 *    as Lua's and x15's allocators do, so back ends need no object headers
 *    unless the modelled system has them (SLOB does).
 *  - The back end keeps a->alloc_bytes (A(t): live bytes as allocated,
 *    after its rounding) and a->meta_bytes (management bytes it places in
 *    simulated memory outside the pages it holds, e.g. off-slab
 *    descriptors; on-slab data is already inside the pages). Pages come
 *    only from kvm_alloc()/kvm_free(), which counts them for the footprint.
 *  - check() verifies every invariant, O(state); returns false and fills
 *    msg on the first broken one. Tests run it after every event.
 *  - Optional ops may be NULL.
 */
#ifndef KMS_ALLOCATOR_H
#define KMS_ALLOCATOR_H

#include "../sim/base.h"

struct sim;
struct params;

struct allocator {
	const struct allocator_ops *ops;
	struct sim      *sim;
	uint64_t         alloc_bytes;   /* A(t) */
	uint64_t         meta_bytes;    /* accounted management bytes outside held pages */
	enum fail_reason last_fail;     /* set by a failing alloc() */
};

/* cache_create() flags. */
enum {
	/* The name already is the kernel's merged cache (a trace's name=, a
	 * /proc/slabinfo row): make it as named, alias it to no other cache. */
	CACHE_NO_MERGE = 1u << 0,
};

/*
 * One row of a /proc/slabinfo-style table (slab caches, zones, size
 * classes). The fields mean the same in every back end:
 *   active_objs   objects live from the engine's point of view (allocated,
 *                 not yet freed; objects a back end keeps after their free,
 *                 in SLAB's array caches or NTA's free queues, are not)
 *   num_objs      objects the cache's slab units can hold
 *   objsize       bytes of one object as allocated (the stride)
 * so active_objs * objsize is the cache's bytes in use (its part of A(t))
 * and num_objs * objsize its capacity. Back ends without fixed object
 * sizes count their allocation granule as the "object": SLOB in 2-byte
 * units (objsize 2), NTA in chunks (objsize = chunk size).
 *   objperslab, pagesperslab   geometry of one slab unit
 *   active_slabs  units holding a live object; num_slabs every unit held
 *   hostage_pages, cached_empty_pages   below (cache_unit_state)
 */
struct cache_info {
	const char *name;
	uint64_t active_objs, num_objs;
	uint32_t objsize, objperslab, pagesperslab;
	uint64_t active_slabs, num_slabs;
	uint64_t hostage_pages;       /* pages of units with a live object and at most 1/8 in use */
	uint64_t cached_empty_pages;  /* pages of units with no live object */
	/* slabinfo's tunables and sharedavail: SLAB's array caches (per-CPU
	 * limit and batchcount, shared factor, objects in the shared arrays);
	 * 0 where the allocator has none, as SLUB's /proc/slabinfo prints */
	uint32_t limit, batchcount, sharedfactor;
	uint64_t shared_avail;
};

/*
 * Hostage and cached-empty pages: one definition, used by every back end.
 *
 * A slab unit is what a back end takes pages for and carves objects from:
 * a slab (SLAB, SLUB: per-CPU slabs count like any other), a zone chunk
 * (zone), a SLOB page, an NTA node. Its capacity and its use are counted
 * in the unit's natural measure: objects for slabs and zone chunks, 2-byte
 * units for SLOB pages, chunks for NTA nodes. "In use" means live from the
 * engine's point of view (allocated and not yet freed by the input):
 * objects a back end keeps after their free (SLAB's array caches, NTA's
 * cross-CPU free queues) are not in use, just as they are not in A(t).
 *
 *   hostage        at least one live object, and at most 1/8 of the
 *                  capacity in use (1 <= used, 8 * used <= capacity):
 *                  memory a few objects keep from being returned;
 *   empty          no live object at all: pages a reap, shrink or zone_gc
 *                  could give back (cached_empty_pages), never hostage;
 *   used           anything else.
 *
 * hostage_pages and cached_empty_pages of a cache (struct cache_info) are
 * the pages of its units in the first and second state.
 */
enum cache_unit_state { CACHE_UNIT_EMPTY, CACHE_UNIT_HOSTAGE, CACHE_UNIT_USED };

/* The state of a unit with `used` of `capacity` in use (same measure). */
static inline enum cache_unit_state cache_unit_state(uint64_t used, uint64_t capacity)
{
	if (used == 0)
		return CACHE_UNIT_EMPTY;
	return used <= capacity / 8 ? CACHE_UNIT_HOSTAGE : CACHE_UNIT_USED;   /* 8 * used <= capacity */
}

/* Count a unit of `pages` pages into ci->hostage_pages or
 * ci->cached_empty_pages by its state. */
static inline void cache_unit_count(struct cache_info *ci, uint64_t used, uint64_t capacity, uint64_t pages)
{
	switch (cache_unit_state(used, capacity)) {
	case CACHE_UNIT_EMPTY:
		ci->cached_empty_pages += pages;
		break;
	case CACHE_UNIT_HOSTAGE:
		ci->hostage_pages += pages;
		break;
	case CACHE_UNIT_USED:
		break;
	}
}


typedef void (*cache_info_fn_t)(void *ctx, const struct cache_info *ci);
/* A back end's extra statistic: becomes "key: value" in the summary and a
 * row in results.db. Keys are lower_snake_case, prefixed by the back end. */
typedef void (*report_fn_t)(void *ctx, const char *key, double value);
/* A used range of simulated memory [va, va + len), for snapshots. */
typedef void (*walk_fn_t)(void *ctx, uint64_t va, uint64_t len);

struct allocator_ops {
	const char *name;
	const char *summary;   /* one line for `kmemsim list` */
	struct allocator *(*create)(struct sim *sim, const struct params *p);
	void     (*destroy)(struct allocator *a);
	int      (*cache_create)(struct allocator *a, const char *name, uint32_t size, uint32_t align,
				 unsigned flags);   /* CACHE_* */
	uint64_t (*alloc)(struct allocator *a, int cache, uint32_t size, unsigned cpu, unsigned gfp);
	void     (*free)(struct allocator *a, int cache, uint64_t addr, uint32_t size, unsigned cpu);
	void     (*reclaim)(struct allocator *a);                 /* optional: reap, zone_gc, shrink */
	void     (*tick)(struct allocator *a, uint64_t now_ns);   /* optional: time passes (cache_reap) */
	void     (*caches)(struct allocator *a, cache_info_fn_t fn, void *ctx);   /* optional */
	void     (*report)(struct allocator *a, report_fn_t fn, void *ctx);       /* optional */
	void     (*walk)(struct allocator *a, walk_fn_t fn, void *ctx);           /* optional */
	bool     (*check)(struct allocator *a, char *msg, size_t msglen);
	/* optional: `kmemsim info --size S`: print geometry for an object size */
	bool     (*info)(const struct params *p, uint32_t size, char *out, size_t outlen);
};

/* registry.c */
extern const struct allocator_ops *const allocator_registry[];
const struct allocator_ops *allocator_lookup(const char *name);

#endif
