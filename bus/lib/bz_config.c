/*  bz_config: one zconfig file plus BAZAAR_<KEY> environment overrides, checked once.
    The table below is the single list of settings: types, defaults, ranges, and the text
    of the README's configuration reference (bazaar-config --reference prints it).      */
#include "bz_config.h"
#include "bz_limits.h"
#include <arpa/inet.h>

typedef enum { T_STRING, T_ADDRESS, T_HOST, T_HOSTS, T_BIND, T_INT, T_BOOL } bz_type_t;

//  K (key, type, default, min, max, meaning). min/max bound T_INT only.
#define BZ_CONFIG_KEYS(K) \
    K (data,               T_STRING,  "./var",     0, 0,     \
       "data directory: SQLite files (`catalog.db`, `order1.db`...), `logs/`, `run/` (pid files), `cluster.env`") \
    K (host,               T_ADDRESS, "127.0.0.1", 0, 0,     \
       "IPv4 address of every service (bus, PUB streams, replication) unless set below") \
    K (bus_host,           T_HOST,    "",          0, 0,     \
       "where the bus and its monitor are: IPv4 address or DNS name; empty: `host`") \
    K (catalog_host,       T_HOST,    "",          0, 0,     \
       "where the catalog's PUB is: IPv4 address or DNS name; empty: `host`") \
    K (order_hosts,        T_HOSTS,   "",          0, 0,     \
       "where replicas 1, 2, 3... are, comma-separated; an empty entry or none: `host`") \
    K (bind_host,          T_BIND,    "",          0, 0,     \
       "where every service binds instead of its own host: IPv4 address, or `*` for every interface (containers); empty: its own host") \
    K (http_host,          T_ADDRESS, "127.0.0.1", 0, 0,     \
       "IPv4 address the REST API listens on; `0.0.0.0` for every interface") \
    K (http_port,          T_INT,     "8080",      1, 65535, \
       "TCP port of the REST API") \
    K (port_base,          T_INT,     "5550",      1, 65506, \
       "first internal TCP port: +0 bus, +1 bus monitor, +2 catalog PUB, +10+N replica N PUB, +20+N replica N sync") \
    K (http_threads,       T_INT,     "128",       2, 1024,  \
       "frontend worker threads for requests that wait on a service; connections cost none (docs/performance.md)") \
    K (cache,              T_BOOL,    "on",        0, 0,     \
       "the frontend's LRU cache of lookups") \
    K (cache_size,         T_INT,     "8",         1, 4096,  \
       "entries in the lookup cache (below the stock count, so LRU replaces)") \
    K (heartbeat_ms,       T_INT,     "100",       1, 60000, \
       "heartbeat interval between the bus, its workers, and PUB streams") \
    K (liveness,           T_INT,     "5",         1, 100,   \
       "a peer silent for liveness x heartbeat_ms is dead") \
    K (request_timeout_ms, T_INT,     "3000",      1, 599999, \
       "deadline of one REST request, retries included") \
    K (retry_ms,           T_INT,     "1000",      1, 600000, \
       "one bus try waits this long before a retry on a new socket (Lazy Pirate)") \
    K (queue_wait_ms,      T_INT,     "500",       1, 600000, \
       "a request waits this long at the bus for a live worker (keep it below retry_ms)") \
    K (queue_max,          T_INT,     "10000",     1, 10000000, \
       "requests the bus queues per service before answering 503") \
    K (worker_credit,      T_INT,     "128",       1, 100000, \
       "requests in flight per bus worker") \
    K (max_frame,          T_INT,     "4096",      1024, 16777216, \
       "largest bus frame accepted, bytes") \
    K (bus_sockets,        T_INT,     "2",         1, 16,    \
       "frontend: bus sockets, one I/O thread each, shared by every HTTP request") \
    K (bus_inflight,       T_INT,     "1024",      1, 65536, \
       "frontend: requests on the wire per bus socket; more wait in its queue") \
    K (bus_queue_max,      T_INT,     "8192",      1, 1000000, \
       "frontend: queued requests per bus socket before 503 overloaded") \
    K (bus_queue_wait_ms,  T_INT,     "1000",      1, 600000, \
       "frontend: 503 overloaded rather than queue a request longer than this") \
    K (order_replicas,     T_INT,     "3",         1, BZ_REPLICAS_MAX, \
       "order replicas, ids 1..N") \
    K (curve,              T_BOOL,    "off",       0, 0,     \
       "CURVE security on every ZeroMQ socket (keys in `<data>/keys`)") \
    K (www,                T_STRING,  "frontend/www", 0, 0, \
       "directory of the live page's files (index.html, app.js, style.css, favicons), read at start")

