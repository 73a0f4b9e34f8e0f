/*  test_bz_msg: every bus message round-trips, and malformed msgpack is refused
    with a reason, never a crash or a large allocation.                         */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <msgpack.h>
#include "bz_msg.h"

static void
s_fill (bz_msg_t *msg, bz_msg_id_t id)
{
    bz_msg_init (msg, id);
    bz_msg_set_str (msg->name, sizeof msg->name, "GameStart");
    bz_msg_set_str (msg->side, sizeof msg->side, "sell");
    msg->quantity = 1000000;
    msg->price = 15.99;
    msg->volume = 7;
    msg->number = 123456789012LL;
    bz_msg_set_str (msg->key, sizeof msg->key, "0f8fad5b-d9cb-469f-a165-70867728950e");
    msg->code = 409;
    bz_msg_set_str (msg->message, sizeof msg->message, "not enough shares");
    bz_msg_set_str (msg->publisher, sizeof msg->publisher, "c3a5e0e4-1f7b-4d0e-9a6c-2b1d5f3e8a90");
    msg->seq = 42;
    msg->epoch = 3;
    bz_msg_set_str (msg->service, sizeof msg->service, "catalog");
    msg->rank = 2;
    msg->count = 1000;
}

static void
test_every_message_round_trips (void **state)
{
    (void) state;
    for (int id = BZ_MSG_NONE + 1; id < BZ_MSG_COUNT; id++) {
        bz_msg_t sent, got;
        s_fill (&sent, (bz_msg_id_t) id);
        zframe_t *frame = bz_msg_encode (&sent);
        assert_true (zframe_size (frame) <= BZ_MSG_MAX_SIZE);
        char error [128] = "";
        assert_int_equal (bz_msg_decode_frame (&got, frame, error, sizeof error), id);
        //  Re-encoding what was decoded gives the same bytes: no field lost or added.
        zframe_t *again = bz_msg_encode (&got);
        assert_true (zframe_eq (frame, again));
        zframe_destroy (&again);
        zframe_destroy (&frame);
    }
}

//  Packs a map from (key, value) pairs given as a msgpack-building callback.
typedef void (builder_fn) (msgpack_packer *pk);

static int
s_decode_built (builder_fn *build, char *error, size_t error_size)
{
    msgpack_sbuffer buffer;
    msgpack_sbuffer_init (&buffer);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buffer, msgpack_sbuffer_write);
    build (&pk);
    bz_msg_t msg;
    int rc = bz_msg_decode (&msg, (const byte *) buffer.data, buffer.size, error, error_size);
    msgpack_sbuffer_destroy (&buffer);
    return rc;
}

static void
s_str (msgpack_packer *pk, const char *str)
{
    msgpack_pack_str (pk, strlen (str));
    msgpack_pack_str_body (pk, str, strlen (str));
}

