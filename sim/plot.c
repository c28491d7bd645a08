/*
 * plot.c - `kmemsim plot`: the figure driver. It reads results.db
 * (runs.c), writes tab-separated data files into the output directory,
 * runs the gnuplot scripts of plots/ on them (several gnuplot processes at
 * once, each drawing one figure in every asked format: PNG, PDF, SVG; each
 * a paper column's width or the page's), records what it wrote in a
 * manifest, and hands the figures to report.c for index.html. Where it
 * departs from the older figures: time is always allocator events (never
 * simulated seconds in one group and events in another), and per-run heat
 * maps became small multiples (buddy, caches) so back ends sit side by
 * side.
 *
 * Figure kinds (plot_kinds[], `--kind`): per group of runs (one
 * experiment: same study, input and parameters, every back end, maybe
 * several seeds; runs.h) or per run. Time runs along allocator events in
 * every figure (J&W's clock, the same in every group).
 *   bars       peak footprint, J&W #3 and #4, and failures (or, when no
 *              run failed, mean internal fragmentation), back ends in
 *              ranked order (compare.c's rule), mean and 95% CI over
 *              seeds; hatched: did not serve the whole workload; log
 *              scales where the back ends differ by 20x and more;
 *              undefined values written NaN and labelled n/a, never 0
 *   footprint  F(t) per back end and R(t) (one line per distinct R: a back
 *              end that failed allocations has its own), log axis, the
 *              workload's labelled snapshots as phase marks
 *   thp        Gorman's unusable free space and fragmentation indices at
 *              the THP order (9, 2 MiB) over time, one line per back end
 *   frag       F/R and A/R (log) and hostage pages over time
 *   unusable, fragindex  the index per order over time, a panel per order,
 *              one line per back end (mmtests' extfrag graphs)
 *   hugefree   free 2 MiB frames over time (blocks of order >= 9 counted
 *              in 2 MiB units, over every zone), and the free memory
 *              that would make if it were contiguous
 *   memmap     physical memory over time: frames x time, each cell the
 *              owner kind of most of its frames (plot_owner_scheme), one
 *              panel per back end
 *   buddy      free blocks per order over time, a panel per zone and
 *              back end
 *   caches     the largest caches at peak footprint, a panel per back end:
 *              bytes in live objects, free slots and slab waste, the rest
 *              summed
 *   sweep      (per study, one figure per swept parameter and per set of
 *              values of the other swept parameters) the ranking metric
 *              (--rank-by, peak footprint by default) against the
 *              parameter's values, one line per back end, the mean over
 *              seeds with its 95% CI (Student's t); an open mark: the back
 *              end did not serve the whole workload at that value (in some
 *              seed); a log x axis when every value is > 0 and they span 8x
 *              or more; a parameter that is not a number is a category
 *   bitmap     (per run) a snapshot's pages in NTA's style: a row per
 *              page, a column per chunk (granule), used or free; a
 *              density map (used fraction per cell of pages) when the back
 *              end holds more than PLOT_BITMAP_PAGES pages
 * A run that ended early (failed, interrupted, abandoned) is drawn: its
 * lines end with a cross and its key entry says how it ended.
 *
 * Files: run<ID>_<what>.tsv and grp<N>_<what>.tsv (data, beside the
 * figures so a figure can be checked against the database: the series of
 * line figures, the bars, frames per owner class of every snapshot, used
 * granules per page of a bitmap), grp<N>_<kind> and run<ID>_<kind> .png
 * (200 dpi), .pdf and, for the vector kinds (lines, bars; plot_kinds[].svg)
 * or when --format asks, .svg; gnuplot.log, index.html and manifest.tsv
 * (file, kind, title, status of everything written). An image's matrix
 * goes to a temporary float32 file (.BASE.bin) that is removed once
 * gnuplot is done: the database holds its source. A new full `plot` first
 * removes the files the old manifest lists, and only those; `--kind`,
 * `--format` or `--snapshot` draw what is asked, keep the other files and
 * leave index.html alone. Sizes, fonts and dpi are in plots/common.gp.
 * KMEMSIM_PLOT_TIMES=1 prints how long each figure took to draw.
 * Strings from the database are sanitized before they reach gnuplot
 * (plot_sanitize: no quote, backslash, newline or macro '@').
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "compare.h"
#include "metrics.h"
#include "physmem.h"
#include "plot.h"
#include "report.h"
#include "runs.h"
#include "../allocators/allocator.h"

#define PLOT_BITMAP_PAGES  8192   /* chunk picture up to this many held pages (32 MiB) */
#define PLOT_IMAGE_COLS    1000   /* chunk picture: cells across at most (about a PNG pixel each at page width) */
#define PLOT_IMAGE_ROWS    900    /* and down */
#define PLOT_IMAGE_NARROW  480    /* a chunk picture wider or taller than this is drawn page wide */
#define PLOT_DENSITY_COLS  64     /* density map: cells per row */
#define PLOT_DENSITY_ROWS  64     /* and rows at most */
#define PLOT_TIME_COLS     240    /* time columns of the heat maps and the memory map */
#define PLOT_MAP_ROWS      192    /* frame rows of the memory map */
#define PLOT_CACHES        8      /* caches named in the cache figure; the rest are "others" */
#define PLOT_MAX_SERIES    16     /* runs in a figure over time (lines, panels) at most */
#define PLOT_MAX_JOBS      4      /* gnuplot processes at once (and at most one per CPU) */
#define PLOT_THP_ORDER     9      /* x86-64's 2 MiB huge page */
#define PLOT_LOG_RATIO     20.0   /* a bar panel is logarithmic from this max/min on */
#define PLOT_MANIFEST      "manifest.tsv"

/* ---- kinds ---- */

enum plot_kind_id {
	K_BARS, K_FOOTPRINT, K_THP, K_FRAG, K_UNUSABLE, K_FRAGINDEX, K_HUGEFREE, K_MEMMAP,
	K_BUDDY, K_CACHES, K_BITMAP, K_SWEEP, K_N
};

struct plot_kind {
	const char *name;     /* --kind */
	const char *script;   /* in plots/ */
	bool per_run;
	bool key;             /* one of a group's three leading figures */
	bool svg;             /* SVG by default: vector and small (lines, bars); images are PNG and PDF only */
	const char *help;     /* --help */
};

static const struct plot_kind plot_kinds[K_N] = {
	[K_BARS] = { "bars", "bars.gp", false, true, true,
		     "peak footprint, J&W #3, #4, failures; ranked; mean and 95% CI over seeds" },
	[K_FOOTPRINT] = { "footprint", "footprint.gp", false, true, true,
			  "F(t) per back end and R(t), log axis, phase marks" },
	[K_THP] = { "thp", "thp.gp", false, true, true,
		    "unusable free space and fragmentation index at order 9 (2 MiB) over time" },
	[K_FRAG] = { "frag", "frag.gp", false, false, false, "F/R, A/R (log) and hostage pages over time" },
	[K_UNUSABLE] = { "unusable", "extfrag.gp", false, false, false,
			 "Gorman's unusable free space index, a panel per order" },
	[K_FRAGINDEX] = { "fragindex", "extfrag.gp", false, false, false,
			  "Gorman's fragmentation index, a panel per order" },
	[K_HUGEFREE] = { "hugefree", "hugefree.gp", false, false, true, "free 2 MiB frames over time" },
	[K_MEMMAP] = { "memmap", "memmap.gp", false, false, false,
		       "physical memory over time coloured by owner, a panel per back end" },
	[K_BITMAP] = { "bitmap", "bitmap.gp", true, false, false,
		       "a snapshot's pages: NTA's chunk picture, or a density map" },
	[K_BUDDY] = { "buddy", "buddy.gp", false, false, false,
		      "free blocks per order over time, a panel per zone and back end" },
	[K_CACHES] = { "caches", "caches.gp", false, false, true,
		       "largest caches at peak footprint, a panel per back end" },
	[K_SWEEP] = { "sweep", "sweep.gp", false, false, true,
		      "(per study) the ranking metric against each swept parameter, a line per back end, mean and 95% CI over seeds" },
};

unsigned plot_kind_lookup(const char *name)
{
	for (int k = 0; k < K_N; k++)
		if (!strcmp(plot_kinds[k].name, name))
			return 1u << k;
	return 0;
}

static const char *const plot_format_names[] = { "png", "pdf", "svg" };

/* ---- the physical memory map's colours ----
 *
 * One colour scheme per way of classifying frames, each a table of
 * classes: the owner kind today (snapshot owner codes, SNAP_* and enum
 * frame_owner); migratetypes are one more table and classifier when the
 * page layer stores them. Colours from Okabe & Ito's colour-blind-safe
 * set; free memory light grey, reserved black.
 */
struct plot_class { const char *label, *colour; };
struct plot_scheme {
	const char *name;
	const struct plot_class *classes;
	int nclasses;
	int (*classify)(unsigned code);   /* snapshot owner code -> class */
};

enum { PC_FREE, PC_RESERVED, PC_SLAB, PC_OBJECT, PC_LARGE, PC_PGTABLE, PC_POOL, PC_TRACE, PC_OTHER, PC_N };
static const struct plot_class plot_owner_classes[PC_N] = {
	[PC_FREE] = { "free", "#DDDDDD" },
	[PC_RESERVED] = { "reserved (firmware, kernel)", "#000000" },
	[PC_SLAB] = { "slab, zone, SLOB or NTA page", "#E69F00" },
	[PC_OBJECT] = { "buddy back-end object", "#0072B2" },
	[PC_LARGE] = { "large object (whole pages)", "#CC79A7" },
	[PC_PGTABLE] = { "page table", "#009E73" },
	[PC_POOL] = { "reserve pool", "#56B4E9" },
	[PC_TRACE] = { "trace page allocation", "#F0E442" },
	[PC_OTHER] = { "other owner", "#D55E00" },
};

static int plot_owner_classify(unsigned code)
{
	if (code == SNAP_FREE)
		return PC_FREE;
	if (code == SNAP_RESERVED)
		return PC_RESERVED;
	switch (code - SNAP_OWNER_BASE) {
	case OWNER_SLAB: return PC_SLAB;
	case OWNER_BUDDY_OBJ: return PC_OBJECT;
	case OWNER_LARGE: return PC_LARGE;
	case OWNER_PGTABLE: return PC_PGTABLE;
	case OWNER_RESERVE: return PC_POOL;
	case OWNER_PAGE: return PC_TRACE;
	default: return PC_OTHER;
	}
}

static const struct plot_scheme plot_owner_scheme = { "owner", plot_owner_classes, PC_N, plot_owner_classify };

/* One colour per back end, the same in every figure: its place in the
 * registry (Okabe & Ito's colour-blind-safe set). */
static const char *plot_backend_colour(const char *name)
{
	static const char *const c[] = { "#0072B2", "#D55E00", "#009E73", "#CC79A7",
					 "#E69F00", "#56B4E9", "#000000", "#999999" };
	for (size_t i = 0; allocator_registry[i]; i++)
		if (!strcmp(allocator_registry[i]->name, name))
			return c[i % ARRAY_SIZE(c)];
	return c[ARRAY_SIZE(c) - 1];
}

/* ---- strings ---- */

/* Make s safe inside a gnuplot '...' or "..." string and a TSV field. */
static void plot_sanitize(char *s)
{
	for (; *s; s++)
		if (*s == '\'' || *s == '"' || *s == '\\' || *s == '\n' || *s == '@' || *s == '\t' || *s == '\r')
			*s = '_';
}

/* src as one word of a TSV field: sanitized, spaces made '_', never empty. */
static void plot_word(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	if (!src[0])
		src = "?";
	for (; src[i] && i + 1 < n; i++)
		dst[i] = src[i] == ' ' ? '_' : src[i];
	dst[i] = '\0';
	plot_sanitize(dst);
}

void plot_slug(const char *s, char *out, size_t n)
{
	size_t i = 0;
	for (; s[i] && i + 1 < n; i++) {
		char c = s[i];
		bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
			   c == '-' || c == '_';
		out[i] = okc ? c : '_';
	}
	out[i] = '\0';
	if (!out[0] || !strcmp(out, ".") || !strcmp(out, ".."))
		snprintf(out, n, "study");
}

/* Append word w, quoted for gnuplot's word(), to list (of size n). */
static void plot_list_add(char *list, size_t n, const char *w)
{
	size_t l = strlen(list), wl = strlen(w);
	if (l + wl + 4 > n)
		return;   /* never a word cut in half */
	if (l)
		list[l++] = ' ';
	list[l++] = '\'';
	memcpy(list + l, w, wl);
	l += wl;
	list[l++] = '\'';
	list[l] = '\0';
}

/* ---- the context: gnuplot processes, figures, files written ---- */

struct plot_file { char name[96], kind[16], title[200], status[8]; };

struct plot_ctx {
	sqlite3 *db;
	const char *out, *gpdir;
	bool have_gnuplot;
	unsigned kinds, formats;
	bool formats_asked;     /* --format given: SVG for every kind asked */
	const char *snapshot;
	bool snapshot_found;
	unsigned failures;
	struct report_fig *figs;
	char (*titles)[200];    /* figs' gnuplot titles, for the manifest */
	unsigned *fmts;         /* figs' formats asked */
	int nfigs, capfigs;
	struct { pid_t pid; int fig; double start; char tmp[PATH_MAX]; } jobs[PLOT_MAX_JOBS];
	int njobs, slots;
	struct plot_file *files;
	int nfiles, capfiles;
};

