/*  bz_stream: a subscriber's view of one PUB stream (schemas/PROTOCOL.md, "Streams").
    Every publisher stamps each message with its own id, new at every start, and a seq
    that counts from 0 over all its messages; a subscriber that tracks (publisher, seq)
    knows when it missed something: a gap in seq, a new publisher (the old one
    restarted, and what it sent meanwhile is lost to us), or silence past a liveness
    limit. Used by frontend_feed (the catalog's invalidations) and order_sync (the
    leader's replication). Pure: no socket, no clock of its own, so unit-tested.   */
#ifndef BZ_STREAM_H
#define BZ_STREAM_H

#include <czmq.h>

typedef struct {
    char publisher [41];        //  last publisher heard, "" before the first message
    int64_t next_seq;           //  the seq expected next
    int64_t heard_at;           //  clock of the last message, ms
    bool live;                  //  heard within the liveness limit
} bz_stream_t;

typedef enum {
    BZ_STREAM_IN_ORDER,         //  the expected seq from the known publisher
    BZ_STREAM_JOINED,           //  first message after start, reset or silence
    BZ_STREAM_GAP,              //  seq is not the one expected
    BZ_STREAM_NEW_PUBLISHER     //  another publisher than the one heard before
} bz_stream_event_t;

//  Forgets the stream: the next message JOINS it. A zeroed bz_stream_t is reset.
void bz_stream_reset (bz_stream_t *self);

//  Records a message (publisher, seq) heard at now and says how it fits the stream.
//  After any event the stream is live and expects seq + 1. Only IN_ORDER means that
//  nothing was missed since the previous message.
bz_stream_event_t bz_stream_accept (bz_stream_t *self, const char *publisher, int64_t seq,
                                    int64_t now);

//  True once, when a live stream has been silent for more than limit_ms at now; the
//  stream is then not live until the next message (which JOINS it).
bool bz_stream_expire (bz_stream_t *self, int64_t now, int64_t limit_ms);

#endif
