/*  test_bz_stream: a subscriber's checks of a PUB stream (gap, new publisher, silence),
    shared by the frontend's feed and the order replicas. Run by scripts/run-tests.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "bz_stream.h"

static void
test_stream_sequence (void **state)
{
    (void) state;
    bz_stream_t stream;
    bz_stream_reset (&stream);
    assert_int_equal (bz_stream_accept (&stream, "P1", 40, 1000), BZ_STREAM_JOINED);
    assert_true (stream.live);
    assert_int_equal (bz_stream_accept (&stream, "P1", 41, 1100), BZ_STREAM_IN_ORDER);
    assert_int_equal (bz_stream_accept (&stream, "P1", 42, 1200), BZ_STREAM_IN_ORDER);
    //  43 lost
    assert_int_equal (bz_stream_accept (&stream, "P1", 44, 1300), BZ_STREAM_GAP);
    assert_int_equal (bz_stream_accept (&stream, "P1", 45, 1400), BZ_STREAM_IN_ORDER);
    //  A repeat or going back is not in order either
    assert_int_equal (bz_stream_accept (&stream, "P1", 45, 1400), BZ_STREAM_GAP);
    assert_int_equal (bz_stream_accept (&stream, "P1", 46, 1400), BZ_STREAM_IN_ORDER);
    //  The publisher restarted: a new id, seq from 0
    assert_int_equal (bz_stream_accept (&stream, "P2", 0, 1500), BZ_STREAM_NEW_PUBLISHER);
    assert_int_equal (bz_stream_accept (&stream, "P2", 1, 1600), BZ_STREAM_IN_ORDER);
    assert_int_equal (stream.next_seq, 2);
    assert_string_equal (stream.publisher, "P2");
}

static void
test_stream_silence (void **state)
{
    (void) state;
    bz_stream_t stream;
    bz_stream_reset (&stream);
    assert_false (bz_stream_expire (&stream, 5000, 500));    //  never heard: not live
    bz_stream_accept (&stream, "P1", 0, 1000);
    assert_false (bz_stream_expire (&stream, 1500, 500));    //  exactly the limit
    assert_true (bz_stream_expire (&stream, 1501, 500));
    assert_false (stream.live);
    assert_false (bz_stream_expire (&stream, 9000, 500));    //  once only
    //  The same publisher resumes after silence: joined again, whatever its seq
    assert_int_equal (bz_stream_accept (&stream, "P1", 9, 9000), BZ_STREAM_JOINED);
    assert_true (bz_stream_expire (&stream, 9600, 500));
    //  ... and a new publisher after silence is still reported as one
    assert_int_equal (bz_stream_accept (&stream, "P3", 0, 9700), BZ_STREAM_NEW_PUBLISHER);
    assert_true (stream.live);
}

//  A reset stream (a replica that follows a new leader) joins again, whoever publishes.
static void
test_stream_reset (void **state)
{
    (void) state;
    bz_stream_t stream;
    bz_stream_reset (&stream);
    assert_int_equal (bz_stream_accept (&stream, "P1", 0, 100), BZ_STREAM_JOINED);
    assert_int_equal (bz_stream_accept (&stream, "P1", 1, 200), BZ_STREAM_IN_ORDER);
    bz_stream_reset (&stream);
    assert_false (stream.live);
    assert_int_equal (bz_stream_accept (&stream, "P2", 7, 300), BZ_STREAM_JOINED);
    assert_int_equal (bz_stream_accept (&stream, "P2", 8, 400), BZ_STREAM_IN_ORDER);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_stream_sequence),
        cmocka_unit_test (test_stream_silence),
        cmocka_unit_test (test_stream_reset),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
