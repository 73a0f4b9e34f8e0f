/*  fuzz_route: libFuzzer target for frontend_route_match, the first code every HTTP
    request meets. Input: method, a NUL byte, then the raw path (no NUL: GET + input).  */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "frontend_route.h"
#include "fuzz.h"

//  Exact-size heap copies, so ASan sees any read past the terminating NUL.
static char *
s_copy (const uint8_t *data, size_t size)
{
    char *copy = (char *) malloc (size + 1);
    FUZZ_CHECK (copy);
    memcpy (copy, data, size);
    copy [size] = 0;
    return copy;
}

static void
s_check (const char *method, const char *path)
{
    frontend_route_t route;
    int rc = frontend_route_match (&route, method, path);
    FUZZ_CHECK (rc == route.status);
    FUZZ_CHECK (rc == 0 || rc == 400 || rc == 404 || rc == 405 || rc == 414);
    FUZZ_CHECK ((rc == 0) == (route.error == NULL));
    FUZZ_CHECK ((unsigned) route.id < FRONTEND_ROUTE_COUNT);
    FUZZ_CHECK (frontend_route_label (route.id) != NULL);
    if (rc == 405)
        FUZZ_CHECK (route.allow != NULL);
    if (rc == 0 && route.id == FRONTEND_ROUTE_STOCK)
        FUZZ_CHECK (bz_stock_name_valid (route.name, strlen (route.name)));
    if (rc == 0 && route.id == FRONTEND_ROUTE_ORDER)
        FUZZ_CHECK (route.number >= 0);
    //  An accepted path never holds a traversal, a control byte or a percent sign.
    if (rc == 0) {
        size_t length = strcspn (path, "?");
        for (size_t i = 0; i < length; i++)
            FUZZ_CHECK (path [i] > ' ' && path [i] <= '~' && path [i] != '%');
        FUZZ_CHECK (strstr (path, "/../") == NULL || strstr (path, "/../") >= path + length);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const uint8_t *nul = (const uint8_t *) memchr (data, 0, size);
    char *method, *path;
    if (nul) {
        method = s_copy (data, (size_t) (nul - data));
        path = s_copy (nul + 1, size - (size_t) (nul - data) - 1);
    }
    else {
        method = s_copy ((const uint8_t *) "GET", 3);
        path = s_copy (data, size);
    }
    s_check (method, path);
    frontend_route_t route;
    FUZZ_CHECK (frontend_route_match (&route, NULL, path) == 400);
    FUZZ_CHECK (frontend_route_match (&route, method, NULL) == 400);
    //  The name check alone, on the raw bytes (it takes a length, not a string).
    if (bz_stock_name_valid ((const char *) data, size))
        FUZZ_CHECK (size >= 1 && size <= BZ_NAME_MAX);
    free (method);
    free (path);
    return 0;
}
