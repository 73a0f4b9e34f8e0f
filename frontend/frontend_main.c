/*  frontend_main: the bazaar-frontend program, the REST API over HTTP.
    Usage: bazaar-frontend [--config PATH]; runs until SIGINT or SIGTERM.  */
#include <czmq.h>
#include "bz_cli.h"
#include "frontend_server.h"
#include "bz_service.h"

static const bz_cli_option_t s_options [] = { BZ_CLI_CONFIG, { NULL, NULL, NULL, 0 } };
static const bz_cli_t s_cli = {
    "bazaar-frontend", "[--config PATH]",
    "The REST API (docs/rest.md, docs/openapi.yaml) on http_host:http_port, with the\n"
    "LRU cache of lookups and the live web page. Runs until SIGINT or SIGTERM.",
    s_options, 0, 0, NULL
};

int
main (int argc, char *argv [])
{
    const char *values [1];
    int rc;
    if (bz_cli_parse (&s_cli, argc, argv, values, &rc) < 0)
        return rc;
    //  bz_service_start installs CZMQ's SIGINT/SIGTERM handler and sets the process's
    //  security before the server starts threads: they fetch it for every bus socket
    bz_service_t service;
    frontend_server_t *server = NULL;
    if ((rc = bz_service_start (&service, "frontend", values [0])) == 0) {
        //  The bus endpoint, for the log line below
        const char *bus = bz_config_endpoint (service.config, "bus");
        if ((server = frontend_server_new (service.config)))
            zsys_info ("frontend: serving HTTP on %s:%s, bus at %s",
                       bz_config_str (service.config, "http_host"),
                       bz_config_str (service.config, "http_port"), bus);
        else
            rc = 1;
        while (server && !zsys_interrupted)
            zclock_sleep (100);
        if (server)
            zsys_info ("frontend: stopping");
        frontend_server_destroy (&server);
    }
    bz_service_stop (&service);
    return rc;
}
