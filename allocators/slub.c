/*
 * slub.c - Linux's SLUB slab allocator (mm/slub.c, mm/slab_common.c as of
 * 6.8 .. 6.18, x86-64, one NUMA node, no debugging), as a kmemsim back end.
 *
 * Model
 *  1. Geometry (slub_geometry, a pure function). An object of object_size
 *     bytes occupies size = ALIGN(ALIGN(object_size, 8), align) bytes: with
 *     no debugging, no constructor and no RCU the free pointer lives inside
 *     the object (near its middle), so it adds nothing. The slab order is
 *     Linux's calculate_order(): min_objects = slub_min_objects or
 *     4 * (fls(nr_cpus) + 1), capped by the objects an order-slub_max_order
 *     slab holds; min_order = get_order(min_objects * size); then the
 *     smallest order in [min_order, slub_max_order] whose leftover is at
 *     most 1/16, else 1/8, else 1/4 of the slab (calc_slab_order); if none,
 *     get_order(size). objects = (PAGE_SIZE << order) / size. The fallback
 *     order used when a slab of the preferred order cannot be had is
 *     get_order(size) (s->min).
 *  2. Per CPU and cache (kmem_cache_cpu): an active ("frozen") slab whose
 *     free objects the CPU owns (c->freelist), and a list of per-CPU partial
 *     slabs bounded by cpu_partial_slabs = DIV_ROUND_UP(2 * cpu_partial,
 *     objects), cpu_partial = 120/52/24/6 objects by object size
 *     (set_cpu_partial).
 *  3. Per node (kmem_cache_node): a partial list. Empty slabs stay on it
 *     only while nr_partial < min_partial = clamp(ilog2(size) / 2, 5, 10);
 *     other empty slabs go back to the page allocator (discard_slab).
 *     Full slabs are on no list (Linux tracks them only when debugging).
 *  4. alloc: pop the CPU freelist; else take the slab's own freelist (remote
 *     frees) as the CPU freelist; else the slab is full and is dropped; then
 *     the next per-CPU partial slab; else get_partial_node(): the first
 *     node-partial slab becomes the CPU slab and up to cpu_partial_slabs/2
 *     more move to the CPU partial list; else a new slab.
 *  5. free: on the CPU whose active slab holds the object, push on the CPU
 *     freelist. Otherwise (__slab_free) the object goes on the slab's own
 *     freelist; a slab that was full goes to the FREEING CPU's partial list
 *     (put_cpu_partial, which first drains a full per-CPU list to the node
 *     list); a node-partial slab that becomes empty is discarded when
 *     nr_partial >= min_partial; a slab on a CPU partial list stays there,
 *     even empty.
 *  6. kmalloc: caches 8, 16, 32, 64, 96, 128, 192, 256, 512, 1k, 2k, 4k, 8k
 *     (kmalloc_index) in four arrays chosen by kmalloc_type() (slab.h,
 *     CONFIG_ZONE_DMA and CONFIG_MEMCG on, as on the traced machine):
 *     no DMA, RECLAIMABLE or ACCOUNT bit -> kmalloc-N; else, in this
 *     priority, GFP_DMA -> dma-kmalloc-N (slabs from ZONE_DMA),
 *     GFP_RECLAIMABLE -> kmalloc-rcl-N (SLAB_RECLAIM_ACCOUNT: slab pages
 *     __GFP_RECLAIMABLE), GFP_ACCOUNT -> kmalloc-cg-N (SLAB_ACCOUNT);
 *     slub_kmalloc_type(). Same geometry in every array. Larger requests
 *     take whole pages (kmalloc_large, GFP zone honoured). Slab pages get
 *     the cache's allocflags (zone, RECLAIMABLE) and, of the request, only
 *     what allocate_slab() keeps (GFP_RECLAIM_MASK: here ATOMIC, NOWARN).
 *  7. Merging (find_mergeable): a cache made by kmem_cache_create() (a Lua
 *     sim.cache()) aliases the most recently created mergeable cache with
 *     size >= its size, size - its size < sizeof(void *), and size a
 *     multiple of its alignment. kmalloc caches are never merge targets:
 *     this machine's kernel (CONFIG_HARDENED_USERCOPY) gives them a
 *     usersize, which makes them unmergeable; so the real slabinfo lists
 *     every kmalloc-N, kmalloc-rcl-N, kmalloc-cg-N and dma-kmalloc-N as
 *     its own row. A trace's name= is already the kernel's merged cache
 *     (its slabinfo row): it comes with CACHE_NO_MERGE and is never
 *     aliased (dentry and filp stay two rows, as in the real slabinfo).
 *  8. reclaim() is kmem_cache_shrink() on every cache: flush the CPU slabs
 *     and CPU partial lists to the node, free every empty node-partial slab,
 *     and promote the slabs with 1..32 free objects, fewest free first.
 *     There is no periodic reaping in SLUB (tick is NULL).
 *
 * Departures: one node; no sheaves (6.18 uses them only for caches that ask);
 * no freelist randomisation, debugging or KASAN; memcg routes kmallocs to
 * kmalloc-cg-N but its per-slab obj_exts vectors (alloc_slab_obj_exts,
 * 8 bytes per object of a slab holding accounted objects) are not
 * accounted; no CONFIG_RANDOM_KMALLOC_CACHES (the traced machine has no
 * kmalloc-rnd-* rows) and no kmem_buckets (CONFIG_SLAB_BUCKETS's
 * memdup_user-N caches: their allocations are traced as plain kmalloc
 * events, so they are served from kmalloc-N); kmalloc-rcl-N, kmalloc-cg-N
 * and dma-kmalloc-N are made on first use, not at boot, so --slabinfo
 * lists only those a run used and meta_bytes counts only their
 * descriptors; cache flags of sim.cache() caches are unknown to the model,
 * so merging cannot refuse caches with constructors, RCU, usercopy regions
 * or differing SLAB_ACCOUNT / SLAB_RECLAIM_ACCOUNT as Linux does (it
 * merges more); kmalloc(0) is served as kmalloc(1) (Linux returns
 * ZERO_SIZE_PTR). The slabinfo table
 * reports TRUE live objects as active_objs and slabs with a live object as
 * active_slabs, where Linux's /proc/slabinfo counts every object of a CPU
 * slab or CPU partial slab as active and every slab as active.
 *
 * Host state: a slab record per slab (struct slab lives in struct page in
 * Linux, so it costs no simulated memory), a 2-byte free pointer per object
 * and a live bitmap. The frame's private word `next` holds the slab index
 * (or, for kmalloc_large pages, the index in the large-object table), so
 * free() finds the slab of an address in O(1).
 *
 * Metrics: hostage_pages and cached_empty_pages follow allocator.h's cache_unit_state per
 * slab (objects in use = inuse, of the slab's own objects; CPU slabs and
 * CPU partial slabs count like the others), kept per cache as objects come
 * and go (slub_unit_move) and recomputed by slub_check. A remote free
 * leaves A(t) at once, like a local one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "allocator.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../sim/page.h"
#include "../sim/params.h"

#define SLUB_NONE           (-1)
#define SLUB_END            0xffffu     /* end of a free-pointer chain */
#define SLUB_MAX_OBJS       32767u      /* MAX_OBJS_PER_PAGE: slab->objects is 15 bits */
#define SLUB_MIN_PARTIAL    5u
#define SLUB_MAX_PARTIAL    10u
#define SLUB_MAX_PAGE_ORDER 10u
#define SLUB_WORD           8u          /* sizeof(void *) */
#define SLUB_KMALLOC_MAX    8192u       /* KMALLOC_MAX_CACHE_SIZE = 2 pages */
/* Accounted management bytes per cache: struct kmem_cache and struct
 * kmem_cache_node come from their own caches (slab_size 256 and 128 on the
 * 6.18 machine of tests/data), struct kmem_cache_cpu is a per-CPU
 * allocation of 4 words (freelist, tid, slab, partial; the local lock is
 * empty without lockdep). Slab descriptors live in struct page: 0. */
