/*
 * t_numeric.c - numbers at their limits, below the command line: the
 * checked number parser, the Lua API's argument checks (called directly,
 * against a predicate the test computes itself), Lua handles, a request of
 * 2^32 - 1 bytes and an object larger than its cache on every back end,
 * and the engine's A >= R check and contract checks (which must fire).
 * tests/t_numeric.sh drives the same limits through the command line and
 * real Lua scripts.
 */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "shadow.h"
#include "testsim.h"
#include "../sim/api.h"
#include "../sim/engine.h"
#include "../sim/kmemsim_api.h"
#include "../sim/kvm.h"
#include "../allocators/allocator.h"

static const char *const backends[] = { "buddy", "zone", "slab", "slub", "slob", "nta" };

/* ---- parse_u64: known answers ---- */

static void t_parse_u64(void)
{
	static const struct { const char *s; bool sizes; enum parse_result r; uint64_t v; } tab[] = {
		{ "0", false, PARSE_OK, 0 },
		{ "4294967295", false, PARSE_OK, 4294967295u },
		{ "4294967312", false, PARSE_OK, 4294967312u },
		{ "9223372036854775808", false, PARSE_OK, 1ull << 63 },
		{ "18446744073709551615", false, PARSE_OK, UINT64_MAX },
		{ "18446744073709551616", false, PARSE_RANGE, 0 },          /* 2^64: ERANGE */
		{ "99999999999999999999999", false, PARSE_RANGE, 0 },
		{ "-1", false, PARSE_RANGE, 0 },                              /* negative */
		{ "-0x10", false, PARSE_RANGE, 0 },
		{ "0x10", false, PARSE_OK, 16 },
		{ "0XfF", false, PARSE_OK, 255 },
		{ "0xffffffffffffffff", false, PARSE_OK, UINT64_MAX },
		{ "0x10000000000000000", false, PARSE_RANGE, 0 },
		{ "010", false, PARSE_OK, 10 },                               /* no octal */
		{ "16M", false, PARSE_BAD, 0 },                               /* no suffix on counts */
		{ "16M", true, PARSE_OK, 16 * MIB },
		{ "1KiB", true, PARSE_OK, 1024 },
		{ "1kb", true, PARSE_OK, 1024 },
		{ "0x10K", true, PARSE_OK, 16384 },
		{ "16777215T", true, PARSE_OK, 16777215ull << 40 },           /* 2^64 - 2^40 */
		{ "16777216T", true, PARSE_RANGE, 0 },                        /* 2^64: suffix overflow */
		{ "17179869184G", true, PARSE_RANGE, 0 },
		{ "1B", true, PARSE_BAD, 0 },
		{ "1X", true, PARSE_BAD, 0 },
		{ "", false, PARSE_BAD, 0 },
		{ " 1", false, PARSE_BAD, 0 },
		{ "1 ", false, PARSE_BAD, 0 },
		{ "+1", false, PARSE_BAD, 0 },
		{ "-", false, PARSE_BAD, 0 },
		{ "0x", false, PARSE_BAD, 0 },
		{ "1.5", false, PARSE_BAD, 0 },
		{ "1e3", false, PARSE_BAD, 0 },
		{ "nan", false, PARSE_BAD, 0 },
		{ "inf", false, PARSE_BAD, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++) {
		uint64_t v = 12345;
		enum parse_result r = parse_u64(tab[i].s, tab[i].sizes, &v);
		CHECK_MSG(r == tab[i].r, "parse_u64('%s', %d) = %d, expected %d", tab[i].s, tab[i].sizes, r, tab[i].r);
		if (r == PARSE_OK && tab[i].r == PARSE_OK)
			CHECK_MSG(v == tab[i].v, "parse_u64('%s') = %llu, expected %llu", tab[i].s,
				  (unsigned long long)v, (unsigned long long)tab[i].v);
		if (r != PARSE_OK)
			CHECK_MSG(v == 12345, "parse_u64('%s') wrote a value on failure", tab[i].s);
	}
	CHECK(parse_u64(NULL, true, &(uint64_t){ 0 }) == PARSE_BAD);
}

/* ---- the Lua API's checks, against the test's own predicate ---- */

static struct params AP;

static struct sim *api_sim_make(const char *alloc)
{
	testsim_params(&AP, alloc, 64 * MIB);
	struct sim *s = testsim_create(&AP);
	if (s)
		kms_api_bind(s, &AP);
	return s;
}

static void api_sim_done(struct sim *s)
{
	kms_api_bind(NULL, NULL);
	sim_destroy(s);
}

/* v is an integer in [lo, hi]: computed with modf, not as api.c does. */
static bool is_int_in(double v, double lo, double hi)
{
	double ip;
	return isfinite(v) && modf(v, &ip) == 0 && v >= lo && v <= hi;
}

/* Doubles around every boundary the API has. */
static const double probes[] = {
	0, -0.0, 1, -1, 0.5, 1.5, 2, 7, 8, 63, 64, 4096, 8192,
	4294967295.0, 4294967295.5, 4294967296.0, 4294967312.0, 4294967294.0,
	0x1p52, 0x1p52 + 1, 0x1p53, 0x1p53 + 2, 0x1p62, 0x1p62 + 1024, 0x1p63 - 1024, 0x1p63, 0x1p63 + 2048,
	0x1p64, 0x1p64 * 2, 1e300, -1e300, -0x1p63, NAN, -NAN, INFINITY, -INFINITY, 1e-300,
};

static void t_api_alloc_arguments(void)
{
	struct sim *s = api_sim_make("buddy");   /* 2 CPUs; a named cache of 4096 */
	if (!s)
		return;
	int32_t c = kms_cache("t-api", 4096, 0);
	CHECK_EQ(c, 1);
	uint64_t free_handles = 0;
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		double v = probes[i];
		/* size: integer 1..2^32-1; served or failed (buddy: > 4 MiB is too big), never -1 */
		double h = kms_alloc(v, 0, 0, 0, 0);
		bool ok = is_int_in(v, 1, 4294967295.0);
		CHECK_MSG((h >= 0) == ok, "alloc size %g: returned %g", v, h);
		if (!ok)
			CHECK_MSG(strstr(kms_error(), "alloc: size must be an integer 1..4294967295") != NULL,
				  "size %g: '%s'", v, kms_error());
		if (h > 0) {
			struct obj *o = objtab_lookup(&s->objs, (uint64_t)h);
			CHECK_MSG(o && o->size == (uint32_t)v && (double)o->size == v, "size %g stored as %u", v,
				  o ? o->size : 0);
			CHECK(kms_free(h, 0) == 0);
		}
		/* cpu: 0..1 */
		h = kms_alloc(64, 0, v, 0, 0);
		ok = is_int_in(v, 0, 1);
		CHECK_MSG((h > 0) == ok && (ok || h == -1), "alloc cpu %g: returned %g", v, h);
		if (!ok)
			CHECK_MSG(strstr(kms_error(), "alloc: cpu must be an integer 0..1") != NULL, "cpu %g: '%s'", v,
				  kms_error());
		if (h > 0) {
			CHECK_EQ(kms_owner_cpu(h), (int)v);
			CHECK(kms_free(h, v) == 0);
		}
		/* cache: 0 or 1 (size 64 fits cache 1) */
		h = kms_alloc(64, v, 0, 0, 0);
		ok = is_int_in(v, 0, 1);
		CHECK_MSG((h > 0) == ok && (ok || h == -1), "alloc cache %g: returned %g", v, h);
		if (!ok)
			CHECK_MSG(strstr(kms_error(), "alloc: cache") != NULL, "cache %g: '%s'", v, kms_error());
		if (h > 0)
			CHECK(kms_free(h, 0) == 0);
		/* gfp: a set of the known bits (GFP_KNOWN is every bit below its top) */
		_Static_assert((GFP_KNOWN & (GFP_KNOWN + 1)) == 0, "GFP_KNOWN is contiguous from bit 0");
		h = kms_alloc(64, 0, 0, v, 0);
		ok = is_int_in(v, 0, GFP_KNOWN);
		CHECK_MSG((h > 0) == ok && (ok || h == -1), "alloc gfp %g: returned %g", v, h);
		if (!ok)
			CHECK_MSG(strstr(kms_error(), "alloc: gfp must be") != NULL, "gfp %g: '%s'", v, kms_error());
		if (h > 0)
			CHECK(kms_free(h, 0) == 0);
		/* lifetime: 0..2^63 at time 0 (above 2^62 through the slow path) */
		h = kms_alloc(64, 0, 0, 0, v);
		ok = is_int_in(v, 0, 0x1p63);
		CHECK_MSG((h > 0) == ok && (ok || h == -1), "alloc lifetime %g: returned %g", v, h);
		if (!ok)
			CHECK_MSG(strstr(kms_error(), "alloc: lifetime must be an integer 0..2^63") != NULL,
				  "lifetime %g: '%s'", v, kms_error());
		if (h > 0 && v > 0)
			free_handles++;   /* left to its timer */
		else if (h > 0)
			CHECK(kms_free(h, 0) == 0);
	}
	CHECK_EQ(s->ntimers, free_handles);
	/* 5000 bytes from the cache of 4096: a recorded failure, not a refusal */
	uint64_t failed = s->st.failed_by[FAIL_CACHE_SIZE];
	CHECK_EQ(kms_alloc(5000, c, 0, 0, 0), 0);
	CHECK_EQ(s->st.failed_by[FAIL_CACHE_SIZE], failed + 1);
	/* cache 2 was never made; the first bad argument is named */
	CHECK_EQ(kms_alloc(64, 2, 0, 0, 0), -1);
	CHECK(strcmp(kms_error(), "alloc: cache 2 was not made by sim.cache()") == 0);
	CHECK_EQ(kms_alloc(0, 2, 5, 64, -1), -1);
	CHECK(strstr(kms_error(), "alloc: size") == kms_error());
	CHECK_EQ(kms_alloc(1, 1, 5, 64, -1), -1);
	CHECK(strstr(kms_error(), "alloc: cpu") == kms_error());
	api_sim_done(s);
}

