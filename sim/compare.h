/*
 * compare.h - `kmemsim compare`: chosen back ends on one input, in
 * parallel, ranked; and the ranking rule that every table and figure uses.
 *
 * The ranking rule (DESIGN.md, "Comparisons"), in this order:
 *  1. a back end that served the whole workload (failed_allocs == 0 and
 *     page_failed == 0 in run_stats) before one that did not (or whose
 *     counts are missing);
 *  2. the chosen metric, ascending; an undefined metric (absent or NULL)
 *     after every defined one;
 *  3. back-end name, then run id.
 * A run that failed allocations, or ended early (failed, interrupted,
 * abandoned), is never ranked above one that served everything, never
 * "best", never bold.
 */
#ifndef KMS_COMPARE_H
#define KMS_COMPARE_H

#include "base.h"

typedef struct sqlite3 sqlite3;
struct runs_run;

/* A metric a ranking may use (--rank-by NAME). */
struct compare_metric {
	const char *name;    /* --rank-by value */
	const char *key;     /* run_stats key */
	const char *label;   /* for people (plain text, may contain '&') */
	const char *column;  /* compare's table header (one word) */
	double scale;        /* shown value = stat / scale (MiB for bytes) */
	int decimals;        /* in compare's table */
};
/* peak, final, jw1, jw2, jw3, jw4, int_frag; ends with a NULL name. The
 * first is the default. */
extern const struct compare_metric compare_metrics[];
/* NULL when name is not one of them. */
const struct compare_metric *compare_metric_lookup(const char *name);
/* "peak, final, ..." for messages. */
void compare_metric_names(char *buf, size_t n);

/* One run to rank, or one back end over the seeds of a group. */
struct compare_entry {
	const struct runs_run *run;   /* the run (over seeds: the reference seed's) */
	double metric;     /* the ranking metric, scaled; NaN when undefined (over seeds: the mean, NaN when any is) */
	bool served;       /* the back end served the whole workload (over seeds: in every one) */
	int nruns;         /* runs the entry stands for (0 or 1: one run) */
	double ci95;       /* half-width of the 95% confidence interval of the mean; NaN for one run */
};

/* Fill e for run r with metric m from db. */
void compare_entry_read(sqlite3 *db, const struct runs_run *r, const struct compare_metric *m,
			struct compare_entry *e);
/* Entries for the runs of group g (every run when g < 0) in runs[0..n),
 * ranked, into e; returns their number. */
int compare_group_rank(sqlite3 *db, const struct runs_run *runs, int n, int g,
		       const struct compare_metric *m, struct compare_entry *e);
/* One entry per back end of group g, its metric the mean over the
 * group's runs of that back end (seeds), ranked by the same rule; returns
 * their number. */
int compare_group_rank_backends(sqlite3 *db, const struct runs_run *runs, int n, int g,
				const struct compare_metric *m, struct compare_entry *e);
/* Sort e[0..n) by the ranking rule. */
void compare_rank(struct compare_entry *e, size_t n);
/* Mean of v[0..n) into *mean and the half-width of its 95% confidence
 * interval (Student's t, n - 1 degrees of freedom) into *half: NaN for
 * n < 2; both NaN when n = 0 or any value is NaN. */
void compare_ci95(const double *v, int n, double *mean, double *half);

/* A run's failures with their reasons: "none", "458 too_big",
 * "12 nomem, 3 pgtable, 2 page_alloc" (failed_<reason> keys of
 * fail_reason_names; page_alloc: failed page allocations of a trace;
 * other: failed_allocs not accounted by a reason), or "n/a" when the run
 * has no failed_allocs. */
void compare_failures_format(sqlite3 *db, int64_t run, char *buf, size_t n);
/* As compare_failures_format, led by how the run ended when it ended
 * early: "interrupted (SIGINT); 3 nomem", "failed (no such file)". */
void compare_run_failures_format(sqlite3 *db, const struct runs_run *r, char *buf, size_t n);
/* The ranking rule in a sentence, for footnotes: "back ends that ...". */
void compare_rule_format(const struct compare_metric *m, char *buf, size_t n);

int cmd_compare(int argc, char **argv);

#endif
