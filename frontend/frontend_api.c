/*  frontend_api: the REST handlers: each turns a routed request into bus requests to
    the catalog and order services and renders the JSON reply. Called by frontend_server. */
#include <czmq.h>
#include <math.h>
#include "bz_bus.h"
#include "frontend_api.h"
#include "bz_cli.h"
#include "frontend_bus.h"
#include "frontend_json.h"
#include "frontend_reply.h"
#include "bz_metrics.h"
#include <pthread.h>

//  /health must answer quickly even when the bus is gone.
#define HEALTH_TIMEOUT_MS       1000

struct _frontend_api_t {
    frontend_metrics_t *metrics;    //  not owned
    frontend_cache_t *cache;        //  not owned
    frontend_feed_t *feed;          //  not owned
    frontend_static_t *files;       //  not owned: the live page
    frontend_bus_t *bus;            //  not owned
    int timeout_ms;                 //  deadline of one REST request, retries included
    int health_timeout_ms;
    //  The frontend's own bz_metrics (process_*, build), shown with every service's
    pthread_mutex_t own_lock;
    bz_metrics_t *own;
    int gathered_id;
};

frontend_api_t *
frontend_api_new (bz_config_t *config, frontend_metrics_t *metrics, frontend_cache_t *cache,
                  frontend_feed_t *feed, frontend_static_t *files, frontend_bus_t *bus)
{
    assert (config && metrics && cache && files && bus);
    frontend_api_t *self = (frontend_api_t *) zmalloc (sizeof (frontend_api_t));
    self->metrics = metrics;
    self->cache = cache;
    self->feed = feed;
    self->files = files;
    self->bus = bus;
    int64_t timeout = bz_config_int (config, "request_timeout_ms");
    self->timeout_ms = (timeout > 0 && timeout < 600000)? (int) timeout: 3000;
    self->health_timeout_ms = self->timeout_ms < HEALTH_TIMEOUT_MS? self->timeout_ms: HEALTH_TIMEOUT_MS;
    pthread_mutex_init (&self->own_lock, NULL);
    self->own = bz_metrics_new (bz_cli_version ());
    self->gathered_id = bz_metrics_gauge (self->own, "bazaar_metrics_gathered",
        "1 when this /metrics includes every service's, gathered over the bus; 0 when the bus did not answer.");
    return self;
}

void
frontend_api_destroy (frontend_api_t **self_p)
{
    assert (self_p);
    frontend_api_t *self = *self_p;
    if (!self)
        return;
    bz_metrics_destroy (&self->own);
    pthread_mutex_destroy (&self->own_lock);
    free (self);
    *self_p = NULL;
}

static int
s_fail (char *error, size_t error_size, int status, const char *message)
{
    snprintf (error, error_size, "%s", message);
    return status;
}

//  The message for a request that got no reply: overloaded (frontend_bus shed it)
//  or the service's "unavailable".
static const char *
s_no_reply (const bz_msg_t *first, const char *unavailable)
{
    return frontend_bus_overloaded (first)? "overloaded": unavailable;
}

//  The HTTP status for a service's ERROR reply; a code outside 4xx/5xx is the
//  service's fault, so the gateway reports it.
static int
s_error_status (const bz_msg_t *error)
{
    return (error->code >= 400 && error->code <= 599)? (int) error->code: 502;
}

//  Maps an ERROR reply to status and message; 404 and 503 get the fixed wording the
//  API documents, anything else carries the service's own message.
static int
s_service_error (const bz_msg_t *reply, const char *not_found, const char *unavailable,
                 char *error, size_t error_size)
{
    int status = s_error_status (reply);
    const char *message = status == 404? not_found: status == 503? unavailable: reply->message;
    return s_fail (error, error_size, status, status == 502? "service sent an invalid error code": message);
}

static int
s_bad_reply (frontend_api_t *self, const char *service, const bz_msg_t *reply,
             char *error, size_t error_size)
{
    zsys_warning ("frontend: unexpected %s reply from %s", bz_msg_name (reply->id), service);
    frontend_metrics_bus_bad_reply (self->metrics);
    snprintf (error, error_size, "%s sent an unexpected reply", service);
    return 502;
}

