/*  frontend_metrics: request counters, latency histograms and bus counters of the frontend.
    Counted from every event loop and worker thread (frontend_http, frontend_server,
    frontend_api), lock-free.                                                         */
#include <czmq.h>
#include <stdatomic.h>
#include "frontend_metrics.h"

//  Status classes 1xx..5xx, index 0 for anything outside them.
#define CLASS_COUNT 6
//  Request counters are striped by thread: a cached lookup (~80k/s on two cores) must
//  not bounce one cache line between the cores on every request. Render sums them.
#define STRIPES     8
//  Upper bounds of the request duration buckets, seconds (the +Inf bucket follows).
static const double s_bounds [] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5
};
#define BUCKETS     (sizeof s_bounds / sizeof s_bounds [0] + 1)

typedef struct {
    //  Relaxed atomics: counters need no ordering, only no lost increments
    atomic_uint_fast64_t requests [FRONTEND_ROUTE_COUNT][CLASS_COUNT];
    atomic_int_fast64_t inflight;
    atomic_uint_fast64_t durations [FRONTEND_ROUTE_COUNT][BUCKETS];   //  per bucket
    atomic_uint_fast64_t duration_us [FRONTEND_ROUTE_COUNT];          //  sum
} __attribute__ ((aligned (64))) stripe_t;

static _Thread_local unsigned s_stripe = UINT32_MAX;
static atomic_uint s_next_stripe;

struct _frontend_metrics_t {
    stripe_t stripes [STRIPES];
    atomic_uint_fast64_t bus_timeouts;
    atomic_uint_fast64_t bus_retries;
    atomic_uint_fast64_t bus_unavailable;
    atomic_uint_fast64_t bus_bad_replies;
    atomic_uint_fast64_t overloaded [FRONTEND_SHED_REASONS];
    atomic_int_fast64_t connections;
};

frontend_metrics_t *
frontend_metrics_new (void)
{
    frontend_metrics_t *self = (frontend_metrics_t *) zmalloc (sizeof (frontend_metrics_t));
    for (int stripe = 0; stripe < STRIPES; stripe++) {
        for (int route = 0; route < FRONTEND_ROUTE_COUNT; route++)
            for (int class = 0; class < CLASS_COUNT; class++)
                atomic_init (&self->stripes [stripe].requests [route][class], 0);
        atomic_init (&self->stripes [stripe].inflight, 0);
        for (int route = 0; route < FRONTEND_ROUTE_COUNT; route++) {
            for (size_t b = 0; b < BUCKETS; b++)
                atomic_init (&self->stripes [stripe].durations [route][b], 0);
            atomic_init (&self->stripes [stripe].duration_us [route], 0);
        }
    }
    atomic_init (&self->bus_timeouts, 0);
    atomic_init (&self->bus_retries, 0);
    atomic_init (&self->bus_unavailable, 0);
    atomic_init (&self->bus_bad_replies, 0);
    for (int reason = 0; reason < FRONTEND_SHED_REASONS; reason++)
        atomic_init (&self->overloaded [reason], 0);
    atomic_init (&self->connections, 0);
    return self;
}

