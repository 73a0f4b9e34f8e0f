/*  bazaar-curveprobe: plays an outsider against a CURVE cluster (tests/e2e/curve.bats).
    --as plain (no CURVE), stranger (CURVE with its own keys) or keyed (the cluster's: the control).  */
#include "bz_config.h"
#include "bz_bus.h"
#include "bz_cli.h"
#include "bz_msg.h"
#include "bz_security.h"

enum { OPT_CONFIG, OPT_AS };
static const bz_cli_option_t s_options [] = {
    BZ_CLI_CONFIG,
    { "as", "WHO", "plain (no CURVE), stranger (CURVE, own keys) or keyed (the cluster's keys)", 0 },
    { NULL, NULL, NULL, 0 }
};
static const bz_cli_t s_cli = {
    "bazaar-curveprobe", "[--config PATH] --as plain|stranger|keyed ACTION ARGS... SECONDS",
    "Plays an outsider against a CURVE cluster (tests/e2e/curve.bats). ACTION is one of:\n"
    "  worker SERVICE SECONDS   register as a worker (answers every request with a lie);\n"
    "                           prints heartbeats=N requests=N\n"
    "  sub NAME SECONDS         SUB to endpoint NAME (monitor, catalog, orderN); prints messages=N\n"
    "  pub NAME SECONDS         bind a PUB at NAME and send HEARTBEATs and INVALIDATEs;\n"
    "                           prints sent=N\n"
    "  since N SECONDS          ask replica N's sync ROUTER for orders; prints replies=N\n"
    "  ack N RANK SECONDS       claim, as replica RANK, that every order is durable there\n"
    "                           (to replica N's sync ROUTER, every 50 ms); prints sent=N\n"
    "  hold NAME[,NAME...] SECONDS  bind the service's endpoints while it is down and answer\n"
    "                           nothing (with --as plain every CURVE handshake fails);\n"
    "                           prints held=N",
    s_options, 3, 4, NULL
};

typedef struct {
    bz_config_t *config;
    const char *as;
    bz_security_t *security;    //  keyed: the cluster's keys
    zcert_t *own;               //  stranger: a keypair nobody allowed
    zcert_t *server;            //  stranger: the cluster's server public key (it is public)
} probe_t;

//  A socket set up as the probe's identity says; NULL if that cannot be done.
static zsock_t *
s_socket (probe_t *self, int type, bool server)
{
    zsock_t *socket = zsock_new (type);
    if (!socket)
        return NULL;
    zsock_set_linger (socket, 0);
    zsock_set_sndtimeo (socket, 0);     //  a refused peer leaves no pipe: never wait on it
    int rc = 0;
    if (streq (self->as, "keyed"))
        rc = server? bz_security_server (self->security, socket)
                   : bz_security_client (self->security, socket);
    else
    if (streq (self->as, "stranger")) {
        zcert_apply (self->own, socket);
        if (server)
            zsock_set_curve_server (socket, 1);
        else
            zsock_set_curve_serverkey_bin (socket, zcert_public_key (self->server));
    }
    if (rc)
        zsock_destroy (&socket);
    return socket;
}

static zsock_t *
s_connect (probe_t *self, int type, const char *name)
{
    const char *endpoint = bz_config_endpoint (self->config, name);
    zsock_t *socket = endpoint? s_socket (self, type, false): NULL;
    if (socket && zsock_connect (socket, "%s", endpoint))
        zsock_destroy (&socket);
    return socket;
}

static void
s_send_msg (zsock_t *socket, zmsg_t *head, const bz_msg_t *body)
{
    zmsg_t *msg = head? head: zmsg_new ();
    if (body)
        zmsg_append (msg, &(zframe_t *) { bz_msg_encode (body) });
    if (zmsg_send (&msg, socket))
        zmsg_destroy (&msg);
}

static zmsg_t *
s_worker_head (const char *command)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, BZ_WORKER_PROTO);
    zmsg_addstr (msg, command);
    return msg;
}

