/*  bz_worker: the worker side of the bus: registers a service, heartbeats the broker,
    hands requests to the service and carries its replies back, possibly out of order.  */
#ifndef BZ_WORKER_H
#define BZ_WORKER_H

#include <czmq.h>
#include "bz_config.h"
#include "bz_metrics.h"

//  One request on the bus, as a worker takes it (the service may keep it and reply
//  later) and as the broker holds it, queued or in flight (bus/bus_broker.c).
typedef struct {
    zframe_t *client;       //  return address at the broker
    zframe_t *reqid;        //  the client's request id
    zmsg_t *body;           //  the request's message frames (see schemas/)
} bz_request_t;

void bz_request_destroy (bz_request_t **self_p);

typedef struct _bz_worker_t bz_worker_t;

//  Connects to the broker and registers service. rank 0 spreads the service's requests
//  over all its workers; a rank above 0 sends them all to the live worker with the
//  highest rank (the order leader). Returns NULL on failure.
bz_worker_t *bz_worker_new (bz_config_t *config, const char *service, int rank);

//  Tells the broker this worker is leaving, then closes.
void bz_worker_destroy (bz_worker_t **self_p);

//  The socket to poll for input; it stays the same for the worker's whole life.
zsock_t *bz_worker_socket (bz_worker_t *self);

//  Reads one message from the socket. Returns a request, or NULL when the message was
//  bus control (heartbeat, disconnect) or malformed (logged and dropped).
bz_request_t *bz_worker_recv (bz_worker_t *self);

//  Sends the reply frames for a request and destroys both.
void bz_worker_reply (bz_worker_t *self, bz_request_t **request_p, zmsg_t **reply_p);

//  Sends heartbeats and re-registers when the broker has gone silent (it restarted).
//  Call it at least every bz_worker_tick_ms; it is cheap when nothing is due.
void bz_worker_tick (bz_worker_t *self);
int bz_worker_tick_ms (bz_worker_t *self);

//  The rank of the live worker the broker routes this service to (the leader of a
//  ranked service), as of the broker's last heartbeat, 0 when unknown; and that
//  worker's announced epoch, the last one heard (kept while the broker is silent).
int bz_worker_leader (bz_worker_t *self);
int64_t bz_worker_leader_epoch (bz_worker_t *self);

//  How many workers of this service (this one included) the broker had registered as
//  of its last heartbeat; 0 when unknown.
int bz_worker_service_size (bz_worker_t *self);

//  Announces this worker's epoch to the broker (in every heartbeat, and at once),
//  which publishes it on the monitor stream while this worker leads.
void bz_worker_set_epoch (bz_worker_t *self, int64_t epoch);

//  available false withdraws this worker from the bus (DISCONNECT; no READY or
//  heartbeat until made available again), so the broker routes the service to other
//  workers: an order leader that cannot write its log steps aside this way. true
//  registers it again (READY). Does nothing when already so.
void bz_worker_set_available (bz_worker_t *self, bool available);

//  The service's metrics registry (counters, gauges, histograms it declares and
//  updates from the thread that uses the worker). bz_worker_tick sends it, with the
//  process_* metrics, to the broker once a second; GET /metrics shows it.
bz_metrics_t *bz_worker_metrics (bz_worker_t *self);

//  True while the broker has been heard from within the liveness window.
bool bz_worker_connected (bz_worker_t *self);

#endif
