/*  bazaar-lag: measures how long a trade acknowledged by one frontend takes to reach
    another frontend's cache (docs/promises.md promise 4). Used by scripts/bench.
    Usage: bazaar-lag TRADE_URL WATCH_URL STOCK ROUNDS                                  */
#include <curl/curl.h>
#include <czmq.h>
#include "client_http.h"
#include "client_stats.h"
#include "bz_cli.h"

static const bz_cli_t s_cli = {
    "bazaar-lag", "TRADE_URL WATCH_URL STOCK ROUNDS",
    "Measures how long a trade acknowledged through TRADE_URL takes to reach the cache of\n"
    "the frontend at WATCH_URL, over ROUNDS trades of STOCK; prints one JSON line.",
    NULL, 4, 4,
    "  0  every round saw its trade\n  1  a trade failed or never showed (2 s)\n  2  usage error"
};

//  The quantity WATCH reports for the stock, or -1.
static int64_t
s_quantity (client_http_t *watch, const char *path)
{
    json_t *body = NULL;
    int64_t quantity = -1;
    if (client_http_get (watch, path, &body) == 200)
        quantity = json_integer_value (json_object_get (json_object_get (body, "data"), "quantity"));
    json_decref (body);
    return quantity;
}

//  One round: warm WATCH's cache, trade through TRADE, then time until WATCH shows it.
//  Returns the delay in µs, or -1 if the trade failed or WATCH never changed (2 s).
static int64_t
s_round (client_http_t *trade, client_http_t *watch, const char *stock, const char *path, int round)
{
    int64_t before = s_quantity (watch, path);
    s_quantity (watch, path);                  //  the second read is a cache hit
    json_t *order = json_pack ("{s:s, s:i, s:s}", "name", stock, "quantity", 1,
                               "type", round % 2? "sell": "buy");
    json_t *reply = NULL;
    int status = client_http_post (trade, "/orders", order, NULL, &reply);
    int64_t acked = zclock_usecs ();
    json_decref (order);
    json_decref (reply);
    if (status != 200 || before < 0)
        return -1;
    while (zclock_usecs () - acked < 2000000) {
        int64_t now = s_quantity (watch, path);
        if (now >= 0 && now != before)
            return zclock_usecs () - acked;
    }
    return -1;
}

int
main (int argc, char *argv [])
{
    int rc;
    int first = bz_cli_parse (&s_cli, argc, argv, NULL, &rc);
    if (first < 0)
        return rc;
    argv += first - 1;                  //  the operands are argv [1..4] from here on
    int64_t rounds;
    if ((rc = bz_cli_int (&s_cli, "ROUNDS", argv [4], 1, 100000000, &rounds)))
        return rc;
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    client_http_t *trade = NULL, *watch = NULL;
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK
    ||  !(trade = client_http_new (argv [1])) || !(watch = client_http_new (argv [2]))) {
        //  Never a report of zero failures for rounds that did not run
        fprintf (stderr, "bazaar-lag: cannot set up HTTP (libcurl)\n");
        client_http_destroy (&trade);
        return 1;
    }
    char path [128];
    snprintf (path, sizeof path, "/stocks/%s", argv [3]);
    client_hist_t delays;
    client_hist_init (&delays);
    int failed = 0;
    for (int round = 0; round < rounds; round++) {
        int64_t delay = s_round (trade, watch, argv [3], path, round);
        if (delay < 0)
            failed++;
        else
            client_hist_record (&delays, (uint64_t) delay);
    }
    printf ("{\"rounds\":%d,\"failed\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f}\n",
            (int) rounds, failed, client_hist_percentile (&delays, 0.5) / 1000.0,
            client_hist_percentile (&delays, 0.99) / 1000.0, delays.max / 1000.0);
    client_http_destroy (&trade);
    client_http_destroy (&watch);
    curl_global_cleanup ();
    return failed? 1: 0;
}
