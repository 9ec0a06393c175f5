# kubectl dbaas (issue 15) against the local control plane with the operator running:
# every subcommand's --help and usage errors (exit 2); `list` (table with ages normalised,
# -A, -A with -n, -o json and -o yaml parsed back, the context's namespace, --context,
# --kubeconfig, a colon-separated KUBECONFIG merged);
# kubectl's completion protocol; `credentials` masked unless --show-password, -o json parsed
# back; errors as one line with exit 1 (missing object, wrong namespace, RBAC-forbidden
# ServiceAccounts naming the verb and resource); `status` (children, colour only on a
# terminal, NO_COLOR); `snapshot`, `restore` of a missing snapshot (the rest of both:
# test-kubectl-dbaas-snapshot.sh); `version`; `connect --print`; and `connect` end to end:
# real PostgreSQL and MariaDB servers from Debian's packages (TLS on with the certificates
# the operator issued, the chain checked against the Secret's ca.crt and a server of another
# CA refused, passwords checked)
# behind a local forwarder standing in for kubectl port-forward ($KUBECTL_DBAAS_PORT_FORWARD),
# psql and mariadb logging in with the Secret's password, which must be in no argv
# (/proc/PID/cmdline) while connected, and the forward stopped when the client exits.
. "$ROOT/test/integration/lib.sh"
. "$ROOT/test/db/install.sh"

START=$SECONDS
P=$ROOT/bin/kubectl-dbaas
[ -x "$P" ] || fail "bin/kubectl-dbaas is not built (make)"
PG_PID=
MY_PID=
stop_pid() {
    [ -z "$1" ] && return 0
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
}
with_operator
trap 'pkill -f "$tmp/forward.py" || true; stop_pid "$PG_PID"; stop_pid "$MY_PID"; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT

one_line() { [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "error not one line: $err"; }
norm() { sed -E 's/[0-9]+[smhdy]([0-9]+[smhdy])?$/AGE/' | tr -s ' '; }

# --- help and usage -------------------------------------------------------------------------
expect_rc 0 "$P" --help
for sub in list credentials connect status snapshot restore version completion; do
    expect_rc 0 "$P" "$sub" --help
    [[ $out == "kubectl dbaas $sub"* ]] || fail "$sub --help does not start with its usage: $out"
done
expect_rc 2 "$P"
expect_rc 2 "$P" frobnicate
expect_rc 2 "$P" credentials
expect_rc 2 "$P" list --show-password
[[ $err == *"--show-password is not a flag of this command"* ]] || fail "usage error: $err"
expect_rc 2 "$P" list -o xml
expect_rc 2 "$P" restore s1
expect_rc 0 "$P" completion bash
bash -n <<<"$out" || fail "the bash completion script does not parse"

# --- list -----------------------------------------------------------------------------------
k -n "$NS" apply -f "$ROOT/examples/postgresql.yaml" >/dev/null
k -n "$NS" apply -f - >/dev/null <<'EOY'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: shop}
spec: {engine: mariadb, version: "11.4", database: shop, username: shop, storage: {size: 1Gi}}
EOY
wait_for 90 "orders to be Ready" dbi_ready orders
wait_for 90 "shop to be Ready" dbi_ready shop
endpoint=$(dbi_field orders '{.status.endpoint}')
version=$(dbi_field orders '{.status.currentVersion}')
expect_rc 0 "$P" -n "$NS" list
expect_eq "$(norm <<<"$out")" "KIND NAME ENGINE VERSION READY STATUS PRIMARY ENDPOINT AGE
DBInstance orders postgresql ${version:-16} True Ready orders-0 $endpoint AGE
DBInstance shop mariadb $(dbi_field shop '{.status.currentVersion}') True Ready shop-0 $(dbi_field shop '{.status.endpoint}') AGE" "list"
expect_rc 0 "$P" list -A
grep -Eq "^$NS +DBInstance +orders +postgresql " <<<"$out" || fail "list -A has no row for $NS/orders: $out"
[[ $out == "NAMESPACE "* ]] || fail "list -A has no NAMESPACE column: $out"
# -A wins over -n, as in kubectl (`kubectl get pods -A -n x` lists all namespaces).
expect_rc 0 "$P" list -A -n default
grep -Eq "^$NS +DBInstance +orders +postgresql " <<<"$out" || fail "list -A -n default has no row for $NS/orders: $out"
# Flags as kubectl (spf13/pflag) reads them: -n=NS and -o=FORMAT; bool flags take =VALUE in
# ParseBool's spellings (--all-namespaces=false is not all namespaces).
expect_rc 0 "$P" -n="$NS" list
grep -q "^DBInstance *orders " <<<"$out" || fail "-n=$NS is not namespace $NS: $out $err"
for b in true True TRUE t T 1; do
    expect_rc 0 "$P" list -n default --all-namespaces=$b
    grep -Eq "^$NS +DBInstance +orders " <<<"$out" || fail "--all-namespaces=$b does not list all: $out"
