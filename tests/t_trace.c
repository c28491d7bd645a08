/*
 * t_trace.c - trace replay: each format from a hand-written fixture with
 * counts worked out by hand (comments give the arithmetic), malformed
 * lines reported as FILE:LINE, --lenient counting, the cache geometry
 * rule, gfp zone flags reaching the page allocator, and a fuzz of random
 * bytes and mutated real lines that must never crash.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "../sim/engine.h"
#include "../sim/rng.h"
#include "../sim/trace.h"

static struct params prm;

static struct sim *mk(unsigned check_every)
{
	params_init(&prm);
	prm.allocator = "buddy";
	prm.db = NULL;
	prm.check_every = check_every;
	prm.progress = false;
	physmem_config_init(&prm.mem, 512 * MIB);
	char err[256];
	struct sim *s = sim_create(&prm, err, sizeof(err));
	if (!s)
		printf("#   sim_create: %s\n", err);
	return s;
}

static char tmpdir[] = "/tmp/t_trace.XXXXXX";

/* Write text to a file in the test's directory; returns its path (static). */
static const char *write_tmp(const char *name, const char *text, size_t len)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ & 3];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "wb");
	if (!f)
		abort();
	fwrite(text, 1, len, f);
	fclose(f);
	return p;
}

static int replay(struct sim *s, const char *path, bool lenient, struct trace_stats *ts, char *err)
{
	memset(err, 0, 512);
	return trace_replay(s, path, lenient, ts, err, 512);
}

