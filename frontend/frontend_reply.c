/*  frontend_reply: writes one complete HTTP response (status, headers, body) at once.
    Used by frontend_server and frontend_api for every answer, JSON or not.          */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "frontend_conn.h"
#include "frontend_json.h"
#include "frontend_reply.h"

//  Responses up to this size go out in one write (one TCP segment with tcp_nodelay).
#define REPLY_BUFFER 8192

//  civetweb keeps the connection open when the client asks for it (HTTP/1.1 unless
//  "Connection: close", HTTP/1.0 only with "keep-alive"); we say the same. When every
//  worker thread holds a connection we ask the client to close instead, so that the
//  connections civetweb has queued get a thread (frontend_conn_saturated).
bool
frontend_reply_keep_alive (struct mg_connection *conn)
{
    if (frontend_conn_saturated ())
        return false;
    const struct mg_request_info *info = mg_get_request_info (conn);
    const char *header = mg_get_header (conn, "Connection");
    if (header)
        return strcasestr (header, "keep-alive") != NULL;
    return info && info->http_version && strcmp (info->http_version, "1.1") == 0;
}

//  Length of an HTTP date (IMF-fixdate, RFC 9110): "Sun, 06 Nov 1994 08:49:37 GMT".
#define DATE_SIZE 29

//  Now as an HTTP date, formatted at most once a second per thread.
static const char *
s_http_date (void)
{
    static _Thread_local time_t formatted = -1;
    static _Thread_local char text [DATE_SIZE + 1];
    time_t now = time (NULL);
    if (now != formatted) {
        struct tm tm;
        gmtime_r (&now, &tm);
        if (strftime (text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm) != DATE_SIZE)
            snprintf (text, sizeof text, "Thu, 01 Jan 1970 00:00:00 GMT");
        formatted = now;
    }
    return text;
}

//  True for a HEAD request: the head of the GET response goes out, not its body.
static bool
s_is_head (struct mg_connection *conn)
{
    const struct mg_request_info *info = mg_get_request_info (conn);
    return info && info->request_method && strcmp (info->request_method, "HEAD") == 0;
}

//  The status line and headers; returns their length, or -1 when they do not fit.
static int
s_format_head (char *buffer, size_t size, int status, const char *reason,
               const char *content_type, const char *extra_headers, bool keep_alive,
               size_t body_size)
{
    int head = snprintf (buffer, size,
        "HTTP/1.1 %d %s\r\n"
        "Date: %s\r\n"
        "Content-Type: %s\r\n"
        "Content-Length: %zu\r\n"
        "Cache-Control: no-store\r\n"
        "%s"
        "Connection: %s\r\n\r\n",
        status, reason, s_http_date (), content_type, body_size,
        extra_headers? extra_headers: "", keep_alive? "keep-alive": "close");
    return (head < 0 || (size_t) head >= size)? -1: head;
}

size_t
frontend_reply_format (char *buffer, size_t size, int status, const char *reason,
                       const char *content_type, bool keep_alive,
                       const char *body, size_t body_size, size_t *body_offset)
{
    int head = s_format_head (buffer, size, status, reason, content_type, NULL, keep_alive,
                              body_size);
    if (head < 0 || body_size > size - (size_t) head)
        return 0;
    memcpy (buffer + head, body, body_size);
    *body_offset = (size_t) head;
    return (size_t) head + body_size;
}

int
frontend_reply_send (struct mg_connection *conn, int status, const char *content_type,
                     const char *extra_headers, bool close, const char *body, size_t size)
{
    char buffer [REPLY_BUFFER];
    int head = s_format_head (buffer, sizeof buffer, status,
                              mg_get_response_code_text (conn, status), content_type,
                              extra_headers, !close && frontend_reply_keep_alive (conn), size);
    if (head < 0)
        return status;
    if (s_is_head (conn))
        mg_write (conn, buffer, (size_t) head);
    else
    if (size <= sizeof buffer - (size_t) head) {
        memcpy (buffer + head, body, size);
        mg_write (conn, buffer, (size_t) head + size);
    }
    else {
        mg_write (conn, buffer, (size_t) head);
        mg_write (conn, body, size);
    }
    return status;
}

int
frontend_reply_data (struct mg_connection *conn, json_t *data)
{
    return frontend_reply_data_ex (conn, data, NULL);
}

int
frontend_reply_data_ex (struct mg_connection *conn, json_t *data, const char *extra_headers)
{
    if (!data)
        return frontend_reply_error (conn, 502, "cannot render the service reply as JSON");
    json_t *root = json_object ();
    if (!root || json_object_set_new (root, "data", data)) {
        json_decref (root);
        return frontend_reply_error (conn, 502, "cannot render the service reply as JSON");
    }
    char buffer [REPLY_BUFFER / 2];
    size_t length;
    char *text = frontend_json_render (root, buffer, sizeof buffer, &length);
    json_decref (root);
    if (!text)
        return frontend_reply_error (conn, 502, "cannot render the service reply as JSON");
    frontend_reply_send (conn, 200, FRONTEND_JSON_TYPE, extra_headers, false, text, length);
    if (text != buffer)
        free (text);
    return 200;
}

int
frontend_reply_error_ex (struct mg_connection *conn, int status, const char *message,
                         const char *extra_headers, bool close)
{
    char buffer [FRONTEND_JSON_ERROR_MAX];
    size_t length = frontend_json_error (buffer, sizeof buffer, status, message);
    return frontend_reply_send (conn, status, FRONTEND_JSON_TYPE, extra_headers, close,
                                buffer, length);
}

int
frontend_reply_error (struct mg_connection *conn, int status, const char *message)
{
    return frontend_reply_error_ex (conn, status, message, NULL, false);
}

int
frontend_reply_cached (struct mg_connection *conn, const char *response, size_t size,
                       size_t body_offset)
{
    char buffer [REPLY_BUFFER];
    if (!frontend_reply_keep_alive (conn) || size > sizeof buffer || body_offset > size)
        return frontend_reply_send (conn, 200, FRONTEND_JSON_TYPE, NULL, false,
                                    response + body_offset, size - body_offset);
    size_t length = s_is_head (conn)? body_offset: size;
    memcpy (buffer, response, length);
    //  The Date rendered at fill time, set to now (same length: an IMF-fixdate)
    char *date = memmem (buffer, body_offset, "\r\nDate: ", 8);
    if (date && (size_t) (date - buffer) + 8 + DATE_SIZE <= body_offset)
        memcpy (date + 8, s_http_date (), DATE_SIZE);
    mg_write (conn, buffer, length);
    return 200;
}
