/*  order_server: the trade pipeline of the order leader, as one event loop.
    Orders that arrive while batches are at the catalog form the next batch (group
    commit); up to REPLICA_PIPELINE batches are in flight, answered in order.

    Why it is safe (docs/atomicity.md has the whole argument): the catalog numbers the
    trades itself, applies a leader's batches only in the order they were sent (epoch,
    sequence), and records every applied trade with its idempotency key, which trades
    once. So a number is never assigned twice, and whenever this replica is unsure
    what happened (a timeout, a refused batch, a fresh start) it pulls the trades it
    lacks from the catalog (SINCE) into its log and answers the orders whose keys it
    finds there, instead of trading them again.
    A new leader fences the catalog with its epoch before its first batch, and a
    leader that hears of a newer epoch anywhere steps down at once.

    Every such decision is order_replica's, a pure state machine: this file feeds it
    events (what the bus, the replicas and the catalog said, and the time) and carries
    out the actions it returns. It does the I/O; the machine owns the state and the epoch.  */
#include "order_server.h"
#include "order_log.h"
#include "order_replica.h"
#include "order_sync.h"
#include "bz_client.h"
#include "bz_worker.h"
#include "bz_bus.h"
#include "bz_loop.h"
#include "bz_crash.h"
#include "bz_msg.h"
#include "bz_order.h"

#define BATCH_MAX   1000        //  orders per catalog request, as PROTOCOL.md allows
#define PENDING_MAX 20000       //  orders waiting for a batch before we answer 503

//  One order on its way, and every request waiting for its answer (retries with the
//  same key join the first one instead of trading again).
typedef struct {
    bz_msg_t order;
    zlistx_t *waiters;          //  bz_request_t
    int64_t number;             //  once logged: its number, answered when committed
    int64_t seq;                //  at the catalog: the batch it went in
} pending_t;

struct _order_server_t {
    int id;
    char name [16];             //  "order <id>", as the log names us
    order_log_t *log;
    bz_worker_t *worker;
    bz_client_t *catalog;       //  asynchronous: the loop keeps heartbeating meanwhile
    order_replica_t replica;    //  the state machine: role, epoch, the call at the catalog
    zlistx_t *pending;          //  pending_t waiting for the next batch
    zlistx_t *batch;            //  pending_t at the catalog now, batch after batch
    zhashx_t *by_key;           //  key → pending_t, for both lists
    zlistx_t *reads;            //  ORDER_GET beyond our log, answered after reconciling
    zlistx_t *unacked;          //  pending_t logged here, waiting for a majority
    order_sync_t *sync;
    //  Metrics (the worker's registry; bz_worker sends it to the bus): ids of the families
    bz_metrics_t *metrics;
    int m_requests, m_errors, m_batches, m_catchups, m_reconciles, m_log_write;
    int m_epoch, m_leading, m_orders, m_unreplicated;
};

static void
s_pending_destroy (pending_t **self_p)
{
    pending_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->waiters);
    free (self);
    *self_p = NULL;
}

//  The replica's counters and gauges, in its worker's registry.
static void
s_declare_metrics (order_server_t *self)
{
    static const double seconds [] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                       0.025, 0.05, 0.1, 0.25, 1 };
    bz_metrics_t *m = self->metrics = bz_worker_metrics (self->worker);
    self->m_requests = bz_metrics_counter (m, "bazaar_order_requests_total",
        "Requests this replica answered (ORDER, ORDER_GET).");
    self->m_errors = bz_metrics_counter (m, "bazaar_order_errors_total",
        "Requests this replica answered with an ERROR (refused, not found, unavailable).");
    self->m_batches = bz_metrics_counter (m, "bazaar_order_batches_total",
        "Batches of orders this replica, as leader, sent to the catalog.");
    self->m_catchups = bz_metrics_counter (m, "bazaar_order_catchups_total",
        "Catch-ups from the other replicas (at start, on becoming leader, and while stepped aside for want of a majority).");
    self->m_reconciles = bz_metrics_counter (m, "bazaar_order_reconciles_total",
        "Reconciliations with the catalog (SINCE), after a start, a timeout or a refusal.");
    self->m_log_write = bz_metrics_histogram (m, "bazaar_order_log_write_seconds",
        "Time to append a leader's batch to its order log, fsync included.",
        seconds, sizeof seconds / sizeof seconds [0]);
    self->m_epoch = bz_metrics_gauge (m, "bazaar_order_epoch",
        "The epoch this replica holds (counter x 16 + the leader's id).");
    self->m_leading = bz_metrics_gauge (m, "bazaar_order_leading", "1 while this replica leads.");
    self->m_orders = bz_metrics_gauge (m, "bazaar_order_log_orders",
        "Orders in this replica's log; a follower's lag is the leader's value minus its own.");
    self->m_unreplicated = bz_metrics_gauge (m, "bazaar_order_replication_lag_orders",
        "Leader: orders in its log not yet durable on a majority.");
}

