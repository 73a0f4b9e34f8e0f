/*  test_bz_endpoint: where each named socket is bound and reached, on one host and on
    several (bus_host, catalog_host, order_hosts, bind_host), as a multi-host config says.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "bz_config.h"

//  A config from the given file body (a bazaar section), no environment overrides.
static bz_config_t *
s_config (const char *body)
{
    const char *keys [] = { "HOST", "BUS_HOST", "CATALOG_HOST", "ORDER_HOSTS", "BIND_HOST",
                            "PORT_BASE", "CONFIG" };
    for (size_t i = 0; i < sizeof keys / sizeof keys [0]; i++) {
        char name [32];
        snprintf (name, sizeof name, "BAZAAR_%s", keys [i]);
        unsetenv (name);
    }
    char path [] = "/tmp/test_bz_endpoint.XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    FILE *file = fdopen (fd, "w");
    assert_non_null (file);
    fprintf (file, "bazaar\n%s", body);
    fclose (file);
    bz_config_t *config = bz_config_new (path);
    unlink (path);
    assert_non_null (config);
    return config;
}

static void
test_one_host (void **state)
{
    (void) state;
    bz_config_t *config = s_config ("    host = \"127.0.0.2\"\n    port_base = 7000\n");
    assert_string_equal (bz_config_endpoint (config, "bus"), "tcp://127.0.0.2:7000");
    assert_string_equal (bz_config_endpoint (config, "monitor"), "tcp://127.0.0.2:7001");
    assert_string_equal (bz_config_endpoint (config, "catalog"), "tcp://127.0.0.2:7002");
    assert_string_equal (bz_config_endpoint (config, "order3"), "tcp://127.0.0.2:7013");
    assert_string_equal (bz_config_endpoint (config, "order3.sync"), "tcp://127.0.0.2:7023");
    //  Without bind_host a service binds where its peers reach it.
    assert_string_equal (bz_config_bind (config, "order3.sync"), "tcp://127.0.0.2:7023");
    assert_null (bz_config_endpoint (config, "order10"));
    assert_null (bz_config_endpoint (config, "order1.pub"));
    assert_null (bz_config_endpoint (config, "frontend"));
    bz_config_destroy (&config);
}

static void
test_host_per_service (void **state)
{
    (void) state;
    bz_config_t *config = s_config (
        "    port_base = 7000\n"
        "    bus_host = \"10.1.0.1\"\n"
        "    catalog_host = \"catalog.example\"\n"
        "    order_hosts = \"10.1.0.11,,10.1.0.13\"\n");
    assert_string_equal (bz_config_endpoint (config, "bus"), "tcp://10.1.0.1:7000");
    assert_string_equal (bz_config_endpoint (config, "monitor"), "tcp://10.1.0.1:7001");
    assert_string_equal (bz_config_endpoint (config, "catalog"), "tcp://catalog.example:7002");
    assert_string_equal (bz_config_endpoint (config, "order1"), "tcp://10.1.0.11:7011");
    //  An empty entry, or none at all, falls back to host.
    assert_string_equal (bz_config_endpoint (config, "order2.sync"), "tcp://127.0.0.1:7022");
    assert_string_equal (bz_config_endpoint (config, "order3.sync"), "tcp://10.1.0.13:7023");
    assert_string_equal (bz_config_endpoint (config, "order4"), "tcp://127.0.0.1:7014");
    bz_config_destroy (&config);
}

static void
test_bind_host (void **state)
{
    (void) state;
    bz_config_t *config = s_config (
        "    port_base = 7000\n"
        "    bus_host = \"bus\"\n"
        "    order_hosts = \"order1,order2,order3\"\n"
        "    bind_host = \"*\"\n");
    assert_string_equal (bz_config_bind (config, "bus"), "tcp://*:7000");
    assert_string_equal (bz_config_bind (config, "order2"), "tcp://*:7012");
    //  Peers still connect by name.
    assert_string_equal (bz_config_endpoint (config, "bus"), "tcp://bus:7000");
    assert_string_equal (bz_config_endpoint (config, "order2"), "tcp://order2:7012");
    bz_config_destroy (&config);
}

int
main (void)
{
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_one_host),
        cmocka_unit_test (test_host_per_service),
        cmocka_unit_test (test_bind_host),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
