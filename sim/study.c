/*
 * study.c - `kmemsim compare` and `kmemsim plot`: many runs at once.
 *
 * plot reads results.db and draws with gnuplot. For each selected run it
 * writes tab-separated data files into the output directory and runs the
 * scripts in plots/ on them, once for PNG (pngcairo, else png) and once
 * for SVG:
 *   run<ID>_buddy     free blocks per order over time, and Gorman's
 *                     unusable free space index per order (heat maps)
 *   run<ID>_caches    per-cache slab occupancy at peak footprint
 *   run<ID>_bitmap    a page-bitmap snapshot of the run (its last labelled
 *                     one, else its fullest): one column per
 *                     held page, used granules red, free green (NTA's
 *                     graphs), or per-page occupancy as a heat map when
 *                     the back end holds more than PLOT_BITMAP_PAGES pages
 * and for each group of runs on one input (same input, study, seed, memory):
 *   grp<N>_footprint  F(t) per back end and R(t), one figure
 *   grp<N>_frag       internal fragmentation and total overhead over time
 *   grp<N>_bars       peak footprint, J&W #3 and #4, failed allocations
 * and an index.html that shows every figure with a table of headline
 * numbers per group. Data files stay beside the figures so a figure can be
 * checked against the database (tests/t_plot.sh does).
 *
 * compare runs every registered back end on one input, in parallel (at
 * most one child per online CPU), each as `kmemsim run` of this very
 * executable (/proc/self/exe) with a fresh study label, then prints a
 * ranked table from results.db and draws the group's figures. A failed
 * run is reported and makes the exit status 1; the others are kept.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "base.h"
#include "metrics.h"
#include "physmem.h"
#include "results.h"
#include "study.h"
#include "../allocators/allocator.h"

#define PLOT_MAX_RUNS      512
#define PLOT_BITMAP_PAGES  2048   /* granule picture up to this many held pages */
#define PLOT_HEAT_CELLS    65536  /* heat map cells at most (256 x 256) */
#define PLOT_MAX_SAMPLES   400    /* time points in heat maps */

struct run_info {
	int64_t id;
	char alloc[32], input[256], name[128], study[128];
	uint64_t seed, mem_bytes;
	int group;
};

struct plot_ctx {
	sqlite3 *db;
	const char *out, *gpdir;
	bool have_gnuplot;
	const char *pngterm;
	FILE *html;
	unsigned figures, failures;
};

/* ---- small helpers ---- */

static void plot_sanitize(char *s)
{
	for (; *s; s++)
		if (*s == '\'' || *s == '"' || *s == '\\' || *s == '\n' || *s == '@')
			*s = '_';
}

static void input_name(const char *input, char *out, size_t n)
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
	plot_sanitize(out);
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "kmemsim plot: %s\n  in: %s\n", sqlite3_errmsg(db), sql);
		return NULL;
	}
	return st;
}

static double run_stat(sqlite3 *db, int64_t run, const char *key, double dflt)
{
	sqlite3_stmt *st = prep(db, "SELECT value FROM run_stats WHERE run_id=? AND key=?");
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

static int64_t query_int(sqlite3 *db, const char *sql, int64_t run, int64_t dflt)
{
	sqlite3_stmt *st = prep(db, sql);
	int64_t v = dflt;
	if (!st)
		return v;
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* plots/ beside the executable (./kmemsim, build/test/kmemsim), or
 * $KMEMSIM_PLOTS, or ./plots. */
static const char *plots_dir(void)
{
	static char dir[2 * PATH_MAX + 32];
	const char *env = getenv("KMEMSIM_PLOTS");
	if (env && *env)
		return env;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		static const char *const rel[] = { "/plots", "/../plots", "/../../plots" };
		for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
			snprintf(dir, sizeof(dir), "%s%s/common.gp", exe, rel[i]);
			if (access(dir, R_OK) == 0) {
				snprintf(dir, sizeof(dir), "%s%s", exe, rel[i]);
				return dir;
			}
		}
	}
	return "plots";
}

static bool gnuplot_has(const char *term)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "gnuplot -e 'set terminal' 2>&1 | grep -qw '%s'", term);
	return system(cmd) == 0;
}

/* Run one gnuplot script for PNG and SVG. vars: gnuplot assignments. */
static void plot_draw(struct plot_ctx *pc, const char *script, const char *base, const char *vars)
{
	if (!pc->have_gnuplot)
		return;
	static const char *const fmt[] = { "png", "svg" };
	for (int i = 0; i < 2; i++) {
		char path[PATH_MAX], e[8192], sp[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s.%s", pc->out, base, fmt[i]);
		snprintf(sp, sizeof(sp), "%s/%s", pc->gpdir, script);
		snprintf(e, sizeof(e), "term='%s'; out='%s'; gpdir='%s'; dir='%s'; %s",
			 i == 0 ? pc->pngterm : "svg", path, pc->gpdir, pc->out, vars);
		/* gnuplot's warnings (NaN cells of a heat map are expected) go to
		 * gnuplot.log in the output directory */
		char logp[PATH_MAX + 16];
		snprintf(logp, sizeof(logp), "%s/gnuplot.log", pc->out);
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			FILE *lf = fopen(logp, "a");
			if (lf) {
				fprintf(lf, "== %s\n", path);
				fflush(lf);
				dup2(fileno(lf), 2);
			}
			execlp("gnuplot", "gnuplot", "-e", e, sp, (char *)NULL);
			_exit(127);
		}
		int status = 0;
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "kmemsim plot: gnuplot %s failed for %s (see %s)\n", script, path, logp);
			pc->failures++;
			continue;
		}
		struct stat stt;
		if (stat(path, &stt) != 0 || stt.st_size == 0) {
			fprintf(stderr, "kmemsim plot: %s was not written\n", path);
			pc->failures++;
			continue;
		}
		if (i == 0)
			pc->figures++;
	}
}

