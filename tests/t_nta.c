/*
 * t_nta.c - the network tree allocator against its author's worked example
 * and fragmentation test (../shared/reference/004), deferred cross-CPU
 * frees, page release, and a real trace.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "testsim.h"
#include "shadow.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../sim/trace.h"
#include "../allocators/allocator.h"
#include "../sim/page.h"

static struct params P;

static struct sim *mk(uint64_t mem, unsigned cpus, bool release)
{
	testsim_params(&P, "nta", mem);
	P.cpus = cpus;
	P.nta_release = release;
	return testsim_create(&P);
}

/* Free ranges of the page at base, as "off+len off+len ..." (from walk's
 * used ranges: the complement inside [base, base+4096)). */
struct ranges { uint64_t base; uint64_t used[64][2]; int n; };

static void collect(void *ctx, uint64_t va, uint64_t len)
{
	struct ranges *r = ctx;
	if (va >= r->base && va < r->base + PAGE_SIZE && r->n < 64) {
		r->used[r->n][0] = va - r->base;
		r->used[r->n][1] = len;
		r->n++;
	}
}

static void free_ranges(struct sim *s, uint64_t base, char *out, size_t outlen)
{
	struct ranges r = { .base = base };
	s->a->ops->walk(s->a, collect, &r);
	/* walk reports used runs in address order within a node */
	uint64_t at = 0;
	out[0] = 0;
	for (int i = 0; i <= r.n; i++) {
		uint64_t end = i < r.n ? r.used[i][0] : PAGE_SIZE;
		if (end > at)
			snprintf(out + strlen(out), outlen - strlen(out), "%s%llu+%llu", out[0] ? " " : "",
				 (unsigned long long)at, (unsigned long long)(end - at));
		if (i < r.n)
			at = r.used[i][0] + r.used[i][1];
	}
}

#define addr_of testsim_addr

/* One figure of the back end's report(). */
struct rep { const char *key; double v; };
static void rep_fn(void *ctx, const char *key, double v)
{
	struct rep *r = ctx;
	if (!strcmp(key, r->key))
		r->v = v;
}
static double report_get(struct sim *s, const char *key)
{
	struct rep r = { key, -1 };
	s->a->ops->report(s->a, rep_fn, &r);
	return r.v;
}

/*
 * 004, "Userspace model has been completed": allocate 120, 200, 70 bytes,
 * free 120, 70, 200, with 32-byte chunks. The debug log gives the sizes
 * 128, 224 and 96 (4, 7 and 3 chunks) at offsets 0, 0x80 and 0x160, the
 * free area after freeing 70 bytes as 3744 bytes at 0x160, and one free
 * 4096-byte chunk at the end. Every intermediate free set, worked by hand:
 *   after alloc 120:  128+3968
 *   after alloc 200:  352+3744
 *   after alloc 70:   448+3648
 *   after free 120:   0+128 448+3648
 *   after free 70:    0+128 352+3744      (merged with the area after it)
 *   after free 200:   0+4096              (merged on both sides)
 */
static void t_worked_example(void)
{
	struct sim *s = mk(64 * MIB, 1, false);
	char fr[256];
	uint64_t a = sim_alloc(s, 120, 0, 0, 0, 0);
	uint64_t base = addr_of(s, a);
	free_ranges(s, base, fr, sizeof(fr));
	CHECK_MSG(!strcmp(fr, "128+3968"), "after alloc 120: %s", fr);
	uint64_t b = sim_alloc(s, 200, 0, 0, 0, 0);
	CHECK_EQ(addr_of(s, b) - base, 0x80);
	free_ranges(s, base, fr, sizeof(fr));
	CHECK_MSG(!strcmp(fr, "352+3744"), "after alloc 200: %s", fr);
	uint64_t c = sim_alloc(s, 70, 0, 0, 0, 0);
	CHECK_EQ(addr_of(s, c) - base, 0x160);
	free_ranges(s, base, fr, sizeof(fr));
	CHECK_MSG(!strcmp(fr, "448+3648"), "after alloc 70: %s", fr);
	CHECK_EQ(s->a->alloc_bytes, 128 + 224 + 96);
	sim_free(s, a, 0);
	free_ranges(s, base, fr, sizeof(fr));
	CHECK_MSG(!strcmp(fr, "0+128 448+3648"), "after free 120: %s", fr);
	sim_free(s, c, 0);
	free_ranges(s, base, fr, sizeof(fr));
	CHECK_MSG(!strcmp(fr, "0+128 352+3744"), "after free 70: %s", fr);
	sim_free(s, b, 0);
	free_ranges(s, base, fr, sizeof(fr));
	CHECK_MSG(!strcmp(fr, "0+4096"), "after free 200: %s", fr);
	CHECK_EQ(s->a->alloc_bytes, 0);
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 1);    /* never returned without --nta-release */
	sim_destroy(s);
}

