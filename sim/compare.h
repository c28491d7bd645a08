/*
 * compare.h - `kmemsim compare`: every back end on one input, in parallel,
 * ranked; and the ranking rule every table and figure uses.
 */
#ifndef KMS_COMPARE_H
#define KMS_COMPARE_H

#include "base.h"

struct runs_run;

/* One run to rank. */
struct compare_entry {
	const struct runs_run *run;
	double metric;     /* the ranking metric */
	bool served;       /* the back end served the whole workload */
};

/* Sort e[0..n) by the ranking rule. */
void compare_rank(struct compare_entry *e, size_t n);

int cmd_compare(int argc, char **argv);

#endif
