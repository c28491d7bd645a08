/*
 * t_trace_feed.c - the parser thread (sim/trace.c section 2).
 *
 *  - The events of the real trace (and of its .kmt) come out of the
 *    threaded feed exactly as from the same code on the caller's thread:
 *    same events, same cache markers, same order, in both rule-4 modes.
 *  - A replay of the .kmt equals the replay of the text, counter by
 *    counter (the full summaries are compared by t_trace_kmt.sh).
 *  - Stopping early shuts the thread down: after one batch of an xz
 *    trace (the decompressor is reaped: no child is left), and while the
 *    parser waits on standard input that never ends (the stop pipe wakes
 *    it; an alarm fails the test instead of hanging).
 *  - A malformed line found on the parser thread reaches the engine's side
 *    as FILE:LINE, after every event before it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "../sim/engine.h"
#include "../sim/trace.h"

static struct params prm;
static char tmpdir[] = "/tmp/t_trace_feed.XXXXXX";

static void mkparams(bool own)
{
	params_init(&prm);
	prm.allocator = "slub";
	prm.db = NULL;
	prm.progress = false;
	prm.replay_own_slab = own;
	physmem_config_init(&prm.mem, 1024 * MIB);
}

struct events {
	struct event *ev;
	size_t n, cap;
	char names[64][64];
};

/* Every event and marker of path, threaded or not; the feed's return code. */
static int collect(const char *path, bool threaded, struct events *e)
{
	char err[512] = "";
	memset(e, 0, sizeof(*e));
	struct trace_feed *f = trace_feed_open(&prm, path, false, threaded, err, sizeof(err));
	if (!f) {
		CHECK_MSG(0, "open %s: %s", path, err);
		return -1;
	}
	const struct trace_batch *b;
	while ((b = trace_feed_next(f)) != NULL) {
		if (e->n + b->n > e->cap) {
			e->cap = (e->n + b->n) * 2;
			e->ev = realloc(e->ev, e->cap * sizeof(*e->ev));
		}
		memcpy(e->ev + e->n, b->ev, b->n * sizeof(*b->ev));
		for (unsigned i = 0; i < b->n; i++)
			if (b->ev[i].kind == TRACE_EV_CACHE && b->ev[i].cache < 64)
				snprintf(e->names[b->ev[i].cache], 64, "%s", trace_feed_cache_name(f, b->ev[i].cache));
		e->n += b->n;
	}
	struct trace_stats ts;
	return trace_feed_close(f, NULL, &ts, err, sizeof(err));
}

static bool events_equal(const struct events *a, const struct events *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct event *x = &a->ev[i], *y = &b->ev[i];
		if (x->time_ns != y->time_ns || x->key != y->key || x->size != y->size || x->cache != y->cache ||
		    x->cpu != y->cpu || x->kind != y->kind || x->gfp != y->gfp)
			return false;
	}
	return memcmp(a->names, b->names, sizeof(a->names)) == 0;
}

static void t_threaded_equals_inline(void)
{
	char kmt[300], err[512];
	snprintf(kmt, sizeof(kmt), "%s/gcc.kmt", tmpdir);
	CHECK_EQ(trace_convert("tests/data/gcc-small.ftrace.xz", kmt, false, NULL, err, sizeof(err)), 0);
	for (int own = 0; own < 2; own++) {
		mkparams(own);
		struct events a, b, c;
		CHECK_EQ(collect("tests/data/gcc-small.ftrace.xz", true, &a), 0);
		CHECK_EQ(collect("tests/data/gcc-small.ftrace.xz", false, &b), 0);
		CHECK_EQ(collect(kmt, true, &c), 0);
		/* 48457 events (48467 with --replay-own-slab; t_trace's t_real_xz) and
		 * a marker for each of the 31 names of its kmem_cache_alloc lines
		 * (xz -dc | grep kmem_cache_alloc | grep -o 'name=[^ ]*' | sort -u) */
		size_t markers = 0;
		for (size_t i = 0; i < a.n; i++)
			markers += a.ev[i].kind == TRACE_EV_CACHE;
		CHECK_EQ(a.n - markers, own ? 48467 : 48457);
		CHECK_EQ(markers, 31);
		CHECK_MSG(events_equal(&a, &b), "threaded and inline differ (own %d): %zu vs %zu", own, a.n, b.n);
		CHECK_MSG(events_equal(&a, &c), "text and .kmt differ (own %d): %zu vs %zu", own, a.n, c.n);
		free(a.ev);
		free(b.ev);
		free(c.ev);
	}
}

