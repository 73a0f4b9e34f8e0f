/*  order_replica: what one order replica does next, as a pure state machine.

    order_replica_step (state, event) → actions, with no I/O and no clock of its own:
    the event carries the time and what the server observed (the bus's choice of leader,
    the highest epoch heard, whether a majority acknowledges us). order_server does the
    I/O around it: it feeds every event in, and carries the actions out in the order of
    the flags below (PROBE_LOG last). So every decision about leading, fencing, catching up, stepping
    down and stepping aside lives here, and tests/test_order_replica.c drives it with a
    hand-set clock through each fault of docs/atomicity.md.

    States (docs/atomicity.md has why each step is safe):
        FOLLOWING     not leading; fills its log from the catalog once (SINCE)
        FENCING       chosen by the bus: a new epoch recorded, the catalog being fenced
        CATCHING_UP   fenced: waits for a majority of replicas' catch-up answers and
                      reconciles with the catalog before the first batch
        LEADING       sends batches while a majority acknowledges, up to REPLICA_PIPELINE
                      at a time; a batch refused or timed out sends it back to FENCING
                      (the same epoch) to learn where the catalog stands
        ASIDE         off the bus: its log cannot be written, or no majority answers  */
#ifndef ORDER_REPLICA_H
#define ORDER_REPLICA_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    REPLICA_FOLLOWING, REPLICA_FENCING, REPLICA_CATCHING_UP, REPLICA_LEADING, REPLICA_ASIDE
} replica_state_t;

//  What the replica has at the catalog: nothing, a fence, a SINCE, or up to
//  REPLICA_PIPELINE batches (answered in the order they were sent). A batch goes out
//  while others are in flight only when at least REPLICA_PIPELINE_FILL orders wait:
//  every batch costs a commit at the catalog and an append on every replica, so a
//  small one sent early costs more than it saves (docs/evaluation.md, "Pipelining").
#define REPLICA_PIPELINE        4
#define REPLICA_PIPELINE_FILL   32
typedef enum { REPLICA_CALL_NONE, REPLICA_CALL_FENCE, REPLICA_CALL_SINCE, REPLICA_CALL_BATCH } replica_call_t;

//  Why a replica is off the bus: it comes back when the cause is gone.
typedef enum { REPLICA_ON_BUS, REPLICA_LOG_FAILED, REPLICA_NO_MAJORITY } replica_absence_t;

typedef enum {
    REPLICA_TICK,               //  time passed or something was observed: look again
    REPLICA_FENCE_ANSWER,       //  the catalog's answer to our fence: .epoch (0: malformed), .seq
    REPLICA_BATCH_LOGGED,       //  the oldest batch's trades are in our log (the server answered them)
    REPLICA_BATCH_REFUSED,      //  the catalog refused the oldest batch: .epoch, .next it expects
    REPLICA_BATCH_INVALID,      //  an answer to the oldest batch that we cannot trust
    REPLICA_SINCE_ANSWER,       //  the catalog's trades were appended; .more: there are more
    REPLICA_SINCE_INVALID,      //  an answer to SINCE that we could not take in
    REPLICA_WRITE_FAILED,       //  our log refused a write (a full disk, an I/O error)
    REPLICA_LOG_WRITABLE        //  a probe wrote to our log again
} replica_event_id_t;

typedef struct {
    replica_event_id_t id;
    int64_t now;                //  monotonic ms
    //  What the server observes (read on every event)
    int bus_leader;             //  the rank the broker names leader (0: none or unknown)
    int64_t epoch_seen;         //  the highest epoch heard on a stream or a heartbeat
    int service_size;           //  live order workers the broker counts, us included
    bool quorum;                //  a majority of followers acknowledged within liveness
    bool reachable;             //  a majority answered catch-up requests within liveness
    bool caught_up;             //  a majority answered the catch-up in full
    size_t pending;             //  orders waiting for a batch
    bool reads;                 //  reads beyond our log wait for a reconcile
    int64_t last;               //  our log's last number (-1: empty)
    //  Event data
    int64_t epoch;              //  FENCE_ANSWER, BATCH_REFUSED: the catalog's epoch
    int64_t seq;                //  FENCE_ANSWER: the last batch the catalog applied at it
    int64_t next;               //  BATCH_REFUSED: the number the catalog expects
    bool more;                  //  SINCE_ANSWER: a full page, ask again
} replica_event_t;

