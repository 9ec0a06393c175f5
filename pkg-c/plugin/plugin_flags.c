/* `kubectl dbaas` flags read as kubectl (spf13/pflag) reads them: bool values, "-n=VALUE". */
#include <string.h>

#include "plugin.h"


int
plugin_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    size_t                   i;

    for (i = 0; s && i < sizeof yes / sizeof *yes; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = 1;
            return CORE_OK;
        }
        if (strcmp(s, no[i]) == 0) {
            *out = 0;
            return CORE_OK;
        }
    }
    return CORE_EINVAL;
}


const char *
plugin_short_value(const char *attached)
{
    if (attached && attached[0] == '=' && attached[1])
        return attached + 1;
    return attached;
}
