/* `kubectl dbaas list`: rows, ages, the table, and the -o json / -o yaml layouts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "kjson/kjson.h"
#include "plugin-int.h"
#include "plugin.h"

#define MIN_WIDTH 6 /* kubectl's tabwriter: minwidth 6, padding 3 */
#define PADDING   3

static const char *const headers[PLUGIN_NCOLS] = {
    "NAMESPACE", "KIND",   "NAME",    "ENGINE",   "VERSION",
    "READY",     "STATUS", "PRIMARY", "ENDPOINT", "AGE",
};


void
plugin_age(int64_t s, char *buf, size_t len)
{
    int64_t m = s / 60, h = s / 3600, d = h / 24;

    if (s < -1)
        snprintf(buf, len, "<invalid>");
    else if (s < 0)
        snprintf(buf, len, "0s");
    else if (s < 120)
        snprintf(buf, len, "%llds", (long long)s);
    else if (m < 10 && s % 60)
        snprintf(buf, len, "%lldm%llds", (long long)m, (long long)(s % 60));
    else if (m < 180)
        snprintf(buf, len, "%lldm", (long long)m);
    else if (h < 8 && m % 60)
        snprintf(buf, len, "%lldh%lldm", (long long)h, (long long)(m % 60));
    else if (h < 48)
        snprintf(buf, len, "%lldh", (long long)h);
    else if (h < 24 * 8 && h % 24)
        snprintf(buf, len, "%lldd%lldh", (long long)d, (long long)(h % 24));
    else if (h < 24 * 365 * 2)
        snprintf(buf, len, "%lldd", (long long)d);
    else if (h < 24 * 365 * 8 && d % 365)
        snprintf(buf, len, "%lldy%lldd", (long long)(d / 365), (long long)(d % 365));
    else
        snprintf(buf, len, "%lldy", (long long)(d / 365));
}


const cJSON *
plugin_cond(const cJSON *obj, const char *type)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, kjson_path(obj, "status", "conditions", NULL)) {
        const char *t = kjson_get_str(c, "type");

        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}


void
plugin__obj_age(const cJSON *obj, int64_t now, char *buf, size_t len)
{
    int64_t t;

    if (core_rfc3339_parse(kjson_path_str(obj, "metadata", "creationTimestamp", NULL), &t))
        snprintf(buf, len, "%s", PLUGIN_NO_VALUE);
    else
        plugin_age(now - t, buf, len);
}


static void
put(plugin_row *row, plugin_col col, const char *s)
{
    snprintf(row->cell[col], sizeof row->cell[col], "%s", s ? s : "");
}


static const char *
either(const char *a, const char *b)
{
    return a && *a ? a : b;
}


int
plugin_row_of(const cJSON *obj, int64_t now, plugin_row *row)
{
    const char  *kind = kjson_get_str(obj, "kind");
    const char  *name = kjson_path_str(obj, "metadata", "name", NULL);
    const cJSON *st = kjson_path(obj, "status", NULL);
    const char  *ready = kjson_get_str(plugin_cond(obj, "Ready"), "status");

    memset(row, 0, sizeof *row);
    if (!kind || !name)
        return CORE_EINVAL;
    put(row, PLUGIN_COL_NAMESPACE, kjson_path_str(obj, "metadata", "namespace", NULL));
    put(row, PLUGIN_COL_KIND, kind);
    put(row, PLUGIN_COL_NAME, name);
    put(row, PLUGIN_COL_STATUS, kjson_get_str(st, "phase"));
    plugin__obj_age(obj, now, row->cell[PLUGIN_COL_AGE], sizeof row->cell[PLUGIN_COL_AGE]);
    if (strcmp(kind, "DBInstance") == 0) {
        put(row, PLUGIN_COL_ENGINE, kjson_path_str(obj, "spec", "engine", NULL));
        put(row, PLUGIN_COL_VERSION,
            either(kjson_get_str(st, "currentVersion"), kjson_path_str(obj, "spec", "version", NULL)));
        put(row, PLUGIN_COL_READY, ready);
        if (kjson_int_or(cJSON_GetObjectItemCaseSensitive(st, "readyReplicas"), 0, 1, 0) == 1)
            snprintf(row->cell[PLUGIN_COL_PRIMARY], PLUGIN_CELL_MAX, "%s-0", name);
        put(row, PLUGIN_COL_ENDPOINT, kjson_get_str(st, "endpoint"));
    } else if (strcmp(kind, "HACluster") == 0) {
        put(row, PLUGIN_COL_ENGINE, "postgresql");
        put(row, PLUGIN_COL_VERSION,
            either(kjson_get_str(st, "currentVersion"), kjson_path_str(obj, "spec", "version", NULL)));
        put(row, PLUGIN_COL_READY, either(kjson_get_str(st, "readyText"), ready));
        put(row, PLUGIN_COL_PRIMARY, kjson_get_str(st, "primary"));
        put(row, PLUGIN_COL_ENDPOINT, kjson_get_str(st, "endpoint"));
    } else if (strcmp(kind, "DBSnapshot") == 0) {
        const char *inst = kjson_path_str(obj, "spec", "instanceName", NULL);

        put(row, PLUGIN_COL_ENGINE, kjson_path_str(st, "source", "engine", NULL));
        put(row, PLUGIN_COL_VERSION, kjson_path_str(st, "source", "version", NULL));
        put(row, PLUGIN_COL_READY, ready);
        if (inst)
            snprintf(row->cell[PLUGIN_COL_ENDPOINT], PLUGIN_CELL_MAX, "instance/%s", inst);
    } else {
        return CORE_EINVAL;
    }
    return CORE_OK;
}


