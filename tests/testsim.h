/*
 * testsim.h - building a simulator in a test, and the small helpers the
 * back-end tests share: the address of a live object, and a real trace
 * replayed with every invariant checked after every event.
 */
#ifndef KMS_TEST_TESTSIM_H
#define KMS_TEST_TESTSIM_H
#include <stdio.h>
#include "check.h"
#include "../sim/engine.h"
#include "../sim/kvm.h"
#include "../sim/trace.h"

/* Defaults for a test run of back end alloc on mem bytes: no progress
 * line, no database, checkers after every event. Adjust p, then call
 * testsim_create. */
static inline void testsim_params(struct params *p, const char *alloc, uint64_t mem)
{
	params_init(p);
	p->allocator = alloc;
	p->check_every = 1;
	p->progress = false;
	physmem_config_init(&p->mem, mem);
}

static inline struct sim *testsim_create(const struct params *p)
{
	char err[256];
	struct sim *s = sim_create(p, err, sizeof(err));
	if (!s)
		printf("#   sim_create(%s): %s\n", p->allocator, err);
	return s;
}

/* The address the back end gave the live object key, 0 if none. */
static inline uint64_t testsim_addr(struct sim *s, uint64_t key)
{
	struct obj *o = objtab_lookup(&s->objs, key);
	return o ? o->addr : 0;
}

/* Replay the real trace with p (check_every 1) on both page sources:
 * it must succeed with no failed allocation and check every event. */
static inline void testsim_replay_checked(struct params *p)
{
	for (int mapped = 0; mapped < 2; mapped++) {
		p->backing = mapped ? BACKING_MAPPED : BACKING_DIRECT;
		p->check_every = 1;
		struct sim *s = testsim_create(p);
		CHECK(s != NULL);
		if (!s)
			continue;
		struct trace_stats ts = { 0 };
		char err[512] = "";
		int rc = trace_replay(s, "tests/data/gcc-small.ftrace.xz", false, &ts, err, sizeof(err));
		CHECK_MSG(rc == 0, "%s replay: %s", p->allocator, err);
		CHECK_EQ(s->st.failed_allocs, 0);
		CHECK(s->st.checks > 40000);
		if (mapped)
			CHECK(kvm_stats(s->kvm)->map_ops > 0);
		sim_destroy(s);
	}
}

#endif
