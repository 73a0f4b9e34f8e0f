/*  bus_broker: routes requests by service name to live workers, many in flight per
    worker, and requeues what a dead worker held. Majordomo (ZeroMQ guide, ch. 4) on zsock.  */
#include "bus_broker.h"
#include "bz_cli.h"
#include "bz_bus.h"
#include "bz_loop.h"
#include "bz_metrics.h"
#include "bz_msg.h"
#include "bz_security.h"
#include "bz_worker.h"
#include <netdb.h>
#include <sys/socket.h>

#define SERVICES_MAX    64      //  garbage service names must not grow memory
#define WORKERS_MAX     256
#define FRAMES_MAX      1100    //  a BATCH of 1000 orders plus its header
#define KEY_MAX         (2 * (255 + BZ_REQID_MAX) + 2)
//  The ROUTER's transport events, published on the monitor as "transport".
#define TRANSPORT_EVENTS (ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_ACCEPT_FAILED \
    | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL \
    | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

typedef struct _service_t service_t;

typedef struct {
    bz_request_t base;          //  the client, its request id and the body (first: see
                                //  s_request_destroy)
    int64_t expires;            //  while queued: when the client gets a 503
} request_t;

typedef struct {
    char identity [2 * 255 + 1];    //  hex routing id: the key in broker->workers
    zframe_t *address;
    service_t *service;
    int rank;
    int credit;
    zhashx_t *inflight;         //  client+reqid → request_t, kept for requeueing
    int64_t expires;
    int64_t epoch;              //  leader epoch the worker last announced
    uint64_t turn;              //  its service's dispatch count when it last took one
    zmsg_t *metrics;            //  its latest bz_metrics frames, checked; NULL: none yet
} worker_t;

struct _service_t {
    char name [BZ_SERVICE_MAX + 1];
    zlistx_t *workers;          //  worker_t, owned by broker->workers
    zlistx_t *queue;            //  request_t waiting for a worker
    uint64_t requests;
    uint64_t dispatched;        //  requests sent to its workers (their turn order)
    int leader_rank;            //  last announced highest rank (0: none)
    int64_t leader_epoch;       //  and the epoch that worker announced
    int left_rank;              //  the last leader that left (expired or withdrew)
    int64_t left_at;            //  and when
};

struct _bus_broker_t {
    zsock_t *router;
    zsock_t *monitor;           //  XPUB: events out, subscriptions in (a new one gets "state")
    zsock_t *transport;         //  PAIR reading zmq_socket_monitor events of the ROUTER
    char publisher [41];        //  the monitor stream's id, one per start
    int64_t monitor_seq;        //  seq of the next "hb" on the monitor
    zhashx_t *services;
    zhashx_t *workers;
    int heartbeat_ms, liveness, queue_wait_ms, queue_max, max_credit;
    bz_timer_t housekeeping;    //  every heartbeat_ms (s_housekeeping)
    bz_timer_t stats;           //  every second: "stats" on the monitor
    bz_metrics_t *metrics;      //  the bus's own, in bus.metrics as service "bus"
    int requests_id, unavailable_id, dropped_id, workers_id, queued_id, transport_id;
};

static void s_worker_delete (bus_broker_t *self, worker_t *worker, bool requeue);
static void s_dispatch (bus_broker_t *self, service_t *service);

static void
s_hex (char *out, const byte *data, size_t size)
{
    static const char digits [] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        *out++ = digits [data [i] >> 4];
        *out++ = digits [data [i] & 15];
    }
    *out = 0;
}

static void
s_request_key (char *key, zframe_t *client, zframe_t *reqid)
{
    s_hex (key, zframe_data (client), zframe_size (client));
    key += strlen (key);
    *key++ = ':';
    s_hex (key, zframe_data (reqid), zframe_size (reqid));
}

static void
s_request_destroy (request_t **self_p)
{
    //  base is the first member: destroying it frees the whole request_t
    bz_request_t *base = *self_p? &(*self_p)->base: NULL;
    *self_p = NULL;
    bz_request_destroy (&base);
}

static void
s_service_destroy (service_t **self_p)
{
    service_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->workers);
    zlistx_destroy (&self->queue);
    free (self);
    *self_p = NULL;
}

static void
s_worker_free (worker_t **self_p)
{
    worker_t *self = *self_p;
    if (!self)
        return;
    zframe_destroy (&self->address);
    zmsg_destroy (&self->metrics);
    zhashx_destroy (&self->inflight);
    free (self);
    *self_p = NULL;
}

