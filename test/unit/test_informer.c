#include "core/core.h"
#include "informer/informer-int.h"
#include "informer/informer.h"
#include "kjson/kjson.h"
#include "test.h"


TEST(informer_backoff_doubles_to_cap_with_jitter)
{
    ASSERT_EQ(informer_backoff_ms(1, 1.0), 800);
    ASSERT_EQ(informer_backoff_ms(2, 1.0), 1600);
    ASSERT_EQ(informer_backoff_ms(3, 1.0), 3200);
    ASSERT_EQ(informer_backoff_ms(6, 1.0), 25600);
    ASSERT_EQ(informer_backoff_ms(7, 1.0), 30000);
    ASSERT_EQ(informer_backoff_ms(4000000000u, 1.0), 30000);
    ASSERT_EQ(informer_backoff_ms(1, 1.25), 1000);
    ASSERT_EQ(informer_backoff_ms(1, 0.2), 800); /* jitter never shortens */
}


TEST(informer_strip_drops_managed_fields_and_last_applied)
{
    cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"manager\":\"x\"}],"
                           "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
                           "\"{}\",\"keep\":\"1\"}}}");
    char  *s;

    informer_strip(o);
    s = cJSON_PrintUnformatted(o);
    ASSERT_STR(s, "{\"metadata\":{\"name\":\"a\",\"annotations\":{\"keep\":\"1\"}}}");
    cJSON_free(s);
    cJSON_Delete(o);
}


/* --- informer_list_each ------------------------------------------------------------- */

typedef struct {
    cJSON *items;   /* each element's text parsed back */
    int    bad;     /* an element's text that cJSON refused */
    int    stop_at; /* >0: fail the call with this 1-based index */
} list_acc;


static int
collect_item(const char *p, size_t n, void *data)
{
    list_acc *a = data;
    cJSON    *item = cJSON_ParseWithLength(p, n);

    if (!item) {
        a->bad++;
        return CORE_EPROTO;
    }
    cJSON_AddItemToArray(a->items, item);
    if (a->stop_at && cJSON_GetArraySize(a->items) == a->stop_at)
        return CORE_ENOMEM;
    return CORE_OK;
}


/* Walks text; on success checks the items against cJSON's parse of the whole text. */
static int
walk(const char *text, size_t len, list_acc *a, cJSON **meta)
{
    char *copy = malloc(len ? len : 1); /* exactly len bytes: ASan sees any read past */
    int   rc;

    memcpy(copy, text, len);
    a->items = cJSON_CreateArray();
    a->bad = 0;
    rc = informer_list_each(copy, len, collect_item, meta, a);
    free(copy);
    return rc;
}


/* The cached text of o (store_text), copied: a compressed one is decompressed and freed. */
static const char *
text_of(const store_obj *o)
{
    static char buf[4096];
    char       *tmp;
    const char *text = store_text(o, &tmp);

    snprintf(buf, sizeof buf, "%s", text ? text : "(none)");
    free(tmp);
    return buf;
}


static const char tricky_list[] =
    " \n{ \"kind\" : \"List\\\"]}\" , \"apiVersion\":\"v1\",\r\n"
    "\t\"items\" : [ { \"metadata\" : { \"name\" : \"a\\\"b\" , \"x\" : [ [ ] , { } , [ 1 , [ 2 ] ] ] } ,"
    " \"s\" : \"]}[{,:\\\\\" } ,\n"
    "{\"metadata\":{\"name\":\"\\u00e9\\\\\\\"\"},\"e\":\"\\\\\",\"n\":[-1.5e+3,true,false,null]},"
    "{\"metadata\":{\"name\":\"c\"},\"deep\":{\"a\":{\"b\":[{\"c\":\"}\"}]}}}\n] ,"
    " \"metadata\" : { \"resourceVersion\" : \"42\" , \"continue\" : \"tok\\\"en\" } \n} \n";


TEST(informer_list_each_hands_out_items_as_cjson_parses_them)
{
    list_acc a = {0};
    cJSON   *meta = NULL, *whole = cJSON_Parse(tricky_list);

    ASSERT(whole);
    ASSERT_EQ(walk(tricky_list, strlen(tricky_list), &a, &meta), CORE_OK);
    ASSERT_EQ(a.bad, 0);
    ASSERT_EQ(cJSON_GetArraySize(a.items), 3);
    ASSERT(cJSON_Compare(a.items, cJSON_GetObjectItemCaseSensitive(whole, "items"), 1));
    ASSERT(cJSON_Compare(meta, cJSON_GetObjectItemCaseSensitive(whole, "metadata"), 1));
    ASSERT_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "continue")), "tok\"en");
    cJSON_Delete(meta);
    cJSON_Delete(a.items);
    cJSON_Delete(whole);
}


