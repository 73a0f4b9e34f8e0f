/*  test_bz_metrics: a registry survives the wire unchanged, renders as valid Prometheus
    text with one HELP/TYPE per family across services, and refuses hostile frames.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "bz_metrics.h"

static const double s_bounds [] = { 0.001, 0.01, 0.1 };

static bz_metrics_t *
s_sample (double requests)
{
    bz_metrics_t *m = bz_metrics_new ("1.2-test");
    int requests_id = bz_metrics_counter (m, "x_requests_total", "Requests.");
    int epoch_id = bz_metrics_gauge (m, "x_epoch", "Epoch.");
    int write_id = bz_metrics_histogram (m, "x_write_seconds", "Writes.", s_bounds, 3);
    assert_true (requests_id >= 0 && epoch_id >= 0 && write_id >= 0);
    bz_metrics_add (m, requests_id, requests);
    bz_metrics_set (m, epoch_id, 35);
    bz_metrics_observe (m, write_id, 0.0005);
    bz_metrics_observe (m, write_id, 0.05);
    bz_metrics_observe (m, write_id, 7);          //  beyond every bound: +Inf only
    return m;
}

static size_t
s_render (bz_metrics_t **sets, const char **labels, size_t count, char *buffer, size_t size)
{
    size_t used = 0;
    assert_true (bz_metrics_render (sets, labels, count, buffer, size, &used));
    return used;
}

static void
test_round_trip (void **state)
{
    (void) state;
    bz_metrics_t *m = s_sample (3);
    zmsg_t *msg = zmsg_new ();
    bz_metrics_encode (m, msg);
    char error [128] = "";
    bz_metrics_t *copy = bz_metrics_decode (msg, zmsg_first (msg), zmsg_size (msg), error, sizeof error);
    assert_non_null (copy);
    char a [4096], b [4096];
    const char *labels [] = { "service=\"x\"" };
    size_t la = s_render (&m, labels, 1, a, sizeof a), lb = s_render (&copy, labels, 1, b, sizeof b);
    assert_int_equal (la, lb);
    assert_memory_equal (a, b, la);
    assert_non_null (strstr (a, "x_write_seconds_bucket{service=\"x\",le=\"0.001\"} 1\n"));
    assert_non_null (strstr (a, "x_write_seconds_bucket{service=\"x\",le=\"0.1\"} 2\n"));
    assert_non_null (strstr (a, "x_write_seconds_bucket{service=\"x\",le=\"+Inf\"} 3\n"));
    assert_non_null (strstr (a, "x_write_seconds_count{service=\"x\"} 3\n"));
    assert_non_null (strstr (a, "x_requests_total{service=\"x\"} 3\n"));
    assert_non_null (strstr (a, "bazaar_build_info{service=\"x\",version=\"1.2-test\"} 1\n"));
    bz_metrics_destroy (&copy);
    bz_metrics_destroy (&m);
    zmsg_destroy (&msg);
}

//  Two registries with the same families: one HELP and TYPE each, samples together.
static void
test_families_merge (void **state)
{
    (void) state;
    bz_metrics_t *sets [] = { s_sample (1), s_sample (2) };
    const char *labels [] = { "service=\"order\",replica=\"1\"", "service=\"order\",replica=\"2\"" };
    char text [8192];
    s_render (sets, labels, 2, text, sizeof text);
    const char *first = strstr (text, "# TYPE x_requests_total counter\n");
    assert_non_null (first);
    assert_null (strstr (first + 1, "# TYPE x_requests_total"));
    assert_non_null (strstr (text, "# TYPE x_requests_total counter\n"
        "x_requests_total{service=\"order\",replica=\"1\"} 1\n"
        "x_requests_total{service=\"order\",replica=\"2\"} 2\n"));
    //  Too small a buffer is said, not overrun
    size_t used = 0;
    assert_false (bz_metrics_render (sets, labels, 2, text, 100, &used));
    bz_metrics_destroy (&sets [0]);
    bz_metrics_destroy (&sets [1]);
}

static void
test_declarations_checked (void **state)
{
    (void) state;
    bz_metrics_t *m = bz_metrics_new (NULL);
    assert_int_equal (bz_metrics_counter (m, "9starts_with_digit", "x"), -1);
    assert_int_equal (bz_metrics_counter (m, "has space", "x"), -1);
    assert_int_equal (bz_metrics_counter (m, "ok_total", "back\\slash"), -1);
    assert_int_equal (bz_metrics_counter (m, "ok_total", "fine"), 0);
    assert_int_equal (bz_metrics_gauge (m, "ok_total", "again"), -1);
    const double falling [] = { 1, 0.5 };
    assert_int_equal (bz_metrics_histogram (m, "h_seconds", "x", falling, 2), -1);
    bz_metrics_add (m, -1, 1);                  //  a failed declaration: ignored
    bz_metrics_add (m, 0, -5);                  //  a counter never falls
    bz_metrics_set (m, 0, 9);                   //  not a gauge: ignored
    char text [1024];
    const char *labels [] = { "" };
    s_render (&m, labels, 1, text, sizeof text);
    assert_non_null (strstr (text, "ok_total{} 0\n"));
    bz_metrics_update_process (m);
    s_render (&m, labels, 1, text, sizeof text);
    assert_non_null (strstr (text, "# TYPE process_resident_memory_bytes gauge\n"));
    assert_null (strstr (text, "process_resident_memory_bytes{} 0\n"));
    bz_metrics_destroy (&m);
}

//  Frames from the wire that must be refused, each alone after a valid version frame.
static void
test_hostile_frames (void **state)
{
    (void) state;
    const char *frames [] = {
        "bad name counter help\n1",
        "x_total counter help",                             //  no value line
        "x_total widget help\n1",                           //  unknown type
        "x_total counter help\n-1",                         //  negative
        "x_total counter help\nnan",
        "x_total counter help\ninf",
        "x_total counter help\n1 2",                        //  trailing bytes
        "x_total counter he\x01lp\n1",                      //  control byte in help
        "x_seconds histogram h\n1 2 0.1:3",                 //  bucket above the count
        "x_seconds histogram h\n1 3 0.1:2 0.05:3",          //  bounds not rising
        "x_seconds histogram h\n1 3 0.1:2 0.2:1",           //  cumulative falling
        "x_seconds histogram h\n1 2.5 0.1:2",               //  a fractional count
        "x_seconds histogram h\n1 3 0.1",                   //  a bound without a count
        "",
    };
    for (size_t i = 0; i < sizeof frames / sizeof frames [0]; i++) {
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, "version 1");
        zmsg_addstr (msg, frames [i]);
        char error [128] = "";
        bz_metrics_t *m = bz_metrics_decode (msg, zmsg_first (msg), 2, error, sizeof error);
        if (m)
            fail_msg ("accepted frame %zu: %s", i, frames [i]);
        assert_true (*error);
        zmsg_destroy (&msg);
    }
    //  The version frame, counts that lie, and a repeated family
    const char *versions [] = { "version", "version a b", "versio 1", "version \"x\"" };
    for (size_t i = 0; i < sizeof versions / sizeof versions [0]; i++) {
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, versions [i]);
        char error [128];
        assert_null (bz_metrics_decode (msg, zmsg_first (msg), 1, error, sizeof error));
        zmsg_destroy (&msg);
    }
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "version 1");
    zmsg_addstr (msg, "x_total counter h\n1");
    zmsg_addstr (msg, "x_total gauge h\n1");
    char error [128];
    assert_null (bz_metrics_decode (msg, zmsg_first (msg), 3, error, sizeof error));
    assert_null (bz_metrics_decode (msg, zmsg_first (msg), 5, error, sizeof error));
    assert_null (bz_metrics_decode (msg, zmsg_first (msg), 0, error, sizeof error));
    bz_metrics_t *two = bz_metrics_decode (msg, zmsg_first (msg), 2, error, sizeof error);
    assert_non_null (two);
    //  The cursor is left on the last frame read
    assert_true (zframe_streq (zmsg_next (msg), "x_total gauge h\n1"));
    bz_metrics_destroy (&two);
    zmsg_destroy (&msg);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_families_merge),
        cmocka_unit_test (test_declarations_checked),
        cmocka_unit_test (test_hostile_frames),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
