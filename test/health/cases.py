#!/usr/bin/python3
"""Turns a health_test.yaml (Argo CD's resource_customizations format) into a Lua chunk for
test/health/sandbox.lua:  return { {name=..., want={status=..., message=...}, obj={...}}, ... }

The objects are read as Argo CD reads them (sigs.k8s.io/yaml: YAML to JSON): timestamps stay
strings and map keys become strings. A missing file or an unknown field is an error (exit 1).
"""
import math
import os
import sys

import yaml


class Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp rule: JSON has no dates, so Argo CD sees strings."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in rules if tag != "tag:yaml.org,2002:timestamp"]
    for first, rules in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def lua_string(s):
    out = ['"']
    for b in s.encode("utf-8"):
        if b in (0x22, 0x5C):
            out.append("\\" + chr(b))
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append("\\%03d" % b)
    out.append('"')
    return "".join(out)


def lua_value(v):
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ValueError("a number JSON cannot hold: %r" % v)
        return repr(v)
    if isinstance(v, str):
        return lua_string(v)
    if isinstance(v, list):
        return "{" + ", ".join(lua_value(x) for x in v) + "}"
    if isinstance(v, dict):
        return "{" + ", ".join("[%s] = %s" % (lua_string(str(k)), lua_value(x))
                               for k, x in v.items()) + "}"
    raise ValueError("a value JSON cannot hold: %r" % type(v).__name__)


def main(path):
    with open(path, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=Loader)
    if not isinstance(doc, dict) or set(doc) != {"tests"} or not isinstance(doc["tests"], list):
        raise ValueError("%s: want a mapping with one key, tests: a list" % path)
    base = os.path.dirname(path)
    out = ["return {"]
    for i, t in enumerate(doc["tests"]):
        if not isinstance(t, dict) or set(t) != {"healthStatus", "inputPath"}:
            raise ValueError("%s: test %d: want exactly healthStatus and inputPath" % (path, i + 1))
        hs = t["healthStatus"]
        if not isinstance(hs, dict) or not set(hs) <= {"status", "message"} or "status" not in hs:
            raise ValueError("%s: test %d: healthStatus wants status and message" % (path, i + 1))
        with open(os.path.join(base, t["inputPath"]), encoding="utf-8") as f:
            obj = yaml.load(f, Loader=Loader)
        if not isinstance(obj, dict):
            raise ValueError("%s: not an object" % t["inputPath"])
        want = {"status": str(hs["status"]), "message": str(hs.get("message") or "")}
        out.append("{name = %s, want = %s, obj = %s}," % (
            lua_string(t["inputPath"]), lua_value(want), lua_value(obj)))
    out.append("}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: cases.py health_test.yaml")
    try:
        main(sys.argv[1])
    except (OSError, ValueError, yaml.YAMLError) as e:
        sys.exit("cases: %s" % e)