//  The HTTP status of a service's one-frame reply, already decoded into msg and then
//  destroyed: 200 when it is the answer asked for (expected), the service's own error,
//  or 502 for anything else. error gets the message of a failure.
static int
s_reply_status (frontend_api_t *self, zmsg_t **reply_p, const bz_msg_t *msg, bool expected,
                const char *service, const char *not_found, const char *unavailable,
                char *error, size_t error_size)
{
    bool single = zmsg_size (*reply_p) == 1;
    zmsg_destroy (reply_p);
    if (single && expected)
        return 200;
    if (single && msg->id == BZ_MSG_ERROR)
        return s_service_error (msg, not_found, unavailable, error, error_size);
    return s_bad_reply (self, service, msg, error, error_size);
}

int
frontend_api_lookup (frontend_api_t *self, const char *name,
                     bz_msg_t *stock, char *error, size_t error_size)
{
    assert (self && stock && error);
    bz_msg_t request;
    bz_msg_init (&request, BZ_MSG_LOOKUP);
    bz_msg_set_str (request.name, sizeof request.name, name);
    zmsg_t *reply = frontend_bus_call (self->bus, "catalog", &request, self->timeout_ms, true, stock);
    if (!reply)
        return s_fail (error, error_size, 503, s_no_reply (stock, "catalog unavailable"));
    bool expected = stock->id == BZ_MSG_STOCK && streq (stock->name, name) && isfinite (stock->price);
    return s_reply_status (self, &reply, stock, expected, "catalog", "stock not found",
                           "catalog unavailable", error, error_size);
}

//  Sends a cached lookup: the bytes rendered at fill time, in one write.
static int
s_send_cached (frontend_exchange_t *exchange, const frontend_cache_hit_t *hit)
{
    return frontend_reply_cached (exchange, hit->response, hit->size, hit->body_offset);
}

//  A lookup: from the cache, or (may_wait) from the catalog over the bus.
static int
s_get_stock (frontend_api_t *self, frontend_exchange_t *exchange,
             const frontend_route_t *route, bool may_wait)
{
    frontend_cache_hit_t hit;
    frontend_cache_ticket_t ticket;
    if (frontend_cache_lookup (self->cache, route->name, &hit, may_wait? &ticket: NULL))
        return s_send_cached (exchange, &hit);
    if (!may_wait)
        return FRONTEND_API_WAIT;
    bz_msg_t stock;
    char error [256];
    int status = frontend_api_lookup (self, route->name, &stock, error, sizeof error);
    if (status != 200)
        return frontend_reply_error (exchange, status, error);
    json_t *root = json_pack ("{s:{s:s,s:f,s:I}}", "data", "name", stock.name,
        "price", stock.price, "quantity", (json_int_t) stock.quantity);
    char body [512], response [FRONTEND_CACHE_RESPONSE_MAX];
    size_t length = 0, offset = 0, size = 0;
    char *text = frontend_json_render (root, body, sizeof body, &length);
    json_decref (root);
    if (text != body) {             //  a stock always fits: anything else is broken
        free (text);
        return frontend_reply_data (exchange, NULL);
    }
    if (ticket.valid)
        size = frontend_reply_format (response, sizeof response, 200, "OK", FRONTEND_JSON_TYPE,
                                      true, body, length, &offset);
    if (size)
        frontend_cache_store (self->cache, &ticket, stock.name, stock.price, stock.quantity,
                              response, size, offset);
    return frontend_reply_send (exchange, 200, FRONTEND_JSON_TYPE, NULL, false, body, length);
}

//  Appends one STOCK frame to the list; false when the frame is not a valid STOCK.
static bool
s_append_stock (json_t *list, zframe_t *frame)
{
    bz_msg_t stock;
    char error [128];
    if (bz_msg_decode_frame (&stock, frame, error, sizeof error) != BZ_MSG_STOCK
    ||  !isfinite (stock.price))
        return false;
    return json_array_append_new (list, json_pack ("{s:s,s:f,s:I,s:I}", "name", stock.name,
        "price", stock.price, "quantity", (json_int_t) stock.quantity,
        "volume", (json_int_t) stock.volume)) == 0;
}