TEST(informer_list_each_any_member_order)
{
    static const char *docs[] = {
        "{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[{\"a\":1},{\"b\":\"]\"}]}",
        "{\"items\":[{\"a\":1},{\"b\":\"]\"}],\"kind\":\"X\",\"metadata\":{\"resourceVersion\":\"7\"}}",
        ("{\"x\":{\"items\":[9]},\"items\":[{\"a\":1},{\"b\":\"]\"}],\"metadata\":{\"resourceVersion\":\"7\"},"
         "\"y\":[\"metadata\"]}"),
    };
    size_t i;

    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        list_acc a = {0};
        cJSON   *meta = NULL;
        char    *s;

        ASSERT_EQ(walk(docs[i], strlen(docs[i]), &a, &meta), CORE_OK);
        s = cJSON_PrintUnformatted(a.items);
        ASSERT_STR(s, "[{\"a\":1},{\"b\":\"]\"}]");
        cJSON_free(s);
        ASSERT_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion")),
                   "7");
        cJSON_Delete(meta);
        cJSON_Delete(a.items);
    }
}


TEST(informer_list_each_null_empty_and_no_metadata)
{
    static const char *docs[] = {
        "{\"items\":null,\"metadata\":{}}",
        "{\"items\":[]}",
        "{ \"items\" : [ \n ] }",
        "{\"metadata\":{\"continue\":\"\"},\"items\":null}",
    };
    size_t i;

    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        list_acc a = {0};
        cJSON   *meta = (cJSON *)1;

        ASSERT_EQ(walk(docs[i], strlen(docs[i]), &a, &meta), CORE_OK);
        ASSERT_EQ(cJSON_GetArraySize(a.items), 0);
        ASSERT(i == 1 || i == 2 ? meta == NULL : cJSON_IsObject(meta));
        cJSON_Delete(meta);
        cJSON_Delete(a.items);
    }
}


TEST(informer_list_each_rejects_malformed)
{
    static const char *docs[] = {
        "",
        " ",
        "[]",
        "null",
        "{}",
        "{\"metadata\":{}}",
        "{\"items\":{}}",
        "{\"items\":\"[]\"}",
        "{\"items\":nul}",
        "{\"items\":nullx}",
        "{\"items\":[1,]}",
        "{\"items\":[,1]}",
        "{\"items\":[1 2]}",
        "{\"items\":[{]}",
        "{\"items\":[{\"a\":[}]}",
        "{\"items\":[]]}",
        "{\"items\":[]} x",
        "{\"items\":[]}}",
        "{\"items\":[],}",
        "{,\"items\":[]}",
        "{\"items\" []}",
        "{\"items\":[] \"metadata\":{}}",
        "{items:[]}",
        "{\"items\":[],\"metadata\":{\"a\":}}",
        "{\"items\":[],\"metadata\":{}",
        "{\"items\":[],\"items\":[]}",
        "{\"items\":[],\"metadata\":{},\"metadata\":{}}",
        "{\"items\":[\"a\\\"]}",
        "{\"items\":[\"a\\",
        "{\"items\":[\"a\\\\\"\\]}",
        "{\"x\":@,\"items\":[]}",
        "{\"items\":[}",
    };
    size_t i;

    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        list_acc a = {0};
        cJSON   *meta = (cJSON *)1;
        int      rc = walk(docs[i], strlen(docs[i]), &a, &meta);

        if (rc != CORE_EPROTO)
            fprintf(stderr, "accepted: %s\n", docs[i]);
        ASSERT_EQ(rc, CORE_EPROTO);
        ASSERT(meta == NULL);
        /* Each fault is in or before the items array, so none was handed out. */
        ASSERT_EQ(cJSON_GetArraySize(a.items), 0);
        cJSON_Delete(a.items);
    }
}


TEST(informer_list_each_every_prefix_fails_or_is_partial)
{
    cJSON *whole = cJSON_Parse(tricky_list),
          *items = cJSON_GetObjectItemCaseSensitive(whole, "items");
    size_t full = strlen(tricky_list), len;

    while (full > 0 && tricky_list[full - 1] != '}')
        full--; /* past the last '}' only whitespace: those prefixes are whole documents */
    for (len = 0; len < full; len++) {
        list_acc a = {0};
        cJSON   *meta = (cJSON *)1;
        int      i, n;

        ASSERT_EQ(walk(tricky_list, len, &a, &meta), CORE_EPROTO);
        ASSERT(meta == NULL);
        ASSERT_EQ(a.bad, 0);
        n = cJSON_GetArraySize(a.items);
        for (i = 0; i < n; i++) /* what was handed out is the start of the real list */
            ASSERT(cJSON_Compare(cJSON_GetArrayItem(a.items, i), cJSON_GetArrayItem(items, i), 1));
        cJSON_Delete(a.items);
    }
    cJSON_Delete(whole);
}


