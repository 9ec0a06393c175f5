#include "core/core.h"
#include "metrics/metrics.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>


/* The value on the line that starts with "name " in a rendered body, or NaN. */
static double
sample(const char *body, const char *name)
{
    char        prefix[256];
    const char *p = body;
    size_t      n;

    n = (size_t)snprintf(prefix, sizeof prefix, "%s ", name);
    while (p && *p) {
        if (strncmp(p, prefix, n) == 0)
            return strtod(p + n, NULL);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NAN;
}


/* Whole-text comparison that shows both texts on a mismatch (too long for ASSERT_STR). */
static void
expect_text(const char *got, const char *want)
{
    int same = got && strcmp(got, want) == 0;

    if (!same)
        fprintf(stderr, "--- want\n%s--- got\n%s---\n", want, got ? got : "(null)");
    ASSERT(same);
}


TEST(metrics_render_small_registry_exactly)
{
    static const char *const verb_code[] = {"verb", "code"};
    static const char *const ctl[] = {"controller"};
    static const double      buckets[] = {0.1, 1};
    metrics_registry        *r = NULL;
    metrics_counter_vec     *req = NULL, *unused = NULL;
    metrics_counter         *get200 = NULL, *list500 = NULL, *again = NULL;
    metrics_gauge           *depth = NULL;
    metrics_histogram_vec   *dur = NULL;
    metrics_histogram       *h = NULL;
    core_buf                 out;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_counter_vec_new(r, "dbaas_api_requests_total", "API requests.", verb_code, 2,
                                      &req),
              CORE_OK);
    ASSERT_EQ(metrics_counter_vec_new(r, "dbaas_unused_total", "Never used.", ctl, 1, &unused),
              CORE_OK);
    ASSERT_EQ(metrics_gauge_new(r, "dbaas_workqueue_depth", "Queue depth.", &depth), CORE_OK);
    ASSERT_EQ(metrics_histogram_vec_new(r, "dbaas_reconcile_duration_seconds", "Reconcile time.",
                                        ctl, 1, buckets, 2, &dur),
              CORE_OK);
    ASSERT_EQ(metrics_counter_with(req, (const char *const[]){"GET", "200"}, &get200), CORE_OK);
    ASSERT_EQ(metrics_counter_with(req, (const char *const[]){"LIST", "500"}, &list500), CORE_OK);
    ASSERT_EQ(metrics_counter_with(req, (const char *const[]){"GET", "200"}, &again), CORE_OK);
    ASSERT(again == get200); /* one series per label set */
    metrics_counter_add(get200, 2);
    metrics_counter_inc(again);
    metrics_counter_inc(list500);
    metrics_gauge_set(depth, 9);
    metrics_gauge_add(depth, -2);
    ASSERT_EQ(metrics_histogram_with(dur, (const char *const[]){"dbinstance"}, &h), CORE_OK);
    metrics_histogram_observe(h, 0.0625);
    metrics_histogram_observe(h, 0.5);
    metrics_histogram_observe(h, 2);

    core_buf_init(&out, 1 << 20);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    expect_text(out.data,
                "# HELP dbaas_api_requests_total API requests.\n"
                "# TYPE dbaas_api_requests_total counter\n"
                "dbaas_api_requests_total{verb=\"GET\",code=\"200\"} 3\n"
                "dbaas_api_requests_total{verb=\"LIST\",code=\"500\"} 1\n"
                "# HELP dbaas_workqueue_depth Queue depth.\n"
                "# TYPE dbaas_workqueue_depth gauge\n"
                "dbaas_workqueue_depth 7\n"
                "# HELP dbaas_reconcile_duration_seconds Reconcile time.\n"
                "# TYPE dbaas_reconcile_duration_seconds histogram\n"
                "dbaas_reconcile_duration_seconds_bucket{controller=\"dbinstance\",le=\"0.1\"} 1\n"
                "dbaas_reconcile_duration_seconds_bucket{controller=\"dbinstance\",le=\"1\"} 2\n"
                "dbaas_reconcile_duration_seconds_bucket{controller=\"dbinstance\",le=\"+Inf\"} 3\n"
                "dbaas_reconcile_duration_seconds_sum{controller=\"dbinstance\"} 2.5625\n"
                "dbaas_reconcile_duration_seconds_count{controller=\"dbinstance\"} 3\n");
    core_buf_free(&out);
    metrics_registry_free(r);
}