#define SLUB_META_CACHE     (256u + 128u)
#define SLUB_META_PER_CPU   32u

static const uint32_t slub_kmalloc_sizes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192
};
#define SLUB_NKMALLOC ARRAY_SIZE(slub_kmalloc_sizes)

/* enum kmalloc_cache_type of 6.18 with ZONE_DMA and MEMCG, in its order. */
enum slub_kmalloc_type {
	SLUB_KMALLOC_NORMAL,
	SLUB_KMALLOC_RECLAIM,
	SLUB_KMALLOC_DMA,
	SLUB_KMALLOC_CGROUP,
	SLUB_KMALLOC_NTYPES
};

/* kmalloc_info[]'s names and the allocflags new_kmalloc_cache()'s slab
 * flags give the pages (SLAB_RECLAIM_ACCOUNT, SLAB_CACHE_DMA). */
static const struct {
	const char *prefix;
	unsigned    allocflags;
} slub_kmalloc_types[SLUB_KMALLOC_NTYPES] = {
	[SLUB_KMALLOC_NORMAL]  = { "kmalloc-",     0 },
	[SLUB_KMALLOC_RECLAIM] = { "kmalloc-rcl-", GFP_RECLAIMABLE },
	[SLUB_KMALLOC_DMA]     = { "dma-kmalloc-", GFP_DMA },
	[SLUB_KMALLOC_CGROUP]  = { "kmalloc-cg-",  0 },
};

/* kmalloc_type(): DMA before RECLAIMABLE before ACCOUNT. A pure function. */
static enum slub_kmalloc_type slub_kmalloc_type(unsigned gfp)
{
	if (!(gfp & (GFP_DMA | GFP_RECLAIMABLE | GFP_ACCOUNT)))
		return SLUB_KMALLOC_NORMAL;
	if (gfp & GFP_DMA)
		return SLUB_KMALLOC_DMA;
	if (gfp & GFP_RECLAIMABLE)
		return SLUB_KMALLOC_RECLAIM;
	return SLUB_KMALLOC_CGROUP;
}

/* ---- geometry ---------------------------------------------------------- */

struct slub_geometry {
	uint32_t size;         /* s->size: object stride */
	uint32_t order;        /* oo_order(s->oo) */
	uint32_t objects;      /* oo_objects(s->oo) */
	uint32_t min_order;    /* oo_order(s->min): fallback order */
	uint32_t min_objects;  /* oo_objects(s->min) */
};

static unsigned slub_fls(unsigned x)
{
	return x ? 32u - (unsigned)__builtin_clz(x) : 0;
}

/* Linux calc_slab_order(): smallest order in [lo, hi] wasting at most
 * 1/fract of the slab; hi + 1 if none. */
static unsigned slub_calc_slab_order(uint32_t size, unsigned lo, unsigned hi, unsigned fract)
{
	unsigned order;
	for (order = lo; order <= hi; order++) {
		uint32_t slab = PAGE_SIZE << order;
		if (slab % size <= slab / fract)
			break;
	}
	return order;
}

/* Linux calculate_order(); -1 if no order up to MAX_PAGE_ORDER fits. */
static int slub_calculate_order(uint32_t size, unsigned cpus, unsigned min_objects_param,
				unsigned max_order)
{
	unsigned min_objects = min_objects_param;
	if (!min_objects)
		min_objects = 4 * (slub_fls(cpus ? cpus : 1) + 1);
	uint64_t max_objects = ((uint64_t)PAGE_SIZE << max_order) / size;
	if (max_objects < 1)
		max_objects = 1;
	if (min_objects > max_objects)
		min_objects = (unsigned)max_objects;
	unsigned min_order = order_for_bytes((uint64_t)min_objects * size);
	if (((uint64_t)PAGE_SIZE << min_order) / size > SLUB_MAX_OBJS)
		return (int)order_for_bytes((uint64_t)size * SLUB_MAX_OBJS) - 1;
	for (unsigned fract = 16; fract > 1; fract /= 2) {
		unsigned order = slub_calc_slab_order(size, min_order, max_order, fract);
		if (order <= max_order)
			return (int)order;
	}
	unsigned order = order_for_bytes(size);
	return order <= SLUB_MAX_PAGE_ORDER ? (int)order : -1;
}

/* calculate_sizes() for a cache without debugging, constructor or RCU. */
static bool slub_geometry(uint32_t object_size, uint32_t align, const struct params *p,
			  struct slub_geometry *g)
{
	if (object_size == 0 || object_size > (PAGE_SIZE << SLUB_MAX_PAGE_ORDER))
		return false;
	if (align < SLUB_WORD)
		align = SLUB_WORD;
	if (align & (align - 1))
		return false;
	uint64_t size = ALIGN_UP((uint64_t)object_size, SLUB_WORD);
	size = ALIGN_UP(size, align);
	if (size > (PAGE_SIZE << SLUB_MAX_PAGE_ORDER))
		return false;
	unsigned max_order = p->slub_max_order > SLUB_MAX_PAGE_ORDER ? SLUB_MAX_PAGE_ORDER : p->slub_max_order;
	int order = slub_calculate_order((uint32_t)size, p->cpus, p->slub_min_objects, max_order);
	if (order < 0)
		return false;
	g->size = (uint32_t)size;
	g->order = (uint32_t)order;
	g->objects = (uint32_t)((PAGE_SIZE << order) / size);
	if (g->objects > SLUB_MAX_OBJS)
		return false;
	g->min_order = order_for_bytes(size);
	g->min_objects = (uint32_t)((PAGE_SIZE << g->min_order) / size);
	if (g->min_order > g->order) {   /* s->min never exceeds s->oo */
		g->min_order = g->order;
		g->min_objects = g->objects;
	}
	return g->objects > 0;
}

/* ---- state ------------------------------------------------------------- */

enum slub_slab_state {
	SLUB_SLOT_FREE = 0,   /* record not in use */
	SLUB_CPU,             /* a CPU's active (frozen) slab */
	SLUB_CPU_PARTIAL,     /* on a CPU partial list */
	SLUB_NODE_PARTIAL,    /* on the node partial list */
	SLUB_FULL,            /* no free object, on no list */
};

/*
 * One slab (struct slab). Invariants (slub_check):
 *  - inuse == objects - count - cpu_count == popcount(live);
 *  - the two chains hold distinct indices < objects, none live;
 *  - cpu_count == 0 unless state == SLUB_CPU;
 *  - SLUB_FULL: both chains empty; CPU_PARTIAL / NODE_PARTIAL: count > 0;
 *  - every frame of the slab is OWNER_SLAB of this cache with next == index.
 */
struct slub_slab {
	uint64_t  base;        /* va of object 0 */
	uint16_t *next;        /* free pointer of each free object */
	uint64_t *live;        /* one bit per object */
	int32_t   lnext, lprev;/* partial list links (node: both, CPU: lnext) */
	uint32_t  cache;       /* internal cache index */
	uint16_t  objects, inuse;
	uint16_t  head, count;          /* slab->freelist */
	uint16_t  cpu_head, cpu_count;  /* c->freelist while SLUB_CPU */
	uint16_t  cpu;                  /* owning CPU for SLUB_CPU / SLUB_CPU_PARTIAL */
	uint8_t   state, order;
	uint16_t  cap;                  /* objects next[] and live[] can hold (kept for reuse) */
};
_Static_assert(sizeof(struct slub_slab) == 56, "slab record: 7 words");

struct slub_cpu {                   /* kmem_cache_cpu */
	int32_t  slab;                  /* active slab or SLUB_NONE */
	int32_t  partial;               /* CPU partial list head */
	uint32_t partial_slabs;         /* its length */
};

