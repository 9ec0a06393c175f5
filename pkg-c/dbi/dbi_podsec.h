/*
 * dbi_podsec: the user and groups a DBInstance's pod runs as (part of dbi; pure, no I/O;
 * issue 13, "Pod security").
 *
 * The pod passes the Pod Security Standards "restricted" profile
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/): runAsNonRoot,
 * allowPrivilegeEscalation false, every capability dropped, seccomp RuntimeDefault, and only
 * configMap, secret and persistentVolumeClaim volumes; test-dbinstance-podsec.sh has the API
 * server admit it in a namespace labelled pod-security.kubernetes.io/enforce=restricted.
 *
 * The default user and group is 999, the one the official images run their server as:
 * - postgres: docker-library/postgres 16/bookworm/Dockerfile, "groupadd -r postgres
 *   --gid=999; useradd -r -g postgres --uid=999 ... postgres";
 * - mysql: docker-library/mysql 8.4/Dockerfile.oracle, "groupadd --system --gid 999 mysql;
 *   useradd --system --uid 999 --gid 999 ... mysql";
 * - mariadb: MariaDB/mariadb-docker <version>/Dockerfile, "groupadd -r mysql && useradd -r
 *   -g mysql mysql" run first in an Ubuntu image ("to make sure their IDs get assigned
 *   consistently"), so the first system id, 999 (SYS_UID_MAX); the UBI variants pin it
 *   ("groupadd --gid 999 -r mysql && useradd ... --uid 999").
 * An image that runs as another user (spec.image) sets spec.securityContext: runAsUser,
 * runAsGroup and fsGroup, each 1 or more (root cannot pass "restricted"); unset members
 * keep 999.
 */
#ifndef DBAAS_DBI_PODSEC_H
#define DBAAS_DBI_PODSEC_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "dbi/dbi.h"

#define DBI_DEFAULT_UID 999

/* Reads spec.securityContext of obj into out (0 for an unset member). CORE_EINVAL with a
 * message naming the field for a wrong type, a fraction, or a value outside 1..2147483647. */
int dbi_podsec_parse(const cJSON *obj, dbi_spec *out, char *err, size_t errlen);

/* The ids the builders write: the spec's, else DBI_DEFAULT_UID. */
int dbi_run_as_user(const dbi_spec *s);
int dbi_run_as_group(const dbi_spec *s);
int dbi_fs_group(const dbi_spec *s);

#endif
