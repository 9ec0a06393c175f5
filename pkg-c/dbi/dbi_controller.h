/*
 * The DBInstance controller: registers with the runtime and turns each DBInstance into its
 * credentials Secret, config ConfigMap, Services and StatefulSet, writing only what differs,
 * and reports status through the /status subresource.
 */
#ifndef DBAAS_DBI_CONTROLLER_H
#define DBAAS_DBI_CONTROLLER_H

#include "kres/kres.h"
#include "runtime/runtime.h"

#define DBI_CTL_NAME "dbinstance"

extern const kres KRES_DBINSTANCES;

/* namespace NULL: all namespaces. Call from the runtime's setup callback. */
int dbi_controller_setup(rt *r, const char *namespace);

#endif
