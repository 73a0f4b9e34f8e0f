/*  frontend_request: parses an HTTP/1.x request head (request line and headers) in
    place, strictly: what it accepts is what frontend_http serves. Pure, no allocation. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "frontend_request.h"

size_t
frontend_request_end (const char *buffer, size_t size, size_t from)
{
    //  The blank line may straddle what was searched before and what is new
    size_t start = from > 3? from - 3: 0;
    if (size < 4 || start > size - 4)
        return 0;
    const char *end = memmem (buffer + start, size - start, "\r\n\r\n", 4);
    return end? (size_t) (end - buffer) + 4: 0;
}

static int
s_fail (const char **error, int status, const char *why)
{
    *error = why;
    return status;
}

//  RFC 9110 tchar: the characters of a token (header names).
static bool
s_is_tchar (unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c && strchr ("!#$%&'*+-.^_`|~", c));
}

//  True when the comma-separated list value holds token, in any case.
static bool
s_list_has (const char *value, const char *token)
{
    size_t length = strlen (token);
    const char *at = value;
    while (*at) {
        while (*at == ' ' || *at == '\t' || *at == ',')
            at++;
        const char *end = at;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > at && (last [-1] == ' ' || last [-1] == '\t'))
            last--;
        if ((size_t) (last - at) == length && strncasecmp (at, token, length) == 0)
            return true;
        at = end;
    }
    return false;
}

//  Parses a Content-Length value: 1..18 digits. False when it is anything else.
static bool
s_parse_length (const char *value, uint64_t *length)
{
    size_t digits = strspn (value, "0123456789");
    if (digits == 0 || digits > 18 || value [digits])
        return false;
    uint64_t result = 0;
    for (size_t i = 0; i < digits; i++)
        result = result * 10 + (uint64_t) (value [i] - '0');
    *length = result;
    return true;
}

//  The request line, "METHOD SP target SP HTTP/1.x", in line (NUL-terminated).
static int
s_parse_request_line (frontend_request_t *request, char *line, const char **error)
{
    char *at = line;
    while (*at >= 'A' && *at <= 'Z')
        at++;
    if (at == line || *at != ' ')
        return s_fail (error, 400, "malformed request line: the method must be upper-case letters");
    *at++ = 0;
    request->method = line;
    request->target = at;
    if (*at != '/')
        return s_fail (error, 400, "malformed request line: the target must be a path starting with '/'");
    while ((unsigned char) *at > ' ' && (unsigned char) *at < 0x7f)
        at++;
    if (*at != ' ')
        return s_fail (error, 400, "malformed request line: the target must be visible ASCII");
    *at++ = 0;
    if (strncmp (at, "HTTP/", 5) || at [5] < '0' || at [5] > '9' || at [6] != '.'
    ||  at [7] < '0' || at [7] > '9' || at [8])
        return s_fail (error, 400, "malformed request line: no HTTP version");
    if (at [5] != '1' || at [7] > '1')
        return s_fail (error, 505, "only HTTP/1.0 and HTTP/1.1 are served");
    request->minor = at [7] - '0';
    request->head = strcmp (request->method, "HEAD") == 0;
    return 0;
}

//  One header line, "Name: value" (NUL-terminated): remembers what we use.
static int
s_parse_header (frontend_request_t *request, char *line, bool *close, bool *keep,
                bool *upgrade_token, bool *websocket, const char **error)
{
    char *colon = line;
    while (s_is_tchar ((unsigned char) *colon))
        colon++;
    if (colon == line || *colon != ':')
        return s_fail (error, 400, *line == ' ' || *line == '\t'
            ? "malformed header: obsolete line folding"
            : "malformed header: a name and a colon are required");
    *colon = 0;
    char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    for (char *c = value; *c; c++)
        if (((unsigned char) *c < ' ' && *c != '\t') || *c == 0x7f)
            return s_fail (error, 400, "malformed header: a control byte in a value");
    char *end = value + strlen (value);
    while (end > value && (end [-1] == ' ' || end [-1] == '\t'))
        *--end = 0;

    const char *name = line;
    if (strcasecmp (name, "Content-Length") == 0) {
        uint64_t length;
        if (!s_parse_length (value, &length))
            return s_fail (error, 400, "Content-Length must be a number of at most 18 digits");
        if (request->has_length && length != request->content_length)
            return s_fail (error, 400, "two different Content-Lengths");
        request->has_length = true;
        request->content_length = length;
    }
    else
    if (strcasecmp (name, "Transfer-Encoding") == 0) {
        if (strcasecmp (value, "chunked") || request->chunked)
            return s_fail (error, 400, "the only Transfer-Encoding accepted is one chunked");
        request->chunked = true;
    }
    else
    if (strcasecmp (name, "Connection") == 0) {
        *close |= s_list_has (value, "close");
        *keep |= s_list_has (value, "keep-alive");
        *upgrade_token |= s_list_has (value, "upgrade");
    }
    else
    if (strcasecmp (name, "Content-Type") == 0)
        request->content_type = value;
    else
    if (strcasecmp (name, "Idempotency-Key") == 0)
        request->idempotency_key = value;
    else
    if (strcasecmp (name, "Expect") == 0)
        request->expect_continue = strcasecmp (value, "100-continue") == 0;
    else
    if (strcasecmp (name, "Upgrade") == 0)
        *websocket = s_list_has (value, "websocket");
    else
    if (strcasecmp (name, "Sec-WebSocket-Key") == 0)
        request->ws_key = value;
    else
    if (strcasecmp (name, "Sec-WebSocket-Version") == 0)
        request->ws_version = value;
    return 0;
}

int
frontend_request_parse (frontend_request_t *request, char *buffer, size_t head_size,
                        const char **error)
{
    memset (request, 0, sizeof *request);
    *error = NULL;
    if (head_size < 4 || head_size > FRONTEND_HEAD_MAX
    ||  memcmp (buffer + head_size - 4, "\r\n\r\n", 4))
        return s_fail (error, head_size > FRONTEND_HEAD_MAX? 431: 400,
                       head_size > FRONTEND_HEAD_MAX
                       ? "request line and headers are over 16384 bytes"
                       : "incomplete request head");
    request->head_size = head_size;
    //  Split into lines: each "\r\n" becomes NUL NUL; a bare CR or LF, or a NUL, is an error
    char *end = buffer + head_size - 2;     //  the last line is the empty one
    for (char *c = buffer; c < end; c++) {
        if (*c == '\r' && c [1] == '\n') {
            c [0] = c [1] = 0;
            c++;
        }
        else
        if (*c == '\r' || *c == '\n' || *c == 0)
            return s_fail (error, 400, *c? "malformed head: a bare CR or LF": "malformed head: a NUL byte");
    }
    //  Each line's end is found before the line is parsed: parsing writes NULs into it
    char *line = buffer + strlen (buffer) + 2;
    int status = s_parse_request_line (request, buffer, error);
    if (status)
        return status;
    bool close = false, keep = false, upgrade_token = false, websocket = false;
    int headers = 0;
    for (char *next; line < end; line = next) {
        next = line + strlen (line) + 2;
        if (++headers > FRONTEND_HEADERS_MAX)
            return s_fail (error, 431, "more than 64 header lines");
        if ((status = s_parse_header (request, line, &close, &keep, &upgrade_token,
                                      &websocket, error)))
            return status;
    }
    if (request->chunked && request->has_length)
        return s_fail (error, 400, "both Content-Length and Transfer-Encoding");
    request->keep_alive = request->minor == 1? !close: keep && !close;
    request->upgrade_websocket = websocket && upgrade_token;
    return 0;
}

//  A line of a chunked body: its end (offset of its CRLF) from at, or -1 when not
//  there yet. Longer than CHUNK_LINE_MAX is an error (-2).
#define CHUNK_LINE_MAX  256
static long
s_chunk_line (const char *data, size_t size, size_t at)
{
    size_t limit = size - at < CHUNK_LINE_MAX + 2? size - at: CHUNK_LINE_MAX + 2;
    const char *end = limit >= 2? memmem (data + at, limit, "\r\n", 2): NULL;
    if (end)
        return (long) (end - data);
    return limit >= CHUNK_LINE_MAX + 2? -2: -1;
}

int
frontend_request_chunked (char *data, size_t size, size_t max, size_t *body_size,
                          size_t *consumed, const char **error)
{
    //  First read it all without writing, so that an incomplete body can be read again
    //  from its start when more arrives; then join the chunks
    size_t at = 0, total = 0;
    for (;;) {
        long line_end = s_chunk_line (data, size, at);
        if (line_end == -1)
            return FRONTEND_REQUEST_MORE;
        if (line_end == -2)
            return s_fail (error, 400, "malformed chunked body: a chunk size line is too long");
        size_t digits = 0;
        uint64_t chunk = 0;
        while (at + digits < (size_t) line_end && isxdigit ((unsigned char) data [at + digits])) {
            char c = data [at + digits];
            chunk = chunk * 16 + (uint64_t) (c <= '9'? c - '0': (c | 0x20) - 'a' + 10);
            if (++digits > 8)
                return s_fail (error, 413, "request body is larger than 4096 bytes");
        }
        char after = data [at + digits];
        if (digits == 0 || (at + digits < (size_t) line_end && after != ';'))
            return s_fail (error, 400, "malformed chunked body: a chunk size must be hexadecimal");
        if (chunk > max - total)
            return s_fail (error, 413, "request body is larger than 4096 bytes");
        at = (size_t) line_end + 2;
        if (chunk == 0)
            break;
        if (size - at < chunk + 2)
            return FRONTEND_REQUEST_MORE;
        if (memcmp (data + at + chunk, "\r\n", 2))
            return s_fail (error, 400, "malformed chunked body: a chunk does not end with CRLF");
        total += chunk;
        at += chunk + 2;
    }
    //  Trailers, up to the empty line
    for (;;) {
        long line_end = s_chunk_line (data, size, at);
        if (line_end == -1)
            return FRONTEND_REQUEST_MORE;
        if (line_end == -2)
            return s_fail (error, 400, "malformed chunked body: a trailer line is too long");
        bool empty = (size_t) line_end == at;
        at = (size_t) line_end + 2;
        if (empty)
            break;
    }
    *consumed = at;
    //  Join: each chunk's data moves to the end of what came before (never forward)
    size_t read = 0, written = 0;
    for (;;) {
        char *line_end = memmem (data + read, size - read, "\r\n", 2);
        size_t chunk = (size_t) strtoul (data + read, NULL, 16);
        read = (size_t) (line_end - data) + 2;
        if (chunk == 0)
            break;
        memmove (data + written, data + read, chunk);
        written += chunk;
        read += chunk + 2;
    }
    *body_size = written;
    return 0;
}

void
frontend_request_move (frontend_request_t *request, const char *from, const char *to)
{
    const char **strings [] = {
        &request->method, &request->target, &request->content_type,
        &request->idempotency_key, &request->ws_key, &request->ws_version
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings [0]; i++)
        if (*strings [i])
            *strings [i] = to + (*strings [i] - from);
}
