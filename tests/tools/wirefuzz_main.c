/*  wirefuzz: sends hostile frames to a running Bazaar cluster (the bus as client and as
    worker, every order replica's sync ROUTER, raw TCP to every port) and checks what
    comes back. Used by tests/e2e/wire.bats; sends nothing that could validly trade.

    usage: bazaar-wirefuzz [--config FILE] [--seed N] [--rounds N] [--phases LIST] [-v]
    Exit status 0 when every answer was the one the protocol promises and the cluster
    still answers a lookup at the end; 1 otherwise (each problem is printed).          */
#include <czmq.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <poll.h>
#include "bz_bus.h"
#include "bz_cli.h"
#include "bz_config.h"
#include "bz_msg.h"
#include "bz_security.h"

#define SPLIT_MAX   8           //  frames in a random garbage message
#define WAIT_MS     6000        //  longest wait for the replies we expect

typedef struct {
    bz_config_t *config;
    bz_security_t *security;    //  the cluster's keys when curve is on: we fuzz past CURVE
    uint64_t rng;
    int rounds;
    bool verbose;
    int sent;                   //  hostile messages sent, all surfaces
    int problems;               //  broken promises seen
    int max_frame;
    int stray;                  //  replies to random garbage that happened to be a request
} fuzz_t;

static void
s_problem (fuzz_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "wirefuzz: PROBLEM: ");
    vfprintf (stderr, format, args);
    fprintf (stderr, "\n");
    va_end (args);
    self->problems++;
}

static uint64_t
s_rand (fuzz_t *self)
{
    //  xorshift64*: reproducible from --seed
    self->rng ^= self->rng >> 12;
    self->rng ^= self->rng << 25;
    self->rng ^= self->rng >> 27;
    return self->rng * 2685821657736338717ull;
}

static size_t
s_below (fuzz_t *self, size_t limit)
{
    return limit? (size_t) (s_rand (self) % limit): 0;
}

static zframe_t *
s_random_frame (fuzz_t *self, size_t max)
{
    size_t size = s_below (self, max + 1);
    zframe_t *frame = zframe_new (NULL, size);
    for (size_t i = 0; i < size; i++)
        zframe_data (frame) [i] = (byte) s_rand (self);
    return frame;
}

static zframe_t *
s_msg_frame (bz_msg_id_t id)
{
    bz_msg_t msg;
    bz_msg_init (&msg, id);
    bz_msg_set_str (msg.name, sizeof msg.name, "GameStart");
    bz_msg_set_str (msg.side, sizeof msg.side, "buy");
    bz_msg_set_str (msg.key, sizeof msg.key, "wirefuzz");
    bz_msg_set_str (msg.service, sizeof msg.service, "catalog");
    msg.quantity = 1;
    msg.count = 1;
    return bz_msg_encode (&msg);
}

//  Hostile message bodies: (nearly) msgpack that no decoder may accept, or accepted
//  messages that make no sense where they are sent. None is a valid trade or batch.
static zframe_t *
s_hostile_body (fuzz_t *self, int which)
{
#define LIT(text) { text, sizeof text - 1 }
    static const struct { const char *data; size_t size; } fixed [] = {
        LIT ("\xdd\x04\x00\x00\x00"),                         //  allocation bomb
        LIT ("\xdf\x04\x00\x00\x00"),                         //  map bomb
        LIT ("\x81\xa3msg\xdd\xff\xff\xff\xff"),              //  nested bomb
        LIT ("\x81\xa3msg\xdb\xff\xff\xff\xffLOOKUP"),        //  str32 past the end
        LIT (""),                                               //  empty frame
        LIT ("\xc1"),                                           //  never-used byte
        LIT ("\x82\xa3msg\xa6LOOKUP\xa4name\xa4" "Fi\x00o"),    //  NUL in a name
        LIT ("\x83\xa3msg\xa6LOOKUP\xa4name\xa2" "Fi\xa4name\xa2" "Fi"),  //  duplicate field
        LIT ("\x82\xa3msg\xa6LOOKUP\xa4name\x91\xa2" "Fi"),      //  nested value
        LIT ("\x82\xa3msg\xa9ORDER_GET\xa6number\xd3\xff\xff\xff\xff\xff\xff\xff\xff"),
        LIT ("\x81\xa3msg\xa7UNKNOWN"),                        //  unknown id
        LIT ("\x91\xa3msg"),                                    //  not a map
        LIT ("\x80"),                                           //  empty map
        LIT ("{\"msg\":\"LOOKUP\",\"name\":\"GameStart\"}"),     //  JSON, not msgpack
    };
#undef LIT
    size_t fixed_count = sizeof fixed / sizeof fixed [0];
    if (which >= 0 && (size_t) which < fixed_count)
        return zframe_new (fixed [which].data, fixed [which].size);
    if (which == (int) fixed_count) {
        //  A valid LOOKUP cut short
        zframe_t *whole = s_msg_frame (BZ_MSG_LOOKUP);
        zframe_t *cut = zframe_new (zframe_data (whole), 1 + s_below (self, zframe_size (whole) - 1));
        zframe_destroy (&whole);
        return cut;
    }
    return s_random_frame (self, 64);
}
#define HOSTILE_BODIES 16

//  --------------------------------------------------------------------------
//  Sockets

static zsock_t *
s_dealer (fuzz_t *self, const char *endpoint)
{
    zsock_t *socket = zsock_new (ZMQ_DEALER);
    assert (socket);
    zsock_set_linger (socket, 100);
    zsock_set_sndtimeo (socket, 1000);
    zsock_set_sndhwm (socket, BZ_HWM);
    zsock_set_rcvtimeo (socket, 200);
    if (bz_security_client (self->security, socket)
    ||  zsock_connect (socket, "%s", endpoint)) {
        s_problem (self, "cannot connect to %s", endpoint);
        zsock_destroy (&socket);
    }
    return socket;
}

