/*  bazaar-bus: the broker process. Usage: bazaar-bus [--config PATH]
    Started by scripts/cluster; everything else connects to it.           */
#include "bus_broker.h"
#include "bz_security.h"

int
main (int argc, char *argv [])
{
    const char *config_path = argc == 3 && streq (argv [1], "--config")? argv [2]: NULL;
    if (argc != 1 && !config_path) {
        fprintf (stderr, "usage: bazaar-bus [--config PATH]\n");
        return 2;
    }
    zsys_init ();
    zsys_set_logident ("bus");
    bz_config_t *config = bz_config_new (config_path);
    if (!config)
        return 1;
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
