#!/usr/bin/env bash
# tls-check.sh ENGINE DIR
#
# Proves that what the operator wrote for a DBInstance with TLS serves real clients: starts a
# throwaway server from Debian's packages (PostgreSQL 15 for postgresql, MariaDB for mysql
# and mariadb) on a free 127.0.0.1 port, with the operator's certificate and key and the
# operator's rendered configuration, and connects as a client would, with what the
# connection Secret holds. DIR holds the files the test copied out of the cluster:
#   tls.crt tls.key         from Secret <name>-tls (the server's certificate and key)
#   ca.crt                  from Secret <name>-credentials (what clients trust)
#   uri host username password database   from Secret <name>-credentials
#   config                  postgresql: the ConfigMap's pg_hba.conf; mysql/mariadb: dbaas.cnf
# Checks:
#   postgresql: psql with the Secret's uri (only the port changed), which says
#     sslmode=verify-full, plus sslrootcert=DIR/ca.crt and hostaddr=127.0.0.1 (psql checks
#     the certificate against host, the Service's cluster name, and connects to the
#     address); the session is encrypted (pg_stat_ssl); sslmode=disable is refused by the
#     operator's pg_hba.conf; verify-full with another host name, or with another CA, fails.
#   mariadb: the mariadb client with --ssl-ca and --ssl-verify-server-cert to the Service's
#     name (resolved to 127.0.0.1 in a private mount namespace when we are root; else to
#     127.0.0.1 directly, the name then checked by s_client alone); --skip-ssl is refused
#     (require_secure_transport); openssl s_client -verify_hostname <host> verifies the
#     chain and the name against the running server; another name fails.
# Prints "ok ENGINE ..." or "FAIL ENGINE: why" and exits 0 or 1.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: tls-check.sh ENGINE DIR" >&2; exit 2; }
ENGINE=$1 DIR=$2
START=$SECONDS
TMP=
SERVER_PID=
for f in tls.crt tls.key ca.crt uri host username password database config; do
    [ -s "$DIR/$f" ] || { echo "FAIL $ENGINE: $DIR/$f is missing or empty"; exit 1; }
done
HOST=$(cat "$DIR/host") USER_NAME=$(cat "$DIR/username") PASSWORD=$(cat "$DIR/password")
DATABASE=$(cat "$DIR/database") URI=$(cat "$DIR/uri")

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

. "$(dirname "${BASH_SOURCE[0]}")/install.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

as_user() {
    local user=$1
    shift
    if [ "$(id -u)" -eq 0 ]; then
        exec setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
    fi
    exec "$@"
}

wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        sleep 0.2
    done
}

# The server's files, owned by its OS user, the key 0600 as both servers want.
stage() {
    TMP=$(mktemp -d)
    chmod 755 "$TMP"
    mkdir "$TMP/tls"
    cp "$DIR/tls.crt" "$DIR/tls.key" "$DIR/ca.crt" "$TMP/tls/"
    chmod 600 "$TMP/tls/tls.key"
    [ "$(id -u)" -ne 0 ] || chown -R "$1": "$TMP"
}

# openssl s_client against the server: STARTTLS for postgres, plain TLS after MariaDB's
# handshake is not possible with s_client, which speaks -starttls mysql.
s_client_ok() { # s_client_ok STARTTLS PORT NAME
    local out
    out=$(openssl s_client -connect "127.0.0.1:$2" -starttls "$1" -CAfile "$DIR/ca.crt" \
        -verify_hostname "$3" -verify_return_error </dev/null 2>&1) || return 1
    grep -q 'Verify return code: 0 (ok)' <<<"$out"
}

