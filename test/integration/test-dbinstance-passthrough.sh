# What users expect to pass through (issue 10, section 5), on the real control plane:
# the DBInstance's labels and annotations reach its children's metadata (the tools' own and
# ours do not), spec.podTemplate reaches the pod, a label edit restarts nothing; NodePort and
# LoadBalancer give status.externalEndpoint; spec.stopped scales to zero and back on the
# same claim and password; a hand scale-up is put back and its claim removed.
. "$ROOT/test/integration/lib.sh"

with_operator

k -n "$NS" apply -f - >/dev/null <<'EOF'
apiVersion: dbaas.dev/v1alpha1
kind: DBInstance
metadata:
  name: shop
  labels:
    team: payments
    example.com/tier: gold
    app.kubernetes.io/instance: argo-app-shop
    app.kubernetes.io/part-of: webshop
  annotations:
    example.com/owner: payments@example.com
    argocd.argoproj.io/tracking-id: "webshop:dbaas.dev/DBInstance:ns/shop"
    dbaas.dev/note: "not for the children"
spec:
  engine: postgresql
  version: "16"
  database: shop
  podTemplate:
    labels: {example.com/pod-team: payments}
    annotations: {example.com/scrape: "true"}
    nodeSelector: {kubernetes.io/os: linux}
    tolerations:
      - {key: dedicated, operator: Equal, value: db, effect: NoSchedule}
EOF
wait_for 90 "shop to be Ready" dbi_ready shop

# ---- labels and annotations
# jp KIND NAME PATH: a field of an object in $NS ('' when absent).
jp() { k -n "$NS" get "$1" "$2" -o jsonpath="$3" 2>/dev/null; }
label() { jp "$1" "$2" "{.metadata.labels.${3//./\\.}}"; }
annotation() { jp "$1" "$2" "{.metadata.annotations.${3//./\\.}}"; }
children="statefulset/shop service/shop service/shop-headless configmap/shop-config secret/shop-credentials"
for c in $children; do
    kind=${c%/*} name=${c#*/}
    expect_eq "$(label "$kind" "$name" team)" payments "$c label team"
    expect_eq "$(label "$kind" "$name" app.kubernetes.io/part-of)" webshop "$c label app.kubernetes.io/part-of"
    expect_eq "$(annotation "$kind" "$name" example.com/owner)" payments@example.com "$c annotation example.com/owner"
    # Ours win over Argo CD's tracking label; the tools' and our own annotations stay behind.
    expect_eq "$(label "$kind" "$name" app.kubernetes.io/instance)" shop "$c label app.kubernetes.io/instance"
    expect_eq "$(annotation "$kind" "$name" argocd.argoproj.io/tracking-id)" "" "$c annotation argocd.argoproj.io/tracking-id"
    expect_eq "$(annotation "$kind" "$name" kubectl.kubernetes.io/last-applied-configuration)" "" \
        "$c annotation kubectl.kubernetes.io/last-applied-configuration"
    expect_eq "$(annotation "$kind" "$name" dbaas.dev/note)" "" "$c annotation dbaas.dev/note"
done

# spec.podTemplate reaches the pod; the DBInstance's own labels do not (a label edit must
# never restart the database).
expect_eq "$(label pod shop-0 example.com/pod-team)" payments "pod label from spec.podTemplate.labels"
expect_eq "$(annotation pod shop-0 example.com/scrape)" true "pod annotation from spec.podTemplate.annotations"
expect_eq "$(jp pod shop-0 '{.spec.nodeSelector.kubernetes\.io/os}')" linux "pod nodeSelector"
expect_eq "$(jp pod shop-0 '{.spec.tolerations[?(@.key=="dedicated")].value}')" db "pod toleration"
expect_eq "$(label pod shop-0 team)" "" "the DBInstance's label team on the pod"
expect_eq "$(label pod shop-0 app.kubernetes.io/instance)" shop "the pod's selector label"

pod_uid=$(jp pod shop-0 '{.metadata.uid}')
sts_gen=$(jp statefulset shop '{.metadata.generation}')
k -n "$NS" label dbinstance shop team=billing example.com/tier- --overwrite >/dev/null
label_is() { [ "$(label statefulset shop team)" = "$1" ]; }
wait_for 30 "the label edit to reach the StatefulSet" label_is billing
tier_gone() { [ -z "$(label service shop example.com/tier)" ] && [ -z "$(label statefulset shop example.com/tier)" ]; }
wait_for 30 "the removed label to leave the children" tier_gone
expect_eq "$(jp statefulset shop '{.metadata.generation}')" "$sts_gen" "StatefulSet generation after a label edit"
expect_eq "$(jp pod shop-0 '{.metadata.uid}')" "$pod_uid" "pod uid after a label edit"

