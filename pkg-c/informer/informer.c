#include "informer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "hmap/hmap.h"
#include "informer-int.h"
#include "kjson/kjson.h"
#include "wstream/wstream.h"

#define INFORMER_PAGE_SIZE    500
#define INFORMER_BACKOFF_BASE 800
#define INFORMER_BACKOFF_MAX  30000
#define INFORMER_KEY_MAX      512
#define INFORMER_ABSENT_BASE  1000 /* retries of a list answered 404: 1 s doubling to 5 s */
#define INFORMER_ABSENT_MAX   5000
#define INFORMER_ERRMSG_MAX   256
/* Metadata only: what client-go's metadata client asks for a list and for a watch. */
#define INFORMER_ACCEPT_META_LIST \
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
#define INFORMER_ACCEPT_META \
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"

typedef enum {
    INF_IDLE,
    INF_LISTING,
    INF_WATCHING,
    INF_WAITING, /* backing off before the next list or watch */
    INF_STOPPED
} inf_state;

struct informer {
    uv_loop_t   *loop;
    kube_client *client;
    kres         res;
    char *namespace;
    char                *label_selector;
    char                *field_selector;
    informer_opts        opts;
    store               *store;
    inf_state            state;
    kube_call           *call;
    uv_timer_t           timer;
    ws_parser            parser;
    char                 rv[128]; /* last resourceVersion seen */
    char                *cont;    /* list continue token */
    hmap                *seen;    /* keys seen by the list in progress */
    int                  synced;
    int                  relist_next;     /* the watch ended in a way that needs a relist */
    int                  relisting;       /* a counted relist has not finished yet */
    int                  watch_healthy;   /* the current watch delivered something */
    unsigned             attempts;        /* consecutive failures, for backoff */
    int                  installed;       /* 0 while the resource is not served (list got 404) */
    unsigned             absent_attempts; /* lists answered 404 in a row */
    int                  failing;         /* the last list or watch failed as fail_* says */
    const char          *fail_op;
    long                 fail_status;
    int                  fail_err;
    int                  fail_not_installed;
    char                 fail_msg[INFORMER_ERRMSG_MAX];
    informer__request_fn request;
    void (*cancel)(kube_call *call);
    informer_stats stats;
    void (*closed)(void *data);
    void *closed_data;
};


static void start_list(informer *inf);
static void start_watch(informer *inf);


uint64_t
informer_backoff_ms(unsigned attempt, double jitter)
{
    uint64_t d = INFORMER_BACKOFF_BASE;

    while (attempt-- > 1 && d < INFORMER_BACKOFF_MAX)
        d *= 2;
    if (d > INFORMER_BACKOFF_MAX)
        d = INFORMER_BACKOFF_MAX;
    if (jitter < 1.0)
        jitter = 1.0;
    return (uint64_t)((double)d * jitter);
}


int
informer_strip(cJSON *obj)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *mf, *la;

    mf = cJSON_DetachItemFromObjectCaseSensitive(meta, "managedFields");
    la = cJSON_DetachItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(meta, "annotations"),
                                                 "kubectl.kubernetes.io/last-applied-configuration");
    cJSON_Delete(mf);
    cJSON_Delete(la);
    return mf || la;
}


static char *
dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}


int
informer_new(uv_loop_t *loop, kube_client *client, const informer_opts *opts, informer **out)
{
    informer *inf = calloc(1, sizeof *inf);

    *out = NULL;
    if (!inf)
        return CORE_ENOMEM;
    inf->loop = loop;
    inf->client = client;
    inf->res = *opts->res;
    inf->opts = *opts;
    inf->namespace = dup_or_null(opts->namespace);
    inf->label_selector = dup_or_null(opts->label_selector);
    inf->field_selector = dup_or_null(opts->field_selector);
    if ((opts->namespace && !inf->namespace) || (opts->label_selector && !inf->label_selector) ||
        (opts->field_selector && !inf->field_selector) || store_new(&inf->store) ||
        (opts->index_label && store_index_label(inf->store, opts->index_label))) {
        store_free(inf->store);
        free(inf->namespace);
        free(inf->label_selector);
        free(inf->field_selector);
        free(inf);
        return CORE_ENOMEM;
    }
    inf->installed = 1;
    inf->request = kube_request;
    inf->cancel = kube_cancel;
    if (!inf->opts.transform)
        inf->opts.transform = informer_strip;
    if (!inf->opts.page_size)
        inf->opts.page_size = INFORMER_PAGE_SIZE;
    ws_init(&inf->parser, opts->max_line, NULL, NULL);
    uv_timer_init(loop, &inf->timer);
    inf->timer.data = inf;
    *out = inf;
    return CORE_OK;
}


