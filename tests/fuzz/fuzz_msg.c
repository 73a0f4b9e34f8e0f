/*  fuzz_msg: libFuzzer target for bz_msg_decode, the one decoder every bus message
    (client, worker, PUB stream) goes through. Built by `make fuzz` and `make all`.   */
#include <czmq.h>
#include "bz_msg.h"
#include "fuzz.h"

//  Properties: decode never crashes or over-reads; a failure leaves id NONE and a
//  terminated reason; a success re-encodes to a frame that decodes to the same struct.
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    bz_msg_t msg;
    char error [128];
    memset (error, 'x', sizeof error);
    int rc = bz_msg_decode (&msg, data, size, error, sizeof error);
    if (rc != 0) {
        FUZZ_CHECK (rc == -1);
        FUZZ_CHECK (msg.id == BZ_MSG_NONE);
        FUZZ_CHECK (memchr (error, 0, sizeof error) != NULL);
        return 0;
    }
    FUZZ_CHECK (msg.id > BZ_MSG_NONE && msg.id < BZ_MSG_COUNT);
    FUZZ_CHECK (strcmp (bz_msg_name (msg.id), "?") != 0);
    zframe_t *frame = bz_msg_encode (&msg);
    FUZZ_CHECK (frame != NULL);
    FUZZ_CHECK (zframe_size (frame) <= BZ_MSG_MAX_SIZE);
    bz_msg_t again;
    FUZZ_CHECK (bz_msg_decode_frame (&again, frame, error, sizeof error) == msg.id);
    FUZZ_CHECK (memcmp (&again, &msg, sizeof msg) == 0);
    zframe_destroy (&frame);
    return 0;
}
