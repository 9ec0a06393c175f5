# Spec drift (issue 14, section 4): every example in examples/ is applied as a user (or Argo CD)
# would, the operator evaluates each object, and then nothing but the user owns or changed a
# spec field: metadata.generation is still 1, the live spec is exactly what a server-side
# dry-run create of the file gives (the file plus the CRD schema's defaults), no field manager
# other than kubectl's holds a spec field, and `kubectl diff` of each file finds nothing. So the
# operator's status writes and defaults can never make an Argo CD app OutOfSync. A last step
# writes one spec field under the operator's field manager and checks that this test sees it.
# shellcheck source=lib.sh
# tools: csi
. "$ROOT/test/integration/lib.sh"
with_operator
kn() { k -n "$NS" "$@"; }
# Python: objs(PATH) gives the objects kubectl printed as JSON one after another.
objs='
import json, sys
def objs(path):
    text, at, out = open(path).read(), 0, []
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        o, at = json.JSONDecoder().raw_decode(text, at)
        out.append(o)
    return out
'

# The order a user would follow: instances, then a snapshot of one, then a restore from it.
files=(postgresql mysql mariadb dbinstance-full dbsnapshot dbinstance-restore hacluster)
objects=()
for f in "${files[@]}"; do
    file=$ROOT/examples/$f.yaml
    # What the server makes of the file before anyone else writes: the defaults included.
    kn create --dry-run=server -o json -f "$file" >"$tmp/$f.dry.json" 2>"$tmp/err" ||
        fail "dry-run create of examples/$f.yaml: $(cat "$tmp/err")"
    kn apply -f "$file" >/dev/null 2>"$tmp/err" || fail "apply examples/$f.yaml: $(cat "$tmp/err")"
    while read -r kind name; do
        objects+=("$f $kind $name")
    done < <(python3 -c "$objs"'
for o in objs(sys.argv[1]):
    if o["apiVersion"].startswith("dbaas.dev/"):
        print(o["kind"].lower(), o["metadata"]["name"])' "$tmp/$f.dry.json")
done
[ "${#objects[@]}" -eq 7 ] || fail "expected 7 objects of ours in examples/, found ${#objects[@]}: ${objects[*]}"

t0=$SECONDS
evaluated() { [ "$(kn get "$1" "$2" -o jsonpath='{.status.observedGeneration}')" = 1 ]; }
for o in "${objects[@]}"; do
    read -r _ kind name <<<"$o"
    wait_for 120 "$kind/$name to be evaluated (status.observedGeneration 1)" evaluated "$kind" "$name"
done
echo "all ${#objects[@]} objects evaluated in $((SECONDS - t0)) s"
settle_writes op_writes

# check_drift FILE KIND NAME: prints what differs; exits 1 when anything does.
check_drift() {
    kn get "$2" "$3" -o json --show-managed-fields >"$tmp/live.json"
    python3 -c "$objs$(cat <<'PY'
live, kind, name = objs(sys.argv[2])[0], sys.argv[3], sys.argv[4]
want = next(o for o in objs(sys.argv[1])
            if o["kind"].lower() == kind and o["metadata"]["name"] == name)
bad = []
if live["metadata"]["generation"] != 1:
    bad.append("metadata.generation is %d: the spec was written after creation"
               % live["metadata"]["generation"])
if live.get("spec") != want.get("spec"):
    bad.append("spec differs from the file with the CRD's defaults:\n  want %s\n  live %s"
               % (json.dumps(want.get("spec"), sort_keys=True),
                  json.dumps(live.get("spec"), sort_keys=True)))
for m in live["metadata"].get("managedFields", []):
    if "f:spec" in (m.get("fieldsV1") or {}) and not m["manager"].startswith("kubectl"):
        bad.append("field manager %s (%s) holds spec fields" % (m["manager"], m["operation"]))
for b in bad:
    print("%s/%s: %s" % (kind, name, b))
sys.exit(1 if bad else 0)
PY
)" "$tmp/$1.dry.json" "$tmp/live.json" "$2" "$3" || return 1
    kn diff -f "$ROOT/examples/$1.yaml" >"$tmp/diff" 2>&1
    case $? in
    0) ;;
    1) echo "kubectl diff -f examples/$1.yaml:"; cat "$tmp/diff"; return 1 ;;
    *) fail "kubectl diff -f examples/$1.yaml failed: $(cat "$tmp/diff")" ;;
    esac
}

drift=0
for o in "${objects[@]}"; do
    read -r f kind name <<<"$o"
    check_drift "$f" "$kind" "$name" || drift=1
done
[ "$drift" -eq 0 ] || fail "spec drift (above)"
echo "no drift in ${#objects[@]} objects: generation 1, spec as applied plus defaults, kubectl diff empty"

# The check can fail: a spec field written under the operator's field manager is seen.
kn patch dbinstance orders --type merge --field-manager dbaas-operator \
    -p '{"spec":{"parameters":{"max_connections":"150"}}}' >/dev/null
if check_drift postgresql dbinstance orders >"$tmp/self" 2>&1; then
    fail "a spec write by the operator's field manager went unnoticed"
fi
grep -q 'metadata.generation is 2' "$tmp/self" || fail "the self-check missed the generation: $(cat "$tmp/self")"
grep -q 'field manager dbaas-operator' "$tmp/self" || fail "the self-check missed the manager: $(cat "$tmp/self")"
echo "self-check: a spec write by dbaas-operator is reported"
