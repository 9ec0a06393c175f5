# GitOps with a real Argo CD (issue 17): Argo CD's application controller and repo server
# (hack/argocd.sh, built by hack/build-argocd.sh, which this test runs: it waits for a build
# already under way), our health checks in argocd-cm as deploy/argocd-cm-health.yaml installs
# them, and a Git repository served by git daemon that the test commits to.
#
# Always (make test): an Application with automated sync, pointing at a folder holding one
# DBInstance, syncs; the Application becomes Synced and Healthy through Progressing, judged by
# our Lua (the DBInstance's resource health carries Ready's message); the operator's status
# writes never make it OutOfSync (no "Updated sync status: Synced -> OutOfSync" event) while
# the instance comes up and over a quiet window after, and Argo CD never saw it Degraded (every
# resource health it persists is recorded by a watch). Time from the push to Healthy is printed.
#
# GITOPS=all (make gitops, on a cluster with the CSI stack) adds the scenarios:
# - change: a spec change pushed -> OutOfSync -> synced -> Progressing -> Healthy, and the
#   DBInstance carries the new value;
# - bad:    a spec the CRD accepts but the operator refuses -> Degraded, with the operator's
#           message in the Application's resource health;
# - prune:  the DBInstance (deletionPolicy Retain) removed from Git with auto-prune -> deleted
#           by Argo CD, its volume kept (the PV Retain, still there);
# - waves:  a DBSnapshot in sync wave 1 after its DBInstance in wave 0: the snapshot is
#           created only once the instance is Healthy, then becomes Healthy itself;
# - stopped: spec.stopped pushed -> Suspended with Ready's message; started again -> Healthy;
# - ssa:    server-side apply and server-side diff (as many install Argo CD): a change syncs
#           with Argo CD's field manager, and the operator's writes never make it OutOfSync;
# - hacluster: a HACluster (with the Zalando postgres-operator) syncs, Healthy with Ready's
#           message, and stays Synced/Healthy while both operators write.
# Through all of them, no resource but bad was ever Degraded in Argo CD's eyes.
# tools: csi argocd zalando
. "$ROOT/test/integration/lib.sh"

t_start=$SECONDS
with_operator
eval "$(bash "$ROOT/hack/build-argocd.sh")"
echo "Argo CD ready to run at $((SECONDS - t_start))s"
bash "$ROOT/hack/argocd.sh" start
eval "$(bash "$ROOT/hack/argocd.sh" env)"
APP=$NS
# On a failure: the Application's status and the end of the controller's log.
diagnose() {
    echo "--- Application $APP:"
    k -n "$ARGOCD_NS" get application "$APP" -o jsonpath='{.status.sync}{"\n"}{.status.health}{"\n"}{.status.conditions}{"\n"}{.status.operationState.message}{"\n"}{.status.resources}{"\n"}' 2>&1
    echo "--- events: $(app_events | tr '\n' ';')"
    echo "--- last errors of the application controller:"
    grep -v '"level":"info"' "${DBAAS_CLUSTER_DIR:-$HOME/.cache/dbaas-operator/cluster}/argocd/argocd-application-controller.log" 2>/dev/null | tail -n 5 | cut -c1-600
}
watch_pids=()
trap 'rc=$?; [ $rc -eq 0 ] || diagnose; [ ${#watch_pids[@]} -eq 0 ] || kill "${watch_pids[@]}" 2>/dev/null; stop_zalando; k -n "$ARGOCD_NS" delete application "$APP" --wait=false >/dev/null 2>&1; bash "$ROOT/hack/argocd.sh" stop; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT

# The test's folder in the shared repository is named after its namespace.
git clone -q "$ARGOCD_REPO_DIR" "$tmp/work" 2>/dev/null
git -C "$tmp/work" checkout -q -B main
git -C "$tmp/work" config user.email test@dbaas.dev
git -C "$tmp/work" config user.name test-gitops
mkdir -p "$tmp/work/$NS"
# commit MESSAGE: commits the folder as it is and pushes it.
commit() {
    git -C "$tmp/work" add -A "$NS"
    git -C "$tmp/work" commit -q -m "$1"
    # Another test's folder may have been pushed meanwhile: rebase onto it.
    git -C "$tmp/work" pull -q --rebase origin main 2>/dev/null || true
    git -C "$tmp/work" push -q origin main
}
# dbi NAME [EXTRA_SPEC_LINES]: a DBInstance manifest (no namespace: the Application's
# destination gives it).
dbi() {
    printf 'apiVersion: dbaas.dev/v1alpha1\nkind: DBInstance\nmetadata:\n  name: %s\n%sspec:\n  engine: postgresql\n  version: "16"\n  database: app\n  storage: {size: 1Gi%s}\n%s' \
        "$1" "${ANNOTATIONS:-}" "${STORAGE_CLASS:+, storageClassName: $STORAGE_CLASS}" "${2:-}"
}

