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
 * Every number crosses as a double (see the header) and is checked here:
 * an integer in the argument's range, or refused. A bad argument is not a
 * simulated failure: the call returns -1 (or NaN, or -2 for kms_cache)
 * and kms_error() says which argument and what it was, and the Lua side
 * raises it as an error at the script's line.
 *
 * The per-event calls (kms_alloc, kms_free) check on one predictable
 * branch: each argument is clamped, converted to an integer and compared
 * back (api_int, branch-free); kms_alloc looks at cache, gfp and lifetime
 * only when one is not 0 (a plain kmalloc passes zeros). The message is
 * built only on the slow path, which checks everything again in full.
 * They allocate nothing.
 *
 * Handles: the engine numbers successful allocations 1, 2, 3, ... (a
 * failed one takes no number), so a handle below next_handle that is not
 * live was freed: freeing it again is a double free, refused as an error
 * rather than counted as free_unknown. A number the engine never handed
 * out (0.5, -1, a future handle) is refused as "not a handle".
 */
#include <math.h>
#include <stdarg.h>
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

_Static_assert(FAIL_NREASONS == ARRAY_SIZE(((struct kms_stats *)0)->failed_by),
	       "kms_stats.failed_by must have FAIL_NREASONS entries");
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

/* Largest handle a double carries exactly. */
#define EXACT_MAX 9007199254740992.0
/* Largest time argument: 2^63 ns (292 years), itself exact in a double. */
#define TIME_MAX 0x1p63
/* Largest alignment of a named cache. */
#define ALIGN_MAX 4096.0

/* v is an integer in 0..max (max < 2^63): its value in *out. NaN fails
 * the first compare; the conversion is then defined (and a single
 * instruction, being signed). */
static inline bool api_uint(double v, double max, uint64_t *out)
{
	if (!(v >= 0 && v <= max))
		return false;
	int64_t i = (int64_t)v;
	*out = (uint64_t)i;
	return (double)i == v;
}

/* A time: an integer 0..2^63 ns (2^63 itself is one past INT64_MAX). */
static inline bool api_time_uint(double v, uint64_t *out)
{
	if (__builtin_expect(v == TIME_MAX, 0)) {
		*out = 1ull << 63;
		return true;
	}
	return api_uint(v, TIME_MAX, out);   /* below 2^63: a signed conversion */
}

/* v as a message shows it: an integer in full, else the shortest %g that
 * reads back ("0.5", "nan", "inf", "-1.5e+300"). */
static const char *api_show(double v, char *buf, size_t len)
{
	if (v != v)
		snprintf(buf, len, "nan");   /* not "-nan": 0/0's sign means nothing */
	else if (fabs(v) < 1e21 && v == trunc(v))
		snprintf(buf, len, "%.0f", v);
	else if (snprintf(buf, len, "%.15g", v) > 0 && strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
	return buf;
}

__attribute__((format(printf, 1, 2)))
static void api_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(api_err, sizeof(api_err), fmt, ap);
	va_end(ap);
}

static bool api_running(const char *what)
{
	if (api_sim)
		return true;
	api_error("%s: no simulation is running", what);
	return false;
}

/* A time argument (a lifetime, an advance): an integer 0..2^63 ns that
 * keeps now + ns on the 64-bit clock. */
static bool api_time(const char *what, const char *arg, double ns, uint64_t *out)
{
	char b[64];
	if (!api_running(what))
		return false;
	if (!api_time_uint(ns, out)) {
		api_error("%s: %s must be an integer 0..2^63 ns (got %s)", what, arg, api_show(ns, b, sizeof(b)));
		return false;
	}
	if (*out > UINT64_MAX - api_sim->now) {
		api_error("%s: %s %s ns from now (%llu ns) passes the end of the 64-bit clock", what, arg,
			  api_show(ns, b, sizeof(b)), (unsigned long long)api_sim->now);
		return false;
	}
	return true;
}

