#!/usr/bin/env python3
"""Spec fuzzing against the real API server (issue 16, section 3): creates the DBInstances of
specgen.py in one namespace, waits until their status stops changing, and checks each ends in
one of three honest outcomes:

  refused   the server refused the creation with a message (HTTP 4xx, non-empty message);
  ready     Ready=True;
  failed    Ready=False, and the condition that explains it (Degraded when True, else Ready
            unless its reason is the plain "Provisioning", else Progressing) has a reason and
            a message that names the field the mutation touched: the message contains the
            field's path ("spec.storage.size", or without "spec.") or its last key as a word
            ("size", "nodeSelector"), case-insensitively. Only "fixed" and "mutant" objects
            may end here; a "valid" one must be Ready (or its failure is a finding too).
A "fixed" case (specgen.FIXED) must also end in the one outcome it expects. A finding listed
in specgen.OPEN (known, not fixed yet) is printed as OPEN and does not fail the run.

    specfuzz.py --kubeconfig F --namespace NS --seed S --count N [--timeout T] [--stable S]
                [--report FILE]

Prints one line per finding and a summary (counts by outcome and reason, the time to
converge); exits 1 on any finding, 2 when the objects did not converge within the timeout.
A creation is sent as kubectl does (fieldValidation=Strict). Standard library and PyYAML
(python3-yaml, from hack/install-deps.sh) only.
"""
import argparse
import base64
import collections
import http.client
import json
import os
import re
import ssl
import sys
import tempfile
import time
import urllib.parse

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import specgen  # noqa: E402

GROUP_PATH = "/apis/dbaas.dev/v1alpha1/namespaces/%s/dbinstances"


class Client:
    """One keep-alive HTTPS connection to the API server of a kubeconfig (client certificate)."""

    def __init__(self, path):
        with open(path) as f:
            kc = yaml.safe_load(f)
        ctx = next(c["context"] for c in kc["contexts"] if c["name"] == kc["current-context"])
        cluster = next(c["cluster"] for c in kc["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in kc["users"] if u["name"] == ctx["user"])
        self.dir = tempfile.mkdtemp()
        files = {}
        for key in ("certificate-authority", "client-certificate", "client-key"):
            src = cluster if key == "certificate-authority" else user
            if key + "-data" in src:
                files[key] = os.path.join(self.dir, key)
                with open(files[key], "wb") as f:
                    f.write(base64.b64decode(src[key + "-data"]))
            else:
                files[key] = src[key]
        self.ssl = ssl.create_default_context(cafile=files["certificate-authority"])
        self.ssl.load_cert_chain(files["client-certificate"], files["client-key"])
        for p in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, p))
        os.rmdir(self.dir)
        u = urllib.parse.urlparse(cluster["server"])
        self.host, self.port = u.hostname, u.port or 443
        self.conn = None

    def request(self, method, path, body=None):
        for attempt in range(3):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ssl, timeout=60)
            try:
                data = None if body is None else body.encode()
                hdrs = {"Content-Type": "application/json", "Accept": "application/json"}
                self.conn.request(method, path, body=data, headers=hdrs)
                r = self.conn.getresponse()
                return r.status, r.read().decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(1)
        return 0, ""


def cond(obj, typ):
    for c in obj.get("status", {}).get("conditions", []) or []:
        if c.get("type") == typ:
            return c
    return None


def explaining(obj):
    """The condition that says why a not-Ready object is not Ready (see the module doc)."""
    ready, degraded, progressing = cond(obj, "Ready"), cond(obj, "Degraded"), cond(obj, "Progressing")
    if degraded and degraded.get("status") == "True":
        return degraded
    if ready and ready.get("reason") != "Provisioning":
        return ready
    if progressing and progressing.get("status") == "True" and progressing.get("reason") != "Provisioning":
        return progressing
    return ready


def names_field(message, field):
    """Whether message names field: its path (with or without "spec.") or its last key."""
    m = message.lower()
    f = field.lower()
    if f in m or (f.startswith("spec.") and f[5:] in m):
        return True
    last = f.split(".")[-1]
    return re.search(r"(?<![a-z0-9_-])%s(?![a-z0-9_])" % re.escape(last), m) is not None


