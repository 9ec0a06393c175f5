#!/usr/bin/env bash
# The credentials Secret's uri against real servers: for each engine, the uri the operator's
# own builder (bin/dbi-render) writes for a password full of characters that need encoding,
# and for one fresh from dbi_password, must log in with psql (PostgreSQL) or the mariadb
# client (MariaDB, for the mysql and mariadb engines) as the user, in the database.
# Also (config-check.sh): spec.parameters as the StatefulSet and ConfigMap carry them read
# back through PostgreSQL's and MariaDB's own parsers as the values that went in.
# One "ok"/"FAIL" line per check, then "db: N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
make -s bin/dbi-render >/dev/null || { echo "db: 0 passed, 1 failed"; exit 1; }

HARD='p@ss:w/rd?#%+ ='
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# check ENGINE VERSION PASSWORD_OR_DASH
check() {
    local engine=$1 version=$2 pw=$3 out uri
    printf '{"apiVersion":"dbaas.dev/v1alpha1","kind":"DBInstance","metadata":{"name":"orders","namespace":"team-a","uid":"u-1"},"spec":{"engine":"%s","version":"%s","database":"orders_db","username":"orders_app"}}' \
        "$engine" "$version" >"$tmp/$engine.json"
    if ! out=$(bin/dbi-render "$tmp/$engine.json" "$pw" uri); then
        echo "FAIL $engine: dbi-render"
        failed=$((failed + 1))
        return
    fi
    if [ "$pw" = - ]; then
        pw=$(head -n 1 <<<"$out")
        uri=$(tail -n 1 <<<"$out")
    else
        uri=$out
    fi
    if bash test/db/uri-check.sh "$engine" "$uri" orders_app "$pw" orders_db; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
}

# config ENGINE: spec.parameters read back by the server's own parsers.
config() {
    if bash test/db/config-check.sh "$1"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

check postgresql 16 "$HARD"
check postgresql 16 -
check mariadb 11.4 "$HARD"
check mariadb 11.4 -
check mysql 8.4 "$HARD"
config postgresql
config mariadb
echo "db: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
