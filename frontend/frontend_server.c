/*  frontend_server: the civetweb HTTP server of the REST API: options from bz_config,
    one shared bus client (frontend_bus), one handler that routes to frontend_api. */
#include <czmq.h>
#include <civetweb.h>
#include <malloc.h>
#include <pthread.h>
#include "frontend_api.h"
#include "frontend_bus.h"
#include "frontend_cache.h"
#include "frontend_conn.h"
#include "frontend_feed.h"
#include "frontend_live.h"
#include "frontend_metrics.h"
#include "frontend_reply.h"
#include "frontend_route.h"
#include "frontend_server.h"
#include "frontend_static.h"

#define MALLOC_ARENAS       2

struct _frontend_server_t {
    bz_config_t *config;            //  not owned
    frontend_metrics_t *metrics;
    frontend_cache_t *cache;
    frontend_feed_t *feed;          //  the catalog stream: keeps the cache and the live page
    frontend_static_t *files;       //  the live page's files
    frontend_live_t *live;          //  the live page's WebSocket
    frontend_bus_t *bus;
    frontend_api_t *api;
    struct mg_context *context;
};

//  civetweb 1.15 holds a thread per open connection, so threads must be cheap. Debian
//  builds it with 100 KiB thread stacks (USE_STACK_SIZE), of which a served connection
//  touches 20..32 KiB; malloc must not add an arena per thread on top (glibc allows 8
//  per core, each keeping its own free memory): two arenas, one per core.
static void
s_cheap_threads (void)
{
    mallopt (M_ARENA_MAX, MALLOC_ARENAS);
}

//  Connections holding a worker thread, for frontend_conn_saturated.
static int
s_connection_opened (const struct mg_connection *conn, void **conn_data)
{
    (void) conn;
    (void) conn_data;
    frontend_conn_opened ();
    return 0;
}

static void
s_connection_closed (const struct mg_connection *conn)
{
    (void) conn;
    frontend_conn_closed ();
}

//  Errors civetweb finds itself (bad request line, headers too large) get JSON too.
//  civetweb 1.15 reports a request line plus headers over max_request_size as 400
//  "Malformed message" (its 413 branch is unreachable), the same words it uses for a
//  head that never completed (client gone or too slow): 431 says what is likely.
static int
s_http_error (struct mg_connection *conn, int status, const char *message)
{
    if (status == 400 && message && streq (message, "Malformed message")) {
        status = 431;
        message = "request line and headers are over 16384 bytes, or incomplete";
    }
    frontend_reply_error_ex (conn, status, message && *message? message: "bad request", NULL, true);
    return 0;
}

//  True when the request carries a body we may leave unread.
static bool
s_has_body (struct mg_connection *conn)
{
    const struct mg_request_info *info = mg_get_request_info (conn);
    return info->content_length > 0 || mg_get_header (conn, "Transfer-Encoding") != NULL;
}

static int
s_handle_request (struct mg_connection *conn, void *cbdata)
{
    frontend_server_t *self = (frontend_server_t *) cbdata;
    const struct mg_request_info *info = mg_get_request_info (conn);
    int64_t started = frontend_metrics_begin (self->metrics);
    //  decode_url=no: we see the path as sent, so "%00" or "%2F" cannot slip past
    const char *path = info->local_uri_raw? info->local_uri_raw: info->request_uri;
    frontend_route_t route;
    int status;
    if (frontend_route_match (&route, info->request_method, path)) {
        char allow [64] = "";
        if (route.status == 405 && route.allow)
            snprintf (allow, sizeof allow, "Allow: %s\r\n", route.allow);
        bool body = s_has_body (conn);
        status = frontend_reply_error_ex (conn, route.status, route.error,
                                          *allow? allow: NULL, body);
        if (body)
            frontend_conn_refuse_body (conn);
    }
    else {
        status = frontend_api_handle (self->api, conn, &route);
        //  POST /orders reads its body (and refuses it itself); any other route has no
        //  use for one, which civetweb would read to the end, however slowly it came
        if (route.id != FRONTEND_ROUTE_ORDERS && s_has_body (conn))
            frontend_conn_refuse_body (conn);
    }
    frontend_metrics_end (self->metrics, route.id, status, started);
    return status;
}

