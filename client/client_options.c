/*  client_options: strict parsing of the load generator's command line.
    Used by client_main and tests/test_client_options.c.                    */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client_options.h"

const char *client_options_usage =
    "usage: bazaar-client [options]\n"
    "  --url URL           frontend base URL, or HOST:PORT (default http://127.0.0.1:$BAZAAR_HTTP_PORT,\n"
    "                      the port from $BAZAAR_DATA/cluster.env, else 8080)\n"
    "  --sessions N        concurrent sessions, one connection each (1..1024, default 5)\n"
    "  --iterations K      iterations per session (1..1e9, default 100)\n"
    "  --p P               probability of a trade after a lookup (0..1, default 0.5)\n"
    "  --seed S            workload seed, unsigned 64-bit (default: time)\n"
    "  --stocks a,b,c      stocks to use (default: all, from GET /stocks)\n"
    "  --duration SECONDS  run until the time is up (iterations then only cap if given)\n"
    "  --zipf S            skewed stock choice: the i-th weighs 1/i^S (0..8, 0 uniform)\n"
    "  --trace PATH        append a CSV line per request attempt (unix_ms,request,ms,status)\n"
    "  --json              also print the summary as one JSON object on stdout\n"
    "  --lookups-only      no trades, lookups only\n"
    "  --help              this text\n"
    "  --version           print the version and exit\n"
    "exit status: 0 every check passed, 1 a failure, mismatch, missing or duplicate order,\n"
    "  2 usage error, 3 could not start (no server, no stocks)\n";

static int
fail (char *error, size_t error_size, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (error, error_size, format, args);
    va_end (args);
    return -1;
}

