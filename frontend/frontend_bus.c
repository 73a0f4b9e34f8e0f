/*  frontend_bus: the frontend's one bus client, shared by all its workers: a few DEALER
    sockets, each owned by an I/O thread, many requests in flight. Used by frontend_api.  */
#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include "bz_bus.h"
#include "bz_client.h"
#include "bz_loop.h"
#include "bz_security.h"
#include "frontend_bus.h"

//  Pause before repeating a request the bus refused with 503 (no live worker yet).
#define UNAVAILABLE_PAUSE_MS    20
//  Replies one I/O thread reads before it looks at its queue again.
#define RECV_BURST              256
//  Slots beyond bus_inflight, kept for the broker's own services (bus.workers,
//  bus.metrics): the broker answers those at once, so /health and /metrics stay quick
//  while a stalled service holds every other slot and fills the queue.
#define BROKER_SLOTS            4

//  One request, on the stack of the worker thread that waits for it. The I/O thread owns
//  it from the moment it is queued until it sets done (under the lane's lock); the
//  caller must not return before that.
typedef struct _call_t call_t;
struct _call_t {
    const char *service;
    zmsg_t *request;                //  body frames, kept for every try
    int64_t deadline;               //  zclock_mono; the whole request
    int64_t queued_at;
    zmsg_t *reply;                  //  set by the I/O thread
    frontend_bus_result_t result;
    uint64_t retries;               //  tries sent again
    bool broker;                    //  to the broker's own service: ahead of the queue
    bool done;
    pthread_cond_t wake;
    call_t *next;                   //  in the lane's queue
};

//  A request on the wire. Its id is the slot's index in the low 32 bits and a count of
//  slot uses in the high ones, so a reply finds its slot in O(1), and a reply that comes
//  after its request ended finds the id changed. Every try of a request carries the same
//  id: whichever try is answered first answers it (a service slower than retry_ms would
//  otherwise see every answer dropped as late, and every request retried to its deadline).
typedef struct {
    call_t *call;                   //  NULL when free
    uint64_t id;
    int64_t sent_at;                //  the last try
    int64_t first_at;               //  the first try on this socket
    int64_t try_deadline;
} slot_t;

typedef struct {
    frontend_bus_t *bus;
    pthread_t thread;
    bool started;
    int wakeup;                     //  eventfd: the queue went non-empty, or stop
    //  Under lock: the queue, stop, and every call's done
    pthread_mutex_t lock;
    call_t *head, *tail;
    size_t queued;
    bool stop;
    atomic_uint_fast64_t inflight;  //  for frontend_bus_load
    //  The I/O thread's own
    zsock_t *socket;
    slot_t *slots;                  //  bus_inflight, then BROKER_SLOTS
    uint32_t *free_slots;           //  a stack of free slot indexes below bus_inflight
    size_t free_count;
    uint32_t broker_free [BROKER_SLOTS];    //  and of the broker's
    size_t broker_free_count;
    uint32_t *taken;                //  s_dispatch's slots to send
    uint64_t uses;                  //  slots taken so far: makes each id unique
    int64_t heard_at;               //  when the socket last delivered anything
    int64_t next_expiry;            //  no slot's try ends before this
    bool unsendable;                //  a send failed: the socket has no connection left
} lane_t;

struct _frontend_bus_t {
    frontend_metrics_t *metrics;    //  not owned
    bz_security_t *security;        //  the process's
    char *endpoint;
    int retry_ms, max_frame;
    size_t inflight_max, queue_max;
    size_t slot_count;              //  inflight_max + BROKER_SLOTS
    int queue_wait_ms;
    size_t lane_count;
    lane_t *lanes;
    atomic_uint next_lane;
};

static void *s_lane_run (void *argument);

