/*  frontend_live: the live page's WebSocket at /ws: pushes every stock change the catalog
    publishes (via frontend_feed) and the cluster's state (from the bus monitor) as JSON.

    One actor (the pusher) owns the monitor subscription and does every broadcast, so
    the feed never waits on a slow page. Changes reach it on an inproc PUSH/PULL pair.
    frontend_http holds the sockets (a page costs no thread); its workers answer the
    snapshots through the frontend's shared bus client.         */
#include <czmq.h>
#include <stdatomic.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include "bz_limits.h"
#include "bz_loop.h"
#include "bz_security.h"
#include "bz_socket.h"
#include "frontend_live.h"

//  Prices as people wrote them (57.4, not 57.399999999999999)
#define DUMP_FLAGS      (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (15))

typedef struct {
    bool bus;                   //  the monitor was heard within liveness
    int catalogs;               //  live catalog workers
    bool replica_up [BZ_REPLICAS_MAX + 1];
    int64_t epoch [BZ_REPLICAS_MAX + 1];   //  each replica's announced epoch ("state")
    int64_t leader;             //  0: none
    int64_t leader_epoch;
} cluster_t;

struct _frontend_live_t {
    frontend_api_t *api;        //  not owned; set by attach, before any page is let in
    char *monitor_endpoint;
    bz_security_t *security;    //  the process's; NULL: curve on but none set
    char inbox_endpoint [64];
    int replicas;               //  order_replicas, 1..BZ_REPLICAS_MAX
    int64_t limit_ms;           //  monitor silence before the bus counts as down
    int heartbeat_ms;
    int max_clients;
    zactor_t *pusher;
    atomic_bool started;              //  set by the pusher before it signals its start
    pthread_mutex_t inbox_lock; //  guards inbox, used by the feed and the pusher
    zsock_t *inbox;             //  PUSH to the pusher
    bool overflowed;            //  a post was dropped: the pages must resync
    pthread_mutex_t clients_lock;
    frontend_http_t *http;      //  not owned; set by attach, cleared by detach
    uint64_t *clients;          //  the open pages' WebSocket ids
    int client_count;
    char *cluster_json;         //  the last cluster message, for a page that connects
};

//  --------------------------------------------------------------------------
//  Pages: frontend_http calls open and close in its loops, ready and message in its
//  workers; sends go through its loops' mailboxes, so none of them waits on a page.

//  Sends text to one page (id) or to every page (0). Under clients_lock, so nothing
//  is sent once the server is detached.
static void
s_send (frontend_live_t *self, uint64_t id, const char *text)
{
    pthread_mutex_lock (&self->clients_lock);
    if (self->http)     //  every open WebSocket is a page: 0 reaches them all
        frontend_http_ws_send (self->http, id, text, strlen (text));
    pthread_mutex_unlock (&self->clients_lock);
}

//  Sends json (taken) to page id, or to every page when id is 0.
static void
s_send_json (frontend_live_t *self, uint64_t id, json_t *json)
{
    char *text = json? json_dumps (json, DUMP_FLAGS): NULL;
    json_decref (json);
    if (text)
        s_send (self, id, text);
    free (text);
}

//  The stock list through the bus (the frontend's shared bus client).
static void
s_send_snapshot (frontend_live_t *self, uint64_t id)
{
    char error [256] = "";
    int status = 503;
    json_t *stocks = frontend_api_stocks (self->api, &status, error, sizeof error);
    s_send_json (self, id, stocks
        ? json_pack ("{s:s,s:o}", "type", "snapshot", "stocks", stocks)
        : json_pack ("{s:s,s:s}", "type", "snapshot", "error", error));
}

bool
frontend_live_open (void *arg, uint64_t id)
{
    frontend_live_t *self = (frontend_live_t *) arg;
    pthread_mutex_lock (&self->clients_lock);
    bool added = self->http && self->client_count < self->max_clients;
    if (added)
        self->clients [self->client_count++] = id;
    pthread_mutex_unlock (&self->clients_lock);
    if (!added)
        zsys_warning ("frontend: refused a live page: %d already open", self->max_clients);
    return added;
}

//  Registered (open) before the snapshot goes out, so no change falls between the two;
//  the page keeps, per stock, the state with the highest volume (volume only rises).
void
frontend_live_ready (void *arg, uint64_t id)
{
    frontend_live_t *self = (frontend_live_t *) arg;
    pthread_mutex_lock (&self->clients_lock);
    char *cluster = self->cluster_json? strdup (self->cluster_json): NULL;
    pthread_mutex_unlock (&self->clients_lock);
    if (cluster)
        s_send (self, id, cluster);
    free (cluster);
    s_send_snapshot (self, id);
}

