/*  frontend_cache: the frontend's LRU cache of stock lookups, safe under the frontend's
    event loops and workers. frontend_api reads and fills it; frontend_feed invalidates it from the catalog.

    Why this shape. The benchmark (and real traffic) hammers a few hot stocks from every
    event loop (hits) and worker (fills), so name-hash shards alone would still funnel
    every thread through the one shard of the hot stock. Instead:
    - Entries live in one fixed array, never freed while the cache lives. Each carries an
      atomic version, bumped under its shard's mutex on every change (fill, invalidate,
      evict, flush).
    - Each thread keeps a small private snapshot table (L1) of the entries it served:
      entry pointer, version, and a copy of the response bytes. A hit whose snapshot
      version still equals the entry's version is served from the private copy after one
      atomic load: no lock, no shared write, no allocation (RCU-style versioned snapshot).
    - Anything else (first hit by a thread, a changed entry) takes the mutex of the stock's
      shard (16 shards by name hash) and refreshes the snapshot.
    - Recency is a per-entry atomic "last use" stamp from a logical clock, written only
      when the entry is not already the most recent one, so a lone hot stock causes no
      shared writes at all. The LRU victim is the entry with the smallest stamp, found by
      a scan under the fill mutex: fills follow a bus round trip (~100 us), so the scan of
      at most FRONTEND_CACHE_MAX stamps is noise, and no list needs relinking on a hit.
    - Stores (misses) are serialised by one fill mutex; they are on the bus path already.
    - A miss takes a ticket (its shard's generation) before asking the catalog; every
      invalidation bumps the generation of the stock's shard, so a reply that was read
      before a trade is never stored after the trade's invalidation.
    Lock order: fill mutex, then one shard mutex at a time.                                 */
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include "frontend_cache.h"

#define SHARDS      16
#define L1_SLOTS    4           //  per thread, direct-mapped by name hash: a few hot stocks;
                                //  TLS costs every thread (~500 B a slot)
#define STRIPES     16          //  hit/miss counters, so hits write no shared line
#define LINE        64

typedef struct _entry_t entry_t;
struct _entry_t {
    atomic_uint_fast64_t version;       //  read lock-free by snapshots
    atomic_uint_fast64_t last_use;      //  logical clock stamp
    atomic_bool used;                   //  read by the fill scan without the shard lock
    //  Below: written and read under the shard mutex of name (only)
    unsigned shard;
    entry_t *next;                      //  in its shard's chain
    char name [BZ_NAME_MAX + 1];
    double price;
    int64_t quantity;
    size_t size, body_offset;
    char response [FRONTEND_CACHE_RESPONSE_MAX];
};

typedef struct {
    pthread_mutex_t lock;
    entry_t *chain;                     //  the shard's entries
    atomic_uint_fast64_t generation;    //  bumped by every invalidation in the shard
} __attribute__ ((aligned (LINE))) shard_t;

typedef struct {
    atomic_uint_fast64_t hits, misses;
} __attribute__ ((aligned (LINE))) stripe_t;

struct _frontend_cache_t {
    uint64_t id;                        //  tells snapshots of different caches apart
    bool enabled;
    size_t capacity;
    entry_t *entries;                   //  capacity of them
    shard_t shards [SHARDS];
    stripe_t stripes [STRIPES];
    pthread_mutex_t fill_lock;
    atomic_bool healthy;
    atomic_uint_fast64_t clock __attribute__ ((aligned (LINE)));
    atomic_uint_fast64_t evictions, invalidations, count;
};

//  A thread's private copy of one entry.
typedef struct {
    uint64_t cache_id;                  //  0: empty
    entry_t *entry;
    uint64_t version;
    char name [BZ_NAME_MAX + 1];
    size_t size, body_offset;
    char response [FRONTEND_CACHE_RESPONSE_MAX];
} snapshot_t;

static _Thread_local snapshot_t s_l1 [L1_SLOTS];
static _Thread_local unsigned s_stripe = UINT32_MAX;
static atomic_uint s_next_stripe;
static atomic_uint_fast64_t s_next_id = 1;

