/*
 * results.h - the SQLite results database (results.db by default).
 *
 * A run is one row of `runs` with its full configuration and the host and
 * process that run it; its summary (run_stats), time series (samples,
 * buddy), per-cache tables (caches) and snapshots hang off it by run_id.
 * Rows are buffered in memory and moved into the file in short
 * transactions, so any number of processes can share one file; no lock is
 * held while a run simulates. A write error is sticky: the run is marked
 * failed, never left posing as whole. The schema and the rules are in
 * results.c.
 */
#ifndef KMS_RESULTS_H
#define KMS_RESULTS_H

#include "base.h"

struct results;
struct params;
struct cache_info;
typedef struct sqlite3 sqlite3;

/* A run's status, as stored in runs.status (DESIGN.md "Results database"). */
enum run_status {
	RUN_RUNNING,       /* being written, or its process died (see abandoned) */
	RUN_OK,            /* complete */
	RUN_FAILED,        /* the program (bad input, a script error) or a write failed */
	RUN_INTERRUPTED,   /* a signal or a limit ended it; the partial results are kept */
	RUN_ABANDONED,     /* found running with its process gone */
};
/* "running", "ok", "failed", "interrupted", "abandoned" */
const char *results_status_name(enum run_status status);

/* The headline run_stats keys, one column each in the run_summary view
 * and in `kmemsim export`; ends with NULL. */
extern const char *const results_summary_keys[];

/* Open (create) path for writing: schema, WAL mode, and the host's
 * abandoned runs marked. NULL + "path: reason" in err on failure. */
struct results *results_open(const char *path, char *err, size_t errlen);
/* Flush what is buffered and close. */
void results_close(struct results *r);
sqlite3 *results_db(struct results *r);

/* Mark this host's `running` rows whose process is gone as abandoned;
 * for readers (plot, compare) before they read. Does nothing when the
 * file cannot be written. */
void results_reap(const char *path);

/* The run row, committed at once as 'running'; its id, or -1 when it could
 * not be written (results_error says why). */
int64_t results_run_begin(struct results *r, const struct params *p, const char *input);
/* Flush the buffered rows and set the run's status and message (msg may be
 * NULL) in one transaction. Returns false when a write failed at any time
 * during the run: the row is then marked failed (if at all possible) with
 * the error, whatever status was asked for. */
bool results_run_end(struct results *r, int64_t run, enum run_status status, const char *msg);
/* Move the buffered rows into the file now. False after a write error. */
bool results_flush(struct results *r);
/* The first write error ("database or disk is full"), or NULL. Sticky:
 * once set, nothing more is written. */
const char *results_error(const struct results *r);

/* value NaN (undefined) is stored as NULL. */
void results_stat(struct results *r, int64_t run, const char *key, double value);

struct sample {
	uint64_t seq, time_ns, events;
	uint64_t requested, allocated, footprint;   /* R, A, F in bytes */
	uint64_t live_objects, page_live_pages, free_pages, failed_allocs;
	int      largest_free_order;
};
void results_sample(struct results *r, int64_t run, const struct sample *s);
void results_buddy(struct results *r, int64_t run, uint64_t seq, int zone, int order, uint64_t free_blocks);
void results_cache(struct results *r, int64_t run, const struct cache_info *ci);

/* Added by the metrics issue (sim/metrics.c writes these tables).
 * internal, overhead: NaN when undefined (A = 0, F = 0): stored as NULL.
 * hostage_pages, cached_empty_pages: sim/metrics.h's definition. */
void results_frag(struct results *r, int64_t run, uint64_t seq, double internal, double overhead,
		  uint64_t largest_free_bytes, uint64_t hostage_pages, uint64_t cached_empty_pages);
/* unusable, fragindex: the kernel's x1000 integers divided by 1000
 * (fragindex -1 = "an allocation of this order would succeed"); NaN is
 * stored as NULL. */
void results_extfrag(struct results *r, int64_t run, uint64_t seq, int zone, int order,
		     double unusable, double fragindex);
void results_cache_sample(struct results *r, int64_t run, uint64_t seq, const struct cache_info *ci);

/* A page-bitmap snapshot; blob formats in sim/metrics.c. */
struct snapshot_row {
	uint64_t seq, time_ns, events;
	const char *label;            /* may be NULL */
	uint32_t granule;             /* bytes per bitmap bit */
	uint64_t nframes, used_granules;
	const uint8_t *owners, *bitmap;
	size_t owners_len, bitmap_len;
};
void results_snapshot(struct results *r, int64_t run, const struct snapshot_row *sn);

/* Prepared-statement cache for other modules (metrics, snapshots):
 * returns a reset statement for sql, prepared once per connection, or
 * NULL after a write error (binding to NULL is harmless). An INSERT into
 * a table of the run (any but runs: results_buffered[] in results.c)
 * goes to the buffer; never write runs with it (that would hold the
 * file's lock until the next flush). */
struct sqlite3_stmt *results_stmt(struct results *r, const char *sql);
/* Step a statement of results_stmt() and count its row: a failure is
 * remembered (results_error); the buffer is flushed when due. */
void results_step(struct results *r, struct sqlite3_stmt *st);
/* Count a buffered row written with a statement of results_stmt(); the
 * buffer is flushed every few thousand rows or half a second. */
void results_row_done(struct results *r);

/* The tables of schema sch ("main", or an attached name) with a run_id
 * column, by name, at most max; -1 on an SQL error. */
int results_run_tables(sqlite3 *db, const char *sch, char (*names)[64], int max);
/* Delete run's rows from every table of main that has a run_id column,
 * then its runs row (inside the caller's transaction); an SQLite code. */
int results_run_delete(sqlite3 *db, int64_t run);
/* A configuration's superseded rows: runs of config_hash that did not
 * end ok (failed, interrupted, abandoned) when the configuration has an
 * ok run, or else when a newer run of it has ended: after a sweep reruns
 * a configuration, the database keeps one row of it (the ok one, or the
 * latest). Deleted with all their rows in one transaction; returns how
 * many, -1 and a message in err on an error. */
int results_superseded_delete(const char *path, const char *config_hash, char *err, size_t errlen);

#endif
