/*  test_frontend_json: the POST /orders body parser accepts exactly one shape and names
    the problem in everything else; error and data rendering always give valid JSON.  */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>
#include "frontend_json.h"

typedef struct {
    const char *body;
    const char *error;          //  NULL: accepted; else a substring of the message
} body_case_t;

static const body_case_t s_bodies [] = {
    //  Accepted
    { "{\"name\":\"GameStart\",\"quantity\":5,\"type\":\"buy\"}", NULL },
    { "{\"type\":\"sell\",\"quantity\":1000000,\"name\":\"a.b_c-9\"}", NULL },
    { " \n{ \"name\" : \"X\" , \"quantity\" : 1 , \"type\" : \"buy\" }\n ", NULL },
    { "{\"name\":\"\\u0046ishCo\",\"quantity\":1,\"type\":\"buy\"}", NULL },
    //  Not JSON, or not an object
    { "", "empty" },
    { "not json", "malformed JSON" },
    { "{\"name\":\"X\",\"quantity\":1,\"type\":\"buy\"", "malformed JSON" },
    { "{\"name\":\"X\",\"quantity\":1,\"type\":\"buy\"} {}", "malformed JSON" },
    { "{\"name\":\"X\",\"quantity\":1,\"type\":\"buy\",}", "malformed JSON" },
    { "[1,2,3]", "must be a JSON object" },
    { "\"just a string\"", "malformed JSON" },
    { "null", "malformed JSON" },
    //  Nesting is refused before parsing
    { "{\"name\":{\"x\":1},\"quantity\":1,\"type\":\"buy\"}", "nested" },
    { "{\"name\":[\"X\"],\"quantity\":1,\"type\":\"buy\"}", "nested" },
    { "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "nested" },
    //  ...but brackets inside strings are just characters (then refused as a name)
    { "{\"name\":\"[{\\\"\",\"quantity\":1,\"type\":\"buy\"}", "field 'name' must be 1..64" },
    //  Missing, extra and duplicate fields
    { "{}", "missing field 'name'" },
    { "{\"name\":\"X\",\"type\":\"buy\"}", "missing field 'quantity'" },
    { "{\"name\":\"X\",\"quantity\":1}", "missing field 'type'" },
    { "{\"name\":\"X\",\"quantity\":1,\"type\":\"buy\",\"price\":3}", "unknown field 'price'" },
    { "{\"name\":\"X\",\"quantity\":1,\"type\":\"buy\",\"Name\":\"Y\"}", "unknown field 'Name'" },
    { "{\"name\":\"X\",\"name\":\"Y\",\"quantity\":1,\"type\":\"buy\"}", "duplicate" },
    //  Mistyped or out-of-range values
    { "{\"name\":7,\"quantity\":1,\"type\":\"buy\"}", "field 'name' must be a string" },
    { "{\"name\":null,\"quantity\":1,\"type\":\"buy\"}", "field 'name' must be a string" },
    { "{\"name\":\"\",\"quantity\":1,\"type\":\"buy\"}", "field 'name' must be 1..64" },
    { "{\"name\":\"Fish Co\",\"quantity\":1,\"type\":\"buy\"}", "field 'name' must be 1..64" },
    { "{\"name\":\"..\",\"quantity\":1,\"type\":\"buy\"}", "field 'name' must be 1..64" },
    { "{\"name\":\"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\",\"quantity\":1,\"type\":\"buy\"}",
      "field 'name' must be 1..64" },
    { "{\"name\":\"A\\u0000B\",\"quantity\":1,\"type\":\"buy\"}", "malformed JSON" },
    { "{\"name\":\"X\",\"quantity\":\"5\",\"type\":\"buy\"}", "field 'quantity' must be an integer" },
    { "{\"name\":\"X\",\"quantity\":5.0,\"type\":\"buy\"}", "field 'quantity' must be an integer" },
    { "{\"name\":\"X\",\"quantity\":true,\"type\":\"buy\"}", "field 'quantity' must be an integer" },
    { "{\"name\":\"X\",\"quantity\":0,\"type\":\"buy\"}", "between 1 and 1000000" },
    { "{\"name\":\"X\",\"quantity\":-3,\"type\":\"buy\"}", "between 1 and 1000000" },
    { "{\"name\":\"X\",\"quantity\":1000001,\"type\":\"buy\"}", "between 1 and 1000000" },
    { "{\"name\":\"X\",\"quantity\":99999999999999999999999,\"type\":\"buy\"}", "malformed JSON" },
    { "{\"name\":\"X\",\"quantity\":1,\"type\":\"BUY\"}", "field 'type' must be \"buy\" or \"sell\"" },
    { "{\"name\":\"X\",\"quantity\":1,\"type\":\"hold\"}", "field 'type' must be \"buy\" or \"sell\"" },
    { "{\"name\":\"X\",\"quantity\":1,\"type\":1}", "field 'type' must be a string" },
};

static void
test_order_bodies (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_bodies / sizeof s_bodies [0]; i++) {
        const body_case_t *c = &s_bodies [i];
        frontend_order_t order;
        char error [256] = "unset";
        int rc = frontend_json_parse_order (&order, c->body, strlen (c->body), error, sizeof error);
        if (c->error == NULL && rc != 0)
            fail_msg ("case %zu: %s refused: %s", i, c->body, error);
        if (c->error && (rc == 0 || !strstr (error, c->error)))
            fail_msg ("case %zu: %s gave %d '%s', want '%s'", i, c->body, rc, error, c->error);
    }
}