//  FNV-1a: names are short; low bits pick the L1 slot, the next ones the shard.
static uint32_t
s_hash (const char *name)
{
    uint32_t hash = 2166136261u;
    for (; *name; name++)
        hash = (hash ^ (uint8_t) *name) * 16777619u;
    return hash ^ (hash >> 15);
}

static stripe_t *
s_my_stripe (frontend_cache_t *self)
{
    if (s_stripe == UINT32_MAX)
        s_stripe = atomic_fetch_add_explicit (&s_next_stripe, 1, memory_order_relaxed) % STRIPES;
    return &self->stripes [s_stripe];
}

static void
s_count (atomic_uint_fast64_t *counter)
{
    atomic_fetch_add_explicit (counter, 1, memory_order_relaxed);
}

frontend_cache_t *
frontend_cache_new (size_t capacity, bool enabled)
{
    if (capacity < 1)
        capacity = 1;
    if (capacity > FRONTEND_CACHE_MAX)
        capacity = FRONTEND_CACHE_MAX;
    frontend_cache_t *self = (frontend_cache_t *) zmalloc (sizeof (frontend_cache_t));
    self->entries = (entry_t *) zmalloc (capacity * sizeof (entry_t));
    if (!self->entries) {
        free (self);
        return NULL;
    }
    self->id = atomic_fetch_add (&s_next_id, 1);
    self->enabled = enabled;
    self->capacity = capacity;
    for (size_t i = 0; i < capacity; i++) {
        atomic_init (&self->entries [i].version, 0);
        atomic_init (&self->entries [i].last_use, 0);
        atomic_init (&self->entries [i].used, false);
    }
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_init (&self->shards [i].lock, NULL);
        atomic_init (&self->shards [i].generation, 0);
    }
    for (int i = 0; i < STRIPES; i++) {
        atomic_init (&self->stripes [i].hits, 0);
        atomic_init (&self->stripes [i].misses, 0);
    }
    pthread_mutex_init (&self->fill_lock, NULL);
    atomic_init (&self->healthy, true);
    atomic_init (&self->clock, 0);
    atomic_init (&self->evictions, 0);
    atomic_init (&self->invalidations, 0);
    atomic_init (&self->count, 0);
    return self;
}

void
frontend_cache_destroy (frontend_cache_t **self_p)
{
    assert (self_p);
    frontend_cache_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_destroy (&self->shards [i].lock);
    pthread_mutex_destroy (&self->fill_lock);
    free (self->entries);
    free (self);
    *self_p = NULL;
}

bool
frontend_cache_enabled (frontend_cache_t *self)
{
    assert (self);
    return self->enabled;
}

size_t
frontend_cache_capacity (frontend_cache_t *self)
{
    assert (self);
    return self->capacity;
}

//  Marks entry the most recently used. Writes only when it is not already: a lone hot
//  stock then never writes a shared cache line. Racing touches may leave a slightly
//  older stamp; LRU order under concurrency is approximate by nature.
static void
s_touch (frontend_cache_t *self, entry_t *entry)
{
    uint64_t clock = atomic_load_explicit (&self->clock, memory_order_relaxed);
    uint64_t last = atomic_load_explicit (&entry->last_use, memory_order_relaxed);
    if (last == clock && clock != 0)
        return;
    uint64_t stamp = atomic_fetch_add_explicit (&self->clock, 1, memory_order_relaxed) + 1;
    while (last < stamp && !atomic_compare_exchange_weak_explicit (&entry->last_use, &last,
                                    stamp, memory_order_relaxed, memory_order_relaxed))
        ;
}

static entry_t *
s_find (shard_t *shard, const char *name)
{
    for (entry_t *entry = shard->chain; entry; entry = entry->next)
        if (streq (entry->name, name))
            return entry;
    return NULL;
}

