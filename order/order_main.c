/*  bazaar-order: one order replica. Usage: bazaar-order --id N [--config PATH] [--digest]
    scripts/cluster starts three (ids 1, 2, 3); the live one with the highest id leads.
    --digest prints "<orders> <sha1>" of replica N's log and exits (scripts/chaos).     */
#include "bz_cli.h"
#include "order_server.h"
#include "order_log.h"
#include "bz_limits.h"
#include "bz_service.h"

enum { OPT_ID, OPT_CONFIG, OPT_DIGEST };
static const bz_cli_option_t s_options [] = {
    { "id", "N", "this replica's id, 1..9 (required); the live one with the highest id leads", 0 },
    BZ_CLI_CONFIG,
    { "digest", NULL, "print \"<orders> <sha1>\" of replica N's log and exit (scripts/chaos)", 0 },
    { NULL, NULL, NULL, 0 }
};
static const bz_cli_t s_cli = {
    "bazaar-order", "--id N [--config PATH] [--digest]",
    "One order replica: its log in <data>/orderN.db, replication to and from the others,\n"
    "and, while it leads, the trade pipeline. Runs until SIGINT or SIGTERM.",
    s_options, 0, 0, NULL
};

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
    const char *values [3];
    int rc;
    if (bz_cli_parse (&s_cli, argc, argv, values, &rc) < 0)
        return rc;
    int64_t id = 0;
    if (!values [OPT_ID])
        return bz_cli_usage_error (&s_cli, "--id is required");
    if ((rc = bz_cli_int (&s_cli, "--id", values [OPT_ID], 1, BZ_REPLICAS_MAX, &id)))
        return rc;
    if (values [OPT_DIGEST]) {
        setenv ("ZSYS_SIGHANDLER", "false", 1);
        bz_config_t *config = bz_config_new (values [OPT_CONFIG]);
        rc = config? s_print_digest (config, (int) id): 2;
        bz_config_destroy (&config);
        return rc;
    }
    char ident [16];
    snprintf (ident, sizeof ident, "order%d", (int) id);
    bz_service_t service;
    order_server_t *server = NULL;
    if ((rc = bz_service_start (&service, ident, values [OPT_CONFIG])) == 0) {
        zsys_dir_create ("%s", bz_config_str (service.config, "data"));
        if (!(server = order_server_new (service.config, (int) id)))
            rc = 1;
    }
    if (server && order_server_run (server))
        rc = 1;
    order_server_destroy (&server);
    bz_service_stop (&service);
    return rc;
}
