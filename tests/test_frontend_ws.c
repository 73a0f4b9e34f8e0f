/*  test_frontend_ws: the WebSocket codec computes the handshake's accept key (RFC 6455
    example), decodes the short masked frames a page sends, waits for the rest of a
    partial frame, refuses every frame it does not take, and writes server headers of
    each length form.                                                                 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "frontend_ws.h"

#include "test_pool.h"

//  --------------------------------------------------------------------------------
//  frontend_ws_accept

static void
test_accept_rfc_example (void **state)
{
    (void) state;
    char accept [FRONTEND_WS_ACCEPT_SIZE];
    //  RFC 6455, section 1.3
    assert_true (frontend_ws_accept ("dGhlIHNhbXBsZSBub25jZQ==", accept));
    assert_string_equal (accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_int_equal (strlen (accept), FRONTEND_WS_ACCEPT_SIZE - 1);
    //  More keys, the answers computed with Python's hashlib and base64
    assert_true (frontend_ws_accept ("x3JJHMbDL1EzLkh9GBhXDw==", accept));
    assert_string_equal (accept, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    assert_true (frontend_ws_accept ("AAAAAAAAAAAAAAAAAAAAAA==", accept));
    assert_string_equal (accept, "ICX+Yqv66kxgM0FcWaLWlFLwTAI=");
    assert_true (frontend_ws_accept ("+/+/+/+/+/+/+/+/+/+/+w==", accept));
    assert_string_equal (accept, "M0DUs3om0SqzerhOhYSMM7WQuBQ=");
}

static void
test_accept_rejects (void **state)
{
    (void) state;
    const char *bad [] = {
        NULL,
        "",
        "dGhlIHNhbXBsZSBub25jZQ=",              //  23 characters
        "dGhlIHNhbXBsZSBub25jZQ===",            //  25
        "dGhlIHNhbXBsZSBub25jZQ== ",
        " dGhlIHNhbXBsZSBub25jZQ==",
        "dGhlIHNhbXBsZSBub25jZQ",               //  no padding
        "dGhlIHNhbXBsZSBub25jZQAA",             //  24, but no "=="
        "dGhlIHNhbXBsZSBub25jZQA=",
        "dGhlIHNhbXBsZSBub25jZ===",             //  the base64 of 15 bytes
        "dGhlIHNhbXBsZSBub25jZQ=A",
        "dGhlIHNhbXBsZSBub25j-Q==",             //  base64url is not base64
        "dGhlIHNhbXBsZSBub25j_Q==",
        "dGhlIHNhbXBsZSBub25j Q==",
        "dGhlIHNhbXBsZSBub25j.Q==",
        "dGhlIHNh=XBsZSBub25jZQ==",
        "dGhlIHNhbXBsZSBub25j\tQ==",
        "dGhlIHNhbXBsZSBub25j\xc3\xa9==",
        "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ==",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char accept [FRONTEND_WS_ACCEPT_SIZE];
        if (frontend_ws_accept (bad [i], accept))
            fail_msg ("key %zu \"%s\" accepted", i, bad [i]? bad [i]: "(null)");
    }
}

//  --------------------------------------------------------------------------------
//  frontend_ws_decode

//  Writes a client frame: first byte, then the mask bit and length, the mask, and the
//  payload masked. Returns its size.
static size_t
s_frame (unsigned char *frame, unsigned char first, const unsigned char mask [4],
         const char *payload, size_t size)
{
    assert_true (size <= 125);
    frame [0] = first;
    frame [1] = (unsigned char) (0x80 | size);
    memcpy (frame + 2, mask, 4);
    for (size_t i = 0; i < size; i++)
        frame [6 + i] = (unsigned char) payload [i] ^ mask [i % 4];
    return 6 + size;
}

static const unsigned char s_mask [4] = { 0x37, 0xfa, 0x21, 0x3d };

static void
test_decode_masked_text (void **state)
{
    (void) state;
    //  "snapshot", masked by hand: 's'^0x37 = 0x44, 'n'^0xfa = 0x94, 'a'^0x21 = 0x40,
    //  'p'^0x3d = 0x4d, 's'^0x37 = 0x44, 'h'^0xfa = 0x92, 'o'^0x21 = 0x4e, 't'^0x3d = 0x49
    const unsigned char frame [] = {
        0x81, 0x88, 0x37, 0xfa, 0x21, 0x3d,
        0x44, 0x94, 0x40, 0x4d, 0x44, 0x92, 0x4e, 0x49
    };
    char *buffer = s_alloc (sizeof frame);
    assert_non_null (buffer);
    memcpy (buffer, frame, sizeof frame);
    int opcode = -1;
    char *payload = NULL;
    size_t payload_size = 999;
    assert_int_equal (frontend_ws_decode (buffer, sizeof frame, &opcode, &payload, &payload_size),
                      6 + 8);
    assert_int_equal (opcode, FRONTEND_WS_TEXT);
    assert_ptr_equal (payload, buffer + 6);
    assert_int_equal (payload_size, 8);
    assert_memory_equal (payload, "snapshot", 8);
    s_free (buffer);

    //  The helper agrees with the hand-made frame
    unsigned char built [64];
    assert_int_equal (s_frame (built, 0x81, s_mask, "snapshot", 8), sizeof frame);
    assert_memory_equal (built, frame, sizeof frame);

    //  A frame followed by another: the first one's length only, then the second
    unsigned char two [64];
    size_t first = s_frame (two, 0x81, s_mask, "snapshot", 8);
    size_t second = s_frame (two + first, 0x82, s_mask, "\x00\x01\x02", 3);
    assert_int_equal (frontend_ws_decode ((char *) two, first + second, &opcode, &payload,
                                          &payload_size), (int) first);
    assert_memory_equal (payload, "snapshot", 8);
    assert_int_equal (frontend_ws_decode ((char *) two + first, second, &opcode, &payload,
                                          &payload_size), (int) second);
    assert_int_equal (opcode, FRONTEND_WS_BINARY);
    assert_int_equal (payload_size, 3);
    assert_memory_equal (payload, "\x00\x01\x02", 3);
}

static void
test_decode_more (void **state)
{
    (void) state;
    //  Every prefix of a complete frame is FRONTEND_WS_MORE, and the whole is the frame
    const char *payloads [] = { "", "x", "snapshot", NULL };
    char big [FRONTEND_WS_PAYLOAD_MAX];
    memset (big, 'q', sizeof big);
    for (size_t p = 0; p < sizeof payloads / sizeof payloads [0]; p++) {
        const char *text = payloads [p]? payloads [p]: big;
        size_t text_size = payloads [p]? strlen (payloads [p]): sizeof big;
        unsigned char frame [6 + FRONTEND_WS_PAYLOAD_MAX];
        size_t size = s_frame (frame, 0x81, s_mask, text, text_size);
        for (size_t prefix = 0; prefix < size; prefix++) {
            //  A heap copy of exactly the prefix: the sanitizers catch a read past it
            char *buffer = s_alloc (prefix? prefix: 1);
            assert_non_null (buffer);
            memcpy (buffer, frame, prefix);
            int opcode;
            char *payload;
            size_t payload_size;
            int result = frontend_ws_decode (buffer, prefix, &opcode, &payload, &payload_size);
            if (result != FRONTEND_WS_MORE)
                fail_msg ("a %zu-byte payload, %zu bytes of its frame: %d", text_size, prefix, result);
            //  Nothing unmasked yet: the next call sees the same bytes
            assert_memory_equal (buffer, frame, prefix);
            s_free (buffer);
        }
        char *buffer = s_alloc (size);
        assert_non_null (buffer);
        memcpy (buffer, frame, size);
        int opcode;
        char *payload;
        size_t payload_size;
        assert_int_equal (frontend_ws_decode (buffer, size, &opcode, &payload, &payload_size),
                          (int) size);
        assert_int_equal (payload_size, text_size);
        assert_memory_equal (payload, text, text_size);
        s_free (buffer);
    }
}

//  The frame's decode result, from a copy of exactly its bytes
static int
s_decode (const unsigned char *frame, size_t size, int *opcode)
{
    char *buffer = s_alloc (size);
    assert_non_null (buffer);
    memcpy (buffer, frame, size);
    char *payload;
    size_t payload_size;
    int result = frontend_ws_decode (buffer, size, opcode, &payload, &payload_size);
    s_free (buffer);
    return result;
}

static void
test_decode_unmasked (void **state)
{
    (void) state;
    //  A client frame without the mask bit: "hi" in the clear
    const unsigned char frame [] = { 0x81, 0x02, 'h', 'i', 0, 0, 0, 0 };
    int opcode;
    assert_int_equal (s_decode (frame, sizeof frame, &opcode), FRONTEND_WS_INVALID);
    const unsigned char empty [] = { 0x89, 0x00, 0, 0, 0, 0 };
    assert_int_equal (s_decode (empty, sizeof empty, &opcode), FRONTEND_WS_INVALID);
}

static void
test_decode_fragment (void **state)
{
    (void) state;
    unsigned char frame [32];
    int opcode;
    //  Not final: the first fragment of a text message
    size_t size = s_frame (frame, 0x01, s_mask, "snap", 4);
    assert_int_equal (s_decode (frame, size, &opcode), FRONTEND_WS_INVALID);
    //  A continuation frame, final or not
    size = s_frame (frame, 0x80, s_mask, "shot", 4);
    assert_int_equal (s_decode (frame, size, &opcode), FRONTEND_WS_INVALID);
    size = s_frame (frame, 0x00, s_mask, "shot", 4);
    assert_int_equal (s_decode (frame, size, &opcode), FRONTEND_WS_INVALID);
    //  A non-final ping (control frames cannot be fragmented)
    size = s_frame (frame, 0x09, s_mask, "", 0);
    assert_int_equal (s_decode (frame, size, &opcode), FRONTEND_WS_INVALID);
}

static void
test_decode_reserved_bits (void **state)
{
    (void) state;
    unsigned char frame [32];
    int opcode;
    const unsigned char reserved [] = { 0x40, 0x20, 0x10, 0x70 };
    for (size_t i = 0; i < sizeof reserved; i++) {
        size_t size = s_frame (frame, (unsigned char) (0x81 | reserved [i]), s_mask, "snapshot", 8);
        if (s_decode (frame, size, &opcode) != FRONTEND_WS_INVALID)
            fail_msg ("reserved bits 0x%02x accepted", reserved [i]);
    }
}

static void
test_decode_opcodes (void **state)
{
    (void) state;
    unsigned char frame [32];
    for (int code = 0; code < 16; code++) {
        size_t size = s_frame (frame, (unsigned char) (0x80 | code), s_mask, "ab", 2);
        int opcode = -1;
        int result = s_decode (frame, size, &opcode);
        bool known = code == FRONTEND_WS_TEXT || code == FRONTEND_WS_BINARY
                  || code == FRONTEND_WS_CLOSE || code == FRONTEND_WS_PING
                  || code == FRONTEND_WS_PONG;
        if (known) {
            assert_int_equal (result, (int) size);
            assert_int_equal (opcode, code);
        }
        else
        if (result != FRONTEND_WS_INVALID)
            fail_msg ("opcode 0x%x: %d, expected FRONTEND_WS_INVALID", code, result);
    }
}

static void
test_decode_lengths (void **state)
{
    (void) state;
    int opcode;
    //  125 is the longest payload taken
    unsigned char frame [6 + 125];
    char text [125];
    memset (text, 'z', sizeof text);
    size_t size = s_frame (frame, 0x81, s_mask, text, 125);
    assert_int_equal (s_decode (frame, size, &opcode), 6 + 125);
    //  126: a 16-bit extended length follows; 127: a 64-bit one. Neither is taken,
    //  whatever the extended length says, and whether or not the rest has come
    const unsigned char len16 [] = { 0x81, 0xfe, 0x00, 0x7e, 0x37, 0xfa, 0x21, 0x3d };
    assert_int_equal (s_decode (len16, sizeof len16, &opcode), FRONTEND_WS_INVALID);
    const unsigned char len16_small [] = { 0x81, 0xfe, 0x00, 0x02, 0x37, 0xfa, 0x21, 0x3d, 'a', 'b' };
    assert_int_equal (s_decode (len16_small, sizeof len16_small, &opcode), FRONTEND_WS_INVALID);
    const unsigned char len64 [] = { 0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x02,
                                     0x37, 0xfa, 0x21, 0x3d, 'a', 'b' };
    assert_int_equal (s_decode (len64, sizeof len64, &opcode), FRONTEND_WS_INVALID);
    const unsigned char len64_huge [] = { 0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0x37, 0xfa, 0x21, 0x3d };
    assert_int_equal (s_decode (len64_huge, sizeof len64_huge, &opcode), FRONTEND_WS_INVALID);
}

static void
test_decode_control_frames (void **state)
{
    (void) state;
    unsigned char frame [32];
    char *payload;
    size_t payload_size;
    int opcode;

    //  A ping with a payload (the pong must echo it)
    size_t size = s_frame (frame, 0x89, s_mask, "are you there", 13);
    assert_int_equal (frontend_ws_decode ((char *) frame, size, &opcode, &payload, &payload_size),
                      (int) size);
    assert_int_equal (opcode, FRONTEND_WS_PING);
    assert_int_equal (payload_size, 13);
    assert_memory_equal (payload, "are you there", 13);

    //  An empty ping: 6 bytes, header and mask only
    size = s_frame (frame, 0x89, s_mask, "", 0);
    assert_int_equal (size, 6);
    assert_int_equal (frontend_ws_decode ((char *) frame, size, &opcode, &payload, &payload_size), 6);
    assert_int_equal (opcode, FRONTEND_WS_PING);
    assert_int_equal (payload_size, 0);

    //  A close with status 1000 and a reason
    size = s_frame (frame, 0x88, s_mask, "\x03\xe8" "bye", 5);
    assert_int_equal (frontend_ws_decode ((char *) frame, size, &opcode, &payload, &payload_size),
                      (int) size);
    assert_int_equal (opcode, FRONTEND_WS_CLOSE);
    assert_int_equal (payload_size, 5);
    assert_memory_equal (payload, "\x03\xe8" "bye", 5);

    //  An empty close
    size = s_frame (frame, 0x88, s_mask, "", 0);
    assert_int_equal (frontend_ws_decode ((char *) frame, size, &opcode, &payload, &payload_size), 6);
    assert_int_equal (opcode, FRONTEND_WS_CLOSE);
    assert_int_equal (payload_size, 0);

    //  A pong
    size = s_frame (frame, 0x8a, s_mask, "p", 1);
    assert_int_equal (frontend_ws_decode ((char *) frame, size, &opcode, &payload, &payload_size),
                      (int) size);
    assert_int_equal (opcode, FRONTEND_WS_PONG);
    assert_int_equal (payload_size, 1);
    assert_memory_equal (payload, "p", 1);
}

//  --------------------------------------------------------------------------------
//  frontend_ws_header

static void
test_header (void **state)
{
    (void) state;
    struct { int opcode; size_t size; size_t length; unsigned char bytes [10]; } cases [] = {
        { FRONTEND_WS_TEXT,   0,      2,  { 0x81, 0x00 } },
        { FRONTEND_WS_TEXT,   1,      2,  { 0x81, 0x01 } },
        { FRONTEND_WS_TEXT,   125,    2,  { 0x81, 0x7d } },
        { FRONTEND_WS_TEXT,   126,    4,  { 0x81, 0x7e, 0x00, 0x7e } },
        { FRONTEND_WS_TEXT,   300,    4,  { 0x81, 0x7e, 0x01, 0x2c } },
        { FRONTEND_WS_TEXT,   65535,  4,  { 0x81, 0x7e, 0xff, 0xff } },
        { FRONTEND_WS_TEXT,   65536,  10, { 0x81, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00 } },
        { FRONTEND_WS_BINARY, 0x12345678, 10, { 0x82, 0x7f, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78 } },
        { FRONTEND_WS_CLOSE,  2,      2,  { 0x88, 0x02 } },
        { FRONTEND_WS_PING,   0,      2,  { 0x89, 0x00 } },
        { FRONTEND_WS_PONG,   4,      2,  { 0x8a, 0x04 } },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char header [10];
        memset (header, 0x5a, sizeof header);
        size_t length = frontend_ws_header (header, cases [i].opcode, cases [i].size);
        if (length != cases [i].length)
            fail_msg ("a %zu-byte payload: a %zu-byte header, expected %zu", cases [i].size,
                      length, cases [i].length);
        assert_memory_equal (header, cases [i].bytes, length);
        //  Nothing written past the header
        for (size_t at = length; at < sizeof header; at++)
            assert_int_equal ((unsigned char) header [at], 0x5a);
    }
    //  A 64-bit size, on a 64-bit size_t
    if (sizeof (size_t) >= 8) {
        char header [10];
        size_t size = (size_t) 0x0102030405060708ULL;
        assert_int_equal (frontend_ws_header (header, FRONTEND_WS_BINARY, size), 10);
        const unsigned char expected [10] = { 0x82, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8 };
        assert_memory_equal (header, expected, 10);
    }
}

static void
test_header_round_trip (void **state)
{
    (void) state;
    //  A server header, masked as a client would, decodes to what was sent
    for (size_t size = 0; size <= FRONTEND_WS_PAYLOAD_MAX; size++) {
        unsigned char frame [6 + FRONTEND_WS_PAYLOAD_MAX];
        char text [FRONTEND_WS_PAYLOAD_MAX + 1];
        for (size_t i = 0; i < size; i++)
            text [i] = (char) ('a' + i % 26);
        char header [10];
        assert_int_equal (frontend_ws_header (header, FRONTEND_WS_TEXT, size), 2);
        frame [0] = (unsigned char) header [0];
        frame [1] = (unsigned char) header [1] | 0x80;
        memcpy (frame + 2, s_mask, 4);
        for (size_t i = 0; i < size; i++)
            frame [6 + i] = (unsigned char) text [i] ^ s_mask [i % 4];
        int opcode;
        char *payload;
        size_t payload_size;
        assert_int_equal (frontend_ws_decode ((char *) frame, 6 + size, &opcode, &payload,
                                              &payload_size), (int) (6 + size));
        assert_int_equal (opcode, FRONTEND_WS_TEXT);
        assert_int_equal (payload_size, size);
        assert_memory_equal (payload, text, size);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_teardown (test_accept_rfc_example, s_teardown),
        cmocka_unit_test_teardown (test_accept_rejects, s_teardown),
        cmocka_unit_test_teardown (test_decode_masked_text, s_teardown),
        cmocka_unit_test_teardown (test_decode_more, s_teardown),
        cmocka_unit_test_teardown (test_decode_unmasked, s_teardown),
        cmocka_unit_test_teardown (test_decode_fragment, s_teardown),
        cmocka_unit_test_teardown (test_decode_reserved_bits, s_teardown),
        cmocka_unit_test_teardown (test_decode_opcodes, s_teardown),
        cmocka_unit_test_teardown (test_decode_lengths, s_teardown),
        cmocka_unit_test_teardown (test_decode_control_frames, s_teardown),
        cmocka_unit_test_teardown (test_header, s_teardown),
        cmocka_unit_test_teardown (test_header_round_trip, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
