/*
 * runs.c - every SQL read of results.db (schema in results.c): run
 * selection and grouping, run_stats values, time series, buddy and cache
 * tables, and the decoder of the page-bitmap snapshots that metrics.c
 * encodes (format in metrics.c's header, owner codes in metrics.h).
 *
 * Reads only: the database is opened read-only, so any number of readers
 * and writers (parallel `kmemsim compare` children) share the file. A
 * failed statement is reported on stderr and reads as "no rows".
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"
#include "physmem.h"
#include "results.h"
#include "runs.h"

void runs_input_name(const char *input, char *out, size_t n)
{
	const char *b = input ? strrchr(input, '/') : NULL;
	snprintf(out, n, "%s", b ? b + 1 : input ? input : "?");
	static const char *const ext[] = { ".xz", ".ftrace", ".trace", ".txt", ".lua", ".mtrace" };
	for (int again = 1; again;) {
		again = 0;
		for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
			size_t l = strlen(out), e = strlen(ext[i]);
			if (l > e && strcmp(out + l - e, ext[i]) == 0) {
				out[l - e] = '\0';
				again = 1;
			}
		}
	}
}

static bool runs_column_exists(sqlite3 *db, const char *table, const char *col);

static sqlite3_stmt *runs_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "kmemsim: results database: %s\n  in: %s\n", sqlite3_errmsg(db), sql);
		return NULL;
	}
	return st;
}

/* The first column of the first row of sql (run bound to ?1), or dflt. */
static int64_t runs_query_int(sqlite3 *db, const char *sql, int64_t run, int64_t dflt)
{
	sqlite3_stmt *st = runs_prepare(db, sql);
	int64_t v = dflt;
	if (!st)
		return v;
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static const char *runs_text(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	return s ? s : "";
}

sqlite3 *runs_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	results_reap(path);   /* runs whose process died: abandoned, not running */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 60000);
	return db;
}

void runs_close(sqlite3 *db)
{
	sqlite3_close(db);
}

double runs_stat(sqlite3 *db, int64_t run, const char *key, double dflt)
{
	sqlite3_stmt *st = runs_prepare(db, "SELECT value FROM run_stats WHERE run_id=? AND key=?");
	double v = dflt;
	if (!st)
		return v;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

int runs_config_status(sqlite3 *db, const char *config_hash, char *commit, size_t n)
{
	if (commit && n)
		commit[0] = '\0';
	if (!runs_column_exists(db, "runs", "config_hash"))
		return 0;
	sqlite3_stmt *st = runs_prepare(db, "SELECT status = 'ok', coalesce(git_commit, '') FROM runs"
					" WHERE config_hash = ? AND status <> 'running' ORDER BY status = 'ok' DESC, id DESC LIMIT 1");
	int v = 0;
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, config_hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		v = sqlite3_column_int(st, 0) ? 2 : 1;
		if (commit && n)
			snprintf(commit, n, "%s", runs_text(st, 1));
	}
	sqlite3_finalize(st);
	return v;
}

bool runs_ended_early(const struct runs_run *r)
{
	return r->status[0] && strcmp(r->status, "ok") != 0;
}

/* params without the allocator= and seed= words: what the runs of one
 * experiment share */
static void runs_config_make(const char *params, char *out, size_t n)
{
	size_t l = 0;
	out[0] = '\0';
	for (const char *p = params; *p;) {
		size_t len = strcspn(p, " ");
		if (len && strncmp(p, "allocator=", 10) && strncmp(p, "seed=", 5) && l + len + 2 < n)
			l += (size_t)snprintf(out + l, n - l, "%s%.*s", l ? " " : "", (int)len, p);
		p += len;
		while (*p == ' ')
			p++;
	}
}

