/*  client_rand: a small per-session PRNG (splitmix64-seeded xorshift64*), thread-safe
    because every session owns its state. Used by client_session to pick stocks and trades. */
#ifndef CLIENT_RAND_H
#define CLIENT_RAND_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t state;                     //  never 0
} client_rand_t;

//  Seeds a generator from a run seed and a session index, so every session of a run gets
//  its own stream and a run is repeatable from its seed. splitmix64 spreads close seeds.
static inline void
client_rand_seed (client_rand_t *self, uint64_t seed, uint64_t index)
{
    uint64_t z = seed + (index + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z = z ^ (z >> 31);
    self->state = z? z: 0x2545F4914F6CDD1DULL;
}

//  The next 64 random bits.
static inline uint64_t
client_rand_next (client_rand_t *self)
{
    uint64_t x = self->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self->state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

//  A uniform integer in [0, bound), bound > 0. The modulo bias is below 2^-50 for the
//  small bounds we use (stock counts, quantities), which is fine for a load generator.
static inline uint64_t
client_rand_below (client_rand_t *self, uint64_t bound)
{
    return (client_rand_next (self) >> 11) % bound;
}

//  A uniform double in [0, 1).
static inline double
client_rand_unit (client_rand_t *self)
{
    return (double) (client_rand_next (self) >> 11) * (1.0 / 9007199254740992.0);
}

//  Fills cdf [0..n) with the cumulative weights of a Zipf-like choice of n > 0 items:
//  item i (0-based) weighs 1 / (i + 1)^s, normalised so cdf [n - 1] is exactly 1.
//  s = 0 is uniform; the larger s, the more the first items dominate.
static inline void
client_rand_zipf_cdf (double *cdf, size_t n, double s)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += cdf [i] = 1.0 / pow ((double) (i + 1), s);
    double acc = 0;
    for (size_t i = 0; i < n; i++)
        cdf [i] = (acc += cdf [i]) / sum;
    cdf [n - 1] = 1.0;
}

//  An index in [0, n) drawn with the cumulative weights cdf (as zipf_cdf makes them):
//  the first i with u < cdf [i], by binary search.
static inline size_t
client_rand_pick (client_rand_t *self, const double *cdf, size_t n)
{
    double u = client_rand_unit (self);
    size_t low = 0, high = n - 1;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (u < cdf [mid])
            high = mid;
        else
            low = mid + 1;
    }
    return low;
}

#endif