static void t_api_times(void)
{
	struct sim *s = api_sim_make("slub");
	if (!s)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		double v = probes[i];
		bool ok = is_int_in(v, 0, 0x1p63);
		CHECK_MSG((kms_time_check("after", v) == 0) == ok, "time_check %g", v);
		if (!ok)
			CHECK_MSG(strstr(kms_error(), "after: ns must be an integer 0..2^63") != NULL, "%s", kms_error());
	}
	/* the clock moves by exactly what was asked, up to 2^64 - 1 */
	CHECK_EQ(kms_advance(0x1p60), 0);
	CHECK(s->now == 1ull << 60);
	CHECK_EQ(kms_advance(4294967295.0), 0);
	CHECK(s->now == (1ull << 60) + 4294967295u);
	CHECK_EQ(kms_advance(NAN), -1);
	CHECK_EQ(kms_advance(-1), -1);
	CHECK_EQ(kms_advance(0.5), -1);
	CHECK(s->now == (1ull << 60) + 4294967295u);
	CHECK(strstr(kms_error(), "advance: ns must be an integer") == kms_error());
	CHECK_EQ(kms_advance(0x1p63), 0);                 /* 2^63 + 2^60 + 2^32 - 1 */
	uint64_t now = s->now;
	CHECK(now == (1ull << 63) + (1ull << 60) + 4294967295u);
	/* 2^63 more would pass 2^64 - 1: refused, and time stays */
	CHECK_EQ(kms_advance(0x1p63), -1);
	CHECK(strstr(kms_error(), "passes the end of the 64-bit clock") != NULL);
	CHECK_EQ(kms_alloc(64, 0, 0, 0, 0x1p63), -1);
	CHECK(strstr(kms_error(), "alloc: lifetime") == kms_error());
	CHECK(s->now == now);
	/* the largest lifetime that fits is scheduled exactly */
	double fit = (double)(UINT64_MAX - now) - 4096;   /* a double below the room left */
	double h = kms_alloc(64, 0, 0, 0, fit);
	CHECK(h > 0);
	CHECK_EQ(kms_advance(fit - 1024), 0);              /* the free is due at exactly now + fit */
	CHECK_EQ(kms_advance(1023), 0);
	CHECK_EQ(kms_owner_cpu(h), 0);
	CHECK_EQ(kms_advance(1), 0);
	CHECK_EQ(kms_owner_cpu(h), -1);
	CHECK(s->now == now + (uint64_t)fit);
	/* cpu checks */
	CHECK_EQ(kms_cpu_check("sim.cpu", 1), 0);
	CHECK_EQ(kms_cpu_check("sim.cpu", 2), -1);
	CHECK(strcmp(kms_error(), "sim.cpu: cpu must be an integer 0..1 (got 2)") == 0);
	CHECK_EQ(kms_cpu_check("sim.cpu", NAN), -1);
	CHECK(strcmp(kms_error(), "sim.cpu: cpu must be an integer 0..1 (got nan)") == 0);
	api_sim_done(s);
}

