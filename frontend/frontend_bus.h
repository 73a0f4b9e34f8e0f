/*  frontend_bus: the frontend's one bus client, shared by all its workers: a few DEALER
    sockets, each owned by an I/O thread, many requests in flight. Used by frontend_api.  */
#ifndef FRONTEND_BUS_H
#define FRONTEND_BUS_H

#include <czmq.h>
#include "bz_config.h"
#include "bz_msg.h"
#include "frontend_metrics.h"

typedef struct _frontend_bus_t frontend_bus_t;

//  How a request ended.
typedef enum {
    FRONTEND_BUS_REPLIED,       //  a reply came
    FRONTEND_BUS_TIMEOUT,       //  no reply within the request's deadline
    FRONTEND_BUS_QUEUE_FULL,    //  refused at once: bus_queue_max requests already wait
    FRONTEND_BUS_QUEUE_WAIT,    //  refused: it would wait (or waited) over bus_queue_wait_ms
    FRONTEND_BUS_FAILED         //  no socket, or the client is stopping
} frontend_bus_result_t;

//  Starts bus_sockets I/O threads, each with its own DEALER to the broker, from config
//  (bus endpoint, retry_ms, max_frame, bus_sockets, bus_inflight, bus_queue_max,
//  bus_queue_wait_ms, used as they are: bz_config checked their ranges at start). metrics must outlive the
//  client. The process's bz_security must be set. NULL on failure.
frontend_bus_t *frontend_bus_new (bz_config_t *config, frontend_metrics_t *metrics);

//  Stops the I/O threads; requests still waiting end FRONTEND_BUS_FAILED. Call only once
//  no other thread can call frontend_bus_request any more.
void frontend_bus_destroy (frontend_bus_t **self_p);

//  Sends the body frames in *request_p (taken) to service and blocks the calling thread
//  until the reply, for at most timeout_ms in all. Lazy Pirate on a shared socket: a try
//  that gets no reply within retry_ms is sent again (every try carries the request's id:
//  the first answer to any of them answers the request, later ones are dropped), and a
//  socket that heard nothing at all through two tries of a request is closed and
//  reopened, its requests resent. So a request must be safe
//  to repeat (lookups are; trades carry an idempotency key). At most bus_inflight requests
//  per socket are on the wire; the rest queue, and are refused (QUEUE_FULL, QUEUE_WAIT)
//  rather than wait longer than bus_queue_wait_ms. Returns the reply's body frames (the
//  caller owns them) with *result REPLIED, or NULL with the reason in *result.
//  Thread-safe.
zmsg_t *frontend_bus_request (frontend_bus_t *self, const char *service, zmsg_t **request_p,
                              int timeout_ms, frontend_bus_result_t *result);

//  The frontend's bus-call policy on top of frontend_bus_request: encodes request, and
//  while the bus answers a lone ERROR 503 (no live worker: a failover in progress) and
//  retry_unavailable allows it, asks again after a short pause within timeout_ms, so a
//  client sees a stall rather than a 5xx a retry could mask. Counts timeouts, retries,
//  refusals and bad replies in metrics. Returns the reply with its first frame decoded
//  into *first (BZ_MSG_NONE when malformed or empty), or NULL when there is none: then
//  *first is ERROR 503 when the request was refused for overload (see
//  frontend_bus_overloaded), BZ_MSG_NONE otherwise.
zmsg_t *frontend_bus_call (frontend_bus_t *self, const char *service, const bz_msg_t *request,
                           int timeout_ms, bool retry_unavailable, bz_msg_t *first);

//  True when frontend_bus_call returned NULL because the frontend shed the request
//  (first is the ERROR 503 it set), not because the service did not answer.
bool frontend_bus_overloaded (const bz_msg_t *first);

//  Requests on the wire and requests queued for a socket now, over all sockets.
void frontend_bus_load (frontend_bus_t *self, uint64_t *inflight, uint64_t *queued);

#endif
