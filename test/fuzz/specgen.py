#!/usr/bin/env python3
"""Generates DBInstances for spec fuzzing against the real API server (issue 16, section 3).

    specgen.py --seed S --count N [--prefix P]   one JSON object a line on stdout

Each line is {"name", "class", "field", "note", "body"} (and "expect" for "fixed"): class "valid" (the server must admit
it and the operator must make it Ready), "mutant" (a valid object with one part changed:
wrong types, boundary lengths, odd quantities, unicode, huge maps; any honest outcome is
allowed) or "fixed" (the cases of FIXED below, regressions and findings, always first);
field is the spec path the mutation touched ("spec.storage.size"), which a Ready=False
message must name (test/fuzz/specfuzz.py). The same seed and count give the same lines.
Only the standard library: it runs wherever the integration tests run.
"""
import argparse
import json
import random
import string

# Every engine and version series the operator runs (pkg-c/dbi/dbi_version.c), in the forms
# the CRD allows: major or major.minor for PostgreSQL, major.minor(.patch) for the others.
VERSIONS = {
    "postgresql": ["13", "14", "15", "16", "17", "18", "16.4", "17.2"],
    "mysql": ["8.0", "8.4", "8.4.3", "9.1", "9.7"],
    "mariadb": ["10.6", "10.11", "11.4", "11.8", "11.4.4"],
}
ENGINES = sorted(VERSIONS)
SIZES = ["1Gi", "512Mi", "2G", "1.5Gi", "1Mi", "3Gi", "100M"]
CPUS = ["100m", "250m", "0.5", "1", 2, "1500m"]
MEMS = ["128Mi", "256Mi", "1Gi", "512M", 1073741824]
PARAMS = {
    "postgresql": {"max_connections": "50", "work_mem": "8MB", "log_min_duration_statement": "250"},
    "mysql": {"max_connections": "50", "innodb_buffer_pool_size": "134217728", "slow_query_log": "ON"},
    "mariadb": {"max_connections": "50", "innodb_buffer_pool_size": "134217728", "slow_query_log": "ON"},
}

# Known inputs, kept forever (each a finding of this fuzzer or a boundary worth pinning):
# (suffix, field, note, engine, patch, expect), patch applied to a valid spec by apply_patch;
# expect is the one outcome allowed (specfuzz.py: refused, ready or failed).
FIXED = [
    # Found: the scheduler's message named no field (dbi_stuck now leads with the fields).
    ("size-10pi", "spec.storage.size", "a volume no PV can hold", "postgresql",
     {"storage": {"size": "10Pi"}}, "failed"),
    ("class-none", "spec.storage.storageClassName", "a StorageClass that does not exist",
     "mysql", {"storage": {"storageClassName": "no-such-class"}}, "failed"),
    ("node-sel", "spec.podTemplate.nodeSelector", "no node has the label", "mariadb",
     {"podTemplate": {"nodeSelector": {"disk": "ssd"}}}, "failed"),
    ("cpu-2e3", "spec.resources.requests.cpu", "2e3 CPUs, more than the node (1000)", "mariadb",
     {"resources": {"requests": {"cpu": "2e3"}}}, "failed"),
    # Found: a label value the pod cannot carry reached the StatefulSet (now the CRD's pattern).
    ("label-value", "spec.podTemplate.labels", "a label value starting with _", "postgresql",
     {"podTemplate": {"labels": {"team": "_x"}}}, "refused"),
    ("node-sel-value", "spec.podTemplate.nodeSelector", "a label value with a space", "mysql",
     {"podTemplate": {"nodeSelector": {"disk": "s s"}}}, "refused"),
    # Found: the API server answers 500 for an unknown field in a kept-as-given part; the
    # operator retried forever and wrote no status (now ApplyFailed, ctrl_write_refused).
    ("affinity-key", "spec.podTemplate.affinity.nodeAffinity", "an unknown key", "mysql",
     {"podTemplate": {"affinity": {"nodeAffinity": {"sometimes": {"x": 1}}}}}, "failed"),
    # Found: a DBSnapshot to restore from that does not exist; the wait named no field.
    ("restore-none", "spec.restoreFrom.snapshot", "a DBSnapshot that does not exist", "mariadb",
     {"restoreFrom": {"snapshot": "no-such-snap"}}, "failed"),
    # Found: hugepages requested without an equal limit reached the StatefulSet (now CEL).
    ("hugepages", "spec.resources.requests.hugepages-2Mi", "hugepages without a limit", "postgresql",
     {"resources": {"requests": {"hugepages-2Mi": "2Mi", "memory": "1Gi"}}}, "refused"),
    ("stopped", "spec.stopped", "stopped from the start", "postgresql", {"stopped": True}, "failed"),
    # Found: the StatefulSet controller could not create the pod (no such PriorityClass) and
    # said so only in a FailedCreate Event; the instance stayed Provisioning (now
    # PodCreateFailed, dbi_stuck_create, from the Events ctrl_watch_about watches).
    ("priority-none", "spec.podTemplate.priorityClassName", "a PriorityClass that does not exist",
     "postgresql", {"podTemplate": {"priorityClassName": "no-such-priority"}}, "failed"),
]

