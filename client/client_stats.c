/*  client_stats: counters and log-bucketed latency histograms of the load generator.
    Used by client_session (recording) and client_main (merging and the summary).     */
#include <string.h>
#include "client_stats.h"

void
client_hist_init (client_hist_t *self)
{
    memset (self, 0, sizeof *self);
}

//  Values below CLIENT_HIST_EXACT map to themselves; above, the index is built from the
//  position of the top bit (which power of two) and the SUB_BITS bits below it.
int
client_hist_bucket (uint64_t usec)
{
    if (usec < CLIENT_HIST_EXACT)
        return (int) usec;
    if (usec >> CLIENT_HIST_MAX_BITS)
        return CLIENT_HIST_BUCKETS - 1;
    int top = 63 - __builtin_clzll (usec);          //  >= SUB_BITS + 1
    int shift = top - CLIENT_HIST_SUB_BITS;
    int sub = (int) ((usec >> shift) & ((1 << CLIENT_HIST_SUB_BITS) - 1));
    return CLIENT_HIST_EXACT + (top - CLIENT_HIST_SUB_BITS - 1) * (1 << CLIENT_HIST_SUB_BITS)
         + sub;
}

uint64_t
client_hist_bucket_low (int bucket)
{
    if (bucket < CLIENT_HIST_EXACT)
        return (uint64_t) bucket;
    int rel = bucket - CLIENT_HIST_EXACT;
    int shift = rel / (1 << CLIENT_HIST_SUB_BITS) + 1;
    uint64_t sub = (uint64_t) (rel % (1 << CLIENT_HIST_SUB_BITS));
    return ((1ULL << CLIENT_HIST_SUB_BITS) + sub) << shift;
}

uint64_t
client_hist_bucket_high (int bucket)
{
    if (bucket < CLIENT_HIST_EXACT)
        return (uint64_t) bucket;
    if (bucket == CLIENT_HIST_BUCKETS - 1)
        return UINT64_MAX;                          //  the overflow bucket
    int shift = (bucket - CLIENT_HIST_EXACT) / (1 << CLIENT_HIST_SUB_BITS) + 1;
    return client_hist_bucket_low (bucket) + (1ULL << shift) - 1;
}

void
client_hist_record (client_hist_t *self, uint64_t usec)
{
    self->counts [client_hist_bucket (usec)]++;
    self->total++;
    self->sum += usec;
    if (usec > self->max)
        self->max = usec;
}

void
client_hist_merge (client_hist_t *self, const client_hist_t *other)
{
    for (int i = 0; i < CLIENT_HIST_BUCKETS; i++)
        self->counts [i] += other->counts [i];
    self->total += other->total;
    self->sum += other->sum;
    if (other->max > self->max)
        self->max = other->max;
}

uint64_t
client_hist_percentile (const client_hist_t *self, double q)
{
    if (self->total == 0)
        return 0;
    if (!(q > 0))
        q = 0;
    if (q > 1)
        q = 1;
    //  Rank of the wanted value, 1-based; computed in double then clamped, since
    //  q × total may round a hair above total.
    double exact = q * (double) self->total;
    uint64_t rank = (uint64_t) exact;
    if ((double) rank < exact)
        rank++;
    if (rank < 1)
        rank = 1;
    if (rank > self->total)
        rank = self->total;
    uint64_t seen = 0;
    for (int i = 0; i < CLIENT_HIST_BUCKETS; i++) {
        seen += self->counts [i];
        if (seen >= rank) {
            uint64_t high = client_hist_bucket_high (i);
            return high < self->max? high: self->max;
        }
    }
    return self->max;
}

const char *
client_req_name (client_req_t kind)
{
    static const char *names [CLIENT_REQ_KINDS] = { "lookup", "trade", "query" };
    return kind < CLIENT_REQ_KINDS? names [kind]: "?";
}

void
client_stats_init (client_stats_t *self)
{
    memset (self, 0, sizeof *self);
}

void
client_stats_merge (client_stats_t *self, const client_stats_t *other)
{
    for (int k = 0; k < CLIENT_REQ_KINDS; k++) {
        self->requests [k] += other->requests [k];
        self->failures [k] += other->failures [k];
        self->retries [k] += other->retries [k];
        client_hist_merge (&self->latency [k], &other->latency [k]);
    }
    self->trades += other->trades;
    self->conflicts += other->conflicts;
    self->mismatches += other->mismatches;
    self->missing += other->missing;
    self->duplicates += other->duplicates;
}

bool
client_stats_ok (const client_stats_t *self)
{
    for (int k = 0; k < CLIENT_REQ_KINDS; k++)
        if (self->failures [k])
            return false;
    return self->mismatches == 0 && self->missing == 0 && self->duplicates == 0;
}
