/*  client_session: one simulated trader's loop (lookup, maybe trade, retry with the same
    idempotency key) and the read-back that checks every acknowledged order. Used by main. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "client_http.h"
#include "client_rand.h"
#include "client_session.h"

//  A transport error or 503 is retried this many times, waiting BACKOFF_MS, doubled each
//  time up to BACKOFF_MAX_MS (with jitter): about 1.3 s in all, longer than a failover.
#define RETRIES          6
#define BACKOFF_MS       25
#define BACKOFF_MAX_MS   500
#define ERRORS_SHOWN     5              //  per session, so a dead server does not flood
//  A session whose requests fail this many times in a row (each after all its retries)
//  ends its load phase: the run has failed anyway, and a dead server would otherwise keep
//  the client busy for iterations × ~20 s.
#define GIVE_UP_AFTER    5

struct _client_session_t {
    client_session_config_t config;
    client_http_t *http;
    client_rand_t rand;                 //  the workload: depends on the seed only
    client_rand_t jitter;               //  retry back-off, apart so failures do not
                                        //  change which stocks and trades come next
    client_stats_t stats;
    client_order_t *orders;
    size_t order_count;
    size_t order_size;
    uint64_t keys;                      //  idempotency keys made so far
    int errors_shown;
    bool loading;                       //  in the load phase: the stop flag cuts retries
    int failing [CLIENT_REQ_KINDS];     //  unrecovered failures in a row, per kind
};

double
client_session_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

client_session_t *
client_session_new (const client_session_config_t *config)
{
    client_session_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = *config;
    self->http = client_http_new (config->url);
    if (!self->http) {
        free (self);
        return NULL;
    }
    client_rand_seed (&self->rand, config->seed, (uint64_t) config->index);
    client_rand_seed (&self->jitter, ~config->seed, (uint64_t) config->index);
    client_stats_init (&self->stats);
    return self;
}

void
client_session_destroy (client_session_t **self_p)
{
    if (self_p && *self_p) {
        client_session_t *self = *self_p;
        client_http_destroy (&self->http);
        free (self->orders);
        free (self);
        *self_p = NULL;
    }
}

//  Reports an error on stderr, up to ERRORS_SHOWN per session.
static void
s_complain (client_session_t *self, const char *what, const char *detail)
{
    if (self->errors_shown++ < ERRORS_SHOWN)
        fprintf (stderr, "bazaar-client: session %d: %s: %s\n",
                 self->config.index, what, detail);
}

static void
s_sleep_ms (long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep (&ts, NULL);
}

//  Appends one attempt to the trace: when it was sent (unix ms), the kind, how long it
//  took (ms) and its status (-1: a transport error). One fprintf per line, so lines of
//  concurrent sessions do not interleave (stdio locks the stream per call).
static void
s_trace (client_session_t *self, client_req_t kind, double sent, int status)
{
    struct timespec wall;
    clock_gettime (CLOCK_REALTIME, &wall);
    double took = client_session_now () - sent;
    double sent_ms = ((double) wall.tv_sec + (double) wall.tv_nsec / 1e9 - took) * 1000.0;
    fprintf (self->config.trace, "%.3f,%s,%.3f,%d\n", sent_ms, client_req_name (kind),
             took * 1000.0, status);
}

//  Sends one request (a POST when body is not NULL), repeating it unchanged, idempotency
//  key included, after a transport error or 503. Returns the final status, or -1 when
//  every attempt failed in transport. The latency recorded is the whole request's,
//  retries included: what a user of the API would wait.
static int
s_request (client_session_t *self, client_req_t kind, const char *path,
           const json_t *body, const char *key, json_t **reply)
{
    double start = client_session_now ();
    long backoff = BACKOFF_MS;
    int status = -1;
    for (int attempt = 0; ; attempt++) {
        *reply = NULL;
        double sent = client_session_now ();
        status = body? client_http_post (self->http, path, body, key, reply)
                     : client_http_get (self->http, path, reply);
        if (self->config.trace)
            s_trace (self, kind, sent, status);
        if ((status != -1 && status != 503) || attempt == RETRIES
        ||  (self->loading && atomic_load (self->config.stop)))
            break;
        json_decref (*reply);
        self->stats.retries [kind]++;
        s_sleep_ms (backoff / 2 + (long) client_rand_below (&self->jitter, (uint64_t) backoff));
        backoff = backoff * 2 > BACKOFF_MAX_MS? BACKOFF_MAX_MS: backoff * 2;
    }
    if (status == -1)
        s_complain (self, path, client_http_error (self->http));
    else {
        double usec = (client_session_now () - start) * 1e6;
        client_hist_record (&self->stats.latency [kind], (uint64_t) (usec < 0? 0: usec));
    }
    return status;
}

//  The "data" object of a reply, or NULL.
static json_t *
s_data (json_t *reply)
{
    json_t *data = json_object_get (reply, "data");
    return json_is_object (data)? data: NULL;
}

//  A non-negative JSON integer field, or -1.
static int64_t
s_count (json_t *object, const char *field)
{
    json_t *value = json_object_get (object, field);
    if (!json_is_integer (value) || json_integer_value (value) < 0)
        return -1;
    return (int64_t) json_integer_value (value);
}

//  Counts an unrecovered failure, with the reason shown.
static void
s_fail (client_session_t *self, client_req_t kind, const char *path, int status,
        json_t *reply)
{
    self->stats.failures [kind]++;
    self->failing [kind]++;
    if (status == -1)
        return;                         //  s_request said why
    char detail [256];
    const char *message = json_string_value (
        json_object_get (json_object_get (reply, "error"), "message"));
    snprintf (detail, sizeof detail, "HTTP %d%s%.200s", status,
              message? ": ": (status == 200? ": malformed reply": ""), message? message: "");
    s_complain (self, path, detail);
}

//  Looks a stock up. Returns its quantity, or -1 after counting a failure.
static int64_t
s_lookup (client_session_t *self, const client_stock_t *stock)
{
    json_t *reply;
    int status = s_request (self, CLIENT_REQ_LOOKUP, stock->path, NULL, NULL, &reply);
    json_t *data = s_data (reply);
    int64_t quantity = -1;
    if (status == 200 && data
    &&  json_is_string (json_object_get (data, "name"))
    &&  strcmp (json_string_value (json_object_get (data, "name")), stock->name) == 0
    &&  json_is_number (json_object_get (data, "price")))
        quantity = s_count (data, "quantity");
    if (status != -1)
        self->stats.requests [CLIENT_REQ_LOOKUP]++;
    if (quantity < 0)
        s_fail (self, CLIENT_REQ_LOOKUP, stock->path, status, reply);
    json_decref (reply);
    return quantity;
}

static int
s_remember (client_session_t *self, const client_order_t *order)
{
    if (self->order_count == self->order_size) {
        size_t size = self->order_size? self->order_size * 2: 256;
        client_order_t *grown = realloc (self->orders, size * sizeof *grown);
        if (!grown)
            return -1;
        self->orders = grown;
        self->order_size = size;
    }
    self->orders [self->order_count++] = *order;
    return 0;
}

//  Places one order with a fresh idempotency key and remembers it when acknowledged.
static void
s_trade (client_session_t *self, uint32_t stock_index)
{
    const client_stock_t *stock = &self->config.stocks [stock_index];
    client_order_t order = {
        .number = -1, .stock = stock_index,
        .sell = (uint8_t) client_rand_below (&self->rand, 2),
        .quantity = (uint8_t) (1 + client_rand_below (&self->rand, 5))
    };
    char key [65];
    snprintf (key, sizeof key, "%s-%d-%" PRIu64, self->config.run_id, self->config.index,
              self->keys++);
    json_t *body = json_pack ("{s:s, s:i, s:s}", "name", stock->name,
                              "quantity", (int) order.quantity,
                              "type", order.sell? "sell": "buy");
    if (!body) {
        self->stats.failures [CLIENT_REQ_TRADE]++;
        return;
    }
    json_t *reply;
    int status = s_request (self, CLIENT_REQ_TRADE, "/orders", body, key, &reply);
    json_decref (body);
    if (status != -1)
        self->stats.requests [CLIENT_REQ_TRADE]++;
    if (status == 200)
        order.number = s_count (s_data (reply), "transaction_number");
    if (status == 409) {
        self->stats.conflicts++;
        self->failing [CLIENT_REQ_TRADE] = 0;
    }
    else
    if (order.number < 0 || s_remember (self, &order))
        s_fail (self, CLIENT_REQ_TRADE, "/orders", status, reply);
    else {
        self->stats.trades++;
        self->failing [CLIENT_REQ_TRADE] = 0;
    }
    json_decref (reply);
}

void
client_session_run (client_session_t *self)
{
    const client_session_config_t *c = &self->config;
    self->loading = true;
    for (long i = 0; c->iterations == 0 || i < c->iterations; i++) {
        if (atomic_load (c->stop) || (c->deadline > 0 && client_session_now () >= c->deadline))
            break;
        if (self->failing [CLIENT_REQ_LOOKUP] >= GIVE_UP_AFTER
        ||  self->failing [CLIENT_REQ_TRADE] >= GIVE_UP_AFTER) {
            fprintf (stderr, "bazaar-client: session %d: giving up after %d failed %s "
                     "requests in a row\n", c->index, GIVE_UP_AFTER,
                     client_req_name (self->failing [CLIENT_REQ_LOOKUP] >= GIVE_UP_AFTER?
                                      CLIENT_REQ_LOOKUP: CLIENT_REQ_TRADE));
            break;
        }
        uint32_t stock = c->stock_cdf
                       ? (uint32_t) client_rand_pick (&self->rand, c->stock_cdf, c->stock_count)
                       : (uint32_t) client_rand_below (&self->rand, c->stock_count);
        int64_t quantity = s_lookup (self, &c->stocks [stock]);
        //  Draw even in lookups-only runs so the lookup sequence depends on the seed only.
        bool trade = client_rand_unit (&self->rand) < c->p;
        if (quantity >= 0)
            self->failing [CLIENT_REQ_LOOKUP] = 0;
        if (quantity > 0 && trade && !c->lookups_only)
            s_trade (self, stock);
    }
    self->loading = false;
}

//  Compares one read-back order with what was acknowledged.
static bool
s_same (client_session_t *self, const client_order_t *order, json_t *data)
{
    const char *name = json_string_value (json_object_get (data, "name"));
    const char *type = json_string_value (json_object_get (data, "type"));
    return s_count (data, "number") == order->number
        && name && strcmp (name, self->config.stocks [order->stock].name) == 0
        && type && strcmp (type, order->sell? "sell": "buy") == 0
        && s_count (data, "quantity") == order->quantity;
}

void
client_session_verify (client_session_t *self)
{
    for (size_t i = 0; i < self->order_count; i++) {
        if (self->failing [CLIENT_REQ_QUERY] >= GIVE_UP_AFTER) {
            size_t left = self->order_count - i;
            fprintf (stderr, "bazaar-client: session %d: read-back failing, %zu orders left "
                     "unchecked (counted as failed queries)\n", self->config.index, left);
            self->stats.failures [CLIENT_REQ_QUERY] += left;
            break;
        }
        const client_order_t *order = &self->orders [i];
        char path [64];
        snprintf (path, sizeof path, "/orders/%" PRId64, order->number);
        json_t *reply;
        int status = s_request (self, CLIENT_REQ_QUERY, path, NULL, NULL, &reply);
        if (status != -1)
            self->stats.requests [CLIENT_REQ_QUERY]++;
        json_t *data = s_data (reply);
        if (status != -1 && status != 503)
            self->failing [CLIENT_REQ_QUERY] = 0;
        if (status == 200 && data) {
            if (!s_same (self, order, data)) {
                self->stats.mismatches++;
                char *text = json_dumps (data, JSON_COMPACT);
                char detail [320];
                snprintf (detail, sizeof detail, "acknowledged %s %d %s, read back %.200s",
                          order->sell? "sell": "buy", order->quantity,
                          self->config.stocks [order->stock].name, text? text: "?");
                s_complain (self, path, detail);
                free (text);
            }
        }
        else
        if (status == 404) {
            self->stats.missing++;
            s_complain (self, path, "acknowledged order not found");
        }
        else
            s_fail (self, CLIENT_REQ_QUERY, path, status, reply);
        json_decref (reply);
    }
}

const client_stats_t *
client_session_stats (client_session_t *self)
{
    return &self->stats;
}

const client_order_t *
client_session_orders (client_session_t *self, size_t *count)
{
    *count = self->order_count;
    return self->orders;
}