# Findings not fixed yet, (field, note) -> why: specfuzz.py reports them as OPEN and does not
# fail on them. Each is a bug to fix; remove it here with the fix.
OPEN = {}


def ident(rng, lo=1, hi=20):
    first = rng.choice(string.ascii_letters + "_")
    rest = "".join(rng.choice(string.ascii_letters + string.digits + "_") for _ in range(rng.randint(lo, hi) - 1))
    return first + rest


def valid_spec(rng, engine):
    """A spec the schema admits and the operator runs on the local cluster (kwok node)."""
    spec = {"engine": engine, "version": rng.choice(VERSIONS[engine]), "database": ident(rng)}
    if rng.random() < 0.5:
        user = ident(rng, 3, 16)
        while user.lower() in ("root", "postgres") or user.startswith("pg_"):
            user = ident(rng, 3, 16)
        spec["username"] = user
    if rng.random() < 0.6:
        spec["storage"] = {"size": rng.choice(SIZES)}
    if rng.random() < 0.5:
        req = {"cpu": rng.choice(CPUS), "memory": rng.choice(MEMS)}
        spec["resources"] = {"requests": req}
        if rng.random() < 0.5:
            spec["resources"]["limits"] = {"cpu": "4", "memory": "8Gi"}
    if rng.random() < 0.5:
        keys = rng.sample(sorted(PARAMS[engine]), rng.randint(1, len(PARAMS[engine])))
        spec["parameters"] = {k: PARAMS[engine][k] for k in keys}
    if rng.random() < 0.3:
        spec["service"] = {"type": rng.choice(["ClusterIP", "NodePort", "LoadBalancer"])}
    if rng.random() < 0.3:
        spec["deletionPolicy"] = rng.choice(["Delete", "Retain"])
    if rng.random() < 0.3:
        spec["tls"] = {"enabled": rng.random() < 0.5}
    if rng.random() < 0.3:
        spec["podTemplate"] = {"labels": {"team": "".join(rng.choice(string.ascii_lowercase) for _ in range(8))},
                               "annotations": {"example.com/owner": "fuzz ✓"},
                               "tolerations": [{"key": "k", "operator": "Exists"}]}
    if rng.random() < 0.2:
        spec["securityContext"] = {"runAsUser": rng.randint(1, 65535), "fsGroup": 999}
    if rng.random() < 0.2:
        spec["networkPolicy"] = {"enabled": True, "allowFrom": [{"podSelector": {"matchLabels": {"app": "web"}}}]}
    return spec


def big_map(rng, n, klen, vlen, prefix="k"):
    return {"%s%03d%s" % (prefix, i, "x" * max(0, klen - len(prefix) - 3)): "v" * vlen for i in range(n)}