void
frontend_live_message (void *arg, uint64_t id, const char *text, size_t size)
{
    frontend_live_t *self = (frontend_live_t *) arg;
    if (size == 8 && memcmp (text, "snapshot", 8) == 0)
        s_send_snapshot (self, id);
}

void
frontend_live_close (void *arg, uint64_t id)
{
    frontend_live_t *self = (frontend_live_t *) arg;
    pthread_mutex_lock (&self->clients_lock);
    for (int i = 0; i < self->client_count; i++)
        if (self->clients [i] == id) {
            self->clients [i] = self->clients [--self->client_count];
            break;
        }
    pthread_mutex_unlock (&self->clients_lock);
}

//  --------------------------------------------------------------------------
//  The cluster, as the bus monitor tells it

static json_t *
s_cluster_json (frontend_live_t *self, const cluster_t *cluster)
{
    json_t *replicas = json_array ();
    for (int id = 1; id <= self->replicas; id++)
        json_array_append_new (replicas, json_pack ("{s:i,s:b}", "id", id,
            "up", cluster->bus && cluster->replica_up [id]));
    bool leading = cluster->bus && cluster->leader > 0;
    return json_pack ("{s:s,s:b,s:b,s:o,s:o,s:o}", "type", "cluster",
        "bus", cluster->bus, "catalog", cluster->bus && cluster->catalogs > 0,
        "replicas", replicas,
        "leader", leading? json_integer (cluster->leader): json_null (),
        "epoch", leading && cluster->leader_epoch > 0? json_integer (cluster->leader_epoch): json_null ());
}

//  Keeps the cluster message for new pages and pushes it when it changed.
static void
s_publish_cluster (frontend_live_t *self, const cluster_t *cluster)
{
    json_t *json = s_cluster_json (self, cluster);
    char *text = json? json_dumps (json, DUMP_FLAGS): NULL;
    json_decref (json);
    //  json_dumps of a NULL (out of memory) is NULL: nothing to say then
    if (!text)
        return;
    pthread_mutex_lock (&self->clients_lock);
    bool changed = !self->cluster_json || strcmp (self->cluster_json, text);
    if (changed) {
        free (self->cluster_json);
        self->cluster_json = strdup (text);
    }
    pthread_mutex_unlock (&self->clients_lock);
    if (changed)
        s_send (self, 0, text);
    free (text);
}

static void
s_on_state (cluster_t *cluster, zmsg_t *msg)
{
    cluster->catalogs = 0;
    memset (cluster->replica_up, 0, sizeof cluster->replica_up);
    cluster->leader = 0;
    cluster->leader_epoch = 0;
    for (zframe_t *frame = zmsg_first (msg); frame; frame = zmsg_next (msg)) {
        bz_msg_t worker;
        char error [128];
        if (bz_msg_decode_frame (&worker, frame, error, sizeof error) != BZ_MSG_WORKER)
            continue;
        if (streq (worker.service, "catalog"))
            cluster->catalogs++;
        else
        if (streq (worker.service, "order") && worker.rank >= 1 && worker.rank <= BZ_REPLICAS_MAX) {
            cluster->replica_up [worker.rank] = true;
            cluster->epoch [worker.rank] = worker.count;
            if (worker.rank > cluster->leader) {
                cluster->leader = worker.rank;
                cluster->leader_epoch = worker.count;
            }
        }
    }
}