app_field() { k -n "$ARGOCD_NS" get application "$APP" -o jsonpath="$1" 2>/dev/null; }
app_sync() { app_field '{.status.sync.status}'; }
app_health() { app_field '{.status.health.status}'; }
app_is() { [ "$(app_sync)/$(app_health)" = "$1" ]; }
app_revision_is() { [ "$(app_field '{.status.sync.revision}')" = "$1" ]; }
# res_health KIND NAME FIELD: status or message of a resource's health in the Application.
res_health() { app_field "{.status.resources[?(@.name==\"$2\")].health.$3}" | head -n1; }
res_health_is() { [ "$(res_health "$1" "$2" status)" = "$3" ]; }
# The Application's "Updated ... status" events, oldest first, one a line (with counts).
app_events() {
    k -n "$ARGOCD_NS" get events --field-selector "involvedObject.name=$APP,involvedObject.kind=Application" \
        -o jsonpath='{range .items[*]}{.message}{" x"}{.count}{"\n"}{end}' 2>/dev/null
}
# refresh: asks Argo CD to compare the Application with Git now (not at its next poll).
refresh() { k -n "$ARGOCD_NS" annotate application "$APP" argocd.argoproj.io/refresh=normal --overwrite >/dev/null; }
# event_seen PATTERN: an event of the Application matches the grep PATTERN (events are posted
# asynchronously: wait for them with wait_for).
event_seen() { grep -q -- "$1" <<<"$(app_events)"; }
no_outofsync_after_synced() {
    if event_seen 'Updated sync status: Synced -> OutOfSync'; then
        fail "the Application went Synced -> OutOfSync without a commit: $(app_events | tr '\n' ';')"
    fi
}
# watch_states SECONDS: records each sync/health pair seen every 0.2 s for SECONDS.
watch_states() {
    local end=$((SECONDS + $1)) s last=
    while [ $SECONDS -lt $end ]; do
        s="$(app_sync)/$(app_health)"
        [ "$s" = "$last" ] || { echo "$s" >>"$tmp/states"; last=$s; }
        sleep 0.2
    done
}
head_rev() { git -C "$tmp/work" rev-parse HEAD; }
# pushed: the time of a push, for took. took WHAT: the seconds since, kept for the summary.
pushed() { t_commit=$SECONDS; }
times=()
took() { times+=("$1 $((SECONDS - t_commit))s"); }
# watch_into FILE ARGS...: `kubectl get ARGS -w` appended to FILE in the background, watched
# again whenever the API server ends the watch (a CRD just created or updated ends the watches
# of its kind), until killed.
watch_into() {
    local file=$1
    shift
    (
        trap 'kill "$w" 2>/dev/null; exit 0' TERM
        while :; do
            k "$@" -w >>"$file" 2>/dev/null &
            w=$!
            wait "$w" || true
            sleep 0.2
        done
    ) &
    watch_pids+=($!)
}
# record: every health Argo CD gives each resource (status.resources, persisted at each change
# with --persist-resource-health) and every condition our objects carry, as kubectl watches
# see them, into $tmp/app.json and $tmp/objs.json (a JSON object an update), until the test
# ends. (A jsonpath template ends a watch at the first object that lacks a field it names.)
record() {
    watch_into "$tmp/app.json" -n "$ARGOCD_NS" get application "$APP" -o json
    local kind
    for kind in dbinstance dbsnapshot hacluster; do
        watch_into "$tmp/objs.json" -n "$NS" get "$kind" -o json
    done
}
# never_degraded [EXCEPT]: no resource but EXCEPT (KIND/NAME) was ever Degraded in Argo CD's
# eyes, by the recorded resource health or by the Application's events ("Updated health
# status: Progressing -> Degraded (Caused by dbaas.dev/DBInstance:NS/NAME)"); else fails, with
# the True conditions our objects carried.
never_degraded() {
    local seen
    jq -r '.status.resources[]? | .kind + "/" + .name + "=" + (.health.status // "")' "$tmp/app.json" \
        >"$tmp/health" 2>/dev/null || true
    grep -q 'DBInstance/orders=' "$tmp/health" || fail "no resource health of Argo CD was recorded"
    seen=$({
        grep -x '[A-Za-z]*/[a-z0-9.-]*=Degraded' "$tmp/health"
        app_events | grep -e '-> Degraded (Caused by ' | grep -o '[A-Za-z]*:[a-z0-9-]*/[a-z0-9.-]*' |
            sed 's|^\([A-Za-z]*\):[^/]*/\(.*\)$|\1/\2=Degraded|'
    } | sort -u | grep -vx "${1:-none}=Degraded" || true)
    [ -z "$seen" ] || fail "Argo CD saw $(tr '\n' ' ' <<<"$seen")(a healthy object Degraded); our objects' True conditions: $(
        jq -r 'select(.status.conditions) | .kind + "/" + .metadata.name + " gen " + (.metadata.generation | tostring) + "/" + (.status.observedGeneration // 0 | tostring) + ": " + ([.status.conditions[] | select(.status == "True") | .type + "/" + .reason + ": " + .message] | join("; "))' "$tmp/objs.json" 2>/dev/null |
            awk '!seen[$0]++' | grep -E 'Degraded/|Stalled/' | head -n 20)"
}