//  Environment variables that are not settings, read by one program or script each.
#define BZ_CONFIG_ENV(E) \
    E (CONFIG,        "the config file (default `data/bazaar.cfg`); a missing one named here is an error") \
    E (BIN,           "scripts: which build to run (default `build`)") \
    E (START_TIMEOUT, "scripts/cluster: seconds `start` waits for `/health` (30)") \
    E (CRASH_AT,      "test only: a service exits at that step (see Crash points)") \
    E (CSV,           "bazaar-catalog: the initial stock list, read when the catalog is created (default `data/catalog.csv`)") \
    E (TEST_DROP_INV, "test only: the catalog skips publishing its Nth invalidation (tests/e2e/cache.bats)")

static const struct {
    const char *key;
    bz_type_t type;
    const char *fallback;
    int64_t min, max;
    const char *meaning;
} s_keys [] = {
#define K(key, type, fallback, min, max, meaning) { #key, type, fallback, min, max, meaning },
    BZ_CONFIG_KEYS (K)
#undef K
};
#define KEY_COUNT (sizeof s_keys / sizeof s_keys [0])

static const struct { const char *name, *meaning; } s_env [] = {
#define E(name, meaning) { #name, meaning },
    BZ_CONFIG_ENV (E)
#undef E
};
#define ENV_COUNT (sizeof s_env / sizeof s_env [0])

struct _bz_config_t {
    char *value [KEY_COUNT];    //  resolved once and normalized: env > file > default
    char *source;               //  the file read, or "(built-in defaults)"
    zhashx_t *strings;          //  endpoints and paths handed out, owned here
};

static int
s_key_index (const char *key)
{
    for (size_t i = 0; key && i < KEY_COUNT; i++)
        if (streq (s_keys [i].key, key))
            return (int) i;
    return -1;
}

bool
bz_config_known (const char *key)
{
    return s_key_index (key) >= 0;
}

//  The environment name of key i: BAZAAR_ and the key in upper case.
static void
s_env_name (size_t i, char *name, size_t size)
{
    snprintf (name, size, "BAZAAR_%s", s_keys [i].key);
    for (char *c = name; *c; c++)
        *c = (char) toupper ((unsigned char) *c);
}

//  True if the length bytes at name are a host a peer can connect to: an IPv4 address
//  or a DNS name (labels of 1..63 letters, digits and inner hyphens, 253 bytes at most).
static bool
s_host_ok (const char *name, size_t length)
{
    if (length == 0 || length > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < length; i++) {
        char c = name [i];
        if (c == '.') {
            if (label == 0 || name [i - 1] == '-')
                return false;
            label = 0;
        }
        else
        if (isalnum ((unsigned char) c) || (c == '-' && label > 0)) {
            if (++label > 63)
                return false;
        }
        else
            return false;
    }
    return label > 0 && name [length - 1] != '-';
}