static void
notify(informer *inf, informer_change what, const char *key, const cJSON *obj)
{
    if (inf->opts.on_change)
        inf->opts.on_change(inf, what, key, obj, inf->opts.data);
}


static void
set_rv(informer *inf, const char *rv)
{
    if (rv && *rv && strlen(rv) < sizeof inf->rv)
        memcpy(inf->rv, rv, strlen(rv) + 1);
}


/* The Status.message of an error body, the transport's message, or the bare status. */
static void
failure_message(const kube_response *res, char *buf, size_t len)
{
    cJSON      *st;
    const char *msg;

    if (res->err) {
        snprintf(buf, len, "%s",
                 res->message && *res->message ? res->message : core_strerror(res->err));
        return;
    }
    st = res->body_len ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;
    msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(st, "message"));
    if (msg && *msg)
        snprintf(buf, len, "%s", msg);
    else
        snprintf(buf, len, "unexpected HTTP status %ld", res->status);
    cJSON_Delete(st);
}


/* Tells on_error of a failure unless it is the same as the one before. */
static void
report_failure(informer *inf, const char *op, const kube_response *res, int not_installed)
{
    char           msg[INFORMER_ERRMSG_MAX];
    informer_error e;

    failure_message(res, msg, sizeof msg);
    if (inf->failing && inf->fail_op == op && inf->fail_status == res->status &&
        inf->fail_err == res->err && strcmp(inf->fail_msg, msg) == 0)
        return;
    inf->failing = 1;
    inf->fail_op = op;
    inf->fail_status = res->status;
    inf->fail_err = res->err;
    inf->fail_not_installed = not_installed;
    memcpy(inf->fail_msg, msg, sizeof msg);
    if (!inf->opts.on_error)
        return;
    e = (informer_error){op, res->status, res->err, inf->fail_msg, 0, not_installed};
    inf->opts.on_error(inf, &e, inf->opts.data);
}


/* After failures, tells on_error once that op works again. */
static void
report_success(informer *inf, const char *op)
{
    informer_error e = {op, 0, CORE_OK, "", 1, 0};

    if (!inf->failing)
        return;
    inf->failing = 0;
    e.not_installed = inf->fail_not_installed;
    if (inf->opts.on_error)
        inf->opts.on_error(inf, &e, inf->opts.data);
}


static int
transform(cJSON *obj, void *data)
{
    const informer *inf = data;

    return inf->opts.transform(obj);
}


/* Caches one object (transformed) and tells the handler. text (len bytes) is the JSON obj was
 * parsed from, or NULL: kept as it is when the transform leaves obj unchanged. pool: the one
 * obj was parsed into, or NULL (the heap). */
static int
apply(informer *inf, informer_change hint, cJSON *obj, kjson_pool *pool, const char *text, size_t len)
{
    char             key[INFORMER_KEY_MAX];
    const store_obj *old;
    int              rc;

    if (store_key(obj, key, sizeof key))
        return CORE_OK; /* nameless: nothing a controller could look up */
    if (kjson_pool_edit(pool, transform, obj, inf))
        text = NULL;
    if (hint == INFORMER_DELETE) {
        if (store_del(inf->store, key) == CORE_OK)
            notify(inf, INFORMER_DELETE, key, obj);
        return CORE_OK;
    }
    old = store_get(inf->store, key);
    if (old && hint == INFORMER_ADD) {
        /* A relist sees every object: an unchanged one is no news. */
        const char *rv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion"));

        if (rv && strcmp(rv, old->rv) == 0)
            return CORE_OK;
    }
    hint = old ? INFORMER_UPDATE : INFORMER_ADD;
    rc = text ? store_put_text(inf->store, key, obj, text, len) : store_put(inf->store, key, obj);
    if (rc)
        return rc;
    notify(inf, hint, key, obj);
    return CORE_OK;
}


static void
on_timer(uv_timer_t *t)
{
    informer *inf = t->data;

    if (inf->state != INF_WAITING)
        return;
    if (inf->relist_next || !inf->synced)
        start_list(inf);
    else
        start_watch(inf);
}