static void plot_file_note(struct plot_ctx *pc, const char *name, const char *kind, const char *title,
			   const char *status)
{
	if (pc->nfiles == pc->capfiles) {
		pc->capfiles = pc->capfiles ? 2 * pc->capfiles : 256;
		pc->files = xrealloc(pc->files, (size_t)pc->capfiles * sizeof(*pc->files));
	}
	struct plot_file *f = &pc->files[pc->nfiles++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	snprintf(f->title, sizeof(f->title), "%s", title);
	snprintf(f->status, sizeof(f->status), "%s", status);
	plot_sanitize(f->title);
}

/* plots/ beside the executable (./kmemsim, build/test/kmemsim), or
 * $KMEMSIM_PLOTS, or ./plots. */
static const char *plot_scripts_dir(void)
{
	static char dir[2 * PATH_MAX + 32];
	const char *env = getenv("KMEMSIM_PLOTS");
	if (env && *env)
		return env;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		static const char *const rel[] = { "/plots", "/../plots", "/../../plots" };
		for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
			snprintf(dir, sizeof(dir), "%s%s/common.gp", exe, rel[i]);
			if (access(dir, R_OK) == 0) {
				snprintf(dir, sizeof(dir), "%s%s", exe, rel[i]);
				return dir;
			}
		}
	}
	return "plots";
}

static double plot_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A gnuplot process ended: check every file it was to write. */
static void plot_job_done(struct plot_ctx *pc, int fig, int status)
{
	struct report_fig *f = &pc->figs[fig];
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	unsigned wrote = 0;
	for (int i = 0; i < 3; i++) {
		if (!(pc->fmts[fig] & (1u << i)))
			continue;
		char path[PATH_MAX], name[96];
		snprintf(name, sizeof(name), "%s.%s", f->base, plot_format_names[i]);
		snprintf(path, sizeof(path), "%s/%s", pc->out, name);
		struct stat st;
		if (stat(path, &st) == 0 && st.st_size > 0) {
			wrote |= 1u << i;
			plot_file_note(pc, name, "figure", pc->titles[fig], ok ? "ok" : "failed");
		}
	}
	if (!ok || wrote != pc->fmts[fig]) {
		fprintf(stderr, "kmemsim plot: gnuplot failed for %s (see %s/gnuplot.log)\n", f->base, pc->out);
		pc->failures++;
		wrote = ok ? wrote : 0;
	}
	f->formats = wrote;
}

/* Wait for one gnuplot process; false when none runs. */
static bool plot_job_reap(struct plot_ctx *pc)
{
	if (!pc->njobs)
		return false;
	int status;
	pid_t pid = waitpid(-1, &status, 0);
	while (pid < 0 && errno == EINTR)
		pid = waitpid(-1, &status, 0);
	if (pid < 0) {
		pc->njobs = 0;
		return false;
	}
	for (int i = 0; i < pc->njobs; i++)
		if (pc->jobs[i].pid == pid) {
			plot_job_done(pc, pc->jobs[i].fig, status);
			if (pc->jobs[i].tmp[0])
				unlink(pc->jobs[i].tmp);
			if (getenv("KMEMSIM_PLOT_TIMES"))
				fprintf(stderr, "kmemsim plot: %s: %.2f s\n", pc->figs[pc->jobs[i].fig].base,
					plot_now() - pc->jobs[i].start);
			pc->jobs[i] = pc->jobs[--pc->njobs];
			break;
		}
	return true;
}

/*
 * Record figure base of kind k (title: its gnuplot title; caption: what
 * index.html says it shows) and start gnuplot on it: one process draws
 * every asked format, loading the script once per format. vars: gnuplot
 * assignments the script reads.
 */
static void plot_figure(struct plot_ctx *pc, int k, const char *base, const char *title, const char *caption,
			int group, const struct runs_run *run, const char *vars, const char *tmp)
{
	if (pc->nfigs == pc->capfigs) {
		pc->capfigs = pc->capfigs ? 2 * pc->capfigs : 64;
		pc->figs = xrealloc(pc->figs, (size_t)pc->capfigs * sizeof(*pc->figs));
		pc->titles = xrealloc(pc->titles, (size_t)pc->capfigs * sizeof(*pc->titles));
		pc->fmts = xrealloc(pc->fmts, (size_t)pc->capfigs * sizeof(*pc->fmts));
	}
	int fig = pc->nfigs++;
	struct report_fig *f = &pc->figs[fig];
	memset(f, 0, sizeof(*f));
	snprintf(f->base, sizeof(f->base), "%s", base);
	snprintf(f->caption, sizeof(f->caption), "%s", caption);
	f->group = group;
	f->run = run ? run->id : 0;
	f->alloc = run ? run->alloc : NULL;
	f->key = plot_kinds[k].key;
	snprintf(pc->titles[fig], sizeof(pc->titles[0]), "%s", title);
	plot_sanitize(pc->titles[fig]);
	unsigned fmts = pc->formats;
	if (!pc->formats_asked && !plot_kinds[k].svg)
		fmts &= ~(unsigned)PLOT_SVG;
	pc->fmts[fig] = fmts;
	if (!pc->have_gnuplot) {
		if (tmp)
			unlink(tmp);
		return;
	}
	/* argv: gnuplot, then per format "-e assignments" and the script */
	char *argv[16], sp[PATH_MAX + 64], *e[3];
	int ac = 0;
	argv[ac++] = (char *)"gnuplot";
	snprintf(sp, sizeof(sp), "%s/%s", pc->gpdir, plot_kinds[k].script);
	for (int i = 0; i < 3; i++) {
		e[i] = NULL;
		if (!(fmts & (1u << i)))
			continue;
		size_t len = strlen(vars) + 3 * PATH_MAX + 512;
		e[i] = xmalloc(len);
		snprintf(e[i], len, "fmt='%s'; out='%s/%s.%s'; gpdir='%s'; dir='%s'; kind='%s'; ttl='%s'; %s",
			 plot_format_names[i], pc->out, base, plot_format_names[i], pc->gpdir, pc->out,
			 plot_kinds[k].name, pc->titles[fig], vars);
		argv[ac++] = (char *)"-e";
		argv[ac++] = e[i];
		argv[ac++] = sp;
	}
	argv[ac] = NULL;
	while (pc->njobs >= pc->slots)
		plot_job_reap(pc);
	char logp[PATH_MAX + 16];
	snprintf(logp, sizeof(logp), "%s/gnuplot.log", pc->out);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		/* gnuplot's warnings (a data file with no point, NaN cells) to gnuplot.log */
		int fd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0666);
		if (fd >= 0) {
			char head[256];
			int hl = snprintf(head, sizeof(head), "== %s\n", base);
			if (write(fd, head, (size_t)hl) < 0) {
				/* the log is a help, not a result */
			}
			dup2(fd, 2);
			close(fd);
		}
		execvp("gnuplot", argv);
		_exit(127);
	}
	for (int i = 0; i < 3; i++)
		free(e[i]);
	if (pid < 0) {
		fprintf(stderr, "kmemsim plot: cannot start gnuplot: %s\n", strerror(errno));
		pc->failures++;
		if (tmp)
			unlink(tmp);
		return;
	}
	snprintf(pc->jobs[pc->njobs].tmp, sizeof(pc->jobs[0].tmp), "%s", tmp ? tmp : "");
	pc->jobs[pc->njobs].pid = pid;
	pc->jobs[pc->njobs].fig = fig;
	pc->jobs[pc->njobs].start = plot_now();
	pc->njobs++;
}

static FILE *plot_tsv_open(struct plot_ctx *pc, const char *name, const char *what, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", pc->out, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kmemsim plot: cannot write %s: %s\n", path, strerror(errno));
		pc->failures++;
		return NULL;
	}
	plot_file_note(pc, name, "data", what, "ok");
	return f;
}

/* A value for a TSV: %.*g, or NaN (gnuplot leaves a gap; never 0). */
static void plot_tsv_value(FILE *f, double v, int digits)
{
	if (isnan(v))
		fputs("\tNaN", f);
	else
		fprintf(f, "\t%.*g", digits, v);
}

/* An image's matrix for gnuplot, float32 in host order (gnuplot's
 * "binary array" default): a temporary file, OUT/.BASE.bin, removed once
 * gnuplot is done. Images are large and their source is the database:
 * the figure's checkable numbers go to a small .tsv instead. */
static FILE *plot_tmp_open(struct plot_ctx *pc, const char *base, char *path, size_t n)
{
	snprintf(path, n, "%s/.%s.bin", pc->out, base);
	FILE *f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "kmemsim plot: cannot write %s: %s\n", path, strerror(errno));
		pc->failures++;
	}
	return f;
}

static void plot_tmp_put(FILE *f, double v)
{
	float x = (float)v;
	fwrite(&x, sizeof(x), 1, f);
}

/* ---- groups ---- */

struct plot_group {
	int g;
	char title[256];        /* as stored; gnuplot strings sanitize it */
	struct compare_entry *e;    /* the reference seed's runs, ranked */
	int n;
	struct compare_entry *agg;  /* one entry per back end over seeds, ranked */
	int nagg, nseeds;
	uint64_t seed;
	int64_t xmax;           /* largest event count of the group's samples */
	double xscale;
	char xlab[48];
	char zone[16];          /* the zone of Gorman's index figures */
	int maxord;             /* largest order with buddy rows, -1: none */
	/* the reference runs with samples, ranked: their series files, key
	 * labels and colours as gnuplot word lists */
	char files[8192], labels[2048], colours[1024];
	int nseries;
};

/* "slub" or "slub (interrupted)": a key entry */
static void plot_run_label(const struct runs_run *r, char *out, size_t n)
{
	if (runs_ended_early(r))
		snprintf(out, n, "%s (%s)", r->alloc, r->status);
	else
		snprintf(out, n, "%s", r->alloc);
	plot_sanitize(out);
}

/* x: events of the group, in thousands or millions when large */
static void plot_xaxis_pick(struct plot_group *gr)
{
	if (gr->xmax >= 2000000) {
		gr->xscale = 1e-6;
		snprintf(gr->xlab, sizeof(gr->xlab), "allocator events (millions)");
	} else if (gr->xmax >= 2000) {
		gr->xscale = 1e-3;
		snprintf(gr->xlab, sizeof(gr->xlab), "allocator events (thousands)");
	} else {
		gr->xscale = 1;
		snprintf(gr->xlab, sizeof(gr->xlab), "allocator events");
	}
}

/* The common gnuplot assignments of a group figure. */
static void plot_group_vars(const struct plot_group *gr, char *v, size_t n)
{
	snprintf(v, n, "files=\"%s\"; labels=\"%s\"; colours='%s'; xscale=%.9g; xlab='%s'; xmax=%.9g; ",
		 gr->files, gr->labels, gr->colours, gr->xscale, gr->xlab, (double)gr->xmax * gr->xscale);
}

/* run<ID>_ts.tsv: time_s events R_MiB A_MiB F_MiB internal_frag
 * total_overhead hostage_pages failed_allocs F/R A/R cached_empty_pages
 * free_pages; an undefined value (a ratio over nothing) NaN. Sets *r_hash
 * to a hash of the (events, R) series. */
static bool plot_series_write(struct plot_ctx *pc, const struct runs_run *r, uint64_t *r_hash,
			      struct runs_sample *last)
{
	char name[64], path[PATH_MAX];
	snprintf(name, sizeof(name), "run%lld_ts.tsv", (long long)r->id);
	FILE *f = plot_tsv_open(pc, name, "time series", path, sizeof(path));
	if (!f)
		return false;
	struct runs_sample *s;
	size_t rows = runs_series_read(pc->db, r->id, &s);
	fprintf(f, "# time_s\tevents\tR_MiB\tA_MiB\tF_MiB\tinternal_frag\ttotal_overhead\thostage_pages\tfailed_allocs"
		"\tF_over_R\tA_over_R\tcached_empty_pages\tfree_pages\n");
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < rows; i++) {
		double R = (double)s[i].requested;
		fprintf(f, "%.9f\t%lld\t%.9f\t%.9f\t%.9f", (double)s[i].time_ns * 1e-9, (long long)s[i].events,
			R / MIB, (double)s[i].allocated / MIB, (double)s[i].footprint / MIB);
		plot_tsv_value(f, s[i].internal_frag, 6);
		plot_tsv_value(f, s[i].total_overhead, 6);
		plot_tsv_value(f, s[i].hostage_pages, 12);
		fprintf(f, "\t%lld", (long long)s[i].failed_allocs);
		plot_tsv_value(f, R > 0 ? (double)s[i].footprint / R : NAN, 6);
		plot_tsv_value(f, R > 0 ? (double)s[i].allocated / R : NAN, 6);
		plot_tsv_value(f, s[i].cached_empty_pages, 12);
		fprintf(f, "\t%lld\n", (long long)s[i].free_pages);
		h = (h ^ (uint64_t)s[i].events) * 1099511628211ull;
		h = (h ^ (uint64_t)s[i].requested) * 1099511628211ull;
	}
	*r_hash = h;
	if (rows)
		*last = s[rows - 1];
	free(s);
	fclose(f);
	return rows > 0;
}

