/*  frontend_ws: the WebSocket protocol (RFC 6455) as far as the live page needs it:
    the handshake's accept key, and frames. Pure; frontend_http does the I/O.          */
#include <czmq.h>
#include "frontend_ws.h"

#define WS_GUID     "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define KEY_SIZE    24

bool
frontend_ws_accept (const char *key, char accept [FRONTEND_WS_ACCEPT_SIZE])
{
    if (!key || strlen (key) != KEY_SIZE || key [KEY_SIZE - 2] != '=' || key [KEY_SIZE - 1] != '=')
        return false;
    for (int i = 0; i < KEY_SIZE - 2; i++)
        if (!isalnum ((unsigned char) key [i]) && key [i] != '+' && key [i] != '/')
            return false;
    char text [KEY_SIZE + sizeof WS_GUID];
    memcpy (text, key, KEY_SIZE);
    memcpy (text + KEY_SIZE, WS_GUID, sizeof WS_GUID);
    zdigest_t *digest = zdigest_new ();
    if (!digest)
        return false;
    zdigest_update (digest, (const byte *) text, KEY_SIZE + sizeof WS_GUID - 1);
    const byte *hash = zdigest_data (digest);
    //  base64 (RFC 4648) of the 20 bytes: 28 characters, one '=' of padding
    static const char alphabet [] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t out = 0;
    for (size_t i = 0; i < 20; i += 3) {
        uint32_t bits = (uint32_t) hash [i] << 16;
        if (i + 1 < 20)
            bits |= (uint32_t) hash [i + 1] << 8;
        if (i + 2 < 20)
            bits |= hash [i + 2];
        accept [out++] = alphabet [(bits >> 18) & 63];
        accept [out++] = alphabet [(bits >> 12) & 63];
        accept [out++] = i + 1 < 20? alphabet [(bits >> 6) & 63]: '=';
        accept [out++] = i + 2 < 20? alphabet [bits & 63]: '=';
    }
    accept [out] = 0;
    zdigest_destroy (&digest);
    return true;
}

int
frontend_ws_decode (char *buffer, size_t size, int *opcode, char **payload,
                    size_t *payload_size)
{
    if (size < 2)
        return FRONTEND_WS_MORE;
    unsigned char first = (unsigned char) buffer [0], second = (unsigned char) buffer [1];
    *opcode = first & 0x0f;
    bool known = *opcode == FRONTEND_WS_TEXT || *opcode == FRONTEND_WS_BINARY
              || *opcode == FRONTEND_WS_CLOSE || *opcode == FRONTEND_WS_PING
              || *opcode == FRONTEND_WS_PONG;
    //  Final, no reserved bits, masked (every client frame is), a short payload
    if (first != (0x80 | *opcode) || !known || !(second & 0x80)
    ||  (second & 0x7f) > FRONTEND_WS_PAYLOAD_MAX)
        return FRONTEND_WS_INVALID;
    size_t length = second & 0x7f;
    if (size < 6 + length)
        return FRONTEND_WS_MORE;
    const unsigned char *mask = (const unsigned char *) buffer + 2;
    char *data = buffer + 6;
    for (size_t i = 0; i < length; i++)
        data [i] = (char) ((unsigned char) data [i] ^ mask [i % 4]);
    *payload = data;
    *payload_size = length;
    return (int) (6 + length);
}

size_t
frontend_ws_header (char header [10], int opcode, size_t size)
{
    header [0] = (char) (0x80 | (opcode & 0x0f));
    if (size <= 125) {
        header [1] = (char) size;
        return 2;
    }
    if (size <= 0xffff) {
        header [1] = 126;
        header [2] = (char) (size >> 8);
        header [3] = (char) size;
        return 4;
    }
    header [1] = 127;
    for (int i = 0; i < 8; i++)
        header [2 + i] = (char) ((uint64_t) size >> (56 - 8 * i));
    return 10;
}