static void
backoff(informer *inf, int relist)
{
    double jitter = 1.0 + (double)(rand() % 500) / 1000.0;

    inf->attempts++;
    inf->relist_next = relist;
    inf->state = INF_WAITING;
    uv_timer_start(&inf->timer, on_timer, informer_backoff_ms(inf->attempts, jitter), 0);
}


/* --- list -------------------------------------------------------------------------- */

typedef struct {
    informer *inf;
    hmap     *gone;
} unseen_ctx;


static void
find_unseen(const char *key, const store_obj *o, void *data)
{
    unseen_ctx *u = data;

    (void)o;
    if (!u->inf->seen || !hmap_get(u->inf->seen, key))
        hmap_put(u->gone, key, (void *)1, NULL);
}


/* Delivers as deletes the cached objects the list did not see (all of them without one). */
static void
drop_unseen(informer *inf)
{
    unseen_ctx  u = {inf, NULL};
    hmap_iter   it;
    const char *key;

    if (hmap_new(0, &u.gone) == CORE_OK) {
        store_each(inf->store, find_unseen, &u);
        hmap_iter_init(u.gone, &it);
        while (hmap_iter_next(u.gone, &it, &key, NULL)) {
            cJSON *last = store_parse(store_get(inf->store, key));

            store_del(inf->store, key);
            notify(inf, INFORMER_DELETE, key, last);
            cJSON_Delete(last);
        }
        hmap_free(u.gone, NULL);
    }
    hmap_free(inf->seen, NULL);
    inf->seen = NULL;
}


/* Synced for the first time, or served again after a time without: tell on_synced. */
static void
mark_synced(informer *inf, int installed)
{
    int news = !inf->synced || (installed && !inf->installed);

    inf->synced = 1;
    inf->installed = installed;
    if (news && inf->opts.on_synced)
        inf->opts.on_synced(inf, inf->opts.data);
}


static void
list_finished(informer *inf)
{
    drop_unseen(inf);
    inf->relisting = 0;
    inf->attempts = 0;
    inf->absent_attempts = 0;
    inf->relist_next = 0;
    report_success(inf, "list");
    mark_synced(inf, 1);
    if (inf->state == INF_LISTING)
        start_watch(inf);
}


uint64_t
informer__absent_backoff_ms(unsigned attempt)
{
    uint64_t d = INFORMER_ABSENT_BASE;

    while (attempt-- > 1 && d < INFORMER_ABSENT_MAX)
        d *= 2;
    return d < INFORMER_ABSENT_MAX ? d : INFORMER_ABSENT_MAX;
}


/*
 * The list was answered 404: the resource is not served (its CRD is not installed, or was
 * deleted). The cache empties as a relist would empty it, the informer counts as synced,
 * and one list a few seconds later asks again.
 */
static void
not_served(informer *inf, const kube_response *res)
{
    if (inf->installed)
        inf->stats.list_errors++;
    report_failure(inf, "list", res, 1);
    free(inf->cont);
    inf->cont = NULL;
    hmap_free(inf->seen, NULL);
    inf->seen = NULL;
    drop_unseen(inf);
    inf->rv[0] = '\0';
    mark_synced(inf, 0);
    if (inf->state != INF_LISTING)
        return; /* on_synced stopped us */
    inf->attempts = 0;
    inf->relist_next = 1;
    inf->state = INF_WAITING;
    uv_timer_start(&inf->timer, on_timer, informer__absent_backoff_ms(++inf->absent_attempts), 0);
}


/* --- list text walker ------------------------------------------------------------- */

/* Items of one page at most: their spans take 16 MiB then. The API server sends the
 * informer's page size (500); a body of KUBE_MAX_BODY holds fewer real objects than this. */
#define LIST_ITEMS_MAX (1u << 20)

/* Calls on_item for each element of the "items" array whose '[' is at p, once the array is
 * known well formed: one scan records where each element starts and ends (up to *vend, just
 * past the ']'), then the elements are handed out, so that most of a page's bytes are
 * scanned once. CORE_EPROTO for an array malformed or cut short (none handed out) or of more
 * than LIST_ITEMS_MAX elements, CORE_ENOMEM, or on_item's code (those before it handed out). */
