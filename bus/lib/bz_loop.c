/*  bz_loop: how every loop waits (see bz_loop.h).  */
#include "bz_loop.h"

void
bz_timer_init (bz_timer_t *self, int64_t period_ms, int64_t first_at)
{
    assert (self && period_ms > 0);
    self->period_ms = period_ms;
    self->at = first_at;
}

bool
bz_timer_fire (bz_timer_t *self, int64_t now)
{
    assert (self);
    if (now < self->at)
        return false;
    self->at = now + self->period_ms;
    return true;
}

bz_wake_t
bz_wake (int64_t now, int64_t longest_ms)
{
    bz_wake_t self = { now, longest_ms < 0? INT64_MAX: now + longest_ms };
    return self;
}

void
bz_wake_by (bz_wake_t *self, int64_t deadline)
{
    assert (self);
    if (deadline < self->at)
        self->at = deadline;
}

void
bz_wake_timer (bz_wake_t *self, const bz_timer_t *timer)
{
    assert (self && timer);
    bz_wake_by (self, timer->at);
}

long
bz_wake_ms (const bz_wake_t *self)
{
    assert (self);
    if (self->at == INT64_MAX)
        return -1;
    if (self->at <= self->now)
        return 0;
    int64_t wait = self->at - self->now;
    return wait < LONG_MAX? (long) wait: LONG_MAX;
}

int
bz_loop_poll (zmq_pollitem_t *items, int count, const bz_wake_t *wake, const char *who)
{
    assert (items && wake && who);
    int ready = zmq_poll (items, count, bz_wake_ms (wake));
    if (ready >= 0)
        return zsys_interrupted? -1: ready;
    if (zsys_interrupted)
        return -1;
    if (zmq_errno () == EINTR)
        return 0;                       //  another signal: the caller waits again
    zsys_error ("%s: cannot poll: %s", who, zmq_strerror (zmq_errno ()));
    return -1;
}
