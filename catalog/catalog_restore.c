/*  catalog_restore: reads the order replicas' logs (SQLite, read-only) to tell whether the
    catalog's book is whole, and rebuilds it from them. See docs/catalog.md, "A lost catalog".  */
#include <sqlite3.h>
#include <unistd.h>
#include <errno.h>
#include "catalog_restore.h"
#include "catalog_store.h"

//  One replica log's orders, dense from 0.
typedef struct {
    catalog_order_t *orders;
    size_t count;
} log_copy_t;

static sqlite3 *
s_open_log (bz_config_t *config, int id)
{
    char file [32];
    snprintf (file, sizeof file, "order%d.db", id);
    char path [1024];
    snprintf (path, sizeof path, "%s", bz_config_path (config, file));
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    return db;
}

static int64_t
s_scalar (sqlite3 *db, const char *sql, int64_t fallback, bool *ok)
{
    sqlite3_stmt *stmt = NULL;
    int64_t value = fallback;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
        value = sqlite3_column_int64 (stmt, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        *ok = false;
    sqlite3_finalize (stmt);
    return value;
}

void
catalog_restore_scan (bz_config_t *config, catalog_replicas_t *info)
{
    assert (config && info);
    *info = (catalog_replicas_t) { .last = -1 };
    info->replicas = (int) bz_config_int (config, "order_replicas");
    for (int id = 1; id <= info->replicas && id <= BZ_REPLICAS_MAX; id++) {
        sqlite3 *db = s_open_log (config, id);
        if (!db)
            continue;
        bool ok = true;
        int64_t last = s_scalar (db, "SELECT MAX(number) FROM orders", -1, &ok);
        int64_t epoch = s_scalar (db, "SELECT value FROM meta WHERE key = 'epoch'", 0, &ok);
        sqlite3_close (db);
        if (!ok)
            continue;
        info->readable++;
        if (last > info->last)
            info->last = last;
        if (epoch > info->epoch)
            info->epoch = epoch;
    }
}

int
catalog_restore_check (bz_config_t *config, bool db_exists, int64_t last_number,
                       char *why, size_t why_size)
{
    assert (config && why);
    catalog_replicas_t info;
    catalog_restore_scan (config, &info);
    if (info.last < 0 || (db_exists && last_number >= info.last))
        return 0;
    if (!db_exists)
        snprintf (why, why_size, "catalog.db is missing but the replica logs hold orders "
                  "0..%" PRId64 ": importing the CSV would reset the book", info.last);
    else
        snprintf (why, why_size, "catalog.db is behind the replica logs (its last trade is "
                  "%" PRId64 ", they hold orders 0..%" PRId64 ")", last_number, info.last);
    return -1;
}

//  Reads one log's orders; false if it cannot be read or is not dense from 0.
static bool
s_read_log (sqlite3 *db, log_copy_t *copy)
{
    bool ok = true;
    int64_t count = s_scalar (db, "SELECT COUNT(*) FROM orders", 0, &ok);
    if (!ok || count < 0)
        return false;
    copy->orders = (catalog_order_t *) zmalloc ((size_t) (count + 1) * sizeof (catalog_order_t));
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT number, name, side, quantity, key FROM orders"
                                " ORDER BY number", -1, &stmt, NULL) != SQLITE_OK)
        return false;
    int rc;
    while (ok && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *name = (const char *) sqlite3_column_text (stmt, 1);
        const char *side = (const char *) sqlite3_column_text (stmt, 2);
        const char *key = (const char *) sqlite3_column_text (stmt, 4);
        ok = copy->count < (size_t) count
          && sqlite3_column_int64 (stmt, 0) == (int64_t) copy->count
          && name && side && key;
        if (ok) {
            catalog_order_t *order = &copy->orders [copy->count++];
            snprintf (order->name, sizeof order->name, "%s", name);
            snprintf (order->side, sizeof order->side, "%s", side);
            order->quantity = sqlite3_column_int64 (stmt, 3);
            snprintf (order->key, sizeof order->key, "%s", key);
        }
    }
    sqlite3_finalize (stmt);
    return ok && rc == SQLITE_DONE;
}

static bool
s_same_order (const catalog_order_t *a, const catalog_order_t *b)
{
    return streq (a->name, b->name) && streq (a->side, b->side)
        && a->quantity == b->quantity && streq (a->key, b->key);
}

//  Reads every replica log into logs; returns the index of the longest, or -1 (logged)
//  without a readable majority or when two logs disagree on an order they share.
static int
s_read_logs (bz_config_t *config, log_copy_t *logs, int replicas)
{
    int readable = 0, longest = -1;
    for (int id = 1; id <= replicas; id++) {
        sqlite3 *db = s_open_log (config, id);
        bool ok = db && s_read_log (db, &logs [id]);
        sqlite3_close (db);
        if (!ok) {
            zsys_warning ("catalog restore: cannot read order%d.db (or it has a gap)", id);
            free (logs [id].orders);
            logs [id] = (log_copy_t) { 0 };
            continue;
        }
        readable++;
        if (longest < 0 || logs [id].count > logs [longest].count)
            longest = id;
    }
    if (readable < replicas / 2 + 1) {
        zsys_error ("catalog restore: %d of %d replica logs readable; a majority is needed",
                    readable, replicas);
        return -1;
    }
    for (int id = 1; id <= replicas; id++)
        for (size_t i = 0; logs [id].orders && i < logs [id].count; i++)
            if (!s_same_order (&logs [id].orders [i], &logs [longest].orders [i])) {
                zsys_error ("catalog restore: order%d.db and order%d.db disagree on order %zu",
                            id, longest, i);
                return -1;
            }
    return longest;
}