static void t_api_cache_arguments(void)
{
	struct sim *s = api_sim_make("nta");   /* NTA makes a cache of any size */
	if (!s)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		double v = probes[i];
		char name[32];
		snprintf(name, sizeof(name), "size-%zu", i);
		int32_t id = kms_cache(name, v, 0);
		bool ok = is_int_in(v, 1, 4294967295.0);
		CHECK_MSG((id >= 1) == ok && (ok || id == -2), "cache size %g: %d", v, id);
		if (id >= 1)
			CHECK(s->caches[id].size == (uint32_t)v);
		snprintf(name, sizeof(name), "align-%zu", i);
		id = kms_cache(name, 64, v);
		ok = is_int_in(v, 0, 4096) && !((uint64_t)v & ((uint64_t)v - 1));
		CHECK_MSG((id >= 1) == ok && (ok || id == -2), "cache align %g: %d", v, id);
		if (id >= 1)
			CHECK(s->caches[id].align == (v ? (uint32_t)v : 8));
	}
	/* the same name: the same id if size and alignment agree, else refused */
	int32_t a = kms_cache("twice", 200, 0);
	CHECK(a >= 1);
	CHECK_EQ(kms_cache("twice", 200, 8), a);          /* 0 means 8 */
	CHECK_EQ(kms_cache("twice", 201, 0), -2);
	CHECK(strcmp(kms_error(), "cache: twice exists with size 200 align 8 (asked size 201 align 8)") == 0);
	CHECK_EQ(kms_cache("twice", 200, 16), -2);
	CHECK_EQ(kms_cache("", 200, 0), -2);
	/* 2^32 - 1 bytes from a cache that size: NTA cannot serve it (too big) */
	int32_t big = kms_cache("huge", 4294967295.0, 0);
	CHECK(big >= 1);
	CHECK_EQ(kms_alloc(4294967295.0, big, 0, 0, 0), 0);
	CHECK_EQ(s->st.failed_by[FAIL_TOO_BIG], 1);
	api_sim_done(s);
}

