/*  test_frontend_bus: the frontend's shared bus client against a fake broker in-process:
    replies find their callers, lost tries are resent, and the queue's bounds refuse.   */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include "frontend_bus.h"
#include "bz_bus.h"

//  What the fake broker does with a request.
typedef enum { ECHO, SILENT, DROP_FIRST, SLOW, BROKER_ONLY } mode_t_;

static atomic_int s_mode;
static atomic_int s_received;       //  requests (tries) the broker read
static bz_config_t *s_config;
static frontend_metrics_t *s_metrics;
static zactor_t *s_broker;

//  A ROUTER on the bus endpoint that echoes each request's frames back (the envelope is
//  the same both ways), or drops them. DROP_FIRST drops the first try of each request
//  (by its id) and answers every later one. SLOW answers each after 150 ms, longer than a try.
//  BROKER_ONLY answers only the broker's own services (bus.*): every other one is stalled.
static void
s_broker_actor (zsock_t *pipe, void *args)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_set_linger (router, 0);
    bool bound = zsock_bind (router, "%s", (const char *) args) >= 0;
    zsock_signal (pipe, bound? 0: 1);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    zframe_t *dropped = NULL;           //  the id whose first try DROP_FIRST dropped
    while (bound) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break;
        zmsg_t *msg = zmsg_recv (router);
        atomic_fetch_add (&s_received, 1);
        int mode = atomic_load (&s_mode);
        //  identity, "", BZC1, service, reqid, body
        zframe_t *id = msg && zmsg_size (msg) > 4? zmsg_first (msg): NULL;
        for (int i = 0; id && i < 4; i++)
            id = zmsg_next (msg);
        bool again = id && dropped && zframe_eq (id, dropped);
        zframe_t *service = msg && zmsg_size (msg) > 4? zmsg_first (msg): NULL;
        for (int i = 0; service && i < 3; i++)
            service = zmsg_next (msg);
        bool to_broker = service && zframe_size (service) > 4 && memcmp (zframe_data (service), "bus.", 4) == 0;
        if (mode == DROP_FIRST && id && !again) {
            zframe_destroy (&dropped);
            dropped = zframe_dup (id);
        }
        if (mode == SLOW)
            zclock_sleep (150);
        if (msg && (mode == ECHO || mode == SLOW || (mode == DROP_FIRST && again)
                ||  (mode == BROKER_ONLY && to_broker)))
            zmsg_send (&msg, router);
        zmsg_destroy (&msg);
    }
    zframe_destroy (&dropped);
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

//  A client with these bounds (one socket), against a fresh fake broker.
static frontend_bus_t *
s_start (int mode, const char *inflight, const char *queue_max, const char *queue_wait_ms)
{
    static int test_index = 0;
    char port [16];
    snprintf (port, sizeof port, "%d", 20000 + ((getpid () * 7 + test_index++) % 380) * 32);
    setenv ("BAZAAR_PORT_BASE", port, 1);
    setenv ("BAZAAR_BUS_SOCKETS", "1", 1);
    setenv ("BAZAAR_BUS_INFLIGHT", inflight, 1);
    setenv ("BAZAAR_BUS_QUEUE_MAX", queue_max, 1);
    setenv ("BAZAAR_BUS_QUEUE_WAIT_MS", queue_wait_ms, 1);
    setenv ("BAZAAR_RETRY_MS", "100", 1);
    s_config = bz_config_new_defaults ();
    assert_non_null (s_config);
    atomic_store (&s_mode, mode);
    atomic_store (&s_received, 0);
    s_broker = zactor_new (s_broker_actor, (void *) bz_config_endpoint (s_config, "bus"));
    assert_non_null (s_broker);
    s_metrics = frontend_metrics_new ();
    frontend_bus_t *bus = frontend_bus_new (s_config, s_metrics);
    assert_non_null (bus);
    return bus;
}

static void
s_stop (frontend_bus_t **bus_p)
{
    frontend_bus_destroy (bus_p);
    zactor_destroy (&s_broker);
    frontend_metrics_destroy (&s_metrics);
    bz_config_destroy (&s_config);
}

//  Sends text to "echo" and returns the result; *reply_text gets the reply's text.
static frontend_bus_result_t
s_ask (frontend_bus_t *bus, const char *text, int timeout_ms, char **reply_text)
{
    zmsg_t *request = zmsg_new ();
    zmsg_addstr (request, text);
    frontend_bus_result_t result;
    zmsg_t *reply = frontend_bus_request (bus, "echo", &request, timeout_ms, &result);
    assert_null (request);
    if (reply_text)
        *reply_text = reply? zmsg_popstr (reply): NULL;
    zmsg_destroy (&reply);
    return result;
}

typedef struct {
    frontend_bus_t *bus;
    int index, count, timeout_ms;
    int matched;
    frontend_bus_result_t last;
} asker_t;