/* The largest free gap inside any page the back end holds, computed from
 * walk()'s used ranges and the frame owners: independent of NTA's lists. */
struct used { uint64_t va, len; };
struct used_set { struct used *u; size_t n, cap; };
static void add_used(void *ctx, uint64_t va, uint64_t len)
{
	struct used_set *us = ctx;
	if (us->n == us->cap) {
		us->cap = us->cap ? us->cap * 2 : 1024;
		us->u = realloc(us->u, us->cap * sizeof(*us->u));
	}
	us->u[us->n++] = (struct used){ va, len };
}
static int by_va(const void *a, const void *b)
{
	const struct used *x = a, *y = b;
	return x->va < y->va ? -1 : x->va > y->va;
}
static uint64_t largest_free_gap(struct sim *s)
{
	struct used_set us = { 0 };
	s->a->ops->walk(s->a, add_used, &us);
	qsort(us.u, us.n, sizeof(*us.u), by_va);
	uint64_t best = 0;
	size_t j = 0;
	for (uint32_t pfn = 0; pfn < s->pm->nframes; pfn++) {
		if (s->pm->frames[pfn].owner != OWNER_SLAB)
			continue;
		uint64_t base = PAGE_OFFSET + (uint64_t)pfn * PAGE_SIZE, at = base;
		while (j < us.n && us.u[j].va + us.u[j].len <= base)
			j++;
		for (size_t k = j; k < us.n && us.u[k].va < base + PAGE_SIZE; k++) {
			if (us.u[k].va > at && us.u[k].va - at > best)
				best = us.u[k].va - at;
			at = us.u[k].va + us.u[k].len;
		}
		if (base + PAGE_SIZE > at && base + PAGE_SIZE - at > best)
			best = base + PAGE_SIZE - at;
	}
	free(us.u);
	return best;
}

/*
 * 004's fragmentation test: random sizes from 1 to the maximum in 32-byte
 * steps until an allocation fails; halve the maximum; four rounds
 * (PAGE_SIZE, /2, /4, /8). Nothing is freed. On a 16 MiB machine the pool
 * is what the buddy allocator can give. At each failure: the failed size is
 * within the round's maximum, no free gap in any page held could hold it
 * (computed from walk() and the frame owners, not from NTA's lists), and
 * no new page could be had (the buddy allocator is out of pages).
 */
static void t_fragmentation_test(void)
{
	struct sim *s = mk(16 * MIB, 1, false);
	P.check_every = 0;            /* checked at each failure below */
	struct rng r;
	rng_seed(&r, 2006);
	uint32_t max = PAGE_SIZE;
	uint32_t failed[4];
	uint64_t allocs[4] = { 0 };
	for (int round = 0; round < 4; round++, max /= 2) {
		for (;;) {
			uint32_t size = 32 * (1 + (uint32_t)rng_below(&r, max / 32));
			if (!sim_alloc(s, size, 0, 0, 0, 0)) {
				failed[round] = size;
				break;
			}
			allocs[round]++;
		}
		CHECK_MSG(failed[round] <= max, "round %d: failed size %u above max %u", round, failed[round], max);
		CHECK_EQ(s->a->last_fail, FAIL_NOMEM);
		CHECK_EQ(page_free_pages(s->pl), 0);
		char msg[256];
		CHECK_MSG(s->a->ops->check(s->a, msg, sizeof(msg)), "round %d: %s", round, msg);
		uint64_t gap = largest_free_gap(s);
		CHECK_MSG(gap < (failed[round] + 31) / 32 * 32, "round %d: a %llu-byte gap could hold the failed %u bytes",
			  round, (unsigned long long)gap, failed[round]);
		/* nta_free_bytes: what the failed request could not use */
		printf("#   round %d (max %u): %llu allocations, failed at %u bytes\n", round, max,
		       (unsigned long long)allocs[round], failed[round]);
	}
	CHECK_MSG(allocs[1] + allocs[2] + allocs[3] > 0, "nothing fitted after the first failure");
	/* the pool is nearly all used: free space below one maximum-size request per node */
	CHECK_MSG(s->a->alloc_bytes * 10 >= kvm_stats(s->kvm)->pages_held * PAGE_SIZE * 9,
		  "only %llu of %llu bytes used at the end", (unsigned long long)s->a->alloc_bytes,
		  (unsigned long long)kvm_stats(s->kvm)->pages_held * PAGE_SIZE);
	sim_destroy(s);
}

