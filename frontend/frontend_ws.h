/*  frontend_ws: the WebSocket protocol (RFC 6455) as far as the live page needs it:
    the handshake's accept key, and frames. Pure; frontend_http does the I/O.          */
#ifndef FRONTEND_WS_H
#define FRONTEND_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRONTEND_WS_TEXT        0x1
#define FRONTEND_WS_BINARY      0x2
#define FRONTEND_WS_CLOSE       0x8
#define FRONTEND_WS_PING        0x9
#define FRONTEND_WS_PONG        0xA

//  A page sends short control words ("snapshot"): a frame from it with a longer
//  payload closes the socket. 125 is also the limit of a control frame's payload.
#define FRONTEND_WS_PAYLOAD_MAX 125
//  The accept key: base64 of a SHA-1, NUL included.
#define FRONTEND_WS_ACCEPT_SIZE 29

//  Sec-WebSocket-Accept for the client's Sec-WebSocket-Key. False when the key is not
//  the base64 of 16 bytes (24 characters).
bool frontend_ws_accept (const char *key, char accept [FRONTEND_WS_ACCEPT_SIZE]);

//  What frontend_ws_decode returns.
#define FRONTEND_WS_MORE        0       //  the frame is not complete yet
#define FRONTEND_WS_INVALID     -1      //  a protocol error: close the socket

//  Decodes one client frame from buffer [0..size): returns its length once it is
//  complete, with its opcode, and its payload unmasked in place (*payload points
//  into buffer, *payload_size long); FRONTEND_WS_MORE when more bytes are needed; or
//  FRONTEND_WS_INVALID for a frame we do not take: unmasked, fragmented, reserved bits
//  or opcode, or a payload over FRONTEND_WS_PAYLOAD_MAX.
int frontend_ws_decode (char *buffer, size_t size, int *opcode, char **payload,
                        size_t *payload_size);

//  Writes a server frame's header (final, unmasked) for a payload of size bytes into
//  header, which holds 10 bytes; returns its length.
size_t frontend_ws_header (char header [10], int opcode, size_t size);

#endif