//  Sets a lane up and starts its thread; -1 on failure (the lane is then torn down by
//  s_lane_stop like any other).
static int
s_lane_start (frontend_bus_t *bus, lane_t *lane)
{
    lane->bus = bus;
    lane->wakeup = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init (&lane->lock, NULL);
    atomic_init (&lane->inflight, 0);
    lane->slots = (slot_t *) calloc (bus->slot_count, sizeof (slot_t));
    lane->free_slots = (uint32_t *) calloc (bus->inflight_max, sizeof (uint32_t));
    lane->taken = (uint32_t *) calloc (bus->slot_count, sizeof (uint32_t));
    lane->socket = bz_client_dealer (bus->endpoint, bus->security, bus->max_frame);
    if (lane->wakeup < 0 || !lane->slots || !lane->free_slots || !lane->taken || !lane->socket)
        return -1;
    zsock_set_rcvtimeo (lane->socket, 0);
    for (size_t i = 0; i < bus->inflight_max; i++)
        lane->free_slots [i] = (uint32_t) (bus->inflight_max - 1 - i);
    lane->free_count = bus->inflight_max;
    for (size_t i = 0; i < BROKER_SLOTS; i++)
        lane->broker_free [i] = (uint32_t) (bus->inflight_max + i);
    lane->broker_free_count = BROKER_SLOTS;
    lane->next_expiry = INT64_MAX;
    //  The socket moves to the lane's thread: pthread_create is the barrier it needs
    if (pthread_create (&lane->thread, NULL, s_lane_run, lane))
        return -1;
    lane->started = true;
    return 0;
}

static void
s_wake (lane_t *lane)
{
    uint64_t one = 1;
    if (write (lane->wakeup, &one, sizeof one) < 0 && errno != EAGAIN)
        zsys_warning ("frontend: cannot wake a bus thread: %s", strerror (errno));
}

static void
s_lane_stop (lane_t *lane)
{
    if (lane->started) {
        pthread_mutex_lock (&lane->lock);
        lane->stop = true;
        pthread_mutex_unlock (&lane->lock);
        s_wake (lane);
        pthread_join (lane->thread, NULL);
    }
    zsock_destroy (&lane->socket);
    if (lane->wakeup >= 0)
        close (lane->wakeup);
    free (lane->slots);
    free (lane->free_slots);
    free (lane->taken);
    pthread_mutex_destroy (&lane->lock);
}

frontend_bus_t *
frontend_bus_new (bz_config_t *config, frontend_metrics_t *metrics)
{
    assert (config && metrics);
    frontend_bus_t *self = (frontend_bus_t *) zmalloc (sizeof (frontend_bus_t));
    self->metrics = metrics;
    self->security = bz_security_for (config);
    self->endpoint = strdup (bz_config_endpoint (config, "bus"));
    //  Every value is in the range bz_config checked at start (bus/lib/bz_config.c).
    self->retry_ms = (int) bz_config_int (config, "retry_ms");
    self->max_frame = (int) bz_config_int (config, "max_frame");
    self->lane_count = (size_t) bz_config_int (config, "bus_sockets");
    self->inflight_max = (size_t) bz_config_int (config, "bus_inflight");
    self->slot_count = self->inflight_max + BROKER_SLOTS;
    self->queue_max = (size_t) bz_config_int (config, "bus_queue_max");
    self->queue_wait_ms = (int) bz_config_int (config, "bus_queue_wait_ms");
    atomic_init (&self->next_lane, 0);
    self->lanes = (lane_t *) calloc (self->lane_count, sizeof (lane_t));
    if (!self->security || !self->endpoint || !self->lanes) {
        frontend_bus_destroy (&self);
        return NULL;
    }
    for (size_t i = 0; i < self->lane_count; i++)
        self->lanes [i].wakeup = -1;
    for (size_t i = 0; i < self->lane_count; i++)
        if (s_lane_start (self, &self->lanes [i])) {
            zsys_error ("frontend: cannot start bus socket %zu", i);
            frontend_bus_destroy (&self);
            return NULL;
        }
    return self;
}

void
frontend_bus_destroy (frontend_bus_t **self_p)
{
    assert (self_p);
    frontend_bus_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->lanes && i < self->lane_count; i++)
        s_lane_stop (&self->lanes [i]);
    free (self->lanes);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

//  Ends a call: the caller wakes and owns reply. Under the lane's lock.
static void
s_finish (call_t *call, frontend_bus_result_t result, zmsg_t *reply)
{
    call->result = result;
    call->reply = reply;
    call->done = true;
    pthread_cond_signal (&call->wake);
}

