# The DBInstance CRD on a real API server, with no operator running: the examples are
# accepted, defaults are filled in, `kubectl get` prints the columns, and the server itself
# refuses bad input (immutable fields, a shrinking volume, versions, names) with the message
# the user will read. deploy/ renders and passes a server dry run.
. "$ROOT/test/integration/lib.sh"

kn() { k -n "$NS" "$@"; }
# dbi NAME ENGINE VERSION [EXTRA_SPEC_LINES]: a DBInstance's YAML.
dbi() {
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: %s}\nspec:\n  engine: %s\n  version: "%s"\n  database: app\n%s\n' \
        "$1" "$2" "$3" "${4:-}"
}
create_dbi() { dbi "$@" | kn create -f -; }
patch_dbi() { kn patch dbinstance "$1" --type=merge -p "$2"; }
# rejected WHAT MESSAGE CMD...: CMD must fail and say MESSAGE.
rejected() {
    local what=$1 msg=$2 out
    shift 2
    if out=$("$@" 2>&1); then fail "$what was accepted: $out"; fi
    grep -qF -- "$msg" <<<"$out" || fail "$what: want \"$msg\" in: $out"
}
# accepted WHAT CMD...: CMD must succeed.
accepted() {
    local what=$1 out
    shift
    out=$("$@" 2>&1) || fail "$what was rejected: $out"
}
field() { kn get dbinstance "$1" -o jsonpath="$2"; }

install_crds

# Every field of each kind's schema, spec and status, carries a description (kubectl explain).
for crd in dbinstances haclusters dbsnapshots; do
    k get crd "$crd.dbaas.dev" -o json | python3 -c '
import json, sys
crd = json.load(sys.stdin)
missing = []
def walk(path, s):
    if path and "description" not in s and path not in ("metadata",):
        missing.append(path)
    for k, v in s.get("properties", {}).items():
        walk((path + "." if path else "") + k, v)
    if isinstance(s.get("additionalProperties"), dict):
        walk(path + ".*", s["additionalProperties"])
    if "items" in s:
        walk(path + "[]", s["items"])
for v in crd["spec"]["versions"]:
    walk("", v["schema"]["openAPIV3Schema"])
if missing:
    sys.exit("fields without a description: " + ", ".join(missing))
' || fail "the $crd schema has undocumented fields"
done

# deploy/ carries every CRD of crds/ (through crds/Kustomization) and passes a server dry
# run; its namespace is swapped for the test's so that namespaced objects can be checked.
rendered=$(k kustomize "$ROOT/deploy") || fail "kubectl kustomize deploy/ failed"
expect_eq "$(k create --dry-run=client -o name -f - <<<"$rendered" | grep customresourcedefinition | sort)" \
    "$(k create --dry-run=client -o name -f "$ROOT/crds/" | sort)" "CRDs in deploy/ against crds/"
out=$(k apply --server-side --dry-run=server -f - <<<"${rendered//dbaas-system/$NS}" 2>&1) ||
    fail "deploy/ failed a server dry run: $out"
for kind in deployment.apps/dbaas-operator clusterrole.rbac.authorization.k8s.io/dbaas-operator \
    role.rbac.authorization.k8s.io/dbaas-operator-leader-election serviceaccount/dbaas-operator; do
    grep -q "^$kind serverside-applied (server dry run)" <<<"$out" || fail "deploy/: no $kind in: $out"
done

# The examples: created for real (they only sit there without an operator); the restore
# example needs a DBSnapshot, so it gets a server dry run only.
for f in postgresql mysql mariadb dbinstance-full; do
    accepted "examples/$f.yaml" kn apply -f "$ROOT/examples/$f.yaml"
done
accepted "examples/dbinstance-restore.yaml" kn apply --dry-run=server -f "$ROOT/examples/dbinstance-restore.yaml"
accepted "examples/dbsnapshot.yaml" kn apply --dry-run=server -f "$ROOT/examples/dbsnapshot.yaml"
expect_eq "$(kn get dbinstances -o jsonpath='{range .items[*]}{.metadata.name}={.spec.engine}:{.spec.version} {end}')" \
    "billing=postgresql:16.4 catalog=mariadb:11.4 inventory=mysql:8.4 orders=postgresql:16 " "the examples"

# Defaults fill what the short examples leave out; the full one keeps what it says.
expect_eq "$(field orders '{.spec.username} {.spec.storage.size} {.spec.service.type} {.spec.deletionPolicy}')" \
    "app 1Gi ClusterIP Delete" "defaults"
expect_eq "$(field billing '{.spec.username} {.spec.storage.storageClassName} {.spec.service.type} {.spec.deletionPolicy} {.spec.backup.keep} {.spec.credentialsSecretRef.name}')" \
    "billing standard NodePort Retain 7 billing-db-password" "the full example"
