/*  bz_client: Lazy Pirate client of the bus, one DEALER socket per client.
    A try that times out reopens the socket: ZeroMQ's own reconnect may be stuck on a dead peer.  */
#include "bz_client.h"
#include "bz_loop.h"
#include "bz_limits.h"
#include "bz_bus.h"
#include "bz_security.h"

struct _bz_client_t {
    char *endpoint;         //  the broker's ROUTER
    bz_security_t *security;    //  the process's, applied to every socket we open
    zsock_t *socket;        //  DEALER, reopened after every timed-out try
    uint64_t sequence;      //  last request id used
    int retry_ms;           //  how long one try waits
    int max_frame;          //  largest reply frame accepted
    uint64_t retries;       //  tries that timed out
    //  The requests awaiting their replies, oldest first: a reply answers the oldest
    struct {
        char service [BZ_SERVICE_MAX + 1];
        uint64_t sequence;
    } waiting [BZ_CLIENT_INFLIGHT];
    size_t waiting_count;
};

zsock_t *
bz_client_dealer (const char *endpoint, bz_security_t *security, int max_frame)
{
    assert (endpoint && security);
    zsock_t *socket = zsock_new (ZMQ_DEALER);
    if (!socket) {
        zsys_error ("client: cannot make a socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_linger (socket, 0);
    zsock_set_sndhwm (socket, BZ_CLIENT_HWM);
    zsock_set_rcvhwm (socket, BZ_CLIENT_HWM);
    //  Never block on a send: with no connection (libzmq gave up on one, bz_socket.h)
    //  a DEALER would wait forever; a failed send is retried at the request's deadline.
    zsock_set_sndtimeo (socket, 0);
    //  Catch-up replies carry up to 1000 frames, each still bounded by max_frame.
    zsock_set_maxmsgsize (socket, max_frame);
    if (bz_security_client (security, socket)
    ||  zsock_connect (socket, "%s", endpoint)) {
        zsys_error ("client: cannot connect to the bus at %s", endpoint);
        zsock_destroy (&socket);
        return NULL;
    }
    return socket;
}

static zsock_t *
s_connect (bz_client_t *self)
{
    return bz_client_dealer (self->endpoint, self->security, self->max_frame);
}

bz_client_t *
bz_client_new (bz_config_t *config)
{
    assert (config);
    bz_client_t *self = (bz_client_t *) zmalloc (sizeof (bz_client_t));
    self->endpoint = strdup (bz_config_endpoint (config, "bus"));
    self->retry_ms = (int) bz_config_int (config, "retry_ms");
    self->max_frame = (int) bz_config_int (config, "max_frame");
    self->security = bz_security_for (config);
    self->socket = self->security? s_connect (self): NULL;
    if (!self->socket)
        bz_client_destroy (&self);
    return self;
}

void
bz_client_destroy (bz_client_t **self_p)
{
    assert (self_p);
    bz_client_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->socket);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

int
bz_client_send (bz_client_t *self, const char *service, zmsg_t **request_p)
{
    assert (self && service && request_p && *request_p);
    zmsg_t *msg = *request_p;
    *request_p = NULL;
    uint64_t sequence = ++self->sequence;
    if (!self->socket || self->waiting_count == BZ_CLIENT_INFLIGHT
    ||  bz_bus_wrap_client (msg, service, &sequence, sizeof sequence)) {
        zmsg_destroy (&msg);
        return -1;
    }
    int rc = zmsg_send (&msg, self->socket);
    zmsg_destroy (&msg);
    if (rc == 0) {
        snprintf (self->waiting [self->waiting_count].service, BZ_SERVICE_MAX + 1, "%s", service);
        self->waiting [self->waiting_count++].sequence = sequence;
    }
    return rc;
}

zmsg_t *
bz_client_recv (bz_client_t *self)
{
    assert (self);
    zmsg_t *msg = self->socket? zmsg_recv (self->socket): NULL;
    if (!msg)
        return NULL;
    bz_envelope_t envelope;
    uint64_t sequence = 0;
    bool oldest = bz_bus_unwrap (msg, &envelope) == 0 && envelope.client
               && envelope.reqid_size == sizeof sequence
               && self->waiting_count > 0
               && streq (envelope.service, self->waiting [0].service);
    if (oldest) {
        memcpy (&sequence, envelope.reqid, sizeof sequence);
        oldest = sequence == self->waiting [0].sequence;
    }
    if (!oldest) {
        zmsg_destroy (&msg);
        return NULL;
    }
    self->waiting_count--;                     //  one reply per request
    memmove (self->waiting, self->waiting + 1, self->waiting_count * sizeof self->waiting [0]);
    return msg;
}

zsock_t *
bz_client_socket (bz_client_t *self)
{
    assert (self);
    return self->socket;
}

void
bz_client_reset (bz_client_t *self)
{
    assert (self);
    //  The try is lost: a fresh socket drops its queue and any stale replies.
    self->retries++;
    zsock_destroy (&self->socket);
    self->waiting_count = 0;
    self->socket = s_connect (self);        //  NULL, logged, when it cannot
}

zmsg_t *
bz_client_request (bz_client_t *self, const char *service, zmsg_t **request_p, int timeout_ms)
{
    assert (self && service && request_p && *request_p);
    zmsg_t *request = *request_p;
    *request_p = NULL;
    int64_t deadline = zclock_mono () + timeout_ms;
    zmsg_t *reply = NULL;
    while (!reply && !zsys_interrupted && self->socket && zclock_mono () < deadline) {
        //  Each try is a new request id, so a late reply to an earlier try is dropped.
        zmsg_t *copy = zmsg_dup (request);
        if (bz_client_send (self, service, &copy))
            break;
        int64_t try_deadline = zclock_mono () + self->retry_ms;
        if (try_deadline > deadline)
            try_deadline = deadline;
        zmq_pollitem_t item = { zsock_resolve (self->socket), 0, ZMQ_POLLIN, 0 };
        while (!reply) {
            bz_wake_t wake = bz_wake (zclock_mono (), -1);
            bz_wake_by (&wake, try_deadline);
            if (bz_wake_ms (&wake) == 0 || bz_loop_poll (&item, 1, &wake, "bus client") <= 0)
                break;
            reply = bz_client_recv (self);
        }
        if (!reply)
            bz_client_reset (self);
    }
    zmsg_destroy (&request);
    return reply;
}

size_t
bz_client_waiting (bz_client_t *self)
{
    assert (self);
    return self->waiting_count;
}

uint64_t
bz_client_retries (bz_client_t *self)
{
    assert (self);
    return self->retries;
}
