#include <stdio.h>
#include <unistd.h>

#include "core/core.h"
#include "kres/kres.h"
#include "log/log.h"
#include "runtime/runtime-int.h"
#include "test.h"

/* The API server, scripted: requests wait here until the test answers them by path. */
#define PEER_MAX 16

typedef struct {
    int          used;
    kube_done_cb cb;
    void        *data;
    char         path[512];
} peer_call;

static struct {
    peer_call calls[PEER_MAX];
    int       requests, cancels;
} peer;


static int
peer_request(kube_client *c, const kube_req *req, kube_done_cb cb, void *data, kube_call **call)
{
    int i;

    (void)c;
    for (i = 0; i < PEER_MAX && peer.calls[i].used; i++)
        ;
    ASSERT(i < PEER_MAX);
    peer.calls[i] = (peer_call){1, cb, data, ""};
    snprintf(peer.calls[i].path, sizeof peer.calls[i].path, "%s", req->path);
    peer.requests++;
    *call = (kube_call *)&peer.calls[i];
    return CORE_OK;
}


static void
peer_cancel(kube_call *call)
{
    ((peer_call *)call)->used = 0;
    peer.cancels++;
}


/* The request in flight whose path holds all of want and want2 (may be NULL), or NULL. */
static peer_call *
peer_find(const char *want, const char *want2)
{
    int i;

    for (i = 0; i < PEER_MAX; i++)
        if (peer.calls[i].used && strstr(peer.calls[i].path, want) &&
            (!want2 || strstr(peer.calls[i].path, want2)))
            return &peer.calls[i];
    return NULL;
}


static int
peer_pending(void)
{
    int i, n = 0;

    for (i = 0; i < PEER_MAX; i++)
        n += peer.calls[i].used;
    return n;
}


static void
peer_answer(peer_call *pc, long status, const char *body)
{
    kube_response res = {.status = status, .body = body, .body_len = strlen(body), .message = ""};

    ASSERT(pc != NULL);
    pc->used = 0;
    pc->cb(&res, pc->data);
}


typedef struct {
    int  reconciles;
    char last[128];
} tally;


static void
count_reconcile(rt_controller *ctl, const char *key, void *data)
{
    tally *t = data;

    t->reconciles++;
    snprintf(t->last, sizeof t->last, "%s", key);
    rt_controller_done(ctl, key, WQ_OK, 0);
}


static void
spin(uv_loop_t *loop)
{
    int i;

    for (i = 0; i < 8; i++)
        uv_run(loop, UV_RUN_NOWAIT);
}


static void
close_all(uv_loop_t *loop, rt *r)
{
    rt__free(r);
    ASSERT_EQ(peer_pending(), 0);
    ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(loop), 0);
}


static rt *
scripted_rt(uv_loop_t *loop)
{
    rt *r = NULL;

    memset(&peer, 0, sizeof peer);
    ASSERT_EQ(uv_loop_init(loop), 0);
    ASSERT_EQ(rt__new(loop, NULL, NULL, &r), CORE_OK);
    rt__set_transport(r, peer_request, peer_cancel);
    return r;
}


static const kres widgets = {"demo.dbaas.dev", "v1", "widgets", "Widget", 1};