//  The frame at index (0 is the first), or NULL; leaves the cursor on it.
static zframe_t *
s_frame_at (zmsg_t *msg, size_t index)
{
    zframe_t *frame = zmsg_first (msg);
    for (size_t i = 0; frame && i < index; i++)
        frame = zmsg_next (msg);
    return frame;
}

static void
s_send (fuzz_t *self, zsock_t *socket, zmsg_t **msg_p)
{
    if (zmsg_send (msg_p, socket))
        zmsg_destroy (msg_p);
    self->sent++;
}

//  Host and port of a tcp:// endpoint; false when it is not one.
static bool
s_tcp_address (const char *endpoint, struct sockaddr_in *address)
{
    char host [64];
    int port;
    if (!endpoint || sscanf (endpoint, "tcp://%63[^:]:%d", host, &port) != 2)
        return false;
    memset (address, 0, sizeof *address);
    address->sin_family = AF_INET;
    address->sin_port = htons ((uint16_t) port);
    return inet_pton (AF_INET, host, &address->sin_addr) == 1;
}

//  True when something accepts TCP connections at the endpoint.
static bool
s_listening (const char *endpoint)
{
    struct sockaddr_in address;
    if (!s_tcp_address (endpoint, &address))
        return false;
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    bool ok = connect (fd, (struct sockaddr *) &address, sizeof address) == 0;
    close (fd);
    return ok;
}

//  --------------------------------------------------------------------------
//  Client side of the bus

static zmsg_t *
s_request (const char *service, const char *reqid, size_t reqid_size)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, BZ_CLIENT_PROTO);
    zmsg_addstr (msg, service);
    zmsg_addmem (msg, reqid, reqid_size);
    return msg;
}

//  Envelopes the broker must drop (logged): no reply may come back for any of them.
static void
s_bad_envelopes (fuzz_t *self, zsock_t *client)
{
    char long_name [BZ_SERVICE_MAX + 2];
    memset (long_name, 'c', sizeof long_name - 1);
    long_name [sizeof long_name - 1] = 0;
    zmsg_t *msg;
    msg = zmsg_new (); zmsg_addstr (msg, "no-delimiter"); s_send (self, client, &msg);
    msg = zmsg_new (); zmsg_addstr (msg, "x"); zmsg_addstr (msg, BZ_CLIENT_PROTO);
    zmsg_addstr (msg, "catalog"); zmsg_addstr (msg, "r"); zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_LIST) });
    s_send (self, client, &msg);                            //  non-empty delimiter
    msg = zmsg_new (); zmsg_addmem (msg, "", 0); s_send (self, client, &msg);
    msg = zmsg_new (); zmsg_addmem (msg, "", 0); zmsg_addstr (msg, "BZC2");
    zmsg_addstr (msg, "catalog"); zmsg_addstr (msg, "r"); zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_LIST) });
    s_send (self, client, &msg);                            //  unknown protocol
    msg = zmsg_new (); zmsg_addmem (msg, "", 0); zmsg_addstr (msg, BZ_CLIENT_PROTO);
    s_send (self, client, &msg);                            //  no service
    msg = s_request ("", "r1", 2); zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_LIST) });
    s_send (self, client, &msg);                            //  empty service
    msg = s_request (long_name, "r2", 2); zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_LIST) });
    s_send (self, client, &msg);                            //  service too long
    msg = s_request ("catalog", "", 0); zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_LIST) });
    s_send (self, client, &msg);                            //  empty reqid
    msg = s_request ("catalog", "0123456789abcdefX", 17); zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_LIST) });
    s_send (self, client, &msg);                            //  reqid too long
    msg = s_request ("catalog", "r3", 2); s_send (self, client, &msg);  //  no body
    msg = zmsg_new (); zmsg_addmem (msg, "", 0); zmsg_addstr (msg, BZ_CLIENT_PROTO);
    zmsg_addstr (msg, "catalog"); s_send (self, client, &msg);          //  no reqid
    //  More frames than any request has (FRAMES_MAX is 1100)
    msg = s_request ("catalog", "r4", 2);
    for (int i = 0; i < 1200; i++)
        zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_LIST) });
    s_send (self, client, &msg);
    //  Random garbage, 1..SPLIT_MAX frames, sometimes after a real delimiter + protocol
    for (int round = 0; round < self->rounds; round++) {
        msg = zmsg_new ();
        if (s_below (self, 2)) {
            zmsg_addmem (msg, "", 0);
            zmsg_addstr (msg, s_below (self, 2)? BZ_CLIENT_PROTO: BZ_WORKER_PROTO);
        }
        size_t frames = 1 + s_below (self, SPLIT_MAX);
        for (size_t i = 0; i < frames; i++)
            zmsg_append (msg, &(zframe_t *) { s_random_frame (self, 40) });
        s_send (self, client, &msg);
    }
}

typedef struct {
    char reqid [16];
    const char *service;
    const char *what;
    int want_low, want_high;    //  the ERROR codes accepted (503: the order pipeline may
                                //  have no quorum; only the catalog knows a name is unknown)
    bool answered;
} expect_t;

