#!/usr/bin/env python3
"""requests_split.py N: the operator's API requests by verb and resource, per DBInstance.

usage: python3 test/bench/requests_split.py N < LOG

LOG is the operator's JSON log at --log-level debug (its "api request" lines: verb, path,
code), cut to the span to count (test/bench/profile-create.sh with PROFILE_REQUESTS=1 gives
the lines from the create's start to all Ready). N is how many DBInstances the span made.
A path's resource is the collection it names, with its subresource ("dbinstances/status");
collections read whole (GET) are told apart as "(list)" and "(watch)". Answers other than 2xx are
counted on their own line with their code, beside the verb and resource.

Prints one line per verb and resource: count, count / N; then the total and the total / N.
"""
import json
import sys
from collections import Counter
from urllib.parse import parse_qs, urlsplit


def resource(verb, path):
    """("secrets", "") or ("dbinstances/status", "") or ("pods", "(watch)") for a request."""
    url = urlsplit(path)
    parts = [p for p in url.path.split("/") if p]
    # /api/v1/... or /apis/GROUP/VERSION/...; then namespaces/NS/... when namespaced
    rest = parts[2:] if parts[:1] == ["api"] else parts[3:]
    if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) > 2:
        rest = rest[2:]
    if not rest:
        return ("?", "")
    if len(rest) == 1 and verb == "GET":
        query = parse_qs(url.query)
        return (rest[0], "(watch)" if query.get("watch", [""])[0] in ("1", "true") else "(list)")
    return ("/".join([rest[0]] + rest[2:]), "")


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        print("usage: requests_split.py N < LOG", file=sys.stderr)
        return 2
    n = int(sys.argv[1])
    counts = Counter()
    for line in sys.stdin:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if not isinstance(rec, dict) or rec.get("msg") != "api request":
            continue
        verb = str(rec.get("verb", "?"))
        res, how = resource(verb, str(rec.get("path", "")))
        code = str(rec.get("code", ""))
        key = f"{verb} {res}"
        if how:
            key += " " + how
        if not code.startswith("2"):
            key += f" -> {code}"
        counts[key] += 1
    total = sum(counts.values())
    for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{count:7d} {count / n:6.2f}  {key}")
    print(f"{total:7d} {total / n:6.2f}  all requests, per DBInstance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