static void t_kmt_replay_counters(void)
{
	char kmt[300], err[512];
	snprintf(kmt, sizeof(kmt), "%s/gcc.kmt", tmpdir);
	mkparams(false);
	struct sim *s1 = sim_create(&prm, err, sizeof(err)), *s2 = sim_create(&prm, err, sizeof(err));
	struct trace_stats t1, t2;
	CHECK_EQ(trace_replay(s1, "tests/data/gcc-small.ftrace.xz", false, &t1, err, sizeof(err)), 0);
	CHECK_EQ(trace_replay(s2, kmt, false, &t2, err, sizeof(err)), 0);
	CHECK(memcmp(&s1->st, &s2->st, sizeof(s1->st)) == 0);
	CHECK_EQ(s1->now, s2->now);
	CHECK_EQ(s1->ncaches, s2->ncaches);
	CHECK_EQ(t1.events, t2.events);
	CHECK_EQ(t1.lines, t2.lines);
	CHECK_EQ(t1.own_slab_pages, t2.own_slab_pages);
	CHECK_EQ(t1.own_meta_frees, t2.own_meta_frees);
	CHECK(strcmp(t2.format, "kmt") == 0);
	sim_destroy(s1);
	sim_destroy(s2);
}

/* No child process left behind (the decompressor was reaped). */
static bool no_children(void)
{
	int st;
	return waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "not ok t_trace_feed: stopping hung\n";
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

static void t_stop_early(void)
{
	mkparams(false);
	signal(SIGALRM, on_alarm);
	alarm(60);
	char err[512] = "";
	/* one batch of an xz trace, then stop */
	struct trace_feed *f = trace_feed_open(&prm, "tests/data/gcc-small.ftrace.xz", false, true, err, sizeof(err));
	CHECK(f != NULL);
	const struct trace_batch *b = trace_feed_next(f);
	CHECK(b && b->n > 0);
	trace_feed_stop(f);
	CHECK(trace_feed_next(f) == NULL);
	struct trace_stats ts;
	int rc = trace_feed_close(f, NULL, &ts, err, sizeof(err));
	CHECK_MSG(rc == 0, "rc %d: %s", rc, err);
	CHECK_MSG(ts.lines < 48479, "read the whole trace (%llu lines) after a stop", (unsigned long long)ts.lines);
	CHECK(no_children());
	/* closing without reading at all is a stop too */
	f = trace_feed_open(&prm, "tests/data/gcc-small.ftrace.xz", false, true, err, sizeof(err));
	CHECK_EQ(trace_feed_close(f, NULL, &ts, err, sizeof(err)), 0);
	CHECK(no_children());
	/* standard input that stays open and silent: the parser waits in poll */
	int pfd[2], saved = dup(0);
	CHECK(pipe(pfd) == 0);
	static const char head[] = "= Start\n+ 0x10 0x20\n";
	CHECK(write(pfd[1], head, sizeof(head) - 1) == (ssize_t)(sizeof(head) - 1));
	dup2(pfd[0], 0);
	close(pfd[0]);
	f = trace_feed_open(&prm, "-", false, true, err, sizeof(err));
	CHECK(f != NULL);
	usleep(50000);   /* let it read what there is and wait for more */
	trace_feed_stop(f);
	CHECK(trace_feed_next(f) == NULL);
	CHECK_EQ(trace_feed_close(f, NULL, &ts, err, sizeof(err)), 0);
	CHECK(ts.lines <= 2);
	dup2(saved, 0);
	close(saved);
	close(pfd[1]);
	alarm(0);
}

static void t_error_after_events(void)
{
	char path[300], err[512] = "";
	snprintf(path, sizeof(path), "%s/bad.txt", tmpdir);
	FILE *fp = fopen(path, "w");
	for (int i = 0; i < 5000; i++)
		fprintf(fp, "  a-1 [000] .... 1.%06d: kmalloc: call_site=f+0x1/0x2 ptr=%016x bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL\n",
			i, 0x1000 + i * 16);
	fprintf(fp, "  a-1 [000] .... 2.000000: kfree: call_site=f+0x1/0x2 ptr=nothex\n");
	fprintf(fp, "  a-1 [000] .... 2.000001: kfree: call_site=f+0x1/0x2 ptr=0000000000001000\n");
	fclose(fp);
	mkparams(false);
	struct sim *s = sim_create(&prm, err, sizeof(err));
	struct trace_stats ts;
	CHECK_EQ(trace_replay(s, path, false, &ts, err, sizeof(err)), 2);
	char want[400];
	snprintf(want, sizeof(want), "%s:5001: ptr is not a pointer: 'nothex'", path);
	CHECK_MSG(strcmp(err, want) == 0, "err '%s'", err);
	CHECK_EQ(ts.events, 5000);
	CHECK_EQ(s->st.allocs, 5000);
	CHECK_EQ(s->st.frees, 0);
	sim_destroy(s);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(t_threaded_equals_inline);
	RUN(t_kmt_replay_counters);
	RUN(t_stop_early);
	RUN(t_error_after_events);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return check_done();
}
