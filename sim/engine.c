/*
 * engine.c - the simulator.
 *
 * Theory statement
 *
 * 1. Time. Simulated time is a 64-bit count of nanoseconds (s->now). It
 *    only moves forward: a trace event carries its own timestamp, a Lua
 *    workload moves it with sim_advance(). Host time never enters a result.
 *
 * 2. Events. Every input is reduced to four kinds of event (engine.h):
 *    object alloc and free, page alloc and free. An event names its object
 *    by a key: the (hashed) pointer of a trace, or a handle the engine made
 *    up (sim_alloc). The engine never sees object contents; there are none.
 *
 * 3. Objects. The object table maps key -> {address, requested size, cache,
 *    CPU}. It is the single truth of what is live: R(t) (requested live
 *    bytes) is the sum over it, kept incrementally. A free of a key not in
 *    the table is counted (traces start mid-stream) and ignored; a free of
 *    key 0 is kfree(NULL), counted. An alloc of a key that is still live
 *    means the trace lost the free: it is counted and the old object freed
 *    first, so the back end never holds two objects under one key.
 *    Trace page allocations (mm_page_alloc) live in a second table keyed
 *    by the trace's pfn; they take frames from the same page allocator the
 *    back end uses (sim/page.h), but are not the back end's objects.
 *
 * 4. Ownership. The back end under test owns the object layer: it turns
 *    (size, cache) into an address and accounts A(t) and its metadata.
 *    Pages come to it only through kvm, which counts them; so the
 *    footprint F(t) = kvm pages held + page-table pages + metadata is
 *    measured outside the back end and cannot be misreported by it.
 *
 * 5. Failure. A failed allocation is a result: counted by reason, sampled,
 *    stored. A broken invariant is a bug: sim_check() aborts with the back
 *    end, event number and simulated time.
 *
 * 6. Scheduled frees. Objects allocated with a lifetime are freed by a
 *    binary heap of timers when time passes their deadline, in deadline
 *    order (ties by insertion), so a workload never calls back into Lua
 *    per event.
 *
 * 7. Determinism. All randomness comes from s->rng, seeded by --seed; hash
 *    table order and heap order depend only on the inputs. Same inputs ->
 *    identical rows in results.db (apart from run ids and wall-clock
 *    timestamps).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "engine.h"
#include "kvm.h"
#include "metrics.h"
#include "results.h"
#include "page.h"
#include "../allocators/allocator.h"

struct timed {
	uint64_t when;
	uint64_t seq;     /* insertion order: ties are FIFO */
	uint64_t key;
	uint32_t cpu;
};

#define TICK_NS  (10ull * 1000 * 1000)   /* back-end tick every 10 ms of simulated time */

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct sim *sim_create(const struct params *p, char *err, size_t errlen)
{
	const struct allocator_ops *ops = allocator_lookup(p->allocator ? p->allocator : "");
	if (!ops) {
		snprintf(err, errlen, "unknown allocator '%s' (see `kmemsim list`)",
			 p->allocator ? p->allocator : "");
		return NULL;
	}
	if (!physmem_config_check(&p->mem, err, errlen))
		return NULL;
	if (p->cpus < 1 || p->cpus > 256) {
		snprintf(err, errlen, "--cpus must be 1..256 (got %u)", p->cpus);
		return NULL;
	}
	struct page_layer *pl = page_create(&p->mem, NULL, err, errlen);
	if (!pl)
		return NULL;
	struct sim *s = xcalloc(1, sizeof(*s));
	s->p = p;
	s->pl = pl;
	s->pm = page_physmem(pl);
	s->kvm = kvm_create(s->pl, p);
	objtab_init(&s->objs);
	objtab_init(&s->pages);
	rng_seed(&s->rng, p->seed);
	s->next_handle = 1;
	s->next_check = p->check_every;
	s->wall_start = s->wall_last = wall_now();
	s->a = ops->create(s, p);
	if (!s->a) {
		snprintf(err, errlen, "allocator %s could not be created with these parameters", ops->name);
		sim_destroy(s);
		return NULL;
	}
	s->a->ops = ops;
	s->a->sim = s;
	if (p->db) {
		s->res = results_open(p->db, err, errlen);
		if (!s->res) {
			sim_destroy(s);
			return NULL;
		}
		s->run_id = results_run_begin(s->res, p, p->trace ? p->trace : p->script);
	}
	s->metrics = metrics_create(s);
	return s;
}

