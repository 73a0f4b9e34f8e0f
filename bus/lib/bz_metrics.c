/*  bz_metrics: a small registry of counters, gauges and histograms that a service updates,
    sent to the broker over the bus (bz_worker) and rendered as Prometheus text (frontend).

    Wire form (one frame each, text, checked field by field by bz_metrics_decode):
        "version <build>"
        "<name> counter|gauge <help>\n<value>"
        "<name> histogram <help>\n<sum> <count> <bound>:<cumulative count> ..."     */
#include <dirent.h>
#include <math.h>
#include "bz_metrics.h"

#define VERSION_MAX     40

typedef struct {
    char name [BZ_METRICS_NAME_MAX + 1];
    char help [BZ_METRICS_HELP_MAX + 1];
    bz_metric_type_t type;
    double value;                               //  counter, gauge; a histogram's sum
    uint64_t count;                             //  histogram: observations
    size_t buckets;
    double bounds [BZ_METRICS_BUCKETS_MAX];
    uint64_t counts [BZ_METRICS_BUCKETS_MAX];   //  per bucket, not cumulative
} family_t;

struct _bz_metrics_t {
    char version [VERSION_MAX + 1];
    family_t families [BZ_METRICS_FAMILIES_MAX];
    size_t count;
    int process [4];                            //  ids of the process_* gauges, or 0 unset
    bool process_declared;
};

static const char *s_types [] = { "counter", "gauge", "histogram" };

bz_metrics_t *
bz_metrics_new (const char *version)
{
    bz_metrics_t *self = (bz_metrics_t *) zmalloc (sizeof (bz_metrics_t));
    if (version)
        snprintf (self->version, sizeof self->version, "%s", version);
    return self;
}

void
bz_metrics_destroy (bz_metrics_t **self_p)
{
    assert (self_p);
    free (*self_p);
    *self_p = NULL;
}

//  [a-zA-Z_:][a-zA-Z0-9_:]*, 1..BZ_METRICS_NAME_MAX
static bool
s_valid_name (const char *name, size_t length)
{
    if (length == 0 || length > BZ_METRICS_NAME_MAX || isdigit ((unsigned char) name [0]))
        return false;
    for (size_t i = 0; i < length; i++)
        if (!isalnum ((unsigned char) name [i]) && name [i] != '_' && name [i] != ':')
            return false;
    return true;
}

//  Printable ASCII without a backslash (HELP would need escaping), at most the limit.
static bool
s_valid_help (const char *help, size_t length)
{
    if (length > BZ_METRICS_HELP_MAX)
        return false;
    for (size_t i = 0; i < length; i++)
        if (help [i] < ' ' || help [i] > '~' || help [i] == '\\')
            return false;
    return true;
}

static int
s_declare (bz_metrics_t *self, const char *name, const char *help, bz_metric_type_t type)
{
    assert (self && name && help);
    if (self->count == BZ_METRICS_FAMILIES_MAX || !s_valid_name (name, strlen (name))
    ||  !s_valid_help (help, strlen (help)))
        return -1;
    for (size_t i = 0; i < self->count; i++)
        if (streq (self->families [i].name, name))
            return -1;
    family_t *family = &self->families [self->count];
    memset (family, 0, sizeof *family);
    snprintf (family->name, sizeof family->name, "%s", name);
    snprintf (family->help, sizeof family->help, "%s", help);
    family->type = type;
    return (int) self->count++;
}

int
bz_metrics_counter (bz_metrics_t *self, const char *name, const char *help)
{
    return s_declare (self, name, help, BZ_METRIC_COUNTER);
}

int
bz_metrics_gauge (bz_metrics_t *self, const char *name, const char *help)
{
    return s_declare (self, name, help, BZ_METRIC_GAUGE);
}

int
bz_metrics_histogram (bz_metrics_t *self, const char *name, const char *help,
                      const double *bounds, size_t count)
{
    if (!bounds || count == 0 || count > BZ_METRICS_BUCKETS_MAX)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (!isfinite (bounds [i]) || (i > 0 && bounds [i] <= bounds [i - 1]))
            return -1;
    int id = s_declare (self, name, help, BZ_METRIC_HISTOGRAM);
    if (id >= 0) {
        self->families [id].buckets = count;
        memcpy (self->families [id].bounds, bounds, count * sizeof *bounds);
    }
    return id;
}