# --- the short check: sync, Progressing, Healthy, never OutOfSync by status writes --------
dbi orders >"$tmp/work/$NS/orders.yaml"
commit "orders"
rev=$(head_rev)
pushed
k apply -f - >/dev/null <<YAML
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: $APP, namespace: $ARGOCD_NS}
spec:
  project: default
  source: {repoURL: "$ARGOCD_REPO_URL", targetRevision: main, path: $NS}
  destination: {server: "$ARGOCD_DEST_SERVER", namespace: $NS}
  syncPolicy: {automated: {prune: true}}
YAML
record
: >"$tmp/states"
wait_for 120 "the Application to be Synced and Healthy at $rev" app_is Synced/Healthy
t_healthy=$((SECONDS - t_commit))
took "sync (Healthy)"
app_revision_is "$rev" || fail "synced revision $(app_field '{.status.sync.revision}'), pushed $rev"
dbi_ready orders || fail "the Application is Healthy but orders is not Ready"
# Through Progressing: our Lua said so while the operator brought the instance up (a CRD
# without a health check would have been Healthy at once, with no message).
event_seen 'Updated health status: .*-> Progressing' || sleep 10
event_seen 'Updated health status: .*-> Progressing' ||
    fail "the Application was never Progressing: $(app_events | tr '\n' ';')"
expect_eq "$(res_health DBInstance orders message)" \
    "$(dbi_field orders '{.status.conditions[?(@.type=="Ready")].message}')" \
    "resource health message of orders (our Lua: Ready's message)"
echo "Synced and Healthy ${t_healthy}s after the push (events: $(app_events | tr '\n' ';'))"
# The operator's status writes (and the CRD's defaults) never make it OutOfSync.
watch_states 15
no_outofsync_after_synced
grep -qv '^Synced/Healthy$' "$tmp/states" && fail "the Application left Synced/Healthy: $(tr '\n' ' ' <"$tmp/states")"
# Coming up (its claim bound meanwhile), orders was never Degraded.
never_degraded

if [ "${GITOPS:-}" != all ]; then
    echo "push to Healthy: ${times[*]}"
    echo "gitops short check: $((SECONDS - t_start))s in all"
    exit 0
fi

# --- change: OutOfSync -> synced -> Progressing -> Healthy --------------------------------
dbi orders "  resources: {requests: {cpu: 200m}}"$'\n' >"$tmp/work/$NS/orders.yaml"
gen=$(dbi_field orders '{.metadata.generation}')
commit "orders: cpu 200m"
rev=$(head_rev)
pushed
# Argo CD polls Git every --app-resync (10 s); a refresh annotation asks at once, as a webhook would.
refresh
synced_at() { app_revision_is "$1" && app_is Synced/Healthy; }
wait_for 120 "the Application to sync $rev and be Healthy" synced_at "$rev"
took "change (Healthy)"
echo "change: Synced and Healthy $((SECONDS - t_commit))s after the push"
[ "$(dbi_field orders '{.metadata.generation}')" -gt "$gen" ] || fail "the spec change did not reach orders"
expect_eq "$(dbi_field orders '{.spec.resources.requests.cpu}')" 200m "orders' cpu request"
wait_for 30 "the change to be seen OutOfSync (an event)" event_seen 'Updated sync status: Synced -> OutOfSync'
progressing_twice() { [ "$(grep -c 'Updated health status: .*-> Progressing' <<<"$(app_events)")" -ge 2 ]; }
wait_for 30 "the change to be Progressing (a second event)" progressing_twice

