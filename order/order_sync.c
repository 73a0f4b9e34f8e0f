/*  order_sync: the replication protocol of schemas/PROTOCOL.md, "order replication".
    Order numbers mean the same order on every replica (the catalog assigns them once),
    so an acknowledgment of number N (the count of orders held) from any epoch proves
    orders 0..N-1 durable there.  */
#include "order_sync.h"
#include "bz_limits.h"
#include "bz_msg.h"
#include "bz_security.h"
#include "bz_socket.h"
#include "bz_stream.h"

#define APPLY_MAX       4096    //  orders a follower applies in one transaction
#define SINCE_MAX       1000    //  orders in one catch-up answer

typedef struct {
    zsock_t *dealer;            //  to the peer's sync ROUTER
    int64_t acked;              //  highest number the peer made durable (-1: none)
    int64_t seen_at;            //  when it last acknowledged
    int64_t answered_at;        //  when it last answered a catch-up request
    bool asking;                //  a catch-up request is waiting for its answer
    bool answered;              //  it sent all it had since the last order_sync_catch_up
    int64_t ask_deadline;
    char *pub_endpoint;         //  its stream, which our SUB follows
    char *sync_endpoint;        //  its sync ROUTER, where our dealer talks
    int64_t unsent_since;       //  since when sends to it fail (0: they go out)
    int64_t redial_at;          //  sends failing: when the dealer is next redialled
} peer_t;

struct _order_sync_t {
    int id;
    int replicas;
    order_log_t *log;
    zsock_t *pub, *router, *sub;
    peer_t peers [BZ_REPLICAS_MAX + 1];    //  by replica id; our own slot unused
    char publisher [41];        //  our stream's id, new at every start
    int64_t seq;                //  of the next message on our stream (from 0, as every stream)
    int64_t epoch_seen;
    int leader;                 //  as a follower: whose stream we apply (0: none)
    int64_t leader_epoch;
    bz_stream_t leader_stream;  //  the leader's REPLICATE stream, as we heard it
    int heartbeat_ms, liveness, retry_ms;
    int64_t stream_at;          //  when a peer's stream was last heard on our SUB
    int64_t sub_redial_at;      //  a follower hearing no stream: when the SUB is next redialled
    bz_msg_t *records;          //  APPLY_MAX, reused
};

static zsock_t *
s_socket (int type, bz_config_t *config)
{
    zsock_t *socket = zsock_new (type);
    if (socket) {
        zsock_set_linger (socket, 0);
        zsock_set_sndhwm (socket, BZ_HWM);
        zsock_set_rcvhwm (socket, BZ_HWM);
        zsock_set_maxmsgsize (socket, (int) bz_config_int (config, "max_frame"));
        //  ZMTP heartbeats: a connection that went silent (a partition, a paused peer)
        //  is dropped after a liveness period and redialled every 50-500 ms, so the
        //  stream resumes as soon as the network does, not after TCP's backoff.
        int heartbeat_ms = (int) bz_config_int (config, "heartbeat_ms");
        zsock_set_heartbeat_ivl (socket, heartbeat_ms);
        zsock_set_heartbeat_timeout (socket, heartbeat_ms * (int) bz_config_int (config, "liveness"));
        zsock_set_reconnect_ivl (socket, 50);
        zsock_set_reconnect_ivl_max (socket, 500);
    }
    return socket;
}

