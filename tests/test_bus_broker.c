/*  test_bus_broker: the broker, bz_client and bz_worker together, in one process.
    Shows how a service and a client use the bus; checks routing, errors and failover.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "bus_broker.h"
#include "bz_client.h"
#include "bz_worker.h"
#include "bz_bus.h"
#include "bz_msg.h"

static bz_config_t *s_config;

//  The broker in a thread, stepping until its pipe says stop.
static void
s_broker_actor (zsock_t *pipe, void *args)
{
    bus_broker_t *broker = bus_broker_new ((bz_config_t *) args);
    zsock_signal (pipe, broker? 0: 1);
    while (broker && !(zsock_events (pipe) & ZMQ_POLLIN))
        bus_broker_step (broker, 20);
    bus_broker_destroy (&broker);
}

//  An echo worker of the given rank: replies with the request's frames and one more,
//  "<label> <value>", that says which worker answered.
static void
s_serve_echo (zsock_t *pipe, int rank, const char *label, int value)
{
    bz_worker_t *worker = bz_worker_new (s_config, "echo", rank);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, bz_worker_socket (worker), NULL);
    while (true) {
        void *which = zpoller_wait (poller, bz_worker_tick_ms (worker));
        if (which == pipe || zpoller_terminated (poller))
            break;
        if (which) {
            bz_request_t *request = bz_worker_recv (worker);
            if (request) {
                zmsg_t *reply = zmsg_dup (request->body);
                zmsg_addstrf (reply, "%s %d", label, value);
                bz_worker_reply (worker, &request, &reply);
            }
        }
        bz_worker_tick (worker);
    }
    zpoller_destroy (&poller);
    bz_worker_destroy (&worker);
}

//  An echo worker in a thread whose rank comes in args; it signs "rank N".
static void
s_echo_actor (zsock_t *pipe, void *args)
{
    s_serve_echo (pipe, (int) (intptr_t) args, "rank", (int) (intptr_t) args);
}

static zmsg_t *
s_request (const char *service, const char *text, int timeout_ms)
{
    bz_client_t *client = bz_client_new (s_config);
    zmsg_t *request = zmsg_new ();
    zmsg_addstr (request, text);
    zmsg_t *reply = bz_client_request (client, service, &request, timeout_ms);
    bz_client_destroy (&client);
    return reply;
}

//  Every test gets its own ports: a port closed by the previous test's broker may not
//  be free again yet, and other test runs may share the machine.
static int
s_setup (void **state)
{
    (void) state;
    static int test_index = 0;
    char port [16];
    snprintf (port, sizeof port, "%d", 20000 + ((getpid () * 7 + test_index++) % 380) * 32);
    setenv ("BAZAAR_PORT_BASE", port, 1);
    setenv ("BAZAAR_HEARTBEAT_MS", "50", 1);
    setenv ("BAZAAR_QUEUE_WAIT_MS", "300", 1);
    setenv ("BAZAAR_RETRY_MS", "3000", 1);
    s_config = bz_config_new_defaults ();
    return s_config? 0: -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    bz_config_destroy (&s_config);
    return 0;
}

static void
test_request_reaches_worker_and_back (void **state)
{
    (void) state;
    zactor_t *broker = zactor_new (s_broker_actor, s_config);
    zactor_t *echo = zactor_new (s_echo_actor, (void *) 1);
    zmsg_t *reply = s_request ("echo", "hello", 2000);
    assert_non_null (reply);
    char *text = zmsg_popstr (reply);
    assert_string_equal (text, "hello");
    zstr_free (&text);
    zmsg_destroy (&reply);
    zactor_destroy (&echo);
    zactor_destroy (&broker);
}

static void
test_service_without_worker_gets_503 (void **state)
{
    (void) state;
    zactor_t *broker = zactor_new (s_broker_actor, s_config);
    int64_t start = zclock_mono ();
    zmsg_t *reply = s_request ("nobody", "x", 2000);
    int64_t waited = zclock_mono () - start;
    assert_non_null (reply);
    bz_msg_t error;
    char why [128];
    zframe_t *frame = zmsg_first (reply);
    assert_int_equal (bz_msg_decode_frame (&error, frame, why, sizeof why), BZ_MSG_ERROR);
    assert_int_equal (error.code, 503);
    assert_true (waited >= 250 && waited < 1500);
    zmsg_destroy (&reply);
    zactor_destroy (&broker);
}

static void
test_ranked_service_goes_to_highest_rank (void **state)
{
    (void) state;
    zactor_t *broker = zactor_new (s_broker_actor, s_config);
    zactor_t *low = zactor_new (s_echo_actor, (void *) 1);
    zactor_t *high = zactor_new (s_echo_actor, (void *) 2);
    zclock_sleep (100);
    for (int i = 0; i < 5; i++) {
        zmsg_t *reply = s_request ("echo", "x", 2000);
        assert_non_null (reply);
        char *rank = zframe_strdup (zmsg_last (reply));
        assert_string_equal (rank, "rank 2");
        zstr_free (&rank);
        zmsg_destroy (&reply);
    }
    zactor_destroy (&high);             //  the leader leaves: the next rank takes over
    zmsg_t *reply = s_request ("echo", "x", 2000);
    assert_non_null (reply);
    char *rank = zframe_strdup (zmsg_last (reply));
    assert_string_equal (rank, "rank 1");
    zstr_free (&rank);
    zmsg_destroy (&reply);
    zactor_destroy (&low);
    zactor_destroy (&broker);
}

//  Which worker answers a request to "echo": its signature ("rank N"), or "none".
static char *
s_who_answers (void)
{
    zmsg_t *reply = s_request ("echo", "x", 2000);
    char *who = reply? zframe_strdup (zmsg_last (reply)): strdup ("none");
    zmsg_destroy (&reply);
    return who;
}

//  A leader that leaves and comes back at once (a flaky link, a healed partition)
//  takes the role back only after a hold of 4 liveness periods (4 x 5 x 50 ms here):
//  meanwhile the next rank keeps it, so the role does not flap with every lost beat.
static void
test_returning_leader_waits_before_leading (void **state)
{
    (void) state;
    zactor_t *broker = zactor_new (s_broker_actor, s_config);
    zactor_t *low = zactor_new (s_echo_actor, (void *) 1);
    zactor_t *high = zactor_new (s_echo_actor, (void *) 2);
    zclock_sleep (100);
    char *who = s_who_answers ();
    assert_string_equal (who, "rank 2");
    zstr_free (&who);
    zactor_destroy (&high);
    high = zactor_new (s_echo_actor, (void *) 2);
    zclock_sleep (100);
    who = s_who_answers ();
    assert_string_equal (who, "rank 1");
    zstr_free (&who);
    zclock_sleep (1200);
    who = s_who_answers ();
    assert_string_equal (who, "rank 2");
    zstr_free (&who);
    zactor_destroy (&high);
    zactor_destroy (&low);
    zactor_destroy (&broker);
}

//  A worker that takes a request and dies silently: the broker must notice it by the
//  missing heartbeats and give the request to a live worker.
static void
test_dead_worker_request_is_requeued (void **state)
{
    (void) state;
    zactor_t *broker = zactor_new (s_broker_actor, s_config);
    zsock_t *silent = zsock_new_dealer (bz_config_endpoint (s_config, "bus"));
    bz_msg_t ready;
    bz_msg_init (&ready, BZ_MSG_WORKER);
    bz_msg_set_str (ready.service, sizeof ready.service, "echo");
    ready.count = 10;
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, BZ_WORKER_PROTO);
    zmsg_addstr (msg, BZ_READY);
    zmsg_append (msg, &(zframe_t *) { bz_msg_encode (&ready) });
    zmsg_send (&msg, silent);
    zclock_sleep (50);

    //  Both are idle: the silent one registered first and takes the request.
    zactor_t *echo = zactor_new (s_echo_actor, (void *) 0);
    zmsg_t *reply = s_request ("echo", "survive", 2000);
    assert_non_null (reply);
    char *text = zmsg_popstr (reply);
    assert_string_equal (text, "survive");
    zstr_free (&text);
    zmsg_destroy (&reply);
    zactor_destroy (&echo);
    zsock_destroy (&silent);
    zactor_destroy (&broker);
}

//  Several requests expiring in one housekeeping pass: the broker once freed the list
//  node under its cursor here (found by ASan when the catalog was down).
static void
test_many_queued_requests_expire_together (void **state)
{
    (void) state;
    zactor_t *broker = zactor_new (s_broker_actor, s_config);
    bz_client_t *clients [5];
    for (int i = 0; i < 5; i++) {
        clients [i] = bz_client_new (s_config);
        zmsg_t *request = zmsg_new ();
        zmsg_addstr (request, "anyone?");
        assert_int_equal (bz_client_send (clients [i], "nobody", &request), 0);
    }
    for (int i = 0; i < 5; i++) {
        zsock_set_rcvtimeo (bz_client_socket (clients [i]), 2000);
        zmsg_t *reply = bz_client_recv (clients [i]);
        assert_non_null (reply);
        bz_msg_t error;
        char why [128];
        assert_int_equal (bz_msg_decode_frame (&error, zmsg_first (reply), why, sizeof why), BZ_MSG_ERROR);
        assert_int_equal (error.code, 503);
        zmsg_destroy (&reply);
        bz_client_destroy (&clients [i]);
    }
    zactor_destroy (&broker);
}

//  Garbage of every shape must leave the broker serving.
static void
test_garbage_is_dropped (void **state)
{
    (void) state;
    zactor_t *broker = zactor_new (s_broker_actor, s_config);
    zactor_t *echo = zactor_new (s_echo_actor, (void *) 0);
    zsock_t *rogue = zsock_new_dealer (bz_config_endpoint (s_config, "bus"));
    const char *shapes [][6] = {
        { "x" }, { "", "BZC1" }, { "", "BZC1", "echo" }, { "", "BZW1", "\003" },
        { "", "BZW1", "\001", "not msgpack" }, { "", "BZW1", "\077" }, { "", "NOPE", "a", "b" },
        { "", "BZW1", "\004" }, { "", "BZC1", "", "id", "body" },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes [0]; i++) {
        zmsg_t *msg = zmsg_new ();
        for (int f = 0; f < 6 && shapes [i][f]; f++)
            zmsg_addstr (msg, shapes [i][f]);
        zmsg_send (&msg, rogue);
    }
    zmsg_t *reply = s_request ("echo", "still here", 2000);
    assert_non_null (reply);
    char *text = zmsg_popstr (reply);
    assert_string_equal (text, "still here");
    zstr_free (&text);
    zmsg_destroy (&reply);
    zsock_destroy (&rogue);
    zactor_destroy (&echo);
    zactor_destroy (&broker);
}

//  The services whose metrics bus.metrics carries, as "service:rank " for each.
static char *
s_metrics_services (zmsg_t *reply)
{
    char *list = strdup ("");
    zframe_t *frame = zmsg_first (reply);
    while (frame) {
        bz_msg_t header;
        char error [128];
        assert_int_equal (bz_msg_decode_frame (&header, frame, error, sizeof error), BZ_MSG_WORKER);
        bz_metrics_t *metrics = bz_metrics_decode (reply, zmsg_next (reply), (size_t) header.count,
                                                   error, sizeof error);
        assert_non_null (metrics);
        bz_metrics_destroy (&metrics);
        char *longer = zsys_sprintf ("%s%s:%d ", list, header.service, (int) header.rank);
        free (list);
        list = longer;
        frame = zmsg_next (reply);
    }
    return list;
}

//  bus.metrics: the bus's own and each worker's latest; a worker's malformed METRICS
//  are dropped whole and the bus goes on serving.
static void
test_metrics_gathered_and_checked (void **state)
{
    (void) state;
    zactor_t *broker = zactor_new (s_broker_actor, s_config);
    zactor_t *echo = zactor_new (s_echo_actor, (void *) 2);
    zsock_t *rogue = zsock_new_dealer (bz_config_endpoint (s_config, "bus"));
    bz_msg_t ready;
    bz_msg_init (&ready, BZ_MSG_WORKER);
    bz_msg_set_str (ready.service, sizeof ready.service, "rogue");
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, BZ_WORKER_PROTO);
    zmsg_addstr (msg, BZ_READY);
    zmsg_append (msg, &(zframe_t *) { bz_msg_encode (&ready) });
    zmsg_send (&msg, rogue);
    msg = zmsg_new ();
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, BZ_WORKER_PROTO);
    zmsg_addstr (msg, BZ_METRICS);
    zmsg_addstr (msg, "version 1");
    zmsg_addstr (msg, "x_total counter fine\n1");
    zmsg_addstr (msg, "y_total counter broken\n-1");
    zmsg_send (&msg, rogue);
    char *services = NULL;
    for (int tries = 0; tries < 40; tries++) {
        zmsg_t *reply = s_request (BZ_SERVICE_METRICS, "", 2000);
        assert_non_null (reply);
        zstr_free (&services);
        services = s_metrics_services (reply);
        zmsg_destroy (&reply);
        if (strstr (services, "echo:2 "))
            break;
        zclock_sleep (50);
    }
    assert_string_equal (services, "bus:0 echo:2 ");
    zstr_free (&services);
    zsock_destroy (&rogue);
    zactor_destroy (&echo);
    zactor_destroy (&broker);
}


//  A rank-0 echo worker that signs its replies "worker N" (N from args).
static void
s_signed_actor (zsock_t *pipe, void *args)
{
    s_serve_echo (pipe, 0, "worker", (int) (intptr_t) args);
}

//  Idle workers of a service take turns: with one request at a time every worker is
//  equally (un)loaded, and each must still get its share, not the first one all.
static void
test_idle_workers_take_turns (void **state)
{
    (void) state;
    zactor_t *broker = zactor_new (s_broker_actor, s_config);
    zactor_t *first = zactor_new (s_signed_actor, (void *) 1);
    zactor_t *second = zactor_new (s_signed_actor, (void *) 2);
    zclock_sleep (300);                 //  both registered
    int answers [3] = { 0, 0, 0 };
    for (int i = 0; i < 20; i++) {
        zmsg_t *reply = s_request ("echo", "x", 2000);
        assert_non_null (reply);
        char *text = zframe_strdup (zmsg_last (reply));
        int n = 0;
        assert_int_equal (sscanf (text, "worker %d", &n), 1);
        assert_true (n == 1 || n == 2);
        answers [n]++;
        zstr_free (&text);
        zmsg_destroy (&reply);
    }
    assert_int_equal (answers [1], 10);
    assert_int_equal (answers [2], 10);
    zactor_destroy (&second);
    zactor_destroy (&first);
    zactor_destroy (&broker);
}

int
main (void)
{
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_request_reaches_worker_and_back, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_service_without_worker_gets_503, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_ranked_service_goes_to_highest_rank, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_returning_leader_waits_before_leading, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_dead_worker_request_is_requeued, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_many_queued_requests_expire_together, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_garbage_is_dropped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_idle_workers_take_turns, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_metrics_gathered_and_checked, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
