/*
 * dbi_restore: the checks before a DBInstance is created from a DBSnapshot (dbi_restore.h).
 */
#include "dbi/dbi_restore.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "ctrl/ctrl_named.h"
#include "ctrl/ctrl_status.h"
#include "dbi/dbi.h"
#include "dbi_controller-int.h"
#include "kjson/kjson.h"


static void
waiting(ctrl_run *run, const char *fmt, const char *name)
{
    ctrl_cond(run, CTRL_READY, 0, "WaitingForSnapshot", fmt, name);
    ctrl_cond(run, CTRL_PROGRESSING, 1, "WaitingForSnapshot", fmt, name);
    ctrl_status(run, NULL);
}


static void
refuse(ctrl_run *run, const char *msg)
{
    ctrl_refuse(run, 0, "InvalidSpec", "spec.restoreFrom.snapshot: %s", msg);
    dbi__run_status(run);
}


/* The source's Secret, if it is still the source's: its passwords are the data's. */
static void
on_source_secret(ctrl_run *run, const cJSON *secret)
{
    dbi_run     *s = dbi__st(run);
    const char  *uid = s->restore_uid[0] ? s->restore_uid : NULL;
    const cJSON *owners = kjson_path(secret, "metadata", "ownerReferences", NULL);
    const char  *owner_uid = kjson_path_str(cJSON_GetArrayItem(owners, 0), "uid", NULL);
    const char  *label = kjson_path_str(secret, "metadata", "labels", CTRL_LABEL_INSTANCE, NULL);
    char         msg[CTRL_MSG_MAX];
    int          ok;

    ok = secret &&
         ((owner_uid && uid && strcmp(owner_uid, uid) == 0) ||
          (cJSON_GetArraySize(owners) == 0 && label && strcmp(label, s->restore_source) == 0));
    if (!ok) {
        snprintf(msg, sizeof msg,
                 "the data holds the passwords of DBInstance %s, whose Secret %s is %s: set "
                 "spec.credentialsSecretRef to a Secret with them (keys password, and "
                 "superuser-password for mysql and mariadb)",
                 s->restore_source, s->restore_secret, secret ? "another instance's now" : "gone");
        refuse(run, msg);
        return;
    }
    s->spec.credentials_secret = s->restore_secret;
    s->after_restore(run);
}


/* Condition type of the status when its status is "True", else NULL. */
static const cJSON *
true_condition(const cJSON *status, const char *type)
{
    const cJSON *c = ctrl_condition_find(status, type);
    const char  *v = kjson_get_str(c, "status");

    return v && strcmp(v, "True") == 0 ? c : NULL;
}


/* A DBSnapshot that says a person must act (Stalled) or that its VolumeSnapshot failed
 * (Degraded) is not waited for in silence: the restore is refused with the snapshot's own
 * reason and message, and looks again when the snapshot changes (it is watched by name).
 * Returns 1 when it refused. */
static int
snapshot_failed(ctrl_run *run, const cJSON *snap)
{
    const cJSON *st = kjson_path(snap, "status", NULL);
    const cJSON *c = true_condition(st, "Stalled");
    const char  *reason, *message;

    if (!c)
        c = true_condition(st, "Degraded");
    if (!c)
        return 0;
    reason = kjson_get_str(c, "reason");
    message = kjson_get_str(c, "message");
    ctrl_refuse(run, 0, "SnapshotFailed",
                "spec.restoreFrom.snapshot: the DBSnapshot %s cannot be used: %s: %s; the restore "
                "goes on by itself once it is ready to use, or name another snapshot",
                dbi__st(run)->spec.restore_snapshot, reason ? reason : "?", message ? message : "");
    dbi__run_status(run);
    return 1;
}


static int
differs(const char *a, const char *b)
{
    return !a || !b || strcmp(a, b) != 0;
}


