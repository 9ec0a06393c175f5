# Bad kubeconfig input gives a one-line error naming the problem and exit 1, never a crash.
. "$ROOT/test/integration/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect_error FILE CONTEXT PATTERN: the probe and the operator both fail cleanly.
expect_error() {
    local file=$1 ctx=$2 pattern=$3 prog rc err
    for prog in kube-probe dbaas-operator; do
        set +e
        if [ "$prog" = kube-probe ]; then
            "$ROOT/bin/kube-probe" "$file" ${ctx:+"$ctx"} 2>"$tmp/err" >/dev/null
        else
            timeout 20 "$ROOT/bin/dbaas-operator" --kubeconfig "$file" ${ctx:+--context "$ctx"} \
                --log-format text --metrics-addr "" 2>"$tmp/err" >/dev/null
        fi
        rc=$?
        set -e
        expect_eq "$rc" 1 "$prog exit code on $file"
        # The operator also logs its start; the error is the one line that is not INFO.
        err=$(grep -v ' INFO ' "$tmp/err" || true)
        [ "$(wc -l <<<"$err")" -eq 1 ] || fail "$prog on $file: want one line, got: $err"
        grep -qE -- "$pattern" <<<"$err" || fail "$prog on $file: '$err' does not match '$pattern'"
    done
}

expect_error "$tmp/absent" "" "kubeconfig $tmp/absent: no such file"
expect_error "$KUBECONFIG" "no-such-context" 'context \\?"no-such-context\\?" not found'

sed -E 's/(certificate-authority-data: ).*/\1Q0E*broken/' "$KUBECONFIG" >"$tmp/broken-b64"
expect_error "$tmp/broken-b64" "" 'certificate-authority-data is not valid base64'

# A CA that did not sign the server's certificate: verification must fail.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/other.key" -out "$tmp/other.crt" \
    -subj /CN=other-ca -days 1 2>/dev/null
other=$(base64 -w0 "$tmp/other.crt")
sed -E "s|(certificate-authority-data: ).*|\1$other|" "$KUBECONFIG" >"$tmp/wrong-ca"
# The probe gives up; the operator keeps running and says why it cannot connect.
set +e
"$ROOT/bin/kube-probe" "$tmp/wrong-ca" 2>"$tmp/err" >/dev/null
rc=$?
set -e
expect_eq "$rc" 1 "kube-probe exit code with the wrong CA"
grep -qE 'TLS to https://127\.0\.0\.1:[0-9]+: .*(certificate|issuer)' "$tmp/err" ||
    fail "kube-probe with the wrong CA said: $(cat "$tmp/err")"
set +e
timeout --preserve-status -s TERM 3 "$ROOT/bin/dbaas-operator" --kubeconfig "$tmp/wrong-ca" --log-format text \
    --metrics-addr "" 2>"$tmp/err" >/dev/null
rc=$?
set -e
expect_eq "$rc" 0 "operator exit code after SIGTERM while it cannot connect"
grep -E ' WARN .*the API server did not answer.*TLS to https://127\.0\.0\.1:[0-9]+: .*(certificate|issuer)' "$tmp/err" >/dev/null ||
    fail "operator with the wrong CA said: $(cat "$tmp/err")"

# SIGTERM after SIGTERM (timeout(1) signals the process and then its group) must still end
# in a clean exit: the handlers stay until the process has shut down. Each try sends
# SIGTERMs until the process is gone; the old code died by the signal in about 1 try of 4.
# A log file per try: the background child truncates its file only once it runs, so with
# one file the wait below could read the previous try's line and signal a process that has
# not blocked its signals yet (that, not the shutdown, was the exit 143 CI saw twice).
for try in $(seq 1 12); do
    "$ROOT/bin/dbaas-operator" --kubeconfig "$tmp/wrong-ca" --log-format text --metrics-addr "" \
        2>"$tmp/err.$try" >/dev/null &
    pid=$!
    # Logged once the handlers are installed; a signal before that is not what is tested.
    wait_for 20 "the operator to start" grep -q 'dbaas-operator starting' "$tmp/err.$try"
    deadline=$((SECONDS + 20))
    while kill -TERM "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do :; done
    set +e
    wait "$pid"
    rc=$?
    set -e
    expect_eq "$rc" 0 "operator exit code after repeated SIGTERMs (try $try)"
done
