/*
 * results.c - the SQLite results database.
 *
 * Schema (one file, results.db by default):
 *   runs       one row per run: configuration, version, times, status
 *   run_stats  (run_id, key, value): the summary and back-end counters
 *   samples    R/A/F time series
 *   buddy      free blocks per zone and order per sample
 *   caches     /proc/slabinfo-style rows at the end of a run
 *   frag       per sample: internal fragmentation, total overhead, largest
 *              free block, hostage and cached empty pages (sim/metrics.c)
 *   extfrag    per sample, zone and order: Gorman's unusable free space
 *              index and fragmentation index, as debugfs prints them
 *   cache_samples  per-cache slab state every few samples
 *   snapshots  page-bitmap snapshots: owner and granule-use RLE blobs
 * Other modules (metrics, snapshots) add their own tables through
 * results_db() and results_stmt().
 *
 * A run row is committed as 'running' before anything else is written and
 * is set to 'ok' or 'failed' at the end, so a killed run never poses as a
 * whole one. Rows are written in transactions of a few thousand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include "results.h"
#include "params.h"
#include "../allocators/allocator.h"

#define RESULTS_BATCH 4096
#define RESULTS_NSTMT 32

struct results {
	sqlite3 *db;
	unsigned rows;      /* rows in the open transaction */
	bool     in_tx;
	struct { const char *sql; sqlite3_stmt *st; } stmt[RESULTS_NSTMT];
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS runs ("
	" id INTEGER PRIMARY KEY, study TEXT, allocator TEXT NOT NULL, input TEXT,"
	" params TEXT, seed INTEGER, mem_bytes INTEGER, cpus INTEGER, version TEXT,"
	" started TEXT, finished TEXT, status TEXT NOT NULL, message TEXT);"
	"CREATE TABLE IF NOT EXISTS run_stats (run_id INTEGER NOT NULL, key TEXT NOT NULL,"
	" value REAL, PRIMARY KEY (run_id, key));"
	"CREATE TABLE IF NOT EXISTS samples (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" time_ns INTEGER, events INTEGER, requested INTEGER, allocated INTEGER,"
	" footprint INTEGER, live_objects INTEGER, page_live_pages INTEGER,"
	" free_pages INTEGER, failed_allocs INTEGER, largest_free_order INTEGER,"
	" PRIMARY KEY (run_id, seq));"
	"CREATE TABLE IF NOT EXISTS buddy (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" zone TEXT, ord INTEGER, free_blocks INTEGER);"
	"CREATE INDEX IF NOT EXISTS buddy_run ON buddy (run_id, seq);"
	"CREATE TABLE IF NOT EXISTS caches (run_id INTEGER NOT NULL, name TEXT,"
	" active_objs INTEGER, num_objs INTEGER, objsize INTEGER, objperslab INTEGER,"
	" pagesperslab INTEGER, active_slabs INTEGER, num_slabs INTEGER, hostage_pages INTEGER,"
	" cached_empty_pages INTEGER);"
	"CREATE INDEX IF NOT EXISTS caches_run ON caches (run_id);"
	"CREATE TABLE IF NOT EXISTS frag (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" internal_frag REAL, total_overhead REAL, largest_free_bytes INTEGER,"
	" hostage_pages INTEGER, cached_empty_pages INTEGER, PRIMARY KEY (run_id, seq));"
	"CREATE TABLE IF NOT EXISTS extfrag (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" zone TEXT, ord INTEGER, unusable REAL, fragindex REAL);"
	"CREATE INDEX IF NOT EXISTS extfrag_run ON extfrag (run_id, seq);"
	"CREATE TABLE IF NOT EXISTS cache_samples (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" name TEXT, active_objs INTEGER, num_objs INTEGER, objsize INTEGER,"
	" pagesperslab INTEGER, num_slabs INTEGER, hostage_pages INTEGER, cached_empty_pages INTEGER);"
	"CREATE INDEX IF NOT EXISTS cache_samples_run ON cache_samples (run_id, seq);"
	"CREATE TABLE IF NOT EXISTS snapshots (run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" label TEXT, time_ns INTEGER, events INTEGER, granule INTEGER, nframes INTEGER,"
	" used_granules INTEGER, owners BLOB, bitmap BLOB, PRIMARY KEY (run_id, seq));";

/* Columns added after a table first shipped: databases made before get
 * them with ALTER TABLE (appended last, as CREATE TABLE has them, so the
 * positional INSERTs below fit both). */
static const char *const added_columns[][2] = {
	{ "caches", "cached_empty_pages" },
	{ "frag", "cached_empty_pages" },
	{ "cache_samples", "cached_empty_pages" },
};

