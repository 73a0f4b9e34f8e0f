/*  frontend_api: the REST handlers: each turns a routed request into bus requests to
    the catalog and order services and renders the JSON reply. Called by frontend_server. */
#ifndef FRONTEND_API_H
#define FRONTEND_API_H

#include <jansson.h>
#include "bz_client.h"
#include "bz_config.h"
#include "bz_msg.h"
#include "frontend_bus.h"
#include "frontend_cache.h"
#include "frontend_feed.h"
#include "frontend_metrics.h"
#include "frontend_reply.h"
#include "frontend_route.h"
#include "frontend_static.h"

typedef struct _frontend_api_t frontend_api_t;

//  Reads the deadlines from config; metrics, cache, feed (NULL: no stream status),
//  files (the live page) and the bus client are the server's and must outlive the api.
//  NULL on failure.
frontend_api_t *frontend_api_new (bz_config_t *config, frontend_metrics_t *metrics,
                                  frontend_cache_t *cache, frontend_feed_t *feed,
                                  frontend_static_t *files, frontend_bus_t *bus);
void frontend_api_destroy (frontend_api_t **self_p);

//  What frontend_api_handle returns when it would wait and may not.
#define FRONTEND_API_WAIT   0

//  Answers one matched request (route->status == 0) in exchange and returns the HTTP
//  status. A request that needs a service waits on the shared bus client; when
//  may_wait is false (an event loop calls) it returns FRONTEND_API_WAIT instead,
//  having answered nothing. A lookup the cache holds never waits.
int frontend_api_handle (frontend_api_t *self, frontend_exchange_t *exchange,
                         const frontend_route_t *route, bool may_wait);

//  Looks one stock up at the catalog, over the bus: what GET /stocks/<name> does when
//  frontend_cache misses. Returns 200 with the STOCK in *stock, or the HTTP status to
//  answer (404, 502, 503) with a message in error.
int frontend_api_lookup (frontend_api_t *self, const char *name,
                         bz_msg_t *stock, char *error, size_t error_size);

//  Every stock, as GET /stocks lists them: a JSON array (the caller owns it), or NULL
//  with the HTTP status to answer in *status (502, 503) and a message in error.
json_t *frontend_api_stocks (frontend_api_t *self, int *status,
                            char *error, size_t error_size);

#endif
