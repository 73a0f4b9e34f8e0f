/*  frontend_http: the frontend's event-driven HTTP/1.1 server. A few event loops (one
    per core) hold every connection without a thread each, parse and read requests,
    answer what needs no service at once (a cached lookup), and hand the rest to a pool
    of worker threads, which may wait on the bus. Serves the live page's WebSocket.

    Each connection belongs to one loop and is a small state machine:

        READ ──head and body read──▶ handle in the loop ──answered──▶ WRITE
          ▲                              │ would wait                   │
          │                              ▼                              │
          │                            WAIT (a worker handles it) ──────┤
          └──────── written, keep-alive ────────────────────────────────┘
        WRITE ──written, close──▶ LINGER (read side drained, then closed)
        READ ──"Upgrade: websocket" on /ws──▶ WS (frames both ways)
        any ──end of input, error, deadline──▶ CLOSED (freed at the end of the turn)

    Only the loop touches a connection, except in WAIT, when only the worker that holds
    it touches its exchange; the worker hands it back through the loop's mailbox. A
    connection is in its loop's epoll once, edge-triggered for input and output.    */
#include <czmq.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "frontend_http.h"
#include "frontend_json.h"
#include "frontend_ws.h"

//  A connection's input buffer starts at this size and grows to hold a whole request
#define INPUT_START         2048
#define INPUT_MAX           (FRONTEND_HEAD_MAX + FRONTEND_BODY_MAX)
//  A client that does not read its response within this long is cut off
#define WRITE_DEADLINE_MS   10000
//  After a response that closes, how long we read (and drop) what the client still
//  sends before we close, so that it reads our answer rather than a reset
#define LINGER_MS           500
//  A page that leaves this much of its frames unread is cut off
#define WS_PENDING_MAX      (1024 * 1024)
//  How often a loop looks for connections past their deadline
#define SWEEP_MS            100
#define EVENTS_MAX          64
#define ACCEPTS_MAX         32      //  per wake-up of one loop: the others get a share
#define BACKLOG             4096
#define WORKER_STACK        (512 * 1024)
//  A response buffer that grew past this (a /metrics page) is freed once sent
#define RESPONSE_KEEP_MAX   8192

//  CLOSED: the descriptor is closed and the connection waits to be freed at the end of
//  its loop's turn, since an event for it may still be in that turn's batch.
typedef enum { READ, WAIT, WRITE, LINGER, WS, CLOSED } state_t;

typedef struct _loop_t loop_t;
typedef struct _conn_t conn_t;

//  What another thread hands a loop: an answered request (conn), or a frame for
//  WebSocket id. A request's mail is part of its connection; a frame's is malloc'd.
typedef struct _mail_t {
    struct _mail_t *next;
    conn_t *conn;
    uint64_t id;
    char *frame;                    //  follows the mail in its block
    size_t size;
} mail_t;

//  What a loop hands the workers: a request to answer (conn, part of it), or a
//  WebSocket event for id (malloc'd): the socket is ready, or a text came.
typedef struct _job_t {
    struct _job_t *next;
    conn_t *conn;
    uint64_t id;
    int64_t queued;                 //  ms
    bool ready;
    char *text;                     //  follows the job in its block
    size_t size;
} job_t;

struct _conn_t {
    int fd;
    uint64_t id;                    //  unique in the process; names a WebSocket
    loop_t *loop;
    state_t state;
    bool readable;                  //  the socket may hold bytes we have not read
    char *input;                    //  bytes read and not yet consumed
    size_t input_size, input_max;
    size_t searched;                //  how much of input frontend_request_end searched
    bool parsed;                    //  the request's head is parsed
    size_t request_size;            //  head + body of the request (once it is known)
    int64_t deadline;               //  ms (zclock_mono); 0: none
    bool continued;                 //  "100 Continue" sent for this request
    frontend_exchange_t exchange;   //  the request being answered, and the output
    size_t sent;                    //  of exchange.response
    job_t job;                      //  the request handed to a worker (WAIT)
    mail_t mail;                    //  and handed back
    conn_t *prev, *next;            //  the loop's connections
};

