# Faults between the operator and the API server (issue 16, section 2). The operator talks to
# the real kube-apiserver through test/tools/faultproxy.py (TLS end to end, still verified);
# kubectl goes straight to the server. For each fault: a batch of DBInstances is created,
# the fault strikes while they are being created, every one is then updated while it lasts,
# and the test asserts:
# - no lost update: every DBInstance ends Ready at its last spec (observedGeneration, and the
#   StatefulSet carries the new memory request), within 120 s of the fault's end (reported);
# - no repeated write: at most one StatefulSet update per changed DBInstance;
# - at most one relist per informer per fault (a cut watch resumes from its resourceVersion;
#   a resource has an informer per label selector and per object watched by name, and the
#   relist counter is per resource: it is divided by dbaas_informers of the resource);
# - the connection is re-established, and not one per request (the proxy counts them);
# - no hot loop: while the server is away retries back off per key and, together, stay
#   within the work queue's retry bucket (10 per second), and requests within those
#   reconciles' fan-out plus the informers' retries (reported).
# Faults: cut (every connection, now), cutafter (each connection after 64 KiB more of the
# server's bytes), stall (20 s of silence), refuse (cut, then no connection for 30 s), etcd
# (kill -9 etcd and start it again), apiserver (kill -9 kube-apiserver and start it again).
# FAULTS picks them (default: cut, the smoke in `make test`; `make faults` runs all of them
# with FAULT_INSTANCES=50).
. "$ROOT/test/integration/lib.sh"

faults=${FAULTS:-cut}
count=${FAULT_INSTANCES:-10}
tmp=$(mktemp -d)
OP_PID=
PROXY_PID=
trap '[ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
install_crds