static FILE *tsv_open(struct plot_ctx *pc, const char *name, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", pc->out, name);
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "kmemsim plot: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

/* ---- per-run figures ---- */

static void run_title(const struct run_info *r, char *t, size_t n)
{
	snprintf(t, n, "%s, %s, seed %llu", r->name, r->alloc, (unsigned long long)r->seed);
}

/* x axis of a run's time series: simulated seconds when time moved,
 * else events. */
struct xaxis { int col; double scale; char label[64]; };

static void xaxis_pick(sqlite3 *db, const struct run_info *runs, const int *idx, int n, struct xaxis *x)
{
	int64_t tmax = 0, emax = 0;
	for (int i = 0; i < n; i++) {
		int64_t t = query_int(db, "SELECT max(time_ns) FROM samples WHERE run_id=?", runs[idx[i]].id, 0);
		int64_t e = query_int(db, "SELECT max(events) FROM samples WHERE run_id=?", runs[idx[i]].id, 0);
		tmax = MAX(tmax, t);
		emax = MAX(emax, e);
	}
	if (tmax > 0) {
		x->col = 1;
		x->scale = tmax >= 10000000000ll ? 1.0 : 1.0;
		snprintf(x->label, sizeof(x->label), "simulated time (s)");
	} else if (emax >= 2000000) {
		x->col = 2;
		x->scale = 1e-6;
		snprintf(x->label, sizeof(x->label), "events (millions)");
	} else if (emax >= 2000) {
		x->col = 2;
		x->scale = 1e-3;
		snprintf(x->label, sizeof(x->label), "events (thousands)");
	} else {
		x->col = 2;
		x->scale = 1;
		snprintf(x->label, sizeof(x->label), "events");
	}
}

/* ts_<id>.tsv: time_s events R_MiB A_MiB F_MiB internal overhead hostage failed */
static bool write_timeseries(struct plot_ctx *pc, const struct run_info *r)
{
	char name[64], path[PATH_MAX];
	snprintf(name, sizeof(name), "run%lld_ts.tsv", (long long)r->id);
	FILE *f = tsv_open(pc, name, path, sizeof(path));
	if (!f)
		return false;
	sqlite3_stmt *st = prep(pc->db,
		"SELECT s.time_ns, s.events, s.requested, s.allocated, s.footprint,"
		" f.internal_frag, f.total_overhead, f.hostage_pages, s.failed_allocs"
		" FROM samples s LEFT JOIN frag f USING (run_id, seq) WHERE s.run_id=? ORDER BY s.seq");
	fprintf(f, "# time_s\tevents\tR_MiB\tA_MiB\tF_MiB\tinternal_frag\ttotal_overhead\thostage_pages\tfailed_allocs\n");
	unsigned rows = 0;
	if (st) {
		sqlite3_bind_int64(st, 1, r->id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			/* undefined ratios (A or F = 0) are NaN: gnuplot leaves a gap */
			double in = sqlite3_column_type(st, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 5);
			double ov = sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 6);
			fprintf(f, "%.9f\t%lld\t%.9f\t%.9f\t%.9f\t%.6f\t%.6f\t%lld\t%lld\n",
				(double)sqlite3_column_int64(st, 0) * 1e-9, (long long)sqlite3_column_int64(st, 1),
				(double)sqlite3_column_int64(st, 2) / MIB, (double)sqlite3_column_int64(st, 3) / MIB,
				(double)sqlite3_column_int64(st, 4) / MIB, in, ov, (long long)sqlite3_column_int64(st, 7),
				(long long)sqlite3_column_int64(st, 8));
			rows++;
		}
		sqlite3_finalize(st);
	}
	fclose(f);
	return rows > 0;
}

/* The zone with the most pages in the run's first sample. */
static void main_zone(sqlite3 *db, int64_t run, char *zone, size_t n)
{
	snprintf(zone, n, "Normal");
	sqlite3_stmt *st = prep(db, "SELECT zone, sum(free_blocks << ord) AS p FROM buddy"
				" WHERE run_id=?1 AND seq=(SELECT min(seq) FROM buddy WHERE run_id=?1)"
				" GROUP BY zone ORDER BY p DESC LIMIT 1");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, run);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(zone, n, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static void plot_buddy(struct plot_ctx *pc, const struct run_info *r, const struct xaxis *x)
{
	char zone[16], name[64], path[PATH_MAX];
	main_zone(pc->db, r->id, zone, sizeof(zone));
	int64_t nseq = query_int(pc->db, "SELECT count(DISTINCT seq) FROM buddy WHERE run_id=?", r->id, 0);
	if (nseq < 2)
		return;
	int64_t stride = (nseq + PLOT_MAX_SAMPLES - 1) / PLOT_MAX_SAMPLES;
	sqlite3_stmt *st = prep(pc->db,
		"SELECT b.seq, s.time_ns, s.events, b.ord, b.free_blocks, e.unusable, e.fragindex"
		" FROM buddy b JOIN samples s ON s.run_id=b.run_id AND s.seq=b.seq"
		" LEFT JOIN extfrag e ON e.run_id=b.run_id AND e.seq=b.seq AND e.zone=b.zone AND e.ord=b.ord"
		" WHERE b.run_id=? AND b.zone=? AND b.seq % ? = 0 ORDER BY b.seq, b.ord");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_text(st, 2, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, stride);
	/* Collect, then write with each cell's width (to the next sample). */
	size_t cap = 1024, n = 0;
	struct cell { double x; int ord; double nfree, unusable, fi; } *c = xmalloc(cap * sizeof(*c));
	int maxord = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap)
			c = xrealloc(c, (cap *= 2) * sizeof(*c));
		double xv = x->col == 1 ? (double)sqlite3_column_int64(st, 1) * 1e-9 : (double)sqlite3_column_int64(st, 2);
		c[n] = (struct cell){ xv * x->scale, sqlite3_column_int(st, 3), sqlite3_column_double(st, 4),
				      sqlite3_column_double(st, 5), sqlite3_column_double(st, 6) };
		maxord = MAX(maxord, c[n].ord);
		n++;
	}
	sqlite3_finalize(st);
	snprintf(name, sizeof(name), "run%lld_buddy.tsv", (long long)r->id);
	FILE *f = tsv_open(pc, name, path, sizeof(path));
	if (!f) {
		free(c);
		return;
	}
	fprintf(f, "# zone %s\n# x\torder\tx_lo\tx_hi\tfree_blocks\tlog10(1+free_blocks)\tunusable\tfragindex\n", zone);
	int norders = maxord + 1;
	for (size_t i = 0; i < n; i++) {
		/* cell spans halfway to the neighbouring samples */
		double prev = i >= (size_t)norders ? c[i - norders].x : c[i].x;
		double next = i + norders < n ? c[i + norders].x : c[i].x;
		double lo = i >= (size_t)norders ? (prev + c[i].x) / 2 : c[i].x;
		double hi = i + norders < n ? (c[i].x + next) / 2 : c[i].x;
		if (hi <= lo) {   /* a single or repeated x: give the cell some width */
			lo = c[i].x - 0.5 * (i >= (size_t)norders ? c[i].x - prev : 1);
			hi = c[i].x;
		}
		fprintf(f, "%.9g\t%d\t%.9g\t%.9g\t%.0f\t%.6f\t%.3f\t%.3f\n", c[i].x, c[i].ord, lo, hi,
			c[i].nfree, log10(1 + c[i].nfree), c[i].unusable, c[i].fi);
	}
	fclose(f);
	free(c);
	char t[256], vars[3 * PATH_MAX], base[64];
	run_title(r, t, sizeof(t));
	snprintf(base, sizeof(base), "run%lld_buddy", (long long)r->id);
	snprintf(vars, sizeof(vars), "data='%s'; ttl='%s (zone %s)'; xlab='%s'; maxord=%d",
		 path, t, zone, x->label, maxord);
	plot_draw(pc, "buddy.gp", base, vars);
	fprintf(pc->html, "<figure><img src=\"%s.png\" width=\"525\"><figcaption>Free blocks per order and "
		"unusable free space index: %s</figcaption></figure>\n", base, t);
}