done
expect_rc 0 "$P" list -n default -A=true
grep -Eq "^$NS +DBInstance +orders " <<<"$out" || fail "-A=true does not list all: $out"
for b in false False FALSE f F 0; do
    expect_rc 0 "$P" list -n "$NS" --all-namespaces=$b
    grep -q "^DBInstance *orders " <<<"$out" || fail "--all-namespaces=$b lists all namespaces: $out"
done
expect_rc 0 "$P" list -n "$NS" -A=false
grep -q "^DBInstance *orders " <<<"$out" || fail "-A=false lists all namespaces: $out"
expect_rc 2 "$P" list --all-namespaces=maybe
[[ $err == *'invalid argument "maybe" for --all-namespaces'* ]] || fail "a bad bool: $err"
expect_rc 0 "$P" -n "$NS" list -o=json
python3 -c 'import json,sys; assert json.load(sys.stdin)["kind"] == "List"' <<<"$out" || fail "-o=json: $out"
expect_rc 0 "$P" -n "$NS" list -o json
python3 -c 'import json,sys; l=json.load(sys.stdin); i=l["items"]
assert l["kind"] == "List" and [(o["kind"], o["metadata"]["name"]) for o in i] == [("DBInstance", "orders"), ("DBInstance", "shop")], l' \
    <<<"$out" || fail "list -o json does not parse back to the two DBInstances"
expect_rc 0 "$P" -n "$NS" list -o yaml
python3 -c 'import yaml,sys; l=yaml.safe_load(sys.stdin); i=l["items"]
assert l["kind"] == "List" and i[0]["spec"]["version"] == "16" and i[0]["metadata"]["namespace"] == sys.argv[1], l' \
    "$NS" <<<"$out" || fail "list -o yaml does not parse back (version must stay the string \"16\")"
