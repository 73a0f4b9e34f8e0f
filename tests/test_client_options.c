/*  Tests of client_options: table-driven good and bad command lines of bazaar-client.
    Run by scripts/run-tests with the other cmocka unit tests.                        */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "client_options.h"

#define ARGS_MAX 16

//  Splits a space-separated line into argv (no quoting: tests need none, except the
//  '~' that stands for a space inside an argument).
static int
s_split (const char *line, char *buffer, size_t size, char **argv)
{
    snprintf (buffer, size, "bazaar-client %s", line);
    int argc = 0;
    for (char *token = strtok (buffer, " "); token && argc < ARGS_MAX;
         token = strtok (NULL, " ")) {
        for (char *c = token; *c; c++)
            if (*c == '~')
                *c = ' ';
        argv [argc++] = token;
    }
    argv [argc] = NULL;
    return argc;
}

static int
s_parse (const char *line, client_options_t *options, char *error, size_t error_size)
{
    char buffer [1024];
    char *argv [ARGS_MAX + 1];
    int argc = s_split (line, buffer, sizeof buffer, argv);
    return client_options_parse (options, argc, argv, error, error_size);
}

static void
test_defaults (void **state)
{
    (void) state;
    unsetenv ("BAZAAR_HTTP_PORT");
    unsetenv ("BAZAAR_DATA");
    client_options_t o;
    char error [256];
    assert_int_equal (s_parse ("", &o, error, sizeof error), 0);
    assert_string_equal (o.url, "http://127.0.0.1:8080");
    assert_int_equal (o.sessions, 5);
    assert_int_equal (o.iterations, 100);
    assert_false (o.iterations_set);
    assert_true (o.p == 0.5);
    assert_false (o.seed_set);
    assert_null (o.stocks);
    assert_true (o.duration == 0);
    assert_true (o.zipf == 0);
    assert_false (o.json || o.lookups_only || o.help);
    client_options_clear (&o);
    client_options_clear (&o);                      //  twice is safe
}

static void
test_good_lines (void **state)
{
    (void) state;
    const char *lines [] = {
        "--sessions 1", "--sessions=1024", "--iterations 1", "--iterations=1000000000",
        "--p 0", "--p 1", "--p=0.25", "--p .5", "--p 1e-3", "--seed 0",
        "--seed 18446744073709551615", "--duration 0.5", "--duration=604800",
        "--url https://example.org:9/api/", "--stocks FishCo", "--stocks=a,b,c",
        "--json --lookups-only", "--help", "--sessions 2 --sessions 3",
        "--zipf 0", "--zipf=1.2", "--zipf 8", "--trace /tmp/t.csv", "--stocks Tech~Nova,x", NULL
    };
    for (const char **line = lines; *line; line++) {
        client_options_t o;
        char error [256];
        if (s_parse (*line, &o, error, sizeof error) != 0)
            fail_msg ("'%s' refused: %s", *line, error);
        client_options_clear (&o);
    }
}

static void
test_values_land (void **state)
{
    (void) state;
    client_options_t o;
    char error [256];
    assert_int_equal (s_parse ("--url http://h:1/// --sessions=7 --iterations 9 --p 0.75 "
                               "--seed 18446744073709551615", &o, error, sizeof error), 0);
    assert_string_equal (o.url, "http://h:1");
    assert_int_equal (o.sessions, 7);
    assert_int_equal (o.iterations, 9);
    assert_true (o.iterations_set);
    assert_true (o.p == 0.75);
    assert_true (o.seed == UINT64_MAX && o.seed_set);
    client_options_clear (&o);
    assert_int_equal (s_parse ("--stocks a,Tech~Nova,c --duration 2.5 --json", &o,
                               error, sizeof error), 0);
    assert_int_equal (o.stock_count, 3);
    assert_string_equal (o.stocks [1], "Tech Nova");
    assert_string_equal (o.stocks [2], "c");
    assert_true (o.duration == 2.5 && o.json);
    client_options_clear (&o);
    assert_int_equal (s_parse ("--zipf 1.5", &o, error, sizeof error), 0);
    assert_true (o.zipf == 1.5);
    client_options_clear (&o);
}

