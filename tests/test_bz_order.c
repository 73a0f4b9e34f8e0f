/*  test_bz_order: the order and stock-name rules, the one definition the frontend, the
    order leader and the catalog (batches and CSV) all check.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "bz_order.h"

static void
test_stock_name (void **state)
{
    (void) state;
    assert_true (bz_stock_name_valid ("BoarCo", 6));
    assert_true (bz_stock_name_valid ("a", 1));
    assert_true (bz_stock_name_valid ("Fish.Co_1-b", 11));
    assert_true (bz_stock_name_valid ("...", 3));
    assert_false (bz_stock_name_valid ("", 0));
    assert_false (bz_stock_name_valid (NULL, 3));
    assert_false (bz_stock_name_valid (".", 1));
    assert_false (bz_stock_name_valid ("..", 2));
    assert_false (bz_stock_name_valid ("a/b", 3));
    assert_false (bz_stock_name_valid ("Fish Co", 7));
    //  the length given is what counts: an embedded NUL is refused
    assert_false (bz_stock_name_valid ("ab\0cd", 5));
    char longest [BZ_NAME_MAX + 2];
    memset (longest, 'A', sizeof longest);
    assert_true (bz_stock_name_valid (longest, BZ_NAME_MAX));
    assert_false (bz_stock_name_valid (longest, BZ_NAME_MAX + 1));
}

static void
test_side_quantity_key (void **state)
{
    (void) state;
    assert_true (bz_order_side_valid ("buy"));
    assert_true (bz_order_side_valid ("sell"));
    assert_false (bz_order_side_valid ("hold"));
    assert_false (bz_order_side_valid (""));
    assert_false (bz_order_side_valid (NULL));
    assert_false (bz_order_quantity_valid (0));
    assert_true (bz_order_quantity_valid (1));
    assert_true (bz_order_quantity_valid (BZ_QUANTITY_MAX));
    assert_false (bz_order_quantity_valid (BZ_QUANTITY_MAX + 1));
    assert_false (bz_order_quantity_valid (-1));
    assert_true (bz_order_key_valid ("k"));
    assert_false (bz_order_key_valid (""));
    assert_false (bz_order_key_valid (NULL));
    char key [BZ_KEY_MAX + 2];
    memset (key, 'k', sizeof key);
    key [BZ_KEY_MAX] = 0;
    assert_true (bz_order_key_valid (key));
    key [BZ_KEY_MAX] = 'k';
    key [BZ_KEY_MAX + 1] = 0;
    assert_false (bz_order_key_valid (key));
}

static void
test_check_names_the_first_broken_rule (void **state)
{
    (void) state;
    assert_null (bz_order_check ("GameStart", "buy", 10, "k"));
    assert_string_equal (bz_order_check ("..", "buy", 10, "k"),
                         "name must be 1..64 characters of A-Z a-z 0-9 . _ -");
    assert_string_equal (bz_order_check ("GameStart", "hold", 0, ""), "side must be buy or sell");
    assert_string_equal (bz_order_check ("GameStart", "sell", 0, "k"), "quantity must be 1..1000000");
    assert_string_equal (bz_order_check ("GameStart", "sell", 1, ""), "key must be 1..64 bytes");
    assert_non_null (bz_order_check (NULL, "buy", 1, "k"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_stock_name),
        cmocka_unit_test (test_side_quantity_key),
        cmocka_unit_test (test_check_names_the_first_broken_rule),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
