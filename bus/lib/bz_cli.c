/*  bz_cli: one getopt_long parser for every Bazaar program; see bz_cli.h.
    Linked through libcommon into every build/bazaar-* program.            */
#include "bz_cli.h"
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <ctype.h>

#ifndef BZ_VERSION
#   define BZ_VERSION "unknown"
#endif

const char *
bz_cli_version (void)
{
    return BZ_VERSION;
}

int
bz_cli_usage_error (const bz_cli_t *cli, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fprintf (stderr, "%s: ", cli->program);
    vfprintf (stderr, format, args);
    va_end (args);
    fprintf (stderr, "\nusage: %s %s\nTry '%s --help' for more information.\n",
             cli->program, cli->usage, cli->program);
    return 2;
}

void
bz_cli_print_help (const bz_cli_t *cli, FILE *out)
{
    fprintf (out, "usage: %s %s\n%s\n\noptions:\n", cli->program, cli->usage, cli->about);
    const bz_cli_option_t *option = cli->options;
    for (; option && option->name; option++) {
        char left [64], short_form [8] = "";
        if (option->short_name)
            snprintf (short_form, sizeof short_form, ", -%c", option->short_name);
        snprintf (left, sizeof left, "--%s%s%s%s", option->name, short_form,
                  option->arg? " ": "", option->arg? option->arg: "");
        fprintf (out, "  %-24s %s\n", left, option->help);
    }
    fprintf (out, "  %-24s %s\n  %-24s %s\n", "--help, -h", "print this help and exit",
             "--version", "print the version and exit");
    fprintf (out, "\nexit status:\n%s\n", cli->exit_codes? cli->exit_codes:
             "  0  success\n  1  failure (the reason is on stderr)\n"
             "  2  usage error or bad setting");
}

int
bz_cli_int (const bz_cli_t *cli, const char *what, const char *value,
            int64_t min, int64_t max, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long number = value? strtoll (value, &end, 10): 0;
    if (!value || !*value || isspace ((unsigned char) *value) || *end || errno
    ||  number < min || number > max)
        return bz_cli_usage_error (cli, "%s: '%s' is not an integer in %lld..%lld",
                                   what, value? value: "", (long long) min, (long long) max);
    *out = number;
    return 0;
}

int
bz_cli_parse (const bz_cli_t *cli, int argc, char *argv [], const char *values [],
              int *exit_code)
{
    enum { HELP = 1000, VERSION = 1001, FIRST = 2000 };
    struct option table [BZ_CLI_OPTIONS_MAX + 3];
    char shorts [2 * BZ_CLI_OPTIONS_MAX + 8] = ":h";
    int count = 0;
    for (; cli->options && cli->options [count].name; count++) {
        if (count == BZ_CLI_OPTIONS_MAX)
            abort ();                   //  a programmer error: raise the bound
        table [count] = (struct option) {
            cli->options [count].name, cli->options [count].arg? required_argument: no_argument,
            NULL, FIRST + count };
        values [count] = NULL;
        if (cli->options [count].short_name) {
            size_t end = strlen (shorts);
            shorts [end] = cli->options [count].short_name;
            shorts [end + 1] = cli->options [count].arg? ':': 0;
            shorts [end + 2] = 0;
        }
    }
    table [count] = (struct option) { "help", no_argument, NULL, HELP };
    table [count + 1] = (struct option) { "version", no_argument, NULL, VERSION };
    table [count + 2] = (struct option) { NULL, 0, NULL, 0 };
    optind = 0;                         //  glibc: full reset, so tests may parse again
    opterr = 0;
    int code;
    while ((code = getopt_long (argc, argv, shorts, table, NULL)) != -1) {
        if (code == 'h' || code == HELP) {
            bz_cli_print_help (cli, stdout);
            *exit_code = 0;
            return -1;
        }
        if (code == VERSION) {
            printf ("%s %s\n", cli->program, bz_cli_version ());
            *exit_code = 0;
            return -1;
        }
        if (code >= FIRST && code < FIRST + count) {
            values [code - FIRST] = optarg? optarg: "";
            continue;
        }
        int index = 0;
        while (code != ':' && code != '?' && index < count && cli->options [index].short_name != code)
            index++;
        if (code != ':' && code != '?' && index < count) {
            values [index] = optarg? optarg: "";
            continue;
        }
        if (code == ':')
            *exit_code = bz_cli_usage_error (cli, "option %s needs a value", argv [optind - 1]);
        else
        if (optopt && optopt < 256)
            *exit_code = bz_cli_usage_error (cli, "unknown option '-%c'", optopt);
        else
            *exit_code = bz_cli_usage_error (cli, "unknown or ambiguous option '%s'", argv [optind - 1]);
        return -1;
    }
    int operands = argc - optind;
    if (operands < cli->operands_min || operands > cli->operands_max) {
        if (operands < cli->operands_min)
            *exit_code = bz_cli_usage_error (cli, "missing argument");
        else
            *exit_code = bz_cli_usage_error (cli, "unexpected argument '%s'",
                                             argv [optind + cli->operands_max]);
        return -1;
    }
    return optind;
}