static bool api_cpu(const char *what, double cpu, uint64_t *out)
{
	unsigned ncpu = api_sim ? api_sim->p->cpus : 1;
	if (api_uint(cpu, ncpu - 1, out))
		return true;
	char b[64];
	api_error("%s: cpu must be an integer 0..%u (got %s)", what, ncpu - 1, api_show(cpu, b, sizeof(b)));
	return false;
}

/*
 * The hot path's check, branch-free: v clamped into [0, max] (NaN to 0),
 * converted, and compared with itself: any v that is not an integer in
 * 0..max (max < 2^63) sets *bad. The clamp makes the conversion defined
 * for every input; the caller branches once on bad.
 */
static inline uint64_t api_int(double v, double max, bool *bad)
{
	double c = v > 0 ? v : 0;
	c = c < max ? c : max;
	int64_t i = (int64_t)c;
	*bad |= (double)i != v;
	return (uint64_t)i;
}

/* Largest lifetime the hot path takes; a longer valid one (up to 2^63)
 * goes the slow way. */
#define TIME_HOT 0x1p62

/* The slow path of kms_alloc: check each argument in full, name the first
 * bad one; if there is none (a lifetime above TIME_HOT), allocate. */
__attribute__((noinline, cold))
static double api_alloc_slow(double size, double cache, double cpu, double gfp, double lifetime_ns)
{
	char b[64];
	uint64_t sz, c, cp, g, life;
	struct sim *s = api_sim;
	if (!api_running("alloc"))
		return -1;
	if (!api_uint(size, UINT32_MAX, &sz) || sz == 0)
		api_error("alloc: size must be an integer 1..%u bytes (got %s)", UINT32_MAX,
			  api_show(size, b, sizeof(b)));
	else if (api_uint(cache, EXACT_MAX, &c) && c > s->ncaches)
		api_error("alloc: cache %llu was not made by sim.cache()", (unsigned long long)c);
	else if (!api_uint(cache, s->ncaches, &c))
		api_error("alloc: cache must be 0 (kmalloc) or an id from sim.cache() (got %s)",
			  api_show(cache, b, sizeof(b)));
	else if (!api_cpu("alloc", cpu, &cp))
		;
	else if (!api_uint(gfp, GFP_KNOWN, &g) || (g & ~(uint64_t)GFP_KNOWN))
		api_error("alloc: gfp must be an integer made of sim.GFP_* bits (mask %#x) (got %s)",
			  (unsigned)GFP_KNOWN, api_show(gfp, b, sizeof(b)));
	else if (!api_time("alloc", "lifetime", lifetime_ns, &life))
		;
	else
		return (double)sim_alloc(s, (uint32_t)sz, (int)c, (unsigned)cp, (unsigned)g, life);
	return -1;
}

double kms_alloc(double size, double cache, double cpu, double gfp, double lifetime_ns)
{
	struct sim *s = api_sim;
	if (__builtin_expect(s != NULL, 1)) {
		bool bad = false;
		uint64_t sz = api_int(size, UINT32_MAX, &bad);
		uint64_t cp = api_int(cpu, s->p->cpus - 1, &bad);
		uint64_t c = 0, g = 0, life = 0;
		if (cache != 0 || gfp != 0 || lifetime_ns != 0) {   /* options (NaN too) */
			c = api_int(cache, s->ncaches, &bad);
			g = api_int(gfp, GFP_KNOWN, &bad);
			life = api_int(lifetime_ns, TIME_HOT, &bad);
			bad |= ((g & ~(uint64_t)GFP_KNOWN) != 0) | (life > UINT64_MAX - s->now);
		}
		if (__builtin_expect(!(bad | (sz == 0)), 1))
			return (double)sim_alloc(s, (uint32_t)sz, (int)c, (unsigned)cp, (unsigned)g, life);
	}
	return api_alloc_slow(size, cache, cpu, gfp, lifetime_ns);
}