static void
s_publish (bus_broker_t *self, const char *topic, const char *service, int64_t rank, int64_t count)
{
    bz_msg_t event;
    bz_msg_init (&event, BZ_MSG_WORKER);
    bz_msg_set_str (event.service, sizeof event.service, service);
    event.rank = rank;
    event.count = count;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, topic);
    bz_msg_append (msg, &event);
    zmsg_send (&msg, self->monitor);
    zmsg_destroy (&msg);
}

//  Appends one WORKER{service, rank, count} frame per live worker to msg: count is the
//  worker's announced epoch (the monitor's "state") or its requests in flight
//  (bus.workers).
static void
s_append_workers (bus_broker_t *self, zmsg_t *msg, bool epochs)
{
    for (worker_t *w = (worker_t *) zhashx_first (self->workers); w;
         w = (worker_t *) zhashx_next (self->workers)) {
        bz_msg_t info;
        bz_msg_init (&info, BZ_MSG_WORKER);
        bz_msg_set_str (info.service, sizeof info.service, w->service->name);
        info.rank = w->rank;
        info.count = epochs? w->epoch: (int64_t) zhashx_size (w->inflight);
        bz_msg_append (msg, &info);
    }
}

//  The whole table on one "state" message: one WORKER{service, rank, count=epoch} frame
//  per live worker (none when the bus has no worker). Sent when someone subscribes,
//  so a monitor that joins late (busmon --once, the frontend's live page) needs no
//  history: the leader of a ranked service is its highest rank, at that worker's epoch.
static void
s_publish_state (bus_broker_t *self)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "state");
    s_append_workers (self, msg, true);
    zmsg_send (&msg, self->monitor);
    zmsg_destroy (&msg);
}

//  A subscription on the XPUB (verbose: every one, repeats included). A topic that
//  would receive "state" ("", "s"... "state") gets the table at once.
static void
s_monitor_input (bus_broker_t *self)
{
    zframe_t *frame = zframe_recv (self->monitor);
    if (!frame)
        return;
    size_t size = zframe_size (frame);
    const char *data = (const char *) zframe_data (frame);
    if (size >= 1 && data [0] == 1 && size - 1 <= 5 && memcmp (data + 1, "state", size - 1) == 0)
        s_publish_state (self);
    zframe_destroy (&frame);
}

//  One event of zmq_socket_monitor on the ROUTER (two frames: 16-bit event and 32-bit
//  value, then the endpoint), published as "transport" TRANSPORT{name, message, count}.
//  An accepted connection's value is its file descriptor: the peer's address is read
//  from it while it is open.
static void
s_transport_input (bus_broker_t *self)
{
    zmsg_t *msg = zmsg_recv (self->transport);
    zframe_t *head = msg? zmsg_first (msg): NULL;
    char *endpoint = msg && zmsg_size (msg) == 2? zframe_strdup (zmsg_last (msg)): NULL;
    if (head && endpoint && zframe_size (head) == 6) {
        uint16_t event;
        uint32_t value;
        memcpy (&event, zframe_data (head), 2);
        memcpy (&value, zframe_data (head) + 2, 4);
        const char *name = event == ZMQ_EVENT_ACCEPTED? "accepted"
                         : event == ZMQ_EVENT_DISCONNECTED? "disconnected"
                         : event == ZMQ_EVENT_ACCEPT_FAILED? "accept_failed"
                         : event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH? "handshake_failed_auth"
                         : event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL? "handshake_failed_protocol"
                         : event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL? "handshake_failed": NULL;
        bz_msg_t info;
        bz_msg_init (&info, BZ_MSG_TRANSPORT);
        bz_msg_set_str (info.message, sizeof info.message, endpoint);
        struct sockaddr_storage peer;
        socklen_t length = sizeof peer;
        char host [64], port [16];
        if (event == ZMQ_EVENT_ACCEPTED
        &&  getpeername ((int) value, (struct sockaddr *) &peer, &length) == 0
        &&  getnameinfo ((struct sockaddr *) &peer, length, host, sizeof host, port, sizeof port,
                         NI_NUMERICHOST | NI_NUMERICSERV) == 0)
            snprintf (info.message, sizeof info.message, "%s from %s:%s", endpoint, host, port);
        info.count = value;
        if (name) {
            bz_msg_set_str (info.name, sizeof info.name, name);
            bz_metrics_add (self->metrics, self->transport_id, 1);
            zmsg_t *out = zmsg_new ();
            zmsg_addstr (out, "transport");
            bz_msg_append (out, &info);
            zmsg_send (&out, self->monitor);
            zmsg_destroy (&out);
        }
    }
    zstr_free (&endpoint);
    zmsg_destroy (&msg);
}

