#include "events.h"
#include "events-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "hmap/hmap.h"
#include "kjson/kjson.h"
#include "kops/kops.h"

#define EVENTS_MESSAGE_MAX 1024
/* Namespaces remembered as being deleted (events_record); the map is emptied when full. */
#define EVENTS_GONE_MAX    256

/* One aggregated Event: its name on the server and how far its count got. */
typedef struct {
    events_recorder *rec;  /* NULL once the recorder is freed */
    char            *key;  /* this entry's key in the map */
    char            *name; /* the Event's metadata.name */
    char            *ns;
    cJSON           *body;      /* what to create; held only while a write is in flight (a
                                  404 on a count patch re-creates), since most Events
                                  never repeat: a repeat renders it again */
    unsigned         count;     /* occurrences so far */
    unsigned         written;   /* count the server has */
    unsigned         sending;   /* count carried by the write in flight */
    int              busy;      /* a write is in flight */
    int              exists;    /* created on the server */
    int64_t          created_s; /* the object's creationTimestamp, Unix s; 0: unknown */
} tracked;

struct events_recorder {
    kube_client    *client;
    char           *component;
    char           *instance;
    hmap           *events; /* key -> tracked */
    /* namespace -> int64_t: the newest creationTimestamp of an object whose Event the server
     * refused there because the namespace is being deleted (kops_ns_terminating). */
    hmap           *gone;
    unsigned        seq;
    events_stats    stats;
    events__send_fn send; /* send_kops; tests answer writes themselves */
};


static int
send_kops(const kops_target *t, const cJSON *body, int create, kops_cb cb, void *data)
{
    return create ? kops_create(t, body, cb, data) : kops_merge_patch(t, body, cb, data);
}