TEST(metrics_label_values_and_help_are_escaped)
{
    static const char *const labels[] = {"path"};
    metrics_registry        *r = NULL;
    metrics_gauge_vec       *v = NULL;
    metrics_gauge           *g = NULL;
    core_buf                 out;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_gauge_vec_new(r, "x", "C:\\dir\nsecond \"line\"", labels, 1, &v), CORE_OK);
    ASSERT_EQ(metrics_gauge_with(v, (const char *const[]){"a\"b\\c\nd"}, &g), CORE_OK);
    metrics_gauge_set(g, 0.1);
    ASSERT_EQ(metrics_gauge_with(v, (const char *const[]){NULL}, &g), CORE_OK);
    metrics_gauge_set(g, -1.5e20);
    core_buf_init(&out, 4096);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    /* HELP escapes backslash and newline only; label values also escape the quote. */
    ASSERT_STR(out.data, "# HELP x C:\\\\dir\\nsecond \"line\"\n"
                         "# TYPE x gauge\n"
                         "x{path=\"a\\\"b\\\\c\\nd\"} 0.1\n"
                         "x{path=\"\"} -1.5e+20\n");
    core_buf_free(&out);
    metrics_registry_free(r);
}


TEST(metrics_histogram_buckets_are_cumulative)
{
    static const double buckets[] = {1, 2, 5};
    static const double seen[] = {0.5, 1, 1.5, 3, 7, 100, -4};
    metrics_registry   *r = NULL;
    metrics_histogram  *h = NULL;
    core_buf            out;
    size_t              i;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_histogram_new(r, "h_seconds", "h", buckets, 3, &h), CORE_OK);
    for (i = 0; i < sizeof seen / sizeof seen[0]; i++)
        metrics_histogram_observe(h, seen[i]);
    ASSERT_EQ(metrics_histogram_count(h), 7);
    ASSERT(metrics_histogram_sum(h) == 109);
    core_buf_init(&out, 4096);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    /* An upper bound is inclusive: 1 falls in le="1". -4 counts in every bucket. */
    ASSERT_CONTAINS(out.data, "h_seconds_bucket{le=\"1\"} 3\n"
                              "h_seconds_bucket{le=\"2\"} 4\n"
                              "h_seconds_bucket{le=\"5\"} 5\n"
                              "h_seconds_bucket{le=\"+Inf\"} 7\n"
                              "h_seconds_sum 109\n"
                              "h_seconds_count 7\n");
    core_buf_free(&out);
    metrics_registry_free(r);
}


static int
occurrences(const char *hay, const char *needle)
{
    int n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay++;
    }
    return n;
}


TEST(metrics_process_metrics_are_present_and_plausible)
{
    metrics_registry *r = NULL;
    core_buf          out;
    double            rss, vsz, cpu, start, fds, maxfds;
    double            now = (double)time(NULL);
    clock_t           until = clock() + CLOCKS_PER_SEC / 50;

    while (clock() < until)
        ; /* burn 20 ms of CPU, so there is some to report */
    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_process_register(r), CORE_OK);
    ASSERT_EQ(metrics_process_register(r), CORE_OK); /* a second call adds nothing */
    core_buf_init(&out, 1 << 16);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    ASSERT_CONTAINS(out.data, "# TYPE process_cpu_seconds_total counter\n");
    ASSERT_CONTAINS(out.data, "# TYPE process_resident_memory_bytes gauge\n");
    rss = sample(out.data, "process_resident_memory_bytes");
    vsz = sample(out.data, "process_virtual_memory_bytes");
    cpu = sample(out.data, "process_cpu_seconds_total");
    start = sample(out.data, "process_start_time_seconds");
    fds = sample(out.data, "process_open_fds");
    maxfds = sample(out.data, "process_max_fds");
    ASSERT(rss > 0 && rss < 64e9);
    ASSERT(vsz >= rss);
    ASSERT(cpu >= 0.019 && cpu < 3600);
    ASSERT(start > now - 3600 && start <= now + 1);
    ASSERT(fds >= 3 && fds < 10000); /* stdin, stdout, stderr at least */
    ASSERT(maxfds >= fds);
    ASSERT_EQ(occurrences(out.data, "# TYPE process_"), 6);
    core_buf_free(&out);
    metrics_registry_free(r);
}


