/*
 * report.c - index.html for `kmemsim plot`, leading with the answer:
 *   1. what the numbers mean, and the runs that ended early;
 *   2. an overview: one row per group of runs, one column per back end;
 *   3. contents: the studies and their groups;
 *   4. per study, per group (titled by its input and the parameters that
 *      differ from the study's other groups: runs_group_title): the
 *      ranking table with failures, the group's three leading figures
 *      (plot.c marks them), then its other figures under a list of them.
 * Data come from runs.c; the order of runs from compare.c's ranking rule,
 * stated in a note under every table; over several seeds a value is the
 * mean, with its 95% confidence interval (compare_ci95).
 *
 * Honesty rules: an undefined value prints "n/a" (never 0, never nan),
 * a run that failed allocations or ended early shows why (compare.c's
 * failures text) and is never bold; every string from the database goes
 * through report_escape.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compare.h"
#include "plot.h"
#include "report.h"
#include "runs.h"
#include "../allocators/allocator.h"

void report_escape(FILE *html, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", html); break;
		case '<': fputs("&lt;", html); break;
		case '>': fputs("&gt;", html); break;
		case '"': fputs("&quot;", html); break;
		case '\'': fputs("&#39;", html); break;
		default: fputc(*s, html);
		}
	}
}

static void report_head(FILE *html, const char *dbpath, int nruns)
{
	fprintf(html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kmemsim results</title>\n"
		"<style>body{font-family:sans-serif;max-width:1140px;margin:auto}table{border-collapse:collapse}"
		"td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}td:first-child{text-align:left}"
		"td.failed,tr.failed td{background:#fbe3e3}p.note{font-size:90%%}"
		"figure{display:inline-block;margin:6px;vertical-align:top}figcaption{font-size:90%%}"
		"span.files{font-size:85%%}nav li{margin:1px 0}"
		"</style></head><body>\n<h1>kmemsim results</h1>\n<p>Database ");
	report_escape(html, dbpath);
	fprintf(html, ", %d runs. Footprint F: pages held by "
		"the back end &times; 4096 + its metadata + page-table pages; R: live requested bytes; A: live bytes "
		"as allocated. J&amp;W #3: (F&minus;R)/R at peak F; #4: (max F &minus; max R)/max R. "
		"n/a: undefined (e.g. a ratio over no live bytes). Time in every figure: allocator events. "
		"Each figure links its PDF (vector, a paper column wide) and SVG; its data file (.tsv) lies beside "
		"it.</p>\n", nruns);
}

struct report_unfinished_ctx { FILE *html; bool head; };

static void report_unfinished_row(void *ctx, int64_t id, const char *alloc, const char *input,
				  const char *status, const char *message)
{
	struct report_unfinished_ctx *c = ctx;
	if (!c->head)
		fprintf(c->html, "<p><b>Runs that did not finish</b> (failed, interrupted and abandoned runs are drawn "
			"where they have samples, their lines ending with a cross; running ones are not drawn):</p><ul>\n");
	c->head = true;
	fprintf(c->html, "<li>run %lld: ", (long long)id);
	report_escape(c->html, alloc);
	fputs(" on ", c->html);
	report_escape(c->html, input);
	fputs(": ", c->html);
	report_escape(c->html, status);
	fputs(message[0] ? ": " : " (no message)", c->html);
	report_escape(c->html, message);
	fputs("</li>\n", c->html);
}

/* A value of metric m (already scaled), or n/a; with "&plusmn; ci" when defined. */
static void report_value(FILE *html, double v, double ci, int decimals)
{
	if (isnan(v)) {
		fputs("n/a", html);
		return;
	}
	fprintf(html, "%.*f", decimals, v);
	if (!isnan(ci))
		fprintf(html, " &plusmn; %.*f", decimals, ci);
}

/* e[i] is best: it served the whole workload and its defined metric equals
 * the first ranked entry's (ties are all best). */
static bool report_is_best(const struct compare_entry *e, int i)
{
	return e[0].served && !isnan(e[0].metric) && e[i].served && e[i].metric == e[0].metric;
}

