# Helm 4's --wait follows kstatus, as Flux does: a release holding one of our objects is done
# when the object is Current (observedGeneration caught up, Reconciling not True) and has
# failed when it is Stalled. With the operator running for the namespace, an application's
# chart (test/integration/helm/app) holding a DBInstance installs once the DBInstance is
# Ready (and an upgrade once the new generation is Ready), and so do one holding a DBSnapshot
# of it on CSI and one holding a HACluster (through the Zalando operator); a spec the operator refuses (for DBInstance, on install and on upgrade, and for
# DBSnapshot and HACluster) fails the install well before --timeout, with our message.
# tools: csi helm zalando
. "$ROOT/test/integration/lib.sh"
# The CSI stack, for a DBSnapshot that can be taken.
. "$ROOT/test/integration/snap-lib.sh"

t_start=$SECONDS
HELM=$(bash "$ROOT/hack/build-helm.sh" path 4)
app=$ROOT/test/integration/helm/app
with_operator
trap 'stop_zalando; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
export HELM_CACHE_HOME=$tmp/helm/cache HELM_CONFIG_HOME=$tmp/helm/config HELM_DATA_HOME=$tmp/helm/data
"$HELM" version
# The bound on a refusal: the operator refuses in about a second; half the timeout leaves
# room for a loaded machine and still tells a Stalled object from a wait that ran out.
timeout_s=150
bound=$((timeout_s / 2))

# install KIND NAME SPEC_JSON [helm args]: helm install --wait of the app chart.
install() {
    local kind=$1 name=$2 spec=$3
    shift 3
    "$HELM" install "$name" "$app" -n "$NS" --set kind="$kind" --set name="$name" \
        --set-json spec="$spec" --wait --timeout "${timeout_s}s" "$@"
}
stalled_message() { # stalled_message RESOURCE NAME
    k -n "$NS" get "$1" "$2" -o jsonpath='{.status.conditions[?(@.type=="Stalled")].message}'
}
# refused WHAT RESOURCE NAME CMD...: CMD (a helm install or upgrade) must fail before the
# bound, and say the object's Stalled message.
refused() {
    local what=$1 res=$2 name=$3 t0 out el msg
    shift 3
    t0=$SECONDS
    out=$("$@" 2>&1) && fail "$what: helm succeeded: $out"
    el=$((SECONDS - t0))
    msg=$(stalled_message "$res" "$name")
    [ -n "$msg" ] || fail "$what: no Stalled message on $res $name: $out"
    [ "$el" -lt "$bound" ] || fail "$what: helm failed only after $el s of --timeout ${timeout_s}s: $out"
    [[ $out == *"$msg"* ]] || fail "$what: helm's output does not carry the Stalled message \"$msg\": $out"
    echo "$what: helm failed after $el s (--timeout ${timeout_s}s), saying: $msg"
}

pg16='{"engine":"postgresql","version":"16","database":"app","storage":{"size":"1Gi"}}'

echo "== a DBInstance the operator can make: install --wait returns once it is Ready"
t0=$SECONDS
install DBInstance good "$pg16" >"$tmp/good.log" 2>&1 || { cat "$tmp/good.log"; fail "helm install good"; }
# Read at once, no waiting: Helm must not have returned before Ready.
ready=$(dbi_field good '{.status.conditions[?(@.type=="Ready")].status}')
expect_eq "$ready" True "good's Ready when helm install --wait returned ($((SECONDS - t0)) s)"
echo "good: helm install --wait returned after $((SECONDS - t0)) s with the DBInstance Ready"

echo "== an upgrade (a minor version): upgrade --wait returns once the new generation is Ready"
t0=$SECONDS
"$HELM" upgrade good "$app" -n "$NS" --reuse-values \
    --set-json spec='{"engine":"postgresql","version":"16.4","database":"app","storage":{"size":"1Gi"}}' \
    --wait --timeout "${timeout_s}s" >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; fail "helm upgrade good to 16.4"; }
