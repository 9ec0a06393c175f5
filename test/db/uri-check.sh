#!/usr/bin/env bash
# uri-check.sh ENGINE URI USER PASSWORD DATABASE
#
# Proves that a connection URI from a credentials Secret works with a real server and client:
# starts a throwaway server from Debian's packages (PostgreSQL for postgresql, MariaDB for
# mysql and mariadb) as a normal process on a free 127.0.0.1 port in a temporary folder,
# creates USER with PASSWORD and DATABASE, connects with the client using the URI, checks
# that the session is USER in DATABASE and that a wrong password is refused, then stops the
# server and removes everything.
#
# The URI's host and port are cluster DNS; only they are replaced (with 127.0.0.1 and the
# server's port). User, password (still percent-encoded) and database are used exactly as
# given: psql reads the URI itself; the mariadb client takes no URI, so the script parses it
# and percent-decodes the user and password, as a driver would.
#
# Installs postgresql, mariadb-server and mariadb-client with apt-get when missing, without
# letting their packages start system services. Prints "ok ENGINE ..." or "FAIL ENGINE: why"
# and exits 0 or 1.
set -euo pipefail

[ $# -eq 5 ] || { echo "usage: uri-check.sh ENGINE URI USER PASSWORD DATABASE" >&2; exit 2; }
ENGINE=$1 URI=$2 USER_NAME=$3 PASSWORD=$4 DATABASE=$5
START=$SECONDS
TMP=
SERVER_PID=

fail() { echo "FAIL $ENGINE: $*"; [ -z "$TMP" ] || tail -n 20 "$TMP/server.log" 2>/dev/null >&2 || true; exit 1; }

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    [ -z "$TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Runs a command as OS user $1 when we are root (the servers refuse root), else as ourselves.
# setpriv execs the command in place, so a server started in the background has pid $!.
as_user() {
    local user=$1
    shift
    if [ "$(id -u)" -eq 0 ]; then
        exec setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
    fi
    exec "$@"
}

. "$(dirname "${BASH_SOURCE[0]}")/install.sh"

# Splits URI into SCHEME, USERINFO, HOSTPORT and REST ("/database?...").
split_uri() {
    [[ $URI =~ ^([a-z]+)://([^@/]*)@([^/]*)(/.*)$ ]] || fail "not a URI with credentials: $URI"
    # shellcheck disable=SC2034 # HOSTPORT: every part is set as the comment says; no check reads it yet
    SCHEME=${BASH_REMATCH[1]} USERINFO=${BASH_REMATCH[2]} HOSTPORT=${BASH_REMATCH[3]} REST=${BASH_REMATCH[4]}
}

pct_decode() { printf '%b' "${1//%/\\x}"; }

wait_until() { # wait_until SECONDS CMD...: polls CMD every 0.2 s
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        sleep 0.2
    done
}

check_postgresql() {
    local bin port uri bad got
    install_missing postgresql
    bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [ -x "$bin/initdb" ] || fail "no PostgreSQL server binaries under /usr/lib/postgresql"
    [ "$SCHEME" = postgresql ] || fail "scheme $SCHEME, want postgresql"
    TMP=$(mktemp -d)
    chmod 755 "$TMP"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$TMP"
    port=$(free_port)
    # scram-sha-256 on TCP: the password is really checked.
    (as_user postgres "$bin/initdb" -D "$TMP/data" -U postgres -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256) >"$TMP/initdb.log" 2>&1 || fail "initdb: $(tail -n 3 "$TMP/initdb.log")"
    # A URI that requires TLS (HACluster's: Spilo serves TLS with a self-signed certificate
    # and rejects plain connections) gets a server that does the same.
    local ssl=() want_ssl=f
    if [[ $REST == *sslmode=require* ]]; then
        want_ssl=t
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/server.key" -out "$TMP/server.crt" \
            -subj /CN=localhost -days 1 >/dev/null 2>&1 || fail "openssl could not make a certificate"
        chmod 600 "$TMP/server.key"
        [ "$(id -u)" -ne 0 ] || chown postgres: "$TMP/server.key" "$TMP/server.crt"
        printf 'local all all trust\nhostnossl all all all reject\nhostssl all all all scram-sha-256\n' \
            >"$TMP/data/pg_hba.conf"
        ssl=(-c ssl=on -c ssl_cert_file="$TMP/server.crt" -c ssl_key_file="$TMP/server.key")
    fi
    (as_user postgres "$bin/postgres" -D "$TMP/data" -c listen_addresses=127.0.0.1 -p "$port" \
        -c unix_socket_directories="$TMP" "${ssl[@]}") >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    wait_until 30 "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" || fail "postgres did not start"
    (as_user postgres psql -X -q -h "$TMP" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -v user="$USER_NAME" -v pw="$PASSWORD" -v db="$DATABASE") >/dev/null <<'SQL' || fail "creating the user and database"
CREATE ROLE :"user" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"user";
SQL
    uri="$SCHEME://$USERINFO@127.0.0.1:$port$REST"
    got=$(PGPASSFILE=/dev/null PGCONNECT_TIMEOUT=10 psql -X -A -t -F ' ' -c \
        'select current_user, current_database(), (select ssl from pg_stat_ssl where pid = pg_backend_pid())' \
        "$uri" 2>&1) || fail "psql with the URI: $got"
    [ "$got" = "$USER_NAME $DATABASE $want_ssl" ] ||
        fail "connected as '$got', want '$USER_NAME $DATABASE $want_ssl' (the last: whether TLS is used)"
    bad="$SCHEME://${USERINFO%%:*}:wrong@127.0.0.1:$port$REST"
    if PGPASSFILE=/dev/null psql -X -A -t -c 'select 1' "$bad" >/dev/null 2>&1; then
        fail "a wrong password was accepted: the check proves nothing"
    fi
}

check_mariadb() {
    local port user pass db got esc_pw
    install_missing mariadb-server mariadb-client
    [ "$SCHEME" = mysql ] || fail "scheme $SCHEME, want mysql"
    TMP=$(mktemp -d)
    chmod 755 "$TMP"
    [ "$(id -u)" -ne 0 ] || chown mysql: "$TMP"
    port=$(free_port)
    (as_user mysql mariadb-install-db --no-defaults --datadir="$TMP/data" --auth-root-authentication-method=normal \
        --skip-test-db) >"$TMP/install.log" 2>&1 || fail "mariadb-install-db: $(tail -n 3 "$TMP/install.log")"
    (as_user mysql mariadbd --no-defaults --datadir="$TMP/data" --socket="$TMP/mysqld.sock" --port="$port" \
        --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$TMP/mysqld.pid") >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    wait_until 60 mariadb-admin --no-defaults -S "$TMP/mysqld.sock" -uroot ping || fail "mariadbd did not start"
    # SQL string literals: backslash and quote escaped.
    esc_pw=${PASSWORD//\\/\\\\}
    esc_pw=${esc_pw//\'/\\\'}
    mariadb --no-defaults -S "$TMP/mysqld.sock" -uroot <<SQL || fail "creating the user and database"
CREATE USER '$USER_NAME'@'%' IDENTIFIED BY '$esc_pw';
CREATE DATABASE \`$DATABASE\`;
GRANT ALL ON \`$DATABASE\`.* TO '$USER_NAME'@'%';
SQL
    # What a driver does with mysql://user:password@host:port/database.
    [[ $USERINFO == *:* ]] || fail "no password in the URI"
    user=$(pct_decode "${USERINFO%%:*}")
    pass=$(pct_decode "${USERINFO#*:}")
    db=${REST#/}
    db=$(pct_decode "${db%%\?*}")
    got=$(mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$port" -u "$user" --password="$pass" \
        --connect-timeout=10 -N -B -e 'select current_user(), database()' "$db" 2>&1) ||
        fail "mariadb with the URI's credentials: $got"
    [ "$got" = "$USER_NAME@%	$DATABASE" ] || fail "connected as '$got', want '$USER_NAME@% $DATABASE'"
    if mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$port" -u "$user" --password=wrong \
        -e 'select 1' "$db" >/dev/null 2>&1; then
        fail "a wrong password was accepted: the check proves nothing"
    fi
}

split_uri
case $ENGINE in
postgresql) CLIENT=psql; check_postgresql ;;
mysql | mariadb) CLIENT=mariadb; check_mariadb ;;
*) fail "unknown engine (postgresql, mysql or mariadb)" ;;
esac
echo "ok   $ENGINE: $CLIENT logged in with the uri as $USER_NAME to $DATABASE, password '$PASSWORD' ($((SECONDS - START)) s)"
