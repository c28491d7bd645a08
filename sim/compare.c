/*
 * compare.c - `kmemsim compare`: the registered back ends (or those of
 * --allocators) on one input, in parallel (at most one child per online
 * CPU), each as `kmemsim run` of this very executable (/proc/self/exe)
 * with one study label; then a ranked table from results.db, and the
 * group's figures (plot.c). A failed run is reported and makes the exit
 * status 1; the others are kept.
 *
 * The ranking rule lives here, once (compare_rank; the rule is stated in
 * compare.h): compare's table, index.html's overview and group tables, and
 * the bar chart's order all use it. Failures are shown with their reasons
 * next to every ranking (compare_failures_format).
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

const struct compare_metric compare_metrics[] = {
	{ "peak", "peak_footprint_bytes", "peak footprint (MiB)", "peak_fp_MiB", MIB, 3 },
	{ "final", "final_footprint_bytes", "final footprint (MiB)", "final_fp_MiB", MIB, 3 },
	{ "jw1", "jw1_mean_overhead", "J&W #1 = mean (F-R)/R", "jw1", 1, 4 },
	{ "jw2", "jw2_overhead_at_max_live", "J&W #2 = (F-R)/R at max R", "jw2", 1, 4 },
	{ "jw3", "jw3_overhead_at_max_footprint", "J&W #3 = (F-R)/R at max F", "jw3", 1, 4 },
	{ "jw4", "jw4_max_footprint_over_max_live", "J&W #4 = (max F - max R)/max R", "jw4", 1, 4 },
	{ "int_frag", "mean_internal_frag", "mean internal fragmentation (A-R)/A", "int_frag", 1, 4 },
	{ NULL, NULL, NULL, NULL, 1, 0 },
};

const struct compare_metric *compare_metric_lookup(const char *name)
{
	for (const struct compare_metric *m = compare_metrics; m->name; m++)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

void compare_metric_names(char *buf, size_t n)
{
	size_t l = 0;
	buf[0] = '\0';
	for (const struct compare_metric *m = compare_metrics; m->name && l < n; m++)
		l += (size_t)snprintf(buf + l, n - l, "%s%s", l ? ", " : "", m->name);
}

void compare_entry_read(sqlite3 *db, const struct runs_run *r, const struct compare_metric *m,
			struct compare_entry *e)
{
	double failed = runs_stat(db, r->id, "failed_allocs", NAN);
	double page = runs_stat(db, r->id, "page_failed", NAN);
	e->run = r;
	e->metric = runs_stat(db, r->id, m->key, NAN) / m->scale;
	/* a missing count is not a zero: such a run has not shown it served
	 * everything; nor has a run that ended early */
	e->served = failed == 0 && page == 0 && !runs_ended_early(r);
	e->nruns = 1;
	e->ci95 = NAN;
}

static int compare_entry_cmp(const void *x, const void *y)
{
	const struct compare_entry *a = x, *b = y;
	if (a->served != b->served)
		return a->served ? -1 : 1;
	bool ua = isnan(a->metric), ub = isnan(b->metric);
	if (ua != ub)
		return ua ? 1 : -1;
	if (!ua && a->metric < b->metric)
		return -1;
	if (!ua && a->metric > b->metric)
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

int compare_group_rank(sqlite3 *db, const struct runs_run *runs, int n, int g,
		       const struct compare_metric *m, struct compare_entry *e)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		if (g < 0 || runs[i].group == g)
			compare_entry_read(db, &runs[i], m, &e[k++]);
	compare_rank(e, (size_t)k);
	return k;
}

/* Student's t at 0.975 for df = 1..30; beyond, 1.96 + 2.4/df (within
 * 0.003 of the table up to df = 120, and toward 1.96) */
static const double compare_t975[30] = {
	12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
};

void compare_ci95(const double *v, int n, double *mean, double *half)
{
	double sum = 0;
	*mean = *half = NAN;
	for (int i = 0; i < n; i++) {
		if (isnan(v[i]))
			return;
		sum += v[i];
	}
	if (n < 1)
		return;
	*mean = sum / n;
	if (n < 2)
		return;
	double ss = 0;
	for (int i = 0; i < n; i++)
		ss += (v[i] - *mean) * (v[i] - *mean);
	int df = n - 1;
	double t = df <= 30 ? compare_t975[df - 1] : 1.96 + 2.4 / df;
	*half = t * sqrt(ss / df) / sqrt((double)n);
}

