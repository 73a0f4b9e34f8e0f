/*  bz_order: the rules every order and stock name obey, written once. The frontend
    checks them on JSON, the order leader on ORDER, the catalog on its batches and its
    CSV; each answers in its own words, but the rule is this one.  */
#ifndef BZ_ORDER_H
#define BZ_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bz_limits.h"

//  A stock name: 1..BZ_NAME_MAX bytes of A-Z a-z 0-9 . _ - (length is what counts: an
//  embedded NUL is refused), and not "." or "..", which read as path traversal wherever
//  a name ends up in a path. False for NULL.
bool bz_stock_name_valid (const char *name, size_t length);

//  A side: "buy" or "sell". False for NULL.
bool bz_order_side_valid (const char *side);

//  A quantity: 1..BZ_QUANTITY_MAX.
bool bz_order_quantity_valid (int64_t quantity);

//  An idempotency key: 1..BZ_KEY_MAX bytes. False for NULL.
bool bz_order_key_valid (const char *key);

//  A whole order: NULL when it obeys every rule above, else the first rule it breaks,
//  as a sentence for an error reply.
const char *bz_order_check (const char *name, const char *side, int64_t quantity,
                            const char *key);

#endif
