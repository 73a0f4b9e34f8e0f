/*  bz_order: the order and stock-name rules (bz_order.h).  */
#include <string.h>
#include "bz_order.h"

static bool
s_is_name_char (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '.' || c == '_' || c == '-';
}

bool
bz_stock_name_valid (const char *name, size_t length)
{
    if (!name || length == 0 || length > BZ_NAME_MAX)
        return false;
    for (size_t i = 0; i < length; i++)
        if (!s_is_name_char (name [i]))
            return false;
    return !(length <= 2 && name [0] == '.' && (length == 1 || name [1] == '.'));
}

bool
bz_order_side_valid (const char *side)
{
    return side && (strcmp (side, "buy") == 0 || strcmp (side, "sell") == 0);
}

bool
bz_order_quantity_valid (int64_t quantity)
{
    return quantity >= 1 && quantity <= BZ_QUANTITY_MAX;
}

bool
bz_order_key_valid (const char *key)
{
    return key && *key && strnlen (key, BZ_KEY_MAX + 1) <= BZ_KEY_MAX;
}

const char *
bz_order_check (const char *name, const char *side, int64_t quantity, const char *key)
{
    if (!name || !bz_stock_name_valid (name, strlen (name)))
        return "name must be 1.." BZ_STR (BZ_NAME_MAX) " characters of A-Z a-z 0-9 . _ -";
    if (!bz_order_side_valid (side))
        return "side must be buy or sell";
    if (!bz_order_quantity_valid (quantity))
        return "quantity must be 1.." BZ_STR (BZ_QUANTITY_MAX);
    if (!bz_order_key_valid (key))
        return "key must be 1.." BZ_STR (BZ_KEY_MAX) " bytes";
    return NULL;
}