/* Handles: a double free and a number never handed out are errors; a
 * lifetime ended by an earlier free does nothing. */
static void t_api_handles(void)
{
	struct sim *s = api_sim_make("slab");
	if (!s)
		return;
	double a = kms_alloc(100, 0, 0, 0, 0), b = kms_alloc(100, 0, 1, 0, 1000);
	CHECK(a == 1 && b == 2);
	CHECK_EQ(kms_alloc(4294967295.0, 0, 0, 0, 0), 0);   /* failed: takes no handle */
	double c = kms_alloc(100, 0, 0, 0, 0);
	CHECK(c == 3);
	CHECK_EQ(kms_free(a, 1), 0);
	uint64_t events = s->st.events;
	CHECK_EQ(kms_free(a, 0), -1);                      /* double free */
	CHECK(strcmp(kms_error(), "free: handle 1 is not live: freed already, by sim.free or at the end of "
		     "its lifetime (a double free)") == 0);
	CHECK_EQ(kms_free(4, 0), -1);                      /* never handed out */
	CHECK(strcmp(kms_error(), "free: handle must be nil or a handle sim.alloc returned (got 4)") == 0);
	CHECK_EQ(kms_free(2.5, 0), -1);
	CHECK_EQ(kms_free(-1, 0), -1);
	CHECK_EQ(kms_free(NAN, 0), -1);
	CHECK(strcmp(kms_error(), "free: handle must be nil or a handle sim.alloc returned (got nan)") == 0);
	CHECK_EQ(kms_free(c, 2), -1);                      /* a CPU the machine lacks */
	CHECK(strcmp(kms_error(), "free: cpu must be an integer 0..1 (got 2)") == 0);
	CHECK_EQ(s->st.events, events);                    /* refusals are no events */
	CHECK_EQ(kms_free(0, 0), 0);                       /* kfree(NULL) */
	CHECK_EQ(s->st.free_null, 1);
	/* b freed early: its timer at 1000 ns finds nothing and counts nothing */
	CHECK_EQ(kms_free(b, 0), 0);
	events = s->st.events;
	CHECK_EQ(kms_advance(5000), 0);
	CHECK_EQ(s->st.events, events);
	CHECK_EQ(s->st.free_unknown, 0);
	CHECK_EQ(s->ntimers, 0);
	/* c with a lifetime ended by its timer, then freed: a double free */
	double d = kms_alloc(100, 0, 0, 0, 10);
	CHECK_EQ(kms_advance(10), 0);
	CHECK_EQ(kms_owner_cpu(d), -1);
	CHECK_EQ(kms_free(d, 0), -1);
	CHECK_EQ(s->st.free_unknown, 0);
	CHECK_EQ(kms_free(c, 0), 0);
	CHECK_EQ(s->st.live_objects, 0);
	api_sim_done(s);
}

