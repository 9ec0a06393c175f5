/*
 * ctrl_spec: pure helpers for every kind's spec parse (part of ctrl).
 *
 * A kind's <kind>_spec_parse refuses what its CRD schema let through with CORE_EINVAL and a
 * one-line message naming the field ("spec.storage.size: \"x\" is not a quantity (like
 * 2Gi)"); these are the checks two kinds share, each writing that message into err (errlen
 * bytes; err may be NULL). Values quoted in a message go through ctrl_spec_shown, so that a
 * message stays one line of bounded length whatever the object holds. Nothing here does I/O
 * or allocates.
 */
#ifndef DBAAS_CTRL_SPEC_H
#define DBAAS_CTRL_SPEC_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* v fit for a one-line message in buf (len > 3): at most 64 bytes, control characters
 * shown as '?', a longer value cut with "...". Returns buf. */
const char *ctrl_spec_shown(const char *v, char *buf, size_t len);

/* obj[key] as a string into *out: NULL when obj or the member is absent, null or "" (the
 * schema's way of saying "not set"); CORE_EINVAL naming path.key for another type. */
int ctrl_spec_str(const cJSON *obj, const char *path, const char *key, const char **out, char *err,
                  size_t errlen);

/* obj[key] as an object into *out (NULL when absent or null); CORE_EINVAL for another type. */
int ctrl_spec_obj(const cJSON *obj, const char *path, const char *key, const cJSON **out, char *err,
                  size_t errlen);

/* v must be one of the NULL-terminated choices; the message lists them. */
int ctrl_spec_one_of(const char *field, const char *v, const char *const *choices, char *err,
                     size_t errlen);

/* 1 when s is a DNS-1035 label without its length rule (checked apart): a lowercase letter
 * first, then lowercase letters, digits and '-', not ending in '-'; as a Service name needs
 * (Kubernetes API conventions, "Names"). Else 0. */
int ctrl_spec_dns_label(const char *s);

/* Every member of resources[key] ("requests", "limits") is a quantity that is not negative
 * (kjson_quantity); path is the field of resources ("spec.resources"). */
int ctrl_spec_quantities(const cJSON *resources, const char *path, const char *key, char *err,
                         size_t errlen);

/* spec.parameters.<it's name>: a string (a number is refused: "quote numbers") of at most
 * max bytes on one line, without control characters, as a configuration file line needs. */
int ctrl_spec_param_value(const cJSON *it, size_t max, char *err, size_t errlen);

/*
 * An object's metadata.name, namespace and uid into *name, *ns, *uid (pointing into obj; *uid
 * NULL when absent). CORE_EINVAL with a one-line message: name or namespace missing; a name
 * longer than max ("... too long for <too_long>"); a name that is not a DNS-1035 label, which
 * the Services named after it need ("... as <label_need>").
 */
int ctrl_spec_metadata(const cJSON *obj, size_t max, const char *too_long, const char *label_need,
                       const char **name, const char **ns, const char **uid, char *err, size_t errlen);

#endif
