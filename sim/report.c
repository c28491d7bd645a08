/*
 * report.c - index.html for `kmemsim plot`: the page's style, the runs
 * that did not finish, an overview (one row per input, one column per back
 * end), and per group of runs a table of headline numbers and the figures
 * plot.c drew. Data come from runs.c; the order of runs from compare.c's
 * ranking rule.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "compare.h"
#include "report.h"
#include "runs.h"
#include "../allocators/allocator.h"

FILE *report_open(const char *path, const char *dbpath, int nruns)
{
	FILE *html = fopen(path, "w");
	if (!html)
		return NULL;
	fprintf(html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>kmemsim results</title>\n"
		"<style>body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse}"
		"td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}td:first-child{text-align:left}"
		"figure{display:inline-block;margin:6px;vertical-align:top}figcaption{font-size:90%%;max-width:525px}"
		"</style></head><body>\n<h1>kmemsim results</h1>\n<p>Database %s, %d runs. Footprint F: pages held by "
		"the back end &times; 4096 + its metadata + page-table pages; R: live requested bytes; A: live bytes "
		"as allocated. J&amp;W #3: (F&minus;R)/R at peak F; #4: (max F &minus; max R)/max R.</p>\n", dbpath, nruns);
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
	const char *src[4] = { alloc, input, status, message };
	char msg[4][256];
	for (int k = 0; k < 4; k++) {
		snprintf(msg[k], sizeof(msg[k]), "%s", src[k]);
		for (char *q = msg[k]; *q; q++)
			if (*q == '<' || *q == '>' || *q == '&')
				*q = '_';
	}
	fprintf(c->html, "<li>run %lld: %s on %s: %s%s%s</li>\n", (long long)id, msg[0], msg[1], msg[2],
		msg[3][0] ? ": " : " (the process died)", msg[3]);
}

void report_unfinished(FILE *html, sqlite3 *db, const char *study)
{
	struct report_unfinished_ctx c = { html, false };
	runs_unfinished(db, study, report_unfinished_row, &c);
	if (c.head)
		fprintf(html, "</ul>\n");
}

void report_overview(FILE *html, sqlite3 *db, const struct runs_run *runs, int n)
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
	fprintf(html, "<h2>Overview</h2>\n<p>Peak footprint in MiB, and in brackets Johnstone &amp; Wilson's #4, "
		"(max F &minus; max R)/max R; the smallest footprint of each input in bold.</p>\n<table><tr><th>input</th>");
	for (int k = 0; k < nnames; k++)
		fprintf(html, "<th>%s</th>", names[k]);
	fprintf(html, "</tr>\n");
	for (int g = 0; g < groups; g++) {
		double v[64], best = INFINITY;
		const struct runs_run *r0 = NULL;
		for (int k = 0; k < nnames; k++) {
			v[k] = NAN;
			for (int i = 0; i < n; i++)
				if (runs[i].group == g && !strcmp(runs[i].alloc, names[k])) {
					v[k] = runs_stat(db, runs[i].id, "peak_footprint_bytes", NAN) / MIB;
					r0 = &runs[i];
				}
			if (v[k] < best)
				best = v[k];
		}
		if (!r0)
			continue;
		fprintf(html, "<tr><td>%s</td>", r0->name);
		for (int k = 0; k < nnames; k++) {
			double jw = NAN;
			for (int i = 0; i < n; i++)
				if (runs[i].group == g && !strcmp(runs[i].alloc, names[k]))
					jw = runs_stat(db, runs[i].id, "jw4_max_footprint_over_max_live", NAN);
			if (isnan(v[k]))
				fprintf(html, "<td>&ndash;</td>");
			else
				fprintf(html, "<td>%s%.2f%s (%.2f)</td>", v[k] == best ? "<b>" : "", v[k],
					v[k] == best ? "</b>" : "", jw);
		}
		fprintf(html, "</tr>\n");
	}
	fprintf(html, "</table>\n");
}

void report_group_begin(FILE *html, const struct runs_run *r0)
{
	fprintf(html, "<h2>%s (seed %llu%s%s)</h2>\n", r0->name, (unsigned long long)r0->seed,
		r0->study[0] ? ", study " : "", r0->study);
}

static const char *const report_headline_keys[] = {
	"peak_footprint_bytes", "peak_live_bytes", "jw3_overhead_at_max_footprint",
	"jw4_max_footprint_over_max_live", "mean_internal_frag", "failed_allocs", "pt_pages",
};

void report_group_table(FILE *html, sqlite3 *db, const struct compare_entry *ranked, int n)
{
	fprintf(html, "<table><tr><th>back end</th><th>run</th><th>peak footprint (MiB)</th><th>peak live (MiB)</th>"
		"<th>J&amp;W #3</th><th>J&amp;W #4</th><th>mean internal frag.</th><th>failed allocs</th>"
		"<th>page-table pages</th></tr>\n");
	for (int i = 0; i < n; i++) {
		const struct runs_run *r = ranked[i].run;
		double v[ARRAY_SIZE(report_headline_keys)];
		for (size_t k = 0; k < ARRAY_SIZE(report_headline_keys); k++)
			v[k] = runs_stat(db, r->id, report_headline_keys[k], NAN);
		fprintf(html, "<tr><td>%s</td><td>%lld</td><td>%.2f</td><td>%.2f</td><td>%.3f</td><td>%.3f</td>"
			"<td>%.3f</td><td>%.0f</td><td>%.0f</td></tr>\n", r->alloc, (long long)r->id, v[0] / MIB,
			v[1] / MIB, v[2], v[3], v[4], v[5], v[6]);
	}
	fprintf(html, "</table>\n");
}

void report_backend_begin(FILE *html, const char *alloc)
{
	fprintf(html, "<h3>%s</h3>\n", alloc);
}

void report_figure(FILE *html, const char *base, const char *caption_html, const char *text)
{
	fprintf(html, "<figure><img src=\"%s.png\" width=\"525\"><figcaption>%s%s</figcaption></figure>\n",
		base, caption_html, text ? text : "");
}

void report_close(FILE *html)
{
	fprintf(html, "</body></html>\n");
	fclose(html);
}
