/*  frontend_live: the live page's WebSocket at /ws: pushes every stock change the catalog
    publishes (via frontend_feed) and the cluster's state (from the bus monitor) as JSON.  */
#ifndef FRONTEND_LIVE_H
#define FRONTEND_LIVE_H

#include <civetweb.h>
#include "bz_config.h"
#include "bz_msg.h"
#include "frontend_api.h"

//  Messages, one JSON object each, server to page:
//    {"type":"snapshot","stocks":[{"name","price","quantity","volume"}...]}
//        on connect and on the page's "snapshot" request; or {"type":"snapshot",
//        "error":"catalog unavailable"} when the catalog did not answer
//    {"type":"stock","name","price","quantity","volume"}   a committed change
//    {"type":"resync","reason":"gap"|"publisher"|"joined"|"overflow"|"malformed"} changes may have been missed:
//        the page asks for a snapshot
//    {"type":"cluster","bus":true,"catalog":true,"replicas":[{"id":1,"up":true}...],
//        "leader":3,"epoch":35}                             on connect and on any change
//  Page to server: the text "snapshot" (anything else is ignored; over 64 bytes closes).

typedef struct _frontend_live_t frontend_live_t;

//  Starts following the bus monitor (endpoint "monitor" of config). max_clients bounds
//  the open sockets: each holds one of civetweb's http_threads. NULL when the follower
//  cannot start.
frontend_live_t *frontend_live_new (bz_config_t *config, int max_clients);

//  Stops following; call it after mg_stop (no socket is open then).
void frontend_live_destroy (frontend_live_t **self_p);

//  Serves /ws on context (civetweb's websocket handlers); api answers the snapshots
//  and must outlive the live object.
void frontend_live_attach (frontend_live_t *self, struct mg_context *context, frontend_api_t *api);

//  A catalog INVALIDATE (name, price, quantity, volume) to push to every page. Safe
//  from any thread; never waits on a page (a slow page delays only the pusher).
void frontend_live_stock (frontend_live_t *self, const bz_msg_t *invalidate);

//  Tells every page that changes may have been lost (reason: a short label).
void frontend_live_resync (frontend_live_t *self, const char *reason);

//  Open WebSockets now, for /metrics.
int frontend_live_clients (frontend_live_t *self);

#endif