order_sync_t *
order_sync_new (bz_config_t *config, int id, order_log_t *log)
{
    assert (config && log);
    order_sync_t *self = (order_sync_t *) zmalloc (sizeof (order_sync_t));
    self->id = id;
    self->log = log;
    self->replicas = (int) bz_config_int (config, "order_replicas");
    if (self->replicas < 1 || self->replicas > BZ_REPLICAS_MAX || id < 1 || id > self->replicas) {
        zsys_error ("order %d: order_replicas must be 1..%d and include this id", id, BZ_REPLICAS_MAX);
        free (self);
        return NULL;
    }
    self->heartbeat_ms = (int) bz_config_int (config, "heartbeat_ms");
    self->liveness = (int) bz_config_int (config, "liveness");
    self->retry_ms = (int) bz_config_int (config, "retry_ms");
    //  A new SUB is dialling already: it counts as silent only a liveness period from now.
    self->stream_at = zclock_mono ();
    self->records = (bz_msg_t *) zmalloc (APPLY_MAX * sizeof (bz_msg_t));
    zuuid_t *uuid = zuuid_new ();
    snprintf (self->publisher, sizeof self->publisher, "%s", zuuid_str_canonical (uuid));
    zuuid_destroy (&uuid);
    self->pub = s_socket (ZMQ_PUB, config);
    self->router = s_socket (ZMQ_ROUTER, config);
    self->sub = s_socket (ZMQ_SUB, config);
    char name [32];
    snprintf (name, sizeof name, "order%d", id);
    const char *pub_endpoint = bz_config_bind (config, name);
    snprintf (name, sizeof name, "order%d.sync", id);
    const char *sync_endpoint = bz_config_bind (config, name);
    //  Replication carries orders: only the cluster's processes may read or feed it.
    bz_security_t *security = bz_security_for (config);
    if (!self->pub || !self->router || !self->sub
    ||  bz_security_server (security, self->pub)
    ||  bz_security_server (security, self->router)
    ||  bz_security_client (security, self->sub)
    ||  zsock_bind (self->pub, "%s", pub_endpoint) < 0
    ||  zsock_bind (self->router, "%s", sync_endpoint) < 0) {
        zsys_error ("order %d: cannot bind %s / %s", id, pub_endpoint, sync_endpoint);
        order_sync_destroy (&self);
        return NULL;
    }
    zsock_set_subscribe (self->sub, "");
    for (int peer = 1; peer <= self->replicas; peer++) {
        self->peers [peer].acked = -1;
        if (peer == id)
            continue;
        snprintf (name, sizeof name, "order%d", peer);
        self->peers [peer].pub_endpoint = strdup (bz_config_endpoint (config, name));
        zsock_connect (self->sub, "%s", self->peers [peer].pub_endpoint);
        //  Sends never wait: a message for a peer that is down fails at once.
        zsock_t *dealer = s_socket (ZMQ_DEALER, config);
        if (!dealer || bz_security_client (security, dealer)) {
            zsock_destroy (&dealer);
            order_sync_destroy (&self);
            return NULL;
        }
        zsock_set_immediate (dealer, 1);
        zsock_set_sndtimeo (dealer, 0);
        snprintf (name, sizeof name, "order%d.sync", peer);
        self->peers [peer].sync_endpoint = strdup (bz_config_endpoint (config, name));
        zsock_connect (dealer, "%s", self->peers [peer].sync_endpoint);
        self->peers [peer].dealer = dealer;
    }
    return self;
}

void
order_sync_destroy (order_sync_t **self_p)
{
    assert (self_p);
    order_sync_t *self = *self_p;
    if (!self)
        return;
    for (int peer = 1; peer <= BZ_REPLICAS_MAX; peer++) {
        zsock_destroy (&self->peers [peer].dealer);
        free (self->peers [peer].pub_endpoint);
        free (self->peers [peer].sync_endpoint);
    }
    zsock_destroy (&self->pub);
    zsock_destroy (&self->router);
    zsock_destroy (&self->sub);
    free (self->records);
    free (self);
    *self_p = NULL;
}

int
order_sync_poll_items (order_sync_t *self, zmq_pollitem_t *items, int max)
{
    assert (self && max >= 2 + BZ_REPLICAS_MAX);
    int count = 0;
    items [count++] = (zmq_pollitem_t) { zsock_resolve (self->sub), 0, ZMQ_POLLIN, 0 };
    items [count++] = (zmq_pollitem_t) { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 };
    for (int peer = 1; peer <= self->replicas; peer++)
        if (self->peers [peer].dealer)
            items [count++] = (zmq_pollitem_t) { zsock_resolve (self->peers [peer].dealer), 0, ZMQ_POLLIN, 0 };
    return count;
}

//  Sends one message to a peer's sync ROUTER without waiting. Returns true if it went
//  out; a send that fails means no connection (the dealer is IMMEDIATE), and one that
//  keeps failing for a liveness period gets the dealer redialled (order_sync_tick).
static bool
s_send_peer (order_sync_t *self, int peer, const bz_msg_t *msg)
{
    peer_t *target = &self->peers [peer];
    zframe_t *frame = bz_msg_encode (msg);
    bool sent = zframe_send (&frame, target->dealer, ZFRAME_DONTWAIT) == 0;
    if (!sent)
        zframe_destroy (&frame);
    if (sent)
        target->unsent_since = 0;
    else
    if (!target->unsent_since)
        target->unsent_since = zclock_mono ();
    return sent;
}