static void
test_accepted_fields (void **state)
{
    (void) state;
    const char *body = "{\"type\":\"sell\",\"quantity\":1000000,\"name\":\"BoarCo\"}";
    frontend_order_t order;
    char error [128];
    assert_int_equal (frontend_json_parse_order (&order, body, strlen (body), error, sizeof error), 0);
    assert_string_equal (order.name, "BoarCo");
    assert_string_equal (order.side, "sell");
    assert_int_equal (order.quantity, 1000000);
}

//  The size passed is what is parsed: no reliance on a NUL, and an embedded NUL byte
//  outside a string is malformed.
static void
test_body_bounds (void **state)
{
    (void) state;
    frontend_order_t order;
    char error [128];
    const char *body = "{\"name\":\"X\",\"quantity\":1,\"type\":\"buy\"}garbage";
    assert_int_equal (frontend_json_parse_order (&order, body, strlen (body) - 7, error, sizeof error), 0);
    const char with_nul [] = "{\"name\":\"X\",\"quantity\":1,\0\"type\":\"buy\"}";
    assert_int_equal (frontend_json_parse_order (&order, with_nul, sizeof with_nul - 1, error, sizeof error), -1);
    assert_int_equal (frontend_json_parse_order (&order, NULL, 0, error, sizeof error), -1);
    assert_non_null (strstr (error, "empty"));
    //  One byte over the limit is refused without parsing
    char *big = (char *) malloc (FRONTEND_BODY_MAX + 1);
    memset (big, ' ', FRONTEND_BODY_MAX + 1);
    assert_int_equal (frontend_json_parse_order (&order, big, FRONTEND_BODY_MAX + 1, error, sizeof error), -1);
    assert_non_null (strstr (error, "larger than 4096"));
    //  A full-size nesting bomb is refused as nested
    memset (big, '[', FRONTEND_BODY_MAX);
    assert_int_equal (frontend_json_parse_order (&order, big, FRONTEND_BODY_MAX, error, sizeof error), -1);
    assert_non_null (strstr (error, "nested"));
    free (big);
    //  A tiny error buffer is still NUL-terminated
    char tiny [8];
    assert_int_equal (frontend_json_parse_order (&order, "{}", 2, tiny, sizeof tiny), -1);
    assert_int_equal (strlen (tiny), sizeof tiny - 1);
}

//  Unknown keys in the message are sanitised: the error always renders as JSON.
static void
test_hostile_key_in_message (void **state)
{
    (void) state;
    const char *body = "{\"\xc3\xa9\\n'\\\"x\":1}";
    frontend_order_t order;
    char error [128];
    assert_int_equal (frontend_json_parse_order (&order, body, strlen (body), error, sizeof error), -1);
    assert_non_null (strstr (error, "unknown field"));
    char rendered [512];
    size_t length = frontend_json_error (rendered, sizeof rendered, 400, error);
    assert_true (length > 0);
    json_t *back = json_loadb (rendered, length, 0, NULL);
    assert_non_null (back);
    json_decref (back);
}

