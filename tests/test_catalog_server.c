/*  test_catalog_server: catalog_server's request handling and its PUB stream, without a
    broker (requests go straight to catalog_server_handle). Run by scripts/run-tests.    */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "catalog_server.h"
#include "bz_msg.h"
#include <sqlite3.h>

typedef struct {
    char dir [64];
    bz_config_t *config;
    catalog_store_t *store;
    catalog_server_t *server;
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *fix = (fixture_t *) calloc (1, sizeof (fixture_t));
    strcpy (fix->dir, "/tmp/test_catalog_server_XXXXXX");
    assert_non_null (mkdtemp (fix->dir));
    char path [128], port_base [16];
    snprintf (path, sizeof path, "%s/catalog.csv", fix->dir);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs ("name,price\nFishCo,8.25\nBoarCo,21.5\nGameStart,15.99\n", file);
    fclose (file);
    setenv ("BAZAAR_DATA", fix->dir, 1);
    //  A port range of our own, so a cluster or another test on this box is not
    //  disturbed; a range found busy (the PUB cannot bind) is skipped.
    for (int attempt = 0; attempt < 10 && !fix->server; attempt++) {
        snprintf (port_base, sizeof port_base, "%d",
                  20000 + ((getpid () + attempt * 97) % 1400) * 32);
        setenv ("BAZAAR_PORT_BASE", port_base, 1);
        bz_config_destroy (&fix->config);
        fix->config = bz_config_new_defaults ();
        assert_non_null (fix->config);
        if (!fix->store)
            fix->store = catalog_store_new (bz_config_path (fix->config, "catalog.db"), path);
        assert_non_null (fix->store);
        fix->server = catalog_server_new (fix->config, fix->store);
    }
    assert_non_null (fix->server);
    *state = fix;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_server_destroy (&fix->server);
    catalog_server_destroy (&fix->server);
    catalog_store_destroy (&fix->store);
    bz_config_destroy (&fix->config);
    char command [128];
    snprintf (command, sizeof command, "rm -rf '%s'", fix->dir);
    assert_int_equal (system (command), 0);
    free (fix);
    return 0;
}

static void
s_add (zmsg_t *msg, const bz_msg_t *frame)
{
    zmsg_append (msg, &(zframe_t *) { bz_msg_encode (frame) });
}

static zmsg_t *
s_handle (fixture_t *fix, zmsg_t *request)
{
    zmsg_t *reply = catalog_server_handle (fix->server, &request);
    assert_null (request);
    assert_non_null (reply);
    return reply;
}

//  Decodes frame index of reply, asserting it is a message of the given id.
static bz_msg_t
s_frame (zmsg_t *reply, size_t index, bz_msg_id_t id)
{
    zframe_t *frame = zmsg_first (reply);
    for (size_t i = 0; i < index; i++)
        frame = zmsg_next (reply);
    bz_msg_t msg;
    char error [128];
    assert_int_equal (bz_msg_decode_frame (&msg, frame, error, sizeof error), id);
    return msg;
}

static void
s_assert_error (fixture_t *fix, zmsg_t *request, int64_t code)
{
    zmsg_t *reply = s_handle (fix, request);
    assert_int_equal (zmsg_size (reply), 1);
    bz_msg_t error = s_frame (reply, 0, BZ_MSG_ERROR);
    assert_int_equal (error.code, code);
    zmsg_destroy (&reply);
}

//  A refused batch is answered with one BATCH{epoch, seq, next number, count=0} frame.
static void
s_assert_refused (fixture_t *fix, zmsg_t *request, int64_t epoch, int64_t seq, int64_t next)
{
    zmsg_t *reply = s_handle (fix, request);
    assert_int_equal (zmsg_size (reply), 1);
    bz_msg_t batch = s_frame (reply, 0, BZ_MSG_BATCH);
    assert_int_equal (batch.epoch, epoch);
    assert_int_equal (batch.seq, seq);
    assert_int_equal (batch.number, next);
    assert_int_equal (batch.count, 0);
    zmsg_destroy (&reply);
}

static zmsg_t *
s_lookup (const char *name)
{
    bz_msg_t msg;
    bz_msg_init (&msg, BZ_MSG_LOOKUP);
    bz_msg_set_str (msg.name, sizeof msg.name, name);
    zmsg_t *request = zmsg_new ();
    s_add (request, &msg);
    return request;
}

//  BATCH{epoch, seq, number 0, count}: the leader's log holds nothing the catalog lacks.
static zmsg_t *
s_batch (int64_t epoch, int64_t seq, int64_t count)
{
    bz_msg_t msg;
    bz_msg_init (&msg, BZ_MSG_BATCH);
    msg.epoch = epoch;
    msg.seq = seq;
    msg.count = count;
    zmsg_t *request = zmsg_new ();
    s_add (request, &msg);
    return request;
}

