#include "leader.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/core.h"
#include "kjson/kjson.h"
#include "kops/kops.h"
#include "kres/kres.h"

typedef enum {
    LEADER_IDLE,
    LEADER_RUNNING,
    LEADER_RELEASING,
    LEADER_DONE
} leader_state;

struct leader {
    uv_loop_t   *loop;
    kube_client *client;
    leader_opts  opts;
    char *namespace, *name, *identity;
    uv_timer_t   timer;
    leader_state state;
    int          leading;
    int          busy;        /* a read or write is in flight */
    uint64_t     last_renew;  /* loop time of our last successful renew */
    char        *observed;    /* holder|renewTime of the record last seen */
    uint64_t     observed_at; /* loop time it was first seen */
    void (*done)(void *data);
    void *done_data;
};


static void try_acquire(leader *l);


int
leader_validate(const leader_opts *o, char *err, size_t errlen)
{
    uint64_t lease = o->lease_ms ? o->lease_ms : 15000;
    uint64_t renew = o->renew_ms ? o->renew_ms : 10000;
    uint64_t retry = o->retry_ms ? o->retry_ms : 2000;

    if (!o->namespace || !o->name || !o->identity || !*o->identity) {
        snprintf(err, errlen, "leader election needs a namespace, a name and an identity");
        return CORE_EINVAL;
    }
    if (lease <= renew) {
        snprintf(err, errlen,
                 "lease duration (%llu ms) must be greater than the renew deadline (%llu ms)",
                 (unsigned long long)lease, (unsigned long long)renew);
        return CORE_EINVAL;
    }
    if ((double)renew <= 1.2 * (double)retry) {
        snprintf(err, errlen,
                 "renew deadline (%llu ms) must be greater than 1.2 x the retry period (%llu ms)",
                 (unsigned long long)renew, (unsigned long long)retry);
        return CORE_EINVAL;
    }
    return CORE_OK;
}


void
leader_micro_time(char *buf, size_t len)
{
    struct timeval tv;
    struct tm      tm;
    char           base[32];

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%06ldZ", base, (long)tv.tv_usec);
}


int
leader_new(uv_loop_t *loop, kube_client *client, const leader_opts *opts, leader **out)
{
    leader *l;
    char    err[256];

    *out = NULL;
    if (leader_validate(opts, err, sizeof err))
        return CORE_EINVAL;
    l = calloc(1, sizeof *l);
    if (!l)
        return CORE_ENOMEM;
    l->loop = loop;
    l->client = client;
    l->opts = *opts;
    l->opts.lease_ms = opts->lease_ms ? opts->lease_ms : 15000;
    l->opts.renew_ms = opts->renew_ms ? opts->renew_ms : 10000;
    l->opts.retry_ms = opts->retry_ms ? opts->retry_ms : 2000;
    l->namespace = strdup(opts->namespace);
    l->name = strdup(opts->name);
    l->identity = strdup(opts->identity);
    if (!l->namespace || !l->name || !l->identity) {
        free(l->namespace);
        free(l->name);
        free(l->identity);
        free(l);
        return CORE_ENOMEM;
    }
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    *out = l;
    return CORE_OK;
}


static kops_target
lease_target(leader *l, int named)
{
    kops_target t = {l->client, &KRES_LEASES, l->namespace, named ? l->name : NULL, NULL, 0, 0};

    return t;
}


static void
lose(leader *l)
{
    if (!l->leading)
        return;
    l->leading = 0;
    if (l->opts.on_lost)
        l->opts.on_lost(l, l->opts.data);
}


static void
won(leader *l)
{
    l->last_renew = uv_now(l->loop);
    if (l->leading)
        return;
    l->leading = 1;
    if (l->opts.on_started)
        l->opts.on_started(l, l->opts.data);
}


