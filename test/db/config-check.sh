#!/usr/bin/env bash
# config-check.sh ENGINE: spec.parameters reach the server as written, read by the server's
# own parsers (Debian's packages):
#   mariadb/mysql  the ConfigMap's dbaas.cnf through my_print_defaults (the option-file
#                  parser mariadbd uses);
#   postgresql     the StatefulSet's "-c name=value" arguments and the ConfigMap's
#                  dbaas.conf, each through `postgres -C name` on a scratch cluster.
# Values hold what needs quoting: '#', quotes, backslash sequences, edge spaces, nothing.
# Prints "ok config ENGINE ..." or "FAIL config ENGINE: why"; exits 0 or 1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ENGINE=${1:?usage: config-check.sh ENGINE}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL config $ENGINE: $*"; exit 1; }

# The DBInstance, and the expected value of each parameter in $TMP/want/NAME.
python3 - "$TMP" "$ENGINE" <<'PY'
import json, os, sys
tmp, engine = sys.argv[1], sys.argv[2]
if engine == "postgresql":
    params = {"max_connections": "123", "log_line_prefix": "%m [%p] it's a \\n # no comment ",
              "search_path": '"$user", public', "application_name": ""}
else:
    params = {"max_connections": "123", "init_connect": "SET @a = 'x', @b = \"y\" # no comment",
              "log_error": "C:\\new\\err.log", "ft_boolean_syntax": " +-><()~*:&|", "sql_mode": ""}
dbi = {"apiVersion": "dbaas.dev/v1alpha1", "kind": "DBInstance",
       "metadata": {"name": "orders", "namespace": "team-a", "uid": "u-1"},
       "spec": {"engine": engine, "version": "16" if engine == "postgresql" else "11.4",
                "database": "d", "parameters": params}}
json.dump(dbi, open(tmp + "/dbi.json", "w"))
os.mkdir(tmp + "/want")
for k, v in params.items():
    open(tmp + "/want/" + k, "w").write(v)
PY

# render WHAT: what bin/dbi-render builds for WHAT, in $TMP/WHAT.json.
render() {
    "$ROOT/bin/dbi-render" "$TMP/dbi.json" x "$1" >"$TMP/$1.json" || fail "dbi-render $1"
}

case $ENGINE in
mysql | mariadb)
    command -v my_print_defaults >/dev/null || fail "my_print_defaults not found (package mariadb-server)"
    render configmap
    python3 -c 'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))["data"]["dbaas.cnf"])' \
        "$TMP/configmap.json" >"$TMP/dbaas.cnf"
    want=$(find "$TMP/want" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort |
        while IFS= read -r f; do printf -- '--%s=%s\n' "$f" "$(cat "$TMP/want/$f")"; done)
    got=$(my_print_defaults --defaults-file="$TMP/dbaas.cnf" mysqld) || fail "my_print_defaults refused the file"
    [ "$got" = "$want" ] || fail "my_print_defaults read"$'\n'"$got"$'\n'"-- want --"$'\n'"$want"
    echo "ok   config $ENGINE: the ConfigMap's dbaas.cnf reads back as the parameters"
    ;;
postgresql)
    bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [ -x "$bin/postgres" ] || fail "no PostgreSQL server binaries under /usr/lib/postgresql (package postgresql)"
    run=()
    if [ "$(id -u)" -eq 0 ]; then
        run=(setpriv --reuid=postgres --regid=postgres --init-groups --)
        chmod 755 "$TMP"
        chown postgres: "$TMP"
    fi
    render configmap
    render statefulset
    python3 -c 'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))["data"]["dbaas.conf"])' \
        "$TMP/configmap.json" >"$TMP/dbaas.conf"
    # The container's arguments after "postgres", NUL-separated.
    python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["spec"]["template"]["spec"]["containers"][0]["args"]; sys.stdout.write("\0".join(a[1:]))' \
        "$TMP/statefulset.json" >"$TMP/args"
    mapfile -d '' args <"$TMP/args"
    "${run[@]}" "$bin/initdb" -D "$TMP/data" -U postgres --no-locale >"$TMP/initdb.log" 2>&1 ||
        fail "initdb: $(tail -n 3 "$TMP/initdb.log")"
    cp "$TMP/data/postgresql.conf" "$TMP/plain.conf"
    for path in "$TMP"/want/*; do
        name=${path##*/}
        want=$(cat "$path")
        got=$("${run[@]}" "$bin/postgres" -D "$TMP/data" "${args[@]}" -C "$name" 2>&1) ||
            fail "postgres with the StatefulSet's arguments: $got"
        [ "$got" = "$want" ] || fail "$name from the arguments is '$got', want '$want'"
    done
    printf "include '%s'\n" "$TMP/dbaas.conf" >>"$TMP/data/postgresql.conf"
    for path in "$TMP"/want/*; do
        name=${path##*/}
        want=$(cat "$path")
        got=$("${run[@]}" "$bin/postgres" -D "$TMP/data" -C "$name" 2>&1) ||
            fail "postgres with the ConfigMap's dbaas.conf: $got"
        [ "$got" = "$want" ] || fail "$name from dbaas.conf is '$got', want '$want'"
    done
    echo "ok   config $ENGINE: the StatefulSet's -c arguments and the ConfigMap's dbaas.conf read back as the parameters"
    ;;
*) fail "unknown engine" ;;
esac