#ifdef __GLIBC__
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Whether malloc is glibc's: ASan and valgrind bring their own, which mallinfo2 does not see. */
static int
malloc_is_glibcs(void)
{
    char  *maps = NULL;
    size_t len;
    int    rc = !UNDER_ASAN && core_read_file("/proc/self/maps", 1 << 24, &maps, &len) == CORE_OK &&
             !strstr(maps, "vgpreload");

    free(maps);
    return rc;
}


static double
heap_sample(metrics_registry *r, const char *name)
{
    core_buf out;
    double   v;

    core_buf_init(&out, 1 << 16);
    if (metrics_render(r, &out) != CORE_OK)
        return NAN;
    v = sample(out.data, name);
    core_buf_free(&out);
    return v;
}


TEST(metrics_heap_in_use_follows_malloc)
{
    metrics_registry *r = NULL;
    double            before, during, after;
    size_t            n = 4u << 20;
    char             *block;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_process_register(r), CORE_OK);
    before = heap_sample(r, "dbaas_heap_inuse_bytes");
    ASSERT(before >= 0);
    ASSERT(heap_sample(r, "dbaas_heap_free_bytes") >= 0);
    block = malloc(n);
    ASSERT(block != NULL);
    memset(block, 1, n);
    during = heap_sample(r, "dbaas_heap_inuse_bytes");
    free(block);
    after = heap_sample(r, "dbaas_heap_inuse_bytes");
    if (malloc_is_glibcs()) {
        ASSERT(during - before >= (double)n);
        ASSERT(during - after >= (double)n);
    }
    metrics_registry_free(r);
}
#endif


TEST(metrics_reject_bad_names_labels_and_buckets)
{
    static const char *const le[] = {"le"};
    static const char *const dup[] = {"a", "a"};
    static const char *const reserved[] = {"__name"};
    static const char *const bad[] = {"a-b"};
    static const double      down[] = {1, 0.5};
    static const double      inf[] = {1, INFINITY};
    metrics_registry        *r = NULL;
    metrics_counter_vec     *c = NULL;
    metrics_counter         *one = NULL;
    metrics_histogram_vec   *h = NULL;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_counter_vec_new(r, "9lives", "", NULL, 0, &c), CORE_EINVAL);
    ASSERT_EQ(metrics_counter_vec_new(r, "a b", "", NULL, 0, &c), CORE_EINVAL);
    ASSERT_EQ(metrics_counter_vec_new(r, "", "", NULL, 0, &c), CORE_EINVAL);
    ASSERT_EQ(metrics_counter_vec_new(r, "ok", "", dup, 2, &c), CORE_EINVAL);
    ASSERT_EQ(metrics_counter_vec_new(r, "ok", "", reserved, 1, &c), CORE_EINVAL);
    ASSERT_EQ(metrics_counter_vec_new(r, "ok", "", bad, 1, &c), CORE_EINVAL);
    ASSERT_EQ(metrics_histogram_vec_new(r, "h", "", le, 1, NULL, 0, &h), CORE_EINVAL);
    ASSERT_EQ(metrics_histogram_vec_new(r, "h", "", NULL, 0, down, 2, &h), CORE_EINVAL);
    ASSERT_EQ(metrics_histogram_vec_new(r, "h", "", NULL, 0, inf, 2, &h), CORE_EINVAL);
    ASSERT(c == NULL && h == NULL);
    ASSERT_EQ(metrics_counter_vec_new(r, "ns:ok_total", "", le, 1, &c), CORE_OK);
    ASSERT_EQ(metrics_counter_new(r, "ns:ok_total", "", &one), CORE_EINVAL); /* duplicate */
    ASSERT_EQ(metrics_func_new(r, "f", "", METRICS_HISTOGRAM, NULL, NULL), CORE_EINVAL);
    metrics_registry_free(r);
}


