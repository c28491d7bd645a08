/*
 * report.c - index.html for `kmemsim plot`: the page's style, the runs
 * that did not finish, an overview (one row per input, one column per back
 * end), and per group of runs a table of headline numbers and the figures
 * plot.c drew. Data come from runs.c; the order of runs from compare.c's
 * ranking rule, stated in a note under every table.
 *
 * Honesty rules: an undefined value prints "n/a" (never 0, never nan),
 * a run that failed allocations shows its failures with their reasons and
 * is never bold; every string from the database goes through
 * report_escape.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "compare.h"
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

FILE *report_open(const char *path, const char *dbpath, int nruns)
{
	FILE *html = fopen(path, "w");
	if (!html)
		return NULL;
	fprintf(html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kmemsim results</title>\n"
		"<style>body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse}"
		"td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}td:first-child{text-align:left}"
		"td.failed,tr.failed td{background:#fbe3e3}p.note{font-size:90%%}"
		"figure{display:inline-block;margin:6px;vertical-align:top}figcaption{font-size:90%%;max-width:525px}"
		"</style></head><body>\n<h1>kmemsim results</h1>\n<p>Database ");
	report_escape(html, dbpath);
	fprintf(html, ", %d runs. Footprint F: pages held by "
		"the back end &times; 4096 + its metadata + page-table pages; R: live requested bytes; A: live bytes "
		"as allocated. J&amp;W #3: (F&minus;R)/R at peak F; #4: (max F &minus; max R)/max R. "
		"n/a: undefined (e.g. a ratio over no live bytes).</p>\n", nruns);
	return html;
}

struct report_unfinished_ctx { FILE *html; bool head; };

static void report_unfinished_row(void *ctx, int64_t id, const char *alloc, const char *input,
				  const char *status, const char *message)
{
	struct report_unfinished_ctx *c = ctx;
	if (!c->head)
		fprintf(c->html, "<p><b>Runs that did not finish</b> (not in the figures):</p><ul>\n");
	c->head = true;
	fprintf(c->html, "<li>run %lld: ", (long long)id);
	report_escape(c->html, alloc);
	fputs(" on ", c->html);
	report_escape(c->html, input);
	fputs(": ", c->html);
	report_escape(c->html, status);
	fputs(message[0] ? ": " : " (the process died)", c->html);
	report_escape(c->html, message);
	fputs("</li>\n", c->html);
}

void report_unfinished(FILE *html, sqlite3 *db, const char *study)
{
	struct report_unfinished_ctx c = { html, false };
	runs_unfinished(db, study, report_unfinished_row, &c);
	if (c.head)
		fprintf(html, "</ul>\n");
}

/* A value of metric m (already scaled), or n/a. */
static void report_value(FILE *html, double v, int decimals)
{
	if (isnan(v))
		fputs("n/a", html);
	else
		fprintf(html, "%.*f", decimals, v);
}

/* e[i] is best: it served the whole workload and its defined metric equals
 * the first ranked run's (ties are all best). */
static bool report_is_best(const struct compare_entry *e, int i)
{
	return e[0].served && !isnan(e[0].metric) && e[i].served && e[i].metric == e[0].metric;
}

static void report_rule_note(FILE *html, const struct compare_metric *m)
{
	char rule[512];
	compare_rule_format(m, rule, sizeof(rule));
	fputs("<p class=\"note\">Ranked: ", html);
	report_escape(html, rule);
	fputs(". Failures: failed allocations by reason (failed_&lt;reason&gt; in run_stats; page_alloc: "
	      "failed page allocations of a trace).</p>\n", html);
}

