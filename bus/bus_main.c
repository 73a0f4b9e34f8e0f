/*  bazaar-bus: the broker process. Usage: bazaar-bus [--config PATH]
    Started by scripts/cluster; everything else connects to it.           */
#include "bus_broker.h"
#include "bz_cli.h"
#include "bz_security.h"

static const bz_cli_option_t s_options [] = { BZ_CLI_CONFIG, { NULL, NULL, NULL, 0 } };
static const bz_cli_t s_cli = {
    "bazaar-bus", "[--config PATH]",
    "The service bus: routes requests from clients to the workers of each service,\n"
    "heartbeats both sides and publishes its events on the monitor socket.\n"
    "Runs until SIGINT or SIGTERM.",
    s_options, 0, 0, NULL
};

int
main (int argc, char *argv [])
{
    const char *values [1];
    int rc;
    if (bz_cli_parse (&s_cli, argc, argv, values, &rc) < 0)
        return rc;
    zsys_init ();
    zsys_set_logident ("bus");
    bz_config_t *config = bz_config_new (values [0]);
    if (!config)
        return 2;
    bz_config_log (config, "bus");
    bz_security_t *security = bz_security_new (config);
    bz_security_set_default (security);
    bus_broker_t *broker = security? bus_broker_new (config): NULL;
    if (!broker) {
        bz_security_destroy (&security);
        bz_config_destroy (&config);
        return 1;
    }
    zsys_info ("bus: routing on %s, monitor on %s", bz_config_endpoint (config, "bus"),
               bz_config_endpoint (config, "monitor"));
    bus_broker_run (broker);
    bus_broker_destroy (&broker);
    bz_security_destroy (&security);
    bz_config_destroy (&config);
    return 0;
}
