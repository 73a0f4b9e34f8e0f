/*  frontend_feed: follows the catalog's PUB stream (INVALIDATE and HEARTBEAT, one seq) in
    a background actor and keeps frontend_cache in step. Started by frontend_server.

    An INVALIDATE drops its stock's entry rather than refreshing it with the pushed state:
    pushes arrive after the catalog replied, so one can be older than a trade this frontend
    already acknowledged (and invalidated itself); the next lookup reads the catalog.    */
#include <czmq.h>
#include <stdatomic.h>
#include <pthread.h>
#include "bz_loop.h"
#include "bz_msg.h"
#include "bz_security.h"
#include "bz_socket.h"
#include "bz_stream.h"
#include "frontend_feed.h"
#include "frontend_live.h"

struct _frontend_feed_t {
    frontend_cache_t *cache;            //  not owned
    frontend_live_t *live;              //  not owned; NULL: no live pages
    char *endpoint;
    bz_security_t *security;            //  the process's; NULL: curve on but none set
    int64_t limit_ms;                   //  silence before the stream counts as dead
    int heartbeat_ms;
    zactor_t *actor;
    atomic_bool started;                      //  set by the actor before it signals its start
    pthread_mutex_t lock;               //  guards status: the actor writes, HTTP reads
    frontend_feed_status_t status;
};

static const char *s_reasons [FRONTEND_FLUSH_REASONS] = {
    "gap", "publisher", "silence", "malformed"
};

const char *
frontend_feed_reason (frontend_flush_reason_t reason)
{
    return (unsigned) reason < FRONTEND_FLUSH_REASONS? s_reasons [reason]: "other";
}

//  --------------------------------------------------------------------------
//  The actor

typedef struct {
    frontend_feed_t *feed;
    bz_stream_t stream;
    zsock_t *subscriber;
    int64_t warned_at;                  //  malformed messages are logged once a second
    bz_timer_t redial;                  //  while the stream is not live: redials
} feed_state_t;

static void
s_flush (feed_state_t *state, frontend_flush_reason_t reason)
{
    frontend_feed_t *feed = state->feed;
    frontend_cache_flush (feed->cache);
    if (feed->live)
        frontend_live_resync (feed->live, frontend_feed_reason (reason));
    pthread_mutex_lock (&feed->lock);
    feed->status.flushes [reason]++;
    pthread_mutex_unlock (&feed->lock);
}

static void
s_publish_status (feed_state_t *state)
{
    frontend_feed_t *feed = state->feed;
    pthread_mutex_lock (&feed->lock);
    feed->status.live = state->stream.live;
    snprintf (feed->status.publisher, sizeof feed->status.publisher, "%s", state->stream.publisher);
    feed->status.next_seq = state->stream.next_seq;
    feed->status.messages++;
    pthread_mutex_unlock (&feed->lock);
}

static void
s_malformed (feed_state_t *state, const char *why)
{
    int64_t now = zclock_mono ();
    if (now - state->warned_at >= 1000) {
        zsys_warning ("frontend: malformed message on the catalog stream: %s", why);
        state->warned_at = now;
    }
    if (state->stream.live)
        s_flush (state, FRONTEND_FLUSH_MALFORMED);
}

//  One message: topic frame ("inv" or "hb") and the body that topic carries.
static void
s_on_message (feed_state_t *state, zmsg_t *message)
{
    frontend_feed_t *feed = state->feed;
    zframe_t *topic = zmsg_first (message);
    zframe_t *body = zmsg_next (message);
    if (zmsg_size (message) != 2) {
        s_malformed (state, "not two frames");
        return;
    }
    bz_msg_id_t expected = zframe_streq (topic, "inv")? BZ_MSG_INVALIDATE
                         : zframe_streq (topic, "hb")? BZ_MSG_HEARTBEAT: BZ_MSG_NONE;
    bz_msg_t msg;
    char error [128] = "unknown topic";
    if (expected == BZ_MSG_NONE
    ||  bz_msg_decode_frame (&msg, body, error, sizeof error) != expected) {
        s_malformed (state, expected == BZ_MSG_NONE? error: *error? error: "wrong message for its topic");
        return;
    }
    bool was_live = state->stream.live;
    switch (bz_stream_accept (&state->stream, msg.publisher, msg.seq, zclock_mono ())) {
        case BZ_STREAM_NEW_PUBLISHER:
            zsys_info ("frontend: catalog stream has a new publisher %s: cache flushed", msg.publisher);
            s_flush (state, FRONTEND_FLUSH_PUBLISHER);
            break;
        case BZ_STREAM_GAP:
            zsys_info ("frontend: catalog stream gap before seq %" PRId64 ": cache flushed", msg.seq);
            s_flush (state, FRONTEND_FLUSH_GAP);
            break;
        default:
            break;
    }
    if (!was_live) {
        zsys_info ("frontend: catalog stream from %s live at seq %" PRId64 ": cache on",
                   msg.publisher, msg.seq);
        frontend_cache_set_healthy (feed->cache, true);
        if (feed->live)
            frontend_live_resync (feed->live, "joined");
    }
    if (msg.id == BZ_MSG_INVALIDATE) {
        frontend_cache_invalidate (feed->cache, msg.name);
        if (feed->live)
            frontend_live_stock (feed->live, &msg);
    }
    s_publish_status (state);
}

