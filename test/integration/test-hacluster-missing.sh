# HACluster before the Zalando operator is installed: with no postgresqls.acid.zalan.do CRD
# the HACluster says Ready False and Stalled, reason ZalandoOperatorMissing, with how to
# install it;
# once Zalando (and its CRD) is installed, the same operator process, never restarted,
# creates the postgresql object and the HACluster becomes Ready.
# tools: zalando
. "$ROOT/test/integration/lib.sh"

with_operator
trap 'stop_zalando; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
export ZALANDO_STATE=${DBAAS_CLUSTER_DIR:-$tmp}/zalando-state
stop_zalando
stop_operator
k delete crd postgresqls.acid.zalan.do --ignore-not-found --wait=true >/dev/null
start_operator "$tmp/op.log"
pid=$OP_PID
H=early
printf 'apiVersion: dbaas.dev/v1alpha1\nkind: HACluster\nmetadata: {name: %s}\nspec: {version: "16", replicas: 2, database: app}\n' $H |
    k -n "$NS" apply -f - >/dev/null
wait_for 60 "ZalandoOperatorMissing" hac_is $H '{.status.conditions[?(@.type=="Ready")].reason}' ZalandoOperatorMissing
hac_cond $H Ready message | grep -q "install it" || fail "the message does not say how to install it"
# Stalled, as a missing VolumeSnapshot CRD is for a DBSnapshot: a person must act, and kstatus
# (Helm 4's --wait, Flux) must not take it for done.
wait_for 30 "Stalled True" hac_is $H '{.status.conditions[?(@.type=="Stalled")].status}' True
expect_eq "$(hac_cond $H Stalled reason)" ZalandoOperatorMissing "Stalled's reason"
t0=$SECONDS
start_zalando
wait_for 240 "Ready once Zalando is installed" hac_ready $H
echo "Ready ${SECONDS}s after start, $((SECONDS - t0))s after Zalando was installed"
expect_eq "$OP_PID" "$pid" "the operator's pid (never restarted)"
kill -0 "$pid" || fail "the operator is not running"
stop_operator
