/*  frontend_request: parses an HTTP/1.x request head (request line and headers) in
    place, strictly: what it accepts is what frontend_http serves. Pure, no allocation. */
#ifndef FRONTEND_REQUEST_H
#define FRONTEND_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The request line plus headers, blank line included, may not be longer than this
//  (431 otherwise), nor hold more header lines than FRONTEND_HEADERS_MAX.
#define FRONTEND_HEAD_MAX       16384
#define FRONTEND_HEADERS_MAX    64

typedef struct {
    //  Each string is NUL-terminated inside the parsed buffer, so lives as long as it
    const char *method;             //  an upper-case token: "GET", "POST"...
    const char *target;             //  the request target as sent (starts with '/')
    int minor;                      //  HTTP/1.<minor>: 0 or 1
    bool head;                      //  method is HEAD
    //  The client keeps the connection after the response: HTTP/1.1 unless
    //  "Connection: close", HTTP/1.0 only with "Connection: keep-alive"
    bool keep_alive;
    bool has_length;                //  a Content-Length header came
    uint64_t content_length;        //  its value, 0 without one
    bool chunked;                   //  "Transfer-Encoding: chunked" (never with a length)
    bool expect_continue;           //  "Expect: 100-continue"
    bool upgrade_websocket;         //  "Upgrade: websocket" with "Connection: upgrade"
    //  Header values the handlers use, NULL when absent
    const char *content_type;
    const char *idempotency_key;
    const char *ws_key;             //  Sec-WebSocket-Key
    const char *ws_version;         //  Sec-WebSocket-Version
    size_t head_size;               //  bytes of the head, blank line included
} frontend_request_t;

//  Where a request head ends: the offset just past its blank line ("\r\n\r\n"), or 0
//  when buffer [0..size) does not hold one yet. from is how much of it an earlier call
//  already searched, so a head that arrives a byte at a time costs linear time.
size_t frontend_request_end (const char *buffer, size_t size, size_t from);

//  Parses the head in buffer [0..head_size), head_size as frontend_request_end found
//  it, writing NULs into it. Returns 0 with request filled, or the HTTP status to
//  answer (400 malformed, 431 too many headers, 505 an HTTP version other than 1.0 and
//  1.1) with *error saying why (a static string).
//  Strict: a method of upper-case letters, a target of visible ASCII starting with
//  '/', CRLF line ends only, no obsolete line folding, a colon in every header, no
//  control byte in a value, one Content-Length (repeats must agree) of at most 18
//  digits, no Transfer-Encoding but "chunked", never both.
int frontend_request_parse (frontend_request_t *request, char *buffer, size_t head_size,
                            const char **error);

//  The head parsed in from was copied to to: points the request's strings there.
void frontend_request_move (frontend_request_t *request, const char *from, const char *to);

//  What frontend_request_chunked returns while the body is not complete.
#define FRONTEND_REQUEST_MORE   -1

//  A chunked body (RFC 9112 §7.1) at data [0..size). Once it is complete (last chunk
//  and trailers read), joins its chunks in place at data and returns 0, with
//  *body_size the decoded size and *consumed the bytes it took. Returns
//  FRONTEND_REQUEST_MORE while more bytes are needed, or the HTTP status to answer
//  (400 malformed, 413 decoded size over max) with *error. Chunk extensions and
//  trailers are read and ignored (a line of each at most 256 bytes).
int frontend_request_chunked (char *data, size_t size, size_t max, size_t *body_size,
                              size_t *consumed, const char **error);

#endif