//  Hostile bodies in valid envelopes: each must get exactly one reply, an ERROR in range.
static int
s_bad_bodies (fuzz_t *self, zsock_t *client, expect_t *expect, int max)
{
    int count = 0;
    const char *services [] = { "catalog", "order" };
    for (size_t s = 0; s < 2; s++)
        for (int which = 0; which < HOSTILE_BODIES && count < max; which++) {
            expect_t *e = &expect [count];
            snprintf (e->reqid, sizeof e->reqid, "wf%d", count++);
            e->service = services [s];
            e->what = "hostile body";
            e->want_low = 400;
            e->want_high = 499;
            zmsg_t *msg = s_request (e->service, e->reqid, strlen (e->reqid));
            zmsg_append (msg, &(zframe_t *) { s_hostile_body (self, which) });
            s_send (self, client, &msg);
        }
    //  Well-formed messages that make no sense as requests, or requests out of range.
    struct {
        const char *service, *what;
        bz_msg_id_t id;
        const char *name, *side, *key;
        int64_t quantity, count, number;
        int extra_frames, low, high;
    } cases [] = {
        { "catalog", "STOCK as a request",     BZ_MSG_STOCK,  "GameStart", "", "", 1, 0, 0, 0, 400, 400 },
        { "catalog", "TRADED as a request",    BZ_MSG_TRADED, "", "", "k", 0, 0, 0, 0, 400, 400 },
        { "catalog", "LOOKUP + extra frame",   BZ_MSG_LOOKUP, "GameStart", "", "", 0, 0, 0, 1, 400, 400 },
        { "catalog", "LOOKUP 64-char unknown", BZ_MSG_LOOKUP, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", "", 0, 0, 0, 0, 404, 404 },
        { "catalog", "LOOKUP ../etc/passwd",   BZ_MSG_LOOKUP, "../etc/passwd", "", "", 0, 0, 0, 0, 400, 404 },
        { "catalog", "SINCE count 1001",       BZ_MSG_SINCE,  "", "", "", 0, 1001, 0, 0, 400, 400 },
        { "catalog", "BATCH count 1001, no ORDER", BZ_MSG_BATCH, "", "", "", 0, 1001, 0, 0, 400, 400 },
        { "catalog", "BATCH count 2, 1 garbage frame", BZ_MSG_BATCH, "", "", "", 0, 2, 0, 1, 400, 400 },
        { "order",   "ORDER quantity 0",       BZ_MSG_ORDER,  "GameStart", "buy", "wf-q0", 0, 0, 0, 0, 400, 400 },
        { "order",   "ORDER quantity 1000001", BZ_MSG_ORDER,  "GameStart", "sell", "wf-q1", 1000001, 0, 0, 0, 400, 400 },
        { "order",   "ORDER sell INT64_MAX",   BZ_MSG_ORDER,  "GameStart", "sell", "wf-q2", INT64_MAX, 0, 0, 0, 400, 400 },
        { "order",   "ORDER side hold",        BZ_MSG_ORDER,  "GameStart", "hold", "wf-s", 1, 0, 0, 0, 400, 400 },
        { "order",   "ORDER side empty",       BZ_MSG_ORDER,  "GameStart", "", "wf-s2", 1, 0, 0, 0, 400, 400 },
        { "order",   "ORDER empty name",       BZ_MSG_ORDER,  "", "buy", "wf-n", 1, 0, 0, 0, 400, 404 },
        { "order",   "ORDER name ../x",        BZ_MSG_ORDER,  "../x", "buy", "wf-n2", 1, 0, 0, 0, 400, 503 },
        { "order",   "ORDER unknown stock",    BZ_MSG_ORDER,  "NoSuchStockWf", "buy", "wf-n3", 1, 0, 0, 0, 400, 503 },
        { "order",   "ORDER empty key",        BZ_MSG_ORDER,  "GameStart", "buy", "", 1, 0, 0, 0, 400, 400 },
        { "order",   "ORDER + extra frame",    BZ_MSG_ORDER,  "GameStart", "buy", "wf-x", 1, 0, 0, 1, 400, 400 },
        { "order",   "ORDER_GET far future",   BZ_MSG_ORDER_GET, "", "", "", 0, 0, INT64_MAX, 0, 404, 404 },
        { "order",   "LOOKUP to order",        BZ_MSG_LOOKUP, "GameStart", "", "", 0, 0, 0, 0, 400, 400 },
        { "order",   "BATCH to order",         BZ_MSG_BATCH,  "", "", "", 0, 0, 0, 0, 400, 400 },
        { "nosuchservice.wf", "unknown service", BZ_MSG_LIST, "", "", "", 0, 0, 0, 0, 503, 503 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0] && count < max; i++) {
        expect_t *e = &expect [count];
        snprintf (e->reqid, sizeof e->reqid, "wf%d", count++);
        e->service = cases [i].service;
        e->what = cases [i].what;
        e->want_low = cases [i].low;
        e->want_high = cases [i].high;
        bz_msg_t body;
        bz_msg_init (&body, cases [i].id);
        bz_msg_set_str (body.name, sizeof body.name, cases [i].name);
        bz_msg_set_str (body.side, sizeof body.side, cases [i].side);
        bz_msg_set_str (body.key, sizeof body.key, cases [i].key);
        body.quantity = cases [i].quantity;
        body.count = cases [i].count;
        body.number = cases [i].number;
        body.epoch = 0;
        zmsg_t *msg = s_request (e->service, e->reqid, strlen (e->reqid));
        zmsg_append (msg, &(zframe_t *) { bz_msg_encode (&body) });
        for (int f = 0; f < cases [i].extra_frames; f++)
            zmsg_append (msg, &(zframe_t *) { s_hostile_body (self, 0) });
        s_send (self, client, &msg);
    }
    return count;
}

//  Reads replies until every expected one came or WAIT_MS passed; checks each.
static void
s_collect (fuzz_t *self, zsock_t *client, expect_t *expect, int count)
{
    int answered = 0;
    int64_t deadline = zclock_mono () + WAIT_MS;
    while (answered < count && zclock_mono () < deadline) {
        zmsg_t *reply = zmsg_recv (client);
        if (!reply)
            continue;
        zframe_t *empty = zmsg_pop (reply);
        char *proto = zmsg_popstr (reply), *service = zmsg_popstr (reply);
        zframe_t *reqid = zmsg_pop (reply);
        expect_t *e = NULL;
        for (int i = 0; reqid && i < count; i++)
            if (zframe_streq (reqid, expect [i].reqid))
                e = &expect [i];
        if (!empty || zframe_size (empty) || !proto || !streq (proto, BZ_CLIENT_PROTO))
            s_problem (self, "a reply with a bad envelope");
        else
        if (!e)
            self->stray++;              //  random garbage that formed a valid envelope
        else
        if (e->answered)
            s_problem (self, "%s to %s: answered twice", e->what, e->service);
        else {
            e->answered = true;
            answered++;
            bz_msg_t msg;
            char error [128];
            bz_msg_id_t id = bz_msg_decode_frame (&msg, zmsg_first (reply), error, sizeof error);
            if (zmsg_size (reply) != 1 || id != BZ_MSG_ERROR
            ||  msg.code < e->want_low || msg.code > e->want_high)
                s_problem (self, "%s to %s (reqid %s): wanted one ERROR %d..%d, got %zu frames, "
                           "first %s code %" PRId64 " (%s)", e->what, e->service, e->reqid,
                           e->want_low, e->want_high, zmsg_size (reply),
                           id? bz_msg_name (id): error, id == BZ_MSG_ERROR? msg.code: 0,
                           id == BZ_MSG_ERROR? msg.message: "");
            else
            if (self->verbose)
                printf ("  %-32s %-8s -> ERROR %" PRId64 " %s\n", e->what, e->service, msg.code, msg.message);
        }
        zframe_destroy (&empty);
        zstr_free (&proto);
        zstr_free (&service);
        zframe_destroy (&reqid);
        zmsg_destroy (&reply);
    }
    for (int i = 0; i < count; i++)
        if (!expect [i].answered)
            s_problem (self, "%s to %s (reqid %s): no reply within %d ms",
                       expect [i].what, expect [i].service, expect [i].reqid, WAIT_MS);
}

static void
s_fuzz_client (fuzz_t *self)
{
    zsock_t *client = s_dealer (self, bz_config_endpoint (self->config, "bus"));
    if (!client)
        return;
    int before = self->sent;
    s_bad_envelopes (self, client);
    expect_t expect [80];
    memset (expect, 0, sizeof expect);
    int count = s_bad_bodies (self, client, expect, 80);
    s_collect (self, client, expect, count);
    printf ("client: %d hostile messages (%d with a checked ERROR reply, %d replies to "
            "random envelopes)\n", self->sent - before, count, self->stray);
    zsock_destroy (&client);
}

//  --------------------------------------------------------------------------
//  Worker side of the bus

static zmsg_t *
s_worker_msg (const char *command)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, BZ_WORKER_PROTO);
    if (command)
        zmsg_addstr (msg, command);
    return msg;
}

