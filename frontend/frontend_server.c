/*  frontend_server: the REST API's HTTP server (frontend_http) with options from
    bz_config, one shared bus client (frontend_bus), one handler that routes to
    frontend_api, and the live page. */
#include <czmq.h>
#include <malloc.h>
#include <sys/resource.h>
#include "frontend_api.h"
#include "frontend_bus.h"
#include "frontend_cache.h"
#include "frontend_feed.h"
#include "frontend_http.h"
#include "frontend_live.h"
#include "frontend_metrics.h"
#include "frontend_reply.h"
#include "frontend_route.h"
#include "frontend_server.h"
#include "frontend_static.h"

#define MALLOC_ARENAS       2
//  Descriptors kept for everything but HTTP connections (bus sockets, files, logs)
#define RESERVED_FDS        256

struct _frontend_server_t {
    bz_config_t *config;            //  not owned
    frontend_metrics_t *metrics;
    frontend_cache_t *cache;
    frontend_feed_t *feed;          //  the catalog stream: keeps the cache and the live page
    frontend_static_t *files;       //  the live page's files
    frontend_live_t *live;          //  the live page's WebSocket
    frontend_bus_t *bus;
    frontend_api_t *api;
    frontend_http_t *http;
};

//  Requests that wait on a service run on worker threads; malloc must not add an
//  arena per thread (glibc allows 8 per core, each keeping its own free memory):
//  two arenas, one per core.
static void
s_cheap_threads (void)
{
    mallopt (M_ARENA_MAX, MALLOC_ARENAS);
}

//  Every request: routed, then answered by frontend_api (in a loop when it can, or in
//  a worker when it waits on a service). The route's error when it does not match.
static int
s_handle (void *arg, frontend_exchange_t *exchange, bool may_wait)
{
    frontend_server_t *self = (frontend_server_t *) arg;
    frontend_route_t route;
    int status;
    if (frontend_route_match (&route, exchange->request.method, exchange->request.target)) {
        char allow [64] = "";
        if (route.status == 405 && route.allow)
            snprintf (allow, sizeof allow, "Allow: %s\r\n", route.allow);
        status = frontend_reply_error_ex (exchange, route.status, route.error,
                                          *allow? allow: NULL, false);
    }
    else
    if ((status = frontend_api_handle (self->api, exchange, &route, may_wait)) == FRONTEND_API_WAIT)
        return FRONTEND_HTTP_WAIT;
    frontend_metrics_end (self->metrics, route.id, status, exchange->started);
    return status;
}

//  Open connections at most: what the descriptor limit allows, less a reserve.
static int64_t
s_connections_max (void)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) || limit.rlim_cur == RLIM_INFINITY)
        return 65536;
    return limit.rlim_cur > 2 * RESERVED_FDS? (int64_t) limit.rlim_cur - RESERVED_FDS
                                            : (int64_t) limit.rlim_cur / 2;
}

//  One loop per core, at most FRONTEND_HTTP_LOOPS_MAX.
static int
s_loop_count (void)
{
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    return cores < 1? 1: cores > FRONTEND_HTTP_LOOPS_MAX? FRONTEND_HTTP_LOOPS_MAX: (int) cores;
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
    self->live = frontend_live_new (config, FRONTEND_LIVE_PAGES_MAX);
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

    frontend_http_options_t options = {
        .host = bz_config_str (config, "http_host"),
        .port = (int) bz_config_int (config, "http_port"),
        .loops = s_loop_count (),
        .workers = (int) thread_count,
        .queue_max = (int) bz_config_int (config, "bus_queue_max"),
        .queue_wait_ms = (int) bz_config_int (config, "bus_queue_wait_ms"),
        .connections_max = s_connections_max (),
        .handle = s_handle,
        .ws_open = frontend_live_open,
        .ws_ready = frontend_live_ready,
        .ws_message = frontend_live_message,
        .ws_close = frontend_live_close,
        .arg = self,
        .ws_arg = self->live,
        .metrics = self->metrics
    };
    s_cheap_threads ();
    self->http = frontend_http_new (&options);
    if (!self->http) {
        frontend_server_destroy (&self);
        return NULL;
    }
    frontend_live_attach (self->live, self->http, self->api);
    return self;
}

void
frontend_server_destroy (frontend_server_t **self_p)
{
    assert (self_p);
    frontend_server_t *self = *self_p;
    if (!self)
        return;
    //  No page is sent to once detached; no request is served once http is gone
    if (self->live)
        frontend_live_detach (self->live);
    frontend_http_destroy (&self->http);
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