static int
walk_items(const char *p, const char *end, int (*on_item)(const char *p, size_t n, void *data),
           void *data, const char **vend)
{
    kjson_span *spans = NULL, *grown;
    size_t      count = 0, cap = 0, i;
    const char *e;
    int         rc = CORE_EPROTO;

    p = kjson_skip_ws(p + 1, end);
    if (p < end && *p == ']')
        goto whole;
    for (;;) {
        if (!(e = kjson_skip_value(p, end)))
            goto out;
        if (count == cap) {
            if (count == LIST_ITEMS_MAX)
                goto out;
            cap = cap ? cap * 2 : 64;
            if (!(grown = realloc(spans, cap * sizeof *spans))) {
                rc = CORE_ENOMEM;
                goto out;
            }
            spans = grown;
        }
        spans[count].p = p;
        spans[count++].n = (size_t)(e - p);
        p = kjson_skip_ws(e, end);
        if (p < end && *p == ']')
            break;
        if (p >= end || *p != ',')
            goto out;
        p = kjson_skip_ws(p + 1, end);
    }
whole:
    *vend = p + 1;
    rc = CORE_OK;
    for (i = 0; i < count && rc == CORE_OK; i++)
        rc = on_item(spans[i].p, spans[i].n, data);
out:
    free(spans);
    return rc;
}


/* clang-format 14 aligns `len` with the function-pointer parameter as if both were members. */
/* clang-format off */
int
informer_list_each(const char *body, size_t len,
                   int (*on_item)(const char *p, size_t n, void *data), cJSON **meta_out,
                   void *data)
/* clang-format on */
{
    const char *p = body, *end = body + len, *k, *kend, *vend;
    cJSON      *meta = NULL;
    int         rc = CORE_EPROTO, seen_items = 0, seen_meta = 0, items;

    *meta_out = NULL;
    if (!body)
        goto out;
    p = kjson_skip_ws(p, end);
    if (p >= end || *p != '{')
        goto out;
    p = kjson_skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
        goto done;
    }
    for (;;) {
        if (p >= end || *p != '"' || !(kend = kjson_skip_string(p, end)))
            goto out;
        k = p + 1;
        p = kjson_skip_ws(kend, end);
        if (p >= end || *p != ':')
            goto out;
        p = kjson_skip_ws(p + 1, end);
        /* Keys are compared as written: the API server never escapes these two. An items
         * array is scanned whole before any of its items is applied (walk_items): a
         * cut-short one applies none. */
        items = kjson_key_is(k, (size_t)(kend - 1 - k), "items");
        if (items && p < end && *p == '[') {
            if (seen_items++ || (rc = walk_items(p, end, on_item, data, &vend)))
                goto out;
            rc = CORE_EPROTO;
        } else if (!(vend = kjson_skip_value(p, end))) {
            goto out;
        } else if (items) {
            if (seen_items++ || !kjson_key_is(p, (size_t)(vend - p), "null"))
                goto out;
        } else if (kjson_key_is(k, (size_t)(kend - 1 - k), "metadata")) {
            if (seen_meta++ || !(meta = cJSON_ParseWithLength(p, (size_t)(vend - p))))
                goto out;
        }
        p = kjson_skip_ws(vend, end);
        if (p < end && *p == '}') {
            p++;
            break;
        }
        if (p >= end || *p != ',')
            goto out;
        p = kjson_skip_ws(p + 1, end);
    }
done:
    if (!seen_items || kjson_skip_ws(p, end) != end)
        goto out;
    *meta_out = meta;
    meta = NULL;
    rc = CORE_OK;
out:
    cJSON_Delete(meta);
    return rc;
}


/* What a list item lacks of a watch event's object (kjson_pool_edit's fn). */
struct typed {
    const char *api, *kind;
};

static int
add_type(cJSON *item, void *data)
{
    const struct typed *t = data;

    return cJSON_AddStringToObject(item, "apiVersion", t->api) &&
                   cJSON_AddStringToObject(item, "kind", t->kind)
             ? CORE_OK
             : CORE_ENOMEM;
}


/* Parses, caches and frees one list item, so a page never exists as one cJSON tree. Into
 * the informer's pool, when it has one and nobody else has it taken. */
