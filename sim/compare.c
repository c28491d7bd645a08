/*
 * compare.c - `kmemsim compare`: every registered back end on one input,
 * in parallel (at most one child per online CPU), each as `kmemsim run` of
 * this very executable (/proc/self/exe) with a fresh study label; then a
 * ranked table from results.db, and the group's figures (plot.c).
 * A failed run is reported and makes the exit status 1; the others are
 * kept.
 *
 * The ranking rule lives here, once (compare_rank): the table, index.html
 * and the bar chart all order runs with it.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "compare.h"
#include "plot.h"
#include "results.h"
#include "runs.h"
#include "../allocators/allocator.h"

/* ---- the ranking rule ---- */

static int compare_entry_cmp(const void *x, const void *y)
{
	const struct compare_entry *a = x, *b = y;
	if (a->served != b->served)
		return a->served ? -1 : 1;
	if (a->metric < b->metric)
		return -1;
	if (a->metric > b->metric)
		return 1;
	int c = strcmp(a->run->alloc, b->run->alloc);
	if (c)
		return c;
	return a->run->id < b->run->id ? -1 : a->run->id > b->run->id;
}

void compare_rank(struct compare_entry *e, size_t n)
{
	qsort(e, n, sizeof(*e), compare_entry_cmp);
}

/* ---- process pool ---- */

struct compare_child { pid_t pid; const char *name; double start; };

static double compare_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run every back end as a child `kmemsim run` with pass[] appended, at most
 * one per online CPU. Returns the number of runs that failed. */
static int compare_run_all(const char *exe, const char *db, const char *study, const char *input,
			   char **pass, int npass)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int slots = ncpu > 0 ? (int)ncpu : 1;
	size_t nb = 0;
	while (allocator_registry[nb])
		nb++;
	struct compare_child *kids = xcalloc(nb, sizeof(*kids));
	int running = 0, failed = 0;
	size_t next = 0, done = 0;
	fprintf(stderr, "kmemsim compare: %zu back ends on %s, %d at a time, study %s\n", nb, input, slots, study);
	while (done < nb) {
		while (next < nb && running < slots) {
			const char *name = allocator_registry[next]->name;
			char **av = xcalloc((size_t)npass + 16, sizeof(char *));
			int k = 0;
			av[k++] = (char *)exe;
			av[k++] = (char *)"run";
			av[k++] = (char *)"--allocator";
			av[k++] = (char *)name;
			av[k++] = (char *)"--study";
			av[k++] = (char *)study;
			av[k++] = (char *)"--db";
			av[k++] = (char *)db;
			av[k++] = (char *)"--quiet";
			av[k++] = (char *)"--no-progress";
			for (int i = 0; i < npass; i++)
				av[k++] = pass[i];
			av[k] = NULL;
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0) {
				execv(exe, av);
				_exit(127);
			}
			free(av);
			if (pid < 0) {
				fprintf(stderr, "kmemsim compare: %s: cannot fork: %s\n", name, strerror(errno));
				failed++;
				done++;
				next++;
				continue;
			}
			kids[next] = (struct compare_child){ pid, name, compare_now() };
			running++;
			next++;
		}
		int status;
		pid_t pid = wait(&status);
		if (pid < 0)
			break;
		for (size_t i = 0; i < next; i++)
			if (kids[i].pid == pid) {
				bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
				fprintf(stderr, "kmemsim compare: %-6s %s (%.1f s)\n", kids[i].name,
					ok ? "done" : "FAILED", compare_now() - kids[i].start);
				failed += !ok;
				kids[i].pid = 0;
				running--;
				done++;
			}
	}
	free(kids);
	return failed;
}

/* ---- the ranked table ---- */