int
events_reason_valid(const char *s)
{
    size_t i;

    if (!s || !(s[0] >= 'A' && s[0] <= 'Z'))
        return 0;
    for (i = 1; s[i]; i++)
        if (i >= 128 || !((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
                          (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}


int
events_new(kube_client *c, const char *component, const char *instance, events_recorder **out)
{
    events_recorder *r = calloc(1, sizeof *r);

    *out = NULL;
    if (!r)
        return CORE_ENOMEM;
    r->client = c;
    r->send = send_kops;
    r->component = strdup(component);
    r->instance = strdup(instance ? instance : component);
    if (!r->component || !r->instance || hmap_new(0, &r->events) || hmap_new(0, &r->gone)) {
        hmap_free(r->events, NULL);
        free(r->component);
        free(r->instance);
        free(r);
        return CORE_ENOMEM;
    }
    *out = r;
    return CORE_OK;
}


static void
tracked_free(tracked *t)
{
    if (!t)
        return;
    free(t->key);
    free(t->name);
    free(t->ns);
    cJSON_Delete(t->body);
    free(t);
}


/* Nothing in flight needs the body any more. */
static void
drop_body(tracked *t)
{
    cJSON_Delete(t->body);
    t->body = NULL;
}


static void write_next(tracked *t);


/* The server refused t's Event: its namespace is being deleted. Nothing older there is
 * written any more; a namespace made again under the name holds newer objects only. */
static void
learn_gone(events_recorder *r, const tracked *t)
{
    int64_t *newest = hmap_get(r->gone, t->ns);

    if (!t->created_s)
        return;
    if (!newest) {
        if (hmap_len(r->gone) >= EVENTS_GONE_MAX) {
            hmap *fresh; /* emptied as ctrl's learn_gone empties its own */

            if (hmap_new(0, &fresh) != CORE_OK)
                return;
            hmap_free(r->gone, free);
            r->gone = fresh;
        }
        if (!(newest = malloc(sizeof *newest)) || hmap_put(r->gone, t->ns, newest, NULL)) {
            free(newest);
            return;
        }
        *newest = t->created_s;
    }
    if (t->created_s > *newest)
        *newest = t->created_s;
}


static void
on_written(const kops_result *res, void *data)
{
    tracked *t = data;

    t->busy = 0;
    if (!t->rec) {
        /* The recorder is gone; this entry was left to us to free. */
        tracked_free(t);
        return;
    }
    if (res->err == CORE_ENOENT && t->exists) {
        t->exists = 0; /* expired on the server: create it again */
        write_next(t);
        return;
    }
    if (res->err) {
        t->rec->stats.failed++;
        if (kops_ns_terminating(res))
            learn_gone(t->rec, t);
    } else {
        t->rec->stats.created += !t->exists;
        t->rec->stats.patched += t->exists;
        t->exists = 1;
        t->written = t->sending;
        if (t->written < t->count) {
            write_next(t);
            return;
        }
    }
    drop_body(t);
}


/* Sends what the server lacks: the Event itself, or a newer count. */
static void
write_next(tracked *t)
{
    events_recorder *r = t->rec;
    kops_target      target = {r->client, &KRES_EVENTS, t->ns, t->name, NULL, 1, 0};
    char             now[32];
    cJSON           *patch = NULL;
    int              rc;

    if (t->busy)
        return;
    core_now_rfc3339(now, sizeof now);
    if (!t->exists) {
        rc = CORE_ENOMEM;
        if (t->body &&
            cJSON_ReplaceItemInObjectCaseSensitive(t->body, "count", cJSON_CreateNumber(t->count)) &&
            cJSON_ReplaceItemInObjectCaseSensitive(t->body, "lastTimestamp", cJSON_CreateString(now)))
            rc = r->send(&target, t->body, 1, on_written, t);
    } else {
        patch = cJSON_CreateObject();
        if (!patch || !cJSON_AddNumberToObject(patch, "count", t->count) ||
            !cJSON_AddStringToObject(patch, "lastTimestamp", now))
            rc = CORE_ENOMEM;
        else
            rc = r->send(&target, patch, 0, on_written, t);
        cJSON_Delete(patch);
    }
    if (rc == CORE_OK) {
        t->busy = 1;
        t->sending = t->count;
    } else {
        r->stats.failed++;
        drop_body(t);
    }
}


static cJSON *
event_body(events_recorder *r, const cJSON *obj, const char *name, const char *type,
           const char *reason, const char *message)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const char  *fields[] = {"name", "namespace", "uid", "resourceVersion"};
    char         now[32];
    cJSON       *e = cJSON_CreateObject(), *m, *inv, *src;
    size_t       i;

    core_now_rfc3339(now, sizeof now);
    if (!e || !cJSON_AddStringToObject(e, "apiVersion", "v1") ||
        !cJSON_AddStringToObject(e, "kind", "Event") ||
        !(m = cJSON_AddObjectToObject(e, "metadata")) || !cJSON_AddStringToObject(m, "name", name) ||
        !cJSON_AddStringToObject(m, "namespace",
                                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta,
                                                                                       "namespace"))) ||
        !(inv = cJSON_AddObjectToObject(e, "involvedObject")))
        goto fail;
    if (!cJSON_AddStringToObject(
            inv, "apiVersion",
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "apiVersion"))) ||
        !cJSON_AddStringToObject(inv, "kind",
                                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "kind"))))
        goto fail;
    for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, fields[i]));

        if (v && !cJSON_AddStringToObject(inv, fields[i], v))
            goto fail;
    }
    if (!cJSON_AddStringToObject(e, "reason", reason) ||
        !cJSON_AddStringToObject(e, "message", message) ||
        !cJSON_AddStringToObject(e, "type", type) || !(src = cJSON_AddObjectToObject(e, "source")) ||
        !cJSON_AddStringToObject(src, "component", r->component) ||
        !cJSON_AddStringToObject(e, "reportingComponent", r->component) ||
        !cJSON_AddStringToObject(e, "reportingInstance", r->instance) ||
        !cJSON_AddStringToObject(e, "firstTimestamp", now) ||
        !cJSON_AddStringToObject(e, "lastTimestamp", now) || !cJSON_AddNumberToObject(e, "count", 1))
        goto fail;
    return e;
fail:
    cJSON_Delete(e);
    return NULL;
}