/* A free on another CPU waits in the owner's queue until the owner's next
 * operation; until then the chunks stay used, but the object has left
 * A(t) at its free (a queued free is part of F - A, not of A). */
static void t_deferred_free(void)
{
	struct sim *s = mk(64 * MIB, 2, false);
	uint64_t a = sim_alloc(s, 100, 0, 0, 0, 0);   /* CPU 0's pool: 128 bytes */
	uint64_t va = addr_of(s, a);
	sim_free(s, a, 1);                             /* freed on CPU 1 */
	CHECK_EQ(s->a->alloc_bytes, 0);                /* no longer live: out of A at once */
	CHECK_EQ(report_get(s, "nta_free_bytes"), 4096 - 128);   /* but the chunks are still held */
	CHECK_EQ(report_get(s, "nta_deferred_frees"), 1);
	CHECK_EQ(report_get(s, "nta_queued_frees"), 1);
	uint64_t b = sim_alloc(s, 100, 0, 1, 0, 0);    /* CPU 1's own pool: another page */
	CHECK(addr_of(s, b) >> 12 != va >> 12);
	CHECK_EQ(s->a->alloc_bytes, 128);
	uint64_t c = sim_alloc(s, 100, 0, 0, 0, 0);    /* CPU 0 completes the free first */
	CHECK_EQ(addr_of(s, c), va);                   /* and reuses the chunks */
	CHECK_EQ(s->a->alloc_bytes, 256);
	CHECK_EQ(report_get(s, "nta_queued_frees"), 0);
	sim_free(s, c, 1);
	sim_free(s, b, 0);                             /* CPU 0 queues b to CPU 1 */
	CHECK_EQ(s->a->alloc_bytes, 0);                /* both frees leave A at once */
	CHECK_EQ(report_get(s, "nta_free_bytes"), 2 * 4096 - 128);   /* c's chunks freed at CPU 0's op, b's queued */
	CHECK_EQ(report_get(s, "nta_deferred_frees"), 3);
	CHECK_EQ(report_get(s, "nta_queued_frees"), 1);
	sim_reclaim(s);                                /* drains both queues */
	CHECK_EQ(s->a->alloc_bytes, 0);
	CHECK_EQ(report_get(s, "nta_queued_frees"), 0);
	sim_destroy(s);
}

/*
 * Small random runs, every invariant checked after every event, on both
 * page sources, without and with --nta-release: three CPUs, objects freed
 * on a random CPU (so most frees are deferred), sizes up to 5000 bytes
 * (order-0 and order-1 nodes), a reclaim now and then. The shadow map
 * proves no two live objects overlap and that each one is aligned to the
 * chunk; at the end everything is freed and, with release, every page is
 * back with the buddy allocator.
 */
static void t_random_checked(void)
{
	for (int v = 0; v < 4; v++) {
		bool mapped = v & 1, rel = v >> 1;
		struct sim *s = mk(32 * MIB, 3, rel);
		CHECK(s != NULL);
		if (!s)
			continue;
		P.backing = mapped ? BACKING_MAPPED : BACKING_DIRECT;
		sim_destroy(s);
		s = testsim_create(&P);
		uint64_t free0 = page_free_pages(s->pl);
		struct shadow sh = { 0 };
		struct rng r;
		rng_seed(&r, 4000 + (uint64_t)v);
		enum { N = 600 };
		uint64_t key[N] = { 0 }, va[N] = { 0 }, len[N] = { 0 };
		bool ok = true;
		for (int op = 0; op < 6000 && ok; op++) {
			unsigned i = (unsigned)rng_below(&r, N), cpu = (unsigned)rng_below(&r, 3);
			if (key[i]) {
				ok &= shadow_mark(&sh, va[i], len[i], false);
				sim_free(s, key[i], cpu);
				key[i] = 0;
			} else {
				uint32_t size = 1 + (uint32_t)rng_below(&r, rng_below(&r, 8) ? 600 : 5000);
				key[i] = sim_alloc(s, size, 0, cpu, 0, 0);
				CHECK(key[i] != 0);
				if (!key[i])
					break;
				va[i] = addr_of(s, key[i]);
				len[i] = size;
				CHECK_MSG(va[i] % 32 == 0, "object at %#llx", (unsigned long long)va[i]);
				ok &= shadow_mark(&sh, va[i], len[i], true);
			}
			if (op % 1000 == 999)
				sim_reclaim(s);
		}
		CHECK_MSG(ok, "variant %d: live objects overlap", v);
		CHECK(s->st.checks >= 6000);
		for (unsigned i = 0; i < N; i++)
			if (key[i])
				sim_free(s, key[i], (unsigned)rng_below(&r, 3));
		sim_reclaim(s);
		char msg[256];
		CHECK_MSG(s->a->ops->check(s->a, msg, sizeof(msg)), "%s", msg);
		CHECK_EQ(s->a->alloc_bytes, 0);
		if (rel) {
			CHECK_EQ(kvm_stats(s->kvm)->pages_held, 0);
			CHECK_EQ(page_free_pages(s->pl), free0);
		} else {
			CHECK(kvm_stats(s->kvm)->pages_held > 0);
		}
		CHECK(report_get(s, "nta_deferred_frees") > 1000);   /* about 2/3 of ~3000 frees */
		CHECK_EQ(report_get(s, "nta_queued_frees"), 0);
		shadow_free(&sh);
		sim_destroy(s);
	}
}