TEST(metrics_series_are_bounded)
{
    static const char *const labels[] = {"n"};
    metrics_registry        *r = NULL;
    metrics_counter_vec     *v = NULL;
    metrics_counter         *c = NULL;
    char                     value[METRICS_MAX_VALUE + 2];
    int                      i;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_counter_vec_new(r, "c_total", "", labels, 1, &v), CORE_OK);
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    ASSERT_EQ(metrics_counter_with(v, (const char *const[]){value}, &c), CORE_ETOOBIG);
    for (i = 0; i < METRICS_MAX_SERIES; i++) {
        snprintf(value, sizeof value, "%d", i);
        ASSERT_EQ(metrics_counter_with(v, (const char *const[]){value}, &c), CORE_OK);
    }
    ASSERT_EQ(metrics_counter_with(v, (const char *const[]){"one more"}, &c), CORE_ETOOBIG);
    ASSERT(c == NULL);
    ASSERT_EQ(metrics_counter_with(v, (const char *const[]){"7"}, &c), CORE_OK); /* old ones work */
    metrics_registry_free(r);
}


TEST(metrics_render_respects_buffer_cap)
{
    metrics_registry *r = NULL;
    metrics_counter  *c = NULL;
    core_buf          out;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_counter_new(r, "a_rather_long_metric_name_total", "Some help text.", &c),
              CORE_OK);
    core_buf_init(&out, 40);
    ASSERT_EQ(metrics_render(r, &out), CORE_ETOOBIG);
    ASSERT(out.data == NULL && out.len == 0);
    metrics_registry_free(r);
}


TEST(metrics_empty_registry_renders_empty_body)
{
    metrics_registry *r = NULL;
    core_buf          out;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    core_buf_init(&out, 16);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    ASSERT_STR(out.data, "");
    core_buf_free(&out);
    metrics_registry_free(r);
}


static double
fixed_value(void *data)
{
    return *(double *)data;
}


TEST(metrics_func_values_are_read_at_render_time)
{
    metrics_registry *r = NULL;
    core_buf          out;
    double            v = 1;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_func_new(r, "live_items", "Items.", METRICS_GAUGE, fixed_value, &v), CORE_OK);
    v = 42.25;
    core_buf_init(&out, 1024);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    ASSERT_STR(out.data, "# HELP live_items Items.\n# TYPE live_items gauge\nlive_items 42.25\n");
    core_buf_free(&out);
    v = NAN;
    core_buf_init(&out, 1024);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    ASSERT_CONTAINS(out.data, "live_items NaN\n");
    core_buf_free(&out);
    metrics_registry_free(r);
}


