/*
 * The HACluster controller: registers with the runtime and turns each HACluster into one
 * Zalando postgresql object and the connection Secret <name>-credentials, writing only
 * what differs, and reports status (hac_status.h) through the /status subresource. It
 * never writes what the Zalando operator makes (StatefulSet, Services, PDB, its Secrets),
 * though they carry a copy of our ownerReference.
 */
#ifndef DBAAS_HAC_CONTROLLER_H
#define DBAAS_HAC_CONTROLLER_H

#include <stdint.h>

#include "kres/kres.h"
#include "runtime/runtime.h"

#define HAC_CTL_NAME "hacluster"

extern const kres KRES_HACLUSTERS;

/* How long the StatefulSet may differ from a HACluster's spec before its status says the
 * Zalando operator is not acting (default HAC_ZALANDO_WAIT_S, the --zalando-wait flag).
 * Call before the runtime starts; it applies to every HACluster of the process. */
void hac_controller_zalando_wait(uint64_t seconds);

/* namespace NULL: all namespaces. Call from the runtime's setup callback. CORE_ENOMEM, or
 * what ctrl_new and the watches return. */
int hac_controller_setup(rt *r, const char *namespace);

#endif