/* Without --nta-release pages stay in the pools; with it they go back. */
static void t_release(void)
{
	for (int rel = 0; rel < 2; rel++) {
		struct sim *s = mk(64 * MIB, 2, rel);
		uint64_t free0 = page_free_pages(s->pl);
		uint64_t keys[2000];
		for (int i = 0; i < 2000; i++)
			keys[i] = sim_alloc(s, 200 + (uint32_t)i % 1000, 0, (unsigned)i % 2, 0, 0);
		uint64_t held = kvm_stats(s->kvm)->pages_held;
		CHECK(held > 100);
		for (int i = 0; i < 2000; i++)
			sim_free(s, keys[i], (unsigned)(i + 1) % 2);
		sim_reclaim(s);
		CHECK_EQ(s->a->alloc_bytes, 0);
		if (rel) {
			CHECK_EQ(kvm_stats(s->kvm)->pages_held, 0);
			CHECK_EQ(page_free_pages(s->pl), free0);
		} else {
			CHECK_EQ(kvm_stats(s->kvm)->pages_held, held);
		}
		sim_destroy(s);
	}
}

static void t_too_big_and_chunk(void)
{
	struct sim *s = mk(64 * MIB, 1, false);
	CHECK(sim_alloc(s, 16384, 0, 0, 0, 0) != 0);        /* one order-2 node */
	CHECK(sim_alloc(s, 16385, 0, 0, 0, 0) == 0);
	CHECK_EQ(s->st.failed_by[FAIL_TOO_BIG], 1);
	sim_destroy(s);
	params_init(&P);
	P.allocator = "nta";
	P.nta_chunk = 48;                                     /* not a power of two */
	char err[256];
	CHECK(sim_create(&P, err, sizeof(err)) == NULL);
	P.nta_chunk = 64;
	s = sim_create(&P, err, sizeof(err));
	CHECK(s != NULL);
	if (s) {
		uint64_t k = sim_alloc(s, 65, 0, 0, 0, 0);
		CHECK(k != 0);
		CHECK_EQ(s->a->alloc_bytes, 128);
		CHECK_EQ(addr_of(s, k) % 64, 0);
		sim_destroy(s);
	}
}

/*
 * Sizes near 2^32 (issue 11): the chunk count was computed in 32 bits, so
 * 2^32 - 1 bytes wrapped to 0 chunks and was "served" at the address of
 * the next object; its free then crashed. Every size from 2^32 - 3 chunks
 * up must fail with FAIL_TOO_BIG, interleaved with real objects on both
 * CPUs and every chunk size; the shadow map proves no two live objects
 * share a byte, and everything is freed cleanly.
 */
