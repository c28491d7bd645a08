/*
 * t_slab.c - the SLAB back end (allocators/slab.c), Linux 2.6.32 x86_64.
 *
 *  - geometry: known answers computed by hand from the rules written
 *    beside each case, and every row of two real 2.6.32 /proc/slabinfo
 *    excerpts (tests/data/slabinfo-linux-slab-2.6.32.txt): objsize,
 *    objperslab, pagesperslab and the tunables limit/batchcount/shared;
 *  - magazines: per-CPU refill in batches, frees onto the FREEING CPU's
 *    array, flushes to the shared array, known counts;
 *  - colouring: first-object offsets of successive slabs cycle through
 *    the cache's colours; off-slab descriptors are accounted per slab;
 *  - invariants: check() after every operation of random runs with
 *    cross-CPU frees, DMA kmalloc, time passing (reaps) and reclaims;
 *  - no overlap: 10^6 operations against an independent interval map
 *    (a treap of [start, end) over the allocated object sizes the test
 *    computes from the geometry), alloc_bytes equal to the test's sum;
 *  - reaping: after 2 s idle the untouched arrays give back (limit+4)/5
 *    objects; after a long idle every array is empty and every free slab
 *    is back in the buddy allocator; free slabs never exceed free_limit;
 *  - exhaustion: failures recorded with FAIL_NOMEM, FAIL_TOO_BIG above
 *    4 MiB, recovery after free + reclaim to the starting free page count.
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../allocators/allocator.h"
#include "../sim/page.h"
#include "../allocators/slab.h"

extern const struct allocator_ops slab_ops;

static struct params P;
static enum backing backing = BACKING_DIRECT;

static struct sim *mk(uint64_t mem, unsigned cpus)
{
	params_init(&P);
	P.allocator = "slab";
	P.backing = backing;
	P.check_every = 0;      /* the test calls check() itself */
	P.progress = false;
	P.cpus = cpus;
	physmem_config_init(&P.mem, mem);
	char err[256];
	struct sim *s = sim_create(&P, err, sizeof(err));
	if (!s)
		printf("#   sim_create: %s\n", err);
	return s;
}

static bool slab_ok(struct sim *s, const char *when, long op)
{
	char msg[512] = "";
	if (!s->a->ops->check(s->a, msg, sizeof(msg))) {
		CHECK_MSG(0, "check failed %s %ld: %s", when, op, msg);
		return false;
	}
	return true;
}

/* One value of the back end's report by key. */
struct report_q { const char *key; double v; bool found; };
static void report_get(void *ctx, const char *key, double v)
{
	struct report_q *q = ctx;
	if (!strcmp(key, q->key)) { q->v = v; q->found = true; }
}
static double rep(struct sim *s, const char *key)
{
	struct report_q q = { key, 0, false };
	s->a->ops->report(s->a, report_get, &q);
	CHECK_MSG(q.found, "report has no key %s", key);
	return q.v;
}

/* One row of the back end's caches() by name. */
struct cache_q { const char *name; struct cache_info ci; bool found; };
static void cache_get(void *ctx, const struct cache_info *ci)
{
	struct cache_q *q = ctx;
	if (!strcmp(ci->name, q->name)) { q->ci = *ci; q->found = true; }
}
static struct cache_info cache_row(struct sim *s, const char *name)
{
	struct cache_q q = { name, { 0 }, false };
	s->a->ops->caches(s->a, cache_get, &q);
	CHECK_MSG(q.found, "no cache row %s", name);
	return q.ci;
}

/* ---- geometry ---------------------------------------------------------- */

struct geo_case {
	uint32_t size, align;
	unsigned flags;
	uint32_t objsize, num, pages, colour;
	bool off_slab;
};

#define HW SLAB_GEOM_HWCACHE_ALIGN
#define RA SLAB_GEOM_RECLAIM_ACCOUNT

/*
 * Rules (2.6.32 x86_64): struct slab 48 bytes, kmem_bufctl_t 4 bytes,
 * on-slab: n = (4096*2^o - 48) / (size + 4), minus one if
 * ALIGN(48 + 4n, align) + n*size > slab; left = slab - n*size - mgmt.
 * Off-slab when size >= 512: n = slab / size. Order: first with
 * left*8 <= slab, at most 1; colour = left / max(64, align).
 * HWCACHE_ALIGN: align = 64 halved while size <= align/2.
 */
