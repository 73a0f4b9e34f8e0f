/*  order_log: SQLite storage of the order log.
    synchronous=FULL in WAL mode: a commit is on disk before order_log_append returns.  */
#include <sqlite3.h>
#include "order_log.h"

struct _order_log_t {
    sqlite3 *db;
    sqlite3_stmt *insert, *get, *find_key, *since, *set_epoch;
    int64_t last;           //  cached: the log only grows through append
    int64_t epoch;
};

static const char *s_schema =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS orders ("
    "  number INTEGER PRIMARY KEY, name TEXT NOT NULL, side TEXT NOT NULL,"
    "  quantity INTEGER NOT NULL, key TEXT NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);";

//  One integer from sql into *value: fallback when there is no row or a NULL.
//  Returns 0, or -1 when the query fails.
static int
s_scalar (sqlite3 *db, const char *sql, int64_t fallback, int64_t *value)
{
    sqlite3_stmt *stmt = NULL;
    *value = fallback;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK? sqlite3_step (stmt): SQLITE_ERROR;
    if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
        *value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE? 0: -1;
}

order_log_t *
order_log_new (const char *path)
{
    assert (path);
    order_log_t *self = (order_log_t *) zmalloc (sizeof (order_log_t));
    if (sqlite3_open (path, &self->db) != SQLITE_OK
    ||  sqlite3_busy_timeout (self->db, 5000) != SQLITE_OK
    ||  sqlite3_exec (self->db, s_schema, NULL, NULL, NULL) != SQLITE_OK
    ||  sqlite3_prepare_v2 (self->db, "INSERT INTO orders VALUES (?, ?, ?, ?, ?)", -1, &self->insert, NULL)
    ||  sqlite3_prepare_v2 (self->db, "SELECT number, name, side, quantity, key FROM orders WHERE number = ?",
                            -1, &self->get, NULL)
    ||  sqlite3_prepare_v2 (self->db, "SELECT number FROM orders WHERE key = ?", -1, &self->find_key, NULL)
    ||  sqlite3_prepare_v2 (self->db, "SELECT number, name, side, quantity, key FROM orders "
                            "WHERE number >= ? ORDER BY number LIMIT ?", -1, &self->since, NULL)
    ||  sqlite3_prepare_v2 (self->db, "INSERT OR REPLACE INTO meta VALUES ('epoch', ?)",
                            -1, &self->set_epoch, NULL)
    ||  s_scalar (self->db, "SELECT max(number) FROM orders", -1, &self->last)
    ||  s_scalar (self->db, "SELECT value FROM meta WHERE key = 'epoch'", 0, &self->epoch)) {
        //  An unreadable last number must not pass for an empty log
        zsys_error ("order log %s: %s", path, sqlite3_errmsg (self->db));
        order_log_destroy (&self);
        return NULL;
    }
    return self;
}

void
order_log_destroy (order_log_t **self_p)
{
    assert (self_p);
    order_log_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->insert);
    sqlite3_finalize (self->get);
    sqlite3_finalize (self->find_key);
    sqlite3_finalize (self->since);
    sqlite3_finalize (self->set_epoch);
    sqlite3_close (self->db);
    free (self);
    *self_p = NULL;
}

int64_t
order_log_last (order_log_t *self)
{
    assert (self);
    return self->last;
}

