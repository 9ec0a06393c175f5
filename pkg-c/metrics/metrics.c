#include "metrics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "hmap/hmap.h"

typedef struct family_s family_t;
typedef struct series_s series_t;

struct metrics_counter {
    uint64_t value;
};

struct metrics_gauge {
    double value;
};

struct metrics_histogram {
    const family_t *family;
    uint64_t        counts[METRICS_MAX_BUCKETS + 1]; /* per bucket, last is +Inf; not cumulative */
    double          sum;
    uint64_t        count;
};

/* One allocation: the series, then its label values back to back. A histogram's buckets
 * (some 290 bytes) are an allocation of their own, so that a counter's or a gauge's series,
 * of which there are several per object (ctrl_metrics), does not carry them. */
struct series_s {
    series_t *next, *prev;
    union {
        struct metrics_counter    c;
        struct metrics_gauge      g;
        struct metrics_histogram *h;
    } u;
    const char *values[METRICS_MAX_LABELS];
    char        strings[];
};

struct family_s {
    family_t        *next;
    metrics_type     type;
    char            *name;
    char            *help;
    size_t           nlabels;
    char            *labels[METRICS_MAX_LABELS];
    size_t           nbuckets;
    double           buckets[METRICS_MAX_BUCKETS];
    series_t        *series, *last;
    size_t           nseries;
    hmap            *index; /* series_key -> series, made with the first series */
    metrics_value_fn fn;    /* computed family: no series, fn gives the value */
    void            *fn_data;
};


static void
series_free(const family_t *f, series_t *s)
{
    if (f->type == METRICS_HISTOGRAM)
        free(s->u.h);
    free(s);
}


/* Typed views of a family, so a gauge handle cannot be passed where a counter goes. */
struct metrics_counter_vec {
    family_t f;
};

struct metrics_gauge_vec {
    family_t f;
};

struct metrics_histogram_vec {
    family_t f;
};

struct metrics_registry {
    family_t *families, *last;
    double    start_time; /* process start, read once by metrics_process_register */
    int       process;    /* process metrics registered */
};


int
metrics_registry_new(metrics_registry **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? CORE_OK : CORE_ENOMEM;
}


static void
family_free(family_t *f)
{
    series_t *s, *next;
    size_t    i;

    for (s = f->series; s; s = next) {
        next = s->next;
        series_free(f, s);
    }
    hmap_free(f->index, NULL);
    for (i = 0; i < f->nlabels; i++)
        free(f->labels[i]);
    free(f->name);
    free(f->help);
    free(f);
}


void
metrics_registry_free(metrics_registry *r)
{
    family_t *f, *next;

    if (!r)
        return;
    for (f = r->families; f; f = next) {
        next = f->next;
        family_free(f);
    }
    free(r);
}


static int
valid_name(const char *s, int colons)
{
    const char *p;

    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || (colons && *p == ':')))
            return 0;
    return 1;
}


static int
check_labels(metrics_type type, const char *const *labels, size_t nlabels)
{
    size_t i, j;

    if (nlabels > METRICS_MAX_LABELS || (nlabels && !labels))
        return CORE_EINVAL;
    for (i = 0; i < nlabels; i++) {
        if (!valid_name(labels[i], 0) || strncmp(labels[i], "__", 2) == 0)
            return CORE_EINVAL;
        if (type == METRICS_HISTOGRAM && strcmp(labels[i], "le") == 0)
            return CORE_EINVAL;
        for (j = 0; j < i; j++)
            if (strcmp(labels[i], labels[j]) == 0)
                return CORE_EINVAL;
    }
    return CORE_OK;
}


static int
check_buckets(const double *buckets, size_t nbuckets)
{
    size_t i;

    if (nbuckets > METRICS_MAX_BUCKETS || (nbuckets && !buckets))
        return CORE_EINVAL;
    for (i = 0; i < nbuckets; i++) {
        if (!isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1]))
            return CORE_EINVAL;
    }
    return CORE_OK;
}


