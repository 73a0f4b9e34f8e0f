/*  bazaar-slowloris: holds N connections to an HTTP server that each send a partial request
    and dribble a header byte per interval, reconnecting when cut off. For tests and bench.
    Usage: bazaar-slowloris PORT CONNECTIONS SECONDS [INTERVAL_MS]; loopback only.        */
#include <arpa/inet.h>
#include "bz_cli.h"
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONNECTIONS_MAX     20000
static const char s_head [] = "GET /stocks/GameStart HTTP/1.1\r\nHost: bazaar\r\nX-Slow: ";

typedef struct {
    int fd;                 //  -1: to be opened
    int64_t opened_at;
    int64_t next_byte_at;
    bool head_sent;
} slow_t;

//  Starts a non-blocking connect to 127.0.0.1:port; -1 when no socket is left.
static int
s_open (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &address, sizeof address) && errno != EINPROGRESS) {
        close (fd);
        return -1;
    }
    return fd;
}

//  Sends what is due on one connection; false when the server cut it off.
static bool
s_dribble (slow_t *slow, int64_t now, int interval_ms)
{
    if (now < slow->next_byte_at)
        return true;
    const char *data = slow->head_sent? "x": s_head;
    size_t size = slow->head_sent? 1: sizeof s_head - 1;
    ssize_t sent = send (slow->fd, data, size, MSG_NOSIGNAL);
    if (sent < 0)
        return errno == EAGAIN || errno == ENOTCONN || errno == EINPROGRESS;
    slow->head_sent = slow->head_sent || (size_t) sent == size;
    slow->next_byte_at = now + interval_ms;
    return true;
}

static const bz_cli_option_t s_options [] = { { NULL, NULL, NULL, 0 } };
static const bz_cli_t s_cli = {
    "bazaar-slowloris", "PORT CONNECTIONS SECONDS [INTERVAL_MS]",
    "Holds CONNECTIONS connections to 127.0.0.1:PORT for SECONDS, each sending a partial\n"
    "request and one more header byte every INTERVAL_MS (500), reconnecting when cut off.\n"
    "For tests and benchmarks of slow clients; loopback only.",
    s_options, 3, 4, NULL
};

int
main (int argc, char *argv [])
{
    const char *values [1];
    int rc;
    int first = bz_cli_parse (&s_cli, argc, argv, values, &rc);
    if (first < 0)
        return rc;
    int64_t port, count, seconds, interval_ms = 500;
    if ((rc = bz_cli_int (&s_cli, "PORT", argv [first], 1, 65535, &port))
    ||  (rc = bz_cli_int (&s_cli, "CONNECTIONS", argv [first + 1], 1, CONNECTIONS_MAX, &count))
    ||  (rc = bz_cli_int (&s_cli, "SECONDS", argv [first + 2], 1, 86400, &seconds))
    ||  (first + 3 < argc
         && (rc = bz_cli_int (&s_cli, "INTERVAL_MS", argv [first + 3], 1, 60000, &interval_ms))))
        return rc;
    slow_t *slows = calloc ((size_t) count, sizeof (slow_t));
    struct pollfd *items = calloc ((size_t) count, sizeof (struct pollfd));
    if (!slows || !items)
        return 1;
    for (int i = 0; i < count; i++)
        slows [i].fd = -1;
    int64_t end = zclock_mono () + (int64_t) seconds * 1000;
    long cut = 0, failed = 0;
    int64_t held_max = 0, held_sum = 0;
    for (int64_t now = zclock_mono (); now < end; now = zclock_mono ()) {
        for (int i = 0; i < count; i++) {
            slow_t *slow = &slows [i];
            if (slow->fd < 0) {
                slow->fd = s_open (port);
                failed += slow->fd < 0;
                slow->opened_at = now;
                slow->next_byte_at = now;
                slow->head_sent = false;
            }
            if (slow->fd >= 0 && !s_dribble (slow, now, interval_ms)) {
                close (slow->fd);
                slow->fd = -1;
            }
            items [i] = (struct pollfd) { .fd = slow->fd, .events = POLLIN };
        }
        if (poll (items, (nfds_t) count, 50) < 0 && errno != EINTR)
            break;
        now = zclock_mono ();
        for (int i = 0; i < count; i++) {
            if (slows [i].fd < 0 || !(items [i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            //  Anything from the server (an error page, an end) means it let go of us
            char sink [512];
            if (recv (slows [i].fd, sink, sizeof sink, MSG_DONTWAIT) < 0 && errno == EAGAIN)
                continue;
            int64_t held = now - slows [i].opened_at;
            held_sum += held;
            held_max = held > held_max? held: held_max;
            cut++;
            close (slows [i].fd);
            slows [i].fd = -1;
        }
    }
    for (int i = 0; i < count; i++)
        if (slows [i].fd >= 0)
            close (slows [i].fd);
    printf ("{\"connections\":%d,\"cut_off\":%ld,\"held_ms_max\":%lld,\"held_ms_mean\":%lld,"
            "\"failed_connects\":%ld}\n", (int) count, cut, (long long) held_max,
            (long long) (cut? held_sum / cut: 0), failed);
    free (slows);
    free (items);
    return 0;
}
