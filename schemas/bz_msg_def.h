/*  bz_msg_def: every message on the Bazaar bus, written once.
    bz_msg.c derives the struct, encoder, decoder and checks from these two lists;
    schemas/PROTOCOL.md describes the same lists for people.                          */
#ifndef BZ_MSG_DEF_H
#define BZ_MSG_DEF_H

#include "bz_limits.h"

//  Fields: name, kind, largest length for strings (bytes, UTF-8).
//  INT is a non-negative int64, F64 a double, STR a string without NUL bytes.
#define BZ_FIELDS(F)                \
    F (name,        STR, BZ_NAME_MAX) \
    F (side,        STR, 4)         \
    F (quantity,    INT, 0)         \
    F (price,       F64, 0)         \
    F (volume,      INT, 0)         \
    F (number,      INT, 0)         \
    F (key,         STR, BZ_KEY_MAX) \
    F (code,        INT, 0)         \
    F (message,     STR, 200)       \
    F (publisher,   STR, 40)        \
    F (seq,         INT, 0)         \
    F (epoch,       INT, 0)         \
    F (service,     STR, 32)        \
    F (rank,        INT, 0)         \
    F (count,       INT, 0)

//  Messages: id and the fields it carries, all of them required, no others allowed.
#define BZ_MESSAGES(M)                                                              \
    /*  catalog service  */                                                         \
    M (LOOKUP,      F_name)                                   /* → STOCK | ERROR */ \
    M (LIST,        0)                                        /* → STOCK...     */  \
    M (STOCK,       F_name | F_price | F_quantity | F_volume)                       \
    M (BATCH,       F_epoch | F_seq | F_number | F_count)     /* + count ORDER  */  \
    M (TRADED,      F_number | F_key)                         /* one per ORDER  */  \
    M (SINCE,       F_number | F_count)                       /* → RECORD...    */  \
    /*  order service  */                                                           \
    M (ORDER,       F_name | F_side | F_quantity | F_key)     /* → TRADED|ERROR */  \
    M (ORDER_GET,   F_number)                                 /* → RECORD|ERROR */  \
    M (RECORD,      F_number | F_name | F_side | F_quantity | F_key)                \
    /*  any service  */                                                             \
    M (ERROR,       F_code | F_message)                                             \
    /*  PUB streams: one publisher id per process start, seq rises by 1  */         \
    M (INVALIDATE,  F_publisher | F_seq | F_name | F_price | F_quantity | F_volume) \
    M (HEARTBEAT,   F_publisher | F_seq)                                            \
    M (REPLICATE,   F_publisher | F_seq | F_epoch | F_number | F_count | F_rank)   \
                    /* + count RECORD; number = orders the leader holds, rank = its id */     \
    /*  order replication back channel (follower → leader's sync ROUTER)  */        \
    M (ACK,         F_epoch | F_number | F_rank)              /* holds 0..number-1 */\
    /*  bus control: worker READY and the bus.workers listing  */                   \
    M (WORKER,      F_service | F_rank | F_count)                                   \
    /*  bus monitor "transport": a ZeroMQ event on the broker's ROUTER  */         \
    M (TRANSPORT,   F_name | F_message | F_count)             /* count = value  */

#endif