/* Build group g: its rankings, x axis, series files, the ends of runs
 * that ended early and the phase marks. */
static void plot_group_build(struct plot_ctx *pc, const struct runs_run *runs, int nruns, int g,
			     const struct compare_metric *m, struct plot_group *gr, char *rlist, size_t rlen,
			     char *ends, size_t elen)
{
	memset(gr, 0, sizeof(*gr));
	gr->g = g;
	runs_group_title(runs, nruns, g, gr->title, sizeof(gr->title));
	gr->e = xcalloc((size_t)nruns, sizeof(*gr->e));
	gr->agg = xcalloc((size_t)nruns, sizeof(*gr->agg));
	gr->nagg = compare_group_rank_backends(pc->db, runs, nruns, g, m, gr->agg);
	gr->seed = UINT64_MAX;
	for (int i = 0; i < nruns; i++)
		if (runs[i].group == g)
			gr->seed = MIN(gr->seed, runs[i].seed);
	for (int i = 0; i < nruns; i++) {
		if (runs[i].group != g)
			continue;
		bool seen = false;
		for (int j = 0; j < i && !seen; j++)
			seen = runs[j].group == g && runs[j].seed == runs[i].seed;
		gr->nseeds += !seen;
	}
	/* the reference seed's runs, ranked */
	int k = 0;
	for (int i = 0; i < nruns; i++)
		if (runs[i].group == g && runs[i].reference)
			compare_entry_read(pc->db, &runs[i], m, &gr->e[k++]);
	compare_rank(gr->e, (size_t)k);
	if (k > PLOT_MAX_SERIES) {
		fprintf(stderr, "kmemsim plot: %s: %d runs of one seed; the figures over time show the first %d ranked\n",
			gr->title, k, PLOT_MAX_SERIES);
		k = PLOT_MAX_SERIES;
	}
	gr->n = k;
	gr->maxord = -1;
	for (int i = 0; i < gr->n; i++) {
		int64_t t, ev;
		runs_series_extent(pc->db, gr->e[i].run->id, &t, &ev);
		gr->xmax = MAX(gr->xmax, ev);
		gr->maxord = MAX(gr->maxord, runs_buddy_max_order(pc->db, gr->e[i].run->id));
	}
	plot_xaxis_pick(gr);
	snprintf(gr->zone, sizeof(gr->zone), "Normal");
	if (gr->n)
		runs_buddy_main_zone(pc->db, gr->e[0].run->id, gr->zone, sizeof(gr->zone));
	plot_sanitize(gr->zone);

	/* series, one R line per distinct R series, and the ends */
	uint64_t rh[64];
	int nrh = 0;
	rlist[0] = ends[0] = '\0';
	size_t el = 0;
	for (int i = 0; i < gr->n; i++) {
		const struct runs_run *r = gr->e[i].run;
		uint64_t h = 0;
		struct runs_sample last = { 0 };
		if (!plot_series_write(pc, r, &h, &last))
			continue;
		gr->nseries++;
		char path[PATH_MAX], lab[96];
		snprintf(path, sizeof(path), "%s/run%lld_ts.tsv", pc->out, (long long)r->id);
		plot_list_add(gr->files, sizeof(gr->files), path);
		plot_run_label(r, lab, sizeof(lab));
		plot_list_add(gr->labels, sizeof(gr->labels), lab);
		size_t cl = strlen(gr->colours);
		snprintf(gr->colours + cl, sizeof(gr->colours) - cl, "%s%s", cl ? " " : "", plot_backend_colour(r->alloc));
		bool same = false;
		for (int j = 0; j < nrh && !same; j++)
			same = rh[j] == h;
		if (!same && nrh < (int)ARRAY_SIZE(rh)) {
			/* three words each: file, key label, colour; the first R
			 * grey, another (a back end that failed allocations) in
			 * its back end's colour */
			rh[nrh++] = h;
			char w[PATH_MAX + 160], rlab[128];
			snprintf(rlab, sizeof(rlab), nrh == 1 ? "R (live bytes)" : "%s R", r->alloc);
			plot_sanitize(rlab);
			snprintf(w, sizeof(w), "'%s' '%s' '%s'", path, rlab, nrh == 1 ? "#404040" : plot_backend_colour(r->alloc));
			size_t rl = strlen(rlist);
			snprintf(rlist + rl, rlen - rl, "%s%s", rl ? " " : "", w);
		}
		if (runs_ended_early(r) && el < elen) {
			double R = (double)last.requested;
			el += (size_t)snprintf(ends + el, elen - el, "%lld\t%.9f\t%.6g\t%.6g\t%.12g\t%ld\t%s\n",
					       (long long)last.events, (double)last.footprint / MIB,
					       R > 0 ? (double)last.footprint / R : NAN, R > 0 ? (double)last.allocated / R : NAN,
					       last.hostage_pages, strtol(plot_backend_colour(r->alloc) + 1, NULL, 16),
					       r->status);
		}
	}
}

static void plot_group_release(struct plot_group *gr)
{
	free(gr->e);
	free(gr->agg);
}

/* The title's group part for gnuplot: "exhaust, mem 16 MiB" (and the
 * seed when the group has several) */
static void plot_group_gtitle(const struct plot_group *gr, char *out, size_t n)
{
	if (gr->nseeds > 1)
		snprintf(out, n, "%s, seed %llu", gr->title, (unsigned long long)gr->seed);
	else
		snprintf(out, n, "%s", gr->title);
	plot_sanitize(out);
}

/* ---- phase marks: the labelled snapshots of the group's first run that has them ---- */

struct plot_marks { char *cmd; size_t len, cap; int n; double xscale, xmax; int64_t last; };

static void plot_marks_add(void *ctx, const struct runs_snapinfo *si, const uint8_t *owners, size_t len)
{
	(void)owners;
	(void)len;
	struct plot_marks *mk = ctx;
	if (!si->has_label || mk->n >= 12 || si->events == mk->last)
		return;
	char lab[32];
	snprintf(lab, sizeof(lab), "%.20s", si->label);
	plot_sanitize(lab);
	double x = (double)si->events * mk->xscale;
	size_t l = mk->len;
	l += (size_t)snprintf(mk->cmd + l, mk->cap - l,
			      "set arrow from first %.9g, graph 0 to first %.9g, graph 1 nohead dt 3 lw 0.8 lc rgb '#777777' back; "
			      "set label '%s' at first %.9g, graph 1 %s offset 0,0.55 font ',6' tc rgb '#555555'; ",
			      x, x, lab, x, x > 0.85 * mk->xmax ? "right" : x < 0.1 * mk->xmax ? "left" : "center");
	if (l < mk->cap) {
		mk->len = l;
		mk->n++;
		mk->last = si->events;
	}
}

static void plot_marks_build(struct plot_ctx *pc, const struct plot_group *gr, char *cmd, size_t n)
{
	struct plot_marks mk = { cmd, 0, n, 0, gr->xscale, (double)gr->xmax * gr->xscale, -1 };
	cmd[0] = '\0';
	for (int i = 0; i < gr->n && !mk.n; i++)
		runs_snapshots_each(pc->db, gr->e[i].run->id, false, plot_marks_add, &mk);
}

/* ---- group figures ---- */

static void plot_footprint(struct plot_ctx *pc, const struct plot_group *gr, const char *rlist, const char *ends,
			   const char *marks)
{
	char gt[300], t[400], cap[512], base[64];
	plot_group_gtitle(gr, gt, sizeof(gt));
	snprintf(t, sizeof(t), "Footprint and live bytes: %s", gt);
	snprintf(base, sizeof(base), "grp%d_footprint", gr->g);
	snprintf(cap, sizeof(cap), "Footprint F(t) (pages held x 4096 + metadata + page tables; solid) per back end and "
		 "live requested bytes R(t) (dashed; one line per distinct R: a back end that failed allocations has its "
		 "own), MiB on a log axis, over allocator events; dotted verticals: the workload's labelled snapshots; "
		 "a cross: a run that ended early.");
	size_t vl = strlen(gr->files) * 2 + strlen(rlist) + strlen(marks) + 4096;
	char *v = xmalloc(vl);
	plot_group_vars(gr, v, vl);
	size_t l = strlen(v);
	snprintf(v + l, vl - l, "rlist=\"%s\"; ends='%s'; markcmd=\"%s\"", rlist, ends, marks);
	plot_figure(pc, K_FOOTPRINT, base, t, cap, gr->g, NULL, v, NULL);
	free(v);
}

static void plot_frag(struct plot_ctx *pc, const struct plot_group *gr, const char *ends, const char *marks)
{
	char gt[300], t[400], cap[512], base[64];
	plot_group_gtitle(gr, gt, sizeof(gt));
	snprintf(t, sizeof(t), "Overhead over time: %s", gt);
	snprintf(base, sizeof(base), "grp%d_frag", gr->g);
	snprintf(cap, sizeof(cap), "Per back end over allocator events: footprint per live byte F/R and allocated per "
		 "requested byte A/R (log axes; 1 = no overhead; gaps: nothing live), and hostage pages (pages of a slab "
		 "unit holding a live object while at most 1/8 used).");
	size_t vl = strlen(gr->files) * 2 + strlen(marks) + 4096;
	char *v = xmalloc(vl);
	plot_group_vars(gr, v, vl);
	size_t l = strlen(v);
	snprintf(v + l, vl - l, "ends='%s'; markcmd=\"%s\"", ends, marks);
	plot_figure(pc, K_FRAG, base, t, cap, gr->g, NULL, v, NULL);
	free(v);
}

/* log scale for a bar panel: every defined value > 0 and max/min >= PLOT_LOG_RATIO */
static bool plot_bars_log(const double *v, int n)
{
	double lo = INFINITY, hi = 0;
	for (int i = 0; i < n; i++) {
		if (isnan(v[i]))
			continue;
		if (v[i] <= 0)
			return false;
		lo = MIN(lo, v[i]);
		hi = MAX(hi, v[i]);
	}
	return hi > 0 && hi / lo >= PLOT_LOG_RATIO;
}

/* grp<N>_bars.tsv, one row per back end in ranked order: allocator
 * peak_footprint_MiB jw3 jw4 failed_allocs mean_internal_frag colour
 * failures served rank, then the 95% CI half-widths of peak, jw3, jw4,
 * failures and int_frag, the runs (seeds) and the key label. Over several
 * seeds a value is the mean; an undefined value (in any seed) is NaN:
 * no bar, label n/a, never 0. */
static void plot_bars(struct plot_ctx *pc, const struct runs_run *runs, int nruns, const struct plot_group *gr,
		      const struct compare_metric *m)
{
	static const char *const keys[] = {
		"peak_footprint_bytes", "jw3_overhead_at_max_footprint", "jw4_max_footprint_over_max_live",
		"failed_allocs", "mean_internal_frag", NULL,
	};
	static const double scale[] = { MIB, 1, 1, 1, 1, 1 };
	enum { NK = 6 };   /* the five keys and failures (failed_allocs + page_failed) */
	char name[64], path[PATH_MAX];
	snprintf(name, sizeof(name), "grp%d_bars.tsv", gr->g);
	FILE *f = plot_tsv_open(pc, name, "bar chart", path, sizeof(path));
	if (!f)
		return;
	fprintf(f, "# allocator\tpeak_footprint_MiB\tjw3\tjw4\tfailed_allocs\tmean_internal_frag\tcolour\tfailures"
		"\tserved\trank\tpeak_ci95\tjw3_ci95\tjw4_ci95\tfailures_ci95\tint_frag_ci95\truns\tlabel\n");
	double *col[NK], *vals = xmalloc((size_t)nruns * sizeof(double));
	for (int k = 0; k < NK; k++)
		col[k] = xmalloc((size_t)(gr->nagg + 1) * sizeof(double));
	bool any_failed = false;
	for (int i = 0; i < gr->nagg; i++) {
		const struct runs_run *r = gr->agg[i].run;
		double mean[NK], ci[NK];
		for (int k = 0; k < NK; k++) {
			int nv = 0;
			for (int j = 0; j < nruns; j++) {
				if (runs[j].group != gr->g || strcmp(runs[j].alloc, r->alloc))
					continue;
				if (keys[k])
					vals[nv++] = runs_stat(pc->db, runs[j].id, keys[k], NAN) / scale[k];
				else
					vals[nv++] = runs_stat(pc->db, runs[j].id, "failed_allocs", NAN) +
						     runs_stat(pc->db, runs[j].id, "page_failed", NAN);
			}
			compare_ci95(vals, nv, &mean[k], &ci[k]);
			col[k][i] = mean[k];
		}
		any_failed |= mean[5] > 0 || !gr->agg[i].served;
		char w[64], lab[96];
		plot_word(w, sizeof(w), r->alloc);
		plot_run_label(r, lab, sizeof(lab));
		if (gr->agg[i].nruns > 1)
			snprintf(lab, sizeof(lab), "%s", w);
		fputs(w, f);
		plot_tsv_value(f, mean[0], 9);
		plot_tsv_value(f, mean[1], 6);
		plot_tsv_value(f, mean[2], 6);
		plot_tsv_value(f, mean[3], 9);
		plot_tsv_value(f, mean[4], 6);
		fprintf(f, "\t%ld", strtol(plot_backend_colour(r->alloc) + 1, NULL, 16));
		plot_tsv_value(f, mean[5], 9);
		fprintf(f, "\t%d\t%d", gr->agg[i].served, i + 1);
		plot_tsv_value(f, ci[0], 6);
		plot_tsv_value(f, ci[1], 6);
		plot_tsv_value(f, ci[2], 6);
		plot_tsv_value(f, ci[5], 6);
		plot_tsv_value(f, ci[4], 6);
		fprintf(f, "\t%d\t%s\n", gr->agg[i].nruns, lab);
	}
	fclose(f);
	char gt[300], t[400], cap[768], base[64], v[PATH_MAX + 512], rankby[128];
	snprintf(gt, sizeof(gt), "%s", gr->title);
	plot_sanitize(gt);
	snprintf(t, sizeof(t), "Back ends ranked: %s", gt);
	snprintf(rankby, sizeof(rankby), "%s", m->label);
	plot_sanitize(rankby);
	/* the fourth panel: failures when any, else mean internal fragmentation */
	int c4 = any_failed ? 8 : 6;
	double *v4 = any_failed ? col[5] : col[4];
	snprintf(v, sizeof(v), "data='%s'; rankby='%s'; nseeds=%d; c4=%d; log2=%d; log3=%d; log4=%d; log5=%d",
		 path, rankby, gr->nseeds, c4, plot_bars_log(col[0], gr->nagg), plot_bars_log(col[1], gr->nagg),
		 plot_bars_log(col[2], gr->nagg), plot_bars_log(v4, gr->nagg));
	snprintf(base, sizeof(base), "grp%d_bars", gr->g);
	char ciword[96] = "";
	if (gr->nseeds > 1)
		snprintf(ciword, sizeof(ciword), " Values are means over %d seeds with 95%% confidence intervals (Student's t).",
			 gr->nseeds);
	snprintf(cap, sizeof(cap), "Back ends in ranked order (those that served the whole workload first, then by %s): "
		 "peak footprint (MiB), Johnstone & Wilson's #3 (F-R)/R at peak F and #4 (max F - max R)/max R, and %s. "
		 "Hatched: the back end did not serve the whole workload; n/a: undefined; a log axis where back ends "
		 "differ by %gx or more.%s", m->label, any_failed ? "failed allocations (allocations + trace page "
		 "allocations)" : "mean internal fragmentation (A-R)/A (no run failed an allocation)",
		 PLOT_LOG_RATIO, ciword);
	plot_figure(pc, K_BARS, base, t, cap, gr->g, NULL, v, NULL);
	for (int k = 0; k < NK; k++)
		free(col[k]);
	free(vals);
}

