/*  bazaar-config: checks and prints the settings as every Bazaar process sees them, and
    prints the configuration reference the README carries (scripts/cluster, docs, tests). */
#include "bz_cli.h"
#include "bz_config.h"

enum { OPT_CONFIG, OPT_REFERENCE, OPT_CHECK };
static const bz_cli_option_t s_options [] = {
    BZ_CLI_CONFIG,
    { "reference", NULL, "print the configuration reference (Markdown, as in the README)", 0 },
    { "check", NULL, "only check the settings: print nothing when they are good", 0 },
    { NULL, NULL, NULL, 0 }
};
static const bz_cli_t s_cli = {
    "bazaar-config", "[--config PATH] [--check | --reference | KEY]",
    "Reads the settings as every Bazaar process does (the config file, then BAZAAR_<KEY>\n"
    "from the environment), checks each against its type and range, and prints them as\n"
    "key=value lines, or only KEY's value.",
    s_options, 0, 1,
    "  0  the settings are good\n  2  usage error, or a bad setting (named on stderr)"
};

int
main (int argc, char *argv [])
{
    const char *values [3];
    int rc;
    int first = bz_cli_parse (&s_cli, argc, argv, values, &rc);
    if (first < 0)
        return rc;
    const char *key = first < argc? argv [first]: NULL;
    if ((values [OPT_REFERENCE] != NULL) + (values [OPT_CHECK] != NULL) + (key != NULL) > 1)
        return bz_cli_usage_error (&s_cli, "--check, --reference and KEY exclude each other");
    if (values [OPT_REFERENCE]) {
        bz_config_print_reference (stdout);
        return 0;
    }
    if (key && !bz_config_known (key))
        return bz_cli_usage_error (&s_cli, "no setting named '%s' (bazaar-config lists them)", key);
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    bz_config_t *config = bz_config_new (values [OPT_CONFIG]);
    if (!config)
        return 2;
    if (key)
        printf ("%s\n", bz_config_str (config, key));
    else
    if (!values [OPT_CHECK])
        bz_config_print (config, stdout);
    bz_config_destroy (&config);
    return 0;
}
