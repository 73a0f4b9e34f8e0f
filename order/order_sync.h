/*  order_sync: replication between the order replicas (PUB/SUB out, acks and catch-up
    back over ROUTER/DEALER). Used by order_server, as leader and as follower.      */
#ifndef ORDER_SYNC_H
#define ORDER_SYNC_H

#include <czmq.h>
#include "bz_config.h"
#include "order_log.h"

#define ORDER_SYNC_ITEMS 16     //  most poll items order_sync_poll_items fills

typedef struct _order_sync_t order_sync_t;

//  Binds replica id's PUB ("orderN") and ROUTER ("orderN.sync") and connects to the
//  other order_replicas replicas. log is borrowed. Returns NULL if a bind fails.
order_sync_t *order_sync_new (bz_config_t *config, int id, order_log_t *log);
void order_sync_destroy (order_sync_t **self_p);

//  Fills poll items for the replication sockets; returns how many.
int order_sync_poll_items (order_sync_t *self, zmq_pollitem_t *items, int max);

//  Handles everything waiting on the replication sockets: as a follower, applies the
//  leader's orders (one fsync for all that are waiting) and acknowledges them; as any
//  replica, answers catch-up requests; as the leader, records acknowledgments.
void order_sync_handle (order_sync_t *self);

//  Call at least every heartbeat: the leader publishes a heartbeat at its epoch;
//  catch-up requests past their deadline are given up (the next REPLICATE or peer
//  answer asks again), and dealers or a SUB silent for a liveness period are redialled.
void order_sync_tick (order_sync_t *self, bool leading, int64_t epoch);

//  Leader: publishes orders it has just made durable in its own log.
void order_sync_publish (order_sync_t *self, int64_t epoch, const bz_msg_t *records, size_t count);

//  Leader: the highest order number durable on a majority of replicas (its own log
//  included), or -1.
int64_t order_sync_committed (order_sync_t *self);

//  Leader: true when enough followers answered lately to make a majority.
bool order_sync_quorum (order_sync_t *self);

//  True when enough peers answered our catch-up requests lately to make a majority: a
//  replica that stepped down for want of one asks (order_sync_catch_up) and comes back
//  when this holds. (Acknowledgments do not count: on a lossy link a late one would
//  bring back at once a leader that just stepped aside.)
bool order_sync_reachable (order_sync_t *self);

//  The highest epoch heard from any replica.
int64_t order_sync_epoch_seen (order_sync_t *self);

//  Asks every other replica for the orders after our last one; caught_up is true once
//  enough have answered in full to make a majority with us, or each has answered or
//  not answered within retry time (it is down). The catalog holds every trade anyway:
//  this only spares the leader pulling from it what its peers already have.
void order_sync_catch_up (order_sync_t *self);
bool order_sync_caught_up (order_sync_t *self);

#endif
