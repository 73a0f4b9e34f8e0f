/*  test_catalog_store: unit tests of catalog_store (first-start import, batch rules,
    the dense-number fence, durability across reopen, since()). Run by scripts/run-tests.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "catalog_store.h"

typedef struct {
    char dir [64];
    char db [128];
    char csv [128];
    catalog_store_t *store;
} fixture_t;

static void
s_write_file (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    fclose (file);
}

static int
s_setup (void **state)
{
    fixture_t *fix = (fixture_t *) calloc (1, sizeof (fixture_t));
    strcpy (fix->dir, "/tmp/test_catalog_XXXXXX");
    assert_non_null (mkdtemp (fix->dir));
    snprintf (fix->db, sizeof fix->db, "%s/catalog.db", fix->dir);
    snprintf (fix->csv, sizeof fix->csv, "%s/catalog.csv", fix->dir);
    s_write_file (fix->csv, "name,price\nFishCo,8.25\nBoarCo,21.50\nGameStart,15.99\n");
    fix->store = catalog_store_new (fix->db, fix->csv);
    assert_non_null (fix->store);
    *state = fix;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_store_destroy (&fix->store);
    char command [128];
    snprintf (command, sizeof command, "rm -rf '%s'", fix->dir);
    assert_int_equal (system (command), 0);
    free (fix);
    return 0;
}

static catalog_order_t
s_order (const char *name, const char *side, int64_t quantity, const char *key)
{
    catalog_order_t order;
    memset (&order, 0, sizeof order);
    snprintf (order.name, sizeof order.name, "%s", name);
    snprintf (order.side, sizeof order.side, "%s", side);
    order.quantity = quantity;
    snprintf (order.key, sizeof order.key, "%s", key);
    return order;
}

static void
s_reopen (fixture_t *fix)
{
    catalog_store_destroy (&fix->store);
    assert_null (fix->store);
    catalog_store_destroy (&fix->store);        //  safe twice
    fix->store = catalog_store_new (fix->db, fix->csv);
    assert_non_null (fix->store);
}

static void
test_first_start_loads_csv (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    const catalog_stock_t *stock = catalog_store_lookup (fix->store, "FishCo");
    assert_non_null (stock);
    assert_string_equal (stock->name, "FishCo");
    assert_true (stock->price == 8.25);
    assert_int_equal (stock->quantity, 100);
    assert_int_equal (stock->volume, 0);
    assert_null (catalog_store_lookup (fix->store, "NoSuchCo"));
    assert_null (catalog_store_lookup (fix->store, ""));
    assert_int_equal (catalog_store_last_number (fix->store), -1);
    assert_int_equal (catalog_store_epoch (fix->store), 0);
}

static void
test_list_in_name_order (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    size_t count = 0;
    const catalog_stock_t *stocks = catalog_store_list (fix->store, &count);
    assert_int_equal (count, 3);
    assert_string_equal (stocks [0].name, "BoarCo");
    assert_string_equal (stocks [1].name, "FishCo");
    assert_string_equal (stocks [2].name, "GameStart");
}

static void
test_batch_rules (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_order_t orders [] = {
        s_order ("FishCo", "buy", 30, "k0"),        //  ok: number 0
        s_order ("FishCo", "buy", 71, "k1"),        //  409: only 70 left
        s_order ("BoarCo", "sell", 5, "k2"),        //  ok: number 1
        s_order ("NoSuchCo", "buy", 1, "k3"),       //  404
        s_order ("FishCo", "buy", 0, "k4"),         //  400
        s_order ("FishCo", "sell", 1000001, "k5"),  //  400
        s_order ("FishCo", "hold", 1, "k6"),        //  400
        s_order ("FishCo", "buy", 70, "k7"),        //  ok: number 2, empties the stock
    };
    size_t count = sizeof orders / sizeof orders [0];
    catalog_result_t results [8];
    assert_int_equal (catalog_store_apply_batch (fix->store, 1, 1, 0, orders, count, results),
                      CATALOG_APPLIED);
    int codes [] = { 200, 409, 200, 404, 400, 400, 400, 200 };
    for (size_t i = 0; i < count; i++)
        assert_int_equal (results [i].code, codes [i]);
    assert_int_equal (results [0].number, 0);
    assert_int_equal (results [2].number, 1);
    assert_int_equal (results [7].number, 2);
    assert_string_equal (results [1].message, "not enough shares");
    assert_int_equal (results [0].stock.quantity, 70);
    assert_int_equal (results [7].stock.quantity, 0);
    assert_int_equal (results [7].stock.volume, 100);

    const catalog_stock_t *fish = catalog_store_lookup (fix->store, "FishCo");
    const catalog_stock_t *boar = catalog_store_lookup (fix->store, "BoarCo");
    assert_int_equal (fish->quantity, 0);
    assert_int_equal (fish->volume, 100);
    assert_int_equal (boar->quantity, 105);
    assert_int_equal (boar->volume, 5);
    assert_int_equal (catalog_store_last_number (fix->store), 2);
    assert_int_equal (catalog_store_epoch (fix->store), 1);
}

static void
test_batch_with_no_success_takes_no_number (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_order_t orders [] = { s_order ("NoSuchCo", "buy", 1, "a") };
    catalog_result_t results [1];
    assert_int_equal (catalog_store_apply_batch (fix->store, 0, 1, 0, orders, 1, results),
                      CATALOG_APPLIED);
    assert_int_equal (results [0].code, 404);
    assert_int_equal (catalog_store_last_number (fix->store), -1);
    orders [0] = s_order ("FishCo", "sell", 1, "b");
    assert_int_equal (catalog_store_apply_batch (fix->store, 0, 2, 0, orders, 1, results),
                      CATALOG_APPLIED);
    assert_int_equal (results [0].number, 0);
}

static void
s_assert_untouched (fixture_t *fix, int64_t last_number, int64_t epoch, int64_t fish_quantity)
{
    assert_int_equal (catalog_store_last_number (fix->store), last_number);
    assert_int_equal (catalog_store_epoch (fix->store), epoch);
    assert_int_equal (catalog_store_lookup (fix->store, "FishCo")->quantity, fish_quantity);
    catalog_trade_t trades [10];
    assert_int_equal (catalog_store_since (fix->store, 0, trades, 10), last_number + 1);
}

static void
test_batches_in_sequence_and_stale_epoch (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_order_t orders [] = { s_order ("FishCo", "buy", 10, "a") };
    catalog_result_t results [1];
    assert_int_equal (catalog_store_apply_batch (fix->store, 5, 1, 0, orders, 1, results),
                      CATALOG_APPLIED);
    //  A replay of the same batch (reply lost) and a gap are both refused.
    assert_int_equal (catalog_store_apply_batch (fix->store, 5, 1, 0, orders, 1, results),
                      CATALOG_REFUSED);
    assert_non_null (strstr (catalog_store_error (fix->store), "expected 2"));
    assert_int_equal (catalog_store_apply_batch (fix->store, 5, 3, 1, orders, 1, results),
                      CATALOG_REFUSED);
    s_assert_untouched (fix, 0, 5, 90);
    //  A stale leader (epoch 4) cannot apply a batch; the same epoch's next one can.
    assert_int_equal (catalog_store_apply_batch (fix->store, 4, 2, 1, orders, 1, results),
                      CATALOG_REFUSED);
    assert_non_null (strstr (catalog_store_error (fix->store), "stale epoch"));
    s_assert_untouched (fix, 0, 5, 90);
    orders [0] = s_order ("FishCo", "buy", 10, "b");
    assert_int_equal (catalog_store_apply_batch (fix->store, 5, 2, 1, orders, 1, results),
                      CATALOG_APPLIED);
    assert_string_equal (catalog_store_error (fix->store), "");
    s_assert_untouched (fix, 1, 5, 80);
    //  Pipelined: the leader sent batch 3 before it knew batch 2's numbers, so its
    //  number is below the next; the catalog numbers it.
    orders [0] = s_order ("FishCo", "buy", 10, "c");
    assert_int_equal (catalog_store_apply_batch (fix->store, 5, 3, 1, orders, 1, results),
                      CATALOG_APPLIED);
    assert_int_equal (results [0].number, 2);
    assert_int_equal (catalog_store_seq (fix->store), 3);
    //  A leader whose log holds more than the catalog (a lost catalog) is refused.
    orders [0] = s_order ("FishCo", "buy", 10, "d");
    assert_int_equal (catalog_store_apply_batch (fix->store, 5, 4, 9, orders, 1, results),
                      CATALOG_REFUSED);
    assert_non_null (strstr (catalog_store_error (fix->store), "only up to 2"));
    //  The sequence is durable, and a new epoch starts at batch 1 (its fence implied).
    s_reopen (fix);
    assert_int_equal (catalog_store_seq (fix->store), 3);
    assert_int_equal (catalog_store_apply_batch (fix->store, 5, 3, 3, orders, 1, results),
                      CATALOG_REFUSED);
    assert_int_equal (catalog_store_apply_batch (fix->store, 21, 2, 3, orders, 1, results),
                      CATALOG_REFUSED);
    assert_int_equal (catalog_store_apply_batch (fix->store, 21, 1, 3, orders, 1, results),
                      CATALOG_APPLIED);
    assert_int_equal (catalog_store_epoch (fix->store), 21);
    assert_int_equal (catalog_store_seq (fix->store), 1);
}

static void
test_survives_reopen_without_reimport (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_order_t orders [] = {
        s_order ("GameStart", "buy", 40, "x"), s_order ("BoarCo", "sell", 7, "y") };
    catalog_result_t results [2];
    assert_int_equal (catalog_store_apply_batch (fix->store, 3, 1, 0, orders, 2, results),
                      CATALOG_APPLIED);
    //  A CSV that changed (or went bad) after first start is never read again.
    s_write_file (fix->csv, "garbage\n");
    s_reopen (fix);
    assert_int_equal (catalog_store_lookup (fix->store, "GameStart")->quantity, 60);
    assert_int_equal (catalog_store_lookup (fix->store, "GameStart")->volume, 40);
    assert_int_equal (catalog_store_lookup (fix->store, "BoarCo")->quantity, 107);
    assert_int_equal (catalog_store_last_number (fix->store), 1);
    assert_int_equal (catalog_store_epoch (fix->store), 3);
    size_t count;
    catalog_store_list (fix->store, &count);
    assert_int_equal (count, 3);
    assert_int_equal (catalog_store_apply_batch (fix->store, 2, 1, 2, orders, 2, results),
                      CATALOG_REFUSED);
    orders [0] = s_order ("GameStart", "buy", 40, "x2");
    orders [1] = s_order ("BoarCo", "sell", 7, "y2");
    assert_int_equal (catalog_store_apply_batch (fix->store, 3, 2, 2, orders, 2, results),
                      CATALOG_APPLIED);
    assert_int_equal (results [0].number, 2);
}

static void
test_since (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_order_t orders [] = {
        s_order ("FishCo", "buy", 1, "a"), s_order ("FishCo", "buy", 0, "bad"),
        s_order ("BoarCo", "sell", 2, "b"), s_order ("GameStart", "buy", 3, "c") };
    catalog_result_t results [4];
    assert_int_equal (catalog_store_apply_batch (fix->store, 7, 1, 0, orders, 4, results),
                      CATALOG_APPLIED);
    catalog_trade_t trades [5];
    assert_int_equal (catalog_store_since (fix->store, 1, trades, 5), 2);
    assert_int_equal (trades [0].number, 1);
    assert_string_equal (trades [0].name, "BoarCo");
    assert_string_equal (trades [0].side, "sell");
    assert_int_equal (trades [0].quantity, 2);
    assert_string_equal (trades [0].key, "b");
    assert_int_equal (trades [0].epoch, 7);
    assert_int_equal (trades [1].number, 2);
    assert_string_equal (trades [1].key, "c");
    assert_int_equal (catalog_store_since (fix->store, 0, trades, 1), 1);
    assert_int_equal (trades [0].number, 0);
    assert_int_equal (catalog_store_since (fix->store, 3, trades, 5), 0);
    assert_int_equal (catalog_store_since (fix->store, 0, trades, 0), 0);
}

static void
test_empty_batch_records_epoch (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    assert_int_equal (catalog_store_apply_batch (fix->store, 9, 0, 0, NULL, 0, NULL),
                      CATALOG_APPLIED);
    assert_int_equal (catalog_store_epoch (fix->store), 9);
    s_reopen (fix);
    assert_int_equal (catalog_store_epoch (fix->store), 9);
    assert_int_equal (catalog_store_last_number (fix->store), -1);
}

//  A storage error mid-batch (forced by a trigger from a second connection) rolls back
//  the database and the memory copy alike.
//  A storage error on demand: inserting a trade with key "boom" fails. Returns the
//  connection that made the trigger (the caller closes it).
static sqlite3 *
s_add_boom (fixture_t *fix)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (fix->db, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, "CREATE TRIGGER boom BEFORE INSERT ON trades"
        " WHEN NEW.key = 'boom' BEGIN SELECT RAISE (ABORT, 'boom'); END", NULL, NULL, NULL),
        SQLITE_OK);
    return db;
}

static void
test_storage_error_changes_nothing (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    sqlite3 *db = s_add_boom (fix);
    catalog_order_t orders [] = {
        s_order ("FishCo", "buy", 10, "a"), s_order ("FishCo", "buy", 5, "boom") };
    catalog_result_t results [2];
    assert_int_equal (catalog_store_apply_batch (fix->store, 2, 1, 0, orders, 2, results),
                      CATALOG_FAILED);
    assert_non_null (strstr (catalog_store_error (fix->store), "boom"));
    s_assert_untouched (fix, -1, 0, 100);
    assert_int_equal (catalog_store_lookup (fix->store, "FishCo")->volume, 0);
    assert_int_equal (sqlite3_exec (db, "DROP TRIGGER boom", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);
    assert_int_equal (catalog_store_apply_batch (fix->store, 2, 1, 0, orders, 2, results),
                      CATALOG_APPLIED);
    s_reopen (fix);
    s_assert_untouched (fix, 1, 2, 85);
}


//  Group commit: batches between begin and commit are checked in sequence, as if each
//  had committed, and become durable together.
static void
test_group_commits_batches_together (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_order_t first [] = { s_order ("FishCo", "buy", 10, "a") };
    catalog_order_t second [] = { s_order ("FishCo", "buy", 5, "b"), s_order ("FishCo", "buy", 1, "a") };
    catalog_result_t results [2];
    assert_int_equal (catalog_store_begin (fix->store), CATALOG_APPLIED);
    assert_int_equal (catalog_store_apply_batch (fix->store, 3, 1, 0, first, 1, results),
                      CATALOG_APPLIED);
    assert_int_equal (results [0].number, 0);
    //  The second sees the first: its sequence is next, and key "a" is known.
    assert_int_equal (catalog_store_apply_batch (fix->store, 3, 2, 1, second, 2, results),
                      CATALOG_APPLIED);
    assert_int_equal (results [0].number, 1);
    assert_int_equal (results [1].code, 422);
    //  Out of sequence within the group: refused, the group goes on.
    assert_int_equal (catalog_store_apply_batch (fix->store, 3, 4, 2, first, 1, results),
                      CATALOG_REFUSED);
    assert_int_equal (catalog_store_seq (fix->store), 2);
    assert_int_equal (catalog_store_commit (fix->store), CATALOG_APPLIED);
    s_reopen (fix);
    s_assert_untouched (fix, 1, 3, 85);
    assert_int_equal (catalog_store_seq (fix->store), 2);
}

//  A storage error in one batch of a group undoes every batch of the group, memory
//  included, and fails the batches after it at once.
static void
test_group_fails_as_a_whole (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    sqlite3_close (s_add_boom (fix));
    catalog_order_t good [] = { s_order ("FishCo", "buy", 10, "a") };
    catalog_order_t bad [] = { s_order ("FishCo", "buy", 5, "boom") };
    catalog_order_t later [] = { s_order ("FishCo", "buy", 1, "c") };
    catalog_result_t results [1];
    assert_int_equal (catalog_store_begin (fix->store), CATALOG_APPLIED);
    assert_int_equal (catalog_store_apply_batch (fix->store, 2, 1, 0, good, 1, results),
                      CATALOG_APPLIED);
    assert_int_equal (catalog_store_apply_batch (fix->store, 2, 2, 1, bad, 1, results),
                      CATALOG_FAILED);
    assert_int_equal (catalog_store_apply_batch (fix->store, 2, 3, 1, later, 1, results),
                      CATALOG_FAILED);
    assert_int_equal (catalog_store_commit (fix->store), CATALOG_FAILED);
    s_assert_untouched (fix, -1, 0, 100);
    assert_int_equal (catalog_store_seq (fix->store), 0);
    //  The store goes on: the good batch alone applies.
    assert_int_equal (catalog_store_apply_batch (fix->store, 2, 1, 0, good, 1, results),
                      CATALOG_APPLIED);
    s_reopen (fix);
    s_assert_untouched (fix, 0, 2, 90);
}

//  A key that traded answers with its first number, whoever sends it and in whichever
//  batch: nothing is traded again, no number is used, no stock changes.
static void
test_known_key_returns_first_number (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_order_t orders [] = {
        s_order ("FishCo", "buy", 10, "k"), s_order ("FishCo", "buy", 10, "k"),
        s_order ("BoarCo", "sell", 1, "other") };
    catalog_result_t results [3];
    assert_int_equal (catalog_store_apply_batch (fix->store, 1, 1, 0, orders, 3, results),
                      CATALOG_APPLIED);
    assert_int_equal (results [0].code, 200);
    assert_false (results [0].known);
    assert_int_equal (results [0].number, 0);
    assert_int_equal (results [1].code, 200);          //  same key in the same batch
    assert_true (results [1].known);
    assert_int_equal (results [1].number, 0);
    assert_int_equal (results [2].number, 1);          //  no number was skipped
    //  A later batch at a newer epoch (another leader) resends the key.
    assert_int_equal (catalog_store_apply_batch (fix->store, 2, 1, 2, orders, 1, results),
                      CATALOG_APPLIED);
    assert_true (results [0].known);
    assert_int_equal (results [0].number, 0);
    s_assert_untouched (fix, 1, 2, 90);
    s_reopen (fix);                                     //  remembered across restarts
    assert_int_equal (catalog_store_apply_batch (fix->store, 2, 2, 2, orders, 1, results),
                      CATALOG_APPLIED);
    assert_true (results [0].known);
    assert_int_equal (results [0].number, 0);
    s_assert_untouched (fix, 1, 2, 90);
}

//  The same key with another name, side or quantity is refused (422), even when the
//  stock could not serve it anyway, and changes nothing.
static void
test_key_reused_for_another_order (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_order_t first [] = { s_order ("FishCo", "buy", 10, "k") };
    catalog_result_t results [4];
    assert_int_equal (catalog_store_apply_batch (fix->store, 1, 1, 0, first, 1, results),
                      CATALOG_APPLIED);
    catalog_order_t others [] = {
        s_order ("BoarCo", "buy", 10, "k"), s_order ("FishCo", "sell", 10, "k"),
        s_order ("FishCo", "buy", 11, "k"), s_order ("NoSuchCo", "buy", 1000, "k") };
    assert_int_equal (catalog_store_apply_batch (fix->store, 1, 2, 1, others, 4, results),
                      CATALOG_APPLIED);
    for (int i = 0; i < 4; i++) {
        assert_int_equal (results [i].code, 422);
        assert_string_equal (results [i].message,
                             "idempotency key reused for a different order");
    }
    s_assert_untouched (fix, 0, 1, 90);
    assert_int_equal (catalog_store_lookup (fix->store, "BoarCo")->quantity, 100);
}

//  A database made before keys were unique gets its UNIQUE index when opened; one
//  that already holds a key twice is refused rather than served.
static void
test_migration_adds_unique_key (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_store_destroy (&fix->store);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (fix->db, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, "DROP INDEX trades_key;"
        "INSERT INTO trades VALUES (0, 'FishCo', 'buy', 1, 'a', 1);"
        "INSERT INTO trades VALUES (1, 'FishCo', 'buy', 1, 'a', 1);", NULL, NULL, NULL),
        SQLITE_OK);
    assert_null (catalog_store_new (fix->db, fix->csv));
    assert_int_equal (sqlite3_exec (db, "DELETE FROM trades WHERE number = 1", NULL, NULL, NULL),
                      SQLITE_OK);
    sqlite3_close (db);
    fix->store = catalog_store_new (fix->db, fix->csv);
    assert_non_null (fix->store);
    catalog_order_t orders [] = { s_order ("FishCo", "buy", 1, "a") };
    catalog_result_t results [1];
    assert_int_equal (catalog_store_apply_batch (fix->store, 1, 1, 1, orders, 1, results),
                      CATALOG_APPLIED);
    assert_true (results [0].known);
    assert_int_equal (results [0].number, 0);
    assert_int_equal (catalog_store_last_number (fix->store), 0);
}

//  An empty batch fences: its number does not matter, a lower epoch is refused.
static void
test_fence_ignores_number (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    catalog_order_t orders [] = { s_order ("FishCo", "buy", 1, "a") };
    catalog_result_t results [1];
    assert_int_equal (catalog_store_apply_batch (fix->store, 3, 1, 0, orders, 1, results),
                      CATALOG_APPLIED);
    assert_int_equal (catalog_store_apply_batch (fix->store, 7, 0, 42, NULL, 0, NULL),
                      CATALOG_APPLIED);
    assert_int_equal (catalog_store_epoch (fix->store), 7);
    assert_int_equal (catalog_store_apply_batch (fix->store, 6, 0, 1, NULL, 0, NULL),
                      CATALOG_REFUSED);
    assert_non_null (strstr (catalog_store_error (fix->store), "stale epoch"));
    //  The fenced-out leader's batch is refused, the fencing leader's applied.
    assert_int_equal (catalog_store_apply_batch (fix->store, 3, 2, 1, orders, 1, results),
                      CATALOG_REFUSED);
    orders [0] = s_order ("FishCo", "buy", 1, "b");
    assert_int_equal (catalog_store_apply_batch (fix->store, 7, 1, 1, orders, 1, results),
                      CATALOG_APPLIED);
    //  The leader fencing again at its own epoch learns its last batch; nothing changes.
    assert_int_equal (catalog_store_apply_batch (fix->store, 7, 0, 0, NULL, 0, NULL),
                      CATALOG_APPLIED);
    assert_int_equal (catalog_store_seq (fix->store), 1);
    s_reopen (fix);
    assert_int_equal (catalog_store_epoch (fix->store), 7);
    s_assert_untouched (fix, 1, 7, 98);
}

//  Each bad CSV makes new() fail on a fresh database.
static void
test_rejects_bad_csv (void **state)
{
    fixture_t *fix = (fixture_t *) *state;
    const char *bad [] = {
        "",                                     //  no header
        "name,price\n",                         //  no stock
        "price,name\nFishCo,1\n",               //  wrong header
        "name,price\nFish Co,1.5\n",            //  space in name
        "name,price\nFishCo,0\n",               //  zero price
        "name,price\nFishCo,-1\n",              //  negative price
        "name,price\nFishCo,inf\n",             //  not a number
        "name,price\nFishCo,1.5x\n",            //  trailing junk
        "name,price\nFishCo\n",                 //  no price
        "name,price\nFishCo,1\nFishCo,2\n",     //  duplicate
        "name,price\n,1\n",                     //  empty name
        "name,price\nFishCo,1\n\n",             //  blank line
        "name,price\n..,1\n",                   //  a name the frontend can never ask for
        "name,price\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,1\n",
    };
    char db [160];
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        snprintf (db, sizeof db, "%s/bad%zu.db", fix->dir, i);
        s_write_file (fix->csv, bad [i]);
        catalog_store_t *store = catalog_store_new (db, fix->csv);
        if (store)
            fail_msg ("CSV %zu was accepted", i);
    }
    snprintf (db, sizeof db, "%s/missing.db", fix->dir);
    assert_null (catalog_store_new (db, "/nonexistent/catalog.csv"));
    assert_null (catalog_store_new (db, NULL));
    //  CRLF line ends and a 64-character name are fine.
    s_write_file (fix->csv, "name,price\r\nA.b-C_9,1.5\r\n"
                  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA,2\r\n");
    snprintf (db, sizeof db, "%s/good.db", fix->dir);
    catalog_store_t *store = catalog_store_new (db, fix->csv);
    assert_non_null (store);
    assert_non_null (catalog_store_lookup (store, "A.b-C_9"));
    catalog_store_destroy (&store);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_first_start_loads_csv, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_list_in_name_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_batch_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_batch_with_no_success_takes_no_number,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_batches_in_sequence_and_stale_epoch,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_survives_reopen_without_reimport,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_since, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_empty_batch_records_epoch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_storage_error_changes_nothing,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rejects_bad_csv, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_known_key_returns_first_number, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_key_reused_for_another_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_migration_adds_unique_key, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fence_ignores_number, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_group_commits_batches_together, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_group_fails_as_a_whole, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