static void *
s_asker (void *argument)
{
    asker_t *asker = (asker_t *) argument;
    for (int i = 0; i < asker->count; i++) {
        char text [32], *reply = NULL;
        snprintf (text, sizeof text, "%d-%d", asker->index, i);
        asker->last = s_ask (asker->bus, text, asker->timeout_ms, &reply);
        asker->matched += reply && streq (reply, text);
        free (reply);
    }
    return NULL;
}

//  Many threads share one socket: every reply reaches the thread that asked.
static void
test_replies_find_their_callers (void **state)
{
    (void) state;
    frontend_bus_t *bus = s_start (ECHO, "16", "1000", "1000");
    asker_t askers [8];
    pthread_t threads [8];
    for (int i = 0; i < 8; i++) {
        askers [i] = (asker_t) { bus, i, 200, 5000, 0, FRONTEND_BUS_FAILED };
        assert_int_equal (pthread_create (&threads [i], NULL, s_asker, &askers [i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join (threads [i], NULL);
        assert_int_equal (askers [i].matched, 200);
    }
    uint64_t inflight, queued;
    frontend_bus_load (bus, &inflight, &queued);
    assert_int_equal (inflight, 0);
    assert_int_equal (queued, 0);
    s_stop (&bus);
}

//  Asks text three times in turn; each must be answered with text.
static void
s_ask_three (frontend_bus_t *bus, const char *text, int timeout_ms)
{
    for (int i = 0; i < 3; i++) {
        char *reply = NULL;
        assert_int_equal (s_ask (bus, text, timeout_ms, &reply), FRONTEND_BUS_REPLIED);
        assert_string_equal (reply, text);
        free (reply);
    }
}

//  A try whose reply is lost is sent again (Lazy Pirate) within the deadline; the
//  reply to the second try is the one returned.
static void
test_lost_try_is_resent (void **state)
{
    (void) state;
    frontend_bus_t *bus = s_start (DROP_FIRST, "16", "1000", "1000");
    s_ask_three (bus, "again", 5000);
    assert_true (atomic_load (&s_received) >= 6);
    s_stop (&bus);
}

//  A service slower than retry_ms: the answer to the first try still answers the request,
//  though a second try went out meanwhile (every try carries the request's id). With
//  a new id per try, every answer came late and each request timed out.
static void
test_slow_answer_is_taken (void **state)
{
    (void) state;
    frontend_bus_t *bus = s_start (SLOW, "16", "1000", "1000");
    s_ask_three (bus, "slowly", 3000);
    s_stop (&bus);
}

//  No reply at all: the request ends TIMEOUT at its deadline, having been retried.
static void
test_silence_times_out (void **state)
{
    (void) state;
    frontend_bus_t *bus = s_start (SILENT, "16", "1000", "1000");
    assert_int_equal (s_ask (bus, "anyone", 1000, NULL), FRONTEND_BUS_TIMEOUT);
    assert_true (atomic_load (&s_received) >= 2);
    s_stop (&bus);
}

//  Waits until the client holds inflight requests on the wire and queued in its queue.
static void
s_wait_load (frontend_bus_t *bus, uint64_t inflight, uint64_t queued)
{
    for (int i = 0; i < 1000; i++) {
        uint64_t now_inflight, now_queued;
        frontend_bus_load (bus, &now_inflight, &now_queued);
        if (now_inflight == inflight && now_queued == queued)
            return;
        zclock_sleep (5);
    }
    fail_msg ("the client never held %d on the wire and %d queued", (int) inflight, (int) queued);
}

//  Starts asker on thread, then waits until the client holds inflight requests on the
//  wire and queued in its queue.
static void
s_launch (asker_t *asker, pthread_t *thread, uint64_t inflight, uint64_t queued)
{
    assert_int_equal (pthread_create (thread, NULL, s_asker, asker), 0);
    s_wait_load (asker->bus, inflight, queued);
}

//  Fills a client of one slot and one queue place (bus_inflight 1, bus_queue_max 1):
//  holders [0] asks on the wire, then holders [1] waits in the queue, each once, with
//  timeout_ms. The caller joins threads.
static void
s_fill (frontend_bus_t *bus, asker_t holders [2], pthread_t threads [2], int timeout_ms)
{
    for (int i = 0; i < 2; i++)
        holders [i] = (asker_t) { bus, i, 1, timeout_ms, 0, FRONTEND_BUS_REPLIED };
    s_launch (&holders [0], &threads [0], 1, 0);
    s_launch (&holders [1], &threads [1], 1, 1);
}

//  One on the wire, one queued, queue_max 1: the next is refused at once.
static void
test_full_queue_refuses (void **state)
{
    (void) state;
    frontend_bus_t *bus = s_start (SILENT, "1", "1", "60000");
    asker_t holders [2];
    pthread_t threads [2];
    s_fill (bus, holders, threads, 1500);
    assert_int_equal (s_ask (bus, "third", 1500, NULL), FRONTEND_BUS_QUEUE_FULL);
    pthread_join (threads [0], NULL);
    pthread_join (threads [1], NULL);
    assert_int_equal (holders [0].last, FRONTEND_BUS_TIMEOUT);
    //  The second got the wire only after the first's deadline, with none of its own left
    assert_int_equal (holders [1].last, FRONTEND_BUS_TIMEOUT);
    s_stop (&bus);
}

//  A queued request that waited past bus_queue_wait_ms is refused then, even while
//  no slot frees up, rather than kept to its own deadline or served late.
static void
test_long_wait_refuses (void **state)
{
    (void) state;
    //  The bound (500 ms) leaves the first request ample time to reach the wire on a
    //  loaded machine; the first then holds the slot to its deadline (4 s)
    frontend_bus_t *bus = s_start (SILENT, "1", "100", "500");
    asker_t first = { bus, 0, 1, 4000, 0, FRONTEND_BUS_REPLIED };
    asker_t second = { bus, 1, 1, 4000, 0, FRONTEND_BUS_REPLIED };
    pthread_t threads [2];
    s_launch (&first, &threads [0], 1, 0);
    assert_int_equal (pthread_create (&threads [1], NULL, s_asker, &second), 0);
    pthread_join (threads [1], NULL);
    assert_int_equal (second.last, FRONTEND_BUS_QUEUE_WAIT);
    //  ...while the first still holds the only slot
    uint64_t inflight, queued;
    frontend_bus_load (bus, &inflight, &queued);
    assert_int_equal (inflight, 1);
    pthread_join (threads [0], NULL);
    assert_int_equal (first.last, FRONTEND_BUS_TIMEOUT);
    s_stop (&bus);
}

//  A stalled service holds the only slot and fills the queue: a call to the broker's own
//  service (bus.metrics, for /metrics) still goes out at once, on a slot of its own, and
//  is answered while the service's calls still wait.
static void
test_broker_call_passes_a_stalled_service (void **state)
{
    (void) state;
    frontend_bus_t *bus = s_start (BROKER_ONLY, "1", "1", "60000");
    asker_t holders [2];
    pthread_t threads [2];
    s_fill (bus, holders, threads, 1500);
    zmsg_t *request = zmsg_new ();
    zmsg_addstr (request, "metrics");
    frontend_bus_result_t result;
    zmsg_t *reply = frontend_bus_request (bus, BZ_SERVICE_METRICS, &request, 1000, &result);
    assert_int_equal (result, FRONTEND_BUS_REPLIED);
    char *text = zmsg_popstr (reply);
    assert_string_equal (text, "metrics");
    zstr_free (&text);
    zmsg_destroy (&reply);
    uint64_t inflight, queued;
    frontend_bus_load (bus, &inflight, &queued);
    assert_int_equal (inflight, 1);
    assert_int_equal (queued, 1);
    pthread_join (threads [0], NULL);
    pthread_join (threads [1], NULL);
    assert_int_equal (holders [0].last, FRONTEND_BUS_TIMEOUT);
    s_stop (&bus);
}

//  The call policy marks the frontend's own refusal, counted by reason, so the API can
//  say "overloaded"; a plain timeout is not one.
static void
test_call_marks_overload (void **state)
{
    (void) state;
    frontend_bus_t *bus = s_start (SILENT, "1", "1", "60000");
    bz_msg_t request, first;
    bz_msg_init (&request, BZ_MSG_LOOKUP);
    bz_msg_set_str (request.name, sizeof request.name, "GameStart");
    asker_t holders [2];
    pthread_t threads [2];
    s_fill (bus, holders, threads, 1000);
    assert_null (frontend_bus_call (bus, "catalog", &request, 1000, true, &first));
    assert_true (frontend_bus_overloaded (&first));
    pthread_join (threads [0], NULL);
    pthread_join (threads [1], NULL);
    assert_null (frontend_bus_call (bus, "catalog", &request, 250, true, &first));
    assert_false (frontend_bus_overloaded (&first));
    static char text [65536];       //  every route's latency histogram too
    assert_true (frontend_metrics_render (s_metrics, text, sizeof text) > 0);
    assert_non_null (strstr (text, "bazaar_frontend_overloaded_total{reason=\"queue_full\"} 1\n"));
    assert_non_null (strstr (text, "bazaar_frontend_overloaded_total{reason=\"queue_wait\"} 0\n"));
    assert_non_null (strstr (text, "bazaar_frontend_bus_timeouts_total 1\n"));
    s_stop (&bus);
}

int
main (void)
{
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_replies_find_their_callers),
        cmocka_unit_test (test_lost_try_is_resent),
        cmocka_unit_test (test_slow_answer_is_taken),
        cmocka_unit_test (test_silence_times_out),
        cmocka_unit_test (test_full_queue_refuses),
        cmocka_unit_test (test_long_wait_refuses),
        cmocka_unit_test (test_call_marks_overload),
        cmocka_unit_test (test_broker_call_passes_a_stalled_service),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