/* Per-cache occupancy at the cache sample nearest before peak footprint. */
static void plot_caches(struct plot_ctx *pc, const struct run_info *r)
{
	int64_t peak = query_int(pc->db, "SELECT seq FROM samples WHERE run_id=? ORDER BY footprint DESC, seq LIMIT 1", r->id, 0);
	sqlite3_stmt *st = prep(pc->db, "SELECT max(seq) FROM cache_samples WHERE run_id=?1 AND seq <= ?2");
	int64_t seq = -1;
	if (st) {
		sqlite3_bind_int64(st, 1, r->id);
		sqlite3_bind_int64(st, 2, peak);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			seq = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	const char *when = "at peak footprint";
	if (seq < 0) {
		seq = query_int(pc->db, "SELECT min(seq) FROM cache_samples WHERE run_id=?", r->id, -1);
		when = "first sample";
	}
	if (seq < 0)
		return;
	st = prep(pc->db,
		"SELECT name, active_objs * objsize, (num_objs - active_objs) * objsize,"
		" max(num_slabs * pagesperslab * 4096 - num_objs * objsize, 0), num_slabs * pagesperslab"
		" FROM cache_samples WHERE run_id=? AND seq=? AND num_slabs > 0 ORDER BY num_slabs * pagesperslab DESC, name LIMIT 12");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, seq);
	char name[64], path[PATH_MAX];
	snprintf(name, sizeof(name), "run%lld_caches.tsv", (long long)r->id);
	FILE *f = tsv_open(pc, name, path, sizeof(path));
	if (!f) {
		sqlite3_finalize(st);
		return;
	}
	fprintf(f, "# cache\tused_KiB\tfree_slots_KiB\tslab_waste_KiB\tpages\n");
	int rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		char cn[64];
		snprintf(cn, sizeof(cn), "%s", (const char *)sqlite3_column_text(st, 0));
		plot_sanitize(cn);
		for (char *p = cn; *p; p++)
			if (*p == ' ' || *p == '\t')
				*p = '_';
		fprintf(f, "%s\t%.3f\t%.3f\t%.3f\t%lld\n", cn, sqlite3_column_double(st, 1) / 1024,
			sqlite3_column_double(st, 2) / 1024, sqlite3_column_double(st, 3) / 1024,
			(long long)sqlite3_column_int64(st, 4));
		rows++;
	}
	sqlite3_finalize(st);
	fclose(f);
	if (!rows)
		return;
	char t[256], vars[3 * PATH_MAX], base[64];
	run_title(r, t, sizeof(t));
	snprintf(base, sizeof(base), "run%lld_caches", (long long)r->id);
	snprintf(vars, sizeof(vars), "data='%s'; ttl='%s, %s'", path, t, when);
	plot_draw(pc, "caches.gp", base, vars);
	fprintf(pc->html, "<figure><img src=\"%s.png\" width=\"525\"><figcaption>Largest caches %s: %s"
		"</figcaption></figure>\n", base, when, t);
}

/* ---- snapshots ---- */

static const uint8_t *rle_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
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

