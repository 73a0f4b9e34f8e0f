/*  test_bz_loop: the one way loops wait: timers, the earliest deadline as a poll
    timeout, and a poll that wakes for input, at the deadline, or on a signal.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <cmocka.h>
#include "bz_loop.h"

static void
test_timer (void **state)
{
    (void) state;
    bz_timer_t timer;
    bz_timer_init (&timer, 100, 1000);
    assert_false (bz_timer_fire (&timer, 999));
    assert_true (bz_timer_fire (&timer, 1000));
    //  Due again a period after it fired, not after it was due: a late loop does not
    //  fire twice in a row to catch up
    assert_false (bz_timer_fire (&timer, 1099));
    assert_true (bz_timer_fire (&timer, 1250));
    assert_false (bz_timer_fire (&timer, 1349));
    assert_true (bz_timer_fire (&timer, 1350));
}

static void
test_wake (void **state)
{
    (void) state;
    bz_wake_t wake = bz_wake (5000, 100);
    assert_int_equal (bz_wake_ms (&wake), 100);
    bz_wake_by (&wake, 5040);
    assert_int_equal (bz_wake_ms (&wake), 40);
    bz_wake_by (&wake, 5070);           //  later than the earliest: no change
    assert_int_equal (bz_wake_ms (&wake), 40);
    bz_timer_t timer;
    bz_timer_init (&timer, 10, 5015);
    bz_wake_timer (&wake, &timer);
    assert_int_equal (bz_wake_ms (&wake), 15);
    bz_wake_by (&wake, 4000);           //  past: at once
    assert_int_equal (bz_wake_ms (&wake), 0);

    //  No limit: wait for input until a deadline is added
    wake = bz_wake (5000, -1);
    assert_int_equal (bz_wake_ms (&wake), -1);
    bz_wake_by (&wake, INT64_MAX);
    assert_int_equal (bz_wake_ms (&wake), -1);
    bz_wake_by (&wake, 5300);
    assert_int_equal (bz_wake_ms (&wake), 300);
}

static void
test_poll (void **state)
{
    (void) state;
    zsock_t *pull = zsock_new_pull ("inproc://bz-loop-test");
    zsock_t *push = zsock_new_push ("inproc://bz-loop-test");
    assert_non_null (pull);
    assert_non_null (push);
    zmq_pollitem_t items [] = { { zsock_resolve (pull), 0, ZMQ_POLLIN, 0 } };

    //  Nothing comes: back at the deadline with 0
    int64_t start = zclock_mono ();
    bz_wake_t wake = bz_wake (start, 30);
    assert_int_equal (bz_loop_poll (items, 1, &wake, "test"), 0);
    assert_true (zclock_mono () - start >= 25);

    //  Input: at once, with the item marked
    zstr_send (push, "hello");
    wake = bz_wake (zclock_mono (), 5000);
    start = zclock_mono ();
    assert_int_equal (bz_loop_poll (items, 1, &wake, "test"), 1);
    assert_true (items [0].revents & ZMQ_POLLIN);
    assert_true (zclock_mono () - start < 1000);
    char *text = zstr_recv (pull);
    assert_string_equal (text, "hello");
    zstr_free (&text);

    //  Once the process is interrupted the loop is told to stop
    zsys_interrupted = 1;
    wake = bz_wake (zclock_mono (), 0);
    assert_int_equal (bz_loop_poll (items, 1, &wake, "test"), -1);
    zsys_interrupted = 0;

    zsock_destroy (&push);
    zsock_destroy (&pull);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_timer),
        cmocka_unit_test (test_wake),
        cmocka_unit_test (test_poll),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