void report_overview(FILE *html, sqlite3 *db, const struct runs_run *runs, int n,
		     const struct compare_metric *m)
{
	int groups = 0;
	for (int i = 0; i < n; i++)
		groups = MAX(groups, runs[i].group + 1);
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
	      "on that input; in bold the best back end of each input among those that served the whole "
	      "workload; shaded: failed allocations, with their reasons; &ndash;: not run.</p>\n"
	      "<table><tr><th>input</th>", html);
	for (int k = 0; k < nnames; k++) {
		fputs("<th>", html);
		report_escape(html, names[k]);
		fputs("</th>", html);
	}
	fprintf(html, "</tr>\n");
	static struct compare_entry e[RUNS_MAX];
	for (int g = 0; g < groups; g++) {
		int ne = compare_group_rank(db, runs, n, g, m, e);
		if (!ne)
			continue;
		fputs("<tr><td>", html);
		report_escape(html, e[0].run->name);
		fputs("</td>", html);
		for (int k = 0; k < nnames; k++) {
			int i = 0;   /* the back end's best ranked run */
			while (i < ne && strcmp(e[i].run->alloc, names[k]))
				i++;
			if (i == ne) {
				fputs("<td>&ndash;</td>", html);
				continue;
			}
			bool best = report_is_best(e, i);
			fputs(e[i].served ? "<td>" : "<td class=\"failed\">", html);
			fputs(best ? "<b>" : "", html);
			report_value(html, e[i].metric, decimals);
			fputs(best ? "</b> (" : " (", html);
			report_value(html, runs_stat(db, e[i].run->id, "jw4_max_footprint_over_max_live", NAN), 2);
			fprintf(html, ") #%d", i + 1);
			if (!e[i].served) {
				char fails[256];
				compare_failures_format(db, e[i].run->id, fails, sizeof(fails));
				fputs("<br>failed: ", html);
				report_escape(html, fails);
			}
			fputs("</td>", html);
		}
		fprintf(html, "</tr>\n");
	}
	fprintf(html, "</table>\n");
	report_rule_note(html, m);
}

void report_group_begin(FILE *html, const struct runs_run *r0)
{
	fputs("<h2>", html);
	report_escape(html, r0->name);
	fprintf(html, " (seed %llu", (unsigned long long)r0->seed);
	if (r0->study[0]) {
		fputs(", study ", html);
		report_escape(html, r0->study);
	}
	fputs(")</h2>\n", html);
}

void report_group_table(FILE *html, sqlite3 *db, const struct compare_entry *ranked, int n,
			const struct compare_metric *m)
{
	fputs("<table><tr><th>rank</th><th>back end</th><th>run</th>", html);
	for (const struct compare_metric *c = compare_metrics; c->name; c++) {
		fputs("<th>", html);
		report_escape(html, c->label);
		fputs("</th>", html);
	}
	fputs("<th>peak live (MiB)</th><th>page-table pages</th><th>failures</th></tr>\n", html);
	for (int i = 0; i < n; i++) {
		const struct runs_run *r = ranked[i].run;
		fprintf(html, "<tr%s><td>%d</td><td>", ranked[i].served ? "" : " class=\"failed\"", i + 1);
		report_escape(html, r->alloc);
		fprintf(html, "</td><td>%lld</td>", (long long)r->id);
		for (const struct compare_metric *c = compare_metrics; c->name; c++) {
			bool bold = c == m && report_is_best(ranked, i);
			fputs(bold ? "<td><b>" : "<td>", html);
			report_value(html, runs_stat(db, r->id, c->key, NAN) / c->scale, 3);
			fputs(bold ? "</b></td>" : "</td>", html);
		}
		fputs("<td>", html);
		report_value(html, runs_stat(db, r->id, "peak_live_bytes", NAN) / MIB, 3);
		fputs("</td><td>", html);
		report_value(html, runs_stat(db, r->id, "pt_pages", NAN), 0);
		char fails[256];
		compare_failures_format(db, r->id, fails, sizeof(fails));
		fputs("</td><td>", html);
		report_escape(html, fails);
		fputs("</td></tr>\n", html);
	}
	fprintf(html, "</table>\n");
	report_rule_note(html, m);
}

void report_backend_begin(FILE *html, const char *alloc)
{
	fputs("<h3>", html);
	report_escape(html, alloc);
	fputs("</h3>\n", html);
}

void report_figure(FILE *html, const char *base, const char *caption_html, const char *text)
{
	fprintf(html, "<figure><img src=\"");
	report_escape(html, base);
	fprintf(html, ".png\" width=\"525\"><figcaption>%s", caption_html);
	report_escape(html, text);
	fputs("</figcaption></figure>\n", html);
}

void report_close(FILE *html)
{
	fprintf(html, "</body></html>\n");
	fclose(html);
}
