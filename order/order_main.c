/*  bazaar-order: one order replica. Usage: bazaar-order --id N [--config PATH]
    scripts/cluster starts three (ids 1, 2, 3); the live one with the highest id leads.  */
#include "order_server.h"

int
main (int argc, char *argv [])
{
    int id = 0;
    const char *config_path = NULL;
    for (int arg = 1; arg + 1 < argc; arg += 2) {
        char *end = NULL;
        if (streq (argv [arg], "--id"))
            id = (int) strtol (argv [arg + 1], &end, 10);
        else
        if (streq (argv [arg], "--config"))
            config_path = argv [arg + 1];
        if (end && *end)
            id = 0;
    }
    if (id < 1 || id > 9 || argc % 2 == 0) {
        fprintf (stderr, "usage: bazaar-order --id N (1..9) [--config PATH]\n");
        return 2;
    }
    zsys_init ();
    char ident [16];
    snprintf (ident, sizeof ident, "order%d", id);
    zsys_set_logident (ident);
    bz_config_t *config = bz_config_new (config_path);
    if (!config)
        return 1;
    zsys_dir_create ("%s", bz_config_str (config, "data"));
    order_server_t *server = order_server_new (config, id);
    int rc = server? 0: 1;
    if (server)
        order_server_run (server);
    order_server_destroy (&server);
    bz_config_destroy (&config);
    return rc;
}
