/*  bazaar-busctl: asks the bus who is live, or prints a setting as the services see
    it (config file plus BAZAAR_<KEY> overrides). Used by scripts/cluster and people.
    Usage: bazaar-busctl [--config PATH] [--json] workers|leader|config KEY          */
#include "bz_cli.h"
#include <jansson.h>
#include "bz_client.h"
#include "bz_bus.h"
#include "bz_msg.h"
#include "bz_security.h"

enum { OPT_CONFIG, OPT_JSON };
static const bz_cli_option_t s_options [] = {
    BZ_CLI_CONFIG,
    { "json", NULL, "print JSON (workers: an array of objects; leader: an object)", 0 },
    { NULL, NULL, NULL, 0 }
};
static const bz_cli_t s_cli = {
    "bazaar-busctl", "[--config PATH] [--json] workers|leader|config KEY",
    "Asks the bus who is live, or prints a setting as the services see it:\n"
    "  workers      the live workers, sorted, with a header: service, rank, in flight, role\n"
    "  leader       the order leader's replica id\n"
    "  config KEY   the setting KEY (config file, then BAZAAR_<KEY>); see bazaar-config",
    s_options, 1, 2,
    "  0  success\n  1  the bus did not answer, or there is no order leader\n"
    "  2  usage error or bad setting"
};

typedef struct {
    char service [BZ_SERVICE_MAX + 1];
    int64_t rank, inflight;
} worker_row_t;

//  By service, then rank: the order people read and scripts diff.
static int
s_compare_rows (const void *a, const void *b)
{
    const worker_row_t *x = (const worker_row_t *) a, *y = (const worker_row_t *) b;
    int by_name = strcmp (x->service, y->service);
    return by_name? by_name: (x->rank > y->rank) - (x->rank < y->rank);
}

//  Prints the live workers (a header, then one row each, sorted), or the order
//  leader's replica id; as JSON with json. Returns the exit code: 1 when the bus did
//  not answer, or, for leader, when there is none.
static int
s_query (bz_config_t *config, bool leader_only, bool json)
{
    bz_client_t *client = bz_client_new (config);
    if (!client)
        return 1;
    zmsg_t *request = zmsg_new ();
    zmsg_addstr (request, "");
    zmsg_t *reply = bz_client_request (client, BZ_SERVICE_WORKERS, &request, 2000);
    bz_client_destroy (&client);
    if (!reply) {
        fprintf (stderr, "busctl: the bus did not answer\n");
        return 1;
    }
    size_t count = 0;
    worker_row_t *rows = (worker_row_t *) calloc (zmsg_size (reply) + 1, sizeof *rows);
    int64_t leader = 0;
    for (zframe_t *frame = zmsg_first (reply); frame && rows; frame = zmsg_next (reply)) {
        bz_msg_t worker;
        char error [128];
        if (bz_msg_decode_frame (&worker, frame, error, sizeof error) != BZ_MSG_WORKER)
            continue;
        if (streq (worker.service, "order") && worker.rank > leader)
            leader = worker.rank;
        snprintf (rows [count].service, sizeof rows [count].service, "%s", worker.service);
        rows [count].rank = worker.rank;
        rows [count].inflight = worker.count;
        count++;
    }
    zmsg_destroy (&reply);
    if (rows)
        qsort (rows, count, sizeof *rows, s_compare_rows);
    if (leader_only && json)
        printf (leader? "{\"service\":\"order\",\"leader\":%" PRId64 "}\n"
                      : "{\"service\":\"order\",\"leader\":null}\n", leader);
    else
    if (leader_only && leader)
        printf ("%" PRId64 "\n", leader);
    else
    if (!leader_only && json) {
        json_t *list = json_array ();
        for (size_t i = 0; i < count; i++)
            json_array_append_new (list, json_pack ("{s:s,s:I,s:I,s:b}",
                "service", rows [i].service, "rank", (json_int_t) rows [i].rank,
                "inflight", (json_int_t) rows [i].inflight,
                "leader", streq (rows [i].service, "order") && rows [i].rank == leader));
        char *text = json_dumps (list, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf ("%s\n", text? text: "[]");
        free (text);
        json_decref (list);
    }
    else
    if (!leader_only) {
        printf ("%-12s %-5s %-9s %s\n", "SERVICE", "RANK", "INFLIGHT", "ROLE");
        for (size_t i = 0; i < count; i++)
            printf ("%-12s %-5" PRId64 " %-9" PRId64 " %s\n", rows [i].service, rows [i].rank,
                    rows [i].inflight, streq (rows [i].service, "order")
                    ? (rows [i].rank == leader? "leader": "follower"): "");
    }
    free (rows);
    return leader_only && !leader && !json? 1: 0;
}

int
main (int argc, char *argv [])
{
    const char *values [2];
    int rc;
    int first = bz_cli_parse (&s_cli, argc, argv, values, &rc);
    if (first < 0)
        return rc;
    const char *command = argv [first], *key = first + 1 < argc? argv [first + 1]: NULL;
    bool config_key = streq (command, "config");
    if (config_key != (key != NULL)
    ||  (!config_key && !streq (command, "workers") && !streq (command, "leader")))
        return bz_cli_usage_error (&s_cli, "unknown command '%s%s%s'", command,
                                   key? " ": "", key? key: "");
    if (config_key && !bz_config_known (key))
        return bz_cli_usage_error (&s_cli, "no setting named '%s' (bazaar-config lists them)", key);
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    bz_config_t *config = bz_config_new (values [OPT_CONFIG]);
    if (!config)
        return 2;
    rc = 0;
    if (config_key)
        printf ("%s\n", bz_config_str (config, key));
    else {
        bz_security_t *security = bz_security_new (config);
        bz_security_set_default (security);
        rc = security? s_query (config, streq (command, "leader"), values [OPT_JSON] != NULL): 1;
        bz_security_destroy (&security);
    }
    bz_config_destroy (&config);
    return rc;
}
