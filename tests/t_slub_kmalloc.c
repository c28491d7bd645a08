/*
 * t_slub_kmalloc.c - SLUB's kmalloc routing and trace cache identity, with
 * known answers worked from Linux 6.18's rules:
 *  - trace_gfp_parse(): the names show_gfp_flags() prints (composites of
 *    include/trace/events/mmflags.h first, then single __GFP_ bits) and
 *    trace-cmd's numeric masks (gfp_types.h bit values);
 *  - kmalloc_type(): 100 bytes -> kmalloc-128, kmalloc-cg-128 with
 *    __GFP_ACCOUNT, kmalloc-rcl-128 with __GFP_RECLAIMABLE, dma-kmalloc-128
 *    with GFP_DMA, priority DMA > RECLAIMABLE > ACCOUNT; the same from
 *    trace lines;
 *  - a trace's name= is the kernel's own cache: dentry and filp stay two
 *    caches (kmem_cache_create would merge them: 184 aligned to 64 and 192
 *    are both 192-byte objects), while sim_cache() still merges.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "testsim.h"
#include "../allocators/allocator.h"

#define NROWS 64
static struct { char name[48]; uint64_t active, num; uint32_t objsize; } rows[NROWS];
static unsigned nrows;

static void row_fn(void *ctx, const struct cache_info *ci)
{
	(void)ctx;
	if (nrows < NROWS) {
		snprintf(rows[nrows].name, sizeof(rows[nrows].name), "%s", ci->name);
		rows[nrows].active = ci->active_objs;
		rows[nrows].num = ci->num_objs;
		rows[nrows].objsize = ci->objsize;
	}
	nrows++;
}

static void rows_read(struct sim *s)
{
	nrows = 0;
	s->a->ops->caches(s->a, row_fn, NULL);
	CHECK(nrows <= NROWS);
}

/* Live objects of the row called name; -1 if there is no such row. */
static long long row_active(const char *name)
{
	for (unsigned i = 0; i < nrows && i < NROWS; i++)
		if (strcmp(rows[i].name, name) == 0)
			return (long long)rows[i].active;
	return -1;
}

static struct sim *mk(const char *alloc)
{
	struct params *p = calloc(1, sizeof(*p));   /* lives as long as the sim: leaked per test, small */
	testsim_params(p, alloc, 64 * MIB);
	p->db = NULL;
	return testsim_create(p);
}

static void mk_free(struct sim *s)
{
	const struct params *p = s->p;
	sim_destroy(s);
	free((void *)p);
}

static void t_gfp_names(void)
{
#define G(str) trace_gfp_parse(str, strlen(str))
	/* names as a 6.18 ftrace prints them (all seen in tests/data/gcc-small) */
	CHECK_EQ(G("GFP_KERNEL"), 0);
	CHECK_EQ(G("GFP_KERNEL_ACCOUNT"), GFP_ACCOUNT);
	CHECK_EQ(G("GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP"), GFP_ACCOUNT);
	CHECK_EQ(G("GFP_NOWAIT|__GFP_ZERO|__GFP_ACCOUNT"), GFP_ACCOUNT);
	CHECK_EQ(G("GFP_NOFS|__GFP_ZERO|__GFP_NOFAIL|__GFP_HARDWALL|__GFP_ACCOUNT"), GFP_ACCOUNT);
	CHECK_EQ(G("GFP_NOWAIT|__GFP_RECLAIMABLE|__GFP_NORETRY|__GFP_COMP"), GFP_RECLAIMABLE);
	CHECK_EQ(G("__GFP_RECLAIMABLE|__GFP_IO|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC"),
		 GFP_RECLAIMABLE);
	CHECK_EQ(G("GFP_KERNEL|__GFP_RECLAIMABLE|__GFP_ACCOUNT|GFP_DMA"), GFP_RECLAIMABLE | GFP_ACCOUNT | GFP_DMA);
	/* composites without either bit; a name is matched whole */
	CHECK_EQ(G("GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP"), 0);
	CHECK_EQ(G("GFP_TRANSHUGE|GFP_USER|GFP_NOIO|GFP_ATOMIC|__GFP_RECLAIM"), 0);
	CHECK_EQ(G("GFP_KERNEL_ACCOUNTX"), 0);
	CHECK_EQ(G("__GFP_RECLAIMABLEX|X__GFP_ACCOUNT"), 0);
	/* trace-cmd numbers: GFP_KERNEL = __GFP_RECLAIM|__GFP_IO|__GFP_FS =
	 * 0x400|0x800|0x40|0x80 = 0xcc0; GFP_KERNEL_ACCOUNT = 0xcc0|0x400000 */
	CHECK_EQ(G("0xcc0"), 0);
	CHECK_EQ(G("0x400cc0"), GFP_ACCOUNT);
	CHECK_EQ(G("0x10"), GFP_RECLAIMABLE);
	CHECK_EQ(G("0x400015"), GFP_ACCOUNT | GFP_RECLAIMABLE | GFP_DMA | GFP_DMA32);
#undef G
}