static int
list_item(const char *text, size_t n, void *data)
{
    informer    *inf = data;
    kjson_span   cut;
    char         key[INFORMER_KEY_MAX], *copy = NULL, *typed = NULL, api[128];
    size_t       len, head, cap;
    kjson_pool  *pool = kjson_pool_take(inf->opts.pool) ? inf->opts.pool : NULL;
    struct typed t = {api, inf->res.kind};
    cJSON       *item;
    int          rc = CORE_ENOMEM;

    /* managedFields left out before the parse, as in a watch event (wstream.c). */
    if (kjson_managed_fields(text, n, &cut) && (copy = kjson_without(text, n, &cut, &len))) {
        text = copy;
        n = len;
    }
    item = pool ? kjson_pool_parse_end(pool, text, n, NULL) : cJSON_ParseWithLength(text, n);
    if (!item) {
        rc = CORE_EPROTO;
        goto out;
    }
    /* List items lack the type that watch events carry; give them the same shape, in the
     * tree and in the text kept (written first there: member order means nothing). */
    if (!cJSON_GetObjectItemCaseSensitive(item, "kind")) {
        kres_api_version(&inf->res, api, sizeof api);
        /* One with an apiVersion of its own would hold it twice, which the text and the tree
         * would resolve differently: printed instead. */
        if (cJSON_IsObject(item) && item->child && *text == '{' &&
            !cJSON_GetObjectItemCaseSensitive(item, "apiVersion") && !strpbrk(api, "\"\\") &&
            !strpbrk(inf->res.kind, "\"\\") &&
            (typed = malloc(cap = n + strlen(api) + strlen(inf->res.kind) + 32))) {
            head = (size_t)snprintf(typed, cap, "{\"apiVersion\":\"%s\",\"kind\":\"%s\",", api,
                                    inf->res.kind);
            memcpy(typed + head, text + 1, n - 1);
            text = typed;
            n = head + n - 1;
        } else {
            text = NULL;
        }
        if (kjson_pool_edit(pool, add_type, item, &t) != CORE_OK)
            goto out;
    }
    if (store_key(item, key, sizeof key) == CORE_OK)
        hmap_put(inf->seen, key, (void *)1, NULL);
    rc = apply(inf, INFORMER_ADD, item, pool, text, n);
out:
    if (pool)
        kjson_pool_give(pool);
    else
        cJSON_Delete(item);
    free(copy);
    free(typed);
    return rc;
}


/* Items are applied once their array is known well formed: a page that turns out malformed
 * past it (its metadata, say) leaves them cached (they are real objects) and the caller
 * relists. */
static int
list_page(informer *inf, const char *body, size_t len)
{
    cJSON      *meta = NULL;
    const char *cont;
    int         rc;

    if ((rc = informer_list_each(body, len, list_item, &meta, inf)))
        goto out;
    set_rv(inf, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion")));
    cont = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "continue"));
    free(inf->cont);
    inf->cont = cont && *cont ? strdup(cont) : NULL;
    rc = cont && *cont && !inf->cont ? CORE_ENOMEM : CORE_OK;
out:
    cJSON_Delete(meta);
    return rc;
}


/* A list or watch that failed other than by our own cancel: count and report it. */
static void
list_failed(informer *inf, const kube_response *res)
{
    if (res->err == CORE_ECANCELED)
        return;
    inf->stats.list_errors++;
    report_failure(inf, "list", res, 0);
}


static void
on_list(const kube_response *res, void *data)
{
    informer *inf = data;
    int       rc;

    inf->call = NULL;
    if (res->err == CORE_OK && res->status == 404) {
        not_served(inf, res);
        return;
    }
    if (res->err || res->status != 200) {
        list_failed(inf, res);
        free(inf->cont);
        inf->cont = NULL;
        hmap_free(inf->seen, NULL);
        inf->seen = NULL;
        backoff(inf, 1);
        return;
    }
    if ((rc = list_page(inf, res->body, res->body_len))) {
        kube_response bad = {.err = rc,
                             .status = res->status,
                             .message = "the list could not be parsed"};

        list_failed(inf, &bad);
        hmap_free(inf->seen, NULL);
        inf->seen = NULL;
        backoff(inf, 1);
        return;
    }
    if (inf->cont) {
        start_list(inf);
        return;
    }
    list_finished(inf);
}


static int
append_selector(informer *inf, core_buf *b)
{
    if (inf->label_selector &&
        (core_buf_printf(b, "&labelSelector=") || kres_escape(b, inf->label_selector)))
        return CORE_ENOMEM;
    if (inf->field_selector &&
        (core_buf_printf(b, "&fieldSelector=") || kres_escape(b, inf->field_selector)))
        return CORE_ENOMEM;
    return CORE_OK;
}


