/*
 * t_metric_defs.c - the engine's and the metrics' definitions (DESIGN.md
 * "Metrics"), each against numbers the test counts itself:
 *
 *  - free_of_failed vs free_unknown: keyed allocations that fail in the
 *    simulation (zone with a tiny zone_map; NTA with requests above
 *    16 KiB) and are then freed are free_of_failed; frees of keys never
 *    seen are free_unknown; a failed key allocated again, or freed once,
 *    is forgotten. Also in the summary and in kms_stats (the Lua view);
 *  - A(t) at free time: a net-packets-like run on NTA (allocated on one
 *    CPU, freed on another, so every free is queued): peak and mean
 *    internal fragmentation equal what the test computes from its own R
 *    and A, and stay below 1 (a queued free is out of A at once);
 *  - undefined is NaN, never 0: internal fragmentation with A = 0, total
 *    overhead with F = 0, J&W measures with R = 0, peak and mean over no
 *    defined sample; the summary prints them as "n/a".
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "testsim.h"
#include "../sim/api.h"
#include "../sim/engine.h"
#include "../sim/kmemsim_api.h"
#include "../allocators/allocator.h"

static struct params P;

/* testsim_params, without a database (never ./results.db). */
static void params(const char *alloc, uint64_t mem)
{
	testsim_params(&P, alloc, mem);
	P.db = NULL;
}

static void ev(struct sim *s, int kind, uint64_t key, uint32_t size, unsigned cpu)
{
	struct event e = { .kind = (uint16_t)kind, .key = key, .size = size, .cpu = (uint16_t)cpu };
	sim_event(s, &e);
}

/* A summary value by key (NAN if undefined; -1e300 if absent). */
struct kv { const char *key; double v; };
static void kv_fn(void *ctx, const char *key, double v)
{
	struct kv *kv = ctx;
	if (!strcmp(kv->key, key))
		kv->v = v;
}
static double report(struct sim *s, const char *key)
{
	struct kv kv = { key, -1e300 };
	sim_report(s, kv_fn, &kv);
	CHECK_MSG(kv.v != -1e300, "summary has no key %s", key);
	return kv.v;
}

/* The summary as text. */
static char *summary_text(struct sim *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	sim_summary(s, f);
	fclose(f);
	return buf;
}

static bool summary_has(struct sim *s, const char *line)
{
	char *t = summary_text(s);
	char want[128];
	snprintf(want, sizeof(want), "\n%s\n", line);
	bool found = strstr(t, want) != NULL;
	if (!found)
		printf("#   summary lacks \"%s\"\n", line);
	free(t);
	return found;
}

/* ---- free_of_failed ---- */

/*
 * The test's own model of the engine's rules, fed with the same events:
 * whether each alloc failed is read from failed_allocs (one counter, not
 * the engine's key set); the model then classifies every free itself.
 */
#define MODEL_KEYS 64
struct model {
	int state[MODEL_KEYS];   /* 0 never seen / forgotten, 1 live, 2 failed */
	uint64_t frees, free_of_failed, free_unknown;
};

static void model_alloc(struct sim *s, struct model *m, uint64_t key, uint32_t size)
{
	uint64_t failed = s->st.failed_allocs;
	ev(s, EV_ALLOC, key, size, 0);
	m->state[key] = s->st.failed_allocs > failed ? 2 : 1;
}

static void model_free(struct sim *s, struct model *m, uint64_t key)
{
	ev(s, EV_FREE, key, 0, 0);
	if (m->state[key] == 1)
		m->frees++;
	else if (m->state[key] == 2)
		m->free_of_failed++;
	else
		m->free_unknown++;
	m->state[key] = 0;
}

static void model_check(struct sim *s, const struct model *m)
{
	CHECK_EQ(s->st.frees, m->frees);
	CHECK_EQ(s->st.free_of_failed, m->free_of_failed);
	CHECK_EQ(s->st.free_unknown, m->free_unknown);
}

/*
 * zone with a 64 KiB zone_map: kalloc.4096 has 1-page chunks of one
 * element, so 16 allocations of 4096 bytes fill zone_map and the next
 * fail with FAIL_SUBMAP_FULL.
 */