//  Checks value against key i's type and range; on success *normal gets the value in
//  its normal form (a fresh string). Returns 0, or -1 with the reason.
static int
s_check (size_t i, const char *value, char **normal, char *reason, size_t size)
{
    static const char *truthy [] = { "on", "true", "yes", "1" };
    static const char *falsy [] = { "off", "false", "no", "0" };
    *normal = NULL;
    switch (s_keys [i].type) {
        case T_BOOL:
            for (size_t n = 0; n < 4; n++) {
                if (strcasecmp (value, truthy [n]) == 0)
                    *normal = strdup ("on");
                if (strcasecmp (value, falsy [n]) == 0)
                    *normal = strdup ("off");
            }
            if (!*normal)
                snprintf (reason, size, "'%s' is not a boolean (on/off, true/false, yes/no, 1/0)", value);
            break;
        case T_INT: {
            char *end = NULL;
            errno = 0;
            long long number = strtoll (value, &end, 10);
            if (!*value || isspace ((unsigned char) *value) || *end || errno)
                snprintf (reason, size, "'%s' is not an integer", value);
            else
            if (number < s_keys [i].min || number > s_keys [i].max)
                snprintf (reason, size, "'%s' is out of range %" PRId64 "..%" PRId64,
                          value, s_keys [i].min, s_keys [i].max);
            else
                *normal = zsys_sprintf ("%lld", number);
            break;
        }
        case T_ADDRESS: {
            struct in_addr address;
            if (inet_pton (AF_INET, value, &address) == 1)
                *normal = strdup (value);
            else
                snprintf (reason, size, "'%s' is not an IPv4 address such as 127.0.0.1", value);
            break;
        }
        case T_HOST:
            if (*value == 0 || s_host_ok (value, strlen (value)))
                *normal = strdup (value);
            else
                snprintf (reason, size, "'%s' is not an IPv4 address or a DNS name", value);
            break;
        case T_HOSTS: {
            size_t entries = 0;
            const char *entry = value;
            bool ok = true;
            while (ok) {
                size_t length = strcspn (entry, ",");
                ok = ++entries <= 9 && (length == 0 || s_host_ok (entry, length));
                if (entry [length] == 0)
                    break;
                entry += length + 1;
            }
            if (ok)
                *normal = strdup (value);
            else
                snprintf (reason, size, "'%s' is not a list of at most 9 hosts separated by commas",
                          value);
            break;
        }
        case T_BIND: {
            struct in_addr address;
            if (*value == 0 || streq (value, "*") || inet_pton (AF_INET, value, &address) == 1)
                *normal = strdup (value);
            else
                snprintf (reason, size, "'%s' is not an IPv4 address or *", value);
            break;
        }
        case T_STRING:
            if (*value && strlen (value) < 1024)
                *normal = strdup (value);
            else
                snprintf (reason, size, "must be 1..1023 characters");
            break;
    }
    return *normal? 0: -1;
}

int
bz_config_check (const char *key, const char *value, char *reason, size_t size)
{
    int index = s_key_index (key);
    if (index < 0) {
        snprintf (reason, size, "no setting named '%s'", key? key: "");
        return -1;
    }
    char *normal = NULL;
    int rc = s_check ((size_t) index, value? value: "", &normal, reason, size);
    free (normal);
    return rc;
}

//  Warns about BAZAAR_* names in the environment that nothing reads: a typo such as
//  BAZAAR_HTTP_PROT would otherwise be ignored without a word.
static void
s_warn_unknown_env (void)
{
    extern char **environ;
    for (char **entry = environ; entry && *entry; entry++) {
        if (strncmp (*entry, "BAZAAR_", 7) != 0)
            continue;
        const char *name = *entry + 7;
        size_t length = strcspn (name, "=");
        bool known = false;
        for (size_t i = 0; i < KEY_COUNT && !known; i++) {
            char env_name [64];
            s_env_name (i, env_name, sizeof env_name);
            known = strlen (env_name) == length + 7 && strncmp (env_name + 7, name, length) == 0;
        }
        for (size_t i = 0; i < ENV_COUNT && !known; i++)
            known = strlen (s_env [i].name) == length && strncmp (s_env [i].name, name, length) == 0;
        if (!known)
            fprintf (stderr, "%s: warning: BAZAAR_%.*s is not a Bazaar setting; ignored "
                     "(bazaar-config --reference lists them)\n",
                     program_invocation_short_name, (int) length, name);
    }
}