TEST(informer_list_each_truncated_array_hands_out_nothing)
{
    static const char doc[] = "{\"items\":[{\"a\":1},{\"b\":2},{\"c\":\"x\\";
    list_acc          a = {0};
    cJSON            *meta = NULL;

    ASSERT_EQ(walk(doc, strlen(doc), &a, &meta), CORE_EPROTO);
    ASSERT_EQ(cJSON_GetArraySize(a.items), 0);
    cJSON_Delete(a.items);
}


/* A full page (500 items, the informer's page size; the spans noted in one scan outgrow
 * their first 64) hands out every item, in order, and a cut-short one still none. */
TEST(informer_list_each_full_page_in_order)
{
    core_buf doc;
    list_acc a = {0};
    cJSON   *meta = NULL;
    int      i;

    core_buf_init(&doc, 1 << 20);
    ASSERT_EQ(core_buf_printf(&doc, "{\"metadata\":{\"resourceVersion\":\"9\"},\"items\":["), CORE_OK);
    for (i = 0; i < 500; i++)
        ASSERT_EQ(core_buf_printf(&doc, "%s{\"metadata\":{\"name\":\"db-%d\"},\"n\":[%d]}",
                                  i ? "," : "", i, i),
                  CORE_OK);
    ASSERT_EQ(core_buf_printf(&doc, "]}"), CORE_OK);
    ASSERT_EQ(walk(doc.data, doc.len, &a, &meta), CORE_OK);
    ASSERT_EQ(cJSON_GetArraySize(a.items), 500);
    for (i = 0; i < 500; i++) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(a.items, i), "n");

        ASSERT_EQ((int)cJSON_GetNumberValue(cJSON_GetArrayItem(n, 0)), i);
    }
    cJSON_Delete(meta);
    cJSON_Delete(a.items);
    meta = NULL;
    ASSERT_EQ(walk(doc.data, doc.len - 2, &a, &meta), CORE_EPROTO); /* no "]}" */
    ASSERT_EQ(cJSON_GetArraySize(a.items), 0);
    cJSON_Delete(a.items);
    core_buf_free(&doc);
}


static int
count_item(const char *p, size_t n, void *data)
{
    (void)p;
    (void)n;
    (*(size_t *)data)++;
    return CORE_OK;
}


/* A page holds at most 2^20 items (informer.h): that many are handed out, one more is
 * refused whole. */
TEST(informer_list_each_caps_the_items_of_a_page)
{
    const size_t max = (size_t)1 << 20;
    size_t       len = 10 + 2 * (max + 1) + 1, i, count;
    char        *doc = malloc(len), *p;
    cJSON       *meta = NULL;

    ASSERT(doc);
    memcpy(doc, "{\"items\":[", 10);
    p = doc + 10;
    for (i = 0; i < max + 1; i++) {
        *p++ = '0';
        *p++ = ',';
    }
    p[-1] = ']'; /* max + 1 items */
    *p++ = '}';
    count = 0;
    ASSERT_EQ(informer_list_each(doc, (size_t)(p - doc), count_item, &meta, &count), CORE_EPROTO);
    ASSERT_EQ(count, 0);
    p[-4] = ']'; /* the last one cut off: max items */
    p[-3] = '}';
    count = 0;
    ASSERT_EQ(informer_list_each(doc, (size_t)(p - 2 - doc), count_item, &meta, &count), CORE_OK);
    ASSERT_EQ(count, max);
    free(doc);
}


TEST(informer_list_each_stops_on_callback_error_and_nesting_limit)
{
    static const char doc[] = "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[{},{},{}]}";
    list_acc          a = {0, 0, 2};
    cJSON            *meta = (cJSON *)1;
    char              deep[2 * 600 + 32];
    size_t            n = 0, i;

    ASSERT_EQ(walk(doc, strlen(doc), &a, &meta), CORE_ENOMEM);
    ASSERT_EQ(cJSON_GetArraySize(a.items), 2);
    ASSERT(meta == NULL);
    cJSON_Delete(a.items);

    n += (size_t)snprintf(deep, sizeof deep, "{\"items\":[");
    for (i = 0; i < 600; i++)
        deep[n++] = '[';
    for (i = 0; i < 600; i++)
        deep[n++] = ']';
    n += (size_t)snprintf(deep + n, sizeof deep - n, "]}");
    a.stop_at = 0;
    ASSERT_EQ(walk(deep, n, &a, &meta), CORE_EPROTO);
    cJSON_Delete(a.items);
}