expect_eq "$(dbi_field good '{.status.observedGeneration}/{.status.conditions[?(@.type=="Ready")].status}/{.status.currentVersion}')" \
    "$(dbi_field good '{.metadata.generation}')/True/16.4" "good's observedGeneration/Ready/currentVersion when helm upgrade returned"
echo "good: helm upgrade --wait returned after $((SECONDS - t0)) s with 16.4 Ready"

echo "== a DBSnapshot of a Ready DBInstance on CSI: install --wait returns once it is Ready"
install DBInstance vol '{"engine":"postgresql","version":"16","database":"app","storage":{"size":"1Gi","storageClassName":"csi-mock"}}' \
    >"$tmp/vol.log" 2>&1 || { cat "$tmp/vol.log"; fail "helm install vol"; }
t0=$SECONDS
install DBSnapshot snapgood '{"instanceName":"vol"}' >"$tmp/snap.log" 2>&1 || { cat "$tmp/snap.log"; fail "helm install snapgood"; }
snap_ready snapgood || fail "snapgood is not Ready when helm install --wait returned: $(snap_field snapgood '{.status}')"
echo "snapgood: helm install --wait returned after $((SECONDS - t0)) s with the DBSnapshot Ready"

echo "== a HACluster, through the Zalando operator: install --wait returns once it is Ready"
start_zalando
t0=$SECONDS
install HACluster ha '{"version":"16","replicas":1,"database":"app"}' >"$tmp/ha.log" 2>&1 ||
    { cat "$tmp/ha.log"; fail "helm install ha"; }
hac_ready ha || fail "ha is not Ready when helm install --wait returned: $(hac_field ha '{.status.conditions}')"
echo "ha: helm install --wait returned after $((SECONDS - t0)) s with the HACluster Ready"
stop_zalando

echo "== a spec the operator refuses (a version with no image)"
refused "DBInstance version 12" dbinstance old \
    install DBInstance old '{"engine":"postgresql","version":"12","database":"app"}'
dbi_reason old InvalidSpec || fail "old: Ready reason $(dbi_field old '{.status.conditions[?(@.type=="Ready")].reason}')"

echo "== an upgrade the operator refuses (a major version: 16.4 to 17)"
refused "DBInstance 16.4 -> 17" dbinstance good \
    "$HELM" upgrade good "$app" -n "$NS" --reuse-values \
    --set-json spec='{"engine":"postgresql","version":"17","database":"app","storage":{"size":"1Gi"}}' \
    --wait --timeout "${timeout_s}s"

echo "== a DBSnapshot of a DBInstance that does not exist"
refused "DBSnapshot of a missing instance" dbsnapshot snap \
    install DBSnapshot snap '{"instanceName":"nowhere"}'

echo "== a HACluster whose spec the operator refuses"
refused "HACluster on a system database" hacluster sysdb \
    install HACluster sysdb '{"version":"16","replicas":1,"database":"postgres"}'

echo "== the operator's own chart with Helm 4 (--wait on its Deployment)"
chart=$ROOT/deploy/helm/dbaas-operator
"$HELM" lint --strict "$chart" >"$tmp/lint.log" 2>&1 || { cat "$tmp/lint.log"; fail "helm 4 lint"; }
rel=dbo${NS##*-}
"$HELM" install "$rel" "$chart" -n "$NS" --set watchNamespace="$NS" --wait --timeout "${timeout_s}s" \
    >"$tmp/op-install.log" 2>&1 || { cat "$tmp/op-install.log"; fail "helm 4 install of the chart"; }
expect_eq "$(k -n "$NS" get deployment "$rel-dbaas-operator" -o jsonpath='{.status.readyReplicas}')" 1 \
    "ready operator pods after helm 4 install --wait"
"$HELM" uninstall "$rel" -n "$NS" --wait --timeout "${timeout_s}s" >/dev/null || fail "helm 4 uninstall"
k get crd dbinstances.dbaas.dev >/dev/null || fail "helm 4 uninstall removed the CRD"

stop_operator
echo "test-helm-kstatus took $((SECONDS - t_start)) s"