/* The lease spec we write: ours, renewed now; transitions counted when the holder changes. */
static cJSON *
lease_body(leader *l, const cJSON *current, int release)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(current, "spec");
    const char  *holder =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "holderIdentity"));
    const cJSON *acquire = cJSON_GetObjectItemCaseSensitive(spec, "acquireTime");
    const cJSON *trans = cJSON_GetObjectItemCaseSensitive(spec, "leaseTransitions");
    const char  *rv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
         cJSON_GetObjectItemCaseSensitive(current, "metadata"), "resourceVersion"));
    int          transitions = cJSON_IsNumber(trans) ? trans->valueint : 0;
    int          same = holder && strcmp(holder, l->identity) == 0;
    char         now[40];
    cJSON       *body = cJSON_CreateObject(), *meta, *s;

    leader_micro_time(now, sizeof now);
    if (!body || !cJSON_AddStringToObject(body, "apiVersion", "coordination.k8s.io/v1") ||
        !cJSON_AddStringToObject(body, "kind", "Lease") ||
        !(meta = cJSON_AddObjectToObject(body, "metadata")) ||
        !cJSON_AddStringToObject(meta, "name", l->name) ||
        !cJSON_AddStringToObject(meta, "namespace", l->namespace) ||
        (rv && !cJSON_AddStringToObject(meta, "resourceVersion", rv)) ||
        !(s = cJSON_AddObjectToObject(body, "spec")))
        goto fail;
    if (release) {
        /* As client-go does: no holder, and a 1 s duration so others need not wait. */
        if (!cJSON_AddStringToObject(s, "holderIdentity", "") ||
            !cJSON_AddNumberToObject(s, "leaseDurationSeconds", 1) ||
            !cJSON_AddStringToObject(s, "renewTime", now) ||
            !cJSON_AddNumberToObject(s, "leaseTransitions", transitions))
            goto fail;
        return body;
    }
    if (!cJSON_AddStringToObject(s, "holderIdentity", l->identity) ||
        !cJSON_AddNumberToObject(s, "leaseDurationSeconds", (double)(l->opts.lease_ms / 1000)) ||
        !cJSON_AddStringToObject(s, "renewTime", now) ||
        !cJSON_AddNumberToObject(s, "leaseTransitions",
                                 same || !current ? transitions : transitions + 1))
        goto fail;
    if (same && cJSON_IsString(acquire)) {
        if (!cJSON_AddStringToObject(s, "acquireTime", acquire->valuestring))
            goto fail;
    } else if (!cJSON_AddStringToObject(s, "acquireTime", now)) {
        goto fail;
    }
    return body;
fail:
    cJSON_Delete(body);
    return NULL;
}


static void
on_tick(uv_timer_t *t)
{
    try_acquire(t->data);
}


static void
schedule(leader *l)
{
    if (l->state == LEADER_RUNNING)
        uv_timer_start(&l->timer, on_tick, l->opts.retry_ms, 0);
}


/* After a failed renew, leadership ends once the renew deadline has passed. */
static void
renew_failed(leader *l)
{
    if (l->leading && uv_now(l->loop) - l->last_renew >= l->opts.renew_ms)
        lose(l);
}


static void
on_written(const kops_result *r, void *data)
{
    leader *l = data;

    l->busy = 0;
    if (l->state == LEADER_RELEASING)
        return;
    if (r->err == CORE_OK)
        won(l);
    else
        renew_failed(l);
    schedule(l);
}


/* Whether the record has gone unrenewed for a lease duration, by our clock. */
static int
expired(leader *l, const cJSON *lease)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(lease, "spec");
    const char  *holder =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "holderIdentity"));
    const char  *renew = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "renewTime"));
    const cJSON *dur = cJSON_GetObjectItemCaseSensitive(spec, "leaseDurationSeconds");
    /* leaseDurationSeconds is an int32 (coordination/v1); a missing or bad one means ours. */
    int          dur_s = kjson_int_or(dur, 1, INT32_MAX, 0);
    uint64_t     duration = dur_s ? (uint64_t)dur_s * 1000 : l->opts.lease_ms;
    char         seen[512];

    if (!holder || !*holder)
        return 1;
    snprintf(seen, sizeof seen, "%s|%s", holder, renew ? renew : "");
    if (!l->observed || strcmp(l->observed, seen) != 0) {
        free(l->observed);
        l->observed = strdup(seen);
        l->observed_at = uv_now(l->loop);
    }
    return uv_now(l->loop) - l->observed_at >= duration;
}