expect_rc 0 "$P" -n default list
[[ $err == "No resources found in default namespace." ]] || fail "an empty namespace: $err"
# kubectl's completion of plugins (kubectl_complete-dbaas runs `__complete`).
expect_rc 0 "$P" __complete -n "$NS" status ""
expect_eq "$out" $'orders\nshop\n:4' "completion of status's NAME"
expect_rc 0 "$P" __complete st
expect_eq "$out" $'status\n:4' "completion of a command"
# The context's namespace, --context and --kubeconfig as kubectl takes them.
cp "$KUBECONFIG" "$tmp/ns.kubeconfig"
ctx=$(k config current-context)
k --kubeconfig "$tmp/ns.kubeconfig" config set-context "$ctx" --namespace "$NS" >/dev/null
KUBECONFIG="$tmp/ns.kubeconfig" expect_rc 0 "$P" list
grep -q "^DBInstance *orders " <<<"$out" || fail "list does not use the context's namespace: $out"
KUBECONFIG=/nonexistent expect_rc 0 "$P" --kubeconfig "$tmp/ns.kubeconfig" --context "$ctx" list
grep -q "^DBInstance *orders " <<<"$out" || fail "--kubeconfig/--context not honoured: $out"
# A colon-separated KUBECONFIG is merged as kubectl merges it: the first file sets
# current-context to a context of its own (namespace $NS) on the second file's cluster and
# user; a missing file in the list is skipped; the second file's current-context loses.
kc_cluster=$(k config view --minify -o jsonpath='{.contexts[0].context.cluster}')
kc_user=$(k config view --minify -o jsonpath='{.contexts[0].context.user}')
cat >"$tmp/first.kubeconfig" <<EOY
apiVersion: v1
kind: Config
current-context: merged
contexts: [{name: merged, context: {cluster: "$kc_cluster", user: "$kc_user", namespace: "$NS"}}]
EOY
KUBECONFIG="$tmp/missing:$tmp/first.kubeconfig:$KUBECONFIG" expect_rc 0 "$P" list
grep -q "^DBInstance *orders " <<<"$out" || fail "a merged KUBECONFIG does not use the first file's context: $out"
KUBECONFIG="$tmp/first.kubeconfig:$KUBECONFIG" expect_rc 0 "$P" --context "$ctx" -n "$NS" list
grep -q "^DBInstance *orders " <<<"$out" || fail "a merged KUBECONFIG does not find the second file's context: $out"
expect_rc 1 "$P" --context no-such-context -n "$NS" list
one_line
[[ $err == *no-such-context* ]] || fail "an unknown context is not named: $err"

# --- credentials ----------------------------------------------------------------------------
password=$(secret_key orders-credentials password)
expect_rc 0 "$P" -n "$NS" credentials orders
[[ $out == *"password: ********"* && $out == *"username: app"* ]] || fail "credentials: $out"
[[ $out != *"$password"* ]] || fail "credentials shows the password without --show-password"
grep -q '^uri: postgresql://app:\*\*\*\*\*\*\*\*@' <<<"$out" || fail "the uri is not masked: $out"
expect_rc 0 "$P" -n "$NS" credentials orders --show-password -o json
python3 -c 'import json,sys; c=json.load(sys.stdin)
assert c["password"] == sys.argv[1] and c["database"] == "orders" and "superuser-password" not in c, c' \
    "$password" <<<"$out" || fail "credentials --show-password -o json"

# --- errors: missing, wrong namespace, forbidden ---------------------------------------------
expect_rc 1 "$P" -n "$NS" credentials nope
one_line
expect_eq "$err" "error: DBInstance or HACluster \"nope\" not found in namespace \"$NS\"" "missing object"
expect_rc 1 "$P" -n default status orders
expect_eq "$err" "error: DBInstance, HACluster or DBSnapshot \"orders\" not found in namespace \"default\"" "wrong namespace"
# One lookup for credentials, connect, status and snapshot: TYPE/NAME picks the kind (a miss
# said as a bare NAME's is), a kind the command does not take is refused before any request.
expect_rc 1 "$P" -n "$NS" credentials dbi/nope
expect_eq "$err" "error: DBInstance \"nope\" not found in namespace \"$NS\"" "missing typed object"
expect_rc 1 "$P" -n "$NS" status hacluster/orders
expect_eq "$err" "error: HACluster \"orders\" not found in namespace \"$NS\"" "status of a typed miss"
for sub in credentials connect; do
    expect_rc 2 "$P" -n "$NS" $sub dbsnapshot/orders
    expect_eq "$err" "error: $sub takes a DBInstance or HACluster, not a DBSnapshot (\"dbsnapshot/orders\")" "$sub of a snapshot"
done
expect_rc 2 "$P" -n "$NS" snapshot hac/orders
expect_eq "$err" "error: snapshot takes a DBInstance, not an HACluster (\"hac/orders\")" "snapshot of an HACluster"
for arg in dbi/orders dbinstances.dbaas.dev/orders DBInstance/orders; do
    expect_rc 0 "$P" -n "$NS" credentials $arg
    [[ $out == *"username: app"* && $out == *"database: orders"* ]] || fail "credentials $arg: $out"
