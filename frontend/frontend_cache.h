/*  frontend_cache: the frontend's LRU cache of stock lookups, safe under the frontend's
    event loops and workers. frontend_api reads and fills it; frontend_feed invalidates it from the catalog.  */
#ifndef FRONTEND_CACHE_H
#define FRONTEND_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "frontend_route.h"

//  cache_size is clamped to 1..FRONTEND_CACHE_MAX: eviction scans every entry.
#define FRONTEND_CACHE_MAX          4096
//  Largest cached HTTP response (head + body); a longer one is served but not cached.
#define FRONTEND_CACHE_RESPONSE_MAX 384

typedef struct _frontend_cache_t frontend_cache_t;

//  A lookup that missed: presented back to store, so a reply that was read from the
//  catalog before an invalidation of its stock is never stored after it.
typedef struct {
    bool valid;                 //  false: the cache is off or unhealthy, store nothing
    unsigned shard;
    uint64_t generation;
} frontend_cache_ticket_t;

//  A hit: a private copy of the cached bytes, valid until this thread's next call into
//  any cache. response [0..size) is a whole keep-alive HTTP response, its body starts
//  at body_offset.
typedef struct {
    const char *response;
    size_t size;
    size_t body_offset;
} frontend_cache_hit_t;

//  One entry as GET /cache shows it.
typedef struct {
    char name [BZ_NAME_MAX + 1];
    double price;
    int64_t quantity;
    uint64_t last_use;          //  a logical clock: higher is more recent
} frontend_cache_item_t;

typedef struct {
    uint64_t hits, misses, evictions, invalidations, entries;
} frontend_cache_stats_t;

//  A cache of capacity entries (clamped to 1..FRONTEND_CACHE_MAX); enabled false makes
//  every lookup miss without counting and every store a no-op. A new cache is healthy:
//  frontend_feed marks it unhealthy until the catalog's stream is heard.
frontend_cache_t *frontend_cache_new (size_t capacity, bool enabled);
void frontend_cache_destroy (frontend_cache_t **self_p);

bool frontend_cache_enabled (frontend_cache_t *self);
size_t frontend_cache_capacity (frontend_cache_t *self);

//  Looks name up. True on a hit, with the bytes in *hit. False on a miss, with *ticket
//  to present to store once the catalog answered. Takes no lock shared by all threads.
//  A NULL ticket peeks: a miss is not counted, as the caller will look again (an event
//  loop, before it hands the request to a worker).
bool frontend_cache_lookup (frontend_cache_t *self, const char *name,
                            frontend_cache_hit_t *hit, frontend_cache_ticket_t *ticket);

//  Stores the catalog's answer for name, taken with ticket, as the most recent entry,
//  evicting the least recently used one when full. Does nothing when name was
//  invalidated (or the cache flushed or marked unhealthy) since the ticket was taken,
//  or when the response is longer than FRONTEND_CACHE_RESPONSE_MAX.
void frontend_cache_store (frontend_cache_t *self, const frontend_cache_ticket_t *ticket,
                           const char *name, double price, int64_t quantity,
                           const char *response, size_t size, size_t body_offset);

//  Drops name's entry, if cached, and fails every store of name with an older ticket.
void frontend_cache_invalidate (frontend_cache_t *self, const char *name);

//  Drops every entry and fails every store with an older ticket.
void frontend_cache_flush (frontend_cache_t *self);

//  An unhealthy cache serves nothing and stores nothing; either change flushes.
void frontend_cache_set_healthy (frontend_cache_t *self, bool healthy);
bool frontend_cache_healthy (frontend_cache_t *self);

//  Counters since creation; entries is the current count.
void frontend_cache_stats (frontend_cache_t *self, frontend_cache_stats_t *stats);

//  Appends the cache's counters in Prometheus text format to buffer at *used (for
//  /metrics) and advances *used. Returns false, *used unchanged, when they do not fit.
bool frontend_cache_render_metrics (frontend_cache_t *self, char *buffer, size_t size,
                                    size_t *used);

//  Copies up to max entries into items, most recently used first. Returns the count.
size_t frontend_cache_list (frontend_cache_t *self, frontend_cache_item_t *items, size_t max);

#endif
