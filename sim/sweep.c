/*
 * sweep.c - `kmemsim sweep SPEC`: every run of a study, from one file.
 *
 * 1. The spec. A plain text file, one `key = value, value, ...` per line,
 *    `#` to the end of a line a comment:
 *
 *        study     = gcc-small                       # default: the file's name
 *        trace     = tests/data/gcc-small.ftrace.xz  # or: workload = FILE.lua
 *        allocator = all                             # or: slub, slab, nta
 *        mem       = 64M, 128M, 512M
 *        seed      = 1..3                            # a..b: the integers a to b
 *        set.n     = 1000, 5000                      # --set n=1000, a workload parameter
 *        flag.no-merge = off, on                     # a flag option: on gives --no-merge
 *        args      = --sample-every 100              # options of every run, as typed
 *
 *    Every other key K is a run option: `K = v1, v2` is an axis of
 *    `--K v1`, `--K v2` (--cpus, --backing, --page-allocator, back-end
 *    options, whatever `kmemsim run` accepts: the sweep does not know
 *    them, it hands them to run's own parser, see 3). Axes multiply in the
 *    order written, the first outermost: that is the order of the runs
 *    and their index (the Slurm array index, `--dry-run`'s first column).
 *    Why not Lua: a spec is data, not a program. It can be read, diffed
 *    and listed without running anything, on a login node or in a batch
 *    script; each mistake is `SPEC:LINE: what is wrong`; the two things
 *    studies compute (ranges of seeds, every back end) are `a..b` and
 *    `all`. Paths are as `kmemsim run` takes them: relative to the
 *    current directory.
 * 2. Each run is `kmemsim run` of this executable with --allocator,
 *    --seed, the axes' options, args, --study, --db, --quiet and
 *    --no-progress, then the input: its command line is stored with it.
 * 3. The configuration hash. Before anything runs, one child process
 *    parses every planned run's options with run's own parser (main.c
 *    passes it: sweep_params_fn_t) and prints its configuration hash
 *    (params_config_hash: kmemsim commit, the input file's BLAKE2b, every
 *    parameter). So a bad option stops the sweep at once, naming the run,
 *    and a run whose configuration already has an `ok` row in the
 *    database is skipped: an interrupted sweep, run again, does what is
 *    left. The hash covers the commit: a sweep resumed by another build
 *    reruns everything (its numbers could differ).
 * 4. Local processes (-j N, default one per CPU). Each child runs in its
 *    own process group, so a Ctrl-C at the terminal reaches the sweep
 *    only, and the sweep passes each SIGINT or SIGTERM it receives to its
 *    running children once: they stop at their next event, keep their
 *    partial results marked `interrupted` (their own handlers), and the
 *    sweep waits for them and exits 130 or 143. A second signal is passed
 *    on too, which kills the children at once (their rows become
 *    `abandoned`). When a run ends, older rows of its configuration that
 *    did not end ok are deleted (results_superseded_delete): a resumed
 *    sweep leaves one row per configuration. One progress line on stderr
 *    (rewritten on a terminal, a line per finished run otherwise): runs
 *    done of total, failed, running, elapsed and an estimate of the time
 *    left (mean wall time of the finished runs x runs left / processes).
 * 5. Hand-off (--emit slurm | parallel, --out DIR): DIR/jobs.txt, one
 *    `kmemsim run` command line per run still to do, each writing its own
 *    database DIR/db/run-NNNNN.db (no file is shared between nodes); for
 *    Slurm also DIR/sweep.sbatch, a job array with one task per --chunk
 *    runs (default 1), at most --max-tasks at once (`--array=0-N%K`),
 *    each task running its lines of jobs.txt from the directory the
 *    sweep was emitted in. Both print the command that submits and the
 *    `kmemsim merge` that gathers the results.
 * Departures: the sweep does not plot (`kmemsim plot --study S` draws the
 * sweep figures); a configuration being run by another process at the
 * same time (status running) is not skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "hash.h"
#include "params.h"
#include "results.h"
#include "runs.h"
#include "sweep.h"
#include "../allocators/allocator.h"

#define SWEEP_AXES   32     /* axes in one spec */
#define SWEEP_RUNS   100000 /* runs in one sweep at most */
#define SWEEP_WORDS  64     /* words of a run's command line, besides the axes */

enum sweep_axis_kind { AXIS_OPTION, AXIS_SET, AXIS_FLAG };

