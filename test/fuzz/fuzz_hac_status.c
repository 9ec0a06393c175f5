/*
 * libFuzzer target for the HACluster status mapping (hac_status_eval, then ctrl_status_build),
 * which reads what the Zalando operator and Kubernetes wrote: the postgresql object's status,
 * its StatefulSet and its Spilo pods. The input is a JSON object {"hac": ..., "pg": ...,
 * "sts": ..., "pods": [...], "crd": bool, "secretOk": bool, "zalandoSecret": bool,
 * "pooler": bool, "poolerRepl": bool, "today": "YYYY-MM-DD"}, as the caches could hold them
 * after any edit. Oracles besides the sanitizers: fields are always returned; the status
 * built has a phase and the Ready, Progressing and Degraded conditions, each True, False or
 * Unknown with a reason; a recheck is never negative; it is deterministic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "ctrl/ctrl_status.h"
#include "hac/hac_status.h"
#include "kjson/kjson.h"

#include "fuzz_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PODS 8

/* The status hac_status_eval and ctrl_status_build make of in: printed, or abort. */
static char *
status_text(const hac_status_in *in, int spec_ok, const char *err)
{
    ctrl_conds      conds;
    hac_status_note note;
    cJSON          *fields, *st;
    char           *text;
    const cJSON    *meta = cJSON_GetObjectItemCaseSensitive(in->hac, "metadata");
    int64_t         generation = 0;

    memset(&conds, 0, sizeof conds);
    memset(&note, 0, sizeof note);
    if (!spec_ok) { /* as ctrl_refuse does for the controller, before the evaluation */
        conds.refusal = "InvalidSpec";
        snprintf(conds.refusal_message, sizeof conds.refusal_message, "%s", err);
    }
    fields = hac_status_eval(in, &conds, &note);
    if (!fields || note.recheck_s < 0)
        abort();
    (void)kjson_get_int64(meta, "generation", &generation); /* 0 when absent or not an int64 */
    st = ctrl_status_build(cJSON_GetObjectItemCaseSensitive(in->hac, "status"), generation, &conds,
                           fields, in->now);
    fuzz_check_status(st);
    text = cJSON_PrintUnformatted(st);
    if (!text)
        abort();
    cJSON_Delete(st);
    return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON        *in = cJSON_ParseWithLength((const char *)data, size);
    const cJSON  *pods[MAX_PODS], *p;
    hac_status_in si;
    hac_spec      spec;
    char          err[512] = "";
    const char   *today;
    char         *x, *y;
    int           spec_ok;

    if (!in)
        return 0;
    memset(&si, 0, sizeof si);
    si.hac = cJSON_GetObjectItemCaseSensitive(in, "hac");
    if (!cJSON_IsObject(si.hac)) {
        cJSON_Delete(in);
        return 0;
    }
    spec_ok = hac_spec_parse(si.hac, &spec, err, sizeof err) == CORE_OK;
    si.spec = spec_ok ? &spec : NULL;
    si.crd_installed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "crd"));
    si.pg = cJSON_GetObjectItemCaseSensitive(in, "pg");
    si.sts = cJSON_GetObjectItemCaseSensitive(in, "sts");
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(in, "pods")) {
        if (si.npods == MAX_PODS)
            break;
        pods[si.npods++] = p;
    }
    si.pods = pods;
    si.secret_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "secretOk"));
    si.zalando_secret = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "zalandoSecret"));
    si.poolers.pooler = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "pooler"));
    si.poolers.pooler_repl = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "poolerRepl"));
    today = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "today"));
    si.today = today && strlen(today) == 10 ? today : "2026-11-30";
    si.now = "2026-11-30T12:00:00Z";
    si.now_s = 1796040000; /* the same instant */
    si.wait_s = HAC_ZALANDO_WAIT_S;
    x = status_text(&si, spec_ok, err);
    y = status_text(&si, spec_ok, err);
    if (strcmp(x, y) != 0)
        abort();
    free(x);
    free(y);
    cJSON_Delete(in);
    return 0;
}