json_t *
frontend_api_stocks (frontend_api_t *self, int *status, char *error, size_t error_size)
{
    assert (self && status && error);
    bz_msg_t request, first;
    bz_msg_init (&request, BZ_MSG_LIST);
    zmsg_t *reply = frontend_bus_call (self->bus, "catalog", &request, self->timeout_ms, true, &first);
    if (!reply) {
        *status = s_fail (error, error_size, 503, s_no_reply (&first, "catalog unavailable"));
        return NULL;
    }
    if (zmsg_size (reply) == 1 && first.id == BZ_MSG_ERROR) {
        zmsg_destroy (&reply);
        *status = s_service_error (&first, "catalog not found", "catalog unavailable",
                                   error, error_size);
        return NULL;
    }
    json_t *list = json_array ();
    for (zframe_t *frame = zmsg_first (reply); frame && list; frame = zmsg_next (reply))
        if (!s_append_stock (list, frame)) {
            json_decref (list);
            list = NULL;
        }
    zmsg_destroy (&reply);
    if (!list)
        *status = s_bad_reply (self, "catalog", &first, error, error_size);
    return list;
}

static int
s_get_stocks (frontend_api_t *self, frontend_exchange_t *exchange)
{
    char error [256];
    int status = 200;
    json_t *list = frontend_api_stocks (self, &status, error, sizeof error);
    return list? frontend_reply_data (exchange, list): frontend_reply_error (exchange, status, error);
}

//  The client's Idempotency-Key, checked, or a fresh UUID. Returns false when the
//  header is present but not 1..64 printable ASCII characters.
static bool
s_idempotency_key (frontend_exchange_t *exchange, char *key, size_t size)
{
    const char *header = exchange->request.idempotency_key;
    if (!header) {
        zuuid_t *uuid = zuuid_new ();
        if (!uuid)
            return false;
        snprintf (key, size, "%s", zuuid_str_canonical (uuid));
        zuuid_destroy (&uuid);
        return true;
    }
    size_t length = strnlen (header, BZ_KEY_MAX + 1);
    if (length == 0 || length > BZ_KEY_MAX || length >= size)
        return false;
    for (size_t i = 0; i < length; i++)
        if (header [i] < ' ' || header [i] > '~')
            return false;
    memcpy (key, header, length + 1);
    return true;
}

//  Every answer to a POST carries the key it was (or would be) traded under, so a
//  client that got a 503 or no answer can retry with it: see docs/rest.md.
static int
s_post_order (frontend_api_t *self, frontend_exchange_t *exchange)
{
    bz_msg_t request;
    bz_msg_init (&request, BZ_MSG_ORDER);
    bool key_valid = s_idempotency_key (exchange, request.key, sizeof request.key);
    char key_header [sizeof request.key + 32] = "";
    if (key_valid)
        snprintf (key_header, sizeof key_header, "Idempotency-Key: %s\r\n", request.key);
    //  Only JSON: an HTML form (or text/plain) from any web page the user visits
    //  must not be able to trade.
    if (!frontend_route_is_json (exchange->request.content_type))
        return frontend_reply_error_ex (exchange, 415, "Content-Type must be application/json",
                                        key_header, false);
    if (!key_valid)
        return frontend_reply_error (exchange, 400,
            "Idempotency-Key must be 1.." BZ_STR (BZ_KEY_MAX) " printable ASCII characters");
    frontend_order_t order;
    char error [256];
    if (frontend_json_parse_order (&order, exchange->body, exchange->body_size, error, sizeof error))
        return frontend_reply_error_ex (exchange, 400, error, key_header, false);
    bz_msg_set_str (request.name, sizeof request.name, order.name);
    bz_msg_set_str (request.side, sizeof request.side, order.side);
    request.quantity = order.quantity;

    bz_msg_t traded;
    zmsg_t *reply = frontend_bus_call (self->bus, "order", &request, self->timeout_ms, true, &traded);
    //  Reads see writes: the stock's entry goes before any reply, whatever the outcome
    //  (a lost reply may hide a trade), and a lookup of it already on its way back from
    //  the catalog with the old quantity will not be stored.
    frontend_cache_invalidate (self->cache, request.name);
    if (!reply)
        return frontend_reply_error_ex (exchange, 503, s_no_reply (&traded, "order service unavailable"),
                                        key_header, false);
    bool expected = traded.id == BZ_MSG_TRADED && streq (traded.key, request.key);
    int status = s_reply_status (self, &reply, &traded, expected, "order", "stock not found",
                                 "order service unavailable", error, sizeof error);
    if (status != 200)
        return frontend_reply_error_ex (exchange, status, error, key_header, false);
    return frontend_reply_data_ex (exchange, json_pack ("{s:I}", "transaction_number",
                                   (json_int_t) traded.number), key_header);
}

