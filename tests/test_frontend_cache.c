/*  test_frontend_cache: the frontend's LRU lookup cache (frontend_cache) and the feed's
    flush reasons. Run by scripts/run-tests.                                            */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "frontend_cache.h"
#include "frontend_feed.h"

//  Looks name up; on a miss stores "name=quantity" as its response. Returns true on a hit.
static bool
s_get (frontend_cache_t *cache, const char *name, int64_t quantity)
{
    frontend_cache_hit_t hit;
    frontend_cache_ticket_t ticket;
    if (frontend_cache_lookup (cache, name, &hit, &ticket))
        return true;
    char response [128];
    int size = snprintf (response, sizeof response, "HEAD\n%s=%lld", name, (long long) quantity);
    frontend_cache_store (cache, &ticket, name, 1.5, quantity, response, (size_t) size, 5);
    return false;
}

//  The cached body of name ("" when not cached), as a hit would serve it.
static const char *
s_body (frontend_cache_t *cache, const char *name)
{
    static char body [FRONTEND_CACHE_RESPONSE_MAX + 1];
    frontend_cache_hit_t hit;
    frontend_cache_ticket_t ticket;
    body [0] = 0;
    if (frontend_cache_lookup (cache, name, &hit, &ticket)) {
        memcpy (body, hit.response + hit.body_offset, hit.size - hit.body_offset);
        body [hit.size - hit.body_offset] = 0;
    }
    return body;
}

//  The cached names, most recent first, joined by spaces.
static const char *
s_order (frontend_cache_t *cache)
{
    static char text [1024];
    frontend_cache_item_t items [16];
    size_t count = frontend_cache_list (cache, items, 16);
    text [0] = 0;
    for (size_t i = 0; i < count; i++) {
        if (i)
            strcat (text, " ");
        strcat (text, items [i].name);
    }
    return text;
}

static frontend_cache_stats_t
s_stats (frontend_cache_t *cache)
{
    frontend_cache_stats_t stats;
    frontend_cache_stats (cache, &stats);
    return stats;
}

static void
test_starts_empty_then_miss_fill_hit (void **state)
{
    (void) state;
    frontend_cache_t *cache = frontend_cache_new (8, true);
    assert_non_null (cache);
    assert_int_equal (s_stats (cache).entries, 0);
    assert_string_equal (s_order (cache), "");
    assert_false (s_get (cache, "GameStart", 100));
    assert_true (s_get (cache, "GameStart", 100));
    assert_true (s_get (cache, "GameStart", 100));     //  the thread's snapshot now
    assert_string_equal (s_body (cache, "GameStart"), "GameStart=100");
    frontend_cache_stats_t stats = s_stats (cache);
    assert_int_equal (stats.misses, 1);
    assert_int_equal (stats.hits, 3);
    assert_int_equal (stats.entries, 1);
    assert_int_equal (stats.evictions, 0);
    frontend_cache_destroy (&cache);
    assert_null (cache);
    frontend_cache_destroy (&cache);
}

static void
test_lru_order_and_eviction (void **state)
{
    (void) state;
    frontend_cache_t *cache = frontend_cache_new (3, true);
    assert_false (s_get (cache, "A", 1));
    assert_false (s_get (cache, "B", 2));
    assert_false (s_get (cache, "C", 3));
    assert_string_equal (s_order (cache), "C B A");
    assert_true (s_get (cache, "A", 1));               //  A is now the most recent
    assert_string_equal (s_order (cache), "A C B");
    assert_false (s_get (cache, "D", 4));              //  full: B, the least recent, goes
    assert_string_equal (s_order (cache), "D A C");
    assert_int_equal (s_stats (cache).evictions, 1);
    assert_false (s_get (cache, "B", 2));              //  B was evicted: a miss; C goes
    assert_string_equal (s_order (cache), "B D A");
    assert_true (s_get (cache, "A", 1));
    assert_true (s_get (cache, "D", 4));
    assert_false (s_get (cache, "E", 5));              //  B is now the least recent
    assert_string_equal (s_order (cache), "E D A");
    frontend_cache_stats_t stats = s_stats (cache);
    assert_int_equal (stats.evictions, 3);
    assert_int_equal (stats.entries, 3);
    assert_int_equal (stats.misses, 6);
    assert_int_equal (stats.hits, 3);
    frontend_cache_destroy (&cache);
}