static void report_rule_note(FILE *html, const struct compare_metric *m, int nseeds)
{
	char rule[512];
	compare_rule_format(m, rule, sizeof(rule));
	fputs("<p class=\"note\">Ranked: ", html);
	report_escape(html, rule);
	fputs(". Failures: failed allocations by reason (failed_&lt;reason&gt; in run_stats; page_alloc: "
	      "failed page allocations of a trace), led by how a run ended when it ended early.", html);
	if (nseeds > 1)
		fprintf(html, " Over %d seeds: the mean &plusmn; the half-width of its 95%% confidence interval "
			"(Student's t); a back end ranks as served only if it served in every seed; a value undefined "
			"in any seed is n/a.", nseeds);
	fputs("</p>\n", html);
}

/* the mean and 95% CI of key / scale over the runs of alloc in group g */
static void report_stat_over_seeds(sqlite3 *db, const struct runs_run *runs, int n, int g, const char *alloc,
				   const char *key, double scale, double *mean, double *ci)
{
	double *v = malloc((size_t)(n ? n : 1) * sizeof(double));
	int nv = 0;
	for (int i = 0; v && i < n; i++)
		if (runs[i].group == g && !strcmp(runs[i].alloc, alloc))
			v[nv++] = runs_stat(db, runs[i].id, key, NAN) / scale;
	compare_ci95(v, nv, mean, ci);
	free(v);
}

/* failures of alloc's runs in group g: one run's text, or over seeds the
 * runs that did not serve ("seed 2: 12 nomem; seed 3: interrupted") */
static void report_failures(FILE *html, sqlite3 *db, const struct runs_run *runs, int n, int g, const char *alloc,
			    bool over_seeds)
{
	bool any = false;
	for (int i = 0; i < n; i++) {
		if (runs[i].group != g || strcmp(runs[i].alloc, alloc))
			continue;
		char fails[512];
		compare_run_failures_format(db, &runs[i], fails, sizeof(fails));
		if (!over_seeds) {
			report_escape(html, fails);
			return;
		}
		if (!strcmp(fails, "none"))
			continue;
		fprintf(html, "%sseed %llu: ", any ? "; " : "", (unsigned long long)runs[i].seed);
		report_escape(html, fails);
		any = true;
	}
	if (over_seeds && !any)
		fputs("none", html);
}

static int report_seeds(const struct runs_run *runs, int n, int g)
{
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (runs[i].group != g)
			continue;
		bool seen = false;
		for (int j = 0; j < i && !seen; j++)
			seen = runs[j].group == g && runs[j].seed == runs[i].seed;
		k += !seen;
	}
	return k;
}

static void report_overview(FILE *html, sqlite3 *db, const struct runs_run *runs, int n, int groups,
			    const struct compare_metric *m)
{
	const char *names[64];
	int nnames = 0;
	for (size_t b = 0; allocator_registry[b] && nnames < 64; b++)
		for (int i = 0; i < n; i++)
			if (!strcmp(runs[i].alloc, allocator_registry[b]->name)) {
				names[nnames++] = allocator_registry[b]->name;
				break;
			}
	int decimals = m->scale == MIB ? 2 : 3;
	fputs("<h2>Overview</h2>\n<p>Each cell: ", html);
	report_escape(html, m->label);
	fputs(", in brackets Johnstone &amp; Wilson's #4, (max F &minus; max R)/max R, then the back end's rank "
	      "in its group; in bold the best back end of each group among those that served the whole "
	      "workload; shaded: failed allocations or ended early, with the reasons; &ndash;: not run; over "
	      "several seeds, means.</p>\n<table><tr><th>input</th>", html);
	for (int k = 0; k < nnames; k++) {
		fputs("<th>", html);
		report_escape(html, names[k]);
		fputs("</th>", html);
	}
	fprintf(html, "</tr>\n");
	struct compare_entry *e = calloc((size_t)(n ? n : 1), sizeof(*e));
	for (int g = 0; e && g < groups; g++) {
		int ne = compare_group_rank_backends(db, runs, n, g, m, e);
		if (!ne)
			continue;
		char title[256];
		runs_group_title(runs, n, g, title, sizeof(title));
		fprintf(html, "<tr><td><a href=\"#g%d\">", g);
		report_escape(html, title);
		fputs("</a></td>", html);
		for (int k = 0; k < nnames; k++) {
			int i = 0;
			while (i < ne && strcmp(e[i].run->alloc, names[k]))
				i++;
			if (i == ne) {
				fputs("<td>&ndash;</td>", html);
				continue;
			}
			bool best = report_is_best(e, i);
			double jw4, ci;
			report_stat_over_seeds(db, runs, n, g, names[k], "jw4_max_footprint_over_max_live", 1, &jw4, &ci);
			fputs(e[i].served ? "<td>" : "<td class=\"failed\">", html);
			fputs(best ? "<b>" : "", html);
			report_value(html, e[i].metric, NAN, decimals);
			fputs(best ? "</b> (" : " (", html);
			report_value(html, jw4, NAN, 2);
			fprintf(html, ") #%d", i + 1);
			if (!e[i].served) {
				fputs("<br>failed: ", html);
				report_failures(html, db, runs, n, g, names[k], e[i].nruns > 1);
			}
			fputs("</td>", html);
		}
		fprintf(html, "</tr>\n");
	}
	free(e);
	fprintf(html, "</table>\n");
	report_rule_note(html, m, 1);
}