static int
s_get_order (frontend_api_t *self, frontend_exchange_t *exchange,
             const frontend_route_t *route)
{
    bz_msg_t request, record;
    bz_msg_init (&request, BZ_MSG_ORDER_GET);
    request.number = route->number;
    zmsg_t *reply = frontend_bus_call (self->bus, "order", &request, self->timeout_ms, true, &record);
    if (!reply)
        return frontend_reply_error (exchange, 503, s_no_reply (&record, "order service unavailable"));
    char error [256];
    bool expected = record.id == BZ_MSG_RECORD && record.number == route->number;
    int status = s_reply_status (self, &reply, &record, expected, "order", "order not found",
                                 "order service unavailable", error, sizeof error);
    if (status != 200)
        return frontend_reply_error (exchange, status, error);
    return frontend_reply_data (exchange, json_pack ("{s:I,s:s,s:s,s:I}",
        "number", (json_int_t) record.number, "name", record.name,
        "type", record.side, "quantity", (json_int_t) record.quantity));
}

//  Builds the /health data from the broker's WORKER frames; NULL when one is malformed.
static json_t *
s_health_data (zmsg_t *reply, int *catalogs)
{
    json_t *workers = json_array ();
    json_int_t leader = -1;
    *catalogs = 0;
    for (zframe_t *frame = zmsg_first (reply); frame && workers; frame = zmsg_next (reply)) {
        bz_msg_t worker;
        char error [128];
        if (bz_msg_decode_frame (&worker, frame, error, sizeof error) != BZ_MSG_WORKER) {
            json_decref (workers);
            return NULL;
        }
        if (streq (worker.service, "catalog"))
            (*catalogs)++;
        if (streq (worker.service, "order") && worker.rank > leader)
            leader = worker.rank;
        json_array_append_new (workers, json_pack ("{s:s,s:I,s:I}", "service", worker.service,
            "rank", (json_int_t) worker.rank, "inflight", (json_int_t) worker.count));
    }
    return json_pack ("{s:s,s:i,s:o,s:o}", "status", "ok", "catalog", *catalogs,
        "order_leader", leader >= 0? json_integer (leader): json_null (), "workers", workers);
}

static int
s_get_health (frontend_api_t *self, frontend_exchange_t *exchange)
{
    bz_msg_t request, first;
    //  The broker answers bus.workers itself and reads no body; LIST is a harmless one
    bz_msg_init (&request, BZ_MSG_LIST);
    zmsg_t *reply = frontend_bus_call (self->bus, BZ_SERVICE_WORKERS, &request,
                                       self->health_timeout_ms, false, &first);
    if (!reply)
        return frontend_reply_error (exchange, 503, s_no_reply (&first, "bus unavailable"));
    int catalogs = 0;
    json_t *data = s_health_data (reply, &catalogs);
    zmsg_destroy (&reply);
    if (!data) {
        char error [256];
        int status = s_bad_reply (self, BZ_SERVICE_WORKERS, &first, error, sizeof error);
        return frontend_reply_error (exchange, status, error);
    }
    //  Healthy means able to serve lookups and trades: a catalog worker and an order leader
    bool leader = json_is_integer (json_object_get (data, "order_leader"));
    if (catalogs == 0 || !leader) {
        json_decref (data);
        return frontend_reply_error (exchange, 503, catalogs == 0 && !leader?
            "no live catalog worker and no order leader":
            catalogs == 0? "no live catalog worker": "no order leader");
    }
    return frontend_reply_data (exchange, data);
}