/* run<ID>_extfrag.tsv: events, then the unusable index of orders
 * 0..maxord, then the fragmentation index of orders 0..maxord; NaN where
 * undefined (NULL), and the fragmentation index's -1 ("an allocation of
 * that order would succeed") also NaN: it is n/a, not a value. */
static bool plot_extfrag_write(struct plot_ctx *pc, const struct plot_group *gr, const struct runs_run *r,
			       char *path, size_t plen)
{
	if (gr->maxord < 0)
		return false;
	struct runs_extfrag_row *x;
	size_t n = runs_extfrag_read(pc->db, r->id, gr->zone, &x);
	if (!n) {
		free(x);
		return false;
	}
	char name[64];
	snprintf(name, sizeof(name), "run%lld_extfrag.tsv", (long long)r->id);
	FILE *f = plot_tsv_open(pc, name, "Gorman indices", path, plen);
	if (!f) {
		free(x);
		return false;
	}
	int no = gr->maxord + 1;
	fprintf(f, "# zone %s: events, unusable index of orders 0..%d, fragmentation index of orders 0..%d"
		" (NaN: undefined, or -1: the allocation would succeed)\n", gr->zone, gr->maxord, gr->maxord);
	double *u = xmalloc((size_t)no * sizeof(double)), *fi = xmalloc((size_t)no * sizeof(double));
	for (size_t i = 0; i < n;) {
		int64_t ev = x[i].events;
		for (int o = 0; o < no; o++)
			u[o] = fi[o] = NAN;
		for (; i < n && x[i].events == ev; i++)
			if (x[i].ord >= 0 && x[i].ord < no) {
				u[x[i].ord] = x[i].unusable;
				fi[x[i].ord] = x[i].fragindex < 0 ? NAN : x[i].fragindex;
			}
		fprintf(f, "%lld", (long long)ev);
		for (int o = 0; o < no; o++)
			plot_tsv_value(f, u[o], 4);
		for (int o = 0; o < no; o++)
			plot_tsv_value(f, fi[o], 4);
		fputc('\n', f);
	}
	free(u);
	free(fi);
	free(x);
	fclose(f);
	return true;
}

/* unusable, fragindex and thp: one extfrag file per reference run */
static void plot_extfrag(struct plot_ctx *pc, const struct plot_group *gr, unsigned which)
{
	if (gr->maxord < 1)
		return;
	char files[8192] = "", labels[2048] = "", colours[1024] = "";
	int nf = 0;
	for (int i = 0; i < gr->n; i++) {
		const struct runs_run *r = gr->e[i].run;
		char path[PATH_MAX], lab[96];
		if (!plot_extfrag_write(pc, gr, r, path, sizeof(path)))
			continue;
		plot_list_add(files, sizeof(files), path);
		plot_run_label(r, lab, sizeof(lab));
		plot_list_add(labels, sizeof(labels), lab);
		size_t cl = strlen(colours);
		snprintf(colours + cl, sizeof(colours) - cl, "%s%s", cl ? " " : "", plot_backend_colour(r->alloc));
		nf++;
	}
	if (!nf)
		return;
	char gt[300], t[400], cap[768], base[64];
	size_t vl = strlen(files) + 4096;
	char *v = xmalloc(vl);
	plot_group_gtitle(gr, gt, sizeof(gt));
	int thp = MIN(PLOT_THP_ORDER, gr->maxord);
	static const int kinds[] = { K_THP, K_UNUSABLE, K_FRAGINDEX };
	for (size_t ki = 0; ki < ARRAY_SIZE(kinds); ki++) {
		int k = kinds[ki];
		if (!(which & (1u << k)))
			continue;
		snprintf(v, vl, "files=\"%s\"; labels=\"%s\"; colours='%s'; xscale=%.9g; xlab='%s'; xmax=%.9g; "
			 "maxord=%d; order=%d; index='%s'", files, labels, colours, gr->xscale, gr->xlab,
			 (double)gr->xmax * gr->xscale, gr->maxord, thp, k == K_FRAGINDEX ? "fragindex" : "unusable");
		snprintf(base, sizeof(base), "grp%d_%s", gr->g, plot_kinds[k].name);
		if (k == K_THP) {
			char sz[32];
			if ((PAGE_SIZE << thp) >= MIB)
				snprintf(sz, sizeof(sz), "%llu MiB", (unsigned long long)(PAGE_SIZE << thp) / MIB);
			else
				snprintf(sz, sizeof(sz), "%llu KiB", (unsigned long long)(PAGE_SIZE << thp) / KIB);
			snprintf(t, sizeof(t), "Order %d (%s blocks), zone %s: %s", thp, sz, gr->zone, gt);
			snprintf(cap, sizeof(cap), "Gorman's unusable free space index (share of free memory in blocks too "
				 "small for an order-%d allocation) and fragmentation index (toward 1: a failure would be due "
				 "to fragmentation, toward 0: to lack of memory; n/a, no line, while the allocation would "
				 "succeed) at order %d, zone %s, per back end over allocator events, as Linux's debugfs "
				 "extfrag files compute them.", thp, thp, gr->zone);
		} else if (k == K_UNUSABLE) {
			snprintf(t, sizeof(t), "Unusable free space index per order, zone %s: %s", gr->zone, gt);
			snprintf(cap, sizeof(cap), "Gorman's unusable free space index, a panel per order 1..%d (order 0 is "
				 "always 0), per back end over allocator events, zone %s: the share of free memory in blocks "
				 "too small for an allocation of the order (0: all usable, 1: none).", gr->maxord, gr->zone);
		} else {
			snprintf(t, sizeof(t), "Fragmentation index per order, zone %s: %s", gr->zone, gt);
			snprintf(cap, sizeof(cap), "Gorman's fragmentation index, a panel per order 1..%d, per back end over "
				 "allocator events, zone %s: defined only while an allocation of the order would fail (no "
				 "line otherwise); toward 1 the failure is due to fragmentation, toward 0 to lack of memory.",
				 gr->maxord, gr->zone);
		}
		plot_figure(pc, k, base, t, cap, gr->g, NULL, v, NULL);
	}
	free(v);
}

/* run<ID>_huge.tsv: events, free 2 MiB frames (blocks of order >= 9 in
 * 2 MiB units, every zone), free pages / 512 */
static void plot_hugefree(struct plot_ctx *pc, const struct plot_group *gr)
{
	if (gr->maxord < PLOT_THP_ORDER)
		return;
	char files[8192] = "", labels[2048] = "", colours[1024] = "";
	int nf = 0;
	for (int i = 0; i < gr->n; i++) {
		const struct runs_run *r = gr->e[i].run;
		struct runs_huge_row *h;
		size_t n = runs_huge_read(pc->db, r->id, PLOT_THP_ORDER, &h);
		char name[64], path[PATH_MAX], lab[96];
		snprintf(name, sizeof(name), "run%lld_huge.tsv", (long long)r->id);
		FILE *f = n ? plot_tsv_open(pc, name, "free huge frames", path, sizeof(path)) : NULL;
		if (!f) {
			free(h);
			continue;
		}
		fprintf(f, "# events\tfree_2MiB_frames\tfree_pages_over_512\n");
		for (size_t j = 0; j < n; j++)
			fprintf(f, "%lld\t%.0f\t%.6g\n", (long long)h[j].events, h[j].blocks, h[j].free_pages / 512);
		fclose(f);
		free(h);
		plot_list_add(files, sizeof(files), path);
		plot_run_label(r, lab, sizeof(lab));
		plot_list_add(labels, sizeof(labels), lab);
		size_t cl = strlen(colours);
		snprintf(colours + cl, sizeof(colours) - cl, "%s%s", cl ? " " : "", plot_backend_colour(r->alloc));
		nf++;
	}
	if (!nf)
		return;
	char gt[300], t[400], cap[512], base[64], *v = xmalloc(strlen(files) + 2048);
	plot_group_gtitle(gr, gt, sizeof(gt));
	snprintf(t, sizeof(t), "Free 2 MiB frames: %s", gt);
	snprintf(cap, sizeof(cap), "Free 2 MiB frames per back end over allocator events (solid): free buddy blocks of "
		 "order 9 and above counted in 2 MiB units, every zone; dotted: all free memory in 2 MiB units, what "
		 "it would make if it were contiguous.");
	snprintf(base, sizeof(base), "grp%d_hugefree", gr->g);
	sprintf(v, "files=\"%s\"; labels=\"%s\"; colours='%s'; xscale=%.9g; xlab='%s'; xmax=%.9g", files, labels,
		colours, gr->xscale, gr->xlab, (double)gr->xmax * gr->xscale);
	plot_figure(pc, K_HUGEFREE, base, t, cap, gr->g, NULL, v, NULL);
	free(v);
}

/* ---- the physical memory map ---- */

struct plot_map {
	const struct plot_scheme *sc;
	uint64_t nframes, k;           /* frames, frames per row */
	int rows, cols;
	double colw;                   /* events per column */
	int64_t run_end;               /* the run's last sampled event */
	uint32_t *count;               /* [rows * nclasses] frames per class of the snapshot being read */
	float *cell;                   /* [rows * cols] class, NaN where no snapshot holds */
	int64_t prev;                  /* events of the previous snapshot, -1 before the first */
	float *cur;                    /* [rows] classes of the previous snapshot */
	bool used[16];                 /* classes seen */
	bool any;
	FILE *tsv;                     /* frames per class of each snapshot, or NULL */
	int64_t run;
};

static void plot_map_count(void *ctx, unsigned code, uint64_t lo, uint64_t hi)
{
	struct plot_map *mp = ctx;
	int c = mp->sc->classify(code);
	for (uint64_t f = lo; f < hi;) {
		uint64_t row = f / mp->k, stop = MIN(hi, (row + 1) * mp->k);
		if (row < (uint64_t)mp->rows)
			mp->count[row * (uint64_t)mp->sc->nclasses + (uint64_t)c] += (uint32_t)(stop - f);
		f = stop;
	}
}

/* columns whose middle lies in [from, to) show the classes in cur */
static void plot_map_fill(struct plot_map *mp, int64_t from, int64_t to)
{
	for (int c = 0; c < mp->cols; c++) {
		double mid = ((double)c + 0.5) * mp->colw;
		if (mid < (double)from || mid >= (double)to)
			continue;
		for (int y = 0; y < mp->rows; y++)
			mp->cell[(size_t)y * (size_t)mp->cols + (size_t)c] = mp->cur[y];
	}
}