struct slub_cache {
	char    *name;
	uint32_t object_size, align;
	struct slub_geometry g;
	uint32_t cpu_partial, cpu_partial_slabs, min_partial;
	bool     kmalloc;
	unsigned allocflags;            /* GFP zone of its pages (GFP_DMA for dma-kmalloc) */
	uint32_t aliases;               /* names merged into this cache */
	int      public_id;             /* id handed to the engine, 0 for kmalloc */
	struct slub_cpu *cpu;
	int32_t  partial_head, partial_tail;   /* node partial list */
	uint32_t nr_partial;
	uint64_t nr_slabs, nr_objs, live;      /* live = objects in use */
	uint64_t peak_slabs;
	/* kept as objects come and go, so caches() is O(caches); check()
	 * recomputes them from the slabs */
	uint64_t active_slabs;                 /* slabs with inuse > 0 */
	uint64_t unit_pages[3];                /* pages of slabs by enum cache_unit_state */
};

struct slub_large {                 /* one kmalloc_large allocation */
	uint64_t va;
	uint32_t order;
};

struct slub_stats {
	uint64_t merges, cpu_partial_alloc, node_partial_alloc, new_slab_alloc;
	uint64_t slabs_allocated, slabs_freed, remote_frees, cpu_partial_free;
	uint64_t cpu_partial_drain, order_fallback, large_allocs, large_frees;
	uint64_t fastpath_alloc, fastpath_free, refills;
};

struct slub {
	struct allocator a;
	const struct params *p;
	unsigned ncpus;
	struct slub_cache *caches;
	uint32_t ncaches, caches_cap;
	int     *public_to_internal;    /* index = public id */
	uint32_t npublic, public_cap;
	struct slub_slab *slabs;
	uint32_t nslabs, slabs_cap;
	int32_t  free_slot;             /* free records, linked by lnext */
	struct slub_large *large;
	uint32_t nlarge, large_cap;
	/* internal cache of each kmalloc type and size; kmalloc-N made at
	 * create (internal index = size index), the others on first use */
	int      kmalloc[SLUB_KMALLOC_NTYPES][SLUB_NKMALLOC];
	uint64_t large_bytes;
	struct slub_stats st;
};

static inline struct slub *slub_of(struct allocator *a) { return (struct slub *)a; }

static inline bool slub_live_test(const struct slub_slab *sl, unsigned i)
{
	return (sl->live[i / 64] >> (i % 64)) & 1;
}

/* ---- caches ------------------------------------------------------------ */

/* set_cpu_partial() and set_min_partial() of kmem_cache_open(). */
static void slub_cache_tune(struct slub_cache *c)
{
	uint32_t size = c->g.size;
	c->cpu_partial = size >= PAGE_SIZE ? 6 : size >= 1024 ? 24 : size >= 256 ? 52 : 120;
	c->cpu_partial_slabs = DIV_ROUND_UP(c->cpu_partial * 2, c->g.objects);
	unsigned mp = ilog2_u64(size) / 2;
	c->min_partial = mp < SLUB_MIN_PARTIAL ? SLUB_MIN_PARTIAL : mp > SLUB_MAX_PARTIAL ? SLUB_MAX_PARTIAL : mp;
}

static int slub_cache_add(struct slub *s, const char *name, uint32_t size, uint32_t align, bool kmalloc)
{
	struct slub_geometry g;
	if (!slub_geometry(size, align, s->p, &g))
		return -1;
	if (s->ncaches == s->caches_cap) {
		s->caches_cap = s->caches_cap ? 2 * s->caches_cap : 32;
		s->caches = xrealloc(s->caches, s->caches_cap * sizeof(*s->caches));
	}
	struct slub_cache *c = &s->caches[s->ncaches];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->object_size = size;
	c->align = align < SLUB_WORD ? SLUB_WORD : align;
	c->g = g;
	c->kmalloc = kmalloc;
	slub_cache_tune(c);
	c->cpu = xmalloc(s->ncpus * sizeof(*c->cpu));
	for (unsigned i = 0; i < s->ncpus; i++)
		c->cpu[i] = (struct slub_cpu){ SLUB_NONE, SLUB_NONE, 0 };
	c->partial_head = c->partial_tail = SLUB_NONE;
	s->a.meta_bytes += SLUB_META_CACHE + (uint64_t)SLUB_META_PER_CPU * s->ncpus;
	return (int)s->ncaches++;
}

static int slub_public_add(struct slub *s, int internal)
{
	if (s->npublic == s->public_cap) {
		s->public_cap = s->public_cap ? 2 * s->public_cap : 32;
		s->public_to_internal = xrealloc(s->public_to_internal, s->public_cap * sizeof(int));
	}
	s->public_to_internal[s->npublic] = internal;
	return (int)s->npublic++;
}

/* kmalloc_index(): the kmalloc cache serving a request of size bytes. */
static unsigned slub_kmalloc_index(uint32_t size)
{
	if (size <= 8) return 0;
	if (size <= 16) return 1;
	if (size <= 32) return 2;
	if (size <= 64) return 3;
	if (size <= 96) return 4;
	if (size <= 128) return 5;
	if (size <= 192) return 6;
	unsigned i = 7;                 /* 256 and up: powers of two */
	while (slub_kmalloc_sizes[i] < size)
		i++;
	return i;
}

/* The kmalloc cache of type t and size index k, made on first use
 * (create_kmalloc_cache()); SLUB_NONE if it has no geometry. */
static int slub_kmalloc_cache(struct slub *s, enum slub_kmalloc_type t, unsigned k)
{
	if (s->kmalloc[t][k] != SLUB_NONE)
		return s->kmalloc[t][k];
	uint32_t sz = slub_kmalloc_sizes[k];
	char name[32];
	if (sz >= 1024)
		snprintf(name, sizeof(name), "%s%uk", slub_kmalloc_types[t].prefix, sz / 1024);
	else
		snprintf(name, sizeof(name), "%s%u", slub_kmalloc_types[t].prefix, sz);
	/* create_boot_cache(): power-of-two sizes are aligned to size */
	int ci = slub_cache_add(s, name, sz, (sz & (sz - 1)) ? SLUB_WORD : sz, true);
	if (ci < 0)
		return SLUB_NONE;
	s->caches[ci].allocflags = slub_kmalloc_types[t].allocflags;
	s->kmalloc[t][k] = ci;
	return ci;
}

static struct allocator *slub_create(struct sim *sim, const struct params *p)
{
	struct slub *s = xcalloc(1, sizeof(*s));
	s->a.sim = sim;
	s->p = p;
	s->ncpus = p->cpus ? p->cpus : 1;
	s->free_slot = SLUB_NONE;
	for (unsigned t = 0; t < SLUB_KMALLOC_NTYPES; t++)
		for (unsigned i = 0; i < SLUB_NKMALLOC; i++)
			s->kmalloc[t][i] = SLUB_NONE;
	slub_public_add(s, SLUB_NONE);  /* public id 0: kmalloc, by size */
	for (unsigned i = 0; i < SLUB_NKMALLOC; i++)
		if (slub_kmalloc_cache(s, SLUB_KMALLOC_NORMAL, i) != (int)i)
			die("slub: kmalloc-%u has no geometry (--slub-max-order %u)", slub_kmalloc_sizes[i],
			    p->slub_max_order);
	return &s->a;
}

static void slub_destroy(struct allocator *a)
{
	struct slub *s = slub_of(a);
	for (uint32_t i = 0; i < s->nslabs; i++) {
		free(s->slabs[i].next);
		free(s->slabs[i].live);
	}
	for (uint32_t i = 0; i < s->ncaches; i++) {
		free(s->caches[i].name);
		free(s->caches[i].cpu);
	}
	free(s->slabs);
	free(s->caches);
	free(s->public_to_internal);
	free(s->large);
	free(s);
}