//  The metrics of every service, gathered over the bus (bus.metrics: the bus's own and
//  each worker's latest), rendered after the frontend's own with service and replica
//  labels. When the bus did not answer in time or sent something malformed, only the
//  frontend's own are rendered, with bazaar_metrics_gathered 0. False only when the
//  text does not fit the buffer.
#define SERVICES_MAX 64
static bool
s_render_services (frontend_api_t *self, char *buffer, size_t size, size_t *used)
{
    bz_metrics_t *registries [SERVICES_MAX + 1];
    char labels [SERVICES_MAX + 1][96];
    const char *label_p [SERVICES_MAX + 1];
    size_t count = 1;
    bz_msg_t request, first;
    bz_msg_init (&request, BZ_MSG_LIST);    //  the broker answers bus.metrics itself
    zmsg_t *reply = frontend_bus_call (self->bus, BZ_SERVICE_METRICS, &request,
                                       self->health_timeout_ms, false, &first);
    bool gathered = reply != NULL;
    for (zframe_t *frame = reply? zmsg_first (reply): NULL; frame && gathered; ) {
        bz_msg_t header;
        char error [128];
        if (count > SERVICES_MAX) {
            gathered = false;
            break;
        }
        registries [count] = bz_msg_decode_frame (&header, frame, error, sizeof error) == BZ_MSG_WORKER
            ? bz_metrics_decode (reply, zmsg_next (reply), (size_t) header.count, error, sizeof error)
            : NULL;
        if (!registries [count]) {
            zsys_warning ("frontend: malformed bus.metrics reply: %s", error);
            gathered = false;
            break;
        }
        if (streq (header.service, "order"))
            snprintf (labels [count], sizeof labels [count], "service=\"order\",replica=\"%d\"",
                      (int) header.rank);
        else
            snprintf (labels [count], sizeof labels [count], "service=\"%s\"", header.service);
        count++;
        frame = zmsg_next (reply);
    }
    zmsg_destroy (&reply);
    if (!gathered) {
        while (count > 1)
            bz_metrics_destroy (&registries [--count]);
    }
    pthread_mutex_lock (&self->own_lock);
    bz_metrics_update_process (self->own);
    bz_metrics_set (self->own, self->gathered_id, gathered? 1: 0);
    registries [0] = self->own;
    snprintf (labels [0], sizeof labels [0], "service=\"frontend\"");
    for (size_t i = 0; i < count; i++)
        label_p [i] = labels [i];
    bool fits = bz_metrics_render (registries, label_p, count, buffer, size, used);
    pthread_mutex_unlock (&self->own_lock);
    for (size_t i = 1; i < count; i++)
        bz_metrics_destroy (&registries [i]);
    return fits;
}

static int
s_get_metrics (frontend_api_t *self, frontend_exchange_t *exchange)
{
    size_t size = 256 * 1024;
    char *buffer = (char *) malloc (size);
    if (!buffer)
        return frontend_reply_error (exchange, 503, "out of memory");
    size_t length = frontend_metrics_render (self->metrics, buffer, size);
    int status;
    if (length == 0 || !frontend_cache_render_metrics (self->cache, buffer, size, &length)
    ||  !frontend_feed_render_metrics (self->feed, buffer, size, &length)
    ||  !s_render_services (self, buffer, size, &length))
        status = frontend_reply_error (exchange, 500, "cannot render the metrics");
    else
        status = frontend_reply_send (exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                                      NULL, false, buffer, length);
    free (buffer);
    return status;
}