TEST(runtime_one_informer_per_watched_set)
{
    uv_loop_t      loop;
    rt            *r = scripted_rt(&loop);
    rt_controller *a = NULL, *b = NULL;
    tally          ta = {0}, tb = {0};
    informer      *i1 = NULL, *i2 = NULL, *i3 = NULL, *other = NULL;
    informer_opts  o = {.res = &KRES_CONFIGMAPS, .namespace = "ns", .label_selector = "demo=1"};

    ASSERT_EQ(rt_controller_add(r, "a", count_reconcile, &ta, &a), CORE_OK);
    ASSERT_EQ(rt_controller_add(r, "b", count_reconcile, &tb, &b), CORE_OK);
    ASSERT_EQ(rt_controller_watch(a, &o, NULL, &i1), CORE_OK);
    ASSERT_EQ(rt_controller_watch(b, &o, "ConfigMap", &i2), CORE_OK);
    ASSERT_EQ(rt_informer(r, &o, &i3), CORE_OK);
    ASSERT(i1 != NULL);
    ASSERT(i1 == i2 && i2 == i3);
    ASSERT_EQ(rt__informer_count(r), 1);
    ASSERT_EQ(rt__subscription_count(r, i1), 2);
    ASSERT_EQ(rt_controller_watch(a, &o, NULL, NULL), CORE_OK); /* the same subscription */
    ASSERT_EQ(rt__subscription_count(r, i1), 2);

    /* Any difference in the set is another informer. */
    o.label_selector = "demo=2";
    ASSERT_EQ(rt_controller_watch(a, &o, NULL, &other), CORE_OK);
    ASSERT(other != i1);
    o.label_selector = "demo=1";
    o.namespace = "elsewhere";
    ASSERT_EQ(rt_controller_watch_by_label(a, &o, "app", &other), CORE_OK);
    ASSERT(other != i1);
    o.namespace = "ns";
    o.field_selector = "metadata.name=x";
    ASSERT_EQ(rt_informer(r, &o, &other), CORE_OK);
    ASSERT(other != i1);
    o.field_selector = NULL;
    o.res = &KRES_SECRETS;
    ASSERT_EQ(rt_informer(r, &o, &other), CORE_OK);
    ASSERT(other != i1);
    ASSERT_EQ(rt__informer_count(r), 5);

    /* The first caller chose the cache's shape; a later one may not change it. */
    o.res = &KRES_CONFIGMAPS;
    o.index_label = "app";
    ASSERT_EQ(rt_controller_watch(b, &o, NULL, NULL), CORE_EINVAL);
    ASSERT_EQ(rt_controller_watch_by_label(b, &o, NULL, NULL), CORE_EINVAL);

    /* One list per set, whatever the number of controllers. */
    rt__start_informers(r);
    ASSERT_EQ(peer.requests, 5);
    close_all(&loop, r);
}