static zframe_t *
s_worker_frame (const char *service, int64_t rank, int64_t count)
{
    bz_msg_t msg;
    bz_msg_init (&msg, BZ_MSG_WORKER);
    bz_msg_set_str (msg.service, sizeof msg.service, service);
    msg.rank = rank;
    msg.count = count;
    return bz_msg_encode (&msg);
}

//  Waits for a message on the worker socket whose command is command; NULL if none.
static zmsg_t *
s_worker_wait (zsock_t *worker, const char *command, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        zmsg_t *msg = zmsg_recv (worker);
        if (!msg)
            continue;
        zframe_t *cmd = s_frame_at (msg, 2);
        if (cmd && zframe_streq (cmd, command))
            return msg;
        zmsg_destroy (&msg);
    }
    return NULL;
}

static void
s_fuzz_worker (fuzz_t *self)
{
    const char *bus = bz_config_endpoint (self->config, "bus");
    zsock_t *worker = s_dealer (self, bus);
    if (!worker)
        return;
    int before = self->sent;
    zmsg_t *msg;
    //  Malformed READYs and commands from a stranger: all dropped.
    msg = s_worker_msg (NULL); s_send (self, worker, &msg);
    msg = s_worker_msg (BZ_READY); s_send (self, worker, &msg);
    for (int which = 0; which < HOSTILE_BODIES; which++) {
        msg = s_worker_msg (BZ_READY);
        zmsg_append (msg, &(zframe_t *) { s_hostile_body (self, which) });
        s_send (self, worker, &msg);
    }
    const char *bad_services [] = { "", BZ_SERVICE_WORKERS };
    for (size_t i = 0; i < 2; i++) {
        msg = s_worker_msg (BZ_READY);
        zmsg_append (msg, &(zframe_t *) { s_worker_frame (bad_services [i], 0, 1) });
        s_send (self, worker, &msg);
    }
    msg = s_worker_msg (BZ_READY);                          //  not a WORKER message
    zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_LOOKUP) });
    s_send (self, worker, &msg);
    const char *unknown [] = { "\000", "\006", "\377", "READY", "\001\001", "" };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown [0]; i++) {
        msg = s_worker_msg (NULL);
        zmsg_addmem (msg, unknown [i], i == 0? 1: strlen (unknown [i]));
        zmsg_append (msg, &(zframe_t *) { s_random_frame (self, 16) });
        s_send (self, worker, &msg);
    }
    //  A REPLY or HEARTBEAT from an unregistered peer: the broker answers DISCONNECT.
    msg = s_worker_msg (BZ_REPLY);
    zmsg_addstr (msg, "forged-client");
    zmsg_addstr (msg, "forged-reqid");
    zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_STOCK) });
    s_send (self, worker, &msg);
    zmsg_t *disconnect = s_worker_wait (worker, BZ_DISCONNECT, 2000);
    if (!disconnect)
        s_problem (self, "a REPLY from an unregistered worker got no DISCONNECT");
    zmsg_destroy (&disconnect);
    msg = s_worker_msg (BZ_DISCONNECT); s_send (self, worker, &msg);

    //  Registered now, for a service of our own: forged and malformed REPLYs are dropped,
    //  and a client request still travels through, garbage reply body and all.
    msg = s_worker_msg (BZ_READY);
    zmsg_append (msg, &(zframe_t *) { s_worker_frame ("wirefuzz", 0, 4) });
    s_send (self, worker, &msg);
    zclock_sleep (100);
    for (int round = 0; round < self->rounds; round++) {
        msg = s_worker_msg (s_below (self, 2)? BZ_REPLY: BZ_HEARTBEAT);
        size_t frames = s_below (self, 4);
        for (size_t i = 0; i < frames; i++)
            zmsg_append (msg, &(zframe_t *) { s_random_frame (self, i == 0 && s_below (self, 4) == 0? 300: 20) });
        s_send (self, worker, &msg);
    }
    zsock_t *client = s_dealer (self, bus);
    if (client) {
        msg = s_request ("wirefuzz", "wf-pass", 7);
        zmsg_append (msg, &(zframe_t *) { s_hostile_body (self, 1) });
        zmsg_send (&msg, client);
        zmsg_t *request = s_worker_wait (worker, BZ_REQUEST, 3000);
        if (!request || zmsg_size (request) != 6)
            s_problem (self, "the fake worker got no well-formed REQUEST (%zu frames)",
                       request? zmsg_size (request): 0);
        else {
            zframe_t *address = s_frame_at (request, 3);
            //  First with a reqid the client never used: dropped; then the right one.
            msg = s_worker_msg (BZ_REPLY);
            zmsg_append (msg, &(zframe_t *) { zframe_dup (address) });
            zmsg_addstr (msg, "wf-other");
            zmsg_append (msg, &(zframe_t *) { s_hostile_body (self, 0) });
            s_send (self, worker, &msg);
            msg = s_worker_msg (BZ_REPLY);
            zmsg_append (msg, &(zframe_t *) { zframe_dup (address) });
            zmsg_addstr (msg, "wf-pass");
            zmsg_append (msg, &(zframe_t *) { s_hostile_body (self, 0) });
            s_send (self, worker, &msg);
            int replies = 0;
            int64_t deadline = zclock_mono () + 1500;
            while (zclock_mono () < deadline) {
                zmsg_t *reply = zmsg_recv (client);
                if (!reply)
                    continue;
                zframe_t *reqid = s_frame_at (reply, 3);
                if (!reqid || !zframe_streq (reqid, "wf-pass"))
                    s_problem (self, "the client got a reply with a reqid it never used");
                replies++;
                zmsg_destroy (&reply);
            }
            if (replies != 1)
                s_problem (self, "the client got %d replies through the fake worker, wanted 1", replies);
        }
        zmsg_destroy (&request);
        zsock_destroy (&client);
    }
    msg = s_worker_msg (BZ_DISCONNECT);
    s_send (self, worker, &msg);
    printf ("worker: %d hostile messages\n", self->sent - before);
    zsock_destroy (&worker);
}