//  Loads and checks the file: every node must be bazaar/<known key>. Returns the tree,
//  NULL with *failed false when there is no file to read, NULL with *failed on an error.
static zconfig_t *
s_load_file (const char *path, bool named, bool *failed)
{
    *failed = false;
    if (!zsys_file_exists (path)) {
        if (named)
            fprintf (stderr, "%s: config file %s: no such file\n", program_invocation_short_name, path);
        *failed = named;
        return NULL;
    }
    zconfig_t *root = zconfig_load (path);
    if (!root) {
        fprintf (stderr, "%s: config file %s: cannot parse it (ZPL, see data/bazaar.cfg)\n",
                 program_invocation_short_name, path);
        *failed = true;
        return NULL;
    }
    for (zconfig_t *section = zconfig_child (root); section && !*failed; section = zconfig_next (section)) {
        if (!streq (zconfig_name (section), "bazaar")) {
            fprintf (stderr, "%s: config file %s: unknown section '%s' (settings go under 'bazaar')\n",
                     program_invocation_short_name, path, zconfig_name (section));
            *failed = true;
        }
        for (zconfig_t *node = zconfig_child (section); node && !*failed; node = zconfig_next (node))
            if (!bz_config_known (zconfig_name (node))) {
                fprintf (stderr, "%s: config file %s: unknown setting '%s'\n",
                         program_invocation_short_name, path, zconfig_name (node));
                *failed = true;
            }
            else
            if (zconfig_child (node)) {
                fprintf (stderr, "%s: config file %s: setting '%s' has children\n",
                         program_invocation_short_name, path, zconfig_name (node));
                *failed = true;
            }
    }
    if (*failed)
        zconfig_destroy (&root);
    return root;
}

//  Resolves every key (env > file > default) into self; 0, or -1 after an error line.
static int
s_resolve (bz_config_t *self, zconfig_t *root)
{
    for (size_t i = 0; i < KEY_COUNT; i++) {
        char env_name [64], origin [128], reason [160];
        s_env_name (i, env_name, sizeof env_name);
        const char *value = getenv (env_name);
        snprintf (origin, sizeof origin, "from %s", env_name);
        if (!value && root) {
            char node_path [64];
            snprintf (node_path, sizeof node_path, "bazaar/%s", s_keys [i].key);
            value = zconfig_get (root, node_path, NULL);
            snprintf (origin, sizeof origin, "in %s", self->source);
        }
        if (!value) {
            value = s_keys [i].fallback;
            snprintf (origin, sizeof origin, "default");
        }
        if (s_check (i, value, &self->value [i], reason, sizeof reason)) {
            fprintf (stderr, "%s: setting %s: %s (%s)\n", program_invocation_short_name,
                     s_keys [i].key, reason, origin);
            return -1;
        }
    }
    return 0;
}

//  A data directory whose cluster scripts/cluster started holds cluster.env: the
//  settings it runs with, one BAZAAR_<KEY>=value a line. Those settings apply here too,
//  so a tool pointed at the data directory talks to that cluster; a cluster-wide one
//  (ports, host, CURVE, replicas) set otherwise in the environment is refused, so
//  nothing acts on a cluster it misreads. http_host and http_port belong to one
//  frontend: the environment may name another frontend of the same cluster.

//  True for the settings that belong to one frontend, not to the whole cluster.
static bool
s_frontend_only (const char *key)
{
    return streq (key, "http_port") || streq (key, "http_host");
}

//  Applies cluster.env as above. Returns 0, or -1 after an error line.
static int
s_apply_cluster_env (bz_config_t *self)
{
    char *path = zsys_sprintf ("%s/cluster.env", self->value [s_key_index ("data")]);
    FILE *file = fopen (path, "r");
    int rc = 0;
    char line [1200];
    while (file && rc == 0 && fgets (line, sizeof line, file)) {
        line [strcspn (line, "\r\n")] = 0;
        char *equals = strchr (line, '=');
        if (!equals || strncmp (line, "BAZAAR_", 7) != 0)
            continue;
        *equals = 0;
        for (size_t i = 0; i < KEY_COUNT; i++) {
            char env_name [64], reason [160];
            s_env_name (i, env_name, sizeof env_name);
            if (strcmp (env_name, line) != 0 || streq (s_keys [i].key, "data"))
                continue;
            char *recorded = NULL;
            if (s_check (i, equals + 1, &recorded, reason, sizeof reason)) {
                fprintf (stderr, "%s: setting %s: %s (in %s)\n", program_invocation_short_name,
                         s_keys [i].key, reason, path);
                rc = -1;
            }
            else
            if (getenv (env_name) && s_frontend_only (s_keys [i].key)) {
                //  this frontend's own address: the environment's stands
            }
            else
            if (getenv (env_name) && !streq (recorded, self->value [i])) {
                fprintf (stderr, "%s: setting %s: %s=%s, but the cluster of this data directory "
                         "runs with %s (%s); unset %s or use another BAZAAR_DATA\n",
                         program_invocation_short_name, s_keys [i].key, env_name,
                         self->value [i], recorded, path, env_name);
                rc = -1;
            }
            else {
                free (self->value [i]);
                self->value [i] = recorded;
                recorded = NULL;
            }
            free (recorded);
        }
    }
    if (file)
        fclose (file);
    zstr_free (&path);
    return rc;
}

