/*  frontend_json: every JSON the REST API reads or writes, through jansson.
    frontend_api parses order bodies and renders replies here; pure, so unit-tested.  */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "frontend_json.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (15))
#define MESSAGE_MAX 200

static int
s_fail (char *error, size_t error_size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (error, error_size, format, args);
    va_end (args);
    return -1;
}

//  A valid order body is one flat object: refusing any nesting before jansson sees the
//  body keeps a "[[[[..." bomb from costing a deep recursive parse.
static bool
s_is_flat (const char *body, size_t size)
{
    int depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < size; i++) {
        char c = body [i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else
            if (c == '\\')
                escaped = true;
            else
            if (c == '"')
                in_string = false;
        }
        else
        if (c == '"')
            in_string = true;
        else
        if (c == '{' || c == '[') {
            if (++depth > 1)
                return false;
        }
        else
        if (c == '}' || c == ']')
            depth--;
    }
    return true;
}

//  Copies a key into a message-safe form: printable ASCII, at most 32 bytes.
static void
s_safe_key (char *safe, size_t size, const char *key)
{
    size_t i = 0;
    for (; key [i] && i < 32 && i + 1 < size; i++)
        safe [i] = (key [i] >= ' ' && key [i] <= '~' && key [i] != '\'')? key [i]: '?';
    safe [i] = 0;
}

static int
s_check_fields (json_t *root, char *error, size_t error_size)
{
    const char *key;
    json_t *value;
    json_object_foreach (root, key, value) {
        if (strcmp (key, "name") && strcmp (key, "quantity") && strcmp (key, "type")) {
            char safe [40];
            s_safe_key (safe, sizeof safe, key);
            return s_fail (error, error_size, "unknown field '%s'", safe);
        }
    }
    const char *required [] = { "name", "quantity", "type" };
    for (size_t i = 0; i < 3; i++)
        if (!json_object_get (root, required [i]))
            return s_fail (error, error_size, "missing field '%s'", required [i]);
    return 0;
}

static int
s_take_fields (frontend_order_t *order, json_t *root, char *error, size_t error_size)
{
    json_t *name = json_object_get (root, "name");
    if (!json_is_string (name))
        return s_fail (error, error_size, "field 'name' must be a string");
    size_t name_len = json_string_length (name);
    if (!bz_stock_name_valid (json_string_value (name), name_len))
        return s_fail (error, error_size,
                       "field 'name' must be 1.." BZ_STR (BZ_NAME_MAX) " characters of A-Z a-z 0-9 . _ -");
    memcpy (order->name, json_string_value (name), name_len);
    order->name [name_len] = 0;

    json_t *quantity = json_object_get (root, "quantity");
    if (!json_is_integer (quantity))
        return s_fail (error, error_size, "field 'quantity' must be an integer");
    json_int_t value = json_integer_value (quantity);
    if (!bz_order_quantity_valid ((int64_t) value))
        return s_fail (error, error_size, "field 'quantity' must be between 1 and %d",
                       BZ_QUANTITY_MAX);
    order->quantity = (int64_t) value;

    json_t *type = json_object_get (root, "type");
    if (!json_is_string (type))
        return s_fail (error, error_size, "field 'type' must be a string");
    const char *side = json_string_value (type);
    if (!bz_order_side_valid (side))
        return s_fail (error, error_size, "field 'type' must be \"buy\" or \"sell\"");
    snprintf (order->side, sizeof order->side, "%s", side);
    return 0;
}

int
frontend_json_parse_order (frontend_order_t *order, const char *body, size_t size,
                           char *error, size_t error_size)
{
    if (!order || !error || error_size == 0)
        return -1;
    memset (order, 0, sizeof *order);
    error [0] = 0;
    if (!body || size == 0)
        return s_fail (error, error_size, "request body is empty");
    if (size > FRONTEND_BODY_MAX)
        return s_fail (error, error_size, "request body is larger than %d bytes", FRONTEND_BODY_MAX);
    if (!s_is_flat (body, size))
        return s_fail (error, error_size, "nested JSON values are not accepted");

    json_error_t json_error;
    json_t *root = json_loadb (body, size, JSON_REJECT_DUPLICATES, &json_error);
    if (!root)
        return s_fail (error, error_size, "malformed JSON at position %d: %s",
                       json_error.position, json_error.text);
    int rc;
    if (!json_is_object (root))
        rc = s_fail (error, error_size, "request body must be a JSON object");
    else {
        rc = s_check_fields (root, error, error_size);
        if (rc == 0)
            rc = s_take_fields (order, root, error, error_size);
    }
    json_decref (root);
    return rc;
}

char *
frontend_json_render (const json_t *root, char *buffer, size_t size, size_t *length_p)
{
    if (!root || !length_p)
        return NULL;
    size_t length = json_dumpb (root, buffer, size, DUMP_FLAGS);
    if (length == 0)
        return NULL;
    if (length > size) {
        //  Rare (a long stock list): a second pass into a buffer of the size it needs
        buffer = (char *) malloc (length);
        if (!buffer)
            return NULL;
        size_t again = json_dumpb (root, buffer, length, DUMP_FLAGS);
        if (again != length) {
            free (buffer);
            return NULL;
        }
    }
    *length_p = length;
    return buffer;
}

size_t
frontend_json_error (char *buffer, size_t size, int status, const char *message)
{
    char safe [MESSAGE_MAX + 1];
    size_t i = 0;
    for (; message && message [i] && i < MESSAGE_MAX; i++)
        safe [i] = (message [i] >= ' ' && message [i] <= '~')? message [i]: '?';
    safe [i] = 0;
    json_t *root = json_pack ("{s:{s:i,s:s}}", "error", "code", status, "message", safe);
    size_t length = root? json_dumpb (root, buffer, size, DUMP_FLAGS): 0;
    json_decref (root);
    return length <= size? length: 0;
}