//  Every heartbeat_ms: the monitor stream's HEARTBEAT{publisher, seq}, so a subscriber
//  tells a quiet bus from a dead one (or a restarted one: a new publisher).
static void
s_publish_heartbeat (bus_broker_t *self)
{
    bz_msg_t beat;
    bz_msg_init (&beat, BZ_MSG_HEARTBEAT);
    bz_msg_set_str (beat.publisher, sizeof beat.publisher, self->publisher);
    beat.seq = self->monitor_seq++;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "hb");
    bz_msg_append (msg, &beat);
    zmsg_send (&msg, self->monitor);
    zmsg_destroy (&msg);
}

//  --------------------------------------------------------------------------
//  Metrics: the bus's own, and the latest each worker sent (bus.metrics)

static void
s_metrics_declare (bus_broker_t *self)
{
    self->metrics = bz_metrics_new (bz_cli_version ());
    self->requests_id = bz_metrics_counter (self->metrics, "bazaar_bus_requests_total",
        "Client requests the bus queued for a service.");
    self->unavailable_id = bz_metrics_counter (self->metrics, "bazaar_bus_unavailable_total",
        "Requests answered 503 by the bus: no live worker in time, queue full, too many services.");
    self->dropped_id = bz_metrics_counter (self->metrics, "bazaar_bus_dropped_total",
        "Malformed messages the bus dropped.");
    self->transport_id = bz_metrics_counter (self->metrics, "bazaar_bus_transport_events_total",
        "Connections accepted, lost or refused in the handshake on the bus socket.");
    self->workers_id = bz_metrics_gauge (self->metrics, "bazaar_bus_workers",
        "Live workers registered with the bus.");
    self->queued_id = bz_metrics_gauge (self->metrics, "bazaar_bus_queued_requests",
        "Requests waiting for a worker.");
}

//  A worker's METRICS: kept if every frame checks out, dropped (and counted) if not.
static void
s_worker_metrics (bus_broker_t *self, worker_t *worker, zmsg_t **msg_p)
{
    char error [128];
    bz_metrics_t *decoded = bz_metrics_decode (*msg_p, zmsg_first (*msg_p), zmsg_size (*msg_p),
                                               error, sizeof error);
    if (!decoded) {
        bz_metrics_add (self->metrics, self->dropped_id, 1);
        zsys_warning ("bus: dropped metrics from %s rank %d: %s", worker->service->name,
                      worker->rank, error);
        return;
    }
    bz_metrics_destroy (&decoded);
    zmsg_destroy (&worker->metrics);
    worker->metrics = *msg_p;
    *msg_p = NULL;
}

static void
s_metrics_append (zmsg_t *body, const char *service, int rank, zmsg_t *frames)
{
    bz_msg_t header;
    bz_msg_init (&header, BZ_MSG_WORKER);
    bz_msg_set_str (header.service, sizeof header.service, service);
    header.rank = rank;
    header.count = (int64_t) zmsg_size (frames);
    bz_msg_append (body, &header);
    for (zframe_t *frame = zmsg_first (frames); frame; frame = zmsg_next (frames))
        zmsg_append (body, &(zframe_t *) { zframe_dup (frame) });
}

//  bus.metrics: the bus's own registry as service "bus", then every worker's latest.
static zmsg_t *
s_metrics_reply (bus_broker_t *self)
{
    size_t queued = 0;
    for (service_t *s = (service_t *) zhashx_first (self->services); s;
         s = (service_t *) zhashx_next (self->services))
        queued += zlistx_size (s->queue);
    bz_metrics_set (self->metrics, self->workers_id, (double) zhashx_size (self->workers));
    bz_metrics_set (self->metrics, self->queued_id, (double) queued);
    bz_metrics_update_process (self->metrics);
    zmsg_t *own = zmsg_new ();
    bz_metrics_encode (self->metrics, own);
    zmsg_t *body = zmsg_new ();
    s_metrics_append (body, "bus", 0, own);
    zmsg_destroy (&own);
    for (worker_t *w = (worker_t *) zhashx_first (self->workers); w;
         w = (worker_t *) zhashx_next (self->workers))
        if (w->metrics)
            s_metrics_append (body, w->service->name, w->rank, w->metrics);
    return body;
}

//  Sends to a peer on the ROUTER. With ROUTER_MANDATORY a vanished peer gives an error
//  instead of a silent drop; the caller decides what that means.
static int
s_route (bus_broker_t *self, zframe_t *address, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    zmsg_prepend (msg, &(zframe_t *) { zframe_dup (address) });
    int rc = zmsg_send (msg_p, self->router);
    zmsg_destroy (msg_p);
    return rc;
}

static void
s_reply_client (bus_broker_t *self, zframe_t *client, const char *service, zframe_t *reqid, zmsg_t **body_p)
{
    zmsg_t *msg = *body_p;
    *body_p = NULL;
    if (bz_bus_wrap_client (msg, service, zframe_data (reqid), zframe_size (reqid)) == 0)
        s_route (self, client, &msg);   //  a client that left is no loss
    zmsg_destroy (&msg);
}

