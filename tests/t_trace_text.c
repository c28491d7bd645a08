/*
 * t_trace_text.c - the text parser's fast path against its general path.
 *
 * A "plain" line (no NUL, tab or CR) takes the fast path (sim/trace_text.c
 * section 4); the same line ending in "\r" takes the general one, which
 * trims the CR and reads exactly what it read before the fast path
 * existed. So a file read as is and the same file with "\r" before every
 * newline must give the same items, the same counts and the same error,
 * lenient or not. The lines are real (tests/data/gcc-small, the format
 * fixtures: module call sites, trace-cmd's glued fields, perf call
 * chains, mtrace) and mutated at random (blanks, '=', brackets, digits,
 * cuts). The test build also checks every fast-path line against the
 * general tokenizer (trace_text.c's oracle) and aborts on a difference.
 * And the intern table: ids in order of first sight, the same id for
 * the same bytes, through a rehash.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "../sim/rng.h"
#include "../sim/trace_input.h"
#include "../sim/trace_text.h"

static char tmpdir[] = "/tmp/t_trace_text.XXXXXX";

struct result {
	struct trace_item *it;
	char **gfp, **name;      /* the strings of each item, "" for none */
	size_t n;
	int last;                /* the return value that ended the reading */
	struct trace_source_stats st;
	char err[512];
};

static char *str_of(const struct trace_strtab *tab, uint32_t id)
{
	size_t n = 0;
	const char *s = id ? trace_strtab_get(tab, id, &n) : "";
	char *c = malloc(n + 1);
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

static void read_all(const char *path, bool lenient, bool page_events, struct result *r)
{
	struct trace_input in;
	struct trace_strtab tab;
	struct trace_text t;
	char err[512];
	memset(r, 0, sizeof(*r));
	trace_strtab_init(&tab);
	if (trace_input_open(&in, path, err, sizeof(err)) != 0) {
		CHECK_MSG(0, "open %s: %s", path, err);
		return;
	}
	trace_text_init(&t, &in, path, lenient, page_events, &tab);
	size_t cap = 0;
	struct trace_item it;
	while ((r->last = trace_text_next(&t, &it)) > 0) {
		if (r->n == cap) {
			cap = cap ? 2 * cap : 256;
			r->it = realloc(r->it, cap * sizeof(*r->it));
			r->gfp = realloc(r->gfp, cap * sizeof(*r->gfp));
			r->name = realloc(r->name, cap * sizeof(*r->name));
		}
		r->it[r->n] = it;
		r->gfp[r->n] = str_of(&tab, it.gfp);
		r->name[r->n] = str_of(&tab, it.name);
		r->n++;
	}
	r->st = t.st;
	memcpy(r->err, t.err, sizeof(r->err));
	trace_input_close(&in, false, path, err, sizeof(err));
	trace_strtab_fini(&tab);
}

static void result_free(struct result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->gfp[i]);
		free(r->name[i]);
	}
	free(r->it);
	free(r->gfp);
	free(r->name);
}

/* Same items and counts; false (with a message) if not. */
static bool same(const struct result *a, const struct result *b, int iter)
{
	if (a->n != b->n || a->last != b->last || strcmp(a->err, b->err) != 0) {
		CHECK_MSG(0, "iter %d: %zu items (end %d, '%s') vs %zu (end %d, '%s')", iter, a->n, a->last,
			  a->err, b->n, b->last, b->err);
		return false;
	}
	for (size_t i = 0; i < a->n; i++) {
		const struct trace_item *x = &a->it[i], *y = &b->it[i];
		if (x->ns != y->ns || x->key != y->key || x->size != y->size || x->alloc != y->alloc ||
		    x->cpu != y->cpu || x->kind != y->kind || x->flags != y->flags ||
		    ((x->flags & TI_MIGRATETYPE) && x->migratetype != y->migratetype) ||
		    strcmp(a->gfp[i], b->gfp[i]) != 0 || strcmp(a->name[i], b->name[i]) != 0) {
			CHECK_MSG(0, "iter %d: item %zu differs (kind %d/%d key %llx/%llx)", iter, i, x->kind, y->kind,
				  (unsigned long long)x->key, (unsigned long long)y->key);
			return false;
		}
	}
	const struct trace_source_stats *s = &a->st, *t = &b->st;
	if (s->lines != t->lines || s->other != t->other || s->malformed != t->malformed ||
	    s->recognised != t->recognised || s->first_bad != t->first_bad || s->fmt != t->fmt ||
	    (s->malformed && strcmp(s->first_why, t->first_why) != 0)) {
		CHECK_MSG(0, "iter %d: counts differ: lines %llu/%llu other %llu/%llu malformed %llu/%llu "
			  "why '%s'/'%s'", iter, (unsigned long long)s->lines, (unsigned long long)t->lines,
			  (unsigned long long)s->other, (unsigned long long)t->other,
			  (unsigned long long)s->malformed, (unsigned long long)t->malformed,
			  s->first_why, t->first_why);
		return false;
	}
	return true;
}

static void write_file(const char *path, const char *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(p, 1, n, f);
	fclose(f);
}

