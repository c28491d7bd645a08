/*
 * t_hostage.c - one definition of hostage and cached-empty pages
 * (sim/metrics.h), checked in every back end:
 *
 *  - cache_unit_state at its boundaries: 0 live, 1 live, exactly 1/8,
 *    one more than 1/8, full, and capacities below 8;
 *  - per back end, one unit worked by hand: fill it, free down to 1/8
 *    (hostage) and one above (not), free everything (cached empty while
 *    held, never hostage), reclaim (gone); the slabinfo row's
 *    active_objs * objsize is the bytes in use, A(t);
 *  - a random run per back end with cross-CPU frees and reclaims: the
 *    test keeps its own table of live objects, groups them into units by
 *    address and recomputes every cache's hostage pages, cached empty
 *    pages and objects in use, and sum(active_objs * objsize) = A(t).
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "testsim.h"
#include "../sim/engine.h"
#include "../sim/metrics.h"
#include "../allocators/allocator.h"

static struct params P;

static struct sim *mk(const char *alloc, unsigned cpus)
{
	testsim_params(&P, alloc, 256 * MIB);
	P.db = NULL;                 /* never ./results.db */
	P.cpus = cpus;
	P.no_merge = true;
	return testsim_create(&P);
}

/* ---- the rows of a back end's slabinfo table ---- */

#define MAX_ROWS 128

struct rows {
	int n;
	char name[MAX_ROWS][48];
	struct cache_info ci[MAX_ROWS];
};

static void rows_add(void *ctx, const struct cache_info *ci)
{
	struct rows *r = ctx;
	if (r->n == MAX_ROWS)
		return;
	snprintf(r->name[r->n], sizeof(r->name[0]), "%s", ci->name);
	r->ci[r->n] = *ci;
	r->ci[r->n].name = r->name[r->n];
	r->n++;
}

static void rows_get(struct sim *s, struct rows *r)
{
	memset(r, 0, sizeof(*r));
	s->a->ops->caches(s->a, rows_add, r);
}

/* The sum of the rows named name (NULL: every row). */
static struct cache_info row_sum(struct sim *s, const char *name)
{
	struct rows r;
	struct cache_info sum = { .name = name };
	rows_get(s, &r);
	for (int i = 0; i < r.n; i++) {
		if (name && strcmp(r.name[i], name) != 0)
			continue;
		sum.active_objs += r.ci[i].active_objs;
		sum.num_objs += r.ci[i].num_objs;
		sum.objsize = r.ci[i].objsize;
		sum.objperslab = r.ci[i].objperslab;
		sum.pagesperslab = r.ci[i].pagesperslab;
		sum.active_slabs += r.ci[i].active_slabs;
		sum.num_slabs += r.ci[i].num_slabs;
		sum.hostage_pages += r.ci[i].hostage_pages;
		sum.cached_empty_pages += r.ci[i].cached_empty_pages;
	}
	return sum;
}

/* sum over every row of active_objs * objsize: the bytes in use */
static uint64_t rows_bytes(struct sim *s)
{
	struct rows r;
	uint64_t b = 0;
	rows_get(s, &r);
	for (int i = 0; i < r.n; i++)
		b += r.ci[i].active_objs * r.ci[i].objsize;
	return b;
}

/* ---- the helper at its boundaries ---- */

static void t_unit_state_boundaries(void)
{
	CHECK_EQ(cache_unit_state(0, 32), CACHE_UNIT_EMPTY);
	CHECK_EQ(cache_unit_state(1, 32), CACHE_UNIT_HOSTAGE);
	CHECK_EQ(cache_unit_state(4, 32), CACHE_UNIT_HOSTAGE);   /* exactly 1/8 */
	CHECK_EQ(cache_unit_state(5, 32), CACHE_UNIT_USED);
	CHECK_EQ(cache_unit_state(32, 32), CACHE_UNIT_USED);     /* full */
	CHECK_EQ(cache_unit_state(3, 30), CACHE_UNIT_HOSTAGE);   /* 24 <= 30 */
	CHECK_EQ(cache_unit_state(4, 30), CACHE_UNIT_USED);      /* 32 > 30 */
	CHECK_EQ(cache_unit_state(1, 8), CACHE_UNIT_HOSTAGE);
	CHECK_EQ(cache_unit_state(1, 7), CACHE_UNIT_USED);       /* one object is more than 1/8 of 7 */
	CHECK_EQ(cache_unit_state(1, 1), CACHE_UNIT_USED);
	CHECK_EQ(cache_unit_state(0, 1), CACHE_UNIT_EMPTY);
	CHECK_EQ(cache_unit_state(256, 2048), CACHE_UNIT_HOSTAGE);   /* SLOB page: 512 bytes of 4096 */
	CHECK_EQ(cache_unit_state(257, 2048), CACHE_UNIT_USED);
	CHECK_EQ(cache_unit_state(1ull << 40, 8ull << 40), CACHE_UNIT_HOSTAGE);   /* no overflow */

	struct cache_info ci = { 0 };
	cache_unit_count(&ci, 0, 32, 2);
	cache_unit_count(&ci, 4, 32, 1);
	cache_unit_count(&ci, 5, 32, 8);
	cache_unit_count(&ci, 0, 30, 1);
	cache_unit_count(&ci, 3, 30, 4);
	CHECK_EQ(ci.cached_empty_pages, 3);
	CHECK_EQ(ci.hostage_pages, 5);
}