static void b_good (msgpack_packer *pk) { msgpack_pack_map (pk, 2); s_str (pk, "msg"); s_str (pk, "LOOKUP"); s_str (pk, "name"); s_str (pk, "FishCo"); }
static void b_missing (msgpack_packer *pk) { msgpack_pack_map (pk, 1); s_str (pk, "msg"); s_str (pk, "LOOKUP"); }
static void b_extra (msgpack_packer *pk) { msgpack_pack_map (pk, 3); s_str (pk, "msg"); s_str (pk, "LOOKUP"); s_str (pk, "name"); s_str (pk, "x"); s_str (pk, "price"); msgpack_pack_double (pk, 1); }
static void b_duplicate (msgpack_packer *pk) { msgpack_pack_map (pk, 3); s_str (pk, "msg"); s_str (pk, "LOOKUP"); s_str (pk, "name"); s_str (pk, "x"); s_str (pk, "name"); s_str (pk, "y"); }
static void b_unknown_id (msgpack_packer *pk) { msgpack_pack_map (pk, 1); s_str (pk, "msg"); s_str (pk, "DROP_TABLE"); }
static void b_no_id (msgpack_packer *pk) { msgpack_pack_map (pk, 1); s_str (pk, "name"); s_str (pk, "x"); }
static void b_int_as_str (msgpack_packer *pk) { msgpack_pack_map (pk, 2); s_str (pk, "msg"); s_str (pk, "ORDER_GET"); s_str (pk, "number"); s_str (pk, "1"); }
static void b_negative (msgpack_packer *pk) { msgpack_pack_map (pk, 2); s_str (pk, "msg"); s_str (pk, "ORDER_GET"); s_str (pk, "number"); msgpack_pack_int64 (pk, -1); }
static void b_float_int (msgpack_packer *pk) { msgpack_pack_map (pk, 2); s_str (pk, "msg"); s_str (pk, "ORDER_GET"); s_str (pk, "number"); msgpack_pack_double (pk, 1.5); }
static void b_huge_uint (msgpack_packer *pk) { msgpack_pack_map (pk, 2); s_str (pk, "msg"); s_str (pk, "ORDER_GET"); s_str (pk, "number"); msgpack_pack_uint64 (pk, UINT64_MAX); }
static void b_long_name (msgpack_packer *pk) { msgpack_pack_map (pk, 2); s_str (pk, "msg"); s_str (pk, "LOOKUP"); s_str (pk, "name"); char name [66]; memset (name, 'a', 65); name [65] = 0; s_str (pk, name); }
static void b_nul_name (msgpack_packer *pk) { msgpack_pack_map (pk, 2); s_str (pk, "msg"); s_str (pk, "LOOKUP"); s_str (pk, "name"); msgpack_pack_str (pk, 3); msgpack_pack_str_body (pk, "a\0b", 3); }
static void b_nested (msgpack_packer *pk) { msgpack_pack_map (pk, 2); s_str (pk, "msg"); s_str (pk, "LOOKUP"); s_str (pk, "name"); msgpack_pack_array (pk, 1); s_str (pk, "x"); }
static void b_bin_name (msgpack_packer *pk) { msgpack_pack_map (pk, 2); s_str (pk, "msg"); s_str (pk, "LOOKUP"); s_str (pk, "name"); msgpack_pack_bin (pk, 1); msgpack_pack_bin_body (pk, "x", 1); }
static void b_int_key (msgpack_packer *pk) { msgpack_pack_map (pk, 2); s_str (pk, "msg"); s_str (pk, "LOOKUP"); msgpack_pack_int (pk, 1); s_str (pk, "x"); }
static void b_array (msgpack_packer *pk) { msgpack_pack_array (pk, 2); s_str (pk, "msg"); s_str (pk, "LOOKUP"); }
static void b_nan_price (msgpack_packer *pk) { msgpack_pack_map (pk, 5); s_str (pk, "msg"); s_str (pk, "STOCK"); s_str (pk, "name"); s_str (pk, "x"); s_str (pk, "price"); msgpack_pack_double (pk, NAN); s_str (pk, "quantity"); msgpack_pack_int (pk, 1); s_str (pk, "volume"); msgpack_pack_int (pk, 1); }

static void
test_malformed_maps_are_refused (void **state)
{
    (void) state;
    char error [128];
    assert_int_equal (s_decode_built (b_good, error, sizeof error), 0);
    builder_fn *bad [] = { b_missing, b_extra, b_duplicate, b_unknown_id, b_no_id, b_int_as_str,
        b_negative, b_float_int, b_huge_uint, b_long_name, b_nul_name, b_nested, b_bin_name,
        b_int_key, b_array, b_nan_price };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        error [0] = 0;
        assert_int_equal (s_decode_built (bad [i], error, sizeof error), -1);
        assert_true (strlen (error) > 0);
    }
}

