# shellcheck shell=bash
# Helpers for the DBSnapshot tests (test-dbsnapshot*.sh, test-dbinstance-final-snapshot.sh);
# sourced after lib.sh. Starts the CSI stack (hack/csi.sh) when it is not running and sets
# HOLD, the file that holds snapshots back ("namespace/name" lines), and MOCK_LOG.
bash "$ROOT/hack/csi.sh" start
HOLD=$(bash "$ROOT/hack/csi.sh" hold-file)
MOCK_LOG=$(dirname "$HOLD")/csi-mock.log
export HOLD MOCK_LOG

# instance NAME [VERSION [ENGINE [SIZE [SNAPSHOT [DELETION]]]]]: a DBInstance on csi-mock
# (database orders; CLASS in the environment names another StorageClass), restored from
# DBSnapshot SNAPSHOT when given.
instance() {
    k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: $1}
spec:
  engine: ${3:-postgresql}
  version: "${2:-16.4}"
  database: orders
  deletionPolicy: ${6:-Delete}
  storage: {size: ${4:-1Gi}, storageClassName: ${CLASS:-csi-mock}}
${5:+  restoreFrom: {snapshot: $5\}}
YAML
}
# dbsnap NAME INSTANCE [DELETION]
dbsnap() {
    k -n "$NS" apply -f - >/dev/null <<YAML
apiVersion: dbaas.dev/v1alpha1
kind: DBSnapshot
metadata: {name: $1}
spec: {instanceName: $2, deletionPolicy: ${3:-Delete}}
YAML
}
snap_field() { k -n "$NS" get dbsnapshot "$1" -o jsonpath="$2" 2>/dev/null; }
snap_cond() { snap_field "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
snap_ready() { [ "$(snap_cond "$1" Ready status)" = True ]; }
snap_reason() { [ "$(snap_cond "$1" Ready reason)" = "$2" ]; }
dbi_cond() { dbi_field "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
absent() { ! k -n "$NS" get "$@" >/dev/null 2>&1; }
