/*
 * plot.c - `kmemsim plot`: the figure driver. It reads results.db
 * (runs.c) and draws with gnuplot. For each selected run it writes
 * tab-separated data files into the output directory and runs the
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
 *   grp<N>_bars       peak footprint, J&W #3 and #4, failed allocations,
 *                     back ends in ranked order (compare.c's rule), those
 *                     that failed allocations hatched, undefined values
 *                     written NaN and labelled n/a, never drawn as 0
 * and an index.html (report.c) that shows every figure with a table of
 * headline numbers per group. Data files stay beside the figures so a
 * figure can be checked against the database (tests/t_plot.sh does).
 * Strings from the database are sanitized before they reach gnuplot
 * (plot_sanitize: no quote, backslash, newline or macro '@').
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "compare.h"
#include "plot.h"
#include "report.h"
#include "runs.h"
#include "../allocators/allocator.h"

#define PLOT_BITMAP_PAGES  2048   /* granule picture up to this many held pages */
#define PLOT_HEAT_CELLS    65536  /* heat map cells at most (256 x 256) */
#define PLOT_MAX_SAMPLES   400    /* time points in heat maps */
#define PLOT_CACHES        12     /* caches in the occupancy figure */

struct plot_ctx {
	sqlite3 *db;
	const char *out, *gpdir;
	bool have_gnuplot;
	const char *pngterm;
	FILE *html;
	unsigned figures, failures;
};

/* ---- gnuplot ---- */

/* Make s safe inside a gnuplot '...' string and a TSV field. */
static void plot_sanitize(char *s)
{
	for (; *s; s++)
		if (*s == '\'' || *s == '"' || *s == '\\' || *s == '\n' || *s == '@' || *s == '\t' || *s == '\r')
			*s = '_';
}

/* src as one word of a gnuplot list or a TSV field: sanitized, spaces
 * made '_', never empty. */
static void plot_word(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	if (!src[0])
		src = "?";
	for (; src[i] && i + 1 < n; i++)
		dst[i] = src[i] == ' ' ? '_' : src[i];
	dst[i] = '\0';
	plot_sanitize(dst);
}

/* plots/ beside the executable (./kmemsim, build/test/kmemsim), or
 * $KMEMSIM_PLOTS, or ./plots. */
static const char *plot_scripts_dir(void)
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

static bool plot_gnuplot_has(const char *term)
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

static FILE *plot_tsv_open(struct plot_ctx *pc, const char *name, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", pc->out, name);
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "kmemsim plot: cannot write %s: %s\n", path, strerror(errno));
	return f;
}

/* ---- per-run figures ---- */

/* "input, back end, seed S": as stored into t (for index.html) and
 * sanitized into gt (for gnuplot). */
static void plot_run_title(const struct runs_run *r, char *t, char *gt, size_t n)
{
	snprintf(t, n, "%s, %s, seed %llu", r->name, r->alloc, (unsigned long long)r->seed);
	snprintf(gt, n, "%s", t);
	plot_sanitize(gt);
}

/* x axis of a run's time series: simulated seconds when time moved,
 * else events. */
struct plot_xaxis { int col; double scale; char label[64]; };