/* kmalloc(100, gfp) on the back end: which row holds it. */
static void t_route_direct(void)
{
	struct sim *s = mk("slub");
	if (!s) { CHECK(0); return; }
	struct allocator *a = s->a;
	static const struct { unsigned gfp; const char *row; } cases[] = {
		{ 0,                                          "kmalloc-128" },
		{ GFP_ACCOUNT,                                "kmalloc-cg-128" },
		{ GFP_RECLAIMABLE,                            "kmalloc-rcl-128" },
		{ GFP_DMA,                                    "dma-kmalloc-128" },
		{ GFP_DMA | GFP_RECLAIMABLE | GFP_ACCOUNT,    "dma-kmalloc-128" },   /* DMA first */
		{ GFP_RECLAIMABLE | GFP_ACCOUNT,              "kmalloc-rcl-128" },   /* then RECLAIMABLE */
		{ GFP_ACCOUNT | GFP_ZERO | GFP_NOWARN,        "kmalloc-cg-128" },
		{ GFP_DMA32 | GFP_ATOMIC,                     "kmalloc-128" },       /* DMA32 is no type */
	};
	uint64_t va[ARRAY_SIZE(cases)];
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		rows_read(s);
		long long before = row_active(cases[i].row);
		va[i] = a->ops->alloc(a, 0, 100, 0, cases[i].gfp);
		CHECK(va[i] != 0);
		rows_read(s);
		CHECK_MSG(row_active(cases[i].row) == (before < 0 ? 0 : before) + 1,
			  "kmalloc(100, %#x): %s holds %lld objects, had %lld", cases[i].gfp, cases[i].row,
			  row_active(cases[i].row), before);
	}
	/* the four types are four caches: four different slabs */
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < i; j++)
			CHECK((va[i] >> PAGE_SHIFT) != (va[j] >> PAGE_SHIFT));
	CHECK_EQ(s->pm->frames[kvm_va_to_pfn(s->kvm, va[3])].zone, ZONE_DMA);
	CHECK(s->pm->frames[kvm_va_to_pfn(s->kvm, va[1])].zone != ZONE_DMA);
	CHECK(s->pm->frames[kvm_va_to_pfn(s->kvm, va[2])].zone != ZONE_DMA);
	/* 13 kmalloc-N at create, + cg-128, rcl-128, dma-128 on first use, each
	 * with kmalloc-128's geometry */
	CHECK_EQ(nrows, 16);
	for (unsigned i = 0; i < nrows && i < NROWS; i++)
		if (strstr(rows[i].name, "-128"))
			CHECK_MSG(rows[i].objsize == 128 && rows[i].num == 32, "%s: %u-byte objects, %llu per slab",
				  rows[i].name, rows[i].objsize, (unsigned long long)rows[i].num);
	char msg[512];
	CHECK(a->ops->check(a, msg, sizeof(msg)));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		a->ops->free(a, 0, va[i], 100, 0);
	a->ops->reclaim(a);
	CHECK_EQ(kvm_stats(s->kvm)->pages_held, 0);
	mk_free(s);
}

static const char *write_tmp(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/kms-t_slub_kmalloc-%d-%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
		 (int)getpid(), name);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static bool replay(struct sim *s, const char *text)
{
	struct trace_stats ts = { 0 };
	char err[512] = "";
	const char *path = write_tmp("trace.txt", text);
	int rc = trace_replay(s, path, false, &ts, err, sizeof(err));
	unlink(path);
	CHECK_MSG(rc == 0, "replay: %s", err);
	return rc == 0;
}

/* The same routing from trace lines (a 6.18 ftrace, and numeric masks as
 * trace-cmd prints them). */
static void t_route_trace(void)
{
	struct sim *s = mk("slub");
	if (!s) { CHECK(0); return; }
	const char *t =
		"  a-1 [000] ..... 1.000001: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000011 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL node=-1 accounted=false\n"
		"  a-1 [000] ..... 1.000002: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000012 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO node=-1 accounted=true\n"
		"  a-1 [000] ..... 1.000003: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000013 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_NOWAIT|__GFP_ACCOUNT node=-1 accounted=true\n"
		"  a-1 [001] ..... 1.000004: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000014 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL|__GFP_RECLAIMABLE node=-1 accounted=false\n"
		"  a-1 [001] ..... 1.000005: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000015 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL|GFP_DMA node=-1 accounted=false\n"
		"  a-1 [001] ..... 1.000006: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000016 bytes_req=100 bytes_alloc=128 gfp_flags=0x400cc0 node=-1 accounted=true\n"
		"  a-1 [001] ..... 1.000007: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000017 bytes_req=100 bytes_alloc=128 gfp_flags=0x400cd0 node=-1 accounted=true\n";
	if (replay(s, t)) {
		CHECK_EQ(s->st.allocs, 7);
		rows_read(s);
		CHECK_EQ(row_active("kmalloc-128"), 1);
		CHECK_EQ(row_active("kmalloc-cg-128"), 3);   /* GFP_KERNEL_ACCOUNT, __GFP_ACCOUNT, 0x400cc0 */
		CHECK_EQ(row_active("kmalloc-rcl-128"), 2);  /* __GFP_RECLAIMABLE, 0x400cd0 (0x10 wins over ACCOUNT) */
		CHECK_EQ(row_active("dma-kmalloc-128"), 1);
	}
	mk_free(s);
}