/* The cold path of kms_free: say why. */
__attribute__((noinline, cold))
static int32_t api_free_refuse(double handle, double cpu)
{
	char b[64];
	uint64_t key, cp;
	if (!api_running("free"))
		return -1;
	if (!api_uint(handle, EXACT_MAX, &key) || key >= api_sim->next_handle)
		api_error("free: handle must be nil or a handle sim.alloc returned (got %s)",
			  api_show(handle, b, sizeof(b)));
	else if (api_cpu("free", cpu, &cp))
		api_error("free: handle %llu is not live: freed already, by sim.free or at the end of "
			  "its lifetime (a double free)", (unsigned long long)key);
	return -1;
}

int32_t kms_free(double handle, double cpu)
{
	struct sim *s = api_sim;
	if (__builtin_expect(s != NULL, 1)) {
		bool bad = false;
		uint64_t key = api_int(handle, EXACT_MAX, &bad);
		uint64_t cp = api_int(cpu, s->p->cpus - 1, &bad);
		if (__builtin_expect(!(bad | (key >= s->next_handle)), 1) && sim_free(s, key, (unsigned)cp))
			return 0;
	}
	return api_free_refuse(handle, cpu);
}

int32_t kms_owner_cpu(double handle)
{
	uint64_t key;
	if (!api_sim || !api_uint(handle, EXACT_MAX, &key) || key == 0)
		return -1;
	const struct obj *o = objtab_lookup(&api_sim->objs, key);
	return o ? o->cpu : -1;
}

int32_t kms_cache(const char *name, double size, double align)
{
	char b[64], b2[64];
	uint64_t sz, al;
	if (!api_running("cache"))
		return -2;
	if (!name || !*name) {
		api_error("cache: needs a name");
		return -2;
	}
	if (!api_uint(size, UINT32_MAX, &sz) || sz == 0) {
		api_error("cache: size must be an integer 1..%u bytes (got %s)", UINT32_MAX, api_show(size, b, sizeof(b)));
		return -2;
	}
	if (!api_uint(align, ALIGN_MAX, &al) || (al & (al - 1))) {
		api_error("cache: align must be 0 (8 bytes) or a power of two up to %.0f (got %s)", ALIGN_MAX,
			  api_show(align, b, sizeof(b)));
		return -2;
	}
	int id = sim_cache(api_sim, name, (uint32_t)sz, (uint32_t)al);
	if (id == -2) {
		for (unsigned i = 1; i <= api_sim->ncaches; i++)
			if (strcmp(api_sim->caches[i].name, name) == 0)
				api_error("cache: %s exists with size %u align %u (asked size %s align %s)", name,
					  api_sim->caches[i].size, api_sim->caches[i].align, api_show(size, b, sizeof(b)),
					  api_show(al ? align : 8, b2, sizeof(b2)));
	}
	return id;
}

int32_t kms_advance(double ns)
{
	uint64_t u;
	if (!api_time("advance", "ns", ns, &u))
		return -1;
	sim_advance(api_sim, u);
	return 0;
}

int32_t kms_time_check(const char *what, double ns)
{
	uint64_t u;
	return api_time(what && *what ? what : "time", "ns", ns, &u) ? 0 : -1;
}