//  Asks a peer for every order after our last one (once at a time per peer).
static void
s_ask (order_sync_t *self, int peer)
{
    peer_t *target = &self->peers [peer];
    int64_t now = zclock_mono ();
    if (!target->dealer || (target->asking && now < target->ask_deadline))
        return;
    bz_msg_t since;
    bz_msg_init (&since, BZ_MSG_SINCE);
    since.number = order_log_last (self->log) + 1;
    since.count = SINCE_MAX;
    target->asking = s_send_peer (self, peer, &since);     //  false: the peer is down
    target->ask_deadline = now + self->retry_ms;
}

static void
s_ack (order_sync_t *self, int peer)
{
    bz_msg_t ack;
    bz_msg_init (&ack, BZ_MSG_ACK);
    ack.epoch = self->leader_epoch;
    ack.number = order_log_last (self->log) + 1;     //  orders held: 0..number-1
    ack.rank = self->id;
    if (self->peers [peer].dealer)
        s_send_peer (self, peer, &ack);
}

//  Decodes the RECORD frames of msg that continue our log (plus already pending ones)
//  into self->records from *count on. Returns false if a record is missing (a gap).
static bool
s_collect (order_sync_t *self, zmsg_t *msg, size_t *count)
{
    char error [128];
    for (zframe_t *frame = zmsg_next (msg); frame; frame = zmsg_next (msg)) {
        bz_msg_t *record = &self->records [*count];
        if (bz_msg_decode_frame (record, frame, error, sizeof error) != BZ_MSG_RECORD)
            return false;
        int64_t next = order_log_last (self->log) + 1 + (int64_t) *count;
        if (record->number > next)
            return false;
        if (record->number == next && ++*count == APPLY_MAX) {
            if (order_log_append (self->log, self->records, *count))
                return false;
            *count = 0;
        }
    }
    return true;
}

static void
s_apply (order_sync_t *self, size_t count)
{
    if (count && order_log_append (self->log, self->records, count))
        zsys_error ("order %d: cannot apply %zu replicated orders", self->id, count);
}

//  A message on our SUB from the leader's stream. Returns the replica to acknowledge
//  (0: none); sets *behind when we must fetch what we missed.
static int
s_follow_one (order_sync_t *self, zmsg_t *msg, size_t *count, bool *behind)
{
    bz_msg_t head;
    char error [128];
    if (bz_msg_decode_frame (&head, zmsg_first (msg), error, sizeof error) != BZ_MSG_REPLICATE
    ||  head.rank < 1 || head.rank > self->replicas || head.rank == self->id
    ||  head.count != (int64_t) zmsg_size (msg) - 1)
        return 0;                                   //  garbage or our own echo
    self->stream_at = zclock_mono ();
    if (head.epoch > self->epoch_seen)
        self->epoch_seen = head.epoch;
    if (head.epoch < self->leader_epoch)
        return 0;                                   //  a stale leader: never applied
    if (head.epoch > self->leader_epoch || head.rank != self->leader) {
        zsys_info ("order %d: following replica %d at epoch %" PRId64, self->id, (int) head.rank, head.epoch);
        self->leader = (int) head.rank;
        self->leader_epoch = head.epoch;
        bz_stream_reset (&self->leader_stream);
        order_log_set_epoch (self->log, head.epoch);
    }
    //  A new stream (check from the start), or PUB/SUB dropped something.
    if (bz_stream_accept (&self->leader_stream, head.publisher, head.seq, self->stream_at)
        != BZ_STREAM_IN_ORDER)
        *behind = true;
    if (!s_collect (self, msg, count))
        *behind = true;
    if (head.number > order_log_last (self->log) + 1 + (int64_t) *count)
        *behind = true;
    return self->leader;
}

static void
s_handle_sub (order_sync_t *self)
{
    size_t count = 0;
    bool behind = false;
    int ack_to = 0;
    for (int i = 0; i < 1000 && (zsock_events (self->sub) & ZMQ_POLLIN); i++) {
        zmsg_t *msg = zmsg_recv (self->sub);
        if (!msg)
            break;
        int leader = s_follow_one (self, msg, &count, &behind);
        if (leader)
            ack_to = leader;
        zmsg_destroy (&msg);
    }
    s_apply (self, count);                          //  one fsync for the whole burst
    if (behind && ack_to)
        s_ask (self, ack_to);
    if (ack_to)
        s_ack (self, ack_to);
}

