#!/usr/bin/env python3
"""Turns the raw lines test/bench/bench.sh recorded into test/bench/RESULTS.md and results.json.

usage: report.py RAW.jsonl OUT.md OUT.json WORKDIR CONCURRENCY STEADY_SECONDS
WORKDIR may hold profile-self.txt and profile-incl.txt (callgrind_annotate output).
"""
import json
import os
import platform
import statistics
import subprocess
import sys


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine():
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    model = sh("awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo")
    versions = {}
    with open("hack/versions.env") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                versions[k] = v
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu": model,
        "kernel": platform.release(),
        "gcc": sh("gcc -dumpfullversion"),
        "libcurl": sh("curl-config --version"),
        "commit": sh("git rev-parse --short HEAD"),
        "versions": versions,
    }


def mb(kb):
    return round(kb / 1024, 1)


CP_PROCS = ("kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kwok")


def cp_use(r):
    """The machine during one timed create (bench.sh's cp_json before and after): core-seconds
    busy, the busy fraction of all cores, and each control-plane process's CPU seconds (None
    for one that was not running, or restarted in between: its count went down). None when
    the run did not record them."""
    a, b = r.get("cp0"), r.get("cp1")
    if not a or not b or not b.get("machine_total_s"):
        return None
    total = b["machine_total_s"] - a["machine_total_s"]
    busy = b["machine_busy_s"] - a["machine_busy_s"]
    use = {"busy_core_s": round(busy, 1), "busy_pct": round(100 * busy / total, 1) if total > 0 else None}
    for p in CP_PROCS:
        d = None if a.get(p) is None or b.get(p) is None else round(b[p] - a[p], 1)
        use[p] = d if d is None or d >= 0 else None
    return use


def med(xs):
    return statistics.median(xs) if xs else None


