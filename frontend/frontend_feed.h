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

//  The stream's position, kept by the feed; pure, so unit-tested.
typedef struct {
    char publisher [41];        //  last publisher heard, "" before the first message
    int64_t next_seq;           //  the seq expected next
    int64_t heard_at;           //  clock of the last message, ms
    bool live;                  //  heard within the liveness limit, in sequence
} frontend_stream_t;

typedef enum {
    FRONTEND_STREAM_IN_ORDER,   //  the expected seq from the known publisher
    FRONTEND_STREAM_JOINED,     //  first message after start or silence, same publisher
    FRONTEND_STREAM_GAP,        //  seq is not the one expected
    FRONTEND_STREAM_NEW_PUBLISHER
} frontend_stream_event_t;

//  Records a message (publisher, seq) heard at now and says how it fits the stream.
//  After any event the stream is live and expects seq + 1.
frontend_stream_event_t frontend_stream_accept (frontend_stream_t *self, const char *publisher,
                                                int64_t seq, int64_t now);

//  True once, when a live stream has been silent for more than limit_ms at now; the
//  stream is then not live until the next message.
bool frontend_stream_expire (frontend_stream_t *self, int64_t now, int64_t limit_ms);

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