static int
s_insert (order_log_t *self, const bz_msg_t *record)
{
    sqlite3_reset (self->insert);
    sqlite3_bind_int64 (self->insert, 1, record->number);
    sqlite3_bind_text (self->insert, 2, record->name, -1, SQLITE_STATIC);
    sqlite3_bind_text (self->insert, 3, record->side, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (self->insert, 4, record->quantity);
    sqlite3_bind_text (self->insert, 5, record->key, -1, SQLITE_STATIC);
    int rc = sqlite3_step (self->insert);
    sqlite3_reset (self->insert);
    return rc == SQLITE_DONE? 0: -1;
}

int
order_log_append (order_log_t *self, const bz_msg_t *records, size_t count)
{
    assert (self && (records || count == 0));
    if (count == 0)
        return 0;
    if (sqlite3_exec (self->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        zsys_error ("order log: cannot begin an append: %s", sqlite3_errmsg (self->db));
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        if (records [i].number != self->last + 1 + (int64_t) i || s_insert (self, &records [i])) {
            zsys_error ("order log: cannot append order %" PRId64 " after %" PRId64 ": %s",
                        records [i].number, self->last + (int64_t) i, sqlite3_errmsg (self->db));
            sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        zsys_error ("order log: cannot commit orders %" PRId64 "..%" PRId64 ": %s",
                    records [0].number, records [count - 1].number, sqlite3_errmsg (self->db));
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    self->last += (int64_t) count;
    return 0;
}

static void
s_read_record (sqlite3_stmt *stmt, bz_msg_t *record)
{
    bz_msg_init (record, BZ_MSG_RECORD);
    record->number = sqlite3_column_int64 (stmt, 0);
    bz_msg_set_str (record->name, sizeof record->name, (const char *) sqlite3_column_text (stmt, 1));
    bz_msg_set_str (record->side, sizeof record->side, (const char *) sqlite3_column_text (stmt, 2));
    record->quantity = sqlite3_column_int64 (stmt, 3);
    bz_msg_set_str (record->key, sizeof record->key, (const char *) sqlite3_column_text (stmt, 4));
}

int
order_log_get (order_log_t *self, int64_t number, bz_msg_t *record)
{
    assert (self && record);
    sqlite3_reset (self->get);
    sqlite3_bind_int64 (self->get, 1, number);
    int step = sqlite3_step (self->get), rc = 0;
    if (step == SQLITE_ROW) {
        s_read_record (self->get, record);
        rc = 1;
    }
    else
    if (step != SQLITE_DONE) {
        zsys_error ("order log: cannot read order %" PRId64 ": %s", number, sqlite3_errmsg (self->db));
        rc = -1;
    }
    sqlite3_reset (self->get);
    return rc;
}

int
order_log_find_key (order_log_t *self, const char *key, int64_t *number)
{
    assert (self && key && number);
    sqlite3_reset (self->find_key);
    sqlite3_bind_text (self->find_key, 1, key, -1, SQLITE_STATIC);
    int step = sqlite3_step (self->find_key), rc = 0;
    if (step == SQLITE_ROW) {
        *number = sqlite3_column_int64 (self->find_key, 0);
        rc = 1;
    }
    else
    if (step != SQLITE_DONE) {
        zsys_error ("order log: cannot look up a key: %s", sqlite3_errmsg (self->db));
        rc = -1;
    }
    sqlite3_reset (self->find_key);
    return rc;
}

int
order_log_since (order_log_t *self, int64_t number, bz_msg_t *records, int max)
{
    assert (self && records && max >= 0);
    sqlite3_reset (self->since);
    sqlite3_bind_int64 (self->since, 1, number);
    sqlite3_bind_int64 (self->since, 2, max);
    int count = 0, step = SQLITE_DONE;
    while (count < max && (step = sqlite3_step (self->since)) == SQLITE_ROW)
        s_read_record (self->since, &records [count++]);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        zsys_error ("order log: cannot read orders from %" PRId64 ": %s", number,
                    sqlite3_errmsg (self->db));
        count = -1;
    }
    sqlite3_reset (self->since);
    return count;
}

int64_t
order_log_epoch (order_log_t *self)
{
    assert (self);
    return self->epoch;
}

int
order_log_set_epoch (order_log_t *self, int64_t epoch)
{
    assert (self);
    if (epoch <= self->epoch)
        return 0;
    sqlite3_reset (self->set_epoch);
    sqlite3_bind_int64 (self->set_epoch, 1, epoch);
    int rc = sqlite3_step (self->set_epoch) == SQLITE_DONE? 0: -1;
    sqlite3_reset (self->set_epoch);
    if (rc == 0)
        self->epoch = epoch;
    return rc;
}

int
order_log_probe (order_log_t *self)
{
    assert (self);
    char sql [96];
    snprintf (sql, sizeof sql, "INSERT OR REPLACE INTO meta VALUES ('probe', %" PRId64 ")",
              zclock_time ());
    return sqlite3_exec (self->db, sql, NULL, NULL, NULL) == SQLITE_OK? 0: -1;
}

char *
order_log_digest (order_log_t *self)
{
    assert (self);
    zdigest_t *digest = zdigest_new ();
    sqlite3_stmt *stmt = NULL;
    sqlite3_prepare_v2 (self->db, "SELECT number, name, side, quantity, key FROM orders ORDER BY number",
                        -1, &stmt, NULL);
    while (stmt && sqlite3_step (stmt) == SQLITE_ROW) {
        char line [256];
        int size = snprintf (line, sizeof line, "%lld|%s|%s|%lld|%s\n",
                             (long long) sqlite3_column_int64 (stmt, 0), sqlite3_column_text (stmt, 1),
                             sqlite3_column_text (stmt, 2), (long long) sqlite3_column_int64 (stmt, 3),
                             sqlite3_column_text (stmt, 4));
        zdigest_update (digest, (const byte *) line, (size_t) size);
    }
    sqlite3_finalize (stmt);
    char *text = strdup (zdigest_string (digest));
    zdigest_destroy (&digest);
    return text;
}