TEST(metrics_std_families_render_with_standard_names)
{
    metrics_registry *r = NULL;
    metrics_std       m;
    metrics_counter  *c = NULL;
    metrics_gauge    *g = NULL;
    core_buf          out;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_std_register(r, &m), CORE_OK);
    ASSERT_EQ(metrics_std_api_request(&m, "GET", 200), CORE_OK);
    ASSERT_EQ(metrics_std_api_request(&m, "GET", 200), CORE_OK);
    ASSERT_EQ(metrics_std_api_request(&m, "PATCH", 0), CORE_OK);
    ASSERT_EQ(metrics_std_reconcile(&m, "dbinstance", "success", 0.03), CORE_OK);
    ASSERT_EQ(metrics_std_reconcile(&m, "dbinstance", "error", 12), CORE_OK);
    ASSERT_EQ(metrics_counter_with(m.watch_relists, (const char *const[]){"pods"}, &c), CORE_OK);
    metrics_counter_inc(c);
    ASSERT_EQ(metrics_gauge_with(m.queue_depth, (const char *const[]){"dbinstance"}, &g), CORE_OK);
    metrics_gauge_set(g, 5);
    ASSERT_EQ(metrics_std_informer_errors(&m, "widgets.demo.dbaas.dev", "list", 2), CORE_OK);
    ASSERT_EQ(metrics_std_informer_errors(&m, "widgets.demo.dbaas.dev", "list", 1), CORE_OK);
    core_buf_init(&out, 1 << 20);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    ASSERT_CONTAINS(out.data, "dbaas_api_requests_total{verb=\"GET\",code=\"200\"} 2\n");
    ASSERT_CONTAINS(out.data, "dbaas_api_requests_total{verb=\"PATCH\",code=\"0\"} 1\n");
    ASSERT_CONTAINS(out.data,
                    "dbaas_reconciles_total{controller=\"dbinstance\",result=\"success\"} 1\n");
    ASSERT_CONTAINS(out.data, "dbaas_reconcile_duration_seconds_bucket"
                              "{controller=\"dbinstance\",le=\"0.025\"} 0\n"
                              "dbaas_reconcile_duration_seconds_bucket"
                              "{controller=\"dbinstance\",le=\"0.05\"} 1\n");
    ASSERT_CONTAINS(out.data, "dbaas_reconcile_duration_seconds_bucket"
                              "{controller=\"dbinstance\",le=\"10\"} 1\n"
                              "dbaas_reconcile_duration_seconds_bucket"
                              "{controller=\"dbinstance\",le=\"+Inf\"} 2\n");
    ASSERT_CONTAINS(out.data, "dbaas_watch_relists_total{resource=\"pods\"} 1\n");
    ASSERT_CONTAINS(out.data, "dbaas_workqueue_depth{name=\"dbinstance\"} 5\n");
    ASSERT_CONTAINS(out.data, "dbaas_informer_errors_total"
                              "{resource=\"widgets.demo.dbaas.dev\",op=\"list\"} 3\n");
    ASSERT_CONTAINS(out.data, "# TYPE process_start_time_seconds gauge\n");
    ASSERT(strstr(out.data, "dbaas_watch_restarts_total") == NULL); /* no series yet */
    core_buf_free(&out);
    metrics_registry_free(r);
}


TEST(metrics_gauge_remove_drops_series_by_label_prefix)
{
    static const char *const labels[] = {"kind", "name", "version"};
    metrics_registry        *r = NULL;
    metrics_gauge_vec       *v = NULL;
    metrics_gauge           *g = NULL;
    core_buf                 out;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_gauge_vec_new(r, "obj_info", "Objects.", labels, 3, &v), CORE_OK);
    ASSERT(metrics_gauge_vec_find(r, "obj_info") == v);
    ASSERT(metrics_gauge_vec_find(r, "process_nothing") == NULL);
    ASSERT_EQ(metrics_gauge_with(v, (const char *const[]){"DB", "a", "16"}, &g), CORE_OK);
    metrics_gauge_set(g, 1);
    ASSERT_EQ(metrics_gauge_with(v, (const char *const[]){"DB", "a", "17"}, &g), CORE_OK);
    metrics_gauge_set(g, 1);
    ASSERT_EQ(metrics_gauge_with(v, (const char *const[]){"DB", "b", "16"}, &g), CORE_OK);
    metrics_gauge_set(g, 1);
    ASSERT_EQ(metrics_gauge_with(v, (const char *const[]){"HA", "a", "16"}, &g), CORE_OK);
    metrics_gauge_set(g, 1);

    ASSERT_EQ(metrics_gauge_remove(v, (const char *const[]){"DB", "a"}, 0), CORE_EINVAL);
    ASSERT_EQ(metrics_gauge_remove(v, (const char *const[]){"DB", "a", "16", "x"}, 4), CORE_EINVAL);
    /* Exact: one series; then a prefix: every series of DB/a, none of the others. */
    ASSERT_EQ(metrics_gauge_remove(v, (const char *const[]){"DB", "a", "17"}, 3), 1);
    ASSERT_EQ(metrics_gauge_with(v, (const char *const[]){"DB", "a", "17"}, &g), CORE_OK);
    metrics_gauge_set(g, 1);
    ASSERT_EQ(metrics_gauge_remove(v, (const char *const[]){"DB", "a"}, 2), 2);
    ASSERT_EQ(metrics_gauge_remove(v, (const char *const[]){"DB", "a"}, 2), 0);
    core_buf_init(&out, 1 << 16);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    expect_text(out.data, "# HELP obj_info Objects.\n# TYPE obj_info gauge\n"
                          "obj_info{kind=\"DB\",name=\"b\",version=\"16\"} 1\n"
                          "obj_info{kind=\"HA\",name=\"a\",version=\"16\"} 1\n");
    core_buf_free(&out);
    /* Removing the last series keeps the family consistent: new series append and render. */
    ASSERT_EQ(metrics_gauge_remove(v, (const char *const[]){"HA"}, 1), 1);
    ASSERT_EQ(metrics_gauge_remove(v, (const char *const[]){"DB"}, 1), 1);
    core_buf_init(&out, 1 << 16);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    ASSERT_STR(out.data, "");
    core_buf_free(&out);
    ASSERT_EQ(metrics_gauge_with(v, (const char *const[]){"X", "y", "z"}, &g), CORE_OK);
    metrics_gauge_set(g, 2);
    core_buf_init(&out, 1 << 16);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    ASSERT(sample(out.data, "obj_info{kind=\"X\",name=\"y\",version=\"z\"}") == 2);
    core_buf_free(&out);
    metrics_registry_free(r);
}


