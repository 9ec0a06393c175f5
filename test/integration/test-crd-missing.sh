# A CRD that is not installed blocks nothing (issue 9, section 3). demo-controller --widgets
# keeps, for every ConfigMap labelled demo=1, a Secret copy and a Widget "<cm>-widget"
# (group demo.dbaas.dev, a CRD of this test only). Started without the Widget CRD it still
# copies the Secret, is ready and records a WidgetCRDMissing Event; once the CRD is
# installed the Widgets appear without a restart, and the log says "not installed" once,
# not once per retry.
. "$ROOT/test/integration/lib.sh"

CRD=widgets.demo.dbaas.dev
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    [ -n "${DEBUG:-}" ] && cat "$tmp/demo.log"
    k delete crd "$CRD" --ignore-not-found --wait=false >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
port=$(free_port)

secret_is() { [ "$(k -n "$NS" get secret "$1-copy" -o jsonpath='{.data.x}' 2>/dev/null | base64 -d)" = "$2" ]; }
widget_is() { [ "$(k -n "$NS" get "$CRD" "$1-widget" -o jsonpath='{.spec.data.x}' 2>/dev/null)" = "$2" ]; }
readyz_code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz"; }
missing_event() {
    [ -n "$(k -n "$NS" get events --field-selector "involvedObject.name=$1,reason=WidgetCRDMissing" \
        -o name 2>/dev/null)" ]
}
not_installed_lines() { grep -c 'resource not installed; waiting for its CRD' "$tmp/demo.log" || true; }

# A CRD left by an interrupted run would hide what this test is about.
k delete crd "$CRD" --ignore-not-found --wait=true >/dev/null

"$ROOT/bin/demo-controller" --widgets --namespace "$NS" --kubeconfig "$KUBECONFIG" \
    --metrics-addr "127.0.0.1:$port" >"$tmp/demo.log" 2>&1 &
pid=$!
wait_for 60 "the controller to be ready without the Widget CRD" curl -sf "http://127.0.0.1:$port/readyz"

k -n "$NS" create configmap a --from-literal=x=1 >/dev/null
k -n "$NS" label configmap a demo=1 >/dev/null
wait_for 30 "the Secret copy while the CRD is missing" secret_is a 1
expect_eq "$(readyz_code)" 200 "/readyz while the CRD is missing"
wait_for 30 "the WidgetCRDMissing Event" missing_event a
grep -q "$CRD" "$tmp/demo.log" || fail "the log does not name $CRD: $(tail -5 "$tmp/demo.log")"

# Retries go by (1 s doubling to 5 s): still one line, not one per retry.
sleep 8
expect_eq "$(not_installed_lines)" 1 "log lines saying the Widget CRD is not installed"
curl -sf "http://127.0.0.1:$port/metrics" |
    grep -q "^dbaas_informer_errors_total{resource=\"$CRD\",op=\"list\"} 1\$" ||
    fail "dbaas_informer_errors_total does not count the missing CRD once"

# The CRD appears: the Widget follows without a restart.
k apply --server-side -f "$ROOT/test/integration/testdata/widgets-crd.yaml" >/dev/null
k wait --for=condition=Established --timeout=60s "crd/$CRD" >/dev/null
wait_for 30 "the Widget after the CRD was installed" widget_is a 1
owner=$(k -n "$NS" get "$CRD" a-widget -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].controller}')
expect_eq "$owner" "ConfigMap/a/true" "the Widget's controller reference"
kill -0 "$pid" 2>/dev/null || fail "the controller exited: $(tail -5 "$tmp/demo.log")"

# The Widget informer watches now: a new ConfigMap gets its Widget too.
k -n "$NS" create configmap b --from-literal=x=2 >/dev/null
k -n "$NS" label configmap b demo=1 >/dev/null
wait_for 30 "the second Widget" widget_is b 2
expect_eq "$(not_installed_lines)" 1 "log lines saying the Widget CRD is not installed, at the end"
grep -q 'resource installed' "$tmp/demo.log" || fail "the log does not say the CRD appeared"

kill -TERM "$pid"
wait "$pid" || fail "the controller did not exit 0 after SIGTERM: $(tail -3 "$tmp/demo.log")"
pid=
