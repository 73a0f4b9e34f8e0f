/*  catalog_server: the "catalog" bus service: answers lookups, applies the order leader's
    batches to catalog_store and publishes invalidations. Used by catalog_main.          */
#ifndef CATALOG_SERVER_H
#define CATALOG_SERVER_H

#include <czmq.h>
#include "bz_config.h"
#include "catalog_store.h"

typedef struct _catalog_server_t catalog_server_t;

//  Registers as worker of "catalog" on the bus and binds the invalidation PUB socket.
//  The store stays owned by the caller and must outlive the server. Returns NULL (logged)
//  when a socket cannot be made or bound.
catalog_server_t *catalog_server_new (bz_config_t *config, catalog_store_t *store);

//  Leaves the bus and closes the sockets. Safe on NULL or twice.
void catalog_server_destroy (catalog_server_t **self_p);

//  Serves requests until the process is interrupted (SIGINT/SIGTERM): returns 0; or
//  until the poll fails (logged): returns -1.
int catalog_server_run (catalog_server_t *self);

//  Most requests handled together; consecutive batches among them share one commit.
#define CATALOG_GROUP_MAX       8

//  Answers one request body (frames of schemas/PROTOCOL.md, catalog section; taken) and
//  returns the reply frames; never NULL: a malformed request gets one ERROR{400} frame.
//  A committed batch leaves its invalidations pending for catalog_server_publish.
zmsg_t *catalog_server_handle (catalog_server_t *self, zmsg_t **body_p);

//  Answers count requests (at most CATALOG_GROUP_MAX; bodies taken) in order, each reply
//  into replies, as handle would, except that consecutive batches are applied in one
//  transaction with one commit (group commit): if that commit fails, every batch of the
//  group is answered ERROR{503} and none of it is applied. Any other request commits the
//  group before it, so it never sees uncommitted state.
void catalog_server_handle_all (catalog_server_t *self, zmsg_t **bodies, zmsg_t **replies,
                                size_t count);

//  Publishes the invalidations of the batches committed since the last call, once their
//  replies are sent. Does nothing when none is pending.
void catalog_server_publish (catalog_server_t *self);

//  This process's publisher id on the invalidation stream.
const char *catalog_server_publisher (catalog_server_t *self);

#endif
