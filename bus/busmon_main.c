/*  bazaar-busmon: prints the bus's monitor stream (workers up/down, leader changes,
    requests per service, transport events) for people, or as JSON lines for scripts.
    Usage: bazaar-busmon [--config PATH] [--json] [--once]                          */
#include "bz_cli.h"
#include <jansson.h>
#include "bz_config.h"
#include "bz_loop.h"
#include "bz_msg.h"
#include "bz_security.h"
#include "bz_socket.h"

typedef struct {
    bool json;
    bool once;
    const char *endpoint;
    int64_t limit_ms;           //  silence after which the bus counts as unreachable
    char publisher [41];        //  the broker's stream id, from its "hb"
    bool silent;                //  said so, and not heard since
    bool state_shown;           //  the plain view shows the first snapshot only
} busmon_t;

enum { OPT_CONFIG, OPT_JSON, OPT_ONCE };
static const bz_cli_option_t s_options [] = {
    BZ_CLI_CONFIG,
    { "json", NULL, "one JSON object per line: {\"event\":\"worker.down\",\"service\":\"order\",...}", 0 },
    { "once", NULL, "print the live workers and leaders, then exit", 0 },
    { NULL, NULL, NULL, 0 }
};
static const bz_cli_t s_cli = {
    "bazaar-busmon", "[--config PATH] [--json] [--once]",
    "Prints the bus's monitor stream live, one line per event: worker.up, worker.down,\n"
    "leader (a failover, with its epoch), stats (requests per service, once a second) and\n"
    "transport (connections to the bus); says so when the bus stays silent. Ctrl-C stops it.",
    s_options, 0, 0,
    "  0  success\n  1  the bus did not answer (--once), or a socket failed\n"
    "  2  usage error or bad setting"
};

//  Prints one JSON object (taken) as a line, with the time added (UTC, ISO 8601).
static void
s_emit (json_t *object)
{
    if (!object)
        return;
    int64_t now = zclock_time ();
    time_t seconds = (time_t) (now / 1000);
    char stamp [40], text_time [48];
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", gmtime (&seconds));
    snprintf (text_time, sizeof text_time, "%s.%03dZ", stamp, (int) (now % 1000));
    json_object_set_new (object, "time", json_string (text_time));
    char *text = json_dumps (object, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text)
        printf ("%s\n", text);
    free (text);
    json_decref (object);
    fflush (stdout);
}

//  The plain view's line prefix: local time and the event name.
static void
s_stamp (const char *event)
{
    char stamp [32];
    time_t now = time (NULL);
    strftime (stamp, sizeof stamp, "%H:%M:%S", localtime (&now));
    printf ("%s %-11s ", stamp, event);
}

//  An epoch is counter x 16 + the leader's replica id (order_server): say which.
static void
s_print_epoch (int64_t epoch)
{
    printf ("epoch=%" PRId64, epoch);
    if (epoch > 0)
        printf ("   (term %" PRId64 " of replica %" PRId64 ")", epoch / 16, epoch % 16);
}