static family_t *
find_family(const metrics_registry *r, const char *name)
{
    family_t *f;

    for (f = r->families; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}


/* Validates and links a new family; labels and buckets are copied. */
static int
family_add(metrics_registry *r, metrics_type type, const char *name, const char *help,
           const char *const *labels, size_t nlabels, const double *buckets, size_t nbuckets,
           family_t **out)
{
    family_t *f = NULL;
    size_t    i;
    int       rc;

    *out = NULL;
    if (!r || !valid_name(name, 1) || find_family(r, name))
        return CORE_EINVAL;
    rc = check_labels(type, labels, nlabels);
    if (rc)
        return rc;
    rc = check_buckets(buckets, nbuckets);
    if (rc)
        return rc;
    f = calloc(1, sizeof *f);
    if (!f)
        return CORE_ENOMEM;
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    if (!f->name || !f->help)
        goto nomem;
    for (i = 0; i < nlabels; i++) {
        f->labels[i] = strdup(labels[i]);
        if (!f->labels[i])
            goto nomem;
        f->nlabels++;
    }
    if (nbuckets)
        memcpy(f->buckets, buckets, nbuckets * sizeof *buckets);
    f->nbuckets = nbuckets;
    if (r->last)
        r->last->next = f;
    else
        r->families = f;
    r->last = f;
    *out = f;
    return CORE_OK;
nomem:
    family_free(f);
    return CORE_ENOMEM;
}


/* The index key of n label values: each value's length, ':', the value (NULL reads as ""),
 * so that no value can pass for two. Fits SERIES_KEY_MAX. */
#define SERIES_KEY_MAX (METRICS_MAX_LABELS * (METRICS_MAX_VALUE + 8))
static void
series_key(const char *const *values, size_t n, char *buf)
{
    size_t i, used = 0, len;

    for (i = 0; i < n; i++) {
        const char *v = values[i] ? values[i] : "";

        len = strlen(v);
        used += (size_t)snprintf(buf + used, SERIES_KEY_MAX - used, "%zu:", len);
        memcpy(buf + used, v, len);
        used += len;
    }
    buf[used] = '\0';
}


/* The series for values, or NULL. Values are checked to fit METRICS_MAX_VALUE first. */
static series_t *
series_find(const family_t *f, const char *const *values)
{
    char key[SERIES_KEY_MAX + 1];

    if (!f->index)
        return NULL;
    series_key(values, f->nlabels, key);
    return hmap_get(f->index, key);
}


/* Unlinks s from f and frees it. */
static void
series_drop(family_t *f, series_t *s)
{
    char key[SERIES_KEY_MAX + 1];

    series_key(s->values, f->nlabels, key);
    hmap_del(f->index, key, NULL);
    if (s->prev)
        s->prev->next = s->next;
    else
        f->series = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        f->last = s->prev;
    f->nseries--;
    series_free(f, s);
}


/* Whether every value fits METRICS_MAX_VALUE; their total size with NULs in *total. */
static int
values_fit(const family_t *f, const char *const *values, size_t *len, size_t *total)
{
    size_t i;

    *total = 0;
    if (f->nlabels && !values)
        return 0;
    for (i = 0; i < f->nlabels; i++) {
        len[i] = strlen(values[i] ? values[i] : "");
        if (len[i] > METRICS_MAX_VALUE)
            return 0;
        *total += len[i] + 1;
    }
    return 1;
}


/* The series for values, created on first use (found through the family's index). */
static int
series_get(family_t *f, const char *const *values, series_t **out)
{
    series_t *s;
    size_t    i, len[METRICS_MAX_LABELS], total = 0;
    char     *p, key[SERIES_KEY_MAX + 1];

    *out = NULL;
    if (f->nlabels && !values)
        return CORE_EINVAL;
    if (!values_fit(f, values, len, &total))
        return CORE_ETOOBIG;
    if ((s = series_find(f, values))) {
        *out = s;
        return CORE_OK;
    }
    if (f->nseries >= METRICS_MAX_SERIES)
        return CORE_ETOOBIG;
    if (!f->index && hmap_new(0, &f->index))
        return CORE_ENOMEM;
    s = calloc(1, sizeof *s + total);
    if (!s)
        return CORE_ENOMEM;
    if (f->type == METRICS_HISTOGRAM) {
        if (!(s->u.h = calloc(1, sizeof *s->u.h))) {
            free(s);
            return CORE_ENOMEM;
        }
        s->u.h->family = f;
    }
    p = s->strings;
    for (i = 0; i < f->nlabels; i++) {
        memcpy(p, values[i] ? values[i] : "", len[i] + 1);
        s->values[i] = p;
        p += len[i] + 1;
    }
    series_key(values, f->nlabels, key);
    if (hmap_put(f->index, key, s, NULL)) {
        series_free(f, s);
        return CORE_ENOMEM;
    }
    s->prev = f->last;
    if (f->last)
        f->last->next = s;
    else
        f->series = s;
    f->last = s;
    f->nseries++;
    *out = s;
    return CORE_OK;
}


int
metrics_counter_vec_new(metrics_registry *r, const char *name, const char *help,
                        const char *const *labels, size_t nlabels, metrics_counter_vec **out)
{
    family_t *f = NULL;
    int       rc;

    rc = family_add(r, METRICS_COUNTER, name, help, labels, nlabels, NULL, 0, &f);
    *out = (metrics_counter_vec *)f;
    return rc;
}


int
metrics_gauge_vec_new(metrics_registry *r, const char *name, const char *help,
                      const char *const *labels, size_t nlabels, metrics_gauge_vec **out)
{
    family_t *f = NULL;
    int       rc;

    rc = family_add(r, METRICS_GAUGE, name, help, labels, nlabels, NULL, 0, &f);
    *out = (metrics_gauge_vec *)f;
    return rc;
}


int
metrics_histogram_vec_new(metrics_registry *r, const char *name, const char *help,
                          const char *const *labels, size_t nlabels, const double *buckets,
                          size_t nbuckets, metrics_histogram_vec **out)
{
    family_t *f = NULL;
    int       rc;

    rc = family_add(r, METRICS_HISTOGRAM, name, help, labels, nlabels, buckets, nbuckets, &f);
    *out = (metrics_histogram_vec *)f;
    return rc;
}


int
metrics_counter_with(metrics_counter_vec *v, const char *const *values, metrics_counter **out)
{
    series_t *s = NULL;
    int       rc;

    *out = NULL;
    if (!v)
        return CORE_EINVAL;
    rc = series_get(&v->f, values, &s);
    if (rc)
        return rc;
    *out = &s->u.c;
    return CORE_OK;
}


int
metrics_gauge_with(metrics_gauge_vec *v, const char *const *values, metrics_gauge **out)
{
    series_t *s = NULL;
    int       rc;

    *out = NULL;
    if (!v)
        return CORE_EINVAL;
    rc = series_get(&v->f, values, &s);
    if (rc)
        return rc;
    *out = &s->u.g;
    return CORE_OK;
}


/* Whether s's first n label values equal values (NULL reads as ""). */
static int
series_match(const series_t *s, const char *const *values, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(s->values[i], values[i] ? values[i] : "") != 0)
            return 0;
    return 1;
}