static const struct geo_case geo_cases[] = {
	/* size-32: align 32; n = 4048/36 = 112; mgmt ALIGN(48+448, 32) = 512; 512+3584 = 4096, left 0 */
	{ 32, 0, HW, 32, 112, 1, 0, false },
	/* size-64: align 64; n = 4048/68 = 59; mgmt ALIGN(284, 64) = 320; 320+3776 = 4096 */
	{ 64, 0, HW, 64, 59, 1, 0, false },
	/* size-96: 96 > 32 so align 64 and objsize 128; n = 4048/132 = 30; mgmt ALIGN(168,64) = 192; left 64: 1 colour */
	{ 96, 0, HW, 128, 30, 1, 1, false },
	/* size-192: n = 4048/196 = 20; mgmt ALIGN(128, 64) = 128; left 4096-3840-128 = 128: 2 colours */
	{ 192, 0, HW, 192, 20, 1, 2, false },
	/* size-256: n = 4048/260 = 15; mgmt ALIGN(108, 64) = 128; left 128: 2 colours */
	{ 256, 0, HW, 256, 15, 1, 2, false },
	/* named 200, align 8: n = 4048/204 = 19; mgmt 48+76 = 124 -> 128 (8-aligned: 124->128); left 4096-3800-128 = 168: 2 colours */
	{ 200, 8, 0, 200, 19, 1, 2, false },
	/* size-512: off-slab, 8 per page, left 0; mgmt 48+32 = 80 does not fit: stays off-slab */
	{ 512, 0, HW, 512, 8, 1, 0, true },
	/* named 600: off-slab start, 6 per page, left 496 (496*8 <= 4096: order 0);
	 * mgmt ALIGN(48+24, 8) = 72 <= 496: back on-slab, left 424: 6 colours */
	{ 600, 8, 0, 600, 6, 1, 6, false },
	/* size-1024: 4 per page, left 0, off-slab */
	{ 1024, 0, HW, 1024, 4, 1, 0, true },
	/* 1128 plain: order 0 has 3, left 712 (712*8 > 4096): order 1 has 7, left 296 -> on-slab (mgmt 80), left 216: 3 colours */
	{ 1128, 8, 0, 1128, 7, 2, 3, false },
	/* 1128 RECLAIM_ACCOUNT: stops at order 0: 3, left 712, mgmt 64 on-slab, left 648: 10 colours */
	{ 1128, 8, RA, 1128, 3, 1, 10, false },
	/* size-4096: 1 per page, left 0, off-slab */
	{ 4096, 0, HW, 4096, 1, 1, 0, true },
	/* size-8192: order 0 holds none, order 1 holds 1 */
	{ 8192, 0, HW, 8192, 1, 2, 0, true },
	/* size-4194304: order 10 */
	{ 4194304, 0, HW, 4194304, 1, 1024, 0, true },
	/* align 128 request on a 24-byte object: objsize 128; n = 4048/132 = 30; mgmt ALIGN(168,128) = 256; 256+3840 = 4096 */
	{ 24, 128, 0, 128, 30, 1, 0, false },
};

static void t_geometry_known_answers(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(geo_cases); i++) {
		const struct geo_case *c = &geo_cases[i];
		struct slab_geometry g;
		CHECK_MSG(slab_geometry_compute(&slab_rules_linux_2_6_32, c->size, c->align, c->flags, &g),
			  "size %u: no geometry", c->size);
		CHECK_MSG(g.objsize == c->objsize && g.num == c->num && (1u << g.order) == c->pages &&
			  g.colour == c->colour && g.off_slab == c->off_slab,
			  "size %u align %u flags %u: got %u %u %u colour %u off %d, want %u %u %u colour %u off %d",
			  c->size, c->align, c->flags, g.objsize, g.num, 1u << g.order, g.colour, g.off_slab,
			  c->objsize, c->num, c->pages, c->colour, c->off_slab);
		/* the slab holds what it claims */
		uint64_t used = (uint64_t)g.num * g.objsize + (g.off_slab ? 0 : g.mgmt_bytes) + g.left_over;
		CHECK_EQ(used, (uint64_t)PAGE_SIZE << g.order);
	}
	struct slab_geometry g;
	CHECK(!slab_geometry_compute(&slab_rules_linux_2_6_32, 4194305, 0, 0, &g));
	CHECK(!slab_geometry_compute(&slab_rules_linux_2_6_32, 0, 0, 0, &g));
	CHECK(!slab_geometry_compute(&slab_rules_linux_2_6_32, 64, 24, 0, &g));   /* align not a power of two */

	/* enable_cpucache defaults */
	uint32_t l, bc, sh;
	slab_tunables(32, 2, &l, &bc, &sh);      CHECK(l == 120 && bc == 60 && sh == 8);
	slab_tunables(257, 2, &l, &bc, &sh);     CHECK(l == 54 && bc == 27 && sh == 8);
	slab_tunables(1025, 1, &l, &bc, &sh);    CHECK(l == 24 && bc == 12 && sh == 0);
	slab_tunables(8192, 2, &l, &bc, &sh);    CHECK(l == 8 && bc == 4 && sh == 0);
	slab_tunables(262144, 2, &l, &bc, &sh);  CHECK(l == 1 && bc == 1 && sh == 0);

	/* the CLI prints the geometry of a plain (named) cache */
	char out[64];
	CHECK(slab_ops.info(&P, 200, out, sizeof(out)) && !strcmp(out, "200 19 1"));
	CHECK(slab_ops.info(&P, 3240, out, sizeof(out)) && !strcmp(out, "3240 2 2"));
	CHECK(!slab_ops.info(&P, 5u << 20, out, sizeof(out)));
}