static void plot_bitmap(struct plot_ctx *pc, const struct run_info *r)
{
	/* the last labelled snapshot (a workload marks its moment), else the
	 * fullest one (first of equals) */
	sqlite3_stmt *st = prep(pc->db, "SELECT nframes, granule, owners, bitmap, label, events FROM snapshots"
				" WHERE run_id=? ORDER BY label IS NOT NULL AND used_granules > 0 DESC,"
				" CASE WHEN label IS NULL THEN used_granules ELSE seq END DESC, seq LIMIT 1");
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, r->id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return;
	}
	uint64_t nframes = (uint64_t)sqlite3_column_int64(st, 0), granule = (uint64_t)sqlite3_column_int64(st, 1);
	if (!nframes || !granule || granule > PAGE_SIZE || nframes > (1ull << 32)) {
		sqlite3_finalize(st);
		return;
	}
	uint64_t per = PAGE_SIZE / granule;
	char label[80] = "";
	if (sqlite3_column_text(st, 4))
		snprintf(label, sizeof(label), "%.60s ", (const char *)sqlite3_column_text(st, 4));
	plot_sanitize(label);
	long long events = sqlite3_column_int64(st, 5);
	/* held[f]: 1 when the frame is the back end's (not free, reserved or a trace page) */
	uint8_t *held = xcalloc(nframes, 1);
	const uint8_t *p = sqlite3_column_blob(st, 2), *end = p + sqlite3_column_bytes(st, 2);
	uint64_t pos = 0, nheld = 0, first = UINT64_MAX, last = 0;
	while (p && p < end && pos < nframes) {
		uint64_t code, id, n;
		p = rle_varint(p, end, &code);
		if (p) p = rle_varint(p, end, &id);
		if (p) p = rle_varint(p, end, &n);
		if (!p)
			break;
		n = MIN(n, nframes - pos);
		if (code >= SNAP_OWNER_BASE && code != SNAP_OWNER_BASE + OWNER_PAGE && code != SNAP_OWNER_BASE + OWNER_NONE) {
			memset(held + pos, 1, n);
			nheld += n;
			first = MIN(first, pos);
			last = pos + n - 1;
		}
		pos += n;
	}
	if (!nheld) {
		sqlite3_finalize(st);
		free(held);
		return;
	}
	/* used granules per frame, from the bitmap runs */
	uint16_t *used = xcalloc(nframes, sizeof(*used));
	uint8_t *bits = nheld <= PLOT_BITMAP_PAGES ? xcalloc(nframes * per / 8 + 1, 1) : NULL;
	p = sqlite3_column_blob(st, 3);
	end = p + sqlite3_column_bytes(st, 3);
	pos = 0;
	for (int on = 0; p && p < end; on ^= 1) {
		uint64_t n;
		p = rle_varint(p, end, &n);
		if (!p || pos + n > nframes * per)
			break;
		if (on) {
			/* per-frame counts a frame at a time (a full machine is
			 * billions of granules) */
			for (uint64_t g = pos; g < pos + n;) {
				uint64_t fr = g / per, stop = MIN(pos + n, (fr + 1) * per);
				used[fr] = (uint16_t)(used[fr] + (stop - g));
				g = stop;
			}
			if (bits)
				for (uint64_t g = pos; g < pos + n; g++)
					bits[g / 8] |= (uint8_t)(1u << (g % 8));
		}
		pos += n;
	}
	sqlite3_finalize(st);

	char name[64], path[PATH_MAX], t[256], vars[3 * PATH_MAX], base[64];
	snprintf(name, sizeof(name), "run%lld_bitmap.tsv", (long long)r->id);
	FILE *f = tsv_open(pc, name, path, sizeof(path));
	if (!f)
		goto out;
	run_title(r, t, sizeof(t));
	snprintf(base, sizeof(base), "run%lld_bitmap", (long long)r->id);
	if (bits) {
		/* matrix: row = granule offset, column = held page (pfn order) */
		for (uint64_t g = 0; g < per; g++) {
			bool firstcol = true;
			for (uint64_t fr = first; fr <= last; fr++) {
				if (!held[fr])
					continue;
				uint64_t gi = fr * per + g;
				fprintf(f, firstcol ? "%d" : " %d", (bits[gi / 8] >> (gi % 8)) & 1);
				firstcol = false;
			}
			fputc('\n', f);
		}
		fclose(f);
		snprintf(vars, sizeof(vars), "data='%s'; mode='granule'; ttl='%s'; npages=%llu; granule=%llu; "
			 "sub='snapshot %sat event %lld: %llu pages, %llu B granules'",
			 path, t, (unsigned long long)nheld, (unsigned long long)granule, label, events,
			 (unsigned long long)nheld, (unsigned long long)granule);
	} else {
		/* heat map over [first, last]: cells of k frames, value = used
		 * fraction of the held frames in the cell, NaN when none held */
		uint64_t span = last - first + 1;
		uint64_t k = DIV_ROUND_UP(span, PLOT_HEAT_CELLS);
		uint64_t cells = DIV_ROUND_UP(span, k);
		uint64_t cols = (uint64_t)ceil(sqrt((double)cells * 2));
		if (cols > cells)
			cols = cells;
		uint64_t rows = DIV_ROUND_UP(cells, cols);
		for (uint64_t y = 0; y < rows; y++) {
			for (uint64_t xc = 0; xc < cols; xc++) {
				uint64_t c = y * cols + xc, h = 0, u = 0;
				for (uint64_t fr = first + c * k; fr < first + (c + 1) * k && fr <= last; fr++)
					if (held[fr]) {
						h++;
						u += used[fr];
					}
				if (h)
					fprintf(f, xc ? " %.4f" : "%.4f", (double)u / (double)(h * per));
				else
					fprintf(f, xc ? " NaN" : "NaN");
			}
			fputc('\n', f);
		}
		fclose(f);
		snprintf(vars, sizeof(vars), "data='%s'; mode='heat'; ttl='%s'; cols=%llu; rows=%llu; "
			 "sub='snapshot %sat event %lld: %llu pages, %llu per cell'; "
			 "base_mib=%.6f; row_mib=%.6f; cell_kib=%llu",
			 path, t, (unsigned long long)cols, (unsigned long long)rows, label, events,
			 (unsigned long long)nheld, (unsigned long long)k, (double)first * PAGE_SIZE / MIB,
			 (double)(cols * k) * PAGE_SIZE / MIB, (unsigned long long)(k * PAGE_SIZE / KIB));
	}
	plot_draw(pc, "bitmap.gp", base, vars);
	fprintf(pc->html, "<figure><img src=\"%s.png\" width=\"525\"><figcaption>Page bitmap: %s</figcaption></figure>\n",
		base, t);
out:
	free(bits);
	free(used);
	free(held);
}

/* ---- groups: runs on one input ---- */

static const char *const headline_keys[] = {
	"peak_footprint_bytes", "peak_live_bytes", "jw3_overhead_at_max_footprint",
	"jw4_max_footprint_over_max_live", "mean_internal_frag", "failed_allocs", "pt_pages",
};

/* One colour per back end, the same in every figure: its place in the
 * registry (Okabe & Ito's colour-blind-safe set). */
