# spec.backup in the DBInstance schema: the API server refuses, before the operator sees it,
# a schedule that names a time zone or uses @every, keep outside 1..1000, a time zone that
# cannot be an IANA name, and a backup without a schedule, each with a message naming it;
# and it takes the forms Kubernetes' CronJob takes (server-side dry runs). status.lastBackup
# and status.nextBackup are kept by the status subresource, not pruned.
. "$ROOT/test/integration/lib.sh"

install_crds

dbi() { # dbi BACKUP_FLOW_YAML: a DBInstance with that spec.backup
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: nightly}\nspec:\n  engine: postgresql\n  version: "16"\n  database: app\n  backup: %s\n' "$1"
}

# refused BACKUP WANT: the dry run fails and the error contains WANT.
refused() {
    local out
    if out=$(dbi "$1" | k -n "$NS" apply --dry-run=server -f - 2>&1); then
        fail "accepted: backup $1"
    fi
    grep -qF -- "$2" <<<"$out" || fail "backup $1: error lacks '$2': $out"
}

accepted() {
    local out
    out=$(dbi "$1" | k -n "$NS" apply --dry-run=server -f - 2>&1) || fail "refused: backup $1: $out"
}

accepted '{schedule: "0 3 * * *"}'
accepted '{schedule: "@daily", keep: 1}'
accepted '{schedule: "*/15 9-17 * jan-jun mon-fri", keep: 1000, timeZone: Europe/Berlin}'
accepted '{schedule: "0 0 1,15 * *", timeZone: America/Argentina/Buenos_Aires, volumeSnapshotClassName: fast}'
accepted '{schedule: "0 3 * * *", timeZone: Etc/GMT+3}'

refused '{keep: 3}' 'spec.backup.schedule: Required value'
refused '{schedule: "TZ=UTC 0 3 * * *"}' 'set spec.backup.timeZone instead'
refused '{schedule: "CRON_TZ=UTC 0 3 * *"}' 'set spec.backup.timeZone instead'
refused '{schedule: "@every 1h"}' '@every is not supported'
refused '{schedule: "0 3 * *"}' 'schedule must be five fields (minute hour day-of-month month day-of-week)'
refused '{schedule: "0 3 * * *", keep: 0}' 'spec.backup.keep'
refused '{schedule: "0 3 * * *", keep: 1001}' 'spec.backup.keep'
refused '{schedule: "0 3 * * *", timeZone: ""}' 'spec.backup.timeZone'
refused '{schedule: "0 3 * * *", timeZone: Local}' 'not Local'
refused '{schedule: "0 3 * * *", timeZone: ../etc/passwd}' "may not contain '.' or '..'"
refused '{schedule: "0 3 * * *", timeZone: "Europe/Berlin Time"}' 'spec.backup.timeZone: Invalid value'
refused '{schedule: "0 3 * * *", timeZone: America/Argentina_Buenos_Aires}' 'spec.backup.timeZone: Invalid value'
echo "spec.backup schema: 5 accepted, 12 refused as expected"

dbi '{schedule: "0 3 * * *", keep: 2}' | k -n "$NS" apply -f - >/dev/null
k -n "$NS" patch dbinstance nightly --subresource=status --type=merge \
    -p '{"status":{"lastBackup":"2026-11-30T03:00:00Z","nextBackup":"2026-12-01T03:00:00Z"}}' >/dev/null
expect_eq "$(k -n "$NS" get dbinstance nightly -o jsonpath='{.status.lastBackup} {.status.nextBackup}')" \
    "2026-11-30T03:00:00Z 2026-12-01T03:00:00Z" "status.lastBackup and status.nextBackup as written"
k -n "$NS" delete dbinstance nightly --wait=false >/dev/null
