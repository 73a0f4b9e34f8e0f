/*  bazaar-busctl: asks the bus who is live, or prints a setting as the services see
    it (config file plus BAZAAR_<KEY> overrides). Used by scripts/cluster and people.
    Usage: bazaar-busctl [--config PATH] workers|leader|config KEY                    */
#include "bz_cli.h"
#include "bz_client.h"
#include "bz_bus.h"
#include "bz_msg.h"
#include "bz_security.h"

static const bz_cli_option_t s_options [] = { BZ_CLI_CONFIG, { NULL, NULL, NULL, 0 } };
static const bz_cli_t s_cli = {
    "bazaar-busctl", "[--config PATH] workers|leader|config KEY",
    "Asks the bus who is live, or prints a setting as the services see it:\n"
    "  workers      the live workers: service, rank, requests in flight\n"
    "  leader       the order leader's replica id\n"
    "  config KEY   the setting KEY (config file, then BAZAAR_<KEY>); see bazaar-config",
    s_options, 1, 2,
    "  0  success\n  1  the bus did not answer, or there is no order leader\n"
    "  2  usage error or bad setting"
};

//  Prints the live workers, or the order leader's replica id. Returns the exit code.
static int
s_query (bz_config_t *config, bool leader_only)
{
    bz_client_t *client = bz_client_new (config);
    if (!client)
        return 1;
    zmsg_t *request = zmsg_new ();
    zmsg_addstr (request, "");
    zmsg_t *reply = bz_client_request (client, BZ_SERVICE_WORKERS, &request, 2000);
    bz_client_destroy (&client);
    if (!reply) {
        fprintf (stderr, "busctl: the bus did not answer\n");
        return 1;
    }
    int64_t leader = 0;
    for (zframe_t *frame = zmsg_first (reply); frame; frame = zmsg_next (reply)) {
        bz_msg_t worker;
        char error [128];
        if (bz_msg_decode_frame (&worker, frame, error, sizeof error) != BZ_MSG_WORKER)
            continue;
        if (streq (worker.service, "order") && worker.rank > leader)
            leader = worker.rank;
        if (!leader_only)
            printf ("%-12s rank %-3" PRId64 " in flight %" PRId64 "\n",
                    worker.service, worker.rank, worker.count);
    }
    zmsg_destroy (&reply);
    if (leader_only && leader)
        printf ("%" PRId64 "\n", leader);
    return leader_only && !leader? 1: 0;
}

int
main (int argc, char *argv [])
{
    const char *values [1];
    int rc;
    int first = bz_cli_parse (&s_cli, argc, argv, values, &rc);
    if (first < 0)
        return rc;
    const char *command = argv [first], *key = first + 1 < argc? argv [first + 1]: NULL;
    bool config_key = streq (command, "config");
    if (config_key != (key != NULL)
    ||  (!config_key && !streq (command, "workers") && !streq (command, "leader")))
        return bz_cli_usage_error (&s_cli, "unknown command '%s%s%s'", command,
                                   key? " ": "", key? key: "");
    if (config_key && !bz_config_known (key))
        return bz_cli_usage_error (&s_cli, "no setting named '%s' (bazaar-config lists them)", key);
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    bz_config_t *config = bz_config_new (values [0]);
    if (!config)
        return 2;
    rc = 0;
    if (config_key)
        printf ("%s\n", bz_config_str (config, key));
    else {
        bz_security_t *security = bz_security_new (config);
        bz_security_set_default (security);
        rc = security? s_query (config, streq (command, "leader")): 1;
        bz_security_destroy (&security);
    }
    bz_config_destroy (&config);
    return rc;
}