/* find_mergeable(): most recent compatible cache, or -1. */
static int slub_find_mergeable(struct slub *s, uint32_t size, uint32_t align)
{
	if (s->p->no_merge)
		return -1;
	if (align < SLUB_WORD)
		align = SLUB_WORD;
	uint64_t want = ALIGN_UP(ALIGN_UP((uint64_t)size, SLUB_WORD), align);
	for (int i = (int)s->ncaches - 1; i >= 0; i--) {
		const struct slub_cache *c = &s->caches[i];
		if (c->kmalloc)
			continue;       /* usersize != 0 under HARDENED_USERCOPY */
		if (want > c->g.size)
			continue;
		if (c->g.size & (align - 1))
			continue;
		if (c->g.size - want >= SLUB_WORD)
			continue;
		return i;
	}
	return -1;
}

static int slub_cache_create(struct allocator *a, const char *name, uint32_t size, uint32_t align,
			     unsigned flags)
{
	struct slub *s = slub_of(a);
	if (align & (align - 1))
		return -1;
	int m = (flags & CACHE_NO_MERGE) ? -1 : slub_find_mergeable(s, size, align);
	if (m >= 0) {
		s->caches[m].aliases++;
		s->st.merges++;
		return s->caches[m].public_id;
	}
	int ci = slub_cache_add(s, name, size, align, false);
	if (ci < 0)
		return -1;
	s->caches[ci].public_id = slub_public_add(s, ci);
	return s->caches[ci].public_id;
}

/* ---- slabs ------------------------------------------------------------- */

static int32_t slub_slot_get(struct slub *s)
{
	if (s->free_slot != SLUB_NONE) {
		int32_t i = s->free_slot;
		s->free_slot = s->slabs[i].lnext;
		return i;
	}
	if (s->nslabs == s->slabs_cap) {
		s->slabs_cap = s->slabs_cap ? 2 * s->slabs_cap : 256;
		s->slabs = xrealloc(s->slabs, s->slabs_cap * sizeof(*s->slabs));
	}
	memset(&s->slabs[s->nslabs], 0, sizeof(s->slabs[0]));
	return (int32_t)s->nslabs++;
}

/* allocate_slab(): the preferred order, then the fallback order. The new
 * slab's whole free chain becomes the CPU freelist (state SLUB_CPU). */
static int32_t slub_slab_new(struct slub *s, uint32_t ci, unsigned cpu, unsigned gfp)
{
	struct slub_cache *c = &s->caches[ci];
	enum fail_reason why = FAIL_NONE;
	unsigned order = c->g.order, objects = c->g.objects;
	/* new_slab() keeps only the request's GFP_RECLAIM_MASK and
	 * GFP_CONSTRAINT_MASK bits (of ours: ATOMIC, NOWARN); zone and
	 * __GFP_RECLAIMABLE come from the cache (s->allocflags) */
	gfp = (gfp & (unsigned)(GFP_ATOMIC | GFP_NOWARN)) | c->allocflags;
	uint64_t va = kvm_alloc(s->a.sim->kvm, NULL, order, gfp, OWNER_SLAB, ci, &why);
	if (!va && c->g.min_order < order) {
		order = c->g.min_order;
		objects = c->g.min_objects;
		va = kvm_alloc(s->a.sim->kvm, NULL, order, gfp, OWNER_SLAB, ci, &why);
		if (va)
			s->st.order_fallback++;
	}
	if (!va) {
		s->a.last_fail = why;
		return SLUB_NONE;
	}
	int32_t si = slub_slot_get(s);
	struct slub_slab *sl = &s->slabs[si];
	uint16_t *next = sl->next;      /* reuse the record's arrays if big enough */
	uint64_t *live = sl->live;
	unsigned cap = sl->cap;
	if (!next || cap < objects) {
		free(next);
		free(live);
		next = xmalloc(objects * sizeof(*next));
		live = xmalloc(DIV_ROUND_UP(objects, 64) * sizeof(*live));
		cap = objects;
	}
	memset(live, 0, DIV_ROUND_UP(objects, 64) * sizeof(*live));
	for (unsigned i = 0; i < objects; i++)
		next[i] = (uint16_t)(i + 1 < objects ? i + 1 : SLUB_END);
	*sl = (struct slub_slab){
		.base = va, .next = next, .live = live, .lnext = SLUB_NONE, .lprev = SLUB_NONE,
		.cache = ci, .objects = (uint16_t)objects, .inuse = 0,
		.head = SLUB_END, .count = 0, .cpu_head = 0, .cpu_count = (uint16_t)objects,
		.cpu = (uint16_t)cpu, .state = SLUB_CPU, .order = (uint8_t)order, .cap = (uint16_t)cap,
	};
	for (unsigned i = 0; i < (1u << order); i++) {
		uint32_t pfn = kvm_va_to_pfn(s->a.sim->kvm, va + (uint64_t)i * PAGE_SIZE);
		page_private_set(s->a.sim->pl, pfn, OWNER_SLAB, 0, 0, (uint32_t)si);
	}
	c->nr_slabs++;
	c->unit_pages[CACHE_UNIT_EMPTY] += 1u << order;
	c->nr_objs += objects;
	if (c->nr_slabs > c->peak_slabs)
		c->peak_slabs = c->nr_slabs;
	s->st.slabs_allocated++;
	return si;
}

/* discard_slab(): pages back to the page allocator. The record keeps its
 * arrays for reuse. */
static void slub_slab_discard(struct slub *s, int32_t si)
{
	struct slub_slab *sl = &s->slabs[si];
	struct slub_cache *c = &s->caches[sl->cache];
	kvm_free(s->a.sim->kvm, NULL, sl->base, sl->order);
	c->nr_slabs--;
	c->unit_pages[CACHE_UNIT_EMPTY] -= 1u << sl->order;  /* discarded slabs are empty */
	c->nr_objs -= sl->objects;
	s->st.slabs_freed++;
	sl->state = SLUB_SLOT_FREE;
	sl->lnext = s->free_slot;
	s->free_slot = si;
}

static void slub_partial_add(struct slub *s, struct slub_cache *c, int32_t si, bool tail)
{
	struct slub_slab *sl = &s->slabs[si];
	sl->state = SLUB_NODE_PARTIAL;
	if (tail) {
		sl->lnext = SLUB_NONE;
		sl->lprev = c->partial_tail;
		if (c->partial_tail != SLUB_NONE)
			s->slabs[c->partial_tail].lnext = si;
		else
			c->partial_head = si;
		c->partial_tail = si;
	} else {
		sl->lprev = SLUB_NONE;
		sl->lnext = c->partial_head;
		if (c->partial_head != SLUB_NONE)
			s->slabs[c->partial_head].lprev = si;
		else
			c->partial_tail = si;
		c->partial_head = si;
	}
	c->nr_partial++;
}

static void slub_partial_remove(struct slub *s, struct slub_cache *c, int32_t si)
{
	struct slub_slab *sl = &s->slabs[si];
	if (sl->lprev != SLUB_NONE)
		s->slabs[sl->lprev].lnext = sl->lnext;
	else
		c->partial_head = sl->lnext;
	if (sl->lnext != SLUB_NONE)
		s->slabs[sl->lnext].lprev = sl->lprev;
	else
		c->partial_tail = sl->lprev;
	sl->lnext = sl->lprev = SLUB_NONE;
	c->nr_partial--;
}

/* __put_partials(): a detached CPU partial list goes to the node list;
 * empty slabs are freed once the node holds min_partial. */
static void slub_put_partials(struct slub *s, struct slub_cache *c, int32_t list)
{
	while (list != SLUB_NONE) {
		int32_t si = list;
		list = s->slabs[si].lnext;
		if (s->slabs[si].inuse == 0 && c->nr_partial >= c->min_partial)
			slub_slab_discard(s, si);
		else
			slub_partial_add(s, c, si, true);
	}
}

