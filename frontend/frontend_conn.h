/*  frontend_conn: connection limits civetweb 1.15 lacks: how many connections hold a worker
    thread, reading a body within a deadline, cutting off one we will not read.        */
#ifndef FRONTEND_CONN_H
#define FRONTEND_CONN_H

#include <civetweb.h>
#include <stdbool.h>
#include <stdint.h>

//  A whole request body must arrive within this long of the handler's start, and one
//  read waits at most this long (civetweb's request_timeout_ms, which also bounds the
//  request line plus headers as a whole). A constant, not a config key: it is about
//  hostile clients, not deployment.
#define FRONTEND_READ_DEADLINE_MS   2000

//  Counts the connections that hold a worker thread (civetweb's init_connection and
//  connection_close callbacks). limit is num_threads: at the limit every thread is
//  taken and new connections wait in civetweb's queue. One HTTP server per process.
void frontend_conn_set_limit (int64_t limit);
void frontend_conn_opened (void);
void frontend_conn_closed (void);
int64_t frontend_conn_open (void);

//  True when every worker thread holds a connection: responses then ask the client to
//  close, so a queued connection gets a thread after one response rather than after
//  a keep-alive client goes idle (which a busy client never does).
bool frontend_conn_saturated (void);

//  After the response went out, for a request whose body we leave unread (too large,
//  too slow, not expected): civetweb would otherwise read and discard the rest of the
//  body for as long as the client keeps sending it, a byte at a time if it likes,
//  holding the thread. Drains what arrives within a short linger (so a fast client
//  reads our answer rather than a reset), then shuts the socket's read side: civetweb
//  sees end of input and closes the connection. Returns false when the socket was not
//  found (civetweb then discards as before).
bool frontend_conn_refuse_body (struct mg_connection *conn);

//  What frontend_conn_read_body returns instead of a size.
#define FRONTEND_BODY_TOO_LARGE     -1
#define FRONTEND_BODY_BROKEN        -2
#define FRONTEND_BODY_TOO_SLOW      -3

//  Reads the request body into body, at most size - 1 bytes, all within
//  FRONTEND_READ_DEADLINE_MS. Returns its size, or FRONTEND_BODY_TOO_LARGE when it is
//  larger (or says it is), FRONTEND_BODY_BROKEN when the read failed or the body ended
//  short, FRONTEND_BODY_TOO_SLOW when the deadline passed first.
//  One byte per mg_read: civetweb returns from a read of n bytes only once it has all n
//  or the socket went quiet for its request_timeout_ms, so a larger read would let a
//  client that sends a byte every half second hold the thread for n/2 seconds. A body
//  that came with the headers (the usual case) is in civetweb's buffer: each byte then
//  costs a copy, no syscall. So the deadline overshoots by at most one quiet read.
long frontend_conn_read_body (struct mg_connection *conn, char *body, size_t size);

#endif
