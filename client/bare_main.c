/*  bazaar-bare: the benchmark's baseline, a bare civetweb handler that answers every
    request with the same lookup JSON the frontend serves, with civetweb options close to
    the frontend's (128 threads, a 5 s request timeout).
    Usage: bazaar-bare PORT. Used by scripts/bench to measure the cache against it.   */
#include <civetweb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bz_cli.h"

static const bz_cli_t s_cli = {
    "bazaar-bare", "PORT",
    "The benchmark's baseline: a bare civetweb handler on 127.0.0.1:PORT that answers every\n"
    "request with the same lookup JSON the frontend serves. Runs until SIGINT or SIGTERM.",
    NULL, 1, 1, NULL
};

static const char s_body [] = "{\"data\":{\"name\":\"GameStart\",\"price\":15.99,\"quantity\":100}}";
static volatile sig_atomic_t s_stop = 0;

//  The whole response in one write, as frontend_reply does.
static int
s_handle (struct mg_connection *conn, void *cbdata)
{
    (void) cbdata;
    char response [512];
    int size = snprintf (response, sizeof response,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
        "Cache-Control: no-store\r\nConnection: keep-alive\r\n\r\n%s",
        sizeof s_body - 1, s_body);
    mg_write (conn, response, (size_t) size);
    return 200;
}

static void
s_on_signal (int signal)
{
    (void) signal;
    s_stop = 1;
}

int
main (int argc, char *argv [])
{
    int rc;
    int first = bz_cli_parse (&s_cli, argc, argv, NULL, &rc);
    if (first < 0)
        return rc;
    int64_t port;
    if ((rc = bz_cli_int (&s_cli, "PORT", argv [first], 1, 65535, &port)))
        return rc;
    char address [32];
    snprintf (address, sizeof address, "127.0.0.1:%d", (int) port);
    const char *options [] = {
        "listening_ports", address, "num_threads", "128", "enable_keep_alive", "yes",
        "keep_alive_timeout_ms", "5000", "tcp_nodelay", "1", "request_timeout_ms", "5000",
        "max_request_size", "16384", "decode_url", "no", NULL
    };
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    mg_init_library (0);
    struct mg_callbacks callbacks;
    memset (&callbacks, 0, sizeof callbacks);
    struct mg_context *context = mg_start (&callbacks, NULL, options);
    if (!context) {
        fprintf (stderr, "bazaar-bare: cannot address on %s\n", address);
        return 1;
    }
    mg_set_request_handler (context, "/", s_handle, NULL);
    while (!s_stop)
        usleep (100000);
    mg_stop (context);
    mg_exit_library ();
    return 0;
}