/*
 * Every row of real 2.6.32 slabinfo: kmalloc caches (size-N) and
 * kmem_cache are created with SLAB_HWCACHE_ALIGN; ext4_inode_cache and
 * ext4_io_end with SLAB_RECLAIM_ACCOUNT (fs/ext4/super.c, page-io.c);
 * the others are taken as plain caches.
 */
static void t_real_slabinfo_2_6_32(void)
{
	FILE *f = fopen("tests/data/slabinfo-linux-slab-2.6.32.txt", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[512];
	unsigned rows = 0, kmalloc_rows = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		char name[128];
		unsigned long long active, total;
		unsigned objsize, per, pages, limit, batch, shared;
		if (sscanf(line, "%127s %llu %llu %u %u %u : tunables %u %u %u", name, &active, &total,
			   &objsize, &per, &pages, &limit, &batch, &shared) != 9) {
			CHECK_MSG(0, "unparsed row: %s", line);
			continue;
		}
		unsigned flags = 0;
		if (!strncmp(name, "size-", 5) || !strcmp(name, "kmem_cache"))
			flags = HW;
		if (!strcmp(name, "ext4_inode_cache") || !strcmp(name, "ext4_io_end"))
			flags = RA;
		/* kmalloc rows: the size is the cache's nominal size, from the name */
		uint32_t size = objsize;
		if (!strncmp(name, "size-", 5))
			size = (uint32_t)strtoul(name + 5, NULL, 10), kmalloc_rows++;
		struct slab_geometry g;
		bool ok = slab_geometry_compute(&slab_rules_linux_2_6_32, size, 0, flags, &g);
		CHECK_MSG(ok && g.objsize == objsize && g.num == per && (1u << g.order) == pages,
			  "%s: computed %u %u %u, real %u %u %u", name, g.objsize, g.num, 1u << g.order,
			  objsize, per, pages);
		uint32_t l, bc, sh;
		slab_tunables(objsize, 2, &l, &bc, &sh);
		CHECK_MSG(l == limit && bc == batch && sh == shared, "%s: tunables %u %u %u, real %u %u %u",
			  name, l, bc, sh, limit, batch, shared);
		rows++;
	}
	fclose(f);
	printf("#   %u real slabinfo rows checked (%u kmalloc)\n", rows, kmalloc_rows);
	CHECK(rows >= 38);
	CHECK(kmalloc_rows >= 6);
}

/*
 * Linux 5.4 rules (the last SLAB kernels): one-byte freelist_idx_t, at
 * most 255 objects. OBJFREELIST when num (objects of size in the slab)
 * indices fit in one object of the size asked for; else OFF_SLAB when the
 * index array's kmalloc object is at most half an object and the slab's
 * remainder cannot hold it; else on-slab: n = slab / (size + 1).
 */
static const struct geo_case geo_cases_5_4[] = {
	/* kmalloc-32: OBJFREELIST 128 indices > 32 bytes; OFF_SLAB needs
	 * kmalloc-128 <= 16: never; on-slab 4096/33 = 124 */
	{ 32, 0, HW, 32, 124, 1, 0, false },
	/* kmalloc-64: OBJFREELIST 64 <= 64 */
	{ 64, 0, HW, 64, 64, 1, 0, false },
	/* kmalloc-96: objsize 128, OBJFREELIST 32 <= 96 */
	{ 96, 0, HW, 128, 32, 1, 0, false },
	/* 16 bytes: 256 per page > 255 ends OBJFREELIST and OFF_SLAB; on-slab 4096/17 = 240 */
	{ 16, 8, 0, 16, 240, 1, 0, false },
	/* 48 bytes: OBJFREELIST 85 > 48; OFF_SLAB 85 -> kmalloc-96 (128) > 24; on-slab 4096/49 = 83, left 29 */
	{ 48, 8, RA, 48, 83, 1, 0, false },
	/* 5984: order 0 none, order 1 one object (left 2208, stop at order 1) */
	{ 5984, 8, 0, 5984, 1, 2, 34, false },
	/* 16192: order 2, one object */
	{ 16192, 8, 0, 16192, 1, 4, 3, false },
	/* 8 bytes: raised to SLAB_OBJ_MIN_SIZE 16 */
	{ 8, 8, 0, 16, 240, 1, 0, false },
	/* 24 bytes aligned to 128: 32 indices do not fit in 24 bytes; OFF_SLAB:
	 * 32 bytes of indices in kmalloc-32 <= 64, remainder 0 < 32: off-slab.
	 * (Without a constructor only alignment makes a 5.4 cache off-slab.) */
	{ 24, 128, 0, 128, 32, 1, 0, true },
};