static void t_size_near_2p32(void)
{
	static const unsigned chunks[] = { 8, 32, 256, 4096 };
	for (size_t ci = 0; ci < ARRAY_SIZE(chunks); ci++) {
		testsim_params(&P, "nta", 32 * MIB);
		P.nta_chunk = chunks[ci];
		struct sim *s = testsim_create(&P);
		CHECK(s != NULL);
		if (!s)
			continue;
		struct shadow sh = { 0 };
		uint64_t key[64], va[64];
		uint32_t len[64];
		unsigned n = 0, refused = 0;
		bool ok = true;
		for (uint64_t k = 0; k < 3 * chunks[ci] + 2 && n < 60; k++) {
			uint32_t big = (uint32_t)(UINT32_MAX - k);        /* 2^32-1, 2^32-2, ... */
			if (sim_alloc(s, big, 0, (unsigned)(k & 1), 0, 0) == 0)
				refused++;
			if (k % chunks[ci] == 0) {                         /* a real object between */
				len[n] = 1 + (uint32_t)(k * 37 % 3000);
				key[n] = sim_alloc(s, len[n], 0, (unsigned)(k & 1), 0, 0);
				CHECK(key[n] != 0);
				va[n] = addr_of(s, key[n]);
				ok &= shadow_mark(&sh, va[n], len[n], true);
				n++;
			}
		}
		CHECK_EQ(refused, 3 * chunks[ci] + 2);
		CHECK_EQ(s->st.failed_by[FAIL_TOO_BIG], refused);
		CHECK_EQ(s->st.failed_allocs, refused);
		CHECK_MSG(ok, "chunk %u: a live object shares bytes with another", chunks[ci]);
		CHECK_EQ(s->st.live_objects, n);
		/* the largest request NTA serves, and one byte more */
		CHECK(sim_alloc(s, 16384, 0, 0, 0, 0) != 0);
		CHECK(sim_alloc(s, 16385, 0, 0, 0, 0) == 0);
		for (unsigned i = 0; i < n; i++) {
			ok &= shadow_mark(&sh, va[i], len[i], false);
			sim_free(s, key[i], (unsigned)(i & 1));
		}
		CHECK(ok);
		sim_reclaim(s);
		CHECK(s->st.checks > refused);
		CHECK_EQ(s->a->alloc_bytes, 16384);
		shadow_free(&sh);
		sim_destroy(s);
	}
}

/*
 * Exhaustion on a small machine, without and with --nta-release. Random
 * sizes on two CPUs until the buddy allocator is empty and an allocation
 * fails (recorded as FAIL_NOMEM, never an abort); then everything is freed,
 * half of it on the other CPU. Without release every page stays in the
 * pools, and since all frees merged back, each held page is one free area:
 * 32-byte allocations on CPU 0 then CPU 1 must get exactly held * 128 of
 * them before failing again. With release the buddy allocator gets back
 * every page it gave.
 */
static void t_exhaustion(void)
{
	for (int rel = 0; rel < 2; rel++) {
		struct sim *s = mk(16 * MIB, 2, rel);
		CHECK(s != NULL);
		if (!s)
			continue;
		P.check_every = 0;
		uint64_t free0 = page_free_pages(s->pl);
		struct rng r;
		rng_seed(&r, 44 + (uint64_t)rel);
		static uint64_t keys[1 << 16];
		unsigned n = 0;
		for (; n < (1u << 16); n++) {
			uint32_t size = 1 + (uint32_t)rng_below(&r, 4096);
			keys[n] = sim_alloc(s, size, 0, n % 2, 0, 0);
			if (!keys[n])
				break;
		}
		CHECK(n < (1u << 16));
		CHECK(s->st.failed_allocs >= 1);
		CHECK_EQ(s->a->last_fail, FAIL_NOMEM);
		char msg[256];
		CHECK_MSG(s->a->ops->check(s->a, msg, sizeof(msg)), "%s", msg);
		uint64_t held = kvm_stats(s->kvm)->pages_held;
		CHECK(held > free0 / 2);
		for (unsigned i = 0; i < n; i++)
			sim_free(s, keys[i], (i + (i & 2)) % 2);   /* half on the other CPU */
		sim_reclaim(s);
		CHECK_MSG(s->a->ops->check(s->a, msg, sizeof(msg)), "%s", msg);
		CHECK_EQ(s->a->alloc_bytes, 0);
		if (rel) {
			CHECK_EQ(kvm_stats(s->kvm)->pages_held, 0);
			CHECK_EQ(page_free_pages(s->pl), free0);
		} else {
			CHECK_EQ(kvm_stats(s->kvm)->pages_held, held);
			uint64_t buddy_left = page_free_pages(s->pl);
			uint64_t got = 0;
			for (unsigned cpu = 0; cpu < 2; cpu++)
				while (sim_alloc(s, 32, 0, cpu, 0, 0))
					got++;
			/* the pools first, then whatever the buddy allocator still had */
			CHECK_EQ(got, (held + buddy_left) * (PAGE_SIZE / 32));
			CHECK_EQ(kvm_stats(s->kvm)->pages_held, held + buddy_left);
		}
		sim_destroy(s);
	}
}

/* The real trace, every invariant checked after every event, both page sources. */
static void t_replay_checked(void)
{
	testsim_params(&P, "nta", 256 * MIB);
	testsim_replay_checked(&P);
}

int main(void)
{
	RUN(t_worked_example);
	RUN(t_fragmentation_test);
	RUN(t_deferred_free);
	RUN(t_random_checked);
	RUN(t_release);
	RUN(t_too_big_and_chunk);
	RUN(t_size_near_2p32);
	RUN(t_exhaustion);
	RUN(t_replay_checked);
	return check_done();
}