static void
s_reply_error (bus_broker_t *self, request_t *request, const char *service, int code, const char *text)
{
    bz_metrics_add (self->metrics, self->unavailable_id, 1);
    zmsg_t *body = zmsg_new ();
    zmsg_append (body, &(zframe_t *) { bz_msg_error (code, "%s", text) });
    s_reply_client (self, request->base.client, service, request->base.reqid, &body);
}

static void
s_send_worker (bus_broker_t *self, worker_t *worker, const char *command, zmsg_t *msg)
{
    if (!msg)
        msg = zmsg_new ();
    bz_bus_wrap_worker (msg, command);
    s_route (self, worker->address, &msg);
}

//  A heartbeat tells a worker who leads its service: WORKER{service, rank, count=epoch}.
static void
s_heartbeat (bus_broker_t *self, worker_t *worker)
{
    bz_msg_t leader;
    bz_msg_init (&leader, BZ_MSG_WORKER);
    bz_msg_set_str (leader.service, sizeof leader.service, worker->service->name);
    leader.rank = worker->service->leader_rank;
    leader.count = worker->service->leader_epoch;
    bz_msg_t live;
    bz_msg_init (&live, BZ_MSG_WORKER);
    bz_msg_set_str (live.service, sizeof live.service, worker->service->name);
    live.count = (int64_t) zlistx_size (worker->service->workers);
    zmsg_t *msg = zmsg_new ();
    bz_msg_append (msg, &leader);
    bz_msg_append (msg, &live);
    s_send_worker (self, worker, BZ_HEARTBEAT, msg);
}

//  Announces a change of the highest-ranked worker of a ranked service (the order
//  leader) or of its epoch, on the monitor and at once to the service's workers.
static void
s_check_leader (bus_broker_t *self, service_t *service)
{
    worker_t *top = NULL;
    for (worker_t *w = (worker_t *) zlistx_first (service->workers); w;
         w = (worker_t *) zlistx_next (service->workers))
        if (w->rank > 0 && (!top || w->rank > top->rank))
            top = w;
    int rank = top? top->rank: 0;
    int64_t epoch = top? top->epoch: 0;
    if (rank == service->leader_rank && epoch == service->leader_epoch)
        return;
    if (rank != service->leader_rank)
        zsys_info ("service %s: leader is now rank %d (was %d)", service->name, rank, service->leader_rank);
    else
        zsys_info ("service %s: leader rank %d is at epoch %" PRId64, service->name, rank, epoch);
    service->leader_rank = rank;
    service->leader_epoch = epoch;
    s_publish (self, "leader", service->name, rank, epoch);
    for (worker_t *w = (worker_t *) zlistx_first (service->workers); w;
         w = (worker_t *) zlistx_next (service->workers))
        s_heartbeat (self, w);
}

//  Makes room for a worker's service in a full table: a service that has no worker is
//  only names clients asked for (maybe garbage), so its waiting clients get a 503.
static void
s_evict_workerless (bus_broker_t *self)
{
    for (service_t *s = (service_t *) zhashx_first (self->services); s;
         s = (service_t *) zhashx_next (self->services))
        if (zlistx_size (s->workers) == 0) {
            for (request_t *r = (request_t *) zlistx_first (s->queue); r;
                 r = (request_t *) zlistx_next (s->queue))
                s_reply_error (self, r, s->name, 503, "no live worker for this service");
            zhashx_delete (self->services, s->name);
            return;
        }
}

static service_t *
s_service_require (bus_broker_t *self, const char *name, bool for_worker)
{
    service_t *service = (service_t *) zhashx_lookup (self->services, name);
    if (!service && for_worker && zhashx_size (self->services) >= SERVICES_MAX)
        s_evict_workerless (self);
    if (service || zhashx_size (self->services) >= SERVICES_MAX)
        return service;
    service = (service_t *) zmalloc (sizeof (service_t));
    bz_msg_set_str (service->name, sizeof service->name, name);
    service->workers = zlistx_new ();
    service->queue = zlistx_new ();
    zlistx_set_destructor (service->queue, (zlistx_destructor_fn *) s_request_destroy);
    zhashx_insert (self->services, name, service);
    return service;
}