void
frontend_metrics_destroy (frontend_metrics_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

static stripe_t *
s_my_stripe (frontend_metrics_t *self)
{
    if (s_stripe == UINT32_MAX)
        s_stripe = atomic_fetch_add_explicit (&s_next_stripe, 1, memory_order_relaxed) % STRIPES;
    return &self->stripes [s_stripe];
}

int64_t
frontend_metrics_begin (frontend_metrics_t *self)
{
    atomic_fetch_add_explicit (&s_my_stripe (self)->inflight, 1, memory_order_relaxed);
    return zclock_usecs ();
}

void
frontend_metrics_end (frontend_metrics_t *self, frontend_route_id_t route, int status,
                      int64_t started_us)
{
    int64_t elapsed = zclock_usecs () - started_us;
    if (elapsed < 0)
        elapsed = 0;
    size_t bucket = 0;
    while (bucket < BUCKETS - 1 && (double) elapsed > s_bounds [bucket] * 1e6)
        bucket++;
    int class = (status >= 100 && status < 600)? status / 100: 0;
    if ((unsigned) route >= FRONTEND_ROUTE_COUNT)
        route = FRONTEND_ROUTE_OTHER;
    stripe_t *stripe = s_my_stripe (self);
    atomic_fetch_add_explicit (&stripe->requests [route][class], 1, memory_order_relaxed);
    atomic_fetch_sub_explicit (&stripe->inflight, 1, memory_order_relaxed);
    atomic_fetch_add_explicit (&stripe->durations [route][bucket], 1, memory_order_relaxed);
    atomic_fetch_add_explicit (&stripe->duration_us [route], (uint64_t) elapsed, memory_order_relaxed);
}

void
frontend_metrics_bus_timeout (frontend_metrics_t *self)
{
    atomic_fetch_add_explicit (&self->bus_timeouts, 1, memory_order_relaxed);
}

void
frontend_metrics_bus_retries (frontend_metrics_t *self, uint64_t tries)
{
    if (tries)
        atomic_fetch_add_explicit (&self->bus_retries, tries, memory_order_relaxed);
}

void
frontend_metrics_bus_unavailable (frontend_metrics_t *self)
{
    atomic_fetch_add_explicit (&self->bus_unavailable, 1, memory_order_relaxed);
}

void
frontend_metrics_overloaded (frontend_metrics_t *self, frontend_shed_reason_t reason)
{
    if ((unsigned) reason >= FRONTEND_SHED_REASONS)
        reason = FRONTEND_SHED_QUEUE_FULL;
    atomic_fetch_add_explicit (&self->overloaded [reason], 1, memory_order_relaxed);
}

void
frontend_metrics_bus_bad_reply (frontend_metrics_t *self)
{
    atomic_fetch_add_explicit (&self->bus_bad_replies, 1, memory_order_relaxed);
}

//  Appends to buffer at *used; a write that does not fit marks the whole render failed.
static void
s_append (char *buffer, size_t size, size_t *used, bool *full, const char *format, ...)
{
    if (*full)
        return;
    va_list args;
    va_start (args, format);
    int n = vsnprintf (buffer + *used, size - *used, format, args);
    va_end (args);
    if (n < 0 || (size_t) n >= size - *used)
        *full = true;
    else
        *used += (size_t) n;
}

#define LOAD(counter) ((unsigned long long) atomic_load_explicit (&(counter), memory_order_relaxed))

size_t
frontend_metrics_render (frontend_metrics_t *self, char *buffer, size_t size)
{
    static const char *classes [CLASS_COUNT] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };
    size_t used = 0;
    bool full = size == 0;
    long long inflight = 0;
    for (int stripe = 0; stripe < STRIPES; stripe++)
        inflight += (long long) atomic_load_explicit (&self->stripes [stripe].inflight,
                                                      memory_order_relaxed);
    s_append (buffer, size, &used, &full,
        "# HELP bazaar_frontend_requests_total HTTP requests answered, by route and status class.\n"
        "# TYPE bazaar_frontend_requests_total counter\n");
    for (int route = 0; route < FRONTEND_ROUTE_COUNT; route++)
        for (int class = 0; class < CLASS_COUNT; class++) {
            unsigned long long count = 0;
            for (int stripe = 0; stripe < STRIPES; stripe++)
                count += LOAD (self->stripes [stripe].requests [route][class]);
            if (count || class == 2)
                s_append (buffer, size, &used, &full,
                    "bazaar_frontend_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                    frontend_route_label ((frontend_route_id_t) route), classes [class], count);
        }
    s_append (buffer, size, &used, &full,
        "# HELP bazaar_frontend_requests_inflight HTTP requests being served.\n"
        "# TYPE bazaar_frontend_requests_inflight gauge\n"
        "bazaar_frontend_requests_inflight %lld\n"
        "# HELP bazaar_frontend_bus_timeouts_total Bus requests that got no reply before the deadline.\n"
        "# TYPE bazaar_frontend_bus_timeouts_total counter\n"
        "bazaar_frontend_bus_timeouts_total %llu\n"
        "# HELP bazaar_frontend_bus_retries_total Bus tries that timed out and were resent.\n"
        "# TYPE bazaar_frontend_bus_retries_total counter\n"
        "bazaar_frontend_bus_retries_total %llu\n"
        "# HELP bazaar_frontend_bus_unavailable_total Bus requests repeated after a 503 from the bus.\n"
        "# TYPE bazaar_frontend_bus_unavailable_total counter\n"
        "bazaar_frontend_bus_unavailable_total %llu\n"
        "# HELP bazaar_frontend_bus_bad_replies_total Bus replies that were malformed or unexpected.\n"
        "# TYPE bazaar_frontend_bus_bad_replies_total counter\n"
        "bazaar_frontend_bus_bad_replies_total %llu\n"
        "# HELP bazaar_frontend_overloaded_total Requests answered 503 overloaded: the bus queue was full (queue_full), or the wait in it too long (queue_wait).\n"
        "# TYPE bazaar_frontend_overloaded_total counter\n"
        "bazaar_frontend_overloaded_total{reason=\"queue_full\"} %llu\n"
        "bazaar_frontend_overloaded_total{reason=\"queue_wait\"} %llu\n"
        "# HELP bazaar_frontend_connections Open HTTP connections.\n"
        "# TYPE bazaar_frontend_connections gauge\n"
        "bazaar_frontend_connections %lld\n",
        inflight,
        LOAD (self->bus_timeouts), LOAD (self->bus_retries),
        LOAD (self->bus_unavailable), LOAD (self->bus_bad_replies),
        LOAD (self->overloaded [FRONTEND_SHED_QUEUE_FULL]),
        LOAD (self->overloaded [FRONTEND_SHED_QUEUE_WAIT]), (long long) atomic_load_explicit (&self->connections, memory_order_relaxed));
    s_append (buffer, size, &used, &full,
        "# HELP bazaar_http_request_duration_seconds Time from a request's routing to its answer, by route.\n"
        "# TYPE bazaar_http_request_duration_seconds histogram\n");
    for (int route = 0; route < FRONTEND_ROUTE_COUNT; route++) {
        const char *label = frontend_route_label ((frontend_route_id_t) route);
        unsigned long long cumulative = 0, sum_us = 0;
        for (size_t b = 0; b < BUCKETS; b++) {
            for (int stripe = 0; stripe < STRIPES; stripe++)
                cumulative += LOAD (self->stripes [stripe].durations [route][b]);
            if (b < BUCKETS - 1)
                s_append (buffer, size, &used, &full,
                    "bazaar_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    label, s_bounds [b], cumulative);
        }
        for (int stripe = 0; stripe < STRIPES; stripe++)
            sum_us += LOAD (self->stripes [stripe].duration_us [route]);
        s_append (buffer, size, &used, &full,
            "bazaar_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
            "bazaar_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
            "bazaar_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
            label, cumulative, label, (double) sum_us / 1e6, label, cumulative);
    }
    return full? 0: used;
}

void
frontend_metrics_connections (frontend_metrics_t *self, int delta)
{
    assert (self);
    atomic_fetch_add_explicit (&self->connections, delta, memory_order_relaxed);
}
