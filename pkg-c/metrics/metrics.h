/*
 * metrics: counters, gauges and histograms with labels, rendered in the Prometheus text
 * exposition format 0.0.4.
 *
 * A registry owns families (one metric name each, with fixed label names) and their
 * series (one per set of label values). Look a series up once, keep the handle, and the
 * hot path is a plain add:
 *
 *   metrics_counter *ok = NULL;
 *   metrics_counter_with(m.reconciles, (const char *[]){"dbinstance", "success"}, &ok);
 *   metrics_counter_inc(ok);
 *
 * Handles stay valid until metrics_registry_free, except a gauge series removed with
 * metrics_gauge_remove.
 * Label values are copied. Keep them low-cardinality (verbs, codes, controllers, results,
 * resources), never object names, except in gauges whose series are removed with the object
 * (metrics_gauge_remove): each family holds at most METRICS_MAX_SERIES series.
 * Label values and help text should be UTF-8; they are escaped, not validated.
 *
 * Threads: not thread-safe. Update and render from the loop thread only. Rendering runs
 * the registered computed metrics (process metrics read /proc/self, which is memory,
 * not disk), so it does not block the loop on I/O.
 */
#ifndef DBAAS_METRICS_H
#define DBAAS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_MAX_LABELS   8
#define METRICS_MAX_BUCKETS  32
#define METRICS_MAX_SERIES   16384
#define METRICS_MAX_VALUE    256 /* bytes in one label value */

typedef enum {
    METRICS_COUNTER = 0,
    METRICS_GAUGE = 1,
    METRICS_HISTOGRAM = 2
} metrics_type;

typedef struct metrics_registry      metrics_registry;
typedef struct metrics_counter_vec   metrics_counter_vec;
typedef struct metrics_gauge_vec     metrics_gauge_vec;
typedef struct metrics_histogram_vec metrics_histogram_vec;
typedef struct metrics_counter       metrics_counter;
typedef struct metrics_gauge         metrics_gauge;
typedef struct metrics_histogram     metrics_histogram;

/* A value computed at render time (e.g. memory in use). Runs on the rendering thread. */
typedef double (*metrics_value_fn)(void *data);

int metrics_registry_new(metrics_registry **out);

/* Frees the registry, its families and every handle obtained from it. NULL is a no-op. */
void metrics_registry_free(metrics_registry *r);

/*
 * Families. name must match [a-zA-Z_:][a-zA-Z0-9_:]* and be new in the registry; label
 * names match [a-zA-Z_][a-zA-Z0-9_]*, do not start with "__", are distinct, and a
 * histogram may not use "le". help is copied. Returns CORE_EINVAL for a bad or duplicate
 * name, CORE_ENOMEM. The family belongs to the registry.
 */
int metrics_counter_vec_new(metrics_registry *r, const char *name, const char *help,
                            const char *const *labels, size_t nlabels, metrics_counter_vec **out);
int metrics_gauge_vec_new(metrics_registry *r, const char *name, const char *help,
                          const char *const *labels, size_t nlabels, metrics_gauge_vec **out);

/* Bucket upper bounds must be finite and strictly increasing; +Inf is implied. */
int metrics_histogram_vec_new(metrics_registry *r, const char *name, const char *help,
                              const char *const *labels, size_t nlabels, const double *buckets,
                              size_t nbuckets, metrics_histogram_vec **out);

/*
 * The series for these label values (one per label name, in order; NULL reads as ""),
 * created at zero on first use. CORE_ETOOBIG when the family is full or a value is over
 * METRICS_MAX_VALUE, CORE_ENOMEM.
 */
int metrics_counter_with(metrics_counter_vec *v, const char *const *values, metrics_counter **out);
int metrics_gauge_with(metrics_gauge_vec *v, const char *const *values, metrics_gauge **out);
int metrics_histogram_with(metrics_histogram_vec *v, const char *const *values,
                           metrics_histogram **out);

/*
 * Removes every series of v whose first n label values equal values[0..n-1] (NULL reads as
 * ""): n == the family's label count removes one series, fewer removes all that share the
 * prefix (every series of one object, whatever its other labels). Returns how many were
 * removed (0 or more), or CORE_EINVAL for n of 0 or over the label count. A removed
 * series' handle is freed: drop it before the call. For per-object series, so that a
 * deleted object's series go and a family's cardinality follows the number of objects.
 */
int metrics_gauge_remove(metrics_gauge_vec *v, const char *const *values, size_t n);

/* The gauge series for these label values when it exists (nothing is created): CORE_OK with
 * *out, CORE_ENOENT (also for a value over METRICS_MAX_VALUE), CORE_EINVAL. A hash lookup,
 * as metrics_*_with and a removal by every label are. */
