/*  bz_stream: a subscriber's view of one PUB stream: see bz_stream.h.  */
#include "bz_stream.h"

void
bz_stream_reset (bz_stream_t *self)
{
    assert (self);
    memset (self, 0, sizeof *self);
}

bz_stream_event_t
bz_stream_accept (bz_stream_t *self, const char *publisher, int64_t seq, int64_t now)
{
    assert (self && publisher);
    bz_stream_event_t event;
    if (*self->publisher && strcmp (self->publisher, publisher))
        event = BZ_STREAM_NEW_PUBLISHER;
    else
    if (!self->live)
        event = BZ_STREAM_JOINED;
    else
        event = seq == self->next_seq? BZ_STREAM_IN_ORDER: BZ_STREAM_GAP;
    snprintf (self->publisher, sizeof self->publisher, "%s", publisher);
    self->next_seq = seq + 1;
    self->heard_at = now;
    self->live = true;
    return event;
}

bool
bz_stream_expire (bz_stream_t *self, int64_t now, int64_t limit_ms)
{
    assert (self);
    if (!self->live || now - self->heard_at <= limit_ms)
        return false;
    self->live = false;
    return true;
}