int runs_select(sqlite3 *db, const int64_t *ids, int nids, const char *study, struct runs_run *runs)
{
	sqlite3_stmt *st = runs_prepare(db, "SELECT id, allocator, coalesce(input, ''), seed, coalesce(study, ''), mem_bytes,"
					" status, coalesce(message, ''), coalesce(params, '')"
					" FROM runs WHERE status <> 'running' AND (?1 IS NULL OR study=?1) ORDER BY id");
	if (!st)
		return -1;
	if (study)
		sqlite3_bind_text(st, 1, study, -1, SQLITE_STATIC);
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW && n < RUNS_MAX) {
		int64_t id = sqlite3_column_int64(st, 0);
		bool want = nids == 0;
		for (int i = 0; i < nids; i++)
			want |= ids[i] == id;
		if (!want)
			continue;
		struct runs_run *r = &runs[n++];
		memset(r, 0, sizeof(*r));
		r->id = id;
		snprintf(r->alloc, sizeof(r->alloc), "%s", runs_text(st, 1));
		snprintf(r->input, sizeof(r->input), "%s", runs_text(st, 2));
		runs_input_name(r->input, r->name, sizeof(r->name));
		r->seed = (uint64_t)sqlite3_column_int64(st, 3);
		snprintf(r->study, sizeof(r->study), "%s", runs_text(st, 4));
		r->mem_bytes = (uint64_t)sqlite3_column_int64(st, 5);
		snprintf(r->status, sizeof(r->status), "%s", runs_text(st, 6));
		snprintf(r->message, sizeof(r->message), "%s", runs_text(st, 7));
		runs_config_make(runs_text(st, 8), r->config, sizeof(r->config));
		r->group = -1;
	}
	sqlite3_finalize(st);
	/* group by (study, input, config) in order of first appearance */
	int groups = 0;
	for (int i = 0; i < n; i++) {
		if (runs[i].group >= 0)
			continue;
		runs[i].group = groups;
		for (int j = i + 1; j < n; j++)
			if (runs[j].group < 0 && !strcmp(runs[j].input, runs[i].input) &&
			    !strcmp(runs[j].study, runs[i].study) && !strcmp(runs[j].config, runs[i].config))
				runs[j].group = groups;
		groups++;
	}
	/* the reference seed of a group: its smallest */
	for (int i = 0; i < n; i++) {
		runs[i].reference = true;
		for (int j = 0; j < n; j++)
			if (runs[j].group == runs[i].group && runs[j].seed < runs[i].seed)
				runs[i].reference = false;
	}
	return n;
}

/* the value of key in a config ("" when absent) into v */
static bool runs_config_value(const char *config, const char *key, size_t klen, char *v, size_t n)
{
	for (const char *p = config; *p;) {
		size_t len = strcspn(p, " ");
		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			snprintf(v, n, "%.*s", (int)(len - klen - 1), p + klen + 1);
			return true;
		}
		p += len;
		while (*p == ' ')
			p++;
	}
	v[0] = '\0';
	return false;
}

void runs_group_title(const struct runs_run *runs, int n, int g, char *out, size_t len)
{
	const struct runs_run *r0 = NULL;
	for (int i = 0; i < n && !r0; i++)
		if (runs[i].group == g)
			r0 = &runs[i];
	if (!r0) {
		snprintf(out, len, "?");
		return;
	}
	size_t l = (size_t)snprintf(out, len, "%s", r0->name);
	for (const char *p = r0->config; *p && l < len;) {
		size_t klen = strcspn(p, "= "), wlen = strcspn(p, " ");
		char mine[256], other[256];
		runs_config_value(r0->config, p, klen, mine, sizeof(mine));
		bool differs = false;
		for (int i = 0; i < n && !differs; i++)
			if (runs[i].group != g && !strcmp(runs[i].study, r0->study)) {
				bool has = runs_config_value(runs[i].config, p, klen, other, sizeof(other));
				differs = !has || strcmp(mine, other);
			}
		if (differs) {
			/* "mem 16 MiB", "max order 9", a workload's "n=2000" */
			uint64_t bytes = 0;
			char key[64];
			snprintf(key, sizeof(key), "%.*s", (int)MIN(klen, sizeof(key) - 1), p);
			bool is_set = !strncmp(key, "set.", 4);
			for (char *k = key; *k; k++)
				if (*k == '_' && !is_set)
					*k = ' ';
			if ((!strcmp(key, "mem") || !strcmp(key, "zone map")) && parse_u64(mine, true, &bytes) == PARSE_OK && bytes >= MIB)
				l += (size_t)snprintf(out + l, len - l, ", %s %llu MiB", key, (unsigned long long)(bytes / MIB));
			else if (is_set)
				l += (size_t)snprintf(out + l, len - l, ", %s=%s", key + 4, mine);
			else
				l += (size_t)snprintf(out + l, len - l, ", %s %s", key, mine);
		}
		p += wlen;
		while (*p == ' ')
			p++;
	}
}