static void t_free_of_failed_zone(void)
{
	params("zone", 64 * MIB);
	P.zone_map_bytes = 64 * KIB;
	struct sim *s = testsim_create(&P);
	CHECK(s != NULL);
	if (!s)
		return;
	struct model m = { 0 };
	for (uint64_t k = 1; k <= 20; k++)
		model_alloc(s, &m, k, 4096);
	CHECK_EQ(s->st.failed_allocs, 4);                  /* keys 17..20 */
	CHECK_EQ(s->st.failed_by[FAIL_SUBMAP_FULL], 4);
	model_alloc(s, &m, 20, 4096);                      /* fails again: still one failed key */
	model_free(s, &m, 1);                              /* a real free */
	model_alloc(s, &m, 17, 4096);                      /* takes key 1's element: 17 is live now */
	CHECK_EQ(m.state[17], 1);
	for (uint64_t k = 17; k <= 20; k++)
		model_free(s, &m, k);                          /* 17 a real free, 18..20 of failed */
	model_free(s, &m, 20);                             /* forgotten after its free: unknown */
	model_free(s, &m, 33);                             /* never seen: unknown */
	for (uint64_t k = 2; k <= 16; k++)
		model_free(s, &m, k);
	ev(s, EV_FREE, 0, 0, 0);                           /* kfree(NULL) */
	model_check(s, &m);
	CHECK_EQ(m.free_of_failed, 3);                     /* by hand: 18, 19, 20 */
	CHECK_EQ(m.free_unknown, 2);                       /* by hand: 20 again, 33 */
	CHECK_EQ(m.frees, 17);                             /* 1..17 */
	CHECK_EQ(s->st.free_null, 1);
	CHECK_EQ(s->failed.count, 0);                      /* nothing left to remember */
	CHECK(summary_has(s, "free_of_failed: 3"));
	CHECK(summary_has(s, "free_unknown: 2"));
	/* the Lua view */
	kms_api_bind(s, &P);
	struct kms_stats ks;
	kms_stats(&ks);
	CHECK_EQ(ks.free_of_failed, 3);
	CHECK_EQ(ks.free_unknown, 2);
	kms_api_bind(NULL, NULL);
	sim_destroy(s);
}

/* NTA refuses requests above 16 KiB (FAIL_TOO_BIG); a trace frees them. */
static void t_free_of_failed_nta(void)
{
	params("nta", 64 * MIB);
	struct sim *s = testsim_create(&P);
	CHECK(s != NULL);
	if (!s)
		return;
	struct model m = { 0 };
	struct rng r;
	rng_seed(&r, 5);
	for (int i = 0; i < 400; i++) {
		uint64_t k = 1 + rng_below(&r, MODEL_KEYS - 1);
		if (m.state[k] == 0 && rng_below(&r, 3))
			model_alloc(s, &m, k, rng_below(&r, 4) ? 1 + (uint32_t)rng_below(&r, 3000) : 20000);
		else
			model_free(s, &m, k);
	}
	model_check(s, &m);
	CHECK(m.free_of_failed > 10);
	CHECK(m.free_unknown > 10);
	CHECK_EQ(s->st.failed_by[FAIL_TOO_BIG], s->st.failed_allocs);
	sim_destroy(s);
}

/* sim_alloc (Lua) hands out no handle for a failed allocation: nothing is remembered. */
static void t_failed_handles_not_kept(void)
{
	params("nta", 64 * MIB);
	struct sim *s = testsim_create(&P);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(sim_alloc(s, 20000, 0, 0, 0, 0), 0);
	CHECK_EQ(s->st.failed_allocs, 10);
	CHECK_EQ(s->failed.count, 0);
	sim_destroy(s);
}

/* ---- A(t) at free time: cross-CPU frees on NTA ---- */

/*
 * net-packets.lua's shape: a 232-byte skb head (8 chunks, 256 bytes) and a
 * data buffer (1920 bytes, or 9408 for a jumbo frame: exact chunk
 * multiples, or 100 bytes: 128) allocated on CPU 0, both freed on CPU 1 a
 * few packets later, and at the end every packet freed on CPU 1: every
 * free is queued to CPU 0, and at the end R = 0 with chunks still queued.
 * Samples every event; the test tracks R and A itself (A: NTA's 32-byte
 * chunk rounding of live objects) and computes the peak and the mean of
 * (A - R) / A over the samples where A > 0.
 */
struct frag_track { uint64_t r, a, n; double peak, sum; };

/* NTA's A for an object of sz bytes: whole 32-byte chunks. */
static uint64_t nta_bytes(uint32_t sz) { return ((uint64_t)sz + 31) / 32 * 32; }

/* One sample of the test's own R and A (a sample is taken after every event). */
static void frag_sample(struct frag_track *t)
{
	if (t->a == 0)
		return;
	double in = ((double)t->a - (double)t->r) / (double)t->a;
	if (t->n == 0 || in > t->peak)
		t->peak = in;
	t->sum += in;
	t->n++;
}