int
metrics_gauge_remove(metrics_gauge_vec *v, const char *const *values, size_t n)
{
    family_t *f;
    series_t *s, *next;
    size_t    len[METRICS_MAX_LABELS], total;
    int       removed = 0;

    if (!v || n == 0 || n > v->f.nlabels || !values)
        return CORE_EINVAL;
    f = &v->f;
    if (n == f->nlabels) {
        if (!values_fit(f, values, len, &total) || !(s = series_find(f, values)))
            return 0;
        series_drop(f, s);
        return 1;
    }
    for (s = f->series; s; s = next) {
        next = s->next;
        if (series_match(s, values, n)) {
            series_drop(f, s);
            removed++;
        }
    }
    return removed;
}


int
metrics_gauge_lookup(metrics_gauge_vec *v, const char *const *values, metrics_gauge **out)
{
    size_t    len[METRICS_MAX_LABELS], total;
    series_t *s;

    *out = NULL;
    if (!v || (v->f.nlabels && !values))
        return CORE_EINVAL;
    if (!values_fit(&v->f, values, len, &total) || !(s = series_find(&v->f, values)))
        return CORE_ENOENT;
    *out = &s->u.g;
    return CORE_OK;
}


metrics_gauge_vec *
metrics_gauge_vec_find(metrics_registry *r, const char *name)
{
    family_t *f = r && name ? find_family(r, name) : NULL;

    return f && f->type == METRICS_GAUGE && !f->fn ? (metrics_gauge_vec *)f : NULL;
}


int
metrics_histogram_with(metrics_histogram_vec *v, const char *const *values, metrics_histogram **out)
{
    series_t *s = NULL;
    int       rc;

    *out = NULL;
    if (!v)
        return CORE_EINVAL;
    rc = series_get(&v->f, values, &s);
    if (rc)
        return rc;
    *out = s->u.h;
    return CORE_OK;
}