static void
s_add_order (zmsg_t *request, const char *name, const char *side, int64_t quantity,
             const char *key)
{
    bz_msg_t msg;
    bz_msg_init (&msg, BZ_MSG_ORDER);
    bz_msg_set_str (msg.name, sizeof msg.name, name);
    bz_msg_set_str (msg.side, sizeof msg.side, side);
    msg.quantity = quantity;
    bz_msg_set_str (msg.key, sizeof msg.key, key);
    s_add (request, &msg);
}

static void
test_lookup_and_list (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    zmsg_t *reply = s_handle (fix, s_lookup ("BoarCo"));
    bz_msg_t stock = s_frame (reply, 0, BZ_MSG_STOCK);
    assert_string_equal (stock.name, "BoarCo");
    assert_true (stock.price == 21.5);
    assert_int_equal (stock.quantity, 100);
    zmsg_destroy (&reply);
    s_assert_error (fix, s_lookup ("NoSuchCo"), 404);

    bz_msg_t list;
    bz_msg_init (&list, BZ_MSG_LIST);
    zmsg_t *request = zmsg_new ();
    s_add (request, &list);
    reply = s_handle (fix, request);
    assert_int_equal (zmsg_size (reply), 3);
    assert_string_equal (s_frame (reply, 0, BZ_MSG_STOCK).name, "BoarCo");
    assert_string_equal (s_frame (reply, 2, BZ_MSG_STOCK).name, "GameStart");
    zmsg_destroy (&reply);
}

static void
test_malformed_requests_get_400 (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    s_assert_error (fix, zmsg_new (), 400);                          //  no frame
    zmsg_t *request = zmsg_new ();
    zmsg_addmem (request, "", 0);                                   //  empty frame
    s_assert_error (fix, request, 400);
    request = zmsg_new ();
    zmsg_addmem (request, "\xdd\x04\x00\x00\x00", 5);               //  allocation bomb
    s_assert_error (fix, request, 400);
    request = s_lookup ("FishCo");
    zmsg_addstr (request, "extra");                                 //  extra frame
    s_assert_error (fix, request, 400);
    request = zmsg_new ();
    bz_msg_t stock;
    bz_msg_init (&stock, BZ_MSG_STOCK);                             //  not a request
    s_add (request, &stock);
    s_assert_error (fix, request, 400);
    request = s_batch (1, 0, 2);                                    //  count mismatch
    s_add_order (request, "FishCo", "buy", 1, "a");
    s_assert_error (fix, request, 400);
    request = s_batch (1, 0, 1);                                    //  not an ORDER
    zmsg_append (request, &(zframe_t *) { bz_msg_encode (&stock) });
    s_assert_error (fix, request, 400);
    s_assert_error (fix, s_batch (1, 0, 1001), 400);                 //  too many
    bz_msg_t since;
    bz_msg_init (&since, BZ_MSG_SINCE);
    since.count = 1001;
    request = zmsg_new ();
    s_add (request, &since);
    s_assert_error (fix, request, 400);
    //  Nothing of the above changed the book.
    assert_int_equal (catalog_store_last_number (fix->store), -1);
    assert_int_equal (catalog_store_epoch (fix->store), 0);
    assert_int_equal (catalog_store_lookup (fix->store, "FishCo")->quantity, 100);
}

