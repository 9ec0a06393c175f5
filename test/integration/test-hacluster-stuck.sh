# The Zalando operator installed but not acting (stopped): a HACluster whose spec changes is
# Progressing, WaitingForZalando, and once --zalando-wait (5 s here, 120 s by default) has
# passed its message says the Zalando operator is not acting, rather than a silent hang.
# When Zalando runs again the cluster converges.
# tools: zalando
. "$ROOT/test/integration/lib.sh"

tmp=$(mktemp -d)
printf '#!/bin/sh\nexec "%s/bin/dbaas-operator" --zalando-wait 5 "$@"\n' "$ROOT" >"$tmp/op"
chmod +x "$tmp/op"
OP_BIN=$tmp/op
with_operator
trap 'stop_zalando; [ -n "$OP_PID" ] && kill -9 "$OP_PID" 2>/dev/null; [ -n "${DEBUG:-}" ] && cat "$tmp/op.log"; rm -rf "$tmp"' EXIT
start_zalando
H=idle
printf 'apiVersion: dbaas.dev/v1alpha1\nkind: HACluster\nmetadata: {name: %s}\nspec: {version: "16", replicas: 1, database: app}\n' $H |
    k -n "$NS" apply -f - >/dev/null
wait_for 240 "Ready" hac_ready $H
stop_zalando
t0=$SECONDS
k -n "$NS" patch hac $H --type merge -p '{"spec":{"replicas":2}}' >/dev/null
wait_for 60 "WaitingForZalando" hac_is $H '{.status.conditions[?(@.type=="Progressing")].reason}' WaitingForZalando
wait_for 60 "the not-acting message" bash -c "'$KUBECTL' -n '$NS' get hac $H -o jsonpath='{.status.conditions[?(@.type==\"Progressing\")].message}' | grep -q 'has not acted'"
echo "not acting said $((SECONDS - t0))s after the change"
start_zalando
wait_for 240 "2/2 once Zalando runs" hac_is $H '{.status.readyText}' 2/2
wait_for 60 "Progressing False" hac_is $H '{.status.conditions[?(@.type=="Progressing")].status}' False
stop_operator