static family_t *
s_family (bz_metrics_t *self, int id, bz_metric_type_t type)
{
    assert (self);
    if (id < 0 || (size_t) id >= self->count || self->families [id].type != type)
        return NULL;
    return &self->families [id];
}

void
bz_metrics_add (bz_metrics_t *self, int id, double amount)
{
    family_t *family = s_family (self, id, BZ_METRIC_COUNTER);
    if (family && isfinite (amount) && amount > 0)
        family->value += amount;
}

void
bz_metrics_set (bz_metrics_t *self, int id, double value)
{
    family_t *family = s_family (self, id, BZ_METRIC_GAUGE);
    if (family && isfinite (value))
        family->value = value;
}

void
bz_metrics_observe (bz_metrics_t *self, int id, double value)
{
    family_t *family = s_family (self, id, BZ_METRIC_HISTOGRAM);
    if (!family || !isfinite (value))
        return;
    family->value += value;
    family->count++;
    for (size_t i = 0; i < family->buckets; i++)
        if (value <= family->bounds [i]) {
            family->counts [i]++;
            break;
        }
}

//  --------------------------------------------------------------------------
//  process_*

static double
s_open_fds (void)
{
    DIR *dir = opendir ("/proc/self/fd");
    if (!dir)
        return NAN;
    double count = 0;
    for (struct dirent *entry = readdir (dir); entry; entry = readdir (dir))
        if (entry->d_name [0] != '.')
            count++;
    closedir (dir);
    return count - 1;           //  the directory's own descriptor
}

void
bz_metrics_update_process (bz_metrics_t *self)
{
    assert (self);
    if (!self->process_declared) {
        self->process_declared = true;
        self->process [0] = bz_metrics_gauge (self, "process_resident_memory_bytes",
                                              "Resident memory size in bytes.");
        self->process [1] = bz_metrics_counter (self, "process_cpu_seconds_total",
                                                "Total user and system CPU time spent in seconds.");
        self->process [2] = bz_metrics_gauge (self, "process_open_fds", "Number of open file descriptors.");
        self->process [3] = bz_metrics_gauge (self, "process_start_time_seconds",
                                              "Start time of the process since unix epoch in seconds.");
    }
    double ticks = (double) sysconf (_SC_CLK_TCK), page = (double) sysconf (_SC_PAGESIZE);
    long pages = 0;
    FILE *statm = fopen ("/proc/self/statm", "r");
    if (statm) {
        long total;
        if (fscanf (statm, "%ld %ld", &total, &pages) != 2)
            pages = 0;
        fclose (statm);
    }
    bz_metrics_set (self, self->process [0], (double) pages * page);
    //  /proc/self/stat: the command may hold spaces and parentheses; fields after
    //  the last ')' are fixed: utime is the 12th of them, stime 13th, starttime 20th
    char line [1024] = "";
    FILE *stat = fopen ("/proc/self/stat", "r");
    if (stat) {
        if (!fgets (line, sizeof line, stat))
            *line = 0;
        fclose (stat);
    }
    char *rest = strrchr (line, ')');
    unsigned long long utime = 0, stime = 0, start = 0;
    if (rest && sscanf (rest + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu"
                        " %*d %*d %*d %*d %*d %*d %llu", &utime, &stime, &start) == 3) {
        family_t *cpu = s_family (self, self->process [1], BZ_METRIC_COUNTER);
        if (cpu)
            cpu->value = (double) (utime + stime) / ticks;
        double boot = NAN;
        FILE *proc = fopen ("/proc/stat", "r");
        char buffer [256];
        while (proc && fgets (buffer, sizeof buffer, proc))
            if (sscanf (buffer, "btime %lf", &boot) == 1)
                break;
        if (proc)
            fclose (proc);
        bz_metrics_set (self, self->process [3], boot + (double) start / ticks);
    }
    bz_metrics_set (self, self->process [2], s_open_fds ());
}

//  --------------------------------------------------------------------------
//  Wire