int
metrics_counter_new(metrics_registry *r, const char *name, const char *help, metrics_counter **out)
{
    metrics_counter_vec *v = NULL;
    int                  rc;

    *out = NULL;
    rc = metrics_counter_vec_new(r, name, help, NULL, 0, &v);
    if (rc)
        return rc;
    return metrics_counter_with(v, NULL, out);
}


int
metrics_gauge_new(metrics_registry *r, const char *name, const char *help, metrics_gauge **out)
{
    metrics_gauge_vec *v = NULL;
    int                rc;

    *out = NULL;
    rc = metrics_gauge_vec_new(r, name, help, NULL, 0, &v);
    if (rc)
        return rc;
    return metrics_gauge_with(v, NULL, out);
}


int
metrics_histogram_new(metrics_registry *r, const char *name, const char *help,
                      const double *buckets, size_t nbuckets, metrics_histogram **out)
{
    metrics_histogram_vec *v = NULL;
    int                    rc;

    *out = NULL;
    rc = metrics_histogram_vec_new(r, name, help, NULL, 0, buckets, nbuckets, &v);
    if (rc)
        return rc;
    return metrics_histogram_with(v, NULL, out);
}


int
metrics_func_new(metrics_registry *r, const char *name, const char *help, metrics_type type,
                 metrics_value_fn fn, void *data)
{
    family_t *f = NULL;
    int       rc;

    if (!fn || (type != METRICS_COUNTER && type != METRICS_GAUGE))
        return CORE_EINVAL;
    rc = family_add(r, type, name, help, NULL, 0, NULL, 0, &f);
    if (rc)
        return rc;
    f->fn = fn;
    f->fn_data = data;
    return CORE_OK;
}


void
metrics_counter_add(metrics_counter *c, uint64_t n)
{
    c->value += n;
}


void
metrics_counter_inc(metrics_counter *c)
{
    c->value++;
}


uint64_t
metrics_counter_value(const metrics_counter *c)
{
    return c->value;
}


void
metrics_gauge_set(metrics_gauge *g, double v)
{
    g->value = v;
}


void
metrics_gauge_add(metrics_gauge *g, double delta)
{
    g->value += delta;
}


double
metrics_gauge_value(const metrics_gauge *g)
{
    return g->value;
}


/* Buckets are few (at most METRICS_MAX_BUCKETS), so a linear scan beats anything clever. */
void
metrics_histogram_observe(metrics_histogram *h, double v)
{
    size_t i, n = h->family->nbuckets;

    for (i = 0; i < n; i++)
        if (v <= h->family->buckets[i])
            break;
    h->counts[i]++;
    h->count++;
    h->sum += v;
}


uint64_t
metrics_histogram_count(const metrics_histogram *h)
{
    return h->count;
}


double
metrics_histogram_sum(const metrics_histogram *h)
{
    return h->sum;
}


/*
 * A sample value as Prometheus reads it: integers without exponent or fraction, other
 * values in the shortest form that reads back to the same double.
 */