static void t_geometry_linux_5_4(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(geo_cases_5_4); i++) {
		const struct geo_case *c = &geo_cases_5_4[i];
		struct slab_geometry g;
		bool ok = slab_geometry_compute(&slab_rules_linux_5_4, c->size, c->align, c->flags, &g);
		CHECK_MSG(ok && g.objsize == c->objsize && g.num == c->num && (1u << g.order) == c->pages &&
			  g.colour == c->colour && g.off_slab == c->off_slab,
			  "5.4 size %u: got %u %u %u colour %u off %d, want %u %u %u colour %u off %d", c->size,
			  g.objsize, g.num, 1u << g.order, g.colour, g.off_slab, c->objsize, c->num, c->pages,
			  c->colour, c->off_slab);
		uint64_t used = (uint64_t)g.num * g.objsize + (g.off_slab ? 0 : g.mgmt_bytes) + g.left_over;
		CHECK_EQ(used, (uint64_t)PAGE_SIZE << g.order);
	}
}

/* Every kmalloc row of a real 5.4 slabinfo (kmalloc-N, dma-kmalloc-N,
 * kmalloc-rcl-N with RECLAIM_ACCOUNT, and kmem_cache). */
static void t_real_slabinfo_5_4(void)
{
	FILE *f = fopen("tests/data/slabinfo-linux-slab-5.4.txt", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[512];
	unsigned rows = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		char name[128];
		unsigned long long active, total;
		unsigned objsize, per, pages, limit, batch, shared;
		if (sscanf(line, "%127s %llu %llu %u %u %u : tunables %u %u %u", name, &active, &total,
			   &objsize, &per, &pages, &limit, &batch, &shared) != 9) {
			CHECK_MSG(0, "unparsed row: %s", line);
			continue;
		}
		unsigned flags = HW;
		uint32_t size = objsize;
		const char *p = strstr(name, "kmalloc-");
		if (p) {
			p += 8;
			if (!strncmp(p, "rcl-", 4))
				p += 4, flags |= RA;
			char *end;
			size = (uint32_t)strtoul(p, &end, 10);
			if (*end == 'k') size <<= 10;
			if (*end == 'M') size <<= 20;
		}
		struct slab_geometry g;
		bool ok = slab_geometry_compute(&slab_rules_linux_5_4, size, 0, flags, &g);
		CHECK_MSG(ok && g.objsize == objsize && g.num == per && (1u << g.order) == pages,
			  "%s: computed %u %u %u, real %u %u %u", name, g.objsize, g.num, 1u << g.order,
			  objsize, per, pages);
		uint32_t l, bc, sh;
		slab_tunables(objsize, 2, &l, &bc, &sh);
		CHECK_MSG(l == limit && bc == batch && sh == shared, "%s: tunables %u %u %u, real %u %u %u",
			  name, l, bc, sh, limit, batch, shared);
		rows++;
	}
	fclose(f);
	printf("#   %u real 5.4 slabinfo rows checked\n", rows);
	CHECK(rows >= 61);
}

/* ---- magazines ----------------------------------------------------------- */

static void t_magazines(void)
{
	struct sim *s = mk(256 * MIB, 2);
	if (!s)
		return;
	/* size-128: limit 120, batchcount 60, shared 8*60 = 480, 30 per slab. */
	uint64_t k0 = sim_alloc(s, 100, 0, 0, 0, 0);
	CHECK(k0 != 0);
	/* first refill of an untouched array takes at most 16 (BATCHREFILL_LIMIT),
	 * from the one slab it had to grow: 16 out, one to the user, 15 stay */
	CHECK_EQ(rep(s, "slab_refills"), 1);
	CHECK_EQ(rep(s, "slab_slabs_grown"), 1);
	CHECK_EQ(rep(s, "slab_objects_in_arrays"), 15);
	struct cache_info ci = cache_row(s, "size-128");
	CHECK_EQ(ci.active_objs, 1);     /* live objects only (allocator.h); Linux's slabinfo counted the 15 in the array too */
	CHECK_EQ(ci.num_objs, 30);
	CHECK_EQ(ci.objsize, 128);
	CHECK_EQ(s->a->alloc_bytes, 128);
	/* 15 more come from the array without a refill */
	uint64_t keys[400];
	keys[0] = k0;
	for (int i = 1; i < 16; i++)
		keys[i] = sim_alloc(s, 128, 0, 0, 0, 0);
	CHECK_EQ(rep(s, "slab_array_hits"), 15);
	CHECK_EQ(rep(s, "slab_refills"), 1);
	/* the next refill (array touched now) may take 60, but slab 1 has only
	 * 14 left and a slab is grown only when the array is still empty
	 * (cache_alloc_refill's must_grow): 14 come in, one goes out */
	keys[16] = sim_alloc(s, 128, 0, 0, 0, 0);
	CHECK_EQ(rep(s, "slab_refills"), 2);
	CHECK_EQ(rep(s, "slab_objects_in_arrays"), 13);
	CHECK_EQ(rep(s, "slab_slabs_grown"), 1);
	CHECK_EQ(cache_row(s, "size-128").active_slabs, 1);   /* full now */
	slab_ok(s, "magazines", 0);
	/* a free on CPU 1 goes to CPU 1's array (not to the slab, not to CPU 0) */
	sim_free(s, keys[0], 1);
	CHECK_EQ(rep(s, "slab_objects_in_arrays"), 14);
	CHECK_EQ(s->a->alloc_bytes, 16 * 128);
	/* fill CPU 1's array (limit 120): allocate 200 on CPU 0, free them on CPU 1 */
	int n = 17;
	while (n < 17 + 200)
		keys[n++] = sim_alloc(s, 128, 0, 0, 0, 0);
	for (int i = 1; i < 17 + 119 - 16; i++)      /* 120 in CPU 1's array */
		sim_free(s, keys[i], 1);
	CHECK_EQ(rep(s, "slab_flushes"), 0);
	sim_free(s, keys[17 + 119 - 16], 1);          /* the 121st: flush 60 to the shared array */
	CHECK_EQ(rep(s, "slab_flushes"), 1);
	CHECK_EQ(rep(s, "slab_flushes_to_shared"), 1);
	CHECK_EQ(rep(s, "slab_objects_in_shared"), 60);
	/* CPU 0 empties its array, then refills from the shared array first */
	double before = rep(s, "slab_refills_from_shared");
	for (int i = 0; i < 200; i++)
		sim_alloc(s, 128, 0, 0, 0, 0);
	CHECK(rep(s, "slab_refills_from_shared") > before);
	slab_ok(s, "magazines end", 1);
	sim_destroy(s);
}