//  Actions, carried out in this order, except PROBE_LOG, which comes last.
enum {
    REPLICA_DROP_CALL      = 1 << 0,    //  forget every catalog request in flight (late replies are dropped)
    REPLICA_REQUEUE_BATCH  = 1 << 1,    //  every batch in flight goes back in front of the queue
    REPLICA_REFUSE_ALL     = 1 << 2,    //  answer 503 (.why) to the batches, the queue, the unacked, the reads
    REPLICA_REFUSE_QUEUE   = 1 << 3,    //  answer 503 (.why_queue) to the orders waiting for a batch
    REPLICA_LEAVE_BUS      = 1 << 4,    //  unregister from the bus
    REPLICA_RECORD_EPOCH   = 1 << 5,    //  write .epoch to our log (a failure: feed WRITE_FAILED)
    REPLICA_ANNOUNCE_EPOCH = 1 << 6,    //  tell the bus our epoch
    REPLICA_CATCH_UP       = 1 << 7,    //  ask every other replica for what we lack
    REPLICA_JOIN_BUS       = 1 << 8,    //  register with the bus again
    REPLICA_PROBE_LOG      = 1 << 9,    //  try a write to our log (success: feed LOG_WRITABLE)
    REPLICA_SEND_FENCE     = 1 << 10,   //  BATCH{.epoch, count 0} to the catalog
    REPLICA_SEND_SINCE     = 1 << 11,   //  SINCE{our last + 1} to the catalog
    REPLICA_SEND_BATCH     = 1 << 12,   //  the next batch, at .epoch with sequence .seq
    REPLICA_ANSWER_KNOWN   = 1 << 13    //  answer queued orders and reads our log now holds
};

typedef struct {
    unsigned flags;
    int64_t epoch;              //  RECORD_EPOCH, SEND_FENCE, SEND_BATCH
    int64_t seq;                //  SEND_BATCH: its place in our epoch (1, 2, ...)
    const char *why;            //  REFUSE_ALL
    const char *why_queue;      //  REFUSE_QUEUE
    const char *log;            //  a line worth logging about this step, or NULL
    int64_t deadline;           //  SEND_*: when the request times out
} replica_actions_t;

typedef struct {
    int id;
    replica_state_t state;
    replica_call_t call;        //  at the catalog now
    int64_t deadline;           //  of that call (of the oldest batch)
    int64_t sent_at [REPLICA_PIPELINE];     //  CALL_BATCH: when each batch in flight left, oldest first
    int inflight;               //  CALL_BATCH: how many
    int64_t seq;                //  the last batch sent at our epoch
    int64_t epoch;              //  ours: above every epoch we saw when we were chosen
    int64_t catalog_epoch;      //  the highest epoch the catalog told us of
    bool fresh;                 //  our log matches the catalog as of the last reconcile
    replica_absence_t absence;
    int64_t probe_at;           //  ASIDE: when to try again
    int64_t stepped_aside_at;   //  when we last left the bus while leading (0: never)
    int64_t leading_since;
    int64_t quorum_at;          //  leading: when a majority last acknowledged
    int64_t calm_until;         //  no catalog request before this
    int retry_ms;               //  a catalog request's time limit, and the probe period
    int liveness_ms;            //  heartbeat × liveness
    int quorum_wait_ms;         //  a new leader's grace for followers to answer
    int hold_ms;                //  a leader that stepped aside leads again no sooner
} order_replica_t;

//  A replica with log epoch epoch, following, not yet fresh.
void order_replica_init (order_replica_t *self, int id, int64_t epoch,
                         int retry_ms, int liveness_ms, int hold_ms);

//  Takes one event; returns what to do.
replica_actions_t order_replica_step (order_replica_t *self, const replica_event_t *event);

//  True in FENCING, CATCHING_UP and LEADING: the bus routes orders to us.
bool order_replica_leading (const order_replica_t *self);

//  The state's name, for logs and tests.
const char *order_replica_state_name (replica_state_t state);

#endif