static void
test_size_is_bounded (void **state)
{
    (void) state;
    frontend_cache_t *cache = frontend_cache_new (8, true);
    char name [16];
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 12; i++) {
            snprintf (name, sizeof name, "S%d", i);
            s_get (cache, name, i);
            assert_true (s_stats (cache).entries <= 8);
        }
    assert_int_equal (s_stats (cache).entries, 8);
    //  Cycling 12 names through 8 entries in LRU order misses every time
    assert_int_equal (s_stats (cache).hits, 0);
    assert_int_equal (s_stats (cache).evictions, 36 - 8);
    frontend_cache_destroy (&cache);
}

static void
test_invalidate_drops_entry (void **state)
{
    (void) state;
    frontend_cache_t *cache = frontend_cache_new (8, true);
    s_get (cache, "A", 1);
    s_get (cache, "B", 2);
    assert_true (s_get (cache, "A", 1));               //  a snapshot of A in this thread
    frontend_cache_invalidate (cache, "A");
    frontend_cache_invalidate (cache, "Nope");         //  not cached: fine
    assert_string_equal (s_order (cache), "B");
    assert_false (s_get (cache, "A", 7));              //  the snapshot is not served
    assert_string_equal (s_body (cache, "A"), "A=7");
    assert_int_equal (s_stats (cache).invalidations, 1);
    assert_int_equal (s_stats (cache).entries, 2);
    frontend_cache_destroy (&cache);
}

//  The reads-see-writes race: a miss read the old state from the catalog, the trade's
//  invalidation came, then the miss tries to store the old state.
static void
test_stale_fill_is_not_stored (void **state)
{
    (void) state;
    frontend_cache_t *cache = frontend_cache_new (8, true);
    frontend_cache_hit_t hit;
    frontend_cache_ticket_t ticket;
    assert_false (frontend_cache_lookup (cache, "A", &hit, &ticket));
    assert_true (ticket.valid);
    frontend_cache_invalidate (cache, "A");
    frontend_cache_store (cache, &ticket, "A", 1.0, 100, "H\nA=100", 7, 2);
    assert_int_equal (s_stats (cache).entries, 0);
    assert_false (frontend_cache_lookup (cache, "A", &hit, &ticket));
    //  The same with a flush in between
    frontend_cache_flush (cache);
    frontend_cache_store (cache, &ticket, "A", 1.0, 100, "H\nA=100", 7, 2);
    assert_int_equal (s_stats (cache).entries, 0);
    //  A fresh ticket stores
    assert_false (frontend_cache_lookup (cache, "A", &hit, &ticket));
    frontend_cache_store (cache, &ticket, "A", 1.0, 99, "H\nA=99", 6, 2);
    assert_string_equal (s_body (cache, "A"), "A=99");
    frontend_cache_destroy (&cache);
}

