/*  test_order_replica: the replica's state machine, driven by hand with a hand-set clock
    through the faults of docs/atomicity.md: election and fencing, a paused leader that
    wakes after it was replaced, a refusal at a newer epoch, a catalog that does not
    answer, a full disk, a lost majority, a catalog behind our log, batches in a
    pipeline and a refusal that drains it.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "order_replica.h"

#define ID          3
#define RETRY_MS    1000
#define LIVENESS_MS 500
#define HOLD_MS     2000

static order_replica_t s_replica;
static int64_t s_now;

//  What a healthy three-replica cluster looks like to replica ID, led by it.
static replica_event_t
s_event (replica_event_id_t id)
{
    return (replica_event_t) {
        .id = id, .now = s_now, .bus_leader = ID, .epoch_seen = 0, .service_size = 3,
        .quorum = true, .reachable = true, .caught_up = true, .last = 9
    };
}

static replica_actions_t
s_step (replica_event_t event)
{
    return order_replica_step (&s_replica, &event);
}

static replica_actions_t
s_tick (void)
{
    return s_step (s_event (REPLICA_TICK));
}

static int
s_setup (void **state)
{
    (void) state;
    s_now = 100000;
    order_replica_init (&s_replica, ID, 0, RETRY_MS, LIVENESS_MS, HOLD_MS);
    return 0;
}

//  From following to leading: elected, fenced, caught up and reconciled; returns the epoch.
static int64_t
s_lead (int64_t seen)
{
    replica_event_t tick = s_event (REPLICA_TICK);
    tick.epoch_seen = seen;
    replica_actions_t out = s_step (tick);
    assert_int_equal (s_replica.state, REPLICA_FENCING);
    assert_true (out.flags & REPLICA_RECORD_EPOCH);
    assert_true (out.flags & REPLICA_CATCH_UP);
    assert_true (out.flags & REPLICA_SEND_FENCE);     //  in the same step
    int64_t epoch = out.epoch;
    replica_event_t fenced = s_event (REPLICA_FENCE_ANSWER);
    fenced.epoch_seen = seen;
    fenced.epoch = epoch;
    out = s_step (fenced);
    assert_int_equal (s_replica.state, REPLICA_CATCHING_UP);
    assert_true (out.flags & REPLICA_SEND_SINCE);     //  reconcile before serving
    out = s_step (s_event (REPLICA_SINCE_ANSWER));
    assert_true (out.flags & REPLICA_ANSWER_KNOWN);
    assert_int_equal (s_replica.state, REPLICA_LEADING);
    return epoch;
}

//  Leads (s_lead) and sends the queued orders: a batch is at the catalog.
static int64_t
s_lead_and_send (void)
{
    int64_t epoch = s_lead (0);
    replica_event_t work = s_event (REPLICA_TICK);
    work.pending = true;
    replica_actions_t out = s_step (work);
    assert_true (out.flags & REPLICA_SEND_BATCH);
    assert_int_equal (s_replica.call, REPLICA_CALL_BATCH);
    return epoch;
}

static void
test_a_new_leader_fences_then_catches_up_then_serves (void **state)
{
    (void) state;
    //  A follower fills its log from the catalog once, and sends nothing else
    s_replica.state = REPLICA_FOLLOWING;
    replica_event_t tick = s_event (REPLICA_TICK);
    tick.bus_leader = 2;
    replica_actions_t out = s_step (tick);
    assert_int_equal (out.flags, REPLICA_SEND_SINCE);
    replica_event_t answer = s_event (REPLICA_SINCE_ANSWER);
    answer.bus_leader = 2;
    out = s_step (answer);
    assert_true (out.flags & REPLICA_ANSWER_KNOWN);
    tick.now = s_now += 10;
    out = s_step (tick);
    assert_int_equal (out.flags & (REPLICA_SEND_SINCE | REPLICA_SEND_BATCH | REPLICA_SEND_FENCE), 0);
    //  Chosen: an epoch above all seen, ours in the low bits; no batch before fenced
    int64_t epoch = s_lead (0x120 | 2);
    assert_true (epoch > (0x120 | 2));
    assert_int_equal (epoch & 15, ID);
    replica_event_t work = s_event (REPLICA_TICK);
    work.pending = true;
    out = s_step (work);
    assert_true (out.flags & REPLICA_SEND_BATCH);
    assert_int_equal (out.epoch, epoch);
    assert_int_equal (s_replica.call, REPLICA_CALL_BATCH);
}

static void
test_no_batch_while_fencing_or_catching_up (void **state)
{
    (void) state;
    replica_event_t work = s_event (REPLICA_TICK);
    work.pending = true;
    work.caught_up = false;
    replica_actions_t out = s_step (work);              //  elected
    assert_int_equal (s_replica.state, REPLICA_FENCING);
    assert_false (out.flags & REPLICA_SEND_BATCH);
    replica_event_t fenced = s_event (REPLICA_FENCE_ANSWER);
    fenced.epoch = s_replica.epoch;
    fenced.pending = true;
    fenced.caught_up = false;
    out = s_step (fenced);
    assert_int_equal (s_replica.state, REPLICA_CATCHING_UP);
    assert_int_equal (out.flags & (REPLICA_SEND_BATCH | REPLICA_SEND_SINCE), 0);   //  peers first
}

//  The wedge: paused, replaced meanwhile, woken by heartbeats that still name
//  it. The newer epoch heard anywhere ends its term; if the bus names it again it takes
//  an epoch above that one: it never commits at the old epoch again.
static void
test_a_paused_leader_that_wakes_to_a_newer_epoch_steps_down (void **state)
{
    (void) state;
    int64_t old = s_lead_and_send ();
    s_now += 1200;                                      //  SIGSTOP, then SIGCONT
    replica_event_t woke = s_event (REPLICA_TICK);
    woke.epoch_seen = (old & ~15) + 16 + 2;             //  order2 led meanwhile
    woke.bus_leader = 2;
    replica_actions_t out = s_step (woke);
    assert_true (out.flags & REPLICA_DROP_CALL);        //  the batch at the catalog is forgotten
    assert_true (out.flags & REPLICA_REFUSE_ALL);       //  and everything we hold answered 503
    assert_string_equal (out.why, "order leader replaced, retry");
    assert_false (order_replica_leading (&s_replica));
    assert_false (out.flags & REPLICA_SEND_BATCH);
    //  order2 dies; the bus names us again: a fresh epoch above order2's
    s_now += 2500;
    woke.now = s_now;
    woke.bus_leader = ID;
    out = s_step (woke);
    assert_int_equal (s_replica.state, REPLICA_FENCING);
    assert_true (out.epoch > woke.epoch_seen);
    assert_true (out.flags & REPLICA_SEND_FENCE);
}

static void
test_a_refusal_at_a_newer_epoch_ends_the_term (void **state)
{
    (void) state;
    int64_t epoch = s_lead_and_send ();
    replica_event_t refused = s_event (REPLICA_BATCH_REFUSED);
    refused.epoch = epoch + 16;
    refused.next = 10;
    refused.bus_leader = 1;
    replica_actions_t out = s_step (refused);
    assert_true (out.flags & REPLICA_REQUEUE_BATCH);
    assert_true (out.flags & REPLICA_REFUSE_ALL);       //  the requeued batch goes with the rest
    assert_false (order_replica_leading (&s_replica));
    assert_int_equal (s_replica.catalog_epoch, epoch + 16);
}

static void
test_a_fence_answer_at_a_newer_epoch_is_not_fenced (void **state)
{
    (void) state;
    replica_actions_t out = s_tick ();
    replica_event_t answer = s_event (REPLICA_FENCE_ANSWER);
    answer.epoch = out.epoch + 16;
    answer.bus_leader = 1;
    out = s_step (answer);
    assert_false (order_replica_leading (&s_replica));
    assert_int_equal (out.flags & REPLICA_SEND_BATCH, 0);
}

static void
test_a_catalog_that_does_not_answer_sends_us_to_reconcile (void **state)
{
    (void) state;
    s_lead_and_send ();
    replica_event_t work = s_event (REPLICA_TICK);
    work.pending = REPLICA_PIPELINE_FILL;
    s_now += RETRY_MS - 1;
    work.now = s_now;
    replica_actions_t out = s_step (work);
    assert_int_equal (out.flags & (REPLICA_DROP_CALL | REPLICA_SEND_SINCE), 0);
    assert_true (out.flags & REPLICA_SEND_BATCH);       //  a second batch joins the first
    s_now += 1;
    work.now = s_now;
    out = s_step (work);                                //  the first one's deadline
    assert_true (out.flags & REPLICA_DROP_CALL);
    assert_true (out.flags & REPLICA_REQUEUE_BATCH);    //  both go back in the queue
    assert_true (out.flags & REPLICA_SEND_FENCE);       //  where does the catalog stand?
    assert_false (out.flags & REPLICA_SEND_BATCH);
    assert_true (order_replica_leading (&s_replica));
    replica_event_t fenced = s_event (REPLICA_FENCE_ANSWER);
    fenced.epoch = s_replica.epoch;
    fenced.seq = 1;                                     //  it applied the first
    out = s_step (fenced);
    assert_true (out.flags & REPLICA_SEND_SINCE);       //  what did the catalog apply?
    s_step (s_event (REPLICA_SINCE_ANSWER));
    out = s_step (work);
    assert_true (out.flags & REPLICA_SEND_BATCH);
    assert_int_equal (out.seq, 2);                      //  the catalog's next
}

static void
test_a_full_disk_steps_aside_until_the_log_takes_writes (void **state)
{
    (void) state;
    s_lead_and_send ();
    replica_actions_t out = s_step (s_event (REPLICA_WRITE_FAILED));
    assert_true (out.flags & REPLICA_REQUEUE_BATCH);
    assert_true (out.flags & REPLICA_REFUSE_ALL);
    assert_true (out.flags & REPLICA_LEAVE_BUS);
    assert_int_equal (s_replica.state, REPLICA_ASIDE);
    //  Probes once per retry period; never leads meanwhile, though the bus may name it
    out = s_tick ();
    assert_true (out.flags & REPLICA_PROBE_LOG);
    assert_false (order_replica_leading (&s_replica));
    s_now += RETRY_MS / 2;
    out = s_tick ();
    assert_false (out.flags & REPLICA_PROBE_LOG);
    s_now += RETRY_MS / 2;
    out = s_tick ();
    assert_true (out.flags & REPLICA_PROBE_LOG);
    out = s_step (s_event (REPLICA_LOG_WRITABLE));
    assert_true (out.flags & REPLICA_JOIN_BUS);
    assert_int_equal (s_replica.state, REPLICA_FOLLOWING);
    //  A leader that stepped aside leads again only after the bus's hold
    out = s_tick ();
    assert_false (order_replica_leading (&s_replica));
    s_now += HOLD_MS;
    out = s_tick ();
    assert_int_equal (s_replica.state, REPLICA_FENCING);
}

static void
test_a_write_failure_while_recording_the_epoch_steps_aside (void **state)
{
    (void) state;
    s_tick ();
    replica_actions_t out = s_step (s_event (REPLICA_WRITE_FAILED));
    assert_int_equal (s_replica.state, REPLICA_ASIDE);
    assert_true (out.flags & REPLICA_LEAVE_BUS);
}

static void
test_a_leader_without_a_majority_steps_aside_unless_alone (void **state)
{
    (void) state;
    s_lead (0);
    replica_event_t lonely = s_event (REPLICA_TICK);
    lonely.quorum = false;
    lonely.reachable = false;
    lonely.pending = true;
    //  Within the new leader's grace, and then a liveness period: holds on
    s_now += 2 * LIVENESS_MS;
    lonely.now = s_now;
    replica_actions_t out = s_step (lonely);
    assert_true (order_replica_leading (&s_replica));
    assert_false (out.flags & REPLICA_SEND_BATCH);      //  no batch without a majority
    //  Alone on the bus: keeps the role, refuses trades
    s_now += LIVENESS_MS + 1;
    lonely.now = s_now;
    lonely.service_size = 1;
    out = s_step (lonely);
    assert_true (order_replica_leading (&s_replica));
    assert_true (out.flags & REPLICA_REFUSE_ALL);
    assert_string_equal (out.why, "not enough order replicas for a majority");
    //  Another replica on the bus: it steps aside for it
    lonely.service_size = 2;
    out = s_step (lonely);
    assert_int_equal (s_replica.state, REPLICA_ASIDE);
    assert_true (out.flags & REPLICA_LEAVE_BUS);
    assert_string_equal (out.why, "order leader lost its majority, retry");
    //  It asks the replicas for what it lacks until a majority answers
    out = s_step (lonely);
    assert_true (out.flags & REPLICA_CATCH_UP);
    lonely.reachable = true;
    out = s_step (lonely);
    assert_true (out.flags & REPLICA_JOIN_BUS);
    assert_int_equal (s_replica.state, REPLICA_FOLLOWING);
}

static void
test_a_catalog_behind_our_log_is_not_asked_again_at_once (void **state)
{
    (void) state;
    s_lead_and_send ();
    replica_event_t work = s_event (REPLICA_TICK);
    work.pending = true;
    replica_event_t refused = s_event (REPLICA_BATCH_REFUSED);
    refused.epoch = s_replica.epoch;
    refused.next = 3;                                   //  our log holds up to 9
    refused.pending = true;
    replica_actions_t out = s_step (refused);
    assert_true (out.flags & REPLICA_REQUEUE_BATCH);
    assert_non_null (out.log);
    assert_int_equal (out.flags & (REPLICA_SEND_SINCE | REPLICA_SEND_BATCH), 0);
    s_now += RETRY_MS - 1;
    out = s_step (work);
    assert_int_equal (out.flags & (REPLICA_SEND_SINCE | REPLICA_SEND_BATCH), 0);
    s_now += 1;
    work.now = s_now;
    out = s_step (work);
    assert_true (out.flags & REPLICA_SEND_FENCE);
}

//  Batches pipeline: up to REPLICA_PIPELINE at the catalog, numbered 1, 2, ... in the
//  epoch, a batch joining others only when REPLICA_PIPELINE_FILL orders wait; each
//  answer (the oldest's) frees a place, and the deadline follows the oldest.
static void
test_batches_pipeline_up_to_the_limit (void **state)
{
    (void) state;
    s_lead_and_send ();
    replica_event_t work = s_event (REPLICA_TICK);
    work.pending = REPLICA_PIPELINE_FILL - 1;
    s_now += 10;
    work.now = s_now;
    assert_false (s_step (work).flags & REPLICA_SEND_BATCH);   //  too few to go early
    work.pending = REPLICA_PIPELINE_FILL;
    for (int seq = 2; seq <= REPLICA_PIPELINE; seq++) {
        s_now += 10;
        work.now = s_now;
        replica_actions_t out = s_step (work);
        assert_true (out.flags & REPLICA_SEND_BATCH);
        assert_int_equal (out.seq, seq);
    }
    s_now += 10;
    work.now = s_now;
    replica_actions_t out = s_step (work);
    assert_false (out.flags & REPLICA_SEND_BATCH);      //  full
    assert_int_equal (s_replica.inflight, REPLICA_PIPELINE);
    replica_event_t logged = s_event (REPLICA_BATCH_LOGGED);
    logged.pending = REPLICA_PIPELINE_FILL;
    out = s_step (logged);
    assert_true (out.flags & REPLICA_SEND_BATCH);       //  the freed place
    assert_int_equal (out.seq, REPLICA_PIPELINE + 1);
    assert_int_equal (s_replica.deadline, s_now - 30 + RETRY_MS);   //  now the second's
    //  A read beyond our log waits for a reconcile: no more batches until they are in.
    work.reads = true;
    for (int i = 0; i < REPLICA_PIPELINE; i++) {
        out = s_step (s_event (REPLICA_BATCH_LOGGED));
        assert_false (out.flags & REPLICA_SEND_SINCE);
        out = s_step (work);
        assert_false (out.flags & REPLICA_SEND_BATCH);
        assert_int_equal (out.flags & REPLICA_SEND_SINCE, i == REPLICA_PIPELINE - 1? REPLICA_SEND_SINCE: 0);
    }
    assert_int_equal (s_replica.call, REPLICA_CALL_SINCE);
}

//  One refused batch (the catalog lost one before it, or restarted): every batch in
//  flight goes back in the queue, the leader fences again at its own epoch to learn
//  the catalog's last batch, reconciles, and goes on from there.
static void
test_a_refused_batch_drains_the_pipeline (void **state)
{
    (void) state;
    int64_t epoch = s_lead_and_send ();
    replica_event_t work = s_event (REPLICA_TICK);
    work.pending = REPLICA_PIPELINE_FILL;
    s_step (work);
    s_step (work);
    assert_int_equal (s_replica.inflight, 3);
    replica_event_t refused = s_event (REPLICA_BATCH_REFUSED);
    refused.epoch = epoch;
    refused.next = 10;
    refused.pending = true;
    replica_actions_t out = s_step (refused);
    assert_true (out.flags & REPLICA_DROP_CALL);        //  the later two are dropped too
    assert_true (out.flags & REPLICA_REQUEUE_BATCH);
    assert_false (out.flags & REPLICA_REFUSE_ALL);      //  still the leader: nothing lost
    assert_true (out.flags & REPLICA_SEND_FENCE);
    assert_int_equal (out.epoch, epoch);                //  the same epoch
    assert_int_equal (s_replica.inflight, 0);
    replica_event_t fenced = s_event (REPLICA_FENCE_ANSWER);
    fenced.epoch = epoch;
    fenced.seq = 0;
    out = s_step (fenced);
    assert_true (out.flags & REPLICA_SEND_SINCE);
    s_step (s_event (REPLICA_SINCE_ANSWER));
    out = s_step (work);
    assert_true (out.flags & REPLICA_SEND_BATCH);
    assert_int_equal (out.seq, 1);
}

static void
test_a_follower_refuses_orders_and_reconciles_for_reads (void **state)
{
    (void) state;
    replica_event_t tick = s_event (REPLICA_TICK);
    tick.bus_leader = 2;
    s_step (tick);
    replica_event_t answer = s_event (REPLICA_SINCE_ANSWER);
    answer.bus_leader = 2;
    s_step (answer);
    tick.pending = true;
    tick.reads = true;
    replica_actions_t out = s_step (tick);
    assert_true (out.flags & REPLICA_REFUSE_QUEUE);
    assert_string_equal (out.why_queue, "not the order leader, retry");
    assert_true (out.flags & REPLICA_SEND_SINCE);
    assert_false (out.flags & REPLICA_SEND_BATCH);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup (test_a_new_leader_fences_then_catches_up_then_serves, s_setup),
        cmocka_unit_test_setup (test_no_batch_while_fencing_or_catching_up, s_setup),
        cmocka_unit_test_setup (test_a_paused_leader_that_wakes_to_a_newer_epoch_steps_down, s_setup),
        cmocka_unit_test_setup (test_a_refusal_at_a_newer_epoch_ends_the_term, s_setup),
        cmocka_unit_test_setup (test_a_fence_answer_at_a_newer_epoch_is_not_fenced, s_setup),
        cmocka_unit_test_setup (test_a_catalog_that_does_not_answer_sends_us_to_reconcile, s_setup),
        cmocka_unit_test_setup (test_a_full_disk_steps_aside_until_the_log_takes_writes, s_setup),
        cmocka_unit_test_setup (test_a_write_failure_while_recording_the_epoch_steps_aside, s_setup),
        cmocka_unit_test_setup (test_a_leader_without_a_majority_steps_aside_unless_alone, s_setup),
        cmocka_unit_test_setup (test_a_catalog_behind_our_log_is_not_asked_again_at_once, s_setup),
        cmocka_unit_test_setup (test_batches_pipeline_up_to_the_limit, s_setup),
        cmocka_unit_test_setup (test_a_refused_batch_drains_the_pipeline, s_setup),
        cmocka_unit_test_setup (test_a_follower_refuses_orders_and_reconciles_for_reads, s_setup),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
