/*  bazaar-busmon: prints the bus's monitor stream live (workers up/down, leader
    changes, requests per service). Usage: bazaar-busmon [--config PATH]          */
#include "bz_cli.h"
#include "bz_config.h"
#include "bz_msg.h"
#include "bz_security.h"

static const bz_cli_option_t s_options [] = { BZ_CLI_CONFIG, { NULL, NULL, NULL, 0 } };
static const bz_cli_t s_cli = {
    "bazaar-busmon", "[--config PATH]",
    "Prints the bus's monitor stream live, one line per event: worker.up, worker.down,\n"
    "leader (a failover) and stats (requests per service, once a second). Ctrl-C stops it.",
    s_options, 0, 0, NULL
};

int
main (int argc, char *argv [])
{
    const char *values [1];
    int rc;
    if (bz_cli_parse (&s_cli, argc, argv, values, &rc) < 0)
        return rc;
    bz_config_t *config = bz_config_new (values [0]);
    if (!config)
        return 2;
    bz_security_t *security = bz_security_new (config);
    zsock_t *monitor = security? zsock_new (ZMQ_SUB): NULL;
    if (monitor) {
        zsock_set_subscribe (monitor, "");
        if (bz_security_client (security, monitor)
        ||  zsock_connect (monitor, "%s", bz_config_endpoint (config, "monitor")))
            zsock_destroy (&monitor);
    }
    printf ("watching %s (Ctrl-C to stop)\n", bz_config_endpoint (config, "monitor"));
    fflush (stdout);
    while (monitor && !zsys_interrupted) {
        zmsg_t *msg = zmsg_recv (monitor);
        if (!msg)
            break;
        char *topic = zmsg_popstr (msg);
        zframe_t *frame = zmsg_pop (msg);
        bz_msg_t event;
        char error [128], stamp [32];
        time_t now = time (NULL);
        strftime (stamp, sizeof stamp, "%H:%M:%S", localtime (&now));
        if (topic && bz_msg_decode_frame (&event, frame, error, sizeof error) == BZ_MSG_WORKER) {
            if (streq (topic, "stats"))
                printf ("%s %-11s %-10s requests=%" PRId64 "\n", stamp, topic, event.service, event.count);
            else
            if (streq (topic, "leader"))
                printf ("%s %-11s %-10s rank=%" PRId64 " epoch=%" PRId64 "\n", stamp, topic,
                        event.service, event.rank, event.count);
            else
                printf ("%s %-11s %-10s rank=%" PRId64 "\n", stamp, topic, event.service, event.rank);
            fflush (stdout);
        }
        zstr_free (&topic);
        zframe_destroy (&frame);
        zmsg_destroy (&msg);
    }
    zsock_destroy (&monitor);
    bz_security_destroy (&security);
    bz_config_destroy (&config);
    return 0;
}