static void
test_flush_and_health (void **state)
{
    (void) state;
    frontend_cache_t *cache = frontend_cache_new (8, true);
    s_get (cache, "A", 1);
    s_get (cache, "B", 2);
    assert_true (s_get (cache, "A", 1));
    frontend_cache_flush (cache);
    assert_int_equal (s_stats (cache).entries, 0);
    assert_int_equal (s_stats (cache).invalidations, 2);
    assert_false (s_get (cache, "A", 1));

    //  Unhealthy: nothing served, nothing stored
    frontend_cache_set_healthy (cache, false);
    assert_false (frontend_cache_healthy (cache));
    assert_int_equal (s_stats (cache).entries, 0);
    frontend_cache_hit_t hit;
    frontend_cache_ticket_t ticket;
    assert_false (frontend_cache_lookup (cache, "A", &hit, &ticket));
    assert_false (ticket.valid);
    assert_false (s_get (cache, "C", 3));
    assert_false (s_get (cache, "C", 3));
    assert_int_equal (s_stats (cache).entries, 0);

    //  A ticket taken while healthy does not store after a health change
    frontend_cache_set_healthy (cache, true);
    assert_false (frontend_cache_lookup (cache, "D", &hit, &ticket));
    frontend_cache_set_healthy (cache, false);
    frontend_cache_set_healthy (cache, true);
    frontend_cache_store (cache, &ticket, "D", 1.0, 4, "H\nD=4", 5, 2);
    assert_int_equal (s_stats (cache).entries, 0);
    assert_false (s_get (cache, "D", 4));
    assert_true (s_get (cache, "D", 4));
    frontend_cache_destroy (&cache);
}

static void
test_disabled_cache (void **state)
{
    (void) state;
    frontend_cache_t *cache = frontend_cache_new (8, false);
    assert_false (frontend_cache_enabled (cache));
    assert_false (s_get (cache, "A", 1));
    assert_false (s_get (cache, "A", 1));
    frontend_cache_invalidate (cache, "A");
    frontend_cache_flush (cache);
    frontend_cache_stats_t stats = s_stats (cache);
    assert_int_equal (stats.hits + stats.misses + stats.entries + stats.invalidations, 0);
    frontend_cache_destroy (&cache);
}

static void
test_bad_stores_refused (void **state)
{
    (void) state;
    frontend_cache_t *cache = frontend_cache_new (0, true);    //  clamped to 1
    assert_int_equal (frontend_cache_capacity (cache), 1);
    frontend_cache_hit_t hit;
    frontend_cache_ticket_t ticket;
    assert_false (frontend_cache_lookup (cache, "A", &hit, &ticket));
    char big [FRONTEND_CACHE_RESPONSE_MAX + 1];
    memset (big, 'x', sizeof big);
    frontend_cache_store (cache, &ticket, "A", 1.0, 1, big, sizeof big, 0);
    frontend_cache_store (cache, &ticket, "A", 1.0, 1, "abc", 3, 4);       //  offset past end
    frontend_cache_store (cache, &ticket, "B", 1.0, 1, "abc", 3, 0);       //  not its ticket
    assert_int_equal (s_stats (cache).entries, 0);
    frontend_cache_destroy (&cache);
    cache = frontend_cache_new (FRONTEND_CACHE_MAX + 5, true);
    assert_int_equal (frontend_cache_capacity (cache), FRONTEND_CACHE_MAX);
    frontend_cache_destroy (&cache);
}

//  Two caches in one thread: a snapshot of one is never served by the other.
static void
test_two_caches (void **state)
{
    (void) state;
    frontend_cache_t *one = frontend_cache_new (4, true);
    frontend_cache_t *two = frontend_cache_new (4, true);
    s_get (one, "A", 1);
    assert_true (s_get (one, "A", 1));
    assert_false (s_get (two, "A", 2));
    assert_string_equal (s_body (one, "A"), "A=1");
    assert_string_equal (s_body (two, "A"), "A=2");
    frontend_cache_destroy (&one);
    frontend_cache_destroy (&two);
}

//  --------------------------------------------------------------------------
//  Threads: hits, misses and invalidations at once. The "catalog" is a per-name counter
//  that the main thread raises, then invalidates (a trade, then its push). A reader
//  that saw version k before its lookup must be served k - 1 or later (the
//  invalidation of k may still be under way, not that of k - 1); at the end, every
//  entry holds its name's final version. Readers count violations (cmocka asserts
//  belong to the main thread).

