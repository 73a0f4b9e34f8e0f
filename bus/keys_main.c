/*  bazaar-keys: makes the cluster's CURVE certificates (CZMQ has no command line tool).
    Usage: bazaar-keys DIR. Run by scripts/keys; the layout is described in bz_security.h.  */
#include <czmq.h>
#include <sys/stat.h>
#include "bz_cli.h"

static const bz_cli_t s_cli = {
    "bazaar-keys", "DIR",
    "Makes the cluster's CURVE certificates in DIR unless they exist: server.cert and\n"
    "client.cert (with their _secret files) and allowed/client.cert, the allow-list.",
    NULL, 1, 1, NULL
};

//  Makes dir/name.cert (+ _secret) unless both exist. Returns the cert, or NULL.
static zcert_t *
s_keypair (const char *dir, const char *name, bool *made)
{
    char *path = zsys_sprintf ("%s/%s.cert", dir, name);
    char *secret = zsys_sprintf ("%s/%s.cert_secret", dir, name);
    zcert_t *cert = NULL;
    if (zsys_file_exists (path) && zsys_file_exists (secret))
        cert = zcert_load (path);
    else {
        cert = zcert_new ();
        if (cert) {
            zcert_set_meta (cert, "name", "bazaar %s", name);
            if (zcert_save (cert, path)) {
                fprintf (stderr, "bazaar-keys: cannot write %s\n", path);
                zcert_destroy (&cert);
            }
            else
                *made = true;
        }
    }
    if (!cert)
        fprintf (stderr, "bazaar-keys: cannot read or make %s\n", path);
    zstr_free (&path);
    zstr_free (&secret);
    return cert;
}

//  Puts the client's public cert in the allow-list unless it is there already.
static int
s_allow (const char *dir, zcert_t *client, bool *made)
{
    char *path = zsys_sprintf ("%s/allowed/client.cert", dir);
    zcert_t *listed = zsys_file_exists (path)? zcert_load (path): NULL;
    int rc = 0;
    if (!listed || !streq (zcert_public_txt (listed), zcert_public_txt (client))) {
        rc = zcert_save_public (client, path);
        if (rc)
            fprintf (stderr, "bazaar-keys: cannot write %s\n", path);
        else
            *made = true;
    }
    zcert_destroy (&listed);
    zstr_free (&path);
    return rc;
}

int
main (int argc, char *argv [])
{
    int rc;
    int first = bz_cli_parse (&s_cli, argc, argv, NULL, &rc);
    if (first < 0)
        return rc;
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    umask (077);                        //  secret keys are for this user only
    const char *dir = argv [first];
    if (zsys_dir_create ("%s/allowed", dir)) {
        fprintf (stderr, "bazaar-keys: cannot create %s/allowed\n", dir);
        return 1;
    }
    bool made = false;
    zcert_t *server = s_keypair (dir, "server", &made);
    zcert_t *client = s_keypair (dir, "client", &made);
    rc = server && client && s_allow (dir, client, &made) == 0? 0: 1;
    if (rc == 0)
        printf ("%s %s\n", dir, made? "(keys made)": "(keys present)");
    zcert_destroy (&server);
    zcert_destroy (&client);
    return rc;
}
