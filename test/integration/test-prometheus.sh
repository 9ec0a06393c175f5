# Prometheus scrapes the operator (issue 14, section 5): a real Prometheus, built by
# hack/build-prometheus.sh at the pinned version, scrapes --metrics-addr every second; PromQL
# over its HTTP API sees the per-object gauges of a Ready DBInstance (info labels, ready,
# storage) and the build info; `promtool check metrics` passes on /metrics; a deleted
# DBInstance's series go; each query of the Grafana dashboard (deploy/monitoring) runs
# without error.
# tools: prometheus
. "$ROOT/test/integration/lib.sh"

t0=$SECONDS
with_operator
eval "$(bash "$ROOT/hack/build-prometheus.sh")"
PROM_PID=
trap '[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log" "$tmp/prom.log"; rm -rf "$tmp"' EXIT

# promtool's linter on the operator's own exposition (names, help, types, units).
curl -sf "http://127.0.0.1:$OP_PORT/metrics" >"$tmp/metrics.txt"
"$PROMETHEUS_BIN/promtool" check metrics <"$tmp/metrics.txt" >"$tmp/lint.txt" 2>&1 ||
    fail "promtool check metrics: $(cat "$tmp/lint.txt")"

prom_port=$(free_port)
cat >"$tmp/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: dbaas-operator
    static_configs:
      - targets: ["127.0.0.1:$OP_PORT"]
YAML
"$PROMETHEUS_BIN/prometheus" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom-data" \
    --web.listen-address="127.0.0.1:$prom_port" >"$tmp/prom.log" 2>&1 &
PROM_PID=$!
wait_for 60 "Prometheus to be ready" curl -sf "http://127.0.0.1:$prom_port/-/ready"

# query PROMQL: the API's JSON answer; fails on an error answer.
query() {
    curl -sfG "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" >"$tmp/q.json" ||
        fail "query $1: $(cat "$tmp/q.json" 2>/dev/null)"
    [ "$(jq -r .status "$tmp/q.json")" = success ] || fail "query $1: $(cat "$tmp/q.json")"
    cat "$tmp/q.json"
}
# value PROMQL: the single sample's value, or "none" when the answer is empty.
value() { query "$1" | jq -r 'if (.data.result | length) == 1 then .data.result[0].value[1] else "none" end'; }
value_is() { [ "$(value "$1")" = "$2" ]; }

k -n "$NS" apply -f "$ROOT/examples/postgresql.yaml" >/dev/null
wait_for 90 "orders to be Ready" dbi_ready orders
obj="kind=\"DBInstance\",namespace=\"$NS\",name=\"orders\""

wait_for 30 "Prometheus to see the operator up" value_is "up{job=\"dbaas-operator\"}" 1
wait_for 30 "dbaas_object_ready of orders to be 1" value_is "dbaas_object_ready{$obj}" 1
expect_eq "$(value 'count(dbaas_build_info == 1)')" 1 "series of dbaas_build_info"
expect_eq "$(value "dbaas_object_storage_requested_bytes{$obj}")" 1073741824 "storage requested (1Gi)"
# The claim's capacity (status.storageSize): what the volume holds, maybe more than asked.
size=$(dbi_field orders '{.status.storageSize}')
if [[ $size =~ ^([0-9]+)Gi$ ]]; then
    expect_eq "$(value "dbaas_object_storage_bytes{$obj}")" $((BASH_REMATCH[1] * 1073741824)) \
        "storage bytes (status.storageSize $size)"
elif [ -z "$size" ]; then
    expect_eq "$(value "dbaas_object_storage_bytes{$obj}")" none "storage bytes without status.storageSize"
else
    fail "status.storageSize $size: the test reads only whole Gi"
fi
labels=$(query "dbaas_object_info{$obj}" | jq -r '.data.result[] | .metric.engine + "/" + .metric.version + "=" + .value[1]')
expect_eq "$labels" "postgresql/$(dbi_field orders '{.status.currentVersion}')=1" "info labels"

# Each panel of the Grafana dashboard runs without error (empty answers are fine).
dash=$ROOT/deploy/monitoring/grafana-dashboard.json
if [ -f "$dash" ]; then
    n=0
    while IFS= read -r expr; do
        expr=${expr//\$namespace/.*}
        expr=${expr//\$__rate_interval/1m}
        query "$expr" >/dev/null
        n=$((n + 1))
    done < <(jq -r '.panels[].targets[]?.expr' "$dash")
    [ "$n" -ge 4 ] || fail "the dashboard has only $n queries"
fi

# Deleted: the operator drops the series, so Prometheus sees them go (stale).
k -n "$NS" delete dbinstance orders --wait=false >/dev/null
wait_for 60 "orders' series to go" value_is "count(dbaas_object_ready{$obj}) or vector(0)" 0
grep -q "name=\"orders\"" < <(curl -sf "http://127.0.0.1:$OP_PORT/metrics") &&
    fail "/metrics still has series of the deleted DBInstance"
echo "test-prometheus: $((SECONDS - t0)) s"
