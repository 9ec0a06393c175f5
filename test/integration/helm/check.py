#!/usr/bin/env python3
"""Checks of the Helm chart's rendered manifests, for test-helm.sh.

  check.py objects MANIFEST
      one line per object: "APIVERSION KIND NAMESPACE NAME" (NAMESPACE "-" when none)
  check.py rbac MANIFEST RBAC FULLNAME RELEASE_NS [WATCH_NS [NOCLUSTER]]
      the rendered roles hold exactly the rules of RBAC (deploy/rbac.yaml): each ClusterRole's
      rules in a ClusterRole of the same name (dbaas-operator -> FULLNAME), or with WATCH_NS in
      a Role there plus a ClusterRole of its cluster-scoped rules (none at all with NOCLUSTER),
      each Role's rules in a Role in RELEASE_NS, each bound to the chart's ServiceAccount.
      Exits 1 with the differences.
  check.py sar RBAC SA_NS SA NS [WATCH_NS]
      a List of SubjectAccessReviews, one per (verb, resource, name) of RBAC, for the
      ServiceAccount; namespaced ones in NS (WATCH_NS for the ClusterRoles' rules when given);
      the Roles' rules in SA_NS.
  check.py sar-elsewhere RBAC SA_NS SA OTHER_NS
      the same for the ClusterRoles' namespaced rules only, in OTHER_NS (for a namespaced
      install, where each must be refused).
  check.py sar-denied SA_NS SA NS
      reviews that must be refused in any mode: creating and deleting DBInstances in NS, and
      listing PersistentVolumes.
  check.py sar-result WANT < kubectl create -o json output
      exits 1 naming every review whose allowed differs from WANT (true or false).
"""
import json
import sys

import yaml

CLUSTER_SCOPED = {
    "persistentvolumes", "customresourcedefinitions", "namespaces", "nodes", "storageclasses",
    "csidrivers", "csinodes", "volumeattachments", "volumesnapshotclasses",
    "volumesnapshotcontents", "priorityclasses", "clusterroles", "clusterrolebindings",
    "validatingadmissionpolicies", "validatingadmissionpolicybindings",
    "mutatingwebhookconfigurations", "validatingwebhookconfigurations", "apiservices",
}


def docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def rename(name, fullname):
    if name.startswith("dbaas-operator"):
        return fullname + name[len("dbaas-operator"):]
    return fullname + "-" + name


def cluster_scoped(rule):
    res = [r.split("/")[0] for r in rule.get("resources", [])]
    return bool(res) and all(r in CLUSTER_SCOPED for r in res)


def canon(rules):
    return sorted(json.dumps(r, sort_keys=True) for r in rules)


def cmd_objects(manifest):
    for d in docs(manifest):
        md = d.get("metadata", {})
        print(d["apiVersion"], d["kind"], md.get("namespace") or "-", md["name"])