void sim_destroy(struct sim *s)
{
	if (!s)
		return;
	metrics_destroy(s->metrics);
	if (s->a)
		s->a->ops->destroy(s->a);
	results_close(s->res);
	for (unsigned i = 1; i <= s->ncaches; i++)
		free(s->caches[i].name);
	free(s->timers);
	objtab_fini(&s->objs);
	objtab_fini(&s->pages);
	kvm_destroy(s->kvm);
	page_destroy(s->pl);
	free(s);
}

int sim_cache(struct sim *s, const char *name, uint32_t size, uint32_t align)
{
	return sim_cache_create(s, name, size, align, 0);
}

int sim_cache_create(struct sim *s, const char *name, uint32_t size, uint32_t align, unsigned flags)
{
	for (unsigned i = 1; i <= s->ncaches; i++)
		if (strcmp(s->caches[i].name, name) == 0)
			return (int)i;
	if (s->ncaches + 1 >= SIM_MAX_CACHES)
		return -1;
	int id = s->a->ops->cache_create(s->a, name, size, align ? align : 8, flags);
	if (id < 0)
		return -1;
	unsigned i = ++s->ncaches;
	s->caches[i] = (struct sim_cache){ xstrdup(name), size, align ? align : 8, id };
	return (int)i;
}

uint64_t sim_footprint_bytes(const struct sim *s)
{
	return kvm_footprint_bytes(s->kvm) + s->a->meta_bytes;
}

/* ---- the per-event paths ---- */

static inline int backend_cache(const struct sim *s, int cache)
{
	return cache > 0 ? s->caches[cache].id : 0;
}

static void sim_release(struct sim *s, const struct obj *o, unsigned cpu)
{
	s->a->ops->free(s->a, backend_cache(s, o->cache), o->addr, o->size, cpu);
	s->st.frees++;
	s->st.live_bytes -= o->size;
	s->st.live_objects--;
}

/* Returns true if the object was allocated. */
static bool sim_do_alloc(struct sim *s, uint64_t key, uint32_t size, int cache, unsigned cpu, unsigned gfp)
{
	s->st.allocs++;
	struct obj old;
	if (objtab_remove(&s->objs, key, &old)) {
		s->st.realloc_live++;
		s->st.frees--;   /* the release is not a free of the input */
		sim_release(s, &old, cpu);
	}
	s->a->last_fail = FAIL_NONE;
	uint64_t addr = s->a->ops->alloc(s->a, backend_cache(s, cache), size, cpu, gfp);
	if (!addr) {
		enum fail_reason why = s->a->last_fail ? s->a->last_fail : FAIL_NOMEM;
		s->st.failed_allocs++;
		s->st.failed_by[why]++;
		return false;
	}
	struct obj *o = objtab_insert(&s->objs, key);
	o->addr = addr;
	o->size = size;
	o->cache = (uint16_t)cache;
	o->cpu = (uint8_t)cpu;
	s->st.live_bytes += size;
	s->st.live_objects++;
	if (s->st.live_objects > s->st.peak_live_objects)
		s->st.peak_live_objects = s->st.live_objects;
	/* Peaks of R and F and the other at that moment (J&W #2, #3): only an
	 * allocation raises R, and F rises only when the back end takes pages
	 * for an allocation, so checking here sees every peak. */
	uint64_t f = sim_footprint_bytes(s);
	if (s->st.live_bytes > s->st.peak_live_bytes) {
		s->st.peak_live_bytes = s->st.live_bytes;
		s->st.f_at_peak_live = f;
	}
	if (f > s->st.peak_footprint_bytes) {
		s->st.peak_footprint_bytes = f;
		s->st.r_at_peak_footprint = s->st.live_bytes;
	}
	if (s->a->alloc_bytes > s->st.peak_alloc_bytes)
		s->st.peak_alloc_bytes = s->a->alloc_bytes;
	return true;
}