//  The worker that takes the next request: for a ranked service only the highest rank
//  (requests wait rather than reach a follower), otherwise the least loaded, and of
//  those the one that waited longest for a request, so that idle workers take turns.
static worker_t *
s_choose_worker (service_t *service)
{
    worker_t *best = NULL;
    for (worker_t *w = (worker_t *) zlistx_first (service->workers); w;
         w = (worker_t *) zlistx_next (service->workers)) {
        if (service->leader_rank > 0) {
            if (w->rank == service->leader_rank)
                best = w;
        }
        else
        if (!best || zhashx_size (w->inflight) < zhashx_size (best->inflight)
        ||  (zhashx_size (w->inflight) == zhashx_size (best->inflight) && w->turn < best->turn))
            best = w;
    }
    return best && (int) zhashx_size (best->inflight) < best->credit? best: NULL;
}

static void
s_dispatch (bus_broker_t *self, service_t *service)
{
    worker_t *worker;
    while (zlistx_size (service->queue) && (worker = s_choose_worker (service))) {
        request_t *request = (request_t *) zlistx_first (service->queue);
        zlistx_detach_cur (service->queue);
        zmsg_t *msg = zmsg_dup (request->base.body);
        zmsg_prepend (msg, &(zframe_t *) { zframe_dup (request->base.reqid) });
        zmsg_prepend (msg, &(zframe_t *) { zframe_dup (request->base.client) });
        char key [KEY_MAX];
        s_request_key (key, request->base.client, request->base.reqid);
        //  A client that resends a request it is still waiting for replaces the old one.
        zhashx_update (worker->inflight, key, request);
        worker->turn = ++service->dispatched;
        s_send_worker (self, worker, BZ_REQUEST, msg);
    }
}

static void
s_client_request (bus_broker_t *self, zframe_t *sender, const bz_envelope_t *envelope, zmsg_t *msg)
{
    const char *name = envelope->service;
    if (zmsg_size (msg) == 0) {
        zsys_warning ("bus: dropped a client request with no body");
        bz_metrics_add (self->metrics, self->dropped_id, 1);
        return;
    }
    zframe_t *reqid = zframe_new (envelope->reqid, envelope->reqid_size);
    request_t request = { { sender, reqid, msg }, 0 };
    if (streq (name, BZ_SERVICE_METRICS)) {
        zmsg_t *body = s_metrics_reply (self);
        s_reply_client (self, sender, name, reqid, &body);
    }
    else
    if (streq (name, BZ_SERVICE_WORKERS)) {
        zmsg_t *body = zmsg_new ();
        s_append_workers (self, body, false);
        s_reply_client (self, sender, name, reqid, &body);
    }
    else {
        service_t *service = s_service_require (self, name, false);
        if (!service)
            s_reply_error (self, &request, name, 503, "too many services on the bus");
        else
        if ((int) zlistx_size (service->queue) >= self->queue_max)
            s_reply_error (self, &request, name, 503, "service overloaded");
        else {
            request_t *queued = (request_t *) zmalloc (sizeof (request_t));
            queued->base.client = zframe_dup (sender);
            queued->base.reqid = zframe_dup (reqid);
            queued->base.body = zmsg_dup (msg);
            queued->expires = zclock_mono () + self->queue_wait_ms;
            zlistx_add_end (service->queue, queued);
            service->requests++;
            bz_metrics_add (self->metrics, self->requests_id, 1);
            s_dispatch (self, service);
        }
    }
    zframe_destroy (&reqid);
}

static worker_t *
s_worker_create (bus_broker_t *self, zframe_t *sender, const char *identity, const bz_msg_t *ready)
{
    service_t *service = s_service_require (self, ready->service, true);
    if (!service || zhashx_size (self->workers) >= WORKERS_MAX)
        return NULL;
    worker_t *worker = (worker_t *) zmalloc (sizeof (worker_t));
    bz_msg_set_str (worker->identity, sizeof worker->identity, identity);
    worker->address = zframe_dup (sender);
    worker->service = service;
    worker->rank = (int) (ready->rank < 1000? ready->rank: 1000);
    worker->credit = (int) (ready->count >= 1 && ready->count < self->max_credit? ready->count: self->max_credit);
    worker->inflight = zhashx_new ();
    zhashx_set_destructor (worker->inflight, (zhashx_destructor_fn *) s_request_destroy);
    zhashx_insert (self->workers, identity, worker);
    zlistx_add_end (service->workers, worker);
    zsys_info ("worker up: %s rank %d (%s)", service->name, worker->rank, identity);
    s_publish (self, "worker.up", service->name, worker->rank, 0);
    s_check_leader (self, service);
    return worker;
}