//  Requests to many made-up service names, then a worker of a new service registers:
//  garbage must not use up the broker's service table (bad input changes nothing).
static void
s_fuzz_services (fuzz_t *self)
{
    const char *bus = bz_config_endpoint (self->config, "bus");
    zsock_t *client = s_dealer (self, bus);
    zsock_t *worker = s_dealer (self, bus);
    if (!client || !worker) {
        zsock_destroy (&client);
        zsock_destroy (&worker);
        return;
    }
    int before = self->sent;
    for (int i = 0; i < 100; i++) {
        char name [32];
        snprintf (name, sizeof name, "wf.garbage.%d.%u", i, (unsigned) s_rand (self));
        zmsg_t *msg = s_request (name, "wf-g", 4);
        zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_LIST) });
        s_send (self, client, &msg);
    }
    zclock_sleep (200);
    zmsg_t *msg = s_worker_msg (BZ_READY);
    zmsg_append (msg, &(zframe_t *) { s_worker_frame ("wirefuzz.new", 0, 4) });
    s_send (self, worker, &msg);
    zclock_sleep (200);
    msg = s_request ("wirefuzz.new", "wf-new", 6);
    zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_LIST) });
    zmsg_send (&msg, client);
    zmsg_t *request = s_worker_wait (worker, BZ_REQUEST, 2000);
    if (!request)
        s_problem (self, "after requests to 100 unknown services, a worker of a new service "
                         "(wirefuzz.new) gets no request: the broker's service table is full "
                         "of garbage names");
    zmsg_destroy (&request);
    msg = s_worker_msg (BZ_DISCONNECT);
    s_send (self, worker, &msg);
    //  The 503s for the made-up services come back after queue_wait_ms: drained.
    zclock_sleep (700);
    while ((msg = zmsg_recv (client)))
        zmsg_destroy (&msg);
    printf ("services: %d requests to made-up services, new service %s\n",
            self->sent - before, request? "served": "NOT served");
    zsock_destroy (&worker);
    zsock_destroy (&client);
}