# ---- externalEndpoint: NodePort, then LoadBalancer (its address set as a cloud would)
k -n "$NS" patch dbinstance shop --type=merge -p '{"spec":{"service":{"type":"NodePort"}}}' >/dev/null
node_port() { jp service shop '{.spec.ports[0].nodePort}'; }
wait_for 30 "a node port" node_port
external_is() { [ "$(dbi_field shop '{.status.externalEndpoint}')" = "$1" ]; }
wait_for 30 "externalEndpoint :$(node_port)" external_is ":$(node_port)"
out=$(k -n "$NS" get dbi shop -o wide --no-headers)
[[ $out == *" :$(node_port) "* ]] || fail "kubectl get -o wide does not show the external endpoint: $out"
k -n "$NS" patch dbinstance shop --type=merge -p '{"spec":{"service":{"type":"LoadBalancer"}}}' >/dev/null
lb_type() { [ "$(jp service shop '{.spec.type}')" = LoadBalancer ]; }
wait_for 30 "the Service to be a LoadBalancer" lb_type
wait_for 30 "no externalEndpoint while the load balancer has no address" external_is ""
k -n "$NS" patch service shop --subresource=status --type=merge \
    -p '{"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"}]}}}' >/dev/null
wait_for 30 "externalEndpoint 203.0.113.7:5432" external_is 203.0.113.7:5432
k -n "$NS" patch dbinstance shop --type=merge -p '{"spec":{"service":{"type":"ClusterIP"}}}' >/dev/null
wait_for 30 "no externalEndpoint for ClusterIP" external_is ""
wait_for 30 "shop to be Ready" dbi_ready shop

# ---- stopped: zero pods, volume and Secret kept; started on the same claim and password
claim_uid=$(jp pvc data-shop-0 '{.metadata.uid}')
password=$(secret_key shop-credentials password)
{ [ -n "$claim_uid" ] && [ -n "$password" ]; } || fail "no claim or password before stopping"
k -n "$NS" patch dbinstance shop --type=merge -p '{"spec":{"stopped":true}}' >/dev/null
replicas_are() { [ "$(jp statefulset shop '{.spec.replicas}')" = "$1" ]; }
wait_for 30 "the StatefulSet at 0 replicas" replicas_are 0
pod_gone() { ! k -n "$NS" get pod shop-0 >/dev/null 2>&1; }
wait_for 60 "pod shop-0 to go" pod_gone
wait_for 30 "Ready False, reason Stopped" dbi_reason shop Stopped
phase_is() { [ "$(dbi_field shop '{.status.phase}')" = "$1" ]; }
wait_for 30 "phase Stopped" phase_is Stopped
expect_eq "$(dbi_field shop '{.status.conditions[?(@.type=="Ready")].status}')" False "Ready while stopped"
expect_eq "$(dbi_field shop '{.status.conditions[?(@.type=="Stalled")].status}')" False "Stalled while stopped"
sleep 3
expect_eq "$(jp pvc data-shop-0 '{.metadata.uid}')" "$claim_uid" "claim uid while stopped"
expect_eq "$(secret_key shop-credentials password)" "$password" "password while stopped"
k -n "$NS" patch dbinstance shop --type=merge -p '{"spec":{"stopped":false}}' >/dev/null
wait_for 90 "shop to be Ready again" dbi_ready shop
expect_eq "$(jp statefulset shop '{.spec.replicas}')" 1 "replicas after starting"
expect_eq "$(jp pod shop-0 '{.spec.volumes[?(@.name=="data")].persistentVolumeClaim.claimName}')" data-shop-0 "the pod's claim"
expect_eq "$(jp pvc data-shop-0 '{.metadata.uid}')" "$claim_uid" "claim uid after starting"
expect_eq "$(secret_key shop-credentials password)" "$password" "password after starting"

# ---- a hand scale-up (while the operator is away, so that the extra claim surely exists)
# is put back, and its claim deleted; a claim that is not ours stays.
k -n "$NS" apply -f - >/dev/null <<'EOF'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data-shop-2}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
EOF
stop_operator
k -n "$NS" scale statefulset shop --replicas=2 >/dev/null
has() { k -n "$NS" get "$@" >/dev/null 2>&1; }
wait_for 60 "claim data-shop-1 from the scale-up" has pvc data-shop-1
start_operator "$tmp/op.log"
wait_for 30 "the StatefulSet back at 1 replica" replicas_are 1
claim_gone() { ! k -n "$NS" get pvc data-shop-1 >/dev/null 2>&1; }
wait_for 60 "claim data-shop-1 to be deleted" claim_gone
wait_for 60 "shop to be Ready" dbi_ready shop
expect_eq "$(jp pvc data-shop-0 '{.metadata.uid}')" "$claim_uid" "claim data-shop-0 after the scale-down"
has pvc data-shop-2 || fail "claim data-shop-2, not ours, was deleted"
echo "labels, podTemplate, externalEndpoint, stopped and hand scaling behave"
