/*  Tests of client_stats: histogram buckets, percentiles on known data, merging.
    Run by scripts/run-tests with the other cmocka unit tests.                     */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>
#include "client_stats.h"
#include "client_rand.h"

//  Buckets tile the whole range: each starts right after the previous one ends, and
//  every value maps to a bucket that contains it.
static void
test_buckets_tile_the_range (void **state)
{
    (void) state;
    for (int b = 1; b < CLIENT_HIST_BUCKETS - 1; b++)
        assert_int_equal (client_hist_bucket_low (b), client_hist_bucket_high (b - 1) + 1);
    uint64_t values [] = { 0, 1, 63, 64, 65, 127, 128, 1000, 999999, 1ULL << 39,
                           (1ULL << 40) - 1 };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++) {
        int b = client_hist_bucket (values [i]);
        assert_true (b >= 0 && b < CLIENT_HIST_BUCKETS);
        assert_true (client_hist_bucket_low (b) <= values [i]);
        assert_true (client_hist_bucket_high (b) >= values [i]);
    }
}

//  Memory stays fixed however large the values: the overflow bucket takes them.
static void
test_buckets_are_bounded (void **state)
{
    (void) state;
    assert_int_equal (client_hist_bucket (1ULL << 40), CLIENT_HIST_BUCKETS - 1);
    assert_int_equal (client_hist_bucket (UINT64_MAX), CLIENT_HIST_BUCKETS - 1);
    assert_true (sizeof (client_hist_t) < 16 * 1024);
    client_hist_t h;
    client_hist_init (&h);
    client_hist_record (&h, UINT64_MAX / 4);
    assert_int_equal (client_hist_percentile (&h, 0.5), UINT64_MAX / 4);
}

//  A bucket is never wider than 1/32 of the values it holds.
static void
test_bucket_width_is_relative (void **state)
{
    (void) state;
    for (int b = CLIENT_HIST_EXACT; b < CLIENT_HIST_BUCKETS - 1; b++) {
        uint64_t width = client_hist_bucket_high (b) - client_hist_bucket_low (b) + 1;
        assert_true (width * 32 <= client_hist_bucket_low (b));
    }
}

static void
test_percentiles_exact_below_64 (void **state)
{
    (void) state;
    client_hist_t h;
    client_hist_init (&h);
    assert_int_equal (client_hist_percentile (&h, 0.5), 0);
    for (uint64_t v = 1; v <= 50; v++)
        client_hist_record (&h, v);
    assert_int_equal (h.total, 50);
    assert_int_equal (client_hist_percentile (&h, 0.50), 25);
    assert_int_equal (client_hist_percentile (&h, 0.90), 45);
    assert_int_equal (client_hist_percentile (&h, 0.99), 50);
    assert_int_equal (client_hist_percentile (&h, 1.0), 50);
    assert_int_equal (client_hist_percentile (&h, 0.0001), 1);
    assert_int_equal (h.max, 50);
    assert_int_equal (h.sum, 50 * 51 / 2);
}

//  On 1..100000 µs in shuffled order each percentile lies within the bucket error (3.1%,
//  rounding up) of the true value, and p100 is the exact max.
static void
test_percentiles_within_bucket_error (void **state)
{
    (void) state;
    client_hist_t h;
    client_hist_init (&h);
    client_rand_t rand;
    client_rand_seed (&rand, 42, 0);
    uint64_t n = 100000;
    uint64_t *values = malloc (n * sizeof *values);
    assert_non_null (values);
    for (uint64_t i = 0; i < n; i++)
        values [i] = i + 1;
    for (uint64_t i = n - 1; i > 0; i--) {
        uint64_t j = client_rand_below (&rand, i + 1), t = values [i];
        values [i] = values [j];
        values [j] = t;
    }
    for (uint64_t i = 0; i < n; i++)
        client_hist_record (&h, values [i]);
    free (values);
    double qs [] = { 0.5, 0.9, 0.99, 0.999 };
    for (size_t i = 0; i < 4; i++) {
        double truth = qs [i] * (double) n;
        double got = (double) client_hist_percentile (&h, qs [i]);
        assert_true (got >= truth);
        assert_true (got <= truth * (1 + 1.0 / 32));
    }
    assert_int_equal (client_hist_percentile (&h, 1.0), n);
}

//  Merging two histograms gives what recording everything in one would.
static void
test_merge_equals_single (void **state)
{
    (void) state;
    client_hist_t a, b, all;
    client_hist_init (&a);
    client_hist_init (&b);
    client_hist_init (&all);
    for (uint64_t v = 0; v < 5000; v += 3) {
        client_hist_record (v % 2? &a: &b, v * 7);
        client_hist_record (&all, v * 7);
    }
    client_hist_merge (&a, &b);
    assert_memory_equal (&a, &all, sizeof a);
}

static void
test_stats_merge_and_ok (void **state)
{
    (void) state;
    client_stats_t total, one;
    client_stats_init (&total);
    client_stats_init (&one);
    one.requests [CLIENT_REQ_LOOKUP] = 10;
    one.requests [CLIENT_REQ_TRADE] = 4;
    one.trades = 3;
    one.conflicts = 1;
    client_hist_record (&one.latency [CLIENT_REQ_TRADE], 250);
    client_stats_merge (&total, &one);
    client_stats_merge (&total, &one);
    assert_int_equal (total.requests [CLIENT_REQ_LOOKUP], 20);
    assert_int_equal (total.trades, 6);
    assert_int_equal (total.conflicts, 2);
    assert_int_equal (total.latency [CLIENT_REQ_TRADE].total, 2);
    assert_true (client_stats_ok (&total));         //  409s are not failures
    total.missing = 1;
    assert_false (client_stats_ok (&total));
    total.missing = 0;
    total.failures [CLIENT_REQ_QUERY] = 1;
    assert_false (client_stats_ok (&total));
    assert_string_equal (client_req_name (CLIENT_REQ_QUERY), "query");
}

//  Sessions seeded alike repeat; different sessions of one seed differ.
static void
test_rand_streams (void **state)
{
    (void) state;
    client_rand_t a, b, c;
    client_rand_seed (&a, 1, 0);
    client_rand_seed (&b, 1, 0);
    client_rand_seed (&c, 1, 1);
    int same = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = client_rand_next (&a);
        assert_int_equal (x, client_rand_next (&b));
        same += x == client_rand_next (&c);
        double u = client_rand_unit (&a);
        client_rand_unit (&b);
        assert_true (u >= 0 && u < 1);
        assert_true (client_rand_below (&a, 5) < 5);
        client_rand_below (&b, 5);
    }
    assert_int_equal (same, 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_buckets_tile_the_range),
        cmocka_unit_test (test_buckets_are_bounded),
        cmocka_unit_test (test_bucket_width_is_relative),
        cmocka_unit_test (test_percentiles_exact_below_64),
        cmocka_unit_test (test_percentiles_within_bucket_error),
        cmocka_unit_test (test_merge_equals_single),
        cmocka_unit_test (test_stats_merge_and_ok),
        cmocka_unit_test (test_rand_streams),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
