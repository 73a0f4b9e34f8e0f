/*  test_catalog_restore: unit tests of catalog_restore (the check that refuses a missing
    or behind catalog.db, and the rebuild from a majority of replica logs).
    Run by scripts/run-tests.                                                           */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "catalog_restore.h"
#include "catalog_store.h"

typedef struct {
    char dir [64];
    char db [128];
    char csv [128];
    bz_config_t *config;
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *fix = (fixture_t *) calloc (1, sizeof (fixture_t));
    strcpy (fix->dir, "/tmp/test_catalog_restore_XXXXXX");
    assert_non_null (mkdtemp (fix->dir));
    setenv ("BAZAAR_DATA", fix->dir, 1);
    setenv ("BAZAAR_ORDER_REPLICAS", "3", 1);
    fix->config = bz_config_new_defaults ();
    assert_non_null (fix->config);
    snprintf (fix->db, sizeof fix->db, "%s/catalog.db", fix->dir);
    snprintf (fix->csv, sizeof fix->csv, "%s/catalog.csv", fix->dir);
    FILE *file = fopen (fix->csv, "w");
    assert_non_null (file);
    fputs ("name,price\nFishCo,8.25\nBoarCo,21.50\n", file);
    fclose (file);
    *state = fix;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    bz_config_destroy (&fix->config);
    char command [128];
    snprintf (command, sizeof command, "rm -rf '%s'", fix->dir);
    assert_int_equal (system (command), 0);
    free (fix);
    return 0;
}

//  Writes replica id's log as order_log makes it, with orders 0..count-1 (order i buys
//  i+1 FishCo with key k<i>, or, if odd_key, the last one has another key) and an epoch.
static void
s_write_log (fixture_t *fix, int id, int count, int64_t epoch, bool odd_key)
{
    char path [160];
    snprintf (path, sizeof path, "%s/order%d.db", fix->dir, id);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db,
        "CREATE TABLE orders (number INTEGER PRIMARY KEY, name TEXT NOT NULL, side TEXT NOT NULL,"
        " quantity INTEGER NOT NULL, key TEXT NOT NULL UNIQUE);"
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
        NULL, NULL, NULL), SQLITE_OK);
    for (int i = 0; i < count; i++) {
        char *sql = sqlite3_mprintf ("INSERT INTO orders VALUES (%d, 'FishCo', '%s', %d, 'k%d%s')",
                                     i, i % 2? "sell": "buy", i + 1, i,
                                     odd_key && i == count - 1? "-other": "");
        assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_free (sql);
    }
    char *sql = sqlite3_mprintf ("INSERT INTO meta VALUES ('epoch', %lld)", (long long) epoch);
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_free (sql);
    sqlite3_close (db);
}

static void
test_a_new_cluster_may_import (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    char why [256] = "";
    assert_int_equal (catalog_restore_check (fix->config, false, -1, why, sizeof why), 0);
    s_write_log (fix, 1, 0, 17, false);             //  a replica started, no order yet
    assert_int_equal (catalog_restore_check (fix->config, false, -1, why, sizeof why), 0);
    catalog_replicas_t info;
    catalog_restore_scan (fix->config, &info);
    assert_int_equal (info.readable, 1);
    assert_int_equal (info.last, -1);
    assert_int_equal (info.epoch, 17);
}

static void
test_missing_or_behind_is_refused (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    s_write_log (fix, 1, 4, 17, false);
    s_write_log (fix, 2, 6, 34, false);
    char why [256] = "";
    assert_int_equal (catalog_restore_check (fix->config, false, -1, why, sizeof why), -1);
    assert_non_null (strstr (why, "missing but the replica logs hold orders 0..5"));
    assert_int_equal (catalog_restore_check (fix->config, true, 4, why, sizeof why), -1);
    assert_non_null (strstr (why, "behind"));
    assert_int_equal (catalog_restore_check (fix->config, true, 5, why, sizeof why), 0);
    assert_int_equal (catalog_restore_check (fix->config, true, 9, why, sizeof why), 0);
}

