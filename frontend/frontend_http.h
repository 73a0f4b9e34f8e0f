/*  frontend_http: the frontend's event-driven HTTP/1.1 server. A few event loops (one
    per core) hold every connection without a thread each, parse and read requests,
    answer what needs no service at once (a cached lookup), and hand the rest to a pool
    of worker threads, which may wait on the bus. Serves the live page's WebSocket. */
#ifndef FRONTEND_HTTP_H
#define FRONTEND_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include "frontend_metrics.h"
#include "frontend_reply.h"

//  A slow client's bound: a request's head must arrive within this long of its first
//  byte, and its body within this long of the head. Neither is a config key: they are
//  about hostile clients, not deployment.
#define FRONTEND_READ_DEADLINE_MS   2000
//  An idle keep-alive connection is closed after this long.
#define FRONTEND_KEEP_ALIVE_MS      5000
//  The most event loops.
#define FRONTEND_HTTP_LOOPS_MAX     16

//  What a handler returns when answering would wait and it may not (in a loop).
#define FRONTEND_HTTP_WAIT          0

typedef struct _frontend_http_t frontend_http_t;

typedef struct {
    const char *host;               //  the address to listen on
    int port;
    int loops;                      //  event loops, 1..FRONTEND_HTTP_LOOPS_MAX
    int workers;                    //  threads for requests that wait on a service
    int queue_max;                  //  requests waiting for a worker, at most
    int queue_wait_ms;              //  longest wait for a worker; then 503 overloaded
    int64_t connections_max;        //  open connections at most; more are closed at once
    //  Answers exchange with one frontend_reply_* call and returns the status. Called
    //  first in a loop with may_wait false: a request that would wait on a service
    //  returns FRONTEND_HTTP_WAIT, and is handled again in a worker, may_wait true.
    int (*handle) (void *arg, frontend_exchange_t *exchange, bool may_wait);
    //  The WebSocket at /ws (all NULL: none). Each socket has an id, unique in the
    //  process. open (in a loop) accepts a socket or refuses it (503); ready runs in a
    //  worker once the handshake went out; message (in a worker) is a text frame
    //  from the page; close (in a loop) comes once for every socket opened.
    bool (*ws_open) (void *arg, uint64_t id);
    void (*ws_ready) (void *arg, uint64_t id);
    void (*ws_message) (void *arg, uint64_t id, const char *text, size_t size);
    void (*ws_close) (void *arg, uint64_t id);
    void *arg;                      //  handle's
    void *ws_arg;                   //  the ws_ callbacks'
    frontend_metrics_t *metrics;    //  requests refused for overload, connections
} frontend_http_options_t;

//  Listens and starts the loops and workers. NULL when it cannot (port in use).
frontend_http_t *frontend_http_new (const frontend_http_options_t *options);

//  Stops: the workers finish the request each holds, the loops close every
//  connection. No callback runs after it returns.
void frontend_http_destroy (frontend_http_t **self_p);

//  Queues a text frame to WebSocket id, or (id 0) to every open WebSocket, from any
//  thread; dropped when it is closed. Ids start at 1.
void frontend_http_ws_send (frontend_http_t *self, uint64_t id, const char *text, size_t size);

#endif
