# Credentials that change: a token file that rotates is picked up after a 401 without a
# restart; exec credential plugins supply a token, and a failing or missing plugin gives a
# one-line error.
. "$ROOT/test/integration/lib.sh"

tmp=$(mktemp -d)
probe_pid=
trap '[ -n "$probe_pid" ] && kill "$probe_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

k -n "$NS" create serviceaccount first >/dev/null
k -n "$NS" create serviceaccount second >/dev/null
first=$(k -n "$NS" create token first)
second=$(k -n "$NS" create token second)
server=$(k config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')
ca=$(k config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')

# kubeconfig_with USER_YAML: a kubeconfig for the test cluster with the given user entry.
kubeconfig_with() {
    cat <<EOC
apiVersion: v1
kind: Config
current-context: t
clusters: [{name: c, cluster: {server: "$server", certificate-authority-data: "$ca"}}]
contexts: [{name: t, context: {cluster: c, user: u}}]
users:
- name: u
  user:
$1
EOC
}

# Token file rotation: one long-lived client, the file replaced and the old token revoked.
printf '%s\n' "$first" >"$tmp/token"
kubeconfig_with "    tokenFile: $tmp/token" >"$tmp/file.kubeconfig"
"$ROOT/bin/kube-probe" --whoami 120 250 "$tmp/file.kubeconfig" >"$tmp/rotation.log" 2>&1 &
probe_pid=$!
wait_for 20 "the first token to be used" grep -q "^user system:serviceaccount:$NS:first$" "$tmp/rotation.log"
printf '%s\n' "$second" >"$tmp/token.new"
mv "$tmp/token.new" "$tmp/token"
# Deleting the account revokes its token: the next request gets a 401 and must re-read the file.
k -n "$NS" delete serviceaccount first >/dev/null
wait_for 30 "the rotated token to be used" grep -q "^user system:serviceaccount:$NS:second$" "$tmp/rotation.log"
kill "$probe_pid" 2>/dev/null || true
wait "$probe_pid" 2>/dev/null || true
probe_pid=
if grep -q '^error' "$tmp/rotation.log"; then
    fail "a request failed during rotation: $(cat "$tmp/rotation.log")"
fi

# Exec plugin that prints an ExecCredential with the second token.
cat >"$tmp/plugin.sh" <<EOP
#!/bin/sh
[ -n "\$KUBERNETES_EXEC_INFO" ] || { echo "no KUBERNETES_EXEC_INFO" >&2; exit 2; }
[ "\$PLUGIN_REGION" = eu ] || { echo "env not passed" >&2; exit 2; }
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}\n' "$second"
EOP
chmod +x "$tmp/plugin.sh"
kubeconfig_with "    exec: {apiVersion: client.authentication.k8s.io/v1, command: $tmp/plugin.sh, env: [{name: PLUGIN_REGION, value: eu}]}" >"$tmp/exec.kubeconfig"
out=$("$ROOT/bin/kube-probe" --whoami 2 10 "$tmp/exec.kubeconfig")
expect_eq "$out" "user system:serviceaccount:$NS:second
user system:serviceaccount:$NS:second" "users seen through the exec plugin"

# A plugin that fails: its status and first stderr line, one line per request.
printf '#!/bin/sh\necho "boom: no credentials" >&2\necho second line >&2\nexit 3\n' >"$tmp/fail.sh"
chmod +x "$tmp/fail.sh"
kubeconfig_with "    exec: {command: $tmp/fail.sh}" >"$tmp/fail.kubeconfig"
out=$("$ROOT/bin/kube-probe" --whoami 1 10 "$tmp/fail.kubeconfig") && fail "a failing plugin succeeded"
expect_eq "$out" "error exec plugin \"$tmp/fail.sh\" exited with status 3: boom: no credentials" "failing plugin"

kubeconfig_with "    exec: {command: $tmp/absent-plugin}" >"$tmp/missing.kubeconfig"
out=$("$ROOT/bin/kube-probe" --whoami 1 10 "$tmp/missing.kubeconfig") && fail "a missing plugin succeeded"
expect_eq "$out" "error exec plugin \"$tmp/absent-plugin\" exited with status 127: no such file or directory" "missing plugin"
