/*
 * merge.c - `kmemsim merge OUT.db IN.db...` and `kmemsim export`.
 *
 * Merge (the databases that the array tasks of a Slurm sweep, or GNU
 * parallel's jobs, wrote one per run, into one):
 *  - every table of an input that has a run_id column is copied, with the
 *    runs rows: tables and columns OUT lacks are added first (an input
 *    from a newer kmemsim, or a back end's own table), so nothing is
 *    dropped; columns an input lacks stay NULL;
 *  - run ids are renumbered (OUT's largest id + 1, + 2, ... in the order
 *    of the inputs and their ids); studies, command lines and every other
 *    column are kept as they are;
 *  - duplicates by configuration hash (runs.config_hash: same build, same
 *    input bytes, same parameters): an input's `ok` run whose
 *    configuration OUT already has `ok` is skipped (with --refuse-dups the
 *    merge fails instead), and its run_stats are compared with the kept
 *    run's: numbers that differ are reported (kmemsim is deterministic:
 *    they should not); a run that did not end ok is skipped when OUT has
 *    any row of its configuration; an `ok` run replaces OUT's rows of its
 *    configuration that did not end ok (the sweep's rule, results.h
 *    results_superseded_delete); runs without a hash (stdin, older files)
 *    are always copied; `running` rows are not copied (their rows may not
 *    all be in the file yet), and said so;
 *  - transactional: everything happens in one write transaction on OUT,
 *    committed at the end; any error rolls it back and leaves OUT as it
 *    was. A new OUT is built as OUT.tmp-PID and renamed into place only
 *    when complete. Writers of OUT wait for the merge (busy timeout).
 *  The inputs are opened read-only and never changed.
 *
 * Export: the run_summary view (results.c: one row per run, one column
 * per headline metric) and, after it, one column per parameter of the
 * runs' params text (mem, backing, set.n, ...; those that are already a
 * column left out), as CSV (RFC 4180: a header row, fields with a comma,
 * quote or line break quoted; NULL an empty field, which pandas and R
 * read as missing) or JSON (an array of objects; NULL is null). Numbers
 * are written with 17 significant digits: they read back exactly.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include "merge.h"
#include "results.h"
#include "runs.h"

#define MERGE_TABLES 64

struct merge_stats { int copied, dups, conflicts, superseded, replaced, running, nohash; };

struct merge_ctx {
	sqlite3 *out;
	const char *out_path;
	bool refuse_dups;
	struct merge_stats st;
	char err[1024];
};

__attribute__((format(printf, 2, 3)))
static bool merge_fail(struct merge_ctx *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return false;
}

/* columns of table in db's schema sch, with their declared types */
static int merge_columns(sqlite3 *db, const char *sch, const char *table, char (*names)[64], char (*types)[32], int max)
{
	char *sql = sqlite3_mprintf("SELECT name, type FROM pragma_table_info(%Q, %Q) ORDER BY cid", table, sch);
	sqlite3_stmt *st;
	int n = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		return -1;
	}
	sqlite3_free(sql);
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(names[n], 64, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(types[n], 32, "%s", sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "");
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

/* OUT has table (as the input's, when it had none) and every column of the input's */
static bool merge_table_prepare(struct merge_ctx *m, sqlite3 *in, const char *table, char (*cols)[64], int *ncols)
{
	char types[128][32], have[128][32], out_cols[128][64];
	int n = merge_columns(in, "main", table, cols, types, 128);
	if (n <= 0)
		return merge_fail(m, "%s: cannot read its columns", table);
	int k = merge_columns(m->out, "main", table, out_cols, have, 128);
	if (k < 0)
		return merge_fail(m, "%s: %s", table, sqlite3_errmsg(m->out));
	if (k == 0) {
		sqlite3_stmt *st;
		const char *sql = NULL;
		if (sqlite3_prepare_v2(in, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", -1, &st, NULL) ==
		    SQLITE_OK) {
			sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				sql = (const char *)sqlite3_column_text(st, 0);
			bool ok = sql && sqlite3_exec(m->out, sql, NULL, NULL, NULL) == SQLITE_OK;
			sqlite3_finalize(st);
			if (!ok)
				return merge_fail(m, "cannot create table %s: %s", table, sqlite3_errmsg(m->out));
		}
	}
	for (int i = 0; i < n && k > 0; i++) {
		bool found = false;
		for (int j = 0; j < k && !found; j++)
			found = !strcmp(cols[i], out_cols[j]);
		if (found)
			continue;
		char *sql = sqlite3_mprintf("ALTER TABLE main.\"%w\" ADD COLUMN \"%w\" %s", table, cols[i], types[i]);
		int rc = sqlite3_exec(m->out, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			return merge_fail(m, "cannot add column %s.%s: %s", table, cols[i], sqlite3_errmsg(m->out));
	}
	*ncols = n;
	return true;
}

/* Copy the rows of table whose key column (id or run_id) is old, with key new. */
static bool merge_rows_copy(struct merge_ctx *m, sqlite3 *in, const char *table, char (*cols)[64], int ncols,
			    const char *key, int64_t old, int64_t new_id)
{
	char *sel = NULL, *ins = NULL;
	size_t sl = 0, il = 0;
	FILE *fs = open_memstream(&sel, &sl), *fi = open_memstream(&ins, &il);
	fputs("SELECT ", fs);
	fprintf(fi, "INSERT INTO main.\"%s\" (", table);
	int keycol = -1;
	for (int i = 0; i < ncols; i++) {
		char *q = sqlite3_mprintf("%s\"%w\"", i ? ", " : "", cols[i]);
		fputs(q, fs);
		fputs(q, fi);
		sqlite3_free(q);
		if (!strcmp(cols[i], key))
			keycol = i;
	}
	char *q = sqlite3_mprintf(" FROM main.\"%w\" WHERE \"%w\" = ?", table, key);
	fputs(q, fs);
	sqlite3_free(q);
	fputs(") VALUES (", fi);
	for (int i = 0; i < ncols; i++)
		fputs(i ? ", ?" : "?", fi);
	fputs(")", fi);
	fclose(fs);
	fclose(fi);
	sqlite3_stmt *s = NULL, *d = NULL;
	bool ok = keycol >= 0 && sqlite3_prepare_v2(in, sel, -1, &s, NULL) == SQLITE_OK &&
		  sqlite3_prepare_v2(m->out, ins, -1, &d, NULL) == SQLITE_OK;
	if (!ok)
		merge_fail(m, "%s: %s", table, sqlite3_errmsg(s ? m->out : in));
	if (ok)
		sqlite3_bind_int64(s, 1, old);
	int rc;
	while (ok && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		sqlite3_reset(d);
		for (int i = 0; i < ncols; i++) {
			if (i == keycol)
				sqlite3_bind_int64(d, i + 1, new_id);
			else
				sqlite3_bind_value(d, i + 1, sqlite3_column_value(s, i));
		}
		if (sqlite3_step(d) != SQLITE_DONE)
			ok = merge_fail(m, "%s: %s", table, sqlite3_errmsg(m->out));
	}
	if (ok && rc != SQLITE_DONE)
		ok = merge_fail(m, "%s: %s", table, sqlite3_errmsg(in));
	sqlite3_finalize(s);
	sqlite3_finalize(d);
	free(sel);
	free(ins);
	return ok;
}

/* an id of OUT's runs of config with status ok (ok) or any ended status; 0: none */
static int64_t merge_config_find(sqlite3 *db, const char *hash, bool ok)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	if (sqlite3_prepare_v2(db, ok ? "SELECT id FROM main.runs WHERE config_hash = ? AND status = 'ok' ORDER BY id LIMIT 1"
				      : "SELECT id FROM main.runs WHERE config_hash = ? AND status <> 'running' ORDER BY id LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

/* run_stats rows of the input's run that are not OUT's run's, and the reverse */
static int merge_stats_differ(sqlite3 *in, int64_t run, sqlite3 *out, int64_t kept)
{
	sqlite3_stmt *a, *b;
	if (sqlite3_prepare_v2(in, "SELECT key, value FROM run_stats WHERE run_id = ? ORDER BY key", -1, &a, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(out, "SELECT key, value FROM main.run_stats WHERE run_id = ? ORDER BY key", -1, &b, NULL) != SQLITE_OK) {
		sqlite3_finalize(a);
		return -1;
	}
	sqlite3_bind_int64(a, 1, run);
	sqlite3_bind_int64(b, 1, kept);
	int differ = 0;
	for (;;) {
		int ra = sqlite3_step(a), rb = sqlite3_step(b);
		if (ra != SQLITE_ROW || rb != SQLITE_ROW) {
			differ += ra == SQLITE_ROW || rb == SQLITE_ROW;
			break;
		}
		bool same = !strcmp((const char *)sqlite3_column_text(a, 0), (const char *)sqlite3_column_text(b, 0)) &&
			    sqlite3_column_type(a, 1) == sqlite3_column_type(b, 1) &&
			    (sqlite3_column_type(a, 1) == SQLITE_NULL || sqlite3_column_double(a, 1) == sqlite3_column_double(b, 1));
		differ += !same;
	}
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	return differ;
}

static bool merge_one(struct merge_ctx *m, const char *path)
{
	sqlite3 *in = NULL;
	if (sqlite3_open_v2(path, &in, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		merge_fail(m, "%s: %s", path, sqlite3_errmsg(in));
		sqlite3_close(in);
		return false;
	}
	sqlite3_busy_timeout(in, 60000);
	char tables[MERGE_TABLES][64], cols[MERGE_TABLES + 1][128][64];
	int ncols[MERGE_TABLES + 1];
	int nt = results_run_tables(in, "main", tables, MERGE_TABLES);
	bool ok = nt >= 0 || merge_fail(m, "%s: not a database (%s)", path, sqlite3_errmsg(in));
	ok = ok && merge_table_prepare(m, in, "runs", cols[MERGE_TABLES], &ncols[MERGE_TABLES]);
	if (ok) {
		bool has_id = false;
		for (int i = 0; i < ncols[MERGE_TABLES]; i++)
			has_id |= !strcmp(cols[MERGE_TABLES][i], "id");
		if (!has_id)
			ok = merge_fail(m, "%s: its runs table has no id column: not a kmemsim database", path);
	}
	for (int t = 0; ok && t < nt; t++)
		ok = merge_table_prepare(m, in, tables[t], cols[t], &ncols[t]);
	sqlite3_stmt *st = NULL;
	if (ok && sqlite3_prepare_v2(in, "SELECT id, status, config_hash FROM runs ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		ok = merge_fail(m, "%s: %s", path, sqlite3_errmsg(in));
	int rc = SQLITE_DONE;
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t old = sqlite3_column_int64(st, 0);
		const char *status = (const char *)sqlite3_column_text(st, 1);
		const char *hash = (const char *)sqlite3_column_text(st, 2);
		bool is_ok = status && !strcmp(status, "ok");
		if (status && !strcmp(status, "running")) {
			fprintf(stderr, "kmemsim merge: %s: run %lld is running (or its process died on another host):"
				" not merged\n", path, (long long)old);
			m->st.running++;
			continue;
		}
		int64_t replace_ok = 0;
		if (hash) {
			int64_t kept = merge_config_find(m->out, hash, true);
			if (kept > 0 && is_ok) {
				if (m->refuse_dups) {
					ok = merge_fail(m, "%s: run %lld repeats run %lld of %s (configuration %.12s)"
							" and --refuse-dups was given", path, (long long)old, (long long)kept,
							m->out_path, hash);
					break;
				}
				int d = merge_stats_differ(in, old, m->out, kept);
				if (d != 0) {
					fprintf(stderr, "kmemsim merge: %s: run %lld has the configuration of run %lld but"
						" %d of its numbers differ: kept run %lld\n", path, (long long)old,
						(long long)kept, d, (long long)kept);
					m->st.conflicts++;
				}
				m->st.dups++;
				continue;
			}
			if (!is_ok && merge_config_find(m->out, hash, false) > 0) {
				m->st.superseded++;
				continue;
			}
			replace_ok = is_ok;
		} else {
			m->st.nohash++;
		}
		if (replace_ok) {
			/* OUT's rows of this configuration that did not end ok */
			int64_t id;
			while (ok && (id = merge_config_find(m->out, hash, false)) > 0) {
				if (results_run_delete(m->out, id) != SQLITE_OK)
					ok = merge_fail(m, "%s: %s", m->out_path, sqlite3_errmsg(m->out));
				m->st.replaced++;
			}
		}
		sqlite3_stmt *mx;
		int64_t new_id = 1;
		if (ok && sqlite3_prepare_v2(m->out, "SELECT coalesce(max(id), 0) + 1 FROM main.runs", -1, &mx, NULL) == SQLITE_OK) {
			if (sqlite3_step(mx) == SQLITE_ROW)
				new_id = sqlite3_column_int64(mx, 0);
			sqlite3_finalize(mx);
		}
		ok = ok && merge_rows_copy(m, in, "runs", cols[MERGE_TABLES], ncols[MERGE_TABLES], "id", old, new_id);
		for (int t = 0; ok && t < nt; t++)
			ok = merge_rows_copy(m, in, tables[t], cols[t], ncols[t], "run_id", old, new_id);
		m->st.copied += ok;
	}
	if (ok && rc != SQLITE_DONE && rc != SQLITE_ROW)
		ok = merge_fail(m, "%s: %s", path, sqlite3_errmsg(in));
	sqlite3_finalize(st);
	sqlite3_close(in);
	return ok;
}

static const char merge_usage[] =
"usage: kmemsim merge [--refuse-dups] OUT.db IN.db...\n"
"\n"
"Copies every run of the IN databases, with all their rows, into OUT (made when\n"
"absent): run ids renumbered, studies kept; a run whose configuration hash OUT\n"
"already has ok is skipped (its numbers compared with the kept run's; any\n"
"difference is reported); one that did not end ok is skipped when OUT has its\n"
"configuration; an ok run replaces OUT's rows of its configuration that did not\n"
"end ok; runs still running are not copied. One transaction: on any error OUT is\n"
"left as it was.\n"
"  --refuse-dups   fail (and change nothing) when an input repeats a configuration\n"
"exit status: 0 merged; 1 an input could not be merged (OUT unchanged); 2 bad usage.\n";

int cmd_merge(int argc, char **argv)
{
	struct merge_ctx m = { 0 };
	int first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "--refuse-dups")) {
			m.refuse_dups = true;
		} else if (!strcmp(argv[first], "--help")) {
			fputs(merge_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "kmemsim merge: unknown option '%s'\n%s", argv[first], merge_usage);
			return 2;
		}
	}
	if (argc - first < 2) {
		fprintf(stderr, "kmemsim merge: needs OUT.db and at least one IN.db\n%s", merge_usage);
		return 2;
	}
	const char *out = argv[first];
	struct stat so, si;
	bool exists = stat(out, &so) == 0;
	for (int i = first + 1; i < argc; i++) {
		if (stat(argv[i], &si) != 0) {
			fprintf(stderr, "kmemsim merge: %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		if (exists && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
			fprintf(stderr, "kmemsim merge: %s is the output\n", argv[i]);
			return 2;
		}
	}
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", out, (int)getpid());
	const char *target = exists ? out : tmp;
	m.out_path = out;
	char err[512];
	struct results *res = results_open(target, err, sizeof(err));   /* schema, views, columns */
	if (!res) {
		fprintf(stderr, "kmemsim merge: %s\n", err);
		return 1;
	}
	results_close(res);
	bool ok = sqlite3_open_v2(target, &m.out, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK;
	if (ok) {
		sqlite3_busy_timeout(m.out, 60000);
		ok = sqlite3_exec(m.out, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
	}
	if (!ok)
		merge_fail(&m, "%s: %s", out, sqlite3_errmsg(m.out));
	for (int i = first + 1; ok && i < argc; i++)
		ok = merge_one(&m, argv[i]);
	if (ok && sqlite3_exec(m.out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		ok = merge_fail(&m, "%s: %s", out, sqlite3_errmsg(m.out));
	if (!ok && m.out && !sqlite3_get_autocommit(m.out))
		sqlite3_exec(m.out, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(m.out);
	if (ok && !exists && rename(tmp, out) != 0)
		ok = merge_fail(&m, "cannot rename %s to %s: %s", tmp, out, strerror(errno));
	if (!exists && !ok) {
		static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
		for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
			char p[4200];
			snprintf(p, sizeof(p), "%s%s", tmp, ext[i]);
			unlink(p);
		}
	}
	if (!ok) {
		fprintf(stderr, "kmemsim merge: %s; %s %s\n", m.err, out, exists ? "is unchanged" : "was not made");
		return 1;
	}
	printf("merged into %s: %d runs copied from %d files; %d duplicates skipped (%d with other numbers),"
	       " %d superseded runs skipped, %d rows replaced by an ok run, %d running runs left out,"
	       " %d runs without a configuration hash\n", out, m.st.copied, argc - first - 1, m.st.dups, m.st.conflicts,
	       m.st.superseded, m.st.replaced, m.st.running, m.st.nohash);
	return m.st.conflicts ? 1 : 0;
}

/* ---- export ---- */

struct export_ctx {
	FILE *f;
	bool json;
	int rows;
	char **pkeys;          /* parameter columns */
	int npkeys;
};

/* the value of key in params: a repeated key's values joined by a space
 * (reserve=A+B reserve=C+D); false when absent */
static bool export_param(const char *params, const char *key, char *v, size_t n)
{
	size_t kl = strlen(key), l = 0;
	bool found = false;
	v[0] = '\0';
	for (const char *p = params; p && *p;) {
		size_t len = strcspn(p, " ");
		if (len > kl && !strncmp(p, key, kl) && p[kl] == '=' && l < n) {
			l += (size_t)snprintf(v + l, n - l, "%s%.*s", found ? " " : "", (int)(len - kl - 1), p + kl + 1);
			found = true;
		}
		p += len;
		while (*p == ' ')
			p++;
	}
	return found;
}

static bool export_is_number(const char *s)
{
	char *end;
	if (!*s)
		return false;
	strtod(s, &end);
	return !*end && strspn(s, "0123456789.eE+-") == strlen(s);
}

static void export_csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void export_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* one cell: type (SQLITE_*), text as SQLite gives it (reals with 17 digits) */
static void export_cell(struct export_ctx *x, const char *name, int type, const char *text, double real, bool first)
{
	char buf[64];
	if (type == SQLITE_FLOAT) {
		snprintf(buf, sizeof(buf), "%.17g", real);
		text = buf;
	}
	if (x->json) {
		fputs(first ? "{" : ", ", x->f);
		export_json_string(x->f, name);
		fputs(": ", x->f);
		if (type == SQLITE_NULL)
			fputs("null", x->f);
		else if (type == SQLITE_INTEGER || type == SQLITE_FLOAT || (type == -1 && export_is_number(text)))
			fputs(text, x->f);
		else
			export_json_string(x->f, text);
	} else {
		if (!first)
			fputc(',', x->f);
		if (type != SQLITE_NULL)
			export_csv_field(x->f, text);
	}
}

static void export_row(void *ctx, int ncol, const char *const *names, sqlite3_stmt *st)
{
	struct export_ctx *x = ctx;
	int pcol = -1;
	for (int i = 0; i < ncol; i++)
		if (!strcmp(names[i], "params"))
			pcol = i;
	if (x->rows == 0 && !x->json) {
		for (int i = 0; i < ncol; i++) {
			if (i)
				fputc(',', x->f);
			export_csv_field(x->f, names[i]);
		}
		for (int k = 0; k < x->npkeys; k++) {
			fputc(',', x->f);
			export_csv_field(x->f, x->pkeys[k]);
		}
		fputs("\r\n", x->f);
	}
	if (x->json)
		fputs(x->rows ? ",\n" : "[\n", x->f);
	for (int i = 0; i < ncol; i++) {
		int t = sqlite3_column_type(st, i);
		const char *txt = (const char *)sqlite3_column_text(st, i);
		export_cell(x, names[i], t, txt ? txt : "", t == SQLITE_FLOAT ? sqlite3_column_double(st, i) : 0, i == 0);
	}
	const char *params = pcol >= 0 ? (const char *)sqlite3_column_text(st, pcol) : NULL;
	for (int k = 0; k < x->npkeys; k++) {
		char v[512];
		bool has = export_param(params, x->pkeys[k], v, sizeof(v));
		export_cell(x, x->pkeys[k], has ? -1 : SQLITE_NULL, v, 0, false);
	}
	fputs(x->json ? "}" : "\r\n", x->f);
	x->rows++;
}

/* the parameter keys of a row's params text, added to x->pkeys in order of first sight */
static void export_keys(void *ctx, int ncol, const char *const *names, sqlite3_stmt *st)
{
	struct export_ctx *x = ctx;
	for (int i = 0; i < ncol; i++) {
		if (strcmp(names[i], "params"))
			continue;
		const char *p = (const char *)sqlite3_column_text(st, i);
		while (p && *p) {
			size_t len = strcspn(p, " "), kl = strcspn(p, "= ");
			char key[128];
			snprintf(key, sizeof(key), "%.*s", (int)MIN(kl, sizeof(key) - 1), p);
			bool seen = kl == len;   /* no '=': not a parameter */
			for (int c = 0; c < ncol && !seen; c++)
				seen = !strcmp(names[c], key);
			for (int k = 0; k < x->npkeys && !seen; k++)
				seen = !strcmp(x->pkeys[k], key);
			if (!seen) {
				x->pkeys = xrealloc(x->pkeys, (size_t)(x->npkeys + 1) * sizeof(*x->pkeys));
				x->pkeys[x->npkeys++] = xstrdup(key);
			}
			p += len;
			while (*p == ' ')
				p++;
		}
	}
}

static const char export_usage[] =
"usage: kmemsim export --format csv|json [--study S] [--db FILE]\n"
"\n"
"Writes one row per run to stdout: the run_summary view of the database (run\n"
"identity, status, served, one column per headline metric) and a column per\n"
"parameter of the runs' params (mem, backing, set.NAME, ...). CSV: a header row,\n"
"RFC 4180 quoting, an undefined value an empty field (pandas and R read it as\n"
"missing). JSON: an array of objects, undefined values null.\n"
"  --db FILE     results database (default results.db)\n"
"  --study S     only the runs of study S\n";

int cmd_export(int argc, char **argv)
{
	const char *db = "results.db", *study = NULL, *format = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--db") && v)
			db = argv[++i];
		else if (!strcmp(a, "--study") && v)
			study = argv[++i];
		else if (!strcmp(a, "--format") && v)
			format = argv[++i];
		else if (!strcmp(a, "--help")) {
			fputs(export_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "kmemsim export: unknown option or missing value '%s'\n%s", a, export_usage);
			return 2;
		}
	}
	if (!format || (strcmp(format, "csv") && strcmp(format, "json"))) {
		fprintf(stderr, "kmemsim export: --format is csv or json\n%s", export_usage);
		return 2;
	}
	if (access(db, R_OK) != 0) {
		fprintf(stderr, "kmemsim export: %s: no such database\n", db);
		return 2;
	}
	char err[512];
	sqlite3 *rdb = runs_open(db, err, sizeof(err));
	if (rdb && !runs_summary_has(rdb)) {
		/* a file older than the views: give it them (and the new columns) */
		runs_close(rdb);
		struct results *res = results_open(db, err, sizeof(err));
		if (!res) {
			fprintf(stderr, "kmemsim export: %s\n", err);
			return 1;
		}
		results_close(res);
		rdb = runs_open(db, err, sizeof(err));
	}
	if (!rdb) {
		fprintf(stderr, "kmemsim export: %s\n", err);
		return 1;
	}
	struct export_ctx x = { .f = stdout, .json = !strcmp(format, "json") };
	int n = runs_summary_each(rdb, study, export_keys, &x);
	if (n >= 0)
		n = runs_summary_each(rdb, study, export_row, &x);
	runs_close(rdb);
	if (x.json)
		fputs(x.rows ? "\n]\n" : "[]\n", stdout);
	for (int k = 0; k < x.npkeys; k++)
		free(x.pkeys[k]);
	free(x.pkeys);
	if (n < 0)
		return 1;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kmemsim export: write error\n");
		return 1;
	}
	if (n == 0)
		fprintf(stderr, "kmemsim export: %s: no runs%s%s\n", db, study ? " in study " : "", study ? study : "");
	return 0;
}
