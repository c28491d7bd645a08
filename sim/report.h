/*
 * report.h - index.html: the page that leads with the answer. Per study
 * and group of runs, the ranking table with failures, the group's three
 * leading figures, then the rest of its figures under a table of contents.
 * plot.c draws the figures and passes them here once gnuplot is done.
 */
#ifndef KMS_REPORT_H
#define KMS_REPORT_H

#include <stdio.h>
#include "base.h"

typedef struct sqlite3 sqlite3;
struct runs_run;
struct compare_metric;

/* Write s with &, <, >, " and ' escaped: everything that comes from data
 * (file names, study labels, back-end names, messages, cache names) goes
 * through here. */
void report_escape(FILE *html, const char *s);

/* One figure plot.c drew (or tried to). */
struct report_fig {
	char base[64];        /* file name without extension, in the page's folder */
	char caption[512];    /* plain text: what is drawn, exactly */
	int group;            /* runs[].group of the figure's runs */
	int64_t run;          /* the run of a per-run figure; 0 for a group's */
	const char *alloc;    /* the back end of a per-run figure */
	bool key;             /* one of the group's three leading figures */
	bool study;           /* a figure of the whole study (sweep), shown under the study's heading */
	unsigned formats;     /* PLOT_* files gnuplot wrote (plot.h); 0: drawing failed */
};

/* Write index.html at path: the runs that ended early, an overview (one
 * row per group, one column per back end), then per study and group the
 * ranking table, the leading figures and the rest. figs in drawing order.
 * False when path cannot be written. */
bool report_write(const char *path, const char *dbpath, sqlite3 *db, const struct runs_run *runs, int n,
		  const struct compare_metric *m, const struct report_fig *figs, int nfigs);

#endif
