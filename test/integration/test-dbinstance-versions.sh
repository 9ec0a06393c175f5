# Versions (README "Supported versions"): a new series runs, a series past its end of life runs
# with a warning and one Event, a downgrade is refused while the pod serves on, MySQL 8.0 to
# 8.4 rolls in place, an image override must name the same engine and major version (or is
# accepted as unchecked), and reserved names and malformed versions are refused at apply time.
. "$ROOT/test/integration/lib.sh"

with_operator

dbi() { # [DB=NAME] dbi NAME ENGINE VERSION [EXTRA_SPEC_YAML]
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: %s}\nspec:\n  engine: %s\n  version: "%s"\n  database: %s\n%s\n' \
        "$1" "$2" "$3" "${DB:-app}" "${4:-}"
}
apply() { dbi "$@" | k -n "$NS" apply -f - >/dev/null; }
cond() { dbi_field "$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
degraded_reason() { [ "$(cond "$1" Degraded reason)" = "$2" ]; }
image_of() { k -n "$NS" get statefulset "$1" -o jsonpath='{.spec.template.spec.containers[0].image}'; }
image_is() { [ "$(image_of "$1")" = "$2" ]; }
version_is() { [ "$(dbi_field "$1" '{.status.currentVersion}')" = "$2" ]; }

apply pg18 postgresql 18
apply pg13 postgresql 13
apply pgdown postgresql 16.4
apply my80 mysql 8.0
apply pgdigest postgresql 16 "  image: registry.example.com/postgres@sha256:4c2ee9c5e6a8f4dd0c7d5bb0c1f0a0e2c57ab3a0b64d3b4f3c7e8f9a0b1c2d3e"
apply pgmismatch postgresql 16 "  image: registry.example.com/postgres:17.2"

# PostgreSQL 18 is a supported series.
wait_for 120 "pg18 Ready" dbi_ready pg18
expect_eq "$(image_of pg18)" postgres:18 "pg18 image"
expect_eq "$(dbi_field pg18 '{.status.versionCheck.support}/{.status.versionCheck.endOfLife}')" \
    Supported/2030-11-14 "pg18 versionCheck"

# PostgreSQL 13 is past its end of life: it runs, status says so, one Warning Event.
wait_for 120 "pg13 Ready" dbi_ready pg13
support_is() { [ "$(dbi_field "$1" '{.status.versionCheck.support}')" = "$2" ]; }
wait_for 30 "pg13 EndOfLife in status" support_is pg13 EndOfLife
expect_eq "$(cond pg13 Degraded status)" False "pg13 Degraded"
msg=$(dbi_field pg13 '{.status.versionCheck.message}')
[[ $msg == *"postgresql 13 reached its end of life on 2025-11-13"* ]] || fail "pg13 message: $msg"
eol_events() { k -n "$NS" get events --field-selector involvedObject.name=pg13,reason=EndOfLife -o jsonpath='{range .items[*]}{.type}/{.count}{"\n"}{end}'; }
has_eol_event() { [ -n "$(eol_events)" ]; }
wait_for 30 "the EndOfLife Event" has_eol_event
sleep 3
expect_eq "$(eol_events)" "Warning/1" "EndOfLife Events"

# A downgrade, minor included, is refused against status.currentVersion; the pod serves on.
wait_for 120 "pgdown Ready" dbi_ready pgdown
wait_for 60 "pgdown currentVersion 16.4" version_is pgdown 16.4
uid=$(k -n "$NS" get pod pgdown-0 -o jsonpath='{.metadata.uid}')
k -n "$NS" patch dbinstance pgdown --type=merge -p '{"spec":{"version":"16.2"}}' >/dev/null
wait_for 30 "UnsupportedDowngrade" degraded_reason pgdown UnsupportedDowngrade
expect_eq "$(cond pgdown Stalled reason)" UnsupportedDowngrade "pgdown Stalled reason"
msg=$(cond pgdown Degraded message)
[[ $msg == *"spec.version: 16.2 is older than the running postgresql 16.4"* ]] || fail "downgrade message: $msg"
sleep 3
image_is pgdown postgres:16.4 || fail "the StatefulSet changed on a refused downgrade: $(image_of pgdown)"
expect_eq "$(k -n "$NS" get pod pgdown-0 -o jsonpath='{.metadata.uid}')" "$uid" "pgdown pod uid"
dbi_ready pgdown || fail "pgdown not Ready while its old pod serves: $(cond pgdown Ready reason)"
k -n "$NS" patch dbinstance pgdown --type=merge -p '{"spec":{"version":"16.4"}}' >/dev/null
wait_for 30 "pgdown healthy after going back" degraded_reason pgdown Healthy

# MySQL 8.0 to 8.4 is an in-place upgrade: it rolls.
wait_for 120 "my80 Ready" dbi_ready my80
wait_for 60 "my80 currentVersion 8.0" version_is my80 8.0
expect_eq "$(dbi_field my80 '{.status.versionCheck.support}')" EndOfLife "mysql 8.0 support"
k -n "$NS" patch dbinstance my80 --type=merge -p '{"spec":{"version":"8.4"}}' >/dev/null
wait_for 60 "my80 on mysql:8.4" image_is my80 mysql:8.4
wait_for 120 "my80 currentVersion 8.4" version_is my80 8.4
wait_for 60 "my80 Ready after the upgrade" dbi_ready my80
expect_eq "$(cond my80 Degraded status)" False "my80 Degraded after the upgrade"
expect_eq "$(dbi_field my80 '{.status.versionCheck.support}')" Supported "mysql 8.4 support"

# An image by digest is accepted, and status says its version could not be checked.
wait_for 120 "pgdigest Ready" dbi_ready pgdigest
expect_eq "$(dbi_field pgdigest '{.status.versionCheck.image}')" Unchecked "pgdigest image check"
msg=$(dbi_field pgdigest '{.status.versionCheck.message}')
[[ $msg == *"could not check that it runs postgresql 16"* ]] || fail "pgdigest message: $msg"

# An image whose tag names another major version: InvalidSpec naming both, nothing made.
wait_for 30 "pgmismatch InvalidSpec" degraded_reason pgmismatch InvalidSpec
msg=$(cond pgmismatch Degraded message)
[[ $msg == *'tag 17.2 of "registry.example.com/postgres:17.2"'*'spec.version 16'* ]] ||
    fail "pgmismatch message: $msg"
k -n "$NS" get statefulset pgmismatch >/dev/null 2>&1 && fail "a StatefulSet was made for a mismatched image"

# Refused at apply time by the CRD's CEL rules, with the messages the operator would give.
rejected() { # rejected WHAT EXPECTED-TEXT NAME ENGINE VERSION [EXTRA]
    local what=$1 want=$2 out
    shift 2
    if out=$(dbi "$@" | k -n "$NS" apply -f - 2>&1); then
        fail "$what was accepted"
    fi
    [[ $out == *"$want"* ]] || fail "$what: the message does not say '$want': $out"
}
rejected "username postgres" 'spec.username: Invalid value: username "postgres" is the postgresql superuser; choose another name for the application user' \
    su postgresql 16 "  username: postgres"
rejected "username pg_monitor" 'username "pg_monitor" starts with pg_, which postgresql reserves for its own roles' \
    pgrole postgresql 16 "  username: pg_monitor"
rejected "username Root on mariadb" 'username "Root" is the mariadb superuser' \
    root mariadb 11.4 "  username: Root"
rejected "a 33-character mysql username" 'is longer than 32 characters, the mysql limit' \
    longuser mysql 8.4 "  username: a23456789012345678901234567890123"
DB=template1 rejected "database template1" 'spec.database: Invalid value: database "template1" is a system database of postgresql' \
    tpl postgresql 16
DB=performance_schema rejected "database performance_schema on mysql" 'database "performance_schema" is a system database of mysql' \
    perf mysql 8.4
rejected "version 16.04" 'version "16.04" is not a valid postgresql version: use a major version such as "16", or major.minor such as "16.4", numbers without leading zeros' \
    zero postgresql 16.04
# PostgreSQL allows 63-byte role names; mariadb usernames are not held to MySQL's 32.
accepted_user=a2345678901234567890123456789012345678901234567890123456789012
dbi longpg postgresql 16 "  username: $accepted_user" | k -n "$NS" apply --dry-run=server -f - >/dev/null ||
    fail "a 62-character postgresql username was refused"
stop_operator
