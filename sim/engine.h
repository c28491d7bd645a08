/*
 * engine.h - the simulator: simulated time, events, live objects, and the
 * back end under test. See engine.c for the theory statement.
 */
#ifndef KMS_ENGINE_H
#define KMS_ENGINE_H

#include <signal.h>
#include <stdio.h>
#include "base.h"
#include "params.h"
#include "physmem.h"
#include "objtab.h"
#include "results.h"
#include "rng.h"

struct allocator;
struct kvm;
struct page_layer;
struct results;
struct metrics;

enum event_kind {
	EV_ALLOC,       /* an object: key, size, cache, gfp */
	EV_FREE,        /* an object: key (size from the object table) */
	EV_PAGE_ALLOC,  /* 2^size pages from the page allocator, key = trace pfn */
	EV_PAGE_FREE,   /* key = trace pfn */
};

/* One event, as sources (trace, Lua) hand it to sim_event(). */
struct event {
	uint64_t time_ns;    /* simulated time; 0 = "now" */
	uint64_t key;        /* trace pointer or handle; 0 = NULL */
	uint32_t size;       /* bytes requested, or page order for page events */
	int32_t  cache;      /* 0 = kmalloc, >0 = sim_cache() id */
	uint16_t cpu;
	uint16_t kind;       /* enum event_kind */
	uint32_t gfp;
};

/* Counters of a run; every field is in the summary and in results.db. */
struct sim_stats {
	uint64_t events, allocs, frees, free_unknown, free_null, alloc_null;
	/* free_unknown: frees of keys never seen allocated (a trace that starts
	 * mid-stream); free_of_failed: frees of keys whose simulated allocation
	 * failed. Never mixed. */
	uint64_t free_of_failed;
	uint64_t realloc_live;         /* alloc of a key still live: old one released */
	uint64_t failed_allocs, failed_by[FAIL_NREASONS];
	uint64_t page_allocs, page_frees, page_free_unknown, page_failed;
	uint64_t live_bytes, live_objects;           /* R(t) and its object count */
	uint64_t peak_live_bytes, peak_live_objects;
	uint64_t page_live_pages, peak_page_live_pages;  /* trace page allocations */
	uint64_t peak_footprint_bytes, peak_alloc_bytes;
	uint64_t f_at_peak_live;       /* F when R reached its peak (J&W #2), exact per event */
	uint64_t r_at_peak_footprint;  /* R when F reached its peak (J&W #3) */
	uint64_t checks;               /* invariant checks run */
};

#define SIM_MAX_CACHES 4096

struct sim_cache {
	char    *name;
	uint32_t size, align;
	int      id;          /* back end's id (may be shared by merged caches) */
};

struct sim {
	const struct params *p;
	struct page_layer *pl;      /* frames and the page allocator (sim/page.h) */
	const struct physmem *pm;   /* the page layer's machine, to read */
	struct kvm       *kvm;
	struct allocator *a;
	struct objtab     objs;     /* live objects */
	struct objtab     pages;    /* live trace page allocations, key = trace pfn */
	struct objtab     failed;   /* keys of sim_event allocs that failed, until freed or reallocated */
	struct rng        rng;
	uint64_t          now;      /* simulated ns */
	struct sim_stats  st;
	struct results   *res;      /* NULL = no database */
	struct metrics   *metrics;  /* sampling state, NULL = none */
	int64_t           run_id;
	uint64_t          next_sample;
	/* named caches, index = sim cache number (1..ncaches) */
	unsigned          ncaches;
	struct sim_cache  caches[SIM_MAX_CACHES];
	/* scheduled frees (lifetimes), a binary heap on time */
	struct timed     *timers;
	size_t            ntimers, timers_cap;
	uint64_t          next_handle;  /* handles for sources without keys (Lua) */
	char              failmsg[512]; /* why the run failed or stopped, if it did */
	enum run_status   stop;         /* RUN_RUNNING, or why the run stopped (sim_stop) */
	int               stop_signal;  /* the signal that stopped it, 0 = none */
	uint64_t          next_tick;    /* next back-end tick (simulated ns) */
	uint64_t          next_sample_ns; /* next time-based sample (--sample-ns) */
	uint64_t          next_check;   /* event count of the next invariant check */
	double            wall_start, wall_last;  /* progress line */
	bool              progress_shown;
};

/* Build the machine, page source and back end from p; NULL + message on error. */
struct sim *sim_create(const struct params *p, char *err, size_t errlen);
void sim_destroy(struct sim *s);

