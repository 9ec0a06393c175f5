/*
 * libFuzzer target for the status mapping of a DBInstance's children (dbi_status_build).
 * The input is a JSON object {"dbi": ..., "sts": ..., "pvc": ..., "pod": ..., "svc": ...},
 * as the caches could hold them after any edit. Oracles besides the sanitizers: a status is
 * always built; it has a phase and the Ready, Progressing and Degraded conditions, each
 * with a status of True, False or Unknown and a reason; it is deterministic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "dbi/dbi_status.h"

#include "fuzz_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON        *in = cJSON_ParseWithLength((const char *)data, size);
    dbi_status_in si;
    dbi_spec      spec;
    char          err[512];
    cJSON        *x, *y;
    char         *px, *py;

    if (!in)
        return 0;
    memset(&si, 0, sizeof si);
    si.dbi = cJSON_GetObjectItemCaseSensitive(in, "dbi");
    if (!cJSON_IsObject(si.dbi)) {
        cJSON_Delete(in);
        return 0;
    }
    if (dbi_spec_parse(si.dbi, &spec, err, sizeof err) == CORE_OK)
        si.spec = &spec;
    else {
        si.reason = "InvalidSpec";
        si.message = err;
    }
    si.sts = cJSON_GetObjectItemCaseSensitive(in, "sts");
    si.pvc = cJSON_GetObjectItemCaseSensitive(in, "pvc");
    si.pod = cJSON_GetObjectItemCaseSensitive(in, "pod");
    si.svc = cJSON_GetObjectItemCaseSensitive(in, "svc");
    si.svc_ours = si.svc != NULL;
    si.secret_ours = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "secretOurs"));
    si.deleting = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, "deleting"));
    si.now = "2026-11-30T12:00:00Z";
    si.now_s = 1796040000; /* the same instant */
    x = dbi_status_build(&si);
    y = dbi_status_build(&si);
    fuzz_check_status(x);
    px = cJSON_PrintUnformatted(x);
    py = cJSON_PrintUnformatted(y);
    if (!px || !py || strcmp(px, py) != 0)
        abort();
    free(px);
    free(py);
    cJSON_Delete(x);
    cJSON_Delete(y);
    cJSON_Delete(in);
    return 0;
}