//  Unlinks entry from its shard (whose lock the caller holds) and frees its slot.
static void
s_remove (frontend_cache_t *self, shard_t *shard, entry_t *entry)
{
    for (entry_t **link = &shard->chain; *link; link = &(*link)->next)
        if (*link == entry) {
            *link = entry->next;
            break;
        }
    entry->next = NULL;
    atomic_fetch_add_explicit (&entry->version, 1, memory_order_release);
    atomic_store_explicit (&entry->used, false, memory_order_release);
    atomic_fetch_sub_explicit (&self->count, 1, memory_order_relaxed);
}

static void
s_fill_hit (snapshot_t *snapshot, frontend_cache_hit_t *hit)
{
    hit->response = snapshot->response;
    hit->size = snapshot->size;
    hit->body_offset = snapshot->body_offset;
}

bool
frontend_cache_lookup (frontend_cache_t *self, const char *name,
                       frontend_cache_hit_t *hit, frontend_cache_ticket_t *ticket)
{
    assert (self && name && hit);
    if (ticket)
        ticket->valid = false;
    if (!self->enabled)
        return false;
    uint32_t hash = s_hash (name);
    if (!atomic_load_explicit (&self->healthy, memory_order_acquire)) {
        if (ticket)
            s_count (&s_my_stripe (self)->misses);
        return false;
    }
    //  The fast path: our own snapshot, still current
    snapshot_t *snapshot = &s_l1 [hash % L1_SLOTS];
    if (snapshot->cache_id == self->id && streq (snapshot->name, name)
    &&  atomic_load_explicit (&snapshot->entry->version, memory_order_acquire) == snapshot->version) {
        s_touch (self, snapshot->entry);
        s_count (&s_my_stripe (self)->hits);
        s_fill_hit (snapshot, hit);
        return true;
    }
    unsigned index = (hash / L1_SLOTS) % SHARDS;
    shard_t *shard = &self->shards [index];
    pthread_mutex_lock (&shard->lock);
    entry_t *entry = s_find (shard, name);
    if (entry) {
        snapshot->cache_id = self->id;
        snapshot->entry = entry;
        snapshot->version = atomic_load_explicit (&entry->version, memory_order_relaxed);
        memcpy (snapshot->name, entry->name, sizeof snapshot->name);
        memcpy (snapshot->response, entry->response, entry->size);
        snapshot->size = entry->size;
        snapshot->body_offset = entry->body_offset;
        s_touch (self, entry);
    }
    else
    if (ticket) {
        ticket->valid = true;
        ticket->shard = index;
        ticket->generation = atomic_load_explicit (&shard->generation, memory_order_acquire);
    }
    pthread_mutex_unlock (&shard->lock);
    if (entry || ticket)
        s_count (entry? &s_my_stripe (self)->hits: &s_my_stripe (self)->misses);
    if (entry)
        s_fill_hit (snapshot, hit);
    return entry != NULL;
}

//  True when a store with ticket may still go in (shard lock held or not: re-checked).
static bool
s_ticket_current (frontend_cache_t *self, const frontend_cache_ticket_t *ticket)
{
    return atomic_load_explicit (&self->healthy, memory_order_acquire)
        && atomic_load_explicit (&self->shards [ticket->shard].generation, memory_order_acquire)
           == ticket->generation;
}

//  A free entry, or the least recently used one emptied. Fill lock held.
static entry_t *
s_take_entry (frontend_cache_t *self)
{
    entry_t *victim = NULL;
    for (size_t i = 0; i < self->capacity; i++) {
        entry_t *entry = &self->entries [i];
        if (!atomic_load_explicit (&entry->used, memory_order_acquire))
            return entry;
        if (!victim || atomic_load_explicit (&entry->last_use, memory_order_relaxed)
                     < atomic_load_explicit (&victim->last_use, memory_order_relaxed))
            victim = entry;
    }
    //  Only stores make entries used, and we hold the fill lock: victim stays ours,
    //  unless an invalidation empties it first, which is just as good.
    shard_t *shard = &self->shards [victim->shard];
    pthread_mutex_lock (&shard->lock);
    if (atomic_load_explicit (&victim->used, memory_order_relaxed)) {
        s_remove (self, shard, victim);
        s_count (&self->evictions);
    }
    pthread_mutex_unlock (&shard->lock);
    return victim;
}

