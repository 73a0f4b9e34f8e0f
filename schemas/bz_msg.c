/*  bz_msg: msgpack codec for the messages listed in bz_msg_def.h.
    The decoder checks the raw bytes before msgpack-c sees them (see s_check_shape).   */
#include <msgpack.h>
#include "bz_msg.h"

enum {
#define F(field, kind, max) FI_##field,
    BZ_FIELDS (F)
#undef F
    FIELD_COUNT
};
enum {
#define F(field, kind, max) F_##field = 1u << FI_##field,
    BZ_FIELDS (F)
#undef F
};
typedef enum { KIND_STR, KIND_INT, KIND_F64 } kind_t;

static const struct {
    const char *name;
    kind_t kind;
    size_t max;         //  STR: largest length in bytes
    size_t offset;      //  where the value lives in bz_msg_t
} s_fields [FIELD_COUNT] = {
#define F(field, kind, max) { #field, KIND_##kind, max, offsetof (bz_msg_t, field) },
    BZ_FIELDS (F)
#undef F
};

static const struct {
    const char *name;
    uint32_t fields;
} s_messages [BZ_MSG_COUNT] = {
    { "?", 0 },
#define M(id, fields) { #id, fields },
    BZ_MESSAGES (M)
#undef M
};

void
bz_msg_init (bz_msg_t *self, bz_msg_id_t id)
{
    assert (self);
    memset (self, 0, sizeof *self);
    self->id = id;
}

const char *
bz_msg_name (bz_msg_id_t id)
{
    return id > BZ_MSG_NONE && id < BZ_MSG_COUNT? s_messages [id].name: "?";
}

void
bz_msg_set_str (char *field, size_t size, const char *src)
{
    assert (field && size > 0);
    snprintf (field, size, "%s", src? src: "");
}

static void
s_pack_str (msgpack_packer *pk, const char *str)
{
    size_t len = strlen (str);
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, str, len);
}

zframe_t *
bz_msg_encode (const bz_msg_t *self)
{
    assert (self && self->id > BZ_MSG_NONE && self->id < BZ_MSG_COUNT);
    uint32_t fields = s_messages [self->id].fields;
    msgpack_sbuffer buffer;
    msgpack_sbuffer_init (&buffer);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buffer, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 1 + (size_t) __builtin_popcount (fields));
    s_pack_str (&pk, "msg");
    s_pack_str (&pk, s_messages [self->id].name);
    for (int i = 0; i < FIELD_COUNT; i++) {
        if (!(fields & (1u << i)))
            continue;
        const void *value = (const byte *) self + s_fields [i].offset;
        s_pack_str (&pk, s_fields [i].name);
        if (s_fields [i].kind == KIND_STR)
            s_pack_str (&pk, (const char *) value);
        else
        if (s_fields [i].kind == KIND_INT)
            msgpack_pack_int64 (&pk, *(const int64_t *) value);
        else
            msgpack_pack_double (&pk, *(const double *) value);
    }
    zframe_t *frame = zframe_new (buffer.data, buffer.size);
    msgpack_sbuffer_destroy (&buffer);
    return frame;
}

//  Length of the scalar msgpack item at data, or 0 if it is not a scalar or does not
//  fit in size. Containers and extensions are refused: no message nests, and refusing
//  them here is what keeps msgpack-c from allocating for a count the bytes cannot hold.
static size_t
s_scalar_size (const byte *data, size_t size)
{
    if (size == 0)
        return 0;
    byte tag = data [0];
    size_t head = 1, body = 0;
    if (tag <= 0x7f || tag >= 0xe0 || tag == 0xc0 || tag == 0xc2 || tag == 0xc3)
        body = 0;                               //  fixint, nil, bool
    else
    if (tag >= 0xa0 && tag <= 0xbf)
        body = tag & 0x1f;                      //  fixstr
    else
    if (tag == 0xcc || tag == 0xd0) body = 1;   //  int8
    else
    if (tag == 0xcd || tag == 0xd1) body = 2;
    else
    if (tag == 0xce || tag == 0xd2 || tag == 0xca) body = 4;
    else
    if (tag == 0xcf || tag == 0xd3 || tag == 0xcb) body = 8;
    else
    if (tag == 0xd9 || tag == 0xda || tag == 0xdb) {    //  str 8/16/32
        head = 1 + ((size_t) 1 << (tag - 0xd9));
        if (size < head)
            return 0;
        for (size_t i = 1; i < head; i++)
            body = (body << 8) | data [i];
    }
    else
        return 0;                               //  bin, ext, array, map, reserved
    return body <= size - head? head + body: 0;
}