/* The group's ranking table: a row per run, or over several seeds a row
 * per back end (means and CIs). */
static void report_group_table(FILE *html, sqlite3 *db, const struct runs_run *runs, int n, int g,
			       const struct compare_metric *m, int nseeds)
{
	struct compare_entry *e = calloc((size_t)(n ? n : 1), sizeof(*e));
	if (!e)
		return;
	int ne = nseeds > 1 ? compare_group_rank_backends(db, runs, n, g, m, e) : compare_group_rank(db, runs, n, g, m, e);
	fprintf(html, "<table><tr><th>rank</th><th>back end</th><th>%s</th>", nseeds > 1 ? "seeds" : "run");
	for (const struct compare_metric *c = compare_metrics; c->name; c++) {
		fputs("<th>", html);
		report_escape(html, c->label);
		fputs("</th>", html);
	}
	fputs("<th>peak live (MiB)</th><th>page-table pages</th><th>failures</th></tr>\n", html);
	for (int i = 0; i < ne; i++) {
		const struct runs_run *r = e[i].run;
		fprintf(html, "<tr%s><td>%d</td><td>", e[i].served ? "" : " class=\"failed\"", i + 1);
		report_escape(html, r->alloc);
		if (nseeds > 1)
			fprintf(html, "</td><td>%d</td>", e[i].nruns);
		else
			fprintf(html, "</td><td>%lld</td>", (long long)r->id);
		for (const struct compare_metric *c = compare_metrics; c->name; c++) {
			bool bold = c == m && report_is_best(e, i);
			double v, ci = NAN;
			if (nseeds > 1)
				report_stat_over_seeds(db, runs, n, g, r->alloc, c->key, c->scale, &v, &ci);
			else
				v = runs_stat(db, r->id, c->key, NAN) / c->scale;
			fputs(bold ? "<td><b>" : "<td>", html);
			report_value(html, v, ci, 3);
			fputs(bold ? "</b></td>" : "</td>", html);
		}
		static const char *const more[] = { "peak_live_bytes", "pt_pages" };
		for (int k = 0; k < 2; k++) {
			double v, ci = NAN, sc = k ? 1 : MIB;
			if (nseeds > 1)
				report_stat_over_seeds(db, runs, n, g, r->alloc, more[k], sc, &v, &ci);
			else
				v = runs_stat(db, r->id, more[k], NAN) / sc;
			fputs("<td>", html);
			report_value(html, v, ci, k ? 0 : 3);
			fputs("</td>", html);
		}
		fputs("<td>", html);
		report_failures(html, db, runs, n, g, r->alloc, nseeds > 1);
		fputs("</td></tr>\n", html);
	}
	fprintf(html, "</table>\n");
	report_rule_note(html, m, nseeds);
	free(e);
}

/* The width of the PNG dir/base.png from its header (IHDR, bytes 16-19),
 * 0 when it cannot be read. */