static const char *backend_colour(const char *name)
{
	static const char *const c[] = { "#0072B2", "#D55E00", "#009E73", "#CC79A7",
					 "#E69F00", "#56B4E9", "#000000", "#999999" };
	for (size_t i = 0; allocator_registry[i]; i++)
		if (!strcmp(allocator_registry[i]->name, name))
			return c[i % ARRAY_SIZE(c)];
	return c[ARRAY_SIZE(c) - 1];
}

static void plot_group(struct plot_ctx *pc, const struct run_info *runs, int nruns, int g)
{
	int idx[PLOT_MAX_RUNS], n = 0;
	for (int i = 0; i < nruns; i++)
		if (runs[i].group == g)
			idx[n++] = i;
	if (!n)
		return;
	/* rank by peak footprint (insertion sort; ties by back-end name) */
	double fp[PLOT_MAX_RUNS];
	for (int i = 0; i < n; i++)
		fp[i] = run_stat(pc->db, runs[idx[i]].id, "peak_footprint_bytes", INFINITY);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && (fp[j] < fp[j - 1] ||
			(fp[j] == fp[j - 1] && strcmp(runs[idx[j]].alloc, runs[idx[j - 1]].alloc) < 0)); j--) {
			double tf = fp[j];
			int ti = idx[j];
			fp[j] = fp[j - 1];
			idx[j] = idx[j - 1];
			fp[j - 1] = tf;
			idx[j - 1] = ti;
		}
	const struct run_info *r0 = &runs[idx[0]];
	struct xaxis x;
	xaxis_pick(pc->db, runs, idx, n, &x);
	char files[8192] = "", labels[2048] = "", colours[2048] = "", path[PATH_MAX], base[64], vars[16384], t[256];
	size_t fl = 0, ll = 0, cl = 0;
	int with_data = 0;
	for (int i = 0; i < n; i++) {
		const struct run_info *r = &runs[idx[i]];
		if (!write_timeseries(pc, r))
			continue;
		with_data++;
		fl += (size_t)snprintf(files + fl, sizeof(files) - MIN(fl, sizeof(files)), "%s%s/run%lld_ts.tsv",
				       fl ? " " : "", pc->out, (long long)r->id);
		ll += (size_t)snprintf(labels + ll, sizeof(labels) - MIN(ll, sizeof(labels)), "%s%s", ll ? " " : "", r->alloc);
		cl += (size_t)snprintf(colours + cl, sizeof(colours) - MIN(cl, sizeof(colours)), "%s%s", cl ? " " : "",
				       backend_colour(r->alloc));
	}
	fprintf(pc->html, "<h2>%s (seed %llu%s%s)</h2>\n", r0->name, (unsigned long long)r0->seed,
		r0->study[0] ? ", study " : "", r0->study);
	/* headline table */
	fprintf(pc->html, "<table><tr><th>back end</th><th>run</th><th>peak footprint (MiB)</th><th>peak live (MiB)</th>"
		"<th>J&amp;W #3</th><th>J&amp;W #4</th><th>mean internal frag.</th><th>failed allocs</th>"
		"<th>page-table pages</th></tr>\n");
	snprintf(path, sizeof(path), "%s/grp%d_bars.tsv", pc->out, g);
	FILE *bars = fopen(path, "w");
	if (bars)
		fprintf(bars, "# allocator\tpeak_footprint_MiB\tjw3\tjw4\tfailed_allocs\tmean_internal_frag\tcolour\n");
	for (int i = 0; i < n; i++) {
		const struct run_info *r = &runs[idx[i]];
		double v[ARRAY_SIZE(headline_keys)];
		for (size_t k = 0; k < ARRAY_SIZE(headline_keys); k++)
			v[k] = run_stat(pc->db, r->id, headline_keys[k], NAN);
		fprintf(pc->html, "<tr><td>%s</td><td>%lld</td><td>%.2f</td><td>%.2f</td><td>%.3f</td><td>%.3f</td>"
			"<td>%.3f</td><td>%.0f</td><td>%.0f</td></tr>\n", r->alloc, (long long)r->id, v[0] / MIB,
			v[1] / MIB, v[2], v[3], v[4], v[5], v[6]);
		if (bars)
			fprintf(bars, "%s\t%.6f\t%.6f\t%.6f\t%.0f\t%.6f\t%ld\n", r->alloc, v[0] / MIB,
				isnan(v[2]) ? 0 : v[2], isnan(v[3]) ? 0 : v[3], isnan(v[5]) ? 0 : v[5],
				isnan(v[4]) ? 0 : v[4], strtol(backend_colour(r->alloc) + 1, NULL, 16));
	}
	fprintf(pc->html, "</table>\n");
	if (bars)
		fclose(bars);
	snprintf(t, sizeof(t), "%s, seed %llu", r0->name, (unsigned long long)r0->seed);
	if (with_data) {
		snprintf(base, sizeof(base), "grp%d_footprint", g);
		snprintf(vars, sizeof(vars), "files='%s'; labels='%s'; colours='%s'; ttl='Footprint and live bytes: %s'; "
			 "xcol=%d; xscale=%g; xlab='%s'", files, labels, colours, t, x.col, x.scale, x.label);
		plot_draw(pc, "footprint.gp", base, vars);
		fprintf(pc->html, "<figure><img src=\"%s.png\" width=\"525\"><figcaption>Footprint F(t) per back end and "
			"live requested bytes R(t)</figcaption></figure>\n", base);
		snprintf(base, sizeof(base), "grp%d_frag", g);
		snprintf(vars, sizeof(vars), "files='%s'; labels='%s'; colours='%s'; ttl='%s'; xcol=%d; xscale=%g; xlab='%s'",
			 files, labels, colours, t, x.col, x.scale, x.label);
		plot_draw(pc, "frag.gp", base, vars);
		fprintf(pc->html, "<figure><img src=\"%s.png\" width=\"525\"><figcaption>Internal fragmentation (A-R)/A, "
			"total overhead (F-R)/F and hostage pages (pages of slabs at most 1/8 used) over time"
			"</figcaption></figure>\n", base);
	}
	if (bars) {
		snprintf(base, sizeof(base), "grp%d_bars", g);
		snprintf(vars, sizeof(vars), "data='%s'; ttl='%s'", path, t);
		plot_draw(pc, "bars.gp", base, vars);
		fprintf(pc->html, "<figure><img src=\"%s.png\" width=\"525\"><figcaption>Back ends compared</figcaption></figure>\n",
			base);
	}
	for (int i = 0; i < n; i++) {
		const struct run_info *r = &runs[idx[i]];
		fprintf(pc->html, "<h3>%s</h3>\n", r->alloc);
		plot_buddy(pc, r, &x);
		plot_caches(pc, r);
		plot_bitmap(pc, r);
	}
}