static void
s_finish_locked (lane_t *lane, call_t *call, frontend_bus_result_t result, zmsg_t *reply)
{
    pthread_mutex_lock (&lane->lock);
    s_finish (call, result, reply);
    pthread_mutex_unlock (&lane->lock);
}

//  Sends one try of the call in slot, under the slot's id. A send that fails is a lost try:
//  its deadline brings the retry.
static void
s_send_try (lane_t *lane, uint32_t index, int64_t now)
{
    slot_t *slot = &lane->slots [index];
    slot->sent_at = now;
    slot->try_deadline = now + lane->bus->retry_ms;
    if (slot->try_deadline > slot->call->deadline)
        slot->try_deadline = slot->call->deadline;
    if (slot->try_deadline < lane->next_expiry)
        lane->next_expiry = slot->try_deadline;
    zmsg_t *msg = zmsg_dup (slot->call->request);
    if (!msg || bz_bus_wrap_client (msg, slot->call->service, &slot->id, sizeof slot->id))
        zmsg_destroy (&msg);
    else
    if (zmsg_send (&msg, lane->socket)) {
        //  A connected DEALER queues while its peer is away; a send fails only when
        //  libzmq gave the connection up (bus/lib/bz_socket.h): s_expire reopens at once.
        zmsg_destroy (&msg);
        lane->unsendable = true;
    }
}

static void
s_release (lane_t *lane, uint32_t index)
{
    lane->slots [index].call = NULL;
    if (index < lane->bus->inflight_max)
        lane->free_slots [lane->free_count++] = index;
    else
        lane->broker_free [lane->broker_free_count++] = index;
    atomic_fetch_sub_explicit (&lane->inflight, 1, memory_order_relaxed);
}

//  A free slot for call, taken, or UINT32_MAX: a call to the broker takes one of its
//  own slots first.
static uint32_t
s_take_slot (lane_t *lane, const call_t *call)
{
    if (call->broker && lane->broker_free_count)
        return lane->broker_free [--lane->broker_free_count];
    if (lane->free_count)
        return lane->free_slots [--lane->free_count];
    return UINT32_MAX;
}

//  Refuses the queued calls that waited too long or whose deadline passed in the queue
//  (oldest first: the queue is in arrival order, the broker's calls ahead), whether or
//  not a slot is free; and moves queued calls onto the wire while slots are free.
static void
s_dispatch (lane_t *lane, int64_t now)
{
    frontend_bus_t *bus = lane->bus;
    size_t taken = 0;
    pthread_mutex_lock (&lane->lock);
    while (lane->head) {
        call_t *call = lane->head;
        bool waited = now - call->queued_at > bus->queue_wait_ms;
        bool late = now >= call->deadline;
        uint32_t index = waited || late? UINT32_MAX: s_take_slot (lane, call);
        if (!waited && !late && index == UINT32_MAX)
            break;
        lane->head = call->next;
        if (!lane->head)
            lane->tail = NULL;
        lane->queued--;
        call->next = NULL;
        if (waited)
            s_finish (call, FRONTEND_BUS_QUEUE_WAIT, NULL);
        else
        if (late)
            s_finish (call, FRONTEND_BUS_TIMEOUT, NULL);
        else {
            lane->slots [index].call = call;
            lane->slots [index].id = (++lane->uses << 32) | index;
            lane->slots [index].first_at = now;
            lane->taken [taken++] = index;
        }
    }
    pthread_mutex_unlock (&lane->lock);
    for (size_t at = 0; at < taken; at++) {
        atomic_fetch_add_explicit (&lane->inflight, 1, memory_order_relaxed);
        s_send_try (lane, lane->taken [at], now);
    }
}