void
bz_metrics_encode (bz_metrics_t *self, zmsg_t *msg)
{
    assert (self && msg);
    zmsg_addstrf (msg, "version %s", *self->version? self->version: "unknown");
    for (size_t i = 0; i < self->count; i++) {
        family_t *f = &self->families [i];
        char text [2048];
        int n = snprintf (text, sizeof text, "%s %s %s\n%.17g", f->name, s_types [f->type], f->help,
                          f->value);
        if (f->type == BZ_METRIC_HISTOGRAM) {
            n += snprintf (text + n, sizeof text - (size_t) n, " %" PRIu64, f->count);
            uint64_t cumulative = 0;
            for (size_t b = 0; b < f->buckets; b++) {
                cumulative += f->counts [b];
                n += snprintf (text + n, sizeof text - (size_t) n, " %.17g:%" PRIu64,
                               f->bounds [b], cumulative);
            }
        }
        zmsg_addmem (msg, text, strlen (text));
    }
}

static bool
s_fail (char *error, size_t error_size, const char *why, size_t frame)
{
    snprintf (error, error_size, "metrics frame %zu: %s", frame, why);
    return false;
}

//  A number at *at, finite and not negative; moves *at past it.
static bool
s_number (const char **at, const char *end, double *value)
{
    char buffer [64];
    size_t length = 0;
    while (*at + length < end && !strchr (" :", (*at) [length]) && length < sizeof buffer - 1)
        length++;
    if (length == 0 || length == sizeof buffer - 1)
        return false;
    memcpy (buffer, *at, length);
    buffer [length] = 0;
    char *stop;
    *value = strtod (buffer, &stop);
    *at += length;
    return *stop == 0 && isfinite (*value) && *value >= 0;
}

//  One family frame into the registry.
static bool
s_decode_family (bz_metrics_t *self, const char *text, size_t size, size_t frame,
                 char *error, size_t error_size)
{
    const char *end = text + size, *newline = memchr (text, '\n', size);
    const char *space = memchr (text, ' ', size);
    if (!newline || !space || space > newline)
        return s_fail (error, error_size, "not '<name> <type> <help>\\n<values>'", frame);
    char name [BZ_METRICS_NAME_MAX + 1], help [BZ_METRICS_HELP_MAX + 1];
    size_t name_len = (size_t) (space - text);
    if (!s_valid_name (text, name_len))
        return s_fail (error, error_size, "bad metric name", frame);
    memcpy (name, text, name_len);
    name [name_len] = 0;
    const char *type = space + 1, *type_end = memchr (type, ' ', (size_t) (newline - type));
    if (!type_end)
        type_end = newline;
    int kind = -1;
    for (int k = 0; k < 3; k++)
        if ((size_t) (type_end - type) == strlen (s_types [k]) && !memcmp (type, s_types [k], strlen (s_types [k])))
            kind = k;
    size_t help_len = type_end < newline? (size_t) (newline - type_end - 1): 0;
    if (kind < 0)
        return s_fail (error, error_size, "bad metric type", frame);
    if (!s_valid_help (type_end + 1, help_len))
        return s_fail (error, error_size, "bad help text", frame);
    memcpy (help, type_end + 1, help_len);
    help [help_len] = 0;
    int id = s_declare (self, name, help, (bz_metric_type_t) kind);
    if (id < 0)
        return s_fail (error, error_size, "a repeated name, or too many families", frame);
    family_t *f = &self->families [id];
    const char *at = newline + 1;
    if (!s_number (&at, end, &f->value))
        return s_fail (error, error_size, "bad value", frame);
    if (kind == BZ_METRIC_HISTOGRAM) {
        double count, previous = 0;
        if (at == end || *at++ != ' ' || !s_number (&at, end, &count) || count != floor (count))
            return s_fail (error, error_size, "bad histogram count", frame);
        f->count = (uint64_t) count;
        while (at < end) {
            double bound, cumulative;
            if (f->buckets == BZ_METRICS_BUCKETS_MAX || *at++ != ' ' || !s_number (&at, end, &bound)
            ||  at == end || *at++ != ':' || !s_number (&at, end, &cumulative)
            ||  cumulative != floor (cumulative) || cumulative < previous || cumulative > count
            ||  (f->buckets > 0 && bound <= f->bounds [f->buckets - 1]))
                return s_fail (error, error_size, "bad histogram bucket", frame);
            f->bounds [f->buckets] = bound;
            f->counts [f->buckets++] = (uint64_t) (cumulative - previous);
            previous = cumulative;
        }
    }
    else
    if (at != end)
        return s_fail (error, error_size, "trailing bytes after the value", frame);
    return true;
}