/* ---- one unit per back end, by hand ---- */

/*
 * Fill one unit with n objects of cache (cpu 0), then free them in order
 * until `hostage_at` are live, checking the row at hostage_at + 1 (not
 * hostage) and hostage_at (hostage, `pages` pages); then free the rest on
 * free_cpu and check the row: no hostage page, `empty_held` pages held
 * empty. Returns the sim (keys freed) for more checks.
 */
struct unit_case {
	const char *alloc, *row;     /* back end; row name (NULL: sum of all rows) */
	uint32_t size;               /* cache object size */
	unsigned n;                  /* objects that fill one unit */
	unsigned hostage_at;         /* live objects at exactly 1/8 */
	uint64_t pages;              /* pages of the unit */
	uint64_t per_obj;            /* the row's measure per object (1, or units / chunks) */
	uint32_t objsize;            /* the row's objsize */
	uint64_t empty_held;         /* pages held empty once all are freed */
	unsigned free_cpu;           /* CPU of the last frees */
};

static void unit_case_run(const struct unit_case *u)
{
	struct sim *s = mk(u->alloc, 2);
	CHECK(s != NULL);
	if (!s)
		return;
	int cache = sim_cache(s, "t_unit", u->size, 8);
	CHECK(cache > 0);
	uint64_t key[64];
	for (unsigned i = 0; i < u->n; i++) {
		key[i] = sim_alloc(s, u->size, cache, 0, 0, 0);
		CHECK(key[i] != 0);
	}
	struct cache_info ci = row_sum(s, u->row);
	CHECK_MSG(ci.num_slabs * ci.pagesperslab == u->pages, "%s: %llu slabs of %u pages, expected one unit of %llu",
		  u->alloc, (unsigned long long)ci.num_slabs, ci.pagesperslab, (unsigned long long)u->pages);
	CHECK_EQ(ci.active_objs, u->n * u->per_obj);
	CHECK_EQ(ci.num_objs, u->n * u->per_obj);            /* exactly full */
	CHECK_EQ(ci.objsize, u->objsize);
	CHECK_EQ(ci.hostage_pages, 0);
	CHECK_EQ(ci.cached_empty_pages, 0);
	CHECK_EQ(rows_bytes(s), s->a->alloc_bytes);

	unsigned live = u->n, next = 0;
	while (live > u->hostage_at + 1) {
		sim_free(s, key[next++], 0);
		live--;
	}
	ci = row_sum(s, u->row);                             /* one above 1/8 */
	CHECK_MSG(ci.hostage_pages == 0, "%s: %u live of %u: %llu hostage pages", u->alloc, live, u->n,
		  (unsigned long long)ci.hostage_pages);
	CHECK_EQ(ci.active_objs, live * u->per_obj);
	sim_free(s, key[next++], 0);
	live--;
	ci = row_sum(s, u->row);                             /* exactly 1/8: hostage */
	CHECK_MSG(ci.hostage_pages == u->pages, "%s: %u live of %u: %llu hostage pages, expected %llu", u->alloc,
		  live, u->n, (unsigned long long)ci.hostage_pages, (unsigned long long)u->pages);
	CHECK_EQ(ci.cached_empty_pages, 0);
	CHECK_EQ(ci.active_objs, live * u->per_obj);
	CHECK_EQ(ci.active_slabs * ci.pagesperslab, u->pages);
	CHECK_EQ(rows_bytes(s), s->a->alloc_bytes);

	while (live > 0) {                                   /* all freed: empty, not hostage */
		sim_free(s, key[next++], u->free_cpu);
		live--;
	}
	ci = row_sum(s, u->row);
	CHECK_EQ(ci.hostage_pages, 0);
	CHECK_MSG(ci.cached_empty_pages == u->empty_held, "%s: %llu cached empty pages, expected %llu", u->alloc,
		  (unsigned long long)ci.cached_empty_pages, (unsigned long long)u->empty_held);
	CHECK_EQ(ci.active_objs, 0);
	CHECK_EQ(ci.active_slabs, 0);
	CHECK_EQ(s->a->alloc_bytes, 0);
	CHECK_EQ(rows_bytes(s), 0);

	sim_reclaim(s);                                      /* reap / shrink / zone_gc */
	ci = row_sum(s, u->row);
	CHECK_EQ(ci.hostage_pages, 0);
	if (strcmp(u->alloc, "nta") != 0)                    /* NTA keeps its pages (no --nta-release) */
		CHECK_MSG(ci.cached_empty_pages == 0 && ci.num_slabs == 0, "%s: %llu empty pages, %llu slabs after reclaim",
			  u->alloc, (unsigned long long)ci.cached_empty_pages, (unsigned long long)ci.num_slabs);
	else
		CHECK_EQ(ci.cached_empty_pages, u->pages);
	sim_destroy(s);
}