static unsigned report_png_width(const char *dir, const char *base)
{
	char path[4096];
	unsigned char h[24];
	snprintf(path, sizeof(path), "%s/%s.png", dir, base);
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(h, 1, sizeof(h), f);
	fclose(f);
	if (n < sizeof(h) || memcmp(h + 1, "PNG", 3))
		return 0;
	return (unsigned)h[16] << 24 | (unsigned)h[17] << 16 | (unsigned)h[18] << 8 | h[19];
}

static void report_figure(FILE *html, const char *dir, const struct report_fig *f)
{
	static const char *const ext[] = { "png", "pdf", "svg" };
	static const char *const up[] = { "PNG", "PDF", "SVG" };
	/* shown at 3/4 of the PNG's pixels (200 dpi): 525 px a column, 1074 a page */
	unsigned px = report_png_width(dir, f->base);
	px = px ? px * 3 / 4 : 525;
	fputs("<figure id=\"f-", html);
	report_escape(html, f->base);
	fprintf(html, "\" style=\"width:%upx\">", px);
	const char *img = f->formats & PLOT_PNG ? "png" : f->formats & PLOT_SVG ? "svg" : NULL;
	if (img) {
		fputs("<a href=\"", html);
		report_escape(html, f->base);
		fprintf(html, ".%s\"><img src=\"", f->formats & PLOT_PDF ? "pdf" : img);
		report_escape(html, f->base);
		fprintf(html, ".%s\" width=\"%u\" alt=\"", img, px);
		report_escape(html, f->caption);
		fputs("\"></a>", html);
	} else {
		fputs("<p class=\"note\">(not drawn: gnuplot failed or is missing; see gnuplot.log)</p>", html);
	}
	fputs("<figcaption>", html);
	report_escape(html, f->caption);
	fputs(" <span class=\"files\">[", html);
	for (int i = 0, k = 0; i < 3; i++)
		if (f->formats & (1u << i)) {
			fputs(k++ ? " " : "", html);
			fputs("<a href=\"", html);
			report_escape(html, f->base);
			fprintf(html, ".%s\">%s</a>", ext[i], up[i]);
		}
	fputs("]</span></figcaption></figure>\n", html);
}

/* a short name of a figure for the lists: "bars", "bitmap: slub" */
static void report_fig_name(FILE *html, const struct report_fig *f)
{
	const char *kind = strrchr(f->base, '_');
	report_escape(html, kind ? kind + 1 : f->base);
	if (f->alloc) {
		fputs(": ", html);
		report_escape(html, f->alloc);
	}
}

static void report_group(FILE *html, const char *dir, sqlite3 *db, const struct runs_run *runs, int n, int g,
			 const struct compare_metric *m, const struct report_fig *figs, int nfigs)
{
	char title[256];
	runs_group_title(runs, n, g, title, sizeof(title));
	int nseeds = report_seeds(runs, n, g), nb = 0;
	uint64_t seed = UINT64_MAX;
	for (int i = 0; i < n; i++)
		if (runs[i].group == g) {
			seed = MIN(seed, runs[i].seed);
			nb += runs[i].reference;
		}
	fprintf(html, "<h3 id=\"g%d\">", g);
	report_escape(html, title);
	fputs("</h3>\n<p class=\"note\">", html);
	if (nseeds > 1)
		fprintf(html, "%d back ends, %d seeds; the figures over time show seed %llu.", nb, nseeds,
			(unsigned long long)seed);
	else
		fprintf(html, "%d back ends, seed %llu.", nb, (unsigned long long)seed);
	fputs("</p>\n", html);
	report_group_table(html, db, runs, n, g, m, nseeds);
	int rest = 0;
	for (int i = 0; i < nfigs; i++)
		if (figs[i].group == g && !figs[i].study) {
			if (figs[i].key)
				report_figure(html, dir, &figs[i]);
			else
				rest++;
		}
	if (!rest)
		return;
	fprintf(html, "<h4>All figures of this group</h4>\n<ul>\n");
	for (int i = 0; i < nfigs; i++)
		if (figs[i].group == g && !figs[i].study) {
			fputs("<li><a href=\"#f-", html);
			report_escape(html, figs[i].base);
			fputs("\">", html);
			report_fig_name(html, &figs[i]);
			fputs("</a></li>\n", html);
		}
	fputs("</ul>\n", html);
	for (int i = 0; i < nfigs; i++)
		if (figs[i].group == g && !figs[i].key && !figs[i].study)
			report_figure(html, dir, &figs[i]);
}