/* Lines of a file (through trace_input: xz too), at most max. */
static size_t load_lines(const char *path, char **lines, size_t have, size_t max)
{
	struct trace_input in;
	char err[512];
	if (trace_input_open(&in, path, err, sizeof(err)) != 0) {
		CHECK_MSG(0, "%s", err);
		return have;
	}
	const char *l;
	size_t len;
	bool plain;
	while (have < max && trace_input_line(&in, &l, &len, &plain) == 1) {
		char *c = malloc(len + 1);
		memcpy(c, l, len);
		c[len] = '\0';
		lines[have++] = c;
	}
	trace_input_close(&in, true, path, err, sizeof(err));
	return have;
}

static void t_fast_equals_general(void)
{
	enum { MAXL = 6000 };
	static char *lines[MAXL];
	size_t n = load_lines("tests/data/gcc-small.ftrace.xz", lines, 0, 4000);
	CHECK(n == 4000);
	static const char *const fixtures[] = {
		"tests/data/trace-current.txt", "tests/data/trace-old.txt", "tests/data/trace-cmd.txt",
		"tests/data/trace-mtrace.mtrace", "tests/data/perf-6.18-callchain.txt",
		"tests/data/perf-6.18-ip.txt.xz",
	};
	size_t nfix = n;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++)
		n = load_lines(fixtures[i], lines, n, MAXL);
	struct rng r;
	rng_seed(&r, 4242);
	size_t cap = 1 << 16;
	char *a = malloc(cap), *b = malloc(cap + 4096);
	char path[300];
	snprintf(path, sizeof(path), "%s/t.txt", tmpdir);
	int fails = 0;
	uint64_t items = 0, bad_lines = 0;
	for (int iter = 0; iter < 800 && fails < 3; iter++) {
		size_t la = 0, lb = 0;
		/* mostly one family, so that lines get past the format check */
		size_t lo = iter % 3 == 0 ? 0 : nfix, span = iter % 3 == 0 ? nfix : n - nfix;
		size_t nl = 1 + rng_below(&r, 40);
		for (size_t i = 0; i < nl; i++) {
			const char *src = lines[lo + rng_below(&r, span)];
			size_t sl = strlen(src);
			if (la + sl + 8 >= cap)
				break;
			memcpy(a + la, src, sl);
			size_t nm = iter < 100 ? 0 : rng_below(&r, 4);
			for (size_t m = 0; m < nm && sl; m++) {
				size_t at = la + rng_below(&r, sl);
				switch (rng_below(&r, 6)) {
				case 0: a[at] = "0123456789abcdefx=: []()_-+."[rng_below(&r, 28)]; break;
				case 1: a[at] = ' '; break;
				case 2: a[at] = '='; break;
				case 3: sl = at - la; break;                       /* cut */
				case 4: a[at] = (char)(1 + rng_below(&r, 255)); if (a[at] == '\n') a[at] = ']'; break;
				default: a[at] = "[]"[rng_below(&r, 2)]; break;
				}
			}
			memcpy(b + lb, a + la, sl);
			la += sl;
			lb += sl;
			b[lb++] = '\r';
			a[la++] = '\n';
			b[lb++] = '\n';
		}
		for (int mode = 0; mode < 3; mode++) {
			bool lenient = mode != 1, page_events = mode != 2;
			struct result ra, rb;
			write_file(path, a, la);
			read_all(path, lenient, page_events, &ra);
			write_file(path, b, lb);
			read_all(path, lenient, page_events, &rb);
			if (!same(&ra, &rb, iter))
				fails++;
			items += ra.n;
			bad_lines += ra.st.malformed;
			result_free(&ra);
			result_free(&rb);
		}
	}
	/* the test saw both good and bad lines */
	CHECK_MSG(items > 10000 && bad_lines > 5000, "items %llu, malformed %llu",
		  (unsigned long long)items, (unsigned long long)bad_lines);
	free(a);
	free(b);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
}

/* Ids from 1 in order of first sight, the same id for the same bytes
 * (also empty, also across the table's growth), 0 never given. */
static void t_strtab(void)
{
	struct trace_strtab t;
	trace_strtab_init(&t);
	char buf[32];
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(buf, sizeof(buf), "GFP_%d", i);
		CHECK_EQ(trace_strtab_intern(&t, buf, (size_t)n), (uint32_t)i + 1);
	}
	CHECK_EQ(trace_strtab_intern(&t, "", 0), 5001);
	CHECK_EQ(trace_strtab_intern(&t, "", 0), 5001);
	for (int i = 0; i < 5000; i += 7) {
		int n = snprintf(buf, sizeof(buf), "GFP_%d", i);
		CHECK_EQ(trace_strtab_intern(&t, buf, (size_t)n), (uint32_t)i + 1);
	}
	size_t n;
	const char *s = trace_strtab_get(&t, 4321, &n);
	CHECK(n == 8 && memcmp(s, "GFP_4320", 8) == 0);
	CHECK_EQ(t.count, 5001);
	/* add: a new id even for bytes already there (a .kmt's table) */
	CHECK_EQ(trace_strtab_add(&t, "GFP_1", 5), 5002);
	trace_strtab_fini(&t);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(t_strtab);
	RUN(t_fast_equals_general);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return check_done();
}