static void
s_write_entry (entry_t *entry, unsigned shard, const char *name, double price, int64_t quantity,
               const char *response, size_t size, size_t body_offset)
{
    entry->shard = shard;
    snprintf (entry->name, sizeof entry->name, "%s", name);
    entry->price = price;
    entry->quantity = quantity;
    memcpy (entry->response, response, size);
    entry->size = size;
    entry->body_offset = body_offset;
    atomic_fetch_add_explicit (&entry->version, 1, memory_order_release);
}

void
frontend_cache_store (frontend_cache_t *self, const frontend_cache_ticket_t *ticket,
                      const char *name, double price, int64_t quantity,
                      const char *response, size_t size, size_t body_offset)
{
    assert (self && ticket && name && response);
    if (!self->enabled || !ticket->valid || ticket->shard >= SHARDS
    ||  size > FRONTEND_CACHE_RESPONSE_MAX || body_offset > size
    ||  strlen (name) > BZ_NAME_MAX || (s_hash (name) / L1_SLOTS) % SHARDS != ticket->shard)
        return;
    pthread_mutex_lock (&self->fill_lock);
    shard_t *shard = &self->shards [ticket->shard];
    if (!s_ticket_current (self, ticket)) {
        pthread_mutex_unlock (&self->fill_lock);
        return;
    }
    pthread_mutex_lock (&shard->lock);
    entry_t *entry = s_find (shard, name);
    if (entry) {
        //  Another thread's miss stored it meanwhile; ours is at least as fresh
        s_write_entry (entry, ticket->shard, name, price, quantity, response, size, body_offset);
        s_touch (self, entry);
    }
    pthread_mutex_unlock (&shard->lock);
    if (!entry) {
        entry = s_take_entry (self);
        pthread_mutex_lock (&shard->lock);
        //  The eviction let go of every lock but ours: ask again
        if (s_ticket_current (self, ticket)) {
            s_write_entry (entry, ticket->shard, name, price, quantity, response, size, body_offset);
            entry->next = shard->chain;
            shard->chain = entry;
            atomic_store_explicit (&entry->last_use, 0, memory_order_relaxed);
            s_touch (self, entry);
            atomic_store_explicit (&entry->used, true, memory_order_release);
            atomic_fetch_add_explicit (&self->count, 1, memory_order_relaxed);
        }
        pthread_mutex_unlock (&shard->lock);
    }
    pthread_mutex_unlock (&self->fill_lock);
}

void
frontend_cache_invalidate (frontend_cache_t *self, const char *name)
{
    assert (self && name);
    if (!self->enabled)
        return;
    shard_t *shard = &self->shards [(s_hash (name) / L1_SLOTS) % SHARDS];
    pthread_mutex_lock (&shard->lock);
    //  Even when name is not cached: a miss for it may be on its way back from the catalog
    atomic_fetch_add_explicit (&shard->generation, 1, memory_order_seq_cst);
    entry_t *entry = s_find (shard, name);
    if (entry) {
        s_remove (self, shard, entry);
        s_count (&self->invalidations);
    }
    pthread_mutex_unlock (&shard->lock);
}

void
frontend_cache_flush (frontend_cache_t *self)
{
    assert (self);
    if (!self->enabled)
        return;
    for (int i = 0; i < SHARDS; i++) {
        shard_t *shard = &self->shards [i];
        pthread_mutex_lock (&shard->lock);
        atomic_fetch_add_explicit (&shard->generation, 1, memory_order_seq_cst);
        while (shard->chain) {
            s_remove (self, shard, shard->chain);
            s_count (&self->invalidations);
        }
        pthread_mutex_unlock (&shard->lock);
    }
}