static void
start_list(informer *inf)
{
    core_buf path;
    kube_req req = {0};
    int      rc;

    if (inf->state == INF_STOPPED)
        return;
    if (!inf->seen) {
        if (hmap_new(store_len(inf->store), &inf->seen)) {
            backoff(inf, 1);
            return;
        }
        /* One relist however many attempts it takes (a LIST fails while etcd restarts):
         * the count is of cache rebuilds, the attempts are in stats.lists. */
        if (inf->synced && inf->installed && !inf->relisting) {
            inf->stats.relists++;
            inf->relisting = 1;
        }
    }
    inf->state = INF_LISTING;
    core_buf_init(&path, 16384);
    rc = kres_path(&path, &inf->res, inf->namespace, NULL, NULL);
    if (!rc)
        rc = core_buf_printf(&path, "?limit=%u", inf->opts.page_size);
    if (!rc)
        rc = append_selector(inf, &path);
    if (!rc && inf->cont)
        rc = core_buf_printf(&path, "&continue=") || kres_escape(&path, inf->cont);
    req.path = path.data;
    req.timeout_ms = 60000;
    if (inf->opts.metadata_only)
        req.accept = INFORMER_ACCEPT_META_LIST;
    if (!rc)
        rc = inf->request(inf->client, &req, on_list, inf, &inf->call);
    core_buf_free(&path);
    inf->stats.lists++;
    if (rc)
        backoff(inf, 1);
}


/* --- watch ------------------------------------------------------------------------- */

static int
on_event(ws_event *ev, void *data)
{
    informer *inf = data;
    int       rc;

    switch (ev->type) {
    case WS_BOOKMARK:
        set_rv(inf, ev->resource_version);
        inf->stats.bookmarks++;
        inf->watch_healthy = 1;
        report_success(inf, "watch");
        return 0;
    case WS_ERROR:
        /* 410: our resourceVersion is too old; anything else: start over as well, and say
         * why (client-go's reflector warns of these too, and is quiet about 410). */
        inf->relist_next = 1;
        if (ev->code != 410) {
            kube_response r = {.err = CORE_EHTTP,
                               .status = ev->code,
                               .message = ev->message ? ev->message : "an ERROR event"};

            report_failure(inf, "watch", &r, 0);
        }
        return CORE_ECANCELED;
    case WS_ADDED:
    case WS_MODIFIED:
    case WS_DELETED:
        rc = apply(inf, ev->type == WS_DELETED ? INFORMER_DELETE : INFORMER_UPDATE, ev->object,
                   ev->pool, ev->object_text, ev->object_len);
        if (rc)
            return rc;
        set_rv(inf, ev->resource_version);
        inf->stats.events++;
        inf->watch_healthy = 1;
        report_success(inf, "watch");
        return 0;
    }
    return CORE_EPROTO;
}


static int
on_watch_data(const char *p, size_t n, void *data)
{
    informer *inf = data;

    return ws_feed(&inf->parser, p, n);
}


static void
on_watch(const kube_response *res, void *data)
{
    informer *inf = data;
    int       perr = CORE_OK;

    inf->call = NULL;
    if (res->err == CORE_OK && res->status == 200)
        perr = ws_finish(&inf->parser);
    if (inf->watch_healthy)
        inf->attempts = 0;
    /* 404: the resource is no longer served (its CRD deleted); the relist will tell. */
    if (inf->relist_next || res->status == 410 || (res->err == CORE_OK && res->status == 404)) {
        /* Expired: relist at once the first time, with backoff if it keeps happening. */
        if (inf->attempts == 0) {
            inf->attempts++;
            start_list(inf);
        } else {
            backoff(inf, 1);
        }
        return;
    }
    if (res->err == CORE_ETOOBIG || res->err == CORE_EPROTO || res->err == CORE_ENOMEM) {
        /* The stream cannot be trusted: the parser rejected it. */
        inf->stats.watch_errors++;
        report_failure(inf, "watch", res, 0);
        backoff(inf, 1);
        return;
    }
    if (res->err == CORE_OK && res->status == 200 && perr == CORE_OK) {
        report_success(inf, "watch");
        start_watch(inf); /* the server's timeout: carry on from where we are */
        return;
    }
    inf->stats.watch_errors++;
    if (perr) {
        kube_response cut = {.err = perr, .status = 200, .message = "the watch stream was cut short"};

        report_failure(inf, "watch", &cut, 0);
    } else if (res->err != CORE_ECANCELED) {
        report_failure(inf, "watch", res, 0);
    }
    backoff(inf, 0);
}


