/*
 * bench_replay.c - the in-process figures of `make bench` (tests/bench.sh).
 *
 *   bench_replay parse FILE [inline]
 *       kmemsim's trace parser with a stub engine: the feed (trace.h) on its
 *       thread (or, with "inline", on this one), every batch taken and
 *       dropped. Prints "parse BYTES EVENTS SECONDS CPU" (BYTES: of FILE;
 *       CPU: seconds of CPU, both threads).
 *   bench_replay split FILE
 *       the same bytes read the same way (1 MiB read()s), split into lines
 *       with memchr and nothing else: "split BYTES LINES SECONDS CPU".
 *   bench_replay engine ALLOCATOR FILE MEM [own]
 *       the events of FILE (any trace kmemsim reads; "own" = as with
 *       --replay-own-slab) parsed into memory first, not timed; then fed
 *       to sim_event() of a fresh simulator of ALLOCATOR with MEM of
 *       modelled memory and no database: "engine EVENTS SECONDS".
 *   bench_replay native FILE [own]
 *       the same events replayed natively: objects through glibc
 *       malloc/free, pages through malloc/free of 4096 << order bytes, each
 *       kept in the hash table the engine uses (objtab) by the trace's key,
 *       a live key's re-allocation freeing the old block first, as the
 *       engine does; the memory is not touched, but glibc writes its chunk
 *       headers (a page fault for each fresh page of the heap, as native
 *       code would take): "native EVENTS SECONDS".
 * Every figure is the median of 3 runs; the times are wall-clock
 * (CLOCK_MONOTONIC) of the timed part only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "../sim/engine.h"
#include "../sim/objtab.h"
#include "../sim/trace.h"
#include "../allocators/allocator.h"

#define RUNS 3

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds of the process so far, every thread, user and system. */
static double cpu_now(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static double median3(double *t)
{
	double a = t[0], b = t[1], c = t[2];
	if ((a <= b && b <= c) || (c <= b && b <= a))
		return b;
	if ((b <= a && a <= c) || (c <= a && a <= b))
		return a;
	return c;
}

static void bench_params(struct params *p, const char *allocator, uint64_t mem, bool own)
{
	params_init(p);
	p->allocator = allocator;
	p->db = NULL;
	p->progress = false;
	p->replay_own_slab = own;
	physmem_config_init(&p->mem, mem);
}

static long long file_bytes(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static int cmd_parse(const char *path, bool threaded)
{
	struct params p;
	bench_params(&p, "slub", 512 * MIB, false);
	double t[RUNS], c[RUNS];
	uint64_t events = 0;
	for (int i = 0; i < RUNS; i++) {
		char err[512];
		double t0 = now(), c0 = cpu_now();
		struct trace_feed *f = trace_feed_open(&p, path, false, threaded, err, sizeof(err));
		if (!f) {
			fprintf(stderr, "bench_replay: %s\n", err);
			return 2;
		}
		const struct trace_batch *b;
		events = 0;
		while ((b = trace_feed_next(f)) != NULL)
			events += b->n;
		struct trace_stats ts;
		if (trace_feed_close(f, NULL, &ts, err, sizeof(err)) != 0) {
			fprintf(stderr, "bench_replay: %s\n", err);
			return 2;
		}
		t[i] = now() - t0;
		c[i] = cpu_now() - c0;
	}
	printf("parse %lld %llu %.6f %.6f\n", file_bytes(path), (unsigned long long)events, median3(t), median3(c));
	return 0;
}

static int cmd_split(const char *path)
{
	double t[RUNS], c[RUNS];
	uint64_t lines = 0;
	long long bytes = 0;
	char *buf = xmalloc(1u << 20);
	for (int i = 0; i < RUNS; i++) {
		double t0 = now(), c0 = cpu_now();
		int fd = open(path, O_RDONLY);
		if (fd < 0) {
			perror(path);
			return 2;
		}
		size_t have = 0;
		ssize_t n;
		lines = 0;
		bytes = 0;
		while ((n = read(fd, buf + have, (1u << 20) - have)) > 0) {
			bytes += n;
			size_t end = have + (size_t)n, start = 0;
			const char *nl;
			while ((nl = memchr(buf + start, '\n', end - start)) != NULL) {
				lines++;
				start = (size_t)(nl - buf) + 1;
			}
			have = end - start;
			memmove(buf, buf + start, have);
		}
		close(fd);
		t[i] = now() - t0;
		c[i] = cpu_now() - c0;
	}
	free(buf);
	printf("split %lld %llu %.6f %.6f\n", bytes, (unsigned long long)lines, median3(t), median3(c));
	return 0;
}

/* The events of a trace, with the cache markers, in memory. */
struct evlist {
	struct event *ev;
	size_t n, cap;
	char **names;       /* by local cache id */
	size_t nnames;
	uint64_t events;    /* not counting markers */
};

static int evlist_load(struct evlist *l, const struct params *p, const char *path)
{
	char err[512];
	memset(l, 0, sizeof(*l));
	struct trace_feed *f = trace_feed_open(p, path, false, true, err, sizeof(err));
	if (!f) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return -1;
	}
	const struct trace_batch *b;
	while ((b = trace_feed_next(f)) != NULL) {
		for (unsigned i = 0; i < b->n; i++) {
			const struct event *ev = &b->ev[i];
			if (l->n == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 1 << 16;
				l->ev = xrealloc(l->ev, l->cap * sizeof(*l->ev));
			}
			l->ev[l->n++] = *ev;
			if (ev->kind == TRACE_EV_CACHE) {
				if ((size_t)ev->cache >= l->nnames) {
					size_t n = (size_t)ev->cache + 1;
					l->names = xrealloc(l->names, n * sizeof(*l->names));
					memset(l->names + l->nnames, 0, (n - l->nnames) * sizeof(*l->names));
					l->nnames = n;
				}
				l->names[ev->cache] = xstrdup(trace_feed_cache_name(f, ev->cache));
			} else {
				l->events++;
			}
		}
	}
	struct trace_stats ts;
	if (trace_feed_close(f, NULL, &ts, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return -1;
	}
	return 0;
}

static double engine_run(const struct evlist *l, const struct params *p)
{
	char err[512];
	struct sim *s = sim_create(p, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "bench_replay: %s\n", err);
		exit(2);
	}
	int32_t *map = xcalloc(l->nnames + 1, sizeof(*map));
	double t0 = now();
	for (size_t i = 0; i < l->n; i++) {
		struct event ev = l->ev[i];
		if (ev.kind == TRACE_EV_CACHE) {
			map[ev.cache] = sim_cache_create(s, l->names[ev.cache], ev.size, ev.gfp, CACHE_NO_MERGE);
			continue;
		}
		if (ev.cache > 0)
			ev.cache = map[ev.cache] > 0 ? map[ev.cache] : 0;
		sim_event(s, &ev);
	}
	double t = now() - t0;
	if (s->st.events != l->events) {
		fprintf(stderr, "bench_replay: engine saw %llu events of %llu\n",
			(unsigned long long)s->st.events, (unsigned long long)l->events);
		exit(2);
	}
	free(map);
	sim_destroy(s);
	return t;
}

static void native_free_all(void *ctx, const struct obj *o)
{
	(void)ctx;
	free((void *)(uintptr_t)o->addr);
}

static double native_run(const struct evlist *l)
{
	struct objtab objs, pages;
	objtab_init(&objs);
	objtab_init(&pages);
	double t0 = now();
	for (size_t i = 0; i < l->n; i++) {
		const struct event *ev = &l->ev[i];
		struct obj old, *o;
		bool page = ev->kind == EV_PAGE_ALLOC || ev->kind == EV_PAGE_FREE;
		struct objtab *t = page ? &pages : &objs;
		switch (ev->kind) {
		case EV_ALLOC:
		case EV_PAGE_ALLOC:
			if (!ev->key)
				break;
			if (objtab_remove(t, ev->key, &old))
				free((void *)(uintptr_t)old.addr);
			o = objtab_insert(t, ev->key);
			o->addr = (uintptr_t)malloc(page ? (size_t)PAGE_SIZE << ev->size : ev->size);
			o->size = ev->size;
			break;
		case EV_FREE:
		case EV_PAGE_FREE:
			if (ev->key && objtab_remove(t, ev->key, &old))
				free((void *)(uintptr_t)old.addr);
			break;
		default:   /* cache markers: nothing to do natively */
			break;
		}
	}
	double t = now() - t0;
	objtab_foreach(&objs, native_free_all, NULL);
	objtab_foreach(&pages, native_free_all, NULL);
	objtab_fini(&objs);
	objtab_fini(&pages);
	return t;
}

static int cmd_engine(const char *allocator, const char *path, const char *mem_s, bool own, bool native)
{
	struct params p;
	uint64_t mem;
	if (parse_u64(mem_s, true, &mem) != PARSE_OK) {
		fprintf(stderr, "bench_replay: bad size %s\n", mem_s);
		return 2;
	}
	bench_params(&p, allocator, mem, own);
	struct evlist l;
	if (evlist_load(&l, &p, path) != 0)
		return 2;
	double t[RUNS];
	for (int i = 0; i < RUNS; i++)
		t[i] = native ? native_run(&l) : engine_run(&l, &p);
	printf("%s %llu %.6f\n", native ? "native" : "engine", (unsigned long long)l.events, median3(t));
	for (size_t i = 0; i < l.nnames; i++)
		free(l.names[i]);
	free(l.names);
	free(l.ev);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "parse") == 0)
		return cmd_parse(argv[2], !(argc > 3 && strcmp(argv[3], "inline") == 0));
	if (argc == 3 && strcmp(argv[1], "split") == 0)
		return cmd_split(argv[2]);
	if (argc >= 5 && strcmp(argv[1], "engine") == 0)
		return cmd_engine(argv[2], argv[3], argv[4], argc > 5 && strcmp(argv[5], "own") == 0, false);
	if (argc >= 3 && strcmp(argv[1], "native") == 0)
		return cmd_engine("slub", argv[2], "512M", argc > 3 && strcmp(argv[3], "own") == 0, true);
	fprintf(stderr, "usage: bench_replay parse FILE [inline] | split FILE | engine ALLOCATOR FILE MEM [own]"
		" | native FILE [own]\n");
	return 2;
}
