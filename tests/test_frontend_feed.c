/*  test_frontend_feed: the frontend's background actors (the catalog stream's feed and
    the live page's pusher) report a failed start to their constructor, which returns
    NULL, instead of returning an object whose actor is already gone (zactor_new ignores
    the start signal's status). Run by scripts/run-tests.                             */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "frontend_feed.h"
#include "frontend_live.h"

//  CURVE on and no process security set: no socket of the actor can be secured.
static bz_config_t *
s_config_curve_without_keys (void)
{
    setenv ("BAZAAR_CURVE", "on", 1);
    bz_config_t *config = bz_config_new_defaults ();
    unsetenv ("BAZAAR_CURVE");
    assert_non_null (config);
    return config;
}

static void
test_feed_that_cannot_start_is_refused (void **state)
{
    (void) state;
    bz_config_t *config = s_config_curve_without_keys ();
    frontend_cache_t *cache = frontend_cache_new (8, true);
    frontend_feed_t *feed = frontend_feed_new (config, cache, NULL);
    assert_null (feed);
    frontend_cache_destroy (&cache);
    bz_config_destroy (&config);
}

static void
test_pusher_that_cannot_start_is_refused (void **state)
{
    (void) state;
    bz_config_t *config = s_config_curve_without_keys ();
    frontend_live_t *live = frontend_live_new (config, 4);
    assert_null (live);
    bz_config_destroy (&config);
}

//  With CURVE off both start, and stop cleanly.
static void
test_both_start_without_curve (void **state)
{
    (void) state;
    bz_config_t *config = bz_config_new_defaults ();
    assert_non_null (config);
    frontend_cache_t *cache = frontend_cache_new (8, true);
    frontend_live_t *live = frontend_live_new (config, 4);
    assert_non_null (live);
    frontend_feed_t *feed = frontend_feed_new (config, cache, live);
    assert_non_null (feed);
    frontend_feed_destroy (&feed);
    frontend_live_destroy (&live);
    frontend_cache_destroy (&cache);
    bz_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_feed_that_cannot_start_is_refused),
        cmocka_unit_test (test_pusher_that_cannot_start_is_refused),
        cmocka_unit_test (test_both_start_without_curve),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
