/*  order_replica: what one order replica does next, as a pure state machine
    (order_replica.h). No I/O here, and no clock but the event's.  */
#include <assert.h>
#include <stddef.h>
#include <string.h>
#include "order_replica.h"

static const char *s_names [] = { "following", "fencing", "catching up", "leading", "aside" };

const char *
order_replica_state_name (replica_state_t state)
{
    return (unsigned) state < sizeof s_names / sizeof s_names [0]? s_names [state]: "?";
}

void
order_replica_init (order_replica_t *self, int id, int64_t epoch,
                    int retry_ms, int liveness_ms, int hold_ms)
{
    assert (self);
    *self = (order_replica_t) {
        .id = id, .state = REPLICA_FOLLOWING, .epoch = epoch,
        .retry_ms = retry_ms, .liveness_ms = liveness_ms,
        .quorum_wait_ms = 2 * liveness_ms, .hold_ms = hold_ms
    };
}

bool
order_replica_leading (const order_replica_t *self)
{
    assert (self);
    return self->state == REPLICA_FENCING || self->state == REPLICA_CATCHING_UP
        || self->state == REPLICA_LEADING;
}

//  Stops leading at once: whatever is at the catalog is forgotten, and every order we
//  hold, the batch in flight included, is answered 503 and dropped, so that nothing
//  this leader was given is traded by it later.
static void
s_step_down (order_replica_t *self, replica_actions_t *out, const char *why)
{
    if (self->call != REPLICA_CALL_NONE) {
        out->flags |= REPLICA_DROP_CALL;
        self->call = REPLICA_CALL_NONE;
        self->inflight = 0;
    }
    out->flags |= REPLICA_REFUSE_ALL;
    out->why = why;
    self->state = REPLICA_FOLLOWING;
    self->fresh = false;
}

//  Leaves the bus until the cause is gone: our log cannot be written, or we cannot
//  reach a majority (holding the role would stop every write).
static void
s_withdraw (order_replica_t *self, replica_actions_t *out, replica_absence_t cause, int64_t now)
{
    if (order_replica_leading (self)) {
        s_step_down (self, out, cause == REPLICA_LOG_FAILED
                     ? "order leader cannot write its log, retry"
                     : "order leader lost its majority, retry");
        self->stepped_aside_at = now;
    }
    out->log = cause == REPLICA_LOG_FAILED
             ? "cannot write the order log: stepping aside until the log can be written"
             : "no majority of replicas acknowledges us: stepping aside until a majority answers";
    if (self->absence == REPLICA_ON_BUS)
        out->flags |= REPLICA_LEAVE_BUS;
    self->state = REPLICA_ASIDE;
    self->absence = cause;
    self->fresh = false;
    self->probe_at = now;
}

//  ASIDE: back once the log takes a write, or once a majority answers our catch-up
//  requests (which also fill our log meanwhile).
static void
s_probe (order_replica_t *self, replica_actions_t *out, const replica_event_t *event)
{
    if (self->absence == REPLICA_NO_MAJORITY && event->reachable) {
        self->absence = REPLICA_ON_BUS;
        self->state = REPLICA_FOLLOWING;
        out->flags |= REPLICA_JOIN_BUS;
        out->log = "a majority of replicas answers again";
    }
    else
    if (event->now >= self->probe_at) {
        out->flags |= self->absence == REPLICA_LOG_FAILED? REPLICA_PROBE_LOG: REPLICA_CATCH_UP;
        self->probe_at = event->now + self->retry_ms;
    }
}

//  An epoch above every epoch seen, unique to this replica (low 4 bits = id).
static int64_t
s_next_epoch (const order_replica_t *self, int64_t seen)
{
    if (self->epoch > seen)
        seen = self->epoch;
    return ((seen >> 4) + 1) << 4 | self->id;
}

