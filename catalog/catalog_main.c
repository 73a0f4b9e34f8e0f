/*  bazaar-catalog: the catalog service process (stock book + invalidation stream).
    Started by scripts/cluster; usage: bazaar-catalog [--config PATH] [--csv PATH]   */
#include "bz_config.h"
#include "catalog_store.h"
#include "catalog_server.h"
#include "bz_security.h"

static int
s_usage (void)
{
    fprintf (stderr, "usage: bazaar-catalog [--config PATH] [--csv PATH]\n");
    return 2;
}

//  The CSV is only read on first start; $BAZAAR_CSV overrides the default path.
static const char *
s_default_csv (void)
{
    const char *csv = getenv ("BAZAAR_CSV");
    return csv? csv: "data/catalog.csv";
}

static int
s_serve (bz_config_t *config, const char *csv_path)
{
    const char *data_dir = bz_config_str (config, "data");
    if (zsys_dir_create ("%s", data_dir)) {
        zsys_error ("catalog: cannot create data directory %s", data_dir);
        return 1;
    }
    catalog_store_t *store = catalog_store_new (bz_config_path (config, "catalog.db"), csv_path);
    if (!store)
        return 1;
    catalog_server_t *server = catalog_server_new (config, store);
    int rc = server? catalog_server_run (server): 1;
    catalog_server_destroy (&server);
    catalog_store_destroy (&store);
    return rc;
}

int
main (int argc, char *argv [])
{
    zsys_set_logident ("catalog");
    const char *config_path = NULL, *csv_path = s_default_csv ();
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--config") && i + 1 < argc)
            config_path = argv [++i];
        else
        if (streq (argv [i], "--csv") && i + 1 < argc)
            csv_path = argv [++i];
        else
            return s_usage ();
    }
    bz_config_t *config = bz_config_new (config_path);
    if (!config)
        return 1;
    bz_security_t *security = bz_security_new (config);
    bz_security_set_default (security);
    int rc = security? s_serve (config, csv_path): 1;
    bz_security_destroy (&security);
    bz_config_destroy (&config);
    return rc;
}