def mutations(rng, engine):
    """(field, note, patch) candidates for one engine; patch None deletes the key."""
    other = "mysql" if engine == "postgresql" else "postgresql"
    m = [
        # engine and version
        ("spec.engine", "unknown engine", {"engine": "postgres"}),
        ("spec.engine", "wrong case", {"engine": engine.upper()}),
        ("spec.engine", "integer", {"engine": 1}),
        ("spec.engine", "fullwidth unicode", {"engine": "ｐｏｓｔｇｒｅｓｑｌ"}),
        ("spec.version", "empty", {"version": ""}),
        ("spec.version", "integer", {"version": 16}),
        ("spec.version", "leading zero", {"version": "016"}),
        ("spec.version", "trailing dot", {"version": "16."}),
        ("spec.version", "unsupported series", {"version": "12" if engine == "postgresql" else "5.7"}),
        ("spec.version", "future series", {"version": "99" if engine == "postgresql" else "99.1"}),
        ("spec.version", "32 characters", {"version": "1" * 32}),
        ("spec.version", "33 characters", {"version": "1" * 33}),
        ("spec.version", "unicode digits", {"version": "１６"}),
        ("spec.version", "four parts", {"version": "8.4.3.1"}),
        ("spec.version", "the other engine's version", {"version": VERSIONS[other][0]}),
        # identifiers
        ("spec.database", "63 characters", {"database": "d" * 63}),
        ("spec.database", "64 characters", {"database": "d" * 64}),
        ("spec.database", "starts with a digit", {"database": "1db"}),
        ("spec.database", "unicode", {"database": "dätabase"}),
        ("spec.database", "system database", {"database": "template1" if engine == "postgresql" else "MySQL"}),
        ("spec.database", "missing", {"database": None}),
        ("spec.database", "list", {"database": ["app"]}),
        ("spec.username", "superuser", {"username": "postgres" if engine == "postgresql" else "ROOT"}),
        ("spec.username", "pg_ prefix", {"username": "pg_app"}),
        ("spec.username", "32 characters", {"username": "u" * 32}),
        ("spec.username", "33 characters", {"username": "u" * 33}),
        ("spec.username", "63 characters", {"username": "u" * 63}),
        ("spec.username", "unicode", {"username": "üser"}),
        # quantities
        ("spec.storage.size", "1.5Gi", {"storage": {"size": "1.5Gi"}}),
        ("spec.storage.size", "zero", {"storage": {"size": "0"}}),
        ("spec.storage.size", "negative", {"storage": {"size": "-1"}}),
        ("spec.storage.size", "exponent", {"storage": {"size": "1e3"}}),
        ("spec.storage.size", "1Mi, the least", {"storage": {"size": "1Mi"}}),
        ("spec.storage.size", "under 1Mi", {"storage": {"size": "1048575"}}),
        ("spec.storage.size", "10Pi", {"storage": {"size": "10Pi"}}),
        ("spec.storage.size", "huge number", {"storage": {"size": "9" * 30}}),
        ("spec.storage.size", "integer", {"storage": {"size": 5}}),
        ("spec.storage.size", "trailing space", {"storage": {"size": "1Gi "}}),
        ("spec.storage.size", "unicode digit", {"storage": {"size": "１Gi"}}),
        ("spec.storage.size", "milli", {"storage": {"size": "1500m"}}),
        ("spec.storage.storageClassName", "no such class", {"storage": {"storageClassName": "no-such-class"}}),
        ("spec.storage.storageClassName", "not a name", {"storage": {"storageClassName": "Not A Name"}}),
        ("spec.resources.requests.cpu", "1.5Gi as cpu", {"resources": {"requests": {"cpu": "1.5Gi"}}}),
        ("spec.resources.requests.cpu", "zero", {"resources": {"requests": {"cpu": "0"}}}),
        ("spec.resources.requests.cpu", "negative", {"resources": {"requests": {"cpu": "-1"}}}),
        ("spec.resources.requests.cpu", "1e4, more than the node", {"resources": {"requests": {"cpu": "1e4"}}}),
        ("spec.resources.requests.cpu", "fraction as a number", {"resources": {"requests": {"cpu": 0.5}}}),
        ("spec.resources.requests.cpu", ".5", {"resources": {"requests": {"cpu": ".5"}}}),
        ("spec.resources.requests.memory", "10Pi", {"resources": {"requests": {"memory": "10Pi"}}}),
        ("spec.resources.requests.memory", "nano", {"resources": {"requests": {"memory": "1n"}}}),
        ("spec.resources.requests.memory", "exceeds the limit",
         {"resources": {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}}),
        ("spec.resources.limits.cpu", "64 characters", {"resources": {"limits": {"cpu": "1" * 64}}}),
        ("spec.resources.limits.cpu", "65 characters", {"resources": {"limits": {"cpu": "1" * 65}}}),
        ("spec.resources.requests.gpu", "unknown resource", {"resources": {"requests": {"gpu": "1"}}}),
        ("spec.resources.requests.example.com/widget", "extended resource the node lacks",
         {"resources": {"requests": {"example.com/widget": "1"}, "limits": {"example.com/widget": "1"}}}),
        ("spec.resources.requests.hugepages-2Mi", "hugepages without a limit",
         {"resources": {"requests": {"hugepages-2Mi": "2Mi"}}}),
        ("spec.resources.requests", "nine keys, over maxProperties",
         {"resources": {"requests": {"cpu": "1", "memory": "1Gi", **{"x.io/r%d" % i: "1" for i in range(7)}}}}),
        # maps near their limits
        ("spec.parameters", "256 values of 1024 characters",
         {"parameters": {"custom.p%03d" % i: "v" * 1024 for i in range(256)}}),
        ("spec.parameters", "257 values", {"parameters": {"custom.p%03d" % i: "1" for i in range(257)}}),
        ("spec.parameters.custom.long", "1025 characters", {"parameters": {"custom.long": "v" * 1025}}),
        ("spec.parameters.custom.uni", "unicode value", {"parameters": {"custom.uni": "ünïcødé ✓ '\"\\"}}),
        ("spec.parameters.custom.nl", "newline in a value", {"parameters": {"custom.nl": "a\nport = 1"}}),
        ("spec.parameters", "unicode name", {"parameters": {"pärameter": "1"}}),
        ("spec.parameters", "space in a name", {"parameters": {"max connections": "1"}}),
        ("spec.parameters.port", "managed parameter", {"parameters": {"port": "1234"}}),
        ("spec.parameters.custom.n", "integer value", {"parameters": {"custom.n": 5}}),
        ("spec.parameters.custom.e", "empty value", {"parameters": {"custom.e": ""}}),
        ("spec.parameters", "a list", {"parameters": ["max_connections=5"]}),
        ("spec.podTemplate.labels", "32 labels of 63 characters",
         {"podTemplate": {"labels": big_map(rng, 32, 40, 63, "l")}}),
        ("spec.podTemplate.labels", "33 labels", {"podTemplate": {"labels": big_map(rng, 33, 8, 1, "l")}}),
        ("spec.podTemplate.labels", "a key that is not a label key", {"podTemplate": {"labels": {"bad key!": "x"}}}),
        ("spec.podTemplate.labels", "a value that is not a label value", {"podTemplate": {"labels": {"team": "ünï"}}}),
        ("spec.podTemplate.labels", "the operator's label", {"podTemplate": {"labels": {"app.kubernetes.io/name": "x"}}}),
        ("spec.podTemplate.annotations", "32 annotations of 4096 characters",
         {"podTemplate": {"annotations": big_map(rng, 32, 20, 4096, "a")}}),
        ("spec.podTemplate.annotations", "a key that is not a key", {"podTemplate": {"annotations": {"a b": "x"}}}),
        ("spec.podTemplate.annotations", "the operator's prefix", {"podTemplate": {"annotations": {"dbaas.dev/x": "1"}}}),
        ("spec.podTemplate.nodeSelector", "no node has it", {"podTemplate": {"nodeSelector": {"disk": "ssd"}}}),
        ("spec.podTemplate.tolerations", "unknown operator",
         {"podTemplate": {"tolerations": [{"key": "k", "operator": "Bogus"}]}}),
        ("spec.podTemplate.tolerations", "tolerationSeconds with NoSchedule",
         {"podTemplate": {"tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule",
                                           "tolerationSeconds": 5}]}}),
        ("spec.podTemplate.tolerations", "33 tolerations",
         {"podTemplate": {"tolerations": [{"key": "k%d" % i, "operator": "Exists"} for i in range(33)]}}),
        ("spec.podTemplate.affinity.nodeAffinity", "no terms",
         {"podTemplate": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                                                        {"nodeSelectorTerms": []}}}}}),
        ("spec.podTemplate.affinity.nodeAffinity", "unknown fields",
         {"podTemplate": {"affinity": {"nodeAffinity": {"sometimes": {"x": 1}}}}}),
        ("spec.podTemplate.affinity", "a string", {"podTemplate": {"affinity": "anywhere"}}),
        ("spec.podTemplate.topologySpreadConstraints", "maxSkew 0",
         {"podTemplate": {"topologySpreadConstraints": [{"maxSkew": 0, "topologyKey": "zone",
                                                         "whenUnsatisfiable": "DoNotSchedule"}]}}),
        ("spec.podTemplate.topologySpreadConstraints", "a bad labelSelector",
         {"podTemplate": {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone",
                                                         "whenUnsatisfiable": "ScheduleAnyway",
                                                         "labelSelector": {"matchLabels": {"bad key!": "x"}}}]}}),
        ("spec.podTemplate.priorityClassName", "no such class", {"podTemplate": {"priorityClassName": "no-such-priority"}}),
        ("spec.podTemplate.imagePullSecrets", "an empty name", {"podTemplate": {"imagePullSecrets": [{"name": ""}]}}),
        ("spec.podTemplate.imagePullSecrets", "a Secret that does not exist",
         {"podTemplate": {"imagePullSecrets": [{"name": "no-such-secret"}]}}),
        ("spec.podTemplate", "a list", {"podTemplate": []}),
        # other parts
        ("spec.service.type", "ExternalName", {"service": {"type": "ExternalName"}}),
        ("spec.service.type", "lower case", {"service": {"type": "nodeport"}}),
        ("spec.deletionPolicy", "unknown", {"deletionPolicy": "Keep"}),
        ("spec.deletionPolicy", "Snapshot", {"deletionPolicy": "Snapshot"}),
        ("spec.securityContext.runAsUser", "root", {"securityContext": {"runAsUser": 0}}),
        ("spec.securityContext.runAsUser", "over int32", {"securityContext": {"runAsUser": 2147483648}}),
        ("spec.securityContext.runAsUser", "a string", {"securityContext": {"runAsUser": "999"}}),
        ("spec.tls.secretName", "a Secret that does not exist", {"tls": {"enabled": True, "secretName": "no-such-tls"}}),
        ("spec.tls.secretName", "set while disabled", {"tls": {"enabled": False, "secretName": "x"}}),
        ("spec.tls.mode", "unknown mode", {"tls": {"mode": "prefer"}}),
        ("spec.image", "another engine's image", {"image": "docker.io/library/nginx:1.25"}),
        ("spec.image", "another major version",
         {"image": "postgres:12.1" if engine == "postgresql" else "%s:5.5" % engine}),
        ("spec.image", "512 characters", {"image": "r/" + "i" * 510}),
        ("spec.image", "513 characters", {"image": "r/" + "i" * 511}),
        ("spec.image", "a digest", {"image": "%s@sha256:%s" % (engine.replace("postgresql", "postgres"), "0" * 64)}),
        ("spec.image", "unicode", {"image": "pöstgres:16"}),
        ("spec.backup.schedule", "minute 61", {"backup": {"schedule": "61 * * * *"}}),
        ("spec.backup.schedule", "@every", {"backup": {"schedule": "@every 1h"}}),
        ("spec.backup.schedule", "four fields", {"backup": {"schedule": "0 3 * *"}}),
        ("spec.backup.timeZone", "no such zone", {"backup": {"schedule": "@daily", "timeZone": "Mars/Olympus"}}),
        ("spec.backup.timeZone", "dot dot", {"backup": {"schedule": "@daily", "timeZone": "../etc"}}),
        ("spec.backup.keep", "zero", {"backup": {"schedule": "@daily", "keep": 0}}),
        ("spec.credentialsSecretRef.name", "a Secret that does not exist", {"credentialsSecretRef": {"name": "no-such-secret"}}),
        ("spec.restoreFrom.snapshot", "a DBSnapshot that does not exist", {"restoreFrom": {"snapshot": "no-such-snap"}}),
        ("spec.networkPolicy.allowFrom", "a peer without selectors",
         {"networkPolicy": {"enabled": True, "allowFrom": [{}]}}),
        ("spec.networkPolicy.allowFrom.podSelector", "a bad podSelector",
         {"networkPolicy": {"enabled": True, "allowFrom": [{"podSelector": {"matchLabels": {"bad key!": "x"}}}]}}),
        ("spec.networkPolicy.allowFrom.namespaceSelector", "a bad matchExpressions operator",
         {"networkPolicy": {"enabled": True, "allowFrom": [{"namespaceSelector": {"matchExpressions": [
             {"key": "a", "operator": "Near", "values": ["b"]}]}}]}}),
        ("spec.stopped", "a string", {"stopped": "yes"}),
        ("spec.stopped", "stopped", {"stopped": True}),
        ("spec.unknownField", "a field the schema lacks", {"unknownField": 1}),
    ]
    return m


