/*
 * plot.h - `kmemsim plot`: figures (gnuplot) and index.html from a results
 * database.
 */
#ifndef KMS_PLOT_H
#define KMS_PLOT_H

#include "base.h"
#include "runs.h"

struct compare_metric;

/* Output formats (--format), as a mask. */
enum {
	PLOT_PNG = 1u << 0,
	PLOT_PDF = 1u << 1,
	PLOT_SVG = 1u << 2,
	PLOT_FORMATS = PLOT_PNG | PLOT_PDF | PLOT_SVG,
};

struct plot_opts {
	const char *db, *out, *study;   /* study NULL: every study */
	int64_t ids[RUNS_MAX];          /* only these runs when nids > 0 */
	int nids;
	const struct compare_metric *rank_by;   /* NULL: the default (peak footprint) */
	unsigned kinds;                 /* mask of plot kinds (plot_kind_lookup); 0: every kind */
	unsigned formats;               /* mask of PLOT_*; 0: every format */
	const char *snapshot;           /* the snapshot label the bitmap pictures; NULL: the default */
};

/* Draw the figures and, unless kinds, formats or a snapshot were picked,
 * write index.html into o->out. Returns the exit status: 0, 1 (no runs,
 * no such snapshot, or a figure failed), 2 (no such database, unusable
 * output directory). */
int plot_write(const struct plot_opts *o);

/* The bit of kind name in plot_opts.kinds; 0 when there is no such kind. */
unsigned plot_kind_lookup(const char *name);

/* s as one safe path component (letters, digits, '.', '-', '_'; others
 * '_'; never "", "." or ".."): a study's folder under compare's --out. */
void plot_slug(const char *s, char *out, size_t n);

int cmd_plot(int argc, char **argv);

#endif
