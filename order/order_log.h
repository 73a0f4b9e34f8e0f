/*  order_log: one replica's durable, dense log of orders in SQLite (WAL).
    Used by order_server; numbers run 0, 1, 2... with no gap, each order once.  */
#ifndef ORDER_LOG_H
#define ORDER_LOG_H

#include <czmq.h>
#include "bz_msg.h"

typedef struct _order_log_t order_log_t;

//  Opens or creates the log at path. Returns NULL (logged) if SQLite fails, reading
//  the log's last number and epoch included.
order_log_t *order_log_new (const char *path);
void order_log_destroy (order_log_t **self_p);

//  The last order's number, or -1 for an empty log.
int64_t order_log_last (order_log_t *self);

//  Appends RECORD messages in one transaction, made durable before it returns.
//  Their numbers must continue the log densely (last + 1, last + 2...) and their keys
//  must be new; otherwise nothing is written and it returns -1.
int order_log_append (order_log_t *self, const bz_msg_t *records, size_t count);

//  Fills record with order number. Returns 1, 0 when there is no such order, or -1
//  (logged) when the log cannot be read: a failure never reads as "not found".
int order_log_get (order_log_t *self, int64_t number, bz_msg_t *record);

//  Sets number to the order with this idempotency key. Returns 1, 0 when no order has
//  it, or -1 (logged) when the log cannot be read.
int order_log_find_key (order_log_t *self, const char *key, int64_t *number);

//  Fills up to max RECORDs from number on, ascending. Returns how many, or -1 (logged)
//  when the log cannot be read: a failure never reads as "nothing more".
int order_log_since (order_log_t *self, int64_t number, bz_msg_t *records, int max);

//  The highest leader epoch this replica has used or seen; set only raises it.
int64_t order_log_epoch (order_log_t *self);
int order_log_set_epoch (order_log_t *self, int64_t epoch);

//  Writes one small durable record: 0 when the log can be written (after a failure,
//  a disk with room again), -1 when it still cannot.
int order_log_probe (order_log_t *self);

//  A SHA-1 digest over every order, for checking that replicas hold the same log.
//  The caller frees the string.
char *order_log_digest (order_log_t *self);

#endif
