/*
 * t_slob.c - SLOB against layouts worked by hand from Linux 6.3's
 * mm/slob.c rules (2-byte units, 8-byte kmalloc header, first fit with
 * alignment, three lists by size), its scanning cost, and a real trace.
 */
#include <math.h>
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

static struct sim *mk(uint64_t mem, bool mapped)
{
	testsim_params(&P, "slob", mem);
	P.backing = mapped ? BACKING_MAPPED : BACKING_DIRECT;
	return testsim_create(&P);
}

#define addr_of testsim_addr

struct ranges { uint64_t base; char out[512]; uint64_t at; };

static void used_range(void *ctx, uint64_t va, uint64_t len)
{
	struct ranges *r = ctx;
	if (va < r->base || va > r->base + PAGE_SIZE)
		return;
	if (va > r->at)
		snprintf(r->out + strlen(r->out), sizeof(r->out) - strlen(r->out), "%s%llu+%llu",
			 r->out[0] ? " " : "", (unsigned long long)(r->at - r->base), (unsigned long long)(va - r->at));
	r->at = va + len;
}

/* Free byte ranges of the page at base, from walk()'s used ranges. */
static const char *free_ranges(struct sim *s, uint64_t base, struct ranges *r)
{
	memset(r, 0, sizeof(*r));
	r->base = r->at = base;
	s->a->ops->walk(s->a, used_range, r);
	used_range(r, base + PAGE_SIZE, 0);
	return r->out;
}

/*
 * Three kmalloc(100): each block is 100 + 8 (header) = 108 bytes = 54 units,
 * placed so that block + 8 is 8-aligned:
 *   #1 block at byte 0, object at 8, ends at 108;
 *   #2 first free unit 54 (byte 108): 108 + 8 = 116 -> 120, so a 4-byte
 *      fragment stays free at 108; block at 112, object at 120, ends 220;
 *   #3 byte 220 + 8 = 228 -> 232: fragment 220+4; block 224, object 232,
 *      ends 332; the rest 332+3764 is free.
 * Freeing #2 merges 108+4, 112+108 and 220+4 into 108+116.
 * kmalloc(50) (58 bytes, 29 units) then fits first in that hole: 108 + 8
 * -> 120, fragment 108+4, block 112..170, object at 120; free 170+54.
 */
static void t_first_fit_layout(void)
{
	struct sim *s = mk(64 * MIB, false);
	struct ranges r;
	uint64_t a = sim_alloc(s, 100, 0, 0, 0, 0);
	uint64_t base = addr_of(s, a) - 8;
	CHECK_EQ(base % PAGE_SIZE, 0);
	uint64_t b = sim_alloc(s, 100, 0, 0, 0, 0);
	uint64_t c = sim_alloc(s, 100, 0, 0, 0, 0);
	CHECK_EQ(addr_of(s, b) - base, 120);
	CHECK_EQ(addr_of(s, c) - base, 232);
	CHECK_MSG(!strcmp(free_ranges(s, base, &r), "108+4 220+4 332+3764"), "after 3 allocs: %s", r.out);
	CHECK_EQ(s->a->alloc_bytes, 3 * 108);
	sim_free(s, b, 0);
	CHECK_MSG(!strcmp(free_ranges(s, base, &r), "108+116 332+3764"), "after free #2: %s", r.out);
	uint64_t d = sim_alloc(s, 50, 0, 0, 0, 0);
	CHECK_EQ(addr_of(s, d) - base, 120);
	CHECK_MSG(!strcmp(free_ranges(s, base, &r), "108+4 170+54 332+3764"), "after kmalloc(50): %s", r.out);
	CHECK_EQ(s->a->alloc_bytes, 108 + 58 + 108);
	/* a named cache: no header, 8-byte alignment */
	int cid = sim_cache(s, "t-obj-40", 40, 8);
	uint64_t e = sim_alloc(s, 40, cid, 0, 0, 0);
	CHECK_EQ(addr_of(s, e) - base, 112 + 64);   /* first fit: 170 -> 176 (8-aligned), fragment 170+6 */
	CHECK_EQ(s->a->alloc_bytes, 108 + 58 + 108 + 40);
	sim_free(s, a, 0); sim_free(s, c, 0); sim_free(s, d, 0); sim_free(s, e, 0);
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 0);     /* an empty page goes back at once */
	sim_destroy(s);
}

struct listrow { const char *want; uint64_t pages; };
static void list_pages(void *ctx, const struct cache_info *ci)
{
	struct listrow *lr = ctx;
	if (!strcmp(ci->name, lr->want))
		lr->pages = ci->num_slabs;
}