done
expect_rc 0 "$P" -n "$NS" connect dbi/orders --print
[[ $out == *" service/orders "* ]] || fail "connect dbi/orders does not forward to service/orders: $out"
expect_rc 0 "$P" __complete -n "$NS" connect dbi/
expect_eq "$out" $'dbi/orders\ndbi/shop\n:4' "completion of connect's TYPE/NAME"
expect_rc 0 "$P" __complete -n="$NS" status dbinstance/s
expect_eq "$out" $'dbinstance/shop\n:4' "completion of status's TYPE/NAME"
expect_rc 0 "$P" __complete -n "$NS" credentials dbsnap/
expect_eq "$out" ':4' "completion of a kind credentials does not take"
# A Secret of the child's name that someone else made is not shown as the database's (the
# operator refuses it as ChildConflict; a new user's trial saw its password printed).
k -n "$NS" create secret generic foreign-credentials --from-literal=password=mine >/dev/null
k -n "$NS" apply -f - >/dev/null <<'YAML'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata: {name: foreign}
spec: {engine: postgresql, version: "16", database: shop}
YAML
wait_for 30 "foreign's ChildConflict" dbi_reason foreign ChildConflict
expect_rc 1 "$P" -n "$NS" credentials foreign --show-password
one_line
[[ $err == "error: Secret \"foreign-credentials\" in namespace \"$NS\" is not DBInstance \"foreign\"'s"* ]] ||
    fail "a foreign Secret: $err"