//  One monitor message. Returns false when the stream needs a fresh "state" (a gap in
//  the heartbeats' seq, or a new publisher: the bus restarted).
static bool
s_on_monitor (cluster_t *cluster, zmsg_t *msg, char *publisher, int64_t *next_seq)
{
    char *topic = zmsg_popstr (msg);
    bool in_step = true;
    bz_msg_t event;
    char error [128];
    if (!topic)
        ;
    else
    if (streq (topic, "state"))
        s_on_state (cluster, msg);
    else
    if (zmsg_size (msg) == 1
    &&  bz_msg_decode_frame (&event, zmsg_first (msg), error, sizeof error) != BZ_MSG_NONE) {
        bool order = event.id == BZ_MSG_WORKER && streq (event.service, "order")
                  && event.rank >= 1 && event.rank <= BZ_REPLICAS_MAX;
        bool catalog = event.id == BZ_MSG_WORKER && streq (event.service, "catalog");
        if (event.id == BZ_MSG_HEARTBEAT && streq (topic, "hb")) {
            in_step = streq (publisher, event.publisher) && event.seq == *next_seq;
            snprintf (publisher, 41, "%s", event.publisher);
            *next_seq = event.seq + 1;
        }
        else
        if (streq (topic, "worker.up") && order)
            cluster->replica_up [event.rank] = true;
        else
        if (streq (topic, "worker.down") && order)
            cluster->replica_up [event.rank] = false;
        else
        if (streq (topic, "worker.up") && catalog)
            cluster->catalogs++;
        else
        if (streq (topic, "worker.down") && catalog && cluster->catalogs > 0)
            cluster->catalogs--;
        else
        if (streq (topic, "leader") && event.id == BZ_MSG_WORKER && streq (event.service, "order")) {
            cluster->leader = event.rank;
            cluster->leader_epoch = event.count;
        }
    }
    zstr_free (&topic);
    return in_step;
}

static void
s_pusher (zsock_t *pipe, void *args)
{
    frontend_live_t *self = (frontend_live_t *) args;
    zsock_t *inbox = zsock_new_pull (self->inbox_endpoint);
    if (inbox)
        zsock_set_rcvhwm (inbox, 10000);
    zsock_t *monitor = zsock_new (ZMQ_SUB);
    if (monitor) {
        zsock_set_maxmsgsize (monitor, 64 * 1024);
        zsock_set_subscribe (monitor, "state");
        zsock_set_subscribe (monitor, "worker.");
        zsock_set_subscribe (monitor, "leader");
        zsock_set_subscribe (monitor, "hb");
        if (bz_security_client (self->security, monitor)
        ||  zsock_connect (monitor, "%s", self->monitor_endpoint))
            zsock_destroy (&monitor);
    }
    //  zactor_new ignores the signal's status: the constructor reads started instead
    atomic_store (&self->started, inbox && monitor);
    zsock_signal (pipe, inbox && monitor? 0: 1);
    zmq_pollitem_t items [] = {
        { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 },
        { inbox? zsock_resolve (inbox): NULL, 0, ZMQ_POLLIN, 0 },
        { monitor? zsock_resolve (monitor): NULL, 0, ZMQ_POLLIN, 0 }
    };
    cluster_t cluster;
    memset (&cluster, 0, sizeof cluster);
    char publisher [41] = "";
    int64_t next_seq = 0, heard_at = zclock_mono ();
    bz_timer_t redial;                      //  while the bus is silent (bz_socket.h)
    bz_timer_init (&redial, self->limit_ms, heard_at + self->limit_ms);
    s_publish_cluster (self, &cluster);
    while (inbox && monitor) {
        //  Woken every heartbeat at least, to see the bus fall silent
        bz_wake_t wake = bz_wake (zclock_mono (), self->heartbeat_ms);
        if (bz_loop_poll (items, 3, &wake, "frontend live") < 0
        ||  (items [0].revents & ZMQ_POLLIN))
            break;                          //  interrupted, or $TERM
        if (items [1].revents & ZMQ_POLLIN) {
            char *text = zstr_recv (inbox);
            if (text)
                s_send (self, 0, text);
            zstr_free (&text);
        }
        if (items [2].revents & ZMQ_POLLIN) {
            zmsg_t *msg = zmsg_recv (monitor);
            if (msg && !s_on_monitor (&cluster, msg, publisher, &next_seq)) {
                //  Missed events: resubscribing makes the bus send its whole table
                zsock_set_unsubscribe (monitor, "state");
                zsock_set_subscribe (monitor, "state");
            }
            zmsg_destroy (&msg);
            heard_at = zclock_mono ();
            cluster.bus = true;
        }
        int64_t now = zclock_mono ();
        if (now - heard_at > self->limit_ms) {
            cluster.bus = false;
            //  The connection may be one libzmq gave up on: a stranger held the port
            if (bz_timer_fire (&redial, now))
                bz_socket_redial (monitor, self->monitor_endpoint);
        }
        s_publish_cluster (self, &cluster);
    }
    zsock_destroy (&monitor);
    zsock_destroy (&inbox);
}

//  --------------------------------------------------------------------------

