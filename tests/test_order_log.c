/*  test_order_log: the replica's order log stays dense, keyed and durable.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "order_log.h"

static char s_path [64];

static bz_msg_t
s_record (int64_t number, const char *name, const char *side, int64_t quantity, const char *key)
{
    bz_msg_t record;
    bz_msg_init (&record, BZ_MSG_RECORD);
    record.number = number;
    bz_msg_set_str (record.name, sizeof record.name, name);
    bz_msg_set_str (record.side, sizeof record.side, side);
    record.quantity = quantity;
    bz_msg_set_str (record.key, sizeof record.key, key);
    return record;
}

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_path, sizeof s_path, "/tmp/test_order_log.%d.db", getpid ());
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    char file [80];
    const char *suffixes [] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        snprintf (file, sizeof file, "%s%s", s_path, suffixes [i]);
        unlink (file);
    }
    return 0;
}

static void
test_append_get_and_reopen (void **state)
{
    (void) state;
    order_log_t *log = order_log_new (s_path);
    assert_non_null (log);
    assert_int_equal (order_log_last (log), -1);
    bz_msg_t batch [] = { s_record (0, "GameStart", "buy", 3, "k0"), s_record (1, "FishCo", "sell", 2, "k1") };
    assert_int_equal (order_log_append (log, batch, 2), 0);
    assert_int_equal (order_log_last (log), 1);
    bz_msg_t got;
    assert_int_equal (order_log_get (log, 1, &got), 1);
    assert_string_equal (got.name, "FishCo");
    assert_string_equal (got.side, "sell");
    assert_int_equal (got.quantity, 2);
    assert_int_equal (order_log_get (log, 2, &got), 0);        //  none: not a failure
    int64_t number = -1;
    assert_int_equal (order_log_find_key (log, "k0", &number), 1);
    assert_int_equal (number, 0);
    assert_int_equal (order_log_find_key (log, "nope", &number), 0);
    char *digest = order_log_digest (log);
    assert_int_equal (order_log_set_epoch (log, 33), 0);
    assert_int_equal (order_log_set_epoch (log, 17), 0);        //  never lowers
    order_log_destroy (&log);
    assert_null (log);

    log = order_log_new (s_path);
    assert_int_equal (order_log_last (log), 1);
    assert_int_equal (order_log_epoch (log), 33);
    char *again = order_log_digest (log);
    assert_string_equal (digest, again);
    zstr_free (&digest);
    zstr_free (&again);
    bz_msg_t since [4];
    assert_int_equal (order_log_since (log, 1, since, 4), 1);
    assert_int_equal (since [0].number, 1);
    order_log_destroy (&log);
}

static void
test_gaps_and_repeated_keys_write_nothing (void **state)
{
    (void) state;
    order_log_t *log = order_log_new (s_path);
    int64_t last = order_log_last (log);
    bz_msg_t gap [] = { s_record (last + 2, "GameStart", "buy", 1, "gap") };
    assert_int_equal (order_log_append (log, gap, 1), -1);
    bz_msg_t half [] = { s_record (last + 1, "GameStart", "buy", 1, "fresh"),
                         s_record (last + 2, "GameStart", "buy", 1, "k0") };
    assert_int_equal (order_log_append (log, half, 2), -1);
    assert_int_equal (order_log_last (log), last);
    int64_t number;
    assert_int_equal (order_log_find_key (log, "fresh", &number), 0);   //  rolled back whole
    order_log_destroy (&log);
}

//  A log that cannot be read says so: a stored order never reads as "not found" (the
//  leader would answer 404 for an acknowledged order), a known key never as a new one
//  (it would trade twice), and a catch-up never as "nothing more".
static void
test_read_failure_is_not_not_found (void **state)
{
    (void) state;
    char path [96];
    snprintf (path, sizeof path, "%s.read", s_path);      //  a log of its own
    order_log_t *log = order_log_new (path);
    assert_non_null (log);
    bz_msg_t batch [] = { s_record (0, "GameStart", "buy", 3, "k0") };
    assert_int_equal (order_log_append (log, batch, 1), 0);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, "ALTER TABLE orders RENAME TO gone", NULL, NULL, NULL), SQLITE_OK);
    bz_msg_t got;
    assert_int_equal (order_log_get (log, 0, &got), -1);
    int64_t number = -1;
    assert_int_equal (order_log_find_key (log, "k0", &number), -1);
    bz_msg_t since [2];
    assert_int_equal (order_log_since (log, 0, since, 2), -1);
    assert_int_equal (sqlite3_exec (db, "ALTER TABLE gone RENAME TO orders", NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (db);
    assert_int_equal (order_log_get (log, 0, &got), 1);        //  readable again
    assert_int_equal (order_log_find_key (log, "k0", &number), 1);
    assert_int_equal (order_log_since (log, 0, since, 2), 1);
    order_log_destroy (&log);
    const char *suffixes [] = { "", "-wal", "-shm" };
    for (int k = 0; k < 3; k++) {
        char file [112];
        snprintf (file, sizeof file, "%s%s", path, suffixes [k]);
        unlink (file);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_append_get_and_reopen),
        cmocka_unit_test (test_gaps_and_repeated_keys_write_nothing),
        cmocka_unit_test (test_read_failure_is_not_not_found),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