create_dbi bare mysql 8.4 "  backup: {schedule: '@daily'}" >/dev/null
expect_eq "$(field bare '{.spec.backup.keep} {.spec.storage.size}')" "7 1Gi" "backup.keep and storage.size defaults"

# Status is a subresource: written through /status, ignored on the main resource.
status='{"status":{"phase":"Ready","observedGeneration":1,"endpoint":"orders.'$NS'.svc.cluster.local:5432","connectionSecret":"orders-credentials","readyReplicas":1,"currentVersion":"16","storageSize":"1Gi","conditions":[{"type":"Ready","status":"True","reason":"Ready","message":"accepting connections","lastTransitionTime":"2026-01-02T03:04:05Z","observedGeneration":1}]}}'
accepted "a status write" kn patch dbinstance orders --subresource=status --type=merge -p "$status"
patch_dbi orders '{"status":{"phase":"Failed"}}' >/dev/null
expect_eq "$(field orders '{.status.phase}')" "Ready" "phase after a write to the main resource"
rejected "a bad phase" 'status.phase: Unsupported value: "Sleeping"' \
    kn patch dbinstance orders --subresource=status --type=merge -p '{"status":{"phase":"Sleeping"}}'

# The columns, through the plural, the short name and the category. (Output is captured
# before grep: under pipefail, grep -q quitting early would fail kubectl with SIGPIPE.)
for what in dbinstances dbi dbaas; do
    out=$(kn get "$what")
    grep -qx 'NAME *ENGINE *VERSION *STATUS *READY *AGE' <<<"$out" || fail "kubectl get $what: $out"
    out=$(kn get "$what" -o wide)
    grep -qx 'NAME *ENGINE *VERSION *STATUS *READY *ENDPOINT *EXTERNAL *AGE' <<<"$out" || fail "kubectl get $what -o wide: $out"
done
out=$(kn get dbi orders --no-headers)
grep -qx 'orders  *postgresql  *16  *Ready  *True  *[0-9a-z]*' <<<"$out" || fail "row: $out"
out=$(kn get dbi orders --no-headers -o wide)
grep -qx "orders  *postgresql  *16  *Ready  *True  *orders.$NS.svc.cluster.local:5432  *[0-9a-z]*" <<<"$out" ||
    fail "wide row: $out"
out=$(kn get dbi inventory --no-headers)
grep -qx 'inventory  *mysql  *8.4  *[0-9a-z]*' <<<"$out" || fail "row without status: $out"

# credentialsSecretRef may not name the Secret the operator writes itself.
rejected "a ref to the operator's own Secret" 'is the Secret the operator writes for this DBInstance' \
    patch_dbi orders '{"spec":{"credentialsSecretRef":{"name":"orders-credentials"}}}'

# Immutable fields, including adding or removing them.
rejected "an engine change" 'spec.engine: Invalid value: "mysql": engine is immutable' \
    patch_dbi orders '{"spec":{"engine":"mysql","version":"8.4"}}'
rejected "a database change" 'spec.database: Invalid value: "sales": database is immutable' \
    patch_dbi orders '{"spec":{"database":"sales"}}'
rejected "a username change" 'spec.username: Invalid value: "admin": username is immutable' \
    patch_dbi orders '{"spec":{"username":"admin"}}'
rejected "removing a username (back to the default)" 'spec.username: Invalid value: "app": username is immutable' \
    patch_dbi billing '{"spec":{"username":null}}'
rejected "adding a storageClassName" 'spec.storage.storageClassName: Invalid value: storage.storageClassName is immutable' \
    patch_dbi orders '{"spec":{"storage":{"storageClassName":"standard"}}}'
rejected "changing the storageClassName" 'storage.storageClassName is immutable' \
    patch_dbi billing '{"spec":{"storage":{"storageClassName":"fast"}}}'
rejected "removing the storageClassName" 'storage.storageClassName is immutable' \
    patch_dbi billing '{"spec":{"storage":{"storageClassName":null}}}'
rejected "adding restoreFrom" 'spec.restoreFrom: Invalid value: restoreFrom is immutable' \
    patch_dbi orders '{"spec":{"restoreFrom":{"snapshot":"orders-nightly"}}}'
create_dbi restored postgresql 16 "  restoreFrom: {snapshot: orders-nightly}" >/dev/null
rejected "changing restoreFrom" 'restoreFrom is immutable' \
    patch_dbi restored '{"spec":{"restoreFrom":{"snapshot":"other"}}}'
rejected "removing restoreFrom" 'restoreFrom is immutable' patch_dbi restored '{"spec":{"restoreFrom":null}}'
# What may change does.
accepted "a minor version change" patch_dbi orders '{"spec":{"version":"16.4"}}'
accepted "a parameters change" patch_dbi billing '{"spec":{"parameters":{"max_connections":"300"}}}'
accepted "a deletionPolicy change" patch_dbi billing '{"spec":{"deletionPolicy":"Delete"}}'
expect_eq "$(field billing '{.spec.parameters.max_connections} {.spec.deletionPolicy}')" "300 Delete" "mutable fields"