//  Closes and reopens the socket (ZeroMQ's reconnect may be stuck on a dead peer, and a
//  fresh socket drops stale replies), then resends every call on the wire.
static void
s_reopen (lane_t *lane, int64_t now)
{
    frontend_bus_t *bus = lane->bus;
    zsock_destroy (&lane->socket);
    lane->unsendable = false;
    lane->socket = bz_client_dealer (bus->endpoint, bus->security, bus->max_frame);
    if (lane->socket)
        zsock_set_rcvtimeo (lane->socket, 0);
    else
        zsys_error ("frontend: cannot reopen a bus socket; trying again in %d ms", bus->retry_ms);
    lane->heard_at = now;
    for (size_t index = 0; index < bus->slot_count; index++)
        if (lane->slots [index].call) {
            lane->slots [index].call->retries++;
            lane->slots [index].first_at = now;
            if (lane->socket)
                s_send_try (lane, (uint32_t) index, now);
            else
                lane->slots [index].try_deadline = now + bus->retry_ms;
        }
}

//  Handles the tries whose time is up: a call past its deadline ends TIMEOUT; any other
//  is sent again. When the socket heard nothing at all through two tries of one request,
//  it is reopened (its connection may be dead or its reconnect stuck) and every request
//  on it resent; one silent try alone may just be a slow service, whose answer to the
//  first try a reopened socket would throw away. A socket a send failed on is reopened
//  at once: it has no connection left to wait for.
static void
s_expire (lane_t *lane, int64_t now)
{
    frontend_bus_t *bus = lane->bus;
    if (now < lane->next_expiry && !lane->unsendable)
        return;
    lane->next_expiry = INT64_MAX;
    bool reopen = lane->unsendable;
    for (size_t index = 0; index < bus->slot_count; index++) {
        slot_t *slot = &lane->slots [index];
        if (!slot->call)
            continue;
        if (slot->try_deadline > now) {
            if (slot->try_deadline < lane->next_expiry)
                lane->next_expiry = slot->try_deadline;
            continue;
        }
        if (now >= slot->call->deadline) {
            call_t *call = slot->call;
            s_release (lane, (uint32_t) index);
            s_finish_locked (lane, call, FRONTEND_BUS_TIMEOUT, NULL);
        }
        else
        if (!lane->socket
        ||  (lane->heard_at <= slot->first_at && now - slot->first_at >= 2 * (int64_t) bus->retry_ms))
            reopen = true;
        else {
            slot->call->retries++;
            s_send_try (lane, (uint32_t) index, now);
        }
    }
    if (reopen)
        s_reopen (lane, now);
}

//  Reads the replies waiting on the socket and hands each to its call.
static void
s_receive (lane_t *lane, int64_t now)
{
    for (int count = 0; count < RECV_BURST && lane->socket; count++) {
        zmsg_t *msg = zmsg_recv (lane->socket);
        if (!msg)
            break;
        lane->heard_at = now;
        bz_envelope_t envelope;
        uint64_t id = 0;
        uint32_t index = 0;
        bool valid = bz_bus_unwrap (msg, &envelope) == 0 && envelope.client
                  && envelope.reqid_size == sizeof id;
        if (valid) {
            memcpy (&id, envelope.reqid, sizeof id);
            index = (uint32_t) (id & 0xFFFFFFFFu);
            valid = index < lane->bus->slot_count && lane->slots [index].call
                 && lane->slots [index].id == id
                 && streq (envelope.service, lane->slots [index].call->service);
        }
        if (!valid) {                   //  a reply to a request already ended, or garbage
            zmsg_destroy (&msg);
            continue;
        }
        call_t *call = lane->slots [index].call;
        s_release (lane, index);
        s_finish_locked (lane, call, FRONTEND_BUS_REPLIED, msg);
    }
}

//  When the lane wakes: when the next try ends, or the queue's head would wait too
//  long (only while every slot is taken; otherwise the queue is empty); at once while
//  a send failed; not before input otherwise.
static bz_wake_t
s_wake_at (lane_t *lane, int64_t now)
{
    bz_wake_t wake = bz_wake (now, -1);
    bz_wake_by (&wake, lane->unsendable? now: lane->next_expiry);
    pthread_mutex_lock (&lane->lock);
    if (lane->head) {
        bz_wake_by (&wake, lane->head->queued_at + lane->bus->queue_wait_ms + 1);
        bz_wake_by (&wake, lane->head->deadline);
    }
    pthread_mutex_unlock (&lane->lock);
    return wake;
}