static void
s_update_gauges (order_server_t *self)
{
    int64_t orders = order_log_last (self->log) + 1;
    bool leading = order_replica_leading (&self->replica);
    bz_metrics_set (self->metrics, self->m_epoch, (double) self->replica.epoch);
    bz_metrics_set (self->metrics, self->m_leading, leading? 1: 0);
    bz_metrics_set (self->metrics, self->m_orders, (double) orders);
    int64_t committed = leading? order_sync_committed (self->sync) + 1: orders;
    bz_metrics_set (self->metrics, self->m_unreplicated, (double) (orders > committed? orders - committed: 0));
}

//  Replies with one message frame to a request and destroys the request.
static void
s_reply (order_server_t *self, bz_request_t **request_p, zframe_t *frame)
{
    bz_msg_t answer;
    char error [128];
    bz_metrics_add (self->metrics, self->m_requests, 1);
    if (bz_msg_decode_frame (&answer, frame, error, sizeof error) == BZ_MSG_ERROR)
        bz_metrics_add (self->metrics, self->m_errors, 1);
    zmsg_t *reply = zmsg_new ();
    zmsg_append (reply, &frame);
    bz_worker_reply (self->worker, request_p, &reply);
}

static void
s_reply_all (order_server_t *self, pending_t *pending, const bz_msg_t *answer)
{
    bz_request_t *request;
    while ((request = (bz_request_t *) zlistx_detach (pending->waiters, NULL)))
        s_reply (self, &request, bz_msg_encode (answer));
}

static void
s_reply_traded (order_server_t *self, pending_t *pending, int64_t number)
{
    bz_msg_t traded;
    bz_msg_init (&traded, BZ_MSG_TRADED);
    traded.number = number;
    bz_msg_set_str (traded.key, sizeof traded.key, pending->order.key);
    s_reply_all (self, pending, &traded);
}

static pending_t *
s_pending_new (const bz_msg_t *order, bz_request_t *request)
{
    pending_t *pending = (pending_t *) zmalloc (sizeof (pending_t));
    pending->order = *order;
    pending->number = -1;
    pending->waiters = zlistx_new ();
    zlistx_set_destructor (pending->waiters, (zlistx_destructor_fn *) bz_request_destroy);
    zlistx_add_end (pending->waiters, request);
    return pending;
}

//  Answers every logged order that a majority of replicas now holds.
static void
s_release_committed (order_server_t *self)
{
    int64_t committed = order_sync_committed (self->sync);
    //  Detach first, then answer: removing the node under the cursor breaks iteration.
    zlistx_t *released = zlistx_new ();
    for (pending_t *pending = (pending_t *) zlistx_first (self->unacked); pending;
         pending = (pending_t *) zlistx_next (self->unacked))
        if (pending->number <= committed)
            zlistx_add_end (released, pending);
    for (pending_t *pending = (pending_t *) zlistx_first (released); pending;
         pending = (pending_t *) zlistx_next (released)) {
        zlistx_detach (self->unacked, zlistx_find (self->unacked, pending));
        s_reply_traded (self, pending, pending->number);
        s_pending_destroy (&pending);
    }
    zlistx_destroy (&released);
}

