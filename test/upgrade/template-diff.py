#!/usr/bin/env python3
"""Compares two pod templates (JSON files) and prints one JSON Pointer (RFC 6901, from the
StatefulSet's root, e.g. /spec/template/metadata/annotations/dbaas.dev~1config-checksum) per
difference (a key added or removed, a leaf value changed, a list item added or removed),
then a tab, the old value, a tab, the new value (compact JSON; "(absent)" when missing).
Exits 0 whether or not they differ; the caller judges the paths.

    template-diff.py OLD.json NEW.json
"""
import json
import sys


def escape(key):
    return str(key).replace("~", "~0").replace("/", "~1")


ABSENT = object()


def show(value):
    if value is ABSENT:
        return "(absent)"
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def diff(old, new, path, out):
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            sub = path + "/" + escape(key)
            if key not in old or key not in new:
                out.append((sub, old.get(key, ABSENT), new.get(key, ABSENT)))
            else:
                diff(old[key], new[key], sub, out)
    elif isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            sub = path + "/" + str(i)
            if i >= len(old) or i >= len(new):
                out.append((sub, old[i] if i < len(old) else ABSENT, new[i] if i < len(new) else ABSENT))
            else:
                diff(old[i], new[i], sub, out)
    elif old != new or type(old) is not type(new):
        out.append((path, old, new))


def main():
    with open(sys.argv[1]) as f:
        old = json.load(f)
    with open(sys.argv[2]) as f:
        new = json.load(f)
    out = []
    diff(old, new, "/spec/template", out)
    for path, a, b in out:
        print(path + "\t" + show(a) + "\t" + show(b))


if __name__ == "__main__":
    main()
