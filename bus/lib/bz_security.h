/*  bz_security: CURVE on every internal socket when `curve` is on (BAZAAR_CURVE=on).
    Each main() makes one and sets it as the process default; the bz_ helpers and services apply it.  */
#ifndef BZ_SECURITY_H
#define BZ_SECURITY_H

#include <czmq.h>
#include "bz_config.h"

//  Keys live in <data>/keys, written by scripts/keys (bazaar-keys):
//      server.cert, server.cert_secret   the one keypair every binding socket presents
//      client.cert, client.cert_secret   the one keypair the cluster's processes connect with
//      allowed/                          public client certs the servers accept (zauth)
//  A peer without an allowed client key, or that does not know the server's public key,
//  fails the CURVE handshake: it never gets a message through, nor one out.
//
//  Why a process-wide default rather than a parameter: security is a property of the
//  program, like its config, and sockets are made deep inside helpers (frontend_bus's
//  lane sockets, bz_client, bz_worker, the replication sockets). Threading a pointer
//  through every constructor would change a dozen signatures for one flag. Instead
//  main() makes the instance before any socket and sets it; helpers fetch it with
//  bz_security_for (config), which refuses (NULL) when curve is on and main set none,
//  so a forgotten main fails loudly instead of talking in clear.
typedef struct _bz_security_t bz_security_t;

//  With curve off: an instance whose methods do nothing. With curve on: loads the keys
//  and starts this process's one zauth actor (CURVE, allow-list = keys/allowed/), so it
//  is in place before any server socket binds. Returns NULL (logged) when a key is
//  missing or unreadable or CURVE is not available: never a silent fallback to clear.
//  Call from main before any thread: it reads bz_config_path.
bz_security_t *bz_security_new (bz_config_t *config);

//  Stops zauth and frees the keys; clears the process default if it was this one.
//  Call after every socket that used it is closed.
void bz_security_destroy (bz_security_t **self_p);

//  True when sockets get CURVE.
bool bz_security_enabled (bz_security_t *self);

//  Makes socket a CURVE server with the cluster's server key; call before bind.
//  Returns 0, or -1 when self is NULL or this process has no server secret key.
int bz_security_server (bz_security_t *self, zsock_t *socket);

//  Makes socket a CURVE client with the cluster's client key, expecting the cluster's
//  server key; call before connect. Returns 0, or -1 when self is NULL.
int bz_security_client (bz_security_t *self, zsock_t *socket);

//  The process default, set once by main before any thread starts; NULL unsets it.
void bz_security_set_default (bz_security_t *self);

//  The instance to use for sockets made with config: the default set by main, or, when
//  main set none and config has curve off, a shared instance that does nothing (unit
//  tests, tools). NULL, logged, when curve is on but main set none.
//  Safe from any thread once main has set the default.
bz_security_t *bz_security_for (bz_config_t *config);

#endif