int32_t kms_cpu_check(const char *what, double cpu)
{
	uint64_t u;
	return api_cpu(what && *what ? what : "cpu", cpu, &u) ? 0 : -1;
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
int32_t kms_stopped(void) { return api_sim && sim_stopped(api_sim); }

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
	out->free_of_failed = st->free_of_failed;
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

/* The distributions refuse parameters that give no number (NaN: the Lua
 * side raises kms_error) instead of drawing NaN, infinities or lo. */
static double api_rand_refuse(const char *what, const char *need, int nargs, double a, double b)
{
	char x[64], y[64];
	api_error("rand.%s: needs %s (got %s%s%s)", what, need, api_show(a, x, sizeof(x)),
		  nargs > 1 ? ", " : "", nargs > 1 ? api_show(b, y, sizeof(y)) : "");
	return NAN;
}

double kms_rand_uniform(double a, double b)
{
	if (!(isfinite(a) && isfinite(b) && a <= b && isfinite(b - a)))
		return api_rand_refuse("uniform", "finite a <= b", 2, a, b);
	return a + (b - a) * rng_double(api_rng());
}

double kms_rand_int(double lo, double hi)
{
	double l = ceil(lo), h = floor(hi);
	if (!(l <= h && h - l < EXACT_MAX && l >= -EXACT_MAX && h <= EXACT_MAX))
		return api_rand_refuse("int", "an integer in [lo, hi] and |lo|, |hi| <= 2^53", 2, lo, hi);
	return l + (double)rng_below(api_rng(), (uint64_t)(h - l) + 1);
}

double kms_rand_exponential(double mean)
{
	if (!(mean > 0 && isfinite(mean)))
		return api_rand_refuse("exponential", "a finite mean > 0", 1, mean, 0);
	return rng_exponential(api_rng(), mean);
}

double kms_rand_lognormal(double mu, double sigma)
{
	if (!(isfinite(mu) && sigma >= 0 && isfinite(sigma)))
		return api_rand_refuse("lognormal", "finite mu and sigma >= 0", 2, mu, sigma);
	return rng_lognormal(api_rng(), mu, sigma);
}

double kms_rand_pareto(double xm, double alpha)
{
	if (!(xm > 0 && isfinite(xm) && alpha > 0 && isfinite(alpha)))
		return api_rand_refuse("pareto", "finite xm > 0 and alpha > 0", 2, xm, alpha);
	return rng_pareto(api_rng(), xm, alpha);
}

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

struct kms_buddy *kms_buddy_create(double nframes_d, double max_order_d)
{
	uint64_t nframes, max_order;
	if (!api_uint(nframes_d, 1u << 24, &nframes) || nframes == 0 ||
	    !api_uint(max_order_d, BUDDY_MAX_ORDERS - 1, &max_order))
		return NULL;
	struct kms_buddy *kb = xcalloc(1, sizeof(*kb));
	kb->frames = xcalloc(nframes, sizeof(struct frame));
	buddy_init(&kb->b, kb->frames, (uint32_t)nframes, (unsigned)max_order);
	buddy_zone_add(&kb->b, ZONE_NORMAL, 0, (uint32_t)nframes);
	buddy_range_free(&kb->b, 0, (uint32_t)nframes);
	return kb;
}

void kms_buddy_destroy(struct kms_buddy *kb)
{
	if (!kb)
		return;
	free(kb->frames);
	free(kb);
}

/* -1: no block that large is free; -2: bytes is no integer 0..2^53. */
int32_t kms_buddy_alloc(struct kms_buddy *kb, double bytes)
{
	uint64_t n;
	if (!api_uint(bytes, EXACT_MAX, &n))
		return -2;
	unsigned order = buddy_order_for(n);
	if (order > kb->b.max_order)
		return -1;
	uint32_t pfn = buddy_alloc(&kb->b, order, 0);
	return pfn == PFN_NONE ? -1 : (int32_t)pfn;
}

int32_t kms_buddy_free(struct kms_buddy *kb, double pfn_d, double bytes)
{
	uint64_t pfn, n;
	if (!api_uint(pfn_d, kb->b.nframes - 1, &pfn) || !api_uint(bytes, EXACT_MAX, &n))
		return -1;
	unsigned order = buddy_order_for(n);
	const struct frame *f = &kb->frames[pfn];
	if (f->state != FRAME_ALLOC_HEAD || f->order != order)
		return -1;   /* not a block we handed out: refuse, never abort */
	buddy_free(&kb->b, (uint32_t)pfn, order);
	return 0;
}

int32_t kms_buddy_block(struct kms_buddy *kb, double pfn_d, int32_t *order)
{
	uint64_t pfn;
	if (!api_uint(pfn_d, kb->b.nframes - 1, &pfn))
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
