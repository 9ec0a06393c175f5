#include "core/core.h"
#include "informer/informer.h"
#include "test.h"


TEST(informer_backoff_doubles_to_cap_with_jitter)
{
    ASSERT_EQ(informer_backoff_ms(1, 1.0), 800);
    ASSERT_EQ(informer_backoff_ms(2, 1.0), 1600);
    ASSERT_EQ(informer_backoff_ms(3, 1.0), 3200);
    ASSERT_EQ(informer_backoff_ms(6, 1.0), 25600);
    ASSERT_EQ(informer_backoff_ms(7, 1.0), 30000);
    ASSERT_EQ(informer_backoff_ms(4000000000u, 1.0), 30000);
    ASSERT_EQ(informer_backoff_ms(1, 1.25), 1000);
    ASSERT_EQ(informer_backoff_ms(1, 0.2), 800); /* jitter never shortens */
}


TEST(informer_strip_drops_managed_fields_and_last_applied)
{
    cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"manager\":\"x\"}],"
                           "\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
                           "\"{}\",\"keep\":\"1\"}}}");
    char  *s;

    informer_strip(o);
    s = cJSON_PrintUnformatted(o);
    ASSERT_STR(s, "{\"metadata\":{\"name\":\"a\",\"annotations\":{\"keep\":\"1\"}}}");
    cJSON_free(s);
    cJSON_Delete(o);
}


/* --- informer_list_each ------------------------------------------------------------- */

typedef struct {
    cJSON *items;    /* each element's text parsed back */
    int    bad;      /* an element's text that cJSON refused */
    int    stop_at;  /* >0: fail the call with this 1-based index */
} list_acc;


static int
collect_item(const char *p, size_t n, void *data)
{
    list_acc *a = data;
    cJSON    *item = cJSON_ParseWithLength(p, n);

    if (!item) {
        a->bad++;
        return CORE_EPROTO;
    }
    cJSON_AddItemToArray(a->items, item);
    if (a->stop_at && cJSON_GetArraySize(a->items) == a->stop_at)
        return CORE_ENOMEM;
    return CORE_OK;
}


/* Walks text; on success checks the items against cJSON's parse of the whole text. */
static int
walk(const char *text, size_t len, list_acc *a, cJSON **meta)
{
    char *copy = malloc(len ? len : 1); /* exactly len bytes: ASan sees any read past */
    int   rc;

    memcpy(copy, text, len);
    a->items = cJSON_CreateArray();
    a->bad = 0;
    rc = informer_list_each(copy, len, collect_item, meta, a);
    free(copy);
    return rc;
}


static const char tricky_list[] =
    " \n{ \"kind\" : \"List\\\"]}\" , \"apiVersion\":\"v1\",\r\n"
    "\t\"items\" : [ { \"metadata\" : { \"name\" : \"a\\\"b\" , \"x\" : [ [ ] , { } , [ 1 , [ 2 ] ] ] } ,"
    " \"s\" : \"]}[{,:\\\\\" } ,\n"
    "{\"metadata\":{\"name\":\"\\u00e9\\\\\\\"\"},\"e\":\"\\\\\",\"n\":[-1.5e+3,true,false,null]},"
    "{\"metadata\":{\"name\":\"c\"},\"deep\":{\"a\":{\"b\":[{\"c\":\"}\"}]}}}\n] ,"
    " \"metadata\" : { \"resourceVersion\" : \"42\" , \"continue\" : \"tok\\\"en\" } \n} \n";


TEST(informer_list_each_hands_out_items_as_cjson_parses_them)
{
    list_acc a = {0};
    cJSON   *meta = NULL, *whole = cJSON_Parse(tricky_list);

    ASSERT(whole);
    ASSERT_EQ(walk(tricky_list, strlen(tricky_list), &a, &meta), CORE_OK);
    ASSERT_EQ(a.bad, 0);
    ASSERT_EQ(cJSON_GetArraySize(a.items), 3);
    ASSERT(cJSON_Compare(a.items, cJSON_GetObjectItemCaseSensitive(whole, "items"), 1));
    ASSERT(cJSON_Compare(meta, cJSON_GetObjectItemCaseSensitive(whole, "metadata"), 1));
    ASSERT_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "continue")),
               "tok\"en");
    cJSON_Delete(meta);
    cJSON_Delete(a.items);
    cJSON_Delete(whole);
}


TEST(informer_list_each_any_member_order)
{
    static const char *docs[] = {
        "{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[{\"a\":1},{\"b\":\"]\"}]}",
        "{\"items\":[{\"a\":1},{\"b\":\"]\"}],\"kind\":\"X\",\"metadata\":{\"resourceVersion\":\"7\"}}",
        ("{\"x\":{\"items\":[9]},\"items\":[{\"a\":1},{\"b\":\"]\"}],\"metadata\":{\"resourceVersion\":\"7\"},"
         "\"y\":[\"metadata\"]}"),
    };
    size_t i;

    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        list_acc a = {0};
        cJSON   *meta = NULL;
        char    *s;

        ASSERT_EQ(walk(docs[i], strlen(docs[i]), &a, &meta), CORE_OK);
        s = cJSON_PrintUnformatted(a.items);
        ASSERT_STR(s, "[{\"a\":1},{\"b\":\"]\"}]");
        cJSON_free(s);
        ASSERT_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion")),
                   "7");
        cJSON_Delete(meta);
        cJSON_Delete(a.items);
    }
}