//  A catalog worker that answers every request it gets with garbage for ms
//  milliseconds: the frontend and the order leader must cope with a lying worker.
static void
s_fake_catalog (fuzz_t *self, int ms)
{
    zsock_t *worker = s_dealer (self, bz_config_endpoint (self->config, "bus"));
    if (!worker)
        return;
    zmsg_t *msg = s_worker_msg (BZ_READY);
    zmsg_append (msg, &(zframe_t *) { s_worker_frame ("catalog", 0, 16) });
    s_send (self, worker, &msg);
    int answered = 0;
    int64_t deadline = zclock_mono () + ms, heartbeat_at = 0;
    while (zclock_mono () < deadline) {
        if (zclock_mono () >= heartbeat_at) {
            msg = s_worker_msg (BZ_HEARTBEAT);
            zmsg_send (&msg, worker);
            heartbeat_at = zclock_mono () + 100;
        }
        zmsg_t *request = zmsg_recv (worker);
        if (!request)
            continue;
        if (zmsg_size (request) < 6) {
            zmsg_destroy (&request);
            continue;
        }
        zframe_t *cmd = s_frame_at (request, 2);
        if (!zframe_streq (cmd, BZ_REQUEST)) {
            zmsg_destroy (&request);
            continue;
        }
        zframe_t *address = s_frame_at (request, 3), *reqid = s_frame_at (request, 4);
        zmsg_t *reply = s_worker_msg (BZ_REPLY);
        zmsg_append (reply, &(zframe_t *) { zframe_dup (address) });
        zmsg_append (reply, &(zframe_t *) { zframe_dup (reqid) });
        bz_msg_t body;
        switch (answered % 7) {
            case 0:                                     //  no body at all
                break;
            case 1:
                zmsg_append (reply, &(zframe_t *) { s_hostile_body (self, answered % HOSTILE_BODIES) });
                break;
            case 2:
                zmsg_append (reply, &(zframe_t *) { bz_msg_error (200, "not an error") });
                break;
            case 3:
                zmsg_append (reply, &(zframe_t *) { bz_msg_error (999, "no such status") });
                break;
            case 4:                                     //  a stock nobody asked for
                bz_msg_init (&body, BZ_MSG_STOCK);
                bz_msg_set_str (body.name, sizeof body.name, "WireFuzzCo");
                body.price = 1e308;
                body.quantity = INT64_MAX;
                body.volume = INT64_MAX;
                zmsg_append (reply, &(zframe_t *) { bz_msg_encode (&body) });
                break;
            case 5:                                     //  many frames
                for (int i = 0; i < 50; i++)
                    zmsg_append (reply, &(zframe_t *) { s_random_frame (self, 30) });
                break;
            default:                                    //  a TRADED nobody made
                bz_msg_init (&body, BZ_MSG_TRADED);
                body.number = 4242;
                bz_msg_set_str (body.key, sizeof body.key, "wirefuzz");
                zmsg_append (reply, &(zframe_t *) { bz_msg_encode (&body) });
                break;
        }
        s_send (self, worker, &reply);
        answered++;
        zmsg_destroy (&request);
    }
    msg = s_worker_msg (BZ_DISCONNECT);
    s_send (self, worker, &msg);
    printf ("fake catalog: answered %d requests with garbage in %d ms\n", answered, ms);
    zsock_destroy (&worker);
}

//  --------------------------------------------------------------------------
//  Frames above max_frame (libzmq drops the connection), replica sync sockets, raw TCP

static void
s_fuzz_oversize (fuzz_t *self)
{
    zsock_t *client = s_dealer (self, bz_config_endpoint (self->config, "bus"));
    if (!client)
        return;
    size_t sizes [] = { (size_t) self->max_frame + 1, 65536, 1 << 20 };
    for (size_t i = 0; i < 3; i++) {
        zmsg_t *msg = s_request ("catalog", "wf-big", 6);
        zframe_t *big = zframe_new (NULL, sizes [i]);
        memset (zframe_data (big), 0x91, sizes [i]);
        zmsg_append (msg, &big);
        s_send (self, client, &msg);
    }
    zclock_sleep (200);
    printf ("oversize: 3 frames of %d..1048576 bytes\n", self->max_frame + 1);
    zsock_destroy (&client);
}

