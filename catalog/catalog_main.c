/*  bazaar-catalog: the catalog service process (stock book + invalidation stream).
    Started by scripts/cluster; usage: bazaar-catalog [--config PATH] [--csv PATH] [--restore]
    --restore rebuilds catalog.db from the replicas' logs and exits (docs/catalog.md).  */
#include "bz_config.h"
#include "catalog_store.h"
#include "catalog_server.h"
#include "bz_security.h"
#include "catalog_restore.h"
#include <unistd.h>

static int
s_usage (void)
{
    fprintf (stderr, "usage: bazaar-catalog [--config PATH] [--csv PATH] [--restore]\n");
    return 2;
}

//  The CSV is only read on first start; $BAZAAR_CSV overrides the default path.
static const char *
s_default_csv (void)
{
    const char *csv = getenv ("BAZAAR_CSV");
    return csv? csv: "data/catalog.csv";
}

//  Exit status when the book is missing or behind the replicas: restarting cannot help.
#define EXIT_RESTORE_NEEDED 3

static int
s_refuse (const char *why)
{
    zsys_error ("catalog: refusing to serve: %s; rebuild it from the replicas with "
                "bazaar-catalog --restore (scripts/cluster restore-catalog)", why);
    return EXIT_RESTORE_NEEDED;
}

//  The CSV is imported only into a new cluster: a missing catalog.db while the replica
//  logs hold orders, or one behind them, is refused rather than served.
static int
s_serve (bz_config_t *config, const char *csv_path, bool restore)
{
    const char *data_dir = bz_config_str (config, "data");
    if (zsys_dir_create ("%s", data_dir)) {
        zsys_error ("catalog: cannot create data directory %s", data_dir);
        return 1;
    }
    char db_path [1024], why [256];
    snprintf (db_path, sizeof db_path, "%s", bz_config_path (config, "catalog.db"));
    if (restore)
        return catalog_restore (config, db_path, csv_path) == 0? 0: 1;
    bool exists = access (db_path, F_OK) == 0;
    if (!exists && catalog_restore_check (config, false, -1, why, sizeof why))
        return s_refuse (why);
    catalog_store_t *store = catalog_store_new (db_path, csv_path);
    if (!store)
        return 1;
    if (catalog_restore_check (config, true, catalog_store_last_number (store), why, sizeof why)) {
        catalog_store_destroy (&store);
        return s_refuse (why);
    }
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
    bool restore = false;
    for (int i = 1; i < argc; i++) {
        if (streq (argv [i], "--config") && i + 1 < argc)
            config_path = argv [++i];
        else
        if (streq (argv [i], "--csv") && i + 1 < argc)
            csv_path = argv [++i];
        else
        if (streq (argv [i], "--restore"))
            restore = true;
        else
            return s_usage ();
    }
    bz_config_t *config = bz_config_new (config_path);
    if (!config)
        return 1;
    bz_security_t *security = bz_security_new (config);
    bz_security_set_default (security);
    int rc = security? s_serve (config, csv_path, restore): 1;
    bz_security_destroy (&security);
    bz_config_destroy (&config);
    return rc;
}
