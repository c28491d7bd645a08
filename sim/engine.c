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
 *    the table is counted and ignored: as free_of_failed if the key's
 *    last allocation failed in the simulation (the engine remembers such
 *    keys in a second table until they are freed or allocated again; a
 *    Lua workload never gets a handle for a failed allocation, so only
 *    keyed events are remembered), else as free_unknown (a trace starts
 *    mid-stream); a free of key 0 is kfree(NULL), counted. An alloc of a
 *    key that is still live means the trace lost the free: it is counted
 *    and the old object freed first, so the back end never holds two
 *    objects under one key.
 *    Trace page allocations (mm_page_alloc) live in a second table keyed
 *    by the trace's pfn; they take frames from the same page allocator the
 *    back end uses (sim/page.h), but are not the back end's objects.
 *    Handles (sim_alloc) number the successful allocations 1, 2, 3, ...:
 *    a handle below next_handle that is not live was freed, so a second
 *    free of it is the caller's error (sim_free returns false), not a
 *    free_unknown.
 *
 * 4. Ownership. The back end under test owns the object layer: it turns
 *    (size, cache) into an address and accounts A(t) and its metadata.
 *    Pages come to it only through kvm, which counts them; so the
 *    footprint F(t) = kvm pages held + page-table pages + metadata is
 *    measured outside the back end and cannot be misreported by it.
 *
 * 5. Failure. A failed allocation is a result: counted by reason, sampled,
 *    stored. An object larger than the named cache it asks for fails here,
 *    before the back end sees it (FAIL_CACHE_SIZE): no back end serves
 *    fewer bytes than requested, so A(t) >= R(t) always, and sim_check
 *    verifies it. A broken invariant is a bug: sim_check() aborts with the
 *    back end, event number and simulated time; so does a caller that
 *    breaks the engine's contract (a CPU or cache id out of range).
 *    Numbers never wrap: counters of events and deadlines on the 64-bit
 *    clock saturate at 2^64 - 1 ("never").
 *
 * 6. Scheduled frees. Objects allocated with a lifetime are freed by a
 *    binary heap of timers when time passes their deadline, in deadline
 *    order (ties by insertion), so a workload never calls back into Lua
 *    per event. A timer whose object was freed earlier does nothing and
 *    is no event.
 *
 * 7. Determinism. All randomness comes from s->rng, seeded by --seed; hash
 *    table order and heap order depend only on the inputs. Same inputs ->
 *    identical rows in results.db (apart from run ids and wall-clock
 *    timestamps).
 *
 * 8. Stopping. A run ends when its input ends, or earlier by sim_stop: a
 *    signal (SIGINT, SIGTERM: the handler only sets sim_signal, which the
 *    per-event path looks at), a write error of the results store (seen
 *    after each sample), or a limit. From then on events are ignored and
 *    time stands still, so the partial results sim_finish records are the
 *    state at one event boundary, under status interrupted or failed.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
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
	if (!params_check(p, err, errlen))
		return NULL;
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
	objtab_init(&s->failed);
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
		if (s->run_id < 0) {
			snprintf(err, errlen, "%s: cannot record the run: %s", p->db, results_error(s->res));
			sim_destroy(s);
			return NULL;
		}
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
	objtab_fini(&s->failed);
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
	if (!align)
		align = 8;
	for (unsigned i = 1; i <= s->ncaches; i++)
		if (strcmp(s->caches[i].name, name) == 0)
			return s->caches[i].size == size && s->caches[i].align == align ? (int)i : -2;
	if (s->ncaches + 1 >= SIM_MAX_CACHES)
		return -1;
	int id = s->a->ops->cache_create(s->a, name, size, align, flags);
	if (id < 0)
		return -1;
	unsigned i = ++s->ncaches;
	s->caches[i] = (struct sim_cache){ xstrdup(name), size, align, id };
	return (int)i;
}

uint64_t sim_footprint_bytes(const struct sim *s)
{
	return kvm_footprint_bytes(s->kvm) + s->a->meta_bytes;
}

/* a + b, or UINT64_MAX when it would wrap: "never" for an event count or
 * a deadline on the 64-bit clock. */
static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* A caller broke the engine's contract (a CPU or cache it should have
 * refused): a bug, reported like a broken invariant. */
__attribute__((format(printf, 2, 3)))
static _Noreturn void sim_bug(const struct sim *s, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "\nkmemsim: engine misused at event %llu, simulated time %llu ns:\n  ",
		(unsigned long long)s->st.events, (unsigned long long)s->now);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
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

/* Returns true if the object was allocated. An object larger than the
 * named cache it asks for is a failure (FAIL_CACHE_SIZE), never served
 * with fewer bytes than requested. */
