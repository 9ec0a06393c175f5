/*
 * ctrl_about: Events others record about a run's children (ctrl_about.h).
 */
#include "ctrl/ctrl_about.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "kjson/kjson.h"
#include "kres/kres.h"
#include "runtime/runtime.h"
#include "store/store.h"

/* Events about one child looked at per call; a recorder folds repeats into one Event
 * (count), so a child has a few at most. */
#define ABOUT_MAX 16

/* The label ctrl_about_keep gives each cached Event (in the cache only, never written): its
 * involvedObject.uid, indexed, so a child's Events are found without a walk of all of them
 * (at N=1000 that walk, twice per run while a pod is missing, was 3 % of the native CPU of a
 * create, and it grows with N). */
#define ABOUT_UID_LABEL "dbaas.dev/involved-uid"

typedef struct {
    char   prefix[320]; /* "<namespace>/<child's name>." */
    size_t len;
    char   names[ABOUT_MAX][256];
    int    n;
} about_walk;


static int
plain(const char *s)
{
    return s && *s && !strpbrk(s, ",= ");
}


/*
 * The about watch's transform: the involved object's uid as a label, then only what is
 * read: the metadata, the involved object's uid (ctrl_about) and name (the runtime queues
 * the primary of that name), reason, message, type, count and the three times
 * ctrl_about_when looks at. source, reportingComponent, reportingInstance, firstTimestamp,
 * action, related and the rest of involvedObject go: about 0.3 KB of an Event's 0.8 (with
 * the label), and at N=5000 there are two Events per StatefulSet.
 */
int
ctrl_about_keep(cJSON *ev)
{
    static const char *const keep[] = {"metadata", "involvedObject", "reason", "message",  "type",
                                       "count",    "lastTimestamp",  "series", "eventTime"};
    static const char *const keep_involved[] = {"uid", "name"};
    const char              *uid = kjson_path_str(ev, "involvedObject", "uid", NULL);
    cJSON                   *meta = cJSON_GetObjectItemCaseSensitive(ev, "metadata");
    cJSON                   *labels = cJSON_GetObjectItemCaseSensitive(meta, "labels");

    informer_strip(ev);
    if (uid && cJSON_IsObject(meta)) {
        if (!cJSON_IsObject(labels)) {
            cJSON_DeleteItemFromObjectCaseSensitive(meta, "labels");
            labels = cJSON_AddObjectToObject(meta, "labels");
        }
        cJSON_DeleteItemFromObjectCaseSensitive(labels, ABOUT_UID_LABEL);
        cJSON_AddStringToObject(labels, ABOUT_UID_LABEL, uid); /* out of memory: not found */
    }
    /* uid points into involvedObject: trimmed after the label has its copy. */
    kjson_keep(cJSON_GetObjectItemCaseSensitive(ev, "involvedObject"), keep_involved,
               sizeof keep_involved / sizeof *keep_involved);
    kjson_keep(ev, keep, sizeof keep / sizeof *keep);
    return 1;
}


int
ctrl_watch_about(ctrl *c, const char *involved_kind, const char *reason, informer **out)
{
    informer_opts o;
    char          field[256];
    int           n;

    if (out)
        *out = NULL;
    if (!plain(involved_kind) || (reason && !plain(reason)))
        return CORE_EINVAL;
    n = snprintf(field, sizeof field, "involvedObject.kind=%s%s%s", involved_kind,
                 reason ? ",reason=" : "", reason ? reason : "");
    if (n < 0 || (size_t)n >= sizeof field)
        return CORE_EINVAL;
    memset(&o, 0, sizeof o);
    o.res = &KRES_EVENTS;
    o.namespace = ctrl_namespace(c);
    o.field_selector = field;
    o.transform = ctrl_about_keep;
    o.index_label = ABOUT_UID_LABEL;
    return rt_controller_watch_about(ctrl_controller(c), &o, out);
}


int64_t
ctrl_about_when(const cJSON *ev)
{
    const char *at[] = {kjson_get_str(ev, "lastTimestamp"),
                        kjson_path_str(ev, "series", "lastObservedTime", NULL),
                        kjson_get_str(ev, "eventTime")};
    int64_t     t;
    size_t      i;

    for (i = 0; i < sizeof at / sizeof at[0]; i++)
        if (core_rfc3339_parse(at[i], &t) == CORE_OK)
            return t;
    return 0;
}


static void
visit(const char *key, const store_obj *o, void *data)
{
    about_walk *w = data;
    const char *name = key + w->len;

    (void)o;
    if (w->n < ABOUT_MAX && strncmp(key, w->prefix, w->len) == 0 &&
        (size_t)snprintf(w->names[w->n], sizeof w->names[0], "%s", name) < sizeof w->names[0])
        w->n++;
}


static int
reason_in(const cJSON *ev, const char *const *reasons)
{
    const char *r = kjson_get_str(ev, "reason");

    for (; reasons && *reasons; reasons++)
        if (r && strcmp(r, *reasons) == 0)
            return 1;
    return !reasons;
}


const cJSON *
ctrl_about(ctrl_run *run, informer *cache, const cJSON *child, const char *const *reasons)
{
    const char  *uid = kjson_path_str(child, "metadata", "uid", NULL);
    const char  *name = kjson_path_str(child, "metadata", "name", NULL);
    const cJSON *best = NULL, *ev;
    int64_t      best_t = 0, t;
    about_walk   w;
    int          i, n;

    if (!cache || !uid || !name)
        return NULL;
    memset(&w, 0, sizeof w);
    n = snprintf(w.prefix, sizeof w.prefix, "%s/%s.", ctrl_ns(run), name);
    if (n < 0 || (size_t)n >= sizeof w.prefix)
        return NULL;
    w.len = (size_t)n;
    store_by_label(informer_store(cache), ABOUT_UID_LABEL, uid, visit, &w);
    for (i = 0; i < w.n; i++) {
        char full[320];

        /* ctrl_view takes the name without the namespace: the child's name, '.', suffix. */
        if ((size_t)snprintf(full, sizeof full, "%s.%s", name, w.names[i]) >= sizeof full ||
            !(ev = ctrl_view(run, cache, full)))
            continue;
        if (strcmp(kjson_path_str(ev, "involvedObject", "uid", NULL) ?: "", uid) != 0 ||
            !reason_in(ev, reasons))
            continue;
        t = ctrl_about_when(ev);
        if (!best || t > best_t) {
            best = ev;
            best_t = t;
        }
    }
    return best;
}