/* Trace names are the kernel's caches: never merged again, whatever
 * --no-merge says; sim_cache() (kmem_cache_create) still merges. */
static void t_trace_names_not_merged(void)
{
	const char *t =
		"  a-1 [000] ..... 1.000001: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000021 name=filp bytes_req=184 bytes_alloc=192 gfp_flags=GFP_KERNEL node=-1 accounted=true\n"
		"  a-1 [000] ..... 1.000002: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000022 name=dentry bytes_req=192 bytes_alloc=192 gfp_flags=GFP_KERNEL node=-1 accounted=true\n"
		"  a-1 [000] ..... 1.000003: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000023 name=dentry bytes_req=192 bytes_alloc=192 gfp_flags=GFP_KERNEL node=-1 accounted=true\n"
		"  a-1 [000] ..... 1.000004: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000024 name=buffer_head bytes_req=104 bytes_alloc=104 gfp_flags=GFP_NOFS node=-1 accounted=false\n"
		"  a-1 [000] ..... 1.000005: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000025 name=anon_vma bytes_req=96 bytes_alloc=104 gfp_flags=GFP_KERNEL node=-1 accounted=true\n";
	struct sim *s = mk("slub");
	if (!s) { CHECK(0); return; }
	if (replay(s, t)) {
		rows_read(s);
		CHECK_EQ(row_active("filp"), 1);
		CHECK_EQ(row_active("dentry"), 2);
		CHECK_EQ(row_active("buffer_head"), 1);
		CHECK_EQ(row_active("anon_vma"), 1);
		CHECK_EQ(nrows, 13 + 4);
		/* dentry's objects follow each other in its own slab, not filp's */
		uint64_t f = testsim_addr(s, 0x21), d1 = testsim_addr(s, 0x22), d2 = testsim_addr(s, 0x23);
		CHECK(f && d1 && d2 && (f >> PAGE_SHIFT) != (d1 >> PAGE_SHIFT));
	}
	mk_free(s);
	/* the same caches made as kmem_cache_create makes them: 4 names, 2 caches */
	s = mk("slub");
	if (!s) { CHECK(0); return; }
	int cf = sim_cache(s, "filp", 184, 64), cd = sim_cache(s, "dentry", 192, 8);
	int cb = sim_cache(s, "buffer_head", 104, 8), ca = sim_cache(s, "anon_vma", 104, 8);
	CHECK(cf > 0 && cd > 0 && cb > 0 && ca > 0);
	CHECK_EQ(s->caches[cd].id, s->caches[cf].id);
	CHECK_EQ(s->caches[ca].id, s->caches[cb].id);
	CHECK(s->caches[cb].id != s->caches[cf].id);
	rows_read(s);
	CHECK_EQ(nrows, 13 + 2);
	CHECK_EQ(row_active("dentry"), -1);
	/* and sim_cache_create(CACHE_NO_MERGE) does not */
	int cx = sim_cache_create(s, "dentry2", 192, 8, CACHE_NO_MERGE);
	CHECK(cx > 0 && s->caches[cx].id != s->caches[cf].id);
	mk_free(s);
}

/* Back ends without merging or kmalloc types take the flags and ignore
 * them: the same trace replays on every back end. */
static void t_other_backends(void)
{
	static const char *const names[] = { "slab", "slob", "zone", "nta", "buddy" };
	const char *t =
		"  a-1 [000] ..... 1.000001: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000011 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL_ACCOUNT node=-1 accounted=true\n"
		"  a-1 [000] ..... 1.000002: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000012 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL|__GFP_RECLAIMABLE node=-1 accounted=false\n"
		"  a-1 [000] ..... 1.000003: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000021 name=filp bytes_req=184 bytes_alloc=192 gfp_flags=GFP_KERNEL node=-1 accounted=true\n"
		"  a-1 [000] ..... 1.000004: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000022 name=dentry bytes_req=192 bytes_alloc=192 gfp_flags=GFP_KERNEL node=-1 accounted=true\n";
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct sim *s = mk(names[i]);
		if (!s) { CHECK(0); continue; }
		if (replay(s, t)) {
			CHECK_MSG(s->st.allocs == 4 && s->st.failed_allocs == 0, "%s: %llu allocs, %llu failed", names[i],
				  (unsigned long long)s->st.allocs, (unsigned long long)s->st.failed_allocs);
			CHECK_EQ(s->ncaches, 2);
		}
		mk_free(s);
	}
}

int main(void)
{
	RUN(t_gfp_names);
	RUN(t_route_direct);
	RUN(t_route_trace);
	RUN(t_trace_names_not_merged);
	RUN(t_other_backends);
	return check_done();
}