static bool results_column_exists(sqlite3 *db, const char *table, const char *column)
{
	char sql[160];
	sqlite3_stmt *st;
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s LIMIT 0", column, table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_finalize(st);
	return true;
}

static bool results_columns_add(sqlite3 *db, char **msg)
{
	for (size_t i = 0; i < ARRAY_SIZE(added_columns); i++) {
		const char *table = added_columns[i][0], *column = added_columns[i][1];
		if (results_column_exists(db, table, column))
			continue;
		char sql[160];
		snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s INTEGER", table, column);
		/* another process opening the same old file may have added it first */
		if (sqlite3_exec(db, sql, NULL, NULL, msg) != SQLITE_OK && !results_column_exists(db, table, column))
			return false;
		sqlite3_free(*msg);
		*msg = NULL;
	}
	return true;
}

static void results_exec(struct results *r, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(r->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "kmemsim: results.db: %s (in %.60s)\n", msg ? msg : "?", sql);
		sqlite3_free(msg);
	}
}

static void results_begin(struct results *r)
{
	if (!r->in_tx) {
		results_exec(r, "BEGIN");
		r->in_tx = true;
		r->rows = 0;
	}
}

static void results_commit(struct results *r)
{
	if (r->in_tx) {
		results_exec(r, "COMMIT");
		r->in_tx = false;
	}
}

struct results *results_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 120000);   /* parallel runs of `compare` share the file */
	char *msg = NULL;
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK || !results_columns_add(db, &msg)) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		sqlite3_close(db);
		return NULL;
	}
	struct results *r = xcalloc(1, sizeof(*r));
	r->db = db;
	return r;
}

void results_close(struct results *r)
{
	if (!r)
		return;
	results_commit(r);
	for (int i = 0; i < RESULTS_NSTMT; i++)
		sqlite3_finalize(r->stmt[i].st);
	sqlite3_close(r->db);
	free(r);
}

sqlite3 *results_db(struct results *r) { return r->db; }

sqlite3_stmt *results_stmt(struct results *r, const char *sql)
{
	int i;
	for (i = 0; i < RESULTS_NSTMT && r->stmt[i].sql; i++)
		if (r->stmt[i].sql == sql || strcmp(r->stmt[i].sql, sql) == 0) {
			sqlite3_reset(r->stmt[i].st);
			sqlite3_clear_bindings(r->stmt[i].st);
			results_begin(r);
			return r->stmt[i].st;
		}
	if (i == RESULTS_NSTMT)
		die("results: more than %d prepared statements", RESULTS_NSTMT);
	if (sqlite3_prepare_v2(r->db, sql, -1, &r->stmt[i].st, NULL) != SQLITE_OK)
		die("results: cannot prepare \"%s\": %s", sql, sqlite3_errmsg(r->db));
	r->stmt[i].sql = sql;
	results_begin(r);
	return r->stmt[i].st;
}

void results_row_done(struct results *r)
{
	if (++r->rows >= RESULTS_BATCH) {
		results_commit(r);
		results_begin(r);
	}
}

static void results_step(struct results *r, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		fprintf(stderr, "kmemsim: results.db: %s\n", sqlite3_errmsg(r->db));
	results_row_done(r);
}

static void now_iso(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t results_run_begin(struct results *r, const struct params *p, const char *input)
{
	char when[32];
	now_iso(when, sizeof(when));
	char *desc = params_describe(p);
	sqlite3_stmt *st = results_stmt(r,
		"INSERT INTO runs (study, allocator, input, params, seed, mem_bytes, cpus, version, started, status)"
		" VALUES (?,?,?,?,?,?,?,?,?,'running')");
	if (p->study) sqlite3_bind_text(st, 1, p->study, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, p->allocator, -1, SQLITE_TRANSIENT);
	if (input) sqlite3_bind_text(st, 3, input, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, desc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)p->seed);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)p->mem.mem_bytes);
	sqlite3_bind_int(st, 7, (int)p->cpus);
	sqlite3_bind_text(st, 8, KMEMSIM_VERSION, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, when, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		die("results: cannot insert run: %s", sqlite3_errmsg(r->db));
	free(desc);
	int64_t id = sqlite3_last_insert_rowid(r->db);
	results_commit(r);   /* the 'running' row is visible at once */
	return id;
}