/*
 * SLUB: a 128-byte cache on 2 CPUs has order-0 slabs of 32 objects
 * (min_objects 12: order 0 wastes nothing). 32 allocations fill the CPU
 * slab; 4 live = 1/8: hostage; all freed: the CPU slab stays (empty,
 * 1 page); shrink frees it.
 */
static void t_unit_slub(void)
{
	unit_case_run(&(struct unit_case){ "slub", "t_unit", 128, 32, 4, 1, 1, 128, 1, 0 });
}

/* SLUB's remote frees (a CPU slab freed into from another CPU) count the same. */
static void t_unit_slub_remote(void)
{
	unit_case_run(&(struct unit_case){ "slub", "t_unit", 128, 32, 4, 1, 1, 128, 1, 1 });
}

/*
 * SLAB 2.6.32: a 128-byte cache without flags is on-slab: (4096 - 48) /
 * (128 + 4) = 30 objects. The first refill takes 16 from a new slab, the
 * next the 14 left: 30 allocations use one slab. Frees go to the CPU's
 * array (limit 120): the slab's inuse stays 30, but only live objects are
 * in use: 3 live (24 <= 30) is hostage, 4 (32 > 30) is not; all freed, the
 * slab is empty (its objects in the array) until the shrink drains it.
 */
static void t_unit_slab(void)
{
	unit_case_run(&(struct unit_case){ "slab", "t_unit", 128, 30, 3, 1, 1, 128, 1, 0 });
	unit_case_run(&(struct unit_case){ "slab", "t_unit", 128, 30, 3, 1, 1, 128, 1, 1 });
}

/* zone: a 128-byte zone has 1-page chunks of 32 elements; zone_gc frees an all-free chunk. */
static void t_unit_zone(void)
{
	unit_case_run(&(struct unit_case){ "zone", "t_unit", 128, 32, 4, 1, 1, 128, 1, 0 });
}

/*
 * SLOB: a 128-byte cache object is 64 units with no header; 32 fill a
 * page (2048 units). 4 live = 256 units = 1/8: hostage; 5 is not. A
 * wholly free page goes back at once: never cached empty.
 */
static void t_unit_slob(void)
{
	unit_case_run(&(struct unit_case){ "slob", NULL, 128, 32, 4, 1, 64, 2, 0, 0 });
}

/*
 * NTA (32-byte chunks): a 128-byte object is 4 chunks; 32 fill a 1-page
 * node of 128 chunks. 4 live = 16 chunks = 1/8: hostage. The last frees on
 * CPU 1 are queued to CPU 0: not live, so the node is cached empty at
 * once, though its chunks are still used until CPU 0 drains its queue.
 */
static void t_unit_nta(void)
{
	unit_case_run(&(struct unit_case){ "nta", "nta-cpu0", 128, 32, 4, 1, 4, 32, 1, 0 });
	unit_case_run(&(struct unit_case){ "nta", "nta-cpu0", 128, 32, 4, 1, 4, 32, 1, 1 });
}

