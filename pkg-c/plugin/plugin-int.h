/* plugin's internals, shared by its files (plugin_list.c, plugin_status.c). */
#ifndef DBAAS_PLUGIN_INT_H
#define DBAAS_PLUGIN_INT_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* kubectl's age of obj's metadata.creationTimestamp ("<none>" without one). */
void plugin__obj_age(const cJSON *obj, int64_t now, char *buf, size_t len);

#endif
