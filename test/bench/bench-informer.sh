#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR/../..
# Runtime benchmarks of issue 3 (`make bench-informer`), against a control plane of its own:
#   1. how many TLS connections one kube_client opens for N concurrent watches (N informers,
#      one label selector each), with the server's HTTP/2 stream limit read off the wire;
#      the same against a second apiserver that allows 1000 streams per connection;
#   2. process RSS and bytes per cached object with 10,000 Widgets of about 2 KB in one
#      informer's store (test/bench/widgets-crd.yaml);
#   3. the watch-stream parser's rate (`make bench-stream`).
# Writes test/bench/RESULTS-runtime.md and test/bench/results-runtime.json.
#
# Environment: BENCH_CLUSTER_DIR (default ~/.cache/dbaas-operator/cluster-bench),
# BENCH_OBJECTS (10000), BENCH_OBJECT_SIZE (2048 bytes as stored), BENCH_WATCHES
# ("100 150 250"), BENCH_KEEP_CLUSTER=1 to leave the cluster up (and its Widgets: a rerun
# then skips creating them).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export DBAAS_CLUSTER_DIR=${BENCH_CLUSTER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dbaas-operator/cluster-bench}
OBJECTS=${BENCH_OBJECTS:-10000}
OBJECT_SIZE=${BENCH_OBJECT_SIZE:-2048}
read -r -a WATCH_COUNTS <<<"${BENCH_WATCHES:-100 150 250}"
OUT_MD=test/bench/RESULTS-runtime.md
OUT_JSON=test/bench/results-runtime.json
BUILD_DIR=build/bench-rt
TOOL=$BUILD_DIR/bin/bench-cache
WORK=$(mktemp -d)
EXTRA_API_PID=