void runs_unfinished(sqlite3 *db, const char *study, runs_unfinished_fn_t fn, void *ctx)
{
	sqlite3_stmt *st = runs_prepare(db, "SELECT id, allocator, coalesce(input, ''), status, coalesce(message, '')"
					" FROM runs WHERE status <> 'ok' AND (?1 IS NULL OR study=?1) ORDER BY id");
	if (!st)
		return;
	if (study)
		sqlite3_bind_text(st, 1, study, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		fn(ctx, sqlite3_column_int64(st, 0), runs_text(st, 1), runs_text(st, 2), runs_text(st, 3),
		   runs_text(st, 4));
	sqlite3_finalize(st);
}

/* ---- time series ---- */

void runs_series_extent(sqlite3 *db, int64_t run, int64_t *time_ns, int64_t *events)
{
	*time_ns = runs_query_int(db, "SELECT max(time_ns) FROM samples WHERE run_id=?", run, 0);
	*events = runs_query_int(db, "SELECT max(events) FROM samples WHERE run_id=?", run, 0);
}

/* true when table has column col (a column other branches add later) */
static bool runs_column_exists(sqlite3 *db, const char *table, const char *col)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT 1 FROM pragma_table_info('%s') WHERE name=?", table);
	sqlite3_stmt *st = runs_prepare(db, sql);
	bool yes = false;
	if (!st)
		return false;
	sqlite3_bind_text(st, 1, col, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

static double runs_double(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

size_t runs_series_read(sqlite3 *db, int64_t run, struct runs_sample **out)
{
	*out = NULL;
	bool empty = runs_column_exists(db, "frag", "cached_empty_pages");
	sqlite3_stmt *st = runs_prepare(db, empty ?
		"SELECT s.time_ns, s.events, s.requested, s.allocated, s.footprint,"
		" f.internal_frag, f.total_overhead, f.hostage_pages, s.failed_allocs, s.free_pages, f.cached_empty_pages"
		" FROM samples s LEFT JOIN frag f USING (run_id, seq) WHERE s.run_id=? ORDER BY s.seq" :
		"SELECT s.time_ns, s.events, s.requested, s.allocated, s.footprint,"
		" f.internal_frag, f.total_overhead, f.hostage_pages, s.failed_allocs, s.free_pages, NULL"
		" FROM samples s LEFT JOIN frag f USING (run_id, seq) WHERE s.run_id=? ORDER BY s.seq");
	if (!st)
		return 0;
	size_t n = 0, cap = 0;
	struct runs_sample *v = NULL;
	sqlite3_bind_int64(st, 1, run);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			v = xrealloc(v, (cap = cap ? 2 * cap : 1024) * sizeof(*v));
		v[n++] = (struct runs_sample){
			.time_ns = sqlite3_column_int64(st, 0), .events = sqlite3_column_int64(st, 1),
			.requested = sqlite3_column_int64(st, 2), .allocated = sqlite3_column_int64(st, 3),
			.footprint = sqlite3_column_int64(st, 4),
			.internal_frag = runs_double(st, 5), .total_overhead = runs_double(st, 6),
			.hostage_pages = runs_double(st, 7), .failed_allocs = sqlite3_column_int64(st, 8),
			.free_pages = sqlite3_column_int64(st, 9), .cached_empty_pages = runs_double(st, 10),
		};
	}
	sqlite3_finalize(st);
	*out = v;
	return n;
}

/* ---- buddy ---- */

void runs_buddy_main_zone(sqlite3 *db, int64_t run, char *zone, size_t n)
{
	snprintf(zone, n, "Normal");
	sqlite3_stmt *st = runs_prepare(db, "SELECT zone, sum(free_blocks << ord) AS p FROM buddy"
					" WHERE run_id=?1 AND seq=(SELECT min(seq) FROM buddy WHERE run_id=?1)"
					" GROUP BY zone ORDER BY p DESC LIMIT 1");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(zone, n, "%s", runs_text(st, 0));
	sqlite3_finalize(st);
}

int runs_buddy_zones(sqlite3 *db, int64_t run, char (*zones)[16], int max)
{
	sqlite3_stmt *st = runs_prepare(db, "SELECT zone, sum(free_blocks << ord) AS p FROM buddy"
					" WHERE run_id=?1 AND seq=(SELECT min(seq) FROM buddy WHERE run_id=?1)"
					" GROUP BY zone ORDER BY p DESC, zone");
	int n = 0;
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, run);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		snprintf(zones[n++], sizeof(zones[0]), "%s", runs_text(st, 0));
	sqlite3_finalize(st);
	return n;
}

int runs_buddy_max_order(sqlite3 *db, int64_t run)
{
	return (int)runs_query_int(db, "SELECT max(ord) FROM buddy WHERE run_id=?", run, -1);
}

size_t runs_huge_read(sqlite3 *db, int64_t run, int ord, struct runs_huge_row **out)
{
	*out = NULL;
	sqlite3_stmt *st = runs_prepare(db,
		"SELECT s.events, sum(b.free_blocks << b.ord),"
		" sum(CASE WHEN b.ord >= ?2 THEN b.free_blocks << (b.ord - ?2) ELSE 0 END)"
		" FROM buddy b JOIN samples s ON s.run_id=b.run_id AND s.seq=b.seq"
		" WHERE b.run_id=?1 GROUP BY b.seq ORDER BY b.seq");
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int(st, 2, ord);
	size_t n = 0, cap = 0;
	struct runs_huge_row *v = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			v = xrealloc(v, (cap = cap ? 2 * cap : 1024) * sizeof(*v));
		v[n++] = (struct runs_huge_row){ sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1),
						 sqlite3_column_double(st, 2) };
	}
	sqlite3_finalize(st);
	*out = v;
	return n;
}

