/*  bz_worker: worker side of the bus protocol (schemas/PROTOCOL.md).
    The socket never changes: when the broker restarts, ZeroMQ reconnects and we send READY
    again; a broker silent for a liveness period is also redialled (bz_socket.h says why).  */
#include "bz_worker.h"
#include "bz_cli.h"
#include "bz_loop.h"
#include "bz_bus.h"
#include "bz_metrics.h"
#include "bz_msg.h"
#include "bz_security.h"
#include "bz_socket.h"

struct _bz_worker_t {
    zsock_t *socket;            //  DEALER to the broker
    char *endpoint;             //  the broker's
    char *service;
    int rank;
    int credit;                 //  requests the broker may send before our replies
    int heartbeat_ms;
    int liveness;
    bz_timer_t heartbeat;       //  due a heartbeat_ms after our last message to the broker
    int64_t broker_expires;     //  when the broker counts as gone
    int leader;                 //  leader rank, from the broker's heartbeats
    int64_t leader_epoch;
    int service_size;           //  live workers of our service, from the same heartbeats
    int64_t epoch;              //  ours, announced in heartbeats
    bool withdrawn;             //  unregistered on purpose: no READY, no heartbeat
    bz_metrics_t *metrics;      //  the service's counters, sent to the broker
    bz_timer_t metrics_due;     //  every second
};

void
bz_request_destroy (bz_request_t **self_p)
{
    assert (self_p);
    bz_request_t *self = *self_p;
    if (!self)
        return;
    zframe_destroy (&self->client);
    zframe_destroy (&self->reqid);
    zmsg_destroy (&self->body);
    free (self);
    *self_p = NULL;
}

//  Sends one command with optional body frames (taken) to the broker.
static void
s_send (bz_worker_t *self, const char *command, zmsg_t *msg)
{
    if (!msg)
        msg = zmsg_new ();
    bz_bus_wrap_worker (msg, command);
    if (zmsg_send (&msg, self->socket))
        zmsg_destroy (&msg);
    bz_timer_init (&self->heartbeat, self->heartbeat_ms, zclock_mono () + self->heartbeat_ms);
}

static void
s_send_heartbeat (bz_worker_t *self)
{
    zmsg_t *msg = NULL;
    if (self->epoch > 0) {
        bz_msg_t info;
        bz_msg_init (&info, BZ_MSG_WORKER);
        bz_msg_set_str (info.service, sizeof info.service, self->service);
        info.rank = self->rank;
        info.count = self->epoch;
        msg = zmsg_new ();
        bz_msg_append (msg, &info);
    }
    s_send (self, BZ_HEARTBEAT, msg);
}

static void
s_send_ready (bz_worker_t *self)
{
    bz_msg_t ready;
    bz_msg_init (&ready, BZ_MSG_WORKER);
    bz_msg_set_str (ready.service, sizeof ready.service, self->service);
    ready.rank = self->rank;
    ready.count = self->credit;
    zmsg_t *msg = zmsg_new ();
    bz_msg_append (msg, &ready);
    s_send (self, BZ_READY, msg);
    //  Whoever the broker named before, it names again in its next heartbeat: until
    //  then we lead nothing (a returning leader may have to wait, bus_broker.c).
    self->leader = 0;
    self->service_size = 0;
    self->broker_expires = zclock_mono () + (int64_t) self->heartbeat_ms * self->liveness;
    if (self->epoch > 0)
        s_send_heartbeat (self);        //  a new broker learns our epoch at once
}

bz_worker_t *
bz_worker_new (bz_config_t *config, const char *service, int rank)
{
    assert (config && service);
    if (strlen (service) > BZ_SERVICE_MAX || rank < 0) {
        zsys_error ("worker %s: service name over %d characters, or rank %d below 0",
                    service, BZ_SERVICE_MAX, rank);
        return NULL;
    }
    bz_worker_t *self = (bz_worker_t *) zmalloc (sizeof (bz_worker_t));
    self->service = strdup (service);
    self->rank = rank;
    self->credit = (int) bz_config_int (config, "worker_credit");
    self->heartbeat_ms = (int) bz_config_int (config, "heartbeat_ms");
    self->liveness = (int) bz_config_int (config, "liveness");
    bz_timer_init (&self->heartbeat, self->heartbeat_ms, zclock_mono ());
    bz_timer_init (&self->metrics_due, 1000, zclock_mono ());
    self->metrics = bz_metrics_new (bz_cli_version ());
    self->socket = zsock_new (ZMQ_DEALER);
    if (!self->socket) {
        zsys_error ("worker %s: cannot make a socket: %s", service, zmq_strerror (zmq_errno ()));
        bz_worker_destroy (&self);
        return NULL;
    }
    zsock_set_linger (self->socket, 0);
    zsock_set_sndhwm (self->socket, BZ_HWM);
    zsock_set_rcvhwm (self->socket, BZ_HWM);
    zsock_set_maxmsgsize (self->socket, (int) bz_config_int (config, "max_frame"));
    zsock_set_reconnect_ivl (self->socket, 50);
    zsock_set_reconnect_ivl_max (self->socket, 500);
    //  Never block on a send: a DEALER with no connection (libzmq gave up on one after
    //  a failed handshake) would wait forever; a heartbeat or reply that cannot go out
    //  is dropped, and the client's retry or our next READY makes up for it.
    zsock_set_sndtimeo (self->socket, 0);
    self->endpoint = strdup (bz_config_endpoint (config, "bus"));
    if (bz_security_client (bz_security_for (config), self->socket)
    ||  zsock_connect (self->socket, "%s", self->endpoint)) {
        zsys_error ("worker %s: cannot connect to the bus at %s", service, self->endpoint);
        bz_worker_destroy (&self);
        return NULL;
    }
    s_send_ready (self);
    return self;
}

