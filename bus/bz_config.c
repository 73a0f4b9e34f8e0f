/*  bz_config: one zconfig file plus BAZAAR_<KEY> environment overrides.
    The defaults below are the single list of knobs; data/bazaar.cfg documents them.  */
#include "bz_config.h"

#define BZ_CONFIG_KEYS(K)                 \
    K (data,               "./var")       \
    K (host,               "127.0.0.1")   \
    K (http_port,          "8080")        \
    K (port_base,          "5550")        \
    K (http_threads,       "1100")        \
    K (cache,              "on")          \
    K (cache_size,         "8")           \
    K (heartbeat_ms,       "100")         \
    K (liveness,           "5")           \
    K (request_timeout_ms, "3000")        \
    K (retry_ms,           "1000")         \
    K (queue_wait_ms,      "500")        \
    K (queue_max,          "10000")       \
    K (worker_credit,      "128")         \
    K (max_frame,          "4096")        \
    K (bus_sockets,        "2")           \
    K (bus_inflight,       "1024")        \
    K (bus_queue_max,      "8192")        \
    K (bus_queue_wait_ms,  "1000")        \
    K (order_replicas,     "3")           \
    K (curve,              "off")

static const struct { const char *key, *fallback; } s_keys [] = {
#define K(key, fallback) { #key, fallback },
    BZ_CONFIG_KEYS (K)
#undef K
};
#define KEY_COUNT (sizeof s_keys / sizeof s_keys [0])

struct _bz_config_t {
    char *value [KEY_COUNT];    //  resolved once: env > file > default
    zhashx_t *strings;          //  endpoints and paths handed out, owned here
};

static int
s_key_index (const char *key)
{
    for (size_t i = 0; i < KEY_COUNT; i++)
        if (streq (s_keys [i].key, key))
            return (int) i;
    return -1;
}

bool
bz_config_known (const char *key)
{
    return key && s_key_index (key) >= 0;
}

bz_config_t *
bz_config_new (const char *path)
{
    if (!path)
        path = getenv ("BAZAAR_CONFIG");
    if (!path)
        path = "data/bazaar.cfg";
    zconfig_t *root = NULL;
    if (zsys_file_exists (path)) {
        root = zconfig_load (path);
        if (!root) {
            zsys_error ("config: cannot parse %s", path);
            return NULL;
        }
    }
    bz_config_t *self = (bz_config_t *) zmalloc (sizeof (bz_config_t));
    self->strings = zhashx_new ();
    zhashx_set_destructor (self->strings, (zhashx_destructor_fn *) zstr_free);
    for (size_t i = 0; i < KEY_COUNT; i++) {
        char env_name [64] = "BAZAAR_";
        for (size_t c = 0; s_keys [i].key [c] && c + 8 < sizeof env_name; c++)
            env_name [7 + c] = (char) toupper ((unsigned char) s_keys [i].key [c]);
        const char *value = getenv (env_name);
        if (!value && root) {
            char node_path [64];
            snprintf (node_path, sizeof node_path, "bazaar/%s", s_keys [i].key);
            value = zconfig_get (root, node_path, NULL);
        }
        self->value [i] = strdup (value? value: s_keys [i].fallback);
    }
    zconfig_destroy (&root);
    //  Made now, so that threads may look endpoints up concurrently later.
    const char *fixed [] = { "bus", "monitor", "catalog" };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed [0]; i++)
        bz_config_endpoint (self, fixed [i]);
    for (int replica = 1; replica <= 9; replica++) {
        char name [32];
        snprintf (name, sizeof name, "order%d", replica);
        bz_config_endpoint (self, name);
        snprintf (name, sizeof name, "order%d.sync", replica);
        bz_config_endpoint (self, name);
    }
    return self;
}

void
bz_config_destroy (bz_config_t **self_p)
{
    assert (self_p);
    bz_config_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < KEY_COUNT; i++)
        free (self->value [i]);
    zhashx_destroy (&self->strings);
    free (self);
    *self_p = NULL;
}

const char *
bz_config_str (bz_config_t *self, const char *key)
{
    assert (self);
    int index = s_key_index (key);
    assert (index >= 0);
    return self->value [index];
}

int64_t
bz_config_int (bz_config_t *self, const char *key)
{
    return strtoll (bz_config_str (self, key), NULL, 10);
}

bool
bz_config_on (bz_config_t *self, const char *key)
{
    const char *value = bz_config_str (self, key);
    return streq (value, "on") || streq (value, "1") || streq (value, "true") || streq (value, "yes");
}

//  Keeps a formatted string for the lifetime of self, so callers need not free it.
static const char *
s_keep (bz_config_t *self, const char *key, char *formatted)
{
    const char *kept = (const char *) zhashx_lookup (self->strings, key);
    if (kept) {
        zstr_free (&formatted);
        return kept;
    }
    zhashx_insert (self->strings, key, formatted);
    return formatted;
}

//  Port layout from port_base: +0 bus, +1 monitor, +2 catalog, +10+N replica N PUB,
//  +20+N replica N sync. Two clusters side by side need bases at least 32 apart.
const char *
bz_config_endpoint (bz_config_t *self, const char *name)
{
    assert (self);
    int offset = -1, replica = 0;
    char suffix [8] = "";
    if (streq (name, "bus"))
        offset = 0;
    else
    if (streq (name, "monitor"))
        offset = 1;
    else
    if (streq (name, "catalog"))
        offset = 2;
    else
    if (sscanf (name, "order%d%7s", &replica, suffix) >= 1 && replica >= 1 && replica <= 9) {
        if (*suffix == 0)
            offset = 10 + replica;
        else
        if (streq (suffix, ".sync"))
            offset = 20 + replica;
    }
    if (offset < 0)
        return NULL;
    char *endpoint = zsys_sprintf ("tcp://%s:%d", bz_config_str (self, "host"),
                                   (int) bz_config_int (self, "port_base") + offset);
    char key [32];
    snprintf (key, sizeof key, "endpoint:%s", name);
    return s_keep (self, key, endpoint);
}

const char *
bz_config_path (bz_config_t *self, const char *file)
{
    assert (self);
    char key [256];
    snprintf (key, sizeof key, "path:%s", file);
    return s_keep (self, key, zsys_sprintf ("%s/%s", bz_config_str (self, "data"), file));
}