size_t runs_extfrag_read(sqlite3 *db, int64_t run, const char *zone, struct runs_extfrag_row **out)
{
	*out = NULL;
	sqlite3_stmt *st = runs_prepare(db,
		"SELECT s.events, e.ord, e.unusable, e.fragindex FROM extfrag e"
		" JOIN samples s ON s.run_id=e.run_id AND s.seq=e.seq"
		" WHERE e.run_id=? AND e.zone=? ORDER BY e.seq, e.ord");
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, zone, -1, SQLITE_STATIC);
	size_t n = 0, cap = 0;
	struct runs_extfrag_row *v = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			v = xrealloc(v, (cap = cap ? 2 * cap : 1024) * sizeof(*v));
		v[n++] = (struct runs_extfrag_row){ sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1),
						    runs_double(st, 2), runs_double(st, 3) };
	}
	sqlite3_finalize(st);
	*out = v;
	return n;
}

int64_t runs_buddy_samples(sqlite3 *db, int64_t run)
{
	return runs_query_int(db, "SELECT count(DISTINCT seq) FROM buddy WHERE run_id=?", run, 0);
}

size_t runs_buddy_read(sqlite3 *db, int64_t run, const char *zone, int64_t stride,
		       struct runs_buddy_row **out)
{
	*out = NULL;
	sqlite3_stmt *st = runs_prepare(db,
		"SELECT b.seq, s.time_ns, s.events, b.ord, b.free_blocks, e.unusable, e.fragindex"
		" FROM buddy b JOIN samples s ON s.run_id=b.run_id AND s.seq=b.seq"
		" LEFT JOIN extfrag e ON e.run_id=b.run_id AND e.seq=b.seq AND e.zone=b.zone AND e.ord=b.ord"
		" WHERE b.run_id=? AND b.zone=? AND b.seq % ? = 0 ORDER BY b.seq, b.ord");
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, stride);
	size_t cap = 1024, n = 0;
	struct runs_buddy_row *c = xmalloc(cap * sizeof(*c));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			c = xrealloc(c, (cap *= 2) * sizeof(*c));
		c[n++] = (struct runs_buddy_row){ sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
						  sqlite3_column_int(st, 3), sqlite3_column_double(st, 4),
						  runs_double(st, 5), runs_double(st, 6) };
	}
	sqlite3_finalize(st);
	*out = c;
	return n;
}

/* ---- caches ---- */

int64_t runs_cache_seq(sqlite3 *db, int64_t run, bool *at_peak)
{
	int64_t peak = runs_query_int(db, "SELECT seq FROM samples WHERE run_id=? ORDER BY footprint DESC, seq LIMIT 1",
				      run, 0);
	sqlite3_stmt *st = runs_prepare(db, "SELECT max(seq) FROM cache_samples WHERE run_id=?1 AND seq <= ?2");
	int64_t seq = -1;
	if (st) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int64(st, 2, peak);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			seq = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	*at_peak = seq >= 0;
	if (seq < 0)
		seq = runs_query_int(db, "SELECT min(seq) FROM cache_samples WHERE run_id=?", run, -1);
	return seq;
}