struct _loop_t {
    frontend_http_t *server;
    int index;
    int epoll;
    int wake;                       //  eventfd: the mailbox has mail, or stop
    pthread_t thread;
    bool started;
    conn_t *conns;                  //  every open connection of this loop
    conn_t *closed;                 //  closed in this turn, freed at its end
    uint64_t next_id;
    pthread_mutex_t lock;           //  guards mail
    mail_t *mail, *mail_tail;
};

struct _frontend_http_t {
    frontend_http_options_t options;
    int listener;
    loop_t loops [FRONTEND_HTTP_LOOPS_MAX];
    int loop_count;
    atomic_bool stopping;           //  no new connection, none kept alive
    atomic_bool loops_stop;         //  the workers are gone: the loops end
    atomic_int_fast64_t connections;
    //  The workers' queue
    pthread_mutex_t lock;
    pthread_cond_t ready;
    job_t *jobs, *jobs_tail;
    int job_count;
    bool workers_stop;
    pthread_t *workers;
    int worker_count;
};

//  Tags of the two descriptors in a loop's epoll that are not connections.
static char s_listener_tag, s_wake_tag;

//  --------------------------------------------------------------------------
//  Connections

static void s_process (conn_t *conn);
static bool s_process_request (conn_t *conn);
static bool s_read (conn_t *conn);

static void
s_close (conn_t *conn)
{
    if (conn->state == CLOSED)
        return;
    loop_t *loop = conn->loop;
    frontend_http_t *server = loop->server;
    if (conn->state == WS && server->options.ws_close)
        server->options.ws_close (server->options.ws_arg, conn->id);
    close (conn->fd);
    conn->state = CLOSED;
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        loop->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    conn->prev = NULL;
    conn->next = loop->closed;
    loop->closed = conn;
    atomic_fetch_sub (&server->connections, 1);
    frontend_metrics_connections (server->options.metrics, -1);
}

//  Frees the connections closed in this turn.
static void
s_free_closed (loop_t *loop)
{
    while (loop->closed) {
        conn_t *conn = loop->closed;
        loop->closed = conn->next;
        free (conn->input);
        free (conn->exchange.response);
        free (conn);
    }
}

//  The response is out: shut our side, drop what the client still sends for a short
//  while, then close.
static void
s_linger (conn_t *conn)
{
    shutdown (conn->fd, SHUT_WR);
    conn->state = LINGER;
    conn->input_size = 0;
    conn->readable = true;
    conn->deadline = zclock_mono () + LINGER_MS;
}

//  What s_send found.
#define SEND_CLOSED     -1      //  the connection is gone
#define SEND_PENDING    0       //  some is left: epoll tells when to go on
#define SEND_DONE       1       //  all of it is out