static void plot_map_snapshot(void *ctx, const struct runs_snapinfo *si, const uint8_t *owners, size_t len)
{
	struct plot_map *mp = ctx;
	if (si->nframes != mp->nframes)
		return;
	if (mp->prev >= 0)
		plot_map_fill(mp, mp->prev, si->events);
	int nc = mp->sc->nclasses;
	memset(mp->count, 0, (size_t)mp->rows * (size_t)nc * sizeof(*mp->count));
	runs_owners_decode(owners, len, mp->nframes, plot_map_count, mp);
	if (mp->tsv) {
		fprintf(mp->tsv, "%lld\t%lld", (long long)mp->run, (long long)si->events);
		for (int c = 0; c < nc; c++) {
			uint64_t t = 0;
			for (int y = 0; y < mp->rows; y++)
				t += mp->count[(size_t)y * (size_t)nc + (size_t)c];
			fprintf(mp->tsv, "\t%llu", (unsigned long long)t);
		}
		fputc('\n', mp->tsv);
	}
	for (int y = 0; y < mp->rows; y++) {
		/* the class of most of the row's frames (the first of equals) */
		int best = 0;
		for (int c = 1; c < nc; c++)
			if (mp->count[(size_t)y * (size_t)nc + (size_t)c] > mp->count[(size_t)y * (size_t)nc + (size_t)best])
				best = c;
		mp->cur[y] = (float)best;
		mp->used[best] = true;
	}
	mp->prev = si->events;
	mp->any = true;
}

struct plot_nframes { uint64_t nframes; int n; };
static void plot_map_nframes(void *ctx, const struct runs_snapinfo *si, const uint8_t *o, size_t l)
{
	(void)o;
	(void)l;
	struct plot_nframes *nf = ctx;
	nf->nframes = MAX(nf->nframes, si->nframes);
	nf->n++;
}

/* The memory map: for each reference run with snapshots a matrix, a row
 * per PLOT_MAP_ROWS-th of the frames (pfn order), a column per time step,
 * each cell the class of most of the row's frames in the last snapshot
 * taken at or before the column's middle, NaN before the first snapshot
 * and after the run's end (the panels one after another in the temporary
 * .grp<N>_memmap.bin); and grp<N>_memmap.tsv, the frames of each class
 * in every snapshot (the numbers the colours come from). */
static void plot_memmap(struct plot_ctx *pc, const struct plot_group *gr)
{
	const struct plot_scheme *sc = &plot_owner_scheme;
	char labels[2048] = "", xends[1024] = "", rowsl[512] = "", base[64], tmp[PATH_MAX + 32];
	bool used[16] = { false };
	int nf = 0;
	uint64_t nframes = 0, k = 1;
	snprintf(base, sizeof(base), "grp%d_memmap", gr->g);
	FILE *bin = NULL, *tsv = NULL;
	for (int i = 0; i < gr->n; i++) {
		const struct runs_run *r = gr->e[i].run;
		struct plot_nframes nfr = { 0, 0 };
		runs_snapshots_each(pc->db, r->id, false, plot_map_nframes, &nfr);
		if (!nfr.n || !nfr.nframes)
			continue;
		if (!bin && !(bin = plot_tmp_open(pc, base, tmp, sizeof(tmp))))
			return;
		if (!tsv) {
			char name[80], path[PATH_MAX];
			snprintf(name, sizeof(name), "%s.tsv", base);
			tsv = plot_tsv_open(pc, name, "memory map classes", path, sizeof(path));
			if (tsv) {
				fprintf(tsv, "# frames per class in every snapshot (scheme %s)\n# run\tevents", sc->name);
				for (int c = 0; c < sc->nclasses; c++) {
					char w[64];
					plot_word(w, sizeof(w), sc->classes[c].label);
					fprintf(tsv, "\t%s", w);
				}
				fputc('\n', tsv);
			}
		}
		struct plot_map mp = { .sc = sc, .nframes = nfr.nframes, .prev = -1, .tsv = tsv, .run = r->id };
		mp.k = DIV_ROUND_UP(nfr.nframes, PLOT_MAP_ROWS);
		mp.rows = (int)DIV_ROUND_UP(nfr.nframes, mp.k);
		mp.cols = PLOT_TIME_COLS;
		mp.colw = (double)MAX(gr->xmax, 1) / mp.cols;
		int64_t tev;
		runs_series_extent(pc->db, r->id, &tev, &mp.run_end);
		mp.count = xcalloc((size_t)mp.rows * (size_t)sc->nclasses, sizeof(*mp.count));
		mp.cur = xcalloc((size_t)mp.rows, sizeof(*mp.cur));
		mp.cell = xmalloc((size_t)mp.rows * (size_t)mp.cols * sizeof(*mp.cell));
		for (size_t c = 0; c < (size_t)mp.rows * (size_t)mp.cols; c++)
			mp.cell[c] = NAN;
		runs_snapshots_each(pc->db, r->id, true, plot_map_snapshot, &mp);
		if (mp.any) {   /* the last snapshot holds until the run's last sample */
			plot_map_fill(&mp, mp.prev, MAX(mp.run_end, mp.prev) + 1);
			for (size_t c = 0; c < (size_t)mp.rows * (size_t)mp.cols; c++)
				plot_tmp_put(bin, mp.cell[c]);
			char lab[96];
			plot_run_label(r, lab, sizeof(lab));
			plot_list_add(labels, sizeof(labels), lab);
			size_t xl = strlen(xends), rl = strlen(rowsl);
			snprintf(xends + xl, sizeof(xends) - xl, "%s%.9g", xl ? " " : "", (double)mp.run_end * gr->xscale);
			snprintf(rowsl + rl, sizeof(rowsl) - rl, "%s%d", rl ? " " : "", mp.rows);
			for (int c = 0; c < sc->nclasses && c < 16; c++)
				used[c] |= mp.used[c];
			nframes = MAX(nframes, mp.nframes);
			k = MAX(k, mp.k);
			nf++;
		}
		free(mp.count);
		free(mp.cur);
		free(mp.cell);
	}
	if (tsv)
		fclose(tsv);
	if (bin)
		fclose(bin);
	if (!nf) {
		if (bin)
			unlink(tmp);
		return;
	}
	/* the palette: class i at value i; the key: the classes drawn */
	char pal[1024] = "", keyl[1024] = "", keyc[256] = "";
	size_t pl = 0;
	for (int c = 0; c < sc->nclasses; c++) {
		pl += (size_t)snprintf(pal + pl, sizeof(pal) - MIN(pl, sizeof(pal)), "%s%d '%s'", c ? ", " : "", c,
				       sc->classes[c].colour);
		if (used[c]) {
			plot_list_add(keyl, sizeof(keyl), sc->classes[c].label);
			size_t kl = strlen(keyc);
			snprintf(keyc + kl, sizeof(keyc) - kl, "%s%s", kl ? " " : "", sc->classes[c].colour);
		}
	}
	char gt[300], t[400], cap[768];
	size_t vl = strlen(labels) + strlen(pal) + strlen(keyl) + 2 * PATH_MAX + 4096;
	char *v = xmalloc(vl);
	plot_group_gtitle(gr, gt, sizeof(gt));
	snprintf(t, sizeof(t), "Physical memory over time: %s", gt);
	snprintf(cap, sizeof(cap), "Physical memory (y: physical address, MiB) over allocator events (x), a panel per "
		 "back end: each cell is %llu KiB of frames coloured by the owner of most of them (%s scheme) in the last "
		 "page snapshot at or before that time; white: before the first snapshot; hatched: the run had ended.",
		 (unsigned long long)(k * PAGE_SIZE / KIB), sc->name);
	snprintf(v, vl, "data='%s'; rowsl='%s'; labels=\"%s\"; xscale=%.9g; xlab='%s'; xmax=%.9g; ncols=%d; "
		 "mib=%.9g; rowmib=%.9g; nclasses=%d; pal=\"%s\"; keyl=\"%s\"; keyc='%s'; xends='%s'",
		 tmp, rowsl, labels, gr->xscale, gr->xlab, (double)gr->xmax * gr->xscale, PLOT_TIME_COLS,
		 (double)nframes * PAGE_SIZE / MIB, (double)(k * PAGE_SIZE) / MIB, sc->nclasses, pal, keyl, keyc, xends);
	plot_figure(pc, K_MEMMAP, base, t, cap, gr->g, NULL, v, tmp);
	free(v);
}

/* ---- per-run figures ---- */

/* "exhaust, mem 16 MiB, slub" for a per-run figure's title */
static void plot_run_gtitle(const struct plot_group *gr, const struct runs_run *r, char *out, size_t n)
{
	char gt[300];
	plot_group_gtitle(gr, gt, sizeof(gt));
	snprintf(out, n, "%s, %s", gt, r->alloc);
	plot_sanitize(out);
}

/* Free blocks per order over time, a panel per zone (rows) and back end
 * (columns): grp<N>_buddy.tsv (run, zone, events, order, free blocks: the
 * table as read), and per panel a matrix, a row per order, a column per
 * time step (the last sample at or before its middle), NaN for no free
 * block (white on the log colour scale) and before the first sample, one
 * after another (zones of the first back end, then the next) in the
 * temporary .grp<N>_buddy.bin. The zones are those of the group's first
 * run with buddy rows, most free pages first; a run without one of them
 * gets an empty panel. */
static void plot_buddy(struct plot_ctx *pc, const struct plot_group *gr)
{
	char zones[NR_ZONES][16];
	int nz = 0;
	for (int i = 0; i < gr->n && !nz; i++)
		nz = runs_buddy_zones(pc->db, gr->e[i].run->id, zones, NR_ZONES);
	if (!nz || gr->maxord < 0)
		return;
	char name[80], path[PATH_MAX], zlist[512] = "", labels[2048] = "", xends[1024] = "", base[64];
	char tmp[PATH_MAX + 32];
	snprintf(base, sizeof(base), "grp%d_buddy", gr->g);
	snprintf(name, sizeof(name), "%s.tsv", base);
	FILE *all = plot_tsv_open(pc, name, "buddy free blocks", path, sizeof(path));
	FILE *bin = all ? plot_tmp_open(pc, base, tmp, sizeof(tmp)) : NULL;
	if (!bin) {
		if (all)
			fclose(all);
		return;
	}
	fprintf(all, "# run\tzone\tevents\tfree blocks of order 0..%d\n", gr->maxord);
	for (int z = 0; z < nz; z++) {
		char zn[16];
		plot_word(zn, sizeof(zn), zones[z]);
		plot_list_add(zlist, sizeof(zlist), zn);
	}
	int no = gr->maxord + 1, cols = PLOT_TIME_COLS, nb = 0;
	double cbmax = 1, colw = (double)MAX(gr->xmax, 1) / cols;
	double *cell = xmalloc((size_t)no * (size_t)cols * sizeof(double));
	for (int i = 0; i < gr->n; i++) {
		const struct runs_run *r = gr->e[i].run;
		if (runs_buddy_samples(pc->db, r->id) < 1)
			continue;
		for (int z = 0; z < nz; z++) {
			struct runs_buddy_row *b;
			size_t n = runs_buddy_read(pc->db, r->id, zones[z], 1, &b);
			for (size_t c = 0; c < (size_t)no * (size_t)cols; c++)
				cell[c] = NAN;
			for (size_t q = 0; q < n;) {
				int64_t ev = b[q].events;
				size_t j = q;
				while (j < n && b[j].events == ev)
					j++;
				int64_t next = j < n ? b[j].events : ev + 1;
				for (int c = 0; c < cols; c++) {
					double mid = ((double)c + 0.5) * colw;
					if (mid < (double)ev || mid >= (double)next)
						continue;
					for (size_t u = q; u < j; u++)
						if (b[u].ord >= 0 && b[u].ord < no)
							cell[(size_t)b[u].ord * (size_t)cols + (size_t)c] =
								b[u].free_blocks > 0 ? b[u].free_blocks : NAN;
				}
				fprintf(all, "%lld\t%s\t%lld", (long long)r->id, zones[z], (long long)ev);
				for (int o = 0, u = (int)q; o < no; o++) {
					double fb = u < (int)j && b[u].ord == o ? b[u++].free_blocks : 0;
					fprintf(all, "\t%.0f", fb);
					cbmax = MAX(cbmax, fb);
				}
				fputc('\n', all);
				q = j;
			}
			free(b);
			for (size_t c = 0; c < (size_t)no * (size_t)cols; c++)
				plot_tmp_put(bin, cell[c]);
		}
		char lab[96];
		plot_run_label(r, lab, sizeof(lab));
		plot_list_add(labels, sizeof(labels), lab);
		int64_t tev, xend;
		runs_series_extent(pc->db, r->id, &tev, &xend);
		size_t xl = strlen(xends);
		snprintf(xends + xl, sizeof(xends) - xl, "%s%.9g", xl ? " " : "", (double)xend * gr->xscale);
		nb++;
	}
	free(cell);
	fclose(all);
	fclose(bin);
	if (!nb) {
		unlink(tmp);
		return;
	}
	char gt[300], t[400], cap[512], v[2 * PATH_MAX + 4096];
	plot_group_gtitle(gr, gt, sizeof(gt));
	snprintf(t, sizeof(t), "Free blocks per order: %s", gt);
	snprintf(cap, sizeof(cap), "Free buddy blocks per order (y) over allocator events (x), a panel per zone (rows) and "
		 "back end (columns), as /proc/buddyinfo counts them; colour: number of free blocks on a log scale shared "
		 "by the panels, white: none; hatched: the run had ended.");
	snprintf(v, sizeof(v), "data='%s'; zones=\"%s\"; labels=\"%s\"; xends='%s'; maxord=%d; xscale=%.9g; "
		 "xlab='%s'; xmax=%.9g; ncols=%d; cbmax=%.0f", tmp, zlist, labels, xends, gr->maxord, gr->xscale,
		 gr->xlab, (double)gr->xmax * gr->xscale, PLOT_TIME_COLS, cbmax);
	plot_figure(pc, K_BUDDY, base, t, cap, gr->g, NULL, v, tmp);
}