//  A worker that lies: a STOCK at price 666 for anything. Counts what reaches it.
static int
s_worker (probe_t *self, const char *service, int64_t until)
{
    zsock_t *socket = s_connect (self, ZMQ_DEALER, "bus");
    if (!socket)
        return 1;
    bz_msg_t ready;
    bz_msg_init (&ready, BZ_MSG_WORKER);
    bz_msg_set_str (ready.service, sizeof ready.service, service);
    ready.count = 100;
    s_send_msg (socket, s_worker_head (BZ_READY), &ready);
    int heartbeats = 0, requests = 0;
    int64_t heartbeat_at = 0;
    while (zclock_mono () < until && !zsys_interrupted) {
        if (zclock_mono () >= heartbeat_at) {
            s_send_msg (socket, s_worker_head (BZ_HEARTBEAT), NULL);
            heartbeat_at = zclock_mono () + 100;
        }
        zmq_pollitem_t item = { zsock_resolve (socket), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 50) <= 0)
            continue;
        zmsg_t *msg = zmsg_recv (socket);
        if (!msg || zmsg_size (msg) < 3) {
            zmsg_destroy (&msg);
            continue;
        }
        zframe_t *empty = zmsg_pop (msg), *proto = zmsg_pop (msg), *command = zmsg_pop (msg);
        if (zframe_streq (command, BZ_HEARTBEAT))
            heartbeats++;
        else
        if (zframe_streq (command, BZ_REQUEST) && zmsg_size (msg) >= 2) {
            requests++;
            zframe_t *client = zmsg_pop (msg), *reqid = zmsg_pop (msg);
            zmsg_t *reply = s_worker_head (BZ_REPLY);
            zmsg_append (reply, &client);
            zmsg_append (reply, &reqid);
            bz_msg_t stock;
            bz_msg_init (&stock, BZ_MSG_STOCK);
            bz_msg_set_str (stock.name, sizeof stock.name, "GameStart");
            stock.price = 666;
            s_send_msg (socket, reply, &stock);
        }
        zframe_destroy (&empty);
        zframe_destroy (&proto);
        zframe_destroy (&command);
        zmsg_destroy (&msg);
    }
    printf ("heartbeats=%d requests=%d\n", heartbeats, requests);
    zsock_destroy (&socket);
    return 0;
}

//  Counts every message a SUB socket gets, or the replies a DEALER gets.
static int
s_count (zsock_t *socket, int64_t until)
{
    int count = 0;
    while (zclock_mono () < until && !zsys_interrupted) {
        zmq_pollitem_t item = { zsock_resolve (socket), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 50) <= 0)
            continue;
        zmsg_t *msg = zmsg_recv (socket);
        if (msg)
            count++;
        zmsg_destroy (&msg);
    }
    return count;
}

static int
s_sub (probe_t *self, const char *name, int64_t until)
{
    zsock_t *socket = s_connect (self, ZMQ_SUB, name);
    if (!socket)
        return 1;
    zsock_set_subscribe (socket, "");
    printf ("messages=%d\n", s_count (socket, until));
    zsock_destroy (&socket);
    return 0;
}

//  A publisher of our own at a cluster endpoint: what a subscriber would believe.
static int
s_pub (probe_t *self, const char *name, int64_t until)
{
    const char *endpoint = bz_config_endpoint (self->config, name);
    zsock_t *socket = endpoint? s_socket (self, ZMQ_PUB, true): NULL;
    if (!socket || zsock_bind (socket, "%s", endpoint) < 0) {
        fprintf (stderr, "curveprobe: cannot bind a PUB at %s\n", endpoint? endpoint: name);
        zsock_destroy (&socket);
        return 1;
    }
    int sent = 0;
    while (zclock_mono () < until && !zsys_interrupted) {
        bz_msg_t msg;
        bz_msg_init (&msg, sent % 2? BZ_MSG_INVALIDATE: BZ_MSG_HEARTBEAT);
        bz_msg_set_str (msg.publisher, sizeof msg.publisher, "curveprobe");
        msg.seq = sent;
        bz_msg_set_str (msg.name, sizeof msg.name, "GameStart");
        msg.price = 666;
        zmsg_t *head = zmsg_new ();
        zmsg_addstr (head, sent % 2? "inv": "hb");
        s_send_msg (socket, head, &msg);
        sent++;
        zclock_sleep (50);
    }
    printf ("sent=%d\n", sent);
    zsock_destroy (&socket);
    return 0;
}

static int
s_since (probe_t *self, int replica, int64_t until)
{
    char name [32];
    snprintf (name, sizeof name, "order%d.sync", replica);
    zsock_t *socket = s_connect (self, ZMQ_DEALER, name);
    if (!socket)
        return 1;
    bz_msg_t since;
    bz_msg_init (&since, BZ_MSG_SINCE);
    since.count = 10;
    s_send_msg (socket, NULL, &since);
    printf ("replies=%d\n", s_count (socket, until));
    zsock_destroy (&socket);
    return 0;
}

