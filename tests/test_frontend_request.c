/*  test_frontend_request: the HTTP/1.x head parser finds where a head ends (however it
    arrives), parses what a well-behaved client sends, and refuses everything else with
    the status its contract names: 400, 411, 431, 505.                                */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "frontend_request.h"

#include "test_pool.h"

//  A heap copy of size bytes, exactly: the sanitizers then catch a read past the head
static char *
s_copy (const char *text, size_t size)
{
    char *buffer = s_alloc (size);
    assert_non_null (buffer);
    memcpy (buffer, text, size);
    return buffer;
}

//  Parses the head text [0..size), which must be complete (frontend_request_end finds
//  its end at size); *buffer holds it, for the strings request points to.
static int
s_parse_bytes (const char *text, size_t size, frontend_request_t *request,
               const char **error, char **buffer)
{
    *buffer = s_copy (text, size);
    assert_int_equal (frontend_request_end (*buffer, size, 0), size);
    *error = "untouched";
    int status = frontend_request_parse (request, *buffer, size, error);
    if (status == 0)
        assert_null (*error);
    else {
        assert_non_null (*error);
        assert_true (strlen (*error) > 0);
    }
    return status;
}

static int
s_parse (const char *text, frontend_request_t *request, const char **error, char **buffer)
{
    return s_parse_bytes (text, strlen (text), request, error, buffer);
}

//  The status only, for the table tests
static int
s_status (const char *text)
{
    frontend_request_t request;
    const char *error;
    char *buffer;
    int status = s_parse (text, &request, &error, &buffer);
    s_free (buffer);
    return status;
}

#define GET_11  "GET / HTTP/1.1\r\nHost: x\r\n"

//  --------------------------------------------------------------------------------
//  frontend_request_end