bz_metrics_t *
bz_metrics_decode (zmsg_t *msg, zframe_t *first, size_t count, char *error, size_t error_size)
{
    assert (msg && error);
    bz_metrics_t *self = bz_metrics_new (NULL);
    zframe_t *frame = first;
    bool ok = count >= 1 && count <= BZ_METRICS_FAMILIES_MAX + 1;
    if (!ok)
        s_fail (error, error_size, "wrong frame count", 0);
    for (size_t i = 0; ok && i < count; i++) {
        if (i > 0)
            frame = zmsg_next (msg);    //  leaves the cursor on the last frame read
        if (!frame || zframe_size (frame) == 0 || zframe_size (frame) > 2048) {
            ok = s_fail (error, error_size, "missing, empty or over 2048 bytes", i);
            break;
        }
        const char *text = (const char *) zframe_data (frame);
        size_t size = zframe_size (frame);
        if (i == 0) {
            ok = size > 8 && size - 8 <= VERSION_MAX && !memcmp (text, "version ", 8);
            for (size_t c = 8; ok && c < size; c++)
                ok = isalnum ((unsigned char) text [c]) || strchr ("._+-", text [c]);
            if (ok) {
                memcpy (self->version, text + 8, size - 8);
                self->version [size - 8] = 0;
            }
            else
                s_fail (error, error_size, "not 'version <build>'", i);
        }
        else
            ok = s_decode_family (self, text, size, i, error, error_size);
    }
    if (!ok)
        bz_metrics_destroy (&self);
    return self;
}

//  --------------------------------------------------------------------------
//  Prometheus text

static bool
s_append (char *buffer, size_t size, size_t *used, const char *format, ...)
{
    if (*used >= size)
        return false;
    va_list args;
    va_start (args, format);
    int n = vsnprintf (buffer + *used, size - *used, format, args);
    va_end (args);
    if (n < 0 || (size_t) n >= size - *used) {
        *used = size;
        return false;
    }
    *used += (size_t) n;
    return true;
}

static family_t *
s_find (bz_metrics_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++)
        if (streq (self->families [i].name, name))
            return &self->families [i];
    return NULL;
}

//  One registry's samples of a family.
static void
s_render_samples (const family_t *f, const char *labels, char *buffer, size_t size, size_t *used)
{
    const char *comma = *labels? ",": "";
    if (f->type != BZ_METRIC_HISTOGRAM) {
        s_append (buffer, size, used, "%s{%s} %.17g\n", f->name, labels, f->value);
        return;
    }
    uint64_t cumulative = 0;
    for (size_t b = 0; b < f->buckets; b++) {
        cumulative += f->counts [b];
        s_append (buffer, size, used, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", f->name, labels,
                  comma, f->bounds [b], cumulative);
    }
    s_append (buffer, size, used, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n%s_sum{%s} %.17g\n"
              "%s_count{%s} %" PRIu64 "\n", f->name, labels, comma, f->count,
              f->name, labels, f->value, f->name, labels, f->count);
}

bool
bz_metrics_render (bz_metrics_t **registries, const char **labels, size_t count,
                   char *buffer, size_t size, size_t *used)
{
    assert (buffer && used);
    //  Families in the order they first appear, each rendered once across registries
    for (size_t r = 0; r < count; r++) {
        if (!registries [r])
            continue;
        for (size_t i = 0; i < registries [r]->count; i++) {
            const family_t *f = &registries [r]->families [i];
            bool seen = false;
            for (size_t earlier = 0; earlier < r && !seen; earlier++)
                seen = registries [earlier] && s_find (registries [earlier], f->name);
            if (seen)
                continue;
            s_append (buffer, size, used, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
                      f->name, s_types [f->type]);
            for (size_t other = r; other < count; other++) {
                const family_t *g = registries [other]? s_find (registries [other], f->name): NULL;
                if (g && g->type == f->type)
                    s_render_samples (g, labels [other], buffer, size, used);
            }
        }
    }
    s_append (buffer, size, used, "# HELP bazaar_build_info The build each service runs.\n"
                                  "# TYPE bazaar_build_info gauge\n");
    for (size_t r = 0; r < count; r++)
        if (registries [r] && *registries [r]->version)
            s_append (buffer, size, used, "bazaar_build_info{%s%sversion=\"%s\"} 1\n", labels [r],
                      *labels [r]? ",": "", registries [r]->version);
    return *used < size;
}