//  Checks that data is exactly one map of at most FIELD_COUNT + 1 scalar pairs.
static int
s_check_shape (const byte *data, size_t size, char *error, size_t error_size)
{
    size_t pairs, offset;
    if (size >= 1 && data [0] >= 0x80 && data [0] <= 0x8f) {
        pairs = data [0] & 0x0f;
        offset = 1;
    }
    else
    if (size >= 3 && data [0] == 0xde) {
        pairs = ((size_t) data [1] << 8) | data [2];
        offset = 3;
    }
    else {
        snprintf (error, error_size, "message is not a msgpack map");
        return -1;
    }
    if (pairs > FIELD_COUNT + 1) {
        snprintf (error, error_size, "message has too many fields");
        return -1;
    }
    for (size_t item = 0; item < pairs * 2; item++) {
        size_t item_size = s_scalar_size (data + offset, size - offset);
        if (item_size == 0) {
            snprintf (error, error_size, "message is truncated or nests data");
            return -1;
        }
        offset += item_size;
    }
    if (offset != size) {
        snprintf (error, error_size, "message has trailing bytes");
        return -1;
    }
    return 0;
}

static int
s_field_index (const msgpack_object_str *key)
{
    for (int i = 0; i < FIELD_COUNT; i++)
        if (strlen (s_fields [i].name) == key->size
        && memcmp (s_fields [i].name, key->ptr, key->size) == 0)
            return i;
    return -1;
}

static bz_msg_id_t
s_message_id (const msgpack_object *value)
{
    if (value->type != MSGPACK_OBJECT_STR)
        return BZ_MSG_NONE;
    for (int id = BZ_MSG_NONE + 1; id < BZ_MSG_COUNT; id++)
        if (strlen (s_messages [id].name) == value->via.str.size
        && memcmp (s_messages [id].name, value->via.str.ptr, value->via.str.size) == 0)
            return (bz_msg_id_t) id;
    return BZ_MSG_NONE;
}

//  Stores one field's value; returns -1 if its msgpack type or size is wrong.
static int
s_store_field (bz_msg_t *self, int index, const msgpack_object *value)
{
    void *target = (byte *) self + s_fields [index].offset;
    switch (s_fields [index].kind) {
        case KIND_STR:
            if (value->type != MSGPACK_OBJECT_STR
            ||  value->via.str.size > s_fields [index].max
            ||  memchr (value->via.str.ptr, 0, value->via.str.size))
                return -1;
            memcpy (target, value->via.str.ptr, value->via.str.size);
            ((char *) target) [value->via.str.size] = 0;
            return 0;
        case KIND_INT:
            if (value->type != MSGPACK_OBJECT_POSITIVE_INTEGER
            ||  value->via.u64 > INT64_MAX)
                return -1;
            *(int64_t *) target = (int64_t) value->via.u64;
            return 0;
        case KIND_F64:
            if (value->type == MSGPACK_OBJECT_FLOAT64 || value->type == MSGPACK_OBJECT_FLOAT32)
                *(double *) target = value->via.f64;
            else
            if (value->type == MSGPACK_OBJECT_POSITIVE_INTEGER && value->via.u64 <= (1ull << 53))
                *(double *) target = (double) value->via.u64;
            else
                return -1;
            return isfinite (*(double *) target)? 0: -1;
    }
    return -1;
}

