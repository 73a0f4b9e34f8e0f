/*  bz_service: what every service process does before it serves and after it stops:
    installs CZMQ's SIGINT/SIGTERM handler, names itself in the log, reads and logs its
    settings, and sets up CURVE for every socket it will open. Used by the main() of the
    bus, the catalog, the order replicas and the frontend.                          */
#ifndef BZ_SERVICE_H
#define BZ_SERVICE_H

#include "bz_config.h"
#include "bz_security.h"

typedef struct {
    bz_config_t *config;        //  the settings, valid after a start that returned 0
    bz_security_t *security;    //  the process default (bz_security_set_default)
} bz_service_t;

//  Starts the service as ident ("catalog", "order3"): the settings come from
//  config_path (NULL: $BAZAAR_CONFIG, else data/bazaar.cfg; see bz_config_new) and are
//  logged in one line. Returns 0, or the exit status main returns at once: 2 when the
//  settings are refused (bz_config_new said why), 1 when CURVE cannot be set up (logged).
//  Call stop in either case.
int bz_service_start (bz_service_t *self, const char *ident, const char *config_path);

//  Unsets the default security and frees what start made. Safe after a failed start.
void bz_service_stop (bz_service_t *self);

#endif
