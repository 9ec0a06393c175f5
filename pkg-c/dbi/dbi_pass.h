/*
 * dbi_pass: what a DBInstance passes through to its children, and where clients outside the
 * cluster reach it (part of dbi; pure, no I/O).
 *
 * The rule, chosen so that neither an operator upgrade nor a label edit ever restarts a
 * database: the DBInstance's own metadata.labels and metadata.annotations go to the
 * metadata of every child the builders make (StatefulSet, Services, ConfigMap, Secret),
 * never to the pod template; the pod template gets spec.podTemplate.labels and
 * .annotations, which only a spec change (that rolls the pod, as any spec change does)
 * sets. Left out of the metadata copy: keys under the tools' prefixes (kubectl.kubernetes.io/,
 * argocd.argoproj.io/, Helm's meta.helm.sh/, Flux's kustomize.toolkit.fluxcd.io/ and
 * helm.toolkit.fluxcd.io/), under our own dbaas.dev/, and the standard labels the operator
 * sets (app.kubernetes.io/name, instance, managed-by; Argo CD's tracking label is instance):
 * ours always win. spec.podTemplate.labels may not name those three (they select the pod),
 * nor its annotations a key under dbaas.dev/: the CRD refuses them, as dbi_pass_parse does.
 *
 * Ownership: nothing here keeps a pointer; the builders' objects are the caller's.
 */
#ifndef DBAAS_DBI_PASS_H
#define DBAAS_DBI_PASS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "ctrl/ctrl_build.h"
#include "dbi/dbi.h"

/*
 * Reads metadata.labels and .annotations, spec.stopped and spec.podTemplate of obj into
 * out (pointers into obj). CORE_EINVAL with a message naming the field for a wrong type or
 * a key the operator keeps for itself.
 */
int dbi_pass_parse(const cJSON *obj, dbi_spec *out, char *err, size_t errlen);

/* Whether a metadata label or annotation key of the DBInstance stays off its children. */
int dbi_pass_excluded(const char *key);

/* Adds the DBInstance's labels and annotations that pass (dbi_pass_excluded) to
 * child.metadata, keeping every key the child already has. Failures are recorded in b. */
void dbi_pass_metadata(ctrl_bld *b, cJSON *child, const dbi_spec *s);

/*
 * Adds spec.podTemplate to a pod template: labels and annotations to tmpl_meta (after the
 * operator's, which win), imagePullSecrets, nodeSelector, affinity, tolerations,
 * priorityClassName and topologySpreadConstraints to pod_spec. Members that are null, ""
 * or empty are left out, as the API server drops them, so that what is applied compares
 * equal to what is read back. Failures are recorded in b.
 */
void dbi_pass_pod(ctrl_bld *b, cJSON *tmpl_meta, cJSON *pod_spec, const dbi_spec *s);

/*
 * Where clients outside the cluster connect, from the client Service as the server has it
 * (svc, may be NULL): LoadBalancer: "<ip>:<port>" ("[<ip>]:<port>" for IPv6) or
 * "<hostname>:<port>" of its first ingress; NodePort: ":<nodePort>", to be prefixed with the
 * address of any node. CORE_ENOENT when there is none (ClusterIP, no ingress yet),
 * CORE_ETOOBIG when buf is too small.
 */
int dbi_external_endpoint(const cJSON *svc, char *buf, size_t len);

#endif