static int
s_decode_map (bz_msg_t *self, const msgpack_object_map *map, char *error, size_t error_size)
{
    for (uint32_t i = 0; i < map->size; i++)
        if (map->ptr [i].key.type == MSGPACK_OBJECT_STR
        &&  map->ptr [i].key.via.str.size == 3
        &&  memcmp (map->ptr [i].key.via.str.ptr, "msg", 3) == 0)
            self->id = s_message_id (&map->ptr [i].val);
    if (self->id == BZ_MSG_NONE) {
        snprintf (error, error_size, "message has no known \"msg\" id");
        return -1;
    }
    uint32_t wanted = s_messages [self->id].fields, seen = 0;
    for (uint32_t i = 0; i < map->size; i++) {
        const msgpack_object_kv *pair = &map->ptr [i];
        if (pair->key.type != MSGPACK_OBJECT_STR) {
            snprintf (error, error_size, "%s: a key is not a string", bz_msg_name (self->id));
            return -1;
        }
        if (pair->key.via.str.size == 3 && memcmp (pair->key.via.str.ptr, "msg", 3) == 0) {
            if (seen & (1u << FIELD_COUNT)) {
                snprintf (error, error_size, "%s: \"msg\" appears twice", bz_msg_name (self->id));
                return -1;
            }
            seen |= 1u << FIELD_COUNT;
            continue;
        }
        int index = s_field_index (&pair->key.via.str);
        if (index < 0 || !(wanted & (1u << index)) || (seen & (1u << index))) {
            snprintf (error, error_size, "%s: unexpected or repeated field", bz_msg_name (self->id));
            return -1;
        }
        if (s_store_field (self, index, &pair->val)) {
            snprintf (error, error_size, "%s: field \"%s\" has a wrong type or size",
                      bz_msg_name (self->id), s_fields [index].name);
            return -1;
        }
        seen |= 1u << index;
    }
    if ((seen & wanted) != wanted) {
        snprintf (error, error_size, "%s: a required field is missing", bz_msg_name (self->id));
        return -1;
    }
    return 0;
}

int
bz_msg_decode (bz_msg_t *self, const byte *data, size_t size, char *error, size_t error_size)
{
    assert (self && error && error_size > 0);
    bz_msg_init (self, BZ_MSG_NONE);
    if (!data || size == 0 || size > BZ_MSG_MAX_SIZE) {
        snprintf (error, error_size, "message is empty or larger than %d bytes", BZ_MSG_MAX_SIZE);
        return -1;
    }
    if (s_check_shape (data, size, error, error_size))
        return -1;
    msgpack_unpacked unpacked;
    msgpack_unpacked_init (&unpacked);
    size_t offset = 0;
    int rc = -1;
    if (msgpack_unpack_next (&unpacked, (const char *) data, size, &offset) == MSGPACK_UNPACK_SUCCESS
    &&  offset == size && unpacked.data.type == MSGPACK_OBJECT_MAP)
        rc = s_decode_map (self, &unpacked.data.via.map, error, error_size);
    else
        snprintf (error, error_size, "message is not valid msgpack");
    msgpack_unpacked_destroy (&unpacked);
    if (rc)
        self->id = BZ_MSG_NONE;
    return rc;
}

bz_msg_id_t
bz_msg_decode_frame (bz_msg_t *self, zframe_t *frame, char *error, size_t error_size)
{
    if (!frame) {
        bz_msg_init (self, BZ_MSG_NONE);
        snprintf (error, error_size, "message frame is missing");
        return BZ_MSG_NONE;
    }
    bz_msg_decode (self, zframe_data (frame), zframe_size (frame), error, error_size);
    return self->id;
}

zframe_t *
bz_msg_error (int64_t code, const char *format, ...)
{
    bz_msg_t msg;
    bz_msg_init (&msg, BZ_MSG_ERROR);
    msg.code = code;
    va_list args;
    va_start (args, format);
    vsnprintf (msg.message, sizeof msg.message, format, args);
    va_end (args);
    return bz_msg_encode (&msg);
}

void
bz_msg_append (zmsg_t *out, const bz_msg_t *msg)
{
    assert (out && msg);
    zmsg_append (out, &(zframe_t *) { bz_msg_encode (msg) });
}

int
bz_msg_decode_list (zmsg_t *in, size_t first, bz_msg_id_t id, bz_msg_t *items, size_t max,
                    char *error, size_t error_size)
{
    assert (in && (items || max == 0) && error && error_size > 0);
    size_t index = 0, count = 0;
    for (zframe_t *frame = zmsg_first (in); frame; frame = zmsg_next (in), index++) {
        if (index < first)
            continue;
        if (count == max) {
            snprintf (error, error_size, "more than %zu items", max);
            return -1;
        }
        char reason [128];
        bz_msg_id_t got = bz_msg_decode_frame (&items [count], frame, reason, sizeof reason);
        if (got == BZ_MSG_NONE || (id != BZ_MSG_NONE && got != id)) {
            snprintf (error, error_size, "frame %zu is not %s: %s", index + 1,
                      id != BZ_MSG_NONE? bz_msg_name (id): "a message",
                      got == BZ_MSG_NONE? reason: bz_msg_name (got));
            return -1;
        }
        count++;
    }
    return (int) count;
}
