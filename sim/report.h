/*
 * report.h - index.html: the page that shows a results database's figures
 * with tables of headline numbers (written by `kmemsim plot`).
 */
#ifndef KMS_REPORT_H
#define KMS_REPORT_H

#include <stdio.h>
#include "base.h"

typedef struct sqlite3 sqlite3;
struct runs_run;
struct compare_entry;
struct compare_metric;

/* Write s with &, <, >, " and ' escaped: everything that comes from data
 * (file names, study labels, back-end names, messages, cache names) goes
 * through here. */
void report_escape(FILE *html, const char *s);

/* Create path and write the page's head; NULL when it cannot be written. */
FILE *report_open(const char *path, const char *dbpath, int nruns);
/* The list of runs of study (NULL: any) that did not finish. */
void report_unfinished(FILE *html, sqlite3 *db, const char *study);
/* One row per input (group), one column per back end: metric m, J&W #4,
 * failures; the best run that served the whole workload in bold. */
void report_overview(FILE *html, sqlite3 *db, const struct runs_run *runs, int n,
		     const struct compare_metric *m);
/* A group's heading and its table, rows ranked (compare_rank) by m. */
void report_group_begin(FILE *html, const struct runs_run *r0);
void report_group_table(FILE *html, sqlite3 *db, const struct compare_entry *ranked, int n,
			const struct compare_metric *m);
/* A back end's heading inside a group. */
void report_backend_begin(FILE *html, const char *alloc);
/* A figure: base.png with caption_html (markup, written as is) followed by
 * text (data: may be NULL). */
void report_figure(FILE *html, const char *base, const char *caption_html, const char *text);
/* Close the page and the file. */
void report_close(FILE *html);

#endif
