/*  test_bz_security: with curve on, a keyed client reaches a keyed server and a client
    without the cluster's key (plain, or CURVE with a stranger's key) gets nothing through.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "bz_security.h"

//  A config that reads no file: the defaults plus what the test put in the environment.
static bz_config_t *
s_config (const char *curve, const char *data)
{
    setenv ("BAZAAR_CURVE", curve, 1);
    setenv ("BAZAAR_DATA", data, 1);
    bz_config_t *config = bz_config_new_defaults ();
    assert_non_null (config);
    return config;
}

//  Writes the layout of scripts/keys into dir/keys.
static void
s_make_keys (const char *dir)
{
    char *keys = zsys_sprintf ("%s/keys", dir);
    assert_int_equal (zsys_dir_create ("%s/allowed", keys), 0);
    zcert_t *server = zcert_new (), *client = zcert_new ();
    char *path = zsys_sprintf ("%s/server.cert", keys);
    assert_int_equal (zcert_save (server, path), 0);
    zstr_free (&path);
    path = zsys_sprintf ("%s/client.cert", keys);
    assert_int_equal (zcert_save (client, path), 0);
    zstr_free (&path);
    path = zsys_sprintf ("%s/allowed/client.cert", keys);
    assert_int_equal (zcert_save_public (client, path), 0);
    zstr_free (&path);
    zcert_destroy (&server);
    zcert_destroy (&client);
    zstr_free (&keys);
}

static void
s_remove_tree (const char *dir)
{
    zdir_t *tree = zdir_new (dir, NULL);
    if (tree) {
        zdir_remove (tree, true);
        zdir_destroy (&tree);
    }
}

//  True if a message sent by client reaches server within timeout_ms.
static bool
s_reaches (zsock_t *server, zsock_t *client, int timeout_ms)
{
    zsock_set_sndtimeo (client, 0);
    int64_t until = zclock_mono () + timeout_ms;
    while (zclock_mono () < until) {
        zstr_send (client, "hello");
        zmq_pollitem_t item = { zsock_resolve (server), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 50) > 0) {
            zmsg_t *msg = zmsg_recv (server);
            bool hello = msg && zmsg_size (msg) == 2;     //  ROUTER: identity + body
            zmsg_destroy (&msg);
            return hello;
        }
    }
    return false;
}

static void
test_off_is_a_no_op (void **state)
{
    (void) state;
    bz_config_t *config = s_config ("off", "/nonexistent");
    //  No default set and curve off: the shared no-op instance, never NULL.
    bz_security_t *shared = bz_security_for (config);
    assert_non_null (shared);
    assert_false (bz_security_enabled (shared));
    bz_security_t *security = bz_security_new (config);
    assert_non_null (security);
    assert_false (bz_security_enabled (security));
    zsock_t *server = zsock_new (ZMQ_ROUTER), *client = zsock_new (ZMQ_DEALER);
    assert_int_equal (bz_security_server (security, server), 0);
    assert_int_equal (bz_security_client (security, client), 0);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    assert_int_equal (zsock_connect (client, "tcp://127.0.0.1:%d", port), 0);
    assert_true (s_reaches (server, client, 2000));
    zsock_destroy (&client);
    zsock_destroy (&server);
    //  A NULL instance (curve on, none set) fails every socket.
    client = zsock_new (ZMQ_DEALER);
    assert_int_equal (bz_security_client (NULL, client), -1);
    assert_int_equal (bz_security_server (NULL, client), -1);
    zsock_destroy (&client);
    bz_security_destroy (&security);
    bz_security_destroy (&security);        //  safe twice
    bz_config_destroy (&config);
}

static void
test_on_without_keys_fails_loudly (void **state)
{
    (void) state;
    char dir [] = "/tmp/bz-security-XXXXXX";
    assert_non_null (mkdtemp (dir));
    bz_config_t *config = s_config ("on", dir);
    assert_null (bz_security_new (config));
    //  Curve on and main set no default: helpers get NULL, not a clear-text socket.
    assert_null (bz_security_for (config));
    bz_config_destroy (&config);
    s_remove_tree (dir);
}

static void
test_on_refuses_a_client_without_the_key (void **state)
{
    (void) state;
    char dir [] = "/tmp/bz-security-XXXXXX";
    assert_non_null (mkdtemp (dir));
    s_make_keys (dir);
    bz_config_t *config = s_config ("on", dir);
    bz_security_t *security = bz_security_new (config);
    assert_non_null (security);
    assert_true (bz_security_enabled (security));
    bz_security_set_default (security);
    assert_ptr_equal (bz_security_for (config), security);

    zsock_t *server = zsock_new (ZMQ_ROUTER);
    assert_int_equal (bz_security_server (security, server), 0);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    assert_true (port > 0);

    //  The cluster's client key: through.
    zsock_t *keyed = zsock_new (ZMQ_DEALER);
    assert_int_equal (bz_security_client (security, keyed), 0);
    assert_int_equal (zsock_connect (keyed, "tcp://127.0.0.1:%d", port), 0);
    assert_true (s_reaches (server, keyed, 3000));
    zsock_destroy (&keyed);

    //  No CURVE at all: the handshake fails, nothing arrives.
    zsock_t *plain = zsock_new (ZMQ_DEALER);
    assert_int_equal (zsock_connect (plain, "tcp://127.0.0.1:%d", port), 0);
    assert_false (s_reaches (server, plain, 500));
    zsock_destroy (&plain);

    //  CURVE with the right server key but a client key nobody allowed: zauth refuses.
    zsock_t *stranger = zsock_new (ZMQ_DEALER);
    zcert_t *own = zcert_new ();
    zcert_apply (own, stranger);
    char *path = zsys_sprintf ("%s/keys/server.cert", dir);
    zcert_t *server_cert = zcert_load (path);
    assert_non_null (server_cert);
    zsock_set_curve_serverkey (stranger, zcert_public_txt (server_cert));
    assert_int_equal (zsock_connect (stranger, "tcp://127.0.0.1:%d", port), 0);
    assert_false (s_reaches (server, stranger, 500));
    zsock_destroy (&stranger);
    zcert_destroy (&own);
    zcert_destroy (&server_cert);
    zstr_free (&path);

    //  A process with only the server's public key cannot bind a server.
    path = zsys_sprintf ("%s/keys/server.cert_secret", dir);
    assert_int_equal (remove (path), 0);
    zstr_free (&path);
    zsock_destroy (&server);
    bz_security_destroy (&security);
    assert_null (bz_security_for (config));         //  destroy cleared the default
    bz_security_t *public_only = bz_security_new (config);
    assert_non_null (public_only);
    zsock_t *refused = zsock_new (ZMQ_ROUTER);
    assert_int_equal (bz_security_server (public_only, refused), -1);
    zsock_destroy (&refused);
    bz_security_destroy (&public_only);
    bz_config_destroy (&config);
    s_remove_tree (dir);
}

int
main (void)
{
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_off_is_a_no_op),
        cmocka_unit_test (test_on_without_keys_fails_loudly),
        cmocka_unit_test (test_on_refuses_a_client_without_the_key),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