//  "state": the whole table, one WORKER{service, rank, count=epoch} per live worker.
static void
s_on_state (busmon_t *self, zmsg_t *msg)
{
    json_t *workers = json_array ();
    json_t *leaders = json_object ();
    for (zframe_t *frame = zmsg_first (msg); frame; frame = zmsg_next (msg)) {
        bz_msg_t w;
        char error [128];
        if (bz_msg_decode_frame (&w, frame, error, sizeof error) != BZ_MSG_WORKER)
            continue;
        json_array_append_new (workers, json_pack ("{s:s,s:I,s:I}", "service", w.service,
            "rank", (json_int_t) w.rank, "epoch", (json_int_t) w.count));
        json_t *leader = json_object_get (leaders, w.service);
        if (w.rank > 0 && (!leader || json_integer_value (json_object_get (leader, "rank")) < (json_int_t) w.rank))
            json_object_set_new (leaders, w.service, json_pack ("{s:I,s:I}",
                "rank", (json_int_t) w.rank, "epoch", (json_int_t) w.count));
    }
    //  Sorted by service, then rank: the order people and diffs expect
    size_t count = json_array_size (workers);
    for (size_t i = 1; i < count; i++)
        for (size_t j = i; j > 0; j--) {
            json_t *a = json_array_get (workers, j - 1), *b = json_array_get (workers, j);
            int by_name = strcmp (json_string_value (json_object_get (a, "service")),
                                  json_string_value (json_object_get (b, "service")));
            if (by_name < 0 || (by_name == 0 && json_integer_value (json_object_get (a, "rank"))
                                             <= json_integer_value (json_object_get (b, "rank"))))
                break;
            json_incref (a);
            json_array_set (workers, j - 1, b);
            json_array_set_new (workers, j, a);
        }
    if (self->json)
        s_emit (json_pack ("{s:s,s:o,s:o}", "event", "state", "workers", workers, "leaders", leaders));
    else {
        if (!self->state_shown || self->once) {
            for (size_t i = 0; i < count; i++) {
                json_t *w = json_array_get (workers, i);
                const char *service = json_string_value (json_object_get (w, "service"));
                json_int_t rank = json_integer_value (json_object_get (w, "rank"));
                json_t *leader = json_object_get (leaders, service);
                s_stamp ("live");
                printf ("%-10s rank=%" JSON_INTEGER_FORMAT, service, rank);
                if (leader && json_integer_value (json_object_get (leader, "rank")) == rank) {
                    printf (" leader ");
                    s_print_epoch (json_integer_value (json_object_get (leader, "epoch")));
                }
                printf ("\n");
            }
            if (count == 0) {
                s_stamp ("live");
                printf ("no worker is registered\n");
            }
            fflush (stdout);
        }
        json_decref (workers);
        json_decref (leaders);
    }
    self->state_shown = true;
}

static void
s_on_worker_event (busmon_t *self, const char *topic, const bz_msg_t *event)
{
    if (self->json) {
        if (streq (topic, "stats"))
            s_emit (json_pack ("{s:s,s:s,s:I}", "event", topic, "service", event->service,
                               "requests", (json_int_t) event->count));
        else
        if (streq (topic, "leader"))
            s_emit (json_pack ("{s:s,s:s,s:I,s:I}", "event", topic, "service", event->service,
                               "rank", (json_int_t) event->rank, "epoch", (json_int_t) event->count));
        else
            s_emit (json_pack ("{s:s,s:s,s:I}", "event", topic, "service", event->service,
                               "rank", (json_int_t) event->rank));
        return;
    }
    s_stamp (topic);
    if (streq (topic, "stats"))
        printf ("%-10s requests=%" PRId64 "\n", event->service, event->count);
    else
    if (streq (topic, "leader")) {
        printf ("%-10s rank=%" PRId64 " ", event->service, event->rank);
        s_print_epoch (event->count);
        printf ("\n");
    }
    else
        printf ("%-10s rank=%" PRId64 "\n", event->service, event->rank);
    fflush (stdout);
}

static void
s_on_transport (busmon_t *self, const bz_msg_t *event)
{
    if (self->json)
        s_emit (json_pack ("{s:s,s:s,s:s,s:I}", "event", "transport", "what", event->name,
                           "endpoint", event->message, "value", (json_int_t) event->count));
    else {
        s_stamp ("transport");
        printf ("%-10s %s\n", event->name, event->message);
        fflush (stdout);
    }
}

//  The bus was silent for limit_ms, or is heard again after that, or restarted.
static void
s_on_liveness (busmon_t *self, const char *event, const char *text)
{
    if (self->json)
        s_emit (json_pack ("{s:s,s:s,s:I}", "event", event, "endpoint", self->endpoint,
                           "after_ms", (json_int_t) self->limit_ms));
    else {
        s_stamp (event);
        printf ("%s\n", text);
        fflush (stdout);
    }
}