/* put_cpu_partial(): push onto cpu's partial list; with drain, a list that
 * already holds cpu_partial_slabs goes to the node first. */
static void slub_put_cpu_partial(struct slub *s, struct slub_cache *c, int32_t si, unsigned cpu, bool drain)
{
	struct slub_cpu *pc = &c->cpu[cpu];
	if (pc->partial != SLUB_NONE && drain && pc->partial_slabs >= c->cpu_partial_slabs) {
		int32_t old = pc->partial;
		pc->partial = SLUB_NONE;
		pc->partial_slabs = 0;
		slub_put_partials(s, c, old);
		s->st.cpu_partial_drain++;
	}
	struct slub_slab *sl = &s->slabs[si];
	sl->state = SLUB_CPU_PARTIAL;
	sl->cpu = (uint16_t)cpu;
	sl->lprev = SLUB_NONE;
	sl->lnext = pc->partial;
	pc->partial = si;
	pc->partial_slabs++;
}

/* deactivate_slab(): the CPU freelist returns to the slab, which goes to
 * the node list (head; tail if it had remote frees), is freed if empty
 * beyond min_partial, or is left full on no list. */
static void slub_deactivate(struct slub *s, struct slub_cache *c, int32_t si)
{
	struct slub_slab *sl = &s->slabs[si];
	bool remote = sl->count > 0;
	if (sl->cpu_count) {
		unsigned t = sl->cpu_head;
		while (sl->next[t] != SLUB_END)
			t = sl->next[t];
		sl->next[t] = sl->head;
		sl->head = sl->cpu_head;
		sl->count = (uint16_t)(sl->count + sl->cpu_count);
		sl->cpu_head = SLUB_END;
		sl->cpu_count = 0;
	}
	if (sl->inuse == 0 && c->nr_partial >= c->min_partial)
		slub_slab_discard(s, si);
	else if (sl->count)
		slub_partial_add(s, c, si, remote);
	else
		sl->state = SLUB_FULL;
}

/* flush_cpu_slab() for every CPU. */
static void slub_flush_all(struct slub *s, struct slub_cache *c)
{
	for (unsigned cpu = 0; cpu < s->ncpus; cpu++) {
		struct slub_cpu *pc = &c->cpu[cpu];
		if (pc->slab != SLUB_NONE) {
			int32_t si = pc->slab;
			pc->slab = SLUB_NONE;
			slub_deactivate(s, c, si);
		}
		if (pc->partial != SLUB_NONE) {
			int32_t list = pc->partial;
			pc->partial = SLUB_NONE;
			pc->partial_slabs = 0;
			slub_put_partials(s, c, list);
		}
	}
}

/* Make si the CPU slab of cpu: its whole freelist becomes the CPU's. */
static void slub_freeze(struct slub *s, struct slub_cpu *pc, int32_t si, unsigned cpu)
{
	struct slub_slab *sl = &s->slabs[si];
	sl->state = SLUB_CPU;
	sl->cpu = (uint16_t)cpu;
	sl->lnext = sl->lprev = SLUB_NONE;
	sl->cpu_head = sl->head;
	sl->cpu_count = sl->count;
	sl->head = SLUB_END;
	sl->count = 0;
	pc->slab = si;
}

/* get_partial_node(): first node-partial slab becomes the CPU slab, up to
 * cpu_partial_slabs / 2 more go to the CPU partial list. */
static bool slub_get_partial_node(struct slub *s, struct slub_cache *c, unsigned cpu)
{
	if (!c->nr_partial)
		return false;
	int32_t first = c->partial_head;
	slub_partial_remove(s, c, first);
	slub_freeze(s, &c->cpu[cpu], first, cpu);
	s->st.node_partial_alloc++;
	unsigned moved = 0;
	while (c->cpu_partial_slabs && c->partial_head != SLUB_NONE) {
		int32_t si = c->partial_head;
		slub_partial_remove(s, c, si);
		slub_put_cpu_partial(s, c, si, cpu, false);
		if (++moved > c->cpu_partial_slabs / 2)
			break;
	}
	return true;
}

/* ---- alloc / free ------------------------------------------------------ */

/* sl's inuse went from `before` to sl->inuse: move its pages between the
 * cache's hostage / empty / used counts (allocator.h). */
static inline void slub_unit_move(struct slub_cache *c, const struct slub_slab *sl, unsigned before)
{
	enum cache_unit_state from = cache_unit_state(before, sl->objects);
	enum cache_unit_state to = cache_unit_state(sl->inuse, sl->objects);
	if (from != to) {
		c->unit_pages[from] -= 1u << sl->order;
		c->unit_pages[to] += 1u << sl->order;
	}
}

static inline uint64_t slub_take(struct slub_slab *sl, uint32_t size)
{
	unsigned i = sl->cpu_head;
	sl->cpu_head = sl->next[i];
	sl->cpu_count--;
	sl->inuse++;
	sl->live[i / 64] |= 1ull << (i % 64);
	return sl->base + (uint64_t)i * size;
}

/* ___slab_alloc(): the CPU freelist is empty. */
static int32_t slub_alloc_slow(struct slub *s, struct slub_cache *c, uint32_t ci, unsigned cpu, unsigned gfp)
{
	struct slub_cpu *pc = &c->cpu[cpu];
	if (pc->slab != SLUB_NONE) {
		struct slub_slab *sl = &s->slabs[pc->slab];
		if (sl->count) {            /* get_freelist(): remote frees */
			sl->cpu_head = sl->head;
			sl->cpu_count = sl->count;
			sl->head = SLUB_END;
			sl->count = 0;
			s->st.refills++;
			return pc->slab;
		}
		sl->state = SLUB_FULL;      /* full: dropped, on no list */
		pc->slab = SLUB_NONE;
	}
	if (pc->partial != SLUB_NONE) {
		int32_t si = pc->partial;
		pc->partial = s->slabs[si].lnext;
		pc->partial_slabs--;
		slub_freeze(s, pc, si, cpu);
		s->st.cpu_partial_alloc++;
		return si;
	}
	if (slub_get_partial_node(s, c, cpu))
		return pc->slab;
	int32_t si = slub_slab_new(s, ci, cpu, gfp);
	if (si == SLUB_NONE)
		return SLUB_NONE;
	s->st.new_slab_alloc++;
	pc->slab = si;
	return si;
}

static uint64_t slub_alloc_large(struct slub *s, uint32_t size, unsigned gfp)
{
	unsigned order = order_for_bytes(size);
	if (order > page_max_order(s->a.sim->pl)) {
		s->a.last_fail = FAIL_TOO_BIG;
		return 0;
	}
	enum fail_reason why = FAIL_NONE;
	uint64_t va = kvm_alloc(s->a.sim->kvm, NULL, order, gfp, OWNER_LARGE, order, &why);
	if (!va) {
		s->a.last_fail = why;
		return 0;
	}
	if (s->nlarge == s->large_cap) {
		s->large_cap = s->large_cap ? 2 * s->large_cap : 64;
		s->large = xrealloc(s->large, s->large_cap * sizeof(*s->large));
	}
	s->large[s->nlarge] = (struct slub_large){ va, order };
	page_private_set(s->a.sim->pl, kvm_va_to_pfn(s->a.sim->kvm, va), OWNER_LARGE, 0, 0, s->nlarge++);
	s->large_bytes += (uint64_t)PAGE_SIZE << order;
	s->a.alloc_bytes += (uint64_t)PAGE_SIZE << order;
	s->st.large_allocs++;
	return va;
}

/* kmalloc_slab(): kmalloc_caches[kmalloc_type(gfp)][kmalloc_index(size)].
 * The rcl, cg and dma caches are made on first use (Linux: at boot). */
