/*  fuzz_json: libFuzzer target for frontend_json_parse_order (POST /orders bodies) and
    frontend_json_error, which must render any parse error. Built by `make fuzz`/`all`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "frontend_json.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    frontend_order_t order;
    char error [256];
    memset (error, 'x', sizeof error);
    //  data is an exact-size buffer without a NUL: the parser must honour size.
    int rc = frontend_json_parse_order (&order, (const char *) data, size, error, sizeof error);
    FUZZ_CHECK (rc == 0 || rc == -1);
    FUZZ_CHECK (memchr (error, 0, sizeof error) != NULL);
    if (rc == 0) {
        FUZZ_CHECK (bz_stock_name_valid (order.name, strlen (order.name)));
        FUZZ_CHECK (strcmp (order.side, "buy") == 0 || strcmp (order.side, "sell") == 0);
        FUZZ_CHECK (order.quantity >= 1 && order.quantity <= BZ_QUANTITY_MAX);
        FUZZ_CHECK (size <= FRONTEND_BODY_MAX);
    }
    else {
        FUZZ_CHECK (error [0] != 0);
        //  FRONTEND_JSON_ERROR_MAX is the bound frontend_json.h promises for any message.
        char reply [FRONTEND_JSON_ERROR_MAX];
        size_t length = frontend_json_error (reply, sizeof reply, 400, error);
        FUZZ_CHECK (length > 0 && length <= sizeof reply);
        json_t *root = json_loadb (reply, length, 0, NULL);
        FUZZ_CHECK (root != NULL);
        FUZZ_CHECK (json_integer_value (json_object_get (json_object_get (root, "error"), "code")) == 400);
        json_decref (root);
    }
    //  The raw input as an error message: anything renders, within 512 bytes.
    char *message = (char *) malloc (size + 1);
    FUZZ_CHECK (message);
    memcpy (message, data, size);
    message [size] = 0;
    char reply [512];
    size_t length = frontend_json_error (reply, sizeof reply, 413, message);
    FUZZ_CHECK (length > 0 && length <= sizeof reply);
    free (message);
    return 0;
}
