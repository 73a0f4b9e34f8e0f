/*  Tests of bz_config: table-driven bad settings (each refused, naming the key), the
    boolean spellings, the file's checks, and normalized values. Run by scripts/run-tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "bz_config.h"

//  Unsets every BAZAAR_* variable, so each case starts from a clean environment.
static void
s_clear_env (void)
{
    extern char **environ;
    for (size_t i = 0; environ && environ [i]; ) {
        char name [128];
        size_t length = strcspn (environ [i], "=");
        if (strncmp (environ [i], "BAZAAR_", 7) == 0 && length < sizeof name) {
            snprintf (name, sizeof name, "%.*s", (int) length, environ [i]);
            unsetenv (name);
            i = 0;                      //  environ changed: scan again
        }
        else
            i++;
    }
}

static const struct { const char *key, *value, *reason; } s_bad [] = {
    { "http_port",          "99999",     "out of range 1..65535" },
    { "http_port",          "0",         "out of range" },
    { "http_port",          "80x",       "not an integer" },
    { "http_port",          "",          "not an integer" },
    { "http_port",          " 80",       "not an integer" },
    { "http_port",          "99999999999999999999", "not an integer" },
    { "heartbeat_ms",       "-5",        "out of range 1..60000" },
    { "liveness",           "0",         "out of range" },
    { "port_base",          "65530",     "out of range" },
    { "order_replicas",     "10",        "out of range 1..9" },
    { "cache_size",         "0",         "out of range 1..4096" },
    { "http_threads",       "1",         "out of range" },
    { "http_threads",       "1100",      "out of range 2..1024" },
    { "max_frame",          "100",       "out of range" },
    { "request_timeout_ms", "600000",    "out of range" },
    { "cache",              "maybe",     "not a boolean" },
    { "curve",              "onn",       "not a boolean" },
    { "curve",              "",          "not a boolean" },
    { "host",               "localhost", "not an IPv4 address" },
    { "http_host",          "0.0.0.0.0", "not an IPv4 address" },
    { "http_host",          "::1",       "not an IPv4 address" },
    { "data",               "",          "1..1023 characters" },
    { "no_such_key",        "1",         "no setting named" },
};

static void
test_bad_values_are_refused (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad [0]; i++) {
        char reason [256] = "";
        assert_int_equal (bz_config_check (s_bad [i].key, s_bad [i].value, reason, sizeof reason), -1);
        if (!strstr (reason, s_bad [i].reason))
            fail_msg ("%s=%s: reason '%s' lacks '%s'", s_bad [i].key, s_bad [i].value,
                      reason, s_bad [i].reason);
    }
}

//  The same table through the environment: bz_config_new refuses each (NULL).
static void
test_bad_environment_refuses_to_start (void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof s_bad / sizeof s_bad [0]; i++) {
        if (!bz_config_known (s_bad [i].key))
            continue;
        s_clear_env ();
        char name [64] = "BAZAAR_";
        for (size_t c = 0; s_bad [i].key [c]; c++)
            name [7 + c] = (char) toupper ((unsigned char) s_bad [i].key [c]);
        setenv (name, s_bad [i].value, 1);
        bz_config_t *config = bz_config_new_defaults ();
        if (config)
            fail_msg ("%s=%s was accepted", name, s_bad [i].value);
    }
    s_clear_env ();
}

static void
test_booleans_in_any_case (void **state)
{
    (void) state;
    const char *on [] = { "on", "ON", "On", "true", "TRUE", "yes", "Yes", "1" };
    const char *off [] = { "off", "OFF", "false", "False", "no", "NO", "0" };
    for (size_t i = 0; i < sizeof on / sizeof on [0]; i++) {
        s_clear_env ();
        setenv ("BAZAAR_CACHE", on [i], 1);
        bz_config_t *config = bz_config_new_defaults ();
        assert_non_null (config);
        assert_true (bz_config_on (config, "cache"));
        assert_string_equal (bz_config_str (config, "cache"), "on");
        bz_config_destroy (&config);
    }
    for (size_t i = 0; i < sizeof off / sizeof off [0]; i++) {
        s_clear_env ();
        setenv ("BAZAAR_CACHE", off [i], 1);
        bz_config_t *config = bz_config_new_defaults ();
        assert_non_null (config);
        assert_false (bz_config_on (config, "cache"));
        assert_string_equal (bz_config_str (config, "cache"), "off");
        bz_config_destroy (&config);
    }
    s_clear_env ();
}

//  Writes text into a fresh temporary file; returns its path (static buffer).
static const char *
s_write_file (const char *text)
{
    static char path [64];
    snprintf (path, sizeof path, "/tmp/test_bz_config.XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
    return path;
}

static void
test_file_checks (void **state)
{
    (void) state;
    s_clear_env ();
    //  A file named explicitly must exist, by argument or by BAZAAR_CONFIG
    assert_null (bz_config_new ("/nonexistent/bazaar.cfg"));
    assert_null (bz_config_new (""));
    setenv ("BAZAAR_CONFIG", "/nonexistent/bazaar.cfg", 1);
    assert_null (bz_config_new (NULL));
    unsetenv ("BAZAAR_CONFIG");
    const struct { const char *text; bool good; } files [] = {
        { "bazaar\n    http_port = 9090\n    curve = \"YES\"\n", true },
        { "bazaar\n    http_prot = 9090\n", false },               //  unknown key
        { "bazar\n    http_port = 9090\n", false },                //  unknown section
        { "bazaar\n    http_port = 99999\n", false },              //  out of range
        { "bazaar\n    cache = \"maybe\"\n", false },              //  not a boolean
        { "bazaar\n    http_port = 1\n        deeper = 2\n", false },
    };
    for (size_t i = 0; i < sizeof files / sizeof files [0]; i++) {
        const char *path = s_write_file (files [i].text);
        bz_config_t *config = bz_config_new (path);
        if ((config != NULL) != files [i].good)
            fail_msg ("file %zu (%s) was %s", i, files [i].text, config? "accepted": "refused");
        if (config) {
            assert_int_equal (bz_config_int (config, "http_port"), 9090);
            assert_true (bz_config_on (config, "curve"));
            assert_string_equal (bz_config_source (config), path);
        }
        bz_config_destroy (&config);
        unlink (path);
    }
    //  The environment overrides the file, and is checked as strictly
    const char *path = s_write_file ("bazaar\n    http_port = 9090\n");
    setenv ("BAZAAR_HTTP_PORT", "9191", 1);
    bz_config_t *config = bz_config_new (path);
    assert_non_null (config);
    assert_int_equal (bz_config_int (config, "http_port"), 9191);
    bz_config_destroy (&config);
    setenv ("BAZAAR_HTTP_PORT", "9191x", 1);
    assert_null (bz_config_new (path));
    unlink (path);
    s_clear_env ();
}

static void
test_defaults_and_unknown_environment (void **state)
{
    (void) state;
    s_clear_env ();
    setenv ("BAZAAR_NOT_A_SETTING", "1", 1);        //  a warning, not an error
    bz_config_t *config = bz_config_new_defaults ();
    assert_non_null (config);
    assert_string_equal (bz_config_str (config, "http_host"), "127.0.0.1");
    assert_string_equal (bz_config_str (config, "curve"), "off");
    assert_int_equal (bz_config_int (config, "http_port"), 8080);
    assert_string_equal (bz_config_endpoint (config, "order3.sync"), "tcp://127.0.0.1:5573");
    assert_string_equal (bz_config_source (config), "(built-in defaults)");
    bz_config_log (config, "test");
    bz_config_destroy (&config);
    bz_config_destroy (&config);
    s_clear_env ();
}

//  A cluster.env in the data directory (written by scripts/cluster start) applies, and a
//  conflicting BAZAAR_<KEY> is refused rather than silently aimed at another cluster.
static void
test_cluster_env (void **state)
{
    (void) state;
    s_clear_env ();
    char dir [] = "/tmp/test_bz_config.dir.XXXXXX";
    assert_non_null (mkdtemp (dir));
    char *path = zsys_sprintf ("%s/cluster.env", dir);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fprintf (file, "BAZAAR_PORT_BASE=21000\nBAZAAR_CURVE=on\nBAZAAR_CONFIG=/x/y.cfg\nnoise\n");
    fclose (file);
    setenv ("BAZAAR_DATA", dir, 1);
    bz_config_t *config = bz_config_new_defaults ();
    assert_non_null (config);
    assert_int_equal (bz_config_int (config, "port_base"), 21000);
    assert_true (bz_config_on (config, "curve"));
    bz_config_destroy (&config);
    setenv ("BAZAAR_CURVE", "ON", 1);          //  the same, spelled otherwise: fine
    config = bz_config_new_defaults ();
    assert_non_null (config);
    bz_config_destroy (&config);
    setenv ("BAZAAR_CURVE", "off", 1);         //  another cluster: refused
    assert_null (bz_config_new_defaults ());
    unsetenv ("BAZAAR_CURVE");
    setenv ("BAZAAR_PORT_BASE", "22000", 1);
    assert_null (bz_config_new_defaults ());
    unsetenv ("BAZAAR_PORT_BASE");
    //  http_port belongs to one frontend: another one of the same cluster may differ
    setenv ("BAZAAR_HTTP_PORT", "23001", 1);
    config = bz_config_new_defaults ();
    assert_non_null (config);
    assert_int_equal (bz_config_int (config, "http_port"), 23001);
    assert_int_equal (bz_config_int (config, "port_base"), 21000);
    bz_config_destroy (&config);
    unlink (path);
    rmdir (dir);
    zstr_free (&path);
    s_clear_env ();
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_bad_values_are_refused),
        cmocka_unit_test (test_bad_environment_refuses_to_start),
        cmocka_unit_test (test_booleans_in_any_case),
        cmocka_unit_test (test_file_checks),
        cmocka_unit_test (test_defaults_and_unknown_environment),
        cmocka_unit_test (test_cluster_env),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
