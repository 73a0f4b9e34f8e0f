/*  catalog_server: serves the catalog section of schemas/PROTOCOL.md over the bus and
    publishes INVALIDATE / HEARTBEAT on the catalog PUB stream. Single-threaded.         */
#include "catalog_server.h"
#include "bz_worker.h"
#include "bz_loop.h"
#include "bz_msg.h"
#include "bz_crash.h"
#include "bz_security.h"

struct _catalog_server_t {
    catalog_store_t *store;             //  not owned
    bz_worker_t *worker;
    zsock_t *publisher;                 //  PUB: invalidations and heartbeats
    char publisher_id [41];
    int64_t seq;                        //  of the next published message
    int heartbeat_ms;
    bz_msg_t *items;                    //  CATALOG_BATCH_MAX, a batch's ORDER frames decoded
    catalog_order_t *orders;            //  CATALOG_BATCH_MAX, reused by every batch
    catalog_result_t *results;          //  CATALOG_GROUP_MAX x CATALOG_BATCH_MAX: a group's
    size_t pending;                     //  results of committed batches not yet published
    size_t grouped;                     //  results of the open group's batches, after pending
    catalog_trade_t *trades;            //  CATALOG_SINCE_MAX, reused by every SINCE
    bz_metrics_t *metrics;              //  the worker's: sent to the broker, in /metrics
    int requests_id, errors_id, batches_id, orders_id, commit_id;
    int64_t invalidations;              //  INVALIDATEs published (or dropped) so far
    int64_t test_drop_inv;              //  TEST ONLY: see s_test_drop_inv
};

//  TEST ONLY, never set in production: BAZAAR_TEST_DROP_INV=N makes this process skip
//  sending its Nth INVALIDATE (counting from 1) while still consuming its sequence
//  number, so the end-to-end tests can prove that subscribers detect a lost message by
//  the gap (tests/e2e/cache.bats). Unset, empty or not a positive number: 0, no effect.
static int64_t
s_test_drop_inv (void)
{
    const char *value = getenv ("BAZAAR_TEST_DROP_INV");
    char *end = NULL;
    long long nth = value? strtoll (value, &end, 10): 0;
    return (value && *value && end && *end == 0 && nth > 0)? (int64_t) nth: 0;
}

//  The catalog's counters, in the worker's registry (bz_worker sends it to the bus).
static void
s_declare_metrics (catalog_server_t *self)
{
    static const double seconds [] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                       0.025, 0.05, 0.1, 0.25, 1 };
    self->metrics = bz_worker_metrics (self->worker);
    self->requests_id = bz_metrics_counter (self->metrics, "bazaar_catalog_requests_total",
        "Requests the catalog answered (LOOKUP, LIST, BATCH, SINCE).");
    self->errors_id = bz_metrics_counter (self->metrics, "bazaar_catalog_errors_total",
        "Requests the catalog answered with an ERROR.");
    self->batches_id = bz_metrics_counter (self->metrics, "bazaar_catalog_batches_total",
        "Batches of orders the catalog was asked to apply.");
    self->orders_id = bz_metrics_counter (self->metrics, "bazaar_catalog_batch_orders_total",
        "Orders in those batches.");
    self->commit_id = bz_metrics_histogram (self->metrics, "bazaar_catalog_commit_seconds",
        "Time to apply a group of batches in one SQLite transaction, fsync included.",
        seconds, sizeof seconds / sizeof seconds [0]);
}