//  True when two orders (ORDER or RECORD) are the same trade: name, side and quantity.
static bool
s_same_order (const bz_msg_t *a, const bz_msg_t *b)
{
    return streq (a->name, b->name) && streq (a->side, b->side) && a->quantity == b->quantity;
}

static void
s_handle_order (order_server_t *self, bz_request_t *request, const bz_msg_t *order)
{
    const char *broken = bz_order_check (order->name, order->side, order->quantity, order->key);
    if (broken) {
        s_reply (self, &request, bz_msg_error (400, "order: %s", broken));
        return;
    }
    int64_t number = -1;
    bz_msg_t first;
    int known = order_log_find_key (self->log, order->key, &number);
    if (known == 1)
        known = order_log_get (self->log, number, &first);
    if (known < 0) {
        //  Whether the key traded, and as which order, is unknown: the client retries
        s_reply (self, &request, bz_msg_error (503, "order log cannot be read, retry"));
        return;
    }
    pending_t *pending = (pending_t *) zhashx_lookup (self->by_key, order->key);
    if ((known && !s_same_order (&first, order))
    ||  (!known && pending && !s_same_order (&pending->order, order)))
        s_reply (self, &request, bz_msg_error (422, "idempotency key reused for a different order"));
    else
    if (known) {
        //  Already traded: answered once a majority holds it (at once, usually).
        pending = s_pending_new (order, request);
        pending->number = number;
        zlistx_add_end (self->unacked, pending);
        s_release_committed (self);
    }
    else
    if (pending)
        zlistx_add_end (pending->waiters, request);
    else
    if (zlistx_size (self->pending) >= PENDING_MAX)
        s_reply (self, &request, bz_msg_error (503, "order service overloaded"));
    else {
        pending = s_pending_new (order, request);
        zlistx_add_end (self->pending, pending);
        zhashx_insert (self->by_key, order->key, pending);
    }
}

//  Answers a read of order number from our log: the order, or 503 when the log cannot
//  be read, or, when it holds no such order and last_word is set, 404. Returns false,
//  request untouched, when the log has no such order and last_word is not set.
static bool
s_answer_from_log (order_server_t *self, bz_request_t **request_p, int64_t number, bool last_word)
{
    bz_msg_t record;
    int found = order_log_get (self->log, number, &record);
    if (found == 0 && !last_word)
        return false;
    s_reply (self, request_p, found == 1? bz_msg_encode (&record)
                            : found < 0? bz_msg_error (503, "order log cannot be read, retry")
                            : bz_msg_error (404, "order not found"));
    return true;
}

static void
s_handle_get (order_server_t *self, bz_request_t *request, int64_t number)
{
    //  Another leader may have taken orders we have not seen: ask the catalog first.
    if (!s_answer_from_log (self, &request, number, false))
        zlistx_add_end (self->reads, request);
}

static void
s_handle_request (order_server_t *self, bz_request_t *request)
{
    bz_msg_t msg;
    char error [128];
    bz_msg_id_t id = zmsg_size (request->body) == 1
                   ? bz_msg_decode_frame (&msg, zmsg_first (request->body), error, sizeof error)
                   : BZ_MSG_NONE;
    if (id == BZ_MSG_ORDER)
        s_handle_order (self, request, &msg);
    else
    if (id == BZ_MSG_ORDER_GET)
        s_handle_get (self, request, msg.number);
    else
        s_reply (self, &request, bz_msg_error (400, "order service: %s",
                 id == BZ_MSG_NONE? error: "unexpected message"));
}

//  Sends a request to the catalog; the machine set its deadline. One that cannot go
//  (no socket: a reopen failed) is retried when that deadline passes.
static void
s_send_catalog (order_server_t *self, zmsg_t **request_p)
{
    if (bz_client_send (self->catalog, "catalog", request_p))
        zsys_warning ("order %d: cannot send to the catalog; retrying at the deadline",
                      self->id);
}

//  Sends a one-frame request to the catalog.
static void
s_send_catalog_msg (order_server_t *self, const bz_msg_t *msg)
{
    zmsg_t *request = zmsg_new ();
    bz_msg_append (request, msg);
    s_send_catalog (self, &request);
}