static int runs_select(sqlite3 *db, const int64_t *ids, int nids, const char *study,
		       struct run_info *runs)
{
	sqlite3_stmt *st = prep(db, "SELECT id, allocator, coalesce(input, ''), seed, coalesce(study, ''), mem_bytes"
				" FROM runs WHERE status='ok' AND (?1 IS NULL OR study=?1) ORDER BY id");
	if (!st)
		return -1;
	if (study)
		sqlite3_bind_text(st, 1, study, -1, SQLITE_STATIC);
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW && n < PLOT_MAX_RUNS) {
		int64_t id = sqlite3_column_int64(st, 0);
		bool want = nids == 0;
		for (int i = 0; i < nids; i++)
			want |= ids[i] == id;
		if (!want)
			continue;
		struct run_info *r = &runs[n++];
		memset(r, 0, sizeof(*r));
		r->id = id;
		snprintf(r->alloc, sizeof(r->alloc), "%s", (const char *)sqlite3_column_text(st, 1));
		plot_sanitize(r->alloc);
		snprintf(r->input, sizeof(r->input), "%s", (const char *)sqlite3_column_text(st, 2));
		input_name(r->input, r->name, sizeof(r->name));
		r->seed = (uint64_t)sqlite3_column_int64(st, 3);
		snprintf(r->study, sizeof(r->study), "%s", (const char *)sqlite3_column_text(st, 4));
		plot_sanitize(r->study);
		r->mem_bytes = (uint64_t)sqlite3_column_int64(st, 5);
		r->group = -1;
	}
	sqlite3_finalize(st);
	/* group by (input, study, seed, memory) in order of first appearance */
	int groups = 0;
	for (int i = 0; i < n; i++) {
		if (runs[i].group >= 0)
			continue;
		runs[i].group = groups;
		for (int j = i + 1; j < n; j++)
			if (runs[j].group < 0 && !strcmp(runs[j].input, runs[i].input) &&
			    !strcmp(runs[j].study, runs[i].study) && runs[j].seed == runs[i].seed &&
			    runs[j].mem_bytes == runs[i].mem_bytes)
				runs[j].group = groups;
		groups++;
	}
	return n;
}

struct plot_opts {
	const char *db, *out, *study;
	int64_t ids[PLOT_MAX_RUNS];
	int nids;
};

