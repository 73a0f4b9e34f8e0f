/*  Tests of client_rand: the Zipf-like stock choice bazaar-client --zipf uses.
    Run by scripts/run-tests with the other cmocka unit tests.                  */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <cmocka.h>
#include "client_rand.h"

//  s = 0 is uniform; the last entry is exactly 1 whatever the rounding.
static void
test_cdf_shape (void **state)
{
    (void) state;
    double cdf [12];
    client_rand_zipf_cdf (cdf, 12, 0);
    for (int i = 0; i < 12; i++)
        assert_true (fabs (cdf [i] - (i + 1) / 12.0) < 1e-12);
    client_rand_zipf_cdf (cdf, 12, 1.2);
    for (int i = 1; i < 12; i++)
        assert_true (cdf [i] > cdf [i - 1]);
    assert_true (cdf [11] == 1.0);
    double one;
    client_rand_zipf_cdf (&one, 1, 3);
    assert_true (one == 1.0);
}

//  Draws land in range, and with s = 1 on 12 items each item is drawn about as often as
//  its weight says (1/i over H12 = 3.1032); the bound is loose, the seed fixed.
static void
test_pick_follows_weights (void **state)
{
    (void) state;
    enum { ITEMS = 12, DRAWS = 200000 };
    double cdf [ITEMS];
    client_rand_zipf_cdf (cdf, ITEMS, 1.0);
    client_rand_t rand;
    client_rand_seed (&rand, 42, 0);
    long counts [ITEMS] = { 0 };
    for (int i = 0; i < DRAWS; i++) {
        size_t item = client_rand_pick (&rand, cdf, ITEMS);
        assert_true (item < ITEMS);
        counts [item]++;
    }
    double harmonic = 0;
    for (int i = 1; i <= ITEMS; i++)
        harmonic += 1.0 / i;
    for (int i = 0; i < ITEMS; i++) {
        double expected = DRAWS / ((i + 1) * harmonic);
        assert_true (fabs (counts [i] - expected) < 0.05 * expected + 100);
    }
    assert_true (counts [0] > 5 * counts [ITEMS - 1]);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_cdf_shape),
        cmocka_unit_test (test_pick_follows_weights),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