log() { printf 'bench-informer: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

cleanup() {
    local rc=$?
    if [ -n "$EXTRA_API_PID" ]; then
        kill "$EXTRA_API_PID" 2>/dev/null || true
        wait "$EXTRA_API_PID" 2>/dev/null || true
    fi
    if [ "${BENCH_KEEP_CLUSTER:-0}" != 1 ]; then
        bash hack/cluster.sh down >/dev/null 2>&1 || log "hack/cluster.sh down failed"
    fi
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t_start=$SECONDS

# ---------------------------------------------------------------------------- build
# Only the pkg-c modules the benchmarks reach (their #include "module/..." lines, followed
# transitively): a half-written module elsewhere in the tree cannot break this build.
runtime_modules() {
    local -A seen=()
    local -a queue=("$@")
    local f m
    while [ ${#queue[@]} -gt 0 ]; do
        f=${queue[0]}
        queue=("${queue[@]:1}")
        [ -f "$f" ] || continue
        while read -r m; do
            if [ -d "pkg-c/$m" ] && [ -z "${seen[$m]:-}" ]; then
                seen[$m]=1
                queue+=(pkg-c/"$m"/*.c pkg-c/"$m"/*.h)
            fi
        done < <(sed -n 's|^#include "\([A-Za-z0-9_]*\)/.*|\1|p' "$f" | sort -u)
    done
    printf '%s\n' "${!seen[@]}" | sort
}
mapfile -t MODULES < <(runtime_modules test/tools/bench-cache.c test/bench/bench_wstream.c)
LIB_SRC=$(for m in "${MODULES[@]}"; do ls pkg-c/"$m"/*.c; done | tr '\n' ' ')
log "building with the modules: ${MODULES[*]}"
make -j2 LIB_SRC="$LIB_SRC" BUILD="$BUILD_DIR" BIN="$BUILD_DIR/bin" "$TOOL" >"$WORK/build.log" 2>&1 ||
    { tail -30 "$WORK/build.log" >&2; die "building bench-cache failed"; }

log "make bench-stream"
make bench-stream LIB_SRC="$LIB_SRC" >"$WORK/stream.txt" 2>&1 ||
    { tail -30 "$WORK/stream.txt" >&2; die "make bench-stream failed"; }
STREAM_LINE=$(grep -m1 '^wstream: .*16 KiB chunks' "$WORK/stream.txt") || die "no wstream line in bench-stream output"

# ---------------------------------------------------------------------------- cluster
log "cluster in $DBAAS_CLUSTER_DIR"
bash hack/cluster.sh up
eval "$(bash hack/cluster.sh env)"
KUBECTL=$(bash hack/cluster.sh kubectl-path)
k() { "$KUBECTL" "$@"; }
SERVER=$(k config view --minify -o jsonpath='{.clusters[0].cluster.server}')
API_PORT=${SERVER##*:}

# The SETTINGS_MAX_CONCURRENT_STREAMS an HTTP/2 server announces (read straight off the wire).
h2_max_streams() {
    python3 - "$1" <<'EOF'
import socket, ssl, struct, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["h2"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5))
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
def read(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise SystemExit("connection closed")
        b += c
    return b
while True:
    h = read(9)
    p = read(int.from_bytes(h[:3], "big"))
    if h[3] == 4 and not h[4] & 1:
        v = [struct.unpack(">HI", p[i:i + 6])[1] for i in range(0, len(p), 6) if p[i:i + 2] == b"\x00\x03"]
        print(v[0] if v else "unlimited")
        break
EOF
}
SERVER_STREAMS=$(h2_max_streams "$API_PORT")
log "the apiserver allows $SERVER_STREAMS concurrent streams per connection"

# ---------------------------------------------------------------------------- watches
: >"$WORK/watches.jsonl"
# run_watches LABEL KUBECONFIG N MAX_STREAMS SERVER_MAX_STREAMS (MAX_STREAMS "": libcurl's default)
run_watches() {
    local label=$1 kc=$2 n=$3 ms=$4 ns
    ns=bench-w$n-$label-$RANDOM
    k create namespace "$ns" >/dev/null
    log "watches: $n informers ($label, client max streams ${ms:-default})"
    "$TOOL" watches "$kc" "$ns" "$n" "${ms:-0}" 2>>"$WORK/tool.log" |
        python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); d["server"]=sys.argv[1]; d["server_max_streams"]=sys.argv[2]; print(json.dumps(d))' \
            "$label" "$5" >>"$WORK/watches.jsonl" || die "bench-cache watches $n failed (see above)"
    k delete namespace "$ns" --wait=false >/dev/null
}
for n in "${WATCH_COUNTS[@]}"; do
    run_watches default "$KUBECONFIG" "$n" "" "$SERVER_STREAMS"
done
run_watches default "$KUBECONFIG" "${WATCH_COUNTS[-1]}" 1000 "$SERVER_STREAMS"

# A second apiserver on the same etcd that allows 1000 streams per connection: its flags are
# the running one's (from /proc), with another port. Separates libcurl's own cap (100 by
# default) from the server's.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_pid=$(cat "$DBAAS_CLUSTER_DIR/run/kube-apiserver.pid")
mapfile -d '' -t api_argv <"/proc/$api_pid/cmdline"
EXTRA_PORT=$(free_port)
extra_argv=()
for a in "${api_argv[@]}"; do
    case $a in --secure-port=*) a=--secure-port=$EXTRA_PORT ;; esac
    extra_argv+=("$a")
done
"${extra_argv[@]}" --http2-max-streams-per-connection=1000 >"$WORK/extra-apiserver.log" 2>&1 &
EXTRA_API_PID=$!
sed "s|server: https://127.0.0.1:$API_PORT|server: https://127.0.0.1:$EXTRA_PORT|" "$KUBECONFIG" >"$WORK/kubeconfig-1000"
for _ in $(seq 1 120); do
    [ "$(k --kubeconfig "$WORK/kubeconfig-1000" get --raw /readyz 2>/dev/null)" = ok ] && break
    kill -0 "$EXTRA_API_PID" 2>/dev/null || { tail -20 "$WORK/extra-apiserver.log" >&2; die "the second apiserver exited"; }
    sleep 0.5
done
EXTRA_STREAMS=$(h2_max_streams "$EXTRA_PORT")
log "the second apiserver allows $EXTRA_STREAMS streams per connection"
n=${WATCH_COUNTS[-1]}
run_watches raised "$WORK/kubeconfig-1000" "$n" "" "$EXTRA_STREAMS"
run_watches raised "$WORK/kubeconfig-1000" "$n" 1000 "$EXTRA_STREAMS"
kill "$EXTRA_API_PID"
wait "$EXTRA_API_PID" 2>/dev/null || true
EXTRA_API_PID=

# ---------------------------------------------------------------------------- cache
NS=bench-cache
k apply -f test/bench/widgets-crd.yaml >/dev/null
k wait --for=condition=Established --timeout=60s crd/widgets.bench.dbaas.dev >/dev/null
k get namespace "$NS" >/dev/null 2>&1 || k create namespace "$NS" >/dev/null
log "creating $OBJECTS Widgets of about $OBJECT_SIZE bytes"
"$TOOL" create "$KUBECONFIG" "$NS" "$OBJECTS" "$OBJECT_SIZE" >"$WORK/create.json" 2>>"$WORK/tool.log" ||
    die "creating Widgets failed: $(tail -3 "$WORK/tool.log")"
have=$(k get --raw "/apis/bench.dbaas.dev/v1/namespaces/$NS/widgets?limit=1" |
    python3 -c 'import json,sys; m=json.load(sys.stdin)["metadata"]; print(m.get("remainingItemCount",0)+1)')
[ "$have" -eq "$OBJECTS" ] || die "expected $OBJECTS Widgets in $NS, found $have"
served_raw=$(k get --raw "/apis/bench.dbaas.dev/v1/namespaces/$NS/widgets" | wc -c)
served_kubectl=$(k -n "$NS" get widgets -o json | wc -c)

: >"$WORK/cache.jsonl"
for ps in 500 100; do
    log "cache: one informer over $OBJECTS Widgets, page size $ps"
    "$TOOL" cache "$KUBECONFIG" "$NS" "$ps" 1 >>"$WORK/cache.jsonl" 2>>"$WORK/tool.log" ||
        die "bench-cache cache failed: $(tail -3 "$WORK/tool.log")"
done

# ---------------------------------------------------------------------------- report
# What the numbers above mean: analysis of the run recorded in RESULTS-runtime.md, with
# prototypes (patched copies of pkg-c outside the tree) this script does not re-run.
cat >"$WORK/analysis.md" <<'ANALYSIS'

## Analysis (run of 2026-11-23 on this machine; the prototypes are patched copies of pkg-c built outside the tree and are not re-run by this script)

### Connections: libcurl 7.88 opened one connection per request past the stream limit (fixed)

- Changed (2026-11-23, after the analysis below): pkg-c/kube/client.c gates new requests.
  When every connection that has answered carries max_streams requests (100, or what
  kube_client_set_max_streams set), one request opens the next connection and the others
  wait until it answers. The watches table above is measured with the gate: 150 watches
  take 2 connections, 250 take 3. test/integration/test-watches.sh asserts 100 -> 1 and
  150 -> 2. The notes below describe libcurl's behaviour without the gate.

- kube-apiserver v1.37 announces SETTINGS_MAX_CONCURRENT_STREAMS = 100 (its default since the
  2023 HTTP/2 rapid-reset fix; flag `--http2-max-streams-per-connection`), and libcurl's own
  client-side cap, CURLMOPT_MAX_CONCURRENT_STREAMS, is also 100 by default. So 100 concurrent
  watches fit on one connection, and one connection carries 250 only when both the server and
  the client allow more (the last row of table 1).
- Up to 100 requests, PIPEWAIT works: the first burst waits for the first connection
  (`Server doesn't support multiplex yet, wait` in libcurl's verbose log) and all share it.
- Past 100, libcurl 7.88 opens a new connection for *every* request that arrives while the
  second connection is still being set up: the verbose log shows `MAX_CONCURRENT_STREAMS
  reached, skip (100)` then `Trying 127.0.0.1...` for each one, and never `Found pending
  candidate for reuse and CURLOPT_PIPEWAIT is set`. PIPEWAIT only waits while the host's
  multiplexing is unknown, that is for the first connection. 150 informers started together
  → 51 connections, 250 → 101 to 151 (timing decides how much of the burst lands before
  connection 2 is confirmed). "Open after settle" can be lower than "opened": libcurl closes
  extra connections left idle (their list ended, the watch went elsewhere) once its
  connection cache is full. Each extra connection holds a single watch until it ends
  (timeoutSeconds 300-600 s), and the next burst (a relist after an apiserver restart) does
  it again.
- CURLMOPT_MAX_CONCURRENT_STREAMS = 1000 alone changes nothing against a 100-stream server
  (libcurl also honours the server's limit); against a 1000-stream server it is needed and
  enough (250 watches on 1 connection, against 151 with libcurl's default).
- CURLMOPT_MAX_HOST_CONNECTIONS = k bounds the connections but also caps the streams at
  k × 100: requests beyond wait until some transfer on that host ends. Measured with k = 2:
  250 watches → 50 had not started after 100 s. Not usable with long-lived watches.
- Prototype fix, in the kube client (a patched pkg-c/kube/client.c): count the requests on
  the multi handle and the connections known to carry streams (distinct CURLINFO_LOCAL_PORT
  values seen on responses). When the requests fill those connections (× 100), send exactly
  one request to open the next connection and hold the rest (re-sent from the client's retry
  timer every 2 ms) until that request's first response header arrives. Measured: 100 → 1,
  150 → 2, 250 → 3, 400 → 4 connections, every watch live, start-up time unchanged
  (0.1-0.2 s). Together with CURLMOPT_MAX_CONCURRENT_STREAMS = 1000 (so that a server that
  allows more is used fully) this gives what the issue asks: a second connection only past
  the server's stream limit. A real version must also forget connections that close
  (CURLOPT_CLOSESOCKETFUNCTION) and take the per-connection limit as min(server, client);
  libcurl 7.88 does not expose the server's SETTINGS, so assume 100 unless configured.

### Memory: the list page's cJSON tree fragmented the heap (fixed: items are parsed one at a time)

- Changed (2026-11-23, after the numbers below under "as now" were taken): `list_page` in
  pkg-c/informer/informer.c no longer parses the page into one cJSON tree. A text walker,
  `informer_list_each` (declared in informer.h for tests), finds the top-level `items` array
  (strings, escapes and nesting honoured; one pass, nothing allocated; malformed or cut-short
  text is CORE_EPROTO and never read past its length) and hands each element's text to the
  informer, which parses it with cJSON_ParseWithLength, caches it and frees it at once; the
  list's `metadata` is parsed on its own. The peak is now the page body plus one object.
  Measured on 2026-11-23 (`make bench-informer`, section 2): RSS after sync 35.9 MB
  with the default page size 500 (was 44.1 MB), 34.2 MB with page size 100 (was 35.5 MB);
  free heap held by malloc 4.2 MB (was 12.0 MB). The goal (< 40 MB) is met with the default
  page size; the notes below are the analysis that led to the change.

- The store itself is compact: 2053 B of JSON per Widget plus about 127 B of entry and hash
  map (2180 B of heap per object, 22.6 MB for 10,000). The process starts at 12.0 MB RSS, of
  which 10.1 MB are file-backed pages (the binary, libcurl and its dependencies, OpenSSL).
- With the default page size (500), `list_page` parses a whole 1.5 MB page into one cJSON
  tree (about 6 MB of small nodes) while the store's 2 KB blocks are allocated between those
  nodes; freeing the tree leaves holes smaller than a page. glibc then holds 12 MB of free
  heap that malloc_trim(0) cannot return (RSS 44-45 MB, 43 MB after trim). glibc arenas are
  not the cause (one thread; MALLOC_ARENA_MAX=1: same), nor the mmap threshold
  (MALLOC_MMAP_THRESHOLD_=128K: -1.5 MB).
- Prototypes of `list_page`, measured (RSS after sync / free heap held by malloc):

  | list_page variant | page 500 | page 100 |
  |---|---:|---:|
  | as now: parse the page, apply each item | 45.0 MB / 12.9 MB | 36.2 MB / 2.9 MB |
  | detach and free each item right after apply | 45.7 MB / 13.5 MB | 36.3 MB / 3.4 MB |
  | walk the page text, parse and apply one item at a time | 36.8 MB / 4.3 MB | 34.7 MB / 1.5 MB |
  | the same, and store_put prints into one reused buffer (cJSON_PrintPreallocated) | 35.9 MB / 2.9 MB | 34.7 MB / 1.6 MB |

  VmHWM equals RSS after sync in every case. What I would change: (1) in informer, split the
  `items` array at the text level (a small JSON value skipper that honours strings and
  escapes, about 60 lines) and parse one item at a time with cJSON_ParseWithLength, parsing
  the list's `metadata` the same way; the peak then is the page body plus one object, and the
  store's blocks pack densely. (2) Until then, a default page size of 100 gets under 40 MB
  (36 MB) at the cost of 5× the list requests. (3) Optional: print into a reused scratch
  buffer in store_put (one allocation per object instead of cJSON's growing print buffer
  plus a copy). Going further than
  about 35 MB would need a slimmer transform (fields controllers never read) or compression
  in the store; the floor is 12 MB of process plus about 2.2 KB per object.
- List time is the apiserver's: about 1.2 s for the 10,000 objects on a fresh cluster, 3-5 s
  on one that had run for a while (first page 45 ms, every continued page 110-240 ms); a
  bare loop of kube_request calls over the same pages shows the same times, so the client
  is not the bottleneck.
ANALYSIS
log "writing $OUT_MD and $OUT_JSON"
export WORK OUT_MD OUT_JSON OBJECTS OBJECT_SIZE STREAM_LINE served_raw served_kubectl \
    SERVER_STREAMS EXTRA_STREAMS
BENCH_SECONDS=$((SECONDS - t_start)) python3 - <<'EOF'
import json, os, platform, re, subprocess, time

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""

def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

env = os.environ
work = env["WORK"]
n_obj = int(env["OBJECTS"])
versions = dict(re.findall(r"^(\w+)=(\S+)", open("hack/versions.env").read(), re.M))
mem_kb = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
m = re.search(r"wstream: (\d+) events/s \(([\d.]+) KB each, 16 KiB chunks\), ([\d.]+) MB/s", env["STREAM_LINE"])
stream = {"events_per_second": int(m.group(1)), "kb_per_event": float(m.group(2)),
          "mb_per_second": float(m.group(3)), "line": env["STREAM_LINE"]}
machine = {
    "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "cores": os.cpu_count(), "memory_mb": mem_kb // 1024,
    "cpu": cpu.group(1).strip() if cpu else platform.processor(),
    "kernel": platform.release(),
    "libcurl": sh("pkg-config --modversion libcurl"),
    "nghttp2": (re.findall(r"nghttp2/(\S+)", sh("curl --version")) or ["?"])[0],
    "glibc": platform.libc_ver()[1],
    "commit": sh("git rev-parse --short HEAD"),
    "versions": versions,
}
watches = lines(f"{work}/watches.jsonl")
cache = lines(f"{work}/cache.jsonl")
create = json.load(open(f"{work}/create.json"))
sizes = {"served_compact_bytes_per_object": round(int(env["served_raw"]) / n_obj),
         "kubectl_json_bytes_per_object": round(int(env["served_kubectl"]) / n_obj),
         "stored_bytes_per_object": cache[0]["store_bytes_per_object"]}
result = {"machine": machine, "server_max_streams": env["SERVER_STREAMS"],
          "raised_server_max_streams": env["EXTRA_STREAMS"], "watches": watches,
          "create": create, "sizes": sizes, "cache": cache, "wstream": stream,
          "seconds": int(env["BENCH_SECONDS"])}
with open(env["OUT_JSON"], "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")

def mb(kb):
    return f"{kb / 1024:.1f} MB"

out = []
w = out.append
w("# Runtime benchmarks (issue 3)")
w("")
w("Written by `test/bench/bench-informer.sh` (`make bench-informer`); raw numbers in "
  "`test/bench/results-runtime.json`. Everything runs on the local control plane of "
  "`hack/cluster.sh` on this machine (client and server share its cores).")
w("")
w("| machine | |")
w("|---|---|")
w(f"| date | {machine['date']} (commit {machine['commit']}) |")
w(f"| cores, memory | {machine['cores']}, {machine['memory_mb']} MB ({machine['cpu']}) |")
w(f"| kernel, glibc | {machine['kernel']}, {machine['glibc']} |")
w(f"| libcurl, nghttp2 | {machine['libcurl']}, {machine['nghttp2']} |")
w("| control plane | " + ", ".join(f"{k} {v}" for k, v in versions.items()) + " |")
w(f"| benchmark run time | {result['seconds']} s |")
w("")
w("## Summary")
w("")
w("| goal | measured | |")
w("|---|---|---|")
def on_one(xs):
    return max((x["watches"] for x in xs if x["connects_after_watching"] == 1), default=0)
dflt = on_one(x for x in watches if x["server"] == "default" and not x["max_streams"])
most = max(watches, key=lambda x: x["watches"] if x["connects_after_watching"] == 1 else 0)
w(f"| one TLS connection carries >= 100 concurrent watches | {dflt} on 1 connection as shipped "
  f"(server limit {env['SERVER_STREAMS']} streams); {most['watches']} on 1 with server limit "
  f"{most['server_max_streams']} and client max streams {most['max_streams'] or 100} | "
  f"{'met' if dflt >= 100 else 'NOT met'} |")
w(f"| stream parser >= 50,000 events/s on one core | {stream['events_per_second']:,} events/s "
  f"({stream['kb_per_event']} KB events) | {'met' if stream['events_per_second'] >= 50000 else 'NOT met'} |")
c0 = cache[0]
w(f"| RSS with {n_obj:,} cached ~2 KB objects < 40 MB | {mb(c0['rss_kb'])} (page size "
  f"{c0['page_size']}), {mb(cache[-1]['rss_kb'])} (page size {cache[-1]['page_size']}) | "
  f"{'met' if c0['rss_kb'] < 40 * 1024 else 'NOT met with the default page size'} |")
w(f"| bytes per cached object | {c0['store_bytes_per_object']:.0f} B of JSON in the store, "
  f"{c0['heap_in_use_per_object']:.0f} B of heap, {c0['rss_delta_per_object']:.0f} B of RSS | |")
w("")
w("## 1. Watches on one kube_client")
w("")
w("N ConfigMap informers on one client, each with its own label selector, all synced and "
  "watching; after a 2 s settle the client's connection count (`kube_client_connects`) and the "
  "established TCP connections the process holds to the server. Then a second client creates "
  "one matching ConfigMap per selector and every informer must receive its ADD over its "
  "watch (no watch may have been restarted). `client max streams` is "
  "CURLMOPT_MAX_CONCURRENT_STREAMS (libcurl's default is 100), set by the tool on the "
  "client's multi handle; the server's limit is read from its HTTP/2 SETTINGS frame.")
w("")
w("| watches | server streams/conn | client max streams | connections opened | open after settle | informers that got their event | needed |")
w("|---:|---:|---:|---:|---:|---:|---:|")
for x in watches:
    limit = int(x["server_max_streams"]) if x["server_max_streams"].isdigit() else 10**9
    cap = min(limit, x["max_streams"] or 100)
    need = -(-x["watches"] // cap)
    w(f"| {x['watches']} | {x['server_max_streams']} | {x['max_streams'] or 'default (100)'} | "
      f"{x['connects_after_watching']} | {x['open_connections_watching']} | "
      f"{x['informers_with_event']}/{x['watches']} | {need} |")
w("")
w("## 2. Memory with cached custom objects")
w("")
w(f"{n_obj:,} Widgets (bench.dbaas.dev/v1, test/bench/widgets-crd.yaml) in one namespace, "
  f"created by `bench-cache create` (" + (f"{create['created']} in {create['seconds']:.1f} s, "
  f"{create['per_second']:.0f}/s, 32 requests in flight" if create['created'] else
  f"all {create['existed']} already there") + "). Object size as served: "
  f"{sizes['served_compact_bytes_per_object']} B of compact JSON with managedFields "
  f"(`kubectl get --raw`), {sizes['kubectl_json_bytes_per_object']} B pretty-printed without "
  f"managedFields (`kubectl get -o json`); as stored after the informer's transform "
  f"(managedFields dropped): {sizes['stored_bytes_per_object']:.0f} B.")
w("")
w("One Widget informer in a fresh process; `before` is measured after one request has opened "
  "the TLS connection, `synced` half a second after the informer's synced signal.")
w("")
w("| page size | objects | store bytes | per object | RSS before | RSS synced | VmHWM | RssAnon before → synced | RSS delta / object | heap in use / object | free heap held by malloc | RSS after malloc_trim | list time |")
w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for x in cache:
    w(f"| {x['page_size']} | {x['objects']} | {x['store_bytes']:,} | {x['store_bytes_per_object']:.0f} B | "
      f"{mb(x['rss_before_kb'])} | {mb(x['rss_kb'])} | {mb(x['hwm_kb'])} | "
      f"{mb(x['rss_anon_before_kb'])} → {mb(x['rss_anon_kb'])} | {x['rss_delta_per_object']:.0f} B | "
      f"{x['heap_in_use_per_object']:.0f} B | {x['heap_free_held'] / 1048576:.1f} MB | "
      f"{mb(x['rss_after_trim_kb'])} | {x['list_seconds']:.2f} s |")
w("")
w("RSS includes about 10 MB of shared library pages (RSS before minus RssAnon before: libcurl, "
  "OpenSSL, nghttp2 and the rest), the same in any process that links them.")
w("")
w("## 3. Watch-stream parser")
w("")
w(f"`make bench-stream`: `{stream['line']}`")
w("")
w(f"Watch-event throughput end to end (API server to handler) is not measured: the server "
  f"accepts about {create['per_second']:.0f} writes/s here (the Widget creates above), far "
  f"below the parser's rate, so such a number would measure the apiserver and etcd." if create['created'] else
  "Watch-event throughput end to end (API server to handler) is not measured.")
w("")
with open(env["OUT_MD"], "w") as f:
    f.write("\n".join(out))
    f.write(open(f"{work}/analysis.md").read())
EOF
log "done in $((SECONDS - t_start)) s"