//  Removes a worker; with requeue, the requests it held go back to the front of its
//  service's queue so another worker answers them (trades carry idempotency keys).
static void
s_worker_delete (bus_broker_t *self, worker_t *worker, bool requeue)
{
    service_t *service = worker->service;
    zsys_info ("worker down: %s rank %d (%s), %zu requests in flight",
               service->name, worker->rank, worker->identity, zhashx_size (worker->inflight));
    if (worker->rank > 0 && worker->rank == service->leader_rank) {
        service->left_rank = worker->rank;
        service->left_at = zclock_mono ();
    }
    s_publish (self, "worker.down", service->name, worker->rank, 0);
    if (requeue) {
        int64_t expires = zclock_mono () + self->queue_wait_ms;
        zhashx_set_destructor (worker->inflight, NULL);
        for (request_t *r = (request_t *) zhashx_first (worker->inflight); r;
             r = (request_t *) zhashx_next (worker->inflight)) {
            r->expires = expires;
            zlistx_add_start (service->queue, r);
        }
    }
    void *handle = zlistx_find (service->workers, worker);
    if (handle)
        zlistx_delete (service->workers, handle);
    zhashx_delete (self->workers, worker->identity);     //  frees the worker
    s_check_leader (self, service);
    s_dispatch (self, service);
}

static void
s_worker_ready (bus_broker_t *self, zframe_t *sender, const char *identity, worker_t *worker, zmsg_t *msg)
{
    bz_msg_t ready;
    char error [128];
    zframe_t *frame = zmsg_pop (msg);
    bz_msg_id_t id = bz_msg_decode_frame (&ready, frame, error, sizeof error);
    zframe_destroy (&frame);
    if (id != BZ_MSG_WORKER || !*ready.service || streq (ready.service, BZ_SERVICE_WORKERS)) {
        zsys_warning ("bus: dropped a malformed READY (%s)", id? "bad service": error);
        return;
    }
    if (worker && streq (worker->service->name, ready.service) && worker->rank == ready.rank)
        return;                         //  a repeated READY: nothing changed
    //  A leader that left (expired, withdrew, died) may register again only after a
    //  hold; until then its READY is ignored and it repeats it. Every change of leader
    //  costs a fence and a catch-up, and a leader on a flaky link would otherwise take
    //  the role back with every beat that got through, and lose it again.
    service_t *service = (service_t *) zhashx_lookup (self->services, ready.service);
    if (!worker && service && ready.rank > 0 && ready.rank == service->left_rank
    &&  zclock_mono () - service->left_at < BZ_LEADER_HOLD * (int64_t) self->heartbeat_ms * self->liveness)
        return;
    if (worker)
        s_worker_delete (self, worker, true);
    worker = s_worker_create (self, sender, identity, &ready);
    if (worker) {
        worker->expires = zclock_mono () + (int64_t) self->heartbeat_ms * self->liveness;
        s_dispatch (self, worker->service);
    }
}

static void
s_worker_reply (bus_broker_t *self, worker_t *worker, zmsg_t *msg)
{
    zframe_t *client = zmsg_pop (msg), *reqid = zmsg_pop (msg);
    //  An empty body is a valid reply: a list with no items.
    if (client && reqid && zframe_size (client) <= 255 && zframe_size (reqid) <= BZ_REQID_MAX) {
        char key [KEY_MAX];
        s_request_key (key, client, reqid);
        request_t *request = (request_t *) zhashx_lookup (worker->inflight, key);
        //  A reply we no longer expect (requeued elsewhere, or forged) is dropped.
        if (request) {
            s_reply_client (self, client, worker->service->name, reqid, &msg);
            zhashx_delete (worker->inflight, key);
        }
    }
    zframe_destroy (&client);
    zframe_destroy (&reqid);
    zmsg_destroy (&msg);
    s_dispatch (self, worker->service);
}

//  A heartbeat may carry WORKER{count=epoch}: the epoch a leader announces.
static void
s_worker_heartbeat (bus_broker_t *self, worker_t *worker, zmsg_t *msg)
{
    zframe_t *frame = zmsg_first (msg);
    bz_msg_t info;
    char error [128];
    if (frame && bz_msg_decode_frame (&info, frame, error, sizeof error) == BZ_MSG_WORKER
    &&  info.count != worker->epoch) {
        worker->epoch = info.count;
        s_check_leader (self, worker->service);
    }
}

