/*
 * plot.h - `kmemsim plot`: figures (gnuplot) and index.html from a results
 * database.
 */
#ifndef KMS_PLOT_H
#define KMS_PLOT_H

#include "base.h"
#include "runs.h"

struct compare_metric;

struct plot_opts {
	const char *db, *out, *study;   /* study NULL: every study */
	int64_t ids[RUNS_MAX];          /* only these runs when nids > 0 */
	int nids;
	const struct compare_metric *rank_by;   /* NULL: the default (peak footprint) */
};

/* Draw every figure and write index.html into o->out. Returns the exit
 * status: 0, 1 (no runs, or a figure failed), 2 (no such database). */
int plot_write(const struct plot_opts *o);

int cmd_plot(int argc, char **argv);

#endif
