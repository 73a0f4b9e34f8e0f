/*  test_frontend_static: the live page's files load from a directory, with their types;
    what is not a page file is left out; a directory without index.html is refused.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <czmq.h>
#include "frontend_static.h"

static void
s_write (const char *dir, const char *name, const char *text, size_t size)
{
    char path [512];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (text, 1, size, file), size);
    fclose (file);
}

static char *
s_scratch (void)
{
    char *dir = strdup ("/tmp/test_frontend_static.XXXXXX");
    assert_non_null (mkdtemp (dir));
    return dir;
}

static void
s_remove (char *dir)
{
    char command [600];
    snprintf (command, sizeof command, "rm -rf '%s'", dir);
    assert_int_equal (system (command), 0);
    free (dir);
}

static void
test_serves_the_page_files (void **state)
{
    (void) state;
    char *dir = s_scratch ();
    s_write (dir, "index.html", "<!doctype html>", 15);
    s_write (dir, "app.js", "'use strict';", 13);
    s_write (dir, "favicon.ico", "\0\0\1\0", 4);
    s_write (dir, ".secret.js", "x", 1);           //  a dot file: never served
    s_write (dir, "notes.md", "x", 1);             //  an unknown type: never served
    s_write (dir, "app.js~", "x", 1);              //  an editor's backup
    frontend_static_t *files = frontend_static_new (dir);
    assert_non_null (files);
    const char *data, *type;
    size_t size;
    assert_true (frontend_static_find (files, "index.html", &data, &size, &type));
    assert_int_equal (size, 15);
    assert_memory_equal (data, "<!doctype html>", 15);
    assert_string_equal (type, "text/html; charset=utf-8");
    assert_true (frontend_static_find (files, "app.js", &data, &size, &type));
    assert_string_equal (type, "text/javascript; charset=utf-8");
    assert_true (frontend_static_find (files, "favicon.ico", &data, &size, &type));
    assert_int_equal (size, 4);
    assert_string_equal (type, "image/x-icon");
    assert_false (frontend_static_find (files, ".secret.js", &data, &size, &type));
    assert_false (frontend_static_find (files, "notes.md", &data, &size, &type));
    assert_false (frontend_static_find (files, "app.js~", &data, &size, &type));
    assert_false (frontend_static_find (files, "../index.html", &data, &size, &type));
    frontend_static_destroy (&files);
    frontend_static_destroy (&files);   //  safe twice
    assert_null (files);
    s_remove (dir);
}

static void
test_refuses_a_broken_directory (void **state)
{
    (void) state;
    assert_null (frontend_static_new ("/nonexistent/www"));
    char *dir = s_scratch ();
    s_write (dir, "app.js", "x", 1);
    assert_null (frontend_static_new (dir));   //  no index.html
    s_write (dir, "index.html", "x", 1);
    char *big = (char *) calloc (1, FRONTEND_STATIC_SIZE_MAX + 1);
    s_write (dir, "big.js", big, FRONTEND_STATIC_SIZE_MAX + 1);
    free (big);
    assert_null (frontend_static_new (dir));   //  a file over the limit
    s_remove (dir);
}

int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_serves_the_page_files),
        cmocka_unit_test (test_refuses_a_broken_directory),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