static void
s_send_since (order_server_t *self)
{
    bz_metrics_add (self->metrics, self->m_reconciles, 1);
    bz_msg_t since;
    bz_msg_init (&since, BZ_MSG_SINCE);
    since.number = order_log_last (self->log) + 1;
    since.count = BATCH_MAX;
    s_send_catalog_msg (self, &since);
}

//  A new leader's first word to the catalog: BATCH{our epoch, count 0}. From its
//  answer on, no batch of an older epoch is applied (docs/atomicity.md, "Fencing").
static void
s_send_fence (order_server_t *self, int64_t epoch)
{
    bz_msg_t fence;
    bz_msg_init (&fence, BZ_MSG_BATCH);
    fence.epoch = epoch;
    fence.number = order_log_last (self->log) + 1;
    s_send_catalog_msg (self, &fence);
}

//  The next batch of our epoch: number says our log holds every trade below it (the
//  catalog numbers the trades; a catalog behind that refuses).
static void
s_send_batch (order_server_t *self, int64_t epoch, int64_t seq)
{
    bz_metrics_add (self->metrics, self->m_batches, 1);
    bz_msg_t header;
    bz_msg_init (&header, BZ_MSG_BATCH);
    header.epoch = epoch;
    header.seq = seq;
    header.number = order_log_last (self->log) + 1;
    zmsg_t *request = zmsg_new ();
    pending_t *pending;
    while (header.count < BATCH_MAX
       && (pending = (pending_t *) zlistx_detach (self->pending, NULL))) {
        pending->seq = seq;
        zlistx_add_end (self->batch, pending);
        bz_msg_append (request, &pending->order);
        header.count++;
    }
    zmsg_prepend (request, &(zframe_t *) { bz_msg_encode (&header) });
    s_send_catalog (self, &request);
}

//  Puts every batch in flight back in front of the queue, in order: their fate is
//  unknown or one was refused, and the next reconcile tells which orders the catalog
//  applied.
static void
s_requeue_batch (order_server_t *self)
{
    pending_t *pending;
    while ((pending = (pending_t *) zlistx_last (self->batch))) {
        zlistx_detach_cur (self->batch);
        zlistx_add_start (self->pending, pending);
    }
}

//  Decodes every frame of a catalog reply into msgs (at most max). Returns the count,
//  or -1 if a frame is malformed or there are too many.
static int
s_decode_reply (zmsg_t *reply, bz_msg_t *msgs, size_t max)
{
    char error [160];
    int count = bz_msg_decode_list (reply, 0, BZ_MSG_NONE, msgs, max, error, sizeof error);
    if (count < 0)
        zsys_warning ("order: malformed catalog reply (%s)", error);
    return count;
}

//  Answers every order of list with 503 and drops it. The frontend retries with the
//  same key, so nothing is traded twice, and nothing dropped is ever sent later.
static void
s_refuse_list (order_server_t *self, zlistx_t *list, const char *why)
{
    pending_t *pending;
    while ((pending = (pending_t *) zlistx_detach (list, NULL))) {
        zhashx_delete (self->by_key, pending->order.key);
        bz_msg_t error;
        bz_msg_init (&error, BZ_MSG_ERROR);
        error.code = 503;
        bz_msg_set_str (error.message, sizeof error.message, why);
        s_reply_all (self, pending, &error);
        s_pending_destroy (&pending);
    }
}

//  Answers everything we hold with 503: the batch, the queue, the unacknowledged, reads.
static void
s_refuse_all (order_server_t *self, const char *why)
{
    s_refuse_list (self, self->batch, why);
    s_refuse_list (self, self->pending, why);
    s_refuse_list (self, self->unacked, why);
    bz_request_t *request;
    while ((request = (bz_request_t *) zlistx_detach (self->reads, NULL)))
        s_reply (self, &request, bz_msg_error (503, "%s", why));
}

