/*  frontend_main: the bazaar-frontend program, the REST API over HTTP.
    Usage: bazaar-frontend [--config PATH]; runs until SIGINT or SIGTERM.  */
#include <czmq.h>
#include <civetweb.h>
#include "bz_config.h"
#include "frontend_server.h"
#include "bz_security.h"

static void
s_usage (void)
{
    fprintf (stderr, "usage: bazaar-frontend [--config PATH]\n");
}

int
main (int argc, char *argv [])
{
    const char *config_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--config") && i + 1 < argc)
            config_path = argv [++i];
        else {
            s_usage ();
            return streq (argv [i], "--help")? 0: 2;
        }
    }
    //  zsys_init installs CZMQ's SIGINT/SIGTERM handler before civetweb starts threads
    zsys_init ();
    zsys_set_logident ("frontend");
    bz_config_t *config = bz_config_new (config_path);
    if (!config)
        return 1;
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
    zsys_info ("frontend: serving HTTP on port %s, bus at %s",
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