/* ---- 2^32 - 1 bytes on every back end ---- */

static void t_size_2p32_every_backend(void)
{
	const uint32_t size = UINT32_MAX;
	for (size_t bi = 0; bi < ARRAY_SIZE(backends); bi++)
		for (int mapped = 0; mapped < 2; mapped++) {
			struct params p;
			/* mapped: 8 GiB, enough order-0 frames for 2^20 pages */
			testsim_params(&p, backends[bi], mapped ? 8 * GIB : 512 * MIB);
			p.backing = mapped ? BACKING_MAPPED : BACKING_DIRECT;
			struct sim *s = testsim_create(&p);
			CHECK(s != NULL);
			if (!s)
				continue;
			uint64_t held0 = kvm_stats(s->kvm)->pages_held;
			uint64_t k1 = sim_alloc(s, 100, 0, 0, 0, 0);
			uint64_t k = sim_alloc(s, size, 0, 0, 0, 0);
			uint64_t k2 = sim_alloc(s, 100, 0, 1, 0, 0);
			CHECK(k1 && k2);
			/* zone's kmem_alloc and SLOB's large path take pages from the
			 * mapped kernel map (order-0 frames): served. Every other case
			 * has no block that large: too big. */
			bool served = mapped && (!strcmp(backends[bi], "zone") || !strcmp(backends[bi], "slob"));
			CHECK_MSG((k != 0) == served, "%s %s: 2^32-1 bytes %s", backends[bi],
				  mapped ? "mapped" : "direct", k ? "served" : "failed");
			if (k) {
				CHECK(s->st.peak_live_bytes == (uint64_t)size + 200);
				CHECK(s->a->alloc_bytes >= (uint64_t)size + 200);
				CHECK(kvm_stats(s->kvm)->pages_held >= held0 + (1u << 20));
				uint64_t a = testsim_addr(s, k), a1 = testsim_addr(s, k1), a2 = testsim_addr(s, k2);
				CHECK(a1 + 100 <= a || a + size <= a1);      /* no overlap */
				CHECK(a2 + 100 <= a || a + size <= a2);
				sim_free(s, k, 0);
			} else {
				CHECK_EQ(s->st.failed_allocs, 1);
				CHECK_EQ(s->st.failed_by[FAIL_TOO_BIG], 1);
				CHECK(s->st.peak_live_bytes == 200);
			}
			sim_free(s, k1, 0);
			sim_free(s, k2, 1);   /* on its own CPU: NTA queues a cross-CPU free */
			sim_check(s);
			CHECK(s->st.checks >= 3);
			CHECK_EQ(s->st.live_bytes, 0);
			CHECK_EQ(s->a->alloc_bytes, 0);
			sim_destroy(s);
		}
}