static void
s_on_message (busmon_t *self, zmsg_t *msg)
{
    char *topic = zmsg_popstr (msg);
    bz_msg_t event;
    char error [128];
    bz_msg_id_t id = BZ_MSG_NONE;
    if (topic && streq (topic, "state"))
        s_on_state (self, msg);
    else
    if (topic && zmsg_size (msg) == 1)
        id = bz_msg_decode_frame (&event, zmsg_first (msg), error, sizeof error);
    if (id == BZ_MSG_HEARTBEAT && streq (topic, "hb")) {
        if (*self->publisher && strcmp (self->publisher, event.publisher))
            s_on_liveness (self, "bus.restart", "the bus restarted (a new publisher on its monitor)");
        snprintf (self->publisher, sizeof self->publisher, "%s", event.publisher);
    }
    else
    if (id == BZ_MSG_WORKER)
        s_on_worker_event (self, topic, &event);
    else
    if (id == BZ_MSG_TRANSPORT && streq (topic, "transport"))
        s_on_transport (self, &event);
    zstr_free (&topic);
}

int
main (int argc, char *argv [])
{
    const char *values [3];
    int rc;
    if (bz_cli_parse (&s_cli, argc, argv, values, &rc) < 0)
        return rc;
    busmon_t self;
    memset (&self, 0, sizeof self);
    self.json = values [OPT_JSON] != NULL;
    self.once = values [OPT_ONCE] != NULL;
    bz_config_t *config = bz_config_new (values [OPT_CONFIG]);
    if (!config)
        return 2;
    int64_t heartbeat = bz_config_int (config, "heartbeat_ms");
    int64_t liveness = bz_config_int (config, "liveness");
    self.limit_ms = heartbeat * liveness;
    self.endpoint = bz_config_endpoint (config, "monitor");
    bz_security_t *security = bz_security_new (config);
    zsock_t *monitor = security? zsock_new (ZMQ_SUB): NULL;
    if (monitor) {
        zsock_set_maxmsgsize (monitor, 1 << 20);
        //  Subscribing makes the broker publish its "state" at once
        zsock_set_subscribe (monitor, self.once? "state": "");
        if (bz_security_client (security, monitor)
        ||  zsock_connect (monitor, "%s", self.endpoint))
            zsock_destroy (&monitor);
    }
    if (!self.json && !self.once) {
        printf ("watching %s (Ctrl-C to stop); a bus silent for %" PRId64 " ms is reported\n"
                "epoch: the order leader's term, counter x 16 + its replica id; it rises at every\n"
                "change of leader, and a replica with an older epoch can no longer commit\n",
                self.endpoint, self.limit_ms);
        fflush (stdout);
    }
    rc = monitor? 0: 1;
    zmq_pollitem_t items [] = { { monitor? zsock_resolve (monitor): NULL, 0, ZMQ_POLLIN, 0 } };
    int64_t heard_at = zclock_mono ();
    bz_timer_t redial;                  //  while the bus is silent
    bz_timer_init (&redial, self.limit_ms, heard_at + self.limit_ms);
    while (monitor) {
        //  Woken every heartbeat at least, to see the bus fall silent
        bz_wake_t wake = bz_wake (zclock_mono (), heartbeat);
        int ready = bz_loop_poll (items, 1, &wake, "busmon");
        if (ready < 0)
            break;
        if (ready > 0) {
            zmsg_t *msg = zmsg_recv (monitor);
            if (!msg)
                break;
            heard_at = zclock_mono ();
            if (self.silent) {
                self.silent = false;
                s_on_liveness (&self, "bus.heard", "the bus is heard again");
            }
            s_on_message (&self, msg);
            zmsg_destroy (&msg);
            if (self.once && self.state_shown)
                break;
        }
        if (!self.silent && zclock_mono () - heard_at > self.limit_ms) {
            self.silent = true;
            char text [300];
            snprintf (text, sizeof text, "nothing from the bus at %s for %" PRId64
                      " ms: is bazaar-bus running (and the keys right, with curve on)?",
                      self.endpoint, self.limit_ms);
            s_on_liveness (&self, "bus.silent", text);
            if (self.once) {
                rc = 1;
                break;
            }
        }
        //  Silent: the connection may be one libzmq gave up on (bz_socket.h)
        if (self.silent && bz_timer_fire (&redial, zclock_mono ()))
            bz_socket_redial (monitor, self.endpoint);
    }
    zsock_destroy (&monitor);
    bz_security_destroy (&security);
    bz_config_destroy (&config);
    return rc;
}
