/*  client_stats: what one load-generator session measured (counters and log-bucketed
    latency histograms), merged across sessions for the summary. Used by client_session/main. */
#ifndef CLIENT_STATS_H
#define CLIENT_STATS_H

#include <stdbool.h>
#include <stdint.h>

//  Latencies are recorded in microseconds. Values below 64 µs are exact; above, each power
//  of two is split in 32 buckets, so a bucket is at most 1/32 (3.1%) of its values wide.
//  Values at or above 2^40 µs (12 days) land in the last bucket. The histogram is a fixed
//  array: memory does not grow with the length of a run.
#define CLIENT_HIST_SUB_BITS   5
#define CLIENT_HIST_EXACT      (2 << CLIENT_HIST_SUB_BITS)         //  64
#define CLIENT_HIST_MAX_BITS   40
#define CLIENT_HIST_BUCKETS    (CLIENT_HIST_EXACT + \
        (CLIENT_HIST_MAX_BITS - CLIENT_HIST_SUB_BITS - 1) * (1 << CLIENT_HIST_SUB_BITS))

typedef struct {
    uint64_t counts [CLIENT_HIST_BUCKETS];
    uint64_t total;                     //  values recorded
    uint64_t max;                       //  largest value recorded, exact
    uint64_t sum;                       //  for the mean
} client_hist_t;

void client_hist_init (client_hist_t *self);
void client_hist_record (client_hist_t *self, uint64_t usec);
void client_hist_merge (client_hist_t *self, const client_hist_t *other);

//  The bucket a value falls in, and the first and last value of a bucket.
int client_hist_bucket (uint64_t usec);
uint64_t client_hist_bucket_low (int bucket);
uint64_t client_hist_bucket_high (int bucket);

//  The q-quantile (0 < q <= 1) of the recorded values: the upper end of the bucket that
//  holds the value of rank ceil(q × total), never above the exact max; so it
//  over-estimates by at most 3.1%, and q = 1 returns the max. 0 when nothing was recorded.
uint64_t client_hist_percentile (const client_hist_t *self, double q);

//  The request kinds the load generator makes.
typedef enum {
    CLIENT_REQ_LOOKUP = 0,              //  GET /stocks/<name>
    CLIENT_REQ_TRADE,                   //  POST /orders
    CLIENT_REQ_QUERY,                   //  GET /orders/<N> (read-back)
    CLIENT_REQ_KINDS
} client_req_t;

//  The name of a request kind: "lookup", "trade", "query".
const char *client_req_name (client_req_t kind);

typedef struct {
    uint64_t requests [CLIENT_REQ_KINDS];   //  completed with a status we understood
    uint64_t failures [CLIENT_REQ_KINDS];   //  unrecovered: retries exhausted or bad reply
    uint64_t retries [CLIENT_REQ_KINDS];    //  extra attempts after a transport error/503
    client_hist_t latency [CLIENT_REQ_KINDS];   //  per request that got a reply, retries included
    uint64_t trades;                    //  acknowledged orders (got a transaction number)
    uint64_t conflicts;                 //  409 not enough shares: a business outcome
    uint64_t mismatches;                //  read-back differs from what was acknowledged
    uint64_t missing;                   //  read-back says 404 for an acknowledged order
    uint64_t duplicates;                //  one transaction number acknowledged twice
} client_stats_t;

void client_stats_init (client_stats_t *self);
void client_stats_merge (client_stats_t *self, const client_stats_t *other);

//  True when the run kept every promise: no failure, mismatch, missing or duplicate order.
bool client_stats_ok (const client_stats_t *self);

#endif