static void
test_batch_and_since (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    zmsg_t *request = s_batch (2, 1, 3);
    s_add_order (request, "FishCo", "buy", 10, "k0");
    s_add_order (request, "FishCo", "buy", 1000, "k1");
    s_add_order (request, "BoarCo", "sell", 5, "k2");
    zmsg_t *reply = s_handle (fix, request);
    assert_int_equal (zmsg_size (reply), 3);
    bz_msg_t traded = s_frame (reply, 0, BZ_MSG_TRADED);
    assert_int_equal (traded.number, 0);
    assert_string_equal (traded.key, "k0");
    assert_int_equal (s_frame (reply, 1, BZ_MSG_ERROR).code, 409);
    assert_int_equal (s_frame (reply, 2, BZ_MSG_TRADED).number, 1);
    zmsg_destroy (&reply);
    catalog_server_publish (fix->server);

    request = s_batch (2, 1, 1);                                     //  replayed: refused
    s_add_order (request, "FishCo", "buy", 10, "k0");
    s_assert_refused (fix, request, 2, 1, 2);
    request = s_batch (1, 1, 1);                                     //  stale epoch
    s_add_order (request, "FishCo", "buy", 10, "k3");
    s_assert_refused (fix, request, 2, 1, 2);
    assert_int_equal (catalog_store_lookup (fix->store, "FishCo")->quantity, 90);
    //  A fence (count 0) says where the catalog stands, raised or refused.
    s_assert_refused (fix, s_batch (3, 0, 0), 3, 0, 2);
    assert_int_equal (catalog_store_epoch (fix->store), 3);
    s_assert_refused (fix, s_batch (1, 0, 0), 3, 0, 2);
    assert_int_equal (catalog_store_epoch (fix->store), 3);
    request = s_batch (2, 2, 1);
    s_add_order (request, "FishCo", "buy", 10, "k3");
    s_assert_refused (fix, request, 3, 0, 2);
    //  A key that traded, resent by any leader: its first number, nothing traded; the
    //  same key with another order: 422.
    request = s_batch (3, 1, 2);
    s_add_order (request, "FishCo", "buy", 10, "k0");
    s_add_order (request, "FishCo", "buy", 11, "k2");
    reply = s_handle (fix, request);
    assert_int_equal (zmsg_size (reply), 2);
    traded = s_frame (reply, 0, BZ_MSG_TRADED);
    assert_int_equal (traded.number, 0);
    assert_string_equal (traded.key, "k0");
    bz_msg_t reused = s_frame (reply, 1, BZ_MSG_ERROR);
    assert_int_equal (reused.code, 422);
    assert_string_equal (reused.message, "idempotency key reused for a different order");
    zmsg_destroy (&reply);
    assert_int_equal (catalog_store_last_number (fix->store), 1);
    assert_int_equal (catalog_store_lookup (fix->store, "FishCo")->quantity, 90);

    bz_msg_t since;
    bz_msg_init (&since, BZ_MSG_SINCE);
    since.number = 1;
    since.count = 10;
    request = zmsg_new ();
    s_add (request, &since);
    reply = s_handle (fix, request);
    assert_int_equal (zmsg_size (reply), 1);
    bz_msg_t record = s_frame (reply, 0, BZ_MSG_RECORD);
    assert_int_equal (record.number, 1);
    assert_string_equal (record.name, "BoarCo");
    assert_string_equal (record.side, "sell");
    assert_int_equal (record.quantity, 5);
    assert_string_equal (record.key, "k2");
    zmsg_destroy (&reply);
    since.number = 2;                                               //  nothing there yet
    request = zmsg_new ();
    s_add (request, &since);
    reply = s_handle (fix, request);
    assert_int_equal (zmsg_size (reply), 0);
    zmsg_destroy (&reply);
}