static int slub_internal(struct slub *s, int cache, uint32_t size, unsigned gfp)
{
	if (cache > 0 && (uint32_t)cache < s->npublic)
		return s->public_to_internal[cache];
	if (size > SLUB_KMALLOC_MAX)
		return SLUB_NONE;
	return slub_kmalloc_cache(s, slub_kmalloc_type(gfp), slub_kmalloc_index(size ? size : 1));
}

static uint64_t slub_alloc(struct allocator *a, int cache, uint32_t size, unsigned cpu, unsigned gfp)
{
	struct slub *s = slub_of(a);
	if (cpu >= s->ncpus)
		cpu %= s->ncpus;
	gfp &= ~(unsigned)GFP_DMA32;       /* kmalloc_fix_flags(): never for slab */
	int ci = slub_internal(s, cache, size, gfp);
	if (ci == SLUB_NONE)
		return slub_alloc_large(s, size, gfp);
	struct slub_cache *c = &s->caches[ci];
	if (size > c->g.size && cache > 0) {
		a->last_fail = FAIL_TOO_BIG;   /* larger than the cache's objects */
		return 0;
	}
	int32_t si = c->cpu[cpu].slab;
	if (si != SLUB_NONE && s->slabs[si].cpu_count)
		s->st.fastpath_alloc++;
	else if ((si = slub_alloc_slow(s, c, (uint32_t)ci, cpu, gfp)) == SLUB_NONE)
		return 0;
	c->live++;
	a->alloc_bytes += c->g.size;
	struct slub_slab *sl = &s->slabs[si];
	unsigned before = sl->inuse;
	if (before == 0)
		c->active_slabs++;
	uint64_t va = slub_take(sl, c->g.size);
	slub_unit_move(c, sl, before);
	return va;
}

static void slub_free_large(struct slub *s, uint64_t addr, uint32_t pfn)
{
	uint32_t li = page_private(s->a.sim->pl, pfn, OWNER_LARGE, 0);
	if (li >= s->nlarge || s->large[li].va != addr)
		die("slub: kfree(%#llx): not a kmalloc_large allocation", (unsigned long long)addr);
	unsigned order = s->large[li].order;
	kvm_free(s->a.sim->kvm, NULL, addr, order);
	s->large[li] = s->large[--s->nlarge];
	if (li < s->nlarge)
		page_private_set(s->a.sim->pl, kvm_va_to_pfn(s->a.sim->kvm, s->large[li].va), OWNER_LARGE, 0, s->nlarge, li);
	s->large_bytes -= (uint64_t)PAGE_SIZE << order;
	s->a.alloc_bytes -= (uint64_t)PAGE_SIZE << order;
	s->st.large_frees++;
}

static void slub_free(struct allocator *a, int cache, uint64_t addr, uint32_t size, unsigned cpu)
{
	(void)cache; (void)size;
	struct slub *s = slub_of(a);
	if (cpu >= s->ncpus)
		cpu %= s->ncpus;
	uint32_t pfn = kvm_va_to_pfn(a->sim->kvm, addr);
	if (pfn == PFN_NONE)
		die("slub: free of %#llx: not a kernel address", (unsigned long long)addr);
	enum frame_owner owner = page_owner(a->sim->pl, pfn);
	if (owner == OWNER_LARGE) {
		slub_free_large(s, addr, pfn);
		return;
	}
	int32_t si = owner == OWNER_SLAB ? (int32_t)page_private(a->sim->pl, pfn, OWNER_SLAB, 0) : 0;
	struct slub_slab *sl = &s->slabs[si];
	if (owner != OWNER_SLAB || (uint32_t)si >= s->nslabs || sl->state == SLUB_SLOT_FREE)
		die("slub: free of %#llx: not in a slab", (unsigned long long)addr);
	struct slub_cache *c = &s->caches[sl->cache];
	uint64_t off = addr - sl->base;
	unsigned i = (unsigned)(off / c->g.size);
	if (off % c->g.size || i >= sl->objects || !slub_live_test(sl, i))
		die("slub: cache %s: free of %#llx (slab %#llx, offset %llu): not a live object",
		    c->name, (unsigned long long)addr, (unsigned long long)sl->base, (unsigned long long)off);
	sl->live[i / 64] &= ~(1ull << (i % 64));
	sl->inuse--;
	slub_unit_move(c, sl, sl->inuse + 1u);
	if (sl->inuse == 0)
		c->active_slabs--;
	c->live--;
	a->alloc_bytes -= c->g.size;
	if (sl->state == SLUB_CPU && sl->cpu == cpu) {   /* do_slab_free fast path */
		sl->next[i] = sl->cpu_head;
		sl->cpu_head = (uint16_t)i;
		sl->cpu_count++;
		s->st.fastpath_free++;
		return;
	}
	/* __slab_free(): onto the slab's own freelist */
	s->st.remote_frees++;
	bool was_full = sl->count == 0;   /* prior == NULL */
	sl->next[i] = sl->head;
	sl->head = (uint16_t)i;
	sl->count++;
	switch (sl->state) {
	case SLUB_CPU:              /* frozen on another CPU: nothing more */
	case SLUB_CPU_PARTIAL:      /* unfrozen but on a CPU list: stays */
		break;
	case SLUB_FULL:
		if (was_full) {
			slub_put_cpu_partial(s, c, si, cpu, true);
			s->st.cpu_partial_free++;
		}
		break;
	case SLUB_NODE_PARTIAL:
		if (sl->inuse == 0 && c->nr_partial >= c->min_partial) {
			slub_partial_remove(s, c, si);
			slub_slab_discard(s, si);
		}
		break;
	}
}

#define SLUB_SHRINK_PROMOTE_MAX 32u

/*
 * kmem_cache_shrink() of every cache (__kmem_cache_do_shrink): flush the
 * CPU slabs, free every empty node-partial slab, and move the slabs with
 * 1..32 free objects to the head of the list, fewest free first. Linux
 * moves each such slab to the head of a per-count bucket (reversing the
 * order within a bucket) and splices the buckets in; slabs with more free
 * objects keep their order behind them.
 */
static void slub_shrink(struct slub *s, struct slub_cache *c)
{
	slub_flush_all(s, c);
	uint32_t n = 0, nb[SLUB_SHRINK_PROMOTE_MAX + 1] = { 0 };
	int32_t *seq = xmalloc((c->nr_partial + 1) * sizeof(*seq));
	for (int32_t si = c->partial_head; si != SLUB_NONE;) {
		int32_t nx = s->slabs[si].lnext;
		if (s->slabs[si].inuse == 0) {
			slub_partial_remove(s, c, si);
			slub_slab_discard(s, si);
		} else {
			uint32_t f = s->slabs[si].count;
			nb[f <= SLUB_SHRINK_PROMOTE_MAX ? f - 1 : SLUB_SHRINK_PROMOTE_MAX]++;
			seq[n++] = si;
		}
		si = nx;
	}
	/* bucket b (free = b + 1) starts at pos[b]; bucket 32 = the rest */
	uint32_t pos[SLUB_SHRINK_PROMOTE_MAX + 1], at = 0;
	for (uint32_t b = 0; b <= SLUB_SHRINK_PROMOTE_MAX; b++) {
		pos[b] = at;
		at += nb[b];
	}
	int32_t *out = xmalloc((n + 1) * sizeof(*out));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t f = s->slabs[seq[i]].count;
		if (f <= SLUB_SHRINK_PROMOTE_MAX)   /* reversed within the bucket */
			out[pos[f - 1] + --nb[f - 1]] = seq[i];
		else
			out[pos[SLUB_SHRINK_PROMOTE_MAX]++] = seq[i];
	}
	c->partial_head = c->partial_tail = SLUB_NONE;
	c->nr_partial = 0;
	for (uint32_t i = 0; i < n; i++)
		slub_partial_add(s, c, out[i], true);
	free(seq);
	free(out);
}