TEST(runtime_named_watch_is_counted_and_stops_with_its_last_unwatch)
{
    uv_loop_t      loop;
    rt            *r = scripted_rt(&loop);
    rt_controller *ctl = NULL;
    tally          t = {0};
    informer      *inf;
    char           reason[128];

    ASSERT_EQ(rt_controller_add(r, "dbi", count_reconcile, &t, &ctl), CORE_OK);
    ASSERT_EQ(rt_controller_watch_named(ctl, &KRES_SECRETS, "ns", NULL, "ns/orders"), CORE_EINVAL);
    ASSERT_EQ(rt_controller_watch_named(ctl, &KRES_SECRETS, NULL, "pw", "ns/orders"), CORE_EINVAL);
    ASSERT_EQ(rt_controller_watch_named(ctl, &KRES_SECRETS, "ns", "pw", NULL), CORE_EINVAL);
    ASSERT(rt_named_informer(r, &KRES_SECRETS, "ns", "pw") == NULL);
    ASSERT_EQ(rt_controller_watch_named(ctl, &KRES_SECRETS, "ns", "pw", "ns/orders"), CORE_OK);
    ASSERT_EQ(rt_controller_watch_named(ctl, &KRES_SECRETS, "ns", "pw", "ns/orders"), CORE_OK);
    ASSERT_EQ(rt_controller_watch_named(ctl, &KRES_SECRETS, "ns", "pw", "ns/billing"), CORE_OK);
    inf = rt_named_informer(r, &KRES_SECRETS, "ns", "pw");
    ASSERT(inf != NULL);
    ASSERT(rt_named_informer(r, &KRES_SECRETS, "other", "pw") == NULL);
    ASSERT_EQ(rt__informer_count(r), 1);
    ASSERT_EQ(rt__subscription_count(r, inf), 2);

    rt__start_informers(r);
    ASSERT(peer_find("/api/v1/namespaces/ns/secrets?", "&fieldSelector=metadata.name%3Dpw"));
    ASSERT_EQ(peer_pending(), 1);
    peer_answer(peer_find("/secrets?", NULL), 200,
                "{\"metadata\":{\"resourceVersion\":\"3\"},\"items\":[{\"metadata\":"
                "{\"name\":\"pw\",\"namespace\":\"ns\",\"resourceVersion\":\"2\"}}]}");
    ASSERT_EQ(store_len(informer_store(inf)), 1);
    ASSERT_EQ(rt__controller_synced(ctl), 1);

    /* A spec that names a Secret later, from a reconcile: its list queues that key. */
    ASSERT_EQ(rt_controller_watch_named(ctl, &KRES_SECRETS, "ns", "late", "ns/late"), CORE_OK);
    ASSERT_EQ(rt__informer_count(r), 2);
    ASSERT_EQ(rt__ready(r, reason, sizeof reason), 1); /* named watches do not gate /readyz */
    peer_answer(peer_find("/secrets?", "metadata.name%3Dlate"), 200,
                "{\"metadata\":{\"resourceVersion\":\"4\"},\"items\":[]}");
    spin(&loop);
    ASSERT_EQ(t.reconciles, 1);
    ASSERT_STR(t.last, "ns/late");
    ASSERT_EQ(rt_controller_unwatch_named(ctl, &KRES_SECRETS, "ns", "late", "ns/late"), CORE_OK);

    ASSERT_EQ(rt_controller_unwatch_named(ctl, &KRES_SECRETS, "ns", "pw", "ns/orders"), CORE_OK);
    ASSERT_EQ(rt__subscription_count(r, inf), 2);
    ASSERT_EQ(rt_controller_unwatch_named(ctl, &KRES_SECRETS, "ns", "pw", "ns/orders"), CORE_OK);
    ASSERT_EQ(rt__subscription_count(r, inf), 1);
    ASSERT_EQ(rt_controller_unwatch_named(ctl, &KRES_SECRETS, "ns", "pw", "ns/orders"), CORE_ENOENT);
    ASSERT_EQ(peer.cancels, 1); /* "late" */
    ASSERT_EQ(rt_controller_unwatch_named(ctl, &KRES_SECRETS, "ns", "pw", "ns/billing"), CORE_OK);
    ASSERT_EQ(peer.cancels, 2); /* the watch ended with the last subscription */
    ASSERT_EQ(rt__informer_count(r), 0);
    ASSERT(rt_named_informer(r, &KRES_SECRETS, "ns", "pw") == NULL);
    ASSERT_EQ(rt_controller_unwatch_named(ctl, &KRES_SECRETS, "ns", "pw", "ns/billing"), CORE_ENOENT);
    close_all(&loop, r);
}


TEST(runtime_named_watch_on_a_pinned_set_keeps_it)
{
    uv_loop_t      loop;
    rt            *r = scripted_rt(&loop);
    rt_controller *ctl = NULL;
    tally          t = {0};
    informer      *pinned = NULL;
    informer_opts o = {.res = &KRES_SECRETS, .namespace = "ns", .field_selector = "metadata.name=pw"};

    ASSERT_EQ(rt_controller_add(r, "dbi", count_reconcile, &t, &ctl), CORE_OK);
    ASSERT_EQ(rt_informer(r, &o, &pinned), CORE_OK);
    ASSERT_EQ(rt_controller_watch_named(ctl, &KRES_SECRETS, "ns", "pw", "ns/orders"), CORE_OK);
    ASSERT(rt_named_informer(r, &KRES_SECRETS, "ns", "pw") == pinned);
    ASSERT_EQ(rt_controller_unwatch_named(ctl, &KRES_SECRETS, "ns", "pw", "ns/orders"), CORE_OK);
    ASSERT(rt_named_informer(r, &KRES_SECRETS, "ns", "pw") == pinned);
    close_all(&loop, r);
}


static size_t
count_lines(const char *text, const char *needle)
{
    size_t n = 0;

    for (; (text = strstr(text, needle)); text += strlen(needle))
        n++;
    return n;
}


static const char status_404[] =
    "{\"kind\":\"Status\",\"message\":\"the server could not find the requested resource\","
    "\"reason\":\"NotFound\",\"code\":404}";

static const char one_map[] =
    "{\"metadata\":{\"resourceVersion\":\"5\"},\"items\":[{\"metadata\":{\"name\":\"a\","
    "\"namespace\":\"ns\",\"resourceVersion\":\"4\"}}]}";

