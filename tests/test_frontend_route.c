/*  test_frontend_route: the REST router maps every path we serve, and refuses hostile
    paths (traversal, percent-encoding, control bytes, over-long) with a clear 4xx.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "frontend_route.h"

typedef struct {
    const char *method;
    const char *path;
    int status;                 //  0: matched
    frontend_route_id_t id;     //  expected route (also for 400/405)
    const char *name;           //  expected stock name, or NULL
    int64_t number;             //  expected order number, or -1
} route_case_t;

static const route_case_t s_cases [] = {
    //  Every route we serve
    { "GET",    "/",                    0,   FRONTEND_ROUTE_PAGE,    NULL, -1 },
    { "GET",    "/stocks",              0,   FRONTEND_ROUTE_STOCKS,  NULL, -1 },
    { "GET",    "/stocks/GameStart",    0,   FRONTEND_ROUTE_STOCK,   "GameStart", -1 },
    { "GET",    "/stocks/a.b_c-9",      0,   FRONTEND_ROUTE_STOCK,   "a.b_c-9", -1 },
    { "GET",    "/stocks/...",          0,   FRONTEND_ROUTE_STOCK,   "...", -1 },
    { "POST",   "/orders",              0,   FRONTEND_ROUTE_ORDERS,  NULL, -1 },
    { "GET",    "/orders/0",            0,   FRONTEND_ROUTE_ORDER,   NULL, 0 },
    { "GET",    "/orders/42",           0,   FRONTEND_ROUTE_ORDER,   NULL, 42 },
    { "GET",    "/orders/999999999999999999", 0, FRONTEND_ROUTE_ORDER, NULL, 999999999999999999LL },
    { "GET",    "/orders/007",          0,   FRONTEND_ROUTE_ORDER,   NULL, 7 },
    { "GET",    "/health",              0,   FRONTEND_ROUTE_HEALTH,  NULL, -1 },
    { "GET",    "/metrics",             0,   FRONTEND_ROUTE_METRICS, NULL, -1 },
    { "GET",    "/stocks?fresh=1",      0,   FRONTEND_ROUTE_STOCKS,  NULL, -1 },
    { "GET",    "/stocks/FishCo?x=/../", 0,  FRONTEND_ROUTE_STOCK,   "FishCo", -1 },
    //  HEAD wherever GET is; one trailing slash on every path (issue 11)
    { "HEAD",   "/",                    0,   FRONTEND_ROUTE_PAGE,    NULL, -1 },
    { "HEAD",   "/stocks",              0,   FRONTEND_ROUTE_STOCKS,  NULL, -1 },
    { "HEAD",   "/stocks/GameStart",    0,   FRONTEND_ROUTE_STOCK,   "GameStart", -1 },
    { "HEAD",   "/orders/3",            0,   FRONTEND_ROUTE_ORDER,   NULL, 3 },
    { "HEAD",   "/health",              0,   FRONTEND_ROUTE_HEALTH,  NULL, -1 },
    { "HEAD",   "/metrics",             0,   FRONTEND_ROUTE_METRICS, NULL, -1 },
    { "HEAD",   "/cache",               0,   FRONTEND_ROUTE_CACHE,   NULL, -1 },
    { "GET",    "/health/live",         0,   FRONTEND_ROUTE_LIVE,    NULL, -1 },
    { "HEAD",   "/health/live/",        0,   FRONTEND_ROUTE_LIVE,    NULL, -1 },
    { "GET",    "/stocks/",             0,   FRONTEND_ROUTE_STOCKS,  NULL, -1 },
    { "GET",    "/stocks/GameStart/",   0,   FRONTEND_ROUTE_STOCK,   "GameStart", -1 },
    { "POST",   "/orders/",             0,   FRONTEND_ROUTE_ORDERS,  NULL, -1 },
    { "GET",    "/orders/7/",           0,   FRONTEND_ROUTE_ORDER,   NULL, 7 },
    { "GET",    "/health/",             0,   FRONTEND_ROUTE_HEALTH,  NULL, -1 },
    { "GET",    "/metrics/",            0,   FRONTEND_ROUTE_METRICS, NULL, -1 },
    { "GET",    "/cache/",              0,   FRONTEND_ROUTE_CACHE,   NULL, -1 },
    { "GET",    "/stocks/?x=1",         0,   FRONTEND_ROUTE_STOCKS,  NULL, -1 },
    //  The live page's files: any "/name.ext" (frontend_static knows which exist)
    { "GET",    "/app.js",              0,   FRONTEND_ROUTE_STATIC,  "app.js", -1 },
    { "GET",    "/favicon.ico",         0,   FRONTEND_ROUTE_STATIC,  "favicon.ico", -1 },
    { "GET",    "/style.css?v=2",       0,   FRONTEND_ROUTE_STATIC,  "style.css", -1 },
    { "POST",   "/app.js",              405, FRONTEND_ROUTE_STATIC,  NULL, -1 },
    { "GET",    "/www/app.js",          404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/a$b.js",              404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    //  Wrong method on a known path
    { "POST",   "/stocks",              405, FRONTEND_ROUTE_STOCKS,  NULL, -1 },
    { "DELETE", "/stocks/FishCo",       405, FRONTEND_ROUTE_STOCK,   NULL, -1 },
    { "GET",    "/orders",              405, FRONTEND_ROUTE_ORDERS,  NULL, -1 },
    { "PUT",    "/orders/1",            405, FRONTEND_ROUTE_ORDER,   NULL, -1 },
    { "POST",   "/",                    405, FRONTEND_ROUTE_PAGE,    NULL, -1 },
    { "get",    "/health",              405, FRONTEND_ROUTE_HEALTH,  NULL, -1 },
    { "HEAD",   "/orders",              405, FRONTEND_ROUTE_ORDERS,  NULL, -1 },
    { "HEAD",   "/orders/",             405, FRONTEND_ROUTE_ORDERS,  NULL, -1 },
    { "POST",   "/health/live",         405, FRONTEND_ROUTE_LIVE,    NULL, -1 },
    //  Unknown paths
    { "GET",    "/nope",                404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks//",            404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "//",                   404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks/A//",          404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/health/live/x",       404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks/A/B",          404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "//stocks/A",           404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/Stocks",              404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocksX",             404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/metrics/x",           404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "POST",   "/nope",                404, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    //  Malformed arguments
    { "GET",    "/stocks/Fish$Co",      400, FRONTEND_ROUTE_STOCK,   NULL, -1 },
    { "GET",    "/stocks/Fish:Co",      400, FRONTEND_ROUTE_STOCK,   NULL, -1 },
    { "GET",    "/orders/-1",           400, FRONTEND_ROUTE_ORDER,   NULL, -1 },
    { "GET",    "/orders/+1",           400, FRONTEND_ROUTE_ORDER,   NULL, -1 },
    { "GET",    "/orders/1e3",          400, FRONTEND_ROUTE_ORDER,   NULL, -1 },
    { "GET",    "/orders/0x10",         400, FRONTEND_ROUTE_ORDER,   NULL, -1 },
    { "GET",    "/orders/1234567890123456789", 400, FRONTEND_ROUTE_ORDER, NULL, -1 },
    //  Hostile paths
    { "GET",    "/stocks/..",           400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks/.",            400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks/../orders/1",  400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/../stocks",           400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/./health",            400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/a/b/c/..",            400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks/..A",          0,   FRONTEND_ROUTE_STOCK,   "..A", -1 },
    { "GET",    "/stocks/%2e%2e",       400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks/AB%00CD",      400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks%2FFishCo",     400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks/Fish Co",      400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks/Fish\tCo",     400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks/Fish\x7f",     400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "/stocks/\xc3\xa9t\xc3\xa9", 400, FRONTEND_ROUTE_OTHER, NULL, -1 },
    { "GET",    "/stocks/A\\B",         400, FRONTEND_ROUTE_STOCK,   NULL, -1 },
    { "GET",    "stocks",               400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "",                     400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "?/stocks",             400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    "http://evil/stocks",   400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { NULL,     "/stocks",              400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
    { "GET",    NULL,                   400, FRONTEND_ROUTE_OTHER,   NULL, -1 },
};

static void
test_route_table (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases [0]; i++) {
        const route_case_t *c = &s_cases [i];
        frontend_route_t route;
        int status = frontend_route_match (&route, c->method, c->path);
        if (status != c->status || route.id != c->id)
            fail_msg ("case %zu: %s %s gave %d route %d, want %d route %d", i,
                      c->method? c->method: "(null)", c->path? c->path: "(null)",
                      status, route.id, c->status, c->id);
        assert_int_equal (route.status, c->status);
        if (status) {
            assert_non_null (route.error);
            assert_true (strlen (route.error) > 0);
        }
        else
            assert_null (route.error);
        if (c->name)
            assert_string_equal (route.name, c->name);
        if (status == 0)
            assert_int_equal (route.number, c->number);
        if (status == 405)
            assert_non_null (route.allow);
        assert_int_equal (route.head, status == 0 && c->method && strcmp (c->method, "HEAD") == 0);
    }
}

//  Names at the length limit are served; one byte more is refused.
static void
test_name_length_limit (void **state)
{
    (void) state;
    char path [128] = "/stocks/";
    memset (path + 8, 'N', 64);
    path [8 + 64] = 0;
    frontend_route_t route;
    assert_int_equal (frontend_route_match (&route, "GET", path), 0);
    assert_int_equal (strlen (route.name), 64);
    path [8 + 64] = 'N';
    path [8 + 65] = 0;
    assert_int_equal (frontend_route_match (&route, "GET", path), 400);
    assert_string_equal (route.error, "stock name is longer than 64 characters");
}

//  A path far longer than anything we serve is refused by length, not scanned whole.
static void
test_overlong_path (void **state)
{
    (void) state;
    static char path [100000];
    path [0] = '/';
    memset (path + 1, 'a', sizeof path - 2);
    path [sizeof path - 1] = 0;
    frontend_route_t route;
    assert_int_equal (frontend_route_match (&route, "GET", path), 414);
    memcpy (path, "/stocks/", 8);
    assert_int_equal (frontend_route_match (&route, "GET", path), 414);
}

//  POST /orders needs a JSON Content-Type; a form or text/plain is refused (415).
static void
test_is_json (void **state)
{
    (void) state;
    const char *good [] = { "application/json", "Application/JSON", "application/json; charset=utf-8",
                            "  application/json ;charset=UTF-8", "application/json\t" };
    const char *bad [] = { NULL, "", "text/plain", "application/x-www-form-urlencoded",
                           "multipart/form-data; boundary=x", "application/jsonx",
                           "application/json-seq", "text/json", "application/ json" };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++)
        assert_true (frontend_route_is_json (good [i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++)
        assert_false (frontend_route_is_json (bad [i]));
}

static void
test_labels (void **state)
{
    (void) state;
    assert_string_equal (frontend_route_label (FRONTEND_ROUTE_STOCK), "stock");
    assert_string_equal (frontend_route_label (FRONTEND_ROUTE_METRICS), "metrics");
    assert_string_equal (frontend_route_label (FRONTEND_ROUTE_OTHER), "other");
    assert_string_equal (frontend_route_label ((frontend_route_id_t) 999), "other");
    //  every route has a distinct label
    for (int a = 0; a < FRONTEND_ROUTE_COUNT; a++)
        for (int b = a + 1; b < FRONTEND_ROUTE_COUNT; b++)
            assert_string_not_equal (frontend_route_label ((frontend_route_id_t) a),
                                     frontend_route_label ((frontend_route_id_t) b));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_route_table),
        cmocka_unit_test (test_name_length_limit),
        cmocka_unit_test (test_overlong_path),
        cmocka_unit_test (test_labels),
        cmocka_unit_test (test_is_json),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