static void slub_reclaim(struct allocator *a)
{
	struct slub *s = slub_of(a);
	for (uint32_t ci = 0; ci < s->ncaches; ci++)
		slub_shrink(s, &s->caches[ci]);
}

/* ---- reporting and checking -------------------------------------------- */

static void slub_caches(struct allocator *a, cache_info_fn_t fn, void *ctx)
{
	struct slub *s = slub_of(a);
	for (uint32_t ci = 0; ci < s->ncaches; ci++) {
		const struct slub_cache *c = &s->caches[ci];
		struct cache_info info = {
			.name = c->name, .active_objs = c->live, .num_objs = c->nr_objs,
			.objsize = c->g.size, .objperslab = c->g.objects, .pagesperslab = 1u << c->g.order,
			.active_slabs = c->active_slabs, .num_slabs = c->nr_slabs,
			.hostage_pages = c->unit_pages[CACHE_UNIT_HOSTAGE],
			.cached_empty_pages = c->unit_pages[CACHE_UNIT_EMPTY],
		};
		fn(ctx, &info);
	}
}

static void slub_report(struct allocator *a, report_fn_t fn, void *ctx)
{
	struct slub *s = slub_of(a);
	const struct slub_stats *st = &s->st;
	fn(ctx, "slub_caches", (double)s->ncaches);
	fn(ctx, "slub_merges", (double)st->merges);
	fn(ctx, "slub_alloc_fastpath", (double)st->fastpath_alloc);
	fn(ctx, "slub_alloc_refill", (double)st->refills);
	fn(ctx, "slub_cpu_partial_alloc", (double)st->cpu_partial_alloc);
	fn(ctx, "slub_node_partial_alloc", (double)st->node_partial_alloc);
	fn(ctx, "slub_new_slab_alloc", (double)st->new_slab_alloc);
	fn(ctx, "slub_slabs_allocated", (double)st->slabs_allocated);
	fn(ctx, "slub_slabs_freed", (double)st->slabs_freed);
	fn(ctx, "slub_order_fallbacks", (double)st->order_fallback);
	fn(ctx, "slub_free_fastpath", (double)st->fastpath_free);
	fn(ctx, "slub_remote_frees", (double)st->remote_frees);
	fn(ctx, "slub_cpu_partial_free", (double)st->cpu_partial_free);
	fn(ctx, "slub_cpu_partial_drain", (double)st->cpu_partial_drain);
	fn(ctx, "slub_large_allocs", (double)st->large_allocs);
	fn(ctx, "slub_large_live_bytes", (double)s->large_bytes);
}

static void slub_walk(struct allocator *a, walk_fn_t fn, void *ctx)
{
	struct slub *s = slub_of(a);
	for (uint32_t si = 0; si < s->nslabs; si++) {
		const struct slub_slab *sl = &s->slabs[si];
		if (sl->state == SLUB_SLOT_FREE)
			continue;
		uint32_t size = s->caches[sl->cache].g.size;
		for (unsigned i = 0; i < sl->objects; i++)
			if (slub_live_test(sl, i))
				fn(ctx, sl->base + (uint64_t)i * size, size);
	}
	for (uint32_t i = 0; i < s->nlarge; i++)
		fn(ctx, s->large[i].va, (uint64_t)PAGE_SIZE << s->large[i].order);
}

#define CHECK_FAIL(...) do { snprintf(msg, msglen, __VA_ARGS__); free(seen); free(cnt); return false; } while (0)

/* Walk one free chain of sl, marking seen[]; false on a broken entry. */
static bool slub_chain_check(const struct slub_slab *sl, unsigned head, unsigned count,
			     uint8_t *seen, const char **why, unsigned *where)
{
	unsigned n = 0;
	for (unsigned i = head; i != SLUB_END; i = sl->next[i]) {
		*where = i;
		if (i >= sl->objects) { *why = "free pointer out of range"; return false; }
		if (seen[i]) { *why = "object twice on the freelists (loop or duplicate)"; return false; }
		if (slub_live_test(sl, i)) { *why = "object both free and live"; return false; }
		seen[i] = 1;
		if (++n > count) { *why = "freelist longer than its count"; return false; }
	}
	if (n != count) { *why = "freelist shorter than its count"; return false; }
	return true;
}

enum { CNT_SLABS, CNT_OBJS, CNT_LIVE, CNT_NODE, CNT_CPUP, CNT_ACTIVE, CNT_HOSTAGE, CNT_EMPTY, CNT_N };