bool report_write(const char *path, const char *dbpath, sqlite3 *db, const struct runs_run *runs, int n,
		  const struct compare_metric *m, const struct report_fig *figs, int nfigs)
{
	FILE *html = fopen(path, "w");
	if (!html)
		return false;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	int groups = 0;
	for (int i = 0; i < n; i++)
		groups = MAX(groups, runs[i].group + 1);
	report_head(html, dbpath, n);
	struct report_unfinished_ctx uc = { html, false };
	/* every study of the page's runs (one query per study shown) */
	for (int i = 0; i < n; i++) {
		bool seen = false;
		for (int j = 0; j < i && !seen; j++)
			seen = !strcmp(runs[j].study, runs[i].study);
		if (!seen)
			runs_unfinished(db, runs[i].study, report_unfinished_row, &uc);
	}
	if (uc.head)
		fprintf(html, "</ul>\n");
	report_overview(html, db, runs, n, groups, m);
	/* contents: studies, their groups */
	fputs("<h2>Contents</h2>\n<nav><ul>\n", html);
	for (int g = 0; g < groups; g++) {
		const struct runs_run *r0 = NULL;
		for (int i = 0; i < n && !r0; i++)
			if (runs[i].group == g)
				r0 = &runs[i];
		if (!r0)
			continue;
		bool first = true;
		for (int h = 0; h < g && first; h++)
			for (int i = 0; i < n && first; i++)
				first = !(runs[i].group == h && !strcmp(runs[i].study, r0->study));
		if (first) {
			fprintf(html, "%s<li>study <a href=\"#s%d\">", g ? "</ul></li>\n" : "", g);
			report_escape(html, r0->study[0] ? r0->study : "(none)");
			fputs("</a><ul>\n", html);
		}
		char title[256];
		runs_group_title(runs, n, g, title, sizeof(title));
		fprintf(html, "<li><a href=\"#g%d\">", g);
		report_escape(html, title);
		int nf = 0;
		for (int i = 0; i < nfigs; i++)
			nf += figs[i].group == g;
		fprintf(html, "</a> (%d figures)</li>\n", nf);
	}
	fputs(groups ? "</ul></li>\n</ul></nav>\n" : "</ul></nav>\n", html);
	/* the studies, in order of their first group */
	for (int g = 0; g < groups; g++) {
		const struct runs_run *r0 = NULL;
		for (int i = 0; i < n && !r0; i++)
			if (runs[i].group == g)
				r0 = &runs[i];
		if (!r0)
			continue;
		bool first = true;
		for (int h = 0; h < g && first; h++)
			for (int i = 0; i < n && first; i++)
				first = !(runs[i].group == h && !strcmp(runs[i].study, r0->study));
		if (!first)
			continue;
		fprintf(html, "<h2 id=\"s%d\">Study ", g);
		report_escape(html, r0->study[0] ? r0->study : "(none)");
		fputs("</h2>\n", html);
		/* the study's own figures (sweep: a metric against a swept parameter) */
		for (int i = 0; i < nfigs; i++)
			for (int h = g; h < groups; h++)
				if (figs[i].study && figs[i].group == h) {
					bool mine = false;
					for (int j = 0; j < n && !mine; j++)
						mine = runs[j].group == h && !strcmp(runs[j].study, r0->study);
					if (mine)
						report_figure(html, dir, &figs[i]);
				}
		for (int h = g; h < groups; h++) {
			bool same = false;
			for (int i = 0; i < n && !same; i++)
				same = runs[i].group == h && !strcmp(runs[i].study, r0->study);
			if (same)
				report_group(html, dir, db, runs, n, h, m, figs, nfigs);
		}
	}
	fprintf(html, "</body></html>\n");
	return fclose(html) == 0;
}