static void
test_end_complete_and_incomplete (void **state)
{
    (void) state;
    const char *incomplete [] = {
        "", "G", "GET / HTTP/1.1", "GET / HTTP/1.1\r", "GET / HTTP/1.1\r\n",
        "GET / HTTP/1.1\r\n\r", "GET / HTTP/1.1\r\nHost: x\r\n",
        "GET / HTTP/1.1\n\n",                   //  bare LFs never end a head
        "GET / HTTP/1.1\r\r\n\n",
        "\r\n\r", "\r\n", "\n\r\n\r",
    };
    for (size_t i = 0; i < sizeof incomplete / sizeof incomplete [0]; i++) {
        size_t size = strlen (incomplete [i]);
        char *buffer = s_copy (incomplete [i], size);
        assert_int_equal (frontend_request_end (buffer, size, 0), 0);
        s_free (buffer);
    }
    //  Complete: the offset just past the first blank line, whatever follows it
    struct { const char *text; size_t end; } complete [] = {
        { "\r\n\r\n", 4 },
        { "GET / HTTP/1.1\r\n\r\n", 18 },
        { "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27 },
        { "POST /orders HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 44 },
        { "GET / HTTP/1.1\r\n\r\nGET /a HTTP/1.1\r\n\r\n", 18 },
        { "GET / HTTP/1.1\r\n\r\n\r\n\r\n", 18 },
    };
    for (size_t i = 0; i < sizeof complete / sizeof complete [0]; i++) {
        size_t size = strlen (complete [i].text);
        char *buffer = s_copy (complete [i].text, size);
        assert_int_equal (frontend_request_end (buffer, size, 0), complete [i].end);
        s_free (buffer);
    }
}

static void
test_end_from (void **state)
{
    (void) state;
    const char *text = GET_11 "\r\n";
    size_t size = strlen (text);
    char *buffer = s_copy (text, size);
    //  Every split: the first part has no blank line, the second call finds it, also
    //  when the blank line straddles what was searched and what is new
    for (size_t first = 0; first < size; first++) {
        assert_int_equal (frontend_request_end (buffer, first, 0), 0);
        assert_int_equal (frontend_request_end (buffer, size, first), size);
    }
    //  The straddling splits, by name: "\r" | "\n\r\n", "\r\n" | "\r\n", "\r\n\r" | "\n"
    assert_int_equal (frontend_request_end (buffer, size, size - 3), size);
    assert_int_equal (frontend_request_end (buffer, size, size - 2), size);
    assert_int_equal (frontend_request_end (buffer, size, size - 1), size);
    //  Nothing new since the last search: nothing found; from past size too
    assert_int_equal (frontend_request_end (buffer, size - 1, size - 1), 0);
    assert_int_equal (frontend_request_end (buffer, size - 1, size + 10), 0);
    s_free (buffer);

    //  from is trusted: what lies wholly before it is not searched again (linear cost)
    const char *twice = "\r\n\r\nabcdefgh";
    buffer = s_copy (twice, strlen (twice));
    assert_int_equal (frontend_request_end (buffer, strlen (twice), 0), 4);
    assert_int_equal (frontend_request_end (buffer, strlen (twice), 8), 0);
    s_free (buffer);
}

static void
test_end_byte_at_a_time (void **state)
{
    (void) state;
    const char *text = "POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
    size_t size = strlen (text);
    size_t head = strlen (text) - 2;
    char *buffer = s_alloc (size);
    assert_non_null (buffer);
    //  The buffer grows a byte at a time, each call told how much was searched
    size_t searched = 0, found = 0;
    for (size_t filled = 1; filled <= size && !found; filled++) {
        buffer [filled - 1] = text [filled - 1];
        found = frontend_request_end (buffer, filled, searched);
        if (!found)
            assert_true (filled < head);
        searched = filled;
    }
    assert_int_equal (found, head);
    assert_int_equal (searched, head);
    memcpy (buffer, text, size);

    //  And the same, 1 to 3 bytes at a time (CR and LF landing in different reads)
    for (size_t step = 1; step <= 3; step++) {
        searched = found = 0;
        for (size_t filled = step; !found; filled += step) {
            if (filled > size)
                filled = size;
            found = frontend_request_end (buffer, filled, searched);
            searched = filled;
            if (filled == size)
                break;
        }
        assert_int_equal (found, head);
    }
    //  And the parsed head is the one found
    frontend_request_t request;
    const char *error;
    assert_int_equal (frontend_request_parse (&request, buffer, head, &error), 0);
    assert_int_equal (request.content_length, 2);
    assert_int_equal (request.head_size, head);
    assert_memory_equal (buffer + head, "{}", 2);     //  the body is not touched
    s_free (buffer);
}

//  --------------------------------------------------------------------------------
//  frontend_request_parse: what it accepts

//  The parser writes NULs inside a line (after the method and the target, over a
//  header's colon, over trailing blanks): the next line must still be found where the
//  line's CRLF was, not at the first NUL inside it
static void
test_parse_next_line (void **state)
{
    (void) state;
    const char *heads [] = {
        "GET / HTTP/1.1\r\n\r\n",
        "GET /a/b HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\nB: c\r\nC: d\r\n\r\n",
        "GET / HTTP/1.1\r\nA:b\r\nB:c\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b  \t \r\nB: c\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof heads / sizeof heads [0]; i++) {
        frontend_request_t request;
        const char *error;
        char *buffer;
        int status = s_parse (heads [i], &request, &error, &buffer);
        if (status != 0)
            fail_msg ("\"%s\": status %d (%s), expected 0", heads [i], status, error);
        s_free (buffer);
    }
}

static void
test_parse_get (void **state)
{
    (void) state;
    frontend_request_t request;
    const char *error;
    char *buffer;
    const char *text = "GET /stocks/GameStart?fresh=1 HTTP/1.1\r\n"
                       "Host: localhost:8080\r\n"
                       "User-Agent: curl/8.5.0\r\n"
                       "Accept: */*\r\n"
                       "\r\n";
    assert_int_equal (s_parse (text, &request, &error, &buffer), 0);
    assert_string_equal (request.method, "GET");
    assert_string_equal (request.target, "/stocks/GameStart?fresh=1");
    assert_int_equal (request.minor, 1);
    assert_false (request.head);
    assert_true (request.keep_alive);
    assert_false (request.has_length);
    assert_int_equal (request.content_length, 0);
    assert_false (request.expect_continue);
    assert_false (request.upgrade_websocket);
    assert_null (request.content_type);
    assert_null (request.idempotency_key);
    assert_null (request.ws_key);
    assert_null (request.ws_version);
    assert_int_equal (request.head_size, strlen (text));
    //  The strings live inside the buffer
    assert_ptr_equal (request.method, buffer);
    assert_true (request.target > buffer && request.target < buffer + strlen (text));
    s_free (buffer);

    //  The smallest head: a request line alone
    assert_int_equal (s_parse ("GET / HTTP/1.0\r\n\r\n", &request, &error, &buffer), 0);
    assert_string_equal (request.method, "GET");
    assert_string_equal (request.target, "/");
    assert_int_equal (request.minor, 0);
    assert_false (request.keep_alive);
    assert_int_equal (request.head_size, 18);
    s_free (buffer);

    //  Other upper-case methods parse (the router decides what they may do)
    assert_int_equal (s_parse ("DELETE /orders/1 HTTP/1.1\r\n\r\n", &request, &error, &buffer), 0);
    assert_string_equal (request.method, "DELETE");
    assert_false (request.head);
    s_free (buffer);
}

static void
test_parse_head (void **state)
{
    (void) state;
    frontend_request_t request;
    const char *error;
    char *buffer;
    assert_int_equal (s_parse ("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n",
                               &request, &error, &buffer), 0);
    assert_string_equal (request.method, "HEAD");
    assert_string_equal (request.target, "/health");
    assert_true (request.head);
    assert_true (request.keep_alive);
    s_free (buffer);
    //  Only "HEAD" itself
    assert_int_equal (s_parse ("HEADX / HTTP/1.1\r\n\r\n", &request, &error, &buffer), 0);
    assert_false (request.head);
    s_free (buffer);
}

static void
test_parse_post (void **state)
{
    (void) state;
    frontend_request_t request;
    const char *error;
    char *buffer;
    const char *text = "POST /orders HTTP/1.1\r\n"
                       "Host: x\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: 42\r\n"
                       "Idempotency-Key: 5f0c-77a1\r\n"
                       "Expect: 100-continue\r\n"
                       "\r\n";
    assert_int_equal (s_parse (text, &request, &error, &buffer), 0);
    assert_string_equal (request.method, "POST");
    assert_string_equal (request.target, "/orders");
    assert_false (request.head);
    assert_true (request.has_length);
    assert_int_equal (request.content_length, 42);
    assert_string_equal (request.content_type, "application/json");
    assert_string_equal (request.idempotency_key, "5f0c-77a1");
    assert_true (request.expect_continue);
    assert_true (request.keep_alive);
    s_free (buffer);

    //  Header names in any case
    text = "POST /orders HTTP/1.1\r\n"
           "content-type: application/json; charset=utf-8\r\n"
           "CONTENT-LENGTH: 7\r\n"
           "idempotency-key: abc\r\n"
           "EXPECT: 100-Continue\r\n"
           "\r\n";
    assert_int_equal (s_parse (text, &request, &error, &buffer), 0);
    assert_int_equal (request.content_length, 7);
    assert_string_equal (request.content_type, "application/json; charset=utf-8");
    assert_string_equal (request.idempotency_key, "abc");
    assert_true (request.expect_continue);
    s_free (buffer);

    //  Expect with anything else is not 100-continue
    assert_int_equal (s_parse ("POST /orders HTTP/1.1\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n",
                               &request, &error, &buffer), 0);
    assert_false (request.expect_continue);
    s_free (buffer);
}

static void
test_keep_alive (void **state)
{
    (void) state;
    struct { int minor; const char *connection; bool keep_alive; } cases [] = {
        { 1, NULL,                      true },
        { 1, "close",                   false },
        { 1, "Close",                   false },
        { 1, "CLOSE",                   false },
        { 1, "keep-alive",              true },
        { 1, "keep-alive, close",       false },
        { 1, "Upgrade, close",          false },
        { 1, "  close  ",               false },
        { 1, "closed",                  true },         //  a token, not a prefix
        { 1, "not-close",               true },
        { 1, "",                        true },
        { 0, NULL,                      false },
        { 0, "keep-alive",              true },
        { 0, "Keep-Alive",              true },
        { 0, "KEEP-ALIVE",              true },
        { 0, "keep-alive, Upgrade",     true },
        { 0, "Upgrade,keep-alive",      true },
        { 0, "Upgrade , keep-alive ,",  true },
        { 0, "keep-alive, close",       false },
        { 0, "close",                   false },
        { 0, "keep-alived",             false },
        { 0, "keep",                    false },
        { 0, "",                        false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char text [256];
        if (cases [i].connection)
            snprintf (text, sizeof text, "GET / HTTP/1.%d\r\nHost: x\r\nConnection: %s\r\n\r\n",
                      cases [i].minor, cases [i].connection);
        else
            snprintf (text, sizeof text, "GET / HTTP/1.%d\r\nHost: x\r\n\r\n", cases [i].minor);
        frontend_request_t request;
        const char *error;
        char *buffer;
        assert_int_equal (s_parse (text, &request, &error, &buffer), 0);
        if (request.keep_alive != cases [i].keep_alive)
            fail_msg ("HTTP/1.%d Connection: %s: keep_alive %d, expected %d", cases [i].minor,
                      cases [i].connection? cases [i].connection: "(none)",
                      request.keep_alive, cases [i].keep_alive);
        assert_int_equal (request.minor, cases [i].minor);
        s_free (buffer);
    }
    //  Two Connection headers add up
    frontend_request_t request;
    const char *error;
    char *buffer;
    assert_int_equal (s_parse ("GET / HTTP/1.0\r\nConnection: Upgrade\r\nConnection: keep-alive\r\n\r\n",
                               &request, &error, &buffer), 0);
    assert_true (request.keep_alive);
    s_free (buffer);
    assert_int_equal (s_parse ("GET / HTTP/1.1\r\nConnection: keep-alive\r\nconnection: close\r\n\r\n",
                               &request, &error, &buffer), 0);
    assert_false (request.keep_alive);
    s_free (buffer);
}

static void
test_content_length (void **state)
{
    (void) state;
    struct { const char *headers; int status; uint64_t length; } cases [] = {
        { "Content-Length: 42\r\n",                         0,   42 },
        { "Content-Length: 0\r\n",                          0,   0 },
        { "Content-Length: 007\r\n",                        0,   7 },
        { "Content-Length:5\r\n",                           0,   5 },
        { "Content-Length: \t 5 \t\r\n",                    0,   5 },
        { "Content-Length: 999999999999999999\r\n",         0,   999999999999999999ULL },
        { "Content-Length: 123456789012345678\r\n",         0,   123456789012345678ULL },
        { "Content-Length: 9999999999999999999\r\n",        400, 0 },   //  19 digits
        { "Content-Length: 1000000000000000000\r\n",        400, 0 },
        { "Content-Length: 18446744073709551616\r\n",       400, 0 },   //  2^64
        { "Content-Length: \r\n",                           400, 0 },
        { "Content-Length: abc\r\n",                        400, 0 },
        { "Content-Length: 12a\r\n",                        400, 0 },
        { "Content-Length: 0x10\r\n",                       400, 0 },
        { "Content-Length: 1e3\r\n",                        400, 0 },
        { "Content-Length: 1.0\r\n",                        400, 0 },
        { "Content-Length: 1 2\r\n",                        400, 0 },
        { "Content-Length: -1\r\n",                         400, 0 },
        { "Content-Length: -0\r\n",                         400, 0 },
        { "Content-Length: +5\r\n",                         400, 0 },
        { "Content-Length: 5, 5\r\n",                       400, 0 },
        { "Content-Length: 5\r\nContent-Length: 5\r\n",     0,   5 },
        { "Content-Length: 5\r\ncontent-length: 005\r\n",   0,   5 },
        { "Content-Length: 5\r\nContent-Length: 6\r\n",     400, 0 },
        { "Content-Length: 0\r\nContent-Length: 1\r\n",     400, 0 },
        { "Content-Length: 5\r\nContent-Length: x\r\n",     400, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char text [256];
        snprintf (text, sizeof text, "POST /orders HTTP/1.1\r\nHost: x\r\n%s\r\n", cases [i].headers);
        frontend_request_t request;
        const char *error;
        char *buffer;
        int status = s_parse (text, &request, &error, &buffer);
        if (status != cases [i].status)
            fail_msg ("%s: status %d, expected %d", cases [i].headers, status, cases [i].status);
        if (status == 0) {
            assert_true (request.has_length);
            assert_int_equal (request.content_length, cases [i].length);
        }
        s_free (buffer);
    }
}

static void
test_header_values_trimmed (void **state)
{
    (void) state;
    frontend_request_t request;
    const char *error;
    char *buffer;
    const char *text = "POST /orders HTTP/1.1\r\n"
                       "Content-Type:application/json\r\n"
                       "Idempotency-Key: \t  key with inner  spaces \t \r\n"
                       "Sec-WebSocket-Key:\tdGhlIHNhbXBsZSBub25jZQ==\t\r\n"
                       "Sec-WebSocket-Version:   13   \r\n"
                       "X-Empty:\r\n"
                       "X-Blank:    \r\n"
                       "X-High-Bytes: caf\xc3\xa9\r\n"       //  obs-text is not a control byte
                       "\r\n";
    assert_int_equal (s_parse (text, &request, &error, &buffer), 0);
    assert_string_equal (request.content_type, "application/json");
    assert_string_equal (request.idempotency_key, "key with inner  spaces");
    assert_string_equal (request.ws_key, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_string_equal (request.ws_version, "13");
    s_free (buffer);

    //  An empty value is present, and empty
    assert_int_equal (s_parse ("POST /orders HTTP/1.1\r\nContent-Type:   \r\nIdempotency-Key:\r\n\r\n",
                               &request, &error, &buffer), 0);
    assert_non_null (request.content_type);
    assert_string_equal (request.content_type, "");
    assert_non_null (request.idempotency_key);
    assert_string_equal (request.idempotency_key, "");
    s_free (buffer);
}

static void
test_websocket_upgrade (void **state)
{
    (void) state;
    struct { const char *headers; bool upgrade; } cases [] = {
        { "Upgrade: websocket\r\nConnection: Upgrade\r\n",          true },
        { "Connection: upgrade\r\nUpgrade: websocket\r\n",          true },
        { "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n", true },
        { "upgrade: websocket\r\nconnection: UPGRADE\r\n",          true },
        { "Upgrade: h2c, websocket\r\nConnection: upgrade\r\n",     true },
        { "Upgrade: websocket\r\n",                                 false },
        { "Connection: Upgrade\r\n",                                false },
        { "Upgrade: h2c\r\nConnection: Upgrade\r\n",                false },
        { "Upgrade: websockets\r\nConnection: Upgrade\r\n",         false },
        { "Upgrade: websocket\r\nConnection: keep-alive\r\n",       false },
        { "Upgrade: websocket\r\nConnection: upgraded\r\n",         false },
        { "",                                                       false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char text [256];
        snprintf (text, sizeof text, "GET /live HTTP/1.1\r\nHost: x\r\n%s\r\n", cases [i].headers);
        frontend_request_t request;
        const char *error;
        char *buffer;
        assert_int_equal (s_parse (text, &request, &error, &buffer), 0);
        if (request.upgrade_websocket != cases [i].upgrade)
            fail_msg ("%s: upgrade_websocket %d, expected %d", cases [i].headers,
                      request.upgrade_websocket, cases [i].upgrade);
        s_free (buffer);
    }
    //  A browser's handshake, whole
    frontend_request_t request;
    const char *error;
    char *buffer;
    const char *text = "GET /live HTTP/1.1\r\n"
                       "Host: localhost:8080\r\n"
                       "Upgrade: websocket\r\n"
                       "Connection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Origin: http://localhost:8080\r\n"
                       "Sec-WebSocket-Version: 13\r\n"
                       "\r\n";
    assert_int_equal (s_parse (text, &request, &error, &buffer), 0);
    assert_true (request.upgrade_websocket);
    assert_true (request.keep_alive);
    assert_string_equal (request.target, "/live");
    assert_string_equal (request.ws_key, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_string_equal (request.ws_version, "13");
    s_free (buffer);
}

//  --------------------------------------------------------------------------------
//  frontend_request_parse: what it refuses

static void
test_refused (void **state)
{
    (void) state;
    struct { const char *text; int status; } cases [] = {
        //  Transfer-Encoding: chunked only, once, never with a Content-Length
        { GET_11 "transfer-encoding: identity\r\n\r\n",                     400 },
        { GET_11 "Transfer-Encoding: gzip, chunked\r\n\r\n",               400 },
        { GET_11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { GET_11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { GET_11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400 },
        //  Versions
        { "GET / HTTP/1.2\r\n\r\n",             505 },
        { "GET / HTTP/1.9\r\n\r\n",             505 },
        { "GET / HTTP/2.0\r\n\r\n",             505 },
        { "GET / HTTP/3.0\r\n\r\n",             505 },
        { "GET / HTTP/0.9\r\n\r\n",             505 },
        { "GET /\r\n\r\n",                      400 },      //  HTTP/0.9 style
        { "GET / \r\n\r\n",                     400 },
        { "GET / HTTP\r\n\r\n",                 400 },
        { "GET / HTTP/\r\n\r\n",                400 },
        { "GET / HTTP/1\r\n\r\n",               400 },
        { "GET / HTTP/1.\r\n\r\n",              400 },
        { "GET / HTTP/1.1.1\r\n\r\n",           400 },
        { "GET / HTTP/11\r\n\r\n",              400 },
        { "GET / HTTP/1.10\r\n\r\n",            400 },
        { "GET / HTTP/a.b\r\n\r\n",             400 },
        { "GET / http/1.1\r\n\r\n",             400 },
        { "GET / HTTP/1.1 \r\n\r\n",            400 },
        { "GET / XYZZY\r\n\r\n",                400 },
        { "GET / HTTP/1.1 extra\r\n\r\n",       400 },
        //  Methods
        { "get / HTTP/1.1\r\n\r\n",             400 },
        { "Get / HTTP/1.1\r\n\r\n",             400 },
        { "G3T / HTTP/1.1\r\n\r\n",             400 },
        { "M-SEARCH / HTTP/1.1\r\n\r\n",        400 },
        { " GET / HTTP/1.1\r\n\r\n",            400 },
        { "/ HTTP/1.1\r\n\r\n",                 400 },
        { "\r\n\r\n",                           400 },
        { "\r\nGET / HTTP/1.1\r\n\r\n",         400 },
        //  Targets
        { "GET http://example.com/ HTTP/1.1\r\n\r\n",   400 },
        { "OPTIONS * HTTP/1.1\r\n\r\n",                 400 },
        { "CONNECT example.com:443 HTTP/1.1\r\n\r\n",   400 },
        { "GET  / HTTP/1.1\r\n\r\n",                    400 },
        { "GET / x HTTP/1.1\r\n\r\n",                   400 },
        { "GET /a\tb HTTP/1.1\r\n\r\n",                 400 },
        { "GET /a\x7f HTTP/1.1\r\n\r\n",                400 },
        { "GET /\xc3\xa9 HTTP/1.1\r\n\r\n",             400 },
        { "GET /a\x01 HTTP/1.1\r\n\r\n",                400 },
        //  Control bytes, bare CR, bare LF
        { GET_11 "X-A: b\x01""c\r\n\r\n",               400 },
        { GET_11 "X-A: \x1b[31m\r\n\r\n",               400 },
        { GET_11 "X-A: b\x7f\r\n\r\n",                  400 },
        { GET_11 "X-A: b\rc\r\n\r\n",                   400 },
        { GET_11 "X-A: b\nc\r\n\r\n",                   400 },
        { GET_11 "X-A: b\r\r\n\r\n",                    400 },
        { "GET / HTTP/1.1\nHost: x\r\n\r\n",            400 },
        { "GET / HTTP/1.1\rHost: x\r\n\r\n",            400 },
        { "GET / HTTP/1.1\r\nHost: x\n\r\n\r\n",        400 },
        { "GET / HTTP/1.1\r\nHost: x\r\r\n\r\n",        400 },
        { "GET / HTTP/1.1\n\r\n\r\n",                   400 },
        { GET_11 "X\x01: b\r\n\r\n",                    400 },
        //  Header lines
        { GET_11 "NoColon\r\n\r\n",                     400 },
        { GET_11 "No Colon: x\r\n\r\n",                 400 },
        { GET_11 "Host : x\r\n\r\n",                    400 },      //  space before colon
        { GET_11 ": x\r\n\r\n",                         400 },      //  no name
        { GET_11 "X(y): z\r\n\r\n",                     400 },      //  not a token
        { GET_11 "X\xc3\xa9: z\r\n\r\n",                400 },
        { GET_11 " X-Folded: y\r\n\r\n",                400 },      //  obs-fold
        { GET_11 "X-A: b\r\n c\r\n\r\n",                400 },
        { GET_11 "X-A: b\r\n\tc\r\n\r\n",               400 },
        { "GET / HTTP/1.1\r\n Host: x\r\n\r\n",         400 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        int status = s_status (cases [i].text);
        if (status != cases [i].status)
            fail_msg ("case %zu \"%s\": status %d, expected %d", i, cases [i].text,
                      status, cases [i].status);
    }
    //  Allowed, by contrast: tabs in a value, every tchar in a name, an empty value
    assert_int_equal (s_status (GET_11 "X-A: b\tc\r\n\r\n"), 0);
    assert_int_equal (s_status (GET_11 "!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n"), 0);
    assert_int_equal (s_status (GET_11 "X-A:\r\n\r\n"), 0);
    assert_int_equal (s_status (GET_11 "X-A: a:b:c\r\n\r\n"), 0);
}

static void
test_nul_byte (void **state)
{
    (void) state;
    //  A NUL anywhere in the head is refused, where it cannot end a string early
    const char text [] = "GET /a HTTP/1.1\r\nHost: x\r\nX-A: bc\r\n\r\n";
    size_t size = sizeof text - 1;
    for (size_t at = 0; at < size - 4; at++) {
        if (text [at] == '\r' || text [at] == '\n')
            continue;
        char *copy = s_copy (text, size);
        copy [at] = 0;
        frontend_request_t request;
        const char *error = NULL;
        assert_int_equal (frontend_request_end (copy, size, 0), size);
        int status = frontend_request_parse (&request, copy, size, &error);
        if (status != 400)
            fail_msg ("a NUL at %zu: status %d, expected 400", at, status);
        assert_non_null (error);
        s_free (copy);
    }
}

static void
test_not_a_head (void **state)
{
    (void) state;
    //  A head_size that does not end with the blank line, or too short
    frontend_request_t request;
    const char *error;
    char buffer [] = "GET / HTTP/1.1\r\n\r\n";
    assert_int_equal (frontend_request_parse (&request, buffer, 0, &error), 400);
    assert_non_null (error);
    assert_int_equal (frontend_request_parse (&request, buffer, 3, &error), 400);
    assert_int_equal (frontend_request_parse (&request, buffer, 16, &error), 400);
    assert_int_equal (frontend_request_parse (&request, buffer, 17, &error), 400);
    assert_int_equal (frontend_request_parse (&request, buffer, 18, &error), 0);
}

//  A GET head with headers header lines "X-Header-<n>: <n>"
static char *
s_head_with_headers (int headers, size_t *size)
{
    size_t capacity = 64 + (size_t) headers * 40;
    char *text = s_alloc (capacity);
    assert_non_null (text);
    size_t used = (size_t) snprintf (text, capacity, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < headers; i++)
        used += (size_t) snprintf (text + used, capacity - used, "X-Header-%d: %d\r\n", i, i);
    used += (size_t) snprintf (text + used, capacity - used, "\r\n");
    *size = used;
    return text;
}

static void
test_header_count (void **state)
{
    (void) state;
    assert_int_equal (FRONTEND_HEADERS_MAX, 64);
    int counts [] = { 0, 1, 63, 64, 65, 66, 200 };
    for (size_t i = 0; i < sizeof counts / sizeof counts [0]; i++) {
        size_t size;
        char *text = s_head_with_headers (counts [i], &size);
        frontend_request_t request;
        const char *error;
        char *buffer;
        int status = s_parse_bytes (text, size, &request, &error, &buffer);
        assert_int_equal (status, counts [i] <= FRONTEND_HEADERS_MAX? 0: 431);
        s_free (buffer);
        s_free (text);
    }
    //  The 64th header is parsed, not just counted
    size_t size;
    char *text = s_head_with_headers (63, &size);
    text [size - 2] = 0;
    char head [4096];
    snprintf (head, sizeof head, "%sContent-Length: 9\r\n\r\n", text);
    frontend_request_t request;
    const char *error;
    char *buffer;
    assert_int_equal (s_parse (head, &request, &error, &buffer), 0);
    assert_int_equal (request.content_length, 9);
    s_free (buffer);
    s_free (text);
}

//  A GET head of exactly size bytes, padded with one long header value
static char *
s_head_of_size (size_t size)
{
    const char *prefix = "GET / HTTP/1.1\r\nX-Pad: ";
    const char *suffix = "\r\n\r\n";
    assert_true (size > strlen (prefix) + strlen (suffix));
    char *text = s_alloc (size);
    assert_non_null (text);
    memcpy (text, prefix, strlen (prefix));
    memset (text + strlen (prefix), 'a', size - strlen (prefix) - strlen (suffix));
    memcpy (text + size - strlen (suffix), suffix, strlen (suffix));
    return text;
}

static void
test_head_max (void **state)
{
    (void) state;
    assert_int_equal (FRONTEND_HEAD_MAX, 16384);
    size_t sizes [] = { FRONTEND_HEAD_MAX - 1, FRONTEND_HEAD_MAX, FRONTEND_HEAD_MAX + 1,
                        FRONTEND_HEAD_MAX + 1000, 4 * FRONTEND_HEAD_MAX };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes [0]; i++) {
        char *text = s_head_of_size (sizes [i]);
        frontend_request_t request;
        const char *error;
        char *buffer;
        int status = s_parse_bytes (text, sizes [i], &request, &error, &buffer);
        if (status != (sizes [i] <= FRONTEND_HEAD_MAX? 0: 431))
            fail_msg ("a head of %zu bytes: status %d", sizes [i], status);
        s_free (buffer);
        s_free (text);
    }
}

//  --------------------------------------------------------------------------------
//  frontend_request_chunked

//  Decodes text (a copy, exact size) with max 16; returns the status, the body in out.
static int
s_chunked (const char *text, char *out, size_t *consumed)
{
    size_t size = strlen (text), body_size = 0;
    char *data = (char *) malloc (size + 1);
    memcpy (data, text, size);
    const char *error = NULL;
    int status = frontend_request_chunked (data, size, 16, &body_size, consumed, &error);
    if (status == 0) {
        memcpy (out, data, body_size);
        out [body_size] = 0;
    }
    else
    if (status > 0)
        assert_non_null (error);
    free (data);
    return status;
}

static void
test_chunked (void **state)
{
    (void) state;
    char out [64];
    size_t consumed = 0;
    assert_int_equal (s_chunked ("0\r\n\r\n", out, &consumed), 0);
    assert_string_equal (out, "");
    assert_int_equal (consumed, 5);
    assert_int_equal (s_chunked ("2\r\n{}\r\n0\r\n\r\nGET", out, &consumed), 0);
    assert_string_equal (out, "{}");
    assert_int_equal (consumed, 12);
    //  Several chunks, upper and lower case hex, an extension, a trailer
    assert_int_equal (s_chunked ("3;x=y\r\nabc\r\nA\r\n0123456789\r\n1\r\nz\r\n"
                                 "0\r\nX-Trailer: 1\r\n\r\n", out, &consumed), 0);
    assert_string_equal (out, "abc0123456789z");
    //  Incomplete at every byte
    const char *whole = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    char prefix [64];
    for (size_t length = 0; length < strlen (whole); length++) {
        memcpy (prefix, whole, length);
        prefix [length] = 0;
        assert_int_equal (s_chunked (prefix, out, &consumed), FRONTEND_REQUEST_MORE);
    }
    assert_int_equal (s_chunked (whole, out, &consumed), 0);
    assert_string_equal (out, "abcde");
    //  Refused
    assert_int_equal (s_chunked ("zz\r\nfoo\r\n0\r\n\r\n", out, &consumed), 400);
    assert_int_equal (s_chunked ("\r\n", out, &consumed), 400);
    assert_int_equal (s_chunked ("2 \r\nab\r\n0\r\n\r\n", out, &consumed), 400);
    assert_int_equal (s_chunked ("2\r\nabc\r\n0\r\n\r\n", out, &consumed), 400);
    assert_int_equal (s_chunked ("FFFFFFFFFFFFFFFF\r\nxx\r\n", out, &consumed), 413);
    assert_int_equal (s_chunked ("11\r\n", out, &consumed), 413);    //  17 > 16
    assert_int_equal (s_chunked ("9\r\n123456789\r\n8\r\n", out, &consumed), 413);
    char long_line [400];
    memset (long_line, ';', sizeof long_line - 1);
    long_line [0] = '1';
    long_line [sizeof long_line - 1] = 0;
    assert_int_equal (s_chunked (long_line, out, &consumed), 400);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_teardown (test_end_complete_and_incomplete, s_teardown),
        cmocka_unit_test_teardown (test_end_from, s_teardown),
        cmocka_unit_test_teardown (test_end_byte_at_a_time, s_teardown),
        cmocka_unit_test_teardown (test_parse_next_line, s_teardown),
        cmocka_unit_test_teardown (test_parse_get, s_teardown),
        cmocka_unit_test_teardown (test_parse_head, s_teardown),
        cmocka_unit_test_teardown (test_parse_post, s_teardown),
        cmocka_unit_test_teardown (test_keep_alive, s_teardown),
        cmocka_unit_test_teardown (test_content_length, s_teardown),
        cmocka_unit_test_teardown (test_header_values_trimmed, s_teardown),
        cmocka_unit_test_teardown (test_websocket_upgrade, s_teardown),
        cmocka_unit_test_teardown (test_refused, s_teardown),
        cmocka_unit_test_teardown (test_nul_byte, s_teardown),
        cmocka_unit_test_teardown (test_not_a_head, s_teardown),
        cmocka_unit_test_teardown (test_header_count, s_teardown),
        cmocka_unit_test_teardown (test_head_max, s_teardown),
        cmocka_unit_test (test_chunked),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