static void sim_do_free(struct sim *s, uint64_t key, unsigned cpu)
{
	if (key == 0) {
		s->st.free_null++;
		return;
	}
	struct obj o;
	if (!objtab_remove(&s->objs, key, &o)) {
		s->st.free_unknown++;
		return;
	}
	sim_release(s, &o, cpu);
}

static void sim_page_free(struct sim *s, uint64_t key)
{
	struct obj o;
	if (key == 0) {            /* no page: the object table cannot hold key 0 */
		s->st.free_null++;
		return;
	}
	if (!objtab_remove(&s->pages, key, &o)) {
		s->st.page_free_unknown++;
		return;
	}
	page_free(s->pl, (uint32_t)o.addr, o.size);
	s->st.page_frees++;
	s->st.page_live_pages -= 1u << o.size;
}

static void sim_page_alloc(struct sim *s, uint64_t key, unsigned order, unsigned gfp)
{
	if (key == 0) {            /* a failed page allocation in the trace */
		s->st.alloc_null++;
		return;
	}
	s->st.page_allocs++;
	if (objtab_lookup(&s->pages, key)) {
		s->st.realloc_live++;
		sim_page_free(s, key);
		s->st.page_frees--;
	}
	uint32_t pfn = order <= page_max_order(s->pl) ? page_alloc(s->pl, order, gfp, OWNER_PAGE, 0) : PFN_NONE;
	if (pfn == PFN_NONE) {
		s->st.page_failed++;
		return;
	}
	struct obj *o = objtab_insert(&s->pages, key);
	o->addr = pfn;
	o->size = order;
	s->st.page_live_pages += 1u << order;
	if (s->st.page_live_pages > s->st.peak_page_live_pages)
		s->st.peak_page_live_pages = s->st.page_live_pages;
}

/* ---- scheduled frees ---- */

static bool timed_before(const struct timed *a, const struct timed *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void timers_push(struct sim *s, uint64_t when, uint64_t key, unsigned cpu)
{
	if (s->ntimers == s->timers_cap) {
		s->timers_cap = s->timers_cap ? s->timers_cap * 2 : 1024;
		s->timers = xrealloc(s->timers, s->timers_cap * sizeof(*s->timers));
	}
	size_t i = s->ntimers++;
	struct timed t = { when, s->next_handle, key, cpu };
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timed_before(&t, &s->timers[parent]))
			break;
		s->timers[i] = s->timers[parent];
		i = parent;
	}
	s->timers[i] = t;
}

static struct timed timers_pop(struct sim *s)
{
	struct timed top = s->timers[0], last = s->timers[--s->ntimers];
	size_t i = 0, n = s->ntimers;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && timed_before(&s->timers[c + 1], &s->timers[c]))
			c++;
		if (!timed_before(&s->timers[c], &last))
			break;
		s->timers[i] = s->timers[c];
		i = c;
	}
	if (n)
		s->timers[i] = last;
	return top;
}

static void sim_after_event(struct sim *s);

/* Move time to t, running every scheduled free due by then. */
static void sim_time_to(struct sim *s, uint64_t t)
{
	while (s->ntimers && s->timers[0].when <= t) {
		struct timed d = timers_pop(s);
		if (d.when > s->now)
			s->now = d.when;
		s->st.events++;
		sim_do_free(s, d.key, d.cpu);
		sim_after_event(s);
	}
	if (t > s->now)
		s->now = t;
	if (s->p->sample_ns && s->now >= s->next_sample_ns) {
		sim_sample(s);
		s->next_sample_ns = s->now - s->now % s->p->sample_ns + s->p->sample_ns;
	}
	if (s->a->ops->tick && s->now >= s->next_tick) {
		s->a->ops->tick(s->a, s->now);
		s->next_tick = s->now + TICK_NS;
	}
}

