/*  frontend_feed: follows the catalog's PUB stream (INVALIDATE and HEARTBEAT, one seq) in
    a background actor and keeps frontend_cache in step. Started by frontend_server.      */
#ifndef FRONTEND_FEED_H
#define FRONTEND_FEED_H

#include <stdbool.h>
#include <stdint.h>
#include "bz_config.h"
#include "frontend_cache.h"
//  frontend_live.h (which needs frontend_api.h, which needs this file)
typedef struct _frontend_live_t frontend_live_t;

//  Why the feed flushed the whole cache.
typedef enum {
    FRONTEND_FLUSH_GAP = 0,     //  a sequence number was skipped: an invalidation was lost
    FRONTEND_FLUSH_PUBLISHER,   //  a new publisher id: the catalog restarted
    FRONTEND_FLUSH_SILENCE,     //  nothing heard for liveness x heartbeat_ms
    FRONTEND_FLUSH_MALFORMED,   //  a message we could not read may have been an invalidation
    FRONTEND_FLUSH_REASONS
} frontend_flush_reason_t;


typedef struct _frontend_feed_t frontend_feed_t;

//  Subscribes to the catalog endpoint of config and starts following it. Until the
//  first message, and whenever the stream is silent, cache is marked unhealthy.
//  cache must outlive the feed. live, when not NULL, gets every INVALIDATE to push to
//  the live pages, and a resync whenever one may have been lost; it must outlive the
//  feed. Returns NULL when the actor cannot start.
frontend_feed_t *frontend_feed_new (bz_config_t *config, frontend_cache_t *cache,
                                    frontend_live_t *live);
void frontend_feed_destroy (frontend_feed_t **self_p);

typedef struct {
    bool live;
    char publisher [41];
    int64_t next_seq;
    uint64_t flushes [FRONTEND_FLUSH_REASONS];
    uint64_t messages;          //  messages read from the stream
} frontend_feed_status_t;

//  A consistent copy of the feed's state, for /cache and /metrics.
void frontend_feed_status (frontend_feed_t *self, frontend_feed_status_t *status);

//  Appends the stream's gauge and flush counters in Prometheus text format to buffer at
//  *used (for /metrics) and advances *used. self may be NULL (the cache is off): the
//  stream then reads as not live, with no flushes. Returns false, *used unchanged, when
//  they do not fit.
bool frontend_feed_render_metrics (frontend_feed_t *self, char *buffer, size_t size,
                                   size_t *used);

//  The label of a flush reason ("gap", "publisher", "silence", "malformed").
const char *frontend_feed_reason (frontend_flush_reason_t reason);

#endif
