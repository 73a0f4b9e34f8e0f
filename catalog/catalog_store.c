/*  catalog_store: the stock book in SQLite plus a sorted in-memory copy for lookups.
    Memory changes during a batch, or a group of batches, are undone from a backup unless
    the transaction commits.  */
#include <sqlite3.h>
#include <math.h>
#include "catalog_store.h"
#include "bz_order.h"

#define INITIAL_QUANTITY    100
#define CSV_LINE_MAX        256

struct _catalog_store_t {
    sqlite3 *db;
    catalog_stock_t *stocks;        //  sorted by name (strcmp = SQLite BINARY order)
    catalog_stock_t *backup;        //  stocks as they were before the open transaction
    size_t count;
    int64_t last_number;            //  -1 when no trade was applied
    int64_t epoch;                  //  highest epoch seen
    int64_t seq;                    //  the last batch applied at that epoch (0: none yet)
    int64_t saved [3];              //  last_number, epoch, seq before the open transaction
    bool grouped;                   //  between begin() and commit()
    bool group_failed;              //  a batch of the open group failed: all of it undone
    sqlite3_stmt *begin, *commit, *rollback;
    sqlite3_stmt *update_stock, *insert_trade, *set_epoch, *set_seq, *select_since, *find_key;
    char error [256];
};

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS stocks ("
    "  name TEXT PRIMARY KEY, price REAL NOT NULL,"
    "  quantity INTEGER NOT NULL, volume INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS trades ("
    "  number INTEGER PRIMARY KEY, name TEXT NOT NULL, side TEXT NOT NULL,"
    "  quantity INTEGER NOT NULL, key TEXT NOT NULL, epoch INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);";

//  An idempotency key trades at most once. Also the migration of a database made before
//  keys were unique: if one already holds a key twice, the store refuses to open.
static const char *s_unique_key =
    "CREATE UNIQUE INDEX IF NOT EXISTS trades_key ON trades (key)";

static int s_open_db (catalog_store_t *self, const char *db_path);
static int s_prepare_all (catalog_store_t *self);
static int s_stock_count (catalog_store_t *self, int64_t *count);
static int s_import_csv (catalog_store_t *self, const char *csv_path);
static int s_load_memory (catalog_store_t *self);
static int s_load_meta (catalog_store_t *self);

//  --------------------------------------------------------------------------
//  Lifecycle

catalog_store_t *
catalog_store_new (const char *db_path, const char *csv_path)
{
    assert (db_path);
    catalog_store_t *self = (catalog_store_t *) zmalloc (sizeof (catalog_store_t));
    self->last_number = -1;
    int64_t stocks = 0;
    if (s_open_db (self, db_path)
    ||  s_prepare_all (self)
    ||  s_stock_count (self, &stocks)
    ||  (stocks == 0 && s_import_csv (self, csv_path))
    ||  s_load_memory (self)
    ||  s_load_meta (self)) {
        zsys_error ("catalog store %s: %s", db_path, self->error);
        catalog_store_destroy (&self);
    }
    return self;
}

void
catalog_store_destroy (catalog_store_t **self_p)
{
    assert (self_p);
    catalog_store_t *self = *self_p;
    if (!self)
        return;
    sqlite3_stmt *statements [] = { self->begin, self->commit, self->rollback,
        self->update_stock, self->insert_trade, self->set_epoch, self->set_seq, self->select_since,
        self->find_key };
    for (size_t i = 0; i < sizeof statements / sizeof statements [0]; i++)
        sqlite3_finalize (statements [i]);
    sqlite3_close (self->db);
    free (self->stocks);
    free (self->backup);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  SQLite helpers: each records the reason of a failure in self->error.

static int
s_fail (catalog_store_t *self, const char *what)
{
    snprintf (self->error, sizeof self->error, "%s: %s", what,
              self->db? sqlite3_errmsg (self->db): "out of memory");
    return -1;
}

static int
s_exec (catalog_store_t *self, const char *sql)
{
    return sqlite3_exec (self->db, sql, NULL, NULL, NULL) == SQLITE_OK? 0: s_fail (self, sql);
}

//  Runs a statement that returns no rows, then resets it for the next use.
static int
s_step_done (catalog_store_t *self, sqlite3_stmt *stmt)
{
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    return rc == SQLITE_DONE? 0: s_fail (self, sqlite3_sql (stmt));
}

static int
s_prepare (catalog_store_t *self, sqlite3_stmt **stmt, const char *sql)
{
    if (sqlite3_prepare_v2 (self->db, sql, -1, stmt, NULL) != SQLITE_OK)
        return s_fail (self, sql);
    return 0;
}

//  Synchronous FULL in WAL mode: every commit is fsync'd before the batch is answered.
static int
s_open_db (catalog_store_t *self, const char *db_path)
{
    if (sqlite3_open_v2 (db_path, &self->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        return s_fail (self, "cannot open database");
    sqlite3_busy_timeout (self->db, 5000);
    if (s_exec (self, "PRAGMA journal_mode=WAL")
    ||  s_exec (self, "PRAGMA synchronous=FULL")
    ||  s_exec (self, s_schema))
        return -1;
    if (sqlite3_exec (self->db, s_unique_key, NULL, NULL, NULL) != SQLITE_OK)
        return s_fail (self, "trades hold an idempotency key twice (UNIQUE(key) failed)");
    return 0;
}

static int
s_prepare_all (catalog_store_t *self)
{
    return s_prepare (self, &self->begin, "BEGIN IMMEDIATE")
        || s_prepare (self, &self->commit, "COMMIT")
        || s_prepare (self, &self->rollback, "ROLLBACK")
        || s_prepare (self, &self->update_stock,
                      "UPDATE stocks SET quantity = ?1, volume = ?2 WHERE name = ?3")
        || s_prepare (self, &self->insert_trade,
                      "INSERT INTO trades (number, name, side, quantity, key, epoch)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        || s_prepare (self, &self->set_epoch,
                      "INSERT OR REPLACE INTO meta (key, value) VALUES ('epoch', ?1)")
        || s_prepare (self, &self->set_seq,
                      "INSERT OR REPLACE INTO meta (key, value) VALUES ('seq', ?1)")
        || s_prepare (self, &self->select_since,
                      "SELECT number, name, side, quantity, key, epoch FROM trades"
                      " WHERE number >= ?1 ORDER BY number LIMIT ?2")
        || s_prepare (self, &self->find_key,
                      "SELECT number, name, side, quantity FROM trades WHERE key = ?1")? -1: 0;
}

//  Runs a query returning one integer (NULL reads as fallback) into *value.
static int
s_query_int (catalog_store_t *self, const char *sql, int64_t fallback, int64_t *value)
{
    sqlite3_stmt *stmt = NULL;
    if (s_prepare (self, &stmt, sql))
        return -1;
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_type (stmt, 0) == SQLITE_NULL?
                 fallback: sqlite3_column_int64 (stmt, 0);
    else
    if (rc == SQLITE_DONE)
        *value = fallback;
    else
        s_fail (self, sql);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE? 0: -1;
}

static int
s_stock_count (catalog_store_t *self, int64_t *count)
{
    return s_query_int (self, "SELECT COUNT(*) FROM stocks", 0, count);
}

static int
s_load_meta (catalog_store_t *self)
{
    return s_query_int (self, "SELECT MAX(number) FROM trades", -1, &self->last_number)
        || s_query_int (self, "SELECT value FROM meta WHERE key = 'epoch'", 0, &self->epoch)
        || s_query_int (self, "SELECT value FROM meta WHERE key = 'seq'", 0, &self->seq);
}

//  --------------------------------------------------------------------------
//  Memory copy

static int
s_compare_stocks (const void *a, const void *b)
{
    return strcmp (((const catalog_stock_t *) a)->name, ((const catalog_stock_t *) b)->name);
}

static int
s_read_stock_row (catalog_store_t *self, sqlite3_stmt *stmt, catalog_stock_t *stock)
{
    const char *name = (const char *) sqlite3_column_text (stmt, 0);
    if (!name || strlen (name) > BZ_NAME_MAX) {
        snprintf (self->error, sizeof self->error, "stocks table holds an invalid name");
        return -1;
    }
    strcpy (stock->name, name);
    stock->price = sqlite3_column_double (stmt, 1);
    stock->quantity = sqlite3_column_int64 (stmt, 2);
    stock->volume = sqlite3_column_int64 (stmt, 3);
    return 0;
}

//  Reads every stock into memory; the sort makes lookups a binary search.
static int
s_load_memory (catalog_store_t *self)
{
    self->stocks = (catalog_stock_t *) zmalloc (CATALOG_STOCKS_MAX * sizeof (catalog_stock_t));
    self->backup = (catalog_stock_t *) zmalloc (CATALOG_STOCKS_MAX * sizeof (catalog_stock_t));
    sqlite3_stmt *stmt = NULL;
    if (s_prepare (self, &stmt, "SELECT name, price, quantity, volume FROM stocks"))
        return -1;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        if (self->count == CATALOG_STOCKS_MAX) {
            snprintf (self->error, sizeof self->error, "more than %d stocks", CATALOG_STOCKS_MAX);
            break;
        }
        if (s_read_stock_row (self, stmt, &self->stocks [self->count++]))
            break;
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE)
        return *self->error? -1: s_fail (self, "cannot read stocks");
    qsort (self->stocks, self->count, sizeof (catalog_stock_t), s_compare_stocks);
    return 0;
}

static catalog_stock_t *
s_find (catalog_store_t *self, const char *name)
{
    catalog_stock_t probe;
    if (strlen (name) > BZ_NAME_MAX)
        return NULL;
    strcpy (probe.name, name);
    return (catalog_stock_t *) bsearch (&probe, self->stocks, self->count,
                                        sizeof (catalog_stock_t), s_compare_stocks);
}

const catalog_stock_t *
catalog_store_lookup (catalog_store_t *self, const char *name)
{
    assert (self && name);
    return s_find (self, name);
}

const catalog_stock_t *
catalog_store_list (catalog_store_t *self, size_t *count_p)
{
    assert (self && count_p);
    *count_p = self->count;
    return self->stocks;
}

int64_t
catalog_store_last_number (catalog_store_t *self)
{
    assert (self);
    return self->last_number;
}

int64_t
catalog_store_epoch (catalog_store_t *self)
{
    assert (self);
    return self->epoch;
}

int64_t
catalog_store_seq (catalog_store_t *self)
{
    assert (self);
    return self->seq;
}

const char *
catalog_store_error (catalog_store_t *self)
{
    assert (self);
    return self->error;
}

//  --------------------------------------------------------------------------
//  First start: the CSV import. Strict, so a typo never becomes a tradable stock.

//  A price is digits with an optional fraction ("15.99"): no sign, exponent or spaces.
static bool
s_parse_price (const char *text, double *price)
{
    size_t digits = strspn (text, "0123456789");
    if (digits == 0)
        return false;
    if (text [digits] == '.') {
        size_t fraction = strspn (text + digits + 1, "0123456789");
        if (fraction == 0 || text [digits + 1 + fraction])
            return false;
    }
    else
    if (text [digits])
        return false;
    *price = strtod (text, NULL);
    return isfinite (*price) && *price > 0;
}

//  Parses one "name,price" line (newline already removed) into stock.
static int
s_parse_csv_line (catalog_store_t *self, char *line, size_t line_no, catalog_stock_t *stock)
{
    char *comma = strchr (line, ',');
    if (!comma) {
        snprintf (self->error, sizeof self->error, "CSV line %zu: expected name,price", line_no);
        return -1;
    }
    *comma = 0;
    if (!bz_stock_name_valid (line, strlen (line))) {
        snprintf (self->error, sizeof self->error,
                  "CSV line %zu: name must be 1..%d of [A-Za-z0-9._-], not . or ..", line_no, BZ_NAME_MAX);
        return -1;
    }
    if (!s_parse_price (comma + 1, &stock->price)) {
        snprintf (self->error, sizeof self->error,
                  "CSV line %zu: price must be a positive decimal number", line_no);
        return -1;
    }
    strcpy (stock->name, line);
    stock->quantity = INITIAL_QUANTITY;
    stock->volume = 0;
    return 0;
}

//  Reads one line into buffer without its line end. Returns 1 for a line, 0 at the end
//  of the file, -1 (error set) for a line too long.
static int
s_read_line (catalog_store_t *self, FILE *file, char *buffer, size_t line_no)
{
    if (!fgets (buffer, CSV_LINE_MAX, file))
        return 0;
    size_t length = strlen (buffer);
    if (length > 0 && buffer [length - 1] == '\n')
        buffer [--length] = 0;
    else
    if (!feof (file)) {
        snprintf (self->error, sizeof self->error, "CSV line %zu is too long", line_no);
        return -1;
    }
    if (length > 0 && buffer [length - 1] == '\r')
        buffer [--length] = 0;
    return 1;
}

//  Reads and validates the whole file into stocks (sorted); returns the count or -1.
static int
s_read_csv (catalog_store_t *self, FILE *file, catalog_stock_t *stocks)
{
    char line [CSV_LINE_MAX];
    size_t line_no = 1, count = 0;
    int rc = s_read_line (self, file, line, line_no);
    if (rc < 0)
        return -1;
    if (rc == 0 || strneq (line, "name,price")) {
        snprintf (self->error, sizeof self->error, "CSV header must be name,price");
        return -1;
    }
    while ((rc = s_read_line (self, file, line, ++line_no)) == 1) {
        if (count == CATALOG_STOCKS_MAX) {
            snprintf (self->error, sizeof self->error, "CSV has more than %d stocks",
                      CATALOG_STOCKS_MAX);
            return -1;
        }
        if (s_parse_csv_line (self, line, line_no, &stocks [count++]))
            return -1;
    }
    if (rc < 0)
        return -1;
    qsort (stocks, count, sizeof (catalog_stock_t), s_compare_stocks);
    for (size_t i = 1; i < count; i++)
        if (streq (stocks [i - 1].name, stocks [i].name)) {
            snprintf (self->error, sizeof self->error, "CSV lists %s twice", stocks [i].name);
            return -1;
        }
    if (count == 0)
        snprintf (self->error, sizeof self->error, "CSV lists no stock");
    return count > 0? (int) count: -1;
}

static int
s_insert_stocks (catalog_store_t *self, const catalog_stock_t *stocks, int count)
{
    sqlite3_stmt *insert = NULL;
    if (s_prepare (self, &insert, "INSERT INTO stocks (name, price, quantity, volume)"
                                  " VALUES (?1, ?2, ?3, ?4)"))
        return -1;
    int rc = s_exec (self, "BEGIN IMMEDIATE");
    for (int i = 0; i < count && rc == 0; i++) {
        sqlite3_bind_text (insert, 1, stocks [i].name, -1, SQLITE_STATIC);
        sqlite3_bind_double (insert, 2, stocks [i].price);
        sqlite3_bind_int64 (insert, 3, stocks [i].quantity);
        sqlite3_bind_int64 (insert, 4, stocks [i].volume);
        rc = s_step_done (self, insert);
    }
    sqlite3_finalize (insert);
    if (rc == 0)
        rc = s_exec (self, "COMMIT");
    if (rc && !sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int
s_import_csv (catalog_store_t *self, const char *csv_path)
{
    FILE *file = csv_path? fopen (csv_path, "r"): NULL;
    if (!file) {
        snprintf (self->error, sizeof self->error, "no stocks yet and cannot read CSV %s",
                  csv_path? csv_path: "(none given)");
        return -1;
    }
    catalog_stock_t *stocks = (catalog_stock_t *)
        zmalloc (CATALOG_STOCKS_MAX * sizeof (catalog_stock_t));
    int count = s_read_csv (self, file, stocks);
    fclose (file);
    int rc = count > 0? s_insert_stocks (self, stocks, count): -1;
    free (stocks);
    if (rc == 0)
        zsys_info ("catalog store: loaded %d stocks from %s", count, csv_path);
    return rc;
}

//  --------------------------------------------------------------------------
//  Batches

static void
s_reject (catalog_result_t *result, int code, const char *message)
{
    *result = (catalog_result_t) { .code = code, .number = -1, .message = message };
}

//  Looks the order's key up among the recorded trades (the open transaction's included).
//  Returns 1 when the key traded before, with result set: the original number (known)
//  when it was the same order, 422 when it was another; 0 for a new key; -1 on a
//  storage error.
static int
s_check_key (catalog_store_t *self, const catalog_order_t *order, catalog_result_t *result)
{
    sqlite3_bind_text (self->find_key, 1, order->key, -1, SQLITE_STATIC);
    int rc = sqlite3_step (self->find_key);
    if (rc == SQLITE_ROW) {
        const char *name = (const char *) sqlite3_column_text (self->find_key, 1);
        const char *side = (const char *) sqlite3_column_text (self->find_key, 2);
        bool same = name && side && streq (name, order->name) && streq (side, order->side)
                 && sqlite3_column_int64 (self->find_key, 3) == order->quantity;
        if (same)
            *result = (catalog_result_t) { .code = 200, .known = true, .message = "",
                .number = sqlite3_column_int64 (self->find_key, 0) };
        else
            s_reject (result, 422, "idempotency key reused for a different order");
    }
    else
    if (rc != SQLITE_DONE)
        s_fail (self, "cannot look up a key");
    sqlite3_reset (self->find_key);
    sqlite3_clear_bindings (self->find_key);
    return rc == SQLITE_ROW? 1: rc == SQLITE_DONE? 0: -1;
}

//  Checks one order against its key and the book; returns its stock when it is to be
//  traded now, or NULL with result set (rejected, or traded before). Sets *failed on a
//  storage error.
static catalog_stock_t *
s_check_order (catalog_store_t *self, const catalog_order_t *order, catalog_result_t *result,
               bool *failed)
{
    catalog_stock_t *stock = NULL;
    bool buy = streq (order->side, "buy");
    int known = 0;
    if (!bz_order_side_valid (order->side))
        s_reject (result, 400, "side must be buy or sell");
    else
    if (!bz_order_quantity_valid (order->quantity))
        s_reject (result, 400, "quantity must be 1.." BZ_STR (BZ_QUANTITY_MAX));
    else
    if ((known = s_check_key (self, order, result)) != 0)
        *failed = known < 0;
    else
    if (!(stock = s_find (self, order->name)))
        s_reject (result, 404, "unknown stock");
    else
    if (buy && stock->quantity < order->quantity) {
        s_reject (result, 409, "not enough shares");
        stock = NULL;
    }
    return stock;
}

static int
s_write_trade (catalog_store_t *self, int64_t epoch, int64_t number,
               const catalog_order_t *order, const catalog_stock_t *stock)
{
    sqlite3_bind_int64 (self->update_stock, 1, stock->quantity);
    sqlite3_bind_int64 (self->update_stock, 2, stock->volume);
    sqlite3_bind_text (self->update_stock, 3, stock->name, -1, SQLITE_STATIC);
    if (s_step_done (self, self->update_stock))
        return -1;
    sqlite3_bind_int64 (self->insert_trade, 1, number);
    sqlite3_bind_text (self->insert_trade, 2, stock->name, -1, SQLITE_STATIC);
    sqlite3_bind_text (self->insert_trade, 3, order->side, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (self->insert_trade, 4, order->quantity);
    sqlite3_bind_text (self->insert_trade, 5, order->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (self->insert_trade, 6, epoch);
    return s_step_done (self, self->insert_trade);
}

//  Applies one order to memory and the open transaction; *next is the number to give.
static int
s_apply_order (catalog_store_t *self, int64_t epoch, const catalog_order_t *order,
               catalog_result_t *result, int64_t *next)
{
    bool failed = false;
    catalog_stock_t *stock = s_check_order (self, order, result, &failed);
    if (!stock)
        return failed? -1: 0;
    stock->quantity += streq (order->side, "buy")? -order->quantity: order->quantity;
    stock->volume += order->quantity;
    if (s_write_trade (self, epoch, *next, order, stock))
        return -1;
    *result = (catalog_result_t) { .code = 200, .number = (*next)++, .message = "",
                                   .stock = *stock };
    return 0;
}

//  A stale epoch first: that is what the refused leader most needs to hear.
static int
s_refuse (catalog_store_t *self, int64_t epoch, int64_t seq, int64_t min_number, size_t count)
{
    int64_t expected = epoch == self->epoch? self->seq + 1: 1;
    if (epoch < self->epoch)
        snprintf (self->error, sizeof self->error,
                  "stale epoch %" PRId64 " (seen %" PRId64 ")", epoch, self->epoch);
    else
    if (count > 0 && seq != expected)
        snprintf (self->error, sizeof self->error,
                  "batch %" PRId64 " of epoch %" PRId64 " is not the next (expected %" PRId64 ")",
                  seq, epoch, expected);
    else
    if (count > 0 && min_number > self->last_number + 1)
        snprintf (self->error, sizeof self->error,
                  "the leader's log holds trades up to %" PRId64 ", the catalog only up to %" PRId64,
                  min_number - 1, self->last_number);
    else
        return 0;
    return -1;
}

//  Writes every order, the epoch and the batch's sequence inside the open transaction.
static int
s_apply_all (catalog_store_t *self, int64_t epoch, int64_t seq, const catalog_order_t *orders,
             size_t count, catalog_result_t *results, int64_t *next)
{
    for (size_t i = 0; i < count; i++)
        if (s_apply_order (self, epoch, &orders [i], &results [i], next))
            return -1;
    if (epoch > self->epoch) {
        sqlite3_bind_int64 (self->set_epoch, 1, epoch);
        if (s_step_done (self, self->set_epoch))
            return -1;
    }
    if (epoch > self->epoch || count > 0) {
        sqlite3_bind_int64 (self->set_seq, 1, count > 0? seq: 0);
        if (s_step_done (self, self->set_seq))
            return -1;
    }
    return 0;
}

//  What a transaction may have to undo: memory as it was when it began.
static void
s_save (catalog_store_t *self)
{
    memcpy (self->backup, self->stocks, self->count * sizeof (catalog_stock_t));
    self->saved [0] = self->last_number;
    self->saved [1] = self->epoch;
    self->saved [2] = self->seq;
}

//  Rolls back the transaction that is open, if one is. Returns 0, or -1 (logged) when
//  one stays open: every BEGIN would then fail, so the next write tries again first.
static int
s_rollback (catalog_store_t *self)
{
    if (sqlite3_get_autocommit (self->db))
        return 0;
    sqlite3_step (self->rollback);
    sqlite3_reset (self->rollback);
    if (sqlite3_get_autocommit (self->db))
        return 0;
    zsys_error ("catalog store: cannot roll back: %s", sqlite3_errmsg (self->db));
    return s_fail (self, "cannot roll back an earlier transaction");
}

//  Rolls the open transaction back and memory with it.
static void
s_undo (catalog_store_t *self)
{
    zsys_error ("catalog store: %s rolled back: %s", self->grouped? "group": "batch", self->error);
    s_rollback (self);                  //  if it cannot, the next write tries again first
    memcpy (self->stocks, self->backup, self->count * sizeof (catalog_stock_t));
    self->last_number = self->saved [0];
    self->epoch = self->saved [1];
    self->seq = self->saved [2];
}

int
catalog_store_begin (catalog_store_t *self)
{
    assert (self && !self->grouped);
    self->error [0] = 0;
    s_save (self);
    if (s_rollback (self) || s_step_done (self, self->begin))
        return CATALOG_FAILED;
    self->grouped = true;
    self->group_failed = false;
    return CATALOG_APPLIED;
}

int
catalog_store_commit (catalog_store_t *self)
{
    assert (self && self->grouped);
    int status = CATALOG_APPLIED;
    if (self->group_failed)
        status = CATALOG_FAILED;        //  undone when that batch failed
    else
    if (s_step_done (self, self->commit)) {
        s_undo (self);
        status = CATALOG_FAILED;
    }
    self->grouped = false;
    return status;
}

int
catalog_store_apply_batch (catalog_store_t *self, int64_t epoch, int64_t seq, int64_t min_number,
                           const catalog_order_t *orders, size_t count,
                           catalog_result_t *results)
{
    assert (self);
    assert (count == 0 || (orders && results));
    if (self->grouped && self->group_failed) {
        snprintf (self->error, sizeof self->error, "an earlier batch of this group failed");
        return CATALOG_FAILED;
    }
    self->error [0] = 0;
    if (s_refuse (self, epoch, seq, min_number, count))
        return CATALOG_REFUSED;
    if (count == 0 && epoch == self->epoch)
        return CATALOG_APPLIED;                 //  our own fence again: nothing to write
    bool alone = !self->grouped;
    if (alone)
        s_save (self);
    int64_t next = self->last_number + 1;
    if ((alone && (s_rollback (self) || s_step_done (self, self->begin)))
    ||  s_apply_all (self, epoch, seq, orders, count, results, &next)
    ||  (alone && s_step_done (self, self->commit))) {
        s_undo (self);
        self->group_failed = self->grouped;
        return CATALOG_FAILED;
    }
    self->last_number = next - 1;
    self->seq = count > 0? seq: 0;
    self->epoch = epoch;
    return CATALOG_APPLIED;
}

//  --------------------------------------------------------------------------
//  Reading trades back

static void
s_read_trade_row (sqlite3_stmt *stmt, catalog_trade_t *trade)
{
    const char *name = (const char *) sqlite3_column_text (stmt, 1);
    const char *side = (const char *) sqlite3_column_text (stmt, 2);
    const char *key = (const char *) sqlite3_column_text (stmt, 4);
    trade->number = sqlite3_column_int64 (stmt, 0);
    snprintf (trade->name, sizeof trade->name, "%s", name? name: "");
    snprintf (trade->side, sizeof trade->side, "%s", side? side: "");
    trade->quantity = sqlite3_column_int64 (stmt, 3);
    snprintf (trade->key, sizeof trade->key, "%s", key? key: "");
    trade->epoch = sqlite3_column_int64 (stmt, 5);
}

int
catalog_store_since (catalog_store_t *self, int64_t number,
                     catalog_trade_t *trades, size_t max)
{
    assert (self);
    assert (max == 0 || trades);
    if (max > CATALOG_SINCE_MAX)
        max = CATALOG_SINCE_MAX;
    sqlite3_bind_int64 (self->select_since, 1, number);
    sqlite3_bind_int64 (self->select_since, 2, (int64_t) max);
    int rc, count = 0;
    while ((rc = sqlite3_step (self->select_since)) == SQLITE_ROW)
        s_read_trade_row (self->select_since, &trades [count++]);
    if (rc != SQLITE_DONE)
        s_fail (self, "cannot read trades");
    sqlite3_reset (self->select_since);
    sqlite3_clear_bindings (self->select_since);
    return rc == SQLITE_DONE? count: -1;
}
