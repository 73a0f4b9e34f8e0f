/*  bz_loop: how every loop in Bazaar waits, for input on its sockets or for its next
    deadline, whichever comes first.

    A loop keeps its own deadlines on the monotonic clock (zclock_mono): periodic work
    (heartbeats, ticks, redials) as a bz_timer_t, one-off deadlines (a request's, a
    hold's end) as plain times. Before each poll it gathers them into a bz_wake_t, the
    earliest of them, and polls with bz_loop_poll until then; after it, it asks each
    timer whether it is due. No loop does its own wake-time arithmetic.

        bz_wake_t wake = bz_wake (now, tick_ms);
        bz_wake_timer (&wake, &self->heartbeat);
        bz_wake_by (&wake, self->deadline);
        if (bz_loop_poll (items, 2, &wake, "catalog") < 0)
            break;
        ...
        if (bz_timer_fire (&self->heartbeat, zclock_mono ()))
            s_publish_heartbeat (self);

    CZMQ's zloop would do as much with callbacks; the services' loops read their
    sockets in an order that matters (the worker's requests before the timers, a
    bounded drain per pass), which a plain loop shows best.  */
#ifndef BZ_LOOP_H
#define BZ_LOOP_H

#include <czmq.h>

//  Periodic work: due at `at`, then every period_ms after each time it fires.
typedef struct {
    int64_t at;
    int64_t period_ms;
} bz_timer_t;

//  A loop's next wake-up: the earliest of its deadlines, seen from now.
typedef struct {
    int64_t now;
    int64_t at;                 //  INT64_MAX: no deadline, wait for input
} bz_wake_t;

//  The timer is first due at first_at (now: at once), then every period_ms.
void bz_timer_init (bz_timer_t *self, int64_t period_ms, int64_t first_at);

//  True when the timer is due at now; it is then due again period_ms from now.
bool bz_timer_fire (bz_timer_t *self, int64_t now);

//  A wake-up at most longest_ms from now (a negative longest_ms: none until a deadline
//  is added).
bz_wake_t bz_wake (int64_t now, int64_t longest_ms);

//  Wakes no later than deadline (one already past wakes at once).
void bz_wake_by (bz_wake_t *self, int64_t deadline);

//  Wakes no later than the timer is due.
void bz_wake_timer (bz_wake_t *self, const bz_timer_t *timer);

//  The wake-up as zmq_poll's timeout: milliseconds from now, 0 when due, -1 for none.
long bz_wake_ms (const bz_wake_t *self);

//  Polls items until one has input or the wake-up is due. Returns the number of items
//  with input (0 when the wake-up came first, or a signal other than SIGINT/SIGTERM
//  interrupted the wait), or -1 when the process was interrupted (zsys_interrupted) or
//  the poll failed (logged as who's).
int bz_loop_poll (zmq_pollitem_t *items, int count, const bz_wake_t *wake, const char *who);

#endif