int metrics_gauge_lookup(metrics_gauge_vec *v, const char *const *values, metrics_gauge **out);

/* The gauge family name registered in r (by metrics_gauge_vec_new), or NULL: for modules
 * that share a family without sharing a pointer. */
metrics_gauge_vec *metrics_gauge_vec_find(metrics_registry *r, const char *name);

/* A family without labels and its one series, in one call. */
int metrics_counter_new(metrics_registry *r, const char *name, const char *help,
                        metrics_counter **out);
int metrics_gauge_new(metrics_registry *r, const char *name, const char *help, metrics_gauge **out);
int metrics_histogram_new(metrics_registry *r, const char *name, const char *help,
                          const double *buckets, size_t nbuckets, metrics_histogram **out);

/* A counter or gauge without labels whose value fn computes at render time. */
int metrics_func_new(metrics_registry *r, const char *name, const char *help, metrics_type type,
                     metrics_value_fn fn, void *data);

/* The hot path: no lookups, no allocation. */
void     metrics_counter_add(metrics_counter *c, uint64_t n);
void     metrics_counter_inc(metrics_counter *c);
uint64_t metrics_counter_value(const metrics_counter *c);
void     metrics_gauge_set(metrics_gauge *g, double v);
void     metrics_gauge_add(metrics_gauge *g, double delta);
double   metrics_gauge_value(const metrics_gauge *g);
void     metrics_histogram_observe(metrics_histogram *h, double v);
uint64_t metrics_histogram_count(const metrics_histogram *h);
double   metrics_histogram_sum(const metrics_histogram *h);

/*
 * Appends the whole registry to out, families in registration order, series in creation
 * order. A labelled family with no series yet is left out. On error out has been freed
 * (core_buf rules: CORE_ETOOBIG past its cap, CORE_ENOMEM).
 */
int metrics_render(metrics_registry *r, core_buf *out);

/*
 * Process metrics computed at render time: process_cpu_seconds_total (getrusage),
 * process_resident_memory_bytes and process_virtual_memory_bytes (/proc/self/statm),
 * process_start_time_seconds (/proc/self/stat and /proc/stat, read once here),
 * process_open_fds and process_max_fds; with glibc also dbaas_heap_inuse_bytes and
 * dbaas_heap_free_bytes (mallinfo2(3), all arenas: what malloc handed out and not got back,
 * and what it got back and keeps; together they tell a leak, where in-use grows, from
 * fragmentation, where only free does). A value that cannot be read renders as NaN.
 * Registering twice is harmless (metrics_std_register already does it).
 */
int metrics_process_register(metrics_registry *r);

/* Seconds, for reconcile durations: 1 ms .. 10 s. */
#define METRICS_DURATION_BUCKETS \
    { \
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 \
    }

/*
 * The operator's standard metrics, registered together so names stay consistent:
 *   dbaas_api_requests_total{verb,code}           Kubernetes API requests by verb and HTTP code
 *   dbaas_watch_restarts_total{resource}          watches re-opened
 *   dbaas_watch_relists_total{resource}           full relists (e.g. after 410 Gone), all the
 *                                                 resource's informers together
 *   dbaas_informers{resource}                     informers (list-watch caches) of a resource:
 *                                                 one per label selector, one per named watch
 *   dbaas_informer_errors_total{resource,op}      failed lists and watches (op: list, watch)
 *   dbaas_workqueue_depth{name}                   items waiting in a work queue
 *   dbaas_informer_objects{resource}              objects in the informer caches of a resource
 *                                                 (all its informers: selectors, named watches)
 *   dbaas_reconciles_total{controller,result}     reconciles by outcome
 *   dbaas_reconcile_duration_seconds{controller}  reconcile wall time
 * plus the process metrics above. The families belong to the registry.
 */
typedef struct {
    metrics_counter_vec   *api_requests;
    metrics_counter_vec   *watch_restarts;
    metrics_counter_vec   *watch_relists;
    metrics_counter_vec   *informer_errors;
    metrics_gauge_vec     *queue_depth;
    metrics_gauge_vec     *informer_objects;
    metrics_gauge_vec     *informers;
    metrics_counter_vec   *reconciles;
    metrics_histogram_vec *reconcile_duration;
} metrics_std;

int metrics_std_register(metrics_registry *r, metrics_std *m);

/* Counts one API request; status 0 (no answer) is recorded as code "0". */
int metrics_std_api_request(const metrics_std *m, const char *verb, long status);

/* Adds n failed requests of op ("list" or "watch") for resource. */
int metrics_std_informer_errors(const metrics_std *m, const char *resource, const char *op,
                                uint64_t n);

/* Counts one reconcile and observes its duration in seconds. */
int metrics_std_reconcile(const metrics_std *m, const char *controller, const char *result,
                          double seconds);

#endif
