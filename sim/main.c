/*
 * main.c - the kmemsim command line.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "compare.h"
#include "engine.h"
#include "luaw.h"
#include "params.h"
#include "plot.h"
#include "results.h"
#include "merge.h"
#include "sweep.h"
#include "trace.h"
#include "../allocators/allocator.h"

static const char usage[] =
"usage: kmemsim COMMAND [OPTIONS]\n"
"\n"
"A discrete-event simulator of kernel memory allocators.\n"
"\n"
"commands:\n"
"  run --allocator NAME (--trace FILE | SCRIPT.lua) [options]\n"
"                        replay a trace or run a Lua workload against one back end\n"
"  compare (--trace FILE | SCRIPT.lua) [--allocators A,B] [--rank-by M] [options]\n"
"                        run back ends on the same input and rank them (compare --help)\n"
"  plot [--db FILE] [--run ID ...] [--study S] [--out DIR] [--rank-by M]\n"
"       [--kind K] [--format png|pdf|svg] [--snapshot LABEL]\n"
"                        draw figures from a results database (plot --help)\n"
"  sweep SPEC [-j N] [--dry-run] [--emit slurm|parallel] [--db FILE]\n"
"                        a whole study: every run of a spec file (sweep --help)\n"
"  merge [--refuse-dups] OUT.db IN.db...\n"
"                        merge result databases (merge --help)\n"
"  export --format csv|json [--study S] [--db FILE]\n"
"                        one row per run with named columns, for pandas or R\n"
"  convert [--lenient] IN OUT.kmt\n"
"                        parse a trace once into kmemsim's binary trace (--trace OUT.kmt)\n"
"  list                  list the back ends\n"
"  info --allocator NAME --size S [--cpus N]\n"
"                        geometry for one object size: objsize objperslab pagesperslab\n"
"  describe SCRIPT.lua   a workload's description and parameters\n"
"  --help, --version\n"
"\n"
"run options:\n"
"  --allocator NAME      buddy, zone, slab, slub, slob, nta (default slub)\n"
"  --trace FILE          ftrace kmem events, trace-cmd report, perf script, or glibc\n"
"                        mtrace (xz, gzip, zstd ok)\n"
"  --mem SIZE            modelled RAM, 16M..1T (default 512M)\n"
"  --cpus N              simulated CPUs (default 2)\n"
"  --seed S              random seed (default 1)\n"
"  --db FILE             results database (default results.db); --no-db for none\n"
"  --study LABEL         label grouping runs in the database\n"
"  --sample-every N      sample metrics every N events (default 1000)\n"
"  --sample-ns NS        also sample every NS of simulated time\n"
"  --snapshot-every N    page-bitmap snapshot every N events (default off)\n"
"  --check-every N       run the invariant checkers every N events (tests use 1)\n"
"  --lenient             count and skip malformed trace lines instead of stopping\n"
"  --no-page-events      ignore mm_page_alloc/mm_page_free events\n"
"  --replay-own-slab     also replay the traced kernel's own slab pages, kmalloc_large\n"
"                        pages and slab metadata (default: set aside and counted)\n"
"  --slabinfo            print a /proc/slabinfo-style table at the end\n"
"  --quiet               no summary on stdout\n"
"  --progress, --no-progress   progress line on stderr (default: when a tty)\n"
"  --set KEY=VALUE       a workload parameter (repeatable)\n"
"memory: --max-order N (default 10), --reserve START+SIZE (repeatable; replaces\n"
"  the default first MiB and kernel image)\n"
"back ends: --no-merge (SLUB), --slub-min-objects N, --slub-max-order N,\n"
"  --zone-map SIZE (zone, default 12M), --nta-release, --nta-chunk N,\n"
"  --backing direct|mapped, --pt-levels 4|5, --pt-reserve N (pages)\n"
"\n"
"exit status: 0 ok, 1 the run failed (its row is kept, marked failed; also when\n"
"results.db could not be written), 2 bad usage or malformed input, 130/143 the run\n"
"was stopped by SIGINT/SIGTERM (its row is marked interrupted, partial results kept).\n";

enum {
	OPT_TRACE = 256, OPT_MEM, OPT_CPUS, OPT_SEED, OPT_DB, OPT_NODB, OPT_STUDY,
	OPT_SAMPLE_EVERY, OPT_SAMPLE_NS, OPT_SNAPSHOT_EVERY, OPT_CHECK_EVERY, OPT_LENIENT,
	OPT_NO_PAGE_EVENTS, OPT_REPLAY_OWN_SLAB, OPT_SLABINFO, OPT_QUIET, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_SET,
	OPT_MAX_ORDER, OPT_RESERVE, OPT_NO_MERGE, OPT_SLUB_MIN_OBJECTS, OPT_SLUB_MAX_ORDER,
	OPT_ZONE_MAP, OPT_NTA_RELEASE, OPT_NTA_CHUNK, OPT_BACKING, OPT_PT_LEVELS, OPT_PT_RESERVE,
	OPT_SIZE, OPT_HELP,
};

static const struct option long_opts[] = {
	{ "allocator", required_argument, NULL, 'a' },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "db", required_argument, NULL, OPT_DB },
	{ "no-db", no_argument, NULL, OPT_NODB },
	{ "study", required_argument, NULL, OPT_STUDY },
	{ "sample-every", required_argument, NULL, OPT_SAMPLE_EVERY },
	{ "sample-ns", required_argument, NULL, OPT_SAMPLE_NS },
	{ "snapshot-every", required_argument, NULL, OPT_SNAPSHOT_EVERY },
	{ "check-every", required_argument, NULL, OPT_CHECK_EVERY },
	{ "lenient", no_argument, NULL, OPT_LENIENT },
	{ "no-page-events", no_argument, NULL, OPT_NO_PAGE_EVENTS },
	{ "replay-own-slab", no_argument, NULL, OPT_REPLAY_OWN_SLAB },
	{ "slabinfo", no_argument, NULL, OPT_SLABINFO },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "set", required_argument, NULL, OPT_SET },
	{ "max-order", required_argument, NULL, OPT_MAX_ORDER },
	{ "reserve", required_argument, NULL, OPT_RESERVE },
	{ "no-merge", no_argument, NULL, OPT_NO_MERGE },
	{ "slub-min-objects", required_argument, NULL, OPT_SLUB_MIN_OBJECTS },
	{ "slub-max-order", required_argument, NULL, OPT_SLUB_MAX_ORDER },
	{ "zone-map", required_argument, NULL, OPT_ZONE_MAP },
	{ "nta-release", no_argument, NULL, OPT_NTA_RELEASE },
	{ "nta-chunk", required_argument, NULL, OPT_NTA_CHUNK },
	{ "backing", required_argument, NULL, OPT_BACKING },
	{ "pt-levels", required_argument, NULL, OPT_PT_LEVELS },
	{ "pt-reserve", required_argument, NULL, OPT_PT_RESERVE },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

__attribute__((format(printf, 1, 2)))
static _Noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "kmemsim: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(kmemsim --help for usage)\n");
	exit(2);
}

/*
 * Numbers on the command line. Every numeric option goes through
 * opt_number: parse_u64 reads the whole text into 64 bits (decimal or
 * 0x hex, K/M/G/T for sizes) and refuses a negative number or one past
 * 2^64 - 1; then the option's own range is checked here, before anything
 * is stored in a narrower field, so no value is ever truncated or wrapped.
 */