//  Answers the pending orders that the catalog turns out to have applied already, and
//  the reads our log now holds (404 for the rest: the catalog has no such order).
static void
s_answer_known (order_server_t *self)
{
    zlistx_t *known = zlistx_new ();
    for (pending_t *pending = (pending_t *) zlistx_first (self->pending); pending;
         pending = (pending_t *) zlistx_next (self->pending)) {
        //  A key the log cannot look up (logged) stays pending: the catalog, asked
        //  again, answers with its first number.
        if (order_log_find_key (self->log, pending->order.key, &pending->number) == 1)
            zlistx_add_end (known, pending);
    }
    for (pending_t *pending = (pending_t *) zlistx_first (known); pending;
         pending = (pending_t *) zlistx_next (known)) {
        zhashx_delete (self->by_key, pending->order.key);
        zlistx_detach (self->pending, zlistx_find (self->pending, pending));
        zlistx_add_end (self->unacked, pending);
    }
    zlistx_destroy (&known);
    s_release_committed (self);
    bz_request_t *request;
    while ((request = (bz_request_t *) zlistx_detach (self->reads, NULL))) {
        bz_msg_t get;
        char error [128];
        bz_msg_decode_frame (&get, zmsg_first (request->body), error, sizeof error);
        s_answer_from_log (self, &request, get.number, true);
    }
}

//  An event for the machine, with what we observe now.
static replica_event_t
s_observe (order_server_t *self, replica_event_id_t id)
{
    int64_t seen = order_sync_epoch_seen (self->sync);
    if (bz_worker_leader_epoch (self->worker) > seen)
        seen = bz_worker_leader_epoch (self->worker);
    return (replica_event_t) {
        .id = id,
        .now = zclock_mono (),
        .bus_leader = bz_worker_leader (self->worker),
        .epoch_seen = seen,
        .service_size = bz_worker_service_size (self->worker),
        .quorum = order_sync_quorum (self->sync),
        .reachable = order_sync_reachable (self->sync),
        .caught_up = order_sync_caught_up (self->sync),
        .pending = zlistx_size (self->pending),
        .reads = zlistx_size (self->reads) > 0,
        .last = order_log_last (self->log)
    };
}

static void s_step (order_server_t *self, const replica_event_t *event);

//  Carries out the machine's actions, in the order of their flags. A write that fails
//  becomes the next event, and what it asks for replaces the rest.
static void
s_carry_out (order_server_t *self, const replica_actions_t *actions, replica_state_t before)
{
    unsigned flags = actions->flags;
    int id = self->id;
    if (actions->log)
        zsys_info ("order %d: %s", id, actions->log);
    if (flags & REPLICA_DROP_CALL)
        bz_client_reset (self->catalog);
    if (flags & REPLICA_REQUEUE_BATCH)
        s_requeue_batch (self);
    if (flags & REPLICA_REFUSE_ALL)
        s_refuse_all (self, actions->why);
    if (flags & REPLICA_REFUSE_QUEUE)
        s_refuse_list (self, self->pending, actions->why_queue);
    if (flags & REPLICA_LEAVE_BUS)
        bz_worker_set_available (self->worker, false);
    if (flags & REPLICA_RECORD_EPOCH) {
        if (order_log_set_epoch (self->log, actions->epoch)) {
            replica_event_t failed = s_observe (self, REPLICA_WRITE_FAILED);
            s_step (self, &failed);
            return;
        }
        zsys_info ("order %d: leading at epoch %" PRId64 ", fencing and catching up", id, actions->epoch);
    }
    if (flags & REPLICA_ANNOUNCE_EPOCH)
        bz_worker_set_epoch (self->worker, actions->epoch);
    if (flags & REPLICA_CATCH_UP) {
        order_sync_catch_up (self->sync);
        bz_metrics_add (self->metrics, self->m_catchups, 1);
    }
    if (flags & REPLICA_JOIN_BUS)
        bz_worker_set_available (self->worker, true);
    if (flags & REPLICA_SEND_FENCE)
        s_send_fence (self, actions->epoch);
    if (flags & REPLICA_SEND_SINCE)
        s_send_since (self);
    if (flags & REPLICA_SEND_BATCH)
        s_send_batch (self, actions->epoch, actions->seq);
    if (flags & REPLICA_ANSWER_KNOWN)
        s_answer_known (self);
    replica_state_t after = self->replica.state;
    if (before == REPLICA_FENCING && after == REPLICA_CATCHING_UP)
        zsys_info ("order %d: catalog fenced at epoch %" PRId64, id, self->replica.epoch);
    bool led = before == REPLICA_FENCING || before == REPLICA_CATCHING_UP || before == REPLICA_LEADING;
    if (led && !order_replica_leading (&self->replica))
        zsys_info ("order %d: no longer leading", id);
    if (flags & REPLICA_PROBE_LOG && order_log_probe (self->log) == 0) {
        replica_event_t writable = s_observe (self, REPLICA_LOG_WRITABLE);
        s_step (self, &writable);
    }
}