static int plot_main(const struct plot_opts *o)
{
	sqlite3 *db = NULL;
	if (access(o->db, R_OK) != 0) {
		fprintf(stderr, "kmemsim plot: %s: no such database\n", o->db);
		return 2;
	}
	results_reap(o->db);   /* runs whose process died: abandoned, not running */
	if (sqlite3_open_v2(o->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "kmemsim plot: %s: %s\n", o->db, sqlite3_errmsg(db));
		sqlite3_close(db);
		return 2;
	}
	sqlite3_busy_timeout(db, 60000);
	static struct run_info runs[PLOT_MAX_RUNS];
	int n = runs_select(db, o->ids, o->nids, o->study, runs);
	if (n <= 0) {
		fprintf(stderr, "kmemsim plot: %s: no finished runs%s%s\n", o->db, o->study ? " in study " : "",
			o->study ? o->study : "");
		sqlite3_close(db);
		return 1;
	}
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "%s", o->out);
	for (char *p = cmd + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(cmd, 0777);
			*p = '/';
		}
	mkdir(o->out, 0777);
	struct plot_ctx pc = { .db = db, .out = o->out, .gpdir = plots_dir() };
	pc.have_gnuplot = system("gnuplot --version >/dev/null 2>&1") == 0;
	if (!pc.have_gnuplot)
		fprintf(stderr, "kmemsim plot: gnuplot not found: writing data files only (apt-get install gnuplot-nox)\n");
	else
		pc.pngterm = gnuplot_has("pngcairo") ? "pngcairo" : "png";
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/gnuplot.log", o->out);
	unlink(path);
	snprintf(path, sizeof(path), "%s/index.html", o->out);
	pc.html = fopen(path, "w");
	if (!pc.html) {
		fprintf(stderr, "kmemsim plot: cannot write %s\n", path);
		sqlite3_close(db);
		return 1;
	}
	fprintf(pc.html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kmemsim results</title>\n"
		"<style>body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse}"
		"td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}td:first-child{text-align:left}"
		"figure{display:inline-block;margin:6px;vertical-align:top}figcaption{font-size:90%%;max-width:525px}"
		"</style></head><body>\n<h1>kmemsim results</h1>\n<p>Database %s, %d runs. Footprint F: pages held by "
		"the back end &times; 4096 + its metadata + page-table pages; R: live requested bytes; A: live bytes "
		"as allocated. J&amp;W #3: (F&minus;R)/R at peak F; #4: (max F &minus; max R)/max R.</p>\n", o->db, n);
	/* runs that did not finish: say so, never hide them */
	sqlite3_stmt *bad = prep(db, "SELECT id, allocator, coalesce(input, ''), status, coalesce(message, '')"
				 " FROM runs WHERE status <> 'ok' AND (?1 IS NULL OR study=?1) ORDER BY id");
	if (bad) {
		if (o->study)
			sqlite3_bind_text(bad, 1, o->study, -1, SQLITE_STATIC);
		bool head = false;
		while (sqlite3_step(bad) == SQLITE_ROW) {
			if (!head)
				fprintf(pc.html, "<p><b>Runs that did not finish</b> (not in the figures):</p><ul>\n");
			head = true;
			char msg[4][256];
			for (int k = 0; k < 4; k++) {
				snprintf(msg[k], sizeof(msg[k]), "%s", (const char *)sqlite3_column_text(bad, k + 1));
				for (char *q = msg[k]; *q; q++)
					if (*q == '<' || *q == '>' || *q == '&')
						*q = '_';
			}
			fprintf(pc.html, "<li>run %lld: %s on %s: %s%s%s</li>\n", (long long)sqlite3_column_int64(bad, 0),
				msg[0], msg[1], msg[2], msg[3][0] ? ": " : " (the process died)", msg[3]);
		}
		if (head)
			fprintf(pc.html, "</ul>\n");
		sqlite3_finalize(bad);
	}
	int groups = 0;
	for (int i = 0; i < n; i++)
		groups = MAX(groups, runs[i].group + 1);
	/* overview: one row per input, one column per back end */
	const char *names[64];
	int nnames = 0;
	for (size_t b = 0; allocator_registry[b] && nnames < 64; b++)
		for (int i = 0; i < n; i++)
			if (!strcmp(runs[i].alloc, allocator_registry[b]->name)) {
				names[nnames++] = allocator_registry[b]->name;
				break;
			}
	fprintf(pc.html, "<h2>Overview</h2>\n<p>Peak footprint in MiB, and in brackets Johnstone &amp; Wilson's #4, "
		"(max F &minus; max R)/max R; the smallest footprint of each input in bold.</p>\n<table><tr><th>input</th>");
	for (int k = 0; k < nnames; k++)
		fprintf(pc.html, "<th>%s</th>", names[k]);
	fprintf(pc.html, "</tr>\n");
	for (int g = 0; g < groups; g++) {
		double v[64], best = INFINITY;
		const struct run_info *r0 = NULL;
		for (int k = 0; k < nnames; k++) {
			v[k] = NAN;
			for (int i = 0; i < n; i++)
				if (runs[i].group == g && !strcmp(runs[i].alloc, names[k])) {
					v[k] = run_stat(db, runs[i].id, "peak_footprint_bytes", NAN) / MIB;
					r0 = &runs[i];
				}
			if (v[k] < best)
				best = v[k];
		}
		if (!r0)
			continue;
		fprintf(pc.html, "<tr><td>%s</td>", r0->name);
		for (int k = 0; k < nnames; k++) {
			double jw = NAN;
			for (int i = 0; i < n; i++)
				if (runs[i].group == g && !strcmp(runs[i].alloc, names[k]))
					jw = run_stat(db, runs[i].id, "jw4_max_footprint_over_max_live", NAN);
			if (isnan(v[k]))
				fprintf(pc.html, "<td>&ndash;</td>");
			else
				fprintf(pc.html, "<td>%s%.2f%s (%.2f)</td>", v[k] == best ? "<b>" : "", v[k],
					v[k] == best ? "</b>" : "", jw);
		}
		fprintf(pc.html, "</tr>\n");
	}
	fprintf(pc.html, "</table>\n");
	for (int g = 0; g < groups; g++) {
		for (int i = 0; i < n; i++)
			if (runs[i].group == g) {
				fprintf(stderr, "kmemsim plot: group %d/%d: %s (seed %llu)\n", g + 1, groups,
					runs[i].name, (unsigned long long)runs[i].seed);
				break;
			}
		plot_group(&pc, runs, n, g);
	}
	fprintf(pc.html, "</body></html>\n");
	fclose(pc.html);
	sqlite3_close(db);
	fprintf(stderr, "kmemsim plot: %u figures (PNG and SVG) in %s, index.html%s\n", pc.figures, o->out,
		pc.failures ? " (some failed)" : "");
	return pc.failures ? 1 : 0;
}

int cmd_plot(int argc, char **argv)
{
	struct plot_opts o = { .db = "results.db", .out = "plots/out" };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--db") && v) {
			o.db = v;
			i++;
		} else if (!strcmp(a, "--out") && v) {
			o.out = v;
			i++;
		} else if (!strcmp(a, "--study") && v) {
			o.study = v;
			i++;
		} else if (!strcmp(a, "--run") && v) {
			char *end;
			long long id = strtoll(v, &end, 10);
			if (*end || id <= 0 || o.nids == PLOT_MAX_RUNS) {
				fprintf(stderr, "kmemsim plot: --run needs a run id (got '%s')\n", v);
				return 2;
			}
			o.ids[o.nids++] = id;
			i++;
		} else if (!strcmp(a, "--help")) {
			printf("usage: kmemsim plot [--db results.db] [--run ID ...] [--study S] [--out plots/out]\n");
			return 0;
		} else {
			fprintf(stderr, "kmemsim plot: unknown option '%s'\n"
				"usage: kmemsim plot [--db results.db] [--run ID ...] [--study S] [--out plots/out]\n", a);
			return 2;
		}
	}
	return plot_main(&o);
}

/* ---- compare ---- */

