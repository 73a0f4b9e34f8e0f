/*  frontend_server: the REST API's HTTP server (frontend_http) with options from
    bz_config, one shared bus client (frontend_bus), one handler that routes to
    frontend_api, and the live page.  */
#ifndef FRONTEND_SERVER_H
#define FRONTEND_SERVER_H

#include "bz_config.h"

typedef struct _frontend_server_t frontend_server_t;

//  Starts serving on config's http_host:http_port: an event loop per core, and
//  http_threads workers for requests that wait on a service. config must outlive the
//  server. Returns NULL when it cannot start (port in use).
frontend_server_t *frontend_server_new (bz_config_t *config);

//  Stops serving (waits for its threads), then the bus client, then frees.
void frontend_server_destroy (frontend_server_t **self_p);

#endif