int compare_group_rank_backends(sqlite3 *db, const struct runs_run *runs, int n, int g,
				const struct compare_metric *m, struct compare_entry *e)
{
	int k = 0;
	double *v = xmalloc((size_t)(n ? n : 1) * sizeof(*v));
	for (int i = 0; i < n; i++) {
		if (runs[i].group != g)
			continue;
		bool seen = false;
		for (int j = 0; j < k && !seen; j++)
			seen = !strcmp(e[j].run->alloc, runs[i].alloc);
		if (seen)
			continue;
		/* every run of this back end in the group; the entry's run the
		 * reference seed's first */
		struct compare_entry one, agg = { .served = true };
		int nv = 0;
		for (int j = i; j < n; j++) {
			if (runs[j].group != g || strcmp(runs[j].alloc, runs[i].alloc))
				continue;
			compare_entry_read(db, &runs[j], m, &one);
			v[nv++] = one.metric;
			agg.served &= one.served;
			if (!agg.run || runs[j].seed < agg.run->seed)
				agg.run = &runs[j];
		}
		compare_ci95(v, nv, &agg.metric, &agg.ci95);
		agg.nruns = nv;
		e[k++] = agg;
	}
	free(v);
	compare_rank(e, (size_t)k);
	return k;
}

void compare_run_failures_format(sqlite3 *db, const struct runs_run *r, char *buf, size_t n)
{
	if (!runs_ended_early(r)) {
		compare_failures_format(db, r->id, buf, n);
		return;
	}
	char rest[256];
	compare_failures_format(db, r->id, rest, sizeof(rest));
	bool counts = strcmp(rest, "none") && strcmp(rest, "n/a");
	snprintf(buf, n, "%s%s%s%s%s%s", r->status, r->message[0] ? " (" : "", r->message, r->message[0] ? ")" : "",
		 counts ? "; " : "", counts ? rest : "");
}

void compare_failures_format(sqlite3 *db, int64_t run, char *buf, size_t n)
{
	double failed = runs_stat(db, run, "failed_allocs", NAN);
	double page = runs_stat(db, run, "page_failed", NAN);
	size_t l = 0;
	buf[0] = '\0';
	if (isnan(failed) || isnan(page)) {
		snprintf(buf, n, "n/a");
		return;
	}
	double named = 0;
	for (int i = FAIL_NONE + 1; i < FAIL_NREASONS; i++) {
		char key[64];
		snprintf(key, sizeof(key), "failed_%s", fail_reason_names[i]);
		double v = runs_stat(db, run, key, 0);
		if (v > 0 && l < n)
			l += (size_t)snprintf(buf + l, n - l, "%s%.0f %s", l ? ", " : "", v, fail_reason_names[i]);
		named += v > 0 ? v : 0;
	}
	if (failed > named && l < n)
		l += (size_t)snprintf(buf + l, n - l, "%s%.0f other", l ? ", " : "", failed - named);
	if (page > 0 && l < n)
		l += (size_t)snprintf(buf + l, n - l, "%s%.0f page_alloc", l ? ", " : "", page);
	if (!l)
		snprintf(buf, n, "none");
}

void compare_rule_format(const struct compare_metric *m, char *buf, size_t n)
{
	snprintf(buf, n, "back ends that served the whole workload (no failed allocation, no failed page "
		 "allocation, the run not ended early) first, then by %s, ascending, undefined values (n/a) after every defined one, "
		 "ties by back-end name", m->label);
}

/* ---- process pool ---- */

struct compare_child { pid_t pid; const char *name; double start; };

static double compare_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run back ends names[0..nb) as child `kmemsim run`s with pass[] appended,
 * at most one per online CPU. Returns the number of runs that failed. */