static void plot_xaxis_pick(sqlite3 *db, const struct compare_entry *e, int n, struct plot_xaxis *x)
{
	int64_t tmax = 0, emax = 0;
	for (int i = 0; i < n; i++) {
		int64_t t, ev;
		runs_series_extent(db, e[i].run->id, &t, &ev);
		tmax = MAX(tmax, t);
		emax = MAX(emax, ev);
	}
	if (tmax > 0) {
		x->col = 1;
		x->scale = 1.0;
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

/* run<ID>_ts.tsv: time_s events R_MiB A_MiB F_MiB internal overhead hostage failed */
static bool plot_timeseries_write(struct plot_ctx *pc, const struct runs_run *r)
{
	char name[64], path[PATH_MAX];
	snprintf(name, sizeof(name), "run%lld_ts.tsv", (long long)r->id);
	FILE *f = plot_tsv_open(pc, name, path, sizeof(path));
	if (!f)
		return false;
	struct runs_sample *s;
	size_t rows = runs_series_read(pc->db, r->id, &s);
	fprintf(f, "# time_s\tevents\tR_MiB\tA_MiB\tF_MiB\tinternal_frag\ttotal_overhead\thostage_pages\tfailed_allocs\n");
	/* undefined ratios (A or F = 0) are NaN: gnuplot leaves a gap */
	for (size_t i = 0; i < rows; i++)
		fprintf(f, "%.9f\t%lld\t%.9f\t%.9f\t%.9f\t%.6f\t%.6f\t%lld\t%lld\n",
			(double)s[i].time_ns * 1e-9, (long long)s[i].events,
			(double)s[i].requested / MIB, (double)s[i].allocated / MIB,
			(double)s[i].footprint / MIB, s[i].internal_frag, s[i].total_overhead,
			(long long)s[i].hostage_pages, (long long)s[i].failed_allocs);
	free(s);
	fclose(f);
	return rows > 0;
}

static void plot_buddy(struct plot_ctx *pc, const struct runs_run *r, const struct plot_xaxis *x)
{
	char zone[16], name[64], path[PATH_MAX];
	runs_buddy_main_zone(pc->db, r->id, zone, sizeof(zone));
	plot_sanitize(zone);
	int64_t nseq = runs_buddy_samples(pc->db, r->id);
	if (nseq < 2)
		return;
	int64_t stride = (nseq + PLOT_MAX_SAMPLES - 1) / PLOT_MAX_SAMPLES;
	struct runs_buddy_row *b;
	size_t n = runs_buddy_read(pc->db, r->id, zone, stride, &b);
	/* Collect, then write with each cell's width (to the next sample). */
	struct cell { double x; int ord; double nfree, unusable, fi; } *c = xmalloc((n ? n : 1) * sizeof(*c));
	int maxord = 0;
	for (size_t i = 0; i < n; i++) {
		double xv = x->col == 1 ? (double)b[i].time_ns * 1e-9 : (double)b[i].events;
		c[i] = (struct cell){ xv * x->scale, b[i].ord, b[i].free_blocks, b[i].unusable, b[i].fragindex };
		maxord = MAX(maxord, c[i].ord);
	}
	free(b);
	snprintf(name, sizeof(name), "run%lld_buddy.tsv", (long long)r->id);
	FILE *f = plot_tsv_open(pc, name, path, sizeof(path));
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
	char t[256], gt[256], vars[3 * PATH_MAX], base[64];
	plot_run_title(r, t, gt, sizeof(t));
	snprintf(base, sizeof(base), "run%lld_buddy", (long long)r->id);
	snprintf(vars, sizeof(vars), "data='%s'; ttl='%s (zone %s)'; xlab='%s'; maxord=%d",
		 path, gt, zone, x->label, maxord);
	plot_draw(pc, "buddy.gp", base, vars);
	report_figure(pc->html, base, "Free blocks per order and unusable free space index: ", t);
}

/* Per-cache occupancy at the cache sample nearest before peak footprint. */
static void plot_caches(struct plot_ctx *pc, const struct runs_run *r)
{
	bool at_peak;
	int64_t seq = runs_cache_seq(pc->db, r->id, &at_peak);
	const char *when = at_peak ? "at peak footprint" : "first sample";
	if (seq < 0)
		return;
	struct runs_cache_row rows[PLOT_CACHES];
	int n = runs_cache_read(pc->db, r->id, seq, rows, PLOT_CACHES);
	char name[64], path[PATH_MAX];
	snprintf(name, sizeof(name), "run%lld_caches.tsv", (long long)r->id);
	FILE *f = plot_tsv_open(pc, name, path, sizeof(path));
	if (!f)
		return;
	fprintf(f, "# cache\tused_KiB\tfree_slots_KiB\tslab_waste_KiB\tpages\n");
	for (int i = 0; i < n; i++) {
		char cn[sizeof(rows[i].name)];
		plot_word(cn, sizeof(cn), rows[i].name);
		fprintf(f, "%s\t%.3f\t%.3f\t%.3f\t%lld\n", cn, rows[i].used_bytes / 1024,
			rows[i].free_slot_bytes / 1024, rows[i].slab_waste_bytes / 1024, (long long)rows[i].pages);
	}
	fclose(f);
	if (!n)
		return;
	char t[256], gt[256], vars[3 * PATH_MAX], base[64], cap[64];
	plot_run_title(r, t, gt, sizeof(t));
	snprintf(base, sizeof(base), "run%lld_caches", (long long)r->id);
	snprintf(vars, sizeof(vars), "data='%s'; ttl='%s, %s'", path, gt, when);
	plot_draw(pc, "caches.gp", base, vars);
	snprintf(cap, sizeof(cap), "Largest caches %s: ", when);
	report_figure(pc->html, base, cap, t);
}

static void plot_bitmap(struct plot_ctx *pc, const struct runs_run *r)
{
	struct runs_snapshot sn;
	if (!runs_snapshot_read(pc->db, r->id, PLOT_BITMAP_PAGES, &sn))
		return;
	uint64_t per = sn.per_page, first = sn.first, last = sn.last;
	char label[80] = "";
	if (sn.has_label)
		snprintf(label, sizeof(label), "%s ", sn.label);
	plot_sanitize(label);
	char name[64], path[PATH_MAX], t[256], gt[256], vars[3 * PATH_MAX], base[64];
	snprintf(name, sizeof(name), "run%lld_bitmap.tsv", (long long)r->id);
	FILE *f = plot_tsv_open(pc, name, path, sizeof(path));
	if (!f)
		goto out;
	plot_run_title(r, t, gt, sizeof(t));
	snprintf(base, sizeof(base), "run%lld_bitmap", (long long)r->id);
	if (sn.bits) {
		/* matrix: row = granule offset, column = held page (pfn order) */
		for (uint64_t g = 0; g < per; g++) {
			bool firstcol = true;
			for (uint64_t fr = first; fr <= last; fr++) {
				if (!sn.held[fr])
					continue;
				uint64_t gi = fr * per + g;
				fprintf(f, firstcol ? "%d" : " %d", (sn.bits[gi / 8] >> (gi % 8)) & 1);
				firstcol = false;
			}
			fputc('\n', f);
		}
		fclose(f);
		snprintf(vars, sizeof(vars), "data='%s'; mode='granule'; ttl='%s'; npages=%llu; granule=%llu; "
			 "sub='snapshot %sat event %lld: %llu pages, %llu B granules'",
			 path, gt, (unsigned long long)sn.nheld, (unsigned long long)sn.granule, label, sn.events,
			 (unsigned long long)sn.nheld, (unsigned long long)sn.granule);
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
					if (sn.held[fr]) {
						h++;
						u += sn.used[fr];
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
			 path, gt, (unsigned long long)cols, (unsigned long long)rows, label, sn.events,
			 (unsigned long long)sn.nheld, (unsigned long long)k, (double)first * PAGE_SIZE / MIB,
			 (double)(cols * k) * PAGE_SIZE / MIB, (unsigned long long)(k * PAGE_SIZE / KIB));
	}
	plot_draw(pc, "bitmap.gp", base, vars);
	report_figure(pc->html, base, "Page bitmap: ", t);
out:
	runs_snapshot_release(&sn);
}

/* ---- groups: runs on one input ---- */

/* One colour per back end, the same in every figure: its place in the
 * registry (Okabe & Ito's colour-blind-safe set). */
static const char *plot_backend_colour(const char *name)
{
	static const char *const c[] = { "#0072B2", "#D55E00", "#009E73", "#CC79A7",
					 "#E69F00", "#56B4E9", "#000000", "#999999" };
	for (size_t i = 0; allocator_registry[i]; i++)
		if (!strcmp(allocator_registry[i]->name, name))
			return c[i % ARRAY_SIZE(c)];
	return c[ARRAY_SIZE(c) - 1];
}

/* grp<N>_bars.tsv, rows in ranked order: allocator peak_footprint_MiB jw3
 * jw4 failed_allocs mean_internal_frag colour failures served rank, an
 * undefined value written NaN (gnuplot: no bar, label n/a). */
static bool plot_bars_write(struct plot_ctx *pc, const struct compare_entry *e, int n, const char *path)
{
	static const char *const keys[] = {
		"peak_footprint_bytes", "jw3_overhead_at_max_footprint", "jw4_max_footprint_over_max_live",
		"failed_allocs", "mean_internal_frag",
	};
	static const double scale[] = { MIB, 1, 1, 1, 1 };
	static const int decimals[] = { 6, 6, 6, 0, 6 };
	FILE *bars = fopen(path, "w");
	if (!bars) {
		fprintf(stderr, "kmemsim plot: cannot write %s: %s\n", path, strerror(errno));
		return false;
	}
	fprintf(bars, "# allocator\tpeak_footprint_MiB\tjw3\tjw4\tfailed_allocs\tmean_internal_frag\tcolour"
		"\tfailures\tserved\trank\n");
	for (int i = 0; i < n; i++) {
		const struct runs_run *r = e[i].run;
		char name[sizeof(r->alloc)];
		plot_word(name, sizeof(name), r->alloc);
		fputs(name, bars);
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			double v = runs_stat(pc->db, r->id, keys[k], NAN) / scale[k];
			if (isnan(v))
				fputs("\tNaN", bars);
			else
				fprintf(bars, "\t%.*f", decimals[k], v);
		}
		double failed = runs_stat(pc->db, r->id, "failed_allocs", NAN);
		double page = runs_stat(pc->db, r->id, "page_failed", NAN);
		fprintf(bars, "\t%ld", strtol(plot_backend_colour(r->alloc) + 1, NULL, 16));
		if (isnan(failed) || isnan(page))
			fputs("\tNaN", bars);
		else
			fprintf(bars, "\t%.0f", failed + page);
		fprintf(bars, "\t%d\t%d\n", e[i].served, i + 1);
	}
	fclose(bars);
	return true;
}

static void plot_group(struct plot_ctx *pc, const struct runs_run *runs, int nruns, int g,
		       const struct compare_metric *m)
{
	static struct compare_entry e[RUNS_MAX];
	int n = compare_group_rank(pc->db, runs, nruns, g, m, e);
	if (!n)
		return;
	const struct runs_run *r0 = e[0].run;
	struct plot_xaxis x;
	plot_xaxis_pick(pc->db, e, n, &x);
	char files[8192] = "", labels[2048] = "", colours[2048] = "", path[PATH_MAX], base[64], vars[16384], t[256];
	size_t fl = 0, ll = 0, cl = 0;
	int with_data = 0;
	for (int i = 0; i < n; i++) {
		const struct runs_run *r = e[i].run;
		if (!plot_timeseries_write(pc, r))
			continue;
		with_data++;
		char name[sizeof(r->alloc)];
		plot_word(name, sizeof(name), r->alloc);
		fl += (size_t)snprintf(files + fl, sizeof(files) - MIN(fl, sizeof(files)), "%s%s/run%lld_ts.tsv",
				       fl ? " " : "", pc->out, (long long)r->id);
		ll += (size_t)snprintf(labels + ll, sizeof(labels) - MIN(ll, sizeof(labels)), "%s%s", ll ? " " : "", name);
		cl += (size_t)snprintf(colours + cl, sizeof(colours) - MIN(cl, sizeof(colours)), "%s%s", cl ? " " : "",
				       plot_backend_colour(r->alloc));
	}
	report_group_begin(pc->html, r0);
	report_group_table(pc->html, pc->db, e, n, m);
	snprintf(path, sizeof(path), "%s/grp%d_bars.tsv", pc->out, g);
	bool bars = plot_bars_write(pc, e, n, path);
	snprintf(t, sizeof(t), "%s, seed %llu", r0->name, (unsigned long long)r0->seed);
	plot_sanitize(t);
	if (with_data) {
		snprintf(base, sizeof(base), "grp%d_footprint", g);
		snprintf(vars, sizeof(vars), "files='%s'; labels='%s'; colours='%s'; ttl='Footprint and live bytes: %s'; "
			 "xcol=%d; xscale=%g; xlab='%s'", files, labels, colours, t, x.col, x.scale, x.label);
		plot_draw(pc, "footprint.gp", base, vars);
		report_figure(pc->html, base, "Footprint F(t) per back end and live requested bytes R(t)", NULL);
		snprintf(base, sizeof(base), "grp%d_frag", g);
		snprintf(vars, sizeof(vars), "files='%s'; labels='%s'; colours='%s'; ttl='%s'; xcol=%d; xscale=%g; xlab='%s'",
			 files, labels, colours, t, x.col, x.scale, x.label);
		plot_draw(pc, "frag.gp", base, vars);
		report_figure(pc->html, base, "Internal fragmentation (A-R)/A, total overhead (F-R)/F and hostage pages "
			      "(pages of slabs at most 1/8 used) over time", NULL);
	}
	if (bars) {
		char rankby[128];
		snprintf(rankby, sizeof(rankby), "%s", m->label);
		plot_sanitize(rankby);
		snprintf(base, sizeof(base), "grp%d_bars", g);
		snprintf(vars, sizeof(vars), "data='%s'; ttl='%s'; rankby='%s'", path, t, rankby);
		plot_draw(pc, "bars.gp", base, vars);
		report_figure(pc->html, base, "Back ends compared, in ranked order (hatched: failed allocations; "
			      "n/a: undefined)", NULL);
	}
	for (int i = 0; i < n; i++) {
		const struct runs_run *r = e[i].run;
		report_backend_begin(pc->html, r->alloc);
		plot_buddy(pc, r, &x);
		plot_caches(pc, r);
		plot_bitmap(pc, r);
	}
}

int plot_write(const struct plot_opts *o)
{
	if (access(o->db, R_OK) != 0) {
		fprintf(stderr, "kmemsim plot: %s: no such database\n", o->db);
		return 2;
	}
	char err[512];
	sqlite3 *db = runs_open(o->db, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "kmemsim plot: %s\n", err);
		return 2;
	}
	const struct compare_metric *m = o->rank_by ? o->rank_by : &compare_metrics[0];
	static struct runs_run runs[RUNS_MAX];
	int n = runs_select(db, o->ids, o->nids, o->study, runs);
	if (n <= 0) {
		fprintf(stderr, "kmemsim plot: %s: no finished runs%s%s\n", o->db, o->study ? " in study " : "",
			o->study ? o->study : "");
		runs_close(db);
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
	struct plot_ctx pc = { .db = db, .out = o->out, .gpdir = plot_scripts_dir() };
	pc.have_gnuplot = system("gnuplot --version >/dev/null 2>&1") == 0;
	if (!pc.have_gnuplot)
		fprintf(stderr, "kmemsim plot: gnuplot not found: writing data files only (apt-get install gnuplot-nox)\n");
	else
		pc.pngterm = plot_gnuplot_has("pngcairo") ? "pngcairo" : "png";
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/gnuplot.log", o->out);
	unlink(path);
	snprintf(path, sizeof(path), "%s/index.html", o->out);
	pc.html = report_open(path, o->db, n);
	if (!pc.html) {
		fprintf(stderr, "kmemsim plot: cannot write %s\n", path);
		runs_close(db);
		return 1;
	}
	report_unfinished(pc.html, db, o->study);
	report_overview(pc.html, db, runs, n, m);
	int groups = 0;
	for (int i = 0; i < n; i++)
		groups = MAX(groups, runs[i].group + 1);
	for (int g = 0; g < groups; g++) {
		for (int i = 0; i < n; i++)
			if (runs[i].group == g) {
				fprintf(stderr, "kmemsim plot: group %d/%d: %s (seed %llu)\n", g + 1, groups,
					runs[i].name, (unsigned long long)runs[i].seed);
				break;
			}
		plot_group(&pc, runs, n, g, m);
	}
	report_close(pc.html);
	runs_close(db);
	fprintf(stderr, "kmemsim plot: %u figures (PNG and SVG) in %s, index.html%s\n", pc.figures, o->out,
		pc.failures ? " (some failed)" : "");
	return pc.failures ? 1 : 0;
}

static const char plot_usage[] =
"usage: kmemsim plot [--db results.db] [--run ID ...] [--study LABEL] [--out DIR]\n"
"                    [--rank-by METRIC]\n"
"\n"
"Draws figures (PNG and SVG) and index.html from a results database.\n"
"\n"
"options:\n"
"  --db FILE             results database (default results.db)\n"
"  --run ID              only this run (repeatable)\n"
"  --study LABEL         only the runs of this study\n"
"  --out DIR             output directory (default plots/out)\n"
"  --rank-by METRIC      order of the tables and bar charts: peak (default), final,\n"
"                        jw1, jw2, jw3, jw4, int_frag (as `kmemsim compare --rank-by`);\n"
"                        back ends that served the whole workload always come first\n"
"  --help                this text\n"
"\n"
"exit status: 0 ok; 1 no finished runs, or a figure failed; 2 bad usage or no\n"
"such database.\n";

int cmd_plot(int argc, char **argv)
{
	static struct plot_opts o;
	o = (struct plot_opts){ .db = "results.db", .out = "plots/out" };
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
			if (*end || id <= 0 || o.nids == RUNS_MAX) {
				fprintf(stderr, "kmemsim plot: --run needs a run id (got '%s')\n", v);
				return 2;
			}
			o.ids[o.nids++] = id;
			i++;
		} else if (!strcmp(a, "--rank-by") || !strncmp(a, "--rank-by=", 10)) {
			const char *val = a[9] == '=' ? a + 10 : v;
			if (a[9] != '=')
				i++;
			o.rank_by = val ? compare_metric_lookup(val) : NULL;
			if (!o.rank_by) {
				char valid[128];
				compare_metric_names(valid, sizeof(valid));
				fprintf(stderr, "kmemsim plot: --rank-by needs one of %s (got '%s')\n", valid, val ? val : "");
				return 2;
			}
		} else if (!strcmp(a, "--help")) {
			fputs(plot_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "kmemsim plot: unknown option '%s'\n%s", a, plot_usage);
			return 2;
		}
	}
	return plot_write(&o);
}