check_postgresql() {
    local bin port uri got
    install_missing postgresql
    bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [ -x "$bin/initdb" ] || fail "no PostgreSQL server binaries under /usr/lib/postgresql"
    stage postgres
    port=$(free_port)
    cp "$DIR/config" "$TMP/pg_hba.conf"
    printf '%s\n' "$PASSWORD" >"$TMP/pw"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$TMP/pg_hba.conf" "$TMP/pw"
    # As the image does with POSTGRES_INITDB_ARGS: scram-sha-256 from the start.
    (as_user postgres "$bin/initdb" -D "$TMP/data" -U "$USER_NAME" --pwfile="$TMP/pw" -E UTF8 \
        --no-locale --auth-local=scram-sha-256 --auth-host=scram-sha-256) >"$TMP/initdb.log" 2>&1 ||
        fail "initdb: $(tail -n 3 "$TMP/initdb.log")"
    # The operator's arguments (dbi_tls_pg_args), the paths moved to the scratch folder.
    (as_user postgres "$bin/postgres" -D "$TMP/data" -c listen_addresses=127.0.0.1 -p "$port" \
        -c unix_socket_directories="$TMP" -c ssl=on -c ssl_cert_file="$TMP/tls/tls.crt" \
        -c ssl_key_file="$TMP/tls/tls.key" -c hba_file="$TMP/pg_hba.conf" \
        -c password_encryption=scram-sha-256) >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    wait_until 30 "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" || fail "postgres did not start"
    PGPASSWORD=$PASSWORD psql -X -q -h "$TMP" -p "$port" -U "$USER_NAME" -d postgres -v ON_ERROR_STOP=1 \
        -v db="$DATABASE" -c "CREATE DATABASE \"$DATABASE\"" >/dev/null || fail "creating the database"
    # The Secret's uri as given, its host:port pointed at this server's port.
    [[ $URI == *"@$HOST:"* && $URI == *"sslmode=verify-full"* ]] || fail "the uri lacks $HOST or sslmode=verify-full: ${URI##*@}"
    uri=$(sed -E "s#@$HOST:[0-9]+/#@$HOST:$port/#" <<<"$URI")
    got=$(PGPASSFILE=/dev/null PGCONNECT_TIMEOUT=10 psql -X -A -t -F ' ' \
        -c 'select current_user, current_database(), ssl from pg_stat_ssl where pid = pg_backend_pid()' \
        "$uri&hostaddr=127.0.0.1&sslrootcert=$DIR/ca.crt" 2>&1) || fail "psql with the uri, verify-full: $got"
    [ "$got" = "$USER_NAME $DATABASE t" ] || fail "connected as '$got', want '$USER_NAME $DATABASE t'"
    got=$(PGPASSWORD=$PASSWORD psql -X -A -t -c 'select 1' \
        "host=127.0.0.1 port=$port user=$USER_NAME dbname=$DATABASE sslmode=disable" 2>&1) &&
        fail "a plain-text connection was accepted"
    grep -q 'no encryption' <<<"$got" || fail "plain text refused for another reason: $got"
    got=$(PGPASSWORD=$PASSWORD psql -X -A -t -c 'select 1' \
        "host=elsewhere.example hostaddr=127.0.0.1 port=$port user=$USER_NAME dbname=$DATABASE sslmode=verify-full sslrootcert=$DIR/ca.crt" 2>&1) &&
        fail "verify-full accepted a name the certificate does not hold"
    grep -q 'does not match host name' <<<"$got" || fail "the wrong name failed for another reason: $got"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other -days 1 \
        -keyout "$TMP/other.key" -out "$TMP/other.crt" 2>/dev/null
    got=$(PGPASSWORD=$PASSWORD psql -X -A -t -c 'select 1' \
        "host=$HOST hostaddr=127.0.0.1 port=$port user=$USER_NAME dbname=$DATABASE sslmode=verify-full sslrootcert=$TMP/other.crt" 2>&1) &&
        fail "verify-full accepted the certificate with another CA"
    grep -q 'certificate verify failed' <<<"$got" || fail "another CA failed for another reason: $got"
    s_client_ok postgres "$port" "$HOST" || fail "openssl s_client -verify_hostname $HOST failed"
    CHECKED="psql verify-full as $USER_NAME over TLS via $HOST; plain text, another name and another CA refused"
}

