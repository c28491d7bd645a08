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

#endif