static int
s_bind_publisher (catalog_server_t *self, bz_config_t *config)
{
    const char *endpoint = bz_config_bind (config, "catalog");
    self->publisher = zsock_new (ZMQ_PUB);
    if (!self->publisher)
        return -1;
    //  A burst of invalidations must not be dropped at the default HWM of 1000.
    zsock_set_sndhwm (self->publisher, BZ_HWM);
    if (bz_security_server (bz_security_for (config), self->publisher))
        return -1;
    if (zsock_bind (self->publisher, "%s", endpoint) < 0) {
        zsys_error ("catalog: cannot bind PUB at %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

catalog_server_t *
catalog_server_new (bz_config_t *config, catalog_store_t *store)
{
    assert (config && store);
    catalog_server_t *self = (catalog_server_t *) zmalloc (sizeof (catalog_server_t));
    self->store = store;
    self->heartbeat_ms = (int) bz_config_int (config, "heartbeat_ms");
    self->test_drop_inv = s_test_drop_inv ();
    if (self->test_drop_inv)
        zsys_warning ("catalog: TEST ONLY: INVALIDATE number %" PRId64 " will not be sent",
                      self->test_drop_inv);
    self->items = (bz_msg_t *) zmalloc (CATALOG_BATCH_MAX * sizeof (bz_msg_t));
    self->orders = (catalog_order_t *) zmalloc (CATALOG_BATCH_MAX * sizeof (catalog_order_t));
    self->results = (catalog_result_t *) zmalloc (CATALOG_GROUP_MAX * CATALOG_BATCH_MAX
                                                  * sizeof (catalog_result_t));
    self->trades = (catalog_trade_t *) zmalloc (CATALOG_SINCE_MAX * sizeof (catalog_trade_t));
    zuuid_t *uuid = zuuid_new ();
    snprintf (self->publisher_id, sizeof self->publisher_id, "%s", zuuid_str_canonical (uuid));
    zuuid_destroy (&uuid);
    if (s_bind_publisher (self, config)
    ||  !(self->worker = bz_worker_new (config, "catalog", 0))) {
        zsys_error ("catalog: cannot start the service");
        catalog_server_destroy (&self);
    }
    else
        s_declare_metrics (self);
    return self;
}

void
catalog_server_destroy (catalog_server_t **self_p)
{
    assert (self_p);
    catalog_server_t *self = *self_p;
    if (!self)
        return;
    bz_worker_destroy (&self->worker);
    zsock_destroy (&self->publisher);
    free (self->items);
    free (self->orders);
    free (self->results);
    free (self->trades);
    free (self);
    *self_p = NULL;
}

const char *
catalog_server_publisher (catalog_server_t *self)
{
    assert (self);
    return self->publisher_id;
}

//  --------------------------------------------------------------------------
//  The PUB stream: one seq counter over invalidations and heartbeats.

static void
s_publish (catalog_server_t *self, const char *topic, bz_msg_t *msg)
{
    bz_msg_set_str (msg->publisher, sizeof msg->publisher, self->publisher_id);
    msg->seq = self->seq++;
    zmsg_t *out = zmsg_new ();
    zmsg_addstr (out, topic);
    bz_msg_append (out, msg);
    if (zmsg_send (&out, self->publisher))
        zmsg_destroy (&out);
}

static void
s_publish_heartbeat (catalog_server_t *self)
{
    bz_msg_t msg;
    bz_msg_init (&msg, BZ_MSG_HEARTBEAT);
    s_publish (self, "hb", &msg);
}

void
catalog_server_publish (catalog_server_t *self)
{
    assert (self);
    for (size_t i = 0; i < self->pending; i++) {
        const catalog_result_t *result = &self->results [i];
        if (result->code != 200 || result->known)
            continue;          //  a rejected order, or one traded before: no change
        bz_msg_t msg;
        bz_msg_init (&msg, BZ_MSG_INVALIDATE);
        bz_msg_set_str (msg.name, sizeof msg.name, result->stock.name);
        msg.price = result->stock.price;
        msg.quantity = result->stock.quantity;
        msg.volume = result->stock.volume;
        if (++self->invalidations == self->test_drop_inv) {
            zsys_warning ("catalog: TEST ONLY: INVALIDATE seq %" PRId64 " not sent", self->seq);
            self->seq++;
            continue;
        }
        s_publish (self, "inv", &msg);
    }
    self->pending = 0;
}

//  --------------------------------------------------------------------------
//  Requests: each handler appends its reply frames to reply.

static void
s_append_stock (zmsg_t *reply, const catalog_stock_t *stock)
{
    bz_msg_t msg;
    bz_msg_init (&msg, BZ_MSG_STOCK);
    bz_msg_set_str (msg.name, sizeof msg.name, stock->name);
    msg.price = stock->price;
    msg.quantity = stock->quantity;
    msg.volume = stock->volume;
    bz_msg_append (reply, &msg);
}

static void
s_handle_lookup (catalog_server_t *self, const bz_msg_t *request, zmsg_t *reply)
{
    const catalog_stock_t *stock = catalog_store_lookup (self->store, request->name);
    if (stock)
        s_append_stock (reply, stock);
    else
        zmsg_append (reply, &(zframe_t *) { bz_msg_error (404, "unknown stock") });
}

static void
s_handle_list (catalog_server_t *self, zmsg_t *reply)
{
    size_t count = 0;
    const catalog_stock_t *stocks = catalog_store_list (self->store, &count);
    for (size_t i = 0; i < count; i++)
        s_append_stock (reply, &stocks [i]);
}

static void
s_handle_since (catalog_server_t *self, const bz_msg_t *request, zmsg_t *reply)
{
    if (request->count > CATALOG_SINCE_MAX) {
        zmsg_append (reply, &(zframe_t *) {
            bz_msg_error (400, "SINCE count must be at most %d", CATALOG_SINCE_MAX) });
        return;
    }
    //  No trade from number on is an empty reply, which the bus carries.
    int count = catalog_store_since (self->store, request->number,
                                     self->trades, (size_t) request->count);
    if (count < 0)
        zmsg_append (reply, &(zframe_t *) { bz_msg_error (503, "catalog storage error") });
    for (int i = 0; i < count; i++) {
        bz_msg_t msg;
        bz_msg_init (&msg, BZ_MSG_RECORD);
        msg.number = self->trades [i].number;
        bz_msg_set_str (msg.name, sizeof msg.name, self->trades [i].name);
        bz_msg_set_str (msg.side, sizeof msg.side, self->trades [i].side);
        msg.quantity = self->trades [i].quantity;
        bz_msg_set_str (msg.key, sizeof msg.key, self->trades [i].key);
        bz_msg_append (reply, &msg);
    }
}

//  --------------------------------------------------------------------------
//  BATCH

//  Decodes the ORDER frames after the BATCH frame into self->orders. Returns NULL, or an
//  ERROR{400} frame saying which frame is wrong.
static zframe_t *
s_decode_orders (catalog_server_t *self, zmsg_t *body, size_t count)
{
    if (count > CATALOG_BATCH_MAX)
        return bz_msg_error (400, "BATCH count must be at most %d", CATALOG_BATCH_MAX);
    if (zmsg_size (body) != count + 1)
        return bz_msg_error (400, "BATCH count %zu but %zu ORDER frames",
                             count, zmsg_size (body) - 1);
    char error [160];
    if (bz_msg_decode_list (body, 1, BZ_MSG_ORDER, self->items, count, error, sizeof error) < 0)
        return bz_msg_error (400, "BATCH %s", error);
    for (size_t i = 0; i < count; i++) {
        const bz_msg_t *order = &self->items [i];
        catalog_order_t *target = &self->orders [i];
        bz_msg_set_str (target->name, sizeof target->name, order->name);
        bz_msg_set_str (target->side, sizeof target->side, order->side);
        target->quantity = order->quantity;
        bz_msg_set_str (target->key, sizeof target->key, order->key);
    }
    return NULL;
}

static void
s_append_results (catalog_server_t *self, const catalog_result_t *results, size_t count,
                  zmsg_t *reply)
{
    for (size_t i = 0; i < count; i++) {
        const catalog_result_t *result = &results [i];
        if (result->code == 200) {
            bz_msg_t msg;
            bz_msg_init (&msg, BZ_MSG_TRADED);
            msg.number = result->number;
            bz_msg_set_str (msg.key, sizeof msg.key, self->orders [i].key);
            bz_msg_append (reply, &msg);
        }
        else
            zmsg_append (reply, &(zframe_t *) {
                bz_msg_error (result->code, "%s", result->message) });
    }
}

//  A refused batch and a fence are answered with where the catalog stands, so the
//  leader can resume or learn that it was replaced: BATCH{highest epoch seen, the last
//  batch applied at it, next number, count=0}.
static void
s_append_position (catalog_server_t *self, zmsg_t *reply, bool refused)
{
    bz_msg_t msg;
    bz_msg_init (&msg, BZ_MSG_BATCH);
    msg.epoch = catalog_store_epoch (self->store);
    msg.seq = catalog_store_seq (self->store);
    msg.number = catalog_store_last_number (self->store) + 1;
    msg.count = 0;
    bz_msg_append (reply, &msg);
    if (refused)
        zsys_info ("catalog: batch refused: %s", catalog_store_error (self->store));
}

static zframe_t *
s_storage_error (catalog_server_t *self)
{
    return bz_msg_error (503, "catalog storage error: %s", catalog_store_error (self->store));
}

//  Applies a batch (count 0 only fences the epoch) inside the open group; its results
//  join the group's, and become invalidations for publish() if the group commits.
static void
s_handle_batch (catalog_server_t *self, const bz_msg_t *request, zmsg_t *body, zmsg_t *reply)
{
    size_t count = (size_t) request->count;
    zframe_t *error = s_decode_orders (self, body, count);
    if (error) {
        zmsg_append (reply, &error);
        return;
    }
    size_t used = self->pending + self->grouped;
    if (used + count > CATALOG_GROUP_MAX * CATALOG_BATCH_MAX) {
        //  Only when invalidations wait unpublished (publish not called): no room for
        //  more results, and none may be dropped. The leader retries.
        zmsg_append (reply, &(zframe_t *) {
            bz_msg_error (503, "catalog busy: invalidations not yet published") });
        return;
    }
    catalog_result_t *results = self->results + used;
    int status = catalog_store_apply_batch (self->store, request->epoch, request->seq,
                                            request->number, self->orders, count, results);
    if (self->metrics) {
        bz_metrics_add (self->metrics, self->batches_id, 1);
        bz_metrics_add (self->metrics, self->orders_id, (double) count);
    }
    if (status == CATALOG_REFUSED || (status == CATALOG_APPLIED && count == 0))
        s_append_position (self, reply, status == CATALOG_REFUSED);
    else
    if (status != CATALOG_APPLIED)
        zmsg_append (reply, &(zframe_t *) { s_storage_error (self) });
    else {
        s_append_results (self, results, count, reply);
        self->grouped += count;
    }
}

//  Counts one request and its outcome: an ERROR first frame is an error.
static void
s_count_request (catalog_server_t *self, zmsg_t *reply)
{
    bz_metrics_add (self->metrics, self->requests_id, 1);
    bz_msg_t first;
    char error [128];
    if (zmsg_size (reply) == 1
    &&  bz_msg_decode_frame (&first, zmsg_first (reply), error, sizeof error) == BZ_MSG_ERROR)
        bz_metrics_add (self->metrics, self->errors_id, 1);
}

//  The request's first frame, decoded into *request (BZ_MSG_NONE with the reason in
//  error when it is not a message).
static bz_msg_id_t
s_decode_request (zmsg_t *body, bz_msg_t *request, char *error, size_t size)
{
    return bz_msg_decode_frame (request, body? zmsg_first (body): NULL, error, size);
}

static zmsg_t *
s_handle (catalog_server_t *self, zmsg_t **body_p)
{
    zmsg_t *body = *body_p, *reply = zmsg_new ();
    *body_p = NULL;
    bz_msg_t request;
    char error [128];
    bz_msg_id_t id = s_decode_request (body, &request, error, sizeof error);
    bool single = body && zmsg_size (body) == 1;
    if (id == BZ_MSG_LOOKUP && single)
        s_handle_lookup (self, &request, reply);
    else
    if (id == BZ_MSG_LIST && single)
        s_handle_list (self, reply);
    else
    if (id == BZ_MSG_SINCE && single)
        s_handle_since (self, &request, reply);
    else
    if (id == BZ_MSG_BATCH)
        s_handle_batch (self, &request, body, reply);
    else
    if (id == BZ_MSG_NONE)
        zmsg_append (reply, &(zframe_t *) { bz_msg_error (400, "%s", error) });
    else
        zmsg_append (reply, &(zframe_t *) {
            bz_msg_error (400, "catalog does not serve %s with %zu frames",
                          bz_msg_name (id), zmsg_size (body)) });
    if (self->metrics)
        s_count_request (self, reply);
    zmsg_destroy (&body);
    return reply;
}

//  --------------------------------------------------------------------------
//  Groups: consecutive batches share one transaction, so one fsync

static bool
s_is_batch (zmsg_t *body)
{
    bz_msg_t request;
    char error [128];
    return s_decode_request (body, &request, error, sizeof error) == BZ_MSG_BATCH;
}

//  Commits the open group, replies [from, to) holding its batches' answers: if the commit
//  fails, every batch of the group is answered 503 instead, and none of its
//  invalidations is published.
static void
s_commit_group (catalog_server_t *self, bool *batch, zmsg_t **replies, size_t from, size_t to,
                int64_t started)
{
    int status = catalog_store_commit (self->store);
    if (self->metrics)
        bz_metrics_observe (self->metrics, self->commit_id, (double) (zclock_usecs () - started) / 1e6);
    if (status == CATALOG_APPLIED) {
        if (self->grouped > 0)
            bz_crash_point ("catalog.after_commit");
        self->pending += self->grouped;
    }
    else
        for (size_t i = from; i < to; i++)
            if (batch [i]) {
                zmsg_destroy (&replies [i]);
                replies [i] = zmsg_new ();
                zmsg_append (replies [i], &(zframe_t *) { s_storage_error (self) });
            }
    self->grouped = 0;
}

void
catalog_server_handle_all (catalog_server_t *self, zmsg_t **bodies, zmsg_t **replies,
                           size_t count)
{
    assert (self && bodies && replies && count <= CATALOG_GROUP_MAX);
    bool batch [CATALOG_GROUP_MAX];
    bool open = false;
    size_t from = 0;
    int64_t started = 0;
    for (size_t i = 0; i < count; i++) {
        batch [i] = s_is_batch (bodies [i]);
        if (open && !batch [i]) {
            s_commit_group (self, batch, replies, from, i, started);
            open = false;               //  a read sees committed state only
        }
        if (batch [i] && !open) {
            started = zclock_usecs ();
            open = catalog_store_begin (self->store) == CATALOG_APPLIED;
            from = i;
        }
        if (batch [i] && !open) {       //  no transaction: answered 503 unread
            zmsg_destroy (&bodies [i]);
            replies [i] = zmsg_new ();
            zmsg_append (replies [i], &(zframe_t *) { s_storage_error (self) });
        }
        else
            replies [i] = s_handle (self, &bodies [i]);
    }
    if (open)
        s_commit_group (self, batch, replies, from, count, started);
}

zmsg_t *
catalog_server_handle (catalog_server_t *self, zmsg_t **body_p)
{
    assert (self && body_p);
    zmsg_t *reply = NULL;
    catalog_server_handle_all (self, body_p, &reply, 1);
    return reply;
}

//  --------------------------------------------------------------------------
//  The loop

//  Takes the next request, and while it and the ones after it are batches, whatever
//  else is already waiting on the socket (up to CATALOG_GROUP_MAX requests): the
//  leader's pipelined batches then share one commit. Answers them in order, then
//  publishes their invalidations.
static void
s_serve (catalog_server_t *self)
{
    bz_request_t *requests [CATALOG_GROUP_MAX];
    zmsg_t *bodies [CATALOG_GROUP_MAX], *replies [CATALOG_GROUP_MAX];
    size_t count = 0;
    zsock_t *socket = bz_worker_socket (self->worker);
    if (!(requests [count] = bz_worker_recv (self->worker)))
        return;                         //  bus control, handled by bz_worker
    count++;
    for (int reads = 0; count < CATALOG_GROUP_MAX && reads < 2 * CATALOG_GROUP_MAX
                     && (zsock_events (socket) & ZMQ_POLLIN)
                     && s_is_batch (requests [count - 1]->body); reads++)
        if ((requests [count] = bz_worker_recv (self->worker)))
            count++;
    for (size_t i = 0; i < count; i++) {
        bodies [i] = requests [i]->body;
        requests [i]->body = NULL;
    }
    catalog_server_handle_all (self, bodies, replies, count);
    for (size_t i = 0; i < count; i++)
        bz_worker_reply (self->worker, &requests [i], &replies [i]);
    catalog_server_publish (self);      //  only after the replies: see docs/catalog.md
}

int
catalog_server_run (catalog_server_t *self)
{
    assert (self);
    zmq_pollitem_t items [] = { { zsock_resolve (bz_worker_socket (self->worker)), 0, ZMQ_POLLIN, 0 } };
    bz_timer_t heartbeat;
    bz_timer_init (&heartbeat, self->heartbeat_ms, zclock_mono ());
    zsys_info ("catalog: serving, publisher %s", self->publisher_id);
    while (true) {
        if (bz_timer_fire (&heartbeat, zclock_mono ()))
            s_publish_heartbeat (self);
        bz_wake_t wake = bz_wake (zclock_mono (), bz_worker_tick_ms (self->worker));
        bz_wake_timer (&wake, &heartbeat);
        int ready = bz_loop_poll (items, 1, &wake, "catalog");
        if (ready < 0)
            break;
        if (ready > 0)
            s_serve (self);
        bz_worker_tick (self->worker);
    }
    if (!zsys_interrupted)
        return -1;                      //  the poll failed (logged)
    zsys_info ("catalog: interrupted, stopping");
    return 0;
}
