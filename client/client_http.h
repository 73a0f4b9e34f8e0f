/*  client_http: one keep-alive HTTP connection to the frontend (a libcurl easy handle)
    that sends a request and returns its status and parsed JSON body. Used by sessions. */
#ifndef CLIENT_HTTP_H
#define CLIENT_HTTP_H

#include <jansson.h>
#include <stddef.h>

//  Largest response body accepted; a bigger one is a transport error. GET /stocks of a
//  thousand stocks fits many times over.
#define CLIENT_HTTP_BODY_MAX  (1024 * 1024)

typedef struct _client_http_t client_http_t;

//  A connection to base_url (no trailing '/'). The connection opens on the first request
//  and is reused while the server keeps it alive. Returns NULL on failure.
//  curl_global_init must have been called.
client_http_t *client_http_new (const char *base_url);
void client_http_destroy (client_http_t **self_p);

//  GET base_url + path. Returns the HTTP status, or -1 on a transport error (connect,
//  timeout, reset, oversized body; see client_http_error). When the body parses as a JSON
//  object, *body_p gets it (the caller owns it), else NULL.
int client_http_get (client_http_t *self, const char *path, json_t **body_p);

//  POST base_url + path with a JSON body and, when key is not NULL, an Idempotency-Key
//  header. Returns as client_http_get.
int client_http_post (client_http_t *self, const char *path, const json_t *body,
                      const char *key, json_t **body_p);

//  URL-escapes text for a path segment; returns a string to free(), or NULL.
char *client_http_escape (client_http_t *self, const char *text);

//  What the last transport error was, or "" after a success.
const char *client_http_error (client_http_t *self);

#endif
