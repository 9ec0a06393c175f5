/*
 * The DBInstance status, computed without I/O from the object, its cached children and
 * what the controller found wrong. Part of the dbi module.
 */
#ifndef DBAAS_DBI_STATUS_H
#define DBAAS_DBI_STATUS_H

#include <cjson/cJSON.h>

#include "dbi/dbi.h"

typedef struct {
    const cJSON    *dbi;       /* the DBInstance as cached (generation, current status) */
    const dbi_spec *spec;      /* parsed spec, or NULL when invalid */
    const char     *reason;    /* a refusal: "InvalidSpec", "UnsupportedUpgrade"; or NULL */
    const char     *message;   /* its message */
    const cJSON    *sts;       /* cached StatefulSet, or NULL */
    const cJSON    *pvc;       /* cached data claim, or NULL */
    int             deleting;
    const char     *now;       /* RFC 3339, for conditions that change */
} dbi_status_in;

/* The status to have. Conditions keep their lastTransitionTime while their status holds. */
cJSON *dbi_status_build(const dbi_status_in *in);

/* The Ready condition of a status (or NULL). */
const cJSON *dbi_condition(const cJSON *status, const char *type);

#endif
