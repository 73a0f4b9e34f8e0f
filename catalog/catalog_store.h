/*  catalog_store: the catalog's durable stock book (SQLite, WAL) with an in-memory copy.
    Used by catalog_server; the order leader's batches are applied here, densely numbered.  */
#ifndef CATALOG_STORE_H
#define CATALOG_STORE_H

#include <czmq.h>
#include "bz_limits.h"

#define CATALOG_STOCKS_MAX      1000        //  most stocks the book holds
#define CATALOG_BATCH_MAX       1000        //  most orders in one batch
#define CATALOG_SINCE_MAX       1000        //  most trades one since() returns

//  Outcome of a whole batch: applied, refused (nothing changed), or storage failure.
#define CATALOG_APPLIED         200
#define CATALOG_REFUSED         409
#define CATALOG_FAILED          503

typedef struct {
    char name [BZ_NAME_MAX + 1];
    double price;
    int64_t quantity;
    int64_t volume;
} catalog_stock_t;

//  One order of a batch, as the order leader sent it.
typedef struct {
    char name [BZ_NAME_MAX + 1];
    char side [5];                          //  "buy" or "sell"
    int64_t quantity;
    char key [BZ_KEY_MAX + 1];
} catalog_order_t;

//  The outcome of one order: code 200 with its number and the stock's state after it;
//  code 200 with known set and the number it got when its key first traded (nothing
//  changed now, stock not filled); or 400 / 404 / 409 / 422 with a static message
//  and no number.
typedef struct {
    int code;
    bool known;
    int64_t number;
    const char *message;
    catalog_stock_t stock;
} catalog_result_t;

//  One applied trade, as recorded in the trades table.
typedef struct {
    int64_t number;
    char name [BZ_NAME_MAX + 1];
    char side [5];
    int64_t quantity;
    char key [BZ_KEY_MAX + 1];
    int64_t epoch;
} catalog_trade_t;

typedef struct _catalog_store_t catalog_store_t;

//  Opens or creates the book at db_path. On first start (no stocks yet) loads the stocks
//  from csv_path (header "name,price"), each with quantity 100 and volume 0; later starts
//  never read the CSV. Returns NULL, with the reason logged, when the database cannot be
//  opened or the CSV is missing or invalid.
catalog_store_t *catalog_store_new (const char *db_path, const char *csv_path);

//  Closes the database. Safe on a NULL or already destroyed store.
void catalog_store_destroy (catalog_store_t **self_p);

//  The stock called name, from memory (never touches SQLite), or NULL if unknown.
//  The pointer stays valid for the store's life; its values change with batches.
const catalog_stock_t *catalog_store_lookup (catalog_store_t *self, const char *name);

//  All stocks in name order; *count_p gets their number. Same lifetime as lookup.
const catalog_stock_t *catalog_store_list (catalog_store_t *self, size_t *count_p);

//  Applies count orders in one transaction (results gets one entry per order) and
//  returns CATALOG_APPLIED. The catalog numbers the trades: successful orders get the
//  numbers after the last applied trade, densely, in order. An order whose idempotency
//  key already traded is not applied again: the same order is answered with its first
//  number (known), another order with 422.
//  A batch's place in its leader's stream is (epoch, seq): seq is 1 for the first batch
//  of an epoch and rises by one per batch, so batches are applied in the order they were
//  sent and none twice. min_number says the leader's log holds every trade below it.
//  Returns CATALOG_REFUSED with nothing changed when epoch is below the highest seen,
//  seq is not the next of its epoch, or min_number is beyond the next number (the
//  catalog lost trades the leader holds); CATALOG_FAILED with nothing changed (memory
//  included) on a storage error. catalog_store_error says why.
//  count 0 is a fence: seq and min_number are ignored; an epoch above the highest seen
//  becomes the highest, with no batch applied yet (durably); the highest itself changes
//  nothing. Either returns CATALOG_APPLIED.
int catalog_store_apply_batch (catalog_store_t *self, int64_t epoch, int64_t seq,
                               int64_t min_number, const catalog_order_t *orders,
                               size_t count, catalog_result_t *results);

//  Group commit: begin opens one transaction, and every apply_batch until commit writes
//  into it instead of committing on its own, so one fsync covers them all. Each batch is
//  checked against the state the batches before it left, as if they had committed. Their
//  outcomes hold only if commit returns CATALOG_APPLIED; CATALOG_FAILED means every batch
//  since begin is undone (memory included), and so does a storage error in any of them
//  (the batches after it in the group then fail at once). begin returns CATALOG_FAILED
//  when it cannot open the transaction.
int catalog_store_begin (catalog_store_t *self);
int catalog_store_commit (catalog_store_t *self);

//  Copies the applied trades numbered number and above, ascending, into trades (at most
//  max, capped at CATALOG_SINCE_MAX). Returns how many, or -1 on a storage error.
int catalog_store_since (catalog_store_t *self, int64_t number,
                         catalog_trade_t *trades, size_t max);

//  Number of the last applied trade, or -1 when none.
int64_t catalog_store_last_number (catalog_store_t *self);

//  Highest order-leader epoch seen (0 when none).
int64_t catalog_store_epoch (catalog_store_t *self);

//  The last batch applied at that epoch (0: none yet).
int64_t catalog_store_seq (catalog_store_t *self);

//  Why the last refused or failed call went wrong ("" if none did).
const char *catalog_store_error (catalog_store_t *self);

#endif
