/*
 * api.c - the functions of kmemsim_api.h, which Lua workloads call through
 * LuaJIT's FFI (ffi.C). They are thin: each checks what a script could get
 * wrong (a cache id it never made, a negative handle) and calls the engine.
 *
 * The current simulation is a global (api_sim), bound by luaw_run for the
 * time a script runs. A global is what makes a plain FFI call possible
 * without handing Lua a pointer to struct sim; only one simulation runs
 * per process.
 *
 * Handles and times cross as doubles (see the header). A bad argument is
 * not a simulated failure: kms_alloc returns -1 and kms_error() says why,
 * and the Lua side raises it as an error at the script's line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "engine.h"
#include "kmemsim_api.h"
#include "kvm.h"
#include "metrics.h"
#include "results.h"
#include "page.h"
#include "page_buddy.h"
#include "../allocators/allocator.h"

_Static_assert(FAIL_NREASONS == 7, "kms_stats.failed_by must have FAIL_NREASONS entries");
#define SAME(a, b) ((unsigned)(a) == (unsigned)(b))
_Static_assert(SAME(KMS_GFP_DMA, GFP_DMA) && SAME(KMS_GFP_DMA32, GFP_DMA32) && SAME(KMS_GFP_ATOMIC, GFP_ATOMIC) &&
	       SAME(KMS_GFP_MOVABLE, GFP_MOVABLE) && SAME(KMS_GFP_ZERO, GFP_ZERO) && SAME(KMS_GFP_NOWARN, GFP_NOWARN) &&
	       SAME(KMS_GFP_ACCOUNT, GFP_ACCOUNT) && SAME(KMS_GFP_RECLAIMABLE, GFP_RECLAIMABLE),
	       "kmemsim_api.h's GFP bits must be base.h's");
#undef SAME

static struct sim *api_sim;
static const struct params *api_params;
static char api_err[256];

/* The summary as collected by kms_report_collect. */
#define REPORT_MAX 1024
static struct { char *key; double value; } report[REPORT_MAX];
static int32_t nreport;

static void report_clear(void)
{
	for (int32_t i = 0; i < nreport; i++)
		free(report[i].key);
	nreport = 0;
}

void kms_api_bind(struct sim *s, const struct params *p)
{
	api_sim = s;
	api_params = p;
	api_err[0] = '\0';
	report_clear();
}

const char *kms_error(void)
{
	return api_err;
}

/* Largest handle or time a double carries exactly. */
#define EXACT_MAX 9007199254740992.0

double kms_alloc(uint32_t size, int32_t cache, uint32_t cpu, uint32_t gfp, double lifetime_ns)
{
	struct sim *s = api_sim;
	if (__builtin_expect(!s, 0)) {
		snprintf(api_err, sizeof(api_err), "alloc: no simulation is running");
		return -1;
	}
	if (__builtin_expect(size == 0 || (uint32_t)cache > s->ncaches || !(lifetime_ns >= 0)
			     || lifetime_ns > EXACT_MAX, 0)) {
		if (size == 0)
			snprintf(api_err, sizeof(api_err), "alloc: size must be at least 1 byte");
		else if ((uint32_t)cache > s->ncaches)
			snprintf(api_err, sizeof(api_err), "alloc: cache %d was not made by sim.cache()", (int)cache);
		else
			snprintf(api_err, sizeof(api_err), "alloc: lifetime must be 0..2^53 ns (got %g)", lifetime_ns);
		return -1;
	}
	return (double)(int64_t)sim_alloc(s, size, cache, cpu, gfp, (uint64_t)(int64_t)lifetime_ns);
}

void kms_free(double handle, uint32_t cpu)
{
	/* A handle the engine never issued (negative, fractional, NaN) is an
	 * unknown key, counted as such: UINT64_MAX is never a handle. */
	uint64_t key = UINT64_MAX;
	if (handle >= 0 && handle <= EXACT_MAX) {
		int64_t k = (int64_t)handle;   /* cvttsd2si: cheaper than a double -> uint64 */
		if ((double)k == handle)
			key = (uint64_t)k;
	}
	if (__builtin_expect(api_sim != NULL, 1))
		sim_free(api_sim, key, cpu);
}