frontend_server_t *
frontend_server_new (bz_config_t *config)
{
    assert (config);
    frontend_server_t *self = (frontend_server_t *) zmalloc (sizeof (frontend_server_t));
    self->config = config;
    self->metrics = frontend_metrics_new ();
    int64_t cache_size = bz_config_int (config, "cache_size");
    bool cached = bz_config_on (config, "cache") && cache_size > 0;
    self->cache = frontend_cache_new (cache_size > 0? (size_t) cache_size: 1, cached);
    int64_t thread_count = bz_config_int (config, "http_threads");
    //  Each open page holds a civetweb thread: at most a quarter of them
    self->live = frontend_live_new (config, thread_count >= 8? (int) (thread_count / 4): 1);
    self->files = frontend_static_new (bz_config_str (config, "www"));
    if (self->cache && self->live)
        self->feed = frontend_feed_new (config, self->cache, self->live);
    if (!self->cache || !self->feed || !self->live || !self->files) {
        zsys_error ("frontend: cannot start the lookup cache, the live page or its files");
        frontend_server_destroy (&self);
        return NULL;
    }
    if (cached)
        zsys_info ("frontend: lookup cache on, %zu entries, invalidations from %s",
                   frontend_cache_capacity (self->cache), bz_config_endpoint (config, "catalog"));
    self->bus = frontend_bus_new (config, self->metrics);
    self->api = self->bus? frontend_api_new (config, self->metrics, self->cache, self->feed,
                                             self->files, self->bus): NULL;
    if (!self->api) {
        zsys_error ("frontend: cannot start the bus client");
        frontend_server_destroy (&self);
        return NULL;
    }

    char port [64], threads [16], read_ms [16];
    snprintf (port, sizeof port, "%s:%d", bz_config_str (config, "http_host"),
              (int) bz_config_int (config, "http_port"));
    snprintf (threads, sizeof threads, "%d", (int) thread_count);
    snprintf (read_ms, sizeof read_ms, "%d", FRONTEND_READ_DEADLINE_MS);
    frontend_conn_set_limit (thread_count);
    const char *options [] = {
        "listening_ports", port,
        "num_threads", threads,
        "enable_keep_alive", "yes",
        "keep_alive_timeout_ms", "5000",
        "tcp_nodelay", "1",
        //  Bounds a slow client (slowloris): request line and headers as a whole, and
        //  each read. Not the bus deadline (config request_timeout_ms), another thing.
        "request_timeout_ms", read_ms,
        "max_request_size", "16384",
        //  Accepted connections waiting for a thread: the master thread stops accepting
        //  when full, and the kernel's backlog holds the rest (then refuses SYNs). Kept
        //  small: a thread frees within seconds (see frontend_conn_saturated), and
        //  waiting in the kernel costs us nothing.
        "connection_queue", "32",
        "listen_backlog", "4096",
        //  Route on the path as sent: refuse percent-encoding rather than decode it
        "decode_url", "no",
        NULL
    };
    struct mg_callbacks callbacks;
    memset (&callbacks, 0, sizeof callbacks);
    callbacks.http_error = s_http_error;
    callbacks.init_connection = s_connection_opened;
    callbacks.connection_close = s_connection_closed;
    s_cheap_threads ();
    self->context = mg_start (&callbacks, self, options);
    if (!self->context) {
        zsys_error ("frontend: cannot start HTTP on port %s", port);
        frontend_server_destroy (&self);
        return NULL;
    }
    mg_set_request_handler (self->context, "/", s_handle_request, self);
    frontend_live_attach (self->live, self->context, self->api);
    return self;
}

void
frontend_server_destroy (frontend_server_t **self_p)
{
    assert (self_p);
    frontend_server_t *self = *self_p;
    if (!self)
        return;
    if (self->context)
        mg_stop (self->context);
    frontend_feed_destroy (&self->feed);
    frontend_live_destroy (&self->live);
    frontend_api_destroy (&self->api);
    frontend_bus_destroy (&self->bus);
    frontend_cache_destroy (&self->cache);
    frontend_static_destroy (&self->files);
    frontend_metrics_destroy (&self->metrics);
    free (self);
    *self_p = NULL;
}