/* Per-cache bytes at the cache sample nearest before peak footprint, a
 * panel per back end with caches: grp<N>_caches.tsv, one block per run
 * (blocks two blank lines apart, as gnuplot's "index" reads them): the
 * PLOT_CACHES caches holding the most pages, the rest summed as "others". */
static void plot_caches(struct plot_ctx *pc, const struct plot_group *gr)
{
	enum { MAXC = 4096 };
	char name[80], path[PATH_MAX], labels[2048] = "", base[64];
	snprintf(base, sizeof(base), "grp%d_caches", gr->g);
	snprintf(name, sizeof(name), "%s.tsv", base);
	FILE *f = NULL;
	struct runs_cache_row *rows = xmalloc(MAXC * sizeof(*rows));
	double top = 0;
	int nb = 0, most = 0;
	bool any_peak = false, any_first = false;
	/* first pass: the unit (KiB or MiB) from the largest cache */
	for (int i = 0; i < gr->n; i++) {
		bool at_peak;
		int64_t seq = runs_cache_seq(pc->db, gr->e[i].run->id, &at_peak);
		int n = seq < 0 ? 0 : runs_cache_read(pc->db, gr->e[i].run->id, seq, rows, MAXC);
		for (int c = 0; c < n; c++)
			top = MAX(top, rows[c].used_bytes + rows[c].free_slot_bytes + rows[c].slab_waste_bytes);
	}
	bool mib = top >= 4 * MIB;
	double unit = mib ? MIB : KIB;
	for (int i = 0; i < gr->n; i++) {
		const struct runs_run *r = gr->e[i].run;
		bool at_peak;
		int64_t seq = runs_cache_seq(pc->db, r->id, &at_peak);
		int n = seq < 0 ? 0 : runs_cache_read(pc->db, r->id, seq, rows, MAXC);
		if (!n)
			continue;
		if (!f && !(f = plot_tsv_open(pc, name, "caches", path, sizeof(path))))
			break;
		if (!nb)
			fprintf(f, "# a block per back end: cache\tused_%s\tfree_slots_%s\tslab_waste_%s\tpages\trun\n",
				mib ? "MiB" : "KiB", mib ? "MiB" : "KiB", mib ? "MiB" : "KiB");
		else
			fputs("\n\n", f);
		any_peak |= at_peak;
		any_first |= !at_peak;
		struct runs_cache_row others = { .name = "" };
		int named = n > PLOT_CACHES + 1 ? PLOT_CACHES : n;
		for (int c = 0; c < n; c++) {
			if (c >= named) {
				others.used_bytes += rows[c].used_bytes;
				others.free_slot_bytes += rows[c].free_slot_bytes;
				others.slab_waste_bytes += rows[c].slab_waste_bytes;
				others.pages += rows[c].pages;
				continue;
			}
			char cn[sizeof(rows[c].name)];
			snprintf(cn, sizeof(cn), "%s", rows[c].name[0] ? rows[c].name : "?");
			plot_sanitize(cn);
			fprintf(f, "%s\t%.6g\t%.6g\t%.6g\t%lld\t%lld\n", cn, rows[c].used_bytes / unit,
				rows[c].free_slot_bytes / unit, rows[c].slab_waste_bytes / unit, (long long)rows[c].pages,
				(long long)r->id);
		}
		if (n > named)
			fprintf(f, "others (%d)\t%.6g\t%.6g\t%.6g\t%lld\t%lld\n", n - named, others.used_bytes / unit,
				others.free_slot_bytes / unit, others.slab_waste_bytes / unit, (long long)others.pages,
				(long long)r->id);
		most = MAX(most, named + (n > named));
		char lab[96];
		plot_run_label(r, lab, sizeof(lab));
		plot_list_add(labels, sizeof(labels), lab);
		nb++;
	}
	free(rows);
	if (f)
		fclose(f);
	if (!nb)
		return;
	char gt[300], t[400], cap[512], v[PATH_MAX + 2048 + 256];
	plot_group_gtitle(gr, gt, sizeof(gt));
	snprintf(t, sizeof(t), "Caches %s: %s", any_first ? (any_peak ? "at peak footprint or first sample" :
		 "at the first sample") : "at peak footprint", gt);
	snprintf(cap, sizeof(cap), "A panel per back end with caches: the %d caches holding the most pages at the cache "
		 "sample nearest before peak footprint (the rest summed as others): bytes in live objects, in free object "
		 "slots, and slab waste (pages not divided into objects), %s, the total beside each bar.", PLOT_CACHES,
		 mib ? "MiB" : "KiB");
	snprintf(v, sizeof(v), "data='%s'; unit='%s'; labels=\"%s\"; most=%d", path, mib ? "MiB" : "KiB", labels, most);
	plot_figure(pc, K_CACHES, base, t, cap, gr->g, NULL, v, NULL);
}

/* A snapshot's pages. Up to PLOT_BITMAP_PAGES held pages, NTA's picture:
 * a row per page the back end holds (physical order), a column per chunk
 * (granule), the pages in side-by-side bands so the picture is about
 * square; cells are averaged (used fraction) only when the picture is
 * wider or taller than PLOT_IMAGE_COLS x PLOT_IMAGE_ROWS. Beyond, a
 * density map of the held range: cells of k frames, the used fraction of
 * the held frames in each, NaN (white) where the back end holds none.
 * The image goes to a temporary matrix; run<ID>_bitmap.tsv keeps its
 * numbers: used granules per held page (per cell of the density map). */
static void plot_bitmap(struct plot_ctx *pc, const struct plot_group *gr, const struct runs_run *r)
{
	struct runs_snapshot sn;
	if (!runs_snapshot_read(pc->db, r->id, pc->snapshot, PLOT_BITMAP_PAGES, &sn))
		return;
	pc->snapshot_found = true;
	uint64_t per = sn.per_page;
	char label[80] = "", slabel[80];
	if (sn.has_label)
		snprintf(label, sizeof(label), " (%s)", sn.label);
	plot_sanitize(label);
	snprintf(slabel, sizeof(slabel), "%s", sn.label);
	plot_sanitize(slabel);
	char name[80], path[PATH_MAX], gt[340], t[400], cap[768], base[64], v[2 * PATH_MAX + 1024], tmp[PATH_MAX + 32];
	snprintf(base, sizeof(base), "run%lld_bitmap", (long long)r->id);
	snprintf(name, sizeof(name), "%s.tsv", base);
	FILE *f = plot_tsv_open(pc, name, "page bitmap", path, sizeof(path));
	FILE *bin = f ? plot_tmp_open(pc, base, tmp, sizeof(tmp)) : NULL;
	if (!bin) {
		if (f)
			fclose(f);
		goto out;
	}
	plot_run_gtitle(gr, r, gt, sizeof(gt));
	snprintf(t, sizeof(t), "Page bitmap: %s", gt);
	if (sn.bits) {
		uint64_t *pfn = xmalloc(sn.nheld * sizeof(*pfn)), np = 0;
		fprintf(f, "# pfn\tused_granules (of %llu, %llu B each)\n", (unsigned long long)per,
			(unsigned long long)sn.granule);
		for (uint64_t fr = sn.first; fr <= sn.last; fr++)
			if (sn.held[fr]) {
				pfn[np++] = fr;
				fprintf(f, "%llu\t%u\n", (unsigned long long)fr, sn.used[fr]);
			}
		/* bands of pages side by side: bands * per ~ rows */
		uint64_t bands = (uint64_t)llround(sqrt((double)np / (double)per));
		bands = MAX(bands, 1);
		uint64_t rows = DIV_ROUND_UP(np, bands), gap = MAX(per / 16, 1);
		uint64_t width = bands * per + (bands - 1) * gap;
		uint64_t fx = DIV_ROUND_UP(width, PLOT_IMAGE_COLS), fy = DIV_ROUND_UP(rows, PLOT_IMAGE_ROWS);
		uint64_t cw = DIV_ROUND_UP(width, fx), ch = DIV_ROUND_UP(rows, fy);
		for (uint64_t cy = 0; cy < ch; cy++)
			for (uint64_t cx = 0; cx < cw; cx++) {
				uint64_t cells = 0, used = 0;
				for (uint64_t y = cy * fy; y < MIN((cy + 1) * fy, rows); y++)
					for (uint64_t x = cx * fx; x < MIN((cx + 1) * fx, width); x++) {
						uint64_t b = x / (per + gap), off = x % (per + gap), p = b * rows + y;
						if (off >= per || p >= np)
							continue;
						uint64_t gi = pfn[p] * per + off;
						cells++;
						used += (sn.bits[gi / 8] >> (gi % 8)) & 1;
					}
				plot_tmp_put(bin, cells ? (double)used / (double)cells : NAN);
			}
		free(pfn);
		snprintf(v, sizeof(v), "data='%s'; mode='chunks'; sub=\"%s%sevent %lld: %llu pages, %llu B chunks\"; "
			 "wide=%d; npages=%llu; bands=%llu; rows=%llu; per=%llu; gap=%llu; fx=%llu; fy=%llu; cw=%llu; ch=%llu; granule=%llu",
			 tmp, sn.has_label ? slabel : "", sn.has_label ? "\\n" : "", sn.events, (unsigned long long)np,
			 (unsigned long long)sn.granule, cw > PLOT_IMAGE_NARROW || ch > PLOT_IMAGE_NARROW, (unsigned long long)np,
			 (unsigned long long)bands, (unsigned long long)rows, (unsigned long long)per,
			 (unsigned long long)gap, (unsigned long long)fx, (unsigned long long)fy, (unsigned long long)cw,
			 (unsigned long long)ch, (unsigned long long)sn.granule);
		snprintf(cap, sizeof(cap), "The pages %s holds at the snapshot at event %lld%s (%llu pages), in NTA's style: a "
			 "row per page in physical order, in %llu bands of %llu pages side by side, a column per %llu-byte "
			 "chunk; dark: in use, yellow: free%s.", r->alloc, sn.events, label, (unsigned long long)np,
			 (unsigned long long)bands, (unsigned long long)rows, (unsigned long long)sn.granule,
			 fx > 1 || fy > 1 ? "; a cell averages several chunks (colour: used fraction)" : "");
	} else {
		uint64_t span = sn.last - sn.first + 1;
		uint64_t k = DIV_ROUND_UP(span, (uint64_t)PLOT_DENSITY_COLS * PLOT_DENSITY_ROWS);
		uint64_t cols = MIN((uint64_t)PLOT_DENSITY_COLS, DIV_ROUND_UP(span, k));
		uint64_t rows = DIV_ROUND_UP(DIV_ROUND_UP(span, k), cols);
		fprintf(f, "# cells of %llu frames from pfn %llu, %llu a row: first_pfn\theld_frames\tused_granules"
			" (of %llu a frame, %llu B each)\n", (unsigned long long)k, (unsigned long long)sn.first,
			(unsigned long long)cols, (unsigned long long)per, (unsigned long long)sn.granule);
		for (uint64_t c = 0; c < rows * cols; c++) {
			uint64_t h = 0, u = 0, lo = sn.first + c * k;
			for (uint64_t fr = lo; fr < lo + k && fr <= sn.last; fr++)
				if (sn.held[fr]) {
					h++;
					u += sn.used[fr];
				}
			if (h)
				fprintf(f, "%llu\t%llu\t%llu\n", (unsigned long long)lo, (unsigned long long)h,
					(unsigned long long)u);
			plot_tmp_put(bin, h ? (double)u / (double)(h * per) : NAN);
		}
		double cell_mib = (double)(k * PAGE_SIZE) / MIB;
		char sub[160];
		if (k * PAGE_SIZE >= MIB)
			snprintf(sub, sizeof(sub), "%.3g MiB", cell_mib);
		else
			snprintf(sub, sizeof(sub), "%llu KiB", (unsigned long long)(k * PAGE_SIZE / KIB));
		snprintf(v, sizeof(v), "data='%s'; mode='density'; sub=\"%s%sevent %lld: %llu pages, %s per cell\"; "
			 "wide=0; cols=%llu; rows=%llu; base_mib=%.9g; cell_mib=%.9g",
			 tmp, sn.has_label ? slabel : "", sn.has_label ? "\\n" : "", sn.events,
			 (unsigned long long)sn.nheld, sub, (unsigned long long)cols,
			 (unsigned long long)rows, (double)sn.first * PAGE_SIZE / MIB, cell_mib);
		snprintf(cap, sizeof(cap), "The pages %s holds at the snapshot at event %lld%s (%llu pages, too many for a "
			 "row each): physical memory from %.1f MiB in cells of %s, %llu cells a row; colour: the used fraction "
			 "of the cell's held pages (granules of %llu B in use); white: no page held there.", r->alloc,
			 sn.events, label, (unsigned long long)sn.nheld, (double)sn.first * PAGE_SIZE / MIB, sub,
			 (unsigned long long)cols, (unsigned long long)sn.granule);
	}
	fclose(f);
	fclose(bin);
	plot_figure(pc, K_BITMAP, base, t, cap, gr->g, r, v, tmp);
out:
	runs_snapshot_release(&sn);
}