frontend_live_t *
frontend_live_new (bz_config_t *config, int max_clients)
{
    assert (config);
    frontend_live_t *self = (frontend_live_t *) zmalloc (sizeof (frontend_live_t));
    self->monitor_endpoint = strdup (bz_config_endpoint (config, "monitor"));
    self->security = bz_security_for (config);
    snprintf (self->inbox_endpoint, sizeof self->inbox_endpoint, "inproc://frontend-live-%p", (void *) self);
    int64_t replicas = bz_config_int (config, "order_replicas");
    self->replicas = replicas >= 1 && replicas <= BZ_REPLICAS_MAX? (int) replicas: 3;
    int64_t heartbeat = bz_config_int (config, "heartbeat_ms");
    int64_t liveness = bz_config_int (config, "liveness");
    self->heartbeat_ms = (heartbeat > 0 && heartbeat <= 60000)? (int) heartbeat: 100;
    self->limit_ms = self->heartbeat_ms * ((liveness > 0 && liveness <= 100)? liveness: 5);
    self->max_clients = max_clients > 0? max_clients: 1;
    self->clients = (uint64_t *) calloc ((size_t) self->max_clients, sizeof *self->clients);
    pthread_mutex_init (&self->inbox_lock, NULL);
    pthread_mutex_init (&self->clients_lock, NULL);
    self->pusher = zactor_new (s_pusher, self);
    if (self->pusher)
        self->inbox = zsock_new_push (self->inbox_endpoint);
    if (self->inbox) {
        //  The feed never waits on the pusher: a full queue drops, then resyncs the pages
        zsock_set_sndhwm (self->inbox, 10000);
        zsock_set_sndtimeo (self->inbox, 0);
    }
    if (!self->pusher || !atomic_load (&self->started) || !self->inbox || !self->clients
    ||  !self->monitor_endpoint) {
        zsys_error ("frontend: cannot start the live page's pusher");
        frontend_live_destroy (&self);
    }
    return self;
}

void
frontend_live_destroy (frontend_live_t **self_p)
{
    assert (self_p);
    frontend_live_t *self = *self_p;
    if (!self)
        return;
    zsock_destroy (&self->inbox);
    zactor_destroy (&self->pusher);
    pthread_mutex_destroy (&self->inbox_lock);
    pthread_mutex_destroy (&self->clients_lock);
    free (self->clients);
    free (self->cluster_json);
    free (self->monitor_endpoint);
    free (self);
    *self_p = NULL;
}

void
frontend_live_attach (frontend_live_t *self, frontend_http_t *http, frontend_api_t *api)
{
    assert (self && http && api);
    pthread_mutex_lock (&self->clients_lock);
    self->api = api;
    self->http = http;
    pthread_mutex_unlock (&self->clients_lock);
}

void
frontend_live_detach (frontend_live_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->clients_lock);
    self->http = NULL;
    self->client_count = 0;
    pthread_mutex_unlock (&self->clients_lock);
}

//  Hands text to the pusher, without waiting: when its queue is full (it is starved of
//  CPU, or a page is slow) the text is dropped, and the pages are told to resync as soon
//  as the queue has room again.
static void
s_post (frontend_live_t *self, json_t *json)
{
    char *text = json? json_dumps (json, DUMP_FLAGS): NULL;
    json_decref (json);
    if (!text)
        return;
    pthread_mutex_lock (&self->inbox_lock);
    if (self->overflowed
    &&  zstr_send (self->inbox, "{\"type\":\"resync\",\"reason\":\"overflow\"}") == 0)
        self->overflowed = false;
    if (self->overflowed || zstr_send (self->inbox, text))
        self->overflowed = true;
    pthread_mutex_unlock (&self->inbox_lock);
    free (text);
}

void
frontend_live_stock (frontend_live_t *self, const bz_msg_t *invalidate)
{
    assert (self && invalidate);
    if (!isfinite (invalidate->price))
        return;
    s_post (self, json_pack ("{s:s,s:s,s:f,s:I,s:I}", "type", "stock", "name", invalidate->name,
        "price", invalidate->price, "quantity", (json_int_t) invalidate->quantity,
        "volume", (json_int_t) invalidate->volume));
}

void
frontend_live_resync (frontend_live_t *self, const char *reason)
{
    assert (self && reason);
    s_post (self, json_pack ("{s:s,s:s}", "type", "resync", "reason", reason));
}

int
frontend_live_clients (frontend_live_t *self)
{
    assert (self);
    pthread_mutex_lock (&self->clients_lock);
    int count = self->client_count;
    pthread_mutex_unlock (&self->clients_lock);
    return count;
}
