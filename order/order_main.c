/*  bazaar-order: one order replica. Usage: bazaar-order --id N [--config PATH] [--digest]
    scripts/cluster starts three (ids 1, 2, 3); the live one with the highest id leads.
    --digest prints "<orders> <sha1>" of replica N's log and exits (scripts/chaos).     */
#include "order_server.h"
#include "order_log.h"
#include "bz_security.h"

//  Prints how many orders replica id's log holds and a digest of them.
static int
s_print_digest (bz_config_t *config, int id)
{
    char file [32];
    snprintf (file, sizeof file, "order%d.db", id);
    order_log_t *log = order_log_new (bz_config_path (config, file));
    if (!log)
        return 1;
    char *digest = order_log_digest (log);
    printf ("%" PRId64 " %s\n", order_log_last (log) + 1, digest);
    zstr_free (&digest);
    order_log_destroy (&log);
    return 0;
}

int
main (int argc, char *argv [])
{
    int id = 0;
    const char *config_path = NULL;
    bool digest = argc > 1 && streq (argv [argc - 1], "--digest");
    if (digest)
        argc--;
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
        fprintf (stderr, "usage: bazaar-order --id N (1..9) [--config PATH] [--digest]\n");
        return 2;
    }
    if (digest) {
        setenv ("ZSYS_SIGHANDLER", "false", 1);
        bz_config_t *config = bz_config_new (config_path);
        int rc = config? s_print_digest (config, id): 1;
        bz_config_destroy (&config);
        return rc;
    }
    zsys_init ();
    char ident [16];
    snprintf (ident, sizeof ident, "order%d", id);
    zsys_set_logident (ident);
    bz_config_t *config = bz_config_new (config_path);
    if (!config)
        return 1;
    zsys_dir_create ("%s", bz_config_str (config, "data"));
    bz_security_t *security = bz_security_new (config);
    bz_security_set_default (security);
    order_server_t *server = security? order_server_new (config, id): NULL;
    int rc = server? 0: 1;
    if (server)
        order_server_run (server);
    order_server_destroy (&server);
    bz_security_destroy (&security);
    bz_config_destroy (&config);
    return rc;
}