/* ---- the manifest ---- */

/* Remove the files an earlier plot listed in dir's manifest (and only
 * those: plain names, nothing with a '/'), except those keep[] names
 * when keep is not NULL; returns the old rows kept, for a merge. */
static char *plot_manifest_clean(const char *dir, bool remove_all)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/%s", dir, PLOT_MANIFEST);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *kept = NULL;
	size_t klen = 0;
	FILE *k = open_memstream(&kept, &klen);
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		char name[256];
		size_t l = strcspn(line, "\t\n");
		if (!l || l >= sizeof(name))
			continue;
		memcpy(name, line, l);
		name[l] = '\0';
		if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		if (remove_all) {
			char fp[PATH_MAX + 300];
			snprintf(fp, sizeof(fp), "%s/%s", dir, name);
			unlink(fp);
		} else {
			fputs(line, k);
		}
	}
	fclose(f);
	fclose(k);
	return kept;
}

static void plot_manifest_write(struct plot_ctx *pc, const char *kept)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/%s", pc->out, PLOT_MANIFEST);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kmemsim plot: cannot write %s: %s\n", path, strerror(errno));
		pc->failures++;
		return;
	}
	fprintf(f, "# kmemsim plot: the files it wrote here (a new full plot removes them first)\n"
		"# file\tkind\ttitle\tstatus\n");
	/* earlier rows, unless written again now */
	for (const char *p = kept; p && *p;) {
		size_t l = strcspn(p, "\n"), nl = strcspn(p, "\t\n");
		bool again = false;
		for (int i = 0; i < pc->nfiles && !again; i++)
			again = strlen(pc->files[i].name) == nl && !strncmp(pc->files[i].name, p, nl);
		if (!again)
			fprintf(f, "%.*s\n", (int)l, p);
		p += l + (p[l] == '\n');
	}
	for (int i = 0; i < pc->nfiles; i++) {
		bool dup = false;
		for (int j = 0; j < i && !dup; j++)
			dup = !strcmp(pc->files[j].name, pc->files[i].name);
		if (!dup)
			fprintf(f, "%s\t%s\t%s\t%s\n", pc->files[i].name, pc->files[i].kind, pc->files[i].title,
				pc->files[i].status);
	}
	fclose(f);
}

/* ---- sweep figures: a metric against a swept parameter ---- */

#define PLOT_SWEEP_KEYS 16   /* swept parameters of a study considered */

/* the words key=value of a group's config, split (at most max) */
static int plot_config_words(const char *config, char (*w)[160], int max)
{
	int n = 0;
	for (const char *p = config; *p && n < max;) {
		size_t len = strcspn(p, " ");
		if (len && len < 160)
			snprintf(w[n++], 160, "%.*s", (int)len, p);
		p += len;
		while (*p == ' ')
			p++;
	}
	return n;
}

/* the value of key (its first word) in config, "" when absent */
static void plot_config_value(const char *config, const char *key, char *v, size_t n)
{
	char w[96][160];
	int k = plot_config_words(config, w, 96);
	size_t kl = strlen(key);
	v[0] = '\0';
	for (int i = 0; i < k; i++)
		if (!strncmp(w[i], key, kl) && w[i][kl] == '=') {
			snprintf(v, n, "%s", w[i] + kl + 1);
			return;
		}
}

/* a parameter value as a number (sizes with K/M/G too); false when it is not one */
static bool plot_sweep_number(const char *v, double *x)
{
	uint64_t u;
	if (parse_u64(v, true, &u) == PARSE_OK) {
		*x = (double)u;
		return true;
	}
	char *end;
	*x = strtod(v, &end);
	return *v && !*end && isfinite(*x);
}

static int plot_sweep_xcmp(const void *a, const void *b)
{
	const double *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* One figure: key's values (x) for the groups of study whose other swept
 * parameters have the values of group g0 (keys[0..nk) minus key). */
static void plot_sweep_one(struct plot_ctx *pc, const struct runs_run *runs, int nruns, const char *study, int g0,
			   const char *key, char (*keys)[64], int nk, const struct compare_metric *m, int *fig)
{
	int groups = 0;
	for (int i = 0; i < nruns; i++)
		groups = MAX(groups, runs[i].group + 1);
	/* the groups of the figure and their x */
	const struct runs_run *g0r = NULL;
	for (int i = 0; i < nruns && !g0r; i++)
		if (runs[i].group == g0)
			g0r = &runs[i];
	int *gs = xcalloc((size_t)groups, sizeof(*gs)), ng = 0;
	char (*xs)[64] = xcalloc((size_t)groups, sizeof(*xs));
	for (int g = 0; g < groups; g++) {
		const struct runs_run *r = NULL;
		for (int i = 0; i < nruns && !r; i++)
			if (runs[i].group == g && !strcmp(runs[i].study, study) && !strcmp(runs[i].input, g0r->input))
				r = &runs[i];
		if (!r)
			continue;
		bool same = true;
		for (int k = 0; k < nk && same; k++) {
			char a[160], b[160];
			if (!strcmp(keys[k], key))
				continue;
			plot_config_value(r->config, keys[k], a, sizeof(a));
			plot_config_value(g0r->config, keys[k], b, sizeof(b));
			same = !strcmp(a, b);
		}
		if (!same)
			continue;
		plot_config_value(r->config, key, xs[ng], sizeof(xs[0]));
		gs[ng++] = g;
	}
	/* the back ends, in registry order */
	const char *names[32];
	int nb = 0;
	for (size_t b = 0; allocator_registry[b] && nb < 32; b++)
		for (int i = 0; i < nruns; i++)
			if (!strcmp(runs[i].alloc, allocator_registry[b]->name) && !strcmp(runs[i].study, study)) {
				bool in = false;
				for (int j = 0; j < ng && !in; j++)
					in = runs[i].group == gs[j];
				if (in) {
					names[nb++] = allocator_registry[b]->name;
					break;
				}
			}
	bool numeric = true;
	double lo = INFINITY, hi = -INFINITY;
	/* rows: x, then per back end mean, ci95, served (1/0), runs */
	double *row = xcalloc((size_t)ng * (size_t)(2 + 4 * nb), sizeof(*row));
	int w = 2 + 4 * nb;
	bool mib = !strcmp(key, "mem") || !strcmp(key, "zone_map");   /* bytes, drawn in MiB */
	for (int j = 0; j < ng; j++) {
		double x = j;
		numeric &= plot_sweep_number(xs[j], &x);
		row[j * w] = mib ? x / MIB : x;
		row[j * w + 1] = j;
	}
	for (int j = 0; j < ng; j++) {
		double *r = &row[j * w];
		if (!numeric)
			r[0] = j;
		lo = MIN(lo, r[0]);
		hi = MAX(hi, r[0]);
		for (int b = 0; b < nb; b++) {
			double v[256];
			int nv = 0;
			bool served = true;
			for (int i = 0; i < nruns && nv < 256; i++)
				if (runs[i].group == gs[j] && !strcmp(runs[i].alloc, names[b])) {
					struct compare_entry e;
					compare_entry_read(pc->db, &runs[i], m, &e);
					v[nv++] = e.metric;
					served &= e.served;
				}
			compare_ci95(v, nv, &r[2 + 4 * b], &r[3 + 4 * b]);
			r[4 + 4 * b] = nv ? served : NAN;
			r[5 + 4 * b] = nv;
		}
	}
	if (numeric)
		qsort(row, (size_t)ng, (size_t)w * sizeof(double), plot_sweep_xcmp);
	char name[96], path[PATH_MAX], base[64];
	snprintf(base, sizeof(base), "sweep%d_%d", g0, *fig);
	snprintf(name, sizeof(name), "%s.tsv", base);
	FILE *f = plot_tsv_open(pc, name, "sweep figure", path, sizeof(path));
	if (f) {
		fprintf(f, "# %s%s\tvalue", key, mib ? "_MiB" : "");
		for (int b = 0; b < nb; b++)
			fprintf(f, "\t%s_mean\t%s_ci95\t%s_served\t%s_runs", names[b], names[b], names[b], names[b]);
		fputc('\n', f);
		for (int j = 0; j < ng; j++) {
			double *r = &row[j * w];
			fprintf(f, "%.17g\t%s", r[0], xs[(int)r[1]]);
			for (int k = 2; k < w; k++)
				plot_tsv_value(f, r[k], 9);
			fputc('\n', f);
		}
		fclose(f);
		/* the other swept parameters' values: the figure's subtitle */
		char others[512] = "", t[700], cap[1024], v[PATH_MAX + 2048], labels[512] = "", colours[512] = "";
		size_t ol = 0;
		for (int k = 0; k < nk; k++) {
			char val[160];
			if (!strcmp(keys[k], key))
				continue;
			plot_config_value(g0r->config, keys[k], val, sizeof(val));
			ol += (size_t)snprintf(others + ol, sizeof(others) - MIN(ol, sizeof(others)), ", %s %s", keys[k], val);
		}
		for (int b = 0; b < nb; b++) {
			plot_list_add(labels, sizeof(labels), names[b]);
			size_t cl = strlen(colours);
			snprintf(colours + cl, sizeof(colours) - cl, "%s%s", cl ? " " : "", plot_backend_colour(names[b]));
		}
		char in[128], xl[96], ml[128];
		runs_input_name(g0r->input, in, sizeof(in));
		snprintf(t, sizeof(t), "%s against %s: %s%s", m->label, key, in, others);
		snprintf(xl, sizeof(xl), "%s%s", key, mib ? " (MiB)" : "");
		snprintf(ml, sizeof(ml), "%s", m->label);
		plot_sanitize(xl);
		plot_sanitize(ml);
		bool logx = numeric && lo > 0 && hi / lo >= 8;
		int nseeds = 0;
		for (int j = 0; j < ng && nb; j++)
			nseeds = MAX(nseeds, (int)row[j * w + 5]);
		snprintf(v, sizeof(v), "data='%s'; nb=%d; labels=\"%s\"; colours='%s'; xlab='%s'; ylab='%s'; logx=%d;"
			 " numeric=%d; nseeds=%d", path, nb, labels, colours, xl, ml, logx, numeric, nseeds);
		snprintf(cap, sizeof(cap), "Study %s, %s: %s against the swept parameter %s%s, one line per back end; "
			 "%s; an open mark: the back end did not serve the whole workload there.", study, in, m->label,
			 key, others, nseeds > 1 ? "points are the mean over seeds with its 95% confidence interval "
			 "(Student's t)" : "one seed: no interval");
		plot_figure(pc, K_SWEEP, base, t, cap, g0, NULL, v, NULL);
		pc->figs[pc->nfigs - 1].study = true;
		(*fig)++;
	}
	free(row);
	free(gs);
	free(xs);
}

/* The sweep figures of every study with groups that differ in a parameter. */
static void plot_sweeps(struct plot_ctx *pc, const struct runs_run *runs, int nruns, const struct compare_metric *m)
{
	int groups = 0;
	for (int i = 0; i < nruns; i++)
		groups = MAX(groups, runs[i].group + 1);
	for (int g = 0; g < groups; g++) {
		const struct runs_run *r0 = NULL;
		for (int i = 0; i < nruns && !r0; i++)
			if (runs[i].group == g)
				r0 = &runs[i];
		bool first = r0 != NULL;
		for (int i = 0; i < nruns && first; i++)
			first = !(runs[i].group < g && !strcmp(runs[i].study, r0->study) && !strcmp(runs[i].input, r0->input));
		if (!first)
			continue;
		/* the study's (and input's) swept keys: values that differ between its groups */
		char keys[PLOT_SWEEP_KEYS][64], w[96][160];
		int nk = 0, nw = plot_config_words(r0->config, w, 96);
		for (int k = 0; k < nw && nk < PLOT_SWEEP_KEYS; k++) {
			char key[64], mine[160], other[160];
			snprintf(key, sizeof(key), "%.*s", (int)strcspn(w[k], "="), w[k]);
			bool dup = false;
			for (int j = 0; j < nk && !dup; j++)
				dup = !strcmp(keys[j], key);
			plot_config_value(r0->config, key, mine, sizeof(mine));
			bool differs = false;
			for (int i = 0; i < nruns && !differs && !dup; i++)
				if (!strcmp(runs[i].study, r0->study) && !strcmp(runs[i].input, r0->input)) {
					plot_config_value(runs[i].config, key, other, sizeof(other));
					differs = strcmp(mine, other) != 0;
				}
			if (differs && strcmp(key, "reserve"))   /* reserve follows --mem by default */
				snprintf(keys[nk++], sizeof(keys[0]), "%s", key);
		}
		/* one figure per key and per set of values of the other keys */
		int fig = 0;
		for (int k = 0; k < nk; k++) {
			bool *done = xcalloc((size_t)groups, sizeof(*done));
			for (int h = g; h < groups; h++) {
				const struct runs_run *rh = NULL;
				for (int i = 0; i < nruns && !rh; i++)
					if (runs[i].group == h && !strcmp(runs[i].study, r0->study) && !strcmp(runs[i].input, r0->input))
						rh = &runs[i];
				if (!rh || done[h])
					continue;
				/* mark the groups that share h's other values; draw when there are two x values */
				int nx = 0;
				char x0[160] = "";
				for (int j = h; j < groups; j++) {
					const struct runs_run *rj = NULL;
					for (int i = 0; i < nruns && !rj; i++)
						if (runs[i].group == j && !strcmp(runs[i].study, r0->study) && !strcmp(runs[i].input, r0->input))
							rj = &runs[i];
					if (!rj)
						continue;
					bool same = true;
					for (int q = 0; q < nk && same; q++) {
						char a[160], b[160];
						if (q == k)
							continue;
						plot_config_value(rj->config, keys[q], a, sizeof(a));
						plot_config_value(rh->config, keys[q], b, sizeof(b));
						same = !strcmp(a, b);
					}
					if (!same)
						continue;
					done[j] = true;
					char xv[160];
					plot_config_value(rj->config, keys[k], xv, sizeof(xv));
					if (!nx || strcmp(xv, x0))
						nx++;
					if (nx == 1)
						snprintf(x0, sizeof(x0), "%s", xv);
				}
				if (nx >= 2)
					plot_sweep_one(pc, runs, nruns, r0->study, h, keys[k], keys, nk, m, &fig);
			}
			free(done);
		}
	}
}

/* ---- the driver ---- */

static void plot_group_draw(struct plot_ctx *pc, const struct runs_run *runs, int nruns, int g,
			    const struct compare_metric *m)
{
	static struct plot_group gr;
	static char rlist[16384], ends[4096], marks[8192];
	plot_group_build(pc, runs, nruns, g, m, &gr, rlist, sizeof(rlist), ends, sizeof(ends));
	char epath[PATH_MAX], ename[64];
	snprintf(ename, sizeof(ename), "grp%d_ends.tsv", g);
	FILE *ef = plot_tsv_open(pc, ename, "runs that ended early", epath, sizeof(epath));
	if (ef) {
		fprintf(ef, "# events\tF_MiB\tF_over_R\tA_over_R\thostage_pages\tcolour\tstatus\n%s", ends);
		fclose(ef);
	}
	plot_marks_build(pc, &gr, marks, sizeof(marks));
	unsigned k = pc->kinds;
	if (k & (1u << K_BARS))
		plot_bars(pc, runs, nruns, &gr, m);
	if (gr.nseries && (k & (1u << K_FOOTPRINT)))
		plot_footprint(pc, &gr, rlist, ef ? epath : "", marks);
	if (k & ((1u << K_THP) | (1u << K_UNUSABLE) | (1u << K_FRAGINDEX)))
		plot_extfrag(pc, &gr, k);
	if (gr.nseries && (k & (1u << K_FRAG)))
		plot_frag(pc, &gr, ef ? epath : "", marks);
	if (k & (1u << K_HUGEFREE))
		plot_hugefree(pc, &gr);
	if (k & (1u << K_MEMMAP))
		plot_memmap(pc, &gr);
	if (k & (1u << K_BUDDY))
		plot_buddy(pc, &gr);
	if (k & (1u << K_CACHES))
		plot_caches(pc, &gr);
	for (int i = 0; i < gr.n; i++)
		if (k & (1u << K_BITMAP))
			plot_bitmap(pc, &gr, gr.e[i].run);
	plot_group_release(&gr);
}

int plot_write(const struct plot_opts *o)
{
	if (access(o->db, R_OK) != 0) {
		fprintf(stderr, "kmemsim plot: %s: no such database\n", o->db);
		return 2;
	}
	if (strpbrk(o->out, "'\"\\\n@")) {
		fprintf(stderr, "kmemsim plot: --out %s: a quote, backslash, newline or '@' cannot reach gnuplot\n", o->out);
		return 2;
	}
	char err[512];
	sqlite3 *db = runs_open(o->db, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "kmemsim plot: %s\n", err);
		return 2;
	}
	const struct compare_metric *m = o->rank_by ? o->rank_by : &compare_metrics[0];
	static struct runs_run runs[RUNS_MAX];
	int n = runs_select(db, o->ids, o->nids, o->study, runs);
	if (n <= 0) {
		fprintf(stderr, "kmemsim plot: %s: no runs%s%s%s\n", o->db, o->nids ? " with those ids" : "",
			o->study ? " in study " : "", o->study ? o->study : "");
		runs_close(db);
		return 1;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", o->out);
	for (char *p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0777);
			*p = '/';
		}
	if (mkdir(o->out, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "kmemsim plot: cannot create %s: %s\n", o->out, strerror(errno));
		runs_close(db);
		return 2;
	}
	/* a full plot replaces everything it wrote before; a pick adds to it */
	bool full = !o->kinds && !o->formats && !o->snapshot;
	char *kept = plot_manifest_clean(o->out, full);
	struct plot_ctx pc = { .db = db, .out = o->out, .gpdir = plot_scripts_dir(), .snapshot = o->snapshot,
			       .kinds = o->kinds ? o->kinds : (1u << K_N) - 1,
			       .formats = o->formats ? o->formats : PLOT_FORMATS, .formats_asked = o->formats != 0 };
	pc.have_gnuplot = system("gnuplot --version >/dev/null 2>&1") == 0;
	if (!pc.have_gnuplot)
		fprintf(stderr, "kmemsim plot: gnuplot not found: writing data files only (apt-get install gnuplot-nox)\n");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pc.slots = (int)MAX(1, MIN(ncpu, PLOT_MAX_JOBS));
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/gnuplot.log", o->out);
	unlink(path);
	plot_file_note(&pc, "gnuplot.log", "log", "gnuplot messages", "ok");
	int groups = 0;
	for (int i = 0; i < n; i++)
		groups = MAX(groups, runs[i].group + 1);
	for (int g = 0; g < groups; g++) {
		char title[256];
		runs_group_title(runs, n, g, title, sizeof(title));
		fprintf(stderr, "kmemsim plot: group %d/%d: %s\n", g + 1, groups, title);
		plot_group_draw(&pc, runs, n, g, m);
	}
	if (pc.kinds & (1u << K_SWEEP))
		plot_sweeps(&pc, runs, n, m);
	while (plot_job_reap(&pc))
		;
	int rc = pc.failures ? 1 : 0;
	if (o->snapshot && !pc.snapshot_found) {
		fprintf(stderr, "kmemsim plot: no run has a snapshot labelled '%s'\n", o->snapshot);
		rc = 1;
	}
	if (full) {
		snprintf(path, sizeof(path), "%s/index.html", o->out);
		if (report_write(path, o->db, db, runs, n, m, pc.figs, pc.nfigs))
			plot_file_note(&pc, "index.html", "report", "kmemsim results", "ok");
		else {
			fprintf(stderr, "kmemsim plot: cannot write %s\n", path);
			rc = 1;
		}
	}
	plot_manifest_write(&pc, kept);
	free(kept);
	runs_close(db);
	unsigned drawn = 0;
	for (int i = 0; i < pc.nfigs; i++)
		drawn += pc.figs[i].formats != 0;
	fprintf(stderr, "kmemsim plot: %u figures in %s%s%s\n", drawn, o->out, full ? ", index.html" : "",
		pc.failures ? " (some failed)" : "");
	free(pc.figs);
	free(pc.titles);
	free(pc.fmts);
	free(pc.files);
	return rc;
}