void
bz_worker_destroy (bz_worker_t **self_p)
{
    assert (self_p);
    bz_worker_t *self = *self_p;
    if (!self)
        return;
    if (self->socket) {
        //  A short linger lets DISCONNECT reach the broker so it drops us at once.
        s_send (self, BZ_DISCONNECT, NULL);
        zsock_set_linger (self->socket, 100);
        zsock_destroy (&self->socket);
    }
    bz_metrics_destroy (&self->metrics);
    free (self->endpoint);
    free (self->service);
    free (self);
    *self_p = NULL;
}

zsock_t *
bz_worker_socket (bz_worker_t *self)
{
    assert (self);
    return self->socket;
}

bz_request_t *
bz_worker_recv (bz_worker_t *self)
{
    assert (self);
    zmsg_t *msg = zmsg_recv (self->socket);
    if (!msg)
        return NULL;
    self->broker_expires = zclock_mono () + (int64_t) self->heartbeat_ms * self->liveness;
    bz_request_t *request = NULL;
    bz_envelope_t envelope;
    const char *command = envelope.command;
    if (bz_bus_unwrap (msg, &envelope) || envelope.client)
        zsys_warning ("worker %s: dropped a malformed message from the broker", self->service);
    else
    if (streq (command, BZ_REQUEST) && zmsg_size (msg) >= 3) {
        request = (bz_request_t *) zmalloc (sizeof (bz_request_t));
        request->client = zmsg_pop (msg);
        request->reqid = zmsg_pop (msg);
        request->body = msg;
        msg = NULL;
    }
    else
    if (streq (command, BZ_HEARTBEAT) && zmsg_size (msg) == 2) {
        bz_msg_t info, live;
        char error [128];
        if (bz_msg_decode_frame (&info, zmsg_first (msg), error, sizeof error) == BZ_MSG_WORKER
        &&  bz_msg_decode_frame (&live, zmsg_next (msg), error, sizeof error) == BZ_MSG_WORKER
        &&  info.rank <= INT_MAX && live.count <= INT_MAX) {
            self->leader = (int) info.rank;
            self->leader_epoch = info.count;
            self->service_size = (int) live.count;
        }
    }
    else
    if (streq (command, BZ_DISCONNECT)) {
        if (!self->withdrawn)
            s_send_ready (self);        //  the broker does not know us (it restarted)
    }
    else
    if (!streq (command, BZ_HEARTBEAT))
        zsys_warning ("worker %s: dropped an unknown command from the broker", self->service);
    zmsg_destroy (&msg);
    return request;
}

void
bz_worker_reply (bz_worker_t *self, bz_request_t **request_p, zmsg_t **reply_p)
{
    assert (self && request_p && *request_p && reply_p && *reply_p);
    bz_request_t *request = *request_p;
    zmsg_t *msg = *reply_p;
    *reply_p = NULL;
    zmsg_prepend (msg, &request->reqid);
    zmsg_prepend (msg, &request->client);
    s_send (self, BZ_REPLY, msg);
    bz_request_destroy (request_p);
}

void
bz_worker_tick (bz_worker_t *self)
{
    assert (self);
    int64_t now = zclock_mono ();
    if (self->withdrawn)
        return;
    if (bz_timer_fire (&self->metrics_due, now)) {
        //  Once a second, whatever else is due: the broker keeps only the latest
        bz_metrics_update_process (self->metrics);
        zmsg_t *msg = zmsg_new ();
        bz_metrics_encode (self->metrics, msg);
        s_send (self, BZ_METRICS, msg);
    }
    if (now >= self->broker_expires) {
        zsys_info ("worker %s: broker silent, redialling and registering again", self->service);
        bz_socket_redial (self->socket, self->endpoint);
        s_send_ready (self);
    }
    else
    if (bz_timer_fire (&self->heartbeat, now))
        s_send_heartbeat (self);
}

int
bz_worker_leader (bz_worker_t *self)
{
    assert (self);
    return bz_worker_connected (self)? self->leader: 0;
}

int
bz_worker_service_size (bz_worker_t *self)
{
    assert (self);
    return bz_worker_connected (self)? self->service_size: 0;
}

int64_t
bz_worker_leader_epoch (bz_worker_t *self)
{
    assert (self);
    return self->leader_epoch;
}

void
bz_worker_set_epoch (bz_worker_t *self, int64_t epoch)
{
    assert (self);
    if (epoch != self->epoch) {
        self->epoch = epoch;
        if (!self->withdrawn)           //  withdrawn: announced when available again
            s_send_heartbeat (self);
    }
}

void
bz_worker_set_available (bz_worker_t *self, bool available)
{
    assert (self);
    if (available == !self->withdrawn)
        return;
    self->withdrawn = !available;
    if (available)
        s_send_ready (self);
    else
        s_send (self, BZ_DISCONNECT, NULL);
    zsys_info ("worker %s: %s the bus", self->service, available? "registered again with": "withdrawn from");
}

bz_metrics_t *
bz_worker_metrics (bz_worker_t *self)
{
    assert (self);
    return self->metrics;
}

int
bz_worker_tick_ms (bz_worker_t *self)
{
    assert (self);
    return self->heartbeat_ms;
}

bool
bz_worker_connected (bz_worker_t *self)
{
    assert (self);
    return zclock_mono () < self->broker_expires;
}
