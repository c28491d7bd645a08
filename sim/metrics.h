/*
 * metrics.h - what a sample records: R, A, F, buddy free blocks per zone
 * and order, Gorman's indices, Johnstone & Wilson's measures at the end.
 * Definitions are in DESIGN.md and metrics.c.
 */
#ifndef KMS_METRICS_H
#define KMS_METRICS_H

#include "base.h"

struct sim;

struct metrics *metrics_create(struct sim *s);
void metrics_destroy(struct metrics *m);
/* Take a sample now (engine calls this on its schedule). */
void metrics_sample(struct sim *s);
/* Page-bitmap snapshot now (label may be NULL): owner and granule bitmap
 * of every frame, from the back end's walk(), into results.db. */
void metrics_snapshot(struct sim *s, const char *label);
/* End of run: final sample and derived measures (J&W) into run_stats. */
void metrics_finish(struct sim *s);
/* Derived measures for the summary (J&W #1-#4, fragmentation at the end). */
void metrics_report(struct sim *s, void (*fn)(void *ctx, const char *key, double v), void *ctx);

#endif