//  The rebuilt book is the CSV plus every order of the longest log, numbers kept.
static void
test_restore_rebuilds_book_and_trades (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    s_write_log (fix, 1, 4, 17, false);
    s_write_log (fix, 2, 6, 34, false);             //  order3's log is lost
    assert_int_equal (catalog_restore (fix->config, fix->db, fix->csv), 0);
    catalog_store_t *store = catalog_store_new (fix->db, "/nonexistent.csv");
    assert_non_null (store);
    assert_int_equal (catalog_store_last_number (store), 5);
    assert_int_equal (catalog_store_epoch (store), 34);
    //  buys 1 + 3 + 5, sells 2 + 4 + 6
    assert_int_equal (catalog_store_lookup (store, "FishCo")->quantity, 100 - 9 + 12);
    assert_int_equal (catalog_store_lookup (store, "FishCo")->volume, 21);
    assert_int_equal (catalog_store_lookup (store, "BoarCo")->quantity, 100);
    catalog_trade_t trades [10];
    assert_int_equal (catalog_store_since (store, 0, trades, 10), 6);
    assert_string_equal (trades [5].key, "k5");
    assert_int_equal (trades [5].quantity, 6);
    char why [256] = "";
    assert_int_equal (catalog_restore_check (fix->config, true, catalog_store_last_number (store),
                                             why, sizeof why), 0);
    catalog_store_destroy (&store);
    //  Restoring again keeps the present file aside and gives the same book.
    assert_int_equal (catalog_restore (fix->config, fix->db, fix->csv), 0);
    store = catalog_store_new (fix->db, "/nonexistent.csv");
    assert_non_null (store);
    assert_int_equal (catalog_store_last_number (store), 5);
    catalog_store_destroy (&store);
}

//  The present catalog.db is moved aside, never overwritten: when it cannot be moved (here
//  the names it would take are held by directories), the restore fails and changes
//  nothing, and leaves no half-built file behind.
static void
test_restore_that_cannot_keep_the_old_file_changes_nothing (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    s_write_log (fix, 1, 4, 17, false);
    s_write_log (fix, 2, 4, 17, false);
    catalog_store_t *store = catalog_store_new (fix->db, fix->csv);     //  the old book
    assert_non_null (store);
    catalog_store_destroy (&store);
    long long now = (long long) time (NULL);
    char command [512];
    snprintf (command, sizeof command,
              "for t in $(seq %lld %lld); do mkdir -p '%s.lost-'$t/x; done", now - 1, now + 60, fix->db);
    assert_int_equal (system (command), 0);
    assert_int_equal (catalog_restore (fix->config, fix->db, fix->csv), -1);
    store = catalog_store_new (fix->db, "/nonexistent.csv");
    assert_non_null (store);
    assert_int_equal (catalog_store_last_number (store), -1);           //  still the old one
    catalog_store_destroy (&store);
    char building [160];
    snprintf (building, sizeof building, "%s.restoring", fix->db);
    assert_int_not_equal (access (building, F_OK), 0);
}

static void
test_restore_needs_an_agreeing_majority (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    s_write_log (fix, 2, 6, 34, false);
    assert_int_equal (catalog_restore (fix->config, fix->db, fix->csv), -1);
    assert_int_equal (access (fix->db, F_OK), -1);          //  nothing written
    s_write_log (fix, 1, 6, 17, true);                      //  order 5 differs
    assert_int_equal (catalog_restore (fix->config, fix->db, fix->csv), -1);
    assert_int_equal (access (fix->db, F_OK), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_a_new_cluster_may_import, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_missing_or_behind_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_restore_rebuilds_book_and_trades, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_restore_that_cannot_keep_the_old_file_changes_nothing,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_restore_needs_an_agreeing_majority, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
