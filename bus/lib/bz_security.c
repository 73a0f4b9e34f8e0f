/*  bz_security: the cluster's CURVE keys and this process's zauth allow-list.
    Read-only after bz_security_new, so threads apply it to their sockets concurrently.  */
#include "bz_security.h"

struct _bz_security_t {
    bool enabled;
    zcert_t *server;            //  public key always; secret key only where it was given
    bool server_secret;         //  this process may bind CURVE servers
    zcert_t *client;            //  both keys
    zactor_t *auth;             //  zauth: checks every client key against allowed/
};

//  Handed out by bz_security_for when curve is off and main made none; never destroyed.
static bz_security_t s_off = { .enabled = false };
//  Written once by main before any thread exists, only read afterwards.
static bz_security_t *s_default = NULL;

//  True if every byte of key is zero: zcert_load leaves the secret key so without one.
static bool
s_key_is_zero (const byte *key)
{
    for (size_t i = 0; i < 32; i++)
        if (key [i])
            return false;
    return true;
}

//  Loads dir/name (and dir/name_secret if present). NULL, logged, if it is unreadable.
static zcert_t *
s_load (const char *dir, const char *name)
{
    char *path = zsys_sprintf ("%s/%s", dir, name);
    zcert_t *cert = zsys_file_exists (path)? zcert_load (path): NULL;
    if (!cert)
        zsys_error ("security: cannot read the key %s (make keys with scripts/keys %s)", path, dir);
    zstr_free (&path);
    return cert;
}

bz_security_t *
bz_security_new (bz_config_t *config)
{
    assert (config);
    bz_security_t *self = (bz_security_t *) zmalloc (sizeof (bz_security_t));
    if (!bz_config_on (config, "curve"))
        return self;
    self->enabled = true;
    const char *dir = bz_config_path (config, "keys");
    char *allowed = zsys_sprintf ("%s/allowed", dir);
    if (!zsys_has_curve ()) {
        zsys_error ("security: curve is on but this libzmq has no CURVE");
        goto failed;
    }
    self->server = s_load (dir, "server.cert");
    self->client = s_load (dir, "client.cert");
    if (!self->server || !self->client)
        goto failed;
    self->server_secret = !s_key_is_zero (zcert_secret_key (self->server));
    if (s_key_is_zero (zcert_secret_key (self->client))) {
        zsys_error ("security: %s/client.cert_secret is missing", dir);
        goto failed;
    }
    if (!zsys_file_exists (allowed)) {
        zsys_error ("security: the allow-list %s is missing", allowed);
        goto failed;
    }
    //  One ZAP handler per process (it binds a fixed inproc endpoint), up before any
    //  CURVE server binds: a server without one would accept any client key.
    self->auth = zactor_new (zauth, NULL);
    if (!self->auth)
        goto failed;
    zstr_sendx (self->auth, "CURVE", allowed, NULL);
    zsock_wait (self->auth);
    zstr_free (&allowed);
    return self;
failed:
    zstr_free (&allowed);
    bz_security_destroy (&self);
    return NULL;
}

void
bz_security_destroy (bz_security_t **self_p)
{
    assert (self_p);
    bz_security_t *self = *self_p;
    if (!self)
        return;
    assert (self != &s_off);
    if (s_default == self)
        s_default = NULL;
    zactor_destroy (&self->auth);
    zcert_destroy (&self->server);
    zcert_destroy (&self->client);
    free (self);
    *self_p = NULL;
}

bool
bz_security_enabled (bz_security_t *self)
{
    assert (self);
    return self->enabled;
}

int
bz_security_server (bz_security_t *self, zsock_t *socket)
{
    assert (socket);
    if (!self)
        return -1;
    if (!self->enabled)
        return 0;
    if (!self->server_secret) {
        zsys_error ("security: this process has no server secret key: it cannot bind");
        return -1;
    }
    zsock_set_zap_domain (socket, "bazaar");
    zsock_set_curve_server (socket, 1);
    zcert_apply (self->server, socket);
    return 0;
}

int
bz_security_client (bz_security_t *self, zsock_t *socket)
{
    assert (socket);
    if (!self)
        return -1;
    if (!self->enabled)
        return 0;
    zcert_apply (self->client, socket);
    zsock_set_curve_serverkey_bin (socket, zcert_public_key (self->server));
    return 0;
}

void
bz_security_set_default (bz_security_t *self)
{
    s_default = self;
}

bz_security_t *
bz_security_for (bz_config_t *config)
{
    assert (config);
    if (s_default)
        return s_default;
    if (!bz_config_on (config, "curve"))
        return &s_off;
    zsys_error ("security: curve is on but this program set no security (bz_security_set_default)");
    return NULL;
}