static void
s_fuzz_sync (fuzz_t *self)
{
    int replicas = (int) bz_config_int (self->config, "order_replicas");
    for (int id = 1; id <= replicas; id++) {
        char name [32];
        snprintf (name, sizeof name, "order%d.sync", id);
        const char *endpoint = bz_config_endpoint (self->config, name);
        if (!s_listening (endpoint)) {
            printf ("%s: skipped, nothing listens at %s\n", name, endpoint ? endpoint: "?");
            continue;
        }
        zsock_t *peer = s_dealer (self, endpoint);
        if (!peer)
            continue;
        int before = self->sent;
        for (int which = 0; which < HOSTILE_BODIES; which++) {
            zmsg_t *msg = zmsg_new ();
            zmsg_append (msg, &(zframe_t *) { s_hostile_body (self, which) });
            s_send (self, peer, &msg);
            msg = zmsg_new ();                          //  behind an empty delimiter
            zmsg_addmem (msg, "", 0);
            zmsg_append (msg, &(zframe_t *) { s_hostile_body (self, which) });
            s_send (self, peer, &msg);
        }
        //  Messages of the wrong kind, and ACKs with wrong shapes.
        bz_msg_id_t ids [] = { BZ_MSG_STOCK, BZ_MSG_LOOKUP, BZ_MSG_TRADED, BZ_MSG_WORKER };
        for (size_t i = 0; i < sizeof ids / sizeof ids [0]; i++) {
            zmsg_t *msg = zmsg_new ();
            zmsg_append (msg, &(zframe_t *) { s_msg_frame (ids [i]) });
            s_send (self, peer, &msg);
        }
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, "\x83\xa3msg\xa3" "ACK\xa5" "epoch\xa1x\xa6number\x01\xa4rank\x01");
        s_send (self, peer, &msg);
        for (int round = 0; round < self->rounds; round++) {
            msg = zmsg_new ();
            size_t frames = 1 + s_below (self, SPLIT_MAX);
            for (size_t i = 0; i < frames; i++)
                zmsg_append (msg, &(zframe_t *) { s_random_frame (self, 40) });
            s_send (self, peer, &msg);
        }
        msg = zmsg_new ();
        zframe_t *big = zframe_new (NULL, (size_t) self->max_frame + 1);
        memset (zframe_data (big), 0xdd, zframe_size (big));
        zmsg_append (msg, &big);
        s_send (self, peer, &msg);
        //  Whatever comes back is drained and not judged: the sync protocol is internal.
        int replies = 0;
        zclock_sleep (200);
        while ((msg = zmsg_recv (peer))) {
            replies++;
            zmsg_destroy (&msg);
        }
        printf ("%s: %d hostile messages, %d replies\n", name, self->sent - before, replies);
        zsock_destroy (&peer);
    }
}

//  Bytes that are not ZMTP: a greeting that claims a huge frame, HTTP, random noise.
static void
s_fuzz_raw (fuzz_t *self)
{
    const char *names [3 + 2 * 9];
    int count = 0;
    names [count++] = "bus";
    names [count++] = "monitor";
    names [count++] = "catalog";
    static char replica_names [2 * 9][32];
    int replicas = (int) bz_config_int (self->config, "order_replicas");
    for (int id = 1; id <= replicas && id <= BZ_REPLICAS_MAX; id++) {
        snprintf (replica_names [2 * (id - 1)], 32, "order%d", id);
        snprintf (replica_names [2 * (id - 1) + 1], 32, "order%d.sync", id);
        names [count++] = replica_names [2 * (id - 1)];
        names [count++] = replica_names [2 * (id - 1) + 1];
    }
    int connections = 0;
    for (int n = 0; n < count; n++) {
        struct sockaddr_in address;
        if (!s_tcp_address (bz_config_endpoint (self->config, names [n]), &address))
            continue;
        for (int kind = 0; kind < 4; kind++) {
            int fd = socket (AF_INET, SOCK_STREAM, 0);
            if (fd < 0)
                continue;
            struct timeval timeout = { 0, 300000 };
            setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
            setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
            if (connect (fd, (struct sockaddr *) &address, sizeof address)) {
                close (fd);
                continue;
            }
            byte data [512];
            size_t size = 0;
            if (kind == 0) {                        //  ZMTP 3 signature, then a huge frame
                const byte greeting [] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0 };
                memcpy (data, greeting, sizeof greeting);
                size = 64;
                memset (data + sizeof greeting, 0, size - sizeof greeting);
                memcpy (data + 12, "NULL", 4);
                data [64] = 0x06;                   //  long command frame
                memset (data + 65, 0xff, 8);
                size = 73;
            }
            else
            if (kind == 1) {
                size = (size_t) snprintf ((char *) data, sizeof data,
                                          "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            else {
                size = s_below (self, sizeof data);
                for (size_t i = 0; i < size; i++)
                    data [i] = (byte) s_rand (self);
            }
            if (write (fd, data, size) < 0) {
                //  the peer may close at once: that is a fine answer
            }
            //  Read what the peer says for at most 200 ms in all, then hang up.
            shutdown (fd, SHUT_WR);
            byte sink [256];
            int64_t deadline = zclock_mono () + 200;
            while (zclock_mono () < deadline) {
                struct pollfd item = { fd, POLLIN, 0 };
                if (poll (&item, 1, (int) (deadline - zclock_mono ())) <= 0
                ||  read (fd, sink, sizeof sink) <= 0)
                    break;
            }
            close (fd);
            connections++;
            self->sent++;
        }
    }
    printf ("raw tcp: %d connections of non-ZMTP bytes to %d endpoints\n", connections, count);
}

//  --------------------------------------------------------------------------
//  The cluster still works: a fresh client gets a real STOCK, bus.workers lists both services.