# mariadb ARGS...: the client, with the Service's name resolving to 127.0.0.1 when we can
# give it a hosts file of its own (root: a private mount namespace).
RESOLVE=
mariadb_as_service() {
    if [ -n "$RESOLVE" ]; then
        # shellcheck disable=SC2016 # $0 and $@ are the inner shell's
        unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$TMP/hosts" mariadb "$@"
    else
        mariadb "$@"
    fi
}

check_mariadb() {
    local port got host
    install_missing mariadb-server mariadb-client
    stage mysql
    port=$(free_port)
    # The operator's dbaas.cnf, the certificate paths moved to the scratch folder.
    sed "s#/etc/dbaas/tls/#$TMP/tls/#" "$DIR/config" >"$TMP/dbaas.cnf"
    grep -q '^require_secure_transport = ON$' "$TMP/dbaas.cnf" || fail "dbaas.cnf lacks require_secure_transport = ON"
    (as_user mysql mariadb-install-db --no-defaults --datadir="$TMP/data" --auth-root-authentication-method=normal \
        --skip-test-db) >"$TMP/install.log" 2>&1 || fail "mariadb-install-db: $(tail -n 3 "$TMP/install.log")"
    (as_user mysql mariadbd --defaults-file="$TMP/dbaas.cnf" --datadir="$TMP/data" --socket="$TMP/mysqld.sock" \
        --port="$port" --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$TMP/mysqld.pid") >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    wait_until 60 mariadb-admin --no-defaults -S "$TMP/mysqld.sock" -uroot ping || fail "mariadbd did not start"
    mariadb --no-defaults -S "$TMP/mysqld.sock" -uroot <<SQL || fail "creating the user and database"
CREATE USER '$USER_NAME'@'%' IDENTIFIED BY '${PASSWORD//\'/\\\'}';
CREATE DATABASE \`$DATABASE\`;
GRANT ALL ON \`$DATABASE\`.* TO '$USER_NAME'@'%';
SQL
    host=127.0.0.1
    # shellcheck disable=SC2016 # $0 is the inner shell's
    if [ "$(id -u)" -eq 0 ] && printf '127.0.0.1 %s\n' "$HOST" >"$TMP/hosts" &&
        unshare -m sh -c 'mount --bind "$0" /etc/hosts' "$TMP/hosts" 2>/dev/null; then
        RESOLVE=1 host=$HOST
    fi
    got=$(mariadb_as_service --no-defaults --protocol=TCP -h "$host" -P "$port" -u "$USER_NAME" \
        --password="$PASSWORD" --ssl-ca="$DIR/ca.crt" --ssl-verify-server-cert --connect-timeout=10 -N -B \
        -e "select current_user(), database(), variable_value <> '' from information_schema.session_status where variable_name = 'Ssl_cipher'" \
        "$DATABASE" 2>&1) || fail "mariadb --ssl-verify-server-cert to $host: $got"
    [ "$got" = "$USER_NAME@%	$DATABASE	1" ] || fail "connected as '$got', want '$USER_NAME@% $DATABASE 1'"
    got=$(mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$port" -u "$USER_NAME" --password="$PASSWORD" \
        --skip-ssl -e 'select 1' "$DATABASE" 2>&1) && fail "a plain-text connection was accepted"
    # MariaDB 10.11 answers "Access denied" (the server logs it); newer ones name the
    # transport. The same user and password just logged in over TLS, so TLS is the difference.
    grep -qi -e 'secure transport' -e 'Access denied' <<<"$got" || fail "plain text refused for another reason: $got"
    s_client_ok mysql "$port" "$HOST" || fail "openssl s_client -verify_hostname $HOST failed"
    s_client_ok mysql "$port" elsewhere.example && fail "s_client accepted a name the certificate does not hold"
    CHECKED="mariadb --ssl-verify-server-cert to $host and s_client -verify_hostname $HOST; plain text and another name refused"
}

command -v openssl >/dev/null || fail "openssl is missing"
case $ENGINE in
postgresql) check_postgresql ;;
mysql | mariadb) check_mariadb ;;
*) fail "unknown engine (postgresql, mysql or mariadb)" ;;
esac
echo "ok   $ENGINE: $CHECKED ($((SECONDS - START)) s)"