static int compare_table_print(const char *db, const char *study)
{
	char err[512];
	sqlite3 *sdb = runs_open(db, err, sizeof(err));
	if (!sdb) {
		fprintf(stderr, "kmemsim compare: %s\n", err);
		return -1;
	}
	static struct runs_run runs[RUNS_MAX];
	static struct compare_entry e[RUNS_MAX];
	int n = runs_select(sdb, NULL, 0, study, runs);
	for (int i = 0; i < n; i++)
		e[i] = (struct compare_entry){ &runs[i], runs_stat(sdb, runs[i].id, "peak_footprint_bytes", INFINITY), true };
	if (n > 0)
		compare_rank(e, (size_t)n);
	printf("%-4s %-7s %6s %12s %9s %9s %9s %10s %8s\n", "rank", "backend", "run", "peak_fp_MiB",
	       "jw3", "jw4", "int_frag", "failed", "pt_pages");
	for (int i = 0; i < n; i++) {
		const struct runs_run *r = e[i].run;
		printf("%-4d %-7s %6lld %12.3f %9.4f %9.4f %9.4f %10.0f %8.0f\n", i + 1, r->alloc, (long long)r->id,
		       e[i].metric / MIB, runs_stat(sdb, r->id, "jw3_overhead_at_max_footprint", NAN),
		       runs_stat(sdb, r->id, "jw4_max_footprint_over_max_live", NAN),
		       runs_stat(sdb, r->id, "mean_internal_frag", NAN), runs_stat(sdb, r->id, "failed_allocs", NAN),
		       runs_stat(sdb, r->id, "pt_pages", NAN));
	}
	printf("(ranked by peak footprint; jw3 = (F-R)/R at peak F, jw4 = (max F - max R)/max R, "
	       "int_frag = mean (A-R)/A; study %s in %s)\n", study, db);
	runs_close(sdb);
	return n;
}

int cmd_compare(int argc, char **argv)
{
	const char *db = "results.db", *study = NULL, *out = "plots/out";
	bool plot = true;
	char **pass = xcalloc((size_t)argc + 16, sizeof(char *));
	int npass = 0;
	const char *input = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--db") && v) {
			db = argv[++i];
		} else if (!strcmp(a, "--study") && v) {
			study = argv[++i];
		} else if (!strcmp(a, "--out") && v) {
			out = argv[++i];
		} else if (!strcmp(a, "--no-plot")) {
			plot = false;
		} else if (!strcmp(a, "--no-db") || !strcmp(a, "--allocator") || !strcmp(a, "-a") ||
			   !strncmp(a, "--allocator=", 12)) {
			fprintf(stderr, "kmemsim compare: %s makes no sense here: compare runs every back end into a database\n", a);
			free(pass);
			return 2;
		} else if (!strcmp(a, "--help")) {
			printf("usage: kmemsim compare (--trace FILE | SCRIPT.lua) [run options] [--db FILE] [--study LABEL]\n"
			       "                       [--out DIR] [--no-plot]\n");
			free(pass);
			return 0;
		} else {
			/* the input names the study: --trace FILE, --trace=FILE or a
			 * workload script (other values, like --mem's, are not it) */
			size_t al = strlen(a);
			if (!strcmp(a, "--trace") && v)
				input = v;
			else if (!strncmp(a, "--trace=", 8))
				input = a + 8;
			else if (a[0] != '-' && al > 4 && !strcmp(a + al - 4, ".lua") && !input)
				input = a;
			pass[npass++] = argv[i];
		}
	}
	if (!input) {
		fprintf(stderr, "kmemsim compare: needs an input: --trace FILE or SCRIPT.lua\n");
		free(pass);
		return 2;
	}
	char label[256];
	if (!study) {
		char nm[128];
		runs_input_name(input, nm, sizeof(nm));
		snprintf(label, sizeof(label), "compare-%s-%lld-%d", nm, (long long)time(NULL), (int)getpid());
		study = label;
	}
	/* Create the database and its schema (and WAL mode) once, before the
	 * children race to do it. */
	char err[512];
	struct results *res = results_open(db, err, sizeof(err));
	if (!res) {
		fprintf(stderr, "kmemsim compare: %s\n", err);
		free(pass);
		return 2;
	}
	results_close(res);
	char exe[PATH_MAX];
	ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (el <= 0) {
		fprintf(stderr, "kmemsim compare: cannot find my own executable\n");
		free(pass);
		return 2;
	}
	exe[el] = '\0';
	size_t nb = 0;
	while (allocator_registry[nb])
		nb++;
	int failed = compare_run_all(exe, db, study, input, pass, npass);
	free(pass);

	int n = compare_table_print(db, study);
	if (n < 0)
		return 1;
	if (failed)
		fprintf(stderr, "kmemsim compare: %d of %zu runs failed (rows kept, marked failed)\n", failed, nb);
	int prc = 0;
	if (plot && n > 0) {
		struct plot_opts o = { .db = db, .out = out, .study = study };
		prc = plot_write(&o);
	}
	return failed || n == 0 ? 1 : prc;
}
