/*  test_bz_bus: the codec of the bus envelopes (client and worker), which the broker,
    bz_client, bz_worker and the frontend's bus client all use. Run by scripts/run-tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "bz_bus.h"

//  A message of the given string frames (NULL-terminated list).
static zmsg_t *
s_frames (const char *first, ...)
{
    zmsg_t *msg = zmsg_new ();
    va_list args;
    va_start (args, first);
    for (const char *frame = first; frame; frame = va_arg (args, const char *))
        zmsg_addstr (msg, frame);
    va_end (args);
    return msg;
}

static void
test_client_round_trip (void **state)
{
    (void) state;
    zmsg_t *msg = s_frames ("body", NULL);
    uint64_t id = 0x0102030405060708;
    assert_int_equal (bz_bus_wrap_client (msg, "catalog", &id, sizeof id), 0);
    assert_int_equal (zmsg_size (msg), 5);
    bz_envelope_t envelope;
    assert_int_equal (bz_bus_unwrap (msg, &envelope), 0);
    assert_true (envelope.client);
    assert_string_equal (envelope.service, "catalog");
    assert_int_equal (envelope.reqid_size, sizeof id);
    assert_memory_equal (envelope.reqid, &id, sizeof id);
    assert_int_equal (zmsg_size (msg), 1);          //  the body is left
    zmsg_destroy (&msg);
}

static void
test_worker_round_trip (void **state)
{
    (void) state;
    zmsg_t *msg = s_frames ("a", "b", NULL);
    bz_bus_wrap_worker (msg, BZ_REPLY);
    bz_envelope_t envelope;
    assert_int_equal (bz_bus_unwrap (msg, &envelope), 0);
    assert_false (envelope.client);
    assert_string_equal (envelope.command, BZ_REPLY);
    assert_int_equal (zmsg_size (msg), 2);
    zmsg_destroy (&msg);
}

//  What wrap refuses leaves the message as it was.
static void
test_wrap_refuses_bad_names_and_ids (void **state)
{
    (void) state;
    zmsg_t *msg = s_frames ("body", NULL);
    char long_name [BZ_SERVICE_MAX + 2];
    memset (long_name, 'x', sizeof long_name - 1);
    long_name [sizeof long_name - 1] = 0;
    byte id [BZ_REQID_MAX + 1] = { 1 };
    assert_int_equal (bz_bus_wrap_client (msg, long_name, id, 1), -1);
    assert_int_equal (bz_bus_wrap_client (msg, "", id, 1), -1);
    assert_int_equal (bz_bus_wrap_client (msg, "s", id, 0), -1);
    assert_int_equal (bz_bus_wrap_client (msg, "s", id, BZ_REQID_MAX + 1), -1);
    assert_int_equal (zmsg_size (msg), 1);
    assert_int_equal (bz_bus_wrap_client (msg, "s", id, BZ_REQID_MAX), 0);
    zmsg_destroy (&msg);
}

//  Every malformed front is refused, whatever follows it.
static void
test_unwrap_refuses_malformed (void **state)
{
    (void) state;
    zmsg_t *cases [] = {
        zmsg_new (),
        s_frames ("x", NULL),
        s_frames ("x", "BZC1", "s", "id", "body", NULL),        //  no empty frame
        s_frames ("", NULL),
        s_frames ("", "NOPE", "s", "id", NULL),
        s_frames ("", "BZC1", NULL),
        s_frames ("", "BZC1", "s", NULL),                       //  no reqid
        s_frames ("", "BZC1", "", "id", NULL),                  //  empty service
        s_frames ("", "BZC1", "s", "", NULL),                   //  empty reqid
        s_frames ("", "BZC1", "s", "12345678901234567", NULL),  //  reqid too long
        s_frames ("", "BZC1", "0123456789012345678901234567890123", "id", NULL),
        s_frames ("", "BZW1", NULL),
        s_frames ("", "BZW1", "", NULL),                        //  no command
        s_frames ("", "BZW1", "\001\001", NULL),                //  two bytes
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        bz_envelope_t envelope;
        assert_int_equal (bz_bus_unwrap (cases [i], &envelope), -1);
        zmsg_destroy (&cases [i]);
    }
    //  A NUL inside the service name
    zmsg_t *msg = s_frames ("", "BZC1", NULL);
    zmsg_addmem (msg, "a\0b", 3);
    zmsg_addstr (msg, "id");
    bz_envelope_t envelope;
    assert_int_equal (bz_bus_unwrap (msg, &envelope), -1);
    zmsg_destroy (&msg);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_client_round_trip),
        cmocka_unit_test (test_worker_round_trip),
        cmocka_unit_test (test_wrap_refuses_bad_names_and_ids),
        cmocka_unit_test (test_unwrap_refuses_malformed),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