int runs_cache_read(sqlite3 *db, int64_t run, int64_t seq, struct runs_cache_row *rows, int max)
{
	sqlite3_stmt *st = runs_prepare(db,
		"SELECT name, active_objs * objsize, (num_objs - active_objs) * objsize,"
		" max(num_slabs * pagesperslab * 4096 - num_objs * objsize, 0), num_slabs * pagesperslab"
		" FROM cache_samples WHERE run_id=? AND seq=? AND num_slabs > 0 ORDER BY num_slabs * pagesperslab DESC, name LIMIT ?");
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, seq);
	sqlite3_bind_int(st, 3, max);
	int n = 0;
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		struct runs_cache_row *r = &rows[n++];
		snprintf(r->name, sizeof(r->name), "%s", runs_text(st, 0));
		r->used_bytes = sqlite3_column_double(st, 1);
		r->free_slot_bytes = sqlite3_column_double(st, 2);
		r->slab_waste_bytes = sqlite3_column_double(st, 3);
		r->pages = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	return n;
}

/* ---- snapshots ---- */

const uint8_t *runs_varint_decode(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (unsigned shift = 0; p < end && shift < 64; shift += 7) {
		uint8_t b = *p++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return p;
	}
	return NULL;
}

bool runs_bitmap_decode(const uint8_t *p, size_t len, uint64_t total,
			void (*fn)(void *ctx, uint64_t lo, uint64_t hi), void *ctx)
{
	const uint8_t *end = p ? p + len : NULL;
	uint64_t pos = 0;
	for (int on = 0; p && p < end; on ^= 1) {
		uint64_t n;
		p = runs_varint_decode(p, end, &n);
		if (!p || n > total - pos)
			return false;
		if (on && n)
			fn(ctx, pos, pos + n);
		pos += n;
	}
	return true;
}

/* used granules per frame a frame at a time (a full machine is billions of granules) */
static void runs_snapshot_used(void *ctx, uint64_t lo, uint64_t hi)
{
	struct runs_snapshot *sn = ctx;
	uint64_t per = sn->per_page;
	for (uint64_t g = lo; g < hi;) {
		uint64_t fr = g / per, stop = MIN(hi, (fr + 1) * per);
		sn->used[fr] = (uint16_t)(sn->used[fr] + (stop - g));
		g = stop;
	}
	if (sn->bits)
		for (uint64_t g = lo; g < hi; g++)
			sn->bits[g / 8] |= (uint8_t)(1u << (g % 8));
}

bool runs_owners_decode(const uint8_t *p, size_t len, uint64_t nframes, runs_owner_fn_t fn, void *ctx)
{
	const uint8_t *end = p ? p + len : NULL;
	uint64_t pos = 0;
	while (p && p < end) {
		uint64_t code, id, n;
		p = runs_varint_decode(p, end, &code);
		if (p)
			p = runs_varint_decode(p, end, &id);
		if (p)
			p = runs_varint_decode(p, end, &n);
		if (!p || n > nframes - pos || code > UINT32_MAX)
			return false;
		if (n)
			fn(ctx, (unsigned)code, pos, pos + n);
		pos += n;
	}
	return true;
}

/* held[f] = 1 for the back end's frames (not free, reserved, a trace page or unowned) */
static void runs_snapshot_held(void *ctx, unsigned code, uint64_t lo, uint64_t hi)
{
	struct runs_snapshot *sn = ctx;
	if (code < SNAP_OWNER_BASE || code == SNAP_OWNER_BASE + OWNER_PAGE || code == SNAP_OWNER_BASE + OWNER_NONE)
		return;
	memset(sn->held + lo, 1, hi - lo);
	sn->nheld += hi - lo;
	sn->first = MIN(sn->first, lo);
	sn->last = hi - 1;
}