static void
s_step (order_server_t *self, const replica_event_t *event)
{
    replica_state_t before = self->replica.state;
    replica_actions_t actions = order_replica_step (&self->replica, event);
    s_carry_out (self, &actions, before);
}

//  The catalog's answer to the oldest batch in flight: one result per order, or a
//  refusal of the batch. Returns the event it makes.
static replica_event_t
s_on_batch_reply (order_server_t *self, zmsg_t *reply)
{
    size_t count = 0;
    pending_t *first = (pending_t *) zlistx_first (self->batch);
    for (pending_t *pending = first; pending && pending->seq == first->seq;
         pending = (pending_t *) zlistx_next (self->batch))
        count++;
    bz_msg_t *results = (bz_msg_t *) calloc (count + 1, sizeof (bz_msg_t));
    int decoded = s_decode_reply (reply, results, count + 1);
    if (decoded == 1 && results [0].id == BZ_MSG_BATCH) {
        zsys_info ("order %d: catalog refused batch %" PRId64 " (it is at epoch %" PRId64 ", batch %" PRId64
                   ", next number %" PRId64 ")", self->id, first? first->seq: 0, results [0].epoch,
                   results [0].seq, results [0].number);
        replica_event_t refused = s_observe (self, REPLICA_BATCH_REFUSED);
        refused.epoch = results [0].epoch;
        refused.next = results [0].number;
        free (results);
        return refused;
    }
    //  Check the whole answer before acting on any of it.
    bz_msg_t *records = (bz_msg_t *) calloc (count + 1, sizeof (bz_msg_t));
    size_t traded = 0;
    int64_t logged = -1;                //  a retried key's number in our log
    bool valid = decoded == (int) count;
    pending_t *pending = (pending_t *) zlistx_first (self->batch);
    for (size_t i = 0; valid && i < count; i++, pending = (pending_t *) zlistx_next (self->batch)) {
        if (results [i].id == BZ_MSG_TRADED && streq (results [i].key, pending->order.key)
        &&  results [i].number == order_log_last (self->log) + 1 + (int64_t) traded) {
            bz_msg_init (&records [traded], BZ_MSG_RECORD);
            records [traded].number = results [i].number;
            bz_msg_set_str (records [traded].name, sizeof records [traded].name, pending->order.name);
            bz_msg_set_str (records [traded].side, sizeof records [traded].side, pending->order.side);
            records [traded].quantity = pending->order.quantity;
            bz_msg_set_str (records [traded].key, sizeof records [traded].key, pending->order.key);
            traded++;
        }
        else
        if (results [i].id == BZ_MSG_TRADED && streq (results [i].key, pending->order.key)
        &&  results [i].number <= order_log_last (self->log)
        &&  order_log_find_key (self->log, pending->order.key, &logged) == 1
        &&  logged == results [i].number)
            ;                               //  traded before (a retry): already logged
        else
        if (results [i].id != BZ_MSG_ERROR)
            valid = false;
    }
    replica_event_id_t outcome = valid? REPLICA_BATCH_LOGGED: REPLICA_BATCH_INVALID;
    if (valid) {
        bz_crash_point ("order.after_catalog");
        int64_t started = zclock_usecs ();
        if (order_log_append (self->log, records, traded) != 0)
            //  The catalog holds these trades: whoever leads next pulls them in, and so
            //  do we once our log can be written. Never exit: a restart would repeat it.
            outcome = REPLICA_WRITE_FAILED;
        else
            bz_metrics_observe (self->metrics, self->m_log_write, (double) (zclock_usecs () - started) / 1e6);
    }
    if (outcome == REPLICA_BATCH_LOGGED) {
        bz_crash_point ("order.after_log");
        order_sync_publish (self->sync, self->replica.epoch, records, traded);
        for (size_t i = 0; i < count; i++) {
            pending = (pending_t *) zlistx_first (self->batch);
            zlistx_detach_cur (self->batch);
            zhashx_delete (self->by_key, pending->order.key);
            if (results [i].id == BZ_MSG_TRADED) {
                pending->number = results [i].number;
                zlistx_add_end (self->unacked, pending);
            }
            else {
                s_reply_all (self, pending, &results [i]);
                s_pending_destroy (&pending);
            }
        }
        s_release_committed (self);
    }
    free (records);
    free (results);
    return s_observe (self, outcome);
}

