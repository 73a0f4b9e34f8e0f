/*  bz_msg: one Bazaar bus message, encoded as a msgpack map {"msg": ID, field: value...}.
    Every service encodes and decodes its frames here; decoding never trusts its input.  */
#ifndef BZ_MSG_H
#define BZ_MSG_H

#include <czmq.h>
#include "bz_msg_def.h"

typedef enum {
    BZ_MSG_NONE = 0,
#define M(id, fields) BZ_MSG_##id,
    BZ_MESSAGES (M)
#undef M
    BZ_MSG_COUNT
} bz_msg_id_t;

#define BZ_MEMBER_STR(field, max) char field [max + 1];
#define BZ_MEMBER_INT(field, max) int64_t field;
#define BZ_MEMBER_F64(field, max) double field;

//  Fixed size, so decoding allocates nothing that outlives the call.
typedef struct {
    bz_msg_id_t id;
#define F(field, kind, max) BZ_MEMBER_##kind (field, max)
    BZ_FIELDS (F)
#undef F
} bz_msg_t;

//  Largest encoded message: bounds every frame that carries one.
#define BZ_MSG_MAX_SIZE 1024

//  Clears all fields and sets the message id.
void bz_msg_init (bz_msg_t *self, bz_msg_id_t id);

//  The wire name of a message id ("STOCK"), or "?" for an unknown id.
const char *bz_msg_name (bz_msg_id_t id);

//  Copies src into a string field, cutting it to the field's size: use as
//  bz_msg_set_str (msg.name, sizeof msg.name, src).
void bz_msg_set_str (char *field, size_t size, const char *src);

//  Encodes the message's fields (only those its id carries) as one frame.
zframe_t *bz_msg_encode (const bz_msg_t *self);

//  Decodes one frame. Returns 0, or -1 with a reason in error (never NULL-terminated
//  past error_size) for anything malformed: not a map, unknown id, a missing, extra,
//  duplicate or mistyped field, an over-long string, trailing bytes, nested data.
int bz_msg_decode (bz_msg_t *self, const byte *data, size_t size, char *error, size_t error_size);

//  Decodes a frame (NULL is malformed). Returns the message id, or BZ_MSG_NONE when
//  malformed, with the reason in error.
bz_msg_id_t bz_msg_decode_frame (bz_msg_t *self, zframe_t *frame, char *error, size_t error_size);

//  Messages of several frames ("a header and N items": BATCH + ORDERs, REPLICATE +
//  RECORDs, a SINCE answer's RECORDs) are built and read with these two, never by hand.
//  append encodes msg as the last frame of out. decode_list decodes the frames of in
//  from frame number first (0: the first) on into items, at most max; when id is not
//  BZ_MSG_NONE every one must be a message of that id. Returns how many, or -1 with the
//  reason in error: more than max frames, or a frame that is not such a message.
void bz_msg_append (zmsg_t *out, const bz_msg_t *msg);
int bz_msg_decode_list (zmsg_t *in, size_t first, bz_msg_id_t id, bz_msg_t *items,
                        size_t max, char *error, size_t error_size);

//  An ERROR message frame: code is an HTTP-like status (400, 404, 409, 503...).
zframe_t *bz_msg_error (int64_t code, const char *format, ...) CHECK_PRINTF (2);

#endif