/* ---- colouring and off-slab accounting ------------------------------------ */

struct offs { uint64_t page[64], min[64]; unsigned n; };
static void walk_offsets(void *ctx, uint64_t va, uint64_t len)
{
	(void)len;
	struct offs *o = ctx;
	uint64_t pg = va & ~(uint64_t)(PAGE_SIZE - 1);
	for (unsigned i = 0; i < o->n; i++)
		if (o->page[i] == pg) {
			if ((va & (PAGE_SIZE - 1)) < o->min[i])
				o->min[i] = va & (PAGE_SIZE - 1);
			return;
		}
	if (o->n < 64) {
		o->page[o->n] = pg;
		o->min[o->n++] = va & (PAGE_SIZE - 1);
	}
}

static void t_colouring_cycles(void)
{
	struct sim *s = mk(256 * MIB, 2);
	if (!s)
		return;
	/* 600-byte cache: 6 per slab, on-slab management 72 bytes, 6 colours
	 * of 64 bytes: the first object of slab k is at 72 + 64 * (k % 6). */
	int c = sim_cache(s, "c600", 600, 8);
	CHECK(c > 0);
	for (int i = 0; i < 72; i++)            /* exactly 12 full slabs */
		CHECK(sim_alloc(s, 600, c, 0, 0, 0) != 0);
	struct cache_info ci = cache_row(s, "c600");
	CHECK_EQ(ci.num_slabs, 12);
	CHECK_EQ(ci.active_slabs, 12);
	struct offs o = { .n = 0 };
	s->a->ops->walk(s->a, walk_offsets, &o);
	CHECK_EQ(o.n, 12);
	unsigned seen[6] = { 0 };
	for (unsigned i = 0; i < o.n; i++) {
		uint64_t off = o.min[i];
		CHECK_MSG(off >= 72 && (off - 72) % 64 == 0 && (off - 72) / 64 < 6, "first object at %llu",
			  (unsigned long long)off);
		if (off >= 72 && (off - 72) / 64 < 6)
			seen[(off - 72) / 64]++;
	}
	for (int k = 0; k < 6; k++)
		CHECK_MSG(seen[k] == 2, "colour %d used by %u slabs, want 2", k, seen[k]);

	/* off-slab: a 512-byte cache keeps its 48 + 8*4 = 80-byte descriptor in
	 * size-96, whose objects are 128 bytes (HWCACHE_ALIGN), so meta_bytes
	 * grows by 128 per slab (arrays aside) */
	int d = sim_cache(s, "c512", 512, 8);
	CHECK(sim_alloc(s, 512, d, 0, 0, 0) != 0);
	uint64_t meta1 = s->a->meta_bytes;
	for (int i = 0; i < 8 * 5 - 1; i++)
		CHECK(sim_alloc(s, 512, d, 0, 0, 0) != 0);
	CHECK_EQ(cache_row(s, "c512").num_slabs, 5);
	CHECK_EQ(s->a->meta_bytes - meta1, 4 * 128);
	CHECK(rep(s, "slab_offslab_caches") >= 1);
	slab_ok(s, "colouring", 0);
	sim_destroy(s);
}

/* ---- random runs ---------------------------------------------------------- */

static const uint32_t kmalloc_classes[] = {
	32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536,
	131072, 262144, 524288, 1048576, 2097152, 4194304,
};