/* Named cache: created in the back end on first sight of name. Returns the
 * sim cache id (>= 1), -1 if the back end refused it, -2 if name exists
 * with another size or alignment (align 0 means 8). An allocation larger
 * than the cache's size fails with FAIL_CACHE_SIZE. sim_cache() is
 * kmem_cache_create() (the back end may merge it with a compatible cache,
 * unless --no-merge); sim_cache_create() takes CACHE_* flags
 * (allocator.h), e.g. CACHE_NO_MERGE for a trace's already merged names. */
int sim_cache(struct sim *s, const char *name, uint32_t size, uint32_t align);
int sim_cache_create(struct sim *s, const char *name, uint32_t size, uint32_t align, unsigned flags);

/* Process one event. Advances simulated time to ev->time_ns if later.
 * ev->cache must be 0..ncaches (sim_cache ids); a CPU number past the
 * machine's is taken modulo the CPU count (the trace reader's business). */
void sim_event(struct sim *s, const struct event *ev);

/* Allocate with a new handle (for sources without keys); returns the key,
 * or 0 when the allocation failed. Handles are 1, 2, 3, ... in the order
 * of successful allocations (a failure uses none). lifetime_ns > 0
 * schedules the free; if the handle was freed before, nothing happens
 * then. The caller refuses what the engine would otherwise have to wrap:
 * cpu must be < p->cpus, cache 0..ncaches, now + lifetime_ns within the
 * 64-bit clock (a violation aborts: it is a bug in the caller). */
uint64_t sim_alloc(struct sim *s, uint32_t size, int cache, unsigned cpu, unsigned gfp,
		   uint64_t lifetime_ns);
/* Free handle key on cpu (< p->cpus); key 0 is kfree(NULL), counted. Returns
 * false, counting nothing, if key is not live (a double free, for a
 * handle below next_handle). */
bool sim_free(struct sim *s, uint64_t key, unsigned cpu);

/* Let simulated time pass, running scheduled frees and back-end ticks;
 * now + ns must not pass 2^64 - 1. */
void sim_advance(struct sim *s, uint64_t ns);
/* Run every scheduled free (end of a workload). */
void sim_drain(struct sim *s);

void sim_reclaim(struct sim *s);

/* Record a sample now (also done automatically per params). */
void sim_sample(struct sim *s);

/* R, A, F now. */
uint64_t sim_footprint_bytes(const struct sim *s);

/* Run all invariant checkers; on failure abort with back end, event
 * number and time (a broken invariant is a bug, not a result). Besides
 * the back end's and the page layers' own: R equals the sum of the live
 * objects' sizes, and A >= R. */
void sim_check(struct sim *s);

/*
 * Stopping a run. sim_stop ends it at the next event boundary: every event
 * after it is ignored (sim_event, sim_alloc, sim_free do nothing, time
 * stands still), the trace reader and the Lua API see sim_stopped() and
 * return, and sim_finish records the partial results under status
 * (RUN_INTERRUPTED for a signal or a limit, RUN_FAILED for a write error)
 * with the message. The first stop wins, except that a failure replaces
 * an interruption.
 */
void sim_stop(struct sim *s, enum run_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The signal SIGINT or SIGTERM that arrived, 0 if none: set by the
 * handlers of sim_signals_catch, looked at on the per-event path. */
extern volatile sig_atomic_t sim_signal;
/* Catch SIGINT and SIGTERM: the run stops as interrupted at the next event
 * boundary. A second one while stopping kills at once. */
void sim_signals_catch(void);
void sim_signal_stop(struct sim *s);

/* Has the run been stopped? (A signal that arrived stops it now.) */
static inline bool sim_stopped(struct sim *s)
{
	if (__builtin_expect(sim_signal != 0, 0) && s->stop == RUN_RUNNING)
		sim_signal_stop(s);
	return s->stop != RUN_RUNNING;
}

/* End the run: final sample, per-cache tables and summary to results.db,
 * and the run row's status: status (RUN_OK when the input ended, or
 * RUN_FAILED with failmsg set) unless sim_stop stopped the run, whose
 * status then wins; a write error makes it RUN_FAILED. Returns the final
 * status (main.c turns it into the exit status). */
enum run_status sim_finish(struct sim *s, enum run_status status);

/* Print the run summary ("key: value" per line). */
void sim_summary(struct sim *s, FILE *out);

/* Emit every summary key/value (engine counters, kvm, back-end report). */
void sim_report(struct sim *s, void (*fn)(void *ctx, const char *key, double v), void *ctx);

#endif