enum num_kind { NUM_PLAIN, NUM_BYTES };

/* "16M" for a whole number of binary units, else the plain number. */
static const char *opt_show(uint64_t v, enum num_kind kind, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;
	while (kind == NUM_BYTES && v && u < 3 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u >= 0)
		snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

static uint64_t opt_number(const char *opt, const char *s, enum num_kind kind, uint64_t min, uint64_t max)
{
	uint64_t v = 0;
	enum parse_result r = parse_u64(s, kind == NUM_BYTES, &v);
	if (r == PARSE_BAD)
		usage_error("%s needs %s (got '%s')", opt,
			    kind == NUM_BYTES ? "a size such as 4096, 0x1000, 16M or 64G" : "a number", s);
	if (r == PARSE_RANGE || v < min || v > max) {
		char lo[32], hi[32];
		usage_error("%s must be %s..%s (got %s)", opt, opt_show(min, kind, lo, sizeof(lo)),
			    opt_show(max, kind, hi, sizeof(hi)), s);
	}
	return v;
}

/* Parse the options shared by run/info/compare into p; returns the index of
 * the first positional argument (argv is permuted by getopt). */
static int parse_run_options(int argc, char **argv, struct params *p, uint32_t *size_out)
{
	uint64_t mem = p->mem.mem_bytes;
	unsigned max_order = p->mem.max_order;
	struct reserved_range res[8];
	const char *res_text[8], *zone_map_text = NULL, *pt_reserve_text = NULL;
	unsigned nres = 0;
	int c;
	optind = 1;
	p->progress = isatty(2);
	while ((c = getopt_long(argc, argv, "a:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'a': p->allocator = optarg; break;
		case OPT_TRACE: p->trace = optarg; break;
		case OPT_MEM:
			mem = opt_number("--mem", optarg, NUM_BYTES, PHYSMEM_MEM_MIN, PHYSMEM_MEM_MAX);
			if (mem % PAGE_SIZE)
				usage_error("--mem must be a multiple of 4K (got %s)", optarg);
			break;
		case OPT_CPUS: p->cpus = (unsigned)opt_number("--cpus", optarg, NUM_PLAIN, 1, PARAMS_CPUS_MAX); break;
		case OPT_SEED: p->seed = opt_number("--seed", optarg, NUM_PLAIN, 0, UINT64_MAX); break;
		case OPT_DB:
			if (!*optarg)
				usage_error("--db needs a file name (got ''; --no-db for none)");
			p->db = optarg;
			break;
		case OPT_NODB: p->db = NULL; break;
		case OPT_STUDY: p->study = optarg; break;
		case OPT_SAMPLE_EVERY: p->sample_every = opt_number("--sample-every", optarg, NUM_PLAIN, 0, UINT64_MAX); break;
		case OPT_SAMPLE_NS: p->sample_ns = opt_number("--sample-ns", optarg, NUM_PLAIN, 0, UINT64_MAX); break;
		case OPT_SNAPSHOT_EVERY: p->snapshot_every = opt_number("--snapshot-every", optarg, NUM_PLAIN, 0, UINT64_MAX); break;
		case OPT_CHECK_EVERY: p->check_every = opt_number("--check-every", optarg, NUM_PLAIN, 0, UINT64_MAX); break;
		case OPT_LENIENT: p->lenient = true; break;
		case OPT_NO_PAGE_EVENTS: p->page_events = false; break;
		case OPT_REPLAY_OWN_SLAB: p->replay_own_slab = true; break;
		case OPT_SLABINFO: p->slabinfo = true; break;
		case OPT_QUIET: p->quiet = true; break;
		case OPT_PROGRESS: p->progress = true; break;
		case OPT_NO_PROGRESS: p->progress = false; break;
		case OPT_SET: {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				usage_error("--set needs KEY=VALUE (got '%s')", optarg);
			if (p->nsets == MAX_SETS)
				usage_error("too many --set options");
			*eq = '\0';
			p->set_key[p->nsets] = optarg;
			p->set_val[p->nsets++] = eq + 1;
			break;
		}
		case OPT_MAX_ORDER:
			max_order = (unsigned)opt_number("--max-order", optarg, NUM_PLAIN, 1, PHYSMEM_MAX_ORDER);
			break;
		case OPT_RESERVE: {
			char *plus = strchr(optarg, '+');
			if (!plus || nres == ARRAY_SIZE(res))
				usage_error("--reserve needs START+SIZE, at most %zu times, e.g. 0+1M (got '%s')",
					    ARRAY_SIZE(res), optarg);
			res_text[nres] = optarg;
			*plus = '\0';
			res[nres].start = opt_number("--reserve START", optarg, NUM_BYTES, 0, PHYSMEM_MEM_MAX);
			res[nres].size = opt_number("--reserve SIZE", plus + 1, NUM_BYTES, 1, PHYSMEM_MEM_MAX);
			*plus = '+';
			nres++;
			break;
		}
		case OPT_NO_MERGE: p->no_merge = true; break;
		case OPT_SLUB_MIN_OBJECTS:
			p->slub_min_objects = (unsigned)opt_number("--slub-min-objects", optarg, NUM_PLAIN, 0,
								   PARAMS_SLUB_MIN_OBJECTS);
			break;
		case OPT_SLUB_MAX_ORDER:
			p->slub_max_order = (unsigned)opt_number("--slub-max-order", optarg, NUM_PLAIN, 0,
								 PARAMS_SLUB_MAX_ORDER);
			break;
		case OPT_ZONE_MAP:
			p->zone_map_bytes = opt_number("--zone-map", optarg, NUM_BYTES, PAGE_SIZE, PHYSMEM_MEM_MAX);
			zone_map_text = optarg;
			break;
		case OPT_NTA_RELEASE: p->nta_release = true; break;
		case OPT_NTA_CHUNK:
			p->nta_chunk = (unsigned)opt_number("--nta-chunk", optarg, NUM_PLAIN, PARAMS_NTA_CHUNK_MIN,
							    PARAMS_NTA_CHUNK_MAX);
			if (p->nta_chunk & (p->nta_chunk - 1))
				usage_error("--nta-chunk must be a power of two %u..%u (got %s)",
					    PARAMS_NTA_CHUNK_MIN, PARAMS_NTA_CHUNK_MAX, optarg);
			break;
		case OPT_BACKING:
			if (strcmp(optarg, "direct") == 0) p->backing = BACKING_DIRECT;
			else if (strcmp(optarg, "mapped") == 0) p->backing = BACKING_MAPPED;
			else usage_error("--backing is direct or mapped (got '%s')", optarg);
			break;
		case OPT_PT_LEVELS:
			p->pt_levels = (unsigned)opt_number("--pt-levels", optarg, NUM_PLAIN, 4, 5);
			break;
		case OPT_PT_RESERVE:
			/* at most one per frame of the largest machine; of --mem below */
			p->pt_reserve = (unsigned)opt_number("--pt-reserve", optarg, NUM_PLAIN, 0, PHYSMEM_MEM_MAX / PAGE_SIZE);
			pt_reserve_text = optarg;
			break;
		case OPT_SIZE:
			if (!size_out)
				usage_error("--size is an option of `kmemsim info`");
			/* struct event carries a size in 32 bits: what a request can be */
			*size_out = (uint32_t)opt_number("--size", optarg, NUM_BYTES, 1, UINT32_MAX);
			break;
		case OPT_HELP: fputs(usage, stdout); exit(0);
		default: fprintf(stderr, "(kmemsim --help for usage)\n"); exit(2);
		}
	}
	/* Ranges that depend on --mem, which may come after the option
	 * (params_check below checks them too, for every caller). */
	char m[32];
	for (unsigned i = 0; i < nres; i++) {
		if (res[i].size > mem || res[i].start > mem - res[i].size)   /* no start + size overflow */
			usage_error("--reserve START+SIZE must end within --mem %s (got %s)",
				    opt_show(mem, NUM_BYTES, m, sizeof(m)), res_text[i]);
	}
	if (zone_map_text && (p->zone_map_bytes > mem || p->zone_map_bytes % PAGE_SIZE))
		usage_error("--zone-map must be a multiple of 4K from 4K to --mem %s (got %s)",
			    opt_show(mem, NUM_BYTES, m, sizeof(m)), zone_map_text);
	if (pt_reserve_text && p->pt_reserve > mem / PAGE_SIZE)
		usage_error("--pt-reserve must be 0..%llu pages, the frames of --mem %s (got %s)",
			    (unsigned long long)(mem / PAGE_SIZE), opt_show(mem, NUM_BYTES, m, sizeof(m)), pt_reserve_text);
	physmem_config_init(&p->mem, mem);
	p->mem.max_order = max_order;
	if (nres) {
		p->mem.nreserved = nres;
		memcpy(p->mem.reserved, res, nres * sizeof(res[0]));
	}
	char err[256];
	if (!params_check(p, err, sizeof(err)))
		usage_error("%s", err);
	return optind;
}

static void print_slabinfo_row(void *ctx, const struct cache_info *ci)
{
	FILE *out = ctx;
	fprintf(out, "%-17s %6llu %6llu %6u %4u %4u : tunables %4u %4u %4u : slabdata %6llu %6llu %6llu\n",
		ci->name, (unsigned long long)ci->active_objs, (unsigned long long)ci->num_objs,
		ci->objsize, ci->objperslab, ci->pagesperslab, ci->limit, ci->batchcount, ci->sharedfactor,
		(unsigned long long)ci->active_slabs, (unsigned long long)ci->num_slabs,
		(unsigned long long)ci->shared_avail);
}

static void trace_summary_line(void *ctx, const char *key, double v)
{
	fprintf(ctx, "%s: %.0f\n", key, v);
}

static void trace_stat_row(void *ctx, const char *key, double v)
{
	struct sim *s = ctx;
	results_stat(s->res, s->run_id, key, v);
}

static char *main_cmdline;   /* the command line as typed, for runs.cmdline */

/* The parameters `kmemsim run` takes from argv (argv[0] = "run"): bad
 * usage is a message and exit 2. Also what `kmemsim sweep` checks each
 * planned run with (sweep_params_fn_t). */
static void main_run_params(int argc, char **argv, struct params *pp)
{
	struct params p;
	params_init(&p);
	p.db = "results.db";   /* the command line's default; params_init's is none */
	p.cmdline = main_cmdline;
	int first = parse_run_options(argc, argv, &p, NULL);
	if (first < argc) {
		if (p.trace || first + 1 < argc)
			usage_error("run takes one input: --trace FILE or one SCRIPT.lua (extra: %s)", argv[first]);
		p.script = argv[first];
	}
	if (!p.trace && !p.script)
		usage_error("run needs an input: --trace FILE or SCRIPT.lua");
	if (p.trace && strcmp(p.trace, "-") != 0 && access(p.trace, R_OK) != 0)
		usage_error("%s: cannot read the trace", p.trace);
	if (p.script && access(p.script, R_OK) != 0)
		usage_error("%s: cannot read the script", p.script);
	/* inputs named as what they are */
	if (p.script && trace_sniff_file(p.script) == TRACE_SNIFF_TRACE)
		usage_error("%s looks like a kmem trace, not a Lua script: use --trace %s", p.script, p.script);
	if (p.trace && strcmp(p.trace, "-") != 0 && trace_sniff_file(p.trace) == TRACE_SNIFF_LUA)
		usage_error("%s looks like a Lua script, not a kmem trace: run it as `kmemsim run %s`",
			    p.trace, p.trace);
	*pp = p;
}

static int cmd_run(int argc, char **argv)
{
	struct params p;
	main_run_params(argc, argv, &p);

	char err[512] = "";
	sim_signals_catch();   /* before the run row exists: a signal then stops it at once */
	struct sim *s = sim_create(&p, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "kmemsim: %s\n", err);
		return 2;
	}
	int rc;
	struct trace_stats ts = { 0 };
	if (p.trace)
		rc = trace_replay(s, p.trace, p.lenient, &ts, err, sizeof(err));
	else
		rc = luaw_run(s, p.script, err, sizeof(err));
	if (rc == 0 && !sim_stopped(s))   /* a signal may have cut the input short */
		sim_drain(s);
	if (p.trace && s->res)   /* the trace's counts, set-aside ones too, stay with the run */
		trace_stats_report(&ts, trace_stat_row, s);
	if (rc != 0) {
		snprintf(s->failmsg, sizeof(s->failmsg), "%s", err);
		if (s->progress_shown)
			fputc('\n', stderr);
		fprintf(stderr, "kmemsim: %s\n", err);
	}
	enum run_status status = sim_finish(s, rc == 0 ? RUN_OK : RUN_FAILED);
	if (status == RUN_FAILED && rc == 0) {
		fprintf(stderr, "kmemsim: %s\n", s->failmsg);   /* a write error */
		rc = 1;
	} else if (status == RUN_INTERRUPTED) {
		fprintf(stderr, "kmemsim: %s%s\n", s->failmsg, p.db ? "; partial results kept" : "");
		/* a signal: the shell's convention, 128 + its number; a limit
		 * (another issue) may choose its own */
		rc = s->stop_signal ? 128 + s->stop_signal : 1;
	}
	if (!p.quiet) {
		if (p.trace) {
			printf("trace_format: %s\n", ts.format ? ts.format : "unknown");
			trace_stats_report(&ts, trace_summary_line, stdout);
		}
		sim_summary(s, stdout);
	}
	if (p.slabinfo && s->a->ops->caches) {
		printf("slabinfo - version: 2.1 (kmemsim %s)\n", s->a->ops->name);
		printf("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
		       " : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
		s->a->ops->caches(s->a, print_slabinfo_row, stdout);
	}
	sim_destroy(s);
	return rc == 0 ? 0 : rc;
}

static int cmd_list(void)
{
	for (size_t i = 0; allocator_registry[i]; i++)
		printf("%-6s  %s\n", allocator_registry[i]->name, allocator_registry[i]->summary);
	return 0;
}

static int cmd_info(int argc, char **argv)
{
	struct params p;
	params_init(&p);
	uint32_t size = 0;
	parse_run_options(argc, argv, &p, &size);
	if (!size)
		usage_error("info needs --size S");
	const struct allocator_ops *ops = allocator_lookup(p.allocator);
	if (!ops)
		usage_error("unknown allocator '%s' (see `kmemsim list`)", p.allocator);
	char out[256];
	if (!ops->info || !ops->info(&p, size, out, sizeof(out))) {
		fprintf(stderr, "kmemsim: %s has no geometry for size %u\n", ops->name, size);
		return 1;
	}
	printf("%s\n", out);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	main_cmdline = argv_quote(argc, argv);   /* before getopt permutes argv */
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("kmemsim %s (%s)\n", KMEMSIM_VERSION, kmemsim_git_commit());
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return cmd_list();
	if (!strcmp(cmd, "info"))
		return cmd_info(argc - 1, argv + 1);
	if (!strcmp(cmd, "describe")) {
		if (argc != 3)
			usage_error("describe takes one SCRIPT.lua");
		return luaw_describe(argv[2], stdout);
	}
	if (!strcmp(cmd, "compare"))
		return cmd_compare(argc - 1, argv + 1);
	if (!strcmp(cmd, "convert")) {
		char err[512];
		bool lenient = argc > 2 && !strcmp(argv[2], "--lenient");
		if (argc != 4 + lenient)
			usage_error("convert takes [--lenient] IN OUT.kmt");
		int rc = trace_convert(argv[2 + lenient], argv[3 + lenient], lenient, stdout, err, sizeof(err));
		if (rc)
			fprintf(stderr, "kmemsim: %s\n", err);
		return rc;
	}
	if (!strcmp(cmd, "plot"))
		return cmd_plot(argc - 1, argv + 1);
	if (!strcmp(cmd, "sweep"))
		return cmd_sweep(argc - 1, argv + 1, main_run_params);
	if (!strcmp(cmd, "merge"))
		return cmd_merge(argc - 1, argv + 1);
	if (!strcmp(cmd, "export"))
		return cmd_export(argc - 1, argv + 1);
	usage_error("unknown command '%s'", cmd);
}