/* The allocated size of an object, from the geometry alone. */
static uint32_t objsize_of(uint32_t size, uint32_t cache_size, uint32_t cache_align)
{
	struct slab_geometry g;
	if (cache_size) {
		slab_geometry_compute(&slab_rules_linux_2_6_32, cache_size, cache_align, 0, &g);
		return g.objsize;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kmalloc_classes); i++)
		if (size <= kmalloc_classes[i]) {
			slab_geometry_compute(&slab_rules_linux_2_6_32, kmalloc_classes[i], 0, HW, &g);
			return g.objsize;
		}
	return 0;
}

/* A treap of disjoint intervals [lo, hi): the test's own map of live objects. */
struct tnode { uint64_t lo, hi; uint32_t prio; int l, r; };
struct treap { struct tnode *n; int root, used, cap, freelist; uint32_t seed; };

static int treap_new(struct treap *t, uint64_t lo, uint64_t hi)
{
	int i;
	if (t->freelist >= 0) { i = t->freelist; t->freelist = t->n[i].l; }
	else {
		if (t->used == t->cap) { t->cap = t->cap ? t->cap * 2 : 1024; t->n = realloc(t->n, (size_t)t->cap * sizeof(*t->n)); }
		i = t->used++;
	}
	t->seed = t->seed * 1103515245u + 12345u;
	t->n[i] = (struct tnode){ lo, hi, t->seed, -1, -1 };
	return i;
}
static void treap_split(struct treap *t, int x, uint64_t key, int *a, int *b)   /* a: lo < key */
{
	if (x < 0) { *a = *b = -1; return; }
	if (t->n[x].lo < key) { treap_split(t, t->n[x].r, key, &t->n[x].r, b); *a = x; }
	else { treap_split(t, t->n[x].l, key, a, &t->n[x].l); *b = x; }
}
static int treap_merge(struct treap *t, int a, int b)
{
	if (a < 0) return b;
	if (b < 0) return a;
	if (t->n[a].prio > t->n[b].prio) { t->n[a].r = treap_merge(t, t->n[a].r, b); return a; }
	t->n[b].l = treap_merge(t, a, t->n[b].l);
	return b;
}
/* Insert [lo, hi) if it overlaps nothing; false if it overlaps. */
static bool treap_insert(struct treap *t, uint64_t lo, uint64_t hi)
{
	/* predecessor: largest start <= lo; successor: smallest start > lo */
	uint64_t pred_hi = 0, succ_lo = UINT64_MAX;
	for (int x = t->root; x >= 0;) {
		if (t->n[x].lo <= lo) { pred_hi = t->n[x].hi; x = t->n[x].r; }
		else { succ_lo = t->n[x].lo; x = t->n[x].l; }
	}
	if (pred_hi > lo || succ_lo < hi)
		return false;
	int a, b;
	treap_split(t, t->root, lo, &a, &b);
	t->root = treap_merge(t, treap_merge(t, a, treap_new(t, lo, hi)), b);
	return true;
}
static bool treap_remove(struct treap *t, uint64_t lo, uint64_t hi)
{
	int a, b, c;
	treap_split(t, t->root, lo, &a, &b);
	treap_split(t, b, lo + 1, &b, &c);
	bool ok = b >= 0 && t->n[b].hi == hi && t->n[b].l < 0 && t->n[b].r < 0;
	if (b >= 0) { t->n[b].l = t->freelist; t->freelist = b; }
	t->root = treap_merge(t, a, c);
	return ok;
}

struct live { uint64_t key, addr; uint32_t objsize; };

/*
 * ops operations over at most maxlive objects on `cpus` CPUs; frees on a
 * random CPU; time advances now and then (reaps); every check_every ops
 * check() runs. Every object goes into the interval map at its allocated
 * size; alloc_bytes must equal the test's own sum.
 */