//  Ends every call, queued or on the wire, when the lane stops.
static void
s_fail_all (lane_t *lane)
{
    for (size_t index = 0; index < lane->bus->slot_count; index++)
        if (lane->slots [index].call) {
            call_t *call = lane->slots [index].call;
            s_release (lane, (uint32_t) index);
            s_finish_locked (lane, call, FRONTEND_BUS_FAILED, NULL);
        }
    pthread_mutex_lock (&lane->lock);
    while (lane->head) {
        call_t *call = lane->head;
        lane->head = call->next;
        s_finish (call, FRONTEND_BUS_FAILED, NULL);
    }
    lane->tail = NULL;
    lane->queued = 0;
    pthread_mutex_unlock (&lane->lock);
}

static void *
s_lane_run (void *argument)
{
    lane_t *lane = (lane_t *) argument;
    lane->heard_at = zclock_mono ();
    while (true) {
        pthread_mutex_lock (&lane->lock);
        bool stop = lane->stop;
        pthread_mutex_unlock (&lane->lock);
        if (stop)
            break;
        zmq_pollitem_t items [2] = {
            { NULL, lane->wakeup, ZMQ_POLLIN, 0 },
            { lane->socket? zsock_resolve (lane->socket): NULL, 0, ZMQ_POLLIN, 0 }
        };
        //  A failed poll (logged) leaves no input: the lane goes on, its calls end
        //  by their deadlines; interrupted, it stops when the frontend stops it.
        bz_wake_t wake = s_wake_at (lane, zclock_mono ());
        bz_loop_poll (items, lane->socket? 2: 1, &wake, "frontend bus");
        int64_t now = zclock_mono ();
        if (items [0].revents & ZMQ_POLLIN) {
            uint64_t count;
            //  Read before the queue: a call queued after this read wakes us again
            if (read (lane->wakeup, &count, sizeof count) < 0 && errno != EAGAIN)
                zsys_warning ("frontend: bus wakeup read: %s", strerror (errno));
        }
        if (lane->socket && (items [1].revents & ZMQ_POLLIN))
            s_receive (lane, now);
        s_expire (lane, now);
        s_dispatch (lane, now);
    }
    s_fail_all (lane);
    return NULL;
}

//  Queues call on a lane, or ends it at once when the lane refuses it.
static void
s_submit (frontend_bus_t *self, lane_t *lane, call_t *call)
{
    bool wake = false;
    pthread_mutex_lock (&lane->lock);
    if (lane->stop)
        s_finish (call, FRONTEND_BUS_FAILED, NULL);
    else
    if (call->broker) {
        //  Ahead of every service's call: it takes a slot of its own (BROKER_SLOTS)
        wake = true;
        call->next = lane->head;
        lane->head = call;
        if (!lane->tail)
            lane->tail = call;
        lane->queued++;
    }
    else
    if (lane->queued >= self->queue_max)
        s_finish (call, FRONTEND_BUS_QUEUE_FULL, NULL);
    else
    if (lane->head && call->queued_at - lane->head->queued_at > self->queue_wait_ms)
        //  The head waited longer than the bound already: so would this one
        s_finish (call, FRONTEND_BUS_QUEUE_WAIT, NULL);
    else {
        wake = !lane->head;
        if (lane->tail)
            lane->tail->next = call;
        else
            lane->head = call;
        lane->tail = call;
        lane->queued++;
    }
    pthread_mutex_unlock (&lane->lock);
    if (wake)
        s_wake (lane);
}