/* ---- an object larger than its cache, every back end ---- */

static void t_larger_than_cache_every_backend(void)
{
	for (size_t bi = 0; bi < ARRAY_SIZE(backends); bi++) {
		struct params p;
		testsim_params(&p, backends[bi], 64 * MIB);
		struct sim *s = testsim_create(&p);
		CHECK(s != NULL);
		if (!s)
			continue;
		int c = sim_cache(s, "t-obj-64", 64, 8);
		CHECK(c >= 1);
		uint64_t ok = sim_alloc(s, 64, c, 0, 0, 0);
		CHECK(ok != 0);
		static const uint32_t sizes[] = { 65, 72, 128, 4096, 65536, 1u << 20, 1u << 31, UINT32_MAX };
		for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
			CHECK_MSG(sim_alloc(s, sizes[i], c, 1, 0, 0) == 0, "%s: %u bytes from a 64-byte cache served",
				  backends[bi], sizes[i]);
		CHECK_EQ(s->st.failed_allocs, ARRAY_SIZE(sizes));
		CHECK_EQ(s->st.failed_by[FAIL_CACHE_SIZE], ARRAY_SIZE(sizes));
		CHECK(s->a->alloc_bytes >= s->st.live_bytes && s->st.live_bytes == 64);
		CHECK_EQ(s->st.live_objects, 1);
		CHECK(s->st.checks >= ARRAY_SIZE(sizes) + 1);    /* A >= R checked after each */
		CHECK(strcmp(fail_reason_names[FAIL_CACHE_SIZE], "cache_size") == 0);
		sim_free(s, ok, 0);
		sim_destroy(s);
	}
}

/* ---- the checks that must fire ---- */

/* Run fn in a child with stderr to a pipe: true if it died of SIGABRT and
 * its stderr holds want. */