//  Sends what the exchange's response holds.
static int
s_send (conn_t *conn)
{
    frontend_exchange_t *exchange = &conn->exchange;
    while (conn->sent < exchange->response_size) {
        ssize_t sent = send (conn->fd, exchange->response + conn->sent,
                             exchange->response_size - conn->sent, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (sent <= 0) {
            s_close (conn);
            return SEND_CLOSED;
        }
        conn->sent += (size_t) sent;
    }
    if (conn->sent < exchange->response_size) {
        if (conn->state == WS && exchange->response_size - conn->sent > WS_PENDING_MAX) {
            s_close (conn);
            return SEND_CLOSED;
        }
        if (conn->state != WS)
            conn->deadline = zclock_mono () + WRITE_DEADLINE_MS;
        return SEND_PENDING;            //  EPOLLOUT says when to go on
    }
    exchange->response_size = conn->sent = 0;
    if (exchange->response_max > RESPONSE_KEEP_MAX) {
        free (exchange->response);
        exchange->response = NULL;
        exchange->response_max = 0;
    }
    return SEND_DONE;
}

//  A response is out: ready for the next request (s_process reads it), or close.
static void
s_written (conn_t *conn)
{
    if (!conn->exchange.keep_alive) {
        s_linger (conn);
        return;
    }
    memset (&conn->exchange, 0, offsetof (frontend_exchange_t, response));
    conn->state = READ;
    conn->deadline = 0;
}

//  The exchange is answered: consume its request, send the response.
static void
s_respond (conn_t *conn)
{
    size_t rest = conn->input_size - conn->request_size;
    memmove (conn->input, conn->input + conn->request_size, rest);
    conn->input_size = rest;
    conn->searched = 0;
    conn->parsed = false;
    conn->request_size = 0;
    if (atomic_load (&conn->loop->server->stopping))
        conn->exchange.keep_alive = false;
    conn->state = WRITE;
    if (s_send (conn) == SEND_DONE)
        s_written (conn);
}

//  Answers an error the server finds itself (malformed, too large, too slow), and
//  closes after it: the rest of the input is not trusted.
static void
s_refuse (conn_t *conn, int status, const char *message)
{
    frontend_http_t *server = conn->loop->server;
    frontend_exchange_t *exchange = &conn->exchange;
    if (!exchange->started)
        exchange->started = frontend_metrics_begin (server->options.metrics);
    frontend_reply_error_ex (exchange, status, message, NULL, true);
    frontend_metrics_end (server->options.metrics, FRONTEND_ROUTE_OTHER, status, exchange->started);
    conn->request_size = conn->input_size;
    s_respond (conn);
}

//  Answers a request the workers' queue refused (full, or it waited too long).
static void
s_shed (frontend_http_options_t *options, frontend_exchange_t *exchange,
        frontend_shed_reason_t reason)
{
    frontend_metrics_overloaded (options->metrics, reason);
    frontend_reply_error (exchange, 503, "overloaded");
    frontend_metrics_end (options->metrics, FRONTEND_ROUTE_OTHER, 503, exchange->started);
}

//  Hands a request to the workers; false when their queue is full.
static bool
s_submit (frontend_http_t *server, conn_t *conn, uint64_t id, bool ready,
          const char *text, size_t size)
{
    job_t *job = conn? &conn->job: (job_t *) malloc (sizeof (job_t) + size);
    if (!job)
        return false;
    job->next = NULL;
    job->conn = conn;
    job->id = id;
    job->ready = ready;
    job->text = conn? NULL: (char *) (job + 1);
    job->size = size;
    if (size)
        memcpy (job->text, text, size);
    job->queued = zclock_mono ();
    pthread_mutex_lock (&server->lock);
    bool full = server->job_count >= server->options.queue_max || server->workers_stop;
    if (!full) {
        if (server->jobs_tail)
            server->jobs_tail->next = job;
        else
            server->jobs = job;
        server->jobs_tail = job;
        server->job_count++;
        pthread_cond_signal (&server->ready);
    }
    pthread_mutex_unlock (&server->lock);
    if (full && !conn)
        free (job);
    return !full;
}

//  The request is read whole: answer it here, or hand it to a worker.
static void
s_dispatch (conn_t *conn)
{
    frontend_http_t *server = conn->loop->server;
    frontend_exchange_t *exchange = &conn->exchange;
    exchange->started = frontend_metrics_begin (server->options.metrics);
    if (server->options.handle (server->options.arg, exchange, false) != FRONTEND_HTTP_WAIT) {
        s_respond (conn);
        return;
    }
    conn->state = WAIT;
    if (!s_submit (server, conn, 0, false, NULL, 0)) {
        s_shed (&server->options, exchange, FRONTEND_SHED_QUEUE_FULL);
        s_respond (conn);
    }
}

//  The WebSocket handshake for a GET /ws that asks to upgrade.
static void
s_upgrade (conn_t *conn)
{
    frontend_http_t *server = conn->loop->server;
    frontend_exchange_t *exchange = &conn->exchange;
    char accept [FRONTEND_WS_ACCEPT_SIZE];
    if (!exchange->request.ws_version || strcmp (exchange->request.ws_version, "13")
    ||  !frontend_ws_accept (exchange->request.ws_key, accept)) {
        s_refuse (conn, 400, "a WebSocket needs version 13 and a valid Sec-WebSocket-Key");
        return;
    }
    if (!server->options.ws_open || !server->options.ws_open (server->options.ws_arg, conn->id)) {
        s_refuse (conn, 503, "too many live pages are open");
        return;
    }
    conn->request_size = exchange->request.head_size;
    size_t rest = conn->input_size - conn->request_size;
    memmove (conn->input, conn->input + conn->request_size, rest);
    conn->input_size = rest;
    conn->state = WS;
    conn->deadline = 0;
    char head [256];
    int length = snprintf (head, sizeof head,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
    if (!frontend_reply_append (exchange, head, (size_t) length)) {
        s_close (conn);
        return;
    }
    if (!s_submit (server, NULL, conn->id, true, NULL, 0)) {
        s_close (conn);
        return;
    }
    s_send (conn);
}

//  Queues a frame to a page; false when out of memory.
static bool
s_ws_frame (conn_t *conn, int opcode, const char *payload, size_t size)
{
    char header [10];
    size_t length = frontend_ws_header (header, opcode, size);
    return frontend_reply_append (&conn->exchange, header, length)
        && frontend_reply_append (&conn->exchange, payload, size);
}

//  Frames from a page: text goes to a worker, ping gets pong, close gets close.
static void
s_process_ws (conn_t *conn)
{
    frontend_http_t *server = conn->loop->server;
    size_t used = 0;
    bool closing = false, ok = true;
    while (ok && !closing) {
        int opcode;
        char *payload;
        size_t size;
        int length = frontend_ws_decode (conn->input + used, conn->input_size - used,
                                         &opcode, &payload, &size);
        if (length == FRONTEND_WS_MORE)
            break;
        if (length == FRONTEND_WS_INVALID) {
            ok = s_ws_frame (conn, FRONTEND_WS_CLOSE, "\x03\xea", 2);     //  1002
            closing = true;
            break;
        }
        used += (size_t) length;
        if (opcode == FRONTEND_WS_TEXT)
            ok = s_submit (server, NULL, conn->id, false, payload, size);
        else
        if (opcode == FRONTEND_WS_PING)
            ok = s_ws_frame (conn, FRONTEND_WS_PONG, payload, size);
        else
        if (opcode == FRONTEND_WS_CLOSE) {
            ok = s_ws_frame (conn, FRONTEND_WS_CLOSE, payload, size < 2? size: 2);
            closing = true;
        }
        else
        if (opcode == FRONTEND_WS_BINARY) {
            ok = s_ws_frame (conn, FRONTEND_WS_CLOSE, "\x03\xeb", 2);     //  1003
            closing = true;
        }
    }
    memmove (conn->input, conn->input + used, conn->input_size - used);
    conn->input_size -= used;
    if (!ok) {
        s_close (conn);
        return;
    }
    if (s_send (conn) == SEND_CLOSED)
        return;
    if (closing) {
        if (server->options.ws_close)
            server->options.ws_close (server->options.ws_arg, conn->id);
        conn->state = WRITE;                //  no more frames: close once it is out
        conn->exchange.keep_alive = false;
        if (conn->sent == conn->exchange.response_size)
            s_linger (conn);
    }
}

//  Moves a connection on with what input it has: parse a head, wait for a body,
//  dispatch; or frames of a WebSocket.
static void
s_process (conn_t *conn)
{
    for (;;) {
        bool reading = conn->state == READ || conn->state == WS || conn->state == LINGER;
        if (reading && conn->readable && !s_read (conn))
            return;                         //  closed
        //  A keep-alive connection comes back READ with what the client pipelined
        if (conn->state == READ && s_process_request (conn))
            continue;
        if (conn->state == WS) {
            s_process_ws (conn);
            if (conn->state == WS && conn->readable)
                continue;                   //  the input was full: read on
        }
        return;
    }
}

//  The request in a READ connection's input: its head, then its body, then dispatch.
//  True when a response went out whole and the connection is READ again.
static bool
s_process_request (conn_t *conn)
{
    frontend_exchange_t *exchange = &conn->exchange;
    int64_t now = zclock_mono ();
    if (!conn->parsed) {
        //  The head
        if (conn->input_size == 0) {
            conn->deadline = now + FRONTEND_KEEP_ALIVE_MS;
            return false;
        }
        if (conn->deadline == 0 || conn->searched == 0)
            conn->deadline = now + FRONTEND_READ_DEADLINE_MS;
        size_t end = frontend_request_end (conn->input, conn->input_size, conn->searched);
        conn->searched = conn->input_size;
        if (end == 0) {
            if (conn->input_size >= FRONTEND_HEAD_MAX)
                s_refuse (conn, 431, "request line and headers are over 16384 bytes");
            return false;
        }
        const char *error;
        memset (exchange, 0, offsetof (frontend_exchange_t, response));
        int status = frontend_request_parse (&exchange->request, conn->input, end, &error);
        if (status) {
            s_refuse (conn, status, error);
            return false;
        }
        frontend_request_t *request = &exchange->request;
        if (request->content_length > FRONTEND_BODY_MAX) {
            s_refuse (conn, 413, "request body is larger than " BZ_STR (FRONTEND_BODY_MAX) " bytes");
            return false;
        }
        if (!request->has_length && !request->chunked && strcmp (request->method, "POST") == 0) {
            s_refuse (conn, 411, "a POST needs a Content-Length");
            return false;
        }
        if (request->upgrade_websocket && strcmp (request->method, "GET") == 0
        &&  strcmp (request->target, "/ws") == 0) {
            s_upgrade (conn);
            return false;
        }
        conn->parsed = true;
        conn->request_size = request->chunked? 0: end + (size_t) request->content_length;
        conn->continued = false;
        conn->deadline = now + FRONTEND_READ_DEADLINE_MS;
    }
    //  The body: Content-Length bytes, or chunks until the last one
    size_t head_size = exchange->request.head_size;
    exchange->body_size = (size_t) exchange->request.content_length;
    if (exchange->request.chunked) {
        const char *error;
        size_t consumed;
        int status = frontend_request_chunked (conn->input + head_size, conn->input_size - head_size,
                                               FRONTEND_BODY_MAX, &exchange->body_size,
                                               &consumed, &error);
        if (status > 0) {
            s_refuse (conn, status, error);
            return false;
        }
        if (status == 0)
            conn->request_size = head_size + consumed;
    }
    if (conn->request_size == 0 || conn->input_size < conn->request_size) {
        if (conn->input_size >= INPUT_MAX) {    //  chunks that say little in many bytes
            s_refuse (conn, 413, "request body is larger than " BZ_STR (FRONTEND_BODY_MAX) " bytes");
            return false;
        }
        if (exchange->request.expect_continue && !conn->continued) {
            static const char go_on [] = "HTTP/1.1 100 Continue\r\n\r\n";
            conn->continued = true;
            if (send (conn->fd, go_on, sizeof go_on - 1, MSG_NOSIGNAL) < 0) {
                s_close (conn);
                return false;
            }
        }
        return false;
    }
    exchange->body = conn->input + head_size;
    exchange->keep_alive = exchange->request.keep_alive;
    s_dispatch (conn);
    return conn->state == READ;
}

//  Reads what the socket has. Returns false when the connection was closed.
static bool
s_read (conn_t *conn)
{
    for (;;) {
        if (conn->state == LINGER)
            conn->input_size = 0;           //  dropped
        if (conn->input_size == conn->input_max) {
            if (conn->input_max >= INPUT_MAX) {
                //  A head that never ends is refused by s_process; a page that sends
                //  more than it may is closed
                if (conn->state == WS) {
                    s_close (conn);
                    return false;
                }
                return true;                //  readable stays: read once it is consumed
            }
            //  Not realloc: a parsed head's strings point into the old buffer
            size_t max = conn->input_max? conn->input_max * 2: INPUT_START;
            max = max < INPUT_MAX? max: INPUT_MAX;
            char *input = (char *) malloc (max);
            if (!input) {
                s_close (conn);
                return false;
            }
            if (conn->input_size)
                memcpy (input, conn->input, conn->input_size);
            if (conn->parsed)
                frontend_request_move (&conn->exchange.request, conn->input, input);
            free (conn->input);
            conn->input = input;
            conn->input_max = max;
        }
        size_t room = conn->input_max - conn->input_size;
        ssize_t size = recv (conn->fd, conn->input + conn->input_size, room, 0);
        if (size < 0 && errno == EINTR)
            continue;
        if (size < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            conn->readable = false;
            return true;
        }
        if (size <= 0) {
            s_close (conn);
            return false;
        }
        conn->input_size += (size_t) size;
        //  Less than there was room for: the socket is drained (edge-triggered epoll
        //  reports the next bytes that come)
        if ((size_t) size < room) {
            conn->readable = false;
            return true;
        }
    }
}

//  Every connection is in epoll once, edge-triggered, for input and output: no
//  epoll_ctl per request. An event marks it readable, and output goes on.
static void
s_on_event (conn_t *conn, uint32_t events)
{
    if (conn->state == CLOSED)
        return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        conn->readable = true;              //  a read finds out what it is
    if (conn->state == WAIT)
        return;                             //  a worker holds it; read once it is back
    if ((events & EPOLLOUT) && conn->sent < conn->exchange.response_size) {
        int sent = s_send (conn);
        if (sent == SEND_CLOSED)
            return;
        if (sent == SEND_DONE && conn->state == WRITE)
            s_written (conn);
    }
    s_process (conn);
}

static void
s_accept (loop_t *loop)
{
    frontend_http_t *server = loop->server;
    for (int accepted = 0; accepted < ACCEPTS_MAX; accepted++) {
        int fd = accept4 (server->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (atomic_load (&server->connections) >= server->options.connections_max
        ||  atomic_load (&server->stopping)) {
            close (fd);
            continue;
        }
        int on = 1;
        setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        conn_t *conn = (conn_t *) calloc (1, sizeof (conn_t));
        if (!conn) {
            close (fd);
            continue;
        }
        conn->fd = fd;
        conn->loop = loop;
        conn->id = ++loop->next_id * FRONTEND_HTTP_LOOPS_MAX + (uint64_t) loop->index;
        conn->state = READ;
        conn->deadline = zclock_mono () + FRONTEND_KEEP_ALIVE_MS;
        struct epoll_event event = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                     .data.ptr = conn };
        if (epoll_ctl (loop->epoll, EPOLL_CTL_ADD, fd, &event)) {
            close (fd);
            free (conn);
            continue;
        }
        conn->next = loop->conns;
        if (loop->conns)
            loop->conns->prev = conn;
        loop->conns = conn;
        atomic_fetch_add (&server->connections, 1);
        frontend_metrics_connections (server->options.metrics, 1);
    }
}

//  Connections past their deadline: a head or body too slow gets 408, an idle
//  keep-alive connection, a lingering one or a client that does not read is closed.
static void
s_sweep (loop_t *loop)
{
    int64_t now = zclock_mono ();
    conn_t *next;
    for (conn_t *conn = loop->conns; conn; conn = next) {
        next = conn->next;
        if (conn->deadline == 0 || now < conn->deadline || conn->state == WAIT
        ||  conn->state == WS)
            continue;
        if (conn->state == READ && conn->input_size > 0)
            s_refuse (conn, 408, conn->parsed? "request body did not arrive in time"
                                             : "request head did not arrive in time");
        else
            s_close (conn);
    }
}

//  Mail from workers (answered requests) and from any thread (frames to pages).
static void
s_read_mail (loop_t *loop)
{
    uint64_t count;
    if (read (loop->wake, &count, sizeof count) < 0 && errno != EAGAIN)
        return;
    pthread_mutex_lock (&loop->lock);
    mail_t *mail = loop->mail;
    loop->mail = loop->mail_tail = NULL;
    pthread_mutex_unlock (&loop->lock);
    while (mail) {
        mail_t *next = mail->next;
        conn_t *conn = mail->conn;
        if (conn) {
            //  Its mail is part of it, and may be handed to a worker again in
            //  s_process: not read after this
            conn->readable = true;          //  what came while a worker held it
            s_respond (conn);
            s_process (conn);
        }
        else {
            //  To one socket, or (id 0) to every one of this loop
            conn_t *page_next;
            for (conn_t *page = loop->conns; page; page = page_next) {
                page_next = page->next;
                if (page->state != WS || (mail->id && page->id != mail->id))
                    continue;
                if (s_ws_frame (page, FRONTEND_WS_TEXT, mail->frame, mail->size))
                    s_send (page);
                else
                    s_close (page);
                if (mail->id)
                    break;
            }
        }
        if (!conn)
            free (mail);
        mail = next;
    }
}

static void
s_post (loop_t *loop, mail_t *mail)
{
    mail->next = NULL;
    pthread_mutex_lock (&loop->lock);
    bool was_empty = loop->mail == NULL;
    if (loop->mail_tail)
        loop->mail_tail->next = mail;
    else
        loop->mail = mail;
    loop->mail_tail = mail;
    pthread_mutex_unlock (&loop->lock);
    uint64_t one = 1;
    if (was_empty && write (loop->wake, &one, sizeof one) < 0)
        zsys_warning ("frontend: cannot wake an HTTP loop: %s", strerror (errno));
}

static void *
s_loop_run (void *arg)
{
    loop_t *loop = (loop_t *) arg;
    frontend_http_t *server = loop->server;
    struct epoll_event events [EVENTS_MAX];
    int64_t next_sweep = zclock_mono () + SWEEP_MS;
    while (!atomic_load (&server->loops_stop)) {
        int count = epoll_wait (loop->epoll, events, EVENTS_MAX, SWEEP_MS);
        if (count < 0 && errno != EINTR) {
            zsys_error ("frontend: epoll_wait: %s", strerror (errno));
            break;
        }
        for (int i = 0; i < count; i++) {
            void *tag = events [i].data.ptr;
            if (tag == &s_listener_tag)
                s_accept (loop);
            else
            if (tag == &s_wake_tag)
                s_read_mail (loop);
            else
                s_on_event ((conn_t *) tag, events [i].events);
        }
        int64_t now = zclock_mono ();
        if (now >= next_sweep) {
            s_sweep (loop);
            next_sweep = now + SWEEP_MS;
        }
        s_free_closed (loop);
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Workers

static void *
s_worker_run (void *arg)
{
    frontend_http_t *server = (frontend_http_t *) arg;
    frontend_http_options_t *options = &server->options;
    for (;;) {
        pthread_mutex_lock (&server->lock);
        while (!server->jobs && !server->workers_stop)
            pthread_cond_wait (&server->ready, &server->lock);
        job_t *job = server->workers_stop? NULL: server->jobs;
        if (job) {
            server->jobs = job->next;
            if (!server->jobs)
                server->jobs_tail = NULL;
            server->job_count--;
        }
        pthread_mutex_unlock (&server->lock);
        if (!job)
            break;
        conn_t *conn = job->conn;
        if (conn) {
            frontend_exchange_t *exchange = &conn->exchange;
            if (zclock_mono () - job->queued > options->queue_wait_ms)
                s_shed (options, exchange, FRONTEND_SHED_QUEUE_WAIT);
            else
                options->handle (options->arg, exchange, true);
            conn->mail.conn = conn;
            s_post (conn->loop, &conn->mail);
        }
        else
        if (job->ready && options->ws_ready)
            options->ws_ready (options->ws_arg, job->id);
        else
        if (!job->ready && options->ws_message)
            options->ws_message (options->ws_arg, job->id, job->text, job->size);
        if (!conn)
            free (job);
    }
    return NULL;
}

//  --------------------------------------------------------------------------

static int
s_listen (const char *host, int port)
{
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    if (inet_pton (AF_INET, host, &address.sin_addr) != 1)
        return -1;
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind (fd, (struct sockaddr *) &address, sizeof address) || listen (fd, BACKLOG)) {
        close (fd);
        return -1;
    }
    return fd;
}

frontend_http_t *
frontend_http_new (const frontend_http_options_t *options)
{
    assert (options && options->handle && options->metrics);
    assert (options->loops >= 1 && options->loops <= FRONTEND_HTTP_LOOPS_MAX);
    frontend_http_t *self = (frontend_http_t *) zmalloc (sizeof (frontend_http_t));
    self->options = *options;
    atomic_init (&self->stopping, false);
    atomic_init (&self->loops_stop, false);
    atomic_init (&self->connections, 0);
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->ready, NULL);
    self->listener = s_listen (options->host, options->port);
    if (self->listener < 0) {
        zsys_error ("frontend: cannot listen on %s:%d: %s", options->host, options->port,
                    strerror (errno));
        frontend_http_destroy (&self);
        return NULL;
    }
    pthread_attr_t attributes;
    pthread_attr_init (&attributes);
    pthread_attr_setstacksize (&attributes, WORKER_STACK);
    self->workers = (pthread_t *) calloc ((size_t) options->workers, sizeof (pthread_t));
    for (int i = 0; self->workers && i < options->workers; i++) {
        if (pthread_create (&self->workers [i], &attributes, s_worker_run, self))
            break;
        self->worker_count++;
    }
    pthread_attr_destroy (&attributes);
    bool ok = self->worker_count == options->workers;
    for (int i = 0; ok && i < options->loops; i++) {
        loop_t *loop = &self->loops [i];
        loop->server = self;
        loop->index = i;
        pthread_mutex_init (&loop->lock, NULL);
        loop->epoll = epoll_create1 (EPOLL_CLOEXEC);
        loop->wake = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
        self->loop_count++;
        struct epoll_event listen_event = { .events = EPOLLIN | EPOLLEXCLUSIVE,
                                            .data.ptr = &s_listener_tag };
        struct epoll_event wake_event = { .events = EPOLLIN, .data.ptr = &s_wake_tag };
        ok = loop->epoll >= 0 && loop->wake >= 0
          && epoll_ctl (loop->epoll, EPOLL_CTL_ADD, self->listener, &listen_event) == 0
          && epoll_ctl (loop->epoll, EPOLL_CTL_ADD, loop->wake, &wake_event) == 0
          && pthread_create (&loop->thread, NULL, s_loop_run, loop) == 0;
        loop->started = ok;
    }
    if (!ok) {
        zsys_error ("frontend: cannot start the HTTP loops and workers");
        frontend_http_destroy (&self);
    }
    return self;
}

void
frontend_http_destroy (frontend_http_t **self_p)
{
    assert (self_p);
    frontend_http_t *self = *self_p;
    if (!self)
        return;
    //  The workers first, while the loops still take their answers; then the loops
    atomic_store (&self->stopping, true);
    pthread_mutex_lock (&self->lock);
    self->workers_stop = true;
    pthread_cond_broadcast (&self->ready);
    pthread_mutex_unlock (&self->lock);
    for (int i = 0; i < self->worker_count; i++)
        pthread_join (self->workers [i], NULL);
    free (self->workers);
    //  Requests no worker took: their connections close with the loops
    while (self->jobs) {
        job_t *next = self->jobs->next;
        if (!self->jobs->conn)
            free (self->jobs);
        self->jobs = next;
    }
    atomic_store (&self->loops_stop, true);
    for (int i = 0; i < self->loop_count; i++) {
        loop_t *loop = &self->loops [i];
        if (loop->started) {
            uint64_t one = 1;
            if (write (loop->wake, &one, sizeof one) < 0)
                zsys_warning ("frontend: cannot wake an HTTP loop: %s", strerror (errno));
            pthread_join (loop->thread, NULL);
        }
        //  Requests still queued were never answered: their connections close
        while (loop->mail) {
            mail_t *next = loop->mail->next;
            if (!loop->mail->conn)
                free (loop->mail);
            loop->mail = next;
        }
        while (loop->conns)
            s_close (loop->conns);
        s_free_closed (loop);
        if (loop->epoll >= 0)
            close (loop->epoll);
        if (loop->wake >= 0)
            close (loop->wake);
        pthread_mutex_destroy (&loop->lock);
    }
    if (self->listener >= 0)
        close (self->listener);
    pthread_mutex_destroy (&self->lock);
    pthread_cond_destroy (&self->ready);
    free (self);
    *self_p = NULL;
}

void
frontend_http_ws_send (frontend_http_t *self, uint64_t id, const char *text, size_t size)
{
    assert (self && text);
    int index = (int) (id % FRONTEND_HTTP_LOOPS_MAX);
    for (int i = 0; i < self->loop_count; i++) {
        if (id && i != index)
            continue;
        mail_t *mail = (mail_t *) malloc (sizeof (mail_t) + size);
        if (!mail)
            return;
        mail->conn = NULL;
        mail->id = id;
        mail->frame = (char *) (mail + 1);
        mail->size = size;
        memcpy (mail->frame, text, size);
        s_post (&self->loops [i], mail);
    }
}
