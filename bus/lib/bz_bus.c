/*  bz_bus: the codec of the bus envelopes: see bz_bus.h.  */
#include "bz_bus.h"

int
bz_bus_wrap_client (zmsg_t *msg, const char *service, const void *reqid, size_t size)
{
    assert (msg && service && reqid);
    size_t length = strlen (service);
    if (length == 0 || length > BZ_SERVICE_MAX || size == 0 || size > BZ_REQID_MAX)
        return -1;
    if (zmsg_pushmem (msg, reqid, size) || zmsg_pushstr (msg, service)
    ||  zmsg_pushstr (msg, BZ_CLIENT_PROTO) || zmsg_pushmem (msg, "", 0))
        return -1;
    return 0;
}

void
bz_bus_wrap_worker (zmsg_t *msg, const char *command)
{
    assert (msg && command && strlen (command) == 1);
    zmsg_pushstr (msg, command);
    zmsg_pushstr (msg, BZ_WORKER_PROTO);
    zmsg_pushmem (msg, "", 0);
}

//  True if frame holds exactly the string text.
static bool
s_frame_is (zframe_t *frame, const char *text)
{
    size_t size = strlen (text);
    return frame && zframe_size (frame) == size && memcmp (zframe_data (frame), text, size) == 0;
}

//  Copies frame, 1..max bytes with no NUL, into text as a string; false if it is not.
static bool
s_frame_text (zframe_t *frame, char *text, size_t max)
{
    size_t size = frame? zframe_size (frame): 0;
    if (size == 0 || size > max || memchr (zframe_data (frame), 0, size))
        return false;
    memcpy (text, zframe_data (frame), size);
    text [size] = 0;
    return true;
}

int
bz_bus_unwrap (zmsg_t *msg, bz_envelope_t *envelope)
{
    assert (msg && envelope);
    memset (envelope, 0, sizeof *envelope);
    zframe_t *empty = zmsg_pop (msg), *proto = zmsg_pop (msg), *first = NULL, *second = NULL;
    bool valid = s_frame_is (empty, "");
    if (valid && s_frame_is (proto, BZ_CLIENT_PROTO)) {
        envelope->client = true;
        first = zmsg_pop (msg);
        second = zmsg_pop (msg);
        valid = s_frame_text (first, envelope->service, BZ_SERVICE_MAX)
             && second && zframe_size (second) >= 1 && zframe_size (second) <= BZ_REQID_MAX;
        if (valid) {
            envelope->reqid_size = zframe_size (second);
            memcpy (envelope->reqid, zframe_data (second), envelope->reqid_size);
        }
    }
    else
    if (valid && s_frame_is (proto, BZ_WORKER_PROTO)) {
        first = zmsg_pop (msg);
        valid = first && zframe_size (first) == 1;
        if (valid)
            envelope->command [0] = (char) zframe_data (first) [0];
    }
    else
        valid = false;
    zframe_destroy (&empty);
    zframe_destroy (&proto);
    zframe_destroy (&first);
    zframe_destroy (&second);
    return valid? 0: -1;
}
