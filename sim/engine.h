/*
 * engine.h - the simulator: simulated time, events, live objects, and the
 * back end under test. See engine.c for the theory statement.
 */
#ifndef KMS_ENGINE_H
#define KMS_ENGINE_H

#include <stdio.h>
#include "base.h"
#include "params.h"
#include "physmem.h"
#include "objtab.h"
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
	char              failmsg[512]; /* why the run failed, if it did */
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
 * sim cache id (>= 1), or -1 if the back end refused it. sim_cache() is
 * kmem_cache_create() (the back end may merge it with a compatible cache,
 * unless --no-merge); sim_cache_create() takes CACHE_* flags
 * (allocator.h), e.g. CACHE_NO_MERGE for a trace's already merged names. */
int sim_cache(struct sim *s, const char *name, uint32_t size, uint32_t align);
int sim_cache_create(struct sim *s, const char *name, uint32_t size, uint32_t align, unsigned flags);

/* Process one event. Advances simulated time to ev->time_ns if later. */
void sim_event(struct sim *s, const struct event *ev);

/* Allocate with a new handle (for sources without keys); returns the key,
 * or 0 when the allocation failed. lifetime_ns > 0 schedules the free. */
uint64_t sim_alloc(struct sim *s, uint32_t size, int cache, unsigned cpu, unsigned gfp,
		   uint64_t lifetime_ns);
void sim_free(struct sim *s, uint64_t key, unsigned cpu);

/* Let simulated time pass, running scheduled frees and back-end ticks. */
void sim_advance(struct sim *s, uint64_t ns);
/* Run every scheduled free (end of a workload). */
void sim_drain(struct sim *s);

void sim_reclaim(struct sim *s);

/* Record a sample now (also done automatically per params). */
void sim_sample(struct sim *s);

/* R, A, F now. */
uint64_t sim_footprint_bytes(const struct sim *s);

/* Run all invariant checkers; on failure abort with back end, event
 * number and time (a broken invariant is a bug, not a result). */
void sim_check(struct sim *s);

/* End the run: final sample, per-cache tables and summary to results.db,
 * run row marked ok or failed (with failmsg). */
void sim_finish(struct sim *s, bool ok);

/* Print the run summary ("key: value" per line). */
void sim_summary(struct sim *s, FILE *out);

/* Emit every summary key/value (engine counters, kvm, back-end report). */
void sim_report(struct sim *s, void (*fn)(void *ctx, const char *key, double v), void *ctx);

#endif