static int compare_run_all(const char *exe, const char *db, const char *study, const char *input,
			   const char *const *names, size_t nb, char **pass, int npass)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int slots = ncpu > 0 ? (int)ncpu : 1;
	struct compare_child *kids = xcalloc(nb, sizeof(*kids));
	int running = 0, failed = 0;
	size_t next = 0, done = 0;
	fprintf(stderr, "kmemsim compare: %zu back ends on %s, %d at a time, study %s\n", nb, input, slots, study);
	while (done < nb) {
		while (next < nb && running < slots) {
			const char *name = names[next];
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

static void compare_value_format(double v, int decimals, char *buf, size_t n)
{
	if (isnan(v))
		snprintf(buf, n, "n/a");
	else
		snprintf(buf, n, "%.*f", decimals, v);
}

/* Print text word-wrapped at width columns, continuation lines indented
 * (text of our own: no line then starts with a number, as table rows do). */
static void compare_wrap_print(const char *text, int width)
{
	int col = 0;
	while (*text) {
		int len = (int)strcspn(text, " ");
		if (col > 0 && col + 1 + len > width) {
			fputs("\n ", stdout);
			col = 1;
		} else if (col > 0) {
			fputc(' ', stdout);
			col++;
		}
		printf("%.*s", len, text);
		col += len;
		text += len;
		while (*text == ' ')
			text++;
	}
	fputc('\n', stdout);
}

/* Print the rows of group g of runs[0..nruns), ranked; returns their number. */
static int compare_group_print(sqlite3 *sdb, const struct runs_run *runs, int nruns, int g,
			       const struct compare_metric *m, struct compare_entry *e)
{
	int n = compare_group_rank(sdb, runs, nruns, g, m, e);
	for (int i = 0; i < n; i++) {
		const struct runs_run *r = e[i].run;
		char v[32], fails[256];
		printf("%-4d %-7s %6lld", i + 1, r->alloc, (long long)r->id);
		for (const struct compare_metric *c = compare_metrics; c->name; c++) {
			compare_value_format(runs_stat(sdb, r->id, c->key, NAN) / c->scale, c->decimals, v, sizeof(v));
			printf(" %*s", c->scale == MIB ? 12 : 9, v);
		}
		compare_value_format(runs_stat(sdb, r->id, "pt_pages", NAN), 0, v, sizeof(v));
		compare_run_failures_format(sdb, r, fails, sizeof(fails));
		printf(" %8s  %s\n", v, fails);
	}
	return n;
}

/* Print the ranked table of study's runs, a ranking per group (runs of
 * other inputs or parameters, a sweep in one study, are never ranked
 * against each other; each group under its title when there are
 * several); returns the number of runs, -1 when the database cannot be
 * read. */
static int compare_table_print(const char *db, const char *study, const struct compare_metric *m)
{
	char err[512];
	sqlite3 *sdb = runs_open(db, err, sizeof(err));
	if (!sdb) {
		fprintf(stderr, "kmemsim compare: %s\n", err);
		return -1;
	}
	static struct runs_run runs[RUNS_MAX];
	static struct compare_entry e[RUNS_MAX];
	int nruns = runs_select(sdb, NULL, 0, study, runs), groups = 0, total = 0;
	for (int i = 0; i < nruns; i++)
		groups = MAX(groups, runs[i].group + 1);
	printf("%-4s %-7s %6s", "rank", "backend", "run");
	for (const struct compare_metric *c = compare_metrics; c->name; c++)
		printf(" %*s", c->scale == MIB ? 12 : 9, c->column);
	printf(" %8s  %s\n", "pt_pages", "failures");
	for (int g = 0; g < groups; g++) {
		if (groups > 1) {
			char title[256];
			runs_group_title(runs, nruns, g, title, sizeof(title));
			printf("== %s\n", title);
		}
		total += compare_group_print(sdb, runs, nruns, g, m, e);
	}
	char note[1024], rule[512];
	compare_rule_format(m, rule, sizeof(rule));
	snprintf(note, sizeof(note), "(ranked: %s; jw1 = mean (F-R)/R, jw2 = (F-R)/R at max R, jw3 = (F-R)/R "
		 "at max F, jw4 = (max F - max R)/max R, int_frag = mean (A-R)/A, failures = failed allocations "
		 "by reason)", rule);
	compare_wrap_print(note, 96);
	printf("(study %s in %s)\n", study, db);
	runs_close(sdb);
	return total;
}

static const char compare_usage[] =
"usage: kmemsim compare (--trace FILE | SCRIPT.lua) [options] [run options]\n"
"\n"
"Runs back ends on the same input in parallel (one `kmemsim run` each, at most\n"
"one per CPU) into one study of a database, prints them ranked, and draws the\n"
"figures of the study (as `kmemsim plot --study`).\n"
"\n"
"options:\n"
"  --trace FILE          the input: a trace (ftrace, trace-cmd report, glibc mtrace; .xz ok)\n"
"  SCRIPT.lua            or a Lua workload\n"
"  --allocators A,B,...  back ends to run (default: every one of `kmemsim list`)\n"
"  --rank-by METRIC      peak (default; peak_footprint_bytes), final (final_footprint_bytes),\n"
"                        jw1, jw2, jw3, jw4 (Johnstone & Wilson #1-#4), int_frag\n"
"                        (mean_internal_frag)\n"
"  --db FILE             results database (default results.db)\n"
"  --study LABEL         study label of the runs (default compare-INPUT-TIME-PID)\n"
"  --out DIR             figures and index.html go to DIR/STUDY/ (default plots/out)\n"
"  --no-plot             print the table only\n"
"  --help                this text\n"
"run options, passed to every run (see `kmemsim --help`): --mem, --cpus, --seed,\n"
"  --sample-every, --sample-ns, --snapshot-every, --check-every, --lenient,\n"
"  --no-page-events, --set KEY=VALUE, --max-order, --reserve, --no-merge,\n"
"  --slub-min-objects, --slub-max-order, --zone-map, --nta-release, --nta-chunk,\n"
"  --backing, --pt-levels, --pt-reserve\n"
"\n"
"Ranking: back ends that served the whole workload (failed_allocs = 0 and\n"
"page_failed = 0) first, then the metric ascending, undefined values (n/a) after\n"
"every defined one, ties by back-end name. The failures column gives failed\n"
"allocations by reason (failed_<reason> in run_stats).\n"
"\n"
"exit status: 0 every run finished; 1 a run failed or none finished;\n"
"2 bad usage.\n";

/* Parse --allocators' comma-separated list into names, in the order
 * given; false and a message on an unknown, repeated or empty name. */
static bool compare_allocators_parse(const char *list, const char **names, size_t *nb)
{
	char valid[256] = "";
	size_t vl = 0;
	for (size_t b = 0; allocator_registry[b]; b++)
		vl += (size_t)snprintf(valid + vl, sizeof(valid) - MIN(vl, sizeof(valid)), "%s%s", b ? ", " : "",
				       allocator_registry[b]->name);
	*nb = 0;
	for (const char *p = list;;) {
		size_t len = strcspn(p, ",");
		const struct allocator_ops *ops = NULL;
		for (size_t b = 0; allocator_registry[b]; b++)
			if (strlen(allocator_registry[b]->name) == len && !strncmp(allocator_registry[b]->name, p, len))
				ops = allocator_registry[b];
		if (!ops) {
			fprintf(stderr, "kmemsim compare: --allocators: unknown back end '%.*s' (valid: %s)\n",
				(int)len, p, valid);
			return false;
		}
		for (size_t i = 0; i < *nb; i++)
			if (names[i] == ops->name) {
				fprintf(stderr, "kmemsim compare: --allocators: %s named twice\n", ops->name);
				return false;
			}
		names[(*nb)++] = ops->name;
		if (!p[len])
			break;
		p += len + 1;
	}
	return true;
}

int cmd_compare(int argc, char **argv)
{
	const char *db = "results.db", *study = NULL, *out = "plots/out";
	const struct compare_metric *metric = &compare_metrics[0];
	bool plot = true;
	char **pass = xcalloc((size_t)argc + 16, sizeof(char *));
	int npass = 0;
	const char *input = NULL;
	size_t nreg = 0;
	while (allocator_registry[nreg])
		nreg++;
	const char **names = xcalloc(nreg + 1, sizeof(*names));
	size_t nb = nreg;
	for (size_t b = 0; b < nreg; b++)
		names[b] = allocator_registry[b]->name;
	int rc = 2;
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
		} else if (!strcmp(a, "--rank-by") || !strncmp(a, "--rank-by=", 10)) {
			const char *val = a[9] == '=' ? a + 10 : v;
			if (a[9] != '=')
				i++;
			metric = val ? compare_metric_lookup(val) : NULL;
			if (!metric) {
				char valid[128];
				compare_metric_names(valid, sizeof(valid));
				fprintf(stderr, "kmemsim compare: --rank-by needs one of %s (got '%s')\n", valid,
					val ? val : "");
				goto out;
			}
		} else if (!strcmp(a, "--allocators") || !strncmp(a, "--allocators=", 13)) {
			const char *val = a[12] == '=' ? a + 13 : v;
			if (a[12] != '=')
				i++;
			if (!val || !compare_allocators_parse(val, names, &nb)) {
				if (!val)
					fprintf(stderr, "kmemsim compare: --allocators needs a list such as slub,slab\n");
				goto out;
			}
		} else if (!strcmp(a, "--no-db") || !strcmp(a, "--allocator") || !strcmp(a, "-a") ||
			   !strncmp(a, "--allocator=", 12)) {
			fprintf(stderr, "kmemsim compare: %s makes no sense here: compare runs back ends into a database"
				" (choose them with --allocators A,B,...)\n", a);
			goto out;
		} else if (!strcmp(a, "--help")) {
			fputs(compare_usage, stdout);
			rc = 0;
			goto out;
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
		goto out;
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
		goto out;
	}
	results_close(res);
	char exe[PATH_MAX];
	ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (el <= 0) {
		fprintf(stderr, "kmemsim compare: cannot find my own executable\n");
		goto out;
	}
	exe[el] = '\0';
	int failed = compare_run_all(exe, db, study, input, names, nb, pass, npass);

	int n = compare_table_print(db, study, metric);
	rc = 1;
	if (n < 0)
		goto out;
	if (failed)
		fprintf(stderr, "kmemsim compare: %d of %zu runs failed (rows kept, marked failed)\n", failed, nb);
	int prc = 0;
	if (plot && n > 0) {
		/* the study's own folder: never another study's figures or index.html */
		static char dir[PATH_MAX];
		char slug[128];
		plot_slug(study, slug, sizeof(slug));
		snprintf(dir, sizeof(dir), "%s/%s", out, slug);
		static struct plot_opts o;
		o = (struct plot_opts){ .db = db, .out = dir, .study = study, .rank_by = metric };
		prc = plot_write(&o);
	}
	rc = failed || n == 0 ? 1 : prc;
out:
	free(pass);
	free(names);
	return rc;
}
