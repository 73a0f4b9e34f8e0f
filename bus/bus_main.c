/*  bazaar-bus: the broker process. Usage: bazaar-bus [--config PATH]
    Started by scripts/cluster; everything else connects to it.           */
#include "bus_broker.h"
#include "bz_cli.h"
#include "bz_service.h"

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
    bz_service_t service;
    bus_broker_t *broker = NULL;
    if ((rc = bz_service_start (&service, "bus", values [0])) == 0
    &&  !(broker = bus_broker_new (service.config)))
        rc = 1;
    if (broker) {
        zsys_info ("bus: routing on %s, monitor on %s", bz_config_endpoint (service.config, "bus"),
                   bz_config_endpoint (service.config, "monitor"));
        if (bus_broker_run (broker))
            rc = 1;
        bus_broker_destroy (&broker);
    }
    bz_service_stop (&service);
    return rc;
}
