/*
 * stubs.c - weak placeholders for modules still being written, so the
 * tree links at every step. A real definition elsewhere overrides each.
 */
#include <stdio.h>
#include "engine.h"
#include "luaw.h"
#include "study.h"
#include "trace.h"

__attribute__((weak)) int trace_replay(struct sim *s, const char *path, bool lenient,
				       struct trace_stats *ts, char *err, size_t errlen)
{
	(void)s; (void)lenient; (void)ts;
	snprintf(err, errlen, "%s: trace replay is not built in yet", path);
	return 2;
}

__attribute__((weak)) int luaw_run(struct sim *s, const char *script, char *err, size_t errlen)
{
	(void)s;
	snprintf(err, errlen, "%s: Lua workloads are not built in yet", script);
	return 2;
}

__attribute__((weak)) int luaw_describe(const char *script, FILE *out)
{
	(void)out;
	fprintf(stderr, "kmemsim: %s: Lua workloads are not built in yet\n", script);
	return 2;
}

__attribute__((weak)) int cmd_compare(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "kmemsim: compare is not built in yet\n");
	return 2;
}

__attribute__((weak)) int cmd_plot(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "kmemsim: plot is not built in yet\n");
	return 2;
}