[[ $out != *mine* ]] || fail "the foreign Secret's password was printed: $out"
k -n "$NS" delete dbi foreign --wait=false >/dev/null
k -n "$NS" create serviceaccount nobody >/dev/null
k -n "$NS" create role dbi-reader --verb=get,list --resource=dbinstances.dbaas.dev >/dev/null
k -n "$NS" create serviceaccount reader >/dev/null
k -n "$NS" create rolebinding reader --role=dbi-reader --serviceaccount="$NS:reader" >/dev/null
server=$(k config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')
ca=$(k config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
sa_kubeconfig() {
    cat <<EOC
apiVersion: v1
kind: Config
current-context: t
clusters: [{name: c, cluster: {server: "$server", certificate-authority-data: "$ca"}}]
contexts: [{name: t, context: {cluster: c, user: u, namespace: $NS}}]
users: [{name: u, user: {token: "$(k -n "$NS" create token "$1")"}}]
EOC
}
sa_kubeconfig nobody >"$tmp/nobody.kubeconfig"
sa_kubeconfig reader >"$tmp/reader.kubeconfig"
expect_rc 1 "$P" --kubeconfig "$tmp/nobody.kubeconfig" list
one_line
[[ $err == "error: forbidden: cannot list dbinstances.dbaas.dev in namespace \"$NS\": "* &&
    $err == *"system:serviceaccount:$NS:nobody"* ]] || fail "forbidden list: $err"
expect_rc 1 "$P" --kubeconfig "$tmp/reader.kubeconfig" credentials orders
one_line
[[ $err == "error: forbidden: cannot get secrets \"orders-credentials\" in namespace \"$NS\": "* ]] ||
    fail "forbidden Secret: $err"

# --- status ---------------------------------------------------------------------------------
expect_rc 0 "$P" -n "$NS" status orders
for want in "DBInstance $NS/orders" "Ready         True" "StatefulSet  " "orders-0 " \
    "data-orders-0 " "orders-credentials   present"; do
    [[ $out == *"$want"* ]] || fail "status lacks '$want': $out"
done
[[ $out != *$'\033'* ]] || fail "status is coloured on a pipe"
script -qec "$P -n $NS status orders" /dev/null >"$tmp/tty" 2>&1 || fail "status on a terminal"
grep -q $'\033\[' "$tmp/tty" || fail "status on a terminal has no colour"
NO_COLOR=1 script -qec "$P -n $NS status orders" /dev/null >"$tmp/tty" 2>&1 || fail "status, NO_COLOR"
! grep -q $'\033\[' "$tmp/tty" || fail "status is coloured despite NO_COLOR"

# --- snapshot, restore, version ----------------------------------------------------------------
expect_rc 0 "$P" -n "$NS" snapshot orders --name orders-s1
expect_eq "$out" "dbsnapshot.dbaas.dev/orders-s1 created" "snapshot"
expect_eq "$(k -n "$NS" get dbsnapshot orders-s1 -o jsonpath='{.spec.instanceName}')" orders "the snapshot's instance"
expect_rc 1 "$P" -n "$NS" snapshot orders --name orders-s1
[[ $err == *"already exists"* ]] || fail "a second snapshot of the same name: $err"
expect_rc 1 "$P" -n "$NS" snapshot nope
expect_eq "$err" "error: DBInstance \"nope\" not found in namespace \"$NS\"" "snapshot of nothing"
expect_rc 1 "$P" -n "$NS" restore nope --to orders2
expect_eq "$err" "error: DBSnapshot \"nope\" not found in namespace \"$NS\"" "restore from nothing"
expect_rc 0 "$P" version
[[ $out == "plugin: kubectl-dbaas "*"operator: "* ]] || fail "version: $out"

# --- connect --------------------------------------------------------------------------------
expect_rc 0 "$P" -n "$NS" connect orders --print
[[ $out == *"port-forward --namespace=$NS service/orders "*":5432 >/dev/null &"* &&
    $out == *"export PGPASSWORD='********'"* && $out == *$'\npsql\n'* ]] || fail "connect --print: $out"
[[ $out != *"$password"* ]] || fail "connect --print shows the password"
expect_rc 2 "$P" -n "$NS" connect orders --show-password
expect_rc 1 "$P" -n "$NS" connect orders --read-only
[[ $err == *"no read-only endpoint"* ]] || fail "--read-only on a DBInstance: $err"

# A real PostgreSQL with TLS (the instance has TLS on, so the client asks for it) standing in
# for the pod, the role and database as the Secret says.
install_missing postgresql
bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi; }
mkdir -p "$tmp/pg"
chmod 755 "$tmp" "$tmp/pg"
# The server certificate the operator issued for the pod (orders-tls), so that the client,
# given the CA of orders-credentials, can check its chain.
wait_for 60 "orders-tls" k -n "$NS" get secret orders-tls
secret_key orders-tls 'tls\.crt' >"$tmp/pg/cert.pem"
secret_key orders-tls 'tls\.key' >"$tmp/pg/key.pem"
secret_key orders-credentials 'ca\.crt' >"$tmp/orders-ca.pem"
[ -s "$tmp/orders-ca.pem" ] || fail "orders-credentials has no ca.crt"
chmod 600 "$tmp/pg/key.pem"
[ "$(id -u)" -ne 0 ] || chown -R postgres: "$tmp/pg"
pgport=$(free_port)
as_pg "$bin/initdb" -D "$tmp/pg/data" -U postgres --no-locale --auth-local=trust \
    --auth-host=scram-sha-256 >"$tmp/initdb.log" 2>&1 || fail "initdb: $(tail -n 3 "$tmp/initdb.log")"
as_pg "$bin/postgres" -D "$tmp/pg/data" -c listen_addresses=127.0.0.1 -p "$pgport" \
    -c unix_socket_directories="$tmp/pg" -c ssl=on -c ssl_cert_file="$tmp/pg/cert.pem" \
    -c ssl_key_file="$tmp/pg/key.pem" >"$tmp/pg.log" 2>&1 &
PG_PID=$!
wait_for 30 "postgres to start" "$bin/pg_isready" -q -h 127.0.0.1 -p "$pgport"
as_pg psql -X -q -h "$tmp/pg" -p "$pgport" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -v pw="$password" >/dev/null <<'SQL' || fail "creating the role and database"
CREATE ROLE app LOGIN PASSWORD :'pw';
CREATE DATABASE orders OWNER app;
SQL

# The forward: a TCP relay from the plugin's local port to the server.
cat >"$tmp/forward.py" <<'PY'
import asyncio, os, sys
async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    finally:
        w.close()
async def handle(r, w):
    ur, uw = await asyncio.open_connection("127.0.0.1", int(sys.argv[1]))
    await asyncio.gather(pipe(r, uw), pipe(ur, w), return_exceptions=True)
async def main():
    s = await asyncio.start_server(handle, "127.0.0.1", int(os.environ["DBAAS_LOCAL_PORT"]))
    async with s:
        await s.serve_forever()
asyncio.run(main())
PY
# connect_check NAME CLIENT VAR PASSWORD PORT SESSIONS_FN: `connect NAME` with $tmp/NAME.sql on
# stdin and the forward to 127.0.0.1:PORT; once SESSIONS_FN says the client is logged in, no
# argv of the plugin, the forward or the client holds PASSWORD, the client has it in VAR and
# the plugin's own environment does not; the forward is gone after the client exits.
connect_check() {
    local name=$1 comm=$2 var=$3 pw=$4 port=$5 sessions=$6 plugin_pid client="" forward pid ca
    KUBECTL_DBAAS_PORT_FORWARD="exec python3 $tmp/forward.py $port" \
        "$P" -n "$NS" connect "$name" <"$tmp/$name.sql" >"$tmp/$name.out" 2>&1 &
    plugin_pid=$!
    for _ in $(seq 150); do
        client=$(pgrep -P "$plugin_pid" -x "$comm" || true)
        [ -n "$client" ] && [ "$("$sessions")" = 1 ] && break
        client=
        sleep 0.1
    done
    [ -n "$client" ] || fail "$comm did not log in under the plugin: $(cat "$tmp/$name.out")"
    forward=$(pgrep -P "$plugin_pid" -f forward.py || true)
    [ -n "$forward" ] || fail "no forward process under the plugin"
    for pid in "$client" "$plugin_pid" "$forward"; do
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$pw" &&
            fail "the password is in the argv of $(tr '\0' ' ' <"/proc/$pid/cmdline")"
    done
    tr '\0' '\n' <"/proc/$client/environ" | grep -qxF -- "$var=$pw" ||
        fail "$comm does not have $var in its environment"
    # The CA to check the server against: the Secret's ca.crt in a private file.
    ca=$( (tr '\0' '\n' <"/proc/$client/environ" | sed -n 's/^PGSSLROOTCERT=//p'
        tr '\0' '\n' <"/proc/$client/cmdline" | sed -n 's/^--ssl-ca=//p') | head -n 1)
    [ -n "$ca" ] || fail "$comm was given no CA: $(tr '\0' ' ' <"/proc/$client/cmdline")"
    expect_eq "$(stat -c %a "$ca")" 600 "the CA file's mode"
    cmp -s "$ca" <(secret_key "$name-credentials" 'ca\.crt') || fail "$ca is not the Secret's ca.crt"
    tr '\0' '\n' <"/proc/$plugin_pid/environ" | grep -q "^$var=" &&
        fail "the plugin's own environment holds $var"
    wait "$plugin_pid" || fail "connect $name exited $?: $(cat "$tmp/$name.out")"
    ! kill -0 "$forward" 2>/dev/null || fail "the forward still runs after $comm exited"
    [ ! -e "$ca" ] || fail "the CA file $ca is left after connect"
}
app_sessions() {
    as_pg psql -X -Atq -h "$tmp/pg" -p "$pgport" -U postgres -d postgres \
        -c "select count(*) from pg_stat_activity where usename = 'app'"
}
printf '%s\n' "select current_user, current_database(), ssl from pg_stat_ssl where pid = pg_backend_pid();" \
    "select pg_sleep(3);" >"$tmp/orders.sql"
connect_check orders psql PGPASSWORD "$password" "$pgport" app_sessions
grep -Eq '^ *app +\| orders +\| t$' "$tmp/orders.out" ||
    fail "psql did not log in as app to orders over TLS: $(cat "$tmp/orders.out")"
# connect --print is as strict as connect: its script writes the Secret's ca.crt and the
# client checks the chain against it. Run with the forward swapped for the relay, it logs in.
expect_rc 0 "$P" -n "$NS" connect orders --print --show-password
[[ $out == *$'export PGSSLMODE=verify-ca\nexport PGSSLROOTCERT="$ca"\n'* && $out == *$'\nrm -f "$ca"' ]] ||
    fail "connect --print does not check the chain as connect does: ${out//"$password"/PASSWORD}"
cmp -s <(sed -n "/<<'DBAAS_CA_EOF'\$/,/^DBAAS_CA_EOF\$/p" <<<"$out" | sed '1d;$d') "$tmp/orders-ca.pem" ||
    fail "connect --print does not write the Secret's ca.crt: ${out//"$password"/PASSWORD}"
sed -E "s|^kubectl port-forward .* ([0-9]+):5432 >/dev/null &\$|DBAAS_LOCAL_PORT=\\1 python3 $tmp/forward.py $pgport \\&|" \
    <<<"$out" >"$tmp/print.sh"
grep -q forward.py "$tmp/print.sh" || fail "no forward line in: ${out//"$password"/PASSWORD}"
printf '%s\n' "select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid();" |
    bash "$tmp/print.sh" >"$tmp/print.out" 2>&1 || fail "the connect --print script: $(cat "$tmp/print.out")"
grep -Eq '^ *app +\| t$' "$tmp/print.out" || fail "the --print script did not log in over TLS: $(cat "$tmp/print.out")"
# SIGTERM to the plugin while connected (its terminal closed): neither psql nor the forward
# outlives it.
printf '%s\n' "select pg_sleep(60);" >"$tmp/orders.sql"
KUBECTL_DBAAS_PORT_FORWARD="exec python3 $tmp/forward.py $pgport" \
    "$P" -n "$NS" connect orders <"$tmp/orders.sql" >"$tmp/orders.out" 2>&1 &
plugin_pid=$!
one_app_session() { [ "$(app_sessions)" = 1 ]; }
wait_for 20 "psql to log in" one_app_session
client=$(pgrep -P "$plugin_pid" -x psql) || fail "no psql under the plugin"
forward=$(pgrep -P "$plugin_pid" -f forward.py) || fail "no forward under the plugin"
kill -TERM "$plugin_pid"
wait "$plugin_pid" && fail "connect exited 0 after SIGTERM"
# Gone or a zombie (orphans are reaped by whoever pid 1 is).
stopped() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || true; [ -z "$st" ] || [ "$st" = Z ]; }
gone() { stopped "$client" && stopped "$forward"; }
wait_for 10 "psql and the forward to stop with the plugin" gone
# A server whose certificate the CA did not sign is refused (verify-ca checks the chain).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=orders \
    -keyout "$tmp/pg/key.pem" -out "$tmp/pg/cert.pem" >/dev/null 2>&1 || fail "openssl req"