//  The catalog's trades from our last number on: they go into our log as they are.
static replica_event_t
s_on_since_reply (order_server_t *self, zmsg_t *reply)
{
    bz_msg_t *records = (bz_msg_t *) calloc (BATCH_MAX, sizeof (bz_msg_t));
    int count = s_decode_reply (reply, records, BATCH_MAX);
    bool valid = count >= 0;
    for (int i = 0; valid && i < count; i++)
        valid = records [i].id == BZ_MSG_RECORD;
    //  Peers may have filled part of the log while the catalog answered: skip that part.
    int skip = 0;
    while (valid && skip < count && records [skip].number <= order_log_last (self->log))
        skip++;
    if (valid && count > skip
    &&  order_log_append (self->log, records + skip, (size_t) (count - skip)) == 0)
        zsys_info ("order %d: took %d orders from the catalog, last is now %" PRId64,
                   self->id, count - skip, order_log_last (self->log));
    else
    if (count > skip)
        valid = false;
    free (records);
    replica_event_t answer = s_observe (self, valid? REPLICA_SINCE_ANSWER: REPLICA_SINCE_INVALID);
    answer.more = count == BATCH_MAX;
    return answer;
}

//  The catalog's answer to our fence: where it stands (epoch 0: not an answer).
static replica_event_t
s_on_fence_reply (order_server_t *self, zmsg_t *reply)
{
    bz_msg_t answer;
    int decoded = s_decode_reply (reply, &answer, 1);
    replica_event_t event = s_observe (self, REPLICA_FENCE_ANSWER);
    event.epoch = decoded == 1 && answer.id == BZ_MSG_BATCH? answer.epoch: 0;
    event.seq = event.epoch? answer.seq: 0;
    return event;
}

static void
s_on_catalog (order_server_t *self)
{
    zmsg_t *reply = bz_client_recv (self->catalog);
    if (!reply)
        return;                             //  a late reply to a request we gave up on
    replica_call_t call = self->replica.call;
    if (call != REPLICA_CALL_NONE) {
        replica_event_t event = call == REPLICA_CALL_BATCH? s_on_batch_reply (self, reply)
                              : call == REPLICA_CALL_SINCE? s_on_since_reply (self, reply)
                              : s_on_fence_reply (self, reply);
        s_step (self, &event);
    }
    zmsg_destroy (&reply);
}

