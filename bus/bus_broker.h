/*  bus_broker: the Bazaar message bus, a Majordomo-style service broker on one ROUTER.
    Used by bus_main.c; the protocol is in schemas/PROTOCOL.md.                          */
#ifndef BUS_BROKER_H
#define BUS_BROKER_H

#include <czmq.h>
#include "bz_config.h"

typedef struct _bus_broker_t bus_broker_t;

//  Binds the ROUTER ("bus" endpoint) and the monitor PUB ("monitor" endpoint).
//  Returns NULL if either cannot be bound.
bus_broker_t *bus_broker_new (bz_config_t *config);
void bus_broker_destroy (bus_broker_t **self_p);

//  Routes messages until the process is interrupted (SIGINT/SIGTERM): returns 0; or
//  until the poll fails (logged): returns -1.
int bus_broker_run (bus_broker_t *self);

//  Handles every message that is waiting and does due housekeeping, waiting at most
//  timeout_ms for the first one. Returns -1 when interrupted or the poll failed (logged).
//  (run loops on this.)
int bus_broker_step (bus_broker_t *self, int timeout_ms);

#endif