static int
s_ack (probe_t *self, int replica, int rank, int64_t until)
{
    char name [32];
    snprintf (name, sizeof name, "order%d.sync", replica);
    zsock_t *socket = s_connect (self, ZMQ_DEALER, name);
    if (!socket)
        return 1;
    int sent = 0;
    while (zclock_mono () < until && !zsys_interrupted) {
        bz_msg_t ack;
        bz_msg_init (&ack, BZ_MSG_ACK);
        ack.epoch = 1;
        ack.number = 1000000000;
        ack.rank = rank;
        s_send_msg (socket, NULL, &ack);
        sent++;
        zclock_sleep (50);
    }
    printf ("sent=%d\n", sent);
    zsock_destroy (&socket);
    return 0;
}

//  Binds a ROUTER at each named endpoint and holds them: the peers of a service that is
//  down dial us instead, and their handshakes fail (scripts/netns-test, stranger-*).
static int
s_hold (probe_t *self, const char *names, int64_t until)
{
    zlist_t *sockets = zlist_new ();
    char *list = strdup (names);
    int rc = 0;
    for (char *name = strtok (list, ","); name && !rc; name = strtok (NULL, ",")) {
        const char *endpoint = bz_config_bind (self->config, name);
        zsock_t *socket = endpoint? s_socket (self, ZMQ_ROUTER, true): NULL;
        if (!socket || zsock_bind (socket, "%s", endpoint) < 0) {
            fprintf (stderr, "curveprobe: cannot bind at %s\n", endpoint? endpoint: name);
            zsock_destroy (&socket);
            rc = 1;
        }
        else
            zlist_append (sockets, socket);
    }
    free (list);
    if (!rc) {
        printf ("held=%zu\n", zlist_size (sockets));
        fflush (stdout);
    }
    while (!rc && zclock_mono () < until && !zsys_interrupted)
        zclock_sleep (50);
    zsock_t *socket;
    while ((socket = (zsock_t *) zlist_pop (sockets)))
        zsock_destroy (&socket);
    zlist_destroy (&sockets);
    return rc;
}

//  Runs the action in argv [0..argc-1]; -1 on a usage error.
static int
s_run (probe_t *self, int argc, char *argv [])
{
    if (argc < 3)
        return -1;
    int64_t until = zclock_mono () + (int64_t) (atof (argv [argc - 1]) * 1000);
    if (streq (argv [0], "worker") && argc == 3)
        return s_worker (self, argv [1], until);
    if (streq (argv [0], "sub") && argc == 3)
        return s_sub (self, argv [1], until);
    if (streq (argv [0], "pub") && argc == 3)
        return s_pub (self, argv [1], until);
    if (streq (argv [0], "since") && argc == 3)
        return s_since (self, atoi (argv [1]), until);
    if (streq (argv [0], "hold") && argc == 3)
        return s_hold (self, argv [1], until);
    if (streq (argv [0], "ack") && argc == 4)
        return s_ack (self, atoi (argv [1]), atoi (argv [2]), until);
    return -1;
}

int
main (int argc, char *argv [])
{
    const char *values [2];
    int rc;
    int arg = bz_cli_parse (&s_cli, argc, argv, values, &rc);
    if (arg < 0)
        return rc;
    probe_t self = { .as = values [OPT_AS] };
    if (!self.as || !(streq (self.as, "plain") || streq (self.as, "stranger") || streq (self.as, "keyed")))
        return bz_cli_usage_error (&s_cli, "--as must be plain, stranger or keyed");
    zsys_set_logident ("curveprobe");
    self.config = bz_config_new (values [OPT_CONFIG]);
    if (!self.config)
        return 2;
    rc = 1;
    if (streq (self.as, "keyed"))
        self.security = bz_security_new (self.config);
    else
    if (streq (self.as, "stranger")) {
        self.own = zcert_new ();
        char *path = zsys_sprintf ("%s/server.cert", bz_config_path (self.config, "keys"));
        self.server = zcert_load (path);
        if (!self.server)
            fprintf (stderr, "curveprobe: cannot read %s\n", path);
        zstr_free (&path);
    }
    if (self.security || (self.own && self.server) || streq (self.as, "plain")) {
        rc = s_run (&self, argc - arg, argv + arg);
        if (rc < 0)
            rc = bz_cli_usage_error (&s_cli, "unknown action or wrong number of arguments");
    }
    fflush (stdout);
    zcert_destroy (&self.own);
    zcert_destroy (&self.server);
    bz_security_destroy (&self.security);
    bz_config_destroy (&self.config);
    return rc;
}