static void random_run(long ops, unsigned maxlive, long check_every, unsigned cpus, uint64_t seed)
{
	struct sim *s = mk(512 * MIB, cpus);
	if (!s)
		return;
	struct rng r;
	rng_seed(&r, seed);
	const uint32_t csz[4] = { 16, 200, 600, 4000 }, cal[4] = { 8, 8, 64, 8 };
	int caches[4];
	for (int i = 0; i < 4; i++) {
		char name[32];
		snprintf(name, sizeof(name), "t-%u", csz[i]);
		caches[i] = sim_cache(s, name, csz[i], cal[i]);
		CHECK(caches[i] > 0);
	}
	struct live *live = calloc(maxlive, sizeof(*live));
	struct treap tr = { .root = -1, .freelist = -1, .seed = 1 };
	unsigned nlive = 0;
	uint64_t bytes = 0, fails = 0;
	bool good = true;
	for (long op = 0; op < ops && good; op++) {
		unsigned cpu = (unsigned)rng_below(&r, cpus);
		uint64_t u = rng_below(&r, 1000);
		if (u < 3) {
			sim_advance(s, rng_below(&r, 3000) * 1000000ull);   /* up to 3 s */
		} else if (u < 4) {
			sim_reclaim(s);
		} else if (nlive < maxlive && (nlive == 0 || u < 540)) {
			int ci = (int)rng_below(&r, 6) - 2;
			int cache = ci < 0 ? 0 : caches[ci];
			uint32_t size;
			uint64_t v = rng_below(&r, 1000);
			if (cache) size = csz[ci];
			else if (v < 700) size = 1 + (uint32_t)rng_below(&r, 256);
			else if (v < 950) size = 1 + (uint32_t)rng_below(&r, 4096);
			else if (v < 999) size = 1 + (uint32_t)rng_below(&r, 65536);
			else size = 1 + (uint32_t)rng_below(&r, 1u << 20);
			unsigned gfp = rng_below(&r, 50) == 0 ? GFP_DMA : 0;
			uint64_t key = sim_alloc(s, size, cache, cpu, gfp, 0);
			if (!key) { fails++; continue; }
			struct obj *o = objtab_lookup(&s->objs, key);
			uint32_t os = objsize_of(size, cache ? csz[ci] : 0, cache ? cal[ci] : 0);
			if (!treap_insert(&tr, o->addr, o->addr + os)) {
				CHECK_MSG(0, "op %ld: object %#llx+%u overlaps a live object", op,
					  (unsigned long long)o->addr, os);
				good = false;
			}
			if ((gfp & GFP_DMA) && !cache) {
				uint32_t pfn = kvm_va_to_pfn(s->kvm, o->addr);
				if (pfn == PFN_NONE || pfn >= s->pm->zone_end[ZONE_DMA]) {
					CHECK_MSG(0, "op %ld: DMA object %#llx outside ZONE_DMA", op, (unsigned long long)o->addr);
					good = false;
				}
			}
			live[nlive++] = (struct live){ key, o->addr, os };
			bytes += os;
		} else {
			unsigned i = (unsigned)rng_below(&r, nlive);
			struct live l = live[i];
			live[i] = live[--nlive];
			if (!treap_remove(&tr, l.addr, l.addr + l.objsize)) {
				CHECK_MSG(0, "op %ld: interval map lost %#llx", op, (unsigned long long)l.addr);
				good = false;
			}
			sim_free(s, l.key, cpu);
			bytes -= l.objsize;
		}
		if (s->a->alloc_bytes != bytes) {
			CHECK_MSG(0, "op %ld: alloc_bytes %llu, test counts %llu", op,
				  (unsigned long long)s->a->alloc_bytes, (unsigned long long)bytes);
			good = false;
		}
		if (op % check_every == 0 && !slab_ok(s, "after op", op))
			good = false;
	}
	CHECK_MSG(fails == 0, "%llu allocations failed on 512 MiB", (unsigned long long)fails);
	CHECK(rep(s, "slab_reaps") > 0);
	CHECK(rep(s, "slab_bad_frees") == 0);
	while (nlive)
		sim_free(s, live[--nlive].key, (unsigned)rng_below(&r, cpus));
	sim_reclaim(s);
	if (good) {
		slab_ok(s, "after freeing everything", ops);
		CHECK_EQ(s->a->alloc_bytes, 0);
		CHECK_EQ(kvm_stats(s->kvm)->pages_held, 0);
	}
	free(tr.n);
	free(live);
	sim_destroy(s);
}

static void t_check_every_op_cross_cpu(void)
{
	random_run(30000, 400, 1, 4, 7);
	random_run(20000, 2000, 1, 2, 8);
	backing = BACKING_MAPPED;          /* Mach-style kernel map: slabs of order-0 frames */
	random_run(20000, 1000, 1, 2, 9);
	backing = BACKING_DIRECT;
}

/* kmalloc(GFP_DMA) is served by size-N(DMA) caches with ZONE_DMA slabs. */
static void t_dma_caches(void)
{
	struct sim *s = mk(256 * MIB, 2);
	if (!s)
		return;
	uint64_t k = sim_alloc(s, 100, 0, 0, GFP_DMA, 0);
	CHECK(k != 0);
	struct obj *o = objtab_lookup(&s->objs, k);
	uint32_t pfn = kvm_va_to_pfn(s->kvm, o->addr);
	CHECK(pfn != PFN_NONE && pfn < s->pm->zone_end[ZONE_DMA]);
	struct cache_info ci = cache_row(s, "size-128(DMA)");
	CHECK_EQ(ci.num_slabs, 1);
	CHECK_EQ(ci.objsize, 128);
	uint64_t k2 = sim_alloc(s, 100, 0, 0, 0, 0);      /* the same size without GFP_DMA */
	o = objtab_lookup(&s->objs, k2);
	CHECK(kvm_va_to_pfn(s->kvm, o->addr) >= s->pm->zone_end[ZONE_DMA]);
	CHECK_EQ(cache_row(s, "size-128").num_slabs, 1);
	sim_free(s, k, 1);
	sim_free(s, k2, 0);
	sim_reclaim(s);
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 0);
	slab_ok(s, "dma", 0);
	sim_destroy(s);
}

