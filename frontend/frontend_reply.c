/*  frontend_reply: writes one complete HTTP response (status, headers, body) into an
    exchange, for frontend_http to send. Used by frontend_server and frontend_api for
    every answer, JSON or not.                                                      */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "frontend_json.h"
#include "frontend_reply.h"

//  A response's head (status line and headers) fits this; bodies are appended.
#define HEAD_BUFFER 1024

//  The reason phrase of each status we answer.
static const char *
s_reason (int status)
{
    switch (status) {
        case 100: return "Continue";
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 422: return "Unprocessable Content";
        case 426: return "Upgrade Required";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default:  return status < 500? "Client Error": "Server Error";
    }
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

bool
frontend_reply_append (frontend_exchange_t *exchange, const char *data, size_t size)
{
    if (size > exchange->response_max - exchange->response_size) {
        size_t max = exchange->response_max? exchange->response_max: 1024;
        while (max - exchange->response_size < size)
            max *= 2;
        char *response = (char *) realloc (exchange->response, max);
        if (!response)
            return false;
        exchange->response = response;
        exchange->response_max = max;
    }
    memcpy (exchange->response + exchange->response_size, data, size);
    exchange->response_size += size;
    return true;
}

//  Returns status; a response that could not be written (out of memory) is dropped
//  and the connection closes.
static int
s_answered (frontend_exchange_t *exchange, int status, bool written)
{
    if (!written) {
        exchange->response_size = 0;
        exchange->keep_alive = false;
    }
    return status;
}

int
frontend_reply_send (frontend_exchange_t *exchange, int status, const char *content_type,
                     const char *extra_headers, bool close, const char *body, size_t size)
{
    if (close)
        exchange->keep_alive = false;
    char head [HEAD_BUFFER];
    int length = s_format_head (head, sizeof head, status, s_reason (status), content_type,
                                extra_headers, exchange->keep_alive, size);
    bool written = length > 0 && frontend_reply_append (exchange, head, (size_t) length)
                && (exchange->request.head || frontend_reply_append (exchange, body, size));
    return s_answered (exchange, status, written);
}

int
frontend_reply_data (frontend_exchange_t *exchange, json_t *data)
{
    return frontend_reply_data_ex (exchange, data, NULL);
}

int
frontend_reply_data_ex (frontend_exchange_t *exchange, json_t *data, const char *extra_headers)
{
    if (!data)
        return frontend_reply_error (exchange, 502, "cannot render the service reply as JSON");
    json_t *root = json_object ();
    if (!root || json_object_set_new (root, "data", data)) {
        json_decref (root);
        return frontend_reply_error (exchange, 502, "cannot render the service reply as JSON");
    }
    char buffer [4096];
    size_t length;
    char *text = frontend_json_render (root, buffer, sizeof buffer, &length);
    json_decref (root);
    if (!text)
        return frontend_reply_error (exchange, 502, "cannot render the service reply as JSON");
    frontend_reply_send (exchange, 200, FRONTEND_JSON_TYPE, extra_headers, false, text, length);
    if (text != buffer)
        free (text);
    return 200;
}

int
frontend_reply_error_ex (frontend_exchange_t *exchange, int status, const char *message,
                         const char *extra_headers, bool close)
{
    char buffer [FRONTEND_JSON_ERROR_MAX];
    size_t length = frontend_json_error (buffer, sizeof buffer, status, message);
    return frontend_reply_send (exchange, status, FRONTEND_JSON_TYPE, extra_headers, close,
                                buffer, length);
}

int
frontend_reply_error (frontend_exchange_t *exchange, int status, const char *message)
{
    return frontend_reply_error_ex (exchange, status, message, NULL, false);
}

int
frontend_reply_cached (frontend_exchange_t *exchange, const char *response, size_t size,
                       size_t body_offset)
{
    if (!exchange->keep_alive || body_offset > size)
        return frontend_reply_send (exchange, 200, FRONTEND_JSON_TYPE, NULL, false,
                                    response + body_offset, size - body_offset);
    size_t start = exchange->response_size;
    bool written = frontend_reply_append (exchange, response,
                                          exchange->request.head? body_offset: size);
    if (written) {
        //  The Date rendered at fill time, set to now (same length: an IMF-fixdate)
        char *head = exchange->response + start;
        char *date = memmem (head, body_offset, "\r\nDate: ", 8);
        if (date && (size_t) (date - head) + 8 + DATE_SIZE <= body_offset)
            memcpy (date + 8, s_http_date (), DATE_SIZE);
    }
    return s_answered (exchange, 200, written);
}
