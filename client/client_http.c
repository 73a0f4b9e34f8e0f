/*  client_http: a libcurl easy handle per session, so each session is one keep-alive
    connection; response bodies are capped and parsed with jansson. Used by sessions.   */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client_http.h"
#include "client_options.h"

struct _client_http_t {
    CURL *curl;
    char base [CLIENT_URL_MAX + 1];
    char *body;                         //  response bytes, grown up to BODY_MAX
    size_t body_size;
    size_t body_used;
    bool too_large;
    char error [CURL_ERROR_SIZE];
};

//  Collects the response; returning less than asked makes curl fail the transfer, which
//  is how an oversized body becomes a transport error instead of unbounded memory.
static size_t
s_collect (char *data, size_t size, size_t count, void *arg)
{
    client_http_t *self = (client_http_t *) arg;
    size_t bytes = size * count;
    if (bytes > CLIENT_HTTP_BODY_MAX - self->body_used) {
        self->too_large = true;
        return 0;
    }
    if (self->body_used + bytes + 1 > self->body_size) {
        size_t want = self->body_size? self->body_size: 4096;
        while (want < self->body_used + bytes + 1)
            want *= 2;
        char *grown = realloc (self->body, want);
        if (!grown)
            return 0;
        self->body = grown;
        self->body_size = want;
    }
    memcpy (self->body + self->body_used, data, bytes);
    self->body_used += bytes;
    return bytes;
}

client_http_t *
client_http_new (const char *base_url)
{
    client_http_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    snprintf (self->base, sizeof self->base, "%s", base_url);
    self->curl = curl_easy_init ();
    if (!self->curl) {
        free (self);
        return NULL;
    }
    CURL *c = self->curl;
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);             //  we run in threads
    curl_easy_setopt (c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    //  Longer than the frontend's own request deadline (3 s), so a slow answer is still
    //  an answer; a hung server becomes a transport error and a retry.
    curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt (c, CURLOPT_WRITEDATA, self);
    curl_easy_setopt (c, CURLOPT_ERRORBUFFER, self->error);
    curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) CLIENT_HTTP_BODY_MAX);
    return self;
}

void
client_http_destroy (client_http_t **self_p)
{
    if (self_p && *self_p) {
        client_http_t *self = *self_p;
        curl_easy_cleanup (self->curl);
        free (self->body);
        free (self);
        *self_p = NULL;
    }
}

//  Runs the transfer set up on the handle and decodes the body.
static int
s_perform (client_http_t *self, const char *path, json_t **body_p)
{
    *body_p = NULL;
    char url [CLIENT_URL_MAX + 512];
    if (snprintf (url, sizeof url, "%s%s", self->base, path) >= (int) sizeof url) {
        snprintf (self->error, sizeof self->error, "URL too long");
        return -1;
    }
    curl_easy_setopt (self->curl, CURLOPT_URL, url);
    self->body_used = 0;
    self->too_large = false;
    self->error [0] = '\0';
    CURLcode rc = curl_easy_perform (self->curl);
    if (rc != CURLE_OK) {
        if (self->too_large)
            snprintf (self->error, sizeof self->error, "response larger than %d bytes",
                      CLIENT_HTTP_BODY_MAX);
        else
        if (self->error [0] == '\0')
            snprintf (self->error, sizeof self->error, "%s", curl_easy_strerror (rc));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &status);
    if (self->body_used > 0) {
        json_t *json = json_loadb (self->body, self->body_used, JSON_REJECT_DUPLICATES, NULL);
        if (json_is_object (json))
            *body_p = json;
        else
            json_decref (json);
    }
    return (int) status;
}

int
client_http_get (client_http_t *self, const char *path, json_t **body_p)
{
    curl_easy_setopt (self->curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, NULL);
    return s_perform (self, path, body_p);
}

int
client_http_post (client_http_t *self, const char *path, const json_t *body,
                  const char *key, json_t **body_p)
{
    *body_p = NULL;
    char *text = json_dumps (body, JSON_COMPACT);
    if (!text) {
        snprintf (self->error, sizeof self->error, "cannot encode request");
        return -1;
    }
    char key_header [128];
    struct curl_slist *headers = curl_slist_append (NULL, "Content-Type: application/json");
    //  curl would wait for "100 Continue" on big bodies; ours are tiny, but be explicit.
    struct curl_slist *more = headers? curl_slist_append (headers, "Expect:"): NULL;
    if (more && key) {
        snprintf (key_header, sizeof key_header, "Idempotency-Key: %s", key);
        more = curl_slist_append (more, key_header);
    }
    int status = -1;
    if (!more)
        snprintf (self->error, sizeof self->error, "out of memory");
    else {
        curl_easy_setopt (self->curl, CURLOPT_POST, 1L);
        curl_easy_setopt (self->curl, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt (self->curl, CURLOPT_POSTFIELDSIZE, (long) strlen (text));
        curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, headers);
        status = s_perform (self, path, body_p);
        //  Both point at memory freed below: never leave them on the handle.
        curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt (self->curl, CURLOPT_POSTFIELDS, NULL);
    }
    curl_slist_free_all (headers);
    free (text);
    return status;
}

char *
client_http_escape (client_http_t *self, const char *text)
{
    char *escaped = curl_easy_escape (self->curl, text, 0);
    if (!escaped)
        return NULL;
    char *copy = strdup (escaped);      //  so callers free() and need not know curl
    curl_free (escaped);
    return copy;
}

const char *
client_http_error (client_http_t *self)
{
    return self->error;
}