# The proxy, in front of the server of $KUBECONFIG.
server=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
upstream=${server#https://}
proxy_port=$(free_port)
python3 "$ROOT/test/tools/faultproxy.py" "$proxy_port" "$upstream" "$tmp/proxy.sock" >"$tmp/proxy.log" 2>&1 &
PROXY_PID=$!
wait_for 10 "the proxy's control socket" test -S "$tmp/proxy.sock"
proxy() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((" ".join(sys.argv[2:])+"\n").encode()); print(s.makefile().readline().strip())' "$tmp/proxy.sock" "$@"; }
proxy_stat() { proxy stats | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
k config view --raw --minify | sed "s|$server|https://127.0.0.1:$proxy_port|" >"$tmp/proxy.kubeconfig"
grep -q "127.0.0.1:$proxy_port" "$tmp/proxy.kubeconfig" || fail "no proxy address in the operator's kubeconfig"

OP_PORT=$(free_port)
"$ROOT/bin/dbaas-operator" --kubeconfig "$tmp/proxy.kubeconfig" --namespace "$NS" --log-format text \
    --metrics-addr "127.0.0.1:$OP_PORT" >>"$tmp/op.log" 2>&1 &
OP_PID=$!
wait_for 60 "the operator to be ready through the proxy" curl -sf "http://127.0.0.1:$OP_PORT/readyz"

metric_sum() { # NAME [FILTER]: the sum of a metric family's samples (matching FILTER)
    curl -sf "http://127.0.0.1:$OP_PORT/metrics" | awk -v n="$1" -v f="${2:-}" \
        'index($0, n) == 1 && (f == "" || index($0, f)) {s += $NF} END {print s + 0}'
}
requests() { metric_sum dbaas_api_requests_total; }
relist_counts() { # "resource relists informers", one line per resource that has informers
    curl -sf "http://127.0.0.1:$OP_PORT/metrics" | awk '
        /^dbaas_informers\{/ { match($0, /resource="[^"]*"/); n[substr($0, RSTART, RLENGTH)] = $NF }
        /^dbaas_watch_relists_total\{/ { match($0, /resource="[^"]*"/); r[substr($0, RSTART, RLENGTH)] = $NF }
        END { for (k in n) print k, r[k] + 0, n[k] }'
}
# The most relists of one informer since the counts in FILE: a resource's new relists divided
# by its informers (the counter is per resource; each informer relists on its own).
relists_since() {
    relist_counts | awk 'NR == FNR { b[$1] = $2; next }
        { d = ($2 - b[$1]) / ($3 > 0 ? $3 : 1); if (d > m) m = d } END { printf "%g\n", m + 0 }' "$1" -
}
# all_at_last_spec PREFIX MEMORY: every DBInstance PREFIX-1..count Ready at its
# generation, its StatefulSet asking for MEMORY; two lists, not four kubectl calls per
# instance, so that the recovery time measures the operator and not this loop.
all_at_last_spec() {
    k -n "$NS" get dbinstances -o json >"$tmp/dbis.json" 2>/dev/null || return 1
    k -n "$NS" get statefulsets -o json >"$tmp/sts.json" 2>/dev/null || return 1
    python3 - "$tmp/dbis.json" "$tmp/sts.json" "$1" "$2" "$count" <<'PY'
import json, sys
dbis = {o["metadata"]["name"]: o for o in json.load(open(sys.argv[1]))["items"]}
sts = {o["metadata"]["name"]: o for o in json.load(open(sys.argv[2]))["items"]}
prefix, memory, count = sys.argv[3], sys.argv[4], int(sys.argv[5])
for i in range(1, count + 1):
    name = "%s-%d" % (prefix, i)
    o, s = dbis.get(name), sts.get(name)
    if not o or not s:
        sys.exit(1)
    st = o.get("status", {})
    ready = [c for c in st.get("conditions", []) if c.get("type") == "Ready" and c.get("status") == "True"]
    mem = s["spec"]["template"]["spec"]["containers"][0].get("resources", {}).get("requests", {}).get("memory")
    if st.get("observedGeneration") != o["metadata"]["generation"] or not ready or mem != memory:
        sys.exit(1)
PY
}

none_left() { [ -z "$(k -n "$NS" get dbinstances -o name)" ]; }
cluster() { bash "$ROOT/hack/cluster.sh" "$@"; }
report=()
round=0
for fault in $faults; do
    round=$((round + 1))
    p=f$round
    relist_counts >"$tmp/relists0"
    conns_created0=$(proxy_stat connections)
    for ((i = 1; i <= count; i++)); do
        printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata: {name: %s-%d}\nspec: {engine: postgresql, version: "16", database: shop, resources: {requests: {memory: 256Mi}}}\n---\n' "$p" "$i"
    done | k -n "$NS" apply -f - >/dev/null
    sleep 1
    # Connections are counted from the fault on; those the burst of creations before it
    # opened (over max_streams requests in flight: kube/client.c gate_open) are reported apart.
    conns0=$(proxy_stat connections)
    conns_created=$((conns0 - conns_created0))
    req0=$(requests)
    curl -sf "http://127.0.0.1:$OP_PORT/metrics" | grep '^dbaas_api_requests_total' >"$tmp/req0"
    t_fault=$SECONDS
    away=0
    case $fault in
    cut) proxy cut >/dev/null ;;
    cutafter) proxy cutafter 65536 >/dev/null ;;
    stall) proxy stall 20 >/dev/null ;;
    refuse) proxy refuse 30 >/dev/null && proxy cut >/dev/null && away=30 ;;
    etcd) cluster restart-etcd >/dev/null 2>&1 || fail "restarting etcd" ;;
    apiserver) cluster restart-apiserver >/dev/null 2>&1 || fail "restarting kube-apiserver" ;;
    *) fail "unknown fault $fault" ;;
    esac
    # Every instance updated while the fault lasts (kubectl reaches the server directly).
    for ((i = 1; i <= count; i++)); do
        k -n "$NS" patch dbinstance "$p-$i" --type=merge -p '{"spec":{"resources":{"requests":{"memory":"300Mi"}}}}' >/dev/null
    done
    case $fault in
    stall) sleep $((20 - (SECONDS - t_fault) > 0 ? 20 - (SECONDS - t_fault) : 0)) ;;
    refuse)
        # The first seconds retry fast (per-key backoff starts at milliseconds, as client-go's
        # does), within the work queue's overall retry bucket: 10 per second after a burst of
        # 100, client-go's default (wq.h). In the last 10 s of the 30 that bucket, not the
        # keys, sets the pace: at most 100 retries and a few timed requeues. A reconcile sends its children's reads and
        # writes at once (up to 7 for a DBInstance: the Secrets, Services, ConfigMap,
        # StatefulSet, claim), which fail together on one connection attempt
        # (kube/client.c); the informers retry on their own backoff (0.8 s to 30 s).
        sleep $((20 - (SECONDS - t_fault) > 0 ? 20 - (SECONDS - t_fault) : 0))
        req20=$(requests)
        rec20=$(metric_sum dbaas_reconciles_total)
        sleep $((30 - (SECONDS - t_fault) > 0 ? 30 - (SECONDS - t_fault) : 0))
        away_requests=$(($(requests) - req0))
        late=$(($(requests) - req20))
        late_reconciles=$(($(metric_sum dbaas_reconciles_total) - rec20))
        echo "reconciles in the last 10 s: $late_reconciles"
        curl -sf "http://127.0.0.1:$OP_PORT/metrics" | grep '^dbaas_api_requests_total' >"$tmp/req1"
        echo "requests while away, by verb and code:"
        join -a2 -e0 -o 0,1.2,2.2 <(sort "$tmp/req0") <(sort "$tmp/req1") | awk '{print "  " $1 " " $3 - $2}'
        [ "$late_reconciles" -le 110 ] ||
            fail "refuse: $late_reconciles reconciles in the last 10 s the server was away, for $count DBInstances (a hot loop: over the retry bucket's 10 per second)"
        [ "$late" -le $((7 * late_reconciles + 40)) ] ||
            fail "refuse: $late requests in the last 10 s the server was away, for $late_reconciles reconciles (more than a reconcile's fan-out)"
        report+=("refuse: $away_requests requests in the ${away} s the server was away; in the last 10 s $late_reconciles reconciles and $late requests")
        ;;
    esac
    t_end=$SECONDS
    wait_for 120 "$fault: every DBInstance at its last spec" all_at_last_spec "$p" 300Mi
    recovered=$((SECONDS - t_end))
    # One update of each StatefulSet (the new memory request), not one per reconcile while a
    # lagging cache still shows the old copy.
    sts_updates=$(grep -c "updated controller=dbinstance key=$NS/$p-[0-9]* kind=StatefulSet" "$tmp/op.log" || true)
    [ "$sts_updates" -le "$count" ] || fail "$fault: $sts_updates StatefulSet updates for $count changed DBInstances"
    relists=$(relists_since "$tmp/relists0")
    awk -v r="$relists" 'BEGIN { exit !(r <= 1) }' || {
        curl -sf "http://127.0.0.1:$OP_PORT/metrics" | grep -E '^dbaas_(watch_relists_total|informers)\{'
        fail "$fault: $relists relists of one informer for one fault"
    }
    conns=$(($(proxy_stat connections) - conns0))
    case $fault in
    cut | cutafter | refuse) [ "$conns" -ge 1 ] || fail "$fault: no new connection after the cut" ;;
    esac
    [ "$conns" -le 10 ] || fail "$fault: $conns new connections for one fault (one per request?)"
    report+=("$fault: $count DBInstances at their last spec ${recovered}s after the fault ended; relists $relists; new connections $conns (and $conns_created while creating them); requests $(($(requests) - req0))")
    echo "${report[-1]}" # now too, so that a later fault's failure does not hide it
    settle_writes op_writes
    k -n "$NS" delete dbinstances --all --wait=false >/dev/null
    wait_for 120 "$fault: the round's DBInstances to be deleted" none_left
done
kill -0 "$OP_PID" || fail "the operator died"
printf '%s\n' "${report[@]}"