static void
test_error_rendering (void **state)
{
    (void) state;
    char buffer [512];
    size_t length = frontend_json_error (buffer, sizeof buffer, 404, "stock not found");
    buffer [length] = 0;
    assert_string_equal (buffer, "{\"error\":{\"code\":404,\"message\":\"stock not found\"}}");
    //  Quotes and backslashes are escaped by jansson, not by hand
    length = frontend_json_error (buffer, sizeof buffer, 400, "bad \"x\" \\ y");
    buffer [length] = 0;
    assert_string_equal (buffer, "{\"error\":{\"code\":400,\"message\":\"bad \\\"x\\\" \\\\ y\"}}");
    //  Control bytes and invalid UTF-8 become '?', a long message is cut, NULL is empty
    length = frontend_json_error (buffer, sizeof buffer, 400, "a\x01\xff\nb");
    buffer [length] = 0;
    assert_string_equal (buffer, "{\"error\":{\"code\":400,\"message\":\"a???b\"}}");
    char long_message [1000];
    memset (long_message, 'm', sizeof long_message - 1);
    long_message [sizeof long_message - 1] = 0;
    length = frontend_json_error (buffer, sizeof buffer, 502, long_message);
    assert_true (length > 200 && length < 256);
    length = frontend_json_error (buffer, sizeof buffer, 500, NULL);
    buffer [length] = 0;
    assert_string_equal (buffer, "{\"error\":{\"code\":500,\"message\":\"\"}}");
    //  Too small a buffer gives 0, never a cut JSON
    assert_int_equal (frontend_json_error (buffer, 10, 404, "stock not found"), 0);
}

static void
test_data_rendering (void **state)
{
    (void) state;
    char buffer [256];
    size_t length;
    json_t *root = json_pack ("{s:{s:s,s:f,s:I}}", "data", "name", "FishCo",
                              "price", 12.3, "quantity", (json_int_t) 100);
    char *text = frontend_json_render (root, buffer, sizeof buffer, &length);
    assert_ptr_equal (text, buffer);
    //  Keys keep their order; prices print as written, not as 12.300000000000001
    assert_int_equal (length, strlen ("{\"data\":{\"name\":\"FishCo\",\"price\":12.3,\"quantity\":100}}"));
    assert_memory_equal (text, "{\"data\":{\"name\":\"FishCo\",\"price\":12.3,\"quantity\":100}}", length);
    //  Too big for the stack buffer: rendered on the heap instead
    text = frontend_json_render (root, buffer, 16, &length);
    assert_non_null (text);
    assert_ptr_not_equal (text, buffer);
    assert_int_equal (length, strlen ("{\"data\":{\"name\":\"FishCo\",\"price\":12.3,\"quantity\":100}}"));
    free (text);
    json_decref (root);
    assert_null (frontend_json_render (NULL, buffer, sizeof buffer, &length));
}

//  The worst message: 200 bytes that all escape to two, with the longest code.
static void
test_error_worst_case (void **state)
{
    (void) state;
    char quotes [301];
    memset (quotes, '"', sizeof quotes - 1);
    quotes [sizeof quotes - 1] = 0;
    char buffer [FRONTEND_JSON_ERROR_MAX];
    size_t length = frontend_json_error (buffer, sizeof buffer, INT_MIN, quotes);
    assert_int_equal (length, 443);
    json_t *back = json_loadb (buffer, length, 0, NULL);
    assert_non_null (back);
    const char *message = json_string_value (json_object_get (json_object_get (back, "error"), "message"));
    assert_non_null (message);
    assert_int_equal (strlen (message), 200);
    json_decref (back);
    memset (quotes, '\\', sizeof quotes - 1);
    assert_int_equal (frontend_json_error (buffer, sizeof buffer, 503, quotes), 435);
    //  256 bytes, which the header once promised, do not suffice
    assert_int_equal (frontend_json_error (buffer, 256, 503, quotes), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_order_bodies),
        cmocka_unit_test (test_accepted_fields),
        cmocka_unit_test (test_body_bounds),
        cmocka_unit_test (test_hostile_key_in_message),
        cmocka_unit_test (test_error_rendering),
        cmocka_unit_test (test_error_worst_case),
        cmocka_unit_test (test_data_rendering),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
