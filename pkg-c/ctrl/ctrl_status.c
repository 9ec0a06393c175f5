#include "ctrl_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "kjson/kjson.h"


void
ctrl_conds_set(ctrl_conds *c, ctrl_cond_type type, int status, const char *reason, const char *fmt, ...)
{
    va_list ap;

    c->cond[type].set = 1;
    c->cond[type].status = status;
    c->cond[type].reason = reason;
    va_start(ap, fmt);
    vsnprintf(c->cond[type].message, sizeof c->cond[type].message, fmt, ap);
    va_end(ap);
}

static const char *const cond_names[CTRL_NCOND] = {"Ready", "Progressing", "Degraded"};


const cJSON *
ctrl_condition_find(const cJSON *status, const char *type)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(status, "conditions")) {
        const char *t = kjson_get_str(c, "type");

        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}


/* The conditions as they will be written: the refusal laid over what the kind set. */
static void
effective(const ctrl_conds *in, ctrl_condition *out)
{
    int i;

    for (i = 0; i < CTRL_NCOND; i++) {
        out[i] = in->cond[i];
        if (!out[i].set) {
            out[i].status = 0;
            out[i].reason = "NotEvaluated";
            snprintf(out[i].message, sizeof out[i].message,
                     "not evaluated: an earlier step has not finished");
        }
    }
    if (!in->refusal)
        return;
    out[CTRL_DEGRADED].set = 1;
    out[CTRL_DEGRADED].status = 1;
    out[CTRL_DEGRADED].reason = in->refusal;
    snprintf(out[CTRL_DEGRADED].message, CTRL_MSG_MAX, "%s", in->refusal_message);
    out[CTRL_PROGRESSING].set = 1;
    out[CTRL_PROGRESSING].status = 0;
    out[CTRL_PROGRESSING].reason = in->refusal;
    snprintf(out[CTRL_PROGRESSING].message, CTRL_MSG_MAX,
             "nothing is changed until what the Stalled condition says is resolved");
    if (!in->keep_ready) {
        out[CTRL_READY].set = 1;
        out[CTRL_READY].status = 0;
        out[CTRL_READY].reason = in->refusal;
        snprintf(out[CTRL_READY].message, CTRL_MSG_MAX, "%s", in->refusal_message);
    }
}


const char *
ctrl_phase(const ctrl_conds *c)
{
    ctrl_condition e[CTRL_NCOND];
    int            ready, progressing, stalled, degraded;

    effective(c, e);
    ready = e[CTRL_READY].status;
    progressing = e[CTRL_PROGRESSING].status;
    stalled = c->refusal != NULL;
    degraded = e[CTRL_DEGRADED].status;
    if (c->deleting)
        return "Deleting";
    if (stalled && !ready)
        return "Failed";
    if (degraded || (ready && stalled))
        return "Degraded";
    if (ready)
        return progressing ? "Updating" : "Ready";
    return progressing ? "Provisioning" : "Pending";
}


/* status: 1 True, 0 False, -1 Unknown (metav1.Condition's three values). */
static int
add_condition(cJSON *list, const cJSON *old_status, const char *type, int status,
              const char *reason, const char *message, int64_t generation, const char *now)
{
    const cJSON *old = ctrl_condition_find(old_status, type);
    const char  *st = status > 0 ? "True" : status == 0 ? "False" : "Unknown";
    const char  *old_st = kjson_get_str(old, "status");
    const char  *old_t = kjson_get_str(old, "lastTransitionTime");
    cJSON       *c = cJSON_CreateObject();

    if (!c || !cJSON_AddItemToArray(list, c)) {
        cJSON_Delete(c);
        return CORE_ENOMEM;
    }
    if (!cJSON_AddStringToObject(c, "type", type) || !cJSON_AddStringToObject(c, "status", st) ||
        !cJSON_AddStringToObject(c, "reason", reason) ||
        !cJSON_AddStringToObject(c, "message", message) ||
        !cJSON_AddStringToObject(c, "lastTransitionTime",
                                 old_st && old_t && strcmp(old_st, st) == 0 ? old_t : now) ||
        !cJSON_AddNumberToObject(c, "observedGeneration", (double)generation))
        return CORE_ENOMEM;
    return CORE_OK;
}


/* A condition the run set is True or False; one it never reached is Unknown (-1). */
static int
tri(const ctrl_condition *c)
{
    return c->set ? c->status : -1;
}


cJSON *
ctrl_status_build(const cJSON *old, int64_t generation, const ctrl_conds *c, cJSON *fields,
                  const char *now)
{
    ctrl_condition e[CTRL_NCOND];
    cJSON         *st = cJSON_CreateObject(), *list, *f;
    const char    *refusal = c->refusal;
    int            i, rc = CORE_OK;

    effective(c, e);
    if (!st || !cJSON_AddStringToObject(st, "phase", ctrl_phase(c)) ||
        !(list = cJSON_AddArrayToObject(st, "conditions")))
        goto fail;
    for (i = 0; i < CTRL_NCOND && !rc; i++)
        rc = add_condition(list, old, cond_names[i], tri(&e[i]), e[i].reason, e[i].message,
                           generation, now);
    if (!rc)
        rc = add_condition(list, old, "Reconciling", tri(&e[CTRL_PROGRESSING]),
                           e[CTRL_PROGRESSING].reason, e[CTRL_PROGRESSING].message, generation, now);
    if (!rc)
        rc = add_condition(list, old, "Stalled", refusal != NULL, refusal ? refusal : "NotStalled",
                           refusal ? c->refusal_message : "no action is needed", generation, now);
    /* A double, as parsed objects hold it, so that an unchanged status compares equal. */
    if (rc || !cJSON_AddNumberToObject(st, "observedGeneration", (double)generation))
        goto fail;
    while (fields && (f = fields->child)) {
        cJSON_DetachItemViaPointer(fields, f);
        cJSON_DeleteItemFromObjectCaseSensitive(st, f->string);
        cJSON_AddItemToObject(st, f->string, f);
    }
    cJSON_Delete(fields);
    return st;
fail:
    cJSON_Delete(fields);
    cJSON_Delete(st);
    return NULL;
}


uint64_t
ctrl_status_hold_ms(const cJSON *old, const cJSON *status, int refused, int64_t now)
{
    const cJSON *ready = ctrl_condition_find(old, "Ready");
    const char  *since = kjson_get_str(ready, "lastTransitionTime");
    const char  *was = kjson_get_str(ready, "status");
    const char  *degraded = kjson_get_str(ctrl_condition_find(status, "Degraded"), "status");
    const char  *phase_old = kjson_get_str(old, "phase"), *phase = kjson_get_str(status, "phase");
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(old, "observedGeneration");
    int64_t      t0;

    if (!cJSON_IsNumber(gen) || gen->valuedouble != 1 || refused || !since || !was ||
        strcmp(was, "False") != 0 || !phase_old || !phase || strcmp(phase_old, "Provisioning") != 0 ||
        strcmp(phase, "Provisioning") != 0 || (degraded && strcmp(degraded, "True") == 0) ||
        !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(old, "conditions"),
                       cJSON_GetObjectItemCaseSensitive(status, "conditions"), 1) ||
        !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(old, "observedGeneration"),
                       cJSON_GetObjectItemCaseSensitive(status, "observedGeneration"), 1) ||
        core_rfc3339_parse(since, &t0) != CORE_OK || now < t0 || now - t0 >= CTRL_HOLD_S)
        return 0;
    return (uint64_t)(CTRL_HOLD_S - (now - t0)) * 1000;
}