static void
s_worker_message (bus_broker_t *self, zframe_t *sender, const char *command, zmsg_t *msg)
{
    char identity [2 * 255 + 1];
    s_hex (identity, zframe_data (sender), zframe_size (sender));
    worker_t *worker = (worker_t *) zhashx_lookup (self->workers, identity);
    if (worker)
        worker->expires = zclock_mono () + (int64_t) self->heartbeat_ms * self->liveness;
    if (streq (command, BZ_READY))
        s_worker_ready (self, sender, identity, worker, msg);
    else
    if (streq (command, BZ_REPLY) && worker) {
        s_worker_reply (self, worker, msg);
        msg = NULL;
    }
    else
    if (streq (command, BZ_DISCONNECT)) {
        if (worker)
            s_worker_delete (self, worker, true);
    }
    else
    if (streq (command, BZ_HEARTBEAT) && worker)
        s_worker_heartbeat (self, worker, msg);
    else
    if (streq (command, BZ_METRICS) && worker)
        s_worker_metrics (self, worker, &msg);
    else
    if (streq (command, BZ_HEARTBEAT) || streq (command, BZ_REPLY)) {
        if (!worker) {                  //  it thinks it is registered: we restarted
            worker_t stranger = { .address = sender };
            s_send_worker (self, &stranger, BZ_DISCONNECT, NULL);
        }
    }
    else
        zsys_warning ("bus: dropped an unknown worker command");
    zmsg_destroy (&msg);
}

static void
s_handle (bus_broker_t *self, zmsg_t *msg)
{
    zframe_t *sender = zmsg_pop (msg);
    bz_envelope_t envelope;
    if (!sender || zframe_size (sender) > 255 || bz_bus_unwrap (msg, &envelope)
    ||  zmsg_size (msg) > FRAMES_MAX) {
        zsys_warning ("bus: dropped a malformed message");
        bz_metrics_add (self->metrics, self->dropped_id, 1);
    }
    else
    if (envelope.client)
        s_client_request (self, sender, &envelope, msg);
    else {
        s_worker_message (self, sender, envelope.command, msg);
        msg = NULL;
    }
    zframe_destroy (&sender);
    zmsg_destroy (&msg);
}

//  Drops services with no worker and nothing queued, so requests for made-up names
//  cannot fill the table and lock real services out (found by bazaar-wirefuzz).
static void
s_forget_idle_services (bus_broker_t *self)
{
    zlistx_t *idle = zlistx_new ();
    for (service_t *s = (service_t *) zhashx_first (self->services); s;
         s = (service_t *) zhashx_next (self->services))
        if (zlistx_size (s->workers) == 0 && zlistx_size (s->queue) == 0)
            zlistx_add_end (idle, s);
    for (service_t *s = (service_t *) zlistx_first (idle); s; s = (service_t *) zlistx_next (idle))
        zhashx_delete (self->services, s->name);
    zlistx_destroy (&idle);
}

//  Heartbeats, dead workers, requests that waited too long, statistics.
static void
s_housekeeping (bus_broker_t *self)
{
    int64_t now = zclock_mono ();
    zlistx_t *dead = zlistx_new ();
    for (worker_t *w = (worker_t *) zhashx_first (self->workers); w;
         w = (worker_t *) zhashx_next (self->workers)) {
        if (now >= w->expires)
            zlistx_add_end (dead, w);
        else
            s_heartbeat (self, w);
    }
    for (worker_t *w = (worker_t *) zlistx_first (dead); w; w = (worker_t *) zlistx_next (dead))
        s_worker_delete (self, w, true);
    zlistx_destroy (&dead);

    bool stats = bz_timer_fire (&self->stats, now);
    for (service_t *s = (service_t *) zhashx_first (self->services); s;
         s = (service_t *) zhashx_next (self->services)) {
        //  Collect first: deleting the node under the list's cursor breaks zlistx_next.
        zlistx_t *expired = zlistx_new ();
        for (request_t *r = (request_t *) zlistx_first (s->queue); r;
             r = (request_t *) zlistx_next (s->queue))
            if (now >= r->expires)
                zlistx_add_end (expired, r);
        for (request_t *r = (request_t *) zlistx_first (expired); r;
             r = (request_t *) zlistx_next (expired)) {
            s_reply_error (self, r, s->name, 503, "no live worker for this service");
            zlistx_delete (s->queue, zlistx_find (s->queue, r));
        }
        zlistx_destroy (&expired);
        if (stats)
            s_publish (self, "stats", s->name, 0, (int64_t) s->requests);
    }
    s_forget_idle_services (self);
    s_publish_heartbeat (self);
}