def cmd_rbac(manifest, rbac, fullname, release_ns, watch_ns=None, nocluster=None):
    rendered = {}
    for d in docs(manifest):
        if d["kind"] in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"):
            rendered[(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"])] = d
    errors = []
    seen = set()

    def want(kind, ns, name, rules):
        key = (kind, ns, name)
        seen.add(key)
        seen.add((kind + "Binding", ns, name))
        got = rendered.get(key)
        if got is None:
            errors.append("no %s %s%s" % (kind, ns + "/" if ns else "", name))
            return
        if canon(got.get("rules") or []) != canon(rules):
            errors.append("%s %s: rules differ from deploy/rbac.yaml:\n  rendered %s\n  wanted   %s"
                          % (kind, name, canon(got.get("rules") or []), canon(rules)))
        b = rendered.get((kind + "Binding", ns, name))
        subj = {"kind": "ServiceAccount", "namespace": release_ns}
        if b is None or b["roleRef"] != {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name} \
                or len(b["subjects"]) != 1 or any(b["subjects"][0].get(k) != v for k, v in subj.items()):
            errors.append("%sBinding %s does not bind %s %s to the chart's ServiceAccount: %s"
                          % (kind, name, kind, name, b))

    for d in docs(rbac):
        name = rename(d["metadata"]["name"], fullname)
        if d["kind"] == "ClusterRole" and not watch_ns:
            want("ClusterRole", None, name, d["rules"])
        elif d["kind"] == "ClusterRole":
            want("Role", watch_ns, name, [r for r in d["rules"] if not cluster_scoped(r)])
            cl = [r for r in d["rules"] if cluster_scoped(r)]
            if cl and not nocluster:
                want("ClusterRole", None, name, cl)
        elif d["kind"] == "Role":
            want("Role", release_ns, name, d["rules"])
    for key in rendered:
        if key not in seen:
            errors.append("%s %s is not in deploy/rbac.yaml" % (key[0], key[2]))
    if errors:
        sys.exit("\n".join(errors))
    print("rbac: %d roles and bindings, rules equal to deploy/rbac.yaml" % len(rendered))


def review(sa_ns, sa, verb, group, resource, ns=None, name=None):
    res, _, sub = resource.partition("/")
    attrs = {"verb": verb, "group": group, "resource": res}
    if sub:
        attrs["subresource"] = sub
    if name:
        attrs["name"] = name
    if ns and res not in CLUSTER_SCOPED:
        attrs["namespace"] = ns
    return {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": "system:serviceaccount:%s:%s" % (sa_ns, sa),
                 "groups": ["system:serviceaccounts", "system:serviceaccounts:" + sa_ns,
                            "system:authenticated"],
                 "resourceAttributes": attrs},
    }


def cmd_sar(rbac, sa_ns, sa, ns, watch_ns=None, elsewhere=False):
    items = []
    for d in docs(rbac):
        if d["kind"] not in ("Role", "ClusterRole") or (elsewhere and d["kind"] == "Role"):
            continue
        target = sa_ns if d["kind"] == "Role" else (watch_ns or ns)
        for r in d["rules"]:
            if elsewhere and cluster_scoped(r):
                continue
            for g in r["apiGroups"]:
                for res in r["resources"]:
                    for v in r["verbs"]:
                        for n in r.get("resourceNames") or [None]:
                            items.append(review(sa_ns, sa, v, g, res, target, n))
    print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))


def cmd_sar_elsewhere(rbac, sa_ns, sa, other_ns):
    cmd_sar(rbac, sa_ns, sa, other_ns, elsewhere=True)


def cmd_sar_denied(sa_ns, sa, ns):
    items = [review(sa_ns, sa, "list", "", "persistentvolumes"),
             review(sa_ns, sa, "create", "dbaas.dev", "dbinstances", ns),
             review(sa_ns, sa, "delete", "dbaas.dev", "dbinstances", ns)]
    print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))


def cmd_sar_result(want):
    # kubectl prints one JSON document per object created, one after another.
    text, dec, items, pos = sys.stdin.read(), json.JSONDecoder(), [], 0
    while text[pos:].strip():
        out, end = dec.raw_decode(text, pos + len(text[pos:]) - len(text[pos:].lstrip()))
        items += out["items"] if out.get("kind") == "List" else [out]
        pos = end
    if not items:
        sys.exit("no reviews in the input")
    bad = []
    for it in items:
        allowed = bool(it.get("status", {}).get("allowed"))
        if str(allowed).lower() != want:
            bad.append("%s allowed=%s: %s" % (json.dumps(it["spec"]["resourceAttributes"], sort_keys=True),
                                              allowed, it.get("status", {}).get("reason", "")))
    if bad:
        sys.exit("want allowed=%s for every review; these differ:\n  %s" % (want, "\n  ".join(bad)))
    print("sar: %d reviews, allowed=%s for each" % (len(items), want))


if __name__ == "__main__":
    cmds = {"objects": cmd_objects, "rbac": cmd_rbac, "sar": cmd_sar,
            "sar-elsewhere": cmd_sar_elsewhere, "sar-denied": cmd_sar_denied, "sar-result": cmd_sar_result}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
