/*
 * rng.c - xoshiro256** (Blackman & Vigna, 2018) seeded by splitmix64, and
 * the distributions workloads draw from. Written from the published
 * algorithm description.
 */
#include <math.h>
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