as_pg psql -X -q -h "$tmp/pg" -p "$pgport" -U postgres -d postgres -c 'select pg_reload_conf()' >/dev/null ||
    fail "reloading postgres"
sleep 1
printf '%s\n' "select 1;" >"$tmp/orders.sql"
KUBECTL_DBAAS_PORT_FORWARD="exec python3 $tmp/forward.py $pgport" \
    "$P" -n "$NS" connect orders <"$tmp/orders.sql" >"$tmp/orders.out" 2>&1 &&
    fail "psql took a server certificate the Secret's CA did not sign: $(cat "$tmp/orders.out")"
grep -q "certificate verify failed" "$tmp/orders.out" ||
    fail "connect to a server of another CA did not fail on the certificate: $(cat "$tmp/orders.out")"
# A wrong password is refused, so the login above proves the Secret's password was used.
if PGPASSWORD=wrong PGSSLMODE=require psql -X -h 127.0.0.1 -p "$pgport" -U app -d orders -c 'select 1' >/dev/null 2>&1; then
    fail "a wrong password was accepted: the check proves nothing"
fi

# The same with MariaDB (TLS on: the client is given --ssl) for the DBInstance shop.
install_missing mariadb-server mariadb-client
shop_pw=$(secret_key shop-credentials password)
as_mysql() { if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=mysql --regid=mysql --init-groups -- "$@"; else "$@"; fi; }
mkdir -p "$tmp/my"
wait_for 60 "shop-tls" k -n "$NS" get secret shop-tls
secret_key shop-tls 'tls\.crt' >"$tmp/my/cert.pem"
secret_key shop-tls 'tls\.key' >"$tmp/my/key.pem"
[ "$(id -u)" -ne 0 ] || chown -R mysql: "$tmp/my"
myport=$(free_port)
as_mysql mariadb-install-db --no-defaults --datadir="$tmp/my/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$tmp/my-install.log" 2>&1 || fail "mariadb-install-db: $(tail -n 3 "$tmp/my-install.log")"
as_mysql mariadbd --no-defaults --datadir="$tmp/my/data" --socket="$tmp/my/sock" --port="$myport" \
    --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$tmp/my/pid" \
    --ssl-cert="$tmp/my/cert.pem" --ssl-key="$tmp/my/key.pem" >"$tmp/my.log" 2>&1 &