//  Requests handled together: consecutive batches share one commit, a read between
//  them sees what committed before it, and a group that fails is answered 503 whole.
static void
test_batches_grouped_share_a_commit (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    zmsg_t *bodies [4], *replies [4];
    const char *keys [] = { "g0", "g1", NULL, "g2" };
    for (int i = 0; i < 4; i++) {
        int64_t seq = i < 2? i + 1: 3;
        bodies [i] = keys [i]? s_batch (2, seq, 1): s_lookup ("FishCo");
        if (keys [i])
            s_add_order (bodies [i], "FishCo", "buy", 5, keys [i]);
    }
    catalog_server_handle_all (fix->server, bodies, replies, 4);
    for (int i = 0; i < 4; i++) {
        assert_null (bodies [i]);
        assert_int_equal (zmsg_size (replies [i]), 1);
    }
    assert_int_equal (s_frame (replies [0], 0, BZ_MSG_TRADED).number, 0);
    assert_int_equal (s_frame (replies [1], 0, BZ_MSG_TRADED).number, 1);
    assert_int_equal (s_frame (replies [2], 0, BZ_MSG_STOCK).quantity, 90);
    assert_int_equal (s_frame (replies [3], 0, BZ_MSG_TRADED).number, 2);
    for (int i = 0; i < 4; i++)
        zmsg_destroy (&replies [i]);
    catalog_server_publish (fix->server);

    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (bz_config_path (fix->config, "catalog.db"), &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, "CREATE TRIGGER boom BEFORE INSERT ON trades"
        " WHEN NEW.key = 'boom' BEGIN SELECT RAISE (ABORT, 'boom'); END", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close (db);
    bodies [0] = s_batch (2, 4, 1);
    s_add_order (bodies [0], "FishCo", "buy", 5, "g3");
    bodies [1] = s_batch (2, 5, 1);
    s_add_order (bodies [1], "FishCo", "buy", 5, "boom");
    catalog_server_handle_all (fix->server, bodies, replies, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal (zmsg_size (replies [i]), 1);
        assert_int_equal (s_frame (replies [i], 0, BZ_MSG_ERROR).code, 503);
        zmsg_destroy (&replies [i]);
    }
    assert_int_equal (catalog_store_last_number (fix->store), 2);
    assert_int_equal (catalog_store_seq (fix->store), 3);
    assert_int_equal (catalog_store_lookup (fix->store, "FishCo")->quantity, 85);
}

//  Results wait for publish (their invalidations): a caller that never publishes runs
//  out of room, and then a batch is refused 503 rather than memory overrun or an
//  invalidation dropped.
static void
test_unpublished_results_are_bounded (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    for (int batch = 1; batch <= CATALOG_GROUP_MAX + 1; batch++) {
        zmsg_t *request = s_batch (2, batch, CATALOG_BATCH_MAX);
        for (int i = 0; i < CATALOG_BATCH_MAX; i++) {
            char key [32];
            snprintf (key, sizeof key, "b%d-%d", batch, i);
            s_add_order (request, "BoarCo", "sell", 1, key);
        }
        zmsg_t *reply = s_handle (fix, request);
        if (batch <= CATALOG_GROUP_MAX)
            assert_int_equal (zmsg_size (reply), CATALOG_BATCH_MAX);
        else {
            assert_int_equal (zmsg_size (reply), 1);
            assert_int_equal (s_frame (reply, 0, BZ_MSG_ERROR).code, 503);
        }
        zmsg_destroy (&reply);
    }
    catalog_server_publish (fix->server);
    zmsg_t *request = s_batch (2, CATALOG_GROUP_MAX + 1, 1);
    s_add_order (request, "BoarCo", "sell", 1, "after");
    zmsg_t *reply = s_handle (fix, request);
    assert_int_equal (s_frame (reply, 0, BZ_MSG_TRADED).number, CATALOG_GROUP_MAX * CATALOG_BATCH_MAX);
    zmsg_destroy (&reply);
}

//  Reads one published message: its topic and body.
static bool
s_receive (zsock_t *sub, char *topic, size_t topic_size, bz_msg_t *msg)
{
    zmsg_t *published = zmsg_recv (sub);
    if (!published)
        return false;
    assert_int_equal (zmsg_size (published), 2);
    char *text = zmsg_popstr (published);
    snprintf (topic, topic_size, "%s", text);
    zstr_free (&text);
    char error [128];
    assert_int_not_equal (bz_msg_decode_frame (msg, zmsg_first (published),
                                               error, sizeof error), BZ_MSG_NONE);
    zmsg_destroy (&published);
    return true;
}

//  Commits and publishes one-order batches until sub hears one (the slow joiner), then
//  drains what is in flight. Returns the next trade number; *seq gets the last seq heard.
static int64_t
s_join (fixture_t *fix, zsock_t *sub, int64_t *seq)
{
    char topic [16];
    bz_msg_t msg;
    int64_t number = 0;
    bool heard = false;
    while (!heard && number < 100) {
        char key [32];
        snprintf (key, sizeof key, "warm-up-%" PRId64, number);
        zmsg_t *request = s_batch (0, ++number, 1);
        s_add_order (request, "BoarCo", "sell", 1, key);
        zmsg_t *reply = s_handle (fix, request);
        zmsg_destroy (&reply);
        catalog_server_publish (fix->server);
        heard = s_receive (sub, topic, sizeof topic, &msg);
    }
    assert_true (heard);
    do
        *seq = msg.seq;
    while (s_receive (sub, topic, sizeof topic, &msg));
    return number;
}

static void
test_invalidations_after_publish (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    zsock_t *sub = zsock_new_sub (bz_config_endpoint (fix->config, "catalog"), "inv");
    assert_non_null (sub);
    zsock_set_rcvtimeo (sub, 200);
    int64_t seq = 0;
    int64_t number = s_join (fix, sub, &seq);
    zmsg_t *request = s_batch (0, number + 1, 3);
    s_add_order (request, "GameStart", "buy", 10, "a");
    s_add_order (request, "GameStart", "hold", 10, "b");
    s_add_order (request, "GameStart", "buy", 20, "c");
    zmsg_t *reply = s_handle (fix, request);
    zmsg_destroy (&reply);
    char topic [16];
    bz_msg_t msg;
    assert_false (s_receive (sub, topic, sizeof topic, &msg));      //  not before publish
    catalog_server_publish (fix->server);
    int64_t expected [] = { 90, 70 };
    for (int i = 0; i < 2; i++) {
        assert_true (s_receive (sub, topic, sizeof topic, &msg));
        assert_string_equal (topic, "inv");
        assert_int_equal (msg.id, BZ_MSG_INVALIDATE);
        assert_string_equal (msg.publisher, catalog_server_publisher (fix->server));
        assert_int_equal (msg.seq, seq + 1 + i);
        assert_string_equal (msg.name, "GameStart");
        assert_int_equal (msg.quantity, expected [i]);
    }
    catalog_server_publish (fix->server);                           //  nothing twice
    assert_false (s_receive (sub, topic, sizeof topic, &msg));
    zsock_destroy (&sub);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_lookup_and_list, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_malformed_requests_get_400, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_batch_and_since, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_batches_grouped_share_a_commit, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unpublished_results_are_bounded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_invalidations_after_publish, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
