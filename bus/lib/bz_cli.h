/*  bz_cli: the command line of every Bazaar program, parsed one way (getopt_long).
    Each *_main.c declares its options in a table; --help and --version come free.  */
#ifndef BZ_CLI_H
#define BZ_CLI_H

#include <stdint.h>
#include <stdio.h>

#define BZ_CLI_OPTIONS_MAX 24

//  The --config option every program that reads the settings takes.
#define BZ_CLI_CONFIG { "config", "PATH", "the settings file (default $BAZAAR_CONFIG, else data/bazaar.cfg)", 0 }

//  One long option: --name, or --name ARG when arg (the metavariable) is set.
typedef struct {
    const char *name;
    const char *arg;            //  e.g. "PATH"; NULL for a flag
    const char *help;           //  one line
    char short_name;            //  e.g. 'v' for -v as well; 0 for none
} bz_cli_option_t;

typedef struct {
    const char *program;        //  "bazaar-order"
    const char *usage;          //  what follows the program name, e.g. "--id N [--config PATH]"
    const char *about;          //  what the program does, one or more lines
    const bz_cli_option_t *options;     //  ends with { NULL }; --help and --version are added
    int operands_min, operands_max;     //  how many non-option arguments it takes
    const char *exit_codes;     //  lines after "exit status:"; NULL: 0 success, 1 failure, 2 usage
} bz_cli_t;

//  The version of this build: `git describe` when built in a git tree, else the
//  Makefile's VERSION.
const char *bz_cli_version (void);

//  Parses argv: options as --key VALUE or --key=VALUE in any order, mixed with operands.
//  values [i] gets option i's argument ("" for a flag), or stays NULL when absent; the
//  last one given wins. Returns the index in argv of the first operand (they are moved
//  to the end), or -1 when main must return *exit_code at once: 0 after --help or
//  --version (printed on stdout), 2 after a usage error (one line on stderr naming the
//  option, then a hint to try --help).
int bz_cli_parse (const bz_cli_t *cli, int argc, char *argv [], const char *values [],
                  int *exit_code);

//  Reads value as a whole decimal integer in min..max into *out. Returns 0, or 2 after
//  a usage error naming what ("--id: 'x' is not an integer in 1..9"), for main to return.
int bz_cli_int (const bz_cli_t *cli, const char *what, const char *value,
                int64_t min, int64_t max, int64_t *out);

//  Prints "PROGRAM: MESSAGE" and the --help hint on stderr; returns 2 (the usage exit code).
int bz_cli_usage_error (const bz_cli_t *cli, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Prints the full help on out.
void bz_cli_print_help (const bz_cli_t *cli, FILE *out);

#endif