static void
test_bad_lines (void **state)
{
    (void) state;
    const char *lines [] = {
        "--sessions", "--sessions 0", "--sessions 1025", "--sessions -1", "--sessions +5",
        "--sessions 5x", "--sessions ~5", "--sessions 99999999999999999999",
        "--sessions 1.5", "--sessions=", "--iterations 0", "--iterations 1000000001",
        "--p -0.1", "--p 1.01", "--p nan", "--p inf", "--p 0x1p-1", "--p ''", "--p 0.5.",
        "--p", "--seed -1", "--seed 18446744073709551616", "--seed ~1", "--seed 1e3",
        "--duration 0", "--duration -1", "--duration 604801", "--duration 1s",
        "--url ftp://x", "--url http://", "--url http:///path", "--url http://a~b",
        "--url http://a?x=1", "--url localhost:8080 x", "--url ftp://h:1", "--stocks", "--stocks a,,b",
        "--stocks ,a", "--stocks a,", "--stocks a/b", "--stocks ~a",
        "--stocks 12345678901234567890123456789012345678901234567890123456789012345",
        "--json=1", "--lookups-only=yes", "--bogus", "-s 5", "extra", "--sessions --json",
        "--zipf -1", "--zipf 8.5", "--zipf nan", "--zipf", "--trace", "--trace=", "--Sessions 5", NULL
    };
    for (const char **line = lines; *line; line++) {
        client_options_t o;
        char error [256] = "";
        if (s_parse (*line, &o, error, sizeof error) == 0)
            fail_msg ("'%s' accepted", *line);
        assert_true (strlen (error) > 0);
        client_options_clear (&o);
    }
}

static void
test_names (void **state)
{
    (void) state;
    assert_true (client_options_valid_name ("FishCo"));
    assert_true (client_options_valid_name ("Tech Nova"));
    assert_true (client_options_valid_name ("Caf\xc3\xa9"));
    assert_false (client_options_valid_name (""));
    assert_false (client_options_valid_name (" x"));
    assert_false (client_options_valid_name ("x "));
    assert_false (client_options_valid_name ("a\tb"));
    assert_false (client_options_valid_name ("a/b"));
    assert_false (client_options_valid_name ("a,b"));
    char longest [CLIENT_NAME_MAX + 2];
    memset (longest, 'x', sizeof longest);
    longest [CLIENT_NAME_MAX] = '\0';
    assert_true (client_options_valid_name (longest));
    longest [CLIENT_NAME_MAX] = 'x';
    longest [CLIENT_NAME_MAX + 1] = '\0';
    assert_false (client_options_valid_name (longest));
}

//  The URL: HOST:PORT without a scheme, BAZAAR_HTTP_PORT, the cluster.env of
//  $BAZAAR_DATA (issue 11).
static void
test_url_sources (void **state)
{
    (void) state;
    client_options_t o;
    char error [256];
    unsetenv ("BAZAAR_DATA");
    setenv ("BAZAAR_HTTP_PORT", "9090", 1);
    assert_int_equal (s_parse ("", &o, error, sizeof error), 0);
    assert_string_equal (o.url, "http://127.0.0.1:9090");
    assert_int_equal (s_parse ("--url localhost:8081", &o, error, sizeof error), 0);
    assert_string_equal (o.url, "http://localhost:8081");
    assert_int_equal (s_parse ("--url=10.0.0.1:80/", &o, error, sizeof error), 0);
    assert_string_equal (o.url, "http://10.0.0.1:80");
    setenv ("BAZAAR_HTTP_PORT", "99999", 1);
    assert_int_equal (s_parse ("", &o, error, sizeof error), -1);
    assert_non_null (strstr (error, "BAZAAR_HTTP_PORT"));
    char dir [] = "/tmp/test_client_options.XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path [128];
    snprintf (path, sizeof path, "%s/cluster.env", dir);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs ("BAZAAR_HTTP_HOST=0.0.0.0\nBAZAAR_HTTP_PORT=23456\n", file);
    fclose (file);
    setenv ("BAZAAR_DATA", dir, 1);
    unsetenv ("BAZAAR_HTTP_PORT");
    assert_int_equal (s_parse ("", &o, error, sizeof error), 0);
    assert_string_equal (o.url, "http://127.0.0.1:23456");
    setenv ("BAZAAR_HTTP_PORT", "23456", 1);
    assert_int_equal (s_parse ("", &o, error, sizeof error), 0);
    setenv ("BAZAAR_HTTP_PORT", "23457", 1);     //  another frontend of that cluster
    assert_int_equal (s_parse ("", &o, error, sizeof error), 0);
    assert_string_equal (o.url, "http://127.0.0.1:23457");
    unlink (path);
    rmdir (dir);
    unsetenv ("BAZAAR_DATA");
    unsetenv ("BAZAAR_HTTP_PORT");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_defaults),
        cmocka_unit_test (test_good_lines),
        cmocka_unit_test (test_values_land),
        cmocka_unit_test (test_bad_lines),
        cmocka_unit_test (test_names),
        cmocka_unit_test (test_url_sources),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