static void t_cross_cpu_internal_frag(void)
{
	params("nta", 64 * MIB);
	P.sample_every = 1;
	P.cpus = 2;
	struct sim *s = testsim_create(&P);
	CHECK(s != NULL);
	if (!s)
		return;
	int head_cache = sim_cache(s, "skbuff_head_cache", 232, 8);
	enum { PACKETS = 600, DELAY = 5 };
	uint64_t key[PACKETS][2];
	uint32_t size[PACKETS][2];
	struct frag_track t = { 0 };
	struct rng rg;
	rng_seed(&rg, 11);
	unsigned done = 0;
	for (unsigned p = 0; p < PACKETS; p++) {
		unsigned pick = (unsigned)rng_below(&rg, 8);
		size[p][0] = 232;
		size[p][1] = pick == 0 ? 9408 : pick == 1 ? 100 : 1920;
		for (int j = 0; j < 2; j++) {
			key[p][j] = sim_alloc(s, size[p][j], j ? 0 : head_cache, 0, GFP_ATOMIC, 0);
			CHECK(key[p][j] != 0);
			t.r += size[p][j];
			t.a += nta_bytes(size[p][j]);
			frag_sample(&t);
		}
		CHECK_EQ(s->a->alloc_bytes, t.a);
		for (; done + DELAY <= p || (p == PACKETS - 1 && done < PACKETS); done++)
			for (int j = 0; j < 2; j++) {
				sim_free(s, key[done][j], 1);
				t.r -= size[done][j];
				t.a -= nta_bytes(size[done][j]);
				frag_sample(&t);
				CHECK_EQ(s->a->alloc_bytes, t.a);
			}
	}
	CHECK_EQ(t.r, 0);
	CHECK_EQ(s->a->alloc_bytes, 0);                    /* chunks still queued: F - A, not A */
	CHECK(kvm_stats(s->kvm)->pages_held > 0);
	CHECK(report(s, "nta_queued_frees") > 0);
	double got_peak = report(s, "peak_internal_frag"), got_mean = report(s, "mean_internal_frag");
	printf("#   peak internal fragmentation %.6f (test %.6f), mean %.6f (test %.6f), %llu samples\n", got_peak,
	       t.peak, got_mean, t.sum / (double)t.n, (unsigned long long)t.n);
	CHECK(got_peak < 1);
	CHECK(fabs(got_peak - t.peak) < 1e-12);
	CHECK(fabs(got_mean - t.sum / (double)t.n) < 1e-9);
	CHECK(isnan(report(s, "final_internal_frag")));   /* A = 0 at the end */
	CHECK(summary_has(s, "final_internal_frag: n/a"));
	sim_finish(s, RUN_OK);                             /* the final sample repeats the last one */
	CHECK(fabs(report(s, "mean_internal_frag") - t.sum / (double)t.n) < 1e-9);
	sim_destroy(s);
}

/* ---- undefined is NaN ---- */

static const char *const undefined_when_empty[] = {
	"final_internal_frag", "peak_internal_frag", "mean_internal_frag", "jw1_mean_overhead",
	"jw2_overhead_at_max_live", "jw3_overhead_at_max_footprint", "jw4_max_footprint_over_max_live",
};

/* buddy with no event: A = R = F = 0, every ratio undefined. */
static void t_nan_nothing_happened(void)
{
	params("buddy", 64 * MIB);
	struct sim *s = testsim_create(&P);
	CHECK(s != NULL);
	if (!s)
		return;
	sim_sample(s);
	CHECK_EQ(sim_footprint_bytes(s), 0);
	for (size_t i = 0; i < ARRAY_SIZE(undefined_when_empty); i++) {
		CHECK_MSG(isnan(report(s, undefined_when_empty[i])), "%s is %g, not NaN", undefined_when_empty[i],
			  report(s, undefined_when_empty[i]));
		char line[96];
		snprintf(line, sizeof(line), "%s: n/a", undefined_when_empty[i]);
		CHECK(summary_has(s, line));
	}
	CHECK(isnan(report(s, "final_total_overhead")));
	CHECK(summary_has(s, "final_total_overhead: n/a"));
	CHECK(summary_has(s, "hostage_pages: 0"));
	CHECK(summary_has(s, "cached_empty_pages: 0"));
	sim_destroy(s);
}

/*
 * SLUB: one 100-byte kmalloc (kmalloc-128), sampled, then freed: A = 0 at
 * the end, so final_internal_frag is undefined; the peak and mean are over
 * the one sample with A > 0: 28/128; the J&W measures are defined (R was
 * 100 at its peak). The empty CPU slab is one cached empty page.
 */
static void t_nan_after_free(void)
{
	params("slub", 64 * MIB);
	P.sample_every = 1;
	struct sim *s = testsim_create(&P);
	CHECK(s != NULL);
	if (!s)
		return;
	ev(s, EV_ALLOC, 7, 100, 0);
	ev(s, EV_FREE, 7, 0, 0);
	CHECK_EQ(s->a->alloc_bytes, 0);
	CHECK(isnan(report(s, "final_internal_frag")));
	CHECK(summary_has(s, "final_internal_frag: n/a"));
	CHECK(fabs(report(s, "peak_internal_frag") - 28.0 / 128) < 1e-12);
	CHECK(fabs(report(s, "mean_internal_frag") - 28.0 / 128) < 1e-12);
	CHECK(!isnan(report(s, "jw4_max_footprint_over_max_live")));
	CHECK(!isnan(report(s, "final_total_overhead")));   /* F > 0: the slab page and cache metadata */
	CHECK_EQ(report(s, "hostage_pages"), 0);
	CHECK_EQ(report(s, "cached_empty_pages"), 1);
	CHECK(summary_has(s, "cached_empty_pages: 1"));
	sim_destroy(s);
}

int main(void)
{
	RUN(t_free_of_failed_zone);
	RUN(t_free_of_failed_nta);
	RUN(t_failed_handles_not_kept);
	RUN(t_cross_cpu_internal_frag);
	RUN(t_nan_nothing_happened);
	RUN(t_nan_after_free);
	return check_done();
}
