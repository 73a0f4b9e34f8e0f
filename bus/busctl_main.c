/*  bazaar-busctl: asks the bus who is live, or prints a setting as the services see
    it (config file plus BAZAAR_<KEY> overrides). Used by scripts/cluster and people.
    Usage: bazaar-busctl [--config PATH] workers|leader|config KEY                    */
#include "bz_client.h"
#include "bz_bus.h"
#include "bz_msg.h"
#include "bz_security.h"

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
    const char *config_path = NULL;
    if (argc >= 4 && streq (argv [1], "--config")) {
        config_path = argv [2];
        argv += 2;
        argc -= 2;
    }
    bool config_key = argc == 3 && streq (argv [1], "config");
    if (!config_key
    &&  (argc != 2 || (!streq (argv [1], "workers") && !streq (argv [1], "leader")))) {
        fprintf (stderr, "usage: bazaar-busctl [--config PATH] workers|leader|config KEY\n");
        return 2;
    }
    if (config_key && !bz_config_known (argv [2])) {
        fprintf (stderr, "busctl: no setting named '%s' (see data/bazaar.cfg)\n", argv [2]);
        return 2;
    }
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    bz_config_t *config = bz_config_new (config_path);
    if (!config)
        return 1;
    int rc = 0;
    if (config_key)
        printf ("%s\n", bz_config_str (config, argv [2]));
    else {
        bz_security_t *security = bz_security_new (config);
        bz_security_set_default (security);
        rc = security? s_query (config, streq (argv [1], "leader")): 1;
        bz_security_destroy (&security);
    }
    bz_config_destroy (&config);
    return rc;
}