//  Follows the bus's choice of leader, and steps down as soon as a newer epoch is heard
//  of (a paused leader wakes to heartbeats that still name it: the epoch, not liveness,
//  says it was replaced). A leader no majority acknowledged for a liveness period (after
//  a new leader's grace) steps aside if another replica is on the bus; alone it keeps
//  the role (it answers reads; trades get 503 in s_advance).
static void
s_follow_bus (order_replica_t *self, replica_actions_t *out, const replica_event_t *event)
{
    int64_t now = event->now;
    int64_t seen = event->epoch_seen > self->catalog_epoch? event->epoch_seen: self->catalog_epoch;
    if (order_replica_leading (self) && seen > self->epoch) {
        out->log = "a newer epoch was heard of: stepping down";
        s_step_down (self, out, "order leader replaced, retry");
    }
    if (order_replica_leading (self) && event->quorum)
        self->quorum_at = now;
    else
    if (order_replica_leading (self) && now - self->quorum_at > self->liveness_ms
    &&  now - self->leading_since > self->quorum_wait_ms && event->service_size > 1)
        s_withdraw (self, out, REPLICA_NO_MAJORITY, now);
    //  After stepping aside we lead no sooner than the bus lets us register again: a
    //  heartbeat it sent before we left, arriving late, still names us.
    bool held = self->stepped_aside_at && now - self->stepped_aside_at < self->hold_ms;
    bool chosen = event->bus_leader == self->id && self->state != REPLICA_ASIDE && !held;
    if (chosen == order_replica_leading (self))
        return;
    if (!chosen) {
        s_step_down (self, out, "order leader changed, retry");
        return;
    }
    if (now < self->calm_until)
        return;
    self->epoch = s_next_epoch (self, seen);
    self->seq = 0;
    self->state = REPLICA_FENCING;
    self->fresh = false;
    self->leading_since = now;
    self->quorum_at = now;
    out->flags |= REPLICA_RECORD_EPOCH | REPLICA_ANNOUNCE_EPOCH | REPLICA_CATCH_UP;
    out->epoch = self->epoch;
}

static void
s_call (order_replica_t *self, replica_actions_t *out, replica_call_t call, unsigned flag, int64_t now)
{
    self->call = call;
    self->deadline = now + self->retry_ms;
    out->flags |= flag;
    out->deadline = self->deadline;
    out->epoch = self->epoch;
}

//  One more batch in flight: the next of our epoch. Its deadline counts once it is the
//  oldest; the catalog answers batches in the order they were sent.
static void
s_call_batch (order_replica_t *self, replica_actions_t *out, int64_t now)
{
    if (self->call != REPLICA_CALL_BATCH) {
        self->call = REPLICA_CALL_BATCH;
        self->inflight = 0;
        self->deadline = now + self->retry_ms;
    }
    self->sent_at [self->inflight++] = now;
    out->flags |= REPLICA_SEND_BATCH;
    out->deadline = self->deadline;
    out->epoch = self->epoch;
    out->seq = ++self->seq;
}

//  Gives up every batch in flight (one was refused, timed out or answered wrongly):
//  they go back in front of the queue, and the leader fences again at its own epoch,
//  which tells it the last batch the catalog applied, then reconciles (SINCE) before it
//  sends more. Nothing is lost or doubled: a batch the catalog did apply shows in SINCE,
//  and the catalog takes a key once.
static void
s_drain (order_replica_t *self, replica_actions_t *out)
{
    out->flags |= REPLICA_DROP_CALL | REPLICA_REQUEUE_BATCH;
    self->call = REPLICA_CALL_NONE;
    self->inflight = 0;
    self->fresh = false;
    if (self->state == REPLICA_LEADING)
        self->state = REPLICA_FENCING;
}

//  What to ask the catalog next. Batches pipeline: while leading, fresh and with no read
//  waiting for a reconcile, another batch goes out as long as fewer than
//  REPLICA_PIPELINE are in flight and REPLICA_PIPELINE_FILL orders wait for it. A fence
//  or a SINCE goes out only when nothing is.
static void
s_advance (order_replica_t *self, replica_actions_t *out, const replica_event_t *event)
{
    int64_t now = event->now;
    if (!order_replica_leading (self) && event->pending) {
        out->flags |= REPLICA_REFUSE_QUEUE;
        out->why_queue = "not the order leader, retry";
    }
    if (now < self->calm_until || self->state == REPLICA_ASIDE)
        return;
    if (self->call == REPLICA_CALL_BATCH) {
        if (self->state == REPLICA_LEADING && self->fresh && !event->reads
        &&  event->pending >= REPLICA_PIPELINE_FILL && event->quorum
        &&  self->inflight < REPLICA_PIPELINE)
            s_call_batch (self, out, now);
        return;
    }
    if (self->call != REPLICA_CALL_NONE)
        return;
    if (self->state == REPLICA_FOLLOWING) {
        if (!self->fresh || event->reads)
            s_call (self, out, REPLICA_CALL_SINCE, REPLICA_SEND_SINCE, now);
        return;
    }
    if (self->state == REPLICA_FENCING) {
        s_call (self, out, REPLICA_CALL_FENCE, REPLICA_SEND_FENCE, now);
        return;
    }
    if (!event->caught_up)
        return;
    if (!self->fresh || event->reads) {
        s_call (self, out, REPLICA_CALL_SINCE, REPLICA_SEND_SINCE, now);
        return;
    }
    self->state = REPLICA_LEADING;          //  fenced, caught up, reconciled: we serve
    if (event->pending) {
        if (event->quorum)
            s_call_batch (self, out, now);
        else
        if (now - self->leading_since > self->quorum_wait_ms) {
            out->flags |= REPLICA_REFUSE_ALL;
            out->why = "not enough order replicas for a majority";
        }
    }
}