#define NAMES   12
#define THREADS 4
static atomic_long s_version [NAMES];
static frontend_cache_t *s_shared;
static atomic_bool s_stop;
static atomic_long s_violations;

static void *
s_reader (void *args)
{
    (void) args;
    char name [8];
    unsigned seed = (unsigned) (uintptr_t) pthread_self ();
    while (!atomic_load (&s_stop)) {
        int index = (int) (rand_r (&seed) % NAMES);
        snprintf (name, sizeof name, "N%d", index);
        frontend_cache_hit_t hit;
        frontend_cache_ticket_t ticket;
        long before = atomic_load (&s_version [index]);
        if (frontend_cache_lookup (s_shared, name, &hit, &ticket)) {
            long served = -1;
            char body [32];
            size_t length = hit.size - hit.body_offset;
            memcpy (body, hit.response + hit.body_offset, length < 31? length: 31);
            body [length < 31? length: 31] = 0;
            if (sscanf (body, "%ld", &served) != 1 || served < before - 1
            ||  served > atomic_load (&s_version [index]))
                atomic_fetch_add (&s_violations, 1);
        }
        else {
            long version = atomic_load (&s_version [index]);
            char response [64];
            int size = snprintf (response, sizeof response, "H\n%ld", version);
            frontend_cache_store (s_shared, &ticket, name, 1.0, version, response, (size_t) size, 2);
        }
    }
    return NULL;
}

static void
test_threads_never_serve_invalidated (void **state)
{
    (void) state;
    s_shared = frontend_cache_new (8, true);
    atomic_store (&s_stop, false);
    atomic_store (&s_violations, 0);
    for (int i = 0; i < NAMES; i++)
        atomic_store (&s_version [i], 0);
    pthread_t threads [THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create (&threads [i], NULL, s_reader, NULL);
    char name [8];
    for (int round = 0; round < 20000; round++) {
        int index = round % NAMES;
        snprintf (name, sizeof name, "N%d", index);
        //  A trade: the catalog changes first, then the invalidation
        atomic_fetch_add (&s_version [index], 1);
        frontend_cache_invalidate (s_shared, name);
        if (round % 5000 == 0)
            frontend_cache_flush (s_shared);
    }
    atomic_store (&s_stop, true);
    for (int i = 0; i < THREADS; i++)
        pthread_join (threads [i], NULL);
    assert_int_equal (atomic_load (&s_violations), 0);
    //  Nothing older than the final versions remains
    frontend_cache_item_t items [8];
    size_t count = frontend_cache_list (s_shared, items, 8);
    assert_true (count <= 8);
    for (size_t i = 0; i < count; i++) {
        int index = atoi (items [i].name + 1);
        assert_int_equal (items [i].quantity, atomic_load (&s_version [index]));
    }
    frontend_cache_stats_t stats = s_stats (s_shared);
    assert_int_equal (stats.entries, count);
    frontend_cache_destroy (&s_shared);
}

//  --------------------------------------------------------------------------
//  The feed's flush reasons (its stream checks are bz_stream's: test_bz_stream)

static void
test_feed_reasons (void **state)
{
    (void) state;
    assert_string_equal (frontend_feed_reason (FRONTEND_FLUSH_GAP), "gap");
    assert_string_equal (frontend_feed_reason (FRONTEND_FLUSH_REASONS), "other");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_starts_empty_then_miss_fill_hit),
        cmocka_unit_test (test_lru_order_and_eviction),
        cmocka_unit_test (test_size_is_bounded),
        cmocka_unit_test (test_invalidate_drops_entry),
        cmocka_unit_test (test_stale_fill_is_not_stored),
        cmocka_unit_test (test_flush_and_health),
        cmocka_unit_test (test_disabled_cache),
        cmocka_unit_test (test_bad_stores_refused),
        cmocka_unit_test (test_two_caches),
        cmocka_unit_test (test_threads_never_serve_invalidated),
        cmocka_unit_test (test_feed_reasons),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
