/*
 * dbi_netpol: the NetworkPolicy of a DBInstance (part of dbi; pure, no I/O; issue 13).
 *
 * spec.networkPolicy: {enabled, allowFrom: [{namespaceSelector, podSelector}]}. While enabled
 * a NetworkPolicy <name> selects the instance's pods (its standard labels) and allows ingress
 * only on the engine's port, only from the listed peers; a peer with both selectors means
 * pods matching podSelector in namespaces matching namespaceSelector, as NetworkPolicyPeer
 * says (https://kubernetes.io/docs/concepts/services-networking/network-policies/). No
 * allowFrom (or an empty one) means every pod of the instance's own namespace. The operator
 * itself never connects to a database, so its namespace is not added. Disabled (the default,
 * so that an operator upgrade never cuts existing clients off), the policy is removed. A
 * NetworkPolicy is not part of the pod template: changing the list restarts nothing.
 *
 * Ownership: dbi_netpol_parse keeps pointers into the DBInstance's cJSON; the builder
 * returns a new object the caller frees.
 */
#ifndef DBAAS_DBI_NETPOL_H
#define DBAAS_DBI_NETPOL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "dbi/dbi.h"
#include "kres/kres.h"

#define DBI_NETPOL_MAX_PEERS 16

extern const kres KRES_NETWORKPOLICIES;

/* Reads spec.networkPolicy of obj into out (netpol: 1 enabled, else 0; netpol_from: the
 * allowFrom array or NULL). CORE_EINVAL with a message naming the field for a wrong type, a
 * peer with neither selector or with another member, more than DBI_NETPOL_MAX_PEERS peers. */
int dbi_netpol_parse(const cJSON *obj, dbi_spec *out, char *err, size_t errlen);

/* The NetworkPolicy <name> (see above), or NULL out of memory or without an owner uid. */
cJSON *dbi_build_networkpolicy(const dbi_spec *s, const cJSON *owner);

#endif