static const char no_widgets[] = "{\"metadata\":{\"resourceVersion\":\"8\"},\"items\":[]}";


TEST(runtime_missing_crd_blocks_nothing_and_requeues_when_it_appears)
{
    uv_loop_t      loop;
    rt            *r = scripted_rt(&loop);
    rt_controller *demo = NULL, *other = NULL;
    tally          td = {0}, tother = {0};
    informer      *w = NULL;
    informer_opts  maps = {.res = &KRES_CONFIGMAPS, .namespace = "ns"};
    informer_opts  wopts = {.res = &widgets, .namespace = "ns"};
    char           reason[128], logbuf[8192] = "";
    core_buf       out;
    FILE          *logf = tmpfile();
    size_t         n;

    ASSERT(logf != NULL);
    ASSERT_EQ(log_init(LOG_TEXT, LOG_INFO, fileno(logf)), CORE_OK);
    ASSERT_EQ(rt_controller_add(r, "demo", count_reconcile, &td, &demo), CORE_OK);
    ASSERT_EQ(rt_controller_add(r, "other", count_reconcile, &tother, &other), CORE_OK);
    ASSERT_EQ(rt_controller_watch(demo, &maps, NULL, NULL), CORE_OK);
    ASSERT_EQ(rt_controller_watch(demo, &wopts, "ConfigMap", &w), CORE_OK);
    ASSERT_EQ(rt_controller_watch(other, &maps, NULL, NULL), CORE_OK);
    rt__start_informers(r);
    ASSERT_EQ(peer.requests, 2);
    ASSERT_EQ(rt__ready(r, reason, sizeof reason), 0);
    ASSERT_CONTAINS(reason, "has not synced");

    peer_answer(peer_find("/configmaps?", NULL), 200, one_map);
    ASSERT_EQ(rt__controller_synced(other), 1);
    ASSERT_EQ(rt__controller_synced(demo), 0);
    ASSERT_EQ(rt__ready(r, reason, sizeof reason), 0);
    ASSERT_CONTAINS(reason, "widgets.demo.dbaas.dev");

    /* The CRD is missing: demo syncs anyway, /readyz is ready, one retry at a time. */
    peer_answer(peer_find("/apis/demo.dbaas.dev/v1/namespaces/ns/widgets?", NULL), 404, status_404);
    ASSERT_EQ(rt_informer_installed(w), 0);
    ASSERT_EQ(rt__controller_synced(demo), 1);
    ASSERT_EQ(rt__ready(r, reason, sizeof reason), 1);
    spin(&loop);
    ASSERT_EQ(td.reconciles, 1);
    ASSERT_STR(td.last, "ns/a");
    ASSERT_EQ(tother.reconciles, 1);
    informer__retry_now(w);
    peer_answer(peer_find("/widgets?", NULL), 404, status_404);
    informer__retry_now(w);
    ASSERT(peer_find("/widgets?", NULL) != NULL);

    /* It appears: served, and demo (not other) reconciles its primaries again. */
    peer_answer(peer_find("/widgets?", NULL), 200, no_widgets);
    ASSERT_EQ(rt_informer_installed(w), 1);
    spin(&loop);
    ASSERT_EQ(td.reconciles, 2);
    ASSERT_EQ(tother.reconciles, 1);

    core_buf_init(&out, 1 << 20);
    ASSERT_EQ(rt__render_metrics(r, &out), CORE_OK);
    ASSERT_CONTAINS(out.data,
                    "dbaas_informer_errors_total{resource=\"widgets.demo.dbaas.dev\",op=\"list\"} 1\n");
    /* Cache sizes per resource: the one ConfigMap, no Widget. */
    ASSERT_CONTAINS(out.data, "dbaas_informer_objects{resource=\"configmaps\"} 1\n");
    ASSERT_CONTAINS(out.data, "dbaas_informer_objects{resource=\"widgets.demo.dbaas.dev\"} 0\n");
    /* One informer each (relists count per resource: the test of faults divides by these). */
    ASSERT_CONTAINS(out.data, "dbaas_informers{resource=\"configmaps\"} 1\n");
    ASSERT_CONTAINS(out.data, "dbaas_informers{resource=\"widgets.demo.dbaas.dev\"} 1\n");
    core_buf_free(&out);

    rewind(logf);
    n = fread(logbuf, 1, sizeof logbuf - 1, logf);
    logbuf[n] = '\0';
    ASSERT_EQ(count_lines(logbuf, "resource not installed; waiting for its CRD"), 1);
    ASSERT_EQ(count_lines(logbuf, "resource installed"), 1);
    ASSERT(count_lines(logbuf, "resource=widgets.demo.dbaas.dev") >= 2);
    fclose(logf);
    close_all(&loop, r);
}