struct sweep_axis {
	char key[64];                /* the option without "--", or the --set key */
	enum sweep_axis_kind kind;
	char **vals;
	int nvals, line;
};

struct sweep_spec {
	const char *path;
	char study[128];
	char *input;                 /* trace or workload file */
	bool trace;
	struct sweep_axis axes[SWEEP_AXES];
	int naxes;
	char **args;                 /* words of `args =` */
	int nargs;
};

struct sweep_run {
	char **argv;                 /* "run", options, input; NULL-terminated */
	int argc;
	char hash[HASH_HEX];
	int state;                   /* runs_config_status: 2 ok in the database */
	pid_t pid;
	double start;
};

static double sweep_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

__attribute__((format(printf, 3, 4)))
static _Noreturn void sweep_spec_error(const struct sweep_spec *sp, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (line > 0)
		fprintf(stderr, "%s:%d: ", sp->path, line);
	else
		fprintf(stderr, "%s: ", sp->path);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static char *sweep_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' || s[l - 1] == '\n'))
		s[--l] = '\0';
	return s;
}

static void sweep_push(char ***v, int *n, const char *s)
{
	*v = xrealloc(*v, (size_t)(*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

/* "a..b" with decimal a <= b: the integers a..b; else the value itself */
static void sweep_value_add(struct sweep_spec *sp, struct sweep_axis *ax, const char *v, int line)
{
	const char *dots = strstr(v, "..");
	uint64_t a, b;
	if (dots && dots != v) {
		char lo[64];
		snprintf(lo, sizeof(lo), "%.*s", (int)(dots - v), v);
		if (parse_u64(sweep_trim(lo), false, &a) != PARSE_OK || parse_u64(dots + 2, false, &b) != PARSE_OK)
			sweep_spec_error(sp, line, "%s: a range is FROM..TO, two whole numbers (got '%s')", ax->key, v);
		if (b < a || b - a >= SWEEP_RUNS)
			sweep_spec_error(sp, line, "%s: range %s is empty or longer than %d values", ax->key, v, SWEEP_RUNS);
		for (uint64_t x = a;; x++) {
			char num[32];
			snprintf(num, sizeof(num), "%llu", (unsigned long long)x);
			sweep_push(&ax->vals, &ax->nvals, num);
			if (x == b)
				break;
		}
		return;
	}
	sweep_push(&ax->vals, &ax->nvals, v);
}

static void sweep_spec_read(struct sweep_spec *sp, const char *path)
{
	memset(sp, 0, sizeof(*sp));
	sp->path = path;
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "kmemsim sweep: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	char buf[4096];
	int line = 0;
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		if (!strchr(buf, '\n') && !feof(f))
			sweep_spec_error(sp, line, "line longer than %zu bytes", sizeof(buf) - 2);
		if (memchr(buf, '\0', strlen(buf) + 1) != buf + strlen(buf))
			sweep_spec_error(sp, line, "a NUL byte");
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		char *s = sweep_trim(buf);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq)
			sweep_spec_error(sp, line, "expected `key = value, value, ...` (got '%s')", s);
		*eq = '\0';
		char *key = sweep_trim(s), *val = sweep_trim(eq + 1);
		if (!*key || strlen(key) >= 60 || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != strlen(key))
			sweep_spec_error(sp, line, "a key is letters, digits, '-', '_' and '.' (got '%s')", key);
		if (!*val)
			sweep_spec_error(sp, line, "%s has no value", key);
		if (!strcmp(key, "study")) {
			if (sp->study[0])
				sweep_spec_error(sp, line, "study given twice");
			if (strlen(val) >= sizeof(sp->study) || strchr(val, ','))
				sweep_spec_error(sp, line, "study is one label of at most %zu bytes", sizeof(sp->study) - 1);
			snprintf(sp->study, sizeof(sp->study), "%s", val);
			continue;
		}
		if (!strcmp(key, "trace") || !strcmp(key, "workload")) {
			if (sp->input)
				sweep_spec_error(sp, line, "one input per study: trace or workload, once");
			if (strchr(val, ','))
				sweep_spec_error(sp, line, "%s is one file (a study with several inputs is several specs)", key);
			sp->input = xstrdup(val);
			sp->trace = key[0] == 't';
			continue;
		}
		if (!strcmp(key, "args")) {
			if (sp->args)
				sweep_spec_error(sp, line, "args given twice");
			for (char *save = NULL, *w = strtok_r(val, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
				if (!strcmp(w, "--db") || !strcmp(w, "--no-db") || !strcmp(w, "--study"))
					sweep_spec_error(sp, line, "args: %s is the sweep's to choose (sweep --db, study =)", w);
				sweep_push(&sp->args, &sp->nargs, w);
			}
			continue;
		}
		if (!strcmp(key, "db") || !strcmp(key, "no-db") || !strcmp(key, "quiet") || !strcmp(key, "progress") ||
		    !strcmp(key, "no-progress") || !strcmp(key, "trace-file"))
			sweep_spec_error(sp, line, "%s is not an axis: the sweep sets it (sweep --db FILE)", key);
		if (sp->naxes == SWEEP_AXES)
			sweep_spec_error(sp, line, "more than %d axes", SWEEP_AXES);
		for (int i = 0; i < sp->naxes; i++)
			if (!strcmp(sp->axes[i].key, key + (!strncmp(key, "set.", 4) || !strncmp(key, "flag.", 5) ?
							      strchr(key, '.') - key + 1 : 0)) &&
			    (sp->axes[i].kind == AXIS_SET) == !strncmp(key, "set.", 4))
				sweep_spec_error(sp, line, "%s given twice (line %d)", key, sp->axes[i].line);
		struct sweep_axis *ax = &sp->axes[sp->naxes++];
		ax->line = line;
		ax->kind = !strncmp(key, "set.", 4) ? AXIS_SET : !strncmp(key, "flag.", 5) ? AXIS_FLAG : AXIS_OPTION;
		snprintf(ax->key, sizeof(ax->key), "%s", ax->kind == AXIS_OPTION ? key : strchr(key, '.') + 1);
		if (!ax->key[0])
			sweep_spec_error(sp, line, "%s: no name after the dot", key);
		for (char *save = NULL, *w = strtok_r(val, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			char *v = sweep_trim(w);
			if (!*v)
				sweep_spec_error(sp, line, "%s: an empty value", key);
			if (ax->kind == AXIS_OPTION && !strcmp(key, "allocator") && !strcmp(v, "all")) {
				for (size_t b = 0; allocator_registry[b]; b++)
					sweep_push(&ax->vals, &ax->nvals, allocator_registry[b]->name);
				continue;
			}
			if (ax->kind == AXIS_OPTION && !strcmp(key, "allocator") && !allocator_lookup(v))
				sweep_spec_error(sp, line, "allocator: no back end '%s' (see `kmemsim list`)", v);
			if (ax->kind == AXIS_FLAG && strcmp(v, "on") && strcmp(v, "off"))
				sweep_spec_error(sp, line, "%s: a flag is on or off (got '%s')", key, v);
			sweep_value_add(sp, ax, v, line);
		}
		if (!ax->nvals)
			sweep_spec_error(sp, line, "%s has no value", key);
		for (int i = 0; i < ax->nvals; i++)
			for (int j = 0; j < i; j++)
				if (!strcmp(ax->vals[i], ax->vals[j]))
					sweep_spec_error(sp, line, "%s: %s given twice", key, ax->vals[i]);
	}
	fclose(f);
	if (!sp->input)
		sweep_spec_error(sp, 0, "no input: add `trace = FILE` or `workload = FILE.lua`");
	if (!sp->study[0]) {
		/* the file's base name without its extension */
		const char *b = strrchr(path, '/');
		snprintf(sp->study, sizeof(sp->study), "%s", b ? b + 1 : path);
		char *dot = strrchr(sp->study, '.');
		if (dot && dot != sp->study)
			*dot = '\0';
	}
}

/* The runs of the spec: axes multiplied, the first outermost. */
static struct sweep_run *sweep_plan(const struct sweep_spec *sp, int *nruns)
{
	uint64_t n = 1;
	for (int a = 0; a < sp->naxes; a++) {
		n *= (uint64_t)sp->axes[a].nvals;
		if (n > SWEEP_RUNS)
			sweep_spec_error(sp, sp->axes[a].line, "more than %d runs", SWEEP_RUNS);
	}
	struct sweep_run *runs = xcalloc(n, sizeof(*runs));
	int idx[SWEEP_AXES] = { 0 };
	for (uint64_t r = 0; r < n; r++) {
		struct sweep_run *run = &runs[r];
		uint64_t rest = r;
		for (int a = sp->naxes - 1; a >= 0; a--) {
			idx[a] = (int)(rest % (uint64_t)sp->axes[a].nvals);
			rest /= (uint64_t)sp->axes[a].nvals;
		}
		sweep_push(&run->argv, &run->argc, "run");
		for (int a = 0; a < sp->naxes; a++) {
			const struct sweep_axis *ax = &sp->axes[a];
			const char *v = ax->vals[idx[a]];
			char opt[80], kv[4200];
			snprintf(opt, sizeof(opt), "--%s", ax->key);
			if (ax->kind == AXIS_SET) {
				snprintf(kv, sizeof(kv), "%s=%s", ax->key, v);
				sweep_push(&run->argv, &run->argc, "--set");
				sweep_push(&run->argv, &run->argc, kv);
			} else if (ax->kind == AXIS_FLAG) {
				if (!strcmp(v, "on"))
					sweep_push(&run->argv, &run->argc, opt);
			} else {
				sweep_push(&run->argv, &run->argc, opt);
				sweep_push(&run->argv, &run->argc, v);
			}
		}
		for (int i = 0; i < sp->nargs; i++)
			sweep_push(&run->argv, &run->argc, sp->args[i]);
		sweep_push(&run->argv, &run->argc, "--study");
		sweep_push(&run->argv, &run->argc, sp->study);
		sweep_push(&run->argv, &run->argc, "--quiet");
		sweep_push(&run->argv, &run->argc, "--no-progress");
		if (sp->trace)
			sweep_push(&run->argv, &run->argc, "--trace");
		sweep_push(&run->argv, &run->argc, sp->input);
	}
	*nruns = (int)n;
	return runs;
}

/* Every run's configuration hash, from one child that parses each run's
 * options as `kmemsim run` does (a refused option ends that child with
 * run's message and status 2; the sweep then names the run). */
static void sweep_hashes(const struct sweep_spec *sp, struct sweep_run *runs, int n, sweep_params_fn_t params_fn)
{
	int fd[2];
	if (pipe(fd) != 0)
		die("sweep: pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("sweep: fork: %s", strerror(errno));
	if (pid == 0) {
		close(fd[0]);
		FILE *out = fdopen(fd[1], "w");
		char input[PATH_MAX] = "", ihash[HASH_HEX] = "", err[512];
		for (int i = 0; i < n && out; i++) {
			/* a copy: the parser permutes and cuts its words; kept
			 * reachable (runs[i].argv's owner) */
			char **av = xcalloc((size_t)runs[i].argc + 1, sizeof(*av));
			for (int k = 0; k < runs[i].argc; k++)
				av[k] = xstrdup(runs[i].argv[k]);
			struct params p;
			params_fn(runs[i].argc, av, &p);
			const char *in = p.trace ? p.trace : p.script;
			if (strcmp(in, input) != 0) {
				if (!hash_file(in, ihash, err, sizeof(err))) {
					fprintf(stderr, "kmemsim sweep: %s\n", err);
					_exit(2);
				}
				snprintf(input, sizeof(input), "%s", in);
			}
			char h[HASH_HEX];
			params_config_hash(&p, ihash, h, sizeof(h));
			fprintf(out, "%s\n", h);
			for (int k = 0; k < runs[i].argc; k++)
				free(av[k]);
			free(av);
		}
		_exit(out && fclose(out) == 0 ? 0 : 3);
	}
	close(fd[1]);
	FILE *in = fdopen(fd[0], "r");
	int got = 0;
	char line[256];
	while (in && got < n && fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(runs[got++].hash, HASH_HEX, "%.64s", line);
	}
	if (in)
		fclose(in);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got < n || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *cmd = argv_quote(runs[got < n ? got : n - 1].argc, runs[got < n ? got : n - 1].argv);
		fprintf(stderr, "%s: run %d of %d refused (above): kmemsim %s\n", sp->path, got, n, cmd);
		free(cmd);
		exit(2);
	}
}

/* ---- local processes ---- */

static volatile sig_atomic_t sweep_signal, sweep_signals;

static void sweep_signal_handler(int sig)
{
	sweep_signal = sig;
	sweep_signals++;
}

static void sweep_signals_catch(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sweep_signal_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void sweep_duration_format(double s, char *buf, size_t n)
{
	if (isnan(s) || s < 0) {
		snprintf(buf, n, "n/a");
		return;
	}
	long t = lround(s);
	if (t >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

struct sweep_progress {
	int total, done, failed, running, jobs;
	double start, busy;          /* wall time of the finished runs, summed */
	bool tty, shown;
};

static void sweep_progress_show(struct sweep_progress *pg, bool final)
{
	char el[32], left[32];
	sweep_duration_format(sweep_now() - pg->start, el, sizeof(el));
	double eta = NAN;
	if (pg->done > 0)
		eta = pg->busy / pg->done * (pg->total - pg->done) / MAX(1, MIN(pg->jobs, pg->total - pg->done));
	sweep_duration_format(eta, left, sizeof(left));
	fprintf(stderr, "%skmemsim sweep: %d/%d done, %d failed, %d running, %s elapsed, ~%s left%s",
		pg->tty ? "\r" : "", pg->done, pg->total, pg->failed, pg->running, el, left,
		pg->tty && !final ? "\033[K" : "\n");
	pg->shown = !final && pg->tty;
}

/* Run runs[todo[0..ntodo)] on jobs processes. Returns the signal that
 * stopped the sweep (0 when none); *failed: runs that did not exit 0. */
static int sweep_local(const char *exe, const char *db, struct sweep_run *runs, const int *todo, int ntodo, int jobs,
		       int *failed)
{
	struct sweep_progress pg = { .total = ntodo, .jobs = jobs, .start = sweep_now(), .tty = isatty(2) };
	int next = 0, forwarded = 0;
	double shown = 0;
	sweep_signals_catch();
	while (pg.done < ntodo) {
		while (!sweep_signal && next < ntodo && pg.running < jobs) {
			struct sweep_run *r = &runs[todo[next++]];
			char **av = xcalloc((size_t)r->argc + 4, sizeof(*av));
			av[0] = (char *)exe;
			for (int k = 0; k < r->argc; k++)
				av[k + 1] = r->argv[k];
			av[r->argc + 1] = (char *)"--db";
			av[r->argc + 2] = (char *)db;
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0) {
				setpgid(0, 0);   /* the terminal's Ctrl-C is the sweep's to pass on */
				int null = open("/dev/null", O_WRONLY);   /* a workload's prints */
				if (null >= 0) {
					dup2(null, 1);
					close(null);
				}
				signal(SIGINT, SIG_DFL);
				signal(SIGTERM, SIG_DFL);
				execv(exe, av);
				_exit(127);
			}
			free(av);
			if (pid < 0) {
				fprintf(stderr, "kmemsim sweep: cannot fork: %s\n", strerror(errno));
				pg.failed++;
				pg.done++;
				continue;
			}
			setpgid(pid, pid);
			r->pid = pid;
			r->start = sweep_now();
			pg.running++;
		}
		if (sweep_signals > forwarded) {
			forwarded = sweep_signals;
			for (int i = 0; i < next; i++)
				if (runs[todo[i]].pid > 0)
					kill(-runs[todo[i]].pid, sweep_signal);
			if (pg.shown)
				fputc('\n', stderr);
			fprintf(stderr, "kmemsim sweep: %s: stopping %d running runs (their partial results are kept,"
				" marked interrupted); run the sweep again to resume\n",
				sweep_signal == SIGINT ? "SIGINT" : "SIGTERM", pg.running);
			pg.shown = false;
		}
		if (sweep_signal && pg.running == 0)
			break;
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			if (pg.tty && sweep_now() - shown >= 1) {
				sweep_progress_show(&pg, false);
				shown = sweep_now();
			}
			continue;
		}
		for (int i = 0; i < next; i++) {
			struct sweep_run *r = &runs[todo[i]];
			if (r->pid != pid)
				continue;
			bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			r->pid = 0;
			pg.running--;
			pg.done++;
			pg.busy += sweep_now() - r->start;
			if (!ok && !sweep_signal) {
				pg.failed++;
				char *cmd = argv_quote(r->argc, r->argv);
				if (pg.shown)
					fputc('\n', stderr);
				pg.shown = false;
				fprintf(stderr, "kmemsim sweep: run %d failed (exit %d): kmemsim %s\n", todo[i],
					WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), cmd);
				free(cmd);
			}
			char err[512];
			if (r->hash[0] && results_superseded_delete(db, r->hash, err, sizeof(err)) < 0)
				fprintf(stderr, "kmemsim sweep: %s (older rows of run %d's configuration kept)\n", err, todo[i]);
			if (!sweep_signal)
				sweep_progress_show(&pg, false);
			shown = sweep_now();
		}
	}
	if (!sweep_signal && pg.tty)
		sweep_progress_show(&pg, true);
	else if (pg.shown)
		fputc('\n', stderr);
	*failed = pg.failed;
	return sweep_signal;
}

/* ---- hand-off: Slurm and GNU parallel ---- */

/* DIR/jobs.txt: a `kmemsim run` line per run of todo, writing DIR/db/run-NNNNN.db */
static bool sweep_jobs_write(const char *exe, const char *dir, const struct sweep_run *runs, const int *todo, int ntodo)
{
	char path[PATH_MAX + 32], dbdir[PATH_MAX + 16];
	snprintf(dbdir, sizeof(dbdir), "%s/db", dir);
	if ((mkdir(dir, 0777) != 0 && errno != EEXIST) || (mkdir(dbdir, 0777) != 0 && errno != EEXIST)) {
		fprintf(stderr, "kmemsim sweep: cannot create %s: %s\n", dbdir, strerror(errno));
		return false;
	}
	snprintf(path, sizeof(path), "%s/jobs.txt", dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kmemsim sweep: cannot write %s: %s\n", path, strerror(errno));
		return false;
	}
	for (int i = 0; i < ntodo; i++) {
		const struct sweep_run *r = &runs[todo[i]];
		char **av = xcalloc((size_t)r->argc + 4, sizeof(*av));
		char db[PATH_MAX + 32];
		snprintf(db, sizeof(db), "%s/run-%05d.db", dbdir, todo[i]);
		av[0] = (char *)exe;
		for (int k = 0; k < r->argc; k++)
			av[k + 1] = r->argv[k];
		av[r->argc + 1] = (char *)"--db";
		av[r->argc + 2] = db;
		char *line = argv_quote(r->argc + 3, av);
		fprintf(f, "%s\n", line);
		free(line);
		free(av);
	}
	bool ok = fclose(f) == 0;
	if (!ok)
		fprintf(stderr, "kmemsim sweep: cannot write %s\n", path);
	return ok;
}

static bool sweep_sbatch_write(const char *dir, const char *study, int ntodo, int chunk, int max_tasks,
			       const char *cwd, const char *extra)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/sweep.sbatch", dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kmemsim sweep: cannot write %s: %s\n", path, strerror(errno));
		return false;
	}
	int tasks = (ntodo + chunk - 1) / chunk;
	char *qcwd = argv_quote(1, (char *const[]){ (char *)cwd });
	char *qdir = argv_quote(1, (char *const[]){ (char *)dir });
	char name[160];
	snprintf(name, sizeof(name), "kmemsim-%s", study);
	for (char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", *p))
			*p = '_';
	fprintf(f, "#!/bin/bash\n"
		"# kmemsim sweep of study %s: %d runs in %d array tasks of %d (written by kmemsim sweep --emit slurm).\n"
		"# Each task runs its lines of jobs.txt; each run writes its own database under db/.\n"
		"# Submit: sbatch %s/sweep.sbatch   Merge: kmemsim merge results.db %s/db/*.db\n"
		"#SBATCH --job-name=%s\n"
		"#SBATCH --array=0-%d%%%d\n"
		"#SBATCH --ntasks=1\n"
		"#SBATCH --cpus-per-task=1\n"
		"#SBATCH --chdir=%s\n"
		"#SBATCH --output=%s/logs/task-%%a.out\n",
		study, ntodo, tasks, chunk, qdir, qdir, name, tasks - 1, max_tasks, qcwd, dir);
	if (extra && *extra)
		fprintf(f, "#SBATCH %s\n", extra);
	fprintf(f, "set -u\n"
		"chunk=%d\n"
		"first=$(( SLURM_ARRAY_TASK_ID * chunk + 1 ))\n"
		"last=$(( first + chunk - 1 ))\n"
		"rc=0\n"
		"while IFS= read -r cmd; do\n"
		"    eval \"$cmd\" || rc=$?\n"
		"done < <(sed -n \"${first},${last}p\" %s/jobs.txt)\n"
		"exit $rc\n", chunk, qdir);
	free(qcwd);
	free(qdir);
	bool ok = fclose(f) == 0;
	char logs[PATH_MAX + 16];
	snprintf(logs, sizeof(logs), "%s/logs", dir);
	if (mkdir(logs, 0777) != 0 && errno != EEXIST)
		ok = false;
	if (!ok)
		fprintf(stderr, "kmemsim sweep: cannot write %s\n", path);
	return ok;
}

/* ---- the command ---- */

static const char sweep_usage[] =
"usage: kmemsim sweep SPEC [-j N] [--dry-run] [--db FILE]\n"
"       kmemsim sweep SPEC --emit slurm|parallel [--out DIR] [--chunk N] [--max-tasks K]\n"
"                     [--sbatch 'OPTIONS'] [--db FILE]\n"
"\n"
"Runs every run of a study described in SPEC, a plain file of `key = v1, v2, ...`\n"
"lines (# comments):\n"
"  study = LABEL          the runs' study label (default: SPEC's base name)\n"
"  trace = FILE           the input, or: workload = FILE.lua\n"
"  allocator = all        an axis of back ends (all: every one of `kmemsim list`)\n"
"  seed = 1..3            FROM..TO: the whole numbers between\n"
"  set.NAME = v1, v2      a workload parameter (--set NAME=v)\n"
"  flag.NAME = on, off    a flag option: on gives --NAME\n"
"  NAME = v1, v2          any other run option: --NAME v (mem, cpus, backing, ...)\n"
"  args = --opt v ...     options given to every run\n"
"Axes multiply in the order written, the first outermost.\n"
"\n"
"options:\n"
"  -j N                  N runs at a time (default: one per CPU)\n"
"  --dry-run             list the runs (index, whether the database has it, command)\n"
"  --db FILE             results database (default results.db); a run whose configuration\n"
"                        (commit, input bytes, parameters) has an ok row there is skipped\n"
"  --emit slurm          write DIR/jobs.txt and DIR/sweep.sbatch (a job array), print the\n"
"                        submit and merge commands; runs nothing\n"
"  --emit parallel       write DIR/jobs.txt for GNU parallel, print the commands\n"
"  --out DIR             where --emit writes (default sweep-STUDY)\n"
"  --chunk N             runs per Slurm array task (default 1)\n"
"  --max-tasks K         array tasks running at once (--array=0-N%K, default 16)\n"
"  --sbatch 'OPTIONS'    one more #SBATCH line (e.g. '--partition=short --time=10')\n"
"  --help                this text\n"
"\n"
"exit status: 0 every run ok (or nothing to do); 1 a run failed; 2 bad usage or a\n"
"bad spec (SPEC:LINE: reason); 130/143 stopped by SIGINT/SIGTERM (the runs that were\n"
"running are kept, marked interrupted; run the sweep again to resume).\n";

static int sweep_number(const char *opt, const char *v, int min, int max)
{
	uint64_t x;
	if (!v || parse_u64(v, false, &x) != PARSE_OK || x < (uint64_t)min || x > (uint64_t)max) {
		fprintf(stderr, "kmemsim sweep: %s must be %d..%d (got '%s')\n", opt, min, max, v ? v : "");
		exit(2);
	}
	return (int)x;
}

int cmd_sweep(int argc, char **argv, sweep_params_fn_t params_fn)
{
	const char *spec = NULL, *db = "results.db", *emit = NULL, *out = NULL, *sbatch = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int jobs = ncpu > 0 ? (int)ncpu : 1, chunk = 1, max_tasks = 16;
	bool dry = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
			jobs = sweep_number("-j", v, 1, 4096);
			i++;
		} else if (!strncmp(a, "-j", 2) && a[2]) {
			jobs = sweep_number("-j", a + 2, 1, 4096);
		} else if (!strcmp(a, "--dry-run")) {
			dry = true;
		} else if (!strcmp(a, "--db") && v) {
			if (!*v) {
				fprintf(stderr, "kmemsim sweep: --db needs a file name\n");
				return 2;
			}
			db = argv[++i];
		} else if (!strcmp(a, "--emit") && v) {
			emit = argv[++i];
			if (strcmp(emit, "slurm") && strcmp(emit, "parallel")) {
				fprintf(stderr, "kmemsim sweep: --emit is slurm or parallel (got '%s')\n", emit);
				return 2;
			}
		} else if (!strcmp(a, "--out") && v) {
			out = argv[++i];
		} else if (!strcmp(a, "--chunk")) {
			chunk = sweep_number("--chunk", v, 1, SWEEP_RUNS);
			i++;
		} else if (!strcmp(a, "--max-tasks")) {
			max_tasks = sweep_number("--max-tasks", v, 1, SWEEP_RUNS);
			i++;
		} else if (!strcmp(a, "--sbatch") && v) {
			sbatch = argv[++i];
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(sweep_usage, stdout);
			return 0;
		} else if (a[0] != '-' && !spec) {
			spec = a;
		} else {
			fprintf(stderr, "kmemsim sweep: unknown option or missing value '%s'\n(kmemsim sweep --help)\n", a);
			return 2;
		}
	}
	if (!spec) {
		fprintf(stderr, "kmemsim sweep: needs a SPEC file\n(kmemsim sweep --help)\n");
		return 2;
	}
	if ((out || sbatch || chunk != 1) && !emit) {
		fprintf(stderr, "kmemsim sweep: --out, --chunk and --sbatch go with --emit\n");
		return 2;
	}
	static struct sweep_spec sp;
	sweep_spec_read(&sp, spec);
	int n;
	struct sweep_run *runs = sweep_plan(&sp, &n);
	sweep_hashes(&sp, runs, n, params_fn);

	/* what the database has: created here once, before children race to */
	char err[512];
	struct results *res = results_open(db, err, sizeof(err));
	if (!res) {
		fprintf(stderr, "kmemsim sweep: %s\n", err);
		return 2;
	}
	results_close(res);
	sqlite3 *rdb = runs_open(db, err, sizeof(err));
	if (!rdb) {
		fprintf(stderr, "kmemsim sweep: %s\n", err);
		return 2;
	}
	int *todo = xcalloc((size_t)n, sizeof(*todo)), ntodo = 0, nearlier = 0;
	for (int i = 0; i < n; i++) {
		runs[i].state = runs_config_status(rdb, runs[i].hash, NULL, 0);
		if (runs[i].state == 2)
			continue;
		nearlier += runs[i].state == 1;
		todo[ntodo++] = i;
	}
	runs_close(rdb);

	char exe[PATH_MAX];
	ssize_t el = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (el <= 0) {
		fprintf(stderr, "kmemsim sweep: cannot find my own executable\n");
		return 2;
	}
	exe[el] = '\0';
	fprintf(stderr, "kmemsim sweep: study %s: %d runs, %d already ok in %s, %d to run%s\n", sp.study, n, n - ntodo,
		db, ntodo, nearlier ? " (some again: their earlier rows did not end ok)" : "");
	int rc = 0;
	if (dry) {
		for (int i = 0; i < n; i++) {
			char *cmd = argv_quote(runs[i].argc, runs[i].argv);
			printf("%d\t%s\t%.12s\tkmemsim %s --db %s\n", i, runs[i].state == 2 ? "done" : "todo", runs[i].hash,
			       cmd, db);
			free(cmd);
		}
	} else if (emit) {
		char dir[PATH_MAX], cwd[PATH_MAX];
		if (out)
			snprintf(dir, sizeof(dir), "%s", out);
		else
			snprintf(dir, sizeof(dir), "sweep-%s", sp.study);
		if (!getcwd(cwd, sizeof(cwd))) {
			fprintf(stderr, "kmemsim sweep: getcwd: %s\n", strerror(errno));
			return 2;
		}
		if (!ntodo) {
			fprintf(stderr, "kmemsim sweep: nothing to run: every run of the study is in %s\n", db);
		} else if (!sweep_jobs_write(exe, dir, runs, todo, ntodo)) {
			rc = 1;
		} else if (!strcmp(emit, "slurm")) {
			if (!sweep_sbatch_write(dir, sp.study, ntodo, chunk, max_tasks, cwd, sbatch))
				rc = 1;
			else
				printf("submit: sbatch --wait %s/sweep.sbatch\nmerge:  %s merge %s %s/db/*.db\n", dir, exe, db, dir);
		} else {
			printf("submit: cd %s && parallel --jobs %d --joblog %s/parallel.log < %s/jobs.txt\n"
			       "merge:  %s merge %s %s/db/*.db\n", cwd, jobs, dir, dir, exe, db, dir);
		}
	} else if (ntodo) {
		int failed = 0;
		int sig = sweep_local(exe, db, runs, todo, ntodo, jobs, &failed);
		if (sig) {
			fprintf(stderr, "kmemsim sweep: stopped by %s; run it again to resume\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
			rc = 128 + sig;
		} else {
			fprintf(stderr, "kmemsim sweep: study %s: %d runs ran, %d failed, %d were already in %s"
				" (figures: kmemsim plot --db %s --study %s)\n", sp.study, ntodo, failed, n - ntodo, db, db,
				sp.study);
			rc = failed ? 1 : 0;
		}
	}
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < runs[i].argc; k++)
			free(runs[i].argv[k]);
		free(runs[i].argv);
	}
	free(runs);
	free(todo);
	return rc;
}
