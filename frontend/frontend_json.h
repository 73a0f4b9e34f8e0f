/*  frontend_json: every JSON the REST API reads or writes, through jansson.
    frontend_api parses order bodies and renders replies here; pure, so unit-tested.  */
#ifndef FRONTEND_JSON_H
#define FRONTEND_JSON_H

#include <jansson.h>
#include <stdint.h>
#include "frontend_route.h"

//  Largest POST /orders body we read (413 above it).
#define FRONTEND_BODY_MAX       4096

//  A POST /orders body once checked: every field present and in range.
typedef struct {
    char name [BZ_NAME_MAX + 1];
    char side [5];              //  "buy" or "sell" (the JSON "type")
    int64_t quantity;           //  1..BZ_QUANTITY_MAX
} frontend_order_t;

//  Parses {"name": str, "quantity": int, "type": "buy"|"sell"} and nothing else.
//  Returns 0, or -1 with a message for a 400 reply in error (always NUL-terminated):
//  empty, oversized, nested or malformed JSON, a missing, extra, duplicate or mistyped
//  field, a bad name or type, a quantity out of 1..1,000,000.
int frontend_json_parse_order (frontend_order_t *order, const char *body, size_t size,
                               char *error, size_t error_size);

//  Serialises root (compact, keys in insertion order, prices with 15 significant
//  digits) into buffer when it fits, else into a heap buffer. Returns the text (free it
//  when it is not buffer) and its length in *length_p, or NULL when root is NULL or
//  cannot be serialised. Does not take root.
char *frontend_json_render (const json_t *root, char *buffer, size_t size, size_t *length_p);

//  The most frontend_json_error writes: {"error":{"code":,"message":""}} is 32 bytes,
//  the code at most 11 ("-2147483648"), and the message at most 400 (200 bytes, each
//  '"' or '\\' escaped to two), so 443: rounded up.
#define FRONTEND_JSON_ERROR_MAX 448

//  Renders {"error":{"code":status,"message":message}} into buffer. Bytes of message
//  that are not printable ASCII become '?', and it is cut at 200 bytes, so any message
//  renders. Returns the length, or 0 if buffer is too small (FRONTEND_JSON_ERROR_MAX
//  bytes always suffice; a short plain message needs far less).
size_t frontend_json_error (char *buffer, size_t size, int status, const char *message);

#endif