MY_PID=$!
wait_for 60 "mariadbd to start" mariadb-admin --no-defaults -S "$tmp/my/sock" -uroot ping
esc_pw=${shop_pw//\\/\\\\}
esc_pw=${esc_pw//\'/\\\'}
mariadb --no-defaults -S "$tmp/my/sock" -uroot <<SQL || fail "creating the MariaDB user and database"
CREATE USER 'shop'@'%' IDENTIFIED BY '$esc_pw';
CREATE DATABASE shop;
GRANT ALL ON shop.* TO 'shop'@'%';
SQL
shop_sessions() {
    mariadb --no-defaults -S "$tmp/my/sock" -uroot -N -B \
        -e "select count(*) from information_schema.processlist where user = 'shop'"
}
printf '%s\n' "select current_user(), database(), variable_value <> '' from information_schema.session_status where variable_name = 'Ssl_cipher';" \
    "select sleep(3);" >"$tmp/shop.sql"
connect_check shop mariadb MYSQL_PWD "$shop_pw" "$myport" shop_sessions
grep -q "^shop@%	shop	1$" "$tmp/shop.out" ||
    fail "mariadb did not log in as shop to shop over TLS: $(cat "$tmp/shop.out")"
# A server certificate the Secret's CA did not sign is refused by mariadb too (FLUSH SSL
# reloads the server's certificate).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=shop \
    -keyout "$tmp/my/key.pem" -out "$tmp/my/cert.pem" >/dev/null 2>&1 || fail "openssl req"
mariadb --no-defaults -S "$tmp/my/sock" -uroot -e 'FLUSH SSL' || fail "FLUSH SSL"
printf '%s\n' "select 1;" >"$tmp/shop.sql"
KUBECTL_DBAAS_PORT_FORWARD="exec python3 $tmp/forward.py $myport" \
    "$P" -n "$NS" connect shop <"$tmp/shop.sql" >"$tmp/shop.out" 2>&1 &&
    fail "mariadb took a server certificate the Secret's CA did not sign: $(cat "$tmp/shop.out")"
grep -qi "certificate" "$tmp/shop.out" ||
    fail "connect to a server of another CA did not fail on the certificate: $(cat "$tmp/shop.out")"
echo "kubectl-dbaas: all checks passed in $((SECONDS - START)) s"
