/*  frontend_conn: connection limits civetweb 1.15 lacks: how many connections hold a worker
    thread, and cutting off a request body we will not read. Used by frontend_server/api. */
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

#endif