//  Makes the settings from root (may be NULL: no file), read from source.
static bz_config_t *
s_new (zconfig_t *root, const char *source)
{
    s_warn_unknown_env ();
    bz_config_t *self = (bz_config_t *) zmalloc (sizeof (bz_config_t));
    self->source = strdup (root? source: "(built-in defaults)");
    self->strings = zhashx_new ();
    zhashx_set_destructor (self->strings, (zhashx_destructor_fn *) zstr_free);
    int rc = s_resolve (self, root);
    if (rc == 0)
        rc = s_apply_cluster_env (self);
    if (rc) {
        bz_config_destroy (&self);
        return NULL;
    }
    //  Made now, so that threads may look endpoints up concurrently later.
    const char *fixed [] = { "bus", "monitor", "catalog" };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed [0]; i++) {
        bz_config_endpoint (self, fixed [i]);
        bz_config_bind (self, fixed [i]);
    }
    for (int replica = 1; replica <= 9; replica++) {
        char name [32];
        snprintf (name, sizeof name, "order%d", replica);
        bz_config_endpoint (self, name);
        bz_config_bind (self, name);
        snprintf (name, sizeof name, "order%d.sync", replica);
        bz_config_endpoint (self, name);
        bz_config_bind (self, name);
    }
    return self;
}

bz_config_t *
bz_config_new (const char *path)
{
    bool named = true;
    if (!path)
        path = getenv ("BAZAAR_CONFIG");
    if (!path) {
        path = "data/bazaar.cfg";
        named = false;
    }
    bool failed;
    zconfig_t *root = s_load_file (path, named, &failed);
    if (failed)
        return NULL;
    bz_config_t *self = s_new (root, path);
    zconfig_destroy (&root);
    return self;
}