static void
start_watch(informer *inf)
{
    core_buf path;
    kube_req req = {0};
    unsigned timeout = 300 + (unsigned)(rand() % 301);
    int      rc;

    if (inf->state == INF_STOPPED)
        return;
    inf->state = INF_WATCHING;
    inf->relist_next = 0;
    inf->watch_healthy = 0;
    ws_free(&inf->parser);
    ws_init(&inf->parser, inf->opts.max_line, on_event, inf);
    inf->parser.pool = inf->opts.pool;
    core_buf_init(&path, 16384);
    rc = kres_path(&path, &inf->res, inf->namespace, NULL, NULL);
    if (!rc)
        rc = core_buf_printf(&path, "?watch=1&allowWatchBookmarks=true&timeoutSeconds=%u", timeout);
    if (!rc && inf->rv[0])
        rc = core_buf_printf(&path, "&resourceVersion=") || kres_escape(&path, inf->rv);
    if (!rc)
        rc = append_selector(inf, &path);
    req.path = path.data;
    req.timeout_ms = (long)(timeout + 30) * 1000;
    req.on_data = on_watch_data;
    if (inf->opts.metadata_only)
        req.accept = INFORMER_ACCEPT_META;
    if (!rc)
        rc = inf->request(inf->client, &req, on_watch, inf, &inf->call);
    core_buf_free(&path);
    inf->stats.watches++;
    if (rc)
        backoff(inf, 0);
}


int
informer_start(informer *inf)
{
    if (inf->state != INF_IDLE)
        return CORE_EINVAL;
    start_list(inf);
    return CORE_OK;
}


int
informer_start_from(informer *inf, const char *rv)
{
    if (inf->state != INF_IDLE || !rv || strlen(rv) >= sizeof inf->rv)
        return CORE_EINVAL;
    set_rv(inf, rv);
    inf->synced = 1;
    start_watch(inf);
    return CORE_OK;
}


int
informer_synced(const informer *inf)
{
    return inf->synced;
}


int
informer_installed(const informer *inf)
{
    return inf->installed;
}


uint64_t
informer__retry_due_ms(const informer *inf)
{
    return inf->state == INF_WAITING ? uv_timer_get_due_in(&inf->timer) : 0;
}


void
informer_retry_soon(informer *inf)
{
    uint64_t soon = (uint64_t)(rand() % 250);

    if (inf->state != INF_WAITING || inf->attempts == 0 || uv_timer_get_due_in(&inf->timer) <= soon)
        return;
    uv_timer_start(&inf->timer, on_timer, soon, 0);
}


void
informer__retry_now(informer *inf)
{
    if (inf->state != INF_WAITING)
        return;
    uv_timer_stop(&inf->timer);
    on_timer(&inf->timer);
}


void
informer__set_transport(informer *inf, informer__request_fn request, void (*cancel)(kube_call *call))
{
    inf->request = request;
    inf->cancel = cancel;
}


store *
informer_store(informer *inf)
{
    return inf->store;
}


const informer_stats *
informer_get_stats(const informer *inf)
{
    return &inf->stats;
}


const char *
informer_resource_version(const informer *inf)
{
    return inf->rv;
}


static void
on_closed(uv_handle_t *h)
{
    informer *inf = h->data;

    if (inf->closed)
        inf->closed(inf->closed_data);
    ws_free(&inf->parser);
    store_free(inf->store);
    hmap_free(inf->seen, NULL);
    free(inf->cont);
    free(inf->namespace);
    free(inf->label_selector);
    free(inf->field_selector);
    free(inf);
}


void
informer_stop(informer *inf, void (*closed)(void *data), void *data)
{
    if (!inf || inf->state == INF_STOPPED)
        return;
    inf->state = INF_STOPPED;
    inf->closed = closed;
    inf->closed_data = data;
    if (inf->call)
        inf->cancel(inf->call);
    inf->call = NULL;
    uv_timer_stop(&inf->timer);
    uv_close((uv_handle_t *)&inf->timer, on_closed);
}
