/*  bz_config: every endpoint, id and knob of a Bazaar process, from one zconfig file.
    Used by every service and tool; environment variables BAZAAR_<KEY> override the file.  */
#ifndef BZ_CONFIG_H
#define BZ_CONFIG_H

#include <czmq.h>

typedef struct _bz_config_t bz_config_t;

//  Loads the settings from path, or from $BAZAAR_CONFIG, or from data/bazaar.cfg when
//  path is NULL (that last one may be missing: then the defaults apply). Every value is
//  checked against its type and range in the settings table (bz_config.c), from the file
//  and from BAZAAR_<KEY>. Returns NULL after printing a one-line error naming the key on
//  stderr when a file named explicitly is missing or does not parse, the file has a key
//  that is not a setting, or a value is of the wrong type or out of range; the caller
//  exits 2. An unknown BAZAAR_* environment name gets a warning on stderr.
bz_config_t *bz_config_new (const char *path);
//  The built-in defaults and the BAZAAR_<KEY> environment, no file (unit tests).
//  Returns NULL, as bz_config_new, when a BAZAAR_<KEY> value is refused.
bz_config_t *bz_config_new_defaults (void);

void bz_config_destroy (bz_config_t **self_p);

//  A setting by its key, normalized: booleans read "on" or "off", integers in decimal.
//  Asking for a key that is not in the table is a programmer error and asserts.
const char *bz_config_str (bz_config_t *self, const char *key);
//  An integer setting; asserts the key is one.
int64_t bz_config_int (bz_config_t *self, const char *key);
//  A boolean setting; asserts the key is one.
bool bz_config_on (bz_config_t *self, const char *key);

//  True if key is one of the settings (for tools that take a key from a user).
bool bz_config_known (const char *key);

//  Where the settings came from: the file read, or "(built-in defaults)".
const char *bz_config_source (bz_config_t *self);

//  Logs every effective setting in one line (zsys_info), prefixed by who: each service
//  calls it at start, so a log says whether CURVE was on and which ports were used.
void bz_config_log (bz_config_t *self, const char *who);

//  Prints every setting as "key=value" lines, in table order (bazaar-config).
void bz_config_print (bz_config_t *self, FILE *out);

//  Prints the configuration reference as Markdown (the README's "Configuration" tables):
//  every setting with its type, default, range and meaning, then every other BAZAAR_*
//  environment variable. The README section is this output, checked by a test.
void bz_config_print_reference (FILE *out);

//  Checks value for key as bz_config_new does. Returns 0, or -1 with a reason such as
//  "'99999' is out of range 1..65535" in reason. For the unit test and tools.
int bz_config_check (const char *key, const char *value, char *reason, size_t size);

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
