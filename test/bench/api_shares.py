#!/usr/bin/env python3
"""api_shares.py: what the API server spent its CPU on, from CPU profiles side by side.

usage: python3 test/bench/api_shares.py NAME=TOP ...

Each TOP is `go tool pprof -top -cum -nodefraction=0 -nodecount=100000 PROFILE` output of a
kube-apiserver CPU profile (test/bench/profile-apiserver.sh writes them). For each profile the
table gives the total CPU seconds sampled and, for each of a few functions that stand for a
kind of work, its cumulative share of that total. The shares overlap (an update decodes, and
manages fields), so they do not add up to 100 %.
"""
import re
import sys

# (what, the function's name in the profile)
KINDS = [
    ("updates and patches (registry Store.Update)",
     "k8s.io/apiserver/pkg/registry/generic/registry.(*Store).Update"),
    ("creates (registry Store.Create)", "k8s.io/apiserver/pkg/registry/generic/registry.(*Store).Create"),
    ("lists (ListResource)", "k8s.io/apiserver/pkg/endpoints/handlers.ListResource.func1"),
    ("gets (GetResource)", "k8s.io/apiserver/pkg/endpoints/handlers.GetResource.func1"),
    ("serving watches (WatchServer.HandleHTTP)",
     "k8s.io/apiserver/pkg/endpoints/handlers.(*WatchServer).HandleHTTP"),
    ("managedFields of updates (FieldManager.Update)",
     "k8s.io/apimachinery/pkg/util/managedfields/internal.(*FieldManager).Update"),
    ("server-side apply (FieldManager.Apply)",
     "k8s.io/apimachinery/pkg/util/managedfields/internal.(*FieldManager).Apply"),
    ("decoding request bodies and objects (codec.Decode)",
     "k8s.io/apimachinery/pkg/runtime/serializer/versioning.(*codec).Decode"),
    ("garbage collection (gcBgMarkWorker)", "runtime.gcBgMarkWorker"),
]
ROW = re.compile(r"^\s*[\d.]+(?:[mun]?s)?\s+[\d.]+%\s+[\d.]+%\s+([\d.]+)([mun]?s)?\s+[\d.]+%\s+(.+?)\s*$")
UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, None: 1.0}


def load(path):
    """(total CPU seconds sampled, {function: cumulative seconds})."""
    total, cum = None, {}
    with open(path) as f:
        for line in f:
            m = re.search(r"Total samples = ([\d.]+)(m?s)", line)
            if m:
                total = float(m.group(1)) * UNIT[m.group(2)]
                continue
            m = ROW.match(line)
            if m:
                cum.setdefault(m.group(3), float(m.group(1)) * UNIT[m.group(2)])
    if not total:
        raise ValueError(f"{path}: no 'Total samples' line: not pprof -top output")
    return total, cum


def main():
    args = [a.split("=", 1) for a in sys.argv[1:]]
    if not args or any(len(a) != 2 for a in args):
        print("usage: api_shares.py NAME=TOP ...", file=sys.stderr)
        return 2
    profiles = [(name, *load(path)) for name, path in args]
    print("| kind of work | " + " | ".join(name for name, _, _ in profiles) + " |")
    print("|---|" + "---|" * len(profiles))
    print("| CPU sampled | " + " | ".join(f"{total:.1f} s" for _, total, _ in profiles) + " |")
    for what, fn in KINDS:
        cells = [f"{100 * cum.get(fn, 0.0) / total:.1f} %" for _, total, cum in profiles]
        print(f"| {what} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