bool runs_snapshot_read(sqlite3 *db, int64_t run, const char *label, uint64_t bits_pages,
			struct runs_snapshot *sn)
{
	memset(sn, 0, sizeof(*sn));
	sqlite3_stmt *st = runs_prepare(db, label ?
		"SELECT nframes, granule, owners, bitmap, label, events FROM snapshots"
		" WHERE run_id=?1 AND label=?2 ORDER BY seq DESC LIMIT 1" :
		"SELECT nframes, granule, owners, bitmap, label, events FROM snapshots"
		" WHERE run_id=? ORDER BY label IS NOT NULL AND used_granules > 0 DESC,"
		" CASE WHEN label IS NULL THEN used_granules ELSE seq END DESC, seq LIMIT 1");
	if (!st)
		return false;
	sqlite3_bind_int64(st, 1, run);
	if (label)
		sqlite3_bind_text(st, 2, label, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return false;
	}
	uint64_t nframes = (uint64_t)sqlite3_column_int64(st, 0), granule = (uint64_t)sqlite3_column_int64(st, 1);
	if (!nframes || !granule || granule > PAGE_SIZE || nframes > (1ull << 32)) {
		sqlite3_finalize(st);
		return false;
	}
	sn->nframes = nframes;
	sn->granule = granule;
	sn->per_page = PAGE_SIZE / granule;
	if (sqlite3_column_text(st, 4)) {
		sn->has_label = true;
		snprintf(sn->label, sizeof(sn->label), "%.60s", (const char *)sqlite3_column_text(st, 4));
	}
	sn->events = sqlite3_column_int64(st, 5);
	sn->held = xcalloc(nframes, 1);
	sn->first = UINT64_MAX;
	runs_owners_decode(sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), nframes,
			   runs_snapshot_held, sn);
	if (!sn->nheld) {
		sqlite3_finalize(st);
		runs_snapshot_release(sn);
		return false;
	}
	sn->used = xcalloc(nframes, sizeof(*sn->used));
	sn->bits = sn->nheld <= bits_pages ? xcalloc(nframes * sn->per_page / 8 + 1, 1) : NULL;
	runs_bitmap_decode(sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3), nframes * sn->per_page,
			   runs_snapshot_used, sn);
	sqlite3_finalize(st);
	return true;
}

void runs_snapshots_each(sqlite3 *db, int64_t run, bool with_owners, runs_snapshot_fn_t fn, void *ctx)
{
	sqlite3_stmt *st = runs_prepare(db, with_owners ?
		"SELECT seq, events, nframes, label, owners FROM snapshots WHERE run_id=? ORDER BY seq" :
		"SELECT seq, events, nframes, label, NULL FROM snapshots WHERE run_id=? ORDER BY seq");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, run);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct runs_snapinfo si = { .seq = sqlite3_column_int64(st, 0), .events = sqlite3_column_int64(st, 1),
					    .nframes = (uint64_t)sqlite3_column_int64(st, 2) };
		if (sqlite3_column_text(st, 3)) {
			si.has_label = true;
			snprintf(si.label, sizeof(si.label), "%.60s", (const char *)sqlite3_column_text(st, 3));
		}
		const uint8_t *owners = with_owners ? sqlite3_column_blob(st, 4) : NULL;
		fn(ctx, &si, owners, owners ? (size_t)sqlite3_column_bytes(st, 4) : 0);
	}
	sqlite3_finalize(st);
}

void runs_snapshot_release(struct runs_snapshot *sn)
{
	free(sn->held);
	free(sn->used);
	free(sn->bits);
	sn->held = NULL;
	sn->used = NULL;
	sn->bits = NULL;
}

/* ---- the run_summary view ---- */

bool runs_summary_has(sqlite3 *db)
{
	return runs_query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = 'run_summary'"
			      " AND ?1 = ?1", 0, 0) > 0;
}

int runs_summary_each(sqlite3 *db, const char *study, runs_row_fn_t fn, void *ctx)
{
	sqlite3_stmt *st = runs_prepare(db, "SELECT * FROM run_summary WHERE ?1 IS NULL OR study = ?1 ORDER BY run_id");
	if (!st)
		return -1;
	if (study)
		sqlite3_bind_text(st, 1, study, -1, SQLITE_STATIC);
	int ncol = sqlite3_column_count(st), n = 0;
	const char **names = xcalloc((size_t)ncol + 1, sizeof(*names));
	for (int i = 0; i < ncol; i++)
		names[i] = sqlite3_column_name(st, i);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn(ctx, ncol, names, st);
		n++;
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "kmemsim: results database: %s\n", sqlite3_errmsg(db));
		n = -1;
	}
	free(names);
	sqlite3_finalize(st);
	return n;
}