/* The index: values that would collide if joined ("a:b","c" against "a","b:c") stay apart;
 * a lookup creates nothing; a series removed from the middle leaves the rest in order. */
TEST(metrics_gauge_lookup_and_index)
{
    static const char *const labels[] = {"x", "y"};
    metrics_registry        *r = NULL;
    metrics_gauge_vec       *v = NULL;
    metrics_gauge           *g = NULL, *h = NULL;
    core_buf                 out;

    ASSERT_EQ(metrics_registry_new(&r), CORE_OK);
    ASSERT_EQ(metrics_gauge_vec_new(r, "idx", "Index.", labels, 2, &v), CORE_OK);
    ASSERT_EQ(metrics_gauge_lookup(v, (const char *const[]){"a", "b"}, &g), CORE_ENOENT);
    ASSERT(g == NULL);
    ASSERT_EQ(metrics_gauge_with(v, (const char *const[]){"a:b", "c"}, &g), CORE_OK);
    metrics_gauge_set(g, 1);
    ASSERT_EQ(metrics_gauge_with(v, (const char *const[]){"a", "b:c"}, &h), CORE_OK);
    ASSERT(g != h);
    metrics_gauge_set(h, 2);
    ASSERT_EQ(metrics_gauge_with(v, (const char *const[]){"z", NULL}, &g), CORE_OK);
    metrics_gauge_set(g, 3);
    ASSERT_EQ(metrics_gauge_lookup(v, (const char *const[]){"a", "b:c"}, &g), CORE_OK);
    ASSERT(g == h);
    ASSERT_EQ(metrics_gauge_lookup(v, (const char *const[]){"z", ""}, &g), CORE_OK);
    ASSERT_EQ(metrics_gauge_remove(v, (const char *const[]){"a", "b:c"}, 2), 1);
    ASSERT_EQ(metrics_gauge_remove(v, (const char *const[]){"a", "b:c"}, 2), 0);
    ASSERT_EQ(metrics_gauge_lookup(v, (const char *const[]){"a", "b:c"}, &g), CORE_ENOENT);
    core_buf_init(&out, 1 << 16);
    ASSERT_EQ(metrics_render(r, &out), CORE_OK);
    expect_text(out.data, "# HELP idx Index.\n# TYPE idx gauge\n"
                          "idx{x=\"a:b\",y=\"c\"} 1\n"
                          "idx{x=\"z\",y=\"\"} 3\n");
    core_buf_free(&out);
    metrics_registry_free(r);
}