int32_t kms_owner_cpu(double handle)
{
	if (!api_sim || !(handle >= 1 && handle <= EXACT_MAX))
		return -1;
	const struct obj *o = objtab_lookup(&api_sim->objs, (uint64_t)handle);
	return o ? o->cpu : -1;
}

int32_t kms_cache(const char *name, uint32_t size, uint32_t align)
{
	if (!api_sim || !name || !*name || size == 0 || (align & (align - 1))) {
		snprintf(api_err, sizeof(api_err), "cache: needs a name, a size >= 1 and a power-of-two alignment");
		return -2;
	}
	return sim_cache(api_sim, name, size, align);
}

void kms_advance(double ns)
{
	if (api_sim && ns > 0 && ns <= EXACT_MAX)
		sim_advance(api_sim, (uint64_t)ns);
}

double kms_now(void)
{
	return api_sim ? (double)api_sim->now : 0;
}

/* Every call below is a no-op (or a neutral answer) without a simulation:
 * `kmemsim describe` loads the API but runs nothing. */
void kms_drain(void) { if (api_sim) sim_drain(api_sim); }
void kms_sample(void) { if (api_sim) sim_sample(api_sim); }
void kms_snapshot(const char *label) { if (api_sim) metrics_snapshot(api_sim, label && *label ? label : NULL); }
void kms_reclaim(void) { if (api_sim) sim_reclaim(api_sim); }
uint32_t kms_cpus(void) { return api_sim ? api_sim->p->cpus : 1; }
uint64_t kms_seed(void) { return api_sim ? api_sim->p->seed : 0; }
const char *kms_allocator(void) { return api_sim ? api_sim->a->ops->name : ""; }

void kms_stats(struct kms_stats *out)
{
	const struct sim *s = api_sim;
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	const struct sim_stats *st = &s->st;
	out->events = st->events;
	out->allocs = st->allocs;
	out->frees = st->frees;
	out->free_unknown = st->free_unknown;
	out->free_null = st->free_null;
	out->alloc_null = st->alloc_null;
	out->realloc_live = st->realloc_live;
	out->failed_allocs = st->failed_allocs;
	for (int i = 0; i < FAIL_NREASONS; i++)
		out->failed_by[i] = st->failed_by[i];
	out->page_allocs = st->page_allocs;
	out->page_frees = st->page_frees;
	out->page_free_unknown = st->page_free_unknown;
	out->page_failed = st->page_failed;
	out->live_bytes = st->live_bytes;
	out->live_objects = st->live_objects;
	out->peak_live_bytes = st->peak_live_bytes;
	out->peak_live_objects = st->peak_live_objects;
	out->page_live_pages = st->page_live_pages;
	out->peak_page_live_pages = st->peak_page_live_pages;
	out->peak_footprint_bytes = st->peak_footprint_bytes;
	out->peak_alloc_bytes = st->peak_alloc_bytes;
	out->checks = st->checks;
	out->footprint_bytes = sim_footprint_bytes(s);
	out->alloc_bytes = s->a->alloc_bytes;
	out->meta_bytes = s->a->meta_bytes;
	out->free_pages = page_free_pages(s->pl);
	out->now_ns = s->now;
}

void kms_record(const char *key, double value)
{
	if (!api_sim || !api_sim->res || !key || !*key)
		return;
	char k[160];
	snprintf(k, sizeof(k), "script_%.140s", key);
	results_stat(api_sim->res, api_sim->run_id, k, value);
}

const char *kms_fail_reason_name(int32_t reason)
{
	return reason >= 0 && reason < FAIL_NREASONS ? fail_reason_names[reason] : "?";
}

static void report_add(void *ctx, const char *key, double v)
{
	(void)ctx;
	if (nreport == REPORT_MAX)
		return;
	report[nreport].key = xstrdup(key);
	report[nreport++].value = v;
}

int32_t kms_report_collect(void)
{
	report_clear();
	if (api_sim)
		sim_report(api_sim, report_add, NULL);
	return nreport;
}

const char *kms_report_key(int32_t i) { return i >= 0 && i < nreport ? report[i].key : NULL; }
double kms_report_value(int32_t i) { return i >= 0 && i < nreport ? report[i].value : 0; }

/* ---- randomness ---- */

/* The engine's generator; without a simulation (describe) a fixed one, so
 * nothing crashes and nothing depends on the host. */
