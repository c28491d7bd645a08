/*
 * rng.h - the simulator's only source of randomness: xoshiro256** seeded
 * through splitmix64 (Blackman & Vigna). One generator lives in struct sim;
 * never a global, so the same seed gives the same run.
 */
#ifndef KMS_RNG_H
#define KMS_RNG_H

#include "base.h"

struct rng { uint64_t s[4]; };

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n), n > 0, without modulo bias. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double rng_double(struct rng *r);
double rng_exponential(struct rng *r, double mean);
double rng_normal(struct rng *r, double mu, double sigma);
double rng_lognormal(struct rng *r, double mu, double sigma);
double rng_pareto(struct rng *r, double xm, double alpha);

/*
 * An empirical distribution: n values with non-negative weights, drawn in
 * O(1) by Walker's alias method (Vose's construction). A draw picks a
 * column uniformly (rng_below) and keeps its value with probability
 * prob[col], else takes its alias (rng_double): two generator steps.
 */
struct rng_empirical {
	uint32_t n;
	double  *value;   /* value[i] */
	double  *prob;    /* probability of keeping column i, in [0, 1] */
	uint32_t *alias;  /* the other value of column i */
};
/* NULL if n == 0, a weight is negative or not finite, or all are 0. */
struct rng_empirical *rng_empirical_create(const double *values, const double *weights, size_t n);
void rng_empirical_destroy(struct rng_empirical *e);
double rng_empirical_draw(const struct rng_empirical *e, struct rng *r);

#endif
