/*
 * check.h - the tiny test harness. A test program is a set of cases; each
 * case prints "ok NAME" or "not ok NAME: why" and tests/run.sh counts them.
 *
 *   static void t_split(void) { CHECK(x == 3); CHECK_EQ(a, b); }
 *   int main(void) { RUN(t_split); return check_done(); }
 *
 * CHECK does not stop the case: every failing line is reported.
 */
#ifndef KMS_CHECK_H
#define KMS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>

static int check_case_failed, check_failed_cases, check_passed_cases;
static const char *check_case_name;

#define CHECK(cond) do { if (!(cond)) { check_case_failed = 1; \
	printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } } while (0)

#define CHECK_EQ(a, b) do { long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
	if (check_a_ != check_b_) { check_case_failed = 1; \
	printf("#   %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
	       #a, check_a_, #b, check_b_); } } while (0)

#define CHECK_MSG(cond, ...) do { if (!(cond)) { check_case_failed = 1; \
	printf("#   %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

#define RUN(fn) do { check_case_failed = 0; check_case_name = #fn; fn(); \
	if (check_case_failed) { check_failed_cases++; printf("not ok %s\n", #fn); } \
	else { check_passed_cases++; printf("ok %s\n", #fn); } fflush(stdout); } while (0)

static inline int check_done(void)
{
	return check_failed_cases ? 1 : 0;
}

#endif
