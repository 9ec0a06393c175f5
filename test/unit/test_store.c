#include "core/core.h"
#include "store/store.h"
#include "test.h"


static cJSON *
obj(const char *ns, const char *name, const char *rv, const char *owner, const char *instance)
{
    char   text[1024];
    cJSON *o;

    snprintf(text, sizeof text,
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\",\"resourceVersion\":\"%s\","
             "\"labels\":{%s%s%s},\"ownerReferences\":[%s%s%s]},\"data\":{\"k\":\"v\"}}",
             name, ns, rv, instance ? "\"app.kubernetes.io/instance\":\"" : "",
             instance ? instance : "", instance ? "\"" : "",
             owner ? "{\"uid\":\"other\"},{\"controller\":true,\"uid\":\"" : "", owner ? owner : "",
             owner ? "\"}" : "");
    o = cJSON_Parse(text);
    ASSERT(o != NULL);
    return o;
}


static void
put(store *s, cJSON *o)
{
    char key[256];

    ASSERT_EQ(store_key(o, key, sizeof key), CORE_OK);
    ASSERT_EQ(store_put(s, key, o), CORE_OK);
    cJSON_Delete(o);
}


#define ACC_SIZE 256


/* Appends "key;" to the ACC_SIZE buffer in data; a key that does not fit is cut short. */
static void
collect(const char *key, const store_obj *o, void *data)
{
    char  *acc = data;
    size_t len = strlen(acc);

    (void)o;
    snprintf(acc + len, ACC_SIZE - len, "%s;", key);
}


TEST(store_put_get_replace_delete)
{
    store           *s;
    const store_obj *o;
    cJSON           *back;

    ASSERT_EQ(store_new(&s), CORE_OK);
    put(s, obj("a", "x", "10", NULL, NULL));
    o = store_get(s, "a/x");
    ASSERT(o != NULL);
    ASSERT_STR(o->rv, "10");
    ASSERT(o->owner_uid == NULL);
    back = store_parse(o);
    ASSERT_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "data"), "k")->valuestring, "v");
    cJSON_Delete(back);
    put(s, obj("a", "x", "11", NULL, NULL));
    ASSERT_EQ(store_len(s), 1);
    ASSERT_STR(store_get(s, "a/x")->rv, "11");
    ASSERT(store_bytes(s) > 0);
    ASSERT_EQ(store_del(s, "a/x"), CORE_OK);
    ASSERT_EQ(store_del(s, "a/x"), CORE_ENOENT);
    ASSERT(store_get(s, "a/x") == NULL);
    ASSERT_EQ(store_bytes(s), 0);
    store_free(s);
}


TEST(store_owner_index_follows_changes)
{
    store *s;
    char   acc[ACC_SIZE] = "";

    ASSERT_EQ(store_new(&s), CORE_OK);
    put(s, obj("a", "db-svc", "1", "uid-db", NULL));
    put(s, obj("a", "db-sts", "1", "uid-db", NULL));
    put(s, obj("a", "other", "1", "uid-other", NULL));
    store_by_owner(s, "uid-db", collect, acc);
    ASSERT(strstr(acc, "a/db-svc;") && strstr(acc, "a/db-sts;") && !strstr(acc, "other"));
    /* Re-owned: it leaves the old owner's set. */
    put(s, obj("a", "db-svc", "2", "uid-other", NULL));
    acc[0] = '\0';
    store_by_owner(s, "uid-db", collect, acc);
    ASSERT_STR(acc, "a/db-sts;");
    store_del(s, "a/db-sts");
    acc[0] = '\0';
    store_by_owner(s, "uid-db", collect, acc);
    ASSERT_STR(acc, "");
    acc[0] = '\0';
    store_by_owner(s, "uid-other", collect, acc);
    ASSERT(strstr(acc, "a/db-svc;") && strstr(acc, "a/other;"));
    store_free(s);
}


TEST(store_label_index_follows_changes)
{
    store *s;
    char   acc[ACC_SIZE] = "";

    ASSERT_EQ(store_new(&s), CORE_OK);
    ASSERT_EQ(store_index_label(s, "app.kubernetes.io/instance"), CORE_OK);
    put(s, obj("a", "p1", "1", NULL, "orders"));
    put(s, obj("b", "p1", "1", NULL, "orders"));
    put(s, obj("a", "p2", "1", NULL, "users"));
    ASSERT_EQ(store_index_label(s, "late"), CORE_EINVAL);
    store_by_label(s, "app.kubernetes.io/instance", "orders", collect, acc);
    ASSERT(strstr(acc, "a/p1;") && strstr(acc, "b/p1;") && !strstr(acc, "p2"));
    put(s, obj("a", "p1", "2", NULL, NULL)); /* label removed */
    acc[0] = '\0';
    store_by_label(s, "app.kubernetes.io/instance", "orders", collect, acc);
    ASSERT_STR(acc, "b/p1;");
    store_free(s);
}


TEST(store_key_forms)
{
    char   key[8];
    cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"node-1\"}}");

    ASSERT_EQ(store_key(o, key, sizeof key), CORE_OK);
    ASSERT_STR(key, "node-1");
    cJSON_Delete(o);
    o = cJSON_Parse("{\"metadata\":{\"namespace\":\"a\"}}");
    ASSERT_EQ(store_key(o, key, sizeof key), CORE_EINVAL);
    cJSON_Delete(o);
    o = cJSON_Parse("{\"metadata\":{\"name\":\"long-name\",\"namespace\":\"a\"}}");
    ASSERT_EQ(store_key(o, key, sizeof key), CORE_ETOOBIG);
    cJSON_Delete(o);
}


TEST(store_many_objects_and_bytes_return_to_zero)
{
    store *s;
    char   name[32];
    int    i;

    ASSERT_EQ(store_new(&s), CORE_OK);
    for (i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "o%d", i);
        put(s, obj("ns", name, "1", i % 2 ? "uid-odd" : NULL, NULL));
    }
    ASSERT_EQ(store_len(s), 5000);
    for (i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "ns/o%d", i);
        ASSERT_EQ(store_del(s, name), CORE_OK);
    }
    ASSERT_EQ(store_len(s), 0);
    ASSERT_EQ(store_bytes(s), 0);
    store_free(s);
}


/* A note lives as long as the version it was put on: any put of the key starts without one. */
TEST(store_note_lives_with_the_version)
{
    store           *s;
    const store_obj *o;

    ASSERT_EQ(store_new(&s), CORE_OK);
    put(s, obj("ns", "a", "5", NULL, NULL));
    ASSERT_STR(store_get(s, "ns/a")->note, "");
    ASSERT_EQ(store_note(s, "ns/a", "0123456789abcdef"), CORE_OK);
    ASSERT_STR(store_get(s, "ns/a")->note, "0123456789abcdef");
    ASSERT_EQ(store_note(s, "ns/a", "0123456789abcdef0"), CORE_ETOOBIG);
    ASSERT_STR(store_get(s, "ns/a")->note, "0123456789abcdef");
    ASSERT_EQ(store_note(s, "ns/b", "x"), CORE_ENOENT);

    put(s, obj("ns", "a", "5", NULL, NULL)); /* listed again */
    o = store_get(s, "ns/a");
    ASSERT_STR(o->note, "");
    ASSERT_EQ(store_note(s, "ns/a", "x"), CORE_OK);
    put(s, obj("ns", "a", "6", NULL, NULL)); /* changed */
    ASSERT_STR(store_get(s, "ns/a")->note, "");
    store_free(s);
}
