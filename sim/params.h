/*
 * params.h - every run parameter, in one struct. main.c fills it from the
 * command line; every field is stored with the run in results.db
 * (params_describe), so a run can be reproduced from its row.
 */
#ifndef KMS_PARAMS_H
#define KMS_PARAMS_H

#include "base.h"
#include "physmem.h"

enum backing { BACKING_DIRECT, BACKING_MAPPED };

#define MAX_SETS 32

struct params {
	const char *allocator;      /* back end name */
	const char *trace;          /* trace file, or NULL */
	const char *script;         /* Lua workload, or NULL */
	const char *db;             /* results database, NULL = none */
	const char *study;          /* study label grouping runs, or NULL */
	struct physmem_config mem;
	unsigned cpus;              /* simulated CPUs (default 2) */
	uint64_t seed;
	uint64_t sample_every;      /* events between samples (0 = auto) */
	uint64_t sample_ns;         /* simulated ns between samples (0 = off) */
	uint64_t snapshot_every;    /* events between snapshots (0 = off) */
	unsigned check_every;       /* run the invariant checkers every N events (0 = off) */
	bool     lenient;           /* count and skip malformed trace lines */
	bool     page_events;       /* replay mm_page_alloc/free (default on) */
	bool     replay_own_slab;   /* replay the traced kernel's own slab pages and
				     * slab metadata too (default: set aside, trace.c) */
	bool     slabinfo;          /* print the per-cache table at the end */
	bool     quiet;             /* no summary on stdout */
	bool     progress;          /* progress line on stderr (default: if tty) */

	/* slab / slub */
	bool     no_merge;          /* SLUB: no cache merging */
	unsigned slub_min_objects;  /* 0 = Linux's default from the CPU count */
	unsigned slub_max_order;    /* default 3 */
	/* zone */
	uint64_t zone_map_bytes;    /* default 12 MiB */
	/* nta */
	bool     nta_release;       /* return empty pages to the system */
	unsigned nta_chunk;         /* minimum chunk, default 32 */
	/* page tables / kvm */
	enum backing backing;
	unsigned pt_levels;         /* 4 or 5 (LA57) */
	unsigned pt_reserve;        /* pages reserved for page tables */

	/* --set k=v for Lua workloads */
	unsigned nsets;
	const char *set_key[MAX_SETS], *set_val[MAX_SETS];
};

void params_init(struct params *p);

/* "key=value key=value ..." of every parameter, for the runs table. */
char *params_describe(const struct params *p);

#endif