/* --- the list/watch state machine against a scripted peer (informer-int.h) ----------- */

/* Stands in for the API server: holds the one request in flight and answers as told. */
typedef struct {
    int          pending;
    kube_done_cb cb;
    kube_data_cb on_data;
    void        *data;
    char         path[512];
    int          requests;
    int          overlapping; /* a request sent while another was in flight */
    int          cancels;
} scripted_peer;

static scripted_peer peer;


static int
peer_request(kube_client *c, const kube_req *req, kube_done_cb cb, void *data, kube_call **call)
{
    (void)c;
    if (peer.pending)
        peer.overlapping++;
    peer.pending = 1;
    peer.cb = cb;
    peer.on_data = req->on_data;
    peer.data = data;
    snprintf(peer.path, sizeof peer.path, "%s", req->path);
    peer.requests++;
    *call = (kube_call *)&peer;
    return CORE_OK;
}


static void
peer_cancel(kube_call *call)
{
    ASSERT(call == (kube_call *)&peer);
    peer.pending = 0;
    peer.cancels++;
}


/* Answers the request in flight: status and body, or a transport error (err, message). */
static void
peer_answer(int err, long status, const char *body, const char *message)
{
    kube_response res = {.err = err,
                         .status = status,
                         .body = body ? body : "",
                         .body_len = body ? strlen(body) : 0,
                         .message = message ? message : ""};

    ASSERT(peer.pending);
    peer.pending = 0;
    peer.cb(&res, peer.data);
}


static int
peer_is_watch(void)
{
    return peer.pending && strstr(peer.path, "watch=1") != NULL;
}


static int
peer_is_list(void)
{
    return peer.pending && strstr(peer.path, "limit=") != NULL && !strstr(peer.path, "watch=1");
}


typedef struct {
    int  synced, adds, updates, deletes, errors;
    char op[8], message[256];
    long status;
    int  err, recovered, not_installed;
} heard;


static void
heard_change(informer *inf, informer_change what, const char *key, const cJSON *obj, void *data)
{
    heard *h = data;

    (void)inf;
    (void)key;
    (void)obj;
    if (what == INFORMER_ADD)
        h->adds++;
    else if (what == INFORMER_UPDATE)
        h->updates++;
    else
        h->deletes++;
}


static void
heard_synced(informer *inf, void *data)
{
    (void)inf;
    ((heard *)data)->synced++;
}


static void
heard_error(informer *inf, const informer_error *e, void *data)
{
    heard *h = data;

    (void)inf;
    h->errors++;
    snprintf(h->op, sizeof h->op, "%s", e->op);
    snprintf(h->message, sizeof h->message, "%s", e->message);
    h->status = e->status;
    h->err = e->err;
    h->recovered = e->recovered;
    h->not_installed = e->not_installed;
}