def apply_patch(spec, patch):
    """Merges patch into spec (a JSON merge patch, RFC 7386, None deletes)."""
    for k, v in patch.items():
        if v is None:
            spec.pop(k, None)
        elif isinstance(v, dict) and isinstance(spec.get(k), dict):
            apply_patch(spec[k], v)
        else:
            spec[k] = v
    return spec


def name_mutants(prefix):
    """Names the server must refuse or take (metadata.name has CEL rules of its own)."""
    return [
        (prefix + "n" * (45 - len(prefix)), "metadata.name", "45 characters, the most"),
        (prefix + "n" * (46 - len(prefix)), "metadata.name", "46 characters"),
        (prefix + "UPPER", "metadata.name", "upper case"),
        (prefix + "a.b", "metadata.name", "a dot"),
        (prefix + "dé", "metadata.name", "unicode"),
    ]


def obj(name, spec):
    return {"apiVersion": "dbaas.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": name}, "spec": spec}


def generate(seed, count, prefix):
    rng = random.Random(seed)
    out = []
    for i, (suffix, field, note, engine, patch, expect) in enumerate(FIXED):
        if len(out) >= count:
            return out
        spec = apply_patch(valid_spec(random.Random(seed * 1000 + i), engine), json.loads(json.dumps(patch)))
        out.append({"name": "%sx-%s" % (prefix, suffix), "class": "fixed", "field": field, "note": note,
                    "expect": expect, "body": obj("%sx-%s" % (prefix, suffix), spec)})
    names = name_mutants(prefix)
    i = 0
    while len(out) < count:
        engine = ENGINES[i % len(ENGINES)]
        name = "%s%03d-%s" % (prefix, i, engine[:2])
        spec = valid_spec(rng, engine)
        r = rng.random()
        if r < 0.35:
            out.append({"name": name, "class": "valid", "field": "", "note": "valid", "body": obj(name, spec)})
        elif r < 0.37 and names:
            nm, field, note = names.pop(0)
            out.append({"name": nm, "class": "mutant", "field": field, "note": note, "body": obj(nm, spec)})
        elif r < 0.39:
            body = obj(name, spec)
            body["spec"] = rng.choice(["a string", 5, [spec], None])
            out.append({"name": name, "class": "mutant", "field": "spec", "note": "spec of the wrong type",
                        "body": body})
        else:
            field, note, patch = rng.choice(mutations(rng, engine))
            spec = apply_patch(spec, json.loads(json.dumps(patch)))
            out.append({"name": name, "class": "mutant", "field": field, "note": note, "body": obj(name, spec)})
        i += 1
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--prefix", default="f", help="start of every name (a lowercase letter first)")
    a = ap.parse_args()
    for o in generate(a.seed, a.count, a.prefix):
        print(json.dumps(o, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
