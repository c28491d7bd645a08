/*
 * rng.c - xoshiro256** (Blackman & Vigna, 2018) seeded by splitmix64, and
 * the distributions workloads draw from. Written from the published
 * algorithm description.
 */
#include <math.h>
#include <stdlib.h>
#include "rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	/* Lemire's multiply-shift with rejection: unbiased. */
	unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t thresh = -n % n;
		while (lo < thresh) {
			m = (unsigned __int128)rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double rng_double(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

double rng_exponential(struct rng *r, double mean)
{
	return -mean * log1p(-rng_double(r));
}

double rng_normal(struct rng *r, double mu, double sigma)
{
	/* Box-Muller; one value per call keeps the stream simple to reason about. */
	double u1 = 1.0 - rng_double(r), u2 = rng_double(r);
	return mu + sigma * sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

double rng_lognormal(struct rng *r, double mu, double sigma)
{
	return exp(rng_normal(r, mu, sigma));
}

double rng_pareto(struct rng *r, double xm, double alpha)
{
	return xm / pow(1.0 - rng_double(r), 1.0 / alpha);
}

struct rng_empirical *rng_empirical_create(const double *values, const double *weights, size_t n)
{
	if (n == 0 || n > UINT32_MAX)
		return NULL;
	double total = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(weights[i] >= 0) || !isfinite(weights[i]))
			return NULL;
		total += weights[i];
	}
	if (!(total > 0) || !isfinite(total))
		return NULL;
	struct rng_empirical *e = xcalloc(1, sizeof(*e));
	e->n = (uint32_t)n;
	e->value = xmalloc(n * sizeof(double));
	e->prob = xmalloc(n * sizeof(double));
	e->alias = xmalloc(n * sizeof(uint32_t));
	/* Vose: scale weights to mean 1, pair each small column with a large
	 * one that tops it up to 1. */
	uint32_t *small = xmalloc(n * sizeof(uint32_t)), *large = xmalloc(n * sizeof(uint32_t));
	size_t ns = 0, nl = 0;
	double *scaled = xmalloc(n * sizeof(double));
	for (size_t i = 0; i < n; i++) {
		e->value[i] = values[i];
		e->alias[i] = (uint32_t)i;
		scaled[i] = weights[i] * (double)n / total;
		if (scaled[i] < 1.0)
			small[ns++] = (uint32_t)i;
		else
			large[nl++] = (uint32_t)i;
	}
	while (ns && nl) {
		uint32_t s = small[--ns], l = large[--nl];
		e->prob[s] = scaled[s];
		e->alias[s] = l;
		scaled[l] = (scaled[l] + scaled[s]) - 1.0;
		if (scaled[l] < 1.0)
			small[ns++] = l;
		else
			large[nl++] = l;
	}
	while (nl)
		e->prob[large[--nl]] = 1.0;
	while (ns)   /* only rounding leaves columns here */
		e->prob[small[--ns]] = 1.0;
	free(small);
	free(large);
	free(scaled);
	return e;
}

void rng_empirical_destroy(struct rng_empirical *e)
{
	if (!e)
		return;
	free(e->value);
	free(e->prob);
	free(e->alias);
	free(e);
}

double rng_empirical_draw(const struct rng_empirical *e, struct rng *r)
{
	uint32_t col = (uint32_t)rng_below(r, e->n);
	return rng_double(r) < e->prob[col] ? e->value[col] : e->value[e->alias[col]];
}
