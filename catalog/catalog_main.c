/*  bazaar-catalog: the catalog service process (stock book + invalidation stream).
    Started by scripts/cluster; usage: bazaar-catalog [--config PATH] [--csv PATH] [--restore]
    --restore rebuilds catalog.db from the replicas' logs and exits (docs/catalog.md).  */
#include "bz_cli.h"
#include "bz_config.h"
#include "catalog_store.h"
#include "catalog_server.h"
#include "bz_service.h"
#include "catalog_restore.h"
#include <unistd.h>

enum { OPT_CONFIG, OPT_CSV, OPT_RESTORE };
static const bz_cli_option_t s_options [] = {
    BZ_CLI_CONFIG,
    { "csv", "PATH", "initial stocks, read when the catalog is created (default $BAZAAR_CSV,\n"
                     "                           else data/catalog.csv)", 0 },
    { "restore", NULL, "rebuild catalog.db from a majority of the replicas' logs and exit", 0 },
    { NULL, NULL, NULL, 0 }
};
static const bz_cli_t s_cli = {
    "bazaar-catalog", "[--config PATH] [--csv PATH] [--restore]",
    "The catalog service: the stock book in SQLite (<data>/catalog.db), batch trades,\n"
    "and the invalidation stream the frontends' caches follow. Runs until SIGINT or SIGTERM.",
    s_options, 0, 0,
    "  0  success\n  1  failure (the reason is on stderr)\n  2  usage error or bad setting\n"
    "  3  catalog.db is missing or behind the replicas' logs: run bazaar-catalog --restore"
};

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
    int rc = server && catalog_server_run (server) == 0? 0: 1;
    catalog_server_destroy (&server);
    catalog_store_destroy (&store);
    return rc;
}

int
main (int argc, char *argv [])
{
    const char *values [3];
    int rc;
    if (bz_cli_parse (&s_cli, argc, argv, values, &rc) < 0)
        return rc;
    const char *csv_path = values [OPT_CSV]? values [OPT_CSV]: s_default_csv ();
    bz_service_t service;
    if ((rc = bz_service_start (&service, "catalog", values [OPT_CONFIG])) == 0)
        rc = s_serve (service.config, csv_path, values [OPT_RESTORE] != NULL);
    bz_service_stop (&service);
    return rc;
}