static const char status_404[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"the server "
    "could not find the requested resource\",\"reason\":\"NotFound\",\"code\":404}";

static const char two_widgets[] =
    "{\"kind\":\"WidgetList\",\"metadata\":{\"resourceVersion\":\"7\"},\"items\":["
    "{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"resourceVersion\":\"5\"}},"
    "{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\",\"resourceVersion\":\"6\"}}]}";

static const char empty_list[] =
    "{\"kind\":\"WidgetList\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[]}";

static const kres widgets = {"demo.dbaas.dev", "v1", "widgets", "Widget", 1};


/* The pool scripted_informer's informer parses into (informer_opts.pool); NULL: the heap. */
static kjson_pool *scripted_pool;

static informer *
scripted_informer(uv_loop_t *loop, heard *h, const char *field_selector)
{
    informer_opts o = {.pool = scripted_pool,
                       .res = &widgets,
                       .namespace = "ns",
                       .label_selector = "demo=1",
                       .field_selector = field_selector,
                       .on_change = heard_change,
                       .on_synced = heard_synced,
                       .on_error = heard_error,
                       .data = h};
    informer     *inf = NULL;

    memset(&peer, 0, sizeof peer);
    ASSERT_EQ(uv_loop_init(loop), 0);
    ASSERT_EQ(informer_new(loop, NULL, &o, &inf), CORE_OK);
    informer__set_transport(inf, peer_request, peer_cancel);
    ASSERT_EQ(informer_start(inf), CORE_OK);
    ASSERT(peer_is_list());
    return inf;
}


static void
scripted_close(uv_loop_t *loop, informer *inf)
{
    informer_stop(inf, NULL, NULL);
    ASSERT(!peer.pending);
    ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(uv_loop_close(loop), 0);
    ASSERT_EQ(peer.overlapping, 0);
}


TEST(informer_field_selector_goes_on_list_and_watch)
{
    uv_loop_t loop;
    heard     h = {0};
    informer *inf = scripted_informer(&loop, &h, "metadata.name=orders-password");

    ASSERT_CONTAINS(peer.path, "&labelSelector=demo%3D1");
    ASSERT_CONTAINS(peer.path, "&fieldSelector=metadata.name%3Dorders-password");
    peer_answer(CORE_OK, 200, empty_list, NULL);
    ASSERT(peer_is_watch());
    ASSERT_CONTAINS(peer.path, "&fieldSelector=metadata.name%3Dorders-password");
    ASSERT_CONTAINS(peer.path, "&resourceVersion=9");
    ASSERT_EQ(h.synced, 1);
    ASSERT_EQ(h.errors, 0);
    scripted_close(&loop, inf);
    ASSERT_EQ(peer.cancels, 1);
}


TEST(informer_absent_backoff_is_1s_doubling_to_5s)
{
    ASSERT_EQ(informer__absent_backoff_ms(1), 1000);
    ASSERT_EQ(informer__absent_backoff_ms(2), 2000);
    ASSERT_EQ(informer__absent_backoff_ms(3), 4000);
    ASSERT_EQ(informer__absent_backoff_ms(4), 5000);
    ASSERT_EQ(informer__absent_backoff_ms(4000000000u), 5000);
}


/* Answers the list in flight 404 and checks the one retry the informer then waits for. */
static void
answer_not_served(informer *inf, uint64_t due_min, uint64_t due_max)
{
    uint64_t due;

    ASSERT(peer_is_list());
    peer_answer(CORE_OK, 404, status_404, NULL);
    ASSERT(!peer.pending);
    due = informer__retry_due_ms(inf);
    ASSERT(due > due_min && due <= due_max);
    informer__retry_now(inf);
}


TEST(informer_not_installed_counts_synced_and_notices_the_crd)
{
    uv_loop_t loop;
    heard     h = {0};
    informer *inf = scripted_informer(&loop, &h, NULL);

    ASSERT_EQ(informer_installed(inf), 1);
    ASSERT_EQ(informer_synced(inf), 0);
    answer_not_served(inf, 0, 1000);
    ASSERT_EQ(informer_synced(inf), 1);
    ASSERT_EQ(informer_installed(inf), 0);
    ASSERT_EQ(h.synced, 1);
    ASSERT_EQ(h.errors, 1);
    ASSERT_STR(h.op, "list");
    ASSERT_EQ(h.status, 404);
    ASSERT_EQ(h.not_installed, 1);
    ASSERT_STR(h.message, "the server could not find the requested resource");
    answer_not_served(inf, 1000, 2000);
    answer_not_served(inf, 2000, 4000);
    answer_not_served(inf, 4000, 5000);
    answer_not_served(inf, 4000, 5000);
    ASSERT_EQ(h.errors, 1); /* the same failure on every retry is told once */
    ASSERT_EQ(peer.requests, 6);
    ASSERT_EQ(informer_get_stats(inf)->relists, 0);

    /* The CRD is installed: the list fills the store and on_synced runs again. */
    ASSERT(peer_is_list());
    peer_answer(CORE_OK, 200, two_widgets, NULL);
    ASSERT_EQ(informer_installed(inf), 1);
    ASSERT_EQ(h.synced, 2);
    ASSERT_EQ(h.adds, 2);
    ASSERT_EQ(store_len(informer_store(inf)), 2);
    ASSERT_EQ(h.errors, 2);
    ASSERT_EQ(h.recovered, 1);
    ASSERT_EQ(h.not_installed, 1);
    ASSERT(peer_is_watch());
    scripted_close(&loop, inf);
}


TEST(informer_crd_deleted_while_watching_empties_the_cache)
{
    uv_loop_t loop;
    heard     h = {0};
    informer *inf = scripted_informer(&loop, &h, NULL);

    peer_answer(CORE_OK, 200, two_widgets, NULL);
    ASSERT_EQ(h.adds, 2);
    ASSERT(peer_is_watch());
    peer_answer(CORE_OK, 404, status_404, NULL);
    ASSERT(peer_is_list()); /* at once: a relist finds out what the 404 means */
    peer_answer(CORE_OK, 404, status_404, NULL);
    ASSERT_EQ(h.deletes, 2);
    ASSERT_EQ(store_len(informer_store(inf)), 0);
    ASSERT_EQ(informer_installed(inf), 0);
    ASSERT_EQ(informer_synced(inf), 1);
    ASSERT_EQ(h.synced, 1);
    ASSERT_EQ(h.errors, 1);
    ASSERT_EQ(h.not_installed, 1);
    ASSERT_EQ(informer_get_stats(inf)->list_errors, 1);

    /* Back again: listed without a stale resourceVersion, and synced once more. */
    informer__retry_now(inf);
    ASSERT(peer_is_list());
    peer_answer(CORE_OK, 200, two_widgets, NULL);
    ASSERT_EQ(h.adds, 4);
    ASSERT_EQ(h.synced, 2);
    scripted_close(&loop, inf);
}


TEST(informer_errors_told_once_per_change_then_recovery)
{
    uv_loop_t loop;
    heard     h = {0};
    informer *inf = scripted_informer(&loop, &h, NULL);

    peer_answer(CORE_OK, 500, "{\"kind\":\"Status\",\"message\":\"etcd is down\",\"code\":500}", NULL);
    ASSERT_EQ(h.errors, 1);
    ASSERT_STR(h.message, "etcd is down");
    ASSERT_EQ(h.status, 500);
    ASSERT_EQ(h.not_installed, 0);
    ASSERT_EQ(informer_synced(inf), 0);
    informer__retry_now(inf);
    peer_answer(CORE_OK, 500, "{\"kind\":\"Status\",\"message\":\"etcd is down\",\"code\":500}", NULL);
    ASSERT_EQ(h.errors, 1);
    informer__retry_now(inf);
    peer_answer(CORE_OK, 500, "{\"kind\":\"Status\",\"message\":\"etcd is slow\",\"code\":500}", NULL);
    ASSERT_EQ(h.errors, 2);
    ASSERT_STR(h.message, "etcd is slow");
    informer__retry_now(inf);
    peer_answer(CORE_ECONN, 0, NULL, "connection refused");
    ASSERT_EQ(h.errors, 3);
    ASSERT_EQ(h.err, CORE_ECONN);
    ASSERT_STR(h.message, "connection refused");
    informer__retry_now(inf);
    peer_answer(CORE_OK, 502, "<html>bad gateway</html>", NULL);
    ASSERT_EQ(h.errors, 4);
    ASSERT_STR(h.message, "unexpected HTTP status 502");
    informer__retry_now(inf);
    ASSERT(peer_is_list());
    peer_answer(CORE_OK, 200, empty_list, NULL);
    ASSERT_EQ(h.errors, 5);
    ASSERT_EQ(h.recovered, 1);
    ASSERT_EQ(h.not_installed, 0);
    ASSERT_EQ(h.synced, 1);
    ASSERT_EQ(informer_get_stats(inf)->list_errors, 5);

    /* A watch that fails is told; the watch is retried (no relist) and recovers. */
    ASSERT(peer_is_watch());
    peer_answer(CORE_ECONN, 0, NULL, "connection reset");
    ASSERT_EQ(h.errors, 6);
    ASSERT_STR(h.op, "watch");
    informer__retry_now(inf);
    ASSERT(peer_is_watch());
    peer_answer(CORE_OK, 200, "", NULL);
    ASSERT_EQ(h.errors, 7);
    ASSERT_EQ(h.recovered, 1);
    ASSERT(peer_is_watch());
    scripted_close(&loop, inf);
}


/* Told that the server answers again, an informer in backoff tries within 250 ms; one
 * that is not waiting out a failure is left alone. */
TEST(informer_retry_soon_cuts_a_failure_backoff_short)
{
    uv_loop_t loop;
    heard     h = {0};
    informer *inf = scripted_informer(&loop, &h, NULL);
    int       requests;

    informer_retry_soon(inf); /* listing: nothing changes */
    ASSERT(peer_is_list());
    peer_answer(CORE_ECONN, 0, NULL, "connection refused");
    informer__retry_now(inf);
    peer_answer(CORE_ECONN, 0, NULL, "connection refused");
    ASSERT(!peer.pending);
    ASSERT(informer__retry_due_ms(inf) >= 1600); /* the second failure: 1.6 s or more */
    requests = peer.requests;
    informer_retry_soon(inf);
    ASSERT(informer__retry_due_ms(inf) <= 250);
    uv_run(&loop, UV_RUN_ONCE);
    ASSERT_EQ(peer.requests, requests + 1);
    ASSERT(peer_is_list());
    peer_answer(CORE_OK, 200, empty_list, NULL);
    ASSERT_EQ(h.synced, 1);
    ASSERT(peer_is_watch());
    requests = peer.requests;
    informer_retry_soon(inf); /* watching: nothing changes */
    ASSERT_EQ(peer.requests, requests);
    ASSERT(peer_is_watch());
    scripted_close(&loop, inf);
}


/* A relist whose LIST fails (etcd restarting behind the API server) and is retried is one
 * relist, not one per attempt (make faults counted 2 for one etcd kill -9). */
TEST(informer_relist_retried_counts_once)
{
    uv_loop_t loop;
    heard     h = {0};
    informer *inf = scripted_informer(&loop, &h, NULL);

    peer_answer(CORE_OK, 200, two_widgets, NULL);
    ASSERT(peer_is_watch());
    peer_answer(CORE_OK, 410, "{\"kind\":\"Status\",\"code\":410}", NULL);
    ASSERT(peer_is_list());
    peer_answer(CORE_OK, 500, "{\"kind\":\"Status\",\"message\":\"etcd is down\",\"code\":500}", NULL);
    informer__retry_now(inf);
    ASSERT(peer_is_list());
    peer_answer(CORE_ECONN, 0, NULL, "connection refused");
    informer__retry_now(inf);
    ASSERT(peer_is_list());
    peer_answer(CORE_OK, 200, two_widgets, NULL);
    ASSERT(peer_is_watch());
    ASSERT_EQ(informer_get_stats(inf)->relists, 1);
    ASSERT_EQ(store_len(informer_store(inf)), 2);

    /* The next expiry is a relist of its own. */
    peer_answer(CORE_OK, 410, "{\"kind\":\"Status\",\"code\":410}", NULL);
    ASSERT(peer_is_list());
    peer_answer(CORE_OK, 200, two_widgets, NULL);
    ASSERT_EQ(informer_get_stats(inf)->relists, 2);
    scripted_close(&loop, inf);
}


/* Streams one line of a watch to the request in flight; what the informer returned. */
static int
peer_stream(const char *line)
{
    ASSERT(peer.pending && peer.on_data);
    return peer.on_data(line, strlen(line), peer.data);
}


/* An ERROR event ends the watch and relists. One other than 410 (expired, routine) is told
 * with its code and message, so that a log says why the cache is rebuilt. */
TEST(informer_watch_error_event_relists_and_tells_why)
{
    uv_loop_t loop;
    heard     h = {0};
    informer *inf = scripted_informer(&loop, &h, NULL);

    peer_answer(CORE_OK, 200, two_widgets, NULL);
    ASSERT(peer_is_watch());
    /* The informer ends the stream (its answer to on_data); the transfer then ends so. */
    ASSERT_EQ(peer_stream("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
                          "\"reason\":\"Expired\",\"message\":\"too old resource version\"}}\n"),
              CORE_ECANCELED);
    peer_answer(CORE_ECANCELED, 200, NULL, "ended by the data callback");
    ASSERT_EQ(h.errors, 0);
    ASSERT(peer_is_list());
    peer_answer(CORE_OK, 200, two_widgets, NULL);
    ASSERT_EQ(informer_get_stats(inf)->relists, 1);
    ASSERT(peer_is_watch());
    ASSERT_EQ(peer_stream("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500,"
                          "\"reason\":\"InternalError\",\"message\":\"etcd went away\"}}\n"),
              CORE_ECANCELED);
    peer_answer(CORE_ECANCELED, 200, NULL, "ended by the data callback");
    ASSERT_EQ(h.errors, 1);
    ASSERT_STR(h.op, "watch");
    ASSERT_EQ(h.status, 500);
    ASSERT_STR(h.message, "etcd went away");
    ASSERT(peer_is_list());
    peer_answer(CORE_OK, 200, two_widgets, NULL);
    ASSERT_EQ(informer_get_stats(inf)->relists, 2);
    ASSERT_EQ(h.errors, 2);
    ASSERT_EQ(h.recovered, 1);
    scripted_close(&loop, inf);
}


/* What the cache keeps is the text the object came as, without managedFields, typed: no
 * second print unless the transform changed the object. */
static void
caches_the_text_objects_came_as(void)
{
    uv_loop_t        loop;
    heard            h = {0};
    informer        *inf = scripted_informer(&loop, &h, NULL);
    const store_obj *o;
    cJSON           *tree;

    peer_answer(CORE_OK, 200,
                "{\"kind\":\"WidgetList\",\"metadata\":{\"resourceVersion\":\"7\"},\"items\":["
                "{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"managedFields\":[{\"m\":1}],"
                "\"resourceVersion\":\"5\"},\"spec\":{\"x\":1.50}},"
                "{\"kind\":\"Widget\",\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\",\"resourceVersion\":\"6\"}}]}",
                NULL);
    ASSERT(peer_is_watch());
    o = store_get(informer_store(inf), "ns/a");
    ASSERT(o != NULL);
    /* As sent (1.50 is not how cJSON prints 1.5), typed first. */
    ASSERT_STR(text_of(o),
               "{\"apiVersion\":\"demo.dbaas.dev/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"a\","
               "\"namespace\":\"ns\",\"resourceVersion\":\"5\"},\"spec\":{\"x\":1.50}}");
    ASSERT_EQ(o->len, strlen(text_of(o)));
    ASSERT_STR(o->rv, "5");
    tree = store_parse(o);
    ASSERT(tree != NULL);
    cJSON_Delete(tree);
    ASSERT_STR(text_of(store_get(informer_store(inf), "ns/b")),
               "{\"kind\":\"Widget\",\"metadata\":{\"name\":\"b\",\"namespace\":\"ns\",\"resourceVersion\":\"6\"}}");

    ASSERT_EQ(peer_stream(
                  "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Widget\",\"metadata\":{\"name\":\"a\","
                  "\"namespace\":\"ns\",\"resourceVersion\":\"8\",\"managedFields\":[]},\"spec\":{\"x\":2.0}}}\n"),
              CORE_OK);
    ASSERT_STR(text_of(store_get(informer_store(inf), "ns/a")),
               "{\"kind\":\"Widget\",\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"resourceVersion\":\"8\"},"
               "\"spec\":{\"x\":2.0}}");
    /* The transform changed it (the last-applied annotation): printed again. */
    ASSERT_EQ(peer_stream("{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Widget\",\"metadata\":{\"name\":\"a\","
                          "\"namespace\":\"ns\",\"resourceVersion\":\"9\",\"annotations\":{\"kubectl.kubernetes.io/"
                          "last-applied-configuration\":\"{}\"}},\"spec\":{\"x\":2.0}}}\n"),
              CORE_OK);
    ASSERT_STR(text_of(store_get(informer_store(inf), "ns/a")),
               "{\"kind\":\"Widget\",\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\",\"resourceVersion\":\"9\","
               "\"annotations\":{}},\"spec\":{\"x\":2}}");
    ASSERT_EQ(h.errors, 0);
    scripted_close(&loop, inf);
}

TEST(informer_caches_the_text_objects_came_as)
{
    caches_the_text_objects_came_as();
}

/* An item with an apiVersion of its own but no kind: the kept text is the tree printed, with
 * the item's apiVersion first (as cJSON resolves the duplicate), never the informer's. */
static void
item_with_own_api_version_is_printed(void)
{
    uv_loop_t loop;
    heard     h = {0};
    informer *inf = scripted_informer(&loop, &h, NULL);
    cJSON    *tree;

    peer_answer(CORE_OK, 200,
                "{\"kind\":\"WidgetList\",\"metadata\":{\"resourceVersion\":\"7\"},\"items\":["
                "{\"apiVersion\":\"demo.dbaas.dev/v0\",\"metadata\":{\"name\":\"c\",\"namespace\":\"ns\","
                "\"resourceVersion\":\"5\"}}]}",
                NULL);
    ASSERT(peer_is_watch());
    tree = store_parse(store_get(informer_store(inf), "ns/c"));
    ASSERT(tree != NULL);
    ASSERT_STR(kjson_get_str(tree, "apiVersion"), "demo.dbaas.dev/v0");
    ASSERT_STR(kjson_get_str(tree, "kind"), "Widget");
    cJSON_Delete(tree);
    scripted_close(&loop, inf);
}

TEST(informer_item_with_own_api_version_is_printed)
{
    item_with_own_api_version_is_printed();
}


/* The same through a pool: the list items typed and the annotation deleted inside
 * kjson_pool_edit (ASan and valgrind would see a free() of the pool's memory), and the pool
 * idle again after each object, its one block kept. */
TEST(informer_parses_into_a_pool)
{
    kjson_pool *pool;

    ASSERT_EQ(kjson_pool_new(&pool), CORE_OK);
    scripted_pool = pool;
    caches_the_text_objects_came_as();
    item_with_own_api_version_is_printed();
    scripted_pool = NULL;
    /* Every list item (3) and watch event (2) had its turn. */
    ASSERT_EQ(kjson_pool_turns(pool), 5);
    ASSERT_EQ(kjson_pool_bytes(pool), KJSON_POOL_BLOCK);
    ASSERT_EQ(kjson_pool_take(pool), 1);
    kjson_pool_give(pool);
    kjson_pool_free(pool);
}
