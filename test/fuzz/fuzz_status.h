/*
 * The oracle both status fuzz targets (fuzz_dbi_status, fuzz_hac_status) apply to the status
 * a kind builds: it has a phase, and the Ready, Progressing and Degraded conditions, each with
 * a status of True, False or Unknown and a non-empty reason (the Kubernetes API conventions'
 * condition fields). abort()s otherwise, which libFuzzer reports with the input.
 */
#ifndef DBAAS_FUZZ_STATUS_H
#define DBAAS_FUZZ_STATUS_H

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static void
fuzz_check_status(const cJSON *st)
{
    const char  *want[] = {"Ready", "Progressing", "Degraded"};
    const cJSON *c;
    size_t       i;

    if (!st || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(st, "phase")))
        abort();
    for (i = 0; i < sizeof want / sizeof want[0]; i++) {
        int found = 0;

        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(st, "conditions")) {
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "type"));
            const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "status"));
            const char *reason = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "reason"));

            if (!type || strcmp(type, want[i]) != 0)
                continue;
            found = 1;
            if (!status ||
                (strcmp(status, "True") && strcmp(status, "False") && strcmp(status, "Unknown")))
                abort();
            if (!reason || !*reason)
                abort();
        }
        if (!found)
            abort();
    }
}

#endif