static struct rng *api_rng(void)
{
	static struct rng idle = { { 1, 2, 3, 4 } };
	return api_sim ? &api_sim->rng : &idle;
}

double kms_rand_uniform(double a, double b)
{
	return a + (b - a) * rng_double(api_rng());
}

double kms_rand_int(double lo, double hi)
{
	if (!(hi >= lo) || !(hi - lo < EXACT_MAX))
		return lo;
	lo = ceil(lo);
	hi = floor(hi);
	return lo + (double)rng_below(api_rng(), (uint64_t)(hi - lo) + 1);
}

double kms_rand_exponential(double mean) { return rng_exponential(api_rng(), mean); }
double kms_rand_lognormal(double mu, double sigma) { return rng_lognormal(api_rng(), mu, sigma); }
double kms_rand_pareto(double xm, double alpha) { return rng_pareto(api_rng(), xm, alpha); }

struct rng_empirical *kms_empirical_create(const double *values, const double *weights, int32_t n)
{
	if (n <= 0 || !values || !weights)
		return NULL;
	return rng_empirical_create(values, weights, (size_t)n);
}

double kms_empirical_draw(struct rng_empirical *e)
{
	return rng_empirical_draw(e, api_rng());
}

void kms_empirical_destroy(struct rng_empirical *e)
{
	rng_empirical_destroy(e);
}

/* ---- the free-standing buddy allocator ---- */

struct kms_buddy {
	struct buddy b;
	struct frame *frames;
};

struct kms_buddy *kms_buddy_create(uint32_t nframes, uint32_t max_order)
{
	if (nframes == 0 || nframes > (1u << 24) || max_order >= BUDDY_MAX_ORDERS)
		return NULL;
	struct kms_buddy *kb = xcalloc(1, sizeof(*kb));
	kb->frames = xcalloc(nframes, sizeof(struct frame));
	buddy_init(&kb->b, kb->frames, nframes, max_order);
	buddy_zone_add(&kb->b, ZONE_NORMAL, 0, nframes);
	buddy_range_free(&kb->b, 0, nframes);
	return kb;
}

void kms_buddy_destroy(struct kms_buddy *kb)
{
	if (!kb)
		return;
	free(kb->frames);
	free(kb);
}

int32_t kms_buddy_alloc(struct kms_buddy *kb, double bytes)
{
	if (!(bytes >= 0 && bytes <= EXACT_MAX))
		return -1;
	unsigned order = buddy_order_for((uint64_t)bytes);
	if (order > kb->b.max_order)
		return -1;
	uint32_t pfn = buddy_alloc(&kb->b, order, 0);
	return pfn == PFN_NONE ? -1 : (int32_t)pfn;
}

void kms_buddy_free(struct kms_buddy *kb, int32_t pfn, double bytes)
{
	if (pfn < 0 || (uint32_t)pfn >= kb->b.nframes || !(bytes >= 0 && bytes <= EXACT_MAX))
		return;
	unsigned order = buddy_order_for((uint64_t)bytes);
	const struct frame *f = &kb->frames[pfn];
	if (f->state != FRAME_ALLOC_HEAD || f->order != order)
		return;   /* not a block we handed out: ignore, never abort */
	buddy_free(&kb->b, (uint32_t)pfn, order);
}

int32_t kms_buddy_block(struct kms_buddy *kb, int32_t pfn, int32_t *order)
{
	if (pfn < 0 || (uint32_t)pfn >= kb->b.nframes)
		return -1;
	const struct frame *f = &kb->frames[pfn];
	if (order)
		*order = f->order;
	return f->state == FRAME_ALLOC_HEAD ? 1 : f->state == FRAME_FREE_HEAD ? 0 : -1;
}

int32_t kms_buddy_check(struct kms_buddy *kb)
{
	char msg[256];
	return buddy_check(&kb->b, msg, sizeof(msg));
}

/* ---- script parameters ---- */

int32_t kms_set_count(void) { return api_params ? (int32_t)api_params->nsets : 0; }

const char *kms_set_key(int32_t i)
{
	return api_params && i >= 0 && (unsigned)i < api_params->nsets ? api_params->set_key[i] : NULL;
}

const char *kms_set_value(int32_t i)
{
	return api_params && i >= 0 && (unsigned)i < api_params->nsets ? api_params->set_val[i] : NULL;
}