/* ---- sampling, checking, progress ---- */

static void sim_progress(struct sim *s)
{
	double t = wall_now();
	if (t - s->wall_last < 0.5 || t - s->wall_start < 1.0)
		return;
	s->wall_last = t;
	s->progress_shown = true;
	fprintf(stderr, "\rkmemsim: %s: %llu events, %.2f M events/s, sim time %.3f s   ",
		s->a->ops->name, (unsigned long long)s->st.events,
		(double)s->st.events / (t - s->wall_start) / 1e6, (double)s->now / 1e9);
	fflush(stderr);
}

static void sim_after_event(struct sim *s)
{
	if (s->st.events >= s->next_sample) {
		sim_sample(s);
		s->next_sample = s->st.events + (s->p->sample_every ? s->p->sample_every : 1000);
	}
	if (s->p->snapshot_every && s->st.events % s->p->snapshot_every == 0)
		metrics_snapshot(s, NULL);
	if (s->p->check_every && s->st.events >= s->next_check) {
		sim_check(s);
		s->next_check = s->st.events + s->p->check_every;
	}
	if (s->p->progress && (s->st.events & 0xffff) == 0)
		sim_progress(s);
}

void sim_sample(struct sim *s)
{
	metrics_sample(s);
}

void sim_event(struct sim *s, const struct event *ev)
{
	if (ev->time_ns > s->now || s->ntimers)
		sim_time_to(s, ev->time_ns);
	s->st.events++;
	unsigned cpu = ev->cpu < s->p->cpus ? ev->cpu : ev->cpu % s->p->cpus;
	switch (ev->kind) {
	case EV_ALLOC:
		if (ev->key == 0)
			s->st.alloc_null++;
		else
			sim_do_alloc(s, ev->key, ev->size, ev->cache, cpu, ev->gfp);
		break;
	case EV_FREE:
		sim_do_free(s, ev->key, cpu);
		break;
	case EV_PAGE_ALLOC:
		sim_page_alloc(s, ev->key, ev->size, ev->gfp);
		break;
	case EV_PAGE_FREE:
		sim_page_free(s, ev->key);
		break;
	}
	sim_after_event(s);
}

uint64_t sim_alloc(struct sim *s, uint32_t size, int cache, unsigned cpu, unsigned gfp,
		   uint64_t lifetime_ns)
{
	if (s->ntimers && s->timers[0].when <= s->now)
		sim_time_to(s, s->now);
	uint64_t key = s->next_handle++;
	s->st.events++;
	if (cpu >= s->p->cpus)
		cpu %= s->p->cpus;
	bool ok = sim_do_alloc(s, key, size, cache, cpu, gfp);
	if (ok && lifetime_ns)
		timers_push(s, s->now + lifetime_ns, key, cpu);
	sim_after_event(s);
	return ok ? key : 0;
}

void sim_free(struct sim *s, uint64_t key, unsigned cpu)
{
	s->st.events++;
	sim_do_free(s, key, cpu < s->p->cpus ? cpu : cpu % s->p->cpus);
	sim_after_event(s);
}

void sim_advance(struct sim *s, uint64_t ns)
{
	sim_time_to(s, s->now + ns);
}

void sim_drain(struct sim *s)
{
	while (s->ntimers)
		sim_time_to(s, s->timers[0].when);
}

void sim_reclaim(struct sim *s)
{
	if (s->a->ops->reclaim)
		s->a->ops->reclaim(s->a);
}