struct child { pid_t pid; const char *name; double start; };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cmd_compare(int argc, char **argv)
{
	const char *db = "results.db", *study = NULL, *out = "plots/out";
	bool plot = true;
	char **pass = xcalloc((size_t)argc + 16, sizeof(char *));
	int npass = 0;
	const char *input = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--db") && v) {
			db = argv[++i];
		} else if (!strcmp(a, "--study") && v) {
			study = argv[++i];
		} else if (!strcmp(a, "--out") && v) {
			out = argv[++i];
		} else if (!strcmp(a, "--no-plot")) {
			plot = false;
		} else if (!strcmp(a, "--no-db") || !strcmp(a, "--allocator") || !strcmp(a, "-a") ||
			   !strncmp(a, "--allocator=", 12)) {
			fprintf(stderr, "kmemsim compare: %s makes no sense here: compare runs every back end into a database\n", a);
			free(pass);
			return 2;
		} else if (!strcmp(a, "--help")) {
			printf("usage: kmemsim compare (--trace FILE | SCRIPT.lua) [run options] [--db FILE] [--study LABEL]\n"
			       "                       [--out DIR] [--no-plot]\n");
			free(pass);
			return 0;
		} else {
			/* the input names the study: --trace FILE, --trace=FILE or a
			 * workload script (other values, like --mem's, are not it) */
			size_t al = strlen(a);
			if (!strcmp(a, "--trace") && v)
				input = v;
			else if (!strncmp(a, "--trace=", 8))
				input = a + 8;
			else if (a[0] != '-' && al > 4 && !strcmp(a + al - 4, ".lua") && !input)
				input = a;
			pass[npass++] = argv[i];
		}
	}
	if (!input) {
		fprintf(stderr, "kmemsim compare: needs an input: --trace FILE or SCRIPT.lua\n");
		free(pass);
		return 2;
	}
	char label[256];
	if (!study) {
		char nm[128];
		input_name(input, nm, sizeof(nm));
		snprintf(label, sizeof(label), "compare-%s-%lld-%d", nm, (long long)time(NULL), (int)getpid());
		study = label;
	}
	/* Create the database and its schema (and WAL mode) once, before the
	 * children race to do it. */
	char err[512];
	struct results *res = results_open(db, err, sizeof(err));
	if (!res) {
		fprintf(stderr, "kmemsim compare: %s\n", err);
		free(pass);
		return 2;
	}
	results_close(res);
	char exe[PATH_MAX];
	ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (el <= 0) {
		fprintf(stderr, "kmemsim compare: cannot find my own executable\n");
		free(pass);
		return 2;
	}
	exe[el] = '\0';
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int slots = ncpu > 0 ? (int)ncpu : 1;
	size_t nb = 0;
	while (allocator_registry[nb])
		nb++;
	struct child *kids = xcalloc(nb, sizeof(*kids));
	int running = 0, failed = 0;
	size_t next = 0, done = 0;
	fprintf(stderr, "kmemsim compare: %zu back ends on %s, %d at a time, study %s\n", nb, input, slots, study);
	while (done < nb) {
		while (next < nb && running < slots) {
			const char *name = allocator_registry[next]->name;
			char **av = xcalloc((size_t)npass + 16, sizeof(char *));
			int k = 0;
			av[k++] = exe;
			av[k++] = (char *)"run";
			av[k++] = (char *)"--allocator";
			av[k++] = (char *)name;
			av[k++] = (char *)"--study";
			av[k++] = (char *)study;
			av[k++] = (char *)"--db";
			av[k++] = (char *)db;
			av[k++] = (char *)"--quiet";
			av[k++] = (char *)"--no-progress";
			for (int i = 0; i < npass; i++)
				av[k++] = pass[i];
			av[k] = NULL;
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0) {
				execv(exe, av);
				_exit(127);
			}
			free(av);
			if (pid < 0) {
				fprintf(stderr, "kmemsim compare: %s: cannot fork: %s\n", name, strerror(errno));
				failed++;
				done++;
				next++;
				continue;
			}
			kids[next] = (struct child){ pid, name, now_s() };
			running++;
			next++;
		}
		int status;
		pid_t pid = wait(&status);
		if (pid < 0)
			break;
		for (size_t i = 0; i < next; i++)
			if (kids[i].pid == pid) {
				bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
				fprintf(stderr, "kmemsim compare: %-6s %s (%.1f s)\n", kids[i].name,
					ok ? "done" : "FAILED", now_s() - kids[i].start);
				failed += !ok;
				kids[i].pid = 0;
				running--;
				done++;
			}
	}
	free(kids);
	free(pass);

	/* ranked table */
	results_reap(db);
	sqlite3 *sdb = NULL;
	if (sqlite3_open_v2(db, &sdb, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "kmemsim compare: %s: %s\n", db, sqlite3_errmsg(sdb));
		sqlite3_close(sdb);
		return 1;
	}
	sqlite3_busy_timeout(sdb, 60000);
	static struct run_info runs[PLOT_MAX_RUNS];
	int n = runs_select(sdb, NULL, 0, study, runs);
	double fp[PLOT_MAX_RUNS];
	int order[PLOT_MAX_RUNS];
	for (int i = 0; i < n; i++) {
		fp[i] = run_stat(sdb, runs[i].id, "peak_footprint_bytes", INFINITY);
		order[i] = i;
	}
	for (int i = 1; i < n; i++)   /* insertion sort by peak footprint, then name */
		for (int j = i; j > 0 && (fp[order[j]] < fp[order[j - 1]] ||
			(fp[order[j]] == fp[order[j - 1]] && strcmp(runs[order[j]].alloc, runs[order[j - 1]].alloc) < 0)); j--) {
			int tmp = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	printf("%-4s %-7s %6s %12s %9s %9s %9s %10s %8s\n", "rank", "backend", "run", "peak_fp_MiB",
	       "jw3", "jw4", "int_frag", "failed", "pt_pages");
	for (int i = 0; i < n; i++) {
		const struct run_info *r = &runs[order[i]];
		printf("%-4d %-7s %6lld %12.3f %9.4f %9.4f %9.4f %10.0f %8.0f\n", i + 1, r->alloc, (long long)r->id,
		       fp[order[i]] / MIB, run_stat(sdb, r->id, "jw3_overhead_at_max_footprint", NAN),
		       run_stat(sdb, r->id, "jw4_max_footprint_over_max_live", NAN),
		       run_stat(sdb, r->id, "mean_internal_frag", NAN), run_stat(sdb, r->id, "failed_allocs", NAN),
		       run_stat(sdb, r->id, "pt_pages", NAN));
	}
	printf("(ranked by peak footprint; jw3 = (F-R)/R at peak F, jw4 = (max F - max R)/max R, "
	       "int_frag = mean (A-R)/A; study %s in %s)\n", study, db);
	sqlite3_close(sdb);
	if (failed)
		fprintf(stderr, "kmemsim compare: %d of %zu runs failed (rows kept, marked failed)\n", failed, nb);
	int prc = 0;
	if (plot && n > 0) {
		struct plot_opts o = { .db = db, .out = out, .study = study };
		prc = plot_main(&o);
	}
	return failed || n == 0 ? 1 : prc;
}