static bool sim_do_alloc(struct sim *s, uint64_t key, uint32_t size, int cache, unsigned cpu, unsigned gfp)
{
	if (__builtin_expect(cache < 0 || (unsigned)cache > s->ncaches, 0))
		sim_bug(s, "allocation from cache %d, but caches are 0..%u", cache, s->ncaches);
	s->st.allocs++;
	struct obj old;
	if (objtab_remove(&s->objs, key, &old)) {
		s->st.realloc_live++;
		s->st.frees--;   /* the release is not a free of the input */
		sim_release(s, &old, cpu);
	}
	s->a->last_fail = FAIL_NONE;
	uint64_t addr = 0;
	if (__builtin_expect(cache > 0 && size > s->caches[cache].size, 0))
		s->a->last_fail = FAIL_CACHE_SIZE;
	else
		addr = s->a->ops->alloc(s->a, backend_cache(s, cache), size, cpu, gfp);
	if (!addr) {
		enum fail_reason why = s->a->last_fail ? s->a->last_fail : FAIL_NOMEM;
		s->st.failed_allocs++;
		s->st.failed_by[why]++;
		return false;
	}
	if (s->failed.count)
		objtab_remove(&s->failed, key, NULL);   /* allocated again: no longer a failed key */
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

/* Free the live object key; false (nothing counted) if key is not live. */
static bool sim_do_free(struct sim *s, uint64_t key, unsigned cpu)
{
	struct obj o;
	if (!objtab_remove(&s->objs, key, &o))
		return false;
	sim_release(s, &o, cpu);
	return true;
}

/* A keyed allocation failed: remember the key, so its free is counted as
 * free_of_failed, not free_unknown. */
static void sim_failed_remember(struct sim *s, uint64_t key)
{
	if (!objtab_lookup(&s->failed, key))
		objtab_insert(&s->failed, key);
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
	while (s->ntimers && s->timers[0].when <= t && s->stop == RUN_RUNNING) {
		struct timed d = timers_pop(s);
		if (d.when > s->now)
			s->now = d.when;
		/* A handle the script freed before its lifetime ended: the
		 * scheduled free has nothing left to do and is no event. */
		if (!sim_do_free(s, d.key, d.cpu))
			continue;
		s->st.events++;
		sim_after_event(s);
	}
	if (s->stop != RUN_RUNNING)
		return;
	if (t > s->now)
		s->now = t;
	if (s->p->sample_ns && s->now >= s->next_sample_ns) {
		sim_sample(s);
		s->next_sample_ns = sat_add(s->now - s->now % s->p->sample_ns, s->p->sample_ns);
	}
	if (s->a->ops->tick && s->now >= s->next_tick) {
		s->a->ops->tick(s->a, s->now);
		s->next_tick = sat_add(s->now, TICK_NS);
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
		s->next_sample = sat_add(s->st.events, s->p->sample_every ? s->p->sample_every : 1000);
	}
	if (s->p->snapshot_every && s->st.events % s->p->snapshot_every == 0)
		metrics_snapshot(s, NULL);
	if (s->p->check_every && s->st.events >= s->next_check) {
		sim_check(s);
		s->next_check = sat_add(s->st.events, s->p->check_every);
	}
	if (s->p->progress && (s->st.events & 0xffff) == 0)
		sim_progress(s);
	if (__builtin_expect(sim_signal != 0, 0))
		sim_signal_stop(s);
}

void sim_sample(struct sim *s)
{
	metrics_sample(s);
	if (s->res && results_error(s->res))
		sim_stop(s, RUN_FAILED, "%s: %s: the run's results are incomplete", s->p->db, results_error(s->res));
}

void sim_event(struct sim *s, const struct event *ev)
{
	if (__builtin_expect(s->stop != RUN_RUNNING, 0))
		return;
	if (ev->time_ns > s->now || s->ntimers)
		sim_time_to(s, ev->time_ns);
	s->st.events++;
	unsigned cpu = ev->cpu < s->p->cpus ? ev->cpu : ev->cpu % s->p->cpus;
	switch (ev->kind) {
	case EV_ALLOC:
		if (ev->key == 0)
			s->st.alloc_null++;
		else if (!sim_do_alloc(s, ev->key, ev->size, ev->cache, cpu, ev->gfp))
			sim_failed_remember(s, ev->key);
		break;
	case EV_FREE:
		if (ev->key == 0)
			s->st.free_null++;
		else if (!sim_do_free(s, ev->key, cpu)) {
			if (s->failed.count && objtab_remove(&s->failed, ev->key, NULL))
				s->st.free_of_failed++;
			else
				s->st.free_unknown++;
		}
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
	if (__builtin_expect(s->stop != RUN_RUNNING, 0))
		return 0;
	if (__builtin_expect(cpu >= s->p->cpus || lifetime_ns > UINT64_MAX - s->now, 0))
		sim_bug(s, "sim_alloc on CPU %u of %u, lifetime %llu ns: the caller must refuse these",
			cpu, s->p->cpus, (unsigned long long)lifetime_ns);
	if (s->ntimers && s->timers[0].when <= s->now)
		sim_time_to(s, s->now);
	/* Handles count successful allocations only, so every key below
	 * next_handle was handed out and a dead one was freed. */
	uint64_t key = s->next_handle;
	s->st.events++;
	bool ok = sim_do_alloc(s, key, size, cache, cpu, gfp);
	if (ok) {
		s->next_handle++;
		if (lifetime_ns)
			timers_push(s, s->now + lifetime_ns, key, cpu);
	}
	sim_after_event(s);
	return ok ? key : 0;
}

bool sim_free(struct sim *s, uint64_t key, unsigned cpu)
{
	if (__builtin_expect(s->stop != RUN_RUNNING, 0))
		return true;   /* a stopped run ignores events (the caller sees sim_stopped) */
	if (__builtin_expect(cpu >= s->p->cpus, 0))
		sim_bug(s, "sim_free on CPU %u of %u: the caller must refuse it", cpu, s->p->cpus);
	if (key == 0) {
		s->st.events++;
		s->st.free_null++;
	} else if (sim_do_free(s, key, cpu)) {
		s->st.events++;
	} else {
		return false;
	}
	sim_after_event(s);
	return true;
}

void sim_advance(struct sim *s, uint64_t ns)
{
	if (__builtin_expect(ns > UINT64_MAX - s->now, 0))
		sim_bug(s, "sim_advance by %llu ns passes the end of the 64-bit clock", (unsigned long long)ns);
	sim_time_to(s, s->now + ns);
}

void sim_drain(struct sim *s)
{
	while (s->ntimers && s->stop == RUN_RUNNING)
		sim_time_to(s, s->timers[0].when);
}

/* ---- stopping ---- */

volatile sig_atomic_t sim_signal;

static void sim_signal_handler(int sig)
{
	if (sim_signal) {          /* a second signal while stopping: die of it */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	sim_signal = sig;
}

void sim_signals_catch(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sim_signal_handler;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a read blocked on a quiet pipe (--trace -) returns
	 * EINTR, and the reader sees the stop. A signal ignored on entry
	 * (SIGINT of a background job of a script) stays ignored. */
	static const int sigs[] = { SIGINT, SIGTERM };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		struct sigaction old;
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	}
}

void sim_stop(struct sim *s, enum run_status status, const char *fmt, ...)
{
	if (s->stop != RUN_RUNNING && !(status == RUN_FAILED && s->stop == RUN_INTERRUPTED))
		return;
	s->stop = status;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->failmsg, sizeof(s->failmsg), fmt, ap);
	va_end(ap);
}

void sim_signal_stop(struct sim *s)
{
	int sig = sim_signal;
	if (!sig || s->stop != RUN_RUNNING)
		return;
	s->stop_signal = sig;
	sim_stop(s, RUN_INTERRUPTED, "interrupted by %s at event %llu (simulated time %llu ns)",
		 sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal",
		 (unsigned long long)s->st.events, (unsigned long long)s->now);
}

void sim_reclaim(struct sim *s)
{
	if (s->a->ops->reclaim)
		s->a->ops->reclaim(s->a);
}

static void sum_requested(void *ctx, const struct obj *o)
{
	*(uint64_t *)ctx += o->size;
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
	uint64_t requested = 0;
	objtab_foreach(&s->objs, sum_requested, &requested);
	if (requested != s->st.live_bytes) {
		snprintf(msg, sizeof(msg), "engine: live_bytes (R) %llu but live objects request %llu",
			 (unsigned long long)s->st.live_bytes, (unsigned long long)requested);
		goto broken;
	}
	/* A >= R: no back end serves an object with fewer bytes than asked. */
	if (s->a->alloc_bytes < s->st.live_bytes) {
		snprintf(msg, sizeof(msg), "engine: alloc_bytes (A) %llu < live requested bytes (R) %llu",
			 (unsigned long long)s->a->alloc_bytes, (unsigned long long)s->st.live_bytes);
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
	R("free_of_failed", st->free_of_failed);
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
	if (isnan(v))                  /* undefined (0/0, a mean over nothing) */
		fprintf(out, "%s: n/a\n", key);
	else if (v >= -0x1p63 && v < 0x1p63 && v == (double)(int64_t)v)
		fprintf(out, "%s: %lld\n", key, (long long)v);
	else if (v >= 0x1p63 && v < 0x1p64 && v == trunc(v))       /* e.g. a 64-bit clock */
		fprintf(out, "%s: %.0f\n", key, v);
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

enum run_status sim_finish(struct sim *s, enum run_status status)
{
	if (s->progress_shown)
		fputc('\n', stderr);
	if (s->stop != RUN_RUNNING && (status == RUN_OK || s->stop == RUN_FAILED))
		status = s->stop;
	metrics_finish(s);
	if (!s->res)
		return status;
	sim_report(s, stat_row, s);
	if (s->a->ops->caches)
		s->a->ops->caches(s->a, cache_row, s);
	if (!results_run_end(s->res, s->run_id, status, status == RUN_OK ? NULL : s->failmsg)) {
		status = RUN_FAILED;
		snprintf(s->failmsg, sizeof(s->failmsg), "%s: %s: the run's results are incomplete",
			 s->p->db, results_error(s->res));
	}
	return status;
}