static bool dies_with(void (*fn)(void), const char *want)
{
	int fd[2];
	if (pipe(fd) != 0)
		return false;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		signal(SIGABRT, SIG_DFL);
		fn();
		_exit(0);
	}
	close(fd[1]);
	char buf[4096];
	size_t n = 0;
	ssize_t r;
	while ((r = read(fd[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	bool ok = WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && strstr(buf, want) != NULL;
	if (!ok)
		printf("#   child status %#x, stderr: %.300s\n", st, buf);
	return ok;
}

/* An object served with fewer bytes than asked, as a back end would have
 * it before FAIL_CACHE_SIZE: R = 2000 (consistent with the object table),
 * A = 1024 (slub's kmalloc-1024, consistent with its slabs). */
static void child_a_below_r(void)
{
	struct params p;
	testsim_params(&p, "slub", 64 * MIB);
	struct sim *s = testsim_create(&p);
	uint64_t k = sim_alloc(s, 1000, 0, 0, 0, 0);
	objtab_lookup(&s->objs, k)->size = 2000;
	s->st.live_bytes = 2000;
	sim_check(s);
}

static void child_r_not_sum(void)
{
	struct params p;
	testsim_params(&p, "slub", 64 * MIB);
	struct sim *s = testsim_create(&p);
	sim_alloc(s, 1000, 0, 0, 0, 0);
	s->st.live_bytes = 1001;
	sim_check(s);
}

static void child_cpu_out_of_range(void)
{
	struct params p;
	testsim_params(&p, "slub", 64 * MIB);
	struct sim *s = testsim_create(&p);
	sim_alloc(s, 64, 0, 2, 0, 0);   /* 2 CPUs: 0 and 1 */
}

static void child_cache_out_of_range(void)
{
	struct params p;
	testsim_params(&p, "slub", 64 * MIB);
	struct sim *s = testsim_create(&p);
	struct event ev = { .kind = EV_ALLOC, .key = 0x10, .size = 64, .cache = 3 };
	sim_event(s, &ev);
}

static void t_checks_fire(void)
{
	CHECK(dies_with(child_a_below_r, "alloc_bytes (A) 1024 < live requested bytes (R) 2000"));
	CHECK(dies_with(child_r_not_sum, "engine: live_bytes (R) 1001 but live objects request 1000"));
	CHECK(dies_with(child_cpu_out_of_range, "sim_alloc on CPU 2 of 2"));
	CHECK(dies_with(child_cache_out_of_range, "allocation from cache 3, but caches are 0..0"));
}

/* sim_event at its limits: nothing undefined (the sanitizers watch), the
 * trace path's CPU modulo kept, counters and clocks saturate. */
static void t_event_limits(void)
{
	for (size_t bi = 0; bi < ARRAY_SIZE(backends); bi++) {
		struct params p;
		testsim_params(&p, backends[bi], 64 * MIB);
		p.sample_every = UINT64_MAX;
		p.sample_ns = UINT64_MAX;
		p.snapshot_every = UINT64_MAX;
		p.check_every = UINT64_MAX;     /* 2^64 - 1: never reached, never wrapped to "every" */
		struct sim *s = testsim_create(&p);
		CHECK(s != NULL);
		if (!s)
			continue;
		static const struct event evs[] = {
			{ .kind = EV_ALLOC, .key = 1, .size = UINT32_MAX, .cpu = UINT16_MAX },
			{ .kind = EV_ALLOC, .key = 2, .size = 0, .cpu = 7 },
			{ .kind = EV_ALLOC, .key = UINT64_MAX, .size = 100, .time_ns = UINT64_MAX - 1 },
			{ .kind = EV_PAGE_ALLOC, .key = 3, .size = UINT32_MAX },
			{ .kind = EV_PAGE_ALLOC, .key = 4, .size = 31 },
			{ .kind = EV_PAGE_FREE, .key = 4, .size = 255 },
			{ .kind = EV_FREE, .key = 5 },
			{ .kind = 99, .key = 6, .size = 7 },
			{ .kind = EV_FREE, .key = UINT64_MAX, .time_ns = UINT64_MAX },
			{ .kind = EV_FREE, .key = 2, .time_ns = UINT64_MAX },
		};
		for (size_t i = 0; i < ARRAY_SIZE(evs); i++)
			sim_event(s, &evs[i]);
		CHECK(s->now == UINT64_MAX);
		CHECK_EQ(s->st.events, ARRAY_SIZE(evs));
		CHECK_EQ(s->st.checks, 0);
		CHECK_EQ(s->st.free_unknown, 1);
		CHECK_EQ(s->st.page_failed, 2);
		CHECK(s->next_sample_ns == UINT64_MAX && s->next_check == UINT64_MAX);
		sim_check(s);
		sim_destroy(s);
	}
}

int main(void)
{
	RUN(t_parse_u64);
	RUN(t_api_alloc_arguments);
	RUN(t_api_times);
	RUN(t_api_cache_arguments);
	RUN(t_api_handles);
	RUN(t_size_2p32_every_backend);
	RUN(t_larger_than_cache_every_backend);
	RUN(t_checks_fire);
	RUN(t_event_limits);
	return check_done();
}