# --- stopped: spec.stopped -> Suspended, with Ready's message; started again -> Healthy ----
# Before the waves below: between sync waves Argo CD waits for each resource to be Healthy,
# and Suspended is not, so in an Application with waves the sync that stops orders would never
# end and no later commit would sync (gitops-engine's getOperationPhase; see the README).
dbi orders "  resources: {requests: {cpu: 200m}}"$'\n'"  stopped: true"$'\n' >"$tmp/work/$NS/orders.yaml"
commit "orders: stopped"
pushed
refresh
wait_for 120 "orders' resource health to be Suspended" res_health_is DBInstance orders Suspended
expect_eq "$(res_health DBInstance orders message)" \
    "$(dbi_field orders '{.status.conditions[?(@.type=="Ready")].message}')" "Suspended orders' message"
app_suspended() { [ "$(app_sync)/$(app_health)" = Synced/Suspended ]; }
wait_for 60 "the Application to be Synced and Suspended" app_suspended
took "stopped (Suspended)"
echo "stopped: Suspended with \"$(res_health DBInstance orders message)\""
dbi orders "  resources: {requests: {cpu: 200m}}"$'\n' >"$tmp/work/$NS/orders.yaml"
commit "orders: started again"
rev=$(head_rev)
pushed
refresh
wait_for 120 "the Application to sync $rev (started again) and be Healthy" synced_at "$rev"
took "started (Healthy)"

# --- bad: accepted by the CRD, refused by the operator -> Degraded with our message ------
dbi bad >"$tmp/work/$NS/bad.yaml"
sed -i 's/version: "16"/version: "12"/' "$tmp/work/$NS/bad.yaml"
commit "bad: a version with no image"
pushed
refresh
app_degraded() { [ "$(app_health)" = Degraded ]; }
wait_for 120 "the Application to be Degraded" app_degraded
wait_for 30 "bad's resource health to be Degraded" res_health_is DBInstance bad Degraded
took "bad (Degraded)"
msg=$(res_health DBInstance bad message)
grep -q '^spec.version' <<<"$msg" || fail "bad's resource health message does not name spec.version: $msg"
expect_eq "$msg" "$(dbi_field bad '{.status.conditions[?(@.type=="Ready")].message}')" "bad's message"
echo "bad: Degraded with \"$msg\""
rm "$tmp/work/$NS/bad.yaml"
commit "bad: removed"

# --- prune: removed from Git, auto-prune deletes it, deletionPolicy Retain keeps the volume
STORAGE_CLASS=csi-mock dbi kept "  deletionPolicy: Retain"$'\n' >"$tmp/work/$NS/kept.yaml"
commit "kept"
pushed
refresh
wait_for 180 "kept to be Ready through Argo CD" dbi_ready kept
wait_for 60 "the Application to be Synced and Healthy" app_is Synced/Healthy
took "kept (Healthy)"
pv=$(k -n "$NS" get pvc data-kept-0 -o jsonpath='{.spec.volumeName}')
[ -n "$pv" ] || fail "kept has no bound volume"
pv_policy() { k get pv "$pv" -o jsonpath='{.spec.persistentVolumeReclaimPolicy}' 2>/dev/null; }
pv_retain() { [ "$(pv_policy)" = Retain ]; }
wait_for 30 "the PV of kept to be Retain" pv_retain
rm "$tmp/work/$NS/kept.yaml"
commit "kept: removed"
pushed
refresh
dbi_gone() { ! k -n "$NS" get dbinstance "$1" >/dev/null 2>&1; }
wait_for 120 "Argo CD to prune kept" dbi_gone kept
took "prune (gone)"
k get pv "$pv" >/dev/null 2>&1 || fail "the volume of kept (Retain) was deleted with it"
expect_eq "$(pv_policy)" Retain "reclaim policy of kept's volume after the prune"
wait_for 60 "the Application to be Synced and Healthy after the prune" app_is Synced/Healthy
echo "prune: kept deleted by Argo CD, its volume $pv kept"

# --- waves: a DBSnapshot in wave 1 waits for its DBInstance (wave 0) to be Healthy --------
if k get crd volumesnapshots.snapshot.storage.k8s.io >/dev/null 2>&1; then
    ANNOTATIONS=$'  annotations: {argocd.argoproj.io/sync-wave: "0"}\n' STORAGE_CLASS=csi-mock \
        dbi snapped >"$tmp/work/$NS/snapped.yaml"
    cat >"$tmp/work/$NS/snapped-snap.yaml" <<'YAML'
