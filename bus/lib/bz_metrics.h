/*  bz_metrics: a small registry of counters, gauges and histograms that a service updates,
    sent to the broker over the bus (bz_worker) and rendered as Prometheus text (frontend).  */
#ifndef BZ_METRICS_H
#define BZ_METRICS_H

#include <czmq.h>

//  Limits of one registry, and of what a decoder accepts from the wire.
#define BZ_METRICS_FAMILIES_MAX 48
#define BZ_METRICS_BUCKETS_MAX  16
#define BZ_METRICS_NAME_MAX     64
#define BZ_METRICS_HELP_MAX     160

typedef enum { BZ_METRIC_COUNTER, BZ_METRIC_GAUGE, BZ_METRIC_HISTOGRAM } bz_metric_type_t;

typedef struct _bz_metrics_t bz_metrics_t;

//  An empty registry, for one thread: nothing in it is atomic. version is the build
//  (bazaar_build_info); NULL leaves it unset.
bz_metrics_t *bz_metrics_new (const char *version);
void bz_metrics_destroy (bz_metrics_t **self_p);

//  Declares a family and returns its id, or -1 when the name is not a Prometheus name,
//  the help is too long, the registry is full or the name is taken. bounds are a
//  histogram's bucket upper bounds, rising (the +Inf bucket is implied).
int bz_metrics_counter (bz_metrics_t *self, const char *name, const char *help);
int bz_metrics_gauge (bz_metrics_t *self, const char *name, const char *help);
int bz_metrics_histogram (bz_metrics_t *self, const char *name, const char *help,
                          const double *bounds, size_t count);

//  Updates a family by id; an id of -1 (a failed declaration) is ignored.
void bz_metrics_add (bz_metrics_t *self, int id, double amount);       //  counter
void bz_metrics_set (bz_metrics_t *self, int id, double value);        //  gauge
void bz_metrics_observe (bz_metrics_t *self, int id, double value);    //  histogram

//  Declares (once) and sets the process_* metrics of this process (CPU seconds a
//  counter, the rest gauges): resident memory,
//  CPU seconds, open file descriptors, start time (from /proc/self).
void bz_metrics_update_process (bz_metrics_t *self);

//  The registry as frames for the wire: a "version" frame, then one per family.
//  schemas/PROTOCOL.md describes them. Appends to msg.
void bz_metrics_encode (bz_metrics_t *self, zmsg_t *msg);

//  A registry from count frames starting at first, the current frame of msg (from
//  zmsg_first or zmsg_next), read on with zmsg_next: the cursor is left on the last. Every frame is checked: NULL,
//  with why in error, when any is malformed or over the limits above.
bz_metrics_t *bz_metrics_decode (zmsg_t *msg, zframe_t *first, size_t count,
                                 char *error, size_t error_size);

//  Renders registries as Prometheus text format 0.0.4, each sample labelled with its
//  registry's labels (e.g. `service="order",replica="2"`), one HELP/TYPE per family
//  name (the first registry that declares it decides its type; a registry that
//  disagrees is left out of that family). Appends at *used; false when buffer is full.
bool bz_metrics_render (bz_metrics_t **registries, const char **labels, size_t count,
                        char *buffer, size_t size, size_t *used);

#endif