/* One line, at most EVENTS_MESSAGE_MAX bytes, cut on a UTF-8 boundary. */
static void
one_line(const char *in, char *out, size_t len)
{
    size_t n = strcspn(in, "\r\n");

    if (n >= len)
        n = len - 1;
    while (n > 0 && n < strlen(in) && ((unsigned char)in[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, in, n);
    out[n] = '\0';
}


/* Drops every tracked Event whose key starts with prefix (n bytes; 0: all); one with a write
 * in flight is freed when the write ends. */
static void
forget(events_recorder *r, const char *prefix, size_t n)
{
    hmap_iter   it;
    const char *key;
    void       *v;

    hmap_iter_init(r->events, &it);
    while (hmap_iter_next(r->events, &it, &key, &v)) {
        tracked *t = v;

        if (n && strncmp(key, prefix, n) != 0)
            continue;
        hmap_iter_del(r->events, &it, NULL);
        if (t->busy)
            t->rec = NULL;
        else
            tracked_free(t);
    }
}


void
events_forget(events_recorder *r, const char *uid)
{
    char prefix[160];
    int  n;

    if (!r || !uid || (n = snprintf(prefix, sizeof prefix, "%s|", uid)) >= (int)sizeof prefix)
        return;
    forget(r, prefix, (size_t)n);
}


int
events_record(events_recorder *r, const cJSON *obj, const char *type, const char *reason,
              const char *message)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const char  *uid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "uid"));
    const char  *oname = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "name"));
    const char  *ns = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "namespace"));
    char         msg[EVENTS_MESSAGE_MAX + 1], name[320];
    core_buf     key;
    tracked     *t;
    int64_t      created_s = 0, *gone;
    int          rc;

    if (!events_reason_valid(reason) || !uid || !oname || !ns ||
        !cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "apiVersion")) ||
        !cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "kind")) || !type ||
        (strcmp(type, "Normal") != 0 && strcmp(type, "Warning") != 0))
        return CORE_EINVAL;
    if (core_rfc3339_parse(kjson_get_str(meta, "creationTimestamp"), &created_s) != CORE_OK)
        created_s = 0;
    if (created_s && (gone = hmap_get(r->gone, ns)) && created_s <= *gone) {
        r->stats.skipped++;
        return CORE_OK;
    }
    one_line(message ? message : "", msg, sizeof msg);
    core_buf_init(&key, 4096);
    if ((rc = core_buf_printf(&key, "%s|%s|%s|%s", uid, type, reason, msg)))
        return rc;
    t = hmap_get(r->events, key.data);
    if (t) {
        core_buf_free(&key);
        t->count++;
        /* Without a body a 404 cannot re-create: the write then counts as failed. */
        if (!t->body)
            t->body = event_body(r, obj, t->name, type, reason, msg);
        write_next(t);
        return CORE_OK;
    }
    if (hmap_len(r->events) >= EVENTS_MAX_TRACKED)
        forget(r, NULL, 0); /* bounded: a repeat of a forgotten Event starts a new one */
    snprintf(name, sizeof name, "%.240s.%llx%04x", oname, (unsigned long long)time(NULL),
             r->seq++ & 0xffff);
    rc = CORE_ENOMEM;
    t = calloc(1, sizeof *t);
    if (!t || !(t->key = core_buf_take(&key)) || !(t->name = strdup(name)) ||
        !(t->ns = strdup(ns)) || !(t->body = event_body(r, obj, name, type, reason, msg)) ||
        hmap_put(r->events, t->key, t, NULL))
        goto fail;
    t->rec = r;
    t->count = 1;
    t->created_s = created_s;
    write_next(t);
    return CORE_OK;
fail:
    core_buf_free(&key);
    tracked_free(t);
    return rc;
}


const events_stats *
events_get_stats(const events_recorder *r)
{
    return &r->stats;
}


void
events__set_send(events_recorder *r, events__send_fn send)
{
    r->send = send;
}


size_t
events__tracked(const events_recorder *r)
{
    return hmap_len(r->events);
}


void
events_free(events_recorder *r)
{
    if (!r)
        return;
    forget(r, NULL, 0);
    hmap_free(r->events, NULL);
    hmap_free(r->gone, free);
    free(r->component);
    free(r->instance);
    free(r);
}
