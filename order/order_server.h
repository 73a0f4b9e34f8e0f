/*  order_server: one order replica: the leader's trade pipeline (batch → catalog →
    log → reply) and the answers to order queries. Used by order_main.c.           */
#ifndef ORDER_SERVER_H
#define ORDER_SERVER_H

#include <czmq.h>
#include "bz_config.h"

typedef struct _order_server_t order_server_t;

//  Opens replica id's log (order<id>.db in the data dir) and registers with the bus
//  as service "order" with rank id. Returns NULL on failure.
order_server_t *order_server_new (bz_config_t *config, int id);
void order_server_destroy (order_server_t **self_p);

//  Serves until the process is interrupted: returns 0 then, or -1 (logged) when it
//  cannot wait on its sockets any more.
int order_server_run (order_server_t *self);

#endif