//  Builds the new book at path from the CSV and the orders, each with its own number.
static int
s_build (const char *path, const char *csv_path, const log_copy_t *log, int64_t epoch)
{
    catalog_store_t *store = catalog_store_new (path, csv_path);
    if (!store)
        return -1;
    catalog_result_t *results = (catalog_result_t *)
        zmalloc (CATALOG_BATCH_MAX * sizeof (catalog_result_t));
    int rc = 0;
    for (size_t first = 0; rc == 0 && first < log->count; first += CATALOG_BATCH_MAX) {
        size_t count = log->count - first < CATALOG_BATCH_MAX? log->count - first: CATALOG_BATCH_MAX;
        int64_t seq = (int64_t) (first / CATALOG_BATCH_MAX + 1);
        rc = catalog_store_apply_batch (store, epoch, seq, (int64_t) first, log->orders + first,
                                        count, results) == CATALOG_APPLIED? 0: -1;
        for (size_t i = 0; rc == 0 && i < count; i++)
            if (results [i].code != 200 || results [i].known
            ||  results [i].number != (int64_t) (first + i)) {
                zsys_error ("catalog restore: order %zu does not apply to the book (%d %s)",
                            first + i, results [i].code, results [i].message);
                rc = -1;
            }
    }
    if (rc == 0 && catalog_store_apply_batch (store, epoch, 0, 0, NULL, 0, NULL) != CATALOG_APPLIED)
        rc = -1;
    free (results);
    catalog_store_destroy (&store);
    return rc;
}

static const char *s_db_parts [] = { "-wal", "-shm", "" };   //  the database itself last

//  Moves the database at path and its -wal and -shm files aside, to path + suffix (+ the
//  same endings). Returns 0, or -1 (logged) when one of them exists and cannot be moved:
//  then those already moved go back, so a database never ends up beside another one's
//  WAL, which SQLite would apply to it.
static int
s_move_aside (const char *path, const char *suffix)
{
    char from [3][1100], to [3][1200];
    int moved = 0;
    for (; moved < 3; moved++) {
        snprintf (from [moved], sizeof from [moved], "%s%s", path, s_db_parts [moved]);
        snprintf (to [moved], sizeof to [moved], "%s%s%s", path, suffix, s_db_parts [moved]);
        if (access (from [moved], F_OK) == 0 && rename (from [moved], to [moved])) {
            zsys_error ("catalog restore: cannot move %s aside: %s", from [moved], strerror (errno));
            break;
        }
    }
    if (moved == 3)
        return 0;
    while (moved-- > 0)
        if (access (to [moved], F_OK) == 0 && rename (to [moved], from [moved]))
            zsys_error ("catalog restore: cannot move %s back: %s", to [moved], strerror (errno));
    return -1;
}

//  Removes the database at path and its -wal and -shm files.
static void
s_remove_db (const char *path)
{
    for (int i = 0; i < 3; i++) {
        char file [1100];
        snprintf (file, sizeof file, "%s%s", path, s_db_parts [i]);
        remove (file);
    }
}

int
catalog_restore (bz_config_t *config, const char *db_path, const char *csv_path)
{
    assert (config && db_path);
    int replicas = (int) bz_config_int (config, "order_replicas");
    if (replicas < 1 || replicas > BZ_REPLICAS_MAX)
        return -1;
    log_copy_t logs [BZ_REPLICAS_MAX + 1] = { { 0 } };
    catalog_replicas_t info;
    catalog_restore_scan (config, &info);
    int longest = s_read_logs (config, logs, replicas);
    char building [1100];
    snprintf (building, sizeof building, "%s.restoring", db_path);
    s_remove_db (building);
    int rc = longest > 0? s_build (building, csv_path, &logs [longest], info.epoch): -1;
    if (rc == 0) {
        //  The present database is kept aside, never overwritten: if it cannot be moved,
        //  nothing changes.
        char aside [64];
        snprintf (aside, sizeof aside, ".lost-%lld", (long long) time (NULL));
        if (s_move_aside (db_path, aside))
            rc = -1;
        else
        if (rename (building, db_path)) {
            zsys_error ("catalog restore: cannot move %s to %s: %s", building, db_path, strerror (errno));
            rc = -1;
        }
        else
            zsys_info ("catalog restore: %s rebuilt with %zu orders from order%d.db, epoch %" PRId64,
                       db_path, logs [longest].count, longest, info.epoch);
    }
    if (rc != 0)
        s_remove_db (building);
    for (int id = 1; id <= replicas; id++)
        free (logs [id].orders);
    return rc;
}
