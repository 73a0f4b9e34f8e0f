/*  bz_limits: every limit that more than one program checks, defined once.
    The wire (bz_msg_def.h), the frontend's validation, the catalog's and the order
    log's all read these; BZ_STR makes the same number part of an error message.  */
#ifndef BZ_LIMITS_H
#define BZ_LIMITS_H

#define BZ_NAME_MAX         64          //  a stock name, bytes
#define BZ_KEY_MAX          64          //  an idempotency key, bytes
#define BZ_QUANTITY_MAX     1000000     //  an order's largest quantity (the smallest is 1)
#define BZ_REPLICAS_MAX     9           //  order replicas: ids 1..9 (an epoch's low 4 bits
                                        //  hold the id; endpoints go to order9)
#define BZ_HWM              100000      //  messages queued on a service's socket or a
                                        //  stream before ZeroMQ drops or blocks
#define BZ_CLIENT_HWM       10000       //  on a request socket (bz_client, the frontend's)

//  A limit as text: "1.." BZ_STR (BZ_NAME_MAX) is "1..64".
#define BZ_STR_(value)      #value
#define BZ_STR(value)       BZ_STR_(value)

#endif
