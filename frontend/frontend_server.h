/*  frontend_server: the civetweb HTTP server of the REST API: options from bz_config,
    one shared bus client (frontend_bus), one handler that routes to frontend_api.  */
#ifndef FRONTEND_SERVER_H
#define FRONTEND_SERVER_H

#include "bz_config.h"

typedef struct _frontend_server_t frontend_server_t;

//  Starts serving on config's http_port with http_threads workers. config must outlive
//  the server. Returns NULL when civetweb cannot start (port in use, bad option).
frontend_server_t *frontend_server_new (bz_config_t *config);

//  Stops civetweb (waits for its threads), then the bus client, then frees.
void frontend_server_destroy (frontend_server_t **self_p);

#endif