def snapshot(objs):
    """What must stop changing: per object, generations and every condition."""
    out = {}
    for o in objs:
        st = o.get("status", {}) or {}
        conds = tuple(sorted((c.get("type"), c.get("status"), c.get("reason"), c.get("message"))
                             for c in st.get("conditions", []) or []))
        out[o["metadata"]["name"]] = (o["metadata"].get("generation"), st.get("observedGeneration"), conds)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"))
    ap.add_argument("--namespace", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--timeout", type=int, default=600, help="seconds to wait for convergence")
    # Longer than DBI_CLAIM_QUIET_S (30 s, pkg-c/dbi/dbi_stuck.h): a claim that never binds
    # says nothing in status for that long, and then ClaimPending.
    ap.add_argument("--stable", type=int, default=40, help="seconds without a status change")
    ap.add_argument("--report", help="write every object's outcome here (JSON lines)")
    a = ap.parse_args()

    cases = specgen.generate(a.seed, a.count, "f")
    cl = Client(a.kubeconfig)
    base = GROUP_PATH % a.namespace
    t0 = time.monotonic()
    refused = {}
    findings = []
    for c in cases:
        code, text = cl.request("POST", base + "?fieldValidation=Strict", json.dumps(c["body"]))
        if code in (200, 201):
            continue
        try:
            msg = json.loads(text).get("message", "")
        except ValueError:
            msg = text
        if not (400 <= code < 500) or not msg.strip():
            findings.append((c, "refused with HTTP %d and message %r" % (code, msg[:200])))
        elif c["class"] == "valid":
            findings.append((c, "a valid object was refused: %s" % msg[:300]))
        refused[c["name"]] = (code, msg)
    t_created = time.monotonic() - t0

    accepted = [c for c in cases if c["name"] not in refused]
    want = {c["name"] for c in accepted}
    last, since, converged = None, time.monotonic(), None
    items = []
    while time.monotonic() - t0 < a.timeout:
        code, text = cl.request("GET", base)
        if code != 200:
            time.sleep(2)
            continue
        items = [o for o in json.loads(text).get("items", []) if o["metadata"]["name"] in want]
        snap = snapshot(items)
        # Waiting for a claim (Progressing/ClaimPending) is not an end: it turns Degraded
        # (ClaimNotBound) once the pod has waited DBI_CLAIM_BIND_S (60 s, pkg-c/dbi/dbi_stuck.h).
        settled = len(items) == len(want) and all(
            v[1] is not None and v[0] == v[1] and v[2] and
            not any(t == "Progressing" and st == "True" and r == "ClaimPending" for t, st, r, _ in v[2])
            for v in snap.values())
        if snap != last or not settled:
            last, since = snap, time.monotonic()
        elif time.monotonic() - since >= a.stable:
            converged = since - t0
            break
        time.sleep(2)
    by_name = {o["metadata"]["name"]: o for o in items}

    outcomes = collections.Counter()
    reasons = collections.Counter()
    report = []
    for c in cases:
        name = c["name"]
        if c.get("expect"):
            o = by_name.get(name)
            got = "refused" if name in refused else (
                "ready" if o and (cond(o, "Ready") or {}).get("status") == "True" else "failed")
            if got != c["expect"]:
                findings.append((c, "ended %s, want %s" % (got, c["expect"])))
        if name in refused:
            outcomes["refused"] += 1
            report.append({"name": name, "class": c["class"], "field": c["field"], "note": c["note"],
                           "outcome": "refused", "code": refused[name][0], "message": refused[name][1]})
            continue
        o = by_name.get(name)
        ready = cond(o, "Ready") if o else None
        if ready and ready.get("status") == "True":
            outcomes["ready"] += 1
            report.append({"name": name, "class": c["class"], "field": c["field"], "note": c["note"],
                           "outcome": "ready"})
            continue
        why = explaining(o) if o else None
        reason = (why or {}).get("reason", "")
        msg = (why or {}).get("message", "")
        outcomes["failed"] += 1
        reasons["%s/%s" % ((why or {}).get("type", "-"), reason or "-")] += 1
        report.append({"name": name, "class": c["class"], "field": c["field"], "note": c["note"],
                       "outcome": "failed", "type": (why or {}).get("type"), "reason": reason, "message": msg})
        if c["class"] == "valid":
            findings.append((c, "a valid object is not Ready: %s %s: %s" % ((why or {}).get("type"), reason, msg)))
        elif not reason or not msg:
            findings.append((c, "not Ready without a reason and a message (%r, %r)" % (reason, msg)))
        elif not names_field(msg, c["field"]):
            findings.append((c, "the message does not name %s: %s: %s" % (c["field"], reason, msg)))

    if a.report:
        with open(a.report, "w") as f:
            for r in report:
                f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
    still_open = [(c, w) for c, w in findings if (c["field"], c["note"]) in specgen.OPEN]
    findings = [(c, w) for c, w in findings if (c["field"], c["note"]) not in specgen.OPEN]
    for c, what in still_open:
        print("OPEN %s (%s: %s): %s" % (c["name"], c["field"], c["note"], what))
    for c, what in findings:
        print("FINDING %s (%s, %s: %s): %s" % (c["name"], c["class"], c["field"] or "-", c["note"], what))
    classes = collections.Counter(c["class"] for c in cases)
    print("spec-fuzz: seed %d, %d objects (%s)" % (a.seed, len(cases), ", ".join(
        "%d %s" % (n, k) for k, n in sorted(classes.items()))))
    print("spec-fuzz: created in %.1f s; %d refused by the server, %d Ready, %d Ready=False" % (
        t_created, outcomes["refused"], outcomes["ready"], outcomes["failed"]))
    for r, n in sorted(reasons.items(), key=lambda x: (-x[1], x[0])):
        print("spec-fuzz:   Ready=False explained by %s: %d" % (r, n))
    if converged is None:
        print("spec-fuzz: did not converge within %d s" % a.timeout)
        return 2
    print("spec-fuzz: converged %.1f s after the first creation (status unchanged for %d s after)" % (
        converged, a.stable))
    print("spec-fuzz: %d findings, %d of the open ones (specgen.OPEN)" % (len(findings), len(still_open)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