def main():
    raw, out_md, out_json, work, conc, steady_s = sys.argv[1:7]
    rows = [json.loads(line) for line in open(raw) if line.strip()]
    by = {}
    for r in rows:
        by.setdefault(r["phase"], []).append(r)
    sizes = sorted({r["n"] for r in rows if "n" in r})
    idle = by.get("idle", [{}])[0]

    summary = {"machine": machine(), "concurrency": int(conc), "idle": idle, "sizes": {}}
    for n in sizes:
        lb = [r for r in by.get("lower_bound", []) if r["n"] == n]
        cr = [r for r in by.get("create", []) if r["n"] == n]
        s = {}
        if lb and cr:
            lb_s = med([r["result"]["ready_s"] for r in lb])
            op_s = med([r["result"]["ready_s"] for r in cr])
            last = cr[-1]
            recon = last["reconciles"]
            cpu = round(last["cpu_s"] - last["cpu0_s"], 2)
            s["create"] = {
                "runs": len(cr),
                "lower_bound_s": lb_s,
                "lower_bound_runs_s": [r["result"]["ready_s"] for r in lb],
                "operator_s": op_s,
                "operator_runs_s": [r["result"]["ready_s"] for r in cr],
                "ratio": round(op_s / lb_s, 2) if lb_s else None,
                "peak_rss_mb": mb(max(r["hwm_kb"] for r in cr)),
                "rss_after_mb": mb(last["rss_kb"]),
                "anon_after_mb": mb(last.get("anon_kb", 0)),
                "cpu_s": cpu,
                "reconciles": recon,
                "cpu_s_per_1000_reconciles": round(cpu / recon * 1000, 2) if recon else None,
                "requests_by_verb": last["requests"],
                "requests_per_dbinstance": round(sum(last["requests"].values()) / n, 2),
                # The lower bound's writes less its n DBInstance creates and its one CA Secret
                # (the operator's count has no create; its CA is a one-off too).
                "lower_bound_requests_per_dbinstance":
                    round((lb[-1]["result"]["requests"] - n - 1) / n, 2) if lb else None,
                "cpu_ms_per_dbinstance": round(cpu / n * 1000, 2),
            }
            use = {"lower_bound": cp_use(lb[-1]), "operator": cp_use(last)}
            if use["lower_bound"] and use["operator"]:
                use["operator"]["dbaas-operator"] = last.get("op_window_cpu_s")
                s["create"]["machine"] = use
        for phase in ("steady", "restart", "churn", "hacluster", "dbsnapshot", "peer"):
            got = [r for r in by.get(phase, []) if r["n"] == n]
            if got:
                s[phase] = {k: v for k, v in got[-1].items() if k not in ("phase", "n")}
        rounds = [r for r in by.get("restart", []) if r["n"] == n and (r.get("plain_list") or {}).get("seconds")]
        if rounds:
            # The round of median ratio: the control plane's pace varies between rounds.
            rounds.sort(key=lambda r: r["idle_s"] / r["plain_list"]["seconds"])
            s["restart"] = {k: v for k, v in rounds[(len(rounds) - 1) // 2].items() if k not in ("phase", "n")}
            s["restart"]["rounds"] = [
                {"round": r.get("round", 1), "synced_s": r["synced_s"], "idle_s": r["idle_s"],
                 "plain_list_s": r["plain_list"]["seconds"],
                 "ratio": round(r["idle_s"] / r["plain_list"]["seconds"], 2), "writes": r["writes"],
                 "api_cpu_s": r.get("api_cpu_s"), "list_api_cpu_s": r.get("list_api_cpu_s"),
                 "api_gc_first": r.get("api_gc_first")}
                for r in sorted(rounds, key=lambda r: r.get("round", 1))]
        summary["sizes"][str(n)] = s

    with open(out_json, "w") as f:
        json.dump({"summary": summary, "raw": rows}, f, indent=1)
        f.write("\n")

    m = summary["machine"]
    v = m["versions"]
    out = []
    w = out.append
    w("# Scale and footprint: `make bench`\n")
    w("Written by `make bench` (test/bench/bench.sh, test/bench/report.py); raw numbers in "
      "`test/bench/results.json`. Reproduce with `make bench` (`BENCH_N=5000 make bench` adds N=5000).\n")
    w(f"- Machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}, Linux {m['kernel']}")
    w(f"- Built with gcc {m['gcc']} -O2, libcurl {m['libcurl'].replace('libcurl ', '')}; commit {m['commit']}")
    w(f"- Control plane: Kubernetes {v.get('KUBERNETES_VERSION')}, etcd {v.get('ETCD_VERSION')}, "
      f"kwok {v.get('KWOK_VERSION')} (one fake node; pods become Ready without running)")
    w(f"- Peer: Zalando postgres-operator {v.get('ZALANDO_VERSION', '?')} built from the Go module proxy")
    w(f"- Operator flags: `--concurrency {conc}`, JSON logs at info, metrics on; no leader election\n")

    if idle:
        w("## Idle\n")
        w(f"The operator started with no DBInstances (caches synced, queue empty): "
          f"**{mb(idle['rss_kb'])} MiB RSS** (peak {mb(idle['hwm_kb'])} MiB): "
          f"{mb(idle.get('anon_kb', 0))} MiB private (heap, stacks) and {mb(idle.get('file_kb', 0))} MiB "
          f"of mapped library pages (libcrypto, libc, libcurl and the libraries Debian's libcurl "
          f"pulls in), which other processes share; PSS {mb(idle.get('pss_kb', 0))} MiB.\n")

    w("## Create N DBInstances at once\n")
    w("Time from the first create until every DBInstance says Ready (operator), against the lower "
      "bound: the same DBInstances and the same children, rendered by the operator's own builders "
      "(TLS on, as the operator decides it for a new instance: the namespace's CA made once, a "
      "certificate issued into a <name>-tls Secret each) "
      f"and written at the same concurrency ({conc}) with no operator, until every pod is Ready. "
      "Requests are the operator's own (its metrics), reads and writes, Events included; the "
      "lower bound's are its writes less the DBInstance creates and the CA.\n")
    w("| N | lower bound | operator | ratio | peak RSS | RSS after (private) | CPU s | CPU ms / DBInstance | reconciles | CPU s / 1000 reconciles | requests / DBInstance (lower bound) |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        c = summary["sizes"][str(n)].get("create")
        if c:
            w(f"| {n} | {c['lower_bound_s']:.2f} s | {c['operator_s']:.2f} s | {c['ratio']}x | "
              f"{c['peak_rss_mb']} MiB | {c['rss_after_mb']} MiB ({c['anon_after_mb']} MiB) | {c['cpu_s']} | "
              f"{c.get('cpu_ms_per_dbinstance', '-')} | {c['reconciles']} | "
              f"{c['cpu_s_per_1000_reconciles']} | {c['requests_per_dbinstance']} "
              f"({c.get('lower_bound_requests_per_dbinstance', '-')}) |")
    w("")
    for n in sizes:
        c = summary["sizes"][str(n)].get("create")
        if c:
            verbs = ", ".join(f"{k} {v}" for k, v in sorted(c["requests_by_verb"].items()))
            w(f"- N={n}: runs {c['operator_runs_s']} s (operator), {c['lower_bound_runs_s']} s "
              f"(lower bound); API requests by verb: {verbs}")
    machines = [(n, summary["sizes"][str(n)]["create"]["machine"]) for n in sizes
                if "machine" in (summary["sizes"][str(n)].get("create") or {})]
    if machines:
        w("")
        w("Where the machine's time went in each timed create (the last run of each N): its "
          "cores' busy share over the run, and the CPU seconds of each process of the control "
          "plane and of the operator. When both runs keep the cores busy, time to Ready is the "
          "work the whole machine does, most of it the control plane's.\n")
        w("| N | run | cores busy | busy core-s | API server | etcd | controller-manager | scheduler | kwok | operator |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        for n, m in machines:
            for run, u in (("lower bound", m["lower_bound"]), ("operator", m["operator"])):
                procs = " | ".join("-" if u.get(p) is None else f"{u[p]}" for p in CP_PROCS)
                op = u.get("dbaas-operator")
                pct = "-" if u["busy_pct"] is None else f"{u['busy_pct']} %"
                w(f"| {n} | {run} | {pct} | {u['busy_core_s']} | {procs} | "
                  f"{'-' if op is None else op} |")
    below = [str(n) for n in sizes if (summary["sizes"][str(n)].get("create") or {}).get("ratio", 1) < 1]
    if below:
        w(f"- A ratio under 1 (N={', '.join(below)}) is noise, not a speed-up: both runs wait on the "
          "control plane (StatefulSet controller, volume binding, kwok), whose time varies between "
          "runs by more than the operator adds.")
    w("")

    def plain_list(rs):
        p = rs.get("plain_list")
        if not p or not p.get("seconds"):
            return "-"
        return f"{p['seconds']} s ({round(rs['idle_s'] / p['seconds'], 2)}x)"

    w(f"## Steady state ({steady_s} s, nothing changing), restart, churn\n")
    w("| N | steady writes | steady CPU s | steady RSS | restart: caches synced | restart: idle | restart: plain list (idle / list) | restart writes | RSS after restart | churn: changed | churn: all Ready | churn reconciles |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        s = summary["sizes"][str(n)]
        st, rs, ch = s.get("steady", {}), s.get("restart", {}), s.get("churn", {})
        chr_ = ch.get("result", {})
        w(f"| {n} | {st.get('writes', '-')} | {st.get('cpu_s', '-')} | {mb(st['rss_kb']) if st else '-'} MiB | "
          f"{rs.get('synced_s', '-')} s | {rs.get('idle_s', '-')} s | {plain_list(rs)} | {rs.get('writes', '-')} | "
          f"{mb(rs['rss_kb']) if rs else '-'} MiB | {chr_.get('changed', '-')} | {chr_.get('ready_s', '-')} s | "
          f"{ch.get('reconciles', '-')} |")
    w("")
    w("Restart times are the operator's own log lines \"caches synced\" and \"initial reconcile done\" "
      "(seconds since the process started); writes are every API request but GET. The plain list "
      "is the same collections the operator's informers list (with their label selectors), "
      "500 objects a page, all at once on one connection, by bench-dbi list right after: the "
      "pace the control plane sets, with no cache to build and no reconcile. Each N has "
      "BENCH_RESTARTS rounds of restart and list; the table gives the round of median ratio, "
      "and every round is below with the API server's CPU seconds during the restart (to idle) "
      "and during the list. Each starts just after a garbage collection of the API server "
      "(its pprof heap?gc=1): one cycle of its heap costs about 1.2 CPU s at N=1000, and "
      "which phase it lands in is otherwise luck.\n")
    for n in sizes:
        rr = summary["sizes"][str(n)].get("restart", {}).get("rounds", [])
        if rr:
            w(f"- N={n}: " + "; ".join(
                f"round {r['round']}: synced {r['synced_s']} s, idle {r['idle_s']} s, list "
                f"{r['plain_list_s']} s ({r['ratio']}x), {r['writes']} writes, API server CPU "
                f"{r['api_cpu_s'] if r['api_cpu_s'] is not None else '-'} s / "
                f"{r['list_api_cpu_s'] if r['list_api_cpu_s'] is not None else '-'} s"
                f"{'' if r.get('api_gc_first') != 0 else ' (no API server GC first)'}" for r in rr))
    w("")

    peers = [n for n in sizes if "peer" in summary["sizes"][str(n)]]
    if peers:
        w("## Operator cost per managed database, beside the Zalando postgres-operator\n")
        w("Not a race: the Zalando operator does more per database (Patroni-aware roles, "
          "PodDisruptionBudget, endpoints, users and teams API hooks, rolling-update logic). Both ran "
          "alone in the same kind of cluster with N databases created at once; the Zalando "
          "operator's client rate limit was raised from its 10 requests/s to the control plane's "
          "(dbaas-operator has none). Its time is from the first create by `kubectl create -f` "
          "(serial), ours from the first of 32 parallel creates.\n")
        w("| N | operator | peak RSS | RSS / database | CPU s | CPU ms / database | all StatefulSets exist | all pods Ready |")
        w("|---|---|---|---|---|---|---|---|")
        for n in peers:
            s = summary["sizes"][str(n)]
            p, c = s["peer"], s.get("create")
            pcpu = round(p["cpu_s"] - p["cpu0_s"], 2)
            w(f"| {n} | Zalando {v.get('ZALANDO_VERSION', '')} | {mb(p['hwm_kb'])} MiB | "
              f"{round(p['hwm_kb'] / n, 1)} KB | {pcpu} | {round(pcpu * 1000 / n, 2)} | {p['sts_s']} s | {p['pods_ready_s']} s |")
            if c:
                w(f"| {n} | dbaas-operator | {c['peak_rss_mb']} MiB | "
                  f"{round(c['peak_rss_mb'] * 1024 / n, 1)} KB | {c['cpu_s']} | "
                  f"{round(c['cpu_s'] * 1000 / n, 2)} | - | {c['operator_s']} s (Ready) |")
        w("")

    hacs = [n for n in sizes if "hacluster" in summary["sizes"][str(n)]]
    if hacs:
        w("## HAClusters against the same postgresql objects applied directly\n")
        w("N HAClusters of one instance created at once (`kubectl create -f`), our operator writing "
          "a `postgresql` object for each and the Zalando operator making the database, until every "
          "HACluster says Ready; against the Zalando operator alone with the same N objects "
          "(the table above), until every pod is Ready. Same run, same cluster.\n")
        w("| N | HAClusters Ready | postgresql direct | ratio | our peak RSS | our CPU s | Zalando peak RSS | Zalando CPU s | our requests / HACluster |")
        w("|---|---|---|---|---|---|---|---|---|")
        for n in hacs:
            s_ = summary["sizes"][str(n)]
            h, p = s_["hacluster"], s_.get("peer")
            direct = p["pods_ready_s"] if p else None
            w(f"| {n} | {h['ready_s']} s | {direct if direct else '-'} s | "
              f"{round(h['ready_s'] / direct, 2) if direct else '-'}x | {mb(h['op']['hwm_kb'])} MiB | "
              f"{round(h['op']['cpu_s'] - h['op']['cpu0_s'], 2)} | {mb(h['zalando']['hwm_kb'])} MiB | "
              f"{round(h['zalando']['cpu_s'] - h['zalando']['cpu0_s'], 2)} | "
              f"{round(sum(h['requests'].values()) / n, 2)} |")
        w("")

    snaps = [n for n in sizes if "dbsnapshot" in summary["sizes"][str(n)]]
    if snaps:
        w("## DBSnapshots against VolumeSnapshots made directly\n")
        w("N DBInstances on the CSI mock driver (Kubernetes' e2e mock behind the real "
          "csi-snapshotter and snapshot-controller, hack/csi.sh); a DBSnapshot of each created at "
          "once, until every one says readyToUse; then a VolumeSnapshot of each data claim created "
          "directly (same class), until every one is readyToUse. Same run.\n")
        w("| N | DBSnapshots readyToUse | VolumeSnapshots direct | ratio | operator CPU s | operator RSS |")
        w("|---|---|---|---|---|---|")
        for n in snaps:
            d = summary["sizes"][str(n)]["dbsnapshot"]
            ratio = round(d["ours_s"] / d["direct_s"], 2) if d["direct_s"] else "-"
            w(f"| {n} | {d['ours_s']} s | {d['direct_s']} s | {ratio}x | {d['cpu_s']} | {mb(d['rss_kb'])} MiB |")
        w("")

    # The chart's data (bench.sh draws scale.png from it with gnuplot): one line per N.
    rows = []
    for n in sizes:
        s = summary["sizes"][str(n)]
        c, p = s.get("create"), s.get("peer")
        if c:
            rows.append([n, c["operator_s"], c["lower_bound_s"], c["peak_rss_mb"],
                         p["pods_ready_s"] if p else "NaN", round(p["hwm_kb"] / 1024, 1) if p else "NaN"])
    with open(os.path.join(work, "scale.csv"), "w") as f:
        f.write("n,operator_s,lower_bound_s,operator_rss_mib,zalando_ready_s,zalando_rss_mib\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")
    if len(rows) > 1:
        w("## Against N\n")
        w("![Time to Ready and peak RSS against N, dbaas-operator and the Zalando operator](scale.png)\n")

    changes = os.path.join(os.path.dirname(out_md), "CHANGES.md")
    if os.path.exists(changes):
        w("## Changes, before and after\n")
        w(open(changes).read().rstrip() + "\n")

    for name, title in (("profile-self.txt", "self cost"), ("profile-incl.txt", "inclusive cost")):
        path = os.path.join(work, name)
        if os.path.exists(path) and os.path.getsize(path):
            w(f"## Where the CPU goes: callgrind, 100 DBInstances created ({title})\n")
            w("```")
            w(open(path).read().rstrip())
            w("```\n")

    with open(out_md, "w") as f:
        f.write("\n".join(out).rstrip() + "\n")


if __name__ == "__main__":
    main()