//  The sync ROUTER: acknowledgments from followers and catch-up requests from anyone.
static void
s_handle_router (order_sync_t *self)
{
    for (int i = 0; i < 1000 && (zsock_events (self->router) & ZMQ_POLLIN); i++) {
        zmsg_t *msg = zmsg_recv (self->router);
        if (!msg)
            break;
        zframe_t *identity = zmsg_pop (msg);
        bz_msg_t request;
        char error [128];
        bz_msg_id_t id = zmsg_size (msg) == 1
                       ? bz_msg_decode_frame (&request, zmsg_first (msg), error, sizeof error)
                       : BZ_MSG_NONE;
        if (id == BZ_MSG_ACK && request.rank >= 1 && request.rank <= self->replicas
        &&  request.rank != self->id) {
            peer_t *peer = &self->peers [request.rank];
            if (request.number - 1 > peer->acked)
                peer->acked = request.number - 1;
            peer->seen_at = zclock_mono ();
        }
        else
        if (id == BZ_MSG_SINCE) {
            int max = request.count < SINCE_MAX? (int) request.count: SINCE_MAX;
            int found = order_log_since (self->log, request.number, self->records, max);
            //  Our log cannot be read (logged): no answer, rather than one that says
            //  "nothing more"; the asker tries again or asks another replica.
            zmsg_t *reply = found >= 0? zmsg_new (): NULL;
            if (reply) {
                bz_msg_append (reply, &request);
                for (int r = 0; r < found; r++)
                    bz_msg_append (reply, &self->records [r]);
                zmsg_prepend (reply, &identity);
                zmsg_send (&reply, self->router);
                zmsg_destroy (&reply);
            }
        }
        zframe_destroy (&identity);
        zmsg_destroy (&msg);
    }
}

//  A peer's answer to our catch-up request: SINCE header, then RECORD frames.
static void
s_handle_peer (order_sync_t *self, int peer)
{
    peer_t *source = &self->peers [peer];
    while (zsock_events (source->dealer) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (source->dealer);
        if (!msg)
            break;
        bz_msg_t head;
        char error [128];
        size_t count = 0;
        if (bz_msg_decode_frame (&head, zmsg_first (msg), error, sizeof error) == BZ_MSG_SINCE
        &&  source->asking) {
            source->answered_at = zclock_mono ();
            bool whole = s_collect (self, msg, &count);
            s_apply (self, count);
            source->asking = false;
            if (whole && zmsg_size (msg) - 1 == SINCE_MAX)
                s_ask (self, peer);                 //  there is more
            else
                source->answered = whole;
        }
        zmsg_destroy (&msg);
    }
}

void
order_sync_handle (order_sync_t *self)
{
    assert (self);
    if (zsock_events (self->sub) & ZMQ_POLLIN)
        s_handle_sub (self);
    if (zsock_events (self->router) & ZMQ_POLLIN)
        s_handle_router (self);
    for (int peer = 1; peer <= self->replicas; peer++)
        if (self->peers [peer].dealer && (zsock_events (self->peers [peer].dealer) & ZMQ_POLLIN))
            s_handle_peer (self, peer);
}

static void
s_publish (order_sync_t *self, int64_t epoch, const bz_msg_t *records, size_t count)
{
    bz_msg_t head;
    bz_msg_init (&head, BZ_MSG_REPLICATE);
    bz_msg_set_str (head.publisher, sizeof head.publisher, self->publisher);
    head.seq = self->seq++;
    head.epoch = epoch;
    head.number = order_log_last (self->log) + 1;    //  orders it holds
    head.count = (int64_t) count;
    head.rank = self->id;
    zmsg_t *msg = zmsg_new ();
    bz_msg_append (msg, &head);
    for (size_t i = 0; i < count; i++)
        bz_msg_append (msg, &records [i]);
    zmsg_send (&msg, self->pub);
    zmsg_destroy (&msg);
}

