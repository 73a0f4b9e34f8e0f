/*  corpus_gen: writes the msgpack seeds of tests/fuzz/corpus/{msg,catalog}: one valid
    message of every type plus hostile variants. Run by hand when bz_msg_def.h changes:
    cc -Ibus -Ischemas tests/fuzz/corpus_gen.c build/libcommon.a -lczmq -lzmq -lmsgpackc
       -o /tmp/corpus_gen && /tmp/corpus_gen tests/fuzz/corpus                          */
#include <czmq.h>
#include "bz_msg.h"

static const char *s_root;

static void
s_write (const char *what, const char *name, const byte *data, size_t size)
{
    char path [512];
    snprintf (path, sizeof path, "%s/%s/%s", s_root, what, name);
    FILE *file = fopen (path, "wb");
    assert (file);
    assert (fwrite (data, 1, size, file) == size || size == 0);
    fclose (file);
}

//  A message with every field it carries set to a plausible value.
static zframe_t *
s_sample (bz_msg_id_t id)
{
    bz_msg_t msg;
    bz_msg_init (&msg, id);
    bz_msg_set_str (msg.name, sizeof msg.name, "GameStart");
    bz_msg_set_str (msg.side, sizeof msg.side, "buy");
    msg.quantity = 5;
    msg.price = 15.99;
    msg.volume = 7;
    msg.number = 0;
    bz_msg_set_str (msg.key, sizeof msg.key, "k-0001");
    msg.code = 404;
    bz_msg_set_str (msg.message, sizeof msg.message, "stock not found");
    bz_msg_set_str (msg.publisher, sizeof msg.publisher, "5c4f3d2e-0000-4000-8000-000000000001");
    msg.seq = 3;
    msg.epoch = 1;
    bz_msg_set_str (msg.service, sizeof msg.service, "catalog");
    msg.rank = 0;
    msg.count = (id == BZ_MSG_BATCH)? 1: 10;
    return bz_msg_encode (&msg);
}

int
main (int argc, char *argv [])
{
    s_root = argc > 1? argv [1]: "tests/fuzz/corpus";
    char sep [] = "\xc1\xc1\xc1";
    for (int id = BZ_MSG_NONE + 1; id < BZ_MSG_COUNT; id++) {
        zframe_t *frame = s_sample ((bz_msg_id_t) id);
        char name [64];
        snprintf (name, sizeof name, "valid-%s", bz_msg_name ((bz_msg_id_t) id));
        s_write ("msg", name, zframe_data (frame), zframe_size (frame));
        //  Truncated at half its length, and with one trailing byte.
        snprintf (name, sizeof name, "truncated-%s", bz_msg_name ((bz_msg_id_t) id));
        s_write ("msg", name, zframe_data (frame), zframe_size (frame) / 2);
        byte longer [BZ_MSG_MAX_SIZE + 1];
        memcpy (longer, zframe_data (frame), zframe_size (frame));
        longer [zframe_size (frame)] = 0xc0;
        snprintf (name, sizeof name, "trailing-%s", bz_msg_name ((bz_msg_id_t) id));
        s_write ("msg", name, longer, zframe_size (frame) + 1);
        zframe_destroy (&frame);
    }
    //  Catalog requests: one request's frames joined by the separator C1 C1 C1.
    const bz_msg_id_t requests [] = { BZ_MSG_LOOKUP, BZ_MSG_LIST, BZ_MSG_SINCE, BZ_MSG_STOCK };
    for (size_t i = 0; i < sizeof requests / sizeof requests [0]; i++) {
        zframe_t *frame = s_sample (requests [i]);
        char name [64];
        snprintf (name, sizeof name, "request-%s", bz_msg_name (requests [i]));
        s_write ("catalog", name, zframe_data (frame), zframe_size (frame));
        zframe_destroy (&frame);
    }
    //  BATCH{count=1} + ORDER, BATCH{count=2} + one ORDER, BATCH + STOCK.
    zchunk_t *chunk = zchunk_new (NULL, 0);
    zframe_t *batch = s_sample (BZ_MSG_BATCH), *order = s_sample (BZ_MSG_ORDER);
    zchunk_extend (chunk, zframe_data (batch), zframe_size (batch));
    zchunk_extend (chunk, sep, 3);
    zchunk_extend (chunk, zframe_data (order), zframe_size (order));
    s_write ("catalog", "request-BATCH", zchunk_data (chunk), zchunk_size (chunk));
    zchunk_extend (chunk, sep, 3);
    zchunk_extend (chunk, zframe_data (order), zframe_size (order));
    s_write ("catalog", "request-BATCH-count-mismatch", zchunk_data (chunk), zchunk_size (chunk));
    zchunk_destroy (&chunk);
    bz_msg_t msg;
    bz_msg_init (&msg, BZ_MSG_BATCH);
    msg.epoch = 1;
    msg.number = 0;
    msg.count = 0;
    zframe_t *fence = bz_msg_encode (&msg);
    s_write ("catalog", "request-BATCH-fence", zframe_data (fence), zframe_size (fence));
    zframe_destroy (&fence);
    bz_msg_init (&msg, BZ_MSG_ORDER);
    bz_msg_set_str (msg.name, sizeof msg.name, "FishCo");
    bz_msg_set_str (msg.side, sizeof msg.side, "sell");
    msg.quantity = 1000000;
    bz_msg_set_str (msg.key, sizeof msg.key, "k-sell");
    zframe_t *sell = bz_msg_encode (&msg);
    chunk = zchunk_new (NULL, 0);
    zchunk_extend (chunk, zframe_data (batch), zframe_size (batch));
    zchunk_extend (chunk, sep, 3);
    zchunk_extend (chunk, zframe_data (sell), zframe_size (sell));
    s_write ("catalog", "request-BATCH-sell", zchunk_data (chunk), zchunk_size (chunk));
    zchunk_destroy (&chunk);
    zframe_destroy (&sell);
    zframe_destroy (&batch);
    zframe_destroy (&order);
    return 0;
}