void sim_check(struct sim *s)
{
	char msg[512] = "";
	s->st.checks++;
	if (!s->a->ops->check(s->a, msg, sizeof(msg)))
		goto broken;
	if (s->a->ops != allocator_lookup("buddy") && !page_check(s->pl, msg, sizeof(msg)))
		goto broken;
	if (!kvm_check(s->kvm, msg, sizeof(msg)))     /* page source and page tables */
		goto broken;
	if (s->st.live_objects != s->objs.count) {
		snprintf(msg, sizeof(msg), "engine: live_objects %llu but object table holds %llu",
			 (unsigned long long)s->st.live_objects, (unsigned long long)s->objs.count);
		goto broken;
	}
	return;
broken:
	fprintf(stderr, "\nkmemsim: invariant broken in back end %s at event %llu, simulated time %llu ns:\n  %s\n",
		s->a->ops->name, (unsigned long long)s->st.events, (unsigned long long)s->now, msg);
	abort();
}

/* ---- end of run ---- */

void sim_report(struct sim *s, void (*fn)(void *ctx, const char *key, double v), void *ctx)
{
	const struct sim_stats *st = &s->st;
#define R(k, v) fn(ctx, k, (double)(v))
	R("events", st->events);
	R("allocs", st->allocs);
	R("frees", st->frees);
	R("free_unknown", st->free_unknown);
	R("free_null", st->free_null);
	R("alloc_null", st->alloc_null);
	R("realloc_live", st->realloc_live);
	R("failed_allocs", st->failed_allocs);
	for (int i = 1; i < FAIL_NREASONS; i++)
		if (st->failed_by[i]) {
			char k[48];
			snprintf(k, sizeof(k), "failed_%s", fail_reason_names[i]);
			fn(ctx, k, (double)st->failed_by[i]);
		}
	R("peak_live_bytes", st->peak_live_bytes);
	R("peak_live_objects", st->peak_live_objects);
	R("final_live_bytes", st->live_bytes);
	R("final_live_objects", st->live_objects);
	R("peak_alloc_bytes", st->peak_alloc_bytes);
	R("final_alloc_bytes", s->a->alloc_bytes);
	R("peak_footprint_bytes", st->peak_footprint_bytes);
	R("final_footprint_bytes", sim_footprint_bytes(s));
	R("meta_bytes", s->a->meta_bytes);
	R("page_allocs", st->page_allocs);
	R("page_frees", st->page_frees);
	R("page_free_unknown", st->page_free_unknown);
	R("page_failed", st->page_failed);
	R("peak_page_live_pages", st->peak_page_live_pages);
	R("sim_time_ns", s->now);
	R("free_pages", page_free_pages(s->pl));
	kvm_report(s->kvm, fn, ctx);
#undef R
	metrics_report(s, fn, ctx);
	if (s->a->ops->report)
		s->a->ops->report(s->a, fn, ctx);
}

static void summary_line(void *ctx, const char *key, double v)
{
	FILE *out = ctx;
	if (v == (double)(int64_t)v)
		fprintf(out, "%s: %lld\n", key, (long long)v);
	else
		fprintf(out, "%s: %.6g\n", key, v);
}

void sim_summary(struct sim *s, FILE *out)
{
	fprintf(out, "allocator: %s\n", s->a->ops->name);
	sim_report(s, summary_line, out);
	if (s->res)
		fprintf(out, "run_id: %lld\n", (long long)s->run_id);
}

static void stat_row(void *ctx, const char *key, double v)
{
	struct sim *s = ctx;
	results_stat(s->res, s->run_id, key, v);
}

static void cache_row(void *ctx, const struct cache_info *ci)
{
	struct sim *s = ctx;
	results_cache(s->res, s->run_id, ci);
}

void sim_finish(struct sim *s, bool ok)
{
	if (s->progress_shown)
		fputc('\n', stderr);
	metrics_finish(s);
	if (!s->res)
		return;
	sim_report(s, stat_row, s);
	if (s->a->ops->caches)
		s->a->ops->caches(s->a, cache_row, s);
	results_run_end(s->res, s->run_id, ok ? "ok" : "failed", ok ? NULL : s->failmsg);
}