zmsg_t *
frontend_bus_request (frontend_bus_t *self, const char *service, zmsg_t **request_p,
                      int timeout_ms, frontend_bus_result_t *result)
{
    assert (self && service && request_p && *request_p && result);
    call_t call;
    memset (&call, 0, sizeof call);
    call.service = service;
    call.broker = streq (service, BZ_SERVICE_WORKERS) || streq (service, BZ_SERVICE_METRICS);
    call.request = *request_p;
    *request_p = NULL;
    call.queued_at = zclock_mono ();
    call.deadline = call.queued_at + (timeout_ms > 0? timeout_ms: 0);
    pthread_cond_init (&call.wake, NULL);
    unsigned turn = atomic_fetch_add_explicit (&self->next_lane, 1, memory_order_relaxed);
    lane_t *lane = &self->lanes [turn % self->lane_count];
    if (strlen (service) > BZ_SERVICE_MAX)
        call.result = FRONTEND_BUS_FAILED;
    else {
        s_submit (self, lane, &call);
        pthread_mutex_lock (&lane->lock);
        while (!call.done)
            pthread_cond_wait (&call.wake, &lane->lock);
        pthread_mutex_unlock (&lane->lock);
    }
    pthread_cond_destroy (&call.wake);
    zmsg_destroy (&call.request);
    frontend_metrics_bus_retries (self->metrics, call.retries);
    *result = call.result;
    return call.reply;
}

//  Marks first as the frontend's own refusal, for frontend_bus_overloaded.
static void
s_overloaded (frontend_bus_t *self, frontend_bus_result_t result, bz_msg_t *first)
{
    frontend_metrics_overloaded (self->metrics, result == FRONTEND_BUS_QUEUE_FULL?
                                 FRONTEND_SHED_QUEUE_FULL: FRONTEND_SHED_QUEUE_WAIT);
    bz_msg_init (first, BZ_MSG_ERROR);
    first->code = 503;
}

zmsg_t *
frontend_bus_call (frontend_bus_t *self, const char *service, const bz_msg_t *request,
                   int timeout_ms, bool retry_unavailable, bz_msg_t *first)
{
    assert (self && service && request && first);
    int64_t deadline = zclock_mono () + timeout_ms;
    int64_t left = timeout_ms;
    bz_msg_init (first, BZ_MSG_NONE);
    while (left > 0) {
        zmsg_t *message = zmsg_new ();
        zframe_t *frame = bz_msg_encode (request);
        if (!message || !frame || zmsg_append (message, &frame)) {
            zframe_destroy (&frame);
            zmsg_destroy (&message);
            return NULL;
        }
        frontend_bus_result_t result;
        zmsg_t *reply = frontend_bus_request (self, service, &message, (int) left, &result);
        if (result == FRONTEND_BUS_QUEUE_FULL || result == FRONTEND_BUS_QUEUE_WAIT) {
            s_overloaded (self, result, first);
            return NULL;
        }
        if (!reply)
            break;
        char error [128];
        if (zmsg_size (reply) == 0)
            return reply;
        if (bz_msg_decode_frame (first, zmsg_first (reply), error, sizeof error) == BZ_MSG_NONE) {
            zsys_warning ("frontend: malformed reply from %s: %s", service, error);
            frontend_metrics_bus_bad_reply (self->metrics);
            return reply;
        }
        left = deadline - zclock_mono ();
        if (!retry_unavailable || first->id != BZ_MSG_ERROR || first->code != 503
        ||  zmsg_size (reply) != 1 || left <= UNAVAILABLE_PAUSE_MS)
            return reply;
        zmsg_destroy (&reply);
        frontend_metrics_bus_unavailable (self->metrics);
        zclock_sleep (UNAVAILABLE_PAUSE_MS);
        left = deadline - zclock_mono ();
    }
    frontend_metrics_bus_timeout (self->metrics);
    bz_msg_init (first, BZ_MSG_NONE);
    return NULL;
}

bool
frontend_bus_overloaded (const bz_msg_t *first)
{
    assert (first);
    return first->id == BZ_MSG_ERROR && first->code == 503;
}

void
frontend_bus_load (frontend_bus_t *self, uint64_t *inflight, uint64_t *queued)
{
    assert (self && inflight && queued);
    *inflight = *queued = 0;
    for (size_t i = 0; i < self->lane_count; i++) {
        lane_t *lane = &self->lanes [i];
        *inflight += atomic_load_explicit (&lane->inflight, memory_order_relaxed);
        pthread_mutex_lock (&lane->lock);
        *queued += lane->queued;
        pthread_mutex_unlock (&lane->lock);
    }
}