static void
s_check_alive (fuzz_t *self)
{
    zsock_t *client = s_dealer (self, bz_config_endpoint (self->config, "bus"));
    if (!client)
        return;
    bool stock = false, catalog = false, order = false;
    for (int attempt = 0; attempt < 10 && !(stock && catalog); attempt++) {
        zmsg_t *msg = s_request ("catalog", "wf-alive", 8);
        bz_msg_t body;
        bz_msg_init (&body, BZ_MSG_LOOKUP);
        bz_msg_set_str (body.name, sizeof body.name, "GameStart");
        zmsg_append (msg, &(zframe_t *) { bz_msg_encode (&body) });
        zmsg_send (&msg, client);
        msg = s_request (BZ_SERVICE_WORKERS, "wf-workers", 10);
        zmsg_append (msg, &(zframe_t *) { s_msg_frame (BZ_MSG_LIST) });
        zmsg_send (&msg, client);
        int64_t deadline = zclock_mono () + 1000;
        while (zclock_mono () < deadline && !(stock && catalog)) {
            zmsg_t *reply = zmsg_recv (client);
            if (!reply || zmsg_size (reply) < 4) {
                zmsg_destroy (&reply);
                continue;
            }
            zframe_t *reqid = s_frame_at (reply, 3);
            for (zframe_t *frame = s_frame_at (reply, 4); frame; frame = zmsg_next (reply)) {
                char error [128];
                bz_msg_id_t id = bz_msg_decode_frame (&body, frame, error, sizeof error);
                if (zframe_streq (reqid, "wf-alive") && id == BZ_MSG_STOCK
                &&  streq (body.name, "GameStart"))
                    stock = true;
                if (zframe_streq (reqid, "wf-workers") && id == BZ_MSG_WORKER) {
                    catalog |= streq (body.service, "catalog");
                    order |= streq (body.service, "order");
                    if (streq (body.service, "wirefuzz"))
                        s_problem (self, "the fake worker is still registered after DISCONNECT");
                }
            }
            zmsg_destroy (&reply);
        }
    }
    if (!stock)
        s_problem (self, "after the garbage, LOOKUP GameStart got no STOCK");
    if (!catalog)
        s_problem (self, "after the garbage, bus.workers lists no catalog worker");
    printf ("alive: lookup %s, catalog worker %s, order worker %s\n",
            stock? "ok": "FAILED", catalog? "listed": "MISSING", order? "listed": "not listed");
    zsock_destroy (&client);
}

static bool
s_phase (const char *phases, const char *name)
{
    size_t length = strlen (name);
    for (const char *at = strstr (phases, name); at; at = strstr (at + 1, name))
        if ((at == phases || at [-1] == ',') && (at [length] == ',' || at [length] == 0))
            return true;
    return false;
}

enum { OPT_CONFIG, OPT_SEED, OPT_ROUNDS, OPT_PHASES, OPT_FAKE_MS, OPT_VERBOSE };
static const bz_cli_option_t s_options [] = {
    BZ_CLI_CONFIG,
    { "seed", "N", "seed of the random frames (default 0)", 0 },
    { "rounds", "N", "hostile messages per surface, 1..1000000 (default 300)", 0 },
    { "phases", "LIST", "comma-separated: worker client oversize sync raw (default),\n"
      "                           services, fake-catalog, none (only the final liveness check)", 0 },
    { "fake-catalog-ms", "MS", "how long the fake-catalog phase lies, 1..600000 (default 2000)", 0 },
    { "verbose", NULL, "print every problem's detail", 'v' },
    { NULL, NULL, NULL, 0 }
};
static const bz_cli_t s_cli = {
    "bazaar-wirefuzz", "[--config PATH] [--seed N] [--rounds N] [--phases LIST] [--fake-catalog-ms MS] [-v]",
    "Sends hostile frames to a running cluster (the bus as client and as worker, every\n"
    "replica's sync ROUTER, raw TCP to every port) and checks what comes back.",
    s_options, 0, 0,
    "  0  every answer was the one the protocol promises and the cluster still answers\n"
    "  1  a broken promise (each is printed)\n  2  usage error or bad setting"
};

int
main (int argc, char *argv [])
{
    const char *values [6];
    int rc;
    if (bz_cli_parse (&s_cli, argc, argv, values, &rc) < 0)
        return rc;
    const char *phases = values [OPT_PHASES]? values [OPT_PHASES]: "worker,client,oversize,sync,raw";
    fuzz_t self = { .rng = 0x9e3779b97f4a7c15ull, .rounds = 300, .verbose = values [OPT_VERBOSE] != NULL };
    int64_t number = 0, fake_catalog_ms = 2000;
    if (values [OPT_SEED] && (rc = bz_cli_int (&s_cli, "--seed", values [OPT_SEED], 0, INT64_MAX, &number)))
        return rc;
    self.rng ^= (uint64_t) number * 0x100000001b3ull;
    if (values [OPT_ROUNDS] && (rc = bz_cli_int (&s_cli, "--rounds", values [OPT_ROUNDS], 1, 1000000, &number)))
        return rc;
    if (values [OPT_ROUNDS])
        self.rounds = (int) number;
    if (values [OPT_FAKE_MS]
    &&  (rc = bz_cli_int (&s_cli, "--fake-catalog-ms", values [OPT_FAKE_MS], 1, 600000, &fake_catalog_ms)))
        return rc;
    if (!self.rng)
        self.rng = 1;
    self.config = bz_config_new (values [OPT_CONFIG]);
    if (!self.config)
        return 2;
    self.security = bz_security_new (self.config);
    if (!self.security) {
        bz_config_destroy (&self.config);
        return 2;
    }
    bz_security_set_default (self.security);
    self.max_frame = (int) bz_config_int (self.config, "max_frame");
    //  worker first: it checks a new service can register before garbage names pile up
    if (s_phase (phases, "worker"))
        s_fuzz_worker (&self);
    if (s_phase (phases, "client"))
        s_fuzz_client (&self);
    if (s_phase (phases, "oversize"))
        s_fuzz_oversize (&self);
    if (s_phase (phases, "sync"))
        s_fuzz_sync (&self);
    if (s_phase (phases, "raw"))
        s_fuzz_raw (&self);
    if (s_phase (phases, "services"))
        s_fuzz_services (&self);
    if (s_phase (phases, "fake-catalog"))
        s_fake_catalog (&self, (int) fake_catalog_ms);
    s_check_alive (&self);
    printf ("wirefuzz: %d hostile messages sent, %d problems\n", self.sent, self.problems);
    bz_security_destroy (&self.security);
    bz_config_destroy (&self.config);
    return self.problems? 1: 0;
}
