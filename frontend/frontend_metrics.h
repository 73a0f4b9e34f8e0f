/*  frontend_metrics: request counters, latency histograms and bus counters of the frontend.
    Counted from every event loop and worker thread (frontend_http, frontend_server,
    frontend_api), lock-free.                                                         */
#ifndef FRONTEND_METRICS_H
#define FRONTEND_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "frontend_route.h"

typedef struct _frontend_metrics_t frontend_metrics_t;

frontend_metrics_t *frontend_metrics_new (void);
void frontend_metrics_destroy (frontend_metrics_t **self_p);

//  A request started (returns the time, in microseconds, to hand to end) / was
//  answered with status on route: counted, and its duration goes into the route's
//  histogram bazaar_http_request_duration_seconds.
int64_t frontend_metrics_begin (frontend_metrics_t *self);
void frontend_metrics_end (frontend_metrics_t *self, frontend_route_id_t route, int status,
                          int64_t started_us);

//  A bus request that got no reply in time; tries the bus client retried; requests
//  repeated because the bus answered 503 (no live worker yet, e.g. during failover).
void frontend_metrics_bus_timeout (frontend_metrics_t *self);
void frontend_metrics_bus_retries (frontend_metrics_t *self, uint64_t tries);
void frontend_metrics_bus_unavailable (frontend_metrics_t *self);
//  Why a request was answered 503 "overloaded" (frontend_bus, or frontend_http's queue
//  for a worker): the queue was full, or it would have waited there longer than
//  bus_queue_wait_ms.
typedef enum {
    FRONTEND_SHED_QUEUE_FULL,
    FRONTEND_SHED_QUEUE_WAIT,
    FRONTEND_SHED_REASONS
} frontend_shed_reason_t;
void frontend_metrics_overloaded (frontend_metrics_t *self, frontend_shed_reason_t reason);
//  An HTTP connection opened (delta 1) or closed (-1).
void frontend_metrics_connections (frontend_metrics_t *self, int delta);
//  A bus reply that did not decode or did not answer what we asked.
void frontend_metrics_bus_bad_reply (frontend_metrics_t *self);

//  Writes all counters in Prometheus text format 0.0.4. Returns the length, or 0 when
//  buffer is too small (32 KiB is plenty: the histogram has 16 lines per route).
size_t frontend_metrics_render (frontend_metrics_t *self, char *buffer, size_t size);

#endif