# Storage grows, never shrinks; equal quantities in other units are no change.
create_dbi sizes postgresql 16 "  storage: {size: 2Gi}" >/dev/null
rejected "2Gi -> 1Gi" 'spec.storage.size: Forbidden: storage.size may not shrink (from 2Gi to 1Gi)' \
    patch_dbi sizes '{"spec":{"storage":{"size":"1Gi"}}}'
rejected "2Gi -> 1.5Gi" 'storage.size may not shrink' patch_dbi sizes '{"spec":{"storage":{"size":"1.5Gi"}}}'
accepted "2Gi -> 2048Mi" patch_dbi sizes '{"spec":{"storage":{"size":"2048Mi"}}}'
accepted "2048Mi -> 3Gi" patch_dbi sizes '{"spec":{"storage":{"size":"3Gi"}}}'
expect_eq "$(field sizes '{.spec.storage.size}')" "3Gi" "size after growing"
rejected "removing the size (back to the 1Gi default)" 'storage.size may not shrink (from 3Gi to 1Gi)' \
    patch_dbi sizes '{"spec":{"storage":{"size":null}}}'
accepted "1Gi -> 1024Mi" patch_dbi orders '{"spec":{"storage":{"size":"1024Mi"}}}'
accepted "1024Mi -> 2Gi" patch_dbi orders '{"spec":{"storage":{"size":"2Gi"}}}'
rejected "a size that is no quantity" 'spec.storage.size in body should match' \
    create_dbi badsize postgresql 16 "  storage: {size: lots}"
rejected "a tiny size" 'spec.storage.size: Invalid value: "100k": storage.size must be at least 1Mi' \
    create_dbi tiny postgresql 16 "  storage: {size: 100k}"

# Versions follow the engine's pattern, on creation and on change.
rejected "postgresql 8.4" 'spec.version: Invalid value: version "8.4" is not a valid postgresql version' \
    create_dbi badpg postgresql 8.4
rejected "postgresql 16.x" 'version "16.x" is not a valid postgresql version' patch_dbi orders '{"spec":{"version":"16.x"}}'
rejected "mysql 8" 'spec.version: Invalid value: version "8" is not a valid mysql version: use major.minor such as "8.4"' \
    create_dbi badmy mysql 8
rejected "mariadb latest" 'version "latest" is not a valid mariadb version' create_dbi badmaria mariadb latest
accepted "mysql 8.4.3" create_dbi goodmy mysql 8.4.3
accepted "mariadb 10.11" create_dbi goodmaria mariadb 10.11

# Other schema checks.
rejected "an unknown engine" 'spec.engine: Unsupported value: "oracle": supported values: "postgresql", "mysql", "mariadb"' \
    create_dbi badengine oracle 19
rejected "a missing database" 'spec.database: Required value' \
    kn create -f - <<<"$(dbi nodb postgresql 16 | grep -v '^  database:')"
rejected "a missing spec" 'spec: Required value' \
    kn create -f - <<<$'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: nospec}'
rejected "an unknown service type" 'spec.service.type: Unsupported value: "ExternalName"' \
    create_dbi badsvc postgresql 16 "  service: {type: ExternalName}"
rejected "an unknown deletionPolicy" 'spec.deletionPolicy: Unsupported value: "Orphan"' \
    create_dbi badpolicy postgresql 16 "  deletionPolicy: Orphan"
rejected "user root on mysql" 'spec.username: Invalid value: username "root" is the mysql superuser; choose another name for the application user' \
    create_dbi rootuser mysql 8.4 "  username: root"
rejected "requests above limits" 'each resources.requests value must be at most the resources.limits value' \
    create_dbi greedy postgresql 16 "  resources: {requests: {memory: 1Gi}, limits: {memory: 512Mi}}"
rejected "a bad backup schedule" 'schedule must be five fields (minute hour day-of-month month day-of-week)' \
    create_dbi badcron postgresql 16 "  backup: {schedule: nightly}"
name46=$(printf 'd%.0s' $(seq 46))
rejected "a 46-character name" "metadata.name: Invalid value: \"$name46\": metadata.name must be at most 45 characters: the StatefulSet's pods and volumes derive their names from it" \
    create_dbi "$name46" postgresql 16
accepted "a 45-character name" create_dbi "${name46:1}" postgresql 16
rejected "a name with a dot" "metadata.name: Invalid value: \"orders.v2\": metadata.name must start with a lowercase letter" create_dbi orders.v2 postgresql 16

kn delete dbinstances --all --wait=true --timeout=60s >/dev/null
kn delete secret billing-db-password >/dev/null
expect_eq "$(kn get dbinstances -o name)" "" "DBInstances left"