static void
s_expire (feed_state_t *state)
{
    if (bz_stream_expire (&state->stream, zclock_mono (), state->feed->limit_ms)) {
        zsys_info ("frontend: catalog stream silent for %" PRId64 " ms: cache off until it resumes",
                   state->feed->limit_ms);
        frontend_cache_set_healthy (state->feed->cache, false);
        pthread_mutex_lock (&state->feed->lock);
        state->feed->status.flushes [FRONTEND_FLUSH_SILENCE]++;
        state->feed->status.live = false;
        pthread_mutex_unlock (&state->feed->lock);
    }
    //  Not heard for a liveness period: the connection may be one libzmq gave up on.
    if (!state->stream.live && bz_timer_fire (&state->redial, zclock_mono ()))
        bz_socket_redial (state->subscriber, state->feed->endpoint);
}

static void
s_feed_actor (zsock_t *pipe, void *args)
{
    feed_state_t state;
    memset (&state, 0, sizeof state);
    state.feed = (frontend_feed_t *) args;
    state.subscriber = zsock_new (ZMQ_SUB);
    if (state.subscriber) {
        //  A frame larger than any message is refused by ZeroMQ before we see it;
        //  a deep queue rides out a burst of invalidations while we are descheduled.
        zsock_set_maxmsgsize (state.subscriber, BZ_MSG_MAX_SIZE);
        zsock_set_rcvhwm (state.subscriber, BZ_HWM);
        zsock_set_subscribe (state.subscriber, "inv");
        zsock_set_subscribe (state.subscriber, "hb");
        if (bz_security_client (state.feed->security, state.subscriber)
        ||  zsock_connect (state.subscriber, "%s", state.feed->endpoint))
            zsock_destroy (&state.subscriber);
    }
    //  zactor_new ignores the signal's status: the constructor reads started instead
    atomic_store (&state.feed->started, state.subscriber != NULL);
    zsock_signal (pipe, state.subscriber? 0: 1);
    if (!state.subscriber) {
        zsys_error ("frontend: cannot follow the catalog stream at %s", state.feed->endpoint);
        return;
    }
    bz_timer_init (&state.redial, state.feed->limit_ms, zclock_mono () + state.feed->limit_ms);
    zmq_pollitem_t items [] = {
        { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (state.subscriber), 0, ZMQ_POLLIN, 0 }
    };
    while (true) {
        //  Woken every heartbeat at least: s_expire watches the stream's silence
        bz_wake_t wake = bz_wake (zclock_mono (), state.feed->heartbeat_ms);
        if (bz_loop_poll (items, 2, &wake, "frontend feed") < 0)
            break;
        if (items [0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv (pipe);
            bool stop = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (stop)
                break;
        }
        if (items [1].revents & ZMQ_POLLIN) {
            //  Drain what is queued before looking at the clock again
            for (int i = 0; i < 1000 && (zsock_events (state.subscriber) & ZMQ_POLLIN); i++) {
                zmsg_t *message = zmsg_recv (state.subscriber);
                if (!message)
                    break;
                s_on_message (&state, message);
                zmsg_destroy (&message);
            }
        }
        s_expire (&state);
    }
    zsock_destroy (&state.subscriber);
}

//  --------------------------------------------------------------------------

frontend_feed_t *
frontend_feed_new (bz_config_t *config, frontend_cache_t *cache, frontend_live_t *live)
{
    assert (config && cache);
    frontend_feed_t *self = (frontend_feed_t *) zmalloc (sizeof (frontend_feed_t));
    self->cache = cache;
    self->live = live;
    self->endpoint = strdup (bz_config_endpoint (config, "catalog"));
    self->security = bz_security_for (config);
    int64_t heartbeat = bz_config_int (config, "heartbeat_ms");
    int64_t liveness = bz_config_int (config, "liveness");
    self->heartbeat_ms = (heartbeat > 0 && heartbeat <= 60000)? (int) heartbeat: 100;
    self->limit_ms = self->heartbeat_ms * ((liveness > 0 && liveness <= 100)? liveness: 5);
    pthread_mutex_init (&self->lock, NULL);
    //  Nothing is served from the cache before the stream is heard
    frontend_cache_set_healthy (cache, false);
    self->actor = zactor_new (s_feed_actor, self);
    if (!self->actor || !atomic_load (&self->started) || !self->endpoint)
        frontend_feed_destroy (&self);
    return self;
}

void
frontend_feed_destroy (frontend_feed_t **self_p)
{
    assert (self_p);
    frontend_feed_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->actor);
    pthread_mutex_destroy (&self->lock);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

void
frontend_feed_status (frontend_feed_t *self, frontend_feed_status_t *status)
{
    assert (self && status);
    pthread_mutex_lock (&self->lock);
    *status = self->status;
    pthread_mutex_unlock (&self->lock);
}

bool
frontend_feed_render_metrics (frontend_feed_t *self, char *buffer, size_t size, size_t *used)
{
    assert (buffer && used && *used <= size);
    frontend_feed_status_t feed;
    memset (&feed, 0, sizeof feed);
    if (self)
        frontend_feed_status (self, &feed);
    size_t at = *used;
    int n = snprintf (buffer + at, size - at,
        "# HELP bazaar_cache_stream_live 1 when the catalog invalidation stream is heard in order.\n"
        "# TYPE bazaar_cache_stream_live gauge\n"
        "bazaar_cache_stream_live %d\n"
        "# HELP bazaar_cache_flushes_total Whole-cache flushes forced by the invalidation stream.\n"
        "# TYPE bazaar_cache_flushes_total counter\n", feed.live? 1: 0);
    for (int reason = 0; n >= 0 && (size_t) n < size - at; reason++) {
        at += (size_t) n;
        if (reason == FRONTEND_FLUSH_REASONS) {
            *used = at;
            return true;
        }
        n = snprintf (buffer + at, size - at, "bazaar_cache_flushes_total{reason=\"%s\"} %" PRIu64 "\n",
            frontend_feed_reason ((frontend_flush_reason_t) reason), feed.flushes [reason]);
    }
    return false;
}