static int cache_id(struct sim *s, const char *name)
{
	for (unsigned i = 1; i <= s->ncaches; i++)
		if (strcmp(s->caches[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void check_cache(struct sim *s, const char *name, uint32_t size, uint32_t align)
{
	int i = cache_id(s, name);
	CHECK_MSG(i > 0, "cache %s not created", name);
	if (i > 0) {
		CHECK_MSG(s->caches[i].size == size && s->caches[i].align == align,
			  "cache %s: size %u align %u, expected %u %u", name,
			  s->caches[i].size, s->caches[i].align, size, align);
	}
}

/* Current kernel (6.x) ftrace text: %pS call sites (two from a module),
 * name=, node=, accounted=, hex pfn, kfree(NULL), an unknown free, two
 * other events. Live bytes: 4096+184+24+1120+96+72 = 5592 at the peak
 * (6 objects); names_cache (4096) and the 72-byte kmalloc are freed:
 * 1424 left in 4 objects. Time: last replayed event .320470 - .320374. */
static void t_format_current(void)
{
	struct sim *s = mk(1);
	struct trace_stats ts;
	char err[512];
	CHECK_EQ(replay(s, "tests/data/trace-current.txt", false, &ts, err), 0);
	CHECK_MSG(ts.format && strcmp(ts.format, "ftrace") == 0, "format %s", ts.format ? ts.format : "NULL");
	CHECK_EQ(ts.lines, 28);
	CHECK_EQ(ts.events, 14);
	CHECK_EQ(ts.other, 2);
	CHECK_EQ(ts.malformed, 0);
	CHECK_EQ(s->st.allocs, 6);
	CHECK_EQ(s->st.frees, 2);
	CHECK_EQ(s->st.free_null, 1);
	CHECK_EQ(s->st.free_unknown, 1);
	CHECK_EQ(s->st.peak_live_bytes, 5592);
	CHECK_EQ(s->st.peak_live_objects, 6);
	CHECK_EQ(s->st.live_bytes, 1424);
	CHECK_EQ(s->st.live_objects, 4);
	CHECK_EQ(s->st.page_allocs, 2);
	CHECK_EQ(s->st.page_frees, 2);
	CHECK_EQ(s->st.page_free_unknown, 0);
	CHECK_EQ(s->now, 96000);
	CHECK_EQ(s->ncaches, 4);
	check_cache(s, "names_cache", 4096, 64);
	check_cache(s, "filp", 184, 64);
	check_cache(s, "lsm_file_cache", 24, 8);
	check_cache(s, "ext4_inode_cache", 1128, 8);
	/* the ext4 inode went to its cache, allocated on CPU 0; the kmalloc on CPU 1 */
	struct obj *o = objtab_lookup(&s->objs, 0x98163aa7);
	CHECK(o && o->cache == cache_id(s, "ext4_inode_cache") && o->cpu == 0 && o->size == 1120);
	o = objtab_lookup(&s->objs, 0x1ca51f20);
	CHECK(o && o->cache == 0 && o->cpu == 1 && o->size == 96);
	sim_destroy(s);
}

/* --no-page-events: the four page events of the same file become "other". */
static void t_no_page_events(void)
{
	struct sim *s = mk(1);
	struct trace_stats ts;
	char err[512];
	prm.page_events = false;
	CHECK_EQ(replay(s, "tests/data/trace-current.txt", false, &ts, err), 0);
	CHECK_EQ(ts.events, 10);
	CHECK_EQ(ts.other, 6);
	CHECK_EQ(s->st.page_allocs, 0);
	CHECK_EQ(s->st.allocs, 6);
	sim_destroy(s);
}

/* Old kernel (4.x): hex call sites, no name/accounted, *_node events,
 * ptr=(null), decimal pfn, cold=, a failed page alloc (page=(null) pfn=0)
 * and an event we do not replay: 2 other. Live: 640+4096+256+200+256 = 5448
 * at the peak; 640 and one 256 freed: 4552 in 3. Caches are named by
 * size: cache-256-256 (256, 64) and cache-200-256 (200, 64). */
static void t_format_old(void)
{
	struct sim *s = mk(1);
	struct trace_stats ts;
	char err[512];
	CHECK_EQ(replay(s, "tests/data/trace-old.txt", false, &ts, err), 0);
	CHECK_MSG(ts.format && strcmp(ts.format, "ftrace") == 0, "format %s", ts.format ? ts.format : "NULL");
	CHECK_EQ(ts.lines, 25);
	CHECK_EQ(ts.events, 12);
	CHECK_EQ(ts.other, 2);
	CHECK_EQ(s->st.allocs, 5);
	CHECK_EQ(s->st.frees, 2);
	CHECK_EQ(s->st.free_null, 1);
	CHECK_EQ(s->st.free_unknown, 0);
	CHECK_EQ(s->st.peak_live_bytes, 5448);
	CHECK_EQ(s->st.live_bytes, 4552);
	CHECK_EQ(s->st.live_objects, 3);
	CHECK_EQ(s->st.page_allocs, 2);
	CHECK_EQ(s->st.page_frees, 2);
	CHECK_EQ(s->st.page_failed, 0);
	CHECK_EQ(s->now, 1099000);
	CHECK_EQ(s->ncaches, 2);
	check_cache(s, "cache-256-256", 256, 64);
	check_cache(s, "cache-200-256", 200, 64);
	sim_destroy(s);
}

/* trace-cmd report: "cpus=" header, 0x pointers, numeric gfp, a glued
 * "bytes_req=56bytes_alloc=64", ptr=(nil), a LOST EVENTS line. Live:
 * 576+216+56+152 = 1000 at the peak; 576 and 216 freed: 208 in 2. */
static void t_format_trace_cmd(void)
{
	struct sim *s = mk(1);
	struct trace_stats ts;
	char err[512];
	CHECK_EQ(replay(s, "tests/data/trace-cmd.txt", false, &ts, err), 0);
	CHECK_MSG(ts.format && strcmp(ts.format, "trace-cmd") == 0, "format %s", ts.format ? ts.format : "NULL");
	CHECK_EQ(ts.lines, 12);
	CHECK_EQ(ts.events, 9);
	CHECK_EQ(ts.other, 1);
	CHECK_EQ(s->st.allocs, 4);
	CHECK_EQ(s->st.frees, 2);
	CHECK_EQ(s->st.free_null, 1);
	CHECK_EQ(s->st.peak_live_bytes, 1000);
	CHECK_EQ(s->st.live_bytes, 208);
	CHECK_EQ(s->st.page_allocs, 1);
	CHECK_EQ(s->st.page_frees, 1);
	struct obj *o = objtab_lookup(&s->objs, 0xffff888101a9d9c0ull);
	CHECK(o && o->size == 56);
	check_cache(s, "cache-576-584", 584, 8);
	check_cache(s, "cache-152-152", 152, 8);
	sim_destroy(s);
}

/* glibc mtrace: 6 allocations (+ and >), 3 frees (- and <), a failed
 * realloc (!) counted as other. Live bytes: 16, 1040, 1140, 1124, 1024,
 * 1224, 1256, 1264 (peak, 4 objects), 240 in 3 after the last free. */
static void t_format_mtrace(void)
{
	struct sim *s = mk(1);
	struct trace_stats ts;
	char err[512];
	CHECK_EQ(replay(s, "tests/data/trace-mtrace.mtrace", false, &ts, err), 0);
	CHECK_MSG(ts.format && strcmp(ts.format, "mtrace") == 0, "format %s", ts.format ? ts.format : "NULL");
	CHECK_EQ(ts.lines, 12);
	CHECK_EQ(ts.events, 9);
	CHECK_EQ(ts.other, 1);
	CHECK_EQ(s->st.allocs, 6);
	CHECK_EQ(s->st.frees, 3);
	CHECK_EQ(s->st.free_unknown, 0);
	CHECK_EQ(s->st.peak_live_bytes, 1264);
	CHECK_EQ(s->st.peak_live_objects, 4);
	CHECK_EQ(s->st.live_bytes, 240);
	CHECK_EQ(s->st.live_objects, 3);
	struct obj *o = objtab_lookup(&s->objs, 0x1f5c900);   /* realloc's new block */
	CHECK(o && o->size == 200);
	CHECK(objtab_lookup(&s->objs, 0x1f5c890) == NULL);    /* realloc's old block */
	sim_destroy(s);
}

/* The real trace through xz: 48479 lines, 12 of them header comments, 48467
 * kmem events of the six kinds it holds (counted with grep), none other.
 * Set aside as the traced kernel's own (trace.c rule 4; grep): the 4
 * kmallocs from alloc_slab_obj_exts, 1 kfree from __free_slab (of a vector
 * allocated before the trace began), and 5 page allocations with SLUB's
 * new-slab gfp signature, each followed on its CPU by an allocation (4 by
 * those kmallocs, 1 by alloc_bprm's kmalloc-512); none of those is freed.
 * So 10 fewer events reach the engine: 19109 - 5 page allocations, 273 +
 * 9568 - 4 allocations, 1840 + 7942 - 1 frees. With --replay-own-slab all
 * 48467 are replayed, as before rule 4. */
static void t_real_xz(void)
{
	struct sim *s = mk(0);
	struct trace_stats ts;
	char err[512];
	CHECK_EQ(replay(s, "tests/data/gcc-small.ftrace.xz", false, &ts, err), 0);
	CHECK_EQ(ts.lines, 48479);
	CHECK_EQ(ts.events, 48467 - 10);
	CHECK_EQ(ts.other, 0);
	CHECK_EQ(ts.own_slab_pages, 5);
	CHECK_EQ(ts.own_slab_page_frees, 0);
	CHECK_EQ(ts.own_large_pages + ts.own_large_page_frees + ts.own_dup_kmallocs, 0);
	CHECK_EQ(ts.own_meta_allocs, 4);
	CHECK_EQ(ts.own_meta_frees, 1);
	CHECK_EQ(s->st.page_allocs, 19109 - 5);
	CHECK_EQ(s->st.allocs + s->st.alloc_null, 273 + 9568 - 4);
	CHECK_EQ(s->st.frees + s->st.free_unknown + s->st.free_null, 1840 + 7942 - 1);
	CHECK_EQ(s->st.free_null, 1558);
	sim_destroy(s);
	s = mk(0);
	prm.replay_own_slab = true;
	CHECK_EQ(replay(s, "tests/data/gcc-small.ftrace.xz", false, &ts, err), 0);
	CHECK_EQ(ts.events, 48467);
	CHECK_EQ(ts.own_slab_pages + ts.own_meta_allocs + ts.own_meta_frees, 0);
	CHECK_EQ(s->st.page_allocs, 19109);
	CHECK_EQ(s->st.allocs + s->st.alloc_null, 273 + 9568);
	CHECK_EQ(s->st.frees + s->st.free_unknown + s->st.free_null, 1840 + 7942);
	sim_destroy(s);
}

static void t_stdin_and_empty(void)
{
	struct sim *s = mk(1);
	struct trace_stats ts;
	char err[512];
	int saved = dup(0);
	int fd = open("tests/data/trace-mtrace.mtrace", O_RDONLY);
	CHECK(fd >= 0 && dup2(fd, 0) == 0);
	close(fd);
	CHECK_EQ(replay(s, "-", false, &ts, err), 0);
	dup2(saved, 0);
	close(saved);
	CHECK_EQ(ts.events, 9);
	CHECK_EQ(s->st.allocs, 6);
	/* no kmem record at all is an error, not an empty run */
	const char *e = write_tmp("empty.txt", "", 0);
	CHECK_EQ(replay(s, e, false, &ts, err), 2);
	CHECK_EQ(ts.lines, 0);
	CHECK_EQ(ts.events, 0);
	CHECK_MSG(strstr(err, "empty.txt: no kmem events recognised; formats read: ftrace, trace-cmd, "
		  "perf script, glibc mtrace") != NULL, "err '%s'", err);
	CHECK_EQ(replay(s, "/nonexistent/trace.txt", false, &ts, err), 2);
	CHECK_MSG(strncmp(err, "/nonexistent/trace.txt: ", 24) == 0, "err '%s'", err);
	/* last line without a newline still counts; CRLF is accepted */
	e = write_tmp("nonl.txt", "= Start\r\n+ 0x10 0x20\r\n+ 0x30 0x40", 33);
	CHECK_EQ(replay(s, e, false, &ts, err), 0);
	CHECK_EQ(ts.events, 2);
	CHECK_EQ(ts.lines, 3);
	sim_destroy(s);
}

/* One bad line at line 3 of an otherwise good file: exact prefix, exit 2,
 * and the reason named. */
static void t_malformed(void)
{
	static const struct { const char *line, *why; } bad[] = {
		{ "  a-1 [000] .... 1.000003: kmalloc: call_site=f+0x1/0x2 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL", "missing ptr=" },
		{ "  a-1 [000] .... 1.000003: kmalloc: call_site=f+0x1/0x2 ptr=00000000000000aa bytes_req=eight bytes_alloc=8", "bytes_req is not a number" },
		{ "  a-1 [000] .... 1.000003: kmalloc: call_site=f+0x1/0x2 ptr=00000000000000aa bytes_alloc=8", "missing bytes_req=" },
		{ "  a-1 [000] .... 1.000003: kmem_cache_alloc: ptr=00000000000000aa name=x bytes_alloc=8", "missing bytes_req=" },
		{ "  a-1 [000] .... 1.000003: kfree: call_site=f+0x1/0x2 ptr=zzzz", "ptr is not a pointer" },
		{ "  a-1 [000] .... 1.000003: kfree: call_site=f+0x1/0x2 ptr", "expected key=value" },
		{ "  a-1 [000] .... 1.0000", "timestamp not followed by ':'" },
		{ "  a-1 [000] .... 1.000003: kmall", "no event name" },
		{ "  a-1 [000] .... 1.000003: kmalloc: call_site=f ptr=00000000000000aa bytes_req=99999999999", "bytes_req too large" },
		{ "  a-1 [000] .... 1.000003: mm_page_alloc: page=0000000000000001 pfn=0x12 migratetype=1", "missing order=" },
		{ "  a-1 [000] .... 1.000003: mm_page_free: page=0000000000000001 pfn=twelve order=0", "pfn is not a number" },
		{ "just some words", "no [CPU] field" },
	};
	struct sim *s = mk(1);
	struct trace_stats ts;
	char err[512], text[1024];
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int n = snprintf(text, sizeof(text),
			"# tracer: nop\n  a-1 [000] .... 1.000001: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000010 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL\n"
			"%s\n  a-1 [000] .... 1.000004: kfree: call_site=f+0x1/0x2 ptr=0000000000000010\n", bad[i].line);
		const char *path = write_tmp("bad.txt", text, (size_t)n);
		char prefix[300];
		snprintf(prefix, sizeof(prefix), "%s:3: ", path);
		CHECK_EQ(replay(s, path, false, &ts, err), 2);
		CHECK_MSG(strncmp(err, prefix, strlen(prefix)) == 0 && strstr(err, bad[i].why),
			  "case %zu: err '%s', want '%s%s...'", i, err, prefix, bad[i].why);
		CHECK_EQ(ts.events, 1);
		/* lenient: counted, the rest replayed */
		CHECK_EQ(replay(s, path, true, &ts, err), 0);
		CHECK_EQ(ts.malformed, 1);
		CHECK_EQ(ts.events, 2);
	}
	/* mtrace: bad record letter and non-hex address, at lines 2 and 4 */
	const char *m = write_tmp("bad.mtrace", "= Start\n@ ./p:[0x1] * 0x10 0x20\n+ 0x10 0x20\n- 0xzz\n- 0x10\n", 57);
	CHECK_EQ(replay(s, m, false, &ts, err), 2);
	CHECK_MSG(strstr(err, "bad.mtrace:2: unknown mtrace record") != NULL, "err '%s'", err);
	CHECK_EQ(replay(s, m, true, &ts, err), 0);
	CHECK_EQ(ts.malformed, 2);
	CHECK_EQ(ts.events, 2);
	sim_destroy(s);
}

/* A line over the limit is one malformed line; the next line is read. */
static void t_long_line(void)
{
	struct sim *s = mk(1);
	struct trace_stats ts;
	char err[512];
	size_t n = 300000;
	char *text = malloc(n + 64);
	memset(text, 'A', n);
	int k = snprintf(text + n, 64, "\n+ 0x10 0x20\n");
	const char *path = write_tmp("long.txt", text, n + (size_t)k);
	CHECK_EQ(replay(s, path, false, &ts, err), 2);
	CHECK_MSG(strstr(err, "long.txt:1: line longer than") != NULL, "err '%s'", err);
	CHECK_EQ(replay(s, path, true, &ts, err), 0);
	CHECK_EQ(ts.lines, 2);
	CHECK_EQ(ts.malformed, 1);
	/* the first good line decides the format: mtrace */
	CHECK_EQ(ts.events, 1);
	free(text);
	/* longer than the read buffer: discarded across several reads */
	n = 3 * 1024 * 1024 + 17;
	text = malloc(n + 64);
	memcpy(text, "+ 0x10 0x20\n", 12);
	memset(text + 12, '@', n - 12);
	k = snprintf(text + n, 64, "\n- 0x10\n+ 0x30 0x40");
	path = write_tmp("longer.txt", text, n + (size_t)k);
	CHECK_EQ(replay(s, path, false, &ts, err), 2);
	CHECK_MSG(strstr(err, "longer.txt:2: line longer than") != NULL, "err '%s'", err);
	CHECK_EQ(replay(s, path, true, &ts, err), 0);
	CHECK_EQ(ts.lines, 4);
	CHECK_EQ(ts.malformed, 1);
	CHECK_EQ(ts.events, 3);
	free(text);
	sim_destroy(s);
}

/* The rule: largest a in {64,32,16,8} with ALIGN(req, a) == alloc. */
static void t_cache_geometry(void)
{
	static const uint32_t cases[][4] = {
		/* req, alloc -> size, align */
		{ 184, 192, 184, 64 }, { 4096, 4096, 4096, 64 }, { 24, 24, 24, 8 },
		{ 1120, 1128, 1128, 8 }, { 96, 96, 96, 32 }, { 48, 48, 48, 16 },
		{ 40, 48, 40, 16 }, { 200, 256, 200, 64 }, { 100, 104, 100, 8 },
		{ 576, 584, 584, 8 }, { 0, 8, 8, 8 }, { 13, 16, 13, 16 }, { 130, 192, 130, 64 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t size = 0, align = 0;
		trace_cache_geometry(cases[i][0], cases[i][1], &size, &align);
		CHECK_MSG(size == cases[i][2] && align == cases[i][3], "(%u, %u) -> (%u, %u), want (%u, %u)",
			  cases[i][0], cases[i][1], size, align, cases[i][2], cases[i][3]);
	}
}

static void t_gfp(void)
{
#define G(str) trace_gfp_parse(str, strlen(str))
	CHECK_EQ(G("GFP_KERNEL"), 0);
	CHECK_EQ(G("GFP_KERNEL|__GFP_DMA"), GFP_DMA);
	CHECK_EQ(G("GFP_DMA"), GFP_DMA);
	CHECK_EQ(G("GFP_ATOMIC|GFP_DMA32|__GFP_ZERO"), GFP_DMA32);
	CHECK_EQ(G("__GFP_DMA32"), GFP_DMA32);
	CHECK_EQ(G("GFP_DMA32x"), 0);
	CHECK_EQ(G("0x1"), GFP_DMA);
	CHECK_EQ(G("0xcc4"), GFP_DMA32);        /* trace-cmd: numeric mask */
	CHECK_EQ(G("0x152c4a"), 0);
	CHECK_EQ(G("GFP_NOWAIT|0x5"), GFP_DMA | GFP_DMA32);
	CHECK_EQ(G(""), 0);
#undef G
	/* end to end: a GFP_DMA page comes from ZONE_DMA (below 16 MiB), one
	 * without it from above (512 MiB modelled: DMA32 is the top zone) */
	struct sim *s = mk(1);
	struct trace_stats ts;
	char err[512];
	const char *t =
		"  a-1 [000] .... 1.000001: mm_page_alloc: page=0000000000000001 pfn=0x77 order=0 migratetype=0 gfp_flags=GFP_KERNEL|GFP_DMA\n"
		"  a-1 [000] .... 1.000002: mm_page_alloc: page=0000000000000002 pfn=0x78 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .... 1.000003: mm_page_alloc: page=0000000000000003 pfn=0x79 order=0 migratetype=0 gfp_flags=0x1\n";
	CHECK_EQ(replay(s, write_tmp("dma.txt", t, strlen(t)), false, &ts, err), 0);
	struct obj *a = objtab_lookup(&s->pages, 0x77), *b = objtab_lookup(&s->pages, 0x78),
		   *c = objtab_lookup(&s->pages, 0x79);
	CHECK(a && a->addr < (16 * MIB) / PAGE_SIZE);
	CHECK(b && b->addr >= (16 * MIB) / PAGE_SIZE);
	CHECK(c && c->addr < (16 * MIB) / PAGE_SIZE);
	sim_destroy(s);
}

/* The engine holds at most SIM_MAX_CACHES - 1 named caches; beyond that
 * sim_cache refuses and the allocations go to kmalloc, counted. */
static void t_cache_fallback(void)
{
	struct sim *s = mk(0);
	struct trace_stats ts;
	char err[512];
	enum { N = SIM_MAX_CACHES + 4 };
	size_t cap = (size_t)N * 200, len = 0;
	char *text = malloc(cap);
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len,
			"  a-1 [000] .... 1.%06d: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=%016x name=c%d bytes_req=32 bytes_alloc=32 gfp_flags=GFP_KERNEL\n",
			i, 0x1000 + i * 64, i);
	CHECK_EQ(replay(s, write_tmp("many.txt", text, len), false, &ts, err), 0);
	CHECK_EQ(s->ncaches, SIM_MAX_CACHES - 1);
	CHECK_EQ(ts.cache_fallback, N - (SIM_MAX_CACHES - 1));
	CHECK_EQ(s->st.allocs, N);
	struct obj *o = objtab_lookup(&s->objs, 0x1000 + (uint64_t)(N - 1) * 64);
	CHECK(o && o->cache == 0);
	free(text);
	sim_destroy(s);
}

/* Rule 4a's gfp reading, by hand from gfp_types.h (6.18 bits): the real
 * signatures of tests/data/gcc-small and of a perf recording on 6.18, and
 * the page allocations that are not slab pages. */
static void t_gfp_bits(void)
{
	static const struct { const char *gfp; uint32_t bits; bool unknown, slab; } rows[] = {
		/* SLUB's first higher-order try: reclaim cleared, NOMEMALLOC added */
		{ "__GFP_RECLAIMABLE|__GFP_IO|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC",
		  0x10 | 0x40 | 0x2000 | 0x10000 | 0x40000 | 0x80000, false, true },
		{ "__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC",
		  0x40 | 0x80 | 0x2000 | 0x10000 | 0x40000 | 0x80000, false, true },
		/* order 0 (the minimum): reclaim kept; GFP_NOWAIT holds NOWARN in 6.18 */
		{ "GFP_NOWAIT|__GFP_RECLAIMABLE|__GFP_NORETRY|__GFP_COMP", 0x800 | 0x2000 | 0x10 | 0x10000 | 0x40000, false, true },
		{ "GFP_KERNEL|__GFP_RECLAIMABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP",
		  0xc00 | 0x40 | 0x80 | 0x10 | 0x2000 | 0x10000 | 0x40000, false, true },
		{ "GFP_ATOMIC|__GFP_RECLAIMABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP",
		  0x20 | 0x800 | 0x10 | 0x2000 | 0x10000 | 0x40000, false, true },
		{ "GFP_NOWAIT|__GFP_NORETRY|__GFP_COMP|__GFP_THISNODE", 0x800 | 0x2000 | 0x10000 | 0x40000 | 0x200000, false, true },
		{ "0x152c4a", 0x152c4a, false, false },   /* trace-cmd's number: readahead */
		{ "0x50840", 0x50840, false, false },     /* IO|KSWAPD|NORETRY|COMP: no NOWARN */
		/* not slab: page-cache readahead (HIGHMEM, MOVABLE), page tables (ZERO,
		 * ACCOUNT), buffer pages (NOFAIL, no NORETRY), GFP_NOWAIT without NORETRY */
		{ "GFP_NOFS|__GFP_HIGHMEM|__GFP_MOVABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_HARDWALL",
		  0xc00 | 0x40 | 0x2 | 0x8 | 0x2000 | 0x10000 | 0x40000 | 0x100000, false, false },
		{ "GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP", 0xc00 | 0x40 | 0x80 | 0x400000 | 0x100 | 0x40000, false, false },
		{ "GFP_NOFS|__GFP_NOFAIL|__GFP_COMP|__GFP_HARDWALL", 0xc00 | 0x40 | 0x8000 | 0x40000 | 0x100000, false, false },
		{ "GFP_NOWAIT|__GFP_COMP", 0x800 | 0x2000 | 0x40000, false, false },
		{ "GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY", 0xc00 | 0xc0 | 0x2000 | 0x10000, false, false },  /* no COMP */
		{ "GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOTRACK", 0xc00 | 0xc0 | 0x2000 | 0x10000 | 0x40000, true, false },
		{ "GFP_KERNEL|0x1000000", 0xcc0, true, false },   /* a config-dependent bit by number */
		{ "", 0, false, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		bool unknown;
		uint32_t bits = trace_gfp_bits(rows[i].gfp, strlen(rows[i].gfp), &unknown);
		CHECK_MSG(bits == rows[i].bits && unknown == rows[i].unknown, "%s: bits %#x unknown %d, want %#x %d",
			  rows[i].gfp, bits, unknown, rows[i].bits, rows[i].unknown);
		CHECK_MSG(trace_gfp_is_slab_page(bits, unknown) == rows[i].slab, "%s: slab %d", rows[i].gfp, !rows[i].slab);
	}
}

/* Held pages keep the order of events across CPUs and their times. CPU 0
 * takes a signature page X; CPU 1 frees X before CPU 0's next event. When
 * that next event is a free, X is replayed: the engine sees alloc X, then
 * free X (page_frees 1, not page_free_unknown). When it is an allocation, X
 * is a slab page and CPU 1's free of X is set aside with it, though it came
 * before the deciding event. Time is the last event's, 4 us after the first. */
static void t_hold_order(void)
{
	static const char head[] =
		"  a-1 [000] .... 1.000000: mm_page_alloc: page=0000000000000001 pfn=0x77 order=0 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP\n"
		"  b-2 [001] .... 1.000001: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000010 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL\n"
		"  b-2 [001] .... 1.000002: mm_page_free: page=0000000000000001 pfn=0x77 order=0\n"
		"  b-2 [001] .... 1.000003: kfree: call_site=f+0x1/0x2 ptr=0000000000000010\n";
	static const char *const tails[] = {
		"  a-1 [000] .... 1.000004: kfree: call_site=f+0x1/0x2 ptr=0000000000000020\n",
		"  a-1 [000] .... 1.000004: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000020 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL\n",
	};
	for (int k = 0; k < 2; k++) {
		struct sim *s = mk(1);
		struct trace_stats ts;
		char err[512], text[1024];
		int n = snprintf(text, sizeof(text), "%s%s", head, tails[k]);
		CHECK_EQ(replay(s, write_tmp("hold.txt", text, (size_t)n), false, &ts, err), 0);
		CHECK_EQ(s->now, 4000);
		CHECK_EQ(s->st.allocs, 1 + k);
		CHECK_EQ(s->st.frees, 1);
		CHECK_EQ(s->st.free_unknown, 1 - k);
		CHECK_EQ(s->st.page_allocs, 1 - k);
		CHECK_EQ(s->st.page_frees, 1 - k);
		CHECK_EQ(s->st.page_free_unknown, 0);
		CHECK_EQ(ts.own_slab_pages, k);
		CHECK_EQ(ts.own_slab_page_frees, k);
		CHECK_EQ(ts.events, 5 - 2 * k);
		sim_destroy(s);
	}
}

/* A page whose CPU stays silent while 65536 events of another CPU pass is
 * replayed when the hold is full (documented limit), in its place: its
 * allocation reaches the engine before the events after it, so the free of
 * its pfn in the middle is a page free, not page_free_unknown. */
static void t_hold_limit(void)
{
	struct sim *s = mk(0);
	struct trace_stats ts;
	char err[512];
	enum { N = 70000 };
	size_t cap = (size_t)N * 160 + 1024, len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text + len, cap - len,
		"  a-1 [000] .... 1.000000: mm_page_alloc: page=0000000000000001 pfn=0x77 order=0 migratetype=0 "
		"gfp_flags=GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP\n");
	for (int i = 0; i < N; i++) {
		if (i == N / 2)
			len += (size_t)snprintf(text + len, cap - len,
				"  b-2 [001] .... 2.000000: mm_page_free: page=0000000000000001 pfn=0x77 order=0\n");
		len += (size_t)snprintf(text + len, cap - len,
			"  b-2 [001] .... 2.000000: kfree: call_site=f+0x1/0x2 ptr=%016x\n", 0x1000 + i);
	}
	len += (size_t)snprintf(text + len, cap - len,
		"  a-1 [000] .... 3.000000: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000010 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL\n");
	CHECK_EQ(replay(s, write_tmp("limit.txt", text, len), false, &ts, err), 0);
	CHECK_EQ(ts.own_slab_pages, 0);
	CHECK_EQ(s->st.page_allocs, 1);
	CHECK_EQ(s->st.page_frees, 1);
	CHECK_EQ(s->st.page_free_unknown, 0);
	CHECK_EQ(s->st.free_unknown, N);
	CHECK_EQ(s->st.allocs, 1);
	CHECK_EQ(ts.events, N + 3);
	CHECK_EQ(s->now, 2000000000ull);
	free(text);
	sim_destroy(s);
}

/* Numbers in trace fields, read in 64 bits: each value is replayed exactly
 * or refused at its line with the value, never wrapped or cut. Line 1 is a
 * kmalloc at time 0 (t0); line 2 carries the value. */
static void t_numbers(void)
{
	enum { F_REQ, F_ALLOC, F_ORDER, F_CPU, F_PFN, F_TIME };
	static const char *const tmpl[][2] = {   /* the line before and after the value */
		[F_REQ]   = { "  a-1 [000] .... 0.000001: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000020 bytes_req=",
			      " bytes_alloc=8 gfp_flags=GFP_KERNEL" },
		[F_ALLOC] = { "  a-1 [000] .... 0.000001: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000020 name=c bytes_req=8 bytes_alloc=",
			      " gfp_flags=GFP_KERNEL" },
		[F_ORDER] = { "  a-1 [000] .... 0.000001: mm_page_alloc: page=0000000000000001 pfn=0x77 order=",
			      " migratetype=0 gfp_flags=GFP_KERNEL" },
		[F_CPU]   = { "  a-1 [", "] .... 0.000001: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000020 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL" },
		[F_PFN]   = { "  a-1 [000] .... 0.000001: mm_page_alloc: page=0000000000000001 pfn=",
			      " order=0 migratetype=0 gfp_flags=GFP_KERNEL" },
		[F_TIME]  = { "  a-1 [000] .... ", ": kmalloc: call_site=f+0x1/0x2 ptr=0000000000000020 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL" },
	};
	static const struct { int field; const char *v; uint64_t want; const char *why; } rows[] = {
		/* why == NULL: replayed exactly as want */
		{ F_REQ, "0", 0, NULL }, { F_REQ, "-1", 0, "bytes_req is not a number: '-1'" },
		{ F_REQ, "4294967295", 4294967295u, NULL },
		{ F_REQ, "4294967312", 0, "bytes_req too large (max 4294967295): '4294967312'" },
		{ F_REQ, "9223372036854775808", 0, "bytes_req too large (max 4294967295): '9223372036854775808'" },
		{ F_REQ, "18446744073709551615", 0, "bytes_req too large (max 4294967295): '18446744073709551615'" },
		{ F_REQ, "18446744073709551616", 0, "bytes_req too large (max 4294967295): '18446744073709551616'" },
		{ F_REQ, "nan", 0, "bytes_req is not a number: 'nan'" }, { F_REQ, "inf", 0, "bytes_req is not a number: 'inf'" },
		{ F_ALLOC, "0", 0, NULL }, { F_ALLOC, "-1", 0, "bytes_alloc is not a number: '-1'" },
		{ F_ALLOC, "4294967295", 4294967295u, NULL },
		{ F_ALLOC, "4294967312", 0, "bytes_alloc too large (max 4294967295): '4294967312'" },
		{ F_ALLOC, "9223372036854775808", 0, "bytes_alloc too large" },
		{ F_ALLOC, "18446744073709551616", 0, "bytes_alloc too large" },
		{ F_ALLOC, "nan", 0, "bytes_alloc is not a number" }, { F_ALLOC, "inf", 0, "bytes_alloc is not a number" },
		{ F_ORDER, "0", 0, NULL }, { F_ORDER, "31", 31, NULL },
		{ F_ORDER, "32", 0, "order too large (max 31): '32'" }, { F_ORDER, "-1", 0, "order is not a number: '-1'" },
		{ F_ORDER, "4294967295", 0, "order too large (max 31): '4294967295'" },
		{ F_ORDER, "4294967312", 0, "order too large (max 31): '4294967312'" },
		{ F_ORDER, "9223372036854775808", 0, "order too large" }, { F_ORDER, "18446744073709551616", 0, "order too large" },
		{ F_ORDER, "nan", 0, "order is not a number" }, { F_ORDER, "inf", 0, "order is not a number" },
		{ F_CPU, "0", 0, NULL }, { F_CPU, "65535", 65535, NULL },
		{ F_CPU, "65536", 0, "CPU too large (max 65535): '65536'" },
		{ F_CPU, "-1", 0, "no [CPU] field" },
		{ F_CPU, "4294967295", 0, "CPU too large (max 65535): '4294967295'" },
		{ F_CPU, "4294967312", 0, "CPU too large (max 65535): '4294967312'" },
		{ F_CPU, "9223372036854775808", 0, "CPU too large" }, { F_CPU, "18446744073709551616", 0, "CPU too large" },
		{ F_CPU, "nan", 0, "no [CPU] field" }, { F_CPU, "inf", 0, "no [CPU] field" },
		{ F_PFN, "0", 0, NULL },   /* a failed allocation: other, not replayed */
		{ F_PFN, "-1", 0, "pfn is not a number: '-1'" },
		{ F_PFN, "4294967295", 4294967295u, NULL }, { F_PFN, "4294967312", 4294967312u, NULL },
		{ F_PFN, "0x100000010", 0x100000010u, NULL }, { F_PFN, "0xfffffffffffff", 0xfffffffffffffu, NULL },
		{ F_PFN, "0x10000000000000", 0, "pfn too large (max 4503599627370495): '0x10000000000000'" },
		{ F_PFN, "9223372036854775808", 0, "pfn too large (max 4503599627370495): '9223372036854775808'" },
		{ F_PFN, "18446744073709551616", 0, "pfn too large" }, { F_PFN, "0x10000000000000000", 0, "pfn too large" },
		{ F_PFN, "nan", 0, "pfn is not a number" }, { F_PFN, "inf", 0, "pfn is not a number" },
		{ F_TIME, "0", 0, NULL }, { F_TIME, "0.000000", 0, NULL },
		{ F_TIME, "-1.000000", 0, "no timestamp" },
		{ F_TIME, "4294967295.000000", 4294967295000000000u, NULL },
		{ F_TIME, "4294967312.000016", 4294967312000016000u, NULL },
		{ F_TIME, "18446744073.709551615", UINT64_MAX, NULL },
		{ F_TIME, "18446744073.709551616", 0, "timestamp too large (max 18446744073.709551615 s): '18446744073.709551616'" },
		{ F_TIME, "9223372036854775808.000000", 0, "timestamp too large" },
		{ F_TIME, "18446744073709551616.000000", 0, "timestamp too large" },
		{ F_TIME, "1.0000000001", 0, "timestamp with more than 9 decimals" },
		{ F_TIME, "nan", 0, "no timestamp" }, { F_TIME, "inf", 0, "no timestamp" },
	};
	char err[512], text[1024], line[512], prefix[300];
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct sim *s = mk(1);
		struct trace_stats ts;
		snprintf(line, sizeof(line), "%s%s%s", tmpl[rows[i].field][0], rows[i].v, tmpl[rows[i].field][1]);
		int n = snprintf(text, sizeof(text),
			"  a-1 [000] .... 0.000000: kmalloc: call_site=f+0x1/0x2 ptr=0000000000000010 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL\n%s\n",
			line);
		const char *path = write_tmp("num.txt", text, (size_t)n);
		int rc = replay(s, path, false, &ts, err);
		if (rows[i].why) {
			snprintf(prefix, sizeof(prefix), "%s:2: ", path);
			CHECK_MSG(rc == 2 && strncmp(err, prefix, strlen(prefix)) == 0 && strstr(err, rows[i].why),
				  "row %zu (%d '%s'): rc %d err '%s', want '%s...%s'", i, rows[i].field, rows[i].v,
				  rc, err, prefix, rows[i].why);
			sim_destroy(s);
			continue;
		}
		CHECK_MSG(rc == 0, "row %zu (%d '%s'): rc %d err '%s'", i, rows[i].field, rows[i].v, rc, err);
		uint64_t want = rows[i].want;
		struct obj *o = objtab_lookup(&s->objs, 0x20);
		switch (rows[i].field) {
		case F_REQ:   /* served with exactly that size, or a recorded failure */
			CHECK_MSG((o && o->size == want) || (!o && s->st.failed_allocs == 1), "row %zu: size %u",
				  i, o ? o->size : 0);
			CHECK_EQ(s->st.allocs, 2);
			break;
		case F_ALLOC: {
			uint32_t size, align;
			trace_cache_geometry(8, (uint32_t)want, &size, &align);
			int c = cache_id(s, "c");
			CHECK_MSG((c > 0 && s->caches[c].size == size) || (c < 0 && ts.cache_fallback == 1),
				  "row %zu: cache %d", i, c);
			CHECK_EQ(s->st.allocs, 2);
			break;
		}
		case F_ORDER: {   /* above --max-order (10) a recorded failure, never a smaller block */
			struct obj *pg = objtab_lookup(&s->pages, 0x77);
			CHECK_MSG((pg && pg->size == want) || (!pg && want > 10 && s->st.page_failed == 1), "row %zu", i);
			CHECK_EQ(s->st.page_allocs, 1);
			break;
		}
		case F_CPU:   /* replayed on CPU want modulo the 2 simulated CPUs */
			CHECK_MSG(o && o->cpu == want % 2, "row %zu: cpu %d", i, o ? o->cpu : -1);
			break;
		case F_PFN:
			if (want == 0) {
				CHECK_EQ(s->st.page_allocs, 0);
				CHECK_EQ(ts.other, 1);
			} else {
				CHECK_MSG(objtab_lookup(&s->pages, want) != NULL, "row %zu: pfn %#llx not live", i,
					  (unsigned long long)want);
				CHECK_EQ(s->pages.count, 1);
			}
			break;
		default:   /* F_TIME: t0 is 0 */
			CHECK_MSG(s->now == want, "row %zu: now %llu, want %llu", i, (unsigned long long)s->now,
				  (unsigned long long)want);
			CHECK_EQ(s->st.allocs, 2);
			break;
		}
		sim_destroy(s);
	}
}

/* A NUL byte anywhere in a line is malformed: two cache names that differ
 * after a NUL would otherwise merge; a NUL in gfp_flags would cut it. */
static void t_nul(void)
{
	static const char good[] =
		"  a-1 [000] .... 1.000001: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000010 name=foo bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL\n";
	static const char *const bad[] = {
		"  a-1 [000] .... 1.000002: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=0000000000000020 name=foo\0bar bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL\n",
		"  a-1 [000] .... 1.000002: mm_page_alloc: page=0000000000000001 pfn=0x77 order=0 migratetype=0 gfp_flags=GFP_KERNEL\0|__GFP_DMA\n",
		"\0",
	};
	char text[1024], err[512], want[300];
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct sim *s = mk(1);
		struct trace_stats ts;
		size_t bl = i == 2 ? 2 : strlen(bad[i]) + 1 + strlen(bad[i] + strlen(bad[i]) + 1);
		memcpy(text, good, sizeof(good) - 1);
		memcpy(text + sizeof(good) - 1, bad[i], bl);
		size_t n = sizeof(good) - 1 + bl;
		if (i == 2)
			text[n - 1] = '\n';
		const char *path = write_tmp("nul.txt", text, n);
		snprintf(want, sizeof(want), "%s:2: NUL byte at column %zu", path, strlen(bad[i]) + 1);
		CHECK_EQ(replay(s, path, false, &ts, err), 2);
		CHECK_MSG(strcmp(err, want) == 0, "case %zu: err '%s', want '%s'", i, err, want);
		CHECK_EQ(replay(s, path, true, &ts, err), 0);
		CHECK_EQ(ts.malformed, 1);
		CHECK_EQ(ts.events, 1);
		CHECK_EQ(s->ncaches, 1);
		sim_destroy(s);
	}
}

/* Fuzz: random bytes, and real lines with random bytes changed, cut,
 * duplicated or spliced. Every replay must return 0 or 2 (0 when lenient)
 * and leave the engine consistent; ASan/UBSan watch the rest. */
static void t_fuzz(void)
{
	static const char *const files[] = {
		"tests/data/trace-current.txt", "tests/data/trace-old.txt",
		"tests/data/trace-cmd.txt", "tests/data/trace-mtrace.mtrace",
	};
	char *lines[128];
	size_t nlines = 0;
	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		FILE *fp = fopen(files[f], "r");
		CHECK(fp != NULL);
		char buf[1024];
		while (fp && fgets(buf, sizeof(buf), fp) && nlines < ARRAY_SIZE(lines))
			lines[nlines++] = strdup(buf);
		if (fp)
			fclose(fp);
	}
	struct sim *s = mk(0);
	struct rng r;
	rng_seed(&r, 12345);
	struct trace_stats ts;
	char err[512];
	static char text[1 << 16];
	int bad = 0;
	for (int iter = 0; iter < 6000 && !bad; iter++) {
		size_t len = 0;
		if (iter % 10 == 0) {
			size_t n = rng_below(&r, sizeof(text));
			for (size_t i = 0; i < n; i++)
				text[i] = (char)rng_below(&r, 256);
			len = n;
		} else {
			/* keep a family together most of the time so lines get past the format check */
			size_t nl = 1 + rng_below(&r, 30);
			for (size_t i = 0; i < nl; i++) {
				const char *src = lines[rng_below(&r, nlines)];
				size_t sl = strlen(src);
				if (len + sl + 1 >= sizeof(text))
					break;
				memcpy(text + len, src, sl);
				size_t nm = rng_below(&r, 4);
				for (size_t m = 0; m < nm && sl; m++) {
					size_t at = len + rng_below(&r, sl);
					switch (rng_below(&r, 5)) {
					case 0: text[at] = (char)rng_below(&r, 256); break;
					case 1: text[at] = "0123456789abcdefx=: []()@+-<>\n"[rng_below(&r, 30)]; break;
					case 2: sl = at - len; break;                       /* cut */
					case 3: text[at] = '\0'; break;
					default: text[at] = ' '; break;
					}
				}
				len += sl;
				if (rng_below(&r, 4) == 0 && len < sizeof(text))
					text[len++] = '\n';
			}
		}
		const char *path = write_tmp("fuzz.txt", text, len);
		bool lenient = iter & 1;
		int rc = replay(s, path, lenient, &ts, err);
		bool none = rc == 2 && strstr(err, ": no kmem events recognised;") != NULL;
		if (!(rc == 0 || (rc == 2 && (!lenient || none))) || (rc == 2 && strncmp(err, path, strlen(path)) != 0)) {
			bad = 1;
			CHECK_MSG(0, "iter %d: rc %d lenient %d err '%s'", iter, rc, lenient, err);
		}
		uint64_t own = ts.own_slab_pages + ts.own_slab_page_frees + ts.own_large_pages +
			       ts.own_large_page_frees + ts.own_meta_allocs + ts.own_meta_frees + ts.own_dup_kmallocs;
		if (ts.events + ts.other + ts.malformed + own > ts.lines) {
			bad = 1;
			CHECK_MSG(0, "iter %d: events %llu + other %llu + malformed %llu + own %llu > lines %llu", iter,
				  (unsigned long long)ts.events, (unsigned long long)ts.other,
				  (unsigned long long)ts.malformed, (unsigned long long)own, (unsigned long long)ts.lines);
		}
	}
	CHECK_EQ(s->st.live_objects, s->objs.count);
	sim_check(s);
	for (size_t i = 0; i < nlines; i++)
		free(lines[i]);
	sim_destroy(s);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(t_format_current);
	RUN(t_no_page_events);
	RUN(t_format_old);
	RUN(t_format_trace_cmd);
	RUN(t_format_mtrace);
	RUN(t_real_xz);
	RUN(t_stdin_and_empty);
	RUN(t_malformed);
	RUN(t_long_line);
	RUN(t_cache_geometry);
	RUN(t_gfp);
	RUN(t_cache_fallback);
	RUN(t_gfp_bits);
	RUN(t_hold_order);
	RUN(t_hold_limit);
	RUN(t_numbers);
	RUN(t_nul);
	RUN(t_fuzz);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return check_done();
}