bus_broker_t *
bus_broker_new (bz_config_t *config)
{
    assert (config);
    bus_broker_t *self = (bus_broker_t *) zmalloc (sizeof (bus_broker_t));
    self->heartbeat_ms = (int) bz_config_int (config, "heartbeat_ms");
    self->liveness = (int) bz_config_int (config, "liveness");
    self->queue_wait_ms = (int) bz_config_int (config, "queue_wait_ms");
    self->queue_max = (int) bz_config_int (config, "queue_max");
    self->max_credit = (int) bz_config_int (config, "worker_credit");
    bz_timer_init (&self->housekeeping, self->heartbeat_ms, zclock_mono ());
    bz_timer_init (&self->stats, 1000, zclock_mono ());
    s_metrics_declare (self);
    self->services = zhashx_new ();
    zhashx_set_destructor (self->services, (zhashx_destructor_fn *) s_service_destroy);
    self->workers = zhashx_new ();
    zhashx_set_destructor (self->workers, (zhashx_destructor_fn *) s_worker_free);
    self->router = zsock_new (ZMQ_ROUTER);
    self->monitor = zsock_new (ZMQ_XPUB);
    if (self->router && self->monitor) {
        zsock_set_router_mandatory (self->router, 1);
        //  Mandatory routing makes a send to a peer at its high-water mark block; the
        //  broker must never wait on one peer, so such a send fails and is dropped.
        zsock_set_sndtimeo (self->router, 0);
        zsock_set_sndhwm (self->router, BZ_HWM);
        zsock_set_rcvhwm (self->router, BZ_HWM);
        zsock_set_maxmsgsize (self->router, (int) bz_config_int (config, "max_frame"));
        zsock_set_linger (self->router, 0);
        zsock_set_xpub_verbose (self->monitor, 1);
        //  The frames of a leader or state event must not be dropped under a burst
        zsock_set_sndhwm (self->monitor, 10000);
    }
    bz_security_t *security = bz_security_for (config);
    if (!self->router || !self->monitor
    ||  bz_security_server (security, self->router)
    ||  bz_security_server (security, self->monitor)
    ||  zsock_bind (self->router, "%s", bz_config_bind (config, "bus")) < 0
    ||  zsock_bind (self->monitor, "%s", bz_config_bind (config, "monitor")) < 0) {
        zsys_error ("bus: cannot bind %s / %s", bz_config_bind (config, "bus"),
                    bz_config_bind (config, "monitor"));
        bus_broker_destroy (&self);
    }
    if (self) {
        zuuid_t *uuid = zuuid_new ();
        snprintf (self->publisher, sizeof self->publisher, "%s", uuid? zuuid_str (uuid): "bus");
        zuuid_destroy (&uuid);
        //  One endpoint name per broker in the process (tests run several)
        char endpoint [64];
        snprintf (endpoint, sizeof endpoint, "inproc://bus-transport-%p", (void *) self);
        if (zmq_socket_monitor (zsock_resolve (self->router), endpoint, TRANSPORT_EVENTS) == 0) {
            self->transport = zsock_new (ZMQ_PAIR);
            if (self->transport && zsock_connect (self->transport, "%s", endpoint))
                zsock_destroy (&self->transport);
        }
        if (!self->transport)
            zsys_warning ("bus: no transport events on the monitor (zmq_socket_monitor failed)");
    }
    return self;
}

void
bus_broker_destroy (bus_broker_t **self_p)
{
    assert (self_p);
    bus_broker_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->workers);
    zhashx_destroy (&self->services);
    if (self->router)
        zmq_socket_monitor (zsock_resolve (self->router), NULL, 0);
    zsock_destroy (&self->transport);
    zsock_destroy (&self->router);
    bz_metrics_destroy (&self->metrics);
    zsock_destroy (&self->monitor);
    free (self);
    *self_p = NULL;
}

int
bus_broker_step (bus_broker_t *self, int timeout_ms)
{
    assert (self);
    zmq_pollitem_t items [] = {
        { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->monitor), 0, ZMQ_POLLIN, 0 },
        { self->transport? zsock_resolve (self->transport): NULL, 0, ZMQ_POLLIN, 0 },
    };
    bz_wake_t wake = bz_wake (zclock_mono (), timeout_ms);
    bz_wake_timer (&wake, &self->housekeeping);
    if (bz_loop_poll (items, self->transport? 3: 2, &wake, "bus") < 0)
        return -1;
    for (int i = 0; i < 100 && (zsock_events (self->monitor) & ZMQ_POLLIN); i++)
        s_monitor_input (self);
    for (int i = 0; self->transport && i < 100 && (zsock_events (self->transport) & ZMQ_POLLIN); i++)
        s_transport_input (self);
    //  Drain in bounded batches so housekeeping still runs under a flood.
    for (int handled = 0; handled < 10000 && (zsock_events (self->router) & ZMQ_POLLIN); handled++) {
        zmsg_t *msg = zmsg_recv (self->router);
        if (!msg)
            break;
        s_handle (self, msg);
    }
    if (bz_timer_fire (&self->housekeeping, zclock_mono ()))
        s_housekeeping (self);
    return zsys_interrupted? -1: 0;
}

int
bus_broker_run (bus_broker_t *self)
{
    assert (self);
    while (bus_broker_step (self, self->heartbeat_ms) == 0)
        ;
    return zsys_interrupted? 0: -1;
}