static void
on_read(const kops_result *r, void *data)
{
    leader     *l = data;
    kops_target t = lease_target(l, 1);
    const char *holder;
    cJSON      *body = NULL;
    int         rc;

    l->busy = 0;
    if (l->state != LEADER_RUNNING)
        return;
    if (r->err == CORE_ENOENT) {
        body = lease_body(l, NULL, 0);
        rc = body ? kops_create(&t, body, on_written, l) : CORE_ENOMEM;
        goto sent;
    }
    if (r->err) {
        renew_failed(l);
        schedule(l);
        return;
    }
    holder = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r->obj, "spec"), "holderIdentity"));
    if (!(holder && strcmp(holder, l->identity) == 0) && !expired(l, r->obj)) {
        lose(l); /* someone else holds it (we may have lost it to a faster candidate) */
        schedule(l);
        return;
    }
    body = lease_body(l, r->obj, 0);
    rc = body ? kops_update(&t, body, on_written, l) : CORE_ENOMEM;
sent:
    cJSON_Delete(body);
    if (rc) {
        renew_failed(l);
        schedule(l);
        return;
    }
    l->busy = 1;
}


static void
try_acquire(leader *l)
{
    kops_target t = lease_target(l, 1);

    if (l->state != LEADER_RUNNING || l->busy)
        return;
    renew_failed(l);
    if (kops_get(&t, on_read, l) == CORE_OK)
        l->busy = 1;
    else
        schedule(l);
}


int
leader_start(leader *l)
{
    if (l->state != LEADER_IDLE)
        return CORE_EINVAL;
    l->state = LEADER_RUNNING;
    uv_timer_start(&l->timer, on_tick, 0, 0);
    return CORE_OK;
}


int
leader_is_leader(const leader *l)
{
    return l->leading;
}


static void
on_closed(uv_handle_t *h)
{
    leader *l = h->data;

    if (l->done)
        l->done(l->done_data);
    free(l->observed);
    free(l->namespace);
    free(l->name);
    free(l->identity);
    free(l);
}


static void
finish(leader *l)
{
    l->state = LEADER_DONE;
    uv_timer_stop(&l->timer);
    uv_close((uv_handle_t *)&l->timer, on_closed);
}


static void
on_released(const kops_result *r, void *data)
{
    (void)r;
    finish(data);
}


static void
on_released_read(const kops_result *r, void *data)
{
    leader     *l = data;
    kops_target t = lease_target(l, 1);
    const char *holder;
    cJSON      *body;

    holder = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r->obj, "spec"), "holderIdentity"));
    if (r->err || !holder || strcmp(holder, l->identity) != 0) {
        finish(l); /* not ours (any more): nothing to give up */
        return;
    }
    body = lease_body(l, r->obj, 1);
    if (!body || kops_update(&t, body, on_released, l) != CORE_OK)
        finish(l);
    cJSON_Delete(body);
}


/* Waits for a read or write in flight to end before releasing. */
static void
release_when_idle(uv_timer_t *t)
{
    leader     *l = t->data;
    kops_target target = lease_target(l, 1);

    if (l->busy) {
        uv_timer_start(&l->timer, release_when_idle, 10, 0);
        return;
    }
    if (!l->leading || kops_get(&target, on_released_read, l) != CORE_OK)
        finish(l);
    l->leading = 0;
}


void
leader_release(leader *l, void (*done)(void *data), void *data)
{
    if (!l || l->state == LEADER_RELEASING || l->state == LEADER_DONE)
        return;
    l->done = done;
    l->done_data = data;
    l->state = LEADER_RELEASING;
    uv_timer_stop(&l->timer);
    release_when_idle(&l->timer);
}