//  A request at the catalog that outlived its deadline: its fate is unknown.
static void
s_expire (order_replica_t *self, replica_actions_t *out, int64_t now)
{
    if (self->call == REPLICA_CALL_NONE || now < self->deadline)
        return;
    out->log = "the catalog did not answer in time";
    if (self->call == REPLICA_CALL_BATCH)
        s_drain (self, out);
    else {
        out->flags |= REPLICA_DROP_CALL;
        self->call = REPLICA_CALL_NONE;
        self->fresh = false;
    }
}

//  The answers from the catalog, each to the call it answers (batches: the oldest).
static void
s_on_answer (order_replica_t *self, replica_actions_t *out, const replica_event_t *event)
{
    int64_t now = event->now;
    if (event->id == REPLICA_BATCH_LOGGED) {
        self->inflight--;
        memmove (self->sent_at, self->sent_at + 1, (size_t) self->inflight * sizeof self->sent_at [0]);
        if (self->inflight > 0)
            self->deadline = self->sent_at [0] + self->retry_ms;
        else
            self->call = REPLICA_CALL_NONE;
        return;
    }
    self->call = REPLICA_CALL_NONE;
    switch (event->id) {
        case REPLICA_FENCE_ANSWER:
            //  Our own epoch back: fenced, and its last batch is where we go on from. A
            //  newer one: another leader fenced after us (the next look at the bus steps
            //  down).
            if (event->epoch >= self->epoch && event->epoch > 0) {
                if (event->epoch > self->catalog_epoch)
                    self->catalog_epoch = event->epoch;
                if (event->epoch == self->epoch && self->state == REPLICA_FENCING) {
                    self->state = REPLICA_CATCHING_UP;
                    self->seq = event->seq;
                }
            }
            else {
                out->log = "the catalog did not take our fence; trying again";
                self->calm_until = now + 100;
            }
            break;
        case REPLICA_BATCH_REFUSED:
            if (event->epoch > self->catalog_epoch)
                self->catalog_epoch = event->epoch;
            s_drain (self, out);
            //  A catalog behind our log cannot take a batch until it is restored:
            //  asking again at once would loop refuse, SINCE, batch.
            if (event->next <= event->last) {
                out->log = "the catalog is behind our log: it needs bazaar-catalog --restore";
                self->calm_until = now + self->retry_ms;
            }
            break;
        case REPLICA_BATCH_INVALID:
            s_drain (self, out);
            break;
        case REPLICA_SINCE_ANSWER:
            if (event->more)
                s_call (self, out, REPLICA_CALL_SINCE, REPLICA_SEND_SINCE, now);
            else {
                self->fresh = true;
                out->flags |= REPLICA_ANSWER_KNOWN;
            }
            break;
        case REPLICA_SINCE_INVALID:
            out->log = "the catalog's answer to SINCE was not a list of trades we could log";
            self->calm_until = now + 100;
            break;
        default:
            break;
    }
}

replica_actions_t
order_replica_step (order_replica_t *self, const replica_event_t *event)
{
    assert (self && event);
    replica_actions_t out = { 0 };
    switch (event->id) {
        case REPLICA_WRITE_FAILED:
            //  The catalog holds what we could not log: whoever leads next pulls it in,
            //  and so do we once our log takes writes. Never exit: a restart repeats it.
            if (self->call == REPLICA_CALL_BATCH) {
                out.flags |= REPLICA_REQUEUE_BATCH | REPLICA_DROP_CALL;
                self->call = REPLICA_CALL_NONE;
                self->inflight = 0;
            }
            s_withdraw (self, &out, REPLICA_LOG_FAILED, event->now);
            return out;
        case REPLICA_LOG_WRITABLE:
            if (self->state == REPLICA_ASIDE && self->absence == REPLICA_LOG_FAILED) {
                self->absence = REPLICA_ON_BUS;
                self->state = REPLICA_FOLLOWING;
                out.flags |= REPLICA_JOIN_BUS;
                out.log = "the log can be written again";
            }
            return out;
        case REPLICA_TICK:
            break;
        default:
            s_on_answer (self, &out, event);
            break;
    }
    if (self->state == REPLICA_ASIDE)
        s_probe (self, &out, event);
    s_follow_bus (self, &out, event);
    s_expire (self, &out, event->now);
    s_advance (self, &out, event);
    return out;
}
