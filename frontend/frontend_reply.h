/*  frontend_reply: writes one complete HTTP response (status, headers, body) into an
    exchange, for frontend_http to send. Used by frontend_server and frontend_api for
    every answer, JSON or not.                                                      */
#ifndef FRONTEND_REPLY_H
#define FRONTEND_REPLY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "frontend_request.h"

#define FRONTEND_JSON_TYPE "application/json"

//  One request and its response. frontend_http fills the request part and owns the
//  exchange; a handler answers with exactly one frontend_reply_* call.
typedef struct {
    frontend_request_t request;     //  the parsed head
    const char *body;               //  the request body, body_size bytes (not
    size_t body_size;               //  NUL-terminated), read whole before the handler
    int64_t started;                //  frontend_metrics_begin's time
    //  The response keeps the connection open. frontend_http sets it from the request
    //  (and clears it when it is stopping); a reply that asks to close clears it.
    bool keep_alive;
    char *response;                 //  the response, response_size bytes in a buffer
    size_t response_size;           //  of response_max (malloc'd, grown as needed)
    size_t response_max;
} frontend_exchange_t;

//  Writes status, Date, Content-Type, Content-Length, Cache-Control: no-store and
//  Connection, then body (not for HEAD). extra_headers is NULL or complete
//  "Name: value\r\n" lines. close asks the client to close (we leave a request body
//  unread, or will not read another request). Returns status, for the handler to
//  return; on out of memory the exchange holds no response and the connection closes.
int frontend_reply_send (frontend_exchange_t *exchange, int status, const char *content_type,
                         const char *extra_headers, bool close, const char *body, size_t size);

//  Writes a whole response, head and body, as frontend_reply_send would send it, into
//  buffer (for the lookup cache, which renders once and sends many times). Returns its
//  length with the body's offset in *body_offset, or 0 when it does not fit.
size_t frontend_reply_format (char *buffer, size_t size, int status, const char *reason,
                              const char *content_type, bool keep_alive,
                              const char *body, size_t body_size, size_t *body_offset);

//  Sends a response rendered by frontend_reply_format (a cached lookup, 200): its Date
//  set to now, only its head for HEAD, and rendered afresh when the client will close.
//  Returns 200.
int frontend_reply_cached (frontend_exchange_t *exchange, const char *response, size_t size,
                           size_t body_offset);

//  Sends {"data": data} with status 200; takes data. NULL data means it could not be
//  built from the service reply (say, a string that is not UTF-8): 502.
int frontend_reply_data (frontend_exchange_t *exchange, json_t *data);

//  The same, with extra headers (the Idempotency-Key of a POST /orders).
int frontend_reply_data_ex (frontend_exchange_t *exchange, json_t *data, const char *extra_headers);

//  Sends {"error":{"code":status,"message":message}} with that status.
int frontend_reply_error (frontend_exchange_t *exchange, int status, const char *message);

//  The same, with extra headers (Allow for 405) or asking the client to close.
int frontend_reply_error_ex (frontend_exchange_t *exchange, int status, const char *message,
                             const char *extra_headers, bool close);

//  Appends raw bytes to the exchange's response (the WebSocket handshake, a frame).
//  False when out of memory.
bool frontend_reply_append (frontend_exchange_t *exchange, const char *data, size_t size);

#endif