/* buddy: every block holds its one object: never hostage, never cached empty. */
static void t_unit_buddy(void)
{
	struct sim *s = mk("buddy", 2);
	uint64_t k[3];
	for (int i = 0; i < 3; i++)
		k[i] = sim_alloc(s, 100, 0, 0, 0, 0);
	struct cache_info ci = row_sum(s, "order-0");
	CHECK_EQ(ci.active_objs, 3);
	CHECK_EQ(ci.hostage_pages, 0);
	CHECK_EQ(ci.cached_empty_pages, 0);
	CHECK_EQ(rows_bytes(s), s->a->alloc_bytes);
	for (int i = 0; i < 3; i++)
		sim_free(s, k[i], 1);
	ci = row_sum(s, "order-0");
	CHECK_EQ(ci.num_slabs, 0);
	CHECK_EQ(ci.cached_empty_pages, 0);
	sim_destroy(s);
}

/* ---- a random run against the test's own bookkeeping ---- */

#define NCACHES 6
static const uint32_t rsizes[NCACHES] = { 24, 64, 128, 200, 512, 1000 };

struct live_obj { uint64_t key, va; unsigned cache, cpu; };

struct unit { uint64_t id; uint64_t used; int row; };

static int unit_cmp(const void *x, const void *y)
{
	const struct unit *a = x, *b = y;
	if (a->row != b->row)
		return a->row < b->row ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/*
 * The test's own view of the units: each live object's unit from its
 * address (direct map: a unit of 2^k pages is 2^k-page aligned) and its
 * row; the use it adds (1 object, SLOB units, NTA chunks). Geometry
 * (pages and capacity of a unit) is the only thing taken from the rows.
 */
static bool cross_check(struct sim *s, const char *alloc, const struct live_obj *lv, unsigned nlive, long op)
{
	struct rows r;
	rows_get(s, &r);
	bool slob = !strcmp(alloc, "slob"), nta = !strcmp(alloc, "nta");
	struct unit *u = xmalloc((nlive + 1) * sizeof(*u));
	uint64_t *use = xcalloc(MAX_ROWS, sizeof(uint64_t));
	for (unsigned i = 0; i < nlive; i++) {
		char name[48];
		if (nta)
			snprintf(name, sizeof(name), "nta-cpu%u", lv[i].cpu);
		else
			snprintf(name, sizeof(name), "c%u", lv[i].cache);
		int row = -1;
		for (int k = 0; k < r.n && row < 0; k++)
			if (slob || !strcmp(r.name[k], name))
				row = k;
		if (row < 0) {
			CHECK_MSG(0, "%s op %ld: no row %s", alloc, op, name);
			free(u);
			free(use);
			return false;
		}
		unsigned shift = 12 + (unsigned)__builtin_ctz(r.ci[row].pagesperslab);
		uint32_t size = rsizes[lv[i].cache];
		u[i].row = slob ? 0 : row;
		u[i].id = lv[i].va >> shift;
		u[i].used = slob ? (size + 1) / 2 : nta ? (size + 31) / 32 : 1;
		use[u[i].row] += u[i].used;
	}
	qsort(u, nlive, sizeof(*u), unit_cmp);
	uint64_t *hostage = xcalloc(MAX_ROWS, sizeof(uint64_t)), *held = xcalloc(MAX_ROWS, sizeof(uint64_t));
	for (unsigned i = 0; i < nlive;) {
		unsigned j = i;
		uint64_t used = 0;
		for (; j < nlive && u[j].row == u[i].row && u[j].id == u[i].id; j++)
			used += u[j].used;
		const struct cache_info *ci = &r.ci[u[i].row];
		uint64_t cap = slob ? 2048 : nta ? 128 : ci->objperslab;
		if (used > 0 && used * 8 <= cap)             /* DESIGN.md, spelled out */
			hostage[u[i].row] += ci->pagesperslab;
		held[u[i].row] += ci->pagesperslab;
		i = j;
	}
	bool ok = true;
	uint64_t bytes = 0;
	for (int k = 0; k < r.n; k++) {
		const struct cache_info *ci = &r.ci[k];
		bytes += ci->active_objs * ci->objsize;
		if (slob && k > 0)
			continue;
		uint64_t want_h = hostage[k], want_e, got_h = ci->hostage_pages, got_e = ci->cached_empty_pages;
		uint64_t got_u = ci->active_objs, pages = ci->num_slabs * ci->pagesperslab;
		if (slob) {                                  /* one pool of pages in several rows */
			struct cache_info all = row_sum(s, NULL);
			got_h = all.hostage_pages;
			got_e = all.cached_empty_pages;
			got_u = all.active_objs;
			pages = all.num_slabs;
		}
		want_e = pages - held[k];
		if (got_h != want_h || got_e != want_e || got_u != use[k]) {
			CHECK_MSG(0, "%s op %ld row %s: hostage %llu empty %llu in use %llu; test computes %llu %llu %llu",
				  alloc, op, r.name[k], (unsigned long long)got_h, (unsigned long long)got_e,
				  (unsigned long long)got_u, (unsigned long long)want_h, (unsigned long long)want_e,
				  (unsigned long long)use[k]);
			ok = false;
			break;
		}
	}
	if (ok && bytes != s->a->alloc_bytes) {
		CHECK_MSG(0, "%s op %ld: rows hold %llu bytes in use, A(t) = %llu", alloc, op,
			  (unsigned long long)bytes, (unsigned long long)s->a->alloc_bytes);
		ok = false;
	}
	free(u);
	free(use);
	free(hostage);
	free(held);
	return ok;
}

static void random_cross_check(const char *alloc)
{
	struct sim *s = mk(alloc, 3);
	CHECK(s != NULL);
	if (!s)
		return;
	int cache_id[NCACHES];
	for (unsigned c = 0; c < NCACHES; c++) {
		char name[16];
		snprintf(name, sizeof(name), "c%u", c);
		cache_id[c] = sim_cache(s, name, rsizes[c], 8);
		CHECK(cache_id[c] > 0);
	}
	struct rng r;
	rng_seed(&r, 77);
	enum { MAXLIVE = 3000, OPS = 16000 };
	struct live_obj *lv = xcalloc(MAXLIVE, sizeof(*lv));
	unsigned nlive = 0, checks = 0;
	uint64_t max_hostage = 0, max_empty = 0;
	bool ok = true;
	for (long op = 0; op < OPS && ok; op++) {
		/* phases: grow to many live objects, then free most of them
		 * (the shape that leaves units hostage, then empty) */
		bool growing = (op / 4000) % 2 == 0;
		bool do_alloc = nlive == 0 || (nlive < MAXLIVE && rng_below(&r, 100) < (growing ? 70u : 25u));
		unsigned cpu = (unsigned)rng_below(&r, 3);
		if (do_alloc) {
			unsigned c = (unsigned)rng_below(&r, NCACHES);
			uint64_t k = sim_alloc(s, rsizes[c], cache_id[c], cpu, 0, 0);
			CHECK(k != 0);
			if (!k)
				break;
			lv[nlive++] = (struct live_obj){ k, testsim_addr(s, k), c, cpu };
		} else {
			unsigned i = (unsigned)rng_below(&r, nlive);
			sim_free(s, lv[i].key, cpu);       /* mostly cross-CPU */
			lv[i] = lv[--nlive];
		}
		if (op % 5000 == 4999)
			sim_reclaim(s);
		if (op % 97 == 0 || op % 5000 == 4999) {
			ok = cross_check(s, alloc, lv, nlive, op);
			checks++;
			struct cache_info all = row_sum(s, NULL);
			max_hostage = MAX(max_hostage, all.hostage_pages);
			max_empty = MAX(max_empty, all.cached_empty_pages);
		}
	}
	CHECK(checks > 150);
	/* the shape must have produced hostage and empty pages to compare
	 * (SLOB never holds an empty page) */
	printf("#   %s: up to %llu hostage pages and %llu cached empty pages, compared %u times\n", alloc,
	       (unsigned long long)max_hostage, (unsigned long long)max_empty, checks);
	CHECK(max_hostage > 0);
	CHECK(strcmp(alloc, "slob") == 0 ? max_empty == 0 : max_empty > 0);
	free(lv);
	sim_destroy(s);
}

static void t_random_slub(void) { random_cross_check("slub"); }
static void t_random_slab(void) { random_cross_check("slab"); }
static void t_random_zone(void) { random_cross_check("zone"); }
static void t_random_slob(void) { random_cross_check("slob"); }
static void t_random_nta(void) { random_cross_check("nta"); }

int main(void)
{
	RUN(t_unit_state_boundaries);
	RUN(t_unit_slub);
	RUN(t_unit_slub_remote);
	RUN(t_unit_slab);
	RUN(t_unit_zone);
	RUN(t_unit_slob);
	RUN(t_unit_nta);
	RUN(t_unit_buddy);
	RUN(t_random_slub);
	RUN(t_random_slab);
	RUN(t_random_zone);
	RUN(t_random_slob);
	RUN(t_random_nta);
	return check_done();
}