TEST(informer_list_each_null_empty_and_no_metadata)
{
    static const char *docs[] = {
        "{\"items\":null,\"metadata\":{}}", "{\"items\":[]}", "{ \"items\" : [ \n ] }",
        "{\"metadata\":{\"continue\":\"\"},\"items\":null}",
    };
    size_t i;

    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        list_acc a = {0};
        cJSON   *meta = (cJSON *)1;

        ASSERT_EQ(walk(docs[i], strlen(docs[i]), &a, &meta), CORE_OK);
        ASSERT_EQ(cJSON_GetArraySize(a.items), 0);
        ASSERT(i == 1 || i == 2 ? meta == NULL : cJSON_IsObject(meta));
        cJSON_Delete(meta);
        cJSON_Delete(a.items);
    }
}


TEST(informer_list_each_rejects_malformed)
{
    static const char *docs[] = {
        "", " ", "[]", "null", "{}", "{\"metadata\":{}}", "{\"items\":{}}",
        "{\"items\":\"[]\"}", "{\"items\":nul}", "{\"items\":nullx}", "{\"items\":[1,]}",
        "{\"items\":[,1]}", "{\"items\":[1 2]}", "{\"items\":[{]}", "{\"items\":[{\"a\":[}]}",
        "{\"items\":[]]}", "{\"items\":[]} x", "{\"items\":[]}}", "{\"items\":[],}",
        "{,\"items\":[]}", "{\"items\" []}", "{\"items\":[] \"metadata\":{}}",
        "{items:[]}", "{\"items\":[],\"metadata\":{\"a\":}}", "{\"items\":[],\"metadata\":{}",
        "{\"items\":[],\"items\":[]}", "{\"items\":[],\"metadata\":{},\"metadata\":{}}",
        "{\"items\":[\"a\\\"]}", "{\"items\":[\"a\\", "{\"items\":[\"a\\\\\"\\]}",
        "{\"x\":@,\"items\":[]}", "{\"items\":[}",
    };
    size_t i;

    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        list_acc a = {0};
        cJSON   *meta = (cJSON *)1;
        int      rc = walk(docs[i], strlen(docs[i]), &a, &meta);

        if (rc != CORE_EPROTO)
            fprintf(stderr, "accepted: %s\n", docs[i]);
        ASSERT_EQ(rc, CORE_EPROTO);
        ASSERT(meta == NULL);
        cJSON_Delete(a.items);
    }
}


TEST(informer_list_each_every_prefix_fails_or_is_partial)
{
    cJSON *whole = cJSON_Parse(tricky_list), *items = cJSON_GetObjectItemCaseSensitive(whole, "items");
    size_t full = strlen(tricky_list), len;

    while (full > 0 && tricky_list[full - 1] != '}')
        full--; /* past the last '}' only whitespace: those prefixes are whole documents */
    for (len = 0; len < full; len++) {
        list_acc a = {0};
        cJSON   *meta = (cJSON *)1;
        int      i, n;

        ASSERT_EQ(walk(tricky_list, len, &a, &meta), CORE_EPROTO);
        ASSERT(meta == NULL);
        ASSERT_EQ(a.bad, 0);
        n = cJSON_GetArraySize(a.items);
        for (i = 0; i < n; i++) /* what was handed out is the start of the real list */
            ASSERT(cJSON_Compare(cJSON_GetArrayItem(a.items, i), cJSON_GetArrayItem(items, i), 1));
        cJSON_Delete(a.items);
    }
    cJSON_Delete(whole);
}


TEST(informer_list_each_truncated_array_hands_out_nothing)
{
    static const char doc[] = "{\"items\":[{\"a\":1},{\"b\":2},{\"c\":\"x\\";
    list_acc          a = {0};
    cJSON            *meta = NULL;

    ASSERT_EQ(walk(doc, strlen(doc), &a, &meta), CORE_EPROTO);
    ASSERT_EQ(cJSON_GetArraySize(a.items), 0);
    cJSON_Delete(a.items);
}


TEST(informer_list_each_stops_on_callback_error_and_nesting_limit)
{
    static const char doc[] = "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[{},{},{}]}";
    list_acc          a = {0, 0, 2};
    cJSON            *meta = (cJSON *)1;
    char              deep[2 * 600 + 32];
    size_t            n = 0, i;

    ASSERT_EQ(walk(doc, strlen(doc), &a, &meta), CORE_ENOMEM);
    ASSERT_EQ(cJSON_GetArraySize(a.items), 2);
    ASSERT(meta == NULL);
    cJSON_Delete(a.items);

    n += (size_t)sprintf(deep, "{\"items\":[");
    for (i = 0; i < 600; i++)
        deep[n++] = '[';
    for (i = 0; i < 600; i++)
        deep[n++] = ']';
    n += (size_t)sprintf(deep + n, "]}");
    a.stop_at = 0;
    ASSERT_EQ(walk(deep, n, &a, &meta), CORE_EPROTO);
    cJSON_Delete(a.items);
}