void results_run_end(struct results *r, int64_t run, const char *status, const char *msg)
{
	char when[32];
	now_iso(when, sizeof(when));
	sqlite3_stmt *st = results_stmt(r, "UPDATE runs SET finished=?, status=?, message=? WHERE id=?");
	sqlite3_bind_text(st, 1, when, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_TRANSIENT);
	if (msg) sqlite3_bind_text(st, 3, msg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, run);
	results_step(r, st);
	results_commit(r);
}

void results_stat(struct results *r, int64_t run, const char *key, double value)
{
	sqlite3_stmt *st = results_stmt(r, "INSERT OR REPLACE INTO run_stats (run_id, key, value) VALUES (?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 3, value);
	results_step(r, st);
}

void results_sample(struct results *r, int64_t run, const struct sample *s)
{
	sqlite3_stmt *st = results_stmt(r,
		"INSERT OR REPLACE INTO samples VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)s->seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)s->time_ns);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)s->events);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)s->requested);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)s->allocated);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)s->footprint);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)s->live_objects);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)s->page_live_pages);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)s->free_pages);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)s->failed_allocs);
	sqlite3_bind_int(st, 12, s->largest_free_order);
	results_step(r, st);
}

void results_buddy(struct results *r, int64_t run, uint64_t seq, int zone, int order, uint64_t free_blocks)
{
	static const char *const zn[] = { "DMA", "DMA32", "Normal" };
	sqlite3_stmt *st = results_stmt(r, "INSERT INTO buddy VALUES (?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 3, zn[zone], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, order);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)free_blocks);
	results_step(r, st);
}

void results_cache(struct results *r, int64_t run, const struct cache_info *ci)
{
	sqlite3_stmt *st = results_stmt(r, "INSERT INTO caches VALUES (?,?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, ci->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)ci->active_objs);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ci->num_objs);
	sqlite3_bind_int(st, 5, (int)ci->objsize);
	sqlite3_bind_int(st, 6, (int)ci->objperslab);
	sqlite3_bind_int(st, 7, (int)ci->pagesperslab);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)ci->active_slabs);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)ci->num_slabs);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)ci->hostage_pages);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)ci->cached_empty_pages);
	results_step(r, st);
}

void results_frag(struct results *r, int64_t run, uint64_t seq, double internal, double overhead,
		  uint64_t largest_free_bytes, uint64_t hostage_pages, uint64_t cached_empty_pages)
{
	sqlite3_stmt *st = results_stmt(r, "INSERT OR REPLACE INTO frag VALUES (?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	if (internal == internal)   /* NaN (A or F is 0: undefined) is stored as NULL */
		sqlite3_bind_double(st, 3, internal);
	if (overhead == overhead)
		sqlite3_bind_double(st, 4, overhead);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)largest_free_bytes);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)hostage_pages);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)cached_empty_pages);
	results_step(r, st);
}

void results_extfrag(struct results *r, int64_t run, uint64_t seq, int zone, int order,
		     double unusable, double fragindex)
{
	static const char *const zn[] = { "DMA", "DMA32", "Normal" };
	sqlite3_stmt *st = results_stmt(r, "INSERT INTO extfrag VALUES (?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 3, zn[zone], -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, order);
	sqlite3_bind_double(st, 5, unusable);
	sqlite3_bind_double(st, 6, fragindex);
	results_step(r, st);
}

void results_cache_sample(struct results *r, int64_t run, uint64_t seq, const struct cache_info *ci)
{
	sqlite3_stmt *st = results_stmt(r, "INSERT INTO cache_samples VALUES (?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_text(st, 3, ci->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)ci->active_objs);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)ci->num_objs);
	sqlite3_bind_int(st, 6, (int)ci->objsize);
	sqlite3_bind_int(st, 7, (int)ci->pagesperslab);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)ci->num_slabs);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)ci->hostage_pages);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)ci->cached_empty_pages);
	results_step(r, st);
}

void results_snapshot(struct results *r, int64_t run, const struct snapshot_row *sn)
{
	sqlite3_stmt *st = results_stmt(r,
		"INSERT OR REPLACE INTO snapshots VALUES (?,?,?,?,?,?,?,?,?,?)");
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)sn->seq);
	if (sn->label)
		sqlite3_bind_text(st, 3, sn->label, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)sn->time_ns);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)sn->events);
	sqlite3_bind_int(st, 6, (int)sn->granule);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)sn->nframes);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)sn->used_granules);
	sqlite3_bind_blob(st, 9, sn->owners, (int)sn->owners_len, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 10, sn->bitmap, (int)sn->bitmap_len, SQLITE_TRANSIENT);
	results_step(r, st);
	results_commit(r);   /* a snapshot is large: do not let it sit in a transaction */
}
