/*  test_pool: heap blocks for cmocka tests that must not leak when an assertion fails:
    a failing assertion leaves the test by longjmp, so each block is kept here and the
    teardown (s_teardown) frees what is left. Included by the tests that need it.   */
#ifndef TEST_POOL_H
#define TEST_POOL_H

#define POOL_MAX 16
static void *s_pool [POOL_MAX];

static inline void *
s_alloc (size_t size)
{
    for (size_t i = 0; i < POOL_MAX; i++)
        if (!s_pool [i]) {
            s_pool [i] = malloc (size? size: 1);
            assert_non_null (s_pool [i]);
            return s_pool [i];
        }
    fail_msg ("more than %d blocks at once", POOL_MAX);
    return NULL;
}

static inline void
s_free (void *block)
{
    for (size_t i = 0; i < POOL_MAX; i++)
        if (block && s_pool [i] == block) {
            free (block);
            s_pool [i] = NULL;
            return;
        }
    fail_msg ("freeing a block not allocated");
}

static inline int
s_teardown (void **state)
{
    (void) state;
    for (size_t i = 0; i < POOL_MAX; i++) {
        free (s_pool [i]);
        s_pool [i] = NULL;
    }
    return 0;
}

#endif
