/*  bz_config: every endpoint, id and knob of a Bazaar process, from one zconfig file.
    Used by every service; environment variables BAZAAR_<KEY> override the file.   */
#ifndef BZ_CONFIG_H
#define BZ_CONFIG_H

#include <czmq.h>

typedef struct _bz_config_t bz_config_t;

//  Loads the settings from path, or from $BAZAAR_CONFIG, or from data/bazaar.cfg when
//  path is NULL. A missing file leaves the built-in defaults; a file that does not parse
//  returns NULL, so a typo never silently starts a cluster with other settings.
bz_config_t *bz_config_new (const char *path);
void bz_config_destroy (bz_config_t **self_p);

//  A setting by its key (see data/bazaar.cfg for the list). Asking for a key that is not
//  in the list is a programmer error and asserts.
const char *bz_config_str (bz_config_t *self, const char *key);

//  True if key is one of the settings (for tools that take a key from a user).
bool bz_config_known (const char *key);
int64_t bz_config_int (bz_config_t *self, const char *key);
bool bz_config_on (bz_config_t *self, const char *key);

//  The TCP endpoint to connect to a named socket, derived from port_base and the
//  service's host (bus_host, catalog_host, order_hosts; each falls back to host):
//  "bus" (broker ROUTER), "monitor" (broker PUB), "catalog" (catalog PUB),
//  "orderN" (replica N's replication PUB), "orderN.sync" (replica N's ROUTER for acks
//  and catch-up). Returns NULL for an unknown name. The string lives as long as self.
//  Safe to call from several threads for these names: bz_config_new makes every one
//  of them before it returns, so later calls only read.
const char *bz_config_endpoint (bz_config_t *self, const char *name);

//  The endpoint a service binds for a named socket: the same, except that bind_host,
//  when set, replaces the host ("*" binds every interface, as in a container).
const char *bz_config_bind (bz_config_t *self, const char *name);

//  A path inside the data directory, e.g. bz_config_path (cfg, "catalog.db").
//  The string lives as long as self. Not thread-safe: call it from one thread.
const char *bz_config_path (bz_config_t *self, const char *file);

#endif