apiVersion: dbaas.dev/v1alpha1
kind: DBSnapshot
metadata:
  name: snapped-1
  annotations: {argocd.argoproj.io/sync-wave: "1"}
spec: {instanceName: snapped}
YAML
    commit "snapped and its snapshot, in two waves"
    pushed
    refresh
    wait_for 60 "Argo CD to create snapped" k -n "$NS" get dbinstance snapped
    wait_for 180 "the snapshot to be created" k -n "$NS" get dbsnapshot snapped-1
    ready_at=$(dbi_field snapped '{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')
    created=$(k -n "$NS" get dbsnapshot snapped-1 -o jsonpath='{.metadata.creationTimestamp}')
    [ "$(dbi_field snapped '{.status.conditions[?(@.type=="Ready")].status}')" = True ] ||
        fail "the snapshot (wave 1) was created before snapped (wave 0) was Ready"
    [[ ! $created < $ready_at ]] || fail "snapshot created at $created, before snapped was Ready at $ready_at"
    wait_for 180 "the Application to be Synced and Healthy with the snapshot" app_is Synced/Healthy
    took "waves (both Healthy)"
    res_health_is DBSnapshot snapped-1 Healthy || fail "snapped-1's resource health: $(res_health DBSnapshot snapped-1 status)"
    echo "waves: snapped Ready at $ready_at, snapped-1 created at $created"
else
    fail "waves: no VolumeSnapshot CRD: make gitops runs with CLUSTER_CSI=1"
fi

# --- ssa: server-side apply and server-side diff, as many install Argo CD; a change syncs,
# and the operator's writes (other field managers) never make it OutOfSync ---------------
k -n "$ARGOCD_NS" patch application "$APP" --type merge -p \
    '{"metadata":{"annotations":{"argocd.argoproj.io/compare-options":"ServerSideDiff=true"}},"spec":{"syncPolicy":{"syncOptions":["ServerSideApply=true"]}}}' >/dev/null
dbi orders "  resources: {requests: {cpu: 300m}}"$'\n' >"$tmp/work/$NS/orders.yaml"
commit "orders: cpu 300m, applied server-side"
rev=$(head_rev)
pushed
refresh
wait_for 120 "the Application to sync $rev server-side and be Healthy" synced_at "$rev"
took "ssa (Healthy)"
expect_eq "$(dbi_field orders '{.spec.resources.requests.cpu}')" 300m "orders' cpu request (server-side)"
k -n "$NS" get dbinstance orders -o jsonpath='{.metadata.managedFields[*].manager}' | grep -q argocd-controller ||
    fail "no argocd-controller field manager on orders: $(k -n "$NS" get dbinstance orders -o jsonpath='{.metadata.managedFields[*].manager}')"
: >"$tmp/states"
watch_states 15
grep -qv '^Synced/Healthy$' "$tmp/states" && fail "server-side: the Application left Synced/Healthy: $(tr '\n' ' ' <"$tmp/states")"
echo "ssa: Synced and Healthy, managers $(k -n "$NS" get dbinstance orders -o jsonpath='{.metadata.managedFields[*].manager}')"

# --- hacluster: a HACluster (the Zalando postgres-operator beside ours) syncs and becomes
# Healthy by our Lua, and stays Synced while both operators write ------------------------
start_zalando
cp "$ROOT/examples/hacluster.yaml" "$tmp/work/$NS/hacluster.yaml"
commit "payments: a HACluster"
rev=$(head_rev)
pushed
refresh
wait_for 300 "the Application to sync $rev and be Healthy with the HACluster" synced_at "$rev"
hac_ready payments || fail "the Application is Healthy but payments is not Ready"
res_health_is HACluster payments Healthy || fail "payments' resource health: $(res_health HACluster payments status)"
expect_eq "$(res_health HACluster payments message)" \
    "$(hac_cond payments Ready message)" "resource health message of payments (Ready's message)"
took "hacluster (Healthy)"
echo "hacluster: Synced and Healthy $((SECONDS - t_commit))s after the push"
: >"$tmp/states"
watch_states 15
grep -qv '^Synced/Healthy$' "$tmp/states" && fail "the Application left Synced/Healthy: $(tr '\n' ' ' <"$tmp/states")"
# Only bad was ever Degraded: no healthy object on its way there (a claim being provisioned,
# a spec change, a stop, both operators writing a HACluster).
never_degraded DBInstance/bad
echo "push to Healthy: ${times[*]}"
echo "gitops scenarios: $((SECONDS - t_start))s in all"
