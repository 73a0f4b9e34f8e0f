/*  frontend_main: the bazaar-frontend program, the REST API over HTTP.
    Usage: bazaar-frontend [--config PATH]; runs until SIGINT or SIGTERM.  */
#include <czmq.h>
#include <civetweb.h>
#include "bz_cli.h"
#include "bz_config.h"
#include "frontend_server.h"
#include "bz_security.h"

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
    //  zsys_init installs CZMQ's SIGINT/SIGTERM handler before civetweb starts threads
    zsys_init ();
    zsys_set_logident ("frontend");
    bz_config_t *config = bz_config_new (values [0]);
    if (!config)
        return 2;
    bz_config_log (config, "frontend");
    //  Read before the worker threads start: config caches endpoints on first use
    const char *bus = bz_config_endpoint (config, "bus");
    //  Before the threads too: they fetch it for every bus socket they open
    bz_security_t *security = bz_security_new (config);
    if (!security) {
        bz_config_destroy (&config);
        return 1;
    }
    bz_security_set_default (security);
    mg_init_library (0);
    frontend_server_t *server = frontend_server_new (config);
    if (!server) {
        mg_exit_library ();
        bz_security_destroy (&security);
        bz_config_destroy (&config);
        return 1;
    }
    zsys_info ("frontend: serving HTTP on %s:%s, bus at %s", bz_config_str (config, "http_host"),
               bz_config_str (config, "http_port"), bus);
    while (!zsys_interrupted)
        zclock_sleep (100);
    zsys_info ("frontend: stopping");
    frontend_server_destroy (&server);
    mg_exit_library ();
    bz_security_destroy (&security);
    bz_config_destroy (&config);
    return 0;
}