static const char *
cell(const plugin_row *rows, size_t r, int col)
{
    if (r == 0)
        return headers[col];
    return rows[r - 1].cell[col][0] ? rows[r - 1].cell[col] : PLUGIN_NO_VALUE;
}


int
plugin_table(const plugin_row *rows, size_t n, int with_namespace, core_buf *out)
{
    size_t width[PLUGIN_NCOLS] = {0}, r, len;
    int    col, first = with_namespace ? 0 : 1, last = PLUGIN_NCOLS - 1, rc;

    for (col = first; col <= last; col++) {
        for (r = 0; r <= n; r++)
            if ((len = strlen(cell(rows, r, col)) + PADDING) > width[col])
                width[col] = len;
        if (width[col] < MIN_WIDTH)
            width[col] = MIN_WIDTH;
    }
    for (r = 0; r <= n; r++) {
        for (col = first; col < last; col++)
            if ((rc = core_buf_printf(out, "%-*s", (int)width[col], cell(rows, r, col))))
                return rc;
        if ((rc = core_buf_printf(out, "%s\n", cell(rows, r, last))))
            return rc;
    }
    return CORE_OK;
}


int
plugin_json(const cJSON *obj, core_buf *out)
{
    char       *text = cJSON_Print(obj);
    const char *p;
    int         rc = CORE_OK, bol = 1;

    if (!text)
        return CORE_ENOMEM;
    /* cJSON indents with tabs and writes "key":<tab>value; a tab inside a string is
     * escaped, so every raw tab is layout. */
    for (p = text; *p && !rc; p++) {
        if (*p == '\t')
            rc = core_buf_add(out, bol ? "    " : " ", bol ? 4 : 1);
        else {
            bol = *p == '\n';
            rc = core_buf_add(out, p, 1);
        }
    }
    if (!rc)
        rc = core_buf_add(out, "\n", 1);
    free(text);
    return rc;
}


cJSON *
plugin_list_of(const cJSON *const *items, size_t n)
{
    cJSON *list = cJSON_CreateObject(), *arr, *meta;
    size_t i;

    if (!list || !cJSON_AddStringToObject(list, "apiVersion", "v1") ||
        !(arr = cJSON_AddArrayToObject(list, "items")) ||
        !cJSON_AddStringToObject(list, "kind", "List") ||
        !(meta = cJSON_AddObjectToObject(list, "metadata")) ||
        !cJSON_AddStringToObject(meta, "resourceVersion", ""))
        goto fail;
    for (i = 0; i < n; i++) {
        cJSON *c = cJSON_Duplicate(items[i], 1);

        if (!c || !cJSON_AddItemToArray(arr, c)) {
            cJSON_Delete(c);
            goto fail;
        }
    }
    return list;
fail:
    cJSON_Delete(list);
    return NULL;
}


/* --- YAML ------------------------------------------------------------------------------- */

