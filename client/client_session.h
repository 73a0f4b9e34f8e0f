/*  client_session: one simulated trader on its own keep-alive connection: looks stocks
    up, trades, then reads every acknowledged order back. Used by client_main's threads. */
#ifndef CLIENT_SESSION_H
#define CLIENT_SESSION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "client_options.h"
#include "client_stats.h"

//  A stock the sessions trade, shared read-only by all of them.
typedef struct {
    char name [CLIENT_NAME_MAX + 1];
    char *path;                         //  "/stocks/<url-escaped name>"
} client_stock_t;

//  An acknowledged order, as this session asked for it; 16 bytes so long runs stay small.
typedef struct {
    int64_t number;                     //  the transaction number the server gave
    uint32_t stock;                     //  index into the stock table
    uint8_t sell;                       //  1 sell, 0 buy
    uint8_t quantity;
} client_order_t;

typedef struct {
    const char *url;
    const client_stock_t *stocks;
    size_t stock_count;                 //  > 0
    const double *stock_cdf;            //  cumulative weights of the stocks; NULL: uniform
    int index;                          //  session number, 0-based
    uint64_t seed;                      //  run seed; the session mixes in its index
    const char *run_id;                 //  unique per run: prefix of idempotency keys
    long iterations;                    //  0: no limit (then deadline must be set)
    double deadline;                    //  CLOCK_MONOTONIC seconds; 0: none
    double p;
    bool lookups_only;
    atomic_int *stop;                   //  set to stop every session's loop early
    FILE *trace;                        //  a line per request attempt, or NULL
} client_session_config_t;

typedef struct _client_session_t client_session_t;

//  A session with its own connection. The config's strings and table must outlive it.
//  Returns NULL on failure.
client_session_t *client_session_new (const client_session_config_t *config);
void client_session_destroy (client_session_t **self_p);

//  The load phase: iterations of lookup and maybe trade, until the iteration count, the
//  deadline or the stop flag ends it.
void client_session_run (client_session_t *self);

//  Reads back every acknowledged order and compares all its fields.
void client_session_verify (client_session_t *self);

//  What the session counted and measured so far.
const client_stats_t *client_session_stats (client_session_t *self);

//  The orders this session got acknowledged, in the order it got them.
const client_order_t *client_session_orders (client_session_t *self, size_t *count);

//  Monotonic time in seconds, the clock deadlines are given in.
double client_session_now (void);

#endif