//  GET /cache: what is cached, most recently used first, and the stream's state.
static int
s_get_cache (frontend_api_t *self, frontend_exchange_t *exchange)
{
    size_t capacity = frontend_cache_capacity (self->cache);
    frontend_cache_item_t *items = (frontend_cache_item_t *) malloc (capacity * sizeof *items);
    if (!items)
        return frontend_reply_error (exchange, 503, "out of memory");
    size_t count = frontend_cache_list (self->cache, items, capacity);
    json_t *entries = json_array ();
    for (size_t i = 0; i < count && entries; i++)
        json_array_append_new (entries, json_pack ("{s:s,s:I,s:f}", "name", items [i].name,
            "quantity", (json_int_t) items [i].quantity, "price", items [i].price));
    free (items);
    frontend_cache_stats_t stats;
    frontend_cache_stats (self->cache, &stats);
    frontend_feed_status_t feed;
    memset (&feed, 0, sizeof feed);
    if (self->feed)
        frontend_feed_status (self->feed, &feed);
    json_t *flushes = json_object ();
    for (int reason = 0; reason < FRONTEND_FLUSH_REASONS && flushes; reason++)
        json_object_set_new (flushes, frontend_feed_reason ((frontend_flush_reason_t) reason),
                             json_integer ((json_int_t) feed.flushes [reason]));
    return frontend_reply_data (exchange, json_pack ("{s:b,s:I,s:b,s:o,s:{s:b,s:s,s:I,s:o}}",
        "enabled", frontend_cache_enabled (self->cache),
        "capacity", (json_int_t) capacity,
        "serving", frontend_cache_enabled (self->cache) && frontend_cache_healthy (self->cache),
        "entries", entries,
        "stream", "live", feed.live, "publisher", feed.publisher,
        "next_seq", (json_int_t) feed.next_seq, "flushes", flushes));
}

//  GET / and GET /<file>: the live page's files, from memory. They may change with a
//  deploy: like every response they carry Cache-Control: no-store (the no-cache added
//  here changes nothing beside it), so a browser fetches them each time.
static int
s_get_file (frontend_api_t *self, frontend_exchange_t *exchange, const char *name)
{
    const char *data, *type;
    size_t size;
    if (!frontend_static_find (self->files, name, &data, &size, &type))
        return frontend_reply_error (exchange, 404, "no such path");
    return frontend_reply_send (exchange, 200, type, "Cache-Control: no-cache\r\n", false, data, size);
}

int
frontend_api_handle (frontend_api_t *self, frontend_exchange_t *exchange,
                     const frontend_route_t *route, bool may_wait)
{
    assert (self && exchange && route);
    //  What needs a service waits for a worker; a lookup only when the cache misses
    switch (route->id) {
        case FRONTEND_ROUTE_STOCKS:
        case FRONTEND_ROUTE_ORDERS:
        case FRONTEND_ROUTE_ORDER:
        case FRONTEND_ROUTE_HEALTH:
        case FRONTEND_ROUTE_METRICS:
            if (!may_wait)
                return FRONTEND_API_WAIT;
            break;
        default:
            break;
    }
    switch (route->id) {
        case FRONTEND_ROUTE_PAGE:
        case FRONTEND_ROUTE_STATIC:
            return s_get_file (self, exchange, route->id == FRONTEND_ROUTE_PAGE? "index.html": route->name);
        case FRONTEND_ROUTE_METRICS:
            return s_get_metrics (self, exchange);
        case FRONTEND_ROUTE_CACHE:
            return s_get_cache (self, exchange);
        case FRONTEND_ROUTE_LIVE:
            return frontend_reply_data (exchange, json_pack ("{s:s}", "status", "live"));
        case FRONTEND_ROUTE_STOCK:   return s_get_stock (self, exchange, route, may_wait);
        case FRONTEND_ROUTE_STOCKS:  return s_get_stocks (self, exchange);
        case FRONTEND_ROUTE_ORDERS:  return s_post_order (self, exchange);
        case FRONTEND_ROUTE_ORDER:   return s_get_order (self, exchange, route);
        case FRONTEND_ROUTE_HEALTH:  return s_get_health (self, exchange);
        default:                     return frontend_reply_error (exchange, 404, "no such path");
    }
}