bz_config_t *
bz_config_new_defaults (void)
{
    return s_new (NULL, NULL);
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
    free (self->source);
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

//  Asserts that key is a setting of that type (a programmer error otherwise).
static void
s_assert_type (const char *key, bz_type_t type)
{
    int index = s_key_index (key);
    assert (index >= 0 && s_keys [index].type == type);
    (void) index;
    (void) type;
}

int64_t
bz_config_int (bz_config_t *self, const char *key)
{
    s_assert_type (key, T_INT);
    return strtoll (bz_config_str (self, key), NULL, 10);
}

bool
bz_config_on (bz_config_t *self, const char *key)
{
    s_assert_type (key, T_BOOL);
    return streq (bz_config_str (self, key), "on");
}

const char *
bz_config_source (bz_config_t *self)
{
    assert (self);
    return self->source;
}

void
bz_config_log (bz_config_t *self, const char *who)
{
    assert (self);
    char line [2048] = "";
    size_t used = 0;
    for (size_t i = 0; i < KEY_COUNT && used < sizeof line; i++)
        used += (size_t) snprintf (line + used, sizeof line - used, " %s=%s",
                                   s_keys [i].key, self->value [i]);
    zsys_info ("%s: settings from %s:%s", who, self->source, line);
}

void
bz_config_print (bz_config_t *self, FILE *out)
{
    assert (self);
    for (size_t i = 0; i < KEY_COUNT; i++)
        fprintf (out, "%s=%s\n", s_keys [i].key, self->value [i]);
}

void
bz_config_print_reference (FILE *out)
{
    static const char *type_names [] = {
        [T_STRING] = "string", [T_ADDRESS] = "IPv4 address", [T_HOST] = "host (IPv4 or DNS name)",
        [T_HOSTS] = "hosts, comma-separated", [T_BIND] = "IPv4 address or `*`",
        [T_INT] = "integer", [T_BOOL] = "boolean" };
    fprintf (out, "| key | environment | type | default | meaning |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < KEY_COUNT; i++) {
        char env_name [64], type [64];
        s_env_name (i, env_name, sizeof env_name);
        if (s_keys [i].type == T_INT)
            snprintf (type, sizeof type, "integer %" PRId64 "..%" PRId64, s_keys [i].min, s_keys [i].max);
        else
            snprintf (type, sizeof type, "%s", type_names [s_keys [i].type]);
        char fallback [64];
        snprintf (fallback, sizeof fallback, *s_keys [i].fallback? "`%s`": "(empty)", s_keys [i].fallback);
        fprintf (out, "| `%s` | `%s` | %s | %s | %s |\n", s_keys [i].key, env_name, type,
                 fallback, s_keys [i].meaning);
    }
    fprintf (out, "\nOther environment variables:\n\n| variable | meaning |\n|---|---|\n");
    for (size_t i = 0; i < ENV_COUNT; i++)
        fprintf (out, "| `BAZAAR_%s` | %s |\n", s_env [i].name, s_env [i].meaning);
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

//  The host of replica N: the Nth entry of order_hosts (comma-separated), if any.
//  Writes it to host (size bytes) and returns true; false if order_hosts has no such entry.
static bool
s_order_host (bz_config_t *self, int replica, char *host, size_t size)
{
    const char *list = bz_config_str (self, "order_hosts");
    for (int index = 1; *list; index++) {
        size_t length = strcspn (list, ",");
        if (index == replica && length > 0 && length < size) {
            memcpy (host, list, length);
            host [length] = 0;
            return true;
        }
        list += length + (list [length] == ',');
    }
    return false;
}

//  Port layout from port_base: +0 bus, +1 monitor, +2 catalog, +10+N replica N PUB,
//  +20+N replica N sync. Two clusters side by side need bases at least 32 apart.
//  The host is the service's own (bus_host, catalog_host, order_hosts), else host;
//  a bind uses bind_host instead when it is set ("*" binds every interface).
static const char *
s_endpoint (bz_config_t *self, const char *name, bool bind)
{
    assert (self);
    int offset = -1, replica = 0;
    char suffix [8] = "", host [256] = "";
    const char *host_key = NULL;
    if (streq (name, "bus") || streq (name, "monitor")) {
        offset = streq (name, "bus")? 0: 1;
        host_key = "bus_host";
    }
    else
    if (streq (name, "catalog")) {
        offset = 2;
        host_key = "catalog_host";
    }
    else
    if (sscanf (name, "order%d%7s", &replica, suffix) >= 1 && replica >= 1 && replica <= 9) {
        if (*suffix == 0)
            offset = 10 + replica;
        else
        if (streq (suffix, ".sync"))
            offset = 20 + replica;
        s_order_host (self, replica, host, sizeof host);
    }
    if (offset < 0)
        return NULL;
    if (host_key)
        snprintf (host, sizeof host, "%s", bz_config_str (self, host_key));
    if (bind && *bz_config_str (self, "bind_host"))
        snprintf (host, sizeof host, "%s", bz_config_str (self, "bind_host"));
    if (*host == 0)
        snprintf (host, sizeof host, "%s", bz_config_str (self, "host"));
    char *endpoint = zsys_sprintf ("tcp://%s:%d", host,
                                   (int) bz_config_int (self, "port_base") + offset);
    char key [32];
    snprintf (key, sizeof key, "%s:%s", bind? "bind": "endpoint", name);
    return s_keep (self, key, endpoint);
}

const char *
bz_config_endpoint (bz_config_t *self, const char *name)
{
    return s_endpoint (self, name, false);
}

const char *
bz_config_bind (bz_config_t *self, const char *name)
{
    return s_endpoint (self, name, true);
}

const char *
bz_config_path (bz_config_t *self, const char *file)
{
    assert (self);
    char key [256];
    snprintf (key, sizeof key, "path:%s", file);
    return s_keep (self, key, zsys_sprintf ("%s/%s", bz_config_str (self, "data"), file));
}
