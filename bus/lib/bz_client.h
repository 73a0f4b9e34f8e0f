/*  bz_client: a synchronous client of the bus that survives lost replies (Lazy Pirate).
    Not thread-safe: one per thread; the frontend multiplexes with frontend_bus instead.  */
#ifndef BZ_CLIENT_H
#define BZ_CLIENT_H

#include <czmq.h>
#include "bz_config.h"
#include "bz_security.h"

typedef struct _bz_client_t bz_client_t;

//  Connects to the broker named by config ("bus" endpoint). Returns NULL on failure.
bz_client_t *bz_client_new (bz_config_t *config);
void bz_client_destroy (bz_client_t **self_p);

//  Sends the request frames to a service and returns the reply frames (the caller owns
//  them), or NULL when no reply came within timeout_ms. Takes ownership of *request_p.
//  Each try waits up to retry_ms; a try that times out closes and reopens the socket
//  and resends, so a request must be safe to repeat (lookups are; trades carry an
//  idempotency key). Replies to earlier tries are recognised by request id and dropped.
zmsg_t *bz_client_request (bz_client_t *self, const char *service, zmsg_t **request_p,
                           int timeout_ms);

//  The asynchronous form, for a service that must keep serving while it waits (the
//  order leader waiting on the catalog): up to BZ_CLIENT_INFLIGHT requests at a time,
//  answered in the order they were sent. send takes the request (-1 when it cannot be
//  sent, or that many wait already); poll bz_client_socket for input and call recv,
//  which returns the reply to the oldest waiting request, or NULL for anything else
//  (a late reply to a request given up on, or one out of order). When the caller gives
//  up waiting, reset forgets every waiting request and reopens the socket (Lazy
//  Pirate); the socket then changes, and is NULL (logged) when it cannot be reopened:
//  send then fails until a later reset succeeds. waiting says how many requests await
//  a reply.
#define BZ_CLIENT_INFLIGHT  8
int bz_client_send (bz_client_t *self, const char *service, zmsg_t **request_p);
zmsg_t *bz_client_recv (bz_client_t *self);
zsock_t *bz_client_socket (bz_client_t *self);
void bz_client_reset (bz_client_t *self);
size_t bz_client_waiting (bz_client_t *self);

//  For a client that multiplexes many requests on one socket (the frontend's
//  frontend_bus): opens a DEALER to the broker as every bus client does (linger 0,
//  max_frame, security applied); NULL on failure. Its messages carry the client
//  envelope of bz_bus.h.
zsock_t *bz_client_dealer (const char *endpoint, bz_security_t *security, int max_frame);

//  Number of resets (tries that timed out, and the caller's) since the client was made.
uint64_t bz_client_retries (bz_client_t *self);

#endif
