/*  catalog_restore: what the order replicas' logs say about the catalog, and rebuilding
    a lost or damaged catalog.db from them. Used by bazaar-catalog at start and --restore.  */
#ifndef CATALOG_RESTORE_H
#define CATALOG_RESTORE_H

#include <czmq.h>
#include "bz_config.h"

//  What the replica logs in the data directory (order1.db .. orderN.db) hold.
typedef struct {
    int replicas;           //  order_replicas
    int readable;           //  logs that exist and could be read
    int64_t last;           //  highest order number in any of them, -1 when none
    int64_t epoch;          //  highest leader epoch recorded in any of them
} catalog_replicas_t;

//  Reads every replica log of the data directory, read-only. A missing or unreadable
//  log is skipped (not counted in readable). Never fails.
void catalog_restore_scan (bz_config_t *config, catalog_replicas_t *info);

//  Checks that the catalog may serve: returns 0, or -1 with the reason in why when the
//  replica logs hold orders and db_path is missing (db_exists false) or its last trade
//  (last_number) is below theirs. Serving then would reset or rewind the book.
int catalog_restore_check (bz_config_t *config, bool db_exists, int64_t last_number,
                           char *why, size_t why_size);

//  Rebuilds db_path: the stocks from csv_path (as at the cluster's creation), then
//  every order of the longest replica log applied in order with its own number, the
//  epoch the highest any log recorded. Needs a majority of the replica logs readable
//  and agreeing on every order they share (any acknowledged trade is on a majority, so
//  it is in the longest of them). An existing db_path is kept aside as
//  db_path.lost-<seconds>. Returns 0, or -1 with the reason logged (db_path untouched, unless the last step,
//  renaming the rebuilt file into place, fails: then it is at db_path.lost-<seconds>).
int catalog_restore (bz_config_t *config, const char *db_path, const char *csv_path);

#endif
