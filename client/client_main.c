/*  bazaar-client: load generator and checker for the Bazaar REST API. Runs sessions in
    threads, then prints what they measured and whether every order read back intact. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "client_http.h"
#include "client_options.h"
#include "client_rand.h"
#include "client_session.h"
#include "client_stats.h"
#include "bz_cli.h"

#define EXIT_CHECKS   1                 //  a failure, mismatch, missing or duplicate order
#define EXIT_USAGE    2
#define EXIT_SETUP    3                 //  could not start: no server, no stocks, no memory

static atomic_int s_stop;

static void
s_on_signal (int sig)
{
    (void) sig;
    atomic_store (&s_stop, 1);          //  lock-free, so signal-safe; a second ^C kills
}

typedef struct {
    client_session_t *session;
    double load_end;                    //  when its load phase ended (monotonic)
} runner_t;

static void *
s_runner (void *arg)
{
    runner_t *runner = (runner_t *) arg;
    client_session_run (runner->session);
    runner->load_end = client_session_now ();
    client_session_verify (runner->session);
    return NULL;
}

//  Reads the stock names from GET /stocks into a table, keeping only valid names;
//  retries for a few seconds so the client can start with the cluster. Returns the count
//  (0 on failure, reason on stderr); *names_p gets a malloc'd array.
static size_t
s_fetch_stocks (client_http_t *http, char (**names_p) [CLIENT_NAME_MAX + 1])
{
    json_t *reply = NULL;
    int status = -1;
    for (int attempt = 0; attempt < 20 && !atomic_load (&s_stop); attempt++) {
        status = client_http_get (http, "/stocks", &reply);
        if (status != -1 && status != 503)
            break;
        json_decref (reply);
        reply = NULL;
        usleep (250 * 1000);
    }
    json_t *list = json_object_get (reply, "data");
    if (status != 200 || !json_is_array (list)) {
        fprintf (stderr, "bazaar-client: GET /stocks: %s\n",
                 status == -1? client_http_error (http): "no stock list in the reply");
        json_decref (reply);
        return 0;
    }
    size_t size = json_array_size (list);
    if (size > CLIENT_STOCKS_MAX)
        size = CLIENT_STOCKS_MAX;
    char (*names) [CLIENT_NAME_MAX + 1] = calloc (size? size: 1, sizeof *names);
    size_t count = 0;
    for (size_t i = 0; names && i < size; i++) {
        const char *name = json_string_value (json_object_get (json_array_get (list, i),
                                                               "name"));
        if (name && client_options_valid_name (name))
            snprintf (names [count++], sizeof names [0], "%s", name);
        else
            fprintf (stderr, "bazaar-client: GET /stocks: skipping entry %zu\n", i);
    }
    json_decref (reply);
    if (count == 0) {
        fprintf (stderr, "bazaar-client: GET /stocks: no usable stock\n");
        free (names);
        return 0;
    }
    *names_p = names;
    return count;
}

//  A stock table with URL-escaped lookup paths. Returns NULL on failure.
static client_stock_t *
s_stock_table (client_http_t *http, char (*names) [CLIENT_NAME_MAX + 1], size_t count)
{
    client_stock_t *stocks = calloc (count, sizeof *stocks);
    for (size_t i = 0; stocks && i < count; i++) {
        snprintf (stocks [i].name, sizeof stocks [i].name, "%s", names [i]);
        char *escaped = client_http_escape (http, names [i]);
        size_t size = escaped? strlen (escaped) + sizeof "/stocks/": 0;
        stocks [i].path = escaped? malloc (size): NULL;
        if (stocks [i].path)
            snprintf (stocks [i].path, size, "/stocks/%s", escaped);
        free (escaped);
        if (!stocks [i].path) {
            for (size_t j = 0; j < i; j++)
                free (stocks [j].path);
            free (stocks);
            return NULL;
        }
    }
    return stocks;
}

static int
s_compare_numbers (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

//  Counts transaction numbers acknowledged more than once, across all sessions: two
//  different trades must never get the same number.
static uint64_t
s_duplicates (runner_t *runners, int sessions)
{
    size_t total = 0, count;
    for (int i = 0; i < sessions; i++) {
        client_session_orders (runners [i].session, &count);
        total += count;
    }
    int64_t *numbers = malloc ((total? total: 1) * sizeof *numbers);
    if (!numbers)
        return 0;
    size_t used = 0;
    for (int i = 0; i < sessions; i++) {
        const client_order_t *orders = client_session_orders (runners [i].session, &count);
        for (size_t j = 0; j < count; j++)
            numbers [used++] = orders [j].number;
    }
    qsort (numbers, used, sizeof *numbers, s_compare_numbers);
    uint64_t duplicates = 0;
    for (size_t i = 1; i < used; i++)
        if (numbers [i] == numbers [i - 1]) {
            if (duplicates++ == 0)
                fprintf (stderr, "bazaar-client: transaction number %" PRId64
                         " acknowledged twice\n", numbers [i]);
        }
    free (numbers);
    return duplicates;
}

static double
s_ms (uint64_t usec)
{
    return (double) usec / 1000.0;
}

static void
s_print_summary (const client_options_t *o, const client_stats_t *s, size_t stock_count,
                 double load_s, double verify_s)
{
    uint64_t load_requests = s->requests [CLIENT_REQ_LOOKUP] + s->requests [CLIENT_REQ_TRADE];
    fprintf (stderr, "bazaar-client: %d sessions, %s, p=%.3g%s, seed %" PRIu64
             ", %zu stocks%s, %s\n", o->sessions,
             o->duration > 0? "by duration": "by iterations", o->p,
             o->lookups_only? " (lookups only)": "", o->seed, stock_count,
             o->zipf > 0? " (zipf)": "", o->url);
    fprintf (stderr, "load     %.3f s  %.1f req/s  %.1f trades/s\n", load_s,
             load_s > 0? (double) load_requests / load_s: 0,
             load_s > 0? (double) s->trades / load_s: 0);
    fprintf (stderr, "verify   %.3f s\n", verify_s);
    fprintf (stderr, "%-8s %10s %8s %8s %9s %9s %9s %9s %9s\n", "request", "count",
             "failed", "retries", "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms");
    for (int k = 0; k < CLIENT_REQ_KINDS; k++) {
        const client_hist_t *h = &s->latency [k];
        fprintf (stderr, "%-8s %10" PRIu64 " %8" PRIu64 " %8" PRIu64
                 " %9.3f %9.3f %9.3f %9.3f %9.3f\n",
                 client_req_name (k), s->requests [k], s->failures [k], s->retries [k],
                 h->total? s_ms (h->sum) / (double) h->total: 0,
                 s_ms (client_hist_percentile (h, 0.50)),
                 s_ms (client_hist_percentile (h, 0.90)),
                 s_ms (client_hist_percentile (h, 0.99)), s_ms (h->max));
    }
    fprintf (stderr, "trades   %" PRIu64 " acknowledged, %" PRIu64 " not enough shares (409)\n",
             s->trades, s->conflicts);
    fprintf (stderr, "checks   %" PRIu64 " mismatched, %" PRIu64 " missing, %" PRIu64
             " duplicate numbers\n", s->mismatches, s->missing, s->duplicates);
    fprintf (stderr, "result   %s%s\n", client_stats_ok (s)? "OK": "FAILED",
             atomic_load (&s_stop)? " (interrupted)": "");
}

static void
s_print_json (const client_options_t *o, const client_stats_t *s, size_t stock_count,
              double load_s, double verify_s)
{
    uint64_t load_requests = s->requests [CLIENT_REQ_LOOKUP] + s->requests [CLIENT_REQ_TRADE];
    json_t *requests = json_object ();
    for (int k = 0; k < CLIENT_REQ_KINDS; k++) {
        const client_hist_t *h = &s->latency [k];
        json_object_set_new (requests, client_req_name (k), json_pack (
            "{s:I, s:I, s:I, s:{s:f, s:f, s:f, s:f, s:f}}",
            "count", (json_int_t) s->requests [k],
            "failures", (json_int_t) s->failures [k],
            "retries", (json_int_t) s->retries [k],
            "latency_ms",
                "mean", h->total? s_ms (h->sum) / (double) h->total: 0.0,
                "p50", s_ms (client_hist_percentile (h, 0.50)),
                "p90", s_ms (client_hist_percentile (h, 0.90)),
                "p99", s_ms (client_hist_percentile (h, 0.99)),
                "max", s_ms (h->max)));
    }
    char seed [24];                     //  a string: JSON numbers lose 64-bit precision
    snprintf (seed, sizeof seed, "%" PRIu64, o->seed);
    json_t *summary = json_pack (
        "{s:s, s:i, s:I, s:f, s:s, s:I, s:b, s:f, s:f, s:f, s:f, s:o,"
        " s:I, s:I, s:I, s:I, s:I, s:b}",
        "url", o->url, "sessions", o->sessions,
        "iterations", (json_int_t) (o->duration > 0 && !o->iterations_set? 0: o->iterations),
        "p", o->p, "seed", seed, "stocks", (json_int_t) stock_count,
        "lookups_only", o->lookups_only, "duration_s", o->duration,
        "load_s", load_s, "verify_s", verify_s,
        "requests_per_s", load_s > 0? (double) load_requests / load_s: 0.0,
        "requests", requests,
        "trades", (json_int_t) s->trades, "conflicts", (json_int_t) s->conflicts,
        "mismatches", (json_int_t) s->mismatches, "missing", (json_int_t) s->missing,
        "duplicates", (json_int_t) s->duplicates, "ok", client_stats_ok (s));
    //  trades_per_s added apart: json_pack has a limit on how readable a format stays.
    json_object_set_new (summary, "trades_per_s",
                         json_real (load_s > 0? (double) s->trades / load_s: 0.0));
    json_object_set_new (summary, "interrupted", json_boolean (atomic_load (&s_stop)));
    json_object_set_new (summary, "zipf", json_real (o->zipf));
    char *text = summary? json_dumps (summary, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (9)): NULL;
    if (text)
        printf ("%s\n", text);
    else
        fprintf (stderr, "bazaar-client: cannot encode the JSON summary\n");
    free (text);
    json_decref (summary);
}

//  An id no other run shares, so idempotency keys never collide with an earlier run's
//  on a server that remembers them (the workload seed may well be reused).
static void
s_run_id (char *id, size_t size)
{
    uint64_t bits;
    if (getrandom (&bits, sizeof bits, 0) != sizeof bits) {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        bits = ((uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec)
             ^ ((uint64_t) getpid () << 40);
    }
    snprintf (id, size, "%016" PRIx64, bits);
}

//  Runs the sessions; fills stats and the phase times. Returns 0, or -1 if it could not
//  start them all (then the ones started are stopped and joined).
static int
s_run_sessions (const client_options_t *o, const client_stock_t *stocks, size_t stock_count,
                FILE *trace, client_stats_t *stats, double *load_s, double *verify_s)
{
    runner_t *runners = calloc ((size_t) o->sessions, sizeof *runners);
    pthread_t *threads = calloc ((size_t) o->sessions, sizeof *threads);
    double *cdf = o->zipf > 0? malloc (stock_count * sizeof *cdf): NULL;
    if (cdf)
        client_rand_zipf_cdf (cdf, stock_count, o->zipf);
    char run_id [17];
    s_run_id (run_id, sizeof run_id);
    double start = client_session_now ();
    client_session_config_t config = {
        .url = o->url, .stocks = stocks, .stock_count = stock_count, .stock_cdf = cdf,
        .seed = o->seed, .run_id = run_id,
        .iterations = o->duration > 0 && !o->iterations_set? 0: o->iterations,
        .deadline = o->duration > 0? start + o->duration: 0, .p = o->p,
        .lookups_only = o->lookups_only, .stop = &s_stop, .trace = trace
    };
    int started = 0;
    bool ready = runners && threads && (cdf || o->zipf == 0);   //  else out of memory
    while (ready && started < o->sessions) {
        config.index = started;
        runners [started].session = client_session_new (&config);
        if (!runners [started].session
        ||  pthread_create (&threads [started], NULL, s_runner, &runners [started])) {
            fprintf (stderr, "bazaar-client: cannot start session %d\n", started);
            client_session_destroy (&runners [started].session);
            atomic_store (&s_stop, 1);
            break;
        }
        started++;
    }
    double load_end = start;
    for (int i = 0; i < started; i++) {
        pthread_join (threads [i], NULL);
        if (runners [i].load_end > load_end)
            load_end = runners [i].load_end;
    }
    double end = client_session_now ();
    *load_s = load_end - start;
    *verify_s = end - load_end;
    for (int i = 0; i < started; i++)
        client_stats_merge (stats, client_session_stats (runners [i].session));
    stats->duplicates += s_duplicates (runners, started);
    for (int i = 0; i < started; i++)
        client_session_destroy (&runners [i].session);
    int rc = started == o->sessions? 0: -1;
    free (runners);
    free (cdf);
    free (threads);
    return rc;
}

static int
s_usage_error (const char *error)
{
    fprintf (stderr, "bazaar-client: %s\n%s", error, client_options_usage);
    return EXIT_USAGE;
}

int
main (int argc, char **argv)
{
    client_options_t options;
    char error [256];
    if (client_options_parse (&options, argc, argv, error, sizeof error)) {
        client_options_clear (&options);
        return s_usage_error (error);
    }
    if (options.help) {
        fputs (client_options_usage, stdout);
        client_options_clear (&options);
        return 0;
    }
    if (options.version) {
        printf ("bazaar-client %s\n", bz_cli_version ());
        client_options_clear (&options);
        return 0;
    }
    if (!options.seed_set) {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        options.seed = (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
    }
    //  First ^C ends the load phase early (the read-back still runs), a second one kills.
    struct sigaction action = { .sa_handler = s_on_signal, .sa_flags = SA_RESETHAND };
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    if (curl_global_init (CURL_GLOBAL_DEFAULT)) {
        fprintf (stderr, "bazaar-client: cannot initialise libcurl\n");
        client_options_clear (&options);
        return EXIT_SETUP;
    }
    int rc = EXIT_SETUP;
    client_http_t *http = client_http_new (options.url);
    FILE *trace = *options.trace? fopen (options.trace, "a"): NULL;
    if (*options.trace && !trace)
        fprintf (stderr, "bazaar-client: --trace %s: %s\n", options.trace, strerror (errno));
    if (trace)
        setvbuf (trace, NULL, _IOLBF, 0);   //  a line reaches the file at once: it is watched live
    bool ready = http && (trace || !*options.trace);
    char (*names) [CLIENT_NAME_MAX + 1] = options.stocks;
    size_t count = options.stock_count;
    if (ready && !names)
        count = s_fetch_stocks (http, &names);
    client_stock_t *stocks = ready && count? s_stock_table (http, names, count): NULL;
    client_http_destroy (&http);        //  its connection is not a session's
    if (stocks) {
        client_stats_t stats;
        client_stats_init (&stats);
        double load_s = 0, verify_s = 0;
        if (s_run_sessions (&options, stocks, count, trace, &stats, &load_s, &verify_s) == 0) {
            s_print_summary (&options, &stats, count, load_s, verify_s);
            if (options.json)
                s_print_json (&options, &stats, count, load_s, verify_s);
            rc = client_stats_ok (&stats)? 0: EXIT_CHECKS;
        }
        for (size_t i = 0; i < count; i++)
            free (stocks [i].path);
        free (stocks);
    }
    if (trace)
        fclose (trace);
    if (names != options.stocks)
        free (names);
    client_options_clear (&options);
    curl_global_cleanup ();
    return rc;
}
