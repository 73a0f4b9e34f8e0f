/*  frontend_live: the live page's WebSocket at /ws: pushes every stock change the catalog
    publishes (via frontend_feed) and the cluster's state (from the bus monitor) as JSON.  */
#ifndef FRONTEND_LIVE_H
#define FRONTEND_LIVE_H

#include "bz_config.h"
#include "bz_msg.h"
#include "frontend_api.h"
#include "frontend_http.h"

//  Messages, one JSON object each, server to page:
//    {"type":"snapshot","stocks":[{"name","price","quantity","volume"}...]}
//        on connect and on the page's "snapshot" request; or {"type":"snapshot",
//        "error":"catalog unavailable"} when the catalog did not answer
//    {"type":"stock","name","price","quantity","volume"}   a committed change
//    {"type":"resync","reason":"gap"|"publisher"|"joined"|"overflow"|"malformed"} changes may have been missed:
//        the page asks for a snapshot
//    {"type":"cluster","bus":true,"catalog":true,"replicas":[{"id":1,"up":true}...],
//        "leader":3,"epoch":35}                             on connect and on any change
//  Page to server: the text "snapshot" (anything else is ignored; a frame over 125
//  bytes closes: FRONTEND_WS_PAYLOAD_MAX).

typedef struct _frontend_live_t frontend_live_t;

//  The most pages open at once; one more is refused (503).
#define FRONTEND_LIVE_PAGES_MAX     256

//  Starts following the bus monitor (endpoint "monitor" of config). max_clients bounds
//  the open pages. NULL when the follower cannot start.
frontend_live_t *frontend_live_new (bz_config_t *config, int max_clients);

//  Stops following; call it after frontend_live_detach.
void frontend_live_destroy (frontend_live_t **self_p);

//  Pages are let in once attached: http sends to them, api answers their snapshots.
//  Detach before either is destroyed: nothing is sent after it returns.
void frontend_live_attach (frontend_live_t *self, frontend_http_t *http, frontend_api_t *api);
void frontend_live_detach (frontend_live_t *self);

//  frontend_http's WebSocket callbacks (frontend_http_options_t), arg the live object.
bool frontend_live_open (void *arg, uint64_t id);
void frontend_live_ready (void *arg, uint64_t id);
void frontend_live_message (void *arg, uint64_t id, const char *text, size_t size);
void frontend_live_close (void *arg, uint64_t id);

//  A catalog INVALIDATE (name, price, quantity, volume) to push to every page. Safe
//  from any thread; never waits on a page (a slow page delays only the pusher).
void frontend_live_stock (frontend_live_t *self, const bz_msg_t *invalidate);

//  Tells every page that changes may have been lost (reason: a short label).
void frontend_live_resync (frontend_live_t *self, const char *reason);

//  Open WebSockets now, for /metrics.
int frontend_live_clients (frontend_live_t *self);

#endif