static void
test_raw_bytes_are_refused (void **state)
{
    (void) state;
    static const struct { const char *bytes; size_t size; } cases [] = {
        { "\xdd\x04\x00\x00\x00", 5 },              //  array32 claiming 67 million items
        { "\xdf\x04\x00\x00\x00", 5 },              //  map32 claiming 67 million pairs
        { "\x81\xa3msg\xdd\x04\x00\x00\x00", 10 },  //  the bomb nested as a value
        { "\xde\xff\xff", 3 },                      //  map16, 65535 pairs, no bytes
        { "\x82\xa3msg", 5 },                       //  truncated
        { "\x81\xa3msg\xa6LOOKUP\x00", 13 },        //  trailing byte
        { "\x81\xa3msg\xdb\xff\xff\xff\xff", 9 },   //  str32 longer than the frame
        { "\xc1", 1 },                              //  reserved tag
        { "", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        bz_msg_t msg;
        char error [128] = "";
        assert_int_equal (bz_msg_decode (&msg, (const byte *) cases [i].bytes, cases [i].size,
                                         error, sizeof error), -1);
        assert_int_equal (msg.id, BZ_MSG_NONE);
        assert_true (strlen (error) > 0);
    }
    byte big [BZ_MSG_MAX_SIZE + 1] = { 0x80 };
    bz_msg_t msg;
    char error [128];
    assert_int_equal (bz_msg_decode (&msg, big, sizeof big, error, sizeof error), -1);
    assert_int_equal (bz_msg_decode_frame (&msg, NULL, error, sizeof error), BZ_MSG_NONE);
}

static void
test_error_helper (void **state)
{
    (void) state;
    zframe_t *frame = bz_msg_error (404, "stock %s not found", "Nope");
    bz_msg_t msg;
    char error [128];
    assert_int_equal (bz_msg_decode_frame (&msg, frame, error, sizeof error), BZ_MSG_ERROR);
    assert_int_equal (msg.code, 404);
    assert_string_equal (msg.message, "stock Nope not found");
    assert_string_equal (bz_msg_name (BZ_MSG_STOCK), "STOCK");
    assert_string_equal (bz_msg_name (BZ_MSG_COUNT), "?");
    zframe_destroy (&frame);
}

//  A header and N items: append builds it, decode_list reads the items back, checking
//  their kind and their number.
static void
test_header_and_items (void **state)
{
    (void) state;
    zmsg_t *msg = zmsg_new ();
    bz_msg_t head, item;
    bz_msg_init (&head, BZ_MSG_BATCH);
    head.count = 3;
    bz_msg_append (msg, &head);
    for (int i = 0; i < 3; i++) {
        bz_msg_init (&item, BZ_MSG_ORDER);
        bz_msg_set_str (item.name, sizeof item.name, "FishCo");
        bz_msg_set_str (item.side, sizeof item.side, "buy");
        item.quantity = i + 1;
        bz_msg_set_str (item.key, sizeof item.key, "k");
        bz_msg_append (msg, &item);
    }
    assert_int_equal (zmsg_size (msg), 4);
    bz_msg_t items [4];
    char error [160];
    assert_int_equal (bz_msg_decode_list (msg, 1, BZ_MSG_ORDER, items, 4, error, sizeof error), 3);
    assert_int_equal (items [2].quantity, 3);
    assert_int_equal (bz_msg_decode_list (msg, 0, BZ_MSG_NONE, items, 4, error, sizeof error), 4);
    assert_int_equal (items [0].id, BZ_MSG_BATCH);
    assert_int_equal (bz_msg_decode_list (msg, 4, BZ_MSG_ORDER, items, 4, error, sizeof error), 0);
    //  Too many for the room given; the wrong kind; not a message at all.
    assert_int_equal (bz_msg_decode_list (msg, 1, BZ_MSG_ORDER, items, 2, error, sizeof error), -1);
    assert_string_equal (error, "more than 2 items");
    assert_int_equal (bz_msg_decode_list (msg, 0, BZ_MSG_ORDER, items, 4, error, sizeof error), -1);
    assert_string_equal (error, "frame 1 is not ORDER: BATCH");
    zmsg_addstr (msg, "garbage");
    assert_int_equal (bz_msg_decode_list (msg, 1, BZ_MSG_ORDER, items, 4, error, sizeof error), -1);
    assert_non_null (strstr (error, "frame 5 is not ORDER: "));
    zmsg_destroy (&msg);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_every_message_round_trips),
        cmocka_unit_test (test_malformed_maps_are_refused),
        cmocka_unit_test (test_raw_bytes_are_refused),
        cmocka_unit_test (test_error_helper),
        cmocka_unit_test (test_header_and_items),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
