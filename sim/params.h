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

/* Ranges of the parameters every caller must respect (the command line
 * refuses values outside them, sim_create checks them again through
 * params_check). One definition each: no module has its own fallback. */
#define PARAMS_CPUS_MAX          256u   /* struct obj keeps the CPU in 8 bits */
#define PARAMS_NTA_CHUNK_MIN     8u     /* a power of two in this range */
#define PARAMS_NTA_CHUNK_MAX     4096u  /* one page: a node then has 1..4 chunks */
#define PARAMS_NTA_CHUNK_DEFAULT 32u    /* the original AVL_MIN_SIZE */
#define PARAMS_SLUB_MAX_ORDER    10u    /* Linux's MAX_PAGE_ORDER caps slub_max_order */
#define PARAMS_SLUB_MIN_OBJECTS  32767u /* MAX_OBJS_PER_PAGE */

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
	uint64_t check_every;       /* run the invariant checkers every N events (0 = off) */
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
	unsigned nta_chunk;         /* chunk bytes: PARAMS_NTA_CHUNK_MIN..MAX, a power of two */
	/* page tables / kvm */
	enum backing backing;
	unsigned pt_levels;         /* 4 or 5 (LA57) */
	unsigned pt_reserve;        /* pages reserved for page tables */

	const char *cmdline;        /* the command line, shell-quoted (runs.cmdline), or NULL */

	/* --set k=v for Lua workloads */
	unsigned nsets;
	const char *set_key[MAX_SETS], *set_val[MAX_SETS];
};

void params_init(struct params *p);

/* Check every parameter against its range (memory, CPUs, back-end
 * options); on error write a message naming the option to err and return
 * false. sim_create calls it, so a C caller cannot get past it either. */
bool params_check(const struct params *p, char *err, size_t errlen);

/* "key=value key=value ..." of every parameter, for the runs table. */
char *params_describe(const struct params *p);

/*
 * The configuration hash of a run (runs.config_hash): BLAKE2b-256 (hash.h)
 * of a text of three lines: the kmemsim commit (kmemsim_git_commit), the
 * input's content hash (input_hash: hash_file of the trace or script), and
 * params_describe with the --set entries sorted by key (the order they
 * were given in changes nothing). Two runs with the same hash ran the
 * same build on the same bytes with the same parameters: the same
 * numbers. Not part of it: where results go (--db, --study), what is
 * printed (--quiet, --slabinfo, progress), --check-every and --lenient
 * (a run that ended ok read the same events either way).
 */
void params_config_hash(const struct params *p, const char *input_hash, char *out, size_t n);

#endif