static int
emit_out(void *data, unsigned char *buffer, size_t size)
{
    return core_buf_add(data, buffer, size) == CORE_OK;
}


static int
by_name(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}


static int
emit_scalar(yaml_emitter_t *e, const char *text, int plain_ok)
{
    yaml_event_t ev;

    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text),
                                      plain_ok, !plain_ok,
                                      plain_ok ? YAML_ANY_SCALAR_STYLE
                                               : YAML_DOUBLE_QUOTED_SCALAR_STYLE))
        return CORE_ENOMEM;
    return yaml_emitter_emit(e, &ev) ? CORE_OK : CORE_EINTERNAL;
}


/* Whether a plain scalar s would be read back as something other than a string. */
static int
needs_quotes(const char *s)
{
    static const char *const special[] = {"true", "false", "yes", "no", "on", "off",
                                          "null", "y",     "n",   "~",  ""};
    char                    *end;
    size_t                   i;

    for (i = 0; i < sizeof special / sizeof *special; i++)
        if (strcasecmp(s, special[i]) == 0)
            return 1;
    (void)strtod(s, &end);
    return *s && *end == '\0';
}


static int
emit_node(yaml_emitter_t *e, const cJSON *v)
{
    yaml_event_t  ev;
    const cJSON  *c;
    const cJSON **keys = NULL;
    char          num[64];
    size_t        n = 0, i;
    int           rc = CORE_OK;

    if (cJSON_IsObject(v)) {
        cJSON_ArrayForEach(c, v)
            n++;
        if (n && !(keys = calloc(n, sizeof *keys)))
            return CORE_ENOMEM;
        i = 0;
        cJSON_ArrayForEach(c, v)
            keys[i++] = c;
        if (n)
            qsort(keys, n, sizeof *keys, by_name);
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                                 n ? YAML_BLOCK_MAPPING_STYLE
                                                   : YAML_FLOW_MAPPING_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            rc = CORE_EINTERNAL;
        for (i = 0; i < n && !rc; i++)
            if (!(rc = emit_scalar(e, keys[i]->string, !needs_quotes(keys[i]->string))))
                rc = emit_node(e, keys[i]);
        free(keys);
        if (!rc && (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev)))
            rc = CORE_EINTERNAL;
        return rc;
    }
    if (cJSON_IsArray(v)) {
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                  cJSON_GetArraySize(v) ? YAML_BLOCK_SEQUENCE_STYLE
                                                                        : YAML_FLOW_SEQUENCE_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            return CORE_EINTERNAL;
        cJSON_ArrayForEach(c, v)
            if ((rc = emit_node(e, c)))
                return rc;
        if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
            return CORE_EINTERNAL;
        return CORE_OK;
    }
    if (cJSON_IsString(v))
        return emit_scalar(e, v->valuestring, !needs_quotes(v->valuestring));
    if (cJSON_IsBool(v))
        return emit_scalar(e, cJSON_IsTrue(v) ? "true" : "false", 1);
    if (cJSON_IsNumber(v)) {
        int64_t i64;

        if (kjson_item_int64(v, &i64) == CORE_OK)
            snprintf(num, sizeof num, "%lld", (long long)i64);
        else
            snprintf(num, sizeof num, "%.17g", v->valuedouble);
        return emit_scalar(e, num, 1);
    }
    if (cJSON_IsRaw(v))
        return emit_scalar(e, v->valuestring, 1);
    return emit_scalar(e, "null", 1);
}


int
plugin_yaml(const cJSON *obj, core_buf *out)
{
    yaml_emitter_t e;
    yaml_event_t   ev;
    int            rc = CORE_EINTERNAL;

    if (!yaml_emitter_initialize(&e))
        return CORE_ENOMEM;
    yaml_emitter_set_output(&e, emit_out, out);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(&e, &ev) ||
        !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
        !yaml_emitter_emit(&e, &ev))
        goto out;
    if ((rc = emit_node(&e, obj)))
        goto out;
    rc = CORE_EINTERNAL;
    if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&e, &ev) ||
        !yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&e, &ev) ||
        !yaml_emitter_flush(&e))
        goto out;
    rc = out->data ? CORE_OK : CORE_ENOMEM;
out:
    yaml_emitter_delete(&e);
    return rc;
}
