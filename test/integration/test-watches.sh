# Many watches on one client: 100 share one HTTP/2 connection (the apiserver allows 100
# streams on each), 150 take exactly two, and every watch delivers its event.
. "$ROOT/test/integration/lib.sh"

for n in 100 150; do
    out=$("$ROOT/bin/bench-cache" watches "$KUBECONFIG" "$NS" "$n" 0 2>/dev/null) ||
        fail "bench-cache watches $n failed"
    field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$out" "$1"; }
    expect_eq "$(field informers_with_event)" "$n" "watches that delivered their event ($n)"
    expect_eq "$(field informers_rewatched)" 0 "watches restarted ($n)"
    expect_eq "$(field connects_after_watching)" $(( (n + 99) / 100 )) "connections for $n watches"
    k -n "$NS" delete configmaps -l bench-watch >/dev/null
done
