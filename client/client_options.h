/*  client_options: the load generator's command line, parsed and checked strictly.
    Used by client_main; kept apart so tests/test_client_options.c can drive it.     */
#ifndef CLIENT_OPTIONS_H
#define CLIENT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLIENT_URL_MAX       256        //  bytes of --url
#define CLIENT_NAME_MAX      64         //  bytes of a stock name (as on the bus)
#define CLIENT_STOCKS_MAX    1024       //  names in --stocks or from GET /stocks
#define CLIENT_SESSIONS_MAX  1024
#define CLIENT_ITERATIONS_MAX 1000000000L
#define CLIENT_DURATION_MAX  (7 * 86400.0)
#define CLIENT_ZIPF_MAX      8           //  --zipf: beyond, every pick is the first stock

typedef struct {
    char url [CLIENT_URL_MAX + 1];      //  without a trailing '/'
    int sessions;
    long iterations;
    bool iterations_set;                //  given explicitly (matters with --duration)
    double p;                           //  trade probability, 0..1
    uint64_t seed;
    bool seed_set;
    char (*stocks) [CLIENT_NAME_MAX + 1];   //  NULL: fetch from GET /stocks
    size_t stock_count;
    double duration;                    //  seconds; 0 = run by iterations
    double zipf;                        //  skew of the stock choice; 0 = uniform
    char trace [CLIENT_URL_MAX + 1];    //  --trace: a CSV line per request attempt; "" none
    bool json;
    bool lookups_only;
    bool help;
    bool version;
} client_options_t;

//  Parses argv (argv[0] is the program) into self, starting from the defaults. Returns 0,
//  or -1 with a one-line reason in error; every value is checked in full (no trailing
//  junk, no overflow, ranges). Values come as "--opt VALUE" or "--opt=VALUE". The URL
//  defaults from BAZAAR_HTTP_PORT or $BAZAAR_DATA/cluster.env (see client_options.c).
//  Call client_options_clear afterwards in both cases.
int client_options_parse (client_options_t *self, int argc, char **argv,
                          char *error, size_t error_size);

//  Frees what parse allocated; safe to call twice.
void client_options_clear (client_options_t *self);

//  Checks one stock name: 1..CLIENT_NAME_MAX bytes, no control character, ',' or '/',
//  no leading or trailing blank (UTF-8 is let through: paths are URL-escaped). Used for
//  --stocks and for names the server sends.
bool client_options_valid_name (const char *name);

//  The usage text.
extern const char *client_options_usage;

#endif