static void
format_value(char *buf, size_t len, double v)
{
    int prec;

    if (isnan(v)) {
        snprintf(buf, len, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    /* The range check comes first so the cast is defined; no libm (the build links none). */
    if (v > -1e15 && v < 1e15 && v == (double)(long long)v) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
    snprintf(buf, len, "%.17g", v);
}


/* HELP text escapes only backslash and newline; label values also escape the quote. */
static int
add_escaped(core_buf *out, const char *s, int quote)
{
    const char *p, *start = s;
    const char *rep;
    int         rc;

    for (p = s; *p; p++) {
        if (*p == '\\')
            rep = "\\\\";
        else if (*p == '\n')
            rep = "\\n";
        else if (quote && *p == '"')
            rep = "\\\"";
        else
            continue;
        rc = core_buf_add(out, start, (size_t)(p - start));
        if (rc)
            return rc;
        rc = core_buf_add(out, rep, 2);
        if (rc)
            return rc;
        start = p + 1;
    }
    return core_buf_add(out, start, (size_t)(p - start));
}


/* name{a="x",b="y",le="0.5"} value */
static int
render_sample(core_buf *out, const family_t *f, const series_t *s, const char *suffix,
              const char *le, const char *value)
{
    size_t i;
    int    rc;
    int    any = s && f->nlabels > 0;

    rc = core_buf_printf(out, "%s%s", f->name, suffix);
    if (rc)
        return rc;
    if (any || le) {
        rc = core_buf_add(out, "{", 1);
        if (rc)
            return rc;
    }
    for (i = 0; any && i < f->nlabels; i++) {
        rc = core_buf_printf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
        if (rc)
            return rc;
        rc = add_escaped(out, s->values[i], 1);
        if (rc)
            return rc;
        rc = core_buf_add(out, "\"", 1);
        if (rc)
            return rc;
    }
    if (le) {
        rc = core_buf_printf(out, "%sle=\"%s\"", any ? "," : "", le);
        if (rc)
            return rc;
    }
    if (any || le) {
        rc = core_buf_add(out, "}", 1);
        if (rc)
            return rc;
    }
    return core_buf_printf(out, " %s\n", value);
}


static int
render_histogram(core_buf *out, const family_t *f, const series_t *s)
{
    const struct metrics_histogram *h = s->u.h;
    char                            le[32], value[32];
    uint64_t                        cumulative = 0;
    size_t                          i;
    int                             rc;

    for (i = 0; i <= f->nbuckets; i++) {
        cumulative += h->counts[i];
        if (i < f->nbuckets)
            format_value(le, sizeof le, f->buckets[i]);
        else
            snprintf(le, sizeof le, "+Inf");
        snprintf(value, sizeof value, "%llu", (unsigned long long)cumulative);
        rc = render_sample(out, f, s, "_bucket", le, value);
        if (rc)
            return rc;
    }
    format_value(value, sizeof value, h->sum);
    rc = render_sample(out, f, s, "_sum", NULL, value);
    if (rc)
        return rc;
    snprintf(value, sizeof value, "%llu", (unsigned long long)h->count);
    return render_sample(out, f, s, "_count", NULL, value);
}


static const char *
type_name(metrics_type t)
{
    switch (t) {
    case METRICS_COUNTER: return "counter";
    case METRICS_GAUGE: return "gauge";
    case METRICS_HISTOGRAM: return "histogram";
    }
    return "untyped";
}


static int
render_family(core_buf *out, const family_t *f)
{
    const series_t *s;
    char            value[32];
    int             rc;

    if (!f->fn && !f->series)
        return CORE_OK;
    rc = core_buf_printf(out, "# HELP %s ", f->name);
    if (rc)
        return rc;
    rc = add_escaped(out, f->help, 0);
    if (rc)
        return rc;
    rc = core_buf_printf(out, "\n# TYPE %s %s\n", f->name, type_name(f->type));
    if (rc)
        return rc;
    if (f->fn) {
        format_value(value, sizeof value, f->fn(f->fn_data));
        return render_sample(out, f, NULL, "", NULL, value);
    }
    for (s = f->series; s; s = s->next) {
        switch (f->type) {
        case METRICS_COUNTER:
            snprintf(value, sizeof value, "%llu", (unsigned long long)s->u.c.value);
            rc = render_sample(out, f, s, "", NULL, value);
            break;
        case METRICS_GAUGE:
            format_value(value, sizeof value, s->u.g.value);
            rc = render_sample(out, f, s, "", NULL, value);
            break;
        case METRICS_HISTOGRAM: rc = render_histogram(out, f, s); break;
        }
        if (rc)
            return rc;
    }
    return CORE_OK;
}


int
metrics_render(metrics_registry *r, core_buf *out)
{
    const family_t *f;
    int             rc;

    if (!r)
        return CORE_EINVAL;
    for (f = r->families; f; f = f->next) {
        rc = render_family(out, f);
        if (rc)
            return rc;
    }
    /* An empty registry still yields a valid (empty, NUL-terminated) body. */
    return core_buf_add(out, "", 0);
}


/* Reads a small /proc file into buf, NUL-terminated. -1 on failure. */
static ssize_t
read_proc(const char *path, char *buf, size_t len)
{
    ssize_t n, total = 0;
    int     fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while ((size_t)total < len - 1) {
        n = read(fd, buf + total, len - 1 - (size_t)total);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        total += n;
    }
    close(fd);
    buf[total] = '\0';
    return total > 0 ? total : -1;
}


static double
proc_cpu_seconds(void *data)
{
    struct rusage ru;

    (void)data;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return NAN;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}


/* Field 0 (size) or 1 (resident) of /proc/self/statm, in bytes. */
static double
statm_bytes(int field)
{
    char               buf[128];
    unsigned long long v[2];
    long               page = sysconf(_SC_PAGESIZE);

    if (read_proc("/proc/self/statm", buf, sizeof buf) < 0 || page <= 0)
        return NAN;
    if (sscanf(buf, "%llu %llu", &v[0], &v[1]) != 2)
        return NAN;
    return (double)v[field] * (double)page;
}


static double
proc_resident_bytes(void *data)
{
    (void)data;
    return statm_bytes(1);
}


static double
proc_virtual_bytes(void *data)
{
    (void)data;
    return statm_bytes(0);
}


static double
proc_start_time(void *data)
{
    const metrics_registry *r = data;

    return r->start_time;
}


static double
proc_open_fds(void *data)
{
    DIR           *d;
    struct dirent *e;
    long           n = 0;

    (void)data;
    d = opendir("/proc/self/fd");
    if (!d)
        return NAN;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return (double)(n - 1); /* not counting the descriptor that reads the directory */
}


static double
proc_max_fds(void *data)
{
    struct rlimit rl;

    (void)data;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return NAN;
    return rl.rlim_cur == RLIM_INFINITY ? INFINITY : (double)rl.rlim_cur;
}


/*
 * Start time from field 22 of /proc/self/stat (clock ticks after boot) plus btime from
 * /proc/stat. The command name in field 2 may hold spaces and parentheses, so fields are
 * counted from the last ')'.
 */
static double
read_start_time(void)
{
    char               stat[1024], sys[8192];
    const char        *p, *b;
    unsigned long long ticks, btime;
    long               hz = sysconf(_SC_CLK_TCK);
    int                field;

    if (read_proc("/proc/self/stat", stat, sizeof stat) < 0 || hz <= 0)
        return NAN;
    p = strrchr(stat, ')');
    if (!p)
        return NAN;
    p++;
    for (field = 2; field < 21 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p || sscanf(p, " %llu", &ticks) != 1)
        return NAN;
    if (read_proc("/proc/stat", sys, sizeof sys) < 0)
        return NAN;
    b = strstr(sys, "\nbtime ");
    if (!b || sscanf(b, "\nbtime %llu", &btime) != 1)
        return NAN;
    return (double)btime + (double)ticks / (double)hz;
}


#ifdef __GLIBC__
/*
 * glibc's malloc statistics, all arenas (mallinfo2(3)): in use is uordblks (small and
 * medium blocks handed out) plus hblkhd (blocks of their own, mmap'd); free is fordblks,
 * memory freed but kept by malloc (it counts in RSS until trimmed). Walks the free lists:
 * a few microseconds for the operator's heap, once per scrape.
 */
static double
heap_inuse_bytes(void *data)
{
    struct mallinfo2 mi = mallinfo2();

    (void)data;
    return (double)(mi.uordblks + mi.hblkhd);
}


static double
heap_free_bytes(void *data)
{
    struct mallinfo2 mi = mallinfo2();

    (void)data;
    return (double)mi.fordblks;
}
#endif


int
metrics_process_register(metrics_registry *r)
{
    int rc;

    if (!r)
        return CORE_EINVAL;
    if (r->process)
        return CORE_OK;
    r->start_time = read_start_time();
    rc = metrics_func_new(r, "process_cpu_seconds_total",
                          "Total user and system CPU time spent in seconds.", METRICS_COUNTER,
                          proc_cpu_seconds, NULL);
    if (rc)
        return rc;
    rc = metrics_func_new(r, "process_resident_memory_bytes", "Resident memory size in bytes.",
                          METRICS_GAUGE, proc_resident_bytes, NULL);
    if (rc)
        return rc;
    rc = metrics_func_new(r, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
                          METRICS_GAUGE, proc_virtual_bytes, NULL);
    if (rc)
        return rc;
    rc = metrics_func_new(r, "process_start_time_seconds",
                          "Start time of the process since unix epoch in seconds.", METRICS_GAUGE,
                          proc_start_time, r);
    if (rc)
        return rc;
    rc = metrics_func_new(r, "process_open_fds", "Number of open file descriptors.", METRICS_GAUGE,
                          proc_open_fds, NULL);
    if (rc)
        return rc;
    rc = metrics_func_new(r, "process_max_fds", "Maximum number of open file descriptors.",
                          METRICS_GAUGE, proc_max_fds, NULL);
    if (rc)
        return rc;
#ifdef __GLIBC__
    rc = metrics_func_new(r, "dbaas_heap_inuse_bytes",
                          "Bytes allocated with malloc and not freed (glibc mallinfo2).",
                          METRICS_GAUGE, heap_inuse_bytes, NULL);
    if (rc)
        return rc;
    rc = metrics_func_new(r, "dbaas_heap_free_bytes",
                          "Bytes freed but kept by malloc, resident until trimmed (glibc mallinfo2).",
                          METRICS_GAUGE, heap_free_bytes, NULL);
    if (rc)
        return rc;
#endif
    r->process = 1;
    return CORE_OK;
}


int
metrics_std_register(metrics_registry *r, metrics_std *m)
{
    static const char *const verb_code[] = {"verb", "code"};
    static const char *const resource[] = {"resource"};
    static const char *const resource_op[] = {"resource", "op"};
    static const char *const name[] = {"name"};
    static const char *const ctl_result[] = {"controller", "result"};
    static const char *const controller[] = {"controller"};
    static const double      buckets[] = METRICS_DURATION_BUCKETS;
    int                      rc;

    memset(m, 0, sizeof *m);
    rc = metrics_counter_vec_new(r, "dbaas_api_requests_total",
                                 "Kubernetes API requests by verb and HTTP status code.", verb_code,
                                 2, &m->api_requests);
    if (rc)
        return rc;
    rc = metrics_counter_vec_new(r, "dbaas_watch_restarts_total",
                                 "Watches re-opened after they ended, by resource.", resource, 1,
                                 &m->watch_restarts);
    if (rc)
        return rc;
    rc = metrics_counter_vec_new(r, "dbaas_watch_relists_total",
                                 "Full relists of a resource (e.g. after 410 Gone).", resource, 1,
                                 &m->watch_relists);
    if (rc)
        return rc;
    rc = metrics_counter_vec_new(r, "dbaas_informer_errors_total",
                                 "Failed lists and watches, by resource and op (list, watch).",
                                 resource_op, 2, &m->informer_errors);
    if (rc)
        return rc;
    rc = metrics_gauge_vec_new(r, "dbaas_workqueue_depth", "Items waiting in a work queue.", name,
                               1, &m->queue_depth);
    if (rc)
        return rc;
    rc = metrics_gauge_vec_new(r, "dbaas_informer_objects",
                               "Objects cached by the informers of a resource, all selectors and "
                               "named watches together.",
                               resource, 1, &m->informer_objects);
    if (rc)
        return rc;
    rc = metrics_gauge_vec_new(r, "dbaas_informers",
                               "Informers (list-watch caches) of a resource: one per label selector "
                               "and per object watched by name. Each relists on its own.",
                               resource, 1, &m->informers);
    if (rc)
        return rc;
    rc = metrics_counter_vec_new(r, "dbaas_reconciles_total", "Reconciles by controller and result.",
                                 ctl_result, 2, &m->reconciles);
    if (rc)
        return rc;
    rc = metrics_histogram_vec_new(r, "dbaas_reconcile_duration_seconds",
                                   "Time spent in one reconcile, in seconds.", controller, 1, buckets,
                                   sizeof buckets / sizeof buckets[0], &m->reconcile_duration);
    if (rc)
        return rc;
    return metrics_process_register(r);
}


int
metrics_std_informer_errors(const metrics_std *m, const char *resource, const char *op, uint64_t n)
{
    metrics_counter *c = NULL;
    int              rc;

    rc = metrics_counter_with(m->informer_errors, (const char *const[]){resource, op}, &c);
    if (rc)
        return rc;
    metrics_counter_add(c, n);
    return CORE_OK;
}


int
metrics_std_api_request(const metrics_std *m, const char *verb, long status)
{
    metrics_counter *c = NULL;
    char             code[24];
    int              rc;

    snprintf(code, sizeof code, "%ld", status);
    rc = metrics_counter_with(m->api_requests, (const char *const[]){verb, code}, &c);
    if (rc)
        return rc;
    metrics_counter_inc(c);
    return CORE_OK;
}


int
metrics_std_reconcile(const metrics_std *m, const char *controller, const char *result, double seconds)
{
    metrics_counter   *c = NULL;
    metrics_histogram *h = NULL;
    int                rc;

    rc = metrics_counter_with(m->reconciles, (const char *const[]){controller, result}, &c);
    if (rc)
        return rc;
    rc = metrics_histogram_with(m->reconcile_duration, (const char *const[]){controller}, &h);
    if (rc)
        return rc;
    metrics_counter_inc(c);
    metrics_histogram_observe(h, seconds);
    return CORE_OK;
}