//  A decimal integer in [min, max], nothing else: no sign games, no blanks, no suffix.
static int
parse_long (const char *text, long min, long max, long *value)
{
    if (!((*text >= '0' && *text <= '9') || (*text == '-' && min < 0)))
        return -1;                              //  strtol skips blanks and takes '+'
    char *end;
    errno = 0;
    long v = strtol (text, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

static int
parse_u64 (const char *text, uint64_t *value)
{
    if (*text < '0' || *text > '9')             //  strtoull takes "-1" and " 1"
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull (text, &end, 10);
    if (errno || *end)
        return -1;
    *value = (uint64_t) v;
    return 0;
}

//  A finite decimal number in [min, max]; hex floats, inf and nan are refused.
static int
parse_double (const char *text, double min, double max, double *value)
{
    if (!((*text >= '0' && *text <= '9') || *text == '.' || *text == '-')
    ||  strpbrk (text, "xXnNiI"))
        return -1;
    char *end;
    errno = 0;
    double v = strtod (text, &end);
    if (errno || *end || !isfinite (v) || v < min || v > max)
        return -1;
    *value = v;
    return 0;
}

bool
client_options_valid_name (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > CLIENT_NAME_MAX || name [0] == ' ' || name [len - 1] == ' ')
        return false;
    for (const unsigned char *c = (const unsigned char *) name; *c; c++)
        if (*c < ' ' || *c == 0x7f || *c == ',' || *c == '/')
            return false;
    return true;
}

static int
parse_stocks (client_options_t *self, const char *text, char *error, size_t error_size)
{
    free (self->stocks);
    self->stocks = NULL;
    self->stock_count = 0;
    size_t count = 1;
    for (const char *c = text; *c; c++)
        count += *c == ',';
    if (count > CLIENT_STOCKS_MAX)
        return fail (error, error_size, "--stocks: more than %d names", CLIENT_STOCKS_MAX);
    self->stocks = calloc (count, sizeof *self->stocks);
    if (!self->stocks)
        return fail (error, error_size, "out of memory");
    const char *start = text;
    for (size_t i = 0; i < count; i++) {
        const char *comma = strchr (start, ',');
        size_t len = comma? (size_t) (comma - start): strlen (start);
        if (len > CLIENT_NAME_MAX)
            return fail (error, error_size, "--stocks: name longer than %d bytes",
                         CLIENT_NAME_MAX);
        memcpy (self->stocks [i], start, len);
        self->stocks [i][len] = '\0';
        if (!client_options_valid_name (self->stocks [i]))
            return fail (error, error_size, "--stocks: bad name '%s'", self->stocks [i]);
        start = comma? comma + 1: start + len;
    }
    self->stock_count = count;
    return 0;
}

static int
parse_url (client_options_t *self, const char *text, char *error, size_t error_size)
{
    char with_scheme [CLIENT_URL_MAX + 8];
    if (!strstr (text, "://")) {            //  HOST:PORT or HOST: plain HTTP
        snprintf (with_scheme, sizeof with_scheme, "http://%s", text);
        text = with_scheme;
    }
    size_t len = strlen (text);
    if (len > CLIENT_URL_MAX)
        return fail (error, error_size, "--url: longer than %d bytes", CLIENT_URL_MAX);
    const char *host = NULL;
    if (strncmp (text, "http://", 7) == 0)
        host = text + 7;
    else
    if (strncmp (text, "https://", 8) == 0)
        host = text + 8;
    if (!host || *host == '\0' || *host == '/')
        return fail (error, error_size, "--url: want http://HOST[:PORT][/PREFIX]");
    for (const unsigned char *c = (const unsigned char *) text; *c; c++)
        if (*c <= ' ' || *c >= 0x7f || *c == '?' || *c == '#')
            return fail (error, error_size, "--url: bad character in '%s'", text);
    //  Paths are appended as "/stocks/...": drop trailing slashes so they don't double.
    while (len > 0 && text [len - 1] == '/')
        len--;
    memcpy (self->url, text, len);
    self->url [len] = '\0';
    return 0;
}

//  Handles one option that takes a value. Returns 0, or -1 with error set.
static int
parse_value (client_options_t *self, const char *name, const char *value,
             char *error, size_t error_size)
{
    long number;
    if (strcmp (name, "--url") == 0)
        return parse_url (self, value, error, error_size);
    if (strcmp (name, "--stocks") == 0)
        return parse_stocks (self, value, error, error_size);
    if (strcmp (name, "--sessions") == 0) {
        if (parse_long (value, 1, CLIENT_SESSIONS_MAX, &number))
            return fail (error, error_size, "--sessions: want 1..%d, not '%s'",
                         CLIENT_SESSIONS_MAX, value);
        self->sessions = (int) number;
        return 0;
    }
    if (strcmp (name, "--iterations") == 0) {
        if (parse_long (value, 1, CLIENT_ITERATIONS_MAX, &number))
            return fail (error, error_size, "--iterations: want 1..%ld, not '%s'",
                         CLIENT_ITERATIONS_MAX, value);
        self->iterations = number;
        self->iterations_set = true;
        return 0;
    }
    if (strcmp (name, "--p") == 0) {
        if (parse_double (value, 0, 1, &self->p))
            return fail (error, error_size, "--p: want a number in 0..1, not '%s'", value);
        return 0;
    }
    if (strcmp (name, "--seed") == 0) {
        if (parse_u64 (value, &self->seed))
            return fail (error, error_size, "--seed: want an unsigned 64-bit integer, "
                         "not '%s'", value);
        self->seed_set = true;
        return 0;
    }
    if (strcmp (name, "--duration") == 0) {
        if (parse_double (value, 0, CLIENT_DURATION_MAX, &self->duration)
        ||  self->duration <= 0)
            return fail (error, error_size, "--duration: want seconds in (0, %.0f], "
                         "not '%s'", CLIENT_DURATION_MAX, value);
        return 0;
    }
    if (strcmp (name, "--trace") == 0) {
        if (*value == '\0' || strlen (value) > CLIENT_URL_MAX)
            return fail (error, error_size, "--trace: want a path of 1..%d bytes",
                         CLIENT_URL_MAX);
        strcpy (self->trace, value);
        return 0;
    }
    if (strcmp (name, "--zipf") == 0) {
        if (parse_double (value, 0, CLIENT_ZIPF_MAX, &self->zipf))
            return fail (error, error_size, "--zipf: want a number in 0..%d, not '%s'",
                         CLIENT_ZIPF_MAX, value);
        return 0;
    }
    return fail (error, error_size, "unknown option '%s'", name);
}

//  The value of NAME in $BAZAAR_DATA/cluster.env (written by scripts/cluster start) into
//  value, or false when there is none.
static bool
s_recorded (const char *name, char *value, size_t size)
{
    const char *data = getenv ("BAZAAR_DATA");
    char path [1100], line [256];
    if (!data || snprintf (path, sizeof path, "%s/cluster.env", data) >= (int) sizeof path)
        return false;
    FILE *file = fopen (path, "r");
    bool found = false;
    size_t length = strlen (name);
    while (file && !found && fgets (line, sizeof line, file)) {
        line [strcspn (line, "\r\n")] = 0;
        if (strncmp (line, name, length) == 0 && line [length] == '=') {
            snprintf (value, size, "%s", line + length + 1);
            found = true;
        }
    }
    if (file)
        fclose (file);
    return found;
}

//  The default URL: http://127.0.0.1:PORT with PORT from BAZAAR_HTTP_PORT, else from the
//  cluster.env of $BAZAAR_DATA, else 8080; host from that cluster.env's BAZAAR_HTTP_HOST
//  unless it listens on every interface. A BAZAAR_HTTP_PORT that is not a port is an
//  error; one other than the recorded port names another frontend of the cluster.
static int
s_default_url (client_options_t *self, char *error, size_t error_size)
{
    const char *port = getenv ("BAZAAR_HTTP_PORT");
    char recorded_port [64] = "", host [64] = "127.0.0.1";
    long number = 8080;
    bool recorded = s_recorded ("BAZAAR_HTTP_PORT", recorded_port, sizeof recorded_port);
    if (port && parse_long (port, 1, 65535, &number))
        return fail (error, error_size, "BAZAAR_HTTP_PORT: want 1..65535, not '%s'", port);
    if (!port && recorded && parse_long (recorded_port, 1, 65535, &number))
        return fail (error, error_size, "cluster.env: bad BAZAAR_HTTP_PORT '%s'", recorded_port);
    if (s_recorded ("BAZAAR_HTTP_HOST", host, sizeof host) && strcmp (host, "0.0.0.0") == 0)
        strcpy (host, "127.0.0.1");
    snprintf (self->url, sizeof self->url, "http://%s:%ld", host, number);
    return 0;
}

static const char *flags [] = { "--json", "--lookups-only", "--help", "--version", NULL };
static const char *valued [] = { "--url", "--sessions", "--iterations", "--p", "--seed",
                                 "--stocks", "--duration", "--zipf", "--trace", NULL };

static bool
listed (const char **list, const char *name, size_t len)
{
    for (; *list; list++)
        if (strlen (*list) == len && strncmp (*list, name, len) == 0)
            return true;
    return false;
}

int
client_options_parse (client_options_t *self, int argc, char **argv,
                      char *error, size_t error_size)
{
    memset (self, 0, sizeof *self);
    self->sessions = 5;
    self->iterations = 100;
    self->p = 0.5;
    snprintf (error, error_size, "ok");
    if (s_default_url (self, error, error_size))
        return -1;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        const char *equals = strchr (arg, '=');
        size_t len = equals? (size_t) (equals - arg): strlen (arg);
        if (listed (flags, arg, len)) {
            if (equals)
                return fail (error, error_size, "%.*s takes no value", (int) len, arg);
            if (strcmp (arg, "--json") == 0)
                self->json = true;
            else
            if (strcmp (arg, "--lookups-only") == 0)
                self->lookups_only = true;
            else
            if (strcmp (arg, "--version") == 0)
                self->version = true;
            else
                self->help = true;
            continue;
        }
        if (!listed (valued, arg, len))
            return fail (error, error_size, "unknown option '%.*s'", (int) len, arg);
        char name [32];
        snprintf (name, sizeof name, "%.*s", (int) len, arg);
        const char *value;
        if (equals)
            value = equals + 1;
        else {
            if (i + 1 >= argc || strncmp (argv [i + 1], "--", 2) == 0)
                return fail (error, error_size, "%s needs a value", name);
            value = argv [++i];
        }
        if (parse_value (self, name, value, error, error_size))
            return -1;
    }
    return 0;
}

void
client_options_clear (client_options_t *self)
{
    free (self->stocks);
    self->stocks = NULL;
    self->stock_count = 0;
}
