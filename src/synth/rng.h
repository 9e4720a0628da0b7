/* rng.h - xoshiro256** seeded by splitmix64: fast, reproducible per seed. */
#ifndef DARKSCOPE_SYNTH_RNG_H
#define DARKSCOPE_SYNTH_RNG_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

static inline uint64_t rng__rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		r->s[i] = z ^ (z >> 31);
	}
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, res = rng__rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng__rotl(s[3], 45);
	return res;
}

/* Uniform in [0, 1). */
static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(rng_unit(r) * (double)n);
}

/* Index drawn from a cumulative weight table of n entries. */
static inline size_t rng_pick(struct rng *r, const double *cdf, size_t n)
{
	double x = rng_unit(r) * cdf[n - 1];
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cdf[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Poisson(lambda): Knuth below 30, a rounded normal above. */
static inline long rng_poisson(struct rng *r, double lambda)
{
	if (lambda <= 0)
		return 0;
	if (lambda < 30) {
		double l = exp(-lambda), p = 1;
		long k = 0;
		do {
			k++;
			p *= rng_unit(r);
		} while (p > l);
		return k - 1;
	}
	double u1 = rng_unit(r), u2 = rng_unit(r);
	double z = sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2);
	long v = lround(lambda + sqrt(lambda) * z);
	return v < 0 ? 0 : v;
}

#endif