void
frontend_cache_set_healthy (frontend_cache_t *self, bool healthy)
{
    assert (self);
    //  Unhealthy first, then flush: nothing is served from here on. Healthy: flush
    //  first, so a store that was taken while unhealthy fails on the new generation.
    if (!healthy)
        atomic_store_explicit (&self->healthy, false, memory_order_seq_cst);
    frontend_cache_flush (self);
    if (healthy)
        atomic_store_explicit (&self->healthy, true, memory_order_seq_cst);
}

bool
frontend_cache_healthy (frontend_cache_t *self)
{
    assert (self);
    return atomic_load_explicit (&self->healthy, memory_order_acquire);
}

void
frontend_cache_stats (frontend_cache_t *self, frontend_cache_stats_t *stats)
{
    assert (self && stats);
    memset (stats, 0, sizeof *stats);
    for (int i = 0; i < STRIPES; i++) {
        stats->hits += atomic_load_explicit (&self->stripes [i].hits, memory_order_relaxed);
        stats->misses += atomic_load_explicit (&self->stripes [i].misses, memory_order_relaxed);
    }
    stats->evictions = atomic_load_explicit (&self->evictions, memory_order_relaxed);
    stats->invalidations = atomic_load_explicit (&self->invalidations, memory_order_relaxed);
    stats->entries = atomic_load_explicit (&self->count, memory_order_relaxed);
}

static int
s_more_recent_first (const void *a, const void *b)
{
    uint64_t x = ((const frontend_cache_item_t *) a)->last_use;
    uint64_t y = ((const frontend_cache_item_t *) b)->last_use;
    return x < y? 1: x > y? -1: 0;
}

size_t
frontend_cache_list (frontend_cache_t *self, frontend_cache_item_t *items, size_t max)
{
    assert (self && (items || max == 0));
    size_t count = 0;
    for (int i = 0; i < SHARDS && count < max; i++) {
        shard_t *shard = &self->shards [i];
        pthread_mutex_lock (&shard->lock);
        for (entry_t *entry = shard->chain; entry && count < max; entry = entry->next) {
            frontend_cache_item_t *item = &items [count++];
            memcpy (item->name, entry->name, sizeof item->name);
            item->price = entry->price;
            item->quantity = entry->quantity;
            item->last_use = atomic_load_explicit (&entry->last_use, memory_order_relaxed);
        }
        pthread_mutex_unlock (&shard->lock);
    }
    qsort (items, count, sizeof *items, s_more_recent_first);
    return count;
}

bool
frontend_cache_render_metrics (frontend_cache_t *self, char *buffer, size_t size, size_t *used)
{
    assert (self && buffer && used && *used <= size);
    frontend_cache_stats_t stats;
    frontend_cache_stats (self, &stats);
    int n = snprintf (buffer + *used, size - *used,
        "# HELP bazaar_cache_hits_total Stock lookups answered from the frontend cache.\n"
        "# TYPE bazaar_cache_hits_total counter\n"
        "bazaar_cache_hits_total %" PRIu64 "\n"
        "# HELP bazaar_cache_misses_total Stock lookups the cache sent to the catalog.\n"
        "# TYPE bazaar_cache_misses_total counter\n"
        "bazaar_cache_misses_total %" PRIu64 "\n"
        "# HELP bazaar_cache_evictions_total Entries dropped to make room (least recently used).\n"
        "# TYPE bazaar_cache_evictions_total counter\n"
        "bazaar_cache_evictions_total %" PRIu64 "\n"
        "# HELP bazaar_cache_invalidations_total Entries dropped because the stock changed or the stream was unsafe.\n"
        "# TYPE bazaar_cache_invalidations_total counter\n"
        "bazaar_cache_invalidations_total %" PRIu64 "\n"
        "# HELP bazaar_cache_entries Stocks in the cache now.\n"
        "# TYPE bazaar_cache_entries gauge\n"
        "bazaar_cache_entries %" PRIu64 "\n",
        stats.hits, stats.misses, stats.evictions, stats.invalidations, stats.entries);
    if (n < 0 || (size_t) n >= size - *used)
        return false;
    *used += (size_t) n;
    return true;
}