void
order_sync_publish (order_sync_t *self, int64_t epoch, const bz_msg_t *records, size_t count)
{
    assert (self);
    if (epoch > self->epoch_seen)
        self->epoch_seen = epoch;
    size_t sent = 0;
    do {                                //  count 0 still publishes: the heartbeat
        size_t part = count - sent < SINCE_MAX? count - sent: SINCE_MAX;
        s_publish (self, epoch, records + sent, part);
        sent += part;
    } while (sent < count);
}

void
order_sync_tick (order_sync_t *self, bool leading, int64_t epoch)
{
    assert (self);
    int64_t now = zclock_mono ();
    for (int peer = 1; peer <= self->replicas; peer++)
        if (self->peers [peer].asking && now >= self->peers [peer].ask_deadline)
            self->peers [peer].asking = false;      //  no answer: it is down for now
    if (leading)
        order_sync_publish (self, epoch, NULL, 0);  //  heartbeat: followers ack it
    //  Peers silent for a liveness period may sit behind connections libzmq gave up
    //  on (bz_socket.h): a dealer whose sends fail, or, when we follow, a SUB that
    //  hears no leader's stream, is dialled again, once per liveness period.
    int64_t window = (int64_t) self->heartbeat_ms * self->liveness;
    for (int peer = 1; peer <= self->replicas; peer++) {
        peer_t *other = &self->peers [peer];
        if (other->dealer && other->unsent_since && now - other->unsent_since >= window
        &&  now >= other->redial_at) {
            bz_socket_redial (other->dealer, other->sync_endpoint);
            other->redial_at = now + window;
        }
    }
    if (!leading && now - self->stream_at >= window && now >= self->sub_redial_at) {
        for (int peer = 1; peer <= self->replicas; peer++)
            if (self->peers [peer].pub_endpoint)
                bz_socket_redial (self->sub, self->peers [peer].pub_endpoint);
        self->sub_redial_at = now + window;
    }
}

static int
s_followers_needed (order_sync_t *self)
{
    return self->replicas / 2;      //  with ourselves, a majority
}

int64_t
order_sync_committed (order_sync_t *self)
{
    assert (self);
    int64_t acked [BZ_REPLICAS_MAX];
    int count = 0;
    for (int peer = 1; peer <= self->replicas; peer++)
        if (peer != self->id)
            acked [count++] = self->peers [peer].acked;
    int needed = s_followers_needed (self);
    int64_t last = order_log_last (self->log);
    if (needed == 0)
        return last;
    //  The needed-th highest acknowledgment: that many followers hold it.
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (acked [j] > acked [i]) {
                int64_t swap = acked [i];
                acked [i] = acked [j];
                acked [j] = swap;
            }
    int64_t majority = acked [needed - 1];
    return majority < last? majority: last;
}

//  How many peers we heard from within the last liveness period: by an acknowledgment
//  of our stream, or by an answer to a catch-up request when answers is true.
static int
s_live_peers (order_sync_t *self, bool answers)
{
    int64_t now = zclock_mono ();
    int64_t window = (int64_t) self->heartbeat_ms * self->liveness;
    int live = 0;
    for (int peer = 1; peer <= self->replicas; peer++) {
        peer_t *other = &self->peers [peer];
        if (peer != self->id
        &&  (answers? other->answered_at && now - other->answered_at <= window
                    : other->seen_at && now - other->seen_at <= window))
            live++;
    }
    return live;
}

bool
order_sync_quorum (order_sync_t *self)
{
    assert (self);
    return s_live_peers (self, false) >= s_followers_needed (self);
}

bool
order_sync_reachable (order_sync_t *self)
{
    assert (self);
    return s_live_peers (self, true) >= s_followers_needed (self);
}

int64_t
order_sync_epoch_seen (order_sync_t *self)
{
    assert (self);
    return self->epoch_seen;
}

void
order_sync_catch_up (order_sync_t *self)
{
    assert (self);
    for (int peer = 1; peer <= self->replicas; peer++)
        if (peer != self->id) {
            self->peers [peer].asking = false;
            self->peers [peer].answered = false;
            s_ask (self, peer);
        }
}

bool
order_sync_caught_up (order_sync_t *self)
{
    assert (self);
    int answered = 0, asking = 0;
    for (int peer = 1; peer <= self->replicas; peer++) {
        answered += self->peers [peer].answered;
        asking += self->peers [peer].asking;
    }
    return asking == 0 || answered >= s_followers_needed (self);
}
