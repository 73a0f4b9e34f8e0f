/*  frontend_conn: connection limits civetweb 1.15 lacks: how many connections hold a worker
    thread, reading a body within a deadline, cutting off one we will not read.        */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include "frontend_conn.h"

//  How long, and how much, we read and drop before shutting the read side: enough for a
//  fast client's body to land, so that closing does not reset our answer away.
#define LINGER_MS           200
#define LINGER_QUIET_MS     20
#define LINGER_BYTES        (1024 * 1024)
//  The fd search looks no further than this (the process's descriptor limit otherwise).
#define FD_SEARCH_MAX       65536

static atomic_int_fast64_t s_open;
static atomic_int_fast64_t s_limit = INT64_MAX;

void
frontend_conn_set_limit (int64_t limit)
{
    atomic_store_explicit (&s_limit, limit > 0? limit: INT64_MAX, memory_order_relaxed);
}

void
frontend_conn_opened (void)
{
    atomic_fetch_add_explicit (&s_open, 1, memory_order_relaxed);
}

void
frontend_conn_closed (void)
{
    atomic_fetch_sub_explicit (&s_open, 1, memory_order_relaxed);
}

int64_t
frontend_conn_open (void)
{
    return atomic_load_explicit (&s_open, memory_order_relaxed);
}

bool
frontend_conn_saturated (void)
{
    return atomic_load_explicit (&s_open, memory_order_relaxed)
        >= atomic_load_explicit (&s_limit, memory_order_relaxed);
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  civetweb does not hand out a connection's socket: find the descriptor whose TCP
//  addresses are this request's (a 4-tuple names one live connection, and ours cannot
//  close while we run on it). About a thousand cheap syscalls, on rare paths only.
static int
s_find_socket (const struct mg_connection *conn)
{
    const struct mg_request_info *info = mg_get_request_info (conn);
    if (!info || info->is_ssl)
        return -1;
    struct in_addr remote;
    if (inet_pton (AF_INET, info->remote_addr, &remote) != 1)
        return -1;
    struct rlimit limit;
    int last = FD_SEARCH_MAX;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < (rlim_t) last)
        last = (int) limit.rlim_cur;
    for (int fd = 0; fd < last; fd++) {
        struct sockaddr_in address;
        socklen_t length = sizeof address;
        if (getpeername (fd, (struct sockaddr *) &address, &length) || address.sin_family != AF_INET
        ||  address.sin_addr.s_addr != remote.s_addr
        ||  ntohs (address.sin_port) != (uint16_t) info->remote_port)
            continue;
        length = sizeof address;
        if (getsockname (fd, (struct sockaddr *) &address, &length) == 0
        &&  ntohs (address.sin_port) == (uint16_t) info->server_port)
            return fd;
    }
    return -1;
}

bool
frontend_conn_refuse_body (struct mg_connection *conn)
{
    int fd = s_find_socket (conn);
    if (fd < 0)
        return false;
    char sink [4096];
    size_t dropped = 0;
    int64_t end = s_now_ms () + LINGER_MS;
    for (int64_t left = LINGER_MS; left > 0 && dropped < LINGER_BYTES; left = end - s_now_ms ()) {
        struct pollfd item = { .fd = fd, .events = POLLIN };
        if (poll (&item, 1, left < LINGER_QUIET_MS? (int) left: LINGER_QUIET_MS) <= 0)
            break;
        ssize_t n = recv (fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n <= 0)
            break;
        dropped += (size_t) n;
    }
    return shutdown (fd, SHUT_RD) == 0;
}

long
frontend_conn_read_body (struct mg_connection *conn, char *body, size_t size)
{
    assert (conn && body && size > 1);
    const struct mg_request_info *info = mg_get_request_info (conn);
    long long most = (long long) size - 1;
    if (info->content_length > most)
        return FRONTEND_BODY_TOO_LARGE;
    int64_t deadline = s_now_ms () + FRONTEND_READ_DEADLINE_MS;
    size_t used = 0;
    while (used < size) {
        int n = mg_read (conn, body + used, 1);
        if (n < 0)
            return FRONTEND_BODY_BROKEN;
        if (n == 0) {
            //  The end, or a read that timed out: civetweb says 0 for both
            bool late = s_now_ms () >= deadline;
            if (info->content_length >= 0 && (long long) used < info->content_length)
                return late? FRONTEND_BODY_TOO_SLOW: FRONTEND_BODY_BROKEN;
            if (late)               //  chunked: no telling the end from a timeout
                return FRONTEND_BODY_TOO_SLOW;
            break;
        }
        used += (size_t) n;
        bool complete = info->content_length >= 0 && (long long) used >= info->content_length;
        if (!complete && s_now_ms () >= deadline)
            return FRONTEND_BODY_TOO_SLOW;
    }
    return (long long) used > most? FRONTEND_BODY_TOO_LARGE: (long) used;
}