order_server_t *
order_server_new (bz_config_t *config, int id)
{
    assert (config);
    if (id < 1 || id > BZ_REPLICAS_MAX) {
        zsys_error ("order: id %d is not in 1..%d", id, BZ_REPLICAS_MAX);
        return NULL;
    }
    order_server_t *self = (order_server_t *) zmalloc (sizeof (order_server_t));
    self->id = id;
    snprintf (self->name, sizeof self->name, "order %d", id);
    char file [32];
    snprintf (file, sizeof file, "order%d.db", id);
    self->log = order_log_new (bz_config_path (config, file));
    self->catalog = bz_client_new (config);
    self->worker = bz_worker_new (config, "order", id);
    self->pending = zlistx_new ();
    zlistx_set_destructor (self->pending, (zlistx_destructor_fn *) s_pending_destroy);
    self->batch = zlistx_new ();
    zlistx_set_destructor (self->batch, (zlistx_destructor_fn *) s_pending_destroy);
    self->by_key = zhashx_new ();
    self->reads = zlistx_new ();
    zlistx_set_destructor (self->reads, (zlistx_destructor_fn *) bz_request_destroy);
    self->unacked = zlistx_new ();
    zlistx_set_destructor (self->unacked, (zlistx_destructor_fn *) s_pending_destroy);
    if (self->log)
        self->sync = order_sync_new (config, id, self->log);
    if (!self->log || !self->catalog || !self->worker || !self->sync) {
        order_server_destroy (&self);
        return NULL;
    }
    s_declare_metrics (self);
    int liveness_ms = (int) (bz_config_int (config, "heartbeat_ms") * bz_config_int (config, "liveness"));
    order_replica_init (&self->replica, id, order_log_epoch (self->log),
                        (int) bz_config_int (config, "retry_ms"), liveness_ms, BZ_LEADER_HOLD * liveness_ms);
    order_sync_catch_up (self->sync);       //  what we missed while we were down
    bz_metrics_add (self->metrics, self->m_catchups, 1);
    zsys_info ("order %d: log holds orders 0..%" PRId64 ", epoch %" PRId64,
               id, order_log_last (self->log), self->replica.epoch);
    return self;
}

void
order_server_destroy (order_server_t **self_p)
{
    assert (self_p);
    order_server_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->by_key);
    zlistx_destroy (&self->pending);
    zlistx_destroy (&self->batch);
    zlistx_destroy (&self->reads);
    zlistx_destroy (&self->unacked);
    order_sync_destroy (&self->sync);
    bz_worker_destroy (&self->worker);
    bz_client_destroy (&self->catalog);
    order_log_destroy (&self->log);
    free (self);
    *self_p = NULL;
}

int
order_server_run (order_server_t *self)
{
    assert (self);
    bz_timer_t sync_tick;               //  the replication heartbeat (order_sync_tick)
    bz_timer_init (&sync_tick, bz_worker_tick_ms (self->worker), zclock_mono ());
    while (true) {
        //  The catalog's socket is NULL after a reopen failed: not polled until the next
        //  reset (at the machine's deadline) makes one.
        zsock_t *catalog = bz_client_socket (self->catalog);
        zmq_pollitem_t items [2 + ORDER_SYNC_ITEMS] = {
            { zsock_resolve (bz_worker_socket (self->worker)), 0, ZMQ_POLLIN, 0 },
            { catalog? zsock_resolve (catalog): NULL, 0, ZMQ_POLLIN, 0 },
        };
        int first_sync = catalog? 2: 1;
        int count = first_sync + order_sync_poll_items (self->sync, items + first_sync,
                                                        ORDER_SYNC_ITEMS);
        bz_wake_t wake = bz_wake (zclock_mono (), -1);
        bz_wake_timer (&wake, &sync_tick);
        if (self->replica.call != REPLICA_CALL_NONE)
            bz_wake_by (&wake, self->replica.deadline);
        if (self->replica.calm_until > wake.now)
            bz_wake_by (&wake, self->replica.calm_until);
        if (bz_loop_poll (items, count, &wake, self->name) < 0)
            return zsys_interrupted? 0: -1;
        for (int i = 0; i < 1000 && (zsock_events (bz_worker_socket (self->worker)) & ZMQ_POLLIN); i++) {
            bz_request_t *request = bz_worker_recv (self->worker);
            if (request)
                s_handle_request (self, request);
        }
        if (catalog && (items [1].revents & ZMQ_POLLIN))
            s_on_catalog (self);
        order_sync_handle (self->sync);
        s_release_committed (self);
        replica_event_t tick = s_observe (self, REPLICA_TICK);
        s_step (self, &tick);
        s_update_gauges (self);
        bz_worker_tick (self->worker);
        if (bz_timer_fire (&sync_tick, zclock_mono ()))
            order_sync_tick (self->sync, order_replica_leading (&self->replica), self->replica.epoch);
    }
}