/* Requests of < 256 bytes (incl. header) use the small list, < 1024 the
 * medium one, else the large one; PAGE_SIZE - 8 and more go to pages. */
static void t_lists_and_large(void)
{
	struct { uint32_t size; const char *list; } cases[] = {
		{ 247, "slob-small" }, { 248, "slob-medium" }, { 1015, "slob-medium" },
		{ 1016, "slob-large" }, { 3000, "slob-large" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sim *s = mk(64 * MIB, false);
		CHECK(sim_alloc(s, cases[i].size, 0, 0, 0, 0) != 0);
		struct listrow lr = { cases[i].list, 0 };
		s->a->ops->caches(s->a, list_pages, &lr);
		CHECK_MSG(lr.pages == 1, "kmalloc(%u): %llu pages on %s", cases[i].size,
			  (unsigned long long)lr.pages, cases[i].list);
		sim_destroy(s);
	}
	struct sim *s = mk(64 * MIB, false);
	uint64_t k = sim_alloc(s, 4087, 0, 0, 0, 0);          /* 4095 bytes: fills a SLOB page */
	CHECK_EQ(s->pm->frames[kvm_va_to_pfn(s->kvm, addr_of(s, k))].owner, OWNER_SLAB);
	CHECK_EQ(s->a->alloc_bytes, 4096);
	uint64_t l = sim_alloc(s, 4088, 0, 0, 0, 0);          /* PAGE_SIZE - 8: the page allocator */
	CHECK_EQ(s->pm->frames[kvm_va_to_pfn(s->kvm, addr_of(s, l))].owner, OWNER_LARGE);
	CHECK_EQ(addr_of(s, l) % PAGE_SIZE, 0);
	uint64_t m = sim_alloc(s, 9000, 0, 0, 0, 0);          /* order 2 */
	CHECK_EQ(s->a->alloc_bytes, 4096 + 4096 + 16384);
	uint64_t p64 = sim_alloc(s, 64, 0, 0, 0, 0);          /* power of two: aligned to its size */
	CHECK_EQ(addr_of(s, p64) % 64, 0);
	sim_free(s, k, 0); sim_free(s, l, 0); sim_free(s, m, 0); sim_free(s, p64, 0);
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 0);
	sim_destroy(s);
}

static double got_scan;
static void grab_scan(void *ctx, const char *key, double v)
{
	(void)ctx;
	if (!strcmp(key, "slob_pages_scanned_mean"))
		got_scan = v;
}

/*
 * SLOB's weakness. With one size (60 bytes: 68-byte blocks, 8-aligned)
 * the list head roves to the page of the last hit, so a search mostly
 * stops at the first page; only when that page is full does it walk every
 * page on the list (each holding its 16-byte leftover) before taking a
 * new page: about once per 60 allocations, over ~N/60/2 pages on average,
 * so the mean stays near 1 + 333/2/60*... ~ 3 here, and freed holes fit
 * the next request exactly. Mixed sizes leave holes too small for the
 * request, and searches walk many more pages.
 */
static double scan_mean(bool mixed)
{
	struct sim *s = mk(256 * MIB, false);
	P.check_every = 0;
	struct rng r;
	rng_seed(&r, 9);
	enum { N = 20000 };
	static uint64_t keys[N];
	for (int i = 0; i < N; i++)
		keys[i] = sim_alloc(s, mixed ? 1 + (uint32_t)rng_below(&r, 240) : 60, 0, 0, 0, 0);
	for (int i = 0; i < N; i += 2)                /* free every other object */
		sim_free(s, keys[i], 0);
	for (int i = 0; i < N / 2; i++)
		sim_alloc(s, mixed ? 1 + (uint32_t)rng_below(&r, 240) : 60, 0, 0, 0, 0);
	got_scan = NAN;
	s->a->ops->report(s->a, grab_scan, NULL);
	sim_destroy(s);
	return got_scan;
}

static void t_scanning_cost(void)
{
	double uniform = scan_mean(false), mixed = scan_mean(true);
	printf("#   pages scanned per allocation: uniform 60 B %.2f, mixed 1..240 B %.2f\n", uniform, mixed);
	CHECK(uniform >= 1 && uniform < 4);
	CHECK_MSG(mixed > 2 * uniform, "mixed sizes scan %.2f pages, uniform %.2f", mixed, uniform);
}

/* The real trace, every invariant checked after every event, both page sources. */
static void t_replay_checked(void)
{
	testsim_params(&P, "slob", 256 * MIB);
	testsim_replay_checked(&P);
}

int main(void)
{
	RUN(t_first_fit_layout);
	RUN(t_lists_and_large);
	RUN(t_scanning_cost);
	RUN(t_replay_checked);
	return check_done();
}