static void t_million_ops_interval_map(void)
{
	random_run(1000000, 20000, 50000, 2, 99);
}

/* ---- reaping -------------------------------------------------------------- */

static void t_reap(void)
{
	struct sim *s = mk(256 * MIB, 2);
	if (!s)
		return;
	uint64_t free0 = page_free_pages(s->pl);
	/* 64-byte cache: 59 per slab, limit 120, batchcount 60, shared 480,
	 * free_limit = (1 + 2) * 60 + 59 = 239 objects = 4 free slabs at most. */
	int c = sim_cache(s, "r64", 64, 8);
	enum { N = 3000 };
	static uint64_t keys[N];
	for (int i = 0; i < N; i++)
		keys[i] = sim_alloc(s, 64, c, 0, 0, 0);
	for (int i = 0; i < N; i++)
		sim_free(s, keys[i], 1);
	slab_ok(s, "after free", 0);
	double free_slabs = rep(s, "slab_free_slabs");
	CHECK_MSG(free_slabs >= 1 && free_slabs * 59 <= 239,
		  "%g free slabs after freeing %d objects; free_limit allows 4", free_slabs, N);
	CHECK(rep(s, "slab_slabs_freed") > 0);    /* the rest went back while freeing */
	double arr = rep(s, "slab_objects_in_arrays");
	double shared = rep(s, "slab_objects_in_shared");
	CHECK_EQ(shared, 480);
	/* CPU 1's array is full (120) and was never touched by an alloc; CPU 0's
	 * was touched. The first reap (2 s) takes (120 + 4) / 5 = 24 from CPU 1
	 * and only clears CPU 0's touched flag. */
	sim_advance(s, 2000ull * 1000 * 1000 + 1);
	CHECK_EQ(rep(s, "slab_reaps"), 1);
	CHECK_EQ(arr - rep(s, "slab_objects_in_arrays"), 24);
	slab_ok(s, "after one reap", 1);
	/* a long idle: every array drains, every free slab goes back */
	for (int i = 0; i < 120; i++)
		sim_advance(s, 1000ull * 1000 * 1000);
	CHECK_EQ(rep(s, "slab_objects_in_arrays"), 0);
	CHECK_EQ(rep(s, "slab_free_slabs"), 0);
	CHECK(rep(s, "slab_reap_slabs_freed") > 0);
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 0);
	CHECK_EQ(page_free_pages(s->pl), free0);
	slab_ok(s, "after idle", 2);
	sim_destroy(s);
}

/* ---- exhaustion ----------------------------------------------------------- */

static void t_exhaustion_and_recovery(void)
{
	struct sim *s = mk(32 * MIB, 2);
	if (!s)
		return;
	uint64_t free0 = page_free_pages(s->pl);
	CHECK(sim_alloc(s, (4u << 20) + 1, 0, 0, 0, 0) == 0);
	CHECK_EQ(s->a->last_fail, FAIL_TOO_BIG);
	CHECK_EQ(s->st.failed_by[FAIL_TOO_BIG], 1);
	enum { MAXK = 1 << 18 };
	uint64_t *keys = malloc(MAXK * sizeof(*keys));
	struct rng r;
	rng_seed(&r, 3);
	unsigned n = 0;
	int c = sim_cache(s, "e192", 192, 8);
	while (n < MAXK && s->st.failed_allocs < 200) {
		unsigned cpu = (unsigned)rng_below(&r, 2);
		uint32_t size = rng_below(&r, 3) ? 1 + (uint32_t)rng_below(&r, 3000) : 192;
		uint64_t k = sim_alloc(s, size, size == 192 ? c : 0, cpu, 0, 0);
		if (k)
			keys[n++] = k;
		if (n % 1024 == 0)
			slab_ok(s, "filling", (long)n);
	}
	CHECK(s->st.failed_by[FAIL_NOMEM] >= 199);
	CHECK(rep(s, "slab_grow_failures") >= 199);
	slab_ok(s, "at exhaustion", (long)n);
	for (unsigned j = 0; j < n; j++)
		sim_free(s, keys[j], (unsigned)rng_below(&r, 2));
	sim_reclaim(s);
	slab_ok(s, "after recovery", (long)n);
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 0);
	CHECK_EQ(page_free_pages(s->pl), free0);
	CHECK_EQ(s->a->alloc_bytes, 0);
	CHECK(sim_alloc(s, 100, 0, 1, 0, 0) != 0);
	free(keys);
	sim_destroy(s);
}

int main(void)
{
	params_init(&P);
	RUN(t_geometry_known_answers);
	RUN(t_real_slabinfo_2_6_32);
	RUN(t_geometry_linux_5_4);
	RUN(t_real_slabinfo_5_4);
	RUN(t_magazines);
	RUN(t_colouring_cycles);
	RUN(t_check_every_op_cross_cpu);
	RUN(t_dma_caches);
	RUN(t_million_ops_interval_map);
	RUN(t_reap);
	RUN(t_exhaustion_and_recovery);
	return check_done();
}
