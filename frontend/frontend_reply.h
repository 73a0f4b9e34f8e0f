/*  frontend_reply: writes one complete HTTP response (status, headers, body) at once.
    Used by frontend_server and frontend_api for every answer, JSON or not.          */
#ifndef FRONTEND_REPLY_H
#define FRONTEND_REPLY_H

#include <civetweb.h>
#include <jansson.h>
#include <stdbool.h>

#define FRONTEND_JSON_TYPE "application/json"

//  Sends status, Date, Content-Type, Content-Length and a Connection header matching
//  what civetweb will do, then body (not for HEAD), in one write when it fits a stack
//  buffer.
//  extra_headers is NULL or complete "Name: value\r\n" lines. close asks the client to
//  close (we left a request body unread). Returns status, for the handler to return.
int frontend_reply_send (struct mg_connection *conn, int status, const char *content_type,
                         const char *extra_headers, bool close, const char *body, size_t size);

//  True when the client keeps the connection open after this response.
bool frontend_reply_keep_alive (struct mg_connection *conn);

//  Writes a whole response, head and body, as frontend_reply_send would send it, into
//  buffer (for the lookup cache, which renders once and sends many times). Returns its
//  length with the body's offset in *body_offset, or 0 when it does not fit.
size_t frontend_reply_format (char *buffer, size_t size, int status, const char *reason,
                              const char *content_type, bool keep_alive,
                              const char *body, size_t body_size, size_t *body_offset);

//  Sends a response rendered by frontend_reply_format (a cached lookup, 200): its Date
//  set to now, only its head for HEAD, and rendered afresh when the client will close.
//  Returns 200.
int frontend_reply_cached (struct mg_connection *conn, const char *response, size_t size,
                           size_t body_offset);

//  Sends {"data": data} with status 200; takes data. NULL data means it could not be
//  built from the service reply (say, a string that is not UTF-8): 502.
int frontend_reply_data (struct mg_connection *conn, json_t *data);

//  The same, with extra headers (the Idempotency-Key of a POST /orders).
int frontend_reply_data_ex (struct mg_connection *conn, json_t *data, const char *extra_headers);

//  Sends {"error":{"code":status,"message":message}} with that status.
int frontend_reply_error (struct mg_connection *conn, int status, const char *message);

//  The same, with extra headers (Allow for 405) or asking the client to close.
int frontend_reply_error_ex (struct mg_connection *conn, int status, const char *message,
                             const char *extra_headers, bool close);

#endif