static bool slub_check(struct allocator *a, char *msg, size_t msglen)
{
	struct slub *s = slub_of(a);
	uint8_t *seen = xmalloc(SLUB_MAX_OBJS + 1);
	uint64_t *cnt = xcalloc((size_t)s->ncaches * CNT_N + 1, sizeof(*cnt));
	uint64_t bytes = s->large_bytes;
	struct page_layer *pl = a->sim->pl;
	for (uint32_t si = 0; si < s->nslabs; si++) {
		const struct slub_slab *sl = &s->slabs[si];
		if (sl->state == SLUB_SLOT_FREE)
			continue;
		if (sl->cache >= s->ncaches)
			CHECK_FAIL("slub: slab %u has cache %u", si, sl->cache);
		const struct slub_cache *c = &s->caches[sl->cache];
		if (!sl->objects || sl->objects > c->g.objects)
			CHECK_FAIL("slub: cache %s slab %#llx: %u objects", c->name, (unsigned long long)sl->base, sl->objects);
		const char *why = NULL;
		unsigned where = 0;
		memset(seen, 0, sl->objects);
		if (!slub_chain_check(sl, sl->head, sl->count, seen, &why, &where) ||
		    !slub_chain_check(sl, sl->cpu_head, sl->cpu_count, seen, &why, &where))
			CHECK_FAIL("slub: cache %s slab %#llx object %u (%#llx): %s", c->name,
				   (unsigned long long)sl->base, where,
				   (unsigned long long)(sl->base + (uint64_t)where * c->g.size), why);
		unsigned live = 0;
		for (unsigned w = 0; w < DIV_ROUND_UP((unsigned)sl->objects, 64u); w++)
			live += (unsigned)__builtin_popcountll(sl->live[w]);
		if (sl->inuse != live || sl->inuse != sl->objects - sl->count - sl->cpu_count)
			CHECK_FAIL("slub: cache %s slab %#llx: inuse %u, live bits %u, objects %u - free %u - cpu free %u",
				   c->name, (unsigned long long)sl->base, sl->inuse, live, sl->objects, sl->count, sl->cpu_count);
		if (sl->state != SLUB_CPU && sl->cpu_count)
			CHECK_FAIL("slub: cache %s slab %#llx: a CPU freelist but not a CPU slab", c->name, (unsigned long long)sl->base);
		if (sl->state == SLUB_FULL && sl->count)
			CHECK_FAIL("slub: cache %s slab %#llx: on no list but has %u free objects", c->name, (unsigned long long)sl->base, sl->count);
		if ((sl->state == SLUB_CPU_PARTIAL || sl->state == SLUB_NODE_PARTIAL) && !sl->count)
			CHECK_FAIL("slub: cache %s slab %#llx: on a partial list with no free object", c->name, (unsigned long long)sl->base);
		if (sl->state == SLUB_CPU && c->cpu[sl->cpu].slab != (int32_t)si)
			CHECK_FAIL("slub: cache %s slab %#llx: frozen for CPU %u, which does not hold it", c->name, (unsigned long long)sl->base, sl->cpu);
		for (unsigned pg = 0; pg < (1u << sl->order); pg++) {
			uint32_t pfn = kvm_va_to_pfn(a->sim->kvm, sl->base + (uint64_t)pg * PAGE_SIZE);
			if (pfn == PFN_NONE || page_owner(pl, pfn) != OWNER_SLAB ||
			    page_owner_id(pl, pfn) != sl->cache || page_private(pl, pfn, OWNER_SLAB, 0) != si)
				CHECK_FAIL("slub: cache %s slab %#llx page %u: frame not marked as this slab", c->name,
					   (unsigned long long)sl->base, pg);
		}
		uint64_t *k = &cnt[(size_t)sl->cache * CNT_N];
		k[CNT_SLABS]++;
		k[CNT_OBJS] += sl->objects;
		k[CNT_LIVE] += sl->inuse;
		k[CNT_NODE] += sl->state == SLUB_NODE_PARTIAL;
		k[CNT_CPUP] += sl->state == SLUB_CPU_PARTIAL;
		k[CNT_ACTIVE] += sl->inuse > 0;
		/* allocator.h's cache_unit_state, spelled out: a live object and 8 * inuse <= objects; none live */
		k[CNT_HOSTAGE] += sl->inuse > 0 && 8u * sl->inuse <= sl->objects ? 1u << sl->order : 0;
		k[CNT_EMPTY] += sl->inuse == 0 ? 1u << sl->order : 0;
		bytes += (uint64_t)sl->inuse * c->g.size;
	}
	for (uint32_t ci = 0; ci < s->ncaches; ci++) {
		const struct slub_cache *c = &s->caches[ci];
		const uint64_t *k = &cnt[(size_t)ci * CNT_N];
		if (k[CNT_SLABS] != c->nr_slabs || k[CNT_OBJS] != c->nr_objs || k[CNT_LIVE] != c->live)
			CHECK_FAIL("slub: cache %s: counters slabs %llu objs %llu live %llu, slabs hold %llu %llu %llu", c->name,
				   (unsigned long long)c->nr_slabs, (unsigned long long)c->nr_objs, (unsigned long long)c->live,
				   (unsigned long long)k[CNT_SLABS], (unsigned long long)k[CNT_OBJS], (unsigned long long)k[CNT_LIVE]);
		if (k[CNT_ACTIVE] != c->active_slabs || k[CNT_HOSTAGE] != c->unit_pages[CACHE_UNIT_HOSTAGE] ||
		    k[CNT_EMPTY] != c->unit_pages[CACHE_UNIT_EMPTY])
			CHECK_FAIL("slub: cache %s: active slabs %llu hostage pages %llu empty pages %llu, slabs say %llu %llu %llu",
				   c->name, (unsigned long long)c->active_slabs,
				   (unsigned long long)c->unit_pages[CACHE_UNIT_HOSTAGE],
				   (unsigned long long)c->unit_pages[CACHE_UNIT_EMPTY], (unsigned long long)k[CNT_ACTIVE],
				   (unsigned long long)k[CNT_HOSTAGE], (unsigned long long)k[CNT_EMPTY]);
		/* node partial list: links, membership, count */
		uint64_t n = 0;
		int32_t prev = SLUB_NONE;
		for (int32_t si = c->partial_head; si != SLUB_NONE; si = s->slabs[si].lnext) {
			if ((uint32_t)si >= s->nslabs || s->slabs[si].state != SLUB_NODE_PARTIAL || s->slabs[si].cache != ci)
				CHECK_FAIL("slub: cache %s: node partial list holds slab %d not node-partial of this cache", c->name, si);
			if (s->slabs[si].lprev != prev)
				CHECK_FAIL("slub: cache %s: node partial list broken prev link at slab %d", c->name, si);
			if (++n > c->nr_partial)
				CHECK_FAIL("slub: cache %s: node partial list longer than nr_partial %u", c->name, c->nr_partial);
			prev = si;
		}
		if (prev != c->partial_tail || n != c->nr_partial || n != k[CNT_NODE])
			CHECK_FAIL("slub: cache %s: node partial list %llu slabs, nr_partial %u, node-partial slabs %llu",
				   c->name, (unsigned long long)n, c->nr_partial, (unsigned long long)k[CNT_NODE]);
		uint64_t cpup = 0;
		for (unsigned cpu = 0; cpu < s->ncpus; cpu++) {
			const struct slub_cpu *pc = &c->cpu[cpu];
			if (pc->slab != SLUB_NONE && ((uint32_t)pc->slab >= s->nslabs || s->slabs[pc->slab].state != SLUB_CPU ||
						     s->slabs[pc->slab].cpu != cpu || s->slabs[pc->slab].cache != ci))
				CHECK_FAIL("slub: cache %s CPU %u: active slab %d is not frozen for it", c->name, cpu, pc->slab);
			uint64_t m = 0;
			for (int32_t si = pc->partial; si != SLUB_NONE; si = s->slabs[si].lnext) {
				if ((uint32_t)si >= s->nslabs || s->slabs[si].state != SLUB_CPU_PARTIAL ||
				    s->slabs[si].cpu != cpu || s->slabs[si].cache != ci)
					CHECK_FAIL("slub: cache %s CPU %u: partial list holds slab %d not its own", c->name, cpu, si);
				if (++m > pc->partial_slabs)
					CHECK_FAIL("slub: cache %s CPU %u: partial list longer than %u", c->name, cpu, pc->partial_slabs);
			}
			/* put_cpu_partial drains a list holding cpu_partial_slabs before
			 * adding; get_partial_node adds at most cpu_partial_slabs/2 + 1 */
			if (pc->partial_slabs > c->cpu_partial_slabs)
				CHECK_FAIL("slub: cache %s CPU %u: %u partial slabs, limit %u", c->name, cpu,
					   pc->partial_slabs, c->cpu_partial_slabs);
			if (m != pc->partial_slabs)
				CHECK_FAIL("slub: cache %s CPU %u: partial list %llu slabs, counted %u", c->name, cpu,
					   (unsigned long long)m, pc->partial_slabs);
			cpup += m;
		}
		if (cpup != k[CNT_CPUP])
			CHECK_FAIL("slub: cache %s: %llu slabs on CPU partial lists, %llu marked", c->name,
				   (unsigned long long)cpup, (unsigned long long)k[CNT_CPUP]);
	}
	for (uint32_t i = 0; i < s->nlarge; i++) {
		uint32_t pfn = kvm_va_to_pfn(a->sim->kvm, s->large[i].va);
		if (pfn == PFN_NONE || page_owner(pl, pfn) != OWNER_LARGE || page_private(pl, pfn, OWNER_LARGE, 0) != i)
			CHECK_FAIL("slub: kmalloc_large %#llx: frame not marked", (unsigned long long)s->large[i].va);
	}
	if (bytes != a->alloc_bytes)
		CHECK_FAIL("slub: alloc_bytes %llu, slabs and large allocations hold %llu",
			   (unsigned long long)a->alloc_bytes, (unsigned long long)bytes);
	free(seen);
	free(cnt);
	return true;
}

/* `kmemsim info --allocator slub --size S`: "objsize objperslab pagesperslab". */
static bool slub_info(const struct params *p, uint32_t size, char *out, size_t outlen)
{
	struct slub_geometry g;
	if (!slub_geometry(size, SLUB_WORD, p, &g))
		return false;
	snprintf(out, outlen, "%u %u %u", g.size, g.objects, 1u << g.order);
	return true;
}

const struct allocator_ops slub_ops = {
	.name = "slub",
	.summary = "Linux 6.x SLUB: per-CPU slabs and partial lists, kmalloc caches, cache merging",
	.create = slub_create,
	.destroy = slub_destroy,
	.cache_create = slub_cache_create,
	.alloc = slub_alloc,
	.free = slub_free,
	.reclaim = slub_reclaim,
	.caches = slub_caches,
	.report = slub_report,
	.walk = slub_walk,
	.check = slub_check,
	.info = slub_info,
};