static void plot_usage_print(FILE *f)
{
	fputs("usage: kmemsim plot [--db results.db] [--run ID ...] [--study LABEL] [--out DIR]\n"
	      "                    [--rank-by METRIC] [--kind K ...] [--format F ...] [--snapshot LABEL]\n"
	      "\n"
	      "Draws figures (PNG at 200 dpi and PDF, a paper column or page wide; SVG for\n"
	      "the line and bar kinds) and index.html from a results database. The numbers\n"
	      "behind each figure are written beside it (.tsv).\n"
	      "\n"
	      "options:\n"
	      "  --db FILE             results database (default results.db)\n"
	      "  --run ID              only this run (repeatable)\n"
	      "  --study LABEL         only the runs of this study (default --out: plots/out/LABEL)\n"
	      "  --out DIR             output directory (default plots/out)\n"
	      "  --rank-by METRIC      order of the tables and bar charts: peak (default), final,\n"
	      "                        jw1, jw2, jw3, jw4, int_frag (as `kmemsim compare --rank-by`);\n"
	      "                        back ends that served the whole workload always come first\n"
	      "  --kind K              draw only figures of kind K (repeatable, or K1,K2); then\n"
	      "                        index.html is not rewritten and other files are kept\n"
	      "  --format F            png, pdf or svg (repeatable, or F1,F2); default PNG and PDF\n"
	      "                        for every kind, SVG for the line and bar kinds only (an\n"
	      "                        image kind's SVG would only wrap a PNG); asked: every kind\n"
	      "  --snapshot LABEL      the bitmap pictures the snapshot with this label (default:\n"
	      "                        the run's last labelled snapshot, else its fullest)\n"
	      "  --help                this text\n"
	      "\n"
	      "kinds (per group of runs: one study, input and parameter set; per run):\n", f);
	for (int k = 0; k < K_N; k++)
		fprintf(f, "  %-10s %s %s\n", plot_kinds[k].name, plot_kinds[k].per_run ? "run  " : "group",
			plot_kinds[k].help);
	fputs("\n"
	      "A full plot (no --kind, --format or --snapshot) first removes the files its\n"
	      "last run listed in DIR/manifest.tsv, and only those.\n"
	      "exit status: 0 ok; 1 no runs, no such snapshot, or a figure failed; 2 bad usage\n"
	      "or no such database.\n", f);
}

/* Parse a comma-separated list of names into a mask (lookup: name -> bit);
 * false on an unknown name. */
static bool plot_list_parse(const char *list, unsigned (*lookup)(const char *), unsigned *mask, char *bad, size_t n)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		unsigned b = lookup(w);
		if (!b) {
			snprintf(bad, n, "%s", w);
			return false;
		}
		*mask |= b;
	}
	return buf[0] != '\0';
}

static unsigned plot_format_lookup(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(plot_format_names[i], name))
			return 1u << i;
	return 0;
}

int cmd_plot(int argc, char **argv)
{
	static struct plot_opts o;
	static char dir[PATH_MAX];
	o = (struct plot_opts){ .db = "results.db", .out = NULL };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char bad[256] = "";
		if (!strcmp(a, "--db") && v) {
			o.db = v;
			i++;
		} else if (!strcmp(a, "--out") && v) {
			o.out = v;
			i++;
		} else if (!strcmp(a, "--study") && v) {
			o.study = v;
			i++;
		} else if (!strcmp(a, "--snapshot") && v) {
			o.snapshot = v;
			i++;
		} else if (!strcmp(a, "--kind") && v) {
			if (!plot_list_parse(v, plot_kind_lookup, &o.kinds, bad, sizeof(bad))) {
				fprintf(stderr, "kmemsim plot: --kind: unknown kind '%s' (kinds:", bad);
				for (int k = 0; k < K_N; k++)
					fprintf(stderr, " %s", plot_kinds[k].name);
				fprintf(stderr, ")\n");
				return 2;
			}
			i++;
		} else if (!strcmp(a, "--format") && v) {
			if (!plot_list_parse(v, plot_format_lookup, &o.formats, bad, sizeof(bad))) {
				fprintf(stderr, "kmemsim plot: --format: unknown format '%s' (png, pdf or svg)\n", bad);
				return 2;
			}
			i++;
		} else if (!strcmp(a, "--run") && v) {
			char *end;
			long long id = strtoll(v, &end, 10);
			if (*end || id <= 0 || o.nids == RUNS_MAX) {
				fprintf(stderr, "kmemsim plot: --run needs a run id (got '%s')\n", v);
				return 2;
			}
			o.ids[o.nids++] = id;
			i++;
		} else if (!strcmp(a, "--rank-by") || !strncmp(a, "--rank-by=", 10)) {
			const char *val = a[9] == '=' ? a + 10 : v;
			if (a[9] != '=')
				i++;
			o.rank_by = val ? compare_metric_lookup(val) : NULL;
			if (!o.rank_by) {
				char valid[128];
				compare_metric_names(valid, sizeof(valid));
				fprintf(stderr, "kmemsim plot: --rank-by needs one of %s (got '%s')\n", valid, val ? val : "");
				return 2;
			}
		} else if (!strcmp(a, "--help")) {
			plot_usage_print(stdout);
			return 0;
		} else {
			fprintf(stderr, "kmemsim plot: unknown option or missing value '%s'\n", a);
			plot_usage_print(stderr);
			return 2;
		}
	}
	if (!o.out) {
		/* a study's figures in their own folder, as compare writes them */
		char slug[128];
		if (o.study) {
			plot_slug(o.study, slug, sizeof(slug));
			snprintf(dir, sizeof(dir), "plots/out/%s", slug);
			o.out = dir;
		} else {
			o.out = "plots/out";
		}
	}
	return plot_write(&o);
}