static void
note(void *data)
{
    char *order = data;

    order[strlen(order)] = (char)('0' + (int)strlen(order));
}


static int  order_pos;
static char order_seen[8];


static void
note_a(void *data)
{
    (void)data;
    order_seen[order_pos++] = 'a';
}


static void
note_b(void *data)
{
    (void)data;
    order_seen[order_pos++] = 'b';
}


TEST(runtime_cleanups_all_run_newest_first)
{
    uv_loop_t loop;
    rt       *r = scripted_rt(&loop);
    char      order[8] = "";

    ASSERT_EQ(rt_on_cleanup(r, note_a, NULL), CORE_OK);
    ASSERT_EQ(rt_on_cleanup(r, note_b, NULL), CORE_OK);
    ASSERT_EQ(rt_on_cleanup(r, note, order), CORE_OK);
    close_all(&loop, r);
    ASSERT_STR(order, "0");
    ASSERT_STR(order_seen, "ba");
}


/* --- the heap trimmer: after the last reconcile, never while one runs --------------------- */

static size_t
much_free(void)
{
    return (size_t)64 << 20;
}


static int trims_done;


static int
fake_trim(size_t pad)
{
    (void)pad;
    trims_done++;
    return 1;
}


static void
hold_reconcile(rt_controller *ctl, const char *key, void *data)
{
    tally *t = data;

    (void)ctl;
    t->reconciles++;
    snprintf(t->last, sizeof t->last, "%s", key); /* rt_controller_done comes later */
}


/* Runs the loop without blocking for at least ms (the trimmer's timer among its handles). */
static void
run_for(uv_loop_t *loop, uint64_t ms)
{
    uv_update_time(loop);
    for (uint64_t t0 = uv_now(loop); uv_now(loop) - t0 < ms; uv_update_time(loop)) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
}


TEST(runtime_trims_the_heap_once_the_controllers_are_idle)
{
    uv_loop_t      loop;
    rt            *r = scripted_rt(&loop);
    rt_controller *demo = NULL;
    tally          td = {0};
    informer_opts  maps = {.res = &KRES_CONFIGMAPS, .namespace = "ns"};
    memtrim_opts   o = {.quiet_ms = 10, .gap_ms = 10, .free_bytes = much_free, .trim = fake_trim};

    trims_done = 0;
    ASSERT_EQ(rt__set_trim(r, &o), CORE_OK);
    ASSERT_EQ(rt_controller_add(r, "demo", hold_reconcile, &td, &demo), CORE_OK);
    ASSERT_EQ(rt_controller_watch(demo, &maps, NULL, NULL), CORE_OK);
    rt__start_informers(r);
    peer_answer(peer_find("/configmaps?", NULL), 200, one_map);
    ASSERT_EQ(rt__controller_synced(demo), 1);
    /* The sync pokes the trimmer, but the reconcile of ns/a is running past its quiet time. */
    run_for(&loop, 60);
    ASSERT_EQ(td.reconciles, 1);
    ASSERT_EQ(trims_done, 0);
    ASSERT_EQ(rt__trims(r), 0);
    /* Done: quiet from now, and nothing else queued, so the heap is trimmed once. */
    rt_controller_done(demo, "ns/a", WQ_OK, 0);
    run_for(&loop, 60);
    ASSERT_EQ(trims_done, 1);
    ASSERT_EQ(rt__trims(r), 1);
    close_all(&loop, r);
}