static void
on_snapshot(ctrl_run *run, const cJSON *snap)
{
    dbi_run       *s = dbi__st(run);
    const char    *name = s->spec.restore_snapshot;
    const cJSON   *src = kjson_path(snap, "status", "source", NULL);
    const char    *engine = kjson_get_str(src, "engine"), *version = kjson_get_str(src, "version");
    const char    *size = kjson_path_str(snap, "status", "restoreSize", NULL);
    const char    *source = kjson_path_str(snap, "spec", "instanceName", NULL);
    const char    *uid = kjson_get_str(src, "instanceUID");
    const cJSON   *cls;
    char           msg[CTRL_MSG_MAX], want[32], have[32];
    kjson_quantity q_size, q_want;

    if (!snap) {
        waiting(run,
                "spec.restoreFrom.snapshot: waiting for the DBSnapshot %s, which does not exist (it is watched)",
                name);
        return;
    }
    if (!cJSON_IsTrue(kjson_path(snap, "status", "readyToUse", NULL)) || !engine || !version ||
        !source) {
        if (!snapshot_failed(run, snap))
            waiting(run,
                    "spec.restoreFrom.snapshot: waiting for the DBSnapshot %s to be ready to use",
                    name);
        return;
    }
    if (strcmp(engine, s->spec.engine->name) != 0) {
        snprintf(msg, sizeof msg, "the DBSnapshot %s is of a %s instance; spec.engine is %s", name,
                 engine, s->spec.engine->name);
        refuse(run, msg);
        return;
    }
    if (dbi_major(s->spec.engine, version, have, sizeof have) ||
        dbi_major(s->spec.engine, s->spec.version, want, sizeof want) || strcmp(have, want) != 0) {
        snprintf(msg, sizeof msg,
                 "the DBSnapshot %s holds %s %s data; spec.version %s is another major version "
                 "(restore into version %s; moving to another major version then needs a dump and "
                 "restore)",
                 name, engine, version, s->spec.version, version);
        refuse(run, msg);
        return;
    }
    if (size &&
        (kjson_quantity_parse(size, &q_size) || kjson_quantity_parse(s->spec.storage_size, &q_want) ||
         kjson_quantity_cmp(&q_want, &q_size) < 0)) {
        snprintf(msg, sizeof msg,
                 "the DBSnapshot %s needs a volume of at least %s; spec.storage.size is %s%s", name,
                 size, s->spec.storage_size,
                 kjson_path(ctrl_obj(run), "spec", "storage", "size", NULL) ? "" : " (the default)");
        refuse(run, msg);
        return;
    }
    if (differs(kjson_get_str(src, "username"), s->spec.username) ||
        differs(kjson_get_str(src, "database"), s->spec.database)) {
        snprintf(msg, sizeof msg,
                 "the data of the DBSnapshot %s holds user %s and database %s; spec has %s and %s",
                 name, kjson_get_str(src, "username") ? kjson_get_str(src, "username") : "?",
                 kjson_get_str(src, "database") ? kjson_get_str(src, "database") : "?",
                 s->spec.username, s->spec.database ? s->spec.database : "none");
        refuse(run, msg);
        return;
    }
    /* A claim on a class whose provisioner is not the snapshot's CSI driver ignores its
     * dataSource (a pre-made or other-driver volume binds empty): the class must be the
     * source's. Snapshots recorded before the field existed are not checked. */
    cls = cJSON_GetObjectItemCaseSensitive(src, "storageClassName");
    if (cJSON_IsString(cls) &&
        strcmp(cls->valuestring, s->spec.storage_class ? s->spec.storage_class : "") != 0) {
        snprintf(msg, sizeof msg,
                 "the DBSnapshot %s is of a volume on StorageClass %s; spec.storage.storageClassName "
                 "is %s: a restore needs the source's class, whose CSI driver holds the snapshot "
                 "(the field is immutable: delete this DBInstance and create it with %s)",
                 name, cls->valuestring[0] ? cls->valuestring : "(unset: the default class)",
                 s->spec.storage_class ? s->spec.storage_class : "unset (the default class)",
                 cls->valuestring[0] ? "that storageClassName" : "storageClassName unset");
        refuse(run, msg);
        return;
    }
    if (s->spec.credentials_secret) {
        s->after_restore(run);
        return;
    }
    snprintf(s->restore_source, sizeof s->restore_source, "%s", source);
    snprintf(s->restore_uid, sizeof s->restore_uid, "%s", uid ? uid : "");
    snprintf(s->restore_secret, sizeof s->restore_secret, "%s-credentials", source);
    ctrl_read_named(run, &KRES_SECRETS, s->restore_secret, on_source_secret);
}


void
dbi__restore(ctrl_run *run, void (*next)(ctrl_run *run))
{
    dbi_run *s = dbi__st(run);
    char     claim[DBI_NAME_LEN];

    if (!s->spec.restore_snapshot) {
        next(run);
        return;
    }
    snprintf(claim, sizeof claim, "data-%s-0", ctrl_name(run));
    if (ctrl_has_cached(run, dbi__caches(run)->sts, ctrl_name(run)) ||
        ctrl_has_cached(run, dbi__caches(run)->pvcs, claim)) {
        next(run);
        return;
    }
    s->after_restore = next;
    ctrl_read_named(run, &DBI_KRES_DBSNAPSHOTS, s->spec.restore_snapshot, on_snapshot);
}
